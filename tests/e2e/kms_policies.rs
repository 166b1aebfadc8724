//! KMS key policies and grants as AWS enforces them within one account
//! (shared/spec/kms-subset.md §9–§10), through the SDK for Rust with
//! several principals: a key policy that does not delegate to the account
//! makes IAM alone grant nothing; a Deny anywhere wins; PutKeyPolicy keeps
//! the caller from locking itself out; grants allow what they name, under
//! their constraints, until retired or revoked. And every documented error
//! of the new operations.

use aws_sdk_kms::Client;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{GrantConstraints, GrantOperation};
use kinko_testkit::TestCredentials;
use serde_json::{Value, json};

use crate::support::{self, InProcessServer, code, message};

const REGION: &str = "us-east-1";

/// A user with no identity policy at all.
async fn bare_user(server: &InProcessServer, name: &str) -> TestCredentials {
    server.admin("CreatePrincipal", json!({"Name": name})).await;
    let key = server
        .admin("CreateAccessKey", json!({"Principal": name}))
        .await;
    TestCredentials::from_json(&key["AccessKey"])
}

/// A user whose identity policy allows `kms:*` (and `ssm:*`) on everything.
async fn kms_admin_user(server: &InProcessServer, name: &str) -> TestCredentials {
    server
        .user_with_policy(
            name,
            &json!({"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Action": ["kms:*", "ssm:*"], "Resource": "*"
            }]}),
        )
        .await
}

async fn account(kms: &Client) -> String {
    let key = kms
        .describe_key()
        .key_id("alias/aws/ssm")
        .send()
        .await
        .unwrap();
    key.key_metadata()
        .unwrap()
        .aws_account_id()
        .unwrap()
        .to_owned()
}

fn user_arn(account: &str, name: &str) -> String {
    format!("arn:aws:iam::{account}:user/{name}")
}

fn policy(statements: Vec<Value>) -> String {
    json!({"Version": "2012-10-17", "Statement": statements}).to_string()
}

fn allow(principal: &str) -> Value {
    json!({"Sid": "Owner", "Effect": "Allow", "Principal": {"AWS": principal},
           "Action": "kms:*", "Resource": "*"})
}

/// A key whose policy names only `owner` (created by the admin, who must
/// bypass the lockout check to do it).
async fn key_of(kms: &Client, owner: &str) -> String {
    kms.create_key()
        .policy(policy(vec![allow(owner)]))
        .bypass_policy_lockout_safety_check(true)
        .send()
        .await
        .unwrap()
        .key_metadata()
        .unwrap()
        .key_id()
        .to_owned()
}

async fn encrypt(kms: &Client, key: &str, context: &[(&str, &str)]) -> Result<Blob, String> {
    let mut req = kms
        .encrypt()
        .key_id(key)
        .plaintext(Blob::new(b"canary-5521"));
    for (k, v) in context {
        req = req.encryption_context(*k, *v);
    }
    req.send()
        .await
        .map(|out| out.ciphertext_blob().unwrap().clone())
        .map_err(|e| format!("{}: {}", code(&e), message(&e)))
}

