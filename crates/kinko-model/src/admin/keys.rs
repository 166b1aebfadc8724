//! Access keys, role sessions and the caller's identity.

use kinko_crypto::SecretString;
use serde::{Deserialize, Serialize};

use super::exposed;
use crate::{Epoch, TagShape};

/// `UpdateAccessKey`: `Status` is `Active` or `Inactive`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateAccessKeyRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_key_id: Option<String>,
    /// Text, not [`KeyStatus`], so that a wrong one gets a message naming it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

/// `DeleteAccessKey`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AccessKeyIdRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_key_id: Option<String>,
}

/// `RotateAccessKey`: a new key now; the old one (`AccessKeyId`, or the
/// principal's only one) stops working after `GraceSeconds` (default 3600).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RotateAccessKeyRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_key_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grace_seconds: Option<i64>,
}

/// `AssumeRole`, as STS's, with `RoleName` a role's name or ARN.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AssumeRoleRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_session_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_seconds: Option<i64>,
    /// A session policy (IAM JSON).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_arns: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<TagShape>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transitive_tag_keys: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_identity: Option<String>,
}

/// Whether a key authenticates requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyStatus {
    Active,
    Inactive,
}

impl KeyStatus {
    /// The wire's name of the status (`Active`, `Inactive`).
    pub fn as_str(self) -> &'static str {
        match self {
            KeyStatus::Active => "Active",
            KeyStatus::Inactive => "Inactive",
        }
    }
}

/// A key just made, with its secret: answered once, by `CreateAccessKey`
/// and `RotateAccessKey`, and never again.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NewAccessKey {
    pub access_key_id: String,
    #[serde(with = "exposed")]
    pub secret_access_key: SecretString,
    /// The owner's name.
    pub principal: String,
    pub status: KeyStatus,
    pub create_date: Epoch,
}

/// `CreateAccessKey`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateAccessKeyResponse {
    pub access_key: NewAccessKey,
}

/// One key of `ListAccessKeys`: never its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AccessKeyMetadata {
    pub access_key_id: String,
    /// The owner's name (its ARN when the owner is gone).
    pub principal: String,
    pub status: KeyStatus,
    pub create_date: Epoch,
    /// When a rotation retires (or retired) the key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retire_date: Option<Epoch>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used_date: Option<Epoch>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used_operation: Option<String>,
}

/// `ListAccessKeys`: in creation order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListAccessKeysResponse {
    pub access_keys: Vec<AccessKeyMetadata>,
}

/// `RotateAccessKey`: the new key, and when the old one stops working.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RotateAccessKeyResponse {
    pub access_key: NewAccessKey,
    pub retired_access_key_id: String,
    pub retire_date: Epoch,
}

/// Temporary credentials of a role session.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SessionCredentials {
    pub access_key_id: String,
    #[serde(with = "exposed")]
    pub secret_access_key: SecretString,
    /// A bearer credential like the secret key, so held like one.
    #[serde(with = "exposed")]
    pub session_token: SecretString,
    pub expiration: Epoch,
}

/// `AssumeRole`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AssumeRoleResponse {
    pub credentials: SessionCredentials,
    /// `arn:aws:sts::ACCT:assumed-role/ROLE/SESSION`.
    pub assumed_role_arn: String,
    /// `AROA…:SESSION`.
    pub assumed_role_id: String,
    /// Only when session policies or tags were passed: the share (in
    /// percent) of the packed budget they take.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub packed_policy_size: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_identity: Option<String>,
}

/// `GetCallerIdentity`, as STS answers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetCallerIdentityResponse {
    pub account: String,
    pub arn: String,
    /// The unique id (`AIDA…`, or `AROA…:SESSION` for a session).
    pub user_id: String,
}
