//! Tests of the chain verifier and the query over an in-memory chain store.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use async_trait::async_trait;
use kinko_store::{AUDIT_GENESIS, AuditLink, AuditRow, AuditRows, SqliteStore, StoreError};

use kinko_model::audit::{AuditRecord, ResourceDecision, Verdict};

use super::*;

// ---------------------------------------------------------------- helpers

const ALICE: &str = "arn:aws:iam::123456789012:user/alice";
const BOB: &str = "arn:aws:iam::123456789012:user/bob";

/// Record `i` (1-based): alice on even, bob on odd; every third is denied;
/// operations alternate between GetParameter and PutParameter.
fn record(i: i64) -> AuditRecord {
    let operation = if i % 2 == 0 {
        "ssm:GetParameter"
    } else {
        "ssm:PutParameter"
    };
    let decision = if i % 3 == 0 {
        Verdict::Deny
    } else {
        Verdict::Allow
    };
    AuditRecord {
        time_ms: 1_000 * i,
        request_id: format!("req-{i}"),
        principal: Some(if i % 2 == 0 { ALICE } else { BOB }.to_owned()),
        access_key_id: Some("AKIAEXAMPLE".into()),
        source_ip: Some("10.0.0.1".into()),
        operation: operation.into(),
        resources: vec![ResourceDecision {
            action: operation.into(),
            resource: format!("arn:aws:ssm:us-east-1:123456789012:parameter/app/p{i}"),
            decision,
            statement: None,
            reason: None,
        }],
        decision,
        statement: None,
        error_code: (decision == Verdict::Deny).then(|| "AccessDeniedException".to_owned()),
        status: if decision == Verdict::Deny { 400 } else { 200 },
        latency_ms: 0.5,
        outage: None,
    }
}

/// A correctly linked chain of `n` rows, as a store would write it.
fn chain(n: i64) -> Vec<AuditRow> {
    relink(
        (1..=n)
            .map(|i| {
                let r = record(i);
                AuditRow {
                    seq: i,
                    time_ms: r.time_ms,
                    record: r.to_json().unwrap(),
                    prev_hash: String::new(),
                    hash: String::new(),
                }
            })
            .collect(),
    )
}

/// What a forger who knows the algorithm does: renumber 1.. and re-hash.
fn relink(mut rows: Vec<AuditRow>) -> Vec<AuditRow> {
    let mut prev = AUDIT_GENESIS.to_owned();
    for (i, row) in rows.iter_mut().enumerate() {
        row.seq = i as i64 + 1;
        row.prev_hash = prev;
        row.hash = link(&row.prev_hash, row.seq, row.time_ms, &row.record);
        prev = row.hash.clone();
    }
    rows
}

fn head_of(rows: &[AuditRow]) -> Option<(i64, String)> {
    rows.last().map(|r| (r.seq, r.hash.clone()))
}

fn check(rows: &[AuditRow], head: Option<(i64, String)>) -> Result<VerifiedChain, Problem> {
    let mut verifier = ChainVerifier::new();
    for row in rows {
        verifier.push(row)?;
    }
    verifier.finish(head)
}

fn problem(seq: i64, reason: &str) -> Problem {
    Problem {
        seq,
        reason: reason.to_owned(),
    }
}

// ------------------------------------------------------------------ link

#[test]
fn link_is_deterministic_hex_sha256() {
    let a = link(AUDIT_GENESIS, 1, 5, "{}");
    assert_eq!(a, link(AUDIT_GENESIS, 1, 5, "{}"));
    assert_eq!(a.len(), 64);
    assert!(
        a.bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    );
}

#[test]
fn link_changes_with_each_input() {
    let base = link("aa", 1, 5, "{}");
    assert_ne!(base, link("ab", 1, 5, "{}"));
    assert_ne!(base, link("aa", 2, 5, "{}"));
    assert_ne!(base, link("aa", 1, 6, "{}"));
    assert_ne!(base, link("aa", 1, 5, "{ }"));
    // Length prefixes: moving bytes between fields changes the hash.
    assert_ne!(link("a", 1, 5, "a{}"), link("aa", 1, 5, "{}"));
    assert_ne!(link("", 0, 0, ""), link("\0", 0, 0, ""));
}

// ------------------------------------------------------------- verifier

#[test]
fn intact_chain_passes() {
    let rows = chain(12);
    let verified = check(&rows, head_of(&rows)).unwrap();
    assert_eq!(verified.records, 12);
    assert_eq!(verified.head_seq, 12);
    assert_eq!(verified.head_hash, rows[11].hash);
}

