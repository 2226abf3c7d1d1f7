"""dbt-duckdb end to end: a dbt project whose credentials come from yamlsecrets.

test/e2e/dbt_project/ (copied to tmp_path for each test) loads the extension and the secrets
in `on-run-start` (dbt_project.yml), then ATTACHes the PostgreSQL database with the loaded
secret; its profile (profiles.yml, via --profiles-dir) is a DuckDB file in tmp_path with
allow_unsigned_extensions and extension_directory under `config_options` and `keep_open: true`
(else dbt closes the file database between the hooks and the models, losing both).
- s3_orders reads a Parquet file from moto (IAM enforced) with the read-only `reader` key;
- pg_people reads public.people from the private PostgreSQL (servers/postgres.py);
- tests/secrets_lint.sql is a singular test: secrets_check(...) rows with severity 'error'.
dbt runs offline: dbt-core < 1.12 (scripts/test-env.d/dbt.sh), anonymous usage statistics
off, HOME in tmp_path, no inherited AWS_*/PG*/DBT_* variables.
"""
from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import sys
import uuid

import duckdb
import pytest

from ys_testlib import extension_dir, extension_path
from servers.moto import BUCKET_DATA, moto  # noqa: F401  (the fixture)
from servers.postgres import PEOPLE, postgres_server  # noqa: F401  (the fixture)

PROJECT = pathlib.Path(__file__).resolve().parent / "dbt_project"
DBT = pathlib.Path(sys.executable).parent / "dbt"
DBT_TIMEOUT_S = 60
ORDERS = 250
WRONG_PG_PASSWORD = "wr0ng'Pa55;w--rd ñ"


@pytest.fixture(scope="module")
def orders_url(moto, tmp_path_factory):  # noqa: F811
    """A Parquet file of ORDERS rows on moto (uploaded with the admin key)."""
    local = tmp_path_factory.mktemp("dbt-data") / "orders.parquet"
    con = duckdb.connect()
    con.execute(f"COPY (SELECT range AS id, range * 2 + 0.5 AS amount, 'order-' || range AS label "
                f"FROM range({ORDERS})) TO '{local}' (FORMAT parquet)")
    con.close()
    return moto.upload(BUCKET_DATA, f"dbt/{uuid.uuid4().hex[:10]}/orders.parquet", local)


class Project:
    """A copy of dbt_project in tmp_path and the environment dbt runs with."""

    def __init__(self, tmp_path: pathlib.Path, moto, pg, orders_url: str):  # noqa: F811
        if not DBT.exists():
            pytest.skip(f"{DBT} missing: run scripts/test-env.sh (scripts/test-env.d/dbt.sh)")
        self.dir = tmp_path / "project"
        shutil.copytree(PROJECT, self.dir)
        self.database = tmp_path / "dbt.duckdb"
        home = tmp_path / "home"
        home.mkdir()
        reader = moto.users["reader"]
        self.secrets = [pg.password, reader.secret, WRONG_PG_PASSWORD]
        inherited = {k: v for k, v in os.environ.items()
                     if k in ("PATH", "LANG", "LC_ALL", "TZ", "TMPDIR")}
        self.env = inherited | {
            "HOME": str(home),
            "DBT_PROFILES_DIR": str(self.dir),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "DO_NOT_TRACK": "1",
            "DBT_USE_COLORS": "false",
            "DBT_PRINTER_WIDTH": "120",
            "YS_EXTENSION": extension_path(),
            "YS_EXTENSION_DIR": extension_dir(),
            "YS_SECRETS_FILE": str(self.dir / "secrets.yaml"),
            "YS_DBT_DATABASE": str(self.database),
            "YS_S3_ORDERS": orders_url,
            "YS_S3_KEY_ID": reader.key_id,
            "YS_S3_SECRET": reader.secret,
            "YS_S3_ENDPOINT": moto.endpoint,
            "YS_PG_HOST": pg.host,
            "YS_PG_PORT": str(pg.port),
            "YS_PG_USER": pg.user,
            "YS_PG_PASSWORD": pg.password,
            "YS_PG_DATABASE": pg.database,
        }

    def dbt(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(DBT), *args, "--profiles-dir", str(self.dir), "--project-dir", str(self.dir)],
            cwd=self.dir, env=self.env, capture_output=True, text=True, timeout=DBT_TIMEOUT_S,
        )

    def assert_no_leak(self, out: subprocess.CompletedProcess) -> None:
        """No secret value in dbt's output, nor in any file dbt wrote (target/, logs/, the database)."""
        files = [self.dir / "target", self.dir / "logs"]
        assert (self.dir / "logs" / "dbt.log").is_file() and (self.dir / "target").is_dir()
        texts = {"stdout": out.stdout.encode(), "stderr": out.stderr.encode()}
        for root in files:
            for path in root.rglob("*"):
                if path.is_file():
                    texts[str(path.relative_to(self.dir))] = path.read_bytes()
        if self.database.exists():
            texts["dbt.duckdb"] = self.database.read_bytes()
        for value in self.secrets:
            for where, data in texts.items():
                assert value.encode() not in data, f"a secret value leaked into {where}"


