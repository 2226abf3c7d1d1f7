//! The secret types yamlsecrets knows: one declarative table that drives validation,
//! SQL rendering, redaction, `yamlsecrets_types()` and the catalogue-vs-DuckDB test.
//!
//! Source of truth: the parameters DuckDB v1.5.5 and its extensions register for each
//! secret type and provider. Adding a type is one entry in `SECRET_TYPES`.

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
}

const fn text(name: &'static str) -> Param {
    Param { name, kind: Kind::Text, sensitive: false }
}
const fn secret(name: &'static str) -> Param {
    Param { name, kind: Kind::Text, sensitive: true }
}
const fn boolean(name: &'static str) -> Param {
    Param { name, kind: Kind::Boolean, sensitive: false }
}
#[allow(dead_code)]
const fn integer(name: &'static str) -> Param {
    Param { name, kind: Kind::Integer, sensitive: false }
}
const fn map(name: &'static str, sensitive: bool) -> Param {
    Param { name, kind: Kind::TextMap, sensitive }
}
#[allow(dead_code)]
const fn list(name: &'static str) -> Param {
    Param { name, kind: Kind::TextList, sensitive: false }
}

const HTTP_PARAMS: &[Param] = &[
    secret("bearer_token"),
    map("extra_http_headers", true),
    text("http_proxy"),
    text("http_proxy_username"),
    secret("http_proxy_password"),
    boolean("verify_ssl"),
];

pub static SECRET_TYPES: &[SecretType] = &[SecretType {
    name: "http",
    default_provider: "config",
    providers: &[
        Provider { name: "config", extension: "core", params: HTTP_PARAMS, required: &[] },
        Provider { name: "env", extension: "core", params: HTTP_PARAMS, required: &[] },
    ],
    aliases: &[],
    ignored: &[],
    convenience: Convenience::None,
}];

/// Looks a type up by name, case-insensitively.
pub fn secret_type(name: &str) -> Option<&'static SecretType> {
    SECRET_TYPES.iter().find(|t| t.name.eq_ignore_ascii_case(name))
}

impl SecretType {
    pub fn provider(&self, name: &str) -> Option<&'static Provider> {
        self.providers.iter().find(|p| p.name.eq_ignore_ascii_case(name))
    }
}

impl Provider {
    pub fn param(&self, name: &str) -> Option<&'static Param> {
        self.params.iter().find(|p| p.name == name)
    }
}
