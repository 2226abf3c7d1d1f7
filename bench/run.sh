#!/usr/bin/env bash
# yamlsecrets benchmarks (see BENCHMARKS.md). `make bench` builds the release extension and
# the test environment first, then runs this script.
#
#   bench/run.sh                 full run (N = 1, 100, 1000, 10000; 5 runs each; < 5 min)
#   BENCH_QUICK=1 bench/run.sh   smoke run (N up to 1000, 3 runs)
#   BENCH_RUNS=7 BENCH_N=1000,10000 BENCH_VALUES=literal BENCH_JSON=out.json bench/run.sh
#   bench/run.sh gen 10000 DIR   only write the files for N secrets into DIR (for profiling)
#   bench/run.sh small           files of 1, 5 and 20 secrets: direct, dbt-duckdb's way, load and
#                                check, side by side in one process, on every DuckDB with a build
#                                (bench/small_files.py; BENCH_CALLS, default 200; ~2 min)
#   bench/run.sh capi            the same statements sent through the C API in four ways, and a
#                                load, on one kind of connection (bench/capi_paths.py; ~1 min)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
eval "$(scripts/test-env.sh --print-env)"
export YS_EXTENSION_DIR YS_PYTHON YS_DUCKDB_CLI
EXT="${YS_EXTENSION:-$ROOT/build/release/yamlsecrets.duckdb_extension}"
[[ -f "$EXT" ]] || { echo "bench: $EXT is missing; run \`make release\` (or \`make bench\`)" >&2; exit 1; }
[[ -x "$YS_PYTHON" && -x "$YS_DUCKDB_CLI" ]] || { echo "bench: run scripts/test-env.sh first" >&2; exit 1; }
if [[ -n "$(find src Cargo.toml Cargo.lock -newer "$EXT" -print -quit)" ]]; then
  echo "bench: warning: sources are newer than $EXT (make release)" >&2
fi

if [[ "${1:-}" == "gen" ]]; then
  mkdir -p "$3"
  exec "$YS_PYTHON" bench/bench.py gen --n "$2" --ext "$EXT" --work "$3"
fi

if [[ "${1:-}" == "small" ]]; then
  WORK="$(mktemp -d "${TMPDIR:-/tmp}/yamlsecrets-bench.XXXXXX")"
  trap 'rm -rf "$WORK"' EXIT
  echo "# machine: $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ), load average $(cut -d' ' -f1-3 /proc/loadavg)"
  # The primary DuckDB and the newest of the matrix (what `pip install duckdb` gives).
  matrix="$(python3 tools/versions.py matrix)"
  for row in "${matrix%%$'\n'*}" "${matrix##*$'\n'}"; do
    read -r version build _ _ _ wheels _ <<<"$row"
    file="$(python3 tools/versions.py built-file "$build")"
    [[ -f "$file" ]] || { echo "bench: $file is missing; run \`make all-versions\`" >&2; exit 1; }
    ( eval "$(scripts/test-env.sh --print-env "$version")"
      export YS_EXTENSION_DIR YS_EXTENSION_WHEELS="$wheels"
      "$YS_PYTHON" bench/small_files.py --ext "$file" --work "$WORK" \
          --calls "${BENCH_CALLS:-200}" ) >>"$WORK/results.jsonl"
  done
  "$YS_PYTHON" bench/small_files.py --table "$WORK/results.jsonl"
  exit
fi

if [[ "${1:-}" == "capi" ]]; then
  WORK="$(mktemp -d "${TMPDIR:-/tmp}/yamlsecrets-bench.XXXXXX")"
  trap 'rm -rf "$WORK"' EXIT
  export DUCKDB_LIB_DIR
  "$YS_PYTHON" bench/capi_paths.py all --ext "$EXT" --work "$WORK"
  exit
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/yamlsecrets-bench.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
echo "# machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(date -u +%Y-%m-%dT%H:%MZ), load average $(cut -d' ' -f1-3 /proc/loadavg)"
"$YS_PYTHON" bench/bench.py all --ext "$EXT" --work "$WORK"
