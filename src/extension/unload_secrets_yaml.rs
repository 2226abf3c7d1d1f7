//! `unload_secrets_yaml(path, …)`: drops the secrets the file defines, temporary and
//! persistent, all or nothing; one row per secret, `dropped` or `absent`. Values are not
//! resolved, so unloading works after the variables are gone.

use duckdb::core::DataChunkHandle;
use duckdb::vtab::{BindInfo, InitInfo, TableFunctionInfo, VTab};

use super::apply;
use super::args::{self, Bound, CallArgs, DRY_RUN, KEY, NAMES, PATH};
use super::connection::CallConnection;
use super::functions::{declared_parameters, table_row, Declared, Signature};
use super::output::Pending;
use super::Shared;
use crate::core::diagnostics::error_report;
use crate::core::plan;
use crate::core::secret_value::Scrubber;
use crate::core::validate;

pub struct UnloadSecretsYaml;

impl Declared for UnloadSecretsYaml {
    const SIGNATURE: Signature =
        Signature { name: "unload_secrets_yaml", positional: &[PATH], named: &[DRY_RUN.param, KEY.param, NAMES.param] };
    type Row = UnloadRow;
}

table_row! {
    /// One secret the file defines, as found in DuckDB: `persistent` and `storage` are NULL
    /// when it is absent.
    pub struct UnloadRow {
        name: String,
        r#type: String,
        persistent: Option<bool>,
        storage: Option<String>,
        action: String,
        source: String,
    }
}

impl VTab for UnloadSecretsYaml {
    type BindData = Bound;
    type InitData = Pending<UnloadRow>;

    fn bind(bind: &BindInfo) -> Result<Bound, Box<dyn std::error::Error>> {
        Ok(args::bind_call::<Self>(bind)?)
    }

    fn init(_: &InitInfo) -> Result<Pending<UnloadRow>, Box<dyn std::error::Error>> {
        Ok(Pending::default())
    }

    fn func(info: &TableFunctionInfo<Self>, output: &mut DataChunkHandle) -> Result<(), Box<dyn std::error::Error>> {
        let bound = info.get_bind_data();
        info.get_init_data()
            .emit(output, || bound.shared.database.with_connection(|conn| unload(conn, &bound.args, &bound.shared)))
    }

    declared_parameters!();
}

fn unload(conn: &CallConnection, args: &CallArgs, shared: &Shared) -> Result<Vec<UnloadRow>, String> {
    let mut state = apply::checked_state(conn, false)?;
    apply::read_existing(conn, &mut state)?;
    let declared = validate::declared_secrets(&args.request).map_err(|problems| error_report(&problems))?;
    let mut by_name: std::collections::HashMap<String, Vec<&plan::Existing>> = std::collections::HashMap::new();
    for found in &state.existing {
        by_name.entry(found.name.to_ascii_lowercase()).or_default().push(found);
    }
    let mut targets = Vec::new();
    let mut rows = Vec::new();
    for secret in &declared {
        let source = format!("{}:{}", args.request.file, secret.line);
        // A name may exist both as a temporary and as a persistent secret: drop each.
        let matches = by_name.get(&secret.name.to_ascii_lowercase()).map(Vec::as_slice).unwrap_or_default();
        if matches.is_empty() {
            rows.push(UnloadRow {
                name: secret.name.clone(),
                r#type: secret.type_name.clone(),
                persistent: None,
                storage: None,
                action: "absent".into(),
                source: source.clone(),
            });
            continue;
        }
        for &found in matches {
            targets.push((found.clone(), format!("secret '{}' ({source})", secret.name)));
            let action = if args.dry_run { "dry_run" } else { "dropped" };
            rows.push(UnloadRow {
                name: secret.name.clone(),
                r#type: secret.type_name.clone(),
                persistent: Some(found.persistent),
                storage: Some(found.storage.clone()),
                action: action.into(),
                source: source.clone(),
            });
        }
    }
    let plan = plan::plan_unload(&targets, &state)?;
    if !args.dry_run {
        apply::run_plan(conn, &plan, &Scrubber::new())?;
        let unloaded: Vec<String> = declared.iter().map(|d| d.name.clone()).collect();
        shared.loaded.forget(&unloaded);
        // Records of secrets already dropped by other means: the DROPs removed the others.
        super::provenance::forget_on_disk(&state.secret_directory, &unloaded);
    }
    Ok(rows)
}
