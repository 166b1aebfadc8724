//! Access keys: the AKID/secret pairs SigV4 requests are verified against.
//!
//! A secret access key is stored sealed under a key derived from the root
//! key (never in the clear), and cached opened in memory after first use,
//! because every request needs it.
//!
//! A cached key is trusted for [`DEFAULT_CACHE_TTL`] and then re-read, so a
//! change made on another server sharing the store (a key deactivated)
//! takes effect here within that time even if its invalidation was missed;
//! the server applies invalidations it hears with [`Credentials::forget`].

use crate::cache_stats::{CacheCounts, CacheStats};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use base64::Engine;
use kinko_crypto::{SecretString, random_bytes};
use kinko_model::Tag;
use kinko_store::{AccessKeyRecord, IdentityRows, KeyUse, StoreError};
use serde::{Deserialize, Serialize};

use crate::keyring::{Keyring, KeyringError};

/// An access key with its secret, as a client needs it.
#[derive(Debug, Clone)]
pub struct AccessKey {
    pub access_key_id: String,
    pub secret_access_key: SecretString,
    pub principal_arn: String,
}

/// A key as the verifier needs it: the secret and who it belongs to.
#[derive(Debug)]
pub struct ActiveKey {
    pub secret: SecretString,
    pub principal_arn: String,
    pub active: bool,
    /// Set by a rotation: the key stops authenticating at this time.
    pub retire_ms: Option<i64>,
}

impl ActiveKey {
    /// Whether the key may authenticate a request at `now_ms`.
    pub fn usable_at(&self, now_ms: i64) -> bool {
        self.active && self.retire_ms.is_none_or(|r| now_ms < r)
    }
}

/// What a role session is, besides its key: sealed into its session token
/// (so every server sharing the root key reads it, and nothing is stored
/// per session) and applied to every request the session signs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionClaims {
    /// What made the session (a role's AssumeRole, a user's GetSessionToken
    /// or GetFederationToken); absent in tokens of role sessions.
    #[serde(default, skip_serializing_if = "SessionKind::is_role")]
    pub kind: SessionKind,
    /// The principal whose policies apply: the role, or for a
    /// [`SessionKind::User`] / [`SessionKind::Federated`] session the user
    /// that asked for it.
    pub role_arn: String,
    /// That principal's unique id (`AROA…`, `AIDA…`) when the session was
    /// made. A session whose principal no longer has this id (deleted, or
    /// deleted and created again) is refused.
    pub role_id: String,
    pub session_name: String,
    /// `arn:aws:sts::ACCT:assumed-role/ROLE/SESSION`.
    pub session_arn: String,
    /// The inline session policy (AssumeRole's `Policy`), as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    /// The stored policies AssumeRole's `PolicyArns` named.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policy_arns: Vec<PolicyArnClaim>,
    /// Session tags: `aws:PrincipalTag/KEY` for the session's requests,
    /// over the role's own tags of the same key.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
    /// Which of `tags` pass on to sessions this session assumes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub transitive_tag_keys: Vec<String>,
    /// `aws:SourceIdentity`; passes on to chained sessions, unchangeable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_identity: Option<String>,
}

/// Which STS call made a session: it decides the session's caller ARN,
/// its `UserId` and what it may still call.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum SessionKind {
    /// AssumeRole or AssumeRoleWithWebIdentity: `arn:aws:sts::ACCT:assumed-role/ROLE/SESSION`.
    #[default]
    Role,
    /// GetSessionToken: the user itself, with the user's permissions.
    User,
    /// GetFederationToken: `arn:aws:sts::ACCT:federated-user/NAME`, with
    /// the user's permissions narrowed by the session policies (none: no
    /// permissions at all).
    Federated,
}

impl SessionKind {
    fn is_role(&self) -> bool {
        *self == SessionKind::Role
    }
}

