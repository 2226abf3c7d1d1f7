//! `test_secrets_yaml(path, …)`: resolves the file as a load does, then tries every secret
//! against its service (see `core::probe` for what a try is) and returns one row per
//! secret: name, type, status, target, message, elapsed_ms. Nothing of the caller's changes.
//!
//! Each try runs on its own connection, on its own thread, so a file of many secrets takes
//! about one timeout, not one per secret. DuckDB offers an extension no interrupt of a
//! per-call connection (see connection.rs), so a try that outlives its deadline is reported
//! `unreachable` and left to finish on its thread: its secret is uncommitted (no other
//! transaction ever sees it) and its transaction is rolled back, and what it attached
//! detached, whenever DuckDB returns.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use duckdb::core::DataChunkHandle;
use duckdb::vtab::{BindInfo, InitInfo, TableFunctionInfo, VTab};

use super::apply;
use super::args::{self, CallArgs, ALLOW_COMMANDS, ENV_FILE, KEY, NAMES, PATH};
use super::connection::CallConnection;
use super::environment;
use super::functions::{declared_parameters, table_row, Declared, DoubleText, Named, Signature};
use super::output::Pending;
use super::Shared;
use crate::core::diagnostics::error_report;
use crate::core::probe::{self, Plan, Status, Try};
use crate::core::secret_value::Scrubber;
use crate::core::validate;

const WITHHELD: &str = "DuckDB's message was withheld because it quoted a secret value";

/// Tries run at once; a larger file runs in waves of this many.
const WAVE: usize = 16;

/// How long past the timeout a try may take before it is given up: DuckDB's own timeouts
/// fire first and say more than ours would.
const GRACE: Duration = Duration::from_secs(2);

/// Seconds a try may take (`probe::timeout_seconds` bounds it).
const TIMEOUT: Named<DoubleText> = Named::new("timeout");

pub struct TestSecretsYaml;

impl Declared for TestSecretsYaml {
    const SIGNATURE: Signature = Signature {
        name: "test_secrets_yaml",
        positional: &[PATH],
        named: &[KEY.param, NAMES.param, ENV_FILE.param, ALLOW_COMMANDS.param, TIMEOUT.param],
    };
    type Row = TestRow;
}

table_row! {
    /// One secret and what its try found.
    pub struct TestRow {
        name: String,
        r#type: String,
        status: String,
        target: String,
        message: String,
        elapsed_ms: i32,
    }
}

pub struct Bound {
    args: CallArgs,
    timeout_s: u64,
    shared: Shared,
}

impl VTab for TestSecretsYaml {
    type BindData = Bound;
    type InitData = Pending<TestRow>;

    fn bind(bind: &BindInfo) -> Result<Bound, Box<dyn std::error::Error>> {
        let args::Bound { args, shared } = args::bind_call::<Self>(bind)?;
        let timeout = TIMEOUT.get(bind).map(|DoubleText(text)| text);
        let timeout_s = probe::timeout_seconds(timeout.as_deref())?;
        Ok(Bound { args, timeout_s, shared })
    }

    fn init(_: &InitInfo) -> Result<Pending<TestRow>, Box<dyn std::error::Error>> {
        Ok(Pending::default())
    }

    fn func(info: &TableFunctionInfo<Self>, output: &mut DataChunkHandle) -> Result<(), Box<dyn std::error::Error>> {
        let bound = info.get_bind_data();
        let database = bound.shared.database;
        info.get_init_data().emit(output, || {
            database.with_connection(|conn| test_file(conn, &bound.shared, &bound.args, bound.timeout_s))
        })
    }

    declared_parameters!();
}

/// What came back from one try: its index, and DuckDB's error if it failed.
type Answer = (usize, Result<(), String>, Duration);

