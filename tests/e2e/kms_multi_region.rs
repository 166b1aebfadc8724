//! Multi-Region KMS keys across kinko's regions (spec §13), through the SDK
//! for Rust and the aws CLI: a key made in us-east-1 and replicated to
//! eu-west-1 decrypts, verifies and checks MACs made in the other region;
//! a rotation of the primary is the replica's too; UpdatePrimaryRegion swaps
//! the roles; and every documented refusal, permissions included.

use aws_sdk_kms::Client;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{
    KeySpec, KeyState, KeyUsageType, MacAlgorithmSpec, MultiRegionKeyType, SigningAlgorithmSpec,
    Tag,
};
use serde_json::json;

use crate::support::{self, code, message};

const US: &str = "us-east-1";
const EU: &str = "eu-west-1";

async fn mrk(kms: &Client, spec: KeySpec, usage: KeyUsageType) -> String {
    let meta = kms
        .create_key()
        .multi_region(true)
        .key_spec(spec)
        .key_usage(usage)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    assert_eq!(meta.multi_region(), Some(true));
    meta.key_id().to_owned()
}

async fn encrypt(kms: &Client, key: &str, plain: &[u8]) -> Blob {
    kms.encrypt()
        .key_id(key)
        .plaintext(Blob::new(plain))
        .send()
        .await
        .unwrap()
        .ciphertext_blob
        .unwrap()
}

async fn decrypt(kms: &Client, blob: Blob) -> (Vec<u8>, String) {
    let out = kms.decrypt().ciphertext_blob(blob).send().await.unwrap();
    (
        out.plaintext().unwrap().as_ref().to_vec(),
        out.key_material_id().unwrap().to_owned(),
    )
}

