#!/usr/bin/env bash
# Runs every test: unit tests of the pure core, lint, the sqllogictest files in test/sql,
# and the Python lifecycle and end-to-end tests. Called by `make test` after
# scripts/test-env.sh has installed the tools; prints a summary line per stage.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
eval "$(scripts/test-env.sh --print-env)"

stage() { printf '\n== %s\n' "$*"; }

stage "versions: every pin agrees with versions.toml"
python3 tools/versions.py check

stage "unit tests (the pure core, and the few of the extension layer; no DuckDB needed)"
cargo test --lib

stage "lint"
cargo fmt --all -- --check
cargo clippy --lib --all-targets -- -D warnings
cargo clippy --no-default-features --lib --all-targets -- -D warnings

stage "fuzz: parse → resolve → validate → render (${YS_FUZZ_SECONDS:-20} s; longer runs: SECURITY.md)"
# cargo-fuzz wants nightly for its sanitizer flags; RUSTC_BOOTSTRAP lets the stable
# toolchain (the only one on these machines) accept them. No sanitizer: the core is safe Rust.
mkdir -p build/fuzz-corpus
fuzz_log="$root/build/fuzz.log"
if (cd fuzz && RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR="$root/build/fuzz-target" cargo fuzz run --sanitizer none \
      pipeline "$root/build/fuzz-corpus" seeds -- \
      -max_total_time="${YS_FUZZ_SECONDS:-20}" -rss_limit_mb=1024 -timeout=5 -print_final_stats=1) >"$fuzz_log" 2>&1; then
  grep -E "^(Done|stat::number_of_executed_units|stat::peak_rss_mb)" "$fuzz_log" || true
else
  tail -40 "$fuzz_log"
  echo "fuzzing found a crash, hang or memory blow-up: see $fuzz_log and fuzz/artifacts/" >&2
  exit 1
fi

stage "build the extension for every supported DuckDB, and the extension repository (versions.toml)"
make --no-print-directory repository

stage "build the sqllogictest runner"
CARGO_TARGET_DIR="$root/build/runner-target" cargo build --quiet --manifest-path test/runner/Cargo.toml
runner="$root/build/runner-target/debug/sqllogictest-runner"

# DuckDB's own extensions the tests use; only the primary version has wheels of them.
duckdb_extensions=httpfs,aws,azure,postgres_scanner,mysql_scanner,iceberg,ducklake,avro

# One DuckDB of the matrix: its extension file, test/sql and the Python suites. Without
# extension wheels, what needs one is skipped (the runner's --without-extensions, and
# ys_testlib.connect for pytest), everything else runs.
run_version() {
  local version="$1" build="$2" wheels="$3" sql_skip="$4"
  (
    eval "$(scripts/test-env.sh --print-env "$version")"
    export YS_EXTENSION YS_DUCKDB_VERSION="$version" YS_EXTENSION_WHEELS="$wheels"
    YS_EXTENSION="$(python3 tools/versions.py built-file "$build")"
    local without=() suites=(test/lifecycle test/security test/install)
    [[ "$sql_skip" != - ]] && without+=(--skip-files "$sql_skip")
    if [[ "$wheels" == wheels ]]; then
      suites+=(test/e2e)
    else
      without+=(--without-extensions "$duckdb_extensions")
      # the catalogue there is checked by test/install/test_versions.py
      suites+=(test/e2e/test_http.py)
    fi

    stage "DuckDB $version ($build build): sqllogictest test/sql"
    LD_PRELOAD="$YS_LIBDUCKDB_PRELOAD" "$runner" --extension "$YS_EXTENSION" \
        --extension-dir "$YS_EXTENSION_DIR" --env-file test/sql/test.env "${without[@]}" test/sql/

    stage "DuckDB $version ($build build): lifecycle, end-to-end and security tests (pytest)"
    "$YS_PYTHON" -m pytest -q "${suites[@]}"
  )
}

while read -r version build _ _ _ wheels sql_skip; do
  run_version "$version" "$build" "$wheels" "$sql_skip"
done < <(python3 tools/versions.py matrix)
