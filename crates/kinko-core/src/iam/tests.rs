use super::*;

#[test]
fn denied_words_the_two_cases_as_aws_does() {
    let check = Check::new("ssm:GetParameter", "arn:aws:ssm:us-east-1:1:parameter/a");
    assert_eq!(
        Denied::new("arn:aws:iam::1:user/alice", &check, false).to_string(),
        "User: arn:aws:iam::1:user/alice is not authorized to perform: ssm:GetParameter \
         on resource: arn:aws:ssm:us-east-1:1:parameter/a because no policy allows the action"
    );
    assert_eq!(
        Denied::new("arn:aws:iam::1:user/alice", &check, true).to_string(),
        "User: arn:aws:iam::1:user/alice is not authorized to perform: ssm:GetParameter \
         on resource: arn:aws:ssm:us-east-1:1:parameter/a with an explicit deny in a policy"
    );
}

#[test]
fn a_key_policy_denial_says_no_resource_based_policy_allows() {
    let check = Check::key("kms:Encrypt", "arn:aws:kms:us-east-1:1:key/k", "{}", &[]);
    assert_eq!(
        Denied::new("arn:aws:iam::1:user/bob", &check, false).to_string(),
        "User: arn:aws:iam::1:user/bob is not authorized to perform: kms:Encrypt \
         on resource: arn:aws:kms:us-east-1:1:key/k because no resource-based policy \
         allows the kms:Encrypt action"
    );
}

mod key_policies {
    //! KMS key policies and grants through [`Access`], as spec §10 says:
    //! a Deny anywhere wins; else the key policy allows the caller, or
    //! delegates to the account and the identity policy allows, or a grant
    //! allows.

    use std::sync::Arc;

    use kinko_model::iam::{Outcome, Policy};
    use kinko_model::principals::PrincipalKind;
    use kinko_store::PrincipalRecord;

    use crate::iam::{Access, Check, RequestFacts, ResourcePolicies};
    use crate::kms::{EncryptionContext, GrantConstraints, StoredGrant, default_key_policy};
    use crate::principals::PrincipalAccess;

