//! Concurrent writers on one name never lose an update.

use std::collections::BTreeMap;

use super::{get, put};
use crate::support;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_overwrites_get_distinct_versions() {
    let server = support::in_process().await;
    let ssm = server.ssm();
    put(&ssm, "/race", "initial").await;

    let mut tasks = Vec::new();
    for task in 0..32 {
        let ssm = ssm.clone();
        tasks.push(tokio::spawn(async move {
            let mut versions = Vec::new();
            for i in 0..5 {
                let out = ssm
                    .put_parameter()
                    .name("/race")
                    .value(format!("t{task}-{i}"))
                    .overwrite(true)
                    .send()
                    .await;
                versions.push(out.map(|o| o.version()).map_err(|e| format!("{e:?}")));
            }
            versions
        }));
    }
    let mut returned = Vec::new();
    for task in tasks {
        for result in task.await.unwrap() {
            returned.push(result.unwrap_or_else(|e| panic!("a writer failed: {e}")));
        }
    }
    returned.sort_unstable();
    assert_eq!(
        returned,
        (2..=161).collect::<Vec<i64>>(),
        "each write got its own version"
    );

    let p = get(&ssm, "/race", false).await;
    assert_eq!(p.version(), 161);

    // History, paged by hand: the 100 newest, each once, with the value
    // that the writer of that version sent.
    let mut seen: BTreeMap<i64, String> = BTreeMap::new();
    let mut token: Option<String> = None;
    loop {
        let out = ssm
            .get_parameter_history()
            .name("/race")
            .max_results(50)
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        for h in out.parameters() {
            let previous = seen.insert(h.version(), h.value().unwrap().to_owned());
            assert!(previous.is_none(), "version {} twice", h.version());
        }
        token = out.next_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(
        seen.keys().copied().collect::<Vec<_>>(),
        (62..=161).collect::<Vec<i64>>()
    );
    assert_eq!(seen[&161], super::value(&p));
    let distinct: std::collections::BTreeSet<&String> = seen.values().collect();
    assert_eq!(
        distinct.len(),
        100,
        "every kept version holds a distinct write"
    );
}