async fn current_material(kms: &Client, key: &str) -> String {
    kms.describe_key()
        .key_id(key)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap()
        .current_key_material_id()
        .unwrap()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_in_another_region_decrypts_and_rotates_with_its_primary() {
    let server = support::in_process().await;
    let (us, eu) = (server.kms_in(US), server.kms_in(EU));
    let key = mrk(&us, KeySpec::SymmetricDefault, KeyUsageType::EncryptDecrypt).await;
    assert!(
        key.starts_with("mrk-")
            && key.len() == 36
            && key[4..]
                .bytes()
                .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c)),
        "{key}"
    );
    let primary = us.describe_key().key_id(&key).send().await.unwrap();
    let meta = primary.key_metadata().unwrap();
    let account = meta.aws_account_id().unwrap().to_owned();
    let us_arn = format!("arn:aws:kms:{US}:{account}:key/{key}");
    let eu_arn = format!("arn:aws:kms:{EU}:{account}:key/{key}");
    assert_eq!(meta.arn(), Some(us_arn.as_str()));
    let config = meta.multi_region_configuration().unwrap();
    assert_eq!(
        config.multi_region_key_type(),
        Some(&MultiRegionKeyType::Primary)
    );
    assert_eq!(config.primary_key().unwrap().arn(), Some(us_arn.as_str()));
    assert_eq!(config.primary_key().unwrap().region(), Some(US));
    assert!(config.replica_keys().is_empty());

    let out = us
        .replicate_key()
        .key_id(&key)
        .replica_region(EU)
        .description("the European copy")
        .tags(
            Tag::builder()
                .tag_key("team")
                .tag_value("eu")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let replica = out.replica_key_metadata().unwrap();
    assert_eq!(replica.arn(), Some(eu_arn.as_str()));
    assert_eq!(replica.key_id(), key);
    assert_eq!(replica.description(), Some("the European copy"));
    assert_eq!(replica.key_state(), Some(&KeyState::Enabled));
    let config = replica.multi_region_configuration().unwrap();
    assert_eq!(
        config.multi_region_key_type(),
        Some(&MultiRegionKeyType::Replica)
    );
    assert_eq!(config.primary_key().unwrap().region(), Some(US));
    assert_eq!(config.replica_keys().len(), 1);
    assert_eq!(config.replica_keys()[0].arn(), Some(eu_arn.as_str()));
    assert_eq!(out.replica_tags()[0].tag_key(), "team");
    let policy: serde_json::Value = serde_json::from_str(out.replica_policy().unwrap()).unwrap();
    assert_eq!(policy["Statement"][0]["Action"], "kms:*");

    // The primary lists the replica; the replica has its own description.
    let primary = us.describe_key().key_id(&key).send().await.unwrap();
    let config = primary
        .key_metadata()
        .unwrap()
        .multi_region_configuration()
        .unwrap();
    assert_eq!(config.replica_keys()[0].region(), Some(EU));
    assert_eq!(primary.key_metadata().unwrap().description(), Some(""));
    // Listed in its region, found by its ARN there.
    let listed = eu.list_keys().send().await.unwrap();
    assert!(
        listed
            .keys()
            .iter()
            .any(|k| k.key_arn() == Some(eu_arn.as_str()))
    );
    eu.describe_key().key_id(&eu_arn).send().await.unwrap();

    // Both directions.
    let blob = encrypt(&us, &key, b"made in us").await;
    assert_eq!(decrypt(&eu, blob).await.0, b"made in us");
    let blob = encrypt(&eu, &eu_arn, b"made in eu").await;
    assert_eq!(decrypt(&us, blob).await.0, b"made in eu");

    // A rotation of the primary: the replica reports the same material and
    // decrypts what the primary makes with it.
    let before = current_material(&eu, &key).await;
    let old = encrypt(&eu, &key, b"old").await;
    us.rotate_key_on_demand().key_id(&key).send().await.unwrap();
    let after = current_material(&us, &key).await;
    assert_ne!(after, before);
    assert_eq!(current_material(&eu, &key).await, after);
    let blob = encrypt(&us, &key, b"after rotation").await;
    assert_eq!(
        decrypt(&eu, blob).await,
        (b"after rotation".to_vec(), after.clone())
    );
    assert_eq!(decrypt(&us, old).await, (b"old".to_vec(), before));
    let rotations = eu.list_key_rotations().key_id(&key).send().await.unwrap();
    assert_eq!(rotations.rotations().len(), 1);
    assert_eq!(
        rotations.rotations()[0].key_material_id(),
        Some(after.as_str())
    );

    // Only the primary manages rotation.
    let e = eu
        .rotate_key_on_demand()
        .key_id(&key)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "UnsupportedOperationException", "{}", message(&e));
    let e = eu
        .enable_key_rotation()
        .key_id(&key)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "UnsupportedOperationException");
    us.enable_key_rotation()
        .key_id(&key)
        .rotation_period_in_days(180)
        .send()
        .await
        .unwrap();
    let status = eu
        .get_key_rotation_status()
        .key_id(&key)
        .send()
        .await
        .unwrap();
    assert!(status.key_rotation_enabled());
    assert_eq!(status.rotation_period_in_days(), Some(180));

    // UpdatePrimaryRegion: eu-west-1 is the primary now, in both views.
    us.update_primary_region()
        .key_id(&key)
        .primary_region(EU)
        .send()
        .await
        .unwrap();
    for (client, own_type) in [
        (&us, MultiRegionKeyType::Replica),
        (&eu, MultiRegionKeyType::Primary),
    ] {
        let described = client.describe_key().key_id(&key).send().await.unwrap();
        let config = described
            .key_metadata()
            .unwrap()
            .multi_region_configuration()
            .unwrap();
        assert_eq!(config.multi_region_key_type(), Some(&own_type));
        assert_eq!(config.primary_key().unwrap().arn(), Some(eu_arn.as_str()));
        assert_eq!(config.replica_keys().len(), 1);
        assert_eq!(config.replica_keys()[0].arn(), Some(us_arn.as_str()));
    }
    // The roles moved with it: the new primary rotates, the old one no more.
    eu.rotate_key_on_demand().key_id(&key).send().await.unwrap();
    assert_eq!(
        current_material(&us, &key).await,
        current_material(&eu, &key).await
    );
    let e = us
        .rotate_key_on_demand()
        .key_id(&key)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "UnsupportedOperationException");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn asymmetric_and_hmac_replicas_sign_verify_and_mac_across_regions() {
    let server = support::in_process().await;
    let (us, eu) = (server.kms_in(US), server.kms_in(EU));

    let ecc = mrk(&us, KeySpec::EccNistP256, KeyUsageType::SignVerify).await;
    us.replicate_key()
        .key_id(&ecc)
        .replica_region(EU)
        .send()
        .await
        .unwrap();
    let signature = us
        .sign()
        .key_id(&ecc)
        .message(Blob::new(b"release 1.0"))
        .signing_algorithm(SigningAlgorithmSpec::EcdsaSha256)
        .send()
        .await
        .unwrap()
        .signature
        .unwrap();
    let verified = eu
        .verify()
        .key_id(&ecc)
        .message(Blob::new(b"release 1.0"))
        .signature(signature)
        .signing_algorithm(SigningAlgorithmSpec::EcdsaSha256)
        .send()
        .await
        .unwrap();
    assert!(verified.signature_valid());
    let public = |client: &Client| client.get_public_key().key_id(&ecc).send();
    assert_eq!(
        public(&us).await.unwrap().public_key,
        public(&eu).await.unwrap().public_key
    );

    let hmac = mrk(&us, KeySpec::Hmac256, KeyUsageType::GenerateVerifyMac).await;
    us.replicate_key()
        .key_id(&hmac)
        .replica_region(EU)
        .send()
        .await
        .unwrap();
    let mac = eu
        .generate_mac()
        .key_id(&hmac)
        .message(Blob::new(b"payload"))
        .mac_algorithm(MacAlgorithmSpec::HmacSha256)
        .send()
        .await
        .unwrap()
        .mac
        .unwrap();
    let checked = us
        .verify_mac()
        .key_id(&hmac)
        .message(Blob::new(b"payload"))
        .mac_algorithm(MacAlgorithmSpec::HmacSha256)
        .mac(mac)
        .send()
        .await
        .unwrap();
    assert!(checked.mac_valid());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_documented_refusal() {
    let server = support::in_process().await;
    let (us, eu) = (server.kms_in(US), server.kms_in(EU));
    let single = us
        .create_key()
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap()
        .key_id
        .clone();
    let replicate = |client: &Client, key: &str, region: &str| {
        client
            .replicate_key()
            .key_id(key)
            .replica_region(region)
            .send()
    };

    // A single-Region key is not replicated, nor its primary moved.
    let e = replicate(&us, &single, EU).await.unwrap_err();
    assert_eq!(code(&e), "UnsupportedOperationException", "{}", message(&e));
    let e = us
        .update_primary_region()
        .key_id(&single)
        .primary_region(EU)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "UnsupportedOperationException");

    let key = mrk(&us, KeySpec::SymmetricDefault, KeyUsageType::EncryptDecrypt).await;
    // The ReplicaRegion pattern.
    let e = replicate(&us, &key, "europe").await.unwrap_err();
    assert_eq!(code(&e), "ValidationException");
    assert_eq!(
        message(&e),
        "1 validation error detected: Value 'europe' at 'replicaRegion' failed to satisfy \
         constraint: Member must satisfy regular expression pattern: ^([a-z]+-){2,3}\\d+$"
    );
    // Its own region, then a second replica in one region.
    let e = replicate(&us, &key, US).await.unwrap_err();
    assert_eq!(code(&e), "AlreadyExistsException");
    replicate(&us, &key, EU).await.unwrap();
    let e = replicate(&us, &key, EU).await.unwrap_err();
    assert_eq!(code(&e), "AlreadyExistsException");
    // A replica is not replicated.
    let e = replicate(&eu, &key, "ap-southeast-2").await.unwrap_err();
    assert_eq!(code(&e), "UnsupportedOperationException");
    // A key that does not exist.
    let e = replicate(&us, "mrk-0123456789abcdef0123456789abcdef", EU)
        .await
        .unwrap_err();
    assert_eq!(code(&e), "NotFoundException");
    // A policy that does not parse.
    let e = us
        .replicate_key()
        .key_id(&key)
        .replica_region("ap-southeast-2")
        .policy("{not json")
        .bypass_policy_lockout_safety_check(true)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "MalformedPolicyDocumentException");

    // UpdatePrimaryRegion: to a region without a replica, from a replica.
    let e = us
        .update_primary_region()
        .key_id(&key)
        .primary_region("ca-central-1")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "NotFoundException");
    let e = eu
        .update_primary_region()
        .key_id(&key)
        .primary_region(US)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "UnsupportedOperationException");

    // A primary with a replica waits for it: PendingReplicaDeletion, no
    // deletion date yet, unusable, not replicated.
    let scheduled = us
        .schedule_key_deletion()
        .key_id(&key)
        .pending_window_in_days(7)
        .send()
        .await
        .unwrap();
    assert_eq!(
        scheduled.key_state(),
        Some(&KeyState::PendingReplicaDeletion)
    );
    assert!(scheduled.deletion_date().is_none());
    assert_eq!(scheduled.pending_window_in_days(), Some(7));
    let described = us.describe_key().key_id(&key).send().await.unwrap();
    let meta = described.key_metadata().unwrap();
    assert_eq!(meta.key_state(), Some(&KeyState::PendingReplicaDeletion));
    assert_eq!(meta.pending_deletion_window_in_days(), Some(7));
    let e = us
        .encrypt()
        .key_id(&key)
        .plaintext(Blob::new(b"x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "KMSInvalidStateException");
    let e = replicate(&us, &key, "ap-southeast-2").await.unwrap_err();
    assert_eq!(code(&e), "KMSInvalidStateException");
    // The replica still works meanwhile, and its own deletion is ordinary.
    let blob = encrypt(&eu, &key, b"still here").await;
    assert_eq!(decrypt(&eu, blob).await.0, b"still here");
    let replica = eu
        .schedule_key_deletion()
        .key_id(&key)
        .pending_window_in_days(7)
        .send()
        .await
        .unwrap();
    assert_eq!(replica.key_state(), Some(&KeyState::PendingDeletion));
    assert!(replica.deletion_date().is_some());
    us.cancel_key_deletion().key_id(&key).send().await.unwrap();
    let described = us.describe_key().key_id(&key).send().await.unwrap();
    assert_eq!(
        described.key_metadata().unwrap().key_state(),
        Some(&KeyState::Disabled)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caller_without_kms_replicate_key_is_refused() {
    let server = support::in_process().await;
    let admin = server.kms_in(US);
    let key = mrk(
        &admin,
        KeySpec::SymmetricDefault,
        KeyUsageType::EncryptDecrypt,
    )
    .await;
    let may_not = server
        .user_with_policy(
            "no-replicate",
            &json!({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "kms:*", "Resource": "*"},
                {"Effect": "Deny", "Action": "kms:ReplicateKey", "Resource": "*"}
            ]}),
        )
        .await;
    let e = server
        .kms_as(&may_not)
        .replicate_key()
        .key_id(&key)
        .replica_region(EU)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "AccessDeniedException");
    assert!(message(&e).contains("kms:ReplicateKey"), "{}", message(&e));
    // Nor one without kms:CreateKey (asked for the replica).
    let may_not_create = server
        .user_with_policy(
            "no-create",
            &json!({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "kms:ReplicateKey", "Resource": "*"}
            ]}),
        )
        .await;
    let e = server
        .kms_as(&may_not_create)
        .replicate_key()
        .key_id(&key)
        .replica_region(EU)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "AccessDeniedException");
    assert!(message(&e).contains("kms:CreateKey"), "{}", message(&e));
    // Nothing was made in eu-west-1.
    let e = server
        .kms_in(EU)
        .describe_key()
        .key_id(&key)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "NotFoundException");
    // One allowed both makes it.
    let may = server
        .user_with_policy(
            "replicator",
            &json!({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": ["kms:ReplicateKey", "kms:CreateKey"], "Resource": "*"}
            ]}),
        )
        .await;
    server
        .kms_as(&may)
        .replicate_key()
        .key_id(&key)
        .replica_region(EU)
        .send()
        .await
        .unwrap();
}

