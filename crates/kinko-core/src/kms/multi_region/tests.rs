//! Multi-Region keys over one in-memory store with several regions.

use std::sync::Arc;

use kinko_crypto::{RootKey, SecretBytes};
use kinko_store::{SqliteStore, Store};

use super::*;
use crate::keyring::Keyring;
use crate::kms::{
    CreateKeyInput, DecryptInput, EncryptInput, EncryptionContext, MacInput, SignInput, VerifyInput,
};

const US: &str = "us-east-1";
const EU: &str = "eu-west-1";
const AP: &str = "ap-southeast-2";
const ACCOUNT: &str = "111122223333";

fn kms() -> (Kms, Arc<dyn Store>) {
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory().unwrap());
    let keyring = Arc::new(Keyring::new(
        store.clone(),
        RootKey::generate(),
        ACCOUNT.to_owned(),
    ));
    (Kms::new(store.clone(), keyring), store)
}

async fn create(kms: &Kms, spec: Option<&str>, usage: Option<&str>) -> KeyMetadata {
    kms.create_key(
        US,
        CreateKeyInput {
            multi_region: true,
            key_spec: spec.map(str::to_owned),
            key_usage: usage.map(str::to_owned),
            ..CreateKeyInput::default()
        },
    )
    .await
    .unwrap()
}

async fn replicate(
    kms: &Kms,
    from: &str,
    key_id: &str,
    to: &str,
) -> Result<ReplicateKeyOutput, KmsError> {
    kms.replicate_key(
        from,
        ReplicateKeyInput {
            key_id: key_id.to_owned(),
            replica_region: to.to_owned(),
            ..ReplicateKeyInput::default()
        },
    )
    .await
}

async fn encrypt(kms: &Kms, region: &str, key: &str, plain: &[u8]) -> Vec<u8> {
    kms.encrypt(
        region,
        EncryptInput {
            key_id: key.to_owned(),
            plaintext: SecretBytes::new(plain.to_vec()),
            encryption_context: EncryptionContext::new(),
            encryption_algorithm: None,
            dry_run: false,
        },
    )
    .await
    .unwrap()
    .ciphertext_blob
}

async fn decrypt(kms: &Kms, region: &str, blob: &[u8]) -> Result<(Vec<u8>, String), KmsError> {
    let out = kms
        .decrypt(
            region,
            DecryptInput {
                ciphertext_blob: blob.to_vec(),
                ..DecryptInput::default()
            },
        )
        .await?;
    Ok((
        out.plaintext.expose().to_vec(),
        out.key_material_id.unwrap_or_default(),
    ))
}

fn config(meta: &KeyMetadata) -> &MultiRegionConfiguration {
    meta.multi_region.as_ref().expect("a multi-Region key")
}

fn regions(keys: &[MultiRegionKey]) -> Vec<&str> {
    keys.iter().map(|k| k.region.as_str()).collect()
}

#[test]
fn mrk_ids_have_the_aws_form() {
    let id = new_mrk_id();
    assert!(is_mrk_id(&id), "{id}");
    assert_eq!(id.len(), 36);
    assert_ne!(new_mrk_id(), id);
    for bad in [
        "mrk-",
        "mrk-1234",
        "mrk-1234ABCD12ab34cd56ef1234567890ab",
        "mrk-1234abcd12ab34cd56ef1234567890abc",
        "1234abcd12ab34cd56ef1234567890ab",
    ] {
        assert!(!is_mrk_id(bad), "{bad}");
    }
}

