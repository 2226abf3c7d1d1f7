//! A secrets file's structure: `version`, `options`, and `secrets` in map or list form,
//! optionally found at a dotted `key` inside a larger document (a Duckalog catalog, a dbt
//! profile). What each field of a secret means is the validator's job.

use std::borrow::Cow;

use super::diagnostics::{did_you_mean, is_full, omit, push_bounded, shown_key, Diagnostic, Location, Severity};
use super::yaml::{self, Node, Value};

#[derive(Debug, Clone, Default)]
pub struct FileOptions {
    pub persistent: Option<Node>,
    /// `allow_commands: false` forbids `${cmd:}` whatever the call says; `true` documents
    /// that the file expects the call's `allow_commands := true`.
    pub allow_commands: Option<Node>,
    /// Seconds a `${cmd:}` command may run (default 30).
    pub command_timeout: Option<Node>,
    /// With `key`: `allow_commands` of the `options` mappings around the selected node.
    pub outer_allow_commands: Vec<Node>,
    pub env_files: Vec<(String, Location)>,
}

/// One secret as written: its name and its fields, not yet understood.
#[derive(Debug, Clone)]
pub struct SecretDef {
    /// `None` in list form without `name:`: DuckDB's default name, `__default_<type>`.
    pub name: Option<String>,
    pub at: Location,
    /// `(key, key position, value)` in file order, `name` excluded.
    pub fields: Vec<(String, Location, Node)>,
}

impl SecretDef {
    pub fn field(&self, key: &str) -> Option<&Node> {
        self.fields.iter().find(|(k, _, _)| k == key).map(|(_, _, v)| v)
    }
}

#[derive(Debug, Clone, Default)]
pub struct Document {
    pub options: FileOptions,
    pub secrets: Vec<SecretDef>,
}

const TOP_LEVEL_KEYS: &[&str] = &["version", "options", "secrets"];
/// Fields of one secret: a type has at most a few dozen parameters.
pub const MAX_FIELDS: usize = 100;
/// Items of one list or map value (a scope list, a header map). Each becomes part of one
/// CREATE SECRET statement, which DuckDB handles slowly past a few thousand (a map of
/// 200 000 headers took DuckDB 8 s and 600 MB, a 200 000-item scope ran out of memory).
pub const MAX_ITEMS: usize = 1000;
const OPTION_KEYS: &[&str] = &["persistent", "persist", "env_file", "allow_commands", "command_timeout"];

/// Reads the document; every structural problem is added to `problems`.
pub fn read(file: &str, text: &str, key: Option<&str>, problems: &mut Vec<Diagnostic>) -> Document {
    let root = match yaml::parse(text) {
        Ok(root) => root,
        Err(e) => {
            problems.push(Diagnostic::error(file, Some(e.at), e.message));
            return Document::default();
        }
    };
    let mut document = Document::default();
    let blank = text.lines().map(str::trim).all(|l| l.is_empty() || l.starts_with('#') || l == "---" || l == "...");
    if blank || root.is_null() {
        // An empty file, or one of comments only: loading nothing would hide the mistake.
        problems.push(Diagnostic::error(file, None, "the file is empty: list the secrets under 'secrets:'"));
        return document;
    }
    match key.filter(|k| !k.is_empty()) {
        Some(path) => {
            document.options.outer_allow_commands = outer_allow_commands(&root, path);
            match select(root, path) {
                Ok(secrets) => document.secrets = read_secrets(file, secrets, problems),
                Err(message) => problems.push(Diagnostic::error(file, None, message)),
            }
        }
        None => {
            let has_secrets = root.get("secrets").is_some();
            // `secrets` one level down or more: the file is meant for `key :=`.
            let nested = if has_secrets { None } else { nested_secrets(&root, String::new(), 4) };
            let root_at = root.at;
            let kind = root.kind_name();
            let Ok(entries) = root.into_entries() else {
                problems.push(Diagnostic::error(
                    file,
                    Some(root_at),
                    format!("the file must be a mapping with a 'secrets' key, not {kind}"),
                ));
                return document;
            };
            for (k, v) in entries {
                let name = k.as_str().unwrap_or_default();
                match name {
                    "version" => check_version(file, &v, problems),
                    "options" => document.options = read_options(file, &v, problems),
                    "secrets" => document.secrets = read_secrets(file, v, problems),
                    // Room for anchors: `x-defaults: &s3 {...}` as in docker-compose files.
                    _ if name.starts_with("x-") => {}
                    // The one error below says what to do instead.
                    _ if nested.is_some() => {}
                    _ => push_bounded(problems, unknown_key(file, &k, name, TOP_LEVEL_KEYS, "top-level key")),
                }
            }
            if let Some(path) = nested {
                problems.push(Diagnostic::error(
                    file,
                    None,
                    format!("no 'secrets' key at the top level, but '{path}' holds one: did you mean key := '{path}'?"),
                ));
            } else if !has_secrets {
                problems.push(Diagnostic::error(
                    file,
                    None,
                    "no 'secrets' key: the file must list its secrets under 'secrets:'",
                ));
            }
        }
    }
    document
}

