//! Raw JSON in, raw JSON (or an AWS-shaped error) out.

use kinko_core::secrets::SecretsManager;
use serde_json::{Value, json};

use super::handle;
use crate::{AwsError, RequestContext};

const TOKEN1: &str = "11111111-1111-4111-8111-111111111111";
const TOKEN2: &str = "22222222-2222-4222-8222-222222222222";

fn ctx() -> RequestContext {
    let arn: String = "arn:aws:iam::123456789012:user/alice".into();
    RequestContext {
        caller: crate::Caller {
            region: "us-east-1".into(),
            account_id: "123456789012".into(),
            arn: arn.clone(),
        },
        user_id: "AIDAJQABLZS4A3QDU576Q".to_owned(),
        session: None,
        request_id: "req-1".into(),
        access: std::sync::Arc::new(crate::Access::unrestricted(arn)),
    }
}

async fn call(s: &SecretsManager, op: &str, body: &str) -> Result<Value, AwsError> {
    let out = handle(s, op, body.as_bytes(), &ctx()).await?;
    Ok(serde_json::from_slice(&out).unwrap())
}

fn error_body(e: &AwsError) -> Value {
    serde_json::from_slice(&e.to_body()).unwrap()
}

fn service() -> SecretsManager {
    SecretsManager::in_memory("123456789012").unwrap()
}

