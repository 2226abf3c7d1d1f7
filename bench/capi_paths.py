#!/usr/bin/env python3
"""How much of a load's DuckDB-side time depends on HOW the CREATE SECRET statements are
sent: the C API (libduckdb.so v1.5.5, through ctypes, i.e. what yamlsecrets itself calls)
running the same N statements

  each_autocommit  one duckdb_query per statement, autocommit (a plain C client)
  each_txn         one duckdb_query per statement inside BEGIN/COMMIT (what yamlsecrets does today)
  one_query        a single duckdb_query holding BEGIN; all N statements; COMMIT (parsed once)
  extracted        duckdb_extract_statements once, then prepare_extracted + execute_prepared each
  load             SELECT count(*) FROM load_secrets_yaml(file) on the same kind of connection

  capi_paths.py all --ext EXT --work DIR      (files from `bench.py gen`; runs bench.py gen itself)
  capi_paths.py one MODE N --ext EXT --work DIR

Each measurement is a process of its own; the modes are interleaved; medians are printed.
Environment: BENCH_RUNS (default 5), BENCH_N (default "1000,10000").
"""

import ctypes as C
import json
import os
import statistics
import subprocess
import sys
import time

MODES = ["each_autocommit", "each_txn", "one_query", "extracted", "load"]
HERE = os.path.dirname(os.path.abspath(__file__))


class Result(C.Structure):  # duckdb_result: 3 deprecated idx_t, 3 pointers
    _fields_ = [("a", C.c_uint64), ("b", C.c_uint64), ("c", C.c_uint64),
                ("d", C.c_void_p), ("e", C.c_void_p), ("f", C.c_void_p)]


def one(mode, n, ext, work):
    P = C.c_void_p
    lib = C.CDLL(os.path.join(os.environ["DUCKDB_LIB_DIR"], "libduckdb.so"))
    lib.duckdb_create_config.argtypes = [C.POINTER(P)]
    lib.duckdb_set_config.argtypes = [P, C.c_char_p, C.c_char_p]
    lib.duckdb_open_ext.argtypes = [C.c_char_p, C.POINTER(P), P, C.POINTER(C.c_char_p)]
    lib.duckdb_connect.argtypes = [P, C.POINTER(P)]
    lib.duckdb_query.argtypes = [P, C.c_char_p, C.POINTER(Result)]
    lib.duckdb_destroy_result.argtypes = [C.POINTER(Result)]
    lib.duckdb_result_error.argtypes = [C.POINTER(Result)]
    lib.duckdb_result_error.restype = C.c_char_p
    lib.duckdb_value_int64.argtypes = [C.POINTER(Result), C.c_uint64, C.c_uint64]
    lib.duckdb_value_int64.restype = C.c_int64
    lib.duckdb_extract_statements.argtypes = [P, C.c_char_p, C.POINTER(P)]
    lib.duckdb_extract_statements.restype = C.c_uint64
    lib.duckdb_prepare_extracted_statement.argtypes = [P, P, C.c_uint64, C.POINTER(P)]
    lib.duckdb_execute_prepared.argtypes = [P, C.POINTER(Result)]
    lib.duckdb_destroy_prepare.argtypes = [C.POINTER(P)]
    lib.duckdb_destroy_extracted.argtypes = [C.POINTER(P)]

    db, con, cfg, err = P(), P(), P(), C.c_char_p()
    assert lib.duckdb_create_config(C.byref(cfg)) == 0
    assert lib.duckdb_set_config(cfg, b"allow_unsigned_extensions", b"true") == 0
    assert lib.duckdb_open_ext(None, C.byref(db), cfg, C.byref(err)) == 0, err.value
    assert lib.duckdb_connect(db, C.byref(con)) == 0

    def q(sql, value=False):
        r = Result()
        if lib.duckdb_query(con, sql.encode(), C.byref(r)) != 0:
            raise SystemExit(f"{mode}: {lib.duckdb_result_error(C.byref(r)).decode()}")
        v = lib.duckdb_value_int64(C.byref(r), 0, 0) if value else None
        lib.duckdb_destroy_result(C.byref(r))
        return v

    q(f"SET extension_directory = '{os.environ['YS_EXTENSION_DIR']}'")
    q("LOAD httpfs")
    q(f"LOAD '{ext}'")
    stmts = [line.rstrip().rstrip(";") for line in open(os.path.join(work, f"direct_{n}.sql"))]
    t0 = time.perf_counter()
    if mode == "each_autocommit":
        for s in stmts:
            q(s)
    elif mode == "each_txn":
        q("BEGIN TRANSACTION")
        for s in stmts:
            q(s)
        q("COMMIT")
    elif mode == "one_query":
        q("BEGIN TRANSACTION;\n" + ";\n".join(stmts) + ";\nCOMMIT")
    elif mode == "extracted":
        q("BEGIN TRANSACTION")
        ex = P()
        assert lib.duckdb_extract_statements(con, (";\n".join(stmts) + ";").encode(), C.byref(ex)) == n
        for i in range(n):
            st, r = P(), Result()
            assert lib.duckdb_prepare_extracted_statement(con, ex, i, C.byref(st)) == 0
            assert lib.duckdb_execute_prepared(st, C.byref(r)) == 0
            lib.duckdb_destroy_result(C.byref(r))
            lib.duckdb_destroy_prepare(C.byref(st))
        lib.duckdb_destroy_extracted(C.byref(ex))
        q("COMMIT")
    elif mode == "load":
        q(f"SELECT count(*) FROM load_secrets_yaml('{os.path.join(work, f'secrets_{n}.yaml')}')")
    ms = (time.perf_counter() - t0) * 1e3
    got = q("SELECT count(*) FROM duckdb_secrets()", value=True)
    if got != n:
        raise SystemExit(f"{mode} N={n}: {got} secrets, expected {n}")
    print(json.dumps({"mode": mode, "n": n, "ms": ms}))


