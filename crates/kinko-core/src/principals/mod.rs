//! Who may call: principals (users and roles), their inline IAM policies,
//! their access keys, and temporary credentials for roles.
//!
//! [`Identity`] is the service the admin API and STS call, and the source of
//! the policies the server evaluates on every request: a principal's
//! policies are parsed once and cached (trusted for [`POLICY_CACHE_TTL`],
//! forgotten at once on a change here or an invalidation from another
//! server), so authorization costs no store read on the hot path.
//!
//! Choices where IAM has no equivalent:
//! - user and role names share one namespace (kinko has no IAM paths);
//! - a principal holds at most [`MAX_USABLE_KEYS`] usable keys (active and
//!   not past a rotation's retirement), as IAM's limit of two keys;
//! - a role's trust policy defaults to trusting the account
//!   (`{"AWS": "arn:aws:iam::ACCT:root"}`), i.e. whoever an identity policy
//!   allows `sts:AssumeRole` on the role — except the role itself, which
//!   only a trust policy naming it lets assume itself (AWS's rule since 2022);
//! - every principal has a unique id (`AIDA…`, `AROA…`); a role session is
//!   bound to its role's id, so deleting the role (and creating another of
//!   the same name) ends its sessions.

mod providers;
mod sessions;

use crate::changes::iam_change;
use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

use kinko_model::Tag;
use kinko_model::iam::{Policy, PolicyError};
use kinko_model::principals::{
    NameError, PrincipalKind, PrincipalName, UNIQUE_ID_RANDOM_CHARS, check_policy_name,
};
use kinko_store::{IdentityRows, Invalidation, MetaRows, Store, StoreError};

use crate::credentials::{AccessKey, Credentials, CredentialsError};

/// The records [`Identity`] answers with, as the store keeps them: part of
/// its API, so the layers above need no dependency on the store.
pub use kinko_store::{AccessKeyRecord, PolicyRecord, PrincipalRecord};
pub use providers::{NewOidcProvider, WebIdentityError};
pub use sessions::{SESSION_POLICY_NAME, SessionAccess, SessionRequest};

/// How long a principal's cached policies are trusted before being re-read
/// (bounds how stale another server's change can be if its invalidation
/// was missed).
pub const POLICY_CACHE_TTL: Duration = Duration::from_secs(60);

/// Usable access keys per principal, as IAM allows two.
pub const MAX_USABLE_KEYS: usize = 2;

/// Temporary credentials last from 15 minutes to 12 hours (STS's range).
pub const SESSION_DURATION_SECONDS: std::ops::RangeInclusive<i64> = 900..=43_200;

/// GetSessionToken and GetFederationToken sessions last from 15 minutes to
/// 36 hours (STS's range for IAM users).
pub const USER_SESSION_DURATION_SECONDS: std::ops::RangeInclusive<i64> = 900..=129_600;

/// Longest grace a rotated key keeps working: 7 days.
pub const MAX_GRACE_SECONDS: i64 = 7 * 24 * 3600;

/// The bootstrap admin's policy name.
pub const ADMIN_POLICY_NAME: &str = "AdministratorAccess";

/// Allow everything: the bootstrap admin's policy.
pub const ALLOW_ALL_POLICY: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;