/// A file's own policy holds whatever `key` selects: `allow_commands` of the top-level
/// `options` and of an `options` beside each mapping on the way to the selected node
/// (`duckdb.options` for `key := 'duckdb.secrets'`). The other options there are not read:
/// in a larger document they may belong to someone else.
fn outer_allow_commands(root: &Node, path: &str) -> Vec<Node> {
    let mut found = Vec::new();
    let mut node = root;
    for part in path.split('.') {
        let Value::Mapping(entries) = &node.value else { break };
        let child = |name: &str| entries.iter().find(|(k, _)| k.as_str() == Some(name)).map(|(_, v)| v);
        if let Some(Value::Mapping(options)) = child("options").map(|o| &o.value) {
            found.extend(options.iter().filter(|(k, _)| k.as_str() == Some("allow_commands")).map(|(_, v)| v.clone()));
        }
        match child(part) {
            Some(next) => node = next,
            None => break,
        }
    }
    found
}

/// The dotted path of the first mapping key `secrets` below the top level, breadth first.
fn nested_secrets(node: &Node, prefix: String, depth: usize) -> Option<String> {
    let Value::Mapping(entries) = &node.value else { return None };
    let named = |k: &Node| k.as_str().filter(|n| !n.is_empty() && !n.contains('.')).map(str::to_string);
    if !prefix.is_empty() && entries.iter().any(|(k, v)| k.as_str() == Some("secrets") && !v.is_null()) {
        return Some(format!("{prefix}.secrets"));
    }
    if depth == 0 {
        return None;
    }
    entries.iter().find_map(|(k, v)| {
        let name = named(k)?;
        let path = if prefix.is_empty() { name } else { format!("{prefix}.{name}") };
        nested_secrets(v, path, depth - 1)
    })
}

/// Follows a dotted path (`duckdb.secrets`) through mappings, taking the node out.
fn select(root: Node, path: &str) -> Result<Node, String> {
    let mut node = root;
    let mut walked = String::new();
    let parts: Vec<&str> = path.split('.').collect();
    for (index, part) in parts.iter().copied().enumerate() {
        let entries = node.into_entries().unwrap_or_default();
        let keys: Vec<String> = entries.iter().filter_map(|(k, _)| k.as_str().map(str::to_string)).collect();
        let next = entries.into_iter().find(|(k, _)| k.as_str() == Some(part)).map(|(_, v)| v).ok_or_else(|| {
            let mut message = if walked.is_empty() {
                format!("key '{path}': the document has no top-level key '{part}'")
            } else {
                format!("key '{path}': '{walked}' has no key '{part}'")
            };
            if let Some(close) = did_you_mean(part, keys.iter().map(String::as_str)) {
                let mut fixed = parts.clone();
                fixed[index] = close;
                message.push_str(&format!("; did you mean key := '{}'?", fixed.join(".")));
            }
            message
        })?;
        if !walked.is_empty() {
            walked.push('.');
        }
        walked.push_str(part);
        node = next;
    }
    Ok(node)
}

fn unknown_key(file: &str, key: &Node, name: &str, allowed: &[&str], what: &str) -> Diagnostic {
    let shown = shown_key(name);
    let mut message = format!("unknown {what} '{shown}'");
    match (shown.hint, did_you_mean(shown.head(), allowed.iter().copied())) {
        (Some(hint), _) => message.push_str(&format!("; {hint}")),
        (None, Some(close)) => message.push_str(&format!("; did you mean '{close}'?")),
        (None, None) => message.push_str(&format!(" (allowed: {})", allowed.join(", "))),
    }
    Diagnostic::error(file, Some(key.at), message)
}

