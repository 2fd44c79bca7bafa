//! The import token that GetParametersForImport returns and ImportKeyMaterial takes.
//!
//! The token is self-contained, so the server keeps no state per token: it carries the
//! wrapping private key, sealed, and what the key was issued for. Since version 2 the
//! "what for" is a public header, so a client (the explorer's inspector, a script) can
//! read the key ID, wrapping algorithm, wrapping key spec and expiry without any secret.
//!
//! Layout of version 2 (all lengths in bytes; NEVER change this layout: tokens issued by
//! older servers must keep importing for their 24 hours; a new layout gets a new version
//! byte):
//!
//! | offset | length | field |
//! |---|---|---|
//! | 0 | 1 | format version, `0x02` |
//! | 1 | 8 | expiry, Unix seconds, signed big-endian |
//! | 9 | 1 | wrapping algorithm: `1` RSAES_PKCS1_V1_5, `2` RSAES_OAEP_SHA_1, `3` RSAES_OAEP_SHA_256, `4` RSA_AES_KEY_WRAP_SHA_1, `5` RSA_AES_KEY_WRAP_SHA_256, `6` SM2PKE |
//! | 10 | 1 | wrapping key spec: `1` RSA_2048, `2` RSA_3072, `3` RSA_4096, `4` EC_SM2 |
//! | 11 | 1 | key ID length `L` (1–255) |
//! | 12 | `L` | key ID, UTF-8 |
//! | 12+L | 12 | AES-256-GCM nonce |
//! | 24+L | n | the wrapping private key's PKCS #8 DER, encrypted |
//! | end−16 | 16 | GCM tag |
//!
//! The associated data is [`TOKEN_V2_AAD`] followed by the header (bytes `0..12+L`), so
//! the header is public but no byte of it can be changed: a token cannot be re-pointed at
//! another key, given another algorithm or a longer life.
//!
//! Version 1 (still opened, never issued) sealed everything, with associated data
//! [`TOKEN_V1_AAD`]: `nonce ‖ AES-256-GCM(0x01 ‖ expiry i64 BE ‖ algorithm ‖ L ‖ key ID ‖
//! PKCS #8) ‖ tag`. Its first byte is a random nonce byte, so it may be `0x02` too: a
//! token that does not open as version 2 is tried as version 1 (the AEAD makes trying both
//! safe).

use super::SecretBytes;
use super::random::Entropy;
use super::root::{open_with, seal_with};
use super::wrap::{WrappingAlgorithm, WrappingKeySpec};

/// Format version byte of the version 2 layout (the token's first byte). NEVER change.
pub const TOKEN_V2: u8 = 0x02;
/// Version byte inside a version 1 token's sealed payload. NEVER change.
const TOKEN_V1: u8 = 0x01;
/// Prefix of the associated data of a version 2 token (the header follows). NEVER change.
pub const TOKEN_V2_AAD: &[u8] = b"qkms import token v2";
/// Associated data of a version 1 token. NEVER change.
pub const TOKEN_V1_AAD: &[u8] = b"qkms import token v1";
/// Length of the header before the key ID: version, expiry, algorithm, spec, ID length.
const FIXED_LEN: usize = 12;

/// Algorithm bytes (both versions). NEVER change.
const ALG_RSAES_PKCS1_V1_5: u8 = 1;
const ALG_RSAES_OAEP_SHA_1: u8 = 2;
const ALG_RSAES_OAEP_SHA_256: u8 = 3;
const ALG_RSA_AES_KEY_WRAP_SHA_1: u8 = 4;
const ALG_RSA_AES_KEY_WRAP_SHA_256: u8 = 5;
const ALG_SM2PKE: u8 = 6;

/// Wrapping key spec bytes (version 2). NEVER change.
const SPEC_RSA_2048: u8 = 1;
const SPEC_RSA_3072: u8 = 2;
const SPEC_RSA_4096: u8 = 3;
const SPEC_EC_SM2: u8 = 4;