/// The aws CLI's `replicate-key`, and the key it describes afterwards.
#[test]
fn the_aws_cli_replicates_a_key() {
    let server = support::server();
    let created = cli_json(&server.aws_cli(&[
        "kms",
        "create-key",
        "--multi-region",
        "--description",
        "cli primary",
        "--output",
        "json",
    ]));
    let key = created["KeyMetadata"]["KeyId"].as_str().unwrap().to_owned();
    let arn = created["KeyMetadata"]["Arn"].as_str().unwrap().to_owned();
    assert_eq!(created["KeyMetadata"]["MultiRegion"], true);
    let out = cli_json(&server.aws_cli(&[
        "kms",
        "replicate-key",
        "--key-id",
        &key,
        "--replica-region",
        EU,
        "--description",
        "cli replica",
        "--tags",
        "TagKey=env,TagValue=prod",
        "--output",
        "json",
    ]));
    let replica_arn = arn.replacen(":us-east-1:", ":eu-west-1:", 1);
    let meta = &out["ReplicaKeyMetadata"];
    assert_eq!(meta["Arn"], replica_arn);
    assert_eq!(meta["KeyId"], key);
    assert_eq!(meta["Description"], "cli replica");
    assert_eq!(meta["KeyState"], "Enabled");
    assert_eq!(meta["MultiRegion"], true);
    assert_eq!(
        meta["MultiRegionConfiguration"],
        json!({"MultiRegionKeyType": "REPLICA",
               "PrimaryKey": {"Arn": arn, "Region": US},
               "ReplicaKeys": [{"Arn": replica_arn, "Region": EU}]})
    );
    assert_eq!(
        out["ReplicaTags"],
        json!([{"TagKey": "env", "TagValue": "prod"}])
    );
    assert!(out["ReplicaPolicy"].as_str().unwrap().contains("kms:*"));

    let described = cli_json(&server.aws_cli(&[
        "kms",
        "describe-key",
        "--key-id",
        &key,
        "--region",
        EU,
        "--output",
        "json",
    ]));
    assert_eq!(
        described["KeyMetadata"]["MultiRegionConfiguration"]["MultiRegionKeyType"],
        "REPLICA"
    );
    let again = server.aws_cli(&[
        "kms",
        "replicate-key",
        "--key-id",
        &key,
        "--replica-region",
        EU,
    ]);
    assert!(!again.status.success());
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(stderr.contains("AlreadyExistsException"), "{stderr}");
}

