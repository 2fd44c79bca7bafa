//! Cryptography: Encrypt, Decrypt, ReEncrypt, GenerateDataKey,
//! GenerateDataKeyWithoutPlaintext.
//!
//! `DryRun=true` runs the request without effect on anyone else and answers
//! `DryRunOperationError` when it would have succeeded.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use schemars::JsonSchema;
use serde::Serialize;

use super::asymmetric::EncryptAlgorithm;
use super::error::{AliyunError, ErrorCode};
use super::fields::{Base64, Context, Flag, Ranged, enum_field, params};
use super::wire;
use crate::enums::closed_enum;
use crate::model::{self, KeyRef};
use crate::service::{Kms, ReEncryptSource};

/// The refusal of a `DryRun=true` request that would have succeeded.
pub fn dry_run_error() -> AliyunError {
    AliyunError::new(
        ErrorCode::DryRunOperationError,
        "Request would have succeeded, but DryRun flag is set.",
    )
}

/// Requests that run inline when their key is in memory.
pub trait HotKey {
    /// True when the key the request names is cached.
    fn is_hot(&self, kms: &Kms) -> bool;
}

/// True when `raw` names a cached key.
pub fn hot_key_id(raw: &str, kms: &Kms) -> bool {
    wire::key_ref(raw, kms.scope()).is_ok_and(|k| kms.is_hot(&k))
}

params! {
    /// Encrypt's parameters.
    pub struct EncryptRequest {
        /// The key: an ID, an ARN or an alias.
        key_id: String = "KeyId",
        /// Base64 of 1 to 6144 bytes.
        plaintext: Base64 = "Plaintext",
        /// Associated data that Decrypt must repeat.
        encryption_context: Context = "EncryptionContext",
        /// Validate and run without answering the result.
        dry_run: Flag = "DryRun",
    }
}

impl HotKey for EncryptRequest {
    fn is_hot(&self, kms: &Kms) -> bool {
        hot_key_id(&self.key_id, kms)
    }
}

/// Encrypt's answer.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct EncryptResponse {
    /// The key that encrypted.
    pub key_id: String,
    /// Its version.
    pub key_version_id: String,
    /// The ciphertext, base64.
    pub ciphertext_blob: String,
}

/// Encrypt.
///
/// # Errors
/// The Aliyun error to render.
pub fn encrypt(req: EncryptRequest, kms: &Kms) -> Result<EncryptResponse, AliyunError> {
    let plaintext = zeroize::Zeroizing::new(req.plaintext.0);
    let key = wire::key_ref(&req.key_id, kms.scope())?;
    let out = kms.encrypt(&key, &plaintext, &req.encryption_context.0)?;
    if req.dry_run.0 {
        return Err(dry_run_error());
    }
    Ok(EncryptResponse {
        key_id: out.key_id,
        key_version_id: out.key_version_id,
        ciphertext_blob: B64.encode(&out.blob),
    })
}

params! {
    /// Decrypt's parameters: the ciphertext names its key.
    pub struct DecryptRequest {
        /// The ciphertext, base64.
        ciphertext_blob: Base64 = "CiphertextBlob",
        /// The context given to Encrypt.
        encryption_context: Context = "EncryptionContext",
        /// Validate and run without answering the result.
        dry_run: Flag = "DryRun",
    }
}

impl HotKey for DecryptRequest {
    fn is_hot(&self, kms: &Kms) -> bool {
        kms.is_hot_blob(&self.ciphertext_blob.0)
    }
}

/// Decrypt's answer.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct DecryptResponse {
    /// The key that decrypted.
    pub key_id: String,
    /// Its version.
    pub key_version_id: String,
    /// The plaintext, base64.
    pub plaintext: String,
}

