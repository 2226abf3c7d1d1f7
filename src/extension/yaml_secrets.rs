//! `yaml_secrets()`: the provenance of every secret this extension loaded into this
//! database, with its status now: `ok`, `missing` (dropped since), `shadowed` (a secret of
//! the same name in another storage), `stale` (its definition, or a variable or file it read,
//! changed since the load).

use duckdb::core::DataChunkHandle;
use duckdb::vtab::{BindInfo, InitInfo, TableFunctionInfo, VTab};

use super::output::{boolean, integer, timestamp, varchar, Cell, Pending};
use super::provenance;
use super::Shared;

pub struct YamlSecrets;

impl VTab for YamlSecrets {
    type BindData = Shared;
    type InitData = Pending;

    fn bind(bind: &BindInfo) -> Result<Shared, Box<dyn std::error::Error>> {
        bind.add_result_column("name", varchar());
        bind.add_result_column("type", varchar());
        bind.add_result_column("file", varchar());
        bind.add_result_column("line", integer());
        bind.add_result_column("persistent", boolean());
        bind.add_result_column("loaded_at", timestamp());
        bind.add_result_column("status", varchar());
        Ok(Shared::from_bind(bind))
    }

    fn init(_: &InitInfo) -> Result<Pending, Box<dyn std::error::Error>> {
        Ok(Pending::default())
    }

    fn func(info: &TableFunctionInfo<Self>, output: &mut DataChunkHandle) -> Result<(), Box<dyn std::error::Error>> {
        let shared = info.get_bind_data();
        info.get_init_data().emit(output, || {
            shared.database.with_connection(|conn| {
                Ok(provenance::drift(conn, shared)?
                    .iter()
                    .map(|(record, status)| {
                        vec![
                            Cell::text(&record.name),
                            Cell::text(&record.type_name),
                            Cell::text(&record.file),
                            Cell::Int(i32::try_from(record.line).unwrap_or(i32::MAX)),
                            Cell::Bool(Some(record.persistent)),
                            Cell::Timestamp(record.loaded_at),
                            Cell::text(status.as_str()),
                        ]
                    })
                    .collect())
            })
        })
    }
}
