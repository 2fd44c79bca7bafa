//! SM2 public-key encryption (GB/T 32918.4) in the layouts clients send, and SM2 ECDH.
//!
//! The service never documented its ciphertext encoding. Its limits (6047 bytes of
//! plaintext, 6144 of ciphertext: 97 bytes of overhead = the 65-byte point and the 32-byte
//! C3) fit the raw layout, so qkms **emits raw `04 ‖ x ‖ y ‖ C3 ‖ C2`** (C1C3C2, the current
//! standard) and **accepts**, tried in this order (a raw blob may begin with `0x30` or `0x04`
//! by chance, so each failing form falls through to the next):
//!
//! 1. GM/T 0009 DER `SEQUENCE { x INTEGER, y INTEGER, C3 OCTET STRING, C2 OCTET STRING }`
//!    (OpenSSL 3, Go gmsm, Tencent);
//! 2. raw with the `04` point tag, C1C3C2, then C1C2C3 (the 2010 draft, BouncyCastle's
//!    default): the wrong order always fails the C3 check;
//! 3. raw without the tag (Python `gmssl`, several JS libraries), both orders.

use super::SecretBytes;
use super::asym::AsymError;
use super::random::{Entropy, EntropyRng};
use sm2::pke::{DecryptingKey, EncryptingKey, Mode};

/// Encrypts to `public`: raw `04 ‖ C1 ‖ C3 ‖ C2`.
///
/// # Errors
/// [`AsymError::Library`] if the library fails.
pub fn encrypt(
    public: &sm2::PublicKey,
    plaintext: &[u8],
    entropy: &dyn Entropy,
) -> Result<Vec<u8>, AsymError> {
    EncryptingKey::new_with_mode(*public, Mode::C1C3C2)
        .encrypt(&mut EntropyRng(entropy), plaintext)
        .map_err(|_| AsymError::Library)
}

/// Decrypts a ciphertext in any accepted layout (see the module documentation).
///
/// # Errors
/// [`AsymError::BadInput`] when no layout decrypts.
pub fn decrypt(secret: &sm2::SecretKey, ciphertext: &[u8]) -> Result<SecretBytes, AsymError> {
    let c1c3c2 = DecryptingKey::new_with_mode(secret.to_nonzero_scalar(), Mode::C1C3C2);
    if ciphertext.first() == Some(&0x30)
        && let Ok(m) = c1c3c2.decrypt_der(ciphertext)
    {
        return Ok(SecretBytes::new(m));
    }
    let c1c2c3 = DecryptingKey::new_with_mode(secret.to_nonzero_scalar(), Mode::C1C2C3);
    let try_raw = |raw: &[u8]| {
        c1c3c2
            .decrypt(raw)
            .or_else(|_| c1c2c3.decrypt(raw))
            .ok()
            .map(SecretBytes::new)
    };
    if ciphertext.first() == Some(&0x04)
        && let Some(m) = try_raw(ciphertext)
    {
        return Ok(m);
    }
    if ciphertext.len() > 96 {
        let mut tagged = zeroize::Zeroizing::new(Vec::with_capacity(ciphertext.len() + 1));
        tagged.push(0x04);
        tagged.extend_from_slice(ciphertext);
        if let Some(m) = try_raw(&tagged) {
            return Ok(m);
        }
    }
    Err(AsymError::BadInput)
}

/// SM2 ECDH: the x-coordinate of d·Q for the key's scalar d and the peer's point Q.
///
/// # Errors
/// [`AsymError::BadInput`] for a peer key that is not an SM2 SubjectPublicKeyInfo.
pub fn ecdh(private: &[u8], peer_spki: &[u8]) -> Result<SecretBytes, AsymError> {
    use sm2::pkcs8::{DecodePrivateKey as _, DecodePublicKey as _};
    let secret = sm2::SecretKey::from_pkcs8_der(private).map_err(|_| AsymError::BadKey)?;
    let peer = sm2::PublicKey::from_public_key_der(peer_spki).map_err(|_| AsymError::BadInput)?;
    let shared =
        sm2::elliptic_curve::ecdh::diffie_hellman(secret.to_nonzero_scalar(), peer.as_affine());
    Ok(SecretBytes::from_slice(shared.raw_secret_bytes().as_ref()))
}