#[tokio::test]
async fn a_new_multi_region_key_is_its_own_primary() {
    let (kms, _) = kms();
    let meta = create(&kms, None, None).await;
    assert!(is_mrk_id(&meta.key_id), "{}", meta.key_id);
    assert_eq!(
        meta.arn,
        format!("arn:aws:kms:{US}:{ACCOUNT}:key/{}", meta.key_id)
    );
    let c = config(&meta);
    assert_eq!(c.key_type, MultiRegionKeyType::Primary);
    assert_eq!(c.primary_key.arn, meta.arn);
    assert_eq!(c.primary_key.region, US);
    assert!(c.replica_keys.is_empty());
    // A single-Region key has none.
    let single = kms.create_key(US, CreateKeyInput::default()).await.unwrap();
    assert!(single.multi_region.is_none());
    // The key id also names the key in DescribeKey.
    let described = kms.describe_key(US, &meta.key_id).await.unwrap();
    assert_eq!(described.multi_region, meta.multi_region);
}

#[tokio::test]
async fn a_replica_shares_material_both_ways_and_both_list_it() {
    let (kms, _) = kms();
    let meta = create(&kms, None, None).await;
    let out = replicate(&kms, US, &meta.key_id, EU).await.unwrap();
    let replica = &out.replica_key_metadata;
    assert_eq!(replica.key_id, meta.key_id);
    assert_eq!(
        replica.arn,
        format!("arn:aws:kms:{EU}:{ACCOUNT}:key/{}", meta.key_id)
    );
    assert_eq!(replica.key_state, KeyState::Enabled);
    assert_eq!(config(replica).key_type, MultiRegionKeyType::Replica);
    assert_eq!(config(replica).primary_key.region, US);
    assert_eq!(regions(&config(replica).replica_keys), [EU]);
    assert_eq!(
        replica.current_key_material_id,
        meta.current_key_material_id
    );
    assert!(
        out.replica_policy.contains("kms:*"),
        "{}",
        out.replica_policy
    );
    assert!(out.replica_tags.is_empty());

    let primary = kms.describe_key(US, &meta.key_id).await.unwrap();
    assert_eq!(config(&primary).key_type, MultiRegionKeyType::Primary);
    assert_eq!(regions(&config(&primary).replica_keys), [EU]);
    assert_eq!(config(&primary).replica_keys[0].arn, replica.arn);

    let from_us = encrypt(&kms, US, &meta.key_id, b"from us").await;
    assert_eq!(decrypt(&kms, EU, &from_us).await.unwrap().0, b"from us");
    let from_eu = encrypt(&kms, EU, &meta.key_id, b"from eu").await;
    assert_eq!(decrypt(&kms, US, &from_eu).await.unwrap().0, b"from eu");
}

