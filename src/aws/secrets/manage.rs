//! Secrets as resources: DescribeSecret, ListSecrets (with its filters, shared by
//! BatchGetSecretValue), DeleteSecret, RestoreSecret, TagResource, UntagResource and the
//! resource policies (Get, Put, Delete, Validate). Policies are checked for the grammar key
//! policies share, stored as given and not enforced.

use std::borrow::Cow;
use std::collections::BTreeMap;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::Serialize;
use serde_json::Value;

use super::values::SecretRef;
use super::{
    MAX_TAGS, RULES, SecretId, SecretTags, Tag, fail, invalid, next_token, resolve, secret_arn,
    stage_names, tag_list, token_offset,
};
use crate::aws::error::{AwsError, Exception};
use crate::aws::members::{Bool, Int, Read, Str, StringList, enum_member, members, required};
use crate::aws::wire::Scope;
use crate::enums::closed_enum;
use crate::model::SecretRecord;
use crate::service::Kms;
use crate::service::policy::check_policy;

pub use crate::aws::keys::Empty;

/// Days of a deletion window when none is given.
const DEFAULT_WINDOW: i64 = 30;
/// Seconds in a day and an hour, for rotation rules.
const DAY: i64 = 86_400;
const HOUR: i64 = 3_600;

closed_enum! {
    /// A filter's `Key`.
    pub enum FilterKey {
        /// Prefix of the description, not case-sensitive.
        Description = "description",
        /// Prefix of the name.
        Name = "name",
        /// Prefix of a tag key.
        TagKey = "tag-key",
        /// Prefix of a tag value.
        TagValue = "tag-value",
        /// Prefix of the primary region (qkms secrets have none to match).
        PrimaryRegion = "primary-region",
        /// Prefix of the owning service (qkms secrets have none to match).
        OwningService = "owning-service",
        /// Every word prefixes a word of the name, description, tag keys or values, not
        /// case-sensitive.
        All = "all",
    }
}
enum_member!(FilterKey);

/// One filter: values are ORed, and a value with a leading `!` must not match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    /// What is matched.
    pub key: FilterKey,
    /// The prefixes.
    pub values: Vec<String>,
}

/// `Filters`: at most 10, all of which a secret matches.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters(pub Vec<Filter>);

fn filter_value_ok(v: &str) -> bool {
    v.chars().count() <= 512
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || " :_@/+=.-!".contains(c))
}

impl Read for Filters {
    fn read(value: &Value, name: &'static str) -> Result<Self, AwsError> {
        let Value::Array(items) = value else {
            return Err(AwsError::new(
                Exception::Serialization,
                format!("Member {name} must be a list of filters."),
            ));
        };
        if items.len() > 10 {
            return Err(AwsError::validation(
                name,
                "Member must have length less than or equal to 10",
            ));
        }
        let mut filters = Vec::new();
        for item in items {
            let key = match item.get("Key") {
                Some(k) => FilterKey::read(k, "Filters.member.Key")?,
                None => return Err(AwsError::missing("Filters.member.Key")),
            };
            let values = match item.get("Values") {
                Some(v) => StringList::read(v, "Filters.member.Values")?.0,
                None => Vec::new(),
            };
            if values.is_empty() || values.len() > 10 {
                return Err(AwsError::validation(
                    "Filters.member.Values",
                    "Member must have length between 1 and 10",
                ));
            }
            if !values.iter().all(|v| filter_value_ok(v)) {
                return Err(AwsError::validation(
                    "Filters.member.Values",
                    "Member must satisfy regular expression pattern: ^\\!?[a-zA-Z0-9 :_@\\/\\+\\=\\.\\-\\!]*$",
                ));
            }
            filters.push(Filter { key, values });
        }
        Ok(Self(filters))
    }
}
required!(Filters);

impl JsonSchema for Filters {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "SecretFilters".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let keys: Vec<&str> = FilterKey::ALL.iter().map(|k| k.as_str()).collect();
        json_schema!({
            "type": "array",
            "maxItems": 10,
            "items": {
                "type": "object",
                "properties": {
                    "Key": {"type": "string", "enum": keys},
                    "Values": {
                        "type": "array",
                        "minItems": 1,
                        "maxItems": 10,
                        "items": {"type": "string", "maxLength": 512, "pattern": "^\\!?[a-zA-Z0-9 :_@\\/\\+\\=\\.\\-\\!]*$"},
                    },
                },
            },
        })
    }
}

