//! GetParameter, GetParameters and GetParametersByPath.

use kinko_model::ssm::ParameterPath;
use kinko_model::ssm::VersionSelector;
use kinko_store::{ParameterLookup, ParameterQuery, ParameterRecord};

use super::error::SsmError;
use super::filters::{self, Filter, FilterContext};
use super::model::{
    Caller, GetParametersByPathInput, GetParametersOutput, Parameter, ParametersPage,
};
use super::paging::TokenScope;
use super::read_name::ReadName;
use super::service::ParameterStore;
use super::types::ParameterType;
use crate::secrets::{GetSecretValueInput, SecretValue, SecretValueOutput, SecretsError};

/// The Parameter Store's window onto Secrets Manager.
pub const SECRETS_REFERENCE: &str = "/aws/reference/secretsmanager/";

/// Splits `<secret-id>[:<selector>]`. A secret ARN has colons of its own:
/// there the selector is a seventh `:` field.
pub(super) fn split_reference(reference: &str) -> (&str, Option<&str>) {
    if reference.starts_with("arn:") {
        let colons: Vec<usize> = reference.match_indices(':').map(|(i, _)| i).collect();
        match colons.get(6) {
            Some(&i) => (&reference[..i], Some(&reference[i + 1..])),
            None => (reference, None),
        }
    } else {
        match reference.split_once(':') {
            Some((id, sel)) => (id, Some(sel)),
            None => (reference, None),
        }
    }
}

/// A referenced secret that does not exist: AWS's own text for it (as moto
/// records it), not the plain "Parameter ... not found.".
fn secret_not_found(name_as_sent: &str) -> SsmError {
    SsmError::ParameterNotFound(format!(
        "An error occurred (ParameterNotFound) when referencing Secrets Manager: Secret {name_as_sent} not found."
    ))
}

fn secrets_error(e: SecretsError, name_as_sent: &str) -> SsmError {
    match e {
        SecretsError::ResourceNotFound(_) => secret_not_found(name_as_sent),
        SecretsError::InvalidRequest(m) | SecretsError::Validation(m) => SsmError::Validation(m),
        SecretsError::DecryptionFailure(m) => SsmError::InvalidKeyId(m),
        SecretsError::AccessDenied(m) => SsmError::AccessDenied(m),
        SecretsError::Unavailable(m) => SsmError::Unavailable(m),
        SecretsError::OutOfSpace => SsmError::OutOfSpace,
        SecretsError::Tampered(m) => SsmError::Tampered(m),
        other => SsmError::Internal(other.to_string()),
    }
}

/// GetParameter and GetParameters answer under the name as asked: `x` and
/// `/x` are one parameter, and AWS echoes whichever was written. Asked by
/// ARN, the stored name stands. (GetParametersByPath and
/// DescribeParameters, which name nothing, answer with the stored name.)
fn answer_as_written(p: &mut Parameter, r: &kinko_model::ssm::ParameterRef) {
    if let Some(name) = r.name_as_written() {
        name.clone_into(&mut p.name);
    }
}

/// How many records GetParametersByPath/DescribeParameters read from the
/// store per round while filling a page.
pub(super) const SCAN_BATCH: usize = 50;

fn selector_token(s: &VersionSelector) -> String {
    match s {
        VersionSelector::Latest => String::new(),
        VersionSelector::Version(v) => v.to_string(),
        VersionSelector::Label(l) => l.clone(),
    }
}

impl ParameterStore {
    /// [`ParameterStore::read_parameter`] of a name as sent.
    pub async fn get_parameter(
        &self,
        caller: &Caller,
        name: &str,
        with_decryption: bool,
    ) -> Result<Parameter, SsmError> {
        self.read_parameter(caller, &ReadName::parse(name, caller), with_decryption)
            .await
    }

    /// The hot path: one store read, one open.
    pub async fn read_parameter(
        &self,
        caller: &Caller,
        name: &ReadName,
        with_decryption: bool,
    ) -> Result<Parameter, SsmError> {
        let r = match name {
            ReadName::SecretReference(raw) => {
                return self.secret_reference(caller, raw, with_decryption).await;
            }
            ReadName::Invalid { error, .. } => return Err(error.clone().into()),
            ReadName::Parameter(r) => r,
        };
        match self
            .store
            .get_parameter(&caller.region, r.name.canonical(), &r.selector)
            .await?
        {
            ParameterLookup::Found(record) => {
                let mut p = self
                    .to_parameter(caller, record, r.selector_text.clone(), with_decryption)
                    .await?;
                answer_as_written(&mut p, r);
                Ok(p)
            }
            ParameterLookup::VersionNotFound => Err(SsmError::version_not_found(
                &selector_token(&r.selector),
                r.name_as_sent(),
            )),
            ParameterLookup::NotFound => Err(SsmError::not_found(&r.as_sent)),
        }
    }

