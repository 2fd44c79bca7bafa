//! Secrets, values and versions: CreateSecret, GetSecretValue, BatchGetSecretValue,
//! PutSecretValue, UpdateSecretVersionStage, ListSecretVersionIds. Generic secrets only
//! (the managed types need RDS, RAM or ECS behind them). The wire rules are the secrets
//! sheet's: `SecretName` also as its ARN, `SecretData` verbatim, `VersionStages` as a JSON
//! array (or `{"VersionStage":[…]}`), the 10-version limit.

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use super::crypto::dry_run_error;
use super::error::AliyunError;
use super::fields::{Field, Flag, PageNumber, Ranged, Tags, params};
use super::keys::offset;
use super::params::Params;
use super::wire;
use crate::clock::iso8601;
use crate::model::{SecretDataType, SecretRecord, SecretVersion, Stage};
use crate::service::{
    Error, Kms, NewSecret, RotationSettings, Scope, SecretRules, SecretValue, VersionSelector,
};

/// Aliyun's choices among the service's secret rules (secrets sheet §5, §6).
pub const RULES: SecretRules = SecretRules {
    max_versions: 10,
    strict_stage_move: false,
    previous_removable: false,
    restore_needs_deletion: true,
    rotation_needs_function: false,
};

/// Longest `SecretData`, in bytes.
pub const MAX_SECRET_DATA: usize = 30_720;
/// Shortest and longest rotation interval: 6 hours to 8760 hours.
const ROTATION_RANGE: std::ops::RangeInclusive<i64> = 6 * 3600..=8760 * 3600;

/// `acs:kms:<region>:<uid>:secret/<name>`.
#[must_use]
pub fn secret_arn(scope: &Scope, name: &str) -> String {
    format!("acs:kms:{}:{}:secret/{name}", scope.region, scope.account)
}

/// The name a `SecretName` parameter means: a name, or the secret's ARN in this region
/// and account (another region's or account's ARN names nothing here).
///
/// # Errors
/// `Forbidden.ResourceNotFound` for an ARN of elsewhere.
pub fn secret_name(raw: &str, scope: &Scope) -> Result<String, AliyunError> {
    let Some(rest) = raw.strip_prefix("acs:kms:") else {
        return Ok(raw.to_owned());
    };
    let mut parts = rest.splitn(3, ':');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(region), Some(account), Some(resource))
            if region == scope.region && account == scope.account =>
        {
            resource
                .strip_prefix("secret/")
                .filter(|n| !n.is_empty())
                .map(str::to_owned)
                .ok_or_else(|| Error::SecretNotFound.into())
        }
        _ => Err(Error::SecretNotFound.into()),
    }
}

/// A stage label as Aliyun spells it.
#[must_use]
pub fn stage_name(stage: &Stage) -> String {
    match stage {
        Stage::Current => "ACSCurrent".into(),
        Stage::Previous => "ACSPrevious".into(),
        Stage::Pending => "AWSPENDING".into(),
        Stage::Custom(s) => s.clone(),
    }
}

/// The stage an Aliyun label names (labels are case-sensitive).
#[must_use]
pub fn stage(label: &str) -> Stage {
    match label {
        "ACSCurrent" => Stage::Current,
        "ACSPrevious" => Stage::Previous,
        "AWSPENDING" => Stage::Pending,
        other => Stage::Custom(other.to_owned()),
    }
}

/// The wrapped label list (`{"VersionStage": [...]}`).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct VersionStages {
    /// The labels.
    #[serde(rename = "VersionStage")]
    pub version_stage: Vec<String>,
}

impl VersionStages {
    /// The labels of `version`.
    #[must_use]
    pub fn of(version: &SecretVersion) -> Self {
        Self {
            version_stage: version.stages.iter().map(stage_name).collect(),
        }
    }
}