fn cli_json(out: &std::process::Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "aws CLI failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// `kinko backup` / `restore` carry the members (ordinary key records per
/// region) and the shared rotated materials: after a restore the replica
/// still decrypts what the primary made before, with the same material.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_and_restore_carry_replicas_and_their_shared_materials() {
    const KINKO: &str = env!("CARGO_BIN_EXE_kinko");
    let dir = tempfile::tempdir().unwrap();
    let root_key = dir.path().join("root.key");
    kinko_crypto::RootKey::load_or_create_file(&root_key).unwrap();
    let start = {
        let root_key = root_key.clone();
        move || {
            kinko_testkit::KinkoServer::builder(KINKO)
                .arg("--root-key-file")
                .arg(root_key.to_str().unwrap())
                .start()
        }
    };
    let kinko = |args: &[&str]| {
        let out = std::process::Command::new(KINKO)
            .args(args)
            .env_remove("KINKO_ROOT_KEY")
            .env_remove("KINKO_ROOT_PASSPHRASE")
            .env_remove("KINKO_STORE")
            .env_remove("KINKO_DATA_DIR")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "kinko {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };

    let source = tokio::task::spawn_blocking(start.clone()).await.unwrap();
    let (us, eu) = (source.kms_in(US), source.kms_in(EU));
    let key = mrk(&us, KeySpec::SymmetricDefault, KeyUsageType::EncryptDecrypt).await;
    us.replicate_key()
        .key_id(&key)
        .replica_region(EU)
        .send()
        .await
        .unwrap();
    us.rotate_key_on_demand().key_id(&key).send().await.unwrap();
    let material = current_material(&us, &key).await;
    let blob = encrypt(&us, &key, b"kept across a restore").await;
    let file = dir.path().join("mrk.backup");
    kinko(&[
        "backup",
        "--out",
        file.to_str().unwrap(),
        "--data-dir",
        source.data_dir.to_str().unwrap(),
    ]);

    let mut target = tokio::task::spawn_blocking(start).await.unwrap();
    target.kill9();
    for name in ["kinko.db", "kinko.db-wal", "kinko.db-shm", "credentials"] {
        let _ = std::fs::remove_file(target.data_path(name));
    }
    kinko(&[
        "restore",
        file.to_str().unwrap(),
        "--root-key-file",
        root_key.to_str().unwrap(),
        "--data-dir",
        target.data_dir.to_str().unwrap(),
    ]);
    let target = tokio::task::spawn_blocking(move || {
        target.restart();
        target
    })
    .await
    .unwrap();
    let (us, eu_after) = (target.kms_in(US), target.kms_in(EU));
    assert_eq!(
        decrypt(&eu_after, blob).await,
        (b"kept across a restore".to_vec(), material.clone())
    );
    assert_eq!(current_material(&eu_after, &key).await, material);
    let described = us.describe_key().key_id(&key).send().await.unwrap();
    let config = described
        .key_metadata()
        .unwrap()
        .multi_region_configuration()
        .unwrap();
    assert_eq!(config.replica_keys().len(), 1);
    assert_eq!(config.replica_keys()[0].region(), Some(EU));
    drop(eu);
}