    /// [`ParameterStore::read_parameters`] of names as sent.
    pub async fn get_parameters(
        &self,
        caller: &Caller,
        names: &[String],
        with_decryption: bool,
    ) -> Result<GetParametersOutput, SsmError> {
        let names: Vec<ReadName> = names.iter().map(|n| ReadName::parse(n, caller)).collect();
        self.read_parameters(caller, &names, with_decryption).await
    }

    /// Unknown names, bad selectors and missing versions go to
    /// `invalid_parameters`; only faults are errors.
    pub async fn read_parameters(
        &self,
        caller: &Caller,
        names: &[ReadName],
        with_decryption: bool,
    ) -> Result<GetParametersOutput, SsmError> {
        let mut parameters: Vec<Parameter> = Vec::with_capacity(names.len());
        let mut invalid_parameters = Vec::new();
        let mut seen: Vec<&str> = Vec::with_capacity(names.len());
        for name in names {
            let raw = name.as_sent();
            if seen.contains(&raw) {
                continue;
            }
            seen.push(raw);
            let r = match name {
                ReadName::SecretReference(raw) => {
                    match self.secret_reference(caller, raw, with_decryption).await {
                        Ok(p) => parameters.push(p),
                        Err(SsmError::ParameterNotFound(_)) => invalid_parameters.push(raw.clone()),
                        Err(e) => return Err(e),
                    }
                    continue;
                }
                ReadName::Invalid { as_sent, .. } => {
                    invalid_parameters.push(as_sent.clone());
                    continue;
                }
                ReadName::Parameter(r) => r,
            };
            match self
                .store
                .get_parameter(&caller.region, r.name.canonical(), &r.selector)
                .await?
            {
                ParameterLookup::Found(record) => {
                    let mut p = self
                        .to_parameter(caller, record, r.selector_text.clone(), with_decryption)
                        .await?;
                    answer_as_written(&mut p, r);
                    parameters.push(p);
                }
                ParameterLookup::VersionNotFound | ParameterLookup::NotFound => {
                    invalid_parameters.push(raw.to_owned());
                }
            }
        }
        parameters.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(GetParametersOutput {
            parameters,
            invalid_parameters,
        })
    }

