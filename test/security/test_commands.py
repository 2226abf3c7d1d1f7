"""`${cmd:…}` against leaks and hangs (SECURITY.md, "Commands"):

- a failing command's standard error is scrubbed of every value of the call, not only of
  what the command itself printed, and only then cut: a value of another secret that the
  command echoes is not shown, whole or split by the cut;
- a grandchild that left the command's process group (`setsid`) and keeps its output open
  neither holds the call for the whole time limit nor leaves a thread of the host process
  blocked on the pipe;
- `secrets_check(…, allow_commands := true)` shows the command lines it would run with
  their credentials as `***`.
"""
from __future__ import annotations

import os
import pathlib
import signal
import time

import pytest

duckdb = pytest.importorskip("duckdb")

import ys_testlib  # noqa: E402
from ys_testlib import extension_dir, extension_path, sql_str  # noqa: E402

CANARY = "CANARY-cmd-3f9e2a7c41"


@pytest.fixture
def con(tmp_path):
    settings = {**ys_testlib.NO_AUTOLOAD, "secret_directory": str(tmp_path / "stored_secrets")}
    con = ys_testlib.connect(config=settings, extension_directory=extension_dir(),
                             extensions=("httpfs",), load=extension_path())
    yield con
    con.close()


def load_error(con, path: pathlib.Path, extra: str = ", allow_commands := true") -> str:
    with pytest.raises(duckdb.Error) as info:
        con.sql(f"FROM load_secrets_yaml({sql_str(path)}{extra})").fetchall()
    return str(info.value)


def assert_no_piece(text: str, value: str, piece: int = 8) -> None:
    """No run of `piece` characters of `value` appears in `text`, in any ASCII case."""
    low = text.lower()
    for start in range(len(value) - piece + 1):
        assert value[start:start + piece].lower() not in low, f"part of the value shows in: {text!r}"


@pytest.mark.parametrize("offset", [pytest.param(10, id="inside"), pytest.param(385, id="split_by_the_cut")])
def test_stderr_is_scrubbed_of_every_value_of_the_call(con, tmp_path, monkeypatch, offset):
    # `other` holds the value; the failing command of `broken` repeats it on its standard
    # error, `offset` characters in (385: the first 15 characters fall before the 400th).
    monkeypatch.setenv("YS_SEC_OTHER", CANARY)
    path = tmp_path / "secrets.yaml"
    path.write_text(
        "secrets:\n"
        "  other:\n    type: http\n    bearer_token: ${YS_SEC_OTHER}\n"
        "  broken:\n    type: http\n"
        f"    bearer_token: \"${{cmd:sh -c 'printf %0{offset}d 0 >&2; printf %s \\\"$YS_SEC_OTHER\\\" >&2; exit 4'}}\"\n"
    )
    err = load_error(con, path)
    assert "command 'sh' failed with exit status 4: 0000" in err, err
    assert "***" in err, err
    assert_no_piece(err, CANARY)


@pytest.fixture
def grandchild_pid(tmp_path):
    pidfile = tmp_path / "grandchild.pid"
    yield pidfile
    try:
        os.kill(int(pidfile.read_text().strip()), signal.SIGKILL)
    except (OSError, ValueError):
        pass


def thread_count() -> int:
    return len(os.listdir("/proc/self/task"))


def test_a_setsid_grandchild_neither_holds_the_call_nor_a_thread(con, tmp_path, grandchild_pid):
    # The grandchild leaves the process group (so the time limit cannot kill it) and keeps
    # the command's standard output and error open for a minute.
    script = tmp_path / "daemonize.sh"
    script.write_text(f"setsid sh -c 'echo $$ > {grandchild_pid}; exec sleep 60' &\necho value\n")
    path = tmp_path / "secrets.yaml"
    path.write_text(f"secrets:\n  api:\n    type: http\n    bearer_token: ${{cmd:sh {script}}}\n")
    con.sql("SELECT 1").fetchall()  # DuckDB's own threads are up before counting
    before = thread_count()
    started = time.monotonic()
    err = load_error(con, path)
    elapsed = time.monotonic() - started
    assert "kept its output open" in err, err
    assert elapsed < 5, f"the default time limit is 30 s; the call took {elapsed:.1f} s"
    assert grandchild_pid.exists(), "the grandchild should still be alive, holding the pipe"
    time.sleep(0.2)
    assert thread_count() <= before, "a thread is left reading a pipe the grandchild holds"


def test_secrets_check_shows_command_lines_without_credentials(con, tmp_path):
    path = tmp_path / "secrets.yaml"
    path.write_text(
        "secrets:\n"
        "  curl_user:\n    type: http\n"
        f"    bearer_token: \"${{cmd:curl -s -u admin:{CANARY}-a https://vault.example.com/token}}\"\n"
        "  mysql_p:\n    type: http\n"
        f"    bearer_token: \"${{cmd:mysql -uroot -p{CANARY}-b -N -e 'select 1'}}\"\n"
        "  env_var:\n    type: http\n"
        f"    bearer_token: \"${{cmd:env VAULT_TOKEN={CANARY}-c vault kv get -field=token secret/app}}\"\n"
        "  url:\n    type: http\n"
        f"    bearer_token: \"${{cmd:fetch https://bot:{CANARY}-d@git.example.com/t?access_token={CANARY}-e}}\"\n"
        "  flag:\n    type: http\n"
        f"    bearer_token: \"${{cmd:tool --password {CANARY}-f --client-secret={CANARY}-g}}\"\n"
    )
    rows = con.sql(
        f"SELECT name, message FROM secrets_check({sql_str(path)}, allow_commands := true) "
        "WHERE message LIKE 'would run%' ORDER BY name"
    ).fetchall()
    shown = dict(rows)
    assert shown == {
        "curl_user": "would run the command: curl -s -u admin:*** https://vault.example.com/token",
        "env_var": "would run the command: env VAULT_TOKEN=*** vault kv get -field=token secret/app",
        "flag": "would run the command: tool --password *** --client-secret=***",
        "mysql_p": "would run the command: mysql -uroot -p*** -N -e 'select 1'",
        "url": "would run the command: fetch https://bot:***@git.example.com/t?access_token=***",
    }, shown
    assert CANARY.lower() not in str(rows).lower()
