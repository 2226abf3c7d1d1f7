//! Unit tests of plan.rs, compiled only under #[cfg(test)] (its `mod tests`).

use super::*;
use crate::core::secret::{Param, ParamValue};
use crate::core::secret_value::SecretString;

fn secret(name: &str, persistent: bool, storage: Option<&str>, line: usize) -> Secret {
    Secret {
        name: name.into(),
        type_name: "http".into(),
        provider: None,
        scope: Vec::new(),
        persistent,
        storage: storage.map(str::to_string),
        params: vec![Param {
            name: "bearer_token".into(),
            value: ParamValue::Text(SecretString::new(format!("token-of-{name}"))),
            sensitive: true,
        }],
        at: Location { line, column: 3 },
        sources: Vec::new(),
    }
}

fn existing(name: &str, persistent: bool, storage: &str) -> Existing {
    Existing { name: name.into(), persistent, storage: storage.into() }
}

fn state() -> State {
    State {
        external_access: true,
        allow_persistent: true,
        default_storage: "local_file".into(),
        secret_directory: "/secrets".into(),
        ..State::default()
    }
}

fn labels(steps: &[Step]) -> Vec<&str> {
    steps.iter().map(|s| s.label.as_str()).collect()
}

#[test]
fn temporary_work_runs_before_persistent_work_and_only_persistent_secrets_are_tried() {
    let mut state = state();
    state.existing.push(existing("a", true, "local_file"));
    let secrets = [secret("a", true, None, 1), secret("t", false, None, 2), secret("n", true, None, 3)];
    let plan = plan_load(&secrets, "f.yaml", true, &state, "7_1").unwrap();
    assert_eq!(labels(&plan.steps), ["secret 't' (f.yaml:2)", "secret 'a' (f.yaml:1)", "secret 'n' (f.yaml:3)"]);
    assert_eq!(plan.steps[0].undo, Undo::Rollback);
    assert_eq!(plan.steps[1].undo, Undo::RestoreFile("/secrets/a.duckdb_secret".into()));
    assert_eq!(plan.steps[2].undo, Undo::RestoreFile("/secrets/n.duckdb_secret".into()));
    assert_eq!(labels(&plan.trial), ["secret 'a' (f.yaml:1)", "secret 'n' (f.yaml:3)"]);
    // stand-ins: temporary, unique to the call, never the real name or storage
    assert!(plan.trial[0].sql.starts_with("CREATE TEMPORARY SECRET \"__yamlsecrets_trial_7_1_0\" (TYPE"));
    assert!(plan.trial[1].sql.contains("__yamlsecrets_trial_7_1_2"));
    assert!(plan.steps[1].sql.starts_with("CREATE OR REPLACE PERSISTENT SECRET \"a\""));
}

#[test]
fn trial_names_differ_between_calls() {
    let secrets = [secret("p", true, None, 1)];
    let one = plan_load(&secrets, "f.yaml", true, &state(), "1_1").unwrap();
    let two = plan_load(&secrets, "f.yaml", true, &state(), "1_2").unwrap();
    assert_ne!(one.trial[0].sql, two.trial[0].sql);
}

#[test]
fn storage_problems_are_all_found_before_anything_runs() {
    let secrets = [
        secret("a", true, None, 1),
        secret("b", true, Some("no_such_storage"), 2),
        secret("c", false, Some("local_file"), 3),
        secret("d", true, Some("memory"), 4),
        secret("e", false, Some("connection"), 5),
    ];
    let mut state = state();
    assert_eq!(storages_to_probe(&secrets, &state), ["no_such_storage"]);
    state.probed.push(("no_such_storage".into(), None));
    let error = plan_load(&secrets, "f.yaml", true, &state, "t").unwrap_err();
    assert!(error.contains("secret 'b' (f.yaml:2): its storage does not exist"), "{error}");
    assert!(error.contains("secret 'c' (f.yaml:3): storage 'local_file' keeps persistent secrets"), "{error}");
    assert!(error.contains("secret 'd' (f.yaml:4): storage 'memory' keeps temporary secrets"), "{error}");
    assert!(error.contains("secret 'e' (f.yaml:5): storage 'connection' keeps a secret only in the connection"));
    assert!(!error.contains("secret 'a'"), "{error}");
    assert!(error.ends_with("nothing of this call was applied"), "{error}");
    assert!(!error.contains("token-of"), "{error}");
}

