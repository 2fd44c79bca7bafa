//! Secrets, metadata and lifecycle: DescribeSecret, ListSecrets, UpdateSecret,
//! DeleteSecret, RestoreSecret, RotateSecret, UpdateSecretRotationPolicy, GetSecretPolicy,
//! SetSecretPolicy. Rotation of Generic secrets is qkms's own (the cloud rotates managed
//! types only): see `Kms::rotate_secret` for what a rotation writes.

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use super::error::AliyunError;
use super::fields::{Flag, PageNumber, Ranged, params};
use super::keys::{Empty, offset, paging};
use super::params::Params;
use super::secrets::{
    RULES, RotationFields, SecretInterval, SecretNameResponse, VersionId, secret_arn, secret_name,
};
use crate::clock::iso8601;
use crate::model::SecretRecord;
use crate::service::{Kms, RotationSettings};

/// The deletion window when none is given, in days.
const DEFAULT_WINDOW: i64 = 30;

params! {
    /// DescribeSecret's parameters.
    pub struct DescribeSecretRequest {
        /// The secret: its name or ARN.
        secret_name: String = "SecretName",
        /// Also its tags [default: false].
        fetch_tags: Flag = "FetchTags",
    }
}

/// One tag.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct SecretTag {
    /// The key.
    pub tag_key: String,
    /// The value.
    pub tag_value: String,
}

/// The wrapped list (`{"Tag": [...]}`).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SecretTags {
    /// The tags.
    #[serde(rename = "Tag")]
    pub tag: Vec<SecretTag>,
}

impl SecretTags {
    fn of(secret: &SecretRecord) -> Self {
        Self {
            tag: secret
                .tags
                .iter()
                .map(|(k, v)| SecretTag {
                    tag_key: k.clone(),
                    tag_value: v.clone(),
                })
                .collect(),
        }
    }
}

/// DescribeSecret's answer.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeSecretResponse {
    /// The secret's ARN.
    pub arn: String,
    /// The name.
    pub secret_name: String,
    /// `Generic`.
    pub secret_type: &'static str,
    /// Free text.
    pub description: String,
    /// When it was made.
    pub create_time: String,
    /// Its last change.
    pub update_time: String,
    /// The key that protects it (absent for the service-managed key).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption_key_id: Option<String>,
    /// While pending deletion: when it goes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub planned_delete_time: Option<String>,
    /// Its tags, with FetchTags.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<SecretTags>,
    /// Rotation, once configured.
    #[serde(flatten)]
    pub rotation: RotationFields,
}

/// DescribeSecret (pending deletion included).
///
/// # Errors
/// The Aliyun error to render.
pub fn describe_secret(
    req: DescribeSecretRequest,
    kms: &Kms,
) -> Result<DescribeSecretResponse, AliyunError> {
    let s = kms.describe_secret(&secret_name(&req.secret_name, kms.scope())?)?;
    Ok(DescribeSecretResponse {
        arn: secret_arn(kms.scope(), &s.name),
        secret_type: "Generic",
        description: s.description.clone(),
        create_time: iso8601(s.created),
        update_time: iso8601(s.updated),
        encryption_key_id: s.key_id.clone(),
        planned_delete_time: s.delete_date.map(iso8601),
        tags: req.fetch_tags.0.then(|| SecretTags::of(&s)),
        rotation: RotationFields::of(&s),
        secret_name: s.name,
    })
}

/// `Filters`: `[{"Key":"SecretName","Values":["a","b"]}]`, at most 10 keys of 10 values.
#[derive(Debug, Clone, Default, PartialEq, Eq, JsonSchema)]
#[schemars(transparent)]
pub struct Filters(pub Vec<(String, Vec<String>)>);

/// The keys a filter may name.
const FILTER_KEYS: [&str; 7] = [
    "SecretName",
    "Description",
    "TagKey",
    "TagValue",
    "SecretType",
    "DKMSInstanceId",
    "Creator",
];

