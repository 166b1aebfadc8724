//! The EventBridge-shaped events a change record is delivered as, in the
//! shapes AWS documents (../shared/spec/events-and-webhooks.md):
//!
//! - Parameter Store: `Parameter Store Change` (`detail.operation` Create,
//!   Update, Delete, LabelParameterVersion) and `Parameter Store Policy
//!   Action`; its other changes (unlabel, tags) as `AWS API Call via
//!   CloudTrail`;
//! - Secrets Manager: `Secret Label Updated` for each label moved to a new
//!   version (AWSCURRENT and custom labels; never AWSPENDING or
//!   AWSPREVIOUS, as AWS), and `AWS API Call via CloudTrail` for every
//!   change; scheduled ones (purge, rotation) as `AWS Service Event via
//!   CloudTrail`;
//! - KMS: the CloudTrail shapes, with `eventSource` `kms.amazonaws.com`;
//! - kinko's IAM (`kinko.iam`): `Kinko IAM Change`, kinko's own shape.
//!
//! An event's `id` is derived from the record (sequence number, resource,
//! time) and the event's place among the record's events, so every retry
//! and every redelivery after a restart carries the same `id` (and
//! `webhook-id`): receivers deduplicate on it. No event carries a value.

use aws_lc_rs::digest;
use kinko_store::{ChangeRecord, ChangeSource};
use serde::Serialize;
use serde_json::{Map, Value, json};

/// One event ready to deliver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub id: String,
    pub detail_type: String,
    /// The JSON body, exactly as sent and signed.
    pub body: Vec<u8>,
}

/// The envelope, in the key order of AWS's examples.
#[derive(Serialize)]
struct Envelope<'a> {
    version: &'static str,
    id: &'a str,
    #[serde(rename = "detail-type")]
    detail_type: &'a str,
    source: &'a str,
    account: &'a str,
    time: String,
    region: &'a str,
    resources: Vec<&'a str>,
    detail: Detail<'a>,
}

/// A detail in its documented key order (a `Value` would sort the keys).
#[derive(Serialize)]
#[serde(untagged)]
enum Detail<'a> {
    Change(ParameterChange<'a>),
    Policy(PolicyAction<'a>),
    Label(LabelUpdated<'a>),
    Json(Value),
}

#[derive(Serialize)]
struct ParameterChange<'a> {
    operation: &'a str,
    name: &'a str,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    parameter_type: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    /// kinko's additions (consumers ignore unknown keys): the labels a
    /// LabelParameterVersion attached and the version they landed on.
    #[serde(skip_serializing_if = "Option::is_none")]
    labels: Option<&'a Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<&'a str>,
}

/// The detail of `Parameter Store Policy Action`: `name` as AWS's rule
/// pattern matches, `parameter-name` as its sample event carries (both).
#[derive(Serialize)]
struct PolicyAction<'a> {
    #[serde(rename = "policy-type")]
    policy_type: &'a str,
    #[serde(rename = "parameter-name")]
    parameter_name: &'a str,
    name: &'a str,
    #[serde(rename = "parameter-type", skip_serializing_if = "Option::is_none")]
    parameter_type: Option<&'a str>,
    #[serde(rename = "policy-content", skip_serializing_if = "Option::is_none")]
    policy_content: Option<&'a str>,
    #[serde(rename = "action-status")]
    action_status: &'a str,
    #[serde(rename = "action-reason", skip_serializing_if = "Option::is_none")]
    action_reason: Option<&'a str>,
}

#[derive(Serialize)]
struct LabelUpdated<'a> {
    name: &'a str,
    #[serde(rename = "labelUpdated")]
    label_updated: &'a str,
    #[serde(rename = "versionId")]
    version_id: &'a str,
}

/// Operations the scheduler runs, not a caller: CloudTrail service events.
const SERVICE_OPERATIONS: [&str; 3] = ["PurgeSecret", "RotateKeyOnSchedule", "ExpireParameter"];

