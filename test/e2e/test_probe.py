"""test_secrets_yaml against the real servers: for PostgreSQL, MariaDB, S3 (moto with IAM),
azurite, the HTTP auth server and the Iceberg REST catalog, a right credential is `ok`, a
wrong one `refused` and the right one at a closed port of 127.0.0.1 `unreachable`, within the
timeout. The caller's secrets and attached databases are the same afterwards (and while the
tries run, no other connection sees a throwaway secret), and the canary password, or any other
value of the file, is in no row.
"""
from __future__ import annotations

import base64
import os
import pathlib
import socket
import threading
import time

import pytest

from servers._process import free_port
from servers.azurite import azurite_server  # noqa: F401  (session fixtures)
from servers.http_auth import http_auth_server  # noqa: F401
from servers.iceberg_rest import iceberg_rest_server  # noqa: F401
from servers.mariadb import mariadb_server  # noqa: F401
from servers.moto import moto  # noqa: F401
from servers.postgres import postgres_server  # noqa: F401

FIXTURES = pathlib.Path(__file__).resolve().parent / "fixtures"
YAML = str(FIXTURES / "probe.yaml")
HANG_YAML = str(FIXTURES / "probe-hang.yaml")
CANARY = "canary-Pw'9;x--Zq7"
EXTENSIONS = ("httpfs", "postgres_scanner", "mysql_scanner", "azure", "avro", "iceberg")
KINDS = ("pg", "my", "s3", "az", "http", "ice")
TIMEOUT_S = 2
# Our give-up point is the timeout plus a grace of 2 s; the slowest try must stay under it.
BOUND_MS = (TIMEOUT_S + 2) * 1000 + 500


def wrong_key(key: str) -> str:
    raw = bytearray(base64.b64decode(key))
    raw[0] ^= 0xFF
    return base64.b64encode(bytes(raw)).decode()


