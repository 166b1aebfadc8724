//! Parameter name rules: charset, fully qualified paths, reserved prefixes,
//! hierarchy depth and length.

use aws_sdk_ssm::Client;
use aws_sdk_ssm::types::ParameterType;

use super::{get, put, value};
use crate::support::{self, code, message};

const RESERVED_FLAT: &str =
    "Parameter name: can't be prefixed with \"aws\" or \"ssm\" (case-insensitive).";
const RESERVED_SSM_PATH: &str = "Parameter name: can't be prefixed with \"ssm\" (case-insensitive). If formed as a path, it can consist of sub-paths divided by slash symbol; each sub-path can be formed as a mix of letters, numbers and the following 3 symbols .-_";

/// Puts `name` and returns the error (panics if the put succeeded).
async fn put_error(ssm: &Client, name: &str) -> (String, String) {
    let err = ssm
        .put_parameter()
        .name(name)
        .value("v")
        .r#type(ParameterType::String)
        .send()
        .await
        .expect_err(name);
    (code(&err), message(&err))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_and_reserved_names_are_refused() {
    let server = support::in_process().await;
    let ssm = server.ssm();

    for name in ["/in valid", "/bad@name", "/{x}", "/a//b", "bad#name"] {
        let (code, _) = put_error(&ssm, name).await;
        assert_eq!(code, "ValidationException", "{name}");
    }

    let (c, m) = put_error(&ssm, "a/b").await;
    assert_eq!(c, "ValidationException");
    assert_eq!(m, "Parameter name must be a fully qualified name.");

    for name in ["ssm_test", "aws_test", "SSM_test", "Awsx"] {
        let (c, m) = put_error(&ssm, name).await;
        assert_eq!(c, "ValidationException", "{name}");
        assert_eq!(m, RESERVED_FLAT, "{name}");
    }

    for name in ["/ssm/x", "/SSM/x/y"] {
        let (c, m) = put_error(&ssm, name).await;
        assert_eq!(c, "ValidationException", "{name}");
        assert_eq!(m, RESERVED_SSM_PATH, "{name}");
    }

    let (c, _) = put_error(&ssm, "/aws/x").await;
    assert_eq!(c, "AccessDeniedException");

    // Reads validate the name too.
    let err = ssm
        .get_parameter()
        .name("/bad@name")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ValidationException");

    // Nothing was created along the way.
    let all = ssm.describe_parameters().send().await.unwrap();
    assert!(all.parameters().is_empty(), "{:?}", all.parameters());

    // Characters that are allowed.
    put(&ssm, "/Ok_name-1.x/Sub.2", "v").await;
    assert_eq!(value(&get(&ssm, "/Ok_name-1.x/Sub.2", false).await), "v");
    // Case-sensitive: a different parameter.
    let err = ssm
        .get_parameter()
        .name("/ok_name-1.x/sub.2")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ParameterNotFound");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hierarchy_depth_limit_is_fifteen_levels() {
    let server = support::in_process().await;
    let ssm = server.ssm();

    let path =
        |levels: usize| -> String { (0..levels).map(|i| format!("/l{i}")).collect::<String>() };
    let fifteen = path(15);
    assert_eq!(put(&ssm, &fifteen, "deep").await, 1);
    assert_eq!(value(&get(&ssm, &fifteen, false).await), "deep");

    for levels in [16, 20] {
        let (c, _) = put_error(&ssm, &path(levels)).await;
        assert_eq!(c, "HierarchyLevelLimitExceededException", "{levels} levels");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn name_length_limit() {
    let server = support::in_process().await;
    let ssm = server.ssm();

    // Well inside the usable limit (1011 chars counting the ARN prefix).
    let long_ok = format!("/{}", "n".repeat(899));
    put(&ssm, &long_ok, "v").await;
    let p = get(&ssm, &long_ok, false).await;
    assert_eq!(p.name(), Some(long_ok.as_str()));

    // Past the usable limit and past the model's 2048.
    for len in [1100, 2049] {
        let name = format!("/{}", "n".repeat(len - 1));
        let (c, _) = put_error(&ssm, &name).await;
        assert_eq!(c, "ValidationException", "{len} chars");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_are_answered_as_the_caller_wrote_them() {
    let server = support::in_process().await;
    let ssm = server.ssm();
    put(&ssm, "flat", "one").await;
    put(&ssm, "/slashed", "two").await;

    // `x` and `/x` are one parameter; Get* echoes the spelling asked for.
    assert_eq!(get(&ssm, "/flat", false).await.name(), Some("/flat"));
    assert_eq!(get(&ssm, "flat", false).await.name(), Some("flat"));
    assert_eq!(get(&ssm, "slashed", false).await.name(), Some("slashed"));
    let p = get(&ssm, "slashed:1", false).await;
    assert_eq!(p.name(), Some("slashed"));
    assert_eq!(p.selector(), Some(":1"));

    let many = ssm
        .get_parameters()
        .names("/flat")
        .names("slashed")
        .names("/missing")
        .send()
        .await
        .unwrap();
    let names: Vec<&str> = many.parameters().iter().filter_map(|p| p.name()).collect();
    assert_eq!(names, ["/flat", "slashed"]);
    assert_eq!(many.invalid_parameters(), ["/missing"]);

    let history = ssm
        .get_parameter_history()
        .name("/flat")
        .send()
        .await
        .unwrap();
    assert_eq!(history.parameters()[0].name(), Some("/flat"));

    // Label operations take either spelling.
    let labelled = ssm
        .label_parameter_version()
        .name("/flat")
        .labels("prod")
        .send()
        .await
        .unwrap();
    assert_eq!(labelled.parameter_version(), 1);
    assert_eq!(get(&ssm, "flat:prod", false).await.value(), Some("one"));

    // Listing operations name nothing: they show the stored name (in
    // the order of `/flat`, `/slashed`).
    let described = ssm.describe_parameters().send().await.unwrap();
    let stored: Vec<&str> = described
        .parameters()
        .iter()
        .filter_map(|p| p.name())
        .collect();
    assert_eq!(stored, ["flat", "/slashed"]);
    let root = ssm.get_parameters_by_path().path("/").send().await.unwrap();
    let stored: Vec<&str> = root.parameters().iter().filter_map(|p| p.name()).collect();
    assert_eq!(stored, ["flat", "/slashed"]);
}
