//! The checker of one secret: resolves a node's references and coerces it to the kind a
//! parameter takes, and reports each problem with its place, secret and field.

use std::borrow::Cow;

use super::catalog::{self, Kind};
use super::diagnostics::{self, push_bounded, shown_key, Diagnostic, Location, Severity};
use super::interpolate::{self, Context, Source};
use super::secret::ParamValue;
use super::secret_value::{CallValue, SecretString};
use super::yaml::{Node, Value};

/// A field of a secret under its canonical name: `(name, key position, value)`.
pub type Field<'a> = (Cow<'a, str>, Location, Cow<'a, Node>);

/// How a literal credential's warning starts; a file holding one must not be readable by others.
pub const LITERAL_CREDENTIAL: &str = "a literal credential is written in the file";

/// Checks the values of one secret (or of the file's options, with no secret name), adding
/// every problem it finds to the call's.
pub struct Checker<'a> {
    pub file: &'a str,
    pub secret: &'a str,
    pub context: &'a Context<'a>,
    pub problems: &'a mut Vec<Diagnostic>,
    pub sources: Vec<Source>,
    /// The values this secret resolved, valid or not, when commands run: a failing
    /// command's standard error is scrubbed of every value of the call.
    pub values: Vec<CallValue>,
    pub lint: bool,
    /// Errors this checker reported, those only counted included.
    pub errors: usize,
}

impl<'a> Checker<'a> {
    pub fn new(
        file: &'a str,
        secret: &'a str,
        context: &'a Context<'a>,
        problems: &'a mut Vec<Diagnostic>,
        lint: bool,
    ) -> Self {
        Checker { file, secret, context, problems, sources: Vec::new(), values: Vec::new(), lint, errors: 0 }
    }

    // `field` may be a key as written, which may hold a value typed into it: shown_key.
    pub fn error(&mut self, at: Location, field: &str, message: impl Into<String>) {
        self.errors += 1;
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

    pub fn warning(&mut self, at: Location, field: &str, message: impl Into<String>) {
        if diagnostics::is_full(self.problems) {
            return diagnostics::omit(self.problems, self.file, Severity::Warning);
        }
        let mut d = Diagnostic::warning(self.file, Some(at), message).in_secret(self.secret);
        if !field.is_empty() {
            d = d.in_field(&shown_key(field).text);
        }
        push_bounded(self.problems, d);
    }

    /// Checks a closed value set or a range (see `catalog::Values`). The value itself is
    /// never quoted (any value may be a credential in the wrong field); a literal one gets
    /// the closest allowed value as a hint, a `${…}` one not even that.
    pub fn accepts(&mut self, param: &catalog::Param, value: &ParamValue, at: Location, literal: bool) -> bool {
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

    pub fn warn_literal(&mut self, value: &Node, key: &str) {
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
    pub fn text(&mut self, node: &Node, field: &str) -> Option<SecretString> {
        let Value::Scalar { text, .. } = &node.value else {
            self.error(node.at, field, format!("expected a string, not {}", node.kind_name()));
            return None;
        };
        let before = self.sources.len();
        match interpolate::resolve(text, self.context, &mut self.sources) {
            Ok(resolved) => {
                if resolved.deferred {
                    let lines: Vec<String> = self.sources[before..]
                        .iter()
                        .filter_map(|source| match source {
                            Source::Command { line } => Some(super::commands::redact(line)),
                            _ => None,
                        })
                        .collect();
                    for line in lines {
                        self.warning(node.at, field, format!("would run the command: {line}"));
                    }
                    return None;
                }
                if resolved.value.expose().contains('\0') {
                    self.error(node.at, field, "the value contains a NUL byte, which DuckDB cannot store");
                    return None;
                }
                Some(resolved.value)
            }
            Err(message) => {
                // A value that fails has no sources, as before it was resolved.
                self.sources.truncate(before);
                self.error(node.at, field, message);
                None
            }
        }
    }

    pub fn coerce(&mut self, node: &Node, field: &str, kind: Kind) -> Option<ParamValue> {
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
                let items: &[Node] = match &node.value {
                    Value::Sequence(items) => items,
                    Value::Scalar { .. } if !node.is_null() => std::slice::from_ref(node),
                    _ => {
                        self.error(
                            node.at,
                            field,
                            format!("expected a string or a list of strings, not {}", node.kind_name()),
                        );
                        return None;
                    }
                };
                let mut out = Vec::with_capacity(items.len());
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
