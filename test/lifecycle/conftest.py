"""Shared fixtures for the lifecycle tests of the yamlsecrets extension.

The extension under test comes from $YS_EXTENSION; without it, build/release/ then
build/debug/ of the repository. Every test gets a watchdog so that a hang (the symptom of a
pinned database) ends the run with a traceback instead of blocking it forever; the steps that
are expected to hang when the extension misbehaves run in threads or subprocesses with their
own, shorter timeouts, so that they fail one test, not the suite.
"""

import faulthandler
import gc
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # test/: ys_testlib

import ys_testlib  # noqa: E402
from ys_lifecycle_helpers import secret_names, sql_str  # noqa: E402,F401  (re-exported)

CONFIG = dict(ys_testlib.UNSIGNED)
# Per test; far above what any test needs (the slowest waits ~20 s on a hang on purpose).
WATCHDOG_SECONDS = 90


@pytest.fixture(scope="session")
def extension_path() -> Path:
    path = ys_testlib.extension_file()
    assert path.is_file(), f"no extension at {path}: run `make` or `make debug`, or set YS_EXTENSION"
    return path


@pytest.fixture(autouse=True)
def _watchdog_and_cleanup(tmp_path):
    """Kills the run if a test hangs; removes everything the test wrote under tmp_path.

    Autouse fixtures are set up first and torn down last, so connections opened through
    `open_db` are closed before the files go.
    """
    faulthandler.dump_traceback_later(WATCHDOG_SECONDS, exit=True)
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()
        gc.collect()
        shutil.rmtree(tmp_path, ignore_errors=True)


@pytest.fixture
def open_db(extension_path):
    """open_db(database=':memory:') -> a connection with the extension loaded; closed at teardown."""
    opened = []

    def _open(database=":memory:"):
        con = ys_testlib.connect(database, config=CONFIG, load=extension_path)
        opened.append(con)
        return con

    yield _open
    for con in reversed(opened):
        try:
            con.close()
        except Exception:
            pass


@pytest.fixture
def secrets_file(tmp_path, monkeypatch):
    """secrets_file(filename, [names]) -> path of a YAML file defining one `http` secret per name.

    Each secret takes its bearer token from an environment variable set here, and has the
    scope https://<name>.example.com/ (so `which_secret` can find it).
    """

    def _write(filename, names):
        lines = ["version: 1", "secrets:"]
        for name in names:
            variable = f"YS_LIFECYCLE_TOKEN_{name.upper()}"
            monkeypatch.setenv(variable, f"token-for-{name}")
            lines += [
                f"  {name}:",
                "    type: http",
                f"    bearer_token: ${{{variable}}}",
                f"    scope: https://{name}.example.com/",
            ]
        path = tmp_path / filename
        path.write_text("\n".join(lines) + "\n")
        return path

    return _write


@pytest.fixture
def run_python(extension_path):
    """run_python(code, timeout) -> CompletedProcess of `python -c code` in a fresh process.

    The code sees EXTENSION (the extension's path), CONFIG and sql_str. A timeout fails the
    test (the child is killed) instead of hanging the suite.
    """

    def _run(code, timeout):
        prelude = textwrap.dedent(
            f"""
            import duckdb, gc, os, sys, threading
            EXTENSION = {str(extension_path)!r}
            CONFIG = {CONFIG!r}
            def sql_str(value):
                return "'" + str(value).replace("'", "''") + "'"
            """
        )
        script = prelude + textwrap.dedent(code)
        try:
            return subprocess.run(
                [sys.executable, "-c", script],
                capture_output=True,
                text=True,
                timeout=timeout,
                env=dict(os.environ),
            )
        except subprocess.TimeoutExpired as timeout_error:
            pytest.fail(
                f"subprocess did not finish within {timeout} s (hang)\n"
                f"stdout: {timeout_error.stdout!r}\nstderr: {timeout_error.stderr!r}"
            )

    return _run
