//! Test support: the real (in-memory) SQLite store, whose audit appends
//! can be made to fail — a full disk, a database restarting — and healed
//! again. Everything else is the real store, so the whole server runs on
//! it. Not a fake: only `append_audit` is intercepted.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use kinko_model::Tag;
use kinko_model::ssm::VersionSelector;
use kinko_store::*;

/// What a failing append answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fault {
    /// `StoreError::Unavailable` (PostgreSQL restarting).
    Unavailable,
    /// `StoreError::Backend` (SQLite: "database or disk is full").
    DiskFull,
    /// `StoreError::Unsupported` (a store that keeps no audit records).
    Unsupported,
}

pub(crate) struct FaultyAuditStore {
    inner: SqliteStore,
    /// What the next appends do, in order (`None`: pass through).
    plan: Mutex<VecDeque<Option<Fault>>>,
    /// What appends do once the plan is used up (`None`: pass through).
    then: Mutex<Option<Fault>>,
    /// Every `append_audit` call, failed or not.
    pub(crate) attempts: AtomicUsize,
}

impl FaultyAuditStore {
    pub(crate) fn new() -> Self {
        Self {
            inner: SqliteStore::open_in_memory().expect("in-memory SQLite"),
            plan: Mutex::new(VecDeque::new()),
            then: Mutex::new(None),
            attempts: AtomicUsize::new(0),
        }
    }

    /// The next `n` appends (after those already planned) fail with `fault`.
    pub(crate) fn fail_next(&self, n: usize, fault: Fault) {
        self.plan
            .lock()
            .unwrap()
            .extend((0..n).map(|_| Some(fault)));
    }

    /// The next `n` appends (after those already planned) go through.
    pub(crate) fn pass_next(&self, n: usize) {
        self.plan.lock().unwrap().extend((0..n).map(|_| None));
    }

    /// Every append fails with `fault` until [`Self::heal`].
    pub(crate) fn fail_until_healed(&self, fault: Fault) {
        *self.then.lock().unwrap() = Some(fault);
    }

    /// Appends go through again (the plan is dropped).
    pub(crate) fn heal(&self) {
        self.plan.lock().unwrap().clear();
        *self.then.lock().unwrap() = None;
    }

    fn injected(&self) -> Option<StoreError> {
        let planned = self.plan.lock().unwrap().pop_front();
        let fault = match planned {
            Some(step) => step,
            None => *self.then.lock().unwrap(),
        }?;
        Some(match fault {
            Fault::Unavailable => StoreError::Unavailable("injected: restarting".into()),
            Fault::DiskFull => StoreError::Backend("injected: database or disk is full".into()),
            Fault::Unsupported => StoreError::Unsupported("append_audit"),
        })
    }
}

#[async_trait]
impl Store for FaultyAuditStore {
    async fn append_audit(
        &self,
        records: &[(i64, String)],
        link: AuditLink,
    ) -> Result<Vec<AuditRow>, StoreError> {
        self.attempts.fetch_add(1, Ordering::SeqCst);
        if let Some(error) = self.injected() {
            return Err(error);
        }
        self.inner.append_audit(records, link).await
    }

    async fn get_parameter(
        &self,
        region: &str,
        name: &str,
        selector: &VersionSelector,
    ) -> Result<ParameterLookup, StoreError> {
        self.inner.get_parameter(region, name, selector).await
    }

    async fn parameter_history(
        &self,
        region: &str,
        name: &str,
    ) -> Result<Option<Vec<ParameterVersion>>, StoreError> {
        self.inner.parameter_history(region, name).await
    }

    async fn put_parameter_version(
        &self,
        region: &str,
        write: ParameterWrite,
    ) -> Result<PutOutcome, StoreError> {
        self.inner.put_parameter_version(region, write).await
    }

    async fn delete_parameter(&self, region: &str, name: &str) -> Result<bool, StoreError> {
        self.inner.delete_parameter(region, name).await
    }