fn check_version(file: &str, v: &Node, problems: &mut Vec<Diagnostic>) {
    if v.as_str().map(str::trim) != Some("1") {
        problems.push(
            Diagnostic::error(file, Some(v.at), "unsupported version: only 'version: 1' exists").in_field("version"),
        );
    }
}

fn read_options(file: &str, node: &Node, problems: &mut Vec<Diagnostic>) -> FileOptions {
    let mut options = FileOptions::default();
    if node.is_null() {
        return options;
    }
    let Value::Mapping(entries) = &node.value else {
        problems.push(Diagnostic::error(
            file,
            Some(node.at),
            format!("'options' must be a mapping, not {}", node.kind_name()),
        ));
        return options;
    };
    for (k, v) in entries.iter() {
        let name = k.as_str().unwrap_or_default();
        match name {
            "persistent" | "persist" => {
                if options.persistent.is_some() {
                    problems.push(
                        Diagnostic::error(file, Some(k.at), "'persistent' and 'persist' are the same option: give one")
                            .in_field(name),
                    );
                }
                options.persistent = Some(v.clone());
            }
            "env_file" => options.env_files = string_or_list(file, v, "env_file", problems),
            "allow_commands" => options.allow_commands = Some(v.clone()),
            "command_timeout" => options.command_timeout = Some(v.clone()),
            _ => push_bounded(problems, unknown_key(file, k, name, OPTION_KEYS, "option")),
        }
    }
    options
}

/// A string or a list of strings, with positions (used for `env_file`).
pub fn string_or_list(file: &str, node: &Node, field: &str, problems: &mut Vec<Diagnostic>) -> Vec<(String, Location)> {
    let items: Vec<&Node> = match &node.value {
        Value::Sequence(items) => items.iter().collect(),
        _ => vec![node],
    };
    let mut out = Vec::new();
    for item in items {
        match &item.value {
            Value::Scalar { text, .. } if !item.is_null() => out.push((text.clone(), item.at)),
            _ => push_bounded(
                problems,
                Diagnostic::error(
                    file,
                    Some(item.at),
                    format!("expected a string or a list of strings, not {}", item.kind_name()),
                )
                .in_field(field),
            ),
        }
    }
    out
}

fn read_secrets(file: &str, node: Node, problems: &mut Vec<Diagnostic>) -> Vec<SecretDef> {
    let mut secrets = Vec::new();
    if node.is_null() {
        return secrets;
    }
    let at = node.at;
    match node.value {
        Value::Mapping(_) => {
            let entries = node.into_entries().unwrap_or_default();
            secrets.reserve_exact(entries.len());
            for (k, v) in entries {
                let name = match k.value {
                    Value::Scalar { text, .. } => text,
                    _ => String::new(),
                };
                if let Some(def) = read_definition(file, Some((name, k.at)), v, problems) {
                    secrets.push(def);
                }
            }
        }
        Value::Sequence(_) => {
            for item in node.into_items().unwrap_or_default() {
                if let Some(def) = read_definition(file, None, item, problems) {
                    secrets.push(def);
                }
            }
        }
        Value::Scalar { .. } => problems.push(Diagnostic::error(
            file,
            Some(at),
            "'secrets' must be a mapping of name → definition or a list of definitions",
        )),
    }
    check_unique_names(file, &secrets, problems);
    secrets
}

