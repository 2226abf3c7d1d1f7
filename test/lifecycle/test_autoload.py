"""A type whose extension is not loaded: yamlsecrets does what DuckDB's own CREATE SECRET would do
under the database's autoload_known_extensions / autoinstall_known_extensions settings, and only
that. Offline: the extension wheels' directory has the layout of an extension repository, so
autoinstall_extension_repository pointing at it stands in for DuckDB's download server.
(Autoload of an installed extension, and the settings off: test/sql/autoload_extensions.test.)"""

import textwrap

import duckdb
import pytest

import ys_testlib
from ys_lifecycle_helpers import secret_names, sql_str

S3 = """\
secrets:
  lake:
    type: s3
    key_id: ${YS_AUTOLOAD_KEY}
    secret: ${YS_AUTOLOAD_SECRET}
    region: us-east-1
  api:
    type: http
    bearer_token: ${YS_AUTOLOAD_SECRET}
"""


@pytest.fixture
def secrets_file(tmp_path, monkeypatch):
    monkeypatch.setenv("YS_AUTOLOAD_KEY", "AKIA-autoload-canary")
    monkeypatch.setenv("YS_AUTOLOAD_SECRET", "autoload-secret-canary-5c1e")
    path = tmp_path / "secrets.yaml"
    path.write_text(textwrap.dedent(S3))
    return path


def connect(tmp_path, extension_path, *, autoinstall, repository):
    ys_testlib.skip_without_extension_wheels(["httpfs"])
    empty = tmp_path / "extensions"
    empty.mkdir(exist_ok=True)
    return ys_testlib.connect(
        config={
            "autoload_known_extensions": "true",
            "autoinstall_known_extensions": str(autoinstall).lower(),
            "autoinstall_extension_repository": str(repository),
            "secret_directory": str(tmp_path / "stored_secrets"),
        },
        extension_directory=str(empty),
        load=str(extension_path),
    )


def httpfs_state(con):
    return con.execute(
        "SELECT installed, loaded FROM duckdb_extensions() WHERE extension_name = 'httpfs'"
    ).fetchone()


def test_autoinstall_brings_the_extension_in_as_create_secret_would(tmp_path, extension_path, secrets_file):
    con = connect(tmp_path, extension_path, autoinstall=True, repository=ys_testlib.extension_dir())
    try:
        assert httpfs_state(con) == (False, False)
        notes = con.execute(
            f"SELECT message FROM secrets_check({sql_str(secrets_file)}) WHERE field = 'type'"
        ).fetchall()
        assert notes == [("needs the httpfs extension, which is not installed: a load runs INSTALL httpfs and "
                          "LOAD httpfs first, as DuckDB's own CREATE SECRET does (autoinstall_known_extensions "
                          "and autoload_known_extensions are true)",)]
        con.execute(f"FROM load_secrets_yaml({sql_str(secrets_file)}, dry_run := true)").fetchall()
        assert httpfs_state(con) == (False, False), "a dry run installs nothing"
        rows = con.execute(f"SELECT name, action FROM load_secrets_yaml({sql_str(secrets_file)})").fetchall()
        assert sorted(rows) == [("api", "created"), ("lake", "created")]
        assert httpfs_state(con) == (True, True)
        assert any((tmp_path / "extensions").glob("**/httpfs.duckdb_extension"))
    finally:
        con.close()


def test_not_installed_and_autoinstall_off_is_the_clear_error(tmp_path, extension_path, secrets_file):
    con = connect(tmp_path, extension_path, autoinstall=False, repository=ys_testlib.extension_dir())
    try:
        with pytest.raises(duckdb.Error, match=r"needs the httpfs extension, which is not loaded: "
                                              r"run INSTALL httpfs; LOAD httpfs;"):
            con.execute(f"FROM load_secrets_yaml({sql_str(secrets_file)})").fetchall()
        assert secret_names(con) == set()
        assert httpfs_state(con) == (False, False)
    finally:
        con.close()


def test_an_autoinstall_that_fails_keeps_the_clear_error_and_creates_nothing(tmp_path, extension_path,
                                                                             secrets_file):
    nowhere = tmp_path / "no-repository"
    nowhere.mkdir()
    con = connect(tmp_path, extension_path, autoinstall=True, repository=nowhere)
    try:
        with pytest.raises(duckdb.Error) as raised:
            con.execute(f"FROM load_secrets_yaml({sql_str(secrets_file)})").fetchall()
        message = str(raised.value)
        assert "secret 'lake' needs the httpfs extension, which is not loaded, and installing and loading it" \
               in message, message
        assert "run INSTALL httpfs; LOAD httpfs; nothing of this call was applied" in message, message
        assert "autoload-secret-canary" not in message
        assert secret_names(con) == set(), "all or nothing: the http secret of the file is not created either"
    finally:
        con.close()
