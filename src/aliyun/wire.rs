//! What the Aliyun wire calls things: the names of specs, usages, origins, protection
//! levels and states; the `acs:kms:` ARN grammar (parsed into a neutral [`KeyRef`] and
//! rendered back); and `KeyMetadata`, one type for CreateKey and DescribeKey.

use schemars::JsonSchema;
use serde::Serialize;

use super::error::AliyunError;
use super::fields::enum_field;
use crate::clock::iso8601;
use crate::enums::{closed_enum, enum_schema, same_variants};
use crate::model::{self, KeyRecord, KeyRef};
use crate::service::{Error, Scope};

closed_enum! {
    /// `KeySpec` of a key.
    pub enum KeySpec {
        /// AES-256 (AES-256-GCM).
        Aes256 = "Aliyun_AES_256",
        /// SM4 (SM4-GCM).
        Sm4 = "Aliyun_SM4",
        /// RSA 2048.
        Rsa2048 = "RSA_2048",
        /// RSA 3072.
        Rsa3072 = "RSA_3072",
        /// RSA 4096 (made through the AWS dialect).
        Rsa4096 = "RSA_4096",
        /// NIST P-256.
        EcP256 = "EC_P256",
        /// NIST P-384 (made through the AWS dialect).
        EcP384 = "EC_P384",
        /// NIST P-521 (made through the AWS dialect).
        EcP521 = "EC_P521",
        /// secp256k1.
        EcP256k = "EC_P256K",
        /// SM2.
        EcSm2 = "EC_SM2",
        /// HMAC-SHA-224.
        Hmac224 = "HMAC_SHA_224",
        /// HMAC-SHA-256.
        Hmac256 = "HMAC_SHA_256",
        /// HMAC-SHA-384.
        Hmac384 = "HMAC_SHA_384",
        /// HMAC-SHA-512.
        Hmac512 = "HMAC_SHA_512",
        /// HMAC-SM3.
        HmacSm3 = "HMAC_SM3",
        /// ML-DSA-44 (made through the AWS dialect).
        MlDsa44 = "ML_DSA_44",
        /// ML-DSA-65 (made through the AWS dialect).
        MlDsa65 = "ML_DSA_65",
        /// ML-DSA-87 (made through the AWS dialect).
        MlDsa87 = "ML_DSA_87",
        /// ML-KEM-512 (made through the AWS dialect).
        MlKem512 = "ML_KEM_512",
        /// ML-KEM-768 (made through the AWS dialect).
        MlKem768 = "ML_KEM_768",
        /// ML-KEM-1024 (made through the AWS dialect).
        MlKem1024 = "ML_KEM_1024",
    }
}

closed_enum! {
    /// `KeyUsage`.
    pub enum KeyUsage {
        /// Encryption (symmetric, RSA-OAEP, SM2PKE).
        EncryptDecrypt = "ENCRYPT/DECRYPT",
        /// Signing.
        SignVerify = "SIGN/VERIFY",
        /// HMAC.
        GenerateVerifyMac = "GENERATE/VERIFY_MAC",
        /// ECDH (made through the AWS dialect).
        KeyAgreement = "KEY_AGREEMENT",
        /// ML-KEM (made through the AWS dialect).
        KeyEncapsulation = "ENCAPSULATE/DECAPSULATE",
    }
}
enum_field!(KeyUsage);

closed_enum! {
    /// `Origin`.
    pub enum Origin {
        /// Material made by the KMS.
        Kms = "Aliyun_KMS",
        /// Imported material.
        External = "EXTERNAL",
    }
}
enum_field!(Origin);

closed_enum! {
    /// `ProtectionLevel`.
    pub enum ProtectionLevel {
        /// Software keys.
        Software = "SOFTWARE",
        /// HSM keys on the real service.
        Hsm = "HSM",
    }
}
enum_field!(ProtectionLevel);

