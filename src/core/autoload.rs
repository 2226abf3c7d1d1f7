//! Which DuckDB extensions a load brings in before it creates its secrets, and how: exactly
//! what DuckDB's own `CREATE SECRET` does for a type whose extension is not loaded, under the
//! database's `autoload_known_extensions` / `autoinstall_known_extensions` settings, and
//! nothing more. (DuckDB's `SecretManager` looks the type up, and when it is unknown calls
//! `ExtensionHelper::TryAutoloadFromEntry`: with autoload on, a known autoloadable extension
//! is installed first when autoinstall is on, from `autoinstall_extension_repository`, then
//! loaded.)
//!
//! yamlsecrets runs that LOAD (and INSTALL) itself, before the call's trial, rather than
//! leaving it to the first CREATE SECRET: the validator must know the type's parameters
//! before anything runs, and an extension that still cannot be loaded then gets the same
//! clear error as one that autoload would not bring, instead of a refusal halfway through.

use std::collections::HashSet;

use super::catalog;
use super::diagnostics::{self, Diagnostic, Severity};
use super::request::Environment;
use super::secret::Secret;
use super::sql_text::{quote_ident, quote_literal, NulByte};

/// Extensions that register secret types and that DuckDB autoloads (its
/// `AUTOLOADABLE_EXTENSIONS`, as far as the catalogue's extensions go).
pub const AUTOLOADABLE: &[&str] =
    &["httpfs", "aws", "azure", "postgres_scanner", "mysql_scanner", "iceberg", "ducklake", "motherduck"];

/// What the database says about its extensions and its autoload policy.
#[derive(Debug, Clone, Default)]
pub struct Extensions {
    pub loaded: Vec<String>,
    /// Installed in the extension directory (loaded or not).
    pub installed: Vec<String>,
    /// `autoload_known_extensions`.
    pub autoload: bool,
    /// `autoinstall_known_extensions`.
    pub autoinstall: bool,
    /// `autoinstall_extension_repository` (empty: DuckDB's default).
    pub repository: String,
    /// The extensions could not be listed (during `LOAD yamlsecrets`): bring nothing.
    pub unknown: bool,
}

/// How an extension that is not loaded would come in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bring {
    Load,
    InstallAndLoad,
}

fn has(list: &[String], name: &str) -> bool {
    list.iter().any(|e| e.eq_ignore_ascii_case(name))
}

impl Extensions {
    /// `None`: loaded already, or DuckDB would not bring it in by itself.
    pub fn bring(&self, extension: &str) -> Option<Bring> {
        if self.unknown || !self.autoload || !AUTOLOADABLE.contains(&extension) || has(&self.loaded, extension) {
            return None;
        }
        if has(&self.installed, extension) {
            Some(Bring::Load)
        } else if self.autoinstall {
            Some(Bring::InstallAndLoad)
        } else {
            None
        }
    }

    /// The environment validation sees: an extension a load would bring in counts as loaded,
    /// and the catalogue's types it registers as registered.
    pub fn widen(&self, environment: &mut Environment) {
        for entry in catalog::SECRET_TYPES {
            let type_extension = entry.registered_by();
            let extensions = std::iter::once(type_extension).chain(entry.providers.iter().map(|p| p.extension));
            for extension in extensions {
                if self.bring(extension).is_some() && !has(&environment.loaded_extensions, extension) {
                    environment.loaded_extensions.push(extension.to_string());
                }
            }
            if self.bring(type_extension).is_some() && !has(&environment.secret_types, entry.name) {
                environment.secret_types.push(entry.name.to_string());
            }
        }
    }
}

/// An extension a load brings in, and the secrets that need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Need {
    pub extension: String,
    pub bring: Bring,
    pub secrets: Vec<String>,
}

