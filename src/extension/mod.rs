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
