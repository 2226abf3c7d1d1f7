//! Unit tests of probe.rs, compiled only under #[cfg(test)] (its `mod tests`).

use super::*;
use crate::core::diagnostics::Location;
use crate::core::secret::Param;
use crate::core::secret_value::SecretString;

fn text(name: &str, value: &str, sensitive: bool) -> Param {
    Param { name: name.to_string().into(), value: ParamValue::Text(SecretString::new(value.into())), sensitive }
}

fn secret(type_name: &str, scope: &[&str], params: Vec<Param>) -> Secret {
    Secret {
        name: "mine".into(),
        type_name: type_name.into(),
        provider: None,
        scope: scope.iter().map(|s| s.to_string()).collect(),
        persistent: true,
        storage: Some("local_file".into()),
        params,
        at: Location::default(),
        sources: Vec::new(),
    }
}

fn tried(probe: &Probe) -> &Try {
    match &probe.plan {
        Plan::Try(t) => t,
        Plan::Untestable(why) => panic!("untestable: {why}"),
    }
}

#[test]
fn postgres_attaches_read_only_under_the_throwaway_name_and_detaches() {
    let params = vec![
        text("host", "db.example", false),
        Param { name: "port".into(), value: ParamValue::Integer(6543), sensitive: false },
        text("database", "shop", false),
        text("password", "canary-Pw-1234", true),
    ];
    let probe = plan(&secret("postgres", &[], params), &[], "__ys_probe_7_0", 3).unwrap();
    assert_eq!(probe.target, "db.example:6543/shop");
    let t = tried(&probe);
    // Temporary, never persistent nor in the file's storage, scoped where no path goes.
    assert!(t.create.starts_with("CREATE TEMPORARY SECRET \"__ys_probe_7_0\" (TYPE 'postgres'"), "{}", t.create);
    assert!(t.create.contains("SCOPE ['yamlsecrets-probe://__ys_probe_7_0']"), "{}", t.create);
    assert!(!t.create.contains("local_file") && !t.create.contains("PERSISTENT"));
    assert_eq!(
        t.checks,
        vec![
            "ATTACH 'connect_timeout=3' AS \"__ys_probe_7_0_db\" (TYPE postgres, SECRET \"__ys_probe_7_0\", READ_ONLY)"
                .to_string(),
            "SELECT * FROM postgres_query('__ys_probe_7_0_db', 'SELECT 1')".to_string(),
        ]
    );
    assert_eq!(
        t.cleanup,
        vec![
            "DETACH DATABASE IF EXISTS \"__ys_probe_7_0_db\"".to_string(),
            "DROP TEMPORARY SECRET IF EXISTS \"__ys_probe_7_0\"".to_string(),
        ]
    );
    assert!(!probe.target.contains("canary") && !t.checks.concat().contains("canary"));
}

#[test]
fn mysql_defaults_its_port_and_has_no_timeout_in_the_path() {
    let probe = plan(&secret("mysql", &[], vec![text("host", "h", false)]), &[], "p", 2).unwrap();
    assert_eq!(probe.target, "h:3306/");
    assert!(tried(&probe).checks[0].starts_with("ATTACH '' AS \"p_db\" (TYPE mysql, SECRET \"p\", READ_ONLY)"));
}

#[test]
fn object_stores_list_a_prefix_only_the_probe_uses_under_each_scope() {
    let s = secret("s3", &["s3://bucket", "s3://other/data/"], vec![text("secret", "canary", true)]);
    let probe = plan(&s, &[], "n", 4).unwrap();
    assert_eq!(probe.target, "s3://bucket, s3://other/data/");
    let t = tried(&probe);
    assert_eq!(
        t.checks,
        vec![
            "SELECT count(*) FROM glob('s3://bucket/yamlsecrets-probe-n*')".to_string(),
            "SELECT count(*) FROM glob('s3://other/data/yamlsecrets-probe-n*')".to_string(),
        ]
    );
    assert!(
        t.create.contains("SCOPE ['s3://bucket/yamlsecrets-probe-n', 's3://other/data/yamlsecrets-probe-n']"),
        "{}",
        t.create
    );
    assert_eq!(t.settings, vec!["SET SESSION http_timeout = 4", "SET SESSION http_retries = 0"]);
    assert_eq!(t.cleanup, vec!["DROP TEMPORARY SECRET IF EXISTS \"n\"".to_string()]);
}

