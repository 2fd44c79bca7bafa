//! Cryptography: Encrypt, Decrypt (symmetric keys, and key pairs with RSAES_OAEP_SHA_1/256
//! or SM2PKE), ReEncrypt (symmetric keys), GenerateDataKey,
//! GenerateDataKeyWithoutPlaintext, GenerateRandom.
//!
//! `DryRun: true` runs the request without effect on anyone else and answers
//! `DryRunOperationException` when it would have succeeded.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use schemars::JsonSchema;
use serde::Serialize;

use super::error::{AwsError, Exception};
use super::keys::fail;
use super::members::{Blob, Bool, GrantTokens, Int, Refused, StringMap, enum_member, members};
use super::wire::{AnyKey, EncryptionAlgorithm, SYMMETRIC_DEFAULT, Scope};
use crate::enums::closed_enum;
use crate::service::{Error, Kms, ReEncryptSide, ReEncryptSource};

/// Largest plaintext of Encrypt on this dialect (the AWS limit).
const MAX_PLAINTEXT: usize = 4096;
/// Largest ciphertext blob.
const MAX_CIPHERTEXT: usize = 6144;

pub(super) fn dry_run_error() -> AwsError {
    AwsError::new(
        Exception::DryRunOperation,
        "The request would have succeeded, but the DryRun option is set.",
    )
}

fn recipient_unsupported() -> AwsError {
    AwsError::new(
        Exception::UnsupportedOperation,
        "Recipient (Nitro Enclaves attestation) is not supported by qkms.",
    )
}

/// Requests that run inline when their key is in memory.
pub trait HotKey {
    /// True when the key the request names is cached.
    fn is_hot(&self, kms: &Kms) -> bool;
}

/// True when `key` is a plain key ID whose key is cached.
pub fn hot(key: &AnyKey, kms: &Kms) -> bool {
    // Only a plain key ID tells without the scope (an ARN's region is checked later).
    !key.as_str().starts_with("arn:") && kms.is_hot(&crate::model::KeyRef::plain(key.as_str()))
}

/// A domain error of decrypting `blob`: about the key the request named (when it cannot
/// be found) or else about the key the ciphertext names, as AWS words it.
fn decrypt_fail(
    blob: &[u8],
    expected: Option<&AnyKey>,
    scope: &Scope,
) -> impl Fn(Error) -> AwsError {
    let owner = Kms::ciphertext_key_id(blob).map(|id| scope.key_arn(&id));
    let named = expected.map(|k| k.arn(scope));
    move |e| {
        if owner.is_none() && matches!(e, Error::InvalidCiphertext) {
            return AwsError::new(
                Exception::InvalidCiphertext,
                "The ciphertext is not a qkms ciphertext blob.",
            );
        }
        let arn = match (&e, &named) {
            (Error::KeyNotFound | Error::AliasNotFound, Some(named)) => named,
            _ => owner.as_deref().unwrap_or_default(),
        };
        AwsError::from_service(e, arn)
    }
}

members! {
    /// Encrypt's members.
    pub struct EncryptRequest {
        /// The key.
        key_id: AnyKey = "KeyId",
        /// 1 to 4096 bytes.
        plaintext: Blob<1, MAX_PLAINTEXT> = "Plaintext",
        /// Associated data that Decrypt must repeat.
        encryption_context: StringMap = "EncryptionContext",
        /// 0 to 10 grant tokens: accepted, not enforced (grants are data for now).
        grant_tokens: GrantTokens = "GrantTokens",
        /// SYMMETRIC_DEFAULT [default]; RSAES_OAEP_SHA_1/256 or SM2PKE for key pairs.
        encryption_algorithm: Option<EncryptionAlgorithm> = "EncryptionAlgorithm",
        /// Validate and run without answering the result.
        dry_run: Bool = "DryRun",
    }
}

impl HotKey for EncryptRequest {
    fn is_hot(&self, kms: &Kms) -> bool {
        hot(&self.key_id, kms)
    }
}

/// Encrypt's answer.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct EncryptResponse {
    /// The ciphertext, base64.
    #[serde(rename = "CiphertextBlob")]
    pub ciphertext_blob: String,
    /// The ARN of the key that encrypted.
    #[serde(rename = "KeyId")]
    pub key_id: String,
    /// The algorithm.
    #[serde(rename = "EncryptionAlgorithm")]
    #[schemars(with = "EncryptionAlgorithm")]
    pub encryption_algorithm: &'static str,
}

