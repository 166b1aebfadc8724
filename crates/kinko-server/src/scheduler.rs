//! Background jobs of a running server.
//!
//! For now one: purging secrets whose deletion window has ended, as Secrets
//! Manager does. Each run is idempotent (compare-and-swap deletes), so two
//! servers on one database may both run it; the advisory-lock singleton
//! belongs to the PostgreSQL issue.

use std::sync::Arc;
use std::time::Duration;

use kinko_core::secrets::SecretsManager;

/// How often scheduled deletions are checked. A secret is purged at most
/// this long after its `DeletionDate`.
pub const PURGE_INTERVAL: Duration = Duration::from_secs(60);

/// Spawns the purge loop; it stops when the runtime shuts down.
pub fn spawn_purge(secrets: Arc<SecretsManager>, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            let now_ms = jiff::Timestamp::now().as_millisecond();
            match secrets.purge_due(now_ms).await {
                Ok(0) => {}
                Ok(purged) => tracing::info!(purged, "purged secrets whose deletion window ended"),
                Err(error) => tracing::warn!(%error, "purging deleted secrets failed; will retry"),
            }
        }
    })
}
