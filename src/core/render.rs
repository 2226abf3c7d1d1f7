//! Secret → `CREATE SECRET` / `DROP SECRET` text, and the redacted twin shown to users.

use super::secret::{ParamValue, Secret};
use super::secret_value::redact_url_passwords;
use super::sql_text::{option_name, quote_ident, quote_literal, NulByte};

const REDACTED: &str = "'***'";

/// The statement to run, and the same statement with every sensitive value as `'***'` and
/// the password of every URL in the other values (`http_proxy: http://user:pw@proxy`) too.
pub struct Rendered {
    pub sql: String,
    pub redacted: String,
}

/// `CREATE [OR REPLACE] PERSISTENT|TEMPORARY SECRET name [IN storage] (TYPE …, …)`.
pub fn create_secret(secret: &Secret, replace: bool) -> Result<Rendered, NulByte> {
    let mut head = String::from("CREATE ");
    if replace {
        head.push_str("OR REPLACE ");
    }
    head.push_str(if secret.persistent { "PERSISTENT SECRET " } else { "TEMPORARY SECRET " });
    head.push_str(&quote_ident(&secret.name)?);
    if let Some(storage) = &secret.storage {
        head.push_str(" IN ");
        head.push_str(&quote_ident(storage)?);
    }
    let common = |shown: &dyn Fn(&str) -> String| -> Result<String, NulByte> {
        let mut common = format!(" (TYPE {}", quote_literal(&secret.type_name)?);
        if let Some(provider) = &secret.provider {
            common.push_str(&format!(", PROVIDER {}", quote_literal(provider)?));
        }
        if !secret.scope.is_empty() {
            // One list: repeating SCOPE keeps only the last one in v1.5 and fails in v2.0.
            let items = secret.scope.iter().map(|s| quote_literal(&shown(s))).collect::<Result<Vec<_>, _>>()?;
            common.push_str(&format!(", SCOPE [{}]", items.join(", ")));
        }
        Ok(common)
    };
    let mut sql = format!("{head}{}", common(&|s| s.to_string())?);
    let mut redacted = format!("{head}{}", common(&redact_url_passwords)?);
    for param in &secret.params {
        let name = option_name(&param.name)?;
        sql.push_str(&format!(", {name} {}", render_value(&param.value, &|s| s.to_string())?));
        let shown = if param.sensitive {
            redact_value(&param.value)?
        } else {
            render_value(&param.value, &redact_url_passwords)?
        };
        redacted.push_str(&format!(", {name} {shown}"));
    }
    sql.push(')');
    redacted.push(')');
    Ok(Rendered { sql, redacted })
}

/// `DROP [PERSISTENT|TEMPORARY] SECRET IF EXISTS name [FROM storage]`.
pub fn drop_secret(name: &str, persistent: bool, storage: Option<&str>) -> Result<String, NulByte> {
    let mut sql =
        format!("DROP {} SECRET IF EXISTS {}", if persistent { "PERSISTENT" } else { "TEMPORARY" }, quote_ident(name)?);
    if let Some(storage) = storage {
        sql.push_str(&format!(" FROM {}", quote_ident(storage)?));
    }
    Ok(sql)
}

/// The value as SQL, each string passed through `shown` first.
fn render_value(value: &ParamValue, shown: &dyn Fn(&str) -> String) -> Result<String, NulByte> {
    Ok(match value {
        ParamValue::Text(v) => quote_literal(&shown(v.expose()))?,
        ParamValue::Integer(n) => n.to_string(),
        ParamValue::Boolean(b) => b.to_string(),
        ParamValue::List(items) => {
            let items = items.iter().map(|v| quote_literal(&shown(v.expose()))).collect::<Result<Vec<_>, _>>()?;
            format!("[{}]", items.join(", "))
        }
        ParamValue::Map(entries) => {
            let entries = entries
                .iter()
                .map(|(k, v)| Ok(format!("{}: {}", quote_literal(k)?, quote_literal(&shown(v.expose()))?)))
                .collect::<Result<Vec<_>, NulByte>>()?;
            format!("MAP {{{}}}", entries.join(", "))
        }
    })
}