#[test]
fn empty_chain_passes_without_a_head() {
    let verified = check(&[], None).unwrap();
    assert_eq!(
        verified,
        VerifiedChain {
            records: 0,
            head_seq: 0,
            head_hash: AUDIT_GENESIS.to_owned()
        }
    );
}

#[test]
fn altered_record_is_named() {
    let mut rows = chain(12);
    rows[4].record = rows[4].record.replace("\"deny\"", "\"allow\"");
    rows[4].record = rows[4].record.replace("req-5", "req-X");
    assert_eq!(
        check(&rows, head_of(&rows)),
        Err(problem(
            5,
            "record 5 was altered (its hash does not match its contents)"
        ))
    );
}

#[test]
fn altered_time_is_named() {
    let mut rows = chain(12);
    rows[6].time_ms += 1;
    assert_eq!(check(&rows, head_of(&rows)).unwrap_err().seq, 7);
}

#[test]
fn altered_hash_is_named() {
    let mut rows = chain(12);
    rows[4].hash = link("forged", 5, 0, "");
    assert_eq!(
        check(&rows, None),
        Err(problem(
            5,
            "record 5 was altered (its hash does not match its contents)"
        ))
    );
}

#[test]
fn altered_prev_hash_is_named() {
    let mut rows = chain(12);
    rows[8].prev_hash = rows[2].hash.clone();
    assert_eq!(
        check(&rows, None),
        Err(problem(
            9,
            "record 9 was altered (its hash does not match its contents)"
        ))
    );
}

#[test]
fn rehashed_record_is_caught_at_the_next_link() {
    let mut rows = chain(12);
    rows[4].record = rows[4].record.replace("req-5", "req-X");
    rows[4].hash = link(&rows[4].prev_hash, 5, rows[4].time_ms, &rows[4].record);
    assert_eq!(
        check(&rows, head_of(&rows)),
        Err(problem(
            6,
            "records are out of order at 6 (its prev_hash is not record 5's hash)"
        ))
    );
}

#[test]
fn deleted_middle_row_is_named() {
    let mut rows = chain(12);
    rows.remove(4);
    assert_eq!(
        check(&rows, head_of(&rows)),
        Err(problem(5, "record 5 is missing (4 is followed by 6)"))
    );
}

#[test]
fn several_deleted_rows_are_named() {
    let mut rows = chain(12);
    rows.drain(4..7);
    assert_eq!(
        check(&rows, None),
        Err(problem(
            5,
            "records 5 to 7 are missing (4 is followed by 8)"
        ))
    );
}

#[test]
fn deleted_first_row_is_named() {
    let mut rows = chain(3);
    rows.remove(0);
    assert_eq!(
        check(&rows, None),
        Err(problem(1, "record 1 is missing (the log starts at 2)"))
    );
}

#[test]
fn deleted_tail_rows_are_caught_by_the_head() {
    let rows = chain(12);
    let head = head_of(&rows);
    assert_eq!(
        check(&rows[..10], head.clone()),
        Err(problem(
            11,
            "the last 2 records were deleted (head says 12, log ends at 10)"
        ))
    );
    assert_eq!(
        check(&rows[..11], head.clone()),
        Err(problem(
            12,
            "the last record was deleted (head says 12, log ends at 11)"
        ))
    );
    assert_eq!(
        check(&[], head),
        Err(problem(
            1,
            "the last 12 records were deleted (head says 12, log is empty)"
        ))
    );
}

#[test]
fn swapped_rows_are_out_of_order() {
    let mut rows = chain(12);
    // Swap the seq of rows 5 and 6, as an UPDATE in the database would.
    rows.swap(4, 5);
    rows[4].seq = 5;
    rows[5].seq = 6;
    assert_eq!(
        check(&rows, head_of(&rows)),
        Err(problem(
            5,
            "records are out of order at 5 (it holds the record written as 6)"
        ))
    );
}

#[test]
fn swapped_and_rehashed_rows_are_out_of_order() {
    let mut rows = chain(12);
    rows.swap(6, 7);
    for (i, seq) in [(6, 7), (7, 8)] {
        let row = &mut rows[i];
        row.seq = seq;
        row.hash = link(&row.prev_hash, seq, row.time_ms, &row.record);
    }
    assert_eq!(
        check(&rows, head_of(&rows)),
        Err(problem(
            7,
            "records are out of order at 7 (its prev_hash is not record 6's hash)"
        ))
    );
}

