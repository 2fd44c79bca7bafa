//! Secret values and their versions: CreateSecret, GetSecretValue, PutSecretValue,
//! BatchGetSecretValue, UpdateSecret, UpdateSecretVersionStage, ListSecretVersionIds.
//!
//! A write names its version with `ClientRequestToken` (boto3 fills one in) or gets a fresh
//! UUID; the same token with the same value changes nothing, with another value it is
//! `ResourceExistsException`.

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::Serialize;
use serde_json::Value;

use super::manage::{Filters, select};
use super::{
    MAX_TAGS, RULES, RequestToken, SecretBinaryArg, SecretId, SecretNameArg, SecretStringArg,
    SecretTags, StageList, ValueOut, VersionIdArg, fail, invalid, kms_key, next_token, resolve,
    secret_arn, stage, stage_names, token_offset, value_in, version_id,
};
use crate::aws::error::{AwsError, Exception};
use crate::aws::members::{Bool, Int, Read, Str, StringList, members, required};
use crate::aws::wire::Scope;
use crate::model::{KeyRef, SecretRecord};
use crate::service::{
    DEFAULT_SECRET_KEY_ALIASES, Error, Kms, NewSecret, SecretValue, VersionSelector,
};

/// Secrets one BatchGetSecretValue reads at most.
const MAX_BATCH: usize = 20;

members! {
    /// CreateSecret's members.
    pub struct CreateSecretRequest {
        /// The name: letters, digits and `/_+=.@-`.
        name: SecretNameArg = "Name",
        /// The first version's ID [default: a UUID].
        client_request_token: Option<RequestToken> = "ClientRequestToken",
        /// Free text.
        description: Option<Str<0, 2048>> = "Description",
        /// The KMS key (ID, alias or ARN of either dialect) [default: aws/secretsmanager].
        kms_key_id: Option<Str<0, 2048>> = "KmsKeyId",
        /// A binary value (base64).
        secret_binary: Option<SecretBinaryArg> = "SecretBinary",
        /// A text value.
        secret_string: Option<SecretStringArg> = "SecretString",
        /// At most 50 tags.
        tags: Option<SecretTags> = "Tags",
        /// Refused: qkms has one region.
        add_replica_regions: super::NoReplicas = "AddReplicaRegions",
    }
}

/// The answer of the value writes (CreateSecret, UpdateSecret).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct WriteResponse {
    /// The secret's ARN.
    #[serde(rename = "ARN")]
    pub arn: String,
    /// Its name.
    #[serde(rename = "Name")]
    pub name: String,
    /// The version written, if a value was given.
    #[serde(rename = "VersionId", skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
}

/// Whether `name` already holds version `id` with exactly `value` (a retried CreateSecret).
fn holds(kms: &Kms, name: &str, id: &str, value: &SecretValue) -> bool {
    let want = VersionSelector {
        id: Some(id),
        stage: None,
    };
    kms.get_secret_value(name, want).is_ok_and(|r| {
        r.value.data_type == value.data_type && r.value.data.expose() == value.data.expose()
    })
}

/// CreateSecret: a secret, with a first version under AWSCURRENT when a value is given.
///
/// # Errors
/// The exception to render.
pub fn create_secret(
    req: CreateSecretRequest,
    kms: &Kms,
    scope: &Scope,
) -> Result<WriteResponse, AwsError> {
    let name = req.name.0;
    let value = value_in(req.secret_string, req.secret_binary)?;
    let key = match &req.kms_key_id {
        Some(k) => kms_key(&k.0, kms, scope)?,
        None => None,
    };
    let tags = req.tags.map(|t| t.0).unwrap_or_default();
    if tags.len() > MAX_TAGS {
        return Err(fail(&name)(Error::TooManyTags { max: MAX_TAGS }));
    }
    let first = match value {
        Some(v) => Some((version_id(req.client_request_token, kms)?, v)),
        None => None,
    };
    let retry = first.clone();
    let created = kms.create_secret(NewSecret {
        name: name.clone(),
        description: req.description.map(|d| d.0).unwrap_or_default(),
        key,
        first,
        tags,
        policy: None,
        extended_config: None,
        rotation: None,
    });
    let record = match created {
        Ok(record) => record,
        // A retry of a request that succeeded: the same token and value are already there.
        Err(Error::SecretExists)
            if retry
                .as_ref()
                .is_some_and(|(id, v)| holds(kms, &name, id, v)) =>
        {
            kms.describe_secret(&name).map_err(fail(&name))?
        }
        Err(Error::SecretDeleted) => {
            return Err(AwsError::new(
                Exception::InvalidRequest,
                "You can't create this secret because a secret with this name is already scheduled for deletion.",
            ));
        }
        Err(e) => return Err(fail(&name)(e)),
    };
    Ok(WriteResponse {
        arn: secret_arn(scope, &record),
        name: record.name,
        version_id: retry.map(|(id, _)| id),
    })
}

