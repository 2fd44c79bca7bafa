//! Tags: TagResource, UntagResource, ListResourceTags.

use schemars::JsonSchema;
use serde::Serialize;

use super::RULES;
use super::error::AliyunError;
use super::fields::{TagKeys, Tags, params};
use super::keys::{Empty, KeyIdRequest};
use super::wire;
use crate::service::Kms;

params! {
    /// TagResource's parameters.
    pub struct TagResourceRequest {
        /// The key.
        key_id: String = "KeyId",
        /// The tags to add or replace (at least one).
        tags: Tags = "Tags",
    }
}

/// TagResource: a key has at most 20 tags.
///
/// # Errors
/// The Aliyun error to render.
pub fn tag_resource(req: TagResourceRequest, kms: &Kms) -> Result<Empty, AliyunError> {
    if req.tags.0.is_empty() {
        return Err(AliyunError::missing("Tags"));
    }
    kms.tag_key(
        &wire::key_ref(&req.key_id, kms.settings())?,
        &req.tags.0,
        &RULES,
    )?;
    Ok(Empty {})
}

params! {
    /// UntagResource's parameters.
    pub struct UntagResourceRequest {
        /// The key.
        key_id: String = "KeyId",
        /// The tag keys to remove (unknown ones are ignored).
        tag_keys: TagKeys = "TagKeys",
    }
}

/// UntagResource.
///
/// # Errors
/// The Aliyun error to render.
pub fn untag_resource(req: UntagResourceRequest, kms: &Kms) -> Result<Empty, AliyunError> {
    kms.untag_key(
        &wire::key_ref(&req.key_id, kms.settings())?,
        &req.tag_keys.0,
        &RULES,
    )?;
    Ok(Empty {})
}

/// One tag of a key.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct ListedTag {
    /// The key it is on.
    pub key_id: String,
    /// The tag's key.
    pub tag_key: String,
    /// Its value.
    pub tag_value: String,
}

/// The wrapped list (`{"Tag": [...]}`).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct TagList {
    /// The tags.
    #[serde(rename = "Tag")]
    pub tag: Vec<ListedTag>,
}

/// ListResourceTags' answer.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct ListResourceTagsResponse {
    /// The tags of the key.
    pub tags: TagList,
}

/// ListResourceTags.
///
/// # Errors
/// The Aliyun error to render.
pub fn list_resource_tags(
    req: KeyIdRequest,
    kms: &Kms,
) -> Result<ListResourceTagsResponse, AliyunError> {
    let key = kms.describe_key(&wire::key_ref(&req.key_id, kms.settings())?)?;
    let tag = key
        .tags
        .iter()
        .map(|(k, v)| ListedTag {
            key_id: key.key_id.clone(),
            tag_key: k.clone(),
            tag_value: v.clone(),
        })
        .collect();
    Ok(ListResourceTagsResponse {
        tags: TagList { tag },
    })
}

crate::protocol::family!($ tags_actions {
    TagResource(tags::TagResourceRequest => keys::Empty) = tags::tag_resource,
        blocking, [], "Adds or replaces tags of a key.";
    UntagResource(tags::UntagResourceRequest => keys::Empty) = tags::untag_resource,
        blocking, [], "Removes tags from a key.";
    ListResourceTags(keys::KeyIdRequest => tags::ListResourceTagsResponse) = tags::list_resource_tags,
        blocking, [], "Lists the tags of a key.";
});
