//! Encrypt, Decrypt, GenerateDataKey(WithoutPlaintext) and GenerateRandom.
//!
//! A ciphertext blob is a [`kinko_crypto::envelope`] sealed under the KMS
//! key by the keyring, with AAD = [`context_aad`] of the encryption context:
//! the envelope names its key (Decrypt needs no `KeyId`) and binds it, and
//! the AAD binds the context. Every way a blob can fail to open (not an
//! envelope, an unknown key, another context, a flipped bit) is the same
//! `InvalidCiphertextException` with an empty message.
//!
//! An RSA `ENCRYPT_DECRYPT` key encrypts with RSA-OAEP under its public key
//! instead: that ciphertext is bare (no key id, no metadata, as on AWS), so
//! Decrypt must be given the `KeyId` and the `EncryptionAlgorithm`, and
//! an encryption context is refused with it.

use kinko_crypto::{SecretBytes, envelope, random_bytes};

use super::context::context_aad;
use super::key_pair::{self, KeyPairError};
use super::key_spec::{EncryptionAlgorithm, KeyUsage, SpecFamily};
use super::model::{
    DecryptInput, DecryptOutput, ENCRYPTION_ALGORITHM, EncryptInput, EncryptOutput,
    GenerateDataKeyInput, GenerateDataKeyOutput,
};
use super::{KeyHandle, Kms, KmsError, keyring_error};
use crate::keyring::KeyringError;

pub const MAX_PLAINTEXT: usize = 4096;
pub const MAX_CIPHERTEXT: usize = 6144;
pub const MAX_RANDOM_BYTES: usize = 1024;

/// Only the symmetric algorithm exists for the keys kinko makes.
fn check_algorithm(algorithm: &Option<String>, key: &KeyHandle, op: &str) -> Result<(), KmsError> {
    match algorithm {
        Some(a) if a != ENCRYPTION_ALGORITHM => Err(KmsError::InvalidKeyUsage(format!(
            "Algorithm {a} is incompatible with key spec SYMMETRIC_DEFAULT of {} for {op}.",
            key.arn
        ))),
        _ => Ok(()),
    }
}

/// The RSA-OAEP algorithm asked for. AWS's default, `SYMMETRIC_DEFAULT`,
/// is not one an RSA key has.
fn rsa_algorithm(
    algorithm: Option<&str>,
    key: &KeyHandle,
) -> Result<EncryptionAlgorithm, KmsError> {
    match algorithm {
        Some("RSAES_OAEP_SHA_1") => Ok(EncryptionAlgorithm::RsaesOaepSha1),
        Some("RSAES_OAEP_SHA_256") => Ok(EncryptionAlgorithm::RsaesOaepSha256),
        other => Err(key.incompatible(other.unwrap_or(ENCRYPTION_ALGORITHM))),
    }
}

/// Asymmetric ciphertext carries no context to bind (text unconfirmed).
fn no_context(context: &super::model::EncryptionContext) -> Result<(), KmsError> {
    if context.is_empty() {
        Ok(())
    } else {
        Err(KmsError::Validation(
            "EncryptionContext is not supported with asymmetric KMS keys.".into(),
        ))
    }
}

impl Kms {
    /// An enabled symmetric encryption key, for the operations only such a
    /// key can do (GenerateDataKey*, ReEncrypt's symmetric halves). An RSA
    /// key's text is by analogy with the usage one (unconfirmed).
    pub(super) async fn symmetric_key(
        &self,
        region: &str,
        key_ref: &str,
        op: &str,
    ) -> Result<KeyHandle, KmsError> {
        let key = self
            .key_for(region, key_ref, KeyUsage::EncryptDecrypt, op)
            .await?;
        if key.spec().family() != SpecFamily::Symmetric {
            return Err(KmsError::InvalidKeyUsage(format!(
                "{} key spec is {} which is not valid for {op}.",
                key.arn,
                key.spec().as_str()
            )));
        }
        Ok(key)
    }

