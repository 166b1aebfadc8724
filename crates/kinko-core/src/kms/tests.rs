//! Service-level tests of the KMS subset over an in-memory SQLite store.

use std::sync::Arc;

use kinko_crypto::{RootKey, SecretBytes, SecretString};
use kinko_store::{SqliteStore, Store};

use super::*;
use crate::ssm::{Caller, ParameterStore, ParameterType, PutParameterInput, SsmError};

const REGION: &str = "us-east-1";
const ACCOUNT: &str = "111122223333";

struct Fixture {
    kms: Kms,
    ssm: ParameterStore,
}

fn fixture() -> Fixture {
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory().unwrap());
    let keyring = Arc::new(Keyring::new(
        store.clone(),
        RootKey::generate(),
        ACCOUNT.to_owned(),
    ));
    Fixture {
        kms: Kms::new(store.clone(), keyring.clone()),
        ssm: ParameterStore::new(store, keyring),
    }
}

fn arn_of(key_id: &str) -> String {
    format!("arn:aws:kms:{REGION}:{ACCOUNT}:key/{key_id}")
}

async fn new_key(kms: &Kms) -> KeyMetadata {
    kms.create_key(REGION, CreateKeyInput::default())
        .await
        .unwrap()
}

fn ctx(pairs: &[(&str, &str)]) -> EncryptionContext {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

async fn encrypt(
    kms: &Kms,
    key: &str,
    plain: &[u8],
    c: &EncryptionContext,
) -> Result<EncryptOutput, KmsError> {
    kms.encrypt(
        REGION,
        EncryptInput {
            key_id: key.to_owned(),
            plaintext: SecretBytes::new(plain.to_vec()),
            encryption_context: c.clone(),
            encryption_algorithm: None,
            dry_run: false,
        },
    )
    .await
}

async fn decrypt(
    kms: &Kms,
    blob: &[u8],
    c: &EncryptionContext,
    key: Option<&str>,
) -> Result<DecryptOutput, KmsError> {
    kms.decrypt(
        REGION,
        DecryptInput {
            ciphertext_blob: blob.to_vec(),
            encryption_context: c.clone(),
            key_id: key.map(str::to_owned),
            ..DecryptInput::default()
        },
    )
    .await
}

#[tokio::test]
async fn create_key_metadata_matches_the_spec_shape() {
    let f = fixture();
    let meta = f
        .kms
        .create_key(
            REGION,
            CreateKeyInput {
                description: Some("app key".into()),
                ..CreateKeyInput::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(meta.account_id, ACCOUNT);
    assert_eq!(meta.arn, arn_of(&meta.key_id));
    assert!(meta.enabled);
    assert_eq!(meta.key_state, KeyState::Enabled);
    assert_eq!(meta.key_manager, "CUSTOMER");
    assert_eq!(meta.description, "app key");
    assert!(meta.creation_ms > 1_600_000_000_000);
    assert_eq!(meta.deletion_date_ms, None);
    assert_eq!(meta.key_id.len(), 36);

    // All four reference forms describe the same key.
    f.kms
        .create_alias(REGION, "alias/app", &meta.key_id)
        .await
        .unwrap();
    for r in [
        meta.key_id.clone(),
        meta.arn.clone(),
        "alias/app".to_owned(),
        format!("arn:aws:kms:{REGION}:{ACCOUNT}:alias/app"),
    ] {
        assert_eq!(f.kms.describe_key(REGION, &r).await.unwrap(), meta, "{r}");
    }
}

#[tokio::test]
async fn create_key_rejects_unsupported_specs_and_bad_tags() {
    let f = fixture();
    let err = f
        .kms
        .create_key(
            REGION,
            CreateKeyInput {
                key_spec: Some("ML_DSA_44".into()),
                key_usage: Some("SIGN_VERIFY".into()),
                ..CreateKeyInput::default()
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, KmsError::UnsupportedOperation(_)), "{err:?}");
    let tag = |k: &str| Tag {
        key: k.into(),
        value: "v".into(),
    };
    for (tags, text) in [
        (vec![tag("aws:x")], "Tags beginning with aws: are reserved"),
        (vec![tag("a"), tag("a")], "Duplicate tag keys"),
        (
            (0..51).map(|i| tag(&format!("k{i}"))).collect(),
            "Too many tags",
        ),
    ] {
        let err = f
            .kms
            .create_key(
                REGION,
                CreateKeyInput {
                    tags,
                    ..CreateKeyInput::default()
                },
            )
            .await
            .unwrap_err();
        assert_eq!(err, KmsError::Tag(text.into()));
    }
    for policy in [
        "{not json",
        // Valid JSON, but no Principal: a key policy the evaluator could not read.
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"kms:*","Resource":"*"}]}"#,
        // A misspelt element.
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:root"},"Action":"kms:*","Resurce":"*"}]}"#,
    ] {
        let err = f
            .kms
            .create_key(
                REGION,
                CreateKeyInput {
                    policy: Some(policy.into()),
                    ..CreateKeyInput::default()
                },
            )
            .await
            .unwrap_err();
        assert!(
            matches!(&err, KmsError::MalformedPolicyDocument(m) if m.starts_with("The key policy is not valid: ")),
            "{policy}: {err:?}"
        );
    }
    // Nothing was created by the failures.
    assert!(
        f.kms
            .list_keys(REGION, 100, None)
            .await
            .unwrap()
            .items
            .is_empty()
    );
}

