//! [`ValueSource`] over the official AWS SDK: the same code reads a kinko
//! server or AWS itself, with the standard credential chain.
//!
//! Batching: parameters go through `GetParameters`, 10 names a call; secrets
//! at their current version through `BatchGetSecretValue`, 20 a call; a
//! secret at a stage or version id through one `GetSecretValue` each. All the
//! calls of one `resolve` run concurrently.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use async_trait::async_trait;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_secretsmanager as sm;
use aws_sdk_ssm as ssm;
use futures::future::join_all;
use kinko_crypto::SecretString;
use kinko_model::references::{ParameterRef, Reference, SecretRef, SecretVersion};
use kinko_model::value_source::{PathValue, ResolveError, ResolveErrorKind, ValueSource, json_key};

/// `GetParameters` takes at most 10 names.
pub const PARAMETERS_PER_CALL: usize = 10;
/// `BatchGetSecretValue` takes at most 20 ids.
pub const SECRETS_PER_CALL: usize = 20;

/// The two service clients for one region.
#[derive(Clone, Debug)]
pub struct Clients {
    pub ssm: ssm::Client,
    pub secrets: sm::Client,
}

/// A [`ValueSource`] over SSM and Secrets Manager.
#[derive(Debug)]
pub struct SdkSource {
    config: SdkConfig,
    default: Clients,
    /// Clients for regions other than the default, made on first use.
    regional: Mutex<HashMap<String, Clients>>,
}

impl SdkSource {
    /// Loads the standard AWS configuration: environment variables,
    /// profiles, `AWS_ENDPOINT_URL`, SSO, container and instance credentials.
    pub async fn from_env() -> Self {
        let config = aws_config::defaults(BehaviorVersion::latest()).load().await;
        Self::new(config)
    }

    pub fn new(config: SdkConfig) -> Self {
        let default = Clients {
            ssm: ssm::Client::new(&config),
            secrets: sm::Client::new(&config),
        };
        SdkSource {
            config,
            default,
            regional: Mutex::new(HashMap::new()),
        }
    }

    /// The clients of the configured region.
    pub fn clients(&self) -> &Clients {
        &self.default
    }

    /// The clients for `region` (`None`: the configured one).
    pub fn clients_in(&self, region: Option<&str>) -> Clients {
        let Some(region) = region else {
            return self.default.clone();
        };
        if self.config.region().map(Region::as_ref) == Some(region) {
            return self.default.clone();
        }
        let mut map = match self.regional.lock() {
            Ok(map) => map,
            Err(poisoned) => poisoned.into_inner(),
        };
        map.entry(region.to_owned())
            .or_insert_with(|| {
                let region = Region::new(region.to_owned());
                Clients {
                    ssm: ssm::Client::from_conf(
                        ssm::config::Builder::from(&self.config)
                            .region(region.clone())
                            .build(),
                    ),
                    secrets: sm::Client::from_conf(
                        sm::config::Builder::from(&self.config)
                            .region(region)
                            .build(),
                    ),
                }
            })
            .clone()
    }
}

type Resolved = Result<SecretString, ResolveError>;

