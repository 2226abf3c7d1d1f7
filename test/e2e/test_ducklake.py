"""DuckLake end to end: a catalog in PostgreSQL, data files in S3, every credential from YAML.

fixtures/ducklake/lake.yaml defines three secrets, all values `${VAR}` references:
- lake_pg (postgres): host, port, user and the server's hard password (servers/postgres.py);
- lake_s3 (s3): moto's admin IAM key (the only user allowed to write), endpoint on 127.0.0.1;
- lake (ducklake): metadata_path `postgres:dbname=<db>` with metadata_parameters
  {SECRET: lake_pg}, so the connection string carries no password, and data_path
  s3://ys-data/lake/<test>/.
Then `ATTACH 'ducklake:lake' AS lake` (DuckDB 1.5.5 attaches a ducklake secret by name),
CREATE TABLE ... AS of ROWS rows, a read back from a second database (count and checksums),
the Parquet files listed in moto with boto3 and the catalog rows checked in PostgreSQL.
Wrong credentials: a wrong S3 secret key lets ATTACH through (it touches only PostgreSQL) and
fails the write with HTTP 403 SignatureDoesNotMatch; a wrong PostgreSQL password fails the
ATTACH with "password authentication failed". Each test has its own catalog database and
data prefix, so a catalog never meets another test's data_path.
"""
from __future__ import annotations

import pathlib
import uuid

import duckdb
import pytest

from servers.moto import BUCKET_DATA, moto  # noqa: F401  (the fixture)
from servers.postgres import postgres_server  # noqa: F401  (the fixture)

LAKE_YAML = pathlib.Path(__file__).resolve().parent / "fixtures" / "ducklake" / "lake.yaml"
EXTENSIONS = ("httpfs", "postgres_scanner", "ducklake")
ROWS = 20_000
# The rows written, and the aggregate both sides compare: count, sums, an order-free hash.
SOURCE = f"SELECT range AS id, range * 3 + 1 AS amount, 'item-' || range AS label FROM range({ROWS})"
CHECKSUM = "SELECT count(*), sum(id), sum(amount), bit_xor(hash(id, amount, label)) FROM {}"
WRONG_S3_SECRET = "wr0ng/S3+secret-key-that-IAM-never-issued00"
WRONG_PG_PASSWORD = "wr0ng'Pa55;w--rd ñ"


class Lake:
    """One test's lake: its catalog database, data prefix and environment."""

    def __init__(self, pg, s3, monkeypatch):
        self.pg, self.s3 = pg, s3
        self.name = f"lake_{uuid.uuid4().hex[:10]}"
        self.prefix = f"lake/{self.name}/"
        self.data_path = f"s3://{BUCKET_DATA}/{self.prefix}"
        pg.create_database(self.name, owner=pg.user)
        self.env = {
            "YS_PG_HOST": pg.host,
            "YS_PG_PORT": str(pg.port),
            "YS_PG_USER": pg.user,
            "YS_PG_PASSWORD": pg.password,
            "YS_S3_KEY_ID": s3.admin.key_id,
            "YS_S3_SECRET": s3.admin.secret,
            "YS_S3_ENDPOINT": s3.endpoint,
            "YS_LAKE_DB": self.name,
            "YS_LAKE_DATA_PATH": self.data_path,
        }
        self.monkeypatch = monkeypatch
        for k, v in self.env.items():
            monkeypatch.setenv(k, v)

    def set(self, var: str, value: str) -> None:
        self.monkeypatch.setenv(var, value)

    def secret_values(self) -> list[str]:
        return [self.pg.password, self.s3.admin.secret, WRONG_S3_SECRET, WRONG_PG_PASSWORD]

    def objects(self) -> list[dict]:
        """The objects under the data prefix, listed with the admin key."""
        out = self.s3.client().list_objects_v2(Bucket=BUCKET_DATA, Prefix=self.prefix)
        return out.get("Contents", [])


@pytest.fixture
def lake(postgres_server, moto, monkeypatch):  # noqa: F811
    return Lake(postgres_server, moto, monkeypatch)


