//! Findings about a secrets file: where (file, line, column), which secret and field, and
//! what to fix. A message never quotes a value: values may be credentials.

use std::fmt;

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
}

impl Diagnostic {
    pub fn error(file: &str, location: Option<Location>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            file: file.to_string(),
            location,
            secret: None,
            field: None,
            message: message.into(),
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

/// One error text for a list of findings: a headline, then one finding per line.
pub fn error_report(diagnostics: &[Diagnostic]) -> String {
    let errors: Vec<&Diagnostic> = diagnostics.iter().filter(|d| d.severity == Severity::Error).collect();
    let mut out = match errors.len() {
        1 => "yamlsecrets: 1 error, no secret was created:".to_string(),
        n => format!("yamlsecrets: {n} errors, no secret was created:"),
    };
    for d in errors {
        out.push_str("\n  ");
        out.push_str(&d.to_string());
    }
    out
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
}
