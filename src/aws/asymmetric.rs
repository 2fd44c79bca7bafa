//! Key pairs and HMAC keys: Sign, Verify, GetPublicKey, GenerateDataKeyPair,
//! GenerateDataKeyPairWithoutPlaintext, GenerateMac, VerifyMac, DeriveSharedSecret,
//! Encapsulate, Decapsulate (botocore's KMS model, 2014-11-01).
//!
//! An AWS key has one key pair, its primary version's, so every call runs with the
//! primary (`version: None`). A failed check is an exception, as AWS answers it: Verify's
//! `KMSInvalidSignatureException`, VerifyMac's `KMSInvalidMacException`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use schemars::JsonSchema;
use serde::Serialize;

use super::crypto::{HotKey, dry_run_error, hot};
use super::error::{AwsError, Exception};
use super::keys::fail;
use super::members::{Blob, Bool, GrantTokens, Refused, StringMap, enum_member, members};
use super::wire::{
    self, Algorithms, AnyKey, MacAlgorithm, Scope, SigningAlgorithm, customer_master_key_spec,
    key_spec_name,
};
use crate::enums::closed_enum;
use crate::model::{self, KeySpec};
use crate::service::{Error, Kms, SignInput};

/// Largest message of Sign, Verify, GenerateMac and VerifyMac.
const MAX_MESSAGE: usize = 4096;
/// Largest signature, MAC or ciphertext blob.
const MAX_BLOB: usize = 6144;
/// Largest public key.
const MAX_PUBLIC_KEY: usize = 8192;

closed_enum! {
    /// `MessageType`.
    pub enum MessageType {
        /// A message, hashed by the algorithm (ML-DSA: signed whole).
        Raw = "RAW",
        /// A digest of the algorithm's hash, signed as it is.
        Digest = "DIGEST",
        /// ML-DSA's 64-byte representative mu (FIPS 204 section 6.2).
        ExternalMu = "EXTERNAL_MU",
    }
}
enum_member!(MessageType);

closed_enum! {
    /// `KeyPairSpec` (`DataKeyPairSpec`).
    pub enum DataKeyPairSpec {
        /// RSA 2048.
        Rsa2048 = "RSA_2048",
        /// RSA 3072.
        Rsa3072 = "RSA_3072",
        /// RSA 4096.
        Rsa4096 = "RSA_4096",
        /// P-256.
        EccNistP256 = "ECC_NIST_P256",
        /// P-384.
        EccNistP384 = "ECC_NIST_P384",
        /// P-521.
        EccNistP521 = "ECC_NIST_P521",
        /// secp256k1.
        EccSecgP256k1 = "ECC_SECG_P256K1",
        /// SM2.
        Sm2 = "SM2",
        /// Ed25519 (not in qkms).
        EccNistEdwards25519 = "ECC_NIST_EDWARDS25519",
        /// ML-KEM-512.
        MlKem512 = "ML_KEM_512",
        /// ML-KEM-768.
        MlKem768 = "ML_KEM_768",
        /// ML-KEM-1024.
        MlKem1024 = "ML_KEM_1024",
    }
}
enum_member!(DataKeyPairSpec);

impl DataKeyPairSpec {
    /// The core's spec; `None` for Ed25519. Every data key pair spec is the key spec of
    /// the same name, so the key spec's mapping is the one used.
    fn model(self) -> Option<KeySpec> {
        wire::KeySpec::parse(self.as_str()).and_then(wire::KeySpec::model)
    }
}

closed_enum! {
    /// `KeyAgreementAlgorithm`.
    pub enum KeyAgreementAlgorithm {
        /// Elliptic-curve Diffie-Hellman (the raw shared x-coordinate).
        Ecdh = "ECDH",
    }
}
enum_member!(KeyAgreementAlgorithm);

closed_enum! {
    /// `EncapsulationAlgorithm`.
    pub enum EncapsulationAlgorithm {
        /// ML-KEM (FIPS 203).
        MlKem = "ML_KEM",
    }
}
enum_member!(EncapsulationAlgorithm);

