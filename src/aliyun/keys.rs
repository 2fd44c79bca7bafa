//! Key lifecycle: CreateKey, DescribeKey, ListKeys, EnableKey, DisableKey,
//! ScheduleKeyDeletion, CancelKeyDeletion, UpdateKeyDescription.

use schemars::JsonSchema;
use serde::Serialize;

use super::RULES;
use super::error::{AliyunError, ErrorCode};
use super::fields::{Flag, PageNumber, Ranged, Tags, Text, params};
use super::wire::{self, KeyMetadata, KeySpecParam};
use crate::model::{KeyRecord, KeySpec};
use crate::service::{CreateKeyInput, Kms};

/// An empty answer (just the `RequestId`).
#[derive(Debug, Clone, Copy, Default, Serialize, JsonSchema)]
pub struct Empty {}

params! {
    /// CreateKey's parameters.
    pub struct CreateKeyRequest {
        /// A KMS instance: qkms has none, so any value is `Forbidden.ResourceNotFound`.
        dkms_instance_id: Option<String> = "DKMSInstanceId",
        /// The kind of key [default: Aliyun_AES_256].
        key_spec: Option<KeySpecParam> = "KeySpec",
        /// As the spec allows [default: ENCRYPT/DECRYPT; SIGN/VERIFY for EC_P256 and
        /// EC_P256K; GENERATE/VERIFY_MAC for the HMAC specs].
        key_usage: Option<wire::KeyUsage> = "KeyUsage",
        /// `EXTERNAL` for bring-your-own-key [default: Aliyun_KMS].
        origin: Option<wire::Origin> = "Origin",
        /// [default: SOFTWARE].
        protection_level: Option<wire::ProtectionLevel> = "ProtectionLevel",
        /// Free text, at most 8192 characters.
        description: Option<String> = "Description",
        /// Rotate automatically (not for EXTERNAL keys).
        enable_automatic_rotation: Flag = "EnableAutomaticRotation",
        /// `<n>d|h|m|s`, 7 days to 365 days [default: 365d]; used with automatic rotation.
        rotation_interval: Option<super::versions::Interval> = "RotationInterval",
        /// At most 20 tags.
        tags: Tags = "Tags",
        /// A key policy: a JSON policy document of at most 32768 bytes [default: the
        /// default policy]. Stored and returned, not enforced yet.
        policy: Option<String> = "Policy",
    }
}

/// CreateKey's answer.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct CreateKeyResponse {
    /// The new key.
    pub key_metadata: KeyMetadata,
}

/// CreateKey.
///
/// # Errors
/// The Aliyun error to render.
pub fn create_key(req: CreateKeyRequest, kms: &Kms) -> Result<CreateKeyResponse, AliyunError> {
    // qkms is the shared KMS: it has no KMS instances, so any instance ID names nothing.
    if let Some(instance) = req.dkms_instance_id {
        return Err(AliyunError::new(
            ErrorCode::ResourceNotFound,
            format!(
                "The specified DKMSInstanceId {instance:?} is not found; qkms has no KMS instances."
            ),
        ));
    }
    let origin = req.origin.unwrap_or(wire::Origin::Kms);
    let spec: KeySpec = req.key_spec.map_or(wire::KeySpec::Aes256, |s| s.0).into();
    // The 2021 CreateKey page forbids EXTERNAL for every spec but the two symmetric ones
    // on the shared KMS (the API sheet, §3.1); AWS imports key pairs, Aliyun does not.
    if origin == wire::Origin::External && !spec.is_symmetric() {
        return Err(AliyunError::new(
            ErrorCode::InvalidParameter,
            format!(
                "The specified parameter Origin EXTERNAL is not valid for KeySpec {}: only Aliyun_AES_256 and Aliyun_SM4 keys take imported material.",
                spec.as_str()
            ),
        ));
    }
    let usage = usage_for(spec, req.key_usage)?;
    let key = kms.create_key(CreateKeyInput {
        spec,
        usage: usage.into(),
        origin: origin.into(),
        protection_level: req
            .protection_level
            .unwrap_or(wire::ProtectionLevel::Software)
            .into(),
        description: req.description.unwrap_or_default(),
        enable_automatic_rotation: req.enable_automatic_rotation.0,
        rotation_interval: req.rotation_interval.map(|i| i.0),
        tags: req.tags.0,
        policy: req.policy,
    })?;
    Ok(CreateKeyResponse {
        key_metadata: KeyMetadata::of(&key, kms.scope(), false),
    })
}

