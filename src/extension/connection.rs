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

    /// The current values of the named settings (`None`: NULL). Read from the connection's
    /// client context where the C API offers it (1.5 and later): no statement to parse and
    /// plan, which is most of what a small call would otherwise spend on reading its policy.
    /// A setting the context does not know (a null answer, not a NULL value) sends every name
    /// to `current_setting` instead: a policy must never read as "off" for want of an answer.
    #[cfg(not(duckdb_rs_1_4))]
    pub fn settings(&self, names: &[&str]) -> Result<Vec<Option<String>>, String> {
        let mut context: ffi::duckdb_client_context = ptr::null_mut();
        // SAFETY: a live connection; the context is destroyed below.
        unsafe { ffi::duckdb_connection_get_client_context(self.raw, &mut context) };
        if context.is_null() {
            return self.settings_by_query(names);
        }
        let mut values = Vec::with_capacity(names.len());
        for name in names {
            let Ok(name) = CString::new(*name) else { break };
            // SAFETY: a live context; the value (null for an unknown setting) is ours to destroy.
            let mut value =
                unsafe { ffi::duckdb_client_context_get_config_option(context, name.as_ptr(), ptr::null_mut()) };
            if value.is_null() {
                break;
            }
            values.push(unsafe {
                let text = if ffi::duckdb_is_null_value(value) {
                    None
                } else {
                    let raw = ffi::duckdb_get_varchar(value);
                    let text = (!raw.is_null()).then(|| CStr::from_ptr(raw).to_string_lossy().into_owned());
                    ffi::duckdb_free(raw.cast());
                    text
                };
                ffi::duckdb_destroy_value(&mut value);
                text
            });
        }
        unsafe { ffi::duckdb_destroy_client_context(&mut context) };
        if values.len() == names.len() {
            Ok(values)
        } else {
            self.settings_by_query(names)
        }
    }

    /// duckdb-rs 1.4's C API has no client context: the settings come from a query.
    #[cfg(duckdb_rs_1_4)]
    pub fn settings(&self, names: &[&str]) -> Result<Vec<Option<String>>, String> {
        self.settings_by_query(names)
    }

    fn settings_by_query(&self, names: &[&str]) -> Result<Vec<Option<String>>, String> {
        let columns: Vec<String> = names.iter().map(|name| format!("current_setting('{name}')")).collect();
        Ok(self.query_rows(&format!("SELECT {}", columns.join(", ")))?.into_iter().next().unwrap_or_default())
    }

    /// Every row, each cell as text (`None` for NULL). Plain rows: a state query that
    /// aggregates into one JSON value costs DuckDB several times more to plan and run.
    pub fn query_rows(&self, sql: &str) -> Result<Vec<Vec<Option<String>>>, String> {
        self.query(sql, |result| {
            // SAFETY: `result` is a successful result owned by `query`; each text DuckDB
            // returns is ours to free.
            unsafe {
                let (rows, columns) = (ffi::duckdb_row_count(result), ffi::duckdb_column_count(result));
                // DuckDB 2.0 crashes reading a cell of a column typed NULL (a bare `NULL` in a
                // select list): such a column holds nothing, so it is never read.
                let untyped: Vec<bool> = (0..columns)
                    .map(|column| ffi::duckdb_column_type(result, column) == ffi::DUCKDB_TYPE_DUCKDB_TYPE_SQLNULL)
                    .collect();
                let cell = |column: u64, row| {
                    if untyped.get(column as usize).copied().unwrap_or(true)
                        || ffi::duckdb_value_is_null(result, column, row)
                    {
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
