//! Terraform's AWS provider, replayed with the Rust SDK: the provider cannot
//! be downloaded here (its registry is unreachable), so these tests make the
//! calls terraform-provider-aws makes at configure time and in the create /
//! read / update / delete of `aws_kms_key`, `aws_kms_alias`,
//! `aws_ssm_parameter` and `aws_secretsmanager_secret` (+ `_version`,
//! `_policy`), with the same arguments, and check the answers its code and
//! its "propagation" waiters compare (README, "Terraform's AWS provider").

use aws_sdk_kms::types::{KeyState, OriginType, Tag as KmsTag};
use aws_sdk_secretsmanager::types::Tag as SecretTag;
use aws_sdk_ssm::types::{ParameterStringFilter, ParameterType, ResourceTypeForTagging, Tag};
use serde_json::{Value, json};

use crate::support::{self, code};

const ACCOUNT: &str = "000000000000";

fn key_policy(sid: &str) -> String {
    json!({
        "Version": "2012-10-17",
        "Id": "terraform",
        "Statement": [{
            "Sid": sid,
            "Effect": "Allow",
            "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:root")},
            "Action": "kms:*",
            "Resource": "*"
        }]
    })
    .to_string()
}

/// The provider compares policies as equivalent JSON, not as text.
fn same_policy(got: &str, want: &str) -> bool {
    serde_json::from_str::<Value>(got).unwrap() == serde_json::from_str::<Value>(want).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn terraform_calls_answer_as_the_provider_expects() {
    let server = support::in_process().await;

    // Provider configure: credential check and account id in one call.
    let me = server.sts().get_caller_identity().send().await.unwrap();
    assert_eq!(me.account(), Some(ACCOUNT));
    assert!(
        me.arn()
            .unwrap()
            .starts_with(&format!("arn:aws:iam::{ACCOUNT}:"))
    );

    // aws_kms_key create: CreateKey with policy and tags, then rotation.
    let kms = server.kms();
    let policy = key_policy("root");
    let created = kms
        .create_key()
        .description("terraform staging key")
        .policy(&policy)
        .tags(
            KmsTag::builder()
                .tag_key("env")
                .tag_value("staging")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let key_id = created.key_metadata().unwrap().key_id().to_owned();
    kms.enable_key_rotation()
        .key_id(&key_id)
        .rotation_period_in_days(180)
        .send()
        .await
        .unwrap();

    // The waiters and the read: what they compare must match at once.
    let read = |kms: aws_sdk_kms::Client, key_id: String| async move {
        let meta = kms.describe_key().key_id(&key_id).send().await.unwrap();
        let meta = meta.key_metadata().unwrap().clone();
        let policy = kms
            .get_key_policy()
            .key_id(&key_id)
            .policy_name("default")
            .send()
            .await
            .unwrap()
            .policy()
            .unwrap()
            .to_owned();
        let rotation = kms
            .get_key_rotation_status()
            .key_id(&key_id)
            .send()
            .await
            .unwrap();
        let tags = kms
            .list_resource_tags()
            .key_id(&key_id)
            .send()
            .await
            .unwrap()
            .tags()
            .iter()
            .map(|t| (t.tag_key().to_owned(), t.tag_value().to_owned()))
            .collect::<Vec<_>>();
        (meta, policy, rotation, tags)
    };
    let (meta, got_policy, rotation, tags) = read(kms.clone(), key_id.clone()).await;
    assert_eq!(meta.description(), Some("terraform staging key"));
    assert_eq!(meta.key_state(), Some(&KeyState::Enabled));
    assert_eq!(meta.origin(), Some(&OriginType::AwsKms));
    assert!(same_policy(&got_policy, &policy), "{got_policy}");
    assert!(rotation.key_rotation_enabled());
    assert_eq!(rotation.rotation_period_in_days(), Some(180));
    assert_eq!(tags, vec![("env".to_owned(), "staging".to_owned())]);

    // aws_kms_key update: description, policy, tags, rotation, enabled.
    kms.update_key_description()
        .key_id(&key_id)
        .description("renamed")
        .send()
        .await
        .unwrap();
    let policy2 = key_policy("root-v2");
    kms.put_key_policy()
        .key_id(&key_id)
        .policy_name("default")
        .policy(&policy2)
        .bypass_policy_lockout_safety_check(false)
        .send()
        .await
        .unwrap();
    kms.tag_resource()
        .key_id(&key_id)
        .tags(
            KmsTag::builder()
                .tag_key("team")
                .tag_value("pay")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    kms.untag_resource()
        .key_id(&key_id)
        .tag_keys("env")
        .send()
        .await
        .unwrap();
    kms.disable_key_rotation()
        .key_id(&key_id)
        .send()
        .await
        .unwrap();
    kms.disable_key().key_id(&key_id).send().await.unwrap();
    let (meta, got_policy, rotation, tags) = read(kms.clone(), key_id.clone()).await;
    assert_eq!(meta.description(), Some("renamed"));
    assert_eq!(meta.key_state(), Some(&KeyState::Disabled));
    assert!(same_policy(&got_policy, &policy2), "{got_policy}");
    assert!(!rotation.key_rotation_enabled());
    assert_eq!(tags, vec![("team".to_owned(), "pay".to_owned())]);
    kms.enable_key().key_id(&key_id).send().await.unwrap();

    // aws_kms_alias: CreateAlias, found by name in ListAliases, UpdateAlias,
    // DeleteAlias.
    let other = kms.create_key().send().await.unwrap();
    let other_id = other.key_metadata().unwrap().key_id().to_owned();
    kms.create_alias()
        .alias_name("alias/terraform-staging")
        .target_key_id(&key_id)
        .send()
        .await
        .unwrap();
    let target = |kms: aws_sdk_kms::Client| async move {
        let mut pages = kms.list_aliases().into_paginator().send();
        while let Some(page) = pages.next().await {
            for alias in page.unwrap().aliases() {
                if alias.alias_name() == Some("alias/terraform-staging") {
                    return alias.target_key_id().map(str::to_owned);
                }
            }
        }
        None
    };
    assert_eq!(target(kms.clone()).await.as_deref(), Some(key_id.as_str()));
    kms.update_alias()
        .alias_name("alias/terraform-staging")
        .target_key_id(&other_id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        target(kms.clone()).await.as_deref(),
        Some(other_id.as_str())
    );
    kms.delete_alias()
        .alias_name("alias/terraform-staging")
        .send()
        .await
        .unwrap();
    assert_eq!(target(kms.clone()).await, None);

    // aws_kms_key delete: ScheduleKeyDeletion, then DescribeKey until
    // PendingDeletion (the provider's "deleted").
    kms.schedule_key_deletion()
        .key_id(&key_id)
        .pending_window_in_days(7)
        .send()
        .await
        .unwrap();
    let meta = kms.describe_key().key_id(&key_id).send().await.unwrap();
    assert_eq!(
        meta.key_metadata().unwrap().key_state(),
        Some(&KeyState::PendingDeletion)
    );
    // A second delete (e.g. after a failed apply) is "pending deletion".
    let again = kms
        .schedule_key_deletion()
        .key_id(&key_id)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&again), "KMSInvalidStateException");
    assert!(
        aws_sdk_kms::error::ProvideErrorMetadata::message(&again)
            .unwrap_or_default()
            .contains("is pending deletion"),
        "{again:?}"
    );
}

/// The provider sends `AllowedPattern` on every PutParameter, `""` when the
/// resource sets none (`aws.String(d.Get("allowed_pattern").(string))` in
/// `internal/service/ssm/parameter.go`); AWS takes `""` as no pattern, or no
/// `aws_ssm_parameter` without one could be created. So does kinko.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn terraform_sends_an_empty_allowed_pattern() {
    let server = support::in_process().await;
    let ssm = server.ssm();
    let name = "/serverless-practice/staging/db/user";
    for (value, overwrite) in [("tf-user-1", false), ("tf-user-2", true)] {
        ssm.put_parameter()
            .name(name)
            .r#type(ParameterType::String)
            .value(value)
            .allowed_pattern("")
            .overwrite(overwrite)
            .send()
            .await
            .unwrap_or_else(|e| panic!("PutParameter with AllowedPattern \"\": {e:?}"));
    }
    let got = ssm.get_parameter().name(name).send().await.unwrap();
    assert_eq!(got.parameter().unwrap().value(), Some("tf-user-2"));
}