impl super::fields::Field for Filters {
    const REQUIRED: bool = false;

    fn field(p: &Params, name: &'static str) -> Result<Self, AliyunError> {
        let Some(raw) = p.get(name).filter(|v| !v.is_empty()) else {
            return Ok(Self::default());
        };
        let bad = || {
            AliyunError::invalid_because(
                name,
                r#"It must be a JSON array of at most 10 filters like {"Key":"SecretName","Values":["db"]}, keys among SecretName, Description, TagKey, TagValue, SecretType, DKMSInstanceId, Creator."#,
            )
        };
        let Ok(Value::Array(items)) = crate::json::parse(raw.as_bytes()) else {
            return Err(bad());
        };
        if items.len() > 10 {
            return Err(bad());
        }
        let mut out = Vec::new();
        for item in items {
            let key = item.get("Key").and_then(Value::as_str).ok_or_else(bad)?;
            let Some(Value::Array(values)) = item.get("Values") else {
                return Err(bad());
            };
            let values = values
                .iter()
                .map(|v| v.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(bad)?;
            if !FILTER_KEYS.contains(&key) || values.is_empty() || values.len() > 10 {
                return Err(bad());
            }
            out.push((key.to_owned(), values));
        }
        Ok(Self(out))
    }
}

/// Whether `secret` passes every filter (values of one key ORed, keys ANDed; exact match,
/// `SecretType` case-insensitively).
fn matches(secret: &SecretRecord, filters: &Filters, account: &str) -> bool {
    filters.0.iter().all(|(key, values)| {
        values.iter().any(|v| match key.as_str() {
            "SecretName" => secret.name == *v,
            "Description" => secret.description == *v,
            "TagKey" => secret.tags.contains_key(v),
            "TagValue" => secret.tags.values().any(|t| t == v),
            "SecretType" => v.eq_ignore_ascii_case("Generic"),
            "Creator" => v == account,
            _ => false,
        })
    })
}

params! {
    /// ListSecrets' parameters.
    pub struct ListSecretsRequest {
        /// Also each secret's tags [default: false].
        fetch_tags: Flag = "FetchTags",
        /// Filters (JSON).
        filters: Filters = "Filters",
        /// The page, from 1 [default: 1].
        page_number: Option<PageNumber> = "PageNumber",
        /// Secrets per page [default: 10].
        page_size: Option<Ranged<1, 100>> = "PageSize",
    }
}

/// One secret of ListSecrets.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct ListedSecret {
    /// The name.
    pub secret_name: String,
    /// `Generic`.
    pub secret_type: &'static str,
    /// When it was made.
    pub create_time: String,
    /// Its last change.
    pub update_time: String,
    /// While pending deletion: when it goes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub planned_delete_time: Option<String>,
    /// Its tags, with FetchTags.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<SecretTags>,
}

/// The wrapped list (`{"Secret": [...]}`).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SecretList {
    /// The secrets of the page.
    #[serde(rename = "Secret")]
    pub secret: Vec<ListedSecret>,
}

/// ListSecrets' answer.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct ListSecretsResponse {
    /// The page.
    pub secret_list: SecretList,
    /// Secrets in all pages.
    pub total_count: usize,
    /// This page's number.
    pub page_number: usize,
    /// The page size.
    pub page_size: usize,
}

/// ListSecrets, in creation order, pending deletion included.
///
/// # Errors
/// The Aliyun error to render.
pub fn list_secrets(
    req: ListSecretsRequest,
    kms: &Kms,
) -> Result<ListSecretsResponse, AliyunError> {
    let (number, size) = paging(req.page_number, req.page_size);
    let account = &kms.scope().account;
    let all: Vec<SecretRecord> = kms
        .list_secrets()?
        .into_iter()
        .filter(|s| matches(s, &req.filters, account))
        .collect();
    let total_count = all.len();
    let secret = all
        .into_iter()
        .skip(offset(number, size))
        .take(size)
        .map(|s| ListedSecret {
            secret_type: "Generic",
            create_time: iso8601(s.created),
            update_time: iso8601(s.updated),
            planned_delete_time: s.delete_date.map(iso8601),
            tags: req.fetch_tags.0.then(|| SecretTags::of(&s)),
            secret_name: s.name,
        })
        .collect();
    Ok(ListSecretsResponse {
        secret_list: SecretList { secret },
        total_count,
        page_number: number,
        page_size: size,
    })
}

