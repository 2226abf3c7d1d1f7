//! sqllogictest-runner: runs DuckDB-dialect sqllogictest files through the `sqllogictest`
//! crate against libduckdb (v1.5.5), one fresh in-memory database per file.
//!
//!   sqllogictest-runner [--extension FILE] [--extension-dir DIR] [--env-file FILE]
//!                       [--root DIR] FILE_OR_DIR...
//!
//! Prints each failing record (file:line, SQL, expected, actual) and ends with the line
//! `N passed, M failed` (`, K skipped` added when files were skipped), counting files.
//! Exits non-zero when any file failed.

mod compare;
mod db;
mod dialect;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use sqllogictest::{DefaultColumnType, Runner, TestErrorKind};

use db::{Conn, Database, DbError, Mode};
use dialect::{Item, Keywords, Program, RecordKind, RecordSrc, StatementExpect};

const USAGE: &str = "usage: sqllogictest-runner [--extension FILE.duckdb_extension] \
[--extension-dir DIR] [--env-file FILE] [--root DIR] [--without-extensions A,B,...] [--skip-files A.test,B.test] FILE_OR_DIR...";

/// Extensions a `require` loads from the extension directory (other names are tried too).
const KNOWN_EXTENSIONS: &[&str] =
    &["httpfs", "aws", "azure", "postgres_scanner", "mysql_scanner", "iceberg", "ducklake", "avro"];

struct Options {
    extension: Option<PathBuf>,
    extension_dir: Option<PathBuf>,
    env_file: Option<PathBuf>,
    /// Extensions this DuckDB has no build of here (`--without-extensions`): a file that
    /// `require`s one is skipped, as DuckDB's own runner skips it, instead of failing.
    without_extensions: Vec<String>,
    /// File names this DuckDB cannot run (`--skip-files`, from versions.toml's `sql_skip`).
    skip_files: Vec<String>,
    files: Vec<PathBuf>,
}

fn parse_args() -> Result<Options, String> {
    let mut args = std::env::args().skip(1);
    let mut o = Options {
        extension: None,
        extension_dir: None,
        env_file: None,
        without_extensions: Vec::new(),
        skip_files: Vec::new(),
        files: Vec::new(),
    };
    let mut root: Option<PathBuf> = None;
    let mut rest = Vec::new();
    while let Some(a) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        match a.as_str() {
            "--extension" => o.extension = Some(value("--extension")?.into()),
            "--extension-dir" => o.extension_dir = Some(value("--extension-dir")?.into()),
            "--env-file" => o.env_file = Some(value("--env-file")?.into()),
            "--root" => root = Some(value("--root")?.into()),
            "--skip-files" => {
                o.skip_files = value("--skip-files")?.split(',').filter(|n| !n.is_empty()).map(String::from).collect()
            }
            "--without-extensions" => {
                o.without_extensions =
                    value("--without-extensions")?.split(',').filter(|n| !n.is_empty()).map(String::from).collect()
            }
            "-h" | "--help" => return Err(String::new()),
            s if s.starts_with("--") => return Err(format!("unknown option {s}")),
            _ => rest.push(PathBuf::from(a)),
        }
    }
    // Relative paths are taken from the directory the runner was started in; then the
    // process moves to --root (the repo root), which `__WORKING_DIRECTORY__` stands for.
    let cwd = std::env::current_dir().map_err(|e| e.to_string())?;
    let abs = |p: PathBuf| if p.is_absolute() { p } else { cwd.join(p) };
    o.extension = o.extension.map(abs);
    o.extension_dir = o.extension_dir.map(abs);
    o.env_file = o.env_file.map(abs);
    for f in rest {
        let f = abs(f);
        if f.is_dir() {
            let mut found = Vec::new();
            collect_tests(&f, &mut found).map_err(|e| format!("{}: {e}", f.display()))?;
            found.sort();
            o.files.extend(found);
        } else {
            o.files.push(f);
        }
    }
    if let Some(r) = root {
        std::env::set_current_dir(abs(r.clone())).map_err(|e| format!("--root {}: {e}", r.display()))?;
    }
    if o.files.is_empty() {
        return Err("no test files given".into());
    }
    Ok(o)
}

fn collect_tests(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for e in std::fs::read_dir(dir)? {
        let p = e?.path();
        if p.is_dir() {
            collect_tests(&p, out)?;
        } else if p.extension().is_some_and(|x| x == "test") {
            out.push(p);
        }
    }
    Ok(())
}

