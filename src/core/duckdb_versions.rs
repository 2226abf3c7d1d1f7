//! What differs between the DuckDB versions yamlsecrets runs on, as data keyed by version.
//!
//! The build side of versions (which file loads where) lives in `versions.toml`; this file
//! holds what the running DuckDB changes about secrets. Every row names the version range it
//! was observed in (`test/sql/versions.test`, `test/e2e/test_catalog_versions.py`).

use std::fmt;

/// A DuckDB release, as `duckdb_library_version()` / `version()` report it (`v1.5.5`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DuckdbVersion {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

impl DuckdbVersion {
    pub const fn new(major: u32, minor: u32, patch: u32) -> DuckdbVersion {
        DuckdbVersion { major, minor, patch }
    }

    /// `v1.5.5`, `1.5.5`, `v2.0.1-dev12`: the numeric prefix; None when there is none.
    pub fn parse(text: &str) -> Option<DuckdbVersion> {
        let text = text.trim().trim_start_matches('v');
        let mut parts = text.splitn(3, '.');
        let mut number = |last: bool| -> Option<u32> {
            let part = parts.next()?;
            let digits = if last { part.split(|c: char| !c.is_ascii_digit()).next()? } else { part };
            digits.parse().ok()
        };
        Some(DuckdbVersion::new(number(false)?, number(false)?, number(true)?))
    }

    fn series(self) -> (u32, u32) {
        (self.major, self.minor)
    }
}

impl fmt::Display for DuckdbVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// The version the catalogue was read from, assumed when the running one is unknown.
pub const PRIMARY: DuckdbVersion = DuckdbVersion::new(1, 5, 5);

/// Whether this build may run on `running`, given the releases it was tested in
/// (`tested`, comma-separated, from versions.toml). A patch release of a tested series is
/// accepted: DuckDB keeps a series' C API and internals stable, and the load-time layout
/// guard of the per-call connection still checks what it relies on. A newer series is
/// refused, since the per-call connection rests on C++ layouts no one has checked there.
pub fn may_run_on(running: DuckdbVersion, tested: &str) -> Result<(), String> {
    let tested: Vec<DuckdbVersion> = tested.split(',').filter_map(DuckdbVersion::parse).collect();
    if tested.iter().any(|t| t.series() == running.series() && running >= *t) || tested.contains(&running) {
        return Ok(());
    }
    let names: Vec<String> = tested.iter().map(ToString::to_string).collect();
    Err(format!(
        "this yamlsecrets build was tested with DuckDB {} and does not run on DuckDB {running}: install the \
         build for your version (INSTALL yamlsecrets FROM '<repository>' picks it by version), or upgrade \
         yamlsecrets",
        names.join(", ")
    ))
}

/// A secret storage and what yamlsecrets can do with it.
pub struct Storage {
    pub name: &'static str,
    /// Refused, with this reason (None: usable).
    pub refused_because: Option<&'static str>,
}

/// Storages whose meaning yamlsecrets knows; others go to DuckDB as written.
pub const STORAGES: &[Storage] = &[
    Storage { name: "memory", refused_because: None },
    Storage { name: "local_file", refused_because: None },
    // DuckDB 2.0: `CREATE SECRET … IN connection` lives in the creating connection only.
    Storage {
        name: "connection",
        refused_because: Some(
            "storage 'connection' keeps a secret only in the connection that creates it, and yamlsecrets \
             creates secrets on a connection of its own (DuckDB's C API offers no way to run SQL on yours), so \
             the secret would be gone when the call returns; leave 'storage' out (memory: every connection of \
             this database sees the secret until it closes) or use DuckDB's own CREATE SECRET … IN connection",
        ),
    },
];

/// Why `storage` cannot be used, if it cannot.
pub fn storage_refusal(storage: &str) -> Option<&'static str> {
    STORAGES.iter().find(|s| s.name.eq_ignore_ascii_case(storage.trim())).and_then(|s| s.refused_because)
}