@pytest.fixture
def servers(monkeypatch, postgres_server, mariadb_server, moto, azurite_server, http_auth_server,  # noqa: F811
            iceberg_rest_server):
    pg, my, az, http, ice = postgres_server, mariadb_server, azurite_server, http_auth_server, iceberg_rest_server
    closed = free_port()
    reader = moto.users["reader"]
    env = {
        "CANARY": CANARY, "CLOSED_PORT": str(closed),
        "PG_PORT": str(pg.port), "PG_USER": pg.user, "PG_PASSWORD": pg.password, "PG_DATABASE": pg.database,
        "MY_PORT": str(my.port), "MY_USER": my.user, "MY_PASSWORD": my.password, "MY_DATABASE": my.database,
        "S3_KEY_ID": reader.key_id, "S3_SECRET": reader.secret, "S3_ENDPOINT": moto.endpoint,
        "S3_BUCKET": moto.bucket_data,
        "AZ_CONN": az.connection_string(), "AZ_CONN_WRONG": az.connection_string(wrong_key(az.key)),
        "AZ_CONN_DOWN": az.connection_string().replace(az.endpoint.split("/")[2], f"127.0.0.1:{closed}"),
        "AZ_CONTAINER": az.container,
        "HTTP_URL": http.url, "HTTP_TOKEN": http.token,
        "ICE_ENDPOINT": ice.endpoint, "ICE_CLIENT_ID": ice.client_id, "ICE_SECRET": ice.client_secret,
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    values = [CANARY, pg.password, my.password, reader.secret, az.key, wrong_key(az.key), http.token,
              ice.client_secret]
    return values


def state(con):
    secrets = con.execute("SELECT name, type, persistent, storage, scope FROM duckdb_secrets() ORDER BY name").fetchall()
    databases = con.execute("SELECT database_name FROM duckdb_databases() ORDER BY 1").fetchall()
    return secrets, databases


def probe(con, path, **params):
    args = "".join(f", {k} := {v}" for k, v in params.items())
    cur = con.execute(f"FROM test_secrets_yaml('{path}'{args})")
    cols = [d[0] for d in cur.description]
    return {row[0]: dict(zip(cols, row)) for row in cur.fetchall()}


def callers_own_secrets(con, servers_values, tmp_path):
    """The caller's own secrets, of the same types and scopes as the file's: they must stay."""
    con.execute("CREATE SECRET callers_s3 (TYPE s3, KEY_ID 'AKIACALLER', SECRET 'caller-secret', "
                "SCOPE 's3://ys-data')")
    con.execute("CREATE SECRET callers_http (TYPE http, BEARER_TOKEN 'caller-token')")
    con.execute(f"ATTACH '{tmp_path / 'callers.duckdb'}' AS callers_db")


def test_every_server_ok_refused_unreachable(connect, servers, tmp_path):
    con = connect(*EXTENSIONS)
    callers_own_secrets(con, servers, tmp_path)
    before = state(con)
    started = time.monotonic()
    rows = probe(con, YAML, timeout=TIMEOUT_S)
    took = time.monotonic() - started

    text = repr(rows)
    for value in servers:
        assert value not in text, f"a value of the file is in a row: {value!r}"
    assert "canary" not in text.lower()

    got = {name: r["status"] for name, r in rows.items()}
    want = {f"{k}_{case}": status for k in KINDS
            for case, status in (("ok", "ok"), ("wrong", "refused"), ("down", "unreachable"))}
    want["s3_anywhere"] = "untestable"
    want["az_test_path"] = "ok"
    assert got == want, {n: (r["status"], r["message"]) for n, r in rows.items() if got[n] != want.get(n)}
    for name, r in rows.items():
        assert r["elapsed_ms"] <= BOUND_MS, (name, r)
        assert (r["message"] == "") == (r["status"] == "ok"), (name, r)
    # Tried at once: the whole file takes about one timeout, not one per secret.
    assert took < BOUND_MS / 1000 + 2, took
    assert "scope" in rows["s3_anywhere"]["message"]
    assert rows["pg_ok"]["target"] == f"127.0.0.1:{os.environ['PG_PORT']}/ys_db"
    assert rows["s3_ok"]["target"] == "s3://ys-data"
    assert rows["az_test_path"]["target"] == "az://ystest/"
    assert "password authentication failed" in rows["pg_wrong"]["message"]
    assert "Access denied" in rows["my_wrong"]["message"]
    assert "SignatureDoesNotMatch" in rows["s3_wrong"]["message"]
    assert "AuthorizationFailure" in rows["az_wrong"]["message"]
    assert "invalid_client" in rows["ice_wrong"]["message"]

    assert state(con) == before
    # Tries given up on (azurite retries for longer than the timeout) end on their own
    # threads: once they have, still nothing of theirs is left.
    time.sleep(8)
    assert state(con) == before
    assert con.execute("SELECT count(*) FROM duckdb_secrets() WHERE name LIKE '%probe%'").fetchone()[0] == 0


def test_names_selects_and_the_callers_secret_still_applies(connect, servers, http_auth_server):  # noqa: F811
    con = connect(*EXTENSIONS)
    con.execute("SET http_retries = 0")
    # The caller's own http secret for the same URL, with the right token: the probe of the
    # wrong one must neither use it nor disturb it.
    con.execute(f"CREATE SECRET callers (TYPE http, BEARER_TOKEN '{http_auth_server.token}', "
                f"SCOPE '{http_auth_server.url}/data.csv')")
    rows = probe(con, YAML, names="['http_wrong', 'http_ok']", timeout=TIMEOUT_S)
    assert {n: r["status"] for n, r in rows.items()} == {"http_wrong": "refused", "http_ok": "ok"}
    assert con.execute(f"SELECT count(*) FROM read_csv('{http_auth_server.url}/data.csv')").fetchone()[0] == 3


@pytest.fixture
def hanging_port():
    """A port that accepts connections and never answers."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(64)
    yield s.getsockname()[1]
    s.close()


def test_a_server_that_never_answers_is_unreachable_in_time(connect, monkeypatch, hanging_port):
    monkeypatch.setenv("HANG_PORT", str(hanging_port))
    monkeypatch.setenv("CANARY", CANARY)
    con = connect("httpfs", "postgres_scanner", "mysql_scanner")
    before = state(con)
    seen = []
    stop = threading.Event()
    watcher = con.cursor()

    def watch():
        # Another connection, polling while the tries hang: it never sees a throwaway secret.
        while not stop.is_set():
            seen.extend(r[0] for r in watcher.execute("SELECT name FROM duckdb_secrets()").fetchall())
            time.sleep(0.05)

    thread = threading.Thread(target=watch)
    thread.start()
    started = time.monotonic()
    try:
        rows = probe(con, HANG_YAML, timeout=TIMEOUT_S)
    finally:
        stop.set()
        thread.join()
    took = time.monotonic() - started
    assert {n: r["status"] for n, r in rows.items()} == {
        "pg_hang": "unreachable", "my_hang": "unreachable", "http_hang": "unreachable"}, rows
    assert took < BOUND_MS / 1000 + 1, took
    assert "timeout" in rows["pg_hang"]["message"].lower() and "Timeout" in rows["http_hang"]["message"], rows
    assert CANARY not in repr(rows)
    assert seen == []
    assert state(con) == before


def test_refused_while_logging_or_without_external_access(connect, servers):
    con = connect(*EXTENSIONS)
    con.execute("CALL enable_logging(level := 'DEBUG')")
    with pytest.raises(Exception, match="logging"):
        probe(con, YAML)
    con.execute("CALL disable_logging()")
    con.execute("SET enable_external_access = false")
    with pytest.raises(Exception, match="enable_external_access"):
        probe(con, YAML)


def test_ducklake_attaches_its_metadata_read_only(connect, tmp_path):
    """DuckLake's ATTACH commits on its own: the throwaway secret is dropped all the same, and
    the read-only ATTACH creates no catalog where there was none."""
    data = tmp_path / "data"
    data.mkdir()
    con = connect("ducklake")
    con.execute(f"ATTACH 'ducklake:{tmp_path / 'meta.ducklake'}' AS l (DATA_PATH '{data}/')")
    con.execute("CREATE TABLE l.t AS SELECT 1 AS i")
    con.execute("DETACH l")
    path = tmp_path / "lake.yaml"
    path.write_text(
        "secrets:\n"
        f"  lake_ok: {{type: ducklake, metadata_path: '{tmp_path / 'meta.ducklake'}', data_path: '{data}/'}}\n"
        f"  lake_missing: {{type: ducklake, metadata_path: '{tmp_path / 'none.ducklake'}', data_path: '{data}/'}}\n"
    )
    before = state(con)
    rows = probe(con, path)
    assert {n: r["status"] for n, r in rows.items()} == {"lake_ok": "ok", "lake_missing": "refused"}, rows
    assert "does not exist" in rows["lake_missing"]["message"]
    assert state(con) == before
    assert not (tmp_path / "none.ducklake").exists()
