//! What `test_secrets_yaml` tries for each secret, and what DuckDB's answer means.
//!
//! Every try runs on a throwaway connection, in a transaction that is rolled back: the
//! secret is created as a temporary one under a throwaway name, with a scope no real path
//! starts with (`yamlsecrets-probe://…`), or a path under the secret's own scope that only
//! the probe uses (`s3://bucket/prefix/yamlsecrets-probe-<name>…`, `https://host/x?yamlsecrets_probe=<name>`).
//! So the try neither sees nor shadows any other secret: an uncommitted secret is invisible
//! to every other transaction, and inside ours it wins only for the probe's own path.

use super::secret::{ParamValue, Secret};
use super::secret_value::redact_url_passwords;
use super::sql_text::{quote_ident, quote_literal};

/// What a try found out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok,
    /// The service answered and rejected the credential (or what it names).
    Refused,
    /// No answer in time: connection refused, DNS, TLS, timeout.
    Unreachable,
    /// Nothing to try for this type or these fields.
    Untestable,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Refused => "refused",
            Status::Unreachable => "unreachable",
            Status::Untestable => "untestable",
        }
    }
}

/// The statements of one try. `create` holds the credential: never shown.
#[derive(Debug, Clone)]
pub struct Try {
    /// Per-connection settings that bound the try in time; a failure is ignored (the
    /// extension that defines the setting may not be loaded).
    pub settings: Vec<String>,
    pub create: String,
    /// Run after `create` in the same transaction; the first failure ends the try.
    pub checks: Vec<String>,
    /// Run after the ROLLBACK, whatever happened (DETACH of what the checks attached).
    pub cleanup: Vec<String>,
}

#[derive(Debug, Clone)]
pub enum Plan {
    Try(Try),
    Untestable(String),
}

/// A secret's try: what is shown as its target, and the plan.
#[derive(Debug, Clone)]
pub struct Probe {
    pub target: String,
    pub plan: Plan,
}

const PROBE_SCHEME: &str = "yamlsecrets-probe://";

fn text_param(secret: &Secret, names: &[&str]) -> Option<String> {
    secret.params.iter().find(|p| names.contains(&p.name.as_ref())).and_then(|p| match &p.value {
        ParamValue::Text(v) => Some(v.expose().to_string()),
        ParamValue::Integer(n) => Some(n.to_string()),
        _ => None,
    })
}

/// `host:port/database` for a database secret; never the password.
fn database_target(secret: &Secret, default_port: u16) -> String {
    let host = text_param(secret, &["host", "hostaddr"]).unwrap_or_else(|| "localhost".into());
    let port = text_param(secret, &["port"]).unwrap_or_else(|| default_port.to_string());
    let database = text_param(secret, &["database"]).unwrap_or_default();
    redact_url_passwords(&format!("{host}:{port}/{database}"))
}

/// The scope as a folder (`s3://bucket` → `s3://bucket/`): a probe name appended to it must
/// not name another bucket, container or repository.
fn under(scope: &str) -> String {
    if scope.ends_with('/') {
        scope.to_string()
    } else {
        format!("{scope}/")
    }
}

/// A URL of the scope that only this probe requests: the same resource with one more
/// query parameter, which servers ignore.
fn probe_url(scope: &str, name: &str) -> String {
    let separator = if scope.contains('?') { '&' } else { '?' };
    format!("{scope}{separator}yamlsecrets_probe={name}")
}

