//! The two ways a store call runs: on a pooled connection within the
//! deadline, or in one transaction on it. Macros, not functions, because the
//! body borrows the connection inside an `async` block. Declared first in
//! `mod.rs` so that every area file can use them.

/// Runs `$body` (an expression using the pooled connection `$client`,
/// returning `Result<T, StoreError>`, awaited inside) within the store's
/// deadline: waiting for the connection and the body together. Out of
/// time, the connection is closed (see `PostgresStore::abandon`) and the
/// call is `Unavailable`.
macro_rules! with_client {
    ($store:expr, |$client:ident| $body:expr) => {{
        let store: &$crate::postgres::PostgresStore = $store;
        let deadline = tokio::time::Instant::now() + store.timeout;
        #[allow(unused_mut)]
        let mut $client = store.client_by(deadline).await?;
        // The body's future (which borrows the connection) is dropped at the
        // end of this statement, so the connection is free to close after it.
        let outcome = tokio::time::timeout_at(deadline, async { $body }).await;
        match outcome {
            Ok(result) => result,
            Err(_) => Err(store.abandon($client)),
        }
    }};
}

/// Runs `$body` (an expression using `$tx`, returning a future of
/// `Result<T, StoreError>`) in one transaction within the store's deadline:
/// committed on `Ok`, rolled back on `Err`. `read` is a REPEATABLE READ, READ ONLY snapshot; `write`
/// is READ COMMITTED, where the body takes its own row locks.
macro_rules! transaction {
    ($store:expr, read, |$tx:ident| $body:expr) => {
        with_client!($store, |client| {
            let $tx = client
                .build_transaction()
                .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
                .read_only(true)
                .start()
                .await?;
            transaction!(@finish $tx, $body)
        })
    };
    ($store:expr, write, |$tx:ident| $body:expr) => {
        with_client!($store, |client| {
            let $tx = client.transaction().await?;
            transaction!(@finish $tx, $body)
        })
    };
    (@finish $tx:ident, $body:expr) => {{
        match $body.await {
            Ok(out) => {
                $tx.commit().await?;
                Ok(out)
            }
            Err(err) => {
                // Best effort: a failed rollback means a dead connection,
                // which the pool discards anyway.
                let _ = $tx.rollback().await;
                Err(err)
            }
        }
    }};
}
