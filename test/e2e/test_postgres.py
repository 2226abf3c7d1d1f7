"""yamlsecrets against a real PostgreSQL: the secrets it creates log in, a wrong one does not.

The server (servers/postgres.py) is private, on 127.0.0.1, scram-sha-256 for every TCP login,
and its user's password is hard on purpose: pa'ss"w;rd--$x\\y é. fixtures/pg/secrets.yaml
gives that password literally (plain, single- and double-quoted YAML scalars), through a
variable, inside a postgresql:// URI and inside a libpq key=value string, with the `dbname`
alias and with `schema` (a warning, not an error). Each secret is then used for real:
ATTACH '' AS pg (TYPE postgres, SECRET <name>) and a SELECT of known rows.
"""
from __future__ import annotations

import pathlib

import duckdb
import pytest

from servers.postgres import PEOPLE, postgres_server  # noqa: F401  (the fixture)

FIXTURES = pathlib.Path(__file__).resolve().parent / "fixtures" / "pg"
SECRETS = FIXTURES / "secrets.yaml"
WRONG = FIXTURES / "wrong.yaml"
WRONG_PASSWORD = "wr0ng'Pa55;w--rd ñ"
LITERAL = ["pg_plain", "pg_single", "pg_double"]
ALL = [*LITERAL, "pg_env", "pg_uri", "pg_conninfo", "pg_dbname", "pg_schema"]


@pytest.fixture
def pg(postgres_server, monkeypatch):
    s = postgres_server
    env = {
        "PG_HOST": s.host,
        "PG_PORT": str(s.port),
        "PG_USER": s.user,
        "PG_DATABASE": s.database,
        "PG_PASSWORD": s.password,
        "PG_URL": s.uri(),
        "PG_CONNINFO": s.key_values(),
        "PG_WRONG_PASSWORD": WRONG_PASSWORD,
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return s


def secret_values(s) -> list[str]:
    return [s.password, s.uri(), s.key_values(), WRONG_PASSWORD]


def assert_no_leak(text: str, s) -> None:
    for value in secret_values(s):
        assert value not in text, f"a secret value leaked into: {text!r}"


def load(con, path: pathlib.Path, s) -> dict[str, tuple]:
    """load_secrets_yaml(path) -> {name: row}; no secret value in any row or listing."""
    rows = con.execute("FROM load_secrets_yaml(?)", [str(path)]).fetchall()
    listings = [
        rows,
        con.execute("FROM yaml_secrets()").fetchall(),
        con.execute("FROM secrets_check(?)", [str(path)]).fetchall(),
        con.execute("FROM duckdb_secrets()").fetchall(),
    ]
    assert_no_leak(repr(listings), s)
    return {r[0]: r for r in rows}


@pytest.mark.parametrize("name", ALL)
def test_secret_logs_in(connect, pg, name):
    con = connect("postgres_scanner")
    rows = load(con, SECRETS, pg)
    assert sorted(rows) == sorted(ALL)
    row = rows[name]
    assert row[1] == "postgres" and row[6] == "created"
    assert "PASSWORD '***'" in row[8]
    # Every field arrived as the server's: what DuckDB stored for the secret.
    (stored,) = con.execute("SELECT secret_string FROM duckdb_secrets() WHERE name = ?", [name]).fetchone()
    for part in (f"host={pg.host}", f"port={pg.port}", f"user={pg.user}", f"dbname={pg.database}",
                 "password=redacted"):
        assert part in stored.split(";"), stored

    con.execute(f"ATTACH '' AS pg (TYPE postgres, SECRET {name}, READ_ONLY)")
    assert con.execute("SELECT id, name FROM pg.public.people ORDER BY id").fetchall() == PEOPLE
    assert con.execute("FROM postgres_query('pg', 'SELECT current_user::text')").fetchall() == [(pg.user,)]


def test_findings_of_the_file(connect, pg):
    con = connect("postgres_scanner")
    findings = con.execute("SELECT name, severity, field, message FROM secrets_check(?)",
                           [str(SECRETS)]).fetchall()
    assert_no_leak(repr(findings), pg)
    assert [f for f in findings if f[1] != "warning"] == []
    # schema: a warning that points to ATTACH; the literal passwords: one warning each.
    schema = [f for f in findings if f[2] == "schema"]
    assert [(f[0], f[1]) for f in schema] == [("pg_schema", "warning")]
    assert "ATTACH" in schema[0][3]
    literal = sorted(f[0] for f in findings if f[2] == "password")
    assert literal == sorted(LITERAL)


def test_schema_goes_to_attach(connect, pg):
    con = connect("postgres_scanner")
    load(con, SECRETS, pg)
    con.execute("ATTACH '' AS pg (TYPE postgres, SECRET pg_schema, SCHEMA 'sales', READ_ONLY)")
    assert con.execute("SELECT id, amount::VARCHAR FROM pg.sales.orders ORDER BY id").fetchall() == [
        (1, "9.99"), (2, "20.00")]


def test_wrong_password_is_refused(connect, pg, monkeypatch):
    con = connect("postgres_scanner")
    rows = load(con, WRONG, pg)
    assert rows["pg_wrong"][6] == "created"  # CREATE SECRET does not connect
    with pytest.raises(duckdb.Error) as err:
        con.execute("ATTACH '' AS pg (TYPE postgres, SECRET pg_wrong)")
    text = str(err.value)
    assert f'password authentication failed for user "{pg.user}"' in text, text
    assert_no_leak(text, pg)

    # Rotation: fix the variable, load again (replace is the default), and it logs in.
    monkeypatch.setenv("PG_WRONG_PASSWORD", pg.password)
    rows = load(con, WRONG, pg)
    assert rows["pg_wrong"][6] == "replaced"
    con.execute("ATTACH '' AS pg (TYPE postgres, SECRET pg_wrong, READ_ONLY)")
    assert con.execute("SELECT count(*) FROM pg.public.people").fetchone() == (len(PEOPLE),)


def test_conninfo_unquoted_escapes(connect, pg, monkeypatch, tmp_path):
    # libpq (psql) accepts this: outside quotes too, \ escapes the next character.
    escaped = "".join("\\" + c if c in " \\'" else c for c in pg.password)
    monkeypatch.setenv("PG_CONNINFO", f"host={pg.host} port={pg.port} dbname={pg.database} "
                                      f"user={pg.user} password={escaped}")
    path = tmp_path / "conninfo.yaml"
    path.write_text("secrets:\n  pg_kv:\n    type: postgres\n    url: ${PG_CONNINFO}\n")
    con = connect("postgres_scanner")
    load(con, path, pg)
    con.execute("ATTACH '' AS pg (TYPE postgres, SECRET pg_kv, READ_ONLY)")
    assert con.execute("SELECT count(*) FROM pg.public.people").fetchone() == (len(PEOPLE),)
