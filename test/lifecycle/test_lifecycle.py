"""Lifecycle tests: which database the secrets land in, who sees them, and that the extension
holds nothing between calls (SPEC §2, "Behaviour that users rely on").

Run: build/test-env/venv/bin/python -m pytest test/lifecycle
     (YS_EXTENSION=/path/to/yamlsecrets.duckdb_extension to test another build)
"""

import threading

import pytest

from ys_lifecycle_helpers import load_query, secret_names, sql_str


# (a) The caller's connection sees the secrets at once, and so does every other connection of
# the same database: temporary secrets are database-wide.
def test_secret_visible_to_caller_and_to_other_connections_of_the_database(tmp_path, open_db, secrets_file):
    # Another database of the process uses the extension first; it must not matter.
    bystander = open_db()
    bystander.execute(load_query(secrets_file("bystander.yaml", ["bystander_secret"]))).fetchall()
    database = tmp_path / "visible.duckdb"
    con = open_db(database)
    cursor_before = con.cursor()
    path = secrets_file("visible.yaml", ["visible_a"])

    assert con.execute(load_query(path)).fetchall() == [("visible_a", "created")]

    assert secret_names(con) == {"visible_a"}
    # The secret is usable, not only listed.
    found = con.execute("SELECT name FROM which_secret('https://visible_a.example.com/x', 'http')").fetchall()
    assert found == [("visible_a",)]
    assert secret_names(cursor_before) == {"visible_a"}
    assert secret_names(con.cursor()) == {"visible_a"}
    # A second duckdb.connect() of the same file shares the DatabaseInstance.
    second = open_db(database)
    assert secret_names(second) == {"visible_a"}
    assert secret_names(bystander) == {"bystander_secret"}
    cursor_before.close()


# (b) Two databases in one process: each call's secrets land in the caller's database only.
@pytest.mark.parametrize("kind", ["memory", "file"])
@pytest.mark.parametrize("order", ["a_then_b", "b_then_a"])
def test_two_databases_in_one_process_get_only_their_own_secrets(tmp_path, open_db, secrets_file, kind, order):
    if kind == "memory":
        db = {"a": open_db(":memory:"), "b": open_db(":memory:")}
    else:
        db = {"a": open_db(tmp_path / "a.duckdb"), "b": open_db(tmp_path / "b.duckdb")}
    files = {"a": secrets_file("a.yaml", ["only_in_a"]), "b": secrets_file("b.yaml", ["only_in_b"])}

    for which in ("a", "b") if order == "a_then_b" else ("b", "a"):
        rows = db[which].execute(load_query(files[which])).fetchall()
        assert rows == [(f"only_in_{which}", "created")]

    assert secret_names(db["a"]) == {"only_in_a"}, "database A must hold A's secret and only it"
    assert secret_names(db["b"]) == {"only_in_b"}, "database B must hold B's secret and only it"


# (c) No pinning, seen from another process: once closed, the file is free (no lock held).
# The database is opened, used and closed in a child process that then stays alive while a
# second process opens the file read-write (so the extension's first use in that child is on
# this very file, whatever other tests did in the pytest process).
def test_closed_file_database_can_be_opened_read_write_by_another_process(tmp_path, secrets_file, run_python):
    database = tmp_path / "x.duckdb"
    path = secrets_file("x.yaml", ["pin_check"])
    other_process = "\n".join(
        [
            "import duckdb",
            f"con = duckdb.connect({str(database)!r})",
            "con.execute('UPDATE t SET x = x + 1')",
            "print('value', con.execute('SELECT x FROM t').fetchone()[0])",
            "con.close()",
        ]
    )
    result = run_python(
        f"""
        import subprocess
        DATABASE = {str(database)!r}
        con = duckdb.connect(DATABASE, config=CONFIG)
        con.execute("LOAD " + sql_str(EXTENSION))
        con.execute("CREATE TABLE t AS SELECT 41 AS x")
        rows = con.execute("SELECT name, action FROM load_secrets_yaml(" + sql_str({str(path)!r}) + ")").fetchall()
        assert rows == [("pin_check", "created")], rows
        con.close()
        del con
        gc.collect()

        other = subprocess.run([sys.executable, "-c", {other_process!r}], capture_output=True, text=True, timeout=20)
        print("OTHER rc", other.returncode, other.stdout.strip(), other.stderr.strip()[-600:], flush=True)
        """,
        timeout=45,
    )
    assert result.returncode == 0, f"rc {result.returncode}:\n{result.stdout}\n{result.stderr}"
    assert "OTHER rc 0 value 42" in result.stdout, f"another process could not open the closed database:\n{result.stdout}"


