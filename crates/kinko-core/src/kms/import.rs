//! Imported key material (`Origin: EXTERNAL`, spec §13): GetParametersForImport,
//! ImportKeyMaterial and DeleteImportedKeyMaterial, and the state they keep.
//!
//! # Where imported material lives
//!
//! An EXTERNAL key is created like every key, with a fresh random 32-byte
//! material wrapped under the root key, but with [`ImportState`] in its
//! metadata saying no material was imported yet, so it is `PendingImport`
//! and the keyring refuses it ([`MaterialGate`]).
//! - Symmetric: the imported 32 bytes *become* the key's material: they
//!   replace `KmsKeyRecord::wrapped_material` (wrapped under the root key as
//!   any material). DeleteImportedKeyMaterial overwrites it with fresh random
//!   bytes, so the imported material is really gone from the store; a
//!   reimport of the same bytes puts it back and old ciphertexts open again.
//! - HMAC, RSA, ECC: the imported HMAC key or PKCS#8 private key is sealed
//!   under the key's own random material, as kinko's generated ones are (see
//!   `asymmetric.rs`), and the public key derived from it is kept beside it.
//!   Deleting drops the sealed secret and the public key.
//!
//! # KeyMaterialId
//!
//! 64 lowercase hex, SHA-256 over a fixed label, the key id and the
//! material (for RSA and ECC: the DER public key, so the same private key
//! in another PKCS#8 encoding is the same material). The same material
//! imported into the same key always gets the same id, which is how a
//! reimport is told from different material (`IncorrectKeyMaterialException`).
//! It reveals nothing usable: the material is at least 224 random bits, or a
//! private key whose public half is public anyway.
//!
//! # Expiry
//!
//! `ValidTo` is evaluated lazily at each use (the keyring's gate and
//! [`super::model::StoredKeyMeta::state`]): once it passes, the key is
//! `PendingImport` in DescribeKey and unusable everywhere, until the same
//! material is reimported. Unlike AWS, no job erases the expired material at
//! `ValidTo`; its sealed copy stays in the store (unusable) until a reimport
//! or DeleteImportedKeyMaterial overwrites it.
//!
//! # Import tokens
//!
//! The token is the wrapping private key (PKCS#8), the wrapping algorithm
//! and spec and the expiry (24 h), sealed with AES-256-GCM under a key
//! derived from the root key (`Keyring::seal_internal`), with AAD naming
//! the region and key id. So it is opaque, any change to it fails to open,
//! a token for another key fails to open (`InvalidImportTokenException`),
//! and the wrapping private key exists in plaintext only in memory while a
//! request uses it.
//!
//! # Not served
//!
//! `ImportType: NEW_KEY_MATERIAL` on a key that already has material (AWS's
//! on-demand rotation of imported material, `PENDING_ROTATION`) is
//! `UnsupportedOperationException`: an EXTERNAL key has one material here.

use aws_lc_rs::digest;
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa;
use aws_lc_rs::signature::{EcdsaKeyPair, KeyPair as _};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use kinko_crypto::{KeyMaterial, SecretBytes};
use kinko_store::KmsKeyRecord;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::asymmetric::secret_aad;
use super::key_spec::{KeySpec, SpecFamily};
use super::model::{SealedSecret, StoredKeyMeta};
use super::wrapping::{
    WrappingAlgorithm, WrappingKeySpec, generate_wrapping_key, modulus_len,
    parse_wrapping_algorithm, unwrap_material,
};
use super::{KeyHandle, Kms, KmsError, keyring_error, now_ms};

/// How long an import token and its wrapping key are valid.
pub const IMPORT_TOKEN_VALIDITY_MS: i64 = 24 * 60 * 60 * 1000;
/// The latest `ValidTo` accepted: 365 days after the request.
pub const MAX_VALID_TO_MS: i64 = 365 * 24 * 60 * 60 * 1000;
pub const KEY_MATERIAL_EXPIRES: &str = "KEY_MATERIAL_EXPIRES";
pub const KEY_MATERIAL_DOES_NOT_EXPIRE: &str = "KEY_MATERIAL_DOES_NOT_EXPIRE";
const TOKEN_VERSION: u8 = 1;

