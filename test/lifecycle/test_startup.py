"""Secrets at start-up: with YAMLSECRETS_FILE naming files (separated by ':'), `LOAD
yamlsecrets` loads them itself. A problem fails the LOAD with the file's report and leaves
DuckDB usable; the next LOAD, once fixed, works."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import duckdb
import pytest

import ys_testlib
from ys_testlib import sql_str

TOKEN = "startup-canary-5150"


def http_file(tmp_path: Path, name: str, secret: str, token_ref: str = "${YS_STARTUP_TOKEN}") -> Path:
    path = tmp_path / name
    path.write_text(f"secrets:\n  {secret}:\n    type: http\n    bearer_token: {token_ref}\n"
                    f"    scope: https://{secret}.example.com/\n")
    return path


def names(con) -> list[str]:
    return sorted(r[0] for r in con.execute("SELECT name FROM duckdb_secrets()").fetchall())


def test_load_loads_every_named_file(tmp_path, monkeypatch):
    first, second = http_file(tmp_path, "a.yaml", "boot_a"), http_file(tmp_path, "b.yaml", "boot_b")
    monkeypatch.setenv("YS_STARTUP_TOKEN", TOKEN)
    monkeypatch.setenv("YAMLSECRETS_FILE", f"{first}:{second}")
    con = ys_testlib.connect(load=ys_testlib.extension_path())
    assert names(con) == ["boot_a", "boot_b"]
    assert con.execute("SELECT name, status FROM yaml_secrets() ORDER BY 1").fetchall() == [("boot_a", "ok"), ("boot_b", "ok")]
    con.close()


def test_a_broken_file_fails_the_load_clearly_and_the_next_load_works(tmp_path, monkeypatch):
    path = http_file(tmp_path, "boot.yaml", "boot_api")
    monkeypatch.delenv("YS_STARTUP_TOKEN", raising=False)
    monkeypatch.setenv("YAMLSECRETS_FILE", str(path))
    con = duckdb.connect(config=ys_testlib.UNSIGNED)
    with pytest.raises(duckdb.Error) as failure:
        con.execute(f"LOAD {sql_str(ys_testlib.extension_path())}")
    message = str(failure.value)
    assert "YAMLSECRETS_FILE" in message and str(path) in message
    assert "boot.yaml:4:" in message and "YS_STARTUP_TOKEN" in message
    assert con.execute("SELECT 42").fetchall() == [(42,)]
    assert names(con) == []
    monkeypatch.setenv("YS_STARTUP_TOKEN", TOKEN)
    con.execute(f"LOAD {sql_str(ys_testlib.extension_path())}")
    assert names(con) == ["boot_api"]
    assert TOKEN not in message
    con.close()


def test_with_an_extension_type_loaded_first(tmp_path, monkeypatch):
    ys_testlib.skip_without_extension_wheels(["httpfs"])
    path = tmp_path / "lake.yaml"
    path.write_text("secrets:\n  lake:\n    type: s3\n    key_id: AKIASTARTUP\n    secret: ${YS_STARTUP_TOKEN}\n"
                    "    scope: s3://startup-bucket/\n")
    monkeypatch.setenv("YS_STARTUP_TOKEN", TOKEN)
    monkeypatch.setenv("YAMLSECRETS_FILE", str(path))
    con = ys_testlib.connect(extension_directory=ys_testlib.extension_dir(), extensions=("httpfs",),
                             load=ys_testlib.extension_path())
    assert con.execute("SELECT name, type FROM duckdb_secrets()").fetchall() == [("lake", "s3")]
    con.close()


def test_cli_loads_the_files_at_load(tmp_path):
    cli = os.environ.get("YS_DUCKDB_CLI") or str(ys_testlib.ROOT / "build" / "test-env" / "bin" / "duckdb")
    if not Path(cli).is_file():
        pytest.skip("no DuckDB CLI wheel for this DuckDB")
    path = http_file(tmp_path, "boot.yaml", "boot_cli")
    env = {**os.environ, "YS_STARTUP_TOKEN": TOKEN, "YAMLSECRETS_FILE": str(path)}
    script = f"LOAD {sql_str(ys_testlib.extension_path())}; SELECT name FROM duckdb_secrets();"
    run = subprocess.run([cli, "-unsigned", "-noheader", "-list", "-c", script], capture_output=True, text=True,
                         env=env, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["boot_cli"]
    assert TOKEN not in run.stdout + run.stderr
