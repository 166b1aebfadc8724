//! `SourceResult`: what AWS's Parameter Store puts beside a secret read
//! through `/aws/reference/secretsmanager/…`.
//!
//! AWS returns the secret's GetSecretValue result there, serialized as a
//! JSON *string* — and not in Secrets Manager's own wire form: the keys are
//! lower camel case except `ARN`, and `createdDate` is a US-English text
//! date, e.g. `{"ARN":"…","name":"db","versionId":"…","secretString":"…",
//! "versionStages":["AWSCURRENT"],"createdDate":"Nov 10, 2020, 10:05:44 PM"}`
//! (real output quoted in localstack/localstack#3496; the older user-guide
//! example with PascalCase keys and an epoch date is not what AWS sends).
//! kinko writes the keys in that order and the date in UTC.
//!
//! A binary secret: AWS's text is unknown to us. kinko sends
//! `"secretBinary":"<base64>"` in place of `secretString` (the same base64
//! as the parameter's `Value`), the plain rendering of GetSecretValue's
//! own `SecretBinary`.

use base64::Engine;
use kinko_core::secrets::{SecretValue, SecretValueOutput};
use kinko_crypto::SecretString;
use serde::{Serialize, Serializer};

use crate::wire::Exposed;

/// The date format of `createdDate` (Java's default US format).
const CREATED_DATE: &str = "%b %-d, %Y, %-I:%M:%S %p";

#[derive(Serialize)]
struct SourceResultJson<'a> {
    #[serde(rename = "ARN")]
    arn: &'a str,
    name: &'a str,
    #[serde(rename = "versionId")]
    version_id: &'a str,
    #[serde(rename = "secretString", skip_serializing_if = "Option::is_none")]
    secret_string: Option<Exposed<'a>>,
    #[serde(rename = "secretBinary", skip_serializing_if = "Option::is_none")]
    secret_binary: Option<Exposed<'a>>,
    #[serde(rename = "versionStages")]
    version_stages: &'a [String],
    #[serde(rename = "createdDate")]
    created_date: String,
}

/// The `SourceResult` string, held zeroizing: it carries the secret.
pub struct SourceResult(SecretString);

impl SourceResult {
    pub fn new(out: &SecretValueOutput) -> Self {
        let binary = match &out.value {
            SecretValue::Text(_) => None,
            SecretValue::Binary(b) => Some(SecretString::new(
                base64::engine::general_purpose::STANDARD.encode(b.expose()),
            )),
        };
        let json = SourceResultJson {
            arn: &out.arn,
            name: &out.name,
            version_id: &out.version_id,
            secret_string: match &out.value {
                SecretValue::Text(s) => Some(Exposed(s)),
                SecretValue::Binary(_) => None,
            },
            secret_binary: binary.as_ref().map(Exposed),
            version_stages: &out.version_stages,
            created_date: created_date(out.created_ms),
        };
        // Serializing strings and a list of strings cannot fail.
        SourceResult(SecretString::new(
            serde_json::to_string(&json).unwrap_or_default(),
        ))
    }
}

impl Serialize for SourceResult {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0.expose())
    }
}

/// `Nov 10, 2020, 10:05:44 PM`, in UTC.
fn created_date(ms: i64) -> String {
    match jiff::Timestamp::from_millisecond(ms) {
        Ok(t) => t
            .to_zoned(jiff::tz::TimeZone::UTC)
            .strftime(CREATED_DATE)
            .to_string(),
        Err(_) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use kinko_crypto::SecretBytes;

    use super::*;

    fn output(value: SecretValue, created_ms: i64) -> SecretValueOutput {
        SecretValueOutput {
            arn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf".into(),
            name: "db".into(),
            version_id: "7a872371-ff6c-4e6f-b966-747d235b660f".into(),
            value,
            version_stages: vec!["AWSCURRENT".into()],
            created_ms,
            kms_key_arn: None,
        }
    }

    fn text(r: &SourceResult) -> &str {
        r.0.expose()
    }

    #[test]
    fn a_string_secret_in_aws_key_order_and_date_format() {
        // 2020-11-10T22:05:44.123Z
        let out = output(
            SecretValue::Text(SecretString::from("{\"password\": \"pw\"}")),
            1_605_045_944_123,
        );
        assert_eq!(
            text(&SourceResult::new(&out)),
            r#"{"ARN":"arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf","name":"db","versionId":"7a872371-ff6c-4e6f-b966-747d235b660f","secretString":"{\"password\": \"pw\"}","versionStages":["AWSCURRENT"],"createdDate":"Nov 10, 2020, 10:05:44 PM"}"#
        );
    }

    #[test]
    fn dates_have_no_padding_and_use_a_twelve_hour_clock() {
        // 2018-06-19T14:11:59Z, then 2021-01-05T00:03:09Z (midnight is 12 AM).
        assert_eq!(created_date(1_529_417_519_000), "Jun 19, 2018, 2:11:59 PM");
        assert_eq!(created_date(1_609_804_989_000), "Jan 5, 2021, 12:03:09 AM");
    }

    #[test]
    fn a_binary_secret_carries_base64_in_secret_binary() {
        let out = output(
            SecretValue::Binary(SecretBytes::new(vec![0, 0xff, 0x80])),
            0,
        );
        let json: serde_json::Value = serde_json::from_str(text(&SourceResult::new(&out))).unwrap();
        assert_eq!(json["secretBinary"], "AP+A");
        assert!(json.get("secretString").is_none(), "{json}");
        assert_eq!(json["createdDate"], "Jan 1, 1970, 12:00:00 AM");
    }

    #[test]
    fn serializes_as_a_json_string() {
        let out = output(SecretValue::Text(SecretString::from("v")), 0);
        let outer = serde_json::to_value(SourceResult::new(&out)).unwrap();
        assert!(outer.is_string(), "{outer}");
    }
}
