//! `kinko backup` and `kinko restore`: what a user sees through the SDK is
//! the same before a backup and after a restore, SQLite → PostgreSQL →
//! SQLite, with every version, label, tag, stage, KMS key and access key.
//!
//! The PostgreSQL leg needs `KINKO_TEST_DATABASE_URL`; without it the
//! SQLite → SQLite round trip still runs.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use aws_sdk_kms::primitives::Blob;
use aws_sdk_ssm::types::{ParameterType, Tag};
use kinko_testkit::KinkoServer;

use crate::cluster::TestSchema;
use crate::support::code;

const KINKO: &str = env!("CARGO_BIN_EXE_kinko");

/// Runs `kinko ARGS` without the caller's root-key environment; returns
/// (success, stderr).
fn kinko(args: &[&str]) -> (bool, String) {
    let output = Command::new(KINKO)
        .args(args)
        .env_remove("KINKO_ROOT_KEY")
        .env_remove("KINKO_ROOT_PASSPHRASE")
        .env_remove("KINKO_STORE")
        .env_remove("KINKO_DATA_DIR")
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A server on its own data directory (SQLite) or on `store`, with `root_key`.
fn start(root_key: &Path, store: Option<&str>) -> KinkoServer {
    let mut builder = KinkoServer::builder(KINKO)
        .arg("--root-key-file")
        .arg(path(root_key));
    if let Some(url) = store {
        builder = builder.arg("--store").arg(url);
    }
    builder.start()
}

/// Fills a server the way a user would: versions beyond the cap of kept
/// ones is not needed here (the store tests cover dropped versions), but
/// labels, tags, SecureStrings, secret stages, a disabled customer key and
/// an alias are.
async fn fill(server: &KinkoServer) -> String {
    let ssm = server.ssm();
    for (n, value) in ["param-v1-s3cret", "param-v2-s3cret", "param-v3-s3cret"]
        .iter()
        .enumerate()
    {
        let mut put = ssm
            .put_parameter()
            .name("/app/db/password")
            .value(*value)
            .r#type(ParameterType::SecureString)
            .overwrite(n > 0);
        if n == 0 {
            put = put.tags(Tag::builder().key("team").value("core").build().unwrap());
        }
        put.send().await.unwrap();
    }
    ssm.label_parameter_version()
        .name("/app/db/password")
        .parameter_version(2)
        .labels("prod")
        .labels("blue")
        .send()
        .await
        .unwrap();
    ssm.put_parameter()
        .name("/app/plain")
        .value("a,b")
        .r#type(ParameterType::StringList)
        .send()
        .await
        .unwrap();
    server
        .ssm_in("eu-west-1")
        .put_parameter()
        .name("elsewhere")
        .value("eu")
        .r#type(ParameterType::String)
        .send()
        .await
        .unwrap();

    let sm = server.secrets();
    sm.create_secret()
        .name("app/token")
        .secret_string("token-first-s3cret")
        .tags(
            aws_sdk_secretsmanager::types::Tag::builder()
                .key("owner")
                .value("ops")
                .build(),
        )
        .send()
        .await
        .unwrap();
    sm.put_secret_value()
        .secret_id("app/token")
        .secret_string("token-second-s3cret")
        .client_request_token("00000000-0000-0000-0000-000000000002")
        .send()
        .await
        .unwrap();
    sm.put_secret_value()
        .secret_id("app/token")
        .secret_string("token-pending-s3cret")
        .client_request_token("00000000-0000-0000-0000-000000000003")
        .version_stages("AWSPENDING")
        .send()
        .await
        .unwrap();

    let kms = server.kms();
    let key = kms
        .create_key()
        .description("backup test")
        .send()
        .await
        .unwrap();
    let key_id = key.key_metadata().unwrap().key_id().to_owned();
    kms.create_alias()
        .alias_name("alias/app")
        .target_key_id(&key_id)
        .send()
        .await
        .unwrap();
    kms.disable_key().key_id(&key_id).send().await.unwrap();

    // A rotated key: a ciphertext and a SecureString from before the
    // rotation, one of each after; the ciphertexts kept (base64) in
    // parameters for `view` to decrypt.
    let rotated = kms
        .create_key()
        .description("rotated")
        .send()
        .await
        .unwrap();
    let rotated = rotated.key_metadata().unwrap().key_id().to_owned();
    kms.create_alias()
        .alias_name("alias/rotated")
        .target_key_id(&rotated)
        .send()
        .await
        .unwrap();
    for (when, rotate) in [("before", true), ("after", false)] {
        let blob = kms
            .encrypt()
            .key_id(&rotated)
            .plaintext(Blob::new(format!("kms-{when}-s3cret")))
            .send()
            .await
            .unwrap();
        let blob = base64_of(blob.ciphertext_blob().unwrap().as_ref());
        ssm.put_parameter()
            .name(format!("/rotated/blob-{when}"))
            .value(blob)
            .r#type(ParameterType::String)
            .send()
            .await
            .unwrap();
        ssm.put_parameter()
            .name(format!("/rotated/secure-{when}"))
            .value(format!("ssm-{when}-s3cret"))
            .r#type(ParameterType::SecureString)
            .key_id("alias/rotated")
            .send()
            .await
            .unwrap();
        if rotate {
            kms.rotate_key_on_demand()
                .key_id(&rotated)
                .send()
                .await
                .unwrap();
        }
    }
    kms.enable_key_rotation()
        .key_id(&rotated)
        .rotation_period_in_days(180)
        .send()
        .await
        .unwrap();
    key_id
}

fn base64_of(bytes: &[u8]) -> String {
    aws_smithy_types::base64::encode(bytes)
}

/// What a user reads of the rotated key: every ciphertext and SecureString
/// decrypts, with the material ids its rotations list.
async fn view_rotated(server: &KinkoServer, lines: &mut Vec<String>) {
    let (ssm, kms) = (server.ssm(), server.kms());
    let rotations = kms
        .list_key_rotations()
        .key_id(rotated_id(server).await)
        .include_key_material(aws_sdk_kms::types::IncludeKeyMaterial::AllKeyMaterial)
        .send()
        .await
        .unwrap();
    let materials: Vec<String> = rotations
        .rotations()
        .iter()
        .map(|r| r.key_material_id().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(materials.len(), 2, "the original and one rotation");
    for (i, when) in ["before", "after"].iter().enumerate() {
        let blob = ssm
            .get_parameter()
            .name(format!("/rotated/blob-{when}"))
            .send()
            .await
            .unwrap();
        let blob =
            aws_smithy_types::base64::decode(blob.parameter().unwrap().value().unwrap()).unwrap();
        let out = kms
            .decrypt()
            .ciphertext_blob(Blob::new(blob))
            .send()
            .await
            .unwrap();
        assert_eq!(out.key_material_id(), Some(materials[i].as_str()), "{when}");
        lines.push(format!(
            "rotated blob {when}: {:?} under material {i}",
            String::from_utf8_lossy(out.plaintext().unwrap().as_ref()),
        ));
        let secure = ssm
            .get_parameter()
            .name(format!("/rotated/secure-{when}"))
            .with_decryption(true)
            .send()
            .await
            .unwrap();
        lines.push(format!(
            "rotated secure {when}: {:?}",
            secure.parameter().unwrap().value()
        ));
    }
    let status = kms
        .get_key_rotation_status()
        .key_id(rotated_id(server).await)
        .send()
        .await
        .unwrap();
    lines.push(format!(
        "rotation {} {:?} {:?} {materials:?}",
        status.key_rotation_enabled(),
        status.rotation_period_in_days(),
        status.next_rotation_date()
    ));
}

async fn rotated_id(server: &KinkoServer) -> String {
    server
        .kms()
        .describe_key()
        .key_id("alias/rotated")
        .send()
        .await
        .unwrap()
        .key_metadata()
        .unwrap()
        .key_id()
        .to_owned()
}

/// Everything a user can read back, as text to compare.
async fn view(server: &KinkoServer, key_id: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let ssm = server.ssm();
    for name in ["/app/db/password", "/app/plain"] {
        let history = ssm
            .get_parameter_history()
            .name(name)
            .with_decryption(true)
            .send()
            .await
            .unwrap();
        for p in history.parameters() {
            lines.push(format!(
                "param {name} v{} {:?} {:?} labels={:?} modified={:?}",
                p.version(),
                p.r#type(),
                p.value(),
                p.labels(),
                p.last_modified_date()
            ));
        }
        let tags = ssm
            .list_tags_for_resource()
            .resource_type(aws_sdk_ssm::types::ResourceTypeForTagging::Parameter)
            .resource_id(name)
            .send()
            .await
            .unwrap();
        lines.push(format!("tags {name} {:?}", tags.tag_list()));
    }
    let eu = server
        .ssm_in("eu-west-1")
        .get_parameter()
        .name("elsewhere")
        .send()
        .await
        .unwrap();
    lines.push(format!("eu {:?}", eu.parameter().unwrap().value()));

    let sm = server.secrets();
    let described = sm
        .describe_secret()
        .secret_id("app/token")
        .send()
        .await
        .unwrap();
    lines.push(format!(
        "secret {:?} {:?} stages={:?}",
        described.arn(),
        described.tags(),
        // A HashMap: sorted, so two views compare equal.
        described
            .version_ids_to_stages()
            .map(|stages| stages.iter().collect::<std::collections::BTreeMap<_, _>>())
    ));
    let versions = sm
        .list_secret_version_ids()
        .secret_id("app/token")
        .include_deprecated(true)
        .send()
        .await
        .unwrap();
    let mut ids: Vec<String> = versions
        .versions()
        .iter()
        .map(|v| v.version_id().unwrap().to_owned())
        .collect();
    ids.sort();
    for id in ids {
        let value = sm
            .get_secret_value()
            .secret_id("app/token")
            .version_id(&id)
            .send()
            .await
            .unwrap();
        lines.push(format!("secret version {id} {:?}", value.secret_string()));
    }

    let kms = server.kms();
    let key = kms.describe_key().key_id("alias/app").send().await.unwrap();
    let meta = key.key_metadata().unwrap();
    assert_eq!(meta.key_id(), key_id);
    lines.push(format!(
        "key {} {:?} {:?} {:?}",
        meta.key_id(),
        meta.key_state(),
        meta.description(),
        meta.creation_date()
    ));
    let err = kms
        .encrypt()
        .key_id("alias/app")
        .plaintext(Blob::new("x"))
        .send()
        .await
        .unwrap_err();
    lines.push(format!("encrypt with the disabled key: {}", code(&err)));
    view_rotated(server, &mut lines).await;
    lines
}

/// Backs up `args` (a store selector) to `out` and checks the file.
fn backup(selector: &[&str], out: &Path) {
    let mut args = vec!["backup", "--out", path(out)];
    args.extend_from_slice(selector);
    let (ok, stderr) = kinko(&args);
    assert!(ok, "kinko backup failed: {stderr}");
    assert_eq!(
        std::fs::metadata(out).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let bytes = std::fs::read(out).unwrap();
    for plaintext in [
        "param-v3-s3cret",
        "token-second-s3cret",
        "token-pending-s3cret",
    ] {
        assert!(
            !bytes
                .windows(plaintext.len())
                .any(|w| w == plaintext.as_bytes()),
            "the backup holds {plaintext:?} in the clear"
        );
    }
}

fn restore(file: &Path, selector: &[&str], root_key: &Path) -> (bool, String) {
    let mut args = vec!["restore", path(file), "--root-key-file", path(root_key)];
    args.extend_from_slice(selector);
    kinko(&args)
}

/// Empties a stopped server's data directory of its store and credentials
/// file, so a restore can fill it and the next start re-writes the file.
fn empty_data_dir(server: &mut KinkoServer) {
    server.kill9();
    for name in ["kinko.db", "kinko.db-wal", "kinko.db-shm", "credentials"] {
        let _ = std::fs::remove_file(server.data_path(name));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_and_restore_round_trip_sqlite_postgres_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let root_key = dir.path().join("root.key");
    kinko_crypto::RootKey::load_or_create_file(&root_key).unwrap();

    let source = tokio::task::spawn_blocking({
        let root_key = root_key.clone();
        move || start(&root_key, None)
    })
    .await
    .unwrap();
    let key_id = fill(&source).await;
    let before = view(&source, &key_id).await;
    assert!(
        before
            .iter()
            .any(|l| l.contains(r#"Some("param-v3-s3cret")"#) && l.contains("v3")),
        "{before:#?}"
    );
    assert!(
        before.iter().any(|l| l.contains(r#"["blue", "prod"]"#)),
        "{before:#?}"
    );

    let first = dir.path().join("first.backup");
    backup(&["--data-dir", path(&source.data_dir)], &first);

    // A store that holds data is refused, and so is the wrong root key.
    let (ok, stderr) = restore(&first, &["--data-dir", path(&source.data_dir)], &root_key);
    assert!(!ok && stderr.contains("not empty"), "{stderr}");
    let other_key = dir.path().join("other.key");
    kinko_crypto::RootKey::load_or_create_file(&other_key).unwrap();
    let (ok, stderr) = restore(
        &first,
        &["--data-dir", path(&dir.path().join("unused"))],
        &other_key,
    );
    assert!(!ok && stderr.contains("root key"), "{stderr}");

    // Via PostgreSQL when there is one, else straight back into SQLite.
    let schema = TestSchema::create("backup_and_restore_round_trip").await;
    let second = match &schema {
        Some(schema) => {
            let url = schema.url();
            let (ok, stderr) = restore(&first, &["--store", &url], &root_key);
            assert!(ok, "restore into PostgreSQL failed: {stderr}");
            let on_postgres = tokio::task::spawn_blocking({
                let (root_key, url) = (root_key.clone(), url.clone());
                move || start(&root_key, Some(&url))
            })
            .await
            .unwrap();
            assert_eq!(on_postgres.access_key_id, source.access_key_id);
            assert_eq!(view(&on_postgres, &key_id).await, before, "on PostgreSQL");
            let second = dir.path().join("second.backup");
            backup(&["--store", &url], &second);
            second
        }
        None => first.clone(),
    };

    let mut target = tokio::task::spawn_blocking({
        let root_key = root_key.clone();
        move || start(&root_key, None)
    })
    .await
    .unwrap();
    empty_data_dir(&mut target);
    let (ok, stderr) = restore(&second, &["--data-dir", path(&target.data_dir)], &root_key);
    assert!(ok, "restore into SQLite failed: {stderr}");
    let target = tokio::task::spawn_blocking(move || {
        target.restart();
        target
    })
    .await
    .unwrap();
    assert_eq!(target.access_key_id, source.access_key_id);
    assert_eq!(view(&target, &key_id).await, before, "back on SQLite");
}
