//! Key pairs and HMAC keys: AsymmetricSign, AsymmetricVerify, AsymmetricEncrypt,
//! AsymmetricDecrypt, GetPublicKey, GenerateMac, VerifyMac.
//!
//! The semantics are the crypto sheet's (`aliyun-kms-crypto.md`): `Digest` is the
//! caller's 32-byte hash, never hashed again (for SM2DSA, `e = SM3(Z_A ‖ M)` with the
//! default ID); signatures are RSA raw k bytes, ECDSA and SM2 DER; ciphertexts are
//! standard, with no qkms header (RSA-OAEP k bytes; SM2PKE raw `04 ‖ C1 ‖ C3 ‖ C2` out,
//! DER and both raw orders, tagged or not, in). Asymmetric keys have no primary version,
//! so every call but the MAC ones names its `KeyVersionId`.
//!
//! The service documents no error code for a wrong algorithm, a wrong usage, a Digest of
//! another length or an oversize input: each is `InvalidParameter` (the sheet's choice).
//! A well-formed signature or MAC that does not verify is `Value: false`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use schemars::JsonSchema;
use serde::Serialize;

use super::crypto::{HotKey, dry_run_error, hot_key_id};
use super::error::AliyunError;
use super::fields::{Base64, Flag, enum_field, params};
use super::wire;
use crate::enums::{closed_enum, same_variants};
use crate::model;
use crate::service::{Kms, SignInput};

closed_enum! {
    /// The signing algorithms of the Aliyun API.
    pub enum SignAlgorithm {
        /// RSASSA-PSS, SHA-256, MGF1-SHA-256, salt 32 (RSA_2048, RSA_3072).
        RsaPssSha256 = "RSA_PSS_SHA_256",
        /// RSASSA-PKCS1-v1_5 with SHA-256 (RSA_2048, RSA_3072).
        RsaPkcs1Sha256 = "RSA_PKCS1_SHA_256",
        /// ECDSA over a SHA-256 digest, DER (EC_P256, EC_P256K).
        EcdsaSha256 = "ECDSA_SHA_256",
        /// SM2 signature over `e = SM3(Z_A ‖ M)`, DER (EC_SM2).
        Sm2Dsa = "SM2DSA",
    }
}
enum_field!(SignAlgorithm);

impl From<SignAlgorithm> for model::SigningAlgorithm {
    fn from(a: SignAlgorithm) -> Self {
        match a {
            SignAlgorithm::RsaPssSha256 => Self::RsaPssSha256,
            SignAlgorithm::RsaPkcs1Sha256 => Self::RsaPkcs1Sha256,
            SignAlgorithm::EcdsaSha256 => Self::EcdsaSha256,
            SignAlgorithm::Sm2Dsa => Self::Sm2Dsa,
        }
    }
}

closed_enum! {
    /// The public-key encryption algorithms of the Aliyun API.
    pub enum EncryptAlgorithm {
        /// RSAES-OAEP, SHA-256 and MGF1-SHA-256, empty label.
        RsaOaepSha256 = "RSAES_OAEP_SHA_256",
        /// RSAES-OAEP, SHA-1 and MGF1-SHA-1, empty label.
        RsaOaepSha1 = "RSAES_OAEP_SHA_1",
        /// SM2 public-key encryption (GB/T 32918.4).
        Sm2Pke = "SM2PKE",
    }
}
enum_field!(EncryptAlgorithm);
same_variants!(EncryptAlgorithm <=> model::AsymmetricAlgorithm { RsaOaepSha256, RsaOaepSha1, Sm2Pke });

closed_enum! {
    /// The MAC algorithms of the Aliyun API; each goes with the HMAC key spec of its name.
    pub enum MacAlgorithm {
        /// HMAC-SHA-224 (28 bytes).
        HmacSha224 = "HMAC_SHA_224",
        /// HMAC-SHA-256 (32 bytes).
        HmacSha256 = "HMAC_SHA_256",
        /// HMAC-SHA-384 (48 bytes).
        HmacSha384 = "HMAC_SHA_384",
        /// HMAC-SHA-512 (64 bytes).
        HmacSha512 = "HMAC_SHA_512",
        /// HMAC-SM3 (32 bytes).
        HmacSm3 = "HMAC_SM3",
    }
}
enum_field!(MacAlgorithm);
same_variants!(MacAlgorithm <=> model::MacAlgorithm {
    HmacSha224, HmacSha256, HmacSha384, HmacSha512, HmacSm3
});