/// The events a record is delivered as, in order (usually one).
pub fn events_of(record: &ChangeRecord) -> Vec<Event> {
    let c = &record.change;
    let mut shapes: Vec<(&str, Vec<&str>, Detail)> = Vec::new();
    match c.source {
        ChangeSource::Ssm => {
            let text = |key: &str| c.detail.get(key).and_then(Value::as_str);
            if let Some(policy_type) = text("policyType") {
                let detail = PolicyAction {
                    policy_type,
                    parameter_name: &c.name,
                    name: &c.name,
                    parameter_type: text("type"),
                    policy_content: text("policyContent"),
                    action_status: text("actionStatus").unwrap_or("Success"),
                    action_reason: text("actionReason"),
                };
                shapes.push((
                    "Parameter Store Policy Action",
                    vec![&c.resource],
                    Detail::Policy(detail),
                ));
            }
            // An expiration is also the deletion it did.
            if let Some(operation) = text("event") {
                let detail = ParameterChange {
                    operation,
                    name: &c.name,
                    parameter_type: text("type"),
                    description: text("description"),
                    labels: c.detail.get("labels"),
                    version: (operation == "LabelParameterVersion")
                        .then_some(c.version.as_deref())
                        .flatten(),
                };
                shapes.push((
                    "Parameter Store Change",
                    vec![&c.resource],
                    Detail::Change(detail),
                ));
            } else if shapes.is_empty() {
                shapes.push(cloudtrail(
                    record,
                    "ssm.amazonaws.com",
                    json!({"name": c.name}),
                ));
            }
        }
        ChangeSource::SecretsManager => {
            shapes.push(cloudtrail(
                record,
                "secretsmanager.amazonaws.com",
                json!({"secretId": c.name}),
            ));
            for moved in c
                .detail
                .get("labelsMoved")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let label = moved.get("label").and_then(Value::as_str).unwrap_or("");
                let version_id = moved.get("versionId").and_then(Value::as_str).unwrap_or("");
                if label.is_empty() || label == "AWSPENDING" || label == "AWSPREVIOUS" {
                    continue;
                }
                let detail = LabelUpdated {
                    name: &c.name,
                    label_updated: label,
                    version_id,
                };
                shapes.push((
                    "Secret Label Updated",
                    vec![&c.resource],
                    Detail::Label(detail),
                ));
            }
        }
        ChangeSource::Kms => {
            shapes.push(cloudtrail(
                record,
                "kms.amazonaws.com",
                json!({"keyId": c.name}),
            ));
        }
        ChangeSource::Iam => {
            let detail = json!({
                "operation": c.operation,
                "name": c.name,
                "arn": c.resource,
                "actor": c.actor,
                "additionalEventData": Value::Object(c.detail.clone()),
            });
            shapes.push(("Kinko IAM Change", vec![&c.resource], Detail::Json(detail)));
        }
    }
    shapes
        .into_iter()
        .enumerate()
        .map(|(part, (detail_type, resources, detail))| {
            let id = event_id(record, part);
            let envelope = Envelope {
                version: "0",
                id: &id,
                detail_type,
                source: c.source.as_str(),
                account: &c.account,
                time: seconds(c.time_ms),
                region: &c.region,
                resources,
                detail: with_event_id(detail, &id),
            };
            let body = serde_json::to_vec(&envelope).unwrap_or_default();
            Event {
                id,
                detail_type: detail_type.to_owned(),
                body,
            }
        })
        .collect()
}

/// `AWS API Call via CloudTrail` (or `AWS Service Event via CloudTrail`
/// for the scheduler's changes): the CloudTrail record's fields that a
/// change record knows; `eventID` is filled in with the event's id.
fn cloudtrail<'a>(
    record: &'a ChangeRecord,
    event_source: &str,
    request_parameters: Value,
) -> (&'a str, Vec<&'a str>, Detail<'a>) {
    let c = &record.change;
    let service_event = SERVICE_OPERATIONS.contains(&c.operation.as_str());
    let identity = if service_event {
        json!({"accountId": c.account, "invokedBy": event_source})
    } else {
        json!({
            "type": identity_type(&c.actor),
            "arn": c.actor,
            "accountId": c.account,
        })
    };
    let mut response = Map::new();
    if c.source == ChangeSource::SecretsManager {
        response.insert("arn".to_owned(), Value::String(c.resource.clone()));
        if let Some(version) = &c.version {
            response.insert("versionId".to_owned(), Value::String(version.clone()));
        }
    }
    let detail = json!({
        "eventVersion": "1.09",
        "userIdentity": identity,
        "eventTime": seconds(c.time_ms),
        "eventSource": event_source,
        "eventName": c.operation,
        "awsRegion": c.region,
        "requestParameters": request_parameters,
        "responseElements": if response.is_empty() { Value::Null } else { Value::Object(response) },
        "additionalEventData": Value::Object(c.detail.clone()),
        "readOnly": false,
        "eventType": if service_event { "AwsServiceEvent" } else { "AwsApiCall" },
        "managementEvent": true,
        "recipientAccountId": c.account,
        "eventCategory": "Management",
    });
    let detail_type = if service_event {
        "AWS Service Event via CloudTrail"
    } else {
        "AWS API Call via CloudTrail"
    };
    (detail_type, Vec::new(), Detail::Json(detail))
}

