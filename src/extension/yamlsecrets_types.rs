//! `yamlsecrets_types()`: the catalogue as a table — every type, provider and parameter
//! yamlsecrets validates, with its kind and whether it is a credential.

use duckdb::core::DataChunkHandle;
use duckdb::vtab::{BindInfo, InitInfo, TableFunctionInfo, VTab};

use super::functions::{add_result_columns, declared_parameters, table_row, Declared, Signature};
use super::output::Pending;
use crate::core::catalog::SECRET_TYPES;

pub struct YamlsecretsTypes;

impl Declared for YamlsecretsTypes {
    const SIGNATURE: Signature = Signature { name: "yamlsecrets_types", positional: &[], named: &[] };
    type Row = TypeRow;
}

table_row! {
    /// One parameter of one provider of one secret type.
    pub struct TypeRow {
        r#type: String,
        provider: String,
        extension: String,
        parameter: Option<String>,
        kind: Option<String>,
        sensitive: Option<bool>,
        required: Option<bool>,
    }
}

impl VTab for YamlsecretsTypes {
    type BindData = ();
    type InitData = Pending<TypeRow>;

    fn bind(bind: &BindInfo) -> Result<(), Box<dyn std::error::Error>> {
        add_result_columns::<Self>(bind);
        Ok(())
    }

    fn init(_: &InitInfo) -> Result<Pending<TypeRow>, Box<dyn std::error::Error>> {
        Ok(Pending::default())
    }

    fn func(info: &TableFunctionInfo<Self>, output: &mut DataChunkHandle) -> Result<(), Box<dyn std::error::Error>> {
        info.get_init_data().emit(output, || {
            let mut rows = Vec::new();
            for secret_type in SECRET_TYPES {
                for provider in secret_type.providers {
                    let row = |parameter, kind, sensitive, required| TypeRow {
                        r#type: secret_type.name.to_string(),
                        provider: provider.name.to_string(),
                        extension: provider.extension.to_string(),
                        parameter,
                        kind,
                        sensitive,
                        required,
                    };
                    // A provider without parameters (huggingface credential_chain) still gets a row.
                    if provider.params.is_empty() {
                        rows.push(row(None, None, None, None));
                    }
                    for param in provider.params {
                        rows.push(row(
                            Some(param.name.to_string()),
                            Some(param.kind.name().to_string()),
                            Some(param.sensitive),
                            Some(provider.required.contains(&param.name)),
                        ));
                    }
                }
            }
            Ok(rows)
        })
    }

    declared_parameters!();
}
