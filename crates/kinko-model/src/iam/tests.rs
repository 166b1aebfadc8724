//! The evaluator as a table (policies, action, resource, context → outcome
//! and deciding statement), the parse errors, and properties of Deny.

use std::net::IpAddr;

use jiff::Timestamp;
use proptest::prelude::*;

use super::*;

pub(crate) const ACCOUNT: &str = "123456789012";
pub(crate) const ALICE: &str = "arn:aws:iam::123456789012:user/alice";
pub(crate) const BOB: &str = "arn:aws:iam::123456789012:user/bob";
pub(crate) const ROLE: &str = "arn:aws:iam::123456789012:role/app";
pub(crate) const SESSION: &str = "arn:aws:sts::123456789012:assumed-role/app/run-1";
const PARAM: &str = "arn:aws:ssm:us-east-1:123456789012:parameter/app/prod/db";
const DEV_PARAM: &str = "arn:aws:ssm:us-east-1:123456789012:parameter/app/dev/db";
const SECRET: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf";

fn tag(key: &str, value: &str) -> Tag {
    Tag {
        key: key.to_owned(),
        value: value.to_owned(),
    }
}

/// An owned request context, to build [`Context`]s from.
#[derive(Debug, Clone)]
pub(crate) struct Owned {
    pub account_id: String,
    pub principal_arn: String,
    pub caller_arn: String,
    pub username: Option<String>,
    pub principal_tags: Vec<Tag>,
    pub resource_tags: Option<Vec<Tag>>,
    pub source_ip: Option<IpAddr>,
    pub current_time: Timestamp,
    pub secure_transport: bool,
    pub extra: Vec<(String, String)>,
}

impl Owned {
    /// User alice, team=payments, on a parameter tagged env=prod and
    /// owner=alice, from 10.1.2.3 over TLS at 2026-03-01T12:00:00Z.
    pub(crate) fn alice() -> Owned {
        Owned {
            account_id: ACCOUNT.to_owned(),
            principal_arn: ALICE.to_owned(),
            caller_arn: ALICE.to_owned(),
            username: Some("alice".to_owned()),
            principal_tags: vec![tag("team", "payments")],
            resource_tags: Some(vec![tag("Env", "prod"), tag("owner", "alice")]),
            source_ip: Some("10.1.2.3".parse().unwrap()),
            current_time: "2026-03-01T12:00:00Z".parse().unwrap(),
            secure_transport: true,
            extra: vec![
                ("custom:flag".to_owned(), "on".to_owned()),
                ("custom:count".to_owned(), "5".to_owned()),
                ("custom:name".to_owned(), "alice-1".to_owned()),
                (
                    "custom:arn".to_owned(),
                    "arn:aws:ssm:us:east:123456789012:parameter/x".to_owned(),
                ),
            ],
        }
    }

    /// A session of role `app` (no aws:username).
    pub(crate) fn session() -> Owned {
        Owned {
            principal_arn: ROLE.to_owned(),
            caller_arn: SESSION.to_owned(),
            username: None,
            ..Owned::alice()
        }
    }

    pub(crate) fn context(&self) -> Context<'_> {
        Context {
            account_id: &self.account_id,
            principal_arn: &self.principal_arn,
            caller_arn: &self.caller_arn,
            username: self.username.as_deref(),
            principal_tags: &self.principal_tags,
            resource_tags: self.resource_tags.as_deref(),
            source_ip: self.source_ip,
            current_time: self.current_time,
            secure_transport: self.secure_transport,
            source_identity: None,
            sts: None,
            extra: &self.extra,
        }
    }
}

pub(crate) fn context_with<R>(f: impl FnOnce(&Context<'_>) -> R) -> R {
    f(&Owned::alice().context())
}

pub(crate) fn role_context_with<R>(f: impl FnOnce(&Context<'_>) -> R) -> R {
    f(&Owned::session().context())
}

fn as_session(c: &mut Owned) {
    *c = Owned::session();
}

fn as_bob(c: &mut Owned) {
    c.principal_arn = BOB.to_owned();
    c.caller_arn = BOB.to_owned();
    c.username = Some("bob".to_owned());
}

/// A 2012-10-17 document of these statements.
fn doc(statements: &[&str]) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
        statements.join(",")
    )
}

/// One statement allowing ssm:GetParameter on everything under `condition`.
fn allow_if(condition: &str) -> String {
    doc(&[&format!(
        r#"{{"Sid":"C","Effect":"Allow","Action":"ssm:GetParameter","Resource":"*","Condition":{condition}}}"#
    )])
}

const ALLOW_ALL: &str = r#"{"Sid":"All","Effect":"Allow","Action":"*","Resource":"*"}"#;

