"""yamlsecrets against a real Azure blob service (azurite): the loaded secret reads blobs,
a wrong account key is refused by the server.

The three forms of test/e2e/fixtures/azure.yaml: `connection_string: ${AZ_CONN}`;
`account_name` + `account_key: ${AZ_KEY}` + `endpoint: ${AZ_ENDPOINT}`, which yamlsecrets
assembles into one connection string with `BlobEndpoint=` (azure v1.5.5 has no ACCOUNT_KEY
parameter, and ignores an ENDPOINT beside a connection string); and the same with a
container SAS token (`sas_token: ${AZ_SAS}`).
"""
import base64
from pathlib import Path

import duckdb
import pytest

from servers.azurite import azurite_server  # noqa: F401  (session fixture)

YAML = str(Path(__file__).resolve().parent / "fixtures" / "azure.yaml")
CSV_ROWS = [(1, "Oslo"), (2, "Lima"), (3, "Pune")]
PARQUET_ROWS = [(i, f"row {i}") for i in range(5)]


def wrong_key(key: str) -> str:
    """A well-formed account key (base64 of 64 bytes) that is not the account's."""
    raw = bytearray(base64.b64decode(key))
    raw[0] ^= 0xFF
    return base64.b64encode(bytes(raw)).decode()


def wrong_sas(sas: str) -> str:
    """The same SAS token with another signature."""
    return sas.replace("sig=", "sig=AA", 1)


def set_env(monkeypatch, server, key: str, sas: str) -> None:
    monkeypatch.setenv("AZ_CONN", server.connection_string(key))
    monkeypatch.setenv("AZ_KEY", key)
    monkeypatch.setenv("AZ_SAS", sas)
    monkeypatch.setenv("AZ_ENDPOINT", server.endpoint)


def load(con, name: str):
    rows = con.execute(
        "SELECT name, type, action, sql FROM load_secrets_yaml(?, names := [?])", [YAML, name]
    ).fetchall()
    assert [(r[0], r[1], r[2]) for r in rows] == [(name, "azure", "created")]
    return rows[0][3]


@pytest.mark.parametrize("name", ["az_conn", "az_key", "az_sas"])
def test_secret_reads_blobs(connect, monkeypatch, azurite_server, name):
    sas = azurite_server.container_sas()
    set_env(monkeypatch, azurite_server, azurite_server.key, sas)
    con = connect("httpfs", "azure")
    sql = load(con, name)
    assert "CONNECTION_STRING '***'" in sql
    assert azurite_server.key not in sql and sas not in sql
    secret_string = con.execute(
        "SELECT secret_string FROM duckdb_secrets() WHERE name = ?", [name]
    ).fetchone()[0]
    assert "provider=config" in secret_string and azurite_server.key not in secret_string

    c = azurite_server.container
    assert con.execute(f"FROM read_csv('az://{c}/data.csv') ORDER BY id").fetchall() == CSV_ROWS
    assert con.execute(f"FROM 'azure://{c}/data.parquet' ORDER BY id").fetchall() == PARQUET_ROWS


@pytest.mark.parametrize("name", ["az_conn", "az_key", "az_sas"])
def test_wrong_credential_is_refused(connect, monkeypatch, azurite_server, name):
    sas = azurite_server.container_sas()
    bad_key, bad_sas = wrong_key(azurite_server.key), wrong_sas(sas)
    set_env(monkeypatch, azurite_server, bad_key, bad_sas)
    con = connect("httpfs", "azure")
    load(con, name)  # azure's CREATE SECRET contacts nobody: the read is what fails
    with pytest.raises(duckdb.IOException) as err:
        con.execute(f"FROM read_csv('az://{azurite_server.container}/data.csv')").fetchall()
    text = str(err.value)
    assert "AuthorizationFailure" in text, text
    assert "Server failed to authenticate the request" in text, text
    assert bad_key not in text and bad_sas not in text and "sig=" not in text

    # The same connection reads once the variables hold the right values and the file is reloaded.
    set_env(monkeypatch, azurite_server, azurite_server.key, sas)
    reload = con.execute("SELECT action FROM load_secrets_yaml(?, names := [?])", [YAML, name])
    assert reload.fetchall() == [("replaced",)]
    assert con.execute(
        f"FROM read_csv('az://{azurite_server.container}/data.csv') ORDER BY id"
    ).fetchall() == CSV_ROWS
