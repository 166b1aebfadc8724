//! The typed layer: requests go out with the wire's member names, answers
//! come back as the model's shapes, and an answer of another shape is an
//! error naming the operation that never quotes the answer.

use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use kinko_model::Epoch;
use kinko_model::admin::{
    CreateAccessKeyResponse, KeyStatus, PrincipalResponse, RotateAccessKeyRequest,
    VerifyAuditLogResponse,
};
use serde_json::json;

use super::*;
use crate::admin::DEFAULT_REGION;
use crate::admin::tests::one_shot;

fn client(endpoint: &str) -> AdminClient {
    AdminClient::new(
        endpoint,
        DEFAULT_REGION,
        SharedCredentialsProvider::new(Credentials::new("AKIA1", "s", None, None, "t")),
    )
    .unwrap()
}

#[tokio::test]
async fn a_typed_request_goes_out_with_the_wire_names_and_its_answer_comes_back_typed() {
    let (endpoint, server) = one_shot(
        "200 OK",
        r#"{"AccessKey":{"AccessKeyId":"AKIANEW","SecretAccessKey":"new-secret",
            "Principal":"ci","Status":"Active","CreateDate":1714564800.123},
            "RetiredAccessKeyId":"AKIAOLD","RetireDate":1714565700.0}"#,
    )
    .await;
    let request = RotateAccessKeyRequest {
        principal: Some("ci".into()),
        grace_seconds: Some(900),
        ..RotateAccessKeyRequest::default()
    };
    let answer = client(&endpoint).rotate_access_key(&request).await.unwrap();
    assert_eq!(answer.access_key.access_key_id, "AKIANEW");
    assert_eq!(answer.access_key.secret_access_key.expose(), "new-secret");
    assert_eq!(answer.access_key.status, KeyStatus::Active);
    assert_eq!(answer.access_key.create_date, Epoch(1_714_564_800_123));
    assert_eq!(answer.retired_access_key_id, "AKIAOLD");
    assert_eq!(answer.retire_date, Epoch(1_714_565_700_000));
    let (head, body) = server.await.unwrap();
    assert!(
        head.contains("x-amz-target: kinkoadmin.rotateaccesskey"),
        "{head}"
    );
    assert_eq!(body, r#"{"GraceSeconds":900,"Principal":"ci"}"#);
}

#[tokio::test]
async fn operations_without_members_send_an_empty_object_and_take_an_empty_answer() {
    let (endpoint, server) = one_shot("200 OK", "").await;
    let client = client(&endpoint);
    let answer = client.delete_principal(&Default::default()).await.unwrap();
    assert_eq!(answer, EmptyResponse {});
    let (_, body) = server.await.unwrap();
    assert_eq!(body, "{}");

    let (endpoint, server) = one_shot(
        "200 OK",
        r#"{"Intact":false,"Records":null,"HeadSeq":7,"HeadHash":"ab",
            "Problem":{"Seq":3,"Reason":"altered"}}"#,
    )
    .await;
    let answer: VerifyAuditLogResponse = self::client(&endpoint).verify_audit_log().await.unwrap();
    assert!(!answer.intact);
    assert_eq!(answer.records, None);
    assert_eq!(answer.problem.map(|p| p.seq), Some(3));
    let (head, body) = server.await.unwrap();
    assert!(
        head.contains("x-amz-target: kinkoadmin.verifyauditlog"),
        "{head}"
    );
    assert_eq!(body, "{}");
}

#[tokio::test]
async fn an_answer_of_another_shape_is_a_decode_error_naming_the_operation() {
    let (endpoint, _server) = one_shot("200 OK", r#"{"Principals":"not a list"}"#).await;
    let err = client(&endpoint).list_principals().await.unwrap_err();
    assert!(
        matches!(
            &err,
            AdminError::Decode {
                operation: "ListPrincipals",
                ..
            }
        ),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(text.contains("ListPrincipals"), "{text}");
    assert!(!text.contains("not a list"), "{text}");
}

#[test]
fn a_missing_member_is_named() {
    let err = decode::<PrincipalResponse>("GetPrincipal", json!({})).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the server's answer to GetPrincipal is not what kinko expects: \
         missing member `Principal`"
    );
}

#[test]
fn a_refused_value_is_never_quoted() {
    // A secret where the status belongs: serde's own message would quote it.
    let answer = json!({"AccessKey": {
        "AccessKeyId": "AKIA1",
        "SecretAccessKey": "s3cr3t-key",
        "Principal": "ci",
        "Status": "s3cr3t-key",
        "CreateDate": 1.0,
    }});
    let err = decode::<CreateAccessKeyResponse>("CreateAccessKey", answer).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("CreateAccessKey"), "{text}");
    assert!(!text.contains("s3cr3t"), "{text}");
    assert!(!format!("{err:?}").contains("s3cr3t"), "{err:?}");
}
