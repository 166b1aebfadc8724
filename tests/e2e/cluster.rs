//! Several servers, one PostgreSQL store: what a user of a kinko cluster
//! sees, whichever server answers.
//!
//! Needs `KINKO_TEST_DATABASE_URL` (CI: `postgres://postgres@127.0.0.1:5432/test`);
//! without it the test prints a note and passes. It works in a fresh schema,
//! dropped at the end.

use std::collections::BTreeMap;
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::path::Path;

use aws_sdk_ssm::error::ProvideErrorMetadata;
use aws_sdk_ssm::types::ParameterType;
use kinko_store::postgres::schema;
use kinko_testkit::KinkoServer;

const DATABASE_URL: &str = "KINKO_TEST_DATABASE_URL";

/// A fresh schema, dropped (from a thread with its own runtime) on drop.
struct TestSchema {
    base_url: String,
    name: String,
}

impl TestSchema {
    async fn create(test: &str) -> Option<TestSchema> {
        let Some(base_url) = std::env::var(DATABASE_URL).ok().filter(|u| !u.is_empty()) else {
            eprintln!("skipping {test}: set {DATABASE_URL} to run the PostgreSQL tests");
            return None;
        };
        let name = format!("kinko_e2e_{:016x}", RandomState::new().hash_one(test));
        schema::create_schema(&base_url, &name).await.unwrap();
        Some(TestSchema { base_url, name })
    }

    fn url(&self) -> String {
        schema::url_with_search_path(&self.base_url, &self.name).unwrap()
    }
}

impl Drop for TestSchema {
    fn drop(&mut self) {
        let (url, name) = (self.base_url.clone(), self.name.clone());
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(schema::drop_schema(&url, &name))
        })
        .join();
    }
}

/// A server on the shared store, with the root key every server shares.
fn node(url: &str, root_key: &Path) -> KinkoServer {
    KinkoServer::builder(env!("CARGO_BIN_EXE_kinko"))
        .arg("--store")
        .arg(url)
        .arg("--root-key-file")
        .arg(root_key.to_str().unwrap())
        .start()
}

const WRITERS_PER_NODE: usize = 4;
const WRITES_PER_WRITER: usize = 8;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_share_one_postgres_store() {
    let Some(schema) = TestSchema::create("two_servers_share_one_postgres_store").await else {
        return;
    };
    let url = schema.url();
    let dir = tempfile::tempdir().unwrap();
    let root_key = dir.path().join("root.key");
    kinko_crypto::RootKey::load_or_create_file(&root_key).unwrap();

    let nodes = tokio::task::spawn_blocking({
        let (url, root_key) = (url.clone(), root_key.clone());
        move || [node(&url, &root_key), node(&url, &root_key)]
    })
    .await
    .unwrap();
    assert_eq!(
        nodes[0].access_key_id, nodes[1].access_key_id,
        "the admin key lives in the shared store"
    );

    // A SecureString written through one server opens on the other: same
    // root key, same keyring.
    nodes[0]
        .ssm()
        .put_parameter()
        .name("/cluster/secure")
        .value("s3cret-value")
        .r#type(ParameterType::SecureString)
        .send()
        .await
        .unwrap();
    let read = nodes[1]
        .ssm()
        .get_parameter()
        .name("/cluster/secure")
        .with_decryption(true)
        .send()
        .await
        .unwrap();
    assert_eq!(read.parameter().unwrap().value(), Some("s3cret-value"));

    // Writers on both servers put versions of one parameter at once.
    let name = "/cluster/contended";
    let mut tasks = Vec::new();
    for (n, server) in nodes.iter().enumerate() {
        for writer in 0..WRITERS_PER_NODE {
            let ssm = server.ssm();
            tasks.push(tokio::spawn(async move {
                let mut acknowledged = Vec::new();
                for write in 0..WRITES_PER_WRITER {
                    let value = format!("node{n}-writer{writer}-write{write}");
                    loop {
                        let result = ssm
                            .put_parameter()
                            .name(name)
                            .value(&value)
                            .r#type(ParameterType::String)
                            .overwrite(true)
                            .send()
                            .await;
                        match result {
                            Ok(out) => {
                                acknowledged.push((out.version(), value.clone()));
                                break;
                            }
                            // AWS's answer to contention; the SDK's retry
                            // (disabled in the testkit) would resend.
                            Err(err) if err.code() == Some("TooManyUpdates") => continue,
                            Err(err) => panic!("put on node {n}: {err:?}"),
                        }
                    }
                }
                acknowledged
            }));
        }
    }
    let mut acknowledged: BTreeMap<i64, String> = BTreeMap::new();
    for task in tasks {
        for (version, value) in task.await.unwrap() {
            assert!(
                acknowledged.insert(version, value).is_none(),
                "version {version} acknowledged twice"
            );
        }
    }
    let total = (nodes.len() * WRITERS_PER_NODE * WRITES_PER_WRITER) as i64;
    assert_eq!(
        acknowledged.keys().copied().collect::<Vec<_>>(),
        (1..=total).collect::<Vec<_>>(),
        "versions 1..N, each exactly once"
    );

    // Every acknowledged value is readable, at its version, from both servers.
    for (n, server) in nodes.iter().enumerate() {
        let ssm = server.ssm();
        let mut history = BTreeMap::new();
        let mut pages = ssm
            .get_parameter_history()
            .name(name)
            .max_results(50)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            for p in page.unwrap().parameters() {
                history.insert(p.version(), p.value().unwrap().to_owned());
            }
        }
        assert_eq!(history, acknowledged, "history read through node {n}");
        let latest = ssm.get_parameter().name(name).send().await.unwrap();
        assert_eq!(latest.parameter().unwrap().version(), total);
    }
}
