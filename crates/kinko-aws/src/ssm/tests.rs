//! Raw JSON in, raw JSON (or an AWS-shaped error) out.

use kinko_core::ssm::ParameterStore;
use serde_json::{Value, json};

use super::handle;
use crate::{AwsError, RequestContext};

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

// ---- access checks -------------------------------------------------------

use std::sync::{Arc, Mutex};

use kinko_core::kms::{CreateKeyInput, Kms};
use kinko_core::secrets::SecretsManager;

use kinko_core::iam::{Access, Script};

use crate::Check;

/// One row of an access table: operation, request, expected checks.
pub(crate) type Row<'a, B, R> = (&'a str, B, Vec<(&'a str, R)>);

/// What a check carried besides action and resource: (resource, tags, policy).
pub(crate) type Seen = (String, Option<Vec<(String, String)>>, Option<String>);

/// A test's access rules: records every check it is asked (`authorize`
/// only), and decides by its rules, first match wins, allowing by default.
/// A rule resource ending in `*` matches by prefix.
#[derive(Default)]
pub(crate) struct Recorder {
    pub checks: Mutex<Vec<(String, String)>>,
    rules: Vec<(String, String, bool)>,
    /// Tags and policies the checks carried, by resource.
    pub context: Mutex<Vec<Seen>>,
    wants_tags: bool,
}

impl Recorder {
    pub fn deny(mut self, action: &str, resource: &str) -> Self {
        self.rules.push((action.into(), resource.into(), false));
        self
    }

    pub fn allow(mut self, action: &str, resource: &str) -> Self {
        self.rules.push((action.into(), resource.into(), true));
        self
    }

    pub fn wanting_tags(mut self) -> Self {
        self.wants_tags = true;
        self
    }

    fn decide(&self, check: &Check<'_>) -> bool {
        for (action, resource, allow) in &self.rules {
            let resource_matches = match resource.strip_suffix('*') {
                Some(prefix) => check.resource.starts_with(prefix),
                None => check.resource == resource,
            };
            if action == check.action && resource_matches {
                return *allow;
            }
        }
        true
    }

    pub fn take(&self) -> Vec<(String, String)> {
        std::mem::take(&mut *self.checks.lock().unwrap())
    }
}

impl Script for Recorder {
    fn wants_resource_tags(&self, _action: &str) -> bool {
        self.wants_tags
    }

    fn allows(&self, check: &Check<'_>, recorded: bool) -> bool {
        if recorded {
            self.checks
                .lock()
                .unwrap()
                .push((check.action.to_owned(), check.resource.to_owned()));
            self.context.lock().unwrap().push((
                check.resource.to_owned(),
                check
                    .resource_tags
                    .map(|t| t.iter().map(|t| (t.key.clone(), t.value.clone())).collect()),
                check.resource_policy.map(str::to_owned),
            ));
        }
        self.decide(check)
    }
}

pub(crate) fn ctx_with(access: &Arc<Recorder>) -> RequestContext {
    let ctx = ctx();
    RequestContext {
        access: Arc::new(Access::scripted(ctx.caller.arn.clone(), access.clone())),
        ..ctx
    }
}

const P: &str = "arn:aws:ssm:us-east-1:123456789012:parameter";

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, r)| (a.to_string(), r.to_string()))
        .collect()
}

async fn call_as(
    store: &ParameterStore,
    access: &Arc<Recorder>,
    op: &str,
    body: &str,
) -> Result<Value, AwsError> {
    let out = handle(store, op, body.as_bytes(), &ctx_with(access)).await?;
    Ok(serde_json::from_slice(&out).unwrap())
}

/// Services sharing one store and keyring, so a customer key made through
/// KMS can seal SecureStrings and secrets.
fn shared() -> (ParameterStore, Arc<SecretsManager>, Kms) {
    let store: Arc<dyn kinko_store::Store> =
        Arc::new(kinko_store::SqliteStore::open_in_memory().unwrap());
    let keyring = Arc::new(kinko_core::keyring::Keyring::new(
        store.clone(),
        kinko_crypto::RootKey::generate(),
        "123456789012".into(),
    ));
    let secrets = Arc::new(SecretsManager::new(store.clone(), keyring.clone()));
    let kms = Kms::new(store.clone(), keyring.clone());
    let ssm = ParameterStore::new(store, keyring).with_secrets(secrets.clone());
    (ssm, secrets, kms)
}