async fn decrypt(kms: &Client, blob: &Blob, context: &[(&str, &str)]) -> Result<(), String> {
    let mut req = kms.decrypt().ciphertext_blob(blob.clone());
    for (k, v) in context {
        req = req.encryption_context(*k, *v);
    }
    req.send()
        .await
        .map(|out| assert_eq!(out.plaintext().unwrap().as_ref(), b"canary-5521"))
        .map_err(|e| format!("{}: {}", code(&e), message(&e)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_policy_naming_one_principal_shuts_out_the_rest() {
    let server = support::in_process().await;
    let admin = server.kms();
    let account = account(&admin).await;
    let alice = bare_user(&server, "alice").await;
    let bob = kms_admin_user(&server, "bob").await;
    let (alice_kms, bob_kms) = (server.kms_as(&alice), server.kms_as(&bob));
    let alice_arn = user_arn(&account, "alice");

    let key = key_of(&admin, &alice_arn).await;
    let key_arn = format!("arn:aws:kms:{REGION}:{account}:key/{key}");

    // Bob's identity policy allows kms:* on *, but the key policy does not
    // delegate to the account: IAM alone grants nothing.
    let denied = encrypt(&bob_kms, &key, &[]).await.unwrap_err();
    assert_eq!(
        denied,
        format!(
            "AccessDeniedException: User: {} is not authorized to perform: kms:Encrypt on \
             resource: {key_arn} because no resource-based policy allows the kms:Encrypt action",
            user_arn(&account, "bob")
        )
    );
    let err = bob_kms
        .describe_key()
        .key_id(&key)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "AccessDeniedException");
    // Even the server's admin is out: the policy does not name it.
    let err = admin
        .get_key_policy()
        .key_id(&key)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "AccessDeniedException");

    // Alice has no identity policy; the key policy naming her is enough.
    let blob = encrypt(&alice_kms, &key, &[]).await.unwrap();
    decrypt(&alice_kms, &blob, &[]).await.unwrap();
    // Bob cannot decrypt what alice sealed either.
    assert!(
        decrypt(&bob_kms, &blob, &[])
            .await
            .unwrap_err()
            .starts_with("AccessDeniedException")
    );

    // A SecureString sealed under the key: Bob's ssm:* and kms:* do not
    // open it; alice, allowed only ssm:GetParameter by IAM, reads it.
    let alice_ssm_policy = json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": ["ssm:GetParameter", "ssm:PutParameter"], "Resource": "*"}]});
    server
        .admin(
            "PutPolicy",
            json!({"Principal": "alice", "PolicyName": "ssm", "PolicyDocument": alice_ssm_policy.to_string()}),
        )
        .await;
    server
        .ssm_as(&alice)
        .put_parameter()
        .name("/app/db")
        .value("db-canary-8812")
        .r#type(aws_sdk_ssm::types::ParameterType::SecureString)
        .key_id(&key)
        .send()
        .await
        .unwrap();
    let read = server
        .ssm_as(&alice)
        .get_parameter()
        .name("/app/db")
        .with_decryption(true)
        .send()
        .await
        .unwrap();
    assert_eq!(read.parameter().unwrap().value(), Some("db-canary-8812"));
    let err = server
        .ssm_as(&bob)
        .get_parameter()
        .name("/app/db")
        .with_decryption(true)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "AccessDeniedException");
    assert!(message(&err).contains("kms:Decrypt"), "{}", message(&err));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_default_policy_keeps_iam_deciding_and_a_key_policy_deny_wins() {
    let server = support::in_process().await;
    let admin = server.kms();
    let account = account(&admin).await;
    let bob = kms_admin_user(&server, "bob").await;
    let carol = server
        .user_with_policy(
            "carol",
            &json!({"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Action": "ssm:*", "Resource": "*"}]}),
        )
        .await;
    let bob_kms = server.kms_as(&bob);

    let key = admin.create_key().send().await.unwrap();
    let key = key.key_metadata().unwrap().key_id().to_owned();
    let got = admin.get_key_policy().key_id(&key).send().await.unwrap();
    assert_eq!(got.policy_name(), Some("default"));
    let default: Value = serde_json::from_str(got.policy().unwrap()).unwrap();
    assert_eq!(
        default["Statement"][0]["Principal"]["AWS"],
        format!("arn:aws:iam::{account}:root")
    );
    assert_eq!(default["Statement"][0]["Action"], "kms:*");
    // Omitting PolicyName and naming "default" are the same.
    let named = admin
        .get_key_policy()
        .key_id(&key)
        .policy_name("default")
        .send()
        .await
        .unwrap();
    assert_eq!(named.policy(), got.policy());

    let blob = encrypt(&bob_kms, &key, &[]).await.unwrap();
    decrypt(&bob_kms, &blob, &[]).await.unwrap();
    let denied = encrypt(&server.kms_as(&carol), &key, &[])
        .await
        .unwrap_err();
    assert!(denied.starts_with("AccessDeniedException"), "{denied}");

    // The default statement plus a Deny for bob: the Deny beats his Allow.
    let with_deny = policy(vec![
        default["Statement"][0].clone(),
        json!({"Sid": "NoBobDecrypt", "Effect": "Deny",
               "Principal": {"AWS": user_arn(&account, "bob")},
               "Action": "kms:Decrypt", "Resource": "*"}),
    ]);
    admin
        .put_key_policy()
        .key_id(&key)
        .policy(&with_deny)
        .send()
        .await
        .unwrap();
    let stored = admin.get_key_policy().key_id(&key).send().await.unwrap();
    assert_eq!(stored.policy(), Some(with_deny.as_str()));
    let denied = decrypt(&bob_kms, &blob, &[]).await.unwrap_err();
    assert!(
        denied.starts_with("AccessDeniedException") && denied.contains("explicit deny"),
        "{denied}"
    );
    encrypt(&bob_kms, &key, &[]).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn put_key_policy_refuses_a_lockout_unless_bypassed_and_its_errors() {
    let server = support::in_process().await;
    let admin = server.kms();
    let account = account(&admin).await;
    let alice = bare_user(&server, "alice").await;
    let alice_arn = user_arn(&account, "alice");
    let key = admin.create_key().send().await.unwrap();
    let key = key.key_metadata().unwrap().key_id().to_owned();
    let before = admin.get_key_policy().key_id(&key).send().await.unwrap();

    let only_alice = policy(vec![allow(&alice_arn)]);
    let err = admin
        .put_key_policy()
        .key_id(&key)
        .policy(&only_alice)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "MalformedPolicyDocumentException");
    assert_eq!(
        message(&err),
        "The new key policy will not allow you to update the key policy in the future."
    );
    let after = admin.get_key_policy().key_id(&key).send().await.unwrap();
    assert_eq!(after.policy(), before.policy(), "nothing written");
    // CreateKey checks the same.
    let err = admin
        .create_key()
        .policy(&only_alice)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "MalformedPolicyDocumentException");

    // Errors before the lockout check, each with what is wrong.
    let cases: Vec<(String, Option<&str>, &str, &str)> = vec![
        (
            "{".into(),
            None,
            "MalformedPolicyDocumentException",
            "The key policy is not valid",
        ),
        (
            policy(vec![
                json!({"Effect": "Allow", "Action": "kms:*", "Resource": "*"}),
            ]),
            None,
            "MalformedPolicyDocumentException",
            "The key policy is not valid",
        ),
        (
            only_alice.clone(),
            Some("other"),
            "NotFoundException",
            "only key policy name is default",
        ),
        (
            only_alice.clone(),
            Some("a-b"),
            "ValidationException",
            "policyName",
        ),
        (
            only_alice.replace("Owner", "Owner\u{0100}"),
            None,
            "ValidationException",
            "policy",
        ),
        (
            format!(
                r#"{{"Version":"2012-10-17","Id":"{}","Statement":[]}}"#,
                "x".repeat(40_000)
            ),
            None,
            "LimitExceededException",
            "32768",
        ),
    ];
    for (text, name, want_code, want_message) in cases {
        let mut req = admin.put_key_policy().key_id(&key).policy(&text);
        if let Some(name) = name {
            req = req.policy_name(name);
        }
        let err = req.send().await.unwrap_err();
        assert_eq!(code(&err), want_code, "{}", message(&err));
        assert!(message(&err).contains(want_message), "{}", message(&err));
    }
    let err = admin
        .put_key_policy()
        .key_id("1234abcd-12ab-34cd-56ef-1234567890ab")
        .policy(&only_alice)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "NotFoundException");
    let err = admin
        .put_key_policy()
        .key_id("alias/aws/ssm")
        .policy(&only_alice)
        .bypass_policy_lockout_safety_check(true)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        code(&err),
        "UnsupportedOperationException",
        "AWS managed keys are read-only"
    );
    let err = admin
        .get_key_policy()
        .key_id(&key)
        .policy_name("other")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "NotFoundException");
    let err = admin
        .get_key_policy()
        .key_id("alias/none")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "NotFoundException");

    // Bypassed: the admin hands the key to alice and is locked out.
    admin
        .put_key_policy()
        .key_id(&key)
        .policy(&only_alice)
        .bypass_policy_lockout_safety_check(true)
        .send()
        .await
        .unwrap();
    let err = admin
        .get_key_policy()
        .key_id(&key)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "AccessDeniedException");
    let alice_kms = server.kms_as(&alice);
    let got = alice_kms
        .get_key_policy()
        .key_id(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(got.policy(), Some(only_alice.as_str()));
    // Alice may replace it with one that still names her.
    let again = policy(vec![
        allow(&alice_arn),
        json!({"Sid": "Account", "Effect": "Allow",
               "Principal": {"AWS": format!("arn:aws:iam::{account}:root")},
               "Action": "kms:*", "Resource": "*"}),
    ]);
    alice_kms
        .put_key_policy()
        .key_id(&key)
        .policy(&again)
        .send()
        .await
        .unwrap();
    // And the admin is back through the account's delegation.
    admin.get_key_policy().key_id(&key).send().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_key_policies_and_update_key_description() {
    let server = support::in_process().await;
    let admin = server.kms();
    let key = admin.create_key().description("old").send().await.unwrap();
    let key = key.key_metadata().unwrap().key_id().to_owned();

    let listed = admin.list_key_policies().key_id(&key).send().await.unwrap();
    assert_eq!(listed.policy_names(), ["default"]);
    assert!(!listed.truncated());
    assert_eq!(listed.next_marker(), None);
    let err = admin
        .list_key_policies()
        .key_id(&key)
        .limit(0)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ValidationException");
    let err = admin
        .list_key_policies()
        .key_id(&key)
        .marker("forged")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidMarkerException");
    let err = admin
        .list_key_policies()
        .key_id("alias/none")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "NotFoundException");

    admin
        .update_key_description()
        .key_id(&key)
        .description("new")
        .send()
        .await
        .unwrap();
    let described = admin.describe_key().key_id(&key).send().await.unwrap();
    assert_eq!(described.key_metadata().unwrap().description(), Some("new"));
    // An empty description is allowed (0–8192), a longer one is not.
    admin
        .update_key_description()
        .key_id(&key)
        .description("")
        .send()
        .await
        .unwrap();
    let err = admin
        .update_key_description()
        .key_id(&key)
        .description("d".repeat(8193))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ValidationException");
    let err = admin
        .update_key_description()
        .key_id("alias/aws/ssm")
        .description("x")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "UnsupportedOperationException");
    let err = admin
        .update_key_description()
        .key_id("1234abcd-12ab-34cd-56ef-1234567890ab")
        .description("x")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "NotFoundException");
    admin
        .schedule_key_deletion()
        .key_id(&key)
        .send()
        .await
        .unwrap();
    let err = admin
        .update_key_description()
        .key_id(&key)
        .description("x")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "KMSInvalidStateException");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_grant_allows_its_operations_under_its_constraints_until_revoked_or_retired() {
    let server = support::in_process().await;
    let admin = server.kms();
    let account = account(&admin).await;
    let alice = bare_user(&server, "alice").await;
    let bob = bare_user(&server, "bob").await;
    let carol = bare_user(&server, "carol").await;
    let (alice_kms, bob_kms, carol_kms) = (
        server.kms_as(&alice),
        server.kms_as(&bob),
        server.kms_as(&carol),
    );
    let (bob_arn, carol_arn) = (user_arn(&account, "bob"), user_arn(&account, "carol"));
    let key = key_of(&admin, &user_arn(&account, "alice")).await;

    let web = [("app", "web")];
    let blob = encrypt(&alice_kms, &key, &web).await.unwrap();
    let other = encrypt(&alice_kms, &key, &[("app", "batch")])
        .await
        .unwrap();
    assert!(
        decrypt(&bob_kms, &blob, &web).await.is_err(),
        "no grant yet"
    );

    let granted = alice_kms
        .create_grant()
        .key_id(&key)
        .grantee_principal(&bob_arn)
        .operations(GrantOperation::Decrypt)
        .constraints(
            GrantConstraints::builder()
                .encryption_context_subset("app", "web")
                .build(),
        )
        .name("bob-web")
        .send()
        .await
        .unwrap();
    let grant_id = granted.grant_id().unwrap().to_owned();
    let token = granted.grant_token().unwrap().to_owned();

    // Honoured at once, with or without the token.
    decrypt(&bob_kms, &blob, &web).await.unwrap();
    bob_kms
        .decrypt()
        .ciphertext_blob(blob.clone())
        .encryption_context("app", "web")
        .grant_tokens(&token)
        .send()
        .await
        .unwrap();
    // Only under its constraint, and only the granted operation.
    let denied = decrypt(&bob_kms, &other, &[("app", "batch")])
        .await
        .unwrap_err();
    assert!(denied.starts_with("AccessDeniedException"), "{denied}");
    let denied = encrypt(&bob_kms, &key, &web).await.unwrap_err();
    assert!(denied.starts_with("AccessDeniedException"), "{denied}");
    // The grantee may not retire a grant that does not allow RetireGrant.
    let err = bob_kms
        .retire_grant()
        .grant_token(&token)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "AccessDeniedException");

    // A token that is not one kinko issued.
    let err = bob_kms
        .decrypt()
        .ciphertext_blob(blob.clone())
        .encryption_context("app", "web")
        .grant_tokens(format!("{token}x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidGrantTokenException");

    // Listed as AWS lists it.
    let listed = alice_kms.list_grants().key_id(&key).send().await.unwrap();
    let grants = listed.grants();
    assert_eq!(grants.len(), 1);
    let g = &grants[0];
    assert_eq!(g.grant_id(), Some(grant_id.as_str()));
    assert_eq!(g.name(), Some("bob-web"));
    assert_eq!(g.grantee_principal(), Some(bob_arn.as_str()));
    assert_eq!(g.operations(), [GrantOperation::Decrypt]);
    assert_eq!(
        g.key_id(),
        Some(format!("arn:aws:kms:{REGION}:{account}:key/{key}").as_str())
    );
    assert_eq!(
        g.issuing_account(),
        Some(format!("arn:aws:iam::{account}:root").as_str())
    );
    assert!(g.creation_date().is_some());
    let subset = g
        .constraints()
        .unwrap()
        .encryption_context_subset()
        .unwrap();
    assert_eq!(subset.get("app").map(String::as_str), Some("web"));
    // Name idempotency: the same request returns the same grant.
    let again = alice_kms
        .create_grant()
        .key_id(&key)
        .grantee_principal(&bob_arn)
        .operations(GrantOperation::Decrypt)
        .constraints(
            GrantConstraints::builder()
                .encryption_context_subset("app", "web")
                .build(),
        )
        .name("bob-web")
        .send()
        .await
        .unwrap();
    assert_eq!(again.grant_id(), Some(grant_id.as_str()));

    // Revoked by the key's administrator: Bob is out again.
    alice_kms
        .revoke_grant()
        .key_id(&key)
        .grant_id(&grant_id)
        .send()
        .await
        .unwrap();
    let denied = decrypt(&bob_kms, &blob, &web).await.unwrap_err();
    assert!(denied.starts_with("AccessDeniedException"), "{denied}");

    // A grant carol may retire: she has no other right on the key.
    let retirable = alice_kms
        .create_grant()
        .key_id(&key)
        .grantee_principal(&bob_arn)
        .retiring_principal(&carol_arn)
        .operations(GrantOperation::Decrypt)
        .operations(GrantOperation::Encrypt)
        .send()
        .await
        .unwrap();
    encrypt(&bob_kms, &key, &[]).await.unwrap();
    decrypt(&bob_kms, &blob, &web).await.unwrap();
    let err = carol_kms
        .revoke_grant()
        .key_id(&key)
        .grant_id(retirable.grant_id().unwrap())
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        code(&err),
        "AccessDeniedException",
        "retiring is not revoking"
    );
    let err = carol_kms
        .list_retirable_grants()
        .retiring_principal(&carol_arn)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        code(&err),
        "AccessDeniedException",
        "ListRetirableGrants needs IAM permission"
    );
    let mine = admin
        .list_retirable_grants()
        .retiring_principal(&carol_arn)
        .send()
        .await
        .unwrap();
    assert_eq!(mine.grants().len(), 1);
    assert_eq!(mine.grants()[0].grant_id(), retirable.grant_id());
    carol_kms
        .retire_grant()
        .grant_token(retirable.grant_token().unwrap())
        .send()
        .await
        .unwrap();
    let denied = encrypt(&bob_kms, &key, &[]).await.unwrap_err();
    assert!(denied.starts_with("AccessDeniedException"), "{denied}");

    // A grantee allowed RetireGrant retires its own grant by key and id.
    let own = alice_kms
        .create_grant()
        .key_id(&key)
        .grantee_principal(&bob_arn)
        .operations(GrantOperation::Decrypt)
        .operations(GrantOperation::RetireGrant)
        .send()
        .await
        .unwrap();
    decrypt(&bob_kms, &blob, &web).await.unwrap();
    bob_kms
        .retire_grant()
        .key_id(&key)
        .grant_id(own.grant_id().unwrap())
        .send()
        .await
        .unwrap();
    assert!(decrypt(&bob_kms, &blob, &web).await.is_err());
    assert!(
        alice_kms
            .list_grants()
            .key_id(&key)
            .send()
            .await
            .unwrap()
            .grants()
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_grantee_with_create_grant_passes_on_no_more_than_it_holds() {
    let server = support::in_process().await;
    let admin = server.kms();
    let account = account(&admin).await;
    let alice = bare_user(&server, "alice").await;
    let bob = bare_user(&server, "bob").await;
    let (alice_kms, bob_kms) = (server.kms_as(&alice), server.kms_as(&bob));
    let key = key_of(&admin, &user_arn(&account, "alice")).await;
    alice_kms
        .create_grant()
        .key_id(&key)
        .grantee_principal(user_arn(&account, "bob"))
        .operations(GrantOperation::Decrypt)
        .operations(GrantOperation::CreateGrant)
        .send()
        .await
        .unwrap();
    let carol = user_arn(&account, "carol");
    bob_kms
        .create_grant()
        .key_id(&key)
        .grantee_principal(&carol)
        .operations(GrantOperation::Decrypt)
        .send()
        .await
        .unwrap();
    let err = bob_kms
        .create_grant()
        .key_id(&key)
        .grantee_principal(&carol)
        .operations(GrantOperation::Encrypt)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "AccessDeniedException");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grant_operations_answer_their_documented_errors() {
    let server = support::in_process().await;
    let admin = server.kms();
    let account = account(&admin).await;
    let bob = user_arn(&account, "bob");
    let key = admin.create_key().send().await.unwrap();
    let key = key.key_metadata().unwrap().key_id().to_owned();
    let missing = "1234abcd-12ab-34cd-56ef-1234567890ab";

    // CreateGrant: model constraints, unknown key, DryRun, disabled key.
    let err = admin
        .create_grant()
        .key_id(&key)
        .grantee_principal(&bob)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ValidationException");
    assert!(message(&err).contains("operations"), "{}", message(&err));
    let err = admin
        .create_grant()
        .key_id(&key)
        .grantee_principal(&bob)
        .operations(GrantOperation::from("Dance"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ValidationException");
    assert!(
        message(&err).contains("operations.1.member"),
        "{}",
        message(&err)
    );
    let err = admin
        .create_grant()
        .key_id(&key)
        .grantee_principal("bob smith")
        .operations(GrantOperation::Decrypt)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ValidationException");
    assert!(
        message(&err).contains("granteePrincipal"),
        "{}",
        message(&err)
    );
    let err = admin
        .create_grant()
        .key_id(&key)
        .grantee_principal(&bob)
        .operations(GrantOperation::Decrypt)
        .name("no spaces")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ValidationException");
    let err = admin
        .create_grant()
        .key_id(&key)
        .grantee_principal(&bob)
        .operations(GrantOperation::Decrypt)
        .grant_tokens("not-a-token")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidGrantTokenException");
    let err = admin
        .create_grant()
        .key_id(missing)
        .grantee_principal(&bob)
        .operations(GrantOperation::Decrypt)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "NotFoundException");
    let err = admin
        .create_grant()
        .key_id(&key)
        .grantee_principal(&bob)
        .operations(GrantOperation::Decrypt)
        .dry_run(true)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "DryRunOperationException");
    let grant = admin
        .create_grant()
        .key_id(&key)
        .grantee_principal(&bob)
        .operations(GrantOperation::Decrypt)
        .send()
        .await
        .unwrap();
    let grant_id = grant.grant_id().unwrap().to_owned();

    // ListGrants.
    let err = admin
        .list_grants()
        .key_id(&key)
        .grant_id("short")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidGrantIdException");
    let err = admin
        .list_grants()
        .key_id(&key)
        .marker("forged")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidMarkerException");
    let err = admin
        .list_grants()
        .key_id(missing)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "NotFoundException");
    let err = admin
        .list_grants()
        .key_id(&key)
        .limit(1001)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ValidationException");
    let by_grantee = admin
        .list_grants()
        .key_id(&key)
        .grantee_principal(&bob)
        .send()
        .await
        .unwrap();
    assert_eq!(by_grantee.grants().len(), 1);
    let by_other = admin
        .list_grants()
        .key_id(&key)
        .grantee_principal(user_arn(&account, "zed"))
        .send()
        .await
        .unwrap();
    assert!(by_other.grants().is_empty());
    let err = admin.list_retirable_grants().send().await.unwrap_err();
    assert_eq!(code(&err), "ValidationException");

    // RetireGrant / RevokeGrant.
    let err = admin.retire_grant().send().await.unwrap_err();
    assert_eq!(code(&err), "ValidationException");
    assert!(message(&err).contains("GrantToken"), "{}", message(&err));
    let err = admin
        .retire_grant()
        .grant_token("forged.token")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidGrantTokenException");
    let err = admin
        .retire_grant()
        .key_id(&key)
        .grant_id("short")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidGrantIdException");
    let err = admin
        .revoke_grant()
        .key_id(&key)
        .grant_id("short")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidGrantIdException");
    let unknown = "0".repeat(64);
    let err = admin
        .revoke_grant()
        .key_id(&key)
        .grant_id(&unknown)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "NotFoundException");
    let err = admin
        .revoke_grant()
        .key_id(missing)
        .grant_id(&grant_id)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "NotFoundException");
    let err = admin.revoke_grant().key_id(&key).send().await.unwrap_err();
    assert_eq!(code(&err), "ValidationException");
    let err = admin
        .revoke_grant()
        .key_id(&key)
        .grant_id(&grant_id)
        .dry_run(true)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "DryRunOperationException");
    admin
        .revoke_grant()
        .key_id(&key)
        .grant_id(&grant_id)
        .send()
        .await
        .unwrap();
    let err = admin
        .retire_grant()
        .grant_token(grant.grant_token().unwrap())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "NotFoundException", "already revoked");

    admin.disable_key().key_id(&key).send().await.unwrap();
    let err = admin
        .create_grant()
        .key_id(&key)
        .grantee_principal(&bob)
        .operations(GrantOperation::Decrypt)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "DisabledException");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secret_under_a_key_whose_policy_omits_the_reader_stays_closed() {
    let server = support::in_process().await;
    let admin = server.kms();
    let account = account(&admin).await;
    let secrets_everywhere = json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": ["secretsmanager:*", "kms:*"], "Resource": "*"}]});
    let alice = server.user_with_policy("alice", &secrets_everywhere).await;
    let bob = server.user_with_policy("bob", &secrets_everywhere).await;
    let key = key_of(&admin, &user_arn(&account, "alice")).await;

    // Bob cannot even seal a secret under the key.
    let err = server
        .secrets_as(&bob)
        .create_secret()
        .name("bob/db")
        .kms_key_id(&key)
        .secret_string("s3cr3t-bob")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "AccessDeniedException");
    assert!(
        message(&err).contains("kms:GenerateDataKey"),
        "{}",
        message(&err)
    );

    server
        .secrets_as(&alice)
        .create_secret()
        .name("app/db")
        .kms_key_id(&key)
        .secret_string("db-canary-7310")
        .send()
        .await
        .unwrap();
    let read = server
        .secrets_as(&alice)
        .get_secret_value()
        .secret_id("app/db")
        .send()
        .await
        .unwrap();
    assert_eq!(read.secret_string(), Some("db-canary-7310"));
    let err = server
        .secrets_as(&bob)
        .get_secret_value()
        .secret_id("app/db")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "AccessDeniedException");
    assert!(message(&err).contains("kms:Decrypt"), "{}", message(&err));
    assert!(
        !message(&err).contains("db-canary"),
        "no value in the error"
    );

    // A Decrypt grant for bob opens it.
    server
        .kms_as(&alice)
        .create_grant()
        .key_id(&key)
        .grantee_principal(user_arn(&account, "bob"))
        .operations(GrantOperation::Decrypt)
        .send()
        .await
        .unwrap();
    let read = server
        .secrets_as(&bob)
        .get_secret_value()
        .secret_id("app/db")
        .send()
        .await
        .unwrap();
    assert_eq!(read.secret_string(), Some("db-canary-7310"));
}