fn starts_with_folded(attr: &str, prefix: &str) -> bool {
    attr.to_lowercase().starts_with(&prefix.to_lowercase())
}

/// `all`: each word of `value` prefixes some word of the secret's text attributes.
fn all_words(s: &SecretRecord, value: &str) -> bool {
    let attrs: Vec<&str> = std::iter::once(s.name.as_str())
        .chain(std::iter::once(s.description.as_str()))
        .chain(s.tags.iter().flat_map(|(k, v)| [k.as_str(), v.as_str()]))
        .collect();
    value.split_whitespace().all(|word| {
        attrs.iter().any(|a| {
            starts_with_folded(a, word)
                || a.split(|c: char| c.is_whitespace() || c == '/')
                    .any(|w| starts_with_folded(w, word))
        })
    })
}

impl Filter {
    fn hit(&self, s: &SecretRecord, v: &str) -> bool {
        match self.key {
            FilterKey::Name => s.name.starts_with(v),
            FilterKey::Description => starts_with_folded(&s.description, v),
            FilterKey::TagKey => s.tags.keys().any(|k| k.starts_with(v)),
            FilterKey::TagValue => s.tags.values().any(|t| t.starts_with(v)),
            FilterKey::PrimaryRegion | FilterKey::OwningService => false,
            FilterKey::All => all_words(s, v),
        }
    }

    /// Whether `s` passes: some positive value matches (when there is one), and no
    /// negated value does.
    #[must_use]
    pub fn matches(&self, s: &SecretRecord) -> bool {
        let (negated, positive): (Vec<&String>, Vec<&String>) =
            self.values.iter().partition(|v| v.starts_with('!'));
        let positive_ok = positive.is_empty() || positive.iter().any(|v| self.hit(s, v));
        positive_ok
            && negated
                .iter()
                .all(|v| !self.hit(s, v.trim_start_matches('!')))
    }
}

/// The secrets that pass every filter, in creation order; those pending deletion only with
/// `include_deleted`.
///
/// # Errors
/// Store failures.
pub fn select(
    kms: &Kms,
    filters: &Filters,
    include_deleted: bool,
) -> Result<Vec<SecretRecord>, AwsError> {
    Ok(kms
        .list_secrets()
        .map_err(fail(""))?
        .into_iter()
        .filter(|s| include_deleted || s.delete_date.is_none())
        .filter(|s| filters.0.iter().all(|f| f.matches(s)))
        .collect())
}

/// `RotationRules` as the answers show them.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct RotationRulesOut {
    /// Days between rotations, when the interval is whole days.
    #[serde(
        rename = "AutomaticallyAfterDays",
        skip_serializing_if = "Option::is_none"
    )]
    pub automatically_after_days: Option<i64>,
    /// The schedule as given, or `rate(N hours)` for an interval of whole hours.
    #[serde(rename = "ScheduleExpression", skip_serializing_if = "Option::is_none")]
    pub schedule_expression: Option<String>,
}

impl RotationRulesOut {
    fn of(interval: i64, expression: Option<&String>) -> Self {
        let days = (interval % DAY == 0).then_some(interval / DAY);
        let expression = expression.cloned().or_else(|| {
            (days.is_none() && interval % HOUR == 0)
                .then(|| format!("rate({} hours)", interval / HOUR))
        });
        Self {
            automatically_after_days: days,
            schedule_expression: expression,
        }
    }
}

