//! [`SecretsManager`]: the Secrets Manager operations over a [`Store`] and
//! the [`Keyring`]. The operations live in one module per group (`create`,
//! `get`, `put`, `describe`, `list`, `delete`, `tags`, `policy`,
//! `replication`); this module holds what they share: the clock, sealing and
//! opening values, resolving a `SecretId`, and the compare-and-swap commit.

use std::sync::Arc;

use kinko_model::secrets::SecretRef;
use kinko_store::{
    Change, ChangeOrigin, ChangeSource, SecretRecord, SecretRows, SecretState, SecretVersion,
    SecretWrite, Store, WriteOutcome,
};

use super::error::SecretsError;
use super::model::{Caller, SecretIdentity, SecretValue};
use super::stages;
use crate::keyring::{Keyring, KeyringError};
use crate::kms::KeyManagers;

/// The key every value is sealed with unless the secret names another.
pub const DEFAULT_KEY: &str = "alias/aws/secretsmanager";
/// Compare-and-swap attempts before giving up with a 500.
pub const MAX_WRITE_ATTEMPTS: usize = 64;
/// Deprecated (unlabelled) versions kept, as AWS does.
pub const MAX_DEPRECATED: usize = 100;
pub const DAY_MS: i64 = 86_400_000;
/// The 64 KB value limit (`SecretString` characters / `SecretBinary` bytes).
pub const MAX_VALUE_LEN: usize = 65_536;

pub use crate::clock::{Clock, SystemClock};

pub struct SecretsManager {
    /// Only the secret rows: keys are the keyring's (whose key rows also
    /// answer which keys are customer managed).
    pub(super) store: Arc<dyn SecretRows>,
    pub(super) keyring: Arc<Keyring>,
    pub(super) clock: Arc<dyn Clock>,
    /// Tells customer-managed keys (whose use needs `kms:*` permission) from
    /// AWS-managed ones.
    pub(super) key_managers: KeyManagers,
}

impl std::fmt::Debug for SecretsManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretsManager").finish_non_exhaustive()
    }
}

/// The new state of a secret an operation wants to write, with the
/// plaintext of the versions it adds (replicas seal them under their own key).
pub(super) struct Plan {
    pub state: SecretState,
    pub new_values: Vec<(String, SecretValue)>,
}

impl SecretsManager {
    pub fn new(store: Arc<dyn SecretRows>, keyring: Arc<Keyring>) -> Self {
        SecretsManager {
            store,
            keyring,
            clock: Arc::new(SystemClock),
            key_managers: KeyManagers::new(),
        }
    }

    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// A service over a fresh in-memory SQLite database with a random root
    /// key: for `--dev` mode and tests of the layers above.
    pub fn in_memory(account_id: &str) -> Result<Self, SecretsError> {
        let store: Arc<dyn Store> = Arc::new(kinko_store::SqliteStore::open_in_memory()?);
        let keyring = Arc::new(Keyring::new(
            store.clone(),
            kinko_crypto::RootKey::generate(),
            account_id.to_owned(),
        ));
        Ok(Self::new(store, keyring))
    }

    pub(super) fn now(&self) -> i64 {
        self.clock.now_ms()
    }

    /// Binds a sealed value to its secret (by ARN, which carries the region
    /// and the random suffix) and version, as AWS's encryption context does.
    fn aad(arn: &str, version_id: &str) -> Vec<u8> {
        format!("secretsmanager:{arn}:{version_id}").into_bytes()
    }

    pub(super) async fn seal(
        &self,
        record: &SecretRecord,
        version_id: &str,
        value: &SecretValue,
    ) -> Result<Vec<u8>, SecretsError> {
        let key_ref = record.kms_key_id.as_deref().unwrap_or(DEFAULT_KEY);
        let aad = Self::aad(&record.arn, version_id);
        let (sealed, _key) = self
            .keyring
            .seal(&record.region, key_ref, value.bytes(), &aad)
            .await
            .map_err(|e| match e {
                KeyringError::KeyNotFound(_) => SecretsError::EncryptionFailure(format!(
                    "Secrets Manager can't encrypt the secret value: the KMS key {key_ref} doesn't exist in {}.",
                    record.region
                )),
                KeyringError::KeyDisabled(arn) => SecretsError::EncryptionFailure(format!(
                    "Secrets Manager can't encrypt the secret value: the KMS key {arn} is disabled."
                )),
                KeyringError::NotSymmetric(arn) => SecretsError::EncryptionFailure(format!(
                    "Secrets Manager can't encrypt the secret value: the KMS key {arn} is not a symmetric encryption key."
                )),
                other => keyring_fault(other),
            })?;
        Ok(sealed)
    }

