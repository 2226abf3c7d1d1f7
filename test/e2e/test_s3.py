"""End to end against a real S3 API: secrets loaded from YAML authenticate httpfs against a
moto server with IAM enforced (test/e2e/servers/moto.py), and wrong credentials are refused.

Each test loads a YAML file of test/e2e/fixtures/s3/ (or one written to tmp_path) whose
credentials are `${VAR}` references set with monkeypatch, then reads through httpfs:
- s3: a CSV file and a glob of Parquet files (the glob needs s3:ListBucket);
- r2 and gcs: DuckDB's r2:// and gcs:// / gs:// paths, HMAC keys, moto as `endpoint`. DuckDB
  turns an r2 `account_id` into the endpoint <account_id>.r2.cloudflarestorage.com, but an
  explicit `endpoint` wins whatever the order, so r2:// can be pointed at 127.0.0.1;
- scopes: two secrets scoped to two buckets whose IAM users may each read only their own;
- credential_chain (aws extension) with `chain: env`, the key coming from AWS_ACCESS_KEY_ID.
moto's refusals as DuckDB reports them: a wrong secret key gives "HTTP 403 Forbidden ...
SignatureDoesNotMatch", an unknown key id "InvalidAccessKeyId", a real key outside its IAM
policy "AccessDenied"; through gcs:// DuckDB shows only "HTTP 403 Forbidden ... GCS
authentication failed" (no moto code).
"""
import pathlib

import duckdb
import pytest

from servers.moto import BUCKET_A, BUCKET_B, BUCKET_DATA, check_enforced, moto  # noqa: F401

FIXTURES = pathlib.Path(__file__).resolve().parent / "fixtures" / "s3"
PARQUET_ROWS = 1000
CSV_TEXT = "id,name,city\n1,ada,london\n2,grace,arlington\n3,linus,helsinki\n"


@pytest.fixture(scope="module")
def data(moto, tmp_path_factory):  # noqa: F811
    """Uploads the objects the tests read (with the admin IAM key)."""
    work = tmp_path_factory.mktemp("s3-data")
    con = duckdb.connect()
    half = PARQUET_ROWS // 2
    for part, (lo, hi) in enumerate(((0, half), (half, PARQUET_ROWS))):
        local = work / f"part-{part}.parquet"
        con.execute(
            f"COPY (SELECT i, i * i AS sq, 'row-' || i AS label FROM range({lo}, {hi}) t(i)) "
            f"TO '{local}' (FORMAT parquet)"
        )
        moto.upload(BUCKET_DATA, f"parquet/part-{part}.parquet", local)
    con.close()
    moto.upload(BUCKET_DATA, "csv/people.csv", CSV_TEXT, "text/csv")
    moto.upload(BUCKET_A, "x.csv", "bucket,n\na,1\n", "text/csv")
    moto.upload(BUCKET_B, "x.csv", "bucket,n\nb,2\nb,3\n", "text/csv")
    return moto


def open_db(connect, *extensions):
    """connect(*extensions), with HTTP bounded: a stuck server fails a test in seconds."""
    con = connect(*extensions)
    con.execute("SET http_timeout = 10; SET http_retries = 1")
    return con


def load(con, path, **params):
    args = "".join(f", {k} := {v}" for k, v in params.items())
    cur = con.execute(f"FROM load_secrets_yaml('{path}'{args})")
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, row)) for row in cur.fetchall()]


def refused(con, sql) -> str:  # the error text of a query that must fail
    with pytest.raises(duckdb.Error) as info:
        con.execute(sql).fetchall()
    return str(info.value)


def assert_reads(con, scheme):
    """The CSV and the Parquet glob of BUCKET_DATA, through `scheme`://."""
    csv = f"{scheme}://{BUCKET_DATA}/csv/people.csv"
    assert con.execute(f"SELECT count(*) FROM '{csv}'").fetchone() == (3,)
    assert con.execute(f"SELECT name FROM '{csv}' WHERE city = 'helsinki'").fetchone() == ("linus",)
    parquet = f"{scheme}://{BUCKET_DATA}/parquet/*.parquet"
    n, total, label = con.execute(
        f"SELECT count(*), sum(sq), max(label) FILTER (WHERE i = 777) FROM '{parquet}'"
    ).fetchone()
    assert n == PARQUET_ROWS
    assert total == sum(i * i for i in range(PARQUET_ROWS))
    assert label == "row-777"


def set_keys(monkeypatch, prefix, key):
    monkeypatch.setenv(f"{prefix}_KEY_ID", key.key_id)
    monkeypatch.setenv(f"{prefix}_SECRET", key.secret)


WRONG = {
    # a real key id with a wrong secret key: the signature does not verify
    "wrong-secret": (lambda key: (key.key_id, "x" + key.secret[1:]), "SignatureDoesNotMatch"),
    # a key id IAM never issued
    "made-up-key": (lambda key: ("AKIAMADEUPMADEUP0000", key.secret), "InvalidAccessKeyId"),
}


