//! Document × catalogue → secrets ready to render, or every problem of the file at once.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use super::catalog::{self, Convenience, Kind, SecretType};
use super::connection_string;
use super::diagnostics::{self, did_you_mean, push_bounded, shown_key, Diagnostic, Location, Severity};
use super::document::{self, Document, SecretDef};
use super::duckdb_versions::{self, DuckdbVersion};
use super::files;
use super::fingerprint::fingerprint;
use super::interpolate::{self, Commands, Context, Source, Variables};
use super::secret::{Param, ParamValue, Secret};
use super::secret_value::{CallValue, SecretString};
use super::yaml::{Node, Value};

/// A field of a secret under its canonical name: `(name, key position, value)`.
type Field<'a> = (String, Location, Cow<'a, Node>);

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
}

impl Environment {
    /// For checks without a database (unit tests, the fuzz target): every type and
    /// extension counts as available.
    pub fn everything() -> Self {
        Environment { everything_loaded: true, ..Environment::default() }
    }

    fn has_type(&self, name: &str) -> bool {
        self.everything_loaded || self.secret_types.iter().any(|t| t.eq_ignore_ascii_case(name))
    }

    /// Whether DuckDB itself registers the type (passthrough types must be registered).
    fn registers(&self, name: &str) -> bool {
        self.secret_types.iter().any(|t| t.eq_ignore_ascii_case(name))
    }

    fn has_extension(&self, name: &str) -> bool {
        self.everything_loaded
            || self.extensions_unknown
            || name == "core"
            || self.loaded_extensions.iter().any(|e| e.eq_ignore_ascii_case(name))
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
    /// Linting (`secrets_check`): a missing extension is a warning, not an error, and
    /// commands are listed, not run.
    pub lint: bool,
    /// `allow_commands := true`: `${cmd:…}` may run its command.
    pub allow_commands: bool,
}

#[derive(Debug, Default)]
pub struct Outcome {
    pub secrets: Vec<Secret>,
    pub diagnostics: Vec<Diagnostic>,
    /// Fingerprint of the file's text, for provenance.
    pub file_fingerprint: u64,
    /// The dotenv files consulted, in lookup order.
    pub env_files: Vec<PathBuf>,
    /// `(name, type)` of every definition read, valid or not.
    pub declared: Vec<(String, String)>,
    /// `(name, paths)` of each valid secret with a `test_path`: where `test_secrets_yaml`
    /// tries it instead of its scope.
    pub test_paths: Vec<(String, Vec<String>)>,
}

impl Outcome {
    pub fn declared_type(&self, name: &str) -> Option<String> {
        self.declared.iter().find(|(n, _)| n == name).map(|(_, t)| t.clone())
    }

    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(|d| d.severity == super::diagnostics::Severity::Error)
    }
}

const LITERAL_CREDENTIAL: &str = "a literal credential is written in the file";

/// Fields that conveniences turn into parameters; they carry credentials.
const CONVENIENCE_FIELDS: &[&str] = &["connection_string", "url", "account_key", "sas_token"];

/// Fields every secret may have, whatever its type.
const COMMON_FIELDS: &[&str] = &["type", "provider", "scope", "persistent", "persist", "storage"];

/// Read by `test_secrets_yaml` only (see `Outcome::test_paths`): accepted on every secret,
/// never a parameter.
const TEST_PATH: &str = "test_path";