    pub(super) async fn open(
        &self,
        record: &SecretRecord,
        version: &SecretVersion,
    ) -> Result<SecretValue, SecretsError> {
        let aad = Self::aad(&record.arn, &version.version_id);
        let plain = self
            .keyring
            .open(&record.region, &version.value, &aad)
            .await
            .map_err(|e| match e {
                KeyringError::KeyNotFound(_) => SecretsError::DecryptionFailure(
                    "Secrets Manager can't decrypt the protected secret text using the provided KMS key: the key no longer exists."
                        .into(),
                ),
                KeyringError::KeyDisabled(arn) => SecretsError::DecryptionFailure(format!(
                    "Secrets Manager can't decrypt the protected secret text using the provided KMS key: {arn} is disabled."
                )),
                KeyringError::Decrypt => SecretsError::Tampered(format!(
                    "The stored value of secret {} (version {}) failed its integrity check: it was altered or copied from another secret in the database. Restore it from a backup or put a new value.",
                    record.name, version.version_id
                )),
                other => keyring_fault(other),
            })?;
        if version.binary {
            Ok(SecretValue::Binary(plain))
        } else {
            plain
                .into_secret_string()
                .map(SecretValue::Text)
                .map_err(|_| {
                    SecretsError::Internal(format!(
                        "stored SecretString of {} is not UTF-8",
                        record.name
                    ))
                })
        }
    }

    /// The secret a `SecretId` names in the caller's region, if any.
    pub(super) async fn find(
        &self,
        caller: &Caller,
        secret_id: &str,
    ) -> Result<Option<SecretState>, SecretsError> {
        let r = SecretRef::parse(secret_id);
        if r.name().is_empty() {
            return Ok(None);
        }
        let state = self.store.get_secret(&caller.region, r.name()).await?;
        Ok(state.filter(|s| r.matches(&s.record.arn)))
    }

    pub(super) async fn resolve(
        &self,
        caller: &Caller,
        secret_id: &str,
    ) -> Result<SecretState, SecretsError> {
        self.find(caller, secret_id)
            .await?
            .ok_or_else(SecretsError::secret_not_found)
    }

    /// Writes `plan` over `before` (compare-and-swap on its revision),
    /// together with the matching writes to every replica.
    pub(super) async fn commit(
        &self,
        caller: &Caller,
        operation: &str,
        before: &SecretState,
        mut plan: Plan,
    ) -> Result<WriteOutcome, SecretsError> {
        let change = self.change(caller, operation, Some(before), &plan.state);
        collect_garbage(&mut plan.state.versions, self.now());
        let (upsert, delete) = diff(&before.versions, &plan.state.versions);
        let mut writes = vec![SecretWrite::Update {
            expected_revision: before.record.revision,
            record: plan.state.record.clone(),
            upsert_versions: upsert.clone(),
            delete_versions: delete.clone(),
        }];
        writes.extend(
            self.replica_writes(&plan.state.record, &upsert, &delete, &plan.new_values)
                .await?,
        );
        Ok(self.store.write_secrets(writes, vec![change]).await?)
    }

    /// The change-feed record of `operation` turning `before` (`None`: a
    /// new secret) into `after`: the version it created, if any, and every
    /// staging label that moved onto a version.
    pub(super) fn change(
        &self,
        caller: &Caller,
        operation: &str,
        before: Option<&SecretState>,
        after: &SecretState,
    ) -> Change {
        secret_change(&caller.change_origin(self.now()), operation, before, after)
    }
}

fn keyring_fault(e: KeyringError) -> SecretsError {
    match e {
        KeyringError::Store(kinko_store::StoreError::Unavailable(m)) => {
            SecretsError::Unavailable(m)
        }
        KeyringError::Store(kinko_store::StoreError::OutOfSpace) => SecretsError::OutOfSpace,
        other => SecretsError::Internal(format!("keyring: {other}")),
    }
}

/// Refuses writes to a secret scheduled for deletion.
pub(super) fn check_live(record: &SecretRecord) -> Result<(), SecretsError> {
    match record.deleted_ms {
        Some(_) => Err(SecretsError::marked_for_deletion()),
        None => Ok(()),
    }
}

/// Refuses writes to a replica: they go through its primary.
pub(super) fn check_primary(record: &SecretRecord) -> Result<(), SecretsError> {
    match record.primary_region {
        Some(_) => Err(SecretsError::replica_read_only()),
        None => Ok(()),
    }
}

/// The token every value write needs (checked before any lookup, as AWS does).
pub(super) fn require_token(token: Option<&str>) -> Result<&str, SecretsError> {
    token.ok_or_else(SecretsError::missing_token)
}

pub(super) fn identity(record: &SecretRecord, version_id: Option<String>) -> SecretIdentity {
    SecretIdentity {
        arn: record.arn.clone(),
        name: record.name.clone(),
        version_id,
    }
}