params! {
    /// AsymmetricSign's parameters.
    pub struct AsymmetricSignRequest {
        /// The SIGN/VERIFY key: an ID, an ARN or an alias.
        key_id: String = "KeyId",
        /// The version that signs (asymmetric keys have no primary version).
        key_version_id: String = "KeyVersionId",
        /// The algorithm, one of the key spec's.
        algorithm: SignAlgorithm = "Algorithm",
        /// Base64 of the 32-byte digest the caller computed (SM2DSA: SM3(Z_A ‖ M)).
        digest: Base64 = "Digest",
        /// Validate and run without answering the result.
        dry_run: Flag = "DryRun",
    }
}

/// AsymmetricSign's answer.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct AsymmetricSignResponse {
    /// The key that signed.
    pub key_id: String,
    /// Its version.
    pub key_version_id: String,
    /// The signature, base64 (RSA: k bytes; ECDSA and SM2DSA: DER).
    pub value: String,
}

/// AsymmetricSign.
///
/// # Errors
/// The Aliyun error to render.
pub fn asymmetric_sign(
    req: AsymmetricSignRequest,
    kms: &Kms,
) -> Result<AsymmetricSignResponse, AliyunError> {
    let key = wire::key_ref(&req.key_id, kms.scope())?;
    let out = kms.sign(
        &key,
        Some(&req.key_version_id),
        req.algorithm.into(),
        SignInput::Digest(&req.digest.0),
    )?;
    if req.dry_run.0 {
        return Err(dry_run_error());
    }
    Ok(AsymmetricSignResponse {
        key_id: out.key_id,
        key_version_id: out.key_version_id,
        value: B64.encode(&out.signature),
    })
}

params! {
    /// AsymmetricVerify's parameters.
    pub struct AsymmetricVerifyRequest {
        /// The SIGN/VERIFY key: an ID, an ARN or an alias.
        key_id: String = "KeyId",
        /// The version whose public key verifies.
        key_version_id: String = "KeyVersionId",
        /// The algorithm the signature was made with.
        algorithm: SignAlgorithm = "Algorithm",
        /// Base64 of the 32-byte digest that was signed.
        digest: Base64 = "Digest",
        /// The signature, base64 (RSA: k bytes; ECDSA and SM2DSA: DER; high-S accepted).
        value: Base64 = "Value",
        /// Validate and run without answering the result.
        dry_run: Flag = "DryRun",
    }
}

/// AsymmetricVerify's answer.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct AsymmetricVerifyResponse {
    /// The key that verified.
    pub key_id: String,
    /// Its version.
    pub key_version_id: String,
    /// Whether the signature is valid.
    pub value: bool,
}

/// AsymmetricVerify: a signature that does not verify (or does not decode) is `false`.
///
/// # Errors
/// The Aliyun error to render.
pub fn asymmetric_verify(
    req: AsymmetricVerifyRequest,
    kms: &Kms,
) -> Result<AsymmetricVerifyResponse, AliyunError> {
    let key = wire::key_ref(&req.key_id, kms.scope())?;
    let out = kms.verify(
        &key,
        Some(&req.key_version_id),
        req.algorithm.into(),
        SignInput::Digest(&req.digest.0),
        &req.value.0,
    )?;
    if req.dry_run.0 {
        return Err(dry_run_error());
    }
    Ok(AsymmetricVerifyResponse {
        key_id: out.key_id,
        key_version_id: out.key_version_id,
        value: out.valid,
    })
}

params! {
    /// AsymmetricEncrypt's parameters.
    pub struct AsymmetricEncryptRequest {
        /// The ENCRYPT/DECRYPT key pair: an ID, an ARN or an alias.
        key_id: String = "KeyId",
        /// The version whose public key encrypts.
        key_version_id: String = "KeyVersionId",
        /// The algorithm, one of the key spec's.
        algorithm: EncryptAlgorithm = "Algorithm",
        /// Base64 of at most 190 (RSA_2048, OAEP SHA-256), 214 (SHA-1), 318 / 342
        /// (RSA_3072) or 6047 (SM2PKE) bytes.
        plaintext: Base64 = "Plaintext",
        /// Validate and run without answering the result.
        dry_run: Flag = "DryRun",
    }
}

/// AsymmetricEncrypt's answer.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct AsymmetricEncryptResponse {
    /// The ciphertext, base64 (RSA: k bytes; SM2PKE: raw `04 ‖ C1 ‖ C3 ‖ C2`).
    pub ciphertext_blob: String,
    /// The key that encrypted.
    pub key_id: String,
    /// Its version.
    pub key_version_id: String,
}

