//! The audit record: one per request, allowed or denied, and its JSON shape.
//!
//! A record names who asked for what and what was decided; it never holds a
//! parameter or secret value nor a secret access key, only names, ARNs and
//! ids, so the log can be shipped and read by people who may not see values.
//! The hash chain over stored records lives in `kinko_core::audit`.

use serde::{Deserialize, Serialize};

/// The outcome of an authorization decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Allow,
    Deny,
}

/// One authorization decision inside a request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceDecision {
    pub action: String,
    pub resource: String,
    pub decision: Verdict,
    /// The statement that decided (`policy#Sid` or `policy#index`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statement: Option<String>,
    /// Why it was decided without a statement, e.g. a stored policy that
    /// does not parse (which denies). Absent in the ordinary case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// One request, as the audit log keeps it. Never a value or a secret key:
/// only names, ARNs, ids.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditRecord {
    /// Milliseconds since the Unix epoch; on the wire `"time"`, RFC 3339
    /// UTC with milliseconds.
    #[serde(rename = "time", with = "rfc3339_ms")]
    pub time_ms: i64,
    pub request_id: String,
    /// The caller's ARN; `None` when authentication failed before one was known.
    pub principal: Option<String>,
    pub access_key_id: Option<String>,
    pub source_ip: Option<String>,
    /// `service:Operation` (`ssm:GetParameter`), or the raw target when unknown.
    pub operation: String,
    pub resources: Vec<ResourceDecision>,
    pub decision: Verdict,
    /// What decided a deny, or the last allow.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statement: Option<String>,
    pub error_code: Option<String>,
    pub status: u16,
    pub latency_ms: f64,
    /// Only on the summary a server writes when its audit log can be
    /// written again after it could not (see [`AuditRecord::outage_summary`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outage: Option<Outage>,
}

/// A time the audit log could not be written. The server refused every
/// request meanwhile (none could have been recorded), so none of them is
/// in the log; this says how many there were and from when to when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Outage {
    /// When the first append failed.
    #[serde(rename = "since", with = "rfc3339_ms")]
    pub since_ms: i64,
    /// When an append succeeded again.
    #[serde(rename = "until", with = "rfc3339_ms")]
    pub until_ms: i64,
    /// Requests answered `503 ServiceUnavailable` in between.
    pub refused_requests: u64,
}

/// The operation of an outage summary.
pub const OUTAGE_OPERATION: &str = "kinko:AuditLogUnavailable";

impl AuditRecord {
    /// The record that closes an [`Outage`]: a denial (the requests were
    /// refused) with status 503 and no principal, at the outage's end.
    pub fn outage_summary(outage: Outage, request_id: String) -> AuditRecord {
        AuditRecord {
            time_ms: outage.until_ms,
            request_id,
            principal: None,
            access_key_id: None,
            source_ip: None,
            operation: OUTAGE_OPERATION.to_owned(),
            resources: Vec::new(),
            decision: Verdict::Deny,
            statement: None,
            error_code: Some("ServiceUnavailable".to_owned()),
            status: 503,
            latency_ms: 0.0,
            outage: Some(outage),
        }
    }

    /// The JSON text the store keeps (and the chain hashes).
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string(self)
    }
}

/// `"2024-05-01T12:00:00.123Z"` <-> milliseconds since the epoch.
mod rfc3339_ms {
    use serde::{Deserialize, Deserializer, Serializer, de, ser};