#[async_trait]
impl ValueSource for SdkSource {
    async fn resolve(&self, references: &[Reference]) -> Vec<Resolved> {
        // Group parameters by region into batches of 10; current secrets by
        // region into batches of 20; versioned secrets one by one.
        let mut parameters: BTreeMap<Option<&str>, Vec<usize>> = BTreeMap::new();
        let mut current_secrets: BTreeMap<Option<&str>, Vec<usize>> = BTreeMap::new();
        let mut single_secrets = Vec::new();
        for (i, reference) in references.iter().enumerate() {
            match reference {
                Reference::Parameter(p) => {
                    parameters.entry(p.region.as_deref()).or_default().push(i)
                }
                Reference::Secret(s) if s.version.is_none() => current_secrets
                    .entry(s.region.as_deref())
                    .or_default()
                    .push(i),
                Reference::Secret(_) => single_secrets.push(i),
            }
        }

        let mut calls: Vec<futures::future::BoxFuture<'_, Vec<(usize, Resolved)>>> = Vec::new();
        for (region, indexes) in &parameters {
            let clients = self.clients_in(*region);
            for chunk in indexes.chunks(PARAMETERS_PER_CALL) {
                let wanted: Vec<(usize, &ParameterRef)> = chunk
                    .iter()
                    .filter_map(|&i| match &references[i] {
                        Reference::Parameter(p) => Some((i, p)),
                        Reference::Secret(_) => None,
                    })
                    .collect();
                let clients = clients.clone();
                calls.push(Box::pin(async move {
                    get_parameters(&clients.ssm, &wanted, true)
                        .await
                        .into_iter()
                        .map(|(i, r)| (i, r.and_then(|v| v.ok_or_else(|| missing(&references[i])))))
                        .collect()
                }));
            }
        }
        for (region, indexes) in &current_secrets {
            let clients = self.clients_in(*region);
            for chunk in indexes.chunks(SECRETS_PER_CALL) {
                let wanted: Vec<(usize, &SecretRef)> = chunk
                    .iter()
                    .filter_map(|&i| match &references[i] {
                        Reference::Secret(s) => Some((i, s)),
                        Reference::Parameter(_) => None,
                    })
                    .collect();
                let clients = clients.clone();
                calls.push(Box::pin(async move {
                    batch_get_secrets(&clients.secrets, references, &wanted).await
                }));
            }
        }
        for &i in &single_secrets {
            if let Reference::Secret(s) = &references[i] {
                let clients = self.clients_in(s.region.as_deref());
                calls.push(Box::pin(async move {
                    vec![(i, get_secret(&clients.secrets, &references[i], s).await)]
                }));
            }
        }

        let mut results: Vec<Option<Resolved>> = references.iter().map(|_| None).collect();
        for (i, result) in join_all(calls).await.into_iter().flatten() {
            results[i] = Some(result);
        }
        results
            .into_iter()
            .zip(references)
            .map(|(r, reference)| r.unwrap_or_else(|| Err(missing(reference))))
            .collect()
    }

    async fn check(&self, references: &[Reference]) -> Vec<Result<(), ResolveError>> {
        let mut calls: Vec<futures::future::BoxFuture<'_, Vec<(usize, Result<(), ResolveError>)>>> =
            Vec::new();
        let mut parameters: BTreeMap<Option<&str>, Vec<(usize, &ParameterRef)>> = BTreeMap::new();
        for (i, reference) in references.iter().enumerate() {
            match reference {
                Reference::Parameter(p) => parameters
                    .entry(p.region.as_deref())
                    .or_default()
                    .push((i, p)),
                Reference::Secret(s) => {
                    let clients = self.clients_in(s.region.as_deref());
                    calls.push(Box::pin(async move {
                        vec![(
                            i,
                            describe_secret(&clients.secrets, &references[i], s).await,
                        )]
                    }));
                }
            }
        }
        for (region, wanted) in &parameters {
            let clients = self.clients_in(*region);
            for chunk in wanted.chunks(PARAMETERS_PER_CALL) {
                let clients = clients.clone();
                let chunk = chunk.to_vec();
                calls.push(Box::pin(async move {
                    // Without decryption: proves the name exists and that
                    // GetParameters is allowed, without a plaintext value.
                    get_parameters(&clients.ssm, &chunk, false)
                        .await
                        .into_iter()
                        .map(|(i, r)| {
                            (
                                i,
                                r.and_then(|v| {
                                    v.map(|_| ()).ok_or_else(|| missing(&references[i]))
                                }),
                            )
                        })
                        .collect()
                }));
            }
        }
        let mut results: Vec<Option<Result<(), ResolveError>>> =
            references.iter().map(|_| None).collect();
        for (i, result) in join_all(calls).await.into_iter().flatten() {
            results[i] = Some(result);
        }
        results
            .into_iter()
            .zip(references)
            .map(|(r, reference)| r.unwrap_or_else(|| Err(missing(reference))))
            .collect()
    }

