//! `${…}` references in string values: environment variables (with fallbacks and required
//! messages), dotenv files, and file contents. Any `$` that does not start a reference is
//! kept as written, so passwords such as `pa$$w0rd` arrive untouched.
//!
//! Messages name variables and files, never the text around them: a fallback may itself be
//! a literal credential.

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use super::dotenv;
use super::files;
use super::fingerprint::fingerprint;
use super::secret_value::SecretString;

/// A value's length, however it is made: written, referenced or both (as for a value file).
pub const MAX_VALUE_BYTES: usize = 1024 * 1024;
/// What the references of one call may bring in altogether: a 16 MiB file could otherwise
/// repeat `${BIG}` a million times.
pub const MAX_REFERENCED_BYTES: usize = 16 * 1024 * 1024;
const MAX_NESTING: usize = 16;

/// Where `${NAME}` looks: the process environment first, then dotenv files in order.
#[derive(Debug, Default)]
pub struct Variables {
    dotenv: HashMap<String, SecretString>,
    /// Bytes the references resolved with these variables brought in so far.
    referenced: AtomicUsize,
}

impl Variables {
    pub fn new() -> Self {
        Variables::default()
    }

    /// Adds the variables of a dotenv file's text: inside a file the last assignment wins
    /// (as in a shell), between files the earlier file wins.
    pub fn add_dotenv(&mut self, text: &str) -> Result<(), (usize, String)> {
        let assignments = dotenv::parse(text)?;
        self.dotenv.reserve(assignments.len());
        // From the last line up, a name already present was set later in this file or by an
        // earlier file: either way it stays.
        for (name, value) in assignments.into_iter().rev() {
            if let Entry::Vacant(slot) = self.dotenv.entry(name) {
                slot.insert(value);
            }
        }
        Ok(())
    }

    fn charge(&self, bytes: usize) -> Result<(), String> {
        let total = self.referenced.fetch_add(bytes, Ordering::Relaxed).saturating_add(bytes);
        self.within_budget(total)
    }

    /// Checked before a reference is resolved too: once the budget is spent, the next
    /// reference fails before it copies anything.
    fn within_budget(&self, total: usize) -> Result<(), String> {
        if total > MAX_REFERENCED_BYTES {
            return Err(format!("the references of this file bring in more than {MAX_REFERENCED_BYTES} bytes"));
        }
        Ok(())
    }

    pub fn lookup(&self, name: &str) -> Option<String> {
        if let Some(value) = std::env::var_os(name) {
            return Some(value.into_string().unwrap_or_else(|raw| raw.to_string_lossy().into_owned()));
        }
        self.dotenv.get(name).map(|v| v.expose().to_string())
    }
}

/// Something a value was read from; its fingerprint tells later whether it changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Env {
        name: String,
        fingerprint: Option<u64>,
    },
    File {
        path: PathBuf,
        fingerprint: Option<u64>,
    },
    /// A command line (never its output); not re-run to detect drift.
    Command {
        line: String,
    },
}

#[derive(Debug)]
pub struct Resolved {
    pub value: SecretString,
    /// Linting only: a command was not run, so the value is unknown.
    pub deferred: bool,
}

/// Whether `${cmd:…}` may run its command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Commands {
    /// Off by default: the call did not pass `allow_commands := true`.
    #[default]
    Refuse,
    /// The file's `options: allow_commands: false` (at this line and column) forbids them,
    /// whatever the call says.
    ForbiddenByFile {
        line: usize,
        column: usize,
    },
    Run {
        timeout: std::time::Duration,
    },
    /// Linting: record the command, run nothing, leave the value unknown.
    Describe,
}

/// What a reference may reach.
pub struct Context<'a> {
    pub variables: &'a Variables,
    /// Relative `${file:…}` paths resolve against the YAML file's folder.
    pub base_dir: &'a Path,
    pub commands: Commands,
}

/// Expands every reference in `text`, adding what the value came from to `sources`.
pub fn resolve(text: &str, context: &Context, sources: &mut Vec<Source>) -> Result<Resolved, String> {
    if text.len() > MAX_VALUE_BYTES {
        return Err(too_long());
    }
    let before = sources.len();
    let value = expand(text, context, sources, 0)?;
    let deferred =
        context.commands == Commands::Describe && sources[before..].iter().any(|s| matches!(s, Source::Command { .. }));
    Ok(Resolved { value: SecretString::new(value), deferred })
}

