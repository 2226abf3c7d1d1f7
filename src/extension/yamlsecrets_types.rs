//! `yamlsecrets_types()`: the catalogue as a table — every type, provider and parameter
//! yamlsecrets validates, with its kind and whether it is a credential.

use duckdb::core::DataChunkHandle;
use duckdb::vtab::{BindInfo, InitInfo, TableFunctionInfo, VTab};

use super::output::{boolean, varchar, Cell, Pending};
use crate::core::catalog::SECRET_TYPES;

pub struct YamlsecretsTypes;

impl VTab for YamlsecretsTypes {
    type BindData = ();
    type InitData = Pending;

    fn bind(bind: &BindInfo) -> Result<(), Box<dyn std::error::Error>> {
        for name in ["type", "provider", "extension", "parameter", "kind"] {
            bind.add_result_column(name, varchar());
        }
        bind.add_result_column("sensitive", boolean());
        bind.add_result_column("required", boolean());
        Ok(())
    }

    fn init(_: &InitInfo) -> Result<Pending, Box<dyn std::error::Error>> {
        Ok(Pending::default())
    }

    fn func(info: &TableFunctionInfo<Self>, output: &mut DataChunkHandle) -> Result<(), Box<dyn std::error::Error>> {
        info.get_init_data().emit(output, || {
            let mut rows = Vec::new();
            for secret_type in SECRET_TYPES {
                for provider in secret_type.providers {
                    // A provider without parameters (huggingface credential_chain) still gets a row.
                    if provider.params.is_empty() {
                        rows.push(vec![
                            Cell::text(secret_type.name),
                            Cell::text(provider.name),
                            Cell::text(provider.extension),
                            Cell::Text(None),
                            Cell::Text(None),
                            Cell::Bool(None),
                            Cell::Bool(None),
                        ]);
                    }
                    for param in provider.params {
                        rows.push(vec![
                            Cell::text(secret_type.name),
                            Cell::text(provider.name),
                            Cell::text(provider.extension),
                            Cell::text(param.name),
                            Cell::text(param.kind.name()),
                            Cell::Bool(Some(param.sensitive)),
                            Cell::Bool(Some(provider.required.contains(&param.name))),
                        ]);
                    }
                }
            }
            Ok(rows)
        })
    }
}