struct Case {
    name: &'static str,
    identity: Vec<(&'static str, String)>,
    resource_policy: Option<String>,
    action: &'static str,
    resource: &'static str,
    setup: fn(&mut Owned),
    expect: Outcome,
    /// The deciding statement as `policy#sid` / `policy#index`.
    by: Option<&'static str>,
}

fn case(
    name: &'static str,
    identity: String,
    action: &'static str,
    resource: &'static str,
) -> Case {
    Case {
        name,
        identity: vec![("p", identity)],
        resource_policy: None,
        action,
        resource,
        setup: |_| {},
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
    fn with(mut self, setup: fn(&mut Owned)) -> Case {
        self.setup = setup;
        self
    }
    fn resource_policy(mut self, json: String) -> Case {
        self.resource_policy = Some(json);
        self
    }
    fn more_identity(mut self, name: &'static str, json: String) -> Case {
        self.identity.push((name, json));
        self
    }
}

/// An identity-policy condition case on ssm:GetParameter of PARAM.
fn cond(name: &'static str, condition: &str) -> Case {
    case(name, allow_if(condition), "ssm:GetParameter", PARAM)
}

fn cases() -> Vec<Case> {
    let get = "ssm:GetParameter";
    vec![
        // --- Default deny, Allow, statement references ---
        case("no statement applies", doc(&[r#"{"Sid":"K","Effect":"Allow","Action":"kms:Decrypt","Resource":"*"}"#]), get, PARAM).implicit(),
        case("allow all", doc(&[ALLOW_ALL]), get, PARAM).allows("p#All"),
        case(
            "statement without Sid is named by index",
            doc(&[
                r#"{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*"}"#,
                r#"{"Effect":"Allow","Action":"ssm:GetParameter","Resource":"*"}"#,
            ]),
            get,
            PARAM,
        )
        .allows("p#1"),
        case(
            "first applicable Allow is reported",
            doc(&[
                r#"{"Sid":"A","Effect":"Allow","Action":"ssm:Get*","Resource":"*"}"#,
                r#"{"Sid":"B","Effect":"Allow","Action":"*","Resource":"*"}"#,
            ]),
            get,
            PARAM,
        )
        .allows("p#A"),
        // --- Actions ---
        case("action wildcard *", doc(&[r#"{"Sid":"A","Effect":"Allow","Action":"ssm:Get*","Resource":"*"}"#]), get, PARAM).allows("p#A"),
        case("action is case-insensitive", doc(&[r#"{"Sid":"A","Effect":"Allow","Action":"SSM:getparameter","Resource":"*"}"#]), get, PARAM).allows("p#A"),
        case("action pattern is case-insensitive", doc(&[r#"{"Sid":"A","Effect":"Allow","Action":"ssm:get*","Resource":"*"}"#]), "SSM:GETPARAMETER", PARAM).allows("p#A"),
        case("action ? matches one character", doc(&[r#"{"Sid":"A","Effect":"Allow","Action":"ssm:GetParameter?","Resource":"*"}"#]), "ssm:GetParameters", PARAM).allows("p#A"),
        case("action ? needs a character", doc(&[r#"{"Sid":"A","Effect":"Allow","Action":"ssm:GetParameter?","Resource":"*"}"#]), get, PARAM).implicit(),
        case("other action", doc(&[r#"{"Sid":"A","Effect":"Allow","Action":"ssm:Put*","Resource":"*"}"#]), get, PARAM).implicit(),
        case("action list", doc(&[r#"{"Sid":"A","Effect":"Allow","Action":["ssm:PutParameter","ssm:GetParameter"],"Resource":"*"}"#]), get, PARAM).allows("p#A"),
        case("NotAction allows what it does not list", doc(&[r#"{"Sid":"A","Effect":"Allow","NotAction":"ssm:Put*","Resource":"*"}"#]), get, PARAM).allows("p#A"),
        case("NotAction excludes what it lists", doc(&[r#"{"Sid":"A","Effect":"Allow","NotAction":["ssm:Put*","ssm:Delete*"],"Resource":"*"}"#]), "ssm:PutParameter", PARAM).implicit(),
        case(
            "Deny NotAction denies the others",
            doc(&[ALLOW_ALL, r#"{"Sid":"D","Effect":"Deny","NotAction":"ssm:GetParameter","Resource":"*"}"#]),
            "ssm:PutParameter",
            PARAM,
        )
        .denies("p#D"),
        case(
            "Deny NotAction spares what it lists",
            doc(&[ALLOW_ALL, r#"{"Sid":"D","Effect":"Deny","NotAction":"ssm:GetParameter","Resource":"*"}"#]),
            get,
            PARAM,
        )
        .allows("p#All"),
        // --- Resources ---
        case("resource wildcard *", doc(&[r#"{"Sid":"A","Effect":"Allow","Action":"ssm:GetParameter","Resource":"arn:aws:ssm:*:*:parameter/app/*"}"#]), get, PARAM).allows("p#A"),
        case("resource * spans / and :", doc(&[r#"{"Sid":"A","Effect":"Allow","Action":"ssm:GetParameter","Resource":"arn:aws:ssm:us-east-1:*:*/db"}"#]), "ssm:GetParameter", "arn:aws:ssm:us-east-1:123456789012:x:parameter/app/prod/db").allows("p#A"),
        case("resource ?", doc(&[r#"{"Sid":"A","Effect":"Allow","Action":"ssm:GetParameter","Resource":"arn:aws:ssm:us-east-?:123456789012:parameter/app/pro?/db"}"#]), get, PARAM).allows("p#A"),
        case("resource is case-sensitive", doc(&[r#"{"Sid":"A","Effect":"Allow","Action":"ssm:GetParameter","Resource":"arn:aws:ssm:*:*:parameter/App/*"}"#]), get, PARAM).implicit(),
        case("resource must match whole", doc(&[r#"{"Sid":"A","Effect":"Allow","Action":"ssm:GetParameter","Resource":"arn:aws:ssm:us-east-1:123456789012:parameter/app"}"#]), get, PARAM).implicit(),
        case("other resource", doc(&[r#"{"Sid":"A","Effect":"Allow","Action":"ssm:GetParameter","Resource":"arn:aws:ssm:*:*:parameter/app/dev/*"}"#]), get, PARAM).implicit(),
        case("NotResource allows the others", doc(&[r#"{"Sid":"A","Effect":"Allow","Action":"ssm:GetParameter","NotResource":"arn:aws:ssm:*:*:parameter/app/prod/*"}"#]), get, DEV_PARAM).allows("p#A"),
        case("NotResource excludes what it lists", doc(&[r#"{"Sid":"A","Effect":"Allow","Action":"ssm:GetParameter","NotResource":["arn:aws:ssm:*:*:parameter/x","arn:aws:ssm:*:*:parameter/app/prod/*"]}"#]), get, PARAM).implicit(),
        case(
            "Deny NotResource fences a prefix",
            doc(&[ALLOW_ALL, r#"{"Sid":"D","Effect":"Deny","Action":"ssm:*","NotResource":"arn:aws:ssm:*:*:parameter/app/dev/*"}"#]),
            get,
            PARAM,
        )
        .denies("p#D"),
        // --- Explicit deny ---
        case(
            "explicit deny beats allow in the same policy",
            doc(&[ALLOW_ALL, r#"{"Sid":"D","Effect":"Deny","Action":"ssm:GetParameter","Resource":"arn:aws:ssm:*:*:parameter/app/prod/*"}"#]),
            get,
            PARAM,
        )
        .denies("p#D"),
        case("explicit deny beats allow across identity policies", doc(&[ALLOW_ALL]), get, PARAM)
            .more_identity("q", doc(&[r#"{"Sid":"D","Effect":"Deny","Action":"ssm:*","Resource":"*"}"#]))
            .denies("q#D"),
        case("deny that does not apply", doc(&[ALLOW_ALL, r#"{"Sid":"D","Effect":"Deny","Action":"ssm:Delete*","Resource":"*"}"#]), get, PARAM).allows("p#All"),
        case("deny alone is not an allow", doc(&[r#"{"Sid":"D","Effect":"Deny","Action":"ssm:Delete*","Resource":"*"}"#]), get, PARAM).implicit(),
        // --- String operators ---
        cond("StringEquals matches", r#"{"StringEquals":{"aws:username":"alice"}}"#).allows("p#C"),
        cond("StringEquals is case-sensitive", r#"{"StringEquals":{"aws:username":"Alice"}}"#).implicit(),
        cond("StringEquals takes * literally", r#"{"StringEquals":{"aws:username":"ali*"}}"#).implicit(),
        cond("StringEquals values OR", r#"{"StringEquals":{"aws:username":["bob","alice"]}}"#).allows("p#C"),
        cond("StringNotEquals matches", r#"{"StringNotEquals":{"aws:username":"bob"}}"#).allows("p#C"),
        cond("StringNotEquals no match", r#"{"StringNotEquals":{"aws:username":"alice"}}"#).implicit(),
        cond("StringNotEquals values NOR", r#"{"StringNotEquals":{"aws:username":["bob","alice"]}}"#).implicit(),
        cond("StringEqualsIgnoreCase matches", r#"{"StringEqualsIgnoreCase":{"aws:username":"ALICE"}}"#).allows("p#C"),
        cond("StringEqualsIgnoreCase no match", r#"{"StringEqualsIgnoreCase":{"aws:username":"bob"}}"#).implicit(),
        cond("StringNotEqualsIgnoreCase matches", r#"{"StringNotEqualsIgnoreCase":{"aws:username":"BOB"}}"#).allows("p#C"),
        cond("StringNotEqualsIgnoreCase no match", r#"{"StringNotEqualsIgnoreCase":{"aws:username":"ALICE"}}"#).implicit(),
        cond("StringLike *", r#"{"StringLike":{"aws:PrincipalTag/team":"pay*"}}"#).allows("p#C"),
        cond("StringLike ?", r#"{"StringLike":{"aws:PrincipalTag/team":"pa?ments"}}"#).allows("p#C"),
        cond("StringLike no match", r#"{"StringLike":{"aws:PrincipalTag/team":"pay?"}}"#).implicit(),
        cond("StringNotLike matches", r#"{"StringNotLike":{"aws:PrincipalTag/team":"ops-*"}}"#).allows("p#C"),
        cond("StringNotLike no match", r#"{"StringNotLike":{"aws:PrincipalTag/team":"pay*"}}"#).implicit(),
        cond("key names are case-insensitive", r#"{"StringEquals":{"AWS:USERNAME":"alice"}}"#).allows("p#C"),
        cond("tag keys are case-insensitive", r#"{"StringEquals":{"aws:PrincipalTag/TEAM":"payments","ssm:ResourceTag/env":"prod"}}"#).allows("p#C"),
        cond("keys AND", r#"{"StringEquals":{"aws:username":"alice","aws:PrincipalTag/team":"ops"}}"#).implicit(),
        cond("operators AND", r#"{"StringEquals":{"aws:username":"alice"},"Bool":{"aws:SecureTransport":"false"}}"#).implicit(),
        cond("operators AND, all true", r#"{"StringEquals":{"aws:username":"alice"},"Bool":{"aws:SecureTransport":"true"}}"#).allows("p#C"),
        cond("ssm:ResourceTag", r#"{"StringEquals":{"ssm:ResourceTag/Env":"prod"}}"#).allows("p#C"),
        cond("secretsmanager:ResourceTag", r#"{"StringEquals":{"secretsmanager:ResourceTag/Env":"prod"}}"#).allows("p#C"),
        cond("aws:ResourceTag no match", r#"{"StringEquals":{"aws:ResourceTag/Env":"staging"}}"#).implicit(),
        cond("resource tags not loaded: positive is false", r#"{"StringEquals":{"aws:ResourceTag/Env":"prod"}}"#)
            .with(|c| c.resource_tags = None)
            .implicit(),
        cond("resource tags not loaded: negated is true", r#"{"StringNotEquals":{"aws:ResourceTag/Env":"staging"}}"#)
            .with(|c| c.resource_tags = None)
            .allows("p#C"),
        cond("extra keys", r#"{"StringEquals":{"Custom:Flag":"on"}}"#).allows("p#C"),
        cond("aws:PrincipalType", r#"{"StringEquals":{"aws:PrincipalType":"AssumedRole"}}"#).with(as_session).allows("p#C"),
        // --- Missing keys ---
        cond("missing key: StringEquals is false", r#"{"StringEquals":{"aws:username":"alice"}}"#).with(as_session).implicit(),
        cond("missing key: StringNotEquals is true", r#"{"StringNotEquals":{"aws:username":"alice"}}"#).with(as_session).allows("p#C"),
        cond("missing key: StringLike is false", r#"{"StringLike":{"custom:absent":"*"}}"#).implicit(),
        cond("missing key: StringNotLike is true", r#"{"StringNotLike":{"custom:absent":"x"}}"#).allows("p#C"),
        cond("missing key: ArnNotLike is true", r#"{"ArnNotLike":{"custom:absent":"arn:aws:iam::*:user/*"}}"#).allows("p#C"),
        cond("missing key: NumericLessThan is false", r#"{"NumericLessThan":{"custom:absent":"10"}}"#).implicit(),
        // --- ARN operators ---
        cond("ArnEquals", &format!(r#"{{"ArnEquals":{{"aws:PrincipalArn":"{ALICE}"}}}}"#)).allows("p#C"),
        cond("ArnEquals no match", &format!(r#"{{"ArnEquals":{{"aws:PrincipalArn":"{BOB}"}}}}"#)).implicit(),
        cond("ArnLike", r#"{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:user/*"}}"#).allows("p#C"),
        cond("ArnLike no match", r#"{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/*"}}"#).implicit(),
        cond("ArnLike compares component by component", r#"{"ArnLike":{"custom:arn":"arn:aws:ssm:*:123456789012:parameter/x"}}"#).implicit(),
        cond("ArnLike component wildcard", r#"{"ArnLike":{"custom:arn":"arn:aws:ssm:u?:east:123456789012:parameter/x"}}"#).allows("p#C"),
        cond("ArnLike with variables", r#"{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::${aws:PrincipalAccount}:user/${aws:username}"}}"#).allows("p#C"),
        cond("ArnNotEquals", &format!(r#"{{"ArnNotEquals":{{"aws:PrincipalArn":"{BOB}"}}}}"#)).allows("p#C"),
        cond("ArnNotLike", r#"{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/*"}}"#).allows("p#C"),
        cond("ArnNotLike no match", r#"{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:user/*"}}"#).implicit(),
        cond("ArnLike role ARN of a session", r#"{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/app"}}"#).with(as_session).allows("p#C"),
        // --- Numeric operators (custom:count = 5) ---
        cond("NumericEquals", r#"{"NumericEquals":{"custom:count":"5"}}"#).allows("p#C"),
        cond("NumericEquals no match", r#"{"NumericEquals":{"custom:count":6}}"#).implicit(),
        cond("NumericNotEquals", r#"{"NumericNotEquals":{"custom:count":"6"}}"#).allows("p#C"),
        cond("NumericNotEquals no match", r#"{"NumericNotEquals":{"custom:count":"5.0"}}"#).implicit(),
        cond("NumericLessThan", r#"{"NumericLessThan":{"custom:count":"6"}}"#).allows("p#C"),
        cond("NumericLessThan no match", r#"{"NumericLessThan":{"custom:count":"5"}}"#).implicit(),
        cond("NumericLessThanEquals", r#"{"NumericLessThanEquals":{"custom:count":"5"}}"#).allows("p#C"),
        cond("NumericLessThanEquals no match", r#"{"NumericLessThanEquals":{"custom:count":"4.5"}}"#).implicit(),
        cond("NumericGreaterThan", r#"{"NumericGreaterThan":{"custom:count":"4"}}"#).allows("p#C"),
        cond("NumericGreaterThan no match", r#"{"NumericGreaterThan":{"custom:count":"5"}}"#).implicit(),
        cond("NumericGreaterThanEquals", r#"{"NumericGreaterThanEquals":{"custom:count":"5"}}"#).allows("p#C"),
        cond("NumericGreaterThanEquals no match", r#"{"NumericGreaterThanEquals":{"custom:count":"7"}}"#).implicit(),
        cond("Numeric on a non-number is false", r#"{"NumericEquals":{"custom:flag":"1"}}"#).implicit(),
        cond("Numeric on aws:EpochTime", r#"{"NumericLessThan":{"aws:EpochTime":"1800000000"}}"#).allows("p#C"),
        // --- Date operators (now = 2026-03-01T12:00:00Z) ---
        cond("DateLessThan", r#"{"DateLessThan":{"aws:CurrentTime":"2027-01-01T00:00:00Z"}}"#).allows("p#C"),
        cond("DateLessThan no match", r#"{"DateLessThan":{"aws:CurrentTime":"2026-01-01"}}"#).implicit(),
        cond("DateLessThanEquals", r#"{"DateLessThanEquals":{"aws:CurrentTime":"2026-03-01T12:00:00Z"}}"#).allows("p#C"),
        cond("DateLessThanEquals no match", r#"{"DateLessThanEquals":{"aws:CurrentTime":"2026-03-01T11:59:59Z"}}"#).implicit(),
        cond("DateGreaterThan", r#"{"DateGreaterThan":{"aws:CurrentTime":"2026-01-01"}}"#).allows("p#C"),
        cond("DateGreaterThan no match", r#"{"DateGreaterThan":{"aws:CurrentTime":"2026-03-01T12:00:00Z"}}"#).implicit(),
        cond("DateGreaterThanEquals", r#"{"DateGreaterThanEquals":{"aws:CurrentTime":"2026-03-01T14:00:00+02:00"}}"#).allows("p#C"),
        cond("DateGreaterThanEquals no match", r#"{"DateGreaterThanEquals":{"aws:CurrentTime":"2026-03-02"}}"#).implicit(),
        cond("DateEquals", r#"{"DateEquals":{"aws:CurrentTime":"2026-03-01T12:00:00"}}"#).allows("p#C"),
        cond("DateEquals no match", r#"{"DateEquals":{"aws:CurrentTime":"2026-03-01"}}"#).implicit(),
        cond("DateNotEquals", r#"{"DateNotEquals":{"aws:CurrentTime":"2026-03-01"}}"#).allows("p#C"),
        cond("DateNotEquals no match", r#"{"DateNotEquals":{"aws:CurrentTime":"1772366400"}}"#).implicit(),
        cond("Date in epoch seconds", r#"{"DateGreaterThan":{"aws:CurrentTime":"1700000000"}}"#).allows("p#C"),
        cond("Date on aws:EpochTime", r#"{"DateLessThan":{"aws:EpochTime":"2030-01-01T00:00:00Z"}}"#).allows("p#C"),
        cond("Date on a context string (epoch seconds)", r#"{"DateLessThan":{"custom:count":"2030-01-01"}}"#).allows("p#C"),
        cond("Date on a non-date is false", r#"{"DateLessThan":{"custom:flag":"2030-01-01"}}"#).implicit(),
        // --- Bool ---
        cond("Bool true", r#"{"Bool":{"aws:SecureTransport":"true"}}"#).allows("p#C"),
        cond("Bool as a JSON boolean", r#"{"Bool":{"aws:SecureTransport":true}}"#).allows("p#C"),
        cond("Bool false no match", r#"{"Bool":{"aws:SecureTransport":"false"}}"#).implicit(),
        cond("Bool false matches plain HTTP", r#"{"Bool":{"aws:SecureTransport":"false"}}"#)
            .with(|c| c.secure_transport = false)
            .allows("p#C"),
        cond("Bool on a non-boolean is false", r#"{"Bool":{"custom:flag":"true"}}"#).implicit(),
        // --- IP addresses (10.1.2.3) ---
        cond("IpAddress CIDR", r#"{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#).allows("p#C"),
        cond("IpAddress plain address", r#"{"IpAddress":{"aws:SourceIp":"10.1.2.3"}}"#).allows("p#C"),
        cond("IpAddress list", r#"{"IpAddress":{"aws:SourceIp":["192.168.0.0/16","10.1.2.0/24"]}}"#).allows("p#C"),
        cond("IpAddress no match", r#"{"IpAddress":{"aws:SourceIp":["192.168.0.0/16","2001:db8::/32"]}}"#).implicit(),
        cond("IpAddress IPv6", r#"{"IpAddress":{"aws:SourceIp":"2001:db8::/32"}}"#)
            .with(|c| c.source_ip = Some("2001:db8::1".parse().unwrap()))
            .allows("p#C"),
        cond("IpAddress IPv4-mapped client", r#"{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#)
            .with(|c| c.source_ip = Some("::ffff:10.9.9.9".parse().unwrap()))
            .allows("p#C"),
        cond("NotIpAddress", r#"{"NotIpAddress":{"aws:SourceIp":"192.168.0.0/16"}}"#).allows("p#C"),
        cond("NotIpAddress no match", r#"{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#).implicit(),
        cond("missing IP: IpAddress is false", r#"{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}"#)
            .with(|c| c.source_ip = None)
            .implicit(),
        cond("missing IP: NotIpAddress is true", r#"{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#)
            .with(|c| c.source_ip = None)
            .allows("p#C"),
        // --- Null ---
        cond("Null false: key present", r#"{"Null":{"aws:username":"false"}}"#).allows("p#C"),
        cond("Null true: key present", r#"{"Null":{"aws:username":"true"}}"#).implicit(),
        cond("Null true: key absent", r#"{"Null":{"aws:ResourceTag/team":"true"}}"#).allows("p#C"),
        cond("Null false: key absent", r#"{"Null":{"aws:username":"false"}}"#).with(as_session).implicit(),
        // --- IfExists ---
        cond("IfExists: absent key", r#"{"StringEqualsIfExists":{"aws:ResourceTag/team":"x"}}"#).allows("p#C"),
        cond("IfExists: present, matching", r#"{"StringEqualsIfExists":{"aws:ResourceTag/env":"prod"}}"#).allows("p#C"),
        cond("IfExists: present, not matching", r#"{"StringEqualsIfExists":{"aws:ResourceTag/env":"staging"}}"#).implicit(),
        cond("IfExists on IpAddress, absent", r#"{"IpAddressIfExists":{"aws:SourceIp":"192.168.0.0/16"}}"#)
            .with(|c| c.source_ip = None)
            .allows("p#C"),
        cond("IfExists on a negated operator, present", r#"{"StringNotLikeIfExists":{"aws:username":"al*"}}"#).implicit(),
        cond("IfExists on Date, absent", r#"{"DateLessThanIfExists":{"custom:expires":"2020-01-01"}}"#).allows("p#C"),
        // --- Set qualifiers (single-valued keys are one-element sets) ---
        cond("ForAnyValue present", r#"{"ForAnyValue:StringEquals":{"aws:username":["bob","alice"]}}"#).allows("p#C"),
        cond("ForAnyValue absent is false", r#"{"ForAnyValue:StringEquals":{"aws:ResourceTag/team":"x"}}"#).implicit(),
        cond("ForAllValues present, not matching", r#"{"ForAllValues:StringEquals":{"aws:ResourceTag/env":"staging"}}"#).implicit(),
        cond("ForAllValues absent is true", r#"{"ForAllValues:StringEquals":{"aws:ResourceTag/team":"x"}}"#).allows("p#C"),
        cond("ForAnyValue negated absent is false", r#"{"ForAnyValue:StringNotEquals":{"aws:ResourceTag/team":"x"}}"#).implicit(),
        // --- Policy variables ---
        case("variable in Resource", doc(&[r#"{"Sid":"A","Effect":"Allow","Action":"ssm:GetParameter","Resource":"arn:aws:ssm:*:*:parameter/home/${aws:username}/*"}"#]), get, "arn:aws:ssm:us-east-1:123456789012:parameter/home/alice/x").allows("p#A"),
        case("variable in Resource, other user's path", doc(&[r#"{"Sid":"A","Effect":"Allow","Action":"ssm:GetParameter","Resource":"arn:aws:ssm:*:*:parameter/home/${aws:username}/*"}"#]), get, "arn:aws:ssm:us-east-1:123456789012:parameter/home/bob/x").implicit(),
        case("variable with a missing key matches nothing", doc(&[r#"{"Sid":"A","Effect":"Allow","Action":"ssm:GetParameter","Resource":"arn:aws:ssm:*:*:parameter/home/${aws:username}*"}"#]), get, "arn:aws:ssm:us-east-1:123456789012:parameter/home/x").with(as_session).implicit(),
        case("variable default for a missing key", doc(&[r#"{"Sid":"A","Effect":"Allow","Action":"ssm:GetParameter","Resource":"arn:aws:ssm:*:*:parameter/home/${aws:username, 'shared'}/*"}"#]), get, "arn:aws:ssm:us-east-1:123456789012:parameter/home/shared/x").with(as_session).allows("p#A"),
        case("variable from a principal tag", doc(&[r#"{"Sid":"A","Effect":"Allow","Action":"ssm:GetParameter","Resource":"arn:aws:ssm:*:*:parameter/${aws:PrincipalTag/team}/*"}"#]), get, "arn:aws:ssm:us-east-1:123456789012:parameter/payments/key").allows("p#A"),
        case("variable value is literal, not a wildcard", doc(&[r#"{"Sid":"A","Effect":"Allow","Action":"ssm:GetParameter","Resource":"arn:aws:ssm:*:*:parameter/${aws:PrincipalTag/team}"}"#]), get, "arn:aws:ssm:us-east-1:123456789012:parameter/anything")
            .with(|c| c.principal_tags = vec![tag("team", "*")])
            .implicit(),
        case("variables are literal in Version 2008", r#"{"Version":"2008-10-17","Statement":{"Sid":"A","Effect":"Allow","Action":"ssm:GetParameter","Resource":"arn:aws:ssm:*:*:parameter/home/${aws:username}/*"}}"#.to_owned(), get, "arn:aws:ssm:us-east-1:123456789012:parameter/home/alice/x").implicit(),
        case("Version 2008 text matches literally", r#"{"Statement":{"Sid":"A","Effect":"Allow","Action":"ssm:GetParameter","Resource":"arn:aws:ssm:*:*:parameter/home/${aws:username}/x"}}"#.to_owned(), get, "arn:aws:ssm:us-east-1:123456789012:parameter/home/${aws:username}/x").allows("p#A"),
        case("escapes ${*} ${?} ${$}", doc(&[r#"{"Sid":"A","Effect":"Allow","Action":"ssm:GetParameter","Resource":"arn:aws:ssm:*:*:parameter/a${*}b${?}c${$}"}"#]), get, "arn:aws:ssm:us-east-1:123456789012:parameter/a*b?c$").allows("p#A"),
        case("escaped * is not a wildcard", doc(&[r#"{"Sid":"A","Effect":"Allow","Action":"ssm:GetParameter","Resource":"arn:aws:ssm:*:*:parameter/a${*}"}"#]), get, "arn:aws:ssm:us-east-1:123456789012:parameter/abc").implicit(),
        cond("variable in a condition value", r#"{"StringEquals":{"aws:ResourceTag/owner":"${aws:username}"}}"#).allows("p#C"),
        cond("variable in a condition value, other owner", r#"{"StringEquals":{"aws:ResourceTag/owner":"${aws:username}"}}"#)
            .with(|c| c.resource_tags = Some(vec![tag("owner", "bob")]))
            .implicit(),
        cond("variable with wildcard in StringLike", r#"{"StringLike":{"custom:name":"${aws:username}-*"}}"#).allows("p#C"),
        cond("unresolvable variable makes a negated operator false", r#"{"StringNotEquals":{"aws:ResourceTag/owner":"${aws:username}"}}"#).with(as_session).implicit(),
        cond("unresolvable variable: other values still match", r#"{"StringEquals":{"aws:ResourceTag/owner":["${aws:username}","alice"]}}"#).with(as_session).allows("p#C"),
        case("variable in NotResource, unresolvable: statement does not apply", doc(&[r#"{"Sid":"D","Effect":"Allow","Action":"ssm:GetParameter","NotResource":"arn:aws:ssm:*:*:parameter/home/${aws:username}/*"}"#]), get, PARAM).with(as_session).implicit(),
        // --- Resource policies: principals ---
        case("resource policy names the caller", String::new(), "secretsmanager:GetSecretValue", SECRET)
            .resource_policy(doc(&[&format!(r#"{{"Sid":"R","Effect":"Allow","Principal":{{"AWS":"{ALICE}"}},"Action":"secretsmanager:GetSecretValue","Resource":"*"}}"#)]))
            .allows("resource-policy#R"),
        case("resource policy names someone else", String::new(), "secretsmanager:GetSecretValue", SECRET)
            .resource_policy(doc(&[&format!(r#"{{"Sid":"R","Effect":"Allow","Principal":{{"AWS":["{BOB}","arn:aws:iam::123456789012:user/carol"]}},"Action":"secretsmanager:GetSecretValue","Resource":"*"}}"#)]))
            .implicit(),
        case("resource policy naming a role grants its sessions", String::new(), "secretsmanager:GetSecretValue", SECRET)
            .resource_policy(doc(&[&format!(r#"{{"Sid":"R","Effect":"Allow","Principal":{{"AWS":"{ROLE}"}},"Action":"secretsmanager:GetSecretValue","Resource":"*"}}"#)]))
            .with(as_session)
            .allows("resource-policy#R"),
        case("resource policy naming the session", String::new(), "secretsmanager:GetSecretValue", SECRET)
            .resource_policy(doc(&[&format!(r#"{{"Sid":"R","Effect":"Allow","Principal":{{"AWS":"{SESSION}"}},"Action":"secretsmanager:GetSecretValue","Resource":"*"}}"#)]))
            .with(as_session)
            .allows("resource-policy#R"),
        case("resource policy Principal \"*\"", String::new(), "secretsmanager:GetSecretValue", SECRET)
            .resource_policy(doc(&[r#"{"Sid":"R","Effect":"Allow","Principal":"*","Action":"secretsmanager:GetSecretValue","Resource":"*"}"#]))
            .allows("resource-policy#R"),
        case("resource policy {\"AWS\":\"*\"}", String::new(), "secretsmanager:GetSecretValue", SECRET)
            .resource_policy(doc(&[r#"{"Sid":"R","Effect":"Allow","Principal":{"AWS":"*"},"Action":"secretsmanager:GetSecretValue"}"#]))
            .allows("resource-policy#R"),
        case("resource policy statement for another action", String::new(), "secretsmanager:PutSecretValue", SECRET)
            .resource_policy(doc(&[r#"{"Sid":"R","Effect":"Allow","Principal":"*","Action":"secretsmanager:GetSecretValue","Resource":"*"}"#]))
            .implicit(),
        case("account root Allow delegates: no grant alone", String::new(), "secretsmanager:GetSecretValue", SECRET)
            .resource_policy(doc(&[r#"{"Sid":"R","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"secretsmanager:*","Resource":"*"}"#]))
            .implicit(),
        case("account id Allow delegates: no grant alone", String::new(), "secretsmanager:GetSecretValue", SECRET)
            .resource_policy(doc(&[r#"{"Sid":"R","Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"secretsmanager:*","Resource":"*"}"#]))
            .implicit(),
        case("account root Allow delegates to identity policies", doc(&[r#"{"Sid":"I","Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"*"}"#]), "secretsmanager:GetSecretValue", SECRET)
            .resource_policy(doc(&[r#"{"Sid":"R","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"secretsmanager:*","Resource":"*"}"#]))
            .allows("p#I"),
        case("account root Deny denies every principal of the account", doc(&[ALLOW_ALL]), "secretsmanager:GetSecretValue", SECRET)
            .resource_policy(doc(&[r#"{"Sid":"R","Effect":"Deny","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"secretsmanager:*","Resource":"*"}"#]))
            .with(as_session)
            .denies("resource-policy#R"),
        case("account id Deny", doc(&[ALLOW_ALL]), "secretsmanager:GetSecretValue", SECRET)
            .resource_policy(doc(&[r#"{"Sid":"R","Effect":"Deny","Principal":{"AWS":"123456789012"},"Action":"secretsmanager:*","Resource":"*"}"#]))
            .denies("resource-policy#R"),
        case("another account never matches", doc(&[ALLOW_ALL]), "secretsmanager:GetSecretValue", SECRET)
            .resource_policy(doc(&[r#"{"Sid":"R","Effect":"Deny","Principal":{"AWS":["999999999999","arn:aws:iam::999999999999:root","arn:aws:iam::999999999999:user/alice"]},"Action":"*","Resource":"*"}"#]))
            .allows("p#All"),
        case("another account's grant is no grant", String::new(), "secretsmanager:GetSecretValue", SECRET)
            .resource_policy(doc(&[r#"{"Sid":"R","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999999999999:root"},"Action":"*","Resource":"*"}"#]))
            .implicit(),
        case("Service principals never match", String::new(), "secretsmanager:GetSecretValue", SECRET)
            .resource_policy(doc(&[r#"{"Sid":"R","Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"*","Resource":"*"}"#]))
            .implicit(),
        case("NotPrincipal Deny hits the others", doc(&[ALLOW_ALL]), "secretsmanager:GetSecretValue", SECRET)
            .resource_policy(doc(&[&format!(r#"{{"Sid":"R","Effect":"Deny","NotPrincipal":{{"AWS":"{BOB}"}},"Action":"*","Resource":"*"}}"#)]))
            .denies("resource-policy#R"),
        case("NotPrincipal Deny spares who it lists", doc(&[ALLOW_ALL]), "secretsmanager:GetSecretValue", SECRET)
            .resource_policy(doc(&[&format!(r#"{{"Sid":"R","Effect":"Deny","NotPrincipal":{{"AWS":"{BOB}"}},"Action":"*","Resource":"*"}}"#)]))
            .with(as_bob)
            .allows("p#All"),
        case("NotPrincipal account spares the account", doc(&[ALLOW_ALL]), "secretsmanager:GetSecretValue", SECRET)
            .resource_policy(doc(&[r#"{"Sid":"R","Effect":"Deny","NotPrincipal":{"AWS":"123456789012"},"Action":"*","Resource":"*"}"#]))
            .allows("p#All"),
        case("resource-policy Deny beats identity Allow", doc(&[ALLOW_ALL]), "secretsmanager:GetSecretValue", SECRET)
            .resource_policy(doc(&[r#"{"Sid":"R","Effect":"Deny","Principal":"*","Action":"secretsmanager:GetSecretValue","Resource":"*"}"#]))
            .denies("resource-policy#R"),
        case("identity Deny beats resource-policy Allow", doc(&[r#"{"Sid":"D","Effect":"Deny","Action":"secretsmanager:*","Resource":"*"}"#]), "secretsmanager:GetSecretValue", SECRET)
            .resource_policy(doc(&[&format!(r#"{{"Sid":"R","Effect":"Allow","Principal":{{"AWS":"{ALICE}"}},"Action":"*","Resource":"*"}}"#)]))
            .denies("p#D"),
        case("identity Allow is reported before a resource-policy Allow", doc(&[ALLOW_ALL]), "secretsmanager:GetSecretValue", SECRET)
            .resource_policy(doc(&[r#"{"Sid":"R","Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}"#]))
            .allows("p#All"),
        case("resource policy Resource is checked", String::new(), "secretsmanager:GetSecretValue", SECRET)
            .resource_policy(doc(&[r#"{"Sid":"R","Effect":"Allow","Principal":"*","Action":"*","Resource":"arn:aws:secretsmanager:*:*:secret:dev/*"}"#]))
            .implicit(),
        case("resource policy with conditions", String::new(), "secretsmanager:GetSecretValue", SECRET)
            .resource_policy(doc(&[r#"{"Sid":"R","Effect":"Deny","Principal":"*","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}},{"Sid":"S","Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}"#]))
            .allows("resource-policy#S"),
    ]
}

#[test]
fn the_table() {
    let mut failures = Vec::new();
    let cases = cases();
    for case in &cases {
        let identity: Vec<(&str, Policy)> = case
            .identity
            .iter()
            .filter(|(_, json)| !json.is_empty())
            .map(|(name, json)| {
                let policy = Policy::parse_identity(json)
                    .unwrap_or_else(|e| panic!("{}: identity policy: {e}", case.name));
                (*name, policy)
            })
            .collect();
        let identity: Vec<(&str, &Policy)> = identity.iter().map(|(n, p)| (*n, p)).collect();
        let resource = case.resource_policy.as_ref().map(|json| {
            Policy::parse_resource(json)
                .unwrap_or_else(|e| panic!("{}: resource policy: {e}", case.name))
        });
        let mut owned = Owned::alice();
        (case.setup)(&mut owned);
        let context = owned.context();
        let request = Request {
            action: case.action,
            resource: case.resource,
            context: &context,
        };
        let decision = evaluate(&identity, resource.as_ref(), &request);
        let by = decision.statement.as_ref().map(ToString::to_string);
        if decision.outcome != case.expect || by.as_deref() != case.by {
            failures.push(format!(
                "{}: got {} by {by:?}, expected {} by {:?}",
                case.name, decision.outcome, case.expect, case.by
            ));
        }
        assert_eq!(decision.allowed(), decision.outcome == Outcome::Allow);
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn no_policies_is_an_implicit_deny() {
    context_with(|context| {
        let request = Request {
            action: "ssm:GetParameter",
            resource: PARAM,
            context,
        };
        let decision = evaluate(&[], None, &request);
        assert_eq!(
            decision,
            Decision {
                outcome: Outcome::ImplicitDeny,
                statement: None
            }
        );
        assert!(!decision.allowed());
    });
}

#[test]
fn statement_refs_display_sid_or_index() {
    let with_sid = StatementRef {
        policy: "dev".to_owned(),
        index: 3,
        sid: Some("ReadProd".to_owned()),
    };
    assert_eq!(with_sid.to_string(), "dev#ReadProd");
    let without = StatementRef {
        sid: None,
        ..with_sid
    };
    assert_eq!(without.to_string(), "dev#3");
}

// ---------------------------------------------------------------------------
// Parse errors

fn identity_error(json: &str) -> String {
    match Policy::parse_identity(json) {
        Ok(_) => panic!("accepted: {json}"),
        Err(error) => error.to_string(),
    }
}

fn resource_error(json: &str) -> String {
    match Policy::parse_resource(json) {
        Ok(_) => panic!("accepted: {json}"),
        Err(error) => error.to_string(),
    }
}

fn statement(body: &str) -> String {
    format!(r#"{{"Version":"2012-10-17","Statement":[{body}]}}"#)
}

#[test]
fn parse_errors_say_what_and_where() {
    let ok = r#"{"Effect":"Allow","Action":"ssm:GetParameter","Resource":"*"}"#;
    let cases: Vec<(String, &str)> = vec![
        ("not json".to_owned(), "not valid JSON"),
        ("[]".to_owned(), "must be a JSON object"),
        (r#"{"Version":"2012-10-17"}"#.to_owned(), "no Statement"),
        (
            r#"{"Version":"2012-10-17","Statement":[]}"#.to_owned(),
            "empty",
        ),
        (
            r#"{"Version":"2012-10-17","Statement":"x"}"#.to_owned(),
            "Statement must be an object",
        ),
        (
            format!(r#"{{"Version":"2012-10-18","Statement":[{ok}]}}"#),
            "Version must be \"2012-10-17\" or \"2008-10-17\"",
        ),
        (
            format!(r#"{{"Version":"2012-10-17","Statment":[{ok}]}}"#),
            "unknown top-level element \"Statment\"",
        ),
        (
            format!(r#"{{"Version":"2012-10-17","Id":1,"Statement":[{ok}]}}"#),
            "Id must be a string",
        ),
        (
            statement(&format!(
                r#"{ok},{{"Sid":"ReadProd","Effect":"allow","Action":"ssm:GetParameter","Resource":"*"}}"#
            )),
            "Statement 2 (Sid \"ReadProd\"): Effect must be \"Allow\" or \"Deny\", not \"allow\"",
        ),
        (
            statement(r#"{"Action":"ssm:GetParameter","Resource":"*"}"#),
            "Statement 1: Effect is missing",
        ),
        (
            statement(
                r#"{"Sid":"a-b","Effect":"Allow","Action":"ssm:GetParameter","Resource":"*"}"#,
            ),
            "Sid must be alphanumeric",
        ),
        (
            statement(
                r#"{"Sid":"A","Effect":"Allow","Action":"ssm:GetParameter","Resource":"*"},{"Sid":"A","Effect":"Deny","Action":"ssm:GetParameter","Resource":"*"}"#,
            ),
            "Statement 2 (Sid \"A\"): Sid is used by an earlier statement",
        ),
        (
            statement(r#"{"Effect":"Allow","Actions":"ssm:GetParameter","Resource":"*"}"#),
            "unknown element \"Actions\"",
        ),
        (
            statement(r#"{"Effect":"Allow","Resource":"*"}"#),
            "Action or NotAction is missing",
        ),
        (
            statement(
                r#"{"Effect":"Allow","Action":"ssm:GetParameter","NotAction":"ssm:Put*","Resource":"*"}"#,
            ),
            "either Action or NotAction, not both",
        ),
        (
            statement(r#"{"Effect":"Allow","Action":"ssm:GetParameter"}"#),
            "Resource or NotResource is missing",
        ),
        (
            statement(
                r#"{"Effect":"Allow","Action":"ssm:GetParameter","Resource":"*","NotResource":"*"}"#,
            ),
            "either Resource or NotResource, not both",
        ),
        (
            statement(r#"{"Effect":"Allow","Action":[],"Resource":"*"}"#),
            "Action is an empty list",
        ),
        (
            statement(r#"{"Effect":"Allow","Action":[1],"Resource":"*"}"#),
            "Action must be a string or a list of strings",
        ),
        (
            statement(r#"{"Effect":"Allow","Action":"GetParameter","Resource":"*"}"#),
            "Action \"GetParameter\" must be \"*\" or \"service:ActionName\"",
        ),
        (
            statement(r#"{"Effect":"Allow","NotAction":"ssm:","Resource":"*"}"#),
            "NotAction \"ssm:\" must be",
        ),
        (
            statement(r#"{"Effect":"Allow","Action":"ssm:GetParameter","Resource":"/app/*"}"#),
            "Resource \"/app/*\" must be \"*\" or an ARN",
        ),
        (
            statement(
                r#"{"Effect":"Allow","Action":"ssm:GetParameter","NotResource":"arn:aws:ssm:*"}"#,
            ),
            "NotResource \"arn:aws:ssm:*\" must be",
        ),
        (
            statement(
                r#"{"Effect":"Allow","Action":"ssm:GetParameter","Resource":"arn:aws:ssm:*:*:parameter/${aws:username"}"#,
            ),
            "closing",
        ),
        (
            statement(
                r#"{"Effect":"Allow","Action":"ssm:GetParameter","Resource":"arn:aws:ssm:*:*:parameter/${username}"}"#,
            ),
            "service:name",
        ),
        (
            statement(
                r#"{"Effect":"Allow","Principal":"*","Action":"ssm:GetParameter","Resource":"*"}"#,
            ),
            "identity policy's statements take no Principal",
        ),
        (
            statement(
                r#"{"Effect":"Allow","Action":"ssm:GetParameter","Resource":"*","Condition":[]}"#,
            ),
            "Condition must be an object",
        ),
        (
            statement(
                r#"{"Effect":"Allow","Action":"ssm:GetParameter","Resource":"*","Condition":{"StringEqual":{"aws:username":"a"}}}"#,
            ),
            "condition operator \"StringEqual\" is unknown",
        ),
        (
            statement(
                r#"{"Effect":"Allow","Action":"ssm:GetParameter","Resource":"*","Condition":{"StringEquals":"a"}}"#,
            ),
            "must map to an object",
        ),
        (
            statement(
                r#"{"Effect":"Allow","Action":"ssm:GetParameter","Resource":"*","Condition":{"StringEquals":{}}}"#,
            ),
            "names no key",
        ),
        (
            statement(
                r#"{"Effect":"Allow","Action":"ssm:GetParameter","Resource":"*","Condition":{"StringEquals":{"username":"a"}}}"#,
            ),
            "condition key \"username\" must have the form service:name",
        ),
        (
            statement(
                r#"{"Effect":"Allow","Action":"ssm:GetParameter","Resource":"*","Condition":{"StringEquals":{"aws:username":[]}}}"#,
            ),
            "the list of values is empty",
        ),
        (
            statement(
                r#"{"Effect":"Allow","Action":"ssm:GetParameter","Resource":"*","Condition":{"StringEquals":{"aws:username":{"a":1}}}}"#,
            ),
            "values must be strings",
        ),
        (
            statement(
                r#"{"Effect":"Allow","Action":"ssm:GetParameter","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/33"}}}"#,
            ),
            "Condition IpAddress on \"aws:SourceIp\": \"10.0.0.0/33\" is not an IP address or CIDR block",
        ),
        (
            statement(
                r#"{"Effect":"Allow","Action":"ssm:GetParameter","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":"10.0.0.256"}}}"#,
            ),
            "is not an IP address",
        ),
        (
            statement(
                r#"{"Effect":"Allow","Action":"ssm:GetParameter","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"next tuesday"}}}"#,
            ),
            "\"next tuesday\" is not a date",
        ),
        (
            statement(
                r#"{"Effect":"Allow","Action":"ssm:GetParameter","Resource":"*","Condition":{"DateEquals":{"aws:CurrentTime":"2026-02-30"}}}"#,
            ),
            "is not a date",
        ),
        (
            statement(
                r#"{"Effect":"Allow","Action":"ssm:GetParameter","Resource":"*","Condition":{"NumericLessThan":{"custom:n":"ten"}}}"#,
            ),
            "\"ten\" is not a number",
        ),
        (
            statement(
                r#"{"Effect":"Allow","Action":"ssm:GetParameter","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"yes"}}}"#,
            ),
            "\"yes\" is not true or false",
        ),
        (
            statement(
                r#"{"Effect":"Allow","Action":"ssm:GetParameter","Resource":"*","Condition":{"Null":{"aws:username":"maybe"}}}"#,
            ),
            "not true or false",
        ),
        (
            statement(
                r#"{"Effect":"Allow","Action":"ssm:GetParameter","Resource":"*","Condition":{"NullIfExists":{"aws:username":"true"}}}"#,
            ),
            "Null takes no IfExists",
        ),
        (
            statement(
                r#"{"Effect":"Allow","Action":"ssm:GetParameter","Resource":"*","Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*"}}}"#,
            ),
            "is not an ARN",
        ),
        (
            statement(
                r#"{"Effect":"Allow","Action":"ssm:GetParameter","Resource":"*","Condition":{"StringEquals":{"aws:username":"${aws:username, bob}"}}}"#,
            ),
            "single quotes",
        ),
        ("x".repeat(MAX_POLICY_CHARS + 1), "limit is 10240"),
    ];
    for (json, expected) in cases {
        let message = identity_error(&json);
        assert!(
            message.contains(expected),
            "for {}: {message:?} does not say {expected:?}",
            json.chars().take(200).collect::<String>()
        );
    }
}

#[test]
fn resource_policy_parse_errors() {
    let cases: Vec<(String, &str)> = vec![
        (
            statement(r#"{"Effect":"Allow","Action":"secretsmanager:*","Resource":"*"}"#),
            "needs Principal or NotPrincipal",
        ),
        (
            statement(
                r#"{"Effect":"Allow","Principal":"*","NotPrincipal":"*","Action":"*","Resource":"*"}"#,
            ),
            "either Principal or NotPrincipal, not both",
        ),
        (
            statement(r#"{"Effect":"Allow","Principal":"me","Action":"*"}"#),
            "Principal must be \"*\" or an object",
        ),
        (
            statement(r#"{"Effect":"Allow","Principal":{},"Action":"*"}"#),
            "Principal must be \"*\" or an object",
        ),
        (
            statement(r#"{"Effect":"Allow","Principal":{"IAM":"*"},"Action":"*"}"#),
            "Principal type \"IAM\" is unknown",
        ),
        (
            statement(r#"{"Effect":"Allow","Principal":{"AWS":[]},"Action":"*"}"#),
            "non-empty list",
        ),
        (
            statement(r#"{"Effect":"Allow","Principal":{"AWS":"alice"},"Action":"*"}"#),
            "12-digit account id or an ARN",
        ),
        (
            statement(r#"{"Effect":"Allow","Principal":{"AWS":"12345"},"Action":"*"}"#),
            "12-digit account id or an ARN",
        ),
        (
            statement(
                r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/*"},"Action":"*"}"#,
            ),
            "has a wildcard",
        ),
        (
            statement(
                r#"{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:s3:::bucket"},"Action":"*"}"#,
            ),
            "NotPrincipal AWS \"arn:aws:s3:::bucket\" must be an IAM user or role ARN",
        ),
    ];
    for (json, expected) in cases {
        let message = resource_error(&json);
        assert!(
            message.contains(expected),
            "for {json}: {message:?} does not say {expected:?}"
        );
    }
}

#[test]
fn valid_documents_parse() {
    // A single statement object, both versions, Id, number/bool condition values.
    let policy = Policy::parse_identity(
        r#"{"Id":"x","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NumericLessThan":{"custom:n":3},"Bool":{"aws:SecureTransport":true}}}}"#,
    )
    .unwrap();
    assert_eq!(policy.version(), Version::V2008);
    assert_eq!(policy.statement_count(), 1);
    // A role trust policy: no Resource.
    let trust = Policy::parse_resource(&statement(&format!(
        r#"{{"Effect":"Allow","Principal":{{"AWS":["{ALICE}","123456789012"]}},"Action":"sts:AssumeRole"}}"#
    )))
    .unwrap();
    assert_eq!(trust.version(), Version::V2012);
    // An empty Sid is no Sid.
    Policy::parse_identity(&statement(
        r#"{"Sid":"","Effect":"Deny","Action":"*","Resource":"*"}"#,
    ))
    .unwrap();
}

#[test]
fn needs_resource_tags_only_for_statements_that_could_apply() {
    let policy = Policy::parse_identity(&doc(&[
        r#"{"Effect":"Allow","Action":"ssm:GetParameter","Resource":"*","Condition":{"StringEquals":{"ssm:ResourceTag/env":"prod"}}}"#,
        r#"{"Effect":"Allow","Action":"secretsmanager:*","Resource":"*","Condition":{"StringEquals":{"custom:x":"${secretsmanager:ResourceTag/owner}"}}}"#,
        r#"{"Effect":"Allow","Action":"kms:*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/env":"prod"}}}"#,
        r#"{"Effect":"Allow","NotAction":"ssm:*","Resource":"arn:aws:logs:*:*:${aws:ResourceTag/group}"}"#,
    ]))
    .unwrap();
    assert!(policy.needs_resource_tags("ssm:GetParameter"));
    assert!(policy.needs_resource_tags("SSM:getparameter"));
    assert!(!policy.needs_resource_tags("ssm:PutParameter"));
    assert!(policy.needs_resource_tags("secretsmanager:GetSecretValue"));
    // kms:Decrypt: statement 3 reads a principal tag only, but statement 4's NotAction covers it.
    assert!(policy.needs_resource_tags("kms:Decrypt"));
    let plain = Policy::parse_identity(&doc(&[ALLOW_ALL])).unwrap();
    assert!(!plain.needs_resource_tags("ssm:GetParameter"));
}

// ---------------------------------------------------------------------------
// Properties

const ACTIONS: [&str; 4] = [
    "ssm:GetParameter",
    "ssm:PutParameter",
    "secretsmanager:GetSecretValue",
    "kms:Decrypt",
];
const RESOURCES: [&str; 3] = [PARAM, DEV_PARAM, SECRET];

/// A pattern that matches `text`: characters kept (case flipped when
/// `fold`), replaced by `?`, or runs swallowed by `*`. Colons and the
/// leading `arn:` stay, so the pattern remains a valid Action/Resource.
fn matching_pattern(text: &str, ops: &[u8], fold: bool) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut pattern = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let op = ops.get(i).copied().unwrap_or(0);
        let protected = c == ':' || (!fold && i < 4);
        i += 1;
        if protected {
            pattern.push(c);
            continue;
        }
        match op % 5 {
            0 | 1 => pattern.push(c),
            2 if fold => pattern.extend(c.to_uppercase()),
            2 => pattern.push(c),
            3 => pattern.push('?'),
            _ => {
                pattern.push('*');
                // Swallow up to a few more characters, never a colon.
                for _ in 0..(op / 5) % 4 {
                    match chars.get(i) {
                        Some(&next) if next != ':' => i += 1,
                        _ => break,
                    }
                }
            }
        }
    }
    pattern
}

#[derive(Debug, Clone)]
struct GenStatement {
    deny: bool,
    action: usize,
    resource: usize,
    action_ops: Vec<u8>,
    resource_ops: Vec<u8>,
    /// 0: no condition, 1: a condition that holds, 2: one that does not.
    condition: u8,
    /// Resource-policy principal: 0 "*", 1 caller, 2 account root, 3 someone else.
    principal: u8,
}

fn gen_statement() -> impl Strategy<Value = GenStatement> {
    (
        any::<bool>(),
        0..ACTIONS.len(),
        0..RESOURCES.len(),
        prop::collection::vec(any::<u8>(), 0..40),
        prop::collection::vec(any::<u8>(), 0..80),
        0u8..3,
        0u8..4,
    )
        .prop_map(
            |(deny, action, resource, action_ops, resource_ops, condition, principal)| {
                GenStatement {
                    deny,
                    action,
                    resource,
                    action_ops,
                    resource_ops,
                    condition,
                    principal,
                }
            },
        )
}

impl GenStatement {
    fn json(&self, sid: usize, in_resource_policy: bool) -> String {
        let action = matching_pattern(ACTIONS[self.action], &self.action_ops, true);
        let resource = matching_pattern(RESOURCES[self.resource], &self.resource_ops, false);
        let condition = match self.condition {
            1 => {
                r#","Condition":{"Bool":{"aws:SecureTransport":"true"},"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#
            }
            2 => r#","Condition":{"StringEquals":{"aws:username":"mallory"}}"#,
            _ => "",
        };
        let principal = if in_resource_policy {
            match self.principal {
                0 => r#""Principal":"*","#.to_owned(),
                1 => format!(r#""Principal":{{"AWS":"{ALICE}"}},"#),
                2 => r#""Principal":{"AWS":"arn:aws:iam::123456789012:root"},"#.to_owned(),
                _ => format!(r#""Principal":{{"AWS":"{BOB}"}},"#),
            }
        } else {
            String::new()
        };
        let effect = if self.deny { "Deny" } else { "Allow" };
        format!(
            r#"{{"Sid":"S{sid}","Effect":"{effect}",{principal}"Action":"{action}","Resource":"{resource}"{condition}}}"#
        )
    }

    /// Whether the statement applies to (ACTIONS[a], RESOURCES[r]) for
    /// alice, as far as the generator knows: a generated pattern always
    /// matches its own source text, and may match others too, so this
    /// is only used on its own source.
    fn surely_applies(&self, action: usize, resource: usize, in_resource_policy: bool) -> bool {
        self.action == action
            && self.resource == resource
            && self.condition != 2
            && (!in_resource_policy || self.principal != 3)
    }
}

#[derive(Debug, Clone)]
struct GenPolicies {
    identity: Vec<Vec<GenStatement>>,
    resource: Option<Vec<GenStatement>>,
}

fn gen_policies() -> impl Strategy<Value = GenPolicies> {
    (
        prop::collection::vec(prop::collection::vec(gen_statement(), 1..5), 0..4),
        prop::option::of(prop::collection::vec(gen_statement(), 1..5)),
    )
        .prop_map(|(identity, resource)| GenPolicies { identity, resource })
}

impl GenPolicies {
    fn parse(&self) -> (Vec<(String, Policy)>, Option<Policy>) {
        let identity = self
            .identity
            .iter()
            .enumerate()
            .map(|(n, statements)| {
                let parts: Vec<String> = statements
                    .iter()
                    .enumerate()
                    .map(|(i, s)| s.json(i, false))
                    .collect();
                let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
                let json = doc(&parts);
                let policy = Policy::parse_identity(&json)
                    .unwrap_or_else(|e| panic!("generated identity policy {json}: {e}"));
                (format!("p{n}"), policy)
            })
            .collect();
        let resource = self.resource.as_ref().map(|statements| {
            let parts: Vec<String> = statements
                .iter()
                .enumerate()
                .map(|(i, s)| s.json(i, true))
                .collect();
            let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
            let json = doc(&parts);
            Policy::parse_resource(&json)
                .unwrap_or_else(|e| panic!("generated resource policy {json}: {e}"))
        });
        (identity, resource)
    }

    fn decide(&self, action: usize, resource: usize) -> Decision {
        let (identity, resource_policy) = self.parse();
        let identity: Vec<(&str, &Policy)> = identity
            .iter()
            .map(|(name, policy)| (name.as_str(), policy))
            .collect();
        let owned = Owned::alice();
        let context = owned.context();
        let request = Request {
            action: ACTIONS[action],
            resource: RESOURCES[resource],
            context: &context,
        };
        evaluate(&identity, resource_policy.as_ref(), &request)
    }

    fn without_allows(&self) -> GenPolicies {
        GenPolicies {
            identity: self
                .identity
                .iter()
                .map(|statements| {
                    statements
                        .iter()
                        .filter(|s| s.deny)
                        .cloned()
                        .collect::<Vec<_>>()
                })
                .filter(|statements| !statements.is_empty())
                .collect(),
            resource: self
                .resource
                .as_ref()
                .map(|statements| {
                    statements
                        .iter()
                        .filter(|s| s.deny)
                        .cloned()
                        .collect::<Vec<_>>()
                })
                .filter(|statements| !statements.is_empty()),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// A Deny that matches the request can never be overridden, whatever
    /// Allows (or other statements) the policies hold.
    #[test]
    fn a_matching_deny_always_wins(
        mut policies in gen_policies(),
        mut deny in gen_statement(),
        in_resource_policy in any::<bool>(),
        position in any::<prop::sample::Index>(),
    ) {
        deny.deny = true;
        if deny.condition == 2 {
            deny.condition = 1;
        }
        if in_resource_policy && deny.principal == 3 {
            deny.principal = 2;
        }
        prop_assert!(deny.surely_applies(deny.action, deny.resource, in_resource_policy));
        let (action, resource) = (deny.action, deny.resource);
        if in_resource_policy {
            let statements = policies.resource.get_or_insert_with(Vec::new);
            let at = position.index(statements.len() + 1);
            statements.insert(at, deny);
        } else {
            if policies.identity.is_empty() {
                policies.identity.push(Vec::new());
            }
            let n = position.index(policies.identity.len());
            let at = position.index(policies.identity[n].len() + 1);
            policies.identity[n].insert(at, deny);
        }
        let decision = policies.decide(action, resource);
        prop_assert_eq!(decision.outcome, Outcome::ExplicitDeny);
        prop_assert!(decision.statement.is_some());
    }

    /// Taking every Allow away never yields Allow.
    #[test]
    fn without_allows_nothing_is_allowed(
        policies in gen_policies(),
        action in 0..ACTIONS.len(),
        resource in 0..RESOURCES.len(),
    ) {
        let decision = policies.without_allows().decide(action, resource);
        prop_assert_ne!(decision.outcome, Outcome::Allow);
    }

    /// Appending a statement that cannot match the request (another
    /// service's action) changes nothing, Allow or Deny.
    #[test]
    fn a_non_matching_statement_changes_nothing(
        policies in gen_policies(),
        mut extra in gen_statement(),
        action in 0..ACTIONS.len(),
        resource in 0..RESOURCES.len(),
        to_resource_policy in any::<bool>(),
    ) {
        let before = policies.decide(action, resource);
        // An action of a service the request is not for.
        extra.action = (0..ACTIONS.len())
            .find(|&a| ACTIONS[a].split(':').next() != ACTIONS[action].split(':').next())
            .unwrap_or(0);
        extra.action_ops.clear();
        let mut after_policies = policies.clone();
        if to_resource_policy {
            after_policies.resource.get_or_insert_with(Vec::new).push(extra);
        } else if let Some(last) = after_policies.identity.last_mut() {
            last.push(extra);
        } else {
            after_policies.identity.push(vec![extra]);
        }
        let after = after_policies.decide(action, resource);
        prop_assert_eq!(before, after);
    }
}

/// Not a benchmark run by CI; `cargo test -p kinko-model --release -- --ignored
/// evaluation_cost --nocapture` prints the cost of a realistic 10-statement policy.
#[test]
#[ignore]
fn evaluation_cost() {
    let policy = Policy::parse_identity(&doc(&[
        r#"{"Sid":"S1","Effect":"Allow","Action":["ssm:GetParameter","ssm:GetParameters"],"Resource":"arn:aws:ssm:*:*:parameter/app/prod/*"}"#,
        r#"{"Sid":"S2","Effect":"Allow","Action":"ssm:Describe*","Resource":"*"}"#,
        r#"{"Sid":"S3","Effect":"Allow","Action":"ssm:PutParameter","Resource":"arn:aws:ssm:*:*:parameter/app/dev/*","Condition":{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","192.168.0.0/16"]}}}"#,
        r#"{"Sid":"S4","Effect":"Allow","Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"payments"}}}"#,
        r#"{"Sid":"S5","Effect":"Deny","Action":"ssm:DeleteParameter*","Resource":"*"}"#,
        r#"{"Sid":"S6","Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}"#,
        r#"{"Sid":"S7","Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"arn:aws:secretsmanager:*:*:secret:prod/*","Condition":{"DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"}}}"#,
        r#"{"Sid":"S8","Effect":"Deny","NotAction":["ssm:*","kms:*","secretsmanager:*"],"Resource":"*"}"#,
        r#"{"Sid":"S9","Effect":"Allow","Action":"ssm:GetParametersByPath","Resource":"arn:aws:ssm:*:*:parameter/app/*","Condition":{"StringLike":{"aws:PrincipalArn":"arn:aws:iam::*:user/*"}}}"#,
        r#"{"Sid":"S10","Effect":"Deny","Action":"ssm:*","NotResource":"arn:aws:ssm:*:*:parameter/app/*"}"#,
    ]))
    .unwrap();
    let owned = Owned::alice();
    let context = owned.context();
    let request = Request {
        action: "ssm:GetParameter",
        resource: PARAM,
        context: &context,
    };
    let rounds = 200_000;
    let start = std::time::Instant::now();
    let mut allowed = 0;
    for _ in 0..rounds {
        allowed += usize::from(evaluate(&[("p", &policy)], None, &request).allowed());
    }
    let each = start.elapsed() / rounds;
    assert_eq!(allowed, rounds as usize);
    println!("one evaluation of a 10-statement policy: {each:?}");
}
