//! The pure core: no DuckDB in here. Data flows one way:
//! file (`call_files`, over [`files`]) → [`yaml`] → [`document`] → [`validate`]: the
//! file's `options`, then each secret through a `checker` ([`interpolate`], `conveniences`,
//! [`catalog`]) → secrets and findings ([`request::Outcome`], [`secret`]) → [`plan`] →
//! [`render`] → SQL text ([`sql_text`]).

pub mod autoload;
mod call_files;
pub mod catalog;
mod checker;
pub mod commands;
pub mod connection_string;
mod conveniences;
pub mod definitions;
pub mod diagnostics;
pub mod document;
pub mod dotenv;
pub mod duckdb_versions;
pub mod files;
pub mod fingerprint;
pub mod interpolate;
mod options;
pub mod plan;
pub mod probe;
pub mod provenance;
pub mod render;
pub mod request;
pub mod secret;
pub mod secret_value;
pub mod sql_text;
pub mod validate;
pub mod yaml;
mod yaml_block;
mod yaml_tags;

#[cfg(test)]
mod hostile_tests;

/// The whole pure pipeline on arbitrary bytes, for the fuzz target: every outcome must be
/// a value or diagnostics, never a panic. Variables resolve from the process environment;
/// `${file:}` paths resolve under a directory that does not exist.
pub fn fuzz_pipeline(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    // The fast reader of the block subset may only ever agree with yaml-rust2.
    if let Some(fast) = yaml::parse_block(text) {
        assert_eq!(Ok(fast), yaml::parse_general(text), "the block reader and yaml-rust2 disagree");
    }
    let request = request::Request { file: "fuzz.yaml".into(), ..request::Request::default() };
    let outcome = validate::validate(
        &request,
        std::path::Path::new("/nonexistent-yamlsecrets-fuzz/fuzz.yaml"),
        text,
        &request::Environment::everything(),
    );
    for diagnostic in &outcome.diagnostics {
        let _ = diagnostic.to_string();
    }
    for secret in &outcome.secrets {
        let _ = render::create_secret(secret, true);
    }
    // Planning: order, trial names and undo must hold for whatever secrets come out.
    let state = plan::State {
        external_access: true,
        allow_persistent: true,
        default_storage: plan::LOCAL_FILE.into(),
        secret_directory: "/nonexistent-yamlsecrets-fuzz/stored_secrets".into(),
        ..plan::State::default()
    };
    for replace in [true, false] {
        if let Ok(planned) = plan::plan_load(&outcome.secrets, "fuzz.yaml", replace, &state, "fuzz") {
            let persistent = outcome.secrets.iter().filter(|s| s.persistent).count();
            assert_eq!(planned.trial.len(), persistent, "every persistent secret is tried first");
            let first_persistent =
                planned.steps.iter().position(|s| s.undo != plan::Undo::Rollback).unwrap_or(planned.steps.len());
            assert!(planned.steps[first_persistent..].iter().all(|s| s.undo != plan::Undo::Rollback));
        }
    }
}
