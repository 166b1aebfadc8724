//! The SQLite store's disk fills up. The data directory sits on a small
//! tmpfs; a filler file and the server's own writes of big secrets use it
//! up. Then every write that does not fit is refused with a 503 the SDKs
//! retry, saying the disk is full (never a path or a value), and leaves
//! nothing behind; reads go on; the database and the audit chain stay
//! sound; and once space returns, writes succeed again without a restart.
//!
//! Mounting needs root (CI runs as root); elsewhere the test prints a note
//! and passes.
//!
//! Another part of the server may refuse requests with a 503 of its own
//! while the audit log cannot be written. For the time the disk is full the
//! test accepts that answer too (a 503 `ServiceUnavailable` that mentions
//! the audit log), for reads as well; after recovery it accepts nothing but
//! success.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use aws_sdk_ssm::config::http::HttpResponse;
use aws_sdk_ssm::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_ssm::types::ParameterType;
use kinko_testkit::{KinkoServer, REGION, http_get};

const KINKO: &str = env!("CARGO_BIN_EXE_kinko");

/// What a write on a full disk answers.
const OUT_OF_SPACE: &str = "The server is out of disk space; nothing was written. Try again later.";

/// How long the test waits for writes to work again once space is back: a
/// bound on waiting (the audit writer retries with up to 5 s of backoff),
/// not a performance assertion.
const RECOVERY: Duration = Duration::from_secs(60);

/// At most this many writes are tried to find one that no longer fits: the
/// space SQLite already holds (the WAL file's tail) is a few frames.
const MAX_ATTEMPTS: usize = 60;

/// A tmpfs of its own, unmounted on drop.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    /// `None` (after saying why) when this process may not mount.
    fn mount(size: &str) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().unwrap();
        let mounted = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0700"),
                "tmpfs",
            ])
            .arg(dir.path())
            .output();
        match mounted {
            Ok(out) if out.status.success() => Some(Tmpfs { dir }),
            Ok(out) => {
                eprintln!(
                    "skipping the disk-full test: cannot mount a tmpfs (needs root): {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                );
                None
            }
            Err(err) => {
                eprintln!("skipping the disk-full test: cannot run mount: {err}");
                None
            }
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let unmounted = Command::new("umount").arg(self.dir.path()).status();
        if !unmounted.is_ok_and(|s| s.success()) {
            let _ = Command::new("umount")
                .arg("-l")
                .arg(self.dir.path())
                .status();
        }
    }
}

/// Appends to `path` until the filesystem has no room left.
fn fill(path: &Path) {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    for chunk in [1 << 20, 4096, 512] {
        let bytes = vec![0u8; chunk];
        while file.write_all(&bytes).is_ok() {}
    }
}

/// Gives `bytes` of the filler back to the filesystem.
fn free(path: &Path, bytes: u64) {
    let file = std::fs::OpenOptions::new().write(true).open(path).unwrap();
    let len = file.metadata().unwrap().len();
    file.set_len(len.saturating_sub(bytes)).unwrap();
}

/// A value nobody could mistake: it must never appear in an answer or a log.
fn canary(kind: &str, i: usize, len: usize) -> String {
    let unit = format!("FULLDISK-{kind}-{i:03}-");
    unit.repeat(len / unit.len() + 1)[..len].to_owned()
}

/// What one refused request said, for the checks after it.
#[derive(Default)]
struct Refusals {
    out_of_space: usize,
    audit: usize,
}

impl Refusals {
    /// A clean refusal: a 503 `ServiceUnavailable` saying the disk is full
    /// (or that the audit log cannot be written), never a path or a value.
    fn check<E: ProvideErrorMetadata + std::fmt::Debug>(
        &mut self,
        err: &SdkError<E, HttpResponse>,
        data_dir: &Path,
        what: &str,
    ) {
        let status = err.raw_response().map(|r| r.status().as_u16());
        assert_eq!(status, Some(503), "{what}: {err:?}");
        assert_eq!(err.code(), Some("ServiceUnavailable"), "{what}: {err:?}");
        let message = err.message().unwrap_or_default();
        assert!(!message.contains("FULLDISK"), "{what}: a value: {message}");
        assert!(
            !message.contains(&*data_dir.to_string_lossy()),
            "{what}: {message}"
        );
        assert!(!message.contains("kinko.db"), "{what}: {message}");
        if message == OUT_OF_SPACE {
            self.out_of_space += 1;
        } else if message.to_lowercase().contains("audit") {
            self.audit += 1;
        } else {
            panic!("{what}: a 503 that does not say why: {message:?}");
        }
    }
}

