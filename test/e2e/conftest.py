"""Shared pytest setup for test/e2e: the extension under test and a connection factory.

Server fixtures live in test/e2e/servers/, one module per server, each starting its server on
127.0.0.1 (idempotently, by PID file) and stopping it at the end of the session.
"""
import pathlib
import sys

import pytest

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))  # test/: ys_testlib

import ys_testlib  # noqa: E402
from ys_testlib import extension_dir, extension_path  # noqa: E402


@pytest.fixture
def connect(tmp_path):
    """connect(*extensions) -> a DuckDB connection with yamlsecrets and the given extensions
    loaded, persistent secrets kept in tmp_path (never in ~/.duckdb)."""
    opened = []

    def factory(*extensions, database=":memory:", **config):
        settings = {**ys_testlib.NO_AUTOLOAD, "secret_directory": str(tmp_path / "stored_secrets"), **config}
        con = ys_testlib.connect(database, config=settings, extension_directory=extension_dir(),
                                 extensions=extensions, load=extension_path())
        opened.append(con)
        return con

    yield factory
    for con in opened:
        try:
            con.close()
        except Exception:
            pass
