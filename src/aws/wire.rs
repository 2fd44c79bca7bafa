//! What the AWS wire calls things: the enums of the TrentService model (in botocore's
//! order, which its validation messages list), the `arn:aws:kms:` grammar (parsed into a
//! neutral [`KeyRef`] and rendered back), and `KeyMetadata`.

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::Serialize;
use serde_json::Value;

use super::error::{AwsError, Exception};
use super::members::{Read, Str, enum_member};
use crate::enums::{closed_enum, enum_schema, same_variants};
use crate::model::{self, KeyRecord, KeyRef, Origin as ModelOrigin};

/// Where ARNs point: the region of the request's signature and the configured account.
#[derive(Debug, Clone)]
pub struct Scope {
    /// Region of the signing scope.
    pub region: String,
    /// Account in ARNs.
    pub account: String,
}

impl Scope {
    /// `arn:aws:kms:<region>:<account>:key/<id>`.
    #[must_use]
    pub fn key_arn(&self, key_id: &str) -> String {
        format!("arn:aws:kms:{}:{}:key/{key_id}", self.region, self.account)
    }

    /// `arn:aws:kms:<region>:<account>:alias/<name>` (`alias_name` includes `alias/`).
    #[must_use]
    pub fn alias_arn(&self, alias_name: &str) -> String {
        format!("arn:aws:kms:{}:{}:{alias_name}", self.region, self.account)
    }
}

/// What a key identifier names, by its grammar alone.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Named {
    /// A key ID.
    Id,
    /// `alias/<name>`.
    Alias,
    /// `arn:aws*:kms:<region>:<account>:key/<id>` or `…:alias/<name>`.
    Arn {
        region: String,
        account: String,
        reference: KeyRef,
    },
}

/// A key identifier member: a key ID or key ARN, and, when `ALIASES`, an alias name or
/// alias ARN. Its grammar is checked as it is read (`InvalidArnException`); whether an ARN
/// names this region and account is checked when it is resolved against the request's
/// [`Scope`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyArg<const ALIASES: bool> {
    raw: String,
    named: Named,
}

/// A key ID, key ARN, alias name or alias ARN.
pub type AnyKey = KeyArg<true>;
/// A key ID or key ARN.
pub type KeyOnly = KeyArg<false>;

fn invalid_arn(raw: &str) -> AwsError {
    AwsError::new(Exception::InvalidArn, format!("Invalid arn {raw}"))
}

fn alias_refused() -> AwsError {
    AwsError::new(
        Exception::InvalidArn,
        "Key Aliases are not supported for this operation.",
    )
}

impl<const ALIASES: bool> KeyArg<ALIASES> {
    /// Parses `raw` by its grammar.
    ///
    /// # Errors
    /// `InvalidArnException` for a malformed ARN, or an alias where none is accepted.
    pub fn parse(raw: &str) -> Result<Self, AwsError> {
        let named = if let Some(rest) = raw.strip_prefix("arn:") {
            let parts: Vec<&str> = rest.splitn(5, ':').collect();
            let [partition, "kms", region, account, resource] = parts.as_slice() else {
                return Err(invalid_arn(raw));
            };
            if !partition.starts_with("aws") {
                return Err(invalid_arn(raw));
            }
            let reference = match resource.strip_prefix("key/") {
                Some("") => return Err(invalid_arn(raw)),
                Some(id) => KeyRef::Id(id.to_owned()),
                None if resource.starts_with("alias/") => {
                    if !ALIASES {
                        return Err(alias_refused());
                    }
                    KeyRef::Alias((*resource).to_owned())
                }
                None => return Err(invalid_arn(raw)),
            };
            Named::Arn {
                region: (*region).to_owned(),
                account: (*account).to_owned(),
                reference,
            }
        } else if raw.starts_with("alias/") {
            if !ALIASES {
                return Err(alias_refused());
            }
            Named::Alias
        } else {
            Named::Id
        };
        Ok(Self {
            raw: raw.to_owned(),
            named,
        })
    }