closed_enum! {
    /// `KeyState`.
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
enum_schema!(KeySpec);

same_variants!(KeySpec <=> model::KeySpec {
    Aes256, Sm4, Rsa2048, Rsa3072, Rsa4096, EcP256, EcP384, EcP521, EcP256k, EcSm2, Hmac224,
    Hmac256, Hmac384, Hmac512, HmacSm3, MlDsa44, MlDsa65, MlDsa87, MlKem512, MlKem768, MlKem1024
});
same_variants!(KeyUsage <=> model::KeyUsage {
    EncryptDecrypt, SignVerify, GenerateVerifyMac, KeyAgreement, KeyEncapsulation
});
same_variants!(Origin <=> model::Origin { Kms, External });
same_variants!(ProtectionLevel <=> model::ProtectionLevel { Software, Hsm });
same_variants!(KeyState <=> model::KeyState { Enabled, Disabled, PendingDeletion, PendingImport });

/// `CreateKey`'s `KeySpec`: the specs the Aliyun API creates (the symmetric two, RSA_2048,
/// RSA_3072, EC_P256, EC_P256K, EC_SM2 and the HMAC specs); the others the store knows
/// (RSA_4096, EC_P384, ML-DSA, …) are made through the AWS dialect and refused here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeySpecParam(pub KeySpec);

impl KeySpecParam {
    /// The specs CreateKey takes.
    pub const CREATABLE: [KeySpec; 12] = [
        KeySpec::Aes256,
        KeySpec::Sm4,
        KeySpec::Rsa2048,
        KeySpec::Rsa3072,
        KeySpec::EcP256,
        KeySpec::EcP256k,
        KeySpec::EcSm2,
        KeySpec::Hmac224,
        KeySpec::Hmac256,
        KeySpec::Hmac384,
        KeySpec::Hmac512,
        KeySpec::HmacSm3,
    ];

    /// The usages a key of `spec` may have on this API, the default first: the crypto
    /// sheet's matrix (RSA and SM2 encrypt or sign, the two ECDSA curves only sign; SM2
    /// ECDH is the AWS dialect's).
    #[must_use]
    pub const fn usages(spec: KeySpec) -> &'static [KeyUsage] {
        match spec {
            KeySpec::Rsa2048 | KeySpec::Rsa3072 | KeySpec::EcSm2 => {
                &[KeyUsage::EncryptDecrypt, KeyUsage::SignVerify]
            }
            KeySpec::EcP256 | KeySpec::EcP256k => &[KeyUsage::SignVerify],
            KeySpec::Hmac224
            | KeySpec::Hmac256
            | KeySpec::Hmac384
            | KeySpec::Hmac512
            | KeySpec::HmacSm3 => &[KeyUsage::GenerateVerifyMac],
            _ => &[KeyUsage::EncryptDecrypt],
        }
    }
}

impl super::fields::Field for KeySpecParam {
    fn field(p: &super::params::Params, name: &'static str) -> Result<Self, AliyunError> {
        let raw = String::field(p, name)?;
        match KeySpec::parse(&raw) {
            Some(spec) if Self::CREATABLE.contains(&spec) => Ok(Self(spec)),
            Some(_) => Err(AliyunError::invalid_because(
                name,
                "This spec is made through the AWS dialect of qkms; the Aliyun API creates Aliyun_AES_256, Aliyun_SM4, RSA_2048, RSA_3072, EC_P256, EC_P256K, EC_SM2, HMAC_SHA_224, HMAC_SHA_256, HMAC_SHA_384, HMAC_SHA_512 and HMAC_SM3 keys.",
            )),
            None => Err(AliyunError::invalid(name)),
        }
    }
}

impl JsonSchema for KeySpecParam {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        "KeySpec".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let names: Vec<&str> = Self::CREATABLE.iter().map(|v| v.as_str()).collect();
        schemars::json_schema!({"type": "string", "enum": names})
    }
}

