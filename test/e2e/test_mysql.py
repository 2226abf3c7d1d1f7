"""yamlsecrets against a real MariaDB through DuckDB's mysql_scanner: the secrets it creates
log in, a wrong password does not.

The server (servers/mariadb.py) is private, on 127.0.0.1; its user's password is hard on
purpose (' " ; -- $ \\ a space and a non-ASCII letter). Every credential comes from a
${MY_*} variable: as separate fields, as a mysql:// URI (percent-encoded) and as a
key=value string. Each secret is used for real: ATTACH '' AS my (TYPE mysql, SECRET <name>)
and a SELECT of known rows.
"""
from __future__ import annotations

import pathlib

import duckdb
import pytest

from servers.mariadb import PEOPLE, mariadb_server  # noqa: F401  (the fixture)

WRONG_PASSWORD = "wr0ng'Pa55;w--rd ñ"
SECRETS_YAML = """\
version: 1
secrets:
  my_fields:
    type: mysql
    host: ${MY_HOST}
    port: ${MY_PORT}
    user: ${MY_USER}
    password: ${MY_PASSWORD}
    database: ${MY_DATABASE}
  my_uri:                           # mysql://user:pass@host:port/db, percent-encoded
    type: mysql
    connection_string: ${MY_URL}
  my_kv:                            # key=value, the password single-quoted with \\' and \\\\
    type: mysql
    url: ${MY_KV}
"""
WRONG_YAML = """\
secrets:
  - name: my_wrong
    type: mysql
    host: ${MY_HOST}
    port: ${MY_PORT}
    user: ${MY_USER}
    password: ${MY_WRONG_PASSWORD}
    database: ${MY_DATABASE}
"""
NAMES = ["my_fields", "my_uri", "my_kv"]


def key_values(s) -> str:
    quoted = "'" + s.password.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return f"host={s.host} port={s.port} database={s.database} user={s.user} password={quoted}"


def secret_values(s) -> list[str]:
    return [s.password, s.uri(), key_values(s), WRONG_PASSWORD]


@pytest.fixture
def my(mariadb_server, monkeypatch, tmp_path):
    s = mariadb_server
    env = {
        "MY_HOST": s.host,
        "MY_PORT": str(s.port),
        "MY_USER": s.user,
        "MY_PASSWORD": s.password,
        "MY_DATABASE": s.database,
        "MY_URL": s.uri(),
        "MY_KV": key_values(s),
        "MY_WRONG_PASSWORD": WRONG_PASSWORD,
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    (tmp_path / "secrets.yaml").write_text(SECRETS_YAML)
    (tmp_path / "wrong.yaml").write_text(WRONG_YAML)
    return s


def assert_no_leak(text: str, s) -> None:
    for value in secret_values(s):
        assert value not in text, f"a secret value leaked into: {text!r}"


def load(con, path: pathlib.Path, s) -> dict[str, tuple]:
    rows = con.execute("FROM load_secrets_yaml(?)", [str(path)]).fetchall()
    listings = [
        rows,
        con.execute("FROM yaml_secrets()").fetchall(),
        con.execute("FROM secrets_check(?)", [str(path)]).fetchall(),
        con.execute("FROM duckdb_secrets()").fetchall(),
    ]
    assert_no_leak(repr(listings), s)
    return {r[0]: r for r in rows}


@pytest.mark.parametrize("name", NAMES)
def test_secret_logs_in(connect, my, tmp_path, name):
    con = connect("mysql_scanner")
    rows = load(con, tmp_path / "secrets.yaml", my)
    assert sorted(rows) == sorted(NAMES)
    assert rows[name][1] == "mysql" and rows[name][6] == "created"
    assert "PASSWORD '***'" in rows[name][8]
    assert con.execute("FROM secrets_check(?) WHERE severity = 'error'",
                       [str(tmp_path / "secrets.yaml")]).fetchall() == []

    con.execute(f"ATTACH '' AS my (TYPE mysql, SECRET {name}, READ_ONLY)")
    assert con.execute("SELECT id, name FROM my.people ORDER BY id").fetchall() == PEOPLE
    assert con.execute("FROM mysql_query('my', 'SELECT CURRENT_USER() AS u')").fetchall() == [
        (f"{my.user}@127.0.0.1",)]


def test_wrong_password_is_refused(connect, my, tmp_path):
    con = connect("mysql_scanner")
    rows = load(con, tmp_path / "wrong.yaml", my)
    assert rows["my_wrong"][6] == "created"  # CREATE SECRET does not connect
    with pytest.raises(duckdb.Error) as err:
        con.execute("ATTACH '' AS my (TYPE mysql, SECRET my_wrong)")
    text = str(err.value)
    assert f"Access denied for user '{my.user}'@'127.0.0.1' (using password: YES)" in text, text
    assert_no_leak(text, my)
