//! The record's `metadata` JSON: Secrets Manager state the store keeps
//! opaque (replication today; rotation later).

use serde::{Deserialize, Serialize};

use super::error::SecretsError;

pub const IN_SYNC: &str = "InSync";
pub const FAILED: &str = "Failed";
pub const SYNC_MESSAGE: &str = "Replication succeeded";

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretMeta {
    /// On a primary: the regions it replicates to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub replicas: Vec<ReplicaMeta>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplicaMeta {
    pub region: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<String>,
    /// `InSync` or `Failed`.
    pub status: String,
    pub message: String,
}

impl SecretMeta {
    pub fn parse(text: &str) -> Result<Self, SecretsError> {
        if text.trim().is_empty() {
            return Ok(Self::default());
        }
        serde_json::from_str(text)
            .map_err(|e| SecretsError::Internal(format!("secret metadata is not valid: {e}")))
    }

    pub fn render(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".into())
    }

    pub fn in_sync(&self) -> impl Iterator<Item = &ReplicaMeta> {
        self.replicas.iter().filter(|r| r.status == IN_SYNC)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_empty() {
        assert_eq!(SecretMeta::parse("").unwrap(), SecretMeta::default());
        assert_eq!(SecretMeta::parse("{}").unwrap(), SecretMeta::default());
        let m = SecretMeta {
            replicas: vec![ReplicaMeta {
                region: "eu-west-1".into(),
                kms_key_id: None,
                status: IN_SYNC.into(),
                message: SYNC_MESSAGE.into(),
            }],
        };
        assert_eq!(SecretMeta::parse(&m.render()).unwrap(), m);
        assert!(SecretMeta::parse("[").is_err());
    }
}