/// KEY=VALUE lines (`#` comments, optional `export `, optional matching quotes).
fn load_env_file(path: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((k, v)) = line.split_once('=') else {
            return Err(format!("{}:{}: expected KEY=VALUE", path.display(), i + 1));
        };
        let v = v.trim();
        let v = if v.len() >= 2
            && ((v.starts_with('"') && v.ends_with('"')) || (v.starts_with('\'') && v.ends_with('\'')))
        {
            &v[1..v.len() - 1]
        } else {
            v
        };
        std::env::set_var(k.trim(), v);
    }
    Ok(())
}

fn quote_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

type MakeConn = Box<dyn FnMut() -> std::future::Ready<Result<Conn, DbError>>>;

/// The state of one file's run.
struct FileRun<'a> {
    opts: &'a Options,
    path: String,
    test_dir: PathBuf,
    dbpath: Option<String>,
    readonly: bool,
    db: Arc<Database>,
    runner: Runner<Conn, MakeConn>,
    /// LOAD statements run so far, re-run after `load`/`restart` as DuckDB's runner does.
    loads: Vec<String>,
    failed_records: usize,
    ran_records: usize,
}

fn open_db(opts: &Options, test_dir: &Path, dbpath: Option<&str>, readonly: bool) -> Result<Arc<Database>, String> {
    let mut cfg: Vec<(String, String)> = vec![
        ("allow_unsigned_extensions".into(), "true".into()),
        // Nothing is downloaded, and nothing is loaded unless the file says `require`.
        ("autoinstall_known_extensions".into(), "false".into()),
        ("autoload_known_extensions".into(), "false".into()),
        // As DuckDB's test runner.
        ("allow_unredacted_secrets".into(), "true".into()),
        // Persistent secrets stay inside the file's test directory, never in ~/.duckdb.
        ("secret_directory".into(), test_dir.join("stored_secrets").display().to_string()),
    ];
    if let Some(d) = &opts.extension_dir {
        cfg.push(("extension_directory".into(), d.display().to_string()));
    }
    if readonly {
        cfg.push(("access_mode".into(), "READ_ONLY".into()));
    }
    Database::open(dbpath, &cfg)
}

fn make_runner(db: &Arc<Database>) -> Runner<Conn, MakeConn> {
    let db = db.clone();
    let make: MakeConn = Box::new(move || std::future::ready(Conn::connect(&db)));
    let mut r = Runner::new(make);
    r.with_validator(compare::validate);
    r.with_column_validator(compare::columns);
    r
}

enum Outcome {
    Passed(usize),
    Failed,
    Skipped(String),
}

impl<'a> FileRun<'a> {
    fn fail(&mut self, line: usize, msg: &str) {
        self.failed_records += 1;
        println!("FAIL {}:{line}\n{}\n", self.path, indent(msg));
    }

    /// Re-opens the database (`load`, `restart`) and re-loads the extensions.
    fn reopen(&mut self, line: usize) -> bool {
        // Close the current database first (its file lock): the crate's runner (holding the
        // connections) and our handle both move to a throwaway in-memory database.
        let placeholder = match Database::open(None, &[]) {
            Ok(d) => d,
            Err(e) => {
                self.fail(line, &e);
                return false;
            }
        };
        self.runner = make_runner(&placeholder);
        self.db = placeholder;
        match open_db(self.opts, &self.test_dir, self.dbpath.as_deref(), self.readonly) {
            Ok(db) => {
                self.db = db;
                self.runner = make_runner(&self.db);
            }
            Err(e) => {
                self.fail(line, &format!("could not open database: {e}"));
                return false;
            }
        }
        for sql in self.loads.clone() {
            if let Err(e) = Conn::connect(&self.db).and_then(|mut c| c.execute(&sql)) {
                self.fail(line, &format!("re-loading extensions after restart: {sql}: {e}"));
                return false;
            }
        }
        true
    }

    fn require(&mut self, line: usize, name: &str) -> bool {
        let sql = if name == "yamlsecrets" {
            match &self.opts.extension {
                Some(p) if p.is_file() => format!("LOAD {}", quote_literal(&p.display().to_string())),
                Some(p) => {
                    self.fail(
                        line,
                        &format!("require yamlsecrets: extension file {} does not exist (build it first)", p.display()),
                    );
                    return false;
                }
                None => {
                    self.fail(line, "require yamlsecrets: no --extension FILE given to the runner");
                    return false;
                }
            }
        } else {
            let ident = name.replace('"', "\"\"");
            format!("LOAD \"{ident}\"")
        };
        match Conn::connect(&self.db).and_then(|mut c| c.execute(&sql)) {
            Ok(_) => {
                self.loads.push(sql);
                true
            }
            Err(e) => {
                let hint = if name != "yamlsecrets" && KNOWN_EXTENSIONS.contains(&name) {
                    " (is --extension-dir set, and did scripts/test-env.sh run?)"
                } else {
                    ""
                };
                self.fail(line, &format!("require {name}: {e}{hint}"));
                false
            }
        }
    }