fn unsupported_ed25519(what: &str) -> AwsError {
    AwsError::new(
        Exception::UnsupportedOperation,
        format!("{what} is not supported by qkms: its core has no Ed25519 keys."),
    )
}

members! {
    /// Sign's members.
    pub struct SignRequest {
        /// A SIGN_VERIFY key.
        key_id: AnyKey = "KeyId",
        /// The message (RAW), its digest (DIGEST) or ML-DSA's mu (EXTERNAL_MU).
        message: Blob<1, MAX_MESSAGE> = "Message",
        /// [default: RAW].
        message_type: Option<MessageType> = "MessageType",
        /// One of the key's SigningAlgorithms.
        signing_algorithm: SigningAlgorithm = "SigningAlgorithm",
        /// 0 to 10 grant tokens: accepted, not enforced.
        grant_tokens: GrantTokens = "GrantTokens",
        /// Validate and run without answering the result.
        dry_run: Bool = "DryRun",
    }
}

impl HotKey for SignRequest {
    fn is_hot(&self, kms: &Kms) -> bool {
        hot(&self.key_id, kms)
    }
}

/// Sign's answer.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SignResponse {
    /// The ARN of the key that signed.
    #[serde(rename = "KeyId")]
    pub key_id: String,
    /// The signature, base64 (RSA: k bytes; ECDSA and SM2DSA: DER; ML-DSA: FIPS 204).
    #[serde(rename = "Signature")]
    pub signature: String,
    /// The algorithm.
    #[serde(rename = "SigningAlgorithm")]
    #[schemars(with = "SigningAlgorithm")]
    pub signing_algorithm: &'static str,
}

/// The core's algorithm and input of a Sign or Verify request.
fn sign_input(
    alg: SigningAlgorithm,
    message_type: Option<MessageType>,
    message: &[u8],
) -> Result<(model::SigningAlgorithm, SignInput<'_>), AwsError> {
    let model = alg
        .model()
        .ok_or_else(|| unsupported_ed25519(&format!("SigningAlgorithm {}", alg.as_str())))?;
    let input = match message_type.unwrap_or(MessageType::Raw) {
        MessageType::Raw => SignInput::Message(message),
        MessageType::Digest => SignInput::Digest(message),
        MessageType::ExternalMu => SignInput::ExternalMu(message),
    };
    Ok((model, input))
}

/// A domain error of Sign or Verify, with AWS's wording for a digest of the wrong length.
fn sign_fail(key: &AnyKey, scope: &Scope, alg: SigningAlgorithm) -> impl Fn(Error) -> AwsError {
    let arn = key.arn(scope);
    move |e| match e {
        Error::InvalidParameter { name: "Digest", .. } => AwsError::new(
            Exception::Validation,
            format!("Digest is invalid length for algorithm {}.", alg.as_str()),
        ),
        other => AwsError::from_service(other, &arn),
    }
}

/// Sign.
///
/// # Errors
/// The exception to render.
pub fn sign(req: SignRequest, kms: &Kms, scope: &Scope) -> Result<SignResponse, AwsError> {
    let (alg, input) = sign_input(req.signing_algorithm, req.message_type, &req.message.0)?;
    let out = kms
        .sign(&req.key_id.key_ref(scope)?, None, alg, input)
        .map_err(sign_fail(&req.key_id, scope, req.signing_algorithm))?;
    if req.dry_run.0 {
        return Err(dry_run_error());
    }
    Ok(SignResponse {
        key_id: scope.key_arn(&out.key_id),
        signature: B64.encode(&out.signature),
        signing_algorithm: req.signing_algorithm.as_str(),
    })
}

