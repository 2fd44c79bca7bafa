//! The domain error: protocol-neutral and precise, so that each protocol maps it once,
//! exhaustively, and never has to read a key again to word a message.

use crate::model::{KeyState, Origin};
use crate::store::StoreError;

/// Why a key cannot be used for cryptography.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unusable {
    /// The key is Disabled.
    Disabled,
    /// The key is PendingDeletion.
    PendingDeletion,
    /// The key has no material (PendingImport, or its material expired or was deleted).
    NoMaterial,
}

/// Any error, kept as the source of [`Error::Internal`].
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Why a KMS operation failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The caller may not do this (nothing was changed).
    #[error("{} is not authorized to perform {} on {}", .0.principal_aws, .0.permission, .0.resource_aws)]
    AccessDenied(Box<super::access::Denial>),
    /// No key with that ID.
    #[error("the specified key is not found")]
    KeyNotFound,
    /// No alias with that name.
    #[error("the specified alias is not found")]
    AliasNotFound,
    /// The key version named in a ciphertext does not exist.
    #[error("the specified key version is not found")]
    KeyVersionNotFound,
    /// The key cannot be used for cryptography now.
    #[error("the key cannot be used: {0:?}")]
    Unusable(Unusable),
    /// The key's state (given) forbids this operation.
    #[error("the key state {state:?} does not allow this operation")]
    StateChangeRefused {
        /// The key's state.
        state: KeyState,
    },
    /// The operation needs an EXTERNAL key; this one has `origin`.
    #[error("this key origin is not valid for this operation")]
    UnsupportedOrigin {
        /// The key's origin.
        origin: Origin,
    },
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
    /// The ciphertext was made under another key than the one the caller named.
    #[error("the ciphertext belongs to another key")]
    IncorrectKey,
    /// The key would carry more tags than allowed.
    #[error("a key has at most {max} tags")]
    TooManyTags {
        /// The quota.
        max: usize,
    },
    /// The key would carry more aliases than allowed.
    #[error("a key has at most {max} aliases")]
    TooManyAliases {
        /// The quota.
        max: usize,
    },
    /// The key has deletion protection enabled, so it cannot be scheduled for deletion.
    #[error("the key is protected from deletion")]
    DeletionProtected,
    /// The operation is not supported for this key now (why, for the message).
    #[error("unsupported operation: {0}")]
    Unsupported(String),
    /// A per-key quota other than tags and aliases (why, for the message).
    #[error("limit exceeded: {0}")]
    LimitExceeded(String),
    /// The key's usage or spec does not allow the operation (why, for the message).
    #[error("incompatible key usage: {0}")]
    IncompatibleUsage(String),
    /// The algorithm does not go with the key's spec (why, for the message).
    #[error("incompatible algorithm: {0}")]
    IncompatibleAlgorithm(String),
    /// An alias with that name exists.
    #[error("alias already exists")]
    AliasAlreadyExists,
    /// A parameter value is not acceptable.
    #[error("invalid parameter {name}: {reason}")]
    InvalidParameter {
        /// Wire-neutral parameter name (the Aliyun spelling, which AWS shares).
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
    /// The key policy is not a policy document (the reason says why).
    #[error("the policy is malformed: {0}")]
    MalformedPolicy(String),
    /// The key policy is larger than the services store.
    #[error("a key policy has at most {max} bytes")]
    PolicyTooLarge {
        /// The limit, in bytes.
        max: usize,
    },
    /// No grant with that ID on the key.
    #[error("the specified grant is not found")]
    GrantNotFound,
    /// The grant token was not issued by this service.
    #[error("the grant token is invalid")]
    InvalidGrantToken,
    /// No secret with that name.
    #[error("the specified secret is not found")]
    SecretNotFound,
    /// A secret with that name exists.
    #[error("the secret already exists")]
    SecretExists,
    /// The secret is pending deletion (or the name belongs to one that is).
    #[error("the secret is pending deletion")]
    SecretDeleted,
    /// RestoreSecret on a secret that is not pending deletion.
    #[error("the secret is not pending deletion")]
    SecretNotDeleted,
    /// No version with that ID or stage.
    #[error("the specified secret version is not found")]
    SecretVersionNotFound,
    /// The version ID exists with another value.
    #[error("the secret version exists with another value")]
    SecretVersionExists,
    /// A rotation needs a rotation function and the secret has none.
    #[error("no rotation function is associated with the secret")]
    RotationNotConfigured,
    /// The secret's KMS key failed: `cause` says how; `writing` tells sealing a new value
    /// from opening a stored one.
    #[error("the secret's key cannot be used: {cause}")]
    SecretKey {
        /// Sealing (true) or opening (false).
        writing: bool,
        /// The key error.
        cause: Box<Error>,
    },
    /// Something broke inside; the detail goes to the log only.
    #[error("internal error: {0}")]
    Internal(#[source] BoxError),
}

impl Error {
    /// Shorthand for [`Error::InvalidParameter`].
    pub fn invalid(name: &'static str, reason: impl Into<String>) -> Self {
        Self::InvalidParameter {
            name,
            reason: reason.into(),
        }
    }

    /// [`Error::Internal`] from any error.
    pub fn internal(source: impl Into<BoxError>) -> Self {
        Self::Internal(source.into())
    }
}

/// Store failures turned into domain errors since start (for the metrics).
static STORE_ERRORS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// How many store failures became domain errors since the process started.
#[must_use]
pub fn store_errors() -> u64 {
    STORE_ERRORS.load(std::sync::atomic::Ordering::Relaxed)
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        STORE_ERRORS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        match e {
            StoreError::Corrupt { .. } => Self::UnreadableKey(e.to_string()),
            other => Self::internal(other),
        }
    }
}

/// Result alias for service calls.
pub type Result<T, E = Error> = std::result::Result<T, E>;
