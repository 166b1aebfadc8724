//! Service-level tests: the real SQLite store (in memory), a real keyring
//! and a hand-driven clock.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use kinko_crypto::{RootKey, SecretBytes, SecretString};
use kinko_model::Tag;
use kinko_store::{SqliteStore, Store};

use super::service::DAY_MS;
use super::*;
use crate::keyring::Keyring;

const T0: i64 = 1_700_000_000_000;

#[derive(Debug)]
struct TestClock(AtomicI64);

impl Clock for TestClock {
    fn now_ms(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

impl TestClock {
    fn advance(&self, ms: i64) {
        self.0.fetch_add(ms, Ordering::SeqCst);
    }
}

struct Env {
    sm: SecretsManager,
    store: Arc<dyn Store>,
    keyring: Arc<Keyring>,
    clock: Arc<TestClock>,
}

fn env() -> Env {
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory().unwrap());
    let keyring = Arc::new(Keyring::new(
        store.clone(),
        RootKey::generate(),
        "123456789012".into(),
    ));
    let clock = Arc::new(TestClock(AtomicI64::new(T0)));
    let sm = SecretsManager::new(store.clone(), keyring.clone()).with_clock(clock.clone());
    Env {
        sm,
        store,
        keyring,
        clock,
    }
}

fn caller_in(region: &str) -> Caller {
    Caller {
        region: region.into(),
        account_id: "123456789012".into(),
        arn: "arn:aws:iam::123456789012:user/alice".into(),
    }
}

fn caller() -> Caller {
    caller_in("us-east-1")
}

fn token(n: u32) -> String {
    format!("00000000-0000-4000-8000-{n:012}")
}

fn text(s: &str) -> Option<SecretValue> {
    Some(SecretValue::Text(SecretString::from(s)))
}

fn create(name: &str, value: &str, t: u32) -> CreateSecretInput {
    CreateSecretInput {
        name: name.into(),
        client_request_token: Some(token(t)),
        value: text(value),
        ..Default::default()
    }
}

fn put(id: &str, value: &str, t: u32, stages: Option<&[&str]>) -> PutSecretValueInput {
    PutSecretValueInput {
        secret_id: id.into(),
        client_request_token: Some(token(t)),
        value: text(value),
        version_stages: stages.map(|s| s.iter().map(|x| x.to_string()).collect()),
    }
}

fn get(id: &str) -> GetSecretValueInput {
    GetSecretValueInput {
        secret_id: id.into(),
        ..Default::default()
    }
}

fn value_text(out: &SecretValueOutput) -> String {
    match &out.value {
        SecretValue::Text(s) => s.expose().to_owned(),
        SecretValue::Binary(_) => panic!("expected a string"),
    }
}

fn stages_map(d: &SecretDescription) -> Vec<(String, Vec<String>)> {
    d.version_ids_to_stages.clone()
}

fn pairs(list: &[(u32, &[&str])]) -> Vec<(String, Vec<String>)> {
    list.iter()
        .map(|(t, s)| (token(*t), s.iter().map(|x| x.to_string()).collect()))
        .collect()
}

#[tokio::test]
async fn create_get_describe_round_trip() {
    let e = env();
    let c = caller();
    let out =
        e.sm.create_secret(&c, create("app/db", "pw-1", 1))
            .await
            .unwrap();
    assert_eq!(out.name, "app/db");
    assert_eq!(out.version_id, Some(token(1)));
    assert!(
        out.arn
            .starts_with("arn:aws:secretsmanager:us-east-1:123456789012:secret:app/db-")
    );
    assert_eq!(
        out.arn.len(),
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:app/db-".len() + 6
    );

    let v = e.sm.get_secret_value(&c, &get("app/db")).await.unwrap();
    assert_eq!(value_text(&v), "pw-1");
    assert_eq!(v.version_stages, ["AWSCURRENT"]);
    assert_eq!(v.created_ms, T0);
    assert_eq!(v.arn, out.arn);

    let d = e.sm.describe_secret(&c, "app/db").await.unwrap();
    assert_eq!(d.created_ms, T0);
    assert_eq!(d.tags, None);
    assert_eq!(d.kms_key_id, None);
    assert_eq!(d.last_accessed_ms, Some(T0 - T0 % DAY_MS));
    assert_eq!(stages_map(&d), pairs(&[(1, &["AWSCURRENT"])]));

    // The sealed value is not the plaintext, and is bound to this secret.
    let state = e
        .store
        .get_secret("us-east-1", "app/db")
        .await
        .unwrap()
        .unwrap();
    assert!(!state.versions[0].value.windows(4).any(|w| w == b"pw-1"));
}

#[tokio::test]
async fn secret_ids_name_full_and_partial_arn() {
    let e = env();
    let c = caller();
    let arn =
        e.sm.create_secret(&c, create("app/db", "v", 1))
            .await
            .unwrap()
            .arn;
    let partial = arn[..arn.len() - 7].to_owned();
    for id in [&"app/db".to_owned(), &arn, &partial] {
        assert_eq!(
            value_text(&e.sm.get_secret_value(&c, &get(id)).await.unwrap()),
            "v"
        );
    }
    let wrong_suffix = format!("{partial}-ZZZZZZ");
    assert_eq!(
        e.sm.get_secret_value(&c, &get(&wrong_suffix))
            .await
            .unwrap_err(),
        SecretsError::secret_not_found()
    );
    // Another region's ARN does not reach this one.
    let other = caller_in("eu-west-1");
    assert!(e.sm.get_secret_value(&other, &get(&arn)).await.is_err());

    // The caveat: a name that looks like it ends in a suffix.
    let tricky =
        e.sm.create_secret(&c, create("x-a1b2c3", "t", 2))
            .await
            .unwrap()
            .arn;
    assert!(e.sm.get_secret_value(&c, &get("x-a1b2c3")).await.is_ok());
    assert!(e.sm.get_secret_value(&c, &get(&tricky)).await.is_ok());
    let tricky_partial = &tricky[..tricky.len() - 7];
    assert_eq!(
        e.sm.get_secret_value(&c, &get(tricky_partial))
            .await
            .unwrap_err(),
        SecretsError::secret_not_found()
    );
}

#[tokio::test]
async fn create_idempotency_and_conflicts() {
    let e = env();
    let c = caller();
    let first = e.sm.create_secret(&c, create("s", "v", 1)).await.unwrap();
    // A retry of the same request succeeds with the same answer.
    let again = e.sm.create_secret(&c, create("s", "v", 1)).await.unwrap();
    assert_eq!(first, again);
    // Same token, other value.
    let err =
        e.sm.create_secret(&c, create("s", "other", 1))
            .await
            .unwrap_err();
    assert_eq!(
        err,
        SecretsError::ResourceExists(format!(
            "You can't use ClientRequestToken {} because that value is already in use for a version of secret {}.",
            token(1),
            first.arn
        ))
    );
    // Another token: the name is taken.
    assert_eq!(
        e.sm.create_secret(&c, create("s", "v", 2))
            .await
            .unwrap_err(),
        SecretsError::ResourceExists(
            "The operation failed because the secret s already exists.".into()
        )
    );
    // Missing token (a raw HTTP caller), bad name.
    let mut no_token = create("t", "v", 3);
    no_token.client_request_token = None;
    assert_eq!(
        e.sm.create_secret(&c, no_token).await.unwrap_err(),
        SecretsError::InvalidRequest(
            "You must provide a ClientRequestToken value. We recommend a UUID-type value.".into()
        )
    );
    assert!(matches!(
        e.sm.create_secret(&c, create("bad name", "v", 4)).await.unwrap_err(),
        SecretsError::Validation(m) if m.starts_with("Invalid name. Must be a valid name")
    ));
    // Only one version exists.
    let versions =
        e.sm.list_secret_version_ids(
            &c,
            &ListSecretVersionIdsInput {
                secret_id: "s".into(),
                include_deprecated: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(versions.versions.len(), 1);
}

#[tokio::test]
async fn create_without_value_has_no_current_version() {
    let e = env();
    let c = caller();
    let mut input = create("empty", "", 1);
    input.value = None;
    let out = e.sm.create_secret(&c, input).await.unwrap();
    assert_eq!(out.version_id, None);
    assert_eq!(
        e.sm.get_secret_value(&c, &get("empty")).await.unwrap_err(),
        SecretsError::ResourceNotFound(
            "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT"
                .into()
        )
    );
    assert!(
        e.sm.describe_secret(&c, "empty")
            .await
            .unwrap()
            .version_ids_to_stages
            .is_empty()
    );
    // The first put gets AWSCURRENT even when asked for AWSPENDING only.
    let p =
        e.sm.put_secret_value(&c, put("empty", "v", 2, Some(&["AWSPENDING"])))
            .await
            .unwrap();
    assert_eq!(p.version_stages, ["AWSCURRENT", "AWSPENDING"]);
}

#[tokio::test]
async fn put_idempotency() {
    let e = env();
    let c = caller();
    e.sm.create_secret(&c, create("s", "v1", 1)).await.unwrap();
    let p =
        e.sm.put_secret_value(&c, put("s", "v2", 2, None))
            .await
            .unwrap();
    assert_eq!(p.version_stages, ["AWSCURRENT"]);
    let retry =
        e.sm.put_secret_value(&c, put("s", "v2", 2, None))
            .await
            .unwrap();
    assert_eq!(retry, p);
    let d = e.sm.describe_secret(&c, "s").await.unwrap();
    assert_eq!(
        stages_map(&d),
        pairs(&[(1, &["AWSPREVIOUS"]), (2, &["AWSCURRENT"])])
    );
    let err =
        e.sm.put_secret_value(&c, put("s", "v3", 2, None))
            .await
            .unwrap_err();
    assert!(matches!(err, SecretsError::ResourceExists(m) if m.contains(&token(2))));
    // Without a value or a token.
    let mut none = put("s", "x", 3, None);
    none.value = None;
    assert_eq!(
        e.sm.put_secret_value(&c, none).await.unwrap_err(),
        SecretsError::InvalidRequest(
            "You must provide either SecretString or SecretBinary.".into()
        )
    );
    let mut no_token = put("missing", "x", 3, None);
    no_token.client_request_token = None;
    assert_eq!(
        e.sm.put_secret_value(&c, no_token).await.unwrap_err(),
        SecretsError::missing_token()
    );
    assert_eq!(
        e.sm.put_secret_value(&c, put("missing", "x", 3, None))
            .await
            .unwrap_err(),
        SecretsError::secret_not_found()
    );
}

#[tokio::test]
async fn binary_round_trip_byte_for_byte() {
    let e = env();
    let c = caller();
    let bytes: Vec<u8> = (0..=255u8).chain([0, 0xff, 0x80]).collect();
    let mut input = create("bin", "", 1);
    input.value = Some(SecretValue::Binary(SecretBytes::new(bytes.clone())));
    e.sm.create_secret(&c, input).await.unwrap();
    let out = e.sm.get_secret_value(&c, &get("bin")).await.unwrap();
    match out.value {
        SecretValue::Binary(b) => assert_eq!(b.expose(), &bytes[..]),
        SecretValue::Text(_) => panic!("binary came back as text"),
    }
    // The same bytes as a string are a different value for idempotency.
    let mut as_text = put("bin", "", 1, None);
    as_text.value = text("abc");
    assert!(matches!(
        e.sm.put_secret_value(&c, as_text).await.unwrap_err(),
        SecretsError::ResourceExists(_)
    ));
}

#[tokio::test]
async fn stage_trace_over_the_service() {
    let e = env();
    let c = caller();
    e.sm.create_secret(&c, create("s", "v1", 1)).await.unwrap();
    e.sm.put_secret_value(&c, put("s", "v2", 2, Some(&["AWSPENDING"])))
        .await
        .unwrap();
    let d = e.sm.describe_secret(&c, "s").await.unwrap();
    assert_eq!(
        stages_map(&d),
        pairs(&[(1, &["AWSCURRENT"]), (2, &["AWSPENDING"])])
    );

    // Moving without naming the holder is refused.
    let mut mv = UpdateSecretVersionStageInput {
        secret_id: "s".into(),
        version_stage: "AWSCURRENT".into(),
        remove_from_version_id: None,
        move_to_version_id: Some(token(2)),
    };
    assert!(matches!(
        e.sm.update_secret_version_stage(&c, &mv).await.unwrap_err(),
        SecretsError::InvalidParameter(m) if m.contains("RemoveFromVersionId can't be empty")
    ));
    mv.remove_from_version_id = Some(token(1));
    e.sm.update_secret_version_stage(&c, &mv).await.unwrap();
    let d = e.sm.describe_secret(&c, "s").await.unwrap();
    assert_eq!(
        stages_map(&d),
        pairs(&[(1, &["AWSPREVIOUS"]), (2, &["AWSCURRENT", "AWSPENDING"])])
    );
    assert_eq!(
        value_text(&e.sm.get_secret_value(&c, &get("s")).await.unwrap()),
        "v2"
    );

    e.sm.put_secret_value(&c, put("s", "v3", 3, None))
        .await
        .unwrap();
    let d = e.sm.describe_secret(&c, "s").await.unwrap();
    assert_eq!(
        stages_map(&d),
        pairs(&[(2, &["AWSPREVIOUS"]), (3, &["AWSCURRENT"])])
    );

    // v1 is deprecated: hidden by default, listed with IncludeDeprecated, still readable by id.
    let mut list = ListSecretVersionIdsInput {
        secret_id: "s".into(),
        ..Default::default()
    };
    let ids: Vec<_> =
        e.sm.list_secret_version_ids(&c, &list)
            .await
            .unwrap()
            .versions;
    assert_eq!(ids.len(), 2);
    list.include_deprecated = true;
    let all =
        e.sm.list_secret_version_ids(&c, &list)
            .await
            .unwrap()
            .versions;
    let v1 = all.iter().find(|v| v.version_id == token(1)).unwrap();
    assert_eq!(v1.version_stages, None);
    assert_eq!(v1.kms_key_ids, ["DefaultEncryptionKey"]);
    let by_id =
        e.sm.get_secret_value(
            &c,
            &GetSecretValueInput {
                secret_id: "s".into(),
                version_id: Some(token(1)),
                version_stage: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(value_text(&by_id), "v1");
    assert!(by_id.version_stages.is_empty());

    // Selector errors.
    let bad = |id: Option<String>, stage: Option<&str>| GetSecretValueInput {
        secret_id: "s".into(),
        version_id: id,
        version_stage: stage.map(str::to_owned),
    };
    assert_eq!(
        e.sm.get_secret_value(&c, &bad(Some(token(9)), None))
            .await
            .unwrap_err(),
        SecretsError::version_not_found(&token(9))
    );
    assert_eq!(
        e.sm.get_secret_value(&c, &bad(None, Some("AWSPENDING")))
            .await
            .unwrap_err(),
        SecretsError::stage_not_found("AWSPENDING")
    );
    assert_eq!(
        e.sm.get_secret_value(&c, &bad(Some(token(2)), Some("AWSCURRENT")))
            .await
            .unwrap_err(),
        SecretsError::InvalidRequest(
            "You provided a VersionStage that is not associated to the provided VersionId.".into()
        )
    );
    let prev =
        e.sm.get_secret_value(&c, &bad(None, Some("AWSPREVIOUS")))
            .await
            .unwrap();
    assert_eq!(value_text(&prev), "v2");
}

#[tokio::test]
async fn update_secret_metadata_value_and_key() {
    let e = env();
    let c = caller();
    e.sm.create_secret(&c, create("s", "v1", 1)).await.unwrap();
    e.clock.advance(1000);
    let out =
        e.sm.update_secret(
            &c,
            UpdateSecretInput {
                secret_id: "s".into(),
                description: Some("the db".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(out.version_id, None);
    let d = e.sm.describe_secret(&c, "s").await.unwrap();
    assert_eq!(d.description.as_deref(), Some("the db"));
    assert_eq!(d.last_changed_ms, T0 + 1000);

    // A new value makes a version; a custom key re-encrypts the labelled ones.
    let key = e
        .keyring
        .resolve("us-east-1", "alias/aws/ssm")
        .await
        .unwrap();
    let out =
        e.sm.update_secret(
            &c,
            UpdateSecretInput {
                secret_id: "s".into(),
                client_request_token: Some(token(2)),
                kms_key_id: Some(key.key_id.clone()),
                value: text("v2"),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(out.version_id, Some(token(2)));
    let d = e.sm.describe_secret(&c, "s").await.unwrap();
    assert_eq!(d.kms_key_id.as_deref(), Some(key.key_id.as_str()));
    assert_eq!(
        stages_map(&d),
        pairs(&[(1, &["AWSPREVIOUS"]), (2, &["AWSCURRENT"])])
    );
    let state = e.store.get_secret("us-east-1", "s").await.unwrap().unwrap();
    for v in &state.versions {
        assert_eq!(
            kinko_crypto::envelope::key_id(&v.value).unwrap(),
            key.key_id
        );
    }
    let prev =
        e.sm.get_secret_value(
            &c,
            &GetSecretValueInput {
                secret_id: "s".into(),
                version_stage: Some("AWSPREVIOUS".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(value_text(&prev), "v1");
    // An unknown key fails the write.
    let err =
        e.sm.update_secret(
            &c,
            UpdateSecretInput {
                secret_id: "s".into(),
                client_request_token: Some(token(3)),
                kms_key_id: Some("alias/nope".into()),
                value: text("v3"),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, SecretsError::EncryptionFailure(m) if m.contains("alias/nope")));
}

#[tokio::test]
async fn tampered_value_is_a_clear_fault() {
    let e = env();
    let c = caller();
    e.sm.create_secret(&c, create("a", "SEKRET-A", 1))
        .await
        .unwrap();
    e.sm.create_secret(&c, create("b", "SEKRET-B", 2))
        .await
        .unwrap();
    // Copy a's sealed value onto b's version: the AAD no longer matches.
    let a = e.store.get_secret("us-east-1", "a").await.unwrap().unwrap();
    let b = e.store.get_secret("us-east-1", "b").await.unwrap().unwrap();
    let mut moved = b.versions[0].clone();
    moved.value = a.versions[0].value.clone();
    e.store
        .write_secrets(
            vec![kinko_store::SecretWrite::Update {
                expected_revision: b.record.revision,
                record: b.record.clone(),
                upsert_versions: vec![moved],
                delete_versions: Vec::new(),
            }],
            vec![crate::changes::test_change()],
        )
        .await
        .unwrap();
    let err = e.sm.get_secret_value(&c, &get("b")).await.unwrap_err();
    match err {
        SecretsError::Tampered(m) => {
            assert!(m.contains("secret b"));
            assert!(!m.contains("SEKRET"));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn deletion_window_restore_and_purge() {
    let e = env();
    let c = caller();
    e.sm.create_secret(&c, create("s", "v", 1)).await.unwrap();
    let bad = |days, force| DeleteSecretInput {
        secret_id: "s".into(),
        recovery_window_in_days: days,
        force_delete_without_recovery: force,
    };
    assert_eq!(
        e.sm.delete_secret(&c, &bad(Some(7), Some(true)))
            .await
            .unwrap_err(),
        SecretsError::InvalidParameter(
            "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays."
                .into()
        )
    );
    assert_eq!(
        e.sm.delete_secret(&c, &bad(Some(6), None))
            .await
            .unwrap_err(),
        SecretsError::InvalidParameter(
            "The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).".into()
        )
    );
    let out = e.sm.delete_secret(&c, &bad(Some(7), None)).await.unwrap();
    assert_eq!(out.deletion_ms, T0 + 7 * DAY_MS);

    // Marked for deletion: describable, not readable or writable.
    let d = e.sm.describe_secret(&c, "s").await.unwrap();
    assert_eq!(d.deleted_ms, Some(T0));
    let marked = SecretsError::marked_for_deletion();
    assert_eq!(
        e.sm.get_secret_value(&c, &get("s")).await.unwrap_err(),
        marked
    );
    assert_eq!(
        e.sm.put_secret_value(&c, put("s", "x", 2, None))
            .await
            .unwrap_err(),
        marked
    );
    assert_eq!(
        e.sm.tag_resource(
            &c,
            "s",
            &[Tag {
                key: "k".into(),
                value: "v".into()
            }]
        )
        .await
        .unwrap_err(),
        marked
    );
    assert_eq!(
        e.sm.delete_secret(&c, &bad(None, None)).await.unwrap_err(),
        SecretsError::InvalidRequest(
            "You tried to perform the operation on a secret that's currently marked deleted."
                .into()
        )
    );
    assert_eq!(
        e.sm.create_secret(&c, create("s", "v", 1)).await.unwrap_err(),
        SecretsError::InvalidRequest(
            "You can't create this secret because a secret with this name is already scheduled for deletion.".into()
        )
    );
    // Hidden from ListSecrets unless asked.
    let mut list = ListSecretsInput::default();
    assert!(
        e.sm.list_secrets(&c, &list)
            .await
            .unwrap()
            .secrets
            .is_empty()
    );
    list.include_planned_deletion = true;
    assert_eq!(e.sm.list_secrets(&c, &list).await.unwrap().secrets.len(), 1);

    // Restore, then delete again and let the window pass.
    e.sm.restore_secret(&c, "s").await.unwrap();
    assert_eq!(
        value_text(&e.sm.get_secret_value(&c, &get("s")).await.unwrap()),
        "v"
    );
    e.sm.restore_secret(&c, "s").await.unwrap(); // no-op on a live secret
    e.sm.delete_secret(&c, &bad(None, None)).await.unwrap();
    e.clock.advance(29 * DAY_MS);
    assert_eq!(e.sm.purge_due(e.clock.now_ms()).await.unwrap(), 0);
    assert!(e.sm.describe_secret(&c, "s").await.is_ok());
    e.clock.advance(DAY_MS);
    assert_eq!(e.sm.purge_due(e.clock.now_ms()).await.unwrap(), 1);
    assert_eq!(
        e.sm.describe_secret(&c, "s").await.unwrap_err(),
        SecretsError::secret_not_found()
    );
    // The name is free again, with a new suffix.
    e.sm.create_secret(&c, create("s", "new", 5)).await.unwrap();
}

#[tokio::test]
async fn force_delete() {
    let e = env();
    let c = caller();
    let arn =
        e.sm.create_secret(&c, create("s", "v", 1))
            .await
            .unwrap()
            .arn;
    let force = |id: &str| DeleteSecretInput {
        secret_id: id.into(),
        recovery_window_in_days: None,
        force_delete_without_recovery: Some(true),
    };
    let out = e.sm.delete_secret(&c, &force("s")).await.unwrap();
    assert_eq!((out.arn.as_str(), out.deletion_ms), (arn.as_str(), T0));
    assert!(
        e.store
            .get_secret("us-east-1", "s")
            .await
            .unwrap()
            .is_none()
    );
    // On a missing secret too.
    let out = e.sm.delete_secret(&c, &force("gone")).await.unwrap();
    assert_eq!(out.name, "gone");
    let again =
        e.sm.create_secret(&c, create("s", "v", 1))
            .await
            .unwrap()
            .arn;
    assert_ne!(again, arn, "a recreated secret gets a new suffix");
}

#[tokio::test]
async fn tags_merge_and_untag() {
    let e = env();
    let c = caller();
    e.sm.create_secret(&c, create("s", "v", 1)).await.unwrap();
    let t = |k: &str, v: &str| Tag {
        key: k.into(),
        value: v.into(),
    };
    e.sm.tag_resource(&c, "s", &[t("b", "1"), t("a", "2")])
        .await
        .unwrap();
    e.sm.tag_resource(&c, "s", &[t("b", "3"), t("c", "4")])
        .await
        .unwrap();
    let d = e.sm.describe_secret(&c, "s").await.unwrap();
    assert_eq!(d.tags, Some(vec![t("b", "3"), t("a", "2"), t("c", "4")]));
    e.sm.untag_resource(&c, "s", &["a".into(), "b".into(), "c".into(), "zz".into()])
        .await
        .unwrap();
    assert_eq!(
        e.sm.describe_secret(&c, "s").await.unwrap().tags,
        Some(vec![])
    );
    assert!(matches!(
        e.sm.tag_resource(&c, "s", &[t("aws:x", "1")])
            .await
            .unwrap_err(),
        SecretsError::InvalidParameter(_)
    ));
}

#[tokio::test]
async fn list_filters_sort_and_paging() {
    let e = env();
    let c = caller();
    let names = ["prod/db", "prod/api", "dev/db", "dev/api", "other"];
    for (i, n) in names.iter().enumerate() {
        let mut input = create(n, "v", i as u32 + 1);
        input.description = Some(format!("Secret number {i} for {}", n.replace('/', " ")));
        input.tags = vec![Tag {
            key: "env".into(),
            value: n.split('/').next().unwrap().into(),
        }];
        e.sm.create_secret(&c, input).await.unwrap();
        e.clock.advance(1000);
    }
    let list = |filters: Vec<SecretFilter>| ListSecretsInput {
        filters,
        ..Default::default()
    };
    let f = |key, values: &[&str]| SecretFilter {
        key,
        values: values.iter().map(|v| v.to_string()).collect(),
    };
    let names_of = |out: ListSecretsOutput| -> Vec<String> {
        out.secrets.into_iter().map(|d| d.name).collect()
    };

    // Default: created-date ascending.
    assert_eq!(
        names_of(e.sm.list_secrets(&c, &list(vec![])).await.unwrap()),
        names
    );
    let got = names_of(
        e.sm.list_secrets(&c, &list(vec![f(FilterKey::Name, &["prod/"])]))
            .await
            .unwrap(),
    );
    assert_eq!(got, ["prod/db", "prod/api"]);
    let got = names_of(
        e.sm.list_secrets(
            &c,
            &list(vec![
                f(FilterKey::Name, &["prod/", "dev/"]),
                f(FilterKey::Name, &["!dev/api"]),
            ]),
        )
        .await
        .unwrap(),
    );
    assert_eq!(got, ["prod/db", "prod/api", "dev/db"]);
    let got = names_of(
        e.sm.list_secrets(&c, &list(vec![f(FilterKey::TagValue, &["dev"])]))
            .await
            .unwrap(),
    );
    assert_eq!(got, ["dev/db", "dev/api"]);
    let got = names_of(
        e.sm.list_secrets(&c, &list(vec![f(FilterKey::Description, &["NUMBER 4"])]))
            .await
            .unwrap(),
    );
    // Word-wise, as the user guide's "My Description" example shows.
    assert_eq!(got, ["other"], "every word of a description value");
    let got = names_of(
        e.sm.list_secrets(&c, &list(vec![f(FilterKey::Description, &["SECRET"])]))
            .await
            .unwrap(),
    );
    assert_eq!(got.len(), 5);
    let got = names_of(
        e.sm.list_secrets(&c, &list(vec![f(FilterKey::All, &["DB PROD"])]))
            .await
            .unwrap(),
    );
    assert_eq!(got, ["prod/db"]);
    let got = names_of(
        e.sm.list_secrets(&c, &list(vec![f(FilterKey::Name, &["Prod"])]))
            .await
            .unwrap(),
    );
    assert!(got.is_empty(), "name filter is case-sensitive");

    // Sort by name descending, two per page.
    let mut input = ListSecretsInput {
        sort_by: SortBy::Name,
        sort_order: SortOrder::Desc,
        max_results: Some(2),
        ..Default::default()
    };
    let mut seen = Vec::new();
    loop {
        let page = e.sm.list_secrets(&c, &input).await.unwrap();
        assert!(page.secrets.len() <= 2);
        seen.extend(page.secrets.into_iter().map(|d| d.name));
        match page.next_token {
            Some(t) => input.next_token = Some(t),
            None => break,
        }
    }
    assert_eq!(seen, ["prod/db", "prod/api", "other", "dev/db", "dev/api"]);

    // A token from other filters, or forged, is refused.
    let first =
        e.sm.list_secrets(
            &c,
            &ListSecretsInput {
                max_results: Some(1),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let token = first.next_token.unwrap();
    let mut other = list(vec![f(FilterKey::Name, &["p"])]);
    other.next_token = Some(token);
    assert_eq!(
        e.sm.list_secrets(&c, &other).await.unwrap_err(),
        SecretsError::invalid_next_token()
    );
    other.next_token = Some("garbage".into());
    assert_eq!(
        e.sm.list_secrets(&c, &other).await.unwrap_err(),
        SecretsError::invalid_next_token()
    );
}

#[tokio::test]
async fn batch_get() {
    let e = env();
    let c = caller();
    e.sm.create_secret(&c, create("a", "va", 1)).await.unwrap();
    e.sm.create_secret(&c, create("b", "vb", 2)).await.unwrap();
    let out =
        e.sm.batch_get_secret_value(
            &c,
            &BatchGetSecretValueInput {
                secret_ids: Some(vec!["a".into(), "nope".into(), "b".into()]),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let got: Vec<String> = out.values.iter().map(value_text).collect();
    assert_eq!(got, ["va", "vb"]);
    assert_eq!(
        out.errors,
        vec![BatchError {
            secret_id: "nope".into(),
            error_code: "ResourceNotFoundException",
            message: "Secrets Manager can't find the specified secret.".into(),
        }]
    );
    let out =
        e.sm.batch_get_secret_value(
            &c,
            &BatchGetSecretValueInput {
                filters: Some(vec![SecretFilter {
                    key: FilterKey::Name,
                    values: vec!["b".into()],
                }]),
                max_results: Some(5),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(out.values.len(), 1);
    assert_eq!(value_text(&out.values[0]), "vb");
    let both = BatchGetSecretValueInput {
        secret_ids: Some(vec!["a".into()]),
        filters: Some(vec![]),
        ..Default::default()
    };
    assert_eq!(
        e.sm.batch_get_secret_value(&c, &both).await.unwrap_err(),
        SecretsError::InvalidParameter(
            "Either 'SecretIdList' or 'Filters' must be provided, but not both.".into()
        )
    );
    let max_only = BatchGetSecretValueInput {
        secret_ids: Some(vec!["a".into()]),
        max_results: Some(3),
        ..Default::default()
    };
    assert!(matches!(
        e.sm.batch_get_secret_value(&c, &max_only).await.unwrap_err(),
        SecretsError::InvalidParameter(m) if m.starts_with("'Filters' not specified.")
    ));
}

#[tokio::test]
async fn resource_policies() {
    let e = env();
    let c = caller();
    e.sm.create_secret(&c, create("s", "v", 1)).await.unwrap();
    let public = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"secretsmanager:GetSecretValue","Resource":"*"}]}"#;
    assert!(
        e.sm.get_resource_policy(&c, "s")
            .await
            .unwrap()
            .resource_policy
            .is_none()
    );
    assert!(matches!(
        e.sm.put_resource_policy(&c, "s", public, true)
            .await
            .unwrap_err(),
        SecretsError::PublicPolicy(_)
    ));
    assert!(matches!(
        e.sm.put_resource_policy(&c, "s", "{", false)
            .await
            .unwrap_err(),
        SecretsError::MalformedPolicyDocument(_)
    ));
    e.sm.put_resource_policy(&c, "s", public, false)
        .await
        .unwrap();
    assert_eq!(
        e.sm.get_resource_policy(&c, "s")
            .await
            .unwrap()
            .resource_policy
            .as_deref(),
        Some(public)
    );
    let v =
        e.sm.validate_resource_policy(&c, None, public)
            .await
            .unwrap();
    assert!(!v.passed);
    assert_eq!(v.errors.len(), 1);
    e.sm.delete_resource_policy(&c, "s").await.unwrap();
    e.sm.delete_resource_policy(&c, "s").await.unwrap();
    assert!(
        e.sm.get_resource_policy(&c, "s")
            .await
            .unwrap()
            .resource_policy
            .is_none()
    );
}

#[tokio::test]
async fn replication_follows_the_primary() {
    let e = env();
    let c = caller();
    let eu = caller_in("eu-west-1");
    let mut input = create("shared", "v1", 1);
    input.add_replica_regions = vec![ReplicaRegion {
        region: "eu-west-1".into(),
        kms_key_id: None,
    }];
    let out = e.sm.create_secret(&c, input).await.unwrap();
    assert_eq!(out.replication_status.len(), 1);
    assert_eq!(out.replication_status[0].status, "InSync");

    let replica = e.sm.describe_secret(&eu, "shared").await.unwrap();
    assert_eq!(replica.primary_region.as_deref(), Some("us-east-1"));
    assert_eq!(replica.arn, out.arn.replace("us-east-1", "eu-west-1"));
    assert_eq!(
        value_text(&e.sm.get_secret_value(&eu, &get("shared")).await.unwrap()),
        "v1"
    );
    let primary = e.sm.describe_secret(&c, "shared").await.unwrap();
    assert_eq!(primary.primary_region.as_deref(), Some("us-east-1"));
    assert_eq!(primary.replication_status[0].region, "eu-west-1");
    assert_eq!(
        primary.replication_status[0].status_message.as_deref(),
        Some("Replication succeeded")
    );

    // A put on the primary is visible in the replica region, stages included.
    e.sm.put_secret_value(&c, put("shared", "v2", 2, None))
        .await
        .unwrap();
    assert_eq!(
        value_text(&e.sm.get_secret_value(&eu, &get("shared")).await.unwrap()),
        "v2"
    );
    let r = e.sm.describe_secret(&eu, "shared").await.unwrap();
    assert_eq!(
        stages_map(&r),
        pairs(&[(1, &["AWSPREVIOUS"]), (2, &["AWSCURRENT"])])
    );
    e.sm.tag_resource(
        &c,
        "shared",
        &[Tag {
            key: "k".into(),
            value: "v".into(),
        }],
    )
    .await
    .unwrap();
    assert_eq!(
        e.sm.describe_secret(&eu, "shared")
            .await
            .unwrap()
            .tags
            .unwrap()
            .len(),
        1
    );

    // The replica is read-only.
    assert_eq!(
        e.sm.put_secret_value(&eu, put("shared", "x", 3, None))
            .await
            .unwrap_err(),
        SecretsError::replica_read_only()
    );
    assert_eq!(
        e.sm.tag_resource(&eu, "shared", &[]).await.unwrap_err(),
        SecretsError::replica_read_only()
    );

    // A name already taken elsewhere fails unless forced.
    let west = caller_in("us-west-2");
    e.sm.create_secret(&west, create("shared", "mine", 7))
        .await
        .unwrap();
    let out =
        e.sm.replicate_secret_to_regions(
            &c,
            "shared",
            &[ReplicaRegion {
                region: "us-west-2".into(),
                kms_key_id: None,
            }],
            false,
        )
        .await
        .unwrap();
    let w = out
        .replication_status
        .iter()
        .find(|s| s.region == "us-west-2")
        .unwrap();
    assert_eq!(w.status, "Failed");
    assert_eq!(
        value_text(&e.sm.get_secret_value(&west, &get("shared")).await.unwrap()),
        "mine"
    );
    let out =
        e.sm.replicate_secret_to_regions(
            &c,
            "shared",
            &[ReplicaRegion {
                region: "us-west-2".into(),
                kms_key_id: None,
            }],
            true,
        )
        .await
        .unwrap();
    assert!(out.replication_status.iter().all(|s| s.status == "InSync"));
    assert_eq!(
        value_text(&e.sm.get_secret_value(&west, &get("shared")).await.unwrap()),
        "v2"
    );

    // Remove one region; stop replication promotes the other.
    e.sm.remove_regions_from_replication(&c, "shared", &["us-west-2".into()])
        .await
        .unwrap();
    assert!(e.sm.describe_secret(&west, "shared").await.is_err());
    e.sm.stop_replication_to_replica(&eu, "shared")
        .await
        .unwrap();
    let promoted = e.sm.describe_secret(&eu, "shared").await.unwrap();
    assert_eq!(promoted.primary_region, None);
    e.sm.put_secret_value(&eu, put("shared", "eu-own", 4, None))
        .await
        .unwrap();
    assert_eq!(
        value_text(&e.sm.get_secret_value(&c, &get("shared")).await.unwrap()),
        "v2"
    );
    let primary = e.sm.describe_secret(&c, "shared").await.unwrap();
    assert!(primary.replication_status.is_empty());

    // A primary with replicas can't be deleted until they are removed (AWS's rule).
    let mut input = create("both", "b", 9);
    input.add_replica_regions = vec![
        ReplicaRegion {
            region: "eu-west-1".into(),
            kms_key_id: None,
        },
        ReplicaRegion {
            region: "ap-south-1".into(),
            kms_key_id: Some("alias/missing".into()),
        },
    ];
    let out = e.sm.create_secret(&c, input).await.unwrap();
    let failed = &out.replication_status[1];
    assert_eq!(
        (failed.region.as_str(), failed.status.as_str()),
        ("ap-south-1", "Failed")
    );
    assert!(
        failed
            .status_message
            .as_deref()
            .unwrap()
            .contains("alias/missing")
    );
    assert!(
        e.store
            .get_secret("ap-south-1", "both")
            .await
            .unwrap()
            .is_none()
    );
    let delete = DeleteSecretInput {
        secret_id: "both".into(),
        ..Default::default()
    };
    assert_eq!(
        e.sm.delete_secret(&c, &delete).await.unwrap_err(),
        SecretsError::InvalidParameter(format!(
            "You can't delete secret {} that still has replica regions [ap-south-1, eu-west-1].",
            out.arn
        ))
    );
    e.sm.remove_regions_from_replication(&c, "both", &["eu-west-1".into(), "ap-south-1".into()])
        .await
        .unwrap();
    assert!(
        e.store
            .get_secret("eu-west-1", "both")
            .await
            .unwrap()
            .is_none()
    );
    e.sm.delete_secret(&c, &delete).await.unwrap();
    e.clock.advance(30 * DAY_MS);
    assert_eq!(e.sm.purge_due(e.clock.now_ms()).await.unwrap(), 1);
    assert!(
        e.store
            .get_secret("us-east-1", "both")
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn last_accessed_is_written_once_a_day() {
    let e = env();
    let c = caller();
    e.sm.create_secret(&c, create("s", "v", 1)).await.unwrap();
    e.sm.get_secret_value(&c, &get("s")).await.unwrap();
    let r1 = e
        .store
        .get_secret("us-east-1", "s")
        .await
        .unwrap()
        .unwrap()
        .record
        .revision;
    e.sm.get_secret_value(&c, &get("s")).await.unwrap();
    let r2 = e
        .store
        .get_secret("us-east-1", "s")
        .await
        .unwrap()
        .unwrap()
        .record
        .revision;
    assert_eq!(r1, r2, "a second read the same day writes nothing");
    e.clock.advance(DAY_MS);
    e.sm.get_secret_value(&c, &get("s")).await.unwrap();
    let d = e.sm.describe_secret(&c, "s").await.unwrap();
    assert_eq!(d.last_accessed_ms, Some(T0 - T0 % DAY_MS + DAY_MS));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_puts_lose_no_version_and_keep_one_current() {
    let e = env();
    let c = caller();
    e.sm.create_secret(&c, create("hot", "v0", 1000))
        .await
        .unwrap();
    let sm = Arc::new(e.sm);
    let mut tasks = Vec::new();
    for i in 0..12u32 {
        let sm = sm.clone();
        let c = c.clone();
        tasks.push(tokio::spawn(async move {
            sm.put_secret_value(&c, put("hot", &format!("v{i}"), i, None))
                .await
                .unwrap()
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let state = e
        .store
        .get_secret("us-east-1", "hot")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(state.versions.len(), 13);
    let holders = |stage: &str| {
        state
            .versions
            .iter()
            .filter(|v| v.stages.iter().any(|s| s == stage))
            .count()
    };
    assert_eq!(holders("AWSCURRENT"), 1);
    assert_eq!(holders("AWSPREVIOUS"), 1);
}
