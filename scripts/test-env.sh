#!/usr/bin/env bash
# Installs everything the tests need under build/test-env/ (relative to the repo root):
#   venv/         Python venv: duckdb, duckdb-cli, pytest and DuckDB's extension wheels (PyPI)
#   extensions/   extension directory: v1.5.5/linux_amd64/<name>.duckdb_extension (symlinks)
#   libduckdb/    libduckdb.so v1.5.5 (npm @duckdb/node-bindings-linux-x64), for the harness
#   bin/duckdb    the real DuckDB v1.5.5 CLI binary (not the pip console-script wrapper)
# Idempotent: each step keeps a stamp; a second run only checks the stamps.
#
#   scripts/test-env.sh              install (one line per step)
#   scripts/test-env.sh --cli        only what `make run` needs (venv, CLI, extension directory)
#   scripts/test-env.sh --print-env  print `export` lines for Makefiles / shells to eval
set -euo pipefail

DUCKDB_VERSION=1.5.5
NPM_BINDINGS="@duckdb/node-bindings-linux-x64@1.5.5-r.5"
PLATFORM=linux_amd64
# LOAD name -> PyPI package (duckdb-extension-<pkg>); the wheel holds
# duckdb_extension_<pkg>/extensions/v1.5.5/<name>.duckdb_extension
EXTENSIONS=(httpfs aws azure postgres_scanner mysql_scanner iceberg avro ducklake)
PY_PACKAGES=("duckdb==$DUCKDB_VERSION" "duckdb-cli==$DUCKDB_VERSION" pytest)
for e in "${EXTENSIONS[@]}"; do PY_PACKAGES+=("duckdb-extension-$e==$DUCKDB_VERSION"); done

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ENV_DIR="$ROOT/build/test-env"
VENV="$ENV_DIR/venv"
EXT_DIR="$ENV_DIR/extensions"
LIB_DIR="$ENV_DIR/libduckdb"
BIN_DIR="$ENV_DIR/bin"
STAMPS="$ENV_DIR/stamps"

if [[ "${1:-}" == "--print-env" ]]; then
  cat <<EOT
export DUCKDB_LIB_DIR='$LIB_DIR'
export LD_LIBRARY_PATH='$LIB_DIR'\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}
export YS_EXTENSION_DIR='$EXT_DIR'
export YS_PYTHON='$VENV/bin/python'
export YS_DUCKDB_CLI='$BIN_DIR/duckdb'
EOT
  exit 0
elif [[ "${1:-}" == "--cli" ]]; then
  CLI_ONLY=1
elif [[ $# -gt 0 ]]; then
  echo "usage: $0 [--cli | --print-env]" >&2
  exit 2
fi

mkdir -p "$STAMPS"
# A stamp holds a description of what the step installed; a changed list re-runs the step.
stamp_ok() { [[ -f "$STAMPS/$1" && "$(cat "$STAMPS/$1")" == "$2" ]]; }
stamp_set() { printf '%s' "$2" >"$STAMPS/$1"; }

# 1. Python venv with duckdb, the CLI, pytest and the extension wheels.
want="${PY_PACKAGES[*]}"
if stamp_ok venv "$want" && [[ -x "$VENV/bin/python" ]]; then
  echo "test-env: venv ok"
else
  PY="${PYTHON:-python3}"
  [[ -x "$VENV/bin/python" ]] || "$PY" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check "${PY_PACKAGES[@]}"
  stamp_set venv "$want"
  echo "test-env: venv installed ($VENV)"
fi

# 2. Extension directory laid out as DuckDB expects it.
SITE="$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
want="${EXTENSIONS[*]} $SITE"
links_ok() {
  local e
  for e in "${EXTENSIONS[@]}"; do
    [[ -e "$EXT_DIR/v$DUCKDB_VERSION/$PLATFORM/$e.duckdb_extension" ]] || return 1
  done
}
if stamp_ok extensions "$want" && links_ok; then
  echo "test-env: extensions ok"
else
  dest="$EXT_DIR/v$DUCKDB_VERSION/$PLATFORM"
  mkdir -p "$dest"
  for e in "${EXTENSIONS[@]}"; do
    src="$SITE/duckdb_extension_$e/extensions/v$DUCKDB_VERSION/$e.duckdb_extension"
    [[ -f "$src" ]] || { echo "test-env: missing $src" >&2; exit 1; }
    ln -sfn "$src" "$dest/$e.duckdb_extension"
  done
  stamp_set extensions "$want"
  echo "test-env: extensions linked ($dest)"
fi

# 3. The real CLI binary (the venv's bin/duckdb is a Python wrapper that adds -cmd).
want="$SITE/duckdb_cli/duckdb"
if stamp_ok cli "$want" && [[ -x "$BIN_DIR/duckdb" ]]; then
  echo "test-env: cli ok"
else
  mkdir -p "$BIN_DIR"
  ln -sfn "$want" "$BIN_DIR/duckdb"
  ver="$("$BIN_DIR/duckdb" --version)"
  [[ "$ver" == v$DUCKDB_VERSION* ]] || { echo "test-env: CLI says '$ver', want v$DUCKDB_VERSION" >&2; exit 1; }
  stamp_set cli "$want"
  echo "test-env: cli linked ($BIN_DIR/duckdb, $ver)"
fi

[[ "${CLI_ONLY:-}" == 1 ]] && exit 0

# 4. libduckdb.so from npm.
want="$NPM_BINDINGS"
if stamp_ok libduckdb "$want" && [[ -f "$LIB_DIR/libduckdb.so" ]]; then
  echo "test-env: libduckdb ok"
else
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  if ! out="$(cd "$tmp" && npm pack --silent "$NPM_BINDINGS" 2>&1)"; then
    echo "test-env: npm pack $NPM_BINDINGS failed:" >&2
    echo "$out" >&2
    exit 1
  fi
  tar -xzf "$tmp"/*.tgz -C "$tmp"
  so="$(find "$tmp/package" -name libduckdb.so -print -quit)"
  [[ -n "$so" ]] || { echo "test-env: no libduckdb.so in $NPM_BINDINGS" >&2; exit 1; }
  mkdir -p "$LIB_DIR"
  cp -f "$so" "$LIB_DIR/libduckdb.so.tmp" && mv -f "$LIB_DIR/libduckdb.so.tmp" "$LIB_DIR/libduckdb.so"
  cp -f "$(dirname "$so")"/duckdb.h "$LIB_DIR/" 2>/dev/null || true
  stamp_set libduckdb "$want"
  echo "test-env: libduckdb installed ($LIB_DIR/libduckdb.so)"
fi

# 5. Servers and tools of the end-to-end tests: one script per family, each idempotent.
for part in "$ROOT"/scripts/test-env.d/*.sh; do
  [[ -e "$part" ]] || continue
  ENV_DIR="$ENV_DIR" VENV="$VENV" STAMPS="$STAMPS" bash "$part"
done
