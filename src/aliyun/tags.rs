//! Tags: TagResource, UntagResource, ListResourceTags, and the plural forms TagResources,
//! UntagResources, ListTagResources over the same tags. The plural forms name a region
//! (it must be this endpoint's) and a resource type: `key`, or `secret` and `certificate`,
//! which qkms knows but has none of (naming one is `Forbidden.ResourceNotFound`; listing
//! them is empty).

use schemars::JsonSchema;
use serde::Serialize;

use super::RULES;
use super::error::AliyunError;
use super::error::ErrorCode;
use super::fields::{Flag, Repeated, TagKeys, TagPairs, Tags, params};
use super::keys::Empty;
use super::wire;
use crate::enums::closed_enum;
use crate::model::KeyRef;
use crate::service::{Error, Kms, Untag};

/// The resource a singular tag action names: exactly one of `KeyId`, `SecretName` and
/// `CertificateId` (qkms keeps no certificates: naming one is `Forbidden.ResourceNotFound`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tagged {
    /// A key, as named.
    Key(String),
    /// A secret, by name.
    Secret(String),
}

fn tagged(
    key_id: Option<String>,
    secret_name: Option<String>,
    certificate_id: Option<String>,
    kms: &Kms,
) -> Result<Tagged, AliyunError> {
    match (key_id, secret_name, certificate_id) {
        (Some(k), None, None) => Ok(Tagged::Key(k)),
        (None, Some(s), None) => Ok(Tagged::Secret(super::secrets::secret_name(
            &s,
            kms.scope(),
        )?)),
        (None, None, Some(_)) => Err(Error::SecretNotFound.into()),
        (None, None, None) => Err(AliyunError::missing("KeyId")),
        _ => Err(AliyunError::invalid_because(
            "KeyId",
            "Give exactly one of KeyId, SecretName and CertificateId.",
        )),
    }
}

params! {
    /// TagResource's parameters.
    pub struct TagResourceRequest {
        /// The key (or give SecretName or CertificateId).
        key_id: Option<String> = "KeyId",
        /// The secret.
        secret_name: Option<String> = "SecretName",
        /// A certificate (qkms has none).
        certificate_id: Option<String> = "CertificateId",
        /// The tags to add or replace (at least one).
        tags: Tags = "Tags",
    }
}

/// TagResource: a key or a secret has at most 20 tags.
///
/// # Errors
/// The Aliyun error to render.
pub fn tag_resource(req: TagResourceRequest, kms: &Kms) -> Result<Empty, AliyunError> {
    if req.tags.0.is_empty() {
        return Err(AliyunError::missing("Tags"));
    }
    match tagged(req.key_id, req.secret_name, req.certificate_id, kms)? {
        Tagged::Key(k) => {
            kms.tag_key(&wire::key_ref(&k, kms.scope())?, &req.tags.0, &RULES)?;
        }
        Tagged::Secret(name) => {
            kms.tag_secret(&name, &req.tags.0, super::fields::MAX_TAGS)?;
        }
    }
    Ok(Empty {})
}

params! {
    /// UntagResource's parameters.
    pub struct UntagResourceRequest {
        /// The key (or give SecretName or CertificateId).
        key_id: Option<String> = "KeyId",
        /// The secret.
        secret_name: Option<String> = "SecretName",
        /// A certificate (qkms has none).
        certificate_id: Option<String> = "CertificateId",
        /// The tag keys to remove (unknown ones are ignored).
        tag_keys: TagKeys = "TagKeys",
    }
}

/// UntagResource.
///
/// # Errors
/// The Aliyun error to render.
pub fn untag_resource(req: UntagResourceRequest, kms: &Kms) -> Result<Empty, AliyunError> {
    match tagged(req.key_id, req.secret_name, req.certificate_id, kms)? {
        Tagged::Key(k) => {
            kms.untag_key(&wire::key_ref(&k, kms.scope())?, &req.tag_keys.0, &RULES)?;
        }
        Tagged::Secret(name) => {
            kms.untag_secret(&name, &req.tag_keys.0)?;
        }
    }
    Ok(Empty {})
}

/// One tag of a key or secret.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct ListedTag {
    /// The key it is on (key tags).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    /// The secret it is on (secret tags).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_name: Option<String>,
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
    /// The tags of the key or secret.
    pub tags: TagList,
}

params! {
    /// ListResourceTags' parameters.
    pub struct ListResourceTagsRequest {
        /// The key (or give SecretName or CertificateId).
        key_id: Option<String> = "KeyId",
        /// The secret.
        secret_name: Option<String> = "SecretName",
        /// A certificate (qkms has none).
        certificate_id: Option<String> = "CertificateId",
    }
}

