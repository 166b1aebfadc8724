//! Whole stages at once: `kinko import`, `export` and `diff`.
//!
//! A stage is either a parameter path (`/app/staging`: every parameter
//! under it, by name relative to the path) or a Secrets Manager secret
//! holding one JSON object (its keys).

use futures::StreamExt;
use kinko_crypto::SecretString;
use kinko_model::references::{Reference, SecretRef};
use kinko_model::value_source::{ResolveError, ValueSource};
use serde::Serialize;

use crate::env_names::relative_name;
use crate::formats::{self, Entries, Format};
use crate::sdk_source::error_kind;

/// How many writes an import keeps in flight.
const CONCURRENT_WRITES: usize = 8;

#[derive(Debug, thiserror::Error)]
pub enum StageError {
    #[error("{0}")]
    Read(#[from] ResolveError),
    #[error("secret `{0}` is not a JSON object, so it cannot be compared key by key")]
    NotAnObject(String),
    #[error("{0}: SSM parameters cannot be empty")]
    EmptyValue(String),
    #[error("writing {name}: {reason}")]
    Write { name: String, reason: String },
}

/// What an import does to one parameter or secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Create,
    Update,
    Unchanged,
}

impl Action {
    pub fn word(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Unchanged => "unchanged",
        }
    }
}

/// The type of the parameters an import creates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParameterKind {
    String,
    SecureString,
}

/// One line of an import plan. The value stays out of `Debug`.
#[derive(Debug)]
pub struct Planned {
    /// The full parameter name.
    pub name: String,
    pub action: Action,
    pub value: SecretString,
}

/// `/app/staging` + `db/password` → `/app/staging/db/password`.
pub fn full_name(path: &str, relative: &str) -> String {
    format!("{}/{relative}", path.trim_end_matches('/'))
}

/// Compares a document's entries with what is stored under `path`.
pub async fn plan_import(
    source: &dyn ValueSource,
    path: &str,
    entries: Entries,
) -> Result<Vec<Planned>, StageError> {
    if let Some((relative, _)) = entries.iter().find(|(_, v)| v.expose().is_empty()) {
        return Err(StageError::EmptyValue(full_name(path, relative)));
    }
    let existing = read_path(source, path).await?;
    Ok(entries
        .into_iter()
        .map(|(relative, value)| {
            let action = match existing.get(&relative) {
                None => Action::Create,
                Some(old) if old.expose() == value.expose() => Action::Unchanged,
                Some(_) => Action::Update,
            };
            Planned {
                name: full_name(path, &relative),
                action,
                value,
            }
        })
        .collect())
}

