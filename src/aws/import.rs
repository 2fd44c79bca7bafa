//! Bring your own key: GetParametersForImport, ImportKeyMaterial,
//! DeleteImportedKeyMaterial (the AWS seed page).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use schemars::JsonSchema;
use serde::Serialize;

use super::RULES;
use super::error::{AwsError, Exception};
use super::keys::fail;
use super::members::{Blob, Str, Timestamp, enum_member, members};
use super::wire::{KeyOnly, Scope};
use crate::crypto::wrap::{WrappingAlgorithm as Algorithm, WrappingKeySpec as Spec};
use crate::enums::closed_enum;
use crate::service::{ImportOptions, ImportType as Kind, Kms, MaterialSelector};

/// Largest import token and wrapped material, in bytes.
const MAX_BLOB: usize = 6144;

closed_enum! {
    /// `WrappingAlgorithm`.
    pub enum WrappingAlgorithm {
        /// No longer accepted by AWS (since 2023-10-10).
        RsaesPkcs1V15 = "RSAES_PKCS1_V1_5",
        /// RSA-OAEP with SHA-1.
        RsaesOaepSha1 = "RSAES_OAEP_SHA_1",
        /// RSA-OAEP with SHA-256.
        RsaesOaepSha256 = "RSAES_OAEP_SHA_256",
        /// RSA-OAEP (SHA-1) of an AES key that wraps the material (RFC 5649).
        RsaAesKeyWrapSha1 = "RSA_AES_KEY_WRAP_SHA_1",
        /// RSA-OAEP (SHA-256) of an AES key that wraps the material (RFC 5649).
        RsaAesKeyWrapSha256 = "RSA_AES_KEY_WRAP_SHA_256",
        /// SM2 (China Regions only).
        Sm2Pke = "SM2PKE",
    }
}
enum_member!(WrappingAlgorithm);

closed_enum! {
    /// `WrappingKeySpec`.
    pub enum WrappingKeySpec {
        /// RSA 2048.
        Rsa2048 = "RSA_2048",
        /// RSA 3072.
        Rsa3072 = "RSA_3072",
        /// RSA 4096.
        Rsa4096 = "RSA_4096",
        /// SM2 (China Regions only).
        Sm2 = "SM2",
    }
}
enum_member!(WrappingKeySpec);

closed_enum! {
    /// `ExpirationModel`.
    pub enum ExpirationModel {
        /// The material expires at `ValidTo`.
        Expires = "KEY_MATERIAL_EXPIRES",
        /// The material never expires.
        DoesNotExpire = "KEY_MATERIAL_DOES_NOT_EXPIRE",
    }
}
enum_member!(ExpirationModel);

impl ExpirationModel {
    /// The model of imported material with expiry `expire` (`None` = never).
    #[must_use]
    pub const fn of(expire: Option<i64>) -> Self {
        match expire {
            Some(_) => Self::Expires,
            None => Self::DoesNotExpire,
        }
    }
}

closed_enum! {
    /// `ImportType`.
    pub enum ImportType {
        /// The first material of a key.
        New = "NEW_KEY_MATERIAL",
        /// The material the key already has.
        Existing = "EXISTING_KEY_MATERIAL",
    }
}
enum_member!(ImportType);

members! {
    /// GetParametersForImport's members.
    pub struct GetParametersForImportRequest {
        /// An EXTERNAL key.
        key_id: KeyOnly = "KeyId",
        /// How the material will be wrapped.
        wrapping_algorithm: WrappingAlgorithm = "WrappingAlgorithm",
        /// The wrapping key's kind.
        wrapping_key_spec: WrappingKeySpec = "WrappingKeySpec",
    }
}

/// GetParametersForImport's answer.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct GetParametersForImportResponse {
    /// The key ARN.
    #[serde(rename = "KeyId")]
    pub key_id: String,
    /// The token to give ImportKeyMaterial, base64.
    #[serde(rename = "ImportToken")]
    pub import_token: String,
    /// The wrapping key (DER SubjectPublicKeyInfo), base64.
    #[serde(rename = "PublicKey")]
    pub public_key: String,
    /// When the token and wrapping key expire, epoch seconds.
    #[serde(rename = "ParametersValidTo")]
    pub parameters_valid_to: i64,
}

fn algorithm(a: WrappingAlgorithm) -> Result<Algorithm, AwsError> {
    let refused = |m: &str| Err(AwsError::new(Exception::Validation, m));
    match a {
        WrappingAlgorithm::RsaesPkcs1V15 => refused(
            "The RSAES_PKCS1_V1_5 wrapping algorithm is no longer supported; use RSAES_OAEP_SHA_256 or RSA_AES_KEY_WRAP_SHA_256.",
        ),
        // AWS offers SM2 in its China Regions; qkms, which allows SM2 keys in every region,
        // allows SM2 wrapping too (with an SM2 wrapping key only: the core checks the pair).
        WrappingAlgorithm::Sm2Pke => Ok(Algorithm::Sm2Pke),
        WrappingAlgorithm::RsaesOaepSha1 => Ok(Algorithm::RsaesOaepSha1),
        WrappingAlgorithm::RsaesOaepSha256 => Ok(Algorithm::RsaesOaepSha256),
        WrappingAlgorithm::RsaAesKeyWrapSha1 => Ok(Algorithm::RsaAesKeyWrapSha1),
        WrappingAlgorithm::RsaAesKeyWrapSha256 => Ok(Algorithm::RsaAesKeyWrapSha256),
    }
}

