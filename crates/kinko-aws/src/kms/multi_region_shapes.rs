//! Wire shapes of the multi-Region key operations (ReplicateKey,
//! UpdatePrimaryRegion) and of `KeyMetadata.MultiRegionConfiguration`.

use kinko_core::kms::multi_region::{MultiRegionConfiguration, MultiRegionKey};
use serde::{Deserialize, Serialize};

use super::shapes::{KeyMetadataShape, TagOut, TagShape};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReplicateKeyRequest {
    pub key_id: Option<String>,
    pub replica_region: Option<String>,
    pub policy: Option<String>,
    pub bypass_policy_lockout_safety_check: Option<bool>,
    pub description: Option<String>,
    pub tags: Option<Vec<TagShape>>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReplicateKeyResponse<'a> {
    pub replica_key_metadata: KeyMetadataShape<'a>,
    pub replica_policy: &'a str,
    pub replica_tags: Vec<TagOut<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdatePrimaryRegionRequest {
    pub key_id: Option<String>,
    pub primary_region: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct MultiRegionKeyShape<'a> {
    pub arn: &'a str,
    pub region: &'a str,
}

impl<'a> From<&'a MultiRegionKey> for MultiRegionKeyShape<'a> {
    fn from(k: &'a MultiRegionKey) -> Self {
        MultiRegionKeyShape {
            arn: &k.arn,
            region: &k.region,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct MultiRegionConfigurationShape<'a> {
    pub multi_region_key_type: &'static str,
    pub primary_key: MultiRegionKeyShape<'a>,
    pub replica_keys: Vec<MultiRegionKeyShape<'a>>,
}

impl<'a> From<&'a MultiRegionConfiguration> for MultiRegionConfigurationShape<'a> {
    fn from(c: &'a MultiRegionConfiguration) -> Self {
        MultiRegionConfigurationShape {
            multi_region_key_type: c.key_type.as_str(),
            primary_key: (&c.primary_key).into(),
            replica_keys: c.replica_keys.iter().map(Into::into).collect(),
        }
    }
}
