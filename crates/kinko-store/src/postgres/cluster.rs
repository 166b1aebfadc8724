//! What several servers on one database need from each other: cache
//! invalidations over LISTEN/NOTIFY, and singleton jobs under session-level
//! advisory locks.
//!
//! Both use a dedicated connection outside the pool: a LISTEN and a session
//! advisory lock belong to one session, and a pooled connection is shared.
//!
//! Channels and advisory locks are database-wide while kinko's tables live in
//! one schema, so both are scoped by `current_schema()`: two deployments (or
//! two tests) in one database neither hear each other's invalidations nor
//! block each other's jobs.

use std::future::poll_fn;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use tokio::sync::{broadcast, mpsc};
use tokio_postgres::tls::NoTlsStream;
use tokio_postgres::{AsyncMessage, Config, NoTls, Socket};

use crate::{Invalidation, SingletonGuard, StoreError};

/// The NOTIFY channel.
pub const CHANNEL: &str = "kinko_invalidate";

/// Events buffered per receiver; a receiver that lags further gets
/// `Lagged`, which the server treats as `All`.
const BUFFER: usize = 1024;

/// Pause between attempts to re-open the LISTEN connection.
const RECONNECT_DELAY: Duration = Duration::from_millis(500);

/// The NOTIFY payload: `<schema> kms <region> <key id>`,
/// `<schema> access <access key id>`, `<schema> principal <arn>` or `<schema> all`.
fn payload(event: &Invalidation) -> String {
    match event {
        Invalidation::KmsKey { region, key_id } => format!("kms {region} {key_id}"),
        Invalidation::AccessKey { access_key_id } => format!("access {access_key_id}"),
        Invalidation::Principal { arn } => format!("principal {arn}"),
        Invalidation::All => "all".to_owned(),
    }
}

/// Parses a payload (without its schema); unknown forms flush everything,
/// the safe reading of a message from a newer kinko.
fn parse(text: &str) -> Invalidation {
    // The arn is the whole rest: it is the last field, so spaces in it do no harm.
    if let Some(arn) = text.strip_prefix("principal ")
        && !arn.is_empty()
    {
        return Invalidation::Principal {
            arn: arn.to_owned(),
        };
    }
    let mut parts = text.splitn(3, ' ');
    match (parts.next(), parts.next(), parts.next()) {
        (Some("kms"), Some(region), Some(key_id)) => Invalidation::KmsKey {
            region: region.to_owned(),
            key_id: key_id.to_owned(),
        },
        (Some("access"), Some(access_key_id), None) => Invalidation::AccessKey {
            access_key_id: access_key_id.to_owned(),
        },
        _ => Invalidation::All,
    }
}

/// The SQL that publishes `$1` (a payload) for this schema.
pub(super) const NOTIFY_SQL: &str =
    "SELECT pg_notify('kinko_invalidate', current_schema() || ' ' || $1)";

pub(super) fn notify_payload(event: &Invalidation) -> String {
    payload(event)
}

/// Starts the listener task for `sender`; it ends when the store (the last
/// strong reference to the sender) is gone.
pub(super) fn spawn_listener(
    config: Arc<Config>,
    sender: Weak<broadcast::Sender<Invalidation>>,
    timeout: Duration,
    runtime: &tokio::runtime::Handle,
) {
    runtime.spawn(async move {
        loop {
            if sender.strong_count() == 0 {
                return;
            }
            if let Err(error) = listen_once(&config, &sender, timeout).await {
                tracing::warn!(%error, "lost the invalidation listener; reconnecting");
            }
            tokio::time::sleep(RECONNECT_DELAY).await;
        }
    });
}

/// Opens a session outside the pool within `timeout`: `connect_timeout`
/// bounds the TCP connect only, not the start-up exchange after it, which
/// a stalled network or server would hold forever.
async fn connect(
    config: &Config,
    timeout: Duration,
) -> Result<
    (
        tokio_postgres::Client,
        tokio_postgres::Connection<Socket, NoTlsStream>,
    ),
    StoreError,
> {
    match tokio::time::timeout(timeout, config.connect(NoTls)).await {
        Ok(connected) => Ok(connected?),
        Err(_) => Err(StoreError::Unavailable(format!(
            "PostgreSQL did not accept a session within the store timeout ({} ms)",
            timeout.as_millis()
        ))),
    }
}