members! {
    /// Verify's members.
    pub struct VerifyRequest {
        /// A SIGN_VERIFY key.
        key_id: AnyKey = "KeyId",
        /// The message (RAW), its digest (DIGEST) or ML-DSA's mu (EXTERNAL_MU).
        message: Blob<1, MAX_MESSAGE> = "Message",
        /// [default: RAW].
        message_type: Option<MessageType> = "MessageType",
        /// The signature.
        signature: Blob<1, MAX_BLOB> = "Signature",
        /// The algorithm it was made with.
        signing_algorithm: SigningAlgorithm = "SigningAlgorithm",
        /// 0 to 10 grant tokens: accepted, not enforced.
        grant_tokens: GrantTokens = "GrantTokens",
        /// Validate and run without answering the result.
        dry_run: Bool = "DryRun",
    }
}

impl HotKey for VerifyRequest {
    fn is_hot(&self, kms: &Kms) -> bool {
        hot(&self.key_id, kms)
    }
}

/// Verify's answer (only for a valid signature: an invalid one is an exception).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct VerifyResponse {
    /// The ARN of the key that verified.
    #[serde(rename = "KeyId")]
    pub key_id: String,
    /// True.
    #[serde(rename = "SignatureValid")]
    pub signature_valid: bool,
    /// The algorithm.
    #[serde(rename = "SigningAlgorithm")]
    #[schemars(with = "SigningAlgorithm")]
    pub signing_algorithm: &'static str,
}

/// Verify.
///
/// # Errors
/// The exception to render; `KMSInvalidSignatureException` for a signature that is not
/// valid.
pub fn verify(req: VerifyRequest, kms: &Kms, scope: &Scope) -> Result<VerifyResponse, AwsError> {
    let (alg, input) = sign_input(req.signing_algorithm, req.message_type, &req.message.0)?;
    let out = kms
        .verify(
            &req.key_id.key_ref(scope)?,
            None,
            alg,
            input,
            &req.signature.0,
        )
        .map_err(sign_fail(&req.key_id, scope, req.signing_algorithm))?;
    if !out.valid {
        return Err(AwsError::new(
            Exception::KmsInvalidSignature,
            "The signature is not valid for this message, key and signing algorithm.",
        ));
    }
    if req.dry_run.0 {
        return Err(dry_run_error());
    }
    Ok(VerifyResponse {
        key_id: scope.key_arn(&out.key_id),
        signature_valid: true,
        signing_algorithm: req.signing_algorithm.as_str(),
    })
}

members! {
    /// GetPublicKey's members.
    pub struct GetPublicKeyRequest {
        /// A key pair.
        key_id: AnyKey = "KeyId",
        /// 0 to 10 grant tokens: accepted, not enforced.
        grant_tokens: GrantTokens = "GrantTokens",
    }
}

impl HotKey for GetPublicKeyRequest {
    fn is_hot(&self, kms: &Kms) -> bool {
        hot(&self.key_id, kms)
    }
}

/// GetPublicKey's answer.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct GetPublicKeyResponse {
    /// The key ARN.
    #[serde(rename = "KeyId")]
    pub key_id: String,
    /// DER SubjectPublicKeyInfo, base64.
    #[serde(rename = "PublicKey")]
    pub public_key: String,
    /// The deprecated name of `KeySpec` (absent for ML-DSA and ML-KEM).
    #[serde(
        rename = "CustomerMasterKeySpec",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "Option<wire::KeySpec>")]
    pub customer_master_key_spec: Option<&'static str>,
    /// The key's spec.
    #[serde(rename = "KeySpec")]
    #[schemars(with = "wire::KeySpec")]
    pub key_spec: &'static str,
    /// The key's usage.
    #[serde(rename = "KeyUsage")]
    #[schemars(with = "wire::KeyUsage")]
    pub key_usage: &'static str,
    /// The algorithms of its usage.
    #[serde(flatten)]
    pub algorithms: Algorithms,
}

