"""Provenance across restarts: a persistent secret's record (<name>.yamlsecrets.json beside
DuckDB's <name>.duckdb_secret in secret_directory) lets yaml_secrets() and secrets_check() know,
in a new process or database instance, which file each persistent secret came from. Records hold
fingerprints, never values, and change with their secret in the same all-or-nothing step."""

import duckdb
import pytest

import ys_testlib
from ys_lifecycle_helpers import sql_str

TOKEN = "restart-canary-token-4f2a"

FILE = """\
secrets:
  lake:
    type: http
    bearer_token: ${YS_RESTART_TOKEN}
    scope: https://lake.example.com/
    persistent: true
  api:
    type: http
    bearer_token: ${YS_RESTART_TOKEN}
    scope: https://api.example.com/
    persistent: true
"""


@pytest.fixture
def setup(tmp_path, extension_path, monkeypatch):
    monkeypatch.setenv("YS_RESTART_TOKEN", TOKEN)
    path = tmp_path / "secrets.yaml"
    path.write_text(FILE)
    secret_dir = tmp_path / "stored_secrets"

    def connect():
        return ys_testlib.connect(
            tmp_path / "db.duckdb", config={"secret_directory": str(secret_dir)}, load=extension_path
        )

    return path, secret_dir, connect


def status(con):
    return sorted(con.execute("SELECT name, file, persistent, status FROM yaml_secrets()").fetchall())


def test_a_restart_keeps_what_was_loaded_from_where(setup):
    path, secret_dir, connect = setup
    con = connect()
    con.execute(f"FROM load_secrets_yaml({sql_str(path)})").fetchall()
    con.close()
    records = sorted(p.name for p in secret_dir.glob("*.yamlsecrets.json"))
    assert records == ["api.yamlsecrets.json", "lake.yamlsecrets.json"]
    for record in secret_dir.glob("*.yamlsecrets.json"):
        assert TOKEN not in record.read_text()
        assert record.stat().st_mode & 0o077 == 0

    con = connect()
    try:
        assert status(con) == [("api", str(path), True, "ok"), ("lake", str(path), True, "ok")]
        assert con.execute("SELECT secrets_check()").fetchone() == ("ok",)
        # one secret edited: only that one is stale
        path.write_text(FILE.replace("https://api.example.com/", "https://api2.example.com/"))
        assert [s[3] for s in status(con)] == ["stale", "ok"]
        # dropped with plain SQL: secrets_check() knows it is missing instead of saying ok
        con.execute("DROP PERSISTENT SECRET lake")
        report = con.execute("SELECT secrets_check()").fetchone()[0]
        assert "secret 'lake': missing" in report and "secret 'api': stale" in report, report
        con.execute(f"FROM unload_secrets_yaml({sql_str(path)})").fetchall()
        assert status(con) == []
        assert list(secret_dir.glob("*.yamlsecrets.json")) == []
    finally:
        con.close()


def test_a_temporary_reload_leaves_no_persistent_credential_for_the_next_start(setup):
    path, secret_dir, connect = setup
    con = connect()
    con.execute(f"FROM load_secrets_yaml({sql_str(path)})").fetchall()
    # the rotation recipe: the file no longer asks for persistent secrets, and is loaded again
    path.write_text(FILE.replace("    persistent: true\n", ""))
    rows = con.execute(f"SELECT name, persistent, action FROM load_secrets_yaml({sql_str(path)})").fetchall()
    assert sorted(rows) == [("api", False, "replaced"), ("lake", False, "replaced")]
    con.close()
    assert list(secret_dir.iterdir()) == []
    con = connect()
    try:
        assert con.execute("SELECT count(*) FROM duckdb_secrets()").fetchone() == (0,)
        assert status(con) == []
    finally:
        con.close()


def test_a_failed_load_puts_the_records_back_too(setup, tmp_path):
    path, secret_dir, connect = setup
    con = connect()
    try:
        con.execute(f"FROM load_secrets_yaml({sql_str(path)})").fetchall()
        other = con.cursor()
        other.execute("BEGIN")
        # another connection's open transaction holds 'api' (DuckDB has already written its file):
        # its step fails after 'lake' ran
        other.execute("CREATE OR REPLACE PERSISTENT SECRET api (TYPE http, BEARER_TOKEN 'other')")
        before = {p.name: p.read_bytes() for p in secret_dir.iterdir()}
        with pytest.raises(duckdb.Error, match="nothing of this call was applied"):
            con.execute(f"FROM load_secrets_yaml({sql_str(path)})").fetchall()
        other.execute("ROLLBACK")
        assert {p.name: p.read_bytes() for p in secret_dir.iterdir()} == before
    finally:
        con.close()
