use crate::kms::{CreateGrantInput, CreateKeyInput, GrantRef, Kms, KmsError};

const REGION: &str = "us-east-1";
const BOB: &str = "arn:aws:iam::111122223333:user/bob";
const ALICE: &str = "arn:aws:iam::111122223333:user/alice";

async fn kms_and_key() -> (Kms, String) {
    let kms = Kms::in_memory("111122223333").unwrap();
    let key = kms
        .create_key(REGION, CreateKeyInput::default())
        .await
        .unwrap();
    (kms, key.key_id)
}

fn input(key_id: &str, name: Option<&str>) -> CreateGrantInput {
    CreateGrantInput {
        key_id: key_id.to_owned(),
        grantee_principal: BOB.to_owned(),
        retiring_principal: Some(ALICE.to_owned()),
        operations: vec!["Decrypt".into(), "Encrypt".into()],
        name: name.map(str::to_owned),
        ..CreateGrantInput::default()
    }
}

#[tokio::test]
async fn a_name_makes_create_grant_idempotent_and_tokens_are_fresh() {
    let (kms, key_id) = kms_and_key().await;
    let first = kms
        .create_grant(REGION, input(&key_id, Some("app")))
        .await
        .unwrap();
    assert_eq!(first.grant_id.len(), 64);
    let mut same = input(&key_id, Some("app"));
    same.operations.reverse();
    let again = kms.create_grant(REGION, same).await.unwrap();
    assert_eq!(again.grant_id, first.grant_id, "same name and parameters");
    assert_ne!(again.grant_token, first.grant_token, "a token per call");
    kms.check_grant_tokens(REGION, &[first.grant_token.clone(), again.grant_token])
        .unwrap();
    let mut other = input(&key_id, Some("app"));
    other.operations = vec!["Decrypt".into()];
    let different = kms.create_grant(REGION, other).await.unwrap();
    assert_ne!(different.grant_id, first.grant_id, "other parameters");
    let unnamed_a = kms
        .create_grant(REGION, input(&key_id, None))
        .await
        .unwrap();
    let unnamed_b = kms
        .create_grant(REGION, input(&key_id, None))
        .await
        .unwrap();
    assert_ne!(
        unnamed_a.grant_id, unnamed_b.grant_id,
        "no name, no idempotency"
    );
    let page = kms
        .list_grants(REGION, &key_id, None, None, 100, None)
        .await
        .unwrap();
    let ids: Vec<&str> = page
        .items
        .iter()
        .map(|e| e.grant.grant_id.as_str())
        .collect();
    assert_eq!(
        ids,
        [
            first.grant_id.as_str(),
            &different.grant_id,
            &unnamed_a.grant_id,
            &unnamed_b.grant_id
        ],
        "creation order"
    );
    // Paging with markers, one at a time.
    let one = kms
        .list_grants(REGION, &key_id, None, None, 1, None)
        .await
        .unwrap();
    assert_eq!(one.items.len(), 1);
    let next = kms
        .list_grants(REGION, &key_id, None, None, 3, one.next_marker.as_deref())
        .await
        .unwrap();
    assert_eq!(next.items.len(), 3);
    assert!(!next.truncated());
    assert_eq!(next.items[0].grant.grant_id, different.grant_id);
}

#[tokio::test]
async fn bad_tokens_ids_and_states_get_aws_errors() {
    let (kms, key_id) = kms_and_key().await;
    let out = kms
        .create_grant(REGION, input(&key_id, None))
        .await
        .unwrap();
    let forged = format!("{}x", out.grant_token);
    for bad in [forged.as_str(), "nonsense", "a.b"] {
        assert!(
            matches!(
                kms.check_grant_tokens(REGION, &[bad.to_owned()]),
                Err(KmsError::InvalidGrantToken(_))
            ),
            "{bad}"
        );
    }
    // A token is bound to its region.
    assert!(matches!(
        kms.check_grant_tokens("eu-west-1", std::slice::from_ref(&out.grant_token)),
        Err(KmsError::InvalidGrantToken(_))
    ));
    assert!(matches!(
        kms.delete_grant(REGION, &key_id, "nope", false).await,
        Err(KmsError::InvalidGrantId(_))
    ));
    let unknown = "0".repeat(64);
    assert!(matches!(
        kms.delete_grant(REGION, &key_id, &unknown, false).await,
        Err(KmsError::NotFound(_))
    ));
    assert!(matches!(
        kms.delete_grant(REGION, &key_id, &out.grant_id, true).await,
        Err(KmsError::DryRun(_))
    ));
    // By token: the key and grant it names.
    let (k, g) = kms
        .retire_target(REGION, &GrantRef::Token(out.grant_token.clone()))
        .unwrap();
    assert_eq!(
        (k.as_str(), g.as_str()),
        (key_id.as_str(), out.grant_id.as_str())
    );
    kms.delete_grant(REGION, &k, &g, false).await.unwrap();
    assert!(matches!(
        kms.delete_grant(REGION, &k, &g, false).await,
        Err(KmsError::NotFound(_))
    ));
    let mut empty = input(&key_id, None);
    empty.operations.clear();
    assert!(matches!(
        kms.create_grant(REGION, empty).await,
        Err(KmsError::Validation(_))
    ));
    let mut dry = input(&key_id, None);
    dry.dry_run = true;
    assert!(matches!(
        kms.create_grant(REGION, dry).await,
        Err(KmsError::DryRun(_))
    ));
    kms.disable_key(REGION, &key_id).await.unwrap();
    assert!(matches!(
        kms.create_grant(REGION, input(&key_id, None)).await,
        Err(KmsError::Disabled(_))
    ));
    assert!(
        kms.list_grants(REGION, &key_id, None, None, 10, None)
            .await
            .unwrap()
            .items
            .is_empty(),
        "nothing half-written"
    );
}

