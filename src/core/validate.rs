//! Document × catalogue → secrets ready to render, or every problem of the file at once.

use std::borrow::Cow;
use std::path::Path;

use super::call_files;
use super::catalog::{self, Kind, SecretType};
use super::checker::{Checker, Field, LITERAL_CREDENTIAL};
use super::conveniences;
use super::definitions;
use super::diagnostics::{self, did_you_mean, shown_key, Diagnostic, Location};
use super::document::{self, SecretDef};
use super::duckdb_versions;
use super::interpolate::{self, Commands, Context};
use super::options;
use super::request::{Declared, Environment, Outcome, Request};
use super::secret::{Param, ParamValue, Secret};
use super::yaml::{Node, Value};

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

    let (variables, env_files) = call_files::read_env_files(request, &document, &base_dir, problems);
    outcome.env_files = env_files;
    if !request.lint {
        // What a load's drift checks compare against; a lint loads nothing.
        outcome.definitions = definitions::of(&document);
    }
    let options = options::read(request, &document, &variables, &base_dir, problems);

    outcome.declared = document.secrets.iter().map(Declared::of).collect();
    problems.extend(request.unknown_names(&outcome.declared));

    let context = Context { variables: &variables, base_dir: &base_dir, commands: options.commands };
    outcome.secrets.reserve_exact(outcome.declared.len());
    let mut call_values = Vec::new();
    // Each definition is dropped once checked: its memory serves the next secrets, and a
    // call over a large file touches (and faults in) fewer fresh pages.
    for (def, declared) in document.secrets.into_iter().zip(&outcome.declared) {
        if !request.selects(&declared.name) {
            continue;
        }
        let def = &def;
        let mut checker = Checker::new(file, &declared.name, &context, problems, request.lint);
        if let Some(mut secret) = check_secret(&mut checker, def, options.default_persistent, environment) {
            if request.lint {
                // A lint creates nothing: its report needs a secret's name, type and provider,
                // not its values, which go (zeroed) before the next secret is read.
                secret.params = Vec::new();
                secret.sources = Vec::new();
            }
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

/// Checks one secret definition, adding every problem it finds to the checker's.
fn check_secret(
    checker: &mut Checker,
    def: &SecretDef,
    default_persistent: bool,
    environment: &Environment,
) -> Option<Secret> {
    // Counted, not sliced: past the first findings, errors are only counted.
    let before = checker.errors;
    let Some(type_node) = def.field("type") else {
        checker.error(def.at, "type", "missing 'type' (for example: type: s3)");
        return None;
    };
    let type_name = match type_node.as_str() {
        Some(t) if !type_node.is_null() => t.trim().to_ascii_lowercase(),
        _ => {
            checker.error(type_node.at, "type", "'type' must be a string");
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
        checker.error(type_node.at, "type", format!("unknown secret type '{type_name}'{hint}"));
        return None;
    }

    let provider_node = def.field("provider");
    let provider = match provider_node {
        Some(node) => match node.as_str() {
            Some(p) if !node.is_null() => Some(p.trim().to_ascii_lowercase()),
            _ => {
                checker.error(node.at, "provider", "'provider' must be a string");
                None
            }
        },
        None => None,
    };

    let mut secret = Secret {
        name: checker.secret.to_string(),
        type_name,
        provider,
        scope: Vec::new(),
        persistent: default_persistent,
        storage: None,
        params: Vec::new(),
        at: def.at,
        sources: Vec::new(),
    };
    if checker.secret.contains('\0') || checker.secret.is_empty() {
        checker.error(def.at, "name", "a secret name must be non-empty and hold no NUL byte");
    }

    for (key, key_at, value) in &def.fields {
        match key.as_str() {
            "type" | "provider" => {}
            "scope" => {
                if let Some(ParamValue::List(items)) = checker.coerce(value, "scope", Kind::TextList) {
                    secret.scope = items.iter().map(|s| s.expose().to_string()).collect();
                }
            }
            "persistent" | "persist" => {
                if def.field("persistent").is_some() && def.field("persist").is_some() && key == "persist" {
                    checker.error(*key_at, key, "'persistent' and 'persist' are the same field: give one");
                }
                if let Some(ParamValue::Boolean(b)) = checker.coerce(value, key, Kind::Boolean) {
                    secret.persistent = b;
                }
            }
            "storage" => {
                if let Some(ParamValue::Text(s)) = checker.coerce(value, "storage", Kind::Text) {
                    if let Some(why) = duckdb_versions::storage_refusal(s.expose()) {
                        checker.error(value.at, "storage", why);
                    }
                    secret.storage = Some(s.expose().to_string());
                }
            }
            _ => {}
        }
    }

    match entry {
        Some(entry) => typed_params(checker, def, entry, provider_node, environment, &mut secret),
        None => passthrough_params(checker, def, &mut secret),
    }

    let version = environment.duckdb_version.unwrap_or(duckdb_versions::PRIMARY);
    for param in secret.params.iter().filter(|p| p.sensitive) {
        if duckdb_versions::shown_in_clear(&secret.type_name, &param.name, version) {
            let at = def.field(&param.name).map_or(def.at, |n| n.at);
            // Past the first findings it is only counted: a file of 10 000 secrets has 10 000.
            let message = match diagnostics::is_full(checker.problems) {
                true => String::new(),
                false => format!(
                    "DuckDB {version} shows '{}' in clear in duckdb_secrets(): anyone who can query this \
                     database can read it",
                    param.name
                ),
            };
            checker.warning(at, &param.name, message);
        }
    }
    if secret.persistent && secret.scope.is_empty() {
        checker.warning(
            def.at,
            "scope",
            "a persistent secret without a scope applies to every path of its type; add 'scope:'",
        );
    }
    secret.sources = std::mem::take(&mut checker.sources);
    if matches!(checker.context.commands, Commands::Run { .. }) {
        checker.values.extend(secret.values_to_scrub());
    }
    (checker.errors == before).then_some(secret)
}

fn typed_params(
    checker: &mut Checker,
    def: &SecretDef,
    entry: &'static SecretType,
    provider_node: Option<&Node>,
    environment: &Environment,
    secret: &mut Secret,
) {
    let provider_name = secret.provider.as_deref().unwrap_or(entry.default_provider);
    let version = environment.duckdb_version.unwrap_or(duckdb_versions::PRIMARY);
    let Some(spec) = entry.provider(provider_name) else {
        let names: Vec<&str> = entry.providers.iter().map(|p| p.name).collect();
        let at = provider_node.map_or(def.at, |n| n.at);
        match duckdb_versions::provider_since(entry.name, provider_name) {
            Some(since) if version >= since => return passthrough_params(checker, def, secret),
            Some(since) => {
                let message = format!(
                    "provider '{provider_name}' of type '{}' exists from DuckDB {since} on, and this is DuckDB \
                     {version} (providers here: {})",
                    entry.name,
                    names.join(", ")
                );
                return checker.error(at, "provider", message);
            }
            None => {}
        }
        let hint = did_you_mean(provider_name, names.iter().copied())
            .map(|c| format!("; did you mean '{c}'?"))
            .unwrap_or_default();
        checker.error(
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
        if !checker.lint {
            checker.error(at, "type", message);
            return;
        }
        checker.warning(at, "type", message);
    }

    // Borrowed from the document; conveniences add owned fields of their own.
    let mut fields: Vec<Field> = Vec::with_capacity(def.fields.len());
    for (key, key_at, value) in &def.fields {
        if COMMON_FIELDS.contains(&key.as_str()) || key == TEST_PATH {
            continue;
        }
        let canonical = entry.aliases.iter().find(|(alias, _)| alias == key).map_or(key.as_str(), |(_, c)| c);
        // Where the canonical name was first set: a definition has at most
        // `document::MAX_FIELDS` fields, so looking through them costs less than hashing.
        if let Some((_, other_at, _)) = fields.iter().find(|(name, _, _)| name == canonical) {
            let message = format!(
                "'{}' sets '{canonical}' again (first at line {}, column {})",
                shown_key(key),
                other_at.line,
                other_at.column
            );
            checker.error(*key_at, key, message);
            continue;
        }
        fields.push((Cow::Borrowed(canonical), *key_at, Cow::Borrowed(value)));
    }

    for (key, _, value) in &fields {
        let sensitive = spec.param(key).is_some_and(|p| p.sensitive);
        if sensitive || CONVENIENCE_FIELDS.contains(&key.as_ref()) {
            checker.warn_literal(value, key);
        }
    }
    conveniences::expand(checker, entry, spec, &mut fields);

    for (key, key_at, value) in &fields {
        if let Some((_, why)) = entry.ignored.iter().find(|(name, _)| name == key) {
            checker.warning(*key_at, key, *why);
            continue;
        }
        match (spec.param(key), duckdb_versions::parameter_missing_before(entry.name, key, version)) {
            (Some(_), Some(since)) => {
                let message = format!(
                    "'{key}' is a parameter of type '{}' from DuckDB {since} on, and this is DuckDB {version}: \
                     remove it, or upgrade DuckDB",
                    entry.name
                );
                checker.error(*key_at, key, message);
            }
            (Some(param), None) => {
                if let Some(v) = checker.coerce(value, key, param.kind) {
                    // Only a value written in the document itself earns a did-you-mean.
                    let literal = matches!(value, Cow::Borrowed(_))
                        && value.as_str().is_some_and(|t| !interpolate::has_reference(t));
                    if !checker.accepts(param, &v, value.at, literal) {
                        continue;
                    }
                    secret.params.push(Param { name: param.name.into(), value: v, sensitive: param.sensitive });
                }
            }
            (None, _) => unknown_field(checker, entry, spec.name, key, *key_at),
        }
    }
    for required in spec.required {
        if !fields.iter().any(|(k, _, _)| k == required) {
            checker.error(def.at, required, format!("missing required field '{required}' for type '{}'", entry.name));
        }
    }
}

fn unknown_field(checker: &mut Checker, entry: &SecretType, provider: &str, key: &str, at: Location) {
    // Only counted past the first findings: skip the suggestions (a file may hold 400 000).
    if diagnostics::is_full(checker.problems) {
        return checker.error(at, key, String::new());
    }
    if let Some(other) = entry.providers.iter().find(|p| p.param(key).is_some()) {
        let message = format!(
            "'{key}' is a parameter of provider '{}', not of provider '{provider}' (set 'provider: {}')",
            other.name, other.name
        );
        checker.error(at, key, message);
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
    checker.error(at, key, message);
}

/// Types DuckDB knows and the catalogue does not: values go through unvalidated, and
/// are all treated as sensitive since nothing says which ones are credentials.
fn passthrough_params(checker: &mut Checker, def: &SecretDef, secret: &mut Secret) {
    for (key, key_at, value) in &def.fields {
        if COMMON_FIELDS.contains(&key.as_str()) || key == TEST_PATH {
            continue;
        }
        // The key becomes a parameter name that DuckDB's errors and the `sql` column show.
        let shown = shown_key(key);
        if !shown.is_whole() {
            let message = format!("'{shown}' is not a parameter name{}", shown.hint_suffix());
            checker.error(*key_at, key, message);
            continue;
        }
        let kind = match value.value {
            Value::Sequence(_) => Kind::TextList,
            Value::Mapping(_) => Kind::TextMap,
            Value::Scalar { .. } => Kind::Text,
        };
        if let Some(v) = checker.coerce(value, key, kind) {
            secret.params.push(Param { name: key.to_ascii_lowercase().into(), value: v, sensitive: true });
        }
    }
}

/// Reads the file named by the request (relative to the working directory, `~` expanded)
/// and validates it.
pub fn validate_file(request: &Request, environment: &Environment) -> Outcome {
    match call_files::read_secrets_file(&request.file) {
        Ok((path, text)) => {
            let mut outcome = validate(request, &path, &text, environment);
            if outcome.diagnostics.iter().any(|d| d.message.starts_with(LITERAL_CREDENTIAL)) {
                call_files::warn_if_readable_by_others(&request.file, &path, &mut outcome.diagnostics);
            }
            outcome
        }
        Err(problem) => Outcome { diagnostics: vec![*problem], ..Outcome::default() },
    }
}

/// The secrets a file defines (honouring `key` and `names`), without resolving values:
/// what unloading needs, so it works after the variables are gone.
pub fn declared_secrets(request: &Request) -> Result<Vec<Declared>, Vec<Diagnostic>> {
    let (_, text) = call_files::read_secrets_file(&request.file).map_err(|problem| vec![*problem])?;
    let mut problems = Vec::new();
    let document = document::read(&request.file, &text, request.key.as_deref(), &mut problems);
    if !problems.is_empty() {
        return Err(problems);
    }
    let declared: Vec<Declared> = document.secrets.iter().map(Declared::of).collect();
    let unknown = request.unknown_names(&declared);
    if !unknown.is_empty() {
        return Err(unknown);
    }
    Ok(declared.into_iter().filter(|d| request.selects(&d.name)).collect())
}

#[cfg(test)]
#[path = "validate_tests.rs"]
mod tests;
