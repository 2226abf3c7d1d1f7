//! The block subset of YAML most secrets files are written in, read without yaml-rust2:
//! nested block mappings keyed by simple names, block lists of scalars, one-line scalars
//! (plain, single-quoted, or double-quoted without escapes), comments and blank lines.
//!
//! It yields the events yaml-rust2 yields for such a text, at the same positions, and gives up
//! at the first thing outside the subset — a flow collection, an anchor, alias or tag, a block
//! or multi-line scalar, an empty value, a list item holding a mapping, a tab, a carriage
//! return or any byte outside printable ASCII. `yaml::parse` then reads the whole text again
//! with yaml-rust2. Keeping the subset narrow is the point: every line accepted here is one
//! whose meaning is plain, and `yaml::tests` and the fuzz target check that both readers build
//! the same tree wherever this one succeeds.

use std::collections::VecDeque;

use yaml_rust2::parser::Event;
use yaml_rust2::scanner::TScalarStyle;

use super::diagnostics::Location;

/// The text leaves the subset: yaml-rust2 reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Leave;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Mapping,
    Sequence,
}

/// Bytes a plain or quoted scalar may not start with: YAML's indicators (quotes are read
/// apart). A value starting with one is a flow collection, a tag, an anchor, a block scalar…
const INDICATORS: &[u8] = b"-?:,[]{}#&*!|>%@`";

pub struct Events<'a> {
    text: &'a str,
    /// Where the next line starts, in bytes.
    next_line: usize,
    line_number: usize,
    /// Open collections, innermost last: their kind and the column their entries start at
    /// (0-based).
    open: Vec<(Kind, usize)>,
    /// The last key had no value on its line: its value is the block below it.
    awaiting_block: bool,
    queue: VecDeque<(Event, Location)>,
    started: bool,
    ended: bool,
}

impl<'a> Events<'a> {
    pub fn new(text: &'a str) -> Self {
        Events {
            text,
            next_line: 0,
            line_number: 0,
            open: Vec::new(),
            awaiting_block: false,
            queue: VecDeque::new(),
            started: false,
            ended: false,
        }
    }

    /// The next event and where it stands, as yaml-rust2 would give them.
    pub fn next_event(&mut self) -> Result<(Event, Location), Leave> {
        loop {
            if let Some(event) = self.queue.pop_front() {
                return Ok(event);
            }
            if self.ended {
                return Ok((Event::StreamEnd, self.here(1)));
            }
            if !self.started {
                // Tabs, carriage returns, control characters and anything non-ASCII (columns
                // count characters) are yaml-rust2's to read.
                // No early exit: the compiler vectorizes the whole pass.
                let outside =
                    self.text.bytes().fold(false, |outside, b| outside | ((b < b' ') & (b != b'\n')) | (b > b'~'));
                if outside {
                    return Err(Leave);
                }
                self.started = true;
                self.queue.push_back((Event::StreamStart, self.here(1)));
                self.queue.push_back((Event::DocumentStart, self.here(1)));
                continue;
            }
            if self.next_line >= self.text.len() {
                self.finish()?;
                continue;
            }
            let rest = &self.text[self.next_line..];
            let line = rest.split('\n').next().unwrap_or_default();
            self.next_line += line.len() + 1;
            self.line_number += 1;
            self.read_line(line)?;
        }
    }

    fn here(&self, column: usize) -> Location {
        Location { line: self.line_number.max(1), column }
    }

    fn finish(&mut self) -> Result<(), Leave> {
        // An empty document or a key left without a value: yaml-rust2 says what they mean.
        if self.open.is_empty() || self.awaiting_block {
            return Err(Leave);
        }
        while let Some((kind, _)) = self.open.pop() {
            self.queue.push_back((end_of(kind), self.here(1)));
        }
        self.queue.push_back((Event::DocumentEnd, self.here(1)));
        self.ended = true;
        Ok(())
    }

    fn read_line(&mut self, line: &str) -> Result<(), Leave> {
        let indent = line.bytes().position(|b| b != b' ').unwrap_or(line.len());
        let content = &line[indent..];
        if content.is_empty() || content.starts_with('#') {
            return Ok(());
        }
        let opens = if self.awaiting_block {
            // The block of the key above starts here, deeper than that key.
            let parent = self.open.last().map_or(0, |&(_, column)| column);
            if indent <= parent {
                return Err(Leave);
            }
            self.awaiting_block = false;
            true
        } else if self.open.is_empty() {
            // The first line with content: the root, a mapping from the first column (the
            // root is never closed before the end: its column is the least there is).
            if indent != 0 {
                return Err(Leave);
            }
            true
        } else {
            while let Some(&(kind, column)) = self.open.last() {
                if column <= indent {
                    break;
                }
                self.open.pop();
                self.queue.push_back((end_of(kind), self.here(indent + 1)));
            }
            // Deeper than the open entries: a continuation line, which the subset leaves out.
            if self.open.last().map(|&(_, column)| column) != Some(indent) {
                return Err(Leave);
            }
            false
        };
        let kind = if content == "-" || content.starts_with("- ") { Kind::Sequence } else { Kind::Mapping };
        if opens {
            self.open.push((kind, indent));
        } else if self.open.last().map(|&(k, _)| k) != Some(kind) {
            return Err(Leave);
        }
        match kind {
            Kind::Sequence => self.read_item(content, indent, opens),
            Kind::Mapping => self.read_entry(content, indent, opens),
        }
    }

