//! yamlsecrets: DuckDB secrets from a YAML file.
//!
//! `core` is plain Rust (parse, resolve, validate, render); `extension` is the thin layer
//! that registers the SQL functions and talks to DuckDB. This file holds only the
//! entrypoint DuckDB calls at LOAD.

pub mod core;

#[cfg(feature = "extension")]
mod extension;

#[cfg(feature = "extension")]
mod entrypoint {
    use std::ffi::CString;
    use std::panic::{catch_unwind, AssertUnwindSafe};

    use duckdb::ffi;
    use duckdb::Connection;

    use crate::extension::{register, Database};

    /// The C API this build was compiled against (build.rs reads it from versions.toml by the
    /// bindings in Cargo.lock). DuckDB hands over its function table only if it offers this one.
    const C_API: &str = env!("YAMLSECRETS_C_API");

    /// What this binary was compiled against, kept in the file for the footer tool
    /// (tools/footer/append_footer.py), which writes the footer from it and nothing else.
    #[used]
    static BUILD_MARKER: &[u8] = concat!(
        "yamlsecrets-build:abi=",
        env!("YAMLSECRETS_ABI"),
        ";c_api=",
        env!("YAMLSECRETS_C_API"),
        ";bindings=",
        env!("YAMLSECRETS_BINDINGS"),
        ";end"
    )
    .as_bytes();

    /// Called by DuckDB at `LOAD yamlsecrets`. Unlike the callbacks, nothing upstream guards
    /// the entrypoint against panics, so it catches its own: a panic here must become a LOAD
    /// error, never an abort of the host process.
    ///
    /// # Safety
    /// Called by DuckDB with valid `info` and `access` pointers.
    #[no_mangle]
    pub unsafe extern "C" fn yamlsecrets_init_c_api(
        info: ffi::duckdb_extension_info,
        access: *const ffi::duckdb_extension_access,
    ) -> bool {
        let outcome = catch_unwind(AssertUnwindSafe(|| unsafe { init(info, access) }));
        let message = match outcome {
            Ok(Ok(loaded)) => return loaded,
            Ok(Err(message)) => message,
            Err(_) => "yamlsecrets failed to load: internal panic during initialisation".to_string(),
        };
        if let Some(set_error) = unsafe { (*access).set_error } {
            let text = CString::new(message.replace('\0', " ")).unwrap_or_default();
            unsafe { set_error(info, text.as_ptr()) };
        }
        false
    }

    unsafe fn init(
        info: ffi::duckdb_extension_info,
        access: *const ffi::duckdb_extension_access,
    ) -> Result<bool, String> {
        crate::extension::test_hook_panic("load");
        let has_api = unsafe { ffi::duckdb_rs_extension_api_init(info, access, C_API) }.map_err(|e| e.to_string())?;
        if !has_api {
            return Ok(false);
        }
        crate::extension::check_running_duckdb()?;
        let get_database = unsafe { (*access).get_database }.ok_or("DuckDB gave no get_database function")?;
        let handle = unsafe { get_database(info) };
        if handle.is_null() {
            return Ok(false);
        }
        let raw = unsafe { *handle };
        let database = unsafe { Database::from_entrypoint(raw) }?;
        let conn = unsafe { Connection::open_from_raw(raw) }.map_err(|e| e.to_string())?;
        register(&conn, database)?;
        Ok(true)
    }
}
