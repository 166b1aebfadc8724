//! SQLite-specific tests, and the conformance suite run on both flavours.

use std::sync::Arc;

use kinko_model::ssm::VersionSelector;

use super::{SqliteStore, Synchronous, migrations};
use crate::{
    AuditRows, IdentityRows, MetaRows, ParameterLookup, ParameterRows, ParameterWrite, PutOutcome,
    Store, StoreError, conformance,
};

/// The suite on the in-memory store, one test per area so that a failure
/// names the area (`conformance_in_memory::secrets`).
mod conformance_in_memory {
    use super::*;

    macro_rules! areas {
        ($($area:ident),*) => {$(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $area() {
                let store = SqliteStore::open_in_memory().unwrap();
                conformance::$area::run(Arc::new(store)).await;
            }
        )*};
    }

    areas!(parameters, secrets, keys, identity, audit, changes, meta);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conformance_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("kinko.db")).unwrap();
    conformance::run_all(Arc::new(store)).await;
}

fn write(name: &str, value: &[u8]) -> ParameterWrite {
    ParameterWrite {
        name: name.to_owned(),
        display_name: name.to_owned(),
        expected_latest: None,
        version: conformance::plain_version(1, value),
        tags: Vec::new(),
        max_versions: 100,
    }
}

#[cfg(unix)]
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[cfg(unix)]
#[tokio::test]
async fn data_survives_reopen_and_files_are_private() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kinko.db");
    {
        let store = SqliteStore::open(&path).unwrap();
        assert_eq!(mode(&path), 0o600);
        let wal = dir.path().join("kinko.db-wal");
        assert!(wal.exists(), "WAL mode is on");
        assert_eq!(mode(&wal), 0o600);
        let outcome = store
            .put_parameter_version(
                "r",
                write("/kept", b"sealed"),
                crate::conformance::test_change(),
            )
            .await
            .unwrap();
        assert_eq!(outcome, PutOutcome::Written);
        assert_eq!(store.init_meta("check", b"c").await.unwrap(), b"c");
    }
    let store = SqliteStore::open(&path).unwrap();
    match store
        .get_parameter("r", "/kept", &VersionSelector::Latest)
        .await
        .unwrap()
    {
        ParameterLookup::Found(record) => assert_eq!(record.version.value, b"sealed"),
        other => panic!("expected the parameter after reopening, got {other:?}"),
    }
    assert_eq!(store.get_meta("check").await.unwrap(), Some(b"c".to_vec()));
    assert_eq!(mode(&path), 0o600);
}

/// The child half of `acknowledged_write_survives_kill_9`: set by the parent.
const CRASH_CHILD_DB: &str = "KINKO_STORE_TEST_CRASH_CHILD_DB";
/// What the child prints once its writes are acknowledged.
const ACKNOWLEDGED: &str = "kinko-crash-child-acknowledged";

/// Runs this test binary again as a child that writes and reports the write
/// acknowledged, kills it with SIGKILL while it still holds the database
/// open (no clean close, no checkpoint), and reopens the file.
#[cfg(unix)]
#[tokio::test]
async fn acknowledged_write_survives_kill_9() {
    use std::io::BufRead;

    if let Some(path) = std::env::var_os(CRASH_CHILD_DB) {
        let store = SqliteStore::open(std::path::Path::new(&path)).unwrap();
        for i in 0..50 {
            let outcome = store
                .put_parameter_version(
                    "r",
                    write(&format!("/crash/{i}"), b"sealed"),
                    crate::conformance::test_change(),
                )
                .await
                .unwrap();
            assert_eq!(outcome, PutOutcome::Written);
        }
        // libtest may print "test <name> ... " on the same line first.
        println!("{ACKNOWLEDGED}");
        loop {
            std::thread::park();
        }
    }

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kinko.db");
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "sqlite::tests::acknowledged_write_survives_kill_9",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CRASH_CHILD_DB, &path)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let acknowledged = std::io::BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .any(|line| line.contains(ACKNOWLEDGED));
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert!(acknowledged, "the child never reported its writes");

    let store = SqliteStore::open(&path).unwrap();
    for i in 0..50 {
        let lookup = store
            .get_parameter("r", &format!("/crash/{i}"), &VersionSelector::Latest)
            .await
            .unwrap();
        assert!(
            matches!(lookup, ParameterLookup::Found(_)),
            "/crash/{i}: {lookup:?}"
        );
    }
}

