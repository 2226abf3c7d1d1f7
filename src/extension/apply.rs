//! Everything yamlsecrets does to DuckDB's secrets, on the per-call connection: reading the
//! database's policy and its secrets, and running a [`Plan`] (planned in `core::plan`, which
//! explains the order) all or nothing. What the database offers a file (its secret types and
//! extensions) is `environment`'s.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use zeroize::Zeroizing;

use super::connection::CallConnection;
use crate::core::autoload::{Extensions, Need};
use crate::core::files::expand_home;
use crate::core::plan::{self, Existing, Leftover, Logging, Plan, State, Step, Undo};
use crate::core::secret::Secret;
use crate::core::secret_value::Scrubber;

const WITHHELD: &str = "DuckDB's message was withheld because it quoted a secret value";

/// The settings every call reads (through `CallConnection::settings`).
const SETTINGS: [&str; 9] = [
    "enable_external_access",
    "enable_logging",
    "log_query_path",
    "allow_persistent_secrets",
    "default_secret_storage",
    "secret_directory",
    "autoload_known_extensions",
    "autoinstall_known_extensions",
    "autoinstall_extension_repository",
];

/// The settings that say what DuckDB's log records, read only while logging is on.
const LOGGING_SETTINGS: [&str; 4] = ["logging_level", "logging_mode", "enabled_log_types", "disabled_log_types"];

pub fn truthy(value: &str) -> bool {
    matches!(value.to_ascii_lowercase().as_str(), "1" | "true")
}

