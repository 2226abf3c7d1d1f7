//! Secrets × DuckDB's state → the statements of a call, in the order that keeps it all or
//! nothing, each with how it is undone; and the policy that refuses a call before it starts.
//! Pure: the DuckDB layer reads the [`State`] (two queries, the policy first) and runs the
//! [`Plan`].
//!
//! Why this order (observed with DuckDB v1.5.5, see SECURITY.md "All or nothing"):
//! - Temporary secrets live in DuckDB's catalog only, so a transaction's ROLLBACK undoes them.
//! - A persistent CREATE or DROP changes the catalog *and* writes or deletes its file at once.
//!   Inside a transaction, ROLLBACK puts the catalog entry back but not the file. So the
//!   executor copies each `local_file` secret file just before its statement and, on
//!   failure, rolls back and puts the copies back: list and disk are both as before.
//! - Everything that can be checked without changing anything is checked first (policy,
//!   storages, `replace := false`), then every persistent secret is tried as a throwaway
//!   temporary one in a transaction that is always rolled back (values, casts, OAuth round
//!   trips), and only then does one transaction run temporary work before persistent work:
//!   a conflict on a temporary secret is met before any file is touched.
//! - A persistent secret in a storage other than `local_file` cannot be copied; those run
//!   last, and a failure after one of them says so.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use super::autoload::Extensions;
use super::diagnostics::Location;
use super::render;
use super::secret::Secret;

/// A secret as DuckDB reports it in `duckdb_secrets()`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Existing {
    pub name: String,
    pub persistent: bool,
    pub storage: String,
}

/// DuckDB's logging settings, as `current_setting` shows them.
#[derive(Debug, Clone, Default)]
pub struct Logging {
    pub enabled: bool,
    pub level: String,
    pub mode: String,
    pub enabled_types: String,
    pub disabled_types: String,
    pub query_path: String,
}

/// What a call needs to know of the database before it changes anything.
#[derive(Debug, Clone, Default)]
pub struct State {
    pub external_access: bool,
    pub logging: Logging,
    pub allow_persistent: bool,
    /// Where a persistent secret without `storage` goes (`default_secret_storage`).
    pub default_storage: String,
    /// `secret_directory`: where `local_file` keeps `<name>.duckdb_secret`.
    pub secret_directory: String,
    pub existing: Vec<Existing>,
    /// Storages asked about (see [`storages_to_probe`]): name, and `Some(persistent)` for one
    /// that exists, `None` for one DuckDB does not have.
    pub probed: Vec<(String, Option<bool>)>,
    /// Loaded and installed extensions, and the autoload policy.
    pub extensions: Extensions,
}

/// Storages every supported DuckDB has: (name, persistent).
const BUILT_IN_STORAGES: &[(&str, bool)] = &[("memory", false), ("local_file", true)];
/// The storage whose files yamlsecrets knows how to copy and put back.
pub const LOCAL_FILE: &str = "local_file";
/// DuckDB 2.0's `IN connection` keeps a secret in the connection that created it, and
/// yamlsecrets creates secrets on a connection of its own that closes when the call ends.
const CONNECTION_LOCAL_STORAGES: &[&str] = &["connection"];

