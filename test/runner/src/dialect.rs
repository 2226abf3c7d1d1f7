//! Reads DuckDB's sqllogictest dialect the way DuckDB's own runner does
//! (test/sqlite/sqllogic_parser.cpp and sqllogic_test_runner.cpp in DuckDB's repository)
//! and turns it into a small program: statement/query records, which are later handed to the
//! `sqllogictest` crate one at a time (see `RecordSrc::to_crate_text`), and DuckDB's own
//! directives (`require`, `load`, `restart`, `loop`, ...), which the harness runs itself.
//!
//! Differences from the crate's dialect that this absorbs:
//! - a record ends at an empty line *or a comment line* (the crate only stops at empty lines);
//! - `statement error` + `----` + message means "the error message CONTAINS this text" (the
//!   crate reads it as an exact multi-line message ending with two blank lines);
//! - `require`, `require-env`, `mode skip`, `loop`/`foreach`, `load`/`restart`/`reconnect`,
//!   `skipif duckdb`/`onlyif duckdb`, `hash-threshold`, `sleep`.

use std::collections::BTreeMap;
use std::time::Duration;

/// What a statement record expects.
#[derive(Debug, Clone)]
pub enum StatementExpect {
    Ok,
    /// `statement error`, with the text under `----` if any (lines joined by `\n`).
    Error(Option<String>),
}

#[derive(Debug, Clone)]
pub enum RecordKind {
    Statement(StatementExpect),
    Query {
        /// The `query` type string (T, I, R), one character per expected column.
        types: String,
        /// Sort mode as the crate spells it: `nosort`, `rowsort`, `valuesort`.
        sort: &'static str,
        /// Expected result lines under `----`.
        results: Vec<String>,
    },
}

/// One statement or query record of the file.
#[derive(Debug, Clone)]
pub struct RecordSrc {
    /// 1-based line of the `statement`/`query` header in the original file.
    pub line: usize,
    pub kind: RecordKind,
    pub sql: String,
    /// Named connection (`statement ok con1`, `query I con1`).
    pub connection: Option<String>,
}

#[derive(Debug, Clone)]
pub enum Item {
    Record(RecordSrc),
    /// `require NAME`: load an extension (checked at run time).
    Require {
        line: usize,
        name: String,
    },
    /// `load [path] [readonly]`: (re)open the database on that file.
    Load {
        line: usize,
        path: Option<String>,
        readonly: bool,
    },
    Restart {
        line: usize,
    },
    Reconnect,
    Sleep(Duration),
    HashThreshold(usize),
    /// `loop` / `foreach` (and their `concurrent` forms, run sequentially here).
    Loop {
        var: String,
        values: Vec<String>,
        body: Vec<Item>,
    },
}

/// The outcome of reading a file.
pub enum Program {
    Run {
        items: Vec<Item>,
        records: usize,
    },
    /// DuckDB's runner would skip the file (`require windows`, `require-env` not set, ...).
    Skip(String),
}

/// A problem in the test file itself, at a line.
#[derive(Debug)]
pub struct ParseError {
    pub line: usize,
    pub msg: String,
}

type PResult<T> = Result<T, ParseError>;

/// Keyword replacement done when a record is read, as DuckDB's `ReplaceKeywords`.
pub struct Keywords {
    pub test_dir: String,
    pub working_dir: String,
    /// `${NAME}` variables declared by `require-env`.
    pub env: BTreeMap<String, String>,
}

impl Keywords {
    pub fn replace(&self, input: &str) -> String {
        let mut s = input.to_string();
        for (k, v) in &self.env {
            s = s.replace(&format!("${{{k}}}"), v);
        }
        s.replace("__TEST_DIR__", &self.test_dir).replace("__WORKING_DIRECTORY__", &self.working_dir)
    }
}

struct Parser {
    lines: Vec<String>,
    cur: usize,
    seen_statement: bool,
}

fn empty_or_comment(line: &str) -> bool {
    line.is_empty() || line.starts_with('#')
}

