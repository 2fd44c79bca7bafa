//! GetKeyLastUsage: when a key was last used for cryptography, and by which operation
//! (through either dialect). Uses are noted in memory and persisted once a second, so the
//! answer is current while the server runs and survives a restart after a flush.

use schemars::JsonSchema;
use serde::Serialize;

use super::error::AwsError;
use super::keys::fail;
use super::members::members;
use super::wire::{KeyOnly, Scope};
use crate::service::Kms;

members! {
    /// GetKeyLastUsage's members.
    pub struct GetKeyLastUsageRequest {
        /// The key (ID or key ARN).
        key_id: KeyOnly = "KeyId",
    }
}

/// The last use (`KeyLastUsageData`); empty when the key has not been used since tracking
/// started.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct KeyLastUsage {
    /// The operation: Encrypt, Decrypt, ReEncrypt, GenerateDataKey or
    /// GenerateDataKeyWithoutPlaintext.
    #[serde(rename = "Operation", skip_serializing_if = "Option::is_none")]
    pub operation: Option<&'static str>,
    /// When, epoch seconds.
    #[serde(rename = "Timestamp", skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<i64>,
}

/// GetKeyLastUsage's answer.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct GetKeyLastUsageResponse {
    /// The key's ARN.
    #[serde(rename = "KeyId")]
    pub key_id: String,
    /// The last successful cryptographic use, if any since `TrackingStartDate`.
    #[serde(rename = "KeyLastUsage", skip_serializing_if = "Option::is_none")]
    pub key_last_usage: Option<KeyLastUsage>,
    /// When this store started tracking use, epoch seconds.
    #[serde(rename = "TrackingStartDate")]
    pub tracking_start_date: i64,
    /// When the key was made, epoch seconds.
    #[serde(rename = "KeyCreationDate")]
    pub key_creation_date: i64,
}

/// GetKeyLastUsage (every key state).
///
/// # Errors
/// The exception to render.
pub fn get_key_last_usage(
    req: GetKeyLastUsageRequest,
    kms: &Kms,
    scope: &Scope,
) -> Result<GetKeyLastUsageResponse, AwsError> {
    let usage = kms
        .key_last_usage(&req.key_id.key_ref(scope)?)
        .map_err(fail(&req.key_id, scope))?;
    Ok(GetKeyLastUsageResponse {
        key_id: scope.key_arn(&usage.key_id),
        key_last_usage: usage.last_use.map(|u| KeyLastUsage {
            operation: Some(u.operation.as_str()),
            timestamp: Some(u.at),
        }),
        tracking_start_date: usage.tracking_start,
        key_creation_date: usage.key_created,
    })
}

crate::protocol::family!($ usage_actions {
    GetKeyLastUsage(usage::GetKeyLastUsageRequest => usage::GetKeyLastUsageResponse) = usage::get_key_last_usage,
        blocking, [], "Tells when and by which operation a key was last used for cryptography.";
});