    fn run_record(&mut self, rec: &RecordSrc, loops: &[(String, String)]) {
        self.ran_records += 1;
        let text = rec.to_crate_text(loops);
        let sql = rec.sql_with(loops);
        let records = match sqllogictest::parse_with_name::<DefaultColumnType>(&text, self.path.as_str()) {
            Ok(r) => r,
            Err(e) => {
                self.fail(
                    rec.line,
                    &format!("harness could not hand this record to the sqllogictest crate: {e}\n[SQL] {sql}"),
                );
                return;
            }
        };
        let mode = if matches!(rec.kind, RecordKind::Query { .. }) { Mode::Query } else { Mode::Statement };
        db::MODE.with(|m| m.set(mode));
        db::INTERNAL_ERROR.with(|e| e.borrow_mut().take());
        compare::MISMATCH.with(|m| m.borrow_mut().take());
        for r in records {
            if let Err(e) = self.runner.run(r) {
                let msg = describe_failure(rec, &sql, loops, e.kind());
                self.fail(rec.line, &msg);
                return;
            }
        }
        if let Some(internal) = db::INTERNAL_ERROR.with(|e| e.borrow_mut().take()) {
            self.fail(
                rec.line,
                &format!("an INTERNAL error is never an expected error\n[SQL] {sql}\n[Actual error] {internal}"),
            );
        }
    }

    /// Runs items; returns false when the file cannot go on (a failed require or restart).
    fn run_items(&mut self, items: &[Item], loops: &mut Vec<(String, String)>) -> bool {
        for item in items {
            match item {
                Item::Record(rec) => self.run_record(rec, loops),
                Item::Require { line, name } => {
                    if !self.require(*line, name) {
                        return false;
                    }
                }
                Item::Load { line, path, readonly } => {
                    self.dbpath = path.clone().filter(|p| !p.is_empty() && p != ":memory:");
                    self.readonly = *readonly;
                    if let (Some(p), false) = (&self.dbpath, readonly) {
                        let _ = std::fs::remove_file(p);
                        let _ = std::fs::remove_file(format!("{p}.wal"));
                    }
                    if !self.reopen(*line) {
                        return false;
                    }
                }
                Item::Restart { line } => {
                    if self.dbpath.is_none() {
                        self.fail(*line, "cannot restart an in-memory database, did you forget to call \"load\"?");
                        return false;
                    }
                    if !self.reopen(*line) {
                        return false;
                    }
                }
                Item::Reconnect => self.runner = make_runner(&self.db),
                Item::Sleep(duration) => std::thread::sleep(*duration),
                Item::HashThreshold(threshold) => compare::HASH_THRESHOLD.with(|h| h.set(*threshold)),
                Item::Loop { var, values, body } => {
                    for v in values {
                        loops.push((var.clone(), v.clone()));
                        let go_on = self.run_items(body, loops);
                        loops.pop();
                        if !go_on {
                            return false;
                        }
                    }
                }
            }
        }
        true
    }
}

fn indent(s: &str) -> String {
    s.lines().map(|l| format!("  {l}")).collect::<Vec<_>>().join("\n")
}

fn describe_failure(rec: &RecordSrc, sql: &str, loops: &[(String, String)], kind: TestErrorKind) -> String {
    let loop_note = if loops.is_empty() {
        String::new()
    } else {
        let vars: Vec<String> = loops.iter().map(|(k, v)| format!("{k}={v}")).collect();
        format!(" (loop {})", vars.join(", "))
    };
    let header = match &rec.kind {
        RecordKind::Statement(StatementExpect::Ok) => "statement ok".to_string(),
        RecordKind::Statement(StatementExpect::Error(_)) => "statement error".to_string(),
        RecordKind::Query { types, sort, .. } => format!("query {types} {sort}"),
    };
    let body = match kind {
        TestErrorKind::Ok { .. } => "[Expected] an error\n[Actual] success".to_string(),
        TestErrorKind::Fail { err, .. } => format!("[Expected] success\n[Actual error] {err}"),
        TestErrorKind::ErrorMismatch { err, .. } => {
            let expected = match &rec.kind {
                RecordKind::Statement(StatementExpect::Error(Some(e))) => dialect::loop_replace(e, loops),
                _ => String::new(),
            };
            format!("[Expected error containing]\n{expected}\n[Actual error]\n{err}")
        }
        TestErrorKind::QueryResultMismatch { expected, actual, .. } => compare::MISMATCH
            .with(|m| m.borrow_mut().take())
            .unwrap_or_else(|| format!("[Expected]\n{expected}\n[Actual]\n{actual}")),
        TestErrorKind::QueryResultColumnsMismatch { expected, actual, .. } => format!(
            "wrong column count: the query line declares {} columns ({expected}), the result has {}",
            expected.len(),
            actual.len()
        ),
        other => other.display(false).to_string(),
    };
    format!("{header}{loop_note}\n[SQL] {sql}\n{body}")
}