/// GetPublicKey.
///
/// # Errors
/// The exception to render; `UnsupportedOperationException` for a symmetric or HMAC key,
/// which has no public key.
pub fn get_public_key(
    req: GetPublicKeyRequest,
    kms: &Kms,
    scope: &Scope,
) -> Result<GetPublicKeyResponse, AwsError> {
    let arn = req.key_id.arn(scope);
    let out = kms
        .public_key(&req.key_id.key_ref(scope)?, None)
        .map_err(|e| match e {
            Error::IncompatibleUsage(why) => {
                AwsError::new(Exception::UnsupportedOperation, format!("{arn}: {why}."))
            }
            other => AwsError::from_service(other, &arn),
        })?;
    let k = &out.record;
    Ok(GetPublicKeyResponse {
        key_id: scope.key_arn(&k.key_id),
        public_key: B64.encode(&out.spki_der),
        customer_master_key_spec: customer_master_key_spec(k.spec),
        key_spec: key_spec_name(k.spec),
        key_usage: wire::KeyUsage::of(k.usage).as_str(),
        algorithms: Algorithms::of(k.spec, k.usage),
    })
}

members! {
    /// GenerateDataKeyPair's members.
    pub struct GenerateDataKeyPairRequest {
        /// The symmetric key that encrypts the private key.
        key_id: AnyKey = "KeyId",
        /// The kind of pair.
        key_pair_spec: DataKeyPairSpec = "KeyPairSpec",
        /// Associated data that Decrypt of the private key must repeat.
        encryption_context: StringMap = "EncryptionContext",
        /// 0 to 10 grant tokens: accepted, not enforced.
        grant_tokens: GrantTokens = "GrantTokens",
        /// Refused: qkms has no Nitro Enclaves.
        recipient: Refused = "Recipient",
        /// Validate and run without answering the result.
        dry_run: Bool = "DryRun",
    }
}

/// GenerateDataKeyPair's and GenerateDataKeyPairWithoutPlaintext's answer.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct GenerateDataKeyPairResponse {
    /// The private key encrypted under the key (a ciphertext Decrypt takes), base64.
    #[serde(rename = "PrivateKeyCiphertextBlob")]
    pub private_key_ciphertext_blob: String,
    /// The private key, PKCS #8 DER, base64 (GenerateDataKeyPair only).
    #[serde(
        rename = "PrivateKeyPlaintext",
        skip_serializing_if = "Option::is_none"
    )]
    pub private_key_plaintext: Option<String>,
    /// The public key, DER SubjectPublicKeyInfo, base64.
    #[serde(rename = "PublicKey")]
    pub public_key: String,
    /// The ARN of the key that encrypted the private key.
    #[serde(rename = "KeyId")]
    pub key_id: String,
    /// The kind of pair.
    #[serde(rename = "KeyPairSpec")]
    #[schemars(with = "DataKeyPairSpec")]
    pub key_pair_spec: &'static str,
}

fn data_key_pair(
    req: GenerateDataKeyPairRequest,
    kms: &Kms,
    scope: &Scope,
    with_plaintext: bool,
) -> Result<GenerateDataKeyPairResponse, AwsError> {
    let spec = req.key_pair_spec.model().ok_or_else(|| {
        unsupported_ed25519(&format!("KeyPairSpec {}", req.key_pair_spec.as_str()))
    })?;
    if req.recipient.0 {
        return Err(AwsError::new(
            Exception::UnsupportedOperation,
            "Recipient (Nitro Enclaves attestation) is not supported by qkms.",
        ));
    }
    let out = kms
        .generate_data_key_pair(&req.key_id.key_ref(scope)?, spec, &req.encryption_context.0)
        .map_err(fail(&req.key_id, scope))?;
    if req.dry_run.0 {
        return Err(dry_run_error());
    }
    Ok(GenerateDataKeyPairResponse {
        private_key_ciphertext_blob: B64.encode(&out.encrypted.blob),
        private_key_plaintext: with_plaintext.then(|| B64.encode(out.private_pkcs8.expose())),
        public_key: B64.encode(&out.public_spki),
        key_id: scope.key_arn(&out.encrypted.key_id),
        key_pair_spec: req.key_pair_spec.as_str(),
    })
}

