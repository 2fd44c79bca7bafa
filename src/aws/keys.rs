//! Key lifecycle: CreateKey, DescribeKey, ListKeys, EnableKey, DisableKey,
//! ScheduleKeyDeletion, CancelKeyDeletion, UpdateKeyDescription.

use schemars::JsonSchema;
use serde::Serialize;

use super::RULES;
use super::error::{AwsError, Exception};
use super::members::{Bool, GrantTokens, Int, Refused, Str, TagList, members};
use super::wire::{self, AnyKey, KeyMetadata, KeyOnly, Scope};
use crate::model::{KeySpec, KeyUsage, Origin, ProtectionLevel};
use crate::service::{CreateKeyInput, Error, Kms};

/// An empty answer (`{}`).
#[derive(Debug, Clone, Copy, Default, Serialize, JsonSchema)]
pub struct Empty {}

/// A domain error about the key `arg` names.
pub fn fail<const A: bool>(arg: &wire::KeyArg<A>, scope: &Scope) -> impl Fn(Error) -> AwsError {
    let arn = arg.arn(scope);
    move |e| AwsError::from_service(e, &arn)
}

members! {
    /// CreateKey's members.
    pub struct CreateKeyRequest {
        /// A key policy (JSON, at most 32 KB): stored and returned by GetKeyPolicy, not
        /// enforced yet [default: the default key policy].
        policy: Option<Str<1, 131_072>> = "Policy",
        /// Free text.
        description: Option<Str<0, 8192>> = "Description",
        /// [default: ENCRYPT_DECRYPT]; each spec allows the usages AWS documents.
        key_usage: Option<wire::KeyUsage> = "KeyUsage",
        /// [default: SYMMETRIC_DEFAULT]; every spec but ECC_NIST_EDWARDS25519.
        key_spec: Option<wire::KeySpec> = "KeySpec",
        /// The deprecated name of KeySpec.
        customer_master_key_spec: Option<wire::KeySpec> = "CustomerMasterKeySpec",
        /// `EXTERNAL` for bring-your-own-key [default: AWS_KMS].
        origin: Option<wire::Origin> = "Origin",
        /// Refused when true: qkms has no multi-Region keys.
        multi_region: Bool = "MultiRegion",
        /// Refused: qkms has no custom key stores.
        custom_key_store_id: Refused = "CustomKeyStoreId",
        /// Refused: qkms has no external key stores.
        xks_key_id: Refused = "XksKeyId",
        /// Accepted: qkms has no principals yet, so no policy can lock anyone out.
        bypass_policy_lockout_safety_check: Bool = "BypassPolicyLockoutSafetyCheck",
        /// At most 50 tags.
        tags: Option<TagList> = "Tags",
    }
}

/// CreateKey's and DescribeKey's answer.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct KeyMetadataResponse {
    /// The key.
    #[serde(rename = "KeyMetadata")]
    pub key_metadata: KeyMetadata,
}

fn unsupported(message: impl Into<String>) -> AwsError {
    AwsError::new(Exception::UnsupportedOperation, message)
}

/// What CreateKey makes: the core's spec, usage and origin.
struct Kind {
    spec: KeySpec,
    usage: KeyUsage,
    origin: Origin,
}

/// The spec and usage a request asks for. KeyUsage defaults to ENCRYPT_DECRYPT, as the
/// model says; AWS documents it as required for the specs that do not allow that usage,
/// so leaving it out for one of those is the same `ValidationException` as a usage the
/// spec does not allow.
fn spec_and_usage(req: &CreateKeyRequest) -> Result<(KeySpec, KeyUsage), AwsError> {
    if let (Some(a), Some(b)) = (req.key_spec, req.customer_master_key_spec)
        && a != b
    {
        return Err(AwsError::new(
            Exception::Validation,
            "KeySpec and CustomerMasterKeySpec must not differ.",
        ));
    }
    let wire_spec = req
        .key_spec
        .or(req.customer_master_key_spec)
        .unwrap_or(wire::KeySpec::SymmetricDefault);
    let spec = wire_spec.model().ok_or_else(|| {
        unsupported(format!(
            "KeySpec {} is not supported by qkms (its core has no Ed25519 keys).",
            wire_spec.as_str()
        ))
    })?;
    let usage = req.key_usage.unwrap_or(wire::KeyUsage::EncryptDecrypt);
    if !spec.usages().contains(&usage.model()) {
        let allowed: Vec<&str> = spec
            .usages()
            .iter()
            .map(|u| wire::KeyUsage::of(*u).as_str())
            .collect();
        let given = if req.key_usage.is_some() {
            format!("KeyUsage {}", usage.as_str())
        } else {
            "no KeyUsage (ENCRYPT_DECRYPT by default)".to_owned()
        };
        return Err(AwsError::new(
            Exception::Validation,
            format!(
                "{} keys take KeyUsage {}; the request has {given}.",
                wire_spec.as_str(),
                allowed.join(" or ")
            ),
        ));
    }
    Ok((spec, usage.model()))
}

