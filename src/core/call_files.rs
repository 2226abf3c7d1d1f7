//! The files one call reads besides value files: the secrets file (or why it could not be
//! read, without echoing a path that may be a credential), and the dotenv files its
//! variables come from.

use std::path::{Path, PathBuf};

use super::diagnostics::{Diagnostic, Location};
use super::document::Document;
use super::files;
use super::interpolate::Variables;
use super::request::Request;

/// The variables of the call's and the file's dotenv files, and those files in lookup
/// order. A dotenv file that cannot be read or parsed is an error of the call or the file.
pub fn read_env_files(
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

/// How a problem with a path argument that must not be echoed is labelled.
const PATH_ARGUMENT: &str = "the path argument";

/// Reads the secrets file, or says where it looked. The path is echoed only when it can be
/// a file name: a URL may carry credentials, and YAML text passed as the path may be a
/// whole secrets file, tokens included.
pub fn read_secrets_file(given: &str) -> Result<(PathBuf, String), Box<Diagnostic>> {
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
fn looked_at(path: &Path) -> String {
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

/// For a file that holds literal credentials: a warning when others than its owner may read it.
pub fn warn_if_readable_by_others(file: &str, path: &Path, problems: &mut Vec<Diagnostic>) {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).map(|m| m.permissions().mode()).unwrap_or(0);
    if mode & 0o077 != 0 {
        problems.push(Diagnostic::warning(
            file,
            None,
            format!(
                "the file holds literal credentials and is readable by group or others (mode {:o}); run: \
                 chmod 600 {file}",
                mode & 0o777
            ),
        ));
    }
}
