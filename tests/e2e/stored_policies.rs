//! A policy that kinko stores is one its evaluator can read, and one it
//! cannot read (edited in the database) denies: a Deny is never dropped
//! because the document around it is malformed.

use kinko_testkit::{KinkoServer, TestCredentials};
use serde_json::{Value, json};

use crate::support::{code, message, server};

const ACCOUNT: &str = "000000000000";
const SECRET: &str = "app/prod/db";

/// A user allowed to read every secret by its own policy; only a resource
/// policy's Deny can stop it.
fn reader(server: &KinkoServer) -> TestCredentials {
    server.user_with_policy(
        "reader",
        &json!({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow",
            "Action": "secretsmanager:GetSecretValue",
            "Resource": "*"
        }]}),
    )
}

async fn create_secret(server: &KinkoServer) {
    server
        .secrets()
        .create_secret()
        .name(SECRET)
        .secret_string("db-canary-4471")
        .send()
        .await
        .unwrap();
}

/// A Deny for the reader, with `statement` merged into its one statement.
fn deny_reader(extra: Value) -> String {
    let mut statement = json!({
        "Sid": "NoReader",
        "Effect": "Deny",
        "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:user/reader")},
        "Action": "secretsmanager:GetSecretValue",
        "Resource": "*"
    });
    if let (Some(target), Value::Object(extra)) = (statement.as_object_mut(), extra) {
        for (key, value) in extra {
            if value.is_null() {
                target.remove(&key);
            } else {
                target.insert(key, value);
            }
        }
    }
    json!({"Version": "2012-10-17", "Statement": [statement]}).to_string()
}

/// The three documents the evaluator could not read, which kinko once
/// stored and then ignored as a whole (Deny included).
fn unreadable_denies() -> [(&'static str, String); 3] {
    [
        ("no Principal", deny_reader(json!({"Principal": null}))),
        (
            "a misspelt element",
            deny_reader(json!({"Resource": null, "Resurce": "*"})),
        ),
        (
            "an unknown condition operator",
            deny_reader(json!({"Condition": {"StringEqualz": {"aws:username": "reader"}}})),
        ),
    ]
}

async fn reader_can_read(server: &KinkoServer, reader: &TestCredentials) -> Result<(), String> {
    match server
        .secrets_as(reader)
        .get_secret_value()
        .secret_id(SECRET)
        .send()
        .await
    {
        Ok(value) => {
            assert_eq!(value.secret_string(), Some("db-canary-4471"));
            Ok(())
        }
        Err(err) => {
            assert!(!message(&err).contains("canary"));
            Err(code(&err))
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_resource_policy_the_evaluator_cannot_read_is_refused() {
    let server = server();
    create_secret(&server).await;
    let reader = reader(&server);
    let secrets = server.secrets();
    for (what, policy) in unreadable_denies() {
        let err = secrets
            .put_resource_policy()
            .secret_id(SECRET)
            .resource_policy(&policy)
            .send()
            .await
            .expect_err(what);
        assert_eq!(code(&err), "MalformedPolicyDocumentException", "{what}");
        assert!(
            message(&err).starts_with("This policy has invalid syntax. "),
            "{what}: {}",
            message(&err)
        );
        let err = secrets
            .validate_resource_policy()
            .secret_id(SECRET)
            .resource_policy(&policy)
            .send()
            .await
            .expect_err(what);
        assert_eq!(code(&err), "MalformedPolicyDocumentException", "{what}");
    }
    // Nothing was stored.
    let stored = secrets
        .get_resource_policy()
        .secret_id(SECRET)
        .send()
        .await
        .unwrap();
    assert_eq!(stored.resource_policy(), None);

    // The well-formed Deny is stored and stops the reader.
    reader_can_read(&server, &reader).await.unwrap();
    secrets
        .put_resource_policy()
        .secret_id(SECRET)
        .resource_policy(deny_reader(json!({})))
        .send()
        .await
        .unwrap();
    assert_eq!(
        reader_can_read(&server, &reader).await,
        Err("AccessDeniedException".to_owned())
    );
}

/// Changes the server's SQLite database behind its back, as an operator
/// (or an attacker with the file) could.
fn edit_database(server: &KinkoServer, sql: &str, value: &str) {
    let db = rusqlite::Connection::open(server.database_path()).unwrap();
    db.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
    let changed = db.execute(sql, [value]).unwrap();
    assert_eq!(changed, 1, "{sql}");
}

/// The audit records of `reader`'s denied GetSecretValue calls.
fn reader_denials(server: &KinkoServer, expected: usize) -> Vec<Value> {
    for _ in 0..200 {
        let answer = server.admin(
            "QueryAuditLog",
            json!({"Decision": "deny", "Action": "secretsmanager:GetSecretValue", "Limit": 1000}),
        );
        let records: Vec<Value> = answer["Records"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|r| {
                r["principal"]
                    .as_str()
                    .is_some_and(|p| p.ends_with(":user/reader"))
            })
            .collect();
        if records.len() >= expected {
            return records;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    panic!("fewer than {expected} denials of the reader were recorded");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stored_policy_that_no_longer_parses_denies_and_the_audit_log_says_why() {
    let mut server = server();
    create_secret(&server).await;
    let reader = reader(&server);
    // A valid resource policy that denies someone else: the reader reads.
    let deny_other = json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Deny",
        "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:user/someone-else")},
        "Action": "secretsmanager:GetSecretValue",
        "Resource": "*"
    }]})
    .to_string();
    server
        .secrets()
        .put_resource_policy()
        .secret_id(SECRET)
        .resource_policy(&deny_other)
        .send()
        .await
        .unwrap();
    reader_can_read(&server, &reader).await.unwrap();

    // Each unreadable Deny written into the store directly: the reader is
    // denied, and the record says the policy did not parse.
    for (index, (what, policy)) in unreadable_denies().into_iter().enumerate() {
        edit_database(
            &server,
            "UPDATE secrets SET resource_policy = ?1 WHERE name = 'app/prod/db'",
            &policy,
        );
        assert_eq!(
            reader_can_read(&server, &reader).await,
            Err("AccessDeniedException".to_owned()),
            "{what}"
        );
        let records = reader_denials(&server, index + 1);
        let reason = records[index]["resources"][0]["reason"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(reason.contains("does not parse"), "{what}: {records:?}");
    }

    // The same for the caller's own identity policy: a broken one denies
    // everything it might have restricted (re-read at start-up).
    edit_database(
        &server,
        "UPDATE secrets SET resource_policy = ?1 WHERE name = 'app/prod/db'",
        &deny_other,
    );
    reader_can_read(&server, &reader).await.unwrap();
    server.stop();
    edit_database(
        &server,
        "UPDATE principal_policies SET document = ?1 WHERE principal_arn LIKE '%:user/reader'",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"secretsmanager:*","Resurce":"*"}]}"#,
    );
    server.restart();
    assert_eq!(
        reader_can_read(&server, &reader).await,
        Err("AccessDeniedException".to_owned())
    );
    let records = reader_denials(&server, 4);
    let reason = records[3]["resources"][0]["reason"]
        .as_str()
        .unwrap_or_default();
    assert!(reason.contains("stored policy"), "{records:?}");
}