impl SessionClaims {
    /// Whether the session is narrowed by session policies (`Policy` or
    /// `PolicyArns`); then it may do only what they allow too.
    pub fn has_session_policies(&self) -> bool {
        self.policy.is_some() || !self.policy_arns.is_empty()
    }

    /// The session's tags that pass on to a session it assumes.
    pub fn transitive_tags(&self) -> impl Iterator<Item = &Tag> {
        self.tags.iter().filter(|tag| {
            self.transitive_tag_keys
                .iter()
                .any(|key| key.to_lowercase() == tag.key.to_lowercase())
        })
    }
}

/// A `PolicyArns` entry: kinko's policies are inline, so the ARN names one
/// principal's inline policy; the owner's unique id is kept so a policy of
/// a principal deleted and created again is not picked up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyArnClaim {
    pub arn: String,
    pub owner_arn: String,
    pub owner_id: String,
    pub policy_name: String,
}

/// Temporary credentials of an assumed role (AssumeRole's answer).
#[derive(Debug, Clone)]
pub struct SessionCredentials {
    pub access_key_id: String,
    pub secret_access_key: SecretString,
    /// Self-contained: the session's secret, claims and expiry sealed under
    /// the root key, so any server sharing the store accepts it and nothing
    /// is written per session.
    pub session_token: String,
    pub expiration_ms: i64,
    pub claims: SessionClaims,
}

/// A verified session token, as the SigV4 check needs it.
#[derive(Debug)]
pub struct SessionKey {
    pub secret: SecretString,
    pub expiration_ms: i64,
    pub claims: SessionClaims,
}

/// Why a session token was refused (AWS's two answers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    #[error("The security token included in the request is invalid.")]
    Invalid,
    #[error("The security token included in the request is expired")]
    Expired,
}

#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Keyring(#[from] KeyringError),
    #[error("the stored secret of access key {0} is not valid")]
    CorruptSecret(String),
    #[error("cannot encode session claims: {0}")]
    Claims(String),
}

/// How long a cached access key is trusted before its record is read again
/// (the same bound as the keyring's).
pub const DEFAULT_CACHE_TTL: Duration = crate::keyring::DEFAULT_CACHE_TTL;

pub struct Credentials {
    /// Only the identity rows: access keys and their last use.
    store: Arc<dyn IdentityRows>,
    keyring: Arc<Keyring>,
    cache: RwLock<HashMap<String, (Instant, Arc<ActiveKey>)>>,
    cache_ttl: Duration,
    cache_stats: CacheStats,
    /// Last use per key since the last flush: written in batches by
    /// [`Credentials::flush_key_use`], never once per request.
    uses: Mutex<HashMap<String, (i64, String)>>,
}

/// Prefix of a session token (format version 2: with [`SessionClaims`];
/// version 1 tokens, which cannot be bound to a role's unique id, are
/// refused).
const SESSION_TOKEN_PREFIX: &str = "KinkoSession2.";
const SESSION_AAD: &[u8] = b"kinko-session-token-v2";

/// AWS access key ids are 20 upper-case alphanumerics starting `AKIA`.
const AKID_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
/// Secret keys are 40 characters of base64-ish text.
const SECRET_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn random_text(alphabet: &[u8], len: usize) -> String {
    random_bytes(len)
        .into_iter()
        .map(|b| alphabet[usize::from(b) % alphabet.len()] as char)
        .collect()
}

fn aad(access_key_id: &str) -> Vec<u8> {
    format!("access-key:{access_key_id}").into_bytes()
}

impl Credentials {
    pub fn new(store: Arc<dyn IdentityRows>, keyring: Arc<Keyring>) -> Self {
        Self {
            store,
            keyring,
            cache: RwLock::new(HashMap::new()),
            cache_ttl: DEFAULT_CACHE_TTL,
            cache_stats: CacheStats::default(),
            uses: Mutex::new(HashMap::new()),
        }
    }