#[test]
fn a_scopeless_store_or_http_secret_and_unknown_types_are_untestable() {
    for type_name in ["s3", "gcs", "r2", "azure", "huggingface", "http"] {
        let probe = plan(&secret(type_name, &[], Vec::new()), &[], "n", 1).unwrap();
        assert!(matches!(&probe.plan, Plan::Untestable(why) if why.contains("scope")), "{type_name}");
    }
    let probe = plan(&secret("motherduck", &[], Vec::new()), &[], "n", 1).unwrap();
    assert!(matches!(&probe.plan, Plan::Untestable(why) if why.contains("no try for type 'motherduck'")));
    let iceberg = plan(&secret("iceberg", &[], vec![text("token", "t", true)]), &[], "n", 1).unwrap();
    assert!(matches!(iceberg.plan, Plan::Untestable(_)));
}

#[test]
fn http_requests_each_scope_url_with_a_query_only_the_probe_sends() {
    let s = secret("http", &["https://u:pw-canary@h/a.csv", "https://h/b?x=1"], Vec::new());
    let probe = plan(&s, &[], "n", 1).unwrap();
    assert_eq!(probe.target, "https://u:***@h/a.csv, https://h/b?x=1");
    let t = tried(&probe);
    assert_eq!(t.checks[0], "SELECT size FROM read_blob('https://u:pw-canary@h/a.csv?yamlsecrets_probe=n')");
    assert_eq!(t.checks[1], "SELECT size FROM read_blob('https://h/b?x=1&yamlsecrets_probe=n')");
}

#[test]
fn iceberg_tries_the_token_request_at_create() {
    let s = secret(
        "iceberg",
        &[],
        vec![text("client_secret", "cs", true), text("oauth2_server_uri", "http://cat/v1/oauth/tokens", false)],
    );
    let probe = plan(&s, &[], "n", 1).unwrap();
    assert_eq!(probe.target, "http://cat/v1/oauth/tokens");
    let t = tried(&probe);
    assert!(t.checks.is_empty() && t.create.contains("TYPE 'iceberg'"));
}

#[test]
fn ducklake_attaches_through_the_throwaway_secret() {
    let probe = plan(&secret("ducklake", &[], vec![text("data_path", "/lake/", false)]), &[], "n", 1).unwrap();
    let t = tried(&probe);
    assert_eq!(t.checks, vec!["ATTACH 'ducklake:n' AS \"n_db\" (READ_ONLY)".to_string()]);
    assert_eq!(
        t.cleanup,
        vec!["DETACH DATABASE IF EXISTS \"n_db\"".to_string(), "DROP TEMPORARY SECRET IF EXISTS \"n\"".to_string()]
    );
}

#[test]
fn duckdb_errors_are_classified() {
    let refused = [
        "IO Error: Unable to connect to Postgres at \"connect_timeout=2\": connection to server at \"127.0.0.1\", \
         port 1 failed: FATAL:  password authentication failed for user \"u\"",
        "IO Error: Failed to connect to MySQL database with parameters \"\": Access denied for user 'u'@'127.0.0.1'",
        "HTTP Error: HTTP GET error reading 's3://b/p' in region 'us-east-1' (HTTP 403 Forbidden)\n\
         SignatureDoesNotMatch: The request signature we calculated does not match",
        "HTTP Error: HTTP GET error reading 's3://nosuch/p' in region 'us-east-1' (HTTP 404 Not Found)\n\
         NoSuchBucket: The specified bucket does not exist",
        "IO Error: AzureBlobStorageFileSystem Read to az://c/p* failed with AuthorizationFailure Reason Phrase",
        "HTTP Error: HTTP GET error on 'http://127.0.0.1:1/data.csv?yamlsecrets_probe=1' (HTTP 0 Internal Server Error)",
        "OAuth2 token request failed (Unauthorized_401): invalid_client - client authentication failed",
        "connection to server failed: FATAL: no pg_hba.conf entry for host \"1.2.3.4\", SSL off",
        "something DuckDB says that no rule knows",
    ];
    for text in refused {
        assert_eq!(classify(text), Status::Refused, "{text}");
    }
    let unreachable = [
        "connection to server at \"127.0.0.1\", port 1 failed: Connection refused",
        "Failed to connect to MySQL database with parameters \"\": Can't connect to server on '127.0.0.1' (115)",
        "IO Error: Could not connect to server error for HTTP GET to 'http://127.0.0.1:1/b/?list-type=2'",
        "Fail to get a new connection for: http://127.0.0.1:1. Could not connect to server",
        "IO Error: Timeout was reached error for HTTP HEAD to 'http://127.0.0.1:1/data.csv'",
        "connection to server at \"127.0.0.1\", port 1 failed: timeout expired",
        "Could not get token from http://127.0.0.1:1/v1/oauth/tokens: Could not connect to server",
        "could not translate host name \"nowhere.invalid\" to address: Name or service not known",
    ];
    for text in unreachable {
        assert_eq!(classify(text), Status::Unreachable, "{text}");
    }
}