/// Decrypt.
///
/// # Errors
/// The Aliyun error to render.
pub fn decrypt(req: DecryptRequest, kms: &Kms) -> Result<DecryptResponse, AliyunError> {
    let out = kms.decrypt(&req.ciphertext_blob.0, &req.encryption_context.0, None)?;
    if req.dry_run.0 {
        return Err(dry_run_error());
    }
    Ok(DecryptResponse {
        key_id: out.key_id,
        key_version_id: out.key_version_id,
        plaintext: B64.encode(out.plaintext.expose()),
    })
}

params! {
    /// ReEncrypt's parameters: the ciphertext names its source key.
    pub struct ReEncryptRequest {
        /// The ciphertext, base64.
        ciphertext_blob: Base64 = "CiphertextBlob",
        /// The key to encrypt under: an ID, an ARN or an alias.
        destination_key_id: String = "DestinationKeyId",
        /// Associated data for the new ciphertext.
        destination_encryption_context: Context = "DestinationEncryptionContext",
        /// The context the ciphertext was made with.
        source_encryption_context: Context = "SourceEncryptionContext",
        /// The key the ciphertext must belong to.
        source_key_id: Option<String> = "SourceKeyId",
        /// The key version the ciphertext must have been made under.
        source_key_version_id: Option<String> = "SourceKeyVersionId",
        /// The public-key algorithm of an asymmetric ciphertext (which then needs
        /// SourceKeyId and SourceKeyVersionId, as nothing in it names the key).
        source_encryption_algorithm: Option<EncryptAlgorithm> = "SourceEncryptionAlgorithm",
        /// Validate and run without answering the result.
        dry_run: Flag = "DryRun",
    }
}

/// ReEncrypt's answer: the new ciphertext and the destination key.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct ReEncryptResponse {
    /// The new ciphertext, base64.
    pub ciphertext_blob: String,
    /// The destination key.
    pub key_id: String,
    /// The destination key's version that encrypted.
    pub key_version_id: String,
}

/// ReEncrypt: source-side failures are Decrypt's, destination-side ones Encrypt's.
///
/// # Errors
/// The Aliyun error to render.
pub fn re_encrypt(req: ReEncryptRequest, kms: &Kms) -> Result<ReEncryptResponse, AliyunError> {
    let algorithm = req
        .source_encryption_algorithm
        .map(model::AsymmetricAlgorithm::from);
    if algorithm.is_some() {
        if req.source_key_id.is_none() {
            return Err(AliyunError::missing("SourceKeyId"));
        }
        if req.source_key_version_id.is_none() {
            return Err(AliyunError::missing("SourceKeyVersionId"));
        }
    }
    let destination = wire::key_ref(&req.destination_key_id, kms.scope())?;
    let source_key = req
        .source_key_id
        .as_deref()
        .map(|k| wire::key_ref(k, kms.scope()))
        .transpose()?;
    let source = ReEncryptSource {
        context: &req.source_encryption_context.0,
        key: source_key.as_ref(),
        version: req.source_key_version_id.as_deref(),
        algorithm,
    };
    let out = kms
        .re_encrypt_from(
            &req.ciphertext_blob.0,
            &source,
            &destination,
            &req.destination_encryption_context.0,
            None,
        )
        .map_err(|(_, e)| AliyunError::from(e))?;
    if req.dry_run.0 {
        return Err(dry_run_error());
    }
    Ok(ReEncryptResponse {
        ciphertext_blob: B64.encode(&out.encrypted.blob),
        key_id: out.encrypted.key_id,
        key_version_id: out.encrypted.key_version_id,
    })
}

closed_enum! {
    /// The sizes of data keys by name.
    pub enum DataKeySpec {
        /// 32 bytes.
        Aes256 = "AES_256",
        /// 16 bytes.
        Aes128 = "AES_128",
    }
}
enum_field!(DataKeySpec);

