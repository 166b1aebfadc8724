//! Webhook subscriptions and where each one's delivery stands.
//!
//! A subscription's configuration (URL or URL reference, filter, who made
//! it) is `kinko-core`'s JSON, read and written whole; its signing secrets
//! arrive sealed. Its delivery state — how far along the change feed it has
//! been delivered, and how its current retry stands — is updated with a
//! compare-and-swap on `delivered_through`, so two servers that both
//! believed they were the deliverer could never move one backwards.

use async_trait::async_trait;

use crate::StoreError;

/// Whether a subscription is still being delivered to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookStatus {
    Active,
    /// Its retries ran out (or its receiver answered 410 Gone): nothing is
    /// delivered to it until it is deleted or re-created.
    Failed,
}

impl WebhookStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            WebhookStatus::Active => "active",
            WebhookStatus::Failed => "failed",
        }
    }

    pub(crate) fn from_stored(id: &str, text: &str) -> Result<WebhookStatus, StoreError> {
        match text {
            "active" => Ok(WebhookStatus::Active),
            "failed" => Ok(WebhookStatus::Failed),
            other => Err(StoreError::Backend(format!(
                "webhook {id} has unknown status {other:?}"
            ))),
        }
    }
}

/// Where a subscription's delivery stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookState {
    pub status: WebhookStatus,
    /// The change feed's sequence number delivered through (or skipped by
    /// the filter): the next delivery is of the first match after it.
    pub delivered_through: i64,
    /// Failed attempts at the current record.
    pub attempts: u32,
    /// When the current record's first attempt failed.
    pub failing_since_ms: Option<i64>,
    /// Not attempted again before this time.
    pub next_attempt_ms: i64,
    /// What went wrong last (status code or connection error); never a URL.
    pub last_error: Option<String>,
    pub last_delivered_ms: Option<i64>,
}

impl WebhookState {
    /// A new subscription: delivers what comes after `head`.
    pub fn starting_after(head: i64) -> WebhookState {
        WebhookState {
            status: WebhookStatus::Active,
            delivered_through: head,
            attempts: 0,
            failing_since_ms: None,
            next_attempt_ms: 0,
            last_error: None,
            last_delivered_ms: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookRecord {
    /// `wh-` and 16 hex digits.
    pub id: String,
    /// kinko-core's configuration JSON (URL, filter, creator).
    pub config: String,
    /// The signing secret, sealed under the root key.
    pub sealed_secret: Vec<u8>,
    /// The secret before the last rotation, still signed with until
    /// `previous_until_ms`.
    pub previous_sealed_secret: Option<Vec<u8>>,
    pub previous_until_ms: Option<i64>,
    pub created_ms: i64,
    pub state: WebhookState,
}

#[async_trait]
pub trait WebhookRows: Send + Sync {
    /// Errors: `AlreadyExists` for a taken id; `LimitExceeded` past `max`
    /// subscriptions.
    async fn create_webhook(&self, record: WebhookRecord, max: usize) -> Result<(), StoreError>;

    async fn get_webhook(&self, id: &str) -> Result<Option<WebhookRecord>, StoreError>;

    /// In id order.
    async fn list_webhooks(&self) -> Result<Vec<WebhookRecord>, StoreError>;

    /// Whether there was one.
    async fn delete_webhook(&self, id: &str) -> Result<bool, StoreError>;

    /// Makes `sealed_secret` the signing secret and keeps the current one as
    /// the previous until `previous_until_ms`. Whether the webhook exists.
    async fn rotate_webhook_secret(
        &self,
        id: &str,
        sealed_secret: Vec<u8>,
        previous_until_ms: i64,
    ) -> Result<bool, StoreError>;

    /// Sets the delivery state if `delivered_through` is still
    /// `expected_through`; whether it was set.
    async fn update_webhook_state(
        &self,
        id: &str,
        expected_through: i64,
        state: WebhookState,
    ) -> Result<bool, StoreError>;
}
