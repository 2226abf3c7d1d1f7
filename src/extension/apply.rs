//! Everything yamlsecrets does to DuckDB's secrets, on the per-call connection: reading
//! what the database offers, and creating or dropping a batch all or nothing.

use serde_json::Value as Json;

use super::connection::CallConnection;
use crate::core::secret_value::Scrubber;
use crate::core::validate::Environment;

/// A secret as DuckDB reports it in `duckdb_secrets()`.
#[derive(Debug, Clone)]
pub struct ExistingSecret {
    pub name: String,
    pub persistent: bool,
    pub storage: String,
}

/// One query's worth of state, read as a JSON document so a single round trip carries it.
fn json_query(conn: &CallConnection, fields: &str) -> Result<Json, String> {
    let text = conn.query_text(&format!("SELECT to_json({{{fields}}})::VARCHAR"))?.unwrap_or_default();
    serde_json::from_str(&text).map_err(|_| "yamlsecrets: could not read DuckDB's state".to_string())
}

fn text(value: &Json) -> String {
    match value {
        Json::String(s) => s.clone(),
        Json::Null => String::new(),
        other => other.to_string(),
    }
}

fn texts(value: &Json) -> Vec<String> {
    value.as_array().map(|items| items.iter().map(text).collect()).unwrap_or_default()
}

/// Fails unless the database allows reading files; for a load, also unless its queries are
/// kept out of DuckDB's logs. DuckDB logs the statements yamlsecrets runs like any other:
/// with query logging on, each CREATE SECRET would land in the log with its values.
pub fn check_policy(conn: &CallConnection, creates_secrets: bool) -> Result<(), String> {
    let state = json_query(
        conn,
        "external_access: current_setting('enable_external_access')::VARCHAR,
         enable_logging: current_setting('enable_logging')::VARCHAR,
         logging_level: current_setting('logging_level')::VARCHAR,
         logging_mode: current_setting('logging_mode')::VARCHAR,
         enabled_log_types: current_setting('enabled_log_types')::VARCHAR,
         disabled_log_types: current_setting('disabled_log_types')::VARCHAR,
         log_query_path: current_setting('log_query_path')::VARCHAR",
    )?;
    let setting = |name: &str| text(&state[name]);
    if setting("external_access") == "false" {
        return Err("yamlsecrets: enable_external_access is false, so no file is read and no secret is created".into());
    }
    if !creates_secrets {
        return Ok(());
    }
    let has = |list: &str, item: &str| list.split(',').any(|t| t.trim().eq_ignore_ascii_case(item));
    let logging = matches!(setting("enable_logging").to_ascii_lowercase().as_str(), "1" | "true");
    // QueryLog entries are written at INFO level.
    let level_logs_queries =
        matches!(setting("logging_level").to_ascii_uppercase().as_str(), "TRACE" | "DEBUG" | "INFO");
    let logs_queries = logging
        && match setting("logging_mode").to_ascii_uppercase().as_str() {
            "ENABLE_SELECTED" => has(&setting("enabled_log_types"), "QueryLog"),
            "DISABLE_SELECTED" => level_logs_queries && !has(&setting("disabled_log_types"), "QueryLog"),
            _ => level_logs_queries,
        };
    if logs_queries || !setting("log_query_path").is_empty() {
        return Err("yamlsecrets: DuckDB is logging queries (QueryLog, or log_query_path), and would write every \
                    CREATE SECRET with its values to the log; turn that off first (CALL disable_logging(); \
                    RESET log_query_path), or use dry_run := true"
            .into());
    }
    Ok(())
}

/// The secret types and loaded extensions of this database, and its secrets.
pub fn environment_and_secrets(conn: &CallConnection) -> Result<(Environment, Vec<ExistingSecret>), String> {
    let state = json_query(
        conn,
        "secret_types: (SELECT coalesce(list(type), []) FROM duckdb_secret_types()),
         extensions: (SELECT coalesce(list(extension_name), []) FROM duckdb_extensions() WHERE loaded),
         secrets: (SELECT coalesce(list({name: name, persistent: persistent, storage: storage}), [])
                   FROM duckdb_secrets())",
    )?;
    let environment = Environment {
        secret_types: texts(&state["secret_types"]),
        loaded_extensions: texts(&state["extensions"]),
        everything_loaded: false,
        duckdb_version: super::running_duckdb(),
    };
    Ok((environment, secrets_of(&state["secrets"])))
}

pub fn existing_secrets(conn: &CallConnection) -> Result<Vec<ExistingSecret>, String> {
    let state = json_query(
        conn,
        "secrets: (SELECT coalesce(list({name: name, persistent: persistent, storage: storage}), [])
                   FROM duckdb_secrets())",
    )?;
    Ok(secrets_of(&state["secrets"]))
}

