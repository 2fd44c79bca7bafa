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

#[cfg(test)]
mod tests {
    use super::*;

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
