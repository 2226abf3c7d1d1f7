"""All or nothing across connections and on disk (SECURITY.md, "All or nothing"): after a
failed load or unload, duckdb_secrets() and the secret files are exactly as before.

What these tests provoke needs more than one connection (another connection's open
transaction holds one of the secrets) or looks at the persistent secret files, so they run
here rather than in test/sql. Every database gets its own temporary `secret_directory`.
"""

import duckdb
import pytest

import ys_testlib
from ys_lifecycle_helpers import sql_str

CONFIG = {**ys_testlib.UNSIGNED, "allow_unredacted_secrets": "true"}


class Db:
    """A connection and the secret directory of its database."""

    def __init__(self, con, secret_dir):
        self.con, self.secret_dir = con, secret_dir

    def execute(self, sql):
        return self.con.execute(sql)

    def cursor(self):
        return self.con.cursor()


@pytest.fixture
def db(tmp_path, extension_path):
    secret_dir = tmp_path / "stored_secrets"
    con = ys_testlib.connect(
        tmp_path / "db.duckdb", config={**CONFIG, "secret_directory": str(secret_dir)}, load=extension_path
    )
    yield Db(con, secret_dir)
    con.close()


def state(con):
    """Everything a failed call must leave as it was: the secrets with their values, and the
    bytes of every persistent secret file."""
    secrets = sorted(
        con.execute("SELECT name, persistent, storage, secret_string FROM duckdb_secrets(redact := false)").fetchall()
    )
    files = {}
    if con.secret_dir.is_dir():
        files = {p.name: p.read_bytes() for p in sorted(con.secret_dir.iterdir())}
    return secrets, files


def write(tmp_path, name, secrets):
    """A file of http secrets: {name: (token, persistent)}."""
    lines = ["secrets:"]
    for secret, (token, persistent) in secrets.items():
        lines += [f"  {secret}:", "    type: http", f"    bearer_token: {token}", f"    persistent: {str(persistent).lower()}"]
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


def load(con, path, **named):
    args = [sql_str(path)] + [f"{k} := {v}" for k, v in named.items()]
    return con.execute(f"FROM load_secrets_yaml({', '.join(args)})").fetchall()


def unload(con, path):
    return con.execute(f"FROM unload_secrets_yaml({sql_str(path)})").fetchall()


def test_conflict_on_a_temporary_secret_leaves_a_replaced_persistent_one_untouched(tmp_path, db):
    db.execute("CREATE PERSISTENT SECRET a (TYPE http, BEARER_TOKEN 'old-a')")
    db.execute("CREATE TEMPORARY SECRET b (TYPE http, BEARER_TOKEN 'old-b')")
    before = state(db)
    other = db.cursor()
    other.execute("BEGIN")
    other.execute("CREATE OR REPLACE TEMPORARY SECRET b (TYPE http, BEARER_TOKEN 'other-b')")
    path = write(tmp_path, "s.yaml", {"a": ("new-a", True), "b": ("new-b", False)})
    with pytest.raises(duckdb.Error) as failure:
        load(db, path)
    message = str(failure.value)
    assert "secret 'b'" in message and "conflict" in message.lower(), message
    assert "secret 'a'" not in message, message
    other.execute("ROLLBACK")
    assert state(db) == before


def test_conflict_on_a_persistent_secret_restores_the_ones_already_replaced(tmp_path, db):
    db.execute("CREATE PERSISTENT SECRET a (TYPE http, BEARER_TOKEN 'old-a')")
    db.execute("CREATE PERSISTENT SECRET z (TYPE http, BEARER_TOKEN 'old-z')")
    other = db.cursor()
    other.execute("BEGIN")
    # another connection's open transaction holds 'z' (DuckDB has already written its file)
    other.execute("CREATE OR REPLACE PERSISTENT SECRET z (TYPE http, BEARER_TOKEN 'other-z')")
    before = state(db)
    path = write(
        tmp_path,
        "s.yaml",
        {"a": ("new-a", True), "n": ("new-n", True), "t": ("new-t", False), "z": ("new-z", True)},
    )
    with pytest.raises(duckdb.Error) as failure:
        load(db, path)
    message = str(failure.value)
    assert "secret 'z'" in message and "conflict" in message.lower(), message
    assert "nothing of this call was applied" in message, message
    assert state(db) == before
    other.execute("ROLLBACK")


def test_a_failure_after_dropping_the_same_name_in_the_other_storage_restores_it(tmp_path, db):
    """A temporary 'a' replaces the persistent 'a' (one secret per name): when a later step of the
    call fails, the dropped persistent secret and its file are back."""
    db.execute("CREATE PERSISTENT SECRET a (TYPE http, BEARER_TOKEN 'old-a')")
    db.execute("CREATE PERSISTENT SECRET z (TYPE http, BEARER_TOKEN 'old-z')")
    other = db.cursor()
    other.execute("BEGIN")
    other.execute("CREATE OR REPLACE PERSISTENT SECRET z (TYPE http, BEARER_TOKEN 'other-z')")
    before = state(db)
    path = write(tmp_path, "s.yaml", {"a": ("new-a", False), "z": ("new-z", True)})
    with pytest.raises(duckdb.Error) as failure:
        load(db, path)
    message = str(failure.value)
    assert "secret 'z'" in message and "nothing of this call was applied" in message, message
    assert state(db) == before
    other.execute("ROLLBACK")
    # and without the conflict the persistent 'a' and its file are gone, replaced
    assert sorted(load(db, path, names="['a']"))[0][6] == "replaced"
    assert db.execute("SELECT persistent FROM duckdb_secrets() WHERE name = 'a'").fetchall() == [(False,)]
    assert not (db.secret_dir / "a.duckdb_secret").exists()