/// Parses what a `KeyId` parameter may hold: a key ID, `alias/<name>`, a key ARN
/// (`acs:kms:<region>:<account>:key/<id>`) or an alias ARN (`acs:kms:…:alias/<name>`).
/// An ARN of another region or account names no key here.
///
/// # Errors
/// [`Error::KeyNotFound`] for an ARN that names nothing here.
pub fn key_ref(raw: &str, scope: &Scope) -> Result<KeyRef, Error> {
    let Some(rest) = raw.strip_prefix("acs:kms:") else {
        return Ok(KeyRef::plain(raw));
    };
    let mut parts = rest.splitn(3, ':');
    let (Some(region), Some(account), Some(resource)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(Error::KeyNotFound);
    };
    if region != scope.region || account != scope.account {
        return Err(Error::KeyNotFound);
    }
    match resource.strip_prefix("key/") {
        Some("") => Err(Error::KeyNotFound),
        Some(id) => Ok(KeyRef::Id(id.to_owned())),
        None if resource.starts_with("alias/") => Ok(KeyRef::Alias(resource.to_owned())),
        None => Err(Error::KeyNotFound),
    }
}

/// `acs:kms:<region>:<account>:key/<id>`.
#[must_use]
pub fn key_arn(scope: &Scope, key_id: &str) -> String {
    format!("acs:kms:{}:{}:key/{key_id}", scope.region, scope.account)
}

/// `acs:kms:<region>:<account>:alias/<name>` (`alias_name` includes `alias/`).
#[must_use]
pub fn alias_arn(scope: &Scope, alias_name: &str) -> String {
    format!("acs:kms:{}:{}:{alias_name}", scope.region, scope.account)
}

/// A date as the service writes it, or `""`.
fn or_empty(t: Option<i64>) -> String {
    t.map(iso8601).unwrap_or_default()
}

/// A date, or `""` when there is none.
fn date_or_empty(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": "string",
        "anyOf": [{"format": "date-time"}, {"maxLength": 0}],
    })
}

/// `KeyMetadata` of CreateKey and DescribeKey (CreateKey omits the deletion-protection
/// fields). Every field is a string.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct KeyMetadata {
    /// When the key was made, `yyyy-MM-ddTHH:mm:ssZ`.
    #[schemars(extend("format" = "date-time"))]
    pub creation_date: String,
    /// Free text.
    pub description: String,
    /// The key ID.
    pub key_id: String,
    /// `Enabled`, `Disabled`, `PendingDeletion` or `PendingImport`.
    #[schemars(with = "KeyState")]
    pub key_state: &'static str,
    /// `ENCRYPT/DECRYPT`, `SIGN/VERIFY` or `GENERATE/VERIFY_MAC`.
    #[schemars(with = "KeyUsage")]
    pub key_usage: &'static str,
    /// The spec (those of the AWS dialect too, for keys made there).
    #[schemars(with = "KeySpec")]
    pub key_spec: &'static str,
    /// `Aliyun_KMS` or `EXTERNAL`.
    #[schemars(with = "Origin")]
    pub origin: &'static str,
    /// `SOFTWARE` or `HSM`.
    #[schemars(with = "ProtectionLevel")]
    pub protection_level: &'static str,
    /// The account that made it.
    pub creator: String,
    /// The key ARN.
    pub arn: String,
    /// When a PendingDeletion key will be deleted, or `""`.
    #[schemars(schema_with = "date_or_empty")]
    pub delete_date: String,
    /// When imported material expires, or `""` (never, or no material).
    #[schemars(schema_with = "date_or_empty")]
    pub material_expire_time: String,
    /// `Enabled`, `Disabled`, or `Suspended` (enabled, but the key is Disabled or
    /// PendingDeletion, so it does not rotate meanwhile).
    #[schemars(with = "AutomaticRotation")]
    pub automatic_rotation: &'static str,
    /// Seconds between rotations, e.g. `604800s`; `""` without rotation.
    pub rotation_interval: String,
    /// When the primary version was made.
    #[schemars(extend("format" = "date-time"))]
    pub last_rotation_date: String,
    /// When the next automatic rotation is due; `""` without rotation.
    #[schemars(schema_with = "date_or_empty")]
    pub next_rotation_date: String,
    /// The version Encrypt uses; `""` for key pairs, which have no primary version
    /// (every asymmetric call names its version).
    pub primary_key_version: String,
    /// `""`: qkms has no KMS instances.
    #[serde(rename = "DKMSInstanceId")]
    pub dkms_instance_id: &'static str,
    /// `Enabled` or `Disabled` (DescribeKey only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<Enablement>")]
    pub deletion_protection: Option<&'static str>,
    /// Why the key is protected, or `""` (DescribeKey only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deletion_protection_description: Option<String>,
}

