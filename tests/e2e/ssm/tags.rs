//! AddTagsToResource, RemoveTagsFromResource, ListTagsForResource.

use std::collections::BTreeMap;

use aws_sdk_ssm::Client;
use aws_sdk_ssm::types::{ParameterType, ResourceTypeForTagging};

use super::{put, tag};
use crate::support::{self, code, message};

async fn tags_of(ssm: &Client, name: &str) -> BTreeMap<String, String> {
    ssm.list_tags_for_resource()
        .resource_type(ResourceTypeForTagging::Parameter)
        .resource_id(name)
        .send()
        .await
        .unwrap_or_else(|e| panic!("list tags {name}: {e:?}"))
        .tag_list()
        .iter()
        .map(|t| (t.key().to_owned(), t.value().to_owned()))
        .collect()
}

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_remove_and_list_tags() {
    let server = support::in_process().await;
    let ssm = server.ssm();
    ssm.put_parameter()
        .name("/tg/x")
        .value("v")
        .r#type(ParameterType::String)
        .tags(tag("env", "prod"))
        .send()
        .await
        .unwrap();
    assert_eq!(tags_of(&ssm, "/tg/x").await, map(&[("env", "prod")]));

    // Upsert by key; empty values allowed.
    ssm.add_tags_to_resource()
        .resource_type(ResourceTypeForTagging::Parameter)
        .resource_id("/tg/x")
        .tags(tag("env", "dev"))
        .tags(tag("team", "core"))
        .tags(tag("empty", ""))
        .send()
        .await
        .unwrap();
    assert_eq!(
        tags_of(&ssm, "/tg/x").await,
        map(&[("env", "dev"), ("team", "core"), ("empty", "")])
    );

    // Remove: unknown keys are ignored.
    ssm.remove_tags_from_resource()
        .resource_type(ResourceTypeForTagging::Parameter)
        .resource_id("/tg/x")
        .tag_keys("team")
        .tag_keys("not-there")
        .send()
        .await
        .unwrap();
    assert_eq!(
        tags_of(&ssm, "/tg/x").await,
        map(&[("env", "dev"), ("empty", "")])
    );

    // Tags don't change the version.
    assert_eq!(super::get(&ssm, "/tg/x", false).await.version(), 1);

    // A parameter without tags lists [].
    put(&ssm, "/tg/bare", "v").await;
    assert!(tags_of(&ssm, "/tg/bare").await.is_empty());

    // Single-level names: `/flat` and `flat` are one resource.
    put(&ssm, "flat", "v").await;
    ssm.add_tags_to_resource()
        .resource_type(ResourceTypeForTagging::Parameter)
        .resource_id("/flat")
        .tags(tag("k", "v"))
        .send()
        .await
        .unwrap();
    assert_eq!(tags_of(&ssm, "flat").await, map(&[("k", "v")]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tag_limits_and_bad_targets() {
    let server = support::in_process().await;
    let ssm = server.ssm();
    put(&ssm, "/tl/x", "v").await;

    let mut request = ssm
        .add_tags_to_resource()
        .resource_type(ResourceTypeForTagging::Parameter)
        .resource_id("/tl/x");
    for i in 0..50 {
        request = request.tags(tag(&format!("k{i}"), "v"));
    }
    request.send().await.unwrap();
    assert_eq!(tags_of(&ssm, "/tl/x").await.len(), 50);

    // Updating an existing key at 50 is fine; a 51st key is not.
    ssm.add_tags_to_resource()
        .resource_type(ResourceTypeForTagging::Parameter)
        .resource_id("/tl/x")
        .tags(tag("k0", "changed"))
        .send()
        .await
        .unwrap();
    let err = ssm
        .add_tags_to_resource()
        .resource_type(ResourceTypeForTagging::Parameter)
        .resource_id("/tl/x")
        .tags(tag("k50", "v"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "TooManyTagsError");
    let tags = tags_of(&ssm, "/tl/x").await;
    assert_eq!(tags.len(), 50);
    assert_eq!(tags["k0"], "changed");
    assert!(!tags.contains_key("k50"));

    // 51 at once on a fresh parameter.
    put(&ssm, "/tl/y", "v").await;
    let mut request = ssm
        .add_tags_to_resource()
        .resource_type(ResourceTypeForTagging::Parameter)
        .resource_id("/tl/y");
    for i in 0..51 {
        request = request.tags(tag(&format!("k{i}"), "v"));
    }
    let err = request.send().await.unwrap_err();
    assert_eq!(code(&err), "TooManyTagsError");
    assert!(
        tags_of(&ssm, "/tl/y").await.is_empty(),
        "nothing half-written"
    );

    // Unknown parameter.
    let err = ssm
        .add_tags_to_resource()
        .resource_type(ResourceTypeForTagging::Parameter)
        .resource_id("/tl/none")
        .tags(tag("k", "v"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidResourceId");
    let err = ssm
        .list_tags_for_resource()
        .resource_type(ResourceTypeForTagging::Parameter)
        .resource_id("/tl/none")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidResourceId");
    let err = ssm
        .remove_tags_from_resource()
        .resource_type(ResourceTypeForTagging::Parameter)
        .resource_id("/tl/none")
        .tag_keys("k")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidResourceId");

    // Other resource types.
    let err = ssm
        .add_tags_to_resource()
        .resource_type(ResourceTypeForTagging::Document)
        .resource_id("/tl/x")
        .tags(tag("k", "v"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidResourceType");
    let err = ssm
        .list_tags_for_resource()
        .resource_type(ResourceTypeForTagging::ManagedInstance)
        .resource_id("mi-0123456789abcdef0")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidResourceType");
    // A type outside the enum is InvalidResourceType too, not a
    // ValidationException, on all three operations.
    let bogus = || ResourceTypeForTagging::from("Bogus");
    let err = ssm
        .add_tags_to_resource()
        .resource_type(bogus())
        .resource_id("/tl/x")
        .tags(tag("k", "v"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidResourceType");
    let err = ssm
        .remove_tags_from_resource()
        .resource_type(bogus())
        .resource_id("/tl/x")
        .tag_keys("k0")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidResourceType");
    let err = ssm
        .list_tags_for_resource()
        .resource_type(bogus())
        .resource_id("/tl/x")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidResourceType");
    assert_eq!(tags_of(&ssm, "/tl/x").await.len(), 50, "nothing removed");

    // Bad tag keys: the whole list, once, with the member's constraints.
    let err = ssm
        .remove_tags_from_resource()
        .resource_type(ResourceTypeForTagging::Parameter)
        .resource_id("/tl/x")
        .tag_keys("k0")
        .tag_keys("bad!")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ValidationException");
    assert_eq!(
        message(&err),
        "1 validation error detected: Value '[k0, bad!]' at 'tagKeys' failed to satisfy \
         constraint: Member must satisfy constraint: [Member must have length less than or \
         equal to 128, Member must have length greater than or equal to 1, Member must satisfy \
         regular expression pattern: ^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$]"
    );
}
