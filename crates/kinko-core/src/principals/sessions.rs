//! Role sessions: the role an AssumeRole names, the session it creates, and
//! what a session's later requests are decided with.
//!
//! A session is self-contained ([`SessionClaims`] sealed in its token), but
//! bound to its role's unique id: [`Identity::session_access`] refuses a
//! session whose role is gone or was created again. Its session policies
//! narrow it on every request: the inline `Policy` travels in the token;
//! a `PolicyArns` entry names a principal's inline policy
//! (`arn:aws:iam::ACCT:policy/PRINCIPAL/POLICY`), read when the request is
//! decided, so a change to that policy applies to existing sessions (as
//! AWS applies managed-policy changes), and a deleted one allows nothing.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use kinko_model::Tag;
use kinko_model::iam::Policy;
use kinko_model::principals::PrincipalKind;
use kinko_store::PrincipalRecord;

use super::{
    Identity, IdentityError, PrincipalAccess, SESSION_DURATION_SECONDS,
    USER_SESSION_DURATION_SECONDS,
};
use crate::credentials::{PolicyArnClaim, SessionClaims, SessionCredentials, SessionKind};

/// The name an inline session policy's statements are reported under.
pub const SESSION_POLICY_NAME: &str = "session-policy";

/// What a new session is made of, validated by the caller (the wire) and
/// authorized against the role's trust policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRequest {
    pub session_name: String,
    pub duration_seconds: i64,
    /// The inline session policy, already validated as a policy document.
    pub policy: Option<String>,
    /// Resolved with [`Identity::resolve_policy_arn`].
    pub policy_arns: Vec<PolicyArnClaim>,
    /// The session's tags: the caller's transitive tags and the new ones.
    pub tags: Vec<Tag>,
    pub transitive_tag_keys: Vec<String>,
    pub source_identity: Option<String>,
}

/// A verified session, as its requests are decided.
#[derive(Debug)]
pub struct SessionAccess {
    pub claims: SessionClaims,
    /// The role, with its identity policies.
    pub role: Arc<PrincipalAccess>,
    /// `aws:PrincipalTag/…`: the role's tags, a session tag replacing a role
    /// tag of the same key (keys compare case-insensitively).
    pub principal_tags: Vec<Tag>,
    /// `None`: no session policy narrows the session.
    policies: Option<Vec<SessionPolicy>>,
    /// A session policy that could not be read (it no longer parses, or
    /// its stored policy does not): every request of the session is denied,
    /// since the missing document may have held a Deny.
    pub unreadable: Option<String>,
}

#[derive(Debug)]
enum SessionPolicy {
    Inline(Arc<Policy>),
    /// A principal's inline policy, by its index in `owner.policies`.
    Stored {
        arn: String,
        owner: Arc<PrincipalAccess>,
        index: usize,
    },
}

impl SessionAccess {
    /// The session policies as [`kinko_model::iam::Policies::with_session`] takes
    /// them; `None` when the session has none.
    pub fn session_policies(&self) -> Option<Vec<(&str, &Policy)>> {
        let policies = self.policies.as_ref()?;
        Some(
            policies
                .iter()
                .filter_map(|policy| match policy {
                    SessionPolicy::Inline(policy) => Some((SESSION_POLICY_NAME, &**policy)),
                    SessionPolicy::Stored { arn, owner, index } => owner
                        .policies
                        .get(*index)
                        .map(|(_, policy)| (arn.as_str(), policy)),
                })
                .collect(),
        )
    }
}

/// Inline session policies parsed once per distinct text. Bounded: cleared
/// when it grows past [`ParsedPolicies::MAX`].
#[derive(Default)]
pub(super) struct ParsedPolicies {
    parsed: Mutex<HashMap<String, Option<Arc<Policy>>>>,
}

impl ParsedPolicies {
    const MAX: usize = 4096;