    async fn list_parameters(
        &self,
        region: &str,
        query: &ParameterQuery,
    ) -> Result<Vec<ParameterRecord>, StoreError> {
        self.inner.list_parameters(region, query).await
    }

    async fn label_parameter_version(
        &self,
        region: &str,
        name: &str,
        version: Option<u32>,
        labels: &[String],
        max_labels: usize,
    ) -> Result<u32, StoreError> {
        self.inner
            .label_parameter_version(region, name, version, labels, max_labels)
            .await
    }

    async fn unlabel_parameter_version(
        &self,
        region: &str,
        name: &str,
        version: u32,
        labels: &[String],
    ) -> Result<UnlabelOutcome, StoreError> {
        self.inner
            .unlabel_parameter_version(region, name, version, labels)
            .await
    }

    async fn add_parameter_tags(
        &self,
        region: &str,
        name: &str,
        tags: &[Tag],
        max_tags: usize,
    ) -> Result<(), StoreError> {
        self.inner
            .add_parameter_tags(region, name, tags, max_tags)
            .await
    }

    async fn remove_parameter_tags(
        &self,
        region: &str,
        name: &str,
        keys: &[String],
    ) -> Result<(), StoreError> {
        self.inner.remove_parameter_tags(region, name, keys).await
    }

    async fn get_kms_key(
        &self,
        region: &str,
        key_id: &str,
    ) -> Result<Option<KmsKeyRecord>, StoreError> {
        self.inner.get_kms_key(region, key_id).await
    }

    async fn get_kms_alias(&self, region: &str, alias: &str) -> Result<Option<String>, StoreError> {
        self.inner.get_kms_alias(region, alias).await
    }

    async fn create_kms_key(
        &self,
        key: KmsKeyRecord,
        alias: Option<&str>,
    ) -> Result<(), StoreError> {
        self.inner.create_kms_key(key, alias).await
    }

    async fn list_kms_keys(&self, region: &str) -> Result<Vec<KmsKeyRecord>, StoreError> {
        self.inner.list_kms_keys(region).await
    }

    async fn update_kms_key(&self, key: KmsKeyRecord) -> Result<(), StoreError> {
        self.inner.update_kms_key(key).await
    }

    async fn list_kms_aliases(&self, region: &str) -> Result<Vec<KmsAliasRecord>, StoreError> {
        self.inner.list_kms_aliases(region).await
    }

    async fn create_kms_alias(&self, alias: KmsAliasRecord) -> Result<(), StoreError> {
        self.inner.create_kms_alias(alias).await
    }

    async fn update_kms_alias(
        &self,
        region: &str,
        alias: &str,
        key_id: &str,
        updated_ms: i64,
    ) -> Result<(), StoreError> {
        self.inner
            .update_kms_alias(region, alias, key_id, updated_ms)
            .await
    }

    async fn delete_kms_alias(&self, region: &str, alias: &str) -> Result<bool, StoreError> {
        self.inner.delete_kms_alias(region, alias).await
    }

    async fn get_secret(
        &self,
        region: &str,
        name: &str,
    ) -> Result<Option<SecretState>, StoreError> {
        self.inner.get_secret(region, name).await
    }

    async fn list_secrets(&self, region: &str) -> Result<Vec<SecretState>, StoreError> {
        self.inner.list_secrets(region).await
    }

    async fn secrets_due_for_purge(&self, now_ms: i64) -> Result<Vec<SecretRecord>, StoreError> {
        self.inner.secrets_due_for_purge(now_ms).await
    }

    async fn write_secrets(&self, writes: Vec<SecretWrite>) -> Result<WriteOutcome, StoreError> {
        self.inner.write_secrets(writes).await
    }

    async fn get_access_key(
        &self,
        access_key_id: &str,
    ) -> Result<Option<AccessKeyRecord>, StoreError> {
        self.inner.get_access_key(access_key_id).await
    }