impl Parser {
    fn fail<T>(&self, msg: impl Into<String>) -> PResult<T> {
        Err(ParseError { line: self.cur + 1, msg: msg.into() })
    }

    fn next_statement(&mut self) -> bool {
        if self.seen_statement {
            while self.cur < self.lines.len() && !empty_or_comment(&self.lines[self.cur]) {
                self.cur += 1;
            }
        }
        self.seen_statement = true;
        while self.cur < self.lines.len() && empty_or_comment(&self.lines[self.cur]) {
            self.cur += 1;
        }
        self.cur < self.lines.len()
    }

    fn next_line_empty_or_comment(&self) -> bool {
        self.cur + 1 >= self.lines.len() || empty_or_comment(&self.lines[self.cur + 1])
    }

    fn tokenize(&self) -> Vec<String> {
        self.lines.get(self.cur).map(|l| l.split_ascii_whitespace().map(str::to_string).collect()).unwrap_or_default()
    }

    fn extract_statement(&mut self) -> String {
        let mut out: Vec<&str> = Vec::new();
        while self.cur < self.lines.len() && !empty_or_comment(&self.lines[self.cur]) {
            if self.lines[self.cur] == "----" {
                break;
            }
            out.push(&self.lines[self.cur]);
            self.cur += 1;
        }
        out.join("\n")
    }

    fn extract_expected_result(&mut self) -> Vec<String> {
        if self.cur < self.lines.len() && self.lines[self.cur] == "----" {
            self.cur += 1;
        }
        let mut out = Vec::new();
        while self.cur < self.lines.len() && !self.lines[self.cur].is_empty() {
            out.push(self.lines[self.cur].clone());
            self.cur += 1;
        }
        out
    }

    fn extract_expected_error(&mut self, expect_ok: bool) -> PResult<Option<String>> {
        if self.cur >= self.lines.len() || self.lines[self.cur] != "----" {
            return Ok(None);
        }
        if expect_ok {
            return self.fail("only statement error can have an expected error message, not statement ok");
        }
        self.cur += 1;
        let mut out = Vec::new();
        while self.cur < self.lines.len() && !self.lines[self.cur].is_empty() {
            out.push(self.lines[self.cur].clone());
            self.cur += 1;
        }
        Ok(Some(out.join("\n")))
    }
}

fn is_single_line(cmd: &str) -> bool {
    matches!(
        cmd,
        "hash-threshold"
            | "halt"
            | "mode"
            | "set"
            | "loop"
            | "foreach"
            | "concurrentloop"
            | "concurrentforeach"
            | "endloop"
            | "require"
            | "require-env"
            | "load"
            | "restart"
            | "reconnect"
    )
}

/// DuckDB's `foreach` shorthands (`<integral>`, `<numeric>`, ...).
fn foreach_tokens(param: &str) -> Option<Vec<String>> {
    let t = param.trim().to_lowercase();
    let all = t == "<alltypes>";
    let numeric = all || t == "<numeric>";
    let integral = numeric || t == "<integral>";
    let signed = integral || t == "<signed>";
    let unsigned = integral || t == "<unsigned>";
    let compression = t == "<compression>";
    let mut out: Vec<&str> = Vec::new();
    if signed {
        out.extend(["tinyint", "smallint", "integer", "bigint", "hugeint"]);
    }
    if unsigned {
        out.extend(["utinyint", "usmallint", "uinteger", "ubigint", "uhugeint"]);
    }
    if numeric {
        out.extend(["float", "double"]);
    }
    if all {
        out.extend(["bool", "interval", "varchar"]);
    }
    if compression {
        out.extend(["none", "uncompressed", "rle", "bitpacking", "dictionary", "fsst", "alp", "alprd"]);
    }
    if out.is_empty() {
        None
    } else {
        Some(out.into_iter().map(str::to_string).collect())
    }
}

