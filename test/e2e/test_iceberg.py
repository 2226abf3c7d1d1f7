"""yamlsecrets against a real Iceberg REST catalog with OAuth2 (servers/iceberg_rest.py):
a `type: iceberg` secret with client_id / client_secret / oauth2_server_uri lets DuckDB
ATTACH the catalog and read a table; a wrong client secret fails at load_secrets_yaml
(DuckDB's CREATE SECRET requests the token), without showing the value, and leaves no
secret of the call behind.
"""
from pathlib import Path

import duckdb
import pytest

from servers.iceberg_rest import iceberg_rest_server  # noqa: F401  (session fixture)

YAML = str(Path(__file__).resolve().parent / "fixtures" / "iceberg.yaml")
NAMES = ("ice", "ice_headers")


def set_env(monkeypatch, server, client_secret: str) -> None:
    monkeypatch.setenv("ICEBERG_ENDPOINT", server.endpoint)
    monkeypatch.setenv("ICEBERG_CLIENT_ID", server.client_id)
    monkeypatch.setenv("ICEBERG_SECRET", client_secret)


def secrets_of_call(con) -> list:
    return con.execute(
        "SELECT name FROM duckdb_secrets() WHERE name IN ? ORDER BY name", [list(NAMES)]
    ).fetchall()


def attach_and_read(con, server, alias: str = "cat") -> list:
    con.execute(
        f"ATTACH 'warehouse' AS {alias} (TYPE iceberg, SECRET ice, ENDPOINT '{server.endpoint}')"
    )
    return con.execute(
        f"SELECT id, name, price FROM {alias}.{server.namespace}.{server.table} ORDER BY id"
    ).fetchall()


def connect_iceberg(connect):
    return connect("httpfs", "avro", "iceberg")


def test_oauth2_secret_attaches_and_reads(connect, monkeypatch, iceberg_rest_server):
    s = iceberg_rest_server
    set_env(monkeypatch, s, s.client_secret)
    con = connect_iceberg(connect)
    rows = con.execute(
        "SELECT name, type, action, sql FROM load_secrets_yaml(?) ORDER BY name", [YAML]
    ).fetchall()
    assert [r[:3] for r in rows] == [("ice", "iceberg", "created"), ("ice_headers", "http", "created")]
    assert "CLIENT_SECRET '***'" in rows[0][3] and s.client_secret not in rows[0][3]
    assert attach_and_read(con, s) == s.rows
    tables = con.execute(
        "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = 'cat'"
    ).fetchall()
    assert tables == [(s.namespace, s.table)]


def test_wrong_client_secret_fails_at_load(connect, monkeypatch, iceberg_rest_server):
    s = iceberg_rest_server
    bad = "cs-wrong-" + s.client_secret[-8:]
    set_env(monkeypatch, s, bad)
    con = connect_iceberg(connect)
    before = s.log.stat().st_size
    with pytest.raises(duckdb.Error) as err:
        con.execute("FROM load_secrets_yaml(?)", [YAML]).fetchall()
    text = str(err.value)
    assert "OAuth2 token request failed (Unauthorized_401)" in text, text
    assert "invalid_client" in text, text
    assert bad not in text and s.client_secret not in text
    assert '"POST /v1/oauth/tokens HTTP/1.1" 401' in s.log.read_text()[before:]
    # All or nothing: the http secret before it in the file is gone too.
    assert secrets_of_call(con) == []
    assert con.execute("SELECT count(*) FROM yaml_secrets()").fetchone()[0] == 0


def test_wrong_client_secret_keeps_the_replaced_secret(connect, monkeypatch, iceberg_rest_server):
    """Rotation gone wrong: the failed reload leaves the working secret as it was."""
    s = iceberg_rest_server
    set_env(monkeypatch, s, s.client_secret)
    con = connect_iceberg(connect)
    con.execute("FROM load_secrets_yaml(?, names := ['ice'])", [YAML]).fetchall()

    bad = "cs-wrong-" + s.client_secret[-8:]
    set_env(monkeypatch, s, bad)
    with pytest.raises(duckdb.Error) as err:
        con.execute("FROM load_secrets_yaml(?)", [YAML]).fetchall()
    assert "Unauthorized_401" in str(err.value) and bad not in str(err.value)
    assert secrets_of_call(con) == [("ice",)]
    assert attach_and_read(con, s, "cat_after") == s.rows


TOKEN_YAML = str(Path(__file__).resolve().parent / "fixtures" / "iceberg-token.yaml")


def fetch_token(server) -> str:
    import json
    import urllib.parse
    import urllib.request

    form = urllib.parse.urlencode({
        "grant_type": "client_credentials",
        "client_id": server.client_id,
        "client_secret": server.client_secret,
    }).encode()
    with urllib.request.urlopen(server.token_uri, form, timeout=5) as r:
        return json.load(r)["access_token"]


def test_bearer_token_secret(connect, monkeypatch, iceberg_rest_server):
    """`token` + `endpoint` in the secret: ATTACH needs neither ENDPOINT nor a token request;
    a token the catalog did not issue is refused at ATTACH."""
    s = iceberg_rest_server
    monkeypatch.setenv("ICEBERG_ENDPOINT", s.endpoint)
    monkeypatch.setenv("ICEBERG_TOKEN", fetch_token(s))
    con = connect_iceberg(connect)
    con.execute("FROM load_secrets_yaml(?)", [TOKEN_YAML]).fetchall()
    con.execute("ATTACH 'warehouse' AS cat_token (TYPE iceberg, SECRET ice_token)")
    assert con.execute(
        f"SELECT id, name, price FROM cat_token.{s.namespace}.{s.table} ORDER BY id"
    ).fetchall() == s.rows

    bad = "at-not-issued-0123456789"
    monkeypatch.setenv("ICEBERG_TOKEN", bad)
    con.execute("FROM load_secrets_yaml(?)", [TOKEN_YAML]).fetchall()
    with pytest.raises(duckdb.Error) as err:
        con.execute("ATTACH 'warehouse' AS cat_bad (TYPE iceberg, SECRET ice_token)")
    text = str(err.value)
    assert f"Request to '{s.endpoint}/v1/config?warehouse=warehouse'" in text, text
    assert "Unauthorized_401" in text and bad not in text, text