/// `SecretName` as CreateSecret takes it: 1–192 of `A-Za-z0-9_/+=.@-`, not `acs/…`.
#[derive(Debug, Clone, PartialEq, Eq, JsonSchema)]
#[schemars(transparent)]
pub struct NewSecretName(#[schemars(regex(pattern = r"^[A-Za-z0-9_/+=.@-]{1,192}$"))] pub String);

impl Field for NewSecretName {
    fn field(p: &Params, name: &'static str) -> Result<Self, AliyunError> {
        let raw = String::field(p, name)?;
        let fits = raw.len() <= 192
            && raw
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_/+=.@-".contains(c));
        if !fits {
            return Err(AliyunError::invalid_because(
                name,
                "It must be 1 to 192 characters of A-Z, a-z, 0-9 and _/+=.@-.",
            ));
        }
        if raw.starts_with("acs/") {
            return Err(AliyunError::invalid_because(
                name,
                "The prefix acs/ is reserved for managed secrets.",
            ));
        }
        Ok(Self(raw))
    }
}

/// `SecretDataType`: `text` (default) or `binary`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, JsonSchema)]
#[schemars(transparent)]
pub struct DataType(#[schemars(with = "DataTypeSchema")] pub SecretDataType);

/// The schema of [`DataType`].
#[derive(JsonSchema)]
#[allow(dead_code)]
enum DataTypeSchema {
    /// Text.
    #[serde(rename = "text")]
    Text,
    /// Binary (returned verbatim, usually base64).
    #[serde(rename = "binary")]
    Binary,
}

impl Field for DataType {
    fn field(p: &Params, name: &'static str) -> Result<Self, AliyunError> {
        let raw = String::field(p, name)?;
        SecretDataType::parse(&raw)
            .map(Self)
            .ok_or_else(|| AliyunError::invalid_because(name, "It must be text or binary."))
    }
}

/// `VersionId`: 1–64 characters.
#[derive(Debug, Clone, PartialEq, Eq, JsonSchema)]
#[schemars(transparent)]
pub struct VersionId(#[schemars(length(min = 1, max = 64))] pub String);

impl Field for VersionId {
    fn field(p: &Params, name: &'static str) -> Result<Self, AliyunError> {
        let raw = String::field(p, name)?;
        if raw.chars().count() > 64 {
            return Err(AliyunError::invalid_because(name, "At most 64 characters."));
        }
        Ok(Self(raw))
    }
}

/// `VersionStages`: a JSON array of labels, or `{"VersionStage":[…]}`.
#[derive(Debug, Clone, PartialEq, Eq, JsonSchema)]
#[schemars(transparent)]
pub struct StageList(pub Vec<String>);

impl Field for StageList {
    fn field(p: &Params, name: &'static str) -> Result<Self, AliyunError> {
        let raw = String::field(p, name)?;
        let bad = || {
            AliyunError::invalid_because(name, r#"It must be a JSON array like ["ACSCurrent"]."#)
        };
        let value = crate::json::parse(raw.as_bytes()).map_err(|_| bad())?;
        let list = match &value {
            Value::Array(items) => items,
            Value::Object(o) => match o.get("VersionStage") {
                Some(Value::Array(items)) => items,
                _ => return Err(bad()),
            },
            _ => return Err(bad()),
        };
        let labels = list
            .iter()
            .map(|v| {
                v.as_str()
                    .filter(|s| !s.is_empty() && s.len() <= 64)
                    .map(str::to_owned)
            })
            .collect::<Option<Vec<_>>>()
            .ok_or_else(bad)?;
        if labels.is_empty() || labels.len() > 20 {
            return Err(bad());
        }
        Ok(Self(labels))
    }
}

/// `RotationInterval` of a secret: `<n>d|h|m|s`, 6 hours to 8760 hours; in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, JsonSchema)]
#[schemars(transparent)]
pub struct SecretInterval(#[schemars(regex(pattern = "^[0-9]+[dhms]$"))] pub i64);

impl Field for SecretInterval {
    fn field(p: &Params, name: &'static str) -> Result<Self, AliyunError> {
        let raw = String::field(p, name)?;
        match super::versions::Interval::parse(&raw) {
            Some(secs) if ROTATION_RANGE.contains(&secs) => Ok(Self(secs)),
            _ => Err(AliyunError::invalid_because(
                name,
                "It must be an integer followed by d, h, m or s, between 6 hours and 8760 hours.",
            )),
        }
    }
}

/// A secret's rotation fields, as Create/Describe/GetSecretValue show them once rotation
/// was configured.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct RotationFields {
    /// `Enabled` or `Disabled`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub automatic_rotation: Option<&'static str>,
    /// Seconds with an `s` suffix.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rotation_interval: Option<String>,
    /// When the next rotation is due (rotation enabled).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_rotation_date: Option<String>,
    /// The last rotation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_rotation_date: Option<String>,
}

impl RotationFields {
    /// The fields of `secret` (empty when rotation was never configured).
    #[must_use]
    pub fn of(secret: &SecretRecord) -> Self {
        let Some(r) = &secret.rotation else {
            return Self {
                last_rotation_date: secret.last_rotated.map(iso8601),
                ..Self::default()
            };
        };
        Self {
            automatic_rotation: Some(if r.enabled { "Enabled" } else { "Disabled" }),
            rotation_interval: Some(super::versions::interval_text(r.interval)),
            next_rotation_date: r.enabled.then(|| iso8601(r.next)),
            last_rotation_date: secret.last_rotated.map(iso8601),
        }
    }
}

/// Refuses `SecretType` other than `Generic` and any `DKMSInstanceId`.
fn generic_only(kind: Option<&str>, instance: Option<&str>) -> Result<(), AliyunError> {
    if kind.is_some_and(|k| k != "Generic") {
        return Err(AliyunError::invalid_because(
            "SecretType",
            "qkms keeps Generic secrets only (the managed types need RDS, Redis, PolarDB, RAM or ECS behind them).",
        ));
    }
    if let Some(instance) = instance {
        return Err(AliyunError::new(
            super::error::ErrorCode::ResourceNotFound,
            format!(
                "The specified DKMSInstanceId {instance:?} is not found; qkms has no KMS instances."
            ),
        ));
    }
    Ok(())
}

/// A value as the request gives it, within the size limit.
fn value_of(data: String, data_type: Option<DataType>) -> Result<SecretValue, AliyunError> {
    if data.len() > MAX_SECRET_DATA {
        return Err(AliyunError::invalid_because(
            "SecretData",
            "At most 30720 bytes.",
        ));
    }
    Ok(SecretValue {
        data_type: data_type.map_or(SecretDataType::Text, |t| t.0),
        data: crate::crypto::SecretBytes::new(data.into_bytes()),
    })
}

/// `ExtendedConfig`: a JSON object of at most 1024 characters.
fn extended_config(raw: Option<String>) -> Result<Option<String>, AliyunError> {
    let Some(raw) = raw else { return Ok(None) };
    let object = crate::json::parse(raw.as_bytes())
        .ok()
        .filter(Value::is_object);
    if raw.chars().count() > 1024 || object.is_none() {
        return Err(AliyunError::invalid_because(
            "ExtendedConfig",
            "It must be a JSON object of at most 1024 characters.",
        ));
    }
    Ok(Some(raw))
}

params! {
    /// CreateSecret's parameters.
    pub struct CreateSecretRequest {
        /// The name: 1–192 of `A-Za-z0-9_/+=.@-`.
        secret_name: NewSecretName = "SecretName",
        /// The first version's ID (≤64 characters).
        version_id: VersionId = "VersionId",
        /// The value (≤30720 bytes), in the query or the form body.
        secret_data: String = "SecretData",
        /// `text` (default) or `binary`.
        secret_data_type: Option<DataType> = "SecretDataType",
        /// `Generic` (default; the only type qkms keeps).
        secret_type: Option<String> = "SecretType",
        /// The KMS key that protects the value [default: the service-managed key].
        encryption_key_id: Option<String> = "EncryptionKeyId",
        /// Free text.
        description: Option<String> = "Description",
        /// `[{"TagKey":..,"TagValue":..}]`, at most 20.
        tags: Tags = "Tags",
        /// A JSON object (kept; only managed types read it).
        extended_config: Option<String> = "ExtendedConfig",
        /// Rotate on a schedule [default: false].
        enable_automatic_rotation: Flag = "EnableAutomaticRotation",
        /// `<n>d|h|m|s`, 6 h to 8760 h; needs EnableAutomaticRotation.
        rotation_interval: Option<SecretInterval> = "RotationInterval",
        /// A secret policy (JSON, ≤32768 bytes).
        policy: Option<String> = "Policy",
        /// A KMS instance (qkms has none).
        dkms_instance_id: Option<String> = "DKMSInstanceId",
    }
}

/// CreateSecret's answer.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct CreateSecretResponse {
    /// The secret's ARN.
    pub arn: String,
    /// The name.
    pub secret_name: String,
    /// `Generic`.
    pub secret_type: &'static str,
    /// The first version.
    pub version_id: String,
    /// Rotation, when asked for.
    #[serde(flatten)]
    pub rotation: RotationFields,
}

/// CreateSecret.
///
/// # Errors
/// The Aliyun error to render.
pub fn create_secret(
    req: CreateSecretRequest,
    kms: &Kms,
) -> Result<CreateSecretResponse, AliyunError> {
    generic_only(req.secret_type.as_deref(), req.dkms_instance_id.as_deref())?;
    let rotation = match (req.enable_automatic_rotation.0, req.rotation_interval) {
        (true, Some(i)) => Some(RotationSettings {
            interval: i.0,
            function: None,
            expression: None,
        }),
        (true, None) => return Err(AliyunError::missing("RotationInterval")),
        (false, Some(_)) => {
            return Err(AliyunError::invalid_because(
                "RotationInterval",
                "It needs EnableAutomaticRotation=true.",
            ));
        }
        (false, None) => None,
    };
    if let Some(policy) = &req.policy {
        crate::service::policy::check_policy(policy)?;
    }
    let key = req
        .encryption_key_id
        .as_deref()
        .map(|k| wire::key_ref(k, kms.scope()))
        .transpose()?;
    let value = value_of(req.secret_data, req.secret_data_type)?;
    let secret = kms.create_secret(NewSecret {
        name: req.secret_name.0,
        description: req.description.unwrap_or_default(),
        key,
        first: Some((req.version_id.0.clone(), value)),
        tags: req.tags.0,
        policy: req.policy,
        extended_config: extended_config(req.extended_config)?,
        rotation,
    })?;
    Ok(CreateSecretResponse {
        arn: secret_arn(kms.scope(), &secret.name),
        rotation: RotationFields::of(&secret),
        secret_name: secret.name,
        secret_type: "Generic",
        version_id: req.version_id.0,
    })
}

params! {
    /// GetSecretValue's parameters.
    pub struct GetSecretValueRequest {
        /// The secret: its name or ARN.
        secret_name: String = "SecretName",
        /// The version [default: the one labelled ACSCurrent].
        version_id: Option<String> = "VersionId",
        /// The label [default: ACSCurrent].
        version_stage: Option<String> = "VersionStage",
        /// Managed types only; ignored for Generic secrets.
        fetch_extended_config: Flag = "FetchExtendedConfig",
        /// Check without reading: always `DryRunOperationError` when it would succeed.
        dry_run: Flag = "DryRun",
        /// TEE attestation (not supported here).
        recipient: Option<String> = "Recipient",
    }
}

/// GetSecretValue's answer (also one item of BatchGetSecretValue).
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct GetSecretValueResponse {
    /// The name.
    pub secret_name: String,
    /// The version read.
    pub version_id: String,
    /// The value, verbatim.
    pub secret_data: String,
    /// `text` or `binary`.
    pub secret_data_type: &'static str,
    /// `Generic`.
    pub secret_type: &'static str,
    /// When the version was made.
    pub create_time: String,
    /// The version's labels.
    pub version_stages: VersionStages,
    /// Rotation, once configured.
    #[serde(flatten)]
    pub rotation: RotationFields,
}

/// Reads one value (GetSecretValue, and each item of BatchGetSecretValue).
fn read_value(
    kms: &Kms,
    name: &str,
    version_id: Option<&str>,
    version_stage: Option<&str>,
) -> Result<GetSecretValueResponse, AliyunError> {
    let name = secret_name(name, kms.scope())?;
    let wanted = version_stage.map(stage);
    let read = kms.get_secret_value(
        &name,
        VersionSelector {
            id: version_id,
            stage: wanted.as_ref(),
        },
    )?;
    Ok(GetSecretValueResponse {
        secret_data: String::from_utf8_lossy(read.value.data.expose()).into_owned(),
        secret_data_type: read.value.data_type.as_str(),
        secret_type: "Generic",
        create_time: iso8601(read.version.created),
        version_stages: VersionStages::of(&read.version),
        version_id: read.version.id,
        rotation: RotationFields::of(&read.record),
        secret_name: read.record.name,
    })
}

/// GetSecretValue.
///
/// # Errors
/// The Aliyun error to render.
pub fn get_secret_value(
    req: GetSecretValueRequest,
    kms: &Kms,
) -> Result<GetSecretValueResponse, AliyunError> {
    if req.recipient.is_some() {
        return Err(AliyunError::invalid_because(
            "Recipient",
            "TEE attestation is not supported by qkms.",
        ));
    }
    let out = read_value(
        kms,
        &req.secret_name,
        req.version_id.as_deref(),
        req.version_stage.as_deref(),
    )?;
    if req.dry_run.0 {
        return Err(dry_run_error());
    }
    Ok(out)
}

params! {
    /// BatchGetSecretValue's parameters.
    pub struct BatchGetSecretValueRequest {
        /// `[{"SecretName":..,"VersionStage":..,"VersionId":..,"FetchExtendedConfig":"true"}]`,
        /// 1 to 20 entries.
        secrets_list: String = "SecretsList",
    }
}

/// One failed entry of BatchGetSecretValue.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct BatchError {
    /// The secret named by the entry.
    pub secret_name: String,
    /// The error code.
    pub code: &'static str,
    /// The message.
    pub message: String,
    /// The status the single call would have had.
    pub http_status: u16,
}

/// One value of BatchGetSecretValue, with its own request ID.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct BatchValue {
    /// A request ID of its own.
    pub request_id: String,
    /// The value.
    #[serde(flatten)]
    pub value: GetSecretValueResponse,
}

/// BatchGetSecretValue's answer: bare arrays, without the usual wrapper objects.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct BatchGetSecretValueResponse {
    /// The values read.
    pub secret_values: Vec<BatchValue>,
    /// The entries that failed.
    pub errors: Vec<BatchError>,
}