    /// `- value`: a list item holding one scalar.
    fn read_item(&mut self, content: &str, indent: usize, opens: bool) -> Result<(), Leave> {
        if opens {
            self.queue.push_back((Event::SequenceStart(0, None), self.here(indent + 1)));
        }
        let after_dash = &content[1..];
        let spaces = after_dash.bytes().take_while(|&b| b == b' ').count();
        let value = &after_dash[spaces..];
        // An empty item, or one holding a mapping or another list, is yaml-rust2's.
        if value.is_empty() || value.starts_with('#') {
            return Err(Leave);
        }
        let column = indent + 1 + spaces;
        // A plain `k: v` here would be a mapping: `scalar` refuses it.
        let (text, style) = scalar(value)?;
        self.queue.push_back((Event::Scalar(text, style, 0, None), self.here(column + 1)));
        Ok(())
    }

    /// `key: value`, or `key:` with the value's block on the lines below.
    fn read_entry(&mut self, content: &str, indent: usize, opens: bool) -> Result<(), Leave> {
        let key_length = content.bytes().take_while(|&b| is_key_byte(b)).count();
        let key = &content[..key_length];
        if !key.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(Leave);
        }
        let after_key = &content[key_length..];
        let Some(after_colon) = after_key.strip_prefix(':') else { return Err(Leave) };
        if !(after_colon.is_empty() || after_colon.starts_with(' ')) {
            return Err(Leave);
        }
        let colon = indent + key_length;
        if opens {
            // yaml-rust2 marks a block mapping where its first key's `:` stands.
            self.queue.push_back((Event::MappingStart(0, None), self.here(colon + 1)));
        }
        self.queue.push_back((Event::Scalar(key.to_string(), TScalarStyle::Plain, 0, None), self.here(indent + 1)));
        let spaces = after_colon.bytes().take_while(|&b| b == b' ').count();
        let value = &after_colon[spaces..];
        if value.is_empty() || value.starts_with('#') {
            self.awaiting_block = true;
            return Ok(());
        }
        let (text, style) = scalar(value)?;
        self.queue.push_back((Event::Scalar(text, style, 0, None), self.here(colon + 2 + spaces)));
        Ok(())
    }
}

fn end_of(kind: Kind) -> Event {
    match kind {
        Kind::Mapping => Event::MappingEnd,
        Kind::Sequence => Event::SequenceEnd,
    }
}

/// Letters, digits and `_ . - /`: the names secrets, fields and options have.
fn is_key_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-' | b'/')
}

/// One scalar that fills the rest of its line, with at most a comment after it.
fn scalar(value: &str) -> Result<(String, TScalarStyle), Leave> {
    let bytes = value.as_bytes();
    match bytes.first() {
        Some(b'\'') => {
            // Runs up to each quote; a doubled quote stands for one.
            let mut text = String::new();
            let mut i = 1;
            loop {
                let quote = i + value[i..].find('\'').ok_or(Leave)?;
                text.push_str(&value[i..quote]);
                if bytes.get(quote + 1) != Some(&b'\'') {
                    i = quote;
                    break;
                }
                text.push('\'');
                i = quote + 2;
            }
            only_comment_after(&value[i + 1..])?;
            Ok((text, TScalarStyle::SingleQuoted))
        }
        Some(b'"') => {
            let close = value[1..].find('"').ok_or(Leave)? + 1;
            let text = &value[1..close];
            if text.contains('\\') {
                return Err(Leave);
            }
            only_comment_after(&value[close + 1..])?;
            Ok((text.to_string(), TScalarStyle::DoubleQuoted))
        }
        Some(b) if INDICATORS.contains(b) => Err(Leave),
        Some(_) => {
            // One pass: a comment starts at ` #`; before it, `: ` or a final `:` would make
            // the text a mapping key.
            let mut end = bytes.len();
            for (i, &b) in bytes.iter().enumerate() {
                match b {
                    b'#' if i > 0 && bytes[i - 1] == b' ' => {
                        end = i;
                        break;
                    }
                    b':' if bytes.get(i + 1).is_none_or(|&next| next == b' ') => return Err(Leave),
                    _ => {}
                }
            }
            Ok((value[..end].trim_end_matches(' ').to_string(), TScalarStyle::Plain))
        }
        None => Err(Leave),
    }
}

