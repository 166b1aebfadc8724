//! Versions: idempotent retries through `ClientRequestToken` (spec §2) and the
//! staging-label moves (spec §3).

use super::{create, current, stages, table, token};
use crate::support::{self, code, message};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_request_token_makes_retries_idempotent() {
    let server = support::in_process().await;
    let sm = server.secrets();
    let t1 = token(1);
    let t2 = token(2);

    // A retried CreateSecret (same token, same value) is not an error.
    let first = sm
        .create_secret()
        .name("idem")
        .client_request_token(&t1)
        .secret_string("v1")
        .send()
        .await
        .unwrap();
    assert_eq!(first.version_id(), Some(t1.as_str()));
    let retry = sm
        .create_secret()
        .name("idem")
        .client_request_token(&t1)
        .secret_string("v1")
        .send()
        .await
        .unwrap();
    assert_eq!(retry.version_id(), Some(t1.as_str()));
    assert_eq!(retry.arn(), first.arn());
    // Same token, other value.
    let err = sm
        .create_secret()
        .name("idem")
        .client_request_token(&t1)
        .secret_string("changed")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ResourceExistsException");

    // PutSecretValue: the version id is the token; a retry makes no new version
    // and moves no label.
    let put = sm
        .put_secret_value()
        .secret_id("idem")
        .client_request_token(&t2)
        .secret_string("v2")
        .send()
        .await
        .unwrap();
    assert_eq!(put.version_id(), Some(t2.as_str()));
    assert_eq!(put.version_stages(), ["AWSCURRENT"]);
    let again = sm
        .put_secret_value()
        .secret_id("idem")
        .client_request_token(&t2)
        .secret_string("v2")
        .send()
        .await
        .unwrap();
    assert_eq!(again.version_id(), Some(t2.as_str()));
    let expected = table(&[(&t1, &["AWSPREVIOUS"]), (&t2, &["AWSCURRENT"])]);
    assert_eq!(stages(&sm, "idem").await, expected);
    let versions = sm
        .list_secret_version_ids()
        .secret_id("idem")
        .include_deprecated(true)
        .send()
        .await
        .unwrap();
    assert_eq!(versions.versions().len(), 2);

    // Same token, other value: refused, nothing changes.
    let err = sm
        .put_secret_value()
        .secret_id("idem")
        .client_request_token(&t2)
        .secret_string("v3")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ResourceExistsException");
    assert_eq!(current(&sm, "idem").await, "v2");
    assert_eq!(stages(&sm, "idem").await, expected);

    // Tokens outside 32–64 chars.
    for bad in ["short".to_owned(), "x".repeat(65)] {
        let err = sm
            .put_secret_value()
            .secret_id("idem")
            .client_request_token(&bad)
            .secret_string("v4")
            .send()
            .await
            .unwrap_err();
        let c = code(&err);
        assert!(
            c == "ValidationException" || c == "InvalidParameterException",
            "{} chars: {c}",
            bad.len()
        );
    }
    assert_eq!(current(&sm, "idem").await, "v2");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn put_secret_value_moves_current_and_previous() {
    let server = support::in_process().await;
    let sm = server.secrets();

    let v1 = create(&sm, "app", "one")
        .await
        .version_id()
        .unwrap()
        .to_owned();
    let v2 = super::put(&sm, "app", "two").await;
    assert_eq!(
        stages(&sm, "app").await,
        table(&[(&v1, &["AWSPREVIOUS"]), (&v2, &["AWSCURRENT"])])
    );
    assert_eq!(current(&sm, "app").await, "two");

    // A custom label rides along with AWSCURRENT and stays when it moves on.
    let v3 = sm
        .put_secret_value()
        .secret_id("app")
        .secret_string("three")
        .version_stages("AWSCURRENT")
        .version_stages("RELEASE-7")
        .send()
        .await
        .unwrap();
    let v3 = v3.version_id().unwrap().to_owned();
    let v4 = super::put(&sm, "app", "four").await;
    // v1 and v2 lost their last label: deprecated, hidden from DescribeSecret.
    assert_eq!(
        stages(&sm, "app").await,
        table(&[(&v3, &["AWSPREVIOUS", "RELEASE-7"]), (&v4, &["AWSCURRENT"]),])
    );

    let listed = sm
        .list_secret_version_ids()
        .secret_id("app")
        .send()
        .await
        .unwrap();
    let mut ids: Vec<&str> = listed
        .versions()
        .iter()
        .map(|v| v.version_id().unwrap())
        .collect();
    ids.sort_unstable();
    let mut expected = vec![v3.as_str(), v4.as_str()];
    expected.sort_unstable();
    assert_eq!(ids, expected, "deprecated versions hidden by default");
    for v in listed.versions() {
        assert_eq!(v.kms_key_ids(), ["DefaultEncryptionKey"]);
        assert!(v.created_date().is_some());
    }
    assert_eq!(listed.name(), Some("app"));

    let all = sm
        .list_secret_version_ids()
        .secret_id("app")
        .include_deprecated(true)
        .send()
        .await
        .unwrap();
    assert_eq!(all.versions().len(), 4);
    let old = all
        .versions()
        .iter()
        .find(|v| v.version_id() == Some(v1.as_str()))
        .expect("v1 listed with IncludeDeprecated");
    assert!(old.version_stages().is_empty());

    // A deprecated version is still readable by id, without stages.
    let got = sm
        .get_secret_value()
        .secret_id("app")
        .version_id(&v1)
        .send()
        .await
        .unwrap();
    assert_eq!(got.secret_string(), Some("one"));
    assert!(got.version_stages().is_empty());
}

/// The example trace of spec §3, step by step.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pending_version_and_update_secret_version_stage() {
    let server = support::in_process().await;
    let sm = server.secrets();

    let v1 = create(&sm, "rot", "old")
        .await
        .version_id()
        .unwrap()
        .to_owned();
    assert_eq!(stages(&sm, "rot").await, table(&[(&v1, &["AWSCURRENT"])]));

    // put v2 with [AWSPENDING]: AWSCURRENT stays on v1.
    let put = sm
        .put_secret_value()
        .secret_id("rot")
        .secret_string("new")
        .version_stages("AWSPENDING")
        .send()
        .await
        .unwrap();
    assert_eq!(put.version_stages(), ["AWSPENDING"]);
    let v2 = put.version_id().unwrap().to_owned();
    assert_eq!(
        stages(&sm, "rot").await,
        table(&[(&v1, &["AWSCURRENT"]), (&v2, &["AWSPENDING"])])
    );
    assert_eq!(current(&sm, "rot").await, "old");
    let pending = sm
        .get_secret_value()
        .secret_id("rot")
        .version_stage("AWSPENDING")
        .send()
        .await
        .unwrap();
    assert_eq!(pending.secret_string(), Some("new"));
    assert_eq!(pending.version_id(), Some(v2.as_str()));

    // Moving AWSCURRENT requires naming its current holder.
    let err = sm
        .update_secret_version_stage()
        .secret_id("rot")
        .version_stage("AWSCURRENT")
        .move_to_version_id(&v2)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidParameterException");
    assert!(
        message(&err).contains("RemoveFromVersionId"),
        "{}",
        message(&err)
    );
    assert_eq!(
        current(&sm, "rot").await,
        "old",
        "refused move changed nothing"
    );

    // Unknown target version.
    let err = sm
        .update_secret_version_stage()
        .secret_id("rot")
        .version_stage("AWSCURRENT")
        .remove_from_version_id(&v1)
        .move_to_version_id("99999999-9999-4999-8999-999999999999")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidParameterException");

    // move AWSCURRENT v1 → v2: v1 [AWSPREVIOUS], v2 [AWSCURRENT, AWSPENDING].
    let moved = sm
        .update_secret_version_stage()
        .secret_id("rot")
        .version_stage("AWSCURRENT")
        .remove_from_version_id(&v1)
        .move_to_version_id(&v2)
        .send()
        .await
        .unwrap();
    assert_eq!(moved.name(), Some("rot"));
    assert_eq!(
        stages(&sm, "rot").await,
        table(&[
            (&v1, &["AWSPREVIOUS"]),
            (&v2, &["AWSCURRENT", "AWSPENDING"])
        ])
    );
    assert_eq!(current(&sm, "rot").await, "new");

    // put v3 without stages: v2 [AWSPREVIOUS] (AWSPENDING dropped), v3
    // [AWSCURRENT], v1 deprecated.
    let v3 = super::put(&sm, "rot", "newest").await;
    assert_eq!(
        stages(&sm, "rot").await,
        table(&[(&v2, &["AWSPREVIOUS"]), (&v3, &["AWSCURRENT"])])
    );
    let all = sm
        .list_secret_version_ids()
        .secret_id("rot")
        .include_deprecated(true)
        .send()
        .await
        .unwrap();
    assert_eq!(all.versions().len(), 3);

    // Remove only: AWSPREVIOUS off v2 leaves v2 without labels.
    sm.update_secret_version_stage()
        .secret_id("rot")
        .version_stage("AWSPREVIOUS")
        .remove_from_version_id(&v2)
        .send()
        .await
        .unwrap();
    assert_eq!(stages(&sm, "rot").await, table(&[(&v3, &["AWSCURRENT"])]));
    let visible = sm
        .list_secret_version_ids()
        .secret_id("rot")
        .send()
        .await
        .unwrap();
    assert_eq!(visible.versions().len(), 1);
    assert_eq!(visible.versions()[0].version_id(), Some(v3.as_str()));

    // A custom label can be attached to a deprecated version, reviving it.
    sm.update_secret_version_stage()
        .secret_id("rot")
        .version_stage("PINNED")
        .move_to_version_id(&v1)
        .send()
        .await
        .unwrap();
    assert_eq!(
        stages(&sm, "rot").await,
        table(&[(&v1, &["PINNED"]), (&v3, &["AWSCURRENT"])])
    );
    let pinned = sm
        .get_secret_value()
        .secret_id("rot")
        .version_stage("PINNED")
        .send()
        .await
        .unwrap();
    assert_eq!(pinned.secret_string(), Some("old"));
}