/// A secret's metadata, as DescribeSecret and ListSecrets show it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SecretMetadata {
    /// Its ARN.
    #[serde(rename = "ARN")]
    pub arn: String,
    /// Its name.
    #[serde(rename = "Name")]
    pub name: String,
    /// Its description, when it has one.
    #[serde(rename = "Description", skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The ARN of its KMS key; absent for the managed key aws/secretsmanager.
    #[serde(rename = "KmsKeyId", skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<String>,
    /// Whether automatic rotation is on; absent when it was never configured.
    #[serde(rename = "RotationEnabled", skip_serializing_if = "Option::is_none")]
    pub rotation_enabled: Option<bool>,
    /// The rotation function named (qkms plays it).
    #[serde(rename = "RotationLambdaARN", skip_serializing_if = "Option::is_none")]
    pub rotation_lambda_arn: Option<String>,
    /// The rotation schedule.
    #[serde(rename = "RotationRules", skip_serializing_if = "Option::is_none")]
    pub rotation_rules: Option<RotationRulesOut>,
    /// The last rotation, epoch seconds.
    #[serde(rename = "LastRotatedDate", skip_serializing_if = "Option::is_none")]
    pub last_rotated_date: Option<i64>,
    /// The last change of any kind, epoch seconds.
    #[serde(rename = "LastChangedDate")]
    pub last_changed_date: i64,
    /// While pending deletion: when it goes, epoch seconds.
    #[serde(rename = "DeletedDate", skip_serializing_if = "Option::is_none")]
    pub deleted_date: Option<i64>,
    /// The next scheduled rotation, while rotation is on.
    #[serde(rename = "NextRotationDate", skip_serializing_if = "Option::is_none")]
    pub next_rotation_date: Option<i64>,
    /// Its tags, when it has any.
    #[serde(rename = "Tags", skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
    /// When it was made, epoch seconds.
    #[serde(rename = "CreatedDate")]
    pub created_date: i64,
}

impl SecretMetadata {
    /// The metadata of `s`.
    #[must_use]
    pub fn of(s: &SecretRecord, scope: &Scope) -> Self {
        let rotation = s.rotation.as_ref();
        Self {
            arn: secret_arn(scope, s),
            name: s.name.clone(),
            description: (!s.description.is_empty()).then(|| s.description.clone()),
            kms_key_id: s.key_id.as_deref().map(|k| scope.key_arn(k)),
            rotation_enabled: rotation.map(|r| r.enabled),
            rotation_lambda_arn: rotation.and_then(|r| r.function.clone()),
            rotation_rules: rotation
                .map(|r| RotationRulesOut::of(r.interval, r.expression.as_ref())),
            last_rotated_date: s.last_rotated,
            last_changed_date: s.updated,
            deleted_date: s.delete_date,
            next_rotation_date: rotation.filter(|r| r.enabled).map(|r| r.next),
            tags: tag_list(&s.tags),
            created_date: s.created,
        }
    }
}

/// The labelled versions of `s` and their labels.
fn versions_to_stages(s: &SecretRecord) -> BTreeMap<String, Vec<String>> {
    s.versions
        .iter()
        .filter(|v| !v.stages.is_empty())
        .map(|v| (v.id.clone(), stage_names(&v.stages)))
        .collect()
}

members! {
    /// DescribeSecret's members.
    pub struct DescribeSecretRequest {
        /// The secret: name or ARN.
        secret_id: SecretId = "SecretId",
    }
}

/// DescribeSecret's answer.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct DescribeSecretResponse {
    /// The metadata.
    #[serde(flatten)]
    pub metadata: SecretMetadata,
    /// The labelled versions and their labels.
    #[serde(
        rename = "VersionIdsToStages",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub version_ids_to_stages: BTreeMap<String, Vec<String>>,
}

/// DescribeSecret (a secret pending deletion included, with `DeletedDate`).
///
/// # Errors
/// The exception to render.
pub fn describe_secret(
    req: DescribeSecretRequest,
    kms: &Kms,
    scope: &Scope,
) -> Result<DescribeSecretResponse, AwsError> {
    let name = resolve(&req.secret_id, kms);
    let s = kms.describe_secret(&name).map_err(fail(&name))?;
    Ok(DescribeSecretResponse {
        metadata: SecretMetadata::of(&s, scope),
        version_ids_to_stages: versions_to_stages(&s),
    })
}

closed_enum! {
    /// `SortOrder`.
    pub enum SortOrder {
        /// Oldest (or first) first.
        Asc = "asc",
        /// Newest (or last) first.
        Desc = "desc",
    }
}
enum_member!(SortOrder);

closed_enum! {
    /// `SortBy`.
    pub enum SortBy {
        /// Creation time.
        CreatedDate = "created-date",
        /// Last access (not tracked by qkms: creation time).
        LastAccessedDate = "last-accessed-date",
        /// Last change.
        LastChangedDate = "last-changed-date",
        /// Name.
        Name = "name",
    }
}
enum_member!(SortBy);

