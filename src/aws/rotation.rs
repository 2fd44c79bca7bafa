//! Key rotation: EnableKeyRotation, DisableKeyRotation, GetKeyRotationStatus,
//! RotateKeyOnDemand, ListKeyRotations. The versions are the same ones the Aliyun API
//! lists (ListKeyVersions), driven by the same clock.

use schemars::JsonSchema;
use serde::Serialize;

use super::RULES;
use super::error::{AwsError, Exception};
use super::import::ExpirationModel;
use super::keys::{Empty, More, fail, page};
use super::members::{Int, Str, enum_member, members};
use super::wire::{KeyOnly, Scope};
use crate::enums::closed_enum;
use crate::model::{KeyRecord, Origin, RotationKind};
use crate::service::{DEFAULT_ROTATION_INTERVAL, Kms, OnDemandLimit};

/// Most on-demand rotations of one key (AWS's quota).
pub const MAX_ON_DEMAND_ROTATIONS: usize = 25;
const DAY: i64 = 86_400;

members! {
    /// EnableKeyRotation's members.
    pub struct EnableKeyRotationRequest {
        /// The key (ID or ARN); a symmetric key of origin AWS_KMS.
        key_id: KeyOnly = "KeyId",
        /// Days between rotations, 90 to 2560 [default: 365].
        rotation_period_in_days: Option<Int<90, 2560>> = "RotationPeriodInDays",
    }
}

/// Refuses key pairs and HMAC keys, which AWS rotates neither automatically nor on demand.
fn symmetric_key(kms: &Kms, key_id: &KeyOnly, scope: &Scope) -> Result<KeyRecord, AwsError> {
    let key = kms
        .describe_key(&key_id.key_ref(scope)?)
        .map_err(fail(key_id, scope))?;
    if key.spec.is_symmetric() {
        Ok(key)
    } else {
        Err(AwsError::new(
            Exception::UnsupportedOperation,
            format!(
                "{} is a {} key: only symmetric encryption keys rotate.",
                scope.key_arn(&key.key_id),
                super::wire::key_spec_name(key.spec)
            ),
        ))
    }
}

/// EnableKeyRotation: the first rotation is one period from now.
///
/// # Errors
/// The exception to render.
pub fn enable_key_rotation(
    req: EnableKeyRotationRequest,
    kms: &Kms,
    scope: &Scope,
) -> Result<Empty, AwsError> {
    let period = req
        .rotation_period_in_days
        .map_or(DEFAULT_ROTATION_INTERVAL, |d| d.0.saturating_mul(DAY));
    symmetric_key(kms, &req.key_id, scope)?;
    kms.set_rotation(&req.key_id.key_ref(scope)?, Some(period), &RULES)
        .map_err(fail(&req.key_id, scope))?;
    Ok(Empty {})
}

members! {
    /// A request that names one key by ID or key ARN.
    pub struct RotationKeyRequest {
        /// The key.
        key_id: KeyOnly = "KeyId",
    }
}

/// DisableKeyRotation.
///
/// # Errors
/// The exception to render.
pub fn disable_key_rotation(
    req: RotationKeyRequest,
    kms: &Kms,
    scope: &Scope,
) -> Result<Empty, AwsError> {
    symmetric_key(kms, &req.key_id, scope)?;
    kms.set_rotation(&req.key_id.key_ref(scope)?, None, &RULES)
        .map_err(fail(&req.key_id, scope))?;
    Ok(Empty {})
}

/// GetKeyRotationStatus' answer.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct GetKeyRotationStatusResponse {
    /// The key ARN.
    #[serde(rename = "KeyId")]
    pub key_id: String,
    /// Whether automatic rotation is enabled.
    #[serde(rename = "KeyRotationEnabled")]
    pub key_rotation_enabled: bool,
    /// Days between rotations, when enabled.
    #[serde(
        rename = "RotationPeriodInDays",
        skip_serializing_if = "Option::is_none"
    )]
    pub rotation_period_in_days: Option<i64>,
    /// When the next automatic rotation is due, when enabled (epoch seconds).
    #[serde(rename = "NextRotationDate", skip_serializing_if = "Option::is_none")]
    pub next_rotation_date: Option<i64>,
}

