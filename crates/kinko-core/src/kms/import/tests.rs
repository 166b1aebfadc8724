//! Import tokens, material checks and the lifecycle of imported material,
//! over an in-memory store with the clock moved by hand.

use aws_lc_rs::rsa::{OAEP_SHA256_MGF1SHA256, OaepPublicEncryptingKey, PublicEncryptingKey};
use kinko_crypto::random_bytes;

use super::*;
use crate::kms::{CreateKeyInput, EncryptInput, KeyState};

const REGION: &str = "us-east-1";
const DAY_MS: i64 = 24 * 60 * 60 * 1000;

fn kms() -> Kms {
    Kms::in_memory("111122223333").unwrap()
}

async fn external_key(kms: &Kms, spec: Option<&str>, usage: Option<&str>) -> String {
    kms.create_key(
        REGION,
        CreateKeyInput {
            origin: Some("EXTERNAL".into()),
            key_spec: spec.map(str::to_owned),
            key_usage: usage.map(str::to_owned),
            ..CreateKeyInput::default()
        },
    )
    .await
    .unwrap()
    .key_id
}

async fn params(kms: &Kms, key_id: &str, now: i64) -> GetParametersForImportOutput {
    kms.get_parameters_for_import_at(
        REGION,
        GetParametersForImportInput {
            key_id: key_id.into(),
            wrapping_algorithm: "RSAES_OAEP_SHA_256".into(),
            wrapping_key_spec: "RSA_2048".into(),
        },
        now,
    )
    .await
    .unwrap()
}

fn wrap(public_key: &[u8], material: &[u8]) -> Vec<u8> {
    let key =
        OaepPublicEncryptingKey::new(PublicEncryptingKey::from_der(public_key).unwrap()).unwrap();
    let mut out = vec![0u8; key.ciphertext_size()];
    let len = key
        .encrypt(&OAEP_SHA256_MGF1SHA256, material, &mut out, None)
        .unwrap()
        .len();
    out.truncate(len);
    out
}

fn input(
    key_id: &str,
    p: &GetParametersForImportOutput,
    material: &[u8],
    valid_to_ms: Option<i64>,
) -> ImportKeyMaterialInput {
    ImportKeyMaterialInput {
        key_id: key_id.into(),
        import_token: p.import_token.clone(),
        encrypted_key_material: wrap(&p.public_key, material),
        expiration_model: Some(
            if valid_to_ms.is_some() {
                KEY_MATERIAL_EXPIRES
            } else {
                KEY_MATERIAL_DOES_NOT_EXPIRE
            }
            .into(),
        ),
        valid_to_ms,
        import_type: None,
        key_material_description: None,
        key_material_id: None,
    }
}

async fn state(kms: &Kms, key_id: &str, now: i64) -> KeyState {
    let key = kms.load(REGION, key_id).await.unwrap();
    key.state_at(now)
}

#[test]
fn tokens_round_trip_and_reject_other_bytes() {
    let contents = TokenContents {
        algorithm: WrappingAlgorithm::RsaAesKeyWrapSha256,
        spec: WrappingKeySpec::Rsa3072,
        expires_ms: 1_700_000_000_123,
        private_key: SecretBytes::new(vec![1, 2, 3]),
    };
    let plain = encode_token(&contents);
    let back = decode_token(&plain).unwrap();
    assert_eq!(back.algorithm, contents.algorithm);
    assert_eq!(back.spec, contents.spec);
    assert_eq!(back.expires_ms, contents.expires_ms);
    assert_eq!(back.private_key.expose(), &[1, 2, 3]);
    let mut other_version = plain.to_vec();
    other_version[0] = 9;
    assert!(decode_token(&other_version).is_none());
    assert!(decode_token(&plain[..5]).is_none());
}

