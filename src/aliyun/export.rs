//! Data keys for another system: ExportDataKey, GenerateAndExportDataKey. The data key
//! is encrypted to a public key the caller gives (`PublicKeyBlob`, base64 DER
//! SubjectPublicKeyInfo) with RSAES-OAEP (RSA_2048, RSA_3072) or SM2PKE (EC_SM2);
//! `ExportedDataKey` is that ciphertext, base64 (SM2: raw `04 ‖ C1 ‖ C3 ‖ C2`, as
//! AsymmetricEncrypt's). EC_SM2 goes only with SM2PKE, and SM2PKE only with EC_SM2.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use schemars::JsonSchema;
use serde::Serialize;

use super::crypto::{DataKeySpec, dry_run_error};
use super::error::AliyunError;
use super::fields::{Base64, Context, Flag, Ranged, enum_field, params};
use super::wire;
use crate::crypto::export::OaepHash;
use crate::enums::closed_enum;
use crate::service::{ExportTarget, ExportWrapping, Kms};

closed_enum! {
    /// How the data key is encrypted to the public key.
    pub enum ExportAlgorithm {
        /// RSAES-OAEP with SHA-256 and MGF1-SHA-256.
        RsaesOaepSha256 = "RSAES_OAEP_SHA_256",
        /// RSAES-OAEP with SHA-1 and MGF1-SHA-1.
        RsaesOaepSha1 = "RSAES_OAEP_SHA_1",
        /// SM2 public-key encryption (with EC_SM2 only).
        Sm2Pke = "SM2PKE",
    }
}
enum_field!(ExportAlgorithm);

closed_enum! {
    /// The kind of the public key.
    pub enum ExportKeySpec {
        /// RSA, 2048 bits.
        Rsa2048 = "RSA_2048",
        /// RSA, 3072 bits.
        Rsa3072 = "RSA_3072",
        /// SM2 (with SM2PKE only).
        EcSm2 = "EC_SM2",
    }
}
enum_field!(ExportKeySpec);

/// The service's target for a public key, spec and algorithm.
fn target(
    public_key: &[u8],
    spec: ExportKeySpec,
    algorithm: ExportAlgorithm,
) -> Result<ExportTarget<'_>, AliyunError> {
    let hash = match algorithm {
        ExportAlgorithm::RsaesOaepSha256 => Some(OaepHash::Sha256),
        ExportAlgorithm::RsaesOaepSha1 => Some(OaepHash::Sha1),
        ExportAlgorithm::Sm2Pke => None,
    };
    let wrapping = match (spec, hash) {
        (ExportKeySpec::Rsa2048, Some(hash)) => ExportWrapping::RsaOaep {
            key_bits: 2048,
            hash,
        },
        (ExportKeySpec::Rsa3072, Some(hash)) => ExportWrapping::RsaOaep {
            key_bits: 3072,
            hash,
        },
        (ExportKeySpec::EcSm2, None) => ExportWrapping::Sm2Pke,
        (ExportKeySpec::EcSm2, Some(_)) => {
            return Err(AliyunError::invalid_because(
                "WrappingAlgorithm",
                "An EC_SM2 public key takes SM2PKE only.",
            ));
        }
        (_, None) => {
            return Err(AliyunError::invalid_because(
                "WrappingAlgorithm",
                "SM2PKE goes with an EC_SM2 public key only; RSA keys take RSAES_OAEP_SHA_256 or RSAES_OAEP_SHA_1.",
            ));
        }
    };
    Ok(ExportTarget {
        public_key,
        wrapping,
    })
}

params! {
    /// ExportDataKey's parameters.
    pub struct ExportDataKeyRequest {
        /// A ciphertext of GenerateDataKey (or Encrypt), base64.
        ciphertext_blob: Base64 = "CiphertextBlob",
        /// The public key, base64 of a DER SubjectPublicKeyInfo.
        public_key_blob: Base64 = "PublicKeyBlob",
        /// How to encrypt to it.
        wrapping_algorithm: ExportAlgorithm = "WrappingAlgorithm",
        /// Its kind and size.
        wrapping_key_spec: ExportKeySpec = "WrappingKeySpec",
        /// The context the ciphertext was made with.
        encryption_context: Context = "EncryptionContext",
        /// Validate and run without answering the result.
        dry_run: Flag = "DryRun",
    }
}