#[test]
fn forged_suffix_after_a_deletion_is_caught_by_a_stale_head() {
    let original = chain(12);
    let head = head_of(&original);
    let mut forged = original.clone();
    forged.remove(4);
    let forged = relink(forged);
    // The forged chain is self-consistent...
    assert!(check(&forged, head_of(&forged)).is_ok());
    // ...but the head table still names 12.
    assert_eq!(
        check(&forged, head.clone()),
        Err(problem(
            12,
            "the last record was deleted (head says 12, log ends at 11)"
        ))
    );
    // Padding the log back to 12 records does not match the head's hash.
    let mut padded = forged;
    padded.push(original[11].clone());
    let padded = relink(padded);
    assert_eq!(
        check(&padded, head),
        Err(problem(
            12,
            "record 12 is not the one the head table names (the log was rewritten)"
        ))
    );
}

#[test]
fn head_inconsistencies_are_named() {
    let rows = chain(5);
    assert_eq!(
        check(&rows, None),
        Err(problem(
            1,
            "the head table is empty but the log holds 5 records"
        ))
    );
    assert_eq!(
        check(&rows, Some((3, rows[2].hash.clone()))),
        Err(problem(
            4,
            "record 4 is not in the head table (head says 3, log ends at 5)"
        ))
    );
}

#[test]
fn wrong_genesis_is_out_of_order() {
    let mut rows = chain(3);
    rows[0].prev_hash = "ff".repeat(32);
    rows[0].hash = link(&rows[0].prev_hash, 1, rows[0].time_ms, &rows[0].record);
    assert_eq!(
        check(&rows[..1], None),
        Err(problem(
            1,
            "records are out of order at 1 (its prev_hash is not the genesis hash)"
        ))
    );
}

// ----------------------------------------------------------- chain store

/// The real in-memory SQLite store behind [`AuditRows`], wrapped so that a
/// test can count reads, make them fail, append while a verify runs, and
/// tamper with rows as someone editing the database by hand would: hide a
/// row (deleted) or change its record (edited). Every row it serves was
/// written by the store's own append.
struct ChainStore {
    sqlite: SqliteStore,
    /// Seqs deleted by hand: reads skip them, the head table still counts them.
    hidden: Mutex<BTreeSet<i64>>,
    /// Records edited by hand, by seq.
    edited: Mutex<BTreeMap<i64, String>>,
    /// Appended when the head is first read: a server writing meanwhile.
    appended_during_verify: Mutex<Vec<(i64, String)>>,
    read_calls: Mutex<usize>,
    /// Every read fails, as with a database restarting.
    unavailable: Mutex<bool>,
}

impl ChainStore {
    fn empty() -> ChainStore {
        ChainStore {
            sqlite: SqliteStore::open_in_memory().unwrap(),
            hidden: Mutex::default(),
            edited: Mutex::default(),
            appended_during_verify: Mutex::default(),
            read_calls: Mutex::default(),
            unavailable: Mutex::default(),
        }
    }

    /// A store holding `rows`, a correctly linked chain from seq 1 (as
    /// [`chain`] and [`relink`] build), written through the store's append.
    async fn with(rows: Vec<AuditRow>) -> ChainStore {
        let store = ChainStore::empty();
        let records: Vec<(i64, String)> =
            rows.iter().map(|r| (r.time_ms, r.record.clone())).collect();
        let written = store.sqlite.append_audit(&records, link).await.unwrap();
        assert_eq!(written, rows, "the store links rows as the helpers do");
        store
    }

    /// Deletes rows by hand (the head table keeps counting them).
    fn hide(&self, seqs: impl IntoIterator<Item = i64>) {
        self.hidden.lock().unwrap().extend(seqs);
    }

    /// Every row as the store holds it, before any tampering.
    async fn rows(&self) -> Vec<AuditRow> {
        self.sqlite.read_audit(0, usize::MAX).await.unwrap()
    }
}

#[async_trait]
impl AuditRows for ChainStore {
    async fn append_audit(
        &self,
        records: &[(i64, String)],
        link: AuditLink,
    ) -> Result<Vec<AuditRow>, StoreError> {
        self.sqlite.append_audit(records, link).await
    }

