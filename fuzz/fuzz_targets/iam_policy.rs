//! The IAM policy language: a document parsed as an identity policy and as
//! a resource (or trust) policy (`Policy::parse_*`), then evaluated against
//! requests (`iam::evaluate`). Never panics, and a decision names a
//! statement exactly when one decided.
//!
//! Input: the policy JSON, then optionally a line `----` and the request,
//! one `field: value` per line:
//!
//! ```text
//! {"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"ssm:*","Resource":"*"}}
//! ----
//! action: ssm:GetParameter
//! resource: arn:aws:ssm:us-east-1:123456789012:parameter/app/db
//! tag: team=payments
//! ```
//!
//! Without an action or resource, the policy's own actions and resources
//! are tried (the fuzzer would seldom guess them), and each condition's
//! key is given its value in the context, so conditions can match too.
#![no_main]

use std::net::IpAddr;

use jiff::Timestamp;
use kinko_fuzz::mutator::{self, Rng};
use kinko_model::Tag;
use kinko_model::iam::{Context, Outcome, Policies, Policy, Request, StsRequest, decide, evaluate};
use serde_json::Value;

const SEPARATOR: &[u8] = b"\n----\n";
/// Evaluations per input, at most.
const MAX_REQUESTS: usize = 16;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let (policy, request) = split(data);
    let Ok(text) = std::str::from_utf8(policy) else {
        return;
    };
    let identity = Policy::parse_identity(text).ok();
    let resource = Policy::parse_resource(text).ok();
    if identity.is_none() && resource.is_none() {
        return;
    }
    let fields = Fields::parse(request);
    let document: Value = serde_json::from_str(text).unwrap_or(Value::Null);
    let mut actions = fields.get_all("action");
    let mut resources = fields.get_all("resource");
    if actions.is_empty() {
        actions = strings_under(&document, &["Action", "NotAction"]);
        actions.push("ssm:GetParameter".to_owned());
    }
    if resources.is_empty() {
        resources = strings_under(&document, &["Resource", "NotResource"]);
        resources.push("*".to_owned());
    }
    let mut extra: Vec<(String, String)> = condition_values(&document);
    for pair in fields.get_all("extra") {
        if let Some((k, v)) = pair.split_once('=') {
            extra.push((k.to_ascii_lowercase(), v.to_owned()));
        }
    }
    let tags = |name: &str| -> Vec<Tag> {
        fields
            .get_all(name)
            .iter()
            .filter_map(|t| t.split_once('='))
            .map(|(key, value)| Tag {
                key: key.to_owned(),
                value: value.to_owned(),
            })
            .collect()
    };
    let principal_tags = tags("tag");
    let resource_tags = tags("resource-tag");
    // An AssumeRole being decided: its trust policy's condition keys.
    let request_tags = tags("request-tag");
    let transitive_tag_keys = fields.get_all("transitive-tag-key");
    let sts = fields
        .get("session-name")
        .map(|role_session_name| StsRequest {
            role_session_name,
            external_id: fields.get("external-id"),
            source_identity: fields.get("source-identity"),
            request_tags: &request_tags,
            transitive_tag_keys: &transitive_tag_keys,
        });
    let principal_arn = fields
        .get("principal")
        .unwrap_or("arn:aws:iam::123456789012:user/alice");
    let caller_arn = fields.get("caller").unwrap_or(principal_arn);
    let current_time = fields
        .get("time")
        .and_then(|t| t.parse::<Timestamp>().ok())
        .unwrap_or(Timestamp::UNIX_EPOCH);
    let context = Context {
        account_id: fields.get("account").unwrap_or("123456789012"),
        principal_arn,
        caller_arn,
        username: fields.get("username"),
        principal_tags: &principal_tags,
        resource_tags: fields.get("resource-tag").map(|_| resource_tags.as_slice()),
        source_ip: fields.get("ip").and_then(|ip| ip.parse::<IpAddr>().ok()),
        current_time,
        secure_transport: fields.get("secure") == Some("true"),
        source_identity: fields.get("source-identity"),
        sts: sts.as_ref(),
        extra: &extra,
    };

    let mut evaluated = 0;
    for action in &actions {
        if let Some(policy) = &identity {
            let _ = policy.needs_resource_tags(action);
        }
        for resource_arn in &resources {
            if evaluated == MAX_REQUESTS {
                return;
            }
            evaluated += 1;
            let request = Request {
                action,
                resource: resource_arn,
                context: &context,
            };
            if let Some(policy) = &identity {
                let decision = evaluate(&[("fuzz", policy)], resource.as_ref(), &request);
                check(&decision, policy.statement_count(), resource.as_ref());
            }
            if let Some(policy) = &resource {
                let decision = evaluate(&[], Some(policy), &request);
                check(&decision, policy.statement_count(), Some(policy));
                // The same document as a role's trust policy: never a panic,
                // and it allows only by a statement it holds.
                let identity_refs: Vec<(&str, &Policy)> =
                    identity.iter().map(|p| ("fuzz", p)).collect();
                let trust = decide(&Policies::trust(&identity_refs, Some(policy)), &request);
                assert_eq!(
                    trust.outcome == Outcome::ImplicitDeny,
                    trust.statement.is_none()
                );
            }
        }
    }
});

