//! The thin layer that touches DuckDB: one file per SQL function, the per-call connection,
//! and the all-or-nothing application of a batch.

mod apply;
mod args;
mod connection;
mod duckdb_rs_compat;
mod environment;
mod functions;
mod load_secrets_yaml;
mod output;
mod provenance;
mod secrets_check;
mod startup;
mod test_secrets_yaml;
mod unload_secrets_yaml;
mod yaml_secrets;
mod yamlsecrets_types;

pub use connection::Database;

use duckdb::Connection;

use self::functions::{Declared, DeclaredScalar};
use crate::core::duckdb_versions::{self, DuckdbVersion};

/// What every function of one database shares: the database, what was loaded into it, and
/// what it is known to offer.
#[derive(Clone)]
pub struct Shared {
    pub database: Database,
    pub loaded: provenance::Loaded,
    pub known: environment::Known,
}

impl Shared {
    /// The `Shared` every function is registered with (see `register`).
    pub fn from_bind(bind: &duckdb::vtab::BindInfo) -> Shared {
        // SAFETY: every table function that calls this was registered with a `Shared` as
        // its extra info, which DuckDB keeps alive as long as the function exists.
        unsafe { &*bind.get_extra_info::<Shared>() }.clone()
    }
}

/// The DuckDB this process runs (one library per process, so one value for every database),
/// set at LOAD from `duckdb_library_version()`.
static RUNNING_DUCKDB: std::sync::OnceLock<DuckdbVersion> = std::sync::OnceLock::new();

pub fn running_duckdb() -> Option<DuckdbVersion> {
    RUNNING_DUCKDB.get().copied()
}

/// Reads the running DuckDB's version at LOAD and refuses a series this build was not tested
/// with (see `duckdb_versions::may_run_on`; `YAMLSECRETS_LOADS_IN` comes from versions.toml).
pub fn check_running_duckdb() -> Result<DuckdbVersion, String> {
    // SAFETY: duckdb_library_version returns a static NUL-terminated string (or null).
    let raw = unsafe { duckdb::ffi::duckdb_library_version() };
    let text = if raw.is_null() {
        String::new()
    } else {
        unsafe { std::ffi::CStr::from_ptr(raw) }.to_string_lossy().into_owned()
    };
    let version = DuckdbVersion::parse(&text)
        .ok_or_else(|| format!("yamlsecrets could not read the DuckDB version (got {text:?})"))?;
    duckdb_versions::may_run_on(version, env!("YAMLSECRETS_LOADS_IN"))?;
    let _ = RUNNING_DUCKDB.set(version);
    Ok(version)
}

/// Runs one call's work, turning a panic into an error. duckdb-rs 1.5 and later catch panics
/// in every callback, but 1.4 (the LTS builds) does not, and a panic unwinding into DuckDB
/// aborts the host process. The payload is not shown: it could quote a value.
pub fn without_panics<R>(work: impl FnOnce() -> Result<R, String>) -> Result<R, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)).unwrap_or_else(|_| {
        Err("yamlsecrets stopped on an internal error (a bug: please report it); its connection was closed, \
             which rolls back anything of this call not yet committed"
            .into())
    })
}

/// A test hook, documented in SECURITY.md: with `YAMLSECRETS_TEST_PANIC=<place>` set in the
/// environment, the extension panics at that place (`load`: the entrypoint; `call`: inside
/// `load_secrets_yaml`'s execution), so tests can prove a panic becomes a SQL error and the
/// host process lives on.
pub fn test_hook_panic(place: &str) {
    if std::env::var("YAMLSECRETS_TEST_PANIC").is_ok_and(|p| p == place) {
        panic!("yamlsecrets test hook: YAMLSECRETS_TEST_PANIC={place}");
    }
}

/// Loads the files `YAMLSECRETS_FILE` names, then registers every SQL function on the
/// loading connection.
pub fn register(conn: &Connection, database: Database) -> Result<(), String> {
    let shared = Shared { database, loaded: provenance::Loaded::default(), known: environment::Known::default() };
    without_panics(|| startup::load_named_files(&shared))?;
    register_functions(conn, &shared).map_err(|e| format!("yamlsecrets failed to register its functions: {e}"))
}

fn register_functions(conn: &Connection, shared: &Shared) -> duckdb::Result<()> {
    register_table::<load_secrets_yaml::LoadSecretsYaml>(conn, shared)?;
    register_table::<unload_secrets_yaml::UnloadSecretsYaml>(conn, shared)?;
    register_table::<secrets_check::SecretsCheckTable>(conn, shared)?;
    register_table::<secrets_check::SecretsCheckDrift>(conn, shared)?;
    register_scalar::<secrets_check::SecretsCheckScalar>(conn, shared)?;
    register_table::<yaml_secrets::YamlSecrets>(conn, shared)?;
    register_table::<test_secrets_yaml::TestSecretsYaml>(conn, shared)?;
    conn.register_table_function::<yamlsecrets_types::YamlsecretsTypes>(
        <yamlsecrets_types::YamlsecretsTypes as Declared>::SIGNATURE.name,
    )
}

/// Registers a table function under its declared name, with the database's `Shared` as
/// extra info (see `Shared::from_bind`); duckdb-rs reads its parameters from the `VTab`.
fn register_table<T: Declared>(conn: &Connection, shared: &Shared) -> duckdb::Result<()> {
    conn.register_table_function_with_extra_info::<T, _>(T::SIGNATURE.name, shared)
}

fn register_scalar<T: DeclaredScalar<State = Shared>>(conn: &Connection, shared: &Shared) -> duckdb::Result<()> {
    conn.register_scalar_function_with_state::<T>(T::SIGNATURE.name, shared)
}
