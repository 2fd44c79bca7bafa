//! The neutral domain model, below both the service and the store: keys, versions,
//! aliases, their states, specs and origins, [`KeyRef`], a key as a request names it, and
//! secrets (`secret.rs`).
//! No protocol appears here. Each enum's names (`as_str`) are qkms's own: the names the
//! store and seed files use, frozen; each protocol maps the values to its wire names.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::enums::{closed_enum, serde_by_name};

mod secret;
pub use secret::{SealedValue, SecretDataType, SecretRecord, SecretRotation, SecretVersion, Stage};

closed_enum!(
    /// The kind of key material.
    pub enum KeySpec {
        /// 256-bit AES key, used with AES-256-GCM.
        Aes256 = "Aliyun_AES_256",
        /// 128-bit SM4 key, used with SM4-GCM.
        Sm4 = "Aliyun_SM4",
        /// RSA, 2048-bit modulus.
        Rsa2048 = "RSA_2048",
        /// RSA, 3072-bit modulus.
        Rsa3072 = "RSA_3072",
        /// RSA, 4096-bit modulus.
        Rsa4096 = "RSA_4096",
        /// NIST P-256 (prime256v1).
        EcP256 = "EC_P256",
        /// NIST P-384.
        EcP384 = "EC_P384",
        /// NIST P-521.
        EcP521 = "EC_P521",
        /// SECG secp256k1.
        EcP256k = "EC_P256K",
        /// The ShangMi curve SM2 (GB/T 32918).
        EcSm2 = "EC_SM2",
        /// HMAC with SHA-224 (a 28-byte key).
        Hmac224 = "HMAC_SHA_224",
        /// HMAC with SHA-256 (a 32-byte key).
        Hmac256 = "HMAC_SHA_256",
        /// HMAC with SHA-384 (a 48-byte key).
        Hmac384 = "HMAC_SHA_384",
        /// HMAC with SHA-512 (a 64-byte key).
        Hmac512 = "HMAC_SHA_512",
        /// HMAC with SM3 (a 32-byte key).
        HmacSm3 = "HMAC_SM3",
        /// ML-DSA-44 (FIPS 204).
        MlDsa44 = "ML_DSA_44",
        /// ML-DSA-65 (FIPS 204).
        MlDsa65 = "ML_DSA_65",
        /// ML-DSA-87 (FIPS 204).
        MlDsa87 = "ML_DSA_87",
        /// ML-KEM-512 (FIPS 203).
        MlKem512 = "ML_KEM_512",
        /// ML-KEM-768 (FIPS 203).
        MlKem768 = "ML_KEM_768",
        /// ML-KEM-1024 (FIPS 203).
        MlKem1024 = "ML_KEM_1024",
    }
);
serde_by_name!(KeySpec);

impl KeySpec {
    /// True for the symmetric encryption specs.
    #[must_use]
    pub const fn is_symmetric(self) -> bool {
        matches!(self, Self::Aes256 | Self::Sm4)
    }

    /// True for the HMAC specs.
    #[must_use]
    pub const fn is_hmac(self) -> bool {
        self.mac_algorithm().is_some()
    }

    /// True for key pairs (RSA, elliptic curves, ML-DSA, ML-KEM).
    #[must_use]
    pub const fn is_asymmetric(self) -> bool {
        !self.is_symmetric() && !self.is_hmac()
    }

    /// Length of raw secret material in bytes: the symmetric key or the HMAC key; `None`
    /// for key pairs, whose material is a PKCS #8 private key.
    #[must_use]
    pub const fn secret_len(self) -> Option<usize> {
        match self {
            Self::Aes256 | Self::Hmac256 | Self::HmacSm3 => Some(32),
            Self::Sm4 => Some(16),
            Self::Hmac224 => Some(28),
            Self::Hmac384 => Some(48),
            Self::Hmac512 => Some(64),
            _ => None,
        }
    }

