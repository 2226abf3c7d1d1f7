"""yamlsecrets against a real HTTP server that checks credentials: a `type: http` secret with
`bearer_token` opens /data.csv, one with `extra_http_headers` opens /keyed.csv (each scoped
to its URL), and a wrong value is refused by the server.

DuckDB does not show the server's 401/403: httpfs reports `HTTP 0 Internal Server Error`
(after its retries; `SET http_retries = 0` makes that immediate), so the tests also read the
server's log to prove the request reached it and was refused there.
"""
from pathlib import Path

import duckdb
import pytest

from servers.http_auth import http_auth_server  # noqa: F401  (session fixture)

YAML = str(Path(__file__).resolve().parent / "fixtures" / "http.yaml")
DATA_ROWS = [(1, "alpha"), (2, "beta"), (3, "gamma")]
KEYED_ROWS = [(10, "red"), (20, "green")]


def set_env(monkeypatch, server, token: str, key: str) -> None:
    monkeypatch.setenv("HTTP_URL", server.url)
    monkeypatch.setenv("HTTP_TOKEN", token)
    monkeypatch.setenv("HTTP_KEY", key)


def load(con, server):
    rows = con.execute(
        "SELECT name, scope, action, sql FROM load_secrets_yaml(?) ORDER BY name", [YAML]
    ).fetchall()
    assert [(r[0], r[1], r[2]) for r in rows] == [
        ("web_bearer", [f"{server.url}/data.csv"], "created"),
        ("web_key", [f"{server.url}/keyed.csv"], "created"),
    ]
    return {r[0]: r[3] for r in rows}


def test_bearer_token_and_header(connect, monkeypatch, http_auth_server):
    s = http_auth_server
    set_env(monkeypatch, s, s.token, s.api_key)
    con = connect("httpfs")
    sql = load(con, s)
    assert "BEARER_TOKEN '***'" in sql["web_bearer"] and s.token not in sql["web_bearer"]
    assert s.api_key not in sql["web_key"]

    assert con.execute(f"FROM read_csv('{s.url}/data.csv') ORDER BY id").fetchall() == DATA_ROWS
    assert con.execute(f"FROM read_csv('{s.url}/keyed.csv') ORDER BY id").fetchall() == KEYED_ROWS


def refused(con, server, path: str, wrong: str) -> str:
    """Read `path`, expect DuckDB's error; returns the statuses the server logged meanwhile."""
    before = server.log.stat().st_size
    with pytest.raises(duckdb.HTTPException) as err:
        con.execute(f"FROM read_csv('{server.url}{path}')").fetchall()
    text = str(err.value)
    assert f"HTTP GET error on '{server.url}{path}'" in text, text
    assert "HTTP 0 Internal Server Error" in text, text
    assert wrong not in text
    with open(server.log, "rb") as f:
        f.seek(before)
        return f.read().decode()


def test_wrong_token_and_key_are_refused(connect, monkeypatch, http_auth_server):
    s = http_auth_server
    bad_token, bad_key = "tok-wrong-" + s.token[-6:], "key-wrong-" + s.api_key[-6:]
    set_env(monkeypatch, s, bad_token, bad_key)
    con = connect("httpfs")
    con.execute("SET http_retries = 0")
    load(con, s)

    log = refused(con, s, "/data.csv", bad_token)
    assert '"GET /data.csv HTTP/1.1" 401' in log or '"HEAD /data.csv HTTP/1.1" 401' in log, log
    log = refused(con, s, "/keyed.csv", bad_key)
    assert '"GET /keyed.csv HTTP/1.1" 403' in log or '"HEAD /keyed.csv HTTP/1.1" 403' in log, log

    # Rotation: the right values in the variables, the file loaded again, the reads work.
    set_env(monkeypatch, s, s.token, s.api_key)
    actions = con.execute("SELECT action FROM load_secrets_yaml(?)", [YAML]).fetchall()
    assert actions == [("replaced",), ("replaced",)]
    assert con.execute(f"FROM read_csv('{s.url}/data.csv') ORDER BY id").fetchall() == DATA_ROWS
    assert con.execute(f"FROM read_csv('{s.url}/keyed.csv') ORDER BY id").fetchall() == KEYED_ROWS


def test_no_secret_no_access(connect, http_auth_server):
    """The server really checks: without a secret both paths are refused."""
    s = http_auth_server
    con = connect("httpfs")
    con.execute("SET http_retries = 0")
    assert '401' in refused(con, s, "/data.csv", s.token)
    assert '403' in refused(con, s, "/keyed.csv", s.api_key)
