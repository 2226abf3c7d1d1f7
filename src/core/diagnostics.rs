//! Findings about a secrets file: where (file, line, column), which secret and field, and
//! what to fix. A message never quotes a value: values may be credentials. A hostile file
//! can hold a million mistakes, so a list of findings keeps the first ones and counts the
//! rest, and a mapping key is shown only up to where a value typed into it could start.

use std::borrow::Cow;
use std::fmt;

/// Findings kept for one call; the rest are counted in one last finding.
pub const MAX_FINDINGS: usize = 100;
/// Errors spelled out in one error text (`secrets_check` lists up to [`MAX_FINDINGS`]).
pub const MAX_REPORTED: usize = 20;
/// Characters of a message: a message quotes names and the author's own `${X:?message}`
/// texts, which a hostile file can make megabytes long.
const MAX_MESSAGE_CHARS: usize = 1000;
/// Characters of a mapping key in a message.
const MAX_KEY_CHARS: usize = 64;

/// A 1-based position in the YAML text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, PartialOrd, Ord)]
pub struct Location {
    pub line: usize,
    pub column: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// The file as the user named it.
    pub file: String,
    pub location: Option<Location>,
    pub secret: Option<String>,
    pub field: Option<String>,
    pub message: String,
    /// Set on the one finding that stands for those left out of a full list.
    omitted: Option<Omitted>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Omitted {
    errors: usize,
    warnings: usize,
}

impl Diagnostic {
    pub fn error(file: &str, location: Option<Location>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            file: file.to_string(),
            location,
            secret: None,
            field: None,
            message: bounded(message.into(), MAX_MESSAGE_CHARS),
            omitted: None,
        }
    }

    pub fn warning(file: &str, location: Option<Location>, message: impl Into<String>) -> Self {
        Diagnostic { severity: Severity::Warning, ..Diagnostic::error(file, location, message) }
    }

    pub fn in_secret(mut self, secret: &str) -> Self {
        self.secret = Some(secret.to_string());
        self
    }

    pub fn in_field(mut self, field: &str) -> Self {
        self.field = Some(field.to_string());
        self
    }

    /// `file:line:column`, or `file` when the problem has no place in the text.
    pub fn source(&self) -> String {
        match self.location {
            Some(at) => format!("{}:{}:{}", self.file, at.line, at.column),
            None => self.file.clone(),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.source())?;
        match (&self.secret, &self.field) {
            (Some(secret), Some(field)) => write!(f, "secret '{secret}', field '{field}': ")?,
            (Some(secret), None) => write!(f, "secret '{secret}': ")?,
            (None, Some(field)) => write!(f, "'{field}': ")?,
            (None, None) => {}
        }
        f.write_str(&self.message)
    }
}

