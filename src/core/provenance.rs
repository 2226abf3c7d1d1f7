//! What yamlsecrets loaded, and whether it still matches its origin: the secret may have
//! been dropped since, shadowed by a secret of the same name in another storage, and its
//! definition in the file or a variable or file it read may have changed. Drift is per
//! secret: editing one secret of a file leaves the others `ok`. Only fingerprints are kept,
//! never values.

use std::collections::HashMap;
use std::path::PathBuf;

use super::definitions;
use super::document;
use super::files;
use super::fingerprint::fingerprint;
use super::interpolate::{Source, Variables};
use super::plan::Existing;
use super::secret::Secret;
use super::yaml::MAX_FILE_BYTES;

#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub name: String,
    pub type_name: String,
    /// The path as the user gave it, and where it pointed.
    pub file: String,
    pub path: PathBuf,
    /// `key :=` of the load: where in the file the secrets are.
    pub key: Option<String>,
    pub line: usize,
    pub persistent: bool,
    /// Microseconds since the Unix epoch.
    pub loaded_at: i64,
    /// Fingerprint of the secret's definition as written (see [`definitions`]); `None` when
    /// the file changed while it was being loaded, so nothing vouches for what was read.
    pub definition: Option<u64>,
    pub sources: Vec<Source>,
    /// Dotenv files the call consulted, to look variables up the same way later.
    pub env_files: Vec<PathBuf>,
}

/// What a load knows of its file besides the secrets: where it is, its definitions' fingerprints
/// ([`definitions`]), the dotenv files it consulted.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    pub file: String,
    pub path: PathBuf,
    pub key: Option<String>,
    pub definitions: HashMap<String, u64>,
    pub env_files: Vec<PathBuf>,
}

impl Record {
    pub fn new(secret: &Secret, origin: &Origin, loaded_at: i64) -> Self {
        Record {
            name: secret.name.clone(),
            type_name: secret.type_name.clone(),
            file: origin.file.clone(),
            path: origin.path.clone(),
            key: origin.key.clone(),
            line: secret.at.line,
            persistent: secret.persistent,
            loaded_at,
            definition: origin.definitions.get(&secret.name).copied(),
            // Commands are never re-run for drift, and their lines are not kept: a command
            // line may carry a credential of its own.
            sources: secret.sources.iter().filter(|s| !matches!(s, Source::Command { .. })).cloned().collect(),
            env_files: origin.env_files.clone(),
        }
    }
}

/// The marker and format version of a record file.
const RECORD_FORMAT: &str = "yamlsecrets_provenance";
/// Record files are a few hundred bytes; a larger one is not one of them.
pub const MAX_RECORD_BYTES: u64 = 256 * 1024;
/// The ending of a record file's name: `<secret_directory>/<name>.yamlsecrets.json`.
pub const RECORD_SUFFIX: &str = ".yamlsecrets.json";

fn hex(fingerprint: Option<u64>) -> serde_json::Value {
    fingerprint.map_or(serde_json::Value::Null, |f| format!("{f:016x}").into())
}

fn unhex(value: &serde_json::Value) -> Option<u64> {
    value.as_str().and_then(|t| u64::from_str_radix(t, 16).ok())
}

impl Record {
    /// The record kept beside a persistent secret in DuckDB's `secret_directory`, so that
    /// `yaml_secrets()` and `secrets_check()` know it after a restart: names, paths, line and
    /// fingerprints, never a value (commands are not kept at all).
    pub fn to_json(&self) -> String {
        let sources: Vec<serde_json::Value> = self
            .sources
            .iter()
            .filter_map(|source| match source {
                Source::Env { name, fingerprint } => {
                    Some(serde_json::json!({"env": name, "fingerprint": hex(*fingerprint)}))
                }
                Source::File { path, fingerprint } => {
                    Some(serde_json::json!({"file": path.to_string_lossy(), "fingerprint": hex(*fingerprint)}))
                }
                Source::Command { .. } => None,
            })
            .collect();
        serde_json::json!({
            "format": RECORD_FORMAT,
            "version": 1,
            "name": self.name,
            "type": self.type_name,
            "file": self.file,
            "path": self.path.to_string_lossy(),
            "key": self.key,
            "line": self.line,
            "loaded_at": self.loaded_at,
            "definition": hex(self.definition),
            "sources": sources,
            "env_files": self.env_files.iter().map(|p| p.to_string_lossy()).collect::<Vec<_>>(),
        })
        .to_string()
    }

