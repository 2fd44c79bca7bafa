//! AWS JSON 1.1 exceptions: one closed enum with the `__type` names and statuses
//! (400 for every client error, 500 only for `KMSInternalException`, so that no client
//! retries a mistake), and the one mapping from the domain error.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use serde_json::json;

use super::wire::Origin;
use crate::enums::closed_enum;
use crate::model::KeyState;
use crate::service::{Error, Unusable};

closed_enum! {
    /// An AWS KMS exception (`__type`), with its HTTP status.
    pub enum Exception {
        /// No such key or alias, or an ARN of another region or account.
        NotFound = "NotFoundException" => 400,
        /// A malformed ARN, or an alias where only a key is accepted.
        InvalidArn = "InvalidArnException" => 400,
        /// The key is disabled.
        Disabled = "DisabledException" => 400,
        /// The key's state forbids the operation.
        KmsInvalidState = "KMSInvalidStateException" => 400,
        /// Not supported for this key (e.g. import on a non-EXTERNAL key).
        UnsupportedOperation = "UnsupportedOperationException" => 400,
        /// The import token does not decode or belongs to another key.
        InvalidImportToken = "InvalidImportTokenException" => 400,
        /// The import token expired.
        ExpiredImportToken = "ExpiredImportTokenException" => 400,
        /// The material has the wrong size or differs from the first import.
        IncorrectKeyMaterial = "IncorrectKeyMaterialException" => 400,
        /// The ciphertext (or wrapped material) does not decrypt.
        InvalidCiphertext = "InvalidCiphertextException" => 400,
        /// Decrypt's KeyId is not the key that encrypted.
        IncorrectKey = "IncorrectKeyException" => 400,
        /// The key cannot be used this way, or not with this algorithm.
        InvalidKeyUsage = "InvalidKeyUsageException" => 400,
        /// Verify: the signature is not valid for the message and key.
        KmsInvalidSignature = "KMSInvalidSignatureException" => 400,
        /// VerifyMac: the MAC is not valid for the message and key.
        KmsInvalidMac = "KMSInvalidMacException" => 400,
        /// The alias exists.
        AlreadyExists = "AlreadyExistsException" => 400,
        /// The alias name is not valid.
        InvalidAliasName = "InvalidAliasNameException" => 400,
        /// The paging marker is not valid.
        InvalidMarker = "InvalidMarkerException" => 400,
        /// A real quota was reached (tags or aliases per key).
        LimitExceeded = "LimitExceededException" => 400,
        /// A tag is not valid.
        Tag = "TagException" => 400,
        /// The `alias/aws/` prefix is reserved.
        NotAuthorized = "NotAuthorizedException" => 400,
        /// The request is not allowed (a browser origin outside the CORS policy).
        AccessDenied = "AccessDeniedException" => 400,
        /// Secrets Manager: no such secret, version or stage.
        ResourceNotFound = "ResourceNotFoundException" => 400,
        /// Secrets Manager: a parameter value is not valid.
        InvalidParameter = "InvalidParameterException" => 400,
        /// Secrets Manager: the request is not valid in the secret's state (pending
        /// deletion, no rotation function).
        InvalidRequest = "InvalidRequestException" => 400,
        /// Secrets Manager: the secret, or the version with another value, exists.
        ResourceExists = "ResourceExistsException" => 400,
        /// Secrets Manager: the KMS key cannot encrypt the new value.
        EncryptionFailure = "EncryptionFailure" => 400,
        /// Secrets Manager: the KMS key cannot decrypt the stored value.
        DecryptionFailure = "DecryptionFailure" => 400,
        /// Secrets Manager: something broke inside (details in the log only).
        InternalServiceError = "InternalServiceError" => 500,
        /// A value breaks a constraint.
        Validation = "ValidationException" => 400,
        /// The body is not JSON, or a member has the wrong type.
        Serialization = "SerializationException" => 400,
        /// Unknown `X-Amz-Target`.
        UnknownOperation = "UnknownOperationException" => 400,
        /// No `Authorization` header.
        MissingAuthenticationToken = "MissingAuthenticationTokenException" => 400,
        /// A malformed `Authorization` header.
        IncompleteSignature = "IncompleteSignatureException" => 400,
        /// Wrong signature, or a request outside the time window.
        InvalidSignature = "InvalidSignatureException" => 400,
        /// Unknown access key.
        UnrecognizedClient = "UnrecognizedClientException" => 400,
        /// The session token of temporary credentials has expired.
        ExpiredToken = "ExpiredTokenException" => 400,
        /// Too many wrapping keys are being generated (a deliberate limit); clients retry it.
        Throttling = "ThrottlingException" => 400,
        /// The key policy is not JSON, or not a policy document.
        MalformedPolicyDocument = "MalformedPolicyDocumentException" => 400,
        /// The grant token was not issued by qkms.
        InvalidGrantToken = "InvalidGrantTokenException" => 400,
        /// The grant ID is not a grant ID.
        InvalidGrantId = "InvalidGrantIdException" => 400,
        /// No custom key store with that ID or name (qkms has none).
        CustomKeyStoreNotFound = "CustomKeyStoreNotFoundException" => 400,
        /// `DryRun: true` and the request would have succeeded.
        DryRunOperation = "DryRunOperationException" => 412,
        /// A fault inside qkms (details only in the log).
        KmsInternal = "KMSInternalException" => 500,
    }
}

