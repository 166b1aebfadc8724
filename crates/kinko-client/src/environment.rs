//! The environment `kinko exec` gives its command.
//!
//! Sources, lowest precedence first; a later one replaces an earlier one's
//! variable of the same name, and every such clash is reported (names and
//! origins only, never values):
//!
//! 1. the inherited environment;
//! 2. each `--env-file`, in the order given;
//! 3. each `--path`, in the order given (within one path, parameters in
//!    name order).
//!
//! Then every variable from 1 or 2 whose whole value is a reference (see
//! `kinko_model::references`) is replaced by the resolved value, all of them
//! in one batch. Values loaded from paths are never treated as references.
//! A reference that does not resolve fails the run with `strict`; without
//! it, the variable is left out of the environment (rather than passing the
//! reference text to a program that expects a password) and a warning names
//! it. A Serverless fallback (`${ssm:/x, 'default'}`) is used when the
//! target does not exist.

use std::collections::BTreeMap;
use std::ffi::OsString;

use futures::future::join_all;
use kinko_crypto::SecretString;
use kinko_model::references::{self, Lookup, ReferenceError};
use kinko_model::value_source::{ResolveError, ValueSource};

use crate::dotenv;
use crate::env_names::{NameRule, env_name, is_valid_env_name};

/// An env file's name (for messages) and text.
pub struct EnvFile {
    pub label: String,
    pub text: String,
}

/// What `kinko exec` was asked to load.
#[derive(Debug, Default, Clone)]
pub struct ExecRequest {
    pub paths: Vec<String>,
    pub strict: bool,
    pub names: NameRule,
}

/// Where a variable's value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Inherited,
    EnvFile { file: String, line: usize },
    Parameter { name: String },
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Inherited => write!(f, "the inherited environment"),
            Origin::EnvFile { file, line } => write!(f, "{file}:{line}"),
            Origin::Parameter { name } => write!(f, "parameter {name}"),
        }
    }
}

/// The finished environment, and what to tell the user about it.
#[derive(Debug, Default)]
pub struct Environment {
    pub vars: BTreeMap<String, SecretString>,
    /// Inherited variables that are not UTF-8: passed on untouched.
    pub passthrough: Vec<(OsString, OsString)>,
    /// Clashes and unresolved references (without `strict`). No values.
    pub notes: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    #[error("{file}: {source}")]
    EnvFile {
        file: String,
        source: dotenv::DotenvError,
    },
    #[error("{file}:{line}: `{key}` is not a valid environment variable name")]
    BadName {
        file: String,
        line: usize,
        key: String,
    },
    #[error("--path {path}: {source}")]
    Path { path: String, source: ResolveError },
    #[error("--path {path}: no parameters found (--strict)")]
    EmptyPath { path: String },
    #[error("{}", join_lines(.0))]
    Unresolved(Vec<String>),
}

fn join_lines(lines: &[String]) -> String {
    lines.join("\n")
}

struct Var {
    value: SecretString,
    origin: Origin,
}

/// Builds the environment. `inherited` is the caller's own environment.
pub async fn build(
    source: &dyn ValueSource,
    inherited: impl IntoIterator<Item = (OsString, OsString)>,
    env_files: &[EnvFile],
    request: &ExecRequest,
) -> Result<Environment, ExecError> {
    let mut environment = Environment::default();
    let mut vars: BTreeMap<String, Var> = BTreeMap::new();
    for (key, value) in inherited {
        match (key.into_string(), value.into_string()) {
            (Ok(key), Ok(value)) => {
                vars.insert(
                    key,
                    Var {
                        value: SecretString::new(value),
                        origin: Origin::Inherited,
                    },
                );
            }
            (key, value) => environment.passthrough.push((
                key.map(OsString::from).unwrap_or_else(|k| k),
                value.map(OsString::from).unwrap_or_else(|v| v),
            )),
        }
    }
    let mut notes = Vec::new();

    for file in env_files {
        let entries = dotenv::parse(&file.text).map_err(|source| ExecError::EnvFile {
            file: file.label.clone(),
            source,
        })?;
        for entry in entries {
            if !is_valid_env_name(&entry.key) {
                return Err(ExecError::BadName {
                    file: file.label.clone(),
                    line: entry.line,
                    key: entry.key,
                });
            }
            let origin = Origin::EnvFile {
                file: file.label.clone(),
                line: entry.line,
            };
            set(&mut vars, &mut notes, entry.key, entry.value, origin);
        }
    }

    // Every path at once.
    let listings = join_all(request.paths.iter().map(|p| source.parameters_by_path(p))).await;
    for (path, listing) in request.paths.iter().zip(listings) {
        let parameters = listing.map_err(|source| ExecError::Path {
            path: path.clone(),
            source,
        })?;
        if parameters.is_empty() {
            if request.strict {
                return Err(ExecError::EmptyPath { path: path.clone() });
            }
            notes.push(format!("--path {path}: no parameters found"));
        }
        for parameter in parameters {
            let Some(name) = env_name(path, &parameter.name, &request.names) else {
                continue;
            };
            let origin = Origin::Parameter {
                name: parameter.name,
            };
            set(&mut vars, &mut notes, name, parameter.value, origin);
        }
    }

    resolve_references(source, &mut vars, &mut notes, request.strict).await?;
    environment.vars = vars.into_iter().map(|(k, v)| (k, v.value)).collect();
    environment.notes = notes;
    Ok(environment)
}

