//! ListSecrets: filters, sort order, paging.

use aws_sdk_secretsmanager::Client;
use aws_sdk_secretsmanager::types::{
    Filter, FilterNameStringType as Key, SortByType, SortOrderType,
};

use super::{filter, set, tag};
use crate::support::{self, code};

/// Name, description and tags of one secret.
type Spec = (
    &'static str,
    Option<&'static str>,
    &'static [(&'static str, &'static str)],
);

/// Five secrets with names, descriptions and tags to filter on.
async fn five_secrets(sm: &Client) {
    let specs: [Spec; 5] = [
        (
            "app/prod/db",
            Some("Production database"),
            &[("env", "prod"), ("team", "core")],
        ),
        (
            "app/prod/api",
            Some("Production API key"),
            &[("env", "prod")],
        ),
        (
            "app/dev/db",
            Some("Development database"),
            &[("env", "dev")],
        ),
        ("other/cache", Some("cache password"), &[("owner", "ops")]),
        ("Zeta", None, &[]),
    ];
    for (name, description, tags) in specs {
        let mut request = sm.create_secret().name(name).secret_string("v");
        if let Some(d) = description {
            request = request.description(d);
        }
        for (k, v) in tags {
            request = request.tags(tag(k, v));
        }
        request
            .send()
            .await
            .unwrap_or_else(|e| panic!("create {name}: {e:?}"));
    }
}