# (c) No pinning, seen from the same process: closing and reopening the file returns promptly
# and gives a fresh instance (its temporary secrets are gone). Runs in a child process so that
# a hang or crash fails this test only; inside it, the reopen runs in a thread with a timeout.
def test_closed_file_database_reopens_promptly_in_the_same_process(tmp_path, secrets_file, run_python):
    database = tmp_path / "x.duckdb"
    path = secrets_file("x.yaml", ["reopen_check"])
    result = run_python(
        f"""
        DATABASE = {str(database)!r}
        con = duckdb.connect(DATABASE, config=CONFIG)
        con.execute("LOAD " + sql_str(EXTENSION))
        rows = con.execute("SELECT name, action FROM load_secrets_yaml(" + sql_str({str(path)!r}) + ")").fetchall()
        assert rows == [("reopen_check", "created")], rows
        con.close()
        del con
        gc.collect()

        outcome = {{}}
        def reopen():
            try:
                again = duckdb.connect(DATABASE, config=CONFIG)
                outcome["secrets"] = again.execute("SELECT name FROM duckdb_secrets()").fetchall()
                again.execute("CREATE TABLE written_after_reopen AS SELECT 1 AS x")
                again.execute("LOAD " + sql_str(EXTENSION))
                outcome["reload"] = again.execute(
                    "SELECT name, action FROM load_secrets_yaml(" + sql_str({str(path)!r}) + ")").fetchall()
                again.close()
            except BaseException as error:
                outcome["error"] = repr(error)
        worker = threading.Thread(target=reopen, daemon=True)
        worker.start()
        worker.join(20)
        if worker.is_alive():
            print("HANG: reopening the closed database did not return within 20 s", flush=True)
            os._exit(3)
        print("OUTCOME", outcome, flush=True)
        os._exit(0)
        """,
        timeout=45,
    )
    assert result.returncode == 0, f"reopen failed (rc {result.returncode}):\n{result.stdout}\n{result.stderr}"
    outcome = result.stdout.split("OUTCOME", 1)[1].strip()
    assert "error" not in outcome, outcome
    # A fresh instance: the temporary secret died with the closed one; loading again creates it.
    assert "'secrets': []" in outcome, outcome
    assert "'reload': [('reopen_check', 'created')]" in outcome, outcome


# (d) EXPLAIN, DESCRIBE and PREPARE bind without executing: they create nothing. EXECUTE does.
def test_explain_describe_prepare_create_nothing_and_execute_creates(open_db, secrets_file):
    con = open_db()
    path = secrets_file("d.yaml", ["bind_only"])
    query = f"FROM load_secrets_yaml({sql_str(path)}, replace := false)"

    con.execute(f"EXPLAIN {query}").fetchall()
    assert secret_names(con) == set(), "EXPLAIN created a secret"

    described = con.execute(f"DESCRIBE {query}").fetchall()
    assert "action" in [row[0] for row in described]
    con.execute(f"DESCRIBE SELECT * FROM load_secrets_yaml({sql_str(path)})").fetchall()
    assert secret_names(con) == set(), "DESCRIBE created a secret"

    con.execute(f"PREPARE p AS SELECT name, action FROM load_secrets_yaml({sql_str(path)}, replace := false)")
    assert secret_names(con) == set(), "PREPARE created a secret"

    assert con.execute("EXECUTE p").fetchall() == [("bind_only", "created")]
    assert secret_names(con) == {"bind_only"}
    # It really ran: running it again with replace := false now finds the secret taken.
    with pytest.raises(Exception, match="already exist"):
        con.execute("EXECUTE p").fetchall()


# (d) A client that binds a query more than once still creates each secret exactly once:
# with replace := false a second execution would fail, and a side effect at bind would make
# the execution report 'replaced' instead of 'created'.
@pytest.mark.parametrize(
    "run",
    [
        pytest.param(lambda con, q: con.sql(q).fetchall(), id="sql_fetchall"),
        pytest.param(lambda con, q: con.execute(q).fetchall(), id="execute_fetchall"),
        pytest.param(lambda con, q: [con.sql(q).fetchone()], id="sql_fetchone"),
    ],
)
def test_client_query_creates_each_secret_exactly_once(open_db, secrets_file, run, request):
    import duckdb

    if request.node.callspec.id == "sql_fetchone" and not hasattr(duckdb.DuckDBPyRelation, "fetchone"):
        pytest.skip(f"duckdb {duckdb.__version__}'s Python client has no Relation.fetchone()")
    con = open_db()
    path = secrets_file("once.yaml", ["once_a", "once_b"])
    query = f"SELECT name, action FROM load_secrets_yaml({sql_str(path)}, replace := false) ORDER BY name"

    relation = con.sql(query)
    assert relation.columns == ["name", "action"]  # bound, not executed
    assert secret_names(con) == set(), "binding the relation created a secret"
    del relation

    rows = run(con, query)
    assert rows[0] == ("once_a", "created")
    if len(rows) > 1:
        assert rows == [("once_a", "created"), ("once_b", "created")]
    assert secret_names(con) == {"once_a", "once_b"}


