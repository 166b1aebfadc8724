//! Secrets Manager, end to end: the official AWS SDK for Rust (plus boto3 and
//! the aws CLI) against a real `kinko server` process, asserted against
//! /work/shared/spec/secrets-manager.md (not against the server's code).
//!
//! Where the spec gives AWS's exact error text we assert it; where the text is
//! unconfirmed or only moto's, we assert the error code.

mod clients;
mod deletion;
mod list;
mod read;
mod replication;
mod resources;
mod versions;

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_secretsmanager::Client;
use aws_sdk_secretsmanager::operation::create_secret::CreateSecretOutput;
use aws_sdk_secretsmanager::types::{Filter, FilterNameStringType, Tag};

/// Creates a secret with a string value; panics with the SDK error if refused.
pub(crate) async fn create(client: &Client, name: &str, value: &str) -> CreateSecretOutput {
    client
        .create_secret()
        .name(name)
        .secret_string(value)
        .send()
        .await
        .unwrap_or_else(|e| panic!("create {name}: {e:?}"))
}

/// `PutSecretValue` with a string value (default stages); returns the version id.
pub(crate) async fn put(client: &Client, id: &str, value: &str) -> String {
    client
        .put_secret_value()
        .secret_id(id)
        .secret_string(value)
        .send()
        .await
        .unwrap_or_else(|e| panic!("put {id}: {e:?}"))
        .version_id()
        .expect("VersionId in PutSecretValue response")
        .to_owned()
}

/// The AWSCURRENT string value of a secret.
pub(crate) async fn current(client: &Client, id: &str) -> String {
    client
        .get_secret_value()
        .secret_id(id)
        .send()
        .await
        .unwrap_or_else(|e| panic!("get {id}: {e:?}"))
        .secret_string()
        .expect("SecretString")
        .to_owned()
}

/// `DescribeSecret`'s `VersionIdsToStages` as sorted sets (absent → empty).
pub(crate) async fn stages(client: &Client, id: &str) -> BTreeMap<String, BTreeSet<String>> {
    let described = client
        .describe_secret()
        .secret_id(id)
        .send()
        .await
        .unwrap_or_else(|e| panic!("describe {id}: {e:?}"));
    described
        .version_ids_to_stages()
        .map(|m| {
            m.iter()
                .map(|(id, labels)| (id.clone(), set(labels)))
                .collect()
        })
        .unwrap_or_default()
}

/// A `ClientRequestToken` of the valid length (36 chars), distinct per `n`.
pub(crate) fn token(n: u32) -> String {
    format!("00000000-0000-4000-8000-{n:012}")
}

pub(crate) fn tag(key: &str, value: &str) -> Tag {
    Tag::builder().key(key).value(value).build()
}

pub(crate) fn filter(key: FilterNameStringType, values: &[&str]) -> Filter {
    let mut builder = Filter::builder().key(key);
    for v in values {
        builder = builder.values(*v);
    }
    builder.build()
}

pub(crate) fn set<I, S>(items: I) -> BTreeSet<String>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    items.into_iter().map(|s| s.as_ref().to_owned()).collect()
}

/// `(version id, [labels])` pairs as a map, for comparing whole stage tables.
pub(crate) fn table(entries: &[(&str, &[&str])]) -> BTreeMap<String, BTreeSet<String>> {
    entries
        .iter()
        .map(|(id, labels)| ((*id).to_owned(), set(labels.iter())))
        .collect()
}

/// The account id inside an ARN (`arn:aws:secretsmanager:<region>:<account>:…`).
pub(crate) fn account_of(arn: &str) -> String {
    arn.split(':').nth(4).expect("account in ARN").to_owned()
}

/// The ARN without its `-XXXXXX` suffix (a "partial ARN").
pub(crate) fn partial_arn(arn: &str) -> String {
    arn[..arn.len() - 7].to_owned()
}

/// HTTP status of a failed call (to tell an AWS-shaped 4xx from a fault).
pub(crate) fn status<E>(
    err: &aws_sdk_secretsmanager::error::SdkError<
        E,
        aws_sdk_secretsmanager::config::http::HttpResponse,
    >,
) -> Option<u16> {
    err.raw_response().map(|r| r.status().as_u16())
}