/// GenerateDataKeyPair.
///
/// # Errors
/// The exception to render.
pub fn generate_data_key_pair(
    req: GenerateDataKeyPairRequest,
    kms: &Kms,
    scope: &Scope,
) -> Result<GenerateDataKeyPairResponse, AwsError> {
    data_key_pair(req, kms, scope, true)
}

members! {
    /// GenerateDataKeyPairWithoutPlaintext's members.
    pub struct GenerateDataKeyPairWithoutPlaintextRequest {
        /// The symmetric key that encrypts the private key.
        key_id: AnyKey = "KeyId",
        /// The kind of pair.
        key_pair_spec: DataKeyPairSpec = "KeyPairSpec",
        /// Associated data that Decrypt of the private key must repeat.
        encryption_context: StringMap = "EncryptionContext",
        /// 0 to 10 grant tokens: accepted, not enforced.
        grant_tokens: GrantTokens = "GrantTokens",
        /// Validate and run without answering the result.
        dry_run: Bool = "DryRun",
    }
}

/// GenerateDataKeyPairWithoutPlaintext.
///
/// # Errors
/// The exception to render.
pub fn generate_data_key_pair_without_plaintext(
    req: GenerateDataKeyPairWithoutPlaintextRequest,
    kms: &Kms,
    scope: &Scope,
) -> Result<GenerateDataKeyPairResponse, AwsError> {
    let req = GenerateDataKeyPairRequest {
        key_id: req.key_id,
        key_pair_spec: req.key_pair_spec,
        encryption_context: req.encryption_context,
        grant_tokens: req.grant_tokens,
        recipient: Refused(false),
        dry_run: req.dry_run,
    };
    data_key_pair(req, kms, scope, false)
}

members! {
    /// GenerateMac's members.
    pub struct GenerateMacRequest {
        /// 1 to 4096 bytes.
        message: Blob<1, MAX_MESSAGE> = "Message",
        /// A GENERATE_VERIFY_MAC key.
        key_id: AnyKey = "KeyId",
        /// The key's MAC algorithm.
        mac_algorithm: MacAlgorithm = "MacAlgorithm",
        /// 0 to 10 grant tokens: accepted, not enforced.
        grant_tokens: GrantTokens = "GrantTokens",
        /// Validate and run without answering the result.
        dry_run: Bool = "DryRun",
    }
}

impl HotKey for GenerateMacRequest {
    fn is_hot(&self, kms: &Kms) -> bool {
        hot(&self.key_id, kms)
    }
}

/// GenerateMac's answer.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct GenerateMacResponse {
    /// The MAC, base64.
    #[serde(rename = "Mac")]
    pub mac: String,
    /// The algorithm.
    #[serde(rename = "MacAlgorithm")]
    #[schemars(with = "MacAlgorithm")]
    pub mac_algorithm: &'static str,
    /// The key ARN.
    #[serde(rename = "KeyId")]
    pub key_id: String,
}

/// GenerateMac.
///
/// # Errors
/// The exception to render.
pub fn generate_mac(
    req: GenerateMacRequest,
    kms: &Kms,
    scope: &Scope,
) -> Result<GenerateMacResponse, AwsError> {
    let out = kms
        .generate_mac(
            &req.key_id.key_ref(scope)?,
            req.mac_algorithm.model(),
            &req.message.0,
        )
        .map_err(fail(&req.key_id, scope))?;
    if req.dry_run.0 {
        return Err(dry_run_error());
    }
    Ok(GenerateMacResponse {
        mac: B64.encode(&out.mac),
        mac_algorithm: req.mac_algorithm.as_str(),
        key_id: scope.key_arn(&out.key_id),
    })
}

