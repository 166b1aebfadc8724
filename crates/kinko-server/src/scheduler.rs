//! Background jobs of a running server.
//!
//! - Purging secrets whose deletion window has ended, as Secrets Manager
//!   does. Several servers may share one database, so the purge is a
//!   singleton job: it runs only on the server holding the store's lock for
//!   it (`Store::try_singleton_lock`, a PostgreSQL advisory lock). The
//!   others retry the lock every [`LOCK_RETRY`], so when the holder dies
//!   (and PostgreSQL drops its session and the lock) another one takes over.
//!   Each run is idempotent (compare-and-swap deletes) anyway.
//! - Rotating KMS keys whose automatic rotation is due
//!   (`Kms::rotate_due`), a singleton job in the same way. Should two runs
//!   ever overlap (a lock lost mid-run), the store's insert-only material
//!   versions keep a key from rotating twice for one due date.
//! - Trimming the change feed past its retention, a singleton job.
//! - Running parameter policies (`PolicyRunner::run_due`) every
//!   [`PARAMETER_POLICY_INTERVAL`], a singleton job; the store records each
//!   action once, so an overlap cannot notify or expire twice.
//! - Delivering webhooks (`Webhooks::deliver_due`), a singleton job polled
//!   every [`WEBHOOK_POLL`]: one server sends, so each subscription gets
//!   its events in feed order; the store's compare-and-swap on a
//!   subscription's position keeps a deliverer that lost its lock
//!   mid-round from moving it back.
//! - Applying cache invalidations published by other servers (a KMS key
//!   disabled on one server must stop working on all of them).

use std::sync::Arc;
use std::time::Duration;

use kinko_core::clock::Clock;
use kinko_core::credentials::Credentials;
use kinko_core::keyring::Keyring;
use kinko_core::kms::Kms;
use kinko_core::principals::Identity;
use kinko_core::secrets::SecretsManager;
use kinko_core::ssm::PolicyRunner;
use kinko_core::webhooks::Webhooks;
use kinko_store::{Invalidation, MetaRows, SingletonGuard, Store, WebhookStatus};
use tokio::sync::broadcast::error::RecvError;

use crate::metrics::{SharedMetrics, WebhookSample};

/// How often scheduled deletions are checked. A secret is purged at most
/// this long after its `DeletionDate`.
pub const PURGE_INTERVAL: Duration = Duration::from_secs(60);

/// How often a server that does not hold a singleton job's lock tries to
/// take it: bounds how long a job stays unrun after its holder died.
pub const LOCK_RETRY: Duration = Duration::from_secs(5);

/// The singleton job name of the purge.
pub const PURGE_JOB: &str = "purge-deleted-secrets";

/// Spawns the purge loop; it stops when the runtime shuts down.
pub fn spawn_purge(
    store: Arc<dyn MetaRows>,
    secrets: Arc<SecretsManager>,
    every: Duration,
    metrics: Option<SharedMetrics>,
) -> tokio::task::JoinHandle<()> {
    spawn_singleton(store, PURGE_JOB, every, metrics, move || {
        let secrets = secrets.clone();
        async move {
            let now_ms = jiff::Timestamp::now().as_millisecond();
            match secrets.purge_due(now_ms).await {
                Ok(0) => Round::Done,
                Ok(purged) => {
                    tracing::info!(purged, "purged secrets whose deletion window ended");
                    Round::Done
                }
                Err(error) => {
                    tracing::warn!(%error, "purging deleted secrets failed; will retry");
                    Round::Failed
                }
            }
        }
    })
}

/// How often due KMS key rotations are looked for. AWS rotates within a
/// day of `NextRotationDate`; kinko within this much of it.
pub const KEY_ROTATION_INTERVAL: Duration = Duration::from_secs(600);

/// The singleton job name of the KMS key rotation.
pub const KEY_ROTATION_JOB: &str = "rotate-due-kms-keys";

/// Spawns the loop that rotates due KMS keys; it stops when the runtime
/// shuts down.
pub fn spawn_key_rotation(
    store: Arc<dyn MetaRows>,
    kms: Kms,
    every: Duration,
    metrics: Option<SharedMetrics>,
) -> tokio::task::JoinHandle<()> {
    let kms = Arc::new(kms);
    spawn_singleton(store, KEY_ROTATION_JOB, every, metrics, move || {
        let kms = kms.clone();
        async move {
            let now_ms = jiff::Timestamp::now().as_millisecond();
            match kms.rotate_due(now_ms).await {
                Ok(0) => Round::Done,
                Ok(rotated) => {
                    tracing::info!(rotated, "rotated KMS keys whose rotation was due");
                    Round::Done
                }
                Err(error) => {
                    tracing::warn!(%error, "rotating due KMS keys failed; will retry");
                    Round::Failed
                }
            }
        }
    })
}

/// How often the change feed is trimmed to its retention.
pub const CHANGE_TRIM_INTERVAL: Duration = Duration::from_secs(600);

/// The singleton job name of the change feed's trim.
pub const CHANGE_TRIM_JOB: &str = "trim-change-feed";