members! {
    /// ListSecrets' members.
    pub struct ListSecretsRequest {
        /// Secrets pending deletion too.
        include_planned_deletion: Bool = "IncludePlannedDeletion",
        /// Secrets per page [default: 100].
        max_results: Option<Int<1, 100>> = "MaxResults",
        /// The `NextToken` of the previous page.
        next_token: Option<Str<1, 4096>> = "NextToken",
        /// Filters, all of which a secret matches.
        filters: Option<Filters> = "Filters",
        /// [default: asc].
        sort_order: Option<SortOrder> = "SortOrder",
        /// [default: created-date].
        sort_by: Option<SortBy> = "SortBy",
    }
}

/// One listed secret.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SecretListEntry {
    /// The metadata.
    #[serde(flatten)]
    pub metadata: SecretMetadata,
    /// The labelled versions and their labels.
    #[serde(
        rename = "SecretVersionsToStages",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub secret_versions_to_stages: BTreeMap<String, Vec<String>>,
}

/// ListSecrets' answer.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ListSecretsResponse {
    /// The page.
    #[serde(rename = "SecretList")]
    pub secret_list: Vec<SecretListEntry>,
    /// Where the next page starts.
    #[serde(rename = "NextToken", skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// ListSecrets.
///
/// # Errors
/// The exception to render.
pub fn list_secrets(
    req: ListSecretsRequest,
    kms: &Kms,
    scope: &Scope,
) -> Result<ListSecretsResponse, AwsError> {
    let filters = req.filters.unwrap_or_default();
    let mut all = select(kms, &filters, req.include_planned_deletion.0)?;
    // Stable sorts, so equal keys keep creation order.
    match req.sort_by.unwrap_or(SortBy::CreatedDate) {
        SortBy::CreatedDate | SortBy::LastAccessedDate => all.sort_by_key(|s| s.created),
        SortBy::LastChangedDate => all.sort_by_key(|s| s.updated),
        SortBy::Name => all.sort_by(|a, b| a.name.cmp(&b.name)),
    }
    if req.sort_order == Some(SortOrder::Desc) {
        all.reverse();
    }
    let offset = token_offset(req.next_token.as_ref())?;
    let limit = req
        .max_results
        .map_or(100, |m| usize::try_from(m.0).unwrap_or(1));
    let secret_list: Vec<SecretListEntry> = all
        .iter()
        .skip(offset)
        .take(limit)
        .map(|s| SecretListEntry {
            metadata: SecretMetadata::of(s, scope),
            secret_versions_to_stages: versions_to_stages(s),
        })
        .collect();
    Ok(ListSecretsResponse {
        next_token: next_token(offset + secret_list.len(), all.len()),
        secret_list,
    })
}

members! {
    /// DeleteSecret's members.
    pub struct DeleteSecretRequest {
        /// The secret: name or ARN.
        secret_id: SecretId = "SecretId",
        /// Days before it goes, 7 to 30 [default: 30].
        recovery_window_in_days: Option<Int<{ i64::MIN }, { i64::MAX }>> = "RecoveryWindowInDays",
        /// Delete at once, beyond recovery.
        force_delete_without_recovery: Bool = "ForceDeleteWithoutRecovery",
    }
}

/// DeleteSecret's answer.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct DeleteSecretResponse {
    /// The secret's ARN.
    #[serde(rename = "ARN")]
    pub arn: String,
    /// Its name.
    #[serde(rename = "Name")]
    pub name: String,
    /// When it goes (now, when forced), epoch seconds.
    #[serde(rename = "DeletionDate")]
    pub deletion_date: i64,
}

/// DeleteSecret: a recovery window of 7 to 30 days, or at once when forced.
///
/// # Errors
/// The exception to render.
pub fn delete_secret(
    req: DeleteSecretRequest,
    kms: &Kms,
    scope: &Scope,
) -> Result<DeleteSecretResponse, AwsError> {
    let force = req.force_delete_without_recovery.0;
    let window = match (req.recovery_window_in_days, force) {
        (Some(_), true) => {
            return Err(invalid(
                "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.",
            ));
        }
        (Some(Int(days)), false) if !(7..=30).contains(&days) => {
            return Err(invalid(
                "The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).",
            ));
        }
        (Some(Int(days)), false) => days,
        (None, _) => DEFAULT_WINDOW,
    };
    let name = resolve(&req.secret_id, kms);
    let s = kms
        .delete_secret(&name, window, force)
        .map_err(fail(&name))?;
    Ok(DeleteSecretResponse {
        arn: secret_arn(scope, &s),
        name: s.name.clone(),
        deletion_date: s.delete_date.unwrap_or_else(|| kms.now()),
    })
}

