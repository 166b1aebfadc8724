//! Helpers for giving each kinko deployment (or each test) its own
//! PostgreSQL schema in a shared database.
//!
//! kinko's tables live in whatever schema `search_path` selects. Tests and
//! multi-tenant operators create a schema, point the store at it with
//! [`url_with_search_path`], and drop it when done.

use tokio_postgres::NoTls;

use crate::StoreError;

/// Whether `schema` is a plain lowercase identifier (`[a-z_][a-z0-9_]*`, at
/// most 63 bytes), the only kind these helpers accept, so it can be spliced
/// into DDL and into the `options` URL parameter without quoting.
pub fn is_plain_identifier(schema: &str) -> bool {
    let mut bytes = schema.bytes();
    matches!(bytes.next(), Some(b'a'..=b'z' | b'_'))
        && bytes.all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'_'))
        && schema.len() <= 63
}

fn check(schema: &str) -> Result<(), StoreError> {
    if is_plain_identifier(schema) {
        Ok(())
    } else {
        Err(StoreError::Backend(format!(
            "schema name {schema:?} is not a plain identifier ([a-z_][a-z0-9_]*)"
        )))
    }
}

/// `url` with `search_path` set to `schema` on every connection, through
/// the `options` parameter (URL form) or keyword (`key=value` form).
pub fn url_with_search_path(url: &str, schema: &str) -> Result<String, StoreError> {
    check(schema)?;
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let separator = if url.contains('?') { '&' } else { '?' };
        Ok(format!("{url}{separator}options=-csearch_path%3D{schema}"))
    } else {
        Ok(format!("{url} options='-csearch_path={schema}'"))
    }
}

/// Creates `schema` (if missing) in the database `url` names.
pub async fn create_schema(url: &str, schema: &str) -> Result<(), StoreError> {
    check(schema)?;
    run(url, &format!("CREATE SCHEMA IF NOT EXISTS {schema}")).await
}

/// Drops `schema` and everything in it.
pub async fn drop_schema(url: &str, schema: &str) -> Result<(), StoreError> {
    check(schema)?;
    run(url, &format!("DROP SCHEMA IF EXISTS {schema} CASCADE")).await
}

async fn run(url: &str, sql: &str) -> Result<(), StoreError> {
    let (client, connection) = tokio_postgres::connect(url, NoTls).await?;
    let driver = tokio::spawn(connection);
    let result = client.batch_execute(sql).await;
    drop(client);
    // The connection task ends once the client is gone; its own error, if
    // any, is the one `result` already carries.
    let _ = driver.await;
    Ok(result?)
}