#[tokio::test]
async fn replicate_key_refuses_what_aws_refuses() {
    let (kms, _) = kms();
    let single = kms.create_key(US, CreateKeyInput::default()).await.unwrap();
    let e = replicate(&kms, US, &single.key_id, EU).await.unwrap_err();
    assert!(matches!(e, KmsError::UnsupportedOperation(_)), "{e:?}");

    let meta = create(&kms, None, None).await;
    let e = replicate(&kms, US, &meta.key_id, US).await.unwrap_err();
    assert!(matches!(e, KmsError::AlreadyExists(_)), "{e:?}");
    replicate(&kms, US, &meta.key_id, EU).await.unwrap();
    let e = replicate(&kms, US, &meta.key_id, EU).await.unwrap_err();
    assert!(matches!(e, KmsError::AlreadyExists(_)), "{e:?}");
    // Only the primary replicates.
    let e = replicate(&kms, EU, &meta.key_id, AP).await.unwrap_err();
    assert!(matches!(e, KmsError::UnsupportedOperation(_)), "{e:?}");
    let e = kms
        .replicate_key(
            US,
            ReplicateKeyInput {
                key_id: meta.key_id.clone(),
                replica_region: AP.to_owned(),
                policy: Some("not a policy".into()),
                ..ReplicateKeyInput::default()
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(e, KmsError::MalformedPolicyDocument(_)), "{e:?}");
    let e = replicate(&kms, US, "mrk-00000000000000000000000000000000", AP)
        .await
        .unwrap_err();
    assert!(matches!(e, KmsError::NotFound(_)), "{e:?}");
    kms.disable_key(US, &meta.key_id).await.unwrap();
    let e = replicate(&kms, US, &meta.key_id, AP).await.unwrap_err();
    assert!(matches!(e, KmsError::Disabled(_)), "{e:?}");
    // Nothing was written by the refusals.
    assert!(kms.describe_key(AP, &meta.key_id).await.is_err());
}

#[tokio::test]
async fn a_replica_has_its_own_policy_tags_description_and_state() {
    let (kms, _) = kms();
    let meta = create(&kms, None, None).await;
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:*","Resource":"*"}]}"#;
    let out = kms
        .replicate_key(
            US,
            ReplicateKeyInput {
                key_id: meta.key_id.clone(),
                replica_region: EU.to_owned(),
                policy: Some(policy.to_owned()),
                description: Some("eu copy".into()),
                tags: vec![Tag {
                    key: "team".into(),
                    value: "eu".into(),
                }],
            },
        )
        .await
        .unwrap();
    assert_eq!(out.replica_policy, policy);
    assert_eq!(out.replica_tags.len(), 1);
    assert_eq!(out.replica_key_metadata.description, "eu copy");
    kms.disable_key(EU, &meta.key_id).await.unwrap();
    assert_eq!(
        kms.describe_key(US, &meta.key_id).await.unwrap().key_state,
        KeyState::Enabled
    );
    assert_eq!(
        kms.describe_key(EU, &meta.key_id).await.unwrap().key_state,
        KeyState::Disabled
    );
}

#[tokio::test]
async fn asymmetric_and_hmac_replicas_sign_and_mac_alike() {
    let (kms, _) = kms();
    let ecc = create(&kms, Some("ECC_NIST_P256"), Some("SIGN_VERIFY")).await;
    replicate(&kms, US, &ecc.key_id, EU).await.unwrap();
    let sign = || SignInput {
        key_id: ecc.key_id.clone(),
        message: SecretBytes::new(b"message".to_vec()),
        message_type: None,
        signing_algorithm: "ECDSA_SHA_256".into(),
        dry_run: false,
    };
    let signature = kms.sign(US, sign()).await.unwrap().signature;
    kms.verify(
        EU,
        VerifyInput {
            sign: sign(),
            signature,
        },
    )
    .await
    .unwrap();
    assert_eq!(
        kms.get_public_key(US, &ecc.key_id)
            .await
            .unwrap()
            .public_key,
        kms.get_public_key(EU, &ecc.key_id)
            .await
            .unwrap()
            .public_key
    );

    let hmac = create(&kms, Some("HMAC_256"), Some("GENERATE_VERIFY_MAC")).await;
    replicate(&kms, US, &hmac.key_id, EU).await.unwrap();
    let mac_input = || MacInput {
        key_id: hmac.key_id.clone(),
        message: SecretBytes::new(b"message".to_vec()),
        mac_algorithm: "HMAC_SHA_256".into(),
        dry_run: false,
    };
    let mac = kms.generate_mac(EU, mac_input()).await.unwrap().mac;
    kms.verify_mac(US, mac_input(), &mac).await.unwrap();
}

#[tokio::test]
async fn a_rotation_of_the_primary_is_every_members() {
    let (kms, _) = kms();
    let meta = create(&kms, None, None).await;
    replicate(&kms, US, &meta.key_id, EU).await.unwrap();
    // Warm the replica's cache before the rotation.
    let old = encrypt(&kms, EU, &meta.key_id, b"old").await;
    kms.rotate_key_on_demand(US, &meta.key_id).await.unwrap();
    let primary = kms.describe_key(US, &meta.key_id).await.unwrap();
    let replica = kms.describe_key(EU, &meta.key_id).await.unwrap();
    assert_ne!(
        primary.current_key_material_id,
        meta.current_key_material_id
    );
    assert_eq!(
        replica.current_key_material_id,
        primary.current_key_material_id
    );
    let new = encrypt(&kms, US, &meta.key_id, b"new").await;
    let (plain, material) = decrypt(&kms, EU, &new).await.unwrap();
    assert_eq!(plain, b"new");
    assert_eq!(Some(material), primary.current_key_material_id);
    // The replica encrypts with the new material too, and old blobs open.
    let from_eu = encrypt(&kms, EU, &meta.key_id, b"eu").await;
    assert_eq!(
        Some(decrypt(&kms, US, &from_eu).await.unwrap().1),
        primary.current_key_material_id
    );
    assert_eq!(decrypt(&kms, US, &old).await.unwrap().0, b"old");
    // Both list the same rotations.
    let list = |region| {
        kms.list_key_rotations(
            region,
            &meta.key_id,
            crate::kms::rotation::IncludeKeyMaterial::AllKeyMaterial,
            100,
            None,
        )
    };
    assert_eq!(list(US).await.unwrap().items, list(EU).await.unwrap().items);
}

#[tokio::test]
async fn only_the_primary_manages_rotation_and_replicas_report_it() {
    let (kms, _) = kms();
    let meta = create(&kms, None, None).await;
    replicate(&kms, US, &meta.key_id, EU).await.unwrap();
    for e in [
        kms.rotate_key_on_demand(EU, &meta.key_id)
            .await
            .unwrap_err(),
        kms.enable_key_rotation(EU, &meta.key_id, None)
            .await
            .unwrap_err(),
        kms.disable_key_rotation(EU, &meta.key_id)
            .await
            .unwrap_err(),
    ] {
        assert!(matches!(e, KmsError::UnsupportedOperation(_)), "{e:?}");
    }
    kms.enable_key_rotation(US, &meta.key_id, Some(120))
        .await
        .unwrap();
    let status = kms.get_key_rotation_status(EU, &meta.key_id).await.unwrap();
    assert!(status.enabled);
    assert_eq!(status.period_days, Some(120));
    assert_eq!(
        status,
        kms.get_key_rotation_status(US, &meta.key_id).await.unwrap()
    );
    // The scheduler rotates the key once, for both members.
    let later = now_ms() + 121 * DAY_MS;
    assert_eq!(kms.rotate_due(later).await.unwrap(), 1);
    assert_eq!(kms.rotate_due(later).await.unwrap(), 0);
    let us = kms.describe_key(US, &meta.key_id).await.unwrap();
    let eu = kms.describe_key(EU, &meta.key_id).await.unwrap();
    assert_eq!(us.current_key_material_id, eu.current_key_material_id);
    assert_ne!(us.current_key_material_id, meta.current_key_material_id);
}

#[tokio::test]
async fn update_primary_region_swaps_the_roles() {
    let (kms, _) = kms();
    let meta = create(&kms, None, None).await;
    replicate(&kms, US, &meta.key_id, EU).await.unwrap();
    replicate(&kms, US, &meta.key_id, AP).await.unwrap();
    kms.enable_key_rotation(US, &meta.key_id, None)
        .await
        .unwrap();
    kms.update_primary_region(US, &meta.key_id, EU)
        .await
        .unwrap();
    for region in [US, EU, AP] {
        let m = kms.describe_key(region, &meta.key_id).await.unwrap();
        let c = config(&m);
        assert_eq!(c.primary_key.region, EU, "{region}");
        // Region order, as the store lists them.
        assert_eq!(regions(&c.replica_keys), [AP, US], "{region}");
        let expected = if region == EU {
            MultiRegionKeyType::Primary
        } else {
            MultiRegionKeyType::Replica
        };
        assert_eq!(c.key_type, expected, "{region}");
    }
    // The new primary rotates and replicates; the old one does neither.
    assert!(
        kms.get_key_rotation_status(EU, &meta.key_id)
            .await
            .unwrap()
            .enabled
    );
    // Its own cache (warm now) and the home region's both see the rotation.
    let before = kms.describe_key(EU, &meta.key_id).await.unwrap();
    kms.rotate_key_on_demand(EU, &meta.key_id).await.unwrap();
    let eu = kms.describe_key(EU, &meta.key_id).await.unwrap();
    let us = kms.describe_key(US, &meta.key_id).await.unwrap();
    assert_ne!(eu.current_key_material_id, before.current_key_material_id);
    assert_eq!(eu.current_key_material_id, us.current_key_material_id);
    let e = kms
        .rotate_key_on_demand(US, &meta.key_id)
        .await
        .unwrap_err();
    assert!(matches!(e, KmsError::UnsupportedOperation(_)), "{e:?}");
    let e = replicate(&kms, US, &meta.key_id, "sa-east-1")
        .await
        .unwrap_err();
    assert!(matches!(e, KmsError::UnsupportedOperation(_)), "{e:?}");
    replicate(&kms, EU, &meta.key_id, "sa-east-1")
        .await
        .unwrap();
    let blob = encrypt(&kms, "sa-east-1", &meta.key_id, b"sa").await;
    assert_eq!(decrypt(&kms, US, &blob).await.unwrap().0, b"sa");

    // The errors.
    let e = kms
        .update_primary_region(US, &meta.key_id, EU)
        .await
        .unwrap_err();
    assert!(matches!(e, KmsError::UnsupportedOperation(_)), "{e:?}");
    let e = kms
        .update_primary_region(EU, &meta.key_id, EU)
        .await
        .unwrap_err();
    assert!(matches!(e, KmsError::Validation(_)), "{e:?}");
    let e = kms
        .update_primary_region(EU, &meta.key_id, "ca-central-1")
        .await
        .unwrap_err();
    assert!(matches!(e, KmsError::NotFound(_)), "{e:?}");
    let single = kms.create_key(EU, CreateKeyInput::default()).await.unwrap();
    let e = kms
        .update_primary_region(EU, &single.key_id, US)
        .await
        .unwrap_err();
    assert!(matches!(e, KmsError::UnsupportedOperation(_)), "{e:?}");
}

#[tokio::test]
async fn a_primary_with_replicas_waits_for_their_deletion() {
    let (kms, store) = kms();
    let meta = create(&kms, None, None).await;
    replicate(&kms, US, &meta.key_id, EU).await.unwrap();
    let out = kms
        .schedule_key_deletion(US, &meta.key_id, Some(7))
        .await
        .unwrap();
    assert_eq!(out.key_state, KeyState::PendingReplicaDeletion);
    assert_eq!(out.deletion_date_ms, None);
    assert_eq!(out.pending_window_in_days, 7);
    let primary = kms.describe_key(US, &meta.key_id).await.unwrap();
    assert_eq!(primary.key_state, KeyState::PendingReplicaDeletion);
    assert_eq!(primary.deletion_date_ms, None);
    assert_eq!(primary.pending_deletion_window_in_days, Some(7));
    assert!(matches!(
        encrypt_result(&kms, US, &meta.key_id).await,
        Err(KmsError::InvalidState(_))
    ));
    let e = replicate(&kms, US, &meta.key_id, AP).await.unwrap_err();
    assert!(matches!(e, KmsError::InvalidState(_)), "{e:?}");
    // Refused as for a key pending deletion: no alias, no tags.
    let e = kms
        .create_alias(US, "alias/waiting", &meta.key_id)
        .await
        .unwrap_err();
    assert!(matches!(e, KmsError::InvalidState(_)), "{e:?}");
    let tag = Tag {
        key: "k".into(),
        value: "v".into(),
    };
    let e = kms
        .tag_resource(US, &meta.key_id, &[tag])
        .await
        .unwrap_err();
    assert!(matches!(e, KmsError::InvalidState(_)), "{e:?}");
    // Cancelling works from that state too.
    kms.cancel_key_deletion(US, &meta.key_id).await.unwrap();
    assert_eq!(
        kms.describe_key(US, &meta.key_id).await.unwrap().key_state,
        KeyState::Disabled
    );
    kms.schedule_key_deletion(US, &meta.key_id, Some(7))
        .await
        .unwrap();

    // A replica's deletion is an ordinary one; while it is pending, the
    // replica is still listed.
    let replica_out = kms
        .schedule_key_deletion(EU, &meta.key_id, Some(7))
        .await
        .unwrap();
    assert_eq!(replica_out.key_state, KeyState::PendingDeletion);
    let date = replica_out.deletion_date_ms.unwrap();
    let primary = kms.describe_key(US, &meta.key_id).await.unwrap();
    assert_eq!(regions(&config(&primary).replica_keys), [EU]);

    // Once its date has passed it is deleted: gone from the list, and the
    // primary's own waiting period runs from then.
    let mut record = store.get_kms_key(EU, &meta.key_id).await.unwrap().unwrap();
    let mut m = StoredKeyMeta::parse(&record).unwrap();
    let past = now_ms() - DAY_MS;
    m.deletion_date_ms = Some(past);
    record.metadata = m.to_json().unwrap();
    store
        .update_kms_key(record, crate::changes::test_change())
        .await
        .unwrap();
    assert!(date > past);
    let primary = kms.describe_key(US, &meta.key_id).await.unwrap();
    assert!(config(&primary).replica_keys.is_empty());
    assert_eq!(primary.key_state, KeyState::PendingDeletion);
    assert_eq!(primary.deletion_date_ms, Some(past + 7 * DAY_MS));

    // A new replica may then be made in that region (after cancelling).
    kms.cancel_key_deletion(US, &meta.key_id).await.unwrap();
    kms.enable_key(US, &meta.key_id).await.unwrap();
    let again = replicate(&kms, US, &meta.key_id, EU).await.unwrap();
    assert_eq!(again.replica_key_metadata.key_state, KeyState::Enabled);
    let blob = encrypt(&kms, EU, &meta.key_id, b"back").await;
    assert_eq!(decrypt(&kms, US, &blob).await.unwrap().0, b"back");
}

#[tokio::test]
async fn a_single_region_key_is_deleted_as_before() {
    let (kms, _) = kms();
    let meta = create(&kms, None, None).await;
    let out = kms
        .schedule_key_deletion(US, &meta.key_id, Some(7))
        .await
        .unwrap();
    // A primary without replicas: an ordinary deletion.
    assert_eq!(out.key_state, KeyState::PendingDeletion);
    assert!(out.deletion_date_ms.is_some());
}

async fn encrypt_result(kms: &Kms, region: &str, key: &str) -> Result<Vec<u8>, KmsError> {
    kms.encrypt(
        region,
        EncryptInput {
            key_id: key.to_owned(),
            plaintext: SecretBytes::new(b"x".to_vec()),
            encryption_context: EncryptionContext::new(),
            encryption_algorithm: None,
            dry_run: false,
        },
    )
    .await
    .map(|o| o.ciphertext_blob)
}

#[tokio::test]
async fn concurrent_replications_into_one_region_make_one_replica() {
    let (kms, store) = kms();
    let kms = Arc::new(kms);
    let meta = create(&kms, None, None).await;
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let kms = Arc::clone(&kms);
            let id = meta.key_id.clone();
            tokio::spawn(async move { replicate(&kms, US, &id, EU).await.is_ok() })
        })
        .collect();
    let mut ok = 0;
    for t in tasks {
        if t.await.unwrap() {
            ok += 1;
        }
    }
    assert_eq!(ok, 1);
    assert_eq!(store.list_kms_keys(EU).await.unwrap().len(), 1);
}