    async fn read_audit(&self, after_seq: i64, limit: usize) -> Result<Vec<AuditRow>, StoreError> {
        *self.read_calls.lock().unwrap() += 1;
        if *self.unavailable.lock().unwrap() {
            return Err(StoreError::Unavailable("restarting".into()));
        }
        // Read past hidden rows, so that a page is as full as a store
        // without those rows would fill it.
        let mut out = Vec::new();
        let mut after = after_seq;
        loop {
            let page = self.sqlite.read_audit(after, limit).await?;
            let exhausted = page.len() < limit;
            if let Some(last) = page.last() {
                after = last.seq;
            }
            let hidden = self.hidden.lock().unwrap().clone();
            let edited = self.edited.lock().unwrap().clone();
            out.extend(
                page.into_iter()
                    .filter(|r| !hidden.contains(&r.seq))
                    .map(|mut r| {
                        if let Some(record) = edited.get(&r.seq) {
                            r.record = record.clone();
                        }
                        r
                    }),
            );
            if exhausted || out.len() >= limit {
                break;
            }
        }
        out.truncate(limit);
        Ok(out)
    }

    async fn audit_head(&self) -> Result<Option<(i64, String)>, StoreError> {
        let pending = std::mem::take(&mut *self.appended_during_verify.lock().unwrap());
        if !pending.is_empty() {
            self.sqlite.append_audit(&pending, link).await?;
        }
        self.sqlite.audit_head().await
    }
}

// ---------------------------------------------------------------- verify

#[tokio::test]
async fn verify_walks_pages_and_passes_an_intact_log() {
    let rows = chain(2_500);
    let head_hash = rows[2_499].hash.clone();
    let store = ChainStore::with(rows).await;
    let verified = verify(&store).await.unwrap().unwrap();
    assert_eq!(verified.records, 2_500);
    assert_eq!(verified.head_seq, 2_500);
    assert_eq!(verified.head_hash, head_hash);
    // Three full-or-partial pages plus the empty read at the end.
    assert_eq!(*store.read_calls.lock().unwrap(), 4);
}

#[tokio::test]
async fn verify_passes_an_empty_log() {
    let store = ChainStore::empty();
    let verified = verify(&store).await.unwrap().unwrap();
    assert_eq!(verified.records, 0);
    assert_eq!(verified.head_hash, AUDIT_GENESIS);
}

#[tokio::test]
async fn verify_reads_records_appended_while_it_runs() {
    let store = ChainStore::with(chain(10)).await;
    *store.appended_during_verify.lock().unwrap() =
        vec![(11_000, record(11).to_json().unwrap()); 3];
    let verified = verify(&store).await.unwrap().unwrap();
    assert_eq!(verified.records, 13);
    assert_eq!(verified.head_seq, 13);
}

#[tokio::test]
async fn verify_names_tampering_in_the_store() {
    let store = ChainStore::with(chain(1_500)).await;
    store.hide([1_201]);
    assert_eq!(
        verify(&store).await.unwrap(),
        Err(problem(
            1_201,
            "record 1201 is missing (1200 is followed by 1202)"
        ))
    );

    let store = ChainStore::with(chain(30)).await;
    store.hide([30]);
    assert_eq!(verify(&store).await.unwrap().unwrap_err().seq, 30);
}

#[tokio::test]
async fn store_errors_come_through() {
    let store = ChainStore::with(chain(3)).await;
    *store.unavailable.lock().unwrap() = true;
    assert!(matches!(
        verify(&store).await,
        Err(StoreError::Unavailable(_))
    ));
    assert!(matches!(
        query(&store, &q()).await,
        Err(StoreError::Unavailable(_))
    ));
}

// ----------------------------------------------------------------- query

fn seqs(values: &[serde_json::Value]) -> Vec<i64> {
    values.iter().map(|v| v["seq"].as_i64().unwrap()).collect()
}

fn q() -> AuditQuery {
    AuditQuery {
        limit: 1000,
        ..AuditQuery::default()
    }
}

#[tokio::test]
async fn query_returns_the_documented_objects() {
    let store = ChainStore::with(chain(3)).await;
    let (records, next) = query(&store, &q()).await.unwrap();
    assert_eq!(next, None);
    assert_eq!(seqs(&records), vec![1, 2, 3]);
    let rows = store.rows().await;
    assert_eq!(records[1]["hash"], rows[1].hash.as_str());
    assert_eq!(records[1]["prevHash"], rows[0].hash.as_str());
    assert_eq!(records[1]["requestId"], "req-2");
    assert_eq!(records[1]["time"], "1970-01-01T00:00:02.000Z");
}