/// Log types that can record a credential while a secret is created: name, the level they
/// log at (they are recorded at that `logging_level` and any more verbose one), what they
/// log, and why that matters.
const CAPTURING_LOG_TYPES: &[(&str, Level, &str, &str)] = &[
    ("QueryLog", Level::Info, "queries", "QueryLog would record every CREATE SECRET with its values"),
    (
        "HTTP",
        Level::Debug,
        "HTTP requests",
        "HTTP would record the requests a secret makes when it is created (an Iceberg OAuth2 token \
         request carries client_id:client_secret)",
    ),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Level {
    Trace,
    Debug,
    Info,
    Warning,
}

fn level(text: &str) -> Level {
    match text.trim().to_ascii_uppercase().as_str() {
        "DEBUG" => Level::Debug,
        "INFO" => Level::Info,
        "WARN" | "WARNING" | "ERROR" | "FATAL" => Level::Warning,
        // TRACE, and anything unknown: assume the most verbose.
        _ => Level::Trace,
    }
}

fn listed(list: &str, item: &str) -> bool {
    list.split(',').any(|t| t.trim().eq_ignore_ascii_case(item))
}

/// Refuses the call before it reads any file: without external access nothing is read; and
/// a call that creates secrets is refused while DuckDB logs what could carry a credential.
pub fn check_policy(state: &State, creates_secrets: bool) -> Result<(), String> {
    if !state.external_access {
        return Err("yamlsecrets: enable_external_access is false, so no file is read and no secret is created".into());
    }
    if creates_secrets {
        if let Some(refusal) = logging_refusal(&state.logging) {
            return Err(refusal);
        }
    }
    Ok(())
}

/// Which log types would record a credential now, and the setting that stops each.
pub fn logging_refusal(logging: &Logging) -> Option<String> {
    let mut what = Vec::new();
    let mut reasons = Vec::new();
    let mut fixes = Vec::new();
    if logging.enabled {
        let now = level(&logging.level);
        let mode = logging.mode.trim().to_ascii_uppercase();
        let active: Vec<_> = CAPTURING_LOG_TYPES
            .iter()
            .filter(|(name, logs_at, _, _)| match mode.as_str() {
                // Conservative: a type selected by name counts whatever the level.
                "ENABLE_SELECTED" => listed(&logging.enabled_types, name),
                "DISABLE_SELECTED" => now <= *logs_at && !listed(&logging.disabled_types, name),
                _ => now <= *logs_at,
            })
            .collect();
        let names: Vec<&str> = active.iter().map(|(name, _, _, _)| *name).collect();
        what.extend(active.iter().map(|(_, _, noun, _)| noun.to_string()));
        reasons.extend(active.iter().map(|(_, _, _, why)| why.to_string()));
        if !active.is_empty() {
            fixes.push("CALL disable_logging()".to_string());
            fixes.push(match mode.as_str() {
                "ENABLE_SELECTED" => format!(
                    "SET enabled_log_types to a list without {} (now '{}')",
                    names.join(" and "),
                    logging.enabled_types.trim()
                ),
                "DISABLE_SELECTED" => {
                    let mut disabled: Vec<&str> =
                        logging.disabled_types.split(',').map(str::trim).filter(|t| !t.is_empty()).collect();
                    disabled.extend(&names);
                    format!("SET disabled_log_types = '{}'", disabled.join(","))
                }
                _ => format!("SET logging_level = 'WARNING' (now '{}')", logging.level),
            });
        }
    }
    // Alternatives for the logger; log_query_path needs its own change on top.
    let mut fix = fixes.join(", or ");
    if !logging.query_path.is_empty() {
        what.push("queries to a file".into());
        reasons.push("log_query_path would record every CREATE SECRET with its values".into());
        fix = if fix.is_empty() { "RESET log_query_path".into() } else { format!("{fix}; and RESET log_query_path") };
    }
    if what.is_empty() {
        return None;
    }
    Some(format!(
        "yamlsecrets: DuckDB is logging {}, which would record credentials ({}); turn that off first ({fix}), \
         or use dry_run := true",
        what.join(" and "),
        reasons.join("; "),
    ))
}

/// Where DuckDB's `local_file` storage keeps a secret: `<secret_directory>/<name>.duckdb_secret`.
/// `None` when the name could not be a plain file name there.
pub fn secret_file(directory: &str, name: &str) -> Option<PathBuf> {
    let plain = !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\\', '\0']);
    (plain && !directory.is_empty()).then(|| Path::new(directory).join(format!("{name}.duckdb_secret")))
}

/// How a step is undone when the call fails after it ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Undo {
    /// Temporary: the transaction's ROLLBACK undoes it.
    Rollback,
    /// Persistent in `local_file`: ROLLBACK restores DuckDB's list; the executor copies
    /// this file just before the statement and puts the copy back.
    RestoreFile(PathBuf),
    /// Persistent elsewhere: ROLLBACK restores DuckDB's list, but what the storage itself
    /// wrote cannot be put back by yamlsecrets.
    Unrestorable { storage: String },
}

/// One statement, and what to call it in a message (`secret 'x' (secrets.yaml:12)`).
#[derive(Debug, Clone)]
pub struct Step {
    pub sql: String,
    pub label: String,
    pub undo: Undo,
    /// A CREATE (its secret exists afterwards) rather than a DROP.
    pub creates: bool,
    /// The provenance record kept beside a `local_file` secret (see `core::provenance`): written
    /// with a CREATE, removed with a DROP, and copied and put back with the secret file.
    pub record: Option<RecordFile>,
}

/// `<secret_directory>/<name>.yamlsecrets.json`, and what a step writes there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordFile {
    pub path: PathBuf,
    pub secret: String,
    /// `None`: the file is removed (a DROP, or a CREATE whose record is not known).
    pub contents: Option<String>,
}

