//! `unload_secrets_yaml(path, …)`: drops the secrets the file defines, temporary and
//! persistent, all or nothing; one row per secret, `dropped` or `absent`. Values are not
//! resolved, so unloading works after the variables are gone.

use duckdb::core::{DataChunkHandle, LogicalTypeHandle};
use duckdb::vtab::{BindInfo, InitInfo, TableFunctionInfo, VTab};

use super::apply;
use super::args::{self, Bound, CallArgs};
use super::connection::CallConnection;
use super::output::{boolean, varchar, Cell, Pending};
use super::Shared;
use crate::core::diagnostics::error_report;
use crate::core::plan;
use crate::core::secret_value::Scrubber;
use crate::core::validate;

pub struct UnloadSecretsYaml;

impl VTab for UnloadSecretsYaml {
    type BindData = Bound;
    type InitData = Pending;

    fn bind(bind: &BindInfo) -> Result<Bound, Box<dyn std::error::Error>> {
        let columns = vec![
            ("name", varchar()),
            ("type", varchar()),
            ("persistent", boolean()),
            ("storage", varchar()),
            ("action", varchar()),
            ("source", varchar()),
        ];
        Ok(args::bind_call(bind, columns)?)
    }

    fn init(_: &InitInfo) -> Result<Pending, Box<dyn std::error::Error>> {
        Ok(Pending::default())
    }

    fn func(info: &TableFunctionInfo<Self>, output: &mut DataChunkHandle) -> Result<(), Box<dyn std::error::Error>> {
        let bound = info.get_bind_data();
        info.get_init_data()
            .emit(output, || bound.shared.database.with_connection(|conn| unload(conn, &bound.args, &bound.shared)))
    }

    fn parameters() -> Option<Vec<LogicalTypeHandle>> {
        Some(vec![varchar()])
    }

    fn named_parameters() -> Option<Vec<(String, LogicalTypeHandle)>> {
        Some(args::named_parameters(&["dry_run", "key", "names"]))
    }
}

fn unload(conn: &CallConnection, args: &CallArgs, shared: &Shared) -> Result<Vec<Vec<Cell>>, String> {
    let (state, _) = apply::checked_state(conn, false)?;
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
            rows.push(row(&secret.name, &secret.type_name, None, None, "absent", &source));
            continue;
        }
        for &found in matches {
            targets.push((found.clone(), format!("secret '{}' ({source})", secret.name)));
            let action = if args.dry_run { "dry_run" } else { "dropped" };
            rows.push(row(
                &secret.name,
                &secret.type_name,
                Some(found.persistent),
                Some(&found.storage),
                action,
                &source,
            ));
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

fn row(
    name: &str,
    type_name: &str,
    persistent: Option<bool>,
    storage: Option<&str>,
    action: &str,
    source: &str,
) -> Vec<Cell> {
    vec![
        Cell::text(name),
        Cell::text(type_name),
        Cell::Bool(persistent),
        Cell::Text(storage.map(str::to_string)),
        Cell::text(action),
        Cell::text(source),
    ]
}