fn key_spec(s: WrappingKeySpec) -> Result<Spec, AwsError> {
    match s {
        WrappingKeySpec::Rsa2048 => Ok(Spec::Rsa2048),
        WrappingKeySpec::Rsa3072 => Ok(Spec::Rsa3072),
        WrappingKeySpec::Rsa4096 => Ok(Spec::Rsa4096),
        WrappingKeySpec::Sm2 => Ok(Spec::EcSm2),
    }
}

/// GetParametersForImport.
///
/// # Errors
/// The exception to render.
pub fn get_parameters_for_import(
    req: GetParametersForImportRequest,
    kms: &Kms,
    scope: &Scope,
) -> Result<GetParametersForImportResponse, AwsError> {
    let algorithm = algorithm(req.wrapping_algorithm)?;
    let spec = key_spec(req.wrapping_key_spec)?;
    let params = kms
        .get_parameters_for_import(&req.key_id.key_ref(scope)?, algorithm, spec, &RULES)
        .map_err(fail(&req.key_id, scope))?;
    // The service's token is base64 text; on this dialect it travels as a blob, which
    // JSON carries as base64 of the same bytes.
    let token = B64
        .decode(&params.import_token)
        .map_err(|e| AwsError::internal(&e.to_string()))?;
    Ok(GetParametersForImportResponse {
        key_id: scope.key_arn(&params.key_id),
        import_token: B64.encode(token),
        public_key: B64.encode(&params.public_key),
        parameters_valid_to: params.token_expire,
    })
}

members! {
    /// ImportKeyMaterial's members.
    pub struct ImportKeyMaterialRequest {
        /// The EXTERNAL key.
        key_id: KeyOnly = "KeyId",
        /// GetParametersForImport's token.
        import_token: Blob<1, MAX_BLOB> = "ImportToken",
        /// The material, wrapped under GetParametersForImport's public key.
        encrypted_key_material: Blob<1, MAX_BLOB> = "EncryptedKeyMaterial",
        /// [default: KEY_MATERIAL_EXPIRES, which needs ValidTo].
        expiration_model: Option<ExpirationModel> = "ExpirationModel",
        /// When the material expires, at most 365 days ahead.
        valid_to: Option<Timestamp> = "ValidTo",
        /// Accepted: qkms keys have one material.
        import_type: Option<ImportType> = "ImportType",
        /// Accepted and not kept.
        key_material_description: Option<Str<0, 256>> = "KeyMaterialDescription",
        /// For a re-import: the fingerprint of the key's material.
        key_material_id: Option<Str<64, 64>> = "KeyMaterialId",
    }
}

/// The expiry `ValidTo` and `ExpirationModel` give, in whole seconds, checked against `now`.
fn expiry(
    model: Option<ExpirationModel>,
    valid_to: Option<Timestamp>,
    now: i64,
) -> Result<Option<i64>, AwsError> {
    let refused = |m: &str| Err(AwsError::new(Exception::Validation, m));
    // Absent means KEY_MATERIAL_EXPIRES, as AWS documents (so ValidTo is then required).
    match (model.unwrap_or(ExpirationModel::Expires), valid_to) {
        (ExpirationModel::Expires, None) => {
            refused("A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES")
        }
        (ExpirationModel::Expires, Some(Timestamp(t))) => {
            // Whole seconds, rounded up: the material is usable until the given instant.
            let secs = t.ceil();
            if secs <= now as f64 {
                return refused("ValidTo must be in the future.");
            }
            if secs > now.saturating_add(365 * 86_400) as f64 {
                return refused("ValidTo must be at most 365 days in the future.");
            }
            Ok(Some(secs as i64))
        }
        (ExpirationModel::DoesNotExpire, Some(_)) => refused(
            "ValidTo must not be set when the ExpirationModel is KEY_MATERIAL_DOES_NOT_EXPIRE",
        ),
        (ExpirationModel::DoesNotExpire, None) => Ok(None),
    }
}