/// CloudTrail's `userIdentity.type` for an actor ARN.
fn identity_type(arn: &str) -> &'static str {
    if arn.ends_with(":root") {
        "Root"
    } else if arn.contains(":assumed-role/") {
        "AssumedRole"
    } else if arn.contains(":federated-user/") {
        "FederatedUser"
    } else {
        "IAMUser"
    }
}

/// A CloudTrail detail carries the event's id as `eventID`.
fn with_event_id<'a>(mut detail: Detail<'a>, id: &str) -> Detail<'a> {
    if let Detail::Json(Value::Object(map)) = &mut detail
        && map.contains_key("eventVersion")
    {
        map.insert("eventID".to_owned(), Value::String(id.to_owned()));
    }
    detail
}

/// RFC 3339 UTC at second precision, as EventBridge writes `time`.
fn seconds(time_ms: i64) -> String {
    jiff::Timestamp::from_second(time_ms.div_euclid(1000))
        .map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

/// A UUID-shaped id, the same for every delivery of this event.
fn event_id(record: &ChangeRecord, part: usize) -> String {
    let mut ctx = digest::Context::new(&digest::SHA256);
    ctx.update(b"kinko-event\0");
    ctx.update(&record.seq.to_be_bytes());
    ctx.update(&record.change.time_ms.to_be_bytes());
    ctx.update(record.change.resource.as_bytes());
    ctx.update(&(part as u64).to_be_bytes());
    let d = ctx.finish();
    let mut b = [0u8; 16];
    b.copy_from_slice(&d.as_ref()[..16]);
    // RFC 9562 version 8 (custom), variant 10.
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use kinko_store::{Change, ChangeOrigin};

    fn record(source: ChangeSource, operation: &str, name: &str, resource: &str) -> ChangeRecord {
        let origin = ChangeOrigin {
            time_ms: 1_495_471_428_123,
            region: "us-east-2".into(),
            account: "123456789012".into(),
            actor: "arn:aws:iam::123456789012:user/alice".into(),
        };
        ChangeRecord {
            seq: 7,
            change: Change::new(&origin, source, operation, resource.into(), name),
        }
    }

    fn json_of(e: &Event) -> Value {
        serde_json::from_slice(&e.body).unwrap()
    }

    #[test]
    fn a_parameter_put_is_aws_s_parameter_store_change() {
        let mut r = record(
            ChangeSource::Ssm,
            "PutParameter",
            "MyExampleParameter",
            "arn:aws:ssm:us-east-2:123456789012:parameter/MyExampleParameter",
        );
        r.change = r
            .change
            .with_version(1)
            .with("event", "Create")
            .with("type", "String")
            .with("description", "Sample Parameter")
            .with("tier", "Standard");
        let events = events_of(&r);
        assert_eq!(events.len(), 1);
        let body = String::from_utf8(events[0].body.clone()).unwrap();
        let id = &events[0].id;
        // AWS's documented example, key for key and in its order.
        assert_eq!(
            body,
            format!(
                r#"{{"version":"0","id":"{id}","detail-type":"Parameter Store Change","source":"aws.ssm","account":"123456789012","time":"2017-05-22T16:43:48Z","region":"us-east-2","resources":["arn:aws:ssm:us-east-2:123456789012:parameter/MyExampleParameter"],"detail":{{"operation":"Create","name":"MyExampleParameter","type":"String","description":"Sample Parameter"}}}}"#
            )
        );
        assert_eq!(id.len(), 36);
        assert_eq!(events_of(&r)[0].id, *id, "the same id on every delivery");
    }

    #[test]
    fn a_policy_action_carries_both_name_keys() {
        let mut r = record(
            ChangeSource::Ssm,
            "PolicyAction",
            "foo",
            "arn:aws:ssm:us-east-2:123456789012:parameter/foo",
        );
        r.change = r
            .change
            .with("policyType", "NoChangeNotification")
            .with("type", "String")
            .with("policyContent", r#"{"Type":"NoChangeNotification"}"#)
            .with("actionStatus", "Success")
            .with(
                "actionReason",
                "The parameter has not been changed for 2 hours.",
            );
        let e = &events_of(&r)[0];
        assert_eq!(e.detail_type, "Parameter Store Policy Action");
        let detail = &json_of(e)["detail"];
        assert_eq!(detail["policy-type"], "NoChangeNotification");
        assert_eq!(detail["parameter-name"], "foo");
        assert_eq!(detail["name"], "foo");
        assert_eq!(detail["parameter-type"], "String");
        assert_eq!(detail["action-status"], "Success");
        assert_eq!(events_of(&r).len(), 1, "a notification deletes nothing");
    }

    #[test]
    fn an_expiration_is_a_policy_action_then_a_delete() {
        let mut r = record(
            ChangeSource::Ssm,
            "ExpireParameter",
            "foo",
            "arn:aws:ssm:us-east-2:123456789012:parameter/foo",
        );
        r.change = r
            .change
            .with("policyType", "Expiration")
            .with("event", "Delete")
            .with("type", "String");
        let events = events_of(&r);
        let kinds: Vec<&str> = events.iter().map(|e| e.detail_type.as_str()).collect();
        assert_eq!(
            kinds,
            ["Parameter Store Policy Action", "Parameter Store Change"]
        );
        assert_eq!(json_of(&events[1])["detail"]["operation"], "Delete");
        assert_ne!(events[0].id, events[1].id);
    }

    #[test]
    fn a_secret_value_put_is_a_cloudtrail_call_and_one_label_event_per_visible_label() {
        let arn = "arn:aws:secretsmanager:us-east-2:123456789012:secret:prod/db-AbCdEf";
        let mut r = record(
            ChangeSource::SecretsManager,
            "PutSecretValue",
            "prod/db",
            arn,
        );
        r.change = r.change.with_version("v2").with(
            "labelsMoved",
            json!([
                {"label": "AWSCURRENT", "versionId": "v2"},
                {"label": "AWSPREVIOUS", "versionId": "v1"},
                {"label": "blue", "versionId": "v2"},
            ]),
        );
        let events = events_of(&r);
        let types: Vec<&str> = events.iter().map(|e| e.detail_type.as_str()).collect();
        assert_eq!(
            types,
            [
                "AWS API Call via CloudTrail",
                "Secret Label Updated",
                "Secret Label Updated"
            ]
        );
        let call = json_of(&events[0]);
        assert_eq!(call["detail"]["eventName"], "PutSecretValue");
        assert_eq!(
            call["detail"]["eventSource"],
            "secretsmanager.amazonaws.com"
        );
        assert_eq!(call["detail"]["requestParameters"]["secretId"], "prod/db");
        assert_eq!(call["detail"]["responseElements"]["arn"], arn);
        assert_eq!(call["detail"]["userIdentity"]["type"], "IAMUser");
        assert_eq!(call["detail"]["eventID"], events[0].id.as_str());
        assert_eq!(call["resources"], json!([]));
        let label = json_of(&events[1]);
        assert_eq!(
            label["detail"],
            json!({"name": "prod/db", "labelUpdated": "AWSCURRENT", "versionId": "v2"})
        );
        assert_eq!(label["resources"], json!([arn]));
        let ids: std::collections::HashSet<&str> = events.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids.len(), 3, "each event its own id");
    }

    #[test]
    fn a_scheduled_purge_is_a_service_event() {
        let mut r = record(
            ChangeSource::SecretsManager,
            "PurgeSecret",
            "old",
            "arn:aws:secretsmanager:us-east-2:123456789012:secret:old-AbCdEf",
        );
        r.change.actor = "arn:aws:iam::123456789012:root".into();
        let e = &events_of(&r)[0];
        assert_eq!(e.detail_type, "AWS Service Event via CloudTrail");
        assert_eq!(json_of(e)["detail"]["eventType"], "AwsServiceEvent");
    }
}
