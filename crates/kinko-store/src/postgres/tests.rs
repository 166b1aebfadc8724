//! PostgreSQL tests: the conformance suite by area, and what only a shared database
//! can show (writers on different servers, connections the server closes).
//!
//! They need `KINKO_TEST_DATABASE_URL` (CI: `postgres://postgres@127.0.0.1:5432/test`);
//! without it they print a note and pass. Each test works in its own fresh
//! schema, dropped at the end (also when the test panics).

use std::collections::BTreeSet;
use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;
use std::time::Duration;

use kinko_model::ssm::VersionSelector;

use super::{PostgresStore, migrations, schema};
use crate::{
    AuditRows, IdentityRows, MetaRows, ParameterLookup, ParameterRows, ParameterWrite, PutOutcome,
    SecretRecord, SecretRows, SecretState, SecretWrite, StoreError, WriteOutcome, conformance,
};

const DATABASE_URL: &str = "KINKO_TEST_DATABASE_URL";

/// A fresh schema in the test database, dropped on drop.
struct TestSchema {
    base_url: String,
    name: String,
    /// `base_url` with `search_path` and a unique `application_name`.
    url: String,
}

impl TestSchema {
    /// `None` (after printing why) when no test database is configured.
    async fn create(test: &str) -> Option<TestSchema> {
        let Some(base_url) = std::env::var(DATABASE_URL).ok().filter(|u| !u.is_empty()) else {
            eprintln!("skipping {test}: set {DATABASE_URL} to run the PostgreSQL tests");
            return None;
        };
        let random = std::collections::hash_map::RandomState::new()
            .build_hasher()
            .finish();
        let name = format!("kinko_test_{random:016x}");
        schema::create_schema(&base_url, &name).await.unwrap();
        let url = format!(
            "{}&application_name={name}",
            schema::url_with_search_path(&base_url, &name).unwrap()
        );
        Some(TestSchema {
            base_url,
            name,
            url,
        })
    }

    async fn store(&self) -> PostgresStore {
        PostgresStore::open(&self.url).await.unwrap()
    }
}

impl Drop for TestSchema {
    // Drop cannot await, and may run inside a runtime: drop the schema from
    // a thread with its own small runtime.
    fn drop(&mut self) {
        let (url, name) = (self.base_url.clone(), self.name.clone());
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(schema::drop_schema(&url, &name))
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop the test schema {}", self.name);
        }
    }
}

/// The suite, one test per area, each in a fresh schema, so that a failure
/// names the area (`conformance_by_area::secrets`).
mod conformance_by_area {
    use super::*;

    macro_rules! areas {
        ($($area:ident),*) => {$(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $area() {
                let name = concat!("conformance_", stringify!($area));
                let Some(schema) = TestSchema::create(name).await else {
                    return;
                };
                conformance::$area::run(Arc::new(schema.store().await)).await;
            }
        )*};
    }

