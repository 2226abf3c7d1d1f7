//! The parameters the file-reading table functions share — `path`, then `dry_run :=`,
//! `persistent :=`, `replace :=`, `key :=`, `names :=`, `env_file :=`, `allow_commands :=`;
//! each function's `Signature` lists those it takes — and the bind that reads them. DuckDB
//! itself rejects unknown names and wrong types.

use duckdb::vtab::BindInfo;

use super::duckdb_rs_compat::{is_null, whole_text};
use super::functions::{self, Declared, FileName, Named, Param, Type};
use super::Shared;
use crate::core::request::Request;

/// The secrets file: every file-reading function's one positional parameter.
pub const PATH: Param = Param { name: "path", ty: Type::Varchar };

pub const DRY_RUN: Named<bool> = Named::new("dry_run");
pub const PERSISTENT: Named<bool> = Named::new("persistent");
pub const REPLACE: Named<bool> = Named::new("replace");
pub const KEY: Named<String> = Named::new("key");
pub const NAMES: Named<Vec<String>> = Named::new("names");
pub const ENV_FILE: Named<FileName> = Named::new("env_file");
pub const ALLOW_COMMANDS: Named<bool> = Named::new("allow_commands");

/// What a file-reading table function keeps from its bind: its arguments and the database.
pub struct Bound {
    pub args: CallArgs,
    pub shared: Shared,
}

/// The bind of the file-reading functions: declares `T`'s result columns and reads the
/// arguments. Nothing is read from disk here.
pub fn bind_call<T: Declared>(bind: &BindInfo) -> Result<Bound, String> {
    functions::add_result_columns::<T>(bind);
    Ok(Bound { args: read(bind)?, shared: Shared::from_bind(bind) })
}

#[derive(Debug, Clone)]
pub struct CallArgs {
    pub request: Request,
    pub dry_run: bool,
    pub replace: bool,
}

/// A named parameter the function does not declare reads as not given.
fn read(bind: &BindInfo) -> Result<CallArgs, String> {
    let path = bind.get_parameter(0);
    if is_null(&path) {
        return Err("yamlsecrets: the path of the secrets file is NULL".into());
    }
    let nul = |what: &str| format!("yamlsecrets: the {what} holds a NUL byte, which no file name can hold");
    let path = whole_text(&path).map_err(|_| nul("path of the secrets file"))?;
    if path.trim().is_empty() {
        return Err("yamlsecrets: the path of the secrets file is empty".into());
    }
    let env_file = ENV_FILE.get(bind).map(|name| name.0).transpose().map_err(|_| nul("env_file"))?;
    Ok(CallArgs {
        request: Request {
            file: path,
            key: KEY.get(bind),
            names: NAMES.get(bind),
            persistent: PERSISTENT.get(bind),
            env_files: env_file.into_iter().collect(),
            lint: false,
            allow_commands: ALLOW_COMMANDS.get(bind).unwrap_or(false),
        },
        dry_run: DRY_RUN.get(bind).unwrap_or(false),
        replace: REPLACE.get(bind).unwrap_or(true),
    })
}