    /// A record file read back (`None`: not one yamlsecrets wrote). Records are only written
    /// for persistent secrets.
    pub fn from_json(text: &str) -> Option<Record> {
        let v: serde_json::Value = serde_json::from_str(text).ok()?;
        if v["format"] != RECORD_FORMAT || v["version"] != 1 {
            return None;
        }
        let text_of = |key: &str| v[key].as_str().map(str::to_string);
        let sources = v["sources"]
            .as_array()?
            .iter()
            .filter_map(|s| match (s["env"].as_str(), s["file"].as_str()) {
                (Some(name), _) => Some(Source::Env { name: name.into(), fingerprint: unhex(&s["fingerprint"]) }),
                (_, Some(path)) => Some(Source::File { path: path.into(), fingerprint: unhex(&s["fingerprint"]) }),
                _ => None,
            })
            .collect();
        Some(Record {
            name: text_of("name")?,
            type_name: text_of("type")?,
            file: text_of("file")?,
            path: text_of("path")?.into(),
            key: text_of("key"),
            line: usize::try_from(v["line"].as_u64()?).ok()?,
            persistent: true,
            loaded_at: v["loaded_at"].as_i64()?,
            definition: unhex(&v["definition"]),
            sources,
            env_files: v["env_files"].as_array()?.iter().filter_map(|p| p.as_str().map(PathBuf::from)).collect(),
        })
    }
}

/// This process's records, and those read back from disk for secrets this process did not
/// load: a record in memory is the newer one.
pub fn merge(mut in_memory: Vec<Record>, on_disk: Vec<Record>) -> Vec<Record> {
    for record in on_disk {
        if !in_memory.iter().any(|r| r.name == record.name) {
            in_memory.push(record);
        }
    }
    in_memory
}

/// Fingerprint of each secret's definition in a file's text (see `definitions::of`); empty
/// when the text is not a readable document.
pub fn definitions(file: &str, text: &str, key: Option<&str>) -> HashMap<String, u64> {
    let mut problems = Vec::new();
    definitions::of(&document::read(file, text, key, &mut problems))
}

/// Fingerprints of a file's definitions by lower-case name.
type Definitions = HashMap<String, u64>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    Ok,
    Missing,
    /// Another secret of the same name exists in another storage; then what changed, if anything.
    Shadowed(Vec<String>),
    /// What changed, one reason each (never a value).
    Stale(Vec<String>),
}

impl Status {
    pub fn as_str(&self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Missing => "missing",
            Status::Shadowed(_) => "shadowed",
            Status::Stale(_) => "stale",
        }
    }

    /// The line `secrets_check()` shows for a problem (`None`: all is well).
    pub fn problem(&self, record: &Record) -> Option<String> {
        match self {
            Status::Ok => None,
            Status::Missing => Some(format!("missing (dropped since it was loaded from {})", record.file)),
            Status::Shadowed(reasons) => Some(format!("shadowed: {}", reasons.join("; "))),
            Status::Stale(reasons) => Some(format!("stale: {}", reasons.join("; "))),
        }
    }
}

/// Each record with its status now, given the secrets DuckDB lists: the one report behind
/// `yaml_secrets()`, `secrets_check()` and `secrets_drift()`.
pub fn check(records: &[Record], existing: &[Existing]) -> Vec<Status> {
    let mut drift = Drift::new();
    records
        .iter()
        .map(|record| {
            let same_name: Vec<&Existing> =
                existing.iter().filter(|e| e.name.eq_ignore_ascii_case(&record.name)).collect();
            if !same_name.iter().any(|e| e.persistent == record.persistent) {
                return Status::Missing;
            }
            let status = drift.status(record, true);
            let others: Vec<String> = same_name
                .iter()
                .filter(|e| e.persistent != record.persistent)
                .map(|e| format!("a {} secret '{}' exists too (in {})", kind(e.persistent), e.name, e.storage))
                .collect();
            if others.is_empty() {
                return status;
            }
            let mut reasons = vec![format!(
                "{}; DuckDB picks one of them by its own rules, not by yamlsecrets' file: reload the file (a \
                 load replaces both) or drop the other",
                others.join(", ")
            )];
            if let Status::Stale(stale) = status {
                reasons.extend(stale);
            }
            Status::Shadowed(reasons)
        })
        .collect()
}

fn kind(persistent: bool) -> &'static str {
    if persistent {
        "persistent"
    } else {
        "temporary"
    }
}