    /// The key this names in `scope`.
    ///
    /// # Errors
    /// `NotFoundException` for an ARN of another region or account.
    pub fn key_ref(&self, scope: &Scope) -> Result<KeyRef, AwsError> {
        match &self.named {
            Named::Id => Ok(KeyRef::Id(self.raw.clone())),
            Named::Alias => Ok(KeyRef::Alias(self.raw.clone())),
            Named::Arn {
                region,
                account,
                reference,
            } => {
                if *region == scope.region && *account == scope.account {
                    Ok(reference.clone())
                } else {
                    Err(AwsError::new(Exception::NotFound, "Invalid arn"))
                }
            }
        }
    }

    /// The ARN that messages name: the one given, or the one a plain identifier stands for.
    #[must_use]
    pub fn arn(&self, scope: &Scope) -> String {
        match self.named {
            Named::Id => scope.key_arn(&self.raw),
            Named::Alias => scope.alias_arn(&self.raw),
            Named::Arn { .. } => self.raw.clone(),
        }
    }

    /// The identifier as given.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.raw
    }
}

impl<const ALIASES: bool> Read for KeyArg<ALIASES> {
    fn read(value: &Value, name: &'static str) -> Result<Self, AwsError> {
        Self::parse(&Str::<1, 2048>::read(value, name)?.0)
    }
}

impl<const ALIASES: bool> super::members::Member for KeyArg<ALIASES> {
    const REQUIRED: bool = true;

    fn member(input: &super::members::Input, name: &'static str) -> Result<Self, AwsError> {
        super::members::read_required(input, name)
    }
}

impl<const ALIASES: bool> JsonSchema for KeyArg<ALIASES> {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        if ALIASES { "KeyIdOrAlias" } else { "KeyId" }.into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let forms = if ALIASES {
            "A key ID, key ARN, alias name (alias/...) or alias ARN."
        } else {
            "A key ID or key ARN."
        };
        json_schema!({"type": "string", "minLength": 1, "maxLength": 2048, "description": forms})
    }
}

closed_enum! {
    /// `KeyUsage`.
    pub enum KeyUsage {
        /// Symmetric encryption.
        EncryptDecrypt = "ENCRYPT_DECRYPT",
        /// Signing.
        SignVerify = "SIGN_VERIFY",
        /// HMAC.
        GenerateVerifyMac = "GENERATE_VERIFY_MAC",
        /// Key agreement.
        KeyAgreement = "KEY_AGREEMENT",
        /// ML-KEM.
        EncapsulateDecapsulate = "ENCAPSULATE_DECAPSULATE",
    }
}
enum_member!(KeyUsage);

closed_enum! {
    /// `KeySpec` / `CustomerMasterKeySpec` (every value but ECC_NIST_EDWARDS25519 exists in
    /// qkms).
    pub enum KeySpec {
        /// AES-256-GCM.
        SymmetricDefault = "SYMMETRIC_DEFAULT",
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
        /// Ed25519.
        EccNistEdwards25519 = "ECC_NIST_EDWARDS25519",
        /// HMAC-SHA-224.
        Hmac224 = "HMAC_224",
        /// HMAC-SHA-256.
        Hmac256 = "HMAC_256",
        /// HMAC-SHA-384.
        Hmac384 = "HMAC_384",
        /// HMAC-SHA-512.
        Hmac512 = "HMAC_512",
        /// SM2.
        Sm2 = "SM2",
        /// ML-DSA-44.
        MlDsa44 = "ML_DSA_44",
        /// ML-DSA-65.
        MlDsa65 = "ML_DSA_65",
        /// ML-DSA-87.
        MlDsa87 = "ML_DSA_87",
        /// ML-KEM-512.
        MlKem512 = "ML_KEM_512",
        /// ML-KEM-768.
        MlKem768 = "ML_KEM_768",
        /// ML-KEM-1024.
        MlKem1024 = "ML_KEM_1024",
    }
}
enum_member!(KeySpec);