/// `aws_ssm_parameter` without `AllowedPattern` (see the test above).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn terraform_ssm_parameter_lifecycle() {
    let server = support::in_process().await;
    let ssm = server.ssm();
    let name = "/serverless-practice/staging/db/password";

    // create: not `overwrite`, so the tags ride on PutParameter.
    ssm.put_parameter()
        .name(name)
        .r#type(ParameterType::SecureString)
        .value("tf-pw-1")
        .overwrite(false)
        .tags(Tag::builder().key("env").value("staging").build().unwrap())
        .send()
        .await
        .unwrap();

    // read: GetParameter (decrypted), DescribeParameters by exact name, tags.
    let read = |ssm: aws_sdk_ssm::Client| async move {
        let got = ssm
            .get_parameter()
            .name(name)
            .with_decryption(true)
            .send()
            .await
            .unwrap();
        let got = got.parameter().unwrap().clone();
        let described = ssm
            .describe_parameters()
            .parameter_filters(
                ParameterStringFilter::builder()
                    .key("Name")
                    .option("Equals")
                    .values(name)
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
        let tags = ssm
            .list_tags_for_resource()
            .resource_type(ResourceTypeForTagging::Parameter)
            .resource_id(name)
            .send()
            .await
            .unwrap()
            .tag_list()
            .iter()
            .map(|t| (t.key().to_owned(), t.value().to_owned()))
            .collect::<Vec<_>>();
        (got, described.parameters().to_vec(), tags)
    };
    let (got, described, tags) = read(ssm.clone()).await;
    assert_eq!(got.value(), Some("tf-pw-1"));
    assert_eq!(got.version(), 1);
    // The provider takes exactly one match (AssertSingleValueResult).
    assert_eq!(described.len(), 1, "{described:?}");
    assert_eq!(described[0].name(), Some(name));
    assert_eq!(described[0].key_id(), Some("alias/aws/ssm"));
    assert_eq!(described[0].data_type(), Some("text"));
    assert_eq!(tags, vec![("env".to_owned(), "staging".to_owned())]);

    // update: PutParameter with Overwrite (no tags), tags apart.
    ssm.put_parameter()
        .name(name)
        .r#type(ParameterType::SecureString)
        .value("tf-pw-2")
        .overwrite(true)
        .send()
        .await
        .unwrap();
    ssm.add_tags_to_resource()
        .resource_type(ResourceTypeForTagging::Parameter)
        .resource_id(name)
        .tags(Tag::builder().key("team").value("pay").build().unwrap())
        .send()
        .await
        .unwrap();
    ssm.remove_tags_from_resource()
        .resource_type(ResourceTypeForTagging::Parameter)
        .resource_id(name)
        .tag_keys("env")
        .send()
        .await
        .unwrap();
    let (got, _, tags) = read(ssm.clone()).await;
    assert_eq!(got.value(), Some("tf-pw-2"));
    assert_eq!(got.version(), 2);
    assert_eq!(tags, vec![("team".to_owned(), "pay".to_owned())]);

    // delete, and a second delete: ParameterNotFound, which the provider
    // takes as already deleted.
    ssm.delete_parameter().name(name).send().await.unwrap();
    let again = ssm.delete_parameter().name(name).send().await.unwrap_err();
    assert_eq!(code(&again), "ParameterNotFound");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn terraform_secret_version_and_policy_lifecycle() {
    let server = support::in_process().await;
    let sm = server.secrets();
    let name = "serverless-practice/staging/api";

    // aws_secretsmanager_secret create (its own ClientRequestToken), then
    // DescribeSecret until found.
    let created = sm
        .create_secret()
        .name(name)
        .description("")
        .client_request_token("terraform-20261203000000000000000001")
        .force_overwrite_replica_secret(false)
        .tags(SecretTag::builder().key("env").value("staging").build())
        .send()
        .await
        .unwrap();
    let arn = created.arn().unwrap().to_owned();
    let described = sm.describe_secret().secret_id(&arn).send().await.unwrap();
    assert_eq!(described.name(), Some(name));
    assert!(described.deleted_date().is_none());
    assert_eq!(described.tags().len(), 1);

    // aws_secretsmanager_secret_policy: put, read back equivalent, delete.
    let policy = json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:root")},
            "Action": "secretsmanager:GetSecretValue",
            "Resource": "*"
        }]
    })
    .to_string();
    sm.put_resource_policy()
        .secret_id(&arn)
        .resource_policy(&policy)
        .block_public_policy(true)
        .send()
        .await
        .unwrap();
    let got = sm
        .get_resource_policy()
        .secret_id(&arn)
        .send()
        .await
        .unwrap();
    assert!(same_policy(got.resource_policy().unwrap(), &policy));

    // aws_secretsmanager_secret_version: PutSecretValue, read by VersionId.
    let put = sm
        .put_secret_value()
        .secret_id(&arn)
        .secret_string(r#"{"API_KEY":"tf-key-1"}"#)
        .send()
        .await
        .unwrap();
    let v1 = put.version_id().unwrap().to_owned();
    let got = sm
        .get_secret_value()
        .secret_id(&arn)
        .version_id(&v1)
        .send()
        .await
        .unwrap();
    assert_eq!(got.secret_string(), Some(r#"{"API_KEY":"tf-key-1"}"#));
    assert_eq!(got.version_stages(), ["AWSCURRENT"]);

    // A second version staged only as "next"; moving AWSCURRENT to it the
    // way the provider does: find the current one in ListSecretVersionIds.
    let put = sm
        .put_secret_value()
        .secret_id(&arn)
        .secret_string(r#"{"API_KEY":"tf-key-2"}"#)
        .version_stages("next")
        .send()
        .await
        .unwrap();
    let v2 = put.version_id().unwrap().to_owned();
    let versions = sm
        .list_secret_version_ids()
        .secret_id(&arn)
        .send()
        .await
        .unwrap();
    let current = versions
        .versions()
        .iter()
        .find(|v| v.version_stages().iter().any(|s| s == "AWSCURRENT"))
        .and_then(|v| v.version_id())
        .unwrap()
        .to_owned();
    assert_eq!(current, v1);
    sm.update_secret_version_stage()
        .secret_id(&arn)
        .version_stage("AWSCURRENT")
        .move_to_version_id(&v2)
        .remove_from_version_id(&current)
        .send()
        .await
        .unwrap();
    let got = sm.get_secret_value().secret_id(&arn).send().await.unwrap();
    assert_eq!(got.version_id(), Some(v2.as_str()));
    // Deleting the version resource takes its other stages off.
    sm.update_secret_version_stage()
        .secret_id(&arn)
        .version_stage("next")
        .remove_from_version_id(&v2)
        .send()
        .await
        .unwrap();
    let got = sm
        .get_secret_value()
        .secret_id(&arn)
        .version_id(&v2)
        .send()
        .await
        .unwrap();
    assert_eq!(got.version_stages(), ["AWSCURRENT"]);

    // Policy delete, then the secret's, with no recovery window (0 days).
    sm.delete_resource_policy()
        .secret_id(&arn)
        .send()
        .await
        .unwrap();
    let got = sm
        .get_resource_policy()
        .secret_id(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(got.resource_policy(), None);
    sm.delete_secret()
        .secret_id(&arn)
        .force_delete_without_recovery(true)
        .send()
        .await
        .unwrap();
    let gone = sm
        .describe_secret()
        .secret_id(&arn)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&gone), "ResourceNotFoundException");
}
