//! Bring your own key: GetParametersForImport, ImportKeyMaterial, DeleteKeyMaterial.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use schemars::JsonSchema;
use serde::Serialize;

use super::RULES;
use super::error::AliyunError;
use super::fields::{Base64, enum_field, params};
use super::keys::{Empty, KeyIdRequest};
use super::wire;
use crate::clock::{MAX_TIME, iso8601};
use crate::crypto::wrap::{WrappingAlgorithm, WrappingKeySpec};
use crate::enums::closed_enum;
use crate::service::{ImportOptions, ImportType, Kms, MaterialSelector};

closed_enum! {
    /// The wrapping algorithms of the Aliyun documentation.
    pub enum Algorithm {
        /// RSAES-PKCS1-v1_5.
        RsaesPkcs1V15 = "RSAES_PKCS1_V1_5",
        /// RSAES-OAEP with SHA-1.
        RsaesOaepSha1 = "RSAES_OAEP_SHA_1",
        /// RSAES-OAEP with SHA-256 (MGF1-SHA-256, or MGF1-SHA-1 as Java sends it).
        RsaesOaepSha256 = "RSAES_OAEP_SHA_256",
        /// SM2 public-key encryption, with an EC_SM2 wrapping key only (any ciphertext
        /// layout AsymmetricDecrypt accepts).
        Sm2Pke = "SM2PKE",
    }
}
enum_field!(Algorithm);

closed_enum! {
    /// The wrapping key specs of the Aliyun documentation.
    pub enum WrapSpec {
        /// RSA-2048.
        Rsa2048 = "RSA_2048",
        /// SM2, with SM2PKE only (HSM keys in mainland China regions on the service;
        /// qkms offers it for every EXTERNAL key).
        EcSm2 = "EC_SM2",
    }
}
enum_field!(WrapSpec);

params! {
    /// GetParametersForImport's parameters.
    pub struct GetParametersForImportRequest {
        /// The EXTERNAL key.
        key_id: String = "KeyId",
        /// How the material will be wrapped.
        wrapping_algorithm: Algorithm = "WrappingAlgorithm",
        /// `RSA_2048` (with the RSAES algorithms) or `EC_SM2` (with SM2PKE).
        wrapping_key_spec: WrapSpec = "WrappingKeySpec",
    }
}

/// GetParametersForImport's answer.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct GetParametersForImportResponse {
    /// The key.
    pub key_id: String,
    /// The token to send back with the material (base64), valid 24 hours.
    pub import_token: String,
    /// The wrapping public key: base64 DER SubjectPublicKeyInfo.
    pub public_key: String,
    /// When token and public key expire.
    #[schemars(extend("format" = "date-time"))]
    pub token_expire_time: String,
}

/// GetParametersForImport: a fresh wrapping key pair each time.
///
/// # Errors
/// The Aliyun error to render.
pub fn get_parameters_for_import(
    req: GetParametersForImportRequest,
    kms: &Kms,
) -> Result<GetParametersForImportResponse, AliyunError> {
    let algorithm = match req.wrapping_algorithm {
        Algorithm::RsaesPkcs1V15 => WrappingAlgorithm::RsaesPkcs1V15,
        Algorithm::RsaesOaepSha1 => WrappingAlgorithm::RsaesOaepSha1,
        Algorithm::RsaesOaepSha256 => WrappingAlgorithm::RsaesOaepSha256,
        Algorithm::Sm2Pke => WrappingAlgorithm::Sm2Pke,
    };
    let spec = match req.wrapping_key_spec {
        WrapSpec::Rsa2048 => WrappingKeySpec::Rsa2048,
        WrapSpec::EcSm2 => WrappingKeySpec::EcSm2,
    };
    // The pairing rule (the crypto sheet, §5): the service checks it too, but the
    // refusal names the parameter the caller got wrong.
    if !algorithm.pairs_with(spec) {
        let why = if spec == WrappingKeySpec::EcSm2 {
            "An EC_SM2 wrapping key takes WrappingAlgorithm SM2PKE only."
        } else {
            "SM2PKE goes with WrappingKeySpec EC_SM2 only."
        };
        return Err(AliyunError::invalid_because("WrappingAlgorithm", why));
    }
    let key = wire::key_ref(&req.key_id, kms.scope())?;
    let params = kms.get_parameters_for_import(&key, algorithm, spec, &RULES)?;
    Ok(GetParametersForImportResponse {
        key_id: params.key_id,
        import_token: params.import_token,
        public_key: B64.encode(&params.public_key),
        token_expire_time: iso8601(params.token_expire),
    })
}

params! {
    /// ImportKeyMaterial's parameters.
    pub struct ImportKeyMaterialRequest {
        /// The EXTERNAL key.
        key_id: String = "KeyId",
        /// The wrapped material (base64): 32 bytes for Aliyun_AES_256, 16 for Aliyun_SM4.
        encrypted_key_material: Base64 = "EncryptedKeyMaterial",
        /// The token of GetParametersForImport.
        import_token: String = "ImportToken",
        /// When the material expires, Unix seconds; absent or 0 for never.
        key_material_expire_unix: Option<i64> = "KeyMaterialExpireUnix",
    }
}

/// ImportKeyMaterial.
///
/// # Errors
/// The Aliyun error to render.
pub fn import_key_material(req: ImportKeyMaterialRequest, kms: &Kms) -> Result<Empty, AliyunError> {
    // Absent or 0 means the material never expires.
    let expire = match req.key_material_expire_unix {
        None | Some(0) => None,
        // Past 9999-12-31T23:59:59Z a time cannot be rendered as the service's dates.
        Some(t) if !(0..=MAX_TIME).contains(&t) => {
            return Err(AliyunError::invalid_because(
                "KeyMaterialExpireUnix",
                "It must be Unix seconds between 0 and 253402300799.",
            ));
        }
        Some(t) => Some(t),
    };
    let key = wire::key_ref(&req.key_id, kms.scope())?;
    // One material per key on this API: the first import binds it, later ones restore it.
    let options = ImportOptions {
        expire,
        ..ImportOptions::default()
    };
    kms.import_key_material(
        &key,
        &req.import_token,
        &req.encrypted_key_material.0,
        ImportType::Auto,
        &options,
    )?;
    Ok(Empty {})
}

/// DeleteKeyMaterial: the key goes to PendingImport and its material is erased.
///
/// # Errors
/// The Aliyun error to render.
pub fn delete_key_material(req: KeyIdRequest, kms: &Kms) -> Result<Empty, AliyunError> {
    let key = wire::key_ref(&req.key_id, kms.scope())?;
    kms.delete_key_material(&key, &MaterialSelector::All)?;
    Ok(Empty {})
}

crate::protocol::family!($ import_actions {
    GetParametersForImport(import::GetParametersForImportRequest => import::GetParametersForImportResponse) = import::get_parameters_for_import,
        blocking, ["ImportToken"], "Gets a wrapping public key and an import token for an EXTERNAL key.";
    ImportKeyMaterial(import::ImportKeyMaterialRequest => keys::Empty) = import::import_key_material,
        blocking, ["EncryptedKeyMaterial", "ImportToken"], "Imports wrapped key material into an EXTERNAL key.";
    DeleteKeyMaterial(keys::KeyIdRequest => keys::Empty) = import::delete_key_material,
        blocking, [], "Deletes an EXTERNAL key's material; the key goes back to PendingImport.";
});
