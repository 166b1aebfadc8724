//! Raw JSON in, raw JSON (or an AWS-shaped error) out.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use kinko_core::kms::Kms;
use serde_json::{Value, json};

use super::handle;
use crate::{AwsError, RequestContext};

const ACCOUNT: &str = "123456789012";

fn ctx() -> RequestContext {
    let arn: String = format!("arn:aws:iam::{ACCOUNT}:user/alice");
    RequestContext {
        caller: crate::Caller {
            region: "us-east-1".into(),
            account_id: ACCOUNT.into(),
            arn: arn.clone(),
        },
        user_id: "AIDAJQABLZS4A3QDU576Q".to_owned(),
        session: None,
        request_id: "req-1".into(),
        access: std::sync::Arc::new(crate::Access::unrestricted(arn)),
    }
}

fn kms() -> Kms {
    Kms::in_memory(ACCOUNT).unwrap()
}

async fn call(kms: &Kms, op: &str, body: Value) -> Result<Value, AwsError> {
    let out = handle(kms, op, body.to_string().as_bytes(), &ctx()).await?;
    Ok(serde_json::from_slice(&out).unwrap())
}

fn error_body(e: &AwsError) -> Value {
    serde_json::from_slice(&e.to_body()).unwrap()
}

async fn create_key(kms: &Kms) -> Value {
    call(kms, "CreateKey", json!({"Description": "d"}))
        .await
        .unwrap()["KeyMetadata"]
        .clone()
}

#[tokio::test]
async fn create_and_describe_key_shape() {
    let k = kms();
    let raw = handle(&k, "CreateKey", b"", &ctx()).await.unwrap();
    let text = String::from_utf8(raw).unwrap();
    assert!(text.contains("\"CreationDate\":1"), "{text}");
    let meta: Value = serde_json::from_str::<Value>(&text).unwrap()["KeyMetadata"].clone();
    let id = meta["KeyId"].as_str().unwrap().to_owned();
    let arn = format!("arn:aws:kms:us-east-1:{ACCOUNT}:key/{id}");
    let want_keys = [
        "AWSAccountId",
        "Arn",
        "CreationDate",
        "CurrentKeyMaterialId",
        "CustomerMasterKeySpec",
        "Description",
        "Enabled",
        "EncryptionAlgorithms",
        "KeyId",
        "KeyManager",
        "KeySpec",
        "KeyState",
        "KeyUsage",
        "MultiRegion",
        "Origin",
    ];
    let mut got: Vec<&str> = meta
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    got.sort_unstable();
    assert_eq!(got, want_keys);
    assert_eq!(meta["AWSAccountId"], ACCOUNT);
    assert_eq!(meta["Arn"], arn);
    assert!(meta["CreationDate"].is_f64());
    assert_eq!(meta["Enabled"], true);
    assert_eq!(meta["Description"], "");
    assert_eq!(meta["KeyUsage"], "ENCRYPT_DECRYPT");
    assert_eq!(meta["KeyState"], "Enabled");
    assert_eq!(meta["Origin"], "AWS_KMS");
    assert_eq!(meta["KeyManager"], "CUSTOMER");
    assert_eq!(meta["KeySpec"], "SYMMETRIC_DEFAULT");
    assert_eq!(meta["CustomerMasterKeySpec"], "SYMMETRIC_DEFAULT");
    assert_eq!(meta["EncryptionAlgorithms"], json!(["SYMMETRIC_DEFAULT"]));
    assert_eq!(meta["MultiRegion"], false);

    let described = call(&k, "DescribeKey", json!({"KeyId": arn}))
        .await
        .unwrap();
    assert_eq!(described["KeyMetadata"], meta);

    let e = call(&k, "DescribeKey", json!({"KeyId": "fake-key-id"}))
        .await
        .unwrap_err();
    assert_eq!(
        error_body(&e),
        json!({"__type": "NotFoundException", "message": "Invalid keyId 'fake-key-id'"})
    );
    let e = call(&k, "DescribeKey", json!({})).await.unwrap_err();
    assert_eq!(
        error_body(&e),
        json!({"__type": "ValidationException", "message": "1 validation error detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null"})
    );
}