params! {
    /// UpdateSecret's parameters.
    pub struct UpdateSecretRequest {
        /// The secret: its name or ARN.
        secret_name: String = "SecretName",
        /// The new description.
        description: Option<String> = "Description",
        /// `ExtendedConfig.CustomData` (managed types only): refused for Generic secrets.
        custom_data: CustomData = "ExtendedConfig.CustomData",
    }
}

/// UpdateSecret.
///
/// # Errors
/// The Aliyun error to render.
pub fn update_secret(
    req: UpdateSecretRequest,
    kms: &Kms,
) -> Result<SecretNameResponse, AliyunError> {
    let name = secret_name(&req.secret_name, kms.scope())?;
    let secret = kms.describe_secret(&name)?;
    if !req.custom_data.0.is_empty() {
        return Err(AliyunError::invalid_because(
            "ExtendedConfig.CustomData",
            "CustomData applies to managed secret types only; this secret is Generic.",
        ));
    }
    let secret = kms.update_secret_metadata(&secret.name, req.description, None, None)?;
    Ok(SecretNameResponse {
        secret_name: secret.name,
    })
}

/// `ExtendedConfig.CustomData`: a JSON object (classic SDK), or flattened as
/// `ExtendedConfig.CustomData.<k>=<v>` (Tea SDK); one map either way.
#[derive(Debug, Clone, Default, PartialEq, Eq, JsonSchema)]
#[schemars(transparent)]
pub struct CustomData(pub std::collections::BTreeMap<String, String>);

impl super::fields::Field for CustomData {
    const REQUIRED: bool = false;

    fn field(p: &Params, name: &'static str) -> Result<Self, AliyunError> {
        let mut map: std::collections::BTreeMap<String, String> = p
            .with_prefix("ExtendedConfig.CustomData.")
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        if let Some(raw) = p.get(name).filter(|v| !v.is_empty()) {
            let Ok(Value::Object(o)) = crate::json::parse(raw.as_bytes()) else {
                return Err(AliyunError::invalid_because(
                    name,
                    "It must be a JSON object.",
                ));
            };
            for (k, v) in o {
                let v = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
                map.insert(k, v);
            }
        }
        Ok(Self(map))
    }
}

params! {
    /// DeleteSecret's parameters.
    pub struct DeleteSecretRequest {
        /// The secret: its name or ARN.
        secret_name: String = "SecretName",
        /// The recovery window, 7 to 30 days [default: 30].
        recovery_window_in_days: Option<Ranged<7, 30>> = "RecoveryWindowInDays",
        /// Delete at once, for good [default: false].
        force_delete_without_recovery: Flag = "ForceDeleteWithoutRecovery",
    }
}

/// DeleteSecret's answer.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteSecretResponse {
    /// The name.
    pub secret_name: String,
    /// When it goes (about now for a forced delete).
    pub planned_delete_time: String,
}

/// DeleteSecret.
///
/// # Errors
/// The Aliyun error to render.
pub fn delete_secret(
    req: DeleteSecretRequest,
    kms: &Kms,
) -> Result<DeleteSecretResponse, AliyunError> {
    let name = secret_name(&req.secret_name, kms.scope())?;
    let force = req.force_delete_without_recovery.0;
    if force && req.recovery_window_in_days.is_some() {
        return Err(AliyunError::invalid_because(
            "RecoveryWindowInDays",
            "It cannot be combined with ForceDeleteWithoutRecovery=true.",
        ));
    }
    let days = req.recovery_window_in_days.map_or(DEFAULT_WINDOW, |d| d.0);
    let secret = kms.delete_secret(&name, days, force)?;
    Ok(DeleteSecretResponse {
        planned_delete_time: secret.delete_date.map(iso8601).unwrap_or_default(),
        secret_name: secret.name,
    })
}

