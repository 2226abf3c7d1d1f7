"""Hostile input costs little and fails clearly. Every case runs in the extension for real, in
a child process whose address space is capped (RLIMIT_AS): a case that needed gigabytes
used to abort the host (SIGABRT, "memory allocation failed"); now each one is refused or
loaded well inside the cap, its error text is bounded, and its peak memory growth too.

Time is not asserted beyond a generous timeout (noisy machines); measure_bounded_input.py
prints the time and memory of each case for SECURITY.md.
"""
from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

import duckdb
import pytest

import ys_testlib
from ys_testlib import extension_path as extension  # noqa: F401  (measure_bounded_input.py uses it)

# Address space of a child beyond what it holds once DuckDB and the extension are loaded.
HEADROOM_MB = 1024
# Peak RSS growth a case may cause (the goal is ~100 MB for any file the size limit admits).
MAX_GROWTH_MB = 150
# Error texts and secrets_check rows are bounded: the first findings, then "… and N more".
MAX_ERROR_CHARS = 64 * 1024
MAX_CHECK_ROWS = 101
# Seconds a child may take: generous for debug builds on busy machines (a release build
# takes about a second per case); quadratic paths took minutes.
TIMEOUT_S = float(os.environ.get("YS_BOUNDED_TIMEOUT", "300"))


def _list(n, item="v"):
    return "[" + ", ".join([item] * n) + "]"


def alias_bomb(d):
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 20):
        prev, this = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(f"{this}: &{this} [" + ", ".join([f"*{prev}"] * 10) + "]")
    lines.append("secrets: {}")
    return "\n".join(lines) + "\n"


def nested_anchors(d):
    # `&l0 [&l1 [ … [v, v, …]]]`: each anchor copied the whole list below it (4.7 GB for 2.8 MB).
    levels = 60
    opening = "".join(f"&l{i} [" for i in range(levels))
    return "secrets: {}\nx-bomb: " + opening + ", ".join(["v"] * 400_000) + "]" * levels + "\n"


def alias_text_bomb(d):
    return f"x-t: &t '{'s' * 100_000}'\nx-u: {_list(200, '*t')}\nsecrets: {{}}\n"


def alias_depth_chain(d):
    lines = ["x-0: &d0 " + "[" * 40 + "]" * 40]
    for i in range(1, 10):
        lines.append(f"x-{i}: &d{i} " + "[" * 30 + f"*d{i - 1}" + "]" * 30)
    return "\n".join(lines) + "\nsecrets: {}\n"


def one_million_nodes(d):
    # The most nodes a file may hold, each a 12-character scalar: about 14 MB.
    return "secrets: {}\nx-big: " + _list(999_990, "vvvvvvvvvvvv") + "\n"


def merge_160k(d):
    keys = ", ".join(f"k{i}: v" for i in range(160_000))
    return "secrets:\n  a:\n    type: http\n    <<: {" + keys + "}\n"


def unknown_fields_40k(d):
    return "secrets:\n  a:\n    type: http\n" + "".join(f"    f{i}: v\n" for i in range(40_000))


def unknown_fields_in_100k_secrets(d):
    return "secrets:\n" + "".join(f"  s{i}: {{type: http, bogus: v}}\n" for i in range(100_000))


def header_map_200k(d):
    # One CREATE SECRET with a 200 000-entry map took DuckDB 8 s and 600 MB.
    headers = ", ".join(f"H{i}: v" for i in range(200_000))
    return "secrets:\n  a:\n    type: http\n    extra_http_headers: {" + headers + "}\n"


def scope_list_200k(d):
    # One CREATE SECRET with a 200 000-item scope ran DuckDB out of memory under the cap.
    return "secrets:\n  a:\n    type: http\n    scope: " + _list(200_000, "https://h/") + "\n"


def long_value(d):
    # The longest value the size limit admits, in one secret: a value holds at most 1 MiB.
    return "secrets:\n  a:\n    type: http\n    bearer_token: '" + "t" * (15 * 1024 * 1024) + "'\n"


def reference_bomb(d):
    # 900 KB from a dotenv file, referenced by 20 000 secrets: 18 GB once resolved.
    (d / "big.env").write_text("BIG=" + "b" * 900_000 + "\n")
    secrets = "".join(f"  s{i}: {{type: http, bearer_token: '${{BIG}}'}}\n" for i in range(20_000))
    return "options:\n  env_file: big.env\nsecrets:\n" + secrets


