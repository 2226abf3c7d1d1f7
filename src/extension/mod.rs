//! The thin layer that touches DuckDB: one file per SQL function, the per-call connection,
//! and the all-or-nothing application of a batch.

mod apply;
mod args;
mod connection;
mod load_secrets_yaml;
mod output;
mod provenance;
mod secrets_check;
mod unload_secrets_yaml;
mod yaml_secrets;
mod yamlsecrets_types;

pub use connection::Database;

use duckdb::Connection;

/// What every function of one database shares: the database, and what was loaded into it.
#[derive(Clone)]
pub struct Shared {
    pub database: Database,
    pub loaded: provenance::Loaded,
}

impl Shared {
    /// The `Shared` every function is registered with (see `register`).
    pub fn from_bind(bind: &duckdb::vtab::BindInfo) -> Shared {
        // SAFETY: every table function that calls this was registered with a `Shared` as
        // its extra info, which DuckDB keeps alive as long as the function exists.
        unsafe { &*bind.get_extra_info::<Shared>() }.clone()
    }
}

/// A test hook, documented in SECURITY.md: with `YAMLSECRETS_TEST_PANIC=<place>` set in the
/// environment, the extension panics at that place (`load`: the entrypoint; `call`: inside
/// `load_secrets_yaml`'s execution), so tests can prove a panic becomes a SQL error and the
/// host process lives on.
pub fn test_hook_panic(place: &str) {
    if std::env::var("YAMLSECRETS_TEST_PANIC").is_ok_and(|p| p == place) {
        panic!("yamlsecrets test hook: YAMLSECRETS_TEST_PANIC={place}");
    }
}

/// Registers every SQL function on the loading connection.
pub fn register(conn: &Connection, database: Database) -> duckdb::Result<()> {
    let shared = Shared { database, loaded: provenance::Loaded::default() };
    conn.register_table_function_with_extra_info::<load_secrets_yaml::LoadSecretsYaml, _>(
        "load_secrets_yaml",
        &shared,
    )?;
    conn.register_table_function_with_extra_info::<unload_secrets_yaml::UnloadSecretsYaml, _>(
        "unload_secrets_yaml",
        &shared,
    )?;
    conn.register_table_function_with_extra_info::<secrets_check::SecretsCheckTable, _>("secrets_check", &shared)?;
    conn.register_scalar_function_with_state::<secrets_check::SecretsCheckScalar>("secrets_check", &shared)?;
    conn.register_table_function_with_extra_info::<yaml_secrets::YamlSecrets, _>("yaml_secrets", &shared)?;
    conn.register_table_function::<yamlsecrets_types::YamlsecretsTypes>("yamlsecrets_types")?;
    Ok(())
}
