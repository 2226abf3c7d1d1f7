//! Result comparison as DuckDB's runner does it (`TestResultHelper::CheckQueryResult` and
//! `CompareValues` in DuckDB's test/sqlite/result_helper.cpp), plugged into the crate as its
//! validator: expected rows are tab-separated (or one value per line), numbers compare by
//! value (floats within 1%), booleans accept true/false/1/0, `<REGEX>:` full-matches, and a
//! single `N values hashing to MD5` line compares an MD5 of the values.

use std::cell::{Cell, RefCell};

use libduckdb_sys as ffi;
use md5::{Digest, Md5};
use sqllogictest::{DefaultColumnType, Normalizer};

use crate::db::LAST_TYPES;

thread_local! {
    /// What differed, for the failure report.
    pub static MISMATCH: RefCell<Option<String>> = const { RefCell::new(None) };
    /// `hash-threshold N`: results with more than N values compare as a hash.
    pub static HASH_THRESHOLD: Cell<usize> = const { Cell::new(0) };
}

/// The crate's column check: the `query` type string must have one character per column
/// (DuckDB's runner fails a column count mismatch even when the values match).
#[allow(clippy::ptr_arg)]
pub fn columns(actual: &Vec<DefaultColumnType>, expected: &Vec<DefaultColumnType>) -> bool {
    actual.len() == expected.len()
}

pub fn validate(_: Normalizer, actual: &[Vec<String>], expected: &[String]) -> bool {
    let types = LAST_TYPES.with(|t| t.borrow().clone());
    // With valuesort the crate hands over one value per row: flatten, DuckDB works on the
    // flat list of values anyway.
    let values: Vec<&str> = actual.iter().flatten().map(String::as_str).collect();
    match check(&types, &values, expected) {
        Ok(()) => true,
        Err(msg) => {
            let ncols = types.len().max(1);
            let rows: Vec<String> = values.chunks(ncols).map(|r| r.join("\t")).collect();
            let report = format!(
                "{msg}\n[Expected] ({} lines)\n{}\n[Actual] ({} rows; columns separated by tabs)\n{}",
                expected.len(),
                expected.join("\n"),
                rows.len(),
                rows.join("\n")
            );
            MISMATCH.with(|m| *m.borrow_mut() = Some(report));
            false
        }
    }
}

fn is_hash(s: &str) -> bool {
    let Some((n, rest)) = s.split_once(" values hashing to ") else {
        return false;
    };
    !n.is_empty()
        && n.bytes().all(|b| b.is_ascii_digit())
        && rest.len() == 32
        && rest.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
}

fn is_numeric(t: ffi::duckdb_type) -> bool {
    use ffi::*;
    matches!(
        t,
        DUCKDB_TYPE_DUCKDB_TYPE_TINYINT
            | DUCKDB_TYPE_DUCKDB_TYPE_SMALLINT
            | DUCKDB_TYPE_DUCKDB_TYPE_INTEGER
            | DUCKDB_TYPE_DUCKDB_TYPE_BIGINT
            | DUCKDB_TYPE_DUCKDB_TYPE_HUGEINT
            | DUCKDB_TYPE_DUCKDB_TYPE_UTINYINT
            | DUCKDB_TYPE_DUCKDB_TYPE_USMALLINT
            | DUCKDB_TYPE_DUCKDB_TYPE_UINTEGER
            | DUCKDB_TYPE_DUCKDB_TYPE_UBIGINT
            | DUCKDB_TYPE_DUCKDB_TYPE_UHUGEINT
            | DUCKDB_TYPE_DUCKDB_TYPE_FLOAT
            | DUCKDB_TYPE_DUCKDB_TYPE_DOUBLE
            | DUCKDB_TYPE_DUCKDB_TYPE_DECIMAL
    )
}

fn is_float(t: ffi::duckdb_type) -> bool {
    t == ffi::DUCKDB_TYPE_DUCKDB_TYPE_FLOAT || t == ffi::DUCKDB_TYPE_DUCKDB_TYPE_DOUBLE
}

fn bool_value(s: &str) -> Option<bool> {
    match s.to_lowercase().as_str() {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    }
}

/// DuckDB's `StringUtil::Split`: drops empty pieces, and keeps the input if all are empty.
fn split_tabs(line: &str) -> Vec<&str> {
    let parts: Vec<&str> = line.split('\t').filter(|p| !p.is_empty()).collect();
    if parts.is_empty() {
        vec![line]
    } else {
        parts
    }
}

