//! Connection strings users bring from other tools, split into DuckDB secret parameters:
//! libpq `key=value` strings and `postgresql://` / `mysql://` URIs; and the Azure
//! connection string assembled from an account name and key or SAS token.
//! Errors name the part that is wrong, never its value.

use super::secret_value::SecretString;

type Parts = Vec<(String, SecretString)>;

/// `postgresql://user:pass@host:port/db` or `host=… port=… dbname=… user=… password=…`.
pub fn parse_postgres(text: &str) -> Result<Parts, String> {
    let text = text.trim();
    if let Some(rest) = text.strip_prefix("postgresql://").or_else(|| text.strip_prefix("postgres://")) {
        return parse_uri(rest, "postgres");
    }
    parse_key_values(
        text,
        &[
            ("host", "host"),
            ("hostaddr", "host"),
            ("port", "port"),
            ("dbname", "database"),
            ("database", "database"),
            ("user", "user"),
            ("password", "password"),
            ("passfile", "passfile"),
        ],
    )
}

/// `mysql://user:pass@host:port/db` or `host=… port=… database=… user=… password=…`.
pub fn parse_mysql(text: &str) -> Result<Parts, String> {
    let text = text.trim();
    if let Some(rest) = text.strip_prefix("mysql://").or_else(|| text.strip_prefix("mariadb://")) {
        return parse_uri(rest, "mysql");
    }
    parse_key_values(
        text,
        &[
            ("host", "host"),
            ("port", "port"),
            ("database", "database"),
            ("db", "database"),
            ("user", "user"),
            ("password", "password"),
            ("socket", "socket"),
        ],
    )
}

fn parse_uri(rest: &str, scheme: &str) -> Result<Parts, String> {
    let mut parts = Parts::new();
    let (authority_and_path, query) = match rest.split_once('?') {
        Some((a, q)) => (a, Some(q)),
        None => (rest, None),
    };
    if let Some(query) = query.filter(|q| !q.is_empty()) {
        let names: Vec<&str> = query.split('&').map(|kv| kv.split('=').next().unwrap_or_default()).collect();
        return Err(format!(
            "the {scheme} URI's query parameters ({}) have no secret parameter; give them to ATTACH instead",
            names.join(", ")
        ));
    }
    let (authority, path) = match authority_and_path.split_once('/') {
        Some((a, p)) => (a, p),
        None => (authority_and_path, ""),
    };
    // The password may hold '@': the host part follows the last one.
    let (userinfo, hostport) = match authority.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, authority),
    };
    if let Some(userinfo) = userinfo {
        let (user, password) = match userinfo.split_once(':') {
            Some((u, p)) => (u, Some(p)),
            None => (userinfo, None),
        };
        if !user.is_empty() {
            parts.push(("user".into(), SecretString::new(percent_decode(user, "user")?)));
        }
        if let Some(password) = password {
            parts.push(("password".into(), SecretString::new(percent_decode(password, "password")?)));
        }
    }
    let (host, port) = if let Some(bracketed) = hostport.strip_prefix('[') {
        let (h, after) = bracketed.split_once(']').ok_or("the URI's IPv6 host misses its ']'")?;
        (h, after.strip_prefix(':'))
    } else {
        match hostport.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (hostport, None),
        }
    };
    if !host.is_empty() {
        parts.push(("host".into(), SecretString::new(percent_decode(host, "host")?)));
    }
    if let Some(port) = port.filter(|p| !p.is_empty()) {
        if port.parse::<u16>().is_err() {
            return Err(format!("the {scheme} URI's port is not a number"));
        }
        parts.push(("port".into(), SecretString::new(port.to_string())));
    }
    if !path.is_empty() {
        parts.push(("database".into(), SecretString::new(percent_decode(path, "database")?)));
    }
    Ok(parts)
}

fn percent_decode(text: &str, part: &str) -> Result<String, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
            let byte = hex
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or(format!("the URI's {part} has a bad %-escape"))?;
            out.push(byte);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| format!("the URI's {part} is not UTF-8 once %-decoded"))
}

