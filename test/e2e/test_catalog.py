"""The catalogue (`src/core/catalog.rs`, seen through `yamlsecrets_types()`) against a real
DuckDB v1.5.5 with the real extensions loaded.

For every (type, provider) but motherduck:
- one CREATE SECRET with every catalogued parameter set to a sample of its kind succeeds
  (DuckDB's binder rejects an unknown name, and a value its type cannot take, with a
  BinderException: so the names exist and the kinds fit);
- every value DuckDB redacts in `duckdb_secrets()` is sensitive in the catalogue;
- nothing is missing: DuckDB's "Unknown parameter" error does not list the allowed names
  ("Binder Error: Unknown parameter 'x' for secret type 's3' with provider 'config'"), so
  every name known anywhere (the catalogue, plus the names below) is offered to every
  provider, and any name DuckDB accepts must be catalogued for it;
- likewise the providers of each type, the types of `duckdb_secret_types()`, and the
  extension credited with each provider (without it loaded, the provider is gone).

Nothing here touches the network: aws credential_chain runs with CHAIN 'env' and
VALIDATION 'none', iceberg with a TOKEN (so it requests none), huggingface
credential_chain reads at most a token file.

Environment: YS_EXTENSION (the built yamlsecrets.duckdb_extension; default build/release
then build/debug) and YS_EXTENSION_DIR (an extension directory laid out as
<dir>/v1.5.5/linux_amd64/<name>.duckdb_extension; default build/test-env/extensions, made
by scripts/test-env.sh).
"""

import functools
import re
from pathlib import Path

import duckdb
import pytest

import ys_testlib

EXTENSIONS = ["httpfs", "aws", "azure", "postgres_scanner", "mysql_scanner", "iceberg", "ducklake"]
# Downloaded from api.motherduck.com at LOAD: cannot be checked offline.
UNTESTABLE_TYPES = {"motherduck"}

# Sample values by kind, as SQL literals.
SAMPLE_BY_KIND = {
    "VARCHAR": "'sample'",
    "INTEGER": "5432",
    "BOOLEAN": "true",
    "VARCHAR[]": "['sample']",
    "MAP(VARCHAR, VARCHAR)": "MAP {'X-Sample': 'sample'}",
}
# Values that must be meaningful for CREATE to succeed (and to stay offline).
SAMPLE_BY_NAME = {
    "chain": "'env'",  # aws: environment only (no IMDS, STS, SSO); azure: stored as is
    "validation": "'none'",  # aws: no credentials found is fine
    "refresh": "'auto'",
    "url_style": "'path'",
    "region": "'us-east-1'",
    "oauth2_grant_type": "'client_credentials'",
    "oauth2_server_uri": "'http://127.0.0.1:9/v1/oauth/tokens'",  # unused: TOKEN is given
}
# Parameters DuckDB refuses together: each group is split over several CREATEs.
MUTUALLY_EXCLUSIVE = [{"refresh", "refresh_info"}]  # httpfs: "Can not set `refresh` and `refresh_info`"

# Names DuckDB accepts that the catalogue maps through an alias rather than listing.
DUCKDB_ALIASES = {("postgres", "config"): {"dbname": "database", "hostname": "host", "username": "user"}}
# Providers DuckDB registers that the catalogue leaves out on purpose.
UNCATALOGUED_PROVIDERS = {
    # The iceberg extension's carrier for vended table credentials; users never write it.
    ("s3", "iceberg"), ("gcs", "iceberg"), ("r2", "iceberg"),
}
# Names offered to every provider on top of the catalogue's own: what DuckDB's sources
# register anywhere (see catalog.rs), and what users coming from other tools write.
EXTRA_NAMES = {
    "expires_at", "catalog_name", "schema", "account_key", "sas_token", "url", "db", "passwd",
    "unix_socket", "dbname", "hostname", "username", "access_key_id", "secret_access_key",
    "s3_url_compatibility_mode", "proxy_username", "api_key", "authorization_type", "warehouse", "storage_account", "use_credential_chain", "role_arn",
    "sso_session", "ssl", "sslrootcert", "tls", "path", "secret_name", "aws_region",
}
EXTRA_PROVIDERS = {"env", "config", "credential_chain", "managed_identity", "service_principal",
                   "access_token", "sso", "sts", "iceberg", "oauth2", "token", "bearer", "profile"}


_extension_path = ys_testlib.extension_file


def _extension_dir() -> Path:
    return Path(ys_testlib.extension_dir()).resolve()


