//! The Aliyun error codes qkms returns: one closed enum, each code with its HTTP status
//! (from the KMS common error list and the POP gateway conventions), and the one mapping
//! from the domain error.

use crate::enums::closed_enum;
use crate::service::{Error, Unusable};

closed_enum! {
    /// An Aliyun error code, with its HTTP status.
    pub enum ErrorCode {
        /// 400: a required parameter is absent.
        MissingParameter = "MissingParameter" => 400,
        /// 400: a parameter value is not valid.
        InvalidParameter = "InvalidParameter" => 400,
        /// 400: the Timestamp parameter (v1) or `x-acs-date` header is missing.
        IllegalTimestamp = "IllegalTimestamp" => 400,
        /// 400: the timestamp does not parse.
        InvalidTimeStampFormat = "InvalidTimeStamp.Format" => 400,
        /// 400: the timestamp is more than 15 minutes from the server's clock.
        InvalidTimeStampExpired = "InvalidTimeStamp.Expired" => 400,
        /// 400: the signature nonce was used within the window.
        SignatureNonceUsed = "SignatureNonceUsed" => 400,
        /// 400: the signature does not match; the message carries the server string to sign.
        SignatureDoesNotMatch = "SignatureDoesNotMatch" => 400,
        /// 400: the Authorization header is malformed.
        IncompleteSignature = "IncompleteSignature" => 400,
        /// 404: unknown AccessKeyId.
        InvalidAccessKeyIdNotFound = "InvalidAccessKeyId.NotFound" => 404,
        /// 400: a temporary access key without a valid session token.
        InvalidSecurityTokenMalformed = "InvalidSecurityToken.Malformed" => 400,
        /// 400: the session of a temporary access key is over.
        InvalidSecurityTokenExpired = "InvalidSecurityToken.Expired" => 400,
        /// 404: unknown Action (or path).
        InvalidActionNotFound = "InvalidAction.NotFound" => 404,
        /// 400: Version is not 2016-01-20.
        InvalidVersion = "InvalidVersion" => 400,
        /// 403: a method other than GET or POST.
        UnsupportedHttpMethod = "UnsupportedHTTPMethod" => 403,
        /// 403: the request is not allowed (a browser origin outside the CORS policy).
        ForbiddenNoPermission = "Forbidden.NoPermission" => 403,
        /// 403: the caller's policies do not allow the action on the resource.
        ForbiddenRam = "Forbidden.RAM" => 403,
        /// 404: no such key.
        KeyNotFound = "Forbidden.KeyNotFound" => 404,
        /// 404: no such key version.
        KeyVersionNotFound = "Forbidden.KeyVersionNotFound" => 404,
        /// 404: no such alias.
        AliasNotFound = "Forbidden.AliasNotFound" => 404,
        /// 404: no such resource (a secret, its version or stage, a KMS instance).
        ResourceNotFound = "Forbidden.ResourceNotFound" => 404,
        /// 400: the alias exists.
        AliasAlreadyExists = "AliasAlreadyExists" => 400,
        /// 400: the operation needs an EXTERNAL key.
        UnsupportedOrigin = "Unsupported.Origin" => 400,
        /// 400: the import token is invalid or for another key.
        InvalidImportToken = "InvalidImportToken" => 400,
        /// 400: the import token expired.
        ExpiredImportToken = "ExpiredImportToken" => 400,
        /// 400: the key material does not unwrap, has the wrong size, or differs.
        InvalidKeyMaterial = "InvalidKeyMaterial" => 400,
        /// 400: the operation is not supported for this key now (a second version within
        /// 7 days of the last).
        RejectedUnsupportedOperation = "Rejected.UnsupportedOperation" => 400,
        /// 400: a per-key quota is exhausted.
        RejectedLimitExceeded = "Rejected.LimitExceeded" => 400,
        /// 409: the key is Disabled.
        RejectedDisabled = "Rejected.Disabled" => 409,
        /// 409: the key is PendingDeletion.
        RejectedPendingDeletion = "Rejected.PendingDeletion" => 409,
        /// 409: the key is PendingImport.
        RejectedPendingImport = "Rejected.PendingImport" => 409,
        /// 409: a secret (or secret version) with that name or ID exists.
        RejectedResourceExist = "Rejected.ResourceExist" => 409,
        /// 409: the secret is pending deletion.
        RejectedResourceInDeleteWindow = "Rejected.ResourceInDeleteWindow" => 409,
        /// 409: RestoreSecret on a secret that is not pending deletion.
        RejectedResourceInUse = "Rejected.ResourceInUse" => 409,
        /// 409: the key's state forbids the change.
        RejectedStateModifiedFailed = "Rejected.StateModifiedFailed" => 409,
        /// 400: too many wrapping keys are being generated (a deliberate limit); retry later.
        Throttling = "Throttling" => 400,
        /// 400: `DryRun=true` and the request would have succeeded.
        DryRunOperationError = "DryRunOperationError" => 400,
        /// 500: something broke inside (details in the log only).
        InternalFailure = "InternalFailure" => 500,
    }
}

