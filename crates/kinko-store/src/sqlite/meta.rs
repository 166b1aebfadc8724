//! The store as a whole ([`crate::MetaRows`]): server metadata, snapshots,
//! and what servers sharing the store tell each other.

use std::sync::Arc;

use async_trait::async_trait;

use super::{SqliteStore, read_in, run_blocking};
use crate::{Invalidation, MetaRows, SingletonGuard, Snapshot, StoreError};

#[async_trait]
impl MetaRows for SqliteStore {
    async fn get_meta(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let key = key.to_owned();
        self.read(move |conn| super::keys::get_meta(conn, &key))
            .await
    }

    async fn init_meta(&self, key: &str, value: &[u8]) -> Result<Vec<u8>, StoreError> {
        let (key, value) = (key.to_owned(), value.to_vec());
        self.write(move |conn| super::keys::init_meta(conn, &key, &value))
            .await
    }

    async fn export_snapshot(&self) -> Result<Snapshot, StoreError> {
        // On the blocking pool even when a reader is free: an export reads
        // everything, far too long to run on an async worker.
        let shared = Arc::clone(&self.shared);
        run_blocking(move || read_in(&mut shared.reader(), super::snapshot::export)).await
    }

    async fn import_snapshot(&self, snapshot: &Snapshot) -> Result<(), StoreError> {
        let snapshot = snapshot.clone();
        self.write(move |conn| super::snapshot::import(conn, &snapshot))
            .await
    }

    /// Nothing to tell: only this process uses the store.
    async fn publish_invalidation(&self, _event: &Invalidation) -> Result<(), StoreError> {
        Ok(())
    }

    /// No peers to hear from: one process uses the store.
    fn invalidations(&self) -> Option<tokio::sync::broadcast::Receiver<Invalidation>> {
        None
    }

    /// Always granted: there is no other node to hold the job.
    async fn try_singleton_lock(&self, _job: &str) -> Result<Option<SingletonGuard>, StoreError> {
        Ok(Some(SingletonGuard::local()))
    }
}
