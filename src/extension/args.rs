//! The arguments the table functions share: `(path, dry_run :=, persistent :=, replace :=,
//! key :=, names :=, env_file :=)`. DuckDB itself rejects unknown names and wrong types.

use duckdb::core::LogicalTypeHandle;
use duckdb::vtab::BindInfo;

use super::duckdb_rs_compat::{is_null, list_items, to_bool, whole_text};
use super::output::{boolean, varchar, varchar_list};
use super::Shared;
use crate::core::request::Request;

/// What a file-reading table function keeps from its bind: its arguments and the database.
pub struct Bound {
    pub args: CallArgs,
    pub shared: Shared,
}

/// The bind of `load_secrets_yaml`, `secrets_check` and `unload_secrets_yaml`: declares the
/// result columns and reads the arguments. Nothing is read from disk here.
pub fn bind_call(bind: &BindInfo, columns: Vec<(&str, LogicalTypeHandle)>) -> Result<Bound, String> {
    for (name, ty) in columns {
        bind.add_result_column(name, ty);
    }
    Ok(Bound { args: read(bind)?, shared: Shared::from_bind(bind) })
}

#[derive(Debug, Clone)]
pub struct CallArgs {
    pub request: Request,
    pub dry_run: bool,
    pub replace: bool,
}

/// Which named parameters a function takes.
pub fn named_parameters(names: &[&str]) -> Vec<(String, LogicalTypeHandle)> {
    names
        .iter()
        .map(|&name| {
            let ty = match name {
                "dry_run" | "persistent" | "replace" | "allow_commands" => boolean(),
                "names" => varchar_list(),
                _ => varchar(),
            };
            (name.to_string(), ty)
        })
        .collect()
}

pub fn read(bind: &BindInfo) -> Result<CallArgs, String> {
    let path = bind.get_parameter(0);
    if is_null(&path) {
        return Err("yamlsecrets: the path of the secrets file is NULL".into());
    }
    let nul = |what: &str| format!("yamlsecrets: the {what} holds a NUL byte, which no file name can hold");
    let path = whole_text(&path).map_err(|_| nul("path of the secrets file"))?;
    if path.trim().is_empty() {
        return Err("yamlsecrets: the path of the secrets file is empty".into());
    }
    let given = |name: &str| bind.get_named_parameter(name).filter(|v| !is_null(v));
    let flag = |name: &str| given(name).map(|v| to_bool(&v));
    let text = |name: &str| given(name).map(|v| v.to_string());
    let env_file = given("env_file").map(|v| whole_text(&v)).transpose().map_err(|_| nul("env_file"))?;
    let names = given("names").map(|v| list_items(&v));
    Ok(CallArgs {
        request: Request {
            file: path,
            key: text("key"),
            names,
            persistent: flag("persistent"),
            env_files: env_file.into_iter().collect(),
            lint: false,
            allow_commands: flag("allow_commands").unwrap_or(false),
        },
        dry_run: flag("dry_run").unwrap_or(false),
        replace: flag("replace").unwrap_or(true),
    })
}
