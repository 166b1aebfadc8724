//! The store as a whole ([`crate::MetaRows`]): server metadata, snapshots,
//! and what servers sharing the store tell each other.

use std::sync::{Arc, PoisonError};

use async_trait::async_trait;
use tokio_postgres::IsolationLevel;

use super::{NO_SERVER_TIMEOUTS, PostgresStore, execute};
use crate::{Invalidation, MetaRows, SingletonGuard, Snapshot, StoreError};

#[async_trait]
impl MetaRows for PostgresStore {
    async fn get_meta(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        with_client!(self, |client| super::keys::get_meta(&client, key).await)
    }

    async fn init_meta(&self, key: &str, value: &[u8]) -> Result<Vec<u8>, StoreError> {
        with_client!(self, |client| {
            super::keys::init_meta(&client, key, value).await
        })
    }

    /// Without a deadline, here or on the server: a whole store may take
    /// longer to read than one request may wait.
    async fn export_snapshot(&self) -> Result<Snapshot, StoreError> {
        let mut client = self.client().await?;
        let tx = client
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await?;
        tx.batch_execute(NO_SERVER_TIMEOUTS).await?;
        transaction!(@finish tx, super::snapshot::export(&tx))
    }

    /// Without a deadline, as [`Self::export_snapshot`].
    async fn import_snapshot(&self, snapshot: &Snapshot) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        tx.batch_execute(NO_SERVER_TIMEOUTS).await?;
        transaction!(@finish tx, super::snapshot::import(&tx, snapshot))
    }

    async fn publish_invalidation(&self, event: &Invalidation) -> Result<(), StoreError> {
        let payload = super::cluster::notify_payload(event);
        with_client!(self, |client| {
            execute(&client, super::cluster::NOTIFY_SQL, &[&payload]).await?;
            Ok(())
        })
    }

    /// Starts the LISTEN session on first use (it needs a runtime: `None`
    /// outside one). Every (re)connect of that session emits
    /// [`Invalidation::All`], since notifications sent while it was down are lost.
    fn invalidations(&self) -> Option<tokio::sync::broadcast::Receiver<Invalidation>> {
        let mut slot = self
            .invalidations
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(sender) = slot.as_ref() {
            return Some(sender.subscribe());
        }
        let runtime = tokio::runtime::Handle::try_current().ok()?;
        let sender = Arc::new(super::cluster::new_sender());
        let receiver = sender.subscribe();
        super::cluster::spawn_listener(
            Arc::clone(&self.config),
            Arc::downgrade(&sender),
            self.timeout,
            &runtime,
        );
        *slot = Some(sender);
        Some(receiver)
    }

    async fn try_singleton_lock(&self, job: &str) -> Result<Option<SingletonGuard>, StoreError> {
        super::cluster::try_lock(&self.config, job, self.timeout).await
    }
}
