//! The shapes' wire form, pinned: member names, what is left out, what is
//! `null`, and that every response reads back as it was written (the admin
//! client decodes what the server encodes).

use kinko_crypto::SecretString;
use serde_json::json;

use super::*;
use crate::principals::PrincipalKind;
use crate::{Epoch, Tag, TagShape};

fn role() -> Principal {
    Principal {
        name: "deploy".into(),
        kind: PrincipalKind::Role,
        arn: "arn:aws:iam::000000000000:role/deploy".into(),
        unique_id: "AROA3XFRBF535PLBIFPI4".into(),
        create_date: Epoch(1_714_564_800_123),
        tags: vec![Tag {
            key: "team".into(),
            value: "ops".into(),
        }],
        trust_policy: Some("{}".into()),
    }
}

#[test]
fn a_principal_is_written_as_the_admin_api_always_wrote_it() {
    let value = serde_json::to_value(PrincipalResponse { principal: role() }).unwrap();
    assert_eq!(
        value,
        json!({"Principal": {
            "Name": "deploy",
            "Type": "Role",
            "Arn": "arn:aws:iam::000000000000:role/deploy",
            "UniqueId": "AROA3XFRBF535PLBIFPI4",
            "CreateDate": 1_714_564_800.123,
            "Tags": [{"Key": "team", "Value": "ops"}],
            "TrustPolicy": "{}",
        }})
    );
    let back: PrincipalResponse = serde_json::from_value(value).unwrap();
    assert_eq!(back.principal, role());

    let user = Principal {
        kind: PrincipalKind::User,
        trust_policy: None,
        ..role()
    };
    let value = serde_json::to_value(&user).unwrap();
    assert_eq!(value["Type"], "User");
    assert!(value.get("TrustPolicy").is_none(), "{value}");
}

#[test]
fn requests_leave_out_what_is_not_set_and_read_any_subset() {
    let request = CreatePrincipalRequest {
        name: Some("dev".into()),
        tags: Some(vec![TagShape::from(&Tag {
            key: "team".into(),
            value: "payments".into(),
        })]),
        ..CreatePrincipalRequest::default()
    };
    assert_eq!(
        serde_json::to_value(&request).unwrap(),
        json!({"Name": "dev", "Tags": [{"Key": "team", "Value": "payments"}]})
    );
    // What a hand-written or older client sends: members missing, a tag
    // without its value, members this server does not know.
    let read: CreatePrincipalRequest =
        serde_json::from_value(json!({"Type": "Robot", "Tags": [{"Key": "k"}], "Extra": 1}))
            .unwrap();
    assert_eq!(read.name, None);
    assert_eq!(read.kind.as_deref(), Some("Robot"));
    assert_eq!(
        read.tags,
        Some(vec![TagShape {
            key: Some("k".into()),
            value: None
        }])
    );
    let empty: QueryAuditLogRequest = serde_json::from_value(json!({})).unwrap();
    assert_eq!(empty, QueryAuditLogRequest::default());
    assert_eq!(serde_json::to_value(&empty).unwrap(), json!({}));
}

#[test]
fn empty_answers_are_an_empty_object() {
    assert_eq!(serde_json::to_string(&EmptyResponse {}).unwrap(), "{}");
    let _: EmptyResponse = serde_json::from_str("{}").unwrap();
}

#[test]
fn a_new_key_carries_its_secret_and_nothing_else_does() {
    let key = NewAccessKey {
        access_key_id: "AKIAEXAMPLE".into(),
        secret_access_key: SecretString::new("s3cr3t-key".into()),
        principal: "dev".into(),
        status: KeyStatus::Active,
        create_date: Epoch(1000),
    };
    let value = serde_json::to_value(CreateAccessKeyResponse {
        access_key: key.clone(),
    })
    .unwrap();
    assert_eq!(
        value,
        json!({"AccessKey": {
            "AccessKeyId": "AKIAEXAMPLE",
            "SecretAccessKey": "s3cr3t-key",
            "Principal": "dev",
            "Status": "Active",
            "CreateDate": 1.0,
        }})
    );
    let back: CreateAccessKeyResponse = serde_json::from_value(value).unwrap();
    assert_eq!(back.access_key.secret_access_key.expose(), "s3cr3t-key");
    // Printing a shape for a log never shows the secret.
    assert!(!format!("{key:?}").contains("s3cr3t-key"));

    let listed = AccessKeyMetadata {
        access_key_id: "AKIAEXAMPLE".into(),
        principal: "dev".into(),
        status: KeyStatus::Inactive,
        create_date: Epoch(1000),
        retire_date: Some(Epoch(2000)),
        last_used_date: None,
        last_used_operation: None,
    };
    let value = serde_json::to_value(&listed).unwrap();
    assert_eq!(
        value,
        json!({"AccessKeyId": "AKIAEXAMPLE", "Principal": "dev", "Status": "Inactive",
               "CreateDate": 1.0, "RetireDate": 2.0})
    );
    assert_eq!(
        serde_json::from_value::<AccessKeyMetadata>(value).unwrap(),
        listed
    );
}