/// The change feed keeps records this long unless `--change-retention`
/// says otherwise (a watcher or webhook further behind must resync).
pub const DEFAULT_CHANGE_RETENTION: Duration = Duration::from_secs(7 * 24 * 3600);

/// Spawns the loop that drops change records older than `retention` (by
/// the server's clock); one server of several sharing a store trims.
pub fn spawn_change_trim(
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    retention: Duration,
    every: Duration,
    metrics: Option<SharedMetrics>,
) -> tokio::task::JoinHandle<()> {
    let retention_ms = i64::try_from(retention.as_millis()).unwrap_or(i64::MAX);
    let rows = store.clone();
    spawn_singleton(store, CHANGE_TRIM_JOB, every, metrics, move || {
        let (store, clock) = (rows.clone(), clock.clone());
        async move {
            let before_ms = clock.now_ms().saturating_sub(retention_ms);
            match store.trim_changes(before_ms).await {
                Ok(0) => Round::Done,
                Ok(trimmed) => {
                    tracing::info!(trimmed, "trimmed the change feed to its retention");
                    Round::Done
                }
                Err(error) => {
                    tracing::warn!(%error, "trimming the change feed failed; will retry");
                    Round::Failed
                }
            }
        }
    })
}

/// How often parameter policies are checked: an `Expiration` deletes its
/// parameter at most this long after its timestamp.
pub const PARAMETER_POLICY_INTERVAL: Duration = Duration::from_secs(5);

/// The singleton job name of the parameter-policy scan.
pub const PARAMETER_POLICY_JOB: &str = "run-parameter-policies";

/// Spawns the loop that runs due parameter policies (notifications and
/// expirations); one server of several sharing a store scans.
pub fn spawn_parameter_policies(
    store: Arc<dyn MetaRows>,
    runner: PolicyRunner,
    every: Duration,
    metrics: Option<SharedMetrics>,
) -> tokio::task::JoinHandle<()> {
    spawn_singleton(store, PARAMETER_POLICY_JOB, every, metrics, move || {
        let runner = runner.clone();
        async move {
            match runner.run_due().await {
                Ok(round) if round.expired + round.notified > 0 => {
                    tracing::info!(
                        expired = round.expired,
                        notified = round.notified,
                        "ran parameter policies"
                    );
                    Round::Done
                }
                Ok(_) => Round::Done,
                Err(error) => {
                    tracing::warn!(%error, "running parameter policies failed; will retry");
                    Round::Failed
                }
            }
        }
    })
}

/// How often due webhook deliveries are looked for (a round that
/// delivered something is followed at once by the next).
pub const WEBHOOK_POLL: Duration = Duration::from_millis(250);

/// The singleton job name of webhook delivery: one server delivers at a
/// time, so each subscription gets its events once, in feed order.
pub const WEBHOOK_JOB: &str = "deliver-webhooks";

/// Spawns the loop that delivers webhooks; it stops when the runtime
/// shuts down.
pub fn spawn_webhook_delivery(
    store: Arc<dyn MetaRows>,
    webhooks: Arc<Webhooks>,
    every: Duration,
    metrics: Option<SharedMetrics>,
) -> tokio::task::JoinHandle<()> {
    let counted = metrics.clone();
    spawn_singleton(store, WEBHOOK_JOB, every, metrics, move || {
        let (webhooks, metrics) = (webhooks.clone(), counted.clone());
        async move {
            match webhooks.deliver_due().await {
                Ok(round) => {
                    if let Some(metrics) = &metrics {
                        metrics.webhook_round(&round);
                    }
                    // More may be waiting behind a full batch.
                    if round.delivered > 0 {
                        Round::More
                    } else {
                        Round::Done
                    }
                }
                Err(error) => {
                    tracing::warn!(%error, "delivering webhooks failed; will retry");
                    Round::Failed
                }
            }
        }
    })
}

/// How often the metrics' change-feed numbers are read from the store.
pub const METRICS_SAMPLE_INTERVAL: Duration = Duration::from_secs(5);

/// Spawns the loop that samples the change feed's head and each webhook's
/// lag for the metrics (every server, so each one's `/metrics` has them).
pub fn spawn_metrics_sampler(
    store: Arc<dyn Store>,
    metrics: SharedMetrics,
    every: Duration,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match (store.change_bounds().await, store.list_webhooks().await) {
                (Ok(bounds), Ok(hooks)) => {
                    let samples: Vec<WebhookSample> = hooks
                        .iter()
                        .map(|hook| WebhookSample {
                            id: hook.id.clone(),
                            failed: hook.state.status == WebhookStatus::Failed,
                            lag: bounds
                                .head
                                .saturating_sub(hook.state.delivered_through)
                                .max(0),
                        })
                        .collect();
                    metrics.feed(bounds.head, &samples);
                }
                (Err(error), _) | (_, Err(error)) => {
                    tracing::debug!(%error, "cannot sample the change feed for the metrics");
                }
            }
            tokio::time::sleep(every).await;
        }
    })
}

