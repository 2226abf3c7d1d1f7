//! DuckDB through its C API (libduckdb.so), and the `sqllogictest::DB` implementation.
//!
//! Query results are rendered as DuckDB's own runner renders them: every value cast to
//! VARCHAR by DuckDB itself (so lists, structs, maps, decimals, timestamps print exactly as
//! DuckDB prints them), NULL as `NULL`, the empty string as `(empty)`. A single SELECT (or
//! CALL) is run as `SELECT COLUMNS(*)::VARCHAR FROM (<query>)`: the C API cannot turn nested
//! values into text, but DuckDB's cast can, and a projection keeps the rows' order. The
//! original query is prepared first so that errors and column types are the query's own.

use std::cell::{Cell, RefCell};
use std::ffi::{CStr, CString};
use std::os::raw::c_char;
use std::ptr;
use std::sync::Arc;

use libduckdb_sys as ffi;
use sqllogictest::{DBOutput, DefaultColumnType};

/// What the harness is running right now (set before each record): a `statement` only needs
/// success/failure, a `query` needs its rows rendered.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Statement,
    Query,
}

thread_local! {
    pub static MODE: Cell<Mode> = const { Cell::new(Mode::Statement) };
    /// DuckDB types of the last query's columns (for DuckDB's lenient value comparison).
    pub static LAST_TYPES: RefCell<Vec<ffi::duckdb_type>> = const { RefCell::new(Vec::new()) };
    /// An INTERNAL error seen while running the current record: DuckDB's runner never
    /// accepts one, not even for `statement error`.
    pub static INTERNAL_ERROR: RefCell<Option<String>> = const { RefCell::new(None) };
}

#[derive(Debug, Clone)]
pub struct DbError(pub String);

impl std::fmt::Display for DbError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DbError {}

fn err<T>(msg: impl Into<String>) -> Result<T, DbError> {
    let msg = msg.into();
    if msg.contains("INTERNAL Error") {
        INTERNAL_ERROR.with(|e| *e.borrow_mut() = Some(msg.clone()));
    }
    Err(DbError(msg))
}

fn cstring(s: &str) -> Result<CString, DbError> {
    CString::new(s).map_err(|_| DbError("SQL text contains a NUL byte".into()))
}

unsafe fn text(p: *const c_char, fallback: &str) -> String {
    if p.is_null() {
        fallback.to_string()
    } else {
        CStr::from_ptr(p).to_string_lossy().into_owned()
    }
}

/// An open DuckDB database (closed on drop, after every connection to it is gone).
pub struct Database {
    db: ffi::duckdb_database,
}

// SAFETY: a duckdb_database may be used from any thread; the harness uses one thread.
unsafe impl Send for Database {}
unsafe impl Sync for Database {}

impl Database {
    /// Opens `path` (None: in memory) with the given config options.
    pub fn open(path: Option<&str>, options: &[(String, String)]) -> Result<Arc<Database>, String> {
        unsafe {
            let mut config: ffi::duckdb_config = ptr::null_mut();
            if ffi::duckdb_create_config(&mut config) != ffi::duckdb_state_DuckDBSuccess {
                return Err("duckdb_create_config failed".into());
            }
            for (k, v) in options {
                let (ck, cv) = (CString::new(k.as_str()).unwrap(), CString::new(v.as_str()).unwrap());
                if ffi::duckdb_set_config(config, ck.as_ptr(), cv.as_ptr()) != ffi::duckdb_state_DuckDBSuccess {
                    ffi::duckdb_destroy_config(&mut config);
                    return Err(format!("DuckDB rejected config option {k}={v}"));
                }
            }
            let cpath = path.map(|p| CString::new(p).unwrap());
            let mut db: ffi::duckdb_database = ptr::null_mut();
            let mut error: *mut c_char = ptr::null_mut();
            let state =
                ffi::duckdb_open_ext(cpath.as_ref().map_or(ptr::null(), |p| p.as_ptr()), &mut db, config, &mut error);
            ffi::duckdb_destroy_config(&mut config);
            if state != ffi::duckdb_state_DuckDBSuccess {
                let msg = text(error, "could not open database");
                if !error.is_null() {
                    ffi::duckdb_free(error.cast());
                }
                return Err(msg);
            }
            Ok(Arc::new(Database { db }))
        }
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        unsafe { ffi::duckdb_close(&mut self.db) }
    }
}

/// One connection; the crate's runner makes one per `connection` name.
pub struct Conn {
    con: ffi::duckdb_connection,
    // Keeps the database open while this connection lives.
    _db: Arc<Database>,
}

// SAFETY: as for Database.
unsafe impl Send for Conn {}

/// Owns a duckdb_result.
struct ResultGuard(ffi::duckdb_result);
impl Drop for ResultGuard {
    fn drop(&mut self) {
        unsafe { ffi::duckdb_destroy_result(&mut self.0) }
    }
}