#[test]
fn session_credentials_hide_their_token_from_debug() {
    let response = AssumeRoleResponse {
        credentials: SessionCredentials {
            access_key_id: "ASIAEXAMPLE".into(),
            secret_access_key: SecretString::new("session-secret".into()),
            session_token: SecretString::new("KinkoSession2.token".into()),
            expiration: Epoch(3_600_000),
        },
        assumed_role_arn: "arn:aws:sts::000000000000:assumed-role/deploy/run".into(),
        assumed_role_id: "AROA3XFRBF535PLBIFPI4:run".into(),
        packed_policy_size: None,
        source_identity: Some("alice".into()),
    };
    let value = serde_json::to_value(&response).unwrap();
    assert_eq!(value["Credentials"]["SessionToken"], "KinkoSession2.token");
    assert_eq!(value["Credentials"]["Expiration"], 3600.0);
    assert_eq!(value["SourceIdentity"], "alice");
    assert!(value.get("PackedPolicySize").is_none(), "{value}");
    let debug = format!("{response:?}");
    assert!(
        !debug.contains("session-secret") && !debug.contains("KinkoSession2.token"),
        "{debug}"
    );
    let back: AssumeRoleResponse = serde_json::from_value(value).unwrap();
    assert_eq!(
        back.credentials.session_token.expose(),
        "KinkoSession2.token"
    );
}

#[test]
fn a_simulation_names_its_decision_as_iam_does() {
    let allowed = SimulatePolicyResponse {
        decision: SimulationDecision::Allowed,
        reason: None,
        matched_statement: Some(MatchedStatement {
            policy: "dev".into(),
            index: 0,
            sid: Some("Read".into()),
        }),
    };
    let value = serde_json::to_value(&allowed).unwrap();
    assert_eq!(
        value,
        json!({"Decision": "allowed", "MatchedStatement": {"Policy": "dev", "Index": 0, "Sid": "Read"}})
    );
    assert_eq!(
        serde_json::from_value::<SimulatePolicyResponse>(value).unwrap(),
        allowed
    );
    let denied = SimulatePolicyResponse {
        decision: SimulationDecision::ImplicitDeny,
        reason: None,
        matched_statement: None,
    };
    assert_eq!(
        serde_json::to_value(&denied).unwrap(),
        json!({"Decision": "implicitDeny"})
    );
    assert_eq!(
        serde_json::to_value(SimulationDecision::ExplicitDeny).unwrap(),
        "explicitDeny"
    );
}

#[test]
fn a_broken_chain_sends_null_records_and_the_problem() {
    let broken = VerifyAuditLogResponse {
        intact: false,
        records: None,
        head_seq: 7,
        head_hash: "ab".into(),
        problem: Some(AuditProblem {
            seq: 3,
            reason: "record 3 was altered".into(),
        }),
    };
    let value = serde_json::to_value(&broken).unwrap();
    assert_eq!(
        value,
        json!({"Intact": false, "Records": null, "HeadSeq": 7, "HeadHash": "ab",
               "Problem": {"Seq": 3, "Reason": "record 3 was altered"}})
    );
    assert_eq!(
        serde_json::from_value::<VerifyAuditLogResponse>(value).unwrap(),
        broken
    );
    let intact = VerifyAuditLogResponse {
        intact: true,
        records: Some(7),
        head_seq: 7,
        head_hash: "ab".into(),
        problem: None,
    };
    assert_eq!(
        serde_json::to_value(&intact).unwrap(),
        json!({"Intact": true, "Records": 7, "HeadSeq": 7, "HeadHash": "ab"})
    );
}
