//! AddTagsToResource, RemoveTagsFromResource, ListTagsForResource for
//! `ResourceType=Parameter`. Tagging errors carry no message on AWS.

use kinko_model::Tag;
use kinko_model::ssm::ParameterName;
use kinko_model::ssm::VersionSelector;
use kinko_store::{ParameterLookup, StoreError};

use super::error::SsmError;
use super::model::Caller;
use super::service::{MAX_TAGS, ParameterStore, now_ms};

/// The parameter a tagging request is about; other resource types are not
/// kept by kinko.
fn target(resource_type: &str, resource_id: &str) -> Result<ParameterName, SsmError> {
    if resource_type != "Parameter" {
        return Err(SsmError::InvalidResourceType);
    }
    ParameterName::parse(resource_id).map_err(|_| SsmError::InvalidResourceId)
}

fn tag_store_error(e: StoreError) -> SsmError {
    match e {
        StoreError::ParameterNotFound => SsmError::InvalidResourceId,
        other => other.into(),
    }
}

impl ParameterStore {
    pub async fn add_tags_to_resource(
        &self,
        caller: &Caller,
        resource_type: &str,
        resource_id: &str,
        tags: &[Tag],
    ) -> Result<(), SsmError> {
        let name = target(resource_type, resource_id)?;
        // A key sent twice keeps its last value.
        let mut unique: Vec<Tag> = Vec::with_capacity(tags.len());
        for t in tags {
            unique.retain(|x| x.key != t.key);
            unique.push(t.clone());
        }
        self.store
            .add_parameter_tags(
                &caller.region,
                name.canonical(),
                &unique,
                MAX_TAGS,
                caller
                    .parameter_change(now_ms(), "AddTagsToResource", &name)
                    .with(
                        "tagKeys",
                        unique.iter().map(|t| t.key.clone()).collect::<Vec<_>>(),
                    ),
            )
            .await
            .map_err(tag_store_error)
    }

    pub async fn remove_tags_from_resource(
        &self,
        caller: &Caller,
        resource_type: &str,
        resource_id: &str,
        keys: &[String],
    ) -> Result<(), SsmError> {
        let name = target(resource_type, resource_id)?;
        self.store
            .remove_parameter_tags(
                &caller.region,
                name.canonical(),
                keys,
                caller
                    .parameter_change(now_ms(), "RemoveTagsFromResource", &name)
                    .with("tagKeys", keys.to_vec()),
            )
            .await
            .map_err(tag_store_error)
    }

    pub async fn list_tags_for_resource(
        &self,
        caller: &Caller,
        resource_type: &str,
        resource_id: &str,
    ) -> Result<Vec<Tag>, SsmError> {
        let name = target(resource_type, resource_id)?;
        match self
            .store
            .get_parameter(&caller.region, name.canonical(), &VersionSelector::Latest)
            .await?
        {
            ParameterLookup::Found(r) => Ok(r.tags),
            ParameterLookup::NotFound | ParameterLookup::VersionNotFound => {
                Err(SsmError::InvalidResourceId)
            }
        }
    }
}
