"""Helpers shared by the lifecycle tests (a module with a unique name, importable from tests)."""

from ys_testlib import sql_str  # noqa: F401  (re-exported; conftest.py puts test/ on sys.path)


def secret_names(con) -> set:
    """The secrets the given connection (or cursor) sees."""
    return {row[0] for row in con.execute("SELECT name FROM duckdb_secrets()").fetchall()}


def load_query(path, **named) -> str:
    args = [sql_str(path)] + [f"{k} := {v}" for k, v in named.items()]
    return f"SELECT name, action FROM load_secrets_yaml({', '.join(args)})"
