//! Asymmetric KMS keys: their secrets at CreateKey, and Sign, Verify,
//! GetPublicKey and DeriveSharedSecret (spec §8).
//!
//! An asymmetric key's private key (PKCS#8 DER), like an HMAC key's secret,
//! is sealed under the KMS key's own 32-byte material with AAD
//! [`secret_aad`] and kept in the record's metadata; the public key is kept
//! in the clear. The material is wrapped under the root key as for every
//! key, so these secrets are under the root key too, and root-key rotation
//! (which re-wraps only the material) leaves them readable.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use kinko_crypto::{SecretBytes, random_bytes};

use super::key_pair::{self, KeyPairError, Message};
use super::key_spec::{KEY_AGREEMENT_ECDH, KeySpec, KeyUsage, SigningAlgorithm, SpecFamily};
use super::model::SealedSecret;
use super::{KeyHandle, Kms, KmsError, keyring_error};
use crate::keyring::KeySealer;

/// AAD of a key's sealed secret: names the key and what the secret is, so
/// it opens for nothing else.
pub(super) fn secret_aad(key_id: &str, spec: KeySpec) -> Vec<u8> {
    let purpose = match spec.family() {
        SpecFamily::Hmac => "hmac-key",
        _ => "private-key",
    };
    format!("kinko-kms-key-secret-v1\0{key_id}\0{purpose}").into_bytes()
}

/// What CreateKey makes for a spec with secrets of its own.
pub(super) struct KeySecrets {
    secret: SecretBytes,
    public_key: Option<Vec<u8>>,
}

impl KeySecrets {
    /// Generates off the async threads: an RSA 4096 key takes a while.
    pub(super) async fn generate(spec: KeySpec) -> Result<Option<KeySecrets>, KmsError> {
        match spec.family() {
            SpecFamily::Symmetric => Ok(None),
            SpecFamily::Hmac => {
                let len = spec.hmac_key_len().unwrap_or(32);
                Ok(Some(KeySecrets {
                    secret: SecretBytes::new(random_bytes(len)),
                    public_key: None,
                }))
            }
            SpecFamily::Rsa | SpecFamily::Ecc => {
                let pair = tokio::task::spawn_blocking(move || key_pair::generate(spec))
                    .await
                    .map_err(|e| KmsError::Internal(format!("key generation task: {e}")))?
                    .map_err(|e| KmsError::Internal(format!("key generation: {e}")))?;
                Ok(Some(KeySecrets {
                    secret: pair.private_key,
                    public_key: Some(pair.public_key),
                }))
            }
        }
    }

    /// Seals the secret under the new key and returns (sealed, public key),
    /// both base64, for the metadata JSON.
    pub(super) fn seal(
        &self,
        sealer: &KeySealer<'_>,
        spec: KeySpec,
    ) -> Result<(SealedSecret, Option<String>), KmsError> {
        let sealed = sealer
            .seal(self.secret.expose(), &secret_aad(sealer.key_id(), spec))
            .map_err(keyring_error)?;
        Ok((
            SealedSecret(STANDARD.encode(sealed)),
            self.public_key.as_ref().map(|p| STANDARD.encode(p)),
        ))
    }
}

