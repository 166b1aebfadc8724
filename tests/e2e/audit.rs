//! The audit log, end to end: one record per request (denied and
//! unauthenticated ones included), a hash chain whose verification names
//! the record that was altered, deleted or moved in the database, and a
//! leak test over every place a value could end up.

use aws_sdk_ssm::types::ParameterType;
use kinko_testkit::{KinkoServer, TestCredentials, file_contains};
use serde_json::{Value, json};

use crate::support::{code, message, server};

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

/// Every audit record, once one matching `wanted` has been written (the
/// writer is asynchronous, and the queries made meanwhile are records too,
/// so a count alone can be reached before the wanted one lands).
fn records_with(server: &KinkoServer, wanted: impl Fn(&Value) -> bool) -> Vec<Value> {
    for _ in 0..200 {
        let records = all_records(server, 0);
        if records.iter().any(&wanted) {
            return records;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    panic!("the awaited audit record was not written");
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

    let records = records_with(&server, |r| r["errorCode"] == "UnrecognizedClientException");
    let answer = verify(&server);
    assert_eq!(answer["Intact"], true, "{answer}");
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

/// The `/health` status, and the first status a GetParameter gets.
fn health(server: &KinkoServer) -> Option<u16> {
    kinko_testkit::http_get(&server.endpoint, "/health").map(|(status, _)| status)
}

/// Waits (up to 10 s) until `/health` answers `status`.
fn wait_for_health(server: &KinkoServer, status: u16) {
    for _ in 0..500 {
        if health(server) == Some(status) {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    panic!("/health never answered {status}");
}

/// The disk "fills" under the audit log (a trigger makes every insert into
/// it fail, as SQLite's "database or disk is full" would): the server stops
/// serving until it can record again, loses nothing, and says in the log
/// how many requests it refused meanwhile.
#[tokio::test(flavor = "multi_thread")]
async fn an_unwritable_audit_log_stops_the_server_until_it_can_record_again() {
    let server = server();
    let ssm = server.ssm();
    let put = |value: &'static str| {
        ssm.put_parameter()
            .name("/outage/p")
            .value(value)
            .r#type(ParameterType::String)
            .overwrite(true)
            .send()
    };
    put("before").await.unwrap();
    all_records(&server, 1);

    tamper(
        &server,
        "CREATE TRIGGER audit_disk_full BEFORE INSERT ON audit_log
         BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END;",
    );
    // The first request after it is served (its record stays queued); its
    // record's failed append stops the server.
    put("acknowledged").await.unwrap();
    wait_for_health(&server, 503);

    // Refused, before anything is read or written: the SDK sees a 503
    // ServiceUnavailable (which it would retry), the aws CLI too.
    let err = put("refused").await.unwrap_err();
    assert_eq!(code(&err), "ServiceUnavailable", "{err:?}");
    assert!(
        message(&err).contains("The audit log cannot be written"),
        "{err:?}"
    );
    let err = ssm
        .get_parameter()
        .name("/outage/p")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ServiceUnavailable", "{err:?}");
    let (status, answer) = server.admin_as(&server.admin_credentials(), "QueryAuditLog", json!({}));
    assert_eq!(status, 503, "{answer}");
    let out = server.aws_cli(&[
        "ssm",
        "get-parameter",
        "--name",
        "/outage/p",
        "--cli-read-timeout",
        "5",
    ]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("ServiceUnavailable"), "{stderr}");

    // Space comes back: serving resumes by itself.
    tamper(&server, "DROP TRIGGER audit_disk_full");
    wait_for_health(&server, 200);
    let got = ssm.get_parameter().name("/outage/p").send().await.unwrap();
    // The refused write was never made.
    assert_eq!(got.parameter().unwrap().value(), Some("acknowledged"));
    assert_eq!(got.parameter().unwrap().version(), 2);

    // Nothing acknowledged is missing, the refusals are summed up, the
    // chain is intact; one warning each way in the server's log.
    let records = all_records(&server, 4);
    let puts = records
        .iter()
        .filter(|r| r["operation"] == "ssm:PutParameter" && r["status"] == 200)
        .count();
    assert_eq!(puts, 2, "{records:?}");
    let summary = records
        .iter()
        .find(|r| r["operation"] == "kinko:AuditLogUnavailable")
        .expect("an outage summary");
    assert_eq!(summary["status"], 503);
    assert_eq!(summary["errorCode"], "ServiceUnavailable");
    // The SDK's two calls, the admin call and the CLI's attempts (it retries
    // 503s); /health is not counted.
    let refused = summary["outage"]["refusedRequests"].as_u64().unwrap();
    assert!(refused >= 4, "{summary}");
    assert!(
        summary["outage"]["since"].as_str().unwrap()
            <= summary["outage"]["until"].as_str().unwrap()
    );
    let answer = verify(&server);
    assert_eq!(answer["Intact"], true, "{answer}");
    let logs = server.logs();
    assert_eq!(
        logs.matches("the audit log cannot be written: refusing requests")
            .count(),
        1,
        "{logs}"
    );
    assert_eq!(
        logs.matches("the audit log is written again").count(),
        1,
        "{logs}"
    );
}