/// The try for `secret` under the throwaway name `name` (also the prefix of attached
/// database aliases), each step bounded by `timeout_s` where DuckDB offers a setting.
/// `test_paths` (the secret's `test_path:`) stand for its scope where a try lists or
/// requests paths.
pub fn plan(secret: &Secret, test_paths: &[String], name: &str, timeout_s: u64) -> Result<Probe, String> {
    let nul = |_| format!("yamlsecrets: secret '{}' holds a NUL byte, which DuckDB cannot store", secret.name);
    let type_name = secret.type_name.to_ascii_lowercase();
    let scopes: Vec<String> = secret.scope.iter().map(|s| redact_url_passwords(s)).collect();
    let paths: &[String] = if test_paths.is_empty() { &secret.scope } else { test_paths };
    let shown_paths: Vec<String> = paths.iter().map(|s| redact_url_passwords(s)).collect();
    let http_settings =
        vec![format!("SET SESSION http_timeout = {timeout_s}"), "SET SESSION http_retries = 0".to_string()];
    let mut probe_secret = secret.clone();
    probe_secret.name = name.to_string();
    probe_secret.persistent = false;
    probe_secret.storage = None;
    let alias = quote_ident(&format!("{name}_db")).map_err(nul)?;
    let detach = format!("DETACH DATABASE IF EXISTS {alias}");
    let untestable = |target: String, why: String| Ok(Probe { target, plan: Plan::Untestable(why) });

    let (target, settings, checks, cleanup) = match type_name.as_str() {
        "postgres" | "mysql" => {
            probe_secret.scope = vec![format!("{PROBE_SCHEME}{name}")];
            let (port, path, query) = if type_name == "postgres" {
                (5432, format!("connect_timeout={timeout_s}"), "postgres_query")
            } else {
                (3306, String::new(), "mysql_query")
            };
            let attach = format!(
                "ATTACH {} AS {alias} (TYPE {type_name}, SECRET {}, READ_ONLY)",
                quote_literal(&path).map_err(nul)?,
                quote_ident(name).map_err(nul)?
            );
            let select =
                format!("SELECT * FROM {query}({}, 'SELECT 1')", quote_literal(&format!("{name}_db")).map_err(nul)?);
            (database_target(secret, port), Vec::new(), vec![attach, select], vec![detach])
        }
        "s3" | "r2" | "gcs" | "azure" | "huggingface" => {
            if paths.is_empty() {
                let why = format!(
                    "a {type_name} secret without a scope names no bucket or container to list: give it a scope \
                     or a test_path"
                );
                return untestable(String::new(), why);
            }
            let prefixes: Vec<String> = paths.iter().map(|s| format!("{}yamlsecrets-probe-{name}", under(s))).collect();
            probe_secret.scope = prefixes.clone();
            let checks = prefixes
                .iter()
                .map(|p| Ok(format!("SELECT count(*) FROM glob({})", quote_literal(&format!("{p}*"))?)))
                .collect::<Result<Vec<_>, _>>()
                .map_err(nul)?;
            (shown_paths.join(", "), http_settings, checks, Vec::new())
        }
        "http" => {
            if paths.is_empty() {
                let why = "an http secret without a scope names no URL to request: give it a scope or a test_path"
                    .to_string();
                return untestable(String::new(), why);
            }
            let urls: Vec<String> = paths.iter().map(|s| probe_url(s, name)).collect();
            probe_secret.scope = urls.clone();
            let checks = urls
                .iter()
                .map(|u| Ok(format!("SELECT size FROM read_blob({})", quote_literal(u)?)))
                .collect::<Result<Vec<_>, _>>()
                .map_err(nul)?;
            (shown_paths.join(", "), http_settings, checks, Vec::new())
        }
        // CREATE SECRET itself requests the OAuth2 token (when the secret has a client).
        "iceberg" => {
            probe_secret.scope = vec![format!("{PROBE_SCHEME}{name}")];
            let target = text_param(secret, &["oauth2_server_uri", "endpoint"]).unwrap_or_default();
            if text_param(secret, &["client_secret"]).is_none() {
                let why = "an iceberg secret without client_id/client_secret requests no token; \
                           its token is only checked by the catalog at ATTACH"
                    .to_string();
                return untestable(redact_url_passwords(&target), why);
            }
            (redact_url_passwords(&target), http_settings, Vec::new(), Vec::new())
        }
        "ducklake" => {
            probe_secret.scope = vec![format!("{PROBE_SCHEME}{name}")];
            let attach =
                format!("ATTACH {} AS {alias} (READ_ONLY)", quote_literal(&format!("ducklake:{name}")).map_err(nul)?);
            let target = text_param(secret, &["data_path"]).unwrap_or_default();
            (redact_url_passwords(&target), http_settings, vec![attach], vec![detach])
        }
        other => {
            let why = format!("yamlsecrets has no try for type '{other}'");
            return untestable(scopes.join(", "), why);
        }
    };
    let create = super::render::create_secret(&probe_secret, false).map_err(nul)?.sql;
    // The ROLLBACK drops the secret; once, after DuckLake's ATTACH, it was still listed after
    // the ROLLBACK (not reproduced since). The name is this try's alone, so dropping it again
    // is always safe.
    let mut cleanup = cleanup;
    cleanup.push(super::render::drop_secret(name, false, None).map_err(nul)?);
    Ok(Probe { target, plan: Plan::Try(Try { settings, create, checks, cleanup }) })
}

