//! Service-level tests: the real SQLite store (in memory) and a real keyring.

use std::sync::Arc;

use kinko_crypto::{RootKey, SecretString};
use kinko_model::Tag;
use kinko_store::{SqliteStore, Store};

use super::*;
use crate::keyring::Keyring;

pub(super) fn caller() -> Caller {
    Caller {
        region: "us-east-1".into(),
        account_id: "123456789012".into(),
        arn: "arn:aws:iam::123456789012:user/alice".into(),
    }
}

pub(super) fn service() -> (ParameterStore, Arc<dyn Store>) {
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory().unwrap());
    let keyring = Arc::new(Keyring::new(
        store.clone(),
        RootKey::generate(),
        "123456789012".into(),
    ));
    (ParameterStore::new(store.clone(), keyring), store)
}

pub(super) fn put(name: &str, value: &str, t: ParameterType) -> PutParameterInput {
    PutParameterInput::new(name, SecretString::from(value), Some(t))
}

fn overwrite(name: &str, value: &str) -> PutParameterInput {
    let mut p = PutParameterInput::new(name, SecretString::from(value), None);
    p.overwrite = true;
    p
}

#[tokio::test]
async fn put_then_get_each_type() {
    let (ssm, _) = service();
    let c = caller();
    let out = ssm
        .put_parameter(&c, put("/app/url", "https://x", ParameterType::String))
        .await
        .unwrap();
    assert_eq!(
        out,
        PutParameterOutput {
            version: 1,
            tier: "Standard".into()
        }
    );
    ssm.put_parameter(&c, put("list", "a,b,c", ParameterType::StringList))
        .await
        .unwrap();
    ssm.put_parameter(&c, put("/app/pw", "s3cr3t", ParameterType::SecureString))
        .await
        .unwrap();

    let p = ssm.get_parameter(&c, "/app/url", false).await.unwrap();
    assert_eq!(p.value.expose(), "https://x");
    assert_eq!(p.name, "/app/url");
    assert_eq!(p.parameter_type, ParameterType::String);
    assert_eq!(p.version, 1);
    assert_eq!(
        p.arn,
        "arn:aws:ssm:us-east-1:123456789012:parameter/app/url"
    );
    assert_eq!(p.data_type, "text");
    assert_eq!(p.selector, None);

    let l = ssm.get_parameter(&c, "list", false).await.unwrap();
    assert_eq!(l.value.expose(), "a,b,c");
    assert_eq!(l.arn, "arn:aws:ssm:us-east-1:123456789012:parameter/list");

    let plain = ssm.get_parameter(&c, "/app/pw", true).await.unwrap();
    assert_eq!(plain.value.expose(), "s3cr3t");
    let sealed = ssm.get_parameter(&c, "/app/pw", false).await.unwrap();
    assert_ne!(sealed.value.expose(), "s3cr3t");
    assert!(!sealed.value.expose().contains("s3cr3t"));
}

#[tokio::test]
async fn slash_and_no_slash_are_the_same_parameter() {
    let (ssm, _) = service();
    let c = caller();
    ssm.put_parameter(&c, put("foo", "1", ParameterType::String))
        .await
        .unwrap();
    let err = ssm
        .put_parameter(&c, put("/foo", "2", ParameterType::String))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        SsmError::ParameterAlreadyExists("The parameter already exists. To overwrite this value, set the overwrite option in the request to true.".into())
    );
    // Read under either spelling, answered under the one asked for.
    let p = ssm.get_parameter(&c, "/foo", false).await.unwrap();
    assert_eq!(p.name, "/foo");
    assert_eq!(p.value.expose(), "1");
    assert_eq!(
        ssm.get_parameter(&c, "foo", false).await.unwrap().name,
        "foo"
    );
    let both = ssm
        .get_parameters(&c, &["/foo:1".into(), "/nope".into()], false)
        .await
        .unwrap();
    assert_eq!(both.parameters[0].name, "/foo");
    assert_eq!(both.parameters[0].selector.as_deref(), Some(":1"));
    assert_eq!(both.invalid_parameters, ["/nope"]);
    let arn = "arn:aws:ssm:us-east-1:123456789012:parameter/foo";
    assert_eq!(ssm.get_parameter(&c, arn, false).await.unwrap().name, "foo");
    ssm.delete_parameter(&c, "/foo").await.unwrap();
    assert_eq!(
        ssm.get_parameter(&c, "foo", false).await.unwrap_err(),
        SsmError::ParameterNotFound("Parameter foo not found.".into())
    );
}