async fn names(sm: &Client, filters: Vec<Filter>) -> std::collections::BTreeSet<String> {
    let out = sm
        .list_secrets()
        .set_filters(Some(filters.clone()))
        .send()
        .await
        .unwrap_or_else(|e| panic!("list {filters:?}: {e:?}"));
    set(out.secret_list().iter().map(|s| s.name().unwrap()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_secrets_filters() {
    let server = support::in_process().await;
    let sm = server.secrets();
    five_secrets(&sm).await;

    let empty: [&str; 0] = [];
    assert_eq!(
        names(&sm, vec![]).await,
        set([
            "app/prod/db",
            "app/prod/api",
            "app/dev/db",
            "other/cache",
            "Zeta"
        ])
    );
    // name: prefix, case-sensitive.
    assert_eq!(
        names(&sm, vec![filter(Key::Name, &["app/prod"])]).await,
        set(["app/prod/db", "app/prod/api"])
    );
    assert_eq!(
        names(&sm, vec![filter(Key::Name, &["App"])]).await,
        set(empty)
    );
    // Values in one filter are ORed.
    assert_eq!(
        names(&sm, vec![filter(Key::Name, &["app/dev", "other"])]).await,
        set(["app/dev/db", "other/cache"])
    );
    // A value starting with `!` negates.
    assert_eq!(
        names(&sm, vec![filter(Key::Name, &["!app/"])]).await,
        set(["other/cache", "Zeta"])
    );
    // description: prefix, case-insensitive.
    assert_eq!(
        names(&sm, vec![filter(Key::Description, &["production"])]).await,
        set(["app/prod/db", "app/prod/api"])
    );
    // tag-key / tag-value: prefix, case-sensitive, any tag.
    assert_eq!(
        names(&sm, vec![filter(Key::TagKey, &["team"])]).await,
        set(["app/prod/db"])
    );
    assert_eq!(
        names(&sm, vec![filter(Key::TagKey, &["Team"])]).await,
        set(empty)
    );
    assert_eq!(
        names(&sm, vec![filter(Key::TagValue, &["pro"])]).await,
        set(["app/prod/db", "app/prod/api"])
    );
    // Filters are ANDed.
    assert_eq!(
        names(
            &sm,
            vec![
                filter(Key::Name, &["app/"]),
                filter(Key::TagValue, &["dev"])
            ]
        )
        .await,
        set(["app/dev/db"])
    );
    // all: words of name, description, tag keys or values; case-insensitive.
    assert_eq!(
        names(&sm, vec![filter(Key::All, &["database"])]).await,
        set(["app/prod/db", "app/dev/db"])
    );
    assert_eq!(
        names(&sm, vec![filter(Key::All, &["OPS"])]).await,
        set(["other/cache"])
    );
    assert_eq!(
        names(&sm, vec![filter(Key::All, &["core"])]).await,
        set(["app/prod/db"])
    );
    assert_eq!(
        names(&sm, vec![filter(Key::All, &["zeta"])]).await,
        set(["Zeta"])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_secrets_sort_order_and_paging() {
    let server = support::in_process().await;
    let sm = server.secrets();
    five_secrets(&sm).await;

    let by_name = |order: SortOrderType| {
        let sm = sm.clone();
        async move {
            let out = sm
                .list_secrets()
                .sort_by(SortByType::Name)
                .sort_order(order)
                .send()
                .await
                .unwrap();
            out.secret_list()
                .iter()
                .map(|s| s.name().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    // Where "Zeta" sorts against lower case is not specified (byte order or
    // case-insensitive); the lower-case names have one order either way.
    let asc = by_name(SortOrderType::Asc).await;
    let desc = by_name(SortOrderType::Desc).await;
    assert_eq!(asc.len(), 5, "{asc:?}");
    let mut reversed = desc.clone();
    reversed.reverse();
    assert_eq!(asc, reversed, "desc is asc reversed");
    let lower: Vec<&str> = asc
        .iter()
        .map(String::as_str)
        .filter(|n| *n != "Zeta")
        .collect();
    assert_eq!(
        lower,
        ["app/dev/db", "app/prod/api", "app/prod/db", "other/cache"]
    );

    // The entries carry the DescribeSecret fields.
    let out = sm
        .list_secrets()
        .filters(filter(Key::Name, &["app/prod/db"]))
        .send()
        .await
        .unwrap();
    let entry = &out.secret_list()[0];
    assert!(entry.arn().unwrap().contains(":secret:app/prod/db-"));
    assert_eq!(entry.description(), Some("Production database"));
    assert_eq!(entry.tags().len(), 2);
    let stages = entry
        .secret_versions_to_stages()
        .expect("SecretVersionsToStages");
    assert_eq!(stages.len(), 1);
    assert_eq!(stages.values().next().unwrap(), &["AWSCURRENT"]);

    // Paging: MaxResults 2 over 5 secrets, every secret exactly once.
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let out = sm
            .list_secrets()
            .max_results(2)
            .set_next_token(token.clone())
            .send()
            .await
            .unwrap();
        pages += 1;
        assert!(out.secret_list().len() <= 2, "page {pages} too long");
        seen.extend(
            out.secret_list()
                .iter()
                .map(|s| s.name().unwrap().to_owned()),
        );
        token = out.next_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
        assert!(pages < 20, "paging does not end");
    }
    assert!(pages >= 3, "5 secrets in pages of 2 took {pages} pages");
    assert_eq!(seen.len(), 5, "{seen:?}");
    assert_eq!(set(&seen).len(), 5, "{seen:?}");

    let err = sm
        .list_secrets()
        .next_token("not-a-token")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidNextTokenException");
}

/// The word search of the user guide's "Find secrets": `all` and
/// `description` split values and fields into words (at punctuation, at
/// lower→upper case changes, between letters and digits) and need every
/// word of a value; the other keys are case-sensitive prefixes. The same
/// rules pick BatchGetSecretValue's secrets.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_secrets_word_search() {
    let server = support::in_process().await;
    let sm = server.secrets();
    for (name, description, tags) in [
        ("prod/AppBeta/x", "One and two", &[("Team", "core-db")][..]),
        ("prod/Gamma", "three", &[("Team", "web")][..]),
        ("dev/db2", "one only", &[][..]),
    ] {
        let mut request = sm
            .create_secret()
            .name(name)
            .description(description)
            .secret_string(name);
        for (k, v) in tags {
            request = request.tags(tag(k, v));
        }
        request.send().await.unwrap();
    }
    let empty: [&str; 0] = [];
    for (value, want) in [
        ("AppBeta", &["prod/AppBeta/x"][..]),
        ("Beta", &["prod/AppBeta/x"][..]),
        ("beta", &["prod/AppBeta/x"][..]),
        ("eta", &[][..]),
        ("one two", &["prod/AppBeta/x"][..]),
        ("ONE", &["prod/AppBeta/x", "dev/db2"][..]),
        ("db", &["prod/AppBeta/x", "dev/db2"][..]),
        ("2", &["dev/db2"][..]),
        // kinko's choice (moto's): a value's words are found in one field.
        ("team web", &[][..]),
        ("!beta", &["prod/Gamma", "dev/db2"][..]),
    ] {
        assert_eq!(
            names(&sm, vec![filter(Key::All, &[value])]).await,
            set(want.iter().copied()),
            "all {value:?}"
        );
    }
    assert_eq!(
        names(&sm, vec![filter(Key::Description, &["two ONE"])]).await,
        set(["prod/AppBeta/x"])
    );
    assert_eq!(
        names(&sm, vec![filter(Key::Description, &["one three"])]).await,
        set(empty)
    );
    // name stays a prefix of the whole name: no word split there.
    assert_eq!(
        names(&sm, vec![filter(Key::Name, &["AppBeta"])]).await,
        set(empty)
    );
    assert_eq!(
        names(&sm, vec![filter(Key::TagKey, &["!Team"])]).await,
        set(["dev/db2"])
    );
    // Keys AND, values OR.
    assert_eq!(
        names(
            &sm,
            vec![
                filter(Key::All, &["gamma", "beta"]),
                filter(Key::TagValue, &["web"])
            ]
        )
        .await,
        set(["prod/Gamma"])
    );

    let out = sm
        .batch_get_secret_value()
        .filters(filter(Key::All, &["Beta"]))
        .filters(filter(Key::Name, &["prod/"]))
        .send()
        .await
        .unwrap();
    assert_eq!(
        set(out
            .secret_values()
            .iter()
            .map(|v| v.secret_string().unwrap())),
        set(["prod/AppBeta/x"])
    );

    // A bad value is reported with the whole list, once.
    let err = sm
        .list_secrets()
        .filters(filter(Key::All, &["ok", "a*"]))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ValidationException");
    assert_eq!(
        support::message(&err),
        "1 validation error detected: Value '[ok, a*]' at 'filters.1.member.values' failed to \
         satisfy constraint: Member must satisfy constraint: [Member must have length less than \
         or equal to 512, Member must satisfy regular expression pattern: \
         ^\\!?[a-zA-Z0-9 :_@\\/\\+\\=\\.\\-\\!]*$]"
    );
}