/// What an EXTERNAL key keeps about its imported material.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ImportState {
    /// The id of the material first imported: every later import must
    /// carry the same material. `None` until the first import.
    pub material_id: Option<String>,
    /// The material is present (imported, not deleted).
    pub imported: bool,
    /// `None` = does not expire.
    pub valid_to_ms: Option<i64>,
    /// `KeyMaterialDescription` of the last import.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl ImportState {
    /// The material is present and, if it expires, not expired at `now_ms`.
    pub fn usable_at(&self, now_ms: i64) -> bool {
        self.imported && self.valid_to_ms.is_none_or(|until| now_ms < until)
    }

    /// `ExpirationModel` as DescribeKey shows it: only once material was
    /// imported (AWS omits it on a key that never had any).
    pub fn expiration_model(&self) -> Option<&'static str> {
        if !self.imported {
            return None;
        }
        Some(match self.valid_to_ms {
            Some(_) => KEY_MATERIAL_EXPIRES,
            None => KEY_MATERIAL_DOES_NOT_EXPIRE,
        })
    }

    /// `ValidTo`: only for material that expires.
    pub fn valid_to_ms(&self) -> Option<i64> {
        if self.imported {
            self.valid_to_ms
        } else {
            None
        }
    }
}

/// The keyring's view of a key's imported material: whether it may use the
/// key's material now. Cached with the key, evaluated at each use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaterialGate {
    /// Not an EXTERNAL key (or material that never expires).
    Open,
    /// No material imported, or deleted.
    Closed,
    Until(i64),
}

impl MaterialGate {
    /// From a key record's metadata; metadata that does not parse closes
    /// the gate (fail closed).
    pub fn of(record: &KmsKeyRecord) -> MaterialGate {
        match StoredKeyMeta::parse(record) {
            Ok(meta) => match meta.import {
                None => MaterialGate::Open,
                Some(i) if !i.imported => MaterialGate::Closed,
                Some(i) => i
                    .valid_to_ms
                    .map_or(MaterialGate::Open, MaterialGate::Until),
            },
            Err(_) => MaterialGate::Closed,
        }
    }

    pub fn open_at(self, now_ms: i64) -> bool {
        match self {
            MaterialGate::Open => true,
            MaterialGate::Closed => false,
            MaterialGate::Until(until) => now_ms < until,
        }
    }
}

