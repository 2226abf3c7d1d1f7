"""Drift checks read as carefully as loads (SECURITY.md, "Bounded input" and "Policy"): a
FIFO, socket or device given anywhere — the secrets file, `${file:}`, `env_file` — is
refused at once, whoever reads it (a load, `secrets_check()`, `yaml_secrets()`); and with
`enable_external_access = false` the drift checks read nothing either.

A FIFO opened the ordinary way blocks until a writer comes, which would hang the test run:
every scenario runs in a child process with a time limit.
"""
import os
import subprocess
import sys
import textwrap

import pytest

from ys_testlib import UNSIGNED, extension_path

TIME_LIMIT = 30


def run(code: str, tmp_path) -> subprocess.CompletedProcess:
    prelude = textwrap.dedent(
        f"""
        import duckdb, os, pathlib, resource
        D = pathlib.Path({str(tmp_path)!r})
        con = duckdb.connect(config={UNSIGNED!r})
        con.execute("LOAD '{extension_path()}'")
        def fails(sql):
            try:
                con.execute(sql).fetchall()
            except duckdb.Error as e:
                return str(e)
            raise AssertionError("no error: " + sql)
        """
    )
    try:
        return subprocess.run(
            [sys.executable, "-c", prelude + textwrap.dedent(code)],
            capture_output=True,
            text=True,
            timeout=TIME_LIMIT,
            env=dict(os.environ, YS_SPECIAL_TOKEN="special-token-1"),
        )
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"blocked for {TIME_LIMIT} s (a FIFO was opened for reading?)\nstdout: {e.stdout!r}\nstderr: {e.stderr!r}")


def ok(result: subprocess.CompletedProcess):
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


@pytest.mark.parametrize("where", ["path", "file_reference", "env_file_option", "env_file_parameter"])
def test_a_fifo_anywhere_is_refused_at_once(tmp_path, where):
    os.mkfifo(tmp_path / "fifo")
    out = ok(
        run(
            f"""
            where = {where!r}
            secret = "secrets:\\n  api:\\n    type: http\\n    bearer_token: {{}}\\n"
            if where == "path":
                path, named = D / "fifo", ""
            elif where == "file_reference":
                (D / "s.yaml").write_text(secret.format("${{file:fifo}}"))
                path, named = D / "s.yaml", ""
            elif where == "env_file_option":
                (D / "s.yaml").write_text("options:\\n  env_file: fifo\\n" + secret.format("${{YS_SPECIAL_TOKEN}}"))
                path, named = D / "s.yaml", ""
            else:
                (D / "s.yaml").write_text(secret.format("${{YS_SPECIAL_TOKEN}}"))
                path, named = D / "s.yaml", f", env_file := '{{D / 'fifo'}}'"
            for function in ("load_secrets_yaml", "secrets_check"):
                message = fails(f"FROM {{function}}('{{path}}'{{named}})") if function == "load_secrets_yaml" else None
                if message is None:
                    rows = con.execute(f"SELECT message FROM secrets_check('{{path}}'{{named}})").fetchall()
                    message = " ".join(r[0] for r in rows)
                print(function, message)
                assert "not a regular file" in message, message
            assert con.execute("SELECT count(*) FROM duckdb_secrets()").fetchone() == (0,)
            """,
            tmp_path,
        )
    )
    assert out.count("not a regular file") == 2, out


def test_drift_checks_survive_a_file_swapped_for_dev_zero_or_a_fifo(tmp_path):
    out = ok(
        run(
            """
            (D / "s.yaml").write_text("options:\\n  env_file: .env\\nsecrets:\\n  api:\\n    type: http\\n    bearer_token: ${TOKEN}\\n")
            (D / ".env").write_text("TOKEN=dotenv-token-1\\n")
            con.execute(f"FROM load_secrets_yaml('{D / 's.yaml'}')").fetchall()
            assert con.execute("SELECT secrets_check()").fetchone() == ("ok",)
            (D / "s.yaml").unlink()
            os.symlink("/dev/zero", D / "s.yaml")
            (D / ".env").unlink()
            os.mkfifo(D / ".env")
            before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            report = con.execute("SELECT secrets_check()").fetchone()[0]
            status = con.execute("SELECT status FROM yaml_secrets()").fetchall()
            grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
            print(report)
            assert "s.yaml can no longer be read" in report, report
            assert ".env can no longer be read" in report, report
            assert status == [("stale",)], status
            assert grown_mb < 50, grown_mb
            """,
            tmp_path,
        )
    )
    assert "can no longer be read" in out


def test_drift_checks_read_nothing_without_external_access(tmp_path):
    ok(
        run(
            """
            (D / "s.yaml").write_text("secrets:\\n  api:\\n    type: http\\n    bearer_token: ${YS_SPECIAL_TOKEN}\\n")
            con.execute(f"FROM load_secrets_yaml('{D / 's.yaml'}')").fetchall()
            con.execute("SET enable_external_access = false")
            for sql in ("SELECT secrets_check()", "FROM yaml_secrets()"):
                message = fails(sql)
                assert "enable_external_access is false" in message, (sql, message)
            """,
            tmp_path,
        )
    )
