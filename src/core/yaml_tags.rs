//! YAML tags: the standard ones are applied (`!!binary` is decoded, `!!int` and `!!bool`
//! are checked and written canonically), every other one is refused. A tag silently
//! ignored would hand DuckDB a value other than the one the author meant (`!!binary`
//! still base64-encoded), and `!!python/object` or `!custom` mean nothing here.

use yaml_rust2::parser::Tag;

/// Where yaml-rust2 puts `!!` tags (unless a `%TAG` directive moves `!!` elsewhere).
const YAML_ORG: &str = "tag:yaml.org,2002:";

const READ: &str = "yamlsecrets reads the tags !!str, !!int, !!float, !!bool, !!null and !!binary";

fn standard(tag: &Tag) -> Option<&str> {
    if tag.handle == YAML_ORG {
        return Some(&tag.suffix);
    }
    // The verbatim form `!<tag:yaml.org,2002:str>`.
    tag.handle.is_empty().then(|| tag.suffix.strip_prefix(YAML_ORG)).flatten()
}

/// The tag as the author most likely wrote it.
pub fn written(tag: &Tag) -> String {
    match standard(tag) {
        Some(name) => format!("!!{name}"),
        None if tag.handle == "!" => format!("!{}", tag.suffix),
        None => format!("{}{}", tag.handle, tag.suffix),
    }
}

/// The tag, short and printable: tags are not values, but a long one would swamp the message.
fn shown(tag: &Tag) -> String {
    let whole = written(tag);
    let mut out: String = whole.chars().take_while(|c| !c.is_control()).take(40).collect();
    if out.len() < whole.len() {
        out.push('…');
    }
    out
}

/// A scalar's text and plainness once its tag is applied.
pub fn scalar(text: String, plain: bool, tag: Option<&Tag>) -> Result<(String, bool), String> {
    let Some(tag) = tag else { return Ok((text, plain)) };
    // `! text`: the non-specific tag, which makes a plain scalar a string.
    if tag.handle.is_empty() && tag.suffix == "!" {
        return Ok((text, false));
    }
    let refuse = |what: &str| Err(format!("a value tagged {} {what}", shown(tag)));
    match standard(tag) {
        Some("str") => Ok((text, false)),
        Some("null") if is_null_text(&text) => Ok((String::new(), true)),
        Some("null") => refuse("must be empty, ~ or null"),
        Some("bool") => match text.as_str() {
            "true" | "True" | "TRUE" => Ok(("true".into(), true)),
            "false" | "False" | "FALSE" => Ok(("false".into(), true)),
            _ => refuse("must be true or false"),
        },
        Some("int") => match integer(&text) {
            Some(n) => Ok((n.to_string(), true)),
            None => refuse("must be an integer (123, -4, 0x1f or 0o17) that fits in 64 bits"),
        },
        Some("float") if float(&text) => Ok((text, true)),
        Some("float") => refuse("must be a number"),
        Some("binary") => {
            let bytes = base64(&text).ok_or_else(|| format!("a value tagged {} is not valid base64", shown(tag)))?;
            String::from_utf8(bytes).map(|decoded| (decoded, false)).map_err(|_| {
                format!(
                    "a value tagged {} decodes to bytes that are not UTF-8 text, which a secret cannot hold",
                    shown(tag)
                )
            })
        }
        _ => Err(format!("unsupported YAML tag '{}': {READ}", shown(tag))),
    }
}

/// A collection's tag: only the standard `!!seq` and `!!map` (which change nothing).
pub fn collection(sequence: bool, tag: Option<&Tag>) -> Result<(), String> {
    let Some(tag) = tag else { return Ok(()) };
    match (standard(tag), sequence) {
        (Some("seq"), true) | (Some("map"), false) => Ok(()),
        _ if tag.handle.is_empty() && tag.suffix == "!" => Ok(()),
        _ => Err(format!(
            "unsupported YAML tag '{}' on a {}: {READ} (and !!seq, !!map)",
            shown(tag),
            if sequence { "list" } else { "mapping" }
        )),
    }
}

/// YAML 1.2's integers: decimal, `0o` octal, `0x` hexadecimal.
fn integer(text: &str) -> Option<i64> {
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let (radix, digits) = if let Some(hex) = digits.strip_prefix("0x") {
        (16, hex)
    } else if let Some(octal) = digits.strip_prefix("0o") {
        (8, octal)
    } else {
        (10, digits)
    };
    // from_str_radix would accept a second sign.
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let magnitude = i128::from_str_radix(digits, radix).ok()?;
    i64::try_from(if negative { -magnitude } else { magnitude }).ok()
}

