//! Webhooks: subscriptions to the change feed, delivered as
//! EventBridge-shaped events ([`event`]) signed as Standard Webhooks
//! ([`signing`]).
//!
//! Delivery is at least once and in feed order per subscription: a
//! subscription's position (`delivered_through`) moves past a record only
//! once all of its events were answered 2xx (or the filter skipped it), so
//! a crash between sending and saving resends the same events with the
//! same ids. A failed attempt is retried with exponential backoff (5 s,
//! ×3 each time, at most an hour apart, with jitter) until
//! [`RETRY_WINDOW_MS`] after the first failure; then, or when the receiver
//! answers 410 Gone, the subscription is marked `failed` and delivers no
//! more. One server delivers at a time (the scheduler's singleton lock);
//! the store's compare-and-swap on the position keeps a stale deliverer
//! from moving it back.

pub mod event;
mod filter;
pub mod signing;
mod target;

use std::sync::Arc;

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use kinko_crypto::{SecretBytes, SecretString};
use kinko_store::{
    ChangeRecord, ChangeRows, StoreError, WebhookRecord, WebhookRows, WebhookState, WebhookStatus,
};
use serde::{Deserialize, Serialize};

use crate::Caller;
use crate::clock::Clock;
use crate::keyring::{Keyring, KeyringError};
use crate::ssm::ParameterStore;

pub use event::{Event, events_of};
pub use filter::WebhookFilter;
pub use target::{Target, check_url, is_forbidden_address, origin_of};

/// Subscriptions one store holds.
pub const MAX_WEBHOOKS: usize = 100;
/// A failing record is retried for this long after its first failure.
pub const RETRY_WINDOW_MS: i64 = 24 * 3600 * 1000;
/// A rotated-out secret still signs for this long unless told otherwise.
pub const DEFAULT_SECRET_GRACE_MS: i64 = 24 * 3600 * 1000;
/// The longest grace a rotation may give the old secret (a week).
pub const MAX_SECRET_GRACE_MS: i64 = 7 * 24 * 3600 * 1000;
/// Records read per subscription per round.
const BATCH: usize = 100;
const FIRST_RETRY_MS: i64 = 5_000;
const MAX_RETRY_MS: i64 = 3600 * 1000;

#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("{0}")]
    Validation(String),
    #[error("Webhook {0} does not exist.")]
    NotFound(String),
    #[error("A store holds at most {max} webhooks; delete one first.")]
    Limit { max: usize },
    /// Another server moved the subscription meanwhile.
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("webhook secret: {0}")]
    Keyring(#[from] KeyringError),
}

/// What a receiver answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    /// Its `Retry-After`, in seconds from now (a date already converted).
    pub retry_after_s: Option<u64>,
}

impl From<u16> for Answer {
    fn from(status: u16) -> Answer {
        Answer {
            status,
            retry_after_s: None,
        }
    }
}

/// Sends one delivery. Implemented by the server over HTTP; its errors
/// say what failed (refused, timed out, TLS) and never quote the URL.
#[async_trait]
pub trait WebhookSender: Send + Sync {
    /// POSTs `body` with `headers`: what the receiver answered, or why
    /// nothing came.
    async fn post(
        &self,
        url: &str,
        headers: &[(&str, String)],
        body: &[u8],
    ) -> Result<Answer, String>;
}

/// A subscription's configuration, kept as JSON beside its sealed secrets.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Config {
    /// `Url`: the URL sealed under the root key (base64); `Parameter`: the
    /// parameter's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sealed_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    parameter: Option<String>,
    /// What listings show: the URL's origin, or `ssm:NAME`.
    shown_url: String,
    filter: WebhookFilter,
    /// The region and account a parameter reference is read in.
    region: String,
    account: String,
    created_by: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    description: Option<String>,
}

/// A subscription as the admin API shows it (no secret, no whole URL).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    pub id: String,
    /// The URL's origin (`https://hooks.slack.com/…`) or `ssm:/hooks/slack`.
    pub url: String,
    pub filter: WebhookFilter,
    pub description: Option<String>,
    pub created_ms: i64,
    pub created_by: String,
    pub state: WebhookState,
    /// Until when the previous secret still signs, during a rotation.
    pub previous_secret_until_ms: Option<i64>,
}

/// What a test delivery got back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestOutcome {
    pub event_id: String,
    pub status: Option<u16>,
    pub error: Option<String>,
}