def connect(extensions=EXTENSIONS, yamlsecrets=True, autoload=True) -> duckdb.DuckDBPyConnection:
    config = {"autoinstall_known_extensions": "false"}
    if not autoload:
        # Else DuckDB loads a left-out extension from the directory on first use of its type.
        config["autoload_known_extensions"] = "false"
        if "iceberg" in extensions:
            extensions = ("avro", *extensions)  # iceberg needs it at LOAD and would autoload it
    return ys_testlib.connect(config=config, extension_directory=_extension_dir(), extensions=extensions,
                              load=_extension_path() if yamlsecrets else None)


@functools.lru_cache(maxsize=None)
def catalogue():
    """{(type, provider): {"extension": str, "params": {name: (kind, sensitive, required)}}}.

    A provider without parameters may appear as one row whose parameter is NULL.
    """
    con = connect()
    rows = con.execute(
        "SELECT type, provider, extension, parameter, kind, sensitive, required FROM yamlsecrets_types()"
    ).fetchall()
    con.close()
    result = {}
    for type_, provider, extension, parameter, kind, sensitive, required in rows:
        entry = result.setdefault((type_, provider), {"extension": extension, "params": {}})
        assert entry["extension"] == extension, f"{type_}/{provider}: two extensions"
        if parameter is not None:
            entry["params"][parameter] = (kind, sensitive, required)
    return result


def _collect_pairs():
    if not _extension_path().is_file():
        # Collection must not crash the whole run: one test reports the missing build.
        return []
    return sorted(pair for pair in catalogue() if pair[0] not in UNTESTABLE_TYPES)


PAIRS = _collect_pairs()
IDS = [f"{t}/{p}" for t, p in PAIRS]


@pytest.fixture(scope="module")
def con():
    assert _extension_path().is_file(), f"no extension at {_extension_path()}: run `make`, or set YS_EXTENSION"
    assert _extension_dir().is_dir(), f"no extension directory at {_extension_dir()}: run scripts/test-env.sh"
    connection = connect()
    yield connection
    connection.close()


def sample(name: str, kind: str) -> str:
    if kind == "VARCHAR" and name in SAMPLE_BY_NAME:
        return SAMPLE_BY_NAME[name]
    return SAMPLE_BY_KIND[kind]


def variants(names):
    """Splits a parameter set so that no two mutually exclusive names meet."""
    result = [set(names)]
    for group in MUTUALLY_EXCLUSIVE:
        split = []
        for variant in result:
            present = sorted(group & variant)
            if len(present) < 2:
                split.append(variant)
            else:
                split.extend((variant - group) | {keep} for keep in present)
        result = split
    return result


def create_sql(name, type_, provider, options) -> str:
    body = "".join(f", {key} {value}" for key, value in options.items())
    return f"CREATE OR REPLACE TEMPORARY SECRET {name} (TYPE {type_}, PROVIDER {provider}{body})"


def base_options(params) -> dict:
    """The options every probe of a provider carries so that it can be created offline."""
    return {name: sample(name, params[name][0]) for name in ("chain", "validation", "token", "metadata_path") if name in params}


UNKNOWN = re.compile(r"Unknown parameter '([^']*)' for secret type")


def test_build_present():
    assert _extension_path().is_file(), f"no extension at {_extension_path()}: run `make`, or set YS_EXTENSION"


@pytest.mark.parametrize(("type_", "provider"), PAIRS, ids=IDS)
def test_duckdb_accepts_every_catalogued_parameter(con, type_, provider):
    params = catalogue()[(type_, provider)]["params"]
    for i, names in enumerate(variants(params)):
        options = {n: sample(n, params[n][0]) for n in sorted(names)}
        options.update(base_options(params))
        secret = f"ys_catalog_{i}"
        statement = create_sql(secret, type_, provider, options)
        try:
            con.execute(statement)
        except duckdb.Error as error:
            pytest.fail(f"DuckDB refused the catalogued parameters of {type_}/{provider}:\n{statement}\n{error}")
        (got_type, got_provider, shown), = con.execute(
            "SELECT type, provider, secret_string FROM duckdb_secrets() WHERE name = ?", [secret]
        ).fetchall()
        assert (got_type, got_provider) == (type_, provider)
        # Every value DuckDB redacts must be sensitive for yamlsecrets too.
        aliases = DUCKDB_ALIASES.get((type_, provider), {})
        for key in re.findall(r"(?:^|;)([a-z0-9_]+)=redacted(?=;|$)", shown):
            key = aliases.get(key, key)
            if key in params:
                assert params[key][1], f"DuckDB redacts {type_}/{provider} '{key}'; the catalogue says not sensitive"
        con.execute(f"DROP TEMPORARY SECRET {secret}")