/// The public part of a version 2 token: what its wrapping key was issued for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenHeader {
    /// The key the token imports into.
    pub key_id: String,
    /// How the material must be wrapped.
    pub algorithm: WrappingAlgorithm,
    /// The size of the wrapping key.
    pub spec: WrappingKeySpec,
    /// When the token stops being valid, Unix seconds.
    pub expires: i64,
}

/// An opened token of either version.
#[derive(Debug)]
pub struct OpenedToken {
    /// The key the token imports into.
    pub key_id: String,
    /// How the material must be wrapped.
    pub algorithm: WrappingAlgorithm,
    /// The wrapping key's size; version 1 tokens do not say.
    pub spec: Option<WrappingKeySpec>,
    /// When the token stops being valid, Unix seconds.
    pub expires: i64,
    /// The wrapping private key, PKCS #8 DER.
    pub private_key: SecretBytes,
}

/// The bytes are not a token this server issued (or could not be made into one).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("malformed or unauthentic import token")]
pub struct TokenError;

/// The algorithm's byte in a token.
#[must_use]
pub const fn algorithm_byte(a: WrappingAlgorithm) -> u8 {
    match a {
        WrappingAlgorithm::RsaesPkcs1V15 => ALG_RSAES_PKCS1_V1_5,
        WrappingAlgorithm::RsaesOaepSha1 => ALG_RSAES_OAEP_SHA_1,
        WrappingAlgorithm::RsaesOaepSha256 => ALG_RSAES_OAEP_SHA_256,
        WrappingAlgorithm::RsaAesKeyWrapSha1 => ALG_RSA_AES_KEY_WRAP_SHA_1,
        WrappingAlgorithm::RsaAesKeyWrapSha256 => ALG_RSA_AES_KEY_WRAP_SHA_256,
        WrappingAlgorithm::Sm2Pke => ALG_SM2PKE,
    }
}

/// The algorithm a token byte names.
#[must_use]
pub const fn algorithm_from_byte(b: u8) -> Option<WrappingAlgorithm> {
    match b {
        ALG_RSAES_PKCS1_V1_5 => Some(WrappingAlgorithm::RsaesPkcs1V15),
        ALG_RSAES_OAEP_SHA_1 => Some(WrappingAlgorithm::RsaesOaepSha1),
        ALG_RSAES_OAEP_SHA_256 => Some(WrappingAlgorithm::RsaesOaepSha256),
        ALG_RSA_AES_KEY_WRAP_SHA_1 => Some(WrappingAlgorithm::RsaAesKeyWrapSha1),
        ALG_RSA_AES_KEY_WRAP_SHA_256 => Some(WrappingAlgorithm::RsaAesKeyWrapSha256),
        ALG_SM2PKE => Some(WrappingAlgorithm::Sm2Pke),
        _ => None,
    }
}

/// The wrapping key spec's byte in a token.
#[must_use]
pub const fn spec_byte(s: WrappingKeySpec) -> u8 {
    match s {
        WrappingKeySpec::Rsa2048 => SPEC_RSA_2048,
        WrappingKeySpec::Rsa3072 => SPEC_RSA_3072,
        WrappingKeySpec::Rsa4096 => SPEC_RSA_4096,
        WrappingKeySpec::EcSm2 => SPEC_EC_SM2,
    }
}

/// The wrapping key spec a token byte names.
#[must_use]
pub const fn spec_from_byte(b: u8) -> Option<WrappingKeySpec> {
    match b {
        SPEC_RSA_2048 => Some(WrappingKeySpec::Rsa2048),
        SPEC_RSA_3072 => Some(WrappingKeySpec::Rsa3072),
        SPEC_RSA_4096 => Some(WrappingKeySpec::Rsa4096),
        SPEC_EC_SM2 => Some(WrappingKeySpec::EcSm2),
        _ => None,
    }
}

