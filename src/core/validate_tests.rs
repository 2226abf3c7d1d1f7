//! Unit tests of validate.rs, compiled only under #[cfg(test)] (its `mod tests`).

use std::path::Path;

use super::*;
use crate::core::duckdb_versions::DuckdbVersion;
use crate::core::fingerprint::fingerprint;
use crate::core::interpolate::Source;

fn check(text: &str) -> Outcome {
    let request = Request { file: "s.yaml".into(), ..Request::default() };
    validate(&request, Path::new("/nonexistent/s.yaml"), text, &Environment::everything())
}

fn errors(outcome: &Outcome) -> Vec<String> {
    outcome
        .diagnostics
        .iter()
        .filter(|d| d.severity == super::super::diagnostics::Severity::Error)
        .map(ToString::to_string)
        .collect()
}

#[test]
fn http_secret_resolves_and_coerces() {
    std::env::set_var("YS_V_TOKEN", "tok-123");
    let outcome = check(
        "secrets:\n  api:\n    type: HTTP\n    bearer_token: ${YS_V_TOKEN}\n    verify_ssl: \"false\"\n    scope: https://x/\n",
    );
    assert!(errors(&outcome).is_empty(), "{:?}", outcome.diagnostics);
    let secret = &outcome.secrets[0];
    assert_eq!(secret.type_name, "http");
    assert_eq!(secret.scope, vec!["https://x/".to_string()]);
    assert!(matches!(&secret.params[0].value, ParamValue::Text(v) if v.expose() == "tok-123"));
    assert!(matches!(secret.params[1].value, ParamValue::Boolean(false)));
    assert_eq!(
        secret.sources,
        vec![Source::Env { name: "YS_V_TOKEN".into(), fingerprint: Some(fingerprint("tok-123")) }]
    );
}

#[test]
fn five_mistakes_are_reported_together_with_places() {
    let text = "secrets:\n  a:\n    type: http\n    bearer_tokn: x\n  b:\n    type: htp\n  c:\n    type: http\n    verify_ssl: no\n  d:\n    type: http\n    bearer_token: ${YS_V_SURELY_UNSET}\n  e:\n    type: http\n    extra_http_headers: [a, b]\n";
    let found = errors(&check(text));
    assert_eq!(found.len(), 5, "{found:#?}");
    assert!(
        found[0].starts_with("s.yaml:4:5: secret 'a', field 'bearer_tokn'")
            && found[0].contains("did you mean 'bearer_token'")
    );
    assert!(found[1].starts_with("s.yaml:6:11: secret 'b', field 'type'") && found[1].contains("did you mean 'http'"));
    assert!(found[2].starts_with("s.yaml:9:17: secret 'c', field 'verify_ssl'") && found[2].contains("true or false"));
    assert!(
        found[3].starts_with("s.yaml:12:19: secret 'd', field 'bearer_token'")
            && found[3].contains("YS_V_SURELY_UNSET")
    );
    assert!(
        found[4].starts_with("s.yaml:15:25: secret 'e', field 'extra_http_headers'") && found[4].contains("mapping")
    );
}

#[test]
fn literal_credentials_and_unscoped_persistent_secrets_warn() {
    let outcome = check("secrets:\n  a:\n    type: http\n    persistent: true\n    bearer_token: literal-token\n");
    assert!(errors(&outcome).is_empty());
    let warnings: Vec<String> = outcome.diagnostics.iter().map(ToString::to_string).collect();
    assert!(warnings.iter().any(|w| w.contains("literal credential") && !w.contains("literal-token")), "{warnings:?}");
    assert!(warnings.iter().any(|w| w.contains("without a scope")), "{warnings:?}");
}

#[test]
fn defaults_for_persistence_come_from_call_then_file() {
    let text = "options:\n  persistent: true\nsecrets:\n  a: {type: http, scope: 'https://a/'}\n  b: {type: http, scope: 'https://b/', persistent: false}\n";
    let outcome = check(text);
    assert!(outcome.secrets[0].persistent && !outcome.secrets[1].persistent);
    let request = Request { file: "s.yaml".into(), persistent: Some(false), ..Request::default() };
    let outcome = validate(&request, Path::new("s.yaml"), text, &Environment::everything());
    assert!(!outcome.secrets[0].persistent);
}

