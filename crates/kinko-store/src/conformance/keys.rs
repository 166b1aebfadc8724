//! KMS keys and aliases.

use super::test_change;
use std::sync::Arc;

use crate::*;

/// Every property of this area against `store`.
pub async fn run(store: Arc<dyn KeyRows>) {
    kms_keys(&*store).await;
    kms_management(&*store).await;
    kms_key_materials(&*store).await;
}

// ---- KMS keys and aliases ----

pub(crate) fn kms_key(region: &str, key_id: &str) -> KmsKeyRecord {
    KmsKeyRecord {
        region: region.to_owned(),
        key_id: key_id.to_owned(),
        wrapped_material: vec![9, 0, 8, 0xFF],
        description: format!("key {key_id}"),
        enabled: true,
        key_manager: "AWS".to_owned(),
        created_ms: 1_700_000_000_123,
        metadata: r#"{"KeyState":"Enabled"}"#.to_owned(),
    }
}

pub(crate) fn kms_material(region: &str, key_id: &str, version: i64) -> KmsKeyMaterialRecord {
    KmsKeyMaterialRecord {
        region: region.to_owned(),
        key_id: key_id.to_owned(),
        version,
        material_id: format!("{version:064x}"),
        wrapped_material: vec![7, u8::try_from(version).unwrap_or(0xFF)],
        rotation_type: "ON_DEMAND".to_owned(),
        created_ms: 1_700_000_000_000 + version,
    }
}

/// Rotated materials are insert-only and come back in version order; a
/// version is taken once (the loser of two concurrent rotations sees
/// `AlreadyExists`), and a missing key takes none.
pub async fn kms_key_materials(store: &dyn KeyRows) {
    let region = "conf-kms-materials";
    let id = "11111111-2222-4333-8444-555555555555";
    match store
        .add_kms_key_material(kms_material(region, id, 1), test_change())
        .await
    {
        Err(StoreError::NotFound) => {}
        other => panic!("material for a missing key: expected NotFound, got {other:?}"),
    }
    store
        .create_kms_key(kms_key(region, id), None, test_change())
        .await
        .unwrap();
    assert!(
        store
            .list_kms_key_materials(region, id)
            .await
            .unwrap()
            .is_empty()
    );
    // Inserted out of order, read in version order.
    for version in [2, 1, 3] {
        store
            .add_kms_key_material(kms_material(region, id, version), test_change())
            .await
            .unwrap();
    }
    let mut second = kms_material(region, id, 2);
    second.material_id = "f".repeat(64);
    match store.add_kms_key_material(second, test_change()).await {
        Err(StoreError::AlreadyExists) => {}
        other => panic!("a taken version: expected AlreadyExists, got {other:?}"),
    }
    assert_eq!(
        store.list_kms_key_materials(region, id).await.unwrap(),
        vec![
            kms_material(region, id, 1),
            kms_material(region, id, 2),
            kms_material(region, id, 3)
        ]
    );
    // Another key's materials are its own.
    let other = "11111111-2222-4333-8444-666666666666";
    store
        .create_kms_key(kms_key(region, other), None, test_change())
        .await
        .unwrap();
    assert!(
        store
            .list_kms_key_materials(region, other)
            .await
            .unwrap()
            .is_empty()
    );
    let regions = store.list_kms_regions().await.unwrap();
    assert!(regions.contains(&region.to_owned()), "{regions:?}");
    assert!(regions.windows(2).all(|w| w[0] < w[1]), "sorted, distinct");
}

/// Keys and aliases are created together, read back, and never duplicated.
pub async fn kms_keys(store: &dyn KeyRows) {
    let region = "conf-kms";
    let id = "1234abcd-12ab-34cd-56ef-1234567890ab";
    assert_eq!(store.get_kms_key(region, id).await.unwrap(), None);
    assert_eq!(
        store.get_kms_alias(region, "alias/aws/ssm").await.unwrap(),
        None
    );

    let key = kms_key(region, id);
    store
        .create_kms_key(key.clone(), Some("alias/aws/ssm"), test_change())
        .await
        .unwrap();
    assert_eq!(
        store.get_kms_key(region, id).await.unwrap(),
        Some(key.clone())
    );
    assert_eq!(
        store.get_kms_alias(region, "alias/aws/ssm").await.unwrap(),
        Some(id.to_owned())
    );

    match store
        .create_kms_key(kms_key(region, id), None, test_change())
        .await
    {
        Err(StoreError::AlreadyExists) => {}
        other => panic!("duplicate key id: expected AlreadyExists, got {other:?}"),
    }
    let other = "other-key";
    match store
        .create_kms_key(kms_key(region, other), Some("alias/aws/ssm"), test_change())
        .await
    {
        Err(StoreError::AlreadyExists) => {}
        other => panic!("duplicate alias: expected AlreadyExists, got {other:?}"),
    }
    assert_eq!(
        store.get_kms_key(region, other).await.unwrap(),
        None,
        "a refused create leaves no key behind"
    );

    let disabled = KmsKeyRecord {
        enabled: false,
        key_manager: "CUSTOMER".to_owned(),
        ..kms_key(region, other)
    };
    store
        .create_kms_key(disabled.clone(), None, test_change())
        .await
        .unwrap();
    assert_eq!(
        store.get_kms_key(region, other).await.unwrap(),
        Some(disabled)
    );

    // Another region has its own keys and aliases.
    let elsewhere = "conf-kms-other";
    assert_eq!(store.get_kms_key(elsewhere, id).await.unwrap(), None);
    assert_eq!(
        store
            .get_kms_alias(elsewhere, "alias/aws/ssm")
            .await
            .unwrap(),
        None
    );
    let there = kms_key(elsewhere, id);
    store
        .create_kms_key(there.clone(), Some("alias/aws/ssm"), test_change())
        .await
        .unwrap();
    assert_eq!(store.get_kms_key(elsewhere, id).await.unwrap(), Some(there));
}

