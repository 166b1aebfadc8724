//! Webhooks as a team wires them: `kinko webhook create` pointing at a
//! receiver (a tiny HTTP server here, on loopback, that records what it
//! gets and answers what the test scripts), the EventBridge-shaped events
//! it receives for Parameter Store and Secrets Manager changes, each
//! verified as a Standard Webhooks receiver verifies it; retries with
//! backoff (the server's clock moved by `--test-clock-file`), a receiver
//! down for a day marked failed, 410 Gone, a rotated secret signing twice,
//! a URL kept in a SecureString, the refusals, and parameter policies
//! (notifications and expiration) as the receiver sees them. `durability`:
//! no event lost to a `kill -9` mid-storm, and exactly once from two
//! servers on one PostgreSQL store.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_lc_rs::hmac;
use aws_sdk_ssm::types::ParameterType;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Request, Response, body::Incoming};
use hyper_util::rt::TokioIo;
use kinko_testkit::{KinkoServer, REGION, TestCredentials};
use serde_json::{Value, json};

use crate::support::{kinko, kinko_ok};

mod durability;

const KINKO: &str = env!("CARGO_BIN_EXE_kinko");

/// Values that must never reach a receiver, a listing or a log.
const DB_PASSWORD: &str = "db-password-canary-5521";
const SECRET_VALUE: &str = "api-token-canary-8830";
/// The part of a Slack-like URL that is itself the secret.
const HOOK_TOKEN: &str = "B000TOKENCANARY4417";

/// One request as the receiver got it.
#[derive(Debug, Clone)]
struct Received {
    path: String,
    headers: Vec<(String, String)>,
    body: String,
}

impl Received {
    fn header(&self, name: &str) -> &str {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("no {name} header in {:?}", self.headers))
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap()
    }
}

/// A webhook receiver on its own thread and runtime (so it answers while
/// a test blocks on a `kinko` child process): it records every request
/// and answers the next scripted status, or 200 when the script is empty.
struct Receiver {
    port: u16,
    received: Arc<Mutex<Vec<Received>>>,
    script: Arc<Mutex<VecDeque<u16>>>,
}