def invalid_secrets_300k(d):
    return "secrets:\n" + "- {}\n" * 300_000


def anchors_and_aliases(d):
    # Each alias looked its anchor up through every anchor defined before it.
    anchors = ", ".join(f"&a{i} v" for i in range(400_000))
    return "x-anchors: [" + anchors + "]\nx-uses: " + _list(90_000, "*a399999") + "\nsecrets: {}\n"


def dotenv_1mb(d):
    # Each variable was compared with every one before it.
    n = 1_000_000 // len("K00000=v\n")
    (d / "bulk.env").write_text("".join(f"K{i:05d}=v\n" for i in range(n)))
    return f"options:\n  env_file: bulk.env\nsecrets:\n  a:\n    type: http\n    bearer_token: ${{K{n - 1:05d}}}\n"


def deep_nesting(d):
    return "secrets: " + "[" * 10_000 + "]" * 10_000 + "\n"


def deep_block_nesting(d):
    return "secrets:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 2000))


def invalid_utf8(d):
    return b"secrets:\n  a:\n    type: http\n    bearer_token: \xff\xfe-not-utf8\n"


def duplicate_keys(d):
    return "secrets:\n  a:\n    type: http\n  a:\n    type: http\n"


def python_tag(d):
    return "secrets:\n  a:\n    type: http\n    bearer_token: !!python/object/apply:os.system ['id']\n"


# name -> (writer, what load_secrets_yaml gives: an error text it contains, or a row count)
CASES = {
    "alias_bomb": (alias_bomb, "aliases expand to more than 100000 nodes (an alias bomb?)"),
    "alias_text_bomb": (alias_text_bomb, "aliases repeat more than 4194304 bytes of text"),
    "alias_depth_chain": (alias_depth_chain, "nesting deeper than 64 levels (through an alias)"),
    "nested_anchors": (nested_anchors, 0),
    "one_million_nodes": (one_million_nodes, 0),
    "merge_160k": (merge_160k, "secret 'a': the definition holds 160001 fields; a secret takes at most 100"),
    "unknown_fields_40k": (unknown_fields_40k, "secret 'a': the definition holds 40001 fields; a secret takes at most 100"),
    "unknown_fields_in_100k_secrets": (unknown_fields_in_100k_secrets, "yamlsecrets: 100000 errors, no secret"),
    "header_map_200k": (header_map_200k, "the value holds 200000 items; a field takes at most 1000"),
    "scope_list_200k": (scope_list_200k, "the value holds 200000 items; a field takes at most 1000"),
    "long_value": (long_value, "field 'bearer_token': the value is longer than 1048576 bytes"),
    "reference_bomb": (reference_bomb, "the references of this file bring in more than 16777216 bytes"),
    "invalid_secrets_300k": (invalid_secrets_300k, "yamlsecrets: 599999 errors, no secret was created:"),
    "anchors_and_aliases": (anchors_and_aliases, 0),
    "dotenv_1mb": (dotenv_1mb, 1),
    "deep_flow_nesting": (deep_nesting, "nesting deeper than 64 levels"),
    "deep_block_nesting": (deep_block_nesting, "nesting deeper than 64 levels"),
    "invalid_utf8": (invalid_utf8, "is not valid UTF-8 (first bad byte at line 4, column 19)"),
    "duplicate_keys": (duplicate_keys, "duplicate key 'a' (first at line 2, column 3)"),
    "python_tag": (python_tag, "unsupported YAML tag '!!python/object/apply:os.system' on a list"),
}


def write_case(name, directory: pathlib.Path) -> pathlib.Path:
    data = CASES[name][0](directory)
    path = directory / f"{name}.yaml"
    path.write_bytes(data if isinstance(data, bytes) else data.encode())
    return path


FUNCTIONS = {
    "load": "FROM load_secrets_yaml({})",
    "check": "FROM secrets_check({})",
    "unload": "FROM unload_secrets_yaml({})",
}