struct Prepared(ffi::duckdb_prepared_statement);
impl Drop for Prepared {
    fn drop(&mut self) {
        unsafe { ffi::duckdb_destroy_prepare(&mut self.0) }
    }
}

struct Extracted(ffi::duckdb_extracted_statements);
impl Drop for Extracted {
    fn drop(&mut self) {
        unsafe { ffi::duckdb_destroy_extracted(&mut self.0) }
    }
}

fn is_nested(t: ffi::duckdb_type) -> bool {
    matches!(
        t,
        ffi::DUCKDB_TYPE_DUCKDB_TYPE_LIST
            | ffi::DUCKDB_TYPE_DUCKDB_TYPE_STRUCT
            | ffi::DUCKDB_TYPE_DUCKDB_TYPE_MAP
            | ffi::DUCKDB_TYPE_DUCKDB_TYPE_ARRAY
            | ffi::DUCKDB_TYPE_DUCKDB_TYPE_UNION
    )
}

fn column_type(t: ffi::duckdb_type) -> DefaultColumnType {
    use ffi::*;
    match t {
        DUCKDB_TYPE_DUCKDB_TYPE_TINYINT
        | DUCKDB_TYPE_DUCKDB_TYPE_SMALLINT
        | DUCKDB_TYPE_DUCKDB_TYPE_INTEGER
        | DUCKDB_TYPE_DUCKDB_TYPE_BIGINT
        | DUCKDB_TYPE_DUCKDB_TYPE_HUGEINT
        | DUCKDB_TYPE_DUCKDB_TYPE_UTINYINT
        | DUCKDB_TYPE_DUCKDB_TYPE_USMALLINT
        | DUCKDB_TYPE_DUCKDB_TYPE_UINTEGER
        | DUCKDB_TYPE_DUCKDB_TYPE_UBIGINT
        | DUCKDB_TYPE_DUCKDB_TYPE_UHUGEINT => DefaultColumnType::Integer,
        DUCKDB_TYPE_DUCKDB_TYPE_FLOAT | DUCKDB_TYPE_DUCKDB_TYPE_DOUBLE | DUCKDB_TYPE_DUCKDB_TYPE_DECIMAL => {
            DefaultColumnType::FloatingPoint
        }
        DUCKDB_TYPE_DUCKDB_TYPE_VARCHAR => DefaultColumnType::Text,
        _ => DefaultColumnType::Any,
    }
}

/// A value as DuckDB's sqllogictest runner prints it (`SQLLogicTestConvertValue`).
fn render(v: Option<String>) -> String {
    match v {
        None => "NULL".into(),
        Some(s) if s.is_empty() => "(empty)".into(),
        Some(s) => s.replace('\0', "\\0"),
    }
}

impl Conn {
    pub fn connect(db: &Arc<Database>) -> Result<Conn, DbError> {
        let mut con: ffi::duckdb_connection = ptr::null_mut();
        if unsafe { ffi::duckdb_connect(db.db, &mut con) } != ffi::duckdb_state_DuckDBSuccess {
            return err("duckdb_connect failed");
        }
        Ok(Conn { con, _db: db.clone() })
    }

    /// Runs SQL (one or more statements) for its success or error only.
    pub fn execute(&mut self, sql: &str) -> Result<u64, DbError> {
        let csql = cstring(sql)?;
        unsafe {
            let mut res = ResultGuard(std::mem::zeroed());
            if ffi::duckdb_query(self.con, csql.as_ptr(), &mut res.0) != ffi::duckdb_state_DuckDBSuccess {
                return err(text(ffi::duckdb_result_error(&mut res.0), "unknown error"));
            }
            Ok(ffi::duckdb_rows_changed(&mut res.0))
        }
    }

    fn execute_prepared(&self, stmt: &Prepared) -> Result<ResultGuard, DbError> {
        unsafe {
            let mut res = ResultGuard(std::mem::zeroed());
            if ffi::duckdb_execute_prepared(stmt.0, &mut res.0) != ffi::duckdb_state_DuckDBSuccess {
                return err(text(ffi::duckdb_result_error(&mut res.0), "unknown error"));
            }
            Ok(res)
        }
    }

    fn prepare(&self, sql: &str) -> Result<Prepared, DbError> {
        let csql = cstring(sql)?;
        unsafe {
            let mut stmt = Prepared(ptr::null_mut());
            if ffi::duckdb_prepare(self.con, csql.as_ptr(), &mut stmt.0) != ffi::duckdb_state_DuckDBSuccess {
                return err(text(ffi::duckdb_prepare_error(stmt.0), "prepare failed"));
            }
            Ok(stmt)
        }
    }