def test_iam_is_enforced(moto):  # noqa: F811
    check_enforced(moto)


def test_s3_reads_csv_and_parquet(connect, data, monkeypatch):
    set_keys(monkeypatch, "YS_S3", data.users["reader"])
    monkeypatch.setenv("YS_S3_ENDPOINT", data.endpoint)
    con = open_db(connect, "httpfs")
    [row] = load(con, FIXTURES / "s3.yaml")
    assert (row["name"], row["type"], row["provider"], row["action"]) == ("moto_s3", "s3", "config", "created")
    assert data.users["reader"].secret not in row["sql"] and "'***'" in row["sql"]
    assert_reads(con, "s3")


@pytest.mark.parametrize("case", WRONG)
def test_s3_wrong_credentials_refused(connect, data, monkeypatch, case):
    make, code = WRONG[case]
    key_id, secret = make(data.users["reader"])
    monkeypatch.setenv("YS_S3_KEY_ID", key_id)
    monkeypatch.setenv("YS_S3_SECRET", secret)
    monkeypatch.setenv("YS_S3_ENDPOINT", data.endpoint)
    con = open_db(connect, "httpfs")
    load(con, FIXTURES / "s3.yaml")
    err = refused(con, f"FROM 's3://{BUCKET_DATA}/csv/people.csv'")
    assert "403" in err and code in err, err


def test_r2_reads_through_endpoint(connect, data, monkeypatch):
    set_keys(monkeypatch, "YS_R2", data.users["reader"])
    monkeypatch.setenv("YS_R2_ACCOUNT_ID", "ys-test-account")
    monkeypatch.setenv("YS_S3_ENDPOINT", data.endpoint)
    con = open_db(connect, "httpfs")
    [row] = load(con, FIXTURES / "r2.yaml")
    assert (row["name"], row["type"]) == ("moto_r2", "r2")
    [(secret,)] = con.execute("SELECT secret_string FROM duckdb_secrets() WHERE name = 'moto_r2'").fetchall()
    assert f"endpoint={data.endpoint};" in secret  # the explicit endpoint beat account_id's
    assert "scope=r2://;" in secret
    assert_reads(con, "r2")


def test_r2_account_id_alone_targets_cloudflare(connect, tmp_path, monkeypatch):
    """Why the r2 secret needs `endpoint` to reach moto: account_id alone means Cloudflare.
    Nothing is read (no network)."""
    monkeypatch.setenv("YS_R2_KEY_ID", "fake-key-id")
    monkeypatch.setenv("YS_R2_SECRET", "fake-secret")
    path = tmp_path / "r2-cloudflare.yaml"
    path.write_text(
        "secrets:\n  cf:\n    type: r2\n    account_id: ys-test-account\n"
        "    key_id: ${YS_R2_KEY_ID}\n    secret: ${YS_R2_SECRET}\n"
    )
    con = open_db(connect, "httpfs")
    load(con, path)
    [(secret,)] = con.execute("SELECT secret_string FROM duckdb_secrets() WHERE name = 'cf'").fetchall()
    assert "endpoint=ys-test-account.r2.cloudflarestorage.com;" in secret


@pytest.mark.parametrize("case", WRONG)
def test_r2_wrong_credentials_refused(connect, data, monkeypatch, case):
    make, code = WRONG[case]
    key_id, secret = make(data.users["reader"])
    monkeypatch.setenv("YS_R2_KEY_ID", key_id)
    monkeypatch.setenv("YS_R2_SECRET", secret)
    monkeypatch.setenv("YS_R2_ACCOUNT_ID", "ys-test-account")
    monkeypatch.setenv("YS_S3_ENDPOINT", data.endpoint)
    con = open_db(connect, "httpfs")
    load(con, FIXTURES / "r2.yaml")
    err = refused(con, f"FROM 'r2://{BUCKET_DATA}/csv/people.csv'")
    assert "403" in err and code in err, err


def test_gcs_reads_through_endpoint(connect, data, monkeypatch):
    set_keys(monkeypatch, "YS_GCS", data.users["reader"])
    monkeypatch.setenv("YS_S3_ENDPOINT", data.endpoint)
    con = open_db(connect, "httpfs")
    [row] = load(con, FIXTURES / "gcs.yaml")
    assert (row["name"], row["type"]) == ("moto_gcs", "gcs")
    assert_reads(con, "gcs")
    assert con.execute(f"SELECT count(*) FROM 'gs://{BUCKET_DATA}/csv/people.csv'").fetchone() == (3,)


