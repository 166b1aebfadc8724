//! The storage layer: the [`Store`] traits by area, their records, and the backends.
//!
//! A store only ever holds ciphertext: every value arrives already sealed by
//! `kinko-crypto` (see `kinko-core`), so a stolen database file is useless
//! without the root key. The store does not link `kinko-crypto`: it cannot
//! open what it keeps. Its vocabulary (tags, principal kinds, version
//! selectors) is `kinko-model`'s. The store's job is durability and atomicity:
//! version allocation, label moves and tag updates happen in one transaction,
//! and concurrent writers never lose an update.
//!
//! Data is partitioned by region, as on AWS: every parameter and key record is
//! addressed by `(region, name)`.
//!
//! Semantics that belong to the AWS APIs (name rules, which errors to return,
//! what an overwrite keeps) live in `kinko-core`; the store offers the few
//! atomic primitives those semantics need (compare-and-swap on the latest
//! version, label moves, tag upserts with a cap).

pub mod backup;
pub mod postgres;
pub mod singleton;
pub mod sqlite;
mod unique_id;

#[cfg(any(test, feature = "conformance"))]
pub mod conformance;

mod audit;
mod changes;
mod identity;
mod keys;
mod meta;
mod parameters;
mod policy_actions;
mod secrets;
mod webhooks;

pub use audit::{AUDIT_GENESIS, AuditLink, AuditRow, AuditRows};
pub use changes::{Change, ChangeBounds, ChangeOrigin, ChangeRecord, ChangeRows, ChangeSource};
pub use identity::{
    AccessKeyRecord, IdentityRows, KeyUse, OidcProviderRecord, PolicyRecord, PrincipalRecord,
};
pub(crate) use identity::{principal_kind_from_stored, tags_from_stored, tags_to_stored};
pub use keys::{KeyRows, KmsAliasRecord, KmsKeyMaterialRecord, KmsKeyRecord};
pub use meta::{Invalidation, MetaRows, Snapshot};
pub(crate) use parameters::parameter_type_from_stored;
pub use parameters::{
    ParameterExport, ParameterLookup, ParameterQuery, ParameterRecord, ParameterRows,
    ParameterVersion, ParameterWrite, PutOutcome, UnlabelOutcome,
};
pub use policy_actions::{PolicyActionRows, PolicyCandidate, PolicyEffect};
pub use postgres::PostgresStore;
pub use secrets::{
    SecretRecord, SecretRows, SecretState, SecretVersion, SecretWrite, WriteOutcome,
};
pub use singleton::SingletonGuard;
pub use sqlite::SqliteStore;
pub use webhooks::{WebhookRecord, WebhookRows, WebhookState, WebhookStatus};

/// The whole store: every area at once. The composition root holds one
/// `Arc<dyn Store>` and hands each service the part it needs (`Arc<dyn
/// Store>` upcasts to `Arc<dyn KeyRows>` and the others); backup, restore
/// and the conformance suite take the whole.
pub trait Store:
    ParameterRows
    + SecretRows
    + KeyRows
    + IdentityRows
    + AuditRows
    + ChangeRows
    + WebhookRows
    + PolicyActionRows
    + MetaRows
    + Send
    + Sync
    + 'static
{
}

impl<T> Store for T where
    T: ParameterRows
        + SecretRows
        + KeyRows
        + IdentityRows
        + AuditRows
        + ChangeRows
        + WebhookRows
        + PolicyActionRows
        + MetaRows
        + Send
        + Sync
        + 'static
{
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("parameter not found")]
    ParameterNotFound,
    #[error("parameter version not found")]
    VersionNotFound,
    #[error("the version would carry more than {max} labels")]
    LabelLimitExceeded { max: usize },
    #[error("version {version}, the oldest, carries a label and cannot be dropped")]
    OldestVersionLabelled { version: u32 },
    #[error("the resource would carry more than {max} tags")]
    TooManyTags { max: usize },
    #[error("already exists")]
    AlreadyExists,
    #[error("not found")]
    NotFound,
    #[error("limit of {max} exceeded")]
    LimitExceeded { max: usize },
    #[error("tags can only be set when a parameter is created")]
    TagsOnOverwrite,
    /// A restore found data in the target store; it only loads into an empty one.
    #[error("the target store is not empty ({0}); restore only loads into an empty store")]
    NotEmpty(String),
    /// What a store does not offer. Neither backend answers it (both
    /// implement every method, and no trait method has a default); kept for
    /// a wrapper or a future backend, and because the audit writer's answer
    /// to it (an outage, never a dropped batch) is pinned by a test.
    #[error("not supported by this store: {0}")]
    Unsupported(&'static str),
    /// The backend cannot be reached (a database restarting) or did not
    /// answer in time. Retryable.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// The disk under the store is full (SQLite's `SQLITE_FULL`,
    /// PostgreSQL's `disk_full`): the write was rolled back, nothing of it
    /// was kept. Retryable once space is freed; reads keep working.
    #[error("the store is out of disk space; the write was not made")]
    OutOfSpace,
    /// Anything else the backend reported. Never contains a value.
    #[error("store failure: {0}")]
    Backend(String),
}