def show(out: subprocess.CompletedProcess) -> str:
    return f"exit {out.returncode}\n--- stdout\n{out.stdout[-6000:]}\n--- stderr\n{out.stderr[-3000:]}"


@pytest.fixture
def project(tmp_path, moto, postgres_server, orders_url):  # noqa: F811
    return Project(tmp_path, moto, postgres_server, orders_url)


def test_dbt_run_and_lint(project):
    run = project.dbt("run")
    assert run.returncode == 0, show(run)
    assert "Completed successfully" in run.stdout, show(run)
    project.assert_no_leak(run)

    con = duckdb.connect(str(project.database), read_only=True)
    try:
        assert con.execute("SELECT id, name FROM main.pg_people ORDER BY id").fetchall() == PEOPLE
        assert con.execute("SELECT count(*), sum(id), max(label) FILTER (WHERE id = 123) "
                           "FROM main.s3_orders").fetchone() == (ORDERS, sum(range(ORDERS)), "order-123")
    finally:
        con.close()

    test = project.dbt("test")
    assert test.returncode == 0, show(test)
    assert "PASS secrets_lint" in test.stdout, show(test)
    project.assert_no_leak(test)


def test_dbt_lint_fails_on_a_broken_file(project, tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("secrets:\n  s:\n    type: s3\n    key_id: ${YS_S3_KEY_ID}\n    secrett: x\n")
    project.env["YS_LINT_FILE"] = str(broken)
    test = project.dbt("test", "--select", "secrets_lint")
    assert test.returncode == 1, show(test)
    assert "FAIL 1 secrets_lint" in test.stdout, show(test)


def test_dbt_run_wrong_postgres_password(project):
    project.env["YS_PG_PASSWORD"] = WRONG_PG_PASSWORD
    run = project.dbt("run")
    assert run.returncode == 1, show(run)
    # The ATTACH of on-run-start is refused; pg_people then has no `pg` catalog.
    assert f'password authentication failed for user "{project.env["YS_PG_USER"]}"' in run.stdout, show(run)
    assert "on-run-start" in run.stdout and 'Catalog "pg" does not exist' in run.stdout, show(run)
    project.assert_no_leak(run)


def test_dbt_secrets_at_startup_from_yamlsecrets_file(project):
    """No load_secrets_yaml hook at all: YAMLSECRETS_FILE makes `LOAD yamlsecrets` load them."""
    config = project.dir / "dbt_project.yml"
    hook = "  - \"FROM load_secrets_yaml('{{ env_var('YS_SECRETS_FILE') }}')\"\n"
    assert hook in config.read_text()
    config.write_text(config.read_text().replace(hook, ""))
    project.env["YAMLSECRETS_FILE"] = project.env["YS_SECRETS_FILE"]
    run = project.dbt("run")
    assert run.returncode == 0, show(run)
    project.assert_no_leak(run)
    con = duckdb.connect(str(project.database), read_only=True)
    try:
        assert con.execute("SELECT id, name FROM main.pg_people ORDER BY id").fetchall() == PEOPLE
        assert con.execute("SELECT count(*) FROM main.s3_orders").fetchone() == (ORDERS,)
    finally:
        con.close()
