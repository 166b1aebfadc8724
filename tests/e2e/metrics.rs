//! `--metrics-listen`: what an operator's Prometheus scrapes after a
//! session of ordinary use, a forged signature, a denied caller, a client
//! inventing operations and a webhook whose receiver is down — read with a
//! Prometheus text-format parser, and searched for every name, value and
//! key the session used (none may appear).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use aws_sdk_ssm::types::ParameterType;
use kinko_testkit::{KinkoServer, TestCredentials, http_get};
use prometheus_parse::{Sample, Scrape, Value};
use serde_json::json;

const KINKO: &str = env!("CARGO_BIN_EXE_kinko");

const PARAMETER_NAME: &str = "/prod/metrics-canary-name/db";
const PARAMETER_VALUE: &str = "metrics-canary-value-7731";
const SECRET_NAME: &str = "prod/metrics-canary-secret";
const SECRET_VALUE: &str = "metrics-canary-secret-4410";
const INVENTED_OPERATION: &str = "InventedOperationCanary";

/// `http://ADDR` of the server's metrics, from its start-up line.
fn metrics_endpoint(server: &KinkoServer) -> String {
    let logs = server.logs();
    let url = logs
        .lines()
        .find_map(|l| l.split("metrics on ").nth(1))
        .unwrap_or_else(|| panic!("no metrics line in {logs}"));
    url.trim().trim_end_matches("/metrics").to_owned()
}

fn scrape(endpoint: &str) -> (String, Scrape) {
    let (status, body) = http_get(endpoint, "/metrics").expect("GET /metrics answered");
    assert_eq!(status, 200, "{body}");
    let lines = body.lines().map(|l| Ok(l.to_owned()));
    let parsed = Scrape::parse(lines).expect("Prometheus text format");
    (body, parsed)
}

