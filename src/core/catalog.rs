//! The secret types yamlsecrets knows: one declarative table that drives validation,
//! SQL rendering, redaction, `yamlsecrets_types()` and the catalogue-vs-DuckDB test.
//!
//! Source of truth: the `named_parameters` DuckDB v1.5.5 and its extensions register for
//! each secret type and provider (read from their sources at the commits of the v1.5.5
//! builds, then checked against the real binaries by `test/e2e/test_catalog.py`):
//!
//! | type | provider (extension) | registered in |
//! |---|---|---|
//! | http | config, env (core) | duckdb `src/main/secret/default_secrets.cpp` |
//! | s3, r2, gcs, aws | config (httpfs) | duckdb-httpfs `src/create_secret_functions.cpp` |
//! | s3, r2, gcs, aws, rds | credential_chain (aws) | duckdb-aws `src/aws_secret.cpp` |
//! | azure | 5 providers (azure) | duckdb-azure `src/azure_secret.cpp` |
//! | huggingface | config, credential_chain (httpfs) | duckdb-httpfs `src/create_secret_functions.cpp` |
//! | postgres (+ the `rds` type) | config (postgres_scanner) | duckdb-postgres `src/postgres_secrets.cpp` |
//! | mysql | config (mysql_scanner) | duckdb-mysql `src/mysql_extension.cpp` |
//! | iceberg | config (iceberg) | duckdb-iceberg `src/catalog/rest/storage/authorization/oauth2.cpp` |
//! | ducklake | config (ducklake) | ducklake `src/storage/ducklake_secret.cpp` |
//! | motherduck | config (motherduck) | closed source; the documented `TOKEN` |
//!
//! Kinds: DuckDB types almost every parameter VARCHAR and casts what it is given, so a
//! kind says what users write and how yamlsecrets checks it. `Integer` is used where DuckDB
//! says VARCHAR but the value is a number (ports, timeouts): it renders bare and DuckDB
//! casts it. Sensitive: every value DuckDB redacts in `duckdb_secrets()` (the test checks
//! this) plus credentials DuckDB forgets to redact (s3 `http_proxy_password`, header maps
//! that carry `Authorization`, connection strings, ...).
//!
//! Deliberately absent: the `iceberg` provider of s3/gcs/r2 (the iceberg extension's
//! internal carrier for vended credentials, never written by users).
//!
//! Adding a type is one entry in `SECRET_TYPES`.

/// How a parameter's value is written in YAML and rendered in `CREATE SECRET`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// VARCHAR: rendered as a quoted literal.
    Text,
    /// An integer (ports): rendered bare.
    Integer,
    /// BOOLEAN: rendered as `true`/`false`.
    Boolean,
    /// VARCHAR[]: a YAML sequence (a single string is a one-element list).
    TextList,
    /// MAP(VARCHAR, VARCHAR): a YAML mapping of strings.
    TextMap,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Text => "VARCHAR",
            Kind::Integer => "INTEGER",
            Kind::Boolean => "BOOLEAN",
            Kind::TextList => "VARCHAR[]",
            Kind::TextMap => "MAP(VARCHAR, VARCHAR)",
        }
    }
}

/// One parameter of a provider.
#[derive(Debug, Clone, Copy)]
pub struct Param {
    pub name: &'static str,
    pub kind: Kind,
    /// Sensitive values are redacted (`'***'`) in every output and scrubbed from errors.
    pub sensitive: bool,
    /// The values DuckDB (or the library behind it) accepts, when that is a fixed set.
    pub values: Values,
}

/// What a parameter accepts beyond its kind. Sets are those of the code that reads the
/// value (cited beside each set): a value outside them fails there, late (at CREATE, at the
/// first query) or not at all (`url_style: Path` silently means vhost).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Values {
    Any,
    /// One of these; compared without case when the reader does so.
    OneOf {
        values: &'static [&'static str],
        ignore_case: bool,
    },
    /// A `;`-separated list of these (credential chains), case-sensitive.
    Chain(&'static [&'static str]),
    /// An integer within `min..=max`.
    Range {
        min: i64,
        max: i64,
    },
}