/// libpq's `key=value` form: values may be single-quoted, with `\'` and `\\` escapes.
fn parse_key_values(text: &str, keys: &[(&str, &str)]) -> Result<Parts, String> {
    let mut parts = Parts::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.peek().is_none() {
            break;
        }
        let mut key = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' || c.is_whitespace() {
                break;
            }
            key.push(c);
            chars.next();
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.next() != Some('=') {
            return Err(format!("connection string: expected '=' after '{key}'"));
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut value = String::new();
        if chars.peek() == Some(&'\'') {
            chars.next();
            let mut closed = false;
            while let Some(c) = chars.next() {
                match c {
                    '\\' => value.push(chars.next().unwrap_or('\\')),
                    '\'' => {
                        closed = true;
                        break;
                    }
                    _ => value.push(c),
                }
            }
            if !closed {
                return Err(format!("connection string: the value of '{key}' misses its closing quote"));
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                value.push(c);
                chars.next();
            }
        }
        let Some((_, target)) = keys.iter().find(|(k, _)| *k == key) else {
            let known: Vec<&str> = keys.iter().map(|(k, _)| *k).collect();
            return Err(format!("connection string: '{key}' is not supported here (supported: {})", known.join(", ")));
        };
        if parts.iter().any(|(k, _)| k == target) {
            return Err(format!("connection string: '{target}' is given twice"));
        }
        parts.push((target.to_string(), SecretString::new(value)));
    }
    if parts.is_empty() {
        return Err("connection string is empty".into());
    }
    Ok(parts)
}

/// An Azure Storage connection string from an account and its key or SAS token.
/// `endpoint` becomes `BlobEndpoint=` (DuckDB ignores an ENDPOINT beside a connection string).
pub fn azure(account: &str, key: Option<&str>, sas: Option<&str>, endpoint: Option<&str>) -> SecretString {
    let mut out = String::new();
    match endpoint {
        Some(endpoint) => {
            let protocol = if endpoint.starts_with("http://") { "http" } else { "https" };
            out.push_str(&format!("DefaultEndpointsProtocol={protocol};AccountName={account};"));
            out.push_str(&format!("BlobEndpoint={endpoint};"));
        }
        None if sas.is_some() => {
            out.push_str(&format!("AccountName={account};BlobEndpoint=https://{account}.blob.core.windows.net/;"))
        }
        None => out.push_str(&format!(
            "DefaultEndpointsProtocol=https;AccountName={account};EndpointSuffix=core.windows.net;"
        )),
    }
    if let Some(key) = key {
        out.push_str(&format!("AccountKey={key};"));
    }
    if let Some(sas) = sas {
        out.push_str(&format!("SharedAccessSignature={};", sas.trim_start_matches('?')));
    }
    SecretString::new(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get<'a>(parts: &'a Parts, key: &str) -> Option<&'a str> {
        parts.iter().find(|(k, _)| k == key).map(|(_, v)| v.expose())
    }

    #[test]
    fn postgres_uri() {
        let parts = parse_postgres("postgresql://ana:p%40ss@db.example.com:6543/sales").unwrap();
        assert_eq!(get(&parts, "user"), Some("ana"));
        assert_eq!(get(&parts, "password"), Some("p@ss"));
        assert_eq!(get(&parts, "host"), Some("db.example.com"));
        assert_eq!(get(&parts, "port"), Some("6543"));
        assert_eq!(get(&parts, "database"), Some("sales"));
        let err = parse_postgres("postgres://a:secretpw@h/db?sslmode=require").unwrap_err();
        assert!(err.contains("sslmode") && !err.contains("secretpw"), "{err}");
    }

    #[test]
    fn postgres_key_values() {
        let parts = parse_postgres("host=h port=5 dbname=d user=u password='it\\'s a pw'").unwrap();
        assert_eq!(get(&parts, "password"), Some("it's a pw"));
        assert_eq!(get(&parts, "database"), Some("d"));
        let err = parse_postgres("host=h sslmode=require").unwrap_err();
        assert!(err.contains("sslmode"), "{err}");
        assert!(parse_postgres("password='unterminated").unwrap_err().contains("closing quote"));
    }

    #[test]
    fn mysql_uri_with_at_in_password() {
        let parts = parse_mysql("mysql://root:a@b@127.0.0.1:3307/shop").unwrap();
        assert_eq!(get(&parts, "password"), Some("a@b"));
        assert_eq!(get(&parts, "host"), Some("127.0.0.1"));
        assert_eq!(get(&parts, "port"), Some("3307"));
    }

    #[test]
    fn azure_strings() {
        let s = azure("acct", Some("k=="), None, Some("http://127.0.0.1:10000/acct"));
        assert_eq!(
            s.expose(),
            "DefaultEndpointsProtocol=http;AccountName=acct;BlobEndpoint=http://127.0.0.1:10000/acct;AccountKey=k==;"
        );
        let s = azure("acct", None, Some("?sv=1&sig=x"), None);
        assert!(s.expose().contains("SharedAccessSignature=sv=1&sig=x;"));
    }
}
