"""SPEC §4: no secret value, literal or resolved, ever appears in a result row, an error, a
warning, a log line or a panic message.

Method: every value the tests give yamlsecrets (literals in the YAML file, environment
variables, dotenv entries, `${file:…}` contents) is a unique canary, `CANARY-<n>-<hex>`, some
with a `'` inside (so the SQL-escaped `''` form is checked too), some spread over several
lines (each line is checked on its own), integers as unique 15-digit numbers. A canary is
found in any text by its raw form, its doubled-quote form, any of its lines, or any of its
`CANARY-<n>-<hex>` tokens (which catches truncated, URL-encoded and re-quoted copies),
compared case-insensitively (DuckDB lower-cases some values in its messages).

What is searched, for every scenario: the error text; every column of every row of
`load_secrets_yaml` (sensitive canaries only: non-sensitive values such as `host` are meant
to be shown in `sql`), `secrets_check(path)`, `secrets_check()`, `yaml_secrets()`,
`unload_secrets_yaml`; `duckdb_secrets()` (canaries of fields DuckDB itself redacts); and
the process's fd 1 and fd 2 (pytest's `capfd`), where a panic message or a log line would go.

Not canaries, because they are identifiers that messages are meant to name: secret names,
`type`, `provider`, keys, `scope`, file paths, and the author's own `${NAME:?message}` text.

Error paths, one parametrized case each (`test_error_path[<id>]`):
 1. unset_var_beside_literal          `${UNSET}` while other fields hold literal canaries
 2. required_var_message              `${VAR:?message}`
 3. unterminated_ref_canary_fallback  `${VAR:-CANARY…` never closed
 4. unsupported_modifier              `${VAR:=CANARY}`
 5. cmd_reference                     `${cmd:echo CANARY}`
 6. value_file_missing                `${file:missing}`
 7. value_file_is_directory           `${file:dir}`
 8. value_file_invalid_utf8           a value file of invalid UTF-8 holding a canary
 9. value_file_with_nul               a value file whose content holds a NUL byte
10. dotenv_unterminated_quote         env_file line `A='CANARY…` never closed
11. unknown_field                     an unknown field whose value is a canary
12. list_for_string_field             a list of canaries for a string field
13. mapping_for_string_field          a mapping of canaries for a string field
14. boolean_field_given_canary        `verify_ssl: CANARY…`
15. integer_field_given_canary        postgres `port: CANARY…`
16. iceberg_expires_in_canary         iceberg `expires_in` (INTEGER) given a canary string
17. yaml_unterminated_quote           YAML syntax error right after a canary value
18. yaml_bad_indentation              bad indentation right after a canary value
19. yaml_duplicate_key                a duplicate key whose two values are canaries
20. duplicate_secret_names            two secrets of one name, each with a canary
21. unknown_type                      an unknown type beside canaries
22. unknown_provider                  an unknown provider beside canaries
23. parameter_of_other_provider       azure `client_secret` without `provider: service_principal`
24. missing_extension                 an s3 secret on a database without httpfs
25. nul_byte_in_yaml_value            `"CANARY\\0CANARY"`
26. invalid_utf8_yaml_file            the secrets file itself is not UTF-8
27. secrets_file_is_directory         the path names a directory (canaries in the environment)
28. replace_false_conflict            `replace := false` and the secret exists
29. iceberg_oauth_unreachable         DuckDB refuses: client_secret canary, oauth2_server_uri http://127.0.0.1:9/CANARY…
30. iceberg_oauth_uri_with_quote      the same with a `'` in the URI (DuckDB URL-encodes it)      [LEAK]
31. duckdb_cast_out_of_range          iceberg `expires_in: <15 digits>`: DuckDB's cast error      [LEAK]
32. aws_chain_part                    credential_chain `chain: 'env;CANARY'`: validation refuses it [was LEAK]
33. aws_validation_lowercased         `validation: CANARY`: validation refuses it                  [was LEAK]
34. pg_conn_string_space_in_password  `password=CANARY-A CANARY-B`                                [LEAK]
35. pg_uri_question_mark_in_password  `postgresql://u:CANARY-A?CANARY-B@h/db` (refused), then `%3F`   [LEAK]
36. pg_conn_string_unsupported_key    `password=CANARY-A CANARY-B=x`                              [LEAK]
37. pg_conn_string_unclosed_quote     `password='CANARY…` never closed
38. mysql_uri_bad_port                `mysql://u:CANARY@h:CANARY/db`
39. azure_account_key_without_name    `account_key` without `account_name`
40. external_access_disabled          a persistent canary secret under enable_external_access=false
41. names_missing_secret              `names := ['nope']`
42. unload_broken_file                unload_secrets_yaml of a file with a syntax error
43. key_path_missing                  `key := 'a.b'` that the document lacks
44. panic_hook_during_call            YAMLSECRETS_TEST_PANIC=call: the panic becomes an error
45. query_log                         DuckDB's QueryLog records the CREATE SECRET yamlsecrets runs [LEAK]

Besides: a successful load of many types (literal, env, dotenv, file, multi-line, quoted
values; temporary, persistent, dry run) checked across every surface; stale messages after
variables and value files change; DuckDB's own redaction in `duckdb_secrets()` per sensitive
field; values holding a double quote and a backslash under `errors_as_json` (session and
global: an Iceberg client_id an OAuth server quotes back, an aws profile, a lower-cased
storage); DuckDB's own words left readable when a plain value (`chain: config`) is one of
them; a proxy URL's password in the `sql` column; and a self-test proving the assertion
helper fails on a leak.
"""
from __future__ import annotations

import json
import pathlib
import secrets as pyrandom
from dataclasses import dataclass, field

import pytest

duckdb = pytest.importorskip("duckdb")

import ys_testlib  # noqa: E402
from ys_testlib import extension_dir, extension_path  # noqa: E402