    /// Latest version of each parameter under `path` (or the labelled
    /// version, with a `Label` filter), in name order, a page at a time.
    pub async fn get_parameters_by_path(
        &self,
        caller: &Caller,
        input: &GetParametersByPathInput,
    ) -> Result<ParametersPage, SsmError> {
        let recursive = input.recursive;
        let with_decryption = input.with_decryption;
        let path = ParameterPath::parse(&input.path)?;
        let filters =
            filters::validate(&input.parameter_filters, FilterContext::GetParametersByPath)?;
        let scope = TokenScope::new(
            "GetParametersByPath",
            &caller.region,
            &format!("{}|{recursive}|{filters:?}", path.prefix()),
        );
        let mut after = match input.next_token.as_deref() {
            Some(t) => Some(scope.open(self.keyring.as_ref(), t)?),
            None => None,
        };
        let labels: Option<&Vec<String>> = filters.iter().find_map(|f| match f {
            Filter::Label { values } => Some(values),
            _ => None,
        });
        let max_results = input.max_results.max(1);
        let mut found: Vec<ParameterRecord> = Vec::with_capacity(max_results);
        let mut more = false;
        'scan: loop {
            let query = ParameterQuery {
                prefix: Some(path.prefix().to_owned()),
                after: after.clone(),
                limit: SCAN_BATCH,
            };
            let batch = self.store.list_parameters(&caller.region, &query).await?;
            let exhausted = batch.len() < SCAN_BATCH;
            let count = batch.len();
            for (i, record) in batch.into_iter().enumerate() {
                if found.len() == max_results {
                    more = true;
                    break 'scan;
                }
                after = Some(record.name.clone());
                if !path.contains(&record.name, recursive) {
                    continue;
                }
                let record = match labels {
                    Some(labels) => {
                        match self.labelled_version(caller, &record.name, labels).await? {
                            Some(r) => r,
                            None => continue,
                        }
                    }
                    None => record,
                };
                if filters
                    .iter()
                    .all(|f| matches!(f, Filter::Label { .. }) || f.matches(&record))
                {
                    found.push(record);
                    if found.len() == max_results && i + 1 == count && exhausted {
                        break 'scan;
                    }
                }
            }
            if exhausted {
                break;
            }
        }
        let next_token = match (&after, more) {
            (Some(cursor), true) => Some(scope.issue(self.keyring.as_ref(), cursor)),
            _ => None,
        };
        let mut parameters = Vec::with_capacity(found.len());
        for record in found {
            parameters.push(
                self.to_parameter(caller, record, None, with_decryption)
                    .await?,
            );
        }
        Ok(ParametersPage {
            parameters,
            next_token,
        })
    }

    /// `GetParameter /aws/reference/secretsmanager/<secret-id>[:<label or
    /// version id>]`: the secret's value as a SecureString parameter, as AWS
    /// serves it.
    async fn secret_reference(
        &self,
        caller: &Caller,
        name: &str,
        with_decryption: bool,
    ) -> Result<Parameter, SsmError> {
        let reference = name.strip_prefix(SECRETS_REFERENCE).unwrap_or_default();
        let Some(secrets) = &self.secrets else {
            return Err(SsmError::not_found(name));
        };
        if !with_decryption {
            return Err(SsmError::Validation(
                "WithDecryption flag must be True for retrieving a Secret Manager secret.".into(),
            ));
        }
        let (secret_id, selector) = split_reference(reference);
        if secret_id.is_empty() || selector.is_some_and(str::is_empty) {
            return Err(secret_not_found(name));
        }
        let mut input = GetSecretValueInput {
            secret_id: secret_id.to_owned(),
            version_id: None,
            version_stage: selector.map(str::to_owned),
        };
        // A selector of a version id's length may be one: try that first.
        if let Some(sel) = selector
            && (32..=64).contains(&sel.len())
        {
            let by_id = GetSecretValueInput {
                version_id: Some(sel.to_owned()),
                version_stage: None,
                ..input.clone()
            };
            match secrets.get_secret_value(caller, &by_id).await {
                Ok(out) => return Ok(reference_parameter(name, selector, out)),
                Err(SecretsError::ResourceNotFound(_)) => {}
                Err(e) => return Err(secrets_error(e, name)),
            }
        }
        if selector.is_none() {
            input.version_stage = None;
        }
        let out = secrets
            .get_secret_value(caller, &input)
            .await
            .map_err(|e| secrets_error(e, name))?;
        Ok(reference_parameter(name, selector, out))
    }

    /// The version of `canonical` carrying the first of `labels` found.
    async fn labelled_version(
        &self,
        caller: &Caller,
        canonical: &str,
        labels: &[String],
    ) -> Result<Option<ParameterRecord>, SsmError> {
        for label in labels {
            let selector = VersionSelector::Label(label.clone());
            if let ParameterLookup::Found(r) = self
                .store
                .get_parameter(&caller.region, canonical, &selector)
                .await?
            {
                return Ok(Some(r));
            }
        }
        Ok(None)
    }
}

/// A secret value dressed as the parameter AWS returns for a reference:
/// SecureString, version 0, the secret's ARN, no `DataType`, binary values
/// in base64, and the GetSecretValue result itself as `SourceResult`.
fn reference_parameter(name: &str, selector: Option<&str>, out: SecretValueOutput) -> Parameter {
    use base64::Engine;
    let value = match &out.value {
        SecretValue::Text(s) => s.clone(),
        SecretValue::Binary(b) => kinko_crypto::SecretString::new(
            base64::engine::general_purpose::STANDARD.encode(b.expose()),
        ),
    };
    let base = match selector {
        Some(sel) => name
            .strip_suffix(sel)
            .and_then(|n| n.strip_suffix(':'))
            .unwrap_or(name),
        None => name,
    };
    Parameter {
        name: base.to_owned(),
        parameter_type: ParameterType::SecureString,
        value,
        version: 0,
        selector: selector.map(|s| format!(":{s}")),
        last_modified_ms: out.created_ms,
        arn: out.arn.clone(),
        data_type: String::new(),
        key_id: None,
        kms_key_arn: out.kms_key_arn.clone(),
        source: Some(Box::new(out)),
    }
}

#[cfg(test)]
mod reference_tests {
    use std::sync::Arc;

    use kinko_crypto::{RootKey, SecretBytes, SecretString};
    use kinko_store::{SqliteStore, Store};

    use super::*;
    use crate::keyring::Keyring;
    use crate::secrets::{CreateSecretInput, PutSecretValueInput, SecretsManager};

    const T1: &str = "11111111-1111-4111-8111-111111111111";
    const T2: &str = "22222222-2222-4222-8222-222222222222";

    fn caller() -> Caller {
        Caller {
            region: "us-east-1".into(),
            account_id: "123456789012".into(),
            arn: "arn:aws:iam::123456789012:user/alice".into(),
        }
    }