params! {
    /// A secret by name (RestoreSecret).
    pub struct SecretNameRequest {
        /// The secret: its name or ARN.
        secret_name: String = "SecretName",
    }
}

/// RestoreSecret: cancels a scheduled deletion.
///
/// # Errors
/// The Aliyun error to render.
pub fn restore_secret(
    req: SecretNameRequest,
    kms: &Kms,
) -> Result<SecretNameResponse, AliyunError> {
    let name = secret_name(&req.secret_name, kms.scope())?;
    let secret = kms.restore_secret(&name, &RULES)?;
    Ok(SecretNameResponse {
        secret_name: secret.name,
    })
}

params! {
    /// RotateSecret's parameters.
    pub struct RotateSecretRequest {
        /// The secret: its name or ARN.
        secret_name: String = "SecretName",
        /// The new version's ID (an existing one makes the call a no-op).
        version_id: VersionId = "VersionId",
    }
}

/// RotateSecret's answer.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct RotateSecretResponse {
    /// The secret's ARN.
    pub arn: String,
    /// The name.
    pub secret_name: String,
    /// The new version.
    pub version_id: String,
}

/// RotateSecret: a new version under ACSCurrent, now.
///
/// # Errors
/// The Aliyun error to render.
pub fn rotate_secret(
    req: RotateSecretRequest,
    kms: &Kms,
) -> Result<RotateSecretResponse, AliyunError> {
    let name = secret_name(&req.secret_name, kms.scope())?;
    let (secret, _) =
        kms.rotate_secret(&name, Some(req.version_id.0.clone()), None, true, &RULES)?;
    Ok(RotateSecretResponse {
        arn: secret_arn(kms.scope(), &secret.name),
        secret_name: secret.name,
        version_id: req.version_id.0,
    })
}

params! {
    /// UpdateSecretRotationPolicy's parameters.
    pub struct UpdateSecretRotationPolicyRequest {
        /// The secret: its name or ARN.
        secret_name: String = "SecretName",
        /// Rotate on a schedule.
        enable_automatic_rotation: String = "EnableAutomaticRotation",
        /// `<n>d|h|m|s`, 6 h to 8760 h; required when enabling.
        rotation_interval: Option<SecretInterval> = "RotationInterval",
    }
}

/// UpdateSecretRotationPolicy.
///
/// # Errors
/// The Aliyun error to render.
pub fn update_secret_rotation_policy(
    req: UpdateSecretRotationPolicyRequest,
    kms: &Kms,
) -> Result<SecretNameResponse, AliyunError> {
    let name = secret_name(&req.secret_name, kms.scope())?;
    let enable = match req.enable_automatic_rotation.to_ascii_lowercase().as_str() {
        "true" => true,
        "false" => false,
        _ => {
            return Err(AliyunError::invalid_because(
                "EnableAutomaticRotation",
                "It must be true or false.",
            ));
        }
    };
    let settings = match (enable, req.rotation_interval) {
        (true, Some(i)) => Some(RotationSettings {
            interval: i.0,
            function: None,
            expression: None,
        }),
        (true, None) => return Err(AliyunError::missing("RotationInterval")),
        (false, _) => None,
    };
    let secret = kms.set_secret_rotation(&name, settings)?;
    Ok(SecretNameResponse {
        secret_name: secret.name,
    })
}

params! {
    /// GetSecretPolicy's parameters.
    pub struct GetSecretPolicyRequest {
        /// The secret: its name or ARN.
        secret_name: String = "SecretName",
        /// Only `default` [default: default].
        policy_name: Option<String> = "PolicyName",
    }
}