@pytest.mark.parametrize(("type_", "provider"), PAIRS, ids=IDS)
def test_no_parameter_missing(con, type_, provider):
    params = catalogue()[(type_, provider)]["params"]
    known = {name for entry in catalogue().values() for name in entry["params"]} | EXTRA_NAMES
    aliases = DUCKDB_ALIASES.get((type_, provider), {})
    base = base_options(params)
    missing = []
    for name in sorted(known - set(params) - set(aliases)):
        statement = create_sql("ys_catalog_probe", type_, provider, {**base, name: "'sample'"})
        try:
            con.execute(statement)
        except duckdb.Error as error:
            match = UNKNOWN.search(str(error))
            if match and match.group(1) == name:
                continue
            missing.append(f"{name} ({type(error).__name__}: {error})")
            continue
        missing.append(f"{name} (accepted)")
    con.execute("DROP TEMPORARY SECRET IF EXISTS ys_catalog_probe")
    assert not missing, f"DuckDB accepts for {type_}/{provider} parameters the catalogue lacks: {missing}"


def test_types_match_duckdb(con):
    duckdb_types = {row[0] for row in con.execute("SELECT type FROM duckdb_secret_types()").fetchall()}
    ours = {t for t, _ in catalogue()}
    assert ours - UNTESTABLE_TYPES <= duckdb_types, f"catalogued but unknown to DuckDB: {ours - UNTESTABLE_TYPES - duckdb_types}"
    assert duckdb_types <= ours, f"DuckDB knows types the catalogue lacks: {duckdb_types - ours}"
    # motherduck is not registered without its extension: it stays a catalogue-only entry.
    assert not UNTESTABLE_TYPES & duckdb_types


def test_no_provider_missing(con):
    ours = set(catalogue())
    candidates = {p for _, p in ours} | EXTRA_PROVIDERS
    missing = []
    for type_ in sorted({t for t, _ in ours} - UNTESTABLE_TYPES):
        for provider in sorted(candidates):
            if (type_, provider) in ours or (type_, provider) in UNCATALOGUED_PROVIDERS:
                continue
            try:
                con.execute(create_sql("ys_catalog_probe", type_, provider, {}))
            except duckdb.Error as error:
                if f"Secret provider '{provider}' not found for type '{type_}'" in str(error):
                    continue
                missing.append(f"{type_}/{provider} ({error})")
                continue
            missing.append(f"{type_}/{provider} (accepted)")
    con.execute("DROP TEMPORARY SECRET IF EXISTS ys_catalog_probe")
    assert not missing, (
        f"DuckDB has providers yamlsecrets_types() does not list: {missing} "
        "(a provider without parameters must still appear, as one row whose parameter is NULL)"
    )


@pytest.mark.parametrize("extension", EXTENSIONS)
def test_extension_credited_with_its_providers(extension):
    """Without `extension`, each provider the catalogue credits to it is gone."""
    credited = sorted(pair for pair, entry in catalogue().items() if entry["extension"] == extension)
    if not credited:
        pytest.skip(f"no provider credited to {extension}")
    con = connect([e for e in EXTENSIONS if e != extension], yamlsecrets=False, autoload=False)
    present = []
    for type_, provider in credited:
        try:
            con.execute(create_sql("ys_catalog_probe", type_, provider, {"zzz_probe": "'x'"}))
        except duckdb.Error as error:
            # "Secret provider 'config' for type 's3' does not exist, but it exists in the httpfs extension"
            if re.search(r"Secret (type|provider) '[^']*' (for type '[^']*' )?(not found|does not exist)", str(error)):
                continue
            present.append(f"{type_}/{provider} ({error})")
    con.close()
    assert not present, f"providers credited to {extension} exist without it: {present}"


def test_core_providers_need_no_extension():
    con = connect([], yamlsecrets=False, autoload=False)
    for (type_, provider), entry in sorted(catalogue().items()):
        if entry["extension"] == "core":
            with pytest.raises(duckdb.BinderException, match="Unknown parameter 'zzz_probe'"):
                con.execute(create_sql("ys_catalog_probe", type_, provider, {"zzz_probe": "'x'"}))
    con.close()