closed_enum! {
    /// `Origin`.
    pub enum Origin {
        /// Material made by the KMS.
        AwsKms = "AWS_KMS",
        /// Imported material.
        External = "EXTERNAL",
        /// A CloudHSM key store (not in qkms).
        AwsCloudHsm = "AWS_CLOUDHSM",
        /// An external key store (not in qkms).
        ExternalKeyStore = "EXTERNAL_KEY_STORE",
    }
}
enum_member!(Origin);

impl Origin {
    /// The wire name of a model origin.
    #[must_use]
    pub const fn of(origin: ModelOrigin) -> Self {
        match origin {
            ModelOrigin::Kms => Self::AwsKms,
            ModelOrigin::External => Self::External,
        }
    }
}

closed_enum! {
    /// `KeyState` (the names AWS reports for the states qkms has).
    pub enum KeyState {
        /// Usable.
        Enabled = "Enabled",
        /// Disabled.
        Disabled = "Disabled",
        /// Scheduled for deletion.
        PendingDeletion = "PendingDeletion",
        /// Waiting for material.
        PendingImport = "PendingImport",
    }
}
enum_schema!(KeyState);
same_variants!(KeyState <=> model::KeyState { Enabled, Disabled, PendingDeletion, PendingImport });

closed_enum! {
    /// `EncryptionAlgorithm`: SYMMETRIC_DEFAULT for symmetric keys, the others for key pairs.
    pub enum EncryptionAlgorithm {
        /// AES-256-GCM.
        SymmetricDefault = "SYMMETRIC_DEFAULT",
        /// RSA OAEP with SHA-1.
        RsaesOaepSha1 = "RSAES_OAEP_SHA_1",
        /// RSA OAEP with SHA-256.
        RsaesOaepSha256 = "RSAES_OAEP_SHA_256",
        /// SM2 public-key encryption.
        Sm2Pke = "SM2PKE",
    }
}
enum_member!(EncryptionAlgorithm);

impl EncryptionAlgorithm {
    /// The key-pair algorithm this names; `None` for SYMMETRIC_DEFAULT.
    #[must_use]
    pub const fn asymmetric(self) -> Option<model::AsymmetricAlgorithm> {
        match self {
            Self::SymmetricDefault => None,
            Self::RsaesOaepSha1 => Some(model::AsymmetricAlgorithm::RsaOaepSha1),
            Self::RsaesOaepSha256 => Some(model::AsymmetricAlgorithm::RsaOaepSha256),
            Self::Sm2Pke => Some(model::AsymmetricAlgorithm::Sm2Pke),
        }
    }
}

/// `SYMMETRIC_DEFAULT`, the algorithm of symmetric keys.
pub const SYMMETRIC_DEFAULT: &str = "SYMMETRIC_DEFAULT";

closed_enum! {
    /// `SigningAlgorithm` (`SigningAlgorithmSpec`).
    pub enum SigningAlgorithm {
        /// RSASSA-PSS with SHA-256.
        RsassaPssSha256 = "RSASSA_PSS_SHA_256",
        /// RSASSA-PSS with SHA-384.
        RsassaPssSha384 = "RSASSA_PSS_SHA_384",
        /// RSASSA-PSS with SHA-512.
        RsassaPssSha512 = "RSASSA_PSS_SHA_512",
        /// RSASSA-PKCS1-v1_5 with SHA-256.
        RsassaPkcs1V15Sha256 = "RSASSA_PKCS1_V1_5_SHA_256",
        /// RSASSA-PKCS1-v1_5 with SHA-384.
        RsassaPkcs1V15Sha384 = "RSASSA_PKCS1_V1_5_SHA_384",
        /// RSASSA-PKCS1-v1_5 with SHA-512.
        RsassaPkcs1V15Sha512 = "RSASSA_PKCS1_V1_5_SHA_512",
        /// ECDSA with SHA-256.
        EcdsaSha256 = "ECDSA_SHA_256",
        /// ECDSA with SHA-384.
        EcdsaSha384 = "ECDSA_SHA_384",
        /// ECDSA with SHA-512.
        EcdsaSha512 = "ECDSA_SHA_512",
        /// SM2 signatures.
        Sm2Dsa = "SM2DSA",
        /// ML-DSA.
        MlDsaShake256 = "ML_DSA_SHAKE_256",
        /// Ed25519 (no ECC_NIST_EDWARDS25519 keys in qkms).
        Ed25519Sha512 = "ED25519_SHA_512",
        /// Ed25519ph (no ECC_NIST_EDWARDS25519 keys in qkms).
        Ed25519PhSha512 = "ED25519_PH_SHA_512",
    }
}
enum_member!(SigningAlgorithm);

