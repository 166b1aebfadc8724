//! Principals, their inline policies, access keys and the record of key use.

use async_trait::async_trait;
use kinko_model::Tag;
use kinko_model::principals::PrincipalKind;

use crate::{Change, StoreError};

/// An access key for SigV4. The secret is sealed (see `kinko-core`).
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AccessKeyRecord {
    pub access_key_id: String,
    /// ARN of the principal that owns the key.
    pub principal_arn: String,
    #[serde(with = "crate::backup::base64_bytes")]
    pub sealed_secret: Vec<u8>,
    pub active: bool,
    pub created_ms: i64,
    /// The key stops authenticating at this time (set by key rotation).
    #[serde(default)]
    pub retire_ms: Option<i64>,
    /// When the key last authenticated a request (written in batches).
    #[serde(default)]
    pub last_used_ms: Option<i64>,
    /// The operation of that last use.
    #[serde(default)]
    pub last_used_operation: Option<String>,
}

impl std::fmt::Debug for AccessKeyRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessKeyRecord")
            .field("access_key_id", &self.access_key_id)
            .field("principal_arn", &self.principal_arn)
            .field("active", &self.active)
            .field("retire_ms", &self.retire_ms)
            .field("last_used_ms", &self.last_used_ms)
            .finish_non_exhaustive()
    }
}

/// Reads [`PrincipalKind::as_str`]'s form back; anything else is a corrupt row.
pub(crate) fn principal_kind_from_stored(text: &str) -> Result<PrincipalKind, StoreError> {
    match text {
        "User" => Ok(PrincipalKind::User),
        "Role" => Ok(PrincipalKind::Role),
        other => Err(StoreError::Backend(format!(
            "unknown principal kind {other:?} in the store"
        ))),
    }
}

/// Principal tags are stored as one JSON array, sorted by key.
pub(crate) fn tags_to_stored(tags: &[Tag]) -> Result<String, StoreError> {
    let mut sorted = tags.to_vec();
    sorted.sort_by(|a, b| a.key.cmp(&b.key));
    serde_json::to_string(&sorted)
        .map_err(|err| StoreError::Backend(format!("cannot encode principal tags: {err}")))
}

pub(crate) fn tags_from_stored(text: &str) -> Result<Vec<Tag>, StoreError> {
    serde_json::from_str(text)
        .map_err(|err| StoreError::Backend(format!("corrupt principal tags in the store: {err}")))
}

/// A user or a role. Names are unique across both kinds.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PrincipalRecord {
    pub name: String,
    pub kind: PrincipalKind,
    /// `arn:aws:iam::ACCT:user/NAME` or `…:role/NAME`; unique.
    pub arn: String,
    /// `AIDA…` / `AROA…` ([`PrincipalKind::unique_id_from`]); unique, never
    /// reused: a principal deleted and created again under the same name
    /// gets a new one. Role sessions are bound to it. Empty only in a
    /// backup written before ids existed (see `backup`).
    #[serde(default)]
    pub unique_id: String,
    /// Sorted by key.
    pub tags: Vec<Tag>,
    /// Roles: who may assume the role (IAM JSON). `None` for users.
    pub trust_policy: Option<String>,
    pub created_ms: i64,
}

/// An inline identity policy attached to a principal.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PolicyRecord {
    pub principal_arn: String,
    pub name: String,
    /// The IAM JSON document as the caller sent it.
    pub document: String,
    pub updated_ms: i64,
}

/// An OpenID Connect identity provider, keyed by its ARN
/// (`arn:aws:iam::ACCT:oidc-provider/HOST/PATH`). `config` is its JSON
/// (issuer URL, client ids, JWKS), which the store keeps whole.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OidcProviderRecord {
    pub arn: String,
    pub config: String,
    pub created_ms: i64,
}

/// Last-use facts for access keys, written in batches (never per request).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyUse {
    pub access_key_id: String,
    pub used_ms: i64,
    pub operation: String,
}