/// An error response: a code and its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AliyunError {
    /// The code.
    pub code: ErrorCode,
    /// The message.
    pub message: String,
}

impl AliyunError {
    /// An error with an explicit message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// `MissingParameter` for `name`.
    #[must_use]
    pub fn missing(name: &str) -> Self {
        Self::new(
            ErrorCode::MissingParameter,
            format!("The parameter \"{name}\" is needed but not provided."),
        )
    }

    /// `InvalidParameter` for `name`.
    #[must_use]
    pub fn invalid(name: &str) -> Self {
        Self::new(
            ErrorCode::InvalidParameter,
            format!("The specified parameter \"{name}\" is not valid."),
        )
    }

    /// `InvalidParameter` for `name` with the reason appended.
    #[must_use]
    pub fn invalid_because(name: &str, reason: &str) -> Self {
        Self::new(
            ErrorCode::InvalidParameter,
            format!("The specified parameter \"{name}\" is not valid. {reason}"),
        )
    }

    /// `InternalFailure`; the detail is logged, never sent.
    #[must_use]
    pub fn internal(detail: &str) -> Self {
        tracing::error!(detail, "internal failure");
        Self::new(ErrorCode::InternalFailure, "Internal Failure.")
    }
}

impl AliyunError {
    fn unusable(why: Unusable) -> Self {
        let (code, state) = match why {
            Unusable::Disabled => (ErrorCode::RejectedDisabled, "Disabled"),
            Unusable::PendingDeletion => (ErrorCode::RejectedPendingDeletion, "PendingDeletion"),
            Unusable::NoMaterial => (ErrorCode::RejectedPendingImport, "PendingImport"),
        };
        Self::new(
            code,
            format!("The request was rejected because the key state is {state}."),
        )
    }
}

impl AliyunError {
    /// The secrets arms of the mapping (the sheet's codes and messages, §10).
    fn secret(e: Error) -> Self {
        use ErrorCode as C;
        match e {
            Error::SecretNotFound | Error::SecretVersionNotFound => {
                Self::new(C::ResourceNotFound, "Resource not found")
            }
            Error::SecretExists | Error::SecretVersionExists => {
                Self::new(C::RejectedResourceExist, "The resource already exists.")
            }
            // The message's spelling is the service's.
            Error::SecretDeleted => {
                Self::new(C::RejectedResourceInDeleteWindow, "secret in delete peroid")
            }
            Error::SecretNotDeleted => Self::new(C::RejectedResourceInUse, "restore normal secret"),
            Error::RotationNotConfigured => Self::new(
                C::RejectedUnsupportedOperation,
                "Unsupported operation: the secret has no rotation configured.",
            ),
            Error::SecretKey { cause, .. } => match *cause {
                Error::IncompatibleUsage(why) => {
                    Self::invalid_because("EncryptionKeyId", &format!("{why}."))
                }
                other => Self::from(other),
            },
            other => Self::from(other),
        }
    }
}

