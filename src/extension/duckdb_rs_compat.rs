//! The few places where the duckdb-rs versions yamlsecrets builds against differ. duckdb-rs
//! 1.4 (DuckDB's LTS line) has no `Value::is_null`, `to_bool` or `to_list`, and declares
//! `VScalar::invoke` unsafe. build.rs sets `cfg(duckdb_rs_1_4)` for the builds versions.toml
//! marks so; everything else in the extension is written once.

use duckdb::vtab::Value;

#[cfg(not(duckdb_rs_1_4))]
pub fn is_null(value: &Value) -> bool {
    value.is_null()
}

#[cfg(not(duckdb_rs_1_4))]
pub fn to_bool(value: &Value) -> bool {
    value.to_bool()
}

/// A list's items as text, NULL items left out.
#[cfg(not(duckdb_rs_1_4))]
pub fn list_items(value: &Value) -> Vec<String> {
    value.to_list().unwrap_or_default().iter().filter(|item| !item.is_null()).map(ToString::to_string).collect()
}

#[cfg(duckdb_rs_1_4)]
mod raw {
    use duckdb::ffi;
    use duckdb::vtab::Value;

    // duckdb-rs 1.4's `Value` is a struct whose one field is the `duckdb_value` pointer, kept
    // private. A struct of one field that is exactly that field's size holds it at offset 0,
    // which the assertion proves at compile time; so reading the pointer through it is sound.
    const _: () = assert!(std::mem::size_of::<Value>() == std::mem::size_of::<ffi::duckdb_value>());

    pub fn handle(value: &Value) -> ffi::duckdb_value {
        // SAFETY: see above; the handle stays owned by `value`.
        unsafe { *(value as *const Value as *const ffi::duckdb_value) }
    }
}

#[cfg(duckdb_rs_1_4)]
pub fn is_null(value: &Value) -> bool {
    // SAFETY: a live value handle.
    unsafe { duckdb::ffi::duckdb_is_null_value(raw::handle(value)) }
}

#[cfg(duckdb_rs_1_4)]
pub fn to_bool(value: &Value) -> bool {
    // SAFETY: a live value handle.
    unsafe { duckdb::ffi::duckdb_get_bool(raw::handle(value)) }
}

#[cfg(duckdb_rs_1_4)]
pub fn list_items(value: &Value) -> Vec<String> {
    let list = raw::handle(value);
    // SAFETY: a live list value; each child is a new value, owned (and destroyed) by `Value`.
    let size = unsafe { duckdb::ffi::duckdb_get_list_size(list) };
    (0..size)
        .map(|index| Value::from(unsafe { duckdb::ffi::duckdb_get_list_child(list, index) }))
        .filter(|item| !is_null(item))
        .map(|item| item.to_string())
        .collect()
}

/// `VScalar::invoke`, written once: it is an `unsafe fn` in duckdb-rs 1.4 and a safe one after.
macro_rules! scalar_invoke {
    ($body:path) => {
        #[cfg(not(duckdb_rs_1_4))]
        fn invoke(
            state: &Self::State,
            input: &mut duckdb::core::DataChunkHandle,
            output: &mut dyn duckdb::vtab::arrow::WritableVector,
        ) -> Result<(), Box<dyn std::error::Error>> {
            $crate::extension::without_panics(|| $body(state, input, output).map_err(|e| e.to_string()))
                .map_err(Into::into)
        }

        #[cfg(duckdb_rs_1_4)]
        unsafe fn invoke(
            state: &Self::State,
            input: &mut duckdb::core::DataChunkHandle,
            output: &mut dyn duckdb::vtab::arrow::WritableVector,
        ) -> Result<(), Box<dyn std::error::Error>> {
            $crate::extension::without_panics(|| $body(state, input, output).map_err(|e| e.to_string()))
                .map_err(Into::into)
        }
    };
}
pub(crate) use scalar_invoke;
