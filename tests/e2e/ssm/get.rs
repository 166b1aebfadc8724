//! GetParameter and GetParameters: decryption, selectors, ARNs, missing names.

use aws_sdk_ssm::types::ParameterType;

use super::{account_of, get, overwrite, put, put_typed, value};
use crate::support::{self, code, message};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secure_string_is_opaque_without_decryption() {
    let server = support::in_process().await;
    let ssm = server.ssm();
    let secret = "correct horse battery staple";
    put_typed(&ssm, "/g/secret", secret, ParameterType::SecureString).await;

    for decrypt in [None, Some(false)] {
        let p = ssm
            .get_parameter()
            .name("/g/secret")
            .set_with_decryption(decrypt)
            .send()
            .await
            .unwrap()
            .parameter()
            .unwrap()
            .clone();
        let v = value(&p);
        assert_ne!(v, secret);
        assert!(!v.contains(secret));
        let blob = aws_smithy_types::base64::decode(v)
            .unwrap_or_else(|e| panic!("ciphertext is not base64 ({e}): {v}"));
        assert!(
            blob.len() > secret.len(),
            "ciphertext shorter than plaintext"
        );
        assert!(!blob.windows(secret.len()).any(|w| w == secret.as_bytes()));
        assert_eq!(p.r#type(), Some(&ParameterType::SecureString));
    }
    assert_eq!(value(&get(&ssm, "/g/secret", true).await), secret);

    // WithDecryption is ignored for other types.
    put(&ssm, "/g/plain", "visible").await;
    assert_eq!(value(&get(&ssm, "/g/plain", true).await), "visible");
    assert_eq!(value(&get(&ssm, "/g/plain", false).await), "visible");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leading_slash_is_optional_for_single_level_names() {
    let server = support::in_process().await;
    let ssm = server.ssm();

    put(&ssm, "x", "made as x").await;
    assert_eq!(value(&get(&ssm, "/x", false).await), "made as x");
    put(&ssm, "/y", "made as /y").await;
    assert_eq!(value(&get(&ssm, "y", false).await), "made as /y");

    // Writes through the other spelling hit the same parameter.
    assert_eq!(overwrite(&ssm, "/x", "second").await, 2);
    assert_eq!(value(&get(&ssm, "x", false).await), "second");
    let err = ssm
        .put_parameter()
        .name("/x")
        .value("v")
        .r#type(ParameterType::String)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ParameterAlreadyExists");

    let history = ssm.get_parameter_history().name("/x").send().await.unwrap();
    assert_eq!(history.parameters().len(), 2);

    ssm.delete_parameter().name("/x").send().await.unwrap();
    let err = ssm.get_parameter().name("x").send().await.unwrap_err();
    assert_eq!(code(&err), "ParameterNotFound");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn version_and_label_selectors() {
    let server = support::in_process().await;
    let ssm = server.ssm();
    put(&ssm, "/sel", "v1").await;
    overwrite(&ssm, "/sel", "v2").await;
    overwrite(&ssm, "/sel", "v3").await;
    ssm.label_parameter_version()
        .name("/sel")
        .parameter_version(1)
        .labels("prod")
        .send()
        .await
        .unwrap();

    let latest = get(&ssm, "/sel", false).await;
    assert_eq!((value(&latest), latest.version()), ("v3", 3));
    assert_eq!(latest.selector(), None);

    let p = get(&ssm, "/sel:1", false).await;
    assert_eq!(value(&p), "v1");
    assert_eq!(p.version(), 1);
    assert_eq!(p.selector(), Some(":1"));
    assert_eq!(p.name(), Some("/sel"));
    assert_eq!(p.arn(), latest.arn(), "ARN carries no selector");

    let p = get(&ssm, "/sel:prod", false).await;
    assert_eq!((value(&p), p.version()), ("v1", 1));
    assert_eq!(p.selector(), Some(":prod"));
    assert_eq!(p.name(), Some("/sel"));

    // Selectors on ARNs.
    let arn = latest.arn().unwrap();
    let p = get(&ssm, &format!("{arn}:2"), false).await;
    assert_eq!((value(&p), p.version()), ("v2", 2));

    let err = ssm.get_parameter().name("/sel:9").send().await.unwrap_err();
    assert_eq!(code(&err), "ParameterVersionNotFound");
    assert_eq!(
        message(&err),
        "Systems Manager could not find version 9 of /sel. Verify the version and try again."
    );

    let err = ssm
        .get_parameter()
        .name("/sel:nolabel")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ParameterVersionNotFound");

    let err = ssm
        .get_parameter()
        .name("/missing:2")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ParameterNotFound");
    assert_eq!(message(&err), "Parameter /missing:2 not found.");

    let err = ssm
        .get_parameter()
        .name("/sel:1:2")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ParameterNotFound");
    assert_eq!(message(&err), "Parameter /sel:1:2 not found.");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_parameter_fields_missing_names_and_arns() {
    let server = support::in_process().await;
    let ssm = server.ssm();

    let err = ssm.get_parameter().name("/nope").send().await.unwrap_err();
    assert_eq!(code(&err), "ParameterNotFound");
    assert_eq!(message(&err), "Parameter /nope not found.");

    put(&ssm, "/a/b", "value-ab").await;
    let p = get(&ssm, "/a/b", false).await;
    assert_eq!(p.name(), Some("/a/b"));
    assert_eq!(p.r#type(), Some(&ParameterType::String));
    assert_eq!(p.version(), 1);
    assert_eq!(p.data_type(), Some("text"));
    assert_eq!(p.selector(), None);
    let modified = p.last_modified_date().expect("LastModifiedDate");
    assert!(modified.secs() > 1_600_000_000, "{modified:?}");
    let arn = p.arn().expect("ARN").to_owned();
    let account = account_of(&arn);
    assert!(
        account.len() == 12 && account.chars().all(|c| c.is_ascii_digit()),
        "{arn}"
    );
    assert_eq!(
        arn,
        format!("arn:aws:ssm:us-east-1:{account}:parameter/a/b")
    );

    // Read by ARN.
    let by_arn = get(&ssm, &arn, false).await;
    assert_eq!(value(&by_arn), "value-ab");
    assert_eq!(by_arn.arn(), Some(arn.as_str()));
    assert_eq!(by_arn.version(), 1);

    // A flat name gets one slash in its ARN.
    put(&ssm, "helloWorld", "hi").await;
    let flat = get(&ssm, "helloWorld", false).await;
    assert_eq!(
        flat.arn(),
        Some(format!("arn:aws:ssm:us-east-1:{account}:parameter/helloWorld").as_str())
    );
    assert_eq!(value(&get(&ssm, flat.arn().unwrap(), false).await), "hi");

    // An ARN of a missing parameter.
    let missing = format!("arn:aws:ssm:us-east-1:{account}:parameter/a/none");
    let err = ssm.get_parameter().name(&missing).send().await.unwrap_err();
    assert_eq!(code(&err), "ParameterNotFound");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_parameters_splits_found_and_invalid() {
    let server = support::in_process().await;
    let ssm = server.ssm();
    put(&ssm, "/m/b", "bee").await;
    put(&ssm, "/m/a", "ay").await;
    overwrite(&ssm, "/m/a", "ay2").await;
    put_typed(&ssm, "/m/s", "sekrit", ParameterType::SecureString).await;

    let out = ssm
        .get_parameters()
        .names("/m/b")
        .names("/m/missing")
        .names("/m/a:1")
        .names("/m/a:9")
        .names("/m/a:1:2")
        .names("/m/s")
        .with_decryption(true)
        .send()
        .await
        .unwrap();
    let found: Vec<_> = out
        .parameters()
        .iter()
        .map(|p| (p.name().unwrap(), value(p), p.version()))
        .collect();
    assert_eq!(
        found,
        vec![("/m/a", "ay", 1), ("/m/b", "bee", 1), ("/m/s", "sekrit", 1)],
        "found parameters, sorted by name"
    );
    assert_eq!(
        super::set(out.invalid_parameters()),
        super::set(["/m/missing", "/m/a:9", "/m/a:1:2"])
    );

    // All found: InvalidParameters is empty; without decryption the secret stays opaque.
    let out = ssm
        .get_parameters()
        .names("/m/s")
        .names("/m/a")
        .send()
        .await
        .unwrap();
    assert!(out.invalid_parameters().is_empty());
    assert_eq!(out.parameters().len(), 2);
    for p in out.parameters() {
        if p.name() == Some("/m/s") {
            assert_ne!(value(p), "sekrit");
        } else {
            assert_eq!(value(p), "ay2");
        }
    }

    // More than 10 names.
    let names: Vec<String> = (0..11).map(|i| format!("/m/n{i}")).collect();
    let err = ssm
        .get_parameters()
        .set_names(Some(names.clone()))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ValidationException");
    assert_eq!(
        message(&err),
        format!(
            "1 validation error detected: Value '[{}]' at 'names' failed to satisfy constraint: Member must have length less than or equal to 10",
            names.join(", ")
        )
    );
}