members! {
    /// GetSecretValue's members.
    pub struct GetSecretValueRequest {
        /// The secret: name or ARN.
        secret_id: SecretId = "SecretId",
        /// The version [default: the one with the stage].
        version_id: Option<VersionIdArg> = "VersionId",
        /// The stage [default: AWSCURRENT]; with VersionId, that version must carry it.
        version_stage: Option<Str<1, 256>> = "VersionStage",
    }
}

/// GetSecretValue's answer (and one entry of BatchGetSecretValue's).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SecretValueEntry {
    /// The secret's ARN.
    #[serde(rename = "ARN")]
    pub arn: String,
    /// Its name.
    #[serde(rename = "Name")]
    pub name: String,
    /// The version read.
    #[serde(rename = "VersionId")]
    pub version_id: String,
    /// The value.
    #[serde(flatten)]
    pub value: ValueOut,
    /// The version's labels.
    #[serde(rename = "VersionStages")]
    pub version_stages: Vec<String>,
    /// When the version was made, epoch seconds.
    #[serde(rename = "CreatedDate")]
    pub created_date: i64,
}

fn read(
    kms: &Kms,
    scope: &Scope,
    name: &str,
    want: VersionSelector<'_>,
) -> Result<SecretValueEntry, AwsError> {
    let r = kms.get_secret_value(name, want).map_err(fail(name))?;
    Ok(SecretValueEntry {
        arn: secret_arn(scope, &r.record),
        name: r.record.name.clone(),
        version_id: r.version.id.clone(),
        value: ValueOut::of(&r.value),
        version_stages: stage_names(&r.version.stages),
        created_date: r.version.created,
    })
}

/// GetSecretValue.
///
/// # Errors
/// The exception to render.
pub fn get_secret_value(
    req: GetSecretValueRequest,
    kms: &Kms,
    scope: &Scope,
) -> Result<SecretValueEntry, AwsError> {
    let name = resolve(&req.secret_id, kms);
    let label = req.version_stage.as_ref().map(|s| stage(&s.0));
    let want = VersionSelector {
        id: req.version_id.as_ref().map(|v| v.0.as_str()),
        stage: label.as_ref(),
    };
    read(kms, scope, &name, want)
}

members! {
    /// PutSecretValue's members.
    pub struct PutSecretValueRequest {
        /// The secret: name or ARN.
        secret_id: SecretId = "SecretId",
        /// The new version's ID [default: a UUID].
        client_request_token: Option<RequestToken> = "ClientRequestToken",
        /// A binary value (base64).
        secret_binary: Option<SecretBinaryArg> = "SecretBinary",
        /// A text value.
        secret_string: Option<SecretStringArg> = "SecretString",
        /// Its labels, each taken from wherever it was [default: AWSCURRENT].
        version_stages: Option<StageList> = "VersionStages",
    }
}

/// PutSecretValue's answer.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct PutSecretValueResponse {
    /// The secret's ARN.
    #[serde(rename = "ARN")]
    pub arn: String,
    /// Its name.
    #[serde(rename = "Name")]
    pub name: String,
    /// The version.
    #[serde(rename = "VersionId")]
    pub version_id: String,
    /// Its labels.
    #[serde(rename = "VersionStages")]
    pub version_stages: Vec<String>,
}

/// PutSecretValue: a new version (at most 100 kept; the oldest unlabelled one goes).
///
/// # Errors
/// The exception to render.
pub fn put_secret_value(
    req: PutSecretValueRequest,
    kms: &Kms,
    scope: &Scope,
) -> Result<PutSecretValueResponse, AwsError> {
    let name = resolve(&req.secret_id, kms);
    let value = value_in(req.secret_string, req.secret_binary)?
        .ok_or_else(|| invalid("You must provide either SecretString or SecretBinary."))?;
    let id = version_id(req.client_request_token, kms)?;
    let stages = req.version_stages.map(|s| s.0);
    let (record, version) = kms
        .put_secret_value(&name, &id, &value, stages.as_deref(), &RULES)
        .map_err(fail(&name))?;
    Ok(PutSecretValueResponse {
        arn: secret_arn(scope, &record),
        name: record.name,
        version_id: version.id,
        version_stages: stage_names(&version.stages),
    })
}

