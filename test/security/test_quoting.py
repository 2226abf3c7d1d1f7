"""SPEC §4, quoting: arbitrary secret names and values reach DuckDB exactly.

yamlsecrets builds CREATE SECRET text with `quote_literal` (doubling `'`) and `quote_ident`
(doubling `"`) only (src/core/sql_text.rs). This property test (hypothesis, derandomized, so
CI runs the same examples every time) writes YAML files of one or two `http` secrets whose
every text is arbitrary, loads them, and checks what DuckDB stored.

Generated texts: any Unicode scalar value but NUL (C0/C1 controls, DEL, tab, CR, LF, U+2028,
U+2029, U+FEFF, non-BMP, combining marks), mixed with fragments meant to break quoting or
interpolation: `'`, `"`, `\\`, `$`, `${`, `$${`, `${X}`, `}`, `--`, `;`, `/*`, `'; DROP …`,
`<<`, leading/trailing spaces, the empty string.

Fields, each an arbitrary text: the secret name (a key of `secrets:`), `bearer_token`,
`extra_http_headers` (a map: keys and values arbitrary), `scope` (a list). Every value (not
keys, not names: interpolation applies to values only) comes from one of three sources,
drawn per value:
  literal   in the YAML file: `${` is written `$${` (the escape for a literal `${`), then
            the text is a YAML scalar, double-quoted with escapes (`\\\\`, `\\"`, `\\n`,
            `\\xHH`, `\\uHHHH`, `\\UHHHHHHHH`; non-ASCII raw or escaped, drawn per file) or
            single-quoted (`''`) when the text allows it;
  env       `${YSQ_…}` with the text in the process environment (unencoded: a `${` that
            arrives from a variable is not interpolated again);
  file      `${file:v….txt}`, the text plus one `\\n` in the file (one trailing newline, or
            CRLF, is removed by design, so a text ending in `\\r` is written with `\\r\\n`).
Names and header keys are written as YAML keys the same way, without `$${` encoding.

The check is exact, twice over:
  1. against DuckDB itself: the same secret is created with a hand-written, independently
     escaped `CREATE TEMPORARY SECRET "…" (TYPE http, SCOPE [...], BEARER_TOKEN '…',
     EXTRA_HTTP_HEADERS MAP {...})` and the two rows of `duckdb_secrets(redact := false)`
     (name, type, provider, persistent, storage, scope, secret_string) must be equal;
  2. independently of DuckDB's rendering: the name column is the expected name, the scope
     column equals the list, and secret_string starts with
     `name=<name>;type=http;provider=config;serializable=true;scope[=a,b];bearer_token=<v>`
     followed by `;extra_http_headers=` or the end. (The map is checked through 1 only:
     DuckDB renders it as `{k=v, …}` with its own quoting.)

Names: DuckDB lower-cases identifiers with ASCII rules only (`CREATE SECRET "ÉX"` stores
`Éx`, see test_duckdb_lowercases_names_ascii_only), and so does yamlsecrets
(test_non_ascii_uppercase_name_is_stored_as_duckdb_would); names are generated from every
character but NUL.

NUL: no DuckDB string can hold it. It reaches yamlsecrets only through a YAML `\\0` escape or
a `${file:…}` file (an environment variable cannot hold NUL); each case must fail with a
"NUL byte" error and create nothing, not even the file's other, valid secrets.

One connection serves every example; each example's secrets are unloaded (and the
reference secret dropped) before the next, and the test checks nothing is left.
"""
from __future__ import annotations

import os
import pathlib
import shutil
import tempfile

import pytest

duckdb = pytest.importorskip("duckdb")
hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import ys_testlib  # noqa: E402
from ys_testlib import extension_dir, extension_path  # noqa: E402


# --------------------------------------------------------------------------------------
# Independent SQL quoting (the reference) and YAML writing


def sql_lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def sql_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def duckdb_lower(name: str) -> str:
    """What DuckDB does to an identifier: ASCII letters only."""
    return "".join(c.lower() if "A" <= c <= "Z" else c for c in name)


# Characters a YAML scalar must not hold raw: controls (C0 but tab, DEL, C1 with NEL), line
# and paragraph separators, BOM, non-characters.
_MUST_ESCAPE = {0x2028, 0x2029, 0xFEFF, 0xFFFE, 0xFFFF}


def _needs_escape(ch: str) -> bool:
    o = ord(ch)
    return (o < 0x20 and ch != "\t") or 0x7F <= o <= 0x9F or o in _MUST_ESCAPE


