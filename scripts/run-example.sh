#!/usr/bin/env bash
# The quick start: the DuckDB CLI loads examples/secrets.yaml (variables from
# examples/example.env) and shows what was created, where it came from, and the drift check.
# It shows no value, and nothing of duckdb_secrets(): DuckDB 1.5.5 prints extra_http_headers
# there unredacted. Kept within 120 columns.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
eval "$(scripts/test-env.sh --print-env)"
"$YS_DUCKDB_CLI" -unsigned -c "
LOAD 'build/release/yamlsecrets.duckdb_extension';
SELECT name, type, len(scope) AS scopes, action, source, persistent FROM load_secrets_yaml('examples/secrets.yaml');
SELECT name, status, file, line FROM yaml_secrets();
SELECT secrets_check() AS drift;
"
