use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, Ordering};

use kinko_model::ssm::ParameterType;
use kinko_store::{Change, ChangeOrigin, ChangeSource, Store};

use super::*;
use crate::ssm::PutParameterInput;

const T0: i64 = 1_800_000_000_000;

#[derive(Debug)]
struct TestClock(AtomicI64);

impl Clock for TestClock {
    fn now_ms(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// One request as the receiver saw it.
#[derive(Debug, Clone)]
struct Seen {
    url: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Seen {
    fn header(&self, name: &str) -> &str {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or_default()
    }
}

/// Answers from a script (then 200), recording what it was sent.
#[derive(Default)]
struct Receiver {
    script: Mutex<Vec<Result<u16, String>>>,
    /// The `Retry-After` of the next scripted answer.
    retry_after_s: Mutex<Option<u64>>,
    seen: Mutex<Vec<Seen>>,
}

#[async_trait]
impl WebhookSender for Receiver {
    async fn post(
        &self,
        url: &str,
        headers: &[(&str, String)],
        body: &[u8],
    ) -> Result<Answer, String> {
        self.seen.lock().unwrap().push(Seen {
            url: url.to_owned(),
            headers: headers
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
            body: body.to_vec(),
        });
        let mut script = self.script.lock().unwrap();
        if script.is_empty() {
            Ok(Answer::from(200))
        } else {
            script.remove(0).map(|status| Answer {
                status,
                retry_after_s: self.retry_after_s.lock().unwrap().take(),
            })
        }
    }
}

struct World {
    store: Arc<dyn Store>,
    clock: Arc<TestClock>,
    receiver: Arc<Receiver>,
    parameters: Arc<ParameterStore>,
    webhooks: Webhooks,
}

fn world() -> World {
    let store: Arc<dyn Store> = Arc::new(kinko_store::SqliteStore::open_in_memory().unwrap());
    let keyring = Arc::new(Keyring::new(
        store.clone(),
        kinko_crypto::RootKey::generate(),
        "123456789012".to_owned(),
    ));
    let clock = Arc::new(TestClock(AtomicI64::new(T0)));
    let receiver = Arc::new(Receiver::default());
    let parameters = Arc::new(ParameterStore::new(store.clone(), keyring.clone()));
    let webhooks = Webhooks::new(
        store.clone(),
        store.clone(),
        keyring,
        clock.clone(),
        receiver.clone(),
        parameters.clone(),
    );
    World {
        store,
        clock,
        receiver,
        parameters,
        webhooks,
    }
}

fn caller() -> Caller {
    Caller {
        region: "us-east-1".into(),
        account_id: "123456789012".into(),
        arn: "arn:aws:iam::123456789012:user/ops".into(),
    }
}

impl World {
    async fn change(&self, source: ChangeSource, operation: &str, name: &str) {
        let origin = ChangeOrigin {
            time_ms: self.clock.now_ms(),
            region: "us-east-1".into(),
            account: "123456789012".into(),
            actor: "arn:aws:iam::123456789012:user/alice".into(),
        };
        let change = Change::new(
            &origin,
            source,
            operation,
            format!("arn:aws:ssm:us-east-1:123456789012:parameter{name}"),
            name,
        )
        .with("event", "Update")
        .with("type", "String");
        self.store.append_changes(&[change]).await.unwrap();
    }

    async fn hook(&self, filter: &[&str]) -> (Webhook, SecretString) {
        let items: Vec<String> = filter.iter().map(|s| (*s).to_owned()).collect();
        self.webhooks
            .create(
                &caller(),
                Target::parse("https://hooks.example.com/services/T0/B0/TOKEN").unwrap(),
                WebhookFilter::parse(&items).unwrap(),
                None,
            )
            .await
            .unwrap()
    }

    fn seen(&self) -> Vec<Seen> {
        self.receiver.seen.lock().unwrap().clone()
    }

    fn advance(&self, ms: i64) {
        self.clock.0.fetch_add(ms, Ordering::SeqCst);
    }
}

fn verifies(seen: &Seen, secret: &SecretString) -> bool {
    let key = signing::key_of(secret).unwrap();
    let timestamp: i64 = seen.header("webhook-timestamp").parse().unwrap();
    let expected =
        signing::signature_header(&[key], seen.header("webhook-id"), timestamp, &seen.body);
    seen.header("webhook-signature")
        .split(' ')
        .any(|entry| entry == expected)
}

#[tokio::test]
async fn a_change_after_creation_is_delivered_once_signed_and_in_shape() {
    let w = world();
    w.change(ChangeSource::Ssm, "PutParameter", "/before/creation")
        .await;
    let (hook, secret) = w.hook(&[]).await;
    assert_eq!(
        hook.url, "https://hooks.example.com/…",
        "listings hide the URL's path"
    );
    w.change(ChangeSource::Ssm, "PutParameter", "/app/db").await;

    let round = w.webhooks.deliver_due().await.unwrap();
    assert_eq!(
        round,
        DeliveryRound {
            delivered: 1,
            retried: 0,
            failed: 0
        }
    );
    let seen = w.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        seen[0].url,
        "https://hooks.example.com/services/T0/B0/TOKEN"
    );
    assert!(verifies(&seen[0], &secret));
    let body: serde_json::Value = serde_json::from_slice(&seen[0].body).unwrap();
    assert_eq!(body["detail-type"], "Parameter Store Change");
    assert_eq!(body["detail"]["name"], "/app/db");
    assert_eq!(body["id"], seen[0].header("webhook-id"));

    assert_eq!(
        w.webhooks.deliver_due().await.unwrap(),
        DeliveryRound::default()
    );
    assert_eq!(w.seen().len(), 1, "nothing twice");
    let state = w.webhooks.get(&hook.id).await.unwrap().state;
    assert_eq!(state.last_delivered_ms, Some(T0));
}

#[tokio::test]
async fn records_the_filter_skips_move_the_position_without_a_request() {
    let w = world();
    let (hook, _) = w.hook(&["source=aws.ssm", "name-prefix=/prod/"]).await;
    w.change(ChangeSource::Ssm, "PutParameter", "/dev/db").await;
    w.change(ChangeSource::Kms, "DisableKey", "/prod/k").await;
    w.change(ChangeSource::Ssm, "PutParameter", "/prod/db")
        .await;
    w.webhooks.deliver_due().await.unwrap();
    let names: Vec<String> = w
        .seen()
        .iter()
        .map(|s| {
            serde_json::from_slice::<serde_json::Value>(&s.body).unwrap()["detail"]["name"]
                .to_string()
        })
        .collect();
    assert_eq!(names, ["\"/prod/db\""]);
    w.change(ChangeSource::Ssm, "PutParameter", "/dev/other")
        .await;
    w.webhooks.deliver_due().await.unwrap();
    let head = w.store.change_bounds().await.unwrap().head;
    assert_eq!(
        w.webhooks
            .get(&hook.id)
            .await
            .unwrap()
            .state
            .delivered_through,
        head
    );
    assert_eq!(w.seen().len(), 1);
}

#[tokio::test]
async fn a_failing_receiver_is_retried_with_backoff_keeping_the_event_id() {
    let w = world();
    let (hook, _) = w.hook(&[]).await;
    *w.receiver.script.lock().unwrap() = vec![Ok(500), Err("connection refused".into())];
    w.change(ChangeSource::Ssm, "PutParameter", "/app/a").await;
    w.change(ChangeSource::Ssm, "PutParameter", "/app/b").await;

    assert_eq!(w.webhooks.deliver_due().await.unwrap().retried, 1);
    let state = w.webhooks.get(&hook.id).await.unwrap().state;
    assert_eq!(
        (state.attempts, state.last_error.as_deref()),
        (1, Some("HTTP 500"))
    );
    assert!(state.next_attempt_ms > T0 && state.next_attempt_ms <= T0 + 5_000);
    // Not due yet: nothing is sent.
    w.webhooks.deliver_due().await.unwrap();
    assert_eq!(w.seen().len(), 1);

    w.advance(5_000);
    assert_eq!(w.webhooks.deliver_due().await.unwrap().retried, 1);
    let state = w.webhooks.get(&hook.id).await.unwrap().state;
    assert_eq!(state.attempts, 2);
    assert_eq!(state.last_error.as_deref(), Some("connection refused"));
    assert!(
        state.next_attempt_ms - (T0 + 5_000) > 5_000,
        "the wait grows"
    );

    w.advance(15_000);
    let round = w.webhooks.deliver_due().await.unwrap();
    assert_eq!(
        round.delivered, 2,
        "the failed record, then the one behind it"
    );
    let ids: Vec<String> = w
        .seen()
        .iter()
        .map(|s| s.header("webhook-id").to_owned())
        .collect();
    assert_eq!(ids.len(), 4);
    assert!(
        ids[0] == ids[1] && ids[1] == ids[2],
        "one event, three attempts: {ids:?}"
    );
    assert_ne!(ids[2], ids[3], "feed order: b after a");
    let state = w.webhooks.get(&hook.id).await.unwrap().state;
    assert_eq!(
        (state.attempts, state.failing_since_ms, state.last_error),
        (0, None, None)
    );
}

#[tokio::test]
async fn a_receiver_down_past_the_retry_window_marks_the_hook_failed() {
    let w = world();
    let (hook, _) = w.hook(&[]).await;
    *w.receiver.script.lock().unwrap() = vec![Ok(503); 100];
    w.change(ChangeSource::Ssm, "PutParameter", "/app/a").await;
    w.webhooks.deliver_due().await.unwrap();
    w.advance(RETRY_WINDOW_MS - 1);
    assert_eq!(w.webhooks.deliver_due().await.unwrap().retried, 1);
    w.advance(MAX_RETRY_MS);
    assert_eq!(w.webhooks.deliver_due().await.unwrap().failed, 1);
    let state = w.webhooks.get(&hook.id).await.unwrap().state;
    assert_eq!(state.status, WebhookStatus::Failed);
    let sent = w.seen().len();
    w.advance(MAX_RETRY_MS);
    w.change(ChangeSource::Ssm, "PutParameter", "/app/b").await;
    w.webhooks.deliver_due().await.unwrap();
    assert_eq!(w.seen().len(), sent, "a failed hook delivers no more");
}

#[tokio::test]
async fn an_enabled_hook_delivers_what_it_missed_or_skips_it_from_the_head() {
    let w = world();
    let (hook, _) = w.hook(&[]).await;
    *w.receiver.script.lock().unwrap() = vec![Ok(410)];
    w.change(ChangeSource::Ssm, "PutParameter", "/app/a").await;
    assert_eq!(w.webhooks.deliver_due().await.unwrap().failed, 1);
    w.change(ChangeSource::Ssm, "PutParameter", "/app/b").await;

    // Enabled where it stopped: /app/a again, then /app/b, in order.
    let enabled = w.webhooks.enable(&hook.id, false).await.unwrap();
    assert_eq!(enabled.state.status, WebhookStatus::Active);
    assert_eq!(enabled.state.last_error, None);
    assert_eq!(enabled.state.attempts, 0);
    assert_eq!(w.webhooks.deliver_due().await.unwrap().delivered, 2);
    let names: Vec<String> = w
        .seen()
        .iter()
        .map(|s| {
            serde_json::from_slice::<serde_json::Value>(&s.body).unwrap()["detail"]["name"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(names, ["/app/a", "/app/a", "/app/b"]);

    // Failed again; enabled from the head, the backlog is skipped.
    *w.receiver.script.lock().unwrap() = vec![Ok(410)];
    w.change(ChangeSource::Ssm, "PutParameter", "/app/c").await;
    assert_eq!(w.webhooks.deliver_due().await.unwrap().failed, 1);
    w.change(ChangeSource::Ssm, "PutParameter", "/app/d").await;
    w.webhooks.enable(&hook.id, true).await.unwrap();
    assert_eq!(w.webhooks.deliver_due().await.unwrap().delivered, 0);
    w.change(ChangeSource::Ssm, "PutParameter", "/app/e").await;
    assert_eq!(w.webhooks.deliver_due().await.unwrap().delivered, 1);
    let last = w.seen().last().unwrap().body.clone();
    assert!(String::from_utf8(last).unwrap().contains("/app/e"));

    assert!(matches!(
        w.webhooks.enable("wh-nope", false).await,
        Err(WebhookError::NotFound(_))
    ));
}

#[tokio::test]
async fn retry_after_on_429_or_503_waits_longer_up_to_an_hour() {
    let w = world();
    let (hook, _) = w.hook(&[]).await;
    w.change(ChangeSource::Ssm, "PutParameter", "/app/a").await;
    async fn next_attempt(w: &World, id: &str) -> i64 {
        w.webhooks.get(id).await.unwrap().state.next_attempt_ms
    }
    // 429 asking for 10 minutes: no retry at the 5 s backoff.
    *w.receiver.script.lock().unwrap() = vec![Ok(429)];
    *w.receiver.retry_after_s.lock().unwrap() = Some(600);
    w.webhooks.deliver_due().await.unwrap();
    assert_eq!(next_attempt(&w, &hook.id).await, w.clock.now_ms() + 600_000);
    // Asking for a week is held to the longest backoff.
    w.advance(600_000);
    *w.receiver.script.lock().unwrap() = vec![Ok(503)];
    *w.receiver.retry_after_s.lock().unwrap() = Some(7 * 24 * 3600);
    w.webhooks.deliver_due().await.unwrap();
    assert_eq!(
        next_attempt(&w, &hook.id).await,
        w.clock.now_ms() + MAX_RETRY_MS
    );
    // On a 500 it means nothing: the backoff (third attempt: 45 s, less jitter).
    w.advance(MAX_RETRY_MS);
    *w.receiver.script.lock().unwrap() = vec![Ok(500)];
    *w.receiver.retry_after_s.lock().unwrap() = Some(3000);
    w.webhooks.deliver_due().await.unwrap();
    assert!(next_attempt(&w, &hook.id).await <= w.clock.now_ms() + 45_000);
}

#[tokio::test]
async fn gone_fails_the_hook_at_once() {
    let w = world();
    let (hook, _) = w.hook(&[]).await;
    *w.receiver.script.lock().unwrap() = vec![Ok(410)];
    w.change(ChangeSource::Ssm, "PutParameter", "/app/a").await;
    assert_eq!(w.webhooks.deliver_due().await.unwrap().failed, 1);
    let state = w.webhooks.get(&hook.id).await.unwrap().state;
    assert_eq!(state.status, WebhookStatus::Failed);
    assert_eq!(state.last_error.as_deref(), Some("HTTP 410 Gone"));
}

#[tokio::test]
async fn a_rotated_secret_signs_beside_the_new_one_for_its_grace() {
    let w = world();
    let (hook, old) = w.hook(&[]).await;
    let (_, new) = w.webhooks.rotate_secret(&hook.id, 60_000).await.unwrap();
    assert_ne!(old.expose(), new.expose());
    w.change(ChangeSource::Ssm, "PutParameter", "/app/a").await;
    w.webhooks.deliver_due().await.unwrap();
    let during = &w.seen()[0];
    assert_eq!(during.header("webhook-signature").split(' ').count(), 2);
    assert!(verifies(during, &old) && verifies(during, &new));

    w.advance(60_000);
    w.change(ChangeSource::Ssm, "PutParameter", "/app/b").await;
    w.webhooks.deliver_due().await.unwrap();
    let after = &w.seen()[1];
    assert!(verifies(after, &new) && !verifies(after, &old));
    assert!(
        w.webhooks
            .rotate_secret(&hook.id, MAX_SECRET_GRACE_MS + 1)
            .await
            .is_err()
    );
    assert!(matches!(
        w.webhooks.rotate_secret("wh-none", 0).await,
        Err(WebhookError::NotFound(_))
    ));
}

#[tokio::test]
async fn a_url_reference_is_read_at_delivery_and_never_shown() {
    let w = world();
    let url = "https://hooks.slack.example/services/T1/B1/SECRET";
    let mut put = PutParameterInput::new(
        "/hooks/slack",
        SecretString::new(url.to_owned()),
        Some(ParameterType::SecureString),
    );
    put.overwrite = false;
    w.parameters.put_parameter(&caller(), put).await.unwrap();
    let (hook, _) = w
        .webhooks
        .create(
            &caller(),
            Target::parse("ssm:/hooks/slack").unwrap(),
            WebhookFilter::default(),
            None,
        )
        .await
        .unwrap();
    assert_eq!(hook.url, "ssm:/hooks/slack");
    w.change(ChangeSource::Ssm, "PutParameter", "/app/a").await;
    w.webhooks.deliver_due().await.unwrap();
    assert_eq!(w.seen().last().unwrap().url, url);

    // A reference to nothing fails the attempt and says which parameter.
    let (missing, _) = w
        .webhooks
        .create(
            &caller(),
            Target::parse("ssm:/hooks/none").unwrap(),
            WebhookFilter::default(),
            None,
        )
        .await
        .unwrap();
    w.change(ChangeSource::Ssm, "PutParameter", "/app/b").await;
    w.webhooks.deliver_due().await.unwrap();
    let state = w.webhooks.get(&missing.id).await.unwrap().state;
    assert_eq!(
        state.last_error.as_deref(),
        Some("the URL parameter /hooks/none could not be read")
    );
    for listed in w.webhooks.list().await.unwrap() {
        assert!(!format!("{listed:?}").contains("SECRET"));
    }
}

#[tokio::test]
async fn a_hook_behind_the_retention_fails_instead_of_skipping_silently() {
    let w = world();
    let (hook, _) = w.hook(&[]).await;
    *w.receiver.script.lock().unwrap() = vec![Ok(500)];
    w.change(ChangeSource::Ssm, "PutParameter", "/app/a").await;
    w.webhooks.deliver_due().await.unwrap();
    w.store.trim_changes(T0 + 1).await.unwrap();
    w.change(ChangeSource::Ssm, "PutParameter", "/app/b").await;
    w.advance(10_000);
    assert_eq!(w.webhooks.deliver_due().await.unwrap().failed, 1);
    let state = w.webhooks.get(&hook.id).await.unwrap().state;
    assert_eq!(state.status, WebhookStatus::Failed);
    assert!(state.last_error.unwrap().contains("retention"));
    // What it missed is gone: enabling says so, unless it skips to the head.
    let refused = w.webhooks.enable(&hook.id, false).await.unwrap_err();
    assert!(refused.to_string().contains("--from-head"), "{refused}");
    let enabled = w.webhooks.enable(&hook.id, true).await.unwrap();
    assert_eq!(enabled.state.status, WebhookStatus::Active);
}

#[tokio::test]
async fn bad_requests_are_refused_and_limits_hold() {
    let w = world();
    let long = "x".repeat(300);
    let e = w
        .webhooks
        .create(
            &caller(),
            Target::parse("https://a.example/x").unwrap(),
            WebhookFilter::default(),
            Some(long),
        )
        .await
        .unwrap_err();
    assert!(matches!(e, WebhookError::Validation(_)));
    assert!(matches!(
        w.webhooks.get("wh-none").await,
        Err(WebhookError::NotFound(_))
    ));
    assert!(matches!(
        w.webhooks.delete("wh-none").await,
        Err(WebhookError::NotFound(_))
    ));
    for _ in 0..MAX_WEBHOOKS {
        w.hook(&[]).await;
    }
    let e = w
        .webhooks
        .create(
            &caller(),
            Target::parse("https://a.example/x").unwrap(),
            WebhookFilter::default(),
            None,
        )
        .await
        .unwrap_err();
    assert!(matches!(e, WebhookError::Limit { max: MAX_WEBHOOKS }));
}
