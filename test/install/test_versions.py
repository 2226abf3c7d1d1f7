"""What differs by DuckDB version (src/core/duckdb_versions.rs), checked in the DuckDB under
test: the build that loads is the one for this version, `storage: connection` is refused
before anything is created, and secrets_check warns exactly about the values this version's
duckdb_secrets() shows in clear — compared with what duckdb_secrets() really shows."""
from __future__ import annotations

import duckdb
import pytest

import ys_testlib
from ys_testlib import sql_str

TOKEN = "versions-canary-token-9876"


@pytest.fixture
def con():
    connection = ys_testlib.connect(load=ys_testlib.extension_path())
    yield connection
    connection.close()


def write(tmp_path, body: str):
    path = tmp_path / "secrets.yaml"
    path.write_text("secrets:\n" + body)
    return path


def test_the_loaded_build_runs_this_version(con):
    assert con.execute("SELECT version()").fetchone()[0] == f"v{duckdb.__version__}"
    assert con.execute("SELECT count(*) FROM duckdb_functions() WHERE function_name = 'load_secrets_yaml'").fetchone()[0] >= 1


def test_storage_connection_is_refused_and_nothing_is_created(con, tmp_path, monkeypatch):
    monkeypatch.setenv("YS_VERSIONS_TOKEN", TOKEN)
    path = write(tmp_path, "  fine:\n    type: http\n    bearer_token: ${YS_VERSIONS_TOKEN}\n"
                           "  per_connection:\n    type: http\n    bearer_token: ${YS_VERSIONS_TOKEN}\n"
                           "    storage: connection\n")
    with pytest.raises(duckdb.Error) as failure:
        con.execute(f"FROM load_secrets_yaml({sql_str(path)})").fetchall()
    message = str(failure.value)
    assert "storage 'connection'" in message and "connection of its own" in message
    assert "secrets.yaml:8:14" in message, message
    assert TOKEN not in message
    assert con.execute("SELECT count(*) FROM duckdb_secrets()").fetchone()[0] == 0


def shown_in_clear_by_duckdb(con, parameter: str, value: str) -> bool:
    """Creates a secret by hand and asks DuckDB's own view whether the value shows."""
    con.execute(f"CREATE OR REPLACE SECRET probe_clear (TYPE http, {parameter} {value})")
    shown = con.execute("SELECT secret_string FROM duckdb_secrets() WHERE name = 'probe_clear'").fetchone()[0]
    con.execute("DROP SECRET probe_clear")
    return "clearprobe" in shown


@pytest.mark.parametrize("parameter, yaml_value, sql_value", [
    ("bearer_token", "clearprobe", "'clearprobe'"),
    ("extra_http_headers", "{Authorization: clearprobe}", "MAP {'Authorization': 'clearprobe'}"),
])
def test_clear_text_warning_matches_what_duckdb_shows(con, tmp_path, parameter, yaml_value, sql_value):
    path = write(tmp_path, f"  api:\n    type: http\n    {parameter}: {yaml_value}\n")
    warnings = con.execute(
        f"SELECT message FROM secrets_check({sql_str(path)}) WHERE field = {sql_str(parameter)} "
        "AND message LIKE '% in clear in duckdb_secrets()%'"
    ).fetchall()
    shown = shown_in_clear_by_duckdb(con, parameter, sql_value)
    assert bool(warnings) == shown, f"duckdb_secrets() shows {parameter} in clear: {shown}; warnings: {warnings}"
    # a load shows the same warning on the secret's row, without failing
    row_warnings = con.execute(f"SELECT warnings FROM load_secrets_yaml({sql_str(path)}, dry_run := true)").fetchone()[0]
    assert any("in clear in duckdb_secrets()" in w for w in row_warnings) == shown, row_warnings
    if warnings:
        assert f"v{duckdb.__version__}" in warnings[0][0]
        assert "clearprobe" not in warnings[0][0]