#[test]
fn material_is_checked_against_the_spec() {
    let key_id = "1234abcd-12ab-34cd-56ef-1234567890ab";
    let ok = SecretBytes::new(random_bytes(32));
    let (id, public) = check_material(key_id, KeySpec::SymmetricDefault, &ok).unwrap();
    assert_eq!(id.len(), 64);
    assert!(public.is_none());
    assert_eq!(
        check_material(key_id, KeySpec::SymmetricDefault, &ok)
            .unwrap()
            .0,
        id,
        "same material, same id"
    );
    assert_ne!(
        check_material(
            "1234abcd-12ab-34cd-56ef-1234567890ac",
            KeySpec::SymmetricDefault,
            &ok
        )
        .unwrap()
        .0,
        id,
        "the id is per key"
    );
    for (spec, bad_len) in [
        (KeySpec::SymmetricDefault, 16),
        (KeySpec::Hmac224, 27),
        (KeySpec::Hmac256, 65),
        (KeySpec::Hmac384, 47),
        (KeySpec::Hmac512, 129),
    ] {
        let bad = SecretBytes::new(random_bytes(bad_len));
        assert!(
            matches!(
                check_material(key_id, spec, &bad),
                Err(KmsError::IncorrectKeyMaterial(_))
            ),
            "{spec:?} {bad_len}"
        );
    }
    for (spec, len) in [(KeySpec::Hmac224, 28), (KeySpec::Hmac512, 128)] {
        assert!(check_material(key_id, spec, &SecretBytes::new(random_bytes(len))).is_ok());
    }
    // A P-256 private key: good for ECC_NIST_P256, not for P-384 or RSA.
    let pair = super::super::key_pair::generate(KeySpec::EccNistP256).unwrap();
    let (_, public) = check_material(key_id, KeySpec::EccNistP256, &pair.private_key).unwrap();
    assert_eq!(public.unwrap(), pair.public_key);
    for spec in [KeySpec::EccNistP384, KeySpec::Rsa2048] {
        assert!(matches!(
            check_material(key_id, spec, &pair.private_key),
            Err(KmsError::IncorrectKeyMaterial(_))
        ));
    }
    let rsa = super::super::key_pair::generate(KeySpec::Rsa2048).unwrap();
    assert!(check_material(key_id, KeySpec::Rsa2048, &rsa.private_key).is_ok());
    assert!(check_material(key_id, KeySpec::Rsa3072, &rsa.private_key).is_err());
}

#[test]
fn valid_to_rules() {
    let now = 1_000 * DAY_MS;
    assert_eq!(
        check_valid_to(Some(KEY_MATERIAL_DOES_NOT_EXPIRE), None, now),
        Ok(None)
    );
    assert_eq!(
        check_valid_to(None, Some(now + DAY_MS), now),
        Ok(Some(now + DAY_MS))
    );
    for (model, valid_to) in [
        (Some(KEY_MATERIAL_DOES_NOT_EXPIRE), Some(now + DAY_MS)),
        (None, None),
        (Some(KEY_MATERIAL_EXPIRES), None),
        (Some(KEY_MATERIAL_EXPIRES), Some(now)),
        (Some(KEY_MATERIAL_EXPIRES), Some(now - 1)),
        (Some(KEY_MATERIAL_EXPIRES), Some(now + 366 * DAY_MS)),
    ] {
        assert!(
            matches!(
                check_valid_to(model, valid_to, now),
                Err(KmsError::Validation(_))
            ),
            "{model:?} {valid_to:?}"
        );
    }
}

#[tokio::test]
async fn an_expired_token_is_refused_and_a_token_of_another_key_is_invalid() {
    let kms = kms();
    let now = now_ms();
    let key = external_key(&kms, None, None).await;
    let other = external_key(&kms, None, None).await;
    let p = params(&kms, &key, now).await;
    assert_eq!(p.parameters_valid_to_ms, now + IMPORT_TOKEN_VALIDITY_MS);
    let material = random_bytes(32);

    let late = now + IMPORT_TOKEN_VALIDITY_MS;
    let err = kms
        .import_key_material_at(REGION, input(&key, &p, &material, None), late)
        .await
        .unwrap_err();
    assert!(matches!(err, KmsError::ExpiredImportToken(_)), "{err:?}");

    let err = kms
        .import_key_material_at(REGION, input(&other, &p, &material, None), now)
        .await
        .unwrap_err();
    assert!(matches!(err, KmsError::InvalidImportToken(_)), "{err:?}");

    let mut tampered = input(&key, &p, &material, None);
    let last = tampered.import_token.len() - 1;
    tampered.import_token[last] ^= 1;
    let err = kms
        .import_key_material_at(REGION, tampered, now)
        .await
        .unwrap_err();
    assert!(matches!(err, KmsError::InvalidImportToken(_)), "{err:?}");

    // Just inside the 24 hours it still works.
    kms.import_key_material_at(REGION, input(&key, &p, &material, None), late - 1)
        .await
        .unwrap();
}