/// One entry of `SecretsList`: the secret, and optionally a version ID and a label.
type BatchEntry = (String, Option<String>, Option<String>);

fn batch_entries(raw: &str) -> Result<Vec<BatchEntry>, AliyunError> {
    let bad = || {
        AliyunError::invalid_because(
            "SecretsList",
            r#"It must be a JSON array of 1 to 20 objects like {"SecretName":"db","VersionStage":"ACSCurrent"}."#,
        )
    };
    let Ok(Value::Array(items)) = crate::json::parse(raw.as_bytes()) else {
        return Err(bad());
    };
    if items.is_empty() || items.len() > 20 {
        return Err(bad());
    }
    let text = |v: &Value, k: &str| -> Result<Option<String>, AliyunError> {
        match v.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(bad()),
        }
    };
    items
        .iter()
        .map(|item| {
            let name = text(item, "SecretName")?.ok_or_else(bad)?;
            Ok((name, text(item, "VersionId")?, text(item, "VersionStage")?))
        })
        .collect()
}

/// BatchGetSecretValue: each entry as GetSecretValue; failures go to `Errors`.
///
/// # Errors
/// The Aliyun error to render (a malformed list).
pub fn batch_get_secret_value(
    req: BatchGetSecretValueRequest,
    kms: &Kms,
) -> Result<BatchGetSecretValueResponse, AliyunError> {
    let mut out = BatchGetSecretValueResponse {
        secret_values: Vec::new(),
        errors: Vec::new(),
    };
    for (name, id, label) in batch_entries(&req.secrets_list)? {
        match read_value(kms, &name, id.as_deref(), label.as_deref()) {
            Ok(value) => {
                let uuid = crate::crypto::random::new_uuid(kms.entropy().as_ref())
                    .map_err(|e| AliyunError::internal(&e.to_string()))?;
                out.secret_values.push(BatchValue {
                    request_id: <super::Aliyun as crate::protocol::Protocol>::request_id(&uuid),
                    value,
                });
            }
            Err(e) => out.errors.push(BatchError {
                secret_name: name,
                code: e.code.as_str(),
                http_status: e.code.status(),
                message: e.message,
            }),
        }
    }
    Ok(out)
}