impl Step {
    fn new(sql: String, label: String, undo: Undo, creates: bool, secret: &str) -> Step {
        let record = match &undo {
            Undo::RestoreFile(path) => {
                record_file(path).map(|path| RecordFile { path, secret: secret.to_ascii_lowercase(), contents: None })
            }
            _ => None,
        };
        Step { sql, label, undo, creates, record }
    }
}

/// Where the provenance record of the secret kept in `secret_file` goes.
pub fn record_file(secret_file: &Path) -> Option<PathBuf> {
    let name = secret_file.file_name()?.to_str()?.strip_suffix(".duckdb_secret")?;
    Some(secret_file.with_file_name(format!("{name}.yamlsecrets.json")))
}

impl Plan {
    /// The records the CREATE steps write, by lower-case secret name.
    pub fn set_records(&mut self, records: &HashMap<String, String>) {
        for step in self.steps.iter_mut().filter(|s| s.creates) {
            if let Some(record) = &mut step.record {
                record.contents = records.get(&record.secret).cloned();
            }
        }
    }
}

/// What the executor runs: `trial` in a transaction that is always rolled back, then `steps`
/// in one transaction, in order. Steps with [`Undo::Rollback`] come first.
#[derive(Debug, Default)]
pub struct Plan {
    pub trial: Vec<Step>,
    pub steps: Vec<Step>,
}

fn storage_of(secret: &Secret, state: &State) -> String {
    match &secret.storage {
        Some(storage) => storage.clone(),
        None if secret.persistent && !state.default_storage.is_empty() => state.default_storage.clone(),
        None if secret.persistent => LOCAL_FILE.into(),
        None => "memory".into(),
    }
}

/// Storages known without probing, name → persistent: DuckDB's own, those existing secrets
/// live in, and those probed. Built once per call: a batch may hold many thousand secrets.
fn known_storages(state: &State) -> HashMap<&str, bool> {
    let mut known: HashMap<&str, bool> = BUILT_IN_STORAGES.iter().copied().collect();
    for existing in &state.existing {
        known.entry(existing.storage.as_str()).or_insert(existing.persistent);
    }
    for (name, answer) in &state.probed {
        if let Some(persistent) = answer {
            known.insert(name.as_str(), *persistent);
        }
    }
    known
}

/// The names of the secrets that exist now, lower case, in any storage.
pub fn existing_names(state: &State) -> HashSet<String> {
    state.existing.iter().map(|e| e.name.to_ascii_lowercase()).collect()
}

/// The same-named secrets in other storages than the one `storage` a load writes to: DuckDB
/// keeps each storage apart, so `CREATE OR REPLACE` of a temporary `lake` leaves a persistent
/// `lake` in place (and DuckDB reads that one again at its next start). A load makes the
/// file's definition the only secret of its name, so these are dropped in the same call.
fn shadowed<'a>(secret: &Secret, storage: &str, state: &'a State) -> Vec<&'a Existing> {
    state.existing.iter().filter(|e| e.name.eq_ignore_ascii_case(&secret.name) && e.storage != storage).collect()
}

fn where_it_is(existing: &Existing) -> String {
    if existing.persistent {
        format!("persistent, in {}", existing.storage)
    } else {
        format!("temporary, in {}", existing.storage)
    }
}

/// At most this many storages are asked about per call: each question is a round trip, and
/// real files name one or two besides DuckDB's own.
pub const MAX_PROBED_STORAGES: usize = 8;

/// Storages the batch names that DuckDB must be asked about before anything runs.
pub fn storages_to_probe(secrets: &[Secret], state: &State) -> Vec<String> {
    let known = known_storages(state);
    let mut out: Vec<String> = Vec::new();
    for secret in secrets {
        let storage = storage_of(secret, state);
        let connection_local = CONNECTION_LOCAL_STORAGES.contains(&storage.as_str());
        let asked = state.probed.iter().any(|(name, _)| *name == storage);
        if !connection_local && !asked && !known.contains_key(storage.as_str()) && !out.contains(&storage) {
            out.push(storage);
            if out.len() == MAX_PROBED_STORAGES {
                break;
            }
        }
    }
    out
}

/// A side-effect-free question to DuckDB, run in a transaction that is rolled back: does
/// this storage exist, and is it persistent? `tag` makes the name unique to the call.
pub fn probe_sql(storage: &str, tag: &str, index: usize) -> Result<String, String> {
    let probe = Secret {
        name: format!("__yamlsecrets_probe_{tag}_{index}"),
        type_name: "http".into(),
        provider: None,
        scope: Vec::new(),
        persistent: false,
        storage: Some(storage.to_string()),
        params: Vec::new(),
        at: Location::default(),
        sources: Vec::new(),
    };
    render::create_secret(&probe, false)
        .map(|r| r.sql)
        .map_err(|_| "yamlsecrets: a storage name holds a NUL byte".to_string())
}

