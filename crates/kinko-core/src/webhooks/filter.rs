//! Which change records a subscription is sent: by source, operation and
//! name prefix, given as `key=value` items (`source=aws.ssm`,
//! `operation=PutParameter`, `name-prefix=/prod/`). Items with the same key
//! are alternatives; different keys must all match. No item: everything.

use kinko_store::{ChangeRecord, ChangeSource};
use serde::{Deserialize, Serialize};

use super::WebhookError;

/// Items one subscription may carry.
pub const MAX_FILTER_ITEMS: usize = 20;
const MAX_PREFIX_LEN: usize = 2048;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookFilter {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub operations: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub name_prefixes: Vec<String>,
}

impl WebhookFilter {
    pub fn parse(items: &[String]) -> Result<WebhookFilter, WebhookError> {
        if items.len() > MAX_FILTER_ITEMS {
            return Err(WebhookError::Validation(format!(
                "A webhook takes at most {MAX_FILTER_ITEMS} filters; {} were given.",
                items.len()
            )));
        }
        let mut filter = WebhookFilter::default();
        for item in items {
            let Some((key, value)) = item.split_once('=') else {
                return Err(WebhookError::Validation(format!(
                    "Filter '{}' is not KEY=VALUE (keys: source, operation, name-prefix).",
                    echo(item)
                )));
            };
            match key {
                "source" => {
                    if ChangeSource::parse(value).is_none() {
                        let known: Vec<&str> =
                            ChangeSource::ALL.iter().map(|s| s.as_str()).collect();
                        return Err(WebhookError::Validation(format!(
                            "Unknown source '{}'; sources are {}.",
                            echo(value),
                            known.join(", ")
                        )));
                    }
                    filter.sources.push(value.to_owned());
                }
                "operation" => {
                    let ok = (1..=64).contains(&value.len())
                        && value.chars().all(|c| c.is_ascii_alphanumeric());
                    if !ok {
                        return Err(WebhookError::Validation(format!(
                            "Operation '{}' is not an operation name (letters and digits, e.g. PutParameter).",
                            echo(value)
                        )));
                    }
                    filter.operations.push(value.to_owned());
                }
                "name-prefix" => {
                    if value.is_empty()
                        || value.len() > MAX_PREFIX_LEN
                        || value.chars().any(char::is_control)
                    {
                        return Err(WebhookError::Validation(format!(
                            "A name-prefix must have 1 to {MAX_PREFIX_LEN} characters and no control characters."
                        )));
                    }
                    filter.name_prefixes.push(value.to_owned());
                }
                other => {
                    return Err(WebhookError::Validation(format!(
                        "Unknown filter key '{}' (keys: source, operation, name-prefix).",
                        echo(other)
                    )));
                }
            }
        }
        Ok(filter)
    }

    pub fn matches(&self, record: &ChangeRecord) -> bool {
        let c = &record.change;
        (self.sources.is_empty() || self.sources.iter().any(|s| s == c.source.as_str()))
            && (self.operations.is_empty() || self.operations.contains(&c.operation))
            && (self.name_prefixes.is_empty()
                || self
                    .name_prefixes
                    .iter()
                    .any(|p| c.name.starts_with(p.as_str())))
    }

    /// The filter as the `key=value` items it was given as.
    pub fn items(&self) -> Vec<String> {
        let sources = self.sources.iter().map(|s| format!("source={s}"));
        let operations = self.operations.iter().map(|o| format!("operation={o}"));
        let prefixes = self
            .name_prefixes
            .iter()
            .map(|p| format!("name-prefix={p}"));
        sources.chain(operations).chain(prefixes).collect()
    }
}

/// What the caller wrote, bounded, for an error message.
fn echo(text: &str) -> String {
    text.chars().filter(|c| !c.is_control()).take(100).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use kinko_store::{Change, ChangeOrigin};

    fn record(source: ChangeSource, operation: &str, name: &str) -> ChangeRecord {
        let origin = ChangeOrigin {
            time_ms: 0,
            region: "us-east-1".into(),
            account: "000000000000".into(),
            actor: "arn:aws:iam::000000000000:root".into(),
        };
        ChangeRecord {
            seq: 1,
            change: Change::new(&origin, source, operation, String::new(), name),
        }
    }

    fn items(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn same_keys_are_alternatives_and_different_keys_all_apply() {
        let f = WebhookFilter::parse(&items(&[
            "source=aws.ssm",
            "source=aws.secretsmanager",
            "name-prefix=/prod/",
        ]))
        .unwrap();
        assert!(f.matches(&record(ChangeSource::Ssm, "PutParameter", "/prod/db")));
        assert!(f.matches(&record(
            ChangeSource::SecretsManager,
            "PutSecretValue",
            "/prod/x"
        )));
        assert!(!f.matches(&record(ChangeSource::Ssm, "PutParameter", "/dev/db")));
        assert!(!f.matches(&record(ChangeSource::Kms, "DisableKey", "/prod/k")));
        assert_eq!(
            f.items(),
            items(&[
                "source=aws.ssm",
                "source=aws.secretsmanager",
                "name-prefix=/prod/"
            ])
        );
        assert!(WebhookFilter::default().matches(&record(ChangeSource::Iam, "PutPolicy", "bob")));
    }

    #[test]
    fn bad_items_say_what_is_wrong() {
        for (item, needle) in [
            ("source", "not KEY=VALUE"),
            ("source=aws.s3", "Unknown source"),
            ("operation=Put Parameter", "not an operation name"),
            ("name-prefix=", "1 to 2048"),
            ("colour=red", "Unknown filter key"),
        ] {
            let e = WebhookFilter::parse(&items(&[item]))
                .unwrap_err()
                .to_string();
            assert!(e.contains(needle), "{item}: {e}");
        }
        let many: Vec<String> = (0..21).map(|i| format!("operation=Op{i}")).collect();
        assert!(WebhookFilter::parse(&many).is_err());
    }
}
