//! Replica regions: a secret created with AddReplicaRegions is readable (only)
//! from a client in the replica region and follows the primary's writes.

use aws_sdk_secretsmanager::types::{ReplicaRegionType, StatusType};

use super::{current, put, status};
use crate::support::{self, code};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replica_follows_the_primary_and_refuses_writes() {
    let server = support::in_process().await;
    let primary = server.secrets();
    let replica = server.secrets_in("eu-west-1");

    let created = primary
        .create_secret()
        .name("shared/api")
        .secret_string("first")
        .add_replica_regions(ReplicaRegionType::builder().region("eu-west-1").build())
        .send()
        .await
        .unwrap();
    let arn = created.arn().unwrap().to_owned();
    assert!(
        arn.starts_with("arn:aws:secretsmanager:us-east-1:"),
        "{arn}"
    );
    let replica_arn = arn.replacen(":us-east-1:", ":eu-west-1:", 1);

    let got = replica
        .get_secret_value()
        .secret_id("shared/api")
        .send()
        .await
        .unwrap();
    assert_eq!(got.secret_string(), Some("first"));
    assert_eq!(got.arn(), Some(replica_arn.as_str()));
    assert_eq!(current(&replica, &replica_arn).await, "first");

    let described = primary
        .describe_secret()
        .secret_id("shared/api")
        .send()
        .await
        .unwrap();
    assert_eq!(described.primary_region(), Some("us-east-1"));
    let statuses = described.replication_status();
    assert_eq!(statuses.len(), 1, "{statuses:?}");
    assert_eq!(statuses[0].region(), Some("eu-west-1"));
    assert_eq!(statuses[0].status(), Some(&StatusType::InSync));
    let described = replica
        .describe_secret()
        .secret_id("shared/api")
        .send()
        .await
        .unwrap();
    assert_eq!(described.primary_region(), Some("us-east-1"));

    // A write on the primary shows in the replica.
    put(&primary, "shared/api", "second").await;
    assert_eq!(current(&replica, "shared/api").await, "second");

    // Writes in the replica region are refused (AWS-shaped, not a fault) and
    // change nothing.
    let err = replica
        .put_secret_value()
        .secret_id("shared/api")
        .secret_string("from-replica")
        .send()
        .await
        .unwrap_err();
    assert_eq!(status(&err), Some(400), "{err:?}");
    let err = replica
        .delete_secret()
        .secret_id("shared/api")
        .force_delete_without_recovery(true)
        .send()
        .await
        .unwrap_err();
    assert_eq!(status(&err), Some(400), "{err:?}");
    assert_eq!(current(&primary, "shared/api").await, "second");
    assert_eq!(current(&replica, "shared/api").await, "second");

    // A secret without replicas is not in eu-west-1.
    super::create(&primary, "local/only", "x").await;
    let err = replica
        .get_secret_value()
        .secret_id("local/only")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ResourceNotFoundException");

    // Remove the replica.
    primary
        .remove_regions_from_replication()
        .secret_id("shared/api")
        .remove_replica_regions("eu-west-1")
        .send()
        .await
        .unwrap();
    let err = replica
        .get_secret_value()
        .secret_id("shared/api")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ResourceNotFoundException");
    let described = primary
        .describe_secret()
        .secret_id("shared/api")
        .send()
        .await
        .unwrap();
    assert!(described.replication_status().is_empty());
    assert_eq!(current(&primary, "shared/api").await, "second");
}
