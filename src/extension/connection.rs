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

use std::ffi::c_void;
use std::ptr;

use duckdb::ffi;
use duckdb::Connection;

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
        const UNSUPPORTED: &str = "yamlsecrets cannot run on this DuckDB build: its database handle \
             does not have the layout yamlsecrets was built for (DuckDB v1.5.5)";
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
    pub fn with_connection<R>(&self, work: impl FnOnce(&Connection) -> Result<R, String>) -> Result<R, String> {
        // Stand-ins for `DuckDB { shared_ptr<DatabaseInstance> }` and
        // `DatabaseData { shared_ptr<DuckDB> }`: {object pointer, null control block}.
        let duckdb_standin: [*mut c_void; 2] = [self.instance, ptr::null_mut()];
        let data_standin: [*const c_void; 2] = [duckdb_standin.as_ptr().cast(), ptr::null()];
        // SAFETY: the stand-ins outlive the connection, which is dropped below; the
        // connection does not close the database (`open_from_raw` does not own it).
        let connection = unsafe { Connection::open_from_raw(data_standin.as_ptr() as ffi::duckdb_database) }
            .map_err(|e| format!("yamlsecrets could not connect to the database: {}", clean_error(&e.to_string())))?;
        let result = work(&connection);
        drop(connection);
        result
    }
}

/// DuckDB errors seen through the extension's own connection end in a meaningless code.
pub fn clean_error(message: &str) -> String {
    message.trim_end_matches(": Error code 1: Unknown error code").to_string()
}