/// `SecretIdList`: 1 to 20 secrets, by name or ARN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretIdList(pub Vec<String>);

impl Read for SecretIdList {
    fn read(value: &Value, name: &'static str) -> Result<Self, AwsError> {
        let ids = StringList::read(value, name)?.0;
        if ids.is_empty() || ids.len() > MAX_BATCH {
            return Err(AwsError::validation(
                name,
                &format!("Member must have length between 1 and {MAX_BATCH}"),
            ));
        }
        if ids.iter().any(|i| i.is_empty() || i.chars().count() > 2048) {
            return Err(AwsError::validation(
                name,
                "Member must satisfy constraint: [Member must have length less than or equal to 2048, Member must have length greater than or equal to 1]",
            ));
        }
        Ok(Self(ids))
    }
}
required!(SecretIdList);

impl JsonSchema for SecretIdList {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "SecretIdList".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "array",
            "minItems": 1,
            "maxItems": MAX_BATCH,
            "items": {"type": "string", "minLength": 1, "maxLength": 2048},
        })
    }
}

members! {
    /// BatchGetSecretValue's members: SecretIdList or Filters, not both.
    pub struct BatchGetSecretValueRequest {
        /// 1 to 20 secrets, by name or ARN.
        secret_id_list: Option<SecretIdList> = "SecretIdList",
        /// Filters, as ListSecrets takes them (secrets pending deletion left out).
        filters: Option<Filters> = "Filters",
        /// Secrets per page, with Filters only [default: 20].
        max_results: Option<Int<1, 20>> = "MaxResults",
        /// The `NextToken` of the previous page (with Filters).
        next_token: Option<Str<1, 4096>> = "NextToken",
    }
}

/// One secret BatchGetSecretValue could not read.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ApiError {
    /// The secret as asked for.
    #[serde(rename = "SecretId")]
    pub secret_id: String,
    /// The exception's name.
    #[serde(rename = "ErrorCode")]
    pub error_code: String,
    /// Its message.
    #[serde(rename = "Message")]
    pub message: String,
}

/// BatchGetSecretValue's answer.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct BatchGetSecretValueResponse {
    /// The values read (current versions).
    #[serde(rename = "SecretValues")]
    pub secret_values: Vec<SecretValueEntry>,
    /// The secrets that could not be read.
    #[serde(rename = "Errors")]
    pub errors: Vec<ApiError>,
    /// Where the next page starts (with Filters).
    #[serde(rename = "NextToken", skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// BatchGetSecretValue: the current values of several secrets; a secret that cannot be
/// read is listed in `Errors` and the others are still returned.
///
/// # Errors
/// The exception to render.
pub fn batch_get_secret_value(
    req: BatchGetSecretValueRequest,
    kms: &Kms,
    scope: &Scope,
) -> Result<BatchGetSecretValueResponse, AwsError> {
    let (asked, next) = match (req.secret_id_list, &req.filters) {
        (Some(_), Some(_)) | (None, None) => {
            return Err(invalid(
                "You must include Filters or SecretIdList, but not both.",
            ));
        }
        (Some(list), None) => {
            if req.max_results.is_some() || req.next_token.is_some() {
                return Err(invalid(
                    "MaxResults and NextToken can be used only with Filters.",
                ));
            }
            (list.0, None)
        }
        (None, Some(filters)) => {
            let all = select(kms, filters, false)?;
            let offset = token_offset(req.next_token.as_ref())?;
            let limit = req
                .max_results
                .map_or(MAX_BATCH, |m| usize::try_from(m.0).unwrap_or(1));
            let names: Vec<String> = all
                .iter()
                .skip(offset)
                .take(limit)
                .map(|s| s.name.clone())
                .collect();
            let next = next_token(offset + names.len(), all.len());
            (names, next)
        }
    };
    let mut secret_values = Vec::new();
    let mut errors = Vec::new();
    for id in asked {
        let name = super::secret_name(&id, kms);
        match read(kms, scope, &name, VersionSelector::default()) {
            Ok(v) => secret_values.push(v),
            Err(e) => errors.push(ApiError {
                secret_id: id,
                error_code: e.exception.as_str().to_owned(),
                message: e.message,
            }),
        }
    }
    Ok(BatchGetSecretValueResponse {
        secret_values,
        errors,
        next_token: next,
    })
}