    async fn create_access_key(&self, key: AccessKeyRecord) -> Result<(), StoreError> {
        self.inner.create_access_key(key).await
    }

    async fn create_principal(&self, principal: PrincipalRecord) -> Result<(), StoreError> {
        self.inner.create_principal(principal).await
    }

    async fn get_principal(&self, name: &str) -> Result<Option<PrincipalRecord>, StoreError> {
        self.inner.get_principal(name).await
    }

    async fn get_principal_by_arn(&self, arn: &str) -> Result<Option<PrincipalRecord>, StoreError> {
        self.inner.get_principal_by_arn(arn).await
    }

    async fn list_principals(&self) -> Result<Vec<PrincipalRecord>, StoreError> {
        self.inner.list_principals().await
    }

    async fn update_principal(&self, principal: PrincipalRecord) -> Result<(), StoreError> {
        self.inner.update_principal(principal).await
    }

    async fn delete_principal(&self, name: &str) -> Result<bool, StoreError> {
        self.inner.delete_principal(name).await
    }

    async fn put_policy(&self, policy: PolicyRecord) -> Result<(), StoreError> {
        self.inner.put_policy(policy).await
    }

    async fn get_policy(
        &self,
        principal_arn: &str,
        name: &str,
    ) -> Result<Option<PolicyRecord>, StoreError> {
        self.inner.get_policy(principal_arn, name).await
    }

    async fn list_policies(&self, principal_arn: &str) -> Result<Vec<PolicyRecord>, StoreError> {
        self.inner.list_policies(principal_arn).await
    }

    async fn delete_policy(&self, principal_arn: &str, name: &str) -> Result<bool, StoreError> {
        self.inner.delete_policy(principal_arn, name).await
    }

    async fn create_access_key_limited(
        &self,
        key: AccessKeyRecord,
        max_usable: usize,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        self.inner
            .create_access_key_limited(key, max_usable, now_ms)
            .await
    }

    async fn list_access_keys(
        &self,
        principal_arn: Option<&str>,
    ) -> Result<Vec<AccessKeyRecord>, StoreError> {
        self.inner.list_access_keys(principal_arn).await
    }

    async fn update_access_key(
        &self,
        access_key_id: &str,
        active: bool,
        retire_ms: Option<i64>,
    ) -> Result<(), StoreError> {
        self.inner
            .update_access_key(access_key_id, active, retire_ms)
            .await
    }

    async fn delete_access_key(&self, access_key_id: &str) -> Result<bool, StoreError> {
        self.inner.delete_access_key(access_key_id).await
    }

    async fn record_key_use(&self, uses: &[KeyUse]) -> Result<(), StoreError> {
        self.inner.record_key_use(uses).await
    }

    async fn read_audit(&self, after_seq: i64, limit: usize) -> Result<Vec<AuditRow>, StoreError> {
        self.inner.read_audit(after_seq, limit).await
    }

    async fn audit_head(&self) -> Result<Option<(i64, String)>, StoreError> {
        self.inner.audit_head().await
    }

    async fn get_meta(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.inner.get_meta(key).await
    }

    async fn init_meta(&self, key: &str, value: &[u8]) -> Result<Vec<u8>, StoreError> {
        self.inner.init_meta(key, value).await
    }

    async fn export_snapshot(&self) -> Result<Snapshot, StoreError> {
        self.inner.export_snapshot().await
    }

    async fn import_snapshot(&self, snapshot: &Snapshot) -> Result<(), StoreError> {
        self.inner.import_snapshot(snapshot).await
    }

    async fn publish_invalidation(&self, event: &Invalidation) -> Result<(), StoreError> {
        self.inner.publish_invalidation(event).await
    }

    fn invalidations(&self) -> Option<tokio::sync::broadcast::Receiver<Invalidation>> {
        self.inner.invalidations()
    }

    async fn try_singleton_lock(&self, job: &str) -> Result<Option<SingletonGuard>, StoreError> {
        self.inner.try_singleton_lock(job).await
    }
}
