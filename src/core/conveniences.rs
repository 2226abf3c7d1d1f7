//! Per-type conveniences: fields that are not DuckDB parameters (a postgres or mysql
//! connection string, an azure account key or SAS token) rewritten into the parameters
//! DuckDB takes, and azure's endpoint rules.

use std::borrow::Cow;

use super::catalog::{self, Convenience, SecretType};
use super::checker::{Checker, Field};
use super::connection_string;
use super::secret_value::SecretString;
use super::yaml::{Node, Value};

/// DuckDB v1.5.5 ignores `endpoint` beside a connection string, and an `http://` endpoint
/// without a key fails on first use (`stoi`): say so now rather than at the first read.
fn check_azure_endpoint(checker: &mut Checker, spec: &catalog::Provider, fields: &mut Vec<Field>) {
    let Some(index) = fields.iter().position(|(k, _, _)| k == "endpoint") else { return };
    let has = |name: &str| fields.iter().any(|(k, _, _)| k == name);
    let at = fields[index].1;
    if has("connection_string") {
        fields.remove(index);
        checker.warning(
            at,
            "endpoint",
            "DuckDB ignores 'endpoint' beside 'connection_string', so it is not passed on: put it in the \
             connection string as BlobEndpoint=...",
        );
    } else if spec.name == "config"
        && !has("account_key")
        && !has("sas_token")
        && fields[index].2.as_str().is_some_and(|e| e.trim_start().starts_with("http://"))
    {
        checker.error(
            at,
            "endpoint",
            "an http:// endpoint works only with 'account_key' or 'sas_token' beside 'account_name' (or inside \
             a connection string as BlobEndpoint=); DuckDB v1.5.5 fails on it otherwise",
        );
    }
}

/// Rewrites convenience fields into the parameters DuckDB takes.
pub fn expand(checker: &mut Checker, entry: &SecretType, spec: &catalog::Provider, fields: &mut Vec<Field>) {
    let convenience = entry.convenience;
    match convenience {
        Convenience::None => {}
        Convenience::PostgresConnectionString | Convenience::MysqlConnectionString => {
            let Some(index) = fields.iter().position(|(k, _, _)| k == "connection_string" || k == "url") else {
                return;
            };
            let (key, key_at, node) = fields.remove(index);
            let Some(value) = checker.text(&node, &key) else { return };
            let known = |name: &str| {
                let canonical = entry.aliases.iter().find(|(a, _)| *a == name).map_or(name, |(_, c)| c);
                spec.param(canonical).is_some()
            };
            let parsed = if convenience == Convenience::PostgresConnectionString {
                connection_string::parse_postgres(value.expose(), &known)
            } else {
                connection_string::parse_mysql(value.expose(), &known)
            };
            match parsed {
                Ok(parts) => {
                    for (name, part) in parts {
                        let name = entry
                            .aliases
                            .iter()
                            .find(|(a, _)| *a == name)
                            .map_or(name.as_str(), |(_, c)| c)
                            .to_string();
                        if fields.iter().any(|(k, _, _)| *k == name) {
                            checker.error(
                                key_at,
                                &key,
                                format!("'{name}' is given both in '{key}' and as its own field; keep one"),
                            );
                            continue;
                        }
                        // Already resolved: escape `${` so it is not read as a reference again.
                        let text = part.expose().replace("${", "$${");
                        fields.push((
                            name.into(),
                            key_at,
                            Cow::Owned(Node { at: node.at, value: Value::Scalar { text, plain: false } }),
                        ));
                    }
                }
                Err(message) => checker.error(node.at, &key, message),
            }
        }
        Convenience::AzureAccountKey => {
            check_azure_endpoint(checker, spec, fields);
            let key_field = fields.iter().position(|(k, _, _)| k == "account_key" || k == "sas_token");
            let Some(index) = key_field else { return };
            let (key, key_at, node) = fields.remove(index);
            if spec.name != "config" {
                let message =
                    format!("'{key}' works with provider 'config' only (this secret's provider is '{}')", spec.name);
                checker.error(key_at, &key, message);
                return;
            }
            let Some(name_index) = fields.iter().position(|(k, _, _)| k == "account_name") else {
                checker.error(key_at, &key, format!("'{key}' needs 'account_name' beside it"));
                return;
            };
            if fields.iter().any(|(k, _, _)| k == "connection_string") {
                checker.error(
                    key_at,
                    &key,
                    format!("give either 'connection_string' or 'account_name' + '{key}', not both"),
                );
                return;
            }
            let (_, _, name_node) = fields.remove(name_index);
            let endpoint = fields.iter().position(|(k, _, _)| k == "endpoint").map(|i| fields.remove(i));
            let Some(account) = checker.text(&name_node, "account_name") else { return };
            let Some(credential) = checker.text(&node, &key) else { return };
            let endpoint = match endpoint {
                Some((_, _, n)) => match checker.text(&n, "endpoint") {
                    Some(e) => Some(e),
                    None => return,
                },
                None => None,
            };
            let assembled = connection_string::azure(
                account.expose(),
                (key == "account_key").then(|| credential.expose()),
                (key == "sas_token").then(|| credential.expose()),
                endpoint.as_ref().map(SecretString::expose),
            );
            let text = assembled.expose().replace("${", "$${");
            fields.push((
                "connection_string".into(),
                key_at,
                Cow::Owned(Node { at: node.at, value: Value::Scalar { text, plain: false } }),
            ));
        }
    }
}
