//! The deletion lifecycle (spec §4): recovery window, restore, forced delete.
//! (Purging after the window is tested at the service level with a fake clock.)

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::{create, current, set, tag};
use crate::support::{self, code, message};

const MARKED: &str =
    "You can't perform this operation on the secret because it was marked for deletion.";

fn listed_names(
    out: &aws_sdk_secretsmanager::operation::list_secrets::ListSecretsOutput,
) -> Vec<String> {
    out.secret_list()
        .iter()
        .map(|s| s.name().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_with_recovery_window_then_restore() {
    let server = support::in_process().await;
    let sm = server.secrets();
    create(&sm, "doomed", "keep-me").await;
    create(&sm, "bystander", "b").await;

    let deleted = sm
        .delete_secret()
        .secret_id("doomed")
        .recovery_window_in_days(7)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.name(), Some("doomed"));
    let when = deleted.deletion_date().expect("DeletionDate");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let seven_days = 7 * 24 * 3600;
    // Bounds on a date the server computed, not on how long anything took.
    assert!(
        (when.secs() - now - seven_days).abs() < 3600,
        "DeletionDate {} is not about now + 7 days ({now})",
        when.secs()
    );

    // Reads and writes are refused with AWS's text.
    let err = sm
        .get_secret_value()
        .secret_id("doomed")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidRequestException");
    assert_eq!(message(&err), MARKED);
    let err = sm
        .put_secret_value()
        .secret_id("doomed")
        .secret_string("x")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidRequestException");
    assert_eq!(message(&err), MARKED);
    let err = sm
        .tag_resource()
        .secret_id("doomed")
        .tags(tag("k", "v"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidRequestException");
    assert_eq!(message(&err), MARKED);
    let err = sm
        .untag_resource()
        .secret_id("doomed")
        .tag_keys("k")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidRequestException");
    assert_eq!(message(&err), MARKED);

    // DescribeSecret still answers, with DeletedDate.
    let described = sm
        .describe_secret()
        .secret_id("doomed")
        .send()
        .await
        .unwrap();
    assert!(described.deleted_date().is_some());

    // ListSecrets hides it unless asked.
    let listed = sm.list_secrets().send().await.unwrap();
    assert_eq!(listed_names(&listed), ["bystander"]);
    let listed = sm
        .list_secrets()
        .include_planned_deletion(true)
        .send()
        .await
        .unwrap();
    assert_eq!(set(listed_names(&listed)), set(["bystander", "doomed"]));
    let entry = listed
        .secret_list()
        .iter()
        .find(|s| s.name() == Some("doomed"))
        .unwrap();
    assert!(entry.deleted_date().is_some());

    // The name stays taken.
    let err = sm
        .create_secret()
        .name("doomed")
        .secret_string("new")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidRequestException");
    assert_eq!(
        message(&err),
        "You can't create this secret because a secret with this name is already scheduled for deletion."
    );
    // Deleting again without force.
    let err = sm
        .delete_secret()
        .secret_id("doomed")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidRequestException");
    assert_eq!(
        message(&err),
        "You tried to perform the operation on a secret that's currently marked deleted."
    );

    // Restore: readable again, no DeletedDate, listed again.
    let restored = sm
        .restore_secret()
        .secret_id("doomed")
        .send()
        .await
        .unwrap();
    assert_eq!(restored.name(), Some("doomed"));
    assert_eq!(current(&sm, "doomed").await, "keep-me");
    let described = sm
        .describe_secret()
        .secret_id("doomed")
        .send()
        .await
        .unwrap();
    assert!(described.deleted_date().is_none());
    let listed = sm.list_secrets().send().await.unwrap();
    assert_eq!(set(listed_names(&listed)), set(["bystander", "doomed"]));
    // Restoring a live secret is a no-op success.
    sm.restore_secret()
        .secret_id("doomed")
        .send()
        .await
        .unwrap();
    assert_eq!(current(&sm, "doomed").await, "keep-me");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn force_delete_is_immediate_and_a_new_secret_gets_a_new_arn() {
    let server = support::in_process().await;
    let sm = server.secrets();
    let old_arn = create(&sm, "gone", "v1").await.arn().unwrap().to_owned();

    let deleted = sm
        .delete_secret()
        .secret_id("gone")
        .force_delete_without_recovery(true)
        .send()
        .await
        .unwrap();
    assert!(deleted.deletion_date().is_some());
    let err = sm
        .get_secret_value()
        .secret_id("gone")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ResourceNotFoundException");
    assert_eq!(
        message(&err),
        "Secrets Manager can't find the specified secret."
    );
    let err = sm
        .describe_secret()
        .secret_id("gone")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ResourceNotFoundException");
    let listed = sm
        .list_secrets()
        .include_planned_deletion(true)
        .send()
        .await
        .unwrap();
    assert!(listed.secret_list().is_empty());

    // Same name again: a new secret with a new suffix; the old ARN does not
    // reach it.
    let new_arn = create(&sm, "gone", "v2").await.arn().unwrap().to_owned();
    assert_ne!(new_arn, old_arn);
    assert_eq!(new_arn[..new_arn.len() - 6], old_arn[..old_arn.len() - 6]);
    assert_eq!(current(&sm, "gone").await, "v2");
    let err = sm
        .get_secret_value()
        .secret_id(&old_arn)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ResourceNotFoundException");
    let versions = sm
        .list_secret_version_ids()
        .secret_id("gone")
        .include_deprecated(true)
        .send()
        .await
        .unwrap();
    assert_eq!(versions.versions().len(), 1, "no versions carried over");

    // Forcing on a secret already scheduled for deletion, and on one that
    // does not exist, both succeed.
    sm.delete_secret()
        .secret_id("gone")
        .recovery_window_in_days(30)
        .send()
        .await
        .unwrap();
    sm.delete_secret()
        .secret_id("gone")
        .force_delete_without_recovery(true)
        .send()
        .await
        .unwrap();
    let err = sm
        .describe_secret()
        .secret_id("gone")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ResourceNotFoundException");
    sm.delete_secret()
        .secret_id("never-existed")
        .force_delete_without_recovery(true)
        .send()
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_secret_parameter_errors() {
    let server = support::in_process().await;
    let sm = server.secrets();
    create(&sm, "s", "v").await;

    for days in [6, 31] {
        let err = sm
            .delete_secret()
            .secret_id("s")
            .recovery_window_in_days(days)
            .send()
            .await
            .unwrap_err();
        assert_eq!(code(&err), "InvalidParameterException", "window {days}");
    }
    let err = sm
        .delete_secret()
        .secret_id("s")
        .recovery_window_in_days(7)
        .force_delete_without_recovery(true)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidParameterException");

    // None of those deleted anything.
    assert_eq!(current(&sm, "s").await, "v");
    let described = sm.describe_secret().secret_id("s").send().await.unwrap();
    assert!(described.deleted_date().is_none());

    // Default window is 30 days.
    let deleted = sm.delete_secret().secret_id("s").send().await.unwrap();
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    let thirty = Duration::from_secs(30 * 24 * 3600);
    let when = deleted.deletion_date().unwrap().secs();
    assert!(
        (when - (now + thirty).as_secs() as i64).abs() < 3600,
        "default DeletionDate {when}"
    );
}
