//! What this extension loaded into one database. It lives in the functions' extra info,
//! created at LOAD and freed with the database's catalog, so two databases in one process
//! keep separate lists and a closed database leaves nothing behind.

use std::sync::{Arc, Mutex};

use super::apply;
use super::connection::CallConnection;
use super::Shared;
use crate::core::files::{self, expand_home};
use crate::core::plan;
use crate::core::provenance::{self, Origin, Record, Status};
use crate::core::request::{Outcome, Request};

#[derive(Clone, Default)]
pub struct Loaded(Arc<Mutex<Vec<Record>>>);

impl Loaded {
    /// Records secrets just loaded, replacing earlier records of the same names.
    pub fn remember(&self, records: Vec<Record>) {
        let mut list = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let names: std::collections::HashSet<&str> = records.iter().map(|r| r.name.as_str()).collect();
        list.retain(|old| !names.contains(old.name.as_str()));
        list.extend(records);
    }

    pub fn forget(&self, names: &[String]) {
        let mut list = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let names: std::collections::HashSet<&String> = names.iter().collect();
        list.retain(|old| !names.contains(&old.name));
    }

    pub fn snapshot(&self) -> Vec<Record> {
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }
}

/// Microseconds since the Unix epoch, for `loaded_at`.
pub fn now_micros() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
}

/// Where a load's secrets came from: the file, and the fingerprints of its definitions as
/// validation read them (the text that was loaded, read once).
pub fn origin(request: &Request, outcome: &Outcome) -> Origin {
    let given = expand_home(&request.file);
    let path = std::fs::canonicalize(&given).unwrap_or(given);
    Origin {
        file: request.file.clone(),
        path,
        key: request.key.clone(),
        definitions: outcome.definitions.clone(),
        env_files: outcome.env_files.clone(),
    }
}

/// Every secret this extension loaded into the database, with its status now: the one drift
/// report behind `yaml_secrets()`, `secrets_check()` and `secrets_drift()`. Drift checks read
/// files as a load does: not at all without external access.
pub fn drift(conn: &CallConnection, shared: &Shared) -> Result<Vec<(Record, Status)>, String> {
    let mut state = apply::checked_state(conn, false)?;
    apply::read_existing(conn, &mut state)?;
    let records = provenance::merge(shared.loaded.snapshot(), records_on_disk(&state.secret_directory));
    let statuses = provenance::check(&records, &state.existing);
    Ok(records.into_iter().zip(statuses).collect())
}

/// Record files read per check at most: a secret directory holds one per persistent secret.
const MAX_RECORD_FILES: usize = 100_000;

/// The provenance records beside DuckDB's persistent secrets (`<name>.yamlsecrets.json` in
/// `secret_directory`), read when a check asks, so they survive a restart. Only regular files
/// of a bounded size are read; anything else there is not a record.
fn records_on_disk(directory: &str) -> Vec<Record> {
    if directory.is_empty() {
        return Vec::new();
    }
    let Ok(entries) = std::fs::read_dir(directory) else { return Vec::new() };
    entries
        .filter_map(Result::ok)
        .filter(|entry| entry.file_name().to_str().is_some_and(|n| n.ends_with(provenance::RECORD_SUFFIX)))
        .take(MAX_RECORD_FILES)
        .filter_map(|entry| files::read_bounded(&entry.path(), provenance::MAX_RECORD_BYTES).ok())
        .filter_map(|text| Record::from_json(&text))
        .collect()
}

/// Removes the provenance records of these secrets from `secret_directory`.
pub fn forget_on_disk(directory: &str, names: &[String]) {
    for name in names {
        if let Some(path) = plan::secret_file(directory, &name.to_ascii_lowercase()).and_then(|p| plan::record_file(&p))
        {
            let _ = std::fs::remove_file(path);
        }
    }
}
