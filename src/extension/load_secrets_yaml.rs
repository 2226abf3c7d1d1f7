//! `load_secrets_yaml(path, …)`: validates the whole file, then creates every secret, all
//! or nothing; one row per secret, with the warnings that concern it. Bind only reads arguments: the file is read and the
//! secrets are created once, when the query executes (EXPLAIN, DESCRIBE and PREPARE bind
//! without executing, and clients may bind a query more than once).

use duckdb::core::DataChunkHandle;
use duckdb::vtab::{BindInfo, InitInfo, TableFunctionInfo, VTab};

use super::apply;
use super::args::{self, Bound, CallArgs, ALLOW_COMMANDS, DRY_RUN, ENV_FILE, KEY, NAMES, PATH, PERSISTENT, REPLACE};
use super::connection::CallConnection;
use super::environment;
use super::functions::{declared_parameters, table_row, Declared, Signature};
use super::output::Pending;
use super::provenance::{self, now_micros};
use super::Shared;
use crate::core::autoload;
use crate::core::catalog;
use crate::core::diagnostics::{error_report, Diagnostic, Severity};
use crate::core::plan;
use crate::core::provenance::Record;
use crate::core::render;
use crate::core::secret::Secret;
use crate::core::secret_value::Scrubber;
use crate::core::validate;

pub struct LoadSecretsYaml;

impl Declared for LoadSecretsYaml {
    const SIGNATURE: Signature = Signature {
        name: "load_secrets_yaml",
        positional: &[PATH],
        named: &[
            DRY_RUN.param,
            PERSISTENT.param,
            REPLACE.param,
            KEY.param,
            NAMES.param,
            ENV_FILE.param,
            ALLOW_COMMANDS.param,
        ],
    };
    type Row = LoadRow;
}

table_row! {
    /// One secret of the file, with the warnings that concern it.
    pub struct LoadRow {
        name: String,
        r#type: String,
        provider: Option<String>,
        scope: Vec<String>,
        persistent: bool,
        storage: String,
        action: String,
        source: String,
        sql: String,
        warnings: Vec<String>,
    }
}

impl VTab for LoadSecretsYaml {
    type BindData = Bound;
    type InitData = Pending<LoadRow>;

    fn bind(bind: &BindInfo) -> Result<Bound, Box<dyn std::error::Error>> {
        Ok(args::bind_call::<Self>(bind)?)
    }

    fn init(_: &InitInfo) -> Result<Pending<LoadRow>, Box<dyn std::error::Error>> {
        Ok(Pending::default())
    }

    fn func(info: &TableFunctionInfo<Self>, output: &mut DataChunkHandle) -> Result<(), Box<dyn std::error::Error>> {
        let bound = info.get_bind_data();
        info.get_init_data()
            .emit(output, || bound.shared.database.with_connection(|conn| load(conn, &bound.args, &bound.shared)))
    }

    declared_parameters!();
}

pub(super) fn load(conn: &CallConnection, args: &CallArgs, shared: &Shared) -> Result<Vec<LoadRow>, String> {
    super::test_hook_panic("call");
    let mut state = apply::checked_state(conn, !args.dry_run)?;
    apply::read_existing(conn, &mut state)?;
    let (_, mut outcome) = environment::validated(conn, &mut state, &shared.known, true, |environment| {
        validate::validate_file(&args.request, environment)
    })?;
    if outcome.has_errors() {
        return Err(error_report(&outcome.diagnostics));
    }
    let needs = autoload::needs(&outcome.secrets, &state.extensions);
    autoload::add_notes(&needs, &outcome.secrets, &args.request.file, &mut outcome.diagnostics);
    // In any storage: the load replaces a same-named secret wherever it is (core::plan).
    let existing = plan::existing_names(&state);
    let exists = |secret: &Secret| existing.contains(&secret.name.to_ascii_lowercase());

    let mut scrubber = Scrubber::new();
    let mut rows = Vec::new();
    for secret in &outcome.secrets {
        for value in secret.values_to_scrub() {
            scrubber.add(&value);
        }
        let source = format!("{}:{}", args.request.file, secret.at.line);
        let redacted = render::create_secret(secret, args.replace)
            .map_err(|_| {
                format!("yamlsecrets: secret '{}' ({source}) holds a NUL byte, which DuckDB cannot store", secret.name)
            })?
            .redacted;
        let provider = secret
            .provider
            .clone()
            .or_else(|| catalog::secret_type(&secret.type_name).map(|t| t.default_provider.to_string()));
        let storage = secret
            .storage
            .clone()
            .unwrap_or_else(|| if secret.persistent { "local_file" } else { "memory" }.to_string());
        let action = if args.dry_run {
            "dry_run"
        } else if exists(secret) {
            "replaced"
        } else {
            "created"
        };
        rows.push(LoadRow {
            name: secret.name.clone(),
            r#type: secret.type_name.clone(),
            provider,
            scope: secret.scope.clone(),
            persistent: secret.persistent,
            storage,
            action: action.to_string(),
            source,
            sql: redacted,
            warnings: warnings_for(&outcome.diagnostics, &secret.name),
        });
    }
    let tag = apply::call_tag();
    apply::probe_storages(conn, &outcome.secrets, &mut state, &tag)?;
    let mut plan = plan::plan_load(&outcome.secrets, &args.request.file, args.replace, &state, &tag)?;
    if args.dry_run {
        return Ok(rows);
    }
    let loaded_at = now_micros();
    let origin = provenance::origin(&args.request, &outcome);
    let records: Vec<Record> = outcome.secrets.iter().map(|s| Record::new(s, &origin, loaded_at)).collect();
    // Persistent secrets keep theirs on disk, written in the same all-or-nothing step.
    plan.set_records(&records.iter().filter(|r| r.persistent).map(|r| (r.name.clone(), r.to_json())).collect());
    apply::bring_extensions(conn, &needs, &state, &scrubber)?;
    apply::run_plan(conn, &plan, &scrubber)?;
    shared.loaded.remember(records);
    Ok(rows)
}

/// The warnings a load would otherwise keep to itself (a literal credential, a file others
/// can read, an ignored field, a value DuckDB shows in clear): the secret's own, and the
/// file's, which concern every secret in it (and the extension a load brings in for it).
fn warnings_for(diagnostics: &[Diagnostic], name: &str) -> Vec<String> {
    diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Warning && d.secret.as_deref().is_none_or(|s| s == name))
        .map(ToString::to_string)
        .collect()
}
