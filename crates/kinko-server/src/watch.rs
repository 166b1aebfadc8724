//! The watch API: `GET /changes?after=SEQ[&wait=SECONDS][&limit=N]`, a
//! SigV4-signed long poll over the change feed (signing name `kinko`, like
//! the admin API), for `kinko agent` and any cache that must drop a value
//! the moment it changes.
//!
//! A caller sees only the records of resources it may describe or read:
//! a parameter when it may `ssm:DescribeParameters` or `ssm:GetParameter`
//! it, a secret when `secretsmanager:DescribeSecret` or `GetSecretValue`, a
//! KMS key when `kms:DescribeKey`, a principal or identity provider when
//! `kinko:GetPrincipal` / `kinko:GetOpenIDConnectProvider`. No extra
//! permission is needed to watch: what a caller may not see, it is not
//! shown, so a key limited to `/app/*` never learns a `/prod/*` name.
//!
//! The answer's `NextSequence` is the last record *scanned*, filtered or
//! not, so a caller resumes after it without rescanning what it may not
//! see. A caller whose `after` is behind the feed's retention (or ahead of
//! its head: another store, a restore) gets `ResyncRequiredException`
//! (HTTP 410) and must re-read what it caches, then resume from the
//! `Head` the error's message names.

use std::sync::Arc;
use std::time::Duration;

use kinko_aws::AwsError;
use kinko_core::iam::{Access, Check};
use kinko_store::{ChangeRecord, ChangeRows, ChangeSource};
use tokio::sync::watch;

/// How long a request waits for a change when it names no `wait`.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(20);
/// The longest wait a request may ask for (below common proxies' idle timeouts).
pub const MAX_WAIT_SECONDS: u64 = 60;
/// Records per answer unless `limit` says fewer.
pub const DEFAULT_LIMIT: usize = 100;
pub const MAX_LIMIT: usize = 1000;
/// How often the head follower reads the feed's head: one cheap query per
/// server however many callers wait, and it also sees other servers'
/// writes on a shared PostgreSQL.
pub const HEAD_POLL: Duration = Duration::from_millis(100);

/// The feed's latest sequence number as this server last read it; waiters
/// wake when it moves.
#[derive(Clone)]
pub struct Feed {
    rows: Arc<dyn ChangeRows>,
    head: watch::Receiver<i64>,
}

impl Feed {
    /// Starts following the head of `rows` (stops with the runtime).
    pub fn follow(rows: Arc<dyn ChangeRows>, every: Duration) -> Feed {
        let (tx, rx) = watch::channel(0);
        let follower = rows.clone();
        tokio::spawn(async move {
            let mut failing = false;
            loop {
                match follower.change_bounds().await {
                    Ok(bounds) => {
                        failing = false;
                        tx.send_if_modified(|head| {
                            let moved = *head != bounds.head;
                            *head = bounds.head;
                            moved
                        });
                    }
                    Err(e) if !failing => {
                        failing = true;
                        tracing::warn!(error = %e, "cannot read the change feed's head");
                    }
                    Err(_) => {}
                }
                if tx.is_closed() {
                    return;
                }
                tokio::time::sleep(every).await;
            }
        });
        Feed { rows, head: rx }
    }

    /// Waits until the head passes `seq` or `wait` is over.
    async fn wait_past(&self, seq: i64, wait: Duration) {
        let mut head = self.head.clone();
        let _ = tokio::time::timeout(wait, head.wait_for(|h| *h > seq)).await;
    }

    pub fn rows(&self) -> &Arc<dyn ChangeRows> {
        &self.rows
    }
}

/// What a watch request asks for, parsed from its query string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchQuery {
    pub after: i64,
    pub wait: Duration,
    pub limit: usize,
}

impl WatchQuery {
    pub fn parse(query: &str) -> Result<WatchQuery, AwsError> {
        let mut out = WatchQuery {
            after: 0,
            wait: DEFAULT_WAIT,
            limit: DEFAULT_LIMIT,
        };
        let mut after = None;
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let number = |name: &str| -> Result<u64, AwsError> {
                value.parse::<u64>().map_err(|_| {
                    AwsError::validation(format!(
                        "{name} must be a non-negative integer; got {:?}.",
                        kinko_aws::error::echo(value)
                    ))
                })
            };
            match key {
                "after" => {
                    let n = number("after")?;
                    after = Some(
                        i64::try_from(n)
                            .map_err(|_| AwsError::validation("after is too large.".to_owned()))?,
                    );
                }
                "wait" => {
                    let seconds = number("wait")?;
                    if seconds > MAX_WAIT_SECONDS {
                        return Err(AwsError::validation(format!(
                            "wait must be at most {MAX_WAIT_SECONDS} seconds."
                        )));
                    }
                    out.wait = Duration::from_secs(seconds);
                }
                "limit" => {
                    let n = usize::try_from(number("limit")?).unwrap_or(usize::MAX);
                    if !(1..=MAX_LIMIT).contains(&n) {
                        return Err(AwsError::validation(format!(
                            "limit must be between 1 and {MAX_LIMIT}."
                        )));
                    }
                    out.limit = n;
                }
                // SigV4 query-string signing parameters ride along.
                k if k.starts_with("X-Amz-") => {}
                other => {
                    return Err(AwsError::validation(format!(
                        "Unknown parameter {:?}: the watch API takes after, wait and limit.",
                        kinko_aws::error::echo(other)
                    )));
                }
            }
        }
        out.after = after.ok_or_else(|| {
            AwsError::validation(
                "after is required: the sequence number of the last change seen (0 for the start)."
                    .to_owned(),
            )
        })?;
        Ok(out)
    }
}

