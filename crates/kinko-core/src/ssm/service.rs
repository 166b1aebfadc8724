//! [`ParameterStore`]: the Parameter Store operations over a [`Store`] and
//! the [`Keyring`]. The operations themselves live in `put`, `get`,
//! `delete`, `describe`, `history`, `labels` and `tags`; this module holds
//! what they share: sealing and opening values, and record conversions.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use kinko_crypto::SecretString;
use kinko_model::ssm::parameter_arn;
use kinko_store::{ParameterRecord, ParameterRows, ParameterVersion, Store};

use super::error::SsmError;
use super::model::{Caller, Parameter, ParameterMetadata};
use super::policies;
use super::types::ParameterType;
use crate::keyring::{Keyring, KeyringError};
use crate::kms::KeyManagers;
use crate::secrets::SecretsManager;

/// The KMS-style key every value is sealed with unless the caller names
/// another (SecureString only).
pub const DEFAULT_KEY: &str = "alias/aws/ssm";
/// AWS keeps the 100 newest versions of a parameter.
pub const MAX_VERSIONS: u32 = 100;
pub const MAX_LABELS_PER_VERSION: usize = 10;
pub const MAX_TAGS: usize = 50;
/// Compare-and-swap attempts before answering `TooManyUpdates`.
pub const MAX_WRITE_ATTEMPTS: usize = 64;

pub struct ParameterStore {
    /// Only the parameter rows: keys are the keyring's (whose key rows also
    /// answer which keys are customer managed).
    pub(super) store: Arc<dyn ParameterRows>,
    pub(super) keyring: Arc<Keyring>,
    /// Queues this server's writers of one name (see `write_locks`).
    pub(super) write_locks: crate::write_locks::WriteLocks,
    /// Serves `/aws/reference/secretsmanager/<secret-id>` reads, as AWS does.
    pub(super) secrets: Option<Arc<SecretsManager>>,
    /// Tells customer-managed keys (whose use needs `kms:*` permission) from
    /// AWS-managed ones.
    pub(super) key_managers: KeyManagers,
}

impl ParameterStore {
    pub fn new(store: Arc<dyn ParameterRows>, keyring: Arc<Keyring>) -> Self {
        ParameterStore {
            store,
            keyring,
            write_locks: crate::write_locks::WriteLocks::new(),
            secrets: None,
            key_managers: KeyManagers::new(),
        }
    }

    /// Lets GetParameter read Secrets Manager secrets through
    /// `/aws/reference/secretsmanager/<secret-id>`.
    pub fn with_secrets(mut self, secrets: Arc<SecretsManager>) -> Self {
        self.secrets = Some(secrets);
        self
    }

    /// A store over a fresh in-memory SQLite database with a random root
    /// key: for `--dev` mode and tests of the layers above.
    pub fn in_memory(account_id: &str) -> Result<Self, SsmError> {
        let store: Arc<dyn Store> = Arc::new(kinko_store::SqliteStore::open_in_memory()?);
        let keyring = Arc::new(Keyring::new(
            store.clone(),
            kinko_crypto::RootKey::generate(),
            account_id.to_owned(),
        ));
        Ok(Self::new(store, keyring))
    }

    /// Binds a sealed value to its region, parameter and version, so a row
    /// copied onto another parameter or version fails to open.
    pub(super) fn aad(region: &str, canonical: &str, version: u32) -> Vec<u8> {
        format!("ssm:{region}:{canonical}:{version}").into_bytes()
    }

    pub(super) async fn seal(
        &self,
        region: &str,
        key_ref: &str,
        canonical: &str,
        version: u32,
        value: &SecretString,
    ) -> Result<Vec<u8>, SsmError> {
        let aad = Self::aad(region, canonical, version);
        let (sealed, _key) = self
            .keyring
            .seal(region, key_ref, value.expose().as_bytes(), &aad)
            .await
            .map_err(|e| keyring_error(e, key_ref))?;
        Ok(sealed)
    }

