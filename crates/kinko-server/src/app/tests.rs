//! The request path driven in-process (no socket): bodies that break off
//! or are too large, STS's Query routing, and an audit log that cannot be
//! written.

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use hyper::body::Frame;
use kinko_aws::sigv4::SigningKeyCache;
use kinko_core::audit::verify;
use kinko_core::keyring::Keyring;
use kinko_core::kms::Kms;
use kinko_core::principals::Identity;
use kinko_core::secrets::SecretsManager;
use kinko_core::ssm::ParameterStore;
use kinko_crypto::RootKey;
use kinko_model::audit::OUTAGE_OPERATION;
use kinko_store::{AuditRow, AuditRows, SqliteStore, Store};
use serde_json::{Value, json};
use tower::ServiceExt;

use super::*;
use crate::test_store::{Fault, FaultyAuditStore};

const ACCOUNT: &str = "000000000000";
const LIMIT: usize = 1024;
const STS_AUTH: &str = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/sts/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/// The server's state over `store`, in dev mode (any credentials), as
/// `kinko server --dev` builds it.
async fn state(store: Arc<dyn Store>, audit: Option<AuditLog>) -> Arc<AppState> {
    let keyring = Arc::new(Keyring::new(
        store.clone(),
        RootKey::generate(),
        ACCOUNT.into(),
    ));
    keyring.verify_root_key().await.unwrap();
    let credentials = Arc::new(Credentials::new(store.clone(), keyring.clone()));
    let identity = Arc::new(Identity::new(
        store.clone(),
        credentials.clone(),
        ACCOUNT.into(),
        "us-east-1",
    ));
    let secrets = Arc::new(SecretsManager::new(store.clone(), keyring.clone()));
    let webhooks = crate::webhook_send::webhooks(
        store.clone(),
        keyring.clone(),
        Arc::new(kinko_core::clock::SystemClock),
        secrets.clone(),
    );
    Arc::new(AppState {
        services: Services {
            ssm: ParameterStore::new(store.clone(), keyring.clone()).with_secrets(secrets.clone()),
            secrets,
            kms: Kms::new(store.clone(), keyring),
            identity,
            audit: kinko_core::audit::AuditReader::new(store.clone()),
            webhooks,
        },
        credentials,
        signing_keys: SigningKeyCache::new(),
        settings: ServerSettings {
            account_id: ACCOUNT.into(),
            default_region: "us-east-1".into(),
            dev: true,
            max_body_bytes: LIMIT,
        },
        audit,
        resource_policies: Arc::default(),
        throttle: None,
        feed: None,
        metrics: None,
    })
}

struct Answer {
    status: u16,
    headers: HeaderMap,
    text: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }

    fn content_type(&self) -> &str {
        self.headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    fn request_id(&self) -> String {
        self.headers["x-amzn-requestid"]
            .to_str()
            .unwrap()
            .to_owned()
    }
}

async fn call(state: &Arc<AppState>, request: Request) -> Answer {
    let response = router(state.clone()).oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    Answer {
        status,
        headers,
        text: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

fn post(headers: &[(&str, &str)], body: impl Into<Body>) -> Request {
    let mut builder = Request::post("/");
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(body.into()).unwrap()
}

fn ssm(operation: &str, body: Value) -> Request {
    let target = format!("AmazonSSM.{operation}");
    post(
        &[
            ("content-type", "application/x-amz-json-1.1"),
            ("x-amz-target", &target),
        ],
        body.to_string(),
    )
}

fn get(path: &str) -> Request {
    Request::get(path).body(Body::empty()).unwrap()
}

/// A body that sends `first` and then fails, as hyper's does when the
/// client closes its side before the end; notes whether it was read.
struct BreaksOff {
    first: Option<Bytes>,
    polled: Arc<AtomicBool>,
}

impl BreaksOff {
    fn after(first: &'static [u8]) -> (Body, Arc<AtomicBool>) {
        let polled = Arc::new(AtomicBool::new(false));
        let body = BreaksOff {
            first: Some(Bytes::from_static(first)),
            polled: polled.clone(),
        };
        (Body::new(body), polled)
    }
}

impl hyper::body::Body for BreaksOff {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        self.polled.store(true, Ordering::SeqCst);
        Poll::Ready(Some(match self.first.take() {
            Some(bytes) => Ok(Frame::data(bytes)),
            None => Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "connection closed before message completed",
            )),
        }))
    }
}

