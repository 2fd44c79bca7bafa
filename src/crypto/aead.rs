//! Authenticated encryption for symmetric keys.
//!
//! * `Aliyun_AES_256`: AES-256-GCM, NIST SP 800-38D.
//! * `Aliyun_SM4`: SM4-GCM, RFC 8998 (the GCM mode of `aes-gcm` is generic over the block
//!   cipher, so SM4-GCM is `AesGcm<Sm4, U12>`).
//!
//! Both use a 12-byte nonce and a 16-byte tag appended to the ciphertext.

use aes_gcm::aead::{Aead as _, KeyInit, Payload};
use aes_gcm::aes::cipher::consts::U12;
use aes_gcm::{Aes256Gcm, AesGcm};
use sm4::Sm4;

use super::SecretBytes;

/// SM4 in GCM mode with the standard 96-bit nonce.
type Sm4Gcm = AesGcm<Sm4, U12>;

/// Nonce length of both AEADs, in bytes.
pub const NONCE_LEN: usize = 12;
/// Authentication tag length of both AEADs, in bytes.
pub const TAG_LEN: usize = 16;

/// The symmetric AEADs qkms uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aead {
    /// AES-256-GCM, 32-byte keys.
    Aes256Gcm,
    /// SM4-GCM, 16-byte keys.
    Sm4Gcm,
}

/// Encryption or decryption failed: wrong key length, or an inauthentic ciphertext.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("AEAD operation failed")]
pub struct AeadError;

impl Aead {
    /// The AEAD a symmetric key of `spec` encrypts with; `None` for every other spec.
    /// (Here rather than on `KeySpec`, so that the model stays a leaf module.)
    #[must_use]
    pub const fn of(spec: crate::model::KeySpec) -> Option<Self> {
        match spec {
            crate::model::KeySpec::Aes256 => Some(Self::Aes256Gcm),
            crate::model::KeySpec::Sm4 => Some(Self::Sm4Gcm),
            _ => None,
        }
    }

    /// Key length in bytes.
    #[must_use]
    pub const fn key_len(self) -> usize {
        match self {
            Self::Aes256Gcm => 32,
            Self::Sm4Gcm => 16,
        }
    }

    /// Encrypts `plaintext` and returns `ciphertext ‖ tag`.
    ///
    /// # Errors
    /// [`AeadError`] when the key has the wrong length.
    pub fn seal(
        self,
        key: &SecretBytes,
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        plaintext: &[u8],
    ) -> Result<Vec<u8>, AeadError> {
        let payload = Payload {
            msg: plaintext,
            aad,
        };
        match self {
            Self::Aes256Gcm => Aes256Gcm::new_from_slice(key.expose())
                .map_err(|_| AeadError)?
                .encrypt(nonce.into(), payload),
            Self::Sm4Gcm => Sm4Gcm::new_from_slice(key.expose())
                .map_err(|_| AeadError)?
                .encrypt(nonce.into(), payload),
        }
        .map_err(|_| AeadError)
    }

    /// Decrypts `ciphertext ‖ tag`.
    ///
    /// # Errors
    /// [`AeadError`] when the key has the wrong length or the tag does not verify.
    pub fn open(
        self,
        key: &SecretBytes,
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        ciphertext_and_tag: &[u8],
    ) -> Result<SecretBytes, AeadError> {
        let payload = Payload {
            msg: ciphertext_and_tag,
            aad,
        };
        match self {
            Self::Aes256Gcm => Aes256Gcm::new_from_slice(key.expose())
                .map_err(|_| AeadError)?
                .decrypt(nonce.into(), payload),
            Self::Sm4Gcm => Sm4Gcm::new_from_slice(key.expose())
                .map_err(|_| AeadError)?
                .decrypt(nonce.into(), payload),
        }
        .map(SecretBytes::new)
        .map_err(|_| AeadError)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    /// RFC 8998, Appendix A.1.
    #[test]
    fn sm4_gcm_rfc8998_vector() {
        let key = SecretBytes::new(unhex("0123456789ABCDEFFEDCBA9876543210"));
        let nonce: [u8; 12] = unhex("00001234567800000000ABCD").try_into().unwrap();
        let aad = unhex("FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2");
        let pt = unhex(
            "AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDD\
             EEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFFEEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA",
        );
        let expected = unhex(
            "17F399F08C67D5EE19D0DC9969C4BB7D5FD46FD3756489069157B282BB200735\
             D82710CA5C22F0CCFA7CBF93D496AC15A56834CBCF98C397B4024A2691233B8D\
             83DE3541E4C2B58177E065A9BF7B62EC",
        );
        let sealed = Aead::Sm4Gcm.seal(&key, &nonce, &aad, &pt).unwrap();
        assert_eq!(sealed, expected);
        let opened = Aead::Sm4Gcm.open(&key, &nonce, &aad, &sealed).unwrap();
        assert_eq!(opened.expose(), pt.as_slice());
        let mut tampered = sealed.clone();
        tampered[0] ^= 1;
        assert_eq!(
            Aead::Sm4Gcm.open(&key, &nonce, &aad, &tampered),
            Err(AeadError)
        );
        assert_eq!(
            Aead::Sm4Gcm.open(&key, &nonce, b"other", &sealed),
            Err(AeadError)
        );
    }

    /// NIST GCM test case 16 (AES-256, 60-byte plaintext, 20-byte AAD, 96-bit IV).
    #[test]
    fn aes_256_gcm_nist_vector() {
        let key = SecretBytes::new(unhex(
            "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
        ));
        let nonce: [u8; 12] = unhex("cafebabefacedbaddecaf888").try_into().unwrap();
        let aad = unhex("feedfacedeadbeeffeedfacedeadbeefabaddad2");
        let pt = unhex(
            "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72\
             1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
        );
        let expected = unhex(
            "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa\
             8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662\
             76fc6ece0f4e1768cddf8853bb2d551b",
        );
        let sealed = Aead::Aes256Gcm.seal(&key, &nonce, &aad, &pt).unwrap();
        assert_eq!(sealed, expected);
        let opened = Aead::Aes256Gcm.open(&key, &nonce, &aad, &sealed).unwrap();
        assert_eq!(opened.expose(), pt.as_slice());
    }

    #[test]
    fn wrong_key_length_is_an_error() {
        let key = SecretBytes::new(vec![0; 16]);
        assert_eq!(
            Aead::Aes256Gcm.seal(&key, &[0; 12], b"", b"x"),
            Err(AeadError)
        );
    }
}