    /// The value a read returns: plaintext, or for a SecureString read
    /// without decryption the base64 of the sealed envelope (AWS returns
    /// its ciphertext blob there).
    pub(super) async fn read_value(
        &self,
        region: &str,
        canonical: &str,
        v: &ParameterVersion,
        with_decryption: bool,
    ) -> Result<SecretString, SsmError> {
        if v.parameter_type == ParameterType::SecureString && !with_decryption {
            return Ok(SecretString::new(STANDARD.encode(&v.value)));
        }
        let aad = Self::aad(region, canonical, v.version);
        let plain = self
            .keyring
            .open(region, &v.value, &aad)
            .await
            .map_err(|e| match e {
                KeyringError::Decrypt => SsmError::Tampered(format!(
                    "The stored value of parameter {canonical} (version {}) failed its integrity check: \
                     it was altered or copied from another parameter in the database. \
                     Restore it from a backup or overwrite it.",
                    v.version
                )),
                other => keyring_error(other, v.key_id.as_deref().unwrap_or(DEFAULT_KEY)),
            })?;
        plain
            .into_secret_string()
            .map_err(|_| SsmError::Internal(format!("stored value of {canonical} is not UTF-8")))
    }

    /// The customer-managed key a read of `v` decrypts with, if any: what
    /// the caller then also needs `kms:Decrypt` on. AWS-managed
    /// `alias/aws/ssm` (the default) needs nothing and costs no lookup.
    pub(super) async fn decrypt_key_arn(
        &self,
        region: &str,
        v: &ParameterVersion,
        with_decryption: bool,
    ) -> Result<Option<String>, SsmError> {
        if v.parameter_type != ParameterType::SecureString || !with_decryption {
            return Ok(None);
        }
        if v.key_id.as_deref().is_none_or(|k| k == DEFAULT_KEY) {
            return Ok(None);
        }
        Ok(self
            .key_managers
            .customer_key_of_sealed(&self.keyring, region, &v.value)
            .await?)
    }

    pub(super) async fn to_parameter(
        &self,
        caller: &Caller,
        record: ParameterRecord,
        selector: Option<String>,
        with_decryption: bool,
    ) -> Result<Parameter, SsmError> {
        let value = self
            .read_value(
                &caller.region,
                &record.name,
                &record.version,
                with_decryption,
            )
            .await?;
        let kms_key_arn = self
            .decrypt_key_arn(&caller.region, &record.version, with_decryption)
            .await?;
        let arn = parameter_arn(&caller.region, &caller.account_id, &record.name);
        let v = record.version;
        Ok(Parameter {
            source: None,
            key_id: v.key_id,
            kms_key_arn,
            name: record.display_name,
            parameter_type: v.parameter_type,
            value,
            version: v.version,
            selector,
            last_modified_ms: v.last_modified_ms,
            arn,
            data_type: v.data_type,
        })
    }
}

pub(super) fn to_metadata(caller: &Caller, record: ParameterRecord) -> ParameterMetadata {
    let arn = parameter_arn(&caller.region, &caller.account_id, &record.name);
    let v = record.version;
    ParameterMetadata {
        name: record.display_name,
        arn,
        policies: policies::inline(v.policies.as_deref()),
        parameter_type: v.parameter_type,
        key_id: v.key_id,
        last_modified_ms: v.last_modified_ms,
        last_modified_user: v.last_modified_user,
        description: v.description,
        allowed_pattern: v.allowed_pattern,
        version: v.version,
        tier: v.tier,
        data_type: v.data_type,
    }
}

pub(super) fn keyring_error(e: KeyringError, key_ref: &str) -> SsmError {
    match e {
        KeyringError::KeyNotFound(_) => {
            SsmError::InvalidKeyId(format!("Key {key_ref} is not found."))
        }
        KeyringError::KeyDisabled(_) => {
            SsmError::InvalidKeyId(format!("Key {key_ref} is disabled."))
        }
        // kinko's text: AWS's for an asymmetric key is unconfirmed.
        KeyringError::NotSymmetric(_) => {
            SsmError::InvalidKeyId(format!("Key {key_ref} is not a symmetric encryption key."))
        }
        KeyringError::Store(kinko_store::StoreError::Unavailable(m)) => SsmError::Unavailable(m),
        KeyringError::Store(kinko_store::StoreError::OutOfSpace) => SsmError::OutOfSpace,
        other => SsmError::Internal(format!("keyring: {other}")),
    }
}

pub(super) fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}
