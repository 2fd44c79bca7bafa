//! Key policies: PutKeyPolicy, GetKeyPolicy, ListKeyPolicies. The policy is kept byte for
//! byte and shared with the Aliyun dialect (SetKeyPolicy / GetKeyPolicy there); a key
//! without one reports AWS's default key policy for the configured account. Policies are
//! not enforced yet, so the lockout safety check has nothing to check (see the README).

use schemars::JsonSchema;
use serde::Serialize;

use super::error::{AwsError, Exception};
use super::keys::{Empty, More, fail, page};
use super::members::{Bool, Int, Str, members};
use super::wire::{KeyOnly, Scope};
use crate::service::Kms;

/// The key policy every key has; `AWS_RAM` exists only for keys shared through RAM.
const DEFAULT_POLICY_NAME: &str = "default";

/// AWS's default key policy, as GetKeyPolicy returns it: pretty-printed the way AWS prints
/// it (two-space indent, `" : "` between name and value, `[ {` for the statement list).
#[must_use]
pub fn default_policy(account: &str) -> String {
    format!(
        "{{\n  \"Version\" : \"2012-10-17\",\n  \"Id\" : \"key-default-1\",\n  \"Statement\" : [ {{\n    \"Sid\" : \"Enable IAM User Permissions\",\n    \"Effect\" : \"Allow\",\n    \"Principal\" : {{\n      \"AWS\" : \"arn:aws:iam::{account}:root\"\n    }},\n    \"Action\" : \"kms:*\",\n    \"Resource\" : \"*\"\n  }} ]\n}}"
    )
}

/// `PolicyName`'s pattern, `[\w]+`.
fn policy_name(name: Option<&Str<1, 128>>) -> Result<&str, AwsError> {
    let Some(name) = name else {
        return Ok(DEFAULT_POLICY_NAME);
    };
    if name.0.chars().all(|c| c.is_alphanumeric() || c == '_') {
        Ok(&name.0)
    } else {
        Err(AwsError::validation(
            "PolicyName",
            "Member must satisfy regular expression pattern: [\\w]+",
        ))
    }
}

/// `PolicyType`'s pattern: tab, newline, carriage return and U+0020 to U+00FF only.
///
/// # Errors
/// `ValidationException`.
pub fn policy_chars(member: &str, policy: &str) -> Result<(), AwsError> {
    if policy
        .chars()
        .all(|c| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{ff}'))
    {
        Ok(())
    } else {
        Err(AwsError::validation(
            member,
            "Member must satisfy regular expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u00FF]+",
        ))
    }
}

members! {
    /// GetKeyPolicy's members.
    pub struct GetKeyPolicyRequest {
        /// The key.
        key_id: KeyOnly = "KeyId",
        /// `default` [default: default]; `AWS_RAM` names no policy in qkms.
        policy_name: Option<Str<1, 128>> = "PolicyName",
    }
}

/// GetKeyPolicy's answer.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct GetKeyPolicyResponse {
    /// The policy document, as it was set (or the default one).
    #[serde(rename = "Policy")]
    pub policy: String,
    /// `default`.
    #[serde(rename = "PolicyName")]
    pub policy_name: &'static str,
}

/// GetKeyPolicy (every key state).
///
/// # Errors
/// The exception to render.
pub fn get_key_policy(
    req: GetKeyPolicyRequest,
    kms: &Kms,
    scope: &Scope,
) -> Result<GetKeyPolicyResponse, AwsError> {
    let name = policy_name(req.policy_name.as_ref())?;
    let key = kms
        .describe_key(&req.key_id.key_ref(scope)?)
        .map_err(fail(&req.key_id, scope))?;
    if name != DEFAULT_POLICY_NAME {
        return Err(AwsError::new(
            Exception::NotFound,
            format!("No such policy exists: {name}"),
        ));
    }
    Ok(GetKeyPolicyResponse {
        policy: key.policy.unwrap_or_else(|| default_policy(&scope.account)),
        policy_name: DEFAULT_POLICY_NAME,
    })
}

members! {
    /// PutKeyPolicy's members.
    pub struct PutKeyPolicyRequest {
        /// The key.
        key_id: KeyOnly = "KeyId",
        /// The policy document: JSON, at most 32 KB (the policy size quota).
        policy: Str<1, 131_072> = "Policy",
        /// Only `default` can be set [default: default].
        policy_name: Option<Str<1, 128>> = "PolicyName",
        /// Accepted: qkms has no principals yet, so no policy can lock anyone out.
        bypass_policy_lockout_safety_check: Bool = "BypassPolicyLockoutSafetyCheck",
    }
}

/// PutKeyPolicy (every key state).
///
/// # Errors
/// The exception to render.
pub fn put_key_policy(
    req: PutKeyPolicyRequest,
    kms: &Kms,
    scope: &Scope,
) -> Result<Empty, AwsError> {
    let name = policy_name(req.policy_name.as_ref())?;
    if name != DEFAULT_POLICY_NAME {
        return Err(AwsError::validation(
            "PolicyName",
            "Member must be default: only the default key policy can be set",
        ));
    }
    policy_chars("Policy", &req.policy.0)?;
    kms.set_key_policy(&req.key_id.key_ref(scope)?, &req.policy.0)
        .map_err(fail(&req.key_id, scope))?;
    Ok(Empty {})
}

members! {
    /// ListKeyPolicies' members.
    pub struct ListKeyPoliciesRequest {
        /// The key.
        key_id: KeyOnly = "KeyId",
        /// Names per page [default: 100].
        limit: Option<Int<1, 1000>> = "Limit",
        /// The `NextMarker` of the previous page.
        marker: Option<Str<1, 1024>> = "Marker",
    }
}

/// ListKeyPolicies' answer.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ListKeyPoliciesResponse {
    /// `["default"]`.
    #[serde(rename = "PolicyNames")]
    pub policy_names: Vec<&'static str>,
    /// Whether more follow.
    #[serde(flatten)]
    pub more: More,
}

/// ListKeyPolicies (every key state): every key has exactly the `default` policy.
///
/// # Errors
/// The exception to render.
pub fn list_key_policies(
    req: ListKeyPoliciesRequest,
    kms: &Kms,
    scope: &Scope,
) -> Result<ListKeyPoliciesResponse, AwsError> {
    let (offset, limit) = page(req.marker.as_ref(), req.limit.map(|l| l.0), 100)?;
    kms.describe_key(&req.key_id.key_ref(scope)?)
        .map_err(fail(&req.key_id, scope))?;
    let all = [DEFAULT_POLICY_NAME];
    let policy_names: Vec<&'static str> = all.iter().copied().skip(offset).take(limit).collect();
    let more = More::after(offset, policy_names.len(), all.len());
    Ok(ListKeyPoliciesResponse { policy_names, more })
}

crate::protocol::family!($ policy_actions {
    GetKeyPolicy(policy::GetKeyPolicyRequest => policy::GetKeyPolicyResponse) = policy::get_key_policy,
        blocking, [], "Returns a key's policy: as it was set, or AWS's default key policy.";
    PutKeyPolicy(policy::PutKeyPolicyRequest => keys::Empty) = policy::put_key_policy,
        blocking, [], "Replaces a key's policy (a JSON policy document of at most 32 KB).";
    ListKeyPolicies(policy::ListKeyPoliciesRequest => policy::ListKeyPoliciesResponse) = policy::list_key_policies,
        blocking, [], "Lists a key's policy names: always default.";
});
