//! Handlers of the asymmetric, HMAC and key-agreement operations, and of
//! ReEncrypt: parse the body, check the model's constraints, authorize,
//! call `kinko_core::kms::Kms`, encode. A child of `handle`, whose helpers
//! (`check_key_id`, `finish`, `encode`, `present`) it shares.

use kinko_core::kms::{
    DeriveSharedSecretInput, GenerateDataKeyPairInput, Kms, MAX_CIPHERTEXT, MAX_PLAINTEXT,
    MacInput, ReEncryptInput, SignInput, VerifyInput, key_algorithms,
};

use super::super::access::{check_ciphertext_keys, check_key};
use super::super::asym_shapes::*;
use super::super::shapes::{Blob, ExposedBlob};
use super::{ENCRYPTION_ALGORITHMS, KEY_ID_MAX, check_key_id, encode, finish, present};
use crate::wire::{Violations, parse_body};
use crate::{AwsError, RequestContext};

const MESSAGE_TYPES: [&str; 3] = ["RAW", "DIGEST", "EXTERNAL_MU"];
const SIGNING_ALGORITHMS: [&str; 13] = [
    "RSASSA_PSS_SHA_256",
    "RSASSA_PSS_SHA_384",
    "RSASSA_PSS_SHA_512",
    "RSASSA_PKCS1_V1_5_SHA_256",
    "RSASSA_PKCS1_V1_5_SHA_384",
    "RSASSA_PKCS1_V1_5_SHA_512",
    "ECDSA_SHA_256",
    "ECDSA_SHA_384",
    "ECDSA_SHA_512",
    "SM2DSA",
    "ML_DSA_SHAKE_256",
    "ED25519_SHA_512",
    "ED25519_PH_SHA_512",
];
const MAC_ALGORITHMS: [&str; 4] = [
    "HMAC_SHA_224",
    "HMAC_SHA_256",
    "HMAC_SHA_384",
    "HMAC_SHA_512",
];
const KEY_AGREEMENT_ALGORITHMS: [&str; 1] = ["ECDH"];
const KEY_PAIR_SPECS: [&str; 9] = [
    "RSA_2048",
    "RSA_3072",
    "RSA_4096",
    "ECC_NIST_P256",
    "ECC_NIST_P384",
    "ECC_NIST_P521",
    "ECC_SECG_P256K1",
    "SM2",
    "ECC_NIST_EDWARDS25519",
];
const MAX_GRANT_TOKENS: usize = 10;
const MAX_PUBLIC_KEY: usize = 8192;

/// `GrantTokens` (0–10) are accepted and not used: kinko has no grants yet.
fn check_grant_tokens(v: &mut Violations, tokens: &Option<Vec<String>>) {
    if let Some(t) = tokens {
        v.count(t.len(), "grantTokens", 0, MAX_GRANT_TOKENS);
    }
}

/// No Nitro enclave talks to this server: `Recipient` is refused rather
/// than ignored, since ignoring it would return the plaintext the caller
/// meant to keep out of its host.
fn refuse_recipient(recipient: &Option<serde_json::Value>) -> Result<(), AwsError> {
    if recipient.is_some() {
        return Err(AwsError::new(
            "UnsupportedOperationException",
            "Recipient (attested enclaves) is not supported by this server.",
        ));
    }
    Ok(())
}

/// Sign and Verify share a request; `verify` adds `Signature`.
fn sign_input(req: SignRequest, verify: bool) -> Result<(SignInput, Vec<u8>), AwsError> {
    let mut v = Violations::new();
    check_key_id(&mut v, &req.key_id, "keyId");
    if let Some(m) = v.required(&req.message, "message") {
        // The message may be plaintext: AWS leaves the value out.
        v.secret_length(m.0.len(), "message", 1, MAX_PLAINTEXT);
    }
    v.enum_value(&req.message_type, "messageType", &MESSAGE_TYPES);
    v.required(&req.signing_algorithm, "signingAlgorithm");
    v.enum_value(
        &req.signing_algorithm,
        "signingAlgorithm",
        &SIGNING_ALGORITHMS,
    );
    if verify && let Some(s) = v.required(&req.signature, "signature") {
        v.secret_length(s.0.len(), "signature", 1, MAX_CIPHERTEXT);
    }
    check_grant_tokens(&mut v, &req.grant_tokens);
    finish(v)?;
    let input = SignInput {
        key_id: present(req.key_id)?,
        message: present(req.message)?.0,
        message_type: req.message_type,
        signing_algorithm: present(req.signing_algorithm)?,
        dry_run: req.dry_run.unwrap_or(false),
    };
    let signature = req.signature.map(|s| s.0).unwrap_or_default();
    Ok((input, signature))
}

