//! PutParameter: types, overwrite, validation, AllowedPattern, tiers, data types.

use aws_sdk_ssm::types::{ParameterTier, ParameterType};

use super::{get, overwrite, put, put_typed, tag, value};
use crate::support::{self, code, message};

const TIER_TEXT: &str = "Standard tier parameters support a maximum parameter value of 4096 characters. To create a larger parameter value, upgrade the parameter to use the advanced-parameter tier. For more information, see https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn put_each_type_and_read_it_back() {
    let server = support::in_process().await;
    let ssm = server.ssm();

    let out = ssm
        .put_parameter()
        .name("/app/s")
        .value("plain")
        .r#type(ParameterType::String)
        .send()
        .await
        .unwrap();
    assert_eq!(out.version(), 1);
    assert_eq!(out.tier(), Some(&ParameterTier::Standard));
    let p = get(&ssm, "/app/s", false).await;
    assert_eq!(value(&p), "plain");
    assert_eq!(p.r#type(), Some(&ParameterType::String));

    // StringList is stored and returned verbatim.
    put_typed(&ssm, "/app/l", "a,b, c,,d", ParameterType::StringList).await;
    let p = get(&ssm, "/app/l", false).await;
    assert_eq!(value(&p), "a,b, c,,d");
    assert_eq!(p.r#type(), Some(&ParameterType::StringList));

    // SecureString with the default key.
    assert_eq!(
        put_typed(&ssm, "/app/sec", "hunter2", ParameterType::SecureString).await,
        1
    );
    let p = get(&ssm, "/app/sec", true).await;
    assert_eq!(value(&p), "hunter2");
    assert_eq!(p.r#type(), Some(&ParameterType::SecureString));

    // SecureString with the default key named explicitly.
    ssm.put_parameter()
        .name("/app/sec2")
        .value("s3cr3t")
        .r#type(ParameterType::SecureString)
        .key_id("alias/aws/ssm")
        .send()
        .await
        .unwrap();
    assert_eq!(value(&get(&ssm, "/app/sec2", true).await), "s3cr3t");

    // Both report the default key in DescribeParameters.
    let described = ssm
        .describe_parameters()
        .parameter_filters(super::filter("Type", Some("Equals"), &["SecureString"]))
        .send()
        .await
        .unwrap();
    let keys: Vec<_> = described
        .parameters()
        .iter()
        .map(|m| (m.name().unwrap().to_owned(), m.key_id().map(str::to_owned)))
        .collect();
    assert_eq!(keys.len(), 2, "{keys:?}");
    for (name, key) in keys {
        assert_eq!(key.as_deref(), Some("alias/aws/ssm"), "{name}");
    }

    // KeyId with a non-SecureString type is a validation error (text unconfirmed).
    let err = ssm
        .put_parameter()
        .name("/app/keyed-string")
        .value("v")
        .r#type(ParameterType::String)
        .key_id("alias/aws/ssm")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ValidationException");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overwrite_versions_and_create_errors() {
    let server = support::in_process().await;
    let ssm = server.ssm();

    put(&ssm, "/o/x", "one").await;
    assert_eq!(overwrite(&ssm, "/o/x", "two").await, 2);
    assert_eq!(value(&get(&ssm, "/o/x", false).await), "two");
    // Same value still makes a new version.
    assert_eq!(overwrite(&ssm, "/o/x", "two").await, 3);

    // Overwrite false (explicit and absent) on an existing name.
    for explicit in [false, true] {
        let mut req = ssm
            .put_parameter()
            .name("/o/x")
            .value("three")
            .r#type(ParameterType::String);
        if explicit {
            req = req.overwrite(false);
        }
        let err = req.send().await.unwrap_err();
        assert_eq!(code(&err), "ParameterAlreadyExists");
        assert_eq!(
            message(&err),
            "The parameter already exists. To overwrite this value, set the overwrite option in the request to true."
        );
    }
    let p = get(&ssm, "/o/x", false).await;
    assert_eq!((value(&p), p.version()), ("two", 3));

    // Missing Type on create.
    let err = ssm
        .put_parameter()
        .name("/o/untyped")
        .value("v")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ValidationException");
    assert_eq!(
        message(&err),
        "A parameter type is required when you create a parameter."
    );
    let err = ssm
        .get_parameter()
        .name("/o/untyped")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ParameterNotFound", "nothing half-written");

    // Tags together with overwrite, on an existing and on a new name.
    for name in ["/o/x", "/o/new-with-tags"] {
        let err = ssm
            .put_parameter()
            .name(name)
            .value("v")
            .r#type(ParameterType::String)
            .overwrite(true)
            .tags(tag("env", "prod"))
            .send()
            .await
            .unwrap_err();
        assert_eq!(code(&err), "ValidationException", "{name}");
        assert_eq!(
            message(&err),
            "Invalid request: tags and overwrite can't be used together. To create a parameter with tags, please remove overwrite flag. To update tags for an existing parameter, please use AddTagsToResource or RemoveTagsFromResource."
        );
    }
    assert_eq!(get(&ssm, "/o/x", false).await.version(), 3);

    // Overwrite without Type keeps the type (SecureString stays encrypted).
    put_typed(&ssm, "/o/sec", "a", ParameterType::SecureString).await;
    assert_eq!(overwrite(&ssm, "/o/sec", "b").await, 2);
    let p = get(&ssm, "/o/sec", false).await;
    assert_eq!(p.r#type(), Some(&ParameterType::SecureString));
    assert_ne!(value(&p), "b");
    assert_eq!(value(&get(&ssm, "/o/sec", true).await), "b");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn description_and_allowed_pattern_survive_overwrite() {
    let server = support::in_process().await;
    let ssm = server.ssm();

    ssm.put_parameter()
        .name("/p/port")
        .value("8080")
        .r#type(ParameterType::String)
        .description("the port")
        .allowed_pattern("^[0-9]+$")
        .send()
        .await
        .unwrap();
    assert_eq!(overwrite(&ssm, "/p/port", "9090").await, 2);

    let meta = ssm
        .describe_parameters()
        .parameter_filters(super::filter("Name", Some("Equals"), &["/p/port"]))
        .send()
        .await
        .unwrap();
    let m = &meta.parameters()[0];
    assert_eq!(m.description(), Some("the port"));
    assert_eq!(m.allowed_pattern(), Some("^[0-9]+$"));
    assert_eq!(m.version(), 2);

    // The kept pattern applies to later writes.
    let err = ssm
        .put_parameter()
        .name("/p/port")
        .value("http")
        .overwrite(true)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ParameterPatternMismatchException");
    assert_eq!(value(&get(&ssm, "/p/port", false).await), "9090");

    // The value must match the whole pattern, not a part of it.
    let err = ssm
        .put_parameter()
        .name("/p/partial")
        .value("12ab")
        .r#type(ParameterType::String)
        .allowed_pattern("[0-9]+")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ParameterPatternMismatchException");

    // An invalid regex.
    let err = ssm
        .put_parameter()
        .name("/p/bad-regex")
        .value("x")
        .r#type(ParameterType::String)
        .allowed_pattern("[unclosed")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidAllowedPatternException");
    for name in ["/p/partial", "/p/bad-regex"] {
        let err = ssm.get_parameter().name(name).send().await.unwrap_err();
        assert_eq!(code(&err), "ParameterNotFound", "{name}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tiers_and_value_size_limits() {
    let server = support::in_process().await;
    let ssm = server.ssm();
    let big = "x".repeat(5000);

    // Intelligent-Tiering picks Advanced for a value over 4096 chars…
    let out = ssm
        .put_parameter()
        .name("/t/intelligent-big")
        .value(&big)
        .r#type(ParameterType::String)
        .tier(ParameterTier::IntelligentTiering)
        .send()
        .await
        .unwrap();
    assert_eq!(out.tier(), Some(&ParameterTier::Advanced));
    assert_eq!(value(&get(&ssm, "/t/intelligent-big", false).await), big);
    // …and Standard for a small one.
    let out = ssm
        .put_parameter()
        .name("/t/intelligent-small")
        .value("small")
        .r#type(ParameterType::String)
        .tier(ParameterTier::IntelligentTiering)
        .send()
        .await
        .unwrap();
    assert_eq!(out.tier(), Some(&ParameterTier::Standard));

    // Standard: 4096 fits, 4097 and 5000 do not (explicit tier and default tier).
    let out = ssm
        .put_parameter()
        .name("/t/std-4096")
        .value("y".repeat(4096))
        .r#type(ParameterType::String)
        .send()
        .await
        .unwrap();
    assert_eq!(out.tier(), Some(&ParameterTier::Standard));
    for (name, len, tier) in [
        ("/t/std-5000", 5000, Some(ParameterTier::Standard)),
        ("/t/default-4097", 4097, None),
    ] {
        let err = ssm
            .put_parameter()
            .name(name)
            .value("z".repeat(len))
            .r#type(ParameterType::String)
            .set_tier(tier)
            .send()
            .await
            .unwrap_err();
        assert_eq!(code(&err), "ValidationException", "{name}");
        assert_eq!(message(&err), TIER_TEXT, "{name}");
    }

    // Advanced: 8192 fits, 8193 does not.
    let out = ssm
        .put_parameter()
        .name("/t/adv")
        .value("a".repeat(8192))
        .r#type(ParameterType::String)
        .tier(ParameterTier::Advanced)
        .send()
        .await
        .unwrap();
    assert_eq!(out.tier(), Some(&ParameterTier::Advanced));
    let err = ssm
        .put_parameter()
        .name("/t/adv-too-big")
        .value("a".repeat(8193))
        .r#type(ParameterType::String)
        .tier(ParameterTier::Advanced)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ValidationException");

    // Overwrite without Tier keeps Advanced; Advanced → Standard is refused.
    let out = ssm
        .put_parameter()
        .name("/t/adv")
        .value("short now")
        .overwrite(true)
        .send()
        .await
        .unwrap();
    assert_eq!(out.version(), 2);
    assert_eq!(out.tier(), Some(&ParameterTier::Advanced));
    let err = ssm
        .put_parameter()
        .name("/t/adv")
        .value("short")
        .overwrite(true)
        .tier(ParameterTier::Standard)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ValidationException");
    assert_eq!(get(&ssm, "/t/adv", false).await.version(), 2);

    // Standard → Advanced is allowed on overwrite.
    let out = ssm
        .put_parameter()
        .name("/t/intelligent-small")
        .value("b".repeat(6000))
        .overwrite(true)
        .tier(ParameterTier::Advanced)
        .send()
        .await
        .unwrap();
    assert_eq!(
        (out.version(), out.tier()),
        (2, Some(&ParameterTier::Advanced))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_types_and_bad_values() {
    let server = support::in_process().await;
    let ssm = server.ssm();

    put(&ssm, "/d/default", "v").await;
    assert_eq!(
        get(&ssm, "/d/default", false).await.data_type(),
        Some("text")
    );
    ssm.put_parameter()
        .name("/d/text")
        .value("v")
        .r#type(ParameterType::String)
        .data_type("text")
        .send()
        .await
        .unwrap();
    assert_eq!(get(&ssm, "/d/text", false).await.data_type(), Some("text"));

    let err = ssm
        .put_parameter()
        .name("/d/json")
        .value("{}")
        .r#type(ParameterType::String)
        .data_type("json")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ValidationException");
    assert_eq!(
        message(&err),
        "The following data type is not supported: json (Data type names are all lowercase.)"
    );

    // Empty values and `{{ … }}` references are refused (texts unconfirmed).
    for (name, v) in [("/d/empty", ""), ("/d/ref", "{{ssm:/d/text}}")] {
        let err = ssm
            .put_parameter()
            .name(name)
            .value(v)
            .r#type(ParameterType::String)
            .send()
            .await
            .unwrap_err();
        assert_eq!(code(&err), "ValidationException", "{name}");
    }
}