    /// The lengths imported raw material may have: exactly [`Self::secret_len`] for the
    /// symmetric specs; for HMAC, from the digest length up to the hash's block size, as
    /// AWS documents for imported HMAC keys (HMAC_224/256: 28/32–64 bytes, HMAC_384/512:
    /// 48/64–128).
    #[must_use]
    pub const fn import_len(self) -> Option<(usize, usize)> {
        match (self.secret_len(), self) {
            (Some(n), Self::Hmac224 | Self::Hmac256 | Self::HmacSm3) => Some((n, 64)),
            (Some(n), Self::Hmac384 | Self::Hmac512) => Some((n, 128)),
            (Some(n), _) => Some((n, n)),
            (None, _) => None,
        }
    }

    /// The usages the spec allows; the first is the default.
    #[must_use]
    pub const fn usages(self) -> &'static [KeyUsage] {
        use KeyUsage::{
            EncryptDecrypt, GenerateVerifyMac, KeyAgreement, KeyEncapsulation, SignVerify,
        };
        match self {
            Self::Aes256 | Self::Sm4 => &[EncryptDecrypt],
            Self::Rsa2048 | Self::Rsa3072 | Self::Rsa4096 => &[EncryptDecrypt, SignVerify],
            Self::EcP256k | Self::MlDsa44 | Self::MlDsa65 | Self::MlDsa87 => &[SignVerify],
            Self::EcP256 | Self::EcP384 | Self::EcP521 => &[SignVerify, KeyAgreement],
            Self::EcSm2 => &[EncryptDecrypt, SignVerify, KeyAgreement],
            Self::Hmac224 | Self::Hmac256 | Self::Hmac384 | Self::Hmac512 | Self::HmacSm3 => {
                &[GenerateVerifyMac]
            }
            Self::MlKem512 | Self::MlKem768 | Self::MlKem1024 => &[KeyEncapsulation],
        }
    }

    /// The signing algorithms of a SIGN/VERIFY key of this spec.
    #[must_use]
    pub const fn signing_algorithms(self) -> &'static [SigningAlgorithm] {
        use SigningAlgorithm as S;
        match self {
            Self::Rsa2048 | Self::Rsa3072 | Self::Rsa4096 => &[
                S::RsaPssSha256,
                S::RsaPssSha384,
                S::RsaPssSha512,
                S::RsaPkcs1Sha256,
                S::RsaPkcs1Sha384,
                S::RsaPkcs1Sha512,
            ],
            Self::EcP256 | Self::EcP256k => &[S::EcdsaSha256],
            Self::EcP384 => &[S::EcdsaSha384],
            Self::EcP521 => &[S::EcdsaSha512],
            Self::EcSm2 => &[S::Sm2Dsa],
            Self::MlDsa44 | Self::MlDsa65 | Self::MlDsa87 => &[S::MlDsaShake256],
            _ => &[],
        }
    }

    /// The encryption algorithms of an ENCRYPT/DECRYPT key pair of this spec (empty for
    /// symmetric keys, whose one algorithm each dialect names itself).
    #[must_use]
    pub const fn encryption_algorithms(self) -> &'static [AsymmetricAlgorithm] {
        match self {
            Self::Rsa2048 | Self::Rsa3072 | Self::Rsa4096 => &[
                AsymmetricAlgorithm::RsaOaepSha1,
                AsymmetricAlgorithm::RsaOaepSha256,
            ],
            Self::EcSm2 => &[AsymmetricAlgorithm::Sm2Pke],
            _ => &[],
        }
    }

    /// The one MAC algorithm of an HMAC spec.
    #[must_use]
    pub const fn mac_algorithm(self) -> Option<MacAlgorithm> {
        match self {
            Self::Hmac224 => Some(MacAlgorithm::HmacSha224),
            Self::Hmac256 => Some(MacAlgorithm::HmacSha256),
            Self::Hmac384 => Some(MacAlgorithm::HmacSha384),
            Self::Hmac512 => Some(MacAlgorithm::HmacSha512),
            Self::HmacSm3 => Some(MacAlgorithm::HmacSm3),
            _ => None,
        }
    }

    /// True for the curves that do ECDH on KEY_AGREEMENT keys.
    #[must_use]
    pub const fn key_agreement(self) -> bool {
        matches!(
            self,
            Self::EcP256 | Self::EcP384 | Self::EcP521 | Self::EcSm2
        )
    }
}