#[tokio::test]
async fn the_default_key_policy_is_accepted() {
    // AWS's default key policy: its Sid has spaces, which resource
    // policies allow (identity policies do not).
    let f = fixture();
    let policy = r#"{"Version":"2012-10-17","Id":"key-default-1","Statement":[{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:root"},"Action":"kms:*","Resource":"*"}]}"#;
    f.kms
        .create_key(
            REGION,
            CreateKeyInput {
                policy: Some(policy.into()),
                ..CreateKeyInput::default()
            },
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn lookup_errors_have_aws_texts() {
    let f = fixture();
    let unknown = "1234abcd-12ab-34cd-56ef-1234567890ab";
    let cases = [
        ("fake-key-id", "Invalid keyId 'fake-key-id'".to_owned()),
        (unknown, format!("Key '{}' does not exist", arn_of(unknown))),
        (
            "alias/x",
            format!("Alias arn:aws:kms:{REGION}:{ACCOUNT}:alias/x is not found."),
        ),
        (
            "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            "Invalid arn eu-west-1".to_owned(),
        ),
    ];
    for (r, text) in cases {
        assert_eq!(
            f.kms.describe_key(REGION, r).await.unwrap_err(),
            KmsError::NotFound(text),
            "{r}"
        );
    }
}

#[tokio::test]
async fn managed_keys_are_created_on_describe_and_listed() {
    let f = fixture();
    let aliases = f.kms.list_aliases(REGION, None, 50, None).await.unwrap();
    let names: Vec<&str> = aliases
        .items
        .iter()
        .map(|a| a.alias_name.as_str())
        .collect();
    assert_eq!(names, ["alias/aws/secretsmanager", "alias/aws/ssm"]);
    assert!(aliases.items.iter().all(|a| a.target_key_id.is_none()));

    let meta = f.kms.describe_key(REGION, "alias/aws/ssm").await.unwrap();
    assert_eq!(meta.key_manager, "AWS");
    assert_eq!(
        meta.description,
        "Default key that protects my SSM parameters when no other key is defined"
    );
    let keys = f.kms.list_keys(REGION, 100, None).await.unwrap();
    assert_eq!(
        keys.items,
        [KeyListEntry {
            key_id: meta.key_id.clone(),
            key_arn: meta.arn.clone()
        }]
    );
    let aliases = f.kms.list_aliases(REGION, None, 50, None).await.unwrap();
    let ssm = aliases
        .items
        .iter()
        .find(|a| a.alias_name == "alias/aws/ssm")
        .unwrap();
    assert_eq!(ssm.target_key_id.as_deref(), Some(meta.key_id.as_str()));
    assert_eq!(
        ssm.alias_arn,
        format!("arn:aws:kms:{REGION}:{ACCOUNT}:alias/aws/ssm")
    );

    // Managed keys cannot be disabled or scheduled for deletion.
    for err in [
        f.kms
            .disable_key(REGION, "alias/aws/ssm")
            .await
            .unwrap_err(),
        f.kms
            .schedule_key_deletion(REGION, &meta.key_id, None)
            .await
            .unwrap_err(),
    ] {
        assert!(matches!(err, KmsError::UnsupportedOperation(_)), "{err:?}");
    }
    // Nor be alias targets.
    let err = f
        .kms
        .create_alias(REGION, "alias/mine", &meta.key_id)
        .await
        .unwrap_err();
    assert!(matches!(err, KmsError::UnsupportedOperation(_)), "{err:?}");
}

#[tokio::test]
async fn list_keys_pages_with_markers() {
    let f = fixture();
    let mut ids = Vec::new();
    for _ in 0..5 {
        ids.push(new_key(&f.kms).await.key_id);
    }
    ids.sort();
    let mut seen = Vec::new();
    let mut marker = None;
    loop {
        let page = f.kms.list_keys(REGION, 2, marker.as_deref()).await.unwrap();
        assert!(page.items.len() <= 2);
        seen.extend(page.items.iter().map(|k| k.key_id.clone()));
        match page.next_marker {
            Some(m) => marker = Some(m),
            None => break,
        }
    }
    assert_eq!(seen, ids);
    for bad in ["nope", "YQ.AAAA", ""] {
        assert!(matches!(
            f.kms.list_keys(REGION, 2, Some(bad)).await,
            Err(KmsError::InvalidMarker(_))
        ));
    }
}

#[tokio::test]
async fn alias_rules_and_texts() {
    let f = fixture();
    let key = new_key(&f.kms).await;
    assert_eq!(
        f.kms.create_alias(REGION, "app", &key.key_id).await.unwrap_err(),
        KmsError::Validation("Alias must start with the prefix \"alias/\". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html".into())
    );
    assert_eq!(
        f.kms
            .create_alias(REGION, "alias/aws/mine", &key.key_id)
            .await
            .unwrap_err(),
        KmsError::NotAuthorized
    );
    f.kms
        .create_alias(REGION, "alias/app", &key.key_id)
        .await
        .unwrap();
    assert_eq!(
        f.kms
            .create_alias(REGION, "alias/app", &key.key_id)
            .await
            .unwrap_err(),
        KmsError::AlreadyExists(format!(
            "An alias with the name arn:aws:kms:{REGION}:{ACCOUNT}:alias/app already exists"
        ))
    );
    assert_eq!(
        f.kms
            .create_alias(REGION, "alias/b", "alias/app")
            .await
            .unwrap_err(),
        KmsError::Validation("Aliases must refer to keys. Not aliases".into())
    );
    assert!(matches!(
        f.kms
            .create_alias(REGION, "alias/b", "1234abcd-12ab-34cd-56ef-1234567890ab")
            .await,
        Err(KmsError::NotFound(_))
    ));

    // Filter by key, re-point, delete.
    let other = new_key(&f.kms).await;
    let listed = f
        .kms
        .list_aliases(REGION, Some(&key.arn), 50, None)
        .await
        .unwrap();
    assert_eq!(listed.items.len(), 1);
    assert_eq!(listed.items[0].alias_name, "alias/app");
    assert!(listed.items[0].creation_ms.is_some());
    f.kms
        .update_alias(REGION, "alias/app", &other.key_id)
        .await
        .unwrap();
    assert_eq!(
        f.kms
            .describe_key(REGION, "alias/app")
            .await
            .unwrap()
            .key_id,
        other.key_id
    );
    assert!(
        f.kms
            .list_aliases(REGION, Some(&key.key_id), 50, None)
            .await
            .unwrap()
            .items
            .is_empty()
    );
    f.kms.delete_alias(REGION, "alias/app").await.unwrap();
    assert_eq!(
        f.kms.delete_alias(REGION, "alias/app").await.unwrap_err(),
        KmsError::NotFound(format!(
            "Alias arn:aws:kms:{REGION}:{ACCOUNT}:alias/app is not found."
        ))
    );
    assert!(matches!(
        f.kms.update_alias(REGION, "alias/app", &key.key_id).await,
        Err(KmsError::NotFound(_))
    ));

    // A key pending deletion cannot be a target.
    f.kms
        .schedule_key_deletion(REGION, &key.key_id, Some(7))
        .await
        .unwrap();
    assert_eq!(
        f.kms
            .create_alias(REGION, "alias/c", &key.key_id)
            .await
            .unwrap_err(),
        KmsError::pending_deletion(&key.arn)
    );
}

#[tokio::test]
async fn encrypt_decrypt_round_trip_binds_the_context() {
    let f = fixture();
    let key = new_key(&f.kms).await;
    let c = ctx(&[("PARAMETER_ARN", "arn:x"), ("b", "2")]);
    let out = encrypt(&f.kms, &key.key_id, b"hello", &c).await.unwrap();
    assert_eq!(out.key_id, key.arn);
    assert!(!out.ciphertext_blob.windows(5).any(|w| w == b"hello"));

    // Order of the pairs is irrelevant; no KeyId needed.
    let same = ctx(&[("b", "2"), ("PARAMETER_ARN", "arn:x")]);
    let plain = decrypt(&f.kms, &out.ciphertext_blob, &same, None)
        .await
        .unwrap();
    assert_eq!(plain.plaintext.expose(), b"hello");
    assert_eq!(plain.key_id, key.arn);

    for wrong in [
        ctx(&[]),
        ctx(&[("PARAMETER_ARN", "arn:x")]),
        ctx(&[("PARAMETER_ARN", "arn:x"), ("b", "3")]),
        ctx(&[("parameter_arn", "arn:x"), ("b", "2")]),
        ctx(&[("PARAMETER_ARN", "arn:x"), ("b", "2"), ("c", "")]),
    ] {
        assert_eq!(
            decrypt(&f.kms, &out.ciphertext_blob, &wrong, None)
                .await
                .unwrap_err(),
            KmsError::InvalidCiphertext,
            "{wrong:?}"
        );
    }
}

#[tokio::test]
async fn corrupt_foreign_and_incorrect_key_blobs() {
    let f = fixture();
    let key = new_key(&f.kms).await;
    let other = new_key(&f.kms).await;
    let c = ctx(&[]);
    let blob = encrypt(&f.kms, &key.key_id, b"v", &c)
        .await
        .unwrap()
        .ciphertext_blob;

    // Every flipped byte fails, with the one empty-message error.
    for i in 0..blob.len() {
        let mut bad = blob.clone();
        bad[i] ^= 0x01;
        assert_eq!(
            decrypt(&f.kms, &bad, &c, None).await.unwrap_err(),
            KmsError::InvalidCiphertext,
            "byte {i}"
        );
    }
    assert_eq!(
        decrypt(&f.kms, b"not a blob at all", &c, None)
            .await
            .unwrap_err(),
        KmsError::InvalidCiphertext
    );
    // A blob from another kinko (another root, same key id absent here).
    let foreign = fixture();
    let fkey = new_key(&foreign.kms).await;
    let fblob = encrypt(&foreign.kms, &fkey.key_id, b"v", &c)
        .await
        .unwrap()
        .ciphertext_blob;
    assert_eq!(
        decrypt(&f.kms, &fblob, &c, None).await.unwrap_err(),
        KmsError::InvalidCiphertext
    );
    // KeyId naming another key.
    let err = decrypt(&f.kms, &blob, &c, Some(&other.key_id))
        .await
        .unwrap_err();
    assert_eq!(err, KmsError::incorrect_key());
    assert_eq!(
        err.to_string(),
        "IncorrectKeyException: The key ID in the request does not identify a CMK that can perform this operation."
    );
    // The right key in any form is accepted.
    assert!(decrypt(&f.kms, &blob, &c, Some(&key.arn)).await.is_ok());
}

#[tokio::test]
async fn random_sizes_round_trip_and_blobs_stay_under_6144() {
    let f = fixture();
    let key = new_key(&f.kms).await;
    let c = ctx(&[("k", "v")]);
    let mut sizes: Vec<usize> = (0..40)
        .map(|_| {
            let b = kinko_crypto::random_bytes(2);
            1 + (usize::from(b[0]) << 8 | usize::from(b[1])) % 4096
        })
        .collect();
    sizes.extend([1, 4095, 4096]);
    for n in sizes {
        let plain = kinko_crypto::random_bytes(n);
        let out = encrypt(&f.kms, &key.key_id, &plain, &c).await.unwrap();
        assert!(out.ciphertext_blob.len() <= MAX_CIPHERTEXT, "{n}");
        let back = decrypt(&f.kms, &out.ciphertext_blob, &c, None)
            .await
            .unwrap();
        assert_eq!(back.plaintext.expose(), plain.as_slice(), "{n}");
    }
    let too_long = encrypt(&f.kms, &key.key_id, &[0; 4097], &c)
        .await
        .unwrap_err();
    assert!(matches!(too_long, KmsError::Validation(_)));
}

#[tokio::test]
async fn key_states_block_crypto_with_aws_texts() {
    let f = fixture();
    let key = new_key(&f.kms).await;
    let c = ctx(&[]);
    let blob = encrypt(&f.kms, &key.key_id, b"v", &c)
        .await
        .unwrap()
        .ciphertext_blob;

    f.kms.disable_key(REGION, &key.key_id).await.unwrap();
    let meta = f.kms.describe_key(REGION, &key.key_id).await.unwrap();
    assert_eq!((meta.enabled, meta.key_state), (false, KeyState::Disabled));
    let disabled = KmsError::Disabled(format!("{} is disabled.", key.arn));
    assert_eq!(
        encrypt(&f.kms, &key.key_id, b"v", &c).await.unwrap_err(),
        disabled
    );
    assert_eq!(
        decrypt(&f.kms, &blob, &c, None).await.unwrap_err(),
        disabled
    );
    f.kms.enable_key(REGION, &key.arn).await.unwrap();
    assert!(decrypt(&f.kms, &blob, &c, None).await.is_ok());

    let out = f
        .kms
        .schedule_key_deletion(REGION, &key.key_id, None)
        .await
        .unwrap();
    assert_eq!(out.key_id, key.arn);
    assert_eq!(out.pending_window_in_days, 30);
    assert_eq!(out.key_state, KeyState::PendingDeletion);
    let meta = f.kms.describe_key(REGION, &key.key_id).await.unwrap();
    assert_eq!(meta.key_state, KeyState::PendingDeletion);
    assert!(!meta.enabled);
    assert_eq!(meta.deletion_date_ms, out.deletion_date_ms);
    assert_eq!(meta.pending_deletion_window_in_days, Some(30));
    // Scheduled after creation, 30 days out.
    assert!(out.deletion_date_ms >= Some(meta.creation_ms + 30 * 86_400_000));
    let pending = KmsError::InvalidState(format!("{} is pending deletion.", key.arn));
    assert_eq!(decrypt(&f.kms, &blob, &c, None).await.unwrap_err(), pending);
    assert_eq!(
        f.kms.enable_key(REGION, &key.key_id).await.unwrap_err(),
        pending
    );
    assert_eq!(
        f.kms
            .schedule_key_deletion(REGION, &key.key_id, Some(7))
            .await
            .unwrap_err(),
        pending
    );
    assert!(matches!(
        f.kms
            .schedule_key_deletion(REGION, &key.key_id, Some(6))
            .await,
        Err(KmsError::Validation(_))
    ));

    assert_eq!(
        f.kms
            .cancel_key_deletion(REGION, &key.key_id)
            .await
            .unwrap(),
        key.arn
    );
    let meta = f.kms.describe_key(REGION, &key.key_id).await.unwrap();
    assert_eq!(meta.key_state, KeyState::Disabled);
    assert_eq!(meta.deletion_date_ms, None);
    assert!(matches!(
        f.kms.cancel_key_deletion(REGION, &key.key_id).await,
        Err(KmsError::InvalidState(_))
    ));
    f.kms.enable_key(REGION, &key.key_id).await.unwrap();
    assert_eq!(
        decrypt(&f.kms, &blob, &c, None)
            .await
            .unwrap()
            .plaintext
            .expose(),
        b"v"
    );
}

#[tokio::test]
async fn dry_run_checks_then_refuses() {
    let f = fixture();
    let key = new_key(&f.kms).await;
    let err = f
        .kms
        .encrypt(
            REGION,
            EncryptInput {
                key_id: key.key_id.clone(),
                plaintext: SecretBytes::new(b"v".to_vec()),
                encryption_context: ctx(&[]),
                encryption_algorithm: None,
                dry_run: true,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(
        err,
        KmsError::DryRun("The request would have succeeded, but the DryRun option is set.".into())
    );
    let blob = encrypt(&f.kms, &key.key_id, b"v", &ctx(&[]))
        .await
        .unwrap()
        .ciphertext_blob;
    let err = f
        .kms
        .decrypt(
            REGION,
            DecryptInput {
                ciphertext_blob: blob,
                dry_run: true,
                ..DecryptInput::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err, KmsError::dry_run());
    // A disabled key reports its state even on a dry run.
    f.kms.disable_key(REGION, &key.key_id).await.unwrap();
    let err = f
        .kms
        .generate_data_key(
            REGION,
            GenerateDataKeyInput {
                key_id: key.key_id.clone(),
                size: DataKeySize::Aes256,
                encryption_context: ctx(&[]),
                dry_run: true,
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, KmsError::Disabled(_)));
}

#[tokio::test]
async fn generate_data_key_decrypts_to_its_plaintext() {
    let f = fixture();
    let c = ctx(&[("SecretARN", "arn:s")]);
    for (size, len) in [
        (DataKeySize::Aes256, 32),
        (DataKeySize::Aes128, 16),
        (DataKeySize::Bytes(1024), 1024),
    ] {
        let out = f
            .kms
            .generate_data_key(
                REGION,
                GenerateDataKeyInput {
                    key_id: "alias/aws/secretsmanager".into(),
                    size,
                    encryption_context: c.clone(),
                    dry_run: false,
                },
            )
            .await
            .unwrap();
        assert_eq!(out.plaintext.len(), len);
        let back = decrypt(&f.kms, &out.ciphertext_blob, &c, None)
            .await
            .unwrap();
        assert_eq!(back.plaintext.expose(), out.plaintext.expose());
        assert_eq!(back.key_id, out.key_id);
    }
    let a = f.kms.generate_random(32).unwrap();
    let b = f.kms.generate_random(32).unwrap();
    assert_eq!(a.len(), 32);
    assert_ne!(a.expose(), b.expose());
    assert!(f.kms.generate_random(0).is_err());
    assert!(f.kms.generate_random(1025).is_err());
}

#[tokio::test]
async fn disabled_key_blocks_secure_string_reads_until_enabled() {
    let f = fixture();
    let key = new_key(&f.kms).await;
    let caller = Caller {
        region: REGION.into(),
        account_id: ACCOUNT.into(),
        arn: format!("arn:aws:iam::{ACCOUNT}:user/admin"),
    };
    let mut input = PutParameterInput::new(
        "/app/db",
        SecretString::new("s3cr3t".into()),
        Some(ParameterType::SecureString),
    );
    input.key_id = Some(key.key_id.clone());
    f.ssm.put_parameter(&caller, input).await.unwrap();
    let read = f.ssm.get_parameter(&caller, "/app/db", true).await.unwrap();
    assert_eq!(read.value.expose(), "s3cr3t");

    f.kms.disable_key(REGION, &key.key_id).await.unwrap();
    let err = f
        .ssm
        .get_parameter(&caller, "/app/db", true)
        .await
        .unwrap_err();
    assert!(matches!(err, SsmError::InvalidKeyId(_)), "{err:?}");

    f.kms.enable_key(REGION, &key.key_id).await.unwrap();
    let read = f.ssm.get_parameter(&caller, "/app/db", true).await.unwrap();
    assert_eq!(read.value.expose(), "s3cr3t");

    // Scheduling deletion blocks reads too; cancelling and enabling restores them.
    f.kms
        .schedule_key_deletion(REGION, &key.key_id, Some(7))
        .await
        .unwrap();
    assert!(f.ssm.get_parameter(&caller, "/app/db", true).await.is_err());
    f.kms
        .cancel_key_deletion(REGION, &key.key_id)
        .await
        .unwrap();
    f.kms.enable_key(REGION, &key.key_id).await.unwrap();
    assert!(f.ssm.get_parameter(&caller, "/app/db", true).await.is_ok());
}
