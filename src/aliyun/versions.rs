//! Key versions, rotation and deletion protection: CreateKeyVersion, DescribeKeyVersion,
//! ListKeyVersions, UpdateRotationPolicy, SetDeletionProtection.

use schemars::JsonSchema;
use serde::Serialize;

use super::RULES;
use super::error::{AliyunError, ErrorCode};
use super::fields::{Field, Flag, PageNumber, Ranged, params};
use super::keys::{Empty, offset, paging};
use super::params::Params;
use super::wire;
use crate::clock::iso8601;
use crate::model::{KeyRecord, KeyVersion};
use crate::service::{Kms, OnDemandLimit};

/// Shortest interval between two versions of a key (CreateKeyVersion), and shortest
/// rotation interval: 7 days.
pub const MIN_INTERVAL: i64 = 7 * 86_400;
/// Longest rotation interval: 365 days.
pub const MAX_INTERVAL: i64 = 365 * 86_400;

/// `RotationInterval`: an integer with a unit, `<n>d`, `<n>h`, `<n>m` or `<n>s`, between 7
/// and 365 days; in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, JsonSchema)]
#[schemars(transparent)]
pub struct Interval(#[schemars(with = "IntervalSchema")] pub i64);

/// The schema of [`Interval`] (a pattern).
#[derive(JsonSchema)]
#[schemars(extend("pattern" = "^[0-9]+[dhms]$", "examples" = ["30d", "604800s"]))]
struct IntervalSchema(#[allow(dead_code)] String);

impl Interval {
    /// Parses `<n>d|h|m|s`: the clock's duration grammar, with the unit required and no
    /// sign.
    #[must_use]
    pub fn parse(raw: &str) -> Option<i64> {
        let raw = raw.trim();
        let unsigned = raw.starts_with(|c: char| c.is_ascii_digit());
        let with_unit = raw.ends_with(['d', 'h', 'm', 's']);
        (unsigned && with_unit)
            .then(|| crate::clock::parse_duration(raw))
            .flatten()
    }
}

impl Field for Interval {
    fn field(p: &Params, name: &'static str) -> Result<Self, AliyunError> {
        let raw = String::field(p, name)?;
        match Self::parse(&raw) {
            Some(secs) if (MIN_INTERVAL..=MAX_INTERVAL).contains(&secs) => Ok(Self(secs)),
            Some(_) => Err(AliyunError::invalid_because(
                name,
                "It must be between 7 days and 365 days (604800s to 31536000s).",
            )),
            None => Err(AliyunError::invalid_because(
                name,
                "It must be an integer followed by d, h, m or s, such as 30d or 604800s.",
            )),
        }
    }
}

/// `RotationInterval` as the service reports it: seconds with an `s` suffix.
#[must_use]
pub fn interval_text(secs: i64) -> String {
    format!("{secs}s")
}

/// One key version on the wire.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct KeyVersionInfo {
    /// The key ID.
    pub key_id: String,
    /// The version ID.
    pub key_version_id: String,
    /// When the version was made (for imported material: when it became usable).
    #[schemars(extend("format" = "date-time"))]
    pub creation_date: String,
}

impl KeyVersionInfo {
    fn of(key: &KeyRecord, v: &KeyVersion) -> Self {
        Self {
            key_id: key.key_id.clone(),
            key_version_id: v.id.clone(),
            creation_date: iso8601(v.created),
        }
    }
}

/// An answer holding one version.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct KeyVersionResponse {
    /// The version.
    pub key_version: KeyVersionInfo,
}

params! {
    /// CreateKeyVersion's parameters.
    pub struct CreateKeyVersionRequest {
        /// The key (ID, ARN or alias); an Enabled key of origin Aliyun_KMS.
        key_id: String = "KeyId",
    }
}

/// CreateKeyVersion: a new version with fresh material, which becomes primary (a manual
/// rotation). At most one every 7 days.
///
/// # Errors
/// The Aliyun error to render.
pub fn create_key_version(
    req: CreateKeyVersionRequest,
    kms: &Kms,
) -> Result<KeyVersionResponse, AliyunError> {
    let key_ref = wire::key_ref(&req.key_id, kms.scope())?;
    let key = kms.describe_key(&key_ref)?;
    if key.origin != crate::model::Origin::Kms {
        return Err(crate::service::Error::UnsupportedOrigin { origin: key.origin }.into());
    }
    // HMAC keys do not rotate (the crypto sheet, §1.12): GenerateMac names no version.
    if key.spec.is_hmac() {
        return Err(crate::service::Error::Unsupported(format!(
            "{} keys have one version and do not rotate",
            key.spec.as_str()
        ))
        .into());
    }
    let key = kms.rotate_on_demand(&key_ref, OnDemandLimit::MinInterval(MIN_INTERVAL))?;
    let v = key
        .primary()
        .ok_or_else(|| AliyunError::internal("a rotated key without its primary version"))?;
    Ok(KeyVersionResponse {
        key_version: KeyVersionInfo::of(&key, v),
    })
}

