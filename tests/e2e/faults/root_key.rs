//! Root key problems at start-up: the server refuses to start, exits
//! non-zero and prints one line that says what is wrong and what to do,
//! never the key; and it never makes a new key beside a store that an old
//! one sealed.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_ssm::types::ParameterType;
use kinko_testkit::KinkoServer;

use crate::support::server;

const KINKO: &str = env!("CARGO_BIN_EXE_kinko");

/// A well-formed root key that opens none of the test stores: the base64
/// of 32 bytes of 9.
const WRONG_KEY: &str = "CQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQk=";
/// The base64 of 31 bytes: one short of a key.
const SHORT_KEY: &str = "AwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAw==";

/// How long a server that should refuse to start may take to exit. A bound
/// on waiting, not a performance assertion.
const REFUSAL_TIMEOUT: Duration = Duration::from_secs(60);

/// Runs `kinko server --data-dir DIR` (with `envs`) expecting a refusal:
/// its exit status and everything it printed on stdout and stderr.
fn refusal(data_dir: &Path, envs: &[(&str, &str)]) -> (ExitStatus, String) {
    let out = tempfile::NamedTempFile::new().unwrap();
    let mut command = Command::new(KINKO);
    command
        .arg("server")
        .arg("--listen")
        .arg("127.0.0.1:0")
        .arg("--data-dir")
        .arg(data_dir)
        .env_remove("KINKO_ROOT_KEY")
        .env_remove("KINKO_ROOT_PASSPHRASE")
        .env_remove("KINKO_ROOT_KEY_FILE")
        .env("KINKO_LOG", "info")
        .stdin(Stdio::null())
        .stdout(out.reopen().unwrap())
        .stderr(out.reopen().unwrap());
    for (name, value) in envs {
        command.env(name, value);
    }
    let mut child = command.spawn().unwrap();
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > REFUSAL_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "kinko server did not refuse to start:\n{}",
                std::fs::read_to_string(out.path()).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    (status, std::fs::read_to_string(out.path()).unwrap())
}

