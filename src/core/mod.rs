//! The pure core: no DuckDB in here. Data flows one way:
//! text → [`yaml`] → [`document`] → [`validate`] (with [`interpolate`] and [`catalog`])
//! → [`render`] → SQL text.

pub mod catalog;
pub mod connection_string;
pub mod diagnostics;
pub mod document;
pub mod interpolate;
pub mod provenance;
pub mod render;
pub mod secret_value;
pub mod sql_text;
pub mod validate;
pub mod yaml;