impl SigningAlgorithm {
    /// The core's algorithm; `None` for the Ed25519 ones, which no qkms key has.
    #[must_use]
    pub const fn model(self) -> Option<model::SigningAlgorithm> {
        use model::SigningAlgorithm as M;
        Some(match self {
            Self::RsassaPssSha256 => M::RsaPssSha256,
            Self::RsassaPssSha384 => M::RsaPssSha384,
            Self::RsassaPssSha512 => M::RsaPssSha512,
            Self::RsassaPkcs1V15Sha256 => M::RsaPkcs1Sha256,
            Self::RsassaPkcs1V15Sha384 => M::RsaPkcs1Sha384,
            Self::RsassaPkcs1V15Sha512 => M::RsaPkcs1Sha512,
            Self::EcdsaSha256 => M::EcdsaSha256,
            Self::EcdsaSha384 => M::EcdsaSha384,
            Self::EcdsaSha512 => M::EcdsaSha512,
            Self::Sm2Dsa => M::Sm2Dsa,
            Self::MlDsaShake256 => M::MlDsaShake256,
            Self::Ed25519Sha512 | Self::Ed25519PhSha512 => return None,
        })
    }
}

closed_enum! {
    /// `MacAlgorithm` (`MacAlgorithmSpec`).
    pub enum MacAlgorithm {
        /// HMAC-SHA-224.
        HmacSha224 = "HMAC_SHA_224",
        /// HMAC-SHA-256.
        HmacSha256 = "HMAC_SHA_256",
        /// HMAC-SHA-384.
        HmacSha384 = "HMAC_SHA_384",
        /// HMAC-SHA-512.
        HmacSha512 = "HMAC_SHA_512",
    }
}
enum_member!(MacAlgorithm);

impl MacAlgorithm {
    /// The core's algorithm.
    #[must_use]
    pub const fn model(self) -> model::MacAlgorithm {
        match self {
            Self::HmacSha224 => model::MacAlgorithm::HmacSha224,
            Self::HmacSha256 => model::MacAlgorithm::HmacSha256,
            Self::HmacSha384 => model::MacAlgorithm::HmacSha384,
            Self::HmacSha512 => model::MacAlgorithm::HmacSha512,
        }
    }
}

impl KeySpec {
    /// The core's spec; `None` for ECC_NIST_EDWARDS25519, which the core does not have.
    #[must_use]
    pub const fn model(self) -> Option<model::KeySpec> {
        use model::KeySpec as M;
        Some(match self {
            Self::SymmetricDefault => M::Aes256,
            Self::Rsa2048 => M::Rsa2048,
            Self::Rsa3072 => M::Rsa3072,
            Self::Rsa4096 => M::Rsa4096,
            Self::EccNistP256 => M::EcP256,
            Self::EccNistP384 => M::EcP384,
            Self::EccNistP521 => M::EcP521,
            Self::EccSecgP256k1 => M::EcP256k,
            Self::Hmac224 => M::Hmac224,
            Self::Hmac256 => M::Hmac256,
            Self::Hmac384 => M::Hmac384,
            Self::Hmac512 => M::Hmac512,
            Self::Sm2 => M::EcSm2,
            Self::MlDsa44 => M::MlDsa44,
            Self::MlDsa65 => M::MlDsa65,
            Self::MlDsa87 => M::MlDsa87,
            Self::MlKem512 => M::MlKem512,
            Self::MlKem768 => M::MlKem768,
            Self::MlKem1024 => M::MlKem1024,
            Self::EccNistEdwards25519 => return None,
        })
    }
}