closed_enum!(
    /// What the key may be used for.
    pub enum KeyUsage {
        /// Encryption and decryption (symmetric, RSA-OAEP, SM2PKE).
        EncryptDecrypt = "ENCRYPT/DECRYPT",
        /// Signing and verification.
        SignVerify = "SIGN/VERIFY",
        /// HMAC generation and verification.
        GenerateVerifyMac = "GENERATE/VERIFY_MAC",
        /// ECDH key agreement.
        KeyAgreement = "KEY_AGREEMENT",
        /// ML-KEM encapsulation and decapsulation.
        KeyEncapsulation = "ENCAPSULATE/DECAPSULATE",
    }
);
serde_by_name!(KeyUsage);

closed_enum!(
    /// A signing algorithm (named as AWS names them; the Aliyun dialect maps its own).
    pub enum SigningAlgorithm {
        /// RSASSA-PSS, SHA-256, MGF1-SHA-256, salt 32.
        RsaPssSha256 = "RSASSA_PSS_SHA_256",
        /// RSASSA-PSS, SHA-384, MGF1-SHA-384, salt 48.
        RsaPssSha384 = "RSASSA_PSS_SHA_384",
        /// RSASSA-PSS, SHA-512, MGF1-SHA-512, salt 64.
        RsaPssSha512 = "RSASSA_PSS_SHA_512",
        /// RSASSA-PKCS1-v1_5 with SHA-256.
        RsaPkcs1Sha256 = "RSASSA_PKCS1_V1_5_SHA_256",
        /// RSASSA-PKCS1-v1_5 with SHA-384.
        RsaPkcs1Sha384 = "RSASSA_PKCS1_V1_5_SHA_384",
        /// RSASSA-PKCS1-v1_5 with SHA-512.
        RsaPkcs1Sha512 = "RSASSA_PKCS1_V1_5_SHA_512",
        /// ECDSA with SHA-256 (DER signature).
        EcdsaSha256 = "ECDSA_SHA_256",
        /// ECDSA with SHA-384 (DER signature).
        EcdsaSha384 = "ECDSA_SHA_384",
        /// ECDSA with SHA-512 (DER signature).
        EcdsaSha512 = "ECDSA_SHA_512",
        /// SM2 signature over e = SM3(Z_A ‖ M) (DER signature).
        Sm2Dsa = "SM2DSA",
        /// ML-DSA (pure, empty context).
        MlDsaShake256 = "ML_DSA_SHAKE_256",
    }
);
serde_by_name!(SigningAlgorithm);

impl SigningAlgorithm {
    /// Length of the digest the algorithm signs (for ML-DSA: of `mu`).
    #[must_use]
    pub const fn digest_len(self) -> usize {
        match self {
            Self::RsaPssSha256 | Self::RsaPkcs1Sha256 | Self::EcdsaSha256 | Self::Sm2Dsa => 32,
            Self::RsaPssSha384 | Self::RsaPkcs1Sha384 | Self::EcdsaSha384 => 48,
            Self::RsaPssSha512 | Self::RsaPkcs1Sha512 | Self::EcdsaSha512 | Self::MlDsaShake256 => {
                64
            }
        }
    }
}

closed_enum!(
    /// A public-key encryption algorithm.
    pub enum AsymmetricAlgorithm {
        /// RSAES-OAEP with SHA-1 and MGF1-SHA-1, empty label.
        RsaOaepSha1 = "RSAES_OAEP_SHA_1",
        /// RSAES-OAEP with SHA-256 and MGF1-SHA-256, empty label.
        RsaOaepSha256 = "RSAES_OAEP_SHA_256",
        /// SM2 public-key encryption (GB/T 32918.4).
        Sm2Pke = "SM2PKE",
    }
);
serde_by_name!(AsymmetricAlgorithm);