async fn audit_rows(store: &dyn AuditRows) -> Vec<AuditRow> {
    store.read_audit(0, 1000).await.unwrap()
}

fn record(row: &AuditRow) -> AuditRecord {
    serde_json::from_str(&row.record).unwrap()
}

async fn eventually(what: &str, done: impl Fn() -> bool) {
    for _ in 0..2_000 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("gave up waiting until {what}");
}

// ------------------------------------------------------------ bodies

#[tokio::test]
async fn a_body_that_breaks_off_is_incomplete_not_too_large() {
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory().unwrap());
    let audit = AuditLog::start(store.clone(), None).unwrap();
    let state = state(store.clone(), Some(audit.clone())).await;

    // Content-Length says 100; 9 bytes come, then the connection ends.
    let (body, _) = BreaksOff::after(br#"{"Name":""#);
    let request = post(
        &[
            ("content-type", "application/x-amz-json-1.1"),
            ("x-amz-target", "AmazonSSM.GetParameter"),
            ("content-length", "100"),
        ],
        body,
    );
    let answer = call(&state, request).await;
    assert_eq!(answer.status, 400, "{}", answer.text);
    assert_eq!(answer.json()["__type"], "IncompleteBody");
    assert_eq!(
        answer.json()["message"],
        "The request body is incomplete: 9 of the 100 bytes its Content-Length announced arrived."
    );
    assert!(answer.content_type().starts_with(AMZ_JSON));

    // Chunked (no length): the same error, saying what arrived.
    let (body, _) = BreaksOff::after(b"Action=Get");
    let answer = call(
        &state,
        post(
            &[("content-type", "application/x-www-form-urlencoded")],
            body,
        ),
    )
    .await;
    assert_eq!(answer.status, 400, "{}", answer.text);
    assert!(
        answer.text.contains("<Code>IncompleteBody</Code>"),
        "{}",
        answer.text
    );
    assert!(
        answer
            .text
            .contains("it broke off after 10 bytes, before its end."),
        "{}",
        answer.text
    );

    // Both are in the audit log as what they were.
    audit.shutdown().await;
    let rows = audit_rows(store.as_ref()).await;
    let codes: Vec<(Option<String>, u16, String)> = rows
        .iter()
        .map(record)
        .map(|r| (r.error_code, r.status, r.operation))
        .collect();
    assert_eq!(
        codes,
        [
            (
                Some("IncompleteBody".into()),
                400,
                "ssm:GetParameter".into()
            ),
            (Some("IncompleteBody".into()), 400, "sts".into()),
        ]
    );
}

#[tokio::test]
async fn a_content_length_over_the_limit_is_refused_before_the_body_is_read() {
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory().unwrap());
    let state = state(store, None).await;
    let (body, polled) = BreaksOff::after(b"{");
    let too_long = (LIMIT + 1).to_string();
    let answer = call(
        &state,
        post(
            &[
                ("x-amz-target", "AmazonSSM.GetParameter"),
                ("content-length", &too_long),
            ],
            body,
        ),
    )
    .await;
    assert_eq!(answer.status, 413, "{}", answer.text);
    assert_eq!(answer.json()["__type"], "RequestEntityTooLarge");
    assert_eq!(
        answer.json()["message"],
        "The request body (1025 bytes by its Content-Length) is larger than the 1024 bytes this server accepts."
    );
    assert!(!polled.load(Ordering::SeqCst), "the body was read");
}

#[tokio::test]
async fn a_body_without_length_is_413_once_it_passes_the_limit() {
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory().unwrap());
    let state = state(store, None).await;
    // Four chunks of half the limit, no Content-Length.
    let body = Chunks((0..4).map(|_| Bytes::from(vec![b' '; LIMIT / 2])).collect());
    let answer = call(
        &state,
        post(
            &[("x-amz-target", "AmazonSSM.GetParameter")],
            Body::new(body),
        ),
    )
    .await;
    assert_eq!(answer.status, 413, "{}", answer.text);
    assert_eq!(
        answer.json()["message"],
        "The request body is larger than the 1024 bytes this server accepts."
    );

    // Exactly at the limit is read (and then judged as JSON).
    let body = " ".repeat(LIMIT - 2) + "{}";
    let answer = call(&state, ssm_raw("DescribeParameters", body)).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
}

fn ssm_raw(operation: &str, body: String) -> Request {
    let target = format!("AmazonSSM.{operation}");
    post(
        &[
            ("content-type", "application/x-amz-json-1.1"),
            ("x-amz-target", &target),
        ],
        body,
    )
}