def yaml_double(text: str, ascii_only: bool) -> str:
    out = ['"']
    for ch in text:
        o = ord(ch)
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\0":
            out.append("\\0")
        elif _needs_escape(ch):
            out.append(f"\\x{o:02x}" if o <= 0xFF else f"\\u{o:04x}")
        elif ascii_only and o > 0x7E:
            out.append(f"\\u{o:04x}" if o <= 0xFFFF else f"\\U{o:08x}")
        else:
            out.append(ch)  # tab and printable non-ASCII stay raw
    out.append('"')
    return "".join(out)


def yaml_scalar(text: str, style: str) -> str:
    """`text` as a one-line YAML scalar: 'dq', 'dq_ascii' or 'sq' (when representable)."""
    if style == "sq" and not any(_needs_escape(c) for c in text):
        return "'" + text.replace("'", "''") + "'"
    return yaml_double(text, ascii_only=(style == "dq_ascii"))


# --------------------------------------------------------------------------------------
# The connection, shared by every example


@pytest.fixture(scope="module")
def con():
    c = ys_testlib.connect(
        config={"allow_unredacted_secrets": "true", **ys_testlib.NO_AUTOLOAD},
        extension_directory=extension_dir(),
        extensions=("httpfs",),
        load=extension_path(),
    )
    yield c
    c.close()


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("quoting")


COLUMNS = "name, type, provider, persistent, storage, scope, secret_string"


def secrets_rows(con):
    return con.execute(f"SELECT {COLUMNS} FROM duckdb_secrets(redact := false) ORDER BY name").fetchall()


def drop_everything(con) -> list:
    """Drops whatever secret is left; returns what was left."""
    left = secrets_rows(con)
    for row in left:
        con.execute(f"DROP SECRET IF EXISTS {sql_ident(row[0])}")
    return left


# --------------------------------------------------------------------------------------
# Strategies

FRAGMENTS = [
    "'", "''", '"', '""', "\\", "\\'", "$", "$$", "${", "$${", "${X}", "$${X}", "}", "{",
    "--", ";", "/*", "*/", "'; DROP SECRET x; --", "\"); DROP TABLE t; --", "\n", "\r\n",
    "\r", "\t", " ", "  ", "<<", "x-", "#", ": ", "- ", "&a", "*a", "!!str", "null", "~",
    "é", "É", "ß", "\u0301", "日本", "😀", "\U0001F9EA", "\u2028", "\u2029", "\x85",
    "\ufeff", "\x7f", "\x01", "\x1b[31m", "=", ",", "[", "]", "%", "?",
]

_char = st.characters(codec="utf-8", exclude_characters="\0")
_piece = st.one_of(st.sampled_from(FRAGMENTS), st.text(_char, max_size=8))
text_st = st.lists(_piece, max_size=6).map("".join)


def _name_char_ok(c: str) -> bool:
    return c != "\0"


_name_piece = st.one_of(
    st.sampled_from([f for f in FRAGMENTS if all(_name_char_ok(c) for c in f)]),
    st.text(_char.filter(_name_char_ok), max_size=8),
)
name_st = st.lists(_name_piece, min_size=1, max_size=6).map("".join).filter(lambda s: s != "")

SOURCES = ("literal", "env", "file")


@st.composite
def secret_st(draw):
    return {
        "name": draw(name_st),
        "token": draw(text_st),
        "token_src": draw(st.sampled_from(SOURCES)),
        # None: the field is absent
        "headers": draw(
            st.none()
            | st.lists(
                st.tuples(text_st, text_st, st.sampled_from(SOURCES)),
                max_size=4,
                unique_by=lambda kv: kv[0],
            )
        ),
        "scope": draw(st.none() | st.lists(st.tuples(text_st, st.sampled_from(SOURCES)), max_size=3)),
    }


case_st = st.fixed_dictionaries(
    {
        "style": st.sampled_from(("dq", "dq_ascii", "sq")),
        "secrets": st.lists(secret_st(), min_size=1, max_size=2, unique_by=lambda s: duckdb_lower(s["name"])),
    }
)


# --------------------------------------------------------------------------------------
# One example: files, environment, load, compare, clean up


class Writer:
    def __init__(self, folder: pathlib.Path, style: str):
        self.folder = folder
        self.style = style
        self.env: dict[str, str] = {}
        self.n = 0

    def value(self, text: str, source: str) -> str:
        """The YAML scalar that yamlsecrets resolves to exactly `text`."""
        self.n += 1
        if source == "env":
            var = f"YSQ_{os.getpid()}_{self.n}"
            self.env[var] = text
            return yaml_scalar("${" + var + "}", self.style)
        if source == "file":
            name = f"v{self.n}.txt"
            ending = b"\r\n" if text.endswith("\r") else b"\n"
            (self.folder / name).write_bytes(text.encode("utf-8") + ending)
            return yaml_scalar("${file:" + name + "}", self.style)
        return yaml_scalar(text.replace("${", "$${"), self.style)

    def key(self, text: str) -> str:
        return yaml_scalar(text, self.style)

    def document(self, secrets: list[dict]) -> str:
        lines = ["secrets:"]
        for s in secrets:
            lines.append(f"  {self.key(s['name'])}:")
            lines.append("    type: http")
            lines.append(f"    bearer_token: {self.value(s['token'], s['token_src'])}")
            if s["headers"] is not None:
                if not s["headers"]:
                    lines.append("    extra_http_headers: {}")
                else:
                    lines.append("    extra_http_headers:")
                    for k, v, src in s["headers"]:
                        lines.append(f"      {self.key(k)}: {self.value(v, src)}")
            if s["scope"] is not None:
                if not s["scope"]:
                    lines.append("    scope: []")
                else:
                    lines.append("    scope:")
                    for item, src in s["scope"]:
                        lines.append(f"      - {self.value(item, src)}")
        return "\n".join(lines) + "\n"