/// Listing, updating keys; creating, re-pointing, listing and deleting aliases.
pub async fn kms_management(store: &dyn KeyRows) {
    let region = "conf-kms-manage";
    assert!(store.list_kms_keys(region).await.unwrap().is_empty());
    assert!(store.list_kms_aliases(region).await.unwrap().is_empty());

    let (first, second) = ("b-key", "a-key");
    store
        .create_kms_key(kms_key(region, first), Some("alias/aws/ssm"), test_change())
        .await
        .unwrap();
    store
        .create_kms_key(kms_key(region, second), None, test_change())
        .await
        .unwrap();
    store
        .create_kms_key(
            kms_key("conf-kms-manage-other", "c-key"),
            Some("alias/x"),
            test_change(),
        )
        .await
        .unwrap();
    assert_eq!(
        store.list_kms_keys(region).await.unwrap(),
        vec![kms_key(region, second), kms_key(region, first)],
        "key id order, one region"
    );
    let created = kms_key(region, first).created_ms;
    assert_eq!(
        store.list_kms_aliases(region).await.unwrap(),
        vec![KmsAliasRecord {
            region: region.to_owned(),
            alias: "alias/aws/ssm".to_owned(),
            key_id: first.to_owned(),
            created_ms: created,
            updated_ms: created,
        }],
        "an alias made with its key carries the key's creation time"
    );

    // Update replaces the mutable fields only.
    let updated = KmsKeyRecord {
        wrapped_material: vec![7, 7, 7],
        description: "rotated".to_owned(),
        enabled: false,
        metadata: r#"{"KeyState":"Disabled"}"#.to_owned(),
        ..kms_key(region, first)
    };
    store
        .update_kms_key(updated.clone(), test_change())
        .await
        .unwrap();
    assert_eq!(
        store.get_kms_key(region, first).await.unwrap(),
        Some(updated)
    );
    match store
        .update_kms_key(kms_key(region, "no-such-key"), test_change())
        .await
    {
        Err(StoreError::NotFound) => {}
        other => panic!("update of a missing key: expected NotFound, got {other:?}"),
    }
    assert_eq!(
        store.get_kms_key(region, "no-such-key").await.unwrap(),
        None
    );

    let alias = KmsAliasRecord {
        region: region.to_owned(),
        alias: "alias/app".to_owned(),
        key_id: second.to_owned(),
        created_ms: 10,
        updated_ms: 11,
    };
    store
        .create_kms_alias(alias.clone(), test_change())
        .await
        .unwrap();
    assert_eq!(
        store.get_kms_alias(region, "alias/app").await.unwrap(),
        Some(second.to_owned())
    );
    match store.create_kms_alias(alias.clone(), test_change()).await {
        Err(StoreError::AlreadyExists) => {}
        other => panic!("duplicate alias: expected AlreadyExists, got {other:?}"),
    }
    let dangling = KmsAliasRecord {
        alias: "alias/dangling".to_owned(),
        key_id: "no-such-key".to_owned(),
        ..alias.clone()
    };
    match store.create_kms_alias(dangling, test_change()).await {
        Err(StoreError::NotFound) => {}
        other => panic!("alias to a missing key: expected NotFound, got {other:?}"),
    }

    store
        .update_kms_alias(region, "alias/app", first, 20, test_change())
        .await
        .unwrap();
    let aliases = store.list_kms_aliases(region).await.unwrap();
    let names: Vec<&str> = aliases.iter().map(|a| a.alias.as_str()).collect();
    assert_eq!(names, vec!["alias/app", "alias/aws/ssm"], "alias order");
    assert_eq!(
        aliases[0],
        KmsAliasRecord {
            key_id: first.to_owned(),
            updated_ms: 20,
            ..alias.clone()
        }
    );
    match store
        .update_kms_alias(region, "alias/none", first, 21, test_change())
        .await
    {
        Err(StoreError::NotFound) => {}
        other => panic!("update of a missing alias: expected NotFound, got {other:?}"),
    }
    match store
        .update_kms_alias(region, "alias/app", "no-such-key", 21, test_change())
        .await
    {
        Err(StoreError::NotFound) => {}
        other => panic!("alias moved to a missing key: expected NotFound, got {other:?}"),
    }
    assert_eq!(
        store.get_kms_alias(region, "alias/app").await.unwrap(),
        Some(first.to_owned()),
        "a refused update changes nothing"
    );

    assert!(
        store
            .delete_kms_alias(region, "alias/app", test_change())
            .await
            .unwrap()
    );
    assert!(
        !store
            .delete_kms_alias(region, "alias/app", test_change())
            .await
            .unwrap()
    );
    assert_eq!(
        store.get_kms_alias(region, "alias/app").await.unwrap(),
        None
    );
    assert!(
        store.get_kms_key(region, first).await.unwrap().is_some(),
        "deleting an alias keeps its key"
    );
    assert_eq!(
        store
            .get_kms_alias("conf-kms-manage-other", "alias/x")
            .await
            .unwrap(),
        Some("c-key".to_owned())
    );
}