/// A key pair's algorithm takes no encryption context: AWS binds none into the standard
/// ciphertext, so qkms refuses one rather than ignore it.
fn no_context(context: &StringMap, algorithm: EncryptionAlgorithm) -> Result<(), AwsError> {
    if context.0.is_empty() {
        Ok(())
    } else {
        Err(AwsError::new(
            Exception::Validation,
            format!(
                "EncryptionContext is not supported with {}: only symmetric keys bind one.",
                algorithm.as_str()
            ),
        ))
    }
}

/// Encrypt with a key pair's public key: a standard ciphertext (RSA: k bytes; SM2: raw
/// `04 ‖ C1 ‖ C3 ‖ C2`).
fn encrypt_asymmetric(
    req: &EncryptRequest,
    wire_alg: EncryptionAlgorithm,
    alg: crate::model::AsymmetricAlgorithm,
    kms: &Kms,
    scope: &Scope,
) -> Result<EncryptResponse, AwsError> {
    no_context(&req.encryption_context, wire_alg)?;
    let out = kms
        .asymmetric_encrypt(&req.key_id.key_ref(scope)?, None, alg, &req.plaintext.0)
        .map_err(fail(&req.key_id, scope))?;
    if req.dry_run.0 {
        return Err(dry_run_error());
    }
    Ok(EncryptResponse {
        ciphertext_blob: B64.encode(&out.blob),
        key_id: scope.key_arn(&out.key_id),
        encryption_algorithm: wire_alg.as_str(),
    })
}

/// Encrypt.
///
/// # Errors
/// The exception to render.
pub fn encrypt(req: EncryptRequest, kms: &Kms, scope: &Scope) -> Result<EncryptResponse, AwsError> {
    if let Some(wire_alg) = req.encryption_algorithm
        && let Some(alg) = wire_alg.asymmetric()
    {
        let out = encrypt_asymmetric(&req, wire_alg, alg, kms, scope);
        drop(zeroize::Zeroizing::new(req.plaintext.0));
        return out;
    }
    let plaintext = zeroize::Zeroizing::new(req.plaintext.0);
    let out = kms
        .encrypt(
            &req.key_id.key_ref(scope)?,
            &plaintext,
            &req.encryption_context.0,
        )
        .map_err(fail(&req.key_id, scope))?;
    if req.dry_run.0 {
        return Err(dry_run_error());
    }
    Ok(EncryptResponse {
        ciphertext_blob: B64.encode(&out.blob),
        key_id: scope.key_arn(&out.key_id),
        encryption_algorithm: SYMMETRIC_DEFAULT,
    })
}

members! {
    /// Decrypt's members: the ciphertext names its key.
    pub struct DecryptRequest {
        /// The ciphertext.
        ciphertext_blob: Blob<1, MAX_CIPHERTEXT> = "CiphertextBlob",
        /// The context given to Encrypt.
        encryption_context: StringMap = "EncryptionContext",
        /// 0 to 10 grant tokens: accepted, not enforced (grants are data for now).
        grant_tokens: GrantTokens = "GrantTokens",
        /// SYMMETRIC_DEFAULT [default]; for a key pair's ciphertext, its algorithm (and
        /// KeyId is then required).
        encryption_algorithm: Option<EncryptionAlgorithm> = "EncryptionAlgorithm",
        /// Refused: qkms has no Nitro Enclaves.
        recipient: Refused = "Recipient",
        /// Validate and run without answering the result.
        dry_run: Bool = "DryRun",
        /// The key that must have made the ciphertext (required for a key pair's).
        key_id: Option<AnyKey> = "KeyId",
    }
}

impl HotKey for DecryptRequest {
    fn is_hot(&self, kms: &Kms) -> bool {
        self.key_id.is_none() && kms.is_hot_blob(&self.ciphertext_blob.0)
    }
}

/// Decrypt's answer.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct DecryptResponse {
    /// The ARN of the key that decrypted.
    #[serde(rename = "KeyId")]
    pub key_id: String,
    /// The plaintext, base64.
    #[serde(rename = "Plaintext")]
    pub plaintext: String,
    /// The algorithm.
    #[serde(rename = "EncryptionAlgorithm")]
    #[schemars(with = "EncryptionAlgorithm")]
    pub encryption_algorithm: &'static str,
}

