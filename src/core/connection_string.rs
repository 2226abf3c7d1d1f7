//! Connection strings users bring from other tools, split into DuckDB secret parameters:
//! libpq `key=value` strings and `postgresql://` / `mysql://` URIs; and the Azure
//! connection string assembled from an account name and key or SAS token.
//! Errors name the part that is wrong, never its value.

use super::secret_value::SecretString;

type Parts = Vec<(String, SecretString)>;

/// Errors never quote the text: a mis-split value would put part of a password in them.
/// Keys are named only when `known` says they are parameter names.
pub type Known<'a> = &'a dyn Fn(&str) -> bool;

/// `postgresql://user:pass@host:port/db?key=value` or libpq's `key=value …`; the keys are
/// returned as written (`dbname`, `hostaddr`, `sslmode`, …) for the validator to check.
pub fn parse_postgres(text: &str, known: Known) -> Result<Parts, String> {
    let text = text.trim();
    if let Some(rest) = text.strip_prefix("postgresql://").or_else(|| text.strip_prefix("postgres://")) {
        return parse_uri(rest, "dbname", known);
    }
    parse_key_values(text, known)
}

/// `mysql://user:pass@host:port/db?key=value` or `key=value …`.
pub fn parse_mysql(text: &str, known: Known) -> Result<Parts, String> {
    let text = text.trim();
    if let Some(rest) = text.strip_prefix("mysql://").or_else(|| text.strip_prefix("mariadb://")) {
        return parse_uri(rest, "database", known);
    }
    parse_key_values(text, known)
}

fn push(parts: &mut Parts, key: &str, value: String, known: Known, entry: usize) -> Result<(), String> {
    if !known(key) {
        return Err(format!("connection string: entry {entry} has a key that is not a parameter of this secret type"));
    }
    if parts.iter().any(|(k, _)| k == key) {
        return Err(format!("connection string: '{key}' is given twice"));
    }
    parts.push((key.to_string(), SecretString::new(value)));
    Ok(())
}