#[test]
fn persistent_secrets_are_refused_when_the_database_forbids_them() {
    let mut state = state();
    state.allow_persistent = false;
    let error = plan_load(&[secret("p", true, None, 4)], "f.yaml", true, &state, "t").unwrap_err();
    assert!(error.contains("secret 'p' (f.yaml:4) is persistent") || error.contains("allow_persistent_secrets"));
    assert!(plan_load(&[secret("t", false, None, 1)], "f.yaml", true, &state, "t").is_ok());
}

#[test]
fn unknown_storages_are_probed_and_the_answer_is_used() {
    let mut state = state();
    let secrets = [secret("m", true, Some("motherduck"), 1), secret("x", false, Some("memory"), 2)];
    assert_eq!(storages_to_probe(&secrets, &state), ["motherduck"]);
    let probe = probe_sql("motherduck", "9_9", 0).unwrap();
    assert_eq!(probe, "CREATE TEMPORARY SECRET \"__yamlsecrets_probe_9_9_0\" IN \"motherduck\" (TYPE 'http')");
    assert_eq!(probe_outcome(Ok(())), Some(false));
    assert_eq!(
        probe_outcome(Err("Invalid Input Error: Cannot create temporary secrets in a persistent secret storage!")),
        Some(true)
    );
    assert_eq!(probe_outcome(Err("Invalid Input Error: Secret storage 'motherduck' not found!")), None);

    state.probed.push(("motherduck".into(), Some(true)));
    assert!(storages_to_probe(&secrets, &state).is_empty());
    let plan = plan_load(&secrets, "f.yaml", true, &state, "t").unwrap();
    assert_eq!(plan.steps[1].undo, Undo::Unrestorable { storage: "motherduck".into() });
    // a storage that an existing secret already lives in needs no probe
    let mut state = self::state();
    state.existing.push(existing("old", true, "motherduck"));
    assert!(storages_to_probe(&secrets, &state).is_empty());
}

#[test]
fn storages_asked_about_are_few_and_absent_ones_are_named() {
    let secrets: Vec<Secret> = (0..20).map(|i| secret(&format!("s{i}"), true, Some(&format!("st{i}")), i)).collect();
    let asked = storages_to_probe(&secrets, &state());
    assert_eq!(asked.len(), MAX_PROBED_STORAGES);
    let mut state = state();
    state.probed = asked.iter().map(|name| (name.clone(), None)).collect();
    assert!(!storages_to_probe(&secrets, &state).contains(&"st0".to_string()), "no storage is asked about twice");
    let error = plan_load(&secrets, "f.yaml", true, &state, "t").unwrap_err();
    assert!(error.contains("secret 's0' (f.yaml:0): its storage does not exist"), "{error}");
    assert!(error.contains("secret 's19' (f.yaml:19): its storage was not checked"), "{error}");
    let many: Vec<Secret> = (0..500).map(|i| secret(&format!("m{i}"), false, Some("local_file"), i)).collect();
    let error = plan_load(&many, "f.yaml", true, &self::state(), "t").unwrap_err();
    assert_eq!(error.lines().count(), 22, "{error}");
    assert!(error.contains("\nand 480 more\n"), "{error}");
}

#[test]
fn the_default_persistent_storage_is_the_databases() {
    let mut state = state();
    state.default_storage = "motherduck".into();
    let secrets = [secret("p", true, None, 1)];
    assert_eq!(storages_to_probe(&secrets, &state), ["motherduck"]);
}

#[test]
fn unrestorable_steps_run_last_new_before_replaced() {
    let mut state = state();
    state.probed.push(("md".into(), Some(true)));
    state.existing.push(existing("old_md", true, "md"));
    let secrets = [
        secret("old_md", true, Some("md"), 1),
        secret("new_md", true, Some("md"), 2),
        secret("lf", true, None, 3),
        secret("tmp", false, None, 4),
    ];
    let plan = plan_load(&secrets, "f.yaml", true, &state, "t").unwrap();
    assert_eq!(
        labels(&plan.steps),
        [
            "secret 'tmp' (f.yaml:4)",
            "secret 'lf' (f.yaml:3)",
            "secret 'new_md' (f.yaml:2)",
            "secret 'old_md' (f.yaml:1)"
        ]
    );
}