    areas!(parameters, secrets, keys, identity, audit, changes, meta);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrations_apply_once_and_refuse_a_newer_schema() {
    let Some(schema) = TestSchema::create("migrations").await else {
        return;
    };
    let store = PostgresStore::connect(&schema.url).unwrap();
    let latest = migrations::latest_version();
    assert_eq!(store.migrate().await.unwrap().from, 0);
    let again = store.migrate().await.unwrap();
    assert_eq!(
        (again.from, again.to),
        (latest, latest),
        "nothing left to apply"
    );

    let client = store.client().await.unwrap();
    client
        .execute(
            "UPDATE kinko_schema_version SET version = $1",
            &[&(latest as i64 + 1)],
        )
        .await
        .unwrap();
    drop(client);
    match PostgresStore::open(&schema.url).await {
        Err(StoreError::Backend(message)) => assert!(message.contains("newer"), "{message}"),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// A schema written before version 3 gives each existing principal a unique
/// id of its kind, all different.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_version_2_schema_gives_principals_unique_ids() {
    let Some(schema) = TestSchema::create("principal_ids").await else {
        return;
    };
    let store = PostgresStore::connect(&schema.url).unwrap();
    let client = store.client().await.unwrap();
    client
        .batch_execute(include_str!("../../migrations/postgres/0001_init.sql"))
        .await
        .unwrap();
    client
        .batch_execute(include_str!("../../migrations/postgres/0002_identity.sql"))
        .await
        .unwrap();
    client
        .batch_execute(
            "CREATE TABLE kinko_schema_version (version BIGINT NOT NULL); \
             INSERT INTO kinko_schema_version VALUES (2); \
             INSERT INTO principals (name, kind, arn, tags, created_ms) VALUES \
               ('alice', 'User', 'arn:aws:iam::000000000000:user/alice', '[]', 1), \
               ('deploy', 'Role', 'arn:aws:iam::000000000000:role/deploy', '[]', 1), \
               ('bob', 'User', 'arn:aws:iam::000000000000:user/bob', '[]', 1);",
        )
        .await
        .unwrap();
    drop(client);
    let store = schema.store().await;
    let all = store.list_principals().await.unwrap();
    assert_eq!(all.len(), 3);
    for p in &all {
        assert!(p.unique_id.starts_with(p.kind.unique_id_prefix()), "{p:?}");
        assert_eq!(p.unique_id.len(), 21, "{p:?}");
        assert!(
            p.unique_id[4..]
                .bytes()
                .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b)),
            "{p:?}"
        );
    }
    let ids: BTreeSet<&str> = all.iter().map(|p| p.unique_id.as_str()).collect();
    assert_eq!(ids.len(), 3, "{ids:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn servers_starting_together_migrate_once() {
    let Some(schema) = TestSchema::create("migrate_together").await else {
        return;
    };
    let (a, b) = tokio::join!(
        PostgresStore::open(&schema.url),
        PostgresStore::open(&schema.url)
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.init_meta("k", b"a").await.unwrap(), b"a");
    assert_eq!(b.get_meta("k").await.unwrap(), Some(b"a".to_vec()));
}

const SERVERS: usize = 2;
const WRITERS_PER_SERVER: u32 = 6;
const WRITES_PER_WRITER: u32 = 8;

/// Two stores with their own pools stand in for two servers: writers on
/// both compare-and-swap versions of one parameter; every version number is
/// used once and every write is kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writers_on_two_servers_never_lose_an_update() {
    let Some(schema) = TestSchema::create("two_servers").await else {
        return;
    };
    let mut servers = Vec::new();
    for _ in 0..SERVERS {
        servers.push(Arc::new(schema.store().await));
    }
    let (region, name) = ("us-east-1", "/cluster/contended");
    let mut tasks = Vec::new();
    for (server, store) in servers.iter().enumerate() {
        for writer in 0..WRITERS_PER_SERVER {
            let store = Arc::clone(store);
            tasks.push(tokio::spawn(async move {
                for write in 0..WRITES_PER_WRITER {
                    let value = format!("{server}-{writer}-{write}").into_bytes();
                    loop {
                        let latest = match store
                            .get_parameter(region, name, &VersionSelector::Latest)
                            .await
                            .unwrap()
                        {
                            ParameterLookup::Found(record) => Some(record.latest_version),
                            _ => None,
                        };
                        let write = ParameterWrite {
                            name: name.to_owned(),
                            display_name: name.to_owned(),
                            expected_latest: latest,
                            version: conformance::plain_version(
                                latest.map_or(1, |v| v + 1),
                                &value,
                            ),
                            tags: Vec::new(),
                            max_versions: 1000,
                        };
                        if store
                            .put_parameter_version(region, write, crate::conformance::test_change())
                            .await
                            .unwrap()
                            == PutOutcome::Written
                        {
                            break;
                        }
                    }
                }
            }));
        }
    }
    for task in tasks {
        task.await.unwrap();
    }
    let total = SERVERS as u32 * WRITERS_PER_SERVER * WRITES_PER_WRITER;
    for store in &servers {
        let history = store
            .parameter_history(region, name)
            .await
            .unwrap()
            .unwrap();
        let numbers: Vec<u32> = history.iter().map(|v| v.version).collect();
        assert_eq!(numbers, (1..=total).collect::<Vec<_>>());
        let values: BTreeSet<Vec<u8>> = history.into_iter().map(|v| v.value).collect();
        assert_eq!(values.len(), total as usize, "every write kept once");
    }
}

