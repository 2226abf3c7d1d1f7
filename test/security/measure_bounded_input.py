#!/usr/bin/env python3
"""Time and peak memory of every hostile input of test_bounded_input.py through each function
that reads a file (load_secrets_yaml, secrets_check, unload_secrets_yaml): one fresh process
per case and function, its address space capped as in the tests. Figures for SECURITY.md; a
script, not a timed test.

Usage: YS_EXTENSION=build/release/yamlsecrets.duckdb_extension python measure_bounded_input.py [CASE…]
"""
import os
import pathlib
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))  # test/: ys_testlib
import test_bounded_input as cases  # noqa: E402


def outcome(result: dict) -> str:
    if "died" in result:
        return f"DIED ({result['died']}): {result['stderr'].strip().splitlines()[-1][:60]}"
    if "error" in result:
        lines = result["error"].splitlines()
        return f"error, {len(result['error'])} chars: {lines[-1].strip()[:70] if len(lines) > 1 else lines[0][:70]}"
    return f"{result['rows']} rows"


def main() -> None:
    ext = os.environ.get("YS_EXTENSION") or cases.extension()
    names = sys.argv[1:] or list(cases.CASES)
    print(f"extension: {ext}")
    print(f"{'case':<24} {'file':>9} {'function':<7} {'ms':>7} {'CPU ms':>7} {'peak RSS growth MB':>19}  outcome")
    worst_ms, worst_cpu, worst_mb = 0.0, 0.0, 0.0
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        for name in names:
            path = cases.write_case(name, tmp)
            size = path.stat().st_size
            for function in cases.FUNCTIONS:
                r = cases.run_function(ext, path, function)
                if "died" not in r:
                    worst_ms, worst_mb = max(worst_ms, r["ms"]), max(worst_mb, r["growth_mb"])
                    worst_cpu = max(worst_cpu, r["cpu_ms"])
                ms, cpu, mb = (f"{r[k]:.0f}" if k in r else "-" for k in ("ms", "cpu_ms", "growth_mb"))
                print(f"{name:<24} {size:>9} {function:<7} {ms:>7} {cpu:>7} {mb:>19}  {outcome(r)}", flush=True)
        if not sys.argv[1:]:
            huge = tmp / "file_100mb.yaml"
            with open(huge, "wb") as f:
                f.truncate(100 * 1024 * 1024)
            r = cases.run_function(ext, huge, "load")
            print(
                f"{'file_100mb':<24} {huge.stat().st_size:>9} {'load':<7} {r['ms']:>7.0f} {r['cpu_ms']:>7.0f} "
                f"{r['growth_mb']:>19.0f}  {outcome(r)}"
            )
    print(f"worst: {worst_ms:.0f} ms, {worst_cpu:.0f} ms of CPU, {worst_mb:.0f} MB of peak RSS growth")


if __name__ == "__main__":
    main()