    /// `None` when the text does not parse (it was validated when the
    /// session was made; a newer kinko's token): it then allows nothing.
    fn get(&self, text: &str) -> Option<Arc<Policy>> {
        let mut parsed = self.parsed.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(found) = parsed.get(text) {
            return found.clone();
        }
        let policy = Policy::parse_identity(text).ok().map(Arc::new);
        if parsed.len() >= Self::MAX {
            parsed.clear();
        }
        parsed.insert(text.to_owned(), policy.clone());
        policy
    }
}

impl Identity {
    /// The role `arn` names and its trust policy's text (the default one
    /// when none was set); `None` when no role has that ARN — a user's ARN
    /// included — so that the caller can be answered exactly as when it
    /// may not assume an existing role.
    pub async fn role_to_assume(
        &self,
        arn: &str,
    ) -> Result<Option<(PrincipalRecord, String)>, IdentityError> {
        let Some(role) = self.rows.get_principal_by_arn(arn).await? else {
            return Ok(None);
        };
        if role.kind != PrincipalKind::Role {
            return Ok(None);
        }
        let trust = role
            .trust_policy
            .clone()
            .unwrap_or_else(|| self.default_trust_policy());
        Ok(Some((role, trust)))
    }

    /// What a `PolicyArns` entry names: `arn:PARTITION:iam::ACCT:policy/PRINCIPAL/POLICY`
    /// is the inline policy POLICY of the principal PRINCIPAL (kinko has no
    /// managed policies). `None` when there is no such policy.
    pub async fn resolve_policy_arn(
        &self,
        arn: &str,
    ) -> Result<Option<PolicyArnClaim>, IdentityError> {
        let prefix = format!("arn:{}:iam::{}:policy/", self.partition, self.account_id);
        let Some((owner, policy_name)) = arn
            .strip_prefix(&prefix)
            .and_then(|path| path.split_once('/'))
        else {
            return Ok(None);
        };
        if owner.is_empty() || policy_name.is_empty() || policy_name.contains('/') {
            return Ok(None);
        }
        let Some(owner) = self.rows.get_principal(owner).await? else {
            return Ok(None);
        };
        if self
            .rows
            .get_policy(&owner.arn, policy_name)
            .await?
            .is_none()
        {
            return Ok(None);
        }
        Ok(Some(PolicyArnClaim {
            arn: arn.to_owned(),
            owner_arn: owner.arn,
            owner_id: owner.unique_id,
            policy_name: policy_name.to_owned(),
        }))
    }

    /// Issues temporary credentials for `role` (the caller's right to
    /// assume it, tag it and set its source identity was checked against
    /// the trust policy).
    pub fn assume_role(
        &self,
        role: &PrincipalRecord,
        request: SessionRequest,
    ) -> Result<SessionCredentials, IdentityError> {
        kinko_model::principals::check_session_name(&request.session_name)?;
        let allowed = self.min_session_seconds..=*SESSION_DURATION_SECONDS.end();
        if !allowed.contains(&request.duration_seconds) {
            return Err(IdentityError::Validation(format!(
                "DurationSeconds must be between {} and {} seconds.",
                allowed.start(),
                allowed.end()
            )));
        }
        let duration = Duration::from_secs(u64::try_from(request.duration_seconds).unwrap_or(3600));
        let session_arn = format!(
            "arn:{}:sts::{}:assumed-role/{}/{}",
            self.partition, self.account_id, role.name, request.session_name
        );
        let claims = SessionClaims {
            kind: SessionKind::Role,
            role_arn: role.arn.clone(),
            role_id: role.unique_id.clone(),
            session_name: request.session_name,
            session_arn,
            policy: request.policy,
            policy_arns: request.policy_arns,
            tags: request.tags,
            transitive_tag_keys: request.transitive_tag_keys,
            source_identity: request.source_identity,
        };
        Ok(self.credentials.issue_session(claims, duration)?)
    }