/// Reads, resolves and validates a secrets file's text. `path` is where it was read from
/// (for relative `${file:}` and `env_file` paths).
pub fn validate(request: &Request, path: &Path, text: &str, environment: &Environment) -> Outcome {
    let file = request.file.as_str();
    let mut outcome = Outcome::default();
    let mut problems = Vec::new();
    let document = document::read(file, text, request.key.as_deref(), &mut problems);
    let problems = &mut problems;
    let base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();

    let (variables, env_files) = load_variables(request, &document, &base_dir, problems);
    outcome.env_files = env_files;
    outcome.file_fingerprint = fingerprint(text);
    let file_persistent = document.options.persistent.as_ref().and_then(|node| {
        let mut scratch = Vec::new();
        let value = boolean_of(file, node, "persistent", &variables, &base_dir, &mut scratch);
        problems.extend(scratch);
        value
    });
    let default_persistent = request.persistent.or(file_persistent).unwrap_or(false);
    // The file's own policy holds even when `key` selects a subtree (see document::read).
    let mut file_forbids_commands = None;
    for node in document.options.allow_commands.iter().chain(&document.options.outer_allow_commands) {
        let mut scratch = Vec::new();
        let value = boolean_of(file, node, "allow_commands", &variables, &base_dir, &mut scratch);
        problems.extend(scratch);
        if value == Some(false) && file_forbids_commands.is_none() {
            file_forbids_commands = Some(node.at);
        }
    }
    let timeout = document.options.command_timeout.as_ref().and_then(|node| {
        let seconds = node.as_str().and_then(|t| t.trim().parse::<f64>().ok()).filter(|s| *s > 0.0 && *s <= 3600.0);
        if seconds.is_none() {
            problems.push(
                Diagnostic::error(file, Some(node.at), "expected a number of seconds between 0 and 3600")
                    .in_field("command_timeout"),
            );
        }
        seconds.map(std::time::Duration::from_secs_f64)
    });
    let commands = match (file_forbids_commands, request.allow_commands, request.lint) {
        (Some(at), _, _) => Commands::ForbiddenByFile { line: at.line, column: at.column },
        (None, false, _) => Commands::Refuse,
        (None, true, false) => Commands::Run { timeout: timeout.unwrap_or(super::commands::DEFAULT_TIMEOUT) },
        (None, true, true) => Commands::Describe,
    };

    if let Some(names) = &request.names {
        for wanted in names {
            if !document.secrets.iter().any(|d| document::effective_name(d).eq_ignore_ascii_case(wanted)) {
                problems.push(Diagnostic::error(file, None, format!("names: the file defines no secret '{wanted}'")));
            }
        }
    }

    let context = Context { variables: &variables, base_dir: &base_dir, commands };
    let mut call_values = Vec::new();
    for def in &document.secrets {
        let name = document::effective_name(def).to_ascii_lowercase();
        let type_name = def.field("type").and_then(Node::as_str).unwrap_or_default().to_ascii_lowercase();
        outcome.declared.push((name.clone(), type_name));
        if let Some(names) = &request.names {
            if !names.iter().any(|n| n.eq_ignore_ascii_case(&name)) {
                continue;
            }
        }
        let mut checker = Checker {
            file,
            secret: &name,
            context: &context,
            problems,
            sources: Vec::new(),
            values: Vec::new(),
            lint: request.lint,
        };
        if let Some(secret) = checker.secret(def, default_persistent, environment) {
            if let Some(node) = def.field(TEST_PATH) {
                if let Some(ParamValue::List(items)) = checker.coerce(node, TEST_PATH, Kind::TextList) {
                    let paths = items.iter().map(|s| s.expose().to_string()).collect();
                    outcome.test_paths.push((secret.name.clone(), paths));
                }
            }
            outcome.secrets.push(secret);
        }
        call_values.append(&mut checker.values);
    }
    super::commands::finish_failures(problems.iter_mut().map(|d| &mut d.message), &call_values);
    outcome.diagnostics = std::mem::take(problems);
    outcome
}

fn load_variables(
    request: &Request,
    document: &Document,
    base_dir: &Path,
    problems: &mut Vec<Diagnostic>,
) -> (Variables, Vec<PathBuf>) {
    let mut variables = Variables::new();
    let file = request.file.as_str();
    // The call's env_file first: it is the more specific of the two.
    let from_call = request.env_files.iter().map(|p| (files::expand_home(p), None));
    let from_file = document.options.env_files.iter().map(|(p, at)| {
        let path = files::expand_home(p);
        (if path.is_relative() { base_dir.join(path) } else { path }, Some(*at))
    });
    let mut consulted = Vec::new();
    for (path, at) in from_call.chain(from_file).collect::<Vec<(PathBuf, Option<Location>)>>() {
        let shown = path.display().to_string();
        consulted.push(path.clone());
        match files::read_bounded(&path, files::MAX_VALUE_FILE_BYTES) {
            Ok(text) => {
                if let Err((line, message)) = variables.add_dotenv(&text) {
                    problems.push(
                        Diagnostic::error(&shown, Some(Location { line, column: 1 }), message).in_field("env_file"),
                    );
                }
            }
            // The file's own env_file is blamed on the file; the call's on the call.
            Err(message) => match at {
                Some(_) => problems
                    .push(Diagnostic::error(file, at, format!("env_file '{shown}' {message}")).in_field("env_file")),
                None => problems.push(Diagnostic::error(
                    &format!("env_file := '{shown}'"),
                    None,
                    format!("{message}{}", looked_at(&path)),
                )),
            },
        }
    }
    (variables, consulted)
}

fn boolean_of(
    file: &str,
    node: &Node,
    field: &str,
    variables: &Variables,
    base_dir: &Path,
    problems: &mut Vec<Diagnostic>,
) -> Option<bool> {
    let context = Context { variables, base_dir, commands: Commands::Refuse };
    let mut checker =
        Checker { file, secret: "", context: &context, problems, sources: Vec::new(), values: Vec::new(), lint: false };
    match checker.coerce(node, field, Kind::Boolean)? {
        ParamValue::Boolean(b) => Some(b),
        _ => None,
    }
}

/// Checks one secret definition, adding every problem it finds.
struct Checker<'a> {
    file: &'a str,
    secret: &'a str,
    context: &'a Context<'a>,
    problems: &'a mut Vec<Diagnostic>,
    sources: Vec<Source>,
    /// The values this secret resolved, valid or not, when commands run: a failing
    /// command's standard error is scrubbed of every value of the call.
    values: Vec<CallValue>,
    lint: bool,
}