#[tokio::test]
async fn create_get_put_describe_delete_on_the_wire() {
    let s = service();
    let out = call(
        &s,
        "CreateSecret",
        &json!({"Name": "app/db", "SecretString": "pw", "ClientRequestToken": TOKEN1, "Unknown": 1})
            .to_string(),
    )
    .await
    .unwrap();
    let arn = out["ARN"].as_str().unwrap().to_owned();
    assert!(arn.starts_with("arn:aws:secretsmanager:us-east-1:123456789012:secret:app/db-"));
    assert_eq!(
        out,
        json!({"ARN": arn, "Name": "app/db", "VersionId": TOKEN1})
    );

    let raw = handle(&s, "GetSecretValue", br#"{"SecretId":"app/db"}"#, &ctx())
        .await
        .unwrap();
    let text = String::from_utf8(raw).unwrap();
    assert!(text.contains("\"CreatedDate\":1"), "{text}");
    let got: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(got["SecretString"], "pw");
    assert_eq!(got["VersionStages"], json!(["AWSCURRENT"]));
    assert_eq!(got["VersionId"], TOKEN1);
    assert_eq!(got["Name"], "app/db");
    assert!(got.get("SecretBinary").is_none());
    assert_eq!(got.as_object().unwrap().len(), 6);

    let put = call(
        &s,
        "PutSecretValue",
        &json!({"SecretId": arn, "SecretString": "pw2", "ClientRequestToken": TOKEN2, "VersionStages": ["AWSPENDING"]})
            .to_string(),
    )
    .await
    .unwrap();
    assert_eq!(
        put,
        json!({"ARN": arn, "Name": "app/db", "VersionId": TOKEN2, "VersionStages": ["AWSPENDING"]})
    );

    let d = call(&s, "DescribeSecret", r#"{"SecretId":"app/db"}"#)
        .await
        .unwrap();
    assert_eq!(
        d["VersionIdsToStages"],
        json!({TOKEN1: ["AWSCURRENT"], TOKEN2: ["AWSPENDING"]})
    );
    assert!(d["CreatedDate"].is_number());
    assert!(d["LastChangedDate"].is_number());
    for absent in [
        "Tags",
        "KmsKeyId",
        "Description",
        "DeletedDate",
        "PrimaryRegion",
        "ReplicationStatus",
        "RotationEnabled",
    ] {
        assert!(d.get(absent).is_none(), "{absent}");
    }

    let del = call(
        &s,
        "DeleteSecret",
        r#"{"SecretId":"app/db","RecoveryWindowInDays":7}"#,
    )
    .await
    .unwrap();
    assert_eq!(del["Name"], "app/db");
    assert!(del["DeletionDate"].is_number());
    let err = call(&s, "GetSecretValue", r#"{"SecretId":"app/db"}"#)
        .await
        .unwrap_err();
    assert_eq!(
        error_body(&err),
        json!({"__type": "InvalidRequestException", "Message": "You can't perform this operation on the secret because it was marked for deletion."})
    );
    let d = call(&s, "DescribeSecret", r#"{"SecretId":"app/db"}"#)
        .await
        .unwrap();
    assert!(d["DeletedDate"].is_number());
    call(&s, "RestoreSecret", r#"{"SecretId":"app/db"}"#)
        .await
        .unwrap();
    let forced = call(
        &s,
        "DeleteSecret",
        r#"{"SecretId":"app/db","ForceDeleteWithoutRecovery":true}"#,
    )
    .await
    .unwrap();
    assert_eq!(forced["ARN"], arn);
    let err = call(&s, "DescribeSecret", r#"{"SecretId":"app/db"}"#)
        .await
        .unwrap_err();
    assert_eq!(
        error_body(&err),
        json!({"__type": "ResourceNotFoundException", "Message": "Secrets Manager can't find the specified secret."})
    );
    assert_eq!(err.status, 400);
}

#[tokio::test]
async fn binary_values_are_base64_both_ways() {
    let s = service();
    // 0x00 0xff 0x80 "kinko"
    call(
        &s,
        "CreateSecret",
        &json!({"Name": "bin", "SecretBinary": "AP+Aa2lua28=", "ClientRequestToken": TOKEN1})
            .to_string(),
    )
    .await
    .unwrap();
    let got = call(&s, "GetSecretValue", r#"{"SecretId":"bin"}"#)
        .await
        .unwrap();
    assert_eq!(got["SecretBinary"], "AP+Aa2lua28=");
    assert!(got.get("SecretString").is_none());

    let err = call(
        &s,
        "CreateSecret",
        &json!({"Name": "bad", "SecretBinary": "not base64!", "ClientRequestToken": TOKEN1})
            .to_string(),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code, "SerializationException");
    assert!(!err.message.contains("not base64"));

    let err = call(
        &s,
        "CreateSecret",
        &json!({"Name": "both", "SecretBinary": "AA==", "SecretString": "x", "ClientRequestToken": TOKEN1}).to_string(),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code, "InvalidParameterException");
}

#[tokio::test]
async fn validation_and_serialization_errors() {
    let s = service();
    let err = call(&s, "GetSecretValue", "{}").await.unwrap_err();
    assert_eq!(
        err.message,
        "1 validation error detected: Value null at 'secretId' failed to satisfy constraint: Member must not be null"
    );
    assert_eq!(err.code, "ValidationException");
    let err = call(&s, "GetSecretValue", "not json").await.unwrap_err();
    assert_eq!(err.code, "SerializationException");
    let err = call(&s, "GetSecretValue", r#"{"SecretId": 5}"#)
        .await
        .unwrap_err();
    assert_eq!(err.code, "SerializationException");

    let err = call(
        &s,
        "CreateSecret",
        &json!({"Name": "x", "SecretString": "v", "ClientRequestToken": "short"}).to_string(),
    )
    .await
    .unwrap_err();
    assert_eq!(
        err.message,
        "1 validation error detected: Value 'short' at 'clientRequestToken' failed to satisfy constraint: Member must have length greater than or equal to 32"
    );
    let big = "x".repeat(65_537);
    let err = call(
        &s,
        "CreateSecret",
        &json!({"Name": "x", "SecretString": big, "ClientRequestToken": TOKEN1}).to_string(),
    )
    .await
    .unwrap_err();
    assert_eq!(
        err.message,
        "1 validation error detected: Value at 'secretString' failed to satisfy constraint: Member must have length less than or equal to 65536"
    );
    let ok = "x".repeat(65_536);
    call(
        &s,
        "CreateSecret",
        &json!({"Name": "big", "SecretString": ok, "ClientRequestToken": TOKEN1}).to_string(),
    )
    .await
    .unwrap();

    let err = call(
        &s,
        "CreateSecret",
        &json!({"Name": "a b", "SecretString": "v", "ClientRequestToken": TOKEN1}).to_string(),
    )
    .await
    .unwrap_err();
    assert_eq!(
        error_body(&err),
        json!({"__type": "ValidationException", "Message": "Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!"})
    );
    let err = call(&s, "CreateSecret", r#"{"Name":"n","SecretString":"v"}"#)
        .await
        .unwrap_err();
    assert_eq!(
        error_body(&err),
        json!({"__type": "InvalidRequestException", "Message": "You must provide a ClientRequestToken value. We recommend a UUID-type value."})
    );
    let err = call(
        &s,
        "ListSecrets",
        r#"{"MaxResults": 101, "SortOrder": "up", "Filters": [{"Key": "nom", "Values": ["a*"]}]}"#,
    )
    .await
    .unwrap_err();
    assert_eq!(
        err.message,
        "4 validation errors detected: Value '101' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 100; \
         Value 'nom' at 'filters.1.member.key' failed to satisfy constraint: Member must satisfy enum value set: [description, name, tag-key, tag-value, primary-region, owning-service, all]; \
         Value '[a*]' at 'filters.1.member.values' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 512, Member must satisfy regular expression pattern: ^\\!?[a-zA-Z0-9 :_@\\/\\+\\=\\.\\-\\!]*$]; \
         Value 'up' at 'sortOrder' failed to satisfy constraint: Member must satisfy enum value set: [asc, desc]"
    );
    let err = call(&s, "NoSuchThing", "{}").await.unwrap_err();
    assert_eq!(err.code, "UnknownOperationException");
    let err = call(
        &s,
        "RotateSecret",
        &json!({"SecretId": "x", "ClientRequestToken": TOKEN1}).to_string(),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code, "ResourceNotFoundException");
    call(
        &s,
        "CreateSecret",
        &json!({"Name": "x", "SecretString": "v", "ClientRequestToken": TOKEN1}).to_string(),
    )
    .await
    .unwrap();
    let err = call(
        &s,
        "RotateSecret",
        &json!({"SecretId": "x", "ClientRequestToken": TOKEN1}).to_string(),
    )
    .await
    .unwrap_err();
    assert_eq!(
        (err.code, err.message.as_str()),
        (
            "InvalidRequestException",
            "You tried to enable rotation on a secret that doesn't already have a Lambda function ARN configured and you didn't include such an ARN as a parameter in this call."
        )
    );
}

#[tokio::test]
async fn lists_tags_versions_and_policies() {
    let s = service();
    call(
        &s,
        "CreateSecret",
        &json!({"Name": "a", "SecretString": "v", "ClientRequestToken": TOKEN1, "Tags": [{"Key": "env", "Value": "prod"}], "Description": "first"}).to_string(),
    )
    .await
    .unwrap();
    call(
        &s,
        "CreateSecret",
        &json!({"Name": "b", "SecretString": "v", "ClientRequestToken": TOKEN2}).to_string(),
    )
    .await
    .unwrap();
    let list = call(
        &s,
        "ListSecrets",
        r#"{"Filters":[{"Key":"tag-key","Values":["env"]}],"SortBy":"name"}"#,
    )
    .await
    .unwrap();
    let entries = list["SecretList"].as_array().unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["Name"], "a");
    assert_eq!(entries[0]["Tags"], json!([{"Key": "env", "Value": "prod"}]));
    assert_eq!(entries[0]["Description"], "first");
    assert_eq!(
        entries[0]["SecretVersionsToStages"],
        json!({TOKEN1: ["AWSCURRENT"]})
    );
    assert!(entries[0].get("VersionIdsToStages").is_none());
    assert!(list.get("NextToken").is_none());

    let page = call(&s, "ListSecrets", r#"{"MaxResults":1}"#)
        .await
        .unwrap();
    let token = page["NextToken"].as_str().unwrap();
    let err = call(
        &s,
        "ListSecrets",
        &json!({"NextToken": format!("x{token}")}).to_string(),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code, "InvalidNextTokenException");

    assert_eq!(
        call(
            &s,
            "TagResource",
            r#"{"SecretId":"b","Tags":[{"Key":"k","Value":"v"}]}"#
        )
        .await
        .unwrap(),
        json!({})
    );
    assert_eq!(
        call(&s, "UntagResource", r#"{"SecretId":"b","TagKeys":["k"]}"#)
            .await
            .unwrap(),
        json!({})
    );
    let d = call(&s, "DescribeSecret", r#"{"SecretId":"b"}"#)
        .await
        .unwrap();
    assert_eq!(d["Tags"], json!([]));

    let versions = call(&s, "ListSecretVersionIds", r#"{"SecretId":"a"}"#)
        .await
        .unwrap();
    assert_eq!(versions["Name"], "a");
    let v = &versions["Versions"][0];
    assert_eq!(v["VersionId"], TOKEN1);
    assert_eq!(v["VersionStages"], json!(["AWSCURRENT"]));
    assert_eq!(v["KmsKeyIds"], json!(["DefaultEncryptionKey"]));
    assert!(v["CreatedDate"].is_number());

    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}]}"#;
    let err = call(
        &s,
        "PutResourcePolicy",
        &json!({"SecretId": "a", "ResourcePolicy": policy, "BlockPublicPolicy": true}).to_string(),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code, "PublicPolicyException");
    let err = call(
        &s,
        "PutResourcePolicy",
        &json!({"SecretId": "a", "ResourcePolicy": "[]"}).to_string(),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code, "MalformedPolicyDocumentException");
    call(
        &s,
        "PutResourcePolicy",
        &json!({"SecretId": "a", "ResourcePolicy": policy}).to_string(),
    )
    .await
    .unwrap();
    let got = call(&s, "GetResourcePolicy", r#"{"SecretId":"a"}"#)
        .await
        .unwrap();
    assert_eq!(got["ResourcePolicy"], policy);
    let got = call(&s, "GetResourcePolicy", r#"{"SecretId":"b"}"#)
        .await
        .unwrap();
    assert!(got.get("ResourcePolicy").is_none());
    let v = call(
        &s,
        "ValidateResourcePolicy",
        &json!({"ResourcePolicy": policy}).to_string(),
    )
    .await
    .unwrap();
    assert_eq!(v["PolicyValidationPassed"], false);
    assert_eq!(v["ValidationErrors"].as_array().unwrap().len(), 1);

    let batch = call(&s, "BatchGetSecretValue", r#"{"SecretIdList":["a","zz"]}"#)
        .await
        .unwrap();
    assert_eq!(batch["SecretValues"][0]["SecretString"], "v");
    assert_eq!(
        batch["Errors"],
        json!([{"SecretId": "zz", "ErrorCode": "ResourceNotFoundException", "Message": "Secrets Manager can't find the specified secret."}])
    );
}

#[tokio::test]
async fn random_passwords() {
    let s = service();
    let out = call(&s, "GetRandomPassword", "{}").await.unwrap();
    assert_eq!(out["RandomPassword"].as_str().unwrap().chars().count(), 32);
    let out = call(
        &s,
        "GetRandomPassword",
        r#"{"PasswordLength": 12, "ExcludePunctuation": true, "ExcludeNumbers": true, "ExcludeLowercase": true}"#,
    )
    .await
    .unwrap();
    let p = out["RandomPassword"].as_str().unwrap();
    assert_eq!(p.len(), 12);
    assert!(p.chars().all(|c| c.is_ascii_uppercase()));
    let err = call(&s, "GetRandomPassword", r#"{"PasswordLength": 4097}"#)
        .await
        .unwrap_err();
    assert_eq!(
        err.message,
        "1 validation error detected: Value '4097' at 'passwordLength' failed to satisfy constraint: Member must have value less than or equal to 4096"
    );
    let err = call(&s, "GetRandomPassword", r#"{"PasswordLength": 2}"#)
        .await
        .unwrap_err();
    assert_eq!(
        error_body(&err),
        json!({"__type": "InvalidParameterException", "Message": "Password length is too short based on the required types."})
    );
}

#[tokio::test]
async fn replication_on_the_wire() {
    let s = service();
    let out = call(
        &s,
        "CreateSecret",
        &json!({"Name": "r", "SecretString": "v", "ClientRequestToken": TOKEN1, "AddReplicaRegions": [{"Region": "eu-west-1"}]}).to_string(),
    )
    .await
    .unwrap();
    assert_eq!(
        out["ReplicationStatus"],
        json!([{"Region": "eu-west-1", "KmsKeyId": "alias/aws/secretsmanager", "Status": "InSync", "StatusMessage": "Replication succeeded"}])
    );
    let d = call(&s, "DescribeSecret", r#"{"SecretId":"r"}"#)
        .await
        .unwrap();
    assert_eq!(d["PrimaryRegion"], "us-east-1");
    assert_eq!(d["ReplicationStatus"][0]["Region"], "eu-west-1");
    let err = call(
        &s,
        "ReplicateSecretToRegions",
        r#"{"SecretId":"r","AddReplicaRegions":[{"Region":"Not a region"}]}"#,
    )
    .await
    .unwrap_err();
    assert_eq!(err.code, "ValidationException");
    let mut eu = ctx();
    eu.caller.region = "eu-west-1".into();
    let raw = handle(
        &s,
        "PutSecretValue",
        json!({"SecretId": "r", "SecretString": "x", "ClientRequestToken": TOKEN2})
            .to_string()
            .as_bytes(),
        &eu,
    )
    .await
    .unwrap_err();
    assert_eq!(
        error_body(&raw),
        json!({"__type": "InvalidParameterException", "Message": "Operation not permitted on a replica secret. Call must be made in primary secret's region."})
    );
    let out = handle(&s, "StopReplicationToReplica", br#"{"SecretId":"r"}"#, &eu)
        .await
        .unwrap();
    let out: Value = serde_json::from_slice(&out).unwrap();
    assert!(out["ARN"].as_str().unwrap().contains(":eu-west-1:"));
}

#[tokio::test]
async fn stage_moves_and_updates_on_the_wire() {
    let s = service();
    call(
        &s,
        "CreateSecret",
        &json!({"Name": "s", "SecretString": "one", "ClientRequestToken": TOKEN1}).to_string(),
    )
    .await
    .unwrap();
    let out = call(&s, "UpdateSecret", r#"{"SecretId":"s","Description":"d"}"#)
        .await
        .unwrap();
    assert!(out.get("VersionId").is_none());
    let out = call(
        &s,
        "UpdateSecret",
        &json!({"SecretId": "s", "SecretString": "two", "ClientRequestToken": TOKEN2}).to_string(),
    )
    .await
    .unwrap();
    assert_eq!(out["VersionId"], TOKEN2);

    let err = call(
        &s,
        "UpdateSecretVersionStage",
        &json!({"SecretId": "s", "VersionStage": "AWSCURRENT", "MoveToVersionId": TOKEN1})
            .to_string(),
    )
    .await
    .unwrap_err();
    assert_eq!(
        error_body(&err),
        json!({"__type": "InvalidParameterException", "Message": format!("The parameter RemoveFromVersionId can't be empty. Staging label AWSCURRENT is currently attached to version {TOKEN2}, so you must explicitly reference that version in RemoveFromVersionId.")})
    );
    let out = call(
        &s,
        "UpdateSecretVersionStage",
        &json!({"SecretId": "s", "VersionStage": "AWSCURRENT", "MoveToVersionId": TOKEN1, "RemoveFromVersionId": TOKEN2}).to_string(),
    )
    .await
    .unwrap();
    assert_eq!(out.as_object().unwrap().len(), 2);
    let got = call(&s, "GetSecretValue", r#"{"SecretId":"s"}"#)
        .await
        .unwrap();
    assert_eq!(got["SecretString"], "one");
    let d = call(&s, "DescribeSecret", r#"{"SecretId":"s"}"#)
        .await
        .unwrap();
    assert_eq!(
        d["VersionIdsToStages"],
        json!({TOKEN1: ["AWSCURRENT"], TOKEN2: ["AWSPREVIOUS"]})
    );
    assert_eq!(d["Description"], "d");
}

// ---- access checks -------------------------------------------------------

use std::sync::Arc;

use kinko_core::kms::{CreateKeyInput, Kms};

use crate::ssm::tests::{Recorder, Row, ctx_with};

const S: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret";

async fn call_as(
    s: &SecretsManager,
    access: &Arc<Recorder>,
    op: &str,
    body: &Value,
) -> Result<Value, AwsError> {
    let out = handle(s, op, body.to_string().as_bytes(), &ctx_with(access)).await?;
    Ok(serde_json::from_slice(&out).unwrap())
}

fn shared() -> (SecretsManager, Kms) {
    let store: Arc<dyn kinko_store::Store> =
        Arc::new(kinko_store::SqliteStore::open_in_memory().unwrap());
    let keyring = Arc::new(kinko_core::keyring::Keyring::new(
        store.clone(),
        kinko_crypto::RootKey::generate(),
        "123456789012".into(),
    ));
    (
        SecretsManager::new(store.clone(), keyring.clone()),
        Kms::new(store, keyring),
    )
}

fn owned(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, r)| (a.to_string(), r.to_string()))
        .collect()
}

#[tokio::test]
async fn every_operation_checks_its_action_and_resource() {
    let s = service();
    let a = Arc::new(Recorder::default());
    let out = call_as(
        &s,
        &a,
        "CreateSecret",
        &json!({"Name": "db", "SecretString": "pw", "ClientRequestToken": TOKEN1,
                "Tags": [{"Key": "env", "Value": "prod"}]}),
    )
    .await
    .unwrap();
    let arn = out["ARN"].as_str().unwrap().to_owned();
    let bare = format!("{S}:db");
    assert_eq!(
        a.take(),
        owned(&[
            ("secretsmanager:CreateSecret", &bare),
            ("secretsmanager:TagResource", &bare),
        ])
    );
    let id = json!({"SecretId": "db"});
    let table: Vec<Row<'_, Value, &str>> = vec![
        (
            "GetSecretValue",
            id.clone(),
            vec![("secretsmanager:GetSecretValue", &arn)],
        ),
        (
            "GetSecretValue",
            json!({"SecretId": format!("{S}:db")}),
            vec![("secretsmanager:GetSecretValue", &arn)],
        ),
        (
            "PutSecretValue",
            json!({"SecretId": "db", "SecretString": "pw2", "ClientRequestToken": TOKEN2}),
            vec![("secretsmanager:PutSecretValue", &arn)],
        ),
        (
            "UpdateSecret",
            json!({"SecretId": "db", "Description": "d"}),
            vec![("secretsmanager:UpdateSecret", &arn)],
        ),
        (
            "UpdateSecretVersionStage",
            json!({"SecretId": "db", "VersionStage": "x", "MoveToVersionId": TOKEN2}),
            vec![("secretsmanager:UpdateSecretVersionStage", &arn)],
        ),
        (
            "DescribeSecret",
            id.clone(),
            vec![("secretsmanager:DescribeSecret", &arn)],
        ),
        (
            "ListSecrets",
            json!({}),
            vec![("secretsmanager:ListSecrets", "*")],
        ),
        (
            "ListSecretVersionIds",
            id.clone(),
            vec![("secretsmanager:ListSecretVersionIds", &arn)],
        ),
        (
            "TagResource",
            json!({"SecretId": "db", "Tags": [{"Key": "k", "Value": "v"}]}),
            vec![("secretsmanager:TagResource", &arn)],
        ),
        (
            "UntagResource",
            json!({"SecretId": "db", "TagKeys": ["k"]}),
            vec![("secretsmanager:UntagResource", &arn)],
        ),
        (
            "GetRandomPassword",
            json!({}),
            vec![("secretsmanager:GetRandomPassword", "*")],
        ),
        (
            "PutResourcePolicy",
            json!({"SecretId": "db", "ResourcePolicy": "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::123456789012:root\"},\"Action\":\"secretsmanager:GetSecretValue\",\"Resource\":\"*\"}]}"}),
            vec![("secretsmanager:PutResourcePolicy", &arn)],
        ),
        (
            "GetResourcePolicy",
            id.clone(),
            vec![("secretsmanager:GetResourcePolicy", &arn)],
        ),
        (
            "ValidateResourcePolicy",
            json!({"ResourcePolicy": "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::123456789012:root\"},\"Action\":\"secretsmanager:GetSecretValue\",\"Resource\":\"*\"}]}"}),
            vec![("secretsmanager:ValidateResourcePolicy", "*")],
        ),
        (
            "DeleteResourcePolicy",
            id.clone(),
            vec![("secretsmanager:DeleteResourcePolicy", &arn)],
        ),
        (
            "BatchGetSecretValue",
            json!({"SecretIdList": ["db", "nope"]}),
            vec![
                ("secretsmanager:BatchGetSecretValue", "*"),
                ("secretsmanager:GetSecretValue", &arn),
                (
                    "secretsmanager:GetSecretValue",
                    "arn:aws:secretsmanager:us-east-1:123456789012:secret:nope",
                ),
            ],
        ),
        (
            "BatchGetSecretValue",
            json!({"Filters": [{"Key": "name", "Values": ["db"]}]}),
            vec![
                ("secretsmanager:BatchGetSecretValue", "*"),
                ("secretsmanager:ListSecrets", "*"),
                ("secretsmanager:GetSecretValue", &arn),
            ],
        ),
        (
            "DeleteSecret",
            id.clone(),
            vec![("secretsmanager:DeleteSecret", &arn)],
        ),
        (
            "RestoreSecret",
            id.clone(),
            vec![("secretsmanager:RestoreSecret", &arn)],
        ),
    ];
    for (op, body, want) in table {
        call_as(&s, &a, op, &body)
            .await
            .unwrap_or_else(|e| panic!("{op} {body}: {e:?}"));
        assert_eq!(a.take(), owned(&want), "{op} {body}");
    }
    // Rotation: checked on the secret, then AWS's own answer.
    assert!(call_as(&s, &a, "CancelRotateSecret", &id).await.is_err());
    assert_eq!(
        a.take(),
        owned(&[("secretsmanager:CancelRotateSecret", &arn)])
    );
    // A secret that does not exist: checked on the name asked for, no suffix.
    let e = call_as(&s, &a, "DescribeSecret", &json!({"SecretId": "ghost"}))
        .await
        .unwrap_err();
    assert_eq!(e.code, "ResourceNotFoundException");
    assert_eq!(
        a.take(),
        owned(&[("secretsmanager:DescribeSecret", &format!("{S}:ghost"))])
    );
}

#[tokio::test]
async fn checks_carry_the_resource_policy_and_tags() {
    let s = service();
    call(
        &s,
        "CreateSecret",
        &json!({"Name": "p", "SecretString": "v", "ClientRequestToken": TOKEN1,
                "Tags": [{"Key": "team", "Value": "a"}]})
        .to_string(),
    )
    .await
    .unwrap();
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}]}"#;
    call(
        &s,
        "PutResourcePolicy",
        &json!({"SecretId": "p", "ResourcePolicy": policy}).to_string(),
    )
    .await
    .unwrap();
    let a = Arc::new(Recorder::default());
    call_as(&s, &a, "GetSecretValue", &json!({"SecretId": "p"}))
        .await
        .unwrap();
    let seen = a.context.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].1, Some(vec![("team".to_owned(), "a".to_owned())]));
    assert_eq!(seen[0].2.as_deref(), Some(policy));
}

#[tokio::test]
async fn denials_write_nothing_and_never_show_a_value() {
    let s = service();
    let denied_create = Arc::new(Recorder::default().deny("secretsmanager:CreateSecret", "*"));
    let e = call_as(
        &s,
        &denied_create,
        "CreateSecret",
        &json!({"Name": "x", "SecretString": "topsecret", "ClientRequestToken": TOKEN1}),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code, "AccessDeniedException");
    assert!(
        e.message
            .contains(&format!("secretsmanager:CreateSecret on resource: {S}:x"))
    );
    assert_eq!(
        call(&s, "DescribeSecret", r#"{"SecretId":"x"}"#)
            .await
            .unwrap_err()
            .code,
        "ResourceNotFoundException"
    );

    let out = call(
        &s,
        "CreateSecret",
        &json!({"Name": "x", "SecretString": "topsecret", "ClientRequestToken": TOKEN1})
            .to_string(),
    )
    .await
    .unwrap();
    let arn = out["ARN"].as_str().unwrap().to_owned();
    let a = Arc::new(
        Recorder::default()
            .deny("secretsmanager:PutSecretValue", &arn)
            .deny("secretsmanager:GetSecretValue", &arn)
            .deny("secretsmanager:DeleteSecret", &arn),
    );
    let e = call_as(
        &s,
        &a,
        "PutSecretValue",
        &json!({"SecretId": "x", "SecretString": "other", "ClientRequestToken": TOKEN2}),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code, "AccessDeniedException");
    assert!(
        call_as(&s, &a, "DeleteSecret", &json!({"SecretId": "x"}))
            .await
            .is_err()
    );
    let e = call_as(&s, &a, "GetSecretValue", &json!({"SecretId": "x"}))
        .await
        .unwrap_err();
    assert_eq!(
        e.message,
        format!(
            "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: secretsmanager:GetSecretValue on resource: {arn} because no policy allows the action"
        )
    );
    assert!(!String::from_utf8_lossy(&e.to_body()).contains("topsecret"));
    // Still the first value, still live.
    let got = call(&s, "GetSecretValue", r#"{"SecretId":"x"}"#)
        .await
        .unwrap();
    assert_eq!(got["SecretString"], "topsecret");
    assert_eq!(got["VersionId"], TOKEN1);

    // BatchGetSecretValue: a denied secret is an error entry, not a value.
    let out = call_as(
        &s,
        &a,
        "BatchGetSecretValue",
        &json!({"SecretIdList": ["x"]}),
    )
    .await
    .unwrap();
    assert_eq!(out["SecretValues"], json!([]));
    assert_eq!(out["Errors"][0]["ErrorCode"], "AccessDeniedException");
    assert!(!out.to_string().contains("topsecret"));
}

#[tokio::test]
async fn customer_managed_keys_need_kms_permissions() {
    let (s, kms) = shared();
    let key = kms
        .create_key("us-east-1", CreateKeyInput::default())
        .await
        .unwrap();
    let a = Arc::new(Recorder::default());
    call_as(
        &s,
        &a,
        "CreateSecret",
        &json!({"Name": "c", "SecretString": "cmk-value", "ClientRequestToken": TOKEN1,
                "KmsKeyId": key.key_id}),
    )
    .await
    .unwrap();
    assert_eq!(
        a.take(),
        owned(&[
            ("secretsmanager:CreateSecret", &format!("{S}:c")),
            ("kms:GenerateDataKey", &key.arn),
        ])
    );
    let got = call_as(&s, &a, "GetSecretValue", &json!({"SecretId": "c"}))
        .await
        .unwrap();
    let arn = got["ARN"].as_str().unwrap().to_owned();
    assert_eq!(
        a.take(),
        owned(&[
            ("secretsmanager:GetSecretValue", &arn),
            ("kms:Decrypt", &key.arn),
        ])
    );
    // The AWS-managed key needs no kms permission.
    call_as(
        &s,
        &a,
        "CreateSecret",
        &json!({"Name": "m", "SecretString": "managed", "ClientRequestToken": TOKEN1}),
    )
    .await
    .unwrap();
    call_as(&s, &a, "GetSecretValue", &json!({"SecretId": "m"}))
        .await
        .unwrap();
    assert!(
        a.take()
            .iter()
            .all(|(action, _)| !action.starts_with("kms:"))
    );

    let deny = Arc::new(
        Recorder::default()
            .deny("kms:Decrypt", &key.arn)
            .deny("kms:GenerateDataKey", &key.arn),
    );
    let e = call_as(&s, &deny, "GetSecretValue", &json!({"SecretId": "c"}))
        .await
        .unwrap_err();
    assert!(
        e.message
            .contains(&format!("kms:Decrypt on resource: {}", key.arn))
    );
    assert!(!e.message.contains("cmk-value"));
    let out = call_as(
        &s,
        &deny,
        "BatchGetSecretValue",
        &json!({"SecretIdList": ["c", "m"]}),
    )
    .await
    .unwrap();
    assert_eq!(out["SecretValues"].as_array().unwrap().len(), 1);
    assert_eq!(out["SecretValues"][0]["Name"], "m");
    assert_eq!(out["Errors"][0]["ErrorCode"], "AccessDeniedException");
    assert!(!out.to_string().contains("cmk-value"));
    let e = call_as(
        &s,
        &deny,
        "PutSecretValue",
        &json!({"SecretId": "c", "SecretString": "new", "ClientRequestToken": TOKEN2}),
    )
    .await
    .unwrap_err();
    assert!(e.message.contains("kms:GenerateDataKey"));
    let ids = call(&s, "ListSecretVersionIds", r#"{"SecretId":"c"}"#)
        .await
        .unwrap();
    assert_eq!(ids["Versions"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn list_secrets_shows_what_the_caller_may_list() {
    let s = service();
    for (i, n) in ["app/a", "app/b", "other/c"].iter().enumerate() {
        call(
            &s,
            "CreateSecret",
            &json!({"Name": n, "SecretString": "v",
                    "ClientRequestToken": format!("{i}1111111-1111-4111-8111-111111111111")})
            .to_string(),
        )
        .await
        .unwrap();
    }
    let names = |v: &Value| -> Vec<String> {
        v["SecretList"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["Name"].as_str().unwrap().to_owned())
            .collect()
    };
    let dev = Arc::new(
        Recorder::default()
            .allow("secretsmanager:ListSecrets", &format!("{S}:app/*"))
            .deny("secretsmanager:ListSecrets", "*"),
    );
    let out = call_as(&s, &dev, "ListSecrets", &json!({"SortBy": "name"}))
        .await
        .unwrap();
    assert_eq!(names(&out), ["app/a", "app/b"]);
    assert!(dev.take().is_empty());
    let none = Arc::new(Recorder::default().deny("secretsmanager:ListSecrets", "*"));
    let e = call_as(&s, &none, "ListSecrets", &json!({}))
        .await
        .unwrap_err();
    assert_eq!(e.code, "AccessDeniedException");
    assert_eq!(none.take(), owned(&[("secretsmanager:ListSecrets", "*")]));
}