    /// Issues temporary credentials for the user `user` itself
    /// (GetSessionToken, [`SessionKind::User`]: `request.session_name` is
    /// ignored) or for a federated user of that name (GetFederationToken,
    /// [`SessionKind::Federated`]). The wire checked that the caller is
    /// `user`, signing with a long-term key.
    pub fn user_session(
        &self,
        user: &PrincipalRecord,
        kind: SessionKind,
        request: SessionRequest,
    ) -> Result<SessionCredentials, IdentityError> {
        if user.kind != PrincipalKind::User || kind == SessionKind::Role {
            return Err(IdentityError::Validation(format!(
                "{} is not a user: only users get session or federation tokens.",
                user.arn
            )));
        }
        let allowed = self.min_session_seconds..=*USER_SESSION_DURATION_SECONDS.end();
        if !allowed.contains(&request.duration_seconds) {
            return Err(IdentityError::Validation(format!(
                "DurationSeconds must be between {} and {} seconds.",
                allowed.start(),
                allowed.end()
            )));
        }
        let (session_name, session_arn) = match kind {
            SessionKind::Federated => {
                kinko_model::principals::check_session_name(&request.session_name)?;
                let arn = format!(
                    "arn:{}:sts::{}:federated-user/{}",
                    self.partition, self.account_id, request.session_name
                );
                (request.session_name, arn)
            }
            _ => (user.name.clone(), user.arn.clone()),
        };
        let duration = Duration::from_secs(u64::try_from(request.duration_seconds).unwrap_or(3600));
        let claims = SessionClaims {
            kind,
            role_arn: user.arn.clone(),
            role_id: user.unique_id.clone(),
            session_name,
            session_arn,
            policy: request.policy,
            policy_arns: request.policy_arns,
            tags: request.tags,
            transitive_tag_keys: Vec::new(),
            source_identity: None,
        };
        Ok(self.credentials.issue_session(claims, duration)?)
    }

    /// What a session's request is decided with; `None` when the session's
    /// role no longer exists or is not the role the session was made for
    /// (deleted and created again: a new unique id).
    pub async fn session_access(
        &self,
        claims: SessionClaims,
    ) -> Result<Option<SessionAccess>, IdentityError> {
        let Some(role) = self.access(&claims.role_arn).await? else {
            return Ok(None);
        };
        let kind = match claims.kind {
            SessionKind::Role => PrincipalKind::Role,
            SessionKind::User | SessionKind::Federated => PrincipalKind::User,
        };
        if role.principal.unique_id != claims.role_id || role.principal.kind != kind {
            return Ok(None);
        }
        let mut unreadable = None;
        // A federated user without session policies may do nothing (AWS:
        // "the resulting federated user session has no permissions").
        let policies = if claims.has_session_policies() || claims.kind == SessionKind::Federated {
            let mut policies = Vec::new();
            if let Some(text) = &claims.policy {
                match self.session_policies.get(text) {
                    Some(policy) => policies.push(SessionPolicy::Inline(policy)),
                    None => unreadable = Some(SESSION_POLICY_NAME.to_owned()),
                }
            }
            for named in &claims.policy_arns {
                let Some(owner) = self.access(&named.owner_arn).await? else {
                    continue;
                };
                if owner.principal.unique_id != named.owner_id {
                    continue;
                }
                if owner.unreadable.contains(&named.policy_name) {
                    unreadable = Some(named.arn.clone());
                }
                if let Some(index) = owner
                    .policies
                    .iter()
                    .position(|(name, _)| *name == named.policy_name)
                {
                    policies.push(SessionPolicy::Stored {
                        arn: named.arn.clone(),
                        owner: owner.clone(),
                        index,
                    });
                }
            }
            Some(policies)
        } else {
            None
        };
        let principal_tags = merge_tags(&role.principal.tags, &claims.tags);
        Ok(Some(SessionAccess {
            claims,
            role,
            principal_tags,
            policies,
            unreadable,
        }))
    }
}

/// `base` with `over` replacing tags of the same key (case-insensitively)
/// and adding the others.
pub(crate) fn merge_tags(base: &[Tag], over: &[Tag]) -> Vec<Tag> {
    let mut merged: Vec<Tag> = base
        .iter()
        .filter(|tag| {
            !over
                .iter()
                .any(|o| o.key.to_lowercase() == tag.key.to_lowercase())
        })
        .cloned()
        .collect();
    merged.extend(over.iter().cloned());
    merged
}

