//! One call's request, what the target DuckDB offers, and what a check or load found: the
//! shapes every stage from reading the file to the SQL functions' rows agrees on.

use std::path::PathBuf;

use super::diagnostics::{Diagnostic, Severity};
use super::document::{self, SecretDef};
use super::duckdb_versions::DuckdbVersion;
use super::secret::Secret;
use super::yaml::Node;

/// What the target DuckDB offers: its registered secret types and loaded extensions.
#[derive(Debug, Clone, Default)]
pub struct Environment {
    pub secret_types: Vec<String>,
    pub loaded_extensions: Vec<String>,
    /// Every type and extension counts as available (see `Environment::everything`).
    pub everything_loaded: bool,
    /// The loaded extensions could not be listed (at LOAD, DuckDB holds the lock that
    /// `duckdb_extensions()` waits for): a type DuckDB registers counts as available, and
    /// DuckDB itself refuses a provider whose extension is missing.
    pub extensions_unknown: bool,
    /// The running DuckDB (None: unknown, the catalogue's own version is assumed).
    pub duckdb_version: Option<DuckdbVersion>,
    /// Set when a check asked for a type or extension this environment lacks: lists kept
    /// from an earlier call may be older than DuckDB's (see `extension::environment`).
    pub missed: std::cell::Cell<bool>,
}

impl Environment {
    /// For checks without a database (unit tests, the fuzz target): every type and
    /// extension counts as available.
    pub fn everything() -> Self {
        Environment { everything_loaded: true, ..Environment::default() }
    }

    pub fn has_type(&self, name: &str) -> bool {
        self.answer(self.everything_loaded || self.registers(name))
    }

    /// Whether DuckDB itself registers the type (passthrough types must be registered).
    pub fn registers(&self, name: &str) -> bool {
        self.answer(self.secret_types.iter().any(|t| t.eq_ignore_ascii_case(name)))
    }

    pub fn has_extension(&self, name: &str) -> bool {
        self.answer(
            self.everything_loaded
                || self.extensions_unknown
                || name == "core"
                || self.loaded_extensions.iter().any(|e| e.eq_ignore_ascii_case(name)),
        )
    }

    fn answer(&self, found: bool) -> bool {
        if !found {
            self.missed.set(true);
        }
        found
    }
}

/// One call's inputs.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// The path as the user wrote it (shown in messages).
    pub file: String,
    pub key: Option<String>,
    /// Only these secrets (others are read but not resolved).
    pub names: Option<Vec<String>>,
    /// Call-level default for secrets that don't say; wins over the file's `options`.
    pub persistent: Option<bool>,
    /// Extra dotenv files from the call, relative to the working directory.
    pub env_files: Vec<String>,
    /// Linting (`secrets_check`): a missing extension is a warning, not an error,
    /// commands are listed, not run, and the outcome's secrets keep no parameters or sources.
    pub lint: bool,
    /// `allow_commands := true`: `${cmd:…}` may run its command.
    pub allow_commands: bool,
}

impl Request {
    /// One error per name of `names` that the file does not define.
    pub fn unknown_names(&self, declared: &[Declared]) -> Vec<Diagnostic> {
        let Some(names) = &self.names else { return Vec::new() };
        names
            .iter()
            .filter(|n| !declared.iter().any(|d| d.name.eq_ignore_ascii_case(n)))
            .map(|n| Diagnostic::error(&self.file, None, format!("names: the file defines no secret '{n}'")))
            .collect()
    }

    /// Whether `names` (when given) selects the secret called `name`.
    pub fn selects(&self, name: &str) -> bool {
        self.names.as_ref().is_none_or(|names| names.iter().any(|n| n.eq_ignore_ascii_case(name)))
    }
}

#[derive(Debug, Default)]
pub struct Outcome {
    pub secrets: Vec<Secret>,
    pub diagnostics: Vec<Diagnostic>,
    /// Each secret's definition, fingerprinted for drift checks (see `definitions`).
    pub definitions: std::collections::HashMap<String, u64>,
    /// The dotenv files consulted, in lookup order.
    pub env_files: Vec<PathBuf>,
    /// Every definition read, valid or not.
    pub declared: Vec<Declared>,
    /// `(name, paths)` of each valid secret with a `test_path`: where `test_secrets_yaml`
    /// tries it instead of its scope.
    pub test_paths: Vec<(String, Vec<String>)>,
}

impl Outcome {
    pub fn declared_type(&self, name: &str) -> Option<String> {
        self.declared.iter().find(|d| d.name == name).map(|d| d.type_name.clone())
    }

    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(|d| d.severity == Severity::Error)
    }
}

/// A secret the file defines, known without resolving any value.
#[derive(Debug, Clone)]
pub struct Declared {
    pub name: String,
    pub type_name: String,
    pub line: usize,
}

impl Declared {
    pub fn of(def: &SecretDef) -> Self {
        Declared {
            name: document::stored_name(def).into_owned(),
            type_name: def.field("type").and_then(Node::as_str).unwrap_or_default().to_ascii_lowercase(),
            line: def.at.line,
        }
    }
}
