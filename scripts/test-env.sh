#!/usr/bin/env bash
# Installs everything the tests need under build/test-env/ (relative to the repo root):
#   venv/         Python venv: duckdb, duckdb-cli, pytest and DuckDB's extension wheels (PyPI)
#   extensions/   extension directory: v<primary>/linux_amd64/<name>.duckdb_extension (symlinks)
#   libduckdb/    libduckdb.so of the primary DuckDB (npm @duckdb/node-bindings-linux-x64), for the harness
#   bin/duckdb    the real DuckDB CLI binary (not the pip console-script wrapper)
#   duckdb-<version>/  the same for every other DuckDB of versions.toml's test matrix:
#                 venv/ (duckdb, its CLI where a wheel exists, pytest, hypothesis), libduckdb/
#                 (npm's libduckdb.so, or where npm has none the wheel's _duckdb module, which
#                 exports the C API; `preload` then names the libpython it needs), bin/duckdb
# The versions come from versions.toml (tools/versions.py): the primary one, then the rest.
# Idempotent: each step keeps a stamp; a second run only checks the stamps.
#
#   scripts/test-env.sh                      install (one line per step)
#   scripts/test-env.sh --cli                only what `make run` needs (venv, CLI, extension directory)
#   scripts/test-env.sh --print-env [VER]    print `export` lines (for DuckDB VER; default the primary)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# The primary DuckDB's row of the matrix: version build python cli libduckdb wheels
read -r DUCKDB_VERSION _ _ _ NPM_VERSION _ < <(python3 "$ROOT/tools/versions.py" row)
NPM_PACKAGE="@duckdb/node-bindings-linux-x64"
NPM_BINDINGS="$NPM_PACKAGE@$NPM_VERSION"
PLATFORM=linux_amd64
# LOAD name -> PyPI package (duckdb-extension-<pkg>); the wheel holds
# duckdb_extension_<pkg>/extensions/v<primary>/<name>.duckdb_extension
EXTENSIONS=(httpfs aws azure postgres_scanner mysql_scanner iceberg avro ducklake)
PY_PACKAGES=("duckdb==$DUCKDB_VERSION" "duckdb-cli==$DUCKDB_VERSION" pytest)
for e in "${EXTENSIONS[@]}"; do PY_PACKAGES+=("duckdb-extension-$e==$DUCKDB_VERSION"); done

ENV_DIR="$ROOT/build/test-env"
VENV="$ENV_DIR/venv"
EXT_DIR="$ENV_DIR/extensions"
LIB_DIR="$ENV_DIR/libduckdb"
BIN_DIR="$ENV_DIR/bin"
STAMPS="$ENV_DIR/stamps"

if [[ "${1:-}" == "--print-env" ]]; then
  version="${2:-$DUCKDB_VERSION}"
  if [[ "$version" == "$DUCKDB_VERSION" ]]; then
    lib="$LIB_DIR" ext="$EXT_DIR" python="$VENV/bin/python" cli="$BIN_DIR/duckdb"
  else
    dir="$ENV_DIR/duckdb-$version"
    lib="$dir/libduckdb" ext="$dir/extensions" python="$dir/venv/bin/python" cli="$dir/bin/duckdb"
  fi
  preload=""
  [[ -f "$lib/preload" ]] && preload="$(cat "$lib/preload")"
  cat <<EOT
export DUCKDB_LIB_DIR='$lib'
export LD_LIBRARY_PATH='$lib'\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}
export YS_LIBDUCKDB_PRELOAD='$preload'
export YS_EXTENSION_DIR='$ext'
export YS_PYTHON='$python'
export YS_DUCKDB_CLI='$cli'
EOT
  exit 0
elif [[ "${1:-}" == "--cli" ]]; then
  CLI_ONLY=1
