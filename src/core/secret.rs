//! The model every later stage reads: a validated, resolved secret and its parameters. Built
//! by `validate`, read by `plan`, `render`, `probe` and `provenance`.

use std::borrow::Cow;

use super::diagnostics::Location;
use super::interpolate::Source;
use super::secret_value::{CallValue, SecretString};

/// A parameter value of the kind its catalogue entry asks for.
#[derive(Debug, Clone)]
pub enum ParamValue {
    Text(SecretString),
    Integer(i64),
    Boolean(bool),
    List(Vec<SecretString>),
    Map(Vec<(String, SecretString)>),
}

#[derive(Debug, Clone)]
pub struct Param {
    /// The catalogue's own name where it has one: a file of 10 000 secrets holds 50 000.
    pub name: Cow<'static, str>,
    pub value: ParamValue,
    pub sensitive: bool,
}

/// One secret, validated and resolved: everything `CREATE SECRET` needs.
#[derive(Debug, Clone)]
pub struct Secret {
    /// Lower case, as DuckDB stores it.
    pub name: String,
    pub type_name: String,
    pub provider: Option<String>,
    pub scope: Vec<String>,
    pub persistent: bool,
    pub storage: Option<String>,
    pub params: Vec<Param>,
    pub at: Location,
    /// Variables and files the values came from.
    pub sources: Vec<Source>,
}

impl Secret {
    /// Every value of the secret and whether it is a credential: DuckDB error texts are
    /// scrubbed of all of them (SPEC §4), not only of the sensitive ones, since a cast error
    /// may quote any; `storage` too, which DuckDB echoes lower-cased.
    pub fn values_to_scrub(&self) -> Vec<CallValue> {
        let mut out: Vec<CallValue> = self.storage.iter().map(|s| CallValue::new(s.as_str(), false)).collect();
        for p in &self.params {
            let value = |v: &SecretString| CallValue::new(v.expose(), p.sensitive);
            match &p.value {
                ParamValue::Text(v) => out.push(value(v)),
                ParamValue::List(items) => out.extend(items.iter().map(value)),
                ParamValue::Map(entries) => out.extend(entries.iter().map(|(_, v)| value(v))),
                ParamValue::Integer(n) => out.push(CallValue::new(n.to_string(), p.sensitive)),
                ParamValue::Boolean(_) => {}
            }
        }
        out
    }
}
