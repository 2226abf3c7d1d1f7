//! The per-call connection: how a table function runs SQL on the database that called it.
//!
//! DuckDB's C API gives an extension no way to run SQL on the caller's connection, nor to
//! connect from a function's context. What it does give is `duckdb_connect(duckdb_database)`,
//! and the `duckdb_database` the entrypoint receives is freed as soon as LOAD returns. Keeping
//! a connection instead would pin the database: its file stays locked after the user closes
//! it, reopening it in the same process hangs, and a process-wide one would send secrets to
//! the wrong database when two databases load the extension.
//!
//! So, at LOAD, we read the `DatabaseInstance*` out of the entrypoint's handle and keep only
//! that raw pointer (in each function's extra info, which lives exactly as long as the
//! database's catalog). Per call we build, on the stack, stand-ins for the two wrappers
//! `duckdb_connect` expects — `DatabaseData { shared_ptr<DuckDB> }` and
//! `DuckDB { shared_ptr<DatabaseInstance> }`, each a {pointer, control block} pair with a null
//! control block — and connect through them. `duckdb_connect` only dereferences the chain
//! and then takes a real strong reference with `instance.shared_from_this()`, so the
//! connection is sound for as long as it lives, and it is dropped before the call returns.
//! The instance cannot go away during a call: the caller's own connection holds it.
//!
//! This rests on C++ layouts DuckDB does not document. LOAD checks the one we can check —
//! `DatabaseInstance` starts with its `enable_shared_from_this` weak pointer, whose first
//! word is the instance's own address — and refuses to load if it does not hold.

use std::ffi::{c_void, CStr, CString};
use std::ptr;

use duckdb::ffi;

/// The database that loaded the extension: DuckDB's `DatabaseInstance*`.
#[derive(Clone, Copy, Debug)]
pub struct Database {
    instance: *mut c_void,
}

// The pointer is only dereferenced by DuckDB inside `duckdb_connect`, which is thread-safe;
// the instance outlives every function that holds this value (see the module docs).
unsafe impl Send for Database {}
unsafe impl Sync for Database {}

impl Database {
    /// Reads the instance out of the entrypoint's database handle and checks the layout.
    ///
    /// # Safety
    /// `db` must be the `duckdb_database` handed to the extension entrypoint, still valid.
    pub unsafe fn from_entrypoint(db: ffi::duckdb_database) -> Result<Database, String> {
        const UNSUPPORTED: &str = concat!(
            "yamlsecrets cannot run on this DuckDB build: its database handle does not have the \
             layout yamlsecrets was built for (DuckDB C API ",
            env!("YAMLSECRETS_C_API"),
            ")"
        );
        if db.is_null() {
            return Err(UNSUPPORTED.into());
        }
        // SAFETY: `db` points at DuckDB's `DatabaseData`, whose first word is the `DuckDB*`
        // of its shared_ptr, whose first word is the `DatabaseInstance*` (module docs).
        let duckdb_object = unsafe { *(db as *const *const *mut c_void) };
        if duckdb_object.is_null() {
            return Err(UNSUPPORTED.into());
        }
        let instance = unsafe { *duckdb_object };
        if instance.is_null() {
            return Err(UNSUPPORTED.into());
        }
        let weak_this = unsafe { *(instance as *const *mut c_void) };
        if weak_this != instance {
            return Err(UNSUPPORTED.into());
        }
        Ok(Database { instance })
    }

    /// Runs `work` on a fresh connection to this database, closed before returning.
    pub fn with_connection<R>(&self, work: impl FnOnce(&CallConnection) -> Result<R, String>) -> Result<R, String> {
        // Stand-ins for `DuckDB { shared_ptr<DatabaseInstance> }` and
        // `DatabaseData { shared_ptr<DuckDB> }`: {object pointer, null control block}.
        let duckdb_standin: [*mut c_void; 2] = [self.instance, ptr::null_mut()];
        let data_standin: [*const c_void; 2] = [duckdb_standin.as_ptr().cast(), ptr::null()];
        let mut raw: ffi::duckdb_connection = ptr::null_mut();
        // SAFETY: the stand-ins outlive the connection, which is closed below (by Drop) before
        // they go out of scope; duckdb_connect only reads through them.
        let state = unsafe { ffi::duckdb_connect(data_standin.as_ptr() as ffi::duckdb_database, &mut raw) };
        if state != ffi::DuckDBSuccess || raw.is_null() {
            return Err("yamlsecrets could not connect to the database".into());
        }
        let connection = CallConnection { raw };
        let result = work(&connection);
        drop(connection);
        result
    }
}

/// The per-call connection. Queries go straight through the C API: the extension only ever
/// runs statements and reads one text value, which needs none of duckdb-rs's result layer.
pub struct CallConnection {
    raw: ffi::duckdb_connection,
}

impl CallConnection {
    /// Runs one or more statements; DuckDB parses the whole text once.
    pub fn execute(&self, sql: &str) -> Result<(), String> {
        self.query(sql, |_| Ok(())).map(|_: ()| ())
    }

    /// Every row, each cell as text (`None` for NULL). Plain rows: a state query that
    /// aggregates into one JSON value costs DuckDB several times more to plan and run.
    pub fn query_rows(&self, sql: &str) -> Result<Vec<Vec<Option<String>>>, String> {
        self.query(sql, |result| {
            // SAFETY: `result` is a successful result owned by `query`; each text DuckDB
            // returns is ours to free.
            unsafe {
                let (rows, columns) = (ffi::duckdb_row_count(result), ffi::duckdb_column_count(result));
                let cell = |column, row| {
                    if ffi::duckdb_value_is_null(result, column, row) {
                        return None;
                    }
                    let text = ffi::duckdb_value_varchar(result, column, row);
                    if text.is_null() {
                        return None;
                    }
                    let value = CStr::from_ptr(text).to_string_lossy().into_owned();
                    ffi::duckdb_free(text.cast());
                    Some(value)
                };
                Ok((0..rows).map(|row| (0..columns).map(|column| cell(column, row)).collect()).collect())
            }
        })
    }

    fn query<R>(
        &self,
        sql: &str,
        read: impl FnOnce(*mut ffi::duckdb_result) -> Result<R, String>,
    ) -> Result<R, String> {
        let text = CString::new(sql).map_err(|_| "yamlsecrets: a statement holds a NUL byte".to_string())?;
        // SAFETY: a zeroed duckdb_result is what duckdb_query expects to fill; it is destroyed
        // below on every path.
        let mut result: ffi::duckdb_result = unsafe { std::mem::zeroed() };
        let state = unsafe { ffi::duckdb_query(self.raw, text.as_ptr(), &mut result) };
        let outcome = if state == ffi::DuckDBSuccess {
            read(&mut result)
        } else {
            // SAFETY: the error text lives in `result` until it is destroyed.
            let message = unsafe { ffi::duckdb_result_error(&mut result) };
            Err(if message.is_null() {
                "DuckDB reported an error without a message".to_string()
            } else {
                unsafe { CStr::from_ptr(message) }.to_string_lossy().into_owned()
            })
        };
        unsafe { ffi::duckdb_destroy_result(&mut result) };
        outcome
    }
}

impl Drop for CallConnection {
    fn drop(&mut self) {
        // SAFETY: `raw` came from duckdb_connect and is closed exactly once.
        unsafe { ffi::duckdb_disconnect(&mut self.raw) };
    }
}