fn secret(name: &str) -> SecretState {
    SecretState {
        record: SecretRecord {
            region: "us-east-1".to_owned(),
            name: name.to_owned(),
            arn: format!("arn:aws:secretsmanager:us-east-1:000000000000:secret:{name}-abcdef"),
            description: None,
            kms_key_id: None,
            tags: Vec::new(),
            tagged: false,
            resource_policy: None,
            created_ms: 1,
            last_changed_ms: 1,
            last_accessed_ms: None,
            deleted_ms: None,
            deletion_date_ms: None,
            primary_region: None,
            metadata: "{}".to_owned(),
            revision: 0,
        },
        versions: Vec::new(),
    }
}

/// Secret revisions are a compare-and-swap across servers too: concurrent
/// creates of one name yield one winner, and concurrent updates each bump
/// the revision exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secret_revisions_are_atomic_across_servers() {
    let Some(schema) = TestSchema::create("secret_cas").await else {
        return;
    };
    let servers = [
        Arc::new(schema.store().await),
        Arc::new(schema.store().await),
    ];
    let mut creates = Vec::new();
    for store in servers.iter().cycle().take(8) {
        let store = Arc::clone(store);
        creates.push(tokio::spawn(async move {
            store
                .write_secrets(
                    vec![SecretWrite::Create {
                        state: secret("db"),
                    }],
                    vec![crate::conformance::test_change()],
                )
                .await
                .unwrap()
        }));
    }
    let mut written = 0;
    for create in creates {
        if create.await.unwrap() == WriteOutcome::Written {
            written += 1;
        }
    }
    assert_eq!(written, 1, "one create wins");

    const UPDATES: u64 = 10;
    let mut tasks = Vec::new();
    for (n, store) in servers.iter().cycle().take(6).enumerate() {
        let store = Arc::clone(store);
        tasks.push(tokio::spawn(async move {
            for i in 0..UPDATES {
                loop {
                    let state = store.get_secret("us-east-1", "db").await.unwrap().unwrap();
                    let mut record = state.record.clone();
                    record.description = Some(format!("{n}-{i}"));
                    let outcome = store
                        .write_secrets(
                            vec![SecretWrite::Update {
                                expected_revision: state.record.revision,
                                record,
                                upsert_versions: Vec::new(),
                                delete_versions: Vec::new(),
                            }],
                            vec![crate::conformance::test_change()],
                        )
                        .await
                        .unwrap();
                    if outcome == WriteOutcome::Written {
                        break;
                    }
                }
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let state = servers[1]
        .get_secret("us-east-1", "db")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(state.record.revision, 1 + 6 * UPDATES);
}

/// Nothing listens on the port: opening fails fast, as retryable.
#[tokio::test]
async fn unreachable_database_is_unavailable() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let url = format!("postgres://kinko:not-the-password@127.0.0.1:{port}/kinko");
    match PostgresStore::open(&url).await {
        Err(StoreError::Unavailable(message)) => {
            assert!(!message.contains("not-the-password"), "{message}");
        }
        other => panic!("expected Unavailable, got {other:?}"),
    }
}

#[test]
fn a_bad_url_is_refused_without_echoing_it() {
    match PostgresStore::connect("postgres://kinko:hunter2@127.0.0.1:notaport/kinko") {
        Err(StoreError::Backend(message)) => assert!(!message.contains("hunter2"), "{message}"),
        other => panic!("expected Backend, got {other:?}"),
    }
}

/// The server closes every connection of the pool (what a PostgreSQL
/// restart does): calls fail as `Unavailable` at most until the pool has
/// dropped the dead connections, then succeed again with no intervention.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recovers_when_the_server_closes_its_connections() {
    let Some(schema) = TestSchema::create("recovery").await else {
        return;
    };
    let store = schema.store().await;
    assert_eq!(store.init_meta("k", b"v").await.unwrap(), b"v");
    // Hold a few connections so there is more than one to kill.
    let (a, b, c) = tokio::join!(
        store.get_meta("k"),
        store.get_meta("k"),
        store.get_meta("k")
    );
    assert!(a.is_ok() && b.is_ok() && c.is_ok());

    let admin = PostgresStore::connect(&schema.base_url).unwrap();
    let client = admin.client().await.unwrap();
    let killed = client
        .query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
            &[&schema.name],
        )
        .await
        .unwrap();
    assert!(!killed.is_empty(), "the store's connections were found");

    let mut failures = 0;
    loop {
        match store.get_meta("k").await {
            Ok(value) => {
                assert_eq!(value, Some(b"v".to_vec()));
                break;
            }
            Err(StoreError::Unavailable(_)) if failures < 20 => failures += 1,
            Err(other) => panic!("after {failures} retries: {other:?}"),
        }
    }
    // Writes work again too.
    assert_eq!(store.init_meta("k2", b"w").await.unwrap(), b"w");
}

#[test]
fn search_path_urls() {
    assert_eq!(
        schema::url_with_search_path("postgres://u@h/db", "s1").unwrap(),
        "postgres://u@h/db?options=-csearch_path%3Ds1"
    );
    assert_eq!(
        schema::url_with_search_path("postgres://u@h/db?sslmode=disable", "s1").unwrap(),
        "postgres://u@h/db?sslmode=disable&options=-csearch_path%3Ds1"
    );
    assert_eq!(
        schema::url_with_search_path("host=h dbname=db", "s1").unwrap(),
        "host=h dbname=db options='-csearch_path=s1'"
    );
    assert!(schema::url_with_search_path("postgres://u@h/db", "x; DROP").is_err());
    assert!(!schema::is_plain_identifier("1abc"));
    assert!(!schema::is_plain_identifier("Abc"));
    assert!(schema::is_plain_identifier("kinko_test_0f"));
}

/// Not a pass/fail test: prints single-caller write and read rates
/// (`cargo test -p kinko-store postgres::tests::rates -- --ignored --nocapture`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement, run by hand"]
async fn rates() {
    const COUNT: u32 = 1000;
    let Some(schema) = TestSchema::create("rates").await else {
        return;
    };
    let store = schema.store().await;
    let started = std::time::Instant::now();
    for i in 0..COUNT {
        let name = format!("/bench/{i}");
        let write = ParameterWrite {
            name: name.clone(),
            display_name: name,
            expected_latest: None,
            version: conformance::plain_version(1, b"0123456789abcdef"),
            tags: Vec::new(),
            max_versions: 100,
        };
        assert_eq!(
            store
                .put_parameter_version("r", write, crate::conformance::test_change())
                .await
                .unwrap(),
            PutOutcome::Written
        );
    }
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "put_parameter_version: {:.0} writes/s",
        f64::from(COUNT) / elapsed
    );
    let started = std::time::Instant::now();
    for i in 0..COUNT {
        let lookup = store
            .get_parameter("r", &format!("/bench/{i}"), &VersionSelector::Latest)
            .await
            .unwrap();
        assert!(matches!(lookup, ParameterLookup::Found(_)));
    }
    let elapsed = started.elapsed().as_secs_f64();
    println!("get_parameter: {:.0} reads/s", f64::from(COUNT) / elapsed);
}

