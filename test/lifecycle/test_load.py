"""Loading the extension: by path in the CLI, by name after INSTALL, in Python; and a panic
at LOAD or inside a call becomes a SQL error while the host process lives on."""
import os
from pathlib import Path
import subprocess

import duckdb
import pytest

from ys_testlib import ROOT
from ys_testlib import extension_path as extension

CLI = os.environ.get("YS_DUCKDB_CLI", str(ROOT / "build" / "test-env" / "bin" / "duckdb"))


@pytest.fixture
def secrets_file(tmp_path):
    path = tmp_path / "secrets.yaml"
    path.write_text("secrets:\n  api:\n    type: http\n    bearer_token: ${YS_LOAD_TOKEN}\n")
    return path


def cli(sql: str, env_extra=None, cwd=None) -> subprocess.CompletedProcess:
    if not Path(CLI).is_file():
        pytest.skip(f"no DuckDB CLI wheel for this DuckDB ({CLI} missing)")
    env = dict(os.environ, YS_LOAD_TOKEN="load-test-token-1")
    env.update(env_extra or {})
    return subprocess.run([CLI, "-unsigned", "-csv", "-c", sql], capture_output=True, text=True, env=env, cwd=cwd, timeout=60)


def test_cli_loads_by_path(secrets_file):
    run = cli(f"LOAD '{extension()}'; SELECT name, action FROM load_secrets_yaml('{secrets_file}');")
    assert run.returncode == 0, run.stderr
    assert "api,created" in run.stdout


def test_cli_loads_by_name_after_install(tmp_path, secrets_file):
    ext_dir = tmp_path / "extensions"
    install = cli(f"SET extension_directory = '{ext_dir}'; INSTALL '{extension()}';")
    assert install.returncode == 0, install.stderr
    assert list(ext_dir.rglob("yamlsecrets.duckdb_extension")), "INSTALL put no file in the extension directory"
    run = cli(f"SET extension_directory = '{ext_dir}'; LOAD yamlsecrets; SELECT name, action FROM load_secrets_yaml('{secrets_file}');")
    assert run.returncode == 0, run.stderr
    assert "api,created" in run.stdout


def test_python_loads(secrets_file, monkeypatch):
    monkeypatch.setenv("YS_LOAD_TOKEN", "python-token-2")
    con = duckdb.connect(config={"allow_unsigned_extensions": "true"})
    con.load_extension(extension())
    rows = con.sql(f"SELECT name, type, action FROM load_secrets_yaml('{secrets_file}')").fetchall()
    assert rows == [("api", "http", "created")]
    assert con.sql("SELECT name FROM duckdb_secrets()").fetchall() == [("api",)]


def test_panic_at_load_is_a_load_error_and_the_process_lives(monkeypatch):
    con = duckdb.connect(config={"allow_unsigned_extensions": "true"})
    monkeypatch.setenv("YAMLSECRETS_TEST_PANIC", "load")
    with pytest.raises(duckdb.Error, match="yamlsecrets failed to load: internal panic during initialisation"):
        con.execute(f"LOAD '{extension()}'")
    # this very process is still alive and its database still answers
    assert con.execute("SELECT 42").fetchone() == (42,)
    monkeypatch.delenv("YAMLSECRETS_TEST_PANIC")
    con.execute(f"LOAD '{extension()}'")
    assert con.execute("SELECT count(*) FROM yamlsecrets_types()").fetchone()[0] > 0


def test_panic_inside_a_call_is_a_sql_error_and_the_process_lives(secrets_file, monkeypatch):
    con = duckdb.connect(config={"allow_unsigned_extensions": "true"})
    con.execute(f"LOAD '{extension()}'")
    monkeypatch.setenv("YS_LOAD_TOKEN", "panic-token-3")
    monkeypatch.setenv("YAMLSECRETS_TEST_PANIC", "call")
    with pytest.raises(duckdb.Error) as raised:
        con.execute(f"FROM load_secrets_yaml('{secrets_file}')").fetchall()
    assert "stopped on an internal error" in str(raised.value)  # the payload is never shown: it could quote a value
    assert "panic-token-3" not in str(raised.value)
    assert con.execute("SELECT 42").fetchone() == (42,)
    assert con.execute("SELECT count(*) FROM duckdb_secrets()").fetchone() == (0,)
    monkeypatch.delenv("YAMLSECRETS_TEST_PANIC")
    assert con.execute(f"SELECT action FROM load_secrets_yaml('{secrets_file}')").fetchall() == [("created",)]