/// ExportDataKey's answer.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct ExportDataKeyResponse {
    /// The data key, encrypted to the public key (base64).
    pub exported_data_key: String,
    /// The key that had encrypted the data key.
    pub key_id: String,
    /// Its version.
    pub key_version_id: String,
}

/// ExportDataKey.
///
/// # Errors
/// The Aliyun error to render.
pub fn export_data_key(
    req: ExportDataKeyRequest,
    kms: &Kms,
) -> Result<ExportDataKeyResponse, AliyunError> {
    let target = target(
        &req.public_key_blob.0,
        req.wrapping_key_spec,
        req.wrapping_algorithm,
    )?;
    let out = kms.export_data_key(&req.ciphertext_blob.0, &req.encryption_context.0, &target)?;
    if req.dry_run.0 {
        return Err(dry_run_error());
    }
    Ok(ExportDataKeyResponse {
        exported_data_key: B64.encode(&out.exported),
        key_id: out.key_id,
        key_version_id: out.key_version_id,
    })
}

params! {
    /// GenerateAndExportDataKey's parameters.
    pub struct GenerateAndExportDataKeyRequest {
        /// The key that encrypts the data key.
        key_id: String = "KeyId",
        /// The public key, base64 of a DER SubjectPublicKeyInfo.
        public_key_blob: Base64 = "PublicKeyBlob",
        /// How to encrypt to it.
        wrapping_algorithm: ExportAlgorithm = "WrappingAlgorithm",
        /// Its kind and size.
        wrapping_key_spec: ExportKeySpec = "WrappingKeySpec",
        /// The data key's size by name [default: AES_256].
        key_spec: Option<DataKeySpec> = "KeySpec",
        /// The data key's size in bytes, 1 to 1024 (wins over KeySpec; at most what fits the public key).
        number_of_bytes: Option<Ranged<1, 1024>> = "NumberOfBytes",
        /// Associated data that Decrypt must repeat.
        encryption_context: Context = "EncryptionContext",
        /// Validate and run without answering the result.
        dry_run: Flag = "DryRun",
    }
}

/// GenerateAndExportDataKey's answer.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct GenerateAndExportDataKeyResponse {
    /// The data key, encrypted under the key (base64).
    pub ciphertext_blob: String,
    /// The data key, encrypted to the public key (base64).
    pub exported_data_key: String,
    /// The key that encrypted the data key.
    pub key_id: String,
    /// Its version.
    pub key_version_id: String,
}

/// GenerateAndExportDataKey.
///
/// # Errors
/// The Aliyun error to render.
pub fn generate_and_export_data_key(
    req: GenerateAndExportDataKeyRequest,
    kms: &Kms,
) -> Result<GenerateAndExportDataKeyResponse, AliyunError> {
    // NumberOfBytes wins over KeySpec; neither means 32 bytes (as GenerateDataKey).
    let bytes = match (req.number_of_bytes, req.key_spec) {
        (Some(n), _) => usize::try_from(n.0).unwrap_or(32),
        (None, Some(DataKeySpec::Aes128)) => 16,
        (None, _) => 32,
    };
    let target = target(
        &req.public_key_blob.0,
        req.wrapping_key_spec,
        req.wrapping_algorithm,
    )?;
    let key = wire::key_ref(&req.key_id, kms.scope())?;
    let out = kms.generate_and_export_data_key(&key, bytes, &req.encryption_context.0, &target)?;
    if req.dry_run.0 {
        return Err(dry_run_error());
    }
    Ok(GenerateAndExportDataKeyResponse {
        ciphertext_blob: B64.encode(&out.encrypted.blob),
        exported_data_key: B64.encode(&out.exported),
        key_id: out.encrypted.key_id,
        key_version_id: out.encrypted.key_version_id,
    })
}

crate::protocol::family!($ export_actions {
    ExportDataKey(export::ExportDataKeyRequest => export::ExportDataKeyResponse) = export::export_data_key,
        blocking, [], "Decrypts a data key and returns it encrypted to a caller's RSA or SM2 public key.";
    GenerateAndExportDataKey(export::GenerateAndExportDataKeyRequest => export::GenerateAndExportDataKeyResponse) = export::generate_and_export_data_key,
        blocking, [], "Generates a data key, returned encrypted under a key and to a caller's RSA or SM2 public key.";
});