#[test]
fn messages_are_one_bounded_line_without_the_statement_excerpt() {
    let text = "HTTP Error: HTTP GET error (HTTP 403 Forbidden)\nSignatureDoesNotMatch: no\n\
                LINE 1: SELECT count(*) FROM glob('s3://b/x*')\n                             ^";
    assert_eq!(one_line(text), "HTTP Error: HTTP GET error (HTTP 403 Forbidden) SignatureDoesNotMatch: no");
    let long = "é".repeat(1000);
    assert_eq!(one_line(&long).chars().count(), MESSAGE_CHARS + 1);
}

#[test]
fn timeouts_are_whole_positive_seconds() {
    assert_eq!(timeout_seconds(None), Ok(DEFAULT_TIMEOUT_S));
    assert_eq!(timeout_seconds(Some("2")), Ok(2));
    assert_eq!(timeout_seconds(Some("0.2")), Ok(1));
    assert_eq!(timeout_seconds(Some("1.5")), Ok(2));
    for bad in ["0", "-1", "nan", "inf", "x", "301"] {
        assert!(timeout_seconds(Some(bad)).is_err(), "{bad}");
    }
}

#[test]
fn test_path_is_accepted_never_a_parameter_and_stands_for_the_scope() {
    use crate::core::request::{Environment, Request};
    use crate::core::validate::validate;
    let text = "secrets:\n  lake:\n    type: s3\n    key_id: k\n    secret: s\n    test_path: s3://bucket/x\n  \
                web:\n    type: http\n    bearer_token: t\n    test_path: [\"https://h/a\", \"https://h/b\"]\n  \
                other:\n    type: some_passthrough_type\n    token: t\n    test_path: x://y\n";
    let request = Request { file: "s.yaml".into(), ..Request::default() };
    let mut environment = Environment::everything();
    environment.secret_types.push("some_passthrough_type".into());
    let outcome = validate(&request, std::path::Path::new("/nonexistent/s.yaml"), text, &environment);
    assert!(!outcome.has_errors(), "{:?}", outcome.diagnostics);
    assert_eq!(
        outcome.test_paths,
        vec![
            ("lake".to_string(), vec!["s3://bucket/x".to_string()]),
            ("web".to_string(), vec!["https://h/a".to_string(), "https://h/b".to_string()]),
            ("other".to_string(), vec!["x://y".to_string()]),
        ]
    );
    for secret in &outcome.secrets {
        assert!(secret.params.iter().all(|p| p.name != "test_path"), "{}", secret.name);
        let sql = crate::core::render::create_secret(secret, false).unwrap().sql;
        assert!(!sql.to_ascii_lowercase().contains("test_path") && !sql.contains("x://y"), "{sql}");
    }
    let lake = &outcome.secrets[0];
    let probe = plan(lake, &outcome.test_paths[0].1, "n", 1).unwrap();
    assert_eq!(probe.target, "s3://bucket/x");
    assert_eq!(
        tried(&probe).checks,
        vec!["SELECT count(*) FROM glob('s3://bucket/x/yamlsecrets-probe-n*')".to_string()]
    );
    let web = plan(&outcome.secrets[1], &outcome.test_paths[1].1, "n", 1).unwrap();
    assert_eq!(tried(&web).checks.len(), 2);
}