ALL_EXTENSIONS = ("httpfs", "aws", "azure", "postgres_scanner", "mysql_scanner", "iceberg", "ducklake")


# --------------------------------------------------------------------------------------
# Canaries and the assertion helper


@dataclass
class Canary:
    value: str
    tokens: list[str]
    sensitive: bool = True
    # The field is sensitive for yamlsecrets, but DuckDB's own duckdb_secrets() shows it.
    duckdb_shows: bool = False
    forms: set[str] = field(default_factory=set)

    def __post_init__(self):
        forms = {self.value, self.value.replace("'", "''")}
        forms |= {line.strip() for line in self.value.splitlines()}
        forms |= set(self.tokens)
        self.forms = {f for f in forms if f}


class Canaries:
    def __init__(self):
        self.items: list[Canary] = []
        self._n = 0

    def token(self) -> str:
        self._n += 1
        return f"CANARY-{self._n}-{pyrandom.token_hex(6).upper()}"

    def new(self, sensitive=True, quote=False, lines=1, duckdb_shows=False, prefix="", suffix="") -> str:
        tokens = [self.token() for _ in range(max(lines, 1))]
        if quote:
            # a quote inside, one doubled when SQL-escaped: O'Brien-like
            body = "\n".join(f"{t}'q" for t in tokens)
        else:
            body = "\n".join(tokens)
        value = prefix + body + suffix
        self.items.append(Canary(value, tokens, sensitive, duckdb_shows))
        return value

    def integer(self) -> str:
        """A unique number above INTEGER's range, for integer-typed fields."""
        digits = "9" + "".join(str(pyrandom.randbelow(10)) for _ in range(14))
        self.items.append(Canary(digits, [digits], sensitive=False))
        return digits

    def part(self, token_holder: str, sensitive=True) -> str:
        """Registers a token that is only a piece of a larger value (a connection string)."""
        self.items.append(Canary(token_holder, [token_holder], sensitive))
        return token_holder


def leaves(obj):
    """Every text in a result: cells, list items, map keys and values."""
    if obj is None:
        return
    if isinstance(obj, (list, tuple, set)):
        for item in obj:
            yield from leaves(item)
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from leaves(k)
            yield from leaves(v)
    elif isinstance(obj, bytes):
        yield obj.decode("utf-8", "replace")
    else:
        yield str(obj)


def assert_no_canary(obj, canaries, where: str) -> None:
    """Fails when any form of any given canary occurs in any text of `obj`."""
    for text in leaves(obj):
        low = text.lower()
        for canary in canaries:
            for form in canary.forms:
                if form.lower() in low:
                    raise AssertionError(f"LEAK in {where}: {form!r} of canary {canary.value!r} found in: {text!r}")


def q(value: str) -> str:
    """A YAML double-quoted scalar (JSON's escapes are YAML's)."""
    return json.dumps(value)