impl AsymmetricAlgorithm {
    /// The largest plaintext a key of `spec` encrypts with this algorithm (OAEP:
    /// k − 2·hLen − 2; SM2PKE: the service's 6047 bytes).
    #[must_use]
    pub const fn max_plaintext(self, spec: KeySpec) -> usize {
        let k: usize = match spec {
            KeySpec::Rsa2048 => 256,
            KeySpec::Rsa3072 => 384,
            KeySpec::Rsa4096 => 512,
            _ => 0,
        };
        match self {
            Self::RsaOaepSha1 => k.saturating_sub(42),
            Self::RsaOaepSha256 => k.saturating_sub(66),
            Self::Sm2Pke => 6047,
        }
    }
}

closed_enum!(
    /// A MAC algorithm.
    pub enum MacAlgorithm {
        /// HMAC-SHA-224.
        HmacSha224 = "HMAC_SHA_224",
        /// HMAC-SHA-256.
        HmacSha256 = "HMAC_SHA_256",
        /// HMAC-SHA-384.
        HmacSha384 = "HMAC_SHA_384",
        /// HMAC-SHA-512.
        HmacSha512 = "HMAC_SHA_512",
        /// HMAC-SM3.
        HmacSm3 = "HMAC_SM3",
    }
);
serde_by_name!(MacAlgorithm);

closed_enum!(
    /// Where the key material comes from.
    pub enum Origin {
        /// Generated by the KMS.
        Kms = "Aliyun_KMS",
        /// Imported by the caller (bring your own key).
        External = "EXTERNAL",
    }
);
serde_by_name!(Origin);

closed_enum!(
    /// Protection level (accepted and reported; both are software here).
    pub enum ProtectionLevel {
        /// Software-protected.
        Software = "SOFTWARE",
        /// HSM-protected on the real service.
        Hsm = "HSM",
    }
);
serde_by_name!(ProtectionLevel);

closed_enum!(
    /// Key state.
    pub enum KeyState {
        /// Usable.
        Enabled = "Enabled",
        /// Disabled by the owner.
        Disabled = "Disabled",
        /// Scheduled for deletion.
        PendingDeletion = "PendingDeletion",
        /// External key without (valid) material.
        PendingImport = "PendingImport",
    }
);
serde_by_name!(KeyState);

closed_enum!(
    /// How a version other than a key's first came to be.
    pub enum RotationKind {
        /// Made by automatic rotation, on the clock.
        Automatic = "Automatic",
        /// Made on request (AWS RotateKeyOnDemand, Aliyun CreateKeyVersion).
        OnDemand = "OnDemand",
    }
);
serde_by_name!(RotationKind);

/// One version of a key's material.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyVersion {
    /// Version ID (a UUID).
    pub id: String,
    /// Creation time, epoch seconds (for a version made by rotation: when it became
    /// primary; for imported material waiting to become primary: when it was imported).
    pub created: i64,
    /// The material sealed under the root key (base64), absent while there is none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sealed_material: Option<String>,
    /// How the version was made; `None` for a key's first version and for imported
    /// material that has not become primary yet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotation: Option<RotationKind>,
    /// For imported material: the fingerprint that binds this version to it for ever (the
    /// first version of an EXTERNAL key written before versions had one uses
    /// [`KeyRecord::material_fingerprint`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub material_fingerprint: Option<String>,
    /// The caller's description of imported material (AWS `KeyMaterialDescription`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub material_description: Option<String>,
}

impl KeyVersion {
    /// A version without material yet.
    #[must_use]
    pub fn new(id: String, created: i64) -> Self {
        Self {
            id,
            created,
            sealed_material: None,
            rotation: None,
            material_fingerprint: None,
            material_description: None,
        }
    }
}

/// Automatic rotation of a key that has it enabled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RotationPolicy {
    /// Seconds between rotations.
    pub interval: i64,
    /// When the next rotation is due, epoch seconds.
    pub next: i64,
}