async fn customer_key(kms: &Kms) -> (String, String) {
    let meta = kms
        .create_key("us-east-1", CreateKeyInput::default())
        .await
        .unwrap();
    (meta.key_id, meta.arn)
}

#[tokio::test]
async fn every_operation_checks_its_action_and_resource() {
    let s = ParameterStore::in_memory("123456789012").unwrap();
    let a = Arc::new(Recorder::default());
    let table: Vec<Row<'_, String, String>> = vec![
        (
            "PutParameter",
            r#"{"Name":"/app/a","Value":"1","Type":"String","Tags":[{"Key":"k","Value":"v"}]}"#.into(),
            vec![
                ("ssm:PutParameter", format!("{P}/app/a")),
                ("ssm:AddTagsToResource", format!("{P}/app/a")),
            ],
        ),
        (
            "PutParameter",
            r#"{"Name":"flat","Value":"1","Type":"String"}"#.into(),
            vec![("ssm:PutParameter", format!("{P}/flat"))],
        ),
        (
            "GetParameter",
            r#"{"Name":"/app/a:1"}"#.into(),
            vec![("ssm:GetParameter", format!("{P}/app/a"))],
        ),
        (
            "GetParameter",
            format!(r#"{{"Name":"{P}/app/a"}}"#),
            vec![("ssm:GetParameter", format!("{P}/app/a"))],
        ),
        (
            "GetParameters",
            r#"{"Names":["/app/a","flat","/missing"]}"#.into(),
            vec![
                ("ssm:GetParameters", format!("{P}/app/a")),
                ("ssm:GetParameters", format!("{P}/flat")),
                ("ssm:GetParameters", format!("{P}/missing")),
            ],
        ),
        (
            "GetParametersByPath",
            r#"{"Path":"/app","Recursive":true}"#.into(),
            vec![("ssm:GetParametersByPath", format!("{P}/app"))],
        ),
        (
            "GetParametersByPath",
            r#"{"Path":"/"}"#.into(),
            vec![("ssm:GetParametersByPath", format!("{P}/"))],
        ),
        (
            "DescribeParameters",
            "{}".into(),
            vec![("ssm:DescribeParameters", "*".into())],
        ),
        (
            "GetParameterHistory",
            r#"{"Name":"/app/a"}"#.into(),
            vec![("ssm:GetParameterHistory", format!("{P}/app/a"))],
        ),
        (
            "LabelParameterVersion",
            r#"{"Name":"/app/a","Labels":["prod"]}"#.into(),
            vec![("ssm:LabelParameterVersion", format!("{P}/app/a"))],
        ),
        (
            "UnlabelParameterVersion",
            r#"{"Name":"/app/a","ParameterVersion":1,"Labels":["prod"]}"#.into(),
            vec![("ssm:UnlabelParameterVersion", format!("{P}/app/a"))],
        ),
        (
            "AddTagsToResource",
            r#"{"ResourceType":"Parameter","ResourceId":"/app/a","Tags":[{"Key":"t","Value":"1"}]}"#.into(),
            vec![("ssm:AddTagsToResource", format!("{P}/app/a"))],
        ),
        (
            "RemoveTagsFromResource",
            r#"{"ResourceType":"Parameter","ResourceId":"/app/a","TagKeys":["t"]}"#.into(),
            vec![("ssm:RemoveTagsFromResource", format!("{P}/app/a"))],
        ),
        (
            "ListTagsForResource",
            r#"{"ResourceType":"Parameter","ResourceId":"/app/a"}"#.into(),
            vec![("ssm:ListTagsForResource", format!("{P}/app/a"))],
        ),
        (
            "DeleteParameters",
            r#"{"Names":["flat","/nope"]}"#.into(),
            vec![
                ("ssm:DeleteParameters", format!("{P}/flat")),
                ("ssm:DeleteParameters", format!("{P}/nope")),
            ],
        ),
        (
            "DeleteParameter",
            r#"{"Name":"/app/a"}"#.into(),
            vec![("ssm:DeleteParameter", format!("{P}/app/a"))],
        ),
    ];
    for (op, body, want) in table {
        call_as(&s, &a, op, &body)
            .await
            .unwrap_or_else(|e| panic!("{op} {body}: {e:?}"));
        let want: Vec<(String, String)> =
            want.into_iter().map(|(a, r)| (a.to_owned(), r)).collect();
        assert_eq!(a.take(), want, "{op} {body}");
    }
    // Malformed requests fail validation before any check.
    assert!(
        call_as(&s, &a, "GetParameter", r#"{"Name":"a//b"}"#)
            .await
            .is_err()
    );
    assert!(a.take().is_empty());
}

#[tokio::test]
async fn a_denied_write_leaves_nothing_written() {
    let s = ParameterStore::in_memory("123456789012").unwrap();
    let a = Arc::new(Recorder::default().deny("ssm:PutParameter", &format!("{P}/app/x")));
    let e = call_as(
        &s,
        &a,
        "PutParameter",
        r#"{"Name":"/app/x","Value":"hunter2","Type":"SecureString"}"#,
    )
    .await
    .unwrap_err();
    assert_eq!(e.code, "AccessDeniedException");
    assert!(e.message.contains("ssm:PutParameter"), "{}", e.message);
    assert!(e.message.contains(&format!("{P}/app/x")), "{}", e.message);
    assert!(!e.message.contains("hunter2"));
    let e = call(&s, "GetParameter", r#"{"Name":"/app/x"}"#)
        .await
        .unwrap_err();
    assert_eq!(e.code, "ParameterNotFound");

    // Tags on create also need AddTagsToResource.
    let a = Arc::new(Recorder::default().deny("ssm:AddTagsToResource", "*"));
    let e = call_as(
        &s,
        &a,
        "PutParameter",
        r#"{"Name":"/app/t","Value":"v","Type":"String","Tags":[{"Key":"k","Value":"v"}]}"#,
    )
    .await
    .unwrap_err();
    assert_eq!(e.code, "AccessDeniedException");
    assert!(
        call(&s, "GetParameter", r#"{"Name":"/app/t"}"#)
            .await
            .is_err()
    );

    // DeleteParameters: one denied name denies the call; nothing goes.
    for n in ["/a", "/b"] {
        call(
            &s,
            "PutParameter",
            &json!({"Name": n, "Value": "v", "Type": "String"}).to_string(),
        )
        .await
        .unwrap();
    }
    let a = Arc::new(Recorder::default().deny("ssm:DeleteParameters", &format!("{P}/b")));
    let e = call_as(&s, &a, "DeleteParameters", r#"{"Names":["/a","/b"]}"#)
        .await
        .unwrap_err();
    assert_eq!(e.code, "AccessDeniedException");
    let out = call(&s, "GetParameters", r#"{"Names":["/a","/b"]}"#)
        .await
        .unwrap();
    assert_eq!(out["Parameters"].as_array().unwrap().len(), 2);

    // Labels and tags are untouched by a denied call too.
    let a = Arc::new(Recorder::default().deny("ssm:LabelParameterVersion", "*"));
    assert!(
        call_as(
            &s,
            &a,
            "LabelParameterVersion",
            r#"{"Name":"/a","Labels":["x"]}"#
        )
        .await
        .is_err()
    );
    let h = call(&s, "GetParameterHistory", r#"{"Name":"/a"}"#)
        .await
        .unwrap();
    assert_eq!(h["Parameters"][0]["Labels"], json!([]));
}

#[tokio::test]
async fn a_denied_read_names_action_and_resource_never_the_value() {
    let s = ParameterStore::in_memory("123456789012").unwrap();
    call(
        &s,
        "PutParameter",
        r#"{"Name":"/app/prod/token","Value":"s3cr3t-value","Type":"SecureString"}"#,
    )
    .await
    .unwrap();
    call(
        &s,
        "PutParameter",
        r#"{"Name":"/app/dev/token","Value":"dev","Type":"String"}"#,
    )
    .await
    .unwrap();
    let a = Arc::new(Recorder::default().deny("ssm:GetParameters", &format!("{P}/app/prod/*")));
    let a2 = Arc::new(Recorder::default().deny("ssm:GetParameter", &format!("{P}/app/prod/*")));
    let e = call_as(
        &s,
        &a2,
        "GetParameter",
        r#"{"Name":"/app/prod/token","WithDecryption":true}"#,
    )
    .await
    .unwrap_err();
    assert_eq!(e.code, "AccessDeniedException");
    assert_eq!(
        e.message,
        format!(
            "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: ssm:GetParameter on resource: {P}/app/prod/token because no policy allows the action"
        )
    );
    assert!(!String::from_utf8_lossy(&e.to_body()).contains("s3cr3t"));

    // GetParameters: one denied name denies the whole call.
    let e = call_as(
        &s,
        &a,
        "GetParameters",
        r#"{"Names":["/app/dev/token","/app/prod/token"],"WithDecryption":true}"#,
    )
    .await
    .unwrap_err();
    assert_eq!(e.code, "AccessDeniedException");
    assert!(e.message.contains(&format!("{P}/app/prod/token")));
    assert!(!e.message.contains("s3cr3t"));

    // GetParametersByPath is checked on the path, not on what it returns.
    let a = Arc::new(Recorder::default().deny("ssm:GetParametersByPath", &format!("{P}/app")));
    let e = call_as(
        &s,
        &a,
        "GetParametersByPath",
        r#"{"Path":"/app","Recursive":true}"#,
    )
    .await
    .unwrap_err();
    assert!(
        e.message.contains(&format!("resource: {P}/app ")),
        "{}",
        e.message
    );
    let out = call_as(&s, &a, "GetParametersByPath", r#"{"Path":"/app/dev"}"#)
        .await
        .unwrap();
    assert_eq!(out["Parameters"][0]["Value"], "dev");
}

#[tokio::test]
async fn customer_managed_keys_need_kms_permissions_aws_ssm_does_not() {
    let (s, _secrets, kms) = shared();
    let (key_id, key_arn) = customer_key(&kms).await;
    let a = Arc::new(Recorder::default());
    call_as(
        &s,
        &a,
        "PutParameter",
        &json!({"Name": "/cmk", "Value": "cmk-value", "Type": "SecureString", "KeyId": key_id})
            .to_string(),
    )
    .await
    .unwrap();
    assert_eq!(
        a.take(),
        pairs(&[
            ("ssm:PutParameter", &format!("{P}/cmk")),
            ("kms:Encrypt", &key_arn)
        ])
    );
    call_as(
        &s,
        &a,
        "PutParameter",
        r#"{"Name":"/managed","Value":"managed-value","Type":"SecureString"}"#,
    )
    .await
    .unwrap();
    assert_eq!(
        a.take(),
        pairs(&[("ssm:PutParameter", &format!("{P}/managed"))])
    );

    // Reads with decryption need kms:Decrypt on the customer key only.
    call_as(
        &s,
        &a,
        "GetParameter",
        r#"{"Name":"/cmk","WithDecryption":true}"#,
    )
    .await
    .unwrap();
    assert_eq!(
        a.take(),
        pairs(&[
            ("ssm:GetParameter", &format!("{P}/cmk")),
            ("kms:Decrypt", &key_arn)
        ])
    );
    call_as(&s, &a, "GetParameter", r#"{"Name":"/cmk"}"#)
        .await
        .unwrap();
    assert_eq!(
        a.take(),
        pairs(&[("ssm:GetParameter", &format!("{P}/cmk"))])
    );
    call_as(
        &s,
        &a,
        "GetParameter",
        r#"{"Name":"/managed","WithDecryption":true}"#,
    )
    .await
    .unwrap();
    assert_eq!(
        a.take(),
        pairs(&[("ssm:GetParameter", &format!("{P}/managed"))])
    );

    // Denied: AccessDeniedException naming kms:Decrypt and the key, no value.
    let deny = Arc::new(Recorder::default().deny("kms:Decrypt", &key_arn));
    for (op, body) in [
        ("GetParameter", r#"{"Name":"/cmk","WithDecryption":true}"#),
        (
            "GetParameters",
            r#"{"Names":["/cmk","/managed"],"WithDecryption":true}"#,
        ),
        (
            "GetParametersByPath",
            r#"{"Path":"/","WithDecryption":true}"#,
        ),
        (
            "GetParameterHistory",
            r#"{"Name":"/cmk","WithDecryption":true}"#,
        ),
    ] {
        let e = call_as(&s, &deny, op, body).await.unwrap_err();
        assert_eq!(e.code, "AccessDeniedException", "{op}");
        assert!(e.message.contains("kms:Decrypt"), "{op}: {}", e.message);
        assert!(e.message.contains(&key_arn), "{op}: {}", e.message);
        assert!(!String::from_utf8_lossy(&e.to_body()).contains("cmk-value"));
    }
    // The AWS-managed key is unaffected by the denial.
    let out = call_as(
        &s,
        &deny,
        "GetParameter",
        r#"{"Name":"/managed","WithDecryption":true}"#,
    )
    .await
    .unwrap();
    assert_eq!(out["Parameter"]["Value"], "managed-value");

    // A denied kms:Encrypt writes nothing.
    let deny = Arc::new(Recorder::default().deny("kms:Encrypt", &key_arn));
    let e = call_as(
        &s,
        &deny,
        "PutParameter",
        &json!({"Name": "/cmk2", "Value": "v", "Type": "SecureString", "KeyId": key_arn})
            .to_string(),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code, "AccessDeniedException");
    assert!(s.get_parameter(&caller(), "/cmk2", false).await.is_err());
    // An overwrite without KeyId keeps the customer key: still checked.
    let e = call_as(
        &s,
        &deny,
        "PutParameter",
        r#"{"Name":"/cmk","Value":"new","Overwrite":true}"#,
    )
    .await
    .unwrap_err();
    assert_eq!(e.code, "AccessDeniedException");
    let p = s.get_parameter(&caller(), "/cmk", true).await.unwrap();
    assert_eq!(p.value.expose(), "cmk-value");
}

fn caller() -> kinko_core::ssm::Caller {
    kinko_core::ssm::Caller {
        region: "us-east-1".into(),
        account_id: "123456789012".into(),
        arn: "arn:aws:iam::123456789012:user/alice".into(),
    }
}

#[tokio::test]
async fn secrets_manager_references_also_need_get_secret_value() {
    let (s, secrets, kms) = shared();
    let created = secrets
        .create_secret(
            &caller(),
            kinko_core::secrets::CreateSecretInput {
                name: "app/db".into(),
                client_request_token: Some("11111111-1111-4111-8111-111111111111".into()),
                value: Some(kinko_core::secrets::SecretValue::Text(
                    kinko_crypto::SecretString::from("db-password"),
                )),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let name = "/aws/reference/secretsmanager/app/db";
    let a = Arc::new(Recorder::default());
    let out = call_as(
        &s,
        &a,
        "GetParameter",
        &json!({"Name": format!("{name}:AWSCURRENT"), "WithDecryption": true}).to_string(),
    )
    .await
    .unwrap();
    assert_eq!(out["Parameter"]["Value"], "db-password");
    // No DataType for a reference; SourceResult is GetSecretValue as a JSON
    // string with AWS's lower-camel keys.
    assert!(out["Parameter"].get("DataType").is_none(), "{out}");
    let source: serde_json::Value =
        serde_json::from_str(out["Parameter"]["SourceResult"].as_str().unwrap()).unwrap();
    let keys: Vec<&str> = source
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "ARN",
            "createdDate",
            "name",
            "secretString",
            "versionId",
            "versionStages"
        ]
    );
    assert_eq!(source["ARN"], created.arn.as_str());
    assert_eq!(source["secretString"], "db-password");
    assert_eq!(source["versionStages"], json!(["AWSCURRENT"]));
    assert_eq!(
        a.take(),
        pairs(&[
            ("ssm:GetParameter", &format!("{P}{name}")),
            ("secretsmanager:GetSecretValue", &created.arn),
        ])
    );
    let deny = Arc::new(Recorder::default().deny("secretsmanager:GetSecretValue", &created.arn));
    for (op, body) in [
        (
            "GetParameter",
            json!({"Name": name, "WithDecryption": true}),
        ),
        (
            "GetParameters",
            json!({"Names": [name], "WithDecryption": true}),
        ),
    ] {
        let e = call_as(&s, &deny, op, &body.to_string()).await.unwrap_err();
        assert_eq!(e.code, "AccessDeniedException");
        assert!(e.message.contains("secretsmanager:GetSecretValue"));
        assert!(e.message.contains(&created.arn));
        assert!(!e.message.contains("db-password"));
    }
    // A missing secret is checked on the ARN the name asks for.
    let missing = "/aws/reference/secretsmanager/nope";
    let e = call_as(
        &s,
        &a,
        "GetParameter",
        &json!({"Name": missing, "WithDecryption": true}).to_string(),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code, "ParameterNotFound");
    assert_eq!(
        a.take(),
        pairs(&[
            ("ssm:GetParameter", &format!("{P}{missing}")),
            (
                "secretsmanager:GetSecretValue",
                "arn:aws:secretsmanager:us-east-1:123456789012:secret:nope"
            ),
        ])
    );

    // A secret under a customer key needs kms:Decrypt through the bridge too.
    let (key_id, key_arn) = customer_key(&kms).await;
    secrets
        .create_secret(
            &caller(),
            kinko_core::secrets::CreateSecretInput {
                name: "cmk".into(),
                client_request_token: Some("22222222-2222-4222-8222-222222222222".into()),
                kms_key_id: Some(key_id),
                value: Some(kinko_core::secrets::SecretValue::Text(
                    kinko_crypto::SecretString::from("cmk-secret"),
                )),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let deny = Arc::new(Recorder::default().deny("kms:Decrypt", &key_arn));
    let e = call_as(
        &s,
        &deny,
        "GetParameter",
        r#"{"Name":"/aws/reference/secretsmanager/cmk","WithDecryption":true}"#,
    )
    .await
    .unwrap_err();
    assert!(e.message.contains("kms:Decrypt"), "{}", e.message);
    assert!(!e.message.contains("cmk-secret"));
}

#[tokio::test]
async fn describe_parameters_shows_what_the_caller_may_describe() {
    let s = ParameterStore::in_memory("123456789012").unwrap();
    for n in ["/app/a", "/app/b", "/other/c"] {
        call(
            &s,
            "PutParameter",
            &json!({"Name": n, "Value": "v", "Type": "String"}).to_string(),
        )
        .await
        .unwrap();
    }
    let names = |v: &Value| -> Vec<String> {
        v["Parameters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["Name"].as_str().unwrap().to_owned())
            .collect()
    };
    // Allowed on `*`: everything, one recorded check.
    let a = Arc::new(Recorder::default());
    let out = call_as(&s, &a, "DescribeParameters", "{}").await.unwrap();
    assert_eq!(names(&out), ["/app/a", "/app/b", "/other/c"]);
    assert_eq!(a.take(), pairs(&[("ssm:DescribeParameters", "*")]));

    // Allowed on parameter/app/* only: the /app parameters, full pages.
    let dev = Arc::new(
        Recorder::default()
            .allow("ssm:DescribeParameters", &format!("{P}/app/*"))
            .deny("ssm:DescribeParameters", "*"),
    );
    let out = call_as(&s, &dev, "DescribeParameters", r#"{"MaxResults":1}"#)
        .await
        .unwrap();
    assert_eq!(names(&out), ["/app/a"]);
    let token = out["NextToken"].as_str().unwrap().to_owned();
    let out = call_as(
        &s,
        &dev,
        "DescribeParameters",
        &json!({"MaxResults": 1, "NextToken": token}).to_string(),
    )
    .await
    .unwrap();
    assert_eq!(names(&out), ["/app/b"]);
    let out = call_as(&s, &dev, "DescribeParameters", "{}").await.unwrap();
    assert_eq!(names(&out), ["/app/a", "/app/b"]);
    assert!(dev.take().is_empty());

    // Allowed nothing: AWS's denial on `*`, recorded.
    let none = Arc::new(Recorder::default().deny("ssm:DescribeParameters", "*"));
    let e = call_as(&s, &none, "DescribeParameters", "{}")
        .await
        .unwrap_err();
    assert_eq!(e.code, "AccessDeniedException");
    assert!(e.message.contains("ssm:DescribeParameters on resource: *"));
    assert_eq!(none.take(), pairs(&[("ssm:DescribeParameters", "*")]));
}

#[tokio::test]
async fn tags_are_loaded_only_when_a_policy_needs_them() {
    let s = ParameterStore::in_memory("123456789012").unwrap();
    call(
        &s,
        "PutParameter",
        r#"{"Name":"/t","Value":"v","Type":"String","Tags":[{"Key":"env","Value":"prod"}]}"#,
    )
    .await
    .unwrap();
    let plain = Arc::new(Recorder::default());
    call_as(&s, &plain, "GetParameter", r#"{"Name":"/t"}"#)
        .await
        .unwrap();
    assert_eq!(plain.context.lock().unwrap()[0].1, None);
    let tagged = Arc::new(Recorder::default().wanting_tags());
    call_as(&s, &tagged, "GetParameter", r#"{"Name":"/t"}"#)
        .await
        .unwrap();
    assert_eq!(
        tagged.context.lock().unwrap()[0].1,
        Some(vec![("env".to_owned(), "prod".to_owned())])
    );
}