/// Midnight UTC of the day of `ms`: AWS keeps `LastAccessedDate` to the day.
pub(super) fn day_of(ms: i64) -> i64 {
    ms.div_euclid(DAY_MS) * DAY_MS
}

/// Drops the oldest deprecated versions beyond [`MAX_DEPRECATED`], never
/// one younger than a day (AWS's rule).
fn collect_garbage(versions: &mut Vec<SecretVersion>, now: i64) {
    let deprecated = versions.iter().filter(|v| v.stages.is_empty()).count();
    let mut excess = deprecated.saturating_sub(MAX_DEPRECATED);
    if excess == 0 {
        return;
    }
    let mut order: Vec<(i64, String)> = versions
        .iter()
        .filter(|v| v.stages.is_empty() && now - v.created_ms >= DAY_MS)
        .map(|v| (v.created_ms, v.version_id.clone()))
        .collect();
    order.sort();
    let mut drop: Vec<String> = Vec::new();
    for (_, id) in order {
        if excess == 0 {
            break;
        }
        drop.push(id);
        excess -= 1;
    }
    versions.retain(|v| !drop.contains(&v.version_id));
}

/// Versions to upsert (new or changed) and ids to delete.
pub(super) fn diff(
    before: &[SecretVersion],
    after: &[SecretVersion],
) -> (Vec<SecretVersion>, Vec<String>) {
    let upsert = after
        .iter()
        .filter(|a| !before.iter().any(|b| b == *a))
        .cloned()
        .collect();
    let delete = before
        .iter()
        .filter(|b| !after.iter().any(|a| a.version_id == b.version_id))
        .map(|b| b.version_id.clone())
        .collect();
    (upsert, delete)
}

/// Appends a version and labels it (§3 rules).
pub(super) fn append_version(
    state: &mut SecretState,
    version: SecretVersion,
    requested: Option<&[String]>,
) {
    let id = version.version_id.clone();
    state.versions.push(version);
    stages::label_new_version(&mut state.versions, &id, requested);
}

/// [`SecretsManager::change`] for any origin (the scheduler's purge has no
/// caller).
pub(super) fn secret_change(
    origin: &ChangeOrigin,
    operation: &str,
    before: Option<&SecretState>,
    after: &SecretState,
) -> Change {
    let old = |id: &str| before.and_then(|b| b.versions.iter().find(|v| v.version_id == id));
    let mut moved = Vec::new();
    let mut created = None;
    for version in &after.versions {
        let previous = old(&version.version_id);
        if previous.is_none() {
            created = Some(version.version_id.clone());
        }
        for stage in &version.stages {
            if !previous.is_some_and(|p| p.stages.contains(stage)) {
                moved.push(serde_json::json!({"label": stage, "versionId": version.version_id}));
            }
        }
    }
    let mut change = Change::new(
        origin,
        ChangeSource::SecretsManager,
        operation,
        after.record.arn.clone(),
        &after.record.name,
    );
    if let Some(id) = created {
        change = change.with_version(id);
    }
    if !moved.is_empty() {
        change = change.with("labelsMoved", moved);
    }
    change
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(id: &str, stages: &[&str], created_ms: i64) -> SecretVersion {
        SecretVersion {
            version_id: id.into(),
            value: vec![1],
            binary: false,
            stages: stages.iter().map(|s| s.to_string()).collect(),
            created_ms,
            last_accessed_ms: None,
            kms_key_id: None,
        }
    }

    #[test]
    fn garbage_collection_keeps_100_deprecated_and_young_ones() {
        let now = 10 * DAY_MS;
        let mut versions = vec![v("cur", &["AWSCURRENT"], 0)];
        for i in 0..103 {
            // The last two are less than a day old.
            let created = if i >= 101 { now - 1000 } else { i };
            versions.push(v(&format!("d{i}"), &[], created));
        }
        collect_garbage(&mut versions, now);
        assert_eq!(versions.len(), 101);
        assert!(versions.iter().any(|v| v.version_id == "cur"));
        for gone in ["d0", "d1", "d2"] {
            assert!(!versions.iter().any(|v| v.version_id == gone), "{gone}");
        }
        assert!(versions.iter().any(|v| v.version_id == "d102"));
    }

    #[test]
    fn diff_finds_new_changed_and_removed() {
        let before = vec![v("a", &["AWSCURRENT"], 0), v("b", &[], 0)];
        let after = vec![v("a", &["AWSPREVIOUS"], 0), v("c", &["AWSCURRENT"], 1)];
        let (upsert, delete) = diff(&before, &after);
        let ids: Vec<_> = upsert.iter().map(|v| v.version_id.as_str()).collect();
        assert_eq!(ids, ["a", "c"]);
        assert_eq!(delete, ["b"]);
    }

    #[test]
    fn days() {
        assert_eq!(day_of(DAY_MS + 5), DAY_MS);
        assert_eq!(day_of(DAY_MS), DAY_MS);
    }
}