/// A key as the store keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyRecord {
    /// Key ID.
    pub key_id: String,
    /// Store revision for compare-and-swap updates; maintained by the store, not serialised.
    #[serde(skip)]
    pub revision: u64,
    /// Material kind.
    pub spec: KeySpec,
    /// Usage.
    pub usage: KeyUsage,
    /// Origin of the material.
    pub origin: Origin,
    /// Protection level.
    pub protection_level: ProtectionLevel,
    /// Free text.
    #[serde(default)]
    pub description: String,
    /// State as last written (expiry is applied by the service before anyone looks).
    pub state: KeyState,
    /// Creation time, epoch seconds.
    pub created: i64,
    /// Account UID of the creator.
    pub creator: String,
    /// When a PendingDeletion key is deleted, epoch seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete_date: Option<i64>,
    /// When imported material expires, epoch seconds; `None` = never (or no material).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub material_expire: Option<i64>,
    /// HMAC fingerprint of the first imported material: binds the key to it for ever.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub material_fingerprint: Option<String>,
    /// The version Encrypt uses.
    pub primary_version: String,
    /// All versions, oldest first.
    pub versions: Vec<KeyVersion>,
    /// Tags.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    /// Automatic rotation, when enabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotation: Option<RotationPolicy>,
    /// Deletion protection, when enabled: its description (may be empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deletion_protection: Option<String>,
    /// The key policy exactly as it was set (byte for byte); `None` until one is set, when
    /// each dialect reports its service's default policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    /// Grants on the key, oldest first (stored and listed; not enforced yet).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub grants: Vec<Grant>,
    /// The deletion window in days, while PendingDeletion.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_window_days: Option<i64>,
    /// The last successful cryptographic use, as last flushed from memory (see
    /// `Kms::flush_usage`): recent uses may be newer than this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used: Option<KeyUse>,
}

impl KeyRecord {
    /// The primary version.
    #[must_use]
    pub fn primary(&self) -> Option<&KeyVersion> {
        self.versions.iter().find(|v| v.id == self.primary_version)
    }

    /// A version by ID.
    #[must_use]
    pub fn version(&self, id: &str) -> Option<&KeyVersion> {
        self.versions.iter().find(|v| v.id == id)
    }

    /// True when some version holds material.
    #[must_use]
    pub fn has_material(&self) -> bool {
        self.versions.iter().any(|v| v.sealed_material.is_some())
    }

    /// True when the primary version holds material.
    #[must_use]
    pub fn primary_has_material(&self) -> bool {
        self.primary().is_some_and(|v| v.sealed_material.is_some())
    }

    /// Where the primary version is in [`KeyRecord::versions`].
    #[must_use]
    pub fn primary_index(&self) -> usize {
        self.versions
            .iter()
            .position(|v| v.id == self.primary_version)
            .unwrap_or(0)
    }

    /// The fingerprint of the material a version is bound to, if any.
    #[must_use]
    pub fn version_fingerprint(&self, index: usize) -> Option<&str> {
        let v = self.versions.get(index)?;
        v.material_fingerprint.as_deref().or_else(|| {
            (index == 0)
                .then_some(self.material_fingerprint.as_deref())
                .flatten()
        })
    }

    /// The identifier of a version's material (AWS `KeyMaterialId`, 64 lowercase hex):
    /// for imported material, the fingerprint that binds the version to it; for material
    /// the KMS made, a digest of the key and version IDs (never of the material). `None`
    /// for an EXTERNAL version that was never given material.
    #[must_use]
    pub fn material_id(&self, index: usize) -> Option<String> {
        use sha2::Digest as _;
        match self.origin {
            Origin::External => self.version_fingerprint(index).map(str::to_owned),
            Origin::Kms => {
                let v = self.versions.get(index)?;
                let mut h = sha2::Sha256::new();
                h.update(b"qkms key material id v1\0");
                h.update(self.key_id.as_bytes());
                h.update([0]);
                h.update(v.id.as_bytes());
                Some(hex::encode(h.finalize()))
            }
        }
    }

