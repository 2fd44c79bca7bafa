//! Wrapping key pairs for the bring-your-own-key import, and the unwrap of imported
//! material: RSA (RSAES-PKCS1-v1_5 and RSAES-OAEP, PKCS #1 v2.2 / RFC 8017) and SM2
//! (SM2PKE, GB/T 32918.4, in every ciphertext layout `crypto::sm2pke` accepts).
//!
//! SM2 wrapping keys go only with `SM2PKE` and RSA keys only with the RSA algorithms: a
//! ciphertext of the other family never unwraps. SM2 keys cost microseconds to make, so
//! they are generated on demand rather than pooled.
//!
//! # Which RSA implementation, and why
//!
//! The import path decrypts ciphertext that the caller chose, so the private-key operation
//! must be constant-time, and it sets the import throughput. We use **`aws-lc-rs`** (AWS-LC,
//! a BoringSSL descendant with constant-time, blinded RSA and a FIPS-validated lineage) for
//! key generation and every standard unwrap: about 4,100 RSA-2048 private operations/s on
//! our machines against about 600/s for the pure-Rust `rsa` crate, whose 0.9 line also
//! carries RUSTSEC-2023-0071 (Marvin).
//!
//! AWS-LC offers OAEP only with matching hash and MGF1 hash. `RSAES_OAEP_SHA_256` is
//! specified with MGF1-SHA-256, but Java's `OAEPWithSHA-256AndMGF1Padding` default sends
//! MGF1-SHA-1, so when the standard unwrap fails we retry once with `rsa` 0.10 (which
//! addresses the Marvin advisory with constant-time `crypto-bigint`) configured for
//! SHA-256 + MGF1-SHA-1. The retry is taken exactly when the first attempt fails, which
//! the caller learns anyway from the error, so it adds no new oracle.
//!
//! Known limit: PKCS #1 v1.5 decryption reports padding failures as errors (no implicit
//! rejection), so `RSAES_PKCS1_V1_5` is a padding oracle by nature, narrowed here because
//! every failure, wrong length included, maps to the same `InvalidKeyMaterial`. Prefer OAEP.

use std::fmt;

use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der, PublicKeyX509Der};
use aws_lc_rs::rsa::{
    KeySize, OAEP_SHA1_MGF1SHA1, OAEP_SHA256_MGF1SHA256, OaepPrivateDecryptingKey,
    Pkcs1PrivateDecryptingKey, PrivateDecryptingKey,
};
use rsa::pkcs8::DecodePrivateKey as _;

use super::SecretBytes;
use super::random::{Entropy, EntropyRng};

/// How the caller wrapped the key material.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WrappingAlgorithm {
    /// RSAES-PKCS1-v1_5.
    RsaesPkcs1V15,
    /// RSAES-OAEP with SHA-1 and MGF1-SHA-1.
    RsaesOaepSha1,
    /// RSAES-OAEP with SHA-256 and MGF1-SHA-256 (MGF1-SHA-1 also accepted).
    RsaesOaepSha256,
    /// RSA-OAEP (SHA-1) of an ephemeral AES key, then AES key wrap with padding (RFC 5649)
    /// of the material under it (PKCS #11 `CKM_RSA_AES_KEY_WRAP`).
    RsaAesKeyWrapSha1,
    /// As [`WrappingAlgorithm::RsaAesKeyWrapSha1`] with OAEP SHA-256.
    RsaAesKeyWrapSha256,
    /// SM2 public-key encryption (GB/T 32918.4) of the material; EC_SM2 keys only.
    Sm2Pke,
}

impl WrappingAlgorithm {
    /// The wire name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::RsaesPkcs1V15 => "RSAES_PKCS1_V1_5",
            Self::RsaesOaepSha1 => "RSAES_OAEP_SHA_1",
            Self::RsaesOaepSha256 => "RSAES_OAEP_SHA_256",
            Self::RsaAesKeyWrapSha1 => "RSA_AES_KEY_WRAP_SHA_1",
            Self::RsaAesKeyWrapSha256 => "RSA_AES_KEY_WRAP_SHA_256",
            Self::Sm2Pke => "SM2PKE",
        }
    }

    /// Parses a wire name (case-sensitive, as the service is).
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::RsaesPkcs1V15,
            Self::RsaesOaepSha1,
            Self::RsaesOaepSha256,
            Self::RsaAesKeyWrapSha1,
            Self::RsaAesKeyWrapSha256,
            Self::Sm2Pke,
        ]
        .into_iter()
        .find(|a| a.as_str() == s)
    }

    /// Whether a wrapping key of `spec` unwraps this algorithm (SM2PKE goes only with
    /// EC_SM2, and EC_SM2 only with SM2PKE).
    #[must_use]
    pub fn pairs_with(self, spec: WrappingKeySpec) -> bool {
        (self == Self::Sm2Pke) == (spec == WrappingKeySpec::EcSm2)
    }
}