#[tokio::test]
async fn a_write_is_visible_to_the_next_read_on_every_reader() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("kinko.db")).unwrap();
    store
        .put_parameter_version("r", write("/n", b"v"), crate::conformance::test_change())
        .await
        .unwrap();
    // More reads than readers: each reader connection must see the commit.
    for _ in 0..(super::READERS * 2) {
        let lookup = store
            .get_parameter("r", "/n", &VersionSelector::Latest)
            .await
            .unwrap();
        assert!(matches!(lookup, ParameterLookup::Found(_)), "{lookup:?}");
    }
}

#[test]
fn open_applies_migrations_once_and_records_the_version() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kinko.db");
    drop(SqliteStore::open(&path).unwrap());
    // Reopening must not re-run the migrations (CREATE TABLE would fail).
    drop(SqliteStore::open(&path).unwrap());
    let conn = rusqlite::Connection::open(&path).unwrap();
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .unwrap();
    assert_eq!(version, migrations::latest_version() as i64);
    let mode: String = conn
        .pragma_query_value(None, "journal_mode", |row| row.get(0))
        .unwrap();
    assert_eq!(mode, "wal", "WAL mode persists in the file");
}

#[test]
fn a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kinko.db");
    drop(SqliteStore::open(&path).unwrap());
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.pragma_update(None, "user_version", 999).unwrap();
    drop(conn);
    match SqliteStore::open(&path) {
        Err(StoreError::Backend(message)) => assert!(message.contains("999"), "{message}"),
        other => panic!("expected a Backend error, got {other:?}"),
    }
}

#[test]
fn a_missing_directory_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("no/such/dir/kinko.db");
    assert!(matches!(
        SqliteStore::open(&path),
        Err(StoreError::Backend(_))
    ));
}

#[tokio::test]
async fn lock_held_by_another_process_is_unavailable() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kinko.db");
    let store = SqliteStore::open(&path).unwrap();
    // Another connection (as another process would) holds the write lock.
    let other = rusqlite::Connection::open(&path).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    let err = store
        .put_parameter_version("r", write("/n", b"v"), crate::conformance::test_change())
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
    other.execute_batch("ROLLBACK").unwrap();
    let outcome = store
        .put_parameter_version("r", write("/n", b"v"), crate::conformance::test_change())
        .await
        .unwrap();
    assert_eq!(outcome, PutOutcome::Written);
}

/// A full disk, as SQLite sees it: `max_page_count` makes the database
/// refuse to grow exactly as a full filesystem does (`SQLITE_FULL`). The
/// write that does not fit is `OutOfSpace` and leaves nothing behind, reads
/// go on, and writes succeed again once there is room, on the same store.
#[tokio::test]
async fn a_full_disk_is_out_of_space_and_nothing_half_written() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("kinko.db")).unwrap();
    store
        .put_parameter_version(
            "r",
            write("/kept", b"small"),
            crate::conformance::test_change(),
        )
        .await
        .unwrap();
    let full_at: i64 = {
        let conn = super::lock(&store.shared.writer);
        let pages: i64 = conn
            .query_row("PRAGMA page_count", [], |row| row.get(0))
            .unwrap();
        conn.query_row(&format!("PRAGMA max_page_count = {pages}"), [], |row| {
            row.get(0)
        })
        .unwrap()
    };
    assert!(full_at > 0);

    // 64 KiB values overflow onto new pages: the first one cannot fit.
    let big = vec![0x5au8; 64 * 1024];
    let err = store
        .put_parameter_version("r", write("/big", &big), crate::conformance::test_change())
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::OutOfSpace), "{err:?}");
    assert_eq!(
        err.to_string(),
        "the store is out of disk space; the write was not made"
    );
    assert_eq!(
        store
            .get_parameter("r", "/big", &VersionSelector::Latest)
            .await
            .unwrap(),
        ParameterLookup::NotFound,
        "the failed write left nothing"
    );
    assert!(matches!(
        store
            .get_parameter("r", "/kept", &VersionSelector::Latest)
            .await
            .unwrap(),
        ParameterLookup::Found(_)
    ));

    // Space returns: the same store writes again.
    {
        let conn = super::lock(&store.shared.writer);
        let _: i64 = conn
            .query_row("PRAGMA max_page_count = 1073741823", [], |row| row.get(0))
            .unwrap();
    }
    let outcome = store
        .put_parameter_version("r", write("/big", &big), crate::conformance::test_change())
        .await
        .unwrap();
    assert_eq!(outcome, PutOutcome::Written);
    let check: String = super::lock(&store.shared.writer)
        .query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .unwrap();
    assert_eq!(check, "ok");
}