/// The refusal is a failure exit and exactly one line, `kinko: error: …`,
/// that contains every one of `needles` and none of `secrets`.
fn assert_refused(
    (status, output): (ExitStatus, String),
    needles: &[&str],
    secrets: &[&str],
) -> String {
    assert!(!status.success(), "the server started:\n{output}");
    assert_eq!(status.code(), Some(1), "{output}");
    let lines: Vec<&str> = output.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line, not:\n{output}");
    let line = lines[0];
    assert!(line.starts_with("kinko: error: "), "{line}");
    for needle in needles {
        assert!(line.contains(needle), "{needle:?} missing from: {line}");
    }
    for secret in secrets {
        assert!(
            !line.contains(secret),
            "the refusal shows key material: {line}"
        );
    }
    line.to_owned()
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Writes a key file with mode 0600, as a careful operator restores one.
fn write_key_file(path: &Path, contents: &[u8]) {
    std::fs::write(path, contents).unwrap();
    chmod(path, 0o600);
}

async fn put(server: &KinkoServer, name: &str, value: &str) {
    server
        .ssm()
        .put_parameter()
        .name(name)
        .value(value)
        .r#type(ParameterType::SecureString)
        .send()
        .await
        .unwrap();
}

async fn get(server: &KinkoServer, name: &str) -> String {
    let out = server
        .ssm()
        .get_parameter()
        .name(name)
        .with_decryption(true)
        .send()
        .await
        .unwrap();
    out.parameter().unwrap().value().unwrap().to_owned()
}

/// A stopped server whose store holds `/rk/kept`, and its key file's text.
async fn stopped_server_with_data() -> (KinkoServer, String) {
    let mut server = server();
    put(&server, "/rk/kept", "sealed-under-the-first-key").await;
    server.stop();
    let key = std::fs::read_to_string(server.data_path("root.key")).unwrap();
    (server, key)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_key_file_beside_a_store_is_refused_and_no_new_key_is_made() {
    let (mut server, key_text) = stopped_server_with_data().await;
    let key = server.data_path("root.key");
    std::fs::remove_file(&key).unwrap();

    let line = assert_refused(
        refusal(&server.data_dir, &[]),
        &[
            &key.display().to_string(),
            "is missing",
            "holds a store",
            "restore the key file from your backup",
        ],
        &[key_text.trim()],
    );
    assert!(line.contains("kinko.db"), "{line}");
    assert!(!key.exists(), "the server made a new root key");

    // The key back from the backup: the same data opens.
    write_key_file(&key, key_text.as_bytes());
    server.restart();
    assert_eq!(get(&server, "/rk/kept").await, "sealed-under-the-first-key");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_damaged_open_or_odd_key_file_is_refused_in_one_line() {
    let (mut server, key_text) = stopped_server_with_data().await;
    let key = server.data_path("root.key");
    let key_path = key.display().to_string();
    let truncated = &key_text[..20];
    let another_key = format!("{WRONG_KEY}\n");

    let damaged: [(&str, &[u8], &[&str]); 5] = [
        (
            "truncated",
            truncated.as_bytes(),
            &["does not hold a root key", "got 15", "restore the key file"],
        ),
        (
            "garbled",
            b"this is prose, not a key\n",
            &["does not hold a root key", "base64"],
        ),
        ("empty", b"", &["the file is empty"]),
        (
            "not text",
            &[0xff, 0xfe, 0x00, 0x41],
            &["does not hold a root key", "not text"],
        ),
        (
            "another key",
            another_key.as_bytes(),
            &["does not open this store", "the key it was created with"],
        ),
    ];
    for (case, contents, needles) in damaged {
        write_key_file(&key, contents);
        let mut needles = needles.to_vec();
        needles.push(&key_path);
        let line = assert_refused(
            refusal(&server.data_dir, &[]),
            &needles,
            &[key_text.trim(), truncated, WRONG_KEY],
        );
        eprintln!("{case}: {line}");
    }

    // The right key, readable by others.
    write_key_file(&key, key_text.as_bytes());
    for mode in [0o644, 0o640, 0o604] {
        chmod(&key, mode);
        assert_refused(
            refusal(&server.data_dir, &[]),
            &[&key_path, &format!("mode {mode:04o}"), "chmod 600"],
            &[key_text.trim()],
        );
    }

    // Not a file at all.
    std::fs::remove_file(&key).unwrap();
    std::fs::create_dir(&key).unwrap();
    assert_refused(
        refusal(&server.data_dir, &[]),
        &[&key_path, "is a directory, not a key file"],
        &[],
    );
    std::fs::remove_dir(&key).unwrap();
    std::os::unix::fs::symlink("/dev/null", &key).unwrap();
    assert_refused(
        refusal(&server.data_dir, &[]),
        &[&key_path, "special file"],
        &[],
    );
    std::fs::remove_file(&key).unwrap();
    let nowhere = server.data_dir.join("nowhere.key");
    std::os::unix::fs::symlink(&nowhere, &key).unwrap();
    assert_refused(
        refusal(&server.data_dir, &[]),
        &[&key_path, "symbolic link to", "does not exist"],
        &[],
    );
    assert!(!nowhere.exists(), "a key was created through the link");

    // A link to the real key file (as a Kubernetes secret volume mounts
    // it) is followed: the server starts and opens the data.
    let outside = tempfile::tempdir().unwrap();
    let real = outside.path().join("root.key");
    write_key_file(&real, key_text.as_bytes());
    std::fs::remove_file(&key).unwrap();
    std::os::unix::fs::symlink(&real, &key).unwrap();
    server.restart();
    assert_eq!(get(&server, "/rk/kept").await, "sealed-under-the-first-key");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_or_wrong_kinko_root_key_is_refused_without_showing_it() {
    let (server, key_text) = stopped_server_with_data().await;
    let cases: [(&str, &[&str]); 3] = [
        (
            "not base64 at all!",
            &["KINKO_ROOT_KEY is not a root key", "base64"],
        ),
        (SHORT_KEY, &["KINKO_ROOT_KEY is not a root key", "got 31"]),
        (
            WRONG_KEY,
            &["the root key from KINKO_ROOT_KEY does not open this store"],
        ),
    ];
    for (value, needles) in cases {
        assert_refused(
            refusal(&server.data_dir, &[("KINKO_ROOT_KEY", value)]),
            needles,
            &[value, key_text.trim()],
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_passphrase_salt_beside_a_store_is_refused() {
    let passphrase = "correct horse battery staple";
    let mut server = KinkoServer::builder(KINKO)
        .env("KINKO_ROOT_PASSPHRASE", passphrase)
        .start();
    put(&server, "/rk/kept", "sealed-under-the-passphrase").await;
    server.stop();
    let salt = server.data_path("root.salt");
    let saved = std::fs::read(&salt).unwrap();
    std::fs::remove_file(&salt).unwrap();

    assert_refused(
        refusal(&server.data_dir, &[("KINKO_ROOT_PASSPHRASE", passphrase)]),
        &[
            &salt.display().to_string(),
            "is missing",
            "restore the salt file",
        ],
        &[passphrase],
    );
    assert!(!salt.exists(), "the server made a new salt");
    assert!(
        !server.data_path("root.key").exists(),
        "nor did it fall back to a key file"
    );

    std::fs::write(&salt, saved).unwrap();
    chmod(&salt, 0o600);
    server.restart();
    assert_eq!(
        get(&server, "/rk/kept").await,
        "sealed-under-the-passphrase"
    );
}
