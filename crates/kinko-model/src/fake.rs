//! An in-memory [`ValueSource`] for tests (feature `fake`): parameters and
//! secrets from a table, values that can change, an outage switch, an
//! optional delay, and a record of the calls made. The one fake the client
//! tools' and the proxy's tests share.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use kinko_crypto::SecretString;

use crate::references::{Reference, Selector};
use crate::value_source::{PathValue, ResolveError, ResolveErrorKind, ValueSource, json_key};

/// What every call answers while [`FakeSource::set_unavailable`] is on.
pub const OUTAGE: &str = "connection refused";

/// Parameters by name and secrets by id. A parameter reference with the
/// label `denied` is refused (`AccessDenied`), whatever the parameter.
#[derive(Default)]
pub struct FakeSource {
    parameters: Mutex<BTreeMap<String, String>>,
    secrets: BTreeMap<String, String>,
    down: AtomicBool,
    delay: Duration,
    calls: Mutex<Vec<usize>>,
    path_calls: AtomicUsize,
}

impl FakeSource {
    pub fn new(parameters: &[(&str, &str)]) -> Self {
        FakeSource {
            parameters: Mutex::new(
                parameters
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect(),
            ),
            ..FakeSource::default()
        }
    }

    pub fn with_secret(mut self, name: &str, value: &str) -> Self {
        self.secrets.insert(name.to_owned(), value.to_owned());
        self
    }

    /// Every call first waits this long (on tokio's clock, so a paused
    /// test clock controls it).
    pub fn with_delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// Sets (or adds) a parameter's value, as a rotation would.
    pub fn set_parameter(&self, name: &str, value: &str) {
        self.parameters_table()
            .insert(name.to_owned(), value.to_owned());
    }

    /// While on, every call fails as an unreachable server's would
    /// ([`ResolveErrorKind::Unavailable`] with [`OUTAGE`]).
    pub fn set_unavailable(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
    }

    /// The number of references of each `resolve` call so far.
    pub fn resolve_calls(&self) -> Vec<usize> {
        self.calls.lock().map(|c| c.clone()).unwrap_or_default()
    }

    /// How many `parameters_by_path` calls were made so far.
    pub fn path_calls(&self) -> usize {
        self.path_calls.load(Ordering::SeqCst)
    }

    fn parameters_table(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, String>> {
        self.parameters
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Waits the delay, then fails if the source is down.
    async fn call(&self, reference: &Reference) -> Result<(), ResolveError> {
        if !self.delay.is_zero() {
            tokio::time::sleep(self.delay).await;
        }
        if self.down.load(Ordering::SeqCst) {
            return Err(ResolveError::new(
                reference,
                ResolveErrorKind::Unavailable(OUTAGE.to_owned()),
            ));
        }
        Ok(())
    }

    async fn one(&self, reference: &Reference) -> Result<SecretString, ResolveError> {
        self.call(reference).await?;
        let missing = || ResolveError::new(reference, ResolveErrorKind::NotFound);
        match reference {
            Reference::Parameter(p) => {
                if matches!(p.selector, Some(Selector::Label(ref l)) if l == "denied") {
                    return Err(ResolveError::new(
                        reference,
                        ResolveErrorKind::AccessDenied("not allowed".into()),
                    ));
                }
                self.parameters_table()
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
        let mut out = Vec::with_capacity(references.len());
        for reference in references {
            out.push(self.one(reference).await);
        }
        out
    }

    async fn check(&self, references: &[Reference]) -> Vec<Result<(), ResolveError>> {
        let mut out = Vec::with_capacity(references.len());
        for reference in references {
            out.push(self.one(reference).await.map(|_| ()));
        }
        out
    }

    async fn parameters_by_path(&self, path: &str) -> Result<Vec<PathValue>, ResolveError> {
        self.path_calls.fetch_add(1, Ordering::SeqCst);
        let path_ref = Reference::Parameter(crate::references::ParameterRef {
            name: path.to_owned(),
            selector: None,
            region: None,
        });
        self.call(&path_ref).await?;
        let prefix = format!("{}/", path.trim_end_matches('/'));
        Ok(self
            .parameters_table()
            .iter()
            .filter(|(k, _)| k.starts_with(&prefix))
            .map(|(k, v)| PathValue::new(k.clone(), v.clone()))
            .collect())
    }
}