fn read_definition(
    file: &str,
    key: Option<(String, Location)>,
    node: Node,
    problems: &mut Vec<Diagnostic>,
) -> Option<SecretDef> {
    let node_at = node.at;
    let kind = node.kind_name();
    let Ok(entries) = node.into_entries() else {
        let mut d =
            Diagnostic::error(file, Some(node_at), format!("a secret definition must be a mapping, not {kind}"));
        if let Some((name, _)) = &key {
            d = d.in_secret(name);
        }
        push_bounded(problems, d);
        return None;
    };
    // A block mapping's own mark points past its first key; its first key is where it starts.
    let start = entries.first().map_or(node_at, |(k, _)| k.at);
    let mut def = SecretDef { name: None, at: start, fields: Vec::with_capacity(entries.len()) };
    if let Some((name, at)) = key {
        def.name = Some(name);
        def.at = at;
    }
    for (k, v) in entries {
        let field = match k.value {
            Value::Scalar { text, .. } => text,
            _ => String::new(),
        };
        if field == "name" {
            match (&def.name, v.as_str()) {
                (Some(_), _) => push_bounded(
                    problems,
                    Diagnostic::error(file, Some(k.at), "'name' is the mapping key in map form; remove this field")
                        .in_field("name"),
                ),
                (None, Some(text)) if !v.is_null() && !text.trim().is_empty() => def.name = Some(text.to_string()),
                _ => push_bounded(
                    problems,
                    Diagnostic::error(file, Some(v.at), "a secret name must be a non-empty string").in_field("name"),
                ),
            }
            continue;
        }
        def.fields.push((field, k.at, v));
    }
    check_sizes(file, &def, problems).then_some(def)
}

/// Whether the definition is within [`MAX_FIELDS`] and [`MAX_ITEMS`]; an error when not.
fn check_sizes(file: &str, def: &SecretDef, problems: &mut Vec<Diagnostic>) -> bool {
    let refuse = |problems: &mut Vec<Diagnostic>, d: Diagnostic| {
        push_bounded(problems, if let Some(name) = &def.name { d.in_secret(name) } else { d });
        false
    };
    if def.fields.len() > MAX_FIELDS {
        let message = format!("the definition holds {} fields; a secret takes at most {MAX_FIELDS}", def.fields.len());
        return refuse(problems, Diagnostic::error(file, Some(def.at), message));
    }
    for (key, _, value) in &def.fields {
        let items = match &value.value {
            Value::Sequence(items) => items.len(),
            Value::Mapping(entries) => entries.len(),
            Value::Scalar { .. } => continue,
        };
        if items > MAX_ITEMS {
            let message = format!("the value holds {items} items; a field takes at most {MAX_ITEMS}");
            return refuse(problems, Diagnostic::error(file, Some(value.at), message).in_field(&shown_key(key).text));
        }
    }
    true
}

/// The name DuckDB gives a secret created without one.
pub fn default_name(type_name: &str) -> String {
    format!("__default_{}", type_name.to_ascii_lowercase())
}

/// The name a definition ends up with (explicit, or DuckDB's default for its type).
pub fn effective_name(def: &SecretDef) -> Cow<'_, str> {
    match &def.name {
        Some(name) => Cow::Borrowed(name),
        None => Cow::Owned(default_name(def.field("type").and_then(Node::as_str).unwrap_or(""))),
    }
}

/// The effective name as DuckDB stores and compares it (lower case): copied only when it has
/// capitals to lower or is DuckDB's default.
pub fn stored_name(def: &SecretDef) -> Cow<'_, str> {
    match effective_name(def) {
        Cow::Borrowed(name) if name.bytes().any(|b| b.is_ascii_uppercase()) => Cow::Owned(name.to_ascii_lowercase()),
        Cow::Borrowed(name) => Cow::Borrowed(name),
        Cow::Owned(name) => Cow::Owned(name.to_ascii_lowercase()),
    }
}

