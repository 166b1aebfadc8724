//! The parameter-policy runner's rows: the scan finds latest versions with
//! policies, a notification runs once per key, an expiration deletes only
//! the version whose policy fired, and keys go with their parameter.

use std::sync::Arc;

use super::{create, overwrite, put, test_change};
use crate::{PolicyActionRows, PolicyEffect, Store};

const REGION: &str = "conformance-policies";
const POLICY: &str =
    r#"[{"Type":"NoChangeNotification","Attributes":{"After":"1","Unit":"Days"}}]"#;

pub async fn run(store: Arc<dyn Store>) {
    let mut with_policy = create("/p/a", b"v1");
    with_policy.version.policies = Some(POLICY.to_owned());
    put(&*store, REGION, with_policy).await;
    put(&*store, REGION, create("/p/b", b"plain")).await;
    let mut cleared = create("/p/c", b"v1");
    cleared.version.policies = Some("[]".to_owned());
    put(&*store, REGION, cleared).await;

    let found = mine(&*store).await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].name, "/p/a");
    assert_eq!(found[0].latest_version, 1);
    assert_eq!(found[0].policies, POLICY);
    assert_eq!(found[0].parameter_type, "String");

    // A notification runs once per key, with its change record.
    let head = store.change_bounds().await.unwrap().head;
    let notify = |key: &'static str| {
        let store = store.clone();
        async move {
            store
                .run_policy_action(REGION, "/p/a", key, PolicyEffect::Notify, test_change())
                .await
                .unwrap()
        }
    };
    assert!(notify("NoChangeNotification:1").await);
    assert!(!notify("NoChangeNotification:1").await);
    assert!(notify("NoChangeNotification:2").await);
    assert_eq!(store.change_bounds().await.unwrap().head, head + 2);
    assert!(
        !store
            .run_policy_action(REGION, "/p/none", "k", PolicyEffect::Notify, test_change())
            .await
            .unwrap()
    );

    // An expiration whose version was replaced does nothing; the current
    // one deletes the parameter and, with it, its keys.
    let expire = |latest| PolicyEffect::Expire {
        expected_latest: latest,
    };
    put(&*store, REGION, overwrite("/p/a", 1, b"v2")).await;
    let head = store.change_bounds().await.unwrap().head;
    assert!(
        !store
            .run_policy_action(REGION, "/p/a", "Expiration", expire(1), test_change())
            .await
            .unwrap()
    );
    assert_eq!(store.change_bounds().await.unwrap().head, head);
    assert!(
        store
            .run_policy_action(REGION, "/p/a", "Expiration", expire(2), test_change())
            .await
            .unwrap()
    );
    assert_eq!(store.change_bounds().await.unwrap().head, head + 1);
    assert!(
        store
            .parameter_history(REGION, "/p/a")
            .await
            .unwrap()
            .is_none()
    );
    let mut again = create("/p/a", b"v1");
    again.version.policies = Some(POLICY.to_owned());
    put(&*store, REGION, again).await;
    assert!(
        notify("NoChangeNotification:1").await,
        "keys went with the parameter"
    );
}

/// The candidates in this property's region, paging two at a time.
async fn mine(store: &dyn PolicyActionRows) -> Vec<crate::PolicyCandidate> {
    let mut all = Vec::new();
    let mut after = None;
    loop {
        let page = store
            .parameters_with_policies(after.clone(), 2)
            .await
            .unwrap();
        let Some(last) = page.last() else {
            break;
        };
        after = Some((last.region.clone(), last.name.clone()));
        all.extend(page.into_iter().filter(|c| c.region == REGION));
    }
    all
}