/// Compares records with the world as it is now. Files and dotenv sets are read once per
/// check, however many secrets came from them.
#[derive(Default)]
pub struct Drift {
    /// Definitions per (file, key): `None` when the file can no longer be read.
    files: HashMap<(PathBuf, Option<String>), Option<Definitions>>,
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
        let definitions = self.files.entry((record.path.clone(), record.key.clone())).or_insert_with(|| {
            files::read_bounded(&record.path, MAX_FILE_BYTES)
                .ok()
                .map(|text| definitions(&record.file, &text, record.key.as_deref()))
        });
        match definitions.as_ref().map(|d| d.get(&record.name)) {
            None => reasons.push(format!("{} can no longer be read", record.file)),
            Some(None) => reasons.push(format!("{} no longer defines it", record.file)),
            Some(Some(now)) if Some(*now) == record.definition => {}
            Some(Some(_)) => reasons.push(format!("its definition in {} changed since the load", record.file)),
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
            key: None,
            line: 2,
            persistent: false,
            loaded_at: 0,
            definition: definitions("secrets.yaml", text, None).get("s").copied(),
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
        let text = "secrets:\n  s:\n    type: http\n";
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

    #[test]
    fn drift_is_per_secret() {
        let dir = scratch("per-secret");
        let yaml = dir.join("secrets.yaml");
        let before = "# one\nsecrets:\n  a:\n    type: http\n    bearer_token: ${T}\n  b:\n    type: http\n";
        std::fs::write(&yaml, before).unwrap();
        let mut a = record(yaml.clone(), before, Vec::new());
        a.name = "a".into();
        a.definition = definitions("secrets.yaml", before, None).get("a").copied();
        let mut b = a.clone();
        b.name = "b".into();
        b.definition = definitions("secrets.yaml", before, None).get("b").copied();
        assert_eq!(Drift::new().status(&a, true), Status::Ok);
        // b edited, a comment and the lines around a moved: a is untouched
        std::fs::write(
            &yaml,
            "# two\n\nsecrets:\n  a:\n    type: http\n    bearer_token: ${T}\n  b:\n    type: HTTP\n",
        )
        .unwrap();
        assert_eq!(Drift::new().status(&a, true), Status::Ok);
        assert_eq!(
            Drift::new().status(&b, true),
            Status::Stale(vec!["its definition in secrets.yaml changed since the load".into()])
        );
        std::fs::write(&yaml, "secrets:\n  a:\n    type: http\n    bearer_token: ${T}\n").unwrap();
        assert_eq!(Drift::new().status(&b, true), Status::Stale(vec!["secrets.yaml no longer defines it".into()]));
        // a file option every secret reads changes every secret
        std::fs::write(&yaml, "options:\n  persistent: true\nsecrets:\n  a:\n    type: http\n    bearer_token: ${T}\n")
            .unwrap();
        assert!(matches!(Drift::new().status(&a, true), Status::Stale(_)));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn definitions_quote_no_value_and_tell_quoting_apart() {
        let plain = definitions("f", "secrets:\n  a:\n    type: http\n    port: 5432\n", None);
        let quoted = definitions("f", "secrets:\n  a:\n    type: http\n    port: \"5432\"\n", None);
        assert_ne!(plain.get("a"), quoted.get("a"));
        let listed = definitions("f", "secrets:\n  - name: A\n    type: http\n", None);
        assert!(listed.contains_key("a"));
        assert!(definitions("f", "secrets: [", None).is_empty());
    }

    #[test]
    fn a_same_name_in_the_other_storage_shadows() {
        let dir = scratch("shadow");
        let yaml = dir.join("secrets.yaml");
        let text = "secrets:\n  s:\n    type: http\n";
        std::fs::write(&yaml, text).unwrap();
        let record = record(yaml, text, Vec::new());
        let temporary = Existing { name: "s".into(), persistent: false, storage: "memory".into() };
        let persistent = Existing { name: "s".into(), persistent: true, storage: "local_file".into() };
        assert_eq!(check(std::slice::from_ref(&record), std::slice::from_ref(&temporary)), vec![Status::Ok]);
        assert_eq!(check(std::slice::from_ref(&record), std::slice::from_ref(&persistent)), vec![Status::Missing]);
        let both = check(std::slice::from_ref(&record), &[temporary, persistent]);
        let Status::Shadowed(reasons) = &both[0] else { panic!("{both:?}") };
        assert!(reasons[0].starts_with("a persistent secret 's' exists too (in local_file)"), "{reasons:?}");
        assert!(both[0].problem(&record).unwrap().starts_with("shadowed: "));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn records_go_to_disk_without_values_and_come_back() {
        let mut record = record(PathBuf::from("/etc/ys/secrets.yaml"), "secrets:\n  s:\n    type: http\n", Vec::new());
        record.persistent = true;
        record.key = Some("duckdb.secrets".into());
        record.env_files = vec![PathBuf::from("/etc/ys/.env")];
        record.sources.push(Source::File { path: "/run/secrets/token".into(), fingerprint: Some(u64::MAX) });
        record.sources.push(Source::Command { line: "vault read --token=abc".into() });
        let text = record.to_json();
        assert!(!text.contains("vault") && !text.contains("abc"), "{text}");
        let back = Record::from_json(&text).unwrap();
        record.sources.pop();
        assert_eq!(back, record);
        assert!(Record::from_json("{}").is_none());
        assert!(Record::from_json("not json").is_none());
        let other = Record { name: "t".into(), ..record.clone() };
        let merged = merge(vec![record.clone()], vec![Record { loaded_at: 9, ..record.clone() }, other.clone()]);
        assert_eq!(merged, vec![record, other]);
    }
}