#[tokio::test]
async fn create_key_validation_and_unsupported() {
    let k = kms();
    let e = call(&k, "CreateKey", json!({"KeyUsage": "BOGUS"}))
        .await
        .unwrap_err();
    assert_eq!(
        e.message,
        "1 validation error detected: Value 'BOGUS' at 'keyUsage' failed to satisfy constraint: Member must satisfy enum value set: [ENCRYPT_DECRYPT, SIGN_VERIFY, GENERATE_VERIFY_MAC, KEY_AGREEMENT]"
    );
    let long = "k".repeat(129);
    let e = call(
        &k,
        "CreateKey",
        json!({"Tags": [{"TagKey": long, "TagValue": "v"}]}),
    )
    .await
    .unwrap_err();
    assert_eq!(
        e.message,
        format!(
            "1 validation error detected: Value '{long}' at 'tags.1.member.tagKey' failed to satisfy constraint: Member must have length less than or equal to 128"
        )
    );
    let e = call(
        &k,
        "CreateKey",
        json!({"Tags": [{"TagKey": "aws:x", "TagValue": "v"}]}),
    )
    .await
    .unwrap_err();
    assert_eq!(
        error_body(&e),
        json!({"__type": "TagException", "message": "Tags beginning with aws: are reserved"})
    );
    let e = call(
        &k,
        "CreateKey",
        json!({"KeySpec": "SM2", "KeyUsage": "SIGN_VERIFY"}),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code, "UnsupportedOperationException");
    // A spec and a usage that do not go together.
    let e = call(
        &k,
        "CreateKey",
        json!({"KeySpec": "ECC_NIST_P256", "KeyUsage": "ENCRYPT_DECRYPT"}),
    )
    .await
    .unwrap_err();
    assert_eq!(
        error_body(&e),
        json!({"__type": "ValidationException",
               "message": "KeyUsage ENCRYPT_DECRYPT is not compatible with KeySpec ECC_NIST_P256."})
    );
}

#[tokio::test]
async fn encrypt_decrypt_on_the_wire() {
    let k = kms();
    let meta = create_key(&k).await;
    let arn = meta["Arn"].as_str().unwrap();
    let plain = STANDARD.encode(b"hello world");
    let out = call(
        &k,
        "Encrypt",
        json!({"KeyId": meta["KeyId"], "Plaintext": plain, "EncryptionContext": {"a": "1"}}),
    )
    .await
    .unwrap();
    assert_eq!(out["KeyId"], arn);
    assert_eq!(out["EncryptionAlgorithm"], "SYMMETRIC_DEFAULT");
    let blob = out["CiphertextBlob"].as_str().unwrap().to_owned();
    assert!(STANDARD.decode(&blob).is_ok());

    let back = call(
        &k,
        "Decrypt",
        json!({"CiphertextBlob": blob, "EncryptionContext": {"a": "1"}}),
    )
    .await
    .unwrap();
    let material = meta_material(&back);
    assert_eq!(
        back,
        json!({"KeyId": arn, "Plaintext": plain, "EncryptionAlgorithm": "SYMMETRIC_DEFAULT",
               "KeyMaterialId": material})
    );

    let e = call(
        &k,
        "Decrypt",
        json!({"CiphertextBlob": blob, "EncryptionContext": {"a": "2"}}),
    )
    .await
    .unwrap_err();
    assert_eq!(
        error_body(&e),
        json!({"__type": "InvalidCiphertextException", "message": ""})
    );
    let other = create_key(&k).await;
    let e = call(
        &k,
        "Decrypt",
        json!({"CiphertextBlob": blob, "EncryptionContext": {"a": "1"}, "KeyId": other["KeyId"]}),
    )
    .await
    .unwrap_err();
    assert_eq!(
        error_body(&e),
        json!({"__type": "IncorrectKeyException", "message": "The key ID in the request does not identify a CMK that can perform this operation."})
    );
    let e = call(&k, "Decrypt", json!({"CiphertextBlob": "not base64!"}))
        .await
        .unwrap_err();
    assert_eq!(e.code, "SerializationException");

    let dry = call(
        &k,
        "Encrypt",
        json!({"KeyId": meta["KeyId"], "Plaintext": plain, "DryRun": true}),
    )
    .await
    .unwrap_err();
    assert_eq!(
        error_body(&dry),
        json!({"__type": "DryRunOperationException", "message": "The request would have succeeded, but the DryRun option is set."})
    );
}