/// The kind of key the request asks for, or why qkms does not make it.
fn check_kind(req: &CreateKeyRequest) -> Result<Kind, AwsError> {
    let (spec, usage) = spec_and_usage(req)?;
    let origin = match req.origin.unwrap_or(wire::Origin::AwsKms) {
        wire::Origin::AwsKms => Origin::Kms,
        wire::Origin::External => Origin::External,
        other => {
            return Err(unsupported(format!(
                "Origin {} needs a custom key store, which qkms does not have.",
                other.as_str()
            )));
        }
    };
    // AWS imports symmetric, HMAC, RSA, ECC and SM2 material; it documents no import of
    // ML-DSA or ML-KEM material.
    if origin == Origin::External
        && matches!(
            spec,
            KeySpec::MlDsa44
                | KeySpec::MlDsa65
                | KeySpec::MlDsa87
                | KeySpec::MlKem512
                | KeySpec::MlKem768
                | KeySpec::MlKem1024
        )
    {
        return Err(unsupported(format!(
            "Origin EXTERNAL is not supported for {} keys.",
            wire::key_spec_name(spec)
        )));
    }
    if req.multi_region.0 {
        return Err(unsupported("Multi-Region keys are not supported by qkms."));
    }
    if req.custom_key_store_id.0 || req.xks_key_id.0 {
        return Err(unsupported("Custom key stores are not supported by qkms."));
    }
    Ok(Kind {
        spec,
        usage,
        origin,
    })
}

/// CreateKey.
///
/// # Errors
/// The exception to render.
pub fn create_key(
    req: CreateKeyRequest,
    kms: &Kms,
    scope: &Scope,
) -> Result<KeyMetadataResponse, AwsError> {
    let kind = check_kind(&req)?;
    if let Some(policy) = &req.policy {
        super::policy::policy_chars("Policy", &policy.0)?;
    }
    let tags = req.tags.map(|t| t.0).unwrap_or_default();
    if tags.len() > RULES.max_tags {
        return Err(AwsError::from_service(
            Error::TooManyTags {
                max: RULES.max_tags,
            },
            "",
        ));
    }
    let key = kms
        .create_key(CreateKeyInput {
            spec: kind.spec,
            usage: kind.usage,
            origin: kind.origin,
            protection_level: ProtectionLevel::Software,
            description: req.description.map(|d| d.0).unwrap_or_default(),
            enable_automatic_rotation: false,
            rotation_interval: None,
            tags,
            policy: req.policy.map(|p| p.0),
        })
        .map_err(|e| AwsError::from_service(e, ""))?;
    Ok(KeyMetadataResponse {
        key_metadata: KeyMetadata::of(&key, scope),
    })
}

members! {
    /// DescribeKey's members.
    pub struct DescribeKeyRequest {
        /// The key.
        key_id: AnyKey = "KeyId",
        /// 0 to 10 grant tokens: accepted, not enforced.
        grant_tokens: GrantTokens = "GrantTokens",
    }
}

impl super::crypto::HotKey for DescribeKeyRequest {
    fn is_hot(&self, kms: &Kms) -> bool {
        super::crypto::hot(&self.key_id, kms)
    }
}

/// DescribeKey.
///
/// # Errors
/// The exception to render.
pub fn describe_key(
    req: DescribeKeyRequest,
    kms: &Kms,
    scope: &Scope,
) -> Result<KeyMetadataResponse, AwsError> {
    let key = kms
        .describe_key(&req.key_id.key_ref(scope)?)
        .map_err(fail(&req.key_id, scope))?;
    Ok(KeyMetadataResponse {
        key_metadata: KeyMetadata::of(&key, scope),
    })
}