/// An error reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsError {
    /// The exception.
    pub exception: Exception,
    /// The message.
    pub message: String,
}

impl AwsError {
    /// An error with a message (never empty: SDKs and people read it).
    pub fn new(exception: Exception, message: impl Into<String>) -> Self {
        let mut message = message.into();
        if message.is_empty() {
            exception.as_str().clone_into(&mut message);
        }
        Self { exception, message }
    }

    /// `ValidationException` in AWS's wording for one member.
    #[must_use]
    pub fn validation(member: &str, constraint: &str) -> Self {
        Self::new(
            Exception::Validation,
            format!(
                "1 validation error detected: Value at '{}' failed to satisfy constraint: {constraint}",
                lower_camel(member)
            ),
        )
    }

    /// `ValidationException` for a missing required member.
    #[must_use]
    pub fn missing(member: &str) -> Self {
        Self::new(
            Exception::Validation,
            format!(
                "1 validation error detected: Value null at '{}' failed to satisfy constraint: Member must not be null",
                lower_camel(member)
            ),
        )
    }

    /// `KMSInternalException`; the detail is logged, never sent.
    #[must_use]
    pub fn internal(detail: &str) -> Self {
        tracing::error!(detail, "internal failure");
        Self::new(Exception::KmsInternal, "An internal error occurred.")
    }

    fn unusable(why: Unusable, arn: &str) -> Self {
        match why {
            Unusable::Disabled => Self::new(Exception::Disabled, format!("{arn} is disabled.")),
            Unusable::PendingDeletion => Self::new(
                Exception::KmsInvalidState,
                format!("{arn} is pending deletion."),
            ),
            Unusable::NoMaterial => Self::new(
                Exception::KmsInvalidState,
                format!("{arn} is pending import."),
            ),
        }
    }

    fn refused(state: KeyState, arn: &str) -> Self {
        Self::new(
            Exception::KmsInvalidState,
            match state {
                KeyState::PendingDeletion => format!("{arn} is pending deletion."),
                KeyState::PendingImport => format!("{arn} is pending import."),
                // Only CancelKeyDeletion refuses a key for being usable.
                KeyState::Enabled | KeyState::Disabled => format!("{arn} is not pending deletion."),
            },
        )
    }

    /// Maps a domain error of a Secrets Manager operation; `secret` names the secret the
    /// request was about. Key errors become Encryption/DecryptionFailure, as the service
    /// reports a KMS failure.
    #[must_use]
    pub fn from_secrets(e: Error, secret: &str) -> Self {
        use Exception as X;
        match e {
            Error::SecretNotFound | Error::SecretVersionNotFound => Self::new(
                X::ResourceNotFound,
                "Secrets Manager can't find the specified secret.",
            ),
            Error::SecretExists => Self::new(
                X::ResourceExists,
                format!("The operation failed because the secret {secret} already exists."),
            ),
            Error::SecretVersionExists => Self::new(
                X::ResourceExists,
                "You can't modify an existing version, you can only create a new version.",
            ),
            Error::SecretDeleted => Self::new(
                X::InvalidRequest,
                "You can't perform this operation on the secret because it was marked for deletion.",
            ),
            Error::SecretNotDeleted => Self::new(
                X::InvalidRequest,
                "You can't restore a secret that is not marked for deletion.",
            ),
            Error::RotationNotConfigured => Self::new(
                X::InvalidRequest,
                "No Lambda rotation function ARN is associated with this secret.",
            ),
            Error::SecretKey { writing, cause } => Self::secret_key(writing, *cause),
            Error::InvalidParameter { name, reason } => {
                Self::new(X::InvalidParameter, format!("{name}: {reason}"))
            }
            Error::LimitExceeded(why) => Self::new(X::LimitExceeded, format!("{why}.")),
            Error::TooManyTags { max } => Self::new(
                X::LimitExceeded,
                format!("A secret can have at most {max} tags."),
            ),
            Error::MalformedPolicy(reason) => Self::new(
                X::MalformedPolicyDocument,
                format!("The resource policy is not a valid policy document: {reason}."),
            ),
            Error::PolicyTooLarge { max } => Self::new(
                X::LimitExceeded,
                format!("A resource policy has at most {max} bytes."),
            ),
            Error::Internal(source) => {
                tracing::error!(detail = %source, "internal failure");
                Self::new(
                    X::InternalServiceError,
                    "An error occurred on the server side.",
                )
            }
            other => Self::from_service(other, secret),
        }
    }