    /// Rows of a materialized result, each value through `duckdb_value_varchar` (exact for
    /// the VARCHAR columns of the wrapped query and for every non-nested type).
    fn rows(res: &mut ResultGuard) -> Result<Vec<Vec<String>>, DbError> {
        unsafe {
            let ncols = ffi::duckdb_column_count(&mut res.0);
            for c in 0..ncols {
                let t = ffi::duckdb_column_type(&mut res.0, c);
                if is_nested(t) {
                    return err(format!(
                        "harness: column {} has a nested type, which only a single SELECT or CALL \
                         query can render; rewrite the query as one SELECT",
                        c + 1
                    ));
                }
            }
            let nrows = ffi::duckdb_row_count(&mut res.0);
            let mut rows = Vec::with_capacity(nrows as usize);
            for r in 0..nrows {
                let mut row = Vec::with_capacity(ncols as usize);
                for c in 0..ncols {
                    if ffi::duckdb_value_is_null(&mut res.0, c, r) {
                        row.push(render(None));
                        continue;
                    }
                    let p = ffi::duckdb_value_varchar(&mut res.0, c, r);
                    let s = if p.is_null() { None } else { Some(text(p, "")) };
                    if !p.is_null() {
                        ffi::duckdb_free(p.cast());
                    }
                    row.push(render(s));
                }
                rows.push(row);
            }
            Ok(rows)
        }
    }

    fn types_of(res: &mut ResultGuard) -> Vec<ffi::duckdb_type> {
        unsafe {
            let n = ffi::duckdb_column_count(&mut res.0);
            (0..n).map(|c| ffi::duckdb_column_type(&mut res.0, c)).collect()
        }
    }

    /// Runs a `query` record's SQL and renders its rows.
    pub fn query(&mut self, sql: &str) -> Result<(Vec<ffi::duckdb_type>, Vec<Vec<String>>), DbError> {
        let csql = cstring(sql)?;
        let ext = unsafe {
            let mut ext = Extracted(ptr::null_mut());
            let n = ffi::duckdb_extract_statements(self.con, csql.as_ptr(), &mut ext.0);
            if n == 0 {
                return err(text(ffi::duckdb_extract_statements_error(ext.0), "no statement in query"));
            }
            (ext, n)
        };
        let (ext, n) = ext;
        // All statements but the last run for their effect, as DuckDB's Query() does.
        let mut last = None;
        for i in 0..n {
            let stmt = unsafe {
                let mut stmt = Prepared(ptr::null_mut());
                if ffi::duckdb_prepare_extracted_statement(self.con, ext.0, i, &mut stmt.0)
                    != ffi::duckdb_state_DuckDBSuccess
                {
                    return err(text(ffi::duckdb_prepare_error(stmt.0), "prepare failed"));
                }
                stmt
            };
            if i + 1 < n {
                self.execute_prepared(&stmt)?;
            } else {
                last = Some(stmt);
            }
        }
        let stmt = last.expect("n > 0");
        let (stype, types) = unsafe {
            let ncols = ffi::duckdb_prepared_statement_column_count(stmt.0);
            (
                ffi::duckdb_prepared_statement_type(stmt.0),
                (0..ncols).map(|c| ffi::duckdb_prepared_statement_column_type(stmt.0, c)).collect::<Vec<_>>(),
            )
        };
        if n == 1 {
            let body = sql.trim_end().trim_end_matches(';');
            let inner = match stype {
                ffi::duckdb_statement_type_DUCKDB_STATEMENT_TYPE_SELECT => Some(body.to_string()),
                ffi::duckdb_statement_type_DUCKDB_STATEMENT_TYPE_CALL => {
                    // CALL f(x) is DuckDB's SELECT * FROM f(x).
                    regex::Regex::new(r"(?is)^\s*call\s+(.*)$")
                        .unwrap()
                        .captures(body)
                        .map(|c| format!("SELECT * FROM {}", &c[1]))
                }
                _ => None,
            };
            if let Some(inner) = inner {
                let wrapped = format!("SELECT COLUMNS(*)::VARCHAR FROM (\n{inner}\n)");
                if let Ok(w) = self.prepare(&wrapped) {
                    drop(stmt);
                    let mut res = self.execute_prepared(&w)?;
                    return Ok((types, Self::rows(&mut res)?));
                }
                // Could not wrap it (an unusual statement): run it as it is.
                INTERNAL_ERROR.with(|e| e.borrow_mut().take());
            }
        }
        let mut res = self.execute_prepared(&stmt)?;
        let types = Self::types_of(&mut res);
        Ok((types, Self::rows(&mut res)?))
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        unsafe { ffi::duckdb_disconnect(&mut self.con) }
    }
}

impl sqllogictest::DB for Conn {
    type Error = DbError;
    type ColumnType = DefaultColumnType;

    fn run(&mut self, sql: &str) -> Result<DBOutput<DefaultColumnType>, DbError> {
        match MODE.with(Cell::get) {
            Mode::Statement => Ok(DBOutput::StatementComplete(self.execute(sql)?)),
            Mode::Query => {
                let (types, rows) = self.query(sql)?;
                let ctypes = types.iter().map(|t| column_type(*t)).collect();
                LAST_TYPES.with(|t| *t.borrow_mut() = types);
                Ok(DBOutput::Rows { types: ctypes, rows })
            }
        }
    }

    fn engine_name(&self) -> &str {
        "duckdb"
    }
}
