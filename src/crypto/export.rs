//! Encryption of a data key to a caller's public key (ExportDataKey,
//! GenerateAndExportDataKey): RSAES-OAEP, PKCS #1 v2.2 / RFC 8017 §7.1, with SHA-1 or
//! SHA-256 and MGF1 over the same hash; or SM2PKE (GB/T 32918.4) to an SM2 key, output
//! raw `04 ‖ C1 ‖ C3 ‖ C2` as AsymmetricEncrypt's (`crypto::sm2pke`).
//!
//! The `rsa` crate is used, not AWS-LC, because only it takes the random source as an
//! argument: OAEP's seed then comes from the service's entropy, so `--deterministic`
//! reproduces every exported data key. Encryption is a public-key operation on data the
//! service chose, so there is no side channel to guard here.

use rsa::pkcs8::DecodePublicKey as _;
use rsa::traits::PublicKeyParts as _;

use super::random::{Entropy, EntropyRng};

/// The OAEP hash (also MGF1's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OaepHash {
    /// SHA-1 (`RSAES_OAEP_SHA_1`).
    Sha1,
    /// SHA-256 (`RSAES_OAEP_SHA_256`).
    Sha256,
}

impl OaepHash {
    /// The digest size in bytes.
    const fn len(self) -> usize {
        match self {
            Self::Sha1 => 20,
            Self::Sha256 => 32,
        }
    }
}

/// Largest message SM2PKE takes (AsymmetricEncrypt's limit).
pub const MAX_SM2_MESSAGE: usize = 6047;

/// Why a public key cannot take an export.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExportError {
    /// The bytes are not a DER SubjectPublicKeyInfo of an SM2 key.
    #[error("not a DER SubjectPublicKeyInfo of an SM2 public key")]
    NotAnSm2Key,
    /// The bytes are not a DER SubjectPublicKeyInfo of an RSA key of 2048 to 4096 bits.
    #[error("not a DER SubjectPublicKeyInfo of an RSA public key")]
    NotAnRsaKey,
    /// The message is longer than OAEP allows for this key and hash.
    #[error("at most {max} bytes fit")]
    TooLong {
        /// The most that fits.
        max: usize,
    },
    /// The random source failed.
    #[error("the random source failed")]
    Random,
}

/// A caller's SM2 public key.
#[derive(Debug, Clone)]
pub struct Sm2ExportKey {
    key: sm2::PublicKey,
}

impl Sm2ExportKey {
    /// Parses a DER SubjectPublicKeyInfo with the SM2 curve OID.
    ///
    /// # Errors
    /// [`ExportError::NotAnSm2Key`].
    pub fn from_spki(der: &[u8]) -> Result<Self, ExportError> {
        use sm2::pkcs8::DecodePublicKey as _;
        sm2::PublicKey::from_public_key_der(der)
            .map(|key| Self { key })
            .map_err(|_| ExportError::NotAnSm2Key)
    }

    /// SM2PKE of `msg`, raw `04 ‖ C1 ‖ C3 ‖ C2`, k drawn from `entropy`.
    ///
    /// # Errors
    /// [`ExportError::TooLong`], [`ExportError::Random`].
    pub fn encrypt(&self, msg: &[u8], entropy: &dyn Entropy) -> Result<Vec<u8>, ExportError> {
        if msg.len() > MAX_SM2_MESSAGE {
            return Err(ExportError::TooLong {
                max: MAX_SM2_MESSAGE,
            });
        }
        super::sm2pke::encrypt(&self.key, msg, entropy).map_err(|_| ExportError::Random)
    }
}

/// A caller's RSA public key.
#[derive(Debug, Clone)]
pub struct ExportKey {
    key: rsa::PublicKey,
}

impl ExportKey {
    /// Parses a DER SubjectPublicKeyInfo.
    ///
    /// # Errors
    /// [`ExportError::NotAnRsaKey`].
    pub fn from_spki(der: &[u8]) -> Result<Self, ExportError> {
        rsa::PublicKey::from_public_key_der(der)
            .map(|key| Self { key })
            .map_err(|_| ExportError::NotAnRsaKey)
    }