/// What a probe's outcome says: `Some(persistent)` for a storage that exists, `None` for one
/// DuckDB does not have. A temporary secret is refused only by a persistent storage.
pub fn probe_outcome(result: Result<(), &str>) -> Option<bool> {
    match result {
        Ok(()) => Some(false),
        Err(message) if message.contains("persistent secret storage") => Some(true),
        Err(_) => None,
    }
}

/// Problems listed in one message; the rest are counted.
const MAX_PROBLEMS_SHOWN: usize = 20;

/// The statements of a load. Every problem found before anything runs is returned at once
/// (the first [`MAX_PROBLEMS_SHOWN`], then how many more).
pub fn plan_load(secrets: &[Secret], file: &str, replace: bool, state: &State, tag: &str) -> Result<Plan, String> {
    let existing: HashSet<(String, bool)> =
        state.existing.iter().map(|e| (e.name.to_ascii_lowercase(), e.persistent)).collect();
    let exists = |s: &Secret| existing.contains(&(s.name.to_ascii_lowercase(), s.persistent));
    let known = known_storages(state);
    if !replace {
        // In any storage: a second secret of the same name would shadow the first.
        let taken: Vec<String> = secrets
            .iter()
            .flat_map(|s| state.existing.iter().filter(|e| e.name.eq_ignore_ascii_case(&s.name)).map(move |e| (s, e)))
            .map(|(s, e)| {
                let elsewhere =
                    if e.persistent == s.persistent { String::new() } else { format!(" ({})", where_it_is(e)) };
                format!("'{}'{elsewhere}", e.name)
            })
            .collect();
        if !taken.is_empty() {
            return Err(format!(
                "yamlsecrets: replace := false, and these secrets already exist: {}; no secret was created",
                taken.join(", ")
            ));
        }
    }
    let mut problems = Vec::new();
    let mut plan = Plan::default();
    let mut later = Vec::new();
    for (index, secret) in secrets.iter().enumerate() {
        let label = format!("secret '{}' ({file}:{})", secret.name, secret.at.line);
        let storage = storage_of(secret, state);
        if let Some(problem) = storage_problem(secret, &storage, &known, state) {
            problems.push(format!("{label}: {problem}"));
            continue;
        }
        let nul = |_| format!("{label} holds a NUL byte, which DuckDB cannot store");
        let sql = match render::create_secret(secret, replace).map_err(nul) {
            Ok(rendered) => rendered.sql,
            Err(problem) => {
                problems.push(problem);
                continue;
            }
        };
        for other in shadowed(secret, &storage, state) {
            let drop = render::drop_secret(&other.name, other.persistent, other.persistent.then_some(&*other.storage));
            let Ok(drop) = drop else {
                problems.push(format!("{label} holds a NUL byte, which DuckDB cannot store"));
                continue;
            };
            let drop_label =
                format!("to drop secret '{}' ({}), which {label} replaces", other.name, where_it_is(other));
            if other.persistent {
                let undo = persistent_undo(&other.storage, &other.name, state);
                later.push((true, Step::new(drop, drop_label, undo, false, &other.name)));
            } else {
                plan.steps.push(Step::new(drop, drop_label, Undo::Rollback, false, &other.name));
            }
        }
        if !secret.persistent {
            plan.steps.push(Step::new(sql, label, Undo::Rollback, true, &secret.name));
            continue;
        }
        let mut stand_in = secret.clone();
        stand_in.name = format!("__yamlsecrets_trial_{tag}_{index}");
        stand_in.persistent = false;
        stand_in.storage = None;
        if let Ok(trial) = render::create_secret(&stand_in, false) {
            plan.trial.push(Step::new(trial.sql, label.clone(), Undo::Rollback, true, &stand_in.name));
        }
        let undo = persistent_undo(&storage, &secret.name, state);
        later.push((exists(secret), Step::new(sql, label, undo, true, &secret.name)));
    }
    if !problems.is_empty() {
        let more = problems.len().saturating_sub(MAX_PROBLEMS_SHOWN);
        problems.truncate(MAX_PROBLEMS_SHOWN);
        if more > 0 {
            problems.push(format!("and {more} more"));
        }
        return Err(format!("yamlsecrets: {}\nnothing of this call was applied", problems.join("\n")));
    }
    plan.steps.extend(order_persistent(later));
    Ok(plan)
}