members! {
    /// UpdateSecret's members.
    pub struct UpdateSecretRequest {
        /// The secret: name or ARN.
        secret_id: SecretId = "SecretId",
        /// The new version's ID, when a value is given [default: a UUID].
        client_request_token: Option<RequestToken> = "ClientRequestToken",
        /// A new description.
        description: Option<Str<0, 2048>> = "Description",
        /// The key for new versions (ID, alias or ARN of either dialect).
        kms_key_id: Option<Str<0, 2048>> = "KmsKeyId",
        /// A new binary value (base64), under AWSCURRENT.
        secret_binary: Option<SecretBinaryArg> = "SecretBinary",
        /// A new text value, under AWSCURRENT.
        secret_string: Option<SecretStringArg> = "SecretString",
    }
}

/// UpdateSecret: metadata first (so a new key seals the new value), then the value.
///
/// # Errors
/// The exception to render.
pub fn update_secret(
    req: UpdateSecretRequest,
    kms: &Kms,
    scope: &Scope,
) -> Result<WriteResponse, AwsError> {
    let name = resolve(&req.secret_id, kms);
    let value = value_in(req.secret_string, req.secret_binary)?;
    // An empty KmsKeyId means the managed key; the domain keeps a key, so name it by alias.
    let [_, managed] = DEFAULT_SECRET_KEY_ALIASES;
    let key = match &req.kms_key_id {
        Some(k) => {
            Some(kms_key(&k.0, kms, scope)?.unwrap_or_else(|| KeyRef::Alias(managed.to_owned())))
        }
        None => None,
    };
    let mut record: SecretRecord = if req.description.is_some() || key.is_some() {
        kms.update_secret_metadata(&name, req.description.map(|d| d.0), key.as_ref(), None)
            .map_err(fail(&name))?
    } else {
        kms.describe_secret(&name).map_err(fail(&name))?
    };
    let mut written = None;
    if let Some(value) = value {
        let id = version_id(req.client_request_token, kms)?;
        let (after, version) = kms
            .put_secret_value(&name, &id, &value, None, &RULES)
            .map_err(fail(&name))?;
        record = after;
        written = Some(version.id);
    } else if record.delete_date.is_some() {
        return Err(fail(&name)(Error::SecretDeleted));
    }
    Ok(WriteResponse {
        arn: secret_arn(scope, &record),
        name: record.name,
        version_id: written,
    })
}

members! {
    /// UpdateSecretVersionStage's members.
    pub struct UpdateSecretVersionStageRequest {
        /// The secret: name or ARN.
        secret_id: SecretId = "SecretId",
        /// The label to move or remove.
        version_stage: Str<1, 256> = "VersionStage",
        /// The version that carries it now (required when it is attached to one).
        remove_from_version_id: Option<VersionIdArg> = "RemoveFromVersionId",
        /// The version to move it to.
        move_to_version_id: Option<VersionIdArg> = "MoveToVersionId",
    }
}

/// An answer that names the secret.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SecretRef {
    /// The secret's ARN.
    #[serde(rename = "ARN")]
    pub arn: String,
    /// Its name.
    #[serde(rename = "Name")]
    pub name: String,
}

impl SecretRef {
    /// The reference of `record`.
    #[must_use]
    pub fn of(scope: &Scope, record: &SecretRecord) -> Self {
        Self {
            arn: secret_arn(scope, record),
            name: record.name.clone(),
        }
    }
}

/// UpdateSecretVersionStage: moving AWSCURRENT gives its old version AWSPREVIOUS.
///
/// # Errors
/// The exception to render.
pub fn update_secret_version_stage(
    req: UpdateSecretVersionStageRequest,
    kms: &Kms,
    scope: &Scope,
) -> Result<SecretRef, AwsError> {
    let name = resolve(&req.secret_id, kms);
    let label = stage(&req.version_stage.0);
    let record = kms
        .move_secret_stage(
            &name,
            &label,
            req.move_to_version_id.as_ref().map(|v| v.0.as_str()),
            req.remove_from_version_id.as_ref().map(|v| v.0.as_str()),
            &RULES,
        )
        .map_err(fail(&name))?;
    Ok(SecretRef::of(scope, &record))
}

