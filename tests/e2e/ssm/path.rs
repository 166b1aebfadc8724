//! GetParametersByPath: levels, filters, paging.

use std::collections::BTreeSet;

use aws_sdk_ssm::Client;
use aws_sdk_ssm::types::{ParameterStringFilter, ParameterType};

use super::{filter, overwrite, put, put_typed, set, value};
use crate::support::{self, code, message};

/// Every parameter name under `path`, following NextToken by hand.
async fn names_by_path(
    ssm: &Client,
    path: &str,
    recursive: bool,
    filters: Vec<ParameterStringFilter>,
) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut token: Option<String> = None;
    loop {
        let out = ssm
            .get_parameters_by_path()
            .path(path)
            .recursive(recursive)
            .set_parameter_filters(Some(filters.clone()))
            .set_next_token(token)
            .send()
            .await
            .unwrap_or_else(|e| panic!("by path {path}: {e:?}"));
        for p in out.parameters() {
            assert!(names.insert(p.name().unwrap().to_owned()), "seen twice");
        }
        token = out.next_token().map(str::to_owned);
        if token.is_none() {
            return names;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_level_and_recursive() {
    let server = support::in_process().await;
    let ssm = server.ssm();
    for name in [
        "/p/a",
        "/p/b",
        "/p/sub/c",
        "/p/sub/deep/d",
        "/pother/x",
        "/q/z",
        "/top2",
    ] {
        put(&ssm, name, name).await;
    }
    put(&ssm, "top", "flat").await;
    overwrite(&ssm, "/p/a", "a2").await;

    assert_eq!(
        names_by_path(&ssm, "/p", false, vec![]).await,
        set(["/p/a", "/p/b"])
    );
    assert_eq!(
        names_by_path(&ssm, "/p/", false, vec![]).await,
        set(["/p/a", "/p/b"])
    );
    assert_eq!(
        names_by_path(&ssm, "/p", true, vec![]).await,
        set(["/p/a", "/p/b", "/p/sub/c", "/p/sub/deep/d"])
    );
    assert_eq!(
        names_by_path(&ssm, "/p/sub", false, vec![]).await,
        set(["/p/sub/c"])
    );

    // The latest version of each.
    let out = ssm
        .get_parameters_by_path()
        .path("/p")
        .send()
        .await
        .unwrap();
    let a = out
        .parameters()
        .iter()
        .find(|p| p.name() == Some("/p/a"))
        .unwrap();
    assert_eq!((value(a), a.version()), ("a2", 2));

    // Root, one level: the top-level names, however they were spelled.
    let root: BTreeSet<String> = names_by_path(&ssm, "/", false, vec![])
        .await
        .into_iter()
        .map(|n| n.trim_start_matches('/').to_owned())
        .collect();
    assert_eq!(root, set(["top", "top2"]));
    assert_eq!(names_by_path(&ssm, "/", true, vec![]).await.len(), 8);

    // A path that names no hierarchy is empty, not an error.
    assert!(
        names_by_path(&ssm, "/nothing", true, vec![])
            .await
            .is_empty()
    );

    // Invalid path.
    let err = ssm
        .get_parameters_by_path()
        .path("no-slash")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ValidationException");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filters_and_decryption() {
    let server = support::in_process().await;
    let ssm = server.ssm();
    put(&ssm, "/f/plain", "p").await;
    put_typed(&ssm, "/f/list", "a,b", ParameterType::StringList).await;
    put_typed(&ssm, "/f/secret", "shh", ParameterType::SecureString).await;
    put_typed(&ssm, "/f/deep/secret", "shh2", ParameterType::SecureString).await;
    overwrite(&ssm, "/f/plain", "p2").await;
    ssm.label_parameter_version()
        .name("/f/plain")
        .parameter_version(1)
        .labels("old")
        .send()
        .await
        .unwrap();
    ssm.label_parameter_version()
        .name("/f/list")
        .labels("current")
        .send()
        .await
        .unwrap();

    let secure = vec![filter("Type", Some("Equals"), &["SecureString"])];
    assert_eq!(
        names_by_path(&ssm, "/f", true, secure.clone()).await,
        set(["/f/secret", "/f/deep/secret"])
    );
    assert_eq!(
        names_by_path(&ssm, "/f", false, secure).await,
        set(["/f/secret"])
    );
    assert_eq!(
        names_by_path(
            &ssm,
            "/f",
            true,
            vec![filter("Type", Some("Equals"), &["String", "StringList"])]
        )
        .await,
        set(["/f/plain", "/f/list"])
    );
    assert_eq!(
        names_by_path(
            &ssm,
            "/f",
            true,
            vec![filter("KeyId", Some("Equals"), &["alias/aws/ssm"])]
        )
        .await,
        set(["/f/secret", "/f/deep/secret"])
    );
    // Label filter: parameters having a version with that label.
    assert_eq!(
        names_by_path(
            &ssm,
            "/f",
            true,
            vec![filter("Label", Some("Equals"), &["old"])]
        )
        .await,
        set(["/f/plain"])
    );
    assert_eq!(
        names_by_path(
            &ssm,
            "/f",
            true,
            vec![filter("Label", Some("Equals"), &["old", "current"])]
        )
        .await,
        set(["/f/plain", "/f/list"])
    );

    // Name is not a filter key here.
    let err = ssm
        .get_parameters_by_path()
        .path("/f")
        .parameter_filters(filter("Name", Some("Equals"), &["/f/plain"]))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidFilterKey");

    // Decryption.
    let out = ssm
        .get_parameters_by_path()
        .path("/f")
        .with_decryption(true)
        .send()
        .await
        .unwrap();
    let secret = out
        .parameters()
        .iter()
        .find(|p| p.name() == Some("/f/secret"))
        .unwrap();
    assert_eq!(value(secret), "shh");
    let out = ssm
        .get_parameters_by_path()
        .path("/f")
        .send()
        .await
        .unwrap();
    let secret = out
        .parameters()
        .iter()
        .find(|p| p.name() == Some("/f/secret"))
        .unwrap();
    assert_ne!(value(secret), "shh");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paging_through_25_parameters() {
    let server = support::in_process().await;
    let ssm = server.ssm();
    let expected: BTreeSet<String> = (0..25).map(|i| format!("/page/p{i:02}")).collect();
    for name in &expected {
        put(&ssm, name, "v").await;
    }
    put(&ssm, "/pageother/x", "v").await;

    let mut seen = Vec::new();
    let mut sizes = Vec::new();
    let mut token: Option<String> = None;
    let mut first_token = None;
    loop {
        let out = ssm
            .get_parameters_by_path()
            .path("/page")
            .max_results(10)
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        sizes.push(out.parameters().len());
        seen.extend(
            out.parameters()
                .iter()
                .map(|p| p.name().unwrap().to_owned()),
        );
        token = out.next_token().map(str::to_owned);
        if first_token.is_none() {
            first_token = token.clone();
        }
        if token.is_none() {
            break;
        }
        assert!(sizes.len() < 10, "paging does not end");
    }
    assert_eq!(sizes, vec![10, 10, 5]);
    assert_eq!(seen.len(), 25);
    assert_eq!(set(&seen), expected, "every parameter exactly once");

    // The SDK paginator.
    let pages = ssm
        .get_parameters_by_path()
        .path("/page")
        .max_results(10)
        .into_paginator()
        .send()
        .try_collect()
        .await
        .unwrap();
    let items: Vec<_> = pages.iter().flat_map(|page| page.parameters()).collect();
    assert_eq!(items.len(), 25);
    assert_eq!(set(items.iter().map(|p| p.name().unwrap())), expected);

    // MaxResults out of range.
    let err = ssm
        .get_parameters_by_path()
        .path("/page")
        .max_results(11)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ValidationException");
    assert_eq!(
        message(&err),
        "1 validation error detected: Value '11' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 10"
    );

    // Tokens the server never issued, or issued for another request.
    let err = ssm
        .get_parameters_by_path()
        .path("/page")
        .next_token("not-a-token")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidNextToken");
    assert_eq!(message(&err), "The specified token isn't valid.");
    let err = ssm
        .get_parameters_by_path()
        .path("/pageother")
        .max_results(10)
        .next_token(first_token.unwrap())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidNextToken");
}
