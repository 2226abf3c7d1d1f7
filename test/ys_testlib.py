"""Helpers shared by the Python test suites (test/lifecycle, test/e2e, test/security): where the
extension under test is, and a DuckDB connection that loads it.

Each suite's conftest.py puts test/ on sys.path, so test modules `import ys_testlib`.
"""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXTENSION_FILE = "yamlsecrets.duckdb_extension"
# DuckDB settings: the extension is unsigned; no extension installed or loaded behind a test's back.
UNSIGNED = {"allow_unsigned_extensions": "true"}
NO_AUTOLOAD = {"autoinstall_known_extensions": "false", "autoload_known_extensions": "false"}


def sql_str(value) -> str:
    """A SQL string literal."""
    return "'" + str(value).replace("'", "''") + "'"


def built_extension() -> Path | None:
    """build/release/, else build/debug/ yamlsecrets.duckdb_extension; None if neither is built."""
    for flavour in ("release", "debug"):
        candidate = ROOT / "build" / flavour / EXTENSION_FILE
        if candidate.is_file():
            return candidate
    return None


def extension_file() -> Path:
    """$YS_EXTENSION (resolved), else the built extension, else build/release's path (missing:
    the caller reports it)."""
    configured = os.environ.get("YS_EXTENSION")
    if configured:
        return Path(configured).resolve()
    return built_extension() or ROOT / "build" / "release" / EXTENSION_FILE


def extension_path() -> str:
    """$YS_EXTENSION as given, else the built extension; skips the test if there is none."""
    configured = os.environ.get("YS_EXTENSION")
    if configured:
        return configured
    built = built_extension()
    if built is None:
        import pytest

        pytest.skip("no built extension: run make first")
    return str(built)


def extension_dir() -> str:
    """$YS_EXTENSION_DIR, else build/test-env/extensions (DuckDB's own extensions, installed by
    scripts/test-env.sh)."""
    return os.environ.get("YS_EXTENSION_DIR") or str(ROOT / "build" / "test-env" / "extensions")


def has_extension_wheels() -> bool:
    """Whether DuckDB's own extensions (httpfs, postgres, ...) exist for the DuckDB under test.
    scripts/run-tests.sh says so per version of the matrix (only the primary one has them)."""
    return os.environ.get("YS_EXTENSION_WHEELS", "wheels") == "wheels"


def skip_without_extension_wheels(names) -> None:
    """Skips the calling test when it needs DuckDB extensions this DuckDB has no build of here."""
    if names and not has_extension_wheels():
        import pytest

        pytest.skip(f"needs DuckDB's {', '.join(names)}: no build of it for DuckDB "
                    f"{os.environ.get('YS_DUCKDB_VERSION', '?')} here")


def connect(database=":memory:", *, config=None, extension_directory=None, extensions=(), load=None):
    """A DuckDB connection that allows unsigned extensions (`config` on top), with
    extension_directory set when given, then LOAD of each of `extensions` and of the extension
    file `load`. If a LOAD fails the connection is closed and the error raised. A test that
    needs extensions this DuckDB has no build of is skipped."""
    import duckdb

    skip_without_extension_wheels(list(extensions))

    con = duckdb.connect(str(database), config={**UNSIGNED, **(config or {})})
    try:
        if "secret_directory" in (config or {}):
            # duckdb 1.4's Python client ignores secret_directory at connect: set it again
            # (allowed until the first secret is used), or persistent secrets land in ~/.duckdb.
            con.execute(f"SET secret_directory = {sql_str(config['secret_directory'])}")
        if extension_directory is not None:
            con.execute(f"SET extension_directory = {sql_str(extension_directory)}")
        for name in extensions:
            con.execute(f"LOAD {name}")
        if load is not None:
            con.execute(f"LOAD {sql_str(load)}")
    except BaseException:
        con.close()
        raise
    return con