/// Decrypt a key pair's standard ciphertext: the ciphertext does not name its key, so the
/// request must.
fn decrypt_asymmetric(
    req: &DecryptRequest,
    wire_alg: EncryptionAlgorithm,
    alg: crate::model::AsymmetricAlgorithm,
    kms: &Kms,
    scope: &Scope,
) -> Result<DecryptResponse, AwsError> {
    let Some(key_id) = &req.key_id else {
        return Err(AwsError::new(
            Exception::Validation,
            format!(
                "KeyId is required to decrypt with {}: an asymmetric ciphertext does not name its key.",
                wire_alg.as_str()
            ),
        ));
    };
    no_context(&req.encryption_context, wire_alg)?;
    let out = kms
        .asymmetric_decrypt(&key_id.key_ref(scope)?, None, alg, &req.ciphertext_blob.0)
        .map_err(|e| match e {
            Error::InvalidCiphertext => AwsError::new(
                Exception::InvalidCiphertext,
                format!(
                    "The ciphertext does not decrypt with {} under {}.",
                    wire_alg.as_str(),
                    key_id.arn(scope)
                ),
            ),
            other => fail(key_id, scope)(other),
        })?;
    if req.dry_run.0 {
        return Err(dry_run_error());
    }
    Ok(DecryptResponse {
        key_id: scope.key_arn(&out.key_id),
        plaintext: B64.encode(out.plaintext.expose()),
        encryption_algorithm: wire_alg.as_str(),
    })
}

/// Decrypt.
///
/// # Errors
/// The exception to render.
pub fn decrypt(req: DecryptRequest, kms: &Kms, scope: &Scope) -> Result<DecryptResponse, AwsError> {
    if req.recipient.0 {
        return Err(recipient_unsupported());
    }
    if let Some(wire_alg) = req.encryption_algorithm
        && let Some(alg) = wire_alg.asymmetric()
    {
        return decrypt_asymmetric(&req, wire_alg, alg, kms, scope);
    }
    let expected = req.key_id.as_ref().map(|k| k.key_ref(scope)).transpose()?;
    let blob = &req.ciphertext_blob.0;
    let out = kms
        .decrypt(blob, &req.encryption_context.0, expected.as_ref())
        .map_err(decrypt_fail(blob, req.key_id.as_ref(), scope))?;
    if req.dry_run.0 {
        return Err(dry_run_error());
    }
    Ok(DecryptResponse {
        key_id: scope.key_arn(&out.key_id),
        plaintext: B64.encode(out.plaintext.expose()),
        encryption_algorithm: SYMMETRIC_DEFAULT,
    })
}

members! {
    /// ReEncrypt's members.
    pub struct ReEncryptRequest {
        /// The ciphertext.
        ciphertext_blob: Blob<1, MAX_CIPHERTEXT> = "CiphertextBlob",
        /// The context it was made with.
        source_encryption_context: StringMap = "SourceEncryptionContext",
        /// The context of the new ciphertext.
        destination_encryption_context: StringMap = "DestinationEncryptionContext",
        /// SYMMETRIC_DEFAULT [default].
        source_encryption_algorithm: Option<EncryptionAlgorithm> = "SourceEncryptionAlgorithm",
        /// SYMMETRIC_DEFAULT [default].
        destination_encryption_algorithm: Option<EncryptionAlgorithm> = "DestinationEncryptionAlgorithm",
        /// The key of the new ciphertext.
        destination_key_id: AnyKey = "DestinationKeyId",
        /// The key that must have made the ciphertext.
        source_key_id: Option<AnyKey> = "SourceKeyId",
        /// 0 to 10 grant tokens: accepted, not enforced (grants are data for now).
        grant_tokens: GrantTokens = "GrantTokens",
        /// Validate and run without answering the result.
        dry_run: Bool = "DryRun",
    }
}

/// ReEncrypt's answer.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ReEncryptResponse {
    /// The new ciphertext, base64.
    #[serde(rename = "CiphertextBlob")]
    pub ciphertext_blob: String,
    /// The ARN of the key that had encrypted.
    #[serde(rename = "SourceKeyId")]
    pub source_key_id: String,
    /// The ARN of the key that encrypted now.
    #[serde(rename = "KeyId")]
    pub key_id: String,
    /// `SYMMETRIC_DEFAULT`.
    #[serde(rename = "SourceEncryptionAlgorithm")]
    pub source_encryption_algorithm: &'static str,
    /// `SYMMETRIC_DEFAULT`.
    #[serde(rename = "DestinationEncryptionAlgorithm")]
    pub destination_encryption_algorithm: &'static str,
}