/// During the full disk, a read returns the acknowledged value or a 503.
fn read_or_refused<E: ProvideErrorMetadata + std::fmt::Debug>(
    answer: Result<String, SdkError<E, HttpResponse>>,
    expected: &str,
    refusals: &mut Refusals,
    data_dir: &Path,
    what: &str,
) -> bool {
    match answer {
        Ok(value) => {
            assert!(value == expected, "{what}: a wrong value");
            true
        }
        Err(err) => {
            refusals.check(&err, data_dir, what);
            false
        }
    }
}

async fn get_parameter(
    server: &KinkoServer,
    name: &str,
) -> Result<String, SdkError<aws_sdk_ssm::operation::get_parameter::GetParameterError, HttpResponse>>
{
    let out = server
        .ssm()
        .get_parameter()
        .name(name)
        .with_decryption(true)
        .send()
        .await?;
    Ok(out.parameter().unwrap().value().unwrap().to_owned())
}

async fn get_secret(
    server: &KinkoServer,
    id: &str,
) -> Result<
    String,
    SdkError<
        aws_sdk_secretsmanager::operation::get_secret_value::GetSecretValueError,
        HttpResponse,
    >,
> {
    let out = server
        .secrets()
        .get_secret_value()
        .secret_id(id)
        .send()
        .await?;
    Ok(out.secret_string().unwrap().to_owned())
}

async fn put_parameter(
    server: &KinkoServer,
    name: &str,
    value: &str,
) -> Result<i64, SdkError<aws_sdk_ssm::operation::put_parameter::PutParameterError, HttpResponse>> {
    let out = server
        .ssm()
        .put_parameter()
        .name(name)
        .value(value)
        .r#type(ParameterType::SecureString)
        .overwrite(true)
        .send()
        .await?;
    Ok(out.version())
}