#[tokio::test]
async fn material_expires_lazily_and_the_same_material_revives_the_key() {
    let kms = kms();
    let now = now_ms();
    let key = external_key(&kms, None, None).await;
    assert_eq!(state(&kms, &key, now).await, KeyState::PendingImport);
    let material = random_bytes(32);
    let p = params(&kms, &key, now).await;
    let valid_to = now + DAY_MS;
    let out = kms
        .import_key_material_at(REGION, input(&key, &p, &material, Some(valid_to)), now)
        .await
        .unwrap();
    assert_eq!(state(&kms, &key, now).await, KeyState::Enabled);
    assert_eq!(state(&kms, &key, valid_to - 1).await, KeyState::Enabled);
    assert_eq!(state(&kms, &key, valid_to).await, KeyState::PendingImport);
    let meta = kms.describe_key(REGION, &key).await.unwrap();
    assert_eq!(meta.origin, "EXTERNAL");
    assert_eq!(meta.expiration_model, Some(KEY_MATERIAL_EXPIRES));
    assert_eq!(meta.valid_to_ms, Some(valid_to));
    assert_eq!(
        meta.current_key_material_id.as_deref(),
        Some(out.key_material_id.as_str())
    );

    // Reimport after expiry (at `valid_to`), this time without expiry.
    let p = params(&kms, &key, valid_to).await;
    let again = kms
        .import_key_material_at(REGION, input(&key, &p, &material, None), valid_to)
        .await
        .unwrap();
    assert_eq!(again.key_material_id, out.key_material_id);
    assert_eq!(
        state(&kms, &key, valid_to + 400 * DAY_MS).await,
        KeyState::Enabled
    );

    // Different material: refused, and the key keeps its own.
    let p = params(&kms, &key, valid_to).await;
    let err = kms
        .import_key_material_at(REGION, input(&key, &p, &random_bytes(32), None), valid_to)
        .await
        .unwrap_err();
    assert!(matches!(err, KmsError::IncorrectKeyMaterial(_)), "{err:?}");
}

#[tokio::test]
async fn the_keyring_refuses_a_key_without_material() {
    let kms = kms();
    let key = external_key(&kms, None, None).await;
    let encrypt = |k: &str| EncryptInput {
        key_id: k.to_owned(),
        plaintext: SecretBytes::new(b"x".to_vec()),
        encryption_context: Default::default(),
        encryption_algorithm: None,
        dry_run: false,
    };
    let err = kms.encrypt(REGION, encrypt(&key)).await.unwrap_err();
    assert_eq!(
        err,
        KmsError::InvalidState(format!(
            "arn:aws:kms:{REGION}:111122223333:key/{key} is pending import."
        ))
    );
    // SSM and Secrets Manager seal through the keyring directly.
    assert!(matches!(
        kms.keyring.seal(REGION, &key, b"x", b"aad").await,
        Err(crate::keyring::KeyringError::KeyDisabled(_))
    ));
    let p = params(&kms, &key, now_ms()).await;
    kms.import_key_material(REGION, input(&key, &p, &random_bytes(32), None))
        .await
        .unwrap();
    let sealed = kms.encrypt(REGION, encrypt(&key)).await.unwrap();
    kms.delete_imported_key_material(REGION, &key, None)
        .await
        .unwrap();
    assert!(matches!(
        kms.keyring.open(REGION, &sealed.ciphertext_blob, &[]).await,
        Err(crate::keyring::KeyringError::KeyDisabled(_))
    ));
    // Deleting twice: nothing to delete.
    assert!(matches!(
        kms.delete_imported_key_material(REGION, &key, None).await,
        Err(KmsError::InvalidState(_))
    ));
}

#[tokio::test]
async fn non_external_keys_and_refused_algorithms() {
    let kms = kms();
    let key = kms
        .create_key(REGION, CreateKeyInput::default())
        .await
        .unwrap()
        .key_id;
    let err = kms
        .get_parameters_for_import(
            REGION,
            GetParametersForImportInput {
                key_id: key.clone(),
                wrapping_algorithm: "RSAES_OAEP_SHA_256".into(),
                wrapping_key_spec: "RSA_2048".into(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(
        err,
        KmsError::UnsupportedOperation(format!(
            "arn:aws:kms:{REGION}:111122223333:key/{key} origin is AWS_KMS which is not valid for this operation."
        ))
    );
    let rsa = external_key(&kms, Some("RSA_2048"), Some("SIGN_VERIFY")).await;
    for (alg, spec) in [
        ("RSAES_OAEP_SHA_256", "RSA_4096"),
        ("RSAES_PKCS1_V1_5", "RSA_2048"),
        ("SM2PKE", "RSA_2048"),
        ("RSA_AES_KEY_WRAP_SHA_256", "SM2"),
    ] {
        let err = kms
            .get_parameters_for_import(
                REGION,
                GetParametersForImportInput {
                    key_id: rsa.clone(),
                    wrapping_algorithm: alg.into(),
                    wrapping_key_spec: spec.into(),
                },
            )
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                KmsError::UnsupportedOperation(_) | KmsError::Validation(_)
            ),
            "{alg} {spec}: {err:?}"
        );
    }
    for origin in ["AWS_CLOUDHSM", "EXTERNAL_KEY_STORE"] {
        let err = kms
            .create_key(
                REGION,
                CreateKeyInput {
                    origin: Some(origin.into()),
                    ..CreateKeyInput::default()
                },
            )
            .await
            .unwrap_err();
        assert!(matches!(err, KmsError::UnsupportedOperation(_)));
    }
}