/// Identity rows: what credentials and principal management need. Each
/// mutation appends its [`Change`] in its own transaction when it writes
/// (a delete that finds nothing appends nothing).
#[async_trait]
pub trait IdentityRows: Send + Sync {
    async fn get_access_key(
        &self,
        access_key_id: &str,
    ) -> Result<Option<AccessKeyRecord>, StoreError>;

    /// Errors: `AlreadyExists`.
    async fn create_access_key(
        &self,
        key: AccessKeyRecord,
        change: Change,
    ) -> Result<(), StoreError>;

    // ---- principals and policies ----

    /// Errors: `AlreadyExists` (name or arn taken).
    async fn create_principal(
        &self,
        principal: PrincipalRecord,
        change: Change,
    ) -> Result<(), StoreError>;

    async fn get_principal(&self, name: &str) -> Result<Option<PrincipalRecord>, StoreError>;

    async fn get_principal_by_arn(&self, arn: &str) -> Result<Option<PrincipalRecord>, StoreError>;

    /// Name order.
    async fn list_principals(&self) -> Result<Vec<PrincipalRecord>, StoreError>;

    /// Replaces tags and trust_policy. Errors: `NotFound`.
    async fn update_principal(
        &self,
        principal: PrincipalRecord,
        change: Change,
    ) -> Result<(), StoreError>;

    /// Deletes the principal with its policies and access keys, in one
    /// transaction. `false` if absent.
    async fn delete_principal(&self, name: &str, change: Change) -> Result<bool, StoreError>;

    /// Upsert by (principal_arn, name). Errors: `NotFound` when no principal has that arn.
    async fn put_policy(&self, policy: PolicyRecord, change: Change) -> Result<(), StoreError>;

    async fn get_policy(
        &self,
        principal_arn: &str,
        name: &str,
    ) -> Result<Option<PolicyRecord>, StoreError>;

    /// Name order.
    async fn list_policies(&self, principal_arn: &str) -> Result<Vec<PolicyRecord>, StoreError>;

    async fn delete_policy(
        &self,
        principal_arn: &str,
        name: &str,
        change: Change,
    ) -> Result<bool, StoreError>;

    // ---- access key management ----

    /// Creates the key unless its principal already has `max_usable` usable
    /// keys (active and `retire_ms` None or > `now_ms`), checked in the same
    /// transaction. Errors: `AlreadyExists`, `LimitExceeded`.
    async fn create_access_key_limited(
        &self,
        key: AccessKeyRecord,
        max_usable: usize,
        now_ms: i64,
        change: Change,
    ) -> Result<(), StoreError>;

    /// One principal's keys (all principals when `None`), in created_ms then id order.
    async fn list_access_keys(
        &self,
        principal_arn: Option<&str>,
    ) -> Result<Vec<AccessKeyRecord>, StoreError>;

    /// Sets `active` and `retire_ms`. Errors: `NotFound`.
    async fn update_access_key(
        &self,
        access_key_id: &str,
        active: bool,
        retire_ms: Option<i64>,
        change: Change,
    ) -> Result<(), StoreError>;

    async fn delete_access_key(
        &self,
        access_key_id: &str,
        change: Change,
    ) -> Result<bool, StoreError>;

    /// Records last use, keeping the newest `used_ms` per key. Unknown ids are ignored.
    async fn record_key_use(&self, uses: &[KeyUse]) -> Result<(), StoreError>;

    // ---- OpenID Connect identity providers ----

    /// Errors: `AlreadyExists` (the arn is taken).
    async fn create_oidc_provider(
        &self,
        provider: OidcProviderRecord,
        change: Change,
    ) -> Result<(), StoreError>;

    async fn get_oidc_provider(&self, arn: &str) -> Result<Option<OidcProviderRecord>, StoreError>;

    /// Arn order.
    async fn list_oidc_providers(&self) -> Result<Vec<OidcProviderRecord>, StoreError>;

    /// Whether there was one.
    async fn delete_oidc_provider(&self, arn: &str, change: Change) -> Result<bool, StoreError>;
}