    /// Sets how long cached keys are trusted (see the module doc).
    pub fn with_cache_ttl(mut self, ttl: Duration) -> Self {
        self.cache_ttl = ttl;
        self
    }

    /// Forgets one cached key, so the next request re-reads its record.
    pub fn forget(&self, access_key_id: &str) {
        self.cache
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(access_key_id);
    }

    /// Forgets every cached key (invalidations may have been missed).
    pub fn forget_all(&self) {
        self.cache
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }

    /// Creates a new active access key for a principal (no limit: the
    /// bootstrap admin's key).
    pub async fn create(&self, principal_arn: &str) -> Result<AccessKey, CredentialsError> {
        self.create_with(principal_arn, None).await
    }

    /// Creates a new active access key unless the principal already has
    /// `max_usable` usable keys (`StoreError::LimitExceeded`).
    pub async fn create_limited(
        &self,
        principal_arn: &str,
        max_usable: usize,
    ) -> Result<AccessKey, CredentialsError> {
        self.create_with(principal_arn, Some(max_usable)).await
    }

    async fn create_with(
        &self,
        principal_arn: &str,
        max_usable: Option<usize>,
    ) -> Result<AccessKey, CredentialsError> {
        let access_key_id = format!("AKIA{}", random_text(AKID_ALPHABET, 16));
        let secret = SecretString::new(random_text(SECRET_ALPHABET, 40));
        let sealed_secret = self
            .keyring
            .seal_internal(secret.expose().as_bytes(), &aad(&access_key_id))?;
        let now_ms = jiff::Timestamp::now().as_millisecond();
        let record = AccessKeyRecord {
            access_key_id: access_key_id.clone(),
            principal_arn: principal_arn.to_owned(),
            sealed_secret,
            active: true,
            created_ms: now_ms,
            retire_ms: None,
            last_used_ms: None,
            last_used_operation: None,
        };
        let name = principal_arn.rsplit('/').next().unwrap_or(principal_arn);
        let change = crate::changes::iam_change(principal_arn, name, "CreateAccessKey")
            .with("accessKeyId", access_key_id.as_str());
        match max_usable {
            Some(max) => {
                self.store
                    .create_access_key_limited(record, max, now_ms, change)
                    .await?
            }
            None => self.store.create_access_key(record, change).await?,
        }
        Ok(AccessKey {
            access_key_id,
            secret_access_key: secret,
            principal_arn: principal_arn.to_owned(),
        })
    }

    /// Notes that a key authenticated a request (kept in memory until the
    /// next [`Credentials::flush_key_use`]).
    pub fn note_use(&self, access_key_id: &str, service: &str, operation: &str) {
        let now_ms = jiff::Timestamp::now().as_millisecond();
        let is_same = |last: &str| {
            last.strip_prefix(service)
                .and_then(|rest| rest.strip_prefix(':'))
                .is_some_and(|rest| rest == operation)
        };
        let mut uses = self.uses.lock().unwrap_or_else(PoisonError::into_inner);
        match uses.get_mut(access_key_id) {
            // The common case allocates nothing: same key, same operation.
            Some((used_ms, last)) => {
                *used_ms = now_ms;
                if !is_same(last) {
                    *last = format!("{service}:{operation}");
                }
            }
            None => {
                uses.insert(
                    access_key_id.to_owned(),
                    (now_ms, format!("{service}:{operation}")),
                );
            }
        }
    }

    /// Writes the uses noted since the last flush. On failure they are
    /// kept for the next one.
    pub async fn flush_key_use(&self) -> Result<(), CredentialsError> {
        let pending: Vec<KeyUse> = {
            let mut uses = self.uses.lock().unwrap_or_else(PoisonError::into_inner);
            uses.drain()
                .map(|(access_key_id, (used_ms, operation))| KeyUse {
                    access_key_id,
                    used_ms,
                    operation,
                })
                .collect()
        };
        if pending.is_empty() {
            return Ok(());
        }
        if let Err(e) = self.store.record_key_use(&pending).await {
            let mut uses = self.uses.lock().unwrap_or_else(PoisonError::into_inner);
            for KeyUse {
                access_key_id,
                used_ms,
                operation,
            } in pending
            {
                uses.entry(access_key_id).or_insert((used_ms, operation));
            }
            return Err(e.into());
        }
        Ok(())
    }