/// `text` cut to `limit` characters, marked with `…` when cut.
fn bounded(text: String, limit: usize) -> String {
    match text.char_indices().nth(limit) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text,
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

impl Omitted {
    /// Written into `out`, reusing its buffer: the summary is rewritten for every finding
    /// it counts, which may be hundreds of thousands.
    fn write_message(self, out: &mut String) {
        use std::fmt::Write;
        out.clear();
        out.push_str("… and ");
        let mut first = true;
        for (n, one, many) in [(self.errors, "error", "errors"), (self.warnings, "warning", "warnings")] {
            if n == 0 {
                continue;
            }
            if !first {
                out.push_str(" and ");
            }
            first = false;
            let _ = match n {
                1 => write!(out, "1 more {one}"),
                _ => write!(out, "{n} more {many}"),
            };
        }
        out.push_str(" not shown: fix the ones above first");
    }
}

/// Adds a finding to a list that keeps [`MAX_FINDINGS`] of them: past that, one last finding
/// counts the rest (an error when any of them is), so memory and output stay bounded.
pub fn push_bounded(list: &mut Vec<Diagnostic>, finding: Diagnostic) {
    if is_full(list) {
        omit(list, &finding.file, finding.severity);
    } else {
        list.push(finding);
    }
}

/// Whether a further finding would only be counted: callers may skip composing it.
pub fn is_full(list: &[Diagnostic]) -> bool {
    list.len() >= MAX_FINDINGS
}

/// Counts a finding left out of a full list.
pub fn omit(list: &mut Vec<Diagnostic>, file: &str, severity: Severity) {
    // Plain pushes may have landed after the summary, but only a few: the search is short.
    let found = list.iter().skip(MAX_FINDINGS).position(|d| d.omitted.is_some());
    let index = match found {
        Some(i) => MAX_FINDINGS + i,
        None => {
            let mut summary = Diagnostic::warning(file, None, "");
            summary.omitted = Some(Omitted::default());
            list.push(summary);
            list.len() - 1
        }
    };
    let summary = &mut list[index];
    let mut omitted = summary.omitted.unwrap_or_default();
    match severity {
        Severity::Error => {
            omitted.errors += 1;
            summary.severity = Severity::Error;
        }
        Severity::Warning => omitted.warnings += 1,
    }
    summary.omitted = Some(omitted);
    omitted.write_message(&mut summary.message);
}

/// One error text for a list of findings: a headline, then one finding per line (the
/// first [`MAX_REPORTED`], then how many more).
pub fn error_report(diagnostics: &[Diagnostic]) -> String {
    let errors: Vec<&Diagnostic> =
        diagnostics.iter().filter(|d| d.severity == Severity::Error && d.omitted.is_none()).collect();
    let left_out: usize = diagnostics.iter().filter_map(|d| d.omitted).map(|o| o.errors).sum();
    let total = errors.len() + left_out;
    let mut out = format!("yamlsecrets: {}, no secret was created:", plural(total, "error", "errors"));
    for d in errors.iter().take(MAX_REPORTED) {
        out.push_str("\n  ");
        out.push_str(&d.to_string());
    }
    if total > MAX_REPORTED {
        let more = total - MAX_REPORTED;
        out.push_str(&format!(
            "\n  … and {} not shown (secrets_check lists up to {MAX_FINDINGS})",
            plural(more, "more error", "more errors")
        ));
    }
    out
}

/// A mapping key as a message may show it. A key holding `:`, `=` or a space is most
/// likely a `key:value` typed without the space YAML needs (`bearer_token:ghp_…` is one
/// key to YAML), so only the part before that separator is shown, with a hint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShownKey<'a> {
    pub text: Cow<'a, str>,
    pub hint: Option<&'static str>,
}

impl ShownKey<'_> {
    /// The part before any separator: what a suggestion may be computed from.
    pub fn head(&self) -> &str {
        self.text.trim_end_matches('…')
    }

    /// `"; missing space after ':'?"`, or nothing.
    pub fn hint_suffix(&self) -> String {
        self.hint.map(|h| format!("; {h}")).unwrap_or_default()
    }

    pub fn is_whole(&self) -> bool {
        matches!(self.text, Cow::Borrowed(_))
    }
}

impl fmt::Display for ShownKey<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

pub fn shown_key(key: &str) -> ShownKey<'_> {
    let separator = key.char_indices().find(|(_, c)| matches!(c, ':' | '=') || c.is_whitespace() || c.is_control());
    let (end, hint) = match separator {
        Some((at, ':')) => (at, Some("missing space after ':'?")),
        Some((at, '=')) => (at, Some("write 'key: value' ('=' is not YAML)")),
        Some((at, c)) if c.is_whitespace() => (at, Some("is a ':' missing after the key?")),
        Some((at, _)) => (at, None),
        None => (key.len(), None),
    };
    let head = &key[..end];
    let cut = head.char_indices().nth(MAX_KEY_CHARS).map_or(head, |(i, _)| &head[..i]);
    if cut.len() == key.len() {
        ShownKey { text: Cow::Borrowed(key), hint }
    } else {
        ShownKey { text: Cow::Owned(format!("{cut}…")), hint }
    }
}