#[tokio::test]
async fn oversized_plaintext_is_not_echoed() {
    let k = kms();
    let meta = create_key(&k).await;
    let secret = "Z".repeat(4097);
    let e = call(
        &k,
        "Encrypt",
        json!({"KeyId": meta["KeyId"], "Plaintext": STANDARD.encode(&secret)}),
    )
    .await
    .unwrap_err();
    assert_eq!(
        error_body(&e),
        json!({"__type": "ValidationException", "message": "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length less than or equal to 4096"})
    );
    assert!(!e.message.contains("ZZZ"));
    // 4096 bytes is fine, and its blob stays within Decrypt's 6144.
    let out = call(
        &k,
        "Encrypt",
        json!({"KeyId": meta["KeyId"], "Plaintext": STANDARD.encode([7u8; 4096])}),
    )
    .await
    .unwrap();
    let blob = STANDARD
        .decode(out["CiphertextBlob"].as_str().unwrap())
        .unwrap();
    assert!(blob.len() <= 6144, "{}", blob.len());
}

#[tokio::test]
async fn disabled_and_pending_deletion_on_the_wire() {
    let k = kms();
    let meta = create_key(&k).await;
    let id = meta["KeyId"].clone();
    let arn = meta["Arn"].as_str().unwrap().to_owned();
    assert_eq!(
        call(&k, "DisableKey", json!({"KeyId": id})).await.unwrap(),
        json!({})
    );
    let e = call(
        &k,
        "GenerateDataKey",
        json!({"KeyId": id, "KeySpec": "AES_256"}),
    )
    .await
    .unwrap_err();
    assert_eq!(
        error_body(&e),
        json!({"__type": "DisabledException", "message": format!("{arn} is disabled.")})
    );
    call(&k, "EnableKey", json!({"KeyId": id})).await.unwrap();

    let e = call(
        &k,
        "ScheduleKeyDeletion",
        json!({"KeyId": id, "PendingWindowInDays": 6}),
    )
    .await
    .unwrap_err();
    assert_eq!(
        e.message,
        "1 validation error detected: Value '6' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value greater than or equal to 7"
    );
    let out = call(
        &k,
        "ScheduleKeyDeletion",
        json!({"KeyId": id, "PendingWindowInDays": 7}),
    )
    .await
    .unwrap();
    assert_eq!(out["KeyId"], arn);
    assert_eq!(out["KeyState"], "PendingDeletion");
    assert_eq!(out["PendingWindowInDays"], 7);
    assert!(out["DeletionDate"].is_f64());
    let described = call(&k, "DescribeKey", json!({"KeyId": id})).await.unwrap();
    assert_eq!(described["KeyMetadata"]["KeyState"], "PendingDeletion");
    assert_eq!(described["KeyMetadata"]["PendingDeletionWindowInDays"], 7);
    assert_eq!(
        described["KeyMetadata"]["DeletionDate"],
        out["DeletionDate"]
    );
    let e = call(
        &k,
        "Encrypt",
        json!({"KeyId": id, "Plaintext": STANDARD.encode("x")}),
    )
    .await
    .unwrap_err();
    assert_eq!(
        error_body(&e),
        json!({"__type": "KMSInvalidStateException", "message": format!("{arn} is pending deletion.")})
    );
    let out = call(&k, "CancelKeyDeletion", json!({"KeyId": id}))
        .await
        .unwrap();
    assert_eq!(out, json!({"KeyId": arn}));
    let described = call(&k, "DescribeKey", json!({"KeyId": id})).await.unwrap();
    assert_eq!(described["KeyMetadata"]["KeyState"], "Disabled");
    assert_eq!(described["KeyMetadata"]["Enabled"], false);
    assert!(described["KeyMetadata"].get("DeletionDate").is_none());
}