    fn secret_key(writing: bool, cause: Error) -> Self {
        use Exception as X;
        let why = match &cause {
            Error::IncompatibleUsage(why) => {
                return Self::new(X::InvalidParameter, format!("KmsKeyId: {why}."));
            }
            Error::KeyNotFound | Error::AliasNotFound => "the KMS key does not exist".to_owned(),
            Error::Unusable(Unusable::Disabled) => "the KMS key is disabled".to_owned(),
            Error::Unusable(Unusable::PendingDeletion) => {
                "the KMS key is pending deletion".to_owned()
            }
            Error::Unusable(Unusable::NoMaterial) => "the KMS key has no key material".to_owned(),
            other => other.to_string(),
        };
        if writing {
            Self::new(
                X::EncryptionFailure,
                format!("Secrets Manager can't encrypt the secret value with the KMS key: {why}."),
            )
        } else {
            Self::new(
                X::DecryptionFailure,
                format!(
                    "Secrets Manager can't decrypt the protected secret text using the provided KMS key: {why}."
                ),
            )
        }
    }

    /// Maps a domain error, exhaustively; `arn` names the key (or alias) the request was
    /// about, and every message is worded from the error alone.
    #[must_use]
    pub fn from_service(e: Error, arn: &str) -> Self {
        use Exception as X;
        match e {
            // Only Secrets Manager operations meet these.
            e @ (Error::SecretNotFound
            | Error::SecretExists
            | Error::SecretDeleted
            | Error::SecretNotDeleted
            | Error::SecretVersionNotFound
            | Error::SecretVersionExists
            | Error::RotationNotConfigured
            | Error::SecretKey { .. }) => Self::from_secrets(e, arn),
            Error::AccessDenied(d) => Self::new(
                X::AccessDenied,
                format!(
                    "User: {} is not authorized to perform: {} on resource: {} {}",
                    d.principal_aws,
                    d.permission,
                    d.resource_aws,
                    d.reason()
                ),
            ),
            Error::KeyNotFound => Self::new(X::NotFound, format!("Key '{arn}' does not exist")),
            Error::AliasNotFound => Self::new(X::NotFound, format!("Alias {arn} is not found.")),
            Error::KeyVersionNotFound | Error::InvalidCiphertext => Self::new(
                X::InvalidCiphertext,
                "The ciphertext is invalid, or does not match its key or encryption context.",
            ),
            Error::Unusable(why) => Self::unusable(why, arn),
            Error::StateChangeRefused { state } => Self::refused(state, arn),
            Error::UnsupportedOrigin { origin } => Self::new(
                X::UnsupportedOperation,
                format!(
                    "{arn} origin is {} which is not valid for this operation.",
                    Origin::of(origin).as_str()
                ),
            ),
            Error::InvalidImportToken => {
                Self::new(X::InvalidImportToken, "Import token is invalid.")
            }
            Error::ExpiredImportToken => {
                Self::new(X::ExpiredImportToken, "Import token is expired.")
            }
            Error::UnwrapFailed => Self::new(
                X::InvalidCiphertext,
                "The wrapped key material could not be decrypted.",
            ),
            Error::InvalidKeyMaterial => Self::new(
                X::IncorrectKeyMaterial,
                "The key material does not fit the key spec (a symmetric key of 256 bits, an HMAC key of its spec's lengths, a PKCS #8 private key of the spec) or, for a re-import, is not the material imported before.",
            ),
            Error::IncorrectKey => Self::new(
                X::IncorrectKey,
                "The key ID in the request does not identify a CMK that can perform this operation.",
            ),
            Error::DeletionProtected => Self::new(
                X::KmsInvalidState,
                format!(
                    "{arn} has deletion protection enabled, so it cannot be scheduled for deletion."
                ),
            ),
            Error::Unsupported(why) => Self::new(X::UnsupportedOperation, format!("{arn}: {why}.")),
            Error::IncompatibleUsage(why) | Error::IncompatibleAlgorithm(why) => {
                Self::new(X::InvalidKeyUsage, format!("{arn}: {why}."))
            }
            Error::LimitExceeded(why) => Self::new(X::LimitExceeded, format!("{arn}: {why}.")),
            Error::AliasAlreadyExists => Self::new(
                X::AlreadyExists,
                format!("An alias with the name {arn} already exists"),
            ),
            Error::TooManyTags { max } => Self::new(
                X::LimitExceeded,
                format!("A key can have at most {max} tags."),
            ),
            Error::TooManyAliases { max } => Self::new(
                X::LimitExceeded,
                format!("A key can have at most {max} aliases."),
            ),
            Error::InvalidParameter { name, reason } => {
                Self::validation(name, &format!("Member {reason}"))
            }
            Error::Throttled => Self::new(X::Throttling, "Rate exceeded"),
            Error::MalformedPolicy(reason) => Self::new(
                X::MalformedPolicyDocument,
                format!("The policy is not a valid key policy document: {reason}."),
            ),
            Error::PolicyTooLarge { max } => Self::new(
                X::LimitExceeded,
                format!("A key policy has at most {max} bytes."),
            ),
            Error::GrantNotFound => Self::new(X::NotFound, "Grant ID not found"),
            Error::InvalidGrantToken => Self::new(X::InvalidGrantToken, "Grant token is invalid."),
            Error::UnreadableKey(detail) => Self::internal(&detail),
            Error::Internal(source) => Self::internal(&source.to_string()),
        }
    }