def test_unknown_storage_fails_before_a_persistent_secret_is_replaced(tmp_path, db):
    db.execute("CREATE PERSISTENT SECRET a (TYPE http, BEARER_TOKEN 'old-a')")
    before = state(db)
    path = tmp_path / "s.yaml"
    path.write_text(
        "secrets:\n"
        "  a: {type: http, bearer_token: new-a, persistent: true}\n"
        "  b: {type: http, bearer_token: new-b, persistent: true, storage: no_such_storage}\n"
        "  c: {type: http, bearer_token: new-c, storage: local_file}\n"
    )
    with pytest.raises(duckdb.Error) as failure:
        load(db, path)
    message = str(failure.value)
    assert "its storage does not exist" in message and "secret 'b' (" in message, message
    assert "no_such_storage" not in message  # a storage DuckDB does not know is never quoted
    assert "secret 'c'" in message and "local_file" in message, message
    assert state(db) == before


def test_unload_with_a_locked_temporary_secret_keeps_the_persistent_one_and_its_file(tmp_path, db):
    path = write(tmp_path, "s.yaml", {"p": ("tok-p", True), "t": ("tok-t", False)})
    load(db, path)
    before = state(db)
    assert "p.duckdb_secret" in before[1]
    other = db.cursor()
    other.execute("BEGIN")
    other.execute("CREATE OR REPLACE TEMPORARY SECRET t (TYPE http, BEARER_TOKEN 'other-t')")
    with pytest.raises(duckdb.Error) as failure:
        unload(db, path)
    assert "secret 't'" in str(failure.value), str(failure.value)
    other.execute("ROLLBACK")
    assert state(db) == before


def test_unload_with_a_locked_persistent_secret_restores_the_files_it_deleted(tmp_path, db):
    path = write(tmp_path, "s.yaml", {"p": ("tok-p", True), "q": ("tok-q", True), "t": ("tok-t", False)})
    load(db, path)
    other = db.cursor()
    other.execute("BEGIN")
    other.execute("CREATE OR REPLACE PERSISTENT SECRET q (TYPE http, BEARER_TOKEN 'other-q')")
    before = state(db)
    with pytest.raises(duckdb.Error) as failure:
        unload(db, path)
    assert "secret 'q'" in str(failure.value), str(failure.value)
    assert state(db) == before
    other.execute("ROLLBACK")


def test_a_successful_mixed_load_and_unload_leave_files_and_list_in_step(tmp_path, db):
    db.execute("CREATE PERSISTENT SECRET a (TYPE http, BEARER_TOKEN 'old-a')")
    path = write(tmp_path, "s.yaml", {"a": ("new-a", True), "n": ("new-n", True), "t": ("new-t", False)})
    rows = load(db, path)
    assert {(r[0], r[6]) for r in rows} == {("a", "replaced"), ("n", "created"), ("t", "created")}
    secrets, files = state(db)
    assert {s[0] for s in secrets} == {"a", "n", "t"}
    # each persistent secret with its provenance record (README: provenance across restarts)
    assert set(files) == {"a.duckdb_secret", "n.duckdb_secret", "a.yamlsecrets.json", "n.yamlsecrets.json"}
    assert b"new-a" in files["a.duckdb_secret"]
    assert b"new-a" not in files["a.yamlsecrets.json"]
    assert not [s for s in secrets if s[0].startswith("__yamlsecrets")]
    unload(db, path)
    assert state(db) == ([], {})


def test_a_secret_directory_under_home_is_put_back_too(tmp_path, extension_path, monkeypatch):
    # DuckDB expands a leading ~ in secret_directory; the copies must be taken from there.
    monkeypatch.setenv("HOME", str(tmp_path))
    con = ys_testlib.connect(
        tmp_path / "home.duckdb", config={**CONFIG, "secret_directory": "~/stored"}, load=extension_path
    )
    try:
        db = Db(con, tmp_path / "stored")
        db.execute("CREATE PERSISTENT SECRET a (TYPE http, BEARER_TOKEN 'old-a')")
        db.execute("CREATE PERSISTENT SECRET z (TYPE http, BEARER_TOKEN 'old-z')")
        other = db.cursor()
        other.execute("BEGIN")
        other.execute("CREATE OR REPLACE PERSISTENT SECRET z (TYPE http, BEARER_TOKEN 'other-z')")
        before = state(db)
        assert "a.duckdb_secret" in before[1]
        path = write(tmp_path, "s.yaml", {"a": ("new-a", True), "z": ("new-z", True)})
        with pytest.raises(duckdb.Error, match="nothing of this call was applied"):
            load(db, path)
        assert state(db) == before
        other.execute("ROLLBACK")
    finally:
        con.close()