/// GetKeyRotationStatus. An on-demand rotation completes within its request here, so
/// `OnDemandRotationStartDate` (an on-demand rotation in progress) never appears.
///
/// # Errors
/// The exception to render.
pub fn get_key_rotation_status(
    req: RotationKeyRequest,
    kms: &Kms,
    scope: &Scope,
) -> Result<GetKeyRotationStatusResponse, AwsError> {
    let key = symmetric_key(kms, &req.key_id, scope)?;
    Ok(GetKeyRotationStatusResponse {
        key_id: scope.key_arn(&key.key_id),
        key_rotation_enabled: key.rotation.is_some(),
        rotation_period_in_days: key.rotation.map(|r| r.interval / DAY),
        next_rotation_date: key.rotation.map(|r| r.next),
    })
}

/// RotateKeyOnDemand's answer.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct RotateKeyOnDemandResponse {
    /// The key ARN.
    #[serde(rename = "KeyId")]
    pub key_id: String,
}

/// RotateKeyOnDemand: a new primary version at once (for an EXTERNAL key, its imported
/// material pending rotation); at most 25 per key.
///
/// # Errors
/// The exception to render.
pub fn rotate_key_on_demand(
    req: RotationKeyRequest,
    kms: &Kms,
    scope: &Scope,
) -> Result<RotateKeyOnDemandResponse, AwsError> {
    let limit = OnDemandLimit::MaxRotations(MAX_ON_DEMAND_ROTATIONS);
    symmetric_key(kms, &req.key_id, scope)?;
    let key = kms
        .rotate_on_demand(&req.key_id.key_ref(scope)?, limit)
        .map_err(fail(&req.key_id, scope))?;
    Ok(RotateKeyOnDemandResponse {
        key_id: scope.key_arn(&key.key_id),
    })
}

closed_enum! {
    /// `IncludeKeyMaterial` of ListKeyRotations.
    pub enum IncludeKeyMaterial {
        /// Every material: the first, the rotations, and imported material pending rotation.
        All = "ALL_KEY_MATERIAL",
        /// The materials rotations made (the default).
        RotationsOnly = "ROTATIONS_ONLY",
    }
}
enum_member!(IncludeKeyMaterial);

members! {
    /// ListKeyRotations' members.
    pub struct ListKeyRotationsRequest {
        /// The key (ID or ARN).
        key_id: KeyOnly = "KeyId",
        /// Which materials [default: ROTATIONS_ONLY].
        include_key_material: Option<IncludeKeyMaterial> = "IncludeKeyMaterial",
        /// Entries per page [default: 100].
        limit: Option<Int<1, 1000>> = "Limit",
        /// The `NextMarker` of the previous page.
        marker: Option<Str<1, 1024>> = "Marker",
    }
}

/// One material of a key.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct RotationsListEntry {
    /// The key ID.
    #[serde(rename = "KeyId")]
    pub key_id: String,
    /// The material's identifier.
    #[serde(rename = "KeyMaterialId", skip_serializing_if = "Option::is_none")]
    pub key_material_id: Option<String>,
    /// The caller's description of imported material.
    #[serde(
        rename = "KeyMaterialDescription",
        skip_serializing_if = "Option::is_none"
    )]
    pub key_material_description: Option<String>,
    /// `IMPORTED` or `PENDING_IMPORT` (EXTERNAL keys).
    #[serde(rename = "ImportState", skip_serializing_if = "Option::is_none")]
    pub import_state: Option<&'static str>,
    /// `CURRENT`, `NON_CURRENT` or `PENDING_ROTATION`.
    #[serde(rename = "KeyMaterialState")]
    pub key_material_state: &'static str,
    /// For imported material: whether it expires.
    #[serde(rename = "ExpirationModel", skip_serializing_if = "Option::is_none")]
    pub expiration_model: Option<&'static str>,
    /// For imported material that expires: when (epoch seconds).
    #[serde(rename = "ValidTo", skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<i64>,
    /// When the material became current by rotation (epoch seconds).
    #[serde(rename = "RotationDate", skip_serializing_if = "Option::is_none")]
    pub rotation_date: Option<i64>,
    /// `AUTOMATIC` or `ON_DEMAND`, for materials rotations made.
    #[serde(rename = "RotationType", skip_serializing_if = "Option::is_none")]
    pub rotation_type: Option<&'static str>,
}

