#!/usr/bin/env bash
# The quick start: the DuckDB CLI loads examples/secrets.yaml (variables from
# examples/example.env) and prints the result table and duckdb_secrets().
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
eval "$(scripts/test-env.sh --print-env)"
"$YS_DUCKDB_CLI" -unsigned -c "
LOAD 'build/release/yamlsecrets.duckdb_extension';
FROM load_secrets_yaml('examples/secrets.yaml');
SELECT name, type, provider, persistent, scope, secret_string FROM duckdb_secrets();
"
