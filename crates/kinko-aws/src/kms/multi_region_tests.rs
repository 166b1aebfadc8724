//! ReplicateKey and UpdatePrimaryRegion on the wire: shapes, the model's
//! constraints and the checks AWS documents.

use std::sync::Arc;

use kinko_core::kms::Kms;
use serde_json::{Value, json};

use super::handle;
use crate::AwsError;
use crate::ssm::tests::{Recorder, ctx_with};

const ACCOUNT: &str = "123456789012";

async fn call(kms: &Kms, access: &Arc<Recorder>, op: &str, body: Value) -> Result<Value, AwsError> {
    let out = handle(kms, op, body.to_string().as_bytes(), &ctx_with(access)).await?;
    Ok(serde_json::from_slice(&out).unwrap())
}

fn owned(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, r)| (a.to_string(), r.to_string()))
        .collect()
}

fn error_body(e: &AwsError) -> Value {
    serde_json::from_slice(&e.to_body()).unwrap()
}

#[tokio::test]
async fn replicate_key_answers_the_models_shape_and_checks_what_aws_documents() {
    let k = Kms::in_memory(ACCOUNT).unwrap();
    let a = Arc::new(Recorder::default());
    let meta = call(&k, &a, "CreateKey", json!({"MultiRegion": true}))
        .await
        .unwrap()["KeyMetadata"]
        .clone();
    a.take();
    let id = meta["KeyId"].as_str().unwrap().to_owned();
    let arn = format!("arn:aws:kms:us-east-1:{ACCOUNT}:key/{id}");
    let eu_arn = format!("arn:aws:kms:eu-west-1:{ACCOUNT}:key/{id}");
    assert!(id.starts_with("mrk-") && id.len() == 36, "{id}");
    assert_eq!(meta["MultiRegion"], true);
    assert_eq!(
        meta["MultiRegionConfiguration"],
        json!({"MultiRegionKeyType": "PRIMARY",
               "PrimaryKey": {"Arn": arn, "Region": "us-east-1"},
               "ReplicaKeys": []})
    );

    let out = call(
        &k,
        &a,
        "ReplicateKey",
        json!({"KeyId": arn, "ReplicaRegion": "eu-west-1", "Description": "eu",
               "Tags": [{"TagKey": "t", "TagValue": "v"}]}),
    )
    .await
    .unwrap();
    assert_eq!(
        a.take(),
        owned(&[
            ("kms:ReplicateKey", &arn),
            ("kms:CreateKey", "*"),
            ("kms:TagResource", "*"),
        ])
    );
    let replica = &out["ReplicaKeyMetadata"];
    assert_eq!(replica["Arn"], eu_arn);
    assert_eq!(replica["KeyId"], id);
    assert_eq!(replica["Description"], "eu");
    assert_eq!(replica["KeyState"], "Enabled");
    assert_eq!(replica["MultiRegion"], true);
    assert_eq!(
        replica["MultiRegionConfiguration"],
        json!({"MultiRegionKeyType": "REPLICA",
               "PrimaryKey": {"Arn": arn, "Region": "us-east-1"},
               "ReplicaKeys": [{"Arn": eu_arn, "Region": "eu-west-1"}]})
    );
    assert_eq!(
        out["ReplicaTags"],
        json!([{"TagKey": "t", "TagValue": "v"}])
    );
    let policy: Value = serde_json::from_str(out["ReplicaPolicy"].as_str().unwrap()).unwrap();
    assert_eq!(policy["Statement"][0]["Action"], "kms:*");

    let e = call(
        &k,
        &a,
        "ReplicateKey",
        json!({"KeyId": id, "ReplicaRegion": "eu-west-1"}),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code, "AlreadyExistsException");
    a.take();

    // UpdatePrimaryRegion asks for the action on both keys.
    call(
        &k,
        &a,
        "UpdatePrimaryRegion",
        json!({"KeyId": id, "PrimaryRegion": "eu-west-1"}),
    )
    .await
    .unwrap();
    assert_eq!(
        a.take(),
        owned(&[
            ("kms:UpdatePrimaryRegion", &arn),
            ("kms:UpdatePrimaryRegion", &eu_arn),
        ])
    );
    let described = call(&k, &a, "DescribeKey", json!({"KeyId": id}))
        .await
        .unwrap();
    assert_eq!(
        described["KeyMetadata"]["MultiRegionConfiguration"]["MultiRegionKeyType"],
        "REPLICA"
    );
}

#[tokio::test]
async fn the_models_constraints_and_denials() {
    let k = Kms::in_memory(ACCOUNT).unwrap();
    let a = Arc::new(Recorder::default());
    let e = call(
        &k,
        &a,
        "ReplicateKey",
        json!({"KeyId": "mrk-1234abcd12ab34cd56ef1234567890ab", "ReplicaRegion": "Mars"}),
    )
    .await
    .unwrap_err();
    assert_eq!(
        error_body(&e),
        json!({"__type": "ValidationException", "message": "1 validation error detected: Value 'Mars' at 'replicaRegion' failed to satisfy constraint: Member must satisfy regular expression pattern: ^([a-z]+-){2,3}\\d+$"})
    );
    let e = call(&k, &a, "ReplicateKey", json!({})).await.unwrap_err();
    assert_eq!(e.code, "ValidationException");
    assert!(
        e.message.contains("'keyId'") && e.message.contains("'replicaRegion'"),
        "{}",
        e.message
    );
    let e = call(
        &k,
        &a,
        "UpdatePrimaryRegion",
        json!({"KeyId": "mrk-1234abcd12ab34cd56ef1234567890ab"}),
    )
    .await
    .unwrap_err();
    assert!(e.message.contains("'primaryRegion'"), "{}", e.message);
    let e = call(
        &k,
        &a,
        "ReplicateKey",
        json!({"KeyId": "mrk-1234abcd12ab34cd56ef1234567890ab", "ReplicaRegion": "eu-west-1"}),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code, "NotFoundException");

    // A caller denied kms:ReplicateKey, or kms:CreateKey, makes no replica.
    let meta = call(&k, &a, "CreateKey", json!({"MultiRegion": true}))
        .await
        .unwrap()["KeyMetadata"]
        .clone();
    let arn = meta["Arn"].as_str().unwrap().to_owned();
    for deny in [
        Recorder::default().deny("kms:ReplicateKey", &arn),
        Recorder::default().deny("kms:CreateKey", "*"),
    ] {
        let deny = Arc::new(deny);
        let e = call(
            &k,
            &deny,
            "ReplicateKey",
            json!({"KeyId": arn, "ReplicaRegion": "eu-west-1"}),
        )
        .await
        .unwrap_err();
        assert_eq!(e.code, "AccessDeniedException");
    }
    let out = call(
        &k,
        &a,
        "ReplicateKey",
        json!({"KeyId": arn, "ReplicaRegion": "eu-west-1"}),
    )
    .await
    .unwrap();
    assert_eq!(out["ReplicaKeyMetadata"]["KeyState"], "Enabled");
}