elif [[ $# -gt 0 ]]; then
  echo "usage: $0 [--cli | --print-env [VERSION]]" >&2
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
# npm_libduckdb PACKAGE@VERSION DIR: unpack the package's libduckdb.so into DIR.
npm_libduckdb() {
  local tmp out so
  tmp="$(mktemp -d)"
  if ! out="$(cd "$tmp" && npm pack --silent "$1" 2>&1)"; then
    echo "test-env: npm pack $1 failed:" >&2
    echo "$out" >&2
    rm -rf "$tmp"
    exit 1
  fi
  tar -xzf "$tmp"/*.tgz -C "$tmp"
  so="$(find "$tmp/package" -name libduckdb.so -print -quit)"
  [[ -n "$so" ]] || { echo "test-env: no libduckdb.so in $1" >&2; rm -rf "$tmp"; exit 1; }
  mkdir -p "$2"
  cp -f "$so" "$2/libduckdb.so.tmp" && mv -f "$2/libduckdb.so.tmp" "$2/libduckdb.so"
  cp -f "$(dirname "$so")"/duckdb.h "$2/" 2>/dev/null || true
  rm -rf "$tmp"
}
want="$NPM_BINDINGS"
if stamp_ok libduckdb "$want" && [[ -f "$LIB_DIR/libduckdb.so" ]]; then
  echo "test-env: libduckdb ok"
else
  npm_libduckdb "$NPM_BINDINGS" "$LIB_DIR"
  stamp_set libduckdb "$want"
  echo "test-env: libduckdb installed ($LIB_DIR/libduckdb.so)"
fi

# 4b. Every other DuckDB of the matrix: a venv, a libduckdb.so, a CLI where there is one.
while read -r version _ python cli libduckdb _ _; do
  [[ "$version" == "$DUCKDB_VERSION" ]] && continue
  dir="$ENV_DIR/duckdb-$version"
  pkgs=("duckdb==$python" pytest hypothesis)
  [[ "$cli" != - ]] && pkgs+=("duckdb-cli==$cli")
  want="${pkgs[*]} libduckdb=$libduckdb"
  if stamp_ok "duckdb-$version" "$want" && [[ -x "$dir/venv/bin/python" && -e "$dir/libduckdb/libduckdb.so" ]]; then
    echo "test-env: duckdb $version ok"
    continue
  fi
  [[ -x "$dir/venv/bin/python" ]] || "${PYTHON:-python3}" -m venv "$dir/venv"
  "$dir/venv/bin/python" -m pip install -q --disable-pip-version-check "${pkgs[@]}"
  rm -rf "$dir/libduckdb" && mkdir -p "$dir/libduckdb" "$dir/bin" "$dir/extensions"
  site="$("$dir/venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["platlib"])')"
  if [[ "$libduckdb" != - ]]; then
    npm_libduckdb "$NPM_PACKAGE@$libduckdb" "$dir/libduckdb"
  else
    # No libduckdb.so on npm: the wheel's _duckdb module exports the whole C API. It needs
    # libpython's symbols, so the harness preloads the venv interpreter's libpython.
    module="$(find "$site" -maxdepth 1 -name '_duckdb*.so' -print -quit)"
    [[ -n "$module" ]] || { echo "test-env: no _duckdb module in duckdb==$python" >&2; exit 1; }
    ln -sfn "$module" "$dir/libduckdb/libduckdb.so"
    "$dir/venv/bin/python" -c 'import sysconfig, os; print(os.path.join(sysconfig.get_config_var("LIBDIR"), sysconfig.get_config_var("INSTSONAME")))' >"$dir/libduckdb/preload"
    [[ -f "$(cat "$dir/libduckdb/preload")" ]] || { echo "test-env: the venv's Python has no shared libpython" >&2; exit 1; }
  fi
  if [[ "$cli" != - ]]; then
    # Newer CLI wheels keep the binary in the package, older ones install it as the script.
    binary="$site/duckdb_cli/duckdb"
    [[ -f "$binary" ]] || binary="$dir/venv/bin/duckdb"
    ln -sfn "$binary" "$dir/bin/duckdb"
    "$dir/bin/duckdb" --version | grep -q "^v$version" || { echo "test-env: CLI in $dir is not $version" >&2; exit 1; }
  fi
  stamp_set "duckdb-$version" "$want"
  echo "test-env: duckdb $version installed ($dir)"
done < <(python3 "$ROOT/tools/versions.py" matrix)

# 5. Servers and tools of the end-to-end tests: one script per family, each idempotent.
for part in "$ROOT"/scripts/test-env.d/*.sh; do
  [[ -e "$part" ]] || continue
  ENV_DIR="$ENV_DIR" VENV="$VENV" STAMPS="$STAMPS" bash "$part"
done
