#![cfg_attr(duckdb_rs_1_4, allow(unused_unsafe))] // as_mut_slice is safe in duckdb-rs 1.4
//! Writing result rows into DuckDB chunks, shared by the table functions: each function
//! computes all its rows once, at execution, and hands them out a chunk at a time.

use std::sync::Mutex;

use duckdb::core::{DataChunkHandle, Inserter, LogicalTypeHandle, LogicalTypeId};

/// A cell of a result row.
#[derive(Debug, Clone)]
pub enum Cell {
    Text(Option<String>),
    Bool(Option<bool>),
    TextList(Vec<String>),
    Int(i32),
    /// Microseconds since the Unix epoch.
    Timestamp(i64),
}

impl Cell {
    pub fn text(s: impl Into<String>) -> Cell {
        Cell::Text(Some(s.into()))
    }
}

/// The logical type for each column kind, in the function's bind.
pub fn varchar() -> LogicalTypeHandle {
    LogicalTypeHandle::from(LogicalTypeId::Varchar)
}
pub fn boolean() -> LogicalTypeHandle {
    LogicalTypeHandle::from(LogicalTypeId::Boolean)
}
pub fn varchar_list() -> LogicalTypeHandle {
    LogicalTypeHandle::list(&varchar())
}
pub fn integer() -> LogicalTypeHandle {
    LogicalTypeHandle::from(LogicalTypeId::Integer)
}
pub fn timestamp() -> LogicalTypeHandle {
    LogicalTypeHandle::from(LogicalTypeId::Timestamp)
}

/// Rows computed on the first call of the function, then emitted chunk by chunk.
#[derive(Default)]
pub struct Pending {
    state: Mutex<Option<(Vec<Vec<Cell>>, usize)>>,
}

const CHUNK: usize = 2048;

impl Pending {
    /// On the first call runs `compute` (the function's one side effect); on every call
    /// writes the next rows. An empty chunk ends the function.
    pub fn emit(
        &self,
        output: &mut DataChunkHandle,
        compute: impl FnOnce() -> Result<Vec<Vec<Cell>>, String>,
    ) -> Result<(), Box<dyn std::error::Error>> {
        let mut guard = self.state.lock().map_err(|_| "yamlsecrets: internal state poisoned by an earlier failure")?;
        if guard.is_none() {
            *guard = Some((super::without_panics(compute)?, 0));
        }
        let Some((rows, next)) = guard.as_mut() else { return Ok(()) };
        let end = (*next + CHUNK).min(rows.len());
        write_rows(output, &rows[*next..end]);
        *next = end;
        Ok(())
    }
}

fn write_rows(output: &mut DataChunkHandle, rows: &[Vec<Cell>]) {
    let columns = rows.first().map_or(0, Vec::len);
    for column in 0..columns {
        let is_list = rows.iter().any(|r| matches!(r.get(column), Some(Cell::TextList(_))));
        if is_list {
            let mut list = output.list_vector(column);
            let total: usize =
                rows.iter().map(|r| if let Some(Cell::TextList(v)) = r.get(column) { v.len() } else { 0 }).sum();
            let child = list.child(total);
            let mut offset = 0;
            for (i, row) in rows.iter().enumerate() {
                let items: &[String] = match row.get(column) {
                    Some(Cell::TextList(v)) => v,
                    _ => &[],
                };
                for (j, item) in items.iter().enumerate() {
                    child.insert(offset + j, item.as_str());
                }
                list.set_entry(i, offset, items.len());
                offset += items.len();
            }
            list.set_len(total);
            continue;
        }
        let mut vector = output.flat_vector(column);
        for (i, row) in rows.iter().enumerate() {
            match row.get(column) {
                Some(Cell::Text(Some(s))) => vector.insert(i, s.as_str()),
                Some(Cell::Bool(Some(b))) => {
                    // SAFETY: the column was declared BOOLEAN and the chunk holds `rows.len()` rows.
                    unsafe { vector.as_mut_slice::<bool>()[i] = *b };
                }
                Some(Cell::Int(n)) => {
                    // SAFETY: the column was declared INTEGER.
                    unsafe { vector.as_mut_slice::<i32>()[i] = *n };
                }
                Some(Cell::Timestamp(micros)) => {
                    // SAFETY: the column was declared TIMESTAMP (i64 microseconds).
                    unsafe { vector.as_mut_slice::<i64>()[i] = *micros };
                }
                _ => vector.set_null(i),
            }
        }
    }
    output.set_len(rows.len());
}
