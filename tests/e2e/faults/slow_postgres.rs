//! kinko against a PostgreSQL that answers slowly, stalls, or waits on a
//! lock another session holds: requests fail within the store timeout with
//! a 503 `ServiceUnavailable` (which the SDKs retry) instead of hanging,
//! `/health` and requests that need nothing blocked keep working, a write
//! that timed out either committed or did not (never acknowledged and
//! lost), and everything recovers by itself when PostgreSQL is well again.
//!
//! Needs `KINKO_TEST_DATABASE_URL`; without it the tests print a note and
//! pass.

use std::net::{SocketAddr, ToSocketAddrs};
use std::path::Path;
use std::time::{Duration, Instant};

use aws_sdk_ssm::config::http::HttpResponse;
use aws_sdk_ssm::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_ssm::types::ParameterType;
use kinko_testkit::{KinkoServer, REGION, http_get};

use super::stall_proxy::{Flow, StallProxy};
use crate::cluster::TestSchema;

const KINKO: &str = env!("CARGO_BIN_EXE_kinko");

/// The servers' `--store-timeout`.
const STORE_TIMEOUT: &str = "1s";

/// How long a test waits for a request that should fail by itself after
/// the store timeout: a bound on waiting (a hung request fails the test
/// instead of hanging it), not a performance assertion.
const HANG: Duration = Duration::from_secs(30);

/// A server on `url` with a shared root key and the short store timeout.
async fn node(url: String, root_key: &Path) -> KinkoServer {
    let root_key = root_key.to_str().unwrap().to_owned();
    tokio::task::spawn_blocking(move || {
        KinkoServer::builder(KINKO)
            .arg("--store")
            .arg(url)
            .arg("--root-key-file")
            .arg(root_key)
            .arg("--store-timeout")
            .arg(STORE_TIMEOUT)
            .start()
    })
    .await
    .unwrap()
}