#[test]
fn a_files_allow_commands_false_holds_with_key_and_names_the_file() {
    let text = "options:\n  allow_commands: false\nsecrets:\n  a:\n    type: http\n    bearer_token: ${cmd:printf x}\n";
    for key in [None, Some("secrets".to_string())] {
        for lint in [false, true] {
            let request =
                Request { file: "s.yaml".into(), key: key.clone(), allow_commands: true, lint, ..Request::default() };
            let outcome = validate(&request, Path::new("/nonexistent/s.yaml"), text, &Environment::everything());
            let found = errors(&outcome);
            assert_eq!(found.len(), 1, "{key:?} {lint}: {found:?}");
            assert!(
                found[0].contains("this file forbids it whatever the call says")
                    && found[0].contains("allow_commands: false at line 2, column 19"),
                "{found:?}"
            );
            assert!(outcome.secrets.iter().all(|s| s.sources.is_empty()), "no command was recorded or run");
        }
    }
    // the call's refusal names the call
    let request = Request { file: "s.yaml".into(), ..Request::default() };
    let text = "secrets:\n  a:\n    type: http\n    bearer_token: ${cmd:printf x}\n";
    let found = errors(&validate(&request, Path::new("/nonexistent/s.yaml"), text, &Environment::everything()));
    assert!(found[0].contains("pass allow_commands := true to the call"), "{found:?}");
}

#[test]
fn names_filter_skips_resolution_of_others() {
    let text = "secrets:\n  a: {type: http, bearer_token: '${YS_V_UNSET_A}'}\n  b: {type: http, bearer_token: x}\n";
    let request = Request { file: "s.yaml".into(), names: Some(vec!["B".into()]), ..Request::default() };
    let outcome = validate(&request, Path::new("s.yaml"), text, &Environment::everything());
    assert!(!outcome.has_errors(), "{:?}", outcome.diagnostics);
    assert_eq!(outcome.secrets.len(), 1);
    assert_eq!(outcome.secrets[0].name, "b");
}

#[test]
fn missing_extension_is_named() {
    let environment = Environment { secret_types: vec!["http".into()], ..Environment::default() };
    let request = Request { file: "s.yaml".into(), ..Request::default() };
    let text = "secrets:\n  pg: {type: postgres, host: h}\n";
    let outcome = validate(&request, Path::new("s.yaml"), text, &environment);
    let found = errors(&outcome);
    assert_eq!(
        found,
        ["s.yaml:2:14: secret 'pg', field 'type': secret type 'postgres' with provider 'config' needs the \
          postgres_scanner extension, which is not loaded: run INSTALL postgres_scanner; LOAD postgres_scanner;"]
    );
}

#[test]
fn a_provider_of_a_newer_duckdb_passes_through_there_and_is_named_before() {
    let text = "secrets:\n  anon: {type: s3, provider: none, region: eu-west-1}\n";
    let request = Request { file: "s.yaml".into(), ..Request::default() };
    let at = |version| Environment {
        secret_types: vec!["s3".into()],
        loaded_extensions: vec!["httpfs".into()],
        duckdb_version: Some(version),
        ..Environment::default()
    };
    let newer = validate(&request, Path::new("s.yaml"), text, &at(DuckdbVersion::new(2, 0, 1)));
    assert!(!newer.has_errors(), "{:?}", newer.diagnostics);
    assert_eq!(newer.secrets[0].provider.as_deref(), Some("none"));
    assert!(newer.secrets[0].params.iter().all(|p| p.sensitive));
    let older = validate(&request, Path::new("s.yaml"), text, &at(DuckdbVersion::new(1, 5, 5)));
    let message = older.diagnostics.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n");
    assert!(
        message.contains("s.yaml:2:30") && message.contains("from DuckDB v2.0.0 on, and this is DuckDB v1.5.5"),
        "{message}"
    );
}

