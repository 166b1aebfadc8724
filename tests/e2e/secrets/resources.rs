//! Tags, random passwords, resource policies, rotation without a rotator,
//! BatchGetSecretValue.

use aws_sdk_secretsmanager::types::FilterNameStringType as Key;

use super::{account_of, create, current, filter, set, stages, status, tag};
use crate::support::{self, code, message};

fn tag_pairs(tags: &[aws_sdk_secretsmanager::types::Tag]) -> Vec<(String, String)> {
    tags.iter()
        .map(|t| {
            (
                t.key().unwrap_or_default().to_owned(),
                t.value().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tag_and_untag_resource() {
    let server = support::in_process().await;
    let sm = server.secrets();
    sm.create_secret()
        .name("tagged")
        .secret_string("v")
        .tags(tag("a", "1"))
        .send()
        .await
        .unwrap();

    // Merge: existing keys get the new value, order kept, keys case-sensitive.
    sm.tag_resource()
        .secret_id("tagged")
        .tags(tag("b", "2"))
        .tags(tag("a", "one"))
        .tags(tag("A", "upper"))
        .send()
        .await
        .unwrap();
    let described = sm
        .describe_secret()
        .secret_id("tagged")
        .send()
        .await
        .unwrap();
    assert_eq!(
        tag_pairs(described.tags()),
        pairs(&[("a", "one"), ("b", "2"), ("A", "upper")])
    );

    // Missing keys are ignored.
    sm.untag_resource()
        .secret_id("tagged")
        .tag_keys("a")
        .tag_keys("missing")
        .send()
        .await
        .unwrap();
    let described = sm
        .describe_secret()
        .secret_id("tagged")
        .send()
        .await
        .unwrap();
    assert_eq!(
        tag_pairs(described.tags()),
        pairs(&[("b", "2"), ("A", "upper")])
    );
    sm.untag_resource()
        .secret_id("tagged")
        .tag_keys("b")
        .tag_keys("A")
        .send()
        .await
        .unwrap();
    let described = sm
        .describe_secret()
        .secret_id("tagged")
        .send()
        .await
        .unwrap();
    assert!(described.tags().is_empty());

    // Unknown secret.
    let err = sm
        .tag_resource()
        .secret_id("nope")
        .tags(tag("k", "v"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ResourceNotFoundException");
    // The `aws:` prefix is reserved.
    let err = sm
        .tag_resource()
        .secret_id("tagged")
        .tags(tag("aws:owner", "me"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidParameterException");
    // The value is untouched by tagging.
    assert_eq!(current(&sm, "tagged").await, "v");
}

const PUNCTUATION: &str = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_random_password_options_and_errors() {
    let server = support::in_process().await;
    let sm = server.secrets();
    let password =
        |out: aws_sdk_secretsmanager::operation::get_random_password::GetRandomPasswordOutput| {
            out.random_password().expect("RandomPassword").to_owned()
        };

    // Default: 32 chars with every class (RequireEachIncludedType defaults true).
    let a = password(sm.get_random_password().send().await.unwrap());
    assert_eq!(a.chars().count(), 32, "{}", a.len());
    assert!(a.chars().any(|c| c.is_ascii_uppercase()));
    assert!(a.chars().any(|c| c.is_ascii_lowercase()));
    assert!(a.chars().any(|c| c.is_ascii_digit()));
    assert!(a.chars().any(|c| PUNCTUATION.contains(c)));
    assert!(!a.contains(' '));
    let b = password(sm.get_random_password().send().await.unwrap());
    assert_ne!(a, b, "two passwords are not the same");

    let p = password(
        sm.get_random_password()
            .password_length(200)
            .exclude_punctuation(true)
            .exclude_characters("abcABC123")
            .send()
            .await
            .unwrap(),
    );
    assert_eq!(p.len(), 200);
    assert!(p.chars().all(|c| c.is_ascii_alphanumeric()), "{p}");
    assert!(!p.chars().any(|c| "abcABC123".contains(c)), "{p}");

    let p = password(
        sm.get_random_password()
            .password_length(50)
            .exclude_numbers(true)
            .exclude_uppercase(true)
            .exclude_lowercase(true)
            .send()
            .await
            .unwrap(),
    );
    assert_eq!(p.len(), 50);
    assert!(p.chars().all(|c| PUNCTUATION.contains(c)), "{p}");

    // Space included: with RequireEachIncludedType every class shows up, even
    // in the shortest password that can hold them all (5 classes).
    let p = password(
        sm.get_random_password()
            .password_length(5)
            .include_space(true)
            .send()
            .await
            .unwrap(),
    );
    assert_eq!(p.len(), 5);
    assert!(p.contains(' '), "{p:?}");
    assert!(p.chars().any(|c| c.is_ascii_uppercase()), "{p:?}");
    assert!(p.chars().any(|c| c.is_ascii_lowercase()), "{p:?}");
    assert!(p.chars().any(|c| c.is_ascii_digit()), "{p:?}");
    assert!(p.chars().any(|c| PUNCTUATION.contains(c)), "{p:?}");

    // Only digits, without the requirement.
    let p = password(
        sm.get_random_password()
            .password_length(64)
            .exclude_punctuation(true)
            .exclude_uppercase(true)
            .exclude_lowercase(true)
            .require_each_included_type(false)
            .send()
            .await
            .unwrap(),
    );
    assert!(
        p.len() == 64 && p.chars().all(|c| c.is_ascii_digit()),
        "{p}"
    );

    // Too short for the required classes (4 by default).
    let err = sm
        .get_random_password()
        .password_length(3)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidParameterException");
    assert_eq!(
        message(&err),
        "Password length is too short based on the required types."
    );
    // Nothing left to choose from.
    let err = sm
        .get_random_password()
        .exclude_numbers(true)
        .exclude_punctuation(true)
        .exclude_uppercase(true)
        .exclude_lowercase(true)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidParameterException");
    // Length out of 1–4096.
    for length in [0, 4097] {
        let err = sm
            .get_random_password()
            .password_length(length)
            .send()
            .await
            .unwrap_err();
        let c = code(&err);
        assert!(
            c == "ValidationException" || c == "InvalidParameterException",
            "length {length}: {c}"
        );
    }
    let p = password(
        sm.get_random_password()
            .password_length(4096)
            .send()
            .await
            .unwrap(),
    );
    assert_eq!(p.len(), 4096);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resource_policy_put_get_delete_validate() {
    let server = support::in_process().await;
    let sm = server.secrets();
    let arn = create(&sm, "guarded", "v").await.arn().unwrap().to_owned();
    let account = account_of(&arn);

    let got = sm
        .get_resource_policy()
        .secret_id("guarded")
        .send()
        .await
        .unwrap();
    assert_eq!(got.resource_policy(), None);
    assert_eq!(got.arn(), Some(arn.as_str()));

    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{account}:root"}},"Action":"secretsmanager:GetSecretValue","Resource":"*"}}]}}"#
    );
    let validated = sm
        .validate_resource_policy()
        .secret_id("guarded")
        .resource_policy(&policy)
        .send()
        .await
        .unwrap();
    assert!(validated.policy_validation_passed());

    let put = sm
        .put_resource_policy()
        .secret_id("guarded")
        .resource_policy(&policy)
        .block_public_policy(true)
        .send()
        .await
        .unwrap();
    assert_eq!(put.name(), Some("guarded"));
    let got = sm
        .get_resource_policy()
        .secret_id("guarded")
        .send()
        .await
        .unwrap();
    let stored = got.resource_policy().expect("ResourcePolicy after put");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(stored).unwrap(),
        serde_json::from_str::<serde_json::Value>(&policy).unwrap()
    );

    // Not a policy.
    let err = sm
        .put_resource_policy()
        .secret_id("guarded")
        .resource_policy("this is not json")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "MalformedPolicyDocumentException");
    // Public, with BlockPublicPolicy.
    for principal in [r#""*""#, r#"{"AWS":"*"}"#] {
        let public = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{principal},"Action":"secretsmanager:GetSecretValue","Resource":"*"}}]}}"#
        );
        let err = sm
            .put_resource_policy()
            .secret_id("guarded")
            .resource_policy(&public)
            .block_public_policy(true)
            .send()
            .await
            .unwrap_err();
        assert_eq!(code(&err), "PublicPolicyException", "{principal}");
    }
    // The refused puts left the stored policy alone.
    let got = sm
        .get_resource_policy()
        .secret_id("guarded")
        .send()
        .await
        .unwrap();
    assert_eq!(got.resource_policy(), Some(stored));

    let deleted = sm
        .delete_resource_policy()
        .secret_id("guarded")
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.arn(), Some(arn.as_str()));
    let got = sm
        .get_resource_policy()
        .secret_id("guarded")
        .send()
        .await
        .unwrap();
    assert_eq!(got.resource_policy(), None);
    // Deleting when there is none succeeds.
    sm.delete_resource_policy()
        .secret_id("guarded")
        .send()
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotate_secret_without_a_rotator_is_an_aws_error() {
    let server = support::in_process().await;
    let sm = server.secrets();
    let v1 = create(&sm, "rotating", "v1")
        .await
        .version_id()
        .unwrap()
        .to_owned();
    let before = stages(&sm, "rotating").await;

    let err = sm
        .rotate_secret()
        .secret_id("rotating")
        .send()
        .await
        .unwrap_err();
    assert_eq!(status(&err), Some(400), "{err:?}");
    assert_eq!(code(&err), "InvalidRequestException");
    assert_eq!(
        message(&err),
        "You tried to enable rotation on a secret that doesn't already have a Lambda function ARN configured and you didn't include such an ARN as a parameter in this call."
    );
    assert_eq!(stages(&sm, "rotating").await, before);
    assert_eq!(current(&sm, "rotating").await, "v1");
    assert_eq!(before.len(), 1);
    assert!(before.contains_key(&v1));

    let err = sm
        .rotate_secret()
        .secret_id("nope")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ResourceNotFoundException");

    // CancelRotateSecret on a secret never set up for rotation: the same
    // documented cause.
    let err = sm
        .cancel_rotate_secret()
        .secret_id("rotating")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidRequestException");
    assert!(
        message(&err).starts_with("You tried to enable rotation"),
        "{err:?}"
    );
    // With a RotationLambdaARN: refused, saying why, nothing changed.
    let err = sm
        .rotate_secret()
        .secret_id("rotating")
        .rotation_lambda_arn("arn:aws:lambda:us-east-1:123456789012:function:rotate")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidRequestException");
    assert!(message(&err).contains("RotationLambdaARN"), "{err:?}");
    assert_eq!(stages(&sm, "rotating").await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_get_secret_value_by_ids_and_filters() {
    let server = support::in_process().await;
    let sm = server.secrets();
    for (name, value) in [("batch/a", "A"), ("batch/b", "B"), ("other/c", "C")] {
        create(&sm, name, value).await;
    }
    create(&sm, "batch/deleted", "D").await;
    sm.delete_secret()
        .secret_id("batch/deleted")
        .recovery_window_in_days(7)
        .send()
        .await
        .unwrap();

    let out = sm
        .batch_get_secret_value()
        .secret_id_list("batch/a")
        .secret_id_list("other/c")
        .secret_id_list("missing")
        .secret_id_list("batch/deleted")
        .send()
        .await
        .unwrap();
    let values: std::collections::BTreeMap<String, String> = out
        .secret_values()
        .iter()
        .map(|v| {
            assert_eq!(v.version_stages(), ["AWSCURRENT"]);
            assert!(v.arn().is_some() && v.version_id().is_some());
            (
                v.name().unwrap().to_owned(),
                v.secret_string().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        values,
        [("batch/a", "A"), ("other/c", "C")]
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    );
    let errors: std::collections::BTreeMap<String, String> = out
        .errors()
        .iter()
        .map(|e| {
            (
                e.secret_id().unwrap().to_owned(),
                e.error_code().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        errors.get("missing").map(String::as_str),
        Some("ResourceNotFoundException")
    );
    assert_eq!(
        errors.get("batch/deleted").map(String::as_str),
        Some("InvalidRequestException")
    );
    assert_eq!(errors.len(), 2, "{errors:?}");

    // With filters: ListSecrets semantics (planned deletions hidden).
    let out = sm
        .batch_get_secret_value()
        .filters(filter(Key::Name, &["batch/"]))
        .send()
        .await
        .unwrap();
    assert_eq!(
        set(out
            .secret_values()
            .iter()
            .map(|v| v.secret_string().unwrap())),
        set(["A", "B"])
    );
    assert!(out.errors().is_empty());

    // Both, neither, MaxResults without filters.
    let err = sm
        .batch_get_secret_value()
        .secret_id_list("batch/a")
        .filters(filter(Key::Name, &["batch/"]))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidParameterException");
    let err = sm.batch_get_secret_value().send().await.unwrap_err();
    assert_eq!(code(&err), "InvalidParameterException");
    let err = sm
        .batch_get_secret_value()
        .secret_id_list("batch/a")
        .max_results(5)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidParameterException");
}
