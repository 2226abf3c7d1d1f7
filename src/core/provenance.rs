//! What yamlsecrets loaded, and whether it still matches its origin: the secret may have
//! been dropped since, and the file or a variable it read may have changed. Only
//! fingerprints are kept, never values.

use std::collections::HashMap;
use std::path::PathBuf;

use super::interpolate::{self, fingerprint, Source, Variables};
use super::validate::Secret;

#[derive(Debug, Clone)]
pub struct Record {
    pub name: String,
    pub type_name: String,
    /// The path as the user gave it, and where it pointed.
    pub file: String,
    pub path: PathBuf,
    pub line: usize,
    pub persistent: bool,
    /// Microseconds since the Unix epoch.
    pub loaded_at: i64,
    pub file_fingerprint: u64,
    pub sources: Vec<Source>,
    /// Dotenv files the call consulted, to look variables up the same way later.
    pub env_files: Vec<PathBuf>,
}

impl Record {
    pub fn new(
        secret: &Secret,
        file: &str,
        path: PathBuf,
        file_fingerprint: u64,
        env_files: Vec<PathBuf>,
        loaded_at: i64,
    ) -> Self {
        Record {
            name: secret.name.clone(),
            type_name: secret.type_name.clone(),
            file: file.to_string(),
            path,
            line: secret.at.line,
            persistent: secret.persistent,
            loaded_at,
            file_fingerprint,
            sources: secret.sources.clone(),
            env_files,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    Ok,
    Missing,
    /// What changed, one reason each (never a value).
    Stale(Vec<String>),
}

impl Status {
    pub fn as_str(&self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Missing => "missing",
            Status::Stale(_) => "stale",
        }
    }
}

/// Compares records with the world as it is now. Files and dotenv sets are read once per
/// check, however many secrets came from them.
#[derive(Default)]
pub struct Drift {
    files: HashMap<PathBuf, Option<u64>>,
    variables: HashMap<Vec<PathBuf>, Variables>,
    value_files: HashMap<PathBuf, Option<u64>>,
}

impl Drift {
    pub fn new() -> Self {
        Drift::default()
    }

    pub fn status(&mut self, record: &Record, still_exists: bool) -> Status {
        if !still_exists {
            return Status::Missing;
        }
        let mut reasons = Vec::new();
        let now = *self
            .files
            .entry(record.path.clone())
            .or_insert_with(|| std::fs::read_to_string(&record.path).ok().map(|t| fingerprint(&t)));
        match now {
            Some(now) if now == record.file_fingerprint => {}
            Some(_) => reasons.push(format!("{} changed since the load", record.file)),
            None => reasons.push(format!("{} can no longer be read", record.file)),
        }
        let variables = self.variables.entry(record.env_files.clone()).or_insert_with(|| {
            let mut variables = Variables::new();
            for env_file in &record.env_files {
                if let Ok(text) = std::fs::read_to_string(env_file) {
                    let _ = variables.add_dotenv(&text);
                }
            }
            variables
        });
        for source in &record.sources {
            match source {
                Source::Env { name, fingerprint: then } => {
                    let now = variables.lookup(name).as_deref().map(fingerprint);
                    if now != *then {
                        let what = match (then, now) {
                            (Some(_), None) => "is no longer set",
                            (None, Some(_)) => "is set now but was not at the load",
                            _ => "changed since the load",
                        };
                        reasons.push(format!("variable {name} {what}"));
                    }
                }
                // Commands are not run again to look for drift: that would be a side effect.
                Source::Command { .. } => {}
                Source::File { path, fingerprint: then } => {
                    let now = *self.value_files.entry(path.clone()).or_insert_with(|| {
                        interpolate::read_bounded(path, interpolate::MAX_VALUE_FILE_BYTES).ok().map(|t| {
                            let value = t.strip_suffix('\n').map(|v| v.strip_suffix('\r').unwrap_or(v)).unwrap_or(&t);
                            fingerprint(value)
                        })
                    });
                    if now != *then {
                        reasons.push(format!("value file {} changed since the load", path.display()));
                    }
                }
            }
        }
        reasons.dedup();
        if reasons.is_empty() {
            Status::Ok
        } else {
            Status::Stale(reasons)
        }
    }
}