/// `needs` as warnings on each secret's `type`, for `secrets_check` and the load's
/// `warnings`, added to `findings` within its bound: a file of 10 000 s3 secrets needs httpfs
/// 10 000 times, and past the first findings they are only counted.
pub fn add_notes(needs: &[Need], secrets: &[Secret], file: &str, findings: &mut Vec<Diagnostic>) {
    for need in needs {
        // A need lists its secrets in file order: one walk finds each one's position.
        let mut rest = secrets.iter();
        for name in &need.secrets {
            let at = rest.find(|s| &s.name == name).map(|s| s.at);
            if diagnostics::is_full(findings) {
                diagnostics::omit(findings, file, Severity::Warning);
            } else {
                findings.push(Diagnostic::warning(file, at, need.note()).in_secret(name).in_field("type"));
            }
        }
    }
}

/// The extensions the secrets need that are not loaded and that DuckDB would bring in, in
/// the order they are first needed.
pub fn needs(secrets: &[Secret], extensions: &Extensions) -> Vec<Need> {
    let mut out: Vec<Need> = Vec::new();
    // (extension, secret) pairs already listed: a name may be declared twice in list form.
    let mut listed: HashSet<(&str, &str)> = HashSet::new();
    for secret in secrets {
        let Some(entry) = catalog::secret_type(&secret.type_name) else { continue };
        let provider = secret.provider.as_deref().unwrap_or(entry.default_provider);
        let wanted = [Some(entry.registered_by()), entry.provider(provider).map(|spec| spec.extension)];
        for extension in wanted.into_iter().flatten() {
            let Some(bring) = extensions.bring(extension) else { continue };
            if !listed.insert((extension, &secret.name)) {
                continue;
            }
            match out.iter_mut().find(|n| n.extension == extension) {
                Some(need) => need.secrets.push(secret.name.clone()),
                None => out.push(Need { extension: extension.into(), bring, secrets: vec![secret.name.clone()] }),
            }
        }
    }
    out
}

impl Need {
    /// What a dry run, `secrets_check` and the load's `warnings` say about it.
    pub fn note(&self) -> String {
        let e = &self.extension;
        match self.bring {
            Bring::Load => format!(
                "needs the {e} extension, which is installed but not loaded: a load runs LOAD {e} first, as \
                 DuckDB's own CREATE SECRET does (autoload_known_extensions is true)"
            ),
            Bring::InstallAndLoad => format!(
                "needs the {e} extension, which is not installed: a load runs INSTALL {e} and LOAD {e} first, as \
                 DuckDB's own CREATE SECRET does (autoinstall_known_extensions and autoload_known_extensions are \
                 true)"
            ),
        }
    }

    /// The statements that bring it in.
    pub fn statements(&self, extensions: &Extensions) -> Result<Vec<String>, NulByte> {
        let name = quote_ident(&self.extension)?;
        let mut out = Vec::new();
        if self.bring == Bring::InstallAndLoad {
            let from = if extensions.repository.is_empty() {
                String::new()
            } else {
                format!(" FROM {}", quote_literal(&extensions.repository)?)
            };
            out.push(format!("INSTALL {name}{from}"));
        }
        out.push(format!("LOAD {name}"));
        Ok(out)
    }