members! {
    /// VerifyMac's members.
    pub struct VerifyMacRequest {
        /// 1 to 4096 bytes.
        message: Blob<1, MAX_MESSAGE> = "Message",
        /// A GENERATE_VERIFY_MAC key.
        key_id: AnyKey = "KeyId",
        /// The key's MAC algorithm.
        mac_algorithm: MacAlgorithm = "MacAlgorithm",
        /// The MAC to check.
        mac: Blob<1, MAX_BLOB> = "Mac",
        /// 0 to 10 grant tokens: accepted, not enforced.
        grant_tokens: GrantTokens = "GrantTokens",
        /// Validate and run without answering the result.
        dry_run: Bool = "DryRun",
    }
}

impl HotKey for VerifyMacRequest {
    fn is_hot(&self, kms: &Kms) -> bool {
        hot(&self.key_id, kms)
    }
}

/// VerifyMac's answer (only for a valid MAC: an invalid one is an exception).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct VerifyMacResponse {
    /// The key ARN.
    #[serde(rename = "KeyId")]
    pub key_id: String,
    /// True.
    #[serde(rename = "MacValid")]
    pub mac_valid: bool,
    /// The algorithm.
    #[serde(rename = "MacAlgorithm")]
    #[schemars(with = "MacAlgorithm")]
    pub mac_algorithm: &'static str,
}

/// VerifyMac.
///
/// # Errors
/// The exception to render; `KMSInvalidMacException` for a MAC that is not valid.
pub fn verify_mac(
    req: VerifyMacRequest,
    kms: &Kms,
    scope: &Scope,
) -> Result<VerifyMacResponse, AwsError> {
    let out = kms
        .verify_mac(
            &req.key_id.key_ref(scope)?,
            req.mac_algorithm.model(),
            &req.message.0,
            &req.mac.0,
        )
        .map_err(fail(&req.key_id, scope))?;
    if !out.valid {
        return Err(AwsError::new(
            Exception::KmsInvalidMac,
            "The MAC is not valid for this message, key and MAC algorithm.",
        ));
    }
    if req.dry_run.0 {
        return Err(dry_run_error());
    }
    Ok(VerifyMacResponse {
        key_id: scope.key_arn(&out.key_id),
        mac_valid: true,
        mac_algorithm: req.mac_algorithm.as_str(),
    })
}

members! {
    /// DeriveSharedSecret's members.
    pub struct DeriveSharedSecretRequest {
        /// A KEY_AGREEMENT key.
        key_id: AnyKey = "KeyId",
        /// `ECDH`.
        key_agreement_algorithm: KeyAgreementAlgorithm = "KeyAgreementAlgorithm",
        /// The peer's public key, DER SubjectPublicKeyInfo on the key's curve.
        public_key: Blob<1, MAX_PUBLIC_KEY> = "PublicKey",
        /// 0 to 10 grant tokens: accepted, not enforced.
        grant_tokens: GrantTokens = "GrantTokens",
        /// Validate and run without answering the result.
        dry_run: Bool = "DryRun",
        /// Refused: qkms has no Nitro Enclaves.
        recipient: Refused = "Recipient",
    }
}

/// DeriveSharedSecret's answer.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct DeriveSharedSecretResponse {
    /// The key ARN.
    #[serde(rename = "KeyId")]
    pub key_id: String,
    /// The shared secret (the x-coordinate of the shared point), base64.
    #[serde(rename = "SharedSecret")]
    pub shared_secret: String,
    /// `ECDH`.
    #[serde(rename = "KeyAgreementAlgorithm")]
    #[schemars(with = "KeyAgreementAlgorithm")]
    pub key_agreement_algorithm: &'static str,
    /// The key's origin.
    #[serde(rename = "KeyOrigin")]
    #[schemars(with = "wire::Origin")]
    pub key_origin: &'static str,
}

