#![cfg_attr(duckdb_rs_1_4, allow(unused_unsafe))] // as_mut_slice is safe in duckdb-rs 1.4
//! Writing result rows into DuckDB chunks, shared by the table functions: each function
//! computes all its rows once, at execution, and hands them out a chunk at a time. Each
//! column is written as its row declares it (`functions::Row`), the type bind gave DuckDB.

use std::marker::PhantomData;
use std::sync::Mutex;

use duckdb::core::{DataChunkHandle, Inserter};

use super::functions::{Cell, Column, Row, Type};

/// Rows of `R` computed on the first call of the function, then emitted chunk by chunk.
pub struct Pending<R> {
    state: Mutex<Option<(Vec<Vec<Cell>>, usize)>>,
    rows: PhantomData<fn() -> R>,
}

impl<R> Default for Pending<R> {
    fn default() -> Self {
        Pending { state: Mutex::default(), rows: PhantomData }
    }
}

const CHUNK: usize = 2048;

impl<R: Row> Pending<R> {
    /// On the first call runs `compute` (the function's one side effect); on every call
    /// writes the next rows. An empty chunk ends the function.
    pub fn emit(
        &self,
        output: &mut DataChunkHandle,
        compute: impl FnOnce() -> Result<Vec<R>, String>,
    ) -> Result<(), Box<dyn std::error::Error>> {
        let mut guard = self.state.lock().map_err(|_| "yamlsecrets: internal state poisoned by an earlier failure")?;
        if guard.is_none() {
            let rows = super::without_panics(compute)?;
            *guard = Some((rows.into_iter().map(Row::into_cells).collect(), 0));
        }
        let Some((rows, next)) = guard.as_mut() else { return Ok(()) };
        let end = (*next + CHUNK).min(rows.len());
        write_rows(output, &R::columns(), &rows[*next..end])?;
        *next = end;
        Ok(())
    }
}

fn write_rows(output: &mut DataChunkHandle, columns: &[Column], rows: &[Vec<Cell>]) -> Result<(), String> {
    for (index, column) in columns.iter().enumerate() {
        let cells = || rows.iter().map(move |row| row.get(index));
        // `ColumnValue` makes each cell of the column's declared kind; anything else is a bug,
        // reported rather than written as a value of another type.
        let mismatch =
            || format!("yamlsecrets: internal error: a value of column '{}' is not {:?}", column.name, column.ty);
        if column.ty == Type::VarcharList {
            let lists = cells()
                .map(|cell| match cell {
                    Some(Cell::TextList(items)) => Ok(items.as_slice()),
                    _ => Err(mismatch()),
                })
                .collect::<Result<Vec<_>, _>>()?;
            let mut list = output.list_vector(index);
            let total: usize = lists.iter().map(|items| items.len()).sum();
            let child = list.child(total);
            let mut offset = 0;
            for (i, items) in lists.iter().enumerate() {
                for (j, item) in items.iter().enumerate() {
                    child.insert(offset + j, item.as_str());
                }
                list.set_entry(i, offset, items.len());
                offset += items.len();
            }
            list.set_len(total);
            continue;
        }
        let mut vector = output.flat_vector(index);
        for (i, cell) in cells().enumerate() {
            match (column.ty, cell) {
                (Type::Varchar, Some(Cell::Text(Some(s)))) => vector.insert(i, s.as_str()),
                (Type::Boolean, Some(Cell::Bool(Some(b)))) => {
                    // SAFETY: the column was declared BOOLEAN and the chunk holds `rows.len()` rows.
                    unsafe { vector.as_mut_slice::<bool>()[i] = *b };
                }
                (Type::Integer, Some(Cell::Int(n))) => {
                    // SAFETY: the column was declared INTEGER.
                    unsafe { vector.as_mut_slice::<i32>()[i] = *n };
                }
                (Type::Timestamp, Some(Cell::Timestamp(micros))) => {
                    // SAFETY: the column was declared TIMESTAMP (i64 microseconds).
                    unsafe { vector.as_mut_slice::<i64>()[i] = *micros };
                }
                (Type::Varchar, Some(Cell::Text(None))) | (Type::Boolean, Some(Cell::Bool(None))) => vector.set_null(i),
                _ => return Err(mismatch()),
            }
        }
    }
    output.set_len(rows.len());
    Ok(())
}