    async fn parameters_by_path(&self, path: &str) -> Result<Vec<PathValue>, ResolveError> {
        let path_ref = Reference::Parameter(ParameterRef {
            name: path.to_owned(),
            selector: None,
            region: None,
        });
        let mut pages = self
            .default
            .ssm
            .get_parameters_by_path()
            .path(path)
            .recursive(true)
            .with_decryption(true)
            .into_paginator()
            .send();
        let mut values = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| ResolveError::new(&path_ref, error_kind(&e)))?;
            for parameter in page.parameters() {
                if let (Some(name), Some(value)) = (parameter.name(), parameter.value()) {
                    values.push(PathValue {
                        name: name.to_owned(),
                        value: SecretString::new(value.to_owned()),
                    });
                }
            }
        }
        values.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(values)
    }
}

fn missing(reference: &Reference) -> ResolveError {
    ResolveError::new(reference, ResolveErrorKind::NotFound)
}

/// One `GetParameters` call; `Ok(None)` for a name AWS reports invalid
/// (not found). The value is `None`-free only when decrypting.
async fn get_parameters(
    client: &ssm::Client,
    wanted: &[(usize, &ParameterRef)],
    decrypt: bool,
) -> Vec<(usize, Result<Option<SecretString>, ResolveError>)> {
    let names: Vec<String> = wanted.iter().map(|(_, p)| p.api_name()).collect();
    let response = client
        .get_parameters()
        .set_names(Some(names.clone()))
        .with_decryption(decrypt)
        .send()
        .await;
    let output = match response {
        Ok(output) => output,
        Err(e) => {
            let kind = error_kind(&e);
            return wanted
                .iter()
                .map(|(i, p)| {
                    (
                        *i,
                        Err(ResolveError::new(
                            &Reference::Parameter((*p).clone()),
                            kind.clone(),
                        )),
                    )
                })
                .collect();
        }
    };
    // A selected parameter comes back as its plain name plus `selector`.
    let mut found: HashMap<String, SecretString> = HashMap::new();
    for parameter in output.parameters() {
        let Some(name) = parameter.name() else {
            continue;
        };
        let key = format!("{name}{}", parameter.selector().unwrap_or_default());
        found.insert(
            key,
            SecretString::new(parameter.value().unwrap_or_default().to_owned()),
        );
    }
    wanted
        .iter()
        .zip(names)
        .map(|((i, _), name)| (*i, Ok(found.get(&name).cloned())))
        .collect()
}

/// One `BatchGetSecretValue` call for secrets at `AWSCURRENT`; an id the
/// batch cannot match back (a partial ARN) is fetched alone.
async fn batch_get_secrets(
    client: &sm::Client,
    references: &[Reference],
    wanted: &[(usize, &SecretRef)],
) -> Vec<(usize, Resolved)> {
    let mut ids: Vec<String> = wanted.iter().map(|(_, s)| s.id.clone()).collect();
    ids.sort();
    ids.dedup();
    let mut values: HashMap<String, Option<SecretString>> = HashMap::new();
    let mut errors: HashMap<String, ResolveErrorKind> = HashMap::new();
    match client
        .batch_get_secret_value()
        .set_secret_id_list(Some(ids))
        .send()
        .await
    {
        Ok(output) => {
            for entry in output.secret_values() {
                let value = entry
                    .secret_string()
                    .map(|s| SecretString::new(s.to_owned()));
                for key in [entry.name(), entry.arn()].into_iter().flatten() {
                    values.insert(key.to_owned(), value.clone());
                }
            }
            for error in output.errors() {
                if let Some(id) = error.secret_id() {
                    errors.insert(
                        id.to_owned(),
                        kind_from_code(
                            error.error_code().unwrap_or_default(),
                            error.message().unwrap_or_default(),
                        ),
                    );
                }
            }
        }
        Err(e) => {
            let kind = error_kind(&e);
            return wanted
                .iter()
                .map(|(i, _)| (*i, Err(ResolveError::new(&references[*i], kind.clone()))))
                .collect();
        }
    }
    let mut results = Vec::new();
    for (i, secret) in wanted {
        let reference = &references[*i];
        let result = match (values.get(&secret.id), errors.get(&secret.id)) {
            (Some(Some(value)), _) => select(reference, secret, value),
            (Some(None), _) => Err(ResolveError::new(reference, ResolveErrorKind::Binary)),
            (None, Some(kind)) => Err(ResolveError::new(reference, kind.clone())),
            (None, None) => get_secret(client, reference, secret).await,
        };
        results.push((*i, result));
    }
    results
}

