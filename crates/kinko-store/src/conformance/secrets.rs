//! Secrets Manager secrets, versions and batches.

use super::test_change;
use std::sync::Arc;

use super::*;
use crate::*;

/// Every property of this area against `store`.
pub async fn run(store: Arc<dyn SecretRows>) {
    secrets(&*store).await;
}

// ---- Secrets Manager ----

pub(crate) fn secret_record(region: &str, name: &str) -> SecretRecord {
    SecretRecord {
        region: region.to_owned(),
        name: name.to_owned(),
        arn: format!("arn:aws:secretsmanager:{region}:000000000000:secret:{name}-AbCdEf"),
        description: Some("db credentials".to_owned()),
        kms_key_id: None,
        tags: vec![tag("z", "last"), tag("a", "first")],
        tagged: true,
        resource_policy: None,
        created_ms: 1_000,
        last_changed_ms: 1_000,
        last_accessed_ms: None,
        deleted_ms: None,
        deletion_date_ms: None,
        primary_region: None,
        metadata: "{}".to_owned(),
        revision: 42, // ignored on create
    }
}

pub(crate) fn secret_version(
    id: &str,
    value: &[u8],
    stages: &[&str],
    created_ms: i64,
) -> SecretVersion {
    SecretVersion {
        version_id: id.to_owned(),
        value: value.to_vec(),
        binary: false,
        stages: strings(stages),
        created_ms,
        last_accessed_ms: None,
        kms_key_id: Some("alias/aws/secretsmanager".to_owned()),
    }
}

pub(crate) async fn write_secrets(
    store: &dyn SecretRows,
    writes: Vec<SecretWrite>,
) -> WriteOutcome {
    store
        .write_secrets(writes, vec![test_change()])
        .await
        .unwrap()
}

pub(crate) async fn secret(store: &dyn SecretRows, region: &str, name: &str) -> SecretState {
    store
        .get_secret(region, name)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("secret {name} in {region} missing"))
}