/// Why a value is refused: the offending item (the whole value, or one chain element).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub item: String,
    pub allowed: String,
    /// The closest allowed value, for a did-you-mean.
    pub close: Option<&'static str>,
}

impl Values {
    /// `None` when the text is accepted.
    pub fn refuse_text(&self, value: &str) -> Option<Refusal> {
        let refusal = |item: &str, values: &'static [&'static str]| Refusal {
            item: item.to_string(),
            allowed: values.join(", "),
            close: super::diagnostics::did_you_mean(item, values.iter().copied()),
        };
        match *self {
            Values::OneOf { values, ignore_case } => {
                let found =
                    values.iter().any(|v| if ignore_case { v.eq_ignore_ascii_case(value) } else { *v == value });
                (!found).then(|| refusal(value, values))
            }
            Values::Chain(values) => {
                value.split(';').find(|item| !values.contains(item)).map(|item| refusal(item, values))
            }
            Values::Any | Values::Range { .. } => None,
        }
    }

    /// `None` when the integer is accepted.
    pub fn refuse_integer(&self, value: i64) -> Option<String> {
        match *self {
            Values::Range { min, max } if !(min..=max).contains(&value) => Some(format!("between {min} and {max}")),
            _ => None,
        }
    }
}

/// One provider of a secret type, and the extension that registers it.
#[derive(Debug, Clone, Copy)]
pub struct Provider {
    pub name: &'static str,
    /// The DuckDB extension that registers this provider (`core` for built-in ones).
    pub extension: &'static str,
    pub params: &'static [Param],
    /// Parameters that must be present for this provider.
    pub required: &'static [&'static str],
}

/// Conveniences that need code rather than data: the validator runs them before checking
/// parameters. Each names what it accepts in its docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Convenience {
    None,
    /// `connection_string`/`url`: libpq key=value or `postgresql://` URI → host, port, ...
    PostgresConnectionString,
    /// `connection_string`/`url`: `mysql://` URI or key=value → host, port, ...
    MysqlConnectionString,
    /// `account_name` + `account_key`/`sas_token` → `connection_string`.
    AzureAccountKey,
}

/// One secret type.
#[derive(Debug, Clone, Copy)]
pub struct SecretType {
    pub name: &'static str,
    /// Provider used when the YAML names none (DuckDB's default for the type).
    pub default_provider: &'static str,
    pub providers: &'static [Provider],
    /// `(alias, canonical)` parameter names accepted in YAML for every provider.
    pub aliases: &'static [(&'static str, &'static str)],
    /// Accepted, never rendered, and reported with this warning (postgres `schema`).
    pub ignored: &'static [(&'static str, &'static str)],
    pub convenience: Convenience,
    /// The extension that registers the type itself, when it is not the one of the default
    /// provider (`rds`: the type comes from postgres_scanner, its provider from aws).
    pub registered_by: Option<&'static str>,
}