def reference_sql(s: dict) -> str:
    """The CREATE SECRET a careful human would write for `s`, escaped here, not by yamlsecrets."""
    parts = ["TYPE http"]
    if s["scope"]:
        parts.append("SCOPE [" + ", ".join(sql_lit(i) for i, _ in s["scope"]) + "]")
    parts.append("BEARER_TOKEN " + sql_lit(s["token"]))
    if s["headers"] is not None:
        parts.append(
            "EXTRA_HTTP_HEADERS MAP {" + ", ".join(f"{sql_lit(k)}: {sql_lit(v)}" for k, v, _ in s["headers"]) + "}"
        )
    return f"CREATE TEMPORARY SECRET {sql_ident(s['name'])} (" + ", ".join(parts) + ")"


def expected_prefix(s: dict) -> str:
    scope = [i for i, _ in s["scope"] or []]
    text = f"name={duckdb_lower(s['name'])};type=http;provider=config;serializable=true;scope"
    if scope:
        text += "=" + ",".join(scope)
    return text + ";bearer_token=" + s["token"]


def check_case(con, workdir: pathlib.Path, case: dict) -> None:
    assert secrets_rows(con) == [], "a previous example left secrets behind"
    folder = pathlib.Path(tempfile.mkdtemp(dir=workdir))
    writer = Writer(folder, case["style"])
    path = folder / "secrets.yaml"
    path.write_text(writer.document(case["secrets"]), encoding="utf-8")
    os.environ.update(writer.env)
    try:
        loaded = con.execute(f"FROM load_secrets_yaml({sql_lit(str(path))})").fetchall()
        got = secrets_rows(con)
        unloaded = con.execute(f"FROM unload_secrets_yaml({sql_lit(str(path))})").fetchall()
        assert drop_everything(con) == [], "unload_secrets_yaml left secrets behind"

        want_names = sorted(duckdb_lower(s["name"]) for s in case["secrets"])
        assert sorted(r[0] for r in loaded) == want_names
        assert sorted(r[0] for r in unloaded) == want_names
        assert [r[0] for r in got] == want_names
        assert all(r[6] == "created" for r in loaded), loaded

        by_name = {r[0]: r for r in got}
        for s in case["secrets"]:
            row = by_name[duckdb_lower(s["name"])]
            # 2. exact, without DuckDB's help
            assert row[1:5] == ("http", "config", False, "memory")
            assert row[5] == [i for i, _ in s["scope"] or []]
            prefix = expected_prefix(s)
            if s["headers"] is None:
                assert row[6] == prefix
            else:
                assert row[6].startswith(prefix + ";extra_http_headers=")
            # 1. exact, against the same secret created by hand
            con.execute(reference_sql(s))
            reference = secrets_rows(con)
            assert drop_everything(con) == reference
            assert row == reference[0]
    finally:
        for var in writer.env:
            os.environ.pop(var, None)
        try:
            con.execute(f"FROM unload_secrets_yaml({sql_lit(str(path))})").fetchall()
        except duckdb.Error:
            pass
        drop_everything(con)
        shutil.rmtree(folder, ignore_errors=True)


@settings(
    derandomize=True,
    database=None,
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)
@given(case=case_st)
def test_names_and_values_round_trip_exactly(con, workdir, case):
    check_case(con, workdir, case)


# Examples that must always run, whatever hypothesis draws (and earlier finds).
def _secret(name, token, headers=None, scope=None, src="literal"):
    return {
        "name": name,
        "token": token,
        "token_src": src,
        "headers": None if headers is None else [(k, v, src) for k, v in headers],
        "scope": None if scope is None else [(i, src) for i in scope],
    }