members! {
    /// The members of the operations that take only a secret.
    pub struct SecretIdRequest {
        /// The secret: name or ARN.
        secret_id: SecretId = "SecretId",
    }
}

/// RestoreSecret: cancels a scheduled deletion (a secret not pending deletion is fine).
///
/// # Errors
/// The exception to render.
pub fn restore_secret(
    req: SecretIdRequest,
    kms: &Kms,
    scope: &Scope,
) -> Result<SecretRef, AwsError> {
    let name = resolve(&req.secret_id, kms);
    let s = kms.restore_secret(&name, &RULES).map_err(fail(&name))?;
    Ok(SecretRef::of(scope, &s))
}

members! {
    /// TagResource's members.
    pub struct TagResourceRequest {
        /// The secret: name or ARN.
        secret_id: SecretId = "SecretId",
        /// Tags to add or replace (at most 50 in all).
        tags: SecretTags = "Tags",
    }
}

/// TagResource.
///
/// # Errors
/// The exception to render.
pub fn tag_resource(req: TagResourceRequest, kms: &Kms, _: &Scope) -> Result<Empty, AwsError> {
    let name = resolve(&req.secret_id, kms);
    kms.tag_secret(&name, &req.tags.0, MAX_TAGS)
        .map_err(fail(&name))?;
    Ok(Empty {})
}

members! {
    /// UntagResource's members.
    pub struct UntagResourceRequest {
        /// The secret: name or ARN.
        secret_id: SecretId = "SecretId",
        /// Keys of the tags to remove (absent keys are ignored).
        tag_keys: StringList = "TagKeys",
    }
}

/// UntagResource.
///
/// # Errors
/// The exception to render.
pub fn untag_resource(req: UntagResourceRequest, kms: &Kms, _: &Scope) -> Result<Empty, AwsError> {
    let name = resolve(&req.secret_id, kms);
    kms.untag_secret(&name, &req.tag_keys.0)
        .map_err(fail(&name))?;
    Ok(Empty {})
}

/// GetResourcePolicy's answer.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct GetResourcePolicyResponse {
    /// The secret's ARN.
    #[serde(rename = "ARN")]
    pub arn: String,
    /// Its name.
    #[serde(rename = "Name")]
    pub name: String,
    /// The policy as set; absent when none is.
    #[serde(rename = "ResourcePolicy", skip_serializing_if = "Option::is_none")]
    pub resource_policy: Option<String>,
}

/// GetResourcePolicy.
///
/// # Errors
/// The exception to render.
pub fn get_resource_policy(
    req: SecretIdRequest,
    kms: &Kms,
    scope: &Scope,
) -> Result<GetResourcePolicyResponse, AwsError> {
    let name = resolve(&req.secret_id, kms);
    let s = kms.describe_secret(&name).map_err(fail(&name))?;
    Ok(GetResourcePolicyResponse {
        arn: secret_arn(scope, &s),
        name: s.name,
        resource_policy: s.policy,
    })
}

members! {
    /// PutResourcePolicy's members.
    pub struct PutResourcePolicyRequest {
        /// The secret: name or ARN.
        secret_id: SecretId = "SecretId",
        /// The policy (JSON: Version and Statement).
        resource_policy: Str<1, 20_480> = "ResourcePolicy",
        /// Accepted; qkms does not judge whether a policy is public.
        block_public_policy: Bool = "BlockPublicPolicy",
    }
}

/// PutResourcePolicy: checked for the policy grammar, stored as given, not enforced.
///
/// # Errors
/// The exception to render.
pub fn put_resource_policy(
    req: PutResourcePolicyRequest,
    kms: &Kms,
    scope: &Scope,
) -> Result<SecretRef, AwsError> {
    let name = resolve(&req.secret_id, kms);
    check_policy(&req.resource_policy.0).map_err(fail(&name))?;
    let s = kms
        .set_secret_policy(&name, Some(req.resource_policy.0))
        .map_err(fail(&name))?;
    Ok(SecretRef::of(scope, &s))
}