def sql_str(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


# --------------------------------------------------------------------------------------
# One scenario: its files, environment, connections and the checks


class Scenario:
    def __init__(self, tmp_path: pathlib.Path, monkeypatch, capfd):
        self.dir = tmp_path
        self.c = Canaries()
        self.monkeypatch = monkeypatch
        self.capfd = capfd
        self._conns = []

    # what is forbidden where
    def all(self):
        return self.c.items

    def sensitive(self):
        return [c for c in self.c.items if c.sensitive]

    def redacted_by_duckdb(self):
        return [c for c in self.c.items if c.sensitive and not c.duckdb_shows]

    def write(self, name: str, content) -> str:
        path = self.dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
        path.chmod(0o600)
        return str(path)

    def setenv(self, name: str, value: str) -> None:
        self.monkeypatch.setenv(name, value)

    def connect(self, extensions=ALL_EXTENSIONS, **config):
        settings = {**ys_testlib.NO_AUTOLOAD, "secret_directory": str(self.dir / "stored_secrets"), **config}
        con = ys_testlib.connect(config=settings, extension_directory=extension_dir(),
                                 extensions=extensions, load=extension_path())
        self._conns.append(con)
        return con

    def close(self):
        for con in self._conns:
            try:
                con.close()
            except Exception:
                pass

    def error(self, con, sql: str, expect: str | None = None) -> str:
        """Runs `sql`, which must fail; the message must hold no canary at all."""
        with pytest.raises(duckdb.Error) as info:
            con.sql(sql).fetchall()
        message = str(info.value)
        assert_no_canary(message, self.all(), f"the error of {sql}")
        if expect is not None:
            assert expect.lower() in message.lower(), f"expected {expect!r} in: {message}"
        return message

    def rows(self, con, sql: str, forbidden=None):
        """Runs `sql`; every column of every row must hold none of `forbidden` (default: all)."""
        rows = con.sql(sql).fetchall()
        assert_no_canary(rows, self.all() if forbidden is None else forbidden, f"the rows of {sql}")
        return rows

    def probe(self, con, sql: str, forbidden=None):
        """Rows or error, whichever comes: neither may hold a canary."""
        try:
            return self.rows(con, sql, forbidden)
        except duckdb.Error as e:
            assert_no_canary(str(e), self.all(), f"the error of {sql}")
            return None

    def sweep(self, con, *paths: str) -> None:
        """Every surface of the extension, and DuckDB's redacted view."""
        self.probe(con, "FROM duckdb_secrets()", self.redacted_by_duckdb())
        self.probe(con, "FROM yaml_secrets()")
        self.probe(con, "SELECT secrets_check()")
        for path in paths:
            self.probe(con, f"FROM secrets_check({sql_str(path)})")

    def check_streams(self):
        out, err = self.capfd.readouterr()
        assert_no_canary(err, self.all(), "the process's stderr")
        assert_no_canary(out, self.all(), "the process's stdout")
        return out, err


@pytest.fixture
def scenario(tmp_path, monkeypatch, capfd):
    s = Scenario(tmp_path, monkeypatch, capfd)
    yield s
    s.close()


def load(path: str, extra: str = "") -> str:
    return f"FROM load_secrets_yaml({sql_str(path)}{extra})"


# --------------------------------------------------------------------------------------
# The error paths. Each builds its files, provokes the error, checks the error, then
# sweeps every surface (including secrets_check(path) of the broken file).


def http_file(s: Scenario, bearer: str, extra: str = "") -> str:
    """An http secret whose bearer_token is `bearer`, with canaries in its other fields."""
    return (
        "secrets:\n"
        "  api:\n"
        "    type: http\n"
        f"    bearer_token: {bearer}\n"
        f"    http_proxy_password: {q(s.c.new(quote=True))}\n"
        f"    http_proxy_username: {q(s.c.new(sensitive=False))}\n"
        f"    extra_http_headers: {{X-Api-Key: {q(s.c.new(duckdb_shows=True))}}}\n"
        + extra
    )


def run_load_error(s: Scenario, yaml_text: str, expect: str, extra: str = "", con=None, name="secrets.yaml"):
    path = s.write(name, yaml_text)
    con = con or s.connect()
    message = s.error(con, load(path, extra), expect)
    s.sweep(con, path)
    return path, con, message


def case_unset_var_beside_literal(s):
    _, _, msg = run_load_error(s, http_file(s, "${YS_SEC_SURELY_UNSET_1}"), "YS_SEC_SURELY_UNSET_1 is not set")
    assert "bearer_token" in msg


def case_required_var_message(s):
    run_load_error(s, http_file(s, q("${YS_SEC_SURELY_UNSET_2:?ask ops for the token}")), "ask ops for the token")


def case_unterminated_ref_canary_fallback(s):
    run_load_error(s, http_file(s, q("${YS_SEC_SURELY_UNSET_3:-" + s.c.new(quote=True))), "unterminated")


def case_unsupported_modifier(s):
    run_load_error(s, http_file(s, q("${YS_SEC_SURELY_UNSET_4:=" + s.c.new() + "}")), "unsupported syntax")


def case_cmd_reference(s):
    run_load_error(s, http_file(s, q("${cmd:echo " + s.c.new() + "}")), "off by default")


def case_cmd_failure_echoes_its_output(s):
    # the command prints the value, then fails and repeats it on stderr: neither shows
    value = s.c.new()
    line = f"sh -c 'echo {value}; echo {value} >&2; exit 7'"
    run_load_error(s, http_file(s, q("${cmd:" + line + "}")), "exit status 7", extra=", allow_commands := true")


def case_cmd_timeout(s):
    text = "options:\n  command_timeout: 0.3\n" + http_file(s, q("${cmd:sh -c 'echo " + s.c.new() + "; sleep 5'}"))
    run_load_error(s, text, "did not finish within 0.3 s", extra=", allow_commands := true")


def case_value_file_missing(s):
    run_load_error(s, http_file(s, q("${file:missing-token.txt}")), "does not exist")


def case_value_file_is_directory(s):
    (s.dir / "token-dir").mkdir()
    run_load_error(s, http_file(s, q("${file:token-dir}")), "directory")


def case_value_file_invalid_utf8(s):
    s.write("token.bin", s.c.new().encode() + b"\xff\xfe" + s.c.new().encode())
    run_load_error(s, http_file(s, q("${file:token.bin}")), "UTF-8")


def case_value_file_with_nul(s):
    s.write("token.txt", s.c.new() + "\0" + s.c.new() + "\n")
    run_load_error(s, http_file(s, q("${file:token.txt}")), "NUL")


def case_dotenv_unterminated_quote(s):
    s.write("bad.env", f"YS_SEC_GOOD={s.c.new()}\nYS_SEC_BAD='{s.c.new()}\nYS_SEC_LATER=\"{s.c.new()}\"\n")
    text = "options:\n  env_file: bad.env\n" + http_file(s, "${YS_SEC_GOOD}")
    s.monkeypatch.chdir(s.dir)  # env_file of options resolves against the working directory
    run_load_error(s, text, "unterminated single quote")


def case_unknown_field(s):
    run_load_error(s, http_file(s, q(s.c.new()), f"    bearer_tokn: {q(s.c.new(quote=True))}\n"), "unknown field")


def case_list_for_string_field(s):
    run_load_error(s, http_file(s, f"[{q(s.c.new())}, {q(s.c.new(quote=True))}]"), "not a list")


def case_mapping_for_string_field(s):
    run_load_error(s, http_file(s, f"{{token: {q(s.c.new())}}}"), "expected a string")


def case_boolean_field_given_canary(s):
    run_load_error(s, http_file(s, q(s.c.new()), f"    verify_ssl: {q(s.c.new(sensitive=False))}\n"), "true or false")


def case_integer_field_given_canary(s):
    text = (
        "secrets:\n  pg:\n    type: postgres\n"
        f"    host: {q(s.c.new(sensitive=False))}\n"
        f"    port: {q(s.c.new(sensitive=False))}\n"
        f"    password: {q(s.c.new(quote=True))}\n"
    )
    run_load_error(s, text, "expected an integer")


def case_iceberg_expires_in_canary(s):
    text = (
        "secrets:\n  cat:\n    type: iceberg\n"
        f"    token: {q(s.c.new())}\n"
        f"    expires_in: {q(s.c.new(sensitive=False))}\n"
    )
    run_load_error(s, text, "expected an integer")


def case_yaml_unterminated_quote(s):
    text = http_file(s, q(s.c.new())) + f"    http_proxy: \"{s.c.new(sensitive=False)}\n"
    run_load_error(s, text, "YAML syntax error")


def case_yaml_bad_indentation(s):
    text = http_file(s, q(s.c.new())) + f"   http_proxy: {s.c.new(sensitive=False)}\n"
    run_load_error(s, text, "YAML syntax error")


def case_yaml_duplicate_key(s):
    text = http_file(s, q(s.c.new())) + f"    bearer_token: {q(s.c.new(quote=True))}\n"
    run_load_error(s, text, "duplicate key")


def case_duplicate_secret_names(s):
    text = (
        "secrets:\n"
        f"  - {{name: twin, type: http, bearer_token: {q(s.c.new())}}}\n"
        f"  - {{name: twin, type: http, bearer_token: {q(s.c.new(quote=True))}}}\n"
    )
    run_load_error(s, text, "duplicate secret name")


def case_unknown_type(s):
    text = http_file(s, q(s.c.new())) + f"  other:\n    type: nosuchtype\n    token: {q(s.c.new())}\n"
    run_load_error(s, text, "unknown secret type")


def case_unknown_provider(s):
    run_load_error(s, http_file(s, q(s.c.new()), "    provider: nosuchprovider\n"), "unknown provider")


def case_parameter_of_other_provider(s):
    text = (
        "secrets:\n  az:\n    type: azure\n"
        f"    account_name: {q(s.c.new(sensitive=False))}\n"
        f"    client_secret: {q(s.c.new(quote=True))}\n"
    )
    run_load_error(s, text, "is a parameter of provider")


def case_missing_extension(s):
    text = (
        "secrets:\n  lake:\n    type: s3\n"
        f"    key_id: {q(s.c.new())}\n    secret: {q(s.c.new(quote=True))}\n"
        f"    region: {q(s.c.new(sensitive=False))}\n"
    )
    con = s.connect(extensions=())
    run_load_error(s, text, "needs the httpfs extension", con=con)


def case_nul_byte_in_yaml_value(s):
    value = s.c.new() + "\0" + s.c.new()
    run_load_error(s, http_file(s, q(value)), "NUL")


def case_invalid_utf8_yaml_file(s):
    text = http_file(s, q(s.c.new())).encode() + b"    http_proxy: \xff\xfe" + s.c.new().encode() + b"\n"
    run_load_error(s, text, "UTF-8")


def case_secrets_file_is_directory(s):
    s.setenv("YS_SEC_TOKEN_DIR", s.c.new())
    (s.dir / "secrets-dir").mkdir()
    con = s.connect()
    path = str(s.dir / "secrets-dir")
    s.error(con, load(path), "directory")
    s.sweep(con, path)


def case_replace_false_conflict(s):
    path = s.write("secrets.yaml", http_file(s, q(s.c.new())))
    con = s.connect()
    s.rows(con, load(path), s.sensitive())
    s.error(con, load(path, ", replace := false"), "already exist")
    s.sweep(con, path)


def iceberg_oauth(s, uri: str) -> str:
    return (
        "secrets:\n  cat:\n    type: iceberg\n"
        f"    client_id: {q(s.c.new())}\n"
        f"    client_secret: {q(s.c.new(quote=True))}\n"
        f"    oauth2_server_uri: {q(uri)}\n"
    )


def case_iceberg_oauth_unreachable(s):
    uri = "http://127.0.0.1:9/" + s.c.new(sensitive=False) + "/v1/oauth/tokens"
    run_load_error(s, iceberg_oauth(s, uri), "DuckDB refused")


def case_iceberg_oauth_uri_with_quote(s):
    uri = "http://127.0.0.1:9/" + s.c.new(sensitive=False, quote=True)
    run_load_error(s, iceberg_oauth(s, uri), "DuckDB refused")


def case_duckdb_cast_out_of_range(s):
    text = "secrets:\n  cat:\n    type: iceberg\n" f"    token: {q(s.c.new())}\n" f"    expires_in: {s.c.integer()}\n"
    run_load_error(s, text, "DuckDB refused")


def case_aws_chain_part(s):
    text = (
        "secrets:\n  lake:\n    type: s3\n    provider: credential_chain\n"
        f"    chain: {q('env;' + s.c.new(sensitive=False))}\n"
        f"    key_id: {q(s.c.new())}\n    secret: {q(s.c.new())}\n"
    )
    # Refused by validation now (the chain's links are a closed set), without the part.
    run_load_error(s, text, "a link of the chain is not one of")


def case_aws_validation_lowercased(s):
    text = (
        "secrets:\n  lake:\n    type: s3\n    provider: credential_chain\n"
        f"    validation: {q(s.c.new(sensitive=False))}\n"
        f"    key_id: {q(s.c.new())}\n    secret: {q(s.c.new())}\n"
    )
    # Refused by validation now (exists or none), without the value.
    run_load_error(s, text, "the value is not one of: exists, none")


def postgres_conn(s, conn: str) -> str:
    return "secrets:\n  pg:\n    type: postgres\n" f"    connection_string: {q(conn)}\n"


def case_pg_conn_string_space_in_password(s):
    # libpq would reject the unquoted space too; the error must still not quote the password
    conn = f"host=db.example.com password={s.c.part(s.c.token())} {s.c.part(s.c.token())}"
    run_load_error(s, postgres_conn(s, conn), "connection string")


def case_pg_uri_question_mark_in_password(s):
    # RFC 3986: the authority ends at the first '?', so an unencoded '?' cuts the password
    # off: an error that says to write %3F and quotes nothing. Written %3F, the load
    # succeeds and no part of the password shows anywhere.
    conn = f"postgresql://app:{s.c.part(s.c.token())}?{s.c.part(s.c.token())}@db.example.com/app"
    path, con, _ = run_load_error(s, postgres_conn(s, conn), "%3F")
    conn = f"postgresql://app:{s.c.part(s.c.token())}%3F{s.c.part(s.c.token())}@db.example.com/app"
    s.write("secrets.yaml", postgres_conn(s, conn))
    s.rows(con, load(path), s.sensitive())
    s.sweep(con, path)


def case_pg_conn_string_unsupported_key(s):
    conn = f"password={s.c.part(s.c.token())} {s.c.part(s.c.token())}=x"
    run_load_error(s, postgres_conn(s, conn), "connection string")


def case_pg_conn_string_unclosed_quote(s):
    conn = f"host=db.example.com password='{s.c.part(s.c.token())} {s.c.part(s.c.token())}"
    run_load_error(s, postgres_conn(s, conn), "closing quote")


def case_mysql_uri_bad_port(s):
    conn = f"mysql://app:{s.c.part(s.c.token())}@db.example.com:{s.c.part(s.c.token())}/app"
    text = "secrets:\n  my:\n    type: mysql\n" f"    connection_string: {q(conn)}\n"
    run_load_error(s, text, "port is not a number")


def case_azure_account_key_without_name(s):
    text = "secrets:\n  az:\n    type: azure\n" f"    account_key: {q(s.c.new(quote=True))}\n"
    run_load_error(s, text, "needs 'account_name'")


def case_external_access_disabled(s):
    text = http_file(s, q(s.c.new()), "    persistent: true\n    scope: https://api.example.com/\n")
    path = s.write("secrets.yaml", text)
    # a fresh database: the extension must be loaded before external access is turned off
    con = s.connect()
    con.execute("SET enable_external_access = false")
    s.error(con, load(path), "enable_external_access is false")
    s.error(con, load(path, ", persistent := true"), "enable_external_access is false")
    s.sweep(con, path)


def case_names_missing_secret(s):
    run_load_error(s, http_file(s, q(s.c.new())), "defines no secret 'nope'", extra=", names := ['nope']")


def case_unload_broken_file(s):
    path = s.write("secrets.yaml", http_file(s, q(s.c.new())))
    con = s.connect()
    s.rows(con, load(path), s.sensitive())
    s.write("secrets.yaml", http_file(s, q(s.c.new())) + f'    http_proxy: "{s.c.new(sensitive=False)}\n')
    s.error(con, f"FROM unload_secrets_yaml({sql_str(path)})", "YAML syntax error")
    s.sweep(con, path)


def case_key_path_missing(s):
    run_load_error(s, http_file(s, q(s.c.new())), "has no", extra=", key := 'duckdb.nothing'")


def case_panic_hook_during_call(s):
    s.setenv("YAMLSECRETS_TEST_PANIC", "call")
    path = s.write("secrets.yaml", http_file(s, q(s.c.new())))
    con = s.connect()
    s.error(con, load(path), "stopped on an internal error")
    s.monkeypatch.delenv("YAMLSECRETS_TEST_PANIC")
    # positive control: the panic message reached fd 2 and was captured, without a value
    out, err = s.check_streams()
    assert "YAMLSECRETS_TEST_PANIC=call" in err, "capfd should see the panic message on fd 2"
    s.sweep(con, path)


def case_query_log(s):
    # DuckDB would log the CREATE SECRET statements yamlsecrets runs, values included, so
    # yamlsecrets refuses to load while queries are logged; nothing reaches the log.
    path = s.write("secrets.yaml", http_file(s, q(s.c.new())))
    con = s.connect()
    con.execute("CALL enable_logging('QueryLog')")
    with pytest.raises(duckdb.Error, match="DuckDB is logging queries"):
        con.sql(load(path)).fetchall()
    s.rows(con, "SELECT message FROM duckdb_logs", s.sensitive())
    con.execute("CALL disable_logging()")
    s.rows(con, load(path), s.sensitive())


def leak(reason: str):
    return pytest.mark.xfail(strict=True, raises=AssertionError, reason="LEAK: " + reason)


ERROR_PATHS = [
    pytest.param(case_unset_var_beside_literal, id="unset_var_beside_literal"),
    pytest.param(case_required_var_message, id="required_var_message"),
    pytest.param(case_unterminated_ref_canary_fallback, id="unterminated_ref_canary_fallback"),
    pytest.param(case_unsupported_modifier, id="unsupported_modifier"),
    pytest.param(case_cmd_reference, id="cmd_reference"),
    pytest.param(case_cmd_failure_echoes_its_output, id="cmd_failure_echoes_its_output"),
    pytest.param(case_cmd_timeout, id="cmd_timeout"),
    pytest.param(case_value_file_missing, id="value_file_missing"),
    pytest.param(case_value_file_is_directory, id="value_file_is_directory"),
    pytest.param(case_value_file_invalid_utf8, id="value_file_invalid_utf8"),
    pytest.param(case_value_file_with_nul, id="value_file_with_nul"),
    pytest.param(case_dotenv_unterminated_quote, id="dotenv_unterminated_quote"),
    pytest.param(case_unknown_field, id="unknown_field"),
    pytest.param(case_list_for_string_field, id="list_for_string_field"),
    pytest.param(case_mapping_for_string_field, id="mapping_for_string_field"),
    pytest.param(case_boolean_field_given_canary, id="boolean_field_given_canary"),
    pytest.param(case_integer_field_given_canary, id="integer_field_given_canary"),
    pytest.param(case_iceberg_expires_in_canary, id="iceberg_expires_in_canary"),
    pytest.param(case_yaml_unterminated_quote, id="yaml_unterminated_quote"),
    pytest.param(case_yaml_bad_indentation, id="yaml_bad_indentation"),
    pytest.param(case_yaml_duplicate_key, id="yaml_duplicate_key"),
    pytest.param(case_duplicate_secret_names, id="duplicate_secret_names"),
    pytest.param(case_unknown_type, id="unknown_type"),
    pytest.param(case_unknown_provider, id="unknown_provider"),
    pytest.param(case_parameter_of_other_provider, id="parameter_of_other_provider"),
    pytest.param(case_missing_extension, id="missing_extension"),
    pytest.param(case_nul_byte_in_yaml_value, id="nul_byte_in_yaml_value"),
    pytest.param(case_invalid_utf8_yaml_file, id="invalid_utf8_yaml_file"),
    pytest.param(case_secrets_file_is_directory, id="secrets_file_is_directory"),
    pytest.param(case_replace_false_conflict, id="replace_false_conflict"),
    pytest.param(case_iceberg_oauth_unreachable, id="iceberg_oauth_unreachable"),
    pytest.param(case_iceberg_oauth_uri_with_quote, id="iceberg_oauth_uri_with_quote"),
    pytest.param(case_duckdb_cast_out_of_range, id="duckdb_cast_out_of_range"),
    pytest.param(case_aws_chain_part, id="aws_chain_part"),
    pytest.param(case_aws_validation_lowercased, id="aws_validation_lowercased"),
    pytest.param(case_pg_conn_string_space_in_password, id="pg_conn_string_space_in_password"),
    pytest.param(case_pg_uri_question_mark_in_password, id="pg_uri_question_mark_in_password"),
    pytest.param(case_pg_conn_string_unsupported_key, id="pg_conn_string_unsupported_key"),
    pytest.param(case_pg_conn_string_unclosed_quote, id="pg_conn_string_unclosed_quote"),
    pytest.param(case_mysql_uri_bad_port, id="mysql_uri_bad_port"),
    pytest.param(case_azure_account_key_without_name, id="azure_account_key_without_name"),
    pytest.param(case_external_access_disabled, id="external_access_disabled"),
    pytest.param(case_names_missing_secret, id="names_missing_secret"),
    pytest.param(case_unload_broken_file, id="unload_broken_file"),
    pytest.param(case_key_path_missing, id="key_path_missing"),
    pytest.param(case_panic_hook_during_call, id="panic_hook_during_call"),
    pytest.param(case_query_log, id="query_log"),
]


@pytest.mark.parametrize("case", ERROR_PATHS)
def test_error_path(scenario, case):
    case(scenario)
    scenario.check_streams()


# --------------------------------------------------------------------------------------
# Successful loads: every surface, every kind of value


def success_file(s: Scenario, env_file: str) -> str:
    c = s.c
    s.setenv("YS_SEC_ENV_TOKEN", c.new())
    s.setenv("YS_SEC_ENV_QUOTED", c.new(quote=True))
    s.setenv("YS_SEC_ENV_PLAIN", c.new(sensitive=False))
    s.write(env_file, f"YS_SEC_DOTENV_PW='{c.new(quote=True)}'\nexport YS_SEC_DOTENV_KEY={c.new()}\n")
    s.write("values/pem.txt", c.new(lines=3, prefix="-----BEGIN KEY-----\n", suffix="\n-----END KEY-----") + "\n")
    s.write("values/token.txt", c.new() + "\n")
    return (
        "version: 1\n"
        f"options:\n  env_file: {q(env_file)}\n"
        "x-common: &common\n  type: http\n  verify_ssl: true\n"
        "secrets:\n"
        "  api_env:\n    <<: *common\n"
        "    bearer_token: ${YS_SEC_ENV_TOKEN}\n"
        f"    http_proxy: {q('http://${YS_SEC_ENV_PLAIN}:3128')}\n"
        f"    http_proxy_password: {q(c.new(quote=True))}\n"
        f"    extra_http_headers: {{Authorization: {q('Bearer ' + c.new(duckdb_shows=True))}}}\n"
        "  api_file:\n    type: http\n"
        "    bearer_token: ${file:values/pem.txt}\n"
        "    http_proxy_password: ${YS_SEC_UNSET_WITH_FALLBACK:-${YS_SEC_ENV_QUOTED}}\n"
        "  lake:\n    type: s3\n"
        f"    key_id: {q(c.new(duckdb_shows=True))}\n"
        "    secret: ${YS_SEC_DOTENV_KEY}\n"
        f"    session_token: {q(c.new(quote=True))}\n"
        f"    region: {q(c.new(sensitive=False))}\n"
        "    scope: [s3://lake-a/, s3://lake-b/]\n"
        "  pg:\n    type: postgres\n"
        f"    host: {q(c.new(sensitive=False))}\n"
        "    port: 5432\n"
        "    password: ${YS_SEC_DOTENV_PW}\n"
        f"    sslpassword: {q(c.new())}\n"
        "  pg_url:\n    type: postgres\n"
        f"    connection_string: {q('postgresql://' + c.new(sensitive=False) + ':' + c.new() + '@db.example.com:5433/app')}\n"
        "  my:\n    type: mysql\n"
        f"    connection_string: {q('host=db.example.com user=app password=' + sql_str(c.new()))}\n"
        "  az_key:\n    type: azure\n"
        f"    account_name: {q('acct' + pyrandom.token_hex(4))}\n"
        f"    account_key: {q(c.new(quote=True))}\n"
        "  az_sp:\n    type: azure\n    provider: service_principal\n"
        "    tenant_id: tenant\n    client_id: client\n"
        "    client_secret: ${file:values/token.txt}\n"
        "  cat:\n    type: iceberg\n"
        f"    client_id: {q(c.new())}\n    client_secret: {q(c.new(quote=True))}\n"
        f"    token: {q(c.new())}\n"
        "  hf:\n    type: huggingface\n"
        f"    token: {q(c.new())}\n"
        "  keep:\n    type: http\n    persistent: true\n    scope: https://keep.example.com/\n"
        f"    bearer_token: {q(c.new())}\n"
    )


def test_successful_load_every_surface(scenario):
    s = scenario
    s.monkeypatch.chdir(s.dir)  # env_file resolves against the working directory
    path = s.write("secrets.yaml", success_file(s, "app.env"))
    con = s.connect()
    dry = s.rows(con, load(path, ", dry_run := true"), s.sensitive())
    assert {r[6] for r in dry} == {"dry_run"}
    rows = s.rows(con, load(path), s.sensitive())
    assert len(rows) == 11 and {r[6] for r in rows} == {"created"}
    # positive controls: the redacted sql is there, and shows a non-sensitive canary
    sql_texts = " ".join(r[8] for r in rows)
    assert "'***'" in sql_texts
    plain = [c for c in s.c.items if not c.sensitive]
    assert any(c.tokens[0] in sql_texts for c in plain), "the non-sensitive host/region should be shown"
    # again: every secret is replaced
    rows = s.rows(con, load(path), s.sensitive())
    assert {r[6] for r in rows} == {"replaced"}
    s.sweep(con, path)
    statuses = s.rows(con, "SELECT status FROM yaml_secrets()")
    assert {r[0] for r in statuses} == {"ok"}
    assert s.rows(con, "SELECT secrets_check()") == [("ok",)]
    findings = s.rows(con, f"FROM secrets_check({sql_str(path)})")
    assert any(r[2] == "warning" for r in findings), "literal credentials should be warned about"
    s.rows(con, f"FROM secrets_check({sql_str(path)}, names := ['lake'])")
    s.rows(con, f"FROM unload_secrets_yaml({sql_str(path)}, names := ['lake'])")
    s.sweep(con, path)
    unloaded = s.rows(con, f"FROM unload_secrets_yaml({sql_str(path)})")
    assert len(unloaded) == 11
    s.sweep(con, path)
    # persistent load of the lot, then the list form through `key`
    s.rows(con, load(path, ", persistent := true"), s.sensitive())
    s.sweep(con, path)
    s.rows(con, f"FROM unload_secrets_yaml({sql_str(path)})")
    doc = s.write(
        "profile.yml",
        "duckdb:\n  secrets:\n"
        f"    - {{name: one, type: http, bearer_token: {q(s.c.new())}}}\n"
        f"    - {{type: huggingface, token: {q(s.c.new(quote=True))}}}\n",
    )
    s.rows(con, load(doc, ", key := 'duckdb.secrets'"), s.sensitive())
    s.sweep(con, doc)
    s.check_streams()


def test_stale_messages_name_the_variable(scenario):
    s = scenario
    s.setenv("YS_SEC_ROTATING", s.c.new(quote=True))
    s.setenv("YS_SEC_VANISHING", s.c.new())
    s.write("token.txt", s.c.new() + "\n")
    path = s.write(
        "secrets.yaml",
        "secrets:\n"
        "  rot:\n    type: http\n    bearer_token: ${YS_SEC_ROTATING}\n"
        "  van:\n    type: http\n    bearer_token: ${env:YS_SEC_VANISHING}\n"
        "  fil:\n    type: http\n    bearer_token: ${file:token.txt}\n",
    )
    con = s.connect()
    s.rows(con, load(path), s.sensitive())
    assert s.rows(con, "SELECT secrets_check()") == [("ok",)]

    s.setenv("YS_SEC_ROTATING", s.c.new(quote=True))
    s.monkeypatch.delenv("YS_SEC_VANISHING")
    s.write("token.txt", s.c.new() + "\n")
    [(message,)] = s.rows(con, "SELECT secrets_check()")
    assert "YS_SEC_ROTATING" in message and "YS_SEC_VANISHING" in message and "token.txt" in message, message
    statuses = dict((r[0], r[-1]) for r in s.rows(con, "SELECT name, status FROM yaml_secrets()"))
    assert set(statuses.values()) == {"stale"}, statuses
    s.sweep(con, path)

    # a secret dropped behind the extension's back: 'missing', still no value
    con.execute("DROP SECRET rot")
    s.rows(con, "FROM yaml_secrets()")
    s.rows(con, "SELECT secrets_check()")
    # reloading fails (a variable is unset) without a value; then succeeds after a fix
    s.error(con, load(path), "YS_SEC_VANISHING")
    s.setenv("YS_SEC_VANISHING", s.c.new())
    s.rows(con, load(path), s.sensitive())
    assert s.rows(con, "SELECT secrets_check()") == [("ok",)]
    s.sweep(con, path)
    s.check_streams()


# --------------------------------------------------------------------------------------
# DuckDB's own view: which sensitive fields does duckdb_secrets() redact?

REDACTION = [
    ("http", "bearer_token", False),
    ("http", "http_proxy_password", False),
    ("http", "extra_http_headers", True),
    ("s3", "secret", False),
    ("s3", "session_token", False),
    ("s3", "key_id", True),
    ("postgres", "password", False),
    ("postgres", "sslpassword", False),
    ("postgres", "scram_client_key", True),
    ("mysql", "password", False),
    ("iceberg", "client_secret", False),
    ("iceberg", "token", False),
    ("iceberg", "extra_http_headers", True),
    ("huggingface", "token", False),
    ("ducklake", "metadata_path", True),
    ("ducklake", "metadata_parameters", True),
]


def redaction_param(type_name, field_name, shown):
    marks = ()
    if shown:
        marks = pytest.mark.xfail(
            strict=True,
            raises=AssertionError,
            reason=f"DuckDB 1.5.5's duckdb_secrets() does not redact {type_name}.{field_name}, which yamlsecrets "
            "treats as sensitive (DuckDB's redaction list; not fixable in yamlsecrets' src)",
        )
    return pytest.param(type_name, field_name, id=f"{type_name}.{field_name}", marks=marks)


@pytest.mark.parametrize("type_name,field_name", [redaction_param(*r) for r in REDACTION])
def test_duckdb_secrets_redacts(scenario, type_name, field_name):
    s = scenario
    if field_name in ("extra_http_headers", "metadata_parameters"):
        value = f"{{X-Key: {q(s.c.new())}}}"
    else:
        value = q(s.c.new(quote=True))
    # what DuckDB needs beside the field to accept the secret offline
    needs = {"ducklake": ("metadata_path", "md.ducklake"), "iceberg": ("token", "opaque")}.get(type_name)
    extra = f"    {needs[0]}: {q(needs[1])}\n" if needs and needs[0] != field_name else ""
    path = s.write("secrets.yaml", f"secrets:\n  one:\n    type: {type_name}\n    {field_name}: {value}\n{extra}")
    con = s.connect()
    s.rows(con, load(path), s.sensitive())
    s.rows(con, "FROM yaml_secrets()")
    s.check_streams()
    s.rows(con, "FROM duckdb_secrets()", s.sensitive())


# --------------------------------------------------------------------------------------
# The helper can fail


def test_assertion_helper_catches_every_form():
    c = Canaries()
    raw = c.new(quote=True)
    multi = c.new(lines=2)
    number = c.integer()
    doubled = raw.replace("'", "''")
    for leaked in (
        f"error: {raw}",
        f"CREATE SECRET x (TOKEN '{doubled}')",
        f"mode: `{raw.lower()}`",
        f"POST to 'http://h/{raw.replace(chr(39), '%27')}'",
        f"bad line {multi.splitlines()[1]} here",
        ["ok", ("nested", [f"deep {multi.splitlines()[0]}"])],
        f"value {number} out of range",
    ):
        with pytest.raises(AssertionError, match="LEAK"):
            assert_no_canary(leaked, c.items, "self-test")
    assert_no_canary(["clean", ("rows", None, 5), "TOKEN '***'"], c.items, "self-test")


# --------------------------------------------------------------------------------------
# Every form DuckDB gives a message (SECURITY.md, "No value in any output")


class OAuthEcho:
    """An OAuth token endpoint that refuses every client and quotes its client_id back, as
    identity servers do ("unknown client …"): DuckDB then quotes it in its error."""

    def __init__(self):
        import base64
        import threading
        from http.server import BaseHTTPRequestHandler, HTTPServer

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                basic = (self.headers.get("Authorization") or "").removeprefix("Basic ")
                client_id = base64.b64decode(basic).decode("utf-8", "replace").split(":", 1)[0]
                body = json.dumps({"error": "invalid_client", "error_description": f"unknown client {client_id}"})
                self.send_response(401)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body.encode())))
                self.end_headers()
                self.wfile.write(body.encode())

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1/oauth/tokens"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def oauth_echo():
    server = OAuthEcho()
    yield server
    server.close()


