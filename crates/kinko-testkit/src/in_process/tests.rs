//! The connector against a stand-in service (no kinko): what the service
//! receives, and that the SDK's error parsing, retries and read timeout
//! work through it as through a socket. kinko itself behind it: the
//! `in_process` end-to-end tests.

use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_ssm::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_types::timeout::TimeoutConfig;
use http_body_util::Full;
use tokio::sync::Notify;
use tower::util::BoxCloneSyncService;

use super::*;

/// What the stand-in service saw of one request.
#[derive(Debug, Clone)]
struct Seen {
    uri: String,
    host: Option<String>,
    authorization: String,
    target: String,
    peer: Option<Peer>,
}

/// An extension the caller inserts (kinko's is `ConnectionInfo`).
#[derive(Debug, Clone, PartialEq)]
struct Peer(&'static str);

const FOUND: &str = r#"{"Parameter":{"Name":"/app/x","Value":"v1","Type":"String","Version":1}}"#;
const NOT_FOUND: &str = r#"{"__type":"ParameterNotFound","message":"Parameter /app/y not found."}"#;
const INTERNAL: &str = r#"{"__type":"InternalServerError","message":"try again"}"#;

fn answer(status: u16, body: &'static str) -> http::Response<Full<Bytes>> {
    http::Response::builder()
        .status(status)
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amzn-requestid", "a-request-id")
        .body(Full::new(Bytes::from_static(body.as_bytes())))
        .unwrap()
}

type StandIn = BoxCloneSyncService<http::Request<SdkBody>, http::Response<Full<Bytes>>, Infallible>;

/// A service that records each request and answers `answers` in turn (the
/// last one from then on).
fn recording(answers: Vec<(u16, &'static str)>) -> (StandIn, Arc<Mutex<Vec<Seen>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    let answers = Arc::new(answers);
    let service = tower::service_fn(move |request: http::Request<SdkBody>| {
        let header = |name: &str| {
            request
                .headers()
                .get(name)
                .map(|v| v.to_str().unwrap().to_owned())
        };
        let mut seen = record.lock().unwrap();
        seen.push(Seen {
            uri: request.uri().to_string(),
            host: header("host"),
            authorization: header("authorization").unwrap_or_default(),
            target: header("x-amz-target").unwrap_or_default(),
            peer: request.extensions().get::<Peer>().cloned(),
        });
        let (status, body) = answers[(seen.len() - 1).min(answers.len() - 1)];
        async move { Ok::<_, Infallible>(answer(status, body)) }
    });
    (BoxCloneSyncService::new(service), seen)
}

#[tokio::test]
async fn the_service_gets_the_request_as_the_sdk_signed_it() {
    let (service, seen) = recording(vec![(200, FOUND)]);
    let kinko = InProcess::new(service).extension(Peer("127.0.0.1"));

    let answer = kinko
        .ssm()
        .get_parameter()
        .name("/app/x")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.parameter().unwrap().value(), Some("v1"));

    let seen = seen.lock().unwrap()[0].clone();
    assert_eq!(seen.uri, "http://in-process.kinko.test/");
    // The host SigV4 signed, sent as the Host header.
    assert_eq!(seen.host.as_deref(), Some("in-process.kinko.test"));
    assert!(
        seen.authorization
            .starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
            && seen.authorization.contains("/us-east-1/ssm/aws4_request"),
        "{}",
        seen.authorization
    );
    let signed_headers = seen
        .authorization
        .split("SignedHeaders=")
        .nth(1)
        .and_then(|rest| rest.split(',').next())
        .unwrap();
    assert!(
        signed_headers.split(';').any(|h| h == "host"),
        "{signed_headers}"
    );
    assert_eq!(seen.target, "AmazonSSM.GetParameter");
    assert_eq!(seen.peer, Some(Peer("127.0.0.1")));
}

#[tokio::test]
async fn credentials_and_region_go_into_the_signature() {
    let (service, seen) = recording(vec![(200, FOUND)]);
    let creds = TestCredentials {
        access_key_id: "AKIAOTHERKEY".into(),
        secret_access_key: "other-secret".into(),
        session_token: Some("a-session-token".into()),
    };
    let kinko = InProcess::new(service);
    kinko
        .ssm_as(&creds)
        .get_parameter()
        .name("/app/x")
        .send()
        .await
        .unwrap();
    kinko
        .secrets_in("eu-west-1")
        .list_secrets()
        .send()
        .await
        .unwrap();

    let seen = seen.lock().unwrap().clone();
    assert!(
        seen[0]
            .authorization
            .starts_with("AWS4-HMAC-SHA256 Credential=AKIAOTHERKEY/"),
        "{}",
        seen[0].authorization
    );
    assert!(
        seen[1]
            .authorization
            .contains("/eu-west-1/secretsmanager/aws4_request"),
        "{}",
        seen[1].authorization
    );
    assert_eq!(seen[1].target, "secretsmanager.ListSecrets");
}

#[tokio::test]
async fn an_error_answer_becomes_the_typed_error() {
    let (service, _) = recording(vec![(400, NOT_FOUND)]);
    let kinko = InProcess::new(service);

    let err = kinko
        .ssm()
        .get_parameter()
        .name("/app/y")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ParameterNotFound"));
    assert_eq!(err.message(), Some("Parameter /app/y not found."));
    assert!(err.into_service_error().is_parameter_not_found());
}

#[tokio::test]
async fn the_sdk_retries_through_the_connector_when_told_to() {
    // By default, as against a spawned server: no retry, the first answer.
    let (service, seen) = recording(vec![(500, INTERNAL), (200, FOUND)]);
    let err = InProcess::new(service)
        .ssm()
        .get_parameter()
        .name("/app/x")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("InternalServerError"));
    assert_eq!(seen.lock().unwrap().len(), 1);

    // With retries the 500 is retried and the second answer wins.
    let (service, seen) = recording(vec![(500, INTERNAL), (200, FOUND)]);
    let retry = RetryConfig::standard()
        .with_max_attempts(3)
        .with_initial_backoff(Duration::from_millis(1));
    let answer = InProcess::new(service)
        .retry_config(retry)
        .ssm()
        .get_parameter()
        .name("/app/x")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.parameter().unwrap().value(), Some("v1"));
    assert_eq!(seen.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn a_read_timeout_gives_up_waiting_but_the_server_finishes_its_work() {
    let release = Arc::new(Notify::new());
    let finished = Arc::new(AtomicUsize::new(0));
    let service = {
        let (release, finished) = (release.clone(), finished.clone());
        tower::service_fn(move |_: http::Request<SdkBody>| {
            let (release, finished) = (release.clone(), finished.clone());
            async move {
                release.notified().await;
                finished.fetch_add(1, Ordering::SeqCst);
                Ok::<_, Infallible>(answer(200, FOUND))
            }
        })
    };
    let kinko = InProcess::new(service);
    let config = aws_sdk_ssm::Config::builder()
        .behavior_version(aws_sdk_ssm::config::BehaviorVersion::latest())
        .region(aws_sdk_ssm::config::Region::new(crate::REGION))
        .endpoint_url(IN_PROCESS_ENDPOINT)
        .http_client(kinko.connector.http_client())
        .credentials_provider(kinko.admin_credentials().provider())
        .retry_config(RetryConfig::disabled())
        .timeout_config(
            TimeoutConfig::builder()
                .read_timeout(Duration::from_millis(50))
                .build(),
        )
        .build();

    let err = aws_sdk_ssm::Client::from_conf(config)
        .get_parameter()
        .name("/app/x")
        .send()
        .await
        .unwrap_err();
    let SdkError::DispatchFailure(failure) = &err else {
        panic!("not a dispatch failure: {err:?}");
    };
    assert!(failure.is_timeout(), "{err:?}");

    // The request the client gave up on still runs to its end.
    release.notify_one();
    tokio::time::timeout(Duration::from_secs(30), async {
        while finished.load(Ordering::SeqCst) == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("the service finished the request");
}

#[tokio::test]
async fn a_raw_request_is_sent_as_it_is() {
    let (service, seen) = recording(vec![(400, NOT_FOUND)]);
    let kinko = InProcess::new(service).extension(Peer("10.0.0.1"));
    let request = http::Request::post("http://example.test:8080/")
        .header("x-amz-target", "AmazonSSM.GetParameter")
        .body(Bytes::from_static(b"{"))
        .unwrap();

    let (status, headers, body) = kinko.send(request).await;
    assert_eq!(status, 400);
    assert!(headers.contains(&("x-amzn-requestid".to_owned(), "a-request-id".to_owned())));
    assert_eq!(body, NOT_FOUND);

    let seen = seen.lock().unwrap()[0].clone();
    assert_eq!(seen.host.as_deref(), Some("example.test:8080"));
    assert_eq!(seen.authorization, "", "not signed");
    assert_eq!(seen.peer, Some(Peer("10.0.0.1")));
}

#[test]
fn the_host_header_drops_only_the_default_port() {
    let host = |uri: &str| connector::host_header(&uri.parse().unwrap()).unwrap();
    assert_eq!(host("http://h.test/"), "h.test");
    assert_eq!(host("http://h.test:80/"), "h.test");
    assert_eq!(host("http://h.test:443/"), "h.test:443");
    assert_eq!(host("https://h.test:443/"), "h.test");
    assert_eq!(host("https://127.0.0.1:8443/"), "127.0.0.1:8443");
}
