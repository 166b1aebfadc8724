//! The admin API's webhook operations (`kinko webhook`), authorized as
//! `kinko:<Operation>` on the subscription's ARN
//! (`arn:aws:kinko::ACCOUNT:webhook/ID`; `*` for Create and List). A URL
//! given as `ssm:NAME` also needs `ssm:GetParameter` on that parameter:
//! no one routes deliveries through a parameter they may not read.

use kinko_core::webhooks::{
    DEFAULT_SECRET_GRACE_MS, Target, TestOutcome, Webhook, WebhookError, WebhookFilter, Webhooks,
};
use kinko_model::Epoch;
use kinko_model::admin::{
    CreateWebhookRequest, EmptyResponse, EnableWebhookRequest, ListWebhooksResponse,
    RotateWebhookSecretRequest, TestWebhookResponse, WebhookIdRequest, WebhookResponse,
    WebhookSecretResponse, WebhookShape,
};

use crate::{AwsError, Check, RequestContext};

impl From<WebhookError> for AwsError {
    fn from(e: WebhookError) -> Self {
        match e {
            WebhookError::Validation(m) => AwsError::new("ValidationException", m),
            e @ WebhookError::NotFound(_) => AwsError::new("NoSuchEntityException", e.to_string()),
            e @ WebhookError::Limit { .. } => {
                AwsError::new("LimitExceededException", e.to_string())
            }
            WebhookError::Conflict(m) => AwsError::new("ConcurrentModificationException", m),
            WebhookError::Store(e) => crate::error::store_error(e),
            WebhookError::Keyring(cause) => {
                tracing::error!(%cause, "webhook secret failure");
                AwsError::internal()
            }
        }
    }
}

fn arn(ctx: &RequestContext, id: &str) -> String {
    format!("arn:aws:kinko::{}:webhook/{id}", ctx.caller.account_id)
}

fn required<'a>(value: &'a Option<String>, member: &str) -> Result<&'a str, AwsError> {
    value
        .as_deref()
        .ok_or_else(|| AwsError::new("ValidationException", format!("{member} is required.")))
}

fn shape(w: Webhook) -> WebhookShape {
    let s = w.state;
    WebhookShape {
        webhook_id: w.id,
        url: w.url,
        filters: w.filter.items(),
        description: w.description,
        status: s.status.as_str().to_owned(),
        delivered_through: s.delivered_through,
        attempts: s.attempts,
        last_error: s.last_error,
        next_attempt_date: (s.attempts > 0).then_some(Epoch(s.next_attempt_ms)),
        failing_since_date: s.failing_since_ms.map(Epoch),
        last_delivered_date: s.last_delivered_ms.map(Epoch),
        previous_secret_valid_until: w.previous_secret_until_ms.map(Epoch),
        created_date: Epoch(w.created_ms),
        created_by: w.created_by,
    }
}

pub(crate) async fn create(
    webhooks: &Webhooks,
    ctx: &RequestContext,
    req: CreateWebhookRequest,
) -> Result<WebhookSecretResponse, AwsError> {
    ctx.authorize(Check::new("kinko:CreateWebhook", "*"))?;
    let target = Target::parse(required(&req.url, "Url")?)?;
    if let Target::Parameter(name) = &target {
        let canonical = format!("/{}", name.trim_start_matches('/'));
        let parameter =
            kinko_model::ssm::parameter_arn(&ctx.caller.region, &ctx.caller.account_id, &canonical);
        ctx.authorize(Check::new("ssm:GetParameter", &parameter))?;
    }
    let filter = WebhookFilter::parse(&req.filters)?;
    let (webhook, secret) = webhooks
        .create(&ctx.caller, target, filter, req.description)
        .await?;
    Ok(WebhookSecretResponse {
        webhook: shape(webhook),
        signing_secret: secret,
    })
}

pub(crate) async fn get(
    webhooks: &Webhooks,
    ctx: &RequestContext,
    req: WebhookIdRequest,
) -> Result<WebhookResponse, AwsError> {
    let id = required(&req.webhook_id, "WebhookId")?;
    ctx.authorize(Check::new("kinko:GetWebhook", &arn(ctx, id)))?;
    Ok(WebhookResponse {
        webhook: shape(webhooks.get(id).await?),
    })
}

pub(crate) async fn list(
    webhooks: &Webhooks,
    ctx: &RequestContext,
) -> Result<ListWebhooksResponse, AwsError> {
    ctx.authorize(Check::new("kinko:ListWebhooks", "*"))?;
    Ok(ListWebhooksResponse {
        webhooks: webhooks.list().await?.into_iter().map(shape).collect(),
    })
}

pub(crate) async fn delete(
    webhooks: &Webhooks,
    ctx: &RequestContext,
    req: WebhookIdRequest,
) -> Result<EmptyResponse, AwsError> {
    let id = required(&req.webhook_id, "WebhookId")?;
    ctx.authorize(Check::new("kinko:DeleteWebhook", &arn(ctx, id)))?;
    webhooks.delete(id).await?;
    Ok(EmptyResponse {})
}

pub(crate) async fn enable(
    webhooks: &Webhooks,
    ctx: &RequestContext,
    req: EnableWebhookRequest,
) -> Result<WebhookResponse, AwsError> {
    let id = required(&req.webhook_id, "WebhookId")?;
    ctx.authorize(Check::new("kinko:EnableWebhook", &arn(ctx, id)))?;
    let webhook = webhooks.enable(id, req.from_head.unwrap_or(false)).await?;
    Ok(WebhookResponse {
        webhook: shape(webhook),
    })
}

pub(crate) async fn rotate_secret(
    webhooks: &Webhooks,
    ctx: &RequestContext,
    req: RotateWebhookSecretRequest,
) -> Result<WebhookSecretResponse, AwsError> {
    let id = required(&req.webhook_id, "WebhookId")?;
    ctx.authorize(Check::new("kinko:RotateWebhookSecret", &arn(ctx, id)))?;
    let grace_ms = match req.grace_seconds {
        Some(seconds) => seconds.saturating_mul(1000),
        None => DEFAULT_SECRET_GRACE_MS,
    };
    let (webhook, secret) = webhooks.rotate_secret(id, grace_ms).await?;
    Ok(WebhookSecretResponse {
        webhook: shape(webhook),
        signing_secret: secret,
    })
}

pub(crate) async fn test(
    webhooks: &Webhooks,
    ctx: &RequestContext,
    req: WebhookIdRequest,
) -> Result<TestWebhookResponse, AwsError> {
    let id = required(&req.webhook_id, "WebhookId")?;
    ctx.authorize(Check::new("kinko:TestWebhook", &arn(ctx, id)))?;
    let TestOutcome {
        event_id,
        status,
        error,
    } = webhooks.test(id).await?;
    Ok(TestWebhookResponse {
        event_id,
        status_code: status,
        error,
    })
}
