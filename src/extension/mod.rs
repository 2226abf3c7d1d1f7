//! The thin layer that touches DuckDB: one file per SQL function, the per-call connection,
//! and the all-or-nothing application of a batch.

mod apply;
mod args;
mod connection;
mod load_secrets_yaml;
mod output;
mod yamlsecrets_types;

pub use connection::Database;

use duckdb::Connection;

/// Registers every SQL function on the loading connection.
pub fn register(conn: &Connection, database: Database) -> duckdb::Result<()> {
    conn.register_table_function_with_extra_info::<load_secrets_yaml::LoadSecretsYaml, _>("load_secrets_yaml", &database)?;
    conn.register_table_function::<yamlsecrets_types::YamlsecretsTypes>("yamlsecrets_types")?;
    Ok(())
}