fn set(
    vars: &mut BTreeMap<String, Var>,
    notes: &mut Vec<String>,
    name: String,
    value: SecretString,
    origin: Origin,
) {
    if let Some(previous) = vars.get(&name)
        && previous.origin != Origin::Inherited
    {
        notes.push(format!(
            "{name}: {origin} replaces {} (later sources win)",
            previous.origin
        ));
    } else if vars.contains_key(&name) && matches!(origin, Origin::Parameter { .. }) {
        notes.push(format!(
            "{name}: {origin} replaces the inherited environment"
        ));
    }
    vars.insert(name, Var { value, origin });
}

/// Replaces reference values (from the inherited environment and env
/// files) in one batch.
async fn resolve_references(
    source: &dyn ValueSource,
    vars: &mut BTreeMap<String, Var>,
    notes: &mut Vec<String>,
    strict: bool,
) -> Result<(), ExecError> {
    let mut wanted: Vec<(String, Lookup)> = Vec::new();
    // (variable, message): the message names the variable, never a value.
    let mut failures: Vec<(String, String)> = Vec::new();
    for (name, var) in vars.iter() {
        if matches!(var.origin, Origin::Parameter { .. }) {
            continue;
        }
        match references::parse_value(var.value.expose()) {
            None => {}
            Some(Ok(lookup)) => wanted.push((name.clone(), lookup)),
            Some(Err(ReferenceError { reference, reason })) => failures.push((
                name.clone(),
                format!(
                    "{name} (from {}): bad reference `{reference}`: {reason}",
                    var.origin
                ),
            )),
        }
    }
    let mut unique: Vec<references::Reference> =
        wanted.iter().map(|(_, l)| l.reference.clone()).collect();
    unique.sort();
    unique.dedup();
    let results = source.resolve(&unique).await;
    let resolved: BTreeMap<&references::Reference, &Result<SecretString, ResolveError>> =
        unique.iter().zip(results.iter()).collect();
    for (name, lookup) in &wanted {
        let result = resolved.get(&lookup.reference);
        let value = match (result, &lookup.default) {
            (Some(Ok(value)), _) => value.clone(),
            (Some(Err(e)), Some(default)) if e.is_not_found() => SecretString::new(default.clone()),
            (Some(Err(e)), _) => {
                let origin = vars
                    .get(name)
                    .map(|v| v.origin.to_string())
                    .unwrap_or_default();
                failures.push((name.clone(), format!("{name} (from {origin}): {e}")));
                continue;
            }
            (None, _) => continue,
        };
        if let Some(var) = vars.get_mut(name) {
            var.value = value;
        }
    }
    if failures.is_empty() {
        return Ok(());
    }
    if strict {
        return Err(ExecError::Unresolved(
            failures.into_iter().map(|(_, m)| m).collect(),
        ));
    }
    for (name, message) in failures {
        vars.remove(&name);
        notes.push(format!("{message}; left unset"));
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use kinko_model::fake::FakeSource;

    fn os(pairs: &[(&str, &str)]) -> Vec<(OsString, OsString)> {
        pairs
            .iter()
            .map(|(k, v)| (OsString::from(k), OsString::from(v)))
            .collect()
    }

    fn shown(env: &Environment) -> Vec<(String, String)> {
        env.vars
            .iter()
            .map(|(k, v)| (k.clone(), v.expose().to_owned()))
            .collect()
    }

    fn source() -> FakeSource {
        FakeSource::new(&[
            ("/app/prod/db/password", "pw-prod"),
            ("/app/prod/db/host", "db.prod"),
            ("/app/prod/region", "eu"),
            ("/app/shared/region", "us"),
            ("/app/token", "tok"),
        ])
        .with_secret("db", r#"{"user":"app","password":"s3cret"}"#)
    }

    #[tokio::test]
    async fn paths_env_files_and_references_with_precedence() {
        let files = [EnvFile {
            label: ".env".into(),
            text: "DB_HOST=local\nTOKEN=ssm:/app/token\nUSER=secretsmanager:db#user\nPLAIN=x\n"
                .into(),
        }];
        let request = ExecRequest {
            paths: vec!["/app/shared".into(), "/app/prod".into()],
            ..ExecRequest::default()
        };
        let env = build(
            &source(),
            os(&[
                ("HOME", "/root"),
                ("REGION", "inherited"),
                ("CFN", "{{resolve:ssm:/app/token}}"),
            ]),
            &files,
            &request,
        )
        .await
        .unwrap();
        assert_eq!(
            shown(&env),
            vec![
                ("CFN".into(), "tok".into()),
                ("DB_HOST".into(), "db.prod".into()),
                ("DB_PASSWORD".into(), "pw-prod".into()),
                ("HOME".into(), "/root".into()),
                ("PLAIN".into(), "x".into()),
                ("REGION".into(), "eu".into()),
                ("TOKEN".into(), "tok".into()),
                ("USER".into(), "app".into()),
            ]
        );
        let notes = env.notes.join("\n");
        assert!(
            notes.contains("DB_HOST: parameter /app/prod/db/host replaces .env:1"),
            "{notes}"
        );
        assert!(
            notes.contains(
                "REGION: parameter /app/prod/region replaces parameter /app/shared/region"
            ),
            "{notes}"
        );
        assert!(
            notes.contains(
                "REGION: parameter /app/shared/region replaces the inherited environment"
            ),
            "{notes}"
        );
        assert!(!notes.contains("pw-prod") && !notes.contains("db.prod"));
    }

    #[tokio::test]
    async fn references_are_fetched_in_one_batch() {
        let source = source();
        let env = build(
            &source,
            os(&[
                ("A", "ssm:/app/token"),
                ("B", "ssm:/app/token"),
                ("C", "ssm:/app/prod/region"),
            ]),
            &[],
            &ExecRequest::default(),
        )
        .await
        .unwrap();
        assert_eq!(env.vars["A"].expose(), "tok");
        assert_eq!(env.vars["C"].expose(), "eu");
        // Two distinct references, one resolve call.
        assert_eq!(source.resolve_calls(), vec![2]);
    }

    #[tokio::test]
    async fn unresolved_references_fail_strict_and_are_unset_otherwise() {
        let inherited = os(&[
            ("MISSING", "ssm:/app/missing"),
            ("BAD", "ssm:/app/d b"),
            ("FALLBACK", "${ssm:/app/missing, 'dflt'}"),
            ("ESCAPED", "\\ssm:/app/token"),
        ]);
        let err = build(
            &source(),
            inherited.clone(),
            &[],
            &ExecRequest {
                strict: true,
                ..ExecRequest::default()
            },
        )
        .await
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("MISSING (from the inherited environment): `ssm:/app/missing`: not found"),
            "{err}"
        );
        assert!(
            err.contains("BAD (from the inherited environment): bad reference `ssm:/app/d b`"),
            "{err}"
        );

        let env = build(&source(), inherited, &[], &ExecRequest::default())
            .await
            .unwrap();
        assert_eq!(
            shown(&env),
            vec![
                ("ESCAPED".into(), "\\ssm:/app/token".into()),
                ("FALLBACK".into(), "dflt".into()),
            ]
        );
        assert!(
            env.notes
                .iter()
                .any(|n| n.starts_with("MISSING") && n.ends_with("left unset"))
        );
    }

    #[tokio::test]
    async fn empty_paths_warn_or_fail_and_bad_env_files_name_the_line() {
        let empty = ExecRequest {
            paths: vec!["/nothing".into()],
            ..ExecRequest::default()
        };
        let env = build(&source(), vec![], &[], &empty).await.unwrap();
        assert_eq!(env.notes, vec!["--path /nothing: no parameters found"]);
        let strict = ExecRequest {
            strict: true,
            ..empty
        };
        assert!(matches!(
            build(&source(), vec![], &[], &strict).await,
            Err(ExecError::EmptyPath { .. })
        ));
        let files = [EnvFile {
            label: "x.env".into(),
            text: "OK=1\nBAD-NAME=2\n".into(),
        }];
        let err = build(&source(), vec![], &files, &ExecRequest::default())
            .await
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "x.env:2: `BAD-NAME` is not a valid environment variable name"
        );
    }
}