/// After a quoted scalar: spaces, then the end of the line or a comment.
fn only_comment_after(rest: &str) -> Result<(), Leave> {
    let spaces = rest.bytes().take_while(|&b| b == b' ').count();
    match &rest[spaces..] {
        "" => Ok(()),
        comment if spaces > 0 && comment.starts_with('#') => Ok(()),
        _ => Err(Leave),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::core::yaml::{parse_block, parse_general};

    /// Where the block reader reads a text, yaml-rust2 must build the very same tree.
    fn agrees(text: &str) -> bool {
        match parse_block(text) {
            Some(fast) => {
                assert_eq!(Ok(fast), parse_general(text), "the readers disagree on:\n{text}");
                true
            }
            None => false,
        }
    }

    #[test]
    fn reads_the_usual_secrets_file_as_yaml_rust2_does() {
        let text = "version: 1\n# comment\noptions:\n  allow_commands: false\nsecrets:\n  pg_main:   # c\n    \
                    type: postgres\n    host: db.internal\n    password: ${PGPASSWORD}\n\n    port: '5432'\n  \
                    s3:\n    type: s3\n    key_id: \"${AWS_KEY}\"\n    secret: 'it''s # not a comment'\n    \
                    scope:\n      - s3://a/b#c\n      - \"s3://d\"   # c\n    region: eu-west-1  \n";
        assert!(agrees(text), "read by the block reader");
        for text in ["a: 1", "a: 1\n", "x:\n  - a\n  - b\ny: z\n", "k: v:w\n", "k: a #b\n", "k: ''\n", "- a\n- b\n"] {
            assert!(agrees(text), "read by the block reader: {text:?}");
        }
    }

    #[test]
    fn leaves_everything_else_to_yaml_rust2() {
        for text in [
            "",
            "# only a comment\n",
            "a:\n",
            "a:\nb: 1\n",
            "a: {b: 1}\n",
            "a: [1]\n",
            "a: &x 1\nb: *x\n",
            "a: !!str 1\n",
            "a: |\n  text\n",
            "a: b\n  continued\n",
            "a: b: c\n",
            "a: \"x\\ty\"\n",
            "a: 'open\n  more'\n",
            "a: 'x' y\n",
            "a:\tb\n",
            "a: b\r\n",
            "a: é\n",
            "a : b\n",
            "a:b\n",
            "---\na: 1\n",
            "a: 1\n...\n",
            "%YAML 1.2\n---\na: 1\n",
            "<<: *x\n",
            "x:\n- a\n",
            "x:\n  - k: v\n",
            "x:\n  -\n",
            "x:\n  - - a\n",
            "  a: 1\n",
            "a: 1\n b: 2\n",
            "? a\n: b\n",
            "a: -1\n",
            "\"a\": 1\n",
        ] {
            assert!(!agrees(text), "left to yaml-rust2: {text:?}");
        }
    }

    #[test]
    fn duplicate_keys_and_limits_are_still_refused() {
        assert_eq!(parse_block("a: 1\na: 2\n"), None);
        assert!(crate::core::yaml::parse("a: 1\na: 2\n").unwrap_err().message.starts_with("duplicate key 'a'"));
    }

    /// A small deterministic generator (xorshift): the same texts on every run.
    struct Random(u64);

    impl Random {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % n as u64) as usize
        }
    }

    /// Every YAML file of the repository, and thousands of edits of them (a character
    /// inserted, removed or doubled, a line indented, dropped or repeated): wherever the block
    /// reader reads one, yaml-rust2 builds the same tree.
    #[test]
    fn agrees_with_yaml_rust2_on_the_repository_files_and_their_edits() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        for dir in ["examples", "fuzz/seeds", "test", "docs"] {
            collect_yaml(&root.join(dir), &mut files);
        }
        assert!(files.len() > 20, "found {} YAML files", files.len());
        let pieces = [
            " ", "  ", "-", "- ", ":", ": ", "#", " #", "'", "\"", "\\", "\n", "\n  ", "a", "{", "&", "*", "!", "|",
            "~",
        ];
        let mut random = Random(0x9e37_79b9_7f4a_7c15);
        let (mut read, mut edits) = (0, 0);
        for file in &files {
            let Ok(text) = std::fs::read_to_string(file) else { continue };
            read += usize::from(agrees(&text));
            for _ in 0..300 {
                let mut edited: Vec<String> = text.lines().map(str::to_string).collect();
                if edited.is_empty() {
                    break;
                }
                for _ in 0..1 + random.below(3) {
                    let line = random.below(edited.len());
                    let at = random.below(edited[line].len() + 1);
                    let at = (0..=at).rev().find(|&i| edited[line].is_char_boundary(i)).unwrap_or(0);
                    match random.below(6) {
                        0 => edited[line].insert_str(at, pieces[random.below(pieces.len())]),
                        1 if at < edited[line].len() => {
                            edited[line].remove(at);
                        }
                        2 => edited[line].insert_str(0, "  "),
                        3 => edited[line] = edited[line].trim_start_matches(' ').to_string(),
                        4 if edited.len() > 1 => {
                            edited.remove(line);
                        }
                        _ => {
                            let copy = edited[line].clone();
                            edited.insert(line, copy);
                        }
                    }
                }
                edits += usize::from(agrees(&(edited.join("\n") + "\n")));
            }
        }
        // The comparison means something only if the block reader reads many of them.
        eprintln!("read {read} of {} files and {edits} edits", files.len());
        assert!(read >= 10 && edits >= 1000, "read {read} files and {edits} edits");
    }

    fn collect_yaml(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                collect_yaml(&path, out);
            } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                out.push(path);
            }
        }
    }
}
