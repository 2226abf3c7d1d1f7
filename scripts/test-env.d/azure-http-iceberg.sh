#!/usr/bin/env bash
# Servers of the Azure / HTTP / Iceberg end-to-end tests (test/e2e/servers/):
#   node/         npm azurite (azurite-blob), installed with `npm install --prefix`
#   venv          pyiceberg (SqlCatalog on sqlite, pyarrow) for the Iceberg REST catalog,
#                 azure-storage-blob to upload the test blobs
# The HTTP server is Python's http.server: nothing to install.
# Called by scripts/test-env.sh with ENV_DIR, VENV and STAMPS set; runnable on its own.
# Idempotent: one stamp per step holding what it installed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
ENV_DIR="${ENV_DIR:-$ROOT/build/test-env}"
VENV="${VENV:-$ENV_DIR/venv}"
STAMPS="${STAMPS:-$ENV_DIR/stamps}"
NODE_DIR="$ENV_DIR/node"

AZURITE="azurite@3.37.0"
PY_PACKAGES=("pyiceberg[sql-sqlite,pyarrow]==0.12.0" "azure-storage-blob==12.31.1")

mkdir -p "$STAMPS"
stamp_ok() { [[ -f "$STAMPS/$1" && "$(cat "$STAMPS/$1")" == "$2" ]]; }
stamp_set() { printf '%s' "$2" >"$STAMPS/$1"; }

# 1. azurite from npm.
want="$AZURITE"
if stamp_ok azurite "$want" && [[ -x "$NODE_DIR/node_modules/.bin/azurite-blob" ]]; then
  echo "test-env: azurite ok"
else
  mkdir -p "$NODE_DIR"
  # npm 11 has been seen to leave hoisted dependencies out of a first install (azurite then
  # dies on `Cannot find module`): check that it starts, and complete the tree once if not.
  for attempt in 1 2; do
    if ! out="$(npm install --prefix "$NODE_DIR" --no-audit --no-fund --silent "$AZURITE" 2>&1)"; then
      echo "test-env: npm install $AZURITE failed:" >&2
      echo "$out" >&2
      exit 1
    fi
    if out="$("$NODE_DIR/node_modules/.bin/azurite-blob" --version 2>&1)"; then break; fi
    if [[ $attempt == 2 ]]; then
      echo "test-env: azurite-blob does not start after npm install:" >&2
      echo "$out" | head -5 >&2
      exit 1
    fi
  done
  stamp_set azurite "$want"
  echo "test-env: azurite installed ($NODE_DIR/node_modules/.bin/azurite-blob)"
fi

# 2. Python packages of the Iceberg REST catalog and the blob upload.
want="${PY_PACKAGES[*]}"
if stamp_ok azure-http-iceberg-py "$want" && "$VENV/bin/python" -c 'import importlib.util as u, sys; sys.exit(not all(u.find_spec(m) for m in ("pyiceberg", "pyarrow", "sqlalchemy", "azure.storage.blob")))' 2>/dev/null; then
  echo "test-env: pyiceberg, azure-storage-blob ok"
else
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check "${PY_PACKAGES[@]}"
  stamp_set azure-http-iceberg-py "$want"
  echo "test-env: pyiceberg, azure-storage-blob installed"
fi
