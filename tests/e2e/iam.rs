//! Identity and access, end to end: principals with their own keys and
//! policies, role sessions, resource policies, the kms:Decrypt rule, key
//! deactivation and rotation, and the audit record of every denial — all
//! through the AWS SDK for Rust (and the aws CLI for STS).

use aws_sdk_ssm::types::ParameterType;
use kinko_testkit::{KinkoServer, TestCredentials};
use serde_json::{Value, json};

use crate::support::{code, message, server};

const ACCOUNT: &str = "000000000000";

fn parameter_arn(name: &str) -> String {
    format!(
        "arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/{}",
        name.trim_start_matches('/')
    )
}

async fn put_secure(server: &KinkoServer, name: &str, value: &str, key: Option<&str>) {
    server
        .ssm()
        .put_parameter()
        .name(name)
        .value(value)
        .r#type(ParameterType::SecureString)
        .set_key_id(key.map(str::to_owned))
        .send()
        .await
        .unwrap();
}

/// The audit records of denied requests, oldest first (waits for the
/// asynchronous writer to catch up with `expected` denials).
fn denials(server: &KinkoServer, expected: usize) -> Vec<Value> {
    for _ in 0..200 {
        let answer = server.admin("QueryAuditLog", json!({"Decision": "deny", "Limit": 1000}));
        let records = answer["Records"].as_array().cloned().unwrap_or_default();
        if records.len() >= expected {
            return records;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    panic!("fewer than {expected} denials were recorded");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_developer_writes_and_describes_under_app_but_cannot_read_values() {
    let server = server();
    put_secure(&server, "/app/prod/slack-token", "xoxb-canary-7781", None).await;
    put_secure(&server, "/ops/db-password", "ops-canary-7782", None).await;
    let dev = server.user_with_policy(
        "dev",
        &json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Sid": "WireApp",
                "Effect": "Allow",
                "Action": ["ssm:PutParameter", "ssm:DescribeParameters"],
                "Resource": format!("arn:aws:ssm:*:{ACCOUNT}:parameter/app/*")
            }]
        }),
    );
    let ssm = server.ssm_as(&dev);

    // Writing under /app works; the new value is not readable back.
    ssm.put_parameter()
        .name("/app/dev/webhook")
        .value("https://hooks.example/dev-canary-7783")
        .r#type(ParameterType::SecureString)
        .send()
        .await
        .unwrap();
    let err = ssm
        .get_parameter()
        .name("/app/prod/slack-token")
        .with_decryption(true)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "AccessDeniedException");
    let text = message(&err);
    assert!(
        text.contains("arn:aws:iam::000000000000:user/dev")
            && text.contains("ssm:GetParameter")
            && text.contains(&parameter_arn("/app/prod/slack-token")),
        "{text}"
    );
    assert!(!text.contains("canary"), "{text}");

    // Outside /app: no write.
    let err = ssm
        .put_parameter()
        .name("/ops/new")
        .value("v")
        .r#type(ParameterType::String)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "AccessDeniedException");
    assert!(
        server
            .ssm()
            .get_parameter()
            .name("/ops/new")
            .send()
            .await
            .is_err(),
        "a denied write left nothing behind"
    );

    // DescribeParameters shows what the developer may describe: /app only.
    let described = ssm.describe_parameters().send().await.unwrap();
    let mut names: Vec<String> = described
        .parameters()
        .iter()
        .filter_map(|p| p.name().map(str::to_owned))
        .collect();
    names.sort();
    assert_eq!(names, ["/app/dev/webhook", "/app/prod/slack-token"]);

    let denied = denials(&server, 2);
    let ops: Vec<&str> = denied
        .iter()
        .map(|r| r["operation"].as_str().unwrap())
        .collect();
    assert!(ops.contains(&"ssm:GetParameter"), "{denied:?}");
    assert!(ops.contains(&"ssm:PutParameter"), "{denied:?}");
    for record in &denied {
        assert_eq!(record["principal"], "arn:aws:iam::000000000000:user/dev");
        assert_eq!(record["accessKeyId"], dev.access_key_id.as_str());
        assert_eq!(record["errorCode"], "AccessDeniedException");
        assert!(
            !record.to_string().contains("canary"),
            "no value in the audit log: {record}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_workload_role_reads_only_prod_through_temporary_credentials_that_expire() {
    let server = KinkoServer::builder(env!("CARGO_BIN_EXE_kinko"))
        .env("KINKO_MIN_SESSION_SECONDS", "2")
        .start();
    put_secure(&server, "/app/prod/db", "prod-canary-1", None).await;
    put_secure(&server, "/app/staging/db", "staging-canary-2", None).await;
    server.admin(
        "CreatePrincipal",
        json!({"Name": "workload", "Type": "Role"}),
    );
    server.admin(
        "PutPolicy",
        json!({
            "Principal": "workload",
            "PolicyName": "read-prod",
            "PolicyDocument": json!({
                "Version": "2012-10-17",
                "Statement": [{
                    "Effect": "Allow",
                    "Action": ["ssm:GetParameter", "ssm:GetParameters"],
                    "Resource": "arn:aws:ssm:*:*:parameter/app/prod/*"
                }]
            }).to_string()
        }),
    );
    // A deployer may assume the role (identity policy; the role trusts the account).
    let deployer = server.user_with_policy(
        "deployer",
        &json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                "Resource": format!("arn:aws:iam::{ACCOUNT}:role/workload")
            }]
        }),
    );
    let (status, answer) = server.admin_as(
        &deployer,
        "AssumeRole",
        json!({"RoleName": "workload", "RoleSessionName": "run-1", "DurationSeconds": 3}),
    );
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        answer["AssumedRoleArn"],
        "arn:aws:sts::000000000000:assumed-role/workload/run-1"
    );
    let session = TestCredentials::from_json(&answer["Credentials"]);
    assert!(session.access_key_id.starts_with("ASIA"));
    let ssm = server.ssm_as(&session);
    let value = ssm
        .get_parameter()
        .name("/app/prod/db")
        .with_decryption(true)
        .send()
        .await
        .unwrap();
    assert_eq!(value.parameter().unwrap().value(), Some("prod-canary-1"));
    let err = ssm
        .get_parameter()
        .name("/app/staging/db")
        .with_decryption(true)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "AccessDeniedException");
    assert!(
        message(&err).contains("assumed-role/workload/run-1"),
        "{}",
        message(&err)
    );

    // The deployer itself cannot read, and cannot assume a role it is not allowed.
    server.admin(
        "CreatePrincipal",
        json!({"Name": "admin-role", "Type": "Role"}),
    );
    let (status, answer) = server.admin_as(
        &deployer,
        "AssumeRole",
        json!({"RoleName": "admin-role", "RoleSessionName": "x1"}),
    );
    assert_eq!(status, 400);
    assert_eq!(answer["__type"], "AccessDeniedException");

    // A tampered token is refused; then the session expires.
    let mut forged = session.clone();
    forged.session_token = Some(format!("{}x", session.session_token.clone().unwrap()));
    let err = server
        .ssm_as(&forged)
        .get_parameter()
        .name("/app/prod/db")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "UnrecognizedClientException");
    std::thread::sleep(std::time::Duration::from_millis(3200));
    let err = ssm
        .get_parameter()
        .name("/app/prod/db")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ExpiredTokenException");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_explicit_deny_beats_any_allow() {
    let server = server();
    put_secure(&server, "/app/prod/root-password", "root-canary", None).await;
    put_secure(&server, "/app/prod/other", "other-value", None).await;
    let ops = server.user_with_policy(
        "ops",
        &json!({
            "Version": "2012-10-17",
            "Statement": [
                {"Sid": "Everything", "Effect": "Allow", "Action": "*", "Resource": "*"},
                {"Sid": "NotTheRoot", "Effect": "Deny", "Action": "ssm:GetParameter*",
                 "Resource": "arn:aws:ssm:*:*:parameter/app/prod/root-*"}
            ]
        }),
    );
    let ssm = server.ssm_as(&ops);
    let err = ssm
        .get_parameter()
        .name("/app/prod/root-password")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "AccessDeniedException");
    assert!(message(&err).contains("explicit deny"), "{}", message(&err));
    // GetParameters with one denied name is denied as a whole.
    let err = ssm
        .get_parameters()
        .names("/app/prod/other")
        .names("/app/prod/root-password")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "AccessDeniedException");
    let other = ssm
        .get_parameter()
        .name("/app/prod/other")
        .with_decryption(true)
        .send()
        .await
        .unwrap();
    assert_eq!(other.parameter().unwrap().value(), Some("other-value"));

    // The simulator names the deciding statement.
    let simulated = server.admin(
        "SimulatePolicy",
        json!({"Principal": "ops", "Action": "ssm:GetParameter",
               "Resource": parameter_arn("/app/prod/root-password")}),
    );
    assert_eq!(simulated["Decision"], "explicitDeny");
    assert_eq!(simulated["MatchedStatement"]["Sid"], "NotTheRoot");
    let denied = denials(&server, 1);
    assert!(
        denied.iter().any(|r| r["statement"]
            .as_str()
            .is_some_and(|s| s.contains("NotTheRoot"))),
        "{denied:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_resource_policy_grants_a_secret_to_one_principal() {
    let server = server();
    let secrets = server.secrets();
    secrets
        .create_secret()
        .name("app/prod/stripe")
        .secret_string("sk_live_canary")
        .send()
        .await
        .unwrap();
    let reader = server.user_with_policy(
        "reader",
        &json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "ssm:DescribeParameters", "Resource": "*"}]}),
    );
    let stranger = server.user_with_policy(
        "stranger",
        &json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "ssm:DescribeParameters", "Resource": "*"}]}),
    );
    let err = server
        .secrets_as(&reader)
        .get_secret_value()
        .secret_id("app/prod/stripe")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "AccessDeniedException");

    secrets
        .put_resource_policy()
        .secret_id("app/prod/stripe")
        .resource_policy(
            json!({"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow",
                "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:user/reader")},
                "Action": "secretsmanager:GetSecretValue",
                "Resource": "*"
            }]})
            .to_string(),
        )
        .send()
        .await
        .unwrap();
    let value = server
        .secrets_as(&reader)
        .get_secret_value()
        .secret_id("app/prod/stripe")
        .send()
        .await
        .unwrap();
    assert_eq!(value.secret_string(), Some("sk_live_canary"));
    let err = server
        .secrets_as(&stranger)
        .get_secret_value()
        .secret_id("app/prod/stripe")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "AccessDeniedException");
    assert!(!message(&err).contains("canary"));
}