const fn text(name: &'static str) -> Param {
    Param { name, kind: Kind::Text, sensitive: false, values: Values::Any }
}
const fn secret(name: &'static str) -> Param {
    Param { name, kind: Kind::Text, sensitive: true, values: Values::Any }
}
const fn boolean(name: &'static str) -> Param {
    Param { name, kind: Kind::Boolean, sensitive: false, values: Values::Any }
}
const fn integer(name: &'static str) -> Param {
    Param { name, kind: Kind::Integer, sensitive: false, values: Values::Any }
}
const fn map(name: &'static str, sensitive: bool) -> Param {
    Param { name, kind: Kind::TextMap, sensitive, values: Values::Any }
}
/// A TCP port.
const fn port(name: &'static str) -> Param {
    Param { values: Values::Range { min: 1, max: 65535 }, ..integer(name) }
}
/// Text from a fixed, case-sensitive set.
const fn one_of(name: &'static str, values: &'static [&'static str]) -> Param {
    Param { values: Values::OneOf { values, ignore_case: false }, ..text(name) }
}
/// Text from a fixed set the reader compares without case.
const fn one_of_any_case(name: &'static str, values: &'static [&'static str]) -> Param {
    Param { values: Values::OneOf { values, ignore_case: true }, ..text(name) }
}
const fn chain(name: &'static str, values: &'static [&'static str]) -> Param {
    Param { values: Values::Chain(values), ..text(name) }
}

// ---------------------------------------------------------------------------------------
// Closed value sets
// ---------------------------------------------------------------------------------------

/// httpfs `s3fs.cpp` tests `url_style == "path"`; anything else (`Path` included) is vhost.
const URL_STYLES: &[&str] = &["path", "vhost"];
/// httpfs and aws act on `refresh` only when it is exactly `auto`.
const REFRESH: &[&str] = &["auto"];
/// aws `aws_secret.cpp`: `DuckDBCustomAWSCredentialsProviderChain` (exact, `;`-separated).
const AWS_CHAIN_LINKS: &[&str] = &["config", "env", "sso", "sts", "instance", "process", "web_identity"];
/// aws `aws_secret.cpp`: `CreateAwsSecretValidation` (lower-cased before the lookup).
const AWS_VALIDATION: &[&str] = &["exists", "none"];
/// azure `azure_secret.cpp`: the credential chain's links.
const AZURE_CHAIN_LINKS: &[&str] = &["cli", "managed_identity", "workload_identity", "env", "default"];
/// mysql `mysql_utils.cpp` `ParseConnectionParameters` (lower-cased before comparing).
const MYSQL_SSL_MODES: &[&str] = &["disabled", "preferred", "required", "verify_ca", "verify_identity"];
/// libpq `fe-connect.c` compares these with strcmp: case matters.
const PG_SSLMODES: &[&str] = &["disable", "allow", "prefer", "require", "verify-ca", "verify-full"];
const PG_DISABLE_PREFER_REQUIRE: &[&str] = &["disable", "prefer", "require"];
const PG_SSLCERTMODES: &[&str] = &["disable", "allow", "require"];
const PG_SSLNEGOTIATION: &[&str] = &["postgres", "direct"];
const PG_TARGET_SESSION_ATTRS: &[&str] = &["any", "read-write", "read-only", "primary", "standby", "prefer-standby"];
const PG_LOAD_BALANCE_HOSTS: &[&str] = &["disable", "random"];
/// libpq `sslVerifyProtocolVersion` (compared without case).
const PG_TLS_VERSIONS: &[&str] = &["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"];
/// iceberg `oauth2.cpp`: any other grant type is "Unsupported OAuth2 grant type" (a refresh
/// token is given as `refresh_token`, not as a grant type).
const ICEBERG_GRANT_TYPES: &[&str] = &["client_credentials"];

/// `a` followed by `b`, for provider lists that extend a shared one. `N` must be `A + B`
/// (checked when the constant is evaluated, i.e. at compile time).
const fn join<const A: usize, const B: usize, const N: usize>(a: [Param; A], b: [Param; B]) -> [Param; N] {
    assert!(A + B == N, "join: N must be A + B");
    let mut out = [text(""); N];
    let mut i = 0;
    while i < A {
        out[i] = a[i];
        i += 1;
    }
    while i < N {
        out[i] = b[i - A];
        i += 1;
    }
    out
}

// ---------------------------------------------------------------------------------------
// http (core)
// ---------------------------------------------------------------------------------------

/// Both `config` and `env` (env reads http_proxy* from the environment, these override).
/// DuckDB redacts bearer_token and http_proxy_password; extra_http_headers is sensitive
/// here because it is where `Authorization`/API-key headers go.
const HTTP: &[Param] = &[
    secret("bearer_token"),
    map("extra_http_headers", true),
    text("http_proxy"),
    text("http_proxy_username"),
    secret("http_proxy_password"),
    boolean("verify_ssl"),
];

// ---------------------------------------------------------------------------------------
// s3, r2, gcs, aws: `config` (httpfs) and `credential_chain` (aws)
// ---------------------------------------------------------------------------------------

/// httpfs `config`, shared by s3 and aws (r2 and gcs add one each).
/// key_id is sensitive although DuckDB shows it: it is half of a credential pair and
/// secret scanners flag it. `refresh` is VARCHAR (`'auto'`). `refresh_info` is httpfs's
/// testing hook (a map of the options to recreate the secret with, credentials included);
/// mutually exclusive with `refresh`.
const S3_CONFIG: [Param; 17] = [
    secret("key_id"),
    secret("secret"),
    text("region"),
    secret("session_token"),
    text("endpoint"),
    one_of("url_style", URL_STYLES),
    boolean("use_ssl"),
    boolean("verify_ssl"),
    text("kms_key_id"),
    boolean("url_compatibility_mode"),
    boolean("requester_pays"),
    one_of("refresh", REFRESH),
    map("refresh_info", true),
    text("http_proxy"),
    text("http_proxy_username"),
    // DuckDB does not redact it for these types; it is a password all the same.
    secret("http_proxy_password"),
    map("extra_http_headers", true),
];
/// r2 `account_id` builds the endpoint `<account_id>.r2.cloudflarestorage.com`.
const R2_CONFIG: [Param; 18] = join(S3_CONFIG, [text("account_id")]);
const GCS_CONFIG: [Param; 18] = join(S3_CONFIG, [secret("bearer_token")]);

/// aws `credential_chain`, shared by s3, gcs and aws (r2 and rds add their own). Unlike
/// httpfs `config` it has no verify_ssl, kms_key_id, requester_pays, extra_http_headers.
/// `chain` is a `;`-separated list (config, env, sso, sts, instance, process,
/// web_identity); `validation` is `exists` (default: CREATE fails when the chain finds no
/// credentials) or `none`; key_id/secret/session_token override what the chain finds.
const AWS_CHAIN: [Param; 19] = [
    chain("chain", AWS_CHAIN_LINKS),
    text("profile"),
    one_of_any_case("validation", AWS_VALIDATION),
    text("region"),
    text("endpoint"),
    one_of("url_style", URL_STYLES),
    boolean("use_ssl"),
    boolean("url_compatibility_mode"),
    text("assume_role_arn"),
    // An AWS external id guards against confused deputies; AWS documents it as not secret.
    text("external_id"),
    text("web_identity_token_file"),
    text("session_name"),
    one_of("refresh", REFRESH),
    secret("key_id"),
    secret("secret"),
    secret("session_token"),
    text("http_proxy"),
    text("http_proxy_username"),
    secret("http_proxy_password"),
];
const R2_CHAIN: [Param; 20] = join(AWS_CHAIN, [text("account_id")]);
/// The `rds` type (registered by postgres_scanner, provider by aws) makes an IAM auth
/// token for PostgreSQL on RDS. DuckDB types rds_port VARCHAR; it is a port.
/// rds_template_secret_name is what postgres_scanner sets when it re-creates the secret
/// to mint a fresh token; with it, CREATE computes the token at once.
const RDS_CHAIN: [Param; 23] =
    join(AWS_CHAIN, [text("rds_user"), text("rds_host"), port("rds_port"), text("rds_template_secret_name")]);
/// DuckDB refuses an rds secret without these (and a region, which may come from the
/// environment or the `s3_region` setting).
const RDS_REQUIRED: &[&str] = &["chain", "rds_user", "rds_host", "rds_port"];

/// Aliases for users coming from boto3/dbt settings (`s3_access_key_id`...).
const AWS_ALIASES: &[(&str, &str)] = &[("access_key_id", "key_id"), ("secret_access_key", "secret")];

// ---------------------------------------------------------------------------------------
// azure (azure)
// ---------------------------------------------------------------------------------------

/// Every azure provider takes these. DuckDB redacts proxy_password (note the names:
/// proxy_user_name/proxy_password, not http_proxy_username/_password as elsewhere).
/// `account_key` is not a DuckDB parameter: see `Convenience::AzureAccountKey`.
const AZURE_COMMON: [Param; 5] =
    [text("account_name"), text("endpoint"), text("http_proxy"), text("proxy_user_name"), secret("proxy_password")];
const AZURE_CONFIG: [Param; 6] = join(AZURE_COMMON, [secret("connection_string")]);
/// `chain`: `;`-separated list of cli, managed_identity, workload_identity, env, default.
const AZURE_CHAIN: [Param; 6] = join(AZURE_COMMON, [chain("chain", AZURE_CHAIN_LINKS)]);
/// Client, object and resource ids name an identity; they are not credentials.
const AZURE_MANAGED_IDENTITY: [Param; 8] =
    join(AZURE_COMMON, [text("client_id"), text("object_id"), text("resource_id")]);
/// DuckDB redacts client_certificate_path (a path, but to a private key), so it is
/// sensitive here too.
const AZURE_SERVICE_PRINCIPAL: [Param; 9] = join(
    AZURE_COMMON,
    [text("tenant_id"), text("client_id"), secret("client_secret"), secret("client_certificate_path")],
);
const AZURE_ACCESS_TOKEN: [Param; 6] = join(AZURE_COMMON, [secret("access_token")]);

// ---------------------------------------------------------------------------------------
// huggingface (httpfs)
// ---------------------------------------------------------------------------------------

const HUGGINGFACE_CONFIG: &[Param] = &[secret("token")];
/// Reads HF_TOKEN, HF_TOKEN_PATH, $HF_HOME/token or ~/.cache/huggingface/token: it takes
/// no parameter at all (`token` is refused).
const HUGGINGFACE_CHAIN: &[Param] = &[];

// ---------------------------------------------------------------------------------------
// postgres (postgres_scanner)
// ---------------------------------------------------------------------------------------

/// Every libpq connection keyword (all VARCHAR in DuckDB) plus `uri` and `aws_rds_secret`.
/// DuckDB's own canonical name is `dbname`, with `database`, `hostname`, `username` as
/// aliases it accepts; yamlsecrets writes `database` (the name SPEC and users use).
/// Numbers are `Integer` so `port: "54x2"` fails in validation, not in libpq.
/// Sensitive: what DuckDB redacts (password, sslpassword, oauth_client_secret, uri) and the
/// SCRAM keys, which stand in for the password.
const POSTGRES: &[Param] = &[
    text("host"),
    text("hostaddr"),
    port("port"),
    text("database"),
    text("user"),
    secret("password"),
    text("passfile"),
    // `postgresql://user:password@host/db`: DuckDB redacts it since it can carry a password.
    secret("uri"),
    // The name of an `rds` secret whose IAM token becomes the password.
    text("aws_rds_secret"),
    text("require_auth"),
    one_of("channel_binding", PG_DISABLE_PREFER_REQUIRE),
    integer("connect_timeout"),
    text("client_encoding"),
    text("options"),
    text("application_name"),
    text("fallback_application_name"),
    // libpq booleans spelled 0/1 (keepalives, requiressl, sslcompression, sslsni,
    // gssdelegation) stay Text: libpq takes them as strings.
    text("keepalives"),
    integer("keepalives_idle"),
    integer("keepalives_interval"),
    integer("keepalives_count"),
    integer("tcp_user_timeout"),
    text("replication"),
    one_of("gssencmode", PG_DISABLE_PREFER_REQUIRE),
    one_of("sslmode", PG_SSLMODES),
    text("requiressl"),
    one_of("sslnegotiation", PG_SSLNEGOTIATION),
    text("sslcompression"),
    text("sslcert"),
    text("sslkey"),
    text("sslkeylogfile"),
    secret("sslpassword"),
    one_of("sslcertmode", PG_SSLCERTMODES),
    text("sslrootcert"),
    text("sslcrl"),
    text("sslcrldir"),
    text("sslsni"),
    text("requirepeer"),
    one_of_any_case("ssl_min_protocol_version", PG_TLS_VERSIONS),
    one_of_any_case("ssl_max_protocol_version", PG_TLS_VERSIONS),
    text("min_protocol_version"),
    text("max_protocol_version"),
    text("krbsrvname"),
    text("gsslib"),
    text("gssdelegation"),
    secret("scram_client_key"),
    secret("scram_server_key"),
    text("service"),
    one_of("target_session_attrs", PG_TARGET_SESSION_ATTRS),
    one_of("load_balance_hosts", PG_LOAD_BALANCE_HOSTS),
    text("oauth_issuer"),
    text("oauth_client_id"),
    secret("oauth_client_secret"),
    text("oauth_scope"),
];

// ---------------------------------------------------------------------------------------
// mysql (mysql_scanner)
// ---------------------------------------------------------------------------------------

/// DuckDB redacts only `password`. ssl_key is a path (to a key), not a credential.
const MYSQL: &[Param] = &[
    text("host"),
    // VARCHAR in DuckDB; a port all the same.
    port("port"),
    text("user"),
    secret("password"),
    text("database"),
    text("socket"),
    one_of_any_case("ssl_mode", MYSQL_SSL_MODES),
    text("ssl_ca"),
    text("ssl_capath"),
    text("ssl_cert"),
    text("ssl_cipher"),
    text("ssl_crl"),
    text("ssl_crlpath"),
    text("ssl_key"),
];

// ---------------------------------------------------------------------------------------
// iceberg (iceberg)
// ---------------------------------------------------------------------------------------

/// With `token`, CREATE stores it; otherwise it POSTs client_id/client_secret to
/// oauth2_server_uri (default `<endpoint>/v1/oauth/tokens`) at CREATE time. DuckDB redacts
/// client_id too, so it is sensitive here. expires_in is DuckDB's one INTEGER here.
const ICEBERG: &[Param] = &[
    secret("client_id"),
    secret("client_secret"),
    text("oauth2_server_uri"),
    text("oauth2_scope"),
    one_of_any_case("oauth2_grant_type", ICEBERG_GRANT_TYPES),
    secret("token"),
    secret("refresh_token"),
    integer("expires_in"),
    text("endpoint"),
    map("extra_http_headers", true),
];

// ---------------------------------------------------------------------------------------
// ducklake (ducklake)
// ---------------------------------------------------------------------------------------

/// DuckDB redacts nothing here; yamlsecrets does: metadata_path can be a libpq string
/// (`postgres:dbname=... password=...`), metadata_parameters holds ATTACH options of the
/// metadata database (passwords, secret names).
const DUCKLAKE: &[Param] = &[
    secret("metadata_path"),
    text("data_path"),
    text("metadata_schema"),
    text("metadata_catalog"),
    map("metadata_parameters", true),
    boolean("encrypted"),
];

// ---------------------------------------------------------------------------------------
// motherduck (motherduck: downloaded from MotherDuck at LOAD, so untestable offline)
// ---------------------------------------------------------------------------------------

const MOTHERDUCK: &[Param] = &[secret("token")];

// ---------------------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------------------

const fn provider(name: &'static str, extension: &'static str, params: &'static [Param]) -> Provider {
    Provider { name, extension, params, required: &[] }
}

const fn plain(name: &'static str, default_provider: &'static str, providers: &'static [Provider]) -> SecretType {
    SecretType {
        name,
        default_provider,
        providers,
        aliases: &[],
        ignored: &[],
        convenience: Convenience::None,
        registered_by: None,
    }
}

const fn aws_family(name: &'static str, providers: &'static [Provider]) -> SecretType {
    SecretType { aliases: AWS_ALIASES, ..plain(name, "config", providers) }
}

pub static SECRET_TYPES: &[SecretType] = &[
    plain("http", "config", &[provider("config", "core", HTTP), provider("env", "core", HTTP)]),
    aws_family("s3", &[provider("config", "httpfs", &S3_CONFIG), provider("credential_chain", "aws", &AWS_CHAIN)]),
    aws_family("r2", &[provider("config", "httpfs", &R2_CONFIG), provider("credential_chain", "aws", &R2_CHAIN)]),
    aws_family("gcs", &[provider("config", "httpfs", &GCS_CONFIG), provider("credential_chain", "aws", &AWS_CHAIN)]),
    // httpfs registers the `aws` type with a `config` provider too (default: config).
    aws_family("aws", &[provider("config", "httpfs", &S3_CONFIG), provider("credential_chain", "aws", &AWS_CHAIN)]),
    // Type registered by postgres_scanner, its only provider by aws: both must be loaded.
    SecretType {
        aliases: AWS_ALIASES,
        registered_by: Some("postgres_scanner"),
        ..plain(
            "rds",
            "credential_chain",
            &[Provider { required: RDS_REQUIRED, ..provider("credential_chain", "aws", &RDS_CHAIN) }],
        )
    },
    SecretType {
        convenience: Convenience::AzureAccountKey,
        ..plain(
            "azure",
            "config",
            &[
                provider("config", "azure", &AZURE_CONFIG),
                provider("credential_chain", "azure", &AZURE_CHAIN),
                provider("managed_identity", "azure", &AZURE_MANAGED_IDENTITY),
                provider("service_principal", "azure", &AZURE_SERVICE_PRINCIPAL),
                provider("access_token", "azure", &AZURE_ACCESS_TOKEN),
            ],
        )
    },
    plain(
        "huggingface",
        "config",
        &[provider("config", "httpfs", HUGGINGFACE_CONFIG), provider("credential_chain", "httpfs", HUGGINGFACE_CHAIN)],
    ),
    SecretType {
        // The first three are aliases DuckDB itself accepts.
        aliases: &[("dbname", "database"), ("hostname", "host"), ("username", "user")],
        ignored: &[(
            "schema",
            "'schema' is not a secret parameter and is not passed to DuckDB: give it to ATTACH \
             (ATTACH '' AS pg (TYPE postgres, SECRET <name>, SCHEMA '<schema>'))",
        )],
        convenience: Convenience::PostgresConnectionString,
        ..plain("postgres", "config", &[provider("config", "postgres_scanner", POSTGRES)])
    },
    SecretType {
        // The spellings DuckDB's mysql ATTACH string accepts.
        aliases: &[("db", "database"), ("passwd", "password"), ("unix_socket", "socket")],
        convenience: Convenience::MysqlConnectionString,
        ..plain("mysql", "config", &[provider("config", "mysql_scanner", MYSQL)])
    },
    plain("iceberg", "config", &[provider("config", "iceberg", ICEBERG)]),
    plain(
        "ducklake",
        "config",
        &[Provider { required: &["metadata_path"], ..provider("config", "ducklake", DUCKLAKE) }],
    ),
    plain("motherduck", "config", &[provider("config", "motherduck", MOTHERDUCK)]),
];

/// Looks a type up by name, case-insensitively.
pub fn secret_type(name: &str) -> Option<&'static SecretType> {
    SECRET_TYPES.iter().find(|t| t.name.eq_ignore_ascii_case(name))
}

impl SecretType {
    pub fn provider(&self, name: &str) -> Option<&'static Provider> {
        self.providers.iter().find(|p| p.name.eq_ignore_ascii_case(name))
    }

    /// The extension whose loading makes DuckDB know this type.
    pub fn registered_by(&self) -> &'static str {
        self.registered_by.or_else(|| self.provider(self.default_provider).map(|p| p.extension)).unwrap_or("core")
    }
}