@pytest.mark.parametrize("case", WRONG)
def test_gcs_wrong_credentials_refused(connect, data, monkeypatch, case):
    make, _ = WRONG[case]
    key_id, secret = make(data.users["reader"])
    monkeypatch.setenv("YS_GCS_KEY_ID", key_id)
    monkeypatch.setenv("YS_GCS_SECRET", secret)
    monkeypatch.setenv("YS_S3_ENDPOINT", data.endpoint)
    con = open_db(connect, "httpfs")
    load(con, FIXTURES / "gcs.yaml")
    err = refused(con, f"FROM 'gcs://{BUCKET_DATA}/csv/people.csv'")
    # For gcs:// DuckDB replaces moto's XML error code (`code`) with its own HMAC hint; that the
    # same file with the right key reads (test_gcs_reads_through_endpoint) pins it on the key.
    assert "HTTP 403 Forbidden" in err and "GCS authentication failed" in err, err


def test_scoped_secrets_each_read_their_bucket(connect, data, monkeypatch):
    set_keys(monkeypatch, "YS_ALPHA", data.users["alpha"])
    set_keys(monkeypatch, "YS_BETA", data.users["beta"])
    monkeypatch.setenv("YS_S3_ENDPOINT", data.endpoint)
    con = open_db(connect, "httpfs")
    rows = load(con, FIXTURES / "scopes.yaml")
    assert sorted((r["name"], r["scope"]) for r in rows) == [
        ("bucket_a", [f"s3://{BUCKET_A}/"]),
        ("bucket_b", [f"s3://{BUCKET_B}/"]),
    ]
    for bucket, name in ((BUCKET_A, "bucket_a"), (BUCKET_B, "bucket_b")):
        which = con.execute(f"SELECT name FROM which_secret('s3://{bucket}/x.csv', 's3')").fetchall()
        assert which == [(name,)]
    # Each user can read only its own bucket (the next test proves the refusal), so both reads
    # succeeding in one session means each used its own secret.
    assert con.execute(f"SELECT bucket, sum(n) FROM 's3://{BUCKET_A}/x.csv' GROUP BY ALL").fetchall() == [("a", 1)]
    assert con.execute(f"SELECT bucket, sum(n) FROM 's3://{BUCKET_B}/x.csv' GROUP BY ALL").fetchall() == [("b", 5)]


def test_scoped_key_is_refused_on_the_other_bucket(connect, data, monkeypatch, tmp_path):
    """alpha's key, unscoped, is refused by IAM on bucket b: a real key outside its policy."""
    set_keys(monkeypatch, "YS_ALPHA", data.users["alpha"])
    monkeypatch.setenv("YS_S3_ENDPOINT", data.endpoint)
    path = tmp_path / "alpha-everywhere.yaml"
    path.write_text(
        "secrets:\n  alpha:\n    type: s3\n    key_id: ${YS_ALPHA_KEY_ID}\n    secret: ${YS_ALPHA_SECRET}\n"
        "    endpoint: ${YS_S3_ENDPOINT}\n    use_ssl: false\n    url_style: path\n"
    )
    con = open_db(connect, "httpfs")
    load(con, path)
    assert con.execute(f"SELECT count(*) FROM 's3://{BUCKET_A}/x.csv'").fetchone() == (1,)
    err = refused(con, f"FROM 's3://{BUCKET_B}/x.csv'")
    assert "403" in err and "AccessDenied" in err, err


def chain_env(monkeypatch, tmp_path, key_id, secret, endpoint):
    """Only the environment can supply credentials: no shared files, no profile, no IMDS."""
    for var in ("AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
    monkeypatch.setenv("YS_S3_ENDPOINT", endpoint)


def test_credential_chain_env_reads(connect, data, monkeypatch, tmp_path):
    reader = data.users["reader"]
    chain_env(monkeypatch, tmp_path, reader.key_id, reader.secret, data.endpoint)
    con = open_db(connect, "httpfs", "aws")
    [row] = load(con, FIXTURES / "chain.yaml")
    assert (row["name"], row["type"], row["provider"]) == ("moto_chain", "s3", "credential_chain")
    [(secret,)] = con.execute("SELECT secret_string FROM duckdb_secrets() WHERE name = 'moto_chain'").fetchall()
    assert f"key_id={reader.key_id};" in secret  # taken from AWS_ACCESS_KEY_ID
    assert_reads(con, "s3")


@pytest.mark.parametrize("case", WRONG)
def test_credential_chain_env_wrong_credentials_refused(connect, data, monkeypatch, tmp_path, case):
    make, code = WRONG[case]
    key_id, secret = make(data.users["reader"])
    chain_env(monkeypatch, tmp_path, key_id, secret, data.endpoint)
    con = open_db(connect, "httpfs", "aws")
    load(con, FIXTURES / "chain.yaml")
    err = refused(con, f"FROM 's3://{BUCKET_DATA}/csv/people.csv'")
    assert "403" in err and code in err, err