#[test]
fn replace_false_names_every_existing_secret() {
    let mut state = state();
    state.existing.push(existing("a", true, "local_file"));
    state.existing.push(existing("b", false, "memory"));
    // the same name in the other storage is taken too: a second `c` would shadow the first
    state.existing.push(existing("c", true, "local_file"));
    let secrets = [secret("a", true, None, 1), secret("b", false, None, 2), secret("c", false, None, 3)];
    let error = plan_load(&secrets, "f.yaml", false, &state, "t").unwrap_err();
    assert!(
        error.contains("these secrets already exist: 'a', 'b', 'c' (persistent, in local_file); no secret was created"),
        "{error}"
    );
    let plan = plan_load(&[secret("d", false, None, 4)], "f.yaml", false, &state, "t").unwrap();
    assert!(plan.steps[0].sql.starts_with("CREATE TEMPORARY SECRET \"d\""));
}

#[test]
fn a_load_replaces_the_same_name_in_the_other_storage() {
    let mut state = state();
    state.existing.push(existing("lake", true, "local_file"));
    state.existing.push(existing("api", false, "memory"));
    state.existing.push(existing("both", false, "memory"));
    state.existing.push(existing("both", true, "local_file"));
    let secrets = [secret("lake", false, None, 1), secret("api", true, None, 2), secret("both", false, None, 3)];
    let plan = plan_load(&secrets, "f.yaml", true, &state, "t").unwrap();
    let sql: Vec<&str> = plan.steps.iter().map(|s| s.sql.as_str()).collect();
    assert_eq!(
        sql[..3],
        [
            "CREATE OR REPLACE TEMPORARY SECRET \"lake\" (TYPE 'http', BEARER_TOKEN 'token-of-lake')",
            "DROP TEMPORARY SECRET IF EXISTS \"api\"",
            "CREATE OR REPLACE TEMPORARY SECRET \"both\" (TYPE 'http', BEARER_TOKEN 'token-of-both')",
        ]
    );
    // persistent work after temporary work; each dropped file is copied and put back on failure
    assert_eq!(plan.steps[3].sql, "DROP PERSISTENT SECRET IF EXISTS \"lake\" FROM \"local_file\"");
    assert_eq!(plan.steps[3].undo, Undo::RestoreFile("/secrets/lake.duckdb_secret".into()));
    assert!(!plan.steps[3].creates);
    assert_eq!(
        plan.steps[3].label,
        "to drop secret 'lake' (persistent, in local_file), which secret 'lake' (f.yaml:1) replaces"
    );
    assert!(plan.steps[4].sql.starts_with("CREATE OR REPLACE PERSISTENT SECRET \"api\""));
    assert_eq!(plan.steps[5].sql, "DROP PERSISTENT SECRET IF EXISTS \"both\" FROM \"local_file\"");
    assert_eq!(plan.steps.len(), 6);
    // the same storage is CREATE OR REPLACE's own business
    let plan = plan_load(&[secret("lake", true, None, 1)], "f.yaml", true, &state, "t").unwrap();
    assert_eq!(plan.steps.len(), 1);
}

#[test]
fn secret_files_are_plain_names_in_the_directory() {
    assert_eq!(secret_file("/d", "a"), Some(PathBuf::from("/d/a.duckdb_secret")));
    assert_eq!(secret_file("/d", "../x"), None);
    assert_eq!(secret_file("/d", ".."), None);
    assert_eq!(secret_file("", "a"), None);
    let mut state = state();
    state.secret_directory = String::new();
    let plan = plan_load(&[secret("p", true, None, 1)], "f.yaml", true, &state, "t").unwrap();
    assert_eq!(plan.steps[0].undo, Undo::Unrestorable { storage: "local_file".into() });
}

#[test]
fn unload_drops_temporary_secrets_first() {
    let targets = vec![
        (existing("p", true, "local_file"), "secret 'p' (f.yaml:1)".to_string()),
        (existing("t", false, "memory"), "secret 't' (f.yaml:2)".to_string()),
    ];
    let plan = plan_unload(&targets, &state()).unwrap();
    assert!(plan.trial.is_empty());
    assert_eq!(plan.steps[0].sql, "DROP TEMPORARY SECRET IF EXISTS \"t\"");
    assert_eq!(plan.steps[0].label, "to drop secret 't' (f.yaml:2)");
    assert_eq!(plan.steps[1].sql, "DROP PERSISTENT SECRET IF EXISTS \"p\" FROM \"local_file\"");
    assert_eq!(plan.steps[1].undo, Undo::RestoreFile("/secrets/p.duckdb_secret".into()));
    assert!(plan.steps.iter().all(|s| !s.creates));
    let load = plan_load(&[secret("p", true, None, 1)], "f.yaml", true, &state(), "t").unwrap();
    assert!(load.steps.iter().chain(&load.trial).all(|s| s.creates));
}

