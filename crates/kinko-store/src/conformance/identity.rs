//! Access keys, principals, policies, key use, OpenID Connect providers.

use super::test_change;
use std::sync::Arc;

use kinko_model::principals::PrincipalKind;

use super::*;
use crate::*;

/// Every property of this area against `store`.
pub async fn run(store: Arc<dyn IdentityRows>) {
    access_keys(&*store).await;
    principals(&*store).await;
    policies(&*store).await;
    principal_cascade(&*store).await;
    access_key_management(&*store).await;
    oidc_providers(&*store).await;
}

/// Access keys are created once and read back whole.
pub async fn access_keys(store: &dyn IdentityRows) {
    let id = "AKIACONFORMANCE0001";
    assert_eq!(store.get_access_key(id).await.unwrap(), None);
    let key = AccessKeyRecord {
        access_key_id: id.to_owned(),
        principal_arn: "arn:aws:iam::000000000000:user/alice".to_owned(),
        sealed_secret: vec![1, 0, 2, 0xFE],
        active: true,
        created_ms: 1_700_000_000_456,
        retire_ms: None,
        last_used_ms: None,
        last_used_operation: None,
    };
    store
        .create_access_key(key.clone(), test_change())
        .await
        .unwrap();
    assert_eq!(store.get_access_key(id).await.unwrap(), Some(key.clone()));

    let impostor = AccessKeyRecord {
        principal_arn: "arn:aws:iam::000000000000:user/mallory".to_owned(),
        ..key.clone()
    };
    match store.create_access_key(impostor, test_change()).await {
        Err(StoreError::AlreadyExists) => {}
        other => panic!("expected AlreadyExists, got {other:?}"),
    }
    assert_eq!(store.get_access_key(id).await.unwrap(), Some(key));

    let inactive = AccessKeyRecord {
        access_key_id: "AKIACONFORMANCE0002".to_owned(),
        principal_arn: "arn:aws:iam::000000000000:role/deploy".to_owned(),
        sealed_secret: Vec::new(),
        active: false,
        created_ms: 0,
        retire_ms: None,
        last_used_ms: None,
        last_used_operation: None,
    };
    store
        .create_access_key(inactive.clone(), test_change())
        .await
        .unwrap();
    assert_eq!(
        store.get_access_key("AKIACONFORMANCE0002").await.unwrap(),
        Some(inactive)
    );
    assert_eq!(
        store.get_access_key("akiaconformance0001").await.unwrap(),
        None,
        "ids are exact"
    );
}

// ---- principals, policies, access-key management ----

pub(crate) const ACCOUNT_ARN: &str = "arn:aws:iam::000000000000";

