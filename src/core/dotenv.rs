//! dotenv files as shells and docker compose read them: `KEY=VALUE` lines, `export`,
//! comments, quotes. A line's text never appears in an error: it may hold a credential.

use super::secret_value::SecretString;

/// `KEY=VALUE` lines, `export KEY=VALUE`, `#` comments (a whole line, or after a value and
/// a space), single quotes literal, double quotes with `\n`, `\"` and `\\` escapes, a UTF-8
/// byte order mark ignored. Assignments in file order (a repeated name appears twice).
/// Errors carry the 1-based line number and never the line's text.
pub fn parse(text: &str) -> Result<Vec<(String, SecretString)>, (usize, String)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut out = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line_no = index + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").map(str::trim_start).unwrap_or(line);
        let Some((key, value)) = line.split_once('=') else {
            return Err((line_no, "expected KEY=VALUE".into()));
        };
        let key = key.trim();
        if key.is_empty() || !key.chars().all(|c| c == '_' || c.is_ascii_alphanumeric()) {
            return Err((line_no, "a variable name may hold only letters, digits and '_'".into()));
        }
        let value = value.trim();
        let value = if let Some(quote @ ('\'' | '"')) = value.chars().next() {
            let body = &value[1..];
            let end = closing_quote(body, quote).ok_or_else(|| {
                (line_no, format!("unterminated {} quote", if quote == '"' { "double" } else { "single" }))
            })?;
            if quote == '"' {
                unescape_double_quoted(&body[..end])
            } else {
                body[..end].to_string()
            }
        } else {
            match value.find(" #") {
                Some(at) => value[..at].trim_end().to_string(),
                None => value.to_string(),
            }
        };
        out.push((key.to_string(), SecretString::new(value)));
    }
    Ok(out)
}

/// Byte index of the quote closing `body`: the first one that only a comment (or nothing)
/// follows, so a quote inside the value stays (`'O'Brien'`), and in double quotes `\"` does
/// not close. `None` when no quote closes it.
fn closing_quote(body: &str, quote: char) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in body.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quote == '"' => escaped = true,
            _ if c == quote => {
                let rest = body[i + 1..].trim_start();
                if rest.is_empty() || rest.starts_with('#') {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

fn unescape_double_quoted(body: &str) -> String {
    let mut out = String::with_capacity(body.len());
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::parse as parse_dotenv;
    use crate::core::interpolate::Variables;

    #[test]
    fn dotenv_forms() {
        let parsed = parse_dotenv("# c\nexport A=1\nB='x # y'\nC=\"l1\\nl2\"\nD=v # comment\n").unwrap();
        let get = |k: &str| parsed.iter().find(|(n, _)| n == k).map(|(_, v)| v.expose().to_string());
        assert_eq!(get("A").as_deref(), Some("1"));
        assert_eq!(get("B").as_deref(), Some("x # y"));
        assert_eq!(get("C").as_deref(), Some("l1\nl2"));
        assert_eq!(get("D").as_deref(), Some("v"));
        assert_eq!(parse_dotenv("ok=1\nnot a line\n").unwrap_err().0, 2);
    }

    #[test]
    fn dotenv_as_shells_and_compose_read_it() {
        let mut variables = Variables::new();
        variables.add_dotenv("\u{feff}YS_T_BOM=first-line\nYS_T_DUP=old\nYS_T_DUP=new\n").unwrap();
        variables.add_dotenv("YS_T_DUP=later-file\n").unwrap();
        assert_eq!(variables.lookup("YS_T_BOM").as_deref(), Some("first-line"));
        assert_eq!(variables.lookup("YS_T_DUP").as_deref(), Some("new"));

        let parsed =
            parse_dotenv("A=\"v # not a comment\" # comment\nB='x'   #c\nC=\"q\\\"x\"#tight\nD=\"\"\n").unwrap();
        let get = |k: &str| parsed.iter().find(|(n, _)| n == k).map(|(_, v)| v.expose().to_string());
        assert_eq!(get("A").as_deref(), Some("v # not a comment"));
        assert_eq!(get("B").as_deref(), Some("x"));
        assert_eq!(get("C").as_deref(), Some("q\"x"));
        assert_eq!(get("D").as_deref(), Some(""));
        let inner = parse_dotenv("O='O'Brien' # name\n").unwrap();
        assert_eq!(inner[0].1.expose(), "O'Brien");
        let (line, message) = parse_dotenv("A=1\nB=\"s3cr3t\" trailing-s3cr3t\n").unwrap_err();
        assert_eq!(line, 2);
        assert!(message == "unterminated double quote" && !message.contains("s3cr3t"), "{message}");
        assert_eq!(parse_dotenv("A='open\n").unwrap_err(), (1, "unterminated single quote".to_string()));
    }
}