/// SQLite → PostgreSQL → SQLite: the path from the embedded store to a
/// shared one and back keeps everything.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_round_trip_sqlite_postgres_sqlite() {
    let Some(schema) = TestSchema::create("backup_round_trip").await else {
        return;
    };
    let sqlite = crate::SqliteStore::open_in_memory().unwrap();
    conformance::fill_for_backup(&sqlite).await;
    let postgres = schema.store().await;
    conformance::backup_round_trip(&sqlite, &postgres).await;
    // `backup_round_trip` wrote version 5 into the PostgreSQL store: the
    // way back carries it too.
    let back = crate::SqliteStore::open_in_memory().unwrap();
    let snapshot = postgres.export_snapshot().await.unwrap();
    back.import_snapshot(&snapshot).await.unwrap();
    assert_eq!(back.export_snapshot().await.unwrap(), snapshot);
    assert_eq!(snapshot.parameters[1].latest_version, 5);

    let Some(other) = TestSchema::create("backup_refusal").await else {
        return;
    };
    conformance::restore_refuses_non_empty(&postgres, &other.store().await).await;
}

/// One session holds a job's lock; a second is refused until the holder's
/// session ends (here: the guard dropped), then gets it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn singleton_lock_moves_when_the_holder_goes() {
    let Some(schema) = TestSchema::create("singleton_lock").await else {
        return;
    };
    let a = schema.store().await;
    let b = schema.store().await;
    let held = a.try_singleton_lock("purge").await.unwrap().unwrap();
    assert!(held.is_held());
    assert!(b.try_singleton_lock("purge").await.unwrap().is_none());
    assert!(
        b.try_singleton_lock("other-job").await.unwrap().is_some(),
        "locks are per job"
    );
    drop(held);
    let mut taken = None;
    for _ in 0..50 {
        taken = b.try_singleton_lock("purge").await.unwrap();
        if taken.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(taken.is_some_and(|guard| guard.is_held()));
}