#[tokio::test]
async fn data_keys_and_random() {
    let k = kms();
    let out = call(
        &k,
        "GenerateDataKey",
        json!({"KeyId": "alias/aws/ssm", "NumberOfBytes": 64}),
    )
    .await
    .unwrap();
    let plain = STANDARD.decode(out["Plaintext"].as_str().unwrap()).unwrap();
    assert_eq!(plain.len(), 64);
    let back = call(
        &k,
        "Decrypt",
        json!({"CiphertextBlob": out["CiphertextBlob"]}),
    )
    .await
    .unwrap();
    assert_eq!(back["Plaintext"], out["Plaintext"]);
    assert_eq!(back["KeyId"], out["KeyId"]);

    let without = call(
        &k,
        "GenerateDataKeyWithoutPlaintext",
        json!({"KeyId": "alias/aws/ssm", "KeySpec": "AES_128"}),
    )
    .await
    .unwrap();
    assert!(without.get("Plaintext").is_none());
    let back = call(
        &k,
        "Decrypt",
        json!({"CiphertextBlob": without["CiphertextBlob"]}),
    )
    .await
    .unwrap();
    assert_eq!(
        STANDARD
            .decode(back["Plaintext"].as_str().unwrap())
            .unwrap()
            .len(),
        16
    );

    for body in [
        json!({"KeyId": "alias/aws/ssm"}),
        json!({"KeyId": "alias/aws/ssm", "KeySpec": "AES_256", "NumberOfBytes": 32}),
    ] {
        let e = call(&k, "GenerateDataKey", body).await.unwrap_err();
        assert_eq!(e.code, "ValidationException");
        assert_eq!(error_body(&e)["message"], e.message);
    }

    let r = call(&k, "GenerateRandom", json!({"NumberOfBytes": 16}))
        .await
        .unwrap();
    assert_eq!(
        STANDARD
            .decode(r["Plaintext"].as_str().unwrap())
            .unwrap()
            .len(),
        16
    );
    let e = call(&k, "GenerateRandom", json!({})).await.unwrap_err();
    assert_eq!(
        error_body(&e),
        json!({"__type": "ValidationException", "message": "NumberOfBytes is required."})
    );
    let e = call(&k, "GenerateRandom", json!({"NumberOfBytes": 1025}))
        .await
        .unwrap_err();
    assert_eq!(
        e.message,
        "1 validation error detected: Value '1025' at 'numberOfBytes' failed to satisfy constraint: Member must have value less than or equal to 1024"
    );
}

#[tokio::test]
async fn aliases_and_listing_on_the_wire() {
    let k = kms();
    let meta = create_key(&k).await;
    let id = meta["KeyId"].clone();
    assert_eq!(
        call(
            &k,
            "CreateAlias",
            json!({"AliasName": "alias/app", "TargetKeyId": id})
        )
        .await
        .unwrap(),
        json!({})
    );
    let e = call(
        &k,
        "CreateAlias",
        json!({"AliasName": "app", "TargetKeyId": id}),
    )
    .await
    .unwrap_err();
    assert_eq!(
        error_body(&e),
        json!({"__type": "ValidationException", "message": "Alias must start with the prefix \"alias/\". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html"})
    );
    let e = call(
        &k,
        "CreateAlias",
        json!({"AliasName": "alias/a b", "TargetKeyId": id}),
    )
    .await
    .unwrap_err();
    assert_eq!(
        e.message,
        "1 validation error detected: Value 'alias/a b' at 'aliasName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$"
    );
    let e = call(
        &k,
        "CreateAlias",
        json!({"AliasName": "alias/app", "TargetKeyId": id}),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code, "AlreadyExistsException");
    let e = call(
        &k,
        "CreateAlias",
        json!({"AliasName": "alias/aws/x", "TargetKeyId": id}),
    )
    .await
    .unwrap_err();
    assert_eq!(
        error_body(&e),
        json!({"__type": "NotAuthorizedException", "message": ""})
    );

    let list = call(&k, "ListAliases", json!({})).await.unwrap();
    let names: Vec<&str> = list["Aliases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["AliasName"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["alias/app", "alias/aws/secretsmanager", "alias/aws/ssm"]
    );
    assert_eq!(list["Truncated"], false);
    assert!(list.get("NextMarker").is_none());
    let app = &list["Aliases"][0];
    assert_eq!(app["TargetKeyId"], id);
    assert_eq!(
        app["AliasArn"],
        format!("arn:aws:kms:us-east-1:{ACCOUNT}:alias/app")
    );
    assert!(app["CreationDate"].is_f64());
    assert!(list["Aliases"][2].get("TargetKeyId").is_none());

    let page = call(&k, "ListAliases", json!({"Limit": 1})).await.unwrap();
    assert_eq!(page["Truncated"], true);
    let next = call(
        &k,
        "ListAliases",
        json!({"Limit": 1, "Marker": page["NextMarker"]}),
    )
    .await
    .unwrap();
    assert_eq!(next["Aliases"][0]["AliasName"], "alias/aws/secretsmanager");
    let e = call(&k, "ListKeys", json!({"Marker": "garbage"}))
        .await
        .unwrap_err();
    assert_eq!(e.code, "InvalidMarkerException");

    let keys = call(&k, "ListKeys", json!({})).await.unwrap();
    assert_eq!(
        keys,
        json!({"Keys": [{"KeyId": id, "KeyArn": meta["Arn"]}], "Truncated": false})
    );

    call(&k, "DeleteAlias", json!({"AliasName": "alias/app"}))
        .await
        .unwrap();
    let e = call(&k, "DescribeKey", json!({"KeyId": "alias/app"}))
        .await
        .unwrap_err();
    assert_eq!(
        error_body(&e),
        json!({"__type": "NotFoundException", "message": format!("Alias arn:aws:kms:us-east-1:{ACCOUNT}:alias/app is not found.")})
    );
    let e = handle(&k, "Nope", b"{}", &ctx()).await.unwrap_err();
    assert_eq!(e.code, "UnknownOperationException");
}