/// `kinko audit verify` as the admin: its exit code and output.
fn audit_verify(server: &KinkoServer, home: &Path) -> (Option<i32>, String) {
    let mut command = Command::new(KINKO);
    for (name, _) in std::env::vars() {
        if name.starts_with("AWS_") {
            command.env_remove(name);
        }
    }
    let out = command
        .args(["audit", "verify"])
        .env("HOME", home)
        .env("AWS_CONFIG_FILE", home.join("no-config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", home.join("no-credentials"))
        .env("AWS_ENDPOINT_URL", &server.endpoint)
        .env("AWS_ACCESS_KEY_ID", &server.access_key_id)
        .env("AWS_SECRET_ACCESS_KEY", &server.secret_access_key)
        .env("AWS_REGION", REGION)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_refuses_cleanly_and_recovers_without_a_restart() {
    let Some(tmpfs) = Tmpfs::mount("16m") else {
        return;
    };
    let data_dir: PathBuf = tmpfs.path().join("data");
    let filler = tmpfs.path().join("filler");
    let mut server = KinkoServer::builder(KINKO).data_dir(&data_dir).start();
    let ssm = server.ssm();
    let secrets = server.secrets();
    let mut refusals = Refusals::default();

    // What the user had before the disk filled up.
    let kept = "/faults/kept";
    let mut kept_versions: Vec<String> = vec!["first".into(), "second".into()];
    for value in &kept_versions {
        put_parameter(&server, kept, value).await.unwrap();
    }
    ssm.label_parameter_version()
        .name(kept)
        .parameter_version(1)
        .labels("stable")
        .send()
        .await
        .unwrap();
    let db = "faults/db";
    let mut db_versions = Vec::new();
    let created = secrets
        .create_secret()
        .name(db)
        .secret_string("db-1")
        .send()
        .await
        .unwrap();
    db_versions.push((created.version_id().unwrap().to_owned(), "db-1".to_owned()));

    // The disk fills up: a filler file takes all but 512 KiB, then the
    // server's own writes of 60 KB secrets take the rest.
    fill(&filler);
    free(&filler, 512 * 1024);
    let mut big_secrets: Vec<(String, String)> = Vec::new();
    let mut refused_names = Vec::new();
    for i in 0.. {
        assert!(i < 200, "the disk never filled up");
        let (name, value) = (format!("faults/big-{i:03}"), canary("secret", i, 60_000));
        match secrets
            .create_secret()
            .name(&name)
            .secret_string(&value)
            .send()
            .await
        {
            Ok(_) => big_secrets.push((name, value)),
            Err(err) => {
                refusals.check(&err, &data_dir, "CreateSecret on a full disk");
                refused_names.push(name);
                break;
            }
        }
    }
    assert!(!big_secrets.is_empty(), "512 KiB held no 60 KB secret");
    eprintln!(
        "{} big secrets fitted before the disk was full",
        big_secrets.len()
    );
    // Whatever space is left, the filler takes too.
    fill(&filler);

    // Every kind of write is refused once it no longer fits in what SQLite
    // already holds; the ones that still fit are acknowledged and kept.
    for i in 0..=MAX_ATTEMPTS {
        assert!(i < MAX_ATTEMPTS, "PutParameter never ran out of space");
        let value = canary("param", i, 4096);
        match put_parameter(&server, kept, &value).await {
            Ok(version) => {
                kept_versions.push(value);
                assert_eq!(version as usize, kept_versions.len());
            }
            Err(err) => {
                refusals.check(&err, &data_dir, "PutParameter on a full disk");
                break;
            }
        }
    }
    for i in 0..=MAX_ATTEMPTS {
        assert!(i < MAX_ATTEMPTS, "PutSecretValue never ran out of space");
        let value = canary("version", i, 60_000);
        match secrets
            .put_secret_value()
            .secret_id(db)
            .secret_string(&value)
            .send()
            .await
        {
            Ok(out) => db_versions.push((out.version_id().unwrap().to_owned(), value)),
            Err(err) => {
                refusals.check(&err, &data_dir, "PutSecretValue on a full disk");
                break;
            }
        }
    }
    for i in 0..=MAX_ATTEMPTS {
        assert!(i < MAX_ATTEMPTS, "CreateSecret never ran out of space");
        let (name, value) = (format!("faults/late-{i:03}"), canary("late", i, 60_000));
        match secrets
            .create_secret()
            .name(&name)
            .secret_string(&value)
            .send()
            .await
        {
            Ok(_) => big_secrets.push((name, value)),
            Err(err) => {
                refusals.check(&err, &data_dir, "CreateSecret on a full disk");
                refused_names.push(name);
                break;
            }
        }
    }
    assert!(
        refusals.out_of_space + refusals.audit >= 4,
        "every kind of write was refused"
    );

    // Reads go on (or are refused cleanly), and the server keeps serving.
    let latest_kept = kept_versions.last().unwrap().clone();
    let mut reads_served = 0;
    let answer = get_parameter(&server, kept).await;
    reads_served += usize::from(read_or_refused(
        answer,
        &latest_kept,
        &mut refusals,
        &data_dir,
        "GetParameter",
    ));
    let answer = get_secret(&server, db).await;
    reads_served += usize::from(read_or_refused(
        answer,
        &db_versions.last().unwrap().1,
        &mut refusals,
        &data_dir,
        "GetSecretValue",
    ));
    for (name, value) in &big_secrets {
        let answer = get_secret(&server, name).await;
        reads_served += usize::from(read_or_refused(
            answer,
            value,
            &mut refusals,
            &data_dir,
            "GetSecretValue of a big secret",
        ));
    }
    eprintln!(
        "on the full disk: {} parameter and {} secret versions still fitted; \
         {reads_served} reads served; refusals: {} out of space, {} audit",
        kept_versions.len() - 2,
        db_versions.len() - 1,
        refusals.out_of_space,
        refusals.audit
    );
    // /health answers at once: ok, or 503 while the audit log cannot be
    // written (so a load balancer moves traffic away).
    match http_get(&server.endpoint, "/health") {
        Some((200, _)) => {}
        Some((503, body)) => assert!(body.contains("audit log"), "{body}"),
        other => panic!("/health on a full disk: {other:?}"),
    }

    // Space comes back: writes succeed again, without a restart.
    std::fs::remove_file(&filler).unwrap();
    let started = Instant::now();
    let version = loop {
        match put_parameter(&server, kept, "after-recovery").await {
            Ok(version) => break version,
            Err(err) => {
                refusals.check(&err, &data_dir, "PutParameter while space returns");
                assert!(started.elapsed() < RECOVERY, "writes did not recover");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    };
    kept_versions.push("after-recovery".into());
    assert_eq!(version as usize, kept_versions.len());
    let after = canary("after", 0, 60_000);
    secrets
        .create_secret()
        .name("faults/after")
        .secret_string(&after)
        .send()
        .await
        .unwrap();
    big_secrets.push(("faults/after".into(), after));

    // Nothing half-written: the history is every acknowledged version and
    // no other, the label stayed, refused secrets do not exist.
    let check_everything = async |server: &KinkoServer| {
        let mut history = Vec::new();
        let mut token = None;
        loop {
            let page = server
                .ssm()
                .get_parameter_history()
                .name(kept)
                .with_decryption(true)
                .set_next_token(token)
                .send()
                .await
                .unwrap();
            history.extend(page.parameters().iter().cloned());
            token = page.next_token().map(str::to_owned);
            if token.is_none() {
                break;
            }
        }
        let versions: Vec<(i64, String)> = history
            .iter()
            .map(|p| (p.version(), p.value().unwrap().to_owned()))
            .collect();
        let expected: Vec<(i64, String)> = kept_versions
            .iter()
            .enumerate()
            .map(|(i, v)| (i as i64 + 1, v.clone()))
            .collect();
        assert!(versions == expected, "the parameter's versions changed");
        assert_eq!(history[0].labels(), ["stable"]);
        let ids = server
            .secrets()
            .list_secret_version_ids()
            .secret_id(db)
            .send()
            .await
            .unwrap();
        let mut listed: Vec<String> = ids
            .versions()
            .iter()
            .map(|v| v.version_id().unwrap().to_owned())
            .collect();
        let mut acknowledged: Vec<String> = db_versions.iter().map(|(id, _)| id.clone()).collect();
        listed.sort();
        acknowledged.sort();
        assert_eq!(listed, acknowledged, "the secret's versions changed");
        let current = ids
            .versions()
            .iter()
            .find(|v| v.version_stages().iter().any(|s| s == "AWSCURRENT"))
            .unwrap();
        assert_eq!(
            current.version_id(),
            Some(db_versions.last().unwrap().0.as_str())
        );
        assert!(get_secret(server, db).await.unwrap() == db_versions.last().unwrap().1);
        for (name, value) in &big_secrets {
            assert!(get_secret(server, name).await.unwrap() == *value, "{name}");
        }
        for name in &refused_names {
            let err = server
                .secrets()
                .describe_secret()
                .secret_id(name)
                .send()
                .await
                .unwrap_err();
            assert_eq!(err.code(), Some("ResourceNotFoundException"), "{name}");
        }
    };
    check_everything(&server).await;

    // The audit chain is intact, and the database file sound.
    let home = tempfile::tempdir().unwrap();
    let (code, output) = audit_verify(&server, home.path());
    assert_eq!(code, Some(0), "kinko audit verify: {output}");
    assert!(server.stop().success(), "{}", server.logs());
    let db_file = rusqlite::Connection::open(server.database_path()).unwrap();
    let integrity: String = db_file
        .query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .unwrap();
    assert_eq!(integrity, "ok");
    drop(db_file);

    // And everything acknowledged is still there after a restart.
    server.restart();
    check_everything(&server).await;
    let (code, output) = audit_verify(&server, home.path());
    assert_eq!(
        code,
        Some(0),
        "kinko audit verify after a restart: {output}"
    );
    assert!(
        !server.logs().contains("FULLDISK"),
        "a value reached the server's log"
    );
    drop(server);
}