def open_lake(connect, lake: Lake, **config):
    """A database with the three extensions and yamlsecrets, the file loaded; returns (con, rows)."""
    con = connect(*EXTENSIONS, **config)
    con.execute("SET http_timeout = 10; SET http_retries = 1")
    cur = con.execute("FROM load_secrets_yaml(?)", [str(LAKE_YAML)])
    cols = [d[0] for d in cur.description]
    rows = {r[0]: dict(zip(cols, r)) for r in cur.fetchall()}
    assert_no_leak(repr(rows), lake)
    return con, rows


def assert_no_leak(text: str, lake: Lake) -> None:
    for value in lake.secret_values():
        assert value not in text, f"a secret value leaked into: {text!r}"


def refused(con, sql: str) -> str:
    with pytest.raises(duckdb.Error) as info:
        con.execute(sql).fetchall()
    return str(info.value)


def test_ducklake_on_postgres_and_s3(connect, lake):
    con, rows = open_lake(connect, lake, allow_unredacted_secrets="true")
    assert {n: (r["type"], r["action"]) for n, r in rows.items()} == {
        "lake_pg": ("postgres", "created"),
        "lake_s3": ("s3", "created"),
        "lake": ("ducklake", "created"),
    }
    # What DuckDB stored: the path holds no password, the parameters name the postgres secret.
    (stored,) = con.execute(
        "SELECT secret_string FROM duckdb_secrets(redact := false) WHERE name = 'lake'").fetchone()
    parts = stored.split(";")
    for part in (f"metadata_path=postgres:dbname={lake.name}", "metadata_parameters={SECRET=lake_pg}",
                 f"data_path={lake.data_path}"):
        assert part in parts, stored
    assert lake.pg.password not in stored

    con.execute("ATTACH 'ducklake:lake' AS lake")
    (written,) = con.execute(f"CREATE TABLE lake.t AS {SOURCE}").fetchone()
    assert written == ROWS
    expected = con.execute(CHECKSUM.format(f"({SOURCE})")).fetchone()
    assert con.execute(CHECKSUM.format("lake.t")).fetchone() == expected
    con.close()

    # A second database finds the lake through the same file alone: the catalog is in
    # PostgreSQL and the data in S3, nothing in the first database's memory.
    con2, _ = open_lake(connect, lake)
    con2.execute("ATTACH 'ducklake:lake' AS lake (READ_ONLY)")
    assert con2.execute(CHECKSUM.format("lake.t")).fetchone() == expected
    assert con2.execute("SELECT label FROM lake.t WHERE id = 12345").fetchone() == ("item-12345",)

    # The data files are in moto, under data_path, and hold every row.
    objects = lake.objects()
    parquet = [o["Key"] for o in objects if o["Key"].endswith(".parquet")]
    assert parquet, [o["Key"] for o in objects]
    assert all(o["Size"] > 0 for o in objects)
    files = ", ".join(f"'s3://{BUCKET_DATA}/{k}'" for k in parquet)
    assert con2.execute(f"SELECT count(*) FROM read_parquet([{files}])").fetchone() == (ROWS,)
    # ... and the catalog in PostgreSQL knows them.
    catalog = lake.pg.psql("SELECT count(*), sum(record_count) FROM ducklake_data_file", database=lake.name)
    assert catalog.strip() == f"{len(parquet)}|{ROWS}", catalog


def test_wrong_s3_secret_fails_the_write(connect, lake):
    lake.set("YS_S3_SECRET", WRONG_S3_SECRET)
    con, rows = open_lake(connect, lake)
    assert rows["lake_s3"]["action"] == "created"  # CREATE SECRET does not connect
    con.execute("ATTACH 'ducklake:lake' AS lake")  # the catalog: PostgreSQL, right password
    err = refused(con, f"CREATE TABLE lake.t AS {SOURCE}")
    assert "403" in err and "SignatureDoesNotMatch" in err, err
    assert_no_leak(err, lake)
    assert lake.objects() == []


def test_wrong_postgres_password_fails_the_attach(connect, lake):
    lake.set("YS_PG_PASSWORD", WRONG_PG_PASSWORD)
    con, rows = open_lake(connect, lake)
    assert rows["lake_pg"]["action"] == "created"
    err = refused(con, "ATTACH 'ducklake:lake' AS lake")
    assert f'password authentication failed for user "{lake.pg.user}"' in err, err
    assert_no_leak(err, lake)
    assert con.execute("SELECT count(*) FROM duckdb_databases() WHERE database_name = 'lake'").fetchone() == (0,)
