"""Concurrency: 8 threads, each on its own connection to one database, load and unload
distinct and overlapping files 20 times. No crash, no deadlock, and the final
duckdb_secrets() is exactly what the last successful calls imply."""
import pathlib
import threading

import ys_testlib
from ys_testlib import extension_path as extension

THREADS = 8
ROUNDS = 20


def write(path: pathlib.Path, names):
    body = "".join(f"  {n}:\n    type: http\n    bearer_token: ${{YS_CONC_TOKEN}}\n" for n in names)
    path.write_text("secrets:\n" + body)


def test_eight_threads_load_and_unload(tmp_path, monkeypatch):
    monkeypatch.setenv("YS_CONC_TOKEN", "concurrency-token")
    # each thread owns one file; every file also defines the shared secret 'common'
    files = []
    for t in range(THREADS):
        path = tmp_path / f"t{t}.yaml"
        write(path, [f"own_{t}_a", f"own_{t}_b", "common"])
        files.append(path)

    db = ys_testlib.connect(tmp_path / "c.duckdb", load=extension())
    errors = []
    last_action = {}

    def worker(t):
        con = db.cursor()
        try:
            for round_ in range(ROUNDS):
                # even rounds end loaded, odd rounds end unloaded; the last round (19) unloads
                con.execute(f"FROM load_secrets_yaml('{files[t]}')").fetchall()
                if round_ % 2 == 1:
                    con.execute(f"FROM unload_secrets_yaml('{files[t]}', names := ['own_{t}_a', 'own_{t}_b'])").fetchall()
                    last_action[t] = "unloaded"
                else:
                    last_action[t] = "loaded"
        except Exception as e:  # a write-write conflict on 'common' is an honest, clean failure
            if "conflict" not in str(e).lower():
                errors.append(repr(e))
            else:
                last_action.setdefault(t, "conflict")
        finally:
            con.close()

    threads = [threading.Thread(target=worker, args=(t,), daemon=True) for t in range(THREADS)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=120)
    assert not any(th.is_alive() for th in threads), "deadlock: a thread did not finish in 120 s"
    assert not errors, errors

    names = {r[0] for r in db.execute("SELECT name FROM duckdb_secrets()").fetchall()}
    for t in range(THREADS):
        own = {f"own_{t}_a", f"own_{t}_b"}
        if last_action.get(t) == "unloaded":
            assert not own & names, (t, names)
    # 'common' was loaded by every thread and never unloaded
    assert "common" in names
    # provenance agrees with the database
    tracked = {r[0]: r[1] for r in db.execute("SELECT name, status FROM yaml_secrets()").fetchall()}
    assert set(tracked) == names, (tracked, names)
    assert set(tracked.values()) == {"ok"}
    db.close()


def test_four_threads_loading_distinct_persistent_secrets_never_collide(tmp_path, monkeypatch):
    """Each call's throwaway trial secrets have names of their own: four threads loading four
    files of distinct persistent secrets (100 calls) all succeed. Before, about one call in
    ten failed with a write-write conflict on `__yamlsecrets_trial_0`, blaming an innocent
    secret of its own file."""
    monkeypatch.setenv("YS_CONC_TOKEN", "concurrency-token")
    threads, rounds = 4, 25
    files = []
    for t in range(threads):
        path = tmp_path / f"p{t}.yaml"
        body = "".join(
            f"  p{t}_{n}:\n    type: http\n    bearer_token: ${{YS_CONC_TOKEN}}\n"
            f"    persistent: true\n    scope: https://p{t}-{n}.example.com/\n"
            for n in range(3)
        )
        path.write_text("secrets:\n" + body)
        files.append(path)
    db = ys_testlib.connect(
        tmp_path / "p.duckdb", config={"secret_directory": str(tmp_path / "stored")}, load=extension()
    )
    failures = []
    start = threading.Barrier(threads, timeout=30)

    def worker(t):
        con = db.cursor()
        try:
            start.wait()
            for _ in range(rounds):
                try:
                    con.execute(f"FROM load_secrets_yaml('{files[t]}')").fetchall()
                except Exception as e:
                    failures.append(str(e))
        finally:
            con.close()

    workers = [threading.Thread(target=worker, args=(t,), daemon=True) for t in range(threads)]
    for th in workers:
        th.start()
    for th in workers:
        th.join(timeout=120)
    assert not any(th.is_alive() for th in workers), "deadlock: a thread did not finish in 120 s"
    assert not failures, f"{len(failures)} of {threads * rounds} calls failed, first: {failures[0]}"
    names = {r[0] for r in db.execute("SELECT name FROM duckdb_secrets() WHERE persistent").fetchall()}
    assert names == {f"p{t}_{n}" for t in range(threads) for n in range(3)}
    # each secret file with its provenance record
    expected = [f"{n}.duckdb_secret" for n in names] + [f"{n}.yamlsecrets.json" for n in names]
    assert sorted(p.name for p in (tmp_path / "stored").iterdir()) == sorted(expected)
    db.close()