#[tokio::test(flavor = "multi_thread")]
async fn reading_a_secure_string_under_a_customer_key_needs_kms_decrypt() {
    let server = server();
    let key = server
        .kms()
        .create_key()
        .description("app key")
        .send()
        .await
        .unwrap();
    let key_arn = key.key_metadata().unwrap().arn().unwrap().to_owned();
    put_secure(&server, "/app/prod/cmk", "cmk-canary", Some(&key_arn)).await;
    put_secure(&server, "/app/prod/default", "default-canary", None).await;
    let read_only = json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "ssm:GetParameter",
        "Resource": "arn:aws:ssm:*:*:parameter/app/prod/*"}]});
    let app = server.user_with_policy("app", &read_only);
    let ssm = server.ssm_as(&app);

    // The AWS-managed key needs no kms permission, as on AWS.
    let default = ssm
        .get_parameter()
        .name("/app/prod/default")
        .with_decryption(true)
        .send()
        .await
        .unwrap();
    assert_eq!(default.parameter().unwrap().value(), Some("default-canary"));
    // The customer key does.
    let err = ssm
        .get_parameter()
        .name("/app/prod/cmk")
        .with_decryption(true)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "AccessDeniedException");
    assert!(
        message(&err).contains("kms:Decrypt") && message(&err).contains(&key_arn),
        "{}",
        message(&err)
    );
    // Without decryption the sealed value is not a read of the plaintext.
    ssm.get_parameter()
        .name("/app/prod/cmk")
        .send()
        .await
        .unwrap();

    let mut with_decrypt = read_only.clone();
    with_decrypt["Statement"]
        .as_array_mut()
        .unwrap()
        .push(json!({"Effect": "Allow", "Action": "kms:Decrypt", "Resource": key_arn}));
    server.admin(
        "PutPolicy",
        json!({"Principal": "app", "PolicyName": "main", "PolicyDocument": with_decrypt.to_string()}),
    );
    let value = ssm
        .get_parameter()
        .name("/app/prod/cmk")
        .with_decryption(true)
        .send()
        .await
        .unwrap();
    assert_eq!(value.parameter().unwrap().value(), Some("cmk-canary"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deactivated_or_retired_key_is_refused() {
    let server = server();
    let creds = server.user_with_policy(
        "ci",
        &json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "ssm:DescribeParameters", "Resource": "*"}]}),
    );
    let ssm = server.ssm_as(&creds);
    ssm.describe_parameters().send().await.unwrap();

    server.admin(
        "UpdateAccessKey",
        json!({"AccessKeyId": creds.access_key_id, "Status": "Inactive"}),
    );
    let err = ssm.describe_parameters().send().await.unwrap_err();
    assert_eq!(code(&err), "UnrecognizedClientException");
    assert_eq!(
        message(&err),
        "The security token included in the request is invalid."
    );
    server.admin(
        "UpdateAccessKey",
        json!({"AccessKeyId": creds.access_key_id, "Status": "Active"}),
    );
    ssm.describe_parameters().send().await.unwrap();

    // Two usable keys at most.
    server.admin("CreateAccessKey", json!({"Principal": "ci"}));
    let (status, answer) = server.admin_as(
        &server.admin_credentials(),
        "CreateAccessKey",
        json!({"Principal": "ci"}),
    );
    assert_eq!(status, 400);
    assert_eq!(answer["__type"], "LimitExceededException");

    // Rotation with no grace: the new key works, the old one stops at once.
    let extra = server.admin("ListAccessKeys", json!({"Principal": "ci"}));
    let second = extra["AccessKeys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["AccessKeyId"].as_str().unwrap().to_owned())
        .find(|id| *id != creds.access_key_id)
        .unwrap();
    server.admin("DeleteAccessKey", json!({"AccessKeyId": second}));
    let rotated = server.admin(
        "RotateAccessKey",
        json!({"Principal": "ci", "AccessKeyId": creds.access_key_id, "GraceSeconds": 0}),
    );
    assert_eq!(rotated["RetiredAccessKeyId"], creds.access_key_id.as_str());
    let new = TestCredentials::from_json(&rotated["AccessKey"]);
    server
        .ssm_as(&new)
        .describe_parameters()
        .send()
        .await
        .unwrap();
    let err = ssm.describe_parameters().send().await.unwrap_err();
    assert_eq!(code(&err), "UnrecognizedClientException");

    // Last use is recorded (written in batches).
    let mut seen = false;
    for _ in 0..100 {
        let keys = server.admin("ListAccessKeys", json!({"Principal": "ci"}));
        if keys["AccessKeys"].as_array().unwrap().iter().any(|k| {
            k["AccessKeyId"] == new.access_key_id.as_str()
                && k["LastUsedOperation"] == "ssm:DescribeParameters"
        }) {
            seen = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(seen, "last use of the new key recorded");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_aws_cli_assumes_a_role_through_sts() {
    let server = server();
    server.admin("CreatePrincipal", json!({"Name": "deploy", "Type": "Role"}));
    let out = server.aws_cli(&[
        "sts",
        "assume-role",
        "--role-arn",
        &format!("arn:aws:iam::{ACCOUNT}:role/deploy"),
        "--role-session-name",
        "cli-session",
        "--output",
        "json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let answer: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        answer["Credentials"]["AccessKeyId"]
            .as_str()
            .unwrap()
            .starts_with("ASIA")
    );
    assert_eq!(
        answer["AssumedRoleUser"]["Arn"],
        "arn:aws:sts::000000000000:assumed-role/deploy/cli-session"
    );
    let out = server.aws_cli(&["sts", "get-caller-identity", "--output", "json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let me: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(me["Arn"], "arn:aws:iam::000000000000:user/admin");
    assert_eq!(me["Account"], ACCOUNT);
}
