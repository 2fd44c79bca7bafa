//! HMAC (RFC 2104) with SHA-1 and SHA-256: the request signatures of both protocols, the
//! ACS4 and SigV4 key derivations, and the root key's subkeys all use these two helpers.

use hmac::{KeyInit as _, Mac as _};

/// HMAC-SHA-256 of `msg` under `key` (any key length).
#[must_use]
pub fn hmac_sha256(key: &[u8], msg: &[u8]) -> Vec<u8> {
    // HMAC accepts keys of any length, so the error branch cannot happen.
    match hmac::Hmac::<sha2::Sha256>::new_from_slice(key) {
        Ok(mut m) => {
            m.update(msg);
            m.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    }
}

/// HMAC-SHA-1 of `msg` under `key` (any key length).
#[must_use]
pub fn hmac_sha1(key: &[u8], msg: &[u8]) -> Vec<u8> {
    match hmac::Hmac::<sha1::Sha1>::new_from_slice(key) {
        Ok(mut m) => {
            m.update(msg);
            m.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    }
}

/// HMAC of `msg` under `key` with one of the KMS's MAC algorithms (GenerateMac).
#[must_use]
pub fn hmac(alg: crate::model::MacAlgorithm, key: &[u8], msg: &[u8]) -> Vec<u8> {
    use crate::model::MacAlgorithm as A;
    // A macro rather than a generic helper: hmac 0.13's bounds on the digest are many
    // traits deep, and each arm is the same three calls.
    macro_rules! run {
        ($d:ty) => {
            match hmac::Hmac::<$d>::new_from_slice(key) {
                Ok(mut m) => {
                    m.update(msg);
                    m.finalize().into_bytes().to_vec()
                }
                Err(_) => Vec::new(),
            }
        };
    }
    match alg {
        A::HmacSha224 => run!(sha2::Sha224),
        A::HmacSha256 => run!(sha2::Sha256),
        A::HmacSha384 => run!(sha2::Sha384),
        A::HmacSha512 => run!(sha2::Sha512),
        A::HmacSm3 => run!(sm3::Sm3),
    }
}

/// Whether `mac` is the HMAC of `msg` under `key` (VerifyMac), compared in constant time.
#[must_use]
pub fn verify_hmac(alg: crate::model::MacAlgorithm, key: &[u8], msg: &[u8], mac: &[u8]) -> bool {
    use subtle::ConstantTimeEq as _;
    let expected = hmac(alg, key, msg);
    !expected.is_empty() && expected.len() == mac.len() && bool::from(expected.ct_eq(mac))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The crypto sheet's HMAC-SM3 vector (OpenSSL agrees) and RFC 4231 test case 2 for
    /// the SHA-2 family.
    #[test]
    fn kms_mac_algorithms() {
        use crate::model::MacAlgorithm as A;
        let key = hex::decode("00112233445566778899AABBCCDDEEFF").unwrap();
        let msg = b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
        assert_eq!(
            hex::encode(hmac(A::HmacSm3, &key, msg)),
            "dc813339153491ad81477754eb3df00dbb3cc3e6a69f9cacce737db7e61342ff"
        );
        let m = b"what do ya want for nothing?";
        assert_eq!(
            hex::encode(hmac(A::HmacSha224, b"Jefe", m)),
            "a30e01098bc6dbbf45690f3a7e9e6d0f8bbea2a39e6148008fd05e44"
        );
        assert_eq!(
            hex::encode(hmac(A::HmacSha384, b"Jefe", m)),
            "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649"
        );
        assert_eq!(hmac(A::HmacSha512, b"Jefe", m).len(), 64);
        let mac = hmac(A::HmacSha256, b"Jefe", m);
        assert!(verify_hmac(A::HmacSha256, b"Jefe", m, &mac));
        assert!(!verify_hmac(A::HmacSha256, b"Jefe", m, &mac[..31]));
        assert!(!verify_hmac(A::HmacSha256, b"Jeff", m, &mac));
    }

    /// RFC 4231 test case 2 and RFC 2202 test case 2.
    #[test]
    fn known_answers() {
        assert_eq!(
            hex::encode(hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_eq!(
            hex::encode(hmac_sha1(b"Jefe", b"what do ya want for nothing?")),
            "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"
        );
    }
}