/// What one delivery round did, for logs and metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryRound {
    /// Records delivered (each one or more events).
    pub delivered: u64,
    /// Failed attempts that will be retried.
    pub retried: u64,
    /// Subscriptions marked failed in this round.
    pub failed: u64,
}

pub struct Webhooks {
    rows: Arc<dyn WebhookRows>,
    changes: Arc<dyn ChangeRows>,
    keyring: Arc<Keyring>,
    clock: Arc<dyn Clock>,
    sender: Arc<dyn WebhookSender>,
    /// Reads `ssm:` URL references (with decryption, as the account).
    parameters: Arc<ParameterStore>,
}

fn secret_aad(id: &str) -> Vec<u8> {
    format!("kinko-webhook-secret:{id}").into_bytes()
}

fn url_aad(id: &str) -> Vec<u8> {
    format!("kinko-webhook-url:{id}").into_bytes()
}

impl Webhooks {
    pub fn new(
        rows: Arc<dyn WebhookRows>,
        changes: Arc<dyn ChangeRows>,
        keyring: Arc<Keyring>,
        clock: Arc<dyn Clock>,
        sender: Arc<dyn WebhookSender>,
        parameters: Arc<ParameterStore>,
    ) -> Webhooks {
        Webhooks {
            rows,
            changes,
            keyring,
            clock,
            sender,
            parameters,
        }
    }

    /// Creates a subscription delivering what changes from now on; its
    /// signing secret is returned once and kept only sealed.
    pub async fn create(
        &self,
        caller: &Caller,
        target: Target,
        filter: WebhookFilter,
        description: Option<String>,
    ) -> Result<(Webhook, SecretString), WebhookError> {
        if let Some(d) = &description
            && (d.len() > 256 || d.chars().any(char::is_control))
        {
            return Err(WebhookError::Validation(
                "A description has at most 256 characters and no control characters.".to_owned(),
            ));
        }
        let id = format!("wh-{}", hex::encode(kinko_crypto::random_bytes(8)));
        let (sealed_url, parameter, shown_url) = match &target {
            Target::Url(url) => {
                let sealed = self.keyring.seal_internal(url.as_bytes(), &url_aad(&id))?;
                (Some(STANDARD.encode(sealed)), None, origin_of(url))
            }
            Target::Parameter(name) => (None, Some(name.clone()), format!("ssm:{name}")),
        };
        let config = Config {
            sealed_url,
            parameter,
            shown_url,
            filter,
            region: caller.region.clone(),
            account: caller.account_id.clone(),
            created_by: caller.arn.clone(),
            description,
        };
        let secret = signing::new_secret();
        let sealed_secret = self
            .keyring
            .seal_internal(secret.expose().as_bytes(), &secret_aad(&id))?;
        let head = self.changes.change_bounds().await?.head;
        let record = WebhookRecord {
            id: id.clone(),
            config: serde_json::to_string(&config)
                .map_err(|e| WebhookError::Validation(e.to_string()))?,
            sealed_secret,
            previous_sealed_secret: None,
            previous_until_ms: None,
            created_ms: self.clock.now_ms(),
            state: WebhookState::starting_after(head),
        };
        self.rows
            .create_webhook(record.clone(), MAX_WEBHOOKS)
            .await
            .map_err(|e| match e {
                StoreError::LimitExceeded { max } => WebhookError::Limit { max },
                e => e.into(),
            })?;
        Ok((view(&record)?, secret))
    }

    pub async fn list(&self) -> Result<Vec<Webhook>, WebhookError> {
        self.rows.list_webhooks().await?.iter().map(view).collect()
    }

    pub async fn get(&self, id: &str) -> Result<Webhook, WebhookError> {
        view(&self.record(id).await?)
    }

    pub async fn delete(&self, id: &str) -> Result<(), WebhookError> {
        if self.rows.delete_webhook(id).await? {
            Ok(())
        } else {
            Err(WebhookError::NotFound(id.to_owned()))
        }
    }

    /// A new signing secret (returned once); the old one keeps signing
    /// beside it for `grace_ms`, so receivers can switch without a gap.
    pub async fn rotate_secret(
        &self,
        id: &str,
        grace_ms: i64,
    ) -> Result<(Webhook, SecretString), WebhookError> {
        if !(0..=MAX_SECRET_GRACE_MS).contains(&grace_ms) {
            return Err(WebhookError::Validation(format!(
                "The grace of the old secret must be between 0 and {} seconds.",
                MAX_SECRET_GRACE_MS / 1000
            )));
        }
        self.record(id).await?;
        let secret = signing::new_secret();
        let sealed = self
            .keyring
            .seal_internal(secret.expose().as_bytes(), &secret_aad(id))?;
        let until = self.clock.now_ms().saturating_add(grace_ms);
        if !self.rows.rotate_webhook_secret(id, sealed, until).await? {
            return Err(WebhookError::NotFound(id.to_owned()));
        }
        Ok((self.get(id).await?, secret))
    }

