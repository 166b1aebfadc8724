//! KMS grants (spec §9): CreateGrant, ListGrants, ListRetirableGrants,
//! RetireGrant and RevokeGrant, and the rule by which a grant allows a
//! request ([`allowing`], which `iam::Access` asks).
//!
//! A key's grants live in its metadata JSON, beside its tags and policy:
//! every use of the key reads that record anyway, so a grant is honoured by
//! the very next request (kinko is strongly consistent; AWS's "eventual
//! consistency" delay does not exist here and grant tokens are only
//! validated). The record is rewritten on every grant change, so a key
//! holds at most [`MAX_GRANTS_PER_KEY`] grants (AWS's quota is 50,000 per
//! key; that many would make every Encrypt read a megabytes-long record).
//! Key records have no compare-and-set: writes to one key are serialized
//! per server by [`super::Kms`]'s key locks; two servers on one PostgreSQL
//! database changing the same key's grants at the same instant can lose
//! one of the two changes (last writer wins).
//!
//! Choices where AWS is silent: grant ids are 64 lowercase hex digits (the
//! form AWS shows); an id of another form is `InvalidGrantIdException`, a
//! well-formed id the key does not have is `NotFoundException`. Grants are
//! listed in creation order. A grantee matches the caller's own ARN or, for
//! a role session, its role's ARN; an account root as grantee matches no
//! caller (kinko has no account root user).

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use super::model::{EncryptionContext, KeyState, Page};
use super::{KeyHandle, Kms, KmsError, now_ms};

/// What one key may hold (see the module comment for why not 50,000).
pub const MAX_GRANTS_PER_KEY: usize = 1000;

/// Every `GrantOperation` of the model.
pub const GRANT_OPERATIONS: [&str; 17] = [
    "Decrypt",
    "Encrypt",
    "GenerateDataKey",
    "GenerateDataKeyWithoutPlaintext",
    "ReEncryptFrom",
    "ReEncryptTo",
    "Sign",
    "Verify",
    "GetPublicKey",
    "CreateGrant",
    "RetireGrant",
    "DescribeKey",
    "GenerateDataKeyPair",
    "GenerateDataKeyPairWithoutPlaintext",
    "GenerateMac",
    "VerifyMac",
    "DeriveSharedSecret",
];

/// The grant operations that take an encryption context: the only ones a
/// constraint is checked on. `DescribeKey`, `RetireGrant` (and
/// `CreateGrant`, which has its own rule) ignore constraints; the
/// asymmetric and HMAC operations take no context, so a constrained grant
/// never allows them ("You cannot use an encryption context grant
/// constraint for cryptographic operations with asymmetric KMS keys").
const CONTEXT_OPERATIONS: [&str; 8] = [
    "Decrypt",
    "Encrypt",
    "GenerateDataKey",
    "GenerateDataKeyWithoutPlaintext",
    "ReEncryptFrom",
    "ReEncryptTo",
    "GenerateDataKeyPair",
    "GenerateDataKeyPairWithoutPlaintext",
];

/// Operations whose grant permission ignores constraints.
const UNCONSTRAINED_OPERATIONS: [&str; 2] = ["DescribeKey", "RetireGrant"];

/// At most this many pairs in one constraint (CreateGrant's documentation).
pub const MAX_CONSTRAINT_PAIRS: usize = 8;
/// The longest value of a constraint's pair, in characters.
pub const MAX_CONSTRAINT_VALUE_CHARS: usize = 384;

/// `GrantConstraints`. Keys compare case-insensitively, values exactly
/// (the model's documentation).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct GrantConstraints {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption_context_subset: Option<EncryptionContext>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption_context_equals: Option<EncryptionContext>,
}

impl GrantConstraints {
    /// Whether a request with `context` meets every constraint.
    fn allow(&self, context: &EncryptionContext) -> bool {
        self.encryption_context_subset
            .as_ref()
            .is_none_or(|subset| includes(context, subset))
            && self
                .encryption_context_equals
                .as_ref()
                .is_none_or(|equals| same_pairs(context, equals))
    }