/// Create, compare-and-swap update, all-or-nothing batches, purge scan,
/// delete and re-create.
pub async fn secrets(store: &dyn SecretRows) {
    let (region, replica_region) = ("conf-secrets", "conf-secrets-replica");
    let name = "prod/db";
    assert_eq!(store.get_secret(region, name).await.unwrap(), None);
    assert!(store.list_secrets(region).await.unwrap().is_empty());

    let v1 = secret_version("v1", &[0, 1, 0xFF], &["AWSPREVIOUS"], 1_000);
    let v2 = SecretVersion {
        binary: true,
        last_accessed_ms: Some(1_500),
        kms_key_id: None,
        ..secret_version("v2", b"\x00two", &["AWSPENDING", "AWSCURRENT"], 2_000)
    };
    let created = SecretState {
        record: secret_record(region, name),
        versions: vec![v1.clone(), v2.clone()],
    };
    let outcome = write_secrets(
        store,
        vec![SecretWrite::Create {
            state: created.clone(),
        }],
    )
    .await;
    assert_eq!(outcome, WriteOutcome::Written);

    let stored = secret(store, region, name).await;
    let mut expected = created.clone();
    expected.record.revision = 1;
    expected.versions[1].stages = strings(&["AWSCURRENT", "AWSPENDING"]);
    assert_eq!(
        stored, expected,
        "revision starts at 1, tags keep their order, stages sorted"
    );

    let again = write_secrets(
        store,
        vec![SecretWrite::Create {
            state: created.clone(),
        }],
    )
    .await;
    assert_eq!(
        again,
        WriteOutcome::Conflict,
        "create of an existing secret"
    );

    // Update: new record fields and tags, one version replaced, one added,
    // one deleted.
    let updated_record = SecretRecord {
        description: None,
        tags: vec![tag("z", "last"), tag("a", "first"), tag("m", "middle")],
        last_changed_ms: 3_000,
        last_accessed_ms: Some(2_900),
        resource_policy: Some(r#"{"Version":"2012-10-17"}"#.to_owned()),
        metadata: r#"{"RotationEnabled":false}"#.to_owned(),
        ..secret_record(region, name)
    };
    let v2_previous = SecretVersion {
        stages: strings(&["AWSPREVIOUS"]),
        ..v2.clone()
    };
    let v3 = secret_version("v3", b"three", &["AWSCURRENT"], 3_000);
    let update = SecretWrite::Update {
        expected_revision: 1,
        record: updated_record.clone(),
        upsert_versions: vec![v3.clone(), v2_previous.clone()],
        delete_versions: strings(&["v1"]),
    };
    assert_eq!(
        write_secrets(store, vec![update.clone()]).await,
        WriteOutcome::Written
    );
    let stored = secret(store, region, name).await;
    assert_eq!(
        stored,
        SecretState {
            record: SecretRecord {
                revision: 2,
                ..updated_record.clone()
            },
            versions: vec![v2_previous.clone(), v3.clone()],
        },
        "versions oldest first"
    );

    // A stale revision changes nothing.
    assert_eq!(
        write_secrets(store, vec![update]).await,
        WriteOutcome::Conflict
    );
    assert_eq!(secret(store, region, name).await, stored);

    // A batch is all-or-nothing: the replica create is undone by the conflict.
    let replica = SecretState {
        record: SecretRecord {
            primary_region: Some(region.to_owned()),
            ..secret_record(replica_region, name)
        },
        versions: vec![v3.clone()],
    };
    let stale_delete = SecretWrite::Delete {
        region: region.to_owned(),
        name: name.to_owned(),
        expected_revision: 1,
    };
    let outcome = write_secrets(
        store,
        vec![
            SecretWrite::Create {
                state: replica.clone(),
            },
            stale_delete,
        ],
    )
    .await;
    assert_eq!(outcome, WriteOutcome::Conflict);
    assert_eq!(store.get_secret(replica_region, name).await.unwrap(), None);
    assert_eq!(secret(store, region, name).await, stored);

    // Primary and replica move together; the primary is scheduled for deletion.
    let scheduled = SecretRecord {
        deleted_ms: Some(4_000),
        deletion_date_ms: Some(10_000),
        ..updated_record.clone()
    };
    let outcome = write_secrets(
        store,
        vec![
            SecretWrite::Update {
                expected_revision: 2,
                record: scheduled.clone(),
                upsert_versions: Vec::new(),
                delete_versions: Vec::new(),
            },
            SecretWrite::Create {
                state: replica.clone(),
            },
        ],
    )
    .await;
    assert_eq!(outcome, WriteOutcome::Written);
    let stored = secret(store, region, name).await;
    assert_eq!(stored.record.revision, 3);
    assert_eq!(
        stored.versions,
        vec![v2_previous, v3.clone()],
        "versions untouched"
    );
    assert_eq!(secret(store, replica_region, name).await.record.revision, 1);

    // Listing is per region, in name order.
    let other = SecretState {
        record: secret_record(region, "a/first"),
        versions: Vec::new(),
    };
    assert_eq!(
        write_secrets(store, vec![SecretWrite::Create { state: other }]).await,
        WriteOutcome::Written
    );
    let listed: Vec<String> = store
        .list_secrets(region)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.record.name)
        .collect();
    assert_eq!(listed, strings(&["a/first", name]));
    assert_eq!(store.list_secrets(replica_region).await.unwrap().len(), 1);

    // The purge scan sees deletion dates at or before `now`, in every region.
    assert!(store.secrets_due_for_purge(9_999).await.unwrap().is_empty());
    let due = store.secrets_due_for_purge(10_000).await.unwrap();
    assert_eq!(
        due,
        vec![SecretRecord {
            revision: 3,
            ..scheduled
        }]
    );

    // Delete checks the revision; a re-created secret starts clean.
    let delete = |expected_revision| SecretWrite::Delete {
        region: region.to_owned(),
        name: name.to_owned(),
        expected_revision,
    };
    assert_eq!(
        write_secrets(store, vec![delete(2)]).await,
        WriteOutcome::Conflict
    );
    assert_eq!(
        write_secrets(store, vec![delete(3)]).await,
        WriteOutcome::Written
    );
    assert_eq!(store.get_secret(region, name).await.unwrap(), None);
    assert_eq!(
        write_secrets(store, vec![delete(3)]).await,
        WriteOutcome::Conflict
    );
    assert!(
        store
            .secrets_due_for_purge(10_000)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .get_secret(replica_region, name)
            .await
            .unwrap()
            .is_some()
    );

    let fresh = SecretState {
        record: SecretRecord {
            tags: Vec::new(),
            tagged: false,
            ..secret_record(region, name)
        },
        versions: vec![secret_version("n1", b"new", &["AWSCURRENT"], 5_000)],
    };
    assert_eq!(
        write_secrets(
            store,
            vec![SecretWrite::Create {
                state: fresh.clone()
            }]
        )
        .await,
        WriteOutcome::Written
    );
    let stored = secret(store, region, name).await;
    assert_eq!(stored.record.revision, 1);
    assert!(stored.record.tags.is_empty(), "old tags must not reappear");
    assert_eq!(
        stored.versions, fresh.versions,
        "old versions must not reappear"
    );
}