// ---- access checks -------------------------------------------------------

use std::sync::Arc;

use crate::ssm::tests::{Recorder, Row, ctx_with};

async fn call_as(
    kms: &Kms,
    access: &Arc<Recorder>,
    op: &str,
    body: Value,
) -> Result<Value, AwsError> {
    let out = handle(kms, op, body.to_string().as_bytes(), &ctx_with(access)).await?;
    Ok(serde_json::from_slice(&out).unwrap())
}

fn owned(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, r)| (a.to_string(), r.to_string()))
        .collect()
}

#[tokio::test]
async fn every_operation_checks_its_action_and_resource() {
    let k = kms();
    let a = Arc::new(Recorder::default());
    let meta = call_as(
        &k,
        &a,
        "CreateKey",
        json!({"Tags": [{"TagKey": "env", "TagValue": "prod"}]}),
    )
    .await
    .unwrap()["KeyMetadata"]
        .clone();
    assert_eq!(
        a.take(),
        owned(&[("kms:CreateKey", "*"), ("kms:TagResource", "*")])
    );
    let id = meta["KeyId"].as_str().unwrap().to_owned();
    let arn = meta["Arn"].as_str().unwrap().to_owned();
    let other = create_key(&k).await;
    let other_id = other["KeyId"].as_str().unwrap().to_owned();
    let other_arn = other["Arn"].as_str().unwrap().to_owned();
    let alias_arn = format!("arn:aws:kms:us-east-1:{ACCOUNT}:alias/app");

    call_as(
        &k,
        &a,
        "CreateAlias",
        json!({"AliasName": "alias/app", "TargetKeyId": id}),
    )
    .await
    .unwrap();
    assert_eq!(
        a.take(),
        owned(&[("kms:CreateAlias", &alias_arn), ("kms:CreateAlias", &arn)])
    );
    // Every key form, aliases included, is checked as the key ARN.
    for key_ref in [
        id.clone(),
        arn.clone(),
        "alias/app".into(),
        alias_arn.clone(),
    ] {
        call_as(&k, &a, "DescribeKey", json!({"KeyId": key_ref}))
            .await
            .unwrap();
        assert_eq!(a.take(), owned(&[("kms:DescribeKey", &arn)]), "{key_ref}");
    }
    let blob = call_as(
        &k,
        &a,
        "Encrypt",
        json!({"KeyId": "alias/app", "Plaintext": STANDARD.encode("hi")}),
    )
    .await
    .unwrap()["CiphertextBlob"]
        .clone();
    assert_eq!(a.take(), owned(&[("kms:Encrypt", &arn)]));
    call_as(&k, &a, "Decrypt", json!({"CiphertextBlob": blob}))
        .await
        .unwrap();
    assert_eq!(a.take(), owned(&[("kms:Decrypt", &arn)]));
    let table: Vec<Row<'_, Value, &str>> = vec![
        (
            "GenerateDataKey",
            json!({"KeyId": id, "KeySpec": "AES_256"}),
            vec![("kms:GenerateDataKey", &arn)],
        ),
        (
            "GenerateDataKeyWithoutPlaintext",
            json!({"KeyId": id, "NumberOfBytes": 16}),
            vec![("kms:GenerateDataKeyWithoutPlaintext", &arn)],
        ),
        (
            "GenerateRandom",
            json!({"NumberOfBytes": 8}),
            vec![("kms:GenerateRandom", "*")],
        ),
        (
            "TagResource",
            json!({"KeyId": id, "Tags": [{"TagKey": "team", "TagValue": "a"}]}),
            vec![("kms:TagResource", &arn)],
        ),
        (
            "UntagResource",
            json!({"KeyId": arn, "TagKeys": ["team"]}),
            vec![("kms:UntagResource", &arn)],
        ),
        (
            "ListResourceTags",
            json!({"KeyId": id}),
            vec![("kms:ListResourceTags", &arn)],
        ),
        ("ListKeys", json!({}), vec![("kms:ListKeys", "*")]),
        ("ListAliases", json!({}), vec![("kms:ListAliases", "*")]),
        (
            "UpdateAlias",
            json!({"AliasName": "alias/app", "TargetKeyId": other_id}),
            vec![
                ("kms:UpdateAlias", &alias_arn),
                ("kms:UpdateAlias", &arn),
                ("kms:UpdateAlias", &other_arn),
            ],
        ),
        (
            "DeleteAlias",
            json!({"AliasName": "alias/app"}),
            vec![
                ("kms:DeleteAlias", &alias_arn),
                ("kms:DeleteAlias", &other_arn),
            ],
        ),
        (
            "EnableKeyRotation",
            json!({"KeyId": id, "RotationPeriodInDays": 90}),
            vec![("kms:EnableKeyRotation", &arn)],
        ),
        (
            "GetKeyRotationStatus",
            json!({"KeyId": arn}),
            vec![("kms:GetKeyRotationStatus", &arn)],
        ),
        (
            "DisableKeyRotation",
            json!({"KeyId": id}),
            vec![("kms:DisableKeyRotation", &arn)],
        ),
        (
            "RotateKeyOnDemand",
            json!({"KeyId": id}),
            vec![("kms:RotateKeyOnDemand", &arn)],
        ),
        (
            "ListKeyRotations",
            json!({"KeyId": id, "IncludeKeyMaterial": "ALL_KEY_MATERIAL"}),
            vec![("kms:ListKeyRotations", &arn)],
        ),
        (
            "DisableKey",
            json!({"KeyId": id}),
            vec![("kms:DisableKey", &arn)],
        ),
        (
            "EnableKey",
            json!({"KeyId": id}),
            vec![("kms:EnableKey", &arn)],
        ),
        (
            "ScheduleKeyDeletion",
            json!({"KeyId": id, "PendingWindowInDays": 7}),
            vec![("kms:ScheduleKeyDeletion", &arn)],
        ),
        (
            "CancelKeyDeletion",
            json!({"KeyId": id}),
            vec![("kms:CancelKeyDeletion", &arn)],
        ),
    ];
    for (op, body, want) in table {
        call_as(&k, &a, op, body.clone())
            .await
            .unwrap_or_else(|e| panic!("{op} {body}: {e:?}"));
        assert_eq!(a.take(), owned(&want), "{op} {body}");
    }
    // A key that does not exist: nothing to check, NotFound answered.
    let e = call_as(
        &k,
        &a,
        "DescribeKey",
        json!({"KeyId": "11111111-2222-4333-8444-555555555555"}),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code, "NotFoundException");
    assert!(a.take().is_empty());
}