    /// Whether `child` (a grant asked for through this grant's CreateGrant
    /// permission) is at least as strict: every context it allows, this
    /// allows too.
    fn is_met_by(&self, child: Option<&GrantConstraints>) -> bool {
        let child_equals = child.and_then(|c| c.encryption_context_equals.as_ref());
        let child_subset = child.and_then(|c| c.encryption_context_subset.as_ref());
        let subset_met = self
            .encryption_context_subset
            .as_ref()
            .is_none_or(|parent| {
                child_equals.is_some_and(|e| includes(e, parent))
                    || child_subset.is_some_and(|s| includes(s, parent))
            });
        let equals_met = self
            .encryption_context_equals
            .as_ref()
            .is_none_or(|parent| child_equals.is_some_and(|e| same_pairs(e, parent)));
        subset_met && equals_met
    }
}

/// Every pair of `wanted` is in `context` (keys case-insensitive).
fn includes(context: &EncryptionContext, wanted: &EncryptionContext) -> bool {
    wanted.iter().all(|(key, value)| {
        context
            .iter()
            .any(|(k, v)| k.eq_ignore_ascii_case(key) && v == value)
    })
}

fn same_pairs(a: &EncryptionContext, b: &EncryptionContext) -> bool {
    a.len() == b.len() && includes(a, b) && includes(b, a)
}

/// A grant as kept in the key's metadata JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredGrant {
    pub grant_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub grantee_principal: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retiring_principal: Option<String>,
    /// `GrantOperation` names (`Decrypt`), as the caller sent them.
    pub operations: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub constraints: Option<GrantConstraints>,
    pub creation_ms: i64,
}

impl StoredGrant {
    fn has_operation(&self, operation: &str) -> bool {
        self.operations.iter().any(|o| o == operation)
    }

    /// Whether this grant lets a caller that is one of `callers` do
    /// `action` (`kms:Decrypt`) with `context`.
    fn allows(
        &self,
        callers: &[&str],
        action: &str,
        context: Option<&EncryptionContext>,
        requested: Option<&StoredGrant>,
    ) -> bool {
        let Some(operation) = action.strip_prefix("kms:") else {
            return false;
        };
        let is = |principal: &str| callers.contains(&principal);
        // The retiring principal may retire the grant whatever it allows.
        if operation == "RetireGrant" && self.retiring_principal.as_deref().is_some_and(is) {
            return true;
        }
        if !is(&self.grantee_principal) || !self.has_operation(operation) {
            return false;
        }
        if operation == "CreateGrant" {
            // The new grant may be no wider than this one.
            return requested.is_some_and(|child| {
                child.operations.iter().all(|o| self.has_operation(o))
                    && self
                        .constraints
                        .as_ref()
                        .is_none_or(|c| c.is_met_by(child.constraints.as_ref()))
            });
        }
        let Some(constraints) = &self.constraints else {
            return true;
        };
        if UNCONSTRAINED_OPERATIONS.contains(&operation) {
            return true;
        }
        if !CONTEXT_OPERATIONS.contains(&operation) {
            return false;
        }
        constraints.allow(context.unwrap_or(&BTreeMap::new()))
    }
}

/// The first of `grants` that lets a caller known as any of `callers` (its
/// own ARN, a session's role ARN) do `action` with the request's
/// encryption `context`; `requested` is the grant a CreateGrant asks for.
pub fn allowing<'g>(
    grants: &'g [StoredGrant],
    callers: &[&str],
    action: &str,
    context: Option<&EncryptionContext>,
    requested: Option<&StoredGrant>,
) -> Option<(usize, &'g StoredGrant)> {
    grants
        .iter()
        .enumerate()
        .find(|(_, g)| g.allows(callers, action, context, requested))
}