#[tokio::test]
async fn overwrite_keeps_previous_fields() {
    let (ssm, store) = service();
    let c = caller();
    let mut first = put("/db/pw", "one", ParameterType::SecureString);
    first.description = Some("the db password".into());
    first.allowed_pattern = Some("[a-z]+".into());
    first.tier = Some(Tier::Advanced);
    ssm.put_parameter(&c, first).await.unwrap();

    let out = ssm
        .put_parameter(&c, overwrite("/db/pw", "two"))
        .await
        .unwrap();
    assert_eq!(
        out,
        PutParameterOutput {
            version: 2,
            tier: "Advanced".into()
        }
    );
    let rec = match store
        .get_parameter(
            "us-east-1",
            "/db/pw",
            &kinko_model::ssm::VersionSelector::Latest,
        )
        .await
        .unwrap()
    {
        kinko_store::ParameterLookup::Found(r) => r,
        other => panic!("{other:?}"),
    };
    assert_eq!(rec.version.parameter_type, ParameterType::SecureString);
    assert_eq!(rec.version.key_id.as_deref(), Some("alias/aws/ssm"));
    assert_eq!(rec.version.description.as_deref(), Some("the db password"));
    assert_eq!(rec.version.allowed_pattern.as_deref(), Some("[a-z]+"));
    assert_eq!(rec.version.tier, "Advanced");
    assert_eq!(
        rec.version.last_modified_user,
        "arn:aws:iam::123456789012:user/alice"
    );
    assert_eq!(
        ssm.get_parameter(&c, "/db/pw", true)
            .await
            .unwrap()
            .value
            .expose(),
        "two"
    );

    // The kept AllowedPattern still applies.
    let err = ssm
        .put_parameter(&c, overwrite("/db/pw", "NOPE1"))
        .await
        .unwrap_err();
    assert!(matches!(err, SsmError::ParameterPatternMismatch(m) if !m.contains("NOPE1")));
    // Downgrading the tier is refused.
    let mut down = overwrite("/db/pw", "three");
    down.tier = Some(Tier::Standard);
    assert!(matches!(
        ssm.put_parameter(&c, down).await,
        Err(SsmError::Validation(_))
    ));
    // Even the same value makes a new version.
    assert_eq!(
        ssm.put_parameter(&c, overwrite("/db/pw", "two"))
            .await
            .unwrap()
            .version,
        3
    );
}

#[tokio::test]
async fn put_errors() {
    let (ssm, _) = service();
    let c = caller();
    let no_type = PutParameterInput::new("/x", SecretString::from("v"), None);
    assert_eq!(
        ssm.put_parameter(&c, no_type).await.unwrap_err(),
        SsmError::Validation("A parameter type is required when you create a parameter.".into())
    );
    let mut tagged = overwrite("/x", "v");
    tagged.parameter_type = Some(ParameterType::String);
    tagged.tags = vec![Tag {
        key: "a".into(),
        value: "b".into(),
    }];
    assert!(
        matches!(ssm.put_parameter(&c, tagged).await, Err(SsmError::Validation(m)) if m.starts_with("Invalid request: tags and overwrite"))
    );
    let long = "x".repeat(4097);
    assert_eq!(
        ssm.put_parameter(&c, put("/x", &long, ParameterType::String))
            .await
            .unwrap_err(),
        SsmError::Validation(put::STANDARD_VALUE_TOO_LONG.into())
    );
    let mut advanced = put("/x", &long, ParameterType::String);
    advanced.tier = Some(Tier::Advanced);
    assert_eq!(
        ssm.put_parameter(&c, advanced).await.unwrap().tier,
        "Advanced"
    );
    let mut intelligent = put("/y", &long, ParameterType::String);
    intelligent.tier = Some(Tier::IntelligentTiering);
    assert_eq!(
        ssm.put_parameter(&c, intelligent).await.unwrap().tier,
        "Advanced"
    );

    let mut key_on_string = put("/z", "v", ParameterType::String);
    key_on_string.key_id = Some("alias/aws/ssm".into());
    assert!(matches!(
        ssm.put_parameter(&c, key_on_string).await,
        Err(SsmError::Validation(_))
    ));
    let mut bad_key = put("/z", "v", ParameterType::SecureString);
    bad_key.key_id = Some("alias/nope".into());
    assert!(matches!(
        ssm.put_parameter(&c, bad_key).await,
        Err(SsmError::InvalidKeyId(_))
    ));
    let mut bad_regex = put("/z", "v", ParameterType::String);
    bad_regex.allowed_pattern = Some("(".into());
    assert!(matches!(
        ssm.put_parameter(&c, bad_regex).await,
        Err(SsmError::InvalidAllowedPattern(_))
    ));
    assert!(matches!(
        ssm.put_parameter(&c, put("/z", "{{ssm:/a}}", ParameterType::String))
            .await,
        Err(SsmError::Validation(_))
    ));
    let mut dt = put("/z", "v", ParameterType::String);
    dt.data_type = Some("json".into());
    assert!(
        matches!(ssm.put_parameter(&c, dt).await, Err(SsmError::Validation(m)) if m.contains("not supported: json"))
    );
    assert!(matches!(
        ssm.put_parameter(&c, put("/aws/x", "v", ParameterType::String))
            .await,
        Err(SsmError::AccessDenied(_))
    ));
    // Nothing half-written.
    assert!(matches!(
        ssm.get_parameter(&c, "/z", false).await,
        Err(SsmError::ParameterNotFound(_))
    ));
}