# Runs one function on the file after capping the address space, and prints one JSON line:
# its time, the peak RSS growth it caused, and its outcome (rows or error text). One process
# per function: DuckDB may run each call on another thread, whose malloc arena keeps what the
# previous call freed, and peaks would add up.
CHILD = r"""
import json, resource, sys, time, duckdb
ext, path, sql, headroom_mb = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
con = duckdb.connect(config={"allow_unsigned_extensions": "true"})
con.execute("SET enable_progress_bar = false")
con.execute(f"LOAD '{ext}'")
con.execute("SELECT 1").fetchall()
vm = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmSize")) * 1024
limit = vm + headroom_mb * 1024 * 1024
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
cpu = time.process_time()
start = time.perf_counter()
try:
    rows = con.execute(sql.format("'" + path.replace("'", "''") + "'")).fetchall()
    result = {"rows": len(rows), "text_chars": sum(len(str(r)) for r in rows)}
except duckdb.Error as e:
    result = {"error": str(e)}
result["ms"] = (time.perf_counter() - start) * 1000
result["cpu_ms"] = (time.process_time() - cpu) * 1000
result["growth_mb"] = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) / 1024
print(json.dumps(result))
"""


def run_function(ext: str, path: pathlib.Path, function: str, headroom_mb: int = HEADROOM_MB):
    """The child's report, or the way it died (a signal, an abort message)."""
    run = subprocess.run(
        [sys.executable, "-c", CHILD, ext, str(path), FUNCTIONS[function], str(headroom_mb)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        cwd=path.parent,
    )
    if run.returncode != 0:
        return {"died": run.returncode, "stderr": run.stderr[-500:]}
    return json.loads(run.stdout.strip().splitlines()[-1])


def run_case(ext: str, path: pathlib.Path, headroom_mb: int = HEADROOM_MB):
    return {function: run_function(ext, path, function, headroom_mb) for function in FUNCTIONS}


@pytest.fixture
def con():
    c = ys_testlib.connect(load=extension())
    yield c
    c.close()


@pytest.mark.parametrize("case", sorted(CASES))
def test_hostile_file_is_refused_or_loaded_within_bounds(tmp_path, case):  # noqa: D103
    path = write_case(case, tmp_path)
    report = run_case(extension(), path)
    for name, result in report.items():
        assert "died" not in result, f"{name}: the process died under a {HEADROOM_MB} MB cap: {result}"
    expected = CASES[case][1]
    load = report["load"]
    if isinstance(expected, int):
        assert load.get("rows") == expected, load
    else:
        assert expected in load.get("error", ""), load
    for name, result in report.items():
        assert len(result.get("error", "")) < MAX_ERROR_CHARS, (name, len(result["error"]))
        assert result["growth_mb"] < MAX_GROWTH_MB, (name, result)
    check = report["check"]
    assert "error" in check or check["rows"] <= MAX_CHECK_ROWS, check


def test_the_memory_cap_can_fail(tmp_path):
    """The cap is tight enough to matter: a file needing gigabytes dies under it (the old
    extension aborted here), so the test above could fail."""
    path = tmp_path / "hog.yaml"
    path.write_text("secrets: {}\n")
    hog = CHILD.replace("start = time.perf_counter()", "bytearray(2 * 1024 ** 3)")
    run = subprocess.run(
        [sys.executable, "-c", hog, extension(), str(path), FUNCTIONS["check"], str(HEADROOM_MB)],
        capture_output=True,
        timeout=60,
    )
    assert run.returncode != 0 and b"MemoryError" in run.stderr


def test_error_text_lists_the_first_findings_then_counts(con, tmp_path):
    # Before: 40 000 unknown fields made an error text of 17 MB.
    path = tmp_path / "mistakes.yaml"
    path.write_text("secrets:\n" + "".join(f"  s{i}: {{type: http, bogus: v}}\n" for i in range(40_000)))
    with pytest.raises(duckdb.Error) as raised:
        con.execute(f"FROM load_secrets_yaml({ys_testlib.sql_str(path)})").fetchall()
    text = str(raised.value)
    assert "yamlsecrets: 40000 errors, no secret was created:" in text
    assert "mistakes.yaml:2:20: secret 's0', field 'bogus': unknown field 'bogus' for type 'http'" in text
    assert text.endswith("… and 39980 more errors not shown (secrets_check lists up to 100)")
    assert len(text) < 16 * 1024
    rows = con.execute(f"SELECT severity, message FROM secrets_check({ys_testlib.sql_str(path)})").fetchall()
    assert len(rows) == 101
    assert rows[-1] == ("error", "… and 39900 more errors not shown: fix the ones above first")


def test_hundred_megabyte_file_is_refused_before_reading(con, tmp_path):
    path = tmp_path / "huge.yaml"
    with open(path, "wb") as f:
        f.truncate(100 * 1024 * 1024)
    with pytest.raises(duckdb.Error, match="is larger than the limit of 16777216 bytes"):
        con.execute(f"FROM load_secrets_yaml('{path}')").fetchall()
