//! No event lost, none doubled: the change feed's promise as a receiver
//! sees it. A server killed with `kill -9` in the middle of a storm of
//! writes (and of their deliveries), again and again, still delivers, once
//! restarted, an event for every write it acknowledged, and events only
//! for writes that are really in the store, each in its writer's order;
//! two servers on one PostgreSQL store deliver each event exactly once, in
//! feed order.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use aws_sdk_ssm::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_ssm::types::ParameterType;
use kinko_testkit::KinkoServer;
use serde_json::Value;

use super::{KINKO, Received, Receiver, create, put, signed_by};
use crate::changes::watch;
use crate::cluster::{TestSchema, nodes};

/// Storms, each ended by a `kill -9` and followed by a restart.
const STORMS: usize = 3;
/// Concurrent writers in a storm.
const WRITERS: usize = 4;
/// Acknowledged writes of a storm before its kill.
const ACKED_BEFORE_KILL: usize = 200;
/// A bound on waiting (for writers, for deliveries), not a timing assertion.
const WAIT: Duration = Duration::from_secs(120);
/// Written after the restart: deliveries are in feed order, so once its
/// event has arrived, every earlier one has.
const MARKER: &str = "/marker/after-restart";

/// One write of the storm: the parameter, and the operation its
/// `Parameter Store Change` event carries.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Write {
    name: String,
    operation: String,
}

/// Writer `writer`'s `i`th write: each name is created, then updated, so
/// a name's two events have an order to keep.
fn storm_write(writer: usize, i: usize) -> Write {
    Write {
        name: format!("/storm/w{writer}/p{}", i / 2),
        operation: if i.is_multiple_of(2) {
            "Create"
        } else {
            "Update"
        }
        .to_owned(),
    }
}

/// What one writer did before the server went away.
#[derive(Debug, Default)]
struct Writes {
    /// Answered with success, in order.
    acked: Vec<Write>,
    /// The write in flight when the server died: it may or may not have
    /// committed (the kill can eat the answer).
    unanswered: Option<Write>,
    /// Errors the server answered (none expected).
    unexpected: Vec<String>,
}

/// Writes until the server is gone. The testkit's SDK clients do not
/// retry, so the first write after the kill fails at once.
async fn storm(ssm: aws_sdk_ssm::Client, writer: usize, acked: Arc<AtomicUsize>) -> Writes {
    let mut writes = Writes::default();
    for i in 0.. {
        let write = storm_write(writer, i);
        let kind = if (i / 2).is_multiple_of(2) {
            ParameterType::SecureString
        } else {
            ParameterType::String
        };
        let result = ssm
            .put_parameter()
            .name(&write.name)
            .value(format!("storm value {writer}-{i}"))
            .r#type(kind)
            .overwrite(true)
            .send()
            .await;
        match result {
            Ok(_) => {
                writes.acked.push(write);
                acked.fetch_add(1, Ordering::SeqCst);
            }
            // Refused or cut connection: the server is gone.
            Err(SdkError::DispatchFailure(_) | SdkError::ResponseError(_)) => {
                writes.unanswered = Some(write);
                break;
            }
            Err(other) => {
                writes.unexpected.push(format!("{write:?}: {other:?}"));
                writes.unanswered = Some(write);
                break;
            }
        }
    }
    writes
}

/// Whether `write` is in the store: its parameter exists (a Create) or
/// is at version 2 (an Update: every Update follows its acknowledged Create).
async fn committed(ssm: &aws_sdk_ssm::Client, write: &Write) -> bool {
    match ssm.get_parameter().name(&write.name).send().await {
        Ok(out) => {
            let version = out.parameter().unwrap().version();
            match write.operation.as_str() {
                "Create" => true,
                _ => version >= 2,
            }
        }
        Err(err) if err.code() == Some("ParameterNotFound") => false,
        Err(err) => panic!("GetParameter {}: {err:?}", write.name),
    }
}