/// The holder's connection killed by the server (what a crashed node
/// looks like to PostgreSQL): the guard says it is lost, and another
/// session takes the lock.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_lock_session_loses_the_lock() {
    let Some(schema) = TestSchema::create("singleton_killed").await else {
        return;
    };
    let store = schema.store().await;
    let held = store.try_singleton_lock("purge").await.unwrap().unwrap();
    let (admin, connection) = tokio_postgres::connect(&schema.url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    admin
        .execute(
            "SELECT pg_terminate_backend(pid) FROM pg_locks \
             WHERE locktype = 'advisory' AND pid <> pg_backend_pid() AND granted \
             AND pid IN (SELECT pid FROM pg_stat_activity WHERE application_name = $1)",
            &[&schema.name],
        )
        .await
        .unwrap();
    for _ in 0..100 {
        if !held.is_held() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(!held.is_held(), "the guard notices its session died");
    assert!(store.try_singleton_lock("purge").await.unwrap().is_some());
}

/// An invalidation published through one store reaches a listener on
/// another store of the same schema, and not one on another schema.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalidations_reach_every_node_of_the_schema() {
    let Some(schema) = TestSchema::create("invalidations").await else {
        return;
    };
    let Some(elsewhere) = TestSchema::create("invalidations_elsewhere").await else {
        return;
    };
    let a = schema.store().await;
    let b = schema.store().await;
    let stranger = elsewhere.store().await;
    let mut heard = b.invalidations().unwrap();
    let mut stranger_heard = stranger.invalidations().unwrap();
    let first = tokio::time::timeout(std::time::Duration::from_secs(10), heard.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        first,
        crate::Invalidation::All,
        "a new LISTEN session flushes"
    );
    assert_eq!(
        tokio::time::timeout(std::time::Duration::from_secs(10), stranger_heard.recv())
            .await
            .unwrap()
            .unwrap(),
        crate::Invalidation::All
    );

    let event = crate::Invalidation::KmsKey {
        region: "us-east-1".to_owned(),
        key_id: "1234".to_owned(),
    };
    a.publish_invalidation(&event).await.unwrap();
    let got = tokio::time::timeout(std::time::Duration::from_secs(10), heard.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got, event);
    let event = crate::Invalidation::Principal {
        arn: "arn:aws:iam::000000000000:role/deploy".to_owned(),
    };
    a.publish_invalidation(&event).await.unwrap();
    let got = tokio::time::timeout(std::time::Duration::from_secs(10), heard.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got, event);
    // The other schema heard nothing (give a stray NOTIFY time to arrive).
    a.publish_invalidation(&crate::Invalidation::All)
        .await
        .unwrap();
    tokio::time::timeout(std::time::Duration::from_secs(10), heard.recv())
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(
        stranger_heard.try_recv(),
        Err(tokio::sync::broadcast::error::TryRecvError::Empty)
    ));
}