closed_enum! {
    /// `AutomaticRotation` of a key.
    pub enum AutomaticRotation {
        /// Rotates on schedule.
        Enabled = "Enabled",
        /// Does not rotate.
        Disabled = "Disabled",
        /// Enabled, but the key is not Enabled, so it does not rotate meanwhile.
        Suspended = "Suspended",
    }
}
enum_schema!(AutomaticRotation);

closed_enum! {
    /// `Enabled` or `Disabled`.
    pub enum Enablement {
        /// On.
        Enabled = "Enabled",
        /// Off.
        Disabled = "Disabled",
    }
}
enum_schema!(Enablement);

impl AutomaticRotation {
    /// The rotation status of `k`.
    #[must_use]
    pub fn of(k: &KeyRecord) -> Self {
        match (k.rotation, k.state) {
            (None, _) => Self::Disabled,
            (Some(_), model::KeyState::Enabled) => Self::Enabled,
            (Some(_), _) => Self::Suspended,
        }
    }
}

impl KeyMetadata {
    /// The metadata of `k`; with `describe`, the DescribeKey fields too.
    #[must_use]
    pub fn of(k: &KeyRecord, scope: &Scope, describe: bool) -> Self {
        Self {
            creation_date: iso8601(k.created),
            description: k.description.clone(),
            key_id: k.key_id.clone(),
            key_state: KeyState::from(k.state).as_str(),
            key_usage: KeyUsage::from(k.usage).as_str(),
            key_spec: KeySpec::from(k.spec).as_str(),
            origin: Origin::from(k.origin).as_str(),
            protection_level: ProtectionLevel::from(k.protection_level).as_str(),
            creator: k.creator.clone(),
            arn: key_arn(scope, &k.key_id),
            delete_date: or_empty(k.delete_date),
            material_expire_time: or_empty(k.material_expire),
            automatic_rotation: AutomaticRotation::of(k).as_str(),
            rotation_interval: k
                .rotation
                .map(|r| super::versions::interval_text(r.interval))
                .unwrap_or_default(),
            last_rotation_date: k.primary().map(|v| iso8601(v.created)).unwrap_or_default(),
            next_rotation_date: or_empty(k.rotation.map(|r| r.next)),
            // The service's key pairs have no primary version (the crypto sheet, §1.8).
            primary_key_version: if k.spec.is_asymmetric() {
                String::new()
            } else {
                k.primary_version.clone()
            },
            dkms_instance_id: "",
            deletion_protection: describe.then_some(if k.deletion_protection.is_some() {
                Enablement::Enabled.as_str()
            } else {
                Enablement::Disabled.as_str()
            }),
            deletion_protection_description: describe
                .then(|| k.deletion_protection.clone().unwrap_or_default()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> Scope {
        Scope {
            region: "cn-hangzhou".into(),
            account: "123".into(),
        }
    }

    #[test]
    fn key_references_and_arns() {
        let s = settings();
        assert_eq!(key_ref("k1", &s).unwrap(), KeyRef::Id("k1".into()));
        assert_eq!(
            key_ref("alias/a", &s).unwrap(),
            KeyRef::Alias("alias/a".into())
        );
        assert_eq!(
            key_ref(&key_arn(&s, "k1"), &s).unwrap(),
            KeyRef::Id("k1".into())
        );
        assert_eq!(
            key_ref(&alias_arn(&s, "alias/a"), &s).unwrap(),
            KeyRef::Alias("alias/a".into())
        );
        for other in [
            "acs:kms:cn-shanghai:123:key/k1",
            "acs:kms:cn-hangzhou:999:key/k1",
            "acs:kms:cn-hangzhou:123:key/",
            "acs:kms:broken",
            "acs:kms:cn-hangzhou:123:secret/x",
        ] {
            assert!(
                matches!(key_ref(other, &s), Err(Error::KeyNotFound)),
                "{other}"
            );
        }
    }
}