    /// Where the version bound to material `id` is, if any.
    #[must_use]
    pub fn version_of_material(&self, id: &str) -> Option<usize> {
        (0..self.versions.len()).find(|&i| self.material_id(i).as_deref() == Some(id))
    }

    /// Imported versions that wait to become primary (after the primary, oldest first).
    #[must_use]
    pub fn pending_versions(&self) -> &[KeyVersion] {
        self.versions
            .get(self.primary_index() + 1..)
            .unwrap_or_default()
    }

    /// When automatic rotation is due, if it is enabled and not suspended (a key rotates
    /// only while Enabled).
    #[must_use]
    pub fn rotation_due(&self) -> Option<i64> {
        self.rotation
            .filter(|_| self.state == KeyState::Enabled)
            .map(|r| r.next)
    }

    /// The earliest time at which the service must act on this key by itself
    /// (material expiry, the end of the deletion window, automatic rotation).
    #[must_use]
    pub fn due_at(&self) -> Option<i64> {
        let expiry = self.material_expire.filter(|_| self.has_material());
        [expiry, self.delete_date, self.rotation_due()]
            .into_iter()
            .flatten()
            .min()
    }
}

closed_enum!(
    /// What a grant allows (each valid for some keys only: [`GrantOperation::valid_for`]).
    pub enum GrantOperation {
        /// Decrypt.
        Decrypt = "Decrypt",
        /// Encrypt.
        Encrypt = "Encrypt",
        /// GenerateDataKey.
        GenerateDataKey = "GenerateDataKey",
        /// GenerateDataKeyWithoutPlaintext.
        GenerateDataKeyWithoutPlaintext = "GenerateDataKeyWithoutPlaintext",
        /// The decrypting half of ReEncrypt.
        ReEncryptFrom = "ReEncryptFrom",
        /// The encrypting half of ReEncrypt.
        ReEncryptTo = "ReEncryptTo",
        /// CreateGrant (a grant that lets the grantee grant on).
        CreateGrant = "CreateGrant",
        /// RetireGrant.
        RetireGrant = "RetireGrant",
        /// DescribeKey.
        DescribeKey = "DescribeKey",
        /// GenerateDataKeyPair (its private key is encrypted under this key).
        GenerateDataKeyPair = "GenerateDataKeyPair",
        /// GenerateDataKeyPairWithoutPlaintext.
        GenerateDataKeyPairWithoutPlaintext = "GenerateDataKeyPairWithoutPlaintext",
        /// Sign.
        Sign = "Sign",
        /// Verify.
        Verify = "Verify",
        /// GetPublicKey.
        GetPublicKey = "GetPublicKey",
        /// GenerateMac.
        GenerateMac = "GenerateMac",
        /// VerifyMac.
        VerifyMac = "VerifyMac",
        /// DeriveSharedSecret.
        DeriveSharedSecret = "DeriveSharedSecret",
        /// Encapsulate.
        Encapsulate = "Encapsulate",
        /// Decapsulate.
        Decapsulate = "Decapsulate",
    }
);
serde_by_name!(GrantOperation);

impl GrantOperation {
    /// Whether a grant on a key of `spec` and `usage` may allow this operation (AWS's
    /// rule: only operations the key can perform, plus the grant and describe ones).
    #[must_use]
    pub fn valid_for(self, spec: KeySpec, usage: KeyUsage) -> bool {
        use GrantOperation as G;
        if matches!(self, G::CreateGrant | G::RetireGrant | G::DescribeKey) {
            return true;
        }
        match usage {
            KeyUsage::EncryptDecrypt if spec.is_symmetric() => matches!(
                self,
                G::Decrypt
                    | G::Encrypt
                    | G::GenerateDataKey
                    | G::GenerateDataKeyWithoutPlaintext
                    | G::ReEncryptFrom
                    | G::ReEncryptTo
                    | G::GenerateDataKeyPair
                    | G::GenerateDataKeyPairWithoutPlaintext
            ),
            KeyUsage::EncryptDecrypt => matches!(
                self,
                G::Decrypt | G::Encrypt | G::ReEncryptFrom | G::ReEncryptTo | G::GetPublicKey
            ),
            KeyUsage::SignVerify => matches!(self, G::Sign | G::Verify | G::GetPublicKey),
            KeyUsage::GenerateVerifyMac => matches!(self, G::GenerateMac | G::VerifyMac),
            KeyUsage::KeyAgreement => matches!(self, G::DeriveSharedSecret | G::GetPublicKey),
            KeyUsage::KeyEncapsulation => {
                matches!(self, G::Encapsulate | G::Decapsulate | G::GetPublicKey)
            }
        }
    }
}

