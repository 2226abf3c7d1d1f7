//! Secret values: held in a type that never prints them and is zeroed when dropped, and
//! the scrubber that removes them from any text (DuckDB's errors can quote values).

use std::fmt;
use zeroize::Zeroize;

use super::fingerprint::fingerprint;

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
/// Text that contains such a credential is withheld whole by [`Scrubber::scrub`].
const MIN_SCRUB_LEN: usize = 4;

/// A value of the call that is not a credential (a region, a host, a `chain`) and is a plain
/// word of at most this many ASCII letters is not scrubbed: such words are DuckDB's own
/// vocabulary too (`config` in "Configuration Error … in config file"), and the value is
/// shown in the `sql` column anyway.
const MAX_PLAIN_WORD: usize = 8;

/// Something the scrubber can be given: a value, and whether it is a credential. Plain
/// strings count as credentials, the safe default.
pub trait ScrubValue {
    fn scrub_text(&self) -> &str;
    fn is_sensitive(&self) -> bool {
        true
    }
}

impl ScrubValue for str {
    fn scrub_text(&self) -> &str {
        self
    }
}

impl ScrubValue for String {
    fn scrub_text(&self) -> &str {
        self
    }
}

impl ScrubValue for SecretString {
    fn scrub_text(&self) -> &str {
        self.expose()
    }
}

/// A value of the call for the scrubber: credentials are removed wherever they occur,
/// other values only where they stand as a whole token.
#[derive(Clone, Debug)]
pub struct CallValue {
    pub value: SecretString,
    pub sensitive: bool,
}

impl CallValue {
    pub fn new(value: impl Into<String>, sensitive: bool) -> Self {
        CallValue { value: SecretString::new(value.into()), sensitive }
    }
}

impl ScrubValue for CallValue {
    fn scrub_text(&self) -> &str {
        self.value.expose()
    }
    fn is_sensitive(&self) -> bool {
        self.sensitive
    }
}

/// One form a value may take in a message, lower-cased.
struct Form {
    text: SecretString,
    sensitive: bool,
}

/// Removes every given value from text before it leaves the extension.
#[derive(Default)]
pub struct Scrubber {
    forms: Vec<Form>,
    /// Fingerprints of the lower-cased forms already held (to their index), so adding stays
    /// linear and a credential given again after a plain value of the same text wins.
    seen: std::collections::HashMap<u64, usize>,
}

impl Scrubber {
    pub fn new() -> Self {
        Scrubber::default()
    }

    /// Adds a value in every form it may take inside SQL text and DuckDB's messages: each
    /// line (PEM keys) and each `;`/`,`/`&`/`=`/space-separated part of four or more
    /// characters (DuckDB quotes the one item of a list it refuses); each of those raw,
    /// SQL-quoted (`'` or `"` doubled), percent-encoded (URIs), and JSON-escaped once or
    /// twice (`errors_as_json`, and a JSON message inside another). Case is handled when
    /// scrubbing. A value that is not a credential but holds a URL with a password adds that
    /// password as a credential.
    pub fn add<V: ScrubValue + ?Sized>(&mut self, value: &V) {
        self.add_text(value.scrub_text(), value.is_sensitive());
    }

    fn add_text(&mut self, value: &str, sensitive: bool) {
        if value.is_empty() {
            return;
        }
        if !sensitive {
            for password in url_passwords(value) {
                self.add_text(password, true);
            }
        }
        let mut pieces: Vec<&str> = vec![value];
        pieces.extend(value.lines().filter(|line| line.len() < value.len()));
        pieces.extend(
            value
                .split(|c: char| matches!(c, ';' | ',' | '&' | '=') || c.is_whitespace())
                .filter(|part| part.len() >= MIN_SCRUB_LEN && part.len() < value.len()),
        );
        for piece in pieces {
            let piece = piece.trim();
            if piece.is_empty() || (!sensitive && is_left_alone(piece)) {
                continue;
            }
            for form in encodings(piece) {
                self.insert(form, sensitive);
            }
        }
    }

    fn insert(&mut self, form: String, sensitive: bool) {
        // Matching ignores ASCII case: forms are kept lower-cased.
        let form = form.to_ascii_lowercase();
        let key = fingerprint(&form);
        match self.seen.get(&key) {
            Some(&index) => self.forms[index].sensitive |= sensitive,
            None => {
                self.seen.insert(key, self.forms.len());
                self.forms.push(Form { text: SecretString::new(form), sensitive });
            }
        }
    }