    pub(super) async fn seal_blob(
        &self,
        region: &str,
        key: &KeyHandle,
        plaintext: &[u8],
        aad: &[u8],
    ) -> Result<(Vec<u8>, String), KmsError> {
        let (blob, resolved) = self
            .keyring
            .seal(region, &key.record.key_id, plaintext, aad)
            .await
            .map_err(keyring_error)?;
        let material_id = key
            .imported_material_id()
            .map_or(resolved.material_id, str::to_owned);
        Ok((blob, material_id))
    }

    pub async fn encrypt(
        &self,
        region: &str,
        input: EncryptInput,
    ) -> Result<EncryptOutput, KmsError> {
        self.encrypt_as(region, input, "Encrypt").await
    }

    /// Encrypt as operation `op` names itself in errors (ReEncrypt too).
    pub(super) async fn encrypt_as(
        &self,
        region: &str,
        input: EncryptInput,
        op: &str,
    ) -> Result<EncryptOutput, KmsError> {
        let key = self
            .key_for(region, &input.key_id, KeyUsage::EncryptDecrypt, op)
            .await?;
        if input.plaintext.is_empty() || input.plaintext.len() > MAX_PLAINTEXT {
            return Err(KmsError::Validation(format!(
                "Plaintext must be 1 to {MAX_PLAINTEXT} bytes long."
            )));
        }
        if key.spec().family() == SpecFamily::Rsa {
            return self.encrypt_rsa(key, input);
        }
        check_algorithm(&input.encryption_algorithm, &key, op)?;
        if input.dry_run {
            return Err(KmsError::dry_run());
        }
        let aad = context_aad(&input.encryption_context);
        let (blob, _) = self
            .seal_blob(region, &key, input.plaintext.expose(), &aad)
            .await?;
        Ok(EncryptOutput {
            ciphertext_blob: blob,
            key_id: key.arn,
            encryption_algorithm: ENCRYPTION_ALGORITHM,
        })
    }

    /// RSA-OAEP under the key's public key, within the Encrypt doc's size
    /// table (text of the too-long error unconfirmed).
    fn encrypt_rsa(&self, key: KeyHandle, input: EncryptInput) -> Result<EncryptOutput, KmsError> {
        let alg = rsa_algorithm(input.encryption_algorithm.as_deref(), &key)?;
        no_context(&input.encryption_context)?;
        let max = key_pair::oaep_max_plaintext(key.spec(), alg);
        if input.plaintext.len() > max {
            return Err(KmsError::Validation(format!(
                "Plaintext is too long: {} with {} encrypts at most {max} bytes.",
                key.spec().as_str(),
                alg.as_str()
            )));
        }
        if input.dry_run {
            return Err(KmsError::dry_run());
        }
        let public_key = Self::public_key_of(&key)?;
        let blob = key_pair::oaep_encrypt(&public_key, alg, input.plaintext.expose())
            .map_err(|e| KmsError::Internal(format!("rsa encrypt: {e}")))?;
        Ok(EncryptOutput {
            ciphertext_blob: blob,
            key_id: key.arn,
            encryption_algorithm: alg.as_str(),
        })
    }

    pub async fn decrypt(
        &self,
        region: &str,
        input: DecryptInput,
    ) -> Result<DecryptOutput, KmsError> {
        self.decrypt_as(region, input, "Decrypt").await
    }