/// DeriveSharedSecret.
///
/// # Errors
/// The exception to render; `ValidationException` for a public key that is not a point
/// of the key's curve.
pub fn derive_shared_secret(
    req: DeriveSharedSecretRequest,
    kms: &Kms,
    scope: &Scope,
) -> Result<DeriveSharedSecretResponse, AwsError> {
    if req.recipient.0 {
        return Err(AwsError::new(
            Exception::UnsupportedOperation,
            "Recipient (Nitro Enclaves attestation) is not supported by qkms.",
        ));
    }
    let key_ref = req.key_id.key_ref(scope)?;
    let out = kms
        .derive_shared_secret(&key_ref, &req.public_key.0)
        .map_err(fail(&req.key_id, scope))?;
    let origin = kms
        .describe_key(&key_ref)
        .map_err(fail(&req.key_id, scope))?
        .origin;
    if req.dry_run.0 {
        return Err(dry_run_error());
    }
    Ok(DeriveSharedSecretResponse {
        key_id: scope.key_arn(&out.key_id),
        shared_secret: B64.encode(out.secret.expose()),
        key_agreement_algorithm: req.key_agreement_algorithm.as_str(),
        key_origin: wire::Origin::of(origin).as_str(),
    })
}

members! {
    /// Encapsulate's members.
    pub struct EncapsulateRequest {
        /// An ENCAPSULATE_DECAPSULATE (ML-KEM) key.
        key_id: AnyKey = "KeyId",
        /// `ML_KEM`.
        encapsulation_algorithm: EncapsulationAlgorithm = "EncapsulationAlgorithm",
        /// 0 to 10 grant tokens: accepted, not enforced.
        grant_tokens: GrantTokens = "GrantTokens",
        /// Validate and run without answering the result.
        dry_run: Bool = "DryRun",
    }
}

/// Encapsulate's answer.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct EncapsulateResponse {
    /// The key ARN.
    #[serde(rename = "KeyId")]
    pub key_id: String,
    /// The shared secret (32 bytes), base64.
    #[serde(rename = "SharedSecret")]
    pub shared_secret: String,
    /// The ML-KEM ciphertext that Decapsulate takes, base64.
    #[serde(rename = "SharedSecretCiphertextBlob")]
    pub shared_secret_ciphertext_blob: String,
    /// `ML_KEM`.
    #[serde(rename = "EncapsulationAlgorithm")]
    #[schemars(with = "EncapsulationAlgorithm")]
    pub encapsulation_algorithm: &'static str,
}

/// Encapsulate.
///
/// # Errors
/// The exception to render.
pub fn encapsulate(
    req: EncapsulateRequest,
    kms: &Kms,
    scope: &Scope,
) -> Result<EncapsulateResponse, AwsError> {
    let out = kms
        .encapsulate(&req.key_id.key_ref(scope)?)
        .map_err(fail(&req.key_id, scope))?;
    if req.dry_run.0 {
        return Err(dry_run_error());
    }
    Ok(EncapsulateResponse {
        key_id: scope.key_arn(&out.key_id),
        shared_secret: B64.encode(out.secret.expose()),
        shared_secret_ciphertext_blob: B64.encode(&out.ciphertext),
        encapsulation_algorithm: req.encapsulation_algorithm.as_str(),
    })
}

members! {
    /// Decapsulate's members.
    pub struct DecapsulateRequest {
        /// The ML-KEM key.
        key_id: AnyKey = "KeyId",
        /// Encapsulate's (or a local encapsulation's) ciphertext.
        shared_secret_ciphertext_blob: Blob<1, MAX_BLOB> = "SharedSecretCiphertextBlob",
        /// `ML_KEM`.
        encapsulation_algorithm: EncapsulationAlgorithm = "EncapsulationAlgorithm",
        /// 0 to 10 grant tokens: accepted, not enforced.
        grant_tokens: GrantTokens = "GrantTokens",
        /// Validate and run without answering the result.
        dry_run: Bool = "DryRun",
    }
}

/// Decapsulate's answer.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct DecapsulateResponse {
    /// The key ARN.
    #[serde(rename = "KeyId")]
    pub key_id: String,
    /// The shared secret, base64.
    #[serde(rename = "SharedSecret")]
    pub shared_secret: String,
    /// `ML_KEM`.
    #[serde(rename = "EncapsulationAlgorithm")]
    #[schemars(with = "EncapsulationAlgorithm")]
    pub encapsulation_algorithm: &'static str,
}