    /// The text with every value replaced by `***`, ASCII case ignored (DuckDB lower-cases
    /// some values in its messages): credentials wherever they occur, other values where
    /// they stand as a whole token. When the text contains a credential too short to
    /// replace safely, `withheld` instead.
    pub fn scrub(&self, text: &str, withheld: &str) -> String {
        let mut out = text.to_string();
        let mut lowered = out.to_ascii_lowercase();
        for form in self.longest_first() {
            let needle = form.text.expose();
            if !lowered.contains(needle) {
                continue;
            }
            if form.sensitive && needle.len() < MIN_SCRUB_LEN {
                if find_token(&lowered, needle, 0).is_some() {
                    return withheld.to_string();
                }
                continue;
            }
            let replaced = replace(&out, &lowered, needle, !form.sensitive);
            if replaced != out {
                out = replaced;
                lowered = out.to_ascii_lowercase();
            }
        }
        out
    }

    /// `text` without a tail that is the start of a value: for text cut at an arbitrary
    /// point, where a value split by the cut would survive the scrub.
    pub fn without_partial_tail<'t>(&self, text: &'t str) -> &'t str {
        let lowered = text.to_ascii_lowercase();
        let longest = self
            .forms
            .iter()
            .map(|form| suffix_prefix(lowered.as_bytes(), form.text.expose().as_bytes()))
            .max()
            .unwrap_or(0);
        let mut end = text.len() - longest;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        &text[..end]
    }

    fn longest_first(&self) -> Vec<&Form> {
        // Longest first, so a value that contains another is replaced whole.
        let mut forms: Vec<&Form> = self.forms.iter().collect();
        forms.sort_by_key(|f| std::cmp::Reverse(f.text.expose().len()));
        forms
    }
}

/// A value that is not a credential is left alone when it is too short to replace, or a
/// short plain word (see [`MAX_PLAIN_WORD`]).
fn is_left_alone(piece: &str) -> bool {
    piece.len() < MIN_SCRUB_LEN || (piece.len() <= MAX_PLAIN_WORD && piece.chars().all(|c| c.is_ascii_alphabetic()))
}

/// Every encoding DuckDB may apply to a value inside a message. Most values (tokens, keys)
/// hold no character any encoding changes: they are their only form.
fn encodings(piece: &str) -> Vec<String> {
    let mut out = vec![piece.to_string()];
    let push = |form: String, out: &mut Vec<String>| {
        if !out.contains(&form) {
            out.push(form);
        }
    };
    if piece.contains('\'') {
        push(piece.replace('\'', "''"), &mut out);
    }
    if piece.contains('"') {
        push(piece.replace('"', "\"\""), &mut out);
    }
    if !piece.bytes().all(is_unreserved) {
        push(percent_encode(piece, |_| false), &mut out);
        // URLs in messages keep their delimiters and encode the rest.
        push(percent_encode(piece, |b| b":/?#[]@!$&()*+,;=%".contains(&b)), &mut out);
        if piece.contains(' ') {
            // Form encoding: a space as '+'.
            push(percent_encode(piece, |b| b == b' ').replace(' ', "+"), &mut out);
        }
    }
    for index in 0..out.len() {
        if out[index].chars().any(|c| c == '"' || c == '\\' || c < ' ') {
            let once = json_escape(&out[index]);
            let twice = json_escape(&once);
            push(once, &mut out);
            push(twice, &mut out);
        }
    }
    out
}

fn is_unreserved(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~')
}

/// JSON string escaping as DuckDB's `errors_as_json` writes it: `"`, `\` and control
/// characters escaped; `/` and non-ASCII as they are.
fn json_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// `text` (whose ASCII-lower-cased copy is `lowered`) with every occurrence of `needle`
/// (lower case) replaced by `***`; with `whole_token`, only occurrences not glued to a
/// letter or digit on a side where the needle itself starts or ends with one.
fn replace(text: &str, lowered: &str, needle: &str, whole_token: bool) -> String {
    // ASCII lower-casing keeps byte offsets, so positions found in `lowered` are positions
    // in `text`.
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    let mut from = 0;
    while let Some(at) = if whole_token { find_token(lowered, needle, from) } else { find_from(lowered, needle, from) }
    {
        out.push_str(&text[last..at]);
        out.push_str("***");
        last = at + needle.len();
        from = last;
    }
    out.push_str(&text[last..]);
    out
}

fn find_from(haystack: &str, needle: &str, from: usize) -> Option<usize> {
    haystack.get(from..)?.find(needle).map(|at| from + at)
}

