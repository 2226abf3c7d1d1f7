//! The file's `options` that shape the whole call: the default persistence of its secrets
//! and whether `${cmd:…}` may run (the file can forbid what the call allows).

use std::path::Path;

use super::catalog::Kind;
use super::checker::Checker;
use super::diagnostics::Diagnostic;
use super::document::Document;
use super::interpolate::{Commands, Context, Variables};
use super::request::Request;
use super::secret::ParamValue;
use super::yaml::Node;

pub struct CallOptions {
    /// For secrets that don't say: the call's `persistent`, else the file's, else false.
    pub default_persistent: bool,
    pub commands: Commands,
}

pub fn read(
    request: &Request,
    document: &Document,
    variables: &Variables,
    base_dir: &Path,
    problems: &mut Vec<Diagnostic>,
) -> CallOptions {
    let file = request.file.as_str();
    let file_persistent = document.options.persistent.as_ref().and_then(|node| {
        let mut scratch = Vec::new();
        let value = boolean_of(file, node, "persistent", variables, base_dir, &mut scratch);
        problems.extend(scratch);
        value
    });
    let default_persistent = request.persistent.or(file_persistent).unwrap_or(false);
    // The file's own policy holds even when `key` selects a subtree (see document::read).
    let mut file_forbids_commands = None;
    for node in document.options.allow_commands.iter().chain(&document.options.outer_allow_commands) {
        let mut scratch = Vec::new();
        let value = boolean_of(file, node, "allow_commands", variables, base_dir, &mut scratch);
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

    CallOptions { default_persistent, commands }
}

/// A boolean option, which may be written as a reference (never a command).
fn boolean_of(
    file: &str,
    node: &Node,
    field: &str,
    variables: &Variables,
    base_dir: &Path,
    problems: &mut Vec<Diagnostic>,
) -> Option<bool> {
    let context = Context { variables, base_dir, commands: Commands::Refuse };
    let mut checker = Checker::new(file, "", &context, problems, false);
    match checker.coerce(node, field, Kind::Boolean)? {
        ParamValue::Boolean(b) => Some(b),
        _ => None,
    }
}
