//! What yamlsecrets loaded, and whether it still matches its origin: the secret may have
//! been dropped since, and the file or a variable it read may have changed. Only
//! fingerprints are kept, never values.

use std::collections::HashMap;
use std::path::PathBuf;

use super::files;
use super::fingerprint::fingerprint;
use super::interpolate::{Source, Variables};
use super::secret::Secret;
use super::yaml::MAX_FILE_BYTES;

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
    /// The variables of each set of dotenv files, and those of its files that exist but can
    /// no longer be read.
    variables: HashMap<Vec<PathBuf>, (Variables, Vec<PathBuf>)>,
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
        // The same bounded, regular-file-only reader as a load: a file swapped for a FIFO or a
        // link to /dev/zero is "can no longer be read", not a hang or gigabytes.
        let now = *self
            .files
            .entry(record.path.clone())
            .or_insert_with(|| files::read_bounded(&record.path, MAX_FILE_BYTES).ok().map(|t| fingerprint(&t)));
        match now {
            Some(now) if now == record.file_fingerprint => {}
            Some(_) => reasons.push(format!("{} changed since the load", record.file)),
            None => reasons.push(format!("{} can no longer be read", record.file)),
        }
        let (variables, unreadable) = self.variables.entry(record.env_files.clone()).or_insert_with(|| {
            let mut variables = Variables::new();
            let mut unreadable = Vec::new();
            for env_file in &record.env_files {
                match files::read_bounded(env_file, files::MAX_VALUE_FILE_BYTES) {
                    Ok(text) => {
                        let _ = variables.add_dotenv(&text);
                    }
                    Err(_) => unreadable.push(env_file.clone()),
                }
            }
            (variables, unreadable)
        });
        for env_file in unreadable.iter() {
            reasons.push(format!("env_file {} can no longer be read", env_file.display()));
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
                // Commands are not run again to look for drift: that would be a side effect.
                Source::Command { .. } => {}
                Source::File { path, fingerprint: then } => {
                    let now = *self
                        .value_files
                        .entry(path.clone())
                        .or_insert_with(|| files::read_value_file(path).ok().map(|value| fingerprint(&value)));
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;
    use std::time::{Duration, Instant};

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("ys-provenance-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn fifo(path: &Path) {
        let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo");
    }

    fn record(path: PathBuf, text: &str, env_files: Vec<PathBuf>) -> Record {
        Record {
            name: "s".into(),
            type_name: "http".into(),
            file: "secrets.yaml".into(),
            path,
            line: 2,
            persistent: false,
            loaded_at: 0,
            file_fingerprint: fingerprint(text),
            sources: vec![Source::Env { name: "YS_PROVENANCE_TEST_UNSET".into(), fingerprint: None }],
            env_files,
        }
    }

    #[test]
    fn special_files_are_refused_at_once_by_the_reader() {
        let dir = scratch("reader");
        fifo(&dir.join("fifo"));
        let started = Instant::now();
        let err = files::read_bounded(&dir.join("fifo"), 1024).unwrap_err();
        assert!(err.contains("not a regular file"), "{err}");
        let err = files::read_bounded(Path::new("/dev/zero"), 1024).unwrap_err();
        assert!(err.contains("not a regular file"), "{err}");
        std::os::unix::fs::symlink("/dev/zero", dir.join("zero")).unwrap();
        let err = files::read_bounded(&dir.join("zero"), 1024).unwrap_err();
        assert!(err.contains("not a regular file"), "{err}");
        assert!(started.elapsed() < Duration::from_secs(2));
        std::fs::write(dir.join("plain"), "a: b\n").unwrap();
        assert_eq!(files::read_bounded(&dir.join("plain"), 1024).unwrap(), "a: b\n");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn drift_checks_read_files_bounded_and_never_block() {
        let dir = scratch("drift");
        let text = "secrets: {}\n";
        let yaml = dir.join("secrets.yaml");
        let env = dir.join(".env");
        std::fs::write(&yaml, text).unwrap();
        std::fs::write(&env, "A=1\n").unwrap();
        let record = record(yaml.clone(), text, vec![env.clone()]);
        assert_eq!(Drift::new().status(&record, true), Status::Ok);

        // the secrets file becomes a link to /dev/zero, the dotenv file a FIFO: refused, fast
        std::fs::remove_file(&yaml).unwrap();
        std::os::unix::fs::symlink("/dev/zero", &yaml).unwrap();
        std::fs::remove_file(&env).unwrap();
        fifo(&env);
        let started = Instant::now();
        let Status::Stale(reasons) = Drift::new().status(&record, true) else { panic!("expected stale") };
        assert!(started.elapsed() < Duration::from_secs(2));
        assert!(reasons.contains(&"secrets.yaml can no longer be read".to_string()), "{reasons:?}");
        assert!(
            reasons.iter().any(|r| r.starts_with("env_file") && r.ends_with("can no longer be read")),
            "{reasons:?}"
        );

        // a secrets file grown past the size limit is not read either
        std::fs::remove_file(&yaml).unwrap();
        let big = std::fs::File::create(&yaml).unwrap();
        big.set_len(MAX_FILE_BYTES + 1).unwrap();
        let Status::Stale(reasons) = Drift::new().status(&record, true) else { panic!("expected stale") };
        assert!(reasons.contains(&"secrets.yaml can no longer be read".to_string()), "{reasons:?}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