/// The candidate closest to `word`, when it is close enough to be a likely typo.
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let word = word.to_ascii_lowercase();
    let limit = (word.chars().count() / 3).max(2);
    candidates
        .into_iter()
        .map(|c| (edit_distance(&word, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = if ca == *cb { diagonal } else { 1 + diagonal.min(above).min(row[j]) };
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_file_line_column_secret_and_field() {
        let d = Diagnostic::error("s.yaml", Some(Location { line: 3, column: 5 }), "is not set")
            .in_secret("pg")
            .in_field("password");
        assert_eq!(d.to_string(), "s.yaml:3:5: secret 'pg', field 'password': is not set");
    }

    #[test]
    fn suggestions_find_typos_and_ignore_strangers() {
        let names = ["key_id", "secret", "region", "session_token"];
        assert_eq!(did_you_mean("regoin", names), Some("region"));
        assert_eq!(did_you_mean("KEY_ID", names), Some("key_id"));
        assert_eq!(did_you_mean("database", names), None);
    }

    #[test]
    fn report_lists_only_errors() {
        let diagnostics = vec![
            Diagnostic::error("f", None, "one"),
            Diagnostic::warning("f", None, "careful"),
            Diagnostic::error("f", None, "two"),
        ];
        let report = error_report(&diagnostics);
        assert!(report.starts_with("yamlsecrets: 2 errors"));
        assert!(report.contains("\n  f: one") && report.contains("\n  f: two"));
        assert!(!report.contains("careful"));
    }

    #[test]
    fn findings_past_the_limit_are_counted_not_kept() {
        let mut list = Vec::new();
        for i in 0..MAX_FINDINGS + 5000 {
            let d = if i % 2 == 0 { Diagnostic::warning("f", None, "w") } else { Diagnostic::error("f", None, "e") };
            push_bounded(&mut list, d);
        }
        assert_eq!(list.len(), MAX_FINDINGS + 1);
        let summary = &list[MAX_FINDINGS];
        assert_eq!(summary.severity, Severity::Error);
        assert_eq!(
            summary.message,
            "… and 2500 more errors and 2500 more warnings not shown: fix the ones above first"
        );
        let report = error_report(&list);
        assert!(report.starts_with("yamlsecrets: 2550 errors, no secret was created:"), "{report}");
        assert_eq!(report.lines().count(), 1 + MAX_REPORTED + 1, "{report}");
        assert!(report.ends_with("… and 2530 more errors not shown (secrets_check lists up to 100)"), "{report}");

        let mut warnings = Vec::new();
        for _ in 0..MAX_FINDINGS + 1 {
            push_bounded(&mut warnings, Diagnostic::warning("f", None, "w"));
        }
        assert_eq!(warnings[MAX_FINDINGS].severity, Severity::Warning);
        assert!(warnings[MAX_FINDINGS].message.contains("1 more warning not shown"));
    }

    #[test]
    fn long_messages_are_cut() {
        let d = Diagnostic::error("f", None, "é".repeat(5000));
        assert_eq!(d.message.chars().count(), MAX_MESSAGE_CHARS + 1);
        assert!(d.message.ends_with('…'));
    }

    #[test]
    fn keys_are_shown_up_to_a_separator() {
        let shown = shown_key("bearer_token:ghp_x");
        assert_eq!((shown.text.as_ref(), shown.hint), ("bearer_token…", Some("missing space after ':'?")));
        assert_eq!(shown.head(), "bearer_token");
        assert_eq!(shown_key("bearer_token=ghp_x").text, "bearer_token…");
        assert!(shown_key("bearer_token=ghp_x").hint.is_some_and(|h| h.contains("'='")));
        assert_eq!(shown_key("token ghp_x").text, "token…");
        assert_eq!(shown_key(":ghp_x").text, "…");
        assert_eq!(shown_key("a\u{1b}[31m").text, "a…");
        let plain = shown_key("bearer_tokn");
        assert!(plain.is_whole() && plain.hint.is_none() && plain.hint_suffix().is_empty());
        let key = "k".repeat(10_000);
        let long = shown_key(&key);
        assert_eq!(long.text.chars().count(), MAX_KEY_CHARS + 1);
        assert!(long.hint.is_none());
    }
}
