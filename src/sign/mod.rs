//! Request signing for every scheme qkms speaks, in one place: the canonical strings and
//! keys the verifiers recompute, and signers that build whole signed requests for the
//! tests, `qkms replay` and the load generator.
//!
//! * [`aliyun`]: v1 (HMAC-SHA1 over the canonical query), ACS3-HMAC-SHA256 and
//!   ACS4-HMAC-SHA256 (a canonical request over the query, chosen headers and the body
//!   hash); `shared/reference/aliyun-kms-api.md` §5.
//! * [`sigv4`]: AWS Signature Version 4 for `POST /` JSON 1.1 requests.
//!
//! Headers are plain `(lowercase name, value)` pairs, so actix, hyper and raw-socket callers
//! all use the same code.

pub mod aliyun;
pub mod sigv4;

/// An access key pair to sign with.
#[derive(Debug, Clone)]
pub struct Key<'a> {
    /// The access key ID.
    pub id: &'a str,
    /// Its secret.
    pub secret: &'a crate::crypto::SecretBytes,
}

/// Where a canonical request finds header values: a signer's list of `(name, value)`
/// pairs, or a verifier's received headers.
pub trait Headers {
    /// The values of header `name` (lowercase), in order.
    fn values(&self, name: &str) -> Vec<&str>;
}

impl Headers for [(String, String)] {
    fn values(&self, name: &str) -> Vec<&str> {
        self.iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

impl Headers for Vec<(String, String)> {
    fn values(&self, name: &str) -> Vec<&str> {
        self.as_slice().values(name)
    }
}

impl Headers for actix_web::http::header::HeaderMap {
    fn values(&self, name: &str) -> Vec<&str> {
        self.get_all(name).filter_map(|v| v.to_str().ok()).collect()
    }
}

/// Hex SHA-256.
#[must_use]
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(bytes))
}