impl Receiver {
    fn start(script: &[u16]) -> Receiver {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let script = Arc::new(Mutex::new(script.iter().copied().collect::<VecDeque<_>>()));
        let (log, answers) = (received.clone(), script.clone());
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                loop {
                    let Ok((stream, _)) = listener.accept().await else {
                        return;
                    };
                    let (log, answers) = (log.clone(), answers.clone());
                    tokio::spawn(async move {
                        let service = hyper::service::service_fn(move |request| {
                            record(log.clone(), answers.clone(), request)
                        });
                        let _ = hyper::server::conn::http1::Builder::new()
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    });
                }
            });
        });
        Receiver {
            port,
            received,
            script,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// From now on the receiver answers `status` to everything.
    fn answer_always(&self, status: u16) {
        let mut script = self.script.lock().unwrap();
        script.clear();
        script.extend(std::iter::repeat_n(status, 10_000));
    }

    /// Waits (up to a minute) until `count` requests have arrived.
    fn wait_for(&self, count: usize) -> Vec<Received> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let got = self.received();
            if got.len() >= count {
                return got;
            }
            assert!(
                Instant::now() < deadline,
                "the receiver got {} of {count} requests: {got:#?}",
                got.len()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

async fn record(
    log: Arc<Mutex<Vec<Received>>>,
    script: Arc<Mutex<VecDeque<u16>>>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = request.uri().path().to_owned();
    let headers = request
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
        .collect();
    let body = request.into_body().collect().await.unwrap().to_bytes();
    log.lock().unwrap().push(Received {
        path,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    });
    let status = script.lock().unwrap().pop_front().unwrap_or(200);
    Ok(Response::builder()
        .status(status)
        .body(Full::default())
        .unwrap())
}

/// What a Standard Webhooks receiver does: the `v1,` signatures in the
/// header that `secret` produced over `id.timestamp.body`.
fn signed_by(received: &Received, secret: &str) -> bool {
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").expect("a whsec_ secret"))
        .unwrap();
    let key = hmac::Key::new(hmac::HMAC_SHA256, &key);
    let content = format!(
        "{}.{}.{}",
        received.header("webhook-id"),
        received.header("webhook-timestamp"),
        received.body
    );
    let expected = STANDARD.encode(hmac::sign(&key, content.as_bytes()).as_ref());
    received
        .header("webhook-signature")
        .split(' ')
        .any(|entry| entry == format!("v1,{expected}"))
}

/// A server whose clock a test moves through a file.
struct Clocked {
    server: KinkoServer,
    clock: PathBuf,
    _dir: tempfile::TempDir,
}

impl Clocked {
    fn start() -> Clocked {
        let dir = tempfile::tempdir().unwrap();
        let clock = dir.path().join("clock");
        std::fs::write(&clock, "0").unwrap();
        let server = KinkoServer::builder(KINKO)
            .arg("--test-clock-file")
            .arg(clock.display().to_string())
            .start();
        Clocked {
            server,
            clock,
            _dir: dir,
        }
    }

    /// Moves the server's clock to `ms` after the wall clock.
    fn set_offset(&self, ms: i64) {
        std::fs::write(&self.clock, ms.to_string()).unwrap();
    }
}

/// `kinko webhook create … --output json`: the id and the signing secret.
fn create(server: &KinkoServer, url: &str, filters: &[&str]) -> (String, String) {
    let mut args = vec!["webhook", "create", "--url", url, "--output", "json"];
    for filter in filters {
        args.extend(["--filter", filter]);
    }
    let answer: Value = serde_json::from_str(&kinko_ok(server, &args)).unwrap();
    let secret = answer["SigningSecret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"), "{answer}");
    (
        answer["Webhook"]["WebhookId"].as_str().unwrap().to_owned(),
        secret,
    )
}

/// `kinko webhook get ID --output json`'s Webhook.
fn get(server: &KinkoServer, id: &str) -> Value {
    let answer: Value = serde_json::from_str(&kinko_ok(
        server,
        &["webhook", "get", id, "--output", "json"],
    ))
    .unwrap();
    answer["Webhook"].clone()
}

/// Waits (up to a minute) until `check` holds for the hook's state.
fn wait_until(server: &KinkoServer, id: &str, what: &str, check: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let hook = get(server, id);
        if check(&hook) {
            return hook;
        }
        assert!(Instant::now() < deadline, "never {what}: {hook}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

async fn put(server: &KinkoServer, name: &str, value: &str, kind: ParameterType) {
    server
        .ssm()
        .put_parameter()
        .name(name)
        .value(value)
        .r#type(kind)
        .overwrite(true)
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn parameter_changes_arrive_as_eventbridge_events_signed_as_standard_webhooks() {
    let server = KinkoServer::builder(KINKO).start();
    let receiver = Receiver::start(&[]);
    let (id, secret) = create(
        &server,
        &receiver.url("/hook"),
        &["source=aws.ssm", "name-prefix=/prod/"],
    );

    let ssm = server.ssm();
    ssm.put_parameter()
        .name("/prod/db/password")
        .value(DB_PASSWORD)
        .r#type(ParameterType::SecureString)
        .description("production database")
        .send()
        .await
        .unwrap();
    // Outside the filter: another prefix, another service.
    put(
        &server,
        "/dev/db/password",
        DB_PASSWORD,
        ParameterType::String,
    )
    .await;
    server
        .secrets()
        .create_secret()
        .name("prod/api-token")
        .secret_string(SECRET_VALUE)
        .send()
        .await
        .unwrap();
    put(
        &server,
        "/prod/db/password",
        &format!("{DB_PASSWORD}-2"),
        ParameterType::SecureString,
    )
    .await;
    ssm.label_parameter_version()
        .name("/prod/db/password")
        .parameter_version(2)
        .labels("live")
        .send()
        .await
        .unwrap();
    ssm.delete_parameter()
        .name("/prod/db/password")
        .send()
        .await
        .unwrap();
    let arn = format!(
        "arn:aws:ssm:{REGION}:{}:parameter/prod/db/password",
        server_account(&server).await
    );

    let got = receiver.wait_for(4);
    // Nothing else comes: the filtered-out changes were skipped, not queued.
    std::thread::sleep(Duration::from_secs(1));
    let got_later = receiver.received();
    assert_eq!(got_later.len(), 4, "{got_later:#?}");

    let mut operations = Vec::new();
    let mut ids = Vec::new();
    for received in &got {
        assert_eq!(received.path, "/hook");
        assert_eq!(received.header("content-type"), "application/json");
        assert!(signed_by(received, &secret), "{received:?}");
        assert!(!signed_by(
            received,
            "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
        ));
        assert!(!received.body.contains(DB_PASSWORD), "{}", received.body);
        let event = received.json();
        assert_eq!(received.header("webhook-id"), event["id"], "{event}");
        let sent = received.header("webhook-timestamp").parse::<i64>().unwrap();
        let now = jiff::Timestamp::now().as_second();
        assert!((now - 120..=now + 5).contains(&sent), "{sent} vs {now}");
        assert_eq!(event["version"], "0");
        assert_eq!(event["detail-type"], "Parameter Store Change", "{event}");
        assert_eq!(event["source"], "aws.ssm");
        assert_eq!(event["region"], REGION);
        assert_eq!(event["resources"], json!([arn]), "{event}");
        assert_eq!(event["detail"]["name"], "/prod/db/password");
        assert!(event["time"].as_str().unwrap().ends_with('Z'), "{event}");
        operations.push(event["detail"]["operation"].as_str().unwrap().to_owned());
        ids.push(event["id"].as_str().unwrap().to_owned());
    }
    // In feed order, each event its own id.
    assert_eq!(
        operations,
        ["Create", "Update", "LabelParameterVersion", "Delete"]
    );
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 4, "{ids:?}");
    // AWS's example: the detail's keys in its order, type and description
    // on a create.
    let first = &got[0].body;
    assert!(
        first.starts_with(r#"{"version":"0","id":"#),
        "the envelope in AWS's key order: {first}"
    );
    let create_event = got[0].json();
    assert_eq!(create_event["detail"]["type"], "SecureString");
    assert_eq!(create_event["detail"]["description"], "production database");
    assert_eq!(create_event["account"], server_account(&server).await);

    // The subscription as people and programs see it: active, caught up.
    let listed = kinko_ok(&server, &["webhook", "list"]);
    assert!(listed.contains(&id), "{listed}");
    assert!(listed.contains("active"), "{listed}");
    assert!(
        listed.contains("source=aws.ssm name-prefix=/prod/"),
        "{listed}"
    );
    assert!(!listed.contains(&secret), "{listed}");
    let hook = get(&server, &id);
    assert_eq!(hook["Status"], "active", "{hook}");
    assert_eq!(hook["Attempts"], 0, "{hook}");
    assert!(hook.get("SigningSecret").is_none(), "{hook}");
    assert!(!hook.to_string().contains("whsec_"), "{hook}");

    // The test event: sent now, answered, shown.
    let tested = kinko_ok(&server, &["webhook", "test", &id]);
    assert!(tested.contains("HTTP 200"), "{tested}");
    let test = &receiver.wait_for(5)[4];
    assert!(signed_by(test, &secret));
    assert_eq!(test.json()["detail-type"], "Kinko Webhook Test");

    // Deleted: nothing more is sent.
    kinko_ok(&server, &["webhook", "delete", &id]);
    put(&server, "/prod/after", "x", ParameterType::String).await;
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(receiver.received().len(), 5);
    let gone = kinko(&server, &["webhook", "get", &id]);
    assert_eq!(gone.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&gone.stderr).contains("NoSuchEntity"),
        "{}",
        String::from_utf8_lossy(&gone.stderr)
    );
    assert!(!server.logs().contains(DB_PASSWORD));
}

/// The account id, from the ARN STS's GetCallerIdentity gives the admin.
async fn server_account(server: &KinkoServer) -> String {
    server
        .sts()
        .get_caller_identity()
        .send()
        .await
        .unwrap()
        .account()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn secrets_manager_changes_arrive_in_the_cloudtrail_and_label_shapes() {
    let server = KinkoServer::builder(KINKO).start();
    let receiver = Receiver::start(&[]);
    let (_, secret) = create(
        &server,
        &receiver.url("/sm"),
        &["source=aws.secretsmanager"],
    );
    let sm = server.secrets();
    let created = sm
        .create_secret()
        .name("prod/api-token")
        .secret_string(SECRET_VALUE)
        .send()
        .await
        .unwrap();
    let second = sm
        .put_secret_value()
        .secret_id("prod/api-token")
        .secret_string(format!("{SECRET_VALUE}-2"))
        .send()
        .await
        .unwrap();

    // CreateSecret: one CloudTrail event and AWSCURRENT's label event;
    // PutSecretValue the same (AWSPREVIOUS is never announced, as AWS).
    let got = receiver.wait_for(4);
    std::thread::sleep(Duration::from_millis(800));
    assert_eq!(receiver.received().len(), 4, "{:#?}", receiver.received());
    let events: Vec<Value> = got.iter().map(Received::json).collect();
    for (received, event) in got.iter().zip(&events) {
        assert!(signed_by(received, &secret));
        assert!(!received.body.contains(SECRET_VALUE), "{}", received.body);
        assert_eq!(event["source"], "aws.secretsmanager");
    }
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| e["detail-type"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "AWS API Call via CloudTrail",
            "Secret Label Updated",
            "AWS API Call via CloudTrail",
            "Secret Label Updated"
        ]
    );
    let call = &events[0]["detail"];
    assert_eq!(call["eventSource"], "secretsmanager.amazonaws.com");
    assert_eq!(call["eventName"], "CreateSecret");
    assert_eq!(call["eventType"], "AwsApiCall");
    assert_eq!(call["requestParameters"]["secretId"], "prod/api-token");
    assert_eq!(call["responseElements"]["arn"], created.arn().unwrap());
    assert_eq!(call["eventID"], events[0]["id"], "{call}");
    assert_eq!(events[2]["detail"]["eventName"], "PutSecretValue");
    let label = &events[3];
    assert_eq!(label["resources"], json!([created.arn().unwrap()]));
    assert_eq!(label["detail"]["name"], "prod/api-token");
    assert_eq!(label["detail"]["labelUpdated"], "AWSCURRENT");
    assert_eq!(label["detail"]["versionId"], second.version_id().unwrap());
}

#[tokio::test]
async fn a_failing_receiver_is_retried_with_backoff_and_gets_the_same_event_in_order() {
    let clocked = Clocked::start();
    let server = &clocked.server;
    let receiver = Receiver::start(&[500, 503]);
    // (Every value is sealed at rest: the first put creates aws/ssm, a KMS change.)
    let (id, secret) = create(server, &receiver.url("/hook"), &["source=aws.ssm"]);
    put(server, "/app/one", "1", ParameterType::String).await;
    put(server, "/app/two", "2", ParameterType::String).await;

    // The first attempt fails; the next waits for the backoff (5 s, less
    // jitter), which this test's clock jumps over.
    receiver.wait_for(1);
    let hook = wait_until(server, &id, "counted a failure", |h| h["Attempts"] == 1);
    assert_eq!(hook["Status"], "active");
    assert_eq!(hook["LastError"], "HTTP 500", "{hook}");
    assert!(hook["NextAttemptDate"].is_number(), "{hook}");
    assert!(hook["FailingSinceDate"].is_number(), "{hook}");
    std::thread::sleep(Duration::from_millis(600));
    assert_eq!(receiver.received().len(), 1, "no retry before the backoff");
    clocked.set_offset(6_000);
    receiver.wait_for(2);
    wait_until(server, &id, "counted two failures", |h| h["Attempts"] == 2);
    // ×3: 15 s now.
    clocked.set_offset(6_000 + 16_000);
    let got = receiver.wait_for(4);

    // The same event three times (same id, same body, each signed), then
    // the next one: at least once, in order.
    let first_id = got[0].header("webhook-id");
    for retry in &got[..3] {
        assert_eq!(retry.header("webhook-id"), first_id);
        assert_eq!(retry.body, got[0].body);
        assert!(signed_by(retry, &secret));
    }
    assert_eq!(got[0].json()["detail"]["name"], "/app/one", "{got:#?}");
    assert_eq!(got[3].json()["detail"]["name"], "/app/two");
    assert_ne!(got[3].header("webhook-id"), first_id);
    let hook = wait_until(server, &id, "caught up", |h| h["Attempts"] == 0);
    assert_eq!(hook["Status"], "active");
    assert!(hook.get("LastError").is_none(), "{hook}");
}

#[tokio::test]
async fn a_receiver_down_for_a_day_or_gone_is_marked_failed() {
    let clocked = Clocked::start();
    let server = &clocked.server;
    let down = Receiver::start(&[]);
    down.answer_always(503);
    let gone = Receiver::start(&[410]);
    let (down_id, _) = create(server, &down.url("/down"), &[]);
    let (gone_id, _) = create(server, &gone.url("/gone"), &[]);
    put(server, "/app/one", "1", ParameterType::String).await;

    // 410 Gone: failed at once, never asked again.
    let hook = wait_until(server, &gone_id, "failed on 410", |h| {
        h["Status"] == "failed"
    });
    assert_eq!(hook["LastError"], "HTTP 410 Gone", "{hook}");

    // Down: retried (the clock jumps over every backoff) until a day has
    // passed since the first failure.
    wait_until(server, &down_id, "counted a failure", |h| {
        h["Attempts"] == 1
    });
    let mut offset = 0;
    for hours in [1, 5, 12, 23] {
        offset = hours * 3_600_000;
        clocked.set_offset(offset);
        let attempts = get(server, &down_id)["Attempts"].as_u64().unwrap();
        wait_until(server, &down_id, "retried", |h| {
            h["Attempts"].as_u64().unwrap() > attempts
        });
    }
    assert_eq!(get(server, &down_id)["Status"], "active");
    clocked.set_offset(offset + 2 * 3_600_000);
    let hook = wait_until(server, &down_id, "failed after a day", |h| {
        h["Status"] == "failed"
    });
    assert_eq!(hook["LastError"], "HTTP 503", "{hook}");

    // People see it in the list; a failed hook sends nothing more.
    let listed = kinko_ok(server, &["webhook", "list"]);
    let row = listed.lines().find(|l| l.contains(&down_id)).unwrap();
    assert!(
        row.contains("failed") && row.contains("HTTP 503"),
        "{listed}"
    );
    let (down_count, gone_count) = (down.received().len(), gone.received().len());
    assert_eq!(gone_count, 1);
    put(server, "/app/two", "2", ParameterType::String).await;
    clocked.set_offset(offset + 4 * 3_600_000);
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(down.received().len(), down_count);
    assert_eq!(gone.received().len(), 1);

    // The receiver is back: enabled, the hook delivers what it missed, in
    // order; the gone one, enabled from the head, skips its backlog.
    down.answer_always(200);
    let said = kinko_ok(server, &["webhook", "enable", &down_id]);
    assert!(
        said.starts_with(&format!("enabled webhook {down_id}")),
        "{said}"
    );
    let got = down.wait_for(down_count + 3);
    let names: Vec<String> = got[down_count..]
        .iter()
        .filter_map(|r| r.json()["detail"]["name"].as_str().map(str::to_owned))
        .collect();
    let ours: Vec<&str> = names
        .iter()
        .map(String::as_str)
        .filter(|n| n.starts_with("/app/"))
        .collect();
    assert_eq!(ours, ["/app/one", "/app/two"], "{got:#?}");
    let hook = wait_until(server, &down_id, "active again", |h| {
        h["Status"] == "active" && h["Attempts"] == 0
    });
    assert!(hook.get("LastError").is_none(), "{hook}");
    kinko_ok(server, &["webhook", "enable", &gone_id, "--from-head"]);
    put(server, "/app/three", "3", ParameterType::String).await;
    let got = gone.wait_for(2);
    assert_eq!(got[1].json()["detail"]["name"], "/app/three", "{got:#?}");
    let refused = kinko(server, &["webhook", "enable", "wh-0000000000000000"]);
    assert_eq!(refused.status.code(), Some(2));
}

#[tokio::test]
async fn a_rotated_secret_signs_beside_the_old_one_until_the_grace_ends() {
    let clocked = Clocked::start();
    let server = &clocked.server;
    let receiver = Receiver::start(&[]);
    let (id, old) = create(server, &receiver.url("/hook"), &["source=aws.ssm"]);

    let answer: Value = serde_json::from_str(&kinko_ok(
        server,
        &[
            "webhook",
            "rotate-secret",
            &id,
            "--grace",
            "3600",
            "--output",
            "json",
        ],
    ))
    .unwrap();
    let new = answer["SigningSecret"].as_str().unwrap().to_owned();
    assert_ne!(new, old);
    assert!(
        answer["Webhook"]["PreviousSecretValidUntil"].is_number(),
        "{answer}"
    );

    put(server, "/app/one", "1", ParameterType::String).await;
    let both = &receiver.wait_for(1)[0];
    assert_eq!(both.header("webhook-signature").split(' ').count(), 2);
    assert!(signed_by(both, &old) && signed_by(both, &new), "{both:?}");

    // After the grace, the new secret alone.
    clocked.set_offset(3_601_000);
    put(server, "/app/two", "2", ParameterType::String).await;
    let got = receiver.wait_for(2);
    let after = &got[1];
    assert_eq!(
        after.header("webhook-signature").split(' ').count(),
        1,
        "{got:#?}"
    );
    assert!(
        signed_by(after, &new) && !signed_by(after, &old),
        "{after:?}"
    );

    // People get the secret once, with a warning; bad graces are refused.
    let text = kinko_ok(server, &["webhook", "rotate-secret", &id]);
    assert!(
        text.contains("whsec_") && text.contains("not shown again"),
        "{text}"
    );
    let long = kinko(
        server,
        &["webhook", "rotate-secret", &id, "--grace", "999999999"],
    );
    assert_eq!(long.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&long.stderr);
    assert!(stderr.contains("ValidationException"), "{stderr}");
}

#[tokio::test]
async fn a_url_kept_in_a_securestring_is_resolved_at_delivery_and_never_shown() {
    let server = KinkoServer::builder(KINKO).start();
    let receiver = Receiver::start(&[]);
    let secret_path = format!("/services/T000/{HOOK_TOKEN}");
    put(
        &server,
        "/hooks/slack",
        &receiver.url(&secret_path),
        ParameterType::SecureString,
    )
    .await;
    let created = kinko_ok(
        &server,
        &[
            "webhook",
            "create",
            "--url",
            "ssm:/hooks/slack",
            "--filter",
            "name-prefix=/app/",
        ],
    );
    assert!(created.contains("ssm:/hooks/slack"), "{created}");
    assert!(!created.contains(HOOK_TOKEN), "{created}");
    put(&server, "/app/one", "1", ParameterType::String).await;
    let got = receiver.wait_for(1);
    assert_eq!(got[0].path, secret_path);

    for shown in [
        kinko_ok(&server, &["webhook", "list"]),
        kinko_ok(&server, &["webhook", "list", "--output", "json"]),
        server.logs(),
    ] {
        assert!(!shown.contains(HOOK_TOKEN), "{shown}");
    }
    let audit = kinko_ok(&server, &["audit", "query", "--output", "json"]);
    assert!(!audit.contains(HOOK_TOKEN));

    // A plain URL with a path is shown only as far as its origin.
    let (id, _) = create(&server, &receiver.url(&secret_path), &[]);
    let hook = get(&server, &id);
    assert_eq!(
        hook["Url"],
        format!("http://127.0.0.1:{}/…", receiver.port),
        "{hook}"
    );
}

#[tokio::test]
async fn bad_subscriptions_and_callers_without_the_right_are_refused() {
    let server = KinkoServer::builder(KINKO).start();
    let refused = |args: &[&str], needle: &str| {
        let out = kinko(&server, args);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
        stderr
    };
    fn create(url: &str) -> Vec<&str> {
        vec!["webhook", "create", "--url", url]
    }
    refused(&create("http://hooks.example.com/x"), "loopback");
    let with_password = refused(
        &create("https://user:hunter2@hooks.example.com/x"),
        "ValidationException",
    );
    assert!(!with_password.contains("hunter2"), "{with_password}");
    refused(&create("ftp://hooks.example.com/x"), "ValidationException");
    // Instance-metadata services, however written, are never a target.
    for metadata in [
        "https://169.254.169.254/latest/meta-data/iam/security-credentials/",
        "https://[fd00:ec2::254]/latest/meta-data/",
        "https://[::ffff:169.254.169.254]/x",
    ] {
        refused(&create(metadata), "link-local");
    }
    refused(&create("ssm:not a name"), "ValidationException");
    let mut bad_filter = create("https://hooks.example.com/x");
    bad_filter.extend(["--filter", "colour=blue"]);
    refused(&bad_filter, "colour");
    let mut bad_source = create("https://hooks.example.com/x");
    bad_source.extend(["--filter", "source=aws.s3"]);
    refused(&bad_source, "aws.s3");
    refused(&["webhook", "get", "wh-0000000000000000"], "NoSuchEntity");
    // Nothing was half-written.
    let listed: Value =
        serde_json::from_str(&kinko_ok(&server, &["webhook", "list", "--output", "json"])).unwrap();
    assert_eq!(listed["Webhooks"], json!([]), "{listed}");

    // A developer who may write parameters may not subscribe to changes.
    let developer = server.user_with_policy(
        "developer",
        &json!({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": "ssm:*", "Resource": "*"}]}),
    );
    let request = json!({"Url": "https://hooks.example.com/x"});
    let (status, answer) = server.admin_as(&developer, "CreateWebhook", request.clone());
    assert_eq!(status, 400, "{answer}");
    assert_eq!(answer["__type"], "AccessDeniedException", "{answer}");
    let (status, _) = server.admin_as(&developer, "ListWebhooks", json!({}));
    assert_eq!(status, 400);

    // One who may subscribe may not point a hook at a URL it cannot read.
    put(
        &server,
        "/hooks/slack",
        "https://hooks.example.com/x",
        ParameterType::SecureString,
    )
    .await;
    let hooker = hook_admin(&server);
    let (status, answer) = server.admin_as(&hooker, "CreateWebhook", request);
    assert_eq!(status, 200, "{answer}");
    let (status, answer) =
        server.admin_as(&hooker, "CreateWebhook", json!({"Url": "ssm:/hooks/slack"}));
    assert_eq!(status, 400, "{answer}");
    assert_eq!(answer["__type"], "AccessDeniedException", "{answer}");
}

/// A principal allowed to manage webhooks and nothing else.
fn hook_admin(server: &KinkoServer) -> TestCredentials {
    server.user_with_policy(
        "hooks",
        &json!({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": "kinko:*Webhook*", "Resource": "*"}]}),
    )
}

/// The Policy Action events among what the receiver got, as (type, event).
fn policy_actions(receiver: &Receiver) -> Vec<(String, Value)> {
    receiver
        .received()
        .iter()
        .map(Received::json)
        .filter(|e| e["detail-type"] == "Parameter Store Policy Action")
        .map(|e| (e["detail"]["policy-type"].as_str().unwrap().to_owned(), e))
        .collect()
}

/// Waits (up to a minute) until `count` Policy Action events have arrived.
fn wait_for_policy_actions(receiver: &Receiver, count: usize) -> Vec<(String, Value)> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let got = policy_actions(receiver);
        if got.len() >= count {
            return got;
        }
        assert!(
            Instant::now() < deadline,
            "{} of {count} policy actions: {:#?}",
            got.len(),
            receiver.received()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[tokio::test]
async fn parameter_policies_notify_once_and_an_expired_parameter_is_deleted() {
    let clocked = Clocked::start();
    let server = &clocked.server;
    let receiver = Receiver::start(&[]);
    let (_, secret) = create(server, &receiver.url("/hook"), &["source=aws.ssm"]);
    let expires = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(72);
    let expires = format!("{expires:.3}");
    let policies = format!(
        r#"[{{"Type":"Expiration","Version":"1.0","Attributes":{{"Timestamp":"{expires}"}}}},
            {{"Type":"ExpirationNotification","Version":"1.0","Attributes":{{"Before":"1","Unit":"Days"}}}},
            {{"Type":"NoChangeNotification","Version":"1.0","Attributes":{{"After":"1","Unit":"Hours"}}}}]"#
    );
    let ssm = server.ssm();
    ssm.put_parameter()
        .name("/prod/temp-token")
        .value(SECRET_VALUE)
        .r#type(ParameterType::SecureString)
        .tier(aws_sdk_ssm::types::ParameterTier::Advanced)
        .policies(&policies)
        .send()
        .await
        .unwrap();
    receiver.wait_for(1);

    // An hour without a change: one NoChangeNotification, however many
    // scans see it due.
    clocked.set_offset(3_601_000);
    let got = wait_for_policy_actions(&receiver, 1);
    let (kind, event) = &got[0];
    assert_eq!(kind, "NoChangeNotification");
    assert_eq!(event["source"], "aws.ssm");
    assert_eq!(event["region"], REGION);
    let arn = event["resources"][0].as_str().unwrap();
    assert!(arn.ends_with(":parameter/prod/temp-token"), "{event}");
    let detail = &event["detail"];
    assert_eq!(detail["name"], "/prod/temp-token");
    assert_eq!(detail["parameter-name"], "/prod/temp-token");
    assert_eq!(detail["parameter-type"], "SecureString");
    assert_eq!(detail["action-status"], "Success");
    let content: Value = serde_json::from_str(detail["policy-content"].as_str().unwrap()).unwrap();
    assert_eq!(content["Attributes"]["After"], "1", "{detail}");
    let reason = detail["action-reason"].as_str().unwrap();
    assert!(
        reason.starts_with("The parameter has not been changed for 1 hour."),
        "{reason}"
    );
    let delivery = receiver
        .received()
        .into_iter()
        .find(|r| r.json()["detail-type"] == "Parameter Store Policy Action")
        .unwrap();
    assert!(signed_by(&delivery, &secret));
    assert!(!delivery.body.contains(SECRET_VALUE));
    std::thread::sleep(Duration::from_secs(12));
    assert_eq!(
        policy_actions(&receiver).len(),
        1,
        "a notification fires once"
    );

    // An overwrite (policies kept) restarts the NoChange clock.
    ssm.put_parameter()
        .name("/prod/temp-token")
        .value("rotated-token")
        .r#type(ParameterType::SecureString)
        .overwrite(true)
        .send()
        .await
        .unwrap();
    clocked.set_offset(2 * 3_601_000 + 1_000);
    let got = wait_for_policy_actions(&receiver, 2);
    assert_eq!(got[1].0, "NoChangeNotification");

    // A day before the expiration: the ExpirationNotification.
    clocked.set_offset(48 * 3_600_000 + 60_000);
    let got = wait_for_policy_actions(&receiver, 3);
    assert_eq!(got[2].0, "ExpirationNotification");
    let reason = got[2].1["detail"]["action-reason"].as_str().unwrap();
    assert!(reason.contains(&expires), "{reason}");

    // The expiration: the parameter is gone, announced as the policy's
    // action and as a Delete.
    clocked.set_offset(72 * 3_600_000 + 60_000);
    let got = wait_for_policy_actions(&receiver, 4);
    assert_eq!(got[3].0, "Expiration");
    let deadline = Instant::now() + Duration::from_secs(60);
    let deleted = loop {
        let delete = receiver.received().iter().map(Received::json).find(|e| {
            e["detail-type"] == "Parameter Store Change" && e["detail"]["operation"] == "Delete"
        });
        if let Some(event) = delete {
            break event;
        }
        assert!(Instant::now() < deadline, "no Delete after the expiration");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(deleted["detail"]["name"], "/prod/temp-token");
    let err = ssm
        .get_parameter()
        .name("/prod/temp-token")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err.into_service_error().meta().code(),
        Some("ParameterNotFound")
    );
    // A new parameter of the same name starts with no actions taken.
    ssm.put_parameter()
        .name("/prod/temp-token")
        .value("again")
        .r#type(ParameterType::String)
        .tier(aws_sdk_ssm::types::ParameterTier::Advanced)
        .policies(r#"[{"Type":"NoChangeNotification","Version":"1.0","Attributes":{"After":"1","Unit":"Hours"}}]"#)
        .send()
        .await
        .unwrap();
    clocked.set_offset(73 * 3_600_000 + 120_000);
    let got = wait_for_policy_actions(&receiver, 5);
    assert_eq!(got[4].0, "NoChangeNotification");
    assert_eq!(got[4].1["detail"]["parameter-type"], "String");
}
