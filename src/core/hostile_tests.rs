//! Hostile files through the whole pure pipeline (document → validate → error text): keys
//! holding a typed-in value, and findings by the hundred thousand.

use std::path::Path;

use super::diagnostics::{error_report, Severity, MAX_FINDINGS};
use super::request::{Environment, Outcome, Request};
use super::validate::validate;

fn check_with(text: &str, environment: &Environment) -> Outcome {
    let request = Request { file: "s.yaml".into(), ..Request::default() };
    validate(&request, Path::new("/nonexistent/s.yaml"), text, environment)
}

fn check(text: &str) -> Outcome {
    check_with(text, &Environment::everything())
}

fn shown(outcome: &Outcome) -> String {
    let rows: Vec<String> = outcome.diagnostics.iter().map(|d| format!("{d} [{:?}]", d.field)).collect();
    format!("{}\n{}", error_report(&outcome.diagnostics), rows.join("\n"))
}

#[test]
fn a_value_typed_into_a_key_is_not_shown() {
    for text in [
        "secrets:\n  api: {type: http, bearer_token:ghp_s3cr3t}\n",
        "secrets:\n  api:\n    type: http\n    bearer_token=ghp_s3cr3t:\n",
        "secrets:\n  api: {type: http, bearer_token ghp_s3cr3t: }\n",
        "secrets:\n  api: {type: http, bearer_token:ghp_s3cr3t, bearer_token:ghp_s3cr3t}\n",
        "options: {env_file:ghp_s3cr3t}\nsecrets: {}\n",
        "ghp:s3cr3t: 1\nsecrets: {}\n",
    ] {
        let outcome = check(text);
        let all = shown(&outcome);
        assert!(outcome.has_errors() && !all.contains("s3cr3t"), "{text}\n{all}");
        let hinted = ["missing space after ':'?", "('=' is not YAML)", "is a ':' missing after the key?"];
        assert!(all.contains("…'") && hinted.iter().any(|h| all.contains(h)), "{text}\n{all}");
    }
}

#[test]
fn a_passthrough_key_holding_a_separator_is_refused() {
    let environment = Environment { secret_types: vec!["custom_thing".into()], ..Environment::default() };
    let outcome = check_with("secrets:\n  c: {type: custom_thing, token:ghp_s3cr3t, ok: v}\n", &environment);
    let all = shown(&outcome);
    assert!(outcome.secrets.is_empty() && !all.contains("s3cr3t"), "{all}");
    assert!(
        all.contains(
            "s.yaml:2:27: secret 'c', field 'token…': 'token…' is not a parameter name; missing space after ':'?"
        ),
        "{all}"
    );
}

#[test]
fn forty_thousand_mistakes_make_a_short_report() {
    let secrets: String = (0..40_000).map(|i| format!("  s{i}: {{type: http, bogus: v}}\n")).collect();
    let outcome = check(&format!("secrets:\n{secrets}"));
    assert_eq!(outcome.diagnostics.len(), MAX_FINDINGS + 1);
    assert!(outcome.secrets.is_empty());
    let report = error_report(&outcome.diagnostics);
    assert!(report.starts_with("yamlsecrets: 40000 errors, no secret was created:"), "{report}");
    // 17 MB before (40 000 unknown fields in one secret, each with the list of allowed ones).
    assert!(report.len() < 8 * 1024, "{}", report.len());
}

#[test]
fn forty_thousand_fields_in_one_secret_are_one_error() {
    let fields: String = (0..40_000).map(|i| format!("    f{i}: v\n")).collect();
    let outcome = check(&format!("secrets:\n  a:\n    type: http\n{fields}"));
    let report = error_report(&outcome.diagnostics);
    assert!(
        report.ends_with("s.yaml:2:3: secret 'a': the definition holds 40001 fields; a secret takes at most 100"),
        "{report}"
    );
}

#[test]
fn a_secret_whose_errors_were_only_counted_is_still_invalid() {
    // Past the first findings a secret's errors are counted, not kept: it must not pass.
    let secrets: String = (0..150).map(|i| format!("  s{i}: {{type: http, bogus: v}}\n")).collect();
    let outcome = check(&format!("secrets:\n{secrets}"));
    assert!(outcome.secrets.is_empty(), "{} secrets passed", outcome.secrets.len());
    let last = outcome.diagnostics.last().map(|d| (d.severity, d.message.clone()));
    assert_eq!(last, Some((Severity::Error, "… and 50 more errors not shown: fix the ones above first".to_string())));
}

#[test]
fn aliased_definitions_are_validated_like_written_ones() {
    let text = "x-base: &base {type: http, bearer_token: t, verify_ssl: 'false'}\nsecrets:\n  a: *base\n  b:\n    <<: *base\n    verify_ssl: 'true'\n";
    let outcome = check(text);
    assert!(!outcome.has_errors(), "{}", shown(&outcome));
    assert_eq!(outcome.secrets.len(), 2);
}