#[tokio::test]
async fn denials_change_nothing_and_return_no_plaintext() {
    let k = kms();
    let meta = create_key(&k).await;
    let id = meta["KeyId"].as_str().unwrap().to_owned();
    let arn = meta["Arn"].as_str().unwrap().to_owned();
    let blob = call(
        &k,
        "Encrypt",
        json!({"KeyId": id, "Plaintext": STANDARD.encode("plain-secret")}),
    )
    .await
    .unwrap()["CiphertextBlob"]
        .clone();
    let deny = Arc::new(
        Recorder::default()
            .deny("kms:Decrypt", &arn)
            .deny("kms:DisableKey", &arn)
            .deny("kms:CreateAlias", "*"),
    );
    let e = call_as(&k, &deny, "Decrypt", json!({"CiphertextBlob": blob}))
        .await
        .unwrap_err();
    assert_eq!(e.code, "AccessDeniedException");
    assert!(
        e.message
            .contains(&format!("kms:Decrypt on resource: {arn}"))
    );
    assert!(!String::from_utf8_lossy(&e.to_body()).contains(&STANDARD.encode("plain-secret")));
    assert!(
        call_as(&k, &deny, "DisableKey", json!({"KeyId": id}))
            .await
            .is_err()
    );
    let d = call(&k, "DescribeKey", json!({"KeyId": id})).await.unwrap();
    assert_eq!(d["KeyMetadata"]["KeyState"], "Enabled");
    assert!(
        call_as(
            &k,
            &deny,
            "CreateAlias",
            json!({"AliasName": "alias/x", "TargetKeyId": id}),
        )
        .await
        .is_err()
    );
    let aliases = call(&k, "ListAliases", json!({"KeyId": id})).await.unwrap();
    assert_eq!(aliases["Aliases"], json!([]));
}