    /// The modulus size in bits.
    #[must_use]
    pub fn bits(&self) -> u32 {
        self.key.n().bit_width()
    }

    /// The longest message OAEP with `hash` can carry under this key (k − 2·hLen − 2).
    #[must_use]
    pub fn max_message(&self, hash: OaepHash) -> usize {
        self.key.size().saturating_sub(2 * hash.len() + 2)
    }

    /// RSAES-OAEP-ENCRYPT of `msg`, the seed drawn from `entropy`.
    ///
    /// # Errors
    /// [`ExportError::TooLong`], [`ExportError::Random`].
    pub fn encrypt(
        &self,
        hash: OaepHash,
        msg: &[u8],
        entropy: &dyn Entropy,
    ) -> Result<Vec<u8>, ExportError> {
        let max = self.max_message(hash);
        if msg.len() > max {
            return Err(ExportError::TooLong { max });
        }
        let mut rng = EntropyRng(entropy);
        let out = match hash {
            OaepHash::Sha1 => self
                .key
                .encrypt(&mut rng, rsa::Oaep::<sha1::Sha1>::new(), msg),
            OaepHash::Sha256 => self
                .key
                .encrypt(&mut rng, rsa::Oaep::<sha2::Sha256>::new(), msg),
        };
        out.map_err(|_| ExportError::Random)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::random::OsEntropy;
    use crate::crypto::wrap::{WrappingAlgorithm, WrappingKey, WrappingKeySpec};

    #[test]
    fn exports_open_with_the_private_key() {
        let pair = WrappingKey::generate_spec(WrappingKeySpec::Rsa2048).unwrap();
        let key = ExportKey::from_spki(&pair.public_key_spki().unwrap()).unwrap();
        assert_eq!(key.bits(), 2048);
        for (hash, alg) in [
            (OaepHash::Sha1, WrappingAlgorithm::RsaesOaepSha1),
            (OaepHash::Sha256, WrappingAlgorithm::RsaesOaepSha256),
        ] {
            let msg = [7u8; 32];
            let c = key.encrypt(hash, &msg, &OsEntropy).unwrap();
            assert_eq!(c.len(), 256);
            assert_eq!(pair.unwrap(alg, &c).unwrap().expose(), &msg);
            let max = key.max_message(hash);
            assert!(key.encrypt(hash, &vec![1; max], &OsEntropy).is_ok());
            assert_eq!(
                key.encrypt(hash, &vec![1; max + 1], &OsEntropy),
                Err(ExportError::TooLong { max })
            );
        }
        assert_eq!(key.max_message(OaepHash::Sha256), 190);
    }

    #[test]
    fn sm2_exports_open_with_the_private_key() {
        let pair = WrappingKey::generate_spec(WrappingKeySpec::EcSm2).unwrap();
        let spki = pair.public_key_spki().unwrap();
        assert_eq!(spki.len(), 91);
        assert!(ExportKey::from_spki(&spki).is_err());
        let key = Sm2ExportKey::from_spki(&spki).unwrap();
        let msg = [3u8; 32];
        let c = key.encrypt(&msg, &OsEntropy).unwrap();
        assert_eq!((c.len(), c[0]), (32 + 97, 0x04));
        assert_eq!(
            pair.unwrap(WrappingAlgorithm::Sm2Pke, &c).unwrap().expose(),
            &msg
        );
        let rsa = WrappingKey::generate_spec(WrappingKeySpec::Rsa2048).unwrap();
        assert_eq!(
            Sm2ExportKey::from_spki(&rsa.public_key_spki().unwrap()).unwrap_err(),
            ExportError::NotAnSm2Key
        );
    }

    #[test]
    fn refuses_what_is_not_an_rsa_spki() {
        for bad in [&b""[..], b"\x30\x03\x02\x01\x01", &[0u8; 294]] {
            assert_eq!(
                ExportKey::from_spki(bad).unwrap_err(),
                ExportError::NotAnRsaKey
            );
        }
    }
}