impl Checker<'_> {
    // `field` may be a key as written, which may hold a value typed into it: shown_key.
    fn error(&mut self, at: Location, field: &str, message: impl Into<String>) {
        if diagnostics::is_full(self.problems) {
            return diagnostics::omit(self.problems, self.file, Severity::Error);
        }
        let mut d = Diagnostic::error(self.file, Some(at), message);
        if !self.secret.is_empty() {
            d = d.in_secret(self.secret);
        }
        if !field.is_empty() {
            d = d.in_field(&shown_key(field).text);
        }
        push_bounded(self.problems, d);
    }

    fn warning(&mut self, at: Location, field: &str, message: impl Into<String>) {
        if diagnostics::is_full(self.problems) {
            return diagnostics::omit(self.problems, self.file, Severity::Warning);
        }
        let mut d = Diagnostic::warning(self.file, Some(at), message).in_secret(self.secret);
        if !field.is_empty() {
            d = d.in_field(&shown_key(field).text);
        }
        push_bounded(self.problems, d);
    }

    fn secret(&mut self, def: &SecretDef, default_persistent: bool, environment: &Environment) -> Option<Secret> {
        // Counted, not sliced: past the first findings, errors are only counted.
        let before = diagnostics::error_count(self.problems);
        let Some(type_node) = def.field("type") else {
            self.error(def.at, "type", "missing 'type' (for example: type: s3)");
            return None;
        };
        let type_name = match type_node.as_str() {
            Some(t) if !type_node.is_null() => t.trim().to_ascii_lowercase(),
            _ => {
                self.error(type_node.at, "type", "'type' must be a string");
                return None;
            }
        };
        let entry = catalog::secret_type(&type_name);
        if entry.is_none() && !environment.registers(&type_name) {
            let known: Vec<&str> = catalog::SECRET_TYPES
                .iter()
                .map(|t| t.name)
                .chain(environment.secret_types.iter().map(String::as_str))
                .collect();
            let hint = match did_you_mean(&type_name, known) {
                Some(close) => format!("; did you mean '{close}'?"),
                None => " (no loaded extension registers it)".to_string(),
            };
            self.error(type_node.at, "type", format!("unknown secret type '{type_name}'{hint}"));
            return None;
        }

        let provider_node = def.field("provider");
        let provider = match provider_node {
            Some(node) => match node.as_str() {
                Some(p) if !node.is_null() => Some(p.trim().to_ascii_lowercase()),
                _ => {
                    self.error(node.at, "provider", "'provider' must be a string");
                    None
                }
            },
            None => None,
        };

        let mut secret = Secret {
            name: self.secret.to_string(),
            type_name: type_name.clone(),
            provider: provider.clone(),
            scope: Vec::new(),
            persistent: default_persistent,
            storage: None,
            params: Vec::new(),
            at: def.at,
            sources: Vec::new(),
        };
        if self.secret.contains('\0') || self.secret.is_empty() {
            self.error(def.at, "name", "a secret name must be non-empty and hold no NUL byte");
        }

        for (key, key_at, value) in &def.fields {
            match key.as_str() {
                "type" | "provider" => {}
                "scope" => {
                    if let Some(ParamValue::List(items)) = self.coerce(value, "scope", Kind::TextList) {
                        secret.scope = items.iter().map(|s| s.expose().to_string()).collect();
                    }
                }
                "persistent" | "persist" => {
                    if def.field("persistent").is_some() && def.field("persist").is_some() && key == "persist" {
                        self.error(*key_at, key, "'persistent' and 'persist' are the same field: give one");
                    }
                    if let Some(ParamValue::Boolean(b)) = self.coerce(value, key, Kind::Boolean) {
                        secret.persistent = b;
                    }
                }
                "storage" => {
                    if let Some(ParamValue::Text(s)) = self.coerce(value, "storage", Kind::Text) {
                        if let Some(why) = duckdb_versions::storage_refusal(s.expose()) {
                            self.error(value.at, "storage", why);
                        }
                        secret.storage = Some(s.expose().to_string());
                    }
                }
                _ => {}
            }
        }

        match entry {
            Some(entry) => self.typed_params(def, entry, provider.as_deref(), provider_node, environment, &mut secret),
            None => self.passthrough_params(def, &mut secret),
        }

        let version = environment.duckdb_version.unwrap_or(duckdb_versions::PRIMARY);
        for param in secret.params.iter().filter(|p| p.sensitive) {
            if duckdb_versions::shown_in_clear(&secret.type_name, &param.name, version) {
                let at = def.field(&param.name).map_or(def.at, |n| n.at);
                self.warning(
                    at,
                    &param.name,
                    format!(
                        "DuckDB {version} shows '{}' in clear in duckdb_secrets(): anyone who can query this \
                         database can read it",
                        param.name
                    ),
                );
            }
        }
        if secret.persistent && secret.scope.is_empty() {
            self.warning(
                def.at,
                "scope",
                "a persistent secret without a scope applies to every path of its type; add 'scope:'",
            );
        }
        secret.sources = std::mem::take(&mut self.sources);
        if matches!(self.context.commands, Commands::Run { .. }) {
            self.values.extend(secret.values_to_scrub());
        }
        (diagnostics::error_count(self.problems) == before).then_some(secret)
    }

    fn typed_params(
        &mut self,
        def: &SecretDef,
        entry: &'static SecretType,
        provider: Option<&str>,
        provider_node: Option<&Node>,
        environment: &Environment,
        secret: &mut Secret,
    ) {
        let provider_name = provider.unwrap_or(entry.default_provider);
        let version = environment.duckdb_version.unwrap_or(duckdb_versions::PRIMARY);
        let Some(spec) = entry.provider(provider_name) else {
            let names: Vec<&str> = entry.providers.iter().map(|p| p.name).collect();
            let at = provider_node.map_or(def.at, |n| n.at);
            match duckdb_versions::provider_since(entry.name, provider_name) {
                Some(since) if version >= since => return self.passthrough_params(def, secret),
                Some(since) => {
                    let message = format!(
                        "provider '{provider_name}' of type '{}' exists from DuckDB {since} on, and this is DuckDB \
                         {version} (providers here: {})",
                        entry.name,
                        names.join(", ")
                    );
                    return self.error(at, "provider", message);
                }
                None => {}
            }
            let hint = did_you_mean(provider_name, names.iter().copied())
                .map(|c| format!("; did you mean '{c}'?"))
                .unwrap_or_default();
            self.error(
                at,
                "provider",
                format!(
                    "unknown provider '{provider_name}' for type '{}' (providers: {}){hint}",
                    entry.name,
                    names.join(", ")
                ),
            );
            return;
        };
        // The type needs its own extension; the provider may need another (s3 credential_chain: aws).
        let mut missing: Vec<&str> = Vec::new();
        if !environment.has_type(entry.name) {
            missing.push(entry.registered_by());
        }
        if !environment.has_extension(spec.extension) && !missing.contains(&spec.extension) {
            missing.push(spec.extension);
        }
        if !missing.is_empty() {
            let at = def.field("type").map_or(def.at, |n| n.at);
            let (what, run) = match missing.as_slice() {
                [one] => (format!("the {one} extension, which is not loaded"), format!("INSTALL {one}; LOAD {one};")),
                many => (
                    format!("the {} extensions, which are not loaded", many.join(" and ")),
                    many.iter().map(|e| format!("INSTALL {e}; LOAD {e};")).collect::<Vec<_>>().join(" "),
                ),
            };
            let message = format!("secret type '{}' with provider '{}' needs {what}: run {run}", entry.name, spec.name);
            if !self.lint {
                self.error(at, "type", message);
                return;
            }
            self.warning(at, "type", message);
        }

        // Borrowed from the document; conveniences add owned fields of their own.
        let mut fields: Vec<Field> = Vec::new();
        // Where each canonical name was first set: a secret may hold thousands of fields.
        let mut first_at: std::collections::HashMap<&str, Location> = std::collections::HashMap::new();
        for (key, key_at, value) in &def.fields {
            if COMMON_FIELDS.contains(&key.as_str()) || key == TEST_PATH {
                continue;
            }
            let canonical = entry.aliases.iter().find(|(alias, _)| alias == key).map_or(key.as_str(), |(_, c)| c);
            if let Some(other_at) = first_at.get(canonical) {
                let message = format!(
                    "'{}' sets '{canonical}' again (first at line {}, column {})",
                    shown_key(key),
                    other_at.line,
                    other_at.column
                );
                self.error(*key_at, key, message);
                continue;
            }
            first_at.insert(canonical, *key_at);
            fields.push((canonical.to_string(), *key_at, Cow::Borrowed(value)));
        }

        for (key, _, value) in &fields {
            let sensitive = spec.param(key).is_some_and(|p| p.sensitive);
            if sensitive || CONVENIENCE_FIELDS.contains(&key.as_str()) {
                self.warn_literal(value, key);
            }
        }
        self.expand_conveniences(entry, spec, &mut fields);

        for (key, key_at, value) in &fields {
            if let Some((_, why)) = entry.ignored.iter().find(|(name, _)| name == key) {
                self.warning(*key_at, key, *why);
                continue;
            }
            match (spec.param(key), duckdb_versions::parameter_missing_before(entry.name, key, version)) {
                (Some(_), Some(since)) => {
                    let message = format!(
                        "'{key}' is a parameter of type '{}' from DuckDB {since} on, and this is DuckDB {version}: \
                         remove it, or upgrade DuckDB",
                        entry.name
                    );
                    self.error(*key_at, key, message);
                }
                (Some(param), None) => {
                    if let Some(v) = self.coerce(value, key, param.kind) {
                        // Only a value written in the document itself earns a did-you-mean.
                        let literal = matches!(value, Cow::Borrowed(_))
                            && value.as_str().is_some_and(|t| !interpolate::has_reference(t));
                        if !self.accepts(param, &v, value.at, literal) {
                            continue;
                        }
                        secret.params.push(Param {
                            name: param.name.to_string(),
                            value: v,
                            sensitive: param.sensitive,
                        });
                    }
                }
                (None, _) => self.unknown_field(entry, spec.name, key, *key_at),
            }
        }
        for required in spec.required {
            if !fields.iter().any(|(k, _, _)| k == required) {
                self.error(def.at, required, format!("missing required field '{required}' for type '{}'", entry.name));
            }
        }
    }

    /// Checks a closed value set or a range (see `catalog::Values`). The value itself is
    /// never quoted (any value may be a credential in the wrong field); a literal one gets
    /// the closest allowed value as a hint, a `${…}` one not even that.
    fn accepts(&mut self, param: &catalog::Param, value: &ParamValue, at: Location, literal: bool) -> bool {
        let message = match value {
            ParamValue::Text(text) => param.values.refuse_text(text.expose()).map(|refusal| {
                let hint = match refusal.close {
                    Some(close) if literal => format!("; did you mean '{close}'?"),
                    _ => String::new(),
                };
                let what = match param.values {
                    catalog::Values::Chain(_) => "a link of the chain is not one of",
                    _ => "the value is not one of",
                };
                let origin = if literal { "" } else { " (it comes from a reference and is not shown)" };
                format!("{what}: {}{origin}{hint}", refusal.allowed)
            }),
            ParamValue::Integer(n) => param.values.refuse_integer(*n).map(|range| {
                let origin = if literal { "" } else { " (it comes from a reference and is not shown)" };
                format!("the value is out of range: it must be {range}{origin}")
            }),
            _ => None,
        };
        match message {
            Some(message) => {
                self.error(at, param.name, message);
                false
            }
            None => true,
        }
    }

    fn unknown_field(&mut self, entry: &SecretType, provider: &str, key: &str, at: Location) {
        // Only counted past the first findings: skip the suggestions (a file may hold 400 000).
        if diagnostics::is_full(self.problems) {
            return self.error(at, key, String::new());
        }
        if let Some(other) = entry.providers.iter().find(|p| p.param(key).is_some()) {
            let message = format!(
                "'{key}' is a parameter of provider '{}', not of provider '{provider}' (set 'provider: {}')",
                other.name, other.name
            );
            self.error(at, key, message);
            return;
        }
        let spec = entry.provider(provider);
        let allowed: Vec<&str> = spec
            .map(|p| p.params.iter().map(|x| x.name).collect::<Vec<_>>())
            .unwrap_or_default()
            .into_iter()
            .chain(COMMON_FIELDS.iter().copied())
            .chain(entry.aliases.iter().map(|(a, _)| *a))
            .collect();
        let shown = shown_key(key);
        let message = match (shown.hint, did_you_mean(shown.head(), allowed.iter().copied())) {
            (Some(hint), _) => format!("unknown field '{shown}' for type '{}'; {hint}", entry.name),
            (None, Some(close)) => {
                format!("unknown field '{shown}' for type '{}'; did you mean '{close}'?", entry.name)
            }
            (None, None) => {
                format!("unknown field '{shown}' for type '{}' (allowed: {})", entry.name, allowed.join(", "))
            }
        };
        self.error(at, key, message);
    }

    /// Types DuckDB knows and the catalogue does not: values go through unvalidated, and
    /// are all treated as sensitive since nothing says which ones are credentials.
    fn passthrough_params(&mut self, def: &SecretDef, secret: &mut Secret) {
        for (key, key_at, value) in &def.fields {
            if COMMON_FIELDS.contains(&key.as_str()) || key == TEST_PATH {
                continue;
            }
            // The key becomes a parameter name that DuckDB's errors and the `sql` column show.
            let shown = shown_key(key);
            if !shown.is_whole() {
                let message = format!("'{shown}' is not a parameter name{}", shown.hint_suffix());
                self.error(*key_at, key, message);
                continue;
            }
            let kind = match value.value {
                Value::Sequence(_) => Kind::TextList,
                Value::Mapping(_) => Kind::TextMap,
                Value::Scalar { .. } => Kind::Text,
            };
            if let Some(v) = self.coerce(value, key, kind) {
                secret.params.push(Param { name: key.to_ascii_lowercase(), value: v, sensitive: true });
            }
        }
    }

    fn warn_literal(&mut self, value: &Node, key: &str) {
        let literal = match &value.value {
            Value::Scalar { text, .. } => !value.is_null() && !text.is_empty() && !interpolate::has_reference(text),
            // Header maps mix credentials with harmless headers: warn when none is a reference.
            Value::Mapping(entries) => {
                !entries.is_empty()
                    && entries.iter().all(|(_, v)| v.as_str().is_some_and(|t| !interpolate::has_reference(t)))
            }
            Value::Sequence(_) => false,
        };
        if literal {
            self.warning(
                value.at,
                key,
                format!("{LITERAL_CREDENTIAL}; use a reference such as ${{ENV_VAR}} or ${{file:path}}"),
            );
        }
    }

    /// Interpolates a scalar and records where it came from. `None` without a new error
    /// means the value is unknown (a command not run while linting).
    fn text(&mut self, node: &Node, field: &str) -> Option<SecretString> {
        let Value::Scalar { text, .. } = &node.value else {
            self.error(node.at, field, format!("expected a string, not {}", node.kind_name()));
            return None;
        };
        match interpolate::resolve(text, self.context) {
            Ok(resolved) => {
                for source in &resolved.sources {
                    if let (true, Source::Command { line }) = (resolved.deferred, source) {
                        self.warning(
                            node.at,
                            field,
                            format!("would run the command: {}", super::commands::redact(line)),
                        );
                    }
                }
                self.sources.extend(resolved.sources);
                if resolved.deferred {
                    return None;
                }
                if resolved.value.expose().contains('\0') {
                    self.error(node.at, field, "the value contains a NUL byte, which DuckDB cannot store");
                    return None;
                }
                Some(resolved.value)
            }
            Err(message) => {
                self.error(node.at, field, message);
                None
            }
        }
    }

    fn coerce(&mut self, node: &Node, field: &str, kind: Kind) -> Option<ParamValue> {
        match kind {
            Kind::Text => {
                if node.is_null() {
                    self.error(node.at, field, "expected a string, got nothing (write '' for an empty string)");
                    return None;
                }
                self.text(node, field).map(ParamValue::Text)
            }
            Kind::Integer => {
                let value = self.text(node, field)?;
                match value.expose().trim().parse::<i64>() {
                    Ok(n) => Some(ParamValue::Integer(n)),
                    Err(_) => {
                        self.error(node.at, field, "expected an integer");
                        None
                    }
                }
            }
            Kind::Boolean => {
                let value = self.text(node, field)?;
                match value.expose().trim().to_ascii_lowercase().as_str() {
                    "true" => Some(ParamValue::Boolean(true)),
                    "false" => Some(ParamValue::Boolean(false)),
                    _ => {
                        self.error(node.at, field, "expected true or false (yes/no/on/off are not booleans here)");
                        None
                    }
                }
            }
            Kind::TextList => {
                let items: Vec<&Node> = match &node.value {
                    Value::Sequence(items) => items.iter().collect(),
                    Value::Scalar { .. } if !node.is_null() => vec![node],
                    _ => {
                        self.error(
                            node.at,
                            field,
                            format!("expected a string or a list of strings, not {}", node.kind_name()),
                        );
                        return None;
                    }
                };
                let mut out = Vec::new();
                for item in items {
                    if let Some(what) = typed_scalar(item) {
                        let message = format!(
                            "expected a string or a list of strings, not {what} (quote it if it is meant as text)"
                        );
                        self.error(item.at, field, message);
                        return None;
                    }
                    out.push(self.text(item, field)?);
                }
                Some(ParamValue::List(out))
            }
            Kind::TextMap => {
                let Value::Mapping(entries) = &node.value else {
                    self.error(
                        node.at,
                        field,
                        format!("expected a mapping of names to strings, not {}", node.kind_name()),
                    );
                    return None;
                };
                let mut out = Vec::new();
                for (k, v) in entries.iter() {
                    let Some(key) = k.as_str().filter(|_| !k.is_null()).map(str::to_string) else {
                        self.error(k.at, field, format!("a key must be a string, not {}", k.kind_name()));
                        return None;
                    };
                    if key.contains('\0') {
                        self.error(k.at, field, "a key contains a NUL byte");
                        return None;
                    }
                    if v.is_null() {
                        self.error(v.at, field, "a value must be a string, not null (write '' for an empty one)");
                        return None;
                    }
                    out.push((key, self.text(v, field)?));
                }
                Some(ParamValue::Map(out))
            }
        }
    }

    /// DuckDB v1.5.5 ignores `endpoint` beside a connection string, and an `http://` endpoint
    /// without a key fails on first use (`stoi`): say so now rather than at the first read.
    fn check_azure_endpoint(&mut self, spec: &catalog::Provider, fields: &mut Vec<Field>) {
        let Some(index) = fields.iter().position(|(k, _, _)| k == "endpoint") else { return };
        let has = |name: &str| fields.iter().any(|(k, _, _)| k == name);
        let at = fields[index].1;
        if has("connection_string") {
            fields.remove(index);
            self.warning(
                at,
                "endpoint",
                "DuckDB ignores 'endpoint' beside 'connection_string', so it is not passed on: put it in the \
                 connection string as BlobEndpoint=...",
            );
        } else if spec.name == "config"
            && !has("account_key")
            && !has("sas_token")
            && fields[index].2.as_str().is_some_and(|e| e.trim_start().starts_with("http://"))
        {
            self.error(
                at,
                "endpoint",
                "an http:// endpoint works only with 'account_key' or 'sas_token' beside 'account_name' (or inside \
                 a connection string as BlobEndpoint=); DuckDB v1.5.5 fails on it otherwise",
            );
        }
    }

    /// Rewrites convenience fields into the parameters DuckDB takes.
    fn expand_conveniences(&mut self, entry: &SecretType, spec: &catalog::Provider, fields: &mut Vec<Field>) {
        let convenience = entry.convenience;
        match convenience {
            Convenience::None => {}
            Convenience::PostgresConnectionString | Convenience::MysqlConnectionString => {
                let Some(index) = fields.iter().position(|(k, _, _)| k == "connection_string" || k == "url") else {
                    return;
                };
                let (key, key_at, node) = fields.remove(index);
                let Some(value) = self.text(&node, &key) else { return };
                let known = |name: &str| {
                    let canonical = entry.aliases.iter().find(|(a, _)| *a == name).map_or(name, |(_, c)| c);
                    spec.param(canonical).is_some()
                };
                let parsed = if convenience == Convenience::PostgresConnectionString {
                    connection_string::parse_postgres(value.expose(), &known)
                } else {
                    connection_string::parse_mysql(value.expose(), &known)
                };
                match parsed {
                    Ok(parts) => {
                        for (name, part) in parts {
                            let name = entry
                                .aliases
                                .iter()
                                .find(|(a, _)| *a == name)
                                .map_or(name.as_str(), |(_, c)| c)
                                .to_string();
                            if fields.iter().any(|(k, _, _)| *k == name) {
                                self.error(
                                    key_at,
                                    &key,
                                    format!("'{name}' is given both in '{key}' and as its own field; keep one"),
                                );
                                continue;
                            }
                            // Already resolved: escape `${` so it is not read as a reference again.
                            let text = part.expose().replace("${", "$${");
                            fields.push((
                                name,
                                key_at,
                                Cow::Owned(Node { at: node.at, value: Value::Scalar { text, plain: false } }),
                            ));
                        }
                    }
                    Err(message) => self.error(node.at, &key, message),
                }
            }
            Convenience::AzureAccountKey => {
                self.check_azure_endpoint(spec, fields);
                let key_field = fields.iter().position(|(k, _, _)| k == "account_key" || k == "sas_token");
                let Some(index) = key_field else { return };
                let (key, key_at, node) = fields.remove(index);
                if spec.name != "config" {
                    let message = format!(
                        "'{key}' works with provider 'config' only (this secret's provider is '{}')",
                        spec.name
                    );
                    self.error(key_at, &key, message);
                    return;
                }
                let Some(name_index) = fields.iter().position(|(k, _, _)| k == "account_name") else {
                    self.error(key_at, &key, format!("'{key}' needs 'account_name' beside it"));
                    return;
                };
                if fields.iter().any(|(k, _, _)| k == "connection_string") {
                    self.error(
                        key_at,
                        &key,
                        format!("give either 'connection_string' or 'account_name' + '{key}', not both"),
                    );
                    return;
                }
                let (_, _, name_node) = fields.remove(name_index);
                let endpoint = fields.iter().position(|(k, _, _)| k == "endpoint").map(|i| fields.remove(i));
                let Some(account) = self.text(&name_node, "account_name") else { return };
                let Some(credential) = self.text(&node, &key) else { return };
                let endpoint = match endpoint {
                    Some((_, _, n)) => match self.text(&n, "endpoint") {
                        Some(e) => Some(e),
                        None => return,
                    },
                    None => None,
                };
                let assembled = connection_string::azure(
                    account.expose(),
                    (key == "account_key").then(|| credential.expose()),
                    (key == "sas_token").then(|| credential.expose()),
                    endpoint.as_ref().map(SecretString::expose),
                );
                let text = assembled.expose().replace("${", "$${");
                fields.push((
                    "connection_string".into(),
                    key_at,
                    Cow::Owned(Node { at: node.at, value: Value::Scalar { text, plain: false } }),
                ));
            }
        }
    }
}

