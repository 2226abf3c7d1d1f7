//! Every way yamlsecrets builds SQL text: string literals, quoted identifiers, and option
//! names (an identifier that reads as a keyword when it can). CREATE SECRET takes no
//! prepared parameters, so every value travels as an escaped literal.

/// Why a piece of text cannot go into SQL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NulByte;

/// `'text'` with every `'` doubled. NUL cannot be represented in a DuckDB string literal.
pub fn quote_literal(text: &str) -> Result<String, NulByte> {
    if text.contains('\0') {
        return Err(NulByte);
    }
    let mut out = String::with_capacity(text.len() + 2);
    out.push('\'');
    for c in text.chars() {
        if c == '\'' {
            out.push('\'');
        }
        out.push(c);
    }
    out.push('\'');
    Ok(out)
}

/// `"name"` with every `"` doubled.
pub fn quote_ident(name: &str) -> Result<String, NulByte> {
    if name.contains('\0') {
        return Err(NulByte);
    }
    let mut out = String::with_capacity(name.len() + 2);
    out.push('"');
    for c in name.chars() {
        if c == '"' {
            out.push('"');
        }
        out.push(c);
    }
    out.push('"');
    Ok(out)
}

/// A parameter name as a bare upper-case keyword (`KEY_ID`) when it is a plain lower snake
/// case word, which reads like DuckDB's documentation; anything else is quoted.
pub fn option_name(name: &str) -> Result<String, NulByte> {
    let plain = name.chars().next().is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if plain {
        Ok(name.to_ascii_uppercase())
    } else {
        quote_ident(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_double_single_quotes_only() {
        assert_eq!(quote_literal("it's").unwrap(), "'it''s'");
        assert_eq!(quote_literal(r#"a"b\c;--$"#).unwrap(), r#"'a"b\c;--$'"#);
        assert_eq!(quote_literal("").unwrap(), "''");
    }

    #[test]
    fn identifiers_double_double_quotes_only() {
        assert_eq!(quote_ident(r#"my "db""#).unwrap(), r#""my ""db""""#);
        assert_eq!(quote_ident("o'k").unwrap(), r#""o'k""#);
    }

    #[test]
    fn nul_is_refused() {
        assert_eq!(quote_literal("a\0b"), Err(NulByte));
        assert_eq!(quote_ident("a\0b"), Err(NulByte));
    }

    #[test]
    fn plain_names_become_keywords_others_are_quoted() {
        assert_eq!(option_name("key_id").unwrap(), "KEY_ID");
        assert_eq!(option_name("Key Id").unwrap(), "\"Key Id\"");
        assert_eq!(option_name("x\"); DROP").unwrap(), "\"x\"\"); DROP\"");
    }
}