def main_all(ext, work):
    ns = [int(x) for x in os.environ.get("BENCH_N", "1000,10000").split(",")]
    runs = int(os.environ.get("BENCH_RUNS", 5))
    env = dict(os.environ, BENCH_AWS_KEY_ID="AKIAIOSFODNN7EXAMPLE",
               BENCH_AWS_SECRET="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    for n in ns:
        subprocess.run([sys.executable, os.path.join(HERE, "bench.py"), "gen", "--n", str(n), "--ext", ext,
                        "--work", work], check=True, capture_output=True, env=env)
    res = {}
    for rep in range(runs):
        for n in ns:
            k = rep % len(MODES)
            for mode in MODES[k:] + MODES[:k]:
                out = subprocess.run([sys.executable, os.path.abspath(__file__), "one", mode, str(n), "--ext", ext,
                                      "--work", work], capture_output=True, text=True, env=env)
                if out.returncode != 0:
                    raise SystemExit(out.stdout + out.stderr)
                res.setdefault((mode, n), []).append(json.loads(out.stdout)["ms"])
    print(f"C API paths, median ms of {runs} (same statements; one process per measurement)")
    print("| N | " + " | ".join(MODES) + " |")
    print("|---:|" + "---:|" * len(MODES))
    for n in ns:
        base = statistics.median(res[("each_autocommit", n)])
        print(f"| {n} | " + " | ".join(
            f"{statistics.median(res[(m, n)]):.0f} ({statistics.median(res[(m, n)]) / base:.2f}×)" for m in MODES)
            + " |")


if __name__ == "__main__":
    args = sys.argv[1:]
    ext = os.path.abspath(args[args.index("--ext") + 1])
    work = args[args.index("--work") + 1]
    if args[0] == "all":
        main_all(ext, work)
    else:
        one(args[1], int(args[2]), ext, work)