/// ReEncrypt: decrypt and encrypt again inside the service.
///
/// # Errors
/// The exception to render.
pub fn re_encrypt(
    req: ReEncryptRequest,
    kms: &Kms,
    scope: &Scope,
) -> Result<ReEncryptResponse, AwsError> {
    // Either side may be a key pair (AWS allows it): a key-pair ciphertext names no key and
    // binds no context, so its key is required and a context is refused, as in Decrypt.
    let source_wire = req
        .source_encryption_algorithm
        .unwrap_or(EncryptionAlgorithm::SymmetricDefault);
    let destination_wire = req
        .destination_encryption_algorithm
        .unwrap_or(EncryptionAlgorithm::SymmetricDefault);
    if source_wire.asymmetric().is_some() {
        no_context(&req.source_encryption_context, source_wire)?;
    }
    if destination_wire.asymmetric().is_some() {
        no_context(&req.destination_encryption_context, destination_wire)?;
    }
    let destination = req.destination_key_id.key_ref(scope)?;
    let source = req
        .source_key_id
        .as_ref()
        .map(|k| k.key_ref(scope))
        .transpose()?;
    let blob = &req.ciphertext_blob.0;
    let from = ReEncryptSource {
        context: &req.source_encryption_context.0,
        key: source.as_ref(),
        version: None,
        algorithm: source_wire.asymmetric(),
    };
    let out = kms
        .re_encrypt_from(
            blob,
            &from,
            &destination,
            &req.destination_encryption_context.0,
            destination_wire.asymmetric(),
        )
        .map_err(|(side, e)| match side {
            ReEncryptSide::Source => decrypt_fail(blob, req.source_key_id.as_ref(), scope)(e),
            ReEncryptSide::Destination => fail(&req.destination_key_id, scope)(e),
        })?;
    if req.dry_run.0 {
        return Err(dry_run_error());
    }
    Ok(ReEncryptResponse {
        ciphertext_blob: B64.encode(&out.encrypted.blob),
        source_key_id: scope.key_arn(&out.source_key_id),
        key_id: scope.key_arn(&out.encrypted.key_id),
        source_encryption_algorithm: source_wire.as_str(),
        destination_encryption_algorithm: destination_wire.as_str(),
    })
}

closed_enum! {
    /// `KeySpec` of a data key.
    pub enum DataKeySpec {
        /// 32 bytes.
        Aes256 = "AES_256",
        /// 16 bytes.
        Aes128 = "AES_128",
    }
}
enum_member!(DataKeySpec);

members! {
    /// GenerateDataKey's and GenerateDataKeyWithoutPlaintext's members.
    pub struct GenerateDataKeyRequest {
        /// The key that encrypts the data key.
        key_id: AnyKey = "KeyId",
        /// The data key's size by name (give this or NumberOfBytes).
        key_spec: Option<DataKeySpec> = "KeySpec",
        /// The data key's size in bytes (give this or KeySpec).
        number_of_bytes: Option<Int<1, 1024>> = "NumberOfBytes",
        /// Associated data that Decrypt must repeat.
        encryption_context: StringMap = "EncryptionContext",
        /// 0 to 10 grant tokens: accepted, not enforced (grants are data for now).
        grant_tokens: GrantTokens = "GrantTokens",
        /// Refused: qkms has no Nitro Enclaves.
        recipient: Refused = "Recipient",
        /// Validate and run without answering the result.
        dry_run: Bool = "DryRun",
    }
}

impl HotKey for GenerateDataKeyRequest {
    fn is_hot(&self, kms: &Kms) -> bool {
        hot(&self.key_id, kms)
    }
}

/// GenerateDataKey's and GenerateDataKeyWithoutPlaintext's answer.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct GenerateDataKeyResponse {
    /// The data key, encrypted (base64).
    #[serde(rename = "CiphertextBlob")]
    pub ciphertext_blob: String,
    /// The ARN of the key that encrypted it.
    #[serde(rename = "KeyId")]
    pub key_id: String,
    /// The data key, base64 (GenerateDataKey only).
    #[serde(rename = "Plaintext", skip_serializing_if = "Option::is_none")]
    pub plaintext: Option<String>,
}