#[tokio::test]
async fn selectors_on_get() {
    let (ssm, store) = service();
    let c = caller();
    ssm.put_parameter(&c, put("test-2", "v1", ParameterType::String))
        .await
        .unwrap();
    ssm.put_parameter(&c, overwrite("test-2", "v2"))
        .await
        .unwrap();
    store
        .label_parameter_version(
            "us-east-1",
            "/test-2",
            Some(1),
            &["prod".into()],
            10,
            crate::changes::test_change(),
        )
        .await
        .unwrap();

    let p = ssm.get_parameter(&c, "test-2:1", false).await.unwrap();
    assert_eq!(
        (
            p.value.expose(),
            p.version,
            p.selector.as_deref(),
            p.name.as_str()
        ),
        ("v1", 1, Some(":1"), "test-2")
    );
    let p = ssm.get_parameter(&c, "test-2:prod", false).await.unwrap();
    assert_eq!(
        (p.value.expose(), p.version, p.selector.as_deref()),
        ("v1", 1, Some(":prod"))
    );
    let arn = "arn:aws:ssm:us-east-1:123456789012:parameter/test-2:2";
    let p = ssm.get_parameter(&c, arn, false).await.unwrap();
    assert_eq!(
        (p.value.expose(), p.arn.as_str()),
        ("v2", "arn:aws:ssm:us-east-1:123456789012:parameter/test-2")
    );

    assert_eq!(
        ssm.get_parameter(&c, "test-2:3", false).await.unwrap_err(),
        SsmError::ParameterVersionNotFound(
            "Systems Manager could not find version 3 of test-2. Verify the version and try again."
                .into()
        )
    );
    assert!(matches!(
        ssm.get_parameter(&c, "test-2:nolabel", false).await,
        Err(SsmError::ParameterVersionNotFound(_))
    ));
    assert_eq!(
        ssm.get_parameter(&c, "test-3:2", false).await.unwrap_err(),
        SsmError::ParameterNotFound("Parameter test-3:2 not found.".into())
    );
    assert_eq!(
        ssm.get_parameter(&c, "a:2:3", false).await.unwrap_err(),
        SsmError::ParameterNotFound("Parameter a:2:3 not found.".into())
    );
}