#[test]
fn passthrough_types_render_everything_as_sensitive() {
    let environment = Environment { secret_types: vec!["custom_thing".into()], ..Environment::default() };
    let request = Request { file: "s.yaml".into(), ..Request::default() };
    let text = "secrets:\n  c: {type: custom_thing, anything: v, list: [a], map: {k: v}}\n";
    let outcome = validate(&request, Path::new("s.yaml"), text, &environment);
    assert!(!outcome.has_errors(), "{:?}", outcome.diagnostics);
    assert!(outcome.secrets[0].params.iter().all(|p| p.sensitive));
    assert_eq!(outcome.secrets[0].params.len(), 3);
}

#[test]
fn closed_value_sets_suggest_and_never_quote_a_value() {
    std::env::set_var("YS_V_STYLE_CANARY", "tok-canary-in-the-wrong-field");
    let text = "secrets:\n  a: {type: s3, url_style: pathh}\n  b: {type: s3, url_style: '${YS_V_STYLE_CANARY}'}\n  \
                c: {type: mysql, host: h, ssl_mode: verify-ca}\n  d: {type: s3, provider: credential_chain, chain: \
                'env;confg'}\n  e: {type: postgres, sslmode: require}\n  f: {type: s3, url_style: patx}\n";
    let found = errors(&check(text));
    assert_eq!(found.len(), 5, "{found:#?}");
    assert_eq!(
        found[0],
        "s.yaml:2:28: secret 'a', field 'url_style': the value is not one of: path, vhost; did you mean 'path'?"
    );
    assert_eq!(
        found[1],
        "s.yaml:3:28: secret 'b', field 'url_style': the value is not one of: path, vhost (it comes from a \
         reference and is not shown)"
    );
    assert!(
        found[2].ends_with(
            "not one of: disabled, preferred, required, verify_ca, verify_identity; did you mean 'verify_ca'?"
        ),
        "{found:?}"
    );
    assert!(found[3].ends_with("a link of the chain is not one of: config, env, sso, sts, instance, process, web_identity; did you mean 'config'?"), "{found:?}");
    for message in &found {
        for value in ["pathh", "canary", "verify-ca", "confg", "patx"] {
            assert!(!message.contains(value), "{value} in {message}");
        }
    }
}

#[test]
fn ports_are_in_range_and_scopes_are_strings() {
    std::env::set_var("YS_V_BIG_PORT", "70000");
    let text =
        "secrets:\n  a: {type: postgres, port: 99999999999999}\n  b: {type: mysql, port: '${YS_V_BIG_PORT}'}\n  \
                c: {type: http, scope: 42}\n  d: {type: http, scope: ['https://a/', true]}\n  \
                e: {type: http, extra_http_headers: {X-A: }}\n  f: {type: postgres, connection_string: \
                'postgresql://h:0/db'}\n  g: {type: http, scope: '42'}\n";
    let found = errors(&check(text));
    assert_eq!(found.len(), 6, "{found:#?}");
    assert!(found[0].ends_with("field 'port': the value is out of range: it must be between 1 and 65535"));
    assert!(found[1].ends_with("field 'port': the value is out of range: it must be between 1 and 65535 (it comes from a reference and is not shown)"));
    assert!(found[2].contains("field 'scope': expected a string or a list of strings, not a number (quote it"));
    assert!(found[3].contains("field 'scope'") && found[3].contains("not a boolean"), "{found:?}");
    assert!(found[4].contains("field 'extra_http_headers': a value must be a string, not null"), "{found:?}");
    // from a connection string: not a literal of the file either
    assert!(found[5].contains("field 'port': the value is out of range") && found[5].contains("reference"));
    assert!(found.iter().all(|m| !m.contains("99999999999999") && !m.contains("70000")), "{found:?}");
}

fn file_problem(path: &str) -> String {
    let request = Request { file: path.into(), ..Request::default() };
    let outcome = validate_file(&request, &Environment::everything());
    assert_eq!(outcome.diagnostics.len(), 1, "{:?}", outcome.diagnostics);
    outcome.diagnostics[0].to_string()
}

