//! Webhook subscriptions (`kinko webhook`): `CreateWebhook`,
//! `GetWebhook`, `ListWebhooks`, `DeleteWebhook`, `RotateWebhookSecret`,
//! `TestWebhook`, `EnableWebhook`.

use kinko_crypto::SecretString;
use serde::{Deserialize, Serialize};

use super::exposed;

/// `CreateWebhook`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateWebhookRequest {
    /// An `https://` URL (`http://` to loopback only) or `ssm:NAME`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// `source=…`, `operation=…`, `name-prefix=…` items.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub filters: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// `GetWebhook`, `DeleteWebhook`, `TestWebhook`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct WebhookIdRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook_id: Option<String>,
}

/// `RotateWebhookSecret`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RotateWebhookSecretRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook_id: Option<String>,
    /// How long the old secret keeps signing beside the new one [default: a day].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grace_seconds: Option<i64>,
}

/// `EnableWebhook`: a failed subscription delivers again.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct EnableWebhookRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook_id: Option<String>,
    /// Skip what it missed: deliver from the newest change on [default: false].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_head: Option<bool>,
}

/// A subscription as listed: never its secret, never its whole URL.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct WebhookShape {
    pub webhook_id: String,
    /// The URL's origin (`https://hooks.slack.com/…`) or `ssm:NAME`.
    pub url: String,
    pub filters: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `active` or `failed`.
    pub status: String,
    /// The change feed's sequence number delivered through.
    pub delivered_through: i64,
    /// Failed attempts at the record now being delivered.
    pub attempts: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_attempt_date: Option<crate::Epoch>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failing_since_date: Option<crate::Epoch>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_delivered_date: Option<crate::Epoch>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_secret_valid_until: Option<crate::Epoch>,
    pub created_date: crate::Epoch,
    pub created_by: String,
}

/// `GetWebhook`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct WebhookResponse {
    pub webhook: WebhookShape,
}

/// `CreateWebhook`, `RotateWebhookSecret`: the signing secret, shown once.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct WebhookSecretResponse {
    pub webhook: WebhookShape,
    #[serde(with = "exposed")]
    pub signing_secret: SecretString,
}

/// `ListWebhooks`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListWebhooksResponse {
    pub webhooks: Vec<WebhookShape>,
}

/// `TestWebhook`: what the receiver answered to one test event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TestWebhookResponse {
    pub event_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_code: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}