    /// Issues temporary credentials (`ASIA…`) for a role session.
    pub fn issue_session(
        &self,
        claims: SessionClaims,
        duration: Duration,
    ) -> Result<SessionCredentials, CredentialsError> {
        let access_key_id = format!("ASIA{}", random_text(AKID_ALPHABET, 16));
        let secret = SecretString::new(random_text(SECRET_ALPHABET, 40));
        let expiration_ms = jiff::Timestamp::now().as_millisecond()
            + i64::try_from(duration.as_millis()).unwrap_or(i64::MAX / 2);
        let claims_json = serde_json::to_string(&claims)
            .map_err(|error| CredentialsError::Claims(error.to_string()))?;
        // Newline-separated: the id, the expiry and the secret cannot hold a
        // newline, and compact JSON escapes any. The buffer holds the
        // secret: zeroized.
        let plain = zeroize::Zeroizing::new(format!(
            "{access_key_id}\n{expiration_ms}\n{}\n{claims_json}",
            secret.expose()
        ));
        let sealed = self.keyring.seal_internal(plain.as_bytes(), SESSION_AAD)?;
        let session_token = format!(
            "{SESSION_TOKEN_PREFIX}{}",
            base64::engine::general_purpose::STANDARD.encode(sealed)
        );
        Ok(SessionCredentials {
            access_key_id,
            secret_access_key: secret,
            session_token,
            expiration_ms,
            claims,
        })
    }

    /// Opens a session token presented with `access_key_id`, at `now_ms`.
    pub fn open_session(
        &self,
        access_key_id: &str,
        token: &str,
        now_ms: i64,
    ) -> Result<SessionKey, SessionError> {
        let sealed = token
            .strip_prefix(SESSION_TOKEN_PREFIX)
            .and_then(|b64| base64::engine::general_purpose::STANDARD.decode(b64).ok())
            .ok_or(SessionError::Invalid)?;
        let plain = self
            .keyring
            .open_internal(&sealed, SESSION_AAD)
            .map_err(|_| SessionError::Invalid)?;
        let text = std::str::from_utf8(plain.expose()).map_err(|_| SessionError::Invalid)?;
        let mut fields = text.splitn(4, '\n');
        let (Some(id), Some(expiration), Some(secret), Some(claims)) =
            (fields.next(), fields.next(), fields.next(), fields.next())
        else {
            return Err(SessionError::Invalid);
        };
        if id != access_key_id {
            return Err(SessionError::Invalid);
        }
        let expiration_ms: i64 = expiration.parse().map_err(|_| SessionError::Invalid)?;
        if now_ms >= expiration_ms {
            return Err(SessionError::Expired);
        }
        let claims: SessionClaims =
            serde_json::from_str(claims).map_err(|_| SessionError::Invalid)?;
        Ok(SessionKey {
            secret: SecretString::new(secret.to_owned()),
            expiration_ms,
            claims,
        })
    }

    /// How often an access key was found in the cache (for the metrics).
    pub fn cache_counts(&self) -> CacheCounts {
        self.cache_stats.counts()
    }