fn generate(
    req: GenerateDataKeyRequest,
    kms: &Kms,
    scope: &Scope,
    with_plaintext: bool,
) -> Result<GenerateDataKeyResponse, AwsError> {
    let bytes = match (req.key_spec, req.number_of_bytes) {
        (Some(DataKeySpec::Aes128), None) => 16,
        (Some(DataKeySpec::Aes256), None) => 32,
        (None, Some(n)) => usize::try_from(n.0).unwrap_or(32),
        _ => {
            return Err(AwsError::new(
                Exception::Validation,
                "Please specify either number of bytes or key spec.",
            ));
        }
    };
    if req.recipient.0 {
        return Err(recipient_unsupported());
    }
    let out = kms
        .generate_data_key(
            &req.key_id.key_ref(scope)?,
            bytes,
            &req.encryption_context.0,
        )
        .map_err(fail(&req.key_id, scope))?;
    if !with_plaintext {
        kms.note_data_key_without_plaintext(&out.encrypted.key_id);
    }
    if req.dry_run.0 {
        return Err(dry_run_error());
    }
    Ok(GenerateDataKeyResponse {
        ciphertext_blob: B64.encode(&out.encrypted.blob),
        key_id: scope.key_arn(&out.encrypted.key_id),
        plaintext: with_plaintext.then(|| B64.encode(out.plaintext.expose())),
    })
}

/// GenerateDataKey.
///
/// # Errors
/// The exception to render.
pub fn generate_data_key(
    req: GenerateDataKeyRequest,
    kms: &Kms,
    scope: &Scope,
) -> Result<GenerateDataKeyResponse, AwsError> {
    generate(req, kms, scope, true)
}

/// GenerateDataKeyWithoutPlaintext.
///
/// # Errors
/// The exception to render.
pub fn generate_data_key_without_plaintext(
    req: GenerateDataKeyRequest,
    kms: &Kms,
    scope: &Scope,
) -> Result<GenerateDataKeyResponse, AwsError> {
    generate(req, kms, scope, false)
}

members! {
    /// GenerateRandom's members.
    pub struct GenerateRandomRequest {
        /// 1 to 1024.
        number_of_bytes: Int<1, 1024> = "NumberOfBytes",
        /// Refused: qkms has no custom key stores.
        custom_key_store_id: Refused = "CustomKeyStoreId",
        /// Refused: qkms has no Nitro Enclaves.
        recipient: Refused = "Recipient",
    }
}

/// GenerateRandom's answer.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct GenerateRandomResponse {
    /// The bytes, base64.
    #[serde(rename = "Plaintext")]
    pub plaintext: String,
}

/// GenerateRandom.
///
/// # Errors
/// The exception to render.
pub fn generate_random(
    req: GenerateRandomRequest,
    kms: &Kms,
    _: &Scope,
) -> Result<GenerateRandomResponse, AwsError> {
    if req.custom_key_store_id.0 || req.recipient.0 {
        return Err(AwsError::new(
            Exception::UnsupportedOperation,
            "Custom key stores and recipients are not supported by qkms.",
        ));
    }
    let bytes = kms
        .random_bytes(usize::try_from(req.number_of_bytes.0).unwrap_or(1))
        .map_err(|e| AwsError::from_service(e, ""))?;
    Ok(GenerateRandomResponse {
        plaintext: B64.encode(bytes.expose()),
    })
}

crate::protocol::family!($ crypto_actions {
    Encrypt(crypto::EncryptRequest => crypto::EncryptResponse) = crypto::encrypt,
        hot, ["Plaintext"], "Encrypts up to 4 KiB under a symmetric key, or with a key pair's public key.";
    Decrypt(crypto::DecryptRequest => crypto::DecryptResponse) = crypto::decrypt,
        hot, ["Plaintext"], "Decrypts a ciphertext (a symmetric one names its key; a key pair's needs KeyId and EncryptionAlgorithm).";
    ReEncrypt(crypto::ReEncryptRequest => crypto::ReEncryptResponse) = crypto::re_encrypt,
        blocking, [], "Decrypts a ciphertext and encrypts it under another key, inside qkms.";
    GenerateDataKey(crypto::GenerateDataKeyRequest => crypto::GenerateDataKeyResponse) = crypto::generate_data_key,
        hot, ["Plaintext"], "Generates a data key, returned in the clear and encrypted under a key.";
    GenerateDataKeyWithoutPlaintext(crypto::GenerateDataKeyRequest => crypto::GenerateDataKeyResponse) = crypto::generate_data_key_without_plaintext,
        hot, [], "Generates a data key, returned only encrypted under a key.";
    GenerateRandom(crypto::GenerateRandomRequest => crypto::GenerateRandomResponse) = crypto::generate_random,
        blocking, ["Plaintext"], "Returns random bytes.";
});