params! {
    /// DescribeKeyVersion's parameters.
    pub struct DescribeKeyVersionRequest {
        /// The key (ID, ARN or alias).
        key_id: String = "KeyId",
        /// The version.
        key_version_id: String = "KeyVersionId",
    }
}

/// DescribeKeyVersion.
///
/// # Errors
/// The Aliyun error to render.
pub fn describe_key_version(
    req: DescribeKeyVersionRequest,
    kms: &Kms,
) -> Result<KeyVersionResponse, AliyunError> {
    let key_ref = wire::key_ref(&req.key_id, kms.scope())?;
    let (key, v) = kms.describe_key_version(&key_ref, &req.key_version_id)?;
    Ok(KeyVersionResponse {
        key_version: KeyVersionInfo::of(&key, &v),
    })
}

params! {
    /// ListKeyVersions' parameters.
    pub struct ListKeyVersionsRequest {
        /// The key (ID, ARN or alias).
        key_id: String = "KeyId",
        /// The page, from 1 [default: 1].
        page_number: Option<PageNumber> = "PageNumber",
        /// Versions per page [default: 10].
        page_size: Option<Ranged<1, 100>> = "PageSize",
    }
}

/// The wrapped list of versions (`{"KeyVersion": [...]}`).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct KeyVersions {
    /// The versions of the page.
    #[serde(rename = "KeyVersion")]
    pub key_version: Vec<KeyVersionInfo>,
}

/// ListKeyVersions' answer.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct ListKeyVersionsResponse {
    /// The page, oldest version first.
    pub key_versions: KeyVersions,
    /// Versions in all pages.
    pub total_count: usize,
    /// This page's number.
    pub page_number: usize,
    /// The page size.
    pub page_size: usize,
}

/// ListKeyVersions: every version, oldest first.
///
/// # Errors
/// The Aliyun error to render.
pub fn list_key_versions(
    req: ListKeyVersionsRequest,
    kms: &Kms,
) -> Result<ListKeyVersionsResponse, AliyunError> {
    let key = kms.describe_key(&wire::key_ref(&req.key_id, kms.scope())?)?;
    let (number, size) = paging(req.page_number, req.page_size);
    let key_version = key
        .versions
        .iter()
        .skip(offset(number, size))
        .take(size)
        .map(|v| KeyVersionInfo::of(&key, v))
        .collect();
    Ok(ListKeyVersionsResponse {
        key_versions: KeyVersions { key_version },
        total_count: key.versions.len(),
        page_number: number,
        page_size: size,
    })
}

/// A required boolean: `true`/`false` in any case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, JsonSchema)]
#[schemars(transparent)]
pub struct RequiredFlag(pub bool);

impl Field for RequiredFlag {
    fn field(p: &Params, name: &'static str) -> Result<Self, AliyunError> {
        // Present (`MissingParameter` otherwise), then read as any flag.
        String::field(p, name)?;
        Flag::field(p, name).map(|f| Self(f.0))
    }
}

params! {
    /// UpdateRotationPolicy's parameters.
    pub struct UpdateRotationPolicyRequest {
        /// The key (ID, ARN or alias); of origin Aliyun_KMS.
        key_id: String = "KeyId",
        /// Whether the key rotates automatically.
        enable_automatic_rotation: RequiredFlag = "EnableAutomaticRotation",
        /// `<n>d|h|m|s`, 7 days to 365 days [default when enabling: 365d].
        rotation_interval: Option<Interval> = "RotationInterval",
    }
}