    /// Makes a failed subscription deliver again, from where it stopped
    /// (the records it missed follow, if the feed still holds them), or with
    /// `from_head` from the newest record on, skipping the backlog. An
    /// active subscription has its pending retry brought forward to now.
    pub async fn enable(&self, id: &str, from_head: bool) -> Result<Webhook, WebhookError> {
        let record = self.record(id).await?;
        let bounds = self.changes.change_bounds().await?;
        let through = record.state.delivered_through;
        if !from_head && through < bounds.trimmed_through {
            return Err(WebhookError::Validation(format!(
                "The change feed no longer holds the records after {through} (it was trimmed \
                 through {}): enable it with --from-head to skip them.",
                bounds.trimmed_through
            )));
        }
        let state = WebhookState {
            status: WebhookStatus::Active,
            delivered_through: if from_head {
                through.max(bounds.head)
            } else {
                through
            },
            attempts: 0,
            failing_since_ms: None,
            next_attempt_ms: 0,
            last_error: None,
            last_delivered_ms: record.state.last_delivered_ms,
        };
        if !self.rows.update_webhook_state(id, through, state).await? {
            return Err(WebhookError::Conflict(
                "The webhook's delivery moved while it was being enabled; try again.".to_owned(),
            ));
        }
        self.get(id).await
    }

    /// Sends one `Kinko Webhook Test` event now, signed like any delivery,
    /// and says what the receiver answered. Changes no delivery state.
    pub async fn test(&self, id: &str) -> Result<TestOutcome, WebhookError> {
        let record = self.record(id).await?;
        let config = config_of(&record)?;
        let now = self.clock.now_ms();
        let event_id = format!("test-{}", hex::encode(kinko_crypto::random_bytes(8)));
        let body = serde_json::json!({
            "version": "0",
            "id": event_id,
            "detail-type": "Kinko Webhook Test",
            "source": "kinko.webhooks",
            "account": config.account,
            "time": jiff::Timestamp::from_millisecond(now)
                .map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
                .unwrap_or_default(),
            "region": config.region,
            "resources": [],
            "detail": {"webhookId": id},
        })
        .to_string()
        .into_bytes();
        let event = Event {
            id: event_id.clone(),
            detail_type: "Kinko Webhook Test".to_owned(),
            body,
        };
        let (status, error) = match self.send(&record, &config, &event, now).await {
            Ok(status) => (Some(status), None),
            Err(Failure::Status(status, _)) => (Some(status), None),
            Err(Failure::Gone) => (Some(410), None),
            Err(Failure::Other(why)) => (None, Some(why)),
        };
        Ok(TestOutcome {
            event_id,
            status,
            error,
        })
    }

    /// One round: every active subscription whose next attempt is due
    /// gets what it has not yet been delivered (up to a batch each).
    pub async fn deliver_due(&self) -> Result<DeliveryRound, WebhookError> {
        let now = self.clock.now_ms();
        let bounds = self.changes.change_bounds().await?;
        let mut round = DeliveryRound::default();
        for record in self.rows.list_webhooks().await? {
            let s = &record.state;
            if s.status != WebhookStatus::Active
                || s.next_attempt_ms > now
                || s.delivered_through >= bounds.head
            {
                continue;
            }
            if let Err(e) = self
                .deliver_one(&record, now, bounds.trimmed_through, &mut round)
                .await
            {
                tracing::warn!(webhook = %record.id, error = %e, "webhook delivery round failed");
            }
        }
        Ok(round)
    }

