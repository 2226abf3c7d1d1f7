"""Hostile input fails fast with a clear error: an alias bomb, 10 000-level nesting, a
100 MB file, invalid UTF-8, duplicate keys. Each runs in the extension for real. Time and
peak memory are measured by bench/bounded_input.py, not asserted here (noisy machines)."""
import duckdb
import pytest

import ys_testlib
from ys_testlib import extension_path as extension  # noqa: F401  (measure_bounded_input.py uses it)


def alias_bomb() -> bytes:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 20):
        prev, this = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(f"{this}: &{this} [" + ", ".join([f"*{prev}"] * 10) + "]")
    lines.append("secrets: {}")
    return ("\n".join(lines) + "\n").encode()


def deep_nesting() -> bytes:
    return b"secrets: " + b"[" * 10_000 + b"]" * 10_000 + b"\n"


def deep_block_nesting() -> bytes:
    return ("secrets:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 2000))).encode()


def invalid_utf8() -> bytes:
    return b"secrets:\n  a:\n    type: http\n    bearer_token: \xff\xfe-not-utf8\n"


def duplicate_keys() -> bytes:
    return b"secrets:\n  a:\n    type: http\n  a:\n    type: http\n"


CASES = {
    "alias_bomb": (alias_bomb, "aliases expand to more than 100000 nodes (an alias bomb?)"),
    "deep_flow_nesting": (deep_nesting, "nesting deeper than 64 levels"),
    "deep_block_nesting": (deep_block_nesting, "nesting deeper than 64 levels"),
    "invalid_utf8": (invalid_utf8, "is not valid UTF-8 (first bad byte at line 4, column 19)"),
    "duplicate_keys": (duplicate_keys, "duplicate key 'a' (first at line 2, column 3)"),
}


@pytest.fixture
def con():
    c = ys_testlib.connect(load=extension())
    yield c
    c.close()


@pytest.mark.parametrize("case", sorted(CASES))
def test_hostile_file_fails_clearly(con, tmp_path, case):  # noqa: D103
    make, expected = CASES[case]
    path = tmp_path / f"{case}.yaml"
    path.write_bytes(make())
    with pytest.raises(duckdb.Error) as raised:
        con.execute(f"FROM load_secrets_yaml('{path}')").fetchall()
    assert expected in str(raised.value)
    assert con.execute("SELECT count(*) FROM duckdb_secrets()").fetchone() == (0,)


def test_hundred_megabyte_file_is_refused_before_reading(con, tmp_path):
    path = tmp_path / "huge.yaml"
    with open(path, "wb") as f:
        f.truncate(100 * 1024 * 1024)
    with pytest.raises(duckdb.Error, match="is larger than the limit of 16777216 bytes"):
        con.execute(f"FROM load_secrets_yaml('{path}')").fetchall()
