//! AssumeRole's rules as a table (spec sts-iam.md §3–4): who a trust policy
//! lets assume a role, how session policies narrow a session, and the STS
//! condition keys (sts:ExternalId, aws:RequestTag, aws:TagKeys, …).

use super::tests::{ACCOUNT, ALICE, BOB, Owned, ROLE, SESSION};
use super::*;

const TARGET: &str = "arn:aws:iam::123456789012:role/deploy";
const PARAM: &str = "arn:aws:ssm:us-east-1:123456789012:parameter/app/prod/db";
const OTHER_PARAM: &str = "arn:aws:ssm:us-east-1:123456789012:parameter/app/dev/db";

fn doc(statements: &[&str]) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
        statements.join(",")
    )
}

/// A trust statement allowing `actions` to `principal` (JSON), under `condition`.
fn trust_of(sid: &str, principal: &str, actions: &str, condition: &str) -> String {
    let condition = if condition.is_empty() {
        String::new()
    } else {
        format!(r#","Condition":{condition}"#)
    };
    format!(
        r#"{{"Sid":"{sid}","Effect":"Allow","Principal":{principal},"Action":{actions}{condition}}}"#
    )
}

fn aws(arn: &str) -> String {
    format!(r#"{{"AWS":"{arn}"}}"#)
}

const ASSUME: &str = r#""sts:AssumeRole""#;
const ALLOW_ASSUME_ANY: &str =
    r#"{"Sid":"Assume","Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}"#;

/// The AssumeRole a case asks for.
#[derive(Clone, Default)]
struct Asked {
    external_id: Option<&'static str>,
    source_identity: Option<&'static str>,
    tags: Vec<(&'static str, &'static str)>,
    transitive: Vec<&'static str>,
}

struct Case {
    name: &'static str,
    /// The caller's identity policies.
    identity: Vec<String>,
    /// The caller's session policies (`None`: not a session, or none).
    session: Option<Vec<String>>,
    /// The target role's trust policy (`None`: the role does not exist).
    trust: Option<String>,
    action: &'static str,
    role: &'static str,
    caller: fn(&mut Owned),
    asked: Asked,
    expect: Outcome,
    by: Option<&'static str>,
}

fn case(name: &'static str, identity: &[&str], trust: Option<String>) -> Case {
    Case {
        name,
        identity: identity.iter().map(|s| doc(&[s])).collect(),
        session: None,
        trust,
        action: "sts:AssumeRole",
        role: TARGET,
        caller: |_| {},
        asked: Asked::default(),
        expect: Outcome::ImplicitDeny,
        by: None,
    }
}

impl Case {
    fn allows(mut self, by: &'static str) -> Case {
        self.expect = Outcome::Allow;
        self.by = Some(by);
        self
    }
    fn denies(mut self, by: &'static str) -> Case {
        self.expect = Outcome::ExplicitDeny;
        self.by = Some(by);
        self
    }
    fn implicit(mut self) -> Case {
        self.expect = Outcome::ImplicitDeny;
        self.by = None;
        self
    }
    fn by(mut self, caller: fn(&mut Owned)) -> Case {
        self.caller = caller;
        self
    }
    fn asking(mut self, asked: Asked) -> Case {
        self.asked = asked;
        self
    }
    fn action(mut self, action: &'static str) -> Case {
        self.action = action;
        self
    }
    fn role(mut self, role: &'static str) -> Case {
        self.role = role;
        self
    }
    fn session(mut self, policies: &[&str]) -> Case {
        self.session = Some(policies.iter().map(|s| doc(&[s])).collect());
        self
    }
}

fn as_session(c: &mut Owned) {
    *c = Owned::session();
}

fn as_bob(c: &mut Owned) {
    c.principal_arn = BOB.to_owned();
    c.caller_arn = BOB.to_owned();
    c.username = Some("bob".to_owned());
}

/// A session of the target role itself.
fn as_target_session(c: &mut Owned) {
    *c = Owned::session();
    c.principal_arn = TARGET.to_owned();
    c.caller_arn = "arn:aws:sts::123456789012:assumed-role/deploy/again".to_owned();
}

fn trust_cases() -> Vec<Case> {
    let account_root = format!("arn:aws:iam::{ACCOUNT}:root");
    vec![
        // --- rule 1: the trust policy must allow the caller ---
        case("trust names another user: identity allow on * is not enough", &[ALLOW_ASSUME_ANY], Some(doc(&[&trust_of("T", &aws(BOB), ASSUME, "")])))
            .implicit(),
        case("the role does not exist: nothing allows", &[ALLOW_ASSUME_ANY], None).implicit(),
        case("trust allows another action only", &[ALLOW_ASSUME_ANY], Some(doc(&[&trust_of("T", &aws(ALICE), r#""sts:TagSession""#, "")])))
            .implicit(),
        case("Service and Federated principals never match", &[ALLOW_ASSUME_ANY], Some(doc(&[&trust_of("T", r#"{"Service":"ec2.amazonaws.com","Federated":"arn:aws:iam::123456789012:oidc-provider/x"}"#, ASSUME, "")])))
            .implicit(),
        // --- rule 2: naming the caller is enough alone ---
        case("trust names the caller: no identity policy needed", &[], Some(doc(&[&trust_of("T", &aws(ALICE), ASSUME, "")])))
            .allows("trust-policy#T"),
        case("trust names the caller among others", &[], Some(doc(&[&trust_of("T", &format!(r#"{{"AWS":["{BOB}","{ALICE}"]}}"#), ASSUME, "")])))
            .allows("trust-policy#T"),
        case("trust names the role of a session", &[], Some(doc(&[&trust_of("T", &aws(ROLE), ASSUME, "")])))
            .by(as_session)
            .allows("trust-policy#T"),
        case("trust names the session itself", &[], Some(doc(&[&trust_of("T", &aws(SESSION), ASSUME, "")])))
            .by(as_session)
            .allows("trust-policy#T"),
        case("trust Principal *", &[], Some(doc(&[&trust_of("T", r#""*""#, ASSUME, "")])))
            .allows("trust-policy#T"),
        case("trust names bob, bob may", &[], Some(doc(&[&trust_of("T", &aws(BOB), ASSUME, "")])))
            .by(as_bob)
            .allows("trust-policy#T"),
        // --- rule 3: naming the account delegates to identity policies ---
        case("trust names the account root: identity allow needed", &[], Some(doc(&[&trust_of("T", &aws(&account_root), ASSUME, "")])))
            .implicit(),
        case("trust names the account id: identity allow needed", &[], Some(doc(&[&trust_of("T", &aws(ACCOUNT), ASSUME, "")])))
            .implicit(),
        case("trust names the account, identity allows", &[ALLOW_ASSUME_ANY], Some(doc(&[&trust_of("T", &aws(&account_root), ASSUME, "")])))
            .allows("p0#Assume"),
        case("trust names the account, identity allows another role only", &[r#"{"Sid":"A","Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::123456789012:role/other"}"#], Some(doc(&[&trust_of("T", &aws(ACCOUNT), ASSUME, "")])))
            .implicit(),
        case("another account's root is not ours", &[ALLOW_ASSUME_ANY], Some(doc(&[&trust_of("T", &aws("arn:aws:iam::999999999999:root"), ASSUME, "")])))
            .implicit(),
        // --- a Deny anywhere wins ---
        case("identity Deny beats a trust naming the caller", &[r#"{"Sid":"No","Effect":"Deny","Action":"sts:*","Resource":"*"}"#], Some(doc(&[&trust_of("T", &aws(ALICE), ASSUME, "")])))
            .denies("p0#No"),
        case("trust Deny beats an identity allow", &[ALLOW_ASSUME_ANY], Some(doc(&[
            &trust_of("T", &aws(ACCOUNT), ASSUME, ""),
            &format!(r#"{{"Sid":"NotAlice","Effect":"Deny","Principal":{},"Action":"sts:AssumeRole"}}"#, aws(ALICE)),
        ])))
            .denies("trust-policy#NotAlice"),
        case("trust Deny on the account hits everyone", &[], Some(doc(&[
            &trust_of("T", &aws(ALICE), ASSUME, ""),
            &format!(r#"{{"Sid":"Nobody","Effect":"Deny","Principal":{},"Action":"sts:AssumeRole"}}"#, aws(ACCOUNT)),
        ])))
            .denies("trust-policy#Nobody"),
        case("session policy Deny beats a trust naming the role", &[], Some(doc(&[&trust_of("T", &aws(ROLE), ASSUME, "")])))
            .by(as_session)
            .session(&[r#"{"Sid":"NoAssume","Effect":"Deny","Action":"sts:AssumeRole","Resource":"*"}"#])
            .denies("p0#NoAssume"),
        // --- rule 4: a role assuming itself ---
        case("a role assuming itself through the account is refused", &[ALLOW_ASSUME_ANY], Some(doc(&[&trust_of("T", &aws(ACCOUNT), ASSUME, "")])))
            .by(as_target_session)
            .implicit(),
        case("a role its trust policy names may assume itself", &[], Some(doc(&[&trust_of("T", &aws(TARGET), ASSUME, "")])))
            .by(as_target_session)
            .allows("trust-policy#T"),
        // --- chained sessions and session policies ---
        case("a session's session policy limits a trust naming its role", &[], Some(doc(&[&trust_of("T", &aws(ROLE), ASSUME, "")])))
            .by(as_session)
            .session(&[r#"{"Sid":"S","Effect":"Allow","Action":"ssm:GetParameter","Resource":"*"}"#])
            .implicit(),
        case("a session's session policy allowing it", &[], Some(doc(&[&trust_of("T", &aws(ROLE), ASSUME, "")])))
            .by(as_session)
            .session(&[r#"{"Sid":"S","Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}"#])
            .allows("trust-policy#T"),
        case("a trust naming the session ARN is not limited by its session policy", &[], Some(doc(&[&trust_of("T", &aws(SESSION), ASSUME, "")])))
            .by(as_session)
            .session(&[r#"{"Sid":"S","Effect":"Allow","Action":"ssm:GetParameter","Resource":"*"}"#])
            .allows("trust-policy#T"),
        case("account trust: role and session policy must both allow", &[ALLOW_ASSUME_ANY], Some(doc(&[&trust_of("T", &aws(ACCOUNT), ASSUME, "")])))
            .by(as_session)
            .session(&[r#"{"Sid":"S","Effect":"Allow","Action":"ssm:*","Resource":"*"}"#])
            .implicit(),
        // --- conditions on what the request asks for ---
        case("ExternalId matches", &[], Some(doc(&[&trust_of("T", &aws(ALICE), ASSUME, r#"{"StringEquals":{"sts:ExternalId":"ext-1234"}}"#)])))
            .asking(Asked { external_id: Some("ext-1234"), ..Asked::default() })
            .allows("trust-policy#T"),
        case("ExternalId differs", &[], Some(doc(&[&trust_of("T", &aws(ALICE), ASSUME, r#"{"StringEquals":{"sts:ExternalId":"ext-1234"}}"#)])))
            .asking(Asked { external_id: Some("ext-9999"), ..Asked::default() })
            .implicit(),
        case("ExternalId missing", &[], Some(doc(&[&trust_of("T", &aws(ALICE), ASSUME, r#"{"StringEquals":{"sts:ExternalId":"ext-1234"}}"#)])))
            .implicit(),
        case("TagSession with a RequestTag condition", &[], Some(doc(&[&trust_of("T", &aws(ALICE), r#"["sts:AssumeRole","sts:TagSession"]"#, r#"{"StringEquals":{"aws:RequestTag/Project":"blue"}}"#)])))
            .action("sts:TagSession")
            .asking(Asked { tags: vec![("project", "blue")], ..Asked::default() })
            .allows("trust-policy#T"),
        case("RequestTag of another value", &[], Some(doc(&[&trust_of("T", &aws(ALICE), r#""sts:TagSession""#, r#"{"StringEquals":{"aws:RequestTag/Project":"blue"}}"#)])))
            .action("sts:TagSession")
            .asking(Asked { tags: vec![("Project", "green")], ..Asked::default() })
            .implicit(),
        case("ForAllValues aws:TagKeys: only allowed keys", &[], Some(doc(&[&trust_of("T", &aws(ALICE), r#""sts:TagSession""#, r#"{"ForAllValues:StringEquals":{"aws:TagKeys":["Project","Team"]}}"#)])))
            .action("sts:TagSession")
            .asking(Asked { tags: vec![("Project", "a"), ("Team", "b")], ..Asked::default() })
            .allows("trust-policy#T"),
        case("ForAllValues aws:TagKeys: one key too many", &[], Some(doc(&[&trust_of("T", &aws(ALICE), r#""sts:TagSession""#, r#"{"ForAllValues:StringEquals":{"aws:TagKeys":["Project","Team"]}}"#)])))
            .action("sts:TagSession")
            .asking(Asked { tags: vec![("Project", "a"), ("Admin", "b")], ..Asked::default() })
            .implicit(),
        case("ForAnyValue aws:TagKeys: one of them", &[], Some(doc(&[&trust_of("T", &aws(ALICE), r#""sts:TagSession""#, r#"{"ForAnyValue:StringEquals":{"aws:TagKeys":"Team"}}"#)])))
            .action("sts:TagSession")
            .asking(Asked { tags: vec![("Project", "a"), ("Team", "b")], ..Asked::default() })
            .allows("trust-policy#T"),
        case("ForAnyValue aws:TagKeys: no tags", &[], Some(doc(&[&trust_of("T", &aws(ALICE), r#""sts:AssumeRole""#, r#"{"ForAnyValue:StringEquals":{"aws:TagKeys":"Team"}}"#)])))
            .implicit(),
        case("ForAllValues:StringNotEquals aws:TagKeys refuses a key", &[], Some(doc(&[&trust_of("T", &aws(ALICE), r#""sts:TagSession""#, r#"{"ForAllValues:StringNotEquals":{"aws:TagKeys":"Admin"}}"#)])))
            .action("sts:TagSession")
            .asking(Asked { tags: vec![("Project", "a"), ("Admin", "b")], ..Asked::default() })
            .implicit(),
        case("Null aws:TagKeys false needs tags", &[], Some(doc(&[&trust_of("T", &aws(ALICE), r#""sts:TagSession""#, r#"{"Null":{"aws:TagKeys":"false"}}"#)])))
            .action("sts:TagSession")
            .asking(Asked { tags: vec![("Project", "a")], ..Asked::default() })
            .allows("trust-policy#T"),
        case("sts:TransitiveTagKeys", &[], Some(doc(&[&trust_of("T", &aws(ALICE), r#""sts:TagSession""#, r#"{"ForAllValues:StringEquals":{"sts:TransitiveTagKeys":"Project"}}"#)])))
            .action("sts:TagSession")
            .asking(Asked { tags: vec![("Project", "a"), ("Team", "b")], transitive: vec!["Team"], ..Asked::default() })
            .implicit(),
        case("sts:SourceIdentity condition", &[], Some(doc(&[&trust_of("T", &aws(ALICE), r#""sts:SetSourceIdentity""#, r#"{"StringLike":{"sts:SourceIdentity":"alice@*"}}"#)])))
            .action("sts:SetSourceIdentity")
            .asking(Asked { source_identity: Some("alice@example.com"), ..Asked::default() })
            .allows("trust-policy#T"),
        case("sts:SourceIdentity of someone else", &[], Some(doc(&[&trust_of("T", &aws(ALICE), r#""sts:SetSourceIdentity""#, r#"{"StringLike":{"sts:SourceIdentity":"alice@*"}}"#)])))
            .action("sts:SetSourceIdentity")
            .asking(Asked { source_identity: Some("mallory@example.com"), ..Asked::default() })
            .implicit(),
        case("sts:RoleSessionName condition", &[], Some(doc(&[&trust_of("T", &aws(ALICE), ASSUME, r#"{"StringEquals":{"sts:RoleSessionName":"${aws:username}"}}"#)])))
            .allows("trust-policy#T"),
        case("sts:RoleSessionName condition not met", &[], Some(doc(&[&trust_of("T", &aws(ALICE), ASSUME, r#"{"StringEquals":{"sts:RoleSessionName":"someone"}}"#)])))
            .implicit(),
        case("aws:PrincipalTag of the caller in the trust", &[], Some(doc(&[&trust_of("T", &aws(ALICE), ASSUME, r#"{"StringEquals":{"aws:PrincipalTag/team":"payments"}}"#)])))
            .allows("trust-policy#T"),
        // --- not for trust policies: an identity allow with no resource policy is enough ---
        case("a role ARN that is not the target is irrelevant", &[ALLOW_ASSUME_ANY], Some(doc(&[&trust_of("T", &aws(ACCOUNT), ASSUME, "")])))
            .role("arn:aws:iam::123456789012:role/app2")
            .allows("p0#Assume"),
    ]
}

#[test]
fn trust_table() {
    let mut failures = Vec::new();
    let cases = trust_cases();
    for case in &cases {
        let parse = |json: &String| {
            Policy::parse_identity(json).unwrap_or_else(|e| panic!("{}: {e}: {json}", case.name))
        };
        let identity: Vec<Policy> = case.identity.iter().map(parse).collect();
        let names: Vec<String> = (0..identity.len()).map(|i| format!("p{i}")).collect();
        let identity: Vec<(&str, &Policy)> = names
            .iter()
            .map(String::as_str)
            .zip(identity.iter())
            .collect();
        let session: Option<Vec<Policy>> =
            case.session.as_ref().map(|s| s.iter().map(parse).collect());
        let session_names: Vec<String> = (0..session.as_ref().map_or(0, Vec::len))
            .map(|i| format!("p{i}"))
            .collect();
        let session: Option<Vec<(&str, &Policy)>> = session.as_ref().map(|s| {
            session_names
                .iter()
                .map(String::as_str)
                .zip(s.iter())
                .collect()
        });
        let trust = case.trust.as_ref().map(|json| {
            Policy::parse_resource(json).unwrap_or_else(|e| panic!("{}: {e}: {json}", case.name))
        });
        let mut owned = Owned::alice();
        (case.caller)(&mut owned);
        let tags: Vec<Tag> = case
            .asked
            .tags
            .iter()
            .map(|(k, v)| Tag {
                key: (*k).to_owned(),
                value: (*v).to_owned(),
            })
            .collect();
        let transitive: Vec<String> = case
            .asked
            .transitive
            .iter()
            .map(|k| (*k).to_owned())
            .collect();
        let sts = StsRequest {
            role_session_name: "alice",
            external_id: case.asked.external_id,
            source_identity: case.asked.source_identity,
            request_tags: &tags,
            transitive_tag_keys: &transitive,
        };
        let mut context = owned.context();
        context.sts = Some(&sts);
        let request = Request {
            action: case.action,
            resource: case.role,
            context: &context,
        };
        let policies = Policies::trust(&identity, trust.as_ref()).with_session(session.as_deref());
        let decision = decide(&policies, &request);
        let by = decision.statement.as_ref().map(ToString::to_string);
        if decision.outcome != case.expect || by.as_deref() != case.by {
            failures.push(format!(
                "{}: got {} by {by:?}, expected {} by {:?}",
                case.name, decision.outcome, case.expect, case.by
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// A session's effective permission is its role's identity policies ∩ its
/// session policies; a resource policy naming the session itself is not
/// limited, one naming its role is.
#[test]
fn session_policies_narrow_a_session() {
    let role = doc(&[
        r#"{"Sid":"Role","Effect":"Allow","Action":["ssm:GetParameter","ssm:PutParameter"],"Resource":"*"}"#,
    ]);
    let role = Policy::parse_identity(&role).unwrap();
    let narrow = Policy::parse_identity(&doc(&[&format!(
        r#"{{"Sid":"Only","Effect":"Allow","Action":"ssm:GetParameter","Resource":"{PARAM}"}}"#
    )]))
    .unwrap();
    let wide = Policy::parse_identity(&doc(&[
        r#"{"Sid":"Wide","Effect":"Allow","Action":"*","Resource":"*"}"#,
    ]))
    .unwrap();
    let deny = Policy::parse_identity(&doc(&[
        r#"{"Sid":"NoPut","Effect":"Deny","Action":"ssm:PutParameter","Resource":"*"}"#,
    ]))
    .unwrap();
    let by_session = Policy::parse_resource(&doc(&[&format!(
        r#"{{"Sid":"R","Effect":"Allow","Principal":{},"Action":"ssm:*","Resource":"*"}}"#,
        aws(SESSION)
    )]))
    .unwrap();
    let by_role = Policy::parse_resource(&doc(&[&format!(
        r#"{{"Sid":"R","Effect":"Allow","Principal":{},"Action":"ssm:*","Resource":"*"}}"#,
        aws(ROLE)
    )]))
    .unwrap();
    let owned = Owned::session();
    let context = owned.context();
    let identity = [("role", &role)];
    let ask = |action: &str,
               resource: &str,
               session: Option<&[(&str, &Policy)]>,
               resource_policy: Option<&Policy>| {
        let request = Request {
            action,
            resource,
            context: &context,
        };
        let decision = decide(
            &Policies::new(&identity, resource_policy).with_session(session),
            &request,
        );
        (decision.outcome, decision.statement.map(|s| s.to_string()))
    };
    let allow = |by: &str| (Outcome::Allow, Some(by.to_owned()));
    let implicit = (Outcome::ImplicitDeny, None);
    let narrow_session: &[(&str, &Policy)] = &[("session-policy", &narrow)];
    // No session policy: the role's permissions.
    assert_eq!(
        ask("ssm:PutParameter", PARAM, None, None),
        allow("role#Role")
    );
    // Both allow: allowed, by the role's statement.
    assert_eq!(
        ask("ssm:GetParameter", PARAM, Some(narrow_session), None),
        allow("role#Role")
    );
    // The role allows, the session policy does not.
    assert_eq!(
        ask("ssm:GetParameter", OTHER_PARAM, Some(narrow_session), None),
        implicit
    );
    assert_eq!(
        ask("ssm:PutParameter", PARAM, Some(narrow_session), None),
        implicit
    );
    // A session policy never widens the role.
    assert_eq!(
        ask("kms:Decrypt", "*", Some(&[("session-policy", &wide)]), None),
        implicit
    );
    // Several session policies: their union, then ∩ the role.
    assert_eq!(
        ask(
            "ssm:PutParameter",
            PARAM,
            Some(&[("a", &narrow), ("b", &wide)]),
            None
        ),
        allow("role#Role")
    );
    // A Deny in a session policy wins.
    assert_eq!(
        ask(
            "ssm:PutParameter",
            PARAM,
            Some(&[("b", &wide), ("d", &deny)]),
            None
        ),
        (Outcome::ExplicitDeny, Some("d#NoPut".to_owned()))
    );
    // Session policies that no longer exist allow nothing.
    assert_eq!(ask("ssm:GetParameter", PARAM, Some(&[]), None), implicit);
    // A resource policy naming the session itself is not limited.
    assert_eq!(
        ask(
            "ssm:DeleteParameter",
            OTHER_PARAM,
            Some(narrow_session),
            Some(&by_session)
        ),
        allow("resource-policy#R")
    );
    // One naming the role is.
    assert_eq!(
        ask(
            "ssm:DeleteParameter",
            OTHER_PARAM,
            Some(narrow_session),
            Some(&by_role)
        ),
        implicit
    );
    assert_eq!(
        ask("ssm:DeleteParameter", OTHER_PARAM, None, Some(&by_role)),
        allow("resource-policy#R")
    );
}

#[test]
fn aws_source_identity_is_read_from_the_session() {
    let policy = Policy::parse_identity(&doc(&[r#"{"Sid":"S","Effect":"Allow","Action":"ssm:GetParameter","Resource":"*","Condition":{"StringEquals":{"aws:SourceIdentity":"alice@example.com"}}}"#])).unwrap();
    let owned = Owned::session();
    let mut context = owned.context();
    let ask = |context: &Context<'_>| {
        evaluate(
            &[("p", &policy)],
            None,
            &Request {
                action: "ssm:GetParameter",
                resource: PARAM,
                context,
            },
        )
        .outcome
    };
    assert_eq!(ask(&context), Outcome::ImplicitDeny, "no source identity");
    context.source_identity = Some("alice@example.com");
    assert_eq!(ask(&context), Outcome::Allow);
    context.source_identity = Some("bob@example.com");
    assert_eq!(ask(&context), Outcome::ImplicitDeny);
}

/// AssumeRoleWithWebIdentity: a `Federated` principal names the OIDC
/// provider the caller's token came from, with conditions on its claims;
/// nothing else (an `AWS` principal, identity policies) lets it in.
#[test]
fn a_federated_principal_names_only_its_providers_users() {
    const PROVIDER: &str = "arn:aws:iam::123456789012:oidc-provider/token.example.test";
    let trust = Policy::parse_resource(&doc(&[&trust_of(
        "GH",
        &format!(r#"{{"Federated":"{PROVIDER}"}}"#),
        r#""sts:AssumeRoleWithWebIdentity""#,
        r#"{"StringEquals":{"token.example.test:aud":"sts.amazonaws.com"},"StringLike":{"token.example.test:sub":"repo:org/app:*"}}"#,
    )]))
    .unwrap();
    let decide_for = |caller: &str, sub: &str, action: &str| {
        let owned = Owned {
            principal_arn: caller.to_owned(),
            caller_arn: caller.to_owned(),
            username: None,
            principal_tags: Vec::new(),
            extra: vec![
                (
                    "token.example.test:aud".to_owned(),
                    "sts.amazonaws.com".to_owned(),
                ),
                ("token.example.test:sub".to_owned(), sub.to_owned()),
            ],
            ..Owned::alice()
        };
        let context = owned.context();
        let request = Request {
            action,
            resource: TARGET,
            context: &context,
        };
        decide(&Policies::trust(&[], Some(&trust)), &request).outcome
    };
    let web = "sts:AssumeRoleWithWebIdentity";
    assert_eq!(
        decide_for(PROVIDER, "repo:org/app:ref:refs/heads/main", web),
        Outcome::Allow
    );
    assert_eq!(
        decide_for(PROVIDER, "repo:org/other:ref:refs/heads/main", web),
        Outcome::ImplicitDeny
    );
    assert_eq!(
        decide_for(PROVIDER, "repo:org/app:main", "sts:AssumeRole"),
        Outcome::ImplicitDeny
    );
    let other = "arn:aws:iam::123456789012:oidc-provider/other.example.test";
    assert_eq!(
        decide_for(other, "repo:org/app:main", web),
        Outcome::ImplicitDeny
    );
    assert_eq!(
        decide_for(ALICE, "repo:org/app:main", web),
        Outcome::ImplicitDeny
    );
    // A provider is never an `AWS` principal.
    let err = Policy::parse_resource(&doc(&[&trust_of(
        "X",
        &format!(r#"{{"AWS":"{PROVIDER}"}}"#),
        r#""sts:AssumeRoleWithWebIdentity""#,
        "",
    )]));
    assert!(err.is_err());
}