    /// Decrypt as operation `op` names itself in errors (ReEncrypt too).
    pub(super) async fn decrypt_as(
        &self,
        region: &str,
        input: DecryptInput,
        op: &str,
    ) -> Result<DecryptOutput, KmsError> {
        if input.ciphertext_blob.is_empty() || input.ciphertext_blob.len() > MAX_CIPHERTEXT {
            return Err(KmsError::Validation(format!(
                "CiphertextBlob must be 1 to {MAX_CIPHERTEXT} bytes long."
            )));
        }
        let named = match &input.key_id {
            Some(key_ref) => Some(self.load(region, key_ref).await?),
            None => None,
        };
        if let Some(key) = named.as_ref()
            && key.spec().family() != SpecFamily::Symmetric
        {
            return self.decrypt_asymmetric(key, input, op).await;
        }
        let blob_key_id = envelope::key_id(&input.ciphertext_blob)
            .map_err(|_| KmsError::InvalidCiphertext)?
            .to_owned();
        if let Some(named) = &named
            && named.record.key_id != blob_key_id
        {
            return Err(KmsError::incorrect_key());
        }
        // A blob naming a key that does not exist here is foreign, not a
        // lookup failure: the caller gave us ciphertext, not a key id.
        let key = match self.load_id(region, &blob_key_id).await {
            Ok(key) => key,
            Err(KmsError::NotFound(_)) => return Err(KmsError::InvalidCiphertext),
            Err(e) => return Err(e),
        };
        key.check_usable()?;
        check_algorithm(&input.encryption_algorithm, &key, op)?;
        if input.dry_run {
            return Err(KmsError::dry_run());
        }
        let aad = context_aad(&input.encryption_context);
        let (plaintext, key_material_id) = self
            .keyring
            .open_reporting_material(region, &input.ciphertext_blob, &aad)
            .await
            .map_err(|e| match e {
                KeyringError::Decrypt | KeyringError::Crypto(_) | KeyringError::KeyNotFound(_) => {
                    KmsError::InvalidCiphertext
                }
                other => keyring_error(other),
            })?;
        let key_material_id = key
            .imported_material_id()
            .map_or(key_material_id, str::to_owned);
        Ok(DecryptOutput {
            key_id: key.arn,
            plaintext,
            encryption_algorithm: ENCRYPTION_ALGORITHM,
            key_material_id: Some(key_material_id),
        })
    }

    /// Decrypt with the asymmetric key the caller named: RSA-OAEP with its
    /// private key. Every failure to decrypt is `InvalidCiphertextException`.
    async fn decrypt_asymmetric(
        &self,
        key: &KeyHandle,
        input: DecryptInput,
        op: &str,
    ) -> Result<DecryptOutput, KmsError> {
        key.check_usable()?;
        key.check_usage(KeyUsage::EncryptDecrypt, op)?;
        let alg = rsa_algorithm(input.encryption_algorithm.as_deref(), key)?;
        no_context(&input.encryption_context)?;
        if input.dry_run {
            return Err(KmsError::dry_run());
        }
        let private_key = self.key_secret(key).await?;
        let plaintext = key_pair::oaep_decrypt(&private_key, alg, &input.ciphertext_blob).map_err(
            |e| match e {
                KeyPairError::Decrypt => KmsError::InvalidCiphertext,
                other => KmsError::Internal(format!("rsa decrypt: {other}")),
            },
        )?;
        Ok(DecryptOutput {
            key_id: key.arn.clone(),
            plaintext,
            encryption_algorithm: alg.as_str(),
            key_material_id: None,
        })
    }

    pub async fn generate_data_key(
        &self,
        region: &str,
        input: GenerateDataKeyInput,
    ) -> Result<GenerateDataKeyOutput, KmsError> {
        let key = self
            .symmetric_key(region, &input.key_id, "GenerateDataKey")
            .await?;
        let len = input.size.byte_len();
        if len == 0 || len > MAX_RANDOM_BYTES {
            return Err(KmsError::Validation(format!(
                "NumberOfBytes must be 1 to {MAX_RANDOM_BYTES}."
            )));
        }
        if input.dry_run {
            return Err(KmsError::dry_run());
        }
        let plaintext = SecretBytes::new(random_bytes(len));
        let aad = context_aad(&input.encryption_context);
        let (blob, key_material_id) = self
            .seal_blob(region, &key, plaintext.expose(), &aad)
            .await?;
        Ok(GenerateDataKeyOutput {
            ciphertext_blob: blob,
            plaintext,
            key_id: key.arn,
            key_material_id,
        })
    }

    /// CSPRNG bytes (1–1024), bound to no key.
    pub fn generate_random(&self, number_of_bytes: usize) -> Result<SecretBytes, KmsError> {
        if number_of_bytes == 0 || number_of_bytes > MAX_RANDOM_BYTES {
            return Err(KmsError::Validation(format!(
                "NumberOfBytes must be 1 to {MAX_RANDOM_BYTES}."
            )));
        }
        Ok(SecretBytes::new(random_bytes(number_of_bytes)))
    }
}