/// Size of a wrapping key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WrappingKeySpec {
    /// RSA-2048 (the only size the Aliyun dialect offers; pooled).
    Rsa2048,
    /// RSA-3072.
    Rsa3072,
    /// RSA-4096.
    Rsa4096,
    /// SM2 (generated on demand: it is cheap).
    EcSm2,
}

impl WrappingKeySpec {
    /// The wire name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Rsa2048 => "RSA_2048",
            Self::Rsa3072 => "RSA_3072",
            Self::Rsa4096 => "RSA_4096",
            Self::EcSm2 => "EC_SM2",
        }
    }

    /// Parses a wire name.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Rsa2048, Self::Rsa3072, Self::Rsa4096, Self::EcSm2]
            .into_iter()
            .find(|k| k.as_str() == s)
    }

    /// The RSA key size, `None` for SM2.
    const fn key_size(self) -> Option<KeySize> {
        match self {
            Self::Rsa2048 => Some(KeySize::Rsa2048),
            Self::Rsa3072 => Some(KeySize::Rsa3072),
            Self::Rsa4096 => Some(KeySize::Rsa4096),
            Self::EcSm2 => None,
        }
    }
}

/// Key generation, encoding or decoding of a wrapping key failed.
#[derive(Debug, thiserror::Error)]
#[error("wrapping key operation failed")]
pub struct WrapKeyError;

/// Unwrapping failed: the ciphertext was not made with this key and algorithm.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unwrap failed")]
pub struct UnwrapError;

/// A wrapping key pair: RSA or SM2.
#[derive(Clone)]
pub struct WrappingKey {
    private: Private,
}

#[derive(Clone)]
enum Private {
    Rsa(PrivateDecryptingKey),
    Sm2(sm2::SecretKey),
}

impl fmt::Debug for WrappingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WrappingKey([REDACTED])")
    }
}

impl WrappingKey {
    /// Generates a fresh RSA-2048 key pair (tens of milliseconds: call off the executor).
    ///
    /// # Errors
    /// [`WrapKeyError`] if AWS-LC fails.
    pub fn generate() -> Result<Self, WrapKeyError> {
        Self::generate_spec(WrappingKeySpec::Rsa2048)
    }

    /// Generates a fresh key pair of `spec` (RSA-4096 takes up to a second; SM2
    /// microseconds).
    ///
    /// # Errors
    /// [`WrapKeyError`] if AWS-LC or the random source fails.
    pub fn generate_spec(spec: WrappingKeySpec) -> Result<Self, WrapKeyError> {
        let Some(size) = spec.key_size() else {
            return Self::generate_sm2(&super::random::OsEntropy);
        };
        PrivateDecryptingKey::generate(size)
            .map(|key| Self {
                private: Private::Rsa(key),
            })
            .map_err(|_| WrapKeyError)
    }

    fn generate_sm2(entropy: &dyn Entropy) -> Result<Self, WrapKeyError> {
        let der = super::asym::generate(crate::model::KeySpec::EcSm2, entropy)
            .map_err(|_| WrapKeyError)?;
        Self::from_pkcs8(der.expose())
    }

    /// Generates a key pair of `spec` from `entropy` with the `rsa` crate, so that a
    /// deterministic entropy source gives the same key every run (`--deterministic`; the
    /// pure-Rust generator is slower and is used for that mode only).
    ///
    /// # Errors
    /// [`WrapKeyError`] if generation or encoding fails.
    pub fn generate_from(
        spec: WrappingKeySpec,
        entropy: &dyn Entropy,
    ) -> Result<Self, WrapKeyError> {
        use rsa::pkcs8::EncodePrivateKey as _;
        let bits = match spec {
            WrappingKeySpec::Rsa2048 => 2048,
            WrappingKeySpec::Rsa3072 => 3072,
            WrappingKeySpec::Rsa4096 => 4096,
            WrappingKeySpec::EcSm2 => return Self::generate_sm2(entropy),
        };
        let key = rsa::PrivateKey::new(&mut EntropyRng(entropy), bits).map_err(|_| WrapKeyError)?;
        let der = key.to_pkcs8_der().map_err(|_| WrapKeyError)?;
        Self::from_pkcs8(der.as_bytes())
    }