/// ListKeyRotations' answer.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ListKeyRotationsResponse {
    /// The page, oldest first.
    #[serde(rename = "Rotations")]
    pub rotations: Vec<RotationsListEntry>,
    /// Whether more follow.
    #[serde(flatten)]
    pub more: More,
}

fn entry(key: &KeyRecord, index: usize) -> Option<RotationsListEntry> {
    let v = key.versions.get(index)?;
    let primary = key.primary_index();
    let external = key.origin == Origin::External;
    let imported = v.sealed_material.is_some();
    Some(RotationsListEntry {
        key_id: key.key_id.clone(),
        key_material_id: key.material_id(index),
        key_material_description: v.material_description.clone(),
        import_state: external.then_some(if imported {
            "IMPORTED"
        } else {
            "PENDING_IMPORT"
        }),
        key_material_state: match index.cmp(&primary) {
            std::cmp::Ordering::Less => "NON_CURRENT",
            std::cmp::Ordering::Equal => "CURRENT",
            std::cmp::Ordering::Greater => "PENDING_ROTATION",
        },
        expiration_model: (external && imported)
            .then_some(ExpirationModel::of(key.material_expire).as_str()),
        valid_to: key.material_expire.filter(|_| external && imported),
        rotation_date: v.rotation.map(|_| v.created),
        rotation_type: v.rotation.map(|r| match r {
            RotationKind::Automatic => "AUTOMATIC",
            RotationKind::OnDemand => "ON_DEMAND",
        }),
    })
}

/// ListKeyRotations.
///
/// # Errors
/// The exception to render.
pub fn list_key_rotations(
    req: ListKeyRotationsRequest,
    kms: &Kms,
    scope: &Scope,
) -> Result<ListKeyRotationsResponse, AwsError> {
    let (offset, limit) = page(req.marker.as_ref(), req.limit.map(|l| l.0), 100)?;
    let key = symmetric_key(kms, &req.key_id, scope)?;
    let all = req.include_key_material == Some(IncludeKeyMaterial::All);
    let chosen: Vec<usize> = (0..key.versions.len())
        .filter(|&i| all || key.versions.get(i).is_some_and(|v| v.rotation.is_some()))
        .collect();
    let rotations: Vec<RotationsListEntry> = chosen
        .iter()
        .skip(offset)
        .take(limit)
        .filter_map(|&i| entry(&key, i))
        .collect();
    let more = More::after(offset, rotations.len(), chosen.len());
    Ok(ListKeyRotationsResponse { rotations, more })
}

crate::protocol::family!($ rotation_actions {
    EnableKeyRotation(rotation::EnableKeyRotationRequest => keys::Empty) = rotation::enable_key_rotation,
        blocking, [], "Enables automatic rotation, every 90 to 2560 days (default 365).";
    DisableKeyRotation(rotation::RotationKeyRequest => keys::Empty) = rotation::disable_key_rotation,
        blocking, [], "Disables automatic rotation.";
    GetKeyRotationStatus(rotation::RotationKeyRequest => rotation::GetKeyRotationStatusResponse) = rotation::get_key_rotation_status,
        blocking, [], "Tells whether a key rotates automatically, how often and when next.";
    RotateKeyOnDemand(rotation::RotationKeyRequest => rotation::RotateKeyOnDemandResponse) = rotation::rotate_key_on_demand,
        blocking, [], "Rotates a key now (an EXTERNAL key: to its imported material pending rotation).";
    ListKeyRotations(rotation::ListKeyRotationsRequest => rotation::ListKeyRotationsResponse) = rotation::list_key_rotations,
        blocking, [], "Lists a key's materials: its rotations, or all with IncludeKeyMaterial.";
});
