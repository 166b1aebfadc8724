//! The Secrets Manager request and response shapes, with the model's
//! PascalCase member names. Requests hold every member as `Option` so a
//! missing required member becomes a `ValidationException` (see
//! `handle`), not a serde error. Values stay in zeroizing types from
//! decode to encode.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use kinko_core::secrets::{
    ReplicationStatus, SecretDescription, SecretValue, SecretValueOutput, VersionEntry,
};
use kinko_crypto::{SecretBytes, SecretString};
use kinko_model::Tag;
use serde::ser::{SerializeMap, SerializeStruct};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use kinko_model::{Epoch, TagShape};

pub use crate::wire::WireSecret;

/// `SecretBinary`: base64 on the wire, read straight into zeroizing bytes.
/// Bad base64 is a `SerializationException`, as for any mistyped member.
pub struct WireBlob(pub SecretBytes);

impl<'de> Deserialize<'de> for WireBlob {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = SecretString::new(String::deserialize(d)?);
        STANDARD
            .decode(text.expose().as_bytes())
            .map(|b| WireBlob(SecretBytes::new(b)))
            .map_err(|_| serde::de::Error::custom("SecretBinary is not valid base64"))
    }
}

// ---- requests ----

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReplicaRegionShape {
    pub region: Option<String>,
    pub kms_key_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct FilterShape {
    pub key: Option<String>,
    pub values: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateSecretRequest {
    pub name: Option<String>,
    pub client_request_token: Option<String>,
    pub description: Option<String>,
    pub kms_key_id: Option<String>,
    pub secret_binary: Option<WireBlob>,
    pub secret_string: Option<WireSecret>,
    pub tags: Option<Vec<TagShape>>,
    pub add_replica_regions: Option<Vec<ReplicaRegionShape>>,
    pub force_overwrite_replica_secret: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SecretIdRequest {
    pub secret_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetSecretValueRequest {
    pub secret_id: Option<String>,
    pub version_id: Option<String>,
    pub version_stage: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BatchGetSecretValueRequest {
    pub secret_id_list: Option<Vec<String>>,
    pub filters: Option<Vec<FilterShape>>,
    pub max_results: Option<i64>,
    pub next_token: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutSecretValueRequest {
    pub secret_id: Option<String>,
    pub client_request_token: Option<String>,
    pub secret_binary: Option<WireBlob>,
    pub secret_string: Option<WireSecret>,
    pub version_stages: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateSecretRequest {
    pub secret_id: Option<String>,
    pub client_request_token: Option<String>,
    pub description: Option<String>,
    pub kms_key_id: Option<String>,
    pub secret_binary: Option<WireBlob>,
    pub secret_string: Option<WireSecret>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateSecretVersionStageRequest {
    pub secret_id: Option<String>,
    pub version_stage: Option<String>,
    pub remove_from_version_id: Option<String>,
    pub move_to_version_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListSecretsRequest {
    pub include_planned_deletion: Option<bool>,
    pub max_results: Option<i64>,
    pub next_token: Option<String>,
    pub filters: Option<Vec<FilterShape>>,
    pub sort_order: Option<String>,
    pub sort_by: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListSecretVersionIdsRequest {
    pub secret_id: Option<String>,
    pub max_results: Option<i64>,
    pub next_token: Option<String>,
    pub include_deprecated: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteSecretRequest {
    pub secret_id: Option<String>,
    pub recovery_window_in_days: Option<i64>,
    pub force_delete_without_recovery: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TagResourceRequest {
    pub secret_id: Option<String>,
    pub tags: Option<Vec<TagShape>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UntagResourceRequest {
    pub secret_id: Option<String>,
    pub tag_keys: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetRandomPasswordRequest {
    pub password_length: Option<i64>,
    pub exclude_characters: Option<String>,
    pub exclude_numbers: Option<bool>,
    pub exclude_punctuation: Option<bool>,
    pub exclude_uppercase: Option<bool>,
    pub exclude_lowercase: Option<bool>,
    pub include_space: Option<bool>,
    pub require_each_included_type: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutResourcePolicyRequest {
    pub secret_id: Option<String>,
    pub resource_policy: Option<String>,
    pub block_public_policy: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ValidateResourcePolicyRequest {
    pub secret_id: Option<String>,
    pub resource_policy: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReplicateSecretToRegionsRequest {
    pub secret_id: Option<String>,
    pub add_replica_regions: Option<Vec<ReplicaRegionShape>>,
    pub force_overwrite_replica_secret: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RemoveRegionsFromReplicationRequest {
    pub secret_id: Option<String>,
    pub remove_replica_regions: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RotateSecretRequest {
    pub secret_id: Option<String>,
    pub client_request_token: Option<String>,
    #[serde(rename = "RotationLambdaARN")]
    pub rotation_lambda_arn: Option<String>,
}

// ---- responses ----

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct IdentityResponse<'a> {
    #[serde(rename = "ARN")]
    pub arn: &'a str,
    pub name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_id: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateSecretResponse<'a> {
    #[serde(rename = "ARN")]
    pub arn: &'a str,
    pub name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Statuses::is_empty")]
    pub replication_status: Statuses<'a>,
}

/// `ReplicationStatus` entries.
pub struct Statuses<'a>(pub &'a [ReplicationStatus]);

impl Statuses<'_> {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Serialize for Statuses<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(StatusShape))
    }
}

struct StatusShape<'a>(&'a ReplicationStatus);

impl Serialize for StatusShape<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let r = self.0;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("Region", &r.region)?;
        if let Some(k) = &r.kms_key_id {
            m.serialize_entry("KmsKeyId", k)?;
        }
        m.serialize_entry("Status", &r.status)?;
        if let Some(msg) = &r.status_message {
            m.serialize_entry("StatusMessage", msg)?;
        }
        if let Some(t) = r.last_accessed_ms {
            m.serialize_entry("LastAccessedDate", &Epoch(t))?;
        }
        m.end()
    }
}

/// A secret value as GetSecretValue and BatchGetSecretValue return it: the
/// only place a value is exposed, straight into the response body.
pub struct ValueShape<'a>(pub &'a SecretValueOutput);

impl Serialize for ValueShape<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let v = self.0;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("ARN", &v.arn)?;
        m.serialize_entry("Name", &v.name)?;
        m.serialize_entry("VersionId", &v.version_id)?;
        match &v.value {
            SecretValue::Text(t) => m.serialize_entry("SecretString", t.expose())?,
            SecretValue::Binary(b) => {
                let encoded = SecretString::new(STANDARD.encode(b.expose()));
                m.serialize_entry("SecretBinary", encoded.expose())?
            }
        }
        if !v.version_stages.is_empty() {
            m.serialize_entry("VersionStages", &v.version_stages)?;
        }
        m.serialize_entry("CreatedDate", &Epoch(v.created_ms))?;
        m.end()
    }
}

struct TagsShape<'a>(&'a [Tag]);

impl Serialize for TagsShape<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(|t| {
            let mut m = serde_json::Map::new();
            m.insert("Key".into(), t.key.clone().into());
            m.insert("Value".into(), t.value.clone().into());
            m
        }))
    }
}

struct StageMap<'a>(&'a [(String, Vec<String>)]);

impl Serialize for StageMap<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (id, stages) in self.0 {
            m.serialize_entry(id, stages)?;
        }
        m.end()
    }
}

/// DescribeSecret's answer, or a ListSecrets entry (which names the stage
/// map `SecretVersionsToStages`). Empty members are omitted, as AWS does.
pub struct DescriptionShape<'a> {
    pub d: &'a SecretDescription,
    pub list_entry: bool,
}

impl Serialize for DescriptionShape<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let d = self.d;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("ARN", &d.arn)?;
        m.serialize_entry("Name", &d.name)?;
        if let Some(x) = &d.description {
            m.serialize_entry("Description", x)?;
        }
        if let Some(x) = &d.kms_key_id {
            m.serialize_entry("KmsKeyId", x)?;
        }
        m.serialize_entry("LastChangedDate", &Epoch(d.last_changed_ms))?;
        if let Some(x) = d.last_accessed_ms {
            m.serialize_entry("LastAccessedDate", &Epoch(x))?;
        }
        if let Some(x) = d.deleted_ms {
            m.serialize_entry("DeletedDate", &Epoch(x))?;
        }
        if let Some(tags) = &d.tags {
            m.serialize_entry("Tags", &TagsShape(tags))?;
        }
        if !d.version_ids_to_stages.is_empty() {
            let key = if self.list_entry {
                "SecretVersionsToStages"
            } else {
                "VersionIdsToStages"
            };
            m.serialize_entry(key, &StageMap(&d.version_ids_to_stages))?;
        }
        m.serialize_entry("CreatedDate", &Epoch(d.created_ms))?;
        if let Some(x) = &d.primary_region {
            m.serialize_entry("PrimaryRegion", x)?;
        }
        if !d.replication_status.is_empty() {
            m.serialize_entry("ReplicationStatus", &Statuses(&d.replication_status))?;
        }
        m.end()
    }
}

pub struct VersionShape<'a>(pub &'a VersionEntry);

impl Serialize for VersionShape<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let v = self.0;
        let mut st = s.serialize_struct("SecretVersionsListEntry", 5)?;
        st.serialize_field("VersionId", &v.version_id)?;
        match &v.version_stages {
            Some(stages) => st.serialize_field("VersionStages", stages)?,
            None => st.skip_field("VersionStages")?,
        }
        match v.last_accessed_ms {
            Some(t) => st.serialize_field("LastAccessedDate", &Epoch(t))?,
            None => st.skip_field("LastAccessedDate")?,
        }
        st.serialize_field("CreatedDate", &Epoch(v.created_ms))?;
        st.serialize_field("KmsKeyIds", &v.kms_key_ids)?;
        st.end()
    }
}
