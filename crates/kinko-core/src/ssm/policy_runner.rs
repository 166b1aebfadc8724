//! Running parameter policies: the periodic scan AWS describes as
//! "asynchronous, periodic scans". Each due policy becomes one action with a
//! key the store records once (see [`kinko_store::PolicyActionRows`]), so a
//! notification fires once however many servers scan, and an `Expiration`
//! deletes the parameter in the transaction that announces it.
//!
//! When each policy is due (times in the parameter's latest version):
//! - `Expiration` at `T`: from `T` on. The parameter is deleted; nothing
//!   else of it runs after.
//! - `ExpirationNotification` `Before N`: in `[T − N, T)` for the
//!   `Expiration` policy's `T`; once per `T` (a new timestamp notifies again).
//! - `NoChangeNotification` `After N`: from `LastModifiedTime + N` on, once
//!   per modification (any write restarts it, as AWS documents).

use std::sync::Arc;

use kinko_model::ssm::parameter_arn;
use kinko_store::{Change, ChangeSource, PolicyActionRows, PolicyCandidate, PolicyEffect};
use serde_json::Value;

use super::policies;
use crate::changes::server_origin;
use crate::clock::Clock;

const PAGE: usize = 500;
const HOUR_MS: i64 = 3_600_000;

/// A policy's `Before`/`After` amount and unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    amount: u32,
    hours: bool,
}

impl Span {
    fn of(policy: &Value, key: &str) -> Option<Span> {
        let attrs = policy.get("Attributes")?;
        let amount = attrs.get(key)?.as_str()?.parse().ok()?;
        let hours = match attrs.get("Unit")?.as_str()? {
            "Hours" => true,
            "Days" => false,
            _ => return None,
        };
        Some(Span { amount, hours })
    }

    fn ms(self) -> i64 {
        i64::from(self.amount) * HOUR_MS * if self.hours { 1 } else { 24 }
    }

    /// `2 hours`, `1 day`: as AWS's action reason words it.
    fn words(self) -> String {
        let unit = if self.hours { "hour" } else { "day" };
        let plural = if self.amount == 1 { "" } else { "s" };
        format!("{} {unit}{plural}", self.amount)
    }

    /// `2Hours`, for the action's key.
    fn key(self) -> String {
        format!(
            "{}{}",
            self.amount,
            if self.hours { "Hours" } else { "Days" }
        )
    }
}

/// One policy that is due now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueAction {
    pub policy_type: &'static str,
    /// The policy object's JSON text (`policy-content`).
    pub policy_text: String,
    /// Once-only key, unique per parameter.
    pub key: String,
    pub reason: String,
    pub expire: bool,
}

fn timestamp_ms(policy: &Value) -> Option<i64> {
    let text = policy.get("Attributes")?.get("Timestamp")?.as_str()?;
    text.parse::<jiff::Timestamp>()
        .ok()
        .map(|t| t.as_millisecond())
}

fn rfc3339_ms(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| format!("{t:.3}"))
        .unwrap_or_default()
}