    /// The HTTP response: `{"__type","message"}` with `x-amzn-ErrorType` and the request ID.
    #[must_use]
    pub fn respond(&self, request_id: &str) -> HttpResponse {
        let status =
            StatusCode::from_u16(self.exception.status()).unwrap_or(StatusCode::BAD_REQUEST);
        HttpResponse::build(status)
            .content_type("application/x-amz-json-1.1")
            .insert_header(("x-amzn-RequestId", request_id))
            .insert_header(("x-amzn-ErrorType", self.exception.as_str()))
            .body(json!({"__type": self.exception.as_str(), "message": self.message}).to_string())
    }
}

/// `KeyId` → `keyId`, as AWS names members in validation messages.
#[must_use]
pub fn lower_camel(member: &str) -> String {
    let mut chars = member.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Client mistakes are never answered with what SDKs retry: only internal faults are
    /// 5xx, nothing is 429, and the one throttling code is kept for the deliberate limit
    /// on wrapping-key generation.
    #[test]
    fn only_internal_faults_are_5xx_and_none_is_retried_as_throttling() {
        for x in Exception::ALL {
            assert_eq!(
                x.status() >= 500,
                matches!(x, Exception::KmsInternal | Exception::InternalServiceError),
                "{x:?}"
            );
            assert!(x.status() != 429);
            assert_eq!(
                x.as_str().contains("Throttl") || x.as_str().starts_with("LimitExceeded"),
                matches!(x, Exception::Throttling | Exception::LimitExceeded),
                "{x:?}"
            );
        }
        assert_eq!(
            AwsError::from_service(Error::Throttled, "").exception,
            Exception::Throttling
        );
    }

    #[test]
    fn readme_documents_every_exception_with_its_status() {
        let readme = include_str!("../../README.md");
        for x in Exception::ALL {
            let row = format!("| {} | `{}` |", x.status(), x.as_str());
            assert!(readme.contains(&row), "README lacks the row {row}");
        }
    }

    #[test]
    fn every_message_is_non_empty() {
        for x in Exception::ALL {
            assert!(!AwsError::new(*x, "").message.is_empty(), "{x:?}");
        }
    }

    #[test]
    fn validation_message_uses_lower_camel_member() {
        let e = AwsError::missing("KeyId");
        assert!(e.message.contains("Value null at 'keyId'"));
    }
}