#[tokio::test]
async fn query_filters_by_principal_action_and_decision() {
    let store = ChainStore::with(chain(12)).await;
    let run = |query_: AuditQuery| {
        let store = &store;
        async move { seqs(&query(store, &query_).await.unwrap().0) }
    };
    assert_eq!(
        run(AuditQuery {
            principal: Some("alice".into()),
            ..q()
        })
        .await,
        vec![2, 4, 6, 8, 10, 12]
    );
    assert_eq!(
        run(AuditQuery {
            principal: Some(BOB.into()),
            ..q()
        })
        .await,
        vec![1, 3, 5, 7, 9, 11]
    );
    assert_eq!(
        run(AuditQuery {
            principal: Some("carol".into()),
            ..q()
        })
        .await,
        Vec::<i64>::new()
    );
    assert_eq!(
        run(AuditQuery {
            action: Some("SSM:putparameter".into()),
            ..q()
        })
        .await,
        vec![1, 3, 5, 7, 9, 11]
    );
    assert_eq!(
        run(AuditQuery {
            action: Some("ssm:*".into()),
            ..q()
        })
        .await
        .len(),
        12
    );
    assert_eq!(
        run(AuditQuery {
            action: Some("kms:*".into()),
            ..q()
        })
        .await,
        Vec::<i64>::new()
    );
    assert_eq!(
        run(AuditQuery {
            decision: Some(Verdict::Deny),
            ..q()
        })
        .await,
        vec![3, 6, 9, 12]
    );
    assert_eq!(
        run(AuditQuery {
            principal: Some("alice".into()),
            decision: Some(Verdict::Deny),
            action: Some("ssm:GetParameter".into()),
            ..q()
        })
        .await,
        vec![6, 12]
    );
}

#[tokio::test]
async fn query_matches_checked_actions_not_only_the_operation() {
    let mut r = record(1);
    r.resources.push(ResourceDecision {
        action: "kms:Decrypt".into(),
        resource: "arn:aws:kms:us-east-1:123456789012:key/k".into(),
        decision: Verdict::Deny,
        statement: Some("ops#NoDecrypt".into()),
        reason: None,
    });
    let store = ChainStore::empty();
    store
        .append_audit(&[(1, r.to_json().unwrap())], link)
        .await
        .unwrap();
    let found = query(
        &store,
        &AuditQuery {
            action: Some("kms:Decrypt".into()),
            ..q()
        },
    )
    .await
    .unwrap()
    .0;
    assert_eq!(seqs(&found), vec![1]);
}

#[tokio::test]
async fn query_filters_by_time() {
    let store = ChainStore::with(chain(12)).await;
    let (found, _) = query(
        &store,
        &AuditQuery {
            since_ms: Some(4_000),
            until_ms: Some(8_000),
            ..q()
        },
    )
    .await
    .unwrap();
    assert_eq!(seqs(&found), vec![4, 5, 6, 7]);
}

#[tokio::test]
async fn query_pages_through_next_seq() {
    let store = ChainStore::with(chain(2_345)).await;
    let mut all = Vec::new();
    let mut after = None;
    let mut calls = 0;
    loop {
        let (found, next) = query(
            &store,
            &AuditQuery {
                after_seq: after,
                limit: 400,
                decision: Some(Verdict::Deny),
                ..AuditQuery::default()
            },
        )
        .await
        .unwrap();
        calls += 1;
        assert!(found.len() <= 400);
        all.extend(seqs(&found));
        match next {
            Some(n) => after = Some(n),
            None => break,
        }
    }
    let expected: Vec<i64> = (1..=2_345).filter(|i| i % 3 == 0).collect();
    assert_eq!(all, expected);
    assert_eq!(calls, expected.len().div_ceil(400));
}

#[tokio::test]
async fn query_next_seq_only_when_more_may_match() {
    let store = ChainStore::with(chain(10)).await;
    let page = |after, limit| AuditQuery {
        after_seq: after,
        limit,
        ..AuditQuery::default()
    };
    let (found, next) = query(&store, &page(None, 4)).await.unwrap();
    assert_eq!((seqs(&found), next), (vec![1, 2, 3, 4], Some(4)));
    let (found, next) = query(&store, &page(Some(4), 6)).await.unwrap();
    assert_eq!((seqs(&found), next), (vec![5, 6, 7, 8, 9, 10], None));
    let (found, next) = query(&store, &page(Some(10), 6)).await.unwrap();
    assert_eq!((found.len(), next), (0, None));
    // Limit 0 means the default; an oversized one is cut to the maximum.
    let (found, _) = query(&store, &page(None, 0)).await.unwrap();
    assert_eq!(found.len(), 10);
    let store = ChainStore::with(chain(1_200)).await;
    let (found, next) = query(&store, &page(None, 5_000)).await.unwrap();
    assert_eq!((found.len(), next), (MAX_LIMIT, Some(1_000)));
}

