//! Tells the code which DuckDB C API it is being compiled against.
//!
//! The `libduckdb-sys` version in this build's Cargo.lock is what the code really calls, so it
//! is the source of truth: build.rs looks it up in versions.toml and hands the matching
//! footer ABI and C API version to the code (`YAMLSECRETS_ABI`, `YAMLSECRETS_C_API`,
//! `YAMLSECRETS_BINDINGS`). The code requests that C API at LOAD and embeds the three values
//! in the binary; tools/footer/append_footer.py writes the footer from them, so a footer can
//! never claim an API the code was not compiled against. A bindings version that
//! versions.toml does not list fails the build.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if env::var_os("CARGO_FEATURE_EXTENSION").is_none() {
        return; // the pure core (unit tests, fuzzing) does not touch DuckDB
    }
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    let lock = manifest_dir.join("Cargo.lock");
    let versions = find_upwards(&manifest_dir, "versions.toml")
        .unwrap_or_else(|| fail("versions.toml not found above the manifest"));
    println!("cargo:rerun-if-changed={}", lock.display());
    println!("cargo:rerun-if-changed={}", versions.display());

    let bindings = locked_version(&lock, "libduckdb-sys")
        .unwrap_or_else(|| fail(&format!("no libduckdb-sys in {}", lock.display())));
    let text = fs::read_to_string(&versions).unwrap_or_else(|e| fail(&format!("{}: {e}", versions.display())));
    let build = builds(&text)
        .into_iter()
        .find(|b| b.get("bindings").map(String::as_str) == Some(bindings.as_str()))
        .unwrap_or_else(|| {
            fail(&format!("libduckdb-sys {bindings} is not the bindings of any [[build]] in versions.toml"))
        });
    for key in ["abi", "c_api", "name", "loads_in"] {
        let value = build.get(key).unwrap_or_else(|| fail(&format!("a [[build]] has no {key}")));
        println!("cargo:rustc-env=YAMLSECRETS_{}={value}", key.to_uppercase());
    }
    println!("cargo:rustc-env=YAMLSECRETS_BINDINGS={bindings}");
    // src/extension/duckdb_rs_compat.rs: the duckdb-rs API differences, by build.
    println!("cargo:rustc-check-cfg=cfg(duckdb_rs_1_4)");
    if let Some(cfg) = build.get("cfg").filter(|c| !c.is_empty()) {
        println!("cargo:rustc-cfg={cfg}");
    }
}

fn fail(message: &str) -> ! {
    eprintln!("yamlsecrets build.rs: {message}");
    std::process::exit(1);
}

fn find_upwards(start: &Path, name: &str) -> Option<PathBuf> {
    start.ancestors().map(|dir| dir.join(name)).find(|candidate| candidate.is_file())
}

/// The version of `package` in a Cargo.lock (`name = "…"` followed by `version = "…"`).
fn locked_version(lock: &Path, package: &str) -> Option<String> {
    let text = fs::read_to_string(lock).ok()?;
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if line.trim() == format!("name = \"{package}\"") {
            return lines.next().and_then(|l| quoted(l.trim().strip_prefix("version = ")?));
        }
    }
    None
}

/// The `[[build]]` tables of versions.toml as key → string maps (a list becomes its items
/// joined by commas).
fn builds(text: &str) -> Vec<std::collections::HashMap<String, String>> {
    let mut out = Vec::new();
    let mut current: Option<std::collections::HashMap<String, String>> = None;
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            out.extend(current.take());
            if line == "[[build]]" {
                current = Some(Default::default());
            }
        } else if let (Some(table), Some((key, value))) = (current.as_mut(), line.split_once(" = ")) {
            let value = match value.trim().strip_prefix('[').and_then(|v| v.strip_suffix(']')) {
                Some(items) => items.split(',').filter_map(quoted).collect::<Vec<_>>().join(","),
                None => quoted(value).unwrap_or_default(),
            };
            table.insert(key.trim().to_string(), value);
        }
    }
    out.extend(current);
    out
}

fn quoted(value: &str) -> Option<String> {
    Some(value.trim().strip_prefix('"')?.strip_suffix('"')?.to_string())
}
