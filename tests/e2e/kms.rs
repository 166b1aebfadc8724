//! The KMS subset, end to end through the official AWS SDK for Rust, asserted
//! against /work/shared/spec/kms-subset.md; and how a key's state reaches the
//! SSM SecureStrings and secrets it protects.

use aws_sdk_kms::Client;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{
    DataKeySpec, EncryptionAlgorithmSpec, KeyManagerType, KeyMetadata, KeySpec, KeyState,
    KeyUsageType, OriginType,
};
use aws_sdk_ssm::types::ParameterType;

use crate::support::{self, code, message};

async fn describe(kms: &Client, key_id: &str) -> KeyMetadata {
    kms.describe_key()
        .key_id(key_id)
        .send()
        .await
        .unwrap_or_else(|e| panic!("describe {key_id}: {e:?}"))
        .key_metadata()
        .expect("KeyMetadata")
        .clone()
}

/// Creates a customer key and returns its metadata.
async fn create_key(kms: &Client, description: &str) -> KeyMetadata {
    kms.create_key()
        .description(description)
        .send()
        .await
        .unwrap_or_else(|e| panic!("create key: {e:?}"))
        .key_metadata()
        .expect("KeyMetadata")
        .clone()
}

async fn encrypt(kms: &Client, key_id: &str, plaintext: &[u8]) -> Blob {
    kms.encrypt()
        .key_id(key_id)
        .plaintext(Blob::new(plaintext))
        .send()
        .await
        .unwrap_or_else(|e| panic!("encrypt: {e:?}"))
        .ciphertext_blob()
        .expect("CiphertextBlob")
        .clone()
}

fn account_of(arn: &str) -> String {
    arn.split(':').nth(4).expect("account in ARN").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_managed_keys_exist_from_the_start() {
    let server = support::in_process().await;
    let kms = server.kms();

    let ssm_key = describe(&kms, "alias/aws/ssm").await;
    let sm_key = describe(&kms, "alias/aws/secretsmanager").await;
    for (key, what) in [
        (&ssm_key, "SSM parameters"),
        (&sm_key, "Secrets Manager data"),
    ] {
        assert_eq!(key.key_manager(), Some(&KeyManagerType::Aws), "{what}");
        assert_eq!(key.key_state(), Some(&KeyState::Enabled), "{what}");
        assert!(key.enabled(), "{what}");
        assert_eq!(key.key_usage(), Some(&KeyUsageType::EncryptDecrypt));
        let description = key.description().unwrap_or_default();
        assert!(
            description.ends_with(&format!("protects my {what} when no other key is defined")),
            "{description}"
        );
    }
    assert_ne!(ssm_key.key_id(), sm_key.key_id());
    let account = account_of(ssm_key.arn().unwrap());
    assert_eq!(ssm_key.aws_account_id(), Some(account.as_str()));

    // Every identifier form reaches the same key.
    let alias_arn = format!("arn:aws:kms:us-east-1:{account}:alias/aws/ssm");
    for id in [ssm_key.key_id(), ssm_key.arn().unwrap(), alias_arn.as_str()] {
        assert_eq!(describe(&kms, id).await.key_id(), ssm_key.key_id(), "{id}");
    }

    let keys = kms.list_keys().send().await.unwrap();
    assert!(!keys.truncated());
    for key in [&ssm_key, &sm_key] {
        let entry = keys
            .keys()
            .iter()
            .find(|k| k.key_id() == Some(key.key_id()))
            .unwrap_or_else(|| panic!("{} not in ListKeys", key.key_id()));
        assert_eq!(entry.key_arn(), key.arn());
    }
    let aliases = kms.list_aliases().send().await.unwrap();
    for (name, key) in [
        ("alias/aws/ssm", &ssm_key),
        ("alias/aws/secretsmanager", &sm_key),
    ] {
        let entry = aliases
            .aliases()
            .iter()
            .find(|a| a.alias_name() == Some(name))
            .unwrap_or_else(|| panic!("{name} not in ListAliases"));
        assert_eq!(entry.target_key_id(), Some(key.key_id()));
        assert_eq!(
            entry.alias_arn(),
            Some(format!("arn:aws:kms:us-east-1:{account}:{name}").as_str())
        );
    }

    // Lookup errors with AWS's texts.
    let err = kms
        .describe_key()
        .key_id("alias/x")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "NotFoundException");
    assert_eq!(
        message(&err),
        format!("Alias arn:aws:kms:us-east-1:{account}:alias/x is not found.")
    );
    let err = kms
        .describe_key()
        .key_id("fake-key-id")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "NotFoundException");
    assert_eq!(message(&err), "Invalid keyId 'fake-key-id'");
    let unknown = "0b5e5b0e-1f1e-4d1e-9c1e-0123456789ab";
    let err = kms.describe_key().key_id(unknown).send().await.unwrap_err();
    assert_eq!(code(&err), "NotFoundException");
    assert_eq!(
        message(&err),
        format!("Key 'arn:aws:kms:us-east-1:{account}:key/{unknown}' does not exist")
    );

    // AWS-managed keys cannot be disabled or deleted.
    assert!(
        kms.disable_key()
            .key_id(ssm_key.key_id())
            .send()
            .await
            .is_err()
    );
    assert!(
        kms.schedule_key_deletion()
            .key_id(sm_key.key_id())
            .send()
            .await
            .is_err()
    );
    assert_eq!(
        describe(&kms, "alias/aws/ssm").await.key_state(),
        Some(&KeyState::Enabled)
    );
    assert_eq!(
        describe(&kms, "alias/aws/secretsmanager").await.key_state(),
        Some(&KeyState::Enabled)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_key_returns_symmetric_customer_key_metadata() {
    let server = support::in_process().await;
    let kms = server.kms();

    let key = create_key(&kms, "app key").await;
    let id = key.key_id();
    assert_eq!(id.len(), 36, "{id}");
    assert!(
        id.chars()
            .all(|c| c == '-' || c.is_ascii_digit() || ('a'..='f').contains(&c)),
        "{id}"
    );
    assert_eq!(id.matches('-').count(), 4, "{id}");
    let account = key.aws_account_id().expect("AWSAccountId").to_owned();
    assert_eq!(
        key.arn(),
        Some(format!("arn:aws:kms:us-east-1:{account}:key/{id}").as_str())
    );
    assert_eq!(key.description(), Some("app key"));
    assert!(key.enabled());
    assert_eq!(key.key_state(), Some(&KeyState::Enabled));
    assert_eq!(key.key_usage(), Some(&KeyUsageType::EncryptDecrypt));
    assert_eq!(key.key_spec(), Some(&KeySpec::SymmetricDefault));
    assert_eq!(key.origin(), Some(&OriginType::AwsKms));
    assert_eq!(key.key_manager(), Some(&KeyManagerType::Customer));
    assert_eq!(
        key.encryption_algorithms(),
        [EncryptionAlgorithmSpec::SymmetricDefault]
    );
    assert!(key.creation_date().is_some());
    assert!(key.deletion_date().is_none());

    let again = describe(&kms, id).await;
    assert_eq!(again.arn(), key.arn());
    assert_eq!(again.description(), Some("app key"));

    let other = create_key(&kms, "").await;
    assert_ne!(other.key_id(), id);
    let keys = kms.list_keys().send().await.unwrap();
    let ids: Vec<&str> = keys.keys().iter().filter_map(|k| k.key_id()).collect();
    assert!(
        ids.contains(&id) && ids.contains(&other.key_id()),
        "{ids:?}"
    );

    // A key in another region is another key.
    let err = kms_in_west(&server)
        .describe_key()
        .key_id(id)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "NotFoundException");
}