    /// Loads a key from PKCS #8 DER: an RSA key, else an SM2 key (the PKCS #8 names its
    /// algorithm and curve, so the two never mix up).
    ///
    /// # Errors
    /// [`WrapKeyError`] if the DER is neither.
    pub fn from_pkcs8(der: &[u8]) -> Result<Self, WrapKeyError> {
        use sm2::pkcs8::DecodePrivateKey as _;
        if let Ok(key) = PrivateDecryptingKey::from_pkcs8(der) {
            return Ok(Self {
                private: Private::Rsa(key),
            });
        }
        sm2::SecretKey::from_pkcs8_der(der)
            .map(|key| Self {
                private: Private::Sm2(key),
            })
            .map_err(|_| WrapKeyError)
    }

    /// The private key as PKCS #8 DER, held as a secret.
    ///
    /// # Errors
    /// [`WrapKeyError`] if the encoder fails.
    pub fn to_pkcs8(&self) -> Result<SecretBytes, WrapKeyError> {
        use sm2::pkcs8::EncodePrivateKey as _;
        match &self.private {
            Private::Rsa(key) => {
                let der: Pkcs8V1Der<'static> = key.as_der().map_err(|_| WrapKeyError)?;
                Ok(SecretBytes::from_slice(der.as_ref()))
            }
            Private::Sm2(key) => {
                let der = key.to_pkcs8_der().map_err(|_| WrapKeyError)?;
                Ok(SecretBytes::from_slice(der.as_bytes()))
            }
        }
    }

    /// The spec of this key (`None` for an RSA size qkms does not issue, which a
    /// PKCS #8 of another origin could have).
    #[must_use]
    pub fn spec(&self) -> Option<WrappingKeySpec> {
        match &self.private {
            Private::Sm2(_) => Some(WrappingKeySpec::EcSm2),
            Private::Rsa(key) => match key.key_size_bits() {
                2048 => Some(WrappingKeySpec::Rsa2048),
                3072 => Some(WrappingKeySpec::Rsa3072),
                4096 => Some(WrappingKeySpec::Rsa4096),
                _ => None,
            },
        }
    }

    /// The public key as DER SubjectPublicKeyInfo (what GetParametersForImport returns;
    /// for SM2: id-ecPublicKey with the SM2 curve OID `1.2.156.10197.1.301`, 91 bytes).
    ///
    /// # Errors
    /// [`WrapKeyError`] if the encoder fails.
    pub fn public_key_spki(&self) -> Result<Vec<u8>, WrapKeyError> {
        use sm2::pkcs8::EncodePublicKey as _;
        match &self.private {
            Private::Rsa(key) => {
                let der: PublicKeyX509Der<'static> =
                    key.public_key().as_der().map_err(|_| WrapKeyError)?;
                Ok(der.as_ref().to_vec())
            }
            Private::Sm2(key) => key
                .public_key()
                .to_public_key_der()
                .map(|d| d.as_bytes().to_vec())
                .map_err(|_| WrapKeyError),
        }
    }

    fn rsa(&self) -> Result<&PrivateDecryptingKey, UnwrapError> {
        match &self.private {
            Private::Rsa(key) => Ok(key),
            Private::Sm2(_) => Err(UnwrapError),
        }
    }

