//! KMS-style keys and their aliases.

use async_trait::async_trait;

use crate::{Change, StoreError};

/// A KMS-style key. `wrapped_material` is the key material wrapped under the
/// root key; the store never sees it in the clear.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct KmsKeyRecord {
    pub region: String,
    /// The key id (a UUID, as on AWS).
    pub key_id: String,
    #[serde(with = "crate::backup::base64_bytes")]
    pub wrapped_material: Vec<u8>,
    pub description: String,
    pub enabled: bool,
    /// `AWS` for the managed keys (`alias/aws/ssm`), `CUSTOMER` otherwise.
    pub key_manager: String,
    pub created_ms: i64,
    /// Further KMS metadata as JSON, owned by `kinko-core`, so that later
    /// features (key state, deletion date) need no schema change.
    pub metadata: String,
}

impl std::fmt::Debug for KmsKeyRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KmsKeyRecord")
            .field("region", &self.region)
            .field("key_id", &self.key_id)
            .field("enabled", &self.enabled)
            .field("key_manager", &self.key_manager)
            .finish_non_exhaustive()
    }
}

/// One material generation of a KMS key after its original one (which is
/// [`KmsKeyRecord::wrapped_material`]): what a rotation adds. Rows are only
/// ever inserted, never updated or deleted while the key exists, so no
/// concurrent write to the key record can lose a material that ciphertexts
/// already name. The highest `version` is the current material.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct KmsKeyMaterialRecord {
    pub region: String,
    pub key_id: String,
    /// 1, 2, … in rotation order (the original material is version 0).
    pub version: i64,
    /// AWS's `KeyMaterialId`: 64 lowercase hex characters.
    pub material_id: String,
    /// The material wrapped under the root key.
    #[serde(with = "crate::backup::base64_bytes")]
    pub wrapped_material: Vec<u8>,
    /// `AUTOMATIC` or `ON_DEMAND`.
    pub rotation_type: String,
    pub created_ms: i64,
}

impl std::fmt::Debug for KmsKeyMaterialRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KmsKeyMaterialRecord")
            .field("region", &self.region)
            .field("key_id", &self.key_id)
            .field("version", &self.version)
            .field("material_id", &self.material_id)
            .field("rotation_type", &self.rotation_type)
            .finish_non_exhaustive()
    }
}

/// A KMS alias (`alias/NAME`) and the key it points to.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct KmsAliasRecord {
    pub region: String,
    /// `alias/NAME`.
    pub alias: String,
    pub key_id: String,
    pub created_ms: i64,
    pub updated_ms: i64,
}

/// KMS key and alias rows: what the keyring and the KMS service need.
/// Each mutation appends its [`Change`] in its own transaction when it
/// writes.
#[async_trait]
pub trait KeyRows: Send + Sync {
    async fn get_kms_key(
        &self,
        region: &str,
        key_id: &str,
    ) -> Result<Option<KmsKeyRecord>, StoreError>;

    /// The key id an alias (`alias/aws/ssm`) points to.
    async fn get_kms_alias(&self, region: &str, alias: &str) -> Result<Option<String>, StoreError>;

    /// Inserts a key and, when given, an alias to it, in one transaction.
    /// Errors: `AlreadyExists` when the key id or the alias exists.
    async fn create_kms_key(
        &self,
        key: KmsKeyRecord,
        alias: Option<&str>,
        change: Change,
    ) -> Result<(), StoreError>;

    /// Every key of a region, in key id order.
    async fn list_kms_keys(&self, region: &str) -> Result<Vec<KmsKeyRecord>, StoreError>;

    /// Replaces a key's mutable fields (`enabled`, `description`, `metadata`,
    /// `wrapped_material` for re-wrapping). Errors: `NotFound` if absent.
    async fn update_kms_key(&self, key: KmsKeyRecord, change: Change) -> Result<(), StoreError>;

    /// A key's rotated materials (not the original), in version order.
    async fn list_kms_key_materials(
        &self,
        region: &str,
        key_id: &str,
    ) -> Result<Vec<KmsKeyMaterialRecord>, StoreError>;

    /// Adds a rotated material. Errors: `AlreadyExists` when the key
    /// already has that version (a concurrent rotation won), `NotFound`
    /// when the key does not exist.
    async fn add_kms_key_material(
        &self,
        material: KmsKeyMaterialRecord,
        change: Change,
    ) -> Result<(), StoreError>;

    /// Every region that holds a KMS key, in order (the rotation job
    /// walks them).
    async fn list_kms_regions(&self) -> Result<Vec<String>, StoreError>;

    /// Every alias of a region, in alias order.
    async fn list_kms_aliases(&self, region: &str) -> Result<Vec<KmsAliasRecord>, StoreError>;

    /// Errors: `AlreadyExists`.
    async fn create_kms_alias(
        &self,
        alias: KmsAliasRecord,
        change: Change,
    ) -> Result<(), StoreError>;

    /// Points an existing alias at another key. Errors: `NotFound`.
    async fn update_kms_alias(
        &self,
        region: &str,
        alias: &str,
        key_id: &str,
        updated_ms: i64,
        change: Change,
    ) -> Result<(), StoreError>;

    /// `false` when it did not exist.
    async fn delete_kms_alias(
        &self,
        region: &str,
        alias: &str,
        change: Change,
    ) -> Result<bool, StoreError>;
}