/// Answers one watch request for `access`.
pub async fn changes(feed: &Feed, access: &Access, query: &str) -> Result<Vec<u8>, AwsError> {
    let query = WatchQuery::parse(query)?;
    let deadline = tokio::time::Instant::now() + query.wait;
    let mut after = query.after;
    loop {
        let bounds = feed.rows.change_bounds().await.map_err(store_error)?;
        // Checked on every round: a trim may pass a slow long poll by.
        if !bounds.can_resume_from(after) {
            return Err(resync(after, bounds.trimmed_through, bounds.head));
        }
        let records = feed
            .rows
            .read_changes(after, query.limit)
            .await
            .map_err(store_error)?;
        if let Some(last) = records.last() {
            after = last.seq;
        }
        let visible: Vec<&ChangeRecord> = records.iter().filter(|r| may_see(access, r)).collect();
        let now = tokio::time::Instant::now();
        if !visible.is_empty() || records.len() == query.limit || now >= deadline {
            return Ok(render(&visible, after, bounds.head.max(after)));
        }
        if records.is_empty() {
            let left = deadline - now;
            if bounds.head > after {
                // The head is past records that are not readable yet (or
                // not any more): poll rather than spin on a head that has
                // already moved.
                tokio::time::sleep(left.min(HEAD_POLL)).await;
            } else {
                feed.wait_past(after, left).await;
            }
        }
    }
}

/// Whether the caller may describe or read the record's resource.
pub fn may_see(access: &Access, record: &ChangeRecord) -> bool {
    let actions: &[&str] = match record.change.source {
        ChangeSource::Ssm => &["ssm:DescribeParameters", "ssm:GetParameter"],
        ChangeSource::SecretsManager => &[
            "secretsmanager:DescribeSecret",
            "secretsmanager:GetSecretValue",
        ],
        ChangeSource::Kms => &["kms:DescribeKey"],
        ChangeSource::Iam if record.change.resource.contains(":oidc-provider/") => {
            &["kinko:GetOpenIDConnectProvider"]
        }
        ChangeSource::Iam => &["kinko:GetPrincipal"],
    };
    actions
        .iter()
        .any(|action| access.permits(&Check::new(action, &record.change.resource)))
}

fn render(records: &[&ChangeRecord], next: i64, head: i64) -> Vec<u8> {
    let changes: Vec<serde_json::Value> = records
        .iter()
        .map(|r| {
            let c = &r.change;
            let time = jiff::Timestamp::from_millisecond(c.time_ms)
                .map(|t| t.to_string())
                .unwrap_or_default();
            serde_json::json!({
                "Sequence": r.seq,
                "Time": time,
                "Source": c.source.as_str(),
                "Operation": c.operation,
                "Region": c.region,
                "Account": c.account,
                "Resource": c.resource,
                "Name": c.name,
                "Version": c.version,
                "Actor": c.actor,
                "Detail": c.detail,
            })
        })
        .collect();
    serde_json::json!({"Changes": changes, "NextSequence": next, "Head": head})
        .to_string()
        .into_bytes()
}

fn resync(after: i64, trimmed_through: i64, head: i64) -> AwsError {
    let why = if after > head {
        format!(
            "Sequence {after} is ahead of this feed's head {head} (a different or restored store)."
        )
    } else {
        format!("Changes after {after} up to {trimmed_through} are past the feed's retention.")
    };
    AwsError::new(
        "ResyncRequiredException",
        format!("{why} Read the current state again and resume from Head {head}."),
    )
    .with_status(410)
}

fn store_error(e: kinko_store::StoreError) -> AwsError {
    tracing::warn!(error = %e, "watch: the change feed could not be read");
    AwsError::unavailable()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_needs_after_and_bounds_wait_and_limit() {
        let q = WatchQuery::parse("after=5&wait=3&limit=10").unwrap();
        assert_eq!(
            q,
            WatchQuery {
                after: 5,
                wait: Duration::from_secs(3),
                limit: 10
            }
        );
        assert_eq!(WatchQuery::parse("after=0").unwrap().wait, DEFAULT_WAIT);
        for bad in [
            "",
            "wait=3",
            "after=-1",
            "after=x",
            "after=1&wait=61",
            "after=1&limit=0",
            "after=1&limit=1001",
            "after=1&since=2",
        ] {
            let error = WatchQuery::parse(bad).unwrap_err();
            assert_eq!(error.code, "ValidationException", "{bad}");
        }
        assert!(WatchQuery::parse("after=1&X-Amz-Date=20260101T000000Z").is_ok());
    }

    #[test]
    fn resync_says_why_and_where_to_resume() {
        let behind = resync(3, 10, 20);
        assert_eq!(behind.status, 410);
        assert!(behind.message.contains("retention"), "{}", behind.message);
        assert!(behind.message.contains("Head 20"));
        let ahead = resync(30, 0, 20);
        assert!(ahead.message.contains("ahead"), "{}", ahead.message);
    }
}