#[tokio::test]
async fn retirable_grants_are_found_across_keys() {
    let (kms, key_a) = kms_and_key().await;
    let key_b = kms
        .create_key(REGION, CreateKeyInput::default())
        .await
        .unwrap()
        .key_id;
    kms.create_grant(REGION, input(&key_a, None)).await.unwrap();
    kms.create_grant(REGION, input(&key_b, None)).await.unwrap();
    let mut not_alice = input(&key_b, None);
    not_alice.retiring_principal = None;
    kms.create_grant(REGION, not_alice).await.unwrap();
    let page = kms
        .list_retirable_grants(REGION, ALICE, 1, None)
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1);
    let rest = kms
        .list_retirable_grants(REGION, ALICE, 10, page.next_marker.as_deref())
        .await
        .unwrap();
    assert_eq!(rest.items.len(), 1);
    assert_ne!(page.items[0].key_arn, rest.items[0].key_arn);
    assert!(
        kms.list_retirable_grants(REGION, BOB, 10, None)
            .await
            .unwrap()
            .items
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_grant_and_tag_writes_on_one_server_lose_nothing() {
    let (kms, key_id) = kms_and_key().await;
    let kms = std::sync::Arc::new(kms);
    let tag = kinko_model::Tag {
        key: "team".into(),
        value: "a".into(),
    };
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (kms, key_id) = (kms.clone(), key_id.clone());
        tasks.push(tokio::spawn(async move {
            kms.create_grant(REGION, input(&key_id, None))
                .await
                .map(drop)
        }));
    }
    {
        let (kms, key_id, tag) = (kms.clone(), key_id.clone(), tag.clone());
        tasks.push(tokio::spawn(async move {
            kms.tag_resource(REGION, &key_id, &[tag]).await
        }));
    }
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let page = kms
        .list_grants(REGION, &key_id, None, None, 100, None)
        .await
        .unwrap();
    assert_eq!(page.items.len(), 8, "no grant lost to a concurrent write");
    let tags = kms
        .list_resource_tags(REGION, &key_id, 50, None)
        .await
        .unwrap();
    assert_eq!(tags.items, [tag]);
}

/// Grants made within one millisecond still page in creation order, and a
/// marker skips none of them (the order key once tied on the time and fell
/// back to the random grant id).
#[tokio::test]
async fn paging_one_grant_at_a_time_sees_every_grant_in_creation_order() {
    let (kms, key_id) = kms_and_key().await;
    let mut made = Vec::new();
    for _ in 0..20 {
        let grant = kms
            .create_grant(REGION, input(&key_id, None))
            .await
            .unwrap();
        made.push(grant.grant_id);
    }
    let mut seen = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let page = kms
            .list_grants(REGION, &key_id, None, None, 1, marker.as_deref())
            .await
            .unwrap();
        seen.extend(page.items.iter().map(|e| e.grant.grant_id.clone()));
        match page.next_marker {
            Some(next) => marker = Some(next),
            None => break,
        }
    }
    assert_eq!(seen, made);
}

/// A rotation-schedule change rewrites the key's metadata: it must not
/// write back a copy read before a concurrent CreateGrant (every metadata
/// writer holds the key's lock).
#[tokio::test]
async fn schedule_changes_never_drop_a_concurrent_grant() {
    let (kms, key_id) = kms_and_key().await;
    let grants = async {
        for _ in 0..20 {
            kms.create_grant(REGION, input(&key_id, None))
                .await
                .unwrap();
        }
    };
    let schedules = async {
        for days in 90..110 {
            kms.enable_key_rotation(REGION, &key_id, Some(days))
                .await
                .unwrap();
            kms.disable_key_rotation(REGION, &key_id).await.unwrap();
        }
    };
    tokio::join!(grants, schedules);
    let page = kms
        .list_grants(REGION, &key_id, None, None, 100, None)
        .await
        .unwrap();
    assert_eq!(page.items.len(), 20);
}