// ------------------------------------------------------------- STS

#[tokio::test]
async fn an_sts_request_without_action_is_missing_action() {
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory().unwrap());
    let state = state(store, None).await;
    let form = (
        "content-type",
        "application/x-www-form-urlencoded; charset=utf-8",
    );
    let cases = [
        // What `aws sts` sends, minus the Action.
        post(&[form, ("authorization", STS_AUTH)], "Version=2011-06-15"),
        // Signed for STS, with no body at all.
        post(&[("authorization", STS_AUTH)], ""),
        // A form body, unsigned, an empty Action.
        post(&[form], "Action=&Version=2011-06-15"),
        // Presigned for STS.
        Request::post(
            "/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20260101%2Fus-east-1%2Fsts%2Faws4_request",
        )
        .body(Body::from("Version=2011-06-15"))
        .unwrap(),
    ];
    for request in cases {
        let answer = call(&state, request).await;
        assert_eq!(answer.status, 400, "{}", answer.text);
        assert_eq!(answer.content_type(), "text/xml");
        assert!(
            answer.text.contains(
                "<Error><Type>Sender</Type><Code>MissingAction</Code><Message>Missing Action</Message></Error>"
            ),
            "{}",
            answer.text
        );
        assert!(
            answer
                .text
                .contains(&format!("<RequestId>{}</RequestId>", answer.request_id()))
        );
    }

    // An unknown action stays InvalidAction, and is quoted boundedly.
    let long = "X".repeat(900);
    let answer = call(
        &state,
        post(&[form], format!("Action=Nope{long}&Version=2011-06-15")),
    )
    .await;
    assert_eq!(answer.status, 400, "{}", answer.text);
    assert!(
        answer.text.contains("<Code>InvalidAction</Code>"),
        "{}",
        answer.text
    );
    assert!(answer.text.len() < 500, "{} bytes", answer.text.len());

    // And a JSON API call still needs its target.
    let answer = call(&state, post(&[("content-type", AMZ_JSON)], "{}")).await;
    assert_eq!(answer.json()["__type"], "UnknownOperationException");
}

#[tokio::test]
async fn an_unknown_target_is_quoted_boundedly() {
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory().unwrap());
    let state = state(store, None).await;
    let target = format!("AmazonSSM.{}", "Q".repeat(8000));
    let answer = call(
        &state,
        post(
            &[("x-amz-target", &target), ("content-type", AMZ_JSON)],
            "{}",
        ),
    )
    .await;
    assert_eq!(answer.json()["__type"], "UnknownOperationException");
    let message = answer.json()["message"].as_str().unwrap().to_owned();
    assert!(message.len() < 200, "{message}");
    assert!(message.contains("AmazonSSM.QQQ"), "{message}");
}

// ------------------------------------------------ audit unavailable

