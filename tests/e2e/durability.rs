//! What survives: a clean restart, a `kill -9` in the middle of a write
//! burst, tampering with the database file, a SIGTERM under load — and what
//! never leaks: secret values in logs, error messages or the database file.

use std::collections::BTreeMap;
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_ssm::error::SdkError;
use aws_sdk_ssm::types::ParameterType;
use kinko_testkit::{KinkoServer, file_contains};

use crate::support::{code, message, server};

/// A bound on waiting for background writers, not a performance assertion.
const BURST_TIMEOUT: Duration = Duration::from_secs(120);

/// What a parameter should read back as.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Expected {
    value: String,
    version: i64,
    kind: String,
}

/// Reads every name back (with decryption) in batches of 10 and returns
/// name → what was read.
async fn read_all(
    ssm: &aws_sdk_ssm::Client,
    names: impl Iterator<Item = String>,
) -> BTreeMap<String, Expected> {
    let names: Vec<String> = names.collect();
    let mut read = BTreeMap::new();
    for batch in names.chunks(10) {
        let out = ssm
            .get_parameters()
            .set_names(Some(batch.to_vec()))
            .with_decryption(true)
            .send()
            .await
            .unwrap();
        assert!(
            out.invalid_parameters().is_empty(),
            "missing after restart: {:?}",
            out.invalid_parameters()
        );
        for p in out.parameters() {
            read.insert(
                p.name().unwrap().to_owned(),
                Expected {
                    value: p.value().unwrap().to_owned(),
                    version: p.version(),
                    kind: p.r#type().unwrap().as_str().to_owned(),
                },
            );
        }
    }
    read
}

#[tokio::test(flavor = "multi_thread")]
async fn a_clean_restart_keeps_every_value_and_version() {
    let mut server = server();
    let ssm = server.ssm();
    let kinds = [
        ParameterType::String,
        ParameterType::StringList,
        ParameterType::SecureString,
    ];
    let mut expected = BTreeMap::new();
    for kind in &kinds {
        for i in 0..20 {
            let name = format!("/restart/{}/p{i:02}", kind.as_str());
            // Every third parameter gets a second and third version.
            let writes = if i % 3 == 0 { 3 } else { 1 };
            let mut value = String::new();
            for w in 1..=writes {
                value = match kind {
                    ParameterType::StringList => format!("a{i},b{w},c"),
                    _ => format!("value {i} of {} v{w}", kind.as_str()),
                };
                let put = ssm
                    .put_parameter()
                    .name(&name)
                    .value(&value)
                    .r#type(kind.clone())
                    .overwrite(w > 1)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(put.version(), w);
            }
            expected.insert(
                name,
                Expected {
                    value,
                    version: writes,
                    kind: kind.as_str().to_owned(),
                },
            );
        }
    }

    let status = server.stop();
    assert!(status.success(), "SIGTERM exit status {status}");
    server.restart();

    let read = read_all(&server.ssm(), expected.keys().cloned()).await;
    assert_eq!(read, expected);
}