/// `require` arguments that are conditions on the build, not extensions: Some(present).
fn builtin_require(params: &[String]) -> Option<bool> {
    let p = params[0].to_lowercase();
    let arg = params.get(1).and_then(|v| v.parse::<u64>().ok());
    Some(match p.as_str() {
        "notmingw"
        | "notwindows"
        | "64bit"
        | "longdouble"
        | "noforcestorage"
        | "nothreadsan"
        | "strinline"
        | "skip_reload"
        | "noalternativeverify"
        | "no_vector_verification"
        | "no_extension_autoloading" => true,
        "mingw" | "windows" => false,
        "vector_size" => arg.is_some_and(|n| n <= 2048),
        "exact_vector_size" => arg == Some(2048),
        "block_size" => arg == Some(262144),
        _ => return None,
    })
}

/// Reads a whole file. `kw` gets the `require-env` variables as they are declared.
pub fn parse(text: &str, kw: &mut Keywords) -> PResult<Program> {
    let mut p = Parser { lines: text.lines().map(|l| l.replace('\r', "")).collect(), cur: 0, seen_statement: false };
    // Stack of open loops: (line, var, values, body); the bottom entry is the file itself.
    let mut stack: Vec<(usize, String, Vec<String>, Vec<Item>)> = vec![(0, String::new(), Vec::new(), Vec::new())];
    let mut skip_level: i64 = 0;
    let mut records = 0usize;

    while p.next_statement() {
        let mut tokens = p.tokenize();
        if tokens.is_empty() {
            return p.fail("empty line");
        }
        if is_single_line(&tokens[0]) && !p.next_line_empty_or_comment() {
            return p.fail("all test statements need to be separated by an empty line");
        }
        let mut skip_statement = false;
        while tokens[0] == "skipif" || tokens[0] == "onlyif" {
            let skip_if = tokens[0] == "skipif";
            let Some(system) = tokens.get(1) else {
                return p.fail("skipif/onlyif requires a single parameter (e.g. skipif duckdb)");
            };
            let ours = system.to_lowercase() == "duckdb";
            if ours == skip_if {
                skip_statement = true;
                break;
            }
            p.cur += 1;
            tokens = p.tokenize();
            if tokens.is_empty() {
                return p.fail("skipif/onlyif must be followed by a statement or query");
            }
        }
        if skip_statement {
            continue;
        }
        let cmd = tokens[0].as_str();
        let params = &tokens[1..];
        if skip_level > 0 && cmd != "mode" {
            continue;
        }
        let line = p.cur + 1;
        macro_rules! push {
            ($item:expr) => {
                stack.last_mut().expect("file level").3.push($item)
            };
        }
        match cmd {
            "statement" => {
                let expect_ok = match params.first().map(String::as_str) {
                    Some("ok") => true,
                    Some("error") => false,
                    Some("maybe") => return p.fail("`statement maybe` is not supported by this harness"),
                    _ => return p.fail("statement argument should be 'ok' or 'error'"),
                };
                p.cur += 1;
                let sql = p.extract_statement();
                if sql.is_empty() {
                    return p.fail("unexpected empty statement text");
                }
                let err = p.extract_expected_error(expect_ok)?;
                if let Some(e) = &err {
                    if e.starts_with("<!REGEX>:") {
                        return Err(ParseError {
                            line,
                            msg: "`<!REGEX>:` error expectations are not supported by this harness".into(),
                        });
                    }
                }
                records += 1;
                push!(Item::Record(RecordSrc {
                    line,
                    kind: RecordKind::Statement(if expect_ok {
                        StatementExpect::Ok
                    } else {
                        StatementExpect::Error(err.map(|e| kw.replace(&e)))
                    }),
                    sql: kw.replace(&sql),
                    connection: params.get(1).cloned(),
                }));
            }
            "query" => {
                let Some(types) = params.first() else {
                    return p.fail("query requires at least one parameter (query III)");
                };
                if let Some(c) = types.chars().find(|c| !matches!(c, 'T' | 'I' | 'R')) {
                    return p.fail(format!("unknown type character '{c}' in string, expected T, I or R only"));
                }
                let mut connection = None;
                let sort = match params.get(1).map(String::as_str) {
                    None | Some("nosort") => "nosort",
                    Some("rowsort") | Some("sort") => "rowsort",
                    Some("valuesort") => "valuesort",
                    Some(other) => {
                        connection = Some(other.to_string());
                        "nosort"
                    }
                };
                if params.len() > 2 {
                    return p.fail("query labels (hash comparison between queries) are not supported by this harness");
                }
                p.cur += 1;
                let sql = p.extract_statement();
                let results = p.extract_expected_result().iter().map(|r| kw.replace(r)).collect();
                records += 1;
                push!(Item::Record(RecordSrc {
                    line,
                    kind: RecordKind::Query { types: types.clone(), sort, results },
                    sql: kw.replace(&sql),
                    connection,
                }));
            }
            "hash-threshold" => {
                let Some(n) = params.first().and_then(|n| n.parse::<usize>().ok()) else {
                    return p.fail("hash-threshold must be a number");
                };
                push!(Item::HashThreshold(n));
            }
            "halt" => break,
            "mode" => {
                if params.len() != 1 {
                    return p.fail("mode requires one parameter");
                }
                match params[0].as_str() {
                    "skip" => skip_level += 1,
                    "unskip" => skip_level -= 1,
                    _ => {} // output_result, output_hash, debug, ...: presentation only
                }
            }
            "set" => {
                return p.fail(format!(
                    "`set {}` is not supported by this harness",
                    params.first().map(String::as_str).unwrap_or("")
                ))
            }
            "loop" | "concurrentloop" => {
                if params.len() != 3 {
                    return p.fail("Expected loop [iterator_name] [start] [end] (e.g. loop i 1 300)");
                }
                let (Ok(start), Ok(end)) = (params[1].parse::<i64>(), params[2].parse::<i64>()) else {
                    return p.fail("loop_start and loop_end must be a number");
                };
                let values = (start..end).map(|i| i.to_string()).collect();
                stack.push((line, params[0].clone(), values, Vec::new()));
            }
            "foreach" | "concurrentforeach" => {
                if params.len() < 2 {
                    return p.fail("expected foreach [iterator_name] [m1] [m2] [etc...]");
                }
                let mut values = Vec::new();
                for t in &params[1..] {
                    match foreach_tokens(t) {
                        Some(v) => values.extend(v),
                        None => values.push(t.clone()),
                    }
                }
                stack.push((line, params[0].clone(), values, Vec::new()));
            }
            "endloop" => {
                if stack.len() < 2 {
                    return p.fail("endloop without active loop!");
                }
                let (_, var, values, body) = stack.pop().expect("checked");
                push!(Item::Loop { var, values, body });
            }
            "require" => {
                let Some(name) = params.first() else {
                    return p.fail("require requires a single parameter");
                };
                match builtin_require(params) {
                    Some(true) => {}
                    Some(false) => return Ok(Program::Skip(format!("require {}", params.join(" ")))),
                    None => push!(Item::Require { line, name: name.to_lowercase() }),
                }
            }
            "require-env" => {
                if stack.len() > 1 {
                    return p.fail("require-env cannot be called in a loop");
                }
                if params.is_empty() || params.len() > 2 {
                    return p.fail("require-env requires 1 argument: <env name> [optional: <expected env val>]");
                }
                let Ok(actual) = std::env::var(&params[0]) else {
                    return Ok(Program::Skip(format!("require-env {}", params[0])));
                };
                if let Some(want) = params.get(1) {
                    if &actual != want {
                        return Ok(Program::Skip(format!("require-env {} {}", params[0], want)));
                    }
                }
                if kw.env.contains_key(&params[0]) {
                    return p.fail(format!("Environment variable '{}' has already been defined", params[0]));
                }
                kw.env.insert(params[0].clone(), actual);
            }
            "load" => {
                if stack.len() > 1 {
                    return p.fail("load cannot be called in a loop");
                }
                let readonly = params.get(1).is_some_and(|r| r == "readonly");
                let path = params.first().map(|s| kw.replace(s));
                push!(Item::Load { line, path, readonly });
            }
            "restart" => push!(Item::Restart { line }),
            "reconnect" => push!(Item::Reconnect),
            "sleep" => {
                let (Some(n), Some(unit)) = (params.first().and_then(|n| n.parse::<u64>().ok()), params.get(1)) else {
                    return p.fail("sleep requires two parameters (e.g. sleep 1 second)");
                };
                let duration = match unit.as_str() {
                    "second" | "seconds" | "sec" => Duration::from_secs(n),
                    "millisecond" | "milliseconds" | "milli" => Duration::from_millis(n),
                    "microsecond" | "microseconds" | "micro" => Duration::from_micros(n),
                    "nanosecond" | "nanoseconds" | "nano" => Duration::from_nanos(n),
                    _ => return p.fail(format!("unrecognized sleep unit '{unit}'")),
                };
                push!(Item::Sleep(duration));
            }
            other => return p.fail(format!("Unrecognized parameter {other}")),
        }
    }
    if stack.len() > 1 {
        return Err(ParseError { line: stack.last().expect("loop").0, msg: "Missing endloop!".into() });
    }
    let items = stack.pop().expect("file level").3;
    Ok(Program::Run { items, records })
}

