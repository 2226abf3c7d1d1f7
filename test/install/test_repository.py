"""Install by name, in the DuckDB under test: `make repository` lays out
build/repository/v<version>/<platform>/yamlsecrets.duckdb_extension for every supported
version, and `INSTALL yamlsecrets FROM '<folder>'; LOAD yamlsecrets;` must then work, and the
extension must do its whole job: load, dry run, secrets_check, yaml_secrets, unload, with the
right database chosen when two are open. Run once per DuckDB of versions.toml by
scripts/run-tests.sh; the CLI is tried where a CLI wheel exists (YS_DUCKDB_CLI)."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import duckdb
import pytest

import ys_testlib
from ys_testlib import sql_str

REPOSITORY = ys_testlib.ROOT / "build" / "repository"
PLATFORM = "linux_amd64"


@pytest.fixture
def secrets_yaml(tmp_path, monkeypatch):
    monkeypatch.setenv("YS_INSTALL_TOKEN", "install-test-token-1234")
    path = tmp_path / "secrets.yaml"
    path.write_text(
        "secrets:\n"
        "  api:\n"
        "    type: http\n"
        "    bearer_token: ${YS_INSTALL_TOKEN}\n"
        "    scope: https://api.example.com/\n"
        "  other:\n"
        "    type: http\n"
        "    bearer_token: ${YS_INSTALL_TOKEN}\n"
        "    scope: https://other.example.com/\n"
    )
    return path


def test_repository_has_this_version():
    version = duckdb.__version__
    file = REPOSITORY / f"v{version}" / PLATFORM / "yamlsecrets.duckdb_extension"
    assert file.is_file(), f"{file} missing: run `make repository`"


def installed(database, extension_directory: Path):
    con = duckdb.connect(str(database), config={"allow_unsigned_extensions": "true"})
    con.execute(f"SET extension_directory = {sql_str(extension_directory)}")
    con.execute(f"INSTALL yamlsecrets FROM {sql_str(REPOSITORY)}")
    con.execute("LOAD yamlsecrets")
    return con


def secret_names(con) -> set[str]:
    return {row[0] for row in con.execute("SELECT name FROM duckdb_secrets()").fetchall()}


def test_install_by_name_then_the_whole_job(tmp_path, secrets_yaml):
    con = installed(":memory:", tmp_path / "extensions")
    installed_file = tmp_path / "extensions" / f"v{duckdb.__version__}" / PLATFORM / "yamlsecrets.duckdb_extension"
    assert installed_file.is_file(), "INSTALL did not put the file where DuckDB looks for it"
    row = con.execute(
        "SELECT extension_name, loaded, installed FROM duckdb_extensions() WHERE extension_name = 'yamlsecrets'"
    ).fetchall()
    assert row == [("yamlsecrets", True, True)]

    dry = con.execute(f"SELECT name, action FROM load_secrets_yaml({sql_str(secrets_yaml)}, dry_run := true) ORDER BY 1").fetchall()
    assert dry == [("api", "dry_run"), ("other", "dry_run")]
    assert secret_names(con) == set()

    errors = con.execute(f"SELECT * FROM secrets_check({sql_str(secrets_yaml)}) WHERE severity = 'error'").fetchall()
    assert errors == []

    loaded = con.execute(f"SELECT name, action FROM load_secrets_yaml({sql_str(secrets_yaml)}) ORDER BY 1").fetchall()
    assert loaded == [("api", "created"), ("other", "created")]
    assert secret_names(con) == {"api", "other"}
    assert con.execute("SELECT name FROM which_secret('https://api.example.com/x', 'http')").fetchall() == [("api",)]

    provenance = con.execute("SELECT name, status FROM yaml_secrets() ORDER BY 1").fetchall()
    assert provenance == [("api", "ok"), ("other", "ok")]
    assert con.execute("SELECT secrets_check()").fetchall() == [("ok",)]

    unloaded = con.execute(f"SELECT name, action FROM unload_secrets_yaml({sql_str(secrets_yaml)}) ORDER BY 1").fetchall()
    assert unloaded == [("api", "dropped"), ("other", "dropped")]
    assert secret_names(con) == set()
    con.close()


def test_two_databases_each_get_their_own_secrets(tmp_path, secrets_yaml):
    extensions = tmp_path / "extensions"
    first = installed(tmp_path / "first.duckdb", extensions)
    second = installed(tmp_path / "second.duckdb", extensions)
    first.execute(f"FROM load_secrets_yaml({sql_str(secrets_yaml)}, names := ['api'])").fetchall()
    second.execute(f"FROM load_secrets_yaml({sql_str(secrets_yaml)}, names := ['other'])").fetchall()
    assert secret_names(first) == {"api"}
    assert secret_names(second) == {"other"}
    assert [r[0] for r in second.execute("SELECT name FROM yaml_secrets()").fetchall()] == ["other"]
    first.close()
    second.close()


def test_cli_installs_and_loads_by_name(tmp_path, secrets_yaml):
    cli = os.environ.get("YS_DUCKDB_CLI")
    if not cli or not Path(cli).is_file():
        pytest.skip(f"no DuckDB CLI wheel for DuckDB {duckdb.__version__}")
    script = (
        f"SET extension_directory = {sql_str(tmp_path / 'extensions')};"
        f"INSTALL yamlsecrets FROM {sql_str(REPOSITORY)};"
        "LOAD yamlsecrets;"
        f"SELECT name || ':' || action FROM load_secrets_yaml({sql_str(secrets_yaml)}) ORDER BY 1;"
        "SELECT count(*) || ' secrets' FROM duckdb_secrets();"
    )
    out = subprocess.run([cli, "-unsigned", "-noheader", "-list", "-c", script], capture_output=True, text=True,
                         timeout=60, env={**os.environ})
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["api:created", "other:created", "2", "secrets"]
    assert "install-test-token-1234" not in out.stdout + out.stderr
