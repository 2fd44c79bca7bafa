//! Key policies: GetKeyPolicy, SetKeyPolicy. The policy is kept byte for byte and shared
//! with the AWS dialect (PutKeyPolicy / GetKeyPolicy there); a key without one reports
//! Aliyun's default policy for the server's account. Policies are not enforced yet.

use schemars::JsonSchema;
use serde::Serialize;

use super::error::AliyunError;
use super::fields::params;
use super::keys::Empty;
use super::wire;
use crate::service::{Kms, Scope};

/// The one policy name a key has.
const DEFAULT_POLICY_NAME: &str = "default";

/// Aliyun's default key policy: every RAM user of the key's account may do everything.
#[must_use]
pub fn default_policy(scope: &Scope) -> String {
    format!(
        r#"{{"Version":"1","Statement":[{{"Sid":"Enable RAM User Permissions","Effect":"Allow","Principal":{{"RAM":["acs:ram::{}:*"]}},"Action":["kms:*"],"Resource":["*"]}}]}}"#,
        scope.account
    )
}

/// Refuses any policy name but `default` (the only one a key has).
fn policy_name(name: Option<&str>) -> Result<(), AliyunError> {
    match name {
        None | Some(DEFAULT_POLICY_NAME) => Ok(()),
        Some(_) => Err(AliyunError::invalid_because(
            "PolicyName",
            "The only key policy name is default.",
        )),
    }
}

params! {
    /// GetKeyPolicy's parameters.
    pub struct GetKeyPolicyRequest {
        /// A key ID, key ARN, `alias/<name>` or alias ARN.
        key_id: String = "KeyId",
        /// `default`, the only name [default: default].
        policy_name: Option<String> = "PolicyName",
    }
}

/// GetKeyPolicy's answer.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct GetKeyPolicyResponse {
    /// The policy document, as it was set (or the default one).
    pub policy: String,
}

/// GetKeyPolicy (every key state).
///
/// # Errors
/// The Aliyun error to render.
pub fn get_key_policy(
    req: GetKeyPolicyRequest,
    kms: &Kms,
) -> Result<GetKeyPolicyResponse, AliyunError> {
    policy_name(req.policy_name.as_deref())?;
    let key = kms.describe_key(&wire::key_ref(&req.key_id, kms.scope())?)?;
    Ok(GetKeyPolicyResponse {
        policy: key.policy.unwrap_or_else(|| default_policy(kms.scope())),
    })
}

params! {
    /// SetKeyPolicy's parameters.
    pub struct SetKeyPolicyRequest {
        /// A key ID, key ARN, `alias/<name>` or alias ARN.
        key_id: String = "KeyId",
        /// The policy document: JSON, at most 32768 bytes.
        policy: String = "Policy",
        /// `default`, the only name [default: default].
        policy_name: Option<String> = "PolicyName",
    }
}

/// SetKeyPolicy (every key state).
///
/// # Errors
/// The Aliyun error to render.
pub fn set_key_policy(req: SetKeyPolicyRequest, kms: &Kms) -> Result<Empty, AliyunError> {
    policy_name(req.policy_name.as_deref())?;
    kms.set_key_policy(&wire::key_ref(&req.key_id, kms.scope())?, &req.policy)?;
    Ok(Empty {})
}

crate::protocol::family!($ policy_actions {
    GetKeyPolicy(policy::GetKeyPolicyRequest => policy::GetKeyPolicyResponse) = policy::get_key_policy,
        blocking, [], "Returns a key's policy: as it was set, or the default one.";
    SetKeyPolicy(policy::SetKeyPolicyRequest => keys::Empty) = policy::set_key_policy,
        blocking, [], "Replaces a key's policy (a JSON policy document of at most 32 KiB).";
});
