//! The hash chain over the audit log and its verifier.
//!
//! Each row's hash covers the previous row's hash, its own sequence number,
//! time and record text, so editing, deleting or reordering any row breaks
//! the chain from that row on; the head table (the last seq and hash, moved
//! in the same transaction as every append) catches deleted tail rows.
//!
//! The chain is not keyed: whoever can write the database and knows this
//! code can re-link a forged suffix. What the head table then still shows
//! (a stale head) is caught; a forger who also rewrites the head is not. Ship
//! the log to a sink the database's writers cannot touch to close that gap.

use aws_lc_rs::digest;
use kinko_store::{AUDIT_GENESIS, AuditRow, AuditRows, StoreError};

/// Rows read per store call while verifying.
const PAGE: usize = 1000;

/// How far from its position a row is looked for when its hash only fits
/// another seq (a moved row), to say "out of order" rather than "altered".
const MOVED_WINDOW: i64 = 1024;

/// Domain separation, so the chain's hashes are never valid elsewhere.
const DOMAIN: &[u8] = b"kinko-audit-v1\0";

/// The chain's hash: SHA-256 over an unambiguous encoding of `(prev_hash,
/// seq, time_ms, record)` (fixed-width integers, length-prefixed strings),
/// as lowercase hex. Matches [`kinko_store::AuditLink`].
pub fn link(prev_hash: &str, seq: i64, time_ms: i64, record: &str) -> String {
    let mut ctx = digest::Context::new(&digest::SHA256);
    ctx.update(DOMAIN);
    ctx.update(&(prev_hash.len() as u64).to_be_bytes());
    ctx.update(prev_hash.as_bytes());
    ctx.update(&seq.to_be_bytes());
    ctx.update(&time_ms.to_be_bytes());
    ctx.update(&(record.len() as u64).to_be_bytes());
    ctx.update(record.as_bytes());
    to_hex(ctx.finish().as_ref())
}

fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

/// The first place the chain is broken: the seq an operator should look at
/// and what is wrong there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub seq: i64,
    pub reason: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason)
    }
}

/// An intact chain: how many records, and its head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedChain {
    pub records: u64,
    /// 0 for an empty log.
    pub head_seq: i64,
    /// [`AUDIT_GENESIS`] for an empty log.
    pub head_hash: String,
}

/// Checks rows pushed in seq order: seq runs 1, 2, 3… without gaps, each
/// row's `prev_hash` is the previous row's hash, and each hash matches its
/// row's contents. Stop at the first [`Problem`]: later rows are not judged.
#[derive(Debug)]
pub struct ChainVerifier {
    records: u64,
    last_seq: i64,
    last_hash: String,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        Self::new()
    }
}

impl ChainVerifier {
    pub fn new() -> Self {
        ChainVerifier {
            records: 0,
            last_seq: 0,
            last_hash: AUDIT_GENESIS.to_owned(),
        }
    }

    /// The seq of the last row accepted (0 before any).
    pub fn last_seq(&self) -> i64 {
        self.last_seq
    }

    pub fn push(&mut self, row: &AuditRow) -> Result<(), Problem> {
        let expected = self.last_seq + 1;
        if row.seq > expected {
            let reason = if self.last_seq == 0 {
                format!("record 1 is missing (the log starts at {})", row.seq)
            } else if row.seq == expected + 1 {
                format!(
                    "record {expected} is missing ({} is followed by {})",
                    self.last_seq, row.seq
                )
            } else {
                format!(
                    "records {expected} to {} are missing ({} is followed by {})",
                    row.seq - 1,
                    self.last_seq,
                    row.seq
                )
            };
            return Err(Problem {
                seq: expected,
                reason,
            });
        }
        if row.seq < expected {
            return Err(Problem {
                seq: row.seq,
                reason: format!(
                    "records are out of order at {} (it follows record {})",
                    row.seq, self.last_seq
                ),
            });
        }
        let linked = row.prev_hash == self.last_hash;
        let consistent = link(&row.prev_hash, row.seq, row.time_ms, &row.record) == row.hash;
        if consistent && !linked {
            return Err(Problem {
                seq: row.seq,
                reason: format!(
                    "records are out of order at {} (its prev_hash is not {})",
                    row.seq,
                    self.predecessor()
                ),
            });
        }
        if !consistent {
            let moved = if linked { None } else { written_as(row) };
            let reason = match moved {
                Some(written) => format!(
                    "records are out of order at {} (it holds the record written as {written})",
                    row.seq
                ),
                None => format!(
                    "record {} was altered (its hash does not match its contents)",
                    row.seq
                ),
            };
            return Err(Problem {
                seq: row.seq,
                reason,
            });
        }
        self.records += 1;
        self.last_seq = row.seq;
        self.last_hash.clone_from(&row.hash);
        Ok(())
    }

