//! Encrypt, Decrypt, GenerateDataKey(WithoutPlaintext) and GenerateRandom.
//!
//! A ciphertext blob is a [`kinko_crypto::envelope`] sealed under the KMS
//! key by the keyring, with AAD = [`context_aad`] of the encryption context:
//! the envelope names its key (Decrypt needs no `KeyId`) and binds it, and
//! the AAD binds the context. Every way a blob can fail to open (not an
//! envelope, an unknown key, another context, a flipped bit) is the same
//! `InvalidCiphertextException` with an empty message.

use kinko_crypto::{SecretBytes, envelope, random_bytes};

use super::context::context_aad;
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

impl Kms {
    /// Loads an enabled key for a cryptographic operation.
    async fn usable_key(&self, region: &str, key_ref: &str) -> Result<KeyHandle, KmsError> {
        let key = self.load(region, key_ref).await?;
        key.check_usable()?;
        Ok(key)
    }

    async fn seal_blob(
        &self,
        region: &str,
        key: &KeyHandle,
        plaintext: &[u8],
        aad: &[u8],
    ) -> Result<Vec<u8>, KmsError> {
        let (blob, _) = self
            .keyring
            .seal(region, &key.record.key_id, plaintext, aad)
            .await
            .map_err(keyring_error)?;
        Ok(blob)
    }

    pub async fn encrypt(
        &self,
        region: &str,
        input: EncryptInput,
    ) -> Result<EncryptOutput, KmsError> {
        let key = self.usable_key(region, &input.key_id).await?;
        check_algorithm(&input.encryption_algorithm, &key, "Encrypt")?;
        if input.plaintext.is_empty() || input.plaintext.len() > MAX_PLAINTEXT {
            return Err(KmsError::Validation(format!(
                "Plaintext must be 1 to {MAX_PLAINTEXT} bytes long."
            )));
        }
        if input.dry_run {
            return Err(KmsError::dry_run());
        }
        let aad = context_aad(&input.encryption_context);
        let blob = self
            .seal_blob(region, &key, input.plaintext.expose(), &aad)
            .await?;
        Ok(EncryptOutput {
            ciphertext_blob: blob,
            key_id: key.arn,
        })
    }

    pub async fn decrypt(
        &self,
        region: &str,
        input: DecryptInput,
    ) -> Result<DecryptOutput, KmsError> {
        if input.ciphertext_blob.is_empty() || input.ciphertext_blob.len() > MAX_CIPHERTEXT {
            return Err(KmsError::Validation(format!(
                "CiphertextBlob must be 1 to {MAX_CIPHERTEXT} bytes long."
            )));
        }
        let blob_key_id = envelope::key_id(&input.ciphertext_blob)
            .map_err(|_| KmsError::InvalidCiphertext)?
            .to_owned();
        if let Some(key_ref) = &input.key_id {
            let named = self.load(region, key_ref).await?;
            if named.record.key_id != blob_key_id {
                return Err(KmsError::incorrect_key());
            }
        }
        // A blob naming a key that does not exist here is foreign, not a
        // lookup failure: the caller gave us ciphertext, not a key id.
        let key = match self.load_id(region, &blob_key_id).await {
            Ok(key) => key,
            Err(KmsError::NotFound(_)) => return Err(KmsError::InvalidCiphertext),
            Err(e) => return Err(e),
        };
        key.check_usable()?;
        check_algorithm(&input.encryption_algorithm, &key, "Decrypt")?;
        if input.dry_run {
            return Err(KmsError::dry_run());
        }
        let aad = context_aad(&input.encryption_context);
        let plaintext = self
            .keyring
            .open(region, &input.ciphertext_blob, &aad)
            .await
            .map_err(|e| match e {
                KeyringError::Decrypt | KeyringError::Crypto(_) | KeyringError::KeyNotFound(_) => {
                    KmsError::InvalidCiphertext
                }
                other => keyring_error(other),
            })?;
        Ok(DecryptOutput {
            key_id: key.arn,
            plaintext,
        })
    }

    pub async fn generate_data_key(
        &self,
        region: &str,
        input: GenerateDataKeyInput,
    ) -> Result<GenerateDataKeyOutput, KmsError> {
        let key = self.usable_key(region, &input.key_id).await?;
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
        let blob = self
            .seal_blob(region, &key, plaintext.expose(), &aad)
            .await?;
        Ok(GenerateDataKeyOutput {
            ciphertext_blob: blob,
            plaintext,
            key_id: key.arn,
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