impl From<Error> for AliyunError {
    fn from(e: Error) -> Self {
        use ErrorCode as C;
        match e {
            e @ (Error::SecretNotFound
            | Error::SecretExists
            | Error::SecretDeleted
            | Error::SecretNotDeleted
            | Error::SecretVersionNotFound
            | Error::SecretVersionExists
            | Error::RotationNotConfigured
            | Error::SecretKey { .. }) => Self::secret(e),
            Error::AccessDenied(d) => Self::new(
                C::ForbiddenRam,
                format!(
                    "User not authorized to operate on the specified resource, or this API doesn't support RAM. AuthAction: {}, AuthPrincipal: {}, AuthResource: {}, {}.",
                    d.permission,
                    d.principal_acs,
                    d.resource_acs,
                    d.reason()
                ),
            ),
            Error::KeyNotFound => Self::new(C::KeyNotFound, "The specified Key is not found."),
            Error::AliasNotFound => {
                Self::new(C::AliasNotFound, "The specified Alias is not found.")
            }
            Error::KeyVersionNotFound => Self::new(
                C::KeyVersionNotFound,
                "The specified Key version is not found.",
            ),
            Error::Unusable(why) => Self::unusable(why),
            Error::StateChangeRefused { .. } => {
                Self::new(C::RejectedStateModifiedFailed, "Keystate modified failed.")
            }
            Error::UnsupportedOrigin { .. } => Self::new(
                C::UnsupportedOrigin,
                "This key origin is not valid for this api.",
            ),
            Error::InvalidImportToken => {
                Self::new(C::InvalidImportToken, "import token is invalid.")
            }
            Error::ExpiredImportToken => {
                Self::new(C::ExpiredImportToken, "import token is expired.")
            }
            Error::InvalidKeyMaterial | Error::UnwrapFailed => {
                Self::new(C::InvalidKeyMaterial, "key material is invalid.")
            }
            Error::InvalidCiphertext | Error::IncorrectKey => Self::invalid_because(
                "CiphertextBlob",
                "The ciphertext is malformed, or does not match its key or EncryptionContext.",
            ),
            Error::AliasAlreadyExists => {
                Self::new(C::AliasAlreadyExists, "AliasName Already Exists.")
            }
            // The service documents no code of its own for this: Forbidden.NoPermission
            // says "forbidden", which is what deletion protection does (README decisions).
            Error::DeletionProtected => Self::new(
                C::ForbiddenNoPermission,
                "This operation is forbidden by permission system: the key has deletion protection enabled; disable it with SetDeletionProtection first.",
            ),
            Error::Unsupported(why) => Self::new(
                C::RejectedUnsupportedOperation,
                format!("Unsupported operation: {why}."),
            ),
            Error::LimitExceeded(why) => Self::new(
                C::RejectedLimitExceeded,
                format!(
                    "The request was rejected because user create resource limit was exceeded: {why}."
                ),
            ),
            Error::InvalidParameter { name, reason } => Self::invalid_because(name, &reason),
            // The service documents no code for a usage or algorithm mismatch; the crypto
            // sheet's choice is InvalidParameter (README decisions).
            Error::IncompatibleUsage(why) => Self::invalid_because("KeyId", &format!("{why}.")),
            Error::IncompatibleAlgorithm(why) => {
                Self::invalid_because("Algorithm", &format!("{why}."))
            }
            Error::TooManyTags { max } => {
                Self::invalid_because("Tags", &format!("A resource has at most {max} tags."))
            }
            Error::TooManyAliases { max } => {
                Self::invalid_because("AliasName", &format!("A key has at most {max} aliases."))
            }
            Error::Throttled => Self::new(
                C::Throttling,
                "Request was denied due to request throttling: too many wrapping keys are being generated; retry later.",
            ),
            Error::MalformedPolicy(reason) => Self::invalid_because(
                "Policy",
                &format!("The policy is not a valid policy document: {reason}."),
            ),
            Error::PolicyTooLarge { max } => {
                Self::invalid_because("Policy", &format!("A policy has at most {max} bytes."))
            }
            // Grants exist only in the AWS dialect; these cannot happen here.
            Error::GrantNotFound => {
                Self::new(C::ResourceNotFound, "The specified grant is not found.")
            }
            Error::InvalidGrantToken => Self::invalid("GrantToken"),
            Error::UnreadableKey(detail) => Self::internal(&detail),
            Error::Internal(source) => Self::internal(&source.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readme_documents_every_code_with_its_status() {
        let readme = include_str!("../../README.md");
        for c in ErrorCode::ALL {
            let row = format!("| {} | `{}` |", c.status(), c.as_str());
            assert!(readme.contains(&row), "README lacks the row {row}");
        }
    }

    #[test]
    fn statuses_follow_the_spec() {
        assert_eq!(ErrorCode::KeyNotFound.status(), 404);
        assert_eq!(ErrorCode::InvalidAccessKeyIdNotFound.status(), 404);
        assert_eq!(ErrorCode::RejectedPendingImport.status(), 409);
        assert_eq!(ErrorCode::SignatureDoesNotMatch.status(), 400);
        assert_eq!(ErrorCode::InternalFailure.status(), 500);
        // Only InternalFailure is a 5xx: clients must never retry a client error.
        for c in ErrorCode::ALL {
            assert_eq!(c.status() >= 500, *c == ErrorCode::InternalFailure, "{c:?}");
        }
    }
}