fn labels_of(sample: &Sample) -> BTreeMap<String, String> {
    sample
        .labels
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// The value of the sample `metric` whose labels include `labels`.
fn value(scrape: &Scrape, metric: &str, labels: &[(&str, &str)]) -> Option<f64> {
    scrape
        .samples
        .iter()
        .filter(|s| s.metric == metric)
        .find(|s| {
            let have = labels_of(s);
            labels
                .iter()
                .all(|(k, v)| have.get(*k).map(String::as_str) == Some(*v))
        })
        .map(|s| match &s.value {
            Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => *v,
            Value::Histogram(buckets) => buckets.last().map_or(0.0, |b| b.count),
            Value::Summary(_) => f64::NAN,
        })
}

#[tokio::test]
async fn metrics_count_what_happened_and_name_nothing() {
    let server = KinkoServer::builder(KINKO)
        .arg("--metrics-listen")
        .arg("127.0.0.1:0")
        .start();
    let endpoint = metrics_endpoint(&server);

    // Ordinary use.
    let ssm = server.ssm();
    ssm.put_parameter()
        .name(PARAMETER_NAME)
        .value(PARAMETER_VALUE)
        .r#type(ParameterType::SecureString)
        .send()
        .await
        .unwrap();
    for _ in 0..3 {
        ssm.get_parameter()
            .name(PARAMETER_NAME)
            .with_decryption(true)
            .send()
            .await
            .unwrap();
    }
    server
        .secrets()
        .create_secret()
        .name(SECRET_NAME)
        .secret_string(SECRET_VALUE)
        .send()
        .await
        .unwrap();

    // A forged signature, a caller a policy refuses, invented operations.
    let forged = TestCredentials {
        access_key_id: server.access_key_id.clone(),
        secret_access_key: "not-the-secret-key-at-all-0000000000000".into(),
        session_token: None,
    };
    let err = server
        .ssm_as(&forged)
        .get_parameter()
        .name(PARAMETER_NAME)
        .send()
        .await;
    assert!(err.is_err());
    let reader = server.user_with_policy(
        "metrics-reader",
        &json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Action": "ssm:GetParameter", "Resource": "arn:aws:ssm:*:*:parameter/dev/*"}]}),
    );
    let denied = server
        .ssm_as(&reader)
        .get_parameter()
        .name(PARAMETER_NAME)
        .send()
        .await;
    assert!(denied.is_err());
    for i in 0..5 {
        let target = format!("AmazonSSM.{INVENTED_OPERATION}{i}");
        let (status, _, _) = server.signed_post(
            &server.admin_credentials(),
            "ssm",
            &[
                ("content-type", "application/x-amz-json-1.1"),
                ("x-amz-target", &target),
            ],
            b"{}",
        );
        assert_eq!(status, 400);
    }

    // A webhook whose receiver is down: retried, and behind the feed.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", closed.local_addr().unwrap());
    drop(closed);
    let hook = server.admin("CreateWebhook", json!({"Url": url}));
    let hook_id = hook["Webhook"]["WebhookId"].as_str().unwrap().to_owned();
    ssm.put_parameter()
        .name(PARAMETER_NAME)
        .value("second-value")
        .r#type(ParameterType::SecureString)
        .overwrite(true)
        .send()
        .await
        .unwrap();

    // Wait until the sampler and the deliverer have had their rounds.
    let deadline = Instant::now() + Duration::from_secs(60);
    let (text, metrics) = loop {
        let (text, metrics) = scrape(&endpoint);
        let retried = value(&metrics, "kinko_webhook_retries_total", &[]).unwrap_or(0.0);
        let lag = value(
            &metrics,
            "kinko_webhook_lag_records",
            &[("webhook", &hook_id)],
        );
        if retried >= 1.0 && lag.is_some_and(|l| l >= 1.0) {
            break (text, metrics);
        }
        assert!(Instant::now() < deadline, "no webhook numbers yet:\n{text}");
        std::thread::sleep(Duration::from_millis(250));
    };

    let ok = |op: &str| {
        value(
            &metrics,
            "kinko_requests_total",
            &[("service", "ssm"), ("operation", op), ("status", "200")],
        )
    };
    assert_eq!(ok("GetParameter"), Some(3.0), "{text}");
    assert_eq!(ok("PutParameter"), Some(2.0));
    assert_eq!(
        value(
            &metrics,
            "kinko_requests_total",
            &[("service", "secretsmanager"), ("operation", "CreateSecret")]
        ),
        Some(1.0)
    );
    assert_eq!(
        value(
            &metrics,
            "kinko_authentication_failures_total",
            &[("reason", "InvalidSignatureException")]
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        value(&metrics, "kinko_access_denied_total", &[("service", "ssm")]),
        Some(1.0)
    );
    // The invented names share one label value, with the forged request
    // (an operation is named only for a caller who authenticated).
    assert_eq!(
        value(
            &metrics,
            "kinko_requests_total",
            &[
                ("service", "ssm"),
                ("operation", "unknown"),
                ("status", "400")
            ]
        ),
        Some(6.0),
        "{text}"
    );
    assert_eq!(
        value(
            &metrics,
            "kinko_requests_total",
            &[
                ("service", "ssm"),
                ("operation", "GetParameter"),
                ("status", "400")
            ]
        ),
        Some(1.0),
        "the denied read"
    );
    assert_eq!(
        value(
            &metrics,
            "kinko_request_duration_seconds",
            &[("service", "ssm"), ("operation", "GetParameter")]
        ),
        Some(4.0),
        "the histogram counts each request, answered or refused"
    );
    let hits = value(
        &metrics,
        "kinko_cache_lookups_total",
        &[("cache", "credentials"), ("result", "hit")],
    );
    assert!(hits.is_some_and(|h| h >= 3.0), "{text}");
    assert!(
        value(
            &metrics,
            "kinko_cache_lookups_total",
            &[("cache", "keyring")]
        )
        .is_some()
    );
    assert!(value(&metrics, "kinko_audit_queue_depth", &[]).is_some());
    assert!(
        value(&metrics, "kinko_audit_write_duration_seconds", &[]).is_some_and(|c| c >= 1.0),
        "{text}"
    );
    assert!(value(&metrics, "kinko_change_feed_head_sequence", &[]).is_some_and(|h| h >= 3.0));
    assert_eq!(
        value(&metrics, "kinko_webhooks", &[("status", "active")]),
        Some(1.0)
    );
    assert_eq!(
        value(
            &metrics,
            "kinko_scheduler_lock_held",
            &[("job", "deliver-webhooks")]
        ),
        Some(1.0)
    );
    assert!(
        value(
            &metrics,
            "kinko_scheduler_runs_total",
            &[("job", "deliver-webhooks"), ("outcome", "ok")]
        )
        .is_some_and(|r| r >= 1.0)
    );

    // Nothing the session named or used is in there.
    for leak in [
        PARAMETER_NAME,
        "metrics-canary",
        PARAMETER_VALUE,
        SECRET_NAME,
        SECRET_VALUE,
        INVENTED_OPERATION,
        &server.access_key_id,
        &server.secret_access_key,
        &reader.access_key_id,
        &reader.secret_access_key,
        "metrics-reader",
        &url,
    ] {
        assert!(!text.contains(leak), "/metrics shows {leak:?}:\n{text}");
    }

    // Only /metrics is served there, and the API is not.
    let (status, _) = http_get(&endpoint, "/").unwrap();
    assert_eq!(status, 404);
}

#[test]
fn a_taken_metrics_port_fails_the_start() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(KINKO)
        .args([
            "server",
            "--listen",
            "127.0.0.1:0",
            "--metrics-listen",
            &addr,
        ])
        .arg("--data-dir")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&addr), "{stderr}");
}
