//! TagResource, UntagResource and ListResourceTags (spec §11): the tags of
//! a customer managed key.
//!
//! Choices where AWS's documentation is silent: the key is named by key id
//! or key ARN only, as the operations document (an alias answers
//! `NotFoundException: Invalid keyId`); ListResourceTags returns tags in
//! tag-key order, so its markers are stable.

use kinko_model::Tag;

use super::keys::{MAX_TAGS, check_tags};
use super::model::Page;
use super::{KeyHandle, Kms, KmsError, Target};

/// ListResourceTags returns at most this many tags per page (AWS: 1–50,
/// default 50).
pub const MAX_TAGS_PER_PAGE: usize = 50;

impl Kms {
    /// Adds `tags`, replacing the value of a key already set.
    pub async fn tag_resource(
        &self,
        region: &str,
        key_ref: &str,
        tags: &[Tag],
    ) -> Result<(), KmsError> {
        let new = check_tags(tags)?;
        let (_guard, mut key) = self.load_for_tagging(region, key_ref).await?;
        for tag in new {
            match key.meta.tags.iter_mut().find(|t| t.key == tag.key) {
                Some(existing) => existing.value = tag.value,
                None => key.meta.tags.push(tag),
            }
        }
        if key.meta.tags.len() > MAX_TAGS {
            return Err(KmsError::Tag("Too many tags".into()));
        }
        self.save_meta(key, "TagResource").await
    }

    /// Removes the tags with these keys; a key not set is no error (AWS).
    pub async fn untag_resource(
        &self,
        region: &str,
        key_ref: &str,
        tag_keys: &[String],
    ) -> Result<(), KmsError> {
        if tag_keys.iter().any(|k| k.starts_with("aws:")) {
            return Err(KmsError::Tag(
                "Tags beginning with aws: are reserved".into(),
            ));
        }
        let (_guard, mut key) = self.load_for_tagging(region, key_ref).await?;
        key.meta.tags.retain(|t| !tag_keys.contains(&t.key));
        self.save_meta(key, "UntagResource").await
    }

    /// The key's tags in tag-key order, `limit` (at most 50) at a time.
    /// Any key state and AWS managed keys too.
    pub async fn list_resource_tags(
        &self,
        region: &str,
        key_ref: &str,
        limit: usize,
        marker: Option<&str>,
    ) -> Result<Page<Tag>, KmsError> {
        let key = self.load_by_id_or_arn(region, key_ref).await?;
        let mut tags = key.tags();
        tags.sort_by(|a, b| a.key.cmp(&b.key));
        let kind = format!("tags:{}", key.record.key_id);
        self.page(
            &kind,
            tags,
            |t| t.key.as_str(),
            limit.min(MAX_TAGS_PER_PAGE),
            marker,
        )
    }

    async fn load_by_id_or_arn(&self, region: &str, key_ref: &str) -> Result<KeyHandle, KmsError> {
        match self.parse_ref(region, key_ref)? {
            Target::KeyId(id) => self.load_id(region, &id).await,
            Target::Alias(_) => Err(KmsError::NotFound(format!("Invalid keyId '{key_ref}'"))),
        }
    }

    /// A customer managed key not pending deletion: what tags may change
    /// on; with this server's lock on it, so a concurrent grant or policy
    /// write is not lost.
    async fn load_for_tagging(
        &self,
        region: &str,
        key_ref: &str,
    ) -> Result<(tokio::sync::MutexGuard<'_, ()>, KeyHandle), KmsError> {
        let key_id = self.load_by_id_or_arn(region, key_ref).await?.record.key_id;
        let (guard, key) = self.load_locked(region, &key_id).await?;
        if key.is_managed() {
            return Err(KmsError::managed_key(&key.arn));
        }
        if key.state().is_pending_deletion() {
            return Err(KmsError::pending_deletion(&key.arn));
        }
        Ok((guard, key))
    }

    /// Writes a key's metadata (its tags) and drops this node's cached
    /// copy, so tag conditions see the change at once.
    pub(super) async fn save_meta(&self, key: KeyHandle, operation: &str) -> Result<(), KmsError> {
        let state = key.state();
        self.save_state(key, state, operation).await.map(drop)
    }
}

#[cfg(test)]
mod tests {
    use kinko_model::Tag;

    use crate::kms::{CreateKeyInput, Kms, KmsError};

    fn tag(key: &str, value: &str) -> Tag {
        Tag {
            key: key.into(),
            value: value.into(),
        }
    }

    #[tokio::test]
    async fn fifty_tags_fit_and_the_fifty_first_is_refused_whole() {
        let kms = Kms::in_memory("111122223333").unwrap();
        let key = kms
            .create_key("us-east-1", CreateKeyInput::default())
            .await
            .unwrap();
        let fifty: Vec<Tag> = (0..50).map(|i| tag(&format!("k{i:02}"), "v")).collect();
        kms.tag_resource("us-east-1", &key.key_id, &fifty)
            .await
            .unwrap();
        // Overwriting an existing key adds nothing.
        kms.tag_resource("us-east-1", &key.key_id, &[tag("k00", "new")])
            .await
            .unwrap();
        let err = kms
            .tag_resource(
                "us-east-1",
                &key.key_id,
                &[tag("k50", "v"), tag("k01", "x")],
            )
            .await
            .unwrap_err();
        assert!(
            matches!(err, KmsError::Tag(ref m) if m == "Too many tags"),
            "{err:?}"
        );
        let page = kms
            .list_resource_tags("us-east-1", &key.key_id, 100, None)
            .await
            .unwrap();
        // At most 50 per page, whatever the caller asked.
        assert_eq!(page.items.len(), 50);
        assert!(!page.truncated());
        assert_eq!(page.items[0], tag("k00", "new"));
        assert_eq!(
            page.items[1],
            tag("k01", "v"),
            "the refused request wrote nothing"
        );
    }
}