/// Where the test database listens.
fn database_addr(base_url: &str) -> SocketAddr {
    let config: tokio_postgres::Config = base_url.parse().unwrap();
    let host = match &config.get_hosts()[0] {
        tokio_postgres::config::Host::Tcp(host) => host.clone(),
        other => panic!("the fault tests need PostgreSQL over TCP, not {other:?}"),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    (host.as_str(), port)
        .to_socket_addrs()
        .unwrap()
        .next()
        .unwrap()
}

/// The test database's URL with `proxy` in place of its address.
fn url_through(proxy: SocketAddr, base_url: &str, schema: &str) -> String {
    let config: tokio_postgres::Config = base_url.parse().unwrap();
    let user = config.get_user().unwrap_or("postgres");
    let password = config
        .get_password()
        .map(|p| format!(":{}", String::from_utf8_lossy(p)))
        .unwrap_or_default();
    let db = config.get_dbname().unwrap_or(user);
    format!("postgres://{user}{password}@{proxy}/{db}?options=-csearch_path%3D{schema}")
}

/// A request's answer, waited for at most [`HANG`].
async fn within<T>(request: impl std::future::Future<Output = T>) -> (T, Duration) {
    let started = Instant::now();
    let answer = tokio::time::timeout(HANG, request)
        .await
        .expect("the request hung instead of failing after the store timeout");
    (answer, started.elapsed())
}

/// The request failed as a retryable 503 `ServiceUnavailable`.
fn assert_unavailable<T: std::fmt::Debug, E: ProvideErrorMetadata + std::fmt::Debug>(
    answer: Result<T, SdkError<E, HttpResponse>>,
    what: &str,
) {
    let err = answer.expect_err(what);
    let status = err.raw_response().map(|r| r.status().as_u16());
    assert_eq!(status, Some(503), "{what}: {err:?}");
    assert_eq!(err.code(), Some("ServiceUnavailable"), "{what}: {err:?}");
}

async fn put(server: &KinkoServer, name: &str, value: &str, overwrite: bool) -> i64 {
    server
        .ssm()
        .put_parameter()
        .name(name)
        .value(value)
        .r#type(ParameterType::String)
        .overwrite(overwrite)
        .send()
        .await
        .unwrap_or_else(|e| panic!("put {name}: {e:?}"))
        .version()
}

/// (version, value) of the latest version.
async fn latest(server: &KinkoServer, name: &str) -> (i64, String) {
    let out = server
        .ssm()
        .get_parameter()
        .name(name)
        .send()
        .await
        .unwrap_or_else(|e| panic!("get {name}: {e:?}"));
    let parameter = out.parameter().unwrap();
    (parameter.version(), parameter.value().unwrap().to_owned())
}

async fn history_versions(server: &KinkoServer, name: &str) -> Vec<(i64, String)> {
    let out = server
        .ssm()
        .get_parameter_history()
        .name(name)
        .send()
        .await
        .unwrap();
    out.parameters()
        .iter()
        .map(|p| (p.version(), p.value().unwrap_or_default().to_owned()))
        .collect()
}

fn health(server: &KinkoServer) -> Option<u16> {
    http_get(&server.endpoint, "/health").map(|(status, _)| status)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_then_stalled_postgres_answers_503_in_bounded_time_and_recovers() {
    let Some(schema) = TestSchema::create("faults_stalled_postgres").await else {
        return;
    };
    let proxy = StallProxy::start(database_addr(schema.base_url())).await;
    let url = url_through(proxy.addr, schema.base_url(), schema.name());
    let dir = tempfile::tempdir().unwrap();
    let root_key = dir.path().join("root.key");
    kinko_crypto::RootKey::load_or_create_file(&root_key).unwrap();
    let server = node(url, &root_key).await;

    assert_eq!(put(&server, "/slow/p", "v1", false).await, 1);
    server
        .secrets()
        .create_secret()
        .name("slow/s")
        .secret_string("s1")
        .send()
        .await
        .unwrap();

    // Slow but within the timeout: every byte 10 ms late each way, and
    // requests still succeed, only later.
    proxy.set(Flow::Delay(Duration::from_millis(10)));
    let (answer, took) = within(latest(&server, "/slow/p")).await;
    assert_eq!(answer, (1, "v1".to_owned()));
    eprintln!("GetParameter over a slow link: {took:?}");
    assert_eq!(put(&server, "/slow/q", "q1", false).await, 1);

    // Stalled: nothing comes back. Each request fails after the store
    // timeout with a 503, a burst bigger than the connection pool too.
    proxy.set(Flow::Stall);
    let ssm = server.ssm();
    let (answer, took) = within(ssm.get_parameter().name("/slow/p").send()).await;
    eprintln!("GetParameter on a stalled database failed after {took:?}");
    assert_unavailable(answer, "GetParameter on a stalled database");
    let (answer, _) = within(
        ssm.put_parameter()
            .name("/slow/p")
            .value("v2-unacknowledged")
            .r#type(ParameterType::String)
            .overwrite(true)
            .send(),
    )
    .await;
    assert_unavailable(answer, "PutParameter on a stalled database");
    let burst: Vec<_> = (0..24)
        .map(|_| {
            let ssm = ssm.clone();
            tokio::spawn(async move { ssm.get_parameter().name("/slow/q").send().await })
        })
        .collect();
    let (answers, took) = within(futures::future::join_all(burst)).await;
    eprintln!("24 concurrent GetParameter on a stalled database all failed after {took:?}");
    for answer in answers {
        assert_unavailable(answer.unwrap(), "GetParameter in a burst");
    }
    // A key the server has not cached must be read from the store: 503
    // too, not a 500.
    let stranger = server.ssm_with(REGION, "AKIAFAULTSTRANGER000", &"x".repeat(40));
    let (answer, _) = within(stranger.get_parameter().name("/slow/p").send()).await;
    assert_unavailable(answer, "an unknown access key on a stalled database");
    // /health needs no database: it answers at once, ok or (the audit log
    // cannot be written either) 503 saying so.
    match http_get(&server.endpoint, "/health") {
        Some((200, _)) => {}
        Some((503, body)) => assert!(body.contains("audit log"), "{body}"),
        other => panic!("/health on a stalled database: {other:?}"),
    }

    // PostgreSQL answers again: so does kinko, by itself.
    proxy.set(Flow::Pass);
    let recovered = Instant::now();
    let (version, value) = loop {
        match server.ssm().get_parameter().name("/slow/p").send().await {
            Ok(out) => {
                let p = out.parameter().unwrap();
                break (p.version(), p.value().unwrap().to_owned());
            }
            Err(err) => {
                assert_eq!(err.code(), Some("ServiceUnavailable"), "{err:?}");
                assert!(recovered.elapsed() < HANG, "no recovery: {err:?}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    };
    // The timed-out write was not acknowledged: it committed or it did
    // not, and the history says which, consistently.
    match (version, value.as_str()) {
        (1, "v1") | (2, "v2-unacknowledged") => {}
        other => panic!("inconsistent after the stall: {other:?}"),
    }
    let history = history_versions(&server, "/slow/p").await;
    assert_eq!(history.len() as i64, version, "{history:?}");
    // Writes are acknowledged again, and read back.
    let next = put(&server, "/slow/p", "v-after", true).await;
    assert_eq!(next, version + 1);
    assert_eq!(
        latest(&server, "/slow/p").await,
        (next, "v-after".to_owned())
    );
    assert_eq!(latest(&server, "/slow/q").await, (1, "q1".to_owned()));
    let secret = server
        .secrets()
        .get_secret_value()
        .secret_id("slow/s")
        .send()
        .await
        .unwrap();
    assert_eq!(secret.secret_string(), Some("s1"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn locks_held_by_another_session_time_out_only_what_needs_them() {
    let Some(schema) = TestSchema::create("faults_locked_postgres").await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let root_key = dir.path().join("root.key");
    kinko_crypto::RootKey::load_or_create_file(&root_key).unwrap();
    let server = node(schema.url(), &root_key).await;
    put(&server, "/locked/p", "v1", false).await;
    put(&server, "/free/p", "v1", false).await;
    server
        .secrets()
        .create_secret()
        .name("locked/s")
        .secret_string("s1")
        .send()
        .await
        .unwrap();

    // An operator's session (a migration, a long report) holds locks.
    let (mut admin, connection) = tokio_postgres::connect(&schema.url(), tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);

    // One parameter's row, locked for update: writes to it wait and time
    // out; reading it, and writing others, go on.
    let row_lock = admin.transaction().await.unwrap();
    let locked = row_lock
        .query(
            "SELECT 1 FROM parameters WHERE display_name = '/locked/p' FOR UPDATE",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(locked.len(), 1);
    let ssm = server.ssm();
    let (answer, took) = within(
        ssm.put_parameter()
            .name("/locked/p")
            .value("v2-timed-out")
            .r#type(ParameterType::String)
            .overwrite(true)
            .send(),
    )
    .await;
    eprintln!("PutParameter on a locked row failed after {took:?}");
    assert_unavailable(answer, "PutParameter on a locked row");
    assert_eq!(latest(&server, "/locked/p").await, (1, "v1".to_owned()));
    assert_eq!(put(&server, "/free/p", "v2", true).await, 2);
    row_lock.rollback().await.unwrap();

    // The whole table, locked: every parameter request times out; secrets
    // and /health do not need it.
    let table_lock = admin.transaction().await.unwrap();
    table_lock
        .batch_execute("LOCK TABLE parameters IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    let (answer, took) = within(ssm.get_parameter().name("/free/p").send()).await;
    eprintln!("GetParameter on a locked table failed after {took:?}");
    assert_unavailable(answer, "GetParameter on a locked table");
    let (answer, _) = within(
        server
            .secrets()
            .get_secret_value()
            .secret_id("locked/s")
            .send(),
    )
    .await;
    assert_eq!(answer.unwrap().secret_string(), Some("s1"));
    assert_eq!(health(&server), Some(200));
    table_lock.rollback().await.unwrap();

    // Locks gone: the write that timed out never happened, and writing works.
    assert_eq!(
        history_versions(&server, "/locked/p").await,
        [(1, "v1".to_owned())]
    );
    assert_eq!(put(&server, "/locked/p", "v2", true).await, 2);
    assert_eq!(latest(&server, "/free/p").await, (2, "v2".to_owned()));
}
