//! DescribeParameters: filters, errors, paging, metadata fields.

use std::collections::BTreeSet;

use aws_sdk_ssm::Client;
use aws_sdk_ssm::types::{
    ParameterStringFilter, ParameterTier, ParameterType, ParametersFilter, ParametersFilterKey,
};

use super::{filter, put, put_typed, raw_call, set, tag};
use crate::support::{self, code, message};

/// Names matching `filters`, over all pages (SDK paginator).
async fn described(ssm: &Client, filters: Vec<ParameterStringFilter>) -> BTreeSet<String> {
    let pages = ssm
        .describe_parameters()
        .set_parameter_filters(Some(filters.clone()))
        .into_paginator()
        .send()
        .try_collect()
        .await
        .unwrap_or_else(|e| panic!("describe {filters:?}: {e:?}"));
    let names: Vec<String> = pages
        .iter()
        .flat_map(|page| page.parameters())
        .map(|m| m.name().unwrap().to_owned())
        .collect();
    let unique = set(&names);
    assert_eq!(unique.len(), names.len(), "duplicates in {names:?}");
    unique
}

async fn fixture(ssm: &Client) {
    ssm.put_parameter()
        .name("/app/prod/db")
        .value("pw")
        .r#type(ParameterType::SecureString)
        .tags(tag("env", "prod"))
        .tags(tag("team", "core"))
        .send()
        .await
        .unwrap();
    ssm.put_parameter()
        .name("/app/prod/url")
        .value("https://prod")
        .r#type(ParameterType::String)
        .tags(tag("env", "prod"))
        .send()
        .await
        .unwrap();
    ssm.put_parameter()
        .name("/app/dev/url")
        .value("https://dev")
        .r#type(ParameterType::String)
        .tags(tag("env", "dev"))
        .send()
        .await
        .unwrap();
    put_typed(ssm, "/app/dev/list", "a,b", ParameterType::StringList).await;
    ssm.put_parameter()
        .name("/app/big")
        .value("big")
        .r#type(ParameterType::String)
        .tier(ParameterTier::Advanced)
        .send()
        .await
        .unwrap();
    put(ssm, "/other/x", "x").await;
    put(ssm, "appflat", "flat").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parameter_filters_select_the_right_parameters() {
    let server = support::in_process().await;
    let ssm = server.ssm();
    fixture(&ssm).await;
    let f = |key: &str, option: Option<&str>, values: &[&str]| vec![filter(key, option, values)];

    assert_eq!(described(&ssm, vec![]).await.len(), 7);

    // Name
    assert_eq!(
        described(&ssm, f("Name", Some("Equals"), &["/app/prod/db"])).await,
        set(["/app/prod/db"])
    );
    assert_eq!(
        described(&ssm, f("Name", None, &["/app/prod/db", "/other/x"])).await,
        set(["/app/prod/db", "/other/x"]),
        "Equals is the default; values are ORed"
    );
    assert_eq!(
        described(&ssm, f("Name", Some("BeginsWith"), &["/app/prod"])).await,
        set(["/app/prod/db", "/app/prod/url"])
    );
    assert_eq!(
        described(&ssm, f("Name", Some("BeginsWith"), &["app/prod"])).await,
        set(["/app/prod/db", "/app/prod/url"]),
        "leading slash optional"
    );
    assert_eq!(
        described(&ssm, f("Name", Some("Contains"), &["url"])).await,
        set(["/app/prod/url", "/app/dev/url"])
    );

    // Path
    assert_eq!(
        described(&ssm, f("Path", None, &["/app/prod"])).await,
        set(["/app/prod/db", "/app/prod/url"])
    );
    assert_eq!(
        described(&ssm, f("Path", Some("OneLevel"), &["/app"])).await,
        set(["/app/big"])
    );
    assert_eq!(
        described(&ssm, f("Path", Some("Recursive"), &["/app"])).await,
        set([
            "/app/prod/db",
            "/app/prod/url",
            "/app/dev/url",
            "/app/dev/list",
            "/app/big"
        ])
    );

    // Type, KeyId, Tier, DataType
    assert_eq!(
        described(&ssm, f("Type", Some("Equals"), &["SecureString"])).await,
        set(["/app/prod/db"])
    );
    assert_eq!(
        described(&ssm, f("Type", Some("Equals"), &["StringList"])).await,
        set(["/app/dev/list"])
    );
    assert_eq!(
        described(&ssm, f("KeyId", Some("Equals"), &["alias/aws/ssm"])).await,
        set(["/app/prod/db"])
    );
    assert_eq!(
        described(&ssm, f("Tier", Some("Equals"), &["Advanced"])).await,
        set(["/app/big"])
    );
    assert_eq!(
        described(&ssm, f("Tier", Some("Equals"), &["Standard"]))
            .await
            .len(),
        6
    );
    assert_eq!(
        described(&ssm, f("DataType", Some("Equals"), &["text"]))
            .await
            .len(),
        7
    );

    // Tags: with values, several values, key only.
    assert_eq!(
        described(&ssm, f("tag:env", None, &["prod"])).await,
        set(["/app/prod/db", "/app/prod/url"])
    );
    assert_eq!(
        described(&ssm, f("tag:env", Some("Equals"), &["prod", "dev"])).await,
        set(["/app/prod/db", "/app/prod/url", "/app/dev/url"])
    );
    assert_eq!(
        described(&ssm, f("tag:env", None, &[])).await,
        set(["/app/prod/db", "/app/prod/url", "/app/dev/url"])
    );
    assert_eq!(
        described(&ssm, f("tag:team", None, &[])).await,
        set(["/app/prod/db"])
    );
    assert!(described(&ssm, f("tag:nope", None, &[])).await.is_empty());

    // Several filters: AND.
    assert_eq!(
        described(
            &ssm,
            vec![
                filter("Path", Some("Recursive"), &["/app"]),
                filter("Type", Some("Equals"), &["String"]),
            ]
        )
        .await,
        set(["/app/prod/url", "/app/dev/url", "/app/big"])
    );
    assert_eq!(
        described(
            &ssm,
            vec![
                filter("tag:env", None, &["prod"]),
                filter("Type", Some("Equals"), &["String"]),
            ]
        )
        .await,
        set(["/app/prod/url"])
    );

    // The deprecated Filters: Name is a prefix match.
    let out = ssm
        .describe_parameters()
        .filters(
            ParametersFilter::builder()
                .key(ParametersFilterKey::Name)
                .values("/app/dev")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        set(out.parameters().iter().map(|m| m.name().unwrap())),
        set(["/app/dev/url", "/app/dev/list"])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_filters_are_refused() {
    let server = support::in_process().await;
    let ssm = server.ssm();
    put(&ssm, "/b/x", "x").await;

    let err = ssm
        .describe_parameters()
        .filters(
            ParametersFilter::builder()
                .key(ParametersFilterKey::Name)
                .values("/b")
                .build()
                .unwrap(),
        )
        .parameter_filters(filter("Name", None, &["/b/x"]))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ValidationException");
    assert_eq!(
        message(&err),
        "You can use either Filters or ParameterFilters in a single request."
    );

    let cases: Vec<(Vec<ParameterStringFilter>, &str)> = vec![
        (vec![filter("Label", None, &["prod"])], "InvalidFilterKey"),
        (
            vec![
                filter("Name", None, &["/b/x"]),
                filter("Name", Some("BeginsWith"), &["/b"]),
            ],
            "InvalidFilterKey",
        ),
        (
            vec![filter("Name", Some("Sideways"), &["/b"])],
            "InvalidFilterOption",
        ),
        (
            vec![filter("Path", Some("Equals"), &["/b"])],
            "InvalidFilterOption",
        ),
        (
            vec![filter("Type", Some("Equals"), &["Bogus"])],
            "InvalidFilterOption",
        ),
        (
            vec![filter("Tier", Some("Equals"), &["Gold"])],
            "InvalidFilterOption",
        ),
        (vec![filter("Name", None, &[])], "InvalidFilterValue"),
    ];
    for (filters, expected) in cases {
        let err = ssm
            .describe_parameters()
            .set_parameter_filters(Some(filters.clone()))
            .send()
            .await
            .unwrap_err();
        assert_eq!(code(&err), expected, "{filters:?}");
    }

    for max in [0, 51] {
        let err = ssm
            .describe_parameters()
            .max_results(max)
            .send()
            .await
            .unwrap_err();
        assert_eq!(code(&err), "ValidationException", "MaxResults {max}");
    }
    let err = ssm
        .describe_parameters()
        .next_token("forged")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidNextToken");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paging_and_metadata_fields() {
    let server = support::server();
    let ssm = server.ssm();
    let mut expected = BTreeSet::new();
    for i in 0..11 {
        let name = format!("/meta/p{i:02}");
        ssm.put_parameter()
            .name(&name)
            .value(format!("value-{i}"))
            .r#type(ParameterType::String)
            .description(format!("number {i}"))
            .send()
            .await
            .unwrap();
        expected.insert(name);
    }
    put_typed(
        &ssm,
        "/meta/secret",
        "top-secret-value",
        ParameterType::SecureString,
    )
    .await;
    expected.insert("/meta/secret".to_owned());

    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let out = ssm
            .describe_parameters()
            .max_results(5)
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        pages += 1;
        assert!(out.parameters().len() <= 5);
        seen.extend(out.parameters().to_vec());
        token = out.next_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
        assert!(pages < 20, "paging does not end");
    }
    assert!(pages >= 3, "12 parameters in pages of 5");
    assert_eq!(seen.len(), 12);
    assert_eq!(set(seen.iter().map(|m| m.name().unwrap())), expected);

    for m in &seen {
        let name = m.name().unwrap();
        assert!(
            m.arn().unwrap().ends_with(&format!(":parameter{name}")),
            "{m:?}"
        );
        assert_eq!(m.version(), 1);
        assert_eq!(m.tier(), Some(&ParameterTier::Standard));
        assert_eq!(m.data_type(), Some("text"));
        assert!(m.policies().is_empty());
        assert!(m.last_modified_date().is_some());
        let user = m.last_modified_user().expect("LastModifiedUser");
        assert!(user.starts_with("arn:aws:iam::"), "{user}");
        if name == "/meta/secret" {
            assert_eq!(m.r#type(), Some(&ParameterType::SecureString));
            assert_eq!(m.key_id(), Some("alias/aws/ssm"));
        } else {
            assert_eq!(m.r#type(), Some(&ParameterType::String));
            assert_eq!(m.key_id(), None);
            let n: usize = name.trim_start_matches("/meta/p").parse().unwrap();
            assert_eq!(m.description(), Some(format!("number {n}").as_str()));
        }
    }

    // On the wire: no Value member anywhere, no plaintext.
    let (status, body) = raw_call(
        &server,
        "DescribeParameters",
        &serde_json::json!({"MaxResults": 50}),
    );
    assert_eq!(status, 200, "{body}");
    let params = body["Parameters"].as_array().expect("Parameters array");
    assert_eq!(params.len(), 12);
    for p in params {
        let object = p.as_object().unwrap();
        assert!(!object.contains_key("Value"), "{p}");
        assert!(object.contains_key("Name") && object.contains_key("Version"));
    }
    let text = body.to_string();
    assert!(!text.contains("top-secret-value"));
    assert!(!text.contains("value-3"));
}
