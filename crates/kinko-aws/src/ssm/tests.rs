//! Raw JSON in, raw JSON (or an AWS-shaped error) out.

use kinko_core::ssm::ParameterStore;
use serde_json::{Value, json};

use super::handle;
use crate::{AwsError, RequestContext};

fn ctx() -> RequestContext {
    RequestContext {
        region: "us-east-1".into(),
        account_id: "123456789012".into(),
        principal_arn: "arn:aws:iam::123456789012:user/alice".into(),
        request_id: "req-1".into(),
        access: std::sync::Arc::new(crate::AllowAll),
    }
}

async fn call(store: &ParameterStore, op: &str, body: &str) -> Result<Value, AwsError> {
    let out = handle(store, op, body.as_bytes(), &ctx()).await?;
    Ok(serde_json::from_slice(&out).unwrap())
}

fn error_body(e: &AwsError) -> Value {
    serde_json::from_slice(&e.to_body()).unwrap()
}

#[tokio::test]
async fn put_and_get_on_the_wire() {
    let s = ParameterStore::in_memory("123456789012").unwrap();
    let out = call(
        &s,
        "PutParameter",
        r#"{"Name":"/x","Value":"v","Type":"String","Unknown":1}"#,
    )
    .await
    .unwrap();
    assert_eq!(out, json!({"Version": 1, "Tier": "Standard"}));

    let raw = handle(&s, "GetParameter", br#"{"Name":"/x"}"#, &ctx())
        .await
        .unwrap();
    let text = String::from_utf8(raw).unwrap();
    // A timestamp is a JSON number, never a string.
    assert!(text.contains("\"LastModifiedDate\":1"), "{text}");
    let got: Value = serde_json::from_str(&text).unwrap();
    let p = &got["Parameter"];
    assert_eq!(p["Name"], "/x");
    assert_eq!(p["Type"], "String");
    assert_eq!(p["Value"], "v");
    assert_eq!(p["Version"], 1);
    assert_eq!(p["ARN"], "arn:aws:ssm:us-east-1:123456789012:parameter/x");
    assert_eq!(p["DataType"], "text");
    assert!(p["LastModifiedDate"].is_f64());
    // Absent optional members are omitted, not null.
    assert!(p.get("Selector").is_none());
    assert_eq!(p.as_object().unwrap().len(), 7);

    let with_sel = call(&s, "GetParameter", r#"{"Name":"/x:1"}"#)
        .await
        .unwrap();
    assert_eq!(with_sel["Parameter"]["Selector"], ":1");
}

#[tokio::test]
async fn secure_string_on_the_wire() {
    let s = ParameterStore::in_memory("123456789012").unwrap();
    call(
        &s,
        "PutParameter",
        r#"{"Name":"/pw","Value":"hunter2","Type":"SecureString"}"#,
    )
    .await
    .unwrap();
    let plain = call(
        &s,
        "GetParameter",
        r#"{"Name":"/pw","WithDecryption":true}"#,
    )
    .await
    .unwrap();
    assert_eq!(plain["Parameter"]["Value"], "hunter2");
    let sealed = call(&s, "GetParameter", r#"{"Name":"/pw"}"#).await.unwrap();
    assert_ne!(sealed["Parameter"]["Value"], "hunter2");
    let described = call(&s, "DescribeParameters", "{}").await.unwrap();
    assert_eq!(described["Parameters"][0]["KeyId"], "alias/aws/ssm");
    assert_eq!(described["Parameters"][0]["Policies"], json!([]));
    assert_eq!(
        described["Parameters"][0]["LastModifiedUser"],
        "arn:aws:iam::123456789012:user/alice"
    );
}

#[tokio::test]
async fn errors_are_aws_shaped() {
    let s = ParameterStore::in_memory("123456789012").unwrap();
    let e = call(&s, "GetParameter", r#"{"Name":"/missing"}"#)
        .await
        .unwrap_err();
    assert_eq!(e.status, 400);
    assert_eq!(
        error_body(&e),
        json!({"__type": "ParameterNotFound", "message": "Parameter /missing not found."})
    );

    let e = call(&s, "GetParameter", "{").await.unwrap_err();
    assert_eq!(e.code, "SerializationException");
    let e = call(&s, "GetParameter", r#"{"Name": 5}"#)
        .await
        .unwrap_err();
    assert_eq!(e.code, "SerializationException");
    let e = call(
        &s,
        "PutParameter",
        r#"{"Name":"/x","Value":12345,"Type":"String"}"#,
    )
    .await
    .unwrap_err();
    assert_eq!(e.code, "SerializationException");
    assert!(!e.message.contains("12345"));

    let e = call(&s, "GetParameter", "").await.unwrap_err();
    assert_eq!(
        error_body(&e),
        json!({"__type": "ValidationException", "Message": "1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null"})
    );

    let e = call(
        &s,
        "PutParameter",
        r#"{"Name":"/x","Value":"","Type":"Strin"}"#,
    )
    .await
    .unwrap_err();
    assert_eq!(
        e.message,
        "2 validation errors detected: Value at 'value' failed to satisfy constraint: Member must have length greater than or equal to 1; Value 'Strin' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [String, StringList, SecureString]"
    );

    let e = call(&s, "GetParametersByPath", r#"{"Path":"/","MaxResults":11}"#)
        .await
        .unwrap_err();
    assert_eq!(
        e.message,
        "1 validation error detected: Value '11' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 10"
    );

    let names: Vec<String> = (0..11).map(|i| format!("n{i}")).collect();
    let body = json!({ "Names": names }).to_string();
    let e = call(&s, "GetParameters", &body).await.unwrap_err();
    assert_eq!(
        e.message,
        "1 validation error detected: Value '[n0, n1, n2, n3, n4, n5, n6, n7, n8, n9, n10]' at 'names' failed to satisfy constraint: Member must have length less than or equal to 10"
    );

    let e = call(
        &s,
        "PutParameter",
        r#"{"Name":"/pw","Value":"{{ssm:x}}","Type":"String"}"#,
    )
    .await
    .unwrap_err();
    assert_eq!(e.code, "ValidationException");

    let e = call(
        &s,
        "ListTagsForResource",
        r#"{"ResourceType":"Document","ResourceId":"x"}"#,
    )
    .await
    .unwrap_err();
    assert_eq!(error_body(&e), json!({"__type": "InvalidResourceType"}));
    let e = call(
        &s,
        "ListTagsForResource",
        r#"{"ResourceType":"Parameter","ResourceId":"x"}"#,
    )
    .await
    .unwrap_err();
    assert_eq!(error_body(&e), json!({"__type": "InvalidResourceId"}));

    let e = call(&s, "DescribeParameters", r#"{"NextToken":"forged"}"#)
        .await
        .unwrap_err();
    assert_eq!(
        error_body(&e),
        json!({"__type": "InvalidNextToken", "Message": "The specified token isn't valid."})
    );

    let e = call(&s, "Nope", "{}").await.unwrap_err();
    assert_eq!(e.code, "UnknownOperationException");
}

#[tokio::test]
async fn secret_values_never_reach_error_messages() {
    let s = ParameterStore::in_memory("123456789012").unwrap();
    let long = "S".repeat(8193);
    let body = json!({"Name": "/x", "Value": long, "Type": "SecureString", "Tier": "Advanced"})
        .to_string();
    let e = call(&s, "PutParameter", &body).await.unwrap_err();
    assert_eq!(
        e.message,
        "1 validation error detected: Value at 'value' failed to satisfy constraint: Member must have length less than or equal to 8192"
    );
    let body =
        json!({"Name": "/x", "Value": "topsecret", "Type": "String", "AllowedPattern": "\\d+"})
            .to_string();
    let e = call(&s, "PutParameter", &body).await.unwrap_err();
    assert_eq!(e.code, "ParameterPatternMismatchException");
    assert!(!e.message.contains("topsecret"));
}

#[tokio::test]
async fn the_other_operations_round_trip() {
    let s = ParameterStore::in_memory("123456789012").unwrap();
    call(
        &s,
        "PutParameter",
        r#"{"Name":"/a/b","Value":"1","Type":"String","Tags":[{"Key":"env","Value":"prod"}]}"#,
    )
    .await
    .unwrap();
    call(
        &s,
        "PutParameter",
        r#"{"Name":"/a/b","Value":"2","Overwrite":true}"#,
    )
    .await
    .unwrap();

    let out = call(
        &s,
        "LabelParameterVersion",
        r#"{"Name":"/a/b","ParameterVersion":1,"Labels":["prod","1bad"]}"#,
    )
    .await
    .unwrap();
    assert_eq!(
        out,
        json!({"InvalidLabels": ["1bad"], "ParameterVersion": 1})
    );

    let h = call(&s, "GetParameterHistory", r#"{"Name":"/a/b"}"#)
        .await
        .unwrap();
    assert_eq!(h["Parameters"][0]["Labels"], json!(["prod"]));
    assert_eq!(h["Parameters"][1]["Labels"], json!([]));
    assert_eq!(h["Parameters"][1]["Value"], "2");
    assert!(h.get("NextToken").is_none());

    let by_path = call(
        &s,
        "GetParametersByPath",
        r#"{"Path":"/a","ParameterFilters":[{"Key":"Label","Values":["prod"]}]}"#,
    )
    .await
    .unwrap();
    assert_eq!(by_path["Parameters"][0]["Value"], "1");

    let e = call(
        &s,
        "UnlabelParameterVersion",
        r#"{"Name":"/a/b","Labels":["prod"]}"#,
    )
    .await
    .unwrap_err();
    assert_eq!(
        e.message,
        "1 validation error detected: Value null at 'parameterVersion' failed to satisfy constraint: Member must not be null"
    );
    let out = call(
        &s,
        "UnlabelParameterVersion",
        r#"{"Name":"/a/b","ParameterVersion":1,"Labels":["prod","x"]}"#,
    )
    .await
    .unwrap();
    assert_eq!(
        out,
        json!({"RemovedLabels": ["prod"], "InvalidLabels": ["x"]})
    );

    let tags = call(
        &s,
        "ListTagsForResource",
        r#"{"ResourceType":"Parameter","ResourceId":"/a/b"}"#,
    )
    .await
    .unwrap();
    assert_eq!(tags, json!({"TagList": [{"Key": "env", "Value": "prod"}]}));
    call(
        &s,
        "AddTagsToResource",
        r#"{"ResourceType":"Parameter","ResourceId":"/a/b","Tags":[{"Key":"team","Value":"x"}]}"#,
    )
    .await
    .unwrap();
    assert_eq!(
        call(
            &s,
            "RemoveTagsFromResource",
            r#"{"ResourceType":"Parameter","ResourceId":"/a/b","TagKeys":["env","nope"]}"#
        )
        .await
        .unwrap(),
        json!({})
    );
    let tags = call(
        &s,
        "ListTagsForResource",
        r#"{"ResourceType":"Parameter","ResourceId":"/a/b"}"#,
    )
    .await
    .unwrap();
    assert_eq!(tags, json!({"TagList": [{"Key": "team", "Value": "x"}]}));

    let out = call(&s, "DeleteParameters", r#"{"Names":["/a/b","/zz"]}"#)
        .await
        .unwrap();
    assert_eq!(
        out,
        json!({"DeletedParameters": ["/a/b"], "InvalidParameters": ["/zz"]})
    );
    assert_eq!(
        call(&s, "DeleteParameter", r#"{"Name":"/zz"}"#)
            .await
            .unwrap_err()
            .code,
        "ParameterNotFound"
    );
    let out = call(&s, "GetParameters", r#"{"Names":["/a/b"]}"#)
        .await
        .unwrap();
    assert_eq!(
        out,
        json!({"Parameters": [], "InvalidParameters": ["/a/b"]})
    );
}