params! {
    /// GenerateDataKey's and GenerateDataKeyWithoutPlaintext's parameters.
    pub struct GenerateDataKeyRequest {
        /// The key that encrypts the data key.
        key_id: String = "KeyId",
        /// The data key's size by name [default: AES_256].
        key_spec: Option<DataKeySpec> = "KeySpec",
        /// The data key's size in bytes, 1 to 1024 (wins over KeySpec).
        number_of_bytes: Option<Ranged<1, 1024>> = "NumberOfBytes",
        /// Associated data that Decrypt must repeat.
        encryption_context: Context = "EncryptionContext",
        /// Validate and run without answering the result.
        dry_run: Flag = "DryRun",
    }
}

impl HotKey for GenerateDataKeyRequest {
    fn is_hot(&self, kms: &Kms) -> bool {
        hot_key_id(&self.key_id, kms)
    }
}

/// GenerateDataKey's answer.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct GenerateDataKeyResponse {
    /// The key that encrypted the data key.
    pub key_id: String,
    /// Its version.
    pub key_version_id: String,
    /// The data key, encrypted (base64).
    pub ciphertext_blob: String,
    /// The data key, base64 (GenerateDataKey only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plaintext: Option<String>,
}

fn generate(
    req: GenerateDataKeyRequest,
    kms: &Kms,
    with_plaintext: bool,
) -> Result<GenerateDataKeyResponse, AliyunError> {
    // NumberOfBytes wins over KeySpec; neither means 32 bytes.
    let bytes = match (req.number_of_bytes, req.key_spec) {
        (Some(n), _) => usize::try_from(n.0).unwrap_or(32),
        (None, Some(DataKeySpec::Aes128)) => 16,
        (None, _) => 32,
    };
    let key: KeyRef = wire::key_ref(&req.key_id, kms.scope())?;
    let out = kms.generate_data_key(&key, bytes, &req.encryption_context.0)?;
    if req.dry_run.0 {
        return Err(dry_run_error());
    }
    Ok(GenerateDataKeyResponse {
        key_id: out.encrypted.key_id,
        key_version_id: out.encrypted.key_version_id,
        ciphertext_blob: B64.encode(&out.encrypted.blob),
        plaintext: with_plaintext.then(|| B64.encode(out.plaintext.expose())),
    })
}

/// GenerateDataKey.
///
/// # Errors
/// The Aliyun error to render.
pub fn generate_data_key(
    req: GenerateDataKeyRequest,
    kms: &Kms,
) -> Result<GenerateDataKeyResponse, AliyunError> {
    generate(req, kms, true)
}

/// GenerateDataKeyWithoutPlaintext.
///
/// # Errors
/// The Aliyun error to render.
pub fn generate_data_key_without_plaintext(
    req: GenerateDataKeyRequest,
    kms: &Kms,
) -> Result<GenerateDataKeyResponse, AliyunError> {
    generate(req, kms, false)
}

crate::protocol::family!($ crypto_actions {
    Encrypt(crypto::EncryptRequest => crypto::EncryptResponse) = crypto::encrypt,
        hot, ["Plaintext"], "Encrypts up to 6 KiB under a key.";
    Decrypt(crypto::DecryptRequest => crypto::DecryptResponse) = crypto::decrypt,
        hot, ["Plaintext"], "Decrypts a ciphertext (it names its key).";
    ReEncrypt(crypto::ReEncryptRequest => crypto::ReEncryptResponse) = crypto::re_encrypt,
        blocking, [], "Decrypts a ciphertext and encrypts it under another key, inside qkms.";
    GenerateDataKey(crypto::GenerateDataKeyRequest => crypto::GenerateDataKeyResponse) = crypto::generate_data_key,
        hot, ["Plaintext"], "Generates a data key, returned in the clear and encrypted under a key.";
    GenerateDataKeyWithoutPlaintext(crypto::GenerateDataKeyRequest => crypto::GenerateDataKeyResponse) = crypto::generate_data_key_without_plaintext,
        hot, [], "Generates a data key, returned only encrypted under a key.";
});