/// ListResourceTags.
///
/// # Errors
/// The Aliyun error to render.
pub fn list_resource_tags(
    req: ListResourceTagsRequest,
    kms: &Kms,
) -> Result<ListResourceTagsResponse, AliyunError> {
    let (tags, key_id, secret_name) =
        match tagged(req.key_id, req.secret_name, req.certificate_id, kms)? {
            Tagged::Key(k) => {
                let key = kms.describe_key(&wire::key_ref(&k, kms.scope())?)?;
                (key.tags, Some(key.key_id), None)
            }
            Tagged::Secret(name) => {
                let secret = kms.describe_secret(&name)?;
                (secret.tags, None, Some(secret.name))
            }
        };
    let tag = tags
        .into_iter()
        .map(|(k, v)| ListedTag {
            key_id: key_id.clone(),
            secret_name: secret_name.clone(),
            tag_key: k,
            tag_value: v,
        })
        .collect();
    Ok(ListResourceTagsResponse {
        tags: TagList { tag },
    })
}

closed_enum! {
    /// `ResourceType` of the plural tag actions.
    pub enum ResourceType {
        /// A key.
        Key = "key",
        /// A secret (qkms has none).
        Secret = "secret",
        /// A certificate (qkms has none).
        Certificate = "certificate",
    }
}
super::fields::enum_field!(ResourceType);

/// Resource IDs one request may name (the documentation's limit).
pub const MAX_RESOURCES: usize = 50;
/// Rows of ListTagResources per page (the Tea documentation's default).
pub const TAG_PAGE: usize = 200;

/// Refuses a `RegionId` other than this endpoint's.
fn check_region(region: &str, kms: &Kms) -> Result<(), AliyunError> {
    if region == kms.settings().region {
        Ok(())
    } else {
        Err(AliyunError::invalid_because(
            "RegionId",
            &format!(
                "This endpoint serves the region {} only.",
                kms.settings().region
            ),
        ))
    }
}

/// The keys named, or `Forbidden.ResourceNotFound` for resources qkms has none of.
fn keys_of(
    resource_type: ResourceType,
    ids: &[String],
    kms: &Kms,
) -> Result<Vec<KeyRef>, AliyunError> {
    if resource_type != ResourceType::Key {
        return Err(AliyunError::new(
            ErrorCode::ResourceNotFound,
            format!(
                "The specified resource is not found: qkms has no resources of type {}.",
                resource_type.as_str()
            ),
        ));
    }
    ids.iter()
        .map(|id| wire::key_ref(id, kms.scope()).map_err(AliyunError::from))
        .collect()
}

/// The quota error names the parameter of the plural form.
fn tag_error(e: Error) -> AliyunError {
    match e {
        Error::TooManyTags { max } => {
            AliyunError::invalid_because("Tag", &format!("A key has at most {max} tags."))
        }
        other => other.into(),
    }
}

params! {
    /// TagResources' parameters.
    pub struct TagResourcesRequest {
        /// This endpoint's region.
        region_id: String = "RegionId",
        /// `key`, `secret` or `certificate`.
        resource_type: ResourceType = "ResourceType",
        /// The resources (key IDs, ARNs or aliases), 1 to 50.
        resource_id: Repeated<MAX_RESOURCES, true> = "ResourceId",
        /// The tags to add or replace, 1 to 20.
        tag: TagPairs = "Tag",
    }
}

/// TagResources: the same tags on every resource named.
///
/// # Errors
/// The Aliyun error to render.
pub fn tag_resources(req: TagResourcesRequest, kms: &Kms) -> Result<Empty, AliyunError> {
    check_region(&req.region_id, kms)?;
    if req.tag.0.is_empty() {
        return Err(AliyunError::missing("Tag"));
    }
    let keys = keys_of(req.resource_type, &req.resource_id.0, kms)?;
    kms.tag_keys(&keys, &req.tag.0, &RULES).map_err(tag_error)?;
    Ok(Empty {})
}

params! {
    /// UntagResources' parameters.
    pub struct UntagResourcesRequest {
        /// This endpoint's region.
        region_id: String = "RegionId",
        /// `key`, `secret` or `certificate`.
        resource_type: ResourceType = "ResourceType",
        /// The resources (key IDs, ARNs or aliases), 1 to 50.
        resource_id: Repeated<MAX_RESOURCES, true> = "ResourceId",
        /// The tag keys to remove, at most 20 (unknown ones are ignored).
        tag_key: Repeated<{ super::fields::MAX_TAGS }, false> = "TagKey",
        /// Remove every tag; only when no TagKey is given [default: false].
        all: Flag = "All",
    }
}

/// UntagResources.
///
/// # Errors
/// The Aliyun error to render.
pub fn untag_resources(req: UntagResourcesRequest, kms: &Kms) -> Result<Empty, AliyunError> {
    check_region(&req.region_id, kms)?;
    let which = match (req.tag_key.0.is_empty(), req.all.0) {
        (false, _) => Untag::Named(req.tag_key.0),
        (true, true) => Untag::All,
        (true, false) => return Err(AliyunError::missing("TagKey")),
    };
    let keys = keys_of(req.resource_type, &req.resource_id.0, kms)?;
    kms.untag_keys(&keys, &which, &RULES)?;
    Ok(Empty {})
}