    fn services() -> (ParameterStore, Arc<SecretsManager>) {
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory().unwrap());
        let keyring = Arc::new(Keyring::new(
            store.clone(),
            RootKey::generate(),
            "123456789012".into(),
        ));
        let secrets = Arc::new(SecretsManager::new(store.clone(), keyring.clone()));
        let ssm = ParameterStore::new(store, keyring).with_secrets(secrets.clone());
        (ssm, secrets)
    }

    #[test]
    fn splits_selectors() {
        assert_eq!(split_reference("db"), ("db", None));
        assert_eq!(
            split_reference("db:AWSPREVIOUS"),
            ("db", Some("AWSPREVIOUS"))
        );
        let arn = "arn:aws:secretsmanager:us-east-1:1:secret:db-AbC123";
        assert_eq!(split_reference(arn), (arn, None));
        assert_eq!(split_reference(&format!("{arn}:v")), (arn, Some("v")));
    }

    #[tokio::test]
    async fn get_parameter_reads_a_secret_by_reference() {
        let (ssm, secrets) = services();
        let c = caller();
        let created = secrets
            .create_secret(
                &c,
                CreateSecretInput {
                    name: "app/db".into(),
                    client_request_token: Some(T1.into()),
                    value: Some(SecretValue::Text(SecretString::from("one"))),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        secrets
            .put_secret_value(
                &c,
                PutSecretValueInput {
                    secret_id: "app/db".into(),
                    client_request_token: Some(T2.into()),
                    value: Some(SecretValue::Text(SecretString::from("two"))),
                    version_stages: None,
                },
            )
            .await
            .unwrap();

        let name = "/aws/reference/secretsmanager/app/db";
        let p = ssm.get_parameter(&c, name, true).await.unwrap();
        assert_eq!(p.name, name);
        assert_eq!(p.value.expose(), "two");
        assert_eq!(p.parameter_type, ParameterType::SecureString);
        assert_eq!(p.version, 0);
        assert_eq!(p.arn, created.arn);
        assert_eq!(p.data_type, "");
        assert_eq!(p.selector, None);
        let source = p.source.as_deref().expect("source");
        assert_eq!(source.version_id, T2);
        assert_eq!(source.version_stages, ["AWSCURRENT"]);
        assert_eq!(source.name, "app/db");

        let prev = ssm
            .get_parameter(&c, &format!("{name}:AWSPREVIOUS"), true)
            .await
            .unwrap();
        assert_eq!(prev.value.expose(), "one");
        assert_eq!(prev.name, name);
        assert_eq!(prev.selector.as_deref(), Some(":AWSPREVIOUS"));
        let by_id = ssm
            .get_parameter(&c, &format!("{name}:{T1}"), true)
            .await
            .unwrap();
        assert_eq!(by_id.value.expose(), "one");
        let by_arn = ssm
            .get_parameter(
                &c,
                &format!("/aws/reference/secretsmanager/{}", created.arn),
                true,
            )
            .await
            .unwrap();
        assert_eq!(by_arn.value.expose(), "two");

        assert_eq!(
            ssm.get_parameter(&c, name, false).await.unwrap_err(),
            SsmError::Validation(
                "WithDecryption flag must be True for retrieving a Secret Manager secret.".into()
            )
        );
        let missing = "/aws/reference/secretsmanager/nope";
        assert_eq!(
            ssm.get_parameter(&c, missing, true).await.unwrap_err(),
            SsmError::ParameterNotFound(
                "An error occurred (ParameterNotFound) when referencing Secrets Manager: \
                 Secret /aws/reference/secretsmanager/nope not found."
                    .into()
            )
        );
        let out = ssm
            .get_parameters(&c, &[name.to_owned(), missing.to_owned()], true)
            .await
            .unwrap();
        assert_eq!(out.parameters.len(), 1);
        assert_eq!(out.invalid_parameters, [missing]);
    }

    #[tokio::test]
    async fn binary_secrets_come_back_as_base64() {
        let (ssm, secrets) = services();
        let c = caller();
        secrets
            .create_secret(
                &c,
                CreateSecretInput {
                    name: "bin".into(),
                    client_request_token: Some(T1.into()),
                    value: Some(SecretValue::Binary(SecretBytes::new(vec![0, 0xff, 0x80]))),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let p = ssm
            .get_parameter(&c, "/aws/reference/secretsmanager/bin", true)
            .await
            .unwrap();
        assert_eq!(p.value.expose(), "AP+A");
        let source = p.source.as_deref().expect("source");
        assert!(matches!(&source.value, SecretValue::Binary(b) if b.expose() == [0, 0xff, 0x80]));
    }

    #[tokio::test]
    async fn without_secrets_a_reference_is_not_found() {
        let ssm = ParameterStore::in_memory("123456789012").unwrap();
        let name = "/aws/reference/secretsmanager/x";
        assert_eq!(
            ssm.get_parameter(&caller(), name, true).await.unwrap_err(),
            SsmError::not_found(name)
        );
    }
}
