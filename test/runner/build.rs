// Bakes an rpath to the libduckdb.so the binary was linked against, so that running it needs
// no LD_LIBRARY_PATH. DUCKDB_LIB_DIR itself is read by libduckdb-sys (scripts/test-env.sh
// --print-env exports it).
fn main() {
    println!("cargo:rerun-if-env-changed=DUCKDB_LIB_DIR");
    match std::env::var("DUCKDB_LIB_DIR") {
        Ok(dir) if !dir.is_empty() => {
            let dir = std::fs::canonicalize(&dir).map(|p| p.display().to_string()).unwrap_or(dir);
            println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}");
        }
        _ => {
            println!("cargo:warning=DUCKDB_LIB_DIR is not set: run `eval \"$(scripts/test-env.sh --print-env)\"` first")
        }
    }
}