/// Appenders spread over two servers extend one gap-free chain: the head
/// row lock serialises them across connections and pools.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn appenders_on_two_servers_extend_one_audit_chain() {
    let Some(schema) = TestSchema::create("audit_two_servers").await else {
        return;
    };
    let a: Arc<dyn AuditRows> = Arc::new(schema.store().await);
    let b: Arc<dyn AuditRows> = Arc::new(schema.store().await);
    conformance::audit_chain(&*a).await;
    conformance::concurrent_audit_appenders(vec![a, b]).await;
}

/// Creates racing on two servers for one principal never pass the limit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_usable_key_limit_holds_across_servers() {
    let Some(schema) = TestSchema::create("key_limit").await else {
        return;
    };
    let servers = [
        Arc::new(schema.store().await),
        Arc::new(schema.store().await),
    ];
    let arn = "arn:aws:iam::000000000000:user/racer";
    let mut tasks = Vec::new();
    for attempt in 0..8 {
        let store = Arc::clone(&servers[attempt % 2]);
        tasks.push(tokio::spawn(async move {
            let key = crate::AccessKeyRecord {
                access_key_id: format!("AKIARACE{attempt}"),
                principal_arn: arn.to_owned(),
                sealed_secret: vec![1],
                active: true,
                created_ms: 1,
                retire_ms: None,
                last_used_ms: None,
                last_used_operation: None,
            };
            store
                .create_access_key_limited(key, 2, 10, crate::conformance::test_change())
                .await
        }));
    }
    let mut created = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(()) => created += 1,
            Err(StoreError::LimitExceeded { max: 2 }) => {}
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(created, 2);
    assert_eq!(
        servers[0].list_access_keys(Some(arn)).await.unwrap().len(),
        2
    );
}

/// The tampering `kinko audit verify` must catch can be done in SQL: the
/// schema stops none of it (a seq swap goes through a temporary value, as
/// the primary key is checked row by row).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_rows_can_be_tampered_with_in_sql() {
    let Some(schema) = TestSchema::create("audit_tamper").await else {
        return;
    };
    let store = schema.store().await;
    let records: Vec<(i64, String)> = (1..=6).map(|i| (i, format!("r{i}"))).collect();
    store
        .append_audit(&records, conformance::test_link)
        .await
        .unwrap();
    let client = store.client().await.unwrap();
    client
        .batch_execute(
            "UPDATE audit_log SET record = 'forged' WHERE seq = 2; \
             DELETE FROM audit_log WHERE seq = 5; \
             UPDATE audit_log SET seq = -1 WHERE seq = 3; \
             UPDATE audit_log SET seq = 3 WHERE seq = 4; \
             UPDATE audit_log SET seq = 4 WHERE seq = -1;",
        )
        .await
        .unwrap();
    drop(client);
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
    let Some(schema) = TestSchema::create("unknown_parameter_type").await else {
        return;
    };
    let store = schema.store().await;
    let outcome = store
        .put_parameter_version(
            "corrupt",
            create("/app/odd"),
            crate::conformance::test_change(),
        )
        .await
        .unwrap();
    assert_eq!(outcome, PutOutcome::Written);
    let client = store.client().await.unwrap();
    client
        .batch_execute("UPDATE parameter_versions SET parameter_type = 'Strung'")
        .await
        .unwrap();
    drop(client);
    conformance::unknown_parameter_type_is_a_corrupt_row(&store, "corrupt", "/app/odd").await;
}

