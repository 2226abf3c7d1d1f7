#!/usr/bin/env bash
# Runs every test: unit tests of the pure core, lint, the sqllogictest files in test/sql,
# and the Python lifecycle and end-to-end tests. Called by `make test` after
# scripts/test-env.sh has installed the tools; prints a summary line per stage.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
eval "$(scripts/test-env.sh --print-env)"

stage() { printf '\n== %s\n' "$*"; }

stage "unit tests (pure core, no DuckDB)"
cargo test --no-default-features --lib

stage "lint"
cargo fmt --all -- --check
cargo clippy --lib --all-targets -- -D warnings
cargo clippy --no-default-features --lib --all-targets -- -D warnings

stage "build the extension"
make --no-print-directory release
export YS_EXTENSION="$root/build/release/yamlsecrets.duckdb_extension"

stage "build the sqllogictest runner"
CARGO_TARGET_DIR="$root/build/runner-target" cargo build --quiet --manifest-path test/runner/Cargo.toml

stage "sqllogictest: test/sql"
build/runner-target/debug/sqllogictest-runner --extension "$YS_EXTENSION" \
    --extension-dir "$YS_EXTENSION_DIR" --env-file test/sql/test.env test/sql/

stage "lifecycle, end-to-end and security tests (pytest)"
suites=()
for dir in test/lifecycle test/e2e test/security; do [[ -d "$dir" ]] && suites+=("$dir"); done
"$YS_PYTHON" -m pytest -q "${suites[@]}"