#[test]
fn failure_messages_say_exactly_what_was_left() {
    let clean = failure_message("secret 'z' (f.yaml:4)", "conflict on \"z\"", &[]);
    assert_eq!(
        clean,
        "yamlsecrets: DuckDB refused secret 'z' (f.yaml:4); nothing of this call was applied: conflict on \"z\""
    );
    let left = failure_message(
        "secret 'z' (f.yaml:4)",
        "conflict",
        &[
            Leftover::File {
                label: "secret 'a' (f.yaml:1)".into(),
                path: "/d/a.duckdb_secret".into(),
                why: "disk full".into(),
            },
            Leftover::Storage { label: "secret 'm' (f.yaml:2)".into(), storage: "md".into() },
        ],
    );
    assert!(!left.contains("nothing of this call was applied"), "{left}");
    assert!(left.contains("secret 'a' (f.yaml:1): its file /d/a.duckdb_secret could not be put back (disk full)"));
    assert!(left.contains("secret 'm' (f.yaml:2): storage 'md' was changed"), "{left}");
}

fn logging(enabled: bool, level: &str, mode: &str, enabled_types: &str, disabled_types: &str) -> Logging {
    Logging {
        enabled,
        level: level.into(),
        mode: mode.into(),
        enabled_types: enabled_types.into(),
        disabled_types: disabled_types.into(),
        query_path: String::new(),
    }
}

#[test]
fn logging_that_could_record_a_credential_refuses_creates() {
    let refused = |l: Logging| logging_refusal(&l);
    // off, or too quiet to record queries or HTTP requests
    assert_eq!(refused(logging(false, "TRACE", "LEVEL_ONLY", "", "")), None);
    assert_eq!(refused(logging(true, "WARNING", "LEVEL_ONLY", "", "")), None);
    assert_eq!(refused(logging(true, "INFO", "ENABLE_SELECTED", "FileSystem,Metrics", "")), None);
    assert_eq!(refused(logging(true, "INFO", "DISABLE_SELECTED", "", "QueryLog")), None);
    assert_eq!(refused(logging(true, "TRACE", "DISABLE_SELECTED", "", "QueryLog, http")), None);

    // CALL enable_logging(): INFO, every type
    let m = refused(logging(true, "INFO", "LEVEL_ONLY", "", "")).unwrap();
    assert!(m.starts_with("yamlsecrets: DuckDB is logging queries, which would record credentials"), "{m}");
    assert!(m.contains("QueryLog") && !m.contains("HTTP would"), "{m}");
    assert!(m.contains("SET logging_level = 'WARNING' (now 'INFO')"), "{m}");
    // CALL enable_logging('HTTP')
    let m = refused(logging(true, "DEBUG", "ENABLE_SELECTED", "HTTP", "")).unwrap();
    assert!(m.contains("HTTP would record") && m.contains("client_id:client_secret"), "{m}");
    assert!(m.contains("CALL disable_logging()") && m.contains("enabled_log_types"), "{m}");
    // trace level with only QueryLog disabled: HTTP is still recorded
    let m = refused(logging(true, "TRACE", "DISABLE_SELECTED", "", "QueryLog")).unwrap();
    assert!(m.contains("HTTP would record") && !m.contains("QueryLog would"), "{m}");
    assert!(m.contains("SET disabled_log_types = 'QueryLog,HTTP'"), "{m}");
    // debug/trace in every-type mode record both
    let m = refused(logging(true, "debug", "LEVEL_ONLY", "", "")).unwrap();
    assert!(m.contains("logging queries and HTTP requests"), "{m}");
    assert!(m.contains("QueryLog would") && m.contains("HTTP would"), "{m}");
    // an unknown level or mode counts as the most verbose
    assert!(refused(logging(true, "CHATTY", "SOMETHING_NEW", "", "")).is_some());
    // log_query_path, with logging itself off
    let mut l = logging(false, "INFO", "LEVEL_ONLY", "", "");
    l.query_path = "/tmp/q.log".into();
    assert!(refused(l).unwrap().contains("RESET log_query_path"));
}

#[test]
fn policy_refuses_without_external_access_and_lets_reads_run_while_logging() {
    let mut s = state();
    s.logging = logging(true, "TRACE", "LEVEL_ONLY", "", "");
    assert!(check_policy(&s, false).is_ok());
    assert!(check_policy(&s, true).unwrap_err().contains("logging"));
    s.external_access = false;
    assert!(check_policy(&s, false).unwrap_err().contains("enable_external_access is false"));
}