/// What YAML itself would read a plain scalar as, when that is not a string: a list item
/// written `42`, `true` or `~` is a typo or a missing quote, not a path prefix.
fn typed_scalar(node: &Node) -> Option<&'static str> {
    let Value::Scalar { text, plain: true } = &node.value else { return None };
    if node.is_null() {
        return Some("null");
    }
    if matches!(text.as_str(), "true" | "True" | "TRUE" | "false" | "False" | "FALSE") {
        return Some("a boolean");
    }
    let number = text.parse::<i64>().is_ok()
        || (text.parse::<f64>().is_ok() && text.bytes().all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b)));
    number.then_some("a number")
}

/// Reads the file named by the request (relative to the working directory, `~` expanded)
/// and validates it.
pub fn validate_file(request: &Request, environment: &Environment) -> Outcome {
    match read_secrets_file(&request.file) {
        Ok((path, text)) => {
            let mut outcome = validate(request, &path, &text, environment);
            warn_if_readable_by_others(request, &path, &mut outcome);
            outcome
        }
        Err(problem) => Outcome { diagnostics: vec![*problem], ..Outcome::default() },
    }
}

/// How a problem with a path argument that must not be echoed is labelled.
const PATH_ARGUMENT: &str = "the path argument";

/// Reads the secrets file, or says where it looked. The path is echoed only when it can be
/// a file name: a URL may carry credentials, and YAML text passed as the path may be a
/// whole secrets file, tokens included.
fn read_secrets_file(given: &str) -> Result<(PathBuf, String), Box<Diagnostic>> {
    if let Some(scheme) = url_scheme(given) {
        return Err(Box::new(Diagnostic::error(
            PATH_ARGUMENT,
            None,
            format!(
                "only local files are read, not {scheme}:// URLs (reading through DuckDB's file systems would \
                 need credentials that this very file may define): copy the file to a local path"
            ),
        )));
    }
    let path = files::expand_home(given);
    match files::read_bounded(&path, super::yaml::MAX_FILE_BYTES) {
        Ok(text) => Ok((path, text)),
        Err(_) if looks_like_yaml(given) => Err(Box::new(Diagnostic::error(
            PATH_ARGUMENT,
            None,
            "looks like YAML text, not the name of a file (and no such file exists): write the YAML into a \
             file and pass that file's path. The argument is not shown: it may hold a credential",
        ))),
        Err(message) => {
            Err(Box::new(Diagnostic::error(given, None, format!("the secrets file {message}{}", looked_at(&path)))))
        }
    }
}

