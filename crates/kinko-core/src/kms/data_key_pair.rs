//! GenerateDataKeyPair and GenerateDataKeyPairWithoutPlaintext (spec §8):
//! a fresh key pair whose private key (PKCS#8 DER) comes back sealed under
//! a symmetric KMS key, in the same blob format as Encrypt's, so Decrypt
//! opens it like any other ciphertext.

use kinko_crypto::SecretBytes;

use super::context::context_aad;
use super::key_pair;
use super::key_spec::{KeySpec, SpecFamily};
use super::model::EncryptionContext;
use super::{Kms, KmsError};

#[derive(Debug, Clone)]
pub struct GenerateDataKeyPairInput {
    pub key_id: String,
    /// `KeyPairSpec` as sent (the wire layer has checked the model's enum).
    pub key_pair_spec: String,
    pub encryption_context: EncryptionContext,
    pub dry_run: bool,
}

#[derive(Debug)]
pub struct GenerateDataKeyPairOutput {
    pub private_key_ciphertext_blob: Vec<u8>,
    /// PKCS#8 DER.
    pub private_key_plaintext: SecretBytes,
    /// DER SubjectPublicKeyInfo.
    pub public_key: Vec<u8>,
    /// The key ARN.
    pub key_id: String,
    pub key_pair_spec: KeySpec,
}

/// The pair specs kinko makes: RSA and the ECC curves. SM2 and Ed25519 are
/// `UnsupportedOperationException`, as CreateKey refuses them.
fn pair_spec(name: &str) -> Result<KeySpec, KmsError> {
    KeySpec::parse(name)
        .filter(|s| matches!(s.family(), SpecFamily::Rsa | SpecFamily::Ecc))
        .ok_or_else(|| {
            KmsError::UnsupportedOperation(format!(
                "KeyPairSpec {name} is not supported by this server."
            ))
        })
}

impl Kms {
    /// `op` is the operation's name for the errors.
    pub async fn generate_data_key_pair(
        &self,
        region: &str,
        input: GenerateDataKeyPairInput,
        op: &str,
    ) -> Result<GenerateDataKeyPairOutput, KmsError> {
        let key = self.symmetric_key(region, &input.key_id, op).await?;
        let spec = pair_spec(&input.key_pair_spec)?;
        if input.dry_run {
            return Err(KmsError::dry_run());
        }
        let pair = tokio::task::spawn_blocking(move || key_pair::generate(spec))
            .await
            .map_err(|e| KmsError::Internal(format!("key generation task: {e}")))?
            .map_err(|e| KmsError::Internal(format!("key generation: {e}")))?;
        let aad = context_aad(&input.encryption_context);
        let (blob, _material_id) = self
            .seal_blob(region, &key, pair.private_key.expose(), &aad)
            .await?;
        Ok(GenerateDataKeyPairOutput {
            private_key_ciphertext_blob: blob,
            private_key_plaintext: pair.private_key,
            public_key: pair.public_key,
            key_id: key.arn,
            key_pair_spec: spec,
        })
    }
}