params! {
    /// PutSecretValue's parameters.
    pub struct PutSecretValueRequest {
        /// The secret: its name or ARN.
        secret_name: String = "SecretName",
        /// The new version's ID (≤64 characters).
        version_id: VersionId = "VersionId",
        /// The value (≤30720 bytes), in the query or the form body.
        secret_data: String = "SecretData",
        /// `text` (default) or `binary`.
        secret_data_type: Option<DataType> = "SecretDataType",
        /// The new version's labels, `["a","b"]` [default: ACSCurrent].
        version_stages: Option<StageList> = "VersionStages",
    }
}

/// PutSecretValue's answer.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct PutSecretValueResponse {
    /// The name.
    pub secret_name: String,
    /// The version.
    pub version_id: String,
    /// The labels now on it.
    pub version_stages: VersionStages,
}

/// PutSecretValue.
///
/// # Errors
/// The Aliyun error to render.
pub fn put_secret_value(
    req: PutSecretValueRequest,
    kms: &Kms,
) -> Result<PutSecretValueResponse, AliyunError> {
    let name = secret_name(&req.secret_name, kms.scope())?;
    let value = value_of(req.secret_data, req.secret_data_type)?;
    let stages: Option<Vec<Stage>> = req
        .version_stages
        .map(|l| l.0.iter().map(|s| stage(s)).collect());
    let (secret, version) =
        kms.put_secret_value(&name, &req.version_id.0, &value, stages.as_deref(), &RULES)?;
    Ok(PutSecretValueResponse {
        secret_name: secret.name,
        version_stages: VersionStages::of(&version),
        version_id: version.id,
    })
}