# (e) Close everything, open a new in-memory database in the same process, LOAD again: the
# extension must not use anything left from the closed database. In a child process so that a
# crash (a stale pointer) fails this test only.
def test_new_database_after_closing_the_old_one_in_the_same_process(secrets_file, run_python):
    files = [str(secrets_file(f"cycle{i}.yaml", [f"cycle_{i}"])) for i in range(3)]
    result = run_python(
        f"""
        FILES = {files!r}
        for i, path in enumerate(FILES):
            con = duckdb.connect(":memory:", config=CONFIG)
            con.execute("LOAD " + sql_str(EXTENSION))
            rows = con.execute("SELECT name, action FROM load_secrets_yaml(" + sql_str(path) + ")").fetchall()
            assert rows == [(f"cycle_{{i}}", "created")], (i, rows)
            names = sorted(r[0] for r in con.execute("SELECT name FROM duckdb_secrets()").fetchall())
            assert names == [f"cycle_{{i}}"], (i, names)
            con.close()
            del con
            gc.collect()
        print("cycles ok", flush=True)
        """,
        timeout=45,
    )
    assert result.returncode == 0, f"rc {result.returncode}:\n{result.stdout}\n{result.stderr}"
    assert "cycles ok" in result.stdout


# (f) Two threads, two cursors of one database, loading different files at the same time:
# every call's secrets land in the caller's database (and not in a bystander database).
def test_concurrent_calls_from_two_cursors_land_in_the_callers_database(open_db, secrets_file):
    # A bystander database of the same process uses the extension first.
    bystander = open_db()
    bystander.execute(load_query(secrets_file("bystander.yaml", ["bystander_secret"]))).fetchall()
    con = open_db()
    threads_count, iterations = 2, 5
    files = {
        (t, i): secrets_file(f"thread{t}_{i}.yaml", [f"thread{t}_{i}"])
        for t in range(threads_count)
        for i in range(iterations)
    }
    start = threading.Barrier(threads_count, timeout=20)
    errors = []

    def worker(t):
        cursor = con.cursor()
        try:
            start.wait()
            for i in range(iterations):
                name = f"thread{t}_{i}"
                assert cursor.execute(load_query(files[(t, i)])).fetchall() == [(name, "created")]
                assert name in secret_names(cursor), f"{name} missing right after its call"
        except BaseException as error:
            errors.append(f"thread {t}: {error!r}")
        finally:
            cursor.close()

    threads = [threading.Thread(target=worker, args=(t,), daemon=True) for t in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not any(thread.is_alive() for thread in threads), "a loading thread hung"
    assert not errors, errors
    assert secret_names(con) == {f"thread{t}_{i}" for t in range(threads_count) for i in range(iterations)}
    assert secret_names(bystander) == {"bystander_secret"}


# The caller's explicit transaction: secrets are created (and committed) on the extension's
# own connection, so the caller's ROLLBACK does not undo them and other connections see them
# at once.
def test_caller_rollback_does_not_undo_loaded_secrets(open_db, secrets_file):
    con = open_db()
    path = secrets_file("txn.yaml", ["txn_secret"])
    con.execute("BEGIN")
    assert con.execute(load_query(path)).fetchall() == [("txn_secret", "created")]
    assert secret_names(con.cursor()) == {"txn_secret"}, "other connections must see it before the caller commits"
    con.execute("ROLLBACK")
    assert secret_names(con) == {"txn_secret"}


# SPEC §2 says an explicit transaction of the caller does not hide the secrets until COMMIT.
# Observed with DuckDB v1.5.5: it does — the caller's transaction reads the secret catalog as
# of its own start, which predates the extension's commit; the secrets appear once the
# caller's transaction ends (COMMIT or ROLLBACK). Strict xfail: if this ever starts to pass,
# drop the marker.
@pytest.mark.xfail(strict=True, reason="the caller's open transaction has an older snapshot of the secret catalog")
def test_caller_open_transaction_sees_loaded_secrets(open_db, secrets_file):
    con = open_db()
    path = secrets_file("txn.yaml", ["txn_visible"])
    con.execute("BEGIN")
    try:
        con.execute(load_query(path)).fetchall()
        assert secret_names(con) == {"txn_visible"}
    finally:
        con.execute("ROLLBACK")
