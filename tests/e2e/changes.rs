//! The watch API, as `kinko agent` or a cache uses it: `GET /changes?after=SEQ`
//! signed with SigV4 (service `kinko`), answered with the change records the
//! caller may describe, resumable from `NextSequence`, long-polling when
//! nothing is new, and told to resync when it is too far behind.

use std::time::Duration;

use aws_sdk_ssm::types::ParameterType;
use kinko_testkit::{KinkoServer, TestCredentials};
use serde_json::{Value, json};

use crate::support::server;

/// Values that must never appear in a change record.
const APP_VALUE: &str = "app-url-canary-7731";
const PROD_VALUE: &str = "prod-password-canary-9154";
const TOKEN_VALUE: &str = "api-token-canary-2260";

/// One `GET /changes` as `creds`: the status and the JSON answer.
pub(crate) fn watch(
    server: &KinkoServer,
    creds: &TestCredentials,
    query: &str,
) -> (u16, Value, String) {
    let (status, _, body) = server.signed_get(
        creds,
        "kinko",
        &format!("/changes?{query}"),
        Duration::from_secs(30),
    );
    let json = serde_json::from_str(&body).unwrap_or(Value::Null);
    (status, json, body)
}

/// `(Operation, Name)` of each record in an answer.
fn operations(answer: &Value) -> Vec<(String, String)> {
    answer["Changes"]
        .as_array()
        .expect("a Changes list")
        .iter()
        .map(|c| {
            (
                c["Operation"].as_str().unwrap().to_owned(),
                c["Name"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// A developer who may read and describe `/app/*` parameters only.
fn app_developer(server: &KinkoServer) -> TestCredentials {
    server.user_with_policy(
        "developer",
        &json!({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow",
            "Action": ["ssm:GetParameter", "ssm:DescribeParameters"],
            "Resource": "arn:aws:ssm:*:*:parameter/app/*"
        }]}),
    )
}

async fn write_a_session(server: &KinkoServer) {
    let ssm = server.ssm();
    ssm.put_parameter()
        .name("/app/db/url")
        .value(APP_VALUE)
        .r#type(ParameterType::String)
        .description("the app's database")
        .send()
        .await
        .unwrap();
    ssm.label_parameter_version()
        .name("/app/db/url")
        .parameter_version(1)
        .labels("live")
        .send()
        .await
        .unwrap();
    ssm.put_parameter()
        .name("/app/db/url")
        .value(format!("{APP_VALUE}-2"))
        .overwrite(true)
        .send()
        .await
        .unwrap();
    ssm.put_parameter()
        .name("/prod/db/password")
        .value(PROD_VALUE)
        .r#type(ParameterType::SecureString)
        .send()
        .await
        .unwrap();
    ssm.delete_parameter()
        .name("/prod/db/password")
        .send()
        .await
        .unwrap();
    let secrets = server.secrets();
    secrets
        .create_secret()
        .name("app/api-token")
        .secret_string(TOKEN_VALUE)
        .send()
        .await
        .unwrap();
    secrets
        .put_secret_value()
        .secret_id("app/api-token")
        .secret_string(format!("{TOKEN_VALUE}-2"))
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn the_admin_reads_every_change_in_order_without_a_value() {
    let server = server();
    let admin = server.admin_credentials();
    write_a_session(&server).await;

    let (status, answer, body) = watch(&server, &admin, "after=0&wait=0");
    assert_eq!(status, 200, "{body}");
    // The admin's own key and the default KMS keys came first (kinko.iam,
    // aws.kms); the session's writes are the Parameter Store and Secrets
    // Manager records, in the order they were acknowledged.
    let session: Vec<(String, String)> = answer["Changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["Source"] == "aws.ssm" || c["Source"] == "aws.secretsmanager")
        .map(|c| {
            (
                c["Operation"].as_str().unwrap().to_owned(),
                c["Name"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected = [
        ("PutParameter", "/app/db/url"),
        ("LabelParameterVersion", "/app/db/url"),
        ("PutParameter", "/app/db/url"),
        ("PutParameter", "/prod/db/password"),
        ("DeleteParameter", "/prod/db/password"),
        ("CreateSecret", "app/api-token"),
        ("PutSecretValue", "app/api-token"),
    ];
    let tail: Vec<(&str, &str)> = session
        .iter()
        .map(|(o, n)| (o.as_str(), n.as_str()))
        .collect();
    assert_eq!(tail, expected, "{body}");

    let changes = answer["Changes"].as_array().unwrap();
    let sequences: Vec<i64> = changes
        .iter()
        .map(|c| c["Sequence"].as_i64().unwrap())
        .collect();
    assert!(
        sequences.windows(2).all(|w| w[0] < w[1]),
        "in order: {sequences:?}"
    );
    assert_eq!(answer["NextSequence"], *sequences.last().unwrap());
    assert_eq!(answer["Head"], answer["NextSequence"]);

    let find = |op: &str, name: &str, nth: usize| -> &Value {
        changes
            .iter()
            .filter(|c| c["Operation"] == op && c["Name"] == name)
            .nth(nth)
            .unwrap_or_else(|| panic!("no {op} {name} #{nth} in {body}"))
    };
    let created = find("PutParameter", "/app/db/url", 0);
    assert_eq!(created["Source"], "aws.ssm");
    assert_eq!(created["Version"], "1");
    assert_eq!(created["Detail"]["event"], "Create");
    assert_eq!(created["Detail"]["type"], "String");
    assert_eq!(created["Detail"]["description"], "the app's database");
    assert_eq!(created["Region"], "us-east-1");
    assert_eq!(
        created["Resource"],
        "arn:aws:ssm:us-east-1:000000000000:parameter/app/db/url"
    );
    assert!(
        created["Actor"]
            .as_str()
            .unwrap()
            .starts_with("arn:aws:iam::000000000000:"),
        "{created}"
    );
    assert!(
        created["Time"].as_str().unwrap().ends_with('Z'),
        "{created}"
    );
    assert_eq!(
        find("PutParameter", "/app/db/url", 1)["Detail"]["event"],
        "Update"
    );
    let labelled = find("LabelParameterVersion", "/app/db/url", 0);
    assert_eq!(labelled["Version"], "1");
    assert_eq!(labelled["Detail"]["labels"], json!(["live"]));
    let deleted = find("DeleteParameter", "/prod/db/password", 0);
    assert_eq!(deleted["Detail"]["event"], "Delete");
    assert_eq!(deleted["Detail"]["type"], "SecureString");
    let put_value = find("PutSecretValue", "app/api-token", 0);
    assert_eq!(put_value["Source"], "aws.secretsmanager");
    assert!(put_value["Version"].as_str().is_some_and(|v| !v.is_empty()));

    for value in [APP_VALUE, PROD_VALUE, TOKEN_VALUE] {
        assert!(!body.contains(value), "a value in the feed: {body}");
    }

    // Resuming from the middle gives exactly the rest.
    let middle = sequences[sequences.len() - 3];
    let (_, rest, _) = watch(&server, &admin, &format!("after={middle}&wait=0"));
    let rest: Vec<i64> = rest["Changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["Sequence"].as_i64().unwrap())
        .collect();
    assert_eq!(rest, sequences[sequences.len() - 2..]);

    // Pages of one.
    let (_, page, _) = watch(&server, &admin, &format!("after={middle}&wait=0&limit=1"));
    assert_eq!(page["Changes"].as_array().unwrap().len(), 1);
    assert_eq!(page["NextSequence"], sequences[sequences.len() - 2]);
}

#[tokio::test]
async fn a_developer_limited_to_app_never_sees_a_prod_name() {
    let server = server();
    let developer = app_developer(&server);
    write_a_session(&server).await;

    let (status, answer, body) = watch(&server, &developer, "after=0&wait=0");
    assert_eq!(status, 200, "{body}");
    let seen = operations(&answer);
    assert_eq!(
        seen,
        [
            ("PutParameter".to_owned(), "/app/db/url".to_owned()),
            ("LabelParameterVersion".to_owned(), "/app/db/url".to_owned()),
            ("PutParameter".to_owned(), "/app/db/url".to_owned()),
        ],
        "{body}"
    );
    for hidden in ["/prod/", "api-token", "developer"] {
        assert!(
            !body.contains(hidden),
            "{hidden:?} shown to the developer: {body}"
        );
    }
    // It scanned past what it may not see: resuming does not rescan it.
    let (_, admin_view, _) = watch(&server, &server.admin_credentials(), "after=0&wait=0");
    assert_eq!(answer["NextSequence"], admin_view["NextSequence"]);

    // A write it may not see ends a short wait with no records, further on.
    let next = answer["NextSequence"].as_i64().unwrap();
    server
        .ssm()
        .put_parameter()
        .name("/prod/api/key")
        .value(PROD_VALUE)
        .r#type(ParameterType::SecureString)
        .send()
        .await
        .unwrap();
    let (status, quiet, body) = watch(&server, &developer, &format!("after={next}&wait=1"));
    assert_eq!(status, 200, "{body}");
    assert_eq!(quiet["Changes"], json!([]), "{body}");
    assert!(quiet["NextSequence"].as_i64().unwrap() > next, "{body}");
    assert!(!body.contains("/prod/"), "{body}");
}

#[tokio::test]
async fn a_long_poll_wakes_on_a_write() {
    let server = server();
    let developer = app_developer(&server);
    let (_, start, _) = watch(&server, &developer, "after=0&wait=0");
    let head = start["Head"].as_i64().unwrap();

    let server = std::sync::Arc::new(server);
    let waiting = {
        let (server, developer) = (server.clone(), developer.clone());
        tokio::task::spawn_blocking(move || {
            watch(&server, &developer, &format!("after={head}&wait=20"))
        })
    };
    // The write lands while the poll waits (or just before it starts:
    // either way the answer holds it, not an empty timeout).
    server
        .ssm()
        .put_parameter()
        .name("/app/feature/flag")
        .value("on")
        .r#type(ParameterType::String)
        .send()
        .await
        .unwrap();
    let (status, answer, body) = waiting.await.unwrap();
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        operations(&answer),
        [("PutParameter".to_owned(), "/app/feature/flag".to_owned())],
        "{body}"
    );
}

#[tokio::test]
async fn bad_watch_requests_get_aws_shaped_errors() {
    let server = server();
    let admin = server.admin_credentials();
    let (_, start, _) = watch(&server, &admin, "after=0&wait=0");
    let head = start["Head"].as_i64().unwrap();

    let (status, error, body) = watch(&server, &admin, "wait=1");
    assert_eq!(status, 400, "{body}");
    assert_eq!(error["__type"], "ValidationException", "{body}");
    assert!(body.contains("after is required"), "{body}");
    for (query, needle) in [
        ("after=-3", "non-negative integer"),
        ("after=1&wait=600", "at most 60"),
        ("after=1&limit=0", "between 1 and 1000"),
        ("after=1&since=4", "Unknown parameter"),
    ] {
        let (status, error, body) = watch(&server, &admin, query);
        assert_eq!(status, 400, "{query}: {body}");
        assert_eq!(error["__type"], "ValidationException", "{query}: {body}");
        assert!(body.contains(needle), "{query}: {body}");
    }

    // Ahead of the head: another store, or a restore.
    let (status, error, body) = watch(&server, &admin, &format!("after={}", head + 1000));
    assert_eq!(status, 410, "{body}");
    assert_eq!(error["__type"], "ResyncRequiredException", "{body}");
    assert!(body.contains(&format!("Head {head}")), "{body}");

    // Unsigned, or signed for another service: refused before anything is read.
    let (status, _, body) = kinko_testkit::http_request(
        &server.endpoint,
        "GET",
        "/changes?after=0",
        &[],
        b"",
        Duration::from_secs(5),
    )
    .unwrap();
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("MissingAuthenticationToken"), "{body}");
    let (status, _, body) =
        server.signed_get(&admin, "ssm", "/changes?after=0", Duration::from_secs(5));
    assert_eq!(status, 400, "{body}");
    assert!(
        body.contains("SignatureDoesNotMatch") || body.contains("InvalidSignature"),
        "{body}"
    );

    // Only GET.
    let (status, _, body) = kinko_testkit::http_request(
        &server.endpoint,
        "DELETE",
        "/changes?after=0",
        &[],
        b"",
        Duration::from_secs(5),
    )
    .unwrap();
    assert!(status >= 400, "{body}");

    // And the server goes on serving.
    let (status, _, _) = watch(&server, &admin, "after=0&wait=0");
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_watcher_behind_the_retention_is_told_to_resync() {
    let mut server = KinkoServer::builder(env!("CARGO_BIN_EXE_kinko"))
        .arg("--change-retention")
        .arg("1s")
        .start();
    let admin = server.admin_credentials();
    write_a_session(&server).await;
    let (_, before, _) = watch(&server, &admin, "after=0&wait=0");
    let head = before["Head"].as_i64().unwrap();
    // Age the records past the one-second retention; the trim runs when
    // the server starts.
    std::thread::sleep(Duration::from_millis(1500));
    server.restart();

    let (status, error, body) = watch(&server, &admin, "after=0&wait=0");
    assert_eq!(status, 410, "{body}");
    assert_eq!(error["__type"], "ResyncRequiredException", "{body}");
    assert!(body.contains("retention"), "{body}");
    // Up to date is not behind: the head survives the trim.
    let (status, answer, body) = watch(&server, &admin, &format!("after={head}&wait=0"));
    assert_eq!(status, 200, "{body}");
    assert_eq!(answer["Head"], head);
}

#[tokio::test]
async fn kms_and_iam_changes_name_the_caller_who_made_them() {
    let server = server();
    let ops = server.user_with_policy(
        "ops",
        &json!({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow",
            "Action": ["kms:CreateKey", "kms:DisableKey", "kinko:CreatePrincipal"],
            "Resource": "*"
        }]}),
    );
    let key = server
        .kms_as(&ops)
        .create_key()
        .description("ops' key")
        .send()
        .await
        .unwrap();
    let key_id = key.key_metadata().unwrap().key_id().to_owned();
    server
        .kms_as(&ops)
        .disable_key()
        .key_id(&key_id)
        .send()
        .await
        .unwrap();
    let (status, answer) = server.admin_as(&ops, "CreatePrincipal", json!({"Name": "ci-deployer"}));
    assert_eq!(status, 200, "{answer}");

    let (_, answer, body) = watch(&server, &server.admin_credentials(), "after=0&wait=0");
    let actor_of = |op: &str, name: &str| -> String {
        answer["Changes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["Operation"] == op && c["Name"] == name)
            .unwrap_or_else(|| panic!("no {op} {name} in {body}"))["Actor"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    for (op, name) in [
        ("CreateKey", key_id.as_str()),
        ("DisableKey", key_id.as_str()),
        ("CreatePrincipal", "ci-deployer"),
    ] {
        let actor = actor_of(op, name);
        assert!(actor.ends_with(":user/ops"), "{op} by {actor}");
    }
    // The admin created ops: the admin acted there.
    assert!(actor_of("CreatePrincipal", "ops").ends_with(":user/admin"));
}