#[tokio::test(flavor = "multi_thread")]
async fn kill_9_during_a_write_burst_loses_no_acknowledged_write() {
    let mut server = server();
    let acked: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let count = Arc::new(AtomicUsize::new(0));
    let mut writers = Vec::new();
    for task in 0..4 {
        let ssm = server.ssm();
        let acked = acked.clone();
        let count = count.clone();
        writers.push(tokio::spawn(async move {
            let mut errors = 0;
            for i in 0.. {
                let name = format!("/burst/t{task}/p{i}");
                let value = format!("burst value {task}-{i}");
                let kind = if i % 2 == 0 {
                    ParameterType::SecureString
                } else {
                    ParameterType::String
                };
                match ssm
                    .put_parameter()
                    .name(&name)
                    .value(&value)
                    .r#type(kind)
                    .send()
                    .await
                {
                    Ok(_) => {
                        acked.lock().unwrap().push((name, value));
                        count.fetch_add(1, Ordering::SeqCst);
                    }
                    // The server is gone: this write was never acknowledged.
                    Err(SdkError::DispatchFailure(_) | SdkError::ResponseError(_)) => {
                        return errors;
                    }
                    Err(other) => {
                        errors += 1;
                        eprintln!("burst writer {task}: unexpected error {other:?}");
                        if errors > 10 {
                            return errors;
                        }
                    }
                }
            }
            errors
        }));
    }

    let started = Instant::now();
    while count.load(Ordering::SeqCst) < 300 {
        assert!(
            started.elapsed() < BURST_TIMEOUT,
            "only {} acknowledged writes; log:\n{}",
            count.load(Ordering::SeqCst),
            server.logs()
        );
        assert!(
            !writers.iter().all(|w| w.is_finished()),
            "all writers stopped early; log:\n{}",
            server.logs()
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    server.kill9();
    let mut errors = 0;
    for writer in writers {
        errors += tokio::time::timeout(BURST_TIMEOUT, writer)
            .await
            .expect("writer stops once the server is gone")
            .unwrap();
    }
    assert_eq!(errors, 0, "service errors during the burst");

    server.restart();
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() >= 300, "{} acks", acked.len());
    let expected: BTreeMap<String, String> = acked.into_iter().collect();
    let read = read_all(&server.ssm(), expected.keys().cloned()).await;
    let read: BTreeMap<String, String> = read.into_iter().map(|(k, v)| (k, v.value)).collect();
    let lost: Vec<&String> = expected
        .keys()
        .filter(|k| read.get(*k) != expected.get(*k))
        .collect();
    assert!(lost.is_empty(), "acknowledged writes lost: {lost:?}");
}

/// Where one parameter's latest version lives in the SQLite file.
struct Row {
    region: String,
    name: String,
    version: i64,
}

fn latest_row(db: &rusqlite::Connection, display_name: &str) -> Row {
    db.query_row(
        "SELECT p.region, p.name, p.latest_version FROM parameters p WHERE p.display_name = ?1",
        [display_name],
        |r| {
            Ok(Row {
                region: r.get(0)?,
                name: r.get(1)?,
                version: r.get(2)?,
            })
        },
    )
    .unwrap_or_else(|e| panic!("no row for {display_name}: {e}"))
}

fn read_blob(db: &rusqlite::Connection, row: &Row) -> Vec<u8> {
    db.query_row(
        "SELECT value FROM parameter_versions WHERE region = ?1 AND name = ?2 AND version = ?3",
        rusqlite::params![row.region, row.name, row.version],
        |r| r.get(0),
    )
    .unwrap()
}

fn write_blob(db: &rusqlite::Connection, row: &Row, blob: &[u8]) {
    let changed = db
        .execute(
            "UPDATE parameter_versions SET value = ?4 WHERE region = ?1 AND name = ?2 AND version = ?3",
            rusqlite::params![row.region, row.name, row.version, blob],
        )
        .unwrap();
    assert_eq!(changed, 1);
}

async fn get_value(ssm: &aws_sdk_ssm::Client, name: &str) -> Result<String, (String, String)> {
    ssm.get_parameter()
        .name(name)
        .with_decryption(true)
        .send()
        .await
        .map(|out| out.parameter().unwrap().value().unwrap().to_owned())
        .map_err(|e| (code(&e), message(&e)))
}

#[tokio::test(flavor = "multi_thread")]
async fn tampered_or_moved_ciphertexts_fail_to_read_and_others_still_read() {
    let mut server = server();
    let ssm = server.ssm();
    let values = [
        ("/a", "alpha-plaintext-1111", ParameterType::SecureString),
        ("/b", "bravo-plaintext-2222", ParameterType::SecureString),
        ("/c", "charlie-plaintext-3333", ParameterType::String),
    ];
    for (name, value, kind) in &values {
        ssm.put_parameter()
            .name(*name)
            .value(*value)
            .r#type(kind.clone())
            .send()
            .await
            .unwrap();
    }
    assert!(server.stop().success());

    // (1) Flip one byte in the middle of /a's sealed value.
    {
        let db = rusqlite::Connection::open(server.database_path()).unwrap();
        let row = latest_row(&db, "/a");
        let mut blob = read_blob(&db, &row);
        assert!(
            !blob
                .windows(values[0].1.len())
                .any(|w| w == values[0].1.as_bytes()),
            "the stored value of /a is plaintext"
        );
        let middle = blob.len() / 2;
        blob[middle] ^= 0x01;
        write_blob(&db, &row, &blob);
    }
    server.restart();
    let ssm = server.ssm();
    let (err_code, err_message) = get_value(&ssm, "/a")
        .await
        .expect_err("a tampered value was read");
    assert!(!err_code.is_empty() && err_code != "<no code>");
    for (_, value, _) in &values {
        assert!(!err_message.contains(value), "{err_message}");
    }
    assert_eq!(err_code, "InternalServerError");
    assert!(
        err_message.contains("parameter /a (version 1) failed its integrity check"),
        "{err_message}"
    );
    assert_eq!(get_value(&ssm, "/b").await, Ok(values[1].1.to_owned()));
    assert_eq!(get_value(&ssm, "/c").await, Ok(values[2].1.to_owned()));
    assert!(server.stop().success());

    // (2) Copy /b's sealed value onto /c's row.
    {
        let db = rusqlite::Connection::open(server.database_path()).unwrap();
        let b = latest_row(&db, "/b");
        let c = latest_row(&db, "/c");
        let blob = read_blob(&db, &b);
        write_blob(&db, &c, &blob);
    }
    server.restart();
    let ssm = server.ssm();
    let (err_code, err_message) = get_value(&ssm, "/c")
        .await
        .expect_err("a value moved onto another parameter was read");
    assert!(!err_code.is_empty() && err_code != "<no code>");
    for (_, value, _) in &values {
        assert!(!err_message.contains(value), "{err_message}");
    }
    assert_eq!(err_code, "InternalServerError");
    assert!(
        err_message.contains("parameter /c (version 1) failed its integrity check"),
        "{err_message}"
    );
    // The String read path (no decryption asked) must not hand it out either.
    let plain_read = ssm.get_parameter().name("/c").send().await;
    assert!(plain_read.is_err(), "{plain_read:?}");
    assert_eq!(get_value(&ssm, "/b").await, Ok(values[1].1.to_owned()));

    let logs = server.logs();
    for (_, value, _) in &values {
        assert!(
            !logs.contains(value),
            "a value leaked into the log:\n{logs}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_under_read_load_exits_cleanly() {
    let mut server = server();
    let ssm = server.ssm();
    for i in 0..30 {
        ssm.put_parameter()
            .name(format!("/load/p{i:02}"))
            .value(format!("load value {i}"))
            .r#type(ParameterType::SecureString)
            .send()
            .await
            .unwrap();
    }
    let reads = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let mut readers = Vec::new();
    for _ in 0..2 {
        let ssm = ssm.clone();
        let reads = reads.clone();
        let stop = stop.clone();
        readers.push(tokio::spawn(async move {
            let mut service_errors = Vec::new();
            while !stop.load(Ordering::SeqCst) {
                match ssm
                    .get_parameters_by_path()
                    .path("/load")
                    .recursive(true)
                    .with_decryption(true)
                    .send()
                    .await
                {
                    Ok(out) => {
                        assert!(!out.parameters().is_empty());
                        reads.fetch_add(1, Ordering::SeqCst);
                    }
                    // Refused or cut connections once the server is gone.
                    Err(SdkError::DispatchFailure(_) | SdkError::ResponseError(_)) => {
                        tokio::time::sleep(Duration::from_millis(5)).await;
                    }
                    Err(other) => service_errors.push(format!("{other:?}")),
                }
            }
            service_errors
        }));
    }
    let started = Instant::now();
    while reads.load(Ordering::SeqCst) < 20 {
        assert!(
            started.elapsed() < BURST_TIMEOUT,
            "readers made no progress"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }

    let status = tokio::task::block_in_place(|| server.stop());
    stop.store(true, Ordering::SeqCst);
    for reader in readers {
        let service_errors = reader.await.unwrap();
        assert!(
            service_errors.is_empty(),
            "the server answered errors during shutdown: {service_errors:?}"
        );
    }
    assert!(status.success(), "SIGTERM exit status {status}");
    let logs = server.logs();
    assert!(logs.contains("shutting down"), "no shutdown line:\n{logs}");
}

/// A value no test would type by accident, different on every run.
fn canary() -> String {
    let random = RandomState::new().hash_one(std::process::id());
    format!("kinko-leak-canary-{random:016x}")
}

fn wal_path(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push("-wal");
    PathBuf::from(name)
}

#[tokio::test(flavor = "multi_thread")]
async fn secret_values_leak_nowhere() {
    let mut server = KinkoServer::builder(env!("CARGO_BIN_EXE_kinko"))
        .env("KINKO_LOG", "debug")
        .start();
    let ssm = server.ssm();
    let secret = canary();
    let mut messages = Vec::new();

    for (name, kind) in [
        ("/leak/secure", ParameterType::SecureString),
        ("/leak/string", ParameterType::String),
        ("/leak/list", ParameterType::StringList),
    ] {
        ssm.put_parameter()
            .name(name)
            .value(format!("{secret}-{}", kind.as_str()))
            .r#type(kind)
            .send()
            .await
            .unwrap();
    }
    ssm.put_parameter()
        .name("/leak/secure")
        .value(format!("{secret}-v2"))
        .r#type(ParameterType::SecureString)
        .overwrite(true)
        .send()
        .await
        .unwrap();

    // Reads that succeed: the control that the canary is really stored.
    let got = get_value(&ssm, "/leak/secure").await.unwrap();
    assert_eq!(got, format!("{secret}-v2"));
    let history = ssm
        .get_parameter_history()
        .name("/leak/secure")
        .with_decryption(true)
        .send()
        .await
        .unwrap();
    assert_eq!(history.parameters().len(), 2);
    let by_path = ssm
        .get_parameters_by_path()
        .path("/leak")
        .with_decryption(true)
        .send()
        .await
        .unwrap();
    assert_eq!(by_path.parameters().len(), 3);
    ssm.describe_parameters().send().await.unwrap();

    // Failing writes that carry the canary.
    let err = ssm
        .put_parameter()
        .name("/leak/pattern")
        .value(&secret)
        .r#type(ParameterType::SecureString)
        .allowed_pattern("^[0-9]+$")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ParameterPatternMismatchException", "{err:?}");
    messages.push(message(&err));
    let err = ssm
        .put_parameter()
        .name("/leak/too-long")
        .value(format!("{secret}{}", "x".repeat(9000)))
        .r#type(ParameterType::SecureString)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ValidationException", "{err:?}");
    messages.push(message(&err));
    let err = ssm
        .put_parameter()
        .name("/leak/secure")
        .value(format!("{secret}-no-overwrite"))
        .r#type(ParameterType::SecureString)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ParameterAlreadyExists", "{err:?}");
    messages.push(message(&err));
    let err = ssm
        .put_parameter()
        .name("/leak/bad-key")
        .value(format!("{secret}-bad-key"))
        .r#type(ParameterType::SecureString)
        .key_id("alias/does-not-exist")
        .send()
        .await
        .unwrap_err();
    messages.push(message(&err));
    let err = server
        .ssm_with(kinko_testkit::REGION, &server.access_key_id, &secret)
        .put_parameter()
        .name("/leak/wrong-secret")
        .value(&secret)
        .r#type(ParameterType::SecureString)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidSignatureException", "{err:?}");
    messages.push(message(&err));

    for m in &messages {
        assert!(
            !m.contains(&secret),
            "an error message leaks the value: {m}"
        );
    }

    let db = server.database_path();
    let wal = wal_path(&db);
    // The control: the files read are the store, holding these parameters.
    assert!(
        file_contains(&db, b"/leak/secure") || file_contains(&wal, b"/leak/secure"),
        "neither {} nor its WAL holds the parameter names",
        db.display()
    );
    assert!(
        !file_contains(&db, secret.as_bytes()),
        "plaintext in {}",
        db.display()
    );
    assert!(
        !file_contains(&wal, secret.as_bytes()),
        "plaintext in {}",
        wal.display()
    );

    assert!(server.stop().success());
    assert!(
        !file_contains(&db, secret.as_bytes()),
        "plaintext in {}",
        db.display()
    );
    assert!(
        !file_contains(&wal, secret.as_bytes()),
        "plaintext in {}",
        wal.display()
    );
    let logs = server.logs();
    assert!(!logs.is_empty());
    assert!(
        !logs.contains(&secret),
        "the log leaks a value:\n{}",
        logs.lines()
            .filter(|l| l.contains(&secret))
            .collect::<Vec<_>>()
            .join("\n")
    );
}
