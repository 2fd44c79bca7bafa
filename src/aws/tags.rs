//! Tags: TagResource, UntagResource, ListResourceTags.

use schemars::JsonSchema;
use serde::Serialize;

use super::RULES;
use super::error::AwsError;
use super::keys::{Empty, More, fail, page};
use super::members::{Int, Str, StringList, TagList, members};
use super::wire::{KeyOnly, Scope};
use crate::service::Kms;

members! {
    /// TagResource's members.
    pub struct TagResourceRequest {
        /// The key.
        key_id: KeyOnly = "KeyId",
        /// Tags to add or replace; a key has at most 50.
        tags: TagList = "Tags",
    }
}

/// TagResource.
///
/// # Errors
/// The exception to render.
pub fn tag_resource(req: TagResourceRequest, kms: &Kms, scope: &Scope) -> Result<Empty, AwsError> {
    kms.tag_key(&req.key_id.key_ref(scope)?, &req.tags.0, &RULES)
        .map_err(fail(&req.key_id, scope))?;
    Ok(Empty {})
}

members! {
    /// UntagResource's members.
    pub struct UntagResourceRequest {
        /// The key.
        key_id: KeyOnly = "KeyId",
        /// The keys of the tags to remove.
        tag_keys: StringList = "TagKeys",
    }
}

/// UntagResource.
///
/// # Errors
/// The exception to render.
pub fn untag_resource(
    req: UntagResourceRequest,
    kms: &Kms,
    scope: &Scope,
) -> Result<Empty, AwsError> {
    kms.untag_key(&req.key_id.key_ref(scope)?, &req.tag_keys.0, &RULES)
        .map_err(fail(&req.key_id, scope))?;
    Ok(Empty {})
}

members! {
    /// ListResourceTags' members.
    pub struct ListResourceTagsRequest {
        /// The key.
        key_id: KeyOnly = "KeyId",
        /// Tags per page [default: 50].
        limit: Option<Int<1, 50>> = "Limit",
        /// The `NextMarker` of the previous page.
        marker: Option<Str<1, 1024>> = "Marker",
    }
}

/// One tag.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Tag {
    /// Its key.
    #[serde(rename = "TagKey")]
    pub tag_key: String,
    /// Its value.
    #[serde(rename = "TagValue")]
    pub tag_value: String,
}

/// ListResourceTags' answer.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ListResourceTagsResponse {
    /// The page, by tag key.
    #[serde(rename = "Tags")]
    pub tags: Vec<Tag>,
    /// Whether more follow.
    #[serde(flatten)]
    pub more: More,
}

/// ListResourceTags.
///
/// # Errors
/// The exception to render.
pub fn list_resource_tags(
    req: ListResourceTagsRequest,
    kms: &Kms,
    scope: &Scope,
) -> Result<ListResourceTagsResponse, AwsError> {
    let (offset, limit) = page(req.marker.as_ref(), req.limit.map(|l| l.0), 50)?;
    let key = kms
        .describe_key(&req.key_id.key_ref(scope)?)
        .map_err(fail(&req.key_id, scope))?;
    let tags: Vec<Tag> = key
        .tags
        .iter()
        .skip(offset)
        .take(limit)
        .map(|(k, v)| Tag {
            tag_key: k.clone(),
            tag_value: v.clone(),
        })
        .collect();
    let more = More::after(offset, tags.len(), key.tags.len());
    Ok(ListResourceTagsResponse { tags, more })
}

crate::protocol::family!($ tags_actions {
    TagResource(tags::TagResourceRequest => keys::Empty) = tags::tag_resource,
        blocking, [], "Adds or replaces tags of a key (at most 50).";
    UntagResource(tags::UntagResourceRequest => keys::Empty) = tags::untag_resource,
        blocking, [], "Removes tags from a key.";
    ListResourceTags(tags::ListResourceTagsRequest => tags::ListResourceTagsResponse) = tags::list_resource_tags,
        blocking, [], "Lists the tags of a key, a page at a time.";
});
