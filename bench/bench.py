#!/usr/bin/env python3
"""yamlsecrets benchmarks: load_secrets_yaml against the same CREATE SECRET statements run
directly, secrets_check, LOAD cost, binary size and peak memory. Driven by bench/run.sh.

  bench.py all  --ext EXT --work DIR     every measurement, then the table and the targets
  bench.py gen  --n N --work DIR         only write the files for N secrets (for profiling)
  bench.py one  MODE N --ext EXT --work DIR
                                         one measurement in this process, as a JSON line

Every measurement runs in a process of its own. Inside it, httpfs and yamlsecrets are
loaded first, and only the statement itself is timed (time.perf_counter around
con.execute), so process start and LOADs are excluded. Runs of the different modes are
interleaved, and medians are reported.

Environment: BENCH_QUICK=1 (N up to 1000, 3 runs), BENCH_RUNS (default 7), BENCH_N (e.g. "1,100"),
BENCH_VALUES=env|literal (where key_id/secret come from; default env: ${...} variables),
BENCH_JSON=path (also write the raw results there).
"""

import argparse
import gc
import json
import os
import resource
import statistics
import subprocess
import sys
import time

KEY_ID = "AKIAIOSFODNN7EXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
REGIONS = ["us-east-1", "eu-west-1", "eu-central-1", "ap-southeast-2"]
ENV = {"BENCH_AWS_KEY_ID": KEY_ID, "BENCH_AWS_SECRET": SECRET}

PY_MODES = ["direct", "direct_txn", "load", "check"]
CLI_MODES = ["cli_direct", "cli_load"]


# --------------------------------------------------------------------------- files
def name(i):
    return f"bench_s3_{i:05d}"


def paths(work, n):
    return {
        "yaml": os.path.join(work, f"secrets_{n}.yaml"),
        "sql": os.path.join(work, f"direct_{n}.sql"),
        "cli_direct": os.path.join(work, f"cli_direct_{n}.sql"),
        "cli_load": os.path.join(work, f"cli_load_{n}.sql"),
    }


def generate(n, work, ext, values):
    """The YAML file, and the very statements yamlsecrets renders for it, written by hand."""
    p = paths(work, n)
    ref = values == "env"
    with open(p["yaml"], "w") as y, open(p["sql"], "w") as s:
        y.write("version: 1\nsecrets:\n")
        for i in range(n):
            region = REGIONS[i % len(REGIONS)]
            scope = f"s3://bench-bucket-{i:05d}/data/"
            y.write(
                f"  {name(i)}:\n"
                f"    type: s3\n"
                f"    key_id: {'${BENCH_AWS_KEY_ID}' if ref else KEY_ID}\n"
                f"    secret: {'${BENCH_AWS_SECRET}' if ref else SECRET}\n"
                f"    region: {region}\n"
                f"    scope: {scope}\n"
            )
            # yamlsecrets' replace := true default renders CREATE OR REPLACE TEMPORARY.
            s.write(
                f"CREATE OR REPLACE TEMPORARY SECRET \"{name(i)}\" (TYPE 's3', SCOPE ['{scope}'], "
                f"KEY_ID '{KEY_ID}', SECRET '{SECRET}', REGION '{region}');\n"
            )
    os.chmod(p["yaml"], 0o600)
    head = (
        f"SET extension_directory = '{os.environ['YS_EXTENSION_DIR']}';\n"
        f"LOAD httpfs;\nLOAD '{ext}';\n.mode trash\n"
    )
    with open(p["cli_direct"], "w") as f, open(p["sql"]) as s:
        f.write(head + s.read())
    with open(p["cli_load"], "w") as f:
        f.write(head + f"SELECT count(*) FROM load_secrets_yaml('{p['yaml']}');\n")
    return p