    /// The key and its opened secret, or `None` for an unknown key id.
    pub async fn lookup(
        &self,
        access_key_id: &str,
    ) -> Result<Option<Arc<ActiveKey>>, CredentialsError> {
        if let Ok(cache) = self.cache.read()
            && let Some((loaded_at, key)) = cache.get(access_key_id)
            && loaded_at.elapsed() < self.cache_ttl
        {
            self.cache_stats.count(true);
            return Ok(Some(key.clone()));
        }
        self.cache_stats.count(false);
        let Some(record) = self.store.get_access_key(access_key_id).await? else {
            return Ok(None);
        };
        let secret = self
            .keyring
            .open_internal(&record.sealed_secret, &aad(access_key_id))?
            .into_secret_string()
            .map_err(|_| CredentialsError::CorruptSecret(access_key_id.to_owned()))?;
        let key = Arc::new(ActiveKey {
            secret,
            principal_arn: record.principal_arn,
            active: record.active,
            retire_ms: record.retire_ms,
        });
        if let Ok(mut cache) = self.cache.write() {
            cache.insert(access_key_id.to_owned(), (Instant::now(), key.clone()));
        }
        Ok(Some(key))
    }
}

#[cfg(test)]
mod tests {
    use kinko_crypto::RootKey;
    use kinko_store::{SqliteStore, Store};

    use super::*;

    const USER: &str = "arn:aws:iam::000000000000:user/a";