fn storage_problem(secret: &Secret, storage: &str, known: &HashMap<&str, bool>, state: &State) -> Option<String> {
    if CONNECTION_LOCAL_STORAGES.contains(&storage) {
        return Some(format!(
            "storage '{storage}' keeps a secret only in the connection that creates it, and yamlsecrets \
             creates secrets on a connection of its own that closes when the call ends; use 'memory'"
        ));
    }
    match (known.get(storage).copied(), secret.persistent) {
        // A storage DuckDB does not know is not quoted: it may have come from a ${…} reference
        // holding something else entirely (known storages are DuckDB's own names).
        (None, _) if !state.probed.iter().any(|(name, _)| name == storage) => Some(format!(
            "its storage was not checked: a call may name at most {MAX_PROBED_STORAGES} storages besides \
             DuckDB's own"
        )),
        (None, _) => Some(
            "its storage does not exist in this database (DuckDB's own are 'memory', for temporary secrets, \
             and 'local_file', for persistent ones)"
                .into(),
        ),
        (Some(true), false) => Some(format!(
            "storage '{storage}' keeps persistent secrets, and this secret is temporary: \
             add persistent: true, or leave storage out"
        )),
        (Some(false), true) => Some(format!(
            "storage '{storage}' keeps temporary secrets, and this secret is persistent: \
             remove persistent: true, or leave storage out"
        )),
        (Some(true), true) if !state.allow_persistent => {
            Some("is persistent, and this database has allow_persistent_secrets = false".into())
        }
        _ => None,
    }
}

fn persistent_undo(storage: &str, name: &str, state: &State) -> Undo {
    match secret_file(&state.secret_directory, name) {
        Some(path) if storage == LOCAL_FILE => Undo::RestoreFile(path),
        _ => Undo::Unrestorable { storage: storage.to_string() },
    }
}

/// Restorable persistent steps first; then the unrestorable ones, new secrets before
/// replaced ones, so that a failure among them has changed as little as possible.
fn order_persistent(mut steps: Vec<(bool, Step)>) -> Vec<Step> {
    // A stable sort: restorable steps keep the file's order.
    steps.sort_by_key(|(exists, step)| {
        let unrestorable = matches!(step.undo, Undo::Unrestorable { .. });
        (unrestorable, unrestorable && *exists)
    });
    steps.into_iter().map(|(_, step)| step).collect()
}

/// The statements of an unload: for each `(secret found in DuckDB, label)`, its DROP.
pub fn plan_unload(targets: &[(Existing, String)], state: &State) -> Result<Plan, String> {
    let mut plan = Plan::default();
    let mut later = Vec::new();
    for (found, label) in targets {
        // DuckDB takes a storage only for persistent drops.
        let storage = found.persistent.then_some(found.storage.as_str());
        let sql = render::drop_secret(&found.name, found.persistent, storage)
            .map_err(|_| format!("yamlsecrets: {label} holds a NUL byte"))?;
        let label = format!("to drop {label}");
        if found.persistent {
            let undo = persistent_undo(&found.storage, &found.name, state);
            later.push((true, Step::new(sql, label, undo, false, &found.name)));
        } else {
            plan.steps.push(Step::new(sql, label, Undo::Rollback, false, &found.name));
        }
    }
    plan.steps.extend(order_persistent(later));
    Ok(plan)
}

/// What could not be put back after a failure, one line each, never a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Leftover {
    /// The file of a `local_file` secret could not be copied before, or written back after.
    File { label: String, path: PathBuf, why: String },
    /// A statement that succeeded in a storage yamlsecrets cannot restore.
    Storage { label: String, storage: String },
}

/// The message of a failed call: which statement DuckDB refused and, when something could
/// not be put back, exactly what.
pub fn failure_message(label: &str, duckdb_message: &str, leftovers: &[Leftover]) -> String {
    if leftovers.is_empty() {
        return format!("yamlsecrets: DuckDB refused {label}; nothing of this call was applied: {duckdb_message}");
    }
    let mut message = format!(
        "yamlsecrets: DuckDB refused {label}: {duckdb_message}\nThe call was undone (duckdb_secrets() is as before) except:"
    );
    for leftover in leftovers {
        message.push_str("\n- ");
        message.push_str(&match leftover {
            Leftover::File { label, path, why } => format!(
                "{label}: its file {} could not be put back ({why}); it may hold the new definition, \
                 which DuckDB would read at the next start",
                path.display()
            ),
            Leftover::Storage { label, storage } => format!(
                "{label}: storage '{storage}' was changed, and yamlsecrets can only put back secrets of \
                 '{LOCAL_FILE}'; check it"
            ),
        });
    }
    message
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
