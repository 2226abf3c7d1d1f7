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

mod raw {
    use duckdb::ffi;
    use duckdb::vtab::Value;

    // duckdb-rs's `Value` (1.4 and after) is a struct whose one field is the `duckdb_value`
    // pointer, kept private. A struct of one field that is exactly that field's size holds it
    // at offset 0, which the assertion proves at compile time; so reading the pointer through
    // it is sound.
    const _: () = assert!(std::mem::size_of::<Value>() == std::mem::size_of::<ffi::duckdb_value>());

    pub fn handle(value: &Value) -> ffi::duckdb_value {
        // SAFETY: see above; the handle stays owned by `value`.
        unsafe { *(value as *const Value as *const ffi::duckdb_value) }
    }
}

/// A VARCHAR argument, whole. duckdb-rs reads text through `duckdb_get_varchar`, a C string
/// that ends at the first NUL byte, so `'a.yaml' || chr(0) || 'x'` would silently become
/// `a.yaml`. The C API gives no length, but `duckdb_value_to_string` renders the value as a
/// SQL literal, and a NUL cuts that literal before its closing quote: an unclosed literal is
/// how a NUL byte shows. Any other shape (not a quoted literal) is taken as whole.
pub fn whole_text(value: &Value) -> Result<String, HoldsNul> {
    // SAFETY: a live value handle; the returned C string is ours to free with duckdb_free.
    let rendered = unsafe { duckdb::ffi::duckdb_value_to_string(raw::handle(value)) };
    if !rendered.is_null() {
        let literal = unsafe { std::ffi::CStr::from_ptr(rendered) }.to_bytes().to_vec();
        unsafe { duckdb::ffi::duckdb_free(rendered.cast()) };
        if sql_literal_is_cut(&literal) {
            return Err(HoldsNul);
        }
    }
    Ok(value.to_string())
}

/// The text of a SQL value is cut short at a NUL byte.
#[derive(Debug)]
pub struct HoldsNul;

/// `'…'` with `''` for a quote inside: true when the closing quote is missing.
fn sql_literal_is_cut(literal: &[u8]) -> bool {
    let Some(body) = literal.strip_prefix(b"'") else { return false };
    let mut at = 0;
    while at < body.len() {
        if body[at] == b'\'' {
            if body.get(at + 1) == Some(&b'\'') {
                at += 2;
                continue;
            }
            return false; // closed
        }
        at += 1;
    }
    true
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

#[cfg(test)]
mod tests {
    use super::sql_literal_is_cut;

    #[test]
    fn a_literal_without_its_closing_quote_was_cut() {
        assert!(!sql_literal_is_cut(b"'a.yaml'"));
        assert!(!sql_literal_is_cut(b"'it''s'"));
        assert!(!sql_literal_is_cut(b"42"));
        assert!(sql_literal_is_cut(b"'a.yaml"));
        assert!(sql_literal_is_cut(b"'it''"));
        assert!(sql_literal_is_cut(b"'"));
    }
}