#[tokio::test]
async fn key_tags_go_with_the_check_when_wanted() {
    let k = kms();
    let meta = call(
        &k,
        "CreateKey",
        json!({"Tags": [{"TagKey": "team", "TagValue": "a"}]}),
    )
    .await
    .unwrap()["KeyMetadata"]
        .clone();
    let a = Arc::new(Recorder::default().wanting_tags());
    call_as(&k, &a, "DescribeKey", json!({"KeyId": meta["KeyId"]}))
        .await
        .unwrap();
    assert_eq!(
        a.context.lock().unwrap()[0].1,
        Some(vec![("team".to_owned(), "a".to_owned())])
    );
}

/// The `KeyMaterialId` a Decrypt answered: 64 lowercase hex.
fn meta_material(out: &Value) -> String {
    let id = out["KeyMaterialId"].as_str().unwrap_or_default().to_owned();
    assert_eq!(id.len(), 64, "{out}");
    assert!(
        id.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')),
        "{id}"
    );
    id
}

/// The rotation operations' model constraints, and their answers' shape.
#[tokio::test]
async fn rotation_operations_on_the_wire() {
    let k = kms();
    let meta = create_key(&k).await;
    let id = meta["KeyId"].as_str().unwrap().to_owned();
    let first = meta["CurrentKeyMaterialId"].as_str().unwrap().to_owned();
    for (body, text) in [
        (
            json!({"KeyId": id, "RotationPeriodInDays": 89}),
            "rotationPeriodInDays",
        ),
        (
            json!({"KeyId": id, "RotationPeriodInDays": 2561}),
            "rotationPeriodInDays",
        ),
        (json!({}), "keyId"),
    ] {
        let e = call(&k, "EnableKeyRotation", body.clone())
            .await
            .unwrap_err();
        assert_eq!(e.code, "ValidationException", "{body}");
        assert!(e.message.contains(text), "{body}: {}", e.message);
    }
    let e = call(
        &k,
        "ListKeyRotations",
        json!({"KeyId": id, "IncludeKeyMaterial": "SOME"}),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code, "ValidationException");
    assert!(e.message.contains("includeKeyMaterial"), "{}", e.message);

    let status = call(&k, "GetKeyRotationStatus", json!({"KeyId": id}))
        .await
        .unwrap();
    assert_eq!(status, json!({"KeyRotationEnabled": false, "KeyId": id}));
    call(&k, "EnableKeyRotation", json!({"KeyId": id}))
        .await
        .unwrap();
    let status = call(&k, "GetKeyRotationStatus", json!({"KeyId": id}))
        .await
        .unwrap();
    assert_eq!(status["RotationPeriodInDays"], 365);
    assert!(status["NextRotationDate"].as_f64().is_some(), "{status}");

    let out = call(&k, "RotateKeyOnDemand", json!({"KeyId": id}))
        .await
        .unwrap();
    assert_eq!(out, json!({"KeyId": id}));
    let list = call(&k, "ListKeyRotations", json!({"KeyId": id}))
        .await
        .unwrap();
    assert_eq!(list["Truncated"], false);
    let rotations = list["Rotations"].as_array().unwrap();
    assert_eq!(rotations.len(), 1);
    let second = rotations[0]["KeyMaterialId"].as_str().unwrap();
    assert_ne!(second, first);
    assert_eq!(rotations[0]["KeyMaterialState"], "CURRENT");
    assert_eq!(rotations[0]["RotationType"], "ON_DEMAND");
    assert!(rotations[0]["RotationDate"].as_f64().is_some());
    let described = call(&k, "DescribeKey", json!({"KeyId": id})).await.unwrap();
    assert_eq!(described["KeyMetadata"]["CurrentKeyMaterialId"], second);
    let data_key = call(
        &k,
        "GenerateDataKeyWithoutPlaintext",
        json!({"KeyId": id, "KeySpec": "AES_256"}),
    )
    .await
    .unwrap();
    assert_eq!(data_key["KeyMaterialId"], second);
}
