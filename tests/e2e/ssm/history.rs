//! GetParameterHistory: order, labels, decryption, paging, the 100-version cap.

use aws_sdk_ssm::Client;
use aws_sdk_ssm::types::{ParameterHistory, ParameterType};

use super::{get, overwrite, put, put_typed, set};
use crate::support::{self, code, message};

/// The whole history through the SDK paginator.
async fn history(ssm: &Client, name: &str, decrypt: bool) -> Vec<ParameterHistory> {
    ssm.get_parameter_history()
        .name(name)
        .with_decryption(decrypt)
        .into_paginator()
        .send()
        .try_collect()
        .await
        .unwrap_or_else(|e| panic!("history {name}: {e:?}"))
        .iter()
        .flat_map(|page| page.parameters().to_vec())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_order_labels_decryption_and_paging() {
    let server = support::in_process().await;
    let ssm = server.ssm();
    ssm.put_parameter()
        .name("/h/secret")
        .value("v1")
        .r#type(ParameterType::SecureString)
        .description("first")
        .send()
        .await
        .unwrap();
    for i in 2..=5 {
        overwrite(&ssm, "/h/secret", &format!("v{i}")).await;
    }
    ssm.label_parameter_version()
        .name("/h/secret")
        .parameter_version(2)
        .labels("prod")
        .labels("beta")
        .send()
        .await
        .unwrap();
    ssm.label_parameter_version()
        .name("/h/secret")
        .parameter_version(4)
        .labels("dev")
        .send()
        .await
        .unwrap();

    let out = ssm
        .get_parameter_history()
        .name("/h/secret")
        .send()
        .await
        .unwrap();
    assert_eq!(out.next_token(), None);
    let versions: Vec<i64> = out.parameters().iter().map(|h| h.version()).collect();
    assert_eq!(versions, vec![1, 2, 3, 4, 5], "oldest first");
    for h in out.parameters() {
        assert_eq!(h.name(), Some("/h/secret"));
        assert_eq!(h.r#type(), Some(&ParameterType::SecureString));
        assert_eq!(h.key_id(), Some("alias/aws/ssm"));
        assert_eq!(h.description(), Some("first"), "kept on overwrite");
        assert_eq!(h.data_type(), Some("text"));
        let v = h.value().unwrap();
        assert_ne!(
            v,
            format!("v{}", h.version()),
            "encrypted without WithDecryption"
        );
        assert!(h.last_modified_user().unwrap().starts_with("arn:aws:iam::"));
        let expected_labels = match h.version() {
            2 => set(["prod", "beta"]),
            4 => set(["dev"]),
            _ => set::<[&str; 0], &str>([]),
        };
        assert_eq!(set(h.labels()), expected_labels, "version {}", h.version());
    }

    let decrypted = history(&ssm, "/h/secret", true).await;
    let values: Vec<&str> = decrypted.iter().map(|h| h.value().unwrap()).collect();
    assert_eq!(values, vec!["v1", "v2", "v3", "v4", "v5"]);

    // Paging by hand: 2 + 2 + 1, in order.
    let mut pages = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let out = ssm
            .get_parameter_history()
            .name("/h/secret")
            .max_results(2)
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        pages.push(
            out.parameters()
                .iter()
                .map(|h| h.version())
                .collect::<Vec<_>>(),
        );
        token = out.next_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
        assert!(pages.len() < 10, "paging does not end");
    }
    assert_eq!(pages, vec![vec![1, 2], vec![3, 4], vec![5]]);

    // By ARN and by the other spelling of a single-level name.
    let arn = get(&ssm, "/h/secret", false)
        .await
        .arn()
        .unwrap()
        .to_owned();
    assert_eq!(history(&ssm, &arn, false).await.len(), 5);
    put(&ssm, "flat", "f").await;
    assert_eq!(history(&ssm, "/flat", false).await.len(), 1);

    // Plain strings come back as they are.
    put_typed(&ssm, "/h/plain", "p1", ParameterType::String).await;
    let h = history(&ssm, "/h/plain", false).await;
    assert_eq!(h[0].value(), Some("p1"));
    assert_eq!(h[0].key_id(), None);

    let err = ssm
        .get_parameter_history()
        .name("/h/none")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ParameterNotFound");
    let err = ssm
        .get_parameter_history()
        .name("/h/secret")
        .next_token("bogus-token")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidNextToken");
    let err = ssm
        .get_parameter_history()
        .name("/h/secret")
        .max_results(51)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ValidationException");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_keeps_the_newest_100_versions() {
    let server = support::in_process().await;
    let ssm = server.ssm();
    put(&ssm, "/cap", "1").await;
    for i in 2..=105 {
        assert_eq!(overwrite(&ssm, "/cap", &i.to_string()).await, i);
    }

    let h = history(&ssm, "/cap", false).await;
    let versions: Vec<i64> = h.iter().map(|h| h.version()).collect();
    assert_eq!(versions, (6..=105).collect::<Vec<i64>>());
    assert_eq!(h[0].value(), Some("6"));
    let err = ssm.get_parameter().name("/cap:5").send().await.unwrap_err();
    assert_eq!(code(&err), "ParameterVersionNotFound");
    assert_eq!(super::value(&get(&ssm, "/cap:6", false).await), "6");

    // A label on the oldest version blocks the next write.
    ssm.label_parameter_version()
        .name("/cap")
        .parameter_version(6)
        .labels("pinned")
        .send()
        .await
        .unwrap();
    let err = ssm
        .put_parameter()
        .name("/cap")
        .value("106")
        .overwrite(true)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ParameterMaxVersionLimitExceeded");
    assert_eq!(
        message(&err),
        "You attempted to create a new version of /cap by calling the PutParameter API with the overwrite flag. Version 6, the oldest version, can't be deleted because it has a label associated with it. Move the label to another version of the parameter, and try again."
    );
    let p = get(&ssm, "/cap", false).await;
    assert_eq!((super::value(&p), p.version()), ("105", 105));
    assert_eq!(history(&ssm, "/cap", false).await.len(), 100);

    // Move the label away: the write goes through and drops version 6.
    ssm.label_parameter_version()
        .name("/cap")
        .parameter_version(105)
        .labels("pinned")
        .send()
        .await
        .unwrap();
    assert_eq!(overwrite(&ssm, "/cap", "106").await, 106);
    let versions: Vec<i64> = history(&ssm, "/cap", false)
        .await
        .iter()
        .map(|h| h.version())
        .collect();
    assert_eq!(versions, (7..=106).collect::<Vec<i64>>());
}