    async fn deliver_one(
        &self,
        record: &WebhookRecord,
        now: i64,
        trimmed_through: i64,
        round: &mut DeliveryRound,
    ) -> Result<(), WebhookError> {
        let config = config_of(record)?;
        let expected = record.state.delivered_through;
        let mut state = record.state.clone();
        if expected < trimmed_through {
            state.status = WebhookStatus::Failed;
            state.last_error = Some(format!(
                "behind the change feed's retention: records after {expected} up to \
                 {trimmed_through} were trimmed before they were delivered"
            ));
            self.rows
                .update_webhook_state(&record.id, expected, state)
                .await?;
            round.failed += 1;
            return Ok(());
        }
        let records: Vec<ChangeRecord> = self.changes.read_changes(expected, BATCH).await?;
        // The position is written once per batch, not per record: a write
        // per event competed with the API's writes for the store's one
        // writer (measured: 17% of PutParameter throughput with one
        // subscription). A crash re-sends at most the batch, which
        // at-least-once delivery allows (receivers dedupe on webhook-id).
        let mut through = expected;
        for change in &records {
            if !config.filter.matches(change) {
                through = change.seq;
                continue;
            }
            match self.send_all(record, &config, change, now).await {
                Ok(()) => {
                    state = WebhookState {
                        status: WebhookStatus::Active,
                        delivered_through: change.seq,
                        attempts: 0,
                        failing_since_ms: None,
                        next_attempt_ms: 0,
                        last_error: None,
                        last_delivered_ms: Some(now),
                    };
                    through = change.seq;
                    round.delivered += 1;
                }
                Err(failure) => {
                    state.delivered_through = through;
                    state.attempts = state.attempts.saturating_add(1);
                    let since = *state.failing_since_ms.get_or_insert(now);
                    state.last_error = Some(failure.describe());
                    if matches!(failure, Failure::Gone) || now - since >= RETRY_WINDOW_MS {
                        state.status = WebhookStatus::Failed;
                        round.failed += 1;
                        tracing::warn!(
                            webhook = %record.id,
                            attempts = state.attempts,
                            error = %failure.describe(),
                            "webhook marked failed; it delivers no more"
                        );
                    } else {
                        state.next_attempt_ms = now + retry_in_ms(&failure, state.attempts);
                        round.retried += 1;
                        tracing::info!(
                            webhook = %record.id,
                            attempts = state.attempts,
                            error = %failure.describe(),
                            "webhook delivery failed; will retry"
                        );
                    }
                    self.rows
                        .update_webhook_state(&record.id, expected, state)
                        .await?;
                    return Ok(());
                }
            }
        }
        if through > expected {
            state.delivered_through = through;
            // `false`: another deliverer moved it meanwhile; it goes on.
            self.rows
                .update_webhook_state(&record.id, expected, state)
                .await?;
        }
        Ok(())
    }

    /// Every event of one record, in order; the first failure stops it.
    async fn send_all(
        &self,
        record: &WebhookRecord,
        config: &Config,
        change: &ChangeRecord,
        now: i64,
    ) -> Result<(), Failure> {
        for event in events_of(change) {
            self.send(record, config, &event, now).await?;
        }
        Ok(())
    }

    async fn send(
        &self,
        record: &WebhookRecord,
        config: &Config,
        event: &Event,
        now: i64,
    ) -> Result<u16, Failure> {
        let url = self.url_of(record, config).await?;
        let keys = self.signing_keys(record, now)?;
        let timestamp = now.div_euclid(1000);
        let signature = signing::signature_header(&keys, &event.id, timestamp, &event.body);
        let headers = [
            ("content-type", "application/json".to_owned()),
            ("webhook-id", event.id.clone()),
            ("webhook-timestamp", timestamp.to_string()),
            ("webhook-signature", signature),
        ];
        match self.sender.post(url.expose(), &headers, &event.body).await {
            Ok(answer) if (200..300).contains(&answer.status) => Ok(answer.status),
            Ok(answer) if answer.status == 410 => Err(Failure::Gone),
            // Retry-After means something on these two only (RFC 9110 §10.2.3).
            Ok(Answer {
                status: status @ (429 | 503),
                retry_after_s,
            }) => Err(Failure::Status(status, retry_after_s)),
            Ok(answer) => Err(Failure::Status(answer.status, None)),
            Err(why) => Err(Failure::Other(why)),
        }
    }