/// Writes the created and updated parameters of a plan, `CONCURRENT_WRITES`
/// at a time; `progress(done, total)` after each. Unchanged ones are not
/// written, so a re-run makes no new versions.
pub async fn apply_import(
    ssm: &aws_sdk_ssm::Client,
    plan: &[Planned],
    kind: ParameterKind,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<usize, StageError> {
    let writes: Vec<&Planned> = plan
        .iter()
        .filter(|p| p.action != Action::Unchanged)
        .collect();
    let total = writes.len();
    let mut results = futures::stream::iter(writes.into_iter().map(|planned| {
        let parameter_type = match kind {
            ParameterKind::String => aws_sdk_ssm::types::ParameterType::String,
            ParameterKind::SecureString => aws_sdk_ssm::types::ParameterType::SecureString,
        };
        async move {
            ssm.put_parameter()
                .name(&planned.name)
                .value(planned.value.expose())
                .r#type(parameter_type)
                .overwrite(planned.action == Action::Update)
                .send()
                .await
                .map_err(|e| StageError::Write {
                    name: planned.name.clone(),
                    reason: error_kind(&e).to_string(),
                })
        }
    }))
    .buffer_unordered(CONCURRENT_WRITES);
    let mut done = 0;
    while let Some(result) = results.next().await {
        result?;
        done += 1;
        progress(done, total);
    }
    Ok(done)
}

/// Creates or updates one secret from a JSON document; a document equal
/// (as JSON) to the current value writes nothing.
pub async fn import_secret(
    secrets: &aws_sdk_secretsmanager::Client,
    name: &str,
    document: &SecretString,
    dry_run: bool,
) -> Result<Action, StageError> {
    let write_error = |reason: String| StageError::Write {
        name: name.to_owned(),
        reason,
    };
    let current = match secrets.get_secret_value().secret_id(name).send().await {
        Ok(output) => Some(
            output
                .secret_string()
                .map(str::to_owned)
                .unwrap_or_default(),
        ),
        Err(e) => {
            let kind = error_kind(&e);
            if kind != kinko_model::value_source::ResolveErrorKind::NotFound {
                return Err(write_error(kind.to_string()));
            }
            None
        }
    };
    let action = match current {
        None => Action::Create,
        Some(current) => {
            let current = SecretString::new(current);
            if same_json(&current, document) {
                Action::Unchanged
            } else {
                Action::Update
            }
        }
    };
    if dry_run {
        return Ok(action);
    }
    match action {
        Action::Create => {
            secrets
                .create_secret()
                .name(name)
                .secret_string(document.expose())
                .send()
                .await
                .map_err(|e| write_error(error_kind(&e).to_string()))?;
        }
        Action::Update => {
            secrets
                .put_secret_value()
                .secret_id(name)
                .secret_string(document.expose())
                .send()
                .await
                .map_err(|e| write_error(error_kind(&e).to_string()))?;
        }
        Action::Unchanged => {}
    }
    Ok(action)
}

fn same_json(a: &SecretString, b: &SecretString) -> bool {
    match (
        serde_json::from_str::<serde_json::Value>(a.expose()),
        serde_json::from_str::<serde_json::Value>(b.expose()),
    ) {
        (Ok(a), Ok(b)) => a == b,
        _ => a.expose() == b.expose(),
    }
}

/// Every parameter under `path`, by name relative to it.
pub async fn read_path(source: &dyn ValueSource, path: &str) -> Result<Entries, StageError> {
    Ok(source
        .parameters_by_path(path)
        .await?
        .into_iter()
        .map(|p| (relative_name(path, &p.name).to_owned(), p.value))
        .collect())
}

/// A stage: a path when it starts with `/`, else a secret's JSON keys.
pub async fn read_stage(source: &dyn ValueSource, stage: &str) -> Result<Entries, StageError> {
    if stage.starts_with('/') {
        return read_path(source, stage).await;
    }
    let reference = Reference::Secret(SecretRef {
        id: stage.to_owned(),
        json_key: None,
        version: None,
        region: None,
    });
    let value = source
        .resolve(std::slice::from_ref(&reference))
        .await
        .pop()
        .unwrap_or_else(|| {
            Err(ResolveError::new(
                &reference,
                kinko_model::value_source::ResolveErrorKind::NotFound,
            ))
        })?;
    formats::parse(Format::Json, value.expose())
        .map_err(|_| StageError::NotAnObject(stage.to_owned()))
}

/// The difference between two stages, by key.
#[derive(Debug, Default, PartialEq, Eq, Serialize)]
pub struct Difference {
    pub only_in_a: Vec<String>,
    pub only_in_b: Vec<String>,
    pub different: Vec<String>,
    pub same: usize,
}

impl Difference {
    pub fn is_empty(&self) -> bool {
        self.only_in_a.is_empty() && self.only_in_b.is_empty() && self.different.is_empty()
    }
}

pub fn diff(a: &Entries, b: &Entries) -> Difference {
    let mut difference = Difference::default();
    for (key, value) in a {
        match b.get(key) {
            None => difference.only_in_a.push(key.clone()),
            Some(other) if other.expose() != value.expose() => {
                difference.different.push(key.clone())
            }
            Some(_) => difference.same += 1,
        }
    }
    difference.only_in_b = b.keys().filter(|k| !a.contains_key(*k)).cloned().collect();
    difference
}

#[cfg(test)]
mod tests {
    use super::*;
    use kinko_model::fake::FakeSource;

    fn source() -> FakeSource {
        FakeSource::new(&[
            ("/app/staging/db/password", "old"),
            ("/app/staging/db/host", "h"),
            ("/app/staging/only_staging", "1"),
            ("/app/prod/db/password", "new"),
            ("/app/prod/db/host", "h"),
            ("/app/prod/only_prod", "2"),
        ])
        .with_secret("cfg", r#"{"db": {"host": "h"}, "x": 1}"#)
        .with_secret("flat", "not json")
    }

    fn entries(list: &[(&str, &str)]) -> Entries {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), SecretString::new((*v).to_owned())))
            .collect()
    }

    #[tokio::test]
    async fn plans_create_update_and_unchanged() {
        let plan = plan_import(
            &source(),
            "/app/staging/",
            entries(&[("db/password", "newer"), ("db/host", "h"), ("fresh", "f")]),
        )
        .await
        .unwrap();
        let shown: Vec<(&str, Action)> = plan.iter().map(|p| (p.name.as_str(), p.action)).collect();
        assert_eq!(
            shown,
            vec![
                ("/app/staging/db/host", Action::Unchanged),
                ("/app/staging/db/password", Action::Update),
                ("/app/staging/fresh", Action::Create),
            ]
        );
        assert!(!format!("{plan:?}").contains("newer"));
    }

    #[tokio::test]
    async fn empty_values_are_refused() {
        let err = plan_import(&source(), "/app/x", entries(&[("a", "1"), ("b", "")]))
            .await
            .unwrap_err();
        assert_eq!(err.to_string(), "/app/x/b: SSM parameters cannot be empty");
    }

    #[tokio::test]
    async fn diffs_paths_and_secrets() {
        let a = read_stage(&source(), "/app/staging").await.unwrap();
        let b = read_stage(&source(), "/app/prod").await.unwrap();
        assert_eq!(
            diff(&a, &b),
            Difference {
                only_in_a: vec!["only_staging".into()],
                only_in_b: vec!["only_prod".into()],
                different: vec!["db/password".into()],
                same: 1,
            }
        );
        let secret = read_stage(&source(), "cfg").await.unwrap();
        assert_eq!(secret.keys().collect::<Vec<_>>(), vec!["db/host", "x"]);
        let d = diff(&secret, &secret);
        assert!(d.is_empty());
        assert_eq!(d.same, 2);
        assert!(matches!(
            read_stage(&source(), "flat").await,
            Err(StageError::NotAnObject(_))
        ));
        assert!(matches!(
            read_stage(&source(), "missing").await,
            Err(StageError::Read(e)) if e.is_not_found()
        ));
    }

    #[test]
    fn json_equality_ignores_layout() {
        let a = SecretString::new(r#"{"a": 1, "b": "x"}"#.into());
        let b = SecretString::new(r#"{"b":"x","a":1}"#.into());
        assert!(same_json(&a, &b));
        assert!(!same_json(
            &a,
            &SecretString::new(r#"{"a":2,"b":"x"}"#.into())
        ));
    }
}