/// CreateGrant's input (the wire layer checks the model's constraints).
#[derive(Debug, Clone, Default)]
pub struct CreateGrantInput {
    pub key_id: String,
    pub grantee_principal: String,
    pub retiring_principal: Option<String>,
    pub operations: Vec<String>,
    pub constraints: Option<GrantConstraints>,
    pub name: Option<String>,
    pub dry_run: bool,
}

impl CreateGrantInput {
    /// The grant this input would create, for the access check of a
    /// CreateGrant allowed through another grant.
    pub fn as_grant(&self) -> StoredGrant {
        StoredGrant {
            grant_id: String::new(),
            name: self.name.clone(),
            grantee_principal: self.grantee_principal.clone(),
            retiring_principal: self.retiring_principal.clone(),
            operations: self.operations.clone(),
            constraints: self.constraints.clone(),
            creation_ms: 0,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateGrantOutput {
    pub grant_id: String,
    pub grant_token: String,
}

/// One `GrantListEntry`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantEntry {
    /// The key ARN.
    pub key_arn: String,
    pub grant: StoredGrant,
    /// `arn:aws:iam::ACCOUNT:root`.
    pub issuing_account: String,
}

/// How RetireGrant names the grant.
#[derive(Debug, Clone)]
pub enum GrantRef {
    Token(String),
    Id { key_id: String, grant_id: String },
}

/// A grant id as kinko makes them: 64 lowercase hex digits.
fn is_grant_id(id: &str) -> bool {
    id.len() == 64
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn invalid_grant_id(id: &str) -> KmsError {
    KmsError::InvalidGrantId(format!("Invalid grant ID '{id}'."))
}

fn grant_not_found(id: &str, key_arn: &str) -> KmsError {
    KmsError::NotFound(format!("Grant ID {id} not found for key {key_arn}."))
}

fn invalid_token() -> KmsError {
    KmsError::InvalidGrantToken("The grant token is not valid.".into())
}

fn token_input(payload: &str) -> Vec<u8> {
    format!("kms-grant-token\0{payload}").into_bytes()
}

/// Two grants are the same request when all but id and date agree
/// (Name idempotency; operations compared as a set).
fn same_request(a: &StoredGrant, b: &StoredGrant) -> bool {
    fn ops(g: &StoredGrant) -> Vec<&str> {
        let mut ops: Vec<&str> = g.operations.iter().map(String::as_str).collect();
        ops.sort_unstable();
        ops.dedup();
        ops
    }
    a.name == b.name
        && a.grantee_principal == b.grantee_principal
        && a.retiring_principal == b.retiring_principal
        && a.constraints == b.constraints
        && ops(a) == ops(b)
}

fn check_constraints(constraints: &GrantConstraints) -> Result<(), KmsError> {
    for context in [
        &constraints.encryption_context_subset,
        &constraints.encryption_context_equals,
    ]
    .into_iter()
    .flatten()
    {
        if context.len() > MAX_CONSTRAINT_PAIRS {
            return Err(KmsError::Validation(format!(
                "A grant constraint can hold at most {MAX_CONSTRAINT_PAIRS} encryption context pairs."
            )));
        }
        if context
            .values()
            .any(|v| v.chars().count() > MAX_CONSTRAINT_VALUE_CHARS)
        {
            return Err(KmsError::Validation(format!(
                "A grant constraint's encryption context value can be at most {MAX_CONSTRAINT_VALUE_CHARS} characters long."
            )));
        }
    }
    Ok(())
}

impl Kms {
    /// A fresh token for `grant_id` of `key_id`: MACed, so a forged or
    /// altered one is `InvalidGrantTokenException`, and unique per call
    /// (as AWS's are, even for a repeated Name).
    fn grant_token(&self, region: &str, key_id: &str, grant_id: &str) -> String {
        let nonce = hex::encode(kinko_crypto::random_bytes(8));
        let payload = format!("{region}\0{key_id}\0{grant_id}\0{nonce}");
        let tag = self.keyring.token_mac(&token_input(&payload));
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(payload),
            URL_SAFE_NO_PAD.encode(tag)
        )
    }

    /// The (key id, grant id) a grant token names, if it is one of ours
    /// for `region`.
    fn parse_grant_token(&self, region: &str, token: &str) -> Result<(String, String), KmsError> {
        let (payload, tag) = token.split_once('.').ok_or_else(invalid_token)?;
        let payload = URL_SAFE_NO_PAD
            .decode(payload)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(invalid_token)?;
        let tag = URL_SAFE_NO_PAD.decode(tag).map_err(|_| invalid_token())?;
        if !self.keyring.verify_token_mac(&token_input(&payload), &tag) {
            return Err(invalid_token());
        }
        let mut parts = payload.split('\0');
        match (parts.next(), parts.next(), parts.next()) {
            (Some(r), Some(key_id), Some(grant_id)) if r == region => {
                Ok((key_id.to_owned(), grant_id.to_owned()))
            }
            _ => Err(invalid_token()),
        }
    }

    /// `GrantTokens` of any request: each must be a token kinko issued.
    /// Grants take effect at once here, so a valid token adds nothing.
    pub fn check_grant_tokens(&self, region: &str, tokens: &[String]) -> Result<(), KmsError> {
        for token in tokens {
            self.parse_grant_token(region, token)?;
        }
        Ok(())
    }

    pub async fn create_grant(
        &self,
        region: &str,
        input: CreateGrantInput,
    ) -> Result<CreateGrantOutput, KmsError> {
        if input.operations.is_empty() {
            return Err(KmsError::Validation(
                "A grant must allow at least one operation.".into(),
            ));
        }
        if let Some(c) = &input.constraints {
            check_constraints(c)?;
        }
        let (_guard, mut key) = self.load_locked(region, &input.key_id).await?;
        match key.state() {
            KeyState::Enabled => {}
            KeyState::Disabled => return Err(KmsError::disabled(&key.arn)),
            KeyState::PendingDeletion | KeyState::PendingReplicaDeletion => {
                return Err(KmsError::pending_deletion(&key.arn));
            }
            KeyState::PendingImport => return Err(KmsError::pending_import(&key.arn)),
        }
        if input.dry_run {
            return Err(KmsError::dry_run());
        }
        let mut grant = input.as_grant();
        if input.name.is_some()
            && let Some(existing) = key.meta.grants.iter().find(|g| same_request(g, &grant))
        {
            let grant_id = existing.grant_id.clone();
            let grant_token = self.grant_token(region, &key.record.key_id, &grant_id);
            return Ok(CreateGrantOutput {
                grant_id,
                grant_token,
            });
        }
        if key.meta.grants.len() >= MAX_GRANTS_PER_KEY {
            return Err(KmsError::LimitExceeded(format!(
                "The key {} already has {MAX_GRANTS_PER_KEY} grants, the most this server keeps per key.",
                key.arn
            )));
        }
        grant.grant_id = hex::encode(kinko_crypto::random_bytes(32));
        // Strictly after the key's last grant: listings page by
        // (creation time, grant id), so two grants of one millisecond would
        // otherwise page in random id order and a marker could skip one.
        let last_ms = key.meta.grants.last().map_or(0, |g| g.creation_ms);
        grant.creation_ms = now_ms().max(last_ms + 1);
        let grant_id = grant.grant_id.clone();
        key.meta.grants.push(grant);
        let key_id = key.record.key_id.clone();
        self.save_meta(key, "CreateGrant").await?;
        Ok(CreateGrantOutput {
            grant_token: self.grant_token(region, &key_id, &grant_id),
            grant_id,
        })
    }

    /// The key's grants in creation order, optionally only the one with
    /// `grant_id` or those of `grantee`. Any key state.
    pub async fn list_grants(
        &self,
        region: &str,
        key_ref: &str,
        grant_id: Option<&str>,
        grantee: Option<&str>,
        limit: usize,
        marker: Option<&str>,
    ) -> Result<Page<GrantEntry>, KmsError> {
        if let Some(id) = grant_id
            && !is_grant_id(id)
        {
            return Err(invalid_grant_id(id));
        }
        let key = self.load(region, key_ref).await?;
        let kind = format!("grants:{}", key.record.key_id);
        let entries = self.entries(&key, |g| {
            grant_id.is_none_or(|id| g.grant_id == id)
                && grantee.is_none_or(|p| g.grantee_principal == p)
        });
        self.page(&kind, entries, order_key_of, limit, marker)
            .map(strip_order)
    }

    /// Every grant of the region's keys whose retiring principal is
    /// `retiring`, by key id then creation.
    pub async fn list_retirable_grants(
        &self,
        region: &str,
        retiring: &str,
        limit: usize,
        marker: Option<&str>,
    ) -> Result<Page<GrantEntry>, KmsError> {
        let mut entries = Vec::new();
        let mut records = self.store.list_kms_keys(region).await?;
        records.sort_by(|a, b| a.key_id.cmp(&b.key_id));
        for record in records {
            let key = self.handle_of(record)?;
            let mut of_key =
                self.entries(&key, |g| g.retiring_principal.as_deref() == Some(retiring));
            for entry in &mut of_key {
                entry.0 = format!("{}\0{}", key.record.key_id, entry.0);
            }
            entries.extend(of_key);
        }
        self.page("retirable", entries, order_key_of, limit, marker)
            .map(strip_order)
    }

    fn entries(
        &self,
        key: &KeyHandle,
        keep: impl Fn(&StoredGrant) -> bool,
    ) -> Vec<(String, GrantEntry)> {
        let issuing_account = format!("arn:aws:iam::{}:root", self.account_id());
        key.meta
            .grants
            .iter()
            .filter(|g| keep(g))
            .map(|g| {
                (
                    format!("{:020}\0{}", g.creation_ms, g.grant_id),
                    GrantEntry {
                        key_arn: key.arn.clone(),
                        grant: g.clone(),
                        issuing_account: issuing_account.clone(),
                    },
                )
            })
            .collect()
    }

    /// The key and grant id a RetireGrant names: a token is checked and
    /// opened, a key id (or key ARN) and grant id are checked for form.
    pub fn retire_target(
        &self,
        region: &str,
        grant: &GrantRef,
    ) -> Result<(String, String), KmsError> {
        match grant {
            GrantRef::Token(token) => self.parse_grant_token(region, token),
            GrantRef::Id { key_id, grant_id } => {
                if !is_grant_id(grant_id) {
                    return Err(invalid_grant_id(grant_id));
                }
                Ok((key_id.clone(), grant_id.clone()))
            }
        }
    }

    /// RetireGrant and RevokeGrant both delete the grant (the difference is
    /// who may: decided by the access check before).
    pub async fn delete_grant(
        &self,
        region: &str,
        key_ref: &str,
        grant_id: &str,
        dry_run: bool,
    ) -> Result<(), KmsError> {
        if !is_grant_id(grant_id) {
            return Err(invalid_grant_id(grant_id));
        }
        let (_guard, mut key) = self.load_locked(region, key_ref).await?;
        let Some(index) = key.meta.grants.iter().position(|g| g.grant_id == grant_id) else {
            return Err(grant_not_found(grant_id, &key.arn));
        };
        if dry_run {
            return Err(KmsError::dry_run());
        }
        key.meta.grants.remove(index);
        self.save_meta(key, "RevokeGrant").await
    }
}

fn order_key_of(entry: &(String, GrantEntry)) -> &str {
    entry.0.as_str()
}

fn strip_order(page: Page<(String, GrantEntry)>) -> Page<GrantEntry> {
    Page {
        items: page.items.into_iter().map(|(_, e)| e).collect(),
        next_marker: page.next_marker,
    }
}

#[cfg(test)]
mod tests;