params! {
    /// UpdateSecretVersionStage's parameters.
    pub struct UpdateSecretVersionStageRequest {
        /// The secret: its name or ARN.
        secret_name: String = "SecretName",
        /// The label to move or remove.
        version_stage: String = "VersionStage",
        /// The version that gets it.
        move_to_version: Option<String> = "MoveToVersion",
        /// The version that loses it (custom labels only, unless it is also moved).
        remove_from_version: Option<String> = "RemoveFromVersion",
    }
}

/// An answer naming the secret only.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct SecretNameResponse {
    /// The name.
    pub secret_name: String,
}

/// UpdateSecretVersionStage.
///
/// # Errors
/// The Aliyun error to render.
pub fn update_secret_version_stage(
    req: UpdateSecretVersionStageRequest,
    kms: &Kms,
) -> Result<SecretNameResponse, AliyunError> {
    let name = secret_name(&req.secret_name, kms.scope())?;
    if req.move_to_version.is_none() && req.remove_from_version.is_none() {
        return Err(AliyunError::invalid_because(
            "MoveToVersion",
            "Give MoveToVersion, RemoveFromVersion or both.",
        ));
    }
    let secret = kms.move_secret_stage(
        &name,
        &stage(&req.version_stage),
        req.move_to_version.as_deref(),
        req.remove_from_version.as_deref(),
        &RULES,
    )?;
    Ok(SecretNameResponse {
        secret_name: secret.name,
    })
}