/// UpdateRotationPolicy: the next rotation is one interval from now.
///
/// # Errors
/// The Aliyun error to render.
pub fn update_rotation_policy(
    req: UpdateRotationPolicyRequest,
    kms: &Kms,
) -> Result<Empty, AliyunError> {
    let key = wire::key_ref(&req.key_id, kms.scope())?;
    // Key pairs and HMAC keys do not rotate automatically (the crypto sheet, §1.8, §1.12).
    if req.enable_automatic_rotation.0 && !kms.describe_key(&key)?.spec.is_symmetric() {
        return Err(AliyunError::invalid_because(
            "EnableAutomaticRotation",
            "Only symmetric keys rotate automatically; make a new key pair version with CreateKeyVersion.",
        ));
    }
    let interval = req.enable_automatic_rotation.0.then(|| {
        req.rotation_interval
            .map_or(crate::service::DEFAULT_ROTATION_INTERVAL, |i| i.0)
    });
    kms.set_rotation(&key, interval, &RULES)?;
    Ok(Empty {})
}

params! {
    /// SetDeletionProtection's parameters.
    pub struct SetDeletionProtectionRequest {
        /// Whether ScheduleKeyDeletion is refused.
        enable_deletion_protection: RequiredFlag = "EnableDeletionProtection",
        /// Why (kept only when enabling).
        deletion_protection_description: Option<String> = "DeletionProtectionDescription",
        /// The key ARN (`acs:kms:<region>:<account>:key/<id>`); this or `KeyId`.
        protected_resource_arn: Option<String> = "ProtectedResourceArn",
        /// The key ID; this or `ProtectedResourceArn`.
        key_id: Option<String> = "KeyId",
        /// A KMS instance: qkms has none, so any value is `Forbidden.ResourceNotFound`.
        kms_instance_id: Option<String> = "KmsInstanceId",
    }
}

/// SetDeletionProtection.
///
/// # Errors
/// The Aliyun error to render.
pub fn set_deletion_protection(
    req: SetDeletionProtectionRequest,
    kms: &Kms,
) -> Result<Empty, AliyunError> {
    if let Some(instance) = req.kms_instance_id {
        return Err(AliyunError::new(
            ErrorCode::ResourceNotFound,
            format!(
                "The specified KmsInstanceId {instance:?} is not found; qkms has no KMS instances."
            ),
        ));
    }
    let named = match (&req.protected_resource_arn, &req.key_id) {
        (Some(arn), _) if !arn.starts_with("acs:kms:") => {
            return Err(AliyunError::invalid_because(
                "ProtectedResourceArn",
                "It must be a key ARN, acs:kms:<region>:<account>:key/<key-id>.",
            ));
        }
        (Some(arn), _) => arn,
        (None, Some(id)) => id,
        (None, None) => return Err(AliyunError::missing("ProtectedResourceArn")),
    };
    let key = wire::key_ref(named, kms.scope())?;
    let protection = req
        .enable_deletion_protection
        .0
        .then(|| req.deletion_protection_description.unwrap_or_default());
    kms.set_deletion_protection(&key, protection)?;
    Ok(Empty {})
}

crate::protocol::family!($ versions_actions {
    CreateKeyVersion(versions::CreateKeyVersionRequest => versions::KeyVersionResponse) = versions::create_key_version,
        blocking, [], "Creates a key version with fresh material, which becomes primary (at most one per 7 days).";
    DescribeKeyVersion(versions::DescribeKeyVersionRequest => versions::KeyVersionResponse) = versions::describe_key_version,
        blocking, [], "Describes one version of a key.";
    ListKeyVersions(versions::ListKeyVersionsRequest => versions::ListKeyVersionsResponse) = versions::list_key_versions,
        blocking, [], "Lists a key's versions, oldest first, a page at a time.";
    UpdateRotationPolicy(versions::UpdateRotationPolicyRequest => keys::Empty) = versions::update_rotation_policy,
        blocking, [], "Enables or disables automatic rotation, with its interval (7 to 365 days).";
    SetDeletionProtection(versions::SetDeletionProtectionRequest => keys::Empty) = versions::set_deletion_protection,
        blocking, [], "Enables or disables deletion protection: a protected key refuses ScheduleKeyDeletion.";
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_parse_with_their_unit() {
        assert_eq!(Interval::parse("7d"), Some(604_800));
        assert_eq!(Interval::parse("604800s"), Some(604_800));
        assert_eq!(Interval::parse("168h"), Some(604_800));
        assert_eq!(Interval::parse("10080m"), Some(604_800));
        for bad in [
            "",
            "d",
            "7",
            "7w",
            "-7d",
            "7.5d",
            " d",
            "99999999999999999999d",
        ] {
            assert_eq!(Interval::parse(bad), None, "{bad:?}");
        }
    }
}