# --------------------------------------------------------------------------- one measurement
def max_rss_kb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def one(mode, n, ext, work):
    import duckdb

    p = paths(work, n)
    con = duckdb.connect(
        config={"allow_unsigned_extensions": "true", "extension_directory": os.environ["YS_EXTENSION_DIR"]}
    )
    con.execute("LOAD httpfs")
    if mode == "loadext":
        t0 = time.perf_counter()
        con.load_extension(ext)
        ms = (time.perf_counter() - t0) * 1e3
        print(json.dumps({"mode": mode, "n": n, "ms": ms}))
        return
    con.load_extension(ext)
    if mode in ("direct", "direct_txn"):
        sql = open(p["sql"]).read()
        if mode == "direct_txn":
            sql = "BEGIN TRANSACTION;\n" + sql + "COMMIT;\n"
        run = lambda: con.execute(sql)  # noqa: E731
    elif mode == "load":
        q = f"SELECT count(*) FROM load_secrets_yaml('{p['yaml']}')"
        run = lambda: con.execute(q).fetchall()  # noqa: E731
    elif mode == "check":
        q = f"SELECT count(*) FILTER (severity = 'error'), count(*) FROM secrets_check('{p['yaml']}')"
        run = lambda: con.execute(q).fetchall()  # noqa: E731
    else:
        raise SystemExit(f"unknown mode {mode}")
    gc.collect()
    rss0 = max_rss_kb()
    c0, t0 = time.process_time(), time.perf_counter()
    out = run()
    ms, cpu_ms = (time.perf_counter() - t0) * 1e3, (time.process_time() - c0) * 1e3
    rss1 = max_rss_kb()
    secrets = con.execute("SELECT count(*) FROM duckdb_secrets()").fetchone()[0]
    expect = 0 if mode == "check" else n
    if secrets != expect:
        raise SystemExit(f"{mode} N={n}: {secrets} secrets exist afterwards, expected {expect}")
    if mode == "check" and out[0][0] != 0:
        raise SystemExit(f"secrets_check found {out[0][0]} errors in {p['yaml']}")
    again_ms = None
    if mode == "check":
        # The same call once more: the first pays for memory the process never had (page faults).
        t0 = time.perf_counter()
        run()
        again_ms = (time.perf_counter() - t0) * 1e3
    print(json.dumps({"mode": mode, "n": n, "ms": ms, "cpu_ms": cpu_ms, "rss_before_kb": rss0, "rss_after_kb": rss1,
                      "again_ms": again_ms}))


# --------------------------------------------------------------------------- orchestration
def child_env():
    env = dict(os.environ)
    env.update(ENV)
    return env


