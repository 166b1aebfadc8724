//! Creating secrets and reading them back: names, full and partial ARNs,
//! versions and stages, binary values, the 64 KB limit.

use aws_sdk_secretsmanager::primitives::Blob;

use super::{account_of, create, current, partial_arn, put, stages, table};
use crate::support::{self, code, message};

const ENV_DOCUMENT: &str = r#"{"DB_HOST":"db.internal","DB_PASSWORD":"pa55w0rd!","PORT":"5432"}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_and_read_back_by_name_full_and_partial_arn() {
    let server = support::in_process().await;
    let sm = server.secrets();

    let created = sm
        .create_secret()
        .name("prod/app/env")
        .description("environment of the app")
        .secret_string(ENV_DOCUMENT)
        .send()
        .await
        .unwrap();
    let arn = created.arn().unwrap().to_owned();
    let account = account_of(&arn);
    let prefix = format!("arn:aws:secretsmanager:us-east-1:{account}:secret:prod/app/env-");
    assert!(arn.starts_with(&prefix), "{arn}");
    let suffix = &arn[prefix.len()..];
    assert_eq!(suffix.len(), 6, "{arn}");
    assert!(suffix.chars().all(|c| c.is_ascii_alphanumeric()), "{arn}");
    assert_eq!(created.name(), Some("prod/app/env"));
    let version = created
        .version_id()
        .expect("VersionId when a value was given");
    assert!((32..=64).contains(&version.len()), "{version}");

    for id in ["prod/app/env".to_owned(), arn.clone(), partial_arn(&arn)] {
        let got = sm.get_secret_value().secret_id(&id).send().await.unwrap();
        assert_eq!(got.arn(), Some(arn.as_str()), "by {id}");
        assert_eq!(got.name(), Some("prod/app/env"), "by {id}");
        assert_eq!(got.version_id(), Some(version), "by {id}");
        assert_eq!(got.version_stages(), ["AWSCURRENT"], "by {id}");
        assert!(got.created_date().is_some(), "by {id}");
        assert!(got.secret_binary().is_none(), "by {id}");
        let doc: serde_json::Value = serde_json::from_str(got.secret_string().unwrap()).unwrap();
        assert_eq!(doc["DB_PASSWORD"], "pa55w0rd!", "by {id}");
        assert_eq!(doc["PORT"], "5432", "by {id}");
    }

    let described = sm
        .describe_secret()
        .secret_id(partial_arn(&arn))
        .send()
        .await
        .unwrap();
    assert_eq!(described.arn(), Some(arn.as_str()));
    assert_eq!(described.name(), Some("prod/app/env"));
    assert_eq!(described.description(), Some("environment of the app"));
    assert_eq!(described.kms_key_id(), None, "default key is not reported");
    assert!(described.created_date().is_some());
    assert!(described.last_changed_date().is_some());
    assert!(described.deleted_date().is_none());
    assert!(described.tags().is_empty());
    assert_eq!(described.rotation_enabled(), None);
    assert_eq!(
        stages(&sm, "prod/app/env").await,
        table(&[(version, &["AWSCURRENT"])])
    );

    // Live name taken.
    let err = sm
        .create_secret()
        .name("prod/app/env")
        .secret_string("other")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ResourceExistsException");
    assert_eq!(
        message(&err),
        "The operation failed because the secret prod/app/env already exists."
    );

    // Unknown secret, by name and by a well-formed ARN.
    for id in [
        "nope".to_owned(),
        format!("arn:aws:secretsmanager:us-east-1:{account}:secret:nope-AbC123"),
    ] {
        let err = sm
            .get_secret_value()
            .secret_id(&id)
            .send()
            .await
            .unwrap_err();
        assert_eq!(code(&err), "ResourceNotFoundException", "{id}");
        assert_eq!(
            message(&err),
            "Secrets Manager can't find the specified secret.",
            "{id}"
        );
    }
    // The right name with the wrong suffix is another secret.
    let wrong_suffix = format!(
        "{prefix}{}",
        if suffix == "ZZZZZZ" {
            "YYYYYY"
        } else {
            "ZZZZZZ"
        }
    );
    let err = sm
        .get_secret_value()
        .secret_id(wrong_suffix)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ResourceNotFoundException");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_that_look_like_a_suffix_and_invalid_names() {
    let server = support::in_process().await;
    let sm = server.secrets();

    // A name ending in `-` + 6 alnum: reachable by name and full ARN, but its
    // partial ARN looks like a full ARN, so it is not (spec §1, observed).
    let arn = create(&sm, "x-a1b2c3", "v").await.arn().unwrap().to_owned();
    assert_eq!(current(&sm, "x-a1b2c3").await, "v");
    assert_eq!(current(&sm, &arn).await, "v");
    let err = sm
        .get_secret_value()
        .secret_id(partial_arn(&arn))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ResourceNotFoundException");

    for bad in ["has space", "star*", "what?", "bang!"] {
        let err = sm
            .create_secret()
            .name(bad)
            .secret_string("v")
            .send()
            .await
            .unwrap_err();
        assert_eq!(code(&err), "ValidationException", "{bad}");
        assert_eq!(
            message(&err),
            "Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!",
            "{bad}"
        );
    }
    // Every allowed punctuation character.
    assert_eq!(
        create(&sm, "a/b_c+d=e.f@g-h", "ok").await.name(),
        Some("a/b_c+d=e.f@g-h")
    );
    assert_eq!(current(&sm, "a/b_c+d=e.f@g-h").await, "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_by_version_id_and_stage_and_their_errors() {
    let server = support::in_process().await;
    let sm = server.secrets();

    let v1 = create(&sm, "db", "one")
        .await
        .version_id()
        .unwrap()
        .to_owned();
    let v2 = put(&sm, "db", "two").await;
    assert_ne!(v1, v2);

    let got = sm
        .get_secret_value()
        .secret_id("db")
        .version_id(&v1)
        .send()
        .await
        .unwrap();
    assert_eq!(got.secret_string(), Some("one"));
    assert_eq!(got.version_stages(), ["AWSPREVIOUS"]);
    let got = sm
        .get_secret_value()
        .secret_id("db")
        .version_stage("AWSPREVIOUS")
        .send()
        .await
        .unwrap();
    assert_eq!(got.version_id(), Some(v1.as_str()));
    assert_eq!(got.secret_string(), Some("one"));
    let got = sm
        .get_secret_value()
        .secret_id("db")
        .version_id(&v2)
        .version_stage("AWSCURRENT")
        .send()
        .await
        .unwrap();
    assert_eq!(got.secret_string(), Some("two"));

    // Id and stage disagree.
    let err = sm
        .get_secret_value()
        .secret_id("db")
        .version_id(&v1)
        .version_stage("AWSCURRENT")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidRequestException");
    assert_eq!(
        message(&err),
        "You provided a VersionStage that is not associated to the provided VersionId."
    );

    let unknown = "11111111-2222-4333-8444-555555555555";
    let err = sm
        .get_secret_value()
        .secret_id("db")
        .version_id(unknown)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ResourceNotFoundException");
    assert_eq!(
        message(&err),
        format!("Secrets Manager can't find the specified secret value for VersionId: {unknown}")
    );

    let err = sm
        .get_secret_value()
        .secret_id("db")
        .version_stage("NOPE")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ResourceNotFoundException");
    assert_eq!(
        message(&err),
        "Secrets Manager can't find the specified secret value for staging label: NOPE"
    );

    // A secret created without a value has no version at all.
    let empty = sm.create_secret().name("empty").send().await.unwrap();
    assert_eq!(empty.version_id(), None);
    assert!(stages(&sm, "empty").await.is_empty());
    let err = sm
        .get_secret_value()
        .secret_id("empty")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ResourceNotFoundException");
    assert_eq!(
        message(&err),
        "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT"
    );
    // Its first value becomes AWSCURRENT.
    let first = put(&sm, "empty", "now").await;
    assert_eq!(current(&sm, "empty").await, "now");
    assert_eq!(
        stages(&sm, "empty").await,
        table(&[(&first, &["AWSCURRENT"])])
    );

    // PutSecretValue without any value.
    let err = sm
        .put_secret_value()
        .secret_id("db")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidRequestException");
    assert_eq!(current(&sm, "db").await, "two");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_secret_round_trips_byte_for_byte() {
    let server = support::in_process().await;
    let sm = server.secrets();

    let every_byte: Vec<u8> = (0..=255u8).collect();
    let created = sm
        .create_secret()
        .name("bin")
        .secret_binary(Blob::new(every_byte.clone()))
        .send()
        .await
        .unwrap();
    assert!(created.version_id().is_some());
    let got = sm.get_secret_value().secret_id("bin").send().await.unwrap();
    assert_eq!(got.secret_binary().unwrap().as_ref(), every_byte.as_slice());
    assert_eq!(got.secret_string(), None);

    // A new binary version, reversed; the old one stays readable as AWSPREVIOUS.
    let reversed: Vec<u8> = every_byte.iter().rev().copied().collect();
    sm.put_secret_value()
        .secret_id("bin")
        .secret_binary(Blob::new(reversed.clone()))
        .send()
        .await
        .unwrap();
    let got = sm.get_secret_value().secret_id("bin").send().await.unwrap();
    assert_eq!(got.secret_binary().unwrap().as_ref(), reversed.as_slice());
    let got = sm
        .get_secret_value()
        .secret_id("bin")
        .version_stage("AWSPREVIOUS")
        .send()
        .await
        .unwrap();
    assert_eq!(got.secret_binary().unwrap().as_ref(), every_byte.as_slice());

    // Both kinds of value at once.
    let err = sm
        .create_secret()
        .name("both")
        .secret_string("s")
        .secret_binary(Blob::new(vec![1, 2, 3]))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidParameterException");
    let err = sm
        .describe_secret()
        .secret_id("both")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        code(&err),
        "ResourceNotFoundException",
        "nothing half-written"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn values_are_limited_to_64_kib() {
    let server = support::in_process().await;
    let sm = server.secrets();

    let max = "a".repeat(65536);
    create(&sm, "big", &max).await;
    assert_eq!(current(&sm, "big").await.len(), 65536);

    let too_big = "b".repeat(65537);
    let err = sm
        .create_secret()
        .name("too-big")
        .secret_string(&too_big)
        .send()
        .await
        .unwrap_err();
    let c = code(&err);
    assert!(
        c == "ValidationException" || c == "InvalidParameterException",
        "{c}: {}",
        message(&err)
    );
    let err = sm
        .put_secret_value()
        .secret_id("big")
        .secret_string(&too_big)
        .send()
        .await
        .unwrap_err();
    let c = code(&err);
    assert!(
        c == "ValidationException" || c == "InvalidParameterException",
        "{c}: {}",
        message(&err)
    );
    assert_eq!(current(&sm, "big").await, max);

    // Binary: 65536 bytes is the limit too.
    sm.put_secret_value()
        .secret_id("big")
        .secret_binary(Blob::new(vec![7u8; 65536]))
        .send()
        .await
        .unwrap();
    let err = sm
        .put_secret_value()
        .secret_id("big")
        .secret_binary(Blob::new(vec![7u8; 65537]))
        .send()
        .await
        .unwrap_err();
    let c = code(&err);
    assert!(
        c == "ValidationException" || c == "InvalidParameterException",
        "{c}: {}",
        message(&err)
    );
    let versions = sm
        .list_secret_version_ids()
        .secret_id("big")
        .include_deprecated(true)
        .send()
        .await
        .unwrap();
    assert_eq!(
        versions.versions().len(),
        2,
        "refused writes left no version"
    );
}