/// The first occurrence of `needle` at or after `from` that stands as a token: the
/// characters around it are not letters, digits or `_` where the needle's own edge is one.
fn find_token(haystack: &str, needle: &str, from: usize) -> Option<usize> {
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    let starts_word = needle.chars().next().is_some_and(is_word);
    let ends_word = needle.chars().next_back().is_some_and(is_word);
    let mut start = from;
    while let Some(at) = find_from(haystack, needle, start) {
        let end = at + needle.len();
        let before_ok = !starts_word || haystack[..at].chars().next_back().is_none_or(|c| !is_word(c));
        let after_ok = !ends_word || haystack[end..].chars().next().is_none_or(|c| !is_word(c));
        if before_ok && after_ok {
            return Some(at);
        }
        start = at + needle.chars().next().map_or(1, char::len_utf8);
    }
    None
}

/// The length of the longest proper prefix of `pattern` that `text` ends with (KMP).
fn suffix_prefix(text: &[u8], pattern: &[u8]) -> usize {
    if pattern.len() < 2 {
        return 0;
    }
    let pattern = &pattern[..pattern.len() - 1];
    let mut failure = vec![0usize; pattern.len()];
    let mut k = 0;
    for i in 1..pattern.len() {
        while k > 0 && pattern[i] != pattern[k] {
            k = failure[k - 1];
        }
        if pattern[i] == pattern[k] {
            k += 1;
        }
        failure[i] = k;
    }
    let tail = &text[text.len().saturating_sub(pattern.len())..];
    let mut matched = 0;
    for &byte in tail {
        while matched > 0 && (matched == pattern.len() || byte != pattern[matched]) {
            matched = failure[matched - 1];
        }
        if byte == pattern[matched] {
            matched += 1;
        }
    }
    matched
}

/// RFC 3986 percent-encoding of everything but unreserved characters and those `keep` names.
fn percent_encode(value: &str, keep: impl Fn(u8) -> bool) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if is_unreserved(byte) || keep(byte) {
            out.push(byte as char);
        } else {
            out.push('%');
            out.push(HEX[usize::from(byte >> 4)] as char);
            out.push(HEX[usize::from(byte & 15)] as char);
        }
    }
    out
}

/// The passwords of URLs inside `text`: `scheme://user:PASSWORD@host`. The userinfo ends at
/// the last `@` before the end of the authority (the first `/`, `?`, `#` or space).
pub fn url_passwords(text: &str) -> Vec<&str> {
    url_password_spans(text).into_iter().map(|(start, end)| &text[start..end]).collect()
}

/// `text` with the password of every URL in it (see [`url_passwords`]) as `***`.
pub fn redact_url_passwords(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (start, end) in url_password_spans(text) {
        out.push_str(&text[last..start]);
        out.push_str("***");
        last = end;
    }
    out.push_str(&text[last..]);
    out
}