#[tokio::test]
async fn while_the_audit_log_cannot_be_written_requests_are_refused_and_none_is_lost() {
    let store = Arc::new(FaultyAuditStore::new());
    let audit = AuditLog::start(store.clone(), None).unwrap();
    let state = state(Arc::new(store.store()), Some(audit.clone())).await;
    let put = |value: &str| {
        ssm(
            "PutParameter",
            json!({"Name": "/app/p", "Value": value, "Type": "String", "Overwrite": true}),
        )
    };
    let mut acknowledged = Vec::new();

    let answer = call(&state, put("v1")).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    acknowledged.push(answer.request_id());
    eventually("the first record lands", || {
        store.attempts.load(Ordering::SeqCst) >= 1
    })
    .await;

    // The disk fills: the next record cannot be appended.
    store.fail_until_healed(Fault::DiskFull);
    let answer = call(&state, put("v2")).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    acknowledged.push(answer.request_id());
    eventually("the log is unavailable", || {
        audit.unavailable_since().is_some()
    })
    .await;

    // Refused before anything is read or written: JSON for JSON...
    let answer = call(&state, put("v3")).await;
    assert_eq!(answer.status, 503, "{}", answer.text);
    assert_eq!(answer.json()["__type"], "ServiceUnavailable");
    let message = answer.json()["message"].as_str().unwrap().to_owned();
    assert!(
        message.starts_with("The audit log cannot be written (since 20"),
        "{message}"
    );
    assert!(answer.headers.contains_key("x-amzn-requestid"));
    // ...STS XML for STS...
    let answer = call(
        &state,
        post(
            &[("content-type", "application/x-www-form-urlencoded")],
            "Action=GetCallerIdentity&Version=2011-06-15",
        ),
    )
    .await;
    assert_eq!(answer.status, 503, "{}", answer.text);
    assert_eq!(answer.content_type(), "text/xml");
    assert!(
        answer
            .text
            .contains("<Type>Receiver</Type><Code>ServiceUnavailable</Code>"),
        "{}",
        answer.text
    );
    // ...a body that would break off is not even read...
    let (body, polled) = BreaksOff::after(b"{");
    let answer = call(
        &state,
        post(&[("x-amz-target", "AmazonSSM.GetParameter")], body),
    )
    .await;
    assert_eq!(answer.status, 503);
    assert!(!polled.load(Ordering::SeqCst));
    // ...and /health says so, uncounted.
    let health = call(&state, get("/health")).await;
    assert_eq!(health.status, 503);
    assert_eq!(health.json()["status"], "unavailable");
    assert_eq!(health.json()["reason"], "the audit log cannot be written");

    // Space comes back.
    store.heal();
    eventually("the log is available", || {
        audit.unavailable_since().is_none()
    })
    .await;
    assert_eq!(call(&state, get("/health")).await.status, 200);
    let answer = call(&state, ssm("GetParameter", json!({"Name": "/app/p"}))).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    // v3 was refused before it was written.
    assert_eq!(answer.json()["Parameter"]["Value"], "v2");
    assert_eq!(answer.json()["Parameter"]["Version"], 2);
    acknowledged.push(answer.request_id());
    audit.shutdown().await;

    // Every acknowledged request has its record; the three refused
    // ones are counted in the summary; the chain verifies.
    let rows = audit_rows(store.as_ref()).await;
    let records: Vec<AuditRecord> = rows.iter().map(record).collect();
    let ids: Vec<&str> = records
        .iter()
        .filter(|r| r.operation != OUTAGE_OPERATION)
        .map(|r| r.request_id.as_str())
        .collect();
    assert_eq!(ids, acknowledged);
    let summaries: Vec<&AuditRecord> = records
        .iter()
        .filter(|r| r.operation == OUTAGE_OPERATION)
        .collect();
    assert_eq!(summaries.len(), 1);
    let outage = summaries[0].outage.as_ref().unwrap();
    assert_eq!(outage.refused_requests, 3);
    assert!(verify(store.as_ref()).await.unwrap().is_ok());
}

/// A body of chunks without a length, as a chunked request's.
struct Chunks(std::collections::VecDeque<Bytes>);

impl hyper::body::Body for Chunks {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        Poll::Ready(self.0.pop_front().map(|bytes| Ok(Frame::data(bytes))))
    }
}

/// A writer that keeps what the log subscriber writes, for inspection.
#[derive(Clone, Default)]
struct Captured(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn the_request_trace_never_shows_a_signature_or_a_session_token() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    // Callsites first seen by other tests' threads (no subscriber there)
    // may have cached "never": recompute their interest with this one.
    tracing::callsite::rebuild_interest_cache();

    let store: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory().unwrap());
    let state = state(store, None).await;
    let token = "FQoGZXIvYXdzEXAMPLESESSIONTOKENdonotlog";
    let request = || {
        post(
            &[
                ("content-type", "application/x-amz-json-1.1"),
                ("x-amz-target", "AmazonSSM.GetParameter"),
                ("authorization", STS_AUTH),
                ("x-amz-security-token", token),
                ("x-amz-date", "20260101T000000Z"),
            ],
            json!({"Name": "/p"}).to_string(),
        )
    };
    // Another test's thread can register a callsite between the rebuild and
    // the call; the next call sees it. Each call is checked alike below.
    for _ in 0..20 {
        let answer = call(&state, request()).await;
        assert!(answer.status >= 400, "{}", answer.text);
        let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        if logs.contains("x-amz-target") {
            break;
        }
        tracing::callsite::rebuild_interest_cache();
    }

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    // The trace ran and printed the request's headers...
    assert!(logs.contains("x-amz-target"), "{logs}");
    assert!(logs.contains("AmazonSSM.GetParameter"), "{logs}");
    // ...but neither credential.
    assert!(!logs.contains("0123456789abcdef"), "{logs}");
    assert!(!logs.contains("Credential=AKIDEXAMPLE"), "{logs}");
    assert!(!logs.contains(token), "{logs}");
    assert!(logs.contains("Sensitive"), "{logs}");
}
