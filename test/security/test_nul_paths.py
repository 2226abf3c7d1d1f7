"""A NUL byte in a path never silently shortens it (SECURITY.md, "NUL bytes").

Paths that reach yamlsecrets' core whole — `${file:…}` and `options: env_file` in the YAML
(YAML's `\\0`), `env_file :=` — are refused, naming the NUL byte. The path *argument* of
the SQL functions is another matter: duckdb-rs hands a VARCHAR to the extension as a C string,
which ends at the first NUL, so `load_secrets_yaml('a.yaml' || chr(0) || 'x')` would read
`a.yaml`. The extension layer detects the cut (`duckdb_rs_compat::whole_text`) and refuses
the call; that check runs on every DuckDB of the matrix, with or without extensions.
"""
from __future__ import annotations

import pytest

duckdb = pytest.importorskip("duckdb")

import ys_testlib  # noqa: E402
from ys_testlib import extension_dir, extension_path, sql_str  # noqa: E402


@pytest.fixture
def con():
    con = ys_testlib.connect(config=dict(ys_testlib.NO_AUTOLOAD), extension_directory=extension_dir(),
                             extensions=("httpfs",), load=extension_path())
    yield con
    con.close()


@pytest.fixture
def bare_con():
    """No extension needed: the argument is refused before the file is read."""
    con = ys_testlib.connect(config=dict(ys_testlib.NO_AUTOLOAD), extension_directory=extension_dir(),
                             load=extension_path())
    yield con
    con.close()


@pytest.fixture
def files(tmp_path):
    (tmp_path / "ok.env").write_text("YS_NUL_A=value-from-dotenv\n")
    (tmp_path / "token.txt").write_text("value-from-file\n")
    (tmp_path / "ok.yaml").write_text("secrets:\n  api:\n    type: http\n    bearer_token: plain-token\n")
    return tmp_path


def refused(con, sql: str) -> str:
    with pytest.raises(duckdb.Error) as info:
        con.sql(sql).fetchall()
    return str(info.value)


def test_value_file_path_with_nul_is_refused(con, files):
    path = files / "secrets.yaml"
    path.write_text(f'secrets:\n  api:\n    type: http\n    bearer_token: "${{file:{files}/token.txt\\0x}}"\n')
    err = refused(con, f"FROM load_secrets_yaml({sql_str(path)}, dry_run := true)")
    assert "NUL byte" in err, err


def test_env_file_option_with_nul_is_refused(con, files):
    path = files / "secrets.yaml"
    path.write_text(
        f'options:\n  env_file: "{files}/ok.env\\0x"\n'
        "secrets:\n  api:\n    type: http\n    bearer_token: ${YS_NUL_A:-fallback}\n"
    )
    err = refused(con, f"FROM load_secrets_yaml({sql_str(path)}, dry_run := true)")
    assert "env_file" in err and "NUL byte" in err, err


@pytest.mark.parametrize("argument", ["path", "env_file"])
def test_sql_argument_with_nul_is_refused(bare_con, files, argument):
    yaml_path = sql_str(files / "ok.yaml")
    env_path = sql_str(files / "ok.env")
    if argument == "path":
        sql = f"FROM load_secrets_yaml({yaml_path} || chr(0) || 'x', dry_run := true)"
    else:
        sql = f"FROM load_secrets_yaml({yaml_path}, env_file := {env_path} || chr(0) || 'x', dry_run := true)"
    err = refused(bare_con, sql)
    assert "NUL byte" in err, err


def test_quotes_and_backslashes_in_the_path_are_not_mistaken_for_a_nul(bare_con, tmp_path):
    # The NUL check reads the argument as a SQL literal: a quote (doubled there) or a
    # backslash must not look like a cut.
    path = tmp_path / "it's a \\ 'quoted' dir" / "secrets.yaml"
    path.parent.mkdir()
    path.write_text("secrets: {}\n")
    rows = bare_con.sql(f"FROM load_secrets_yaml({sql_str(path)}, dry_run := true)").fetchall()
    assert rows == [], rows  # read and found empty: the path reached the file whole