/// The actions of `candidate`'s policies that are due at `now_ms`, in the
/// order they run. An `Expiration` that is due is the only action.
pub fn due_actions(candidate: &PolicyCandidate, now_ms: i64) -> Vec<DueAction> {
    let Ok(inline) = policies::validate(&candidate.policies) else {
        return Vec::new();
    };
    let parsed: Vec<(String, Value)> = inline
        .into_iter()
        .filter_map(|p| serde_json::from_str(&p.text).ok().map(|v| (p.text, v)))
        .collect();
    let created = rfc3339_ms(candidate.last_modified_ms);
    let basis = format!("This notification was generated based on the policy created at {created}");
    let expires_at = parsed
        .iter()
        .find(|(_, v)| v["Type"] == "Expiration")
        .and_then(|(text, v)| Some((text, timestamp_ms(v)?)));

    if let Some((text, at)) = expires_at
        && now_ms >= at
    {
        return vec![DueAction {
            policy_type: "Expiration",
            policy_text: text.clone(),
            key: format!("Expiration:{at}"),
            reason: format!(
                "The parameter expired at {} and was deleted. {basis}",
                rfc3339_ms(at)
            ),
            expire: true,
        }];
    }

    let mut due = Vec::new();
    for (text, policy) in &parsed {
        match policy["Type"].as_str() {
            Some("ExpirationNotification") => {
                let (Some(span), Some((_, at))) = (Span::of(policy, "Before"), expires_at) else {
                    continue;
                };
                if now_ms >= at.saturating_sub(span.ms()) && now_ms < at {
                    due.push(DueAction {
                        policy_type: "ExpirationNotification",
                        policy_text: text.clone(),
                        key: format!("ExpirationNotification:{}:{at}", span.key()),
                        reason: format!(
                            "The parameter will expire in {} (at {}). {basis}",
                            span.words(),
                            rfc3339_ms(at)
                        ),
                        expire: false,
                    });
                }
            }
            Some("NoChangeNotification") => {
                let Some(span) = Span::of(policy, "After") else {
                    continue;
                };
                if now_ms >= candidate.last_modified_ms.saturating_add(span.ms()) {
                    due.push(DueAction {
                        policy_type: "NoChangeNotification",
                        policy_text: text.clone(),
                        key: format!(
                            "NoChangeNotification:{}:{}",
                            span.key(),
                            candidate.last_modified_ms
                        ),
                        reason: format!(
                            "The parameter has not been changed for {}. {basis}",
                            span.words()
                        ),
                        expire: false,
                    });
                }
            }
            _ => {}
        }
    }
    due
}

/// What one scan did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PolicyRound {
    pub expired: usize,
    pub notified: usize,
}

/// Scans every parameter with policies and runs what is due.
#[derive(Clone)]
pub struct PolicyRunner {
    rows: Arc<dyn PolicyActionRows>,
    clock: Arc<dyn Clock>,
    account: String,
}

impl PolicyRunner {
    pub fn new(rows: Arc<dyn PolicyActionRows>, clock: Arc<dyn Clock>, account: &str) -> Self {
        PolicyRunner {
            rows,
            clock,
            account: account.to_owned(),
        }
    }

    /// One full scan. A store error stops the scan; what ran stays run, and
    /// the next scan takes up the rest.
    pub async fn run_due(&self) -> Result<PolicyRound, kinko_store::StoreError> {
        let mut round = PolicyRound::default();
        let mut after = None;
        loop {
            let page = self.rows.parameters_with_policies(after, PAGE).await?;
            let now_ms = self.clock.now_ms();
            for candidate in &page {
                for action in due_actions(candidate, now_ms) {
                    if self.run(candidate, &action, now_ms).await? {
                        if action.expire {
                            round.expired += 1;
                        } else {
                            round.notified += 1;
                        }
                    }
                }
            }
            match page.last() {
                Some(last) if page.len() == PAGE => {
                    after = Some((last.region.clone(), last.name.clone()));
                }
                _ => return Ok(round),
            }
        }
    }

