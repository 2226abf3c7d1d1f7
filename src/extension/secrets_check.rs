//! `secrets_check(path, …)`: the load's whole validation with no side effect, as rows —
//! a lint for CI and dbt tests. And `secrets_check()`: `SELECT secrets_check()` is `'ok'`
//! while everything this extension loaded is still present and unchanged at its origin, else
//! what changed; `FROM secrets_drift()` gives one row per change.

use duckdb::core::{DataChunkHandle, Inserter};
use duckdb::vscalar::{ScalarFunctionSignature, VScalar};
use duckdb::vtab::arrow::WritableVector;
use duckdb::vtab::{BindInfo, InitInfo, TableFunctionInfo, VTab};

use super::apply;
use super::args::{self, Bound, CallArgs, ALLOW_COMMANDS, ENV_FILE, KEY, NAMES, PATH, PERSISTENT};
use super::connection::CallConnection;
use super::duckdb_rs_compat::scalar_invoke;
use super::environment;
use super::functions::{
    add_result_columns, declared_parameters, table_row, Declared, DeclaredScalar, ScalarSignature, Signature, Type,
};
use super::output::Pending;
use super::provenance;
use super::Shared;
use crate::core::autoload;
use crate::core::validate;

table_row! {
    /// One finding, in both table forms: `secrets_check(path)`'s diagnostics and
    /// `secrets_drift()`'s changes.
    pub struct CheckRow {
        name: Option<String>,
        r#type: Option<String>,
        severity: String,
        field: Option<String>,
        message: String,
        source: String,
    }
}

pub struct SecretsCheckTable;

impl Declared for SecretsCheckTable {
    const SIGNATURE: Signature = Signature {
        name: "secrets_check",
        positional: &[PATH],
        named: &[PERSISTENT.param, KEY.param, NAMES.param, ENV_FILE.param, ALLOW_COMMANDS.param],
    };
    type Row = CheckRow;
}

impl VTab for SecretsCheckTable {
    type BindData = Bound;
    type InitData = Pending<CheckRow>;

    fn bind(bind: &BindInfo) -> Result<Bound, Box<dyn std::error::Error>> {
        let mut bound = args::bind_call::<Self>(bind)?;
        bound.args.request.lint = true;
        Ok(bound)
    }

    fn init(_: &InitInfo) -> Result<Pending<CheckRow>, Box<dyn std::error::Error>> {
        Ok(Pending::default())
    }

    fn func(info: &TableFunctionInfo<Self>, output: &mut DataChunkHandle) -> Result<(), Box<dyn std::error::Error>> {
        let bound = info.get_bind_data();
        info.get_init_data()
            .emit(output, || bound.shared.database.with_connection(|conn| check(conn, &bound.args, &bound.shared)))
    }

    declared_parameters!();
}

fn check(conn: &CallConnection, args: &CallArgs, shared: &Shared) -> Result<Vec<CheckRow>, String> {
    let mut state = apply::checked_state(conn, false)?;
    let (_, mut outcome) = environment::validated(conn, &mut state, &shared.known, true, |environment| {
        validate::validate_file(&args.request, environment)
    })?;
    let needs = autoload::needs(&outcome.secrets, &state.extensions);
    autoload::add_notes(&needs, &outcome.secrets, &args.request.file, &mut outcome.diagnostics);
    Ok(outcome
        .diagnostics
        .iter()
        .map(|d| {
            let type_name = d.secret.as_ref().and_then(|name| outcome.declared_type(name));
            CheckRow {
                name: d.secret.clone(),
                r#type: type_name,
                severity: d.severity.as_str().to_string(),
                field: d.field.clone(),
                message: d.message.clone(),
                source: d.source(),
            }
        })
        .collect())
}

/// One drift problem of a secret this extension loaded.
struct DriftProblem {
    name: String,
    type_name: String,
    message: String,
    source: String,
}

/// What changed since each secret this extension loaded was loaded (`provenance::drift`).
fn drift_problems(shared: &Shared) -> Result<Vec<DriftProblem>, String> {
    let checked = shared.database.with_connection(|conn| provenance::drift(conn, shared))?;
    Ok(checked
        .into_iter()
        .filter_map(|(record, status)| {
            let message = status.problem(&record)?;
            let source = format!("{}:{}", record.file, record.line);
            Some(DriftProblem { name: record.name, type_name: record.type_name, message, source })
        })
        .collect())
}

/// `secrets_check()` as a scalar: one text for the whole chunk.
fn drift_report(
    shared: &Shared,
    input: &mut DataChunkHandle,
    output: &mut dyn WritableVector,
) -> Result<(), Box<dyn std::error::Error>> {
    let problems = drift_problems(shared)?;
    let report = if problems.is_empty() {
        "ok".to_string()
    } else {
        problems.iter().map(|p| format!("secret '{}': {}", p.name, p.message)).collect::<Vec<_>>().join("\n")
    };
    let vector = output.flat_vector();
    for row in 0..input.len().max(1) {
        vector.insert(row, report.as_str());
    }
    Ok(())
}

/// `FROM secrets_drift()`: the drift report as rows, with `secrets_check(path)`'s columns,
/// so a dbt test or a CI query fails on any row; no row while everything is as loaded. It
/// has its own name because DuckDB v1.5.5 keeps only the first table function registered
/// under a name through the C API: a second `secrets_check` overload is accepted and dropped.
pub struct SecretsCheckDrift;

impl Declared for SecretsCheckDrift {
    const SIGNATURE: Signature = Signature { name: "secrets_drift", positional: &[], named: &[] };
    type Row = CheckRow;
}

impl VTab for SecretsCheckDrift {
    type BindData = Shared;
    type InitData = Pending<CheckRow>;

    fn bind(bind: &BindInfo) -> Result<Shared, Box<dyn std::error::Error>> {
        add_result_columns::<Self>(bind);
        Ok(Shared::from_bind(bind))
    }

    fn init(_: &InitInfo) -> Result<Pending<CheckRow>, Box<dyn std::error::Error>> {
        Ok(Pending::default())
    }

    fn func(info: &TableFunctionInfo<Self>, output: &mut DataChunkHandle) -> Result<(), Box<dyn std::error::Error>> {
        let shared = info.get_bind_data();
        info.get_init_data().emit(output, || {
            Ok(drift_problems(shared)?
                .into_iter()
                .map(|p| CheckRow {
                    name: Some(p.name),
                    r#type: Some(p.type_name),
                    severity: "error".into(),
                    field: None,
                    message: p.message,
                    source: p.source,
                })
                .collect())
        })
    }

    declared_parameters!();
}

pub struct SecretsCheckScalar;

impl DeclaredScalar for SecretsCheckScalar {
    const SIGNATURE: ScalarSignature =
        ScalarSignature { name: "secrets_check", positional: &[], returns: Type::Varchar, volatile: true };
}

impl VScalar for SecretsCheckScalar {
    type State = Shared;

    scalar_invoke!(drift_report);

    fn signatures() -> Vec<ScalarFunctionSignature> {
        Self::SIGNATURE.signatures()
    }

    fn volatile() -> bool {
        Self::SIGNATURE.volatile
    }
}
