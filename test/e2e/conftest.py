"""Shared pytest setup for test/e2e: the extension under test and a connection factory.

Server fixtures live in test/e2e/servers/, one module per server, each starting its server on
127.0.0.1 (idempotently, by PID file) and stopping it at the end of the session.
"""
import os
import pathlib
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))


def extension_path() -> str:
    explicit = os.environ.get("YS_EXTENSION")
    if explicit:
        return explicit
    for flavour in ("release", "debug"):
        candidate = ROOT / "build" / flavour / "yamlsecrets.duckdb_extension"
        if candidate.exists():
            return str(candidate)
    pytest.skip("no built extension: run make first")


def extension_dir() -> str:
    return os.environ.get("YS_EXTENSION_DIR", str(ROOT / "build" / "test-env" / "extensions"))


@pytest.fixture
def connect(tmp_path):
    """connect(*extensions) -> a DuckDB connection with yamlsecrets and the given extensions
    loaded, persistent secrets kept in tmp_path (never in ~/.duckdb)."""
    import duckdb

    opened = []

    def factory(*extensions, database=":memory:", **config):
        settings = {
            "allow_unsigned_extensions": "true",
            "autoinstall_known_extensions": "false",
            "autoload_known_extensions": "false",
            "secret_directory": str(tmp_path / "stored_secrets"),
        }
        settings.update(config)
        con = duckdb.connect(database, config=settings)
        con.execute(f"SET extension_directory = '{extension_dir()}'")
        for name in extensions:
            con.execute(f"LOAD {name}")
        con.execute(f"LOAD '{extension_path()}'")
        opened.append(con)
        return con

    yield factory
    for con in opened:
        try:
            con.close()
        except Exception:
            pass