/// Texts of a service that answered and said no (lower case).
const REFUSED: &[&str] = &[
    "password authentication failed",
    "access denied",
    "signaturedoesnotmatch",
    "invalidaccesskeyid",
    "accessdenied",
    "authorizationfailure",
    "authenticationfailed",
    "authorizationpermissionmismatch",
    "expiredtoken",
    "invalidtoken",
    "unauthorized",
    "forbidden",
    "invalid_client",
    "invalid_grant",
    "nosuchbucket",
    "containernotfound",
    "http 400",
    "http 401",
    "http 403",
    "http 404",
    // httpfs reports a 401/403 of a plain HTTP server as "HTTP 0" once it has read the answer.
    "(http 0 ",
    "no pg_hba.conf entry",
    "role \"",
    "database \"",
    "unknown database",
    "authentication",
];

/// Texts of a service that did not answer (lower case).
const UNREACHABLE: &[&str] = &[
    "could not connect",
    "connection refused",
    "can't connect to",
    "fail to get a new connection",
    "timeout",
    "timed out",
    "could not resolve",
    "could not translate host name",
    "name or service not known",
    "temporary failure in name resolution",
    "unknown mysql server host",
    "no route to host",
    "network is unreachable",
    "connection reset",
    "ssl",
    "tls",
    "certificate",
];

/// What DuckDB's error text says about the credential. A refusal wins over an unreachable
/// marker (`no pg_hba.conf entry … SSL off` is a refusal); text that matches neither counts
/// as refused: the try failed, and nothing says the service could not be reached.
pub fn classify(error: &str) -> Status {
    let lowered = error.to_ascii_lowercase();
    if REFUSED.iter().any(|m| lowered.contains(m)) {
        Status::Refused
    } else if UNREACHABLE.iter().any(|m| lowered.contains(m)) {
        Status::Unreachable
    } else {
        Status::Refused
    }
}

/// The longest message shown, in characters.
const MESSAGE_CHARS: usize = 400;

/// DuckDB's error text (already scrubbed) as one line: without the `LINE 1:` excerpt of the
/// statement and its caret, the lines joined, cut at a bounded length.
pub fn one_line(scrubbed: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for line in scrubbed.lines() {
        let line = line.trim();
        if line.starts_with("LINE ") {
            break;
        }
        if !line.is_empty() && line != "^" {
            parts.push(line);
        }
    }
    let joined = parts.join(" ");
    match joined.char_indices().nth(MESSAGE_CHARS) {
        Some((cut, _)) => format!("{}…", &joined[..cut]),
        None => joined,
    }
}

/// The `timeout :=` argument in whole seconds: DuckDB's http_timeout and libpq's
/// connect_timeout take whole seconds.
pub fn timeout_seconds(given: Option<&str>) -> Result<u64, String> {
    let Some(given) = given else { return Ok(DEFAULT_TIMEOUT_S) };
    match given.trim().parse::<f64>() {
        Ok(t) if t.is_finite() && t > 0.0 && t <= MAX_TIMEOUT_S as f64 => Ok((t.ceil() as u64).max(1)),
        _ => Err(format!("yamlsecrets: timeout := {given} is not a number of seconds between 0 and {MAX_TIMEOUT_S}")),
    }
}

pub const DEFAULT_TIMEOUT_S: u64 = 5;
pub const MAX_TIMEOUT_S: u64 = 300;

#[cfg(test)]
#[path = "probe_tests.rs"]
mod tests;