fn float(text: &str) -> bool {
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    matches!(unsigned, ".inf" | ".Inf" | ".INF")
        || matches!(text, ".nan" | ".NaN" | ".NAN")
        || (unsigned.chars().next().is_some_and(|c| c.is_ascii_digit() || c == '.')
            && unsigned.chars().all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '-' | '+'))
            && unsigned.parse::<f64>().is_ok())
}

/// Standard base64, line breaks and spaces ignored (block scalars wrap it), padding optional.
fn base64(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3 + 2);
    let (mut acc, mut bits, mut symbols, mut padding) = (0u32, 0u32, 0usize, 0usize);
    for b in text.bytes() {
        let v = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => {
                padding += 1;
                continue;
            }
            _ if b.is_ascii_whitespace() => continue,
            _ => return None,
        };
        if padding > 0 {
            return None;
        }
        symbols += 1;
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    // One symbol alone carries 6 bits, not a byte; padding only completes a group of four.
    let complete = padding == 0 || (symbols + padding) % 4 == 0;
    (symbols % 4 != 1 && padding <= 2 && complete).then_some(out)
}

/// YAML's plain null spellings (the core schema's), which `!!null` and plain scalars share.
pub(crate) fn is_null_text(text: &str) -> bool {
    matches!(text, "" | "~" | "null" | "Null" | "NULL")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(handle: &str, suffix: &str) -> Tag {
        Tag { handle: handle.into(), suffix: suffix.into() }
    }

    fn std_tag(name: &str) -> Tag {
        tag(YAML_ORG, name)
    }

    #[test]
    fn standard_scalars_are_applied() {
        let apply = |name: &str, text: &str| scalar(text.into(), true, Some(&std_tag(name)));
        assert_eq!(apply("str", "5432"), Ok(("5432".into(), false)));
        assert_eq!(apply("int", "0x1F"), Ok(("31".into(), true)));
        assert_eq!(apply("int", "-0o17"), Ok(("-15".into(), true)));
        assert_eq!(apply("int", "+42"), Ok(("42".into(), true)));
        assert_eq!(apply("bool", "True"), Ok(("true".into(), true)));
        assert_eq!(apply("null", "~"), Ok((String::new(), true)));
        assert_eq!(apply("float", "1.5e3"), Ok(("1.5e3".into(), true)));
        assert_eq!(apply("binary", "aGVs\n bG8=\n"), Ok(("hello".into(), false)));
        assert_eq!(apply("binary", "aGVsbG8"), Ok(("hello".into(), false)));
        assert_eq!(scalar("x".into(), true, Some(&tag("", "!"))), Ok(("x".into(), false)));
        assert_eq!(scalar("x".into(), true, Some(&tag("", "tag:yaml.org,2002:str"))), Ok(("x".into(), false)));
    }

    #[test]
    fn wrong_values_for_standard_tags_are_refused_without_echo() {
        let apply = |name: &str, text: &str| scalar(text.into(), true, Some(&std_tag(name))).unwrap_err();
        assert!(apply("int", "12ab-secret").contains("must be an integer"));
        assert!(apply("int", "--1").contains("must be an integer"));
        assert!(apply("int", "99999999999999999999").contains("64 bits"));
        assert!(apply("bool", "yes").contains("true or false"));
        assert!(apply("float", "nan-secret").contains("a number"));
        let message = apply("binary", "c2VjcmV0!!");
        assert!(message.contains("not valid base64") && !message.contains("c2VjcmV0"), "{message}");
        assert!(apply("binary", "a").contains("not valid base64"));
        assert!(apply("binary", "aGVsbG8=aGVs").contains("not valid base64"));
        // 0xff 0xfe: bytes, not text.
        assert!(apply("binary", "//4=").contains("not UTF-8 text"));
    }

    #[test]
    fn other_tags_are_refused_by_name() {
        let message = scalar("x".into(), true, Some(&std_tag("python/object:os.system"))).unwrap_err();
        assert!(message.starts_with("unsupported YAML tag '!!python/object:os.system'"), "{message}");
        let message = scalar("x".into(), true, Some(&tag("!", "custom"))).unwrap_err();
        assert!(message.starts_with("unsupported YAML tag '!custom'"), "{message}");
        let message = scalar("x".into(), true, Some(&tag("tag:example.com:", "str"))).unwrap_err();
        assert!(message.contains("'tag:example.com:str'"), "{message}");
        let long = scalar("x".into(), true, Some(&tag("!", &"t".repeat(500)))).unwrap_err();
        assert!(long.len() < 200, "{long}");
        assert!(collection(true, Some(&std_tag("seq"))).is_ok());
        assert!(collection(false, Some(&std_tag("map"))).is_ok());
        assert!(collection(false, Some(&std_tag("set"))).unwrap_err().contains("'!!set' on a mapping"));
        assert!(collection(true, Some(&tag("!", "py"))).is_err());
    }
}