/// One `GetSecretValue` call.
async fn get_secret(client: &sm::Client, reference: &Reference, secret: &SecretRef) -> Resolved {
    let mut request = client.get_secret_value().secret_id(&secret.id);
    match &secret.version {
        Some(SecretVersion::Stage(stage)) => request = request.version_stage(stage),
        Some(SecretVersion::Id(id)) => request = request.version_id(id),
        None => {}
    }
    let output = request
        .send()
        .await
        .map_err(|e| ResolveError::new(reference, error_kind(&e)))?;
    let Some(value) = output.secret_string() else {
        return Err(ResolveError::new(reference, ResolveErrorKind::Binary));
    };
    select(reference, secret, &SecretString::new(value.to_owned()))
}

/// The whole secret string, or its JSON key.
fn select(reference: &Reference, secret: &SecretRef, value: &SecretString) -> Resolved {
    match &secret.json_key {
        None => Ok(value.clone()),
        Some(key) => json_key(value, key).map_err(|kind| ResolveError::new(reference, kind)),
    }
}

/// `DescribeSecret`: the secret exists, is visible, and has the version.
async fn describe_secret(
    client: &sm::Client,
    reference: &Reference,
    secret: &SecretRef,
) -> Result<(), ResolveError> {
    let output = client
        .describe_secret()
        .secret_id(&secret.id)
        .send()
        .await
        .map_err(|e| ResolveError::new(reference, error_kind(&e)))?;
    if output.deleted_date().is_some() {
        return Err(ResolveError::new(reference, ResolveErrorKind::NotFound));
    }
    let versions = output.version_ids_to_stages();
    let has_version = match &secret.version {
        None => true,
        Some(SecretVersion::Id(id)) => versions.is_some_and(|v| v.contains_key(id)),
        Some(SecretVersion::Stage(stage)) => {
            versions.is_some_and(|v| v.values().any(|stages| stages.contains(stage)))
        }
    };
    if has_version {
        Ok(())
    } else {
        Err(ResolveError::new(reference, ResolveErrorKind::NotFound))
    }
}

/// What an SDK error means for a reference.
pub fn error_kind<E, R>(error: &aws_sdk_ssm::error::SdkError<E, R>) -> ResolveErrorKind
where
    E: aws_sdk_ssm::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    use aws_sdk_ssm::error::ProvideErrorMetadata;
    match error.code() {
        Some(code) => kind_from_code(code, error.message().unwrap_or_default()),
        None => ResolveErrorKind::Unavailable(
            aws_sdk_ssm::error::DisplayErrorContext(error).to_string(),
        ),
    }
}

fn kind_from_code(code: &str, message: &str) -> ResolveErrorKind {
    match code {
        "ParameterNotFound" | "ParameterVersionNotFound" | "ResourceNotFoundException" => {
            ResolveErrorKind::NotFound
        }
        "AccessDeniedException"
        | "AccessDenied"
        | "UnrecognizedClientException"
        | "InvalidSignatureException" => ResolveErrorKind::AccessDenied(message.to_owned()),
        _ => ResolveErrorKind::Invalid(format!("{code}: {message}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_error_codes_map_to_reasons() {
        assert_eq!(
            kind_from_code("ParameterNotFound", ""),
            ResolveErrorKind::NotFound
        );
        assert_eq!(
            kind_from_code("ResourceNotFoundException", "x"),
            ResolveErrorKind::NotFound
        );
        assert_eq!(
            kind_from_code("AccessDeniedException", "denied by policy"),
            ResolveErrorKind::AccessDenied("denied by policy".into())
        );
        assert_eq!(
            kind_from_code("ValidationException", "bad"),
            ResolveErrorKind::Invalid("ValidationException: bad".into())
        );
    }
}