    /// Unwraps `ciphertext` with `algorithm`.
    ///
    /// # Errors
    /// [`UnwrapError`] when the ciphertext does not decrypt under this key and algorithm.
    pub fn unwrap(
        &self,
        algorithm: WrappingAlgorithm,
        ciphertext: &[u8],
    ) -> Result<SecretBytes, UnwrapError> {
        match (&self.private, algorithm) {
            (Private::Sm2(key), WrappingAlgorithm::Sm2Pke) => {
                return super::sm2pke::decrypt(key, ciphertext).map_err(|_| UnwrapError);
            }
            (Private::Sm2(_), _) | (Private::Rsa(_), WrappingAlgorithm::Sm2Pke) => {
                return Err(UnwrapError);
            }
            (Private::Rsa(_), _) => {}
        }
        if matches!(
            algorithm,
            WrappingAlgorithm::RsaAesKeyWrapSha1 | WrappingAlgorithm::RsaAesKeyWrapSha256
        ) {
            return self.unwrap_rsa_aes(algorithm, ciphertext);
        }
        let private = self.rsa()?;
        if ciphertext.len() != private.key_size_bytes() {
            return Err(UnwrapError);
        }
        let mut out = zeroize::Zeroizing::new(vec![0u8; private.key_size_bytes()]);
        let result = match algorithm {
            WrappingAlgorithm::RsaesPkcs1V15 => Pkcs1PrivateDecryptingKey::new(private.clone())
                .map_err(|_| UnwrapError)?
                .decrypt(ciphertext, &mut out)
                .map(|p| SecretBytes::from_slice(p)),
            WrappingAlgorithm::RsaesOaepSha1 => OaepPrivateDecryptingKey::new(private.clone())
                .map_err(|_| UnwrapError)?
                .decrypt(&OAEP_SHA1_MGF1SHA1, ciphertext, &mut out, None)
                .map(|p| SecretBytes::from_slice(p)),
            WrappingAlgorithm::RsaesOaepSha256 => OaepPrivateDecryptingKey::new(private.clone())
                .map_err(|_| UnwrapError)?
                .decrypt(&OAEP_SHA256_MGF1SHA256, ciphertext, &mut out, None)
                .map(|p| SecretBytes::from_slice(p)),
            WrappingAlgorithm::RsaAesKeyWrapSha1
            | WrappingAlgorithm::RsaAesKeyWrapSha256
            | WrappingAlgorithm::Sm2Pke => return Err(UnwrapError),
        };
        match (result, algorithm) {
            (Ok(material), _) => Ok(material),
            (Err(_), WrappingAlgorithm::RsaesOaepSha256) => {
                self.unwrap_oaep_sha256_mgf1_sha1(ciphertext)
            }
            (Err(_), _) => Err(UnwrapError),
        }
    }

    /// `C1 ‖ C2`: C1 = RSA-OAEP of an AES key K (k bytes), C2 = RFC 5649 wrap of the
    /// material under K.
    fn unwrap_rsa_aes(
        &self,
        algorithm: WrappingAlgorithm,
        ciphertext: &[u8],
    ) -> Result<SecretBytes, UnwrapError> {
        use aws_lc_rs::key_wrap::{AES_128, AES_256, KeyEncryptionKey, KeyWrapPadded as _};
        let private = self.rsa()?;
        let k = private.key_size_bytes();
        let (c1, c2) = ciphertext.split_at_checked(k).ok_or(UnwrapError)?;
        if c2.len() < 16 {
            return Err(UnwrapError);
        }
        let oaep = if algorithm == WrappingAlgorithm::RsaAesKeyWrapSha1 {
            &OAEP_SHA1_MGF1SHA1
        } else {
            &OAEP_SHA256_MGF1SHA256
        };
        let mut buf = zeroize::Zeroizing::new(vec![0u8; k]);
        let aes_key = OaepPrivateDecryptingKey::new(private.clone())
            .map_err(|_| UnwrapError)?
            .decrypt(oaep, c1, &mut buf, None)
            .map_err(|_| UnwrapError)?;
        let cipher = match aes_key.len() {
            16 => &AES_128,
            32 => &AES_256,
            _ => return Err(UnwrapError),
        };
        let kek = KeyEncryptionKey::new(cipher, aes_key).map_err(|_| UnwrapError)?;
        let mut out = zeroize::Zeroizing::new(vec![0u8; c2.len()]);
        let material = kek
            .unwrap_with_padding(c2, &mut out)
            .map_err(|_| UnwrapError)?;
        Ok(SecretBytes::from_slice(material))
    }

    /// OAEP with SHA-256 and MGF1-SHA-1, through the `rsa` crate (see the module docs).
    fn unwrap_oaep_sha256_mgf1_sha1(&self, ciphertext: &[u8]) -> Result<SecretBytes, UnwrapError> {
        let der = self.to_pkcs8().map_err(|_| UnwrapError)?;
        let key = rsa::PrivateKey::from_pkcs8_der(der.expose()).map_err(|_| UnwrapError)?;
        key.decrypt(
            rsa::Oaep::<sha2::Sha256, sha1::Sha1>::new_with_mgf_hash(),
            ciphertext,
        )
        .map(SecretBytes::new)
        .map_err(|_| UnwrapError)
    }
}