/// The file as given relative to the working directory when it is inside it.
fn shown(file: &Path) -> String {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| file.strip_prefix(&cwd).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| file.to_path_buf())
        .display()
        .to_string()
}

fn run_file(opts: &Options, file: &Path) -> Outcome {
    let path = shown(file);
    let text = match std::fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) => {
            println!("FAIL {path}: {e}\n");
            return Outcome::Failed;
        }
    };
    let test_dir = match tempfile::Builder::new().prefix("ys-slt-").tempdir() {
        Ok(d) => d,
        Err(e) => {
            println!("FAIL {path}: cannot create a test directory: {e}\n");
            return Outcome::Failed;
        }
    };
    let mut kw = Keywords {
        test_dir: test_dir.path().display().to_string(),
        working_dir: std::env::current_dir().map(|p| p.display().to_string()).unwrap_or_default(),
        env: Default::default(),
    };
    let (items, records) = match dialect::parse(&text, &mut kw) {
        Ok(Program::Run { items, records }) => (items, records),
        Ok(Program::Skip(why)) => return Outcome::Skipped(why),
        Err(e) => {
            println!("FAIL {path}:{}\n  {}\n", e.line, e.msg);
            return Outcome::Failed;
        }
    };
    if let Some(name) = items.iter().find_map(|item| match item {
        Item::Require { name, .. } if opts.without_extensions.contains(name) => Some(name),
        _ => None,
    }) {
        return Outcome::Skipped(format!("require {name}: no build of it for this DuckDB"));
    }
    if records == 0 {
        println!("FAIL {path}: no records (no statement or query to run)\n");
        return Outcome::Failed;
    }
    let db = match open_db(opts, test_dir.path(), None, false) {
        Ok(db) => db,
        Err(e) => {
            println!("FAIL {path}: could not open DuckDB: {e}\n");
            return Outcome::Failed;
        }
    };
    compare::HASH_THRESHOLD.with(|h| h.set(0));
    let mut run = FileRun {
        opts,
        path: path.clone(),
        test_dir: test_dir.path().to_path_buf(),
        dbpath: None,
        readonly: false,
        runner: make_runner(&db),
        db,
        loads: Vec::new(),
        failed_records: 0,
        ran_records: 0,
    };
    let completed = run.run_items(&items, &mut Vec::new());
    let (failed, ran) = (run.failed_records, run.ran_records);
    drop(run); // connections and database before the test directory
    drop(test_dir);
    if failed > 0 || !completed {
        Outcome::Failed
    } else {
        Outcome::Passed(ran)
    }
}

fn main() -> ExitCode {
    let opts = match parse_args() {
        Ok(o) => o,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("sqllogictest-runner: {e}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    if let Some(f) = &opts.env_file {
        if let Err(e) = load_env_file(f) {
            eprintln!("sqllogictest-runner: --env-file: {e}");
            return ExitCode::from(2);
        }
    }
    let (mut passed, mut failed, mut skipped) = (0usize, 0usize, 0usize);
    for file in &opts.files {
        let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if opts.skip_files.contains(&name) {
            skipped += 1;
            println!("skip {}: listed for this DuckDB in versions.toml (sql_skip)", shown(file));
            continue;
        }
        let start = Instant::now();
        match run_file(&opts, file) {
            Outcome::Passed(n) => {
                passed += 1;
                println!("ok   {} ({n} records, {} ms)", shown(file), start.elapsed().as_millis());
            }
            Outcome::Failed => {
                failed += 1;
                println!("FAILED {}", shown(file));
            }
            Outcome::Skipped(why) => {
                skipped += 1;
                println!("skip {}: {why}", shown(file));
            }
        }
    }
    if skipped > 0 {
        println!("{passed} passed, {failed} failed, {skipped} skipped");
    } else {
        println!("{passed} passed, {failed} failed");
    }
    if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