/// The usage of a new key of `spec`: the one given, if the matrix allows it, else the
/// spec's default (ENCRYPT/DECRYPT for RSA, SM2 and the symmetric specs, SIGN/VERIFY for
/// EC_P256 and EC_P256K, GENERATE/VERIFY_MAC for HMAC).
fn usage_for(spec: KeySpec, given: Option<wire::KeyUsage>) -> Result<wire::KeyUsage, AliyunError> {
    let allowed = KeySpecParam::usages(spec.into());
    let Some(usage) = given else {
        return allowed
            .first()
            .copied()
            .ok_or_else(|| AliyunError::invalid("KeySpec"));
    };
    if allowed.contains(&usage) {
        return Ok(usage);
    }
    let names: Vec<&str> = allowed.iter().map(|u| u.as_str()).collect();
    Err(AliyunError::new(
        ErrorCode::InvalidParameter,
        format!(
            "The specified parameter KeyUsage {} is not valid for KeySpec {}: it takes {}.",
            usage.as_str(),
            spec.as_str(),
            names.join(" or ")
        ),
    ))
}

params! {
    /// A request that names one key.
    pub struct KeyIdRequest {
        /// A key ID, key ARN, `alias/<name>` or alias ARN.
        key_id: String = "KeyId",
    }
}

impl super::crypto::HotKey for KeyIdRequest {
    fn is_hot(&self, kms: &Kms) -> bool {
        super::crypto::hot_key_id(&self.key_id, kms)
    }
}

/// DescribeKey's answer.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeKeyResponse {
    /// The key, in its effective state.
    pub key_metadata: KeyMetadata,
}

/// DescribeKey.
///
/// # Errors
/// The Aliyun error to render.
pub fn describe_key(req: KeyIdRequest, kms: &Kms) -> Result<DescribeKeyResponse, AliyunError> {
    let key = kms.describe_key(&wire::key_ref(&req.key_id, kms.scope())?)?;
    Ok(DescribeKeyResponse {
        key_metadata: KeyMetadata::of(&key, kms.scope(), true),
    })
}

params! {
    /// ListKeys' parameters.
    pub struct ListKeysRequest {
        /// The page, from 1 [default: 1].
        page_number: Option<PageNumber> = "PageNumber",
        /// Keys per page [default: 10].
        page_size: Option<Ranged<1, 100>> = "PageSize",
        /// `[{"Key":"KeyState","Values":["Enabled"]}]`: keys AND, values OR.
        filters: super::filters::Filters = "Filters",
    }
}

/// One listed key.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct ListedKey {
    /// The key ID.
    pub key_id: String,
    /// Its ARN.
    pub key_arn: String,
}

/// The wrapped list of keys (`{"Key": [...]}`, from the XML heritage).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Keys {
    /// The keys of the page.
    #[serde(rename = "Key")]
    pub key: Vec<ListedKey>,
}

/// ListKeys' answer.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct ListKeysResponse {
    /// The page.
    pub keys: Keys,
    /// Keys in all pages.
    pub total_count: usize,
    /// This page's number.
    pub page_number: usize,
    /// The page size.
    pub page_size: usize,
}

/// Where page `number` (from 1) of `size` items starts.
pub fn offset(number: usize, size: usize) -> usize {
    number.saturating_sub(1).saturating_mul(size)
}

/// The page number and size of a request, with their defaults.
pub fn paging(number: Option<PageNumber>, size: Option<Ranged<1, 100>>) -> (usize, usize) {
    (
        number.map_or(1, |n| n.0),
        size.map_or(10, |s| usize::try_from(s.0).unwrap_or(10)),
    )
}

/// ListKeys.
///
/// # Errors
/// The Aliyun error to render.
pub fn list_keys(req: ListKeysRequest, kms: &Kms) -> Result<ListKeysResponse, AliyunError> {
    let (number, size) = paging(req.page_number, req.page_size);
    let page = if req.filters.0.is_empty() {
        kms.list_keys(offset(number, size), size)?
    } else {
        kms.list_keys_matching(offset(number, size), size, |k| req.filters.matches(kms, k))?
    };
    let key = page
        .items
        .iter()
        .map(|k: &KeyRecord| ListedKey {
            key_id: k.key_id.clone(),
            key_arn: wire::key_arn(kms.scope(), &k.key_id),
        })
        .collect();
    Ok(ListKeysResponse {
        keys: Keys { key },
        total_count: page.total,
        page_number: number,
        page_size: size,
    })
}

