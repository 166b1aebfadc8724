//! Webhook subscriptions on PostgreSQL, shared by every server of the store.

use async_trait::async_trait;
use tokio_postgres::Row;

use super::{PostgresStore, execute, query, query_opt};
use crate::{StoreError, WebhookRecord, WebhookRows, WebhookState, WebhookStatus};

const COLUMNS: &str = "id, config, sealed_secret, previous_sealed_secret, previous_until_ms, \
     created_ms, status, delivered_through, attempts, failing_since_ms, next_attempt_ms, \
     last_error, last_delivered_ms";

fn from_row(row: &Row) -> Result<WebhookRecord, StoreError> {
    let id: String = row.try_get(0)?;
    let status: String = row.try_get(6)?;
    let attempts: i64 = row.try_get(8)?;
    Ok(WebhookRecord {
        config: row.try_get(1)?,
        sealed_secret: row.try_get(2)?,
        previous_sealed_secret: row.try_get(3)?,
        previous_until_ms: row.try_get(4)?,
        created_ms: row.try_get(5)?,
        state: WebhookState {
            status: WebhookStatus::from_stored(&id, &status)?,
            delivered_through: row.try_get(7)?,
            attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
            failing_since_ms: row.try_get(9)?,
            next_attempt_ms: row.try_get(10)?,
            last_error: row.try_get(11)?,
            last_delivered_ms: row.try_get(12)?,
        },
        id,
    })
}

#[async_trait]
impl WebhookRows for PostgresStore {
    async fn create_webhook(&self, r: WebhookRecord, max: usize) -> Result<(), StoreError> {
        transaction!(self, write, |tx| async {
            // Creations queue on the table lock so two cannot both pass the cap.
            execute(&tx, "LOCK TABLE webhooks IN SHARE ROW EXCLUSIVE MODE", &[]).await?;
            let count: i64 = query_opt(&tx, "SELECT COUNT(*) FROM webhooks", &[])
                .await?
                .map(|row| row.try_get(0))
                .transpose()?
                .unwrap_or(0);
            if usize::try_from(count).unwrap_or(usize::MAX) >= max {
                return Err(StoreError::LimitExceeded { max });
            }
            let s = &r.state;
            let attempts = i64::from(s.attempts);
            let inserted = execute(
                &tx,
                &format!(
                    "INSERT INTO webhooks ({COLUMNS}) VALUES \
                     ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
                     ON CONFLICT DO NOTHING"
                ),
                &[
                    &r.id,
                    &r.config,
                    &r.sealed_secret,
                    &r.previous_sealed_secret,
                    &r.previous_until_ms,
                    &r.created_ms,
                    &s.status.as_str(),
                    &s.delivered_through,
                    &attempts,
                    &s.failing_since_ms,
                    &s.next_attempt_ms,
                    &s.last_error,
                    &s.last_delivered_ms,
                ],
            )
            .await?;
            if inserted == 0 {
                return Err(StoreError::AlreadyExists);
            }
            Ok(())
        })
    }

    async fn get_webhook(&self, id: &str) -> Result<Option<WebhookRecord>, StoreError> {
        with_client!(self, |client| {
            query_opt(
                &client,
                &format!("SELECT {COLUMNS} FROM webhooks WHERE id = $1"),
                &[&id],
            )
            .await?
            .as_ref()
            .map(from_row)
            .transpose()
        })
    }

    async fn list_webhooks(&self) -> Result<Vec<WebhookRecord>, StoreError> {
        with_client!(self, |client| {
            query(
                &client,
                &format!("SELECT {COLUMNS} FROM webhooks ORDER BY id"),
                &[],
            )
            .await?
            .iter()
            .map(from_row)
            .collect()
        })
    }

    async fn delete_webhook(&self, id: &str) -> Result<bool, StoreError> {
        with_client!(self, |client| {
            Ok(execute(&client, "DELETE FROM webhooks WHERE id = $1", &[&id]).await? > 0)
        })
    }

    async fn rotate_webhook_secret(
        &self,
        id: &str,
        sealed_secret: Vec<u8>,
        previous_until_ms: i64,
    ) -> Result<bool, StoreError> {
        with_client!(self, |client| {
            Ok(execute(
                &client,
                "UPDATE webhooks SET previous_sealed_secret = sealed_secret, \
                 previous_until_ms = $2, sealed_secret = $3 WHERE id = $1",
                &[&id, &previous_until_ms, &sealed_secret],
            )
            .await?
                > 0)
        })
    }

    async fn update_webhook_state(
        &self,
        id: &str,
        expected_through: i64,
        state: WebhookState,
    ) -> Result<bool, StoreError> {
        let s = &state;
        let attempts = i64::from(s.attempts);
        with_client!(self, |client| {
            Ok(execute(
                &client,
                "UPDATE webhooks SET status = $3, delivered_through = $4, attempts = $5, \
                 failing_since_ms = $6, next_attempt_ms = $7, last_error = $8, \
                 last_delivered_ms = $9 WHERE id = $1 AND delivered_through = $2",
                &[
                    &id,
                    &expected_through,
                    &s.status.as_str(),
                    &s.delivered_through,
                    &attempts,
                    &s.failing_since_ms,
                    &s.next_attempt_ms,
                    &s.last_error,
                    &s.last_delivered_ms,
                ],
            )
            .await?
                > 0)
        })
    }
}