/// A parameter the catalogue lists that older DuckDBs do not have yet.
pub struct ParameterSince {
    pub type_name: &'static str,
    pub parameter: &'static str,
    pub since: DuckdbVersion,
}

/// Observed by offering every catalogued parameter to `CREATE SECRET` in each version without
/// extensions (the http type; test/install/test_versions.py). The extension types' parameters
/// are only checked in the primary version, the one with extension builds here.
pub const PARAMETERS_SINCE: &[ParameterSince] =
    &[ParameterSince { type_name: "http", parameter: "verify_ssl", since: V1_5 }];

/// The first version that has `parameter` of `type_name`, when `version` is older than it.
pub fn parameter_missing_before(type_name: &str, parameter: &str, version: DuckdbVersion) -> Option<DuckdbVersion> {
    PARAMETERS_SINCE
        .iter()
        .find(|row| row.type_name.eq_ignore_ascii_case(type_name) && row.parameter == parameter)
        .map(|row| row.since)
        .filter(|since| version < *since)
}

/// Providers newer DuckDBs add to a catalogued type. yamlsecrets has no build of their
/// extensions for those versions here to check the parameters against, so a secret with such a
/// provider goes to DuckDB as written (every value treated as sensitive), as an unknown type
/// does; before the version, it is refused by name.
pub const PROVIDERS_SINCE: &[(&str, &str, DuckdbVersion)] = &[("s3", "none", V2_0), ("aws", "none", V2_0)];

/// The first version that has `provider` for `type_name`, if it is one of PROVIDERS_SINCE.
pub fn provider_since(type_name: &str, provider: &str) -> Option<DuckdbVersion> {
    PROVIDERS_SINCE
        .iter()
        .find(|(t, p, _)| t.eq_ignore_ascii_case(type_name) && p.eq_ignore_ascii_case(provider))
        .map(|(_, _, since)| *since)
}

/// A parameter DuckDB's `duckdb_secrets()` shows in clear, in versions `from..until`.
pub struct ShownInClear {
    pub type_name: &'static str,
    pub parameter: &'static str,
    pub from: DuckdbVersion,
    /// First version that redacts it (None: none known to).
    pub until: Option<DuckdbVersion>,
}

const V1_0: DuckdbVersion = DuckdbVersion::new(1, 0, 0);
const V1_5: DuckdbVersion = DuckdbVersion::new(1, 5, 0);
const V2_0: DuckdbVersion = DuckdbVersion::new(2, 0, 0);

/// Observed with `CREATE SECRET` then `FROM duckdb_secrets()` in each version: http rows in
/// 1.4.4, 1.5.5, 1.5.6, 2.0.1; the extension types in 1.5.5 (no 2.0 build of their
/// extensions here, so no upper bound is claimed for them).
pub const SHOWN_IN_CLEAR: &[ShownInClear] = &[
    ShownInClear { type_name: "http", parameter: "bearer_token", from: V1_0, until: Some(V1_5) },
    ShownInClear { type_name: "*", parameter: "extra_http_headers", from: V1_0, until: Some(V2_0) },
    ShownInClear { type_name: "s3", parameter: "key_id", from: V1_0, until: None },
    ShownInClear { type_name: "r2", parameter: "key_id", from: V1_0, until: None },
    ShownInClear { type_name: "gcs", parameter: "key_id", from: V1_0, until: None },
    ShownInClear { type_name: "aws", parameter: "key_id", from: V1_0, until: None },
    ShownInClear { type_name: "ducklake", parameter: "metadata_path", from: V1_0, until: None },
    ShownInClear { type_name: "ducklake", parameter: "metadata_parameters", from: V1_0, until: None },
];

