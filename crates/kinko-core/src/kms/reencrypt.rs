//! ReEncrypt (spec §6): decrypt under the source key and encrypt under the
//! destination, in one call, the plaintext never leaving the server. Each
//! half is Decrypt's or Encrypt's own logic, so every key kind either can
//! take (symmetric blobs, RSA-OAEP with `SourceKeyId` +
//! `SourceEncryptionAlgorithm`) works here with the same errors, named
//! `ReEncrypt`.

use super::model::{DecryptInput, EncryptInput, EncryptionContext};
use super::{Kms, KmsError};

#[derive(Debug, Clone, Default)]
pub struct ReEncryptInput {
    pub ciphertext_blob: Vec<u8>,
    pub source_encryption_context: EncryptionContext,
    pub source_key_id: Option<String>,
    pub source_encryption_algorithm: Option<String>,
    pub destination_key_id: String,
    pub destination_encryption_context: EncryptionContext,
    pub destination_encryption_algorithm: Option<String>,
    pub dry_run: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReEncryptOutput {
    pub ciphertext_blob: Vec<u8>,
    /// The source key's ARN.
    pub source_key_id: String,
    /// The destination key's ARN.
    pub key_id: String,
    pub source_encryption_algorithm: &'static str,
    pub destination_encryption_algorithm: &'static str,
}

impl Kms {
    /// A `DryRun` checks both halves (the source is opened, not returned)
    /// and answers `DryRunOperationException` from the destination's.
    pub async fn re_encrypt(
        &self,
        region: &str,
        input: ReEncryptInput,
    ) -> Result<ReEncryptOutput, KmsError> {
        let source = self
            .decrypt_as(
                region,
                DecryptInput {
                    ciphertext_blob: input.ciphertext_blob,
                    encryption_context: input.source_encryption_context,
                    key_id: input.source_key_id,
                    encryption_algorithm: input.source_encryption_algorithm,
                    dry_run: false,
                },
                "ReEncrypt",
            )
            .await?;
        let destination = self
            .encrypt_as(
                region,
                EncryptInput {
                    key_id: input.destination_key_id,
                    plaintext: source.plaintext,
                    encryption_context: input.destination_encryption_context,
                    encryption_algorithm: input.destination_encryption_algorithm,
                    dry_run: input.dry_run,
                },
                "ReEncrypt",
            )
            .await?;
        Ok(ReEncryptOutput {
            ciphertext_blob: destination.ciphertext_blob,
            source_key_id: source.key_id,
            key_id: destination.key_id,
            source_encryption_algorithm: source.encryption_algorithm,
            destination_encryption_algorithm: destination.encryption_algorithm,
        })
    }
}