fn url_password_spans(text: &str) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut from = 0;
    while let Some(found) = text[from..].find("://") {
        let authority_start = from + found + 3;
        let authority_len = text[authority_start..]
            .find(|c: char| matches!(c, '/' | '?' | '#') || c.is_whitespace())
            .unwrap_or(text.len() - authority_start);
        let authority = &text[authority_start..authority_start + authority_len];
        if let Some(at) = authority.rfind('@') {
            if let Some(colon) = authority[..at].find(':') {
                if colon + 1 < at {
                    spans.push((authority_start + colon + 1, authority_start + at));
                }
            }
        }
        from = authority_start + authority_len;
    }
    spans
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
    fn json_escaped_values_are_scrubbed() {
        // errors_as_json: DuckDB escapes '"' and '\\' of a value it quotes; a JSON message
        // inside ours is escaped once more when DuckDB wraps our error.
        for sensitive in [true, false] {
            let mut scrubber = Scrubber::new();
            scrubber.add(&CallValue::new(r#"prof"ile\XYZZY"#, sensitive));
            let once = r#"{"exception_message":"no profile 'prof\"ile\\XYZZY' found in config file"}"#;
            let out = scrubber.scrub(once, "w");
            assert_eq!(out, r#"{"exception_message":"no profile '***' found in config file"}"#);
            let twice = r#"{\"exception_message\":\"no profile 'prof\\\"ile\\\\xyzzy'\"}"#;
            let out = scrubber.scrub(twice, "w");
            assert!(!out.to_lowercase().contains("xyzzy"), "{out}");
        }
        let mut scrubber = Scrubber::new();
        scrubber.add("line1\nline2\t\u{1}end");
        let out = scrubber.scrub(r#"bad value 'line1\nline2\t\u0001end'"#, "w");
        assert_eq!(out, "bad value '***'");
    }

    #[test]
    fn every_quoting_and_url_form_is_scrubbed() {
        let mut scrubber = Scrubber::new();
        scrubber.add(r#"a'b"c d/e"#);
        for text in [r#"'a''b"c d/e'"#, r#""a'b""c d/e""#, "a%27b%22c%20d%2Fe", "a%27b%22c%20d/e", "a%27b%22c+d%2Fe"] {
            let out = scrubber.scrub(text, "w");
            assert!(out.contains("***") && !out.contains("b\"c") && !out.contains("%22c"), "{text} -> {out}");
        }
    }

    #[test]
    fn plain_values_are_scrubbed_as_whole_tokens_in_any_case() {
        let mut scrubber = Scrubber::new();
        scrubber.add(&CallValue::new("MyStorageXYZ", false));
        scrubber.add(&CallValue::new("analytics-db", false));
        assert_eq!(scrubber.scrub("Secret storage 'mystoragexyz' not found!", "w"), "Secret storage '***' not found!");
        assert_eq!(scrubber.scrub("host analytics-db.internal", "w"), "host ***.internal");
        assert_eq!(scrubber.scrub("xanalytics-dby", "w"), "xanalytics-dby");
    }

    #[test]
    fn short_plain_words_that_are_not_credentials_are_left_alone() {
        let mut scrubber = Scrubber::new();
        for word in ["config", "env;sso", "us", "22", "5432", "require"] {
            scrubber.add(&CallValue::new(word, false));
        }
        let text = "Invalid Configuration Error: no profile 'p' found in config file /root/.aws/config (env, sso)";
        assert_eq!(scrubber.scrub(text, "w"), text);
        assert_eq!(scrubber.scrub("port 22 us-east-1", "w"), "port 22 us-east-1");
        assert_eq!(scrubber.scrub("port 5432 or 54321", "w"), "port *** or 54321");
        assert_eq!(scrubber.scrub("chain 'env;sso' refused", "w"), "chain '***' refused");
        // A credential is removed wherever it occurs, whatever it looks like.
        scrubber.add("config");
        assert_eq!(scrubber.scrub("in config file", "w"), "in *** file");
    }

    #[test]
    fn a_credential_given_after_the_same_plain_value_wins() {
        let mut scrubber = Scrubber::new();
        scrubber.add(&CallValue::new("db-host-1", false));
        assert_eq!(scrubber.scrub("xdb-host-1y", "w"), "xdb-host-1y");
        scrubber.add(&CallValue::new("DB-HOST-1", true));
        assert_eq!(scrubber.scrub("xdb-host-1y", "w"), "x***y");
    }

    #[test]
    fn url_passwords_inside_plain_values_are_credentials() {
        let mut scrubber = Scrubber::new();
        scrubber.add(&CallValue::new("http://proxyuser:hunter2pw@proxy.example.com:3128", false));
        assert_eq!(scrubber.scrub("auth failed for hunter2pw", "w"), "auth failed for ***");
        assert_eq!(
            redact_url_passwords("http://u:p%40ss@h:1/x?q=a@b https://nopass@h2 ftp://a:b@c@d/"),
            "http://u:***@h:1/x?q=a@b https://nopass@h2 ftp://a:***@d/"
        );
        assert_eq!(url_passwords("postgresql://alice:pw@db/sales?application_name=etl@corp"), ["pw"]);
    }

    #[test]
    fn a_value_cut_at_the_end_of_a_text_is_removed() {
        let mut scrubber = Scrubber::new();
        scrubber.add("sekrit-value-123");
        assert_eq!(scrubber.without_partial_tail("error: got SEKRIT-va"), "error: got ");
        assert_eq!(scrubber.without_partial_tail("error: sekrit-value-123"), "error: sekrit-value-123");
        assert_eq!(scrubber.without_partial_tail("error: plain"), "error: plain");
        assert_eq!(suffix_prefix(b"xxabab", b"ababc"), 4);
        assert_eq!(suffix_prefix(b"aaa", b"aab"), 2);
    }

    #[test]
    fn multi_line_values_are_scrubbed_line_by_line() {
        let mut scrubber = Scrubber::new();
        scrubber.add("-----BEGIN KEY-----\nMIIBOgIBAAJBAKj34\n-----END KEY-----");
        let out = scrubber.scrub("bad line MIIBOgIBAAJBAKj34 here", "w");
        assert!(!out.contains("MIIBOgIBAAJBAKj34"), "{out}");
    }
}