#[cfg(test)]
mod tests {
    use aws_lc_rs::rsa::{OaepPublicEncryptingKey, Pkcs1PublicEncryptingKey, PublicEncryptingKey};
    use rsa::pkcs8::DecodePublicKey as _;

    use super::*;

    fn encrypt(spki: &[u8], alg: WrappingAlgorithm, msg: &[u8]) -> Vec<u8> {
        let public = PublicEncryptingKey::from_der(spki).unwrap();
        let mut out = vec![0u8; 256];
        let n = match alg {
            WrappingAlgorithm::RsaesPkcs1V15 => Pkcs1PublicEncryptingKey::new(public)
                .unwrap()
                .encrypt(msg, &mut out)
                .unwrap()
                .len(),
            WrappingAlgorithm::RsaesOaepSha1 => OaepPublicEncryptingKey::new(public)
                .unwrap()
                .encrypt(&OAEP_SHA1_MGF1SHA1, msg, &mut out, None)
                .unwrap()
                .len(),
            WrappingAlgorithm::RsaesOaepSha256 => OaepPublicEncryptingKey::new(public)
                .unwrap()
                .encrypt(&OAEP_SHA256_MGF1SHA256, msg, &mut out, None)
                .unwrap()
                .len(),
            other => panic!("not a plain RSA algorithm: {other:?}"),
        };
        out.truncate(n);
        out
    }

    #[test]
    fn unwrap_every_algorithm_and_reject_others() {
        let key = WrappingKey::generate().unwrap();
        let spki = key.public_key_spki().unwrap();
        assert_eq!(spki.len(), 294, "RSA-2048 SPKI DER is 294 bytes");
        let material = [0x42u8; 32];
        for alg in [
            WrappingAlgorithm::RsaesPkcs1V15,
            WrappingAlgorithm::RsaesOaepSha1,
            WrappingAlgorithm::RsaesOaepSha256,
        ] {
            let ct = encrypt(&spki, alg, &material);
            assert_eq!(key.unwrap(alg, &ct).unwrap().expose(), &material);
        }
        // OAEP-SHA-1 ciphertext does not unwrap as OAEP-SHA-256 and vice versa.
        let ct = encrypt(&spki, WrappingAlgorithm::RsaesOaepSha1, &material);
        assert!(key.unwrap(WrappingAlgorithm::RsaesOaepSha256, &ct).is_err());
        // Wrong length and another key's ciphertext fail.
        assert!(
            key.unwrap(WrappingAlgorithm::RsaesOaepSha1, &ct[1..])
                .is_err()
        );
        let other = WrappingKey::generate().unwrap();
        let ct = encrypt(
            &other.public_key_spki().unwrap(),
            WrappingAlgorithm::RsaesOaepSha256,
            &material,
        );
        assert!(key.unwrap(WrappingAlgorithm::RsaesOaepSha256, &ct).is_err());
    }

    #[test]
    fn oaep_sha256_with_mgf1_sha1_is_accepted() {
        let key = WrappingKey::generate().unwrap();
        let public = rsa::PublicKey::from_public_key_der(&key.public_key_spki().unwrap()).unwrap();
        let material = [9u8; 16];
        let ct = public
            .encrypt(
                &mut rsa::rand_core::UnwrapErr(getrandom::SysRng),
                rsa::Oaep::<sha2::Sha256, sha1::Sha1>::new_with_mgf_hash(),
                &material,
            )
            .unwrap();
        assert_eq!(
            key.unwrap(WrappingAlgorithm::RsaesOaepSha256, &ct)
                .unwrap()
                .expose(),
            &material
        );
    }

