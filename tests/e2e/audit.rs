//! The audit log, end to end: one record per request (denied and
//! unauthenticated ones included), a hash chain whose verification names
//! the record that was altered, deleted or moved in the database, and a
//! leak test over every place a value could end up.

use aws_sdk_ssm::types::ParameterType;
use kinko_testkit::{KinkoServer, TestCredentials, file_contains};
use serde_json::{Value, json};

use crate::support::{code, server};

/// Every audit record, once the asynchronous writer has `at_least`.
fn all_records(server: &KinkoServer, at_least: usize) -> Vec<Value> {
    for _ in 0..200 {
        let mut records = Vec::new();
        let mut after = 0;
        loop {
            let page = server.admin("QueryAuditLog", json!({"AfterSeq": after, "Limit": 1000}));
            let batch = page["Records"].as_array().cloned().unwrap_or_default();
            records.extend(batch);
            match page["NextSeq"].as_i64() {
                Some(next) => after = next,
                None => break,
            }
        }
        if records.len() >= at_least {
            return records;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    panic!("fewer than {at_least} audit records");
}

/// Makes a few calls so the log has a chain worth tampering with.
async fn some_traffic(server: &KinkoServer) {
    let ssm = server.ssm();
    for i in 0..6 {
        ssm.put_parameter()
            .name(format!("/audit/p{i}"))
            .value("v")
            .r#type(ParameterType::String)
            .send()
            .await
            .unwrap();
    }
    all_records(server, 6);
}

fn verify(server: &KinkoServer) -> Value {
    server.admin("VerifyAuditLog", json!({}))
}

fn tamper(server: &KinkoServer, sql: &str) {
    let db = rusqlite::Connection::open(server.database_path()).unwrap();
    db.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
    db.execute_batch(sql).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn an_untouched_log_verifies_and_records_every_request() {
    let server = server();
    some_traffic(&server).await;
    // A request with unknown credentials is recorded too, as a denial.
    let stranger = TestCredentials {
        access_key_id: "AKIAUNKNOWNUNKNOWN00".into(),
        secret_access_key: "x".repeat(40),
        session_token: None,
    };
    let err = server
        .ssm_as(&stranger)
        .get_parameter()
        .name("/audit/p1")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "UnrecognizedClientException");

    let answer = verify(&server);
    assert_eq!(answer["Intact"], true, "{answer}");
    let records = all_records(&server, 8);
    let put = records
        .iter()
        .find(|r| r["operation"] == "ssm:PutParameter")
        .unwrap();
    assert_eq!(put["principal"], "arn:aws:iam::000000000000:user/admin");
    assert_eq!(put["decision"], "allow");
    assert_eq!(put["sourceIp"], "127.0.0.1");
    assert_eq!(
        put["resources"][0]["resource"],
        "arn:aws:ssm:us-east-1:000000000000:parameter/audit/p0"
    );
    assert!(put["requestId"].as_str().is_some_and(|id| !id.is_empty()));
    assert!(put["latencyMs"].as_f64().is_some());
    let unauthenticated = records
        .iter()
        .find(|r| r["errorCode"] == "UnrecognizedClientException")
        .expect("the failed authentication is recorded");
    assert_eq!(unauthenticated["decision"], "deny");
    assert_eq!(unauthenticated["accessKeyId"], "AKIAUNKNOWNUNKNOWN00");
    // Chained: each record holds the hash of the one before.
    for pair in records.windows(2) {
        assert_eq!(pair[1]["prevHash"], pair[0]["hash"]);
        assert_eq!(
            pair[1]["seq"].as_i64().unwrap(),
            pair[0]["seq"].as_i64().unwrap() + 1
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn verify_names_an_altered_record() {
    let server = server();
    some_traffic(&server).await;
    tamper(
        &server,
        "UPDATE audit_log SET record = replace(record, 'admin', 'intern') WHERE seq = 3",
    );
    let answer = verify(&server);
    assert_eq!(answer["Intact"], false, "{answer}");
    assert_eq!(answer["Problem"]["Seq"], 3, "{answer}");
}

#[tokio::test(flavor = "multi_thread")]
async fn verify_names_a_deleted_record() {
    let server = server();
    some_traffic(&server).await;
    tamper(&server, "DELETE FROM audit_log WHERE seq = 4");
    let answer = verify(&server);
    assert_eq!(answer["Intact"], false, "{answer}");
    assert_eq!(answer["Problem"]["Seq"], 4, "{answer}");
}

#[tokio::test(flavor = "multi_thread")]
async fn verify_notices_the_last_records_deleted() {
    let server = server();
    some_traffic(&server).await;
    let last: i64 = {
        let db = rusqlite::Connection::open(server.database_path()).unwrap();
        db.query_row("SELECT max(seq) FROM audit_log", [], |r| r.get(0))
            .unwrap()
    };
    // Stop first so nothing is appended after the deletion.
    let mut server = server;
    server.stop();
    tamper(
        &server,
        &format!("DELETE FROM audit_log WHERE seq >= {}", last - 1),
    );
    server.restart();
    let answer = verify(&server);
    assert_eq!(answer["Intact"], false, "{answer}");
    assert_eq!(answer["Problem"]["Seq"], last - 1, "{answer}");
}

#[tokio::test(flavor = "multi_thread")]
async fn verify_names_reordered_records() {
    let server = server();
    some_traffic(&server).await;
    tamper(
        &server,
        "UPDATE audit_log SET seq = -2 WHERE seq = 2;
         UPDATE audit_log SET seq = 2 WHERE seq = 3;
         UPDATE audit_log SET seq = 3 WHERE seq = -2;",
    );
    let answer = verify(&server);
    assert_eq!(answer["Intact"], false, "{answer}");
    assert_eq!(answer["Problem"]["Seq"], 2, "{answer}");
}

/// A whole session with distinctive values, then a search of every log
/// line, the audit log (store and stream), error bodies and the database
/// files' bytes for them.
#[tokio::test(flavor = "multi_thread")]
async fn no_value_or_secret_key_leaks_anywhere() {
    let dir = tempfile::tempdir().unwrap();
    let stream = dir.path().join("audit.jsonl");
    let server = KinkoServer::builder(env!("CARGO_BIN_EXE_kinko"))
        .arg("--audit-log")
        .arg(stream.to_str().unwrap())
        .start();
    let parameter_value = "LEAKCANARY-param-5c1b";
    let secret_value = "LEAKCANARY-secret-93fa";
    let ssm = server.ssm();
    ssm.put_parameter()
        .name("/leak/token")
        .value(parameter_value)
        .r#type(ParameterType::SecureString)
        .send()
        .await
        .unwrap();
    server
        .secrets()
        .create_secret()
        .name("leak/secret")
        .secret_string(secret_value)
        .send()
        .await
        .unwrap();
    let user = server.user_with_policy(
        "leaky",
        &json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}),
    );
    server.admin(
        "CreatePrincipal",
        json!({"Name": "leak-role", "Type": "Role"}),
    );
    let (_, session) = server.admin_as(
        &user,
        "AssumeRole",
        json!({"RoleName": "leak-role", "RoleSessionName": "s1"}),
    );
    let session_secret = session["Credentials"]["SecretAccessKey"]
        .as_str()
        .unwrap()
        .to_owned();
    let session_token = session["Credentials"]["SessionToken"]
        .as_str()
        .unwrap()
        .to_owned();
    // Denied reads, reads with a wrong secret, successful reads.
    let mut error_bodies = Vec::new();
    let err = server
        .ssm_as(&user)
        .get_parameter()
        .name("/leak/token")
        .with_decryption(true)
        .send()
        .await
        .unwrap_err();
    error_bodies.push(format!("{err:?}"));
    let wrong = TestCredentials {
        secret_access_key: "wrong".repeat(8),
        ..user.clone()
    };
    let err = server
        .secrets_as(&wrong)
        .get_secret_value()
        .secret_id("leak/secret")
        .send()
        .await
        .unwrap_err();
    error_bodies.push(format!("{err:?}"));
    ssm.get_parameter()
        .name("/leak/token")
        .with_decryption(true)
        .send()
        .await
        .unwrap();
    server
        .secrets()
        .get_secret_value()
        .secret_id("leak/secret")
        .send()
        .await
        .unwrap();
    let records = all_records(&server, 10);
    let mut server = server;
    server.stop();

    let needles = [
        parameter_value.to_owned(),
        secret_value.to_owned(),
        user.secret_access_key.clone(),
        server.secret_access_key.clone(),
        session_secret,
        session_token,
    ];
    let logs = server.logs();
    let audit_text = serde_json::to_string(&records).unwrap();
    let streamed = std::fs::read_to_string(&stream).unwrap();
    assert!(streamed.lines().count() >= records.len());
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&stream).unwrap().permissions().mode() & 0o777,
        0o600
    );
    for needle in &needles {
        assert!(!logs.contains(needle.as_str()), "a secret in the log");
        assert!(
            !audit_text.contains(needle.as_str()),
            "a secret in the audit log"
        );
        assert!(
            !streamed.contains(needle.as_str()),
            "a secret in the audit stream"
        );
        for body in &error_bodies {
            assert!(!body.contains(needle.as_str()), "a secret in an error");
        }
        for file in ["kinko.db", "kinko.db-wal"] {
            assert!(
                !file_contains(&server.data_path(file), needle.as_bytes()),
                "a secret in {file}"
            );
        }
    }
}
