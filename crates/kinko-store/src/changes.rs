//! The change feed: one record per mutation, appended in the mutation's own
//! transaction, so a write is acknowledged only with its record and a record
//! exists only for a write that committed (even across `kill -9`).
//!
//! A record says *what* changed, never *to what*: no value, no key material.
//! Sequence numbers grow in commit order on both backends (SQLite has one
//! writer; PostgreSQL appenders queue on the one-row `change_head`, which
//! each takes as the last step before its commit), so a reader that follows
//! `seq > after` never skips a record that commits late.

use async_trait::async_trait;

use crate::StoreError;

/// Where a change happened, as EventBridge names event sources.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum ChangeSource {
    #[serde(rename = "aws.ssm")]
    Ssm,
    #[serde(rename = "aws.secretsmanager")]
    SecretsManager,
    #[serde(rename = "aws.kms")]
    Kms,
    /// Principals, policies, access keys and identity providers: kinko's
    /// own administration, not an AWS service's events.
    #[serde(rename = "kinko.iam")]
    Iam,
}

impl ChangeSource {
    pub const ALL: [ChangeSource; 4] = [
        ChangeSource::Ssm,
        ChangeSource::SecretsManager,
        ChangeSource::Kms,
        ChangeSource::Iam,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ChangeSource::Ssm => "aws.ssm",
            ChangeSource::SecretsManager => "aws.secretsmanager",
            ChangeSource::Kms => "aws.kms",
            ChangeSource::Iam => "kinko.iam",
        }
    }

    pub fn parse(text: &str) -> Option<ChangeSource> {
        ChangeSource::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// [`ChangeSource::parse`] of a stored row; anything else is a corrupt row.
    pub(crate) fn from_stored(seq: i64, text: &str) -> Result<ChangeSource, StoreError> {
        ChangeSource::parse(text)
            .ok_or_else(|| StoreError::Backend(format!("change {seq} has unknown source {text:?}")))
    }
}

impl std::fmt::Display for ChangeSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One mutation as the feed records it, before the store numbers it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Change {
    /// Milliseconds since the Unix epoch (the writer's clock).
    pub time_ms: i64,
    /// The region of the resource; empty for IAM, which is global.
    pub region: String,
    pub account: String,
    pub source: ChangeSource,
    /// The API operation that made the change (`PutParameter`,
    /// `UpdateSecretVersionStage`, `DisableKey`, `CreateAccessKey`), or the
    /// scheduler job's name for changes no caller asked for
    /// (`ExpireParameter`, `PurgeSecret`, `RotateKeyOnSchedule`).
    pub operation: String,
    /// ARN of the resource that changed.
    pub resource: String,
    /// The resource's name as its API spells it: parameter or secret name,
    /// KMS key id, principal name.
    pub name: String,
    /// The version written or labelled (a parameter's number, a secret's
    /// version id), when there is one.
    pub version: Option<String>,
    /// ARN of the principal that made the change; for the scheduler, the
    /// server's own `arn:aws:iam::ACCOUNT:root`.
    pub actor: String,
    /// What the events built from this record need beyond the fields above,
    /// as a JSON object, e.g. `{"event":"Create","type":"String"}` for a
    /// parameter or `{"stages":["AWSCURRENT"]}` for a stage move. Never a
    /// value, never key material.
    pub detail: serde_json::Map<String, serde_json::Value>,
}

/// Who made a change, where and when: the same for every change that one
/// request (or one scheduler run) makes, so callers build it once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeOrigin {
    /// Milliseconds since the Unix epoch (the writer's clock).
    pub time_ms: i64,
    /// The region of the request; empty for IAM, which is global.
    pub region: String,
    pub account: String,
    /// ARN of the principal (or the server's own root, for the scheduler).
    pub actor: String,
}

impl Change {
    /// A change with an empty detail; add facts with [`Change::with`].
    pub fn new(
        origin: &ChangeOrigin,
        source: ChangeSource,
        operation: &str,
        resource: String,
        name: &str,
    ) -> Change {
        Change {
            time_ms: origin.time_ms,
            region: origin.region.clone(),
            account: origin.account.clone(),
            source,
            operation: operation.to_owned(),
            resource,
            name: name.to_owned(),
            version: None,
            actor: origin.actor.clone(),
            detail: serde_json::Map::new(),
        }
    }

    pub fn with_version(mut self, version: impl ToString) -> Change {
        self.version = Some(version.to_string());
        self
    }

    /// Adds one fact to `detail` (skipped when `value` is JSON null).
    pub fn with(mut self, key: &str, value: impl Into<serde_json::Value>) -> Change {
        let value = value.into();
        if !value.is_null() {
            self.detail.insert(key.to_owned(), value);
        }
        self
    }

    /// `detail` as the JSON text the store keeps.
    pub(crate) fn detail_text(&self) -> String {
        serde_json::Value::Object(self.detail.clone()).to_string()
    }

    /// Reads [`Change::detail_text`]'s form back; a corrupt row is reported.
    pub(crate) fn detail_from_text(
        seq: i64,
        text: &str,
    ) -> Result<serde_json::Map<String, serde_json::Value>, StoreError> {
        match serde_json::from_str(text) {
            Ok(serde_json::Value::Object(map)) => Ok(map),
            _ => Err(StoreError::Backend(format!(
                "change {seq} has a detail that is not a JSON object"
            ))),
        }
    }
}

/// Whether a mutation's outcome means it wrote (and so appends its change).
pub(crate) trait Wrote {
    fn wrote(&self) -> bool;
}

impl Wrote for () {
    fn wrote(&self) -> bool {
        true
    }
}

/// A delete's "was there one".
impl Wrote for bool {
    fn wrote(&self) -> bool {
        *self
    }
}

/// A change as the feed holds it: numbered in commit order.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ChangeRecord {
    pub seq: i64,
    #[serde(flatten)]
    pub change: Change,
}

/// What a reader needs to know to resume: records up to `trimmed_through`
/// are gone (retention), `head` is the latest number given out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ChangeBounds {
    pub trimmed_through: i64,
    pub head: i64,
}

impl ChangeBounds {
    /// Whether a reader that has seen everything up to `after` can resume
    /// from the feed: nothing it has not seen was trimmed, and the feed is
    /// the one it read (a restored or new store starts again below `after`).
    pub fn can_resume_from(&self, after: i64) -> bool {
        after >= self.trimmed_through && after <= self.head
    }
}

/// Change-feed rows. Appends happen inside the mutations of the other
/// areas; these are the reads, the trim, and appends that belong to no
/// other write (a parameter policy's notification).
#[async_trait]
pub trait ChangeRows: Send + Sync {
    /// Records numbered above `after`, oldest first, at most `limit`.
    async fn read_changes(&self, after: i64, limit: usize)
    -> Result<Vec<ChangeRecord>, StoreError>;

    async fn change_bounds(&self) -> Result<ChangeBounds, StoreError>;

    /// Deletes records written before `before_ms`, returns how many.
    async fn trim_changes(&self, before_ms: i64) -> Result<u64, StoreError>;

    /// Appends `changes` in one transaction, returns their numbers.
    async fn append_changes(&self, changes: &[Change]) -> Result<Vec<i64>, StoreError>;
}