fn secrets_of(list: &Json) -> Vec<ExistingSecret> {
    list.as_array()
        .map(|items| {
            items
                .iter()
                .map(|s| ExistingSecret {
                    name: text(&s["name"]),
                    persistent: s["persistent"].as_bool().unwrap_or(false),
                    storage: text(&s["storage"]),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// One statement of a batch, and what to call it in an error.
pub struct Step {
    pub sql: String,
    /// `secret 'x' (secrets.yaml:12)`.
    pub label: String,
    /// Persistent CREATEs write a file at once: a ROLLBACK does not remove it.
    pub persistent: bool,
    /// Undoes this step when the batch fails after it ran (drop of a new persistent secret).
    pub undo: Option<String>,
}

/// Runs every step: all of them take effect, or none does.
///
/// Temporary secrets are transactional, so they are created in one transaction. Persistent
/// ones are files written at once, which a ROLLBACK leaves behind (and out of step with the
/// in-memory list). So when the batch holds any:
/// 1. every secret is first tried as a temporary secret under a throwaway name, in a
///    transaction that is always rolled back — values, casts and OAuth round trips fail here,
///    before anything changed;
/// 2. the persistent secrets are created one by one; if one fails, those this call created
///    are dropped again;
/// 3. the temporary ones are created in one transaction; if that fails, it is rolled back and
///    the persistent ones created in step 2 are dropped.
///
/// What this cannot undo: a persistent secret *replaced* in step 2 when a later step fails
/// for a reason the trial could not foresee (a full disk, a missing storage).
pub fn run_all_or_nothing(
    conn: &CallConnection,
    steps: &[Step],
    trial: &[Step],
    scrubber: &Scrubber,
) -> Result<(), String> {
    let refused = |step: &Step, raw: String| {
        let message = scrubber.scrub(&raw, "DuckDB's message was withheld because it quoted a secret value");
        format!("yamlsecrets: DuckDB refused {}; nothing of this call was applied: {message}", step.label)
    };
    let undo = |done: &[&Step], message: String| -> String {
        let failed = done.iter().filter_map(|s| s.undo.as_deref()).filter(|sql| conn.execute(sql).is_err()).count();
        if failed == 0 {
            message
        } else {
            format!("{message}\nyamlsecrets could not drop {failed} persistent secret(s) it had created; check duckdb_secrets()")
        }
    };

    in_transaction(conn, &trial.iter().collect::<Vec<_>>(), false, &refused)?;
    let mut done: Vec<&Step> = Vec::new();
    for step in steps.iter().filter(|s| s.persistent) {
        if let Err(e) = conn.execute(&step.sql) {
            return Err(undo(&done, refused(step, e)));
        }
        done.push(step);
    }
    let temporary: Vec<&Step> = steps.iter().filter(|s| !s.persistent).collect();
    in_transaction(conn, &temporary, true, &refused).map_err(|message| undo(&done, message))
}

/// Statements sent to DuckDB per round trip: parsing a chunk at once saves DuckDB a parse
/// and a result per statement, and chunks keep the parsed statements held at once small.
const CHUNK: usize = 256;

/// Runs the statements in one transaction, kept or always rolled back. Statements go to
/// DuckDB a chunk at a time; only when one fails are they replayed one by one (and rolled
/// back) to name the secret DuckDB refused.
fn in_transaction(
    conn: &CallConnection,
    batch: &[&Step],
    keep: bool,
    refused: &dyn Fn(&Step, String) -> String,
) -> Result<(), String> {
    if batch.is_empty() {
        return Ok(());
    }
    let run_chunks = || -> Result<(), String> {
        conn.execute("BEGIN TRANSACTION")?;
        for chunk in batch.chunks(CHUNK) {
            let mut text = String::new();
            for step in chunk {
                text.push_str(&step.sql);
                text.push_str(";\n");
            }
            conn.execute(&text)?;
        }
        conn.execute(if keep { "COMMIT" } else { "ROLLBACK" })
    };
    let Err(batch_error) = run_chunks() else { return Ok(()) };
    let _ = conn.execute("ROLLBACK");
    conn.execute("BEGIN TRANSACTION")?;
    for step in batch {
        if let Err(e) = conn.execute(&step.sql) {
            let _ = conn.execute("ROLLBACK");
            return Err(refused(step, e));
        }
    }
    let _ = conn.execute("ROLLBACK");
    let whole = Step { sql: String::new(), label: "this call's statements".into(), persistent: false, undo: None };
    Err(refused(&whole, batch_error))
}
