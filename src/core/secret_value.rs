//! Secret values: held in a type that never prints them and is zeroed when dropped, and
//! the scrubber that removes them from any text (DuckDB's errors can quote values).

use std::fmt;
use zeroize::Zeroize;

/// A resolved value that may be a credential. `Debug` prints `***`; there is no `Display`.
/// The only way to read it is [`SecretString::expose`], which makes every use greppable.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct SecretString(String);

impl SecretString {
    pub fn new(value: String) -> Self {
        SecretString(value)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl Drop for SecretString {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

/// Values shorter than this are not replaced inside text: replacing a one- or two-letter
/// value everywhere would both garble the text and reveal the value by the gaps it leaves.
/// Text that contains such a value is withheld whole by [`Scrubber::scrub`].
const MIN_SCRUB_LEN: usize = 4;

/// Removes every given value from text before it leaves the extension.
#[derive(Default)]
pub struct Scrubber {
    values: Vec<SecretString>,
    /// Fingerprints of the lower-cased forms already held, so adding stays linear.
    seen: std::collections::HashSet<u64>,
}

impl Scrubber {
    pub fn new() -> Self {
        Scrubber::default()
    }

    /// Adds a value and the forms it takes inside SQL text and error messages: SQL-quoted,
    /// percent-encoded (URIs), each line (PEM keys), and each `;`/`,`/`&`/`=`/space-separated
    /// part of four or more characters (DuckDB quotes the one item of a list it refuses).
    pub fn add(&mut self, value: &str) {
        if value.is_empty() {
            return;
        }
        let mut forms = vec![
            value.to_string(),
            value.replace('\'', "''"),
            percent_encode(value, |_| false),
            // URLs in messages keep their delimiters and encode the rest.
            percent_encode(value, |b| b":/?#[]@!$&()*+,;=%".contains(&b)),
        ];
        forms.extend(value.lines().map(str::to_string));
        forms.extend(
            value
                .split(|c: char| matches!(c, ';' | ',' | '&' | '=') || c.is_whitespace())
                .filter(|part| part.len() >= MIN_SCRUB_LEN && part.len() < value.len())
                .map(str::to_string),
        );
        for form in forms {
            let form = form.trim().to_string();
            if !form.is_empty() && self.seen.insert(crate::core::interpolate::fingerprint(&form.to_ascii_lowercase())) {
                self.values.push(SecretString::new(form));
            }
        }
    }

    /// The text with every value replaced by `***` (ASCII case ignored: DuckDB lower-cases
    /// some values in its messages); or, when the text contains a value too short to replace
    /// safely, `withheld` instead.
    pub fn scrub(&self, text: &str, withheld: &str) -> String {
        // Longest first, so a value that contains another is replaced whole.
        let mut longest_first: Vec<&SecretString> = self.values.iter().collect();
        longest_first.sort_by_key(|v| std::cmp::Reverse(v.expose().len()));
        let mut out = text.to_string();
        for value in longest_first {
            let value = value.expose();
            if value.len() < MIN_SCRUB_LEN {
                if contains_as_word(&out, value) {
                    return withheld.to_string();
                }
            } else {
                out = replace_ignoring_ascii_case(&out, value, "***");
            }
        }
        out
    }
}

/// `text` with every ASCII-case-insensitive occurrence of `needle` replaced.
fn replace_ignoring_ascii_case(text: &str, needle: &str, with: &str) -> String {
    // ASCII lower-casing keeps byte offsets, so positions found in the lowered copies
    // are positions in the original.
    let lowered = text.to_ascii_lowercase();
    let needle = needle.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (at, _) in lowered.match_indices(&needle) {
        if at < last {
            continue;
        }
        out.push_str(&text[last..at]);
        out.push_str(with);
        last = at + needle.len();
    }
    out.push_str(&text[last..]);
    out
}

/// RFC 3986 percent-encoding of everything but unreserved characters and those `keep` names.
fn percent_encode(value: &str, keep: impl Fn(u8) -> bool) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') || keep(byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Short values are only a leak where they stand alone (between non-alphanumerics);
/// `abc` inside `Catalog Error` is not a sign that the value was printed.
fn contains_as_word(text: &str, value: &str) -> bool {
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    let mut start = 0;
    while let Some(found) = text[start..].find(value) {
        let at = start + found;
        let end = at + value.len();
        let before_ok = text[..at].chars().next_back().is_none_or(|c| !is_word(c));
        let after_ok = text[end..].chars().next().is_none_or(|c| !is_word(c));
        if before_ok && after_ok {
            return true;
        }
        start = at + value.chars().next().map_or(1, char::len_utf8);
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let s = SecretString::new("hunter2-password".into());
        assert_eq!(format!("{s:?}"), "***");
        assert_eq!(format!("{:?}", vec![s.clone()]), "[***]");
        assert_eq!(s.expose(), "hunter2-password");
    }

    #[test]
    fn scrub_replaces_raw_and_sql_quoted_forms() {
        let mut scrubber = Scrubber::new();
        scrubber.add("o'brien-secret");
        let text = "Conversion Error: could not convert 'o''brien-secret' (o'brien-secret)";
        let out = scrubber.scrub(text, "withheld");
        assert!(!out.contains("brien"), "{out}");
        assert!(out.contains("***"));
    }

    #[test]
    fn scrub_prefers_longest_value() {
        let mut scrubber = Scrubber::new();
        scrubber.add("secret");
        scrubber.add("secret-and-more");
        assert_eq!(scrubber.scrub("x secret-and-more y", "w"), "x *** y");
    }

    #[test]
    fn short_values_withhold_the_whole_text_only_when_standing_alone() {
        let mut scrubber = Scrubber::new();
        scrubber.add("ab");
        assert_eq!(scrubber.scrub("Catalog Error: table", "w"), "Catalog Error: table");
        assert_eq!(scrubber.scrub("could not convert 'ab' to INT", "w"), "w");
    }

    #[test]
    fn multi_line_values_are_scrubbed_line_by_line() {
        let mut scrubber = Scrubber::new();
        scrubber.add("-----BEGIN KEY-----\nMIIBOgIBAAJBAKj34\n-----END KEY-----");
        let out = scrubber.scrub("bad line MIIBOgIBAAJBAKj34 here", "w");
        assert!(!out.contains("MIIBOgIBAAJBAKj34"), "{out}");
    }
}