def run_py(mode, n, ext, work):
    cmd = [sys.executable, os.path.abspath(__file__), "one", mode, str(n), "--ext", ext, "--work", work]
    r = subprocess.run(cmd, capture_output=True, text=True, env=child_env())
    if r.returncode != 0:
        raise SystemExit(f"measurement {mode} N={n} failed:\n{r.stdout}{r.stderr}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def run_process(argv):
    """Wall time (ms) and max RSS (KiB) of one whole process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=child_env())
    _, status, usage = os.wait4(proc.pid, 0)
    ms = (time.perf_counter() - t0) * 1e3
    out, err = proc.stdout.read(), proc.stderr.read()
    proc.stdout.close()
    proc.stderr.close()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0 or err.strip():
        raise SystemExit(f"{' '.join(argv)} failed ({proc.returncode}):\n{out.decode()}{err.decode()}")
    return ms, usage.ru_maxrss


def run_cli(mode, n, work):
    cli = os.environ["YS_DUCKDB_CLI"]
    ms, rss = run_process([cli, "-unsigned", "-f", paths(work, n)[mode]])
    return {"mode": mode, "n": n, "ms": ms, "rss_kb": rss}


def med(xs):
    return statistics.median(xs) if xs else float("nan")


def fmt_ms(x):
    if x != x:
        return "–"
    return f"{x:.2f}" if x < 10 else f"{x:.1f}" if x < 100 else f"{x:.0f}"


def main_all(args):
    quick = os.environ.get("BENCH_QUICK") == "1"
    ns = [1, 100, 1000] if quick else [1, 100, 1000, 10000]
    if os.environ.get("BENCH_N"):
        ns = [int(x) for x in os.environ["BENCH_N"].split(",")]
    runs = int(os.environ.get("BENCH_RUNS", 3 if quick else 7))
    values = os.environ.get("BENCH_VALUES", "env")
    ext, work = os.path.abspath(args.ext), args.work
    started = time.time()

    import duckdb

    print(f"# yamlsecrets bench: N={ns}, {runs} runs each, values from {values}, DuckDB {duckdb.__version__}")
    print(f"# extension {ext}")
    for n in ns:
        generate(n, work, ext, values)

    res = {}  # (mode, n) -> list of result dicts
    for rep in range(runs):
        for n in ns:
            modes = PY_MODES + CLI_MODES
            k = rep % len(modes)
            for mode in modes[k:] + modes[:k]:  # rotate the order each repetition
                r = run_cli(mode, n, work) if mode.startswith("cli") else run_py(mode, n, ext, work)
                res.setdefault((mode, n), []).append(r)
        print(f"#   repetition {rep + 1}/{runs} done ({time.time() - started:.0f} s)", flush=True)

    # (d) LOAD: bare CLI start against a CLI start that loads the extension, interleaved.
    cli = os.environ["YS_DUCKDB_CLI"]
    bare, loaded, inproc = [], [], []
    load_runs = 3 * runs + 6
    for i in range(load_runs):
        pair = [("bare", [cli, "-c", "SELECT 1"]), ("load", [cli, "-unsigned", "-c", f"LOAD '{ext}'"])]
        for which, argv in pair if i % 2 == 0 else pair[::-1]:
            (bare if which == "bare" else loaded).append(run_process(argv)[0])
    for _ in range(runs + 2):
        inproc.append(run_py("loadext", 0, ext, work)["ms"])

    size = os.path.getsize(ext)

    def m(mode, n, key="ms"):
        return med([r[key] for r in res.get((mode, n), [])])

    print()
    print("Median ms of the statement alone, in-process (Python duckdb, httpfs + yamlsecrets loaded).")
    print("direct = the same CREATE OR REPLACE TEMPORARY SECRET statements in one con.execute (autocommit each);")
    print("direct 1 txn = the same inside BEGIN/COMMIT (what yamlsecrets does); CPU = process CPU time (all threads)")
    print("during the statement; CLI = wall time of a whole `duckdb -unsigned -f` process (start, LOADs, statements).")
    print()
    print("| N | direct | direct 1 txn | load_secrets_yaml | **load/direct** | load/1 txn | CPU load/direct |"
          " secrets_check (first / again) | CLI direct | CLI load | CLI load/direct | load µs/secret |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in ns:
        d, t, lo, c, again = m("direct", n), m("direct_txn", n), m("load", n), m("check", n), m("check", n, "again_ms")
        cd, cl = m("cli_direct", n), m("cli_load", n)
        cpu = m("load", n, "cpu_ms") / m("direct", n, "cpu_ms")
        print(f"| {n} | {fmt_ms(d)} | {fmt_ms(t)} | {fmt_ms(lo)} | **{lo / d:.2f}×** | {lo / t:.2f}× | {cpu:.2f}× |"
              f" {fmt_ms(c)} / {fmt_ms(again)} | {fmt_ms(cd)} | {fmt_ms(cl)} | {cl / cd:.2f}× | {lo * 1e3 / n:.0f} |")
    print()
    print("Spread (min–max ms) of load / direct:", ", ".join(
        f"N={n}: {min(r['ms'] for r in res[('load', n)]):.1f}–{max(r['ms'] for r in res[('load', n)]):.1f} / "
        f"{min(r['ms'] for r in res[('direct', n)]):.1f}–{max(r['ms'] for r in res[('direct', n)]):.1f}"
        for n in ns))
    load_ms = med(loaded) - med(bare)
    print()
    print(f"LOAD yamlsecrets: CLI `SELECT 1` {med(bare):.1f} ms, CLI `LOAD '<ext>'` {med(loaded):.1f} ms "
          f"(medians of {load_runs}) → LOAD ≈ {load_ms:.1f} ms; in-process con.load_extension "
          f"{med(inproc):.1f} ms (median of {len(inproc)})")
    print(f"Binary: {size} bytes ({size / 1e6:.2f} MB, {size / 2**20:.2f} MiB)")
    big = max(ns)
    rss = {mode: m(mode, big, "rss_after_kb") for mode in ("direct", "direct_txn", "load")}
    rss0 = {mode: m(mode, big, "rss_before_kb") for mode in ("direct", "direct_txn", "load")}
    print(f"Peak RSS at N={big} (Python process, MiB; growth during the statement in brackets): "
          + ", ".join(f"{mode} {rss[mode] / 1024:.0f} (+{(rss[mode] - rss0[mode]) / 1024:.1f})" for mode in rss)
          + f"; CLI process: direct {m('cli_direct', big, 'rss_kb') / 1024:.0f}, "
            f"load {m('cli_load', big, 'rss_kb') / 1024:.0f}")

    # Targets.
    print()
    print("Targets:")
    ok = lambda b: "met" if b else "MISSED"  # noqa: E731
    for n in (1000, 10000):
        if n in ns:
            r = m("load", n) / m("direct", n)
            print(f"  load ≤ 1.05× direct at N={n}: {r:.2f}× — {ok(r <= 1.05)}")
    print(f"  LOAD ≤ 5 ms: {load_ms:.1f} ms (CLI difference), {med(inproc):.1f} ms in-process — "
          f"{ok(load_ms <= 5 and med(inproc) <= 5)}")
    if 10000 in ns:
        c, again = m("check", 10000), m("check", 10000, "again_ms")
        print(f"  secrets_check of 10 000 secrets ≤ 50 ms: first call of a process {c:.0f} ms — {ok(c <= 50)}; "
              f"the same call again {again:.0f} ms — {ok(again <= 50)}")
    print(f"  binary ≤ 2 MB: {size / 1e6:.2f} MB / {size / 2**20:.2f} MiB — "
          f"{ok(size <= 2_000_000)} (decimal MB), {ok(size <= 2**21)} (MiB)")
    if len(ns) >= 2:
        a, b = sorted(ns)[-2], sorted(ns)[-1]
        for mode in ("load", "check", "direct"):
            per_a, per_b = m(mode, a) / a, m(mode, b) / b
            print(f"  linear in N ({mode}): per-secret cost at N={b} is {per_b / per_a:.2f}× that at N={a} "
                  f"({per_a * 1e3:.0f} → {per_b * 1e3:.0f} µs) — "
                  f"{ok(per_b / per_a <= 1.25) if mode != 'direct' else 'reference (DuckDB itself)'}")
    print(f"\n# total {time.time() - started:.0f} s")
    if os.environ.get("BENCH_JSON"):
        with open(os.environ["BENCH_JSON"], "w") as f:
            json.dump({"results": {f"{k[0]}:{k[1]}": v for k, v in res.items()}, "load_bare_ms": bare,
                       "load_cli_ms": loaded, "load_inproc_ms": inproc, "size": size}, f, indent=1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cmd", choices=["all", "gen", "one"])
    ap.add_argument("mode", nargs="?")
    ap.add_argument("n", nargs="?", type=int)
    ap.add_argument("--n", dest="n_opt", type=int)
    ap.add_argument("--ext", default="build/release/yamlsecrets.duckdb_extension")
    ap.add_argument("--work", required=True)
    args = ap.parse_args()
    if args.cmd == "all":
        main_all(args)
    elif args.cmd == "gen":
        p = generate(args.n_opt or args.n, args.work, os.path.abspath(args.ext), os.environ.get("BENCH_VALUES", "env"))
        print(json.dumps(p))
    else:
        os.environ.update(ENV)
        one(args.mode, args.n, os.path.abspath(args.ext), args.work)


if __name__ == "__main__":
    main()