/// ImportKeyMaterial (the seed page documents an empty answer).
///
/// # Errors
/// The exception to render.
pub fn import_key_material(
    req: ImportKeyMaterialRequest,
    kms: &Kms,
    scope: &Scope,
) -> Result<KeyMaterialResponse, AwsError> {
    let expire = expiry(req.expiration_model, req.valid_to, kms.now())?;
    let material_id = req.key_material_id.map(|m| m.0);
    if let Some(id) = &material_id {
        check_material_id(id)?;
    }
    let kind = match req.import_type {
        None => Kind::Auto,
        Some(ImportType::New) if material_id.is_some() => {
            return Err(AwsError::new(
                Exception::Validation,
                "KeyMaterialId cannot be specified when ImportType is NEW_KEY_MATERIAL.",
            ));
        }
        Some(ImportType::New) => Kind::New,
        Some(ImportType::Existing) => Kind::Existing,
    };
    let description = req.key_material_description.map(|d| d.0);
    // The product's page documents an empty answer, and a caller that does not use the
    // several-materials members gets exactly that; one that does gets the members the
    // 2025 model adds, to learn the material's ID.
    let multi = req.import_type.is_some() || material_id.is_some() || description.is_some();
    if let Some(d) = &description
        && !d
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ":/_.-".contains(c) || c.is_whitespace())
    {
        return Err(AwsError::new(
            Exception::Validation,
            "KeyMaterialDescription may hold only letters, digits, whitespace and :/_.-",
        ));
    }
    let token = B64.encode(&req.import_token.0);
    let options = ImportOptions {
        expire,
        material_id,
        description,
    };
    let (key, material_id) = kms
        .import_key_material(
            &req.key_id.key_ref(scope)?,
            &token,
            &req.encrypted_key_material.0,
            kind,
            &options,
        )
        .map_err(fail(&req.key_id, scope))?;
    Ok(KeyMaterialResponse {
        key_id: multi.then(|| scope.key_arn(&key.key_id)),
        key_material_id: multi.then_some(material_id),
    })
}

/// A `KeyMaterialId` as the model allows it: 64 lowercase hex characters.
fn check_material_id(id: &str) -> Result<(), AwsError> {
    if id.len() == 64 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        Ok(())
    } else {
        Err(AwsError::new(
            Exception::Validation,
            "KeyMaterialId must be 64 lowercase hexadecimal characters.",
        ))
    }
}

members! {
    /// DeleteImportedKeyMaterial's members.
    pub struct DeleteImportedKeyMaterialRequest {
        /// The EXTERNAL key.
        key_id: KeyOnly = "KeyId",
        /// Accepted: qkms keys have one material.
        key_material_id: Option<Str<64, 64>> = "KeyMaterialId",
    }
}

/// ImportKeyMaterial's and DeleteImportedKeyMaterial's answer.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct KeyMaterialResponse {
    /// The key ARN (ImportKeyMaterial: only when a several-materials member was sent).
    #[serde(rename = "KeyId", skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    /// The material's identifier (ImportKeyMaterial: as `KeyId`).
    #[serde(rename = "KeyMaterialId", skip_serializing_if = "Option::is_none")]
    pub key_material_id: Option<String>,
}

/// DeleteImportedKeyMaterial: the key goes back to PendingImport.
///
/// # Errors
/// The exception to render.
pub fn delete_imported_key_material(
    req: DeleteImportedKeyMaterialRequest,
    kms: &Kms,
    scope: &Scope,
) -> Result<KeyMaterialResponse, AwsError> {
    let key_ref = req.key_id.key_ref(scope)?;
    let before = kms
        .describe_key(&key_ref)
        .map_err(fail(&req.key_id, scope))?;
    let which = match req.key_material_id.map(|m| m.0) {
        None => MaterialSelector::Current,
        Some(id) => {
            check_material_id(&id)?;
            if before.version_of_material(&id).is_none() {
                return Err(AwsError::new(
                    Exception::NotFound,
                    format!(
                        "Key material {id} is not associated with {}.",
                        scope.key_arn(&before.key_id)
                    ),
                ));
            }
            MaterialSelector::Id(id)
        }
    };
    let material_id = match &which {
        MaterialSelector::Id(id) => Some(id.clone()),
        _ => before.material_id(before.primary_index()),
    };
    let key = kms
        .delete_key_material(&key_ref, &which)
        .map_err(fail(&req.key_id, scope))?;
    Ok(KeyMaterialResponse {
        key_id: Some(scope.key_arn(&key.key_id)),
        key_material_id: material_id,
    })
}

crate::protocol::family!($ import_actions {
    GetParametersForImport(import::GetParametersForImportRequest => import::GetParametersForImportResponse) = import::get_parameters_for_import,
        blocking, ["ImportToken"], "Gets a wrapping public key and an import token for an EXTERNAL key.";
    ImportKeyMaterial(import::ImportKeyMaterialRequest => import::KeyMaterialResponse) = import::import_key_material,
        blocking, ["EncryptedKeyMaterial", "ImportToken"], "Imports wrapped key material into an EXTERNAL key.";
    DeleteImportedKeyMaterial(import::DeleteImportedKeyMaterialRequest => import::KeyMaterialResponse) = import::delete_imported_key_material,
        blocking, [], "Deletes an EXTERNAL key's material; the key goes back to PendingImport.";
});