/// A `Marker`: the position of the next item, as qkms writes it in `NextMarker`.
fn offset(marker: Option<&Str<1, 1024>>) -> Result<usize, AwsError> {
    marker.map_or(Ok(0), |m| {
        m.0.parse::<usize>()
            .map_err(|_| AwsError::new(Exception::InvalidMarker, "The marker is not valid."))
    })
}

/// The page's `Truncated` and `NextMarker`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct More {
    /// True when more items follow.
    #[serde(rename = "Truncated")]
    pub truncated: bool,
    /// Where the next page starts (give it as `Marker`).
    #[serde(rename = "NextMarker", skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<String>,
}

impl More {
    /// After `shown` items from `offset` of `total`.
    #[must_use]
    pub fn after(offset: usize, shown: usize, total: usize) -> Self {
        let next = offset.saturating_add(shown);
        Self {
            truncated: next < total,
            next_marker: (next < total).then(|| next.to_string()),
        }
    }
}

/// A page request's `Marker` and `Limit`, with the operation's default limit.
pub fn page(
    marker: Option<&Str<1, 1024>>,
    limit: Option<i64>,
    default: usize,
) -> Result<(usize, usize), AwsError> {
    let limit = limit.map_or(default, |l| usize::try_from(l).unwrap_or(1));
    Ok((offset(marker)?, limit))
}

members! {
    /// ListKeys' members.
    pub struct ListKeysRequest {
        /// Keys per page [default: 100].
        limit: Option<Int<1, 1000>> = "Limit",
        /// The `NextMarker` of the previous page.
        marker: Option<Str<1, 1024>> = "Marker",
    }
}

/// One listed key.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ListedKey {
    /// The key ID.
    #[serde(rename = "KeyId")]
    pub key_id: String,
    /// Its ARN.
    #[serde(rename = "KeyArn")]
    pub key_arn: String,
}

/// ListKeys' answer.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ListKeysResponse {
    /// The page.
    #[serde(rename = "Keys")]
    pub keys: Vec<ListedKey>,
    /// Whether more follow.
    #[serde(flatten)]
    pub more: More,
}

/// ListKeys.
///
/// # Errors
/// The exception to render.
pub fn list_keys(
    req: ListKeysRequest,
    kms: &Kms,
    scope: &Scope,
) -> Result<ListKeysResponse, AwsError> {
    let (offset, limit) = page(req.marker.as_ref(), req.limit.map(|l| l.0), 100)?;
    let page = kms
        .list_keys(offset, limit)
        .map_err(|e| AwsError::from_service(e, ""))?;
    let keys: Vec<ListedKey> = page
        .items
        .iter()
        .map(|k| ListedKey {
            key_id: k.key_id.clone(),
            key_arn: scope.key_arn(&k.key_id),
        })
        .collect();
    let more = More::after(offset, keys.len(), page.total);
    Ok(ListKeysResponse { keys, more })
}

members! {
    /// A request that names one key by ID or key ARN.
    pub struct KeyRequest {
        /// The key.
        key_id: KeyOnly = "KeyId",
    }
}

/// EnableKey.
///
/// # Errors
/// The exception to render.
pub fn enable_key(req: KeyRequest, kms: &Kms, scope: &Scope) -> Result<Empty, AwsError> {
    kms.enable_key(&req.key_id.key_ref(scope)?)
        .map_err(fail(&req.key_id, scope))?;
    Ok(Empty {})
}

/// DisableKey.
///
/// # Errors
/// The exception to render.
pub fn disable_key(req: KeyRequest, kms: &Kms, scope: &Scope) -> Result<Empty, AwsError> {
    kms.disable_key(&req.key_id.key_ref(scope)?)
        .map_err(fail(&req.key_id, scope))?;
    Ok(Empty {})
}

members! {
    /// ScheduleKeyDeletion's members.
    pub struct ScheduleKeyDeletionRequest {
        /// The key.
        key_id: KeyOnly = "KeyId",
        /// Days until deletion, 7 to 30 [default: 30].
        pending_window_in_days: Option<Int<1, 365>> = "PendingWindowInDays",
    }
}