impl Provider {
    pub fn param(&self, name: &str) -> Option<&'static Param> {
        self.params.iter().find(|p| p.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_lower_snake_case_and_consistent() {
        let snake =
            |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        let mut types: Vec<&str> = SECRET_TYPES.iter().map(|t| t.name).collect();
        types.sort_unstable();
        types.dedup();
        assert_eq!(types.len(), SECRET_TYPES.len(), "duplicate type");
        for t in SECRET_TYPES {
            assert!(snake(t.name));
            assert!(t.provider(t.default_provider).is_some(), "{}: default provider missing", t.name);
            for p in t.providers {
                assert!(snake(p.name) && snake(p.extension), "{}/{}", t.name, p.name);
                for (i, param) in p.params.iter().enumerate() {
                    assert!(snake(param.name), "{}/{}: {:?}", t.name, p.name, param.name);
                    assert!(
                        p.params[..i].iter().all(|q| q.name != param.name),
                        "{}/{}: {} twice",
                        t.name,
                        p.name,
                        param.name
                    );
                }
                for r in p.required {
                    assert!(p.param(r).is_some(), "{}/{}: required {r} is no parameter", t.name, p.name);
                }
            }
            for (alias, canonical) in t.aliases {
                assert!(t.providers.iter().any(|p| p.param(canonical).is_some()), "{}: alias {alias}", t.name);
                assert!(
                    t.providers.iter().all(|p| p.param(alias).is_none()),
                    "{}: alias {alias} is a parameter",
                    t.name
                );
            }
            for (ignored, _) in t.ignored {
                assert!(t.providers.iter().all(|p| p.param(ignored).is_none()), "{}: {ignored}", t.name);
            }
        }
    }

    #[test]
    fn credentials_are_sensitive() {
        for t in SECRET_TYPES {
            for p in t.providers {
                for param in p.params {
                    let n = param.name;
                    let credential = ["password", "secret", "token", "connection_string", "extra_http_headers"]
                        .iter()
                        .any(|w| n.contains(w))
                        // Names of other secrets and paths to token files are not credentials.
                        && !["aws_rds_secret", "rds_template_secret_name", "web_identity_token_file"].contains(&n);
                    assert!(!credential || param.sensitive, "{}/{}: {n} should be sensitive", t.name, p.name);
                }
            }
        }
    }

    #[test]
    fn value_sets_fit_their_kinds_and_refuse_what_duckdb_would() {
        for t in SECRET_TYPES {
            for p in t.providers {
                for param in p.params {
                    match param.values {
                        Values::Any => {}
                        Values::Range { min, max } => {
                            assert!(param.kind == Kind::Integer && min <= max, "{}", param.name)
                        }
                        Values::OneOf { values, .. } | Values::Chain(values) => {
                            assert!(
                                param.kind == Kind::Text && !values.is_empty() && !param.sensitive,
                                "{}",
                                param.name
                            )
                        }
                    }
                }
            }
        }
        let param = |t: &str, p: &str, name: &str| *secret_type(t).unwrap().provider(p).unwrap().param(name).unwrap();
        let url_style = param("s3", "config", "url_style").values;
        assert_eq!(url_style.refuse_text("path"), None);
        let refused = url_style.refuse_text("pathh").unwrap();
        assert_eq!((refused.allowed.as_str(), refused.close), ("path, vhost", Some("path")));
        // httpfs compares exactly: `Path` would silently mean vhost
        assert_eq!(url_style.refuse_text("Path").unwrap().close, Some("path"));
        let ssl_mode = param("mysql", "config", "ssl_mode").values;
        assert_eq!(ssl_mode.refuse_text("VERIFY_IDENTITY"), None);
        assert_eq!(ssl_mode.refuse_text("verify-ca").unwrap().close, Some("verify_ca"));
        let sslmode = param("postgres", "config", "sslmode").values;
        assert_eq!(sslmode.refuse_text("verify_full").unwrap().close, Some("verify-full"));
        let chain = param("s3", "credential_chain", "chain").values;
        assert_eq!(chain.refuse_text("env;config;sso"), None);
        assert_eq!(chain.refuse_text("env;confg").unwrap().item, "confg");
        assert_eq!(param("azure", "credential_chain", "chain").values.refuse_text("cli;env"), None);
        assert_eq!(param("s3", "credential_chain", "validation").values.refuse_text("NONE"), None);
        let grant = param("iceberg", "config", "oauth2_grant_type").values;
        assert_eq!(grant.refuse_text("CLIENT_CREDENTIALS"), None);
        assert_eq!(grant.refuse_text("client_credential").unwrap().close, Some("client_credentials"));
        assert_eq!(param("postgres", "config", "ssl_min_protocol_version").values.refuse_text("tlsv1.2"), None);
        for (t, p) in [("postgres", "port"), ("mysql", "port"), ("rds", "rds_port")] {
            let provider = secret_type(t).unwrap().default_provider;
            let values = param(t, provider, p).values;
            assert_eq!(values.refuse_integer(5432), None);
            assert_eq!(values.refuse_integer(0).as_deref(), Some("between 1 and 65535"));
            assert!(values.refuse_integer(99_999_999_999_999).is_some());
        }
    }

    #[test]
    fn lookups_ignore_case() {
        let s3 = secret_type("S3").unwrap();
        assert_eq!(s3.provider("CREDENTIAL_CHAIN").unwrap().extension, "aws");
        assert_eq!(secret_type("r2").unwrap().provider("config").unwrap().params.len(), 18);
        assert!(secret_type("huggingface").unwrap().provider("credential_chain").unwrap().params.is_empty());
    }
}