/// GetSecretPolicy's answer.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct GetSecretPolicyResponse {
    /// The policy, as set (or the default that allows the account).
    pub policy: String,
}

fn policy_name(name: Option<&str>) -> Result<(), AliyunError> {
    if name.is_some_and(|n| n != "default") {
        return Err(AliyunError::invalid_because(
            "PolicyName",
            "The only policy name is default.",
        ));
    }
    Ok(())
}

/// GetSecretPolicy.
///
/// # Errors
/// The Aliyun error to render.
pub fn get_secret_policy(
    req: GetSecretPolicyRequest,
    kms: &Kms,
) -> Result<GetSecretPolicyResponse, AliyunError> {
    policy_name(req.policy_name.as_deref())?;
    let secret = kms.describe_secret(&secret_name(&req.secret_name, kms.scope())?)?;
    Ok(GetSecretPolicyResponse {
        policy: secret
            .policy
            .unwrap_or_else(|| super::policy::default_policy(kms.scope())),
    })
}

params! {
    /// SetSecretPolicy's parameters.
    pub struct SetSecretPolicyRequest {
        /// The secret: its name or ARN.
        secret_name: String = "SecretName",
        /// The policy: JSON with Version and Statement, at most 32768 bytes.
        policy: String = "Policy",
        /// Only `default` [default: default].
        policy_name: Option<String> = "PolicyName",
    }
}

/// SetSecretPolicy.
///
/// # Errors
/// The Aliyun error to render.
pub fn set_secret_policy(req: SetSecretPolicyRequest, kms: &Kms) -> Result<Empty, AliyunError> {
    policy_name(req.policy_name.as_deref())?;
    crate::service::policy::check_policy(&req.policy)?;
    kms.set_secret_policy(
        &secret_name(&req.secret_name, kms.scope())?,
        Some(req.policy),
    )?;
    Ok(Empty {})
}

crate::protocol::family!($ secret_admin_actions {
    DescribeSecret(secret_admin::DescribeSecretRequest => secret_admin::DescribeSecretResponse) = secret_admin::describe_secret,
        blocking, [], "Describes a secret (never its value).";
    ListSecrets(secret_admin::ListSecretsRequest => secret_admin::ListSecretsResponse) = secret_admin::list_secrets,
        blocking, [], "Lists secrets, a page at a time, with filters.";
    UpdateSecret(secret_admin::UpdateSecretRequest => secrets::SecretNameResponse) = secret_admin::update_secret,
        blocking, [], "Changes a secret's description.";
    DeleteSecret(secret_admin::DeleteSecretRequest => secret_admin::DeleteSecretResponse) = secret_admin::delete_secret,
        blocking, [], "Schedules a secret's deletion, or deletes it at once.";
    RestoreSecret(secret_admin::SecretNameRequest => secrets::SecretNameResponse) = secret_admin::restore_secret,
        blocking, [], "Cancels a secret's scheduled deletion.";
    RotateSecret(secret_admin::RotateSecretRequest => secret_admin::RotateSecretResponse) = secret_admin::rotate_secret,
        blocking, [], "Rotates a secret now: a new version under ACSCurrent.";
    UpdateSecretRotationPolicy(secret_admin::UpdateSecretRotationPolicyRequest => secrets::SecretNameResponse) = secret_admin::update_secret_rotation_policy,
        blocking, [], "Turns a secret's scheduled rotation on or off.";
    GetSecretPolicy(secret_admin::GetSecretPolicyRequest => secret_admin::GetSecretPolicyResponse) = secret_admin::get_secret_policy,
        blocking, [], "Returns a secret's policy.";
    SetSecretPolicy(secret_admin::SetSecretPolicyRequest => keys::Empty) = secret_admin::set_secret_policy,
        blocking, [], "Sets a secret's policy.";
});