/// True when `text` holds at least one `${…}` reference.
pub fn has_reference(text: &str) -> bool {
    let mut rest = text;
    while let Some(at) = find_open(rest) {
        if at == 0 || !rest[..at].ends_with('$') {
            return true;
        }
        rest = &rest[at + 2..];
    }
    false
}

/// Where the first `${` starts: a search for the byte `$` is much cheaper than for a
/// two-byte pattern, and most values hold no `$` at all.
fn find_open(text: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(at) = text[from..].find('$') {
        let at = from + at;
        if text.as_bytes().get(at + 1) == Some(&b'{') {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

fn expand(text: &str, context: &Context, sources: &mut Vec<Source>, depth: usize) -> Result<String, String> {
    if depth > MAX_NESTING {
        return Err(format!("references nested deeper than {MAX_NESTING} levels"));
    }
    // Allocated on the first piece: a value that is one reference is that reference's value.
    let mut out = String::new();
    let mut i = 0;
    while i < text.len() {
        let rest = &text[i..];
        if rest.starts_with("$${") {
            out.push_str("${");
            i += 3;
        } else if rest.starts_with("${") {
            let end = closing_brace(text, i + 2)?;
            context.variables.within_budget(context.variables.referenced.load(Ordering::Relaxed))?;
            let piece = evaluate(&text[i + 2..end], context, sources, depth)?;
            if out.len() + piece.len() > MAX_VALUE_BYTES {
                return Err(too_long());
            }
            // Once per byte: what a nested reference brings in is part of its outer piece.
            if depth == 0 {
                context.variables.charge(piece.len())?;
            }
            // A value that is one reference (`${AWS_SECRET}`) is that reference's value.
            if i == 0 && end + 1 == text.len() {
                return Ok(piece);
            }
            out.push_str(&piece);
            i = end + 1;
        } else {
            // Through to the next `$`, the only place a reference can start.
            let first = rest.chars().next().map_or(1, char::len_utf8);
            let run = rest[first..].find('$').map_or(rest.len(), |at| first + at);
            if out.capacity() == 0 {
                out.reserve_exact(text.len());
            }
            out.push_str(&rest[..run]);
            i += run;
        }
    }
    Ok(out)
}

fn too_long() -> String {
    format!("the value is longer than {MAX_VALUE_BYTES} bytes")
}

/// Index of the `}` closing a reference whose body starts at `start`. In a command, a `}`
/// inside quotes does not close it.
fn closing_brace(text: &str, start: usize) -> Result<usize, String> {
    let bytes = text.as_bytes();
    let command = bytes[start..].starts_with(b"cmd:");
    let mut quote: Option<u8> = None;
    let mut depth = 1;
    let mut i = start;
    while i < bytes.len() {
        if let Some(q) = quote {
            if bytes[i] == q {
                quote = None;
            }
            i += 1;
        } else if command && (bytes[i] == b'\'' || bytes[i] == b'"') {
            quote = Some(bytes[i]);
            i += 1;
        } else if bytes[i..].starts_with(b"$${") {
            i += 3;
        } else if bytes[i..].starts_with(b"${") {
            depth += 1;
            i += 2;
        } else if bytes[i] == b'}' {
            depth -= 1;
            if depth == 0 {
                return Ok(i);
            }
            i += 1;
        } else {
            i += 1;
        }
    }
    Err("unterminated '${' (close it with '}', or write '$${' for a literal '${')".into())
}

fn evaluate(body: &str, context: &Context, sources: &mut Vec<Source>, depth: usize) -> Result<String, String> {
    if let Some(reference) = body.strip_prefix("file:") {
        let (path, field) = split_field(reference);
        let text = read_value_file(path, context, sources)?;
        return match field {
            Some(field) => json_field(&text, field).map_err(|e| format!("file '{}': {e}", path.trim())),
            None => Ok(text),
        };
    }
    if let Some(reference) = body.strip_prefix("cmd:") {
        let (line, field) = split_field(reference);
        let program = super::commands::split(line)?.swap_remove(0);
        return match context.commands {
            Commands::Refuse => Err(format!(
                "'${{cmd:{program} …}}' runs a command, which is off by default: pass allow_commands := true to the call"
            )),
            Commands::ForbiddenByFile { line, column } => Err(format!(
                "'${{cmd:{program} …}}' runs a command, which is off by default, and this file forbids it whatever \
                 the call says (options: allow_commands: false at line {line}, column {column})"
            )),
            Commands::Describe => {
                sources.push(Source::Command { line: line.trim().to_string() });
                Ok(String::new())
            }
            Commands::Run { timeout } => {
                let output = super::commands::run(line, timeout)?;
                sources.push(Source::Command { line: line.trim().to_string() });
                match field {
                    Some(field) => json_field(&output, field).map_err(|e| format!("command '{program}': {e}")),
                    None => Ok(output),
                }
            }
        };
    }
    let body = body.strip_prefix("env:").unwrap_or(body);
    let name_len = body
        .char_indices()
        .find(|&(i, c)| !(c == '_' || c.is_ascii_alphabetic() || (i > 0 && c.is_ascii_digit())))
        .map_or(body.len(), |(i, _)| i);
    let (name, modifier) = body.split_at(name_len);
    if name.is_empty() {
        return Err("a reference must name a variable: ${NAME}, ${env:NAME}, ${NAME:-fallback}, ${NAME:?message} or ${file:path}".into());
    }
    let value = context.variables.lookup(name);
    sources.push(Source::Env { name: name.to_string(), fingerprint: value.as_deref().map(fingerprint) });
    let set = value.as_deref().filter(|v| !v.is_empty());
    if modifier.is_empty() {
        return value.ok_or_else(|| format!("environment variable {name} is not set"));
    }
    if let Some(fallback) = modifier.strip_prefix(":-") {
        return match set {
            Some(v) => Ok(v.to_string()),
            None => expand(fallback, context, sources, depth + 1),
        };
    }
    if let Some(message) = modifier.strip_prefix(":?") {
        return match set {
            Some(v) => Ok(v.to_string()),
            None if message.is_empty() => Err(format!("environment variable {name} is not set or empty")),
            None => Err(format!("environment variable {name} is not set or empty: {message}")),
        };
    }
    Err(format!(
        "unsupported syntax after the variable name {name}: use ${{{name}}}, ${{{name}:-fallback}} or ${{{name}:?message}}"
    ))
}

/// `path#a.b` → (`path`, `a.b`): a trailing `#` followed by a dotted field path picks a field
/// of a JSON document (a Kubernetes secret file, an AWS Secrets Manager JSON secret).
fn split_field(reference: &str) -> (&str, Option<&str>) {
    match reference.rsplit_once('#') {
        Some((head, field))
            if !field.is_empty()
                && field.split('.').all(|p| !p.is_empty())
                && field.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')) =>
        {
            (head, Some(field))
        }
        _ => (reference, None),
    }
}

/// The field at a dotted path of a JSON document: strings as they are, numbers and
/// booleans as written, objects and arrays as compact JSON. Messages name the path only.
fn json_field(document: &str, path: &str) -> Result<String, String> {
    let root: serde_json::Value = serde_json::from_str(document)
        .map_err(|_| format!("the value is not a JSON document, so it has no field '{path}'"))?;
    let mut node = &root;
    for part in path.split('.') {
        node = match node {
            serde_json::Value::Object(map) => map.get(part),
            serde_json::Value::Array(items) => part.parse::<usize>().ok().and_then(|i| items.get(i)),
            _ => None,
        }
        .ok_or_else(|| format!("the JSON document has no field '{path}'"))?;
    }
    match node {
        serde_json::Value::String(text) => Ok(text.clone()),
        serde_json::Value::Null => Err(format!("the JSON field '{path}' is null")),
        other => Ok(other.to_string()),
    }
}

/// A `${file:…}` path, relative to the YAML file's folder, read as the drift check reads it.
fn read_value_file(path: &str, context: &Context, sources: &mut Vec<Source>) -> Result<String, String> {
    let path = path.trim();
    if path.is_empty() {
        return Err("'${file:}' needs a path".into());
    }
    let mut full = files::expand_home(path);
    if full.is_relative() {
        full = context.base_dir.join(full);
    }
    let value = files::read_value_file(&full).map_err(|e| format!("file '{}': {e}", full.display()))?;
    sources.push(Source::File { path: full, fingerprint: Some(fingerprint(&value)) });
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_vars(dotenv: &str, text: &str) -> Result<String, String> {
        let mut variables = Variables::new();
        variables.add_dotenv(dotenv).map_err(|(l, m)| format!("{l}: {m}"))?;
        let context = Context {
            variables: &variables,
            base_dir: Path::new("/nonexistent"),
            commands: Commands::Run { timeout: crate::core::commands::DEFAULT_TIMEOUT },
        };
        resolve(text, &context, &mut Vec::new()).map(|r| r.value.expose().to_string())
    }

    #[test]
    fn dollars_that_start_no_reference_are_kept() {
        assert_eq!(with_vars("", "pa$$w0rd").unwrap(), "pa$$w0rd");
        assert_eq!(with_vars("", "$ecret$").unwrap(), "$ecret$");
        assert_eq!(with_vars("", "a$$${b").unwrap(), "a$${b");
        assert_eq!(with_vars("", "$${NOT_A_REF}").unwrap(), "${NOT_A_REF}");
        // Literal text is copied a run at a time, up to each `$`.
        assert_eq!(with_vars("YS_T_U=ü\n", "é$ü${YS_T_U}$").unwrap(), "é$üü$");
        assert_eq!(with_vars("", "€").unwrap(), "€");
        assert!(has_reference("$x${A}") && has_reference("a$ ${") && !has_reference("$${A}") && !has_reference("$"));
    }

    #[test]
    fn variables_fallbacks_and_messages() {
        let env = "YS_T_A=alpha\nYS_T_EMPTY=\n";
        assert_eq!(with_vars(env, "${YS_T_A}").unwrap(), "alpha");
        assert_eq!(with_vars(env, "x-${env:YS_T_A}-y").unwrap(), "x-alpha-y");
        assert_eq!(with_vars(env, "${YS_T_EMPTY}").unwrap(), "");
        assert_eq!(with_vars(env, "${YS_T_EMPTY:-fb}").unwrap(), "fb");
        assert_eq!(with_vars(env, "${YS_T_MISSING:-${YS_T_A}}").unwrap(), "alpha");
        assert_eq!(with_vars(env, "${YS_T_MISSING:-${YS_T_NOPE:-deep}}").unwrap(), "deep");
        let err = with_vars(env, "${YS_T_MISSING:?set it in .env}").unwrap_err();
        assert!(err.contains("YS_T_MISSING") && err.contains("set it in .env"), "{err}");
        let err = with_vars(env, "${YS_T_MISSING}").unwrap_err();
        assert_eq!(err, "environment variable YS_T_MISSING is not set");
    }

    #[test]
    fn malformed_references_do_not_echo_their_text() {
        let err = with_vars("", "${YS_T_A:-hunter2").unwrap_err();
        assert!(err.contains("unterminated") && !err.contains("hunter2"), "{err}");
        let err = with_vars("", "${YS_T_A?hunter2}").unwrap_err();
        assert!(!err.contains("hunter2"), "{err}");
        assert!(with_vars("", "${}").is_err());
        assert_eq!(with_vars("", "${cmd:echo hi}").unwrap(), "hi");
    }

    #[test]
    fn sources_and_what_counts_as_a_reference() {
        let variables = Variables::new();
        let context = Context { variables: &variables, base_dir: Path::new("."), commands: Commands::Refuse };
        let mut sources = vec![Source::Command { line: "earlier".into() }];
        resolve("${YS_T_UNSET:-5432}", &context, &mut sources).unwrap();
        assert_eq!(sources[1..], [Source::Env { name: "YS_T_UNSET".into(), fingerprint: None }]);
        assert!(has_reference("a${B}") && !has_reference("a$${B}") && !has_reference("pa$$"));
    }

    #[test]
    fn file_values_lose_one_trailing_newline() {
        let dir = std::env::temp_dir().join(format!("ys-interp-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("pw"), "s3cr3t\n\n").unwrap();
        let variables = Variables::new();
        let context = Context { variables: &variables, base_dir: &dir, commands: Commands::Refuse };
        assert_eq!(resolve("${file:pw}", &context, &mut Vec::new()).unwrap().value.expose(), "s3cr3t\n");
        let err = resolve("${file:missing}", &context, &mut Vec::new()).unwrap_err();
        assert!(err.contains("does not exist"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn values_and_what_references_bring_in_are_bounded() {
        let big = "b".repeat(200_000);
        let mut variables = Variables::new();
        variables.add_dotenv(&format!("YS_T_BIG={big}\n")).unwrap();
        let context = Context { variables: &variables, base_dir: Path::new("."), commands: Commands::Refuse };
        assert_eq!(
            resolve(&"${YS_T_BIG}".repeat(5), &context, &mut Vec::new()).unwrap().value.expose().len(),
            1_000_000
        );
        let err = resolve(&"${YS_T_BIG}".repeat(6), &context, &mut Vec::new()).unwrap_err();
        assert_eq!(err, "the value is longer than 1048576 bytes");
        assert_eq!(resolve(&"x".repeat(MAX_VALUE_BYTES + 1), &context, &mut Vec::new()).unwrap_err(), err);
        // 1 MB per value passes; a file of such values stops at 16 MiB in all.
        let mut stopped = None;
        for i in 0..100 {
            if let Err(e) = resolve(&"${YS_T_BIG}".repeat(5), &context, &mut Vec::new()) {
                stopped = Some((i, e));
                break;
            }
        }
        let (at, message) = stopped.expect("the budget never ran out");
        assert_eq!((at, message.as_str()), (14, "the references of this file bring in more than 16777216 bytes"));
        assert!(!message.contains(&big[..10]));
    }

    #[test]
    fn a_megabyte_of_dotenv_is_read_in_linear_time() {
        let text: String = (0..60_000).map(|i| format!("YS_T_BULK_{i}=value-{i}\n")).collect();
        let started = std::time::Instant::now();
        let mut variables = Variables::new();
        variables.add_dotenv(&text).unwrap();
        variables.add_dotenv(&text).unwrap();
        assert_eq!(variables.lookup("YS_T_BULK_59999").as_deref(), Some("value-59999"));
        // Quadratic merging took tens of seconds here; linear takes milliseconds, debug build included.
        assert!(started.elapsed() < std::time::Duration::from_secs(5), "{:?}", started.elapsed());
    }

    #[test]
    fn commands_are_refused_unless_allowed_and_fields_are_picked() {
        let variables = Variables::new();
        let refuse = Context { variables: &variables, base_dir: Path::new("."), commands: Commands::Refuse };
        let err = resolve("${cmd:echo hi}", &refuse, &mut Vec::new()).unwrap_err();
        assert!(err.contains("allow_commands := true") && err.contains("cmd:echo"), "{err}");
        let run = Context {
            variables: &variables,
            base_dir: Path::new("."),
            commands: Commands::Run { timeout: crate::core::commands::DEFAULT_TIMEOUT },
        };
        let json = r#"${cmd:printf '{"user": "ana", "db": {"password": "p}w"}, "n": [1, 2]}'#db.password}"#;
        assert_eq!(resolve(json, &run, &mut Vec::new()).unwrap().value.expose(), "p}w");
        let missing = r#"${cmd:printf '{"a": 1}'#b}"#;
        assert_eq!(
            resolve(missing, &run, &mut Vec::new()).unwrap_err(),
            "command 'printf': the JSON document has no field 'b'"
        );
        let describe = Context { variables: &variables, base_dir: Path::new("."), commands: Commands::Describe };
        let mut sources = Vec::new();
        let r = resolve("${cmd:false}", &describe, &mut sources).unwrap();
        assert!(r.deferred && r.value.is_empty());
        assert_eq!(sources, vec![Source::Command { line: "false".into() }]);
    }

    #[test]
    fn json_fields_of_files() {
        let dir = std::env::temp_dir().join(format!("ys-json-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("acme")).unwrap();
        std::fs::write(dir.join("acme/postgres.json"), r#"{"password": "pw-1", "port": 5432}"#).unwrap();
        let variables = Variables::new();
        let context = Context { variables: &variables, base_dir: &dir, commands: Commands::Refuse };
        assert_eq!(
            resolve("${file:acme/postgres.json#password}", &context, &mut Vec::new()).unwrap().value.expose(),
            "pw-1"
        );
        assert_eq!(
            resolve("${file:acme/postgres.json#port}", &context, &mut Vec::new()).unwrap().value.expose(),
            "5432"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