fn test_file(conn: &CallConnection, shared: &Shared, args: &CallArgs, timeout_s: u64) -> Result<Vec<TestRow>, String> {
    // Same policy as a load: the tries create secrets, which logging could record.
    let mut state = apply::checked_state(conn, true)?;
    let (_, outcome) = environment::validated(conn, &mut state, &shared.known, false, |environment| {
        validate::validate_file(&args.request, environment)
    })?;
    let database = shared.database;
    if outcome.has_errors() {
        return Err(error_report(&outcome.diagnostics));
    }
    // Messages lose every value of the file, as a load's do; targets (host, port, database,
    // scope: what the user needs to see) only the credentials.
    let mut scrubber = Scrubber::new();
    let mut credentials = Scrubber::new();
    for secret in &outcome.secrets {
        for value in secret.values_to_scrub() {
            scrubber.add(&value);
            if value.sensitive {
                credentials.add(&value);
            }
        }
    }
    let tag = apply::call_tag();
    let probes = outcome
        .secrets
        .iter()
        .enumerate()
        .map(|(index, secret)| {
            let test_paths =
                outcome.test_paths.iter().find(|(name, _)| *name == secret.name).map_or(&[][..], |(_, p)| p.as_slice());
            probe::plan(secret, test_paths, &format!("__yamlsecrets_probe_{tag}_{index}"), timeout_s)
        })
        .collect::<Result<Vec<_>, _>>()?;

    let mut answers: Vec<Option<(Status, String, Duration)>> = vec![None; probes.len()];
    let tries: Vec<(usize, &Try)> = probes
        .iter()
        .enumerate()
        .filter_map(|(index, p)| match &p.plan {
            Plan::Try(t) => Some((index, t)),
            Plan::Untestable(_) => None,
        })
        .collect();
    let deadline = Duration::from_secs(timeout_s) + GRACE;
    for wave in tries.chunks(WAVE) {
        let started = Instant::now();
        let (sender, receiver) = mpsc::channel::<Answer>();
        for &(index, t) in wave {
            let sender = sender.clone();
            let t = t.clone();
            let spawned = std::thread::Builder::new().name("yamlsecrets-probe".into()).spawn(move || {
                let began = Instant::now();
                let result = database.with_connection(|c| run_try(c, &t));
                let _ = sender.send((index, result, began.elapsed()));
            });
            if spawned.is_err() {
                answers[index] = Some((
                    Status::Unreachable,
                    "yamlsecrets could not start a thread for the try".into(),
                    Duration::ZERO,
                ));
            }
        }
        drop(sender);
        while wave.iter().any(|(index, _)| answers[*index].is_none()) {
            let Some(left) = deadline.checked_sub(started.elapsed()) else { break };
            match receiver.recv_timeout(left) {
                Ok((index, result, took)) => answers[index] = Some(judge(result, &scrubber, took)),
                Err(mpsc::RecvTimeoutError::Timeout) => break,
                // Every thread is done; one that panicked sent nothing.
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
        for &(index, _) in wave {
            if answers[index].is_none() {
                let gave_up = started.elapsed();
                let message = if gave_up >= deadline {
                    format!("no answer within {timeout_s} s (timeout)")
                } else {
                    "the try ended without an answer".to_string()
                };
                answers[index] = Some((Status::Unreachable, message, gave_up));
            }
        }
    }

    Ok(outcome
        .secrets
        .iter()
        .zip(probes)
        .zip(answers)
        .map(|((secret, probe), answer)| {
            let (status, message, took) = match (probe.plan, answer) {
                (Plan::Untestable(why), _) => (Status::Untestable, why, Duration::ZERO),
                (Plan::Try(_), Some(answer)) => answer,
                (Plan::Try(_), None) => (Status::Unreachable, "not tried".into(), Duration::ZERO),
            };
            TestRow {
                name: secret.name.clone(),
                r#type: secret.type_name.clone(),
                status: status.as_str().to_string(),
                target: credentials.scrub(&probe.target, WITHHELD).to_string(),
                message: scrubber.scrub(&message, WITHHELD).to_string(),
                elapsed_ms: i32::try_from(took.as_millis()).unwrap_or(i32::MAX),
            }
        })
        .collect())
}

/// One try on its own connection: bounded by the settings, the secret created and used in a
/// transaction that is always rolled back, then the cleanup, whatever happened.
fn run_try(conn: &CallConnection, t: &Try) -> Result<(), String> {
    for setting in &t.settings {
        let _ = conn.execute(setting);
    }
    conn.execute("BEGIN TRANSACTION")?;
    let mut result = conn.execute(&t.create);
    if result.is_ok() {
        result = t.checks.iter().try_for_each(|check| conn.execute(check));
    }
    let _ = conn.execute("ROLLBACK");
    for statement in &t.cleanup {
        let _ = conn.execute(statement);
    }
    result
}

fn judge(result: Result<(), String>, scrubber: &Scrubber, took: Duration) -> (Status, String, Duration) {
    match result {
        Ok(()) => (Status::Ok, String::new(), took),
        Err(raw) => {
            let scrubbed = scrubber.scrub(&raw, WITHHELD);
            let line = probe::one_line(&scrubbed);
            let line = scrubber.without_partial_tail(&line).to_string();
            (probe::classify(&raw), line, took)
        }
    }
}