/// Decapsulate.
///
/// # Errors
/// The exception to render; `InvalidCiphertextException` for a ciphertext of the wrong
/// length.
pub fn decapsulate(
    req: DecapsulateRequest,
    kms: &Kms,
    scope: &Scope,
) -> Result<DecapsulateResponse, AwsError> {
    let arn = req.key_id.arn(scope);
    let out = kms
        .decapsulate(
            &req.key_id.key_ref(scope)?,
            &req.shared_secret_ciphertext_blob.0,
        )
        .map_err(|e| match e {
            Error::InvalidCiphertext => AwsError::new(
                Exception::InvalidCiphertext,
                format!("The ciphertext is not an ML-KEM ciphertext of {arn}'s parameter set."),
            ),
            other => AwsError::from_service(other, &arn),
        })?;
    if req.dry_run.0 {
        return Err(dry_run_error());
    }
    Ok(DecapsulateResponse {
        key_id: scope.key_arn(&out.key_id),
        shared_secret: B64.encode(out.secret.expose()),
        encapsulation_algorithm: req.encapsulation_algorithm.as_str(),
    })
}

crate::protocol::family!($ asymmetric_actions {
    Sign(asymmetric::SignRequest => asymmetric::SignResponse) = asymmetric::sign,
        hot, [], "Signs a message or digest with a SIGN_VERIFY key pair.";
    Verify(asymmetric::VerifyRequest => asymmetric::VerifyResponse) = asymmetric::verify,
        hot, [], "Verifies a signature with a SIGN_VERIFY key pair (an invalid one is KMSInvalidSignatureException).";
    GetPublicKey(asymmetric::GetPublicKeyRequest => asymmetric::GetPublicKeyResponse) = asymmetric::get_public_key,
        hot, [], "Returns a key pair's public key (DER SubjectPublicKeyInfo) with its spec, usage and algorithms.";
    GenerateDataKeyPair(asymmetric::GenerateDataKeyPairRequest => asymmetric::GenerateDataKeyPairResponse) = asymmetric::generate_data_key_pair,
        blocking, ["PrivateKeyPlaintext"], "Generates a key pair whose private key is returned in the clear and encrypted under a symmetric key.";
    GenerateDataKeyPairWithoutPlaintext(asymmetric::GenerateDataKeyPairWithoutPlaintextRequest => asymmetric::GenerateDataKeyPairResponse) = asymmetric::generate_data_key_pair_without_plaintext,
        blocking, [], "Generates a key pair whose private key is returned only encrypted under a symmetric key.";
    GenerateMac(asymmetric::GenerateMacRequest => asymmetric::GenerateMacResponse) = asymmetric::generate_mac,
        hot, [], "Computes an HMAC with a GENERATE_VERIFY_MAC key.";
    VerifyMac(asymmetric::VerifyMacRequest => asymmetric::VerifyMacResponse) = asymmetric::verify_mac,
        hot, [], "Verifies an HMAC (an invalid one is KMSInvalidMacException).";
    DeriveSharedSecret(asymmetric::DeriveSharedSecretRequest => asymmetric::DeriveSharedSecretResponse) = asymmetric::derive_shared_secret,
        blocking, ["SharedSecret"], "Derives an ECDH shared secret from a KEY_AGREEMENT key and a peer's public key.";
    Encapsulate(asymmetric::EncapsulateRequest => asymmetric::EncapsulateResponse) = asymmetric::encapsulate,
        blocking, ["SharedSecret"], "Encapsulates a fresh shared secret to an ML-KEM key.";
    Decapsulate(asymmetric::DecapsulateRequest => asymmetric::DecapsulateResponse) = asymmetric::decapsulate,
        blocking, ["SharedSecret"], "Recovers an ML-KEM shared secret from its ciphertext.";
});