JSON_SCOPES = [pytest.param("SET", id="session"), pytest.param("SET GLOBAL", id="global")]


@pytest.mark.parametrize("scope", JSON_SCOPES)
def test_errors_as_json_scrubbed(scenario, oauth_echo, scope):
    """With errors_as_json DuckDB escapes '"' and '\\' in the messages yamlsecrets scrubs (the
    global setting reaches the connection yamlsecrets runs its statements on); values
    holding them are removed in that form too. Each canary's token is searched
    case-insensitively, so the value is found in any encoding that keeps it readable."""
    s = scenario
    odd = '"q\\z'
    con = s.connect()
    con.execute(f"{scope} errors_as_json = true")
    # a credential the OAuth server quotes back (iceberg's client_id is sensitive)
    text = (
        "secrets:\n  cat:\n    type: iceberg\n"
        f"    client_id: {q(s.c.new(suffix=odd))}\n"
        f"    client_secret: {q(s.c.new(suffix=odd))}\n"
        f"    oauth2_server_uri: {q(oauth_echo.url)}\n"
    )
    path, _, message = run_load_error(s, text, "unknown client", con=con, name="iceberg.yaml")
    assert "exception_message" in message, "errors_as_json should be in effect: " + message
    # a plain value DuckDB quotes when it refuses it (aws profile)
    text = (
        "secrets:\n  lake:\n    type: s3\n    provider: credential_chain\n"
        f"    profile: {q(s.c.new(sensitive=False, suffix=odd))}\n"
    )
    run_load_error(s, text, "no profile", con=con, name="profile.yaml")
    # storage comes back lower-cased from DuckDB; yamlsecrets' own storage check quotes it too
    s.setenv("YS_SEC_STORAGE", s.c.new(sensitive=False))
    text = (
        "secrets:\n  keep:\n    type: http\n    persistent: true\n    scope: https://a.example.com/\n"
        f"    bearer_token: {q(s.c.new())}\n    storage: ${{YS_SEC_STORAGE}}\n"
    )
    run_load_error(s, text, "does not exist in this database", con=con, name="storage.yaml")
    s.check_streams()