    const ACCOUNT: &str = "111122223333";
    const KEY: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    const ALICE: &str = "arn:aws:iam::111122223333:user/alice";
    const BOB: &str = "arn:aws:iam::111122223333:user/bob";
    const ALLOW_ALL_KMS: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}"#;

    fn user(arn: &str, identity: Option<&str>) -> Access {
        let name = arn.rsplit('/').next().unwrap_or_default().to_owned();
        let policies = identity
            .map(|text| vec![("p".to_owned(), Policy::parse_identity(text).unwrap())])
            .unwrap_or_default();
        let principal = PrincipalAccess {
            principal: PrincipalRecord {
                name,
                kind: PrincipalKind::User,
                arn: arn.to_owned(),
                unique_id: "AIDAEXAMPLE".to_owned(),
                tags: Vec::new(),
                trust_policy: None,
                created_ms: 0,
            },
            policies,
            unreadable: Vec::new(),
        };
        Access::new(
            arn.to_owned(),
            Some(Arc::new(principal)),
            None,
            ACCOUNT.to_owned(),
            RequestFacts {
                source_ip: None,
                secure_transport: true,
                time: jiff::Timestamp::now(),
            },
            Arc::new(ResourcePolicies::default()),
        )
    }

    fn only_alice() -> String {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"Alice","Effect":"Allow","Principal":{{"AWS":"{ALICE}"}},"Action":"kms:*","Resource":"*"}}]}}"#
        )
    }

    fn outcome(access: &Access, check: &Check<'_>) -> Outcome {
        access.explain(check).0.outcome
    }

    #[test]
    fn a_policy_naming_only_alice_shuts_out_bob_whatever_iam_says() {
        let policy = only_alice();
        let check = Check::key("kms:Encrypt", KEY, &policy, &[]);
        assert_eq!(
            outcome(&user(BOB, Some(ALLOW_ALL_KMS)), &check),
            Outcome::ImplicitDeny
        );
        // Alice needs no identity policy: the key policy names her.
        let (decision, _) = user(ALICE, None).explain(&check);
        assert_eq!(decision.outcome, Outcome::Allow);
        assert_eq!(decision.statement.unwrap().to_string(), "key-policy#Alice");
    }

    #[test]
    fn the_default_policy_delegates_to_iam() {
        let policy = default_key_policy(ACCOUNT);
        let check = Check::key("kms:Encrypt", KEY, &policy, &[]);
        assert_eq!(
            outcome(&user(BOB, Some(ALLOW_ALL_KMS)), &check),
            Outcome::Allow
        );
        assert_eq!(outcome(&user(BOB, None), &check), Outcome::ImplicitDeny);
        // The bare account id delegates as the root ARN does.
        let bare = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"kms:*","Resource":"*"}]}"#;
        let check = Check::key("kms:Encrypt", KEY, bare, &[]);
        assert_eq!(
            outcome(&user(BOB, Some(ALLOW_ALL_KMS)), &check),
            Outcome::Allow
        );
    }

    #[test]
    fn a_deny_anywhere_wins() {
        let deny_bob = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCOUNT}:root"}},"Action":"kms:*","Resource":"*"}},{{"Sid":"NoBob","Effect":"Deny","Principal":{{"AWS":"{BOB}"}},"Action":"kms:Decrypt","Resource":"*"}}]}}"#
        );
        let grant = grant(BOB, &["Decrypt"], None);
        let check = Check::key("kms:Decrypt", KEY, &deny_bob, std::slice::from_ref(&grant));
        assert_eq!(
            outcome(&user(BOB, Some(ALLOW_ALL_KMS)), &check),
            Outcome::ExplicitDeny,
            "the key policy's Deny beats the identity Allow and the grant"
        );
        let identity_deny = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"kms:Decrypt","Resource":"*"}]}"#;
        let policy = default_key_policy(ACCOUNT);
        let check = Check::key("kms:Decrypt", KEY, &policy, std::slice::from_ref(&grant));
        assert_eq!(
            outcome(&user(BOB, Some(identity_deny)), &check),
            Outcome::ExplicitDeny,
            "an identity Deny beats the grant"
        );
    }

    fn grant(grantee: &str, ops: &[&str], constraints: Option<GrantConstraints>) -> StoredGrant {
        StoredGrant {
            grant_id: "g".repeat(64),
            name: None,
            grantee_principal: grantee.to_owned(),
            retiring_principal: Some(ALICE.to_owned()),
            operations: ops.iter().map(|o| (*o).to_owned()).collect(),
            constraints,
            creation_ms: 0,
        }
    }

    fn ctx(pairs: &[(&str, &str)]) -> EncryptionContext {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn a_grant_allows_its_grantee_its_operations_only() {
        let policy = only_alice();
        let grants = [grant(BOB, &["Decrypt"], None)];
        let bob = user(BOB, None);
        let (decision, _) = bob.explain(&Check::key("kms:Decrypt", KEY, &policy, &grants));
        assert_eq!(decision.outcome, Outcome::Allow);
        assert_eq!(decision.statement.unwrap().policy, "grant");
        for action in [
            "kms:Encrypt",
            "kms:DescribeKey",
            "kms:RetireGrant",
            "kms:PutKeyPolicy",
        ] {
            assert_eq!(
                outcome(&bob, &Check::key(action, KEY, &policy, &grants)),
                Outcome::ImplicitDeny,
                "{action}"
            );
        }
        let carol = user("arn:aws:iam::111122223333:user/carol", None);
        assert_eq!(
            outcome(&carol, &Check::key("kms:Decrypt", KEY, &policy, &grants)),
            Outcome::ImplicitDeny
        );
        // The retiring principal may retire it, whatever it allows.
        let alice_grants = [grant(BOB, &["Decrypt"], None)];
        let only_bob = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{BOB}"}},"Action":"kms:*","Resource":"*"}}]}}"#
        );
        assert_eq!(
            outcome(
                &user(ALICE, None),
                &Check::key("kms:RetireGrant", KEY, &only_bob, &alice_grants)
            ),
            Outcome::Allow
        );
    }

    #[test]
    fn grant_constraints_are_checked_on_the_request_context() {
        let policy = only_alice();
        let subset = [grant(
            BOB,
            &["Decrypt", "DescribeKey"],
            Some(GrantConstraints {
                encryption_context_subset: Some(ctx(&[("Dept", "IT")])),
                encryption_context_equals: None,
            }),
        )];
        let equals = [grant(
            BOB,
            &["Decrypt"],
            Some(GrantConstraints {
                encryption_context_subset: None,
                encryption_context_equals: Some(ctx(&[("Dept", "IT")])),
            }),
        )];
        let bob = user(BOB, None);
        let decide = |grants: &[StoredGrant], context: &EncryptionContext| {
            outcome(
                &bob,
                &Check::key("kms:Decrypt", KEY, &policy, grants).with_context(context),
            )
        };
        let allow = Outcome::Allow;
        let deny = Outcome::ImplicitDeny;
        assert_eq!(decide(&subset, &ctx(&[("Dept", "IT")])), allow);
        assert_eq!(
            decide(&subset, &ctx(&[("dept", "IT"), ("x", "y")])),
            allow,
            "keys ignore case"
        );
        assert_eq!(
            decide(&subset, &ctx(&[("Dept", "it")])),
            deny,
            "values are exact"
        );
        assert_eq!(decide(&subset, &ctx(&[])), deny);
        assert_eq!(decide(&equals, &ctx(&[("Dept", "IT")])), allow);
        assert_eq!(decide(&equals, &ctx(&[("Dept", "IT"), ("x", "y")])), deny);
        // No context taken at all: a constrained grant does not allow.
        assert_eq!(
            outcome(&bob, &Check::key("kms:Decrypt", KEY, &policy, &subset)),
            deny
        );
        // DescribeKey ignores the constraint.
        assert_eq!(
            outcome(&bob, &Check::key("kms:DescribeKey", KEY, &policy, &subset)),
            allow
        );
    }

    #[test]
    fn a_grant_with_create_grant_passes_on_no_more_than_it_has() {
        let policy = only_alice();
        let parent = [grant(
            BOB,
            &["Decrypt", "CreateGrant"],
            Some(GrantConstraints {
                encryption_context_subset: Some(ctx(&[("app", "a")])),
                encryption_context_equals: None,
            }),
        )];
        let bob = user(BOB, None);
        let asks = |child: &StoredGrant| {
            let mut check = Check::key("kms:CreateGrant", KEY, &policy, &parent);
            check.requested_grant = Some(child);
            outcome(&bob, &check)
        };
        let strict = Some(GrantConstraints {
            encryption_context_subset: Some(ctx(&[("app", "a"), ("b", "c")])),
            encryption_context_equals: None,
        });
        assert_eq!(
            asks(&grant(ALICE, &["Decrypt"], strict.clone())),
            Outcome::Allow
        );
        assert_eq!(
            asks(&grant(ALICE, &["Decrypt", "Encrypt"], strict)),
            Outcome::ImplicitDeny,
            "wider operations"
        );
        assert_eq!(
            asks(&grant(ALICE, &["Decrypt"], None)),
            Outcome::ImplicitDeny,
            "looser constraints"
        );
    }

    #[test]
    fn an_unrestricted_caller_stays_unrestricted() {
        let policy = only_alice();
        let dev = Access::unrestricted(BOB);
        assert!(
            dev.authorize(&Check::key("kms:Encrypt", KEY, &policy, &[]))
                .is_ok()
        );
    }
}
