#!/usr/bin/env bash
# dbt-core and dbt-duckdb (for test/e2e/test_dbt.py), into the test venv, keeping duckdb at the
# version the rest of the tests use. dbt-core stays below 1.12 (1.12's parser downloads from
# outside at run time; 1.11 runs offline).
# Called by scripts/test-env.sh with ENV_DIR, VENV and STAMPS set. Idempotent: one stamp.
set -euo pipefail
: "${VENV:?}" "${STAMPS:?}"

DUCKDB_VERSION=1.5.5
PACKAGES=("dbt-core<1.12" "dbt-duckdb==1.11.1" "duckdb==$DUCKDB_VERSION")
want="${PACKAGES[*]}"
stamp="$STAMPS/dbt"

duckdb_version() { "$VENV/bin/python" -c 'import duckdb; print(duckdb.__version__)' 2>/dev/null; }
# Installed versions from the package metadata (cheap: imports neither dbt nor duckdb).
installed() {
  "$VENV/bin/python" -c 'from importlib.metadata import version as v; print("dbt-duckdb", v("dbt-duckdb"), "duckdb", v("duckdb"))' 2>/dev/null
}

if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" && -x "$VENV/bin/dbt" ]] \
  && [[ "$(installed)" == "dbt-duckdb 1.11.1 duckdb $DUCKDB_VERSION" ]]; then
  echo "test-env: dbt ok"
  exit 0
fi

# duckdb pinned in the same command: pip resolves dbt-duckdb against it instead of upgrading it.
"$VENV/bin/pip" install -q --disable-pip-version-check "${PACKAGES[@]}"
have="$(duckdb_version)"
if [[ "$have" != "$DUCKDB_VERSION" ]]; then
  echo "test-env: dbt: duckdb is $have after the install, want $DUCKDB_VERSION" >&2
  exit 1
fi
if ! out="$("$VENV/bin/pip" check 2>&1)"; then
  echo "$out" >&2
  echo "test-env: dbt: pip check failed" >&2
  exit 1
fi
printf '%s' "$want" >"$stamp"
# (not `dbt --version`: it asks PyPI whether a newer dbt exists)
versions="$("$VENV/bin/python" -c 'from importlib.metadata import version as v; print("dbt-core", v("dbt-core"), "dbt-duckdb", v("dbt-duckdb"))')"
echo "test-env: dbt installed ($versions, duckdb $have)"
