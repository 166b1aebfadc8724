//! Prometheus metrics, served on their own listener (`--metrics-listen`)
//! as `GET /metrics` in the Prometheus text format (0.0.4).
//!
//! What is counted: requests by service, operation and status, with their
//! latency; authentication failures by reason; denials by service; the
//! audit queue and its append latency; the keyring's and the access keys'
//! cache hits; the change feed's head and each webhook's lag behind it;
//! webhook deliveries, retries and failures; scheduler job runs and which
//! jobs' singleton locks this server holds.
//!
//! No label ever carries a parameter's or secret's name, a value or a
//! caller's text: operations are labelled only once the service knew them
//! (anything else is `unknown`), so a client cannot grow the label set.
//! Webhooks are labelled by their id, which names nothing.

use std::sync::Arc;

use kinko_core::credentials::Credentials;
use kinko_core::keyring::Keyring;
use kinko_core::webhooks::DeliveryRound;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::audit::AuditLog;

/// Latency buckets: 0.25 ms to about 8 s, doubling.
pub fn seconds_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.000_25, 2.0, 16))
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    service: &'static str,
    operation: String,
    status: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OperationLabels {
    service: &'static str,
    operation: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabels {
    reason: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ServiceLabels {
    service: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct WebhookLabels {
    webhook: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StatusLabels {
    status: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct JobLabels {
    job: &'static str,
    outcome: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct JobOnly {
    job: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CacheLabels {
    cache: &'static str,
    result: &'static str,
}

/// One answered request, as the request path hands it over.
#[derive(Debug, Clone)]
pub struct RequestOutcome {
    /// `ssm`, `secretsmanager`, `kms`, `kinko`, `sts`, or `unknown`.
    pub service: &'static str,
    /// A served operation's name, or `unknown` (see the module doc).
    pub operation: String,
    pub status: u16,
    pub seconds: f64,
    /// The error code, when authentication failed.
    pub authentication_failure: Option<&'static str>,
    /// Refused by a policy.
    pub denied: bool,
}

/// One webhook's delivery state, as the sampler reads it from the store.
#[derive(Debug, Clone)]
pub struct WebhookSample {
    pub id: String,
    pub failed: bool,
    /// Change records after its position, up to the head.
    pub lag: i64,
}

pub type SharedMetrics = Arc<Metrics>;

#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    request_seconds: Family<OperationLabels, Histogram, fn() -> Histogram>,
    authentication_failures: Family<ReasonLabels, Counter>,
    denials: Family<ServiceLabels, Counter>,
    webhook_deliveries: Counter,
    webhook_retries: Counter,
    webhook_failures: Counter,
    webhook_lag: Family<WebhookLabels, Gauge>,
    webhooks: Family<StatusLabels, Gauge>,
    feed_head: Gauge,
    job_runs: Family<JobLabels, Counter>,
    job_lock: Family<JobOnly, Gauge>,
}

/// What the metrics read live at each scrape.
#[derive(Clone)]
pub struct Sources {
    pub keyring: Arc<Keyring>,
    pub credentials: Arc<Credentials>,
    pub audit: Option<AuditLog>,
}

impl Metrics {
    pub fn new(sources: Option<Sources>) -> Metrics {
        let mut registry = Registry::with_prefix("kinko");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "requests",
            "API requests answered, by service, operation and HTTP status",
            requests.clone(),
        );
        let request_seconds =
            Family::<OperationLabels, Histogram, fn() -> Histogram>::new_with_constructor(
                seconds_histogram,
            );
        registry.register(
            "request_duration_seconds",
            "Time from a request's first byte to its answer",
            request_seconds.clone(),
        );
        let authentication_failures = Family::<ReasonLabels, Counter>::default();
        registry.register(
            "authentication_failures",
            "Requests refused before any policy ran, by error code",
            authentication_failures.clone(),
        );
        let denials = Family::<ServiceLabels, Counter>::default();
        registry.register(
            "access_denied",
            "Authenticated requests a policy refused, by service",
            denials.clone(),
        );
        let webhook_deliveries = Counter::default();
        registry.register(
            "webhook_deliveries",
            "Change records delivered to webhooks (2xx for all their events)",
            webhook_deliveries.clone(),
        );
        let webhook_retries = Counter::default();
        registry.register(
            "webhook_retries",
            "Failed webhook attempts that will be retried",
            webhook_retries.clone(),
        );
        let webhook_failures = Counter::default();
        registry.register(
            "webhook_failures",
            "Webhook subscriptions marked failed (retries ran out, or 410 Gone)",
            webhook_failures.clone(),
        );
        let webhook_lag = Family::<WebhookLabels, Gauge>::default();
        registry.register(
            "webhook_lag_records",
            "Change records a webhook has yet to be delivered, by webhook id",
            webhook_lag.clone(),
        );
        let webhooks = Family::<StatusLabels, Gauge>::default();
        registry.register(
            "webhooks",
            "Webhook subscriptions by status (active, failed)",
            webhooks.clone(),
        );
        let feed_head = Gauge::default();
        registry.register(
            "change_feed_head_sequence",
            "Sequence number of the newest change record",
            feed_head.clone(),
        );
        let job_runs = Family::<JobLabels, Counter>::default();
        registry.register(
            "scheduler_runs",
            "Scheduler job runs on this server, by job and outcome (ok, error)",
            job_runs.clone(),
        );
        let job_lock = Family::<JobOnly, Gauge>::default();
        registry.register(
            "scheduler_lock_held",
            "1 while this server holds the job's singleton lock",
            job_lock.clone(),
        );
        if let Some(sources) = sources {
            if let Some(audit) = &sources.audit {
                registry.register(
                    "audit_write_duration_seconds",
                    "Time one batch of audit records took to append",
                    audit.write_seconds(),
                );
            }
            registry.register_collector(Box::new(Live(sources)));
        }
        Metrics {
            registry,
            requests,
            request_seconds,
            authentication_failures,
            denials,
            webhook_deliveries,
            webhook_retries,
            webhook_failures,
            webhook_lag,
            webhooks,
            feed_head,
            job_runs,
            job_lock,
        }
    }

    pub fn request(&self, outcome: RequestOutcome) {
        let RequestOutcome {
            service,
            operation,
            status,
            seconds,
            authentication_failure,
            denied,
        } = outcome;
        let labels = OperationLabels { service, operation };
        self.request_seconds.get_or_create(&labels).observe(seconds);
        self.requests
            .get_or_create(&RequestLabels {
                service,
                operation: labels.operation,
                status,
            })
            .inc();
        if let Some(reason) = authentication_failure {
            self.authentication_failures
                .get_or_create(&ReasonLabels {
                    reason: reason.to_owned(),
                })
                .inc();
        }
        if denied {
            self.denials.get_or_create(&ServiceLabels { service }).inc();
        }
    }

    pub fn webhook_round(&self, round: &DeliveryRound) {
        self.webhook_deliveries.inc_by(round.delivered);
        self.webhook_retries.inc_by(round.retried);
        self.webhook_failures.inc_by(round.failed);
    }

    pub fn job_ran(&self, job: &'static str, ok: bool) {
        let outcome = if ok { "ok" } else { "error" };
        self.job_runs
            .get_or_create(&JobLabels { job, outcome })
            .inc();
    }

    pub fn job_lock(&self, job: &'static str, held: bool) {
        self.job_lock
            .get_or_create(&JobOnly { job })
            .set(i64::from(held));
    }

    /// The change feed's head and every webhook's state, as last sampled.
    pub fn feed(&self, head: i64, webhooks: &[WebhookSample]) {
        self.feed_head.set(head);
        self.webhook_lag.clear();
        let (mut active, mut failed) = (0, 0);
        for hook in webhooks {
            self.webhook_lag
                .get_or_create(&WebhookLabels {
                    webhook: hook.id.clone(),
                })
                .set(hook.lag);
            if hook.failed {
                failed += 1;
            } else {
                active += 1;
            }
        }
        for (status, count) in [("active", active), ("failed", failed)] {
            self.webhooks
                .get_or_create(&StatusLabels { status })
                .set(count);
        }
    }

    /// The Prometheus text exposition of everything above.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        // Writing into a String cannot fail; a collector's error leaves
        // what was written.
        let _ = prometheus_client::encoding::prometheus_text::encode(&mut text, &self.registry);
        text
    }
}

/// The values read at each scrape from where they live.
struct Live(Sources);

impl std::fmt::Debug for Live {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Live")
    }
}

impl Collector for Live {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let caches = [
            ("keyring", self.0.keyring.cache_counts()),
            ("credentials", self.0.credentials.cache_counts()),
        ];
        let mut lookups = encoder.encode_descriptor(
            "cache_lookups",
            "Lookups in the keyring's and the access keys' caches, by result",
            None,
            prometheus_client::metrics::MetricType::Counter,
        )?;
        for (cache, counts) in caches {
            for (result, value) in [("hit", counts.hits), ("miss", counts.misses)] {
                let labels = CacheLabels { cache, result };
                ConstCounter::new(value).encode(lookups.encode_family(&labels)?)?;
            }
        }
        if let Some(audit) = &self.0.audit {
            let queued = i64::try_from(audit.queued()).unwrap_or(i64::MAX);
            let gauge = ConstGauge::new(queued);
            let metric = encoder.encode_descriptor(
                "audit_queue_depth",
                "Audit records waiting for the writer",
                None,
                gauge.metric_type(),
            )?;
            gauge.encode(metric)?;
        }
        Ok(())
    }
}

/// Serves `GET /metrics` on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    metrics: SharedMetrics,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use axum::http::header;
    use axum::routing::get;
    let app = axum::Router::new().route(
        "/metrics",
        get(move || {
            let metrics = metrics.clone();
            async move {
                (
                    [(
                        header::CONTENT_TYPE,
                        "text/plain; version=0.0.4; charset=utf-8",
                    )],
                    metrics.encode(),
                )
            }
        }),
    );
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(text: &str, line_start: &str) -> Option<f64> {
        text.lines()
            .find(|l| l.starts_with(line_start))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
    }

    #[test]
    fn requests_denials_and_failures_are_counted_by_their_labels() {
        let metrics = Metrics::new(None);
        let ok = RequestOutcome {
            service: "ssm",
            operation: "GetParameter".into(),
            status: 200,
            seconds: 0.002,
            authentication_failure: None,
            denied: false,
        };
        metrics.request(ok.clone());
        metrics.request(ok.clone());
        metrics.request(RequestOutcome {
            status: 400,
            denied: true,
            ..ok.clone()
        });
        metrics.request(RequestOutcome {
            operation: "unknown".into(),
            status: 400,
            authentication_failure: Some("InvalidSignatureException"),
            ..ok
        });
        let text = metrics.encode();
        assert_eq!(
            sample(
                &text,
                r#"kinko_requests_total{service="ssm",operation="GetParameter",status="200"}"#
            ),
            Some(2.0),
            "{text}"
        );
        assert_eq!(
            sample(&text, r#"kinko_access_denied_total{service="ssm"}"#),
            Some(1.0)
        );
        assert_eq!(
            sample(
                &text,
                r#"kinko_authentication_failures_total{reason="InvalidSignatureException"}"#
            ),
            Some(1.0)
        );
        assert_eq!(
            sample(
                &text,
                r#"kinko_request_duration_seconds_count{service="ssm",operation="GetParameter"}"#
            ),
            Some(3.0)
        );
    }

    #[test]
    fn a_deleted_webhook_leaves_the_lag_gauge() {
        let metrics = Metrics::new(None);
        let hook = |id: &str, failed| WebhookSample {
            id: id.into(),
            failed,
            lag: 4,
        };
        metrics.feed(10, &[hook("wh-1", false), hook("wh-2", true)]);
        let text = metrics.encode();
        assert_eq!(
            sample(&text, r#"kinko_webhook_lag_records{webhook="wh-2"}"#),
            Some(4.0)
        );
        assert_eq!(
            sample(&text, r#"kinko_webhooks{status="failed"}"#),
            Some(1.0)
        );
        metrics.feed(11, &[hook("wh-1", false)]);
        let text = metrics.encode();
        assert!(!text.contains("wh-2"), "{text}");
        assert_eq!(sample(&text, "kinko_change_feed_head_sequence"), Some(11.0));
        assert_eq!(
            sample(&text, r#"kinko_webhooks{status="failed"}"#),
            Some(0.0)
        );
    }
}