/// Not an assertion: prints the single-writer commit rate for each
/// `synchronous` setting, the numbers quoted in the module doc. Run with
/// `cargo test -p kinko-store write_rate -- --ignored --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "measurement, prints numbers"]
async fn write_rate() {
    const WRITES: u32 = 2000;
    for synchronous in [Synchronous::Full, Synchronous::Normal] {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open_with(&dir.path().join("kinko.db"), synchronous).unwrap();
        let started = std::time::Instant::now();
        for i in 0..WRITES {
            let outcome = store
                .put_parameter_version(
                    "r",
                    write(&format!("/bench/{i}"), b"0123456789abcdef"),
                    crate::conformance::test_change(),
                )
                .await
                .unwrap();
            assert_eq!(outcome, PutOutcome::Written);
        }
        let elapsed = started.elapsed().as_secs_f64();
        println!(
            "synchronous={}: {WRITES} writes in {elapsed:.2}s = {:.0} writes/s",
            synchronous.pragma_value(),
            f64::from(WRITES) / elapsed
        );
        let started = std::time::Instant::now();
        for i in 0..WRITES {
            let lookup = store
                .get_parameter("r", &format!("/bench/{i}"), &VersionSelector::Latest)
                .await
                .unwrap();
            assert!(matches!(lookup, ParameterLookup::Found(_)));
        }
        let elapsed = started.elapsed().as_secs_f64();
        println!(
            "  sequential get_parameter: {:.0} reads/s (debug build, one caller)",
            f64::from(WRITES) / elapsed
        );
        let store: Arc<dyn Store> = Arc::new(store);
        let started = std::time::Instant::now();
        let mut tasks = Vec::new();
        for task in 0..8 {
            let store = Arc::clone(&store);
            tasks.push(tokio::spawn(async move {
                for i in 0..WRITES {
                    let name = format!("/bench/{}", (i + task * 97) % WRITES);
                    let lookup = store
                        .get_parameter("r", &name, &VersionSelector::Latest)
                        .await
                        .unwrap();
                    assert!(matches!(lookup, ParameterLookup::Found(_)));
                }
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        let elapsed = started.elapsed().as_secs_f64();
        println!(
            "  8 concurrent callers: {:.0} reads/s (debug build)",
            f64::from(WRITES * 8) / elapsed
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_round_trip_between_files_and_memory() {
    let dir = tempfile::tempdir().unwrap();
    let source = SqliteStore::open(&dir.path().join("source.db")).unwrap();
    conformance::fill_for_backup(&source).await;
    let target = SqliteStore::open_in_memory().unwrap();
    conformance::backup_round_trip(&source, &target).await;
    conformance::restore_refuses_non_empty(&source, &SqliteStore::open_in_memory().unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_single_process_store_always_grants_singletons_and_has_no_peers() {
    let store = SqliteStore::open_in_memory().unwrap();
    let first = store.try_singleton_lock("purge").await.unwrap().unwrap();
    let second = store.try_singleton_lock("purge").await.unwrap().unwrap();
    assert!(first.is_held() && second.is_held());
    assert!(store.invalidations().is_none());
    store
        .publish_invalidation(&crate::Invalidation::All)
        .await
        .unwrap();
}

/// Two stores on one file (two processes, as far as SQLite can tell)
/// extend one gap-free chain: the write lock serialises their appends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_stores_on_one_file_extend_one_audit_chain() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kinko.db");
    let a: Arc<dyn AuditRows> = Arc::new(SqliteStore::open(&path).unwrap());
    let b: Arc<dyn AuditRows> = Arc::new(SqliteStore::open(&path).unwrap());
    conformance::audit_chain(&*a).await;
    conformance::concurrent_audit_appenders(vec![a, b]).await;
}

/// The tampering `kinko audit verify` must catch can be done in SQL: the
/// schema stops none of it (a seq swap goes through a temporary value, as
/// the primary key is checked row by row).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_rows_can_be_tampered_with_in_sql() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kinko.db");
    let store = SqliteStore::open(&path).unwrap();
    let records: Vec<(i64, String)> = (1..=6).map(|i| (i, format!("r{i}"))).collect();
    store
        .append_audit(&records, conformance::test_link)
        .await
        .unwrap();
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(
        "UPDATE audit_log SET record = 'forged' WHERE seq = 2; \
         DELETE FROM audit_log WHERE seq = 5; \
         UPDATE audit_log SET seq = -1 WHERE seq = 3; \
         UPDATE audit_log SET seq = 3 WHERE seq = 4; \
         UPDATE audit_log SET seq = 4 WHERE seq = -1;",
    )
    .unwrap();
    drop(conn);
    let rows = store.read_audit(0, 100).await.unwrap();
    let seen: Vec<(i64, &str)> = rows.iter().map(|r| (r.seq, r.record.as_str())).collect();
    assert_eq!(
        seen,
        vec![(1, "r1"), (2, "forged"), (3, "r4"), (4, "r3"), (6, "r6")]
    );
    assert_eq!(store.audit_head().await.unwrap().unwrap().0, 6);
}

/// A row whose type text no `ParameterType` has (written by hand, or by a
/// bug) reads as a corrupt-row error naming the parameter.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_parameter_type_is_a_corrupt_row() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kinko.db");
    let store = SqliteStore::open(&path).unwrap();
    let outcome = store
        .put_parameter_version(
            "corrupt",
            write("/app/odd", b"sealed"),
            crate::conformance::test_change(),
        )
        .await
        .unwrap();
    assert_eq!(outcome, PutOutcome::Written);
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch("UPDATE parameter_versions SET parameter_type = 'Strung'")
        .unwrap();
    drop(conn);
    conformance::unknown_parameter_type_is_a_corrupt_row(&store, "corrupt", "/app/odd").await;
}

/// A database written before schema version 3 gains the identity tables,
/// and its access keys read back with no rotation or last-use facts.
#[test]
fn a_version_2_database_migrates_to_identity() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(include_str!("../../migrations/sqlite/0001_init.sql"))
            .unwrap();
        conn.execute_batch(include_str!("../../migrations/sqlite/0002_secrets.sql"))
            .unwrap();
        conn.pragma_update(None, "user_version", 2).unwrap();
        conn.execute(
            "INSERT INTO access_keys (access_key_id, principal_arn, sealed_secret, active, \
             created_ms) VALUES ('AKIAOLD', 'arn:old', x'01', 1, 5)",
            [],
        )
        .unwrap();
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let store = SqliteStore::open(&path).unwrap();
        let key = store.get_access_key("AKIAOLD").await.unwrap().unwrap();
        assert_eq!(
            (key.created_ms, key.retire_ms, key.last_used_ms),
            (5, None, None)
        );
        assert_eq!(store.audit_head().await.unwrap(), None);
        assert!(store.list_principals().await.unwrap().is_empty());
    });
}

/// A database written before schema version 4 gives each existing principal
/// a unique id of its kind, all different; new principals need their own.
#[test]
fn a_version_3_database_gives_principals_unique_ids() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        for sql in [
            include_str!("../../migrations/sqlite/0001_init.sql"),
            include_str!("../../migrations/sqlite/0002_secrets.sql"),
            include_str!("../../migrations/sqlite/0003_identity.sql"),
        ] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", 3).unwrap();
        for (name, kind) in [("alice", "User"), ("deploy", "Role"), ("bob", "User")] {
            let path = if kind == "Role" { "role" } else { "user" };
            conn.execute(
                "INSERT INTO principals (name, kind, arn, tags, trust_policy, created_ms) \
                 VALUES (?1, ?2, ?3, '[]', NULL, 1)",
                rusqlite::params![
                    name,
                    kind,
                    format!("arn:aws:iam::000000000000:{path}/{name}")
                ],
            )
            .unwrap();
        }
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let store = SqliteStore::open(&path).unwrap();
        let all = store.list_principals().await.unwrap();
        let ids: Vec<&str> = all.iter().map(|p| p.unique_id.as_str()).collect();
        assert_eq!(all.len(), 3);
        for p in &all {
            let prefix = p.kind.unique_id_prefix();
            assert!(p.unique_id.starts_with(prefix), "{p:?}");
            assert_eq!(p.unique_id.len(), 21, "{p:?}");
            assert!(
                p.unique_id[4..]
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b)),
                "{p:?}"
            );
        }
        assert!(
            ids[0] != ids[1] && ids[1] != ids[2] && ids[0] != ids[2],
            "{ids:?}"
        );
    });
}