fn regex_full_match(actual: &str, expected: &str) -> Option<bool> {
    let (want, re) = if let Some(r) = expected.strip_prefix("<REGEX>:") {
        (true, r)
    } else if let Some(r) = expected.strip_prefix("<!REGEX>:") {
        (false, r)
    } else {
        return None;
    };
    let re = regex::Regex::new(&format!("(?s)^(?:{re})$")).ok()?;
    Some(re.is_match(actual) == want)
}

/// One value, as `CompareValues` does.
pub fn value_equal(actual: &str, expected: &str, t: ffi::duckdb_type) -> bool {
    if actual == expected {
        return true;
    }
    if let Some(m) = regex_full_match(actual, expected) {
        if m {
            return true;
        }
    }
    if is_numeric(t) {
        if actual == "NULL" || expected == "NULL" {
            return false;
        }
        if !is_float(t) {
            if let (Ok(a), Ok(e)) = (actual.parse::<i128>(), expected.trim().parse::<i128>()) {
                return a == e;
            }
        }
        let (Ok(a), Ok(e)) = (actual.parse::<f64>(), expected.trim().parse::<f64>()) else {
            return false;
        };
        if is_float(t) {
            // DuckDB's ApproxEqual.
            if a.is_nan() && e.is_nan() {
                return true;
            }
            if !a.is_finite() || !e.is_finite() {
                return a == e;
            }
            return (a - e).abs() <= e.abs() * 0.01 + 0.000_000_01;
        }
        return a == e;
    }
    if t == ffi::DUCKDB_TYPE_DUCKDB_TYPE_BOOLEAN {
        return matches!((bool_value(actual), bool_value(expected)), (Some(a), Some(e)) if a == e);
    }
    false
}

fn check(types: &[ffi::duckdb_type], values: &[&str], expected: &[String]) -> Result<(), String> {
    let ncols = types.len().max(1);
    let total = values.len();
    let nrows = total / ncols;
    let threshold = HASH_THRESHOLD.with(Cell::get);
    let hash_expected = expected.len() == 1 && is_hash(&expected[0]);
    if hash_expected || (threshold > 0 && total > threshold) {
        let mut md5 = Md5::new();
        for (i, v) in values.iter().enumerate() {
            // DuckDB's runner prints booleans as 1/0 before hashing.
            let v = if types.get(i % ncols) == Some(&ffi::DUCKDB_TYPE_DUCKDB_TYPE_BOOLEAN) {
                match *v {
                    "true" => "1",
                    "false" => "0",
                    v => v,
                }
            } else {
                v
            };
            md5.update(v.as_bytes());
            md5.update(b"\n");
        }
        let hash = format!("{total} values hashing to {:x}", md5.finalize());
        if !hash_expected {
            return Err(format!(
                "the result has {total} values, over the hash-threshold {threshold}: expected a single line `{hash}`"
            ));
        }
        if expected[0] != hash {
            return Err(format!("wrong result hash: got `{hash}`"));
        }
        return Ok(());
    }

    // Row-wise (tab-separated columns) or one value per line, as DuckDB guesses it.
    let mut row_wise = ncols > 1 && expected.len() == nrows;
    if !row_wise {
        row_wise = expected.iter().all(|l| l.contains('\t'));
    }
    let mut exp: Vec<&str> = Vec::with_capacity(total);
    if row_wise {
        if expected.len() != nrows {
            return Err(format!("wrong row count: expected {} rows, got {nrows}", expected.len()));
        }
        for (i, line) in expected.iter().enumerate() {
            let parts = split_tabs(line);
            if parts.len() != ncols {
                return Err(format!(
                    "expected line {} has {} tab-separated values, the result has {ncols} columns",
                    i + 1,
                    parts.len()
                ));
            }
            exp.extend(parts);
        }
    } else {
        if expected.len() % ncols != 0 {
            return Err(format!(
                "{} expected values do not divide into {ncols} columns (separate columns with tabs)",
                expected.len()
            ));
        }
        if expected.len() / ncols != nrows {
            return Err(format!("wrong row count: expected {} rows, got {nrows}", expected.len() / ncols));
        }
        exp.extend(expected.iter().map(String::as_str));
    }
    for (i, (a, e)) in values.iter().zip(exp.iter()).enumerate() {
        let t = types.get(i % ncols).copied().unwrap_or(ffi::DUCKDB_TYPE_DUCKDB_TYPE_VARCHAR);
        if !value_equal(a, e, t) {
            return Err(format!(
                "mismatch on row {}, column {}: actual `{a}` <> expected `{e}`",
                i / ncols + 1,
                i % ncols + 1
            ));
        }
    }
    Ok(())
}