params! {
    /// ListSecretVersionIds' parameters.
    pub struct ListSecretVersionIdsRequest {
        /// The secret: its name or ARN.
        secret_name: String = "SecretName",
        /// Also versions without a label [default: false].
        include_deprecated: Flag = "IncludeDeprecated",
        /// The page, from 1 [default: 1].
        page_number: Option<PageNumber> = "PageNumber",
        /// Versions per page [default: 20].
        page_size: Option<Ranged<1, 100>> = "PageSize",
    }
}

/// One version of ListSecretVersionIds.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct ListedVersion {
    /// The version ID.
    pub version_id: String,
    /// When it was made.
    pub create_time: String,
    /// Its labels.
    pub version_stages: VersionStages,
}

/// The wrapped list (`{"VersionId": [...]}`).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct VersionIds {
    /// The versions of the page.
    #[serde(rename = "VersionId")]
    pub version_id: Vec<ListedVersion>,
}

/// ListSecretVersionIds' answer.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct ListSecretVersionIdsResponse {
    /// The name.
    pub secret_name: String,
    /// The page.
    pub version_ids: VersionIds,
    /// Versions in all pages.
    pub total_count: usize,
    /// This page's number.
    pub page_number: usize,
    /// The page size.
    pub page_size: usize,
}