params! {
    /// ListTagResources' parameters.
    pub struct ListTagResourcesRequest {
        /// This endpoint's region.
        region_id: String = "RegionId",
        /// `key`, `secret` or `certificate`.
        resource_type: ResourceType = "ResourceType",
        /// Only these resources, at most 50 [default: every resource with tags].
        resource_id: Repeated<MAX_RESOURCES, false> = "ResourceId",
        /// Only tags that match one of these (a Value, when given, must match too).
        tag: TagPairs = "Tag",
        /// The `NextToken` of the previous page.
        next_token: Option<String> = "NextToken",
    }
}

/// One tag of one resource.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct TagResourceRow {
    /// The resource (a key ID).
    pub resource_id: String,
    /// Its type.
    #[schemars(with = "ResourceType")]
    pub resource_type: &'static str,
    /// The tag's key.
    pub tag_key: String,
    /// Its value.
    pub tag_value: String,
}

/// The wrapped list (`{"TagResource": [...]}`).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct TagResourceList {
    /// The rows.
    #[serde(rename = "TagResource")]
    pub tag_resource: Vec<TagResourceRow>,
}

/// ListTagResources' answer.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct ListTagResourcesResponse {
    /// A page of rows, by resource ID then tag key.
    pub tag_resources: TagResourceList,
    /// Where the next page starts; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// A `NextToken`: the last row of the page, base64url of a JSON pair.
fn token_of(row: &TagResourceRow) -> String {
    use base64::Engine as _;
    let pair = serde_json::json!([row.resource_id, row.tag_key]).to_string();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(pair)
}

fn parse_token(raw: &str) -> Result<(String, String), AliyunError> {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(raw)
        .ok()
        .and_then(|b| serde_json::from_slice::<(String, String)>(&b).ok())
        .ok_or_else(|| AliyunError::invalid_because("NextToken", "It is not a token qkms gave."))
}

/// ListTagResources.
///
/// # Errors
/// The Aliyun error to render.
pub fn list_tag_resources(
    req: ListTagResourcesRequest,
    kms: &Kms,
) -> Result<ListTagResourcesResponse, AliyunError> {
    check_region(&req.region_id, kms)?;
    let after = req.next_token.as_deref().map(parse_token).transpose()?;
    let keys = if req.resource_type != ResourceType::Key {
        // Named resources of a type qkms has none of are not found; the listing is empty.
        keys_of(req.resource_type, &req.resource_id.0, kms).or_else(|e| {
            if req.resource_id.0.is_empty() {
                Ok(Vec::new())
            } else {
                Err(e)
            }
        })?;
        Vec::new()
    } else if req.resource_id.0.is_empty() {
        kms.list_keys_matching(0, usize::MAX, |k| !k.tags.is_empty())?
            .items
    } else {
        keys_of(req.resource_type, &req.resource_id.0, kms)?
            .iter()
            .map(|k| kms.describe_key(k))
            .collect::<Result<Vec<_>, _>>()?
    };
    let wanted = |k: &str, v: &str| {
        req.tag.0.is_empty() || req.tag.0.get(k).is_some_and(|w| w.is_empty() || w == v)
    };
    let mut rows: Vec<TagResourceRow> = keys
        .iter()
        .flat_map(|key| {
            key.tags
                .iter()
                .filter(|(k, v)| wanted(k, v))
                .map(|(k, v)| TagResourceRow {
                    resource_id: key.key_id.clone(),
                    resource_type: ResourceType::Key.as_str(),
                    tag_key: k.clone(),
                    tag_value: v.clone(),
                })
        })
        .filter(|r| {
            after
                .as_ref()
                .is_none_or(|(id, tk)| (&r.resource_id, &r.tag_key) > (id, tk))
        })
        .collect();
    rows.sort_by(|a, b| (&a.resource_id, &a.tag_key).cmp(&(&b.resource_id, &b.tag_key)));
    rows.dedup_by(|a, b| a.resource_id == b.resource_id && a.tag_key == b.tag_key);
    let next_token = (rows.len() > TAG_PAGE)
        .then(|| rows.get(TAG_PAGE - 1).map(token_of))
        .flatten();
    rows.truncate(TAG_PAGE);
    Ok(ListTagResourcesResponse {
        tag_resources: TagResourceList { tag_resource: rows },
        next_token,
    })
}

crate::protocol::family!($ tags_actions {
    TagResource(tags::TagResourceRequest => keys::Empty) = tags::tag_resource,
        blocking, [], "Adds or replaces tags of a key or a secret.";
    UntagResource(tags::UntagResourceRequest => keys::Empty) = tags::untag_resource,
        blocking, [], "Removes tags from a key or a secret.";
    ListResourceTags(tags::ListResourceTagsRequest => tags::ListResourceTagsResponse) = tags::list_resource_tags,
        blocking, [], "Lists the tags of a key or a secret.";
    TagResources(tags::TagResourcesRequest => keys::Empty) = tags::tag_resources,
        blocking, [], "Adds or replaces tags of several keys at once.";
    UntagResources(tags::UntagResourcesRequest => keys::Empty) = tags::untag_resources,
        blocking, [], "Removes tags (or all of them) from several keys at once.";
    ListTagResources(tags::ListTagResourcesRequest => tags::ListTagResourcesResponse) = tags::list_tag_resources,
        blocking, [], "Lists the tags of keys, one row per tag, a page at a time.";
});
