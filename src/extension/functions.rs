//! One declaration per SQL function, as `core::catalog` declares the secret types: its name,
//! its parameters and their types, and the struct of one result row. Registration
//! (`mod.rs`), bind (the result columns) and output (the rows) all read that declaration, so
//! adding a named parameter or a column touches only it and the code that uses it.
//!
//! Positional parameters are declared with a name too, but DuckDB cannot be told it: the C
//! API's `duckdb_table_function_add_parameter` takes a type only, so `duckdb_functions()`
//! lists them as `col0`, …. The name is for readers and messages.

use std::marker::PhantomData;

use duckdb::core::{LogicalTypeHandle, LogicalTypeId};
use duckdb::vscalar::{ScalarFunctionSignature, VScalar};
use duckdb::vtab::{BindInfo, VTab, Value};

use super::duckdb_rs_compat::{is_null, list_items, to_bool, whole_text, HoldsNul};

/// The SQL types of yamlsecrets' parameters and columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Type {
    Varchar,
    VarcharList,
    Boolean,
    Integer,
    Double,
    Timestamp,
}

impl Type {
    pub fn logical(self) -> LogicalTypeHandle {
        let id = match self {
            Type::VarcharList => return LogicalTypeHandle::list(&Type::Varchar.logical()),
            Type::Varchar => LogicalTypeId::Varchar,
            Type::Boolean => LogicalTypeId::Boolean,
            Type::Integer => LogicalTypeId::Integer,
            Type::Double => LogicalTypeId::Double,
            Type::Timestamp => LogicalTypeId::Timestamp,
        };
        LogicalTypeHandle::from(id)
    }
}

/// A parameter as DuckDB is told it: a name and a type.
#[derive(Debug, Clone, Copy)]
pub struct Param {
    pub name: &'static str,
    pub ty: Type,
}

/// A named parameter whose SQL type follows from the Rust type bind reads it as, so the two
/// cannot disagree: `Named<bool>` is a BOOLEAN and `get` returns a `bool`.
pub struct Named<T> {
    pub param: Param,
    read_as: PhantomData<fn() -> T>,
}

impl<T: Arg> Named<T> {
    pub const fn new(name: &'static str) -> Self {
        Named { param: Param { name, ty: T::TYPE }, read_as: PhantomData }
    }

    /// The value the call gave; `None` when it left the parameter out or passed NULL.
    pub fn get(&self, bind: &BindInfo) -> Option<T> {
        bind.get_named_parameter(self.param.name).filter(|v| !is_null(v)).map(|v| T::read(&v))
    }
}

/// A Rust type a parameter is read as, and the SQL type that makes DuckDB hand it over so.
pub trait Arg {
    const TYPE: Type;
    fn read(value: &Value) -> Self;
}

impl Arg for String {
    const TYPE: Type = Type::Varchar;
    fn read(value: &Value) -> Self {
        value.to_string()
    }
}

impl Arg for bool {
    const TYPE: Type = Type::Boolean;
    fn read(value: &Value) -> Self {
        to_bool(value)
    }
}

/// NULL items are left out.
impl Arg for Vec<String> {
    const TYPE: Type = Type::VarcharList;
    fn read(value: &Value) -> Self {
        list_items(value)
    }
}

/// A file name: VARCHAR read whole, or the NUL byte that would have cut it short (see
/// `duckdb_rs_compat::whole_text`), for the caller to refuse.
pub struct FileName(pub Result<String, HoldsNul>);

impl Arg for FileName {
    const TYPE: Type = Type::Varchar;
    fn read(value: &Value) -> Self {
        FileName(whole_text(value))
    }
}

/// A DOUBLE kept as the text DuckDB prints for it: the core parses and bounds it, with the
/// same rules wherever the number comes from.
pub struct DoubleText(pub String);

impl Arg for DoubleText {
    const TYPE: Type = Type::Double;
    fn read(value: &Value) -> Self {
        DoubleText(value.to_string())
    }
}

/// A table function's name and parameters, in the order DuckDB is told them.
pub struct Signature {
    pub name: &'static str,
    pub positional: &'static [Param],
    pub named: &'static [Param],
}

impl Signature {
    fn positional_types(&self) -> Vec<LogicalTypeHandle> {
        self.positional.iter().map(|p| p.ty.logical()).collect()
    }

    pub fn parameters(&self) -> Option<Vec<LogicalTypeHandle>> {
        Some(self.positional_types())
    }

    pub fn named_parameters(&self) -> Option<Vec<(String, LogicalTypeHandle)>> {
        Some(self.named.iter().map(|p| (p.name.to_string(), p.ty.logical())).collect())
    }
}

/// A table function as declared: its signature, and the struct one result row is.
pub trait Declared: VTab {
    const SIGNATURE: Signature;
    type Row: Row;
}

