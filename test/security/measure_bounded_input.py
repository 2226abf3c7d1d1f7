#!/usr/bin/env python3
"""Time and peak memory of each hostile input of test_bounded_input.py, one fresh process
per case (figures for SECURITY.md; a script, not a timed test).

Usage: YS_EXTENSION=build/release/yamlsecrets.duckdb_extension python measure_bounded_input.py
"""
import json
import os
import pathlib
import subprocess
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))  # test/: ys_testlib
import test_bounded_input as cases  # noqa: E402

CHILD = r"""
import json, resource, sys, time, duckdb
ext, path = sys.argv[1], sys.argv[2]
con = duckdb.connect(config={"allow_unsigned_extensions": "true"})
con.execute(f"LOAD '{ext}'")
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
try:
    con.execute(f"FROM load_secrets_yaml('{path}')").fetchall()
    outcome = "loaded?!"
except duckdb.Error as e:
    outcome = str(e).splitlines()[-1].strip()[:90]
elapsed = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"ms": elapsed * 1000, "peak_mb": peak / 1024, "growth_mb": (peak - base) / 1024, "error": outcome}))
"""


def main() -> None:
    ext = os.environ.get("YS_EXTENSION") or cases.extension()
    files = {name: make() for name, (make, _) in cases.CASES.items()}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        paths = {}
        for name, data in files.items():
            paths[name] = tmp / f"{name}.yaml"
            paths[name].write_bytes(data)
        huge = tmp / "file_100mb.yaml"
        with open(huge, "wb") as f:
            f.truncate(100 * 1024 * 1024)
        paths["file_100mb"] = huge
        print(f"{'case':<20} {'input':>10} {'time ms':>9} {'peak RSS MB':>12} {'RSS growth MB':>14}  error")
        for name, path in paths.items():
            run = subprocess.run([sys.executable, "-c", CHILD, ext, str(path)], capture_output=True, text=True, timeout=120)
            if run.returncode != 0:
                print(f"{name:<20} failed: {run.stderr.strip()[-200:]}")
                continue
            r = json.loads(run.stdout)
            size = path.stat().st_size
            print(f"{name:<20} {size:>10} {r['ms']:>9.1f} {r['peak_mb']:>12.1f} {r['growth_mb']:>14.1f}  {r['error']}")


if __name__ == "__main__":
    main()