/// Map keys (header names) stay readable; every value becomes `'***'`.
fn redact_value(value: &ParamValue) -> Result<String, NulByte> {
    Ok(match value {
        ParamValue::Map(entries) => {
            let entries = entries
                .iter()
                .map(|(k, _)| Ok(format!("{}: {REDACTED}", quote_literal(k)?)))
                .collect::<Result<Vec<_>, NulByte>>()?;
            format!("MAP {{{}}}", entries.join(", "))
        }
        ParamValue::List(items) => format!("[{}]", vec![REDACTED; items.len()].join(", ")),
        _ => REDACTED.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::diagnostics::Location;
    use crate::core::secret::Param;
    use crate::core::secret_value::SecretString;

    fn secret() -> Secret {
        Secret {
            name: "my api".into(),
            type_name: "http".into(),
            provider: None,
            scope: vec!["https://a/".into(), "https://b/".into()],
            persistent: false,
            storage: None,
            params: vec![
                Param {
                    name: "bearer_token".into(),
                    value: ParamValue::Text(SecretString::new("t'ok".into())),
                    sensitive: true,
                },
                Param {
                    name: "extra_http_headers".into(),
                    value: ParamValue::Map(vec![("X-Key".into(), SecretString::new("v".into()))]),
                    sensitive: true,
                },
                Param { name: "verify_ssl".into(), value: ParamValue::Boolean(false), sensitive: false },
            ],
            at: Location::default(),
            sources: Vec::new(),
        }
    }

    #[test]
    fn create_renders_one_scope_list_and_escaped_values() {
        let r = create_secret(&secret(), true).unwrap();
        assert_eq!(
            r.sql,
            "CREATE OR REPLACE TEMPORARY SECRET \"my api\" (TYPE 'http', SCOPE ['https://a/', 'https://b/'], \
             BEARER_TOKEN 't''ok', EXTRA_HTTP_HEADERS MAP {'X-Key': 'v'}, VERIFY_SSL false)"
        );
        assert_eq!(
            r.redacted,
            "CREATE OR REPLACE TEMPORARY SECRET \"my api\" (TYPE 'http', SCOPE ['https://a/', 'https://b/'], \
             BEARER_TOKEN '***', EXTRA_HTTP_HEADERS MAP {'X-Key': '***'}, VERIFY_SSL false)"
        );
    }

    #[test]
    fn persistent_storage_and_drop() {
        let mut s = secret();
        s.persistent = true;
        s.storage = Some("local_file".into());
        let r = create_secret(&s, false).unwrap();
        assert!(r.sql.starts_with("CREATE PERSISTENT SECRET \"my api\" IN \"local_file\" (TYPE 'http'"), "{}", r.sql);
        assert_eq!(drop_secret("a\"b", true, None).unwrap(), "DROP PERSISTENT SECRET IF EXISTS \"a\"\"b\"");
    }

    #[test]
    fn url_passwords_in_plain_values_are_redacted() {
        let mut s = secret();
        s.scope = vec!["https://scope-user:scope-pw@h/".into()];
        s.params.push(Param {
            name: "http_proxy".into(),
            value: ParamValue::Text(SecretString::new("http://proxy-user:pr0xy-pw@proxy.example.com:3128".into())),
            sensitive: false,
        });
        let r = create_secret(&s, false).unwrap();
        assert!(r.sql.contains("HTTP_PROXY 'http://proxy-user:pr0xy-pw@proxy.example.com:3128'"), "{}", r.sql);
        assert!(r.redacted.contains("HTTP_PROXY 'http://proxy-user:***@proxy.example.com:3128'"), "{}", r.redacted);
        assert!(r.redacted.contains("SCOPE ['https://scope-user:***@h/']"), "{}", r.redacted);
        assert!(!r.redacted.contains("pr0xy-pw") && !r.redacted.contains("scope-pw"), "{}", r.redacted);
    }

    #[test]
    fn nul_bytes_are_refused() {
        let mut s = secret();
        s.scope = vec!["a\0b".into()];
        assert!(create_secret(&s, true).is_err());
    }
}