/// RFC 3986: the authority runs from `//` to the first `/`, `?` or `#`; inside it, the
/// userinfo runs to the last `@` (so a password may hold a bare `@`); then the path (the
/// database) and the query. A `/`, `?` or `#` inside a password must be percent-encoded,
/// as libpq and every URI parser require.
fn parse_uri(rest: &str, database_key: &str, known: Known) -> Result<Parts, String> {
    let mut parts = Parts::new();
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, after) = rest.split_at(authority_end);
    if after.contains('#') {
        return Err(
            "the URI has a '#' fragment, which connection URIs do not use: write a '#' inside a value as %23".into()
        );
    }
    let (userinfo, hostport) = match authority.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, authority),
    };
    let (path, query) = match after.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (after, None),
    };
    let path = path.strip_prefix('/').unwrap_or(path);
    if let Some(userinfo) = userinfo {
        let (user, password) = match userinfo.split_once(':') {
            Some((u, p)) => (u, Some(p)),
            None => (userinfo, None),
        };
        if !user.is_empty() {
            push(&mut parts, "user", percent_decode(user, "user")?, known, 1)?;
        }
        if let Some(password) = password {
            push(&mut parts, "password", percent_decode(password, "password")?, known, 1)?;
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
        push(&mut parts, "host", percent_decode(host, "host")?, known, 1)?;
    }
    if let Some(port) = port.filter(|p| !p.is_empty()) {
        if port.parse::<u16>().is_err() {
            // `user:pa/ss@host`: the authority ended at the '/', leaving `user:pa`.
            let hint = if userinfo.is_none() && after.contains('@') {
                " (a password holding '/', '?' or '#' must write them as %2F, %3F and %23)"
            } else {
                ""
            };
            return Err(format!("the URI's port is not a number{hint}"));
        }
        push(&mut parts, "port", port.to_string(), known, 1)?;
    }
    if !path.is_empty() {
        push(&mut parts, database_key, percent_decode(path, "database")?, known, 1)?;
    }
    for (index, pair) in query.unwrap_or_default().split('&').filter(|p| !p.is_empty()).enumerate() {
        let (key, value) = pair.split_once('=').ok_or(format!("the URI's query parameter {} has no '='", index + 1))?;
        let key = percent_decode(key, "query")?;
        push(&mut parts, &key, percent_decode(value, "query")?, known, index + 1)?;
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

/// libpq's `key = value` form: a value is single-quoted (then it may hold spaces) or runs
/// to the next space; in both, a backslash takes the next character as it is.
fn parse_key_values(text: &str, known: Known) -> Result<Parts, String> {
    let mut parts = Parts::new();
    let mut chars = text.chars().peekable();
    let mut entry = 0;
    let skip_spaces = |chars: &mut std::iter::Peekable<std::str::Chars>| {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
    };
    loop {
        skip_spaces(&mut chars);
        if chars.peek().is_none() {
            break;
        }
        entry += 1;
        let mut key = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' || c.is_whitespace() {
                break;
            }
            key.push(c);
            chars.next();
        }
        skip_spaces(&mut chars);
        if chars.next() != Some('=') {
            return Err(format!(
                "connection string: entry {entry} is not key=value (a value with spaces must be single-quoted)"
            ));
        }
        skip_spaces(&mut chars);
        let mut value = String::new();
        let quoted = chars.peek() == Some(&'\'');
        if quoted {
            chars.next();
        }
        let mut closed = !quoted;
        while let Some(c) = chars.next() {
            match c {
                '\\' => value.push(chars.next().unwrap_or('\\')),
                '\'' if quoted => {
                    closed = true;
                    break;
                }
                c if !quoted && c.is_whitespace() => break,
                _ => value.push(c),
            }
        }
        if !closed {
            return Err(format!("connection string: the value of entry {entry} misses its closing quote"));
        }
        push(&mut parts, &key, value, known, entry)?;
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

    fn any(_: &str) -> bool {
        true
    }

    fn libpq(key: &str) -> bool {
        ["host", "hostaddr", "port", "dbname", "user", "password", "sslmode"].contains(&key)
    }

    #[test]
    fn postgres_uri() {
        let parts =
            parse_postgres("postgresql://ana:p%40ss@db.example.com:6543/sales?sslmode=require", &libpq).unwrap();
        assert_eq!(get(&parts, "user"), Some("ana"));
        assert_eq!(get(&parts, "password"), Some("p@ss"));
        assert_eq!(get(&parts, "host"), Some("db.example.com"));
        assert_eq!(get(&parts, "port"), Some("6543"));
        assert_eq!(get(&parts, "dbname"), Some("sales"));
        assert_eq!(get(&parts, "sslmode"), Some("require"));
        let err = parse_postgres("postgres://a:secretpw@h/db?secretword=x", &libpq).unwrap_err();
        assert!(!err.contains("secretpw") && !err.contains("secretword"), "{err}");
    }

    #[test]
    fn postgres_key_values_follow_libpq_quoting() {
        let parts =
            parse_postgres("host=h hostaddr=127.0.0.1 port=5 dbname=d user=u password='it\\'s a pw'", &libpq).unwrap();
        assert_eq!(get(&parts, "password"), Some("it's a pw"));
        assert_eq!(get(&parts, "hostaddr"), Some("127.0.0.1"));
        let parts = parse_postgres(r#"password=pa\'ss"w;rd--$x\\y\ é"#, &libpq).unwrap();
        assert_eq!(get(&parts, "password"), Some(r#"pa'ss"w;rd--$x\y é"#));
        assert!(parse_postgres("password='unterminated", &libpq).unwrap_err().contains("closing quote"));
    }

    #[test]
    fn errors_never_quote_fragments() {
        for text in ["host=h password=correct horse battery", "password=correct horse=battery", "user=u pw=staple"] {
            let err = parse_postgres(text, &libpq).unwrap_err();
            for word in ["correct", "horse", "battery", "staple", "pw"] {
                assert!(!err.contains(word), "{err}");
            }
        }
        assert!(parse_postgres("host=a host=b", &any).unwrap_err().contains("'host' is given twice"));
    }

    #[test]
    fn userinfo_ends_at_the_last_at_sign_of_the_authority() {
        let known = |k: &str| libpq(k) || k == "application_name";
        let parts = parse_postgres("postgresql://alice:pw@db.example.com:5432/sales?application_name=etl@corp", &known)
            .unwrap();
        assert_eq!(get(&parts, "password"), Some("pw"));
        assert_eq!(get(&parts, "host"), Some("db.example.com"));
        assert_eq!(get(&parts, "port"), Some("5432"));
        assert_eq!(get(&parts, "dbname"), Some("sales"));
        assert_eq!(get(&parts, "application_name"), Some("etl@corp"));
        let parts = parse_postgres("postgresql://alice:pw@db.example.com/team@db", &libpq).unwrap();
        assert_eq!(get(&parts, "host"), Some("db.example.com"));
        assert_eq!(get(&parts, "dbname"), Some("team@db"));
        let parts = parse_mysql("mysql://root:p@ss@db:3306/shop?ssl_ca=/etc/ca@x.pem", &any).unwrap();
        assert_eq!(get(&parts, "password"), Some("p@ss"));
        assert_eq!(get(&parts, "host"), Some("db"));
        assert_eq!(get(&parts, "database"), Some("shop"));
        assert_eq!(get(&parts, "ssl_ca"), Some("/etc/ca@x.pem"));
        let parts = parse_mysql("mysql://db.example.com?ssl_ca=/etc/ca@x.pem", &any).unwrap();
        assert_eq!(get(&parts, "user"), None);
        assert_eq!(get(&parts, "host"), Some("db.example.com"));
    }

    #[test]
    fn reserved_characters_in_passwords_are_percent_encoded() {
        let parts = parse_postgres("postgresql://u:pw%3Fwith%2Fodd%23chars@h:1/db?sslmode=disable", &libpq).unwrap();
        assert_eq!(get(&parts, "password"), Some("pw?with/odd#chars"));
        assert_eq!(get(&parts, "host"), Some("h"));
        assert_eq!(get(&parts, "sslmode"), Some("disable"));
        // Unencoded, the authority ends at the '/': say what to do, quote nothing.
        let err = parse_postgres("postgresql://u:secretpw/x@h:1/db", &libpq).unwrap_err();
        assert!(err.contains("%2F") && !err.contains("secretpw"), "{err}");
        let err = parse_postgres("postgresql://u:pw@h/db?password=se#cret", &libpq).unwrap_err();
        assert!(err.contains("%23") && !err.contains("cret"), "{err}");
    }

    #[test]
    fn mysql_uri_with_at_in_password() {
        let parts = parse_mysql("mysql://root:a@b@127.0.0.1:3307/shop", &any).unwrap();
        assert_eq!(get(&parts, "password"), Some("a@b"));
        assert_eq!(get(&parts, "host"), Some("127.0.0.1"));
        assert_eq!(get(&parts, "port"), Some("3307"));
        assert_eq!(get(&parts, "database"), Some("shop"));
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