members! {
    /// ListSecretVersionIds' members.
    pub struct ListSecretVersionIdsRequest {
        /// The secret: name or ARN.
        secret_id: SecretId = "SecretId",
        /// Versions per page [default: 100].
        max_results: Option<Int<1, 100>> = "MaxResults",
        /// The `NextToken` of the previous page.
        next_token: Option<Str<1, 4096>> = "NextToken",
        /// Versions without labels too.
        include_deprecated: Bool = "IncludeDeprecated",
    }
}

/// One listed version.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct VersionEntry {
    /// Its ID.
    #[serde(rename = "VersionId")]
    pub version_id: String,
    /// Its labels (absent when it has none).
    #[serde(rename = "VersionStages", skip_serializing_if = "Vec::is_empty")]
    pub version_stages: Vec<String>,
    /// When it was made, epoch seconds.
    #[serde(rename = "CreatedDate")]
    pub created_date: i64,
    /// The ARN of the KMS key that seals it.
    #[serde(rename = "KmsKeyIds")]
    pub kms_key_ids: Vec<String>,
}

/// ListSecretVersionIds' answer.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ListSecretVersionIdsResponse {
    /// The page, oldest first.
    #[serde(rename = "Versions")]
    pub versions: Vec<VersionEntry>,
    /// Where the next page starts.
    #[serde(rename = "NextToken", skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
    /// The secret's ARN.
    #[serde(rename = "ARN")]
    pub arn: String,
    /// Its name.
    #[serde(rename = "Name")]
    pub name: String,
}

/// ListSecretVersionIds (a secret pending deletion included).
///
/// # Errors
/// The exception to render.
pub fn list_secret_version_ids(
    req: ListSecretVersionIdsRequest,
    kms: &Kms,
    scope: &Scope,
) -> Result<ListSecretVersionIdsResponse, AwsError> {
    let name = resolve(&req.secret_id, kms);
    let record = kms.describe_secret(&name).map_err(fail(&name))?;
    let shown: Vec<_> = record
        .versions
        .iter()
        .filter(|v| req.include_deprecated.0 || !v.stages.is_empty())
        .collect();
    let offset = token_offset(req.next_token.as_ref())?;
    let limit = req
        .max_results
        .map_or(100, |m| usize::try_from(m.0).unwrap_or(1));
    let versions: Vec<VersionEntry> = shown
        .iter()
        .skip(offset)
        .take(limit)
        .map(|v| VersionEntry {
            version_id: v.id.clone(),
            version_stages: stage_names(&v.stages),
            created_date: v.created,
            kms_key_ids: vec![scope.key_arn(&v.key_id)],
        })
        .collect();
    Ok(ListSecretVersionIdsResponse {
        next_token: next_token(offset + versions.len(), shown.len()),
        versions,
        arn: secret_arn(scope, &record),
        name: record.name,
    })
}

crate::protocol::family!($ values_actions {
    CreateSecret(values::CreateSecretRequest => values::WriteResponse) = values::create_secret,
        blocking, ["SecretString", "SecretBinary"], "Creates a secret, with a first version when a value is given.";
    GetSecretValue(values::GetSecretValueRequest => values::SecretValueEntry) = values::get_secret_value,
        blocking, ["SecretString", "SecretBinary"], "Reads a version's value, by ID or label (default AWSCURRENT).";
    PutSecretValue(values::PutSecretValueRequest => values::PutSecretValueResponse) = values::put_secret_value,
        blocking, ["SecretString", "SecretBinary"], "Writes a new version of a secret's value.";
    BatchGetSecretValue(values::BatchGetSecretValueRequest => values::BatchGetSecretValueResponse) = values::batch_get_secret_value,
        blocking, ["SecretValues"], "Reads the current values of up to 20 secrets, by ID or by filter.";
    UpdateSecret(values::UpdateSecretRequest => values::WriteResponse) = values::update_secret,
        blocking, ["SecretString", "SecretBinary"], "Changes a secret's description or key, and writes a new value when given.";
    UpdateSecretVersionStage(values::UpdateSecretVersionStageRequest => values::SecretRef) = values::update_secret_version_stage,
        blocking, [], "Moves a stage label to another version, or removes it.";
    ListSecretVersionIds(values::ListSecretVersionIdsRequest => values::ListSecretVersionIdsResponse) = values::list_secret_version_ids,
        blocking, [], "Lists a secret's versions with their labels, a page at a time.";
});