def test_scrubbing_leaves_duckdbs_own_words(scenario):
    """`chain: config` is a value of the call, but also a word of DuckDB's message: it stays
    readable ("Configuration Error … in config file"), while the profile is removed."""
    s = scenario
    text = (
        "secrets:\n  lake:\n    type: s3\n    provider: credential_chain\n    chain: config\n"
        f"    profile: {q(s.c.new(sensitive=False))}\n"
    )
    _, _, message = run_load_error(s, text, "no profile")
    assert "Invalid Configuration Error" in message and " config file " in message, message
    assert "***" in message, message
    s.check_streams()


def test_proxy_url_password_not_in_the_sql_column(scenario):
    """http_proxy is not a credential, but a password inside its URL is: the dry-run `sql`
    column shows `http://user:***@proxy:3128`, and the secret DuckDB stores keeps it (and
    shows it: DuckDB's duckdb_secrets() does not redact http_proxy)."""
    s = scenario
    password = s.c.new(duckdb_shows=True)
    path = s.write(
        "secrets.yaml",
        "secrets:\n  api:\n    type: http\n"
        f"    bearer_token: {q(s.c.new())}\n"
        f"    http_proxy: {q('http://proxyuser:' + password + '@proxy.example.com:3128')}\n",
    )
    con = s.connect(allow_unredacted_secrets="true")
    [row] = s.rows(con, load(path, ", dry_run := true"), s.sensitive())
    assert "HTTP_PROXY 'http://proxyuser:***@proxy.example.com:3128'" in row[8], row[8]
    s.rows(con, load(path), s.sensitive())
    [(stored,)] = con.sql("SELECT secret_string FROM duckdb_secrets(redact := false)").fetchall()
    assert password in stored, "the proxy URL reaches DuckDB whole"
    s.sweep(con, path)
    s.check_streams()
