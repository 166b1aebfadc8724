//! LabelParameterVersion and UnlabelParameterVersion.

use std::collections::BTreeMap;

use aws_sdk_ssm::Client;

use super::{get, overwrite, put, set, value};
use crate::support::{self, code, message};

/// Labels per version, from the history.
async fn labels_by_version(ssm: &Client, name: &str) -> BTreeMap<i64, Vec<String>> {
    let out = ssm.get_parameter_history().name(name).send().await.unwrap();
    out.parameters()
        .iter()
        .map(|h| {
            let mut labels = h.labels().to_vec();
            labels.sort();
            (h.version(), labels)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn labels_move_between_versions() {
    let server = support::in_process().await;
    let ssm = server.ssm();
    put(&ssm, "/l", "v1").await;
    overwrite(&ssm, "/l", "v2").await;
    overwrite(&ssm, "/l", "v3").await;

    let out = ssm
        .label_parameter_version()
        .name("/l")
        .parameter_version(1)
        .labels("prod")
        .send()
        .await
        .unwrap();
    assert_eq!(out.parameter_version(), 1);
    assert!(out.invalid_labels().is_empty());
    assert_eq!(value(&get(&ssm, "/l:prod", false).await), "v1");

    // Labelling another version moves the label.
    ssm.label_parameter_version()
        .name("/l")
        .parameter_version(2)
        .labels("prod")
        .send()
        .await
        .unwrap();
    let labels = labels_by_version(&ssm, "/l").await;
    assert!(labels[&1].is_empty(), "{labels:?}");
    assert_eq!(labels[&2], vec!["prod"]);
    assert_eq!(get(&ssm, "/l:prod", false).await.version(), 2);

    // No version: the latest. Labels are case-sensitive; repeats are no-ops.
    let out = ssm
        .label_parameter_version()
        .name("/l")
        .labels("Prod")
        .labels("latest")
        .send()
        .await
        .unwrap();
    assert_eq!(out.parameter_version(), 3);
    ssm.label_parameter_version()
        .name("/l")
        .parameter_version(3)
        .labels("latest")
        .send()
        .await
        .unwrap();
    let labels = labels_by_version(&ssm, "/l").await;
    assert_eq!(labels[&2], vec!["prod"]);
    assert_eq!(labels[&3], vec!["Prod", "latest"]);

    // Invalid labels are reported, valid ones in the same call attached.
    let out = ssm
        .label_parameter_version()
        .name("/l")
        .parameter_version(1)
        .labels("1abc")
        .labels("awsLabel")
        .labels("SSM-x")
        .labels("has space")
        .labels("ok-1.x_y")
        .send()
        .await
        .unwrap();
    assert_eq!(out.parameter_version(), 1);
    assert_eq!(
        set(out.invalid_labels()),
        set(["1abc", "awsLabel", "SSM-x", "has space"])
    );
    let labels = labels_by_version(&ssm, "/l").await;
    assert_eq!(labels[&1], vec!["ok-1.x_y"]);
    // A 100-char label is fine; 101 chars breaks the request shape's
    // member constraint (1–100), a ValidationException like any model
    // constraint, and nothing in that request is applied.
    let hundred = format!("a{}", "b".repeat(99));
    let out = ssm
        .label_parameter_version()
        .name("/l")
        .parameter_version(1)
        .labels(&hundred)
        .send()
        .await
        .unwrap();
    assert!(out.invalid_labels().is_empty());
    let err = ssm
        .label_parameter_version()
        .name("/l")
        .parameter_version(1)
        .labels("fine")
        .labels("x".repeat(101))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ValidationException");
    let labels = labels_by_version(&ssm, "/l").await;
    assert_eq!(labels[&1], vec![hundred.clone(), "ok-1.x_y".to_owned()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn label_limits_and_errors() {
    let server = support::in_process().await;
    let ssm = server.ssm();
    put(&ssm, "/l", "v1").await;
    overwrite(&ssm, "/l", "v2").await;

    let mut request = ssm
        .label_parameter_version()
        .name("/l")
        .parameter_version(1);
    for i in 0..10 {
        request = request.labels(format!("label{i}"));
    }
    let out = request.send().await.unwrap();
    assert!(out.invalid_labels().is_empty());
    assert_eq!(labels_by_version(&ssm, "/l").await[&1].len(), 10);

    let err = ssm
        .label_parameter_version()
        .name("/l")
        .parameter_version(1)
        .labels("eleventh")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ParameterVersionLabelLimitExceeded");
    assert_eq!(
        message(&err),
        "A parameter version can have maximum 10 labels. Move one or more labels to another version and try again."
    );
    assert_eq!(labels_by_version(&ssm, "/l").await[&1].len(), 10);
    // An empty label: AWS reports the whole list, with both constraints.
    let err = ssm
        .label_parameter_version()
        .name("/l")
        .parameter_version(2)
        .labels("a")
        .labels("")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ValidationException");
    assert_eq!(
        message(&err),
        "1 validation error detected: Value '[a, ]' at 'labels' failed to satisfy constraint: \
         Member must satisfy constraint: [Member must have length less than or equal to 100, \
         Member must have length greater than or equal to 1]"
    );
    // Re-applying a label already there is no new label.
    ssm.label_parameter_version()
        .name("/l")
        .parameter_version(1)
        .labels("label0")
        .send()
        .await
        .unwrap();

    let err = ssm
        .label_parameter_version()
        .name("/l")
        .parameter_version(9)
        .labels("x")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ParameterVersionNotFound");
    assert_eq!(
        message(&err),
        "Systems Manager could not find version 9 of /l. Verify the version and try again."
    );

    let err = ssm
        .label_parameter_version()
        .name("/nope")
        .labels("x")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ParameterNotFound");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unlabel_reports_removed_and_invalid() {
    let server = support::in_process().await;
    let ssm = server.ssm();
    put(&ssm, "/u", "v1").await;
    overwrite(&ssm, "/u", "v2").await;
    ssm.label_parameter_version()
        .name("/u")
        .parameter_version(1)
        .labels("a")
        .labels("b")
        .send()
        .await
        .unwrap();
    ssm.label_parameter_version()
        .name("/u")
        .parameter_version(2)
        .labels("c")
        .send()
        .await
        .unwrap();

    let out = ssm
        .unlabel_parameter_version()
        .name("/u")
        .parameter_version(1)
        .labels("a")
        .labels("c")
        .labels("zzz")
        .send()
        .await
        .unwrap();
    assert_eq!(out.removed_labels(), ["a"]);
    assert_eq!(set(out.invalid_labels()), set(["c", "zzz"]));
    let labels = labels_by_version(&ssm, "/u").await;
    assert_eq!(labels[&1], vec!["b"]);
    assert_eq!(labels[&2], vec!["c"], "labels on other versions untouched");
    let err = ssm.get_parameter().name("/u:a").send().await.unwrap_err();
    assert_eq!(code(&err), "ParameterVersionNotFound");

    let err = ssm
        .unlabel_parameter_version()
        .name("/u")
        .parameter_version(7)
        .labels("b")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ParameterVersionNotFound");
    let err = ssm
        .unlabel_parameter_version()
        .name("/nope")
        .parameter_version(1)
        .labels("b")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ParameterNotFound");
}