EXPLICIT = {
    "quotes_and_sql": _secret(
        "My \"Sec'ret\"; --",
        "it's \"q\" \\ $ -- ; /* */ '); DROP SECRET x; --",
        [("X-It's", "v'a\"l\\"), ("", ""), (" k ", " v ")],
        ["s3://b'k/", "a, b", ""],
    ),
    "dollars": _secret("$${x}", "${ $${ $$ $ $$${ }", [("${K}", "$${V}")], ["${S}"]),
    "whitespace_and_lines": _secret(" sp\tace\n ", "  \n\r\n\t x \r", [("k\n", "\r\nv\n")], [" ", "\n"]),
    "unicode": _secret("日本 😀 é\u0301", "\U0001F9EA\u2028\u2029\x85\ufeff\x7f\x01", [("😀", "ß")], ["\U0010FFFD"]),
    "empty": _secret("e", "", [], []),
    "merge_key_text": _secret("<<", "<<", [("<<", "<<")], ["<<"]),
}


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("style", ("dq", "dq_ascii", "sq"))
@pytest.mark.parametrize("which", sorted(EXPLICIT))
def test_explicit_examples(con, workdir, which, style, source):
    s = dict(EXPLICIT[which])
    s["token_src"] = source
    if s["headers"] is not None:
        s["headers"] = [(k, v, source) for k, v, _ in s["headers"]]
    if s["scope"] is not None:
        s["scope"] = [(i, source) for i, _ in s["scope"]]
    check_case(con, workdir, {"style": style, "secrets": [s]})


# --------------------------------------------------------------------------------------
# Names with non-ASCII upper case


def test_duckdb_lowercases_names_ascii_only(con):
    """DuckDB's own rule, which yamlsecrets' README says it follows."""
    con.execute('CREATE TEMPORARY SECRET "ÉX İ Σ" (TYPE http)')
    try:
        assert [r[0] for r in secrets_rows(con)] == ["Éx İ Σ"]
    finally:
        drop_everything(con)


@pytest.mark.parametrize("name", ["ÉX", "İ"])
def test_non_ascii_uppercase_name_is_stored_as_duckdb_would(con, workdir, name):
    check_case(con, workdir, {"style": "dq", "secrets": [_secret(name, "t")]})


# --------------------------------------------------------------------------------------
# NUL


NUL_CASES = {
    # id: (yaml secret body lines, files)
    "bearer_token_escape": ('    bearer_token: "a\\0b"', {}),
    "bearer_token_only_nul": ('    bearer_token: "\\0"', {}),
    "header_value_escape": ('    extra_http_headers: {"k": "v\\0"}', {}),
    "header_key_escape": ('    extra_http_headers: {"k\\0": "v"}', {}),
    "scope_item_escape": ('    scope: ["s3://a/", "s3://\\0/"]', {}),
    "bearer_token_file": ("    bearer_token: ${file:nul.txt}", {"nul.txt": b"sec\0ret\n"}),
    "header_value_file": ("    extra_http_headers: {k: '${file:nul.txt}'}", {"nul.txt": b"\0"}),
}


def _assert_nothing_created(con, before_yaml):
    assert secrets_rows(con) == []
    assert con.execute("FROM yaml_secrets()").fetchall() == before_yaml


@pytest.mark.parametrize("case", sorted(NUL_CASES))
def test_nul_is_refused_and_nothing_is_created(con, tmp_path, case):
    body, files = NUL_CASES[case]
    for name, content in files.items():
        (tmp_path / name).write_bytes(content)
    path = tmp_path / "secrets.yaml"
    # a valid secret first: all or nothing
    path.write_text(
        "secrets:\n  valid:\n    type: http\n    bearer_token: fine\n  bad:\n    type: http\n" + body + "\n",
        encoding="utf-8",
    )
    before = con.execute("FROM yaml_secrets()").fetchall()
    with pytest.raises(duckdb.Error) as info:
        con.execute(f"FROM load_secrets_yaml({sql_lit(str(path))})").fetchall()
    message = str(info.value)
    try:
        assert "NUL byte" in message, message
        assert "no secret was created" in message, message
        assert "'bad'" in message, message
        _assert_nothing_created(con, before)
    finally:
        drop_everything(con)


def test_nul_in_name_is_refused(con, tmp_path):
    path = tmp_path / "secrets.yaml"
    path.write_text(
        'secrets:\n  valid:\n    type: http\n  "a\\0b":\n    type: http\n    bearer_token: x\n', encoding="utf-8"
    )
    before = con.execute("FROM yaml_secrets()").fetchall()
    with pytest.raises(duckdb.Error) as info:
        con.execute(f"FROM load_secrets_yaml({sql_lit(str(path))})").fetchall()
    try:
        assert "NUL byte" in str(info.value), str(info.value)
        _assert_nothing_created(con, before)
    finally:
        drop_everything(con)


def test_environment_cannot_carry_nul():
    """Why no `${VAR}` NUL case exists: the process environment cannot hold one."""
    with pytest.raises(ValueError):
        os.environ["YSQ_NUL"] = "a\0b"
