//! An in-memory [`ValueSource`] for unit tests: parameters and secrets from
//! a table, and a record of how many references each `resolve` call got.

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;
use kinko_core::references::{Reference, Selector};
use kinko_core::value_source::{PathValue, ResolveError, ResolveErrorKind, ValueSource, json_key};
use kinko_crypto::SecretString;

#[derive(Default)]
pub struct FakeSource {
    parameters: BTreeMap<String, String>,
    secrets: BTreeMap<String, String>,
    calls: Mutex<Vec<usize>>,
}

impl FakeSource {
    pub fn new(parameters: &[(&str, &str)]) -> Self {
        FakeSource {
            parameters: parameters
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            ..FakeSource::default()
        }
    }

    pub fn with_secret(mut self, name: &str, value: &str) -> Self {
        self.secrets.insert(name.to_owned(), value.to_owned());
        self
    }

    /// The number of references of each `resolve` call so far.
    pub fn resolve_calls(&self) -> Vec<usize> {
        self.calls.lock().map(|c| c.clone()).unwrap_or_default()
    }

    fn one(&self, reference: &Reference) -> Result<SecretString, ResolveError> {
        let missing = || ResolveError::new(reference, ResolveErrorKind::NotFound);
        match reference {
            Reference::Parameter(p) => {
                if matches!(p.selector, Some(Selector::Label(ref l)) if l == "denied") {
                    return Err(ResolveError::new(
                        reference,
                        ResolveErrorKind::AccessDenied("not allowed".into()),
                    ));
                }
                self.parameters
                    .get(&p.name)
                    .map(|v| SecretString::new(v.clone()))
                    .ok_or_else(missing)
            }
            Reference::Secret(s) => {
                let value = self
                    .secrets
                    .get(&s.id)
                    .map(|v| SecretString::new(v.clone()))
                    .ok_or_else(missing)?;
                match &s.json_key {
                    Some(key) => json_key(&value, key).map_err(|k| ResolveError::new(reference, k)),
                    None => Ok(value),
                }
            }
        }
    }
}

#[async_trait]
impl ValueSource for FakeSource {
    async fn resolve(&self, references: &[Reference]) -> Vec<Result<SecretString, ResolveError>> {
        if let Ok(mut calls) = self.calls.lock() {
            calls.push(references.len());
        }
        references.iter().map(|r| self.one(r)).collect()
    }

    async fn check(&self, references: &[Reference]) -> Vec<Result<(), ResolveError>> {
        references.iter().map(|r| self.one(r).map(|_| ())).collect()
    }

    async fn parameters_by_path(&self, path: &str) -> Result<Vec<PathValue>, ResolveError> {
        let prefix = format!("{}/", path.trim_end_matches('/'));
        Ok(self
            .parameters
            .iter()
            .filter(|(k, _)| k.starts_with(&prefix))
            .map(|(k, v)| PathValue {
                name: k.clone(),
                value: SecretString::new(v.clone()),
            })
            .collect())
    }
}