#[tokio::test]
async fn query_stops_scanning_at_the_cap_with_a_next_seq() {
    // Tiny rows: only the count matters here.
    let rows = (1..=MAX_SCAN as i64 + 10)
        .map(|seq| AuditRow {
            seq,
            time_ms: seq,
            record: "{}".into(),
            prev_hash: String::new(),
            hash: String::new(),
        })
        .collect();
    let store = ChainStore::with(relink(rows)).await;
    let (found, next) = query(
        &store,
        &AuditQuery {
            since_ms: Some(i64::MAX),
            ..q()
        },
    )
    .await
    .unwrap();
    assert!(found.is_empty());
    assert_eq!(next, Some(MAX_SCAN as i64));
    let (found, next) = query(
        &store,
        &AuditQuery {
            since_ms: Some(i64::MAX),
            after_seq: next,
            ..q()
        },
    )
    .await
    .unwrap();
    assert!(found.is_empty());
    assert_eq!(next, None);
}

#[tokio::test]
async fn tail_returns_the_last_matches_in_order() {
    let store = ChainStore::with(chain(3_000)).await;
    let tail = |n, decision, after| AuditQuery {
        tail: Some(n),
        decision,
        after_seq: after,
        ..q()
    };
    let (found, next) = query(&store, &tail(3, None, None)).await.unwrap();
    assert_eq!((seqs(&found), next), (vec![2_998, 2_999, 3_000], None));
    // Across several windows of rows.
    let (found, _) = query(&store, &tail(700, Some(Verdict::Deny), None))
        .await
        .unwrap();
    let expected: Vec<i64> = (1..=3_000).filter(|i| i % 3 == 0).skip(300).collect();
    assert_eq!(seqs(&found), expected);
    // Never before after_seq, and fewer when fewer match.
    let (found, _) = query(&store, &tail(50, None, Some(2_990))).await.unwrap();
    assert_eq!(seqs(&found), (2_991..=3_000).collect::<Vec<_>>());
    let (found, _) = query(&store, &tail(5, None, Some(3_000))).await.unwrap();
    assert!(found.is_empty());
}

#[tokio::test]
async fn tail_of_an_empty_log_is_empty() {
    let store = ChainStore::empty();
    let (found, next) = query(
        &store,
        &AuditQuery {
            tail: Some(10),
            ..q()
        },
    )
    .await
    .unwrap();
    assert!(found.is_empty());
    assert_eq!(next, None);
}

#[tokio::test]
async fn tail_skips_rows_past_a_gap() {
    let store = ChainStore::with(chain(1_500)).await;
    store.hide(101..=400);
    let (found, _) = query(
        &store,
        &AuditQuery {
            tail: Some(1_000),
            ..q()
        },
    )
    .await
    .unwrap();
    let got = seqs(&found);
    let expected: Vec<i64> = (1..=100).chain(401..=1_500).skip(200).collect();
    assert_eq!(got, expected);
}

#[tokio::test]
async fn hand_edited_rows_are_shown_but_match_no_filter() {
    let store = ChainStore::with(chain(3)).await;
    store.edited.lock().unwrap().insert(2, "garbage".into());
    let (found, _) = query(&store, &q()).await.unwrap();
    assert_eq!(found[1]["record"], "garbage");
    let (found, _) = query(
        &store,
        &AuditQuery {
            principal: Some("user/".into()),
            ..q()
        },
    )
    .await
    .unwrap();
    assert_eq!(seqs(&found), vec![1, 3]);
}

// ---------------------------------------------------------------- row_json

#[test]
fn row_json_adds_the_chain_fields() {
    let row = AuditRow {
        seq: 7,
        time_ms: 1,
        record: record(2).to_json().unwrap(),
        prev_hash: "aa".into(),
        hash: "bb".into(),
    };
    let value = row_json(&row);
    assert_eq!(value["seq"], 7);
    assert_eq!(value["prevHash"], "aa");
    assert_eq!(value["hash"], "bb");
    assert_eq!(value["operation"], "ssm:GetParameter");

    let broken = AuditRow {
        record: "not json".into(),
        ..row
    };
    let value = row_json(&broken);
    assert_eq!(value["record"], "not json");
    assert_eq!(value["seq"], 7);
}