#[cfg(test)]
mod tests {
    use kinko_crypto::RootKey;
    use kinko_store::{SqliteStore, Store};

    use super::*;
    use crate::credentials::Credentials;
    use crate::keyring::Keyring;
    use crate::principals::NewPrincipal;

    fn identity() -> Identity {
        identity_and_store().0
    }

    /// An identity and the store under it, for a test that edits rows
    /// behind kinko's back.
    fn identity_and_store() -> (Identity, Arc<dyn Store>) {
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory().unwrap());
        let keyring = Arc::new(Keyring::new(
            store.clone(),
            RootKey::generate(),
            "000000000000".to_owned(),
        ));
        let credentials = Arc::new(Credentials::new(store.clone(), keyring));
        let identity = Identity::new(
            store.clone(),
            credentials,
            "000000000000".to_owned(),
            "us-east-1",
        );
        (identity, store)
    }

    async fn create(identity: &Identity, name: &str, kind: PrincipalKind) -> PrincipalRecord {
        identity
            .create_principal(NewPrincipal {
                name: name.to_owned(),
                kind,
                tags: vec![tag("team", "core")],
                trust_policy: None,
            })
            .await
            .unwrap()
    }

    fn request(name: &str) -> SessionRequest {
        SessionRequest {
            session_name: name.to_owned(),
            duration_seconds: 900,
            policy: None,
            policy_arns: Vec::new(),
            tags: vec![tag("Team", "payments")],
            transitive_tag_keys: Vec::new(),
            source_identity: None,
        }
    }

    const READ: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ssm:GetParameter","Resource":"*"}]}"#;

    #[tokio::test]
    async fn a_session_ends_with_its_role_even_when_one_of_that_name_returns() {
        let identity = identity();
        let role = create(&identity, "deploy", PrincipalKind::Role).await;
        assert!(role.unique_id.starts_with("AROA"), "{}", role.unique_id);
        let user = create(&identity, "alice", PrincipalKind::User).await;
        assert!(user.unique_id.starts_with("AIDA"), "{}", user.unique_id);

        let session = identity.assume_role(&role, request("run-1")).unwrap();
        assert_eq!(session.claims.role_id, role.unique_id);
        let access = identity
            .session_access(session.claims.clone())
            .await
            .unwrap()
            .expect("the role exists");
        assert_eq!(access.role.principal.arn, role.arn);
        assert_eq!(access.principal_tags, vec![tag("Team", "payments")]);
        assert!(access.session_policies().is_none());

        identity.delete_principal("deploy").await.unwrap();
        assert!(
            identity
                .session_access(session.claims.clone())
                .await
                .unwrap()
                .is_none()
        );
        let again = create(&identity, "deploy", PrincipalKind::Role).await;
        assert_ne!(again.unique_id, role.unique_id);
        assert!(
            identity
                .session_access(session.claims.clone())
                .await
                .unwrap()
                .is_none(),
            "the new role's permissions are not the old session's"
        );
        let fresh = identity.assume_role(&again, request("run-2")).unwrap();
        assert!(
            identity
                .session_access(fresh.claims)
                .await
                .unwrap()
                .is_some()
        );
    }

    #[tokio::test]
    async fn only_roles_are_found_to_assume() {
        let identity = identity();
        let role = create(&identity, "deploy", PrincipalKind::Role).await;
        let user = create(&identity, "alice", PrincipalKind::User).await;
        let (found, trust) = identity.role_to_assume(&role.arn).await.unwrap().unwrap();
        assert_eq!(found.arn, role.arn);
        assert_eq!(trust, identity.default_trust_policy());
        assert!(identity.role_to_assume(&user.arn).await.unwrap().is_none());
        let ghost = "arn:aws:iam::000000000000:role/ghost";
        assert!(identity.role_to_assume(ghost).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn policy_arns_name_inline_policies_and_follow_them() {
        let identity = identity();
        let role = create(&identity, "deploy", PrincipalKind::Role).await;
        let holder = create(&identity, "holder", PrincipalKind::User).await;
        identity.put_policy("holder", "read", READ).await.unwrap();
        let arn = "arn:aws:iam::000000000000:policy/holder/read";
        let claim = identity.resolve_policy_arn(arn).await.unwrap().unwrap();
        assert_eq!(claim.owner_id, holder.unique_id);
        for missing in [
            "arn:aws:iam::000000000000:policy/holder/write",
            "arn:aws:iam::000000000000:policy/nobody/read",
            "arn:aws:iam::000000000000:policy/read",
            "arn:aws:iam::000000000000:policy/holder/read/x",
            "arn:aws:iam::111111111111:policy/holder/read",
            "arn:aws:iam::aws:policy/ReadOnlyAccess",
        ] {
            assert!(
                identity
                    .resolve_policy_arn(missing)
                    .await
                    .unwrap()
                    .is_none(),
                "{missing}"
            );
        }

        let mut asked = request("run-1");
        asked.policy_arns = vec![claim];
        asked.policy = Some(READ.to_owned());
        let session = identity.assume_role(&role, asked).unwrap();
        let access = identity
            .session_access(session.claims.clone())
            .await
            .unwrap()
            .unwrap();
        let names: Vec<&str> = access
            .session_policies()
            .unwrap()
            .iter()
            .map(|(n, _)| *n)
            .collect();
        assert_eq!(names, [SESSION_POLICY_NAME, arn]);

        // The stored policy goes: the session keeps only the inline one.
        identity.delete_policy("holder", "read").await.unwrap();
        let access = identity
            .session_access(session.claims.clone())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(access.session_policies().unwrap().len(), 1);
        // A holder created again does not bring a policy back to old sessions.
        identity.delete_principal("holder").await.unwrap();
        create(&identity, "holder", PrincipalKind::User).await;
        identity.put_policy("holder", "read", READ).await.unwrap();
        let access = identity
            .session_access(session.claims)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(access.session_policies().unwrap().len(), 1);
    }

    #[tokio::test]
    async fn a_session_policy_that_no_longer_parses_is_reported_unreadable() {
        let (identity, store) = identity_and_store();
        let role = create(&identity, "deploy", PrincipalKind::Role).await;
        create(&identity, "holder", PrincipalKind::User).await;
        identity.put_policy("holder", "guard", READ).await.unwrap();
        let arn = "arn:aws:iam::000000000000:policy/holder/guard";
        let mut asked = request("run-1");
        asked.policy_arns = vec![identity.resolve_policy_arn(arn).await.unwrap().unwrap()];
        asked.policy = Some(READ.to_owned());
        let session = identity.assume_role(&role, asked).unwrap();
        let access = identity
            .session_access(session.claims.clone())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(access.unreadable, None);

        // Edited in the store behind kinko's back: it may have held a Deny,
        // so the session must not go on with only the inline policy.
        let holder = identity.principal("holder").await.unwrap();
        let mut record = store
            .get_policy(&holder.arn, "guard")
            .await
            .unwrap()
            .unwrap();
        record.document =
            r#"{"Statement":[{"Effect":"Deny","Action":"*","Resurce":"*"}]}"#.to_owned();
        store
            .put_policy(record, crate::changes::test_change())
            .await
            .unwrap();
        identity.forget(&holder.arn);
        let access = identity
            .session_access(session.claims)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(access.unreadable.as_deref(), Some(arn));
    }

    fn tag(key: &str, value: &str) -> Tag {
        Tag {
            key: key.to_owned(),
            value: value.to_owned(),
        }
    }

    #[test]
    fn session_tags_replace_role_tags_of_the_same_key() {
        let merged = merge_tags(
            &[tag("Team", "core"), tag("env", "prod")],
            &[tag("team", "payments"), tag("project", "blue")],
        );
        assert_eq!(
            merged,
            vec![
                tag("env", "prod"),
                tag("team", "payments"),
                tag("project", "blue")
            ]
        );
    }
}