/// The current values of `names`, as a lookup by name.
fn current_settings<'a>(conn: &CallConnection, names: &'a [&'a str]) -> Result<impl Fn(&str) -> String + 'a, String> {
    let values = conn.settings(names)?;
    Ok(move |name: &str| {
        names.iter().position(|n| *n == name).and_then(|i| values.get(i).cloned().flatten()).unwrap_or_default()
    })
}

/// Reads the database's policy settings and refuses the call they forbid. The policy comes
/// before anything else is read: without external access even listing extensions touches
/// the disk and fails.
pub fn checked_state(conn: &CallConnection, creates_secrets: bool) -> Result<State, String> {
    let setting = current_settings(conn, &SETTINGS)?;
    let mut logging = Logging {
        enabled: truthy(&setting("enable_logging")),
        query_path: setting("log_query_path"),
        ..Logging::default()
    };
    if logging.enabled {
        let logged = current_settings(conn, &LOGGING_SETTINGS)?;
        logging.level = logged("logging_level");
        logging.mode = logged("logging_mode");
        logging.enabled_types = logged("enabled_log_types");
        logging.disabled_types = logged("disabled_log_types");
    }
    let state = State {
        external_access: truthy(&setting("enable_external_access")),
        logging,
        allow_persistent: truthy(&setting("allow_persistent_secrets")),
        default_storage: setting("default_secret_storage"),
        // DuckDB expands a leading `~` in it, as expand_home does.
        secret_directory: expand_home(&setting("secret_directory")).to_string_lossy().into_owned(),
        existing: Vec::new(),
        probed: Vec::new(),
        extensions: Extensions {
            autoload: truthy(&setting("autoload_known_extensions")),
            autoinstall: truthy(&setting("autoinstall_known_extensions")),
            repository: setting("autoinstall_extension_repository"),
            unknown: at_load(),
            ..Extensions::default()
        },
    };
    plan::check_policy(&state, creates_secrets)?;
    Ok(state)
}

/// Adds the database's secrets, in every storage, to `state`.
pub fn read_existing(conn: &CallConnection, state: &mut State) -> Result<(), String> {
    for row in conn.query_rows("SELECT name, persistent, storage FROM duckdb_secrets()")? {
        let mut cells = row.into_iter().map(Option::unwrap_or_default);
        let name = cells.next().unwrap_or_default();
        let persistent = truthy(&cells.next().unwrap_or_default());
        state.existing.push(Existing { name, persistent, storage: cells.next().unwrap_or_default() });
    }
    Ok(())
}

/// Whether this call runs inside `LOAD yamlsecrets` (see `during_load`).
pub fn at_load() -> bool {
    AT_LOAD.with(std::cell::Cell::get)
}

thread_local! {
    static AT_LOAD: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `work` as part of `LOAD yamlsecrets` (YAMLSECRETS_FILE, see startup.rs): DuckDB then
/// holds the lock `duckdb_extensions()` waits for, so `checked_state` must not list them.
pub fn during_load<R>(work: impl FnOnce() -> R) -> R {
    AT_LOAD.with(|flag| flag.set(true));
    let outcome = work();
    AT_LOAD.with(|flag| flag.set(false));
    outcome
}

/// Brings in the extensions the call's secrets need, as DuckDB's own CREATE SECRET would
/// (see `core::autoload`); a failure is the load's error for a missing extension.
pub fn bring_extensions(
    conn: &CallConnection,
    needs: &[Need],
    state: &State,
    scrubber: &Scrubber,
) -> Result<(), String> {
    for need in needs {
        let statements =
            need.statements(&state.extensions).map_err(|_| "yamlsecrets: an extension name holds a NUL byte")?;
        for sql in statements {
            conn.execute(&sql).map_err(|raw| need.failure(&scrubber.scrub(&raw, WITHHELD)))?;
        }
    }
    Ok(())
}

/// A tag unique to this call in this process, for the names of throwaway secrets: two calls
/// at once must not meet on the same name (temporary secrets live in this process only).
pub fn call_tag() -> String {
    static CALLS: AtomicU64 = AtomicU64::new(0);
    format!("{}_{}", std::process::id(), CALLS.fetch_add(1, Ordering::Relaxed))
}

/// Asks DuckDB about each storage the batch names that is not known yet, each in a
/// transaction that is rolled back, and records the answers in `state`.
pub fn probe_storages(conn: &CallConnection, secrets: &[Secret], state: &mut State, tag: &str) -> Result<(), String> {
    for (index, storage) in plan::storages_to_probe(secrets, state).into_iter().enumerate() {
        let sql = plan::probe_sql(&storage, tag, index)?;
        conn.execute("BEGIN TRANSACTION")?;
        let result = conn.execute(&sql);
        let _ = conn.execute("ROLLBACK");
        let answer = plan::probe_outcome(result.as_ref().map(|_| ()).map_err(String::as_str));
        state.probed.push((storage, answer));
    }
    Ok(())
}

/// Runs a plan: the trial in a transaction that is always rolled back; then every step in one
/// transaction, temporary ones first (a chunk at a time), persistent ones one by one, each
/// `local_file` secret file copied just before its statement. On any failure: ROLLBACK, put
/// the copies back, and say what (if anything) could not be put back.
pub fn run_plan(conn: &CallConnection, plan: &Plan, scrubber: &Scrubber) -> Result<(), String> {
    let refused = |label: &str, raw: &str, leftovers: &[Leftover]| {
        plan::failure_message(label, &scrubber.scrub(raw, WITHHELD), leftovers)
    };
    if !plan.trial.is_empty() {
        run_steps(conn, &plan.trial, false).map_err(|(label, raw)| refused(&label, &raw, &[]))?;
    }
    if plan.steps.is_empty() {
        return Ok(());
    }
    let first_persistent = plan.steps.iter().position(|s| s.undo != Undo::Rollback).unwrap_or(plan.steps.len());
    let (transactional, persistent) = plan.steps.split_at(first_persistent);
    // The common case, a few temporary secrets: one round trip. If anything fails, the
    // transaction is rolled back and the steps run again the long way, which names the step.
    // One statement is all or nothing by itself: it needs no transaction of its own.
    if persistent.is_empty() && transactional.len() <= CHUNK {
        let fast = match transactional {
            [only] => conn.execute(&only.sql),
            _ => {
                let statements: String = transactional.iter().map(|step| format!("{};\n", step.sql)).collect();
                conn.execute(&format!("BEGIN TRANSACTION;\n{statements}COMMIT;"))
            }
        };
        if fast.is_ok() {
            return Ok(());
        }
        let _ = conn.execute("ROLLBACK");
    }
    // Leaves the transaction open on success.
    run_steps(conn, transactional, true).map_err(|(label, raw)| refused(&label, &raw, &[]))?;

    let mut touched: Vec<Touched> = Vec::new();
    for step in persistent {
        let copy = match &step.undo {
            Undo::RestoreFile(path) => Some(copy_of(path)),
            _ => None,
        };
        let record_copy = step.record.as_ref().map(|record| copy_of(&record.path));
        let mut result = conn.execute(&step.sql);
        // If DuckDB did not keep the file where the plan says (a layout this version does not
        // share), the copy proves nothing: count the step as one that cannot be put back.
        let copy = match (&step.undo, copy) {
            (Undo::RestoreFile(path), Some(copy)) if result.is_ok() && path.exists() != step.creates => {
                Some(copy.and(Err("DuckDB did not keep it at this path".to_string())))
            }
            (_, copy) => copy,
        };
        // The provenance record changes with its secret, inside the same undo.
        if let (Ok(_), Some(record)) = (&result, &step.record) {
            let contents = record.contents.as_ref().map(|c| Zeroizing::new(c.as_bytes().to_vec()));
            if let Err(why) = restore_file(&record.path, contents.as_ref()) {
                result = Err(format!("yamlsecrets' provenance record {} {why}", record.path.display()));
            }
        }
        touched.push(Touched { step, copy, record_copy, ran: result.is_ok() });
        if let Err(raw) = result {
            let _ = conn.execute("ROLLBACK");
            return Err(refused(&step.label, &raw, &put_back(&touched)));
        }
    }
    if let Err(raw) = conn.execute("COMMIT") {
        let _ = conn.execute("ROLLBACK");
        return Err(refused("this call's COMMIT", &raw, &put_back(&touched)));
    }
    Ok(())
}

/// Statements sent to DuckDB per round trip: parsing a chunk at once saves DuckDB a parse
/// and a result per statement, and chunks keep the parsed statements held at once small.
const CHUNK: usize = 256;

/// Runs the steps in a new transaction, a chunk at a time; it is left open (`keep_open`) or
/// rolled back. When a chunk fails, everything is rolled back and the steps run again one by
/// one in a fresh transaction: that run names the step DuckDB refuses, and stands as the
/// real one if nothing is refused this time (a conflict that has since gone away). The error
/// is `(label, DuckDB's message)`, and the transaction is then closed.
fn run_steps(conn: &CallConnection, steps: &[Step], keep_open: bool) -> Result<(), (String, String)> {
    let whole = |raw: String| ("this call's statements".to_string(), raw);
    let end = |ok: Result<(), (String, String)>| -> Result<(), (String, String)> {
        if ok.is_err() || !keep_open {
            let _ = conn.execute("ROLLBACK");
        }
        ok
    };
    conn.execute("BEGIN TRANSACTION").map_err(whole)?;
    let chunked = steps.chunks(CHUNK).try_for_each(|chunk| {
        let text: String = chunk.iter().map(|step| format!("{};\n", step.sql)).collect();
        conn.execute(&text)
    });
    let Err(batch_error) = chunked else { return end(Ok(())) };
    let _ = conn.execute("ROLLBACK");
    conn.execute("BEGIN TRANSACTION").map_err(whole)?;
    for step in steps {
        if let Err(raw) = conn.execute(&step.sql) {
            return end(Err((step.label.clone(), raw)));
        }
    }
    if keep_open {
        return Ok(());
    }
    // The trial failed as a whole yet no single statement did: say so rather than pass it.
    end(Err(whole(batch_error)))
}

/// A persistent step that was run (or tried), and the copy of its file from just before.
struct Touched<'a> {
    step: &'a Step,
    copy: Option<Result<Option<Zeroizing<Vec<u8>>>, String>>,
    /// The copy of its provenance record file, when it has one.
    record_copy: Option<Result<Option<Zeroizing<Vec<u8>>>, String>>,
    ran: bool,
}

/// Secret files DuckDB writes are small; anything larger is not one of them.
const MAX_SECRET_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// The bytes of a secret file (`None`: there is no such file). Never follows a symlink.
fn copy_of(path: &Path) -> Result<Option<Zeroizing<Vec<u8>>>, String> {
    let metadata = match std::fs::symlink_metadata(path) {
        Ok(metadata) => metadata,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("could not be copied before: {e}")),
    };
    if !metadata.is_file() || metadata.len() > MAX_SECRET_FILE_BYTES {
        return Err("could not be copied before: not a regular secret file".into());
    }
    std::fs::read(path).map(|bytes| Some(Zeroizing::new(bytes))).map_err(|e| format!("could not be copied before: {e}"))
}