/// DeleteResourcePolicy (a secret without one is fine).
///
/// # Errors
/// The exception to render.
pub fn delete_resource_policy(
    req: SecretIdRequest,
    kms: &Kms,
    scope: &Scope,
) -> Result<SecretRef, AwsError> {
    let name = resolve(&req.secret_id, kms);
    let s = kms.set_secret_policy(&name, None).map_err(fail(&name))?;
    Ok(SecretRef::of(scope, &s))
}

members! {
    /// ValidateResourcePolicy's members.
    pub struct ValidateResourcePolicyRequest {
        /// A secret that must exist, when given.
        secret_id: Option<SecretId> = "SecretId",
        /// The policy.
        resource_policy: Str<1, 20_480> = "ResourcePolicy",
    }
}

/// One finding of ValidateResourcePolicy.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ValidationErrorsEntry {
    /// The check.
    #[serde(rename = "CheckName")]
    pub check_name: String,
    /// What it found.
    #[serde(rename = "ErrorMessage")]
    pub error_message: String,
}

/// ValidateResourcePolicy's answer.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ValidateResourcePolicyResponse {
    /// True: the policy is well formed.
    #[serde(rename = "PolicyValidationPassed")]
    pub policy_validation_passed: bool,
    /// Findings (none: qkms checks the grammar only, and refuses a malformed policy).
    #[serde(rename = "ValidationErrors")]
    pub validation_errors: Vec<ValidationErrorsEntry>,
}

/// ValidateResourcePolicy: the grammar check of PutResourcePolicy, without storing.
///
/// # Errors
/// `MalformedPolicyDocumentException` for a policy that is not a policy document.
pub fn validate_resource_policy(
    req: ValidateResourcePolicyRequest,
    kms: &Kms,
    _: &Scope,
) -> Result<ValidateResourcePolicyResponse, AwsError> {
    let name = req
        .secret_id
        .as_ref()
        .map(|id| resolve(id, kms))
        .unwrap_or_default();
    if req.secret_id.is_some() {
        kms.describe_secret(&name).map_err(fail(&name))?;
    }
    check_policy(&req.resource_policy.0).map_err(fail(&name))?;
    Ok(ValidateResourcePolicyResponse {
        policy_validation_passed: true,
        validation_errors: Vec::new(),
    })
}

crate::protocol::family!($ manage_actions {
    DescribeSecret(manage::DescribeSecretRequest => manage::DescribeSecretResponse) = manage::describe_secret,
        blocking, [], "Describes a secret: metadata, rotation, tags and version labels (no value).";
    ListSecrets(manage::ListSecretsRequest => manage::ListSecretsResponse) = manage::list_secrets,
        blocking, [], "Lists secrets, filtered and sorted, a page at a time.";
    DeleteSecret(manage::DeleteSecretRequest => manage::DeleteSecretResponse) = manage::delete_secret,
        blocking, [], "Schedules a secret's deletion after a recovery window, or deletes it at once.";
    RestoreSecret(manage::SecretIdRequest => values::SecretRef) = manage::restore_secret,
        blocking, [], "Cancels a secret's scheduled deletion.";
    TagResource(manage::TagResourceRequest => manage::Empty) = manage::tag_resource,
        blocking, [], "Adds or replaces tags of a secret.";
    UntagResource(manage::UntagResourceRequest => manage::Empty) = manage::untag_resource,
        blocking, [], "Removes tags from a secret.";
    GetResourcePolicy(manage::SecretIdRequest => manage::GetResourcePolicyResponse) = manage::get_resource_policy,
        blocking, [], "Returns a secret's resource policy, if it has one.";
    PutResourcePolicy(manage::PutResourcePolicyRequest => values::SecretRef) = manage::put_resource_policy,
        blocking, [], "Sets a secret's resource policy (checked and stored, not enforced).";
    DeleteResourcePolicy(manage::SecretIdRequest => values::SecretRef) = manage::delete_resource_policy,
        blocking, [], "Removes a secret's resource policy.";
    ValidateResourcePolicy(manage::ValidateResourcePolicyRequest => manage::ValidateResourcePolicyResponse) = manage::validate_resource_policy,
        blocking, [], "Checks a resource policy's grammar without setting it.";
});
