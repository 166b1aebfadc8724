//! A tag: on parameters, secrets, KMS keys and principals alike, and its
//! request shape on the wire.

/// One `Key`/`Value` pair. Its serde form (`{"key": …, "value": …}`) is how
/// the store keeps principal tags and how backups write tags; the AWS wire's
/// `{"Key", "Value"}` shapes are the wire layer's (and [`crate::admin`]'s).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

/// A tag as the AWS JSON APIs' requests send it (`{"Key", "Value"}`),
/// either member possibly missing: the handler refuses that with a message
/// that says so, rather than a decoding error.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TagShape {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

impl From<&Tag> for TagShape {
    fn from(tag: &Tag) -> Self {
        TagShape {
            key: Some(tag.key.clone()),
            value: Some(tag.value.clone()),
        }
    }
}