/// Puts every touched file back as it was (in reverse order), after the ROLLBACK has put
/// DuckDB's list back; returns what could not be.
fn put_back(touched: &[Touched]) -> Vec<Leftover> {
    let mut leftovers = Vec::new();
    for t in touched.iter().rev() {
        if let (Some(record), Some(copy)) = (&t.step.record, &t.record_copy) {
            let restored =
                copy.as_ref().map_err(Clone::clone).and_then(|before| restore_file(&record.path, before.as_ref()));
            if let Err(why) = restored {
                leftovers.push(Leftover::File { label: t.step.label.clone(), path: record.path.clone(), why });
            }
        }
        match (&t.step.undo, &t.copy) {
            (Undo::RestoreFile(path), Some(copy)) => {
                let restored =
                    copy.as_ref().map_err(Clone::clone).and_then(|before| restore_file(path, before.as_ref()));
                if let Err(why) = restored {
                    leftovers.push(Leftover::File { label: t.step.label.clone(), path: path.clone(), why });
                }
            }
            (Undo::Unrestorable { storage }, _) if t.ran => {
                leftovers.push(Leftover::Storage { label: t.step.label.clone(), storage: storage.clone() })
            }
            _ => {}
        }
    }
    leftovers.reverse();
    leftovers
}

/// Writes `before` back to `path` (or removes the file when there was none), mode 0600 as
/// DuckDB requires, through a temporary file and a rename so that no half-written file
/// is ever in place.
fn restore_file(path: &Path, before: Option<&Zeroizing<Vec<u8>>>) -> Result<(), String> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let Some(bytes) = before else {
        return match std::fs::remove_file(path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(format!("could not be removed: {e}")),
            _ => Ok(()),
        };
    };
    if copy_of(path).ok().flatten().is_some_and(|now| now.as_slice() == bytes.as_slice()) {
        return Ok(());
    }
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".yamlsecrets-restore");
    let temporary = std::path::PathBuf::from(temporary);
    // A stale one from an interrupted restore could carry another mode.
    let _ = std::fs::remove_file(&temporary);
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&temporary)
        .and_then(|mut file| file.write_all(bytes).and_then(|()| file.sync_all()))
        .and_then(|()| std::fs::rename(&temporary, path));
    written.map_err(|e| {
        let _ = std::fs::remove_file(&temporary);
        format!("could not be written back: {e}")
    })
}