#[derive(Debug, Clone)]
pub struct GetParametersForImportInput {
    pub key_id: String,
    pub wrapping_algorithm: String,
    pub wrapping_key_spec: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetParametersForImportOutput {
    /// The key ARN.
    pub key_id: String,
    pub import_token: Vec<u8>,
    /// DER SubjectPublicKeyInfo of the wrapping key.
    pub public_key: Vec<u8>,
    pub parameters_valid_to_ms: i64,
}

#[derive(Debug)]
pub struct ImportKeyMaterialInput {
    pub key_id: String,
    pub import_token: Vec<u8>,
    pub encrypted_key_material: Vec<u8>,
    pub expiration_model: Option<String>,
    pub valid_to_ms: Option<i64>,
    pub import_type: Option<String>,
    pub key_material_description: Option<String>,
    pub key_material_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportKeyMaterialOutput {
    /// The key ARN.
    pub key_id: String,
    pub key_material_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteImportedKeyMaterialOutput {
    /// The key ARN.
    pub key_id: String,
    pub key_material_id: String,
}

/// What a token holds, open.
struct TokenContents {
    algorithm: WrappingAlgorithm,
    spec: WrappingKeySpec,
    expires_ms: i64,
    private_key: SecretBytes,
}

fn token_aad(region: &str, key_id: &str) -> Vec<u8> {
    format!("kinko-kms-import-token-v1\0{region}\0{key_id}").into_bytes()
}

fn algorithm_code(alg: WrappingAlgorithm) -> u8 {
    match alg {
        WrappingAlgorithm::RsaesOaepSha1 => 1,
        WrappingAlgorithm::RsaesOaepSha256 => 2,
        WrappingAlgorithm::RsaAesKeyWrapSha1 => 3,
        WrappingAlgorithm::RsaAesKeyWrapSha256 => 4,
    }
}

fn spec_code(spec: WrappingKeySpec) -> u8 {
    match spec {
        WrappingKeySpec::Rsa2048 => 1,
        WrappingKeySpec::Rsa3072 => 2,
        WrappingKeySpec::Rsa4096 => 3,
    }
}

/// The token's plaintext: version, algorithm, spec, expiry (i64 BE), then
/// the wrapping private key. Built in zeroizing memory.
fn encode_token(contents: &TokenContents) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(Vec::with_capacity(11 + contents.private_key.len()));
    out.push(TOKEN_VERSION);
    out.push(algorithm_code(contents.algorithm));
    out.push(spec_code(contents.spec));
    out.extend_from_slice(&contents.expires_ms.to_be_bytes());
    out.extend_from_slice(contents.private_key.expose());
    out
}

fn decode_token(plain: &[u8]) -> Option<TokenContents> {
    let (&[version, alg, spec], rest) = plain.split_first_chunk::<3>()?;
    if version != TOKEN_VERSION {
        return None;
    }
    let algorithm = [
        WrappingAlgorithm::RsaesOaepSha1,
        WrappingAlgorithm::RsaesOaepSha256,
        WrappingAlgorithm::RsaAesKeyWrapSha1,
        WrappingAlgorithm::RsaAesKeyWrapSha256,
    ]
    .into_iter()
    .find(|a| algorithm_code(*a) == alg)?;
    let spec = [
        WrappingKeySpec::Rsa2048,
        WrappingKeySpec::Rsa3072,
        WrappingKeySpec::Rsa4096,
    ]
    .into_iter()
    .find(|s| spec_code(*s) == spec)?;
    let (expires, private_key) = rest.split_first_chunk::<8>()?;
    Some(TokenContents {
        algorithm,
        spec,
        expires_ms: i64::from_be_bytes(*expires),
        private_key: SecretBytes::new(private_key.to_vec()),
    })
}

fn invalid_token() -> KmsError {
    KmsError::InvalidImportToken(
        "The import token is invalid or is associated with a different KMS key.".into(),
    )
}

fn incorrect_material(why: &str) -> KmsError {
    KmsError::IncorrectKeyMaterial(why.into())
}

/// The material's id (see the module doc): over the material itself for
/// symmetric and HMAC keys, over the DER public key for RSA and ECC.
pub fn material_id(key_id: &str, identifying_bytes: &[u8]) -> String {
    let mut ctx = digest::Context::new(&digest::SHA256);
    ctx.update(b"kinko-kms-imported-material-v1\0");
    ctx.update(key_id.as_bytes());
    ctx.update(b"\0");
    ctx.update(identifying_bytes);
    ctx.finish()
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// HMAC key lengths AWS accepts for imported material, per spec (bytes).
fn hmac_lengths(spec: KeySpec) -> Option<std::ops::RangeInclusive<usize>> {
    match spec {
        KeySpec::Hmac224 => Some(28..=64),
        KeySpec::Hmac256 => Some(32..=64),
        KeySpec::Hmac384 => Some(48..=128),
        KeySpec::Hmac512 => Some(64..=128),
        _ => None,
    }
}

/// Checks a PKCS#8 private key against the key spec and returns its DER
/// public key (SubjectPublicKeyInfo, as GetPublicKey returns it).
pub fn public_key_of_private(spec: KeySpec, der: &[u8]) -> Result<Vec<u8>, KmsError> {
    let wrong = || {
        incorrect_material(&format!(
            "The key material is not a PKCS #8 DER private key of key spec {}.",
            spec.as_str()
        ))
    };
    let public = match spec.family() {
        SpecFamily::Rsa => {
            let pair = rsa::KeyPair::from_pkcs8(der).map_err(|_| wrong())?;
            let bits = match spec {
                KeySpec::Rsa2048 => 2048,
                KeySpec::Rsa3072 => 3072,
                _ => 4096,
            };
            if pair.public_modulus_len() * 8 != bits {
                return Err(wrong());
            }
            pair.public_key()
                .as_der()
                .map_err(|_| wrong())?
                .as_ref()
                .to_vec()
        }
        SpecFamily::Ecc => {
            let alg = super::key_pair::ecdsa_signing(spec).ok_or_else(wrong)?;
            let pair = EcdsaKeyPair::from_pkcs8(alg, der).map_err(|_| wrong())?;
            pair.public_key()
                .as_der()
                .map_err(|_| wrong())?
                .as_ref()
                .to_vec()
        }
        SpecFamily::Symmetric | SpecFamily::Hmac => return Err(wrong()),
    };
    Ok(public)
}

/// Checks the material against the key's spec: what to keep of it and its
/// id. Symmetric: 32 bytes. HMAC: a length in [`hmac_lengths`]. RSA/ECC: a
/// PKCS#8 private key of the spec's size or curve.
fn check_material(
    key_id: &str,
    spec: KeySpec,
    material: &SecretBytes,
) -> Result<(String, Option<Vec<u8>>), KmsError> {
    match spec.family() {
        SpecFamily::Symmetric => {
            if material.len() != 32 {
                return Err(incorrect_material(
                    "The key material for a SYMMETRIC_DEFAULT key must be 256 bits (32 bytes).",
                ));
            }
            Ok((material_id(key_id, material.expose()), None))
        }
        SpecFamily::Hmac => {
            let range = hmac_lengths(spec).unwrap_or(32..=64);
            if !range.contains(&material.len()) {
                return Err(incorrect_material(&format!(
                    "The key material for a {} key must be {} to {} bytes.",
                    spec.as_str(),
                    range.start(),
                    range.end()
                )));
            }
            Ok((material_id(key_id, material.expose()), None))
        }
        SpecFamily::Rsa | SpecFamily::Ecc => {
            let public = public_key_of_private(spec, material.expose())?;
            Ok((material_id(key_id, &public), Some(public)))
        }
    }
}

/// `ValidTo` rules (model doc): required with `KEY_MATERIAL_EXPIRES` (the
/// default), refused without it, in the future, at most 365 days on.
fn check_valid_to(
    expiration_model: Option<&str>,
    valid_to_ms: Option<i64>,
    now_ms: i64,
) -> Result<Option<i64>, KmsError> {
    match (
        expiration_model.unwrap_or(KEY_MATERIAL_EXPIRES),
        valid_to_ms,
    ) {
        (KEY_MATERIAL_DOES_NOT_EXPIRE, None) => Ok(None),
        (KEY_MATERIAL_DOES_NOT_EXPIRE, Some(_)) => Err(KmsError::Validation(
            "ValidTo must not be specified when ExpirationModel is KEY_MATERIAL_DOES_NOT_EXPIRE."
                .into(),
        )),
        (_, None) => Err(KmsError::Validation(
            "ValidTo is required when ExpirationModel is KEY_MATERIAL_EXPIRES.".into(),
        )),
        (_, Some(at)) if at <= now_ms => Err(KmsError::Validation(
            "ValidTo must be a date and time in the future.".into(),
        )),
        (_, Some(at)) if at > now_ms + MAX_VALID_TO_MS => Err(KmsError::Validation(
            "ValidTo must be no more than 365 days from now.".into(),
        )),
        (_, Some(at)) => Ok(Some(at)),
    }
}

impl KeyHandle {
    pub(super) fn is_external(&self) -> bool {
        self.meta.import.is_some()
    }

    /// The imported material's id, while it is usable: what Decrypt,
    /// GenerateDataKey and DescribeKey report for an EXTERNAL key.
    pub(super) fn imported_material_id(&self) -> Option<&str> {
        self.meta
            .import
            .as_ref()
            .filter(|i| i.imported)
            .and_then(|i| i.material_id.as_deref())
    }

    /// `UnsupportedOperationException` for an operation only EXTERNAL keys
    /// have (AWS's text).
    fn require_external(&self) -> Result<&ImportState, KmsError> {
        self.meta.import.as_ref().ok_or_else(|| {
            KmsError::UnsupportedOperation(format!(
                "{} origin is AWS_KMS which is not valid for this operation.",
                self.arn
            ))
        })
    }
}

impl Kms {
    pub async fn get_parameters_for_import(
        &self,
        region: &str,
        input: GetParametersForImportInput,
    ) -> Result<GetParametersForImportOutput, KmsError> {
        self.get_parameters_for_import_at(region, input, now_ms())
            .await
    }

    /// [`Kms::get_parameters_for_import`] at `now_ms` (tests move the clock).
    pub async fn get_parameters_for_import_at(
        &self,
        region: &str,
        input: GetParametersForImportInput,
        now_ms: i64,
    ) -> Result<GetParametersForImportOutput, KmsError> {
        let key = self.load(region, &input.key_id).await?;
        key.require_external()?;
        if key.state() == super::KeyState::PendingDeletion {
            return Err(KmsError::pending_deletion(&key.arn));
        }
        let algorithm = parse_wrapping_algorithm(&input.wrapping_algorithm)?;
        let spec = WrappingKeySpec::parse(&input.wrapping_key_spec)?;
        if key.spec().family() == SpecFamily::Rsa && !algorithm.is_key_wrap() {
            // AWS: RSA private keys are too long for RSA-OAEP alone.
            return Err(KmsError::Validation(format!(
                "{} cannot be used to import {} key material. Use RSA_AES_KEY_WRAP_SHA_256 or RSA_AES_KEY_WRAP_SHA_1.",
                algorithm.as_str(),
                key.spec().as_str()
            )));
        }
        if key.spec() == KeySpec::EccNistP521
            && !algorithm.is_key_wrap()
            && spec == WrappingKeySpec::Rsa2048
        {
            return Err(KmsError::Validation(format!(
                "{} with an RSA_2048 wrapping key cannot be used to import ECC_NIST_P521 key material.",
                algorithm.as_str()
            )));
        }
        let pair = tokio::task::spawn_blocking(move || generate_wrapping_key(spec))
            .await
            .map_err(|e| KmsError::Internal(format!("wrapping key task: {e}")))??;
        let expires_ms = now_ms + IMPORT_TOKEN_VALIDITY_MS;
        let plain = encode_token(&TokenContents {
            algorithm,
            spec,
            expires_ms,
            private_key: pair.private_key,
        });
        let import_token = self
            .keyring
            .seal_internal(&plain, &token_aad(region, &key.record.key_id))
            .map_err(keyring_error)?;
        Ok(GetParametersForImportOutput {
            key_id: key.arn,
            import_token,
            public_key: pair.public_key,
            parameters_valid_to_ms: expires_ms,
        })
    }

    pub async fn import_key_material(
        &self,
        region: &str,
        input: ImportKeyMaterialInput,
    ) -> Result<ImportKeyMaterialOutput, KmsError> {
        self.import_key_material_at(region, input, now_ms()).await
    }

    /// [`Kms::import_key_material`] at `now_ms` (tests move the clock).
    pub async fn import_key_material_at(
        &self,
        region: &str,
        input: ImportKeyMaterialInput,
        now_ms: i64,
    ) -> Result<ImportKeyMaterialOutput, KmsError> {
        let (_guard, mut key) = self.load_locked(region, &input.key_id).await?;
        let import = key.require_external()?.clone();
        if key.state_at(now_ms) == super::KeyState::PendingDeletion {
            return Err(KmsError::pending_deletion(&key.arn));
        }
        let symmetric = key.spec() == KeySpec::SymmetricDefault;
        if !symmetric
            && (input.import_type.is_some()
                || input.key_material_id.is_some()
                || input.key_material_description.is_some())
        {
            return Err(KmsError::Validation(
                "ImportType, KeyMaterialId and KeyMaterialDescription are only valid for symmetric encryption keys.".into(),
            ));
        }
        let import_type = input
            .import_type
            .as_deref()
            .unwrap_or(if import.material_id.is_some() {
                "EXISTING_KEY_MATERIAL"
            } else {
                "NEW_KEY_MATERIAL"
            });
        if import_type == "NEW_KEY_MATERIAL" && input.key_material_id.is_some() {
            return Err(KmsError::Validation(
                "KeyMaterialId cannot be specified when ImportType is NEW_KEY_MATERIAL.".into(),
            ));
        }
        let valid_to_ms =
            check_valid_to(input.expiration_model.as_deref(), input.valid_to_ms, now_ms)?;

        let plain = self
            .keyring
            .open_internal(&input.import_token, &token_aad(region, &key.record.key_id))
            .map_err(|_| invalid_token())?;
        let token = decode_token(plain.expose()).ok_or_else(invalid_token)?;
        if now_ms >= token.expires_ms {
            return Err(KmsError::ExpiredImportToken(
                "The import token is expired. Use GetParametersForImport to get a new import token and public key.".into(),
            ));
        }
        let private_key = token.private_key;
        let (alg, modulus) = (token.algorithm, modulus_len(token.spec));
        let encrypted = input.encrypted_key_material;
        let material = tokio::task::spawn_blocking(move || {
            unwrap_material(alg, &private_key, modulus, &encrypted)
        })
        .await
        .map_err(|e| KmsError::Internal(format!("unwrap task: {e}")))??;

        let (id, public_key) = check_material(&key.record.key_id, key.spec(), &material)?;
        match (&import.material_id, import_type) {
            (Some(first), "EXISTING_KEY_MATERIAL") if *first != id => {
                return Err(incorrect_material(
                    "The key material being imported is not the key material that was previously imported into this KMS key.",
                ));
            }
            (Some(_), "EXISTING_KEY_MATERIAL") | (None, "NEW_KEY_MATERIAL") => {}
            (None, _) => {
                return Err(incorrect_material(
                    "No key material was ever imported into this KMS key; import it with ImportType NEW_KEY_MATERIAL.",
                ));
            }
            (Some(_), _) => {
                return Err(KmsError::UnsupportedOperation(
                    "Importing NEW_KEY_MATERIAL into a KMS key that already has key material (rotation of imported key material) is not supported by this server.".into(),
                ));
            }
        }
        if let Some(given) = &input.key_material_id
            && *given != id
        {
            return Err(incorrect_material(
                "The key material being imported does not match the KeyMaterialId.",
            ));
        }

        if symmetric {
            let material = KeyMaterial::from_slice(material.expose())
                .ok_or_else(|| incorrect_material("The key material must be 32 bytes."))?;
            key.record.wrapped_material = self.keyring.wrap_material(&key.record.key_id, &material);
        } else {
            let sealed = self
                .keyring
                .seal_with_key(
                    region,
                    &key.record.key_id,
                    material.expose(),
                    &secret_aad(&key.record.key_id, key.spec()),
                )
                .await
                .map_err(keyring_error)?;
            key.meta.sealed_secret = Some(SealedSecret(STANDARD.encode(sealed)));
            key.meta.public_key = public_key.map(|p| STANDARD.encode(p));
        }
        key.meta.import = Some(ImportState {
            material_id: Some(id.clone()),
            imported: true,
            valid_to_ms,
            description: input.key_material_description.or(import.description),
        });
        self.save_import(key.clone(), "ImportKeyMaterial").await?;
        tracing::info!(region, key_id = %key.record.key_id, "imported key material");
        Ok(ImportKeyMaterialOutput {
            key_id: key.arn,
            key_material_id: id,
        })
    }

    /// Removes the imported material; the key becomes `PendingImport`
    /// (unless pending deletion) until the same material is reimported.
    pub async fn delete_imported_key_material(
        &self,
        region: &str,
        key_ref: &str,
        key_material_id: Option<&str>,
    ) -> Result<DeleteImportedKeyMaterialOutput, KmsError> {
        let (_guard, mut key) = self.load_locked(region, key_ref).await?;
        let import = key.require_external()?.clone();
        let Some(current) = import.material_id.clone().filter(|_| import.imported) else {
            return Err(KmsError::pending_import(&key.arn));
        };
        if let Some(given) = key_material_id
            && given != current
        {
            return Err(KmsError::NotFound(format!(
                "Key material {given} is not associated with {}.",
                key.arn
            )));
        }
        if key.spec() == KeySpec::SymmetricDefault {
            // Overwrite, so the imported material is gone from the store.
            key.record.wrapped_material = self
                .keyring
                .wrap_material(&key.record.key_id, &KeyMaterial::generate());
        } else {
            key.meta.sealed_secret = None;
            key.meta.public_key = None;
        }
        key.meta.import = Some(ImportState {
            imported: false,
            valid_to_ms: None,
            ..import
        });
        self.save_import(key.clone(), "DeleteImportedKeyMaterial")
            .await?;
        tracing::info!(region, key_id = %key.record.key_id, "deleted imported key material");
        Ok(DeleteImportedKeyMaterialOutput {
            key_id: key.arn,
            key_material_id: current,
        })
    }

    /// Writes an import's record (material and metadata) and drops the
    /// cached key here and on the other servers.
    async fn save_import(&self, mut key: KeyHandle, operation: &str) -> Result<(), KmsError> {
        key.record.metadata = key
            .meta
            .to_json()
            .map_err(|e| KmsError::Internal(format!("metadata: {e}")))?;
        let change = self
            .keyring
            .key_change(&key.record.region, &key.record.key_id, operation)
            .with("keyState", key.state().as_str());
        self.store
            .update_kms_key(key.record.clone(), change)
            .await?;
        self.keyring
            .invalidate(&key.record.region, &key.record.key_id);
        Ok(())
    }
}

impl KeyHandle {
    /// Automatic and on-demand rotation are for KMS-made material:
    /// `UnsupportedOperationException` on an EXTERNAL key (AWS's text; AWS
    /// rotates imported material only once new material was imported with
    /// `NEW_KEY_MATERIAL`, which kinko does not serve).
    pub(super) fn refuse_external(&self) -> Result<(), KmsError> {
        if self.is_external() {
            return Err(KmsError::UnsupportedOperation(format!(
                "{} origin is EXTERNAL which is not valid for this operation.",
                self.arn
            )));
        }
        Ok(())
    }

    fn state_at(&self, now_ms: i64) -> super::KeyState {
        self.meta.state_at(&self.record, now_ms)
    }
}

#[cfg(test)]
mod tests;