    pub fn serialize<S: Serializer>(ms: &i64, serializer: S) -> Result<S::Ok, S::Error> {
        let ts = jiff::Timestamp::from_millisecond(*ms)
            .map_err(|_| ser::Error::custom("audit time out of range"))?;
        // Display with precision: RFC 3339 with milliseconds, without the
        // strftime interpreter (it showed in a GetParameter profile).
        serializer.collect_str(&format_args!("{ts:.3}"))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
        let text = String::deserialize(deserializer)?;
        let ts: jiff::Timestamp = text
            .parse()
            .map_err(|_| de::Error::custom("audit time is not an RFC 3339 timestamp"))?;
        Ok(ts.as_millisecond())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample() -> AuditRecord {
        AuditRecord {
            time_ms: 1_714_564_800_123,
            request_id: "req-1".into(),
            principal: Some("arn:aws:iam::123456789012:user/alice".into()),
            access_key_id: Some("AKIAEXAMPLE".into()),
            source_ip: Some("127.0.0.1".into()),
            operation: "ssm:GetParameter".into(),
            resources: vec![ResourceDecision {
                action: "ssm:GetParameter".into(),
                resource: "arn:aws:ssm:us-east-1:123456789012:parameter/app/x".into(),
                decision: Verdict::Allow,
                statement: Some("dev#0".into()),
                reason: None,
            }],
            decision: Verdict::Allow,
            statement: None,
            error_code: None,
            status: 200,
            latency_ms: 1.5,
            outage: None,
        }
    }

    #[test]
    fn serializes_to_the_documented_shape() {
        let value = serde_json::to_value(sample()).unwrap();
        assert_eq!(value["time"], "2024-05-01T12:00:00.123Z");
        assert_eq!(value["requestId"], "req-1");
        assert_eq!(value["accessKeyId"], "AKIAEXAMPLE");
        assert_eq!(value["sourceIp"], "127.0.0.1");
        assert_eq!(value["decision"], "allow");
        assert_eq!(value["resources"][0]["decision"], "allow");
        assert_eq!(value["resources"][0]["statement"], "dev#0");
        assert_eq!(value["errorCode"], serde_json::Value::Null);
        assert_eq!(value["latencyMs"], 1.5);
        assert_eq!(value["status"], 200);
        // Absent optional statements are left out, absent ids are null.
        assert!(value.get("statement").is_none());
        assert!(value.get("timeMs").is_none());
        // Only an outage summary has an outage: every other record's JSON
        // (and so its hash) is as before outages existed.
        assert!(value.get("outage").is_none());
    }

    #[test]
    fn an_outage_summary_says_how_many_were_refused_from_when_to_when() {
        let outage = Outage {
            since_ms: 1_714_564_800_000,
            until_ms: 1_714_564_861_500,
            refused_requests: 1234,
        };
        let record = AuditRecord::outage_summary(outage.clone(), "req-9".into());
        let value = serde_json::to_value(&record).unwrap();
        assert_eq!(value["operation"], "kinko:AuditLogUnavailable");
        assert_eq!(value["time"], "2024-05-01T12:01:01.500Z");
        assert_eq!(value["decision"], "deny");
        assert_eq!(value["status"], 503);
        assert_eq!(value["errorCode"], "ServiceUnavailable");
        assert_eq!(
            value["outage"],
            serde_json::json!({
                "since": "2024-05-01T12:00:00.000Z",
                "until": "2024-05-01T12:01:01.500Z",
                "refusedRequests": 1234,
            })
        );
        let back: AuditRecord = serde_json::from_str(&record.to_json().unwrap()).unwrap();
        assert_eq!(back.outage, Some(outage));
    }

    #[test]
    fn round_trips_through_json() {
        let mut record = sample();
        record.principal = None;
        record.decision = Verdict::Deny;
        record.statement = Some("ops#DenyAll".into());
        record.error_code = Some("AccessDeniedException".into());
        let text = record.to_json().unwrap();
        let back: AuditRecord = serde_json::from_str(&text).unwrap();
        assert_eq!(back, record);
    }

    #[test]
    fn whole_seconds_keep_three_digits() {
        let mut record = sample();
        record.time_ms = 0;
        let value = serde_json::to_value(record).unwrap();
        assert_eq!(value["time"], "1970-01-01T00:00:00.000Z");
    }

    #[test]
    fn bad_time_is_rejected() {
        let mut value = serde_json::to_value(sample()).unwrap();
        value["time"] = "yesterday".into();
        assert!(serde_json::from_value::<AuditRecord>(value).is_err());
        let mut record = sample();
        record.time_ms = i64::MAX;
        assert!(record.to_json().is_err());
    }
}