def test_parameters_this_version_lacks_are_named_before_duckdb_sees_them(con, tmp_path):
    """http's verify_ssl exists from DuckDB 1.5 on: older versions get yamlsecrets' own error
    (with the place and both versions), newer ones accept it."""
    path = write(tmp_path, "  api:\n    type: http\n    bearer_token: clearprobe\n    verify_ssl: false\n")
    has_it = True
    try:
        con.execute("CREATE SECRET probe_verify (TYPE http, VERIFY_SSL false)")
        con.execute("DROP SECRET probe_verify")
    except duckdb.Error:
        has_it = False
    if has_it:
        rows = con.execute(f"SELECT name, action FROM load_secrets_yaml({sql_str(path)})").fetchall()
        assert rows == [("api", "created")]
    else:
        with pytest.raises(duckdb.Error) as failure:
            con.execute(f"FROM load_secrets_yaml({sql_str(path)})").fetchall()
        message = str(failure.value)
        assert "secrets.yaml:5:5" in message and "'verify_ssl' is a parameter of type 'http' from DuckDB v1.5.0 on" in message
        assert f"this is DuckDB v{duckdb.__version__}" in message
        assert "clearprobe" not in message


def test_a_provider_of_a_newer_duckdb_is_named_in_an_older_one(tmp_path):
    """s3's provider `none` exists from DuckDB 2.0 on (checked where httpfs can be loaded)."""
    ys_testlib.skip_without_extension_wheels(["httpfs"])
    con = ys_testlib.connect(extension_directory=ys_testlib.extension_dir(), extensions=("httpfs",),
                             load=ys_testlib.extension_path())
    path = write(tmp_path, "  anon:\n    type: s3\n    provider: none\n")
    with pytest.raises(duckdb.Error) as failure:
        con.execute(f"FROM load_secrets_yaml({sql_str(path)})").fetchall()
    assert f"provider 'none' of type 's3' exists from DuckDB v2.0.0 on, and this is DuckDB v{duckdb.__version__}" in str(failure.value)
    con.close()


SAMPLES = {"VARCHAR": "'sample'", "BOOLEAN": "true", "INTEGER": "5432", "VARCHAR[]": "['sample']",
           "MAP(VARCHAR, VARCHAR)": "MAP {'X-Sample': 'sample'}"}


def test_catalogue_matches_this_duckdb_for_the_types_it_registers(con):
    """The catalogue (yamlsecrets_types()) against the running DuckDB, for every type it
    registers without extensions: parameter by parameter through duckdb_secret_type_parameters()
    where it exists (2.0), else by offering each catalogued parameter to CREATE SECRET; a
    parameter this version lacks must be one duckdb_versions.rs names (checked by
    test_parameters_this_version_lacks_are_named_before_duckdb_sees_them)."""
    registered = {r[0] for r in con.execute("SELECT type FROM duckdb_secret_types()").fetchall()}
    catalogue: dict[tuple[str, str], dict[str, str]] = {}
    for type_, provider, parameter, kind in con.execute(
        "SELECT type, provider, parameter, kind FROM yamlsecrets_types() WHERE parameter IS NOT NULL"
    ).fetchall():
        if type_ in registered:
            catalogue.setdefault((type_, provider), {})[parameter] = kind
    assert ("http", "config") in catalogue
    has_table = con.execute(
        "SELECT count(*) FROM duckdb_functions() WHERE function_name = 'duckdb_secret_type_parameters'"
    ).fetchone()[0] > 0
    if has_table:
        duckdb_side: dict[tuple[str, str], set[str]] = {}
        for type_, provider, name in con.execute(
            "SELECT type, provider, name FROM duckdb_secret_type_parameters()"
        ).fetchall():
            if type_ in registered:
                duckdb_side.setdefault((type_, provider), set()).add(name)
        assert {k: set(v) for k, v in catalogue.items()} == duckdb_side
        return
    lacking = set()
    for (type_, provider), params in catalogue.items():
        for name, kind in params.items():
            try:
                con.execute(f"CREATE OR REPLACE SECRET catalogue_probe (TYPE {type_}, PROVIDER {provider}, "
                            f"{name} {SAMPLES[kind]})")
                con.execute("DROP SECRET catalogue_probe")
            except duckdb.BinderException as refused:
                assert "Unknown parameter" in str(refused), str(refused)
                lacking.add((type_, name))
    expected = {("http", "verify_ssl")} if duckdb.__version__.startswith("1.4.") else set()
    assert lacking == expected