impl TokenHeader {
    /// The header bytes (`0..12+L` of the layout).
    ///
    /// # Errors
    /// [`TokenError`] when the key ID is empty or longer than 255 bytes.
    pub fn encode(&self) -> Result<Vec<u8>, TokenError> {
        let id = self.key_id.as_bytes();
        let id_len = u8::try_from(id.len()).map_err(|_| TokenError)?;
        if id_len == 0 {
            return Err(TokenError);
        }
        let mut out = Vec::with_capacity(FIXED_LEN + id.len());
        out.push(TOKEN_V2);
        out.extend_from_slice(&self.expires.to_be_bytes());
        out.push(algorithm_byte(self.algorithm));
        out.push(spec_byte(self.spec));
        out.push(id_len);
        out.extend_from_slice(id);
        Ok(out)
    }

    /// Reads the header at the start of a version 2 token (raw bytes, not base64) and
    /// returns it with its length. Needs no secret, and authenticates nothing: only
    /// [`open`] says whether the server issued the token.
    ///
    /// # Errors
    /// [`TokenError`] for another version, an unknown algorithm or spec, an empty key ID,
    /// bad UTF-8 or a token too short to hold the header.
    pub fn decode(token: &[u8]) -> Result<(Self, usize), TokenError> {
        let fixed: &[u8; FIXED_LEN] = token
            .get(..FIXED_LEN)
            .and_then(|f| f.try_into().ok())
            .ok_or(TokenError)?;
        let [version, e0, e1, e2, e3, e4, e5, e6, e7, alg, spec, id_len] = *fixed;
        if version != TOKEN_V2 || id_len == 0 {
            return Err(TokenError);
        }
        let end = FIXED_LEN + usize::from(id_len);
        let id = token.get(FIXED_LEN..end).ok_or(TokenError)?;
        let header = Self {
            key_id: std::str::from_utf8(id).map_err(|_| TokenError)?.to_owned(),
            algorithm: algorithm_from_byte(alg).ok_or(TokenError)?,
            spec: spec_from_byte(spec).ok_or(TokenError)?,
            expires: i64::from_be_bytes([e0, e1, e2, e3, e4, e5, e6, e7]),
        };
        Ok((header, end))
    }
}

/// The associated data of a version 2 token with header bytes `header`.
fn v2_aad(header: &[u8]) -> Vec<u8> {
    let mut aad = Vec::with_capacity(TOKEN_V2_AAD.len() + header.len());
    aad.extend_from_slice(TOKEN_V2_AAD);
    aad.extend_from_slice(header);
    aad
}

/// Makes a version 2 token (raw bytes): `header ‖ nonce ‖ sealed private key ‖ tag`.
///
/// # Errors
/// [`TokenError`] for a key ID the header cannot hold, or when the entropy source fails.
pub fn seal(
    key: &SecretBytes,
    entropy: &dyn Entropy,
    header: &TokenHeader,
    private_key: &SecretBytes,
) -> Result<Vec<u8>, TokenError> {
    let mut out = header.encode()?;
    let sealed =
        seal_with(key, entropy, &v2_aad(&out), private_key.expose()).map_err(|_| TokenError)?;
    out.extend_from_slice(&sealed);
    Ok(out)
}

/// Opens a token of either version (raw bytes). Version 2 is tried when the first byte
/// says so; whatever does not open as version 2 is tried as version 1.
///
/// # Errors
/// [`TokenError`] when the token opens as neither (forged, altered, truncated, or sealed
/// under another key); never says which part failed.
pub fn open(key: &SecretBytes, token: &[u8]) -> Result<OpenedToken, TokenError> {
    if token.first() == Some(&TOKEN_V2)
        && let Ok(opened) = open_v2(key, token)
    {
        return Ok(opened);
    }
    open_v1(key, token)
}

fn open_v2(key: &SecretBytes, token: &[u8]) -> Result<OpenedToken, TokenError> {
    let (header, len) = TokenHeader::decode(token)?;
    let (head, sealed) = token.split_at_checked(len).ok_or(TokenError)?;
    let private_key = open_with(key, &v2_aad(head), sealed).map_err(|_| TokenError)?;
    Ok(OpenedToken {
        key_id: header.key_id,
        algorithm: header.algorithm,
        spec: Some(header.spec),
        expires: header.expires,
        private_key,
    })
}