/// The AWS name of a core spec. Aliyun_SM4 is what SYMMETRIC_DEFAULT means in AWS China;
/// HMAC_SM3, which AWS lacks, keeps its qkms name (SDKs do not check enum values).
#[must_use]
pub const fn key_spec_name(spec: model::KeySpec) -> &'static str {
    use model::KeySpec as M;
    match spec {
        M::Aes256 | M::Sm4 => "SYMMETRIC_DEFAULT",
        M::Rsa2048 => "RSA_2048",
        M::Rsa3072 => "RSA_3072",
        M::Rsa4096 => "RSA_4096",
        M::EcP256 => "ECC_NIST_P256",
        M::EcP384 => "ECC_NIST_P384",
        M::EcP521 => "ECC_NIST_P521",
        M::EcP256k => "ECC_SECG_P256K1",
        M::EcSm2 => "SM2",
        M::Hmac224 => "HMAC_224",
        M::Hmac256 => "HMAC_256",
        M::Hmac384 => "HMAC_384",
        M::Hmac512 => "HMAC_512",
        M::HmacSm3 => "HMAC_SM3",
        M::MlDsa44 => "ML_DSA_44",
        M::MlDsa65 => "ML_DSA_65",
        M::MlDsa87 => "ML_DSA_87",
        M::MlKem512 => "ML_KEM_512",
        M::MlKem768 => "ML_KEM_768",
        M::MlKem1024 => "ML_KEM_1024",
    }
}

/// `CustomerMasterKeySpec`: the spec under its deprecated name, which the model has only
/// for the specs older than ML-DSA and ML-KEM (absent for those).
#[must_use]
pub const fn customer_master_key_spec(spec: model::KeySpec) -> Option<&'static str> {
    use model::KeySpec as M;
    match spec {
        M::MlDsa44 | M::MlDsa65 | M::MlDsa87 | M::MlKem512 | M::MlKem768 | M::MlKem1024 => None,
        other => Some(key_spec_name(other)),
    }
}

impl KeyUsage {
    /// The core's usage.
    #[must_use]
    pub const fn model(self) -> model::KeyUsage {
        match self {
            Self::EncryptDecrypt => model::KeyUsage::EncryptDecrypt,
            Self::SignVerify => model::KeyUsage::SignVerify,
            Self::GenerateVerifyMac => model::KeyUsage::GenerateVerifyMac,
            Self::KeyAgreement => model::KeyUsage::KeyAgreement,
            Self::EncapsulateDecapsulate => model::KeyUsage::KeyEncapsulation,
        }
    }

    /// The wire name of a core usage.
    #[must_use]
    pub const fn of(usage: model::KeyUsage) -> Self {
        match usage {
            model::KeyUsage::EncryptDecrypt => Self::EncryptDecrypt,
            model::KeyUsage::SignVerify => Self::SignVerify,
            model::KeyUsage::GenerateVerifyMac => Self::GenerateVerifyMac,
            model::KeyUsage::KeyAgreement => Self::KeyAgreement,
            model::KeyUsage::KeyEncapsulation => Self::EncapsulateDecapsulate,
        }
    }
}

/// The wire name of a core signing algorithm (the core uses AWS's names).
#[must_use]
pub fn signing_name(alg: model::SigningAlgorithm) -> &'static str {
    alg.as_str()
}

/// The wire name of a core MAC algorithm (the core uses AWS's names).
#[must_use]
pub fn mac_name(alg: model::MacAlgorithm) -> &'static str {
    alg.as_str()
}

