//! `secrets_check(path, …)`: the load's whole validation with no side effect, as rows —
//! a lint for CI and dbt tests. And `secrets_check()`: `'ok'` while everything this
//! extension loaded is still present and unchanged at its origin, else what changed.

use duckdb::core::{DataChunkHandle, Inserter, LogicalTypeHandle};
use duckdb::vscalar::{ScalarFunctionSignature, VScalar};
use duckdb::vtab::arrow::WritableVector;
use duckdb::vtab::{BindInfo, InitInfo, TableFunctionInfo, VTab};

use super::apply;
use super::args::{self, Bound, CallArgs};
use super::connection::CallConnection;
use super::duckdb_rs_compat::scalar_invoke;
use super::output::{varchar, Cell, Pending};
use super::Shared;
use crate::core::provenance::{Drift, Status};
use crate::core::validate;

pub struct SecretsCheckTable;

impl VTab for SecretsCheckTable {
    type BindData = Bound;
    type InitData = Pending;

    fn bind(bind: &BindInfo) -> Result<Bound, Box<dyn std::error::Error>> {
        let columns = ["name", "type", "severity", "field", "message", "source"].map(|name| (name, varchar()));
        let mut bound = args::bind_call(bind, columns.into())?;
        bound.args.request.lint = true;
        Ok(bound)
    }

    fn init(_: &InitInfo) -> Result<Pending, Box<dyn std::error::Error>> {
        Ok(Pending::default())
    }

    fn func(info: &TableFunctionInfo<Self>, output: &mut DataChunkHandle) -> Result<(), Box<dyn std::error::Error>> {
        let bound = info.get_bind_data();
        info.get_init_data().emit(output, || bound.shared.database.with_connection(|conn| check(conn, &bound.args)))
    }

    fn parameters() -> Option<Vec<LogicalTypeHandle>> {
        Some(vec![varchar()])
    }

    fn named_parameters() -> Option<Vec<(String, LogicalTypeHandle)>> {
        Some(args::named_parameters(&["persistent", "key", "names", "env_file", "allow_commands"]))
    }
}

fn check(conn: &CallConnection, args: &CallArgs) -> Result<Vec<Vec<Cell>>, String> {
    let (_, environment) = apply::checked_state(conn, false)?;
    let outcome = validate::validate_file(&args.request, &environment);
    Ok(outcome
        .diagnostics
        .iter()
        .map(|d| {
            let type_name = d.secret.as_ref().and_then(|name| outcome.declared_type(name));
            vec![
                Cell::Text(d.secret.clone()),
                Cell::Text(type_name),
                Cell::text(d.severity.as_str()),
                Cell::Text(d.field.clone()),
                Cell::text(&d.message),
                Cell::text(d.source()),
            ]
        })
        .collect())
}

/// `secrets_check()`: one text for the whole chunk.
fn drift_report(
    shared: &Shared,
    input: &mut DataChunkHandle,
    output: &mut dyn WritableVector,
) -> Result<(), Box<dyn std::error::Error>> {
    let report = shared.database.with_connection(|conn| {
        // Drift checks read files as a load does: not at all without external access.
        let (state, _) = apply::checked_state(conn, false)?;
        let existing: std::collections::HashSet<String> =
            state.existing.into_iter().map(|e| e.name.to_ascii_lowercase()).collect();
        let mut drift = Drift::new();
        let mut problems = Vec::new();
        for record in shared.loaded.snapshot() {
            let present = existing.contains(&record.name);
            match drift.status(&record, present) {
                Status::Ok => {}
                Status::Missing => problems.push(format!(
                    "secret '{}': missing (dropped since it was loaded from {})",
                    record.name, record.file
                )),
                Status::Stale(reasons) => {
                    problems.push(format!("secret '{}': stale: {}", record.name, reasons.join("; ")))
                }
            }
        }
        Ok(if problems.is_empty() { "ok".to_string() } else { problems.join("\n") })
    })?;
    let vector = output.flat_vector();
    for row in 0..input.len().max(1) {
        vector.insert(row, report.as_str());
    }
    Ok(())
}

pub struct SecretsCheckScalar;

impl VScalar for SecretsCheckScalar {
    type State = Shared;

    scalar_invoke!(drift_report);

    fn signatures() -> Vec<ScalarFunctionSignature> {
        vec![ScalarFunctionSignature::exact(vec![], varchar())]
    }

    fn volatile() -> bool {
        true
    }
}