/// Replaces `${var}` loop iterators (a `foreach a,b x,y` iterator names several).
pub fn loop_replace(text: &str, loops: &[(String, String)]) -> String {
    let mut s = text.to_string();
    for (var, value) in loops {
        if var.contains(',') {
            for (n, v) in var.split(',').zip(value.split(',')) {
                s = s.replace(&format!("${{{n}}}"), v);
            }
        } else {
            s = s.replace(&format!("${{{var}}}"), value);
        }
    }
    s
}

/// A regex (for the crate's inline `statement error <regex>`) that matches an error message
/// the way DuckDB checks it: the message CONTAINS the expected text, or, for `<REGEX>:`, the
/// whole message matches. The crate splits the header on whitespace and re-joins it with
/// single spaces, so the regex must contain no whitespace at all: write it as escapes.
pub fn error_regex(expected: &str) -> String {
    let re = match expected.strip_prefix("<REGEX>:") {
        Some(user) => format!("(?s)^(?:{user})$"),
        None => regex::escape(expected),
    };
    let mut out = String::with_capacity(re.len());
    for c in re.chars() {
        match c {
            ' ' => out.push_str("\\x20"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c.is_whitespace() => out.push_str(&format!("\\x{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

impl RecordSrc {
    /// The record in the crate's dialect, padded with empty lines so that the header sits on
    /// its original line number (the crate reports `file:line` from this text).
    pub fn to_crate_text(&self, loops: &[(String, String)]) -> String {
        let mut out = String::new();
        let mut pad = self.line - 1;
        if let Some(c) = &self.connection {
            pad = pad.saturating_sub(1);
            out.push_str(&"\n".repeat(pad));
            out.push_str(&format!("connection {c}\n"));
        } else {
            out.push_str(&"\n".repeat(pad));
        }
        let sql = loop_replace(&self.sql, loops);
        match &self.kind {
            RecordKind::Statement(StatementExpect::Ok) => {
                out.push_str("statement ok\n");
                out.push_str(&sql);
                out.push('\n');
            }
            RecordKind::Statement(StatementExpect::Error(expected)) => {
                out.push_str("statement error");
                if let Some(e) = expected {
                    out.push(' ');
                    out.push_str(&error_regex(&loop_replace(e, loops)));
                }
                out.push('\n');
                out.push_str(&sql);
                out.push('\n');
            }
            RecordKind::Query { types, sort, results } => {
                out.push_str(&format!("query {types} {sort}\n"));
                out.push_str(&sql);
                out.push_str("\n----\n");
                for r in results {
                    out.push_str(&loop_replace(r, loops));
                    out.push('\n');
                }
            }
        }
        out
    }

    pub fn sql_with(&self, loops: &[(String, String)]) -> String {
        loop_replace(&self.sql, loops)
    }
}
