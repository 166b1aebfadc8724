//! Webhook subscriptions on SQLite.

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, params};

use super::SqliteStore;
use crate::{StoreError, WebhookRecord, WebhookRows, WebhookState, WebhookStatus};

const COLUMNS: &str = "id, config, sealed_secret, previous_sealed_secret, previous_until_ms, \
     created_ms, status, delivered_through, attempts, failing_since_ms, next_attempt_ms, \
     last_error, last_delivered_ms";

/// A row as read, before its status is checked.
type Row = (
    WebhookRecord,
    String, // status as stored
);

fn from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    Ok((
        WebhookRecord {
            id: row.get(0)?,
            config: row.get(1)?,
            sealed_secret: row.get(2)?,
            previous_sealed_secret: row.get(3)?,
            previous_until_ms: row.get(4)?,
            created_ms: row.get(5)?,
            state: WebhookState {
                status: WebhookStatus::Active,
                delivered_through: row.get(7)?,
                attempts: row.get(8)?,
                failing_since_ms: row.get(9)?,
                next_attempt_ms: row.get(10)?,
                last_error: row.get(11)?,
                last_delivered_ms: row.get(12)?,
            },
        },
        row.get(6)?,
    ))
}

fn checked((mut record, status): Row) -> Result<WebhookRecord, StoreError> {
    record.state.status = WebhookStatus::from_stored(&record.id, &status)?;
    Ok(record)
}

fn create(conn: &Connection, r: &WebhookRecord, max: usize) -> Result<(), StoreError> {
    let count: i64 = conn
        .prepare_cached("SELECT COUNT(*) FROM webhooks")?
        .query_row([], |row| row.get(0))?;
    if usize::try_from(count).unwrap_or(usize::MAX) >= max {
        return Err(StoreError::LimitExceeded { max });
    }
    let s = &r.state;
    let inserted = conn
        .prepare_cached(&format!(
            "INSERT INTO webhooks ({COLUMNS}) VALUES \
             (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) ON CONFLICT DO NOTHING"
        ))?
        .execute(params![
            r.id,
            r.config,
            r.sealed_secret,
            r.previous_sealed_secret,
            r.previous_until_ms,
            r.created_ms,
            s.status.as_str(),
            s.delivered_through,
            s.attempts,
            s.failing_since_ms,
            s.next_attempt_ms,
            s.last_error,
            s.last_delivered_ms,
        ])?;
    if inserted == 0 {
        return Err(StoreError::AlreadyExists);
    }
    Ok(())
}

fn get(conn: &Connection, id: &str) -> Result<Option<WebhookRecord>, StoreError> {
    conn.prepare_cached(&format!("SELECT {COLUMNS} FROM webhooks WHERE id = ?1"))?
        .query_row(params![id], from_row)
        .optional()?
        .map(checked)
        .transpose()
}

fn list(conn: &Connection) -> Result<Vec<WebhookRecord>, StoreError> {
    let rows = conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM webhooks ORDER BY id"))?
        .query_map([], from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter().map(checked).collect()
}

#[async_trait]
impl WebhookRows for SqliteStore {
    async fn create_webhook(&self, record: WebhookRecord, max: usize) -> Result<(), StoreError> {
        self.write(move |conn| create(conn, &record, max)).await
    }

    async fn get_webhook(&self, id: &str) -> Result<Option<WebhookRecord>, StoreError> {
        let id = id.to_owned();
        self.read(move |conn| get(conn, &id)).await
    }

    async fn list_webhooks(&self) -> Result<Vec<WebhookRecord>, StoreError> {
        self.read(list).await
    }

    async fn delete_webhook(&self, id: &str) -> Result<bool, StoreError> {
        let id = id.to_owned();
        self.write(move |conn| {
            Ok(conn
                .prepare_cached("DELETE FROM webhooks WHERE id = ?1")?
                .execute(params![id])?
                > 0)
        })
        .await
    }

    async fn rotate_webhook_secret(
        &self,
        id: &str,
        sealed_secret: Vec<u8>,
        previous_until_ms: i64,
    ) -> Result<bool, StoreError> {
        let id = id.to_owned();
        self.write(move |conn| {
            Ok(conn
                .prepare_cached(
                    "UPDATE webhooks SET previous_sealed_secret = sealed_secret, \
                     previous_until_ms = ?2, sealed_secret = ?3 WHERE id = ?1",
                )?
                .execute(params![id, previous_until_ms, sealed_secret])?
                > 0)
        })
        .await
    }

    async fn update_webhook_state(
        &self,
        id: &str,
        expected_through: i64,
        state: WebhookState,
    ) -> Result<bool, StoreError> {
        let id = id.to_owned();
        self.write(move |conn| {
            let s = &state;
            Ok(conn
                .prepare_cached(
                    "UPDATE webhooks SET status = ?3, delivered_through = ?4, attempts = ?5, \
                     failing_since_ms = ?6, next_attempt_ms = ?7, last_error = ?8, \
                     last_delivered_ms = ?9 WHERE id = ?1 AND delivered_through = ?2",
                )?
                .execute(params![
                    id,
                    expected_through,
                    s.status.as_str(),
                    s.delivered_through,
                    s.attempts,
                    s.failing_since_ms,
                    s.next_attempt_ms,
                    s.last_error,
                    s.last_delivered_ms,
                ])?
                > 0)
        })
        .await
    }
}