/// ` (path tried: /abs; working directory: /cwd)`: calls from Python or dbt run in a
/// working directory their users rarely know.
pub fn looked_at(path: &Path) -> String {
    let cwd = std::env::current_dir().ok();
    let absolute = match &cwd {
        Some(cwd) if path.is_relative() => cwd.join(path),
        _ => path.to_path_buf(),
    };
    let cwd = cwd.map_or_else(|| "unknown".to_string(), |c| c.display().to_string());
    format!(" (path tried: {}; working directory: {cwd})", absolute.display())
}

/// The scheme of `s3://…`, `https://…` and the like.
fn url_scheme(given: &str) -> Option<&str> {
    let (scheme, _) = given.trim_start().split_once("://")?;
    let mut chars = scheme.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    valid.then_some(scheme)
}

/// Text no sensible path holds, and YAML nearly always does.
fn looks_like_yaml(given: &str) -> bool {
    given.contains(['\n', '\r', '{']) || given.contains(": ")
}

fn warn_if_readable_by_others(request: &Request, path: &Path, outcome: &mut Outcome) {
    use std::os::unix::fs::PermissionsExt;
    let holds_literals = outcome.diagnostics.iter().any(|d| d.message.starts_with(LITERAL_CREDENTIAL));
    let mode = std::fs::metadata(path).map(|m| m.permissions().mode()).unwrap_or(0);
    if holds_literals && mode & 0o077 != 0 {
        outcome.diagnostics.push(Diagnostic::warning(
            &request.file,
            None,
            format!(
                "the file holds literal credentials and is readable by group or others (mode {:o}); run: chmod 600 {}",
                mode & 0o777,
                request.file
            ),
        ));
    }
}