#[derive(Debug)]
pub struct SignInput {
    pub key_id: String,
    /// May be the caller's plaintext: kept zeroizing.
    pub message: SecretBytes,
    /// `RAW` (default), `DIGEST` or `EXTERNAL_MU`.
    pub message_type: Option<String>,
    pub signing_algorithm: String,
    pub dry_run: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignOutput {
    /// The key ARN.
    pub key_id: String,
    pub signature: Vec<u8>,
    pub signing_algorithm: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyOutput {
    /// The key ARN.
    pub key_id: String,
    pub signing_algorithm: &'static str,
}

#[derive(Debug)]
pub struct VerifyInput {
    pub sign: SignInput,
    pub signature: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKeyOutput {
    /// The key ARN.
    pub key_id: String,
    /// DER SubjectPublicKeyInfo.
    pub public_key: Vec<u8>,
    pub key_spec: KeySpec,
    pub key_usage: KeyUsage,
}

#[derive(Debug)]
pub struct DeriveSharedSecretInput {
    pub key_id: String,
    pub key_agreement_algorithm: String,
    /// The peer's DER SubjectPublicKeyInfo.
    pub public_key: Vec<u8>,
    pub dry_run: bool,
}

#[derive(Debug)]
pub struct DeriveSharedSecretOutput {
    /// The key ARN.
    pub key_id: String,
    pub shared_secret: SecretBytes,
    pub key_agreement_algorithm: &'static str,
    /// `AWS_KMS`, or `EXTERNAL` for imported material.
    pub key_origin: &'static str,
}

/// The algorithm and message of a Sign or Verify, checked against the key:
/// an algorithm the spec lacks is `InvalidKeyUsageException`; a `DIGEST`
/// of the wrong length is `ValidationException` with the text AWS users
/// report (`Digest is invalid length for algorithm ECDSA_SHA_256.`).
fn signing_request<'a>(
    key: &KeyHandle,
    input: &'a SignInput,
) -> Result<(SigningAlgorithm, Message<'a>), KmsError> {
    let alg = SigningAlgorithm::parse(&input.signing_algorithm)
        .filter(|a| super::key_spec::signing_algorithms(key.spec()).contains(a))
        .ok_or_else(|| key.incompatible(&input.signing_algorithm))?;
    let message = input.message.expose();
    let message = match input.message_type.as_deref() {
        None | Some("RAW") => Message::Raw(message),
        Some("DIGEST") => {
            if message.len() != alg.digest_len() {
                return Err(KmsError::Validation(format!(
                    "Digest is invalid length for algorithm {}.",
                    alg.as_str()
                )));
            }
            Message::Digest(message)
        }
        // Text unconfirmed: AWS keeps EXTERNAL_MU for ML-DSA keys, which
        // kinko does not make.
        Some(other) => {
            return Err(KmsError::Validation(format!(
                "MessageType {other} is not valid with signing algorithm {}.",
                alg.as_str()
            )));
        }
    };
    Ok((alg, message))
}

impl Kms {
    /// An enabled key of `usage`, for operation `op`.
    pub(super) async fn key_for(
        &self,
        region: &str,
        key_ref: &str,
        usage: KeyUsage,
        op: &str,
    ) -> Result<KeyHandle, KmsError> {
        let key = self.load(region, key_ref).await?;
        key.check_usable()?;
        key.check_usage(usage, op)?;
        Ok(key)
    }

    /// Opens a key's sealed private or HMAC key. A key without one (or one
    /// that fails to open) is a fault of ours, never the caller's.
    pub(super) async fn key_secret(&self, key: &KeyHandle) -> Result<SecretBytes, KmsError> {
        let sealed = key
            .meta
            .sealed_secret
            .as_ref()
            .and_then(|s| STANDARD.decode(&s.0).ok())
            .ok_or_else(|| {
                KmsError::Internal(format!("key {} has no sealed secret", key.record.key_id))
            })?;
        self.keyring
            .open_with_key(
                &key.record.region,
                &key.record.key_id,
                &sealed,
                &secret_aad(&key.record.key_id, key.spec()),
            )
            .await
            .map_err(|e| match e {
                crate::keyring::KeyringError::KeyDisabled(arn) => KmsError::disabled(&arn),
                other => KmsError::Internal(format!(
                    "sealed secret of key {}: {other}",
                    key.record.key_id
                )),
            })
    }

    pub(super) fn public_key_of(key: &KeyHandle) -> Result<Vec<u8>, KmsError> {
        key.meta
            .public_key
            .as_ref()
            .and_then(|p| STANDARD.decode(p).ok())
            .ok_or_else(|| {
                KmsError::Internal(format!("key {} has no public key", key.record.key_id))
            })
    }

    pub async fn sign(&self, region: &str, input: SignInput) -> Result<SignOutput, KmsError> {
        let key = self
            .key_for(region, &input.key_id, KeyUsage::SignVerify, "Sign")
            .await?;
        let (alg, message) = signing_request(&key, &input)?;
        if input.dry_run {
            return Err(KmsError::dry_run());
        }
        let private_key = self.key_secret(&key).await?;
        let signature = key_pair::sign(key.spec(), &private_key, alg, message)
            .map_err(|e| KmsError::Internal(format!("sign: {e}")))?;
        Ok(SignOutput {
            key_id: key.arn,
            signature,
            signing_algorithm: alg.as_str(),
        })
    }

    /// A signature that does not verify is `KMSInvalidSignatureException`,
    /// not `SignatureValid: false`, as on AWS.
    pub async fn verify(&self, region: &str, input: VerifyInput) -> Result<VerifyOutput, KmsError> {
        let key = self
            .key_for(region, &input.sign.key_id, KeyUsage::SignVerify, "Verify")
            .await?;
        let (alg, message) = signing_request(&key, &input.sign)?;
        if input.sign.dry_run {
            return Err(KmsError::dry_run());
        }
        let public_key = Self::public_key_of(&key)?;
        if !key_pair::verify(key.spec(), &public_key, alg, message, &input.signature) {
            return Err(KmsError::InvalidSignature);
        }
        Ok(VerifyOutput {
            key_id: key.arn,
            signing_algorithm: alg.as_str(),
        })
    }

    /// Symmetric and HMAC keys have no public key:
    /// `UnsupportedOperationException` (text unconfirmed).
    pub async fn get_public_key(
        &self,
        region: &str,
        key_ref: &str,
    ) -> Result<PublicKeyOutput, KmsError> {
        let key = self.load(region, key_ref).await?;
        key.check_usable()?;
        if !key.spec().is_asymmetric() {
            return Err(KmsError::UnsupportedOperation(format!(
                "{} has key spec {}; GetPublicKey needs an asymmetric KMS key.",
                key.arn,
                key.spec().as_str()
            )));
        }
        Ok(PublicKeyOutput {
            public_key: Self::public_key_of(&key)?,
            key_spec: key.spec(),
            key_usage: key.usage(),
            key_id: key.arn,
        })
    }

    /// Raw ECDH, as AWS returns it (callers apply their own KDF). A peer key
    /// that is not a DER SPKI on the key's curve is `ValidationException`
    /// (AWS's text unconfirmed).
    pub async fn derive_shared_secret(
        &self,
        region: &str,
        input: DeriveSharedSecretInput,
    ) -> Result<DeriveSharedSecretOutput, KmsError> {
        let key = self
            .key_for(
                region,
                &input.key_id,
                KeyUsage::KeyAgreement,
                "DeriveSharedSecret",
            )
            .await?;
        if input.key_agreement_algorithm != KEY_AGREEMENT_ECDH {
            return Err(key.incompatible(&input.key_agreement_algorithm));
        }
        if input.dry_run {
            return Err(KmsError::dry_run());
        }
        let private_key = self.key_secret(&key).await?;
        let shared_secret =
            key_pair::ecdh(key.spec(), &private_key, &input.public_key).map_err(|e| match e {
                KeyPairError::PeerKey => KmsError::Validation(format!(
                    "PublicKey is not a DER-encoded SubjectPublicKeyInfo of a {} public key.",
                    key.spec().as_str()
                )),
                other => KmsError::Internal(format!("ecdh: {other}")),
            })?;
        let key_origin = if key.is_external() {
            super::model::ORIGIN_EXTERNAL
        } else {
            super::model::ORIGIN
        };
        Ok(DeriveSharedSecretOutput {
            key_id: key.arn,
            shared_secret,
            key_agreement_algorithm: KEY_AGREEMENT_ECDH,
            key_origin,
        })
    }
}