/// One LISTEN session: returns when its connection ends. Once it listens it
/// waits as long as it takes: it only receives.
async fn listen_once(
    config: &Config,
    sender: &Weak<broadcast::Sender<Invalidation>>,
    timeout: Duration,
) -> Result<(), StoreError> {
    let (client, mut connection) = connect(config, timeout).await?;
    let (notes_tx, mut notes) = mpsc::unbounded_channel();
    let driver = tokio::spawn(async move {
        while let Some(message) = poll_fn(|cx| connection.poll_message(cx)).await {
            match message {
                Ok(AsyncMessage::Notification(note)) => {
                    if notes_tx.send(note.payload().to_owned()).is_err() {
                        return;
                    }
                }
                Ok(_) => {}
                Err(_) => return,
            }
        }
    });
    let setup = async {
        client.batch_execute(&format!("LISTEN {CHANNEL}")).await?;
        let schema: String = client
            .query_one("SELECT current_schema()", &[])
            .await?
            .try_get(0)?;
        Ok::<_, StoreError>(schema)
    };
    let schema = match tokio::time::timeout(timeout, setup).await {
        Ok(schema) => schema?,
        Err(_) => {
            return Err(StoreError::Unavailable(
                "the invalidation listener's LISTEN did not return in time".to_owned(),
            ));
        }
    };
    let prefix = format!("{schema} ");
    // Whatever was published while no LISTEN was open is lost: flush all.
    match sender.upgrade() {
        Some(sender) => {
            let _ = sender.send(Invalidation::All);
        }
        None => return Ok(()),
    }
    while let Some(note) = notes.recv().await {
        let Some(text) = note.strip_prefix(&prefix) else {
            continue;
        };
        let Some(sender) = sender.upgrade() else {
            return Ok(());
        };
        // No receivers right now is fine: nobody has a cache to flush.
        let _ = sender.send(parse(text));
    }
    drop(client);
    let _ = driver.await;
    Err(StoreError::Unavailable(
        "the invalidation listener's connection closed".to_owned(),
    ))
}

pub(super) fn new_sender() -> broadcast::Sender<Invalidation> {
    broadcast::channel(BUFFER).0
}

/// Keeps the lock's session open while the guard lives.
struct LockSession {
    _client: tokio_postgres::Client,
}

/// Takes the advisory lock of `job` on a new session, or `None` when
/// another session holds it.
pub(super) async fn try_lock(
    config: &Config,
    job: &str,
    timeout: Duration,
) -> Result<Option<SingletonGuard>, StoreError> {
    let (client, connection) = connect(config, timeout).await?;
    let held = Arc::new(AtomicBool::new(true));
    let lost = Arc::clone(&held);
    tokio::spawn(async move {
        // Ends when the session does: the guard dropped its client, or the
        // connection died (and PostgreSQL released the lock with it).
        let _ = connection.await;
        lost.store(false, Ordering::Release);
    });
    let params: [&(dyn tokio_postgres::types::ToSql + Sync); 1] = [&job];
    let asked = client.query_one(
        "SELECT pg_try_advisory_lock(hashtextextended(current_schema() || ':job:' || $1, 0))",
        &params,
    );
    // Out of time, the session is dropped, and the lock with it if granted.
    let row = tokio::time::timeout(timeout, asked).await.map_err(|_| {
        StoreError::Unavailable("the singleton lock did not answer in time".into())
    })??;
    let granted: bool = row.try_get(0)?;
    if !granted {
        return Ok(None);
    }
    Ok(Some(SingletonGuard::new(
        held,
        Box::new(LockSession { _client: client }),
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_round_trip() {
        for event in [
            Invalidation::KmsKey {
                region: "eu-west-1".to_owned(),
                key_id: "1234abcd-12ab-34cd-56ef-1234567890ab".to_owned(),
            },
            Invalidation::AccessKey {
                access_key_id: "AKIAEXAMPLE".to_owned(),
            },
            Invalidation::Principal {
                arn: "arn:aws:iam::123456789012:user/alice".to_owned(),
            },
            Invalidation::Principal {
                arn: "arn:aws:iam::123456789012:role/with space".to_owned(),
            },
            Invalidation::All,
        ] {
            assert_eq!(parse(&payload(&event)), event);
        }
        assert_eq!(parse("something-new 1 2"), Invalidation::All);
        assert_eq!(parse("principal "), Invalidation::All);
        assert_eq!(parse("principal"), Invalidation::All);
    }
}