    /// Compares the end of the chain with the head table's `(seq, hash)`.
    pub fn finish(self, head: Option<(i64, String)>) -> Result<VerifiedChain, Problem> {
        let last = self.last_seq;
        match head {
            None if last == 0 => {}
            None => {
                return Err(Problem {
                    seq: 1,
                    reason: format!(
                        "the head table is empty but the log holds {} records",
                        self.records
                    ),
                });
            }
            Some((seq, _)) if seq > last => {
                let missing = seq - last;
                let what = if missing == 1 {
                    "the last record was deleted".to_owned()
                } else {
                    format!("the last {missing} records were deleted")
                };
                let ends = if last == 0 {
                    "log is empty".to_owned()
                } else {
                    format!("log ends at {last}")
                };
                return Err(Problem {
                    seq: last + 1,
                    reason: format!("{what} (head says {seq}, {ends})"),
                });
            }
            Some((seq, _)) if seq < last => {
                return Err(Problem {
                    seq: seq + 1,
                    reason: format!(
                        "record {} is not in the head table (head says {seq}, log ends at {last})",
                        seq + 1
                    ),
                });
            }
            Some((_, hash)) if hash != self.last_hash => {
                return Err(Problem {
                    seq: last,
                    reason: format!(
                        "record {last} is not the one the head table names (the log was rewritten)"
                    ),
                });
            }
            Some(_) => {}
        }
        Ok(VerifiedChain {
            records: self.records,
            head_seq: last,
            head_hash: self.last_hash,
        })
    }

    fn predecessor(&self) -> String {
        if self.last_seq == 0 {
            "the genesis hash".to_owned()
        } else {
            format!("record {}'s hash", self.last_seq)
        }
    }
}

/// The seq a row's hash was computed for, when that is not its own seq but
/// one nearby: the row is intact, only moved.
fn written_as(row: &AuditRow) -> Option<i64> {
    (1..=MOVED_WINDOW)
        .flat_map(|d| [row.seq + d, row.seq - d])
        .filter(|seq| *seq >= 1)
        .find(|seq| link(&row.prev_hash, *seq, row.time_ms, &row.record) == row.hash)
}

/// Walks the whole log in pages and checks it against the head table.
///
/// The head is read after the rows; if it is ahead of them (records were
/// appended meanwhile), the new rows are read too, so a live server does not
/// make an intact log look truncated.
pub async fn verify(store: &dyn AuditRows) -> Result<Result<VerifiedChain, Problem>, StoreError> {
    let mut verifier = ChainVerifier::new();
    loop {
        let rows = store.read_audit(verifier.last_seq(), PAGE).await?;
        if rows.is_empty() {
            let head = store.audit_head().await?;
            let ahead = matches!(&head, Some((seq, _)) if *seq > verifier.last_seq());
            if ahead {
                // Appended since the last page? Read once more before judging.
                let more = store.read_audit(verifier.last_seq(), PAGE).await?;
                if !more.is_empty() {
                    if let Err(problem) = push_all(&mut verifier, &more) {
                        return Ok(Err(problem));
                    }
                    continue;
                }
            }
            return Ok(verifier.finish(head));
        }
        if let Err(problem) = push_all(&mut verifier, &rows) {
            return Ok(Err(problem));
        }
    }
}

/// The chain's head as the head table records it: `(seq, hash)`, or
/// `(0, genesis)` when nothing was appended. What `VerifyAuditLog` shows
/// beside a problem.
pub async fn head(store: &dyn AuditRows) -> Result<(i64, String), StoreError> {
    Ok(store
        .audit_head()
        .await?
        .unwrap_or((0, AUDIT_GENESIS.to_owned())))
}

fn push_all(verifier: &mut ChainVerifier, rows: &[AuditRow]) -> Result<(), Problem> {
    rows.iter().try_for_each(|row| verifier.push(row))
}
