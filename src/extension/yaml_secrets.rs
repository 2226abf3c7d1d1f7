//! `yaml_secrets()`: the provenance of every secret this extension loaded into this
//! database, with its status now: `ok`, `missing` (dropped since), `shadowed` (a secret of
//! the same name in another storage), `stale` (its definition, or a variable or file it read,
//! changed since the load).

use duckdb::core::DataChunkHandle;
use duckdb::vtab::{BindInfo, InitInfo, TableFunctionInfo, VTab};

use super::functions::{add_result_columns, declared_parameters, table_row, Declared, Micros, Signature};
use super::output::Pending;
use super::provenance;
use super::Shared;

pub struct YamlSecrets;

impl Declared for YamlSecrets {
    const SIGNATURE: Signature = Signature { name: "yaml_secrets", positional: &[], named: &[] };
    type Row = LoadedRow;
}

table_row! {
    /// One secret this extension loaded, where from, and its status now.
    pub struct LoadedRow {
        name: String,
        r#type: String,
        file: String,
        line: i32,
        persistent: bool,
        loaded_at: Micros,
        status: String,
    }
}

impl VTab for YamlSecrets {
    type BindData = Shared;
    type InitData = Pending<LoadedRow>;

    fn bind(bind: &BindInfo) -> Result<Shared, Box<dyn std::error::Error>> {
        add_result_columns::<Self>(bind);
        Ok(Shared::from_bind(bind))
    }

    fn init(_: &InitInfo) -> Result<Pending<LoadedRow>, Box<dyn std::error::Error>> {
        Ok(Pending::default())
    }

    fn func(info: &TableFunctionInfo<Self>, output: &mut DataChunkHandle) -> Result<(), Box<dyn std::error::Error>> {
        let shared = info.get_bind_data();
        info.get_init_data().emit(output, || {
            shared.database.with_connection(|conn| {
                Ok(provenance::drift(conn, shared)?
                    .iter()
                    .map(|(record, status)| LoadedRow {
                        name: record.name.clone(),
                        r#type: record.type_name.clone(),
                        file: record.file.clone(),
                        line: i32::try_from(record.line).unwrap_or(i32::MAX),
                        persistent: record.persistent,
                        loaded_at: Micros(record.loaded_at),
                        status: status.as_str().to_string(),
                    })
                    .collect())
            })
        })
    }

    declared_parameters!();
}