    /// The error when it could not be brought in: the one a load gives for an extension that
    /// is not loaded, with DuckDB's reason.
    pub fn failure(&self, duckdb_message: &str) -> String {
        let e = &self.extension;
        let names: Vec<String> = self.secrets.iter().map(|s| format!("'{s}'")).collect();
        let what = if self.bring == Bring::Load { "loading" } else { "installing and loading" };
        format!(
            "yamlsecrets: secret {} needs the {e} extension, which is not loaded, and {what} it as DuckDB's \
             autoload settings ask failed: {duckdb_message}\nrun INSTALL {e}; LOAD {e}; nothing of this call was \
             applied",
            names.join(", ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::diagnostics::Location;

    fn secret(name: &str, type_name: &str, provider: Option<&str>) -> Secret {
        Secret {
            name: name.into(),
            type_name: type_name.into(),
            provider: provider.map(str::to_string),
            scope: Vec::new(),
            persistent: false,
            storage: None,
            params: Vec::new(),
            at: Location::default(),
            sources: Vec::new(),
        }
    }

    fn extensions(installed: &[&str], autoload: bool, autoinstall: bool) -> Extensions {
        Extensions {
            loaded: vec!["parquet".into()],
            installed: installed.iter().map(|s| s.to_string()).collect(),
            autoload,
            autoinstall,
            ..Extensions::default()
        }
    }

    #[test]
    fn brings_only_what_duckdb_would() {
        let on = extensions(&["httpfs"], true, false);
        assert_eq!(on.bring("httpfs"), Some(Bring::Load));
        assert_eq!(on.bring("aws"), None, "not installed, autoinstall off");
        assert_eq!(on.bring("core"), None);
        assert_eq!(on.bring("parquet"), None, "loaded already");
        assert_eq!(extensions(&["httpfs"], false, true).bring("httpfs"), None, "autoload off");
        assert_eq!(extensions(&[], true, true).bring("aws"), Some(Bring::InstallAndLoad));
        assert_eq!(extensions(&["unknown_ext"], true, true).bring("unknown_ext"), None);
        let unknown = Extensions { unknown: true, ..extensions(&["httpfs"], true, true) };
        assert_eq!(unknown.bring("httpfs"), None);
    }

    #[test]
    fn needs_group_secrets_by_extension() {
        let secrets = [
            secret("a", "s3", None),
            secret("b", "s3", Some("credential_chain")),
            secret("c", "http", None),
            secret("d", "postgres", None),
        ];
        let found = needs(&secrets, &extensions(&["httpfs", "aws"], true, false));
        assert_eq!(
            found,
            vec![
                Need { extension: "httpfs".into(), bring: Bring::Load, secrets: vec!["a".into(), "b".into()] },
                Need { extension: "aws".into(), bring: Bring::Load, secrets: vec!["b".into()] },
            ]
        );
        assert!(needs(&secrets, &extensions(&["httpfs"], false, false)).is_empty());
    }

    #[test]
    fn notes_are_bounded_like_every_finding() {
        let secrets: Vec<Secret> = (0..250).map(|i| secret(&format!("s{i}"), "s3", None)).collect();
        let found = needs(&secrets, &extensions(&["httpfs"], true, false));
        assert_eq!(found[0].secrets.len(), 250);
        let mut findings = Vec::new();
        add_notes(&found, &secrets, "f.yaml", &mut findings);
        assert_eq!(findings.len(), diagnostics::MAX_FINDINGS + 1, "the first findings and one summary");
        assert_eq!(findings[0].secret.as_deref(), Some("s0"));
        assert_eq!(findings[99].secret.as_deref(), Some("s99"));
        let summary = &findings[diagnostics::MAX_FINDINGS].message;
        assert!(summary.contains("150 more warnings"), "{summary}");
    }

    #[test]
    fn statements_follow_the_repository_setting() {
        let need = Need { extension: "httpfs".into(), bring: Bring::InstallAndLoad, secrets: vec!["a".into()] };
        let mut ext = extensions(&[], true, true);
        assert_eq!(need.statements(&ext).unwrap(), vec!["INSTALL \"httpfs\"", "LOAD \"httpfs\""]);
        ext.repository = "/repo/it's".into();
        assert_eq!(need.statements(&ext).unwrap(), vec!["INSTALL \"httpfs\" FROM '/repo/it''s'", "LOAD \"httpfs\""]);
        let message = need.failure("no network");
        assert!(message.contains("secret 'a' needs the httpfs extension") && message.contains("INSTALL httpfs"));
    }

    #[test]
    fn widening_makes_validation_accept_the_types() {
        let mut environment = Environment { secret_types: vec!["http".into()], ..Environment::default() };
        extensions(&["httpfs"], true, false).widen(&mut environment);
        assert!(environment.secret_types.iter().any(|t| t == "s3"));
        assert!(environment.loaded_extensions.iter().any(|e| e == "httpfs"));
        assert!(!environment.secret_types.iter().any(|t| t == "postgres"));
    }
}