fn check_unique_names(file: &str, secrets: &[SecretDef], problems: &mut Vec<Diagnostic>) {
    // DuckDB compares secret names case-insensitively.
    let mut first_seen: std::collections::HashMap<Cow<str>, Location> =
        std::collections::HashMap::with_capacity(secrets.len());
    for def in secrets {
        let name = stored_name(def);
        match first_seen.get(&name) {
            Some(_) if is_full(problems) => omit(problems, file, Severity::Error),
            Some(first) => push_bounded(
                problems,
                Diagnostic::error(
                    file,
                    Some(def.at),
                    format!("duplicate secret name (first defined at line {}, column {})", first.line, first.column),
                )
                .in_secret(&name),
            ),
            None => {
                first_seen.insert(name, def.at);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_ok(text: &str, key: Option<&str>) -> Document {
        let mut problems = Vec::new();
        let doc = read("s.yaml", text, key, &mut problems);
        assert!(problems.is_empty(), "{problems:#?}");
        doc
    }

    fn problems_of(text: &str) -> Vec<String> {
        let mut problems = Vec::new();
        read("s.yaml", text, None, &mut problems);
        problems.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn map_form_names_come_from_keys() {
        let doc = read_ok("secrets:\n  api:\n    type: http\n    bearer_token: x\n", None);
        assert_eq!(doc.secrets.len(), 1);
        assert_eq!(doc.secrets[0].name.as_deref(), Some("api"));
        assert_eq!(doc.secrets[0].at, Location { line: 2, column: 3 });
        assert_eq!(doc.secrets[0].fields.len(), 2);
    }

    #[test]
    fn list_form_with_and_without_names() {
        let doc = read_ok("secrets:\n  - name: a\n    type: s3\n  - type: S3\n", None);
        assert_eq!(effective_name(&doc.secrets[0]), "a");
        assert_eq!(effective_name(&doc.secrets[1]), "__default_s3");
    }

    #[test]
    fn key_selects_a_subtree() {
        let doc = read_ok("duckdb:\n  secrets:\n    - type: http\nother: [1, 2]\n", Some("duckdb.secrets"));
        assert_eq!(doc.secrets.len(), 1);
        let mut problems = Vec::new();
        read("s.yaml", "duckdb: {}\n", Some("duckdb.secrets"), &mut problems);
        assert!(problems[0].message.contains("'duckdb' has no key 'secrets'"), "{problems:?}");
    }

    #[test]
    fn key_keeps_the_files_own_allow_commands() {
        let text = "options:\n  allow_commands: false\nduckdb:\n  options: {allow_commands: false, other: 1}\n  \
                    secrets:\n    a: {type: http}\nsecrets:\n  b: {type: http}\n";
        let doc = read_ok(text, Some("secrets"));
        assert_eq!(doc.options.outer_allow_commands.len(), 1);
        assert_eq!(doc.options.outer_allow_commands[0].at, Location { line: 2, column: 19 });
        let doc = read_ok(text, Some("duckdb.secrets"));
        let places: Vec<_> = doc.options.outer_allow_commands.iter().map(|n| n.at.line).collect();
        assert_eq!(places, [2, 4]);
        // without key, the options are read as usual
        let doc = read_ok("options:\n  allow_commands: false\nsecrets: {}\n", None);
        assert!(doc.options.allow_commands.is_some() && doc.options.outer_allow_commands.is_empty());
    }

    #[test]
    fn an_empty_file_says_so() {
        for text in ["", "\n\n", "# only a comment\n# and another\n", "---\n"] {
            let found = problems_of(text);
            assert_eq!(found, ["s.yaml: the file is empty: list the secrets under 'secrets:'"], "{text:?}");
            let mut problems = Vec::new();
            read("s.yaml", text, Some("duckdb.secrets"), &mut problems);
            assert!(problems[0].message.starts_with("the file is empty"), "{problems:?}");
        }
    }

    #[test]
    fn a_nested_secrets_key_suggests_key() {
        let found = problems_of("duckdb:\n  settings: {}\n  secrets:\n    a: {type: http}\nother: 1\n");
        assert_eq!(
            found,
            ["s.yaml: no 'secrets' key at the top level, but 'duckdb.secrets' holds one: did you mean key := \
              'duckdb.secrets'?"],
        );
        let found = problems_of("profile:\n  outputs:\n    dev:\n      secrets: [{type: http}]\n");
        assert!(found[0].contains("did you mean key := 'profile.outputs.dev.secrets'?"), "{found:?}");
        // without a nested one, the unknown keys are reported as before
        let found = problems_of("duckdb:\n  settings: {}\n");
        assert!(found.iter().any(|p| p.contains("unknown top-level key 'duckdb'")), "{found:?}");
        assert!(found.iter().any(|p| p.contains("no 'secrets' key")), "{found:?}");
    }

    #[test]
    fn a_mistyped_key_gets_a_suggestion() {
        let text = "duckdb:\n  secrets:\n    a: {type: http}\n";
        for (key, fix) in [("duckdb.secret", "duckdb.secrets"), ("duckbd.secrets", "duckdb.secrets")] {
            let mut problems = Vec::new();
            read("s.yaml", text, Some(key), &mut problems);
            assert!(problems[0].message.ends_with(&format!("did you mean key := '{fix}'?")), "{problems:?}");
        }
        let mut problems = Vec::new();
        read("s.yaml", text, Some("elsewhere.secrets"), &mut problems);
        assert!(!problems[0].message.contains("did you mean"), "{problems:?}");
    }

    #[test]
    fn options_and_version() {
        let doc = read_ok("version: 1\noptions:\n  persist: true\n  env_file: [.env, b.env]\nsecrets: {}\n", None);
        assert!(doc.options.persistent.is_some());
        assert_eq!(doc.options.env_files.len(), 2);
        assert_eq!(doc.options.env_files[1].1, Location { line: 4, column: 20 });
    }

    #[test]
    fn strictness_is_reported_with_places() {
        let found = problems_of("version: 2\nsecrest: {}\noptions:\n  persistant: true\n");
        assert!(found.iter().any(|p| p.starts_with("s.yaml:1:10:") && p.contains("version")), "{found:?}");
        assert!(
            found.iter().any(|p| p.starts_with("s.yaml:2:1:") && p.contains("did you mean 'secrets'")),
            "{found:?}"
        );
        assert!(
            found.iter().any(|p| p.starts_with("s.yaml:4:3:") && p.contains("did you mean 'persistent'")),
            "{found:?}"
        );
        assert!(found.iter().any(|p| p.contains("no 'secrets' key")), "{found:?}");
    }

    #[test]
    fn duplicate_names_and_keys() {
        let found = problems_of("secrets:\n  - name: a\n    type: s3\n  - name: A\n    type: s3\n");
        assert!(found.iter().any(|p| p.contains("duplicate secret name") && p.contains("s.yaml:4:")), "{found:?}");
        let found = problems_of("secrets:\n  a:\n    type: s3\n    type: gcs\n");
        assert!(found.iter().any(|p| p.starts_with("s.yaml:4:5:") && p.contains("duplicate key 'type'")), "{found:?}");
    }

    #[test]
    fn anchors_and_merge_keys() {
        let text = "x-base: &base\n  type: s3\n  region: eu\nsecrets:\n  a:\n    <<: *base\n    region: us\n";
        let doc = read_ok(text, None);
        let a = &doc.secrets[0];
        assert_eq!(a.field("type").and_then(Node::as_str), Some("s3"));
        assert_eq!(a.field("region").and_then(Node::as_str), Some("us"));
    }

    #[test]
    fn hostile_input_fails_fast() {
        let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let prev = (b'a' + (i - 1) as u8) as char;
            let this = (b'a' + i as u8) as char;
            bomb.push_str(&format!("{this}: &{this} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
        }
        assert!(problems_of(&bomb).iter().any(|p| p.contains("nodes")));
        let deep = "[".repeat(10_000);
        let found = problems_of(&deep);
        assert!(found.iter().any(|p| p.contains("nesting deeper")), "{found:?}");
        assert!(problems_of("secrets:\n  a: {type: s3\n").iter().any(|p| p.contains("syntax error")));
        assert!(problems_of("---\nsecrets: {}\n---\nsecrets: {}\n").iter().any(|p| p.contains("more than one")));
    }

    #[test]
    fn fields_and_items_are_bounded() {
        let fields: String = (0..=MAX_FIELDS).map(|i| format!("    f{i}: v\n")).collect();
        let found = problems_of(&format!("secrets:\n  a:\n    type: http\n{fields}"));
        assert_eq!(found, ["s.yaml:2:3: secret 'a': the definition holds 102 fields; a secret takes at most 100"]);
        let items = vec!["h"; MAX_ITEMS + 1].join(", ");
        let found = problems_of(&format!("secrets:\n  - {{type: http, scope: [{items}]}}\n"));
        assert_eq!(found, ["s.yaml:2:25: 'scope': the value holds 1001 items; a field takes at most 1000"]);
        let headers: Vec<String> = (0..MAX_ITEMS).map(|i| format!("h{i}: v")).collect();
        let doc =
            read_ok(&format!("secrets:\n  a: {{type: http, extra_http_headers: {{{}}}}}\n", headers.join(", ")), None);
        assert_eq!(doc.secrets.len(), 1);
    }
}