/// AsymmetricEncrypt.
///
/// # Errors
/// The Aliyun error to render.
pub fn asymmetric_encrypt(
    req: AsymmetricEncryptRequest,
    kms: &Kms,
) -> Result<AsymmetricEncryptResponse, AliyunError> {
    let plaintext = zeroize::Zeroizing::new(req.plaintext.0);
    let key = wire::key_ref(&req.key_id, kms.scope())?;
    let out = kms.asymmetric_encrypt(
        &key,
        Some(&req.key_version_id),
        req.algorithm.into(),
        &plaintext,
    )?;
    if req.dry_run.0 {
        return Err(dry_run_error());
    }
    Ok(AsymmetricEncryptResponse {
        ciphertext_blob: B64.encode(&out.blob),
        key_id: out.key_id,
        key_version_id: out.key_version_id,
    })
}

params! {
    /// AsymmetricDecrypt's parameters.
    pub struct AsymmetricDecryptRequest {
        /// The ENCRYPT/DECRYPT key pair: an ID, an ARN or an alias.
        key_id: String = "KeyId",
        /// The version whose private key decrypts (nothing in the ciphertext names it).
        key_version_id: String = "KeyVersionId",
        /// The algorithm the ciphertext was made with.
        algorithm: EncryptAlgorithm = "Algorithm",
        /// The ciphertext, base64: RSA k bytes; SM2PKE at most 6144 bytes, as DER
        /// (GM/T 0009) or raw C1C3C2 / C1C2C3, with or without the `04` tag.
        ciphertext_blob: Base64 = "CiphertextBlob",
        /// Validate and run without answering the result.
        dry_run: Flag = "DryRun",
    }
}

/// AsymmetricDecrypt's answer.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct AsymmetricDecryptResponse {
    /// The plaintext, base64.
    pub plaintext: String,
    /// The key that decrypted.
    pub key_id: String,
    /// Its version.
    pub key_version_id: String,
}

/// AsymmetricDecrypt.
///
/// # Errors
/// The Aliyun error to render.
pub fn asymmetric_decrypt(
    req: AsymmetricDecryptRequest,
    kms: &Kms,
) -> Result<AsymmetricDecryptResponse, AliyunError> {
    let key = wire::key_ref(&req.key_id, kms.scope())?;
    let out = kms.asymmetric_decrypt(
        &key,
        Some(&req.key_version_id),
        req.algorithm.into(),
        &req.ciphertext_blob.0,
    )?;
    if req.dry_run.0 {
        return Err(dry_run_error());
    }
    Ok(AsymmetricDecryptResponse {
        plaintext: B64.encode(out.plaintext.expose()),
        key_id: out.key_id,
        key_version_id: out.key_version_id,
    })
}

params! {
    /// GetPublicKey's parameters.
    pub struct GetPublicKeyRequest {
        /// The key pair: an ID, an ARN or an alias.
        key_id: String = "KeyId",
        /// The version whose public key to return.
        key_version_id: String = "KeyVersionId",
        /// Validate and run without answering the result.
        dry_run: Flag = "DryRun",
    }
}

/// GetPublicKey's answer.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct GetPublicKeyResponse {
    /// The key.
    pub key_id: String,
    /// The version.
    pub key_version_id: String,
    /// PEM SubjectPublicKeyInfo: `-----BEGIN PUBLIC KEY-----`, 64-character lines, `\n`
    /// line ends, a trailing `\n`.
    pub public_key: String,
}

/// GetPublicKey.
///
/// # Errors
/// The Aliyun error to render.
pub fn get_public_key(
    req: GetPublicKeyRequest,
    kms: &Kms,
) -> Result<GetPublicKeyResponse, AliyunError> {
    let key = wire::key_ref(&req.key_id, kms.scope())?;
    let out = kms.public_key(&key, Some(&req.key_version_id))?;
    if req.dry_run.0 {
        return Err(dry_run_error());
    }
    Ok(GetPublicKeyResponse {
        key_id: out.record.key_id,
        key_version_id: out.key_version_id,
        public_key: crate::crypto::asym::pem(&out.spki_der),
    })
}

params! {
    /// GenerateMac's parameters.
    pub struct GenerateMacRequest {
        /// The GENERATE/VERIFY_MAC key: an ID, an ARN or an alias.
        key_id: String = "KeyId",
        /// The algorithm: the one of the key's spec.
        algorithm: MacAlgorithm = "Algorithm",
        /// Base64 of 1 to 4096 bytes.
        message: Base64 = "Message",
        /// Validate and run without answering the result.
        dry_run: Flag = "DryRun",
    }
}