/// EnableKey.
///
/// # Errors
/// The Aliyun error to render.
pub fn enable_key(req: KeyIdRequest, kms: &Kms) -> Result<Empty, AliyunError> {
    kms.enable_key(&wire::key_ref(&req.key_id, kms.scope())?)?;
    Ok(Empty {})
}

/// DisableKey.
///
/// # Errors
/// The Aliyun error to render.
pub fn disable_key(req: KeyIdRequest, kms: &Kms) -> Result<Empty, AliyunError> {
    kms.disable_key(&wire::key_ref(&req.key_id, kms.scope())?)?;
    Ok(Empty {})
}

params! {
    /// ScheduleKeyDeletion's parameters.
    pub struct ScheduleKeyDeletionRequest {
        /// The key.
        key_id: String = "KeyId",
        /// Days until the key is deleted: 7 to 366.
        pending_window_in_days: Ranged<7, 366> = "PendingWindowInDays",
    }
}

/// ScheduleKeyDeletion.
///
/// # Errors
/// The Aliyun error to render.
pub fn schedule_key_deletion(
    req: ScheduleKeyDeletionRequest,
    kms: &Kms,
) -> Result<Empty, AliyunError> {
    let key = wire::key_ref(&req.key_id, kms.scope())?;
    kms.schedule_key_deletion(&key, req.pending_window_in_days.0)?;
    Ok(Empty {})
}

/// CancelKeyDeletion: the key comes back Enabled (PendingImport without material).
///
/// # Errors
/// The Aliyun error to render.
pub fn cancel_key_deletion(req: KeyIdRequest, kms: &Kms) -> Result<Empty, AliyunError> {
    kms.cancel_key_deletion(&wire::key_ref(&req.key_id, kms.scope())?, &RULES)?;
    Ok(Empty {})
}

params! {
    /// UpdateKeyDescription's parameters.
    pub struct UpdateKeyDescriptionRequest {
        /// The key.
        key_id: String = "KeyId",
        /// The new description (may be empty), at most 8192 characters.
        description: Text = "Description",
    }
}

/// UpdateKeyDescription.
///
/// # Errors
/// The Aliyun error to render.
pub fn update_key_description(
    req: UpdateKeyDescriptionRequest,
    kms: &Kms,
) -> Result<Empty, AliyunError> {
    let key = wire::key_ref(&req.key_id, kms.scope())?;
    kms.update_key_description(&key, &req.description.0, &RULES)?;
    Ok(Empty {})
}

crate::protocol::family!($ keys_actions {
    CreateKey(keys::CreateKeyRequest => keys::CreateKeyResponse) = keys::create_key,
        blocking, [], "Creates a key (symmetric, key pair or HMAC): with generated material, or EXTERNAL to import your own.";
    DescribeKey(keys::KeyIdRequest => keys::DescribeKeyResponse) = keys::describe_key,
        hot, [], "Describes a key in its current state.";
    ListKeys(keys::ListKeysRequest => keys::ListKeysResponse) = keys::list_keys,
        blocking, [], "Lists keys, a page at a time, optionally filtered.";
    EnableKey(keys::KeyIdRequest => keys::Empty) = keys::enable_key,
        blocking, [], "Enables a Disabled key.";
    DisableKey(keys::KeyIdRequest => keys::Empty) = keys::disable_key,
        blocking, [], "Disables a key: it can no longer encrypt or decrypt.";
    ScheduleKeyDeletion(keys::ScheduleKeyDeletionRequest => keys::Empty) = keys::schedule_key_deletion,
        blocking, [], "Schedules a key's deletion after a window of 7 to 366 days.";
    CancelKeyDeletion(keys::KeyIdRequest => keys::Empty) = keys::cancel_key_deletion,
        blocking, [], "Cancels a scheduled deletion; the key comes back Enabled.";
    UpdateKeyDescription(keys::UpdateKeyDescriptionRequest => keys::Empty) = keys::update_key_description,
        blocking, [], "Replaces a key's description.";
});
