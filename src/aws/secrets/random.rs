//! GetRandomPassword (Secrets Manager's, with its wider bounds and `IncludeSpace`).

use schemars::JsonSchema;
use serde::Serialize;

use super::super::error::AwsError;
use super::super::members::{Bool, Int, Str, members};
use super::super::wire::Scope;
use crate::service::{Kms, PasswordRules};

/// Length when `PasswordLength` is absent.
const DEFAULT_LENGTH: i64 = 32;

members! {
    /// GetRandomPassword's members.
    pub struct GetRandomPasswordRequest {
        /// Its length, 1 to 4096 [default: 32].
        password_length: Option<Int<1, 4096>> = "PasswordLength",
        /// Characters never used.
        exclude_characters: Option<Str<0, 4096>> = "ExcludeCharacters",
        /// No digits.
        exclude_numbers: Bool = "ExcludeNumbers",
        /// No punctuation.
        exclude_punctuation: Bool = "ExcludePunctuation",
        /// No uppercase letters.
        exclude_uppercase: Bool = "ExcludeUppercase",
        /// No lowercase letters.
        exclude_lowercase: Bool = "ExcludeLowercase",
        /// The space character may appear.
        include_space: Bool = "IncludeSpace",
        /// At least one character of every included type [default: true].
        require_each_included_type: Option<bool> = "RequireEachIncludedType",
    }
}

/// GetRandomPassword's answer.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct GetRandomPasswordResponse {
    /// The password.
    #[serde(rename = "RandomPassword")]
    pub random_password: String,
}

/// GetRandomPassword.
///
/// # Errors
/// `InvalidParameterException` when nothing is left to draw from.
pub fn get_random_password(
    req: GetRandomPasswordRequest,
    kms: &Kms,
    _: &Scope,
) -> Result<GetRandomPasswordResponse, AwsError> {
    let rules = PasswordRules {
        length: usize::try_from(req.password_length.map_or(DEFAULT_LENGTH, |n| n.0)).unwrap_or(32),
        exclude_characters: req.exclude_characters.map(|s| s.0).unwrap_or_default(),
        exclude_lowercase: req.exclude_lowercase.0,
        exclude_uppercase: req.exclude_uppercase.0,
        exclude_numbers: req.exclude_numbers.0,
        exclude_punctuation: req.exclude_punctuation.0,
        require_each_included_type: req.require_each_included_type.unwrap_or(true),
        include_space: req.include_space.0,
    };
    let password = kms
        .random_password(&rules)
        .map_err(|e| AwsError::from_secrets(e, ""))?;
    Ok(GetRandomPasswordResponse {
        random_password: String::from_utf8_lossy(password.expose()).into_owned(),
    })
}

crate::protocol::family!($ random_actions {
    GetRandomPassword(random::GetRandomPasswordRequest => random::GetRandomPasswordResponse) = random::get_random_password,
        blocking, ["RandomPassword"], "Generates a random password.";
});