    #[test]
    fn sm2_wrapping_keys_unwrap_sm2pke_only() {
        use sm2::pkcs8::DecodePublicKey as _;
        let key = WrappingKey::generate_spec(WrappingKeySpec::EcSm2).unwrap();
        assert_eq!(key.spec(), Some(WrappingKeySpec::EcSm2));
        let spki = key.public_key_spki().unwrap();
        assert_eq!(spki.len(), 91, "SM2 SPKI DER is 91 bytes");
        let again = WrappingKey::from_pkcs8(key.to_pkcs8().unwrap().expose()).unwrap();
        assert_eq!(again.spec(), Some(WrappingKeySpec::EcSm2));
        assert_eq!(again.public_key_spki().unwrap(), spki);
        let public = sm2::PublicKey::from_public_key_der(&spki).unwrap();
        let material = [0x5au8; 16];
        let ct =
            crate::crypto::sm2pke::encrypt(&public, &material, &crate::crypto::random::OsEntropy)
                .unwrap();
        for layout in [&ct[..], &ct[1..]] {
            assert_eq!(
                key.unwrap(WrappingAlgorithm::Sm2Pke, layout)
                    .unwrap()
                    .expose(),
                &material
            );
        }
        assert!(key.unwrap(WrappingAlgorithm::RsaesOaepSha256, &ct).is_err());
        let rsa = WrappingKey::generate().unwrap();
        assert!(rsa.unwrap(WrappingAlgorithm::Sm2Pke, &ct).is_err());
        // The pairing rule.
        for spec in [
            WrappingKeySpec::Rsa2048,
            WrappingKeySpec::Rsa3072,
            WrappingKeySpec::Rsa4096,
        ] {
            assert!(!WrappingAlgorithm::Sm2Pke.pairs_with(spec));
            assert!(WrappingAlgorithm::RsaesOaepSha256.pairs_with(spec));
        }
        assert!(WrappingAlgorithm::Sm2Pke.pairs_with(WrappingKeySpec::EcSm2));
        assert!(!WrappingAlgorithm::RsaAesKeyWrapSha256.pairs_with(WrappingKeySpec::EcSm2));
        assert_eq!(
            WrappingKeySpec::parse("EC_SM2"),
            Some(WrappingKeySpec::EcSm2)
        );
        assert_eq!(
            WrappingAlgorithm::parse("SM2PKE"),
            Some(WrappingAlgorithm::Sm2Pke)
        );
    }

    #[test]
    fn pkcs8_round_trip() {
        let key = WrappingKey::generate().unwrap();
        let again = WrappingKey::from_pkcs8(key.to_pkcs8().unwrap().expose()).unwrap();
        assert_eq!(
            key.public_key_spki().unwrap(),
            again.public_key_spki().unwrap()
        );
        assert!(WrappingKey::from_pkcs8(b"junk").is_err());
    }

    /// The known-answer vectors of shared/fixtures/aws-requests/import-vectors.json.
    #[test]
    fn aws_import_vectors_unwrap() {
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::STANDARD;
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/aws-requests");
        let pem = std::fs::read_to_string(format!("{dir}/test-wrapping-key-rsa2048.pem")).unwrap();
        let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        let key = WrappingKey::from_pkcs8(&b64.decode(body).unwrap()).unwrap();
        let vectors: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(format!("{dir}/import-vectors.json")).unwrap(),
        )
        .unwrap();
        let material = hex::decode(vectors["key_material_hex"].as_str().unwrap()).unwrap();
        assert_eq!(
            b64.encode(key.public_key_spki().unwrap()),
            vectors["wrapping_public_key_spki_der_b64"]
                .as_str()
                .unwrap()
        );
        for name in [
            "RSAES_OAEP_SHA_1",
            "RSAES_OAEP_SHA_256",
            "RSA_AES_KEY_WRAP_SHA_1",
            "RSA_AES_KEY_WRAP_SHA_256",
        ] {
            let alg = WrappingAlgorithm::parse(name).unwrap();
            let wrapped = b64.decode(vectors[name].as_str().unwrap()).unwrap();
            assert_eq!(
                key.unwrap(alg, &wrapped).unwrap().expose(),
                material.as_slice(),
                "{name}"
            );
            // A flipped bit anywhere fails.
            let mut bad = wrapped.clone();
            *bad.last_mut().unwrap() ^= 1;
            assert!(key.unwrap(alg, &bad).is_err(), "{name}");
        }
        // The SHA-1 RSA_AES blob does not unwrap as SHA-256.
        let wrapped = b64
            .decode(vectors["RSA_AES_KEY_WRAP_SHA_1"].as_str().unwrap())
            .unwrap();
        assert!(
            key.unwrap(WrappingAlgorithm::RsaAesKeyWrapSha256, &wrapped)
                .is_err()
        );
    }

    #[test]
    fn algorithm_names() {
        for a in ["RSAES_PKCS1_V1_5", "RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"] {
            assert_eq!(WrappingAlgorithm::parse(a).unwrap().as_str(), a);
        }
        assert!(WrappingAlgorithm::parse("rsaes_oaep_sha_1").is_none());
    }
}