/// A secret the file defines, known without resolving any value.
#[derive(Debug, Clone)]
pub struct Declared {
    pub name: String,
    pub type_name: String,
    pub line: usize,
}

/// The secrets a file defines (honouring `key` and `names`), without resolving values:
/// what unloading needs, so it works after the variables are gone.
pub fn declared_secrets(request: &Request) -> Result<Vec<Declared>, Vec<Diagnostic>> {
    let (_, text) = read_secrets_file(&request.file).map_err(|problem| vec![*problem])?;
    let mut problems = Vec::new();
    let document = document::read(&request.file, &text, request.key.as_deref(), &mut problems);
    if !problems.is_empty() {
        return Err(problems);
    }
    let declared: Vec<Declared> = document
        .secrets
        .iter()
        .map(|def| Declared {
            name: document::effective_name(def).to_ascii_lowercase(),
            type_name: def.field("type").and_then(Node::as_str).unwrap_or_default().to_ascii_lowercase(),
            line: def.at.line,
        })
        .collect();
    match &request.names {
        None => Ok(declared),
        Some(names) => {
            let unknown: Vec<Diagnostic> = names
                .iter()
                .filter(|n| !declared.iter().any(|d| d.name.eq_ignore_ascii_case(n)))
                .map(|n| Diagnostic::error(&request.file, None, format!("names: the file defines no secret '{n}'")))
                .collect();
            if !unknown.is_empty() {
                return Err(unknown);
            }
            Ok(declared.into_iter().filter(|d| names.iter().any(|n| n.eq_ignore_ascii_case(&d.name))).collect())
        }
    }
}

#[cfg(test)]
#[path = "validate_tests.rs"]
mod tests;