/// ScheduleKeyDeletion's answer.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ScheduleKeyDeletionResponse {
    /// The key ARN.
    #[serde(rename = "KeyId")]
    pub key_id: String,
    /// When it will be deleted, epoch seconds.
    #[serde(rename = "DeletionDate")]
    pub deletion_date: i64,
    /// `PendingDeletion`.
    #[serde(rename = "KeyState")]
    pub key_state: &'static str,
    /// The window.
    #[serde(rename = "PendingWindowInDays")]
    pub pending_window_in_days: i64,
}

/// ScheduleKeyDeletion.
///
/// # Errors
/// The exception to render.
pub fn schedule_key_deletion(
    req: ScheduleKeyDeletionRequest,
    kms: &Kms,
    scope: &Scope,
) -> Result<ScheduleKeyDeletionResponse, AwsError> {
    let days = req.pending_window_in_days.map_or(30, |d| d.0);
    if !(7..=30).contains(&days) {
        return Err(AwsError::validation(
            "PendingWindowInDays",
            "Member must have value between 7 and 30",
        ));
    }
    let key = kms
        .schedule_key_deletion(&req.key_id.key_ref(scope)?, days)
        .map_err(fail(&req.key_id, scope))?;
    Ok(ScheduleKeyDeletionResponse {
        key_id: scope.key_arn(&key.key_id),
        deletion_date: key.delete_date.unwrap_or_default(),
        key_state: wire::KeyState::from(key.state).as_str(),
        pending_window_in_days: days,
    })
}

/// CancelKeyDeletion's answer.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct CancelKeyDeletionResponse {
    /// The key ARN.
    #[serde(rename = "KeyId")]
    pub key_id: String,
}

/// CancelKeyDeletion: the key comes back Disabled (PendingImport without material).
///
/// # Errors
/// The exception to render.
pub fn cancel_key_deletion(
    req: KeyRequest,
    kms: &Kms,
    scope: &Scope,
) -> Result<CancelKeyDeletionResponse, AwsError> {
    let key = kms
        .cancel_key_deletion(&req.key_id.key_ref(scope)?, &RULES)
        .map_err(fail(&req.key_id, scope))?;
    Ok(CancelKeyDeletionResponse {
        key_id: scope.key_arn(&key.key_id),
    })
}

members! {
    /// UpdateKeyDescription's members.
    pub struct UpdateKeyDescriptionRequest {
        /// The key.
        key_id: KeyOnly = "KeyId",
        /// The new description (may be empty).
        description: Str<0, 8192> = "Description",
    }
}

/// UpdateKeyDescription.
///
/// # Errors
/// The exception to render.
pub fn update_key_description(
    req: UpdateKeyDescriptionRequest,
    kms: &Kms,
    scope: &Scope,
) -> Result<Empty, AwsError> {
    kms.update_key_description(&req.key_id.key_ref(scope)?, &req.description.0, &RULES)
        .map_err(fail(&req.key_id, scope))?;
    Ok(Empty {})
}

crate::protocol::family!($ keys_actions {
    CreateKey(keys::CreateKeyRequest => keys::KeyMetadataResponse) = keys::create_key,
        blocking, [], "Creates a key (symmetric, HMAC, RSA, ECC, SM2, ML-DSA, ML-KEM): with generated material, or EXTERNAL to import your own.";
    DescribeKey(keys::DescribeKeyRequest => keys::KeyMetadataResponse) = keys::describe_key,
        hot, [], "Describes a key in its current state.";
    ListKeys(keys::ListKeysRequest => keys::ListKeysResponse) = keys::list_keys,
        blocking, [], "Lists keys, a page at a time.";
    EnableKey(keys::KeyRequest => keys::Empty) = keys::enable_key,
        blocking, [], "Enables a Disabled key.";
    DisableKey(keys::KeyRequest => keys::Empty) = keys::disable_key,
        blocking, [], "Disables a key: it can no longer encrypt or decrypt.";
    ScheduleKeyDeletion(keys::ScheduleKeyDeletionRequest => keys::ScheduleKeyDeletionResponse) = keys::schedule_key_deletion,
        blocking, [], "Schedules a key's deletion after a window of 7 to 30 days.";
    CancelKeyDeletion(keys::KeyRequest => keys::CancelKeyDeletionResponse) = keys::cancel_key_deletion,
        blocking, [], "Cancels a scheduled deletion; the key comes back Disabled.";
    UpdateKeyDescription(keys::UpdateKeyDescriptionRequest => keys::Empty) = keys::update_key_description,
        blocking, [], "Replaces a key's description.";
});