#[tokio::test]
async fn get_parameters_sorts_and_reports_invalid() {
    let (ssm, _) = service();
    let c = caller();
    ssm.put_parameter(&c, put("/b", "2", ParameterType::String))
        .await
        .unwrap();
    ssm.put_parameter(&c, put("/a", "1", ParameterType::SecureString))
        .await
        .unwrap();
    let names: Vec<String> = ["/b", "/a", "/missing", "/a:9", "bad name!"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let out = ssm.get_parameters(&c, &names, true).await.unwrap();
    let got: Vec<(&str, &str)> = out
        .parameters
        .iter()
        .map(|p| (p.name.as_str(), p.value.expose()))
        .collect();
    assert_eq!(got, vec![("/a", "1"), ("/b", "2")]);
    assert_eq!(
        out.invalid_parameters,
        vec!["/missing", "/a:9", "bad name!"]
    );
}

#[tokio::test]
async fn delete_and_delete_many() {
    let (ssm, _) = service();
    let c = caller();
    ssm.put_parameter(&c, put("/a", "1", ParameterType::String))
        .await
        .unwrap();
    ssm.put_parameter(&c, put("/b", "1", ParameterType::String))
        .await
        .unwrap();
    assert_eq!(
        ssm.delete_parameter(&c, "/nope").await.unwrap_err(),
        SsmError::ParameterNotFound("Parameter /nope not found.".into())
    );
    let out = ssm
        .delete_parameters(&c, &["/a".into(), "/zz".into(), "b".into()])
        .await
        .unwrap();
    assert_eq!(out.deleted, vec!["/a", "b"]);
    assert_eq!(out.invalid, vec!["/zz"]);
    // Re-creating restarts at version 1.
    let v = ssm
        .put_parameter(&c, put("/a", "again", ParameterType::String))
        .await
        .unwrap();
    assert_eq!(v.version, 1);
}

#[tokio::test]
async fn concurrent_puts_get_consecutive_versions() {
    let (ssm, store) = service();
    let ssm = Arc::new(ssm);
    let c = caller();
    ssm.put_parameter(&c, put("/hot", "0", ParameterType::SecureString))
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for i in 0..32 {
        let ssm = ssm.clone();
        let c = c.clone();
        tasks.push(tokio::spawn(async move {
            ssm.put_parameter(&c, overwrite("/hot", &format!("v{i}")))
                .await
                .unwrap()
                .version
        }));
    }
    let mut versions = Vec::new();
    for t in tasks {
        versions.push(t.await.unwrap());
    }
    versions.sort_unstable();
    assert_eq!(versions, (2..=33).collect::<Vec<u32>>());
    let history = store
        .parameter_history("us-east-1", "/hot")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(history.len(), 33);
}

#[tokio::test]
async fn a_sealed_row_copied_elsewhere_does_not_open() {
    let (ssm, store) = service();
    let c = caller();
    ssm.put_parameter(&c, put("/a", "secret-a", ParameterType::SecureString))
        .await
        .unwrap();
    ssm.put_parameter(&c, put("/b", "secret-b", ParameterType::SecureString))
        .await
        .unwrap();
    let kinko_store::ParameterLookup::Found(a) = store
        .get_parameter(
            "us-east-1",
            "/a",
            &kinko_model::ssm::VersionSelector::Latest,
        )
        .await
        .unwrap()
    else {
        panic!("missing");
    };
    let err = ssm
        .read_value("us-east-1", "/b", &a.version, true)
        .await
        .unwrap_err();
    assert!(matches!(err, SsmError::Tampered(_)));
}

async fn seed(ssm: &ParameterStore, names: &[&str]) {
    let c = caller();
    for n in names {
        ssm.put_parameter(&c, put(n, "v", ParameterType::String))
            .await
            .unwrap();
    }
}

fn names_of(p: &[Parameter]) -> Vec<&str> {
    p.iter().map(|p| p.name.as_str()).collect()
}

fn meta_names(p: &[ParameterMetadata]) -> Vec<&str> {
    p.iter().map(|p| p.name.as_str()).collect()
}

fn by_path(path: &str, recursive: bool, max: usize) -> GetParametersByPathInput {
    GetParametersByPathInput {
        path: path.into(),
        recursive,
        max_results: max,
        ..Default::default()
    }
}

#[tokio::test]
async fn by_path_one_level_recursive_and_paged() {
    let (ssm, _) = service();
    let c = caller();
    seed(
        &ssm,
        &[
            "/app/a",
            "/app/b",
            "/app/c",
            "/app/sub/d",
            "/app/sub/e/f",
            "/apple",
            "top",
            "/other/x",
        ],
    )
    .await;

    let page = ssm
        .get_parameters_by_path(&c, &by_path("/app", false, 10))
        .await
        .unwrap();
    assert_eq!(
        names_of(&page.parameters),
        vec!["/app/a", "/app/b", "/app/c"]
    );
    assert!(page.next_token.is_none());

    let page = ssm
        .get_parameters_by_path(&c, &by_path("/app/", true, 10))
        .await
        .unwrap();
    assert_eq!(
        names_of(&page.parameters),
        vec!["/app/a", "/app/b", "/app/c", "/app/sub/d", "/app/sub/e/f"]
    );

    let root = ssm
        .get_parameters_by_path(&c, &by_path("/", false, 10))
        .await
        .unwrap();
    assert_eq!(names_of(&root.parameters), vec!["/apple", "top"]);

    // Pages of 2 across the recursive listing.
    let mut input = by_path("/app", true, 2);
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let page = ssm.get_parameters_by_path(&c, &input).await.unwrap();
        pages += 1;
        seen.extend(page.parameters.iter().map(|p| p.name.clone()));
        match page.next_token {
            Some(t) => input.next_token = Some(t),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(
        seen,
        vec!["/app/a", "/app/b", "/app/c", "/app/sub/d", "/app/sub/e/f"]
    );

    // A token is bound to its request.
    let first = ssm
        .get_parameters_by_path(&c, &by_path("/app", true, 2))
        .await
        .unwrap();
    let mut other = by_path("/app", false, 2);
    other.next_token = first.next_token.clone();
    assert_eq!(
        ssm.get_parameters_by_path(&c, &other).await.unwrap_err(),
        SsmError::InvalidNextToken("The specified token isn't valid.".into())
    );
    let mut tampered = by_path("/app", true, 2);
    let mut t = first.next_token.unwrap();
    t.insert(0, 'A');
    tampered.next_token = Some(t);
    assert!(matches!(
        ssm.get_parameters_by_path(&c, &tampered).await,
        Err(SsmError::InvalidNextToken(_))
    ));

    assert!(matches!(
        ssm.get_parameters_by_path(&c, &by_path("app", false, 10)).await,
        Err(SsmError::Validation(m)) if m == kinko_model::ssm::INVALID_PATH
    ));
}

#[tokio::test]
async fn by_path_filters() {
    let (ssm, _) = service();
    let c = caller();
    seed(&ssm, &["/p/plain"]).await;
    ssm.put_parameter(&c, put("/p/secret", "s", ParameterType::SecureString))
        .await
        .unwrap();
    ssm.put_parameter(&c, put("/p/list", "a,b", ParameterType::StringList))
        .await
        .unwrap();
    let mut input = by_path("/p", false, 10);
    input.with_decryption = true;
    input.parameter_filters = vec![ParameterFilter {
        key: "Type".into(),
        option: None,
        values: vec!["SecureString".into()],
    }];
    let page = ssm.get_parameters_by_path(&c, &input).await.unwrap();
    assert_eq!(names_of(&page.parameters), vec!["/p/secret"]);
    assert_eq!(page.parameters[0].value.expose(), "s");

    input.parameter_filters = vec![ParameterFilter {
        key: "KeyId".into(),
        option: Some("BeginsWith".into()),
        values: vec!["alias/aws".into()],
    }];
    let page = ssm.get_parameters_by_path(&c, &input).await.unwrap();
    assert_eq!(names_of(&page.parameters), vec!["/p/secret"]);

    input.parameter_filters = vec![ParameterFilter {
        key: "Type".into(),
        option: Some("BeginsWith".into()),
        values: vec!["String".into()],
    }];
    let page = ssm.get_parameters_by_path(&c, &input).await.unwrap();
    assert_eq!(names_of(&page.parameters), vec!["/p/list", "/p/plain"]);

    input.parameter_filters = vec![ParameterFilter {
        key: "Tier".into(),
        option: None,
        values: vec!["Standard".into()],
    }];
    assert!(matches!(
        ssm.get_parameters_by_path(&c, &input).await,
        Err(SsmError::InvalidFilterKey(_))
    ));
}

fn describe(filters: Vec<ParameterFilter>) -> DescribeParametersInput {
    DescribeParametersInput {
        parameter_filters: filters,
        max_results: 50,
        ..Default::default()
    }
}

fn pf(key: &str, option: Option<&str>, values: &[&str]) -> ParameterFilter {
    ParameterFilter {
        key: key.into(),
        option: option.map(Into::into),
        values: values.iter().map(|v| v.to_string()).collect(),
    }
}

#[tokio::test]
async fn describe_each_filter() {
    let (ssm, _) = service();
    let c = caller();
    seed(&ssm, &["/app/a", "/app/sub/b", "flat", "/other/c"]).await;
    let mut secure = put("/app/secret", "s", ParameterType::SecureString);
    secure.tags = vec![Tag {
        key: "env".into(),
        value: "prod-1".into(),
    }];
    ssm.put_parameter(&c, secure).await.unwrap();
    let mut adv = put("/adv", "v", ParameterType::String);
    adv.tier = Some(Tier::Advanced);
    adv.data_type = Some("aws:ec2:image".into());
    ssm.put_parameter(&c, adv).await.unwrap();

    let run = |filters: Vec<ParameterFilter>| {
        let ssm = &ssm;
        let c = c.clone();
        async move { ssm.describe_parameters(&c, &describe(filters)).await }
    };
    let all = run(vec![]).await.unwrap();
    // Name order is canonical order: `flat` sorts as `/flat`.
    assert_eq!(
        meta_names(&all.parameters),
        vec![
            "/adv",
            "/app/a",
            "/app/secret",
            "/app/sub/b",
            "flat",
            "/other/c"
        ]
    );
    let secret = all
        .parameters
        .iter()
        .find(|p| p.name == "/app/secret")
        .unwrap();
    assert_eq!(secret.key_id.as_deref(), Some("alias/aws/ssm"));
    assert_eq!(
        secret.last_modified_user,
        "arn:aws:iam::123456789012:user/alice"
    );

    let r = run(vec![pf("Name", None, &["flat"])]).await.unwrap();
    assert_eq!(meta_names(&r.parameters), vec!["flat"]);
    let r = run(vec![pf("Name", Some("BeginsWith"), &["app/s"])])
        .await
        .unwrap();
    assert_eq!(meta_names(&r.parameters), vec!["/app/secret", "/app/sub/b"]);
    let r = run(vec![pf("Name", Some("Contains"), &["ub"])])
        .await
        .unwrap();
    assert_eq!(meta_names(&r.parameters), vec!["/app/sub/b"]);
    let r = run(vec![pf("Path", None, &["/app"])]).await.unwrap();
    assert_eq!(meta_names(&r.parameters), vec!["/app/a", "/app/secret"]);
    let r = run(vec![pf("Path", Some("Recursive"), &["/app"])])
        .await
        .unwrap();
    assert_eq!(
        meta_names(&r.parameters),
        vec!["/app/a", "/app/secret", "/app/sub/b"]
    );
    let r = run(vec![pf("Type", None, &["SecureString"])])
        .await
        .unwrap();
    assert_eq!(meta_names(&r.parameters), vec!["/app/secret"]);
    let r = run(vec![pf("KeyId", None, &["alias/aws/ssm"])])
        .await
        .unwrap();
    assert_eq!(meta_names(&r.parameters), vec!["/app/secret"]);
    let r = run(vec![pf("Tier", None, &["Advanced"])]).await.unwrap();
    assert_eq!(meta_names(&r.parameters), vec!["/adv"]);
    let r = run(vec![pf("DataType", None, &["aws:ec2:image"])])
        .await
        .unwrap();
    assert_eq!(meta_names(&r.parameters), vec!["/adv"]);
    let r = run(vec![pf("tag:env", None, &[])]).await.unwrap();
    assert_eq!(meta_names(&r.parameters), vec!["/app/secret"]);
    let r = run(vec![pf("tag:env", Some("BeginsWith"), &["prod"])])
        .await
        .unwrap();
    assert_eq!(meta_names(&r.parameters), vec!["/app/secret"]);
    let r = run(vec![pf("tag:env", None, &["prod"])]).await.unwrap();
    assert!(r.parameters.is_empty());
    // AND across filters, OR within one.
    let r = run(vec![
        pf("Path", Some("Recursive"), &["/app"]),
        pf("Type", None, &["String", "StringList"]),
    ])
    .await
    .unwrap();
    assert_eq!(meta_names(&r.parameters), vec!["/app/a", "/app/sub/b"]);

    let legacy = DescribeParametersInput {
        filters: vec![LegacyFilter {
            key: "Name".into(),
            values: vec!["/app".into()],
        }],
        max_results: 50,
        ..Default::default()
    };
    let r = ssm.describe_parameters(&c, &legacy).await.unwrap();
    assert_eq!(
        meta_names(&r.parameters),
        vec!["/app/a", "/app/secret", "/app/sub/b"]
    );
    let both = DescribeParametersInput {
        filters: vec![LegacyFilter {
            key: "Name".into(),
            values: vec!["/app".into()],
        }],
        parameter_filters: vec![pf("Type", None, &["String"])],
        max_results: 50,
        ..Default::default()
    };
    assert_eq!(
        ssm.describe_parameters(&c, &both).await.unwrap_err(),
        SsmError::Validation(
            "You can use either Filters or ParameterFilters in a single request.".into()
        )
    );
}

#[tokio::test]
async fn describe_pages() {
    let (ssm, _) = service();
    let c = caller();
    let names: Vec<String> = (0..23).map(|i| format!("/d/p{i:02}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    seed(&ssm, &refs).await;
    let mut input = DescribeParametersInput {
        max_results: 10,
        ..Default::default()
    };
    let mut seen = Vec::new();
    let mut sizes = Vec::new();
    loop {
        let page = ssm.describe_parameters(&c, &input).await.unwrap();
        sizes.push(page.parameters.len());
        seen.extend(page.parameters.into_iter().map(|p| p.name));
        match page.next_token {
            Some(t) => input.next_token = Some(t),
            None => break,
        }
    }
    assert_eq!(sizes, vec![10, 10, 3]);
    assert_eq!(seen, names);
}

#[tokio::test]
async fn history_labels_and_version_cap() {
    let (ssm, _) = service();
    let c = caller();
    ssm.put_parameter(&c, put("/h", "v1", ParameterType::SecureString))
        .await
        .unwrap();
    for i in 2..=100 {
        ssm.put_parameter(&c, overwrite("/h", &format!("v{i}")))
            .await
            .unwrap();
    }
    // A 101st version drops version 1.
    ssm.put_parameter(&c, overwrite("/h", "v101"))
        .await
        .unwrap();
    let mut input = GetParameterHistoryInput {
        name: "/h".into(),
        with_decryption: true,
        max_results: 50,
        next_token: None,
    };
    let mut versions = Vec::new();
    let mut pages = 0;
    loop {
        let page = ssm.get_parameter_history(&c, &input).await.unwrap();
        pages += 1;
        for p in &page.parameters {
            assert_eq!(p.value.expose(), format!("v{}", p.version));
        }
        versions.extend(page.parameters.iter().map(|p| p.version));
        match page.next_token {
            Some(t) => input.next_token = Some(t),
            None => break,
        }
    }
    assert_eq!(pages, 2);
    assert_eq!(versions, (2..=101).collect::<Vec<u32>>());

    // Label the oldest: the next write cannot drop it.
    let out = ssm
        .label_parameter_version(&c, "/h", Some(2), &["keep".into()])
        .await
        .unwrap();
    assert_eq!(
        out,
        LabelOutput {
            invalid_labels: vec![],
            version: 2
        }
    );
    assert_eq!(
        ssm.put_parameter(&c, overwrite("/h", "v102")).await.unwrap_err(),
        SsmError::ParameterMaxVersionLimitExceeded("You attempted to create a new version of /h by calling the PutParameter API with the overwrite flag. Version 2, the oldest version, can't be deleted because it has a label associated with it. Move the label to another version of the parameter, and try again.".into())
    );
    // Moving the label frees it.
    ssm.label_parameter_version(&c, "/h", Some(50), &["keep".into()])
        .await
        .unwrap();
    assert_eq!(
        ssm.get_parameter(&c, "/h:keep", true)
            .await
            .unwrap()
            .version,
        50
    );
    assert_eq!(
        ssm.put_parameter(&c, overwrite("/h", "v102"))
            .await
            .unwrap()
            .version,
        102
    );

    assert_eq!(
        ssm.get_parameter_history(
            &c,
            &GetParameterHistoryInput {
                name: "/none".into(),
                max_results: 50,
                ..Default::default()
            }
        )
        .await
        .unwrap_err(),
        SsmError::ParameterNotFound("Parameter /none not found.".into())
    );
}

#[tokio::test]
async fn label_rules_limits_and_errors() {
    let (ssm, _) = service();
    let c = caller();
    ssm.put_parameter(&c, put("/l", "1", ParameterType::String))
        .await
        .unwrap();
    ssm.put_parameter(&c, overwrite("/l", "2")).await.unwrap();

    let labels: Vec<String> = ["ok", "1digit", "awsx", "Ssm-y", "fine.too"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let out = ssm
        .label_parameter_version(&c, "/l", None, &labels)
        .await
        .unwrap();
    assert_eq!(
        out,
        LabelOutput {
            invalid_labels: vec!["1digit".into(), "awsx".into(), "Ssm-y".into()],
            version: 2
        }
    );
    // Labelling version 1 moves "ok" there.
    ssm.label_parameter_version(&c, "/l", Some(1), &["ok".into()])
        .await
        .unwrap();
    let h = ssm
        .get_parameter_history(
            &c,
            &GetParameterHistoryInput {
                name: "/l".into(),
                max_results: 50,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(h.parameters[0].labels, vec!["ok"]);
    assert_eq!(h.parameters[1].labels, vec!["fine.too"]);

    let many: Vec<String> = (0..10).map(|i| format!("l{i}")).collect();
    assert_eq!(
        ssm.label_parameter_version(&c, "/l", Some(1), &many).await.unwrap_err(),
        SsmError::ParameterVersionLabelLimitExceeded("A parameter version can have maximum 10 labels. Move one or more labels to another version and try again.".into())
    );
    assert_eq!(
        ssm.label_parameter_version(&c, "/l", Some(9), &["x".into()])
            .await
            .unwrap_err(),
        SsmError::ParameterVersionNotFound(
            "Systems Manager could not find version 9 of /l. Verify the version and try again."
                .into()
        )
    );
    assert_eq!(
        ssm.label_parameter_version(&c, "/nope", None, &["x".into()])
            .await
            .unwrap_err(),
        SsmError::ParameterNotFound("Parameter /nope not found.".into())
    );
    let out = ssm
        .unlabel_parameter_version(&c, "/l", 1, &["ok".into(), "fine.too".into()])
        .await
        .unwrap();
    assert_eq!(
        out,
        UnlabelOutput {
            removed_labels: vec!["ok".into()],
            invalid_labels: vec!["fine.too".into()]
        }
    );
}

#[tokio::test]
async fn tags() {
    let (ssm, _) = service();
    let c = caller();
    let mut p = put("x", "1", ParameterType::String);
    p.tags = vec![Tag {
        key: "a".into(),
        value: "1".into(),
    }];
    ssm.put_parameter(&c, p).await.unwrap();
    ssm.add_tags_to_resource(
        &c,
        "Parameter",
        "/x",
        &[
            Tag {
                key: "a".into(),
                value: "2".into(),
            },
            Tag {
                key: "b".into(),
                value: "".into(),
            },
        ],
    )
    .await
    .unwrap();
    let tags = ssm
        .list_tags_for_resource(&c, "Parameter", "x")
        .await
        .unwrap();
    assert_eq!(
        tags,
        vec![
            Tag {
                key: "a".into(),
                value: "2".into()
            },
            Tag {
                key: "b".into(),
                value: "".into()
            }
        ]
    );
    ssm.remove_tags_from_resource(&c, "Parameter", "x", &["a".into(), "zz".into()])
        .await
        .unwrap();
    assert_eq!(
        ssm.list_tags_for_resource(&c, "Parameter", "x")
            .await
            .unwrap()
            .len(),
        1
    );

    let fifty: Vec<Tag> = (0..50)
        .map(|i| Tag {
            key: format!("k{i}"),
            value: "v".into(),
        })
        .collect();
    assert_eq!(
        ssm.add_tags_to_resource(&c, "Parameter", "x", &fifty)
            .await
            .unwrap_err(),
        SsmError::TooManyTags
    );
    assert_eq!(
        ssm.add_tags_to_resource(&c, "Parameter", "/nope", &fifty[..1])
            .await
            .unwrap_err(),
        SsmError::InvalidResourceId
    );
    assert_eq!(
        ssm.list_tags_for_resource(&c, "Document", "x")
            .await
            .unwrap_err(),
        SsmError::InvalidResourceType
    );
    // Deleting the parameter drops its tags.
    ssm.delete_parameter(&c, "x").await.unwrap();
    ssm.put_parameter(&c, put("x", "1", ParameterType::String))
        .await
        .unwrap();
    assert!(
        ssm.list_tags_for_resource(&c, "Parameter", "x")
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn policies_are_validated_and_kept() {
    let (ssm, _) = service();
    let c = caller();
    let mut p = put("/pol", "1", ParameterType::String);
    p.tier = Some(Tier::IntelligentTiering);
    p.policies = Some(r#"[{"Type":"NoChangeNotification","Version":"1.0","Attributes":{"After":"60","Unit":"Days"}}]"#.into());
    assert_eq!(ssm.put_parameter(&c, p).await.unwrap().tier, "Advanced");
    ssm.put_parameter(&c, overwrite("/pol", "2")).await.unwrap();
    let d = ssm
        .describe_parameters(&c, &describe(vec![]))
        .await
        .unwrap();
    assert_eq!(d.parameters[0].policies.len(), 1);
    assert_eq!(
        d.parameters[0].policies[0].policy_type,
        "NoChangeNotification"
    );
    let mut clear = overwrite("/pol", "3");
    clear.policies = Some("[]".into());
    ssm.put_parameter(&c, clear).await.unwrap();
    let d = ssm
        .describe_parameters(&c, &describe(vec![]))
        .await
        .unwrap();
    assert!(d.parameters[0].policies.is_empty());
    let mut bad = overwrite("/pol", "4");
    bad.policies = Some(r#"[{"Type":"Nope"}]"#.into());
    assert!(matches!(
        ssm.put_parameter(&c, bad).await,
        Err(SsmError::InvalidPolicyType(_))
    ));
}