pub(crate) fn principal(name: &str, kind: PrincipalKind) -> PrincipalRecord {
    let (path, trust_policy) = match kind {
        PrincipalKind::User => ("user", None),
        PrincipalKind::Role => (
            "role",
            Some(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow"}]}"#.to_owned()),
        ),
    };
    PrincipalRecord {
        name: name.to_owned(),
        kind,
        arn: format!("{ACCOUNT_ARN}:{path}/{name}"),
        unique_id: fresh_id(kind),
        tags: Vec::new(),
        trust_policy,
        created_ms: 1_700_000_000_000,
    }
}

pub(crate) fn policy(
    principal_arn: &str,
    name: &str,
    document: &str,
    updated_ms: i64,
) -> PolicyRecord {
    PolicyRecord {
        principal_arn: principal_arn.to_owned(),
        name: name.to_owned(),
        document: document.to_owned(),
        updated_ms,
    }
}

pub(crate) fn access_key(id: &str, principal_arn: &str, created_ms: i64) -> AccessKeyRecord {
    AccessKeyRecord {
        access_key_id: id.to_owned(),
        principal_arn: principal_arn.to_owned(),
        sealed_secret: vec![0xA5, 0, 1],
        active: true,
        created_ms,
        retire_ms: None,
        last_used_ms: None,
        last_used_operation: None,
    }
}

pub(crate) fn key_use(id: &str, used_ms: i64, operation: &str) -> KeyUse {
    KeyUse {
        access_key_id: id.to_owned(),
        used_ms,
        operation: operation.to_owned(),
    }
}

/// Principals are created once per name and per arn, read back by either,
/// listed in name order, and updated only in their tags and trust policy.
pub async fn principals(store: &dyn IdentityRows) {
    assert_eq!(store.get_principal("conf-p-alice").await.unwrap(), None);
    let mut alice = principal("conf-p-alice", PrincipalKind::User);
    alice.tags = vec![tag("team", "core"), tag("env", "prod")];
    store
        .create_principal(alice.clone(), test_change())
        .await
        .unwrap();
    // The store keeps tags sorted by key.
    alice.tags = vec![tag("env", "prod"), tag("team", "core")];
    assert_eq!(
        store.get_principal("conf-p-alice").await.unwrap(),
        Some(alice.clone())
    );
    assert_eq!(
        store.get_principal_by_arn(&alice.arn).await.unwrap(),
        Some(alice.clone())
    );
    assert_eq!(
        store
            .get_principal_by_arn(&format!("{ACCOUNT_ARN}:user/conf-p-nobody"))
            .await
            .unwrap(),
        None
    );

    let deploy = principal("conf-p-deploy", PrincipalKind::Role);
    store
        .create_principal(deploy.clone(), test_change())
        .await
        .unwrap();
    let builder = principal("conf-p-builder", PrincipalKind::User);
    store
        .create_principal(builder.clone(), test_change())
        .await
        .unwrap();

    // The name is unique across kinds, and so is the arn.
    let same_name = principal("conf-p-alice", PrincipalKind::Role);
    match store.create_principal(same_name, test_change()).await {
        Err(StoreError::AlreadyExists) => {}
        other => panic!("expected AlreadyExists for a taken name, got {other:?}"),
    }
    let same_arn = PrincipalRecord {
        name: "conf-p-alias-of-alice".to_owned(),
        unique_id: fresh_id(PrincipalKind::User),
        ..alice.clone()
    };
    match store.create_principal(same_arn, test_change()).await {
        Err(StoreError::AlreadyExists) => {}
        other => panic!("expected AlreadyExists for a taken arn, got {other:?}"),
    }
    // So is the unique id: a recreated principal never takes an old one.
    let same_id = PrincipalRecord {
        unique_id: alice.unique_id.clone(),
        ..principal("conf-p-alias-of-alice", PrincipalKind::User)
    };
    match store.create_principal(same_id, test_change()).await {
        Err(StoreError::AlreadyExists) => {}
        other => panic!("expected AlreadyExists for a taken unique id, got {other:?}"),
    }
    assert_eq!(
        store.get_principal("conf-p-alias-of-alice").await.unwrap(),
        None
    );

    let listed: Vec<PrincipalRecord> = store
        .list_principals()
        .await
        .unwrap()
        .into_iter()
        .filter(|p| p.name.starts_with("conf-p-"))
        .collect();
    assert_eq!(listed, vec![alice.clone(), builder, deploy.clone()]);

    // Only tags and the trust policy change.
    let update = PrincipalRecord {
        kind: PrincipalKind::User,
        arn: format!("{ACCOUNT_ARN}:user/conf-p-moved"),
        unique_id: fresh_id(PrincipalKind::User),
        tags: vec![tag("z", "1"), tag("a", "2")],
        trust_policy: Some("{\"Statement\":[]}".to_owned()),
        created_ms: 5,
        ..deploy.clone()
    };
    store.update_principal(update, test_change()).await.unwrap();
    let updated = store.get_principal("conf-p-deploy").await.unwrap().unwrap();
    assert_eq!(
        updated,
        PrincipalRecord {
            tags: vec![tag("a", "2"), tag("z", "1")],
            trust_policy: Some("{\"Statement\":[]}".to_owned()),
            ..deploy.clone()
        }
    );
    match store
        .update_principal(
            principal("conf-p-ghost", PrincipalKind::User),
            test_change(),
        )
        .await
    {
        Err(StoreError::NotFound) => {}
        other => panic!("expected NotFound, got {other:?}"),
    }
    assert!(
        store.get_principal("conf-p-ghost").await.unwrap().is_none(),
        "an update never creates"
    );
    assert!(
        !store
            .delete_principal("conf-p-ghost", test_change())
            .await
            .unwrap()
    );
}

/// Inline policies are upserted by (principal, name), listed in name order,
/// and need an existing principal.
pub async fn policies(store: &dyn IdentityRows) {
    let dev = principal("conf-pol-dev", PrincipalKind::User);
    let other = principal("conf-pol-other", PrincipalKind::Role);
    store
        .create_principal(dev.clone(), test_change())
        .await
        .unwrap();
    store
        .create_principal(other.clone(), test_change())
        .await
        .unwrap();

    let orphan = policy(&format!("{ACCOUNT_ARN}:user/conf-pol-none"), "p", "{}", 1);
    match store.put_policy(orphan, test_change()).await {
        Err(StoreError::NotFound) => {}
        other => panic!("expected NotFound for an unknown principal, got {other:?}"),
    }

    let write = policy(&dev.arn, "write", r#"{"Statement":"w"}"#, 10);
    let read = policy(&dev.arn, "read", r#"{"Statement":"r"}"#, 11);
    store
        .put_policy(write.clone(), test_change())
        .await
        .unwrap();
    store.put_policy(read.clone(), test_change()).await.unwrap();
    store
        .put_policy(policy(&other.arn, "read", "{}", 12), test_change())
        .await
        .unwrap();
    assert_eq!(
        store.list_policies(&dev.arn).await.unwrap(),
        vec![read.clone(), write.clone()],
        "name order, this principal's only"
    );

    let rewritten = policy(&dev.arn, "write", r#"{"Statement":"w2"}"#, 20);
    store
        .put_policy(rewritten.clone(), test_change())
        .await
        .unwrap();
    assert_eq!(
        store.get_policy(&dev.arn, "write").await.unwrap(),
        Some(rewritten.clone())
    );
    assert_eq!(
        store.list_policies(&dev.arn).await.unwrap(),
        vec![read.clone(), rewritten],
        "an upsert replaces, never duplicates"
    );
    assert_eq!(store.get_policy(&dev.arn, "absent").await.unwrap(), None);
    assert_eq!(store.get_policy(&other.arn, "write").await.unwrap(), None);

    assert!(
        store
            .delete_policy(&dev.arn, "write", test_change())
            .await
            .unwrap()
    );
    assert!(
        !store
            .delete_policy(&dev.arn, "write", test_change())
            .await
            .unwrap()
    );
    assert_eq!(store.list_policies(&dev.arn).await.unwrap(), vec![read]);
    assert_eq!(store.list_policies(&other.arn).await.unwrap().len(), 1);
    assert!(
        store
            .list_policies(&format!("{ACCOUNT_ARN}:user/conf-pol-none"))
            .await
            .unwrap()
            .is_empty()
    );
}

/// Deleting a principal removes its policies and access keys with it, and
/// nothing of another principal's.
pub async fn principal_cascade(store: &dyn IdentityRows) {
    let gone = principal("conf-cascade-gone", PrincipalKind::User);
    let kept = principal("conf-cascade-kept", PrincipalKind::User);
    store
        .create_principal(gone.clone(), test_change())
        .await
        .unwrap();
    store
        .create_principal(kept.clone(), test_change())
        .await
        .unwrap();
    for name in ["a", "b"] {
        store
            .put_policy(policy(&gone.arn, name, "{}", 1), test_change())
            .await
            .unwrap();
    }
    store
        .put_policy(policy(&kept.arn, "a", "{}", 1), test_change())
        .await
        .unwrap();
    for (id, arn) in [
        ("AKIACASCADEGONE1", &gone.arn),
        ("AKIACASCADEGONE2", &gone.arn),
        ("AKIACASCADEKEPT1", &kept.arn),
    ] {
        store
            .create_access_key(access_key(id, arn, 1), test_change())
            .await
            .unwrap();
    }

    assert!(
        store
            .delete_principal("conf-cascade-gone", test_change())
            .await
            .unwrap()
    );
    assert_eq!(
        store.get_principal("conf-cascade-gone").await.unwrap(),
        None
    );
    assert_eq!(store.get_principal_by_arn(&gone.arn).await.unwrap(), None);
    assert!(store.list_policies(&gone.arn).await.unwrap().is_empty());
    assert!(
        store
            .list_access_keys(Some(&gone.arn))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store.get_access_key("AKIACASCADEGONE1").await.unwrap(),
        None
    );
    assert!(
        !store
            .delete_principal("conf-cascade-gone", test_change())
            .await
            .unwrap()
    );

    assert_eq!(store.list_policies(&kept.arn).await.unwrap().len(), 1);
    assert_eq!(
        store
            .list_access_keys(Some(&kept.arn))
            .await
            .unwrap()
            .iter()
            .map(|k| k.access_key_id.as_str())
            .collect::<Vec<_>>(),
        vec!["AKIACASCADEKEPT1"]
    );

    // The name is free again, and the new principal starts clean.
    store
        .create_principal(gone.clone(), test_change())
        .await
        .unwrap();
    assert!(store.list_policies(&gone.arn).await.unwrap().is_empty());
}

/// The usable-key limit, listing, updates, deletion and last-use records.
pub async fn access_key_management(store: &dyn IdentityRows) {
    let arn = format!("{ACCOUNT_ARN}:user/conf-keys");
    let other = format!("{ACCOUNT_ARN}:user/conf-keys-other");
    let now = 10_000;
    let limited = |id: &str, created_ms: i64| access_key(id, &arn, created_ms);

    store
        .create_access_key_limited(limited("AKIAKEYS2", 2), 2, now, test_change())
        .await
        .unwrap();
    store
        .create_access_key_limited(limited("AKIAKEYS1", 2), 2, now, test_change())
        .await
        .unwrap();
    match store
        .create_access_key_limited(limited("AKIAKEYS3", 3), 2, now, test_change())
        .await
    {
        Err(StoreError::LimitExceeded { max: 2 }) => {}
        other => panic!("expected LimitExceeded, got {other:?}"),
    }
    assert_eq!(store.get_access_key("AKIAKEYS3").await.unwrap(), None);
    // Another principal's keys do not count.
    store
        .create_access_key_limited(
            access_key("AKIAKEYSOTHER", &other, 1),
            2,
            now,
            test_change(),
        )
        .await
        .unwrap();
    // A taken id is refused even when the limit allows the key.
    match store
        .create_access_key_limited(access_key("AKIAKEYS1", &other, 1), 2, now, test_change())
        .await
    {
        Err(StoreError::AlreadyExists) => {}
        other => panic!("expected AlreadyExists, got {other:?}"),
    }

    // An inactive key does not count.
    store
        .update_access_key("AKIAKEYS1", false, None, test_change())
        .await
        .unwrap();
    store
        .create_access_key_limited(limited("AKIAKEYS3", 3), 2, now, test_change())
        .await
        .unwrap();
    // A key retiring later still counts; one retired at or before now does not.
    store
        .update_access_key("AKIAKEYS2", true, Some(now + 1), test_change())
        .await
        .unwrap();
    match store
        .create_access_key_limited(limited("AKIAKEYS4", 4), 2, now, test_change())
        .await
    {
        Err(StoreError::LimitExceeded { max: 2 }) => {}
        other => panic!("expected LimitExceeded with a key still in its grace, got {other:?}"),
    }
    store
        .update_access_key("AKIAKEYS2", true, Some(now), test_change())
        .await
        .unwrap();
    store
        .create_access_key_limited(limited("AKIAKEYS4", 4), 2, now, test_change())
        .await
        .unwrap();

    let key2 = store.get_access_key("AKIAKEYS2").await.unwrap().unwrap();
    assert!(key2.active);
    assert_eq!(key2.retire_ms, Some(now));
    let listed: Vec<(String, bool)> = store
        .list_access_keys(Some(&arn))
        .await
        .unwrap()
        .into_iter()
        .map(|k| (k.access_key_id, k.active))
        .collect();
    assert_eq!(
        listed,
        vec![
            ("AKIAKEYS1".to_owned(), false),
            ("AKIAKEYS2".to_owned(), true),
            ("AKIAKEYS3".to_owned(), true),
            ("AKIAKEYS4".to_owned(), true),
        ],
        "created_ms, then id order"
    );
    let all = store.list_access_keys(None).await.unwrap();
    for id in ["AKIAKEYS1", "AKIAKEYS4", "AKIAKEYSOTHER"] {
        assert!(all.iter().any(|k| k.access_key_id == id), "{id} listed");
    }
    let order: Vec<(i64, String)> = all
        .iter()
        .map(|k| (k.created_ms, k.access_key_id.clone()))
        .collect();
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(order, sorted, "all keys in created_ms, then id order");

    match store
        .update_access_key("AKIANOSUCHKEY", true, None, test_change())
        .await
    {
        Err(StoreError::NotFound) => {}
        other => panic!("expected NotFound, got {other:?}"),
    }
    assert!(
        store
            .delete_access_key("AKIAKEYS4", test_change())
            .await
            .unwrap()
    );
    assert!(
        !store
            .delete_access_key("AKIAKEYS4", test_change())
            .await
            .unwrap()
    );
    assert_eq!(store.get_access_key("AKIAKEYS4").await.unwrap(), None);

    // Last use: the newest wins, within a batch and across batches.
    store.record_key_use(&[]).await.unwrap();
    store
        .record_key_use(&[
            key_use("AKIAKEYS3", 500, "GetParameter"),
            key_use("AKIAKEYS3", 700, "PutParameter"),
            key_use("AKIANOSUCHKEY", 900, "Ignored"),
            key_use("AKIAKEYS3", 600, "DeleteParameter"),
            key_use("AKIAKEYS2", 100, "GetSecretValue"),
        ])
        .await
        .unwrap();
    let last_use = |key: AccessKeyRecord| (key.last_used_ms, key.last_used_operation);
    let key3 = store.get_access_key("AKIAKEYS3").await.unwrap().unwrap();
    assert_eq!(last_use(key3), (Some(700), Some("PutParameter".to_owned())));
    store
        .record_key_use(&[key_use("AKIAKEYS3", 650, "Older")])
        .await
        .unwrap();
    let key3 = store.get_access_key("AKIAKEYS3").await.unwrap().unwrap();
    assert_eq!(
        last_use(key3.clone()),
        (Some(700), Some("PutParameter".to_owned())),
        "an older use never overwrites a newer one"
    );
    store
        .record_key_use(&[key_use("AKIAKEYS3", 800, "Newer")])
        .await
        .unwrap();
    let key3 = store.get_access_key("AKIAKEYS3").await.unwrap().unwrap();
    assert_eq!(
        last_use(key3.clone()),
        (Some(800), Some("Newer".to_owned()))
    );
    assert!(key3.active, "a use changes nothing else");
    let key2 = store.get_access_key("AKIAKEYS2").await.unwrap().unwrap();
    assert_eq!(
        last_use(key2),
        (Some(100), Some("GetSecretValue".to_owned()))
    );
    let key1 = store.get_access_key("AKIAKEYS1").await.unwrap().unwrap();
    assert_eq!(last_use(key1), (None, None));
    assert_eq!(store.get_access_key("AKIANOSUCHKEY").await.unwrap(), None);
    // The listing carries last use too.
    let listed = store.list_access_keys(Some(&arn)).await.unwrap();
    assert_eq!(listed[2].last_used_ms, Some(800));
}

/// OpenID Connect providers: created once by ARN, their config kept whole
/// (the text as given, byte for byte), listed in ARN order, deleted once.
pub async fn oidc_providers(store: &dyn IdentityRows) {
    let arn =
        |name: &str| format!("arn:aws:iam::000000000000:oidc-provider/conformance.test/{name}");
    let ours = |all: Vec<OidcProviderRecord>| -> Vec<String> {
        all.into_iter()
            .filter(|p| p.arn.contains("/conformance.test/"))
            .map(|p| p.arn)
            .collect()
    };
    assert_eq!(store.get_oidc_provider(&arn("gha")).await.unwrap(), None);
    let gha = OidcProviderRecord {
        arn: arn("gha"),
        // Unicode, quotes and a long JWKS: stored as given.
        config: format!(
            r#"{{"Url":"https://conformance.test/gha","ClientIDList":["sts.amazonaws.com","ü"],"Jwks":"{}"}}"#,
            "k".repeat(20_000)
        ),
        created_ms: 1_700_000_000_789,
    };
    let eks = OidcProviderRecord {
        arn: arn("eks"),
        config: r#"{"Url":"https://conformance.test/eks","ClientIDList":["sts.amazonaws.com"],"JwksUrl":"https://conformance.test/eks/keys"}"#.to_owned(),
        created_ms: 1_700_000_000_790,
    };
    store
        .create_oidc_provider(gha.clone(), test_change())
        .await
        .unwrap();
    store
        .create_oidc_provider(eks.clone(), test_change())
        .await
        .unwrap();
    assert_eq!(
        store.get_oidc_provider(&gha.arn).await.unwrap(),
        Some(gha.clone())
    );
    assert_eq!(
        store.get_oidc_provider(&eks.arn).await.unwrap(),
        Some(eks.clone())
    );

    // A second provider for the same issuer is refused; the first stays.
    let again = OidcProviderRecord {
        config: "{}".to_owned(),
        created_ms: 0,
        ..gha.clone()
    };
    match store.create_oidc_provider(again, test_change()).await {
        Err(StoreError::AlreadyExists) => {}
        other => panic!("expected AlreadyExists, got {other:?}"),
    }
    assert_eq!(
        store.get_oidc_provider(&gha.arn).await.unwrap(),
        Some(gha.clone())
    );

    // ARN order, whatever the order of creation.
    assert_eq!(
        ours(store.list_oidc_providers().await.unwrap()),
        [eks.arn.clone(), gha.arn.clone()]
    );

    assert!(
        store
            .delete_oidc_provider(&gha.arn, test_change())
            .await
            .unwrap()
    );
    assert!(
        !store
            .delete_oidc_provider(&gha.arn, test_change())
            .await
            .unwrap()
    );
    assert_eq!(store.get_oidc_provider(&gha.arn).await.unwrap(), None);
    assert_eq!(
        ours(store.list_oidc_providers().await.unwrap()),
        vec![eks.arn.clone()]
    );

    // Registered again after its removal: the new record, not the old.
    let renewed = OidcProviderRecord {
        config: r#"{"Url":"https://conformance.test/gha","ClientIDList":["other"]}"#.to_owned(),
        created_ms: 1_700_000_000_999,
        ..gha.clone()
    };
    store
        .create_oidc_provider(renewed.clone(), test_change())
        .await
        .unwrap();
    assert_eq!(
        store.get_oidc_provider(&gha.arn).await.unwrap(),
        Some(renewed)
    );
    assert!(
        store
            .delete_oidc_provider(&gha.arn, test_change())
            .await
            .unwrap()
    );
    assert!(
        store
            .delete_oidc_provider(&eks.arn, test_change())
            .await
            .unwrap()
    );
    assert_eq!(
        ours(store.list_oidc_providers().await.unwrap()),
        Vec::<String>::new()
    );
}
