//! Everything yamlsecrets does to DuckDB's secrets, on the per-call connection: reading
//! what the database offers, and creating or dropping a batch all or nothing.

use duckdb::Connection;

use super::connection::clean_error;
use crate::core::secret_value::Scrubber;
use crate::core::sql_text::quote_literal;
use crate::core::validate::Environment;

/// A secret as DuckDB reports it in `duckdb_secrets()`.
#[derive(Debug, Clone)]
pub struct ExistingSecret {
    pub name: String,
    pub persistent: bool,
    pub storage: String,
}

fn query_strings(conn: &Connection, sql: &str) -> Result<Vec<String>, String> {
    let mut statement = conn.prepare(sql).map_err(|e| clean_error(&e.to_string()))?;
    let rows = statement.query_map([], |row| row.get::<_, String>(0)).map_err(|e| clean_error(&e.to_string()))?;
    rows.collect::<Result<Vec<_>, _>>().map_err(|e| clean_error(&e.to_string()))
}

/// Fails unless the database allows reading files.
pub fn require_external_access(conn: &Connection) -> Result<(), String> {
    let allowed = query_strings(conn, "SELECT current_setting('enable_external_access')::VARCHAR")?;
    if allowed.first().map(String::as_str) == Some("false") {
        return Err("yamlsecrets: enable_external_access is false, so no file is read and no secret is created".into());
    }
    Ok(())
}

/// DuckDB logs the statements yamlsecrets runs like any other: with query logging on, each
/// CREATE SECRET would land in the log with its values. Refuse rather than leak.
pub fn refuse_if_queries_are_logged(conn: &Connection) -> Result<(), String> {
    let setting = |name: &str| -> Result<String, String> {
        let sql = format!("SELECT coalesce(current_setting({})::VARCHAR, '')", quote_literal(name).map_err(|_| "NUL")?);
        Ok(query_strings(conn, &sql)?.into_iter().next().unwrap_or_default())
    };
    let has = |list: &str, item: &str| list.split(',').any(|t| t.trim().eq_ignore_ascii_case(item));
    let logging = matches!(setting("enable_logging")?.to_ascii_lowercase().as_str(), "1" | "true");
    // QueryLog entries are written at INFO level.
    let level_logs_queries =
        matches!(setting("logging_level")?.to_ascii_uppercase().as_str(), "TRACE" | "DEBUG" | "INFO");
    let logs_queries = logging
        && match setting("logging_mode")?.to_ascii_uppercase().as_str() {
            "ENABLE_SELECTED" => has(&setting("enabled_log_types")?, "QueryLog"),
            "DISABLE_SELECTED" => level_logs_queries && !has(&setting("disabled_log_types")?, "QueryLog"),
            _ => level_logs_queries,
        };
    if logs_queries || !setting("log_query_path")?.is_empty() {
        return Err("yamlsecrets: DuckDB is logging queries (QueryLog, or log_query_path), and would write every \
                    CREATE SECRET with its values to the log; turn that off first (CALL disable_logging(); \
                    RESET log_query_path), or use dry_run := true"
            .into());
    }
    Ok(())
}

/// The secret types and loaded extensions of this database.
pub fn environment(conn: &Connection) -> Result<Environment, String> {
    Ok(Environment {
        secret_types: query_strings(conn, "SELECT type FROM duckdb_secret_types()")?,
        loaded_extensions: query_strings(conn, "SELECT extension_name FROM duckdb_extensions() WHERE loaded")?,
        everything_loaded: false,
    })
}

pub fn existing_secrets(conn: &Connection) -> Result<Vec<ExistingSecret>, String> {
    let mut statement = conn
        .prepare("SELECT name, persistent, storage FROM duckdb_secrets()")
        .map_err(|e| clean_error(&e.to_string()))?;
    let rows = statement
        .query_map([], |row| Ok(ExistingSecret { name: row.get(0)?, persistent: row.get(1)?, storage: row.get(2)? }))
        .map_err(|e| clean_error(&e.to_string()))?;
    rows.collect::<Result<Vec<_>, _>>().map_err(|e| clean_error(&e.to_string()))
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
    conn: &Connection,
    steps: &[Step],
    trial: &[Step],
    scrubber: &Scrubber,
) -> Result<(), String> {
    let refused = |step: &Step, error: duckdb::Error| {
        let raw = clean_error(&error.to_string());
        let message = scrubber.scrub(&raw, "DuckDB's message was withheld because it quoted a secret value");
        format!("yamlsecrets: DuckDB refused {}; nothing of this call was applied: {message}", step.label)
    };
    let execute = |sql: &str| conn.execute_batch(sql).map_err(|e| clean_error(&e.to_string()));
    let in_transaction = |batch: &[&Step], keep: bool| -> Result<(), String> {
        if batch.is_empty() {
            return Ok(());
        }
        execute("BEGIN TRANSACTION")?;
        for step in batch {
            if let Err(e) = conn.execute_batch(&step.sql) {
                let _ = execute("ROLLBACK");
                return Err(refused(step, e));
            }
        }
        execute(if keep { "COMMIT" } else { "ROLLBACK" })
    };
    let undo = |done: &[&Step], message: String| -> String {
        let failed = done.iter().filter_map(|s| s.undo.as_deref()).filter(|sql| execute(sql).is_err()).count();
        if failed == 0 {
            message
        } else {
            format!("{message}\nyamlsecrets could not drop {failed} persistent secret(s) it had created; check duckdb_secrets()")
        }
    };

    in_transaction(&trial.iter().collect::<Vec<_>>(), false)?;
    let mut done: Vec<&Step> = Vec::new();
    for step in steps.iter().filter(|s| s.persistent) {
        if let Err(e) = conn.execute_batch(&step.sql) {
            return Err(undo(&done, refused(step, e)));
        }
        done.push(step);
    }
    let temporary: Vec<&Step> = steps.iter().filter(|s| !s.persistent).collect();
    in_transaction(&temporary, true).map_err(|message| undo(&done, message))
}