/// The algorithm lists of a key, as AWS reports them: only the list of its usage.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct Algorithms {
    /// ENCRYPT_DECRYPT keys: `SYMMETRIC_DEFAULT`, or the key pair's algorithms.
    #[serde(
        rename = "EncryptionAlgorithms",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "Option<Vec<EncryptionAlgorithm>>")]
    pub encryption_algorithms: Option<Vec<&'static str>>,
    /// SIGN_VERIFY keys.
    #[serde(rename = "SigningAlgorithms", skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<Vec<SigningAlgorithm>>")]
    pub signing_algorithms: Option<Vec<&'static str>>,
    /// GENERATE_VERIFY_MAC keys.
    #[serde(rename = "MacAlgorithms", skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<Vec<MacAlgorithm>>")]
    pub mac_algorithms: Option<Vec<&'static str>>,
    /// KEY_AGREEMENT keys: `ECDH`.
    #[serde(
        rename = "KeyAgreementAlgorithms",
        skip_serializing_if = "Option::is_none"
    )]
    pub key_agreement_algorithms: Option<Vec<&'static str>>,
    /// ENCAPSULATE_DECAPSULATE keys: `ML_KEM`.
    #[serde(
        rename = "EncapsulationAlgorithms",
        skip_serializing_if = "Option::is_none"
    )]
    pub encapsulation_algorithms: Option<Vec<&'static str>>,
}

impl Algorithms {
    /// The lists of a key of `spec` for `usage`.
    #[must_use]
    pub fn of(spec: model::KeySpec, usage: model::KeyUsage) -> Self {
        use model::KeyUsage as U;
        let mut out = Self::default();
        match usage {
            U::EncryptDecrypt if spec.is_symmetric() => {
                out.encryption_algorithms = Some(vec![SYMMETRIC_DEFAULT]);
            }
            U::EncryptDecrypt => {
                out.encryption_algorithms = Some(
                    spec.encryption_algorithms()
                        .iter()
                        .map(|a| a.as_str())
                        .collect(),
                );
            }
            U::SignVerify => {
                out.signing_algorithms = Some(
                    spec.signing_algorithms()
                        .iter()
                        .map(|a| signing_name(*a))
                        .collect(),
                );
            }
            U::GenerateVerifyMac => {
                out.mac_algorithms = Some(spec.mac_algorithm().map(mac_name).into_iter().collect());
            }
            U::KeyAgreement => out.key_agreement_algorithms = Some(vec!["ECDH"]),
            U::KeyEncapsulation => out.encapsulation_algorithms = Some(vec!["ML_KEM"]),
        }
        out
    }
}

/// `KeyMetadata` (absent fields are left out rather than null).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct KeyMetadata {
    /// The account in the key's ARN.
    #[serde(rename = "AWSAccountId")]
    pub aws_account_id: String,
    /// The key ID.
    #[serde(rename = "KeyId")]
    pub key_id: String,
    /// The key ARN.
    #[serde(rename = "Arn")]
    pub arn: String,
    /// When the key was made, epoch seconds.
    #[serde(rename = "CreationDate")]
    pub creation_date: i64,
    /// True when the key is Enabled.
    #[serde(rename = "Enabled")]
    pub enabled: bool,
    /// Free text.
    #[serde(rename = "Description")]
    pub description: String,
    /// What the key is for.
    #[serde(rename = "KeyUsage")]
    #[schemars(with = "KeyUsage")]
    pub key_usage: &'static str,
    /// The key's state.
    #[serde(rename = "KeyState")]
    #[schemars(with = "KeyState")]
    pub key_state: &'static str,
    /// When a PendingDeletion key will be deleted, epoch seconds.
    #[serde(rename = "DeletionDate", skip_serializing_if = "Option::is_none")]
    pub deletion_date: Option<i64>,
    /// `AWS_KMS` or `EXTERNAL`.
    #[serde(rename = "Origin")]
    #[schemars(with = "Origin")]
    pub origin: &'static str,
    /// `CUSTOMER`.
    #[serde(rename = "KeyManager")]
    pub key_manager: &'static str,
    /// The deprecated name of `KeySpec` (absent for ML-DSA and ML-KEM keys, which the
    /// deprecated enum lacks).
    #[serde(
        rename = "CustomerMasterKeySpec",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "Option<KeySpec>")]
    pub customer_master_key_spec: Option<&'static str>,
    /// The key's spec.
    #[serde(rename = "KeySpec")]
    #[schemars(with = "KeySpec")]
    pub key_spec: &'static str,
    /// The algorithms of its usage.
    #[serde(flatten)]
    pub algorithms: Algorithms,
    /// False: qkms has no multi-Region keys.
    #[serde(rename = "MultiRegion")]
    pub multi_region: bool,
    /// For an EXTERNAL key with material: whether it expires.
    #[serde(rename = "ExpirationModel", skip_serializing_if = "Option::is_none")]
    pub expiration_model: Option<&'static str>,
    /// When imported material expires, epoch seconds.
    #[serde(rename = "ValidTo", skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<i64>,
    /// The deletion window in days, while PendingDeletion.
    #[serde(
        rename = "PendingDeletionWindowInDays",
        skip_serializing_if = "Option::is_none"
    )]
    pub pending_deletion_window_in_days: Option<i64>,
    /// The identifier of the primary version's material (for an EXTERNAL key: once
    /// material was imported into it).
    #[serde(
        rename = "CurrentKeyMaterialId",
        skip_serializing_if = "Option::is_none"
    )]
    pub current_key_material_id: Option<String>,
}