/// A grant's encryption-context constraint (at most one of the two kinds).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum GrantConstraint {
    /// The request's context must include these pairs.
    Subset(EncryptionContext),
    /// The request's context must be exactly these pairs.
    Equals(EncryptionContext),
}

/// A grant: permission for a grantee to use a key for some operations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    /// Grant ID (64 lowercase hex digits).
    pub id: String,
    /// Friendly name, which makes CreateGrant idempotent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Creation time, epoch seconds.
    pub created: i64,
    /// Who gets the permissions.
    pub grantee: String,
    /// Who may retire the grant besides its grantee and the key's account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retiring: Option<String>,
    /// The account that issued the grant.
    pub issuing_account: String,
    /// What it allows, without duplicates.
    pub operations: Vec<GrantOperation>,
    /// Its encryption-context constraint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub constraint: Option<GrantConstraint>,
}

closed_enum!(
    /// A cryptographic operation, as last-use tracking records it.
    pub enum UseOperation {
        /// Encrypt.
        Encrypt = "Encrypt",
        /// Decrypt.
        Decrypt = "Decrypt",
        /// ReEncrypt (both keys).
        ReEncrypt = "ReEncrypt",
        /// GenerateDataKey.
        GenerateDataKey = "GenerateDataKey",
        /// GenerateDataKeyWithoutPlaintext.
        GenerateDataKeyWithoutPlaintext = "GenerateDataKeyWithoutPlaintext",
        /// Sign.
        Sign = "Sign",
        /// Verify (a valid signature).
        Verify = "Verify",
        /// GenerateMac.
        GenerateMac = "GenerateMac",
        /// VerifyMac (a valid MAC).
        VerifyMac = "VerifyMac",
        /// GenerateDataKeyPair.
        GenerateDataKeyPair = "GenerateDataKeyPair",
        /// GenerateDataKeyPairWithoutPlaintext.
        GenerateDataKeyPairWithoutPlaintext = "GenerateDataKeyPairWithoutPlaintext",
        /// DeriveSharedSecret.
        DeriveSharedSecret = "DeriveSharedSecret",
        /// Encapsulate.
        Encapsulate = "Encapsulate",
        /// Decapsulate.
        Decapsulate = "Decapsulate",
    }
);
serde_by_name!(UseOperation);

/// When and how a key was last used for cryptography.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyUse {
    /// Epoch seconds.
    pub at: i64,
    /// The operation.
    pub operation: UseOperation,
}

/// An alias: a friendly name pointing at a key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alias {
    /// Full name, `alias/...`.
    pub name: String,
    /// Target key ID.
    pub key_id: String,
    /// Creation time, epoch seconds.
    pub created: i64,
}

/// Encryption context: associated data given as string pairs and compared as a map.
pub type EncryptionContext = BTreeMap<String, String>;

/// A key as a request names it, once its protocol has parsed its own grammar (IDs, ARNs,
/// alias names, alias ARNs): the service resolves it, and never sees an ARN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyRef {
    /// A key ID.
    Id(String),
    /// An alias, by its full name (`alias/...`).
    Alias(String),
}

impl KeyRef {
    /// `alias/...` names an alias, anything else a key ID (for protocols whose plain
    /// identifiers use that one grammar).
    #[must_use]
    pub fn plain(name: &str) -> Self {
        if name.starts_with("alias/") {
            Self::Alias(name.to_owned())
        } else {
            Self::Id(name.to_owned())
        }
    }
}