/// Whether `duckdb_secrets()` of `version` shows `parameter` of `type_name` in clear.
pub fn shown_in_clear(type_name: &str, parameter: &str, version: DuckdbVersion) -> bool {
    SHOWN_IN_CLEAR.iter().any(|row| {
        (row.type_name == "*" || row.type_name.eq_ignore_ascii_case(type_name))
            && row.parameter == parameter
            && version >= row.from
            && row.until.is_none_or(|until| version < until)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_as_duckdb_prints_them() {
        assert_eq!(DuckdbVersion::parse("v1.5.5"), Some(DuckdbVersion::new(1, 5, 5)));
        assert_eq!(DuckdbVersion::parse("2.0.1"), Some(DuckdbVersion::new(2, 0, 1)));
        assert_eq!(DuckdbVersion::parse("v2.1.0-dev42"), Some(DuckdbVersion::new(2, 1, 0)));
        assert_eq!(DuckdbVersion::parse("v1.5"), None);
        assert_eq!(DuckdbVersion::parse("garbage"), None);
        assert_eq!(DuckdbVersion::new(2, 0, 1).to_string(), "v2.0.1");
    }

    #[test]
    fn tested_series_and_their_patch_releases_run_newer_series_do_not() {
        let tested = "1.5.6,2.0.0,2.0.1";
        for ok in ["v1.5.6", "v1.5.7", "v2.0.0", "v2.0.1", "v2.0.9"] {
            assert!(may_run_on(DuckdbVersion::parse(ok).unwrap(), tested).is_ok(), "{ok}");
        }
        for refused in ["v2.1.0", "v3.0.0", "v1.5.5", "v1.4.4"] {
            let message = may_run_on(DuckdbVersion::parse(refused).unwrap(), tested).unwrap_err();
            assert!(message.contains(refused) && message.contains("v2.0.1"), "{message}");
        }
        assert!(may_run_on(DuckdbVersion::new(1, 5, 5), "1.5.5").is_ok());
    }

    #[test]
    fn connection_storage_is_refused_and_others_are_not() {
        assert!(storage_refusal("connection").is_some_and(|why| why.contains("connection of its own")));
        assert!(storage_refusal("CONNECTION").is_some());
        assert!(storage_refusal("memory").is_none());
        assert!(storage_refusal("local_file").is_none());
        assert!(storage_refusal("some_other_storage").is_none());
    }

    #[test]
    fn parameters_newer_than_the_running_duckdb_are_named() {
        let v = DuckdbVersion::new;
        assert_eq!(parameter_missing_before("http", "verify_ssl", v(1, 4, 4)), Some(v(1, 5, 0)));
        assert_eq!(parameter_missing_before("HTTP", "verify_ssl", v(1, 5, 5)), None);
        assert_eq!(parameter_missing_before("http", "bearer_token", v(1, 4, 4)), None);
    }

    #[test]
    fn providers_of_newer_versions_are_known_by_type() {
        assert_eq!(provider_since("s3", "none"), Some(DuckdbVersion::new(2, 0, 0)));
        assert_eq!(provider_since("AWS", "NONE"), Some(DuckdbVersion::new(2, 0, 0)));
        assert_eq!(provider_since("s3", "config"), None);
        assert_eq!(provider_since("http", "none"), None);
    }

    #[test]
    fn clear_text_parameters_follow_the_observed_versions() {
        let v = DuckdbVersion::new;
        assert!(shown_in_clear("http", "bearer_token", v(1, 4, 4)));
        assert!(!shown_in_clear("http", "bearer_token", v(1, 5, 5)));
        assert!(shown_in_clear("http", "extra_http_headers", v(1, 5, 6)));
        assert!(shown_in_clear("s3", "extra_http_headers", v(1, 5, 5)));
        assert!(!shown_in_clear("http", "extra_http_headers", v(2, 0, 1)));
        assert!(shown_in_clear("S3", "key_id", v(2, 0, 1)));
        assert!(!shown_in_clear("http", "http_proxy_password", v(1, 4, 4)));
    }
}