impl KeyMetadata {
    /// The metadata of `k` in `scope`.
    #[must_use]
    pub fn of(k: &KeyRecord, scope: &Scope) -> Self {
        let external_with_material = k.origin == ModelOrigin::External && k.has_material();
        Self {
            aws_account_id: scope.account.clone(),
            key_id: k.key_id.clone(),
            arn: scope.key_arn(&k.key_id),
            creation_date: k.created,
            enabled: k.state == model::KeyState::Enabled,
            description: k.description.clone(),
            key_usage: KeyUsage::of(k.usage).as_str(),
            key_state: KeyState::from(k.state).as_str(),
            deletion_date: k.delete_date,
            origin: Origin::of(k.origin).as_str(),
            key_manager: "CUSTOMER",
            customer_master_key_spec: customer_master_key_spec(k.spec),
            key_spec: key_spec_name(k.spec),
            algorithms: Algorithms::of(k.spec, k.usage),
            multi_region: false,
            expiration_model: external_with_material
                .then_some(super::import::ExpirationModel::of(k.material_expire).as_str()),
            valid_to: k.material_expire.filter(|_| external_with_material),
            pending_deletion_window_in_days: k
                .pending_window_days
                .filter(|_| k.state == model::KeyState::PendingDeletion),
            current_key_material_id: k.material_id(k.primary_index()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope() -> Scope {
        Scope {
            region: "us-east-1".into(),
            account: "111122223333".into(),
        }
    }

    #[test]
    fn identifiers_by_grammar_then_by_scope() {
        let s = scope();
        let key = AnyKey::parse("k1").unwrap();
        assert_eq!(key.key_ref(&s).unwrap(), KeyRef::Id("k1".into()));
        assert_eq!(key.arn(&s), "arn:aws:kms:us-east-1:111122223333:key/k1");
        let alias = AnyKey::parse("arn:aws:kms:us-east-1:111122223333:alias/a").unwrap();
        assert_eq!(alias.key_ref(&s).unwrap(), KeyRef::Alias("alias/a".into()));
        let foreign = AnyKey::parse("arn:aws:kms:eu-west-1:111122223333:key/k1").unwrap();
        assert_eq!(
            foreign.key_ref(&s).unwrap_err().exception,
            Exception::NotFound
        );
        for bad in [
            "arn:aws:kms:r:a:key/",
            "arn:aws:s3:r:a:key/k",
            "arn:x:kms:r:a:key/k",
            "arn:aws:kms:r",
        ] {
            assert_eq!(
                AnyKey::parse(bad).unwrap_err().exception,
                Exception::InvalidArn,
                "{bad}"
            );
        }
        let e = KeyOnly::parse("alias/a").unwrap_err();
        assert_eq!(
            e.message,
            "Key Aliases are not supported for this operation."
        );
        assert!(KeyOnly::parse("arn:aws:kms:r:a:alias/a").is_err());
    }
}
