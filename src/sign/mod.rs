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

/// The known-answer vectors of `tests/vectors/signing.json`, which the explorer's signer
/// is tested against too.
#[cfg(test)]
mod vectors {
    use serde_json::Value;

    use super::{aliyun, sha256_hex, sigv4};
    use crate::crypto::SecretBytes;

    fn vectors() -> Value {
        serde_json::from_str(include_str!("../../tests/vectors/signing.json")).unwrap()
    }

    fn pairs(v: &Value) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = v
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
            .collect();
        out.sort();
        out
    }

    fn secret(v: &Value) -> SecretBytes {
        SecretBytes::from_slice(v["secret"].as_str().unwrap().as_bytes())
    }

    #[test]
    fn aliyun_v1() {
        use base64::Engine as _;
        for v in vectors()["aliyun_v1"].as_array().unwrap() {
            let params = pairs(&v["params"]);
            let refs: Vec<&(String, String)> = params.iter().collect();
            let sts = aliyun::v1_string_to_sign(v["method"].as_str().unwrap(), &refs);
            assert_eq!(sts, v["string_to_sign"].as_str().unwrap(), "{}", v["name"]);
            let sig = base64::engine::general_purpose::STANDARD.encode(aliyun::v1_sign(
                &secret(v),
                &sts,
                false,
            ));
            assert_eq!(sig, v["signature"].as_str().unwrap(), "{}", v["name"]);
        }
    }

    /// The ACS3 and ACS4 vectors: canonical request, string to sign, signing key, header.
    #[test]
    fn aliyun_acs() {
        let all = vectors();
        let cases = all["aliyun_acs3"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| (v, "ACS3-HMAC-SHA256"))
            .chain(
                all["aliyun_acs4"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| (v, "ACS4-HMAC-SHA256")),
            );
        for (v, algorithm) in cases {
            let body_hash = sha256_hex(v["body"].as_str().unwrap().as_bytes());
            let mut headers = pairs(&v["headers"]);
            headers.push(("x-acs-content-sha256".into(), body_hash.clone()));
            let signed = "host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version";
            let canonical = aliyun::canonical_request(
                v["method"].as_str().unwrap(),
                &pairs(&v["query"]),
                &headers,
                signed,
                &body_hash,
                true,
            );
            let sts = aliyun::acs_string_to_sign(algorithm, &canonical);
            let (key, credential) = if algorithm.starts_with("ACS3") {
                assert_eq!(sts, v["string_to_sign"].as_str().unwrap());
                (secret(v).expose().to_vec(), "testid".to_owned())
            } else {
                let key = aliyun::acs4_signing_key(&secret(v), "20240101", "cn-hangzhou", "Kms");
                assert_eq!(hex::encode(&key), v["signing_key_hex"].as_str().unwrap());
                (
                    key,
                    "testid/20240101/cn-hangzhou/Kms/aliyun_v4_request".to_owned(),
                )
            };
            let sig = hex::encode(crate::crypto::mac::hmac_sha256(&key, sts.as_bytes()));
            let header = format!(
                "{algorithm} Credential={credential},SignedHeaders={signed},Signature={sig}"
            );
            assert_eq!(
                header,
                v["authorization"].as_str().unwrap(),
                "{}",
                v["name"]
            );
        }
    }

    #[test]
    fn aws_sigv4() {
        for v in vectors()["aws_sigv4"].as_array().unwrap() {
            let amz_date = v["amz_date"].as_str().unwrap();
            let headers: Vec<(String, String)> = vec![
                ("content-type".into(), sigv4::CONTENT_TYPE.into()),
                ("host".into(), v["host"].as_str().unwrap().into()),
                ("x-amz-date".into(), amz_date.into()),
                ("x-amz-target".into(), v["target"].as_str().unwrap().into()),
            ];
            let canonical = sigv4::canonical_request(
                "POST",
                "/",
                "",
                &headers,
                "content-type;host;x-amz-date;x-amz-target",
                v["body"].as_str().unwrap().as_bytes(),
            );
            let scope = format!(
                "{}/{}/kms/aws4_request",
                &amz_date[..8],
                v["region"].as_str().unwrap()
            );
            let sts = sigv4::string_to_sign(amz_date, &scope, &canonical);
            assert_eq!(sts, v["string_to_sign"].as_str().unwrap());
            let key = sigv4::signing_key(
                &secret(v),
                &amz_date[..8],
                v["region"].as_str().unwrap(),
                "kms",
            );
            assert_eq!(hex::encode(&key), v["signing_key_hex"].as_str().unwrap());
            let sig = hex::encode(crate::crypto::mac::hmac_sha256(&key, sts.as_bytes()));
            assert_eq!(sig, v["signature"].as_str().unwrap());
        }
    }
}
