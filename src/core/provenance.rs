//! What yamlsecrets loaded, and whether it still matches its origin: the secret may have
//! been dropped since, and the file or a variable it read may have changed. Only
//! fingerprints are kept, never values.

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

/// Compares a record with the world as it is now.
pub fn status(record: &Record, still_exists: bool) -> Status {
    if !still_exists {
        return Status::Missing;
    }
    let mut reasons = Vec::new();
    match std::fs::read_to_string(&record.path) {
        Ok(text) if fingerprint(&text) == record.file_fingerprint => {}
        Ok(_) => reasons.push(format!("{} changed since the load", record.file)),
        Err(_) => reasons.push(format!("{} can no longer be read", record.file)),
    }
    let mut variables = Variables::new();
    for env_file in &record.env_files {
        if let Ok(text) = std::fs::read_to_string(env_file) {
            let _ = variables.add_dotenv(&text);
        }
    }
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
            Source::File { path, fingerprint: then } => {
                let now = interpolate::read_bounded(path, interpolate::MAX_VALUE_FILE_BYTES).ok().map(|t| {
                    let value =
                        t.strip_suffix('\n').map(|v| v.strip_suffix('\r').unwrap_or(v)).unwrap_or(&t).to_string();
                    fingerprint(&value)
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
