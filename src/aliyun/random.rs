//! GetRandomPassword: a password from the service's entropy (see `service::random`).

use schemars::JsonSchema;
use serde::Serialize;

use super::error::AliyunError;
use super::fields::{Flag, Ranged, params};
use crate::service::{Kms, PasswordRules};

/// Length when `PasswordLength` is absent.
const DEFAULT_LENGTH: usize = 32;

params! {
    /// GetRandomPassword's parameters.
    pub struct GetRandomPasswordRequest {
        /// Its length, 8 to 128 [default: 32].
        password_length: Option<Ranged<8, 128>> = "PasswordLength",
        /// Characters never used.
        exclude_characters: Option<String> = "ExcludeCharacters",
        /// No lowercase letters [default: false].
        exclude_lowercase: Flag = "ExcludeLowercase",
        /// No uppercase letters [default: false].
        exclude_uppercase: Flag = "ExcludeUppercase",
        /// No digits [default: false].
        exclude_numbers: Flag = "ExcludeNumbers",
        /// No punctuation (the 32 ASCII punctuation characters) [default: false].
        exclude_punctuation: Flag = "ExcludePunctuation",
        /// At least one character of every type not excluded [default: true].
        require_each_included_type: Option<Flag> = "RequireEachIncludedType",
    }
}

/// GetRandomPassword's answer.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct GetRandomPasswordResponse {
    /// The password.
    pub random_password: String,
}

/// GetRandomPassword.
///
/// # Errors
/// The Aliyun error to render.
pub fn get_random_password(
    req: GetRandomPasswordRequest,
    kms: &Kms,
) -> Result<GetRandomPasswordResponse, AliyunError> {
    let rules = PasswordRules {
        length: req
            .password_length
            .and_then(|n| usize::try_from(n.0).ok())
            .unwrap_or(DEFAULT_LENGTH),
        exclude_characters: req.exclude_characters.unwrap_or_default(),
        exclude_lowercase: req.exclude_lowercase.0,
        exclude_uppercase: req.exclude_uppercase.0,
        exclude_numbers: req.exclude_numbers.0,
        exclude_punctuation: req.exclude_punctuation.0,
        require_each_included_type: req.require_each_included_type.is_none_or(|f| f.0),
        include_space: false,
    };
    let password = kms.random_password(&rules)?;
    // Every character comes from an ASCII set, so this never replaces anything.
    let random_password = String::from_utf8_lossy(password.expose()).into_owned();
    Ok(GetRandomPasswordResponse { random_password })
}

crate::protocol::family!($ random_actions {
    GetRandomPassword(random::GetRandomPasswordRequest => random::GetRandomPasswordResponse) = random::get_random_password,
        blocking, ["RandomPassword"], "Generates a random password from the chosen character types.";
});
