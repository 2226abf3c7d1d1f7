//! What the database offers a file's secrets: its secret types and its extensions.
//!
//! Listing them is most of a small call's cost (`duckdb_extensions()` reads the extension
//! directory on every call). But in one database both lists only grow: an extension cannot
//! be unloaded, nor a secret type unregistered. So what one call read stays true, and is kept
//! per database ([`Known`]). A database's first call reads only the secret types (and, as
//! loaded, the extensions that registered them). Any call lists again when its file asks for
//! something the lists lack — an extension loaded since, or one autoload would bring — and then
//! validates again only if the fresh lists differ from the kept ones (the file's values, a
//! `${cmd:}` included, are then resolved a second time: rare, and never with stale lists).

use std::sync::{Arc, Mutex};

use super::apply::{at_load, truthy};
use super::connection::CallConnection;
use crate::core::autoload::{self, AUTOLOADABLE};
use crate::core::plan::State;
use crate::core::request::{Environment, Outcome};

/// The secret types and loaded extensions one call listed, kept for the database's later calls.
#[derive(Clone, Default)]
pub struct Known(Arc<Mutex<Option<Offered>>>);

#[derive(Clone, Debug, Default, PartialEq)]
struct Offered {
    secret_types: Vec<String>,
    loaded: Vec<String>,
}

impl Known {
    fn get(&self) -> Option<Offered> {
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }

    fn keep(&self, offered: &Offered) {
        *self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(offered.clone());
    }
}

/// Validates with what the database offers, read from `known` when it can be.
///
/// `autoload`: the call brings in the extensions its secrets need, as DuckDB's own CREATE
/// SECRET would (load, check); then what autoload would bring counts as offered, and on
/// return `state.extensions` holds the real lists whenever anything needs bringing.
pub fn validated(
    conn: &CallConnection,
    state: &mut State,
    known: &Known,
    autoload: bool,
    validate: impl Fn(&Environment) -> Outcome,
) -> Result<(Environment, Outcome), String> {
    let (offered, listed) = match (at_load(), known.get()) {
        (true, _) => (list(conn, state, known)?, true),
        (false, Some(kept)) => (assumed(kept, state), false),
        // A database's first call reads its secret types and the extensions that registered
        // them (loaded, then), not `duckdb_extensions()`, which reads the extension directory
        // and costs more than the rest of a small call: the extensions are listed only when
        // the file asks for one no registered type implies, exactly as with a kept list.
        (false, None) => (assumed(list_types(conn, known)?, state), false),
    };
    let environment = environment_of(&offered, state, autoload);
    let outcome = validate(&environment);
    let wants_more =
        environment.missed.get() || (autoload && !autoload::needs(&outcome.secrets, &state.extensions).is_empty());
    if listed || !wants_more {
        return Ok((environment, outcome));
    }
    let fresh = list(conn, state, known)?;
    let refreshed = environment_of(&fresh, state, autoload);
    if refreshed.secret_types == environment.secret_types
        && refreshed.loaded_extensions == environment.loaded_extensions
    {
        return Ok((refreshed, outcome));
    }
    let outcome = validate(&refreshed);
    Ok((refreshed, outcome))
}

/// Lists DuckDB's secret types, and its loaded and installed extensions (into
/// `state.extensions`), and keeps the lists for later calls. During `LOAD yamlsecrets` the
/// extensions cannot be listed (DuckDB holds the lock `duckdb_extensions()` waits for):
/// only the types are, and nothing is kept.
fn list(conn: &CallConnection, state: &mut State, known: &Known) -> Result<Offered, String> {
    let during_load = at_load();
    let extensions = if during_load {
        ""
    } else {
        " UNION ALL SELECT 'extension', extension_name, loaded::VARCHAR, installed::VARCHAR \
         FROM duckdb_extensions() WHERE loaded OR installed"
    };
    let rows = conn.query_rows(&format!(
        "SELECT 'type', type, NULL::VARCHAR, NULL::VARCHAR FROM duckdb_secret_types(){extensions}"
    ))?;
    let mut offered = Offered::default();
    state.extensions.loaded.clear();
    state.extensions.installed.clear();
    for row in rows {
        let mut cells = row.into_iter().map(Option::unwrap_or_default);
        let (kind, name) = (cells.next().unwrap_or_default(), cells.next().unwrap_or_default());
        if kind == "type" {
            offered.secret_types.push(name);
            continue;
        }
        if truthy(&cells.next().unwrap_or_default()) {
            offered.loaded.push(name.clone());
        }
        if truthy(&cells.next().unwrap_or_default()) {
            state.extensions.installed.push(name);
        }
    }
    state.extensions.loaded = offered.loaded.clone();
    if !during_load {
        known.keep(&offered);
    }
    Ok(offered)
}

/// Lists may be short of what is loaded, never long: extensions not known to be installed
/// count as installed when autoloadable. The assumption only decides whether to list again
/// (`validated`); nothing is brought in before the real lists say so.
fn assumed(offered: Offered, state: &mut State) -> Offered {
    state.extensions.loaded = offered.loaded.clone();
    state.extensions.installed = AUTOLOADABLE.iter().map(|e| e.to_string()).collect();
    offered
}

/// The secret types, and as loaded the extensions that registered them; kept for later calls.
fn list_types(conn: &CallConnection, known: &Known) -> Result<Offered, String> {
    let mut offered = Offered::default();
    for row in conn.query_rows("SELECT type, extension FROM duckdb_secret_types()")? {
        let mut cells = row.into_iter().map(Option::unwrap_or_default);
        let (name, extension) = (cells.next().unwrap_or_default(), cells.next().unwrap_or_default());
        offered.secret_types.push(name);
        if !extension.is_empty() && !offered.loaded.contains(&extension) {
            offered.loaded.push(extension);
        }
    }
    known.keep(&offered);
    Ok(offered)
}

fn environment_of(offered: &Offered, state: &State, autoload: bool) -> Environment {
    let mut environment = Environment {
        secret_types: offered.secret_types.clone(),
        loaded_extensions: offered.loaded.clone(),
        extensions_unknown: at_load(),
        duckdb_version: super::running_duckdb(),
        ..Environment::default()
    };
    if autoload {
        state.extensions.widen(&mut environment);
    }
    environment
}