/// The `VTab` methods that hand DuckDB a function's declared parameters: duckdb-rs reads
/// them at registration from the `VTab` itself, so each table function forwards them.
macro_rules! declared_parameters {
    () => {
        fn parameters() -> Option<Vec<duckdb::core::LogicalTypeHandle>> {
            <Self as $crate::extension::functions::Declared>::SIGNATURE.parameters()
        }

        fn named_parameters() -> Option<Vec<(String, duckdb::core::LogicalTypeHandle)>> {
            <Self as $crate::extension::functions::Declared>::SIGNATURE.named_parameters()
        }
    };
}
pub(crate) use declared_parameters;

/// In a table function's bind: declares its result columns, those of its row.
pub fn add_result_columns<T: Declared>(bind: &BindInfo) {
    for column in T::Row::columns() {
        bind.add_result_column(column.name, column.ty.logical());
    }
}

/// A scalar function's name, parameters, return type and volatility.
pub struct ScalarSignature {
    pub name: &'static str,
    pub positional: &'static [Param],
    pub returns: Type,
    /// A function whose answer changes between calls with the same arguments must say so,
    /// or DuckDB folds it into a constant once.
    pub volatile: bool,
}

impl ScalarSignature {
    pub fn signatures(&self) -> Vec<ScalarFunctionSignature> {
        let params = self.positional.iter().map(|p| p.ty.logical()).collect();
        vec![ScalarFunctionSignature::exact(params, self.returns.logical())]
    }
}

pub trait DeclaredScalar: VScalar {
    const SIGNATURE: ScalarSignature;
}

/// A cell of a result row, made by `ColumnValue`; `output` writes it.
#[derive(Debug, Clone)]
pub enum Cell {
    Text(Option<String>),
    Bool(Option<bool>),
    TextList(Vec<String>),
    Int(i32),
    /// Microseconds since the Unix epoch.
    Timestamp(i64),
}

/// A result column.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub name: &'static str,
    pub ty: Type,
}

/// One result row of a table function: its fields are the columns, in order (see
/// `table_row!`), so a row cannot hold a value in another column's place.
pub trait Row {
    fn columns() -> Vec<Column>;
    fn into_cells(self) -> Vec<Cell>;
}

/// A Rust type a column holds, and its SQL type. `Option` is a column that may be NULL.
pub trait ColumnValue {
    const TYPE: Type;
    fn into_cell(self) -> Cell;
}

impl ColumnValue for String {
    const TYPE: Type = Type::Varchar;
    fn into_cell(self) -> Cell {
        Cell::Text(Some(self))
    }
}

impl ColumnValue for Option<String> {
    const TYPE: Type = Type::Varchar;
    fn into_cell(self) -> Cell {
        Cell::Text(self)
    }
}

impl ColumnValue for bool {
    const TYPE: Type = Type::Boolean;
    fn into_cell(self) -> Cell {
        Cell::Bool(Some(self))
    }
}

impl ColumnValue for Option<bool> {
    const TYPE: Type = Type::Boolean;
    fn into_cell(self) -> Cell {
        Cell::Bool(self)
    }
}

impl ColumnValue for Vec<String> {
    const TYPE: Type = Type::VarcharList;
    fn into_cell(self) -> Cell {
        Cell::TextList(self)
    }
}

impl ColumnValue for i32 {
    const TYPE: Type = Type::Integer;
    fn into_cell(self) -> Cell {
        Cell::Int(self)
    }
}

/// A TIMESTAMP: microseconds since the Unix epoch.
pub struct Micros(pub i64);

impl ColumnValue for Micros {
    const TYPE: Type = Type::Timestamp;
    fn into_cell(self) -> Cell {
        Cell::Timestamp(self.0)
    }
}

/// Declares a table function's row: a struct whose fields are its columns, in order, named
/// as the columns are (`r#type` is the column `type`), typed by `ColumnValue`.
macro_rules! table_row {
    ($(#[$meta:meta])* $vis:vis struct $row:ident { $($field:ident : $ty:ty),* $(,)? }) => {
        $(#[$meta])*
        $vis struct $row {
            $(pub $field: $ty),*
        }

        impl $crate::extension::functions::Row for $row {
            fn columns() -> Vec<$crate::extension::functions::Column> {
                vec![$($crate::extension::functions::Column {
                    name: stringify!($field).trim_start_matches("r#"),
                    ty: <$ty as $crate::extension::functions::ColumnValue>::TYPE,
                }),*]
            }

            fn into_cells(self) -> Vec<$crate::extension::functions::Cell> {
                vec![$($crate::extension::functions::ColumnValue::into_cell(self.$field)),*]
            }
        }
    };
}
pub(crate) use table_row;