pub(super) async fn sign(
    kms: &Kms,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Vec<u8>, AwsError> {
    let (input, _) = sign_input(parse_body(body)?, false)?;
    check_key(kms, ctx, "kms:Sign", &input.key_id).await?;
    let out = kms.sign(&ctx.caller.region, input).await?;
    encode(&SignResponse {
        key_id: &out.key_id,
        signature: Blob(&out.signature),
        signing_algorithm: out.signing_algorithm,
    })
}

pub(super) async fn verify(
    kms: &Kms,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Vec<u8>, AwsError> {
    let (sign, signature) = sign_input(parse_body(body)?, true)?;
    check_key(kms, ctx, "kms:Verify", &sign.key_id).await?;
    let out = kms
        .verify(&ctx.caller.region, VerifyInput { sign, signature })
        .await?;
    encode(&VerifyResponse {
        key_id: &out.key_id,
        signature_valid: true,
        signing_algorithm: out.signing_algorithm,
    })
}

pub(super) async fn get_public_key(
    kms: &Kms,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Vec<u8>, AwsError> {
    let req: GetPublicKeyRequest = parse_body(body)?;
    let mut v = Violations::new();
    check_key_id(&mut v, &req.key_id, "keyId");
    check_grant_tokens(&mut v, &req.grant_tokens);
    finish(v)?;
    let key_id = present(req.key_id)?;
    check_key(kms, ctx, "kms:GetPublicKey", &key_id).await?;
    let out = kms.get_public_key(&ctx.caller.region, &key_id).await?;
    let algorithms = key_algorithms(out.key_spec, out.key_usage);
    encode(&GetPublicKeyResponse {
        key_id: &out.key_id,
        public_key: Blob(&out.public_key),
        customer_master_key_spec: out.key_spec.as_str(),
        key_spec: out.key_spec.as_str(),
        key_usage: out.key_usage.as_str(),
        encryption_algorithms: algorithms.encryption,
        signing_algorithms: algorithms.signing,
        key_agreement_algorithms: algorithms.key_agreement,
    })
}

fn mac_input(req: MacRequest, verify: bool) -> Result<(MacInput, Vec<u8>), AwsError> {
    let mut v = Violations::new();
    if let Some(m) = v.required(&req.message, "message") {
        v.secret_length(m.0.len(), "message", 1, MAX_PLAINTEXT);
    }
    check_key_id(&mut v, &req.key_id, "keyId");
    v.required(&req.mac_algorithm, "macAlgorithm");
    v.enum_value(&req.mac_algorithm, "macAlgorithm", &MAC_ALGORITHMS);
    if verify && let Some(m) = v.required(&req.mac, "mac") {
        v.secret_length(m.0.len(), "mac", 1, MAX_CIPHERTEXT);
    }
    check_grant_tokens(&mut v, &req.grant_tokens);
    finish(v)?;
    let input = MacInput {
        key_id: present(req.key_id)?,
        message: present(req.message)?.0,
        mac_algorithm: present(req.mac_algorithm)?,
        dry_run: req.dry_run.unwrap_or(false),
    };
    Ok((input, req.mac.map(|m| m.0).unwrap_or_default()))
}

pub(super) async fn generate_mac(
    kms: &Kms,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Vec<u8>, AwsError> {
    let (input, _) = mac_input(parse_body(body)?, false)?;
    check_key(kms, ctx, "kms:GenerateMac", &input.key_id).await?;
    let out = kms.generate_mac(&ctx.caller.region, input).await?;
    encode(&GenerateMacResponse {
        mac: Blob(&out.mac),
        mac_algorithm: out.mac_algorithm,
        key_id: &out.key_id,
    })
}

pub(super) async fn verify_mac(
    kms: &Kms,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Vec<u8>, AwsError> {
    let (input, mac) = mac_input(parse_body(body)?, true)?;
    check_key(kms, ctx, "kms:VerifyMac", &input.key_id).await?;
    let out = kms.verify_mac(&ctx.caller.region, input, &mac).await?;
    encode(&VerifyMacResponse {
        key_id: &out.key_id,
        mac_valid: true,
        mac_algorithm: out.mac_algorithm,
    })
}

pub(super) async fn derive_shared_secret(
    kms: &Kms,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Vec<u8>, AwsError> {
    let req: DeriveSharedSecretRequest = parse_body(body)?;
    let mut v = Violations::new();
    check_key_id(&mut v, &req.key_id, "keyId");
    v.required(&req.key_agreement_algorithm, "keyAgreementAlgorithm");
    v.enum_value(
        &req.key_agreement_algorithm,
        "keyAgreementAlgorithm",
        &KEY_AGREEMENT_ALGORITHMS,
    );
    if let Some(p) = v.required(&req.public_key, "publicKey") {
        v.secret_length(p.0.len(), "publicKey", 1, MAX_PUBLIC_KEY);
    }
    check_grant_tokens(&mut v, &req.grant_tokens);
    finish(v)?;
    let input = DeriveSharedSecretInput {
        key_id: present(req.key_id)?,
        key_agreement_algorithm: present(req.key_agreement_algorithm)?,
        public_key: present(req.public_key)?.0,
        dry_run: req.dry_run.unwrap_or(false),
    };
    check_key(kms, ctx, "kms:DeriveSharedSecret", &input.key_id).await?;
    refuse_recipient(&req.recipient)?;
    let out = kms.derive_shared_secret(&ctx.caller.region, input).await?;
    encode(&DeriveSharedSecretResponse {
        key_id: &out.key_id,
        shared_secret: ExposedBlob(&out.shared_secret),
        key_agreement_algorithm: out.key_agreement_algorithm,
        key_origin: out.key_origin,
    })
}

pub(super) async fn generate_data_key_pair(
    kms: &Kms,
    ctx: &RequestContext,
    body: &[u8],
    with_plaintext: bool,
) -> Result<Vec<u8>, AwsError> {
    let req: GenerateDataKeyPairRequest = parse_body(body)?;
    let mut v = Violations::new();
    check_key_id(&mut v, &req.key_id, "keyId");
    v.required(&req.key_pair_spec, "keyPairSpec");
    v.enum_value(&req.key_pair_spec, "keyPairSpec", &KEY_PAIR_SPECS);
    check_grant_tokens(&mut v, &req.grant_tokens);
    finish(v)?;
    let (action, op) = if with_plaintext {
        ("kms:GenerateDataKeyPair", "GenerateDataKeyPair")
    } else {
        (
            "kms:GenerateDataKeyPairWithoutPlaintext",
            "GenerateDataKeyPairWithoutPlaintext",
        )
    };
    let input = GenerateDataKeyPairInput {
        key_id: present(req.key_id)?,
        key_pair_spec: present(req.key_pair_spec)?,
        encryption_context: req.encryption_context.unwrap_or_default(),
        dry_run: req.dry_run.unwrap_or(false),
    };
    check_key(kms, ctx, action, &input.key_id).await?;
    refuse_recipient(&req.recipient)?;
    let out = kms
        .generate_data_key_pair(&ctx.caller.region, input, op)
        .await?;
    encode(&GenerateDataKeyPairResponse {
        private_key_ciphertext_blob: Blob(&out.private_key_ciphertext_blob),
        private_key_plaintext: with_plaintext.then_some(ExposedBlob(&out.private_key_plaintext)),
        public_key: Blob(&out.public_key),
        key_id: &out.key_id,
        key_pair_spec: out.key_pair_spec.as_str(),
    })
}

/// Authorized as AWS does: `kms:ReEncryptFrom` on the source key (the one
/// the blob names, and `SourceKeyId` when given) and `kms:ReEncryptTo` on
/// the destination key.
pub(super) async fn re_encrypt(
    kms: &Kms,
    ctx: &RequestContext,
    body: &[u8],
) -> Result<Vec<u8>, AwsError> {
    let req: ReEncryptRequest = parse_body(body)?;
    let mut v = Violations::new();
    if let Some(b) = v.required(&req.ciphertext_blob, "ciphertextBlob") {
        v.secret_length(b.0.len(), "ciphertextBlob", 1, MAX_CIPHERTEXT);
    }
    if let Some(k) = &req.source_key_id {
        v.length(k, "sourceKeyId", 1, KEY_ID_MAX);
    }
    check_key_id(&mut v, &req.destination_key_id, "destinationKeyId");
    v.enum_value(
        &req.source_encryption_algorithm,
        "sourceEncryptionAlgorithm",
        &ENCRYPTION_ALGORITHMS,
    );
    v.enum_value(
        &req.destination_encryption_algorithm,
        "destinationEncryptionAlgorithm",
        &ENCRYPTION_ALGORITHMS,
    );
    check_grant_tokens(&mut v, &req.grant_tokens);
    finish(v)?;
    let input = ReEncryptInput {
        ciphertext_blob: present(req.ciphertext_blob)?.0,
        source_encryption_context: req.source_encryption_context.unwrap_or_default(),
        source_key_id: req.source_key_id,
        source_encryption_algorithm: req.source_encryption_algorithm,
        destination_key_id: present(req.destination_key_id)?,
        destination_encryption_context: req.destination_encryption_context.unwrap_or_default(),
        destination_encryption_algorithm: req.destination_encryption_algorithm,
        dry_run: req.dry_run.unwrap_or(false),
    };
    check_ciphertext_keys(
        kms,
        ctx,
        "kms:ReEncryptFrom",
        &input.ciphertext_blob,
        input.source_key_id.as_deref(),
        &input.source_encryption_context,
    )
    .await?;
    check_key(kms, ctx, "kms:ReEncryptTo", &input.destination_key_id).await?;
    let out = kms.re_encrypt(&ctx.caller.region, input).await?;
    encode(&ReEncryptResponse {
        ciphertext_blob: Blob(&out.ciphertext_blob),
        source_key_id: &out.source_key_id,
        key_id: &out.key_id,
        source_encryption_algorithm: out.source_encryption_algorithm,
        destination_encryption_algorithm: out.destination_encryption_algorithm,
    })
}