    /// The URL to post to: unsealed, or read from its parameter now.
    async fn url_of(
        &self,
        record: &WebhookRecord,
        config: &Config,
    ) -> Result<SecretString, Failure> {
        if let Some(name) = &config.parameter {
            let caller = Caller {
                region: config.region.clone(),
                account_id: config.account.clone(),
                arn: format!("arn:aws:iam::{}:root", config.account),
            };
            let parameter = self
                .parameters
                .get_parameter(&caller, name, true)
                .await
                .map_err(|_| {
                    Failure::Other(format!("the URL parameter {name} could not be read"))
                })?;
            check_url(parameter.value.expose()).map_err(|_| {
                Failure::Other(format!(
                    "the URL parameter {name} does not hold an https:// URL"
                ))
            })?;
            return Ok(parameter.value);
        }
        let sealed = config
            .sealed_url
            .as_deref()
            .and_then(|s| STANDARD.decode(s).ok())
            .ok_or_else(|| Failure::Other("the webhook has no URL".to_owned()))?;
        let plain = self
            .keyring
            .open_internal(&sealed, &url_aad(&record.id))
            .map_err(|_| Failure::Other("the webhook's URL could not be unsealed".to_owned()))?;
        String::from_utf8(plain.expose().to_vec())
            .map(SecretString::new)
            .map_err(|_| Failure::Other("the webhook's URL could not be unsealed".to_owned()))
    }

    /// The current secret's key, and the previous one's during its grace.
    fn signing_keys(&self, record: &WebhookRecord, now: i64) -> Result<Vec<SecretBytes>, Failure> {
        let mut sealed = vec![&record.sealed_secret];
        if let (Some(previous), Some(until)) =
            (&record.previous_sealed_secret, record.previous_until_ms)
            && now < until
        {
            sealed.push(previous);
        }
        sealed
            .into_iter()
            .map(|s| {
                let plain = self
                    .keyring
                    .open_internal(s, &secret_aad(&record.id))
                    .map_err(|_| {
                        Failure::Other("the signing secret could not be unsealed".into())
                    })?;
                let text = String::from_utf8(plain.expose().to_vec())
                    .map(SecretString::new)
                    .map_err(|_| Failure::Other("the signing secret is corrupt".into()))?;
                signing::key_of(&text)
                    .ok_or_else(|| Failure::Other("the signing secret is corrupt".into()))
            })
            .collect()
    }

    async fn record(&self, id: &str) -> Result<WebhookRecord, WebhookError> {
        self.rows
            .get_webhook(id)
            .await?
            .ok_or_else(|| WebhookError::NotFound(id.to_owned()))
    }
}

/// Why an attempt did not succeed.
#[derive(Debug)]
enum Failure {
    /// 410 Gone: the receiver asks not to be sent more.
    Gone,
    /// Any other status; with the wait a 429 or 503 asked for.
    Status(u16, Option<u64>),
    Other(String),
}

impl Failure {
    fn describe(&self) -> String {
        match self {
            Failure::Gone => "HTTP 410 Gone".to_owned(),
            Failure::Status(status, _) => format!("HTTP {status}"),
            Failure::Other(why) => why.clone(),
        }
    }
}

fn config_of(record: &WebhookRecord) -> Result<Config, WebhookError> {
    serde_json::from_str(&record.config).map_err(|e| {
        WebhookError::Store(StoreError::Backend(format!(
            "webhook {} has a corrupt configuration: {e}",
            record.id
        )))
    })
}

fn view(record: &WebhookRecord) -> Result<Webhook, WebhookError> {
    let config = config_of(record)?;
    Ok(Webhook {
        id: record.id.clone(),
        url: config.shown_url,
        filter: config.filter,
        description: config.description,
        created_ms: record.created_ms,
        created_by: config.created_by,
        state: record.state.clone(),
        previous_secret_until_ms: record.previous_until_ms,
    })
}

/// The wait before attempt `attempts + 1`: 5 s, tripled per failure, at
/// most an hour, less up to a tenth at random (so receivers that failed
/// together are not retried together).
/// When to try again: the backoff, or longer when the receiver asked for
/// it with `Retry-After` (at most the longest backoff, an hour, so a
/// receiver cannot park its subscription past the retry window's end).
fn retry_in_ms(failure: &Failure, attempts: u32) -> i64 {
    let asked_ms = match failure {
        Failure::Status(_, Some(seconds)) => i64::try_from(*seconds)
            .unwrap_or(i64::MAX)
            .saturating_mul(1000),
        _ => 0,
    };
    backoff_ms(attempts).max(asked_ms.min(MAX_RETRY_MS))
}

pub fn backoff_ms(attempts: u32) -> i64 {
    let exponent = attempts.saturating_sub(1).min(10);
    let base = FIRST_RETRY_MS
        .saturating_mul(3i64.pow(exponent))
        .min(MAX_RETRY_MS);
    let random = kinko_crypto::random_bytes(2);
    let jitter = i64::from(u16::from_le_bytes([random[0], random[1]])) * (base / 10) / 65_536;
    base - jitter
}

#[cfg(test)]
mod tests;