/// Waits until an event for parameter `name` has arrived.
fn wait_for_name(receiver: &Receiver, name: &str) {
    let deadline = Instant::now() + WAIT;
    loop {
        let got = receiver.received();
        if got.iter().any(|r| r.json()["detail"]["name"] == name) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "no event for {name} among {} deliveries",
            got.len()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The deliveries deduplicated on `webhook-id` as a receiver does, in the
/// order of their first arrival, and how many were repeats. A repeat must
/// be the same event: same body.
fn deduplicated(got: &[Received]) -> (Vec<&Received>, usize) {
    let mut bodies: HashMap<&str, &str> = HashMap::new();
    let mut first = Vec::new();
    let mut repeats = 0;
    for received in got {
        let id = received.header("webhook-id");
        match bodies.get(id) {
            Some(body) => {
                assert_eq!(*body, received.body, "webhook-id {id} with two bodies");
                repeats += 1;
            }
            None => {
                bodies.insert(id, &received.body);
                first.push(received);
            }
        }
    }
    (first, repeats)
}

/// The change feed's Parameter Store changes, in feed order, as the
/// watch API gives them to the admin: what a `source=aws.ssm` webhook
/// must deliver, one event each.
fn ssm_feed(server: &KinkoServer) -> Vec<Write> {
    let admin = server.admin_credentials();
    let mut after = 0;
    let mut changes = Vec::new();
    loop {
        let (status, answer, body) = watch(server, &admin, &format!("after={after}&wait=0"));
        assert_eq!(status, 200, "{body}");
        for change in answer["Changes"].as_array().unwrap() {
            if change["Source"] == "aws.ssm" {
                changes.push(Write {
                    name: change["Name"].as_str().unwrap().to_owned(),
                    operation: change["Detail"]["event"].as_str().unwrap().to_owned(),
                });
            }
        }
        after = answer["NextSequence"].as_i64().unwrap();
        if after >= answer["Head"].as_i64().unwrap() {
            return changes;
        }
    }
}

/// What an event is about, as a [`Write`].
fn write_of(event: &Value) -> Write {
    assert_eq!(event["detail-type"], "Parameter Store Change", "{event}");
    assert_eq!(event["source"], "aws.ssm", "{event}");
    Write {
        name: event["detail"]["name"].as_str().unwrap().to_owned(),
        operation: event["detail"]["operation"].as_str().unwrap().to_owned(),
    }
}

/// Asserts the deliveries are the feed, saying where they part.
fn assert_follows_feed(delivered: &[Write], feed: &[Write]) {
    if let Some(at) =
        (0..delivered.len().max(feed.len())).find(|&i| delivered.get(i) != feed.get(i))
    {
        panic!(
            "{} events delivered for {} changes in the feed; from position {at} on, \
             delivered {:?}, the feed {:?}",
            delivered.len(),
            feed.len(),
            &delivered[at.min(delivered.len())..(at + 3).min(delivered.len())],
            &feed[at.min(feed.len())..(at + 3).min(feed.len())],
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_storm_loses_no_acknowledged_event() {
    let started = Instant::now();
    let mut server = KinkoServer::builder(KINKO).start();
    let receiver = Receiver::start(&[]);
    let (_, secret) = create(&server, &receiver.url("/storm"), &["source=aws.ssm"]);

    // Writers numbered across storms: storm s has writers s*WRITERS.. .
    let mut writes: Vec<Writes> = Vec::new();
    let mut delivered_at_kills = Vec::new();
    for storm_number in 0..STORMS {
        let before = receiver.received().len();
        let acked = Arc::new(AtomicUsize::new(0));
        let writers: Vec<_> = (0..WRITERS)
            .map(|task| {
                let writer = storm_number * WRITERS + task;
                tokio::spawn(storm(server.ssm(), writer, acked.clone()))
            })
            .collect();
        // Kill while writes are in flight and deliveries are under way.
        let deadline = Instant::now() + WAIT;
        while acked.load(Ordering::SeqCst) < ACKED_BEFORE_KILL
            || receiver.received().len() <= before
        {
            assert!(
                Instant::now() < deadline,
                "storm {storm_number}: {} writes acknowledged, {} delivered; log:\n{}",
                acked.load(Ordering::SeqCst),
                receiver.received().len(),
                server.logs()
            );
            assert!(
                !writers.iter().all(|w| w.is_finished()),
                "every writer stopped before the kill; log:\n{}",
                server.logs()
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        server.kill9();
        delivered_at_kills.push(receiver.received().len());
        for writer in writers {
            writes.push(
                tokio::time::timeout(WAIT, writer)
                    .await
                    .expect("a writer stops once the server is gone")
                    .unwrap(),
            );
        }
        tokio::task::block_in_place(|| server.restart());
    }
    let unexpected: Vec<&String> = writes.iter().flat_map(|w| &w.unexpected).collect();
    assert!(
        unexpected.is_empty(),
        "the server answered errors: {unexpected:?}"
    );
    let acknowledged: usize = writes.iter().map(|w| w.acked.len()).sum();
    assert!(
        acknowledged >= STORMS * ACKED_BEFORE_KILL,
        "{acknowledged} acks"
    );

    put(&server, MARKER, "after the restart", ParameterType::String).await;
    tokio::task::block_in_place(|| wait_for_name(&receiver, MARKER));

    let got = receiver.received();
    for received in &got {
        assert!(signed_by(received, &secret), "{received:?}");
    }
    let (events, repeats) = deduplicated(&got);
    let delivered: Vec<Write> = events.iter().map(|r| write_of(&r.json())).collect();
    // The feed as it survived the kills, every record once, in its order.
    assert_follows_feed(
        &delivered,
        &tokio::task::block_in_place(|| ssm_feed(&server)),
    );
    let mut per_writer: BTreeMap<usize, Vec<Write>> = BTreeMap::new();
    for write in delivered {
        if write.name == MARKER {
            continue;
        }
        let writer: usize = write
            .name
            .strip_prefix("/storm/w")
            .and_then(|rest| rest.split('/').next())
            .and_then(|w| w.parse().ok())
            .filter(|w| *w < writes.len())
            .unwrap_or_else(|| panic!("an event for a parameter nobody wrote: {write:?}"));
        per_writer.entry(writer).or_default().push(write);
    }

    let ssm = server.ssm();
    for (writer, made) in writes.iter().enumerate() {
        let delivered = per_writer.remove(&writer).unwrap_or_default();
        // Every acknowledged write has its event…
        let missing: Vec<&Write> = made
            .acked
            .iter()
            .filter(|w| !delivered.contains(w))
            .collect();
        assert!(
            missing.is_empty(),
            "writer {writer}: acknowledged writes without their event: {missing:?}"
        );
        // …in the writer's order (so a name's Create before its Update)…
        let n = made.acked.len();
        assert_eq!(
            delivered[..n],
            made.acked[..],
            "writer {writer}: events out of write order"
        );
        // …and the only other event is the unanswered write's, exactly
        // when it committed.
        let extra = &delivered[n..];
        assert!(
            extra.len() <= 1 && extra.iter().all(|e| Some(e) == made.unanswered.as_ref()),
            "writer {writer}: events for writes never made: {extra:?} (unanswered: {:?})",
            made.unanswered
        );
        if let Some(unanswered) = &made.unanswered {
            let in_store = committed(&ssm, unanswered).await;
            assert_eq!(
                !extra.is_empty(),
                in_store,
                "writer {writer}: the unanswered {unanswered:?} is {} the store, its event {}",
                if in_store { "in" } else { "not in" },
                if extra.is_empty() {
                    "missing"
                } else {
                    "delivered"
                }
            );
        }
    }
    let answered_late = events.len() - 1 - acknowledged;
    eprintln!(
        "{acknowledged} writes acknowledged in {STORMS} storms (+{answered_late} committed \
         unanswered), deliveries at the kills {delivered_at_kills:?}, {} events, {repeats} \
         redelivered after a restart; {:?}",
        events.len(),
        started.elapsed()
    );
}

/// Writes through the two servers in turn, then as many from writers on
/// both at once.
const CLUSTER_WRITES: usize = 100;
/// Concurrent writers per server in the second phase.
const CLUSTER_WRITERS: usize = 2;

/// Longer than a singleton lock retry (5 s): a second deliverer would
/// have had its chance to send again.
const QUIET: Duration = Duration::from_secs(7);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_on_one_postgres_store_deliver_each_event_exactly_once() {
    let Some(schema) = TestSchema::create("webhooks_exactly_once_from_two_servers").await else {
        return;
    };
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let root_key = dir.path().join("root.key");
    kinko_crypto::RootKey::load_or_create_file(&root_key).unwrap();
    let nodes = nodes(&schema.url(), &root_key, 2).await;
    let receiver = Receiver::start(&[]);
    // Created through the second server; whichever holds the delivery
    // lock reads it from the shared store.
    let (_, secret) = create(&nodes[1], &receiver.url("/cluster"), &["source=aws.ssm"]);

    // In turn: the feed's order is the order written.
    let mut in_turn = Vec::new();
    for i in 0..CLUSTER_WRITES {
        let name = format!("/cluster/turn/p{i:03}");
        put(
            &nodes[i % 2],
            &name,
            &format!("value {i}"),
            ParameterType::String,
        )
        .await;
        in_turn.push(name);
    }
    // At once: both servers append to the one feed.
    let per_writer = CLUSTER_WRITES / (CLUSTER_WRITERS * nodes.len());
    let mut writers = Vec::new();
    for (n, node) in nodes.iter().enumerate() {
        for w in 0..CLUSTER_WRITERS {
            let ssm = node.ssm();
            writers.push(tokio::spawn(async move {
                for i in 0..per_writer {
                    ssm.put_parameter()
                        .name(format!("/cluster/at-once/n{n}/w{w}/p{i:03}"))
                        .value(format!("value {i}"))
                        .r#type(ParameterType::String)
                        .send()
                        .await
                        .unwrap_or_else(|e| panic!("put on node {n}: {e:?}"));
                }
            }));
        }
    }
    for writer in writers {
        writer.await.unwrap();
    }
    let total = in_turn.len() + per_writer * CLUSTER_WRITERS * nodes.len();
    tokio::task::block_in_place(|| receiver.wait_for(total));
    tokio::time::sleep(QUIET).await;

    let got = receiver.received();
    let ids: HashSet<&str> = got.iter().map(|r| r.header("webhook-id")).collect();
    assert_eq!(
        ids.len(),
        got.len(),
        "a webhook-id delivered twice: {got:#?}"
    );
    assert_eq!(got.len(), total, "{got:#?}");
    for received in &got {
        assert!(signed_by(received, &secret), "{received:?}");
    }
    let delivered: Vec<Write> = got.iter().map(|r| write_of(&r.json())).collect();
    let names: HashSet<&str> = delivered.iter().map(|w| w.name.as_str()).collect();
    assert_eq!(names.len(), total, "one event per parameter");
    assert!(delivered.iter().all(|w| w.operation == "Create"));
    let turns: Vec<&str> = delivered[..in_turn.len()]
        .iter()
        .map(|w| w.name.as_str())
        .collect();
    assert_eq!(turns, in_turn, "the writes in turn, in their order");
    // Each server sees the one feed, and the deliveries follow it.
    for node in &nodes {
        assert_follows_feed(&delivered, &tokio::task::block_in_place(|| ssm_feed(node)));
    }
    let holders: Vec<usize> = (0..nodes.len())
        .filter(|&n| {
            nodes[n]
                .logs()
                .lines()
                .any(|l| l.contains("now runs the singleton job") && l.contains("deliver-webhooks"))
        })
        .collect();
    eprintln!(
        "{total} events once each, delivered by node(s) {holders:?}; {:?}",
        started.elapsed()
    );
}