impl HotKey for GenerateMacRequest {
    fn is_hot(&self, kms: &Kms) -> bool {
        hot_key_id(&self.key_id, kms)
    }
}

/// GenerateMac's answer.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct GenerateMacResponse {
    /// The algorithm.
    #[schemars(with = "MacAlgorithm")]
    pub algorithm: &'static str,
    /// The key.
    pub key_id: String,
    /// The MAC, base64.
    pub mac: String,
}

/// GenerateMac.
///
/// # Errors
/// The Aliyun error to render.
pub fn generate_mac(
    req: GenerateMacRequest,
    kms: &Kms,
) -> Result<GenerateMacResponse, AliyunError> {
    let key = wire::key_ref(&req.key_id, kms.scope())?;
    let out = kms.generate_mac(&key, req.algorithm.into(), &req.message.0)?;
    if req.dry_run.0 {
        return Err(dry_run_error());
    }
    Ok(GenerateMacResponse {
        algorithm: req.algorithm.as_str(),
        key_id: out.key_id,
        mac: B64.encode(&out.mac),
    })
}

params! {
    /// VerifyMac's parameters.
    pub struct VerifyMacRequest {
        /// The GENERATE/VERIFY_MAC key: an ID, an ARN or an alias.
        key_id: String = "KeyId",
        /// The algorithm the MAC was made with.
        algorithm: MacAlgorithm = "Algorithm",
        /// Base64 of the message, 1 to 4096 bytes.
        message: Base64 = "Message",
        /// The MAC to check, base64.
        mac: Base64 = "Mac",
        /// Validate and run without answering the result.
        dry_run: Flag = "DryRun",
    }
}

impl HotKey for VerifyMacRequest {
    fn is_hot(&self, kms: &Kms) -> bool {
        hot_key_id(&self.key_id, kms)
    }
}

/// VerifyMac's answer.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct VerifyMacResponse {
    /// The algorithm.
    #[schemars(with = "MacAlgorithm")]
    pub algorithm: &'static str,
    /// The key.
    pub key_id: String,
    /// Whether the MAC is valid (compared in constant time).
    pub value: bool,
}

/// VerifyMac.
///
/// # Errors
/// The Aliyun error to render.
pub fn verify_mac(req: VerifyMacRequest, kms: &Kms) -> Result<VerifyMacResponse, AliyunError> {
    let key = wire::key_ref(&req.key_id, kms.scope())?;
    let out = kms.verify_mac(&key, req.algorithm.into(), &req.message.0, &req.mac.0)?;
    if req.dry_run.0 {
        return Err(dry_run_error());
    }
    Ok(VerifyMacResponse {
        algorithm: req.algorithm.as_str(),
        key_id: out.key_id,
        value: out.valid,
    })
}

crate::protocol::family!($ asymmetric_actions {
    AsymmetricSign(asymmetric::AsymmetricSignRequest => asymmetric::AsymmetricSignResponse) = asymmetric::asymmetric_sign,
        blocking, [], "Signs a caller's 32-byte digest with a key pair's version.";
    AsymmetricVerify(asymmetric::AsymmetricVerifyRequest => asymmetric::AsymmetricVerifyResponse) = asymmetric::asymmetric_verify,
        blocking, [], "Verifies a signature of a digest with a key pair's version.";
    AsymmetricEncrypt(asymmetric::AsymmetricEncryptRequest => asymmetric::AsymmetricEncryptResponse) = asymmetric::asymmetric_encrypt,
        blocking, ["Plaintext"], "Encrypts with a key pair version's public key (RSA-OAEP or SM2PKE).";
    AsymmetricDecrypt(asymmetric::AsymmetricDecryptRequest => asymmetric::AsymmetricDecryptResponse) = asymmetric::asymmetric_decrypt,
        blocking, ["Plaintext"], "Decrypts a standard RSA-OAEP or SM2PKE ciphertext with a key pair's version.";
    GetPublicKey(asymmetric::GetPublicKeyRequest => asymmetric::GetPublicKeyResponse) = asymmetric::get_public_key,
        blocking, [], "Returns a key pair version's public key, PEM.";
    GenerateMac(asymmetric::GenerateMacRequest => asymmetric::GenerateMacResponse) = asymmetric::generate_mac,
        hot, [], "Computes an HMAC of a message with an HMAC key.";
    VerifyMac(asymmetric::VerifyMacRequest => asymmetric::VerifyMacResponse) = asymmetric::verify_mac,
        hot, [], "Checks an HMAC of a message with an HMAC key.";
});