libfuzzer_sys::fuzz_mutator!(|data: &mut [u8], size: usize, max_size: usize, seed: u32| {
    let mut rng = Rng::new(seed);
    if rng.chance(2) {
        let (policy, request) = split(&data[..size]);
        let words = words();
        if let Some(mut mutated) = mutator::mutate_json_text(policy, &mut rng, words) {
            if size > policy.len() {
                mutated.extend_from_slice(SEPARATOR);
                mutated.extend_from_slice(request);
            }
            if let Some(size) = mutator::store(data, max_size, &mutated) {
                return size;
            }
        }
    }
    libfuzzer_sys::fuzzer_mutate(data, size, max_size)
});

fn words() -> &'static [String] {
    static WORDS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    WORDS.get_or_init(|| kinko_fuzz::dictionary_words(include_str!("../dicts/iam.dict")))
}

/// A decision names a statement of the policies exactly when it is not
/// an implicit deny.
fn check(
    decision: &kinko_model::iam::Decision,
    identity_statements: usize,
    resource: Option<&Policy>,
) {
    match (&decision.outcome, &decision.statement) {
        (Outcome::ImplicitDeny, None) => {}
        (Outcome::ImplicitDeny, Some(s)) => panic!("an implicit deny names {s}"),
        (_, None) => panic!("{} names no statement", decision.outcome),
        (_, Some(s)) => {
            let count = if s.policy == kinko_model::iam::RESOURCE_POLICY_NAME {
                resource.map_or(0, Policy::statement_count)
            } else {
                identity_statements
            };
            assert!(s.index < count, "statement {} of {count}", s.index);
        }
    }
}

fn split(data: &[u8]) -> (&[u8], &[u8]) {
    match data.windows(SEPARATOR.len()).position(|w| w == SEPARATOR) {
        Some(at) => (&data[..at], &data[at + SEPARATOR.len()..]),
        None => (data, &[]),
    }
}

/// `field: value` lines.
struct Fields(Vec<(String, String)>);

impl Fields {
    fn parse(data: &[u8]) -> Fields {
        Fields(
            String::from_utf8_lossy(data)
                .lines()
                .filter_map(|line| line.split_once(": "))
                .map(|(k, v)| (k.trim().to_owned(), v.to_owned()))
                .collect(),
        )
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn get_all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }
}

/// The strings of every member named one of `names`, anywhere.
fn strings_under(value: &Value, names: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    fn strings(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::String(s) => out.push(s.clone()),
            Value::Array(items) => items.iter().for_each(|v| strings(v, out)),
            _ => {}
        }
    }
    fn walk(value: &Value, names: &[&str], out: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                for (key, member) in map {
                    if names.contains(&key.as_str()) {
                        strings(member, out);
                    } else {
                        walk(member, names, out);
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, names, out)),
            _ => {}
        }
    }
    walk(value, names, &mut out);
    out.truncate(4);
    out
}

/// (lower-case key, first value) of every condition in the document.
fn condition_values(document: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let statements = match &document["Statement"] {
        Value::Array(items) => items.iter().collect(),
        other => vec![other],
    };
    for statement in statements {
        let Value::Object(operators) = &statement["Condition"] else {
            continue;
        };
        for keys in operators.values() {
            let Value::Object(keys) = keys else {
                continue;
            };
            for (key, values) in keys {
                let value = match values {
                    Value::Array(items) => items.first().cloned().unwrap_or(Value::Null),
                    other => other.clone(),
                };
                let value = match value {
                    Value::String(s) => s,
                    Value::Null => continue,
                    other => other.to_string(),
                };
                out.push((key.to_ascii_lowercase(), value));
            }
        }
    }
    out
}