/// Version 1: everything sealed; the payload is `0x01 ‖ expiry ‖ algorithm ‖ L ‖ key ID ‖
/// PKCS #8`.
fn open_v1(key: &SecretBytes, token: &[u8]) -> Result<OpenedToken, TokenError> {
    let payload = open_with(key, TOKEN_V1_AAD, token).map_err(|_| TokenError)?;
    let bytes = payload.expose();
    let (&version, rest) = bytes.split_first().ok_or(TokenError)?;
    if version != TOKEN_V1 {
        return Err(TokenError);
    }
    let (exp, rest) = rest.split_at_checked(8).ok_or(TokenError)?;
    let expires = i64::from_be_bytes(exp.try_into().map_err(|_| TokenError)?);
    let (&alg, rest) = rest.split_first().ok_or(TokenError)?;
    let algorithm = algorithm_from_byte(alg).ok_or(TokenError)?;
    let (&id_len, rest) = rest.split_first().ok_or(TokenError)?;
    let (id, pkcs8) = rest
        .split_at_checked(usize::from(id_len))
        .ok_or(TokenError)?;
    let key_id = std::str::from_utf8(id).map_err(|_| TokenError)?.to_owned();
    Ok(OpenedToken {
        key_id,
        algorithm,
        spec: None,
        expires,
        private_key: SecretBytes::from_slice(pkcs8),
    })
}

