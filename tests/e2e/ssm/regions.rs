//! Regions are separate parameter stores; ARNs carry the region and partition.

use aws_sdk_ssm::types::ParameterType;

use super::{account_of, get, put, value};
use crate::support::{self, code};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regions_are_separate_stores() {
    let server = support::in_process().await;
    let east = server.ssm();
    let north = server.ssm_in("eu-north-1");

    put(&east, "/r/x", "east").await;
    let p = get(&east, "/r/x", false).await;
    let arn = p.arn().unwrap().to_owned();
    let account = account_of(&arn);
    assert_eq!(
        arn,
        format!("arn:aws:ssm:us-east-1:{account}:parameter/r/x")
    );

    let err = north.get_parameter().name("/r/x").send().await.unwrap_err();
    assert_eq!(code(&err), "ParameterNotFound");
    let listed = north.describe_parameters().send().await.unwrap();
    assert!(listed.parameters().is_empty());
    let by_path = north
        .get_parameters_by_path()
        .path("/r")
        .send()
        .await
        .unwrap();
    assert!(by_path.parameters().is_empty());

    // The same name in the other region is a new parameter.
    assert_eq!(put(&north, "/r/x", "north").await, 1);
    let p = get(&north, "/r/x", false).await;
    assert_eq!(value(&p), "north");
    assert_eq!(
        p.arn(),
        Some(format!("arn:aws:ssm:eu-north-1:{account}:parameter/r/x").as_str())
    );
    assert_eq!(value(&get(&east, "/r/x", false).await), "east");

    // Deleting in one region leaves the other.
    north.delete_parameter().name("/r/x").send().await.unwrap();
    assert_eq!(value(&get(&east, "/r/x", false).await), "east");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn china_region_uses_the_aws_cn_partition() {
    let server = support::in_process().await;
    let cn = server.ssm_in("cn-north-1");
    cn.put_parameter()
        .name("/cn/x")
        .value("v")
        .r#type(ParameterType::SecureString)
        .send()
        .await
        .unwrap();
    let p = get(&cn, "/cn/x", true).await;
    assert_eq!(value(&p), "v");
    let arn = p.arn().unwrap();
    let account = account_of(arn);
    assert_eq!(
        arn,
        format!("arn:aws-cn:ssm:cn-north-1:{account}:parameter/cn/x")
    );
    let meta = cn.describe_parameters().send().await.unwrap();
    assert_eq!(meta.parameters()[0].arn(), Some(arn));
    let user = meta.parameters()[0].last_modified_user().unwrap();
    assert!(
        user.starts_with("arn:") && user.contains(":iam::"),
        "{user}"
    );
}