#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error("{0}")]
    Validation(String),
    #[error("The principal {0} does not exist.")]
    NoSuchPrincipal(String),
    #[error("The policy {policy} of {principal} does not exist.")]
    NoSuchPolicy { principal: String, policy: String },
    #[error("The access key {0} does not exist.")]
    NoSuchKey(String),
    #[error("A principal named {0} already exists.")]
    AlreadyExists(String),
    #[error(
        "{principal} already has {max} usable access keys: deactivate or delete one, or rotate instead."
    )]
    KeyLimit { principal: String, max: usize },
    #[error("{0}")]
    MalformedPolicy(String),
    #[error("OpenIDConnect Provider not found for arn {0}")]
    NoSuchOidcProvider(String),
    #[error("Provider with url {0} already exists.")]
    OidcProviderExists(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Credentials(#[from] CredentialsError),
}

impl From<NameError> for IdentityError {
    fn from(e: NameError) -> Self {
        match e {
            NameError::Validation(m) => IdentityError::Validation(m),
        }
    }
}

impl From<PolicyError> for IdentityError {
    fn from(e: PolicyError) -> Self {
        IdentityError::MalformedPolicy(e.to_string())
    }
}

/// A fresh unique id for a new principal: `AIDA…` or `AROA…` and 17
/// random characters of IAM's alphabet, e.g. `AROA3XFRBF535PLBIFPI4`.
pub fn new_unique_id(kind: PrincipalKind) -> String {
    let mut random = [0u8; UNIQUE_ID_RANDOM_CHARS];
    random.copy_from_slice(&kinko_crypto::random_bytes(UNIQUE_ID_RANDOM_CHARS));
    kind.unique_id_from(random)
}

/// A principal with its parsed policies: what authorization needs.
#[derive(Debug)]
pub struct PrincipalAccess {
    pub principal: PrincipalRecord,
    /// (policy name, parsed policy), in name order.
    pub policies: Vec<(String, Policy)>,
    /// Names of stored policies that no longer parse. Any one of them
    /// denies every request of the principal (fail closed): it may have
    /// held a Deny, and ignoring it would widen access.
    pub unreadable: Vec<String>,
}

impl PrincipalAccess {
    /// The policies as [`kinko_model::iam::evaluate`] takes them.
    pub fn policy_refs(&self) -> Vec<(&str, &Policy)> {
        self.policies.iter().map(|(n, p)| (n.as_str(), p)).collect()
    }
}

/// A new principal, as CreatePrincipal asks for it.
#[derive(Debug, Clone)]
pub struct NewPrincipal {
    pub name: String,
    pub kind: PrincipalKind,
    pub tags: Vec<Tag>,
    pub trust_policy: Option<String>,
}

/// The result of a key rotation.
#[derive(Debug, Clone)]
pub struct Rotation {
    pub new_key: AccessKey,
    pub retired_key_id: String,
    pub retire_ms: i64,
}

pub struct Identity {
    /// Principals, policies and access keys.
    rows: Arc<dyn IdentityRows>,
    /// The cluster's invalidations and the bootstrap admin's key id.
    meta: Arc<dyn MetaRows>,
    credentials: Arc<Credentials>,
    account_id: String,
    /// The partition principals' ARNs use (from the server's region).
    partition: &'static str,
    cache: RwLock<HashMap<String, (Instant, Arc<PrincipalAccess>)>>,
    cache_ttl: Duration,
    min_session_seconds: i64,
    /// Inline session policies parsed once per distinct text (sessions
    /// carry them in their tokens; see `sessions`).
    session_policies: sessions::ParsedPolicies,
    /// The keys of OIDC providers registered with a JWKS URL or for discovery.
    remote_keys: crate::web_identity::RemoteKeys,
}

impl Identity {
    /// Over one whole store (the composition root's way); it keeps the two
    /// parts it uses.
    pub fn new(
        store: Arc<dyn Store>,
        credentials: Arc<Credentials>,
        account_id: String,
        region: &str,
    ) -> Self {
        Self {
            rows: store.clone(),
            meta: store,
            credentials,
            account_id,
            partition: kinko_model::arn::partition(region),
            cache: RwLock::new(HashMap::new()),
            cache_ttl: POLICY_CACHE_TTL,
            min_session_seconds: *SESSION_DURATION_SECONDS.start(),
            session_policies: sessions::ParsedPolicies::default(),
            remote_keys: crate::web_identity::RemoteKeys::default(),
        }
    }

    /// Allows sessions shorter than STS's 15 minutes (down to 1 s): only
    /// ever safer, and what lets a test watch a session expire.
    pub fn with_min_session_seconds(mut self, seconds: i64) -> Self {
        self.min_session_seconds = seconds.clamp(1, *SESSION_DURATION_SECONDS.start());
        self
    }

    pub fn account_id(&self) -> &str {
        &self.account_id
    }

    /// The shortest session this server issues (STS's 900 s, or less in tests).
    pub fn min_session_seconds(&self) -> i64 {
        self.min_session_seconds
    }

    /// The partition principals' ARNs use (`aws`, `aws-cn`, …).
    pub fn partition(&self) -> &'static str {
        self.partition
    }

    pub fn credentials(&self) -> &Arc<Credentials> {
        &self.credentials
    }

    /// `arn:aws:iam::ACCT:user/NAME` or `…:role/NAME`.
    pub fn principal_arn(&self, kind: PrincipalKind, name: &str) -> String {
        let kind = match kind {
            PrincipalKind::User => "user",
            PrincipalKind::Role => "role",
        };
        format!(
            "arn:{}:iam::{}:{kind}/{name}",
            self.partition, self.account_id
        )
    }

    /// The default trust policy of a role: the account, i.e. identity
    /// policies decide who may assume it.
    pub fn default_trust_policy(&self) -> String {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:{}:iam::{}:root"}},"Action":"sts:AssumeRole"}}]}}"#,
            self.partition, self.account_id
        )
    }

    // ---- cache ----

    /// Forgets a principal's cached policies (after a change, here or on
    /// another server).
    pub fn forget(&self, principal_arn: &str) {
        self.cache
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(principal_arn);
    }

    pub fn forget_all(&self) {
        self.cache
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }

    async fn changed(&self, principal_arn: &str) {
        self.forget(principal_arn);
        let event = Invalidation::Principal {
            arn: principal_arn.to_owned(),
        };
        if let Err(error) = self.meta.publish_invalidation(&event).await {
            // Others fall back to the cache TTL.
            tracing::warn!(%error, "cannot publish a principal invalidation");
        }
    }

    /// The principal and its parsed policies, or `None` when it does not
    /// exist (deleted while a key or session of it was cached).
    pub async fn access(
        &self,
        principal_arn: &str,
    ) -> Result<Option<Arc<PrincipalAccess>>, IdentityError> {
        if let Ok(cache) = self.cache.read()
            && let Some((loaded, access)) = cache.get(principal_arn)
            && loaded.elapsed() < self.cache_ttl
        {
            return Ok(Some(access.clone()));
        }
        let Some(principal) = self.rows.get_principal_by_arn(principal_arn).await? else {
            return Ok(None);
        };
        let mut policies = Vec::new();
        let mut unreadable = Vec::new();
        for record in self.rows.list_policies(principal_arn).await? {
            match Policy::parse_identity(&record.document) {
                Ok(policy) => policies.push((record.name, policy)),
                // Stored policies were validated; one that no longer parses
                // (edited in the database, or written by a newer kinko) may
                // hold a Deny, so it denies everything until it is fixed.
                Err(error) => {
                    tracing::error!(
                        principal = %principal_arn,
                        policy = %record.name,
                        %error,
                        "stored policy does not parse; every request of this principal is denied"
                    );
                    unreadable.push(record.name);
                }
            }
        }
        let access = Arc::new(PrincipalAccess {
            principal,
            policies,
            unreadable,
        });
        if let Ok(mut cache) = self.cache.write() {
            cache.insert(principal_arn.to_owned(), (Instant::now(), access.clone()));
        }
        Ok(Some(access))
    }

    // ---- principals ----

    /// Finds a principal by name or ARN.
    pub async fn principal(&self, name_or_arn: &str) -> Result<PrincipalRecord, IdentityError> {
        let found = if name_or_arn.starts_with("arn:") {
            self.rows.get_principal_by_arn(name_or_arn).await?
        } else {
            self.rows.get_principal(name_or_arn).await?
        };
        found.ok_or_else(|| IdentityError::NoSuchPrincipal(name_or_arn.to_owned()))
    }

    pub async fn create_principal(
        &self,
        new: NewPrincipal,
    ) -> Result<PrincipalRecord, IdentityError> {
        let name = PrincipalName::parse(&new.name)?;
        check_tags(&new.tags)?;
        let trust_policy = match (new.kind, new.trust_policy) {
            (PrincipalKind::User, Some(_)) => {
                return Err(IdentityError::Validation(
                    "Only roles have a trust policy.".into(),
                ));
            }
            (PrincipalKind::User, None) => None,
            (PrincipalKind::Role, Some(doc)) => {
                Policy::parse_resource(&doc)?;
                Some(doc)
            }
            (PrincipalKind::Role, None) => Some(self.default_trust_policy()),
        };
        let mut tags = new.tags;
        tags.sort_by(|a, b| a.key.cmp(&b.key));
        let record = PrincipalRecord {
            arn: self.principal_arn(new.kind, name.as_str()),
            unique_id: new_unique_id(new.kind),
            name: name.as_str().to_owned(),
            kind: new.kind,
            tags,
            trust_policy,
            created_ms: jiff::Timestamp::now().as_millisecond(),
        };
        let change = iam_change(&record.arn, &record.name, "CreatePrincipal");
        match self.rows.create_principal(record.clone(), change).await {
            Ok(()) => Ok(record),
            Err(StoreError::AlreadyExists) => Err(IdentityError::AlreadyExists(record.name)),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn list_principals(&self) -> Result<Vec<PrincipalRecord>, IdentityError> {
        Ok(self.rows.list_principals().await?)
    }

    /// Deletes a principal with its policies and access keys.
    pub async fn delete_principal(&self, name_or_arn: &str) -> Result<(), IdentityError> {
        let principal = self.principal(name_or_arn).await?;
        let keys = self.rows.list_access_keys(Some(&principal.arn)).await?;
        let change = iam_change(&principal.arn, &principal.name, "DeletePrincipal");
        if !self.rows.delete_principal(&principal.name, change).await? {
            return Err(IdentityError::NoSuchPrincipal(name_or_arn.to_owned()));
        }
        for key in keys {
            self.key_changed(&key.access_key_id).await;
        }
        self.changed(&principal.arn).await;
        Ok(())
    }

    /// Adds or replaces tags by key.
    pub async fn tag_principal(
        &self,
        name_or_arn: &str,
        tags: Vec<Tag>,
    ) -> Result<(), IdentityError> {
        check_tags(&tags)?;
        let mut principal = self.principal(name_or_arn).await?;
        for tag in tags {
            match principal.tags.iter_mut().find(|t| t.key == tag.key) {
                Some(existing) => existing.value = tag.value,
                None => principal.tags.push(tag),
            }
        }
        if principal.tags.len() > MAX_TAGS {
            return Err(IdentityError::Validation(format!(
                "A principal has at most {MAX_TAGS} tags."
            )));
        }
        principal.tags.sort_by(|a, b| a.key.cmp(&b.key));
        self.update(principal, "TagPrincipal").await
    }

    pub async fn untag_principal(
        &self,
        name_or_arn: &str,
        keys: &[String],
    ) -> Result<(), IdentityError> {
        let mut principal = self.principal(name_or_arn).await?;
        principal.tags.retain(|t| !keys.contains(&t.key));
        self.update(principal, "UntagPrincipal").await
    }

    /// Replaces a role's trust policy.
    pub async fn put_trust_policy(
        &self,
        name_or_arn: &str,
        document: String,
    ) -> Result<(), IdentityError> {
        let mut principal = self.principal(name_or_arn).await?;
        if principal.kind != PrincipalKind::Role {
            return Err(IdentityError::Validation(format!(
                "{} is a user: only roles have a trust policy.",
                principal.name
            )));
        }
        Policy::parse_resource(&document)?;
        principal.trust_policy = Some(document);
        self.update(principal, "PutTrustPolicy").await
    }

    async fn update(
        &self,
        principal: PrincipalRecord,
        operation: &str,
    ) -> Result<(), IdentityError> {
        let arn = principal.arn.clone();
        let change = iam_change(&arn, &principal.name, operation);
        match self.rows.update_principal(principal, change).await {
            Ok(()) => {}
            Err(StoreError::NotFound) => return Err(IdentityError::NoSuchPrincipal(arn)),
            Err(e) => return Err(e.into()),
        }
        self.changed(&arn).await;
        Ok(())
    }

    // ---- policies ----

    /// Creates or replaces an inline policy, validated first.
    pub async fn put_policy(
        &self,
        principal: &str,
        name: &str,
        document: &str,
    ) -> Result<(), IdentityError> {
        check_policy_name(name)?;
        Policy::parse_identity(document)?;
        let principal = self.principal(principal).await?;
        let record = PolicyRecord {
            principal_arn: principal.arn.clone(),
            name: name.to_owned(),
            document: document.to_owned(),
            updated_ms: jiff::Timestamp::now().as_millisecond(),
        };
        let change =
            iam_change(&principal.arn, &principal.name, "PutPolicy").with("policyName", name);
        match self.rows.put_policy(record, change).await {
            Ok(()) => {}
            Err(StoreError::NotFound) => {
                return Err(IdentityError::NoSuchPrincipal(principal.name));
            }
            Err(e) => return Err(e.into()),
        }
        self.changed(&principal.arn).await;
        Ok(())
    }

    pub async fn get_policy(
        &self,
        principal: &str,
        name: &str,
    ) -> Result<PolicyRecord, IdentityError> {
        let principal = self.principal(principal).await?;
        self.rows
            .get_policy(&principal.arn, name)
            .await?
            .ok_or_else(|| IdentityError::NoSuchPolicy {
                principal: principal.name,
                policy: name.to_owned(),
            })
    }

    pub async fn list_policies(&self, principal: &str) -> Result<Vec<PolicyRecord>, IdentityError> {
        let principal = self.principal(principal).await?;
        Ok(self.rows.list_policies(&principal.arn).await?)
    }

    pub async fn delete_policy(&self, principal: &str, name: &str) -> Result<(), IdentityError> {
        let principal = self.principal(principal).await?;
        let change =
            iam_change(&principal.arn, &principal.name, "DeletePolicy").with("policyName", name);
        if !self
            .rows
            .delete_policy(&principal.arn, name, change)
            .await?
        {
            return Err(IdentityError::NoSuchPolicy {
                principal: principal.name,
                policy: name.to_owned(),
            });
        }
        self.changed(&principal.arn).await;
        Ok(())
    }

    // ---- access keys ----

    pub async fn create_key(&self, principal: &str) -> Result<AccessKey, IdentityError> {
        let principal = self.principal(principal).await?;
        if principal.kind == PrincipalKind::Role {
            return Err(IdentityError::Validation(format!(
                "{} is a role: roles have no access keys; assume the role for temporary credentials.",
                principal.name
            )));
        }
        match self
            .credentials
            .create_limited(&principal.arn, MAX_USABLE_KEYS)
            .await
        {
            Ok(key) => Ok(key),
            Err(CredentialsError::Store(StoreError::LimitExceeded { max })) => {
                Err(IdentityError::KeyLimit {
                    principal: principal.name,
                    max,
                })
            }
            Err(e) => Err(e.into()),
        }
    }

    /// One principal's keys, or every key.
    pub async fn list_keys(
        &self,
        principal: Option<&str>,
    ) -> Result<Vec<AccessKeyRecord>, IdentityError> {
        let arn = match principal {
            Some(p) => Some(self.principal(p).await?.arn),
            None => None,
        };
        Ok(self.rows.list_access_keys(arn.as_deref()).await?)
    }

    /// Activates or deactivates a key. Activating clears a retirement date.
    /// `key` is the record as the caller read it (to authorize the change).
    pub async fn set_key_active(
        &self,
        key: &AccessKeyRecord,
        active: bool,
    ) -> Result<(), IdentityError> {
        let access_key_id = key.access_key_id.as_str();
        let retire_ms = if active { None } else { key.retire_ms };
        match self
            .rows
            .update_access_key(
                access_key_id,
                active,
                retire_ms,
                key_change(&key.principal_arn, access_key_id, "UpdateAccessKey")
                    .with("active", active),
            )
            .await
        {
            Ok(()) => {}
            Err(StoreError::NotFound) => {
                return Err(IdentityError::NoSuchKey(access_key_id.to_owned()));
            }
            Err(e) => return Err(e.into()),
        }
        self.key_changed(access_key_id).await;
        Ok(())
    }

    pub async fn delete_key(&self, access_key_id: &str) -> Result<(), IdentityError> {
        let Some(key) = self.rows.get_access_key(access_key_id).await? else {
            return Err(IdentityError::NoSuchKey(access_key_id.to_owned()));
        };
        let change = key_change(&key.principal_arn, access_key_id, "DeleteAccessKey");
        if !self.rows.delete_access_key(access_key_id, change).await? {
            return Err(IdentityError::NoSuchKey(access_key_id.to_owned()));
        }
        self.key_changed(access_key_id).await;
        Ok(())
    }

    /// Creates a new key for `principal` and retires `retire` (default: the
    /// principal's oldest usable key) `grace_seconds` from now: the old key
    /// keeps working while the new one is rolled out, then stops by itself.
    pub async fn rotate_key(
        &self,
        principal: &str,
        retire: Option<&str>,
        grace_seconds: i64,
    ) -> Result<Rotation, IdentityError> {
        if !(0..=MAX_GRACE_SECONDS).contains(&grace_seconds) {
            return Err(IdentityError::Validation(format!(
                "The grace period must be between 0 and {MAX_GRACE_SECONDS} seconds (7 days)."
            )));
        }
        let principal = self.principal(principal).await?;
        let now_ms = jiff::Timestamp::now().as_millisecond();
        let keys = self.rows.list_access_keys(Some(&principal.arn)).await?;
        let old = match retire {
            Some(id) => keys
                .iter()
                .find(|k| k.access_key_id == id)
                .ok_or_else(|| IdentityError::NoSuchKey(id.to_owned()))?,
            None => keys.iter().find(|k| is_usable(k, now_ms)).ok_or_else(|| {
                IdentityError::Validation(format!(
                    "{} has no usable access key to rotate; create one instead.",
                    principal.name
                ))
            })?,
        };
        let retired_key_id = old.access_key_id.clone();
        let old_active = old.active;
        // New key first (it may hit the limit of two), then the old one's
        // retirement; if that fails, the new key goes again: nothing half-done.
        let new_key = match self
            .credentials
            .create_limited(&principal.arn, MAX_USABLE_KEYS)
            .await
        {
            Ok(key) => key,
            Err(CredentialsError::Store(StoreError::LimitExceeded { max })) => {
                return Err(IdentityError::KeyLimit {
                    principal: principal.name,
                    max,
                });
            }
            Err(e) => return Err(e.into()),
        };
        let retire_ms = now_ms + grace_seconds * 1000;
        if let Err(e) = self
            .rows
            .update_access_key(
                &retired_key_id,
                old_active,
                Some(retire_ms),
                key_change(&principal.arn, &retired_key_id, "RotateAccessKey")
                    .with("retireMs", retire_ms),
            )
            .await
        {
            let undo = key_change(&principal.arn, &new_key.access_key_id, "DeleteAccessKey");
            let _ = self
                .rows
                .delete_access_key(&new_key.access_key_id, undo)
                .await;
            return Err(e.into());
        }
        self.key_changed(&retired_key_id).await;
        Ok(Rotation {
            new_key,
            retired_key_id,
            retire_ms,
        })
    }

    /// One access key's record. Errors: `NoSuchKey`.
    pub async fn key(&self, access_key_id: &str) -> Result<AccessKeyRecord, IdentityError> {
        self.rows
            .get_access_key(access_key_id)
            .await?
            .ok_or_else(|| IdentityError::NoSuchKey(access_key_id.to_owned()))
    }

    async fn key_changed(&self, access_key_id: &str) {
        self.credentials.forget(access_key_id);
        let event = Invalidation::AccessKey {
            access_key_id: access_key_id.to_owned(),
        };
        if let Err(error) = self.meta.publish_invalidation(&event).await {
            tracing::warn!(%error, "cannot publish an access key invalidation");
        }
    }

    // ---- bootstrap ----

    /// Makes sure the bootstrap admin exists with an allow-all policy, once
    /// per store (a store marks it done, so an operator may later delete or
    /// restrict the admin without it coming back).
    pub async fn ensure_bootstrap_admin(&self, admin_arn: &str) -> Result<(), IdentityError> {
        const DONE: &str = "iam-bootstrap-admin";
        if self.meta.get_meta(DONE).await?.is_some() {
            return Ok(());
        }
        if self.rows.get_principal_by_arn(admin_arn).await?.is_none() {
            let name = admin_arn.rsplit('/').next().unwrap_or("admin").to_owned();
            let record = PrincipalRecord {
                name,
                kind: PrincipalKind::User,
                arn: admin_arn.to_owned(),
                unique_id: new_unique_id(PrincipalKind::User),
                tags: Vec::new(),
                trust_policy: None,
                created_ms: jiff::Timestamp::now().as_millisecond(),
            };
            let change = iam_change(&record.arn, &record.name, "CreatePrincipal");
            match self.rows.create_principal(record, change).await {
                Ok(()) | Err(StoreError::AlreadyExists) => {}
                Err(e) => return Err(e.into()),
            }
        }
        if self
            .rows
            .get_policy(admin_arn, ADMIN_POLICY_NAME)
            .await?
            .is_none()
        {
            self.rows
                .put_policy(
                    PolicyRecord {
                        principal_arn: admin_arn.to_owned(),
                        name: ADMIN_POLICY_NAME.to_owned(),
                        document: ALLOW_ALL_POLICY.to_owned(),
                        updated_ms: jiff::Timestamp::now().as_millisecond(),
                    },
                    iam_change(
                        admin_arn,
                        admin_arn.rsplit('/').next().unwrap_or("admin"),
                        "PutPolicy",
                    )
                    .with("policyName", ADMIN_POLICY_NAME),
                )
                .await?;
        }
        self.meta.init_meta(DONE, b"1").await?;
        self.forget(admin_arn);
        Ok(())
    }
}

/// Tags per principal, as IAM allows.
const MAX_TAGS: usize = 50;

fn check_tags(tags: &[Tag]) -> Result<(), IdentityError> {
    if tags.len() > MAX_TAGS {
        return Err(IdentityError::Validation(format!(
            "A principal has at most {MAX_TAGS} tags."
        )));
    }
    for tag in tags {
        if tag.key.is_empty() || tag.key.chars().count() > 128 {
            return Err(IdentityError::Validation(format!(
                "The tag key '{}' must be 1 to 128 characters long.",
                tag.key.escape_debug()
            )));
        }
        if tag.value.chars().count() > 256 {
            return Err(IdentityError::Validation(format!(
                "The value of tag '{}' must be at most 256 characters long.",
                tag.key.escape_debug()
            )));
        }
    }
    Ok(())
}

/// Active and not past its retirement.
pub fn is_usable(key: &AccessKeyRecord, now_ms: i64) -> bool {
    key.active && key.retire_ms.is_none_or(|r| now_ms < r)
}

/// An access key's change: the resource is its principal, the key id (not a
/// secret) is in the detail.
fn key_change(principal_arn: &str, access_key_id: &str, operation: &str) -> kinko_store::Change {
    let name = principal_arn.rsplit('/').next().unwrap_or(principal_arn);
    iam_change(principal_arn, name, operation).with("accessKeyId", access_key_id)
}