/// Every pooled session carries the store's timeout as PostgreSQL's own
/// `statement_timeout` and `idle_in_transaction_session_timeout`, beside
/// the URL's other options (the schema); a timeout set in the URL wins.
#[tokio::test]
async fn sessions_carry_the_store_timeout_and_the_url_options() {
    let Some(schema) = TestSchema::create("session_timeouts").await else {
        return;
    };
    let show = |store: PostgresStore| async move {
        let client = store.client().await.unwrap();
        let mut seen = Vec::new();
        for setting in [
            "statement_timeout",
            "idle_in_transaction_session_timeout",
            "search_path",
        ] {
            let row = client
                .query_one(&format!("SHOW {setting}"), &[])
                .await
                .unwrap();
            seen.push(row.get::<_, String>(0));
        }
        seen
    };
    let store = PostgresStore::open_with_timeout(&schema.url, Duration::from_millis(1500))
        .await
        .unwrap();
    assert_eq!(
        show(store).await,
        ["1500ms", "1500ms", schema.name.as_str()]
    );

    let url = format!(
        "{}%20-cstatement_timeout%3D7s",
        schema::url_with_search_path(&schema.base_url, &schema.name).unwrap()
    );
    let store = PostgresStore::open_with_timeout(&url, Duration::from_millis(1500))
        .await
        .unwrap();
    assert_eq!(show(store).await, ["7s", "1500ms", schema.name.as_str()]);

    assert!(matches!(
        PostgresStore::connect_with_timeout(&schema.url, Duration::ZERO),
        Err(StoreError::Backend(_))
    ));
}

/// How long the tests below wait for a call that should time out by
/// itself: a bound on waiting, not a performance assertion.
const HANG: Duration = Duration::from_secs(60);

/// Another session holds `parameters` in ACCESS EXCLUSIVE mode: calls that
/// need the table fail as `Unavailable` once the store's timeout passes
/// (instead of waiting for the lock forever), a write among them is rolled
/// back, calls on other tables go on, and all is well once the lock goes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_table_times_out_and_the_store_recovers() {
    let Some(schema) = TestSchema::create("locked_table").await else {
        return;
    };
    let store = PostgresStore::open_with_timeout(&schema.url, Duration::from_millis(300))
        .await
        .unwrap();
    store.init_meta("k", b"v").await.unwrap();

    let (mut locker, connection) = tokio_postgres::connect(&schema.url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    let lock = locker.transaction().await.unwrap();
    lock.batch_execute("LOCK TABLE parameters IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();

    let read = tokio::time::timeout(
        HANG,
        store.get_parameter("r", "/locked", &VersionSelector::Latest),
    )
    .await
    .expect("the read waited for the lock past the store's timeout");
    assert!(matches!(read, Err(StoreError::Unavailable(_))), "{read:?}");
    let write = tokio::time::timeout(
        HANG,
        store.put_parameter_version("r", create("/locked"), crate::conformance::test_change()),
    )
    .await
    .expect("the write waited for the lock past the store's timeout");
    assert!(
        matches!(write, Err(StoreError::Unavailable(_))),
        "{write:?}"
    );
    // Another table is not blocked.
    assert_eq!(store.get_meta("k").await.unwrap(), Some(b"v".to_vec()));

    lock.rollback().await.unwrap();
    assert_eq!(
        store
            .get_parameter("r", "/locked", &VersionSelector::Latest)
            .await
            .unwrap(),
        ParameterLookup::NotFound,
        "the timed-out write was rolled back"
    );
    for _ in 0..20 {
        // More calls than the pool has connections: none is left broken.
        store.get_meta("k").await.unwrap();
    }
    assert_eq!(
        store
            .put_parameter_version("r", create("/locked"), crate::conformance::test_change())
            .await
            .unwrap(),
        PutOutcome::Written
    );
}

fn create(name: &str) -> ParameterWrite {
    ParameterWrite {
        name: name.to_owned(),
        display_name: name.to_owned(),
        expected_latest: None,
        version: conformance::plain_version(1, b"sealed"),
        tags: Vec::new(),
        max_versions: 100,
    }
}

#[test]
fn session_settings_leave_what_the_url_sets() {
    assert_eq!(
        super::session_settings(None, 5000),
        "SET statement_timeout = 5000; SET idle_in_transaction_session_timeout = 5000"
    );
    assert_eq!(
        super::session_settings(Some("-csearch_path=k -cstatement_timeout=7s"), 5000),
        "SET idle_in_transaction_session_timeout = 5000"
    );
    assert_eq!(
        super::session_settings(
            Some("-c statement-timeout=7s --idle_in_transaction_session_timeout=0"),
            1
        ),
        ""
    );
    assert_eq!(
        super::session_settings(Some("-csearch_path=statement_timeout"), 2),
        "SET statement_timeout = 2; SET idle_in_transaction_session_timeout = 2"
    );
}
