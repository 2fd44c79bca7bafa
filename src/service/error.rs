//! The domain error: protocol-neutral. Each protocol maps it to its own codes once.

use super::model::KeyState;
use crate::store::StoreError;

/// Why a KMS operation failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No key with that ID or ARN.
    #[error("the specified key is not found")]
    KeyNotFound,
    /// No alias with that name.
    #[error("the specified alias is not found")]
    AliasNotFound,
    /// The key version named in a ciphertext does not exist.
    #[error("the specified key version is not found")]
    KeyVersionNotFound,
    /// The key's state forbids using it for cryptography.
    #[error("the key state is {0:?}")]
    KeyUnusable(KeyState),
    /// The key's state forbids this state change.
    #[error("the key state cannot be modified")]
    StateModifiedFailed,
    /// The operation needs an EXTERNAL key.
    #[error("this key origin is not valid for this operation")]
    UnsupportedOrigin,
    /// The import token does not parse or belongs to another key.
    #[error("import token is invalid")]
    InvalidImportToken,
    /// The import token's 24 hours are over.
    #[error("import token is expired")]
    ExpiredImportToken,
    /// The wrapped material does not unwrap with the token's wrapping key and algorithm.
    #[error("the wrapped key material does not unwrap")]
    UnwrapFailed,
    /// The material has the wrong size, or differs from the material first imported.
    #[error("key material is invalid")]
    InvalidKeyMaterial,
    /// The ciphertext is malformed, or does not authenticate (wrong context, tampering).
    #[error("the ciphertext is invalid")]
    InvalidCiphertext,
    /// The key would carry more tags than the protocol allows.
    #[error("a key has at most {0} tags")]
    TooManyTags(usize),
    /// An alias with that name exists.
    #[error("alias already exists")]
    AliasAlreadyExists,
    /// A parameter value is not acceptable.
    #[error("invalid parameter {name}: {reason}")]
    InvalidParameter {
        /// Wire-neutral parameter name (the Aliyun spelling).
        name: &'static str,
        /// Why, for the message.
        reason: String,
    },
    /// Too much expensive work (wrapping-key generation) is running or queued: retry later.
    #[error("the request was throttled")]
    Throttled,
    /// The stored record of this key cannot be read (see `qkms check`); other keys are
    /// unaffected.
    #[error("{0}")]
    UnreadableKey(String),
    /// Something broke inside; the detail goes to the log only.
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// Shorthand for [`Error::InvalidParameter`].
    pub fn invalid(name: &'static str, reason: impl Into<String>) -> Self {
        Self::InvalidParameter {
            name,
            reason: reason.into(),
        }
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Corrupt { .. } => Self::UnreadableKey(e.to_string()),
            other => Self::Internal(other.to_string()),
        }
    }
}

/// Result alias for service calls.
pub type Result<T, E = Error> = std::result::Result<T, E>;
