//! Raw JSON in, raw JSON (or an AWS-shaped error) out.

use kinko_core::secrets::SecretsManager;
use serde_json::{Value, json};

use super::handle;
use crate::{AwsError, RequestContext};

const TOKEN1: &str = "11111111-1111-4111-8111-111111111111";
const TOKEN2: &str = "22222222-2222-4222-8222-222222222222";

fn ctx() -> RequestContext {
    RequestContext {
        region: "us-east-1".into(),
        account_id: "123456789012".into(),
        principal_arn: "arn:aws:iam::123456789012:user/alice".into(),
        request_id: "req-1".into(),
        access: std::sync::Arc::new(crate::AllowAll),
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
         Value 'a*' at 'filters.1.member.values.1.member' failed to satisfy constraint: Member must satisfy regular expression pattern: ^\\!?[a-zA-Z0-9 :_@\\/\\+\\=\\.\\-\\!]*$; \
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
            "No Lambda rotation function ARN is associated with this secret."
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
    let eu = RequestContext {
        region: "eu-west-1".into(),
        ..ctx()
    };
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
