//! DeleteParameter and DeleteParameters.

use super::{get, overwrite, put, set, tag, value};
use crate::support::{self, code, message};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_parameter_removes_everything() {
    let server = support::in_process().await;
    let ssm = server.ssm();

    let err = ssm
        .delete_parameter()
        .name("/del/none")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ParameterNotFound");
    assert_eq!(message(&err), "Parameter /del/none not found.");

    ssm.put_parameter()
        .name("/del/x")
        .value("v1")
        .r#type(aws_sdk_ssm::types::ParameterType::String)
        .tags(tag("env", "prod"))
        .send()
        .await
        .unwrap();
    overwrite(&ssm, "/del/x", "v2").await;
    overwrite(&ssm, "/del/x", "v3").await;
    ssm.label_parameter_version()
        .name("/del/x")
        .parameter_version(2)
        .labels("keep")
        .send()
        .await
        .unwrap();

    ssm.delete_parameter().name("/del/x").send().await.unwrap();
    let err = ssm.get_parameter().name("/del/x").send().await.unwrap_err();
    assert_eq!(code(&err), "ParameterNotFound");
    let err = ssm
        .get_parameter_history()
        .name("/del/x")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ParameterNotFound");
    let err = ssm
        .delete_parameter()
        .name("/del/x")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ParameterNotFound");

    // Re-created: version 1, no old history, labels or tags.
    assert_eq!(put(&ssm, "/del/x", "fresh").await, 1);
    let p = get(&ssm, "/del/x", false).await;
    assert_eq!((value(&p), p.version()), ("fresh", 1));
    let history = ssm
        .get_parameter_history()
        .name("/del/x")
        .send()
        .await
        .unwrap();
    assert_eq!(history.parameters().len(), 1);
    assert!(history.parameters()[0].labels().is_empty());
    let err = ssm
        .get_parameter()
        .name("/del/x:keep")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ParameterVersionNotFound");
    let tags = ssm
        .list_tags_for_resource()
        .resource_type(aws_sdk_ssm::types::ResourceTypeForTagging::Parameter)
        .resource_id("/del/x")
        .send()
        .await
        .unwrap();
    assert!(tags.tag_list().is_empty(), "{:?}", tags.tag_list());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_parameters_reports_deleted_and_invalid() {
    let server = support::in_process().await;
    let ssm = server.ssm();
    put(&ssm, "/dm/a", "a").await;
    put(&ssm, "/dm/b", "b").await;
    put(&ssm, "/dm/c", "c").await;
    put(&ssm, "flat", "f").await;

    let out = ssm
        .delete_parameters()
        .names("/dm/a")
        .names("/dm/b")
        .names("/dm/missing")
        .names("/flat")
        .send()
        .await
        .unwrap();
    assert_eq!(out.deleted_parameters().len(), 3, "{out:?}");
    assert_eq!(
        set(out
            .deleted_parameters()
            .iter()
            .map(|n| n.trim_start_matches('/'))),
        set(["dm/a", "dm/b", "flat"])
    );
    assert_eq!(out.invalid_parameters(), ["/dm/missing"]);

    for name in ["/dm/a", "/dm/b", "flat"] {
        let err = ssm.get_parameter().name(name).send().await.unwrap_err();
        assert_eq!(code(&err), "ParameterNotFound", "{name}");
    }
    assert_eq!(value(&get(&ssm, "/dm/c", false).await), "c");

    // Only missing names: no error, all invalid.
    let out = ssm
        .delete_parameters()
        .names("/dm/a")
        .names("/dm/zzz")
        .send()
        .await
        .unwrap();
    assert!(out.deleted_parameters().is_empty());
    assert_eq!(set(out.invalid_parameters()), set(["/dm/a", "/dm/zzz"]));
}