/// What one round of a singleton job did.
enum Round {
    Done,
    /// More is waiting: the next round runs at once.
    More,
    /// It failed (the round logged why); the next runs after `every`.
    Failed,
}

/// Runs `round` every `every` while this server holds `job`'s singleton
/// lock, retrying the lock every [`LOCK_RETRY`] while another holds it;
/// counts runs and the lock in `metrics`. Stops with the runtime.
fn spawn_singleton<F, Fut>(
    store: Arc<dyn MetaRows>,
    job: &'static str,
    every: Duration,
    metrics: Option<SharedMetrics>,
    mut round: F,
) -> tokio::task::JoinHandle<()>
where
    F: FnMut() -> Fut + Send + 'static,
    Fut: Future<Output = Round> + Send,
{
    tokio::spawn(async move {
        let mut guard: Option<SingletonGuard> = None;
        loop {
            if !guard.as_ref().is_some_and(SingletonGuard::is_held) {
                if guard.take().is_some() {
                    tracing::warn!(job, "lost the singleton lock");
                }
                guard = acquire(&*store, job).await;
                if let Some(metrics) = &metrics {
                    metrics.job_lock(job, guard.is_some());
                }
                if guard.is_none() {
                    tokio::time::sleep(LOCK_RETRY.min(every)).await;
                    continue;
                }
            }
            let outcome = round().await;
            if let Some(metrics) = &metrics {
                metrics.job_ran(job, !matches!(outcome, Round::Failed));
            }
            if !matches!(outcome, Round::More) {
                tokio::time::sleep(every).await;
            }
        }
    })
}

/// The job's lock if this server can take it now.
async fn acquire(store: &dyn MetaRows, job: &str) -> Option<SingletonGuard> {
    match store.try_singleton_lock(job).await {
        Ok(Some(guard)) => {
            tracing::info!(job, "this server now runs the singleton job");
            Some(guard)
        }
        Ok(None) => None,
        Err(error) => {
            tracing::warn!(job, %error, "cannot take the singleton lock; will retry");
            None
        }
    }
}

/// Spawns the task that applies invalidations heard from the other servers
/// sharing the store; `None` when the store has no peers (SQLite).
pub fn spawn_invalidations(
    store: &dyn MetaRows,
    keyring: Arc<Keyring>,
    credentials: Arc<Credentials>,
    identity: Option<Arc<Identity>>,
) -> Option<tokio::task::JoinHandle<()>> {
    let mut events = store.invalidations()?;
    Some(tokio::spawn(async move {
        let identity = identity.as_deref();
        loop {
            match events.recv().await {
                Ok(event) => apply(&event, &keyring, &credentials, identity),
                // Missed some: forget everything rather than guess.
                Err(RecvError::Lagged(_)) => {
                    apply(&Invalidation::All, &keyring, &credentials, identity);
                }
                Err(RecvError::Closed) => return,
            }
        }
    }))
}

fn apply(
    event: &Invalidation,
    keyring: &Keyring,
    credentials: &Credentials,
    identity: Option<&Identity>,
) {
    tracing::debug!(?event, "applying a cache invalidation");
    match event {
        Invalidation::KmsKey { region, key_id } => keyring.forget(region, key_id),
        Invalidation::AccessKey { access_key_id } => credentials.forget(access_key_id),
        // Its policies or tags changed. Its keys are not affected: every key
        // change (a principal's deletion included) publishes its own
        // AccessKey invalidation, so cached keys stay.
        Invalidation::Principal { arn } => {
            if let Some(identity) = identity {
                identity.forget(arn);
            }
        }
        Invalidation::All => {
            keyring.forget_all();
            credentials.forget_all();
            if let Some(identity) = identity {
                identity.forget_all();
            }
        }
    }
}

/// How often access keys' last use is written (batched; see
/// `Credentials::note_use`).
pub const KEY_USE_FLUSH: Duration = Duration::from_secs(5);

/// Spawns the loop that writes access keys' last use every [`KEY_USE_FLUSH`].
pub fn spawn_key_use_flush(credentials: Arc<Credentials>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(KEY_USE_FLUSH).await;
            if let Err(error) = credentials.flush_key_use().await {
                tracing::warn!(%error, "cannot record access keys' last use; will retry");
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use kinko_store::{SqliteStore, Store};

    use super::*;

    /// On a single-process store the purge always holds its lock and runs.
    #[tokio::test]
    async fn the_purge_runs_on_a_single_process_store() {
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory().unwrap());
        let guard = acquire(&*store, PURGE_JOB).await.unwrap();
        assert!(guard.is_held());
        assert!(
            spawn_invalidations(
                &*store,
                Arc::new(Keyring::new(
                    store.clone(),
                    kinko_crypto::RootKey::generate(),
                    "000000000000".to_owned()
                )),
                Arc::new(Credentials::new(
                    store.clone(),
                    Arc::new(Keyring::new(
                        store.clone(),
                        kinko_crypto::RootKey::generate(),
                        "000000000000".to_owned()
                    ))
                )),
                None,
            )
            .is_none(),
            "no peers, no listener"
        );
    }
}