    async fn run(
        &self,
        candidate: &PolicyCandidate,
        action: &DueAction,
        now_ms: i64,
    ) -> Result<bool, kinko_store::StoreError> {
        let region = &candidate.region;
        let (operation, effect) = if action.expire {
            let expected_latest = candidate.latest_version;
            ("ExpireParameter", PolicyEffect::Expire { expected_latest })
        } else {
            (action.policy_type, PolicyEffect::Notify)
        };
        let change = Change::new(
            &server_origin(&self.account, region, now_ms),
            ChangeSource::Ssm,
            operation,
            parameter_arn(region, &self.account, &candidate.name),
            &candidate.display_name,
        )
        .with_version(candidate.latest_version)
        .with("policyType", action.policy_type)
        .with("policyContent", action.policy_text.as_str())
        .with("actionStatus", "Success")
        .with("actionReason", action.reason.as_str())
        .with("type", candidate.parameter_type.as_str())
        .with("event", action.expire.then_some("Delete"));
        self.rows
            .run_policy_action(region, &candidate.name, &action.key, effect, change)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: &str = "2030-01-10T00:00:00.000Z";

    fn ms(text: &str) -> i64 {
        text.parse::<jiff::Timestamp>().unwrap().as_millisecond()
    }

    fn candidate(policies: &str, modified: &str) -> PolicyCandidate {
        PolicyCandidate {
            region: "us-east-1".into(),
            name: "/app/token".into(),
            display_name: "/app/token".into(),
            latest_version: 3,
            parameter_type: "SecureString".into(),
            policies: policies.into(),
            last_modified_ms: ms(modified),
        }
    }

    fn types(actions: &[DueAction]) -> Vec<&str> {
        actions.iter().map(|a| a.policy_type).collect()
    }

    #[test]
    fn no_change_is_due_after_its_span_from_the_last_write() {
        let c = candidate(
            r#"[{"Type":"NoChangeNotification","Version":"1.0","Attributes":{"After":"2","Unit":"Hours"}}]"#,
            "2030-01-01T00:00:00Z",
        );
        assert!(due_actions(&c, ms("2030-01-01T01:59:59Z")).is_empty());
        let due = due_actions(&c, ms("2030-01-01T02:00:00Z"));
        assert_eq!(types(&due), ["NoChangeNotification"]);
        assert_eq!(
            due[0].reason,
            "The parameter has not been changed for 2 hours. This notification was generated based on the policy created at 2030-01-01T00:00:00.000Z"
        );
        assert!(!due[0].expire);
        // A later write is another key: it notifies again.
        let mut rewritten = c.clone();
        rewritten.last_modified_ms += 1;
        let again = due_actions(&rewritten, ms("2030-01-02T00:00:00Z"));
        assert_ne!(again[0].key, due[0].key);
    }

    #[test]
    fn expiration_notifications_are_due_inside_their_window_only() {
        let c = candidate(
            &format!(
                r#"[{{"Type":"Expiration","Version":"1.0","Attributes":{{"Timestamp":"{T}"}}}},
                   {{"Type":"ExpirationNotification","Version":"1.0","Attributes":{{"Before":"5","Unit":"Days"}}}},
                   {{"Type":"ExpirationNotification","Version":"1.0","Attributes":{{"Before":"1","Unit":"Days"}}}}]"#
            ),
            "2030-01-01T00:00:00Z",
        );
        assert!(due_actions(&c, ms("2030-01-04T23:59:59Z")).is_empty());
        let five = due_actions(&c, ms("2030-01-05T00:00:00Z"));
        assert_eq!(types(&five), ["ExpirationNotification"]);
        assert!(
            five[0]
                .reason
                .starts_with("The parameter will expire in 5 days")
        );
        let both = due_actions(&c, ms("2030-01-09T12:00:00Z"));
        assert_eq!(both.len(), 2);
        assert_ne!(
            both[0].key, both[1].key,
            "each notification fires on its own"
        );
    }

    #[test]
    fn a_due_expiration_is_the_only_action() {
        let c = candidate(
            &format!(
                r#"[{{"Type":"Expiration","Version":"1.0","Attributes":{{"Timestamp":"{T}"}}}},
                   {{"Type":"NoChangeNotification","Version":"1.0","Attributes":{{"After":"1","Unit":"Hours"}}}}]"#
            ),
            "2030-01-01T00:00:00Z",
        );
        let due = due_actions(&c, ms(T));
        assert_eq!(types(&due), ["Expiration"]);
        assert!(due[0].expire);
        assert!(due[0].policy_text.contains(T));
    }

    #[test]
    fn an_offset_timestamp_is_read_as_its_instant() {
        let c = candidate(
            r#"[{"Type":"Expiration","Version":"1.0","Attributes":{"Timestamp":"2030-01-10T10:30:00+10:30"}}]"#,
            "2030-01-01T00:00:00Z",
        );
        assert!(due_actions(&c, ms("2030-01-09T23:59:59Z")).is_empty());
        assert_eq!(due_actions(&c, ms("2030-01-10T00:00:00Z")).len(), 1);
    }

    #[test]
    fn unreadable_policies_do_nothing() {
        let c = candidate("not json", "2030-01-01T00:00:00Z");
        assert!(due_actions(&c, i64::MAX).is_empty());
    }
}
