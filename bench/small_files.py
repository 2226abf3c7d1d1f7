#!/usr/bin/env python3
"""What a call costs where users live: files of 1, 5 and 20 secrets, in one process.

For each N, four ways to end with the same N http secrets (a `${VAR}` bearer token and a
scope each), timed side by side in the same process, interleaved in a rotating order, the
median of `--calls` calls each:

  direct   the CREATE SECRET statements yamlsecrets renders, one `execute` each
  floor    what any all-or-nothing loader must send at the least: one query for the secrets
           that exist (created or replaced? the same name in another storage?) and the
           statements in one BEGIN … COMMIT
  dbt      dbt-duckdb's own way: its `Secret` class renders each statement from the
           profile's values (resolved from the environment, as dbt's env_var() does),
           then one `execute` each (only where dbt-duckdb is installed)
  load     FROM load_secrets_yaml(path)
  check    FROM secrets_check(path)  (no secret created)

The secrets are dropped between calls (outside the timing), so every way creates them
anew. The secret count is checked after each way. Prints one JSON line per N.

  small_files.py --ext EXT --work DIR [--calls 200] [--n 1,5,20]
  small_files.py --table RESULTS.jsonl      the lines of every DuckDB as one markdown table
"""

import argparse
import json
import os
import statistics
import time

TOKEN_VAR = "BENCH_HTTP_TOKEN"
TOKEN = "bench-token-not-a-real-one-0123456789"


def write_file(work, n):
    path = os.path.join(work, f"small_{n}.yaml")
    with open(path, "w") as f:
        f.write("secrets:\n")
        for i in range(n):
            f.write(f"  api_{i:02d}:\n    type: http\n    bearer_token: ${{{TOKEN_VAR}}}\n")
            f.write(f"    scope: https://api-{i:02d}.example.com/\n")
    return path


def direct_statements(n):
    token = os.environ[TOKEN_VAR].replace("'", "''")
    return [
        f"CREATE OR REPLACE TEMPORARY SECRET \"api_{i:02d}\" (TYPE 'http', "
        f"SCOPE ['https://api-{i:02d}.example.com/'], BEARER_TOKEN '{token}')"
        for i in range(n)
    ]


def dbt_way(n):
    """dbt-duckdb renders each secret of its profile with its Secret class, per call."""
    try:
        from dbt.adapters.duckdb.secrets import Secret
    except ImportError:
        return None

    def render():
        return [
            Secret.create(
                secret_type="http",
                name=f"api_{i:02d}",
                scope=f"https://api-{i:02d}.example.com/",
                bearer_token=os.environ[TOKEN_VAR],
            ).to_sql()
            for i in range(n)
        ]

    return render


def table(results):
    rows = [json.loads(line) for line in open(results) if line.startswith("{")]
    print(
        "| DuckDB | N | direct ms | floor ms | dbt-duckdb ms | load_secrets_yaml ms | **load/direct** "
        "| load/floor | load/dbt | secrets_check ms |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        dbt = r.get("dbt")
        dbt_ms = f"{dbt:.2f}" if dbt else "–"
        vs_dbt = f"{r['load'] / dbt:.2f}×" if dbt else "–"
        print(
            f"| {r['duckdb']} | {r['n']} | {r['direct']:.2f} | {r['floor']:.2f} | {dbt_ms} | {r['load']:.2f} | "
            f"**{r['load'] / r['direct']:.2f}×** | {r['load'] / r['floor']:.2f}× | {vs_dbt} | {r['check']:.2f} |"
        )


def main():
    import sys

    if len(sys.argv) == 3 and sys.argv[1] == "--table":
        return table(sys.argv[2])
    import duckdb

    ap = argparse.ArgumentParser()
    ap.add_argument("--ext", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--calls", type=int, default=200)
    ap.add_argument("--n", default="1,5,20")
    args = ap.parse_args()
    os.environ[TOKEN_VAR] = TOKEN

    con = duckdb.connect(
        config={"allow_unsigned_extensions": "true", "extension_directory": os.environ["YS_EXTENSION_DIR"]}
    )
    has_httpfs = os.environ.get("YS_EXTENSION_WHEELS") == "wheels"
    if has_httpfs:
        con.execute("LOAD httpfs")
    con.load_extension(args.ext)

    for n in (int(x) for x in args.n.split(",")):
        path = write_file(args.work, n)
        statements = direct_statements(n)
        dbt_render = dbt_way(n)

        def direct():
            for sql in statements:
                con.execute(sql)

        batch = "BEGIN TRANSACTION;\n" + "".join(f"{sql};\n" for sql in statements) + "COMMIT;"

        def floor():
            con.execute("SELECT name, persistent, storage FROM duckdb_secrets()").fetchall()
            con.execute(batch)

        def dbt():
            for sql in dbt_render():
                con.execute(sql)

        load_q = f"FROM load_secrets_yaml('{path}')"
        check_q = f"FROM secrets_check('{path}')"
        ways = {
            "direct": (direct, n),
            "floor": (floor, n),
            "load": (lambda: con.execute(load_q).fetchall(), n),
            "check": (lambda: con.execute(check_q).fetchall(), 0),
        }
        if dbt_render is not None:
            ways["dbt"] = (dbt, n)
        names = list(ways)
        times = {w: [] for w in names}
        for call in range(args.calls + 10):
            order = names[call % len(names):] + names[: call % len(names)]
            for way in order:
                run, expect = ways[way]
                con.execute("DROP SECRET IF EXISTS __none__")  # a statement between, as a warm-up
                t0 = time.perf_counter()
                run()
                elapsed = (time.perf_counter() - t0) * 1e3
                count = con.execute("SELECT count(*) FROM duckdb_secrets() WHERE name LIKE 'api_%'").fetchone()[0]
                if count != expect:
                    raise SystemExit(f"{way} N={n}: {count} secrets afterwards, expected {expect}")
                for i in range(n):
                    con.execute(f"DROP TEMPORARY SECRET IF EXISTS \"api_{i:02d}\"")
                if call >= 10:  # the first calls warm caches and the allocator
                    times[way].append(elapsed)
        row = {"duckdb": duckdb.__version__, "n": n, "calls": args.calls}
        row.update({w: statistics.median(xs) for w, xs in times.items()})
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
