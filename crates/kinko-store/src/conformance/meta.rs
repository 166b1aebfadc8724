//! Server metadata, and backup and restore of the whole store.

use super::test_change;
use std::sync::Arc;

use kinko_model::principals::PrincipalKind;
use kinko_model::ssm::VersionSelector;

use super::identity::*;
use super::keys::*;
use super::secrets::*;
use super::*;
use crate::*;

/// Every property of this area against `store`.
pub async fn run(store: Arc<dyn MetaRows>) {
    meta(&*store).await;
}

/// `init_meta` is first-writer-wins.
pub async fn meta(store: &dyn MetaRows) {
    let key = "conformance.check";
    assert_eq!(store.get_meta(key).await.unwrap(), None);
    assert_eq!(
        store.init_meta(key, &[1, 0, 2]).await.unwrap(),
        vec![1, 0, 2]
    );
    assert_eq!(
        store.init_meta(key, b"second").await.unwrap(),
        vec![1, 0, 2]
    );
    assert_eq!(store.get_meta(key).await.unwrap(), Some(vec![1, 0, 2]));
    assert_eq!(store.get_meta("conformance.other").await.unwrap(), None);
}

// ---- backup and restore (each on fresh, empty stores: not part of run_all) ----

/// Fills an empty `store` with one of everything a backup must carry:
/// a parameter whose oldest versions were dropped (so numbering starts
/// above 1), labels, tags, parameters in two regions, a disabled KMS key
/// with an alias, a secret with versions and stages, access keys (one with
/// rotation and last-use facts), principals with tags and policies, meta,
/// and an audit row (which a backup must not carry).
pub async fn fill_for_backup(store: &dyn Store) {
    let mut first = create("/backup/db", b"sealed-1");
    first.version = full_version(1, b"sealed-1");
    first.tags = vec![tag("team", "core"), tag("env", "prod")];
    put(store, "us-east-1", first).await;
    for latest in 1..4 {
        let mut next = overwrite(
            "/backup/db",
            latest,
            format!("sealed-{}", latest + 1).as_bytes(),
        );
        next.max_versions = 3;
        put(store, "us-east-1", next).await;
    }
    store
        .label_parameter_version(
            "us-east-1",
            "/backup/db",
            Some(3),
            &strings(&["prod", "blue"]),
            10,
            test_change(),
        )
        .await
        .unwrap();
    store
        .label_parameter_version(
            "us-east-1",
            "/backup/db",
            None,
            &strings(&["latest"]),
            10,
            test_change(),
        )
        .await
        .unwrap();
    put(store, "eu-west-1", create("/backup/plain", b"plain")).await;

    let mut key = kms_key("us-east-1", "backup-key");
    key.enabled = false;
    store
        .create_kms_key(key, Some("alias/backup"), test_change())
        .await
        .unwrap();
    store
        .create_kms_key(kms_key("eu-west-1", "other-key"), None, test_change())
        .await
        .unwrap();
    for version in [1, 2] {
        store
            .add_kms_key_material(
                kms_material("us-east-1", "backup-key", version),
                test_change(),
            )
            .await
            .unwrap();
    }

    let mut state = SecretState {
        record: secret_record("us-east-1", "backup/secret"),
        versions: vec![
            secret_version("v1", b"old", &["AWSPREVIOUS"], 1_000),
            secret_version("v2", b"new", &["AWSCURRENT", "custom"], 2_000),
            secret_version("v0", b"deprecated", &[], 500),
        ],
    };
    state.versions[1].binary = true;
    state.versions[1].last_accessed_ms = Some(3_000);
    state.record.deletion_date_ms = Some(9_000);
    state.record.deleted_ms = Some(8_000);
    assert_eq!(
        write_secrets(store, vec![SecretWrite::Create { state }]).await,
        WriteOutcome::Written
    );

    store
        .create_access_key(
            AccessKeyRecord {
                access_key_id: "AKIABACKUP".to_owned(),
                principal_arn: "arn:aws:iam::000000000000:user/admin".to_owned(),
                sealed_secret: vec![1, 2, 3, 4],
                active: true,
                created_ms: 1_700_000_000_000,
                retire_ms: None,
                last_used_ms: None,
                last_used_operation: None,
            },
            test_change(),
        )
        .await
        .unwrap();
    let mut used = access_key(
        "AKIABACKUPDEV",
        &format!("{ACCOUNT_ARN}:user/backup-dev"),
        1_700_000_000_001,
    );
    used.retire_ms = Some(1_800_000_000_000);
    store.create_access_key(used, test_change()).await.unwrap();
    store
        .record_key_use(&[key_use("AKIABACKUPDEV", 1_700_000_000_500, "GetParameter")])
        .await
        .unwrap();

    let mut dev = principal("backup-dev", PrincipalKind::User);
    dev.tags = vec![tag("team", "core")];
    store
        .create_principal(dev.clone(), test_change())
        .await
        .unwrap();
    let role = principal("backup-deploy", PrincipalKind::Role);
    store
        .create_principal(role.clone(), test_change())
        .await
        .unwrap();
    for (arn, name) in [(&dev.arn, "write"), (&dev.arn, "read"), (&role.arn, "read")] {
        store
            .put_policy(
                policy(arn, name, r#"{"Version":"2012-10-17","Statement":[]}"#, 7),
                test_change(),
            )
            .await
            .unwrap();
    }
    store
        .append_audit(&[(1, "{\"op\":\"backup fill\"}".to_owned())], test_link)
        .await
        .unwrap();
    store.init_meta("root-key-check", b"check").await.unwrap();
}

/// Exports `source` (filled by [`fill_for_backup`]) and imports it into the
/// empty `target`: the target then exports exactly the same snapshot, and
/// reads through the ordinary methods see every version, label and stage.
pub async fn backup_round_trip(source: &dyn Store, target: &dyn Store) {
    let exported = source.export_snapshot().await.unwrap();
    assert_eq!(exported.parameters.len(), 2);
    let db = &exported.parameters[1];
    assert_eq!(
        (db.region.as_str(), db.name.as_str()),
        ("us-east-1", "/backup/db")
    );
    assert_eq!(
        db.versions.iter().map(|v| v.version).collect::<Vec<_>>(),
        vec![2, 3, 4],
        "the dropped version stays dropped"
    );
    assert_eq!(exported.kms_keys.len(), 2);
    assert_eq!(exported.kms_aliases.len(), 1);
    assert_eq!(
        exported
            .kms_key_materials
            .iter()
            .map(|m| (m.key_id.as_str(), m.version))
            .collect::<Vec<_>>(),
        vec![("backup-key", 1), ("backup-key", 2)]
    );
    assert_eq!(exported.secrets.len(), 1);
    assert_eq!(exported.access_keys.len(), 2);
    assert_eq!(
        exported
            .principals
            .iter()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>(),
        vec!["backup-deploy", "backup-dev"],
        "name order"
    );
    assert_eq!(
        exported
            .policies
            .iter()
            .map(|p| (p.principal_arn.as_str(), p.name.as_str()))
            .collect::<Vec<_>>(),
        vec![
            ("arn:aws:iam::000000000000:role/backup-deploy", "read"),
            ("arn:aws:iam::000000000000:user/backup-dev", "read"),
            ("arn:aws:iam::000000000000:user/backup-dev", "write"),
        ],
        "(principal arn, name) order"
    );
    assert!(
        exported
            .meta
            .contains(&("root-key-check".to_owned(), b"check".to_vec()))
    );

    target.import_snapshot(&exported).await.unwrap();
    assert_eq!(target.export_snapshot().await.unwrap(), exported);

    assert_eq!(
        history_numbers(target, "us-east-1", "/backup/db").await,
        vec![2, 3, 4]
    );
    assert_eq!(
        labels_of(target, "us-east-1", "/backup/db", 3).await,
        strings(&["blue", "prod"])
    );
    let by_label = found(
        target,
        "us-east-1",
        "/backup/db",
        VersionSelector::Label("latest".into()),
    )
    .await;
    assert_eq!(by_label.version.version, 4);
    assert_eq!(by_label.latest_version, 4);
    assert_eq!(by_label.tags, vec![tag("env", "prod"), tag("team", "core")]);
    // The restored parameter keeps working: the next version is 5.
    put(target, "us-east-1", overwrite("/backup/db", 4, b"sealed-5")).await;
    let key = target
        .get_kms_key("us-east-1", "backup-key")
        .await
        .unwrap()
        .unwrap();
    assert!(!key.enabled);
    assert_eq!(
        target
            .list_kms_key_materials("us-east-1", "backup-key")
            .await
            .unwrap(),
        vec![
            kms_material("us-east-1", "backup-key", 1),
            kms_material("us-east-1", "backup-key", 2)
        ],
        "rotated materials survive a restore"
    );
    assert_eq!(
        target
            .get_kms_alias("us-east-1", "alias/backup")
            .await
            .unwrap()
            .as_deref(),
        Some("backup-key")
    );
    let restored = secret(target, "us-east-1", "backup/secret").await;
    let stages: Vec<_> = restored
        .versions
        .iter()
        .map(|v| (v.version_id.as_str(), v.stages.clone()))
        .collect();
    assert_eq!(
        stages,
        vec![
            ("v0", Vec::new()),
            ("v1", strings(&["AWSPREVIOUS"])),
            ("v2", strings(&["AWSCURRENT", "custom"])),
        ],
        "oldest first, deprecated versions kept"
    );
    assert_eq!(
        restored.record.tags,
        vec![tag("z", "last"), tag("a", "first")]
    );
    assert_eq!(restored.record.deletion_date_ms, Some(9_000));
    let access = target.get_access_key("AKIABACKUP").await.unwrap().unwrap();
    assert_eq!(access.sealed_secret, vec![1, 2, 3, 4]);
    let used = target
        .get_access_key("AKIABACKUPDEV")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(used.retire_ms, Some(1_800_000_000_000));
    assert_eq!(used.last_used_ms, Some(1_700_000_000_500));
    assert_eq!(used.last_used_operation.as_deref(), Some("GetParameter"));
    let dev = target.get_principal("backup-dev").await.unwrap().unwrap();
    assert_eq!(dev.tags, vec![tag("team", "core")]);
    let source_dev = source.get_principal("backup-dev").await.unwrap().unwrap();
    assert_eq!(
        dev.unique_id, source_dev.unique_id,
        "a restored principal keeps its unique id, so its sessions stay valid"
    );
    assert!(dev.unique_id.starts_with("AIDA"), "{}", dev.unique_id);
    assert_eq!(
        target
            .get_principal("backup-deploy")
            .await
            .unwrap()
            .unwrap()
            .kind,
        PrincipalKind::Role
    );
    assert_eq!(target.list_policies(&dev.arn).await.unwrap().len(), 2);
    assert_eq!(
        target.audit_head().await.unwrap(),
        None,
        "the audit log is not part of a backup"
    );
}

/// A restore into a store that holds data, or whose root-key check value
/// differs, writes nothing and says why.
pub async fn restore_refuses_non_empty(filled: &dyn Store, other: &dyn Store) {
    let snapshot = filled.export_snapshot().await.unwrap();
    let err = filled.import_snapshot(&snapshot).await.unwrap_err();
    assert!(matches!(err, StoreError::NotEmpty(_)), "{err}");

    other
        .init_meta("root-key-check", b"another root key")
        .await
        .unwrap();
    let err = other.import_snapshot(&snapshot).await.unwrap_err();
    assert!(matches!(err, StoreError::NotEmpty(_)), "{err}");
    assert!(
        other.export_snapshot().await.unwrap().is_empty(),
        "a refused restore writes nothing"
    );
}
