//! Secrets at start-up: `YAMLSECRETS_FILE` (a path, or several separated by `:`) names files
//! that `LOAD yamlsecrets` loads by itself, so `LOAD yamlsecrets` in `~/.duckdbrc`, or in
//! dbt-duckdb's `extensions:`, is all it takes.
//!
//! Each file is loaded as `FROM load_secrets_yaml(path)` would load it: all or nothing, with
//! every check of a call. A problem makes the LOAD fail with the file's report, before any
//! function is registered, so DuckDB stays usable and a corrected file (or an unset variable)
//! loads on the next `LOAD`. Secrets users asked for that silently fail to appear would only
//! surface later as a confusing authentication error.

use super::apply;
use super::args::CallArgs;
use super::{load_secrets_yaml, Shared};
use crate::core::request::Request;

pub const VARIABLE: &str = "YAMLSECRETS_FILE";

pub fn load_named_files(shared: &Shared) -> Result<(), String> {
    apply::during_load(|| load_each(shared))
}

fn load_each(shared: &Shared) -> Result<(), String> {
    let Some(list) = std::env::var_os(VARIABLE) else { return Ok(()) };
    let list = list.to_string_lossy().into_owned();
    let mut loaded: Vec<&str> = Vec::new();
    for path in list.split(':').map(str::trim).filter(|p| !p.is_empty()) {
        let args = CallArgs {
            request: Request { file: path.to_string(), ..Request::default() },
            dry_run: false,
            replace: true,
        };
        let outcome = shared.database.with_connection(|conn| load_secrets_yaml::load(conn, &args, shared));
        if let Err(message) = outcome {
            let before =
                if loaded.is_empty() { String::new() } else { format!(" (loaded before it: {})", loaded.join(", ")) };
            return Err(format!("yamlsecrets: {VARIABLE} names {path}, which did not load{before}:\n{message}"));
        }
        loaded.push(path);
    }
    Ok(())
}