fn kms_in_west(server: &kinko_testkit::InProcess) -> Client {
    server.kms_in("eu-west-1")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alias_rules() {
    let server = support::in_process().await;
    let kms = server.kms();
    let key = create_key(&kms, "aliased").await;
    let other = create_key(&kms, "other").await;
    let account = key.aws_account_id().unwrap().to_owned();

    kms.create_alias()
        .alias_name("alias/app")
        .target_key_id(key.key_id())
        .send()
        .await
        .unwrap();
    assert_eq!(describe(&kms, "alias/app").await.key_id(), key.key_id());
    let alias_arn = format!("arn:aws:kms:us-east-1:{account}:alias/app");
    assert_eq!(describe(&kms, &alias_arn).await.key_id(), key.key_id());

    let filtered = kms
        .list_aliases()
        .key_id(key.key_id())
        .send()
        .await
        .unwrap();
    assert_eq!(filtered.aliases().len(), 1, "{:?}", filtered.aliases());
    let entry = &filtered.aliases()[0];
    assert_eq!(entry.alias_name(), Some("alias/app"));
    assert_eq!(entry.alias_arn(), Some(alias_arn.as_str()));
    assert_eq!(entry.target_key_id(), Some(key.key_id()));

    let err = kms
        .create_alias()
        .alias_name("app2")
        .target_key_id(key.key_id())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ValidationException");
    assert_eq!(
        message(&err),
        "Alias must start with the prefix \"alias/\". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html"
    );
    let err = kms
        .create_alias()
        .alias_name("alias/aws/mine")
        .target_key_id(key.key_id())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "NotAuthorizedException");
    let err = kms
        .create_alias()
        .alias_name("alias/app")
        .target_key_id(other.key_id())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "AlreadyExistsException");
    assert_eq!(
        message(&err),
        format!("An alias with the name {alias_arn} already exists")
    );
    // The duplicate did not re-point the alias.
    assert_eq!(describe(&kms, "alias/app").await.key_id(), key.key_id());
    let err = kms
        .create_alias()
        .alias_name("alias/app3")
        .target_key_id("alias/app")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ValidationException");
    let err = kms
        .create_alias()
        .alias_name("alias/app4")
        .target_key_id("0b5e5b0e-1f1e-4d1e-9c1e-0123456789ab")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "NotFoundException");

    kms.delete_alias()
        .alias_name("alias/app")
        .send()
        .await
        .unwrap();
    let err = kms
        .describe_key()
        .key_id("alias/app")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "NotFoundException");
    // The key outlives its alias; the name is free again.
    assert!(describe(&kms, key.key_id()).await.enabled());
    kms.create_alias()
        .alias_name("alias/app")
        .target_key_id(other.key_id())
        .send()
        .await
        .unwrap();
    assert_eq!(describe(&kms, "alias/app").await.key_id(), other.key_id());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn encrypt_decrypt_with_and_without_context() {
    let server = support::in_process().await;
    let kms = server.kms();
    let key = create_key(&kms, "crypt").await;
    let other = create_key(&kms, "other").await;
    let key_arn = key.arn().unwrap().to_owned();
    kms.create_alias()
        .alias_name("alias/crypt")
        .target_key_id(key.key_id())
        .send()
        .await
        .unwrap();

    // Without context; the blob names its key.
    let encrypted = kms
        .encrypt()
        .key_id("alias/crypt")
        .plaintext(Blob::new("hello"))
        .send()
        .await
        .unwrap();
    assert_eq!(encrypted.key_id(), Some(key_arn.as_str()));
    assert_eq!(
        encrypted.encryption_algorithm(),
        Some(&EncryptionAlgorithmSpec::SymmetricDefault)
    );
    let blob = encrypted.ciphertext_blob().unwrap().clone();
    assert_ne!(blob.as_ref(), b"hello");
    let decrypted = kms
        .decrypt()
        .ciphertext_blob(blob.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(decrypted.plaintext().unwrap().as_ref(), b"hello");
    assert_eq!(decrypted.key_id(), Some(key_arn.as_str()));
    // Naming the right key (any form) works; another key is refused.
    for id in [key.key_id(), key_arn.as_str(), "alias/crypt"] {
        let d = kms
            .decrypt()
            .ciphertext_blob(blob.clone())
            .key_id(id)
            .send()
            .await
            .unwrap();
        assert_eq!(d.plaintext().unwrap().as_ref(), b"hello", "{id}");
    }
    let err = kms
        .decrypt()
        .ciphertext_blob(blob.clone())
        .key_id(other.key_id())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "IncorrectKeyException");
    assert_eq!(
        message(&err),
        "The key ID in the request does not identify a CMK that can perform this operation."
    );
    // A context where none was used.
    let err = kms
        .decrypt()
        .ciphertext_blob(blob.clone())
        .encryption_context("app", "web")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidCiphertextException");

    // With context: exact match, order irrelevant.
    let blob = kms
        .encrypt()
        .key_id(key.key_id())
        .plaintext(Blob::new("with context"))
        .encryption_context("app", "web")
        .encryption_context("stage", "prod")
        .send()
        .await
        .unwrap()
        .ciphertext_blob()
        .unwrap()
        .clone();
    let d = kms
        .decrypt()
        .ciphertext_blob(blob.clone())
        .encryption_context("stage", "prod")
        .encryption_context("app", "web")
        .send()
        .await
        .unwrap();
    assert_eq!(d.plaintext().unwrap().as_ref(), b"with context");
    let changed: [&[(&str, &str)]; 4] = [
        &[("app", "web"), ("stage", "dev")],
        &[("app", "web")],
        &[("app", "web"), ("stage", "prod"), ("extra", "x")],
        &[("app", "Web"), ("stage", "prod")],
    ];
    for context in changed {
        let mut request = kms.decrypt().ciphertext_blob(blob.clone());
        for (k, v) in context {
            request = request.encryption_context(*k, *v);
        }
        let err = request.send().await.unwrap_err();
        assert_eq!(code(&err), "InvalidCiphertextException", "{context:?}");
    }
    let err = kms
        .decrypt()
        .ciphertext_blob(blob.clone())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidCiphertextException", "no context");

    // A corrupted blob.
    let mut corrupt = blob.clone().into_inner();
    let last = corrupt.len() - 1;
    corrupt[last] ^= 0x01;
    let err = kms
        .decrypt()
        .ciphertext_blob(Blob::new(corrupt))
        .encryption_context("app", "web")
        .encryption_context("stage", "prod")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidCiphertextException");

    // Plaintext limit: 4096 bytes.
    let max = encrypt(&kms, key.key_id(), &[0xAB; 4096]).await;
    let d = kms
        .decrypt()
        .ciphertext_blob(max.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(d.plaintext().unwrap().as_ref(), [0xAB; 4096].as_slice());
    assert!(max.as_ref().len() <= 6144, "{}", max.as_ref().len());
    let err = kms
        .encrypt()
        .key_id(key.key_id())
        .plaintext(Blob::new(vec![0u8; 4097]))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ValidationException");
    assert_eq!(
        message(&err),
        "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length less than or equal to 4096"
    );

    // The AWS-managed keys encrypt too.
    let blob = encrypt(&kms, "alias/aws/ssm", b"managed").await;
    let d = kms.decrypt().ciphertext_blob(blob).send().await.unwrap();
    assert_eq!(d.plaintext().unwrap().as_ref(), b"managed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generate_data_keys_and_random_bytes() {
    let server = support::in_process().await;
    let kms = server.kms();
    let key = create_key(&kms, "data keys").await;

    let generated = kms
        .generate_data_key()
        .key_id(key.key_id())
        .key_spec(DataKeySpec::Aes256)
        .encryption_context("purpose", "test")
        .send()
        .await
        .unwrap();
    assert_eq!(generated.key_id(), key.arn());
    let plaintext = generated.plaintext().unwrap().as_ref().to_vec();
    assert_eq!(plaintext.len(), 32);
    let d = kms
        .decrypt()
        .ciphertext_blob(generated.ciphertext_blob().unwrap().clone())
        .encryption_context("purpose", "test")
        .send()
        .await
        .unwrap();
    assert_eq!(d.plaintext().unwrap().as_ref(), plaintext.as_slice());

    let aes128 = kms
        .generate_data_key()
        .key_id(key.key_id())
        .key_spec(DataKeySpec::Aes128)
        .send()
        .await
        .unwrap();
    assert_eq!(aes128.plaintext().unwrap().as_ref().len(), 16);
    let bytes64 = kms
        .generate_data_key()
        .key_id(key.key_id())
        .number_of_bytes(64)
        .send()
        .await
        .unwrap();
    assert_eq!(bytes64.plaintext().unwrap().as_ref().len(), 64);

    // Neither or both of KeySpec / NumberOfBytes.
    let err = kms
        .generate_data_key()
        .key_id(key.key_id())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ValidationException");
    let err = kms
        .generate_data_key()
        .key_id(key.key_id())
        .key_spec(DataKeySpec::Aes256)
        .number_of_bytes(32)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ValidationException");

    let without = kms
        .generate_data_key_without_plaintext()
        .key_id(key.key_id())
        .key_spec(DataKeySpec::Aes256)
        .send()
        .await
        .unwrap();
    assert_eq!(without.key_id(), key.arn());
    let d = kms
        .decrypt()
        .ciphertext_blob(without.ciphertext_blob().unwrap().clone())
        .send()
        .await
        .unwrap();
    assert_eq!(d.plaintext().unwrap().as_ref().len(), 32);

    let a = kms
        .generate_random()
        .number_of_bytes(32)
        .send()
        .await
        .unwrap();
    let b = kms
        .generate_random()
        .number_of_bytes(32)
        .send()
        .await
        .unwrap();
    let (a, b) = (
        a.plaintext().unwrap().as_ref(),
        b.plaintext().unwrap().as_ref(),
    );
    assert_eq!(a.len(), 32);
    assert_eq!(b.len(), 32);
    assert_ne!(a, b);
    let big = kms
        .generate_random()
        .number_of_bytes(1024)
        .send()
        .await
        .unwrap();
    assert_eq!(big.plaintext().unwrap().as_ref().len(), 1024);
    let err = kms.generate_random().send().await.unwrap_err();
    assert_eq!(code(&err), "ValidationException");
    assert_eq!(message(&err), "NumberOfBytes is required.");
    for n in [0, 1025] {
        let err = kms
            .generate_random()
            .number_of_bytes(n)
            .send()
            .await
            .unwrap_err();
        assert_eq!(code(&err), "ValidationException", "{n}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disabled_key_blocks_parameters_and_secrets_until_enabled() {
    let server = support::in_process().await;
    let kms = server.kms();
    let ssm = server.ssm();
    let sm = server.secrets();
    let key = create_key(&kms, "app data").await;
    let key_id = key.key_id().to_owned();
    let key_arn = key.arn().unwrap().to_owned();

    ssm.put_parameter()
        .name("/app/db/password")
        .value("param-s3cr3t")
        .r#type(ParameterType::SecureString)
        .key_id(&key_id)
        .send()
        .await
        .unwrap();
    sm.create_secret()
        .name("app/token")
        .secret_string("secret-s3cr3t")
        .kms_key_id(&key_id)
        .send()
        .await
        .unwrap();
    let described = sm
        .describe_secret()
        .secret_id("app/token")
        .send()
        .await
        .unwrap();
    assert!(described.kms_key_id().is_some(), "customer key is reported");
    let blob = encrypt(&kms, &key_id, b"before").await;

    kms.disable_key().key_id(&key_id).send().await.unwrap();
    let meta = describe(&kms, &key_id).await;
    assert_eq!(meta.key_state(), Some(&KeyState::Disabled));
    assert!(!meta.enabled());

    let err = kms
        .encrypt()
        .key_id(&key_id)
        .plaintext(Blob::new("x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "DisabledException");
    assert_eq!(message(&err), format!("{key_arn} is disabled."));
    let err = kms
        .decrypt()
        .ciphertext_blob(blob.clone())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "DisabledException");
    let err = kms
        .generate_data_key()
        .key_id(&key_id)
        .key_spec(DataKeySpec::Aes256)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "DisabledException");

    let err = ssm
        .get_parameter()
        .name("/app/db/password")
        .with_decryption(true)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidKeyId");
    assert!(!message(&err).contains("param-s3cr3t"));
    let err = sm
        .get_secret_value()
        .secret_id("app/token")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "DecryptionFailure");
    assert!(!message(&err).contains("secret-s3cr3t"));

    kms.enable_key().key_id(&key_id).send().await.unwrap();
    assert_eq!(
        describe(&kms, &key_id).await.key_state(),
        Some(&KeyState::Enabled)
    );
    let got = ssm
        .get_parameter()
        .name("/app/db/password")
        .with_decryption(true)
        .send()
        .await
        .unwrap();
    assert_eq!(got.parameter().unwrap().value(), Some("param-s3cr3t"));
    let got = sm
        .get_secret_value()
        .secret_id("app/token")
        .send()
        .await
        .unwrap();
    assert_eq!(got.secret_string(), Some("secret-s3cr3t"));
    let d = kms.decrypt().ciphertext_blob(blob).send().await.unwrap();
    assert_eq!(d.plaintext().unwrap().as_ref(), b"before");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schedule_and_cancel_key_deletion() {
    let server = support::in_process().await;
    let kms = server.kms();
    let key = create_key(&kms, "short-lived").await;
    let key_id = key.key_id().to_owned();
    let key_arn = key.arn().unwrap().to_owned();

    let scheduled = kms
        .schedule_key_deletion()
        .key_id(&key_id)
        .pending_window_in_days(7)
        .send()
        .await
        .unwrap();
    assert_eq!(scheduled.key_state(), Some(&KeyState::PendingDeletion));
    assert_eq!(scheduled.pending_window_in_days(), Some(7));
    assert!(scheduled.deletion_date().is_some());
    let meta = describe(&kms, &key_id).await;
    assert_eq!(meta.key_state(), Some(&KeyState::PendingDeletion));
    assert!(!meta.enabled());
    assert!(meta.deletion_date().is_some());

    let err = kms
        .encrypt()
        .key_id(&key_id)
        .plaintext(Blob::new("x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "KMSInvalidStateException");
    assert_eq!(message(&err), format!("{key_arn} is pending deletion."));
    let err = kms
        .create_alias()
        .alias_name("alias/late")
        .target_key_id(&key_id)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "KMSInvalidStateException");

    let cancelled = kms
        .cancel_key_deletion()
        .key_id(&key_id)
        .send()
        .await
        .unwrap();
    assert!(cancelled.key_id().is_some());
    let meta = describe(&kms, &key_id).await;
    assert_eq!(meta.key_state(), Some(&KeyState::Disabled));
    assert!(meta.deletion_date().is_none());

    kms.enable_key().key_id(&key_id).send().await.unwrap();
    let blob = encrypt(&kms, &key_id, b"alive").await;
    let d = kms.decrypt().ciphertext_blob(blob).send().await.unwrap();
    assert_eq!(d.plaintext().unwrap().as_ref(), b"alive");

    // Window outside 7–30 days.
    for days in [6, 31] {
        let err = kms
            .schedule_key_deletion()
            .key_id(&key_id)
            .pending_window_in_days(days)
            .send()
            .await
            .unwrap_err();
        assert_eq!(code(&err), "ValidationException", "{days}");
    }
    assert_eq!(
        describe(&kms, &key_id).await.key_state(),
        Some(&KeyState::Enabled)
    );
}

fn tag(key: &str, value: &str) -> aws_sdk_kms::types::Tag {
    aws_sdk_kms::types::Tag::builder()
        .tag_key(key)
        .tag_value(value)
        .build()
        .expect("a tag has a key and a value")
}

/// Every tag of a key, page by page, as (key, value).
async fn all_tags(kms: &Client, key_id: &str, limit: Option<i32>) -> Vec<(String, String)> {
    let mut tags = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let page = kms
            .list_resource_tags()
            .key_id(key_id)
            .set_limit(limit)
            .set_marker(marker.clone())
            .send()
            .await
            .unwrap_or_else(|e| panic!("list tags: {e:?}"));
        tags.extend(
            page.tags()
                .iter()
                .map(|t| (t.tag_key().to_owned(), t.tag_value().to_owned())),
        );
        assert_eq!(page.truncated(), page.next_marker().is_some());
        match page.next_marker() {
            Some(next) => marker = Some(next.to_owned()),
            None => return tags,
        }
    }
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tag_untag_and_list_a_keys_tags() {
    let server = support::in_process().await;
    let kms = server.kms();
    let key = kms
        .create_key()
        .tags(tag("env", "prod"))
        .send()
        .await
        .unwrap()
        .key_metadata()
        .unwrap()
        .clone();
    let key_id = key.key_id().to_owned();
    let key_arn = key.arn().unwrap().to_owned();
    assert_eq!(
        all_tags(&kms, &key_id, None).await,
        pairs(&[("env", "prod")])
    );

    // Adds a tag and overwrites one; by key ARN too; listed in key order.
    kms.tag_resource()
        .key_id(&key_arn)
        .tags(tag("team", "payments"))
        .tags(tag("env", "staging"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        all_tags(&kms, &key_id, None).await,
        pairs(&[("env", "staging"), ("team", "payments")])
    );

    // Pages of 4 through 12 tags, the empty value included.
    let more: Vec<(String, String)> = (0..10)
        .map(|i| (format!("t{i:02}"), String::new()))
        .collect();
    let mut request = kms.tag_resource().key_id(&key_id);
    for (k, v) in &more {
        request = request.tags(tag(k, v));
    }
    request.send().await.unwrap();
    let listed = all_tags(&kms, &key_id, Some(4)).await;
    assert_eq!(listed.len(), 12);
    assert_eq!(listed, all_tags(&kms, &key_id, None).await);
    let first = kms
        .list_resource_tags()
        .key_id(&key_id)
        .limit(4)
        .send()
        .await
        .unwrap();
    assert_eq!(first.tags().len(), 4);
    assert!(first.truncated());

    // Untag: a key not set is no error.
    kms.untag_resource()
        .key_id(&key_id)
        .tag_keys("env")
        .tag_keys("never-set")
        .send()
        .await
        .unwrap();
    let after = all_tags(&kms, &key_id, None).await;
    assert_eq!(after.len(), 11);
    assert!(after.iter().all(|(k, _)| k != "env"));

    // Refusals, each leaving the tags as they were.
    let refusals = [
        (
            vec![tag("aws:owner", "x")],
            "TagException",
            "Tags beginning with aws: are reserved",
        ),
        (
            vec![tag("dup", "a"), tag("dup", "b")],
            "TagException",
            "Duplicate tag keys",
        ),
        (
            (0..40).map(|i| tag(&format!("many{i}"), "v")).collect(),
            "TagException",
            "Too many tags",
        ),
    ];
    for (tags, want_code, want_message) in refusals {
        let err = kms
            .tag_resource()
            .key_id(&key_id)
            .set_tags(Some(tags))
            .send()
            .await
            .unwrap_err();
        assert_eq!(code(&err), want_code);
        assert_eq!(message(&err), want_message);
    }
    let err = kms
        .tag_resource()
        .key_id(&key_id)
        .tags(tag(&"k".repeat(129), "v"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ValidationException");
    assert!(
        message(&err).contains("tags.1.member.tagKey"),
        "{}",
        message(&err)
    );
    let err = kms
        .untag_resource()
        .key_id(&key_id)
        .tag_keys("aws:owner")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "TagException");
    assert_eq!(all_tags(&kms, &key_id, None).await, after);

    // Keys are named by id or ARN; an alias names none here.
    kms.create_alias()
        .alias_name("alias/tagged")
        .target_key_id(&key_id)
        .send()
        .await
        .unwrap();
    let err = kms
        .list_resource_tags()
        .key_id("alias/tagged")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "NotFoundException");
    assert_eq!(message(&err), "Invalid keyId 'alias/tagged'");
    let err = kms
        .list_resource_tags()
        .key_id(&key_id)
        .marker("forged.marker")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidMarkerException");

    // An AWS managed key's tags are not the caller's to change.
    let managed = describe(&kms, "alias/aws/ssm").await;
    let err = kms
        .tag_resource()
        .key_id(managed.key_id())
        .tags(tag("mine", "x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "UnsupportedOperationException");
    assert!(all_tags(&kms, managed.key_id(), None).await.is_empty());

    // Pending deletion: tags are read, not changed.
    kms.schedule_key_deletion()
        .key_id(&key_id)
        .pending_window_in_days(7)
        .send()
        .await
        .unwrap();
    let err = kms
        .tag_resource()
        .key_id(&key_id)
        .tags(tag("late", "x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "KMSInvalidStateException");
    assert_eq!(message(&err), format!("{key_arn} is pending deletion."));
    assert_eq!(all_tags(&kms, &key_id, None).await, after);
}

/// Rotation end to end (spec §12): what was sealed before RotateKeyOnDemand
/// still opens after it (a KMS ciphertext and an SSM SecureString), what is
/// sealed after names the new material, and ListKeyRotations lists both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotate_key_on_demand_keeps_old_ciphertexts_opening() {
    use aws_sdk_kms::types::{IncludeKeyMaterial, KeyMaterialState, RotationType};
    let server = support::in_process().await;
    let (kms, ssm) = (server.kms(), server.ssm());
    let key = create_key(&kms, "rotated").await;
    let key_id = key.key_id().to_owned();
    let first = key
        .current_key_material_id()
        .expect("CurrentKeyMaterialId")
        .to_owned();
    assert_eq!(first.len(), 64);
    let old_blob = encrypt(&kms, &key_id, b"before rotation").await;
    ssm.put_parameter()
        .name("/rotated/secure")
        .value("ssm-before-s3cret")
        .r#type(ParameterType::SecureString)
        .key_id(&key_id)
        .send()
        .await
        .unwrap();

    let out = kms
        .rotate_key_on_demand()
        .key_id(&key_id)
        .send()
        .await
        .unwrap();
    assert_eq!(out.key_id(), Some(key_id.as_str()));
    let after = describe(&kms, &key_id).await;
    let second = after.current_key_material_id().unwrap().to_owned();
    assert_ne!(second, first);
    assert_eq!(after.arn(), key.arn(), "the ARN does not change");

    let old = kms
        .decrypt()
        .ciphertext_blob(old_blob)
        .send()
        .await
        .unwrap();
    assert_eq!(old.plaintext().unwrap().as_ref(), b"before rotation");
    assert_eq!(old.key_material_id(), Some(first.as_str()));
    let got = ssm
        .get_parameter()
        .name("/rotated/secure")
        .with_decryption(true)
        .send()
        .await
        .unwrap();
    assert_eq!(got.parameter().unwrap().value(), Some("ssm-before-s3cret"));

    let new_blob = encrypt(&kms, &key_id, b"after rotation").await;
    let new = kms
        .decrypt()
        .ciphertext_blob(new_blob)
        .send()
        .await
        .unwrap();
    assert_eq!(new.plaintext().unwrap().as_ref(), b"after rotation");
    assert_eq!(new.key_material_id(), Some(second.as_str()));
    let data_key = kms
        .generate_data_key()
        .key_id(&key_id)
        .key_spec(DataKeySpec::Aes256)
        .send()
        .await
        .unwrap();
    assert_eq!(data_key.key_material_id(), Some(second.as_str()));
    ssm.put_parameter()
        .name("/rotated/secure")
        .value("ssm-after-s3cret")
        .r#type(ParameterType::SecureString)
        .key_id(&key_id)
        .overwrite(true)
        .send()
        .await
        .unwrap();
    for (version, value) in [(1, "ssm-before-s3cret"), (2, "ssm-after-s3cret")] {
        let got = ssm
            .get_parameter()
            .name(format!("/rotated/secure:{version}"))
            .with_decryption(true)
            .send()
            .await
            .unwrap();
        assert_eq!(got.parameter().unwrap().value(), Some(value));
    }

    let only = kms
        .list_key_rotations()
        .key_id(&key_id)
        .send()
        .await
        .unwrap();
    assert_eq!(only.rotations().len(), 1);
    let entry = &only.rotations()[0];
    assert_eq!(entry.key_material_id(), Some(second.as_str()));
    assert_eq!(entry.key_material_state(), Some(&KeyMaterialState::Current));
    assert_eq!(entry.rotation_type(), Some(&RotationType::OnDemand));
    assert!(entry.rotation_date().is_some());
    let all = kms
        .list_key_rotations()
        .key_id(&key_id)
        .include_key_material(IncludeKeyMaterial::AllKeyMaterial)
        .limit(1)
        .send()
        .await
        .unwrap();
    assert!(all.truncated());
    assert_eq!(all.rotations()[0].key_material_id(), Some(first.as_str()));
    assert_eq!(
        all.rotations()[0].key_material_state(),
        Some(&KeyMaterialState::NonCurrent)
    );
    let rest = kms
        .list_key_rotations()
        .key_id(&key_id)
        .include_key_material(IncludeKeyMaterial::AllKeyMaterial)
        .marker(all.next_marker().unwrap())
        .send()
        .await
        .unwrap();
    assert!(!rest.truncated());
    assert_eq!(rest.rotations()[0].key_material_id(), Some(second.as_str()));
}

/// Status and period round trip, and every documented refusal.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_rotation_status_and_its_errors() {
    let server = support::in_process().await;
    let kms = server.kms();
    let key_id = create_key(&kms, "schedule").await.key_id().to_owned();
    let status = kms
        .get_key_rotation_status()
        .key_id(&key_id)
        .send()
        .await
        .unwrap();
    assert!(!status.key_rotation_enabled());
    assert_eq!(status.rotation_period_in_days(), None);
    kms.enable_key_rotation()
        .key_id(&key_id)
        .send()
        .await
        .unwrap();
    let status = kms
        .get_key_rotation_status()
        .key_id(&key_id)
        .send()
        .await
        .unwrap();
    assert!(status.key_rotation_enabled());
    assert_eq!(status.rotation_period_in_days(), Some(365));
    let next = status.next_rotation_date().unwrap().secs();
    kms.enable_key_rotation()
        .key_id(&key_id)
        .rotation_period_in_days(730)
        .send()
        .await
        .unwrap();
    let status = kms
        .get_key_rotation_status()
        .key_id(&key_id)
        .send()
        .await
        .unwrap();
    assert_eq!(status.rotation_period_in_days(), Some(730));
    assert_eq!(
        status.next_rotation_date().unwrap().secs() - next,
        365 * 86_400
    );
    for days in [89, 2561] {
        let err = kms
            .enable_key_rotation()
            .key_id(&key_id)
            .rotation_period_in_days(days)
            .send()
            .await
            .unwrap_err();
        assert_eq!(code(&err), "ValidationException", "{days}");
        assert!(
            message(&err).contains("rotationPeriodInDays"),
            "{}",
            message(&err)
        );
    }
    kms.disable_key_rotation()
        .key_id(&key_id)
        .send()
        .await
        .unwrap();
    let status = kms
        .get_key_rotation_status()
        .key_id(&key_id)
        .send()
        .await
        .unwrap();
    assert!(!status.key_rotation_enabled());

    // AWS managed: always on, yearly, not changeable.
    let managed = describe(&kms, "alias/aws/ssm").await.key_id().to_owned();
    let status = kms
        .get_key_rotation_status()
        .key_id(&managed)
        .send()
        .await
        .unwrap();
    assert!(status.key_rotation_enabled());
    assert_eq!(status.rotation_period_in_days(), Some(365));
    let err = kms
        .disable_key_rotation()
        .key_id(&managed)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "UnsupportedOperationException");
    let err = kms
        .rotate_key_on_demand()
        .key_id(&managed)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "UnsupportedOperationException");

    // A disabled key.
    kms.disable_key().key_id(&key_id).send().await.unwrap();
    let err = kms
        .enable_key_rotation()
        .key_id(&key_id)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "DisabledException");
    let err = kms
        .rotate_key_on_demand()
        .key_id(&key_id)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "DisabledException");
    assert!(message(&err).contains(&key_id), "{}", message(&err));
    kms.enable_key().key_id(&key_id).send().await.unwrap();

    // An alias is not accepted where AWS documents key id or ARN.
    let err = kms
        .get_key_rotation_status()
        .key_id("alias/aws/ssm")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "NotFoundException");

    // The on-demand limit: 25, then LimitExceededException; the key keeps working.
    let blob = encrypt(&kms, &key_id, b"first").await;
    for n in 0..25 {
        kms.rotate_key_on_demand()
            .key_id(&key_id)
            .send()
            .await
            .unwrap_or_else(|e| panic!("rotation {n}: {e:?}"));
    }
    let err = kms
        .rotate_key_on_demand()
        .key_id(&key_id)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "LimitExceededException");
    let opened = kms.decrypt().ciphertext_blob(blob).send().await.unwrap();
    assert_eq!(opened.plaintext().unwrap().as_ref(), b"first");
    let listed = kms
        .list_key_rotations()
        .key_id(&key_id)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.rotations().len(), 25);
}