#[test]
fn a_missing_file_names_the_absolute_path_and_the_working_directory() {
    let cwd = std::env::current_dir().unwrap();
    let found = file_problem("surely/not/here.yaml");
    let expected = format!(
        "surely/not/here.yaml: the secrets file does not exist (path tried: {}; working directory: {})",
        cwd.join("surely/not/here.yaml").display(),
        cwd.display()
    );
    assert_eq!(found, expected);
    assert!(file_problem("/surely/not/here.yaml").contains("(path tried: /surely/not/here.yaml; working"));
}

#[test]
fn urls_and_yaml_text_given_as_the_path_are_not_echoed() {
    for url in ["s3://bucket/secrets.yaml", "https://user:pw-canary@host/s.yaml", "gs://b/s.yaml"] {
        let found = file_problem(url);
        assert!(found.starts_with("the path argument: only local files are read, not "), "{found}");
        assert!(!found.contains("canary") && !found.contains("bucket") && !found.contains("/s.yaml"), "{found}");
    }
    for text in [
        "secrets: {gh: {type: http, bearer_token: ghp_canary123}}",
        "secrets:\n  gh:\n    type: http\n    bearer_token: ghp_canary123\n",
        "{secrets: {}}",
    ] {
        let found = file_problem(text);
        assert!(found.starts_with("the path argument: looks like YAML text"), "{found}");
        assert!(!found.contains("canary") && !found.contains("secrets:"), "{found}");
    }
}

#[test]
fn a_calls_env_file_problem_blames_the_call() {
    let request = Request { file: "s.yaml".into(), env_files: vec!["no/such.env".into()], ..Request::default() };
    let outcome = validate(&request, Path::new("/nonexistent/s.yaml"), "secrets: {}\n", &Environment::everything());
    let found = errors(&outcome);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].starts_with("env_file := 'no/such.env': does not exist (path tried: /"), "{found:?}");
    assert!(!found[0].contains("s.yaml"), "{found:?}");
    // the file's own env_file is still the file's problem, with its place
    let text = "options:\n  env_file: no/such.env\nsecrets: {}\n";
    let request = Request { file: "s.yaml".into(), ..Request::default() };
    let found = errors(&validate(&request, Path::new("/nonexistent/s.yaml"), text, &Environment::everything()));
    assert!(found[0].starts_with("s.yaml:2:13: 'env_file': env_file '/nonexistent/no/such.env'"), "{found:?}");
}

#[test]
fn azure_endpoint_and_key_rules() {
    let ignored = check("secrets:\n  a: {type: azure, connection_string: x, endpoint: 'http://h/acct'}\n");
    assert!(errors(&ignored).is_empty(), "{:?}", ignored.diagnostics);
    assert!(ignored.diagnostics.iter().any(|d| d.message.contains("ignores 'endpoint'")));
    assert!(ignored.secrets[0].params.iter().all(|p| p.name != "endpoint"));

    let keyless = check("secrets:\n  a: {type: azure, account_name: acct, endpoint: 'http://h/acct'}\n");
    assert!(errors(&keyless)[0].contains("an http:// endpoint works only with"), "{:?}", keyless.diagnostics);

    let chain = check("secrets:\n  a: {type: azure, provider: credential_chain, account_name: x, account_key: k}\n");
    let found = errors(&chain);
    assert!(found[0].contains("field 'account_key'") && found[0].contains("provider 'config' only"), "{found:?}");
}

#[test]
fn a_lint_keeps_no_values() {
    std::env::set_var("YS_V_LINT_TOKEN", "tok-lint");
    let text = "secrets:\n  api:\n    type: http\n    bearer_token: ${YS_V_LINT_TOKEN}\n    scope: https://x/\n";
    let request = Request { file: "s.yaml".into(), lint: true, ..Request::default() };
    let outcome = validate(&request, Path::new("/nonexistent/s.yaml"), text, &Environment::everything());
    assert!(errors(&outcome).is_empty(), "{:?}", outcome.diagnostics);
    // What a check reports on (name, type, provider, place) stays; the values are gone.
    let secret = &outcome.secrets[0];
    assert_eq!((secret.name.as_str(), secret.type_name.as_str()), ("api", "http"));
    assert!(secret.params.is_empty() && secret.sources.is_empty());
    // A load of the same file keeps them.
    assert_eq!(check(text).secrets[0].params.len(), 1);
}