    /// Credentials over a real in-memory store, which a test changes behind
    /// the cache's back (as another server would).
    fn setup(ttl: Duration) -> (Arc<dyn Store>, Credentials) {
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory().unwrap());
        let keyring = Arc::new(Keyring::new(
            store.clone(),
            RootKey::generate(),
            "000000000000".to_owned(),
        ));
        let credentials = Credentials::new(store.clone(), keyring).with_cache_ttl(ttl);
        (store, credentials)
    }

    async fn set_active(store: &Arc<dyn Store>, id: &str, active: bool) {
        store
            .update_access_key(id, active, None, crate::changes::test_change())
            .await
            .unwrap();
    }

    async fn active(credentials: &Credentials, id: &str) -> bool {
        credentials.lookup(id).await.unwrap().unwrap().active
    }

    #[tokio::test]
    async fn a_cached_key_is_reread_after_forget() {
        let (store, credentials) = setup(DEFAULT_CACHE_TTL);
        let key = credentials.create(USER).await.unwrap();
        let id = key.access_key_id.as_str();
        assert!(active(&credentials, id).await);

        set_active(&store, id, false).await;
        assert!(active(&credentials, id).await, "still cached");
        credentials.forget(id);
        assert!(!active(&credentials, id).await);

        set_active(&store, id, true).await;
        assert!(!active(&credentials, id).await, "still cached");
        credentials.forget_all();
        assert!(active(&credentials, id).await);
    }

    #[tokio::test]
    async fn an_expired_entry_is_reread() {
        let (store, credentials) = setup(Duration::ZERO);
        let key = credentials.create(USER).await.unwrap();
        let id = key.access_key_id.as_str();
        assert!(active(&credentials, id).await);
        set_active(&store, id, false).await;
        assert!(!active(&credentials, id).await, "a zero TTL trusts nothing");
    }

    #[tokio::test]
    async fn a_third_usable_key_is_refused() {
        let (_, credentials) = setup(DEFAULT_CACHE_TTL);
        credentials.create_limited(USER, 2).await.unwrap();
        credentials.create_limited(USER, 2).await.unwrap();
        let err = credentials.create_limited(USER, 2).await.unwrap_err();
        assert!(
            matches!(
                err,
                CredentialsError::Store(StoreError::LimitExceeded { max: 2 })
            ),
            "{err:?}"
        );
    }

    fn claims() -> SessionClaims {
        SessionClaims {
            kind: SessionKind::Role,
            role_arn: "arn:aws:iam::000000000000:role/w".to_owned(),
            role_id: "AROA3XFRBF535PLBIFPI4".to_owned(),
            session_name: "s".to_owned(),
            session_arn: "arn:aws:sts::000000000000:assumed-role/w/s".to_owned(),
            policy: Some("{\n  \"Version\": \"2012-10-17\"\n}".to_owned()),
            policy_arns: vec![PolicyArnClaim {
                arn: "arn:aws:iam::000000000000:policy/holder/read".to_owned(),
                owner_arn: "arn:aws:iam::000000000000:user/holder".to_owned(),
                owner_id: "AIDAJQABLZS4A3QDU576Q".to_owned(),
                policy_name: "read".to_owned(),
            }],
            tags: vec![Tag {
                key: "Project".to_owned(),
                value: "blue\nline".to_owned(),
            }],
            transitive_tag_keys: vec!["project".to_owned()],
            source_identity: Some("alice@example.com".to_owned()),
        }
    }

    #[tokio::test]
    async fn a_session_token_opens_only_for_its_key_and_until_it_expires() {
        let (_, credentials) = setup(DEFAULT_CACHE_TTL);
        let session = credentials
            .issue_session(claims(), Duration::from_secs(900))
            .unwrap();
        assert!(session.access_key_id.starts_with("ASIA"));
        let now = jiff::Timestamp::now().as_millisecond();
        let opened = credentials
            .open_session(&session.access_key_id, &session.session_token, now)
            .unwrap();
        assert_eq!(opened.claims, claims(), "every claim, newlines and all");
        assert_eq!(opened.secret.expose(), session.secret_access_key.expose());
        assert_eq!(opened.expiration_ms, session.expiration_ms);
        // Nothing is readable in the token: not the secret, not a claim.
        for hidden in [
            session.secret_access_key.expose(),
            "AROA3XFRBF535PLBIFPI4",
            "alice@example.com",
        ] {
            assert!(!session.session_token.contains(hidden), "{hidden}");
        }

        let open = |id: &str, token: &str, at: i64| credentials.open_session(id, token, at).err();
        assert_eq!(
            open("ASIAOTHEROTHEROTHER0", &session.session_token, now),
            Some(SessionError::Invalid)
        );
        let mut tampered = session.session_token.clone();
        tampered.insert(20, 'A');
        assert_eq!(
            open(&session.access_key_id, &tampered, now),
            Some(SessionError::Invalid)
        );
        assert_eq!(
            open(&session.access_key_id, "not a token", now),
            Some(SessionError::Invalid)
        );
        // A version 1 token (no claims to bind it to its role) is refused.
        let old = session
            .session_token
            .replacen("KinkoSession2.", "KinkoSession1.", 1);
        assert_eq!(
            open(&session.access_key_id, &old, now),
            Some(SessionError::Invalid)
        );
        assert_eq!(
            open(
                &session.access_key_id,
                &session.session_token,
                session.expiration_ms
            ),
            Some(SessionError::Expired)
        );
    }

    #[test]
    fn transitive_tags_match_keys_case_insensitively() {
        let claims = claims();
        let keys: Vec<&str> = claims.transitive_tags().map(|t| t.key.as_str()).collect();
        assert_eq!(keys, ["Project"]);
        assert!(claims.has_session_policies());
        let plain = SessionClaims {
            policy: None,
            policy_arns: Vec::new(),
            ..claims
        };
        assert!(!plain.has_session_policies());
    }

    #[tokio::test]
    async fn last_use_is_written_in_batches() {
        let (store, credentials) = setup(DEFAULT_CACHE_TTL);
        let key = credentials.create(USER).await.unwrap();
        let id = key.access_key_id.as_str();
        credentials.note_use(id, "ssm", "GetParameter");
        credentials.note_use(id, "ssm", "PutParameter");
        assert_eq!(
            store
                .get_access_key(id)
                .await
                .unwrap()
                .unwrap()
                .last_used_operation,
            None,
            "nothing written before the flush"
        );
        credentials.flush_key_use().await.unwrap();
        let record = store.get_access_key(id).await.unwrap().unwrap();
        assert_eq!(
            record.last_used_operation.as_deref(),
            Some("ssm:PutParameter")
        );
        assert!(record.last_used_ms.is_some());
    }
}