/// Makes a version 1 token exactly as servers before version 2 did (raw bytes), so tests
/// can check that such tokens still import.
///
/// # Errors
/// [`TokenError`] for a key ID longer than 255 bytes, or when the entropy source fails.
#[cfg(test)]
pub fn seal_v1(
    key: &SecretBytes,
    entropy: &dyn Entropy,
    key_id: &str,
    algorithm: WrappingAlgorithm,
    expires: i64,
    private_key: &SecretBytes,
) -> Result<Vec<u8>, TokenError> {
    let id = key_id.as_bytes();
    let id_len = u8::try_from(id.len()).map_err(|_| TokenError)?;
    let mut payload = zeroize::Zeroizing::new(Vec::with_capacity(11 + id.len()));
    payload.push(TOKEN_V1);
    payload.extend_from_slice(&expires.to_be_bytes());
    payload.push(algorithm_byte(algorithm));
    payload.push(id_len);
    payload.extend_from_slice(id);
    payload.extend_from_slice(private_key.expose());
    seal_with(key, entropy, TOKEN_V1_AAD, &payload).map_err(|_| TokenError)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::super::random::OsEntropy;
    use super::*;

    const ALGORITHMS: [WrappingAlgorithm; 6] = [
        WrappingAlgorithm::RsaesPkcs1V15,
        WrappingAlgorithm::RsaesOaepSha1,
        WrappingAlgorithm::RsaesOaepSha256,
        WrappingAlgorithm::RsaAesKeyWrapSha1,
        WrappingAlgorithm::RsaAesKeyWrapSha256,
        WrappingAlgorithm::Sm2Pke,
    ];
    const SPECS: [WrappingKeySpec; 4] = [
        WrappingKeySpec::Rsa2048,
        WrappingKeySpec::Rsa3072,
        WrappingKeySpec::Rsa4096,
        WrappingKeySpec::EcSm2,
    ];

    fn key() -> SecretBytes {
        SecretBytes::new(vec![7; 32])
    }

    fn header() -> TokenHeader {
        TokenHeader {
            key_id: "1234abcd-12ab-34cd-56ef-1234567890ab".into(),
            algorithm: WrappingAlgorithm::RsaAesKeyWrapSha256,
            spec: WrappingKeySpec::Rsa3072,
            expires: 1_704_153_600,
        }
    }

    proptest! {
        #[test]
        fn header_round_trip(
            key_id in "[a-zA-Z0-9-]{1,255}",
            alg in 0usize..6,
            spec in 0usize..4,
            expires in any::<i64>(),
            tail in proptest::collection::vec(any::<u8>(), 0..64),
        ) {
            let h = TokenHeader { key_id, algorithm: ALGORITHMS[alg], spec: SPECS[spec], expires };
            let mut bytes = h.encode().unwrap();
            let len = bytes.len();
            bytes.extend_from_slice(&tail);
            prop_assert_eq!(TokenHeader::decode(&bytes).unwrap(), (h, len));
        }

        #[test]
        fn decode_and_open_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = TokenHeader::decode(&bytes);
            prop_assert!(open(&key(), &bytes).is_err());
        }
    }

    /// The layout of the table, byte by byte.
    #[test]
    fn header_bytes_are_the_documented_layout() {
        let bytes = header().encode().unwrap();
        assert_eq!(bytes[0], 0x02);
        assert_eq!(&bytes[1..9], &1_704_153_600_i64.to_be_bytes());
        assert_eq!(bytes[9], 5);
        assert_eq!(bytes[10], 2);
        assert_eq!(bytes[11], 36);
        assert_eq!(&bytes[12..], b"1234abcd-12ab-34cd-56ef-1234567890ab");
        for (a, b) in ALGORITHMS.into_iter().zip(1u8..) {
            assert_eq!(algorithm_byte(a), b);
            assert_eq!(algorithm_from_byte(b), Some(a));
        }
        for (s, b) in SPECS.into_iter().zip(1u8..) {
            assert_eq!(spec_byte(s), b);
            assert_eq!(spec_from_byte(b), Some(s));
        }
        assert_eq!(algorithm_from_byte(0), None);
        assert_eq!(algorithm_from_byte(7), None);
        assert_eq!(spec_from_byte(5), None);
    }

    #[test]
    fn key_ids_the_header_cannot_hold_are_refused() {
        for id in [String::new(), "k".repeat(256)] {
            let h = TokenHeader {
                key_id: id,
                ..header()
            };
            assert_eq!(h.encode(), Err(TokenError));
        }
    }

    #[test]
    fn seal_open_both_versions() {
        let pkcs8 = SecretBytes::new(b"not really pkcs8".to_vec());
        let v2 = seal(&key(), &OsEntropy, &header(), &pkcs8).unwrap();
        let opened = open(&key(), &v2).unwrap();
        assert_eq!(opened.key_id, header().key_id);
        assert_eq!(opened.spec, Some(WrappingKeySpec::Rsa3072));
        assert_eq!(opened.private_key.expose(), pkcs8.expose());
        assert_eq!(
            v2.len(),
            header().encode().unwrap().len() + 12 + pkcs8.len() + 16
        );
        assert!(open(&SecretBytes::new(vec![8; 32]), &v2).is_err());

        let h = header();
        let v1 = seal_v1(
            &key(),
            &OsEntropy,
            &h.key_id,
            h.algorithm,
            h.expires,
            &pkcs8,
        )
        .unwrap();
        let opened = open(&key(), &v1).unwrap();
        assert_eq!(
            (opened.key_id, opened.algorithm, opened.spec, opened.expires),
            (h.key_id, h.algorithm, None, h.expires)
        );
        assert_eq!(opened.private_key.expose(), pkcs8.expose());
    }

    /// A version 1 token whose random first byte is 0x02 fails as version 2 and must
    /// still open as version 1.
    #[test]
    fn a_v1_token_starting_with_the_v2_byte_opens() {
        let pkcs8 = SecretBytes::new(vec![1; 40]);
        let h = header();
        let entropy = crate::crypto::random::DeterministicEntropy::new("v1-starting-with-2");
        let v1 = std::iter::repeat_with(|| {
            seal_v1(&key(), &entropy, &h.key_id, h.algorithm, h.expires, &pkcs8).unwrap()
        })
        .take(4096)
        .find(|t| t[0] == TOKEN_V2)
        .unwrap();
        assert_eq!(open(&key(), &v1).unwrap().spec, None);
    }

    #[test]
    fn every_header_byte_is_authenticated() {
        let pkcs8 = SecretBytes::new(vec![1; 40]);
        let token = seal(&key(), &OsEntropy, &header(), &pkcs8).unwrap();
        let header_len = header().encode().unwrap().len();
        for i in 0..header_len {
            let mut bad = token.clone();
            bad[i] ^= 1;
            assert_eq!(open(&key(), &bad).unwrap_err(), TokenError, "byte {i}");
        }
    }
}