/// ListSecretVersionIds (newest first).
///
/// # Errors
/// The Aliyun error to render.
pub fn list_secret_version_ids(
    req: ListSecretVersionIdsRequest,
    kms: &Kms,
) -> Result<ListSecretVersionIdsResponse, AliyunError> {
    let name = secret_name(&req.secret_name, kms.scope())?;
    let secret = kms.describe_secret(&name)?;
    let number = req.page_number.map_or(1, |n| n.0);
    let size = req
        .page_size
        .and_then(|s| usize::try_from(s.0).ok())
        .unwrap_or(20);
    let versions: Vec<&SecretVersion> = secret
        .versions
        .iter()
        .rev()
        .filter(|v| req.include_deprecated.0 || !v.stages.is_empty())
        .collect();
    let total_count = versions.len();
    let page = versions
        .into_iter()
        .skip(offset(number, size))
        .take(size)
        .map(|v| ListedVersion {
            version_id: v.id.clone(),
            create_time: iso8601(v.created),
            version_stages: VersionStages::of(v),
        })
        .collect();
    Ok(ListSecretVersionIdsResponse {
        secret_name: secret.name,
        version_ids: VersionIds { version_id: page },
        total_count,
        page_number: number,
        page_size: size,
    })
}

crate::protocol::family!($ secrets_actions {
    CreateSecret(secrets::CreateSecretRequest => secrets::CreateSecretResponse) = secrets::create_secret,
        blocking, ["SecretData"], "Creates a secret and its first version, encrypted under a KMS key.";
    GetSecretValue(secrets::GetSecretValueRequest => secrets::GetSecretValueResponse) = secrets::get_secret_value,
        blocking, ["SecretData"], "Reads a secret's value by version ID or stage label.";
    BatchGetSecretValue(secrets::BatchGetSecretValueRequest => secrets::BatchGetSecretValueResponse) = secrets::batch_get_secret_value,
        blocking, ["SecretValues"], "Reads up to 20 secrets' values at once.";
    PutSecretValue(secrets::PutSecretValueRequest => secrets::PutSecretValueResponse) = secrets::put_secret_value,
        blocking, ["SecretData"], "Stores a new version of a secret's value.";
    UpdateSecretVersionStage(secrets::UpdateSecretVersionStageRequest => secrets::SecretNameResponse) = secrets::update_secret_version_stage,
        blocking, [], "Moves or removes a stage label.";
    ListSecretVersionIds(secrets::ListSecretVersionIdsRequest => secrets::ListSecretVersionIdsResponse) = secrets::list_secret_version_ids,
        blocking, [], "Lists a secret's versions and their labels.";
});
