//! TagResource and UntagResource: merge by key keeping append order.

use kinko_model::Tag;

use super::error::SecretsError;
use super::model::Caller;
use super::service::{MAX_WRITE_ATTEMPTS, Plan, SecretsManager, check_live, check_primary};
use kinko_store::WriteOutcome;

/// AWS's tag quota per secret.
pub const MAX_TAGS: usize = 50;

/// Refuses the reserved `aws:` prefix.
pub(super) fn check_tags(tags: &[Tag]) -> Result<(), SecretsError> {
    if let Some(t) = tags
        .iter()
        .find(|t| t.key.to_ascii_lowercase().starts_with("aws:"))
    {
        return Err(SecretsError::InvalidParameter(format!(
            "Invalid tag key {}: the aws: prefix is reserved for AWS use.",
            t.key
        )));
    }
    Ok(())
}

/// Existing keys get the new value in place; new keys are appended.
pub(super) fn merge(existing: &mut Vec<Tag>, new: &[Tag]) -> Result<(), SecretsError> {
    for t in new {
        match existing.iter_mut().find(|e| e.key == t.key) {
            Some(e) => e.value = t.value.clone(),
            None => existing.push(t.clone()),
        }
    }
    if existing.len() > MAX_TAGS {
        return Err(SecretsError::LimitExceeded(format!(
            "The request would put more than {MAX_TAGS} tags on the secret."
        )));
    }
    Ok(())
}

impl SecretsManager {
    pub async fn tag_resource(
        &self,
        caller: &Caller,
        secret_id: &str,
        tags: &[Tag],
    ) -> Result<(), SecretsError> {
        check_tags(tags)?;
        for _ in 0..MAX_WRITE_ATTEMPTS {
            let state = self.resolve(caller, secret_id).await?;
            check_primary(&state.record)?;
            check_live(&state.record)?;
            let mut next = state.clone();
            merge(&mut next.record.tags, tags)?;
            next.record.tagged = true;
            next.record.last_changed_ms = self.now();
            let plan = Plan {
                state: next,
                new_values: Vec::new(),
            };
            if self.commit(caller, "TagResource", &state, plan).await? == WriteOutcome::Written {
                return Ok(());
            }
        }
        Err(SecretsError::too_much_contention(secret_id))
    }

    pub async fn untag_resource(
        &self,
        caller: &Caller,
        secret_id: &str,
        keys: &[String],
    ) -> Result<(), SecretsError> {
        for _ in 0..MAX_WRITE_ATTEMPTS {
            let state = self.resolve(caller, secret_id).await?;
            check_primary(&state.record)?;
            check_live(&state.record)?;
            let mut next = state.clone();
            next.record.tags.retain(|t| !keys.contains(&t.key));
            // `Tags: []` after every tag was removed (observed), so stay "tagged".
            next.record.tagged = true;
            next.record.last_changed_ms = self.now();
            let plan = Plan {
                state: next,
                new_values: Vec::new(),
            };
            if self.commit(caller, "UntagResource", &state, plan).await? == WriteOutcome::Written {
                return Ok(());
            }
        }
        Err(SecretsError::too_much_contention(secret_id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(k: &str, v: &str) -> Tag {
        Tag {
            key: k.into(),
            value: v.into(),
        }
    }

    #[test]
    fn merge_keeps_order_and_overwrites() {
        let mut tags = vec![tag("b", "1"), tag("a", "2")];
        merge(&mut tags, &[tag("c", "3"), tag("b", "9")]).unwrap();
        assert_eq!(tags, vec![tag("b", "9"), tag("a", "2"), tag("c", "3")]);
        let many: Vec<Tag> = (0..48).map(|i| tag(&format!("k{i}"), "")).collect();
        assert!(matches!(
            merge(&mut tags, &many).unwrap_err(),
            SecretsError::LimitExceeded(_)
        ));
        assert!(check_tags(&[tag("aws:x", "1")]).is_err());
        assert!(check_tags(&[tag("awsx", "1")]).is_ok());
    }
}
