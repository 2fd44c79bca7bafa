//! AWS Signature Version 4 for `POST /` JSON 1.1 requests to service `kms`.
//!
//! Canonical request: `METHOD\nPATH\nQUERY\n` + `name:value\n` per signed header
//! (lowercase name, trimmed value with inner whitespace runs collapsed, several values
//! joined with `,`) + `\n` + signed-header list + `\n` + hex SHA-256 of the body. String to
//! sign: `AWS4-HMAC-SHA256\n<X-Amz-Date>\n<date>/<region>/<service>/aws4_request\n<hex
//! SHA-256>`. Key: HMAC chain over `"AWS4" + secret`, date, region, service,
//! `aws4_request`. The worked example of `shared/reference/aws-kms-api.md` §7 is a test of
//! `crate::aws::sigv4`.

use super::{Headers, Key, sha256_hex};
use crate::crypto::SecretBytes;
use crate::crypto::mac::hmac_sha256;

/// The content type of the JSON 1.1 protocol.
pub const CONTENT_TYPE: &str = "application/x-amz-json-1.1";

/// The SigV4 signing key for `date` (`yyyymmdd`), `region` and `service`.
#[must_use]
pub fn signing_key(secret: &SecretBytes, date: &str, region: &str, service: &str) -> Vec<u8> {
    let mut k0 = zeroize::Zeroizing::new(b"AWS4".to_vec());
    k0.extend_from_slice(secret.expose());
    let k_date = hmac_sha256(&k0, date.as_bytes());
    let k_region = hmac_sha256(&k_date, region.as_bytes());
    let k_service = hmac_sha256(&k_region, service.as_bytes());
    hmac_sha256(&k_service, b"aws4_request")
}

fn collapse(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The canonical request over the headers named in `signed`.
#[must_use]
pub fn canonical_request(
    method: &str,
    path: &str,
    query: &str,
    headers: &(impl Headers + ?Sized),
    signed: &str,
    body: &[u8],
) -> String {
    canonical_request_hashed(method, path, query, headers, signed, &sha256_hex(body))
}

/// [`canonical_request`] for a body whose hex SHA-256 is `payload_hash`.
#[must_use]
pub fn canonical_request_hashed(
    method: &str,
    path: &str,
    query: &str,
    headers: &(impl Headers + ?Sized),
    signed: &str,
    payload_hash: &str,
) -> String {
    let mut out = format!("{method}\n{path}\n{query}\n");
    for name in signed.split(';') {
        let found: Vec<String> = headers.values(name).into_iter().map(collapse).collect();
        out.push_str(name);
        out.push(':');
        out.push_str(&found.join(","));
        out.push('\n');
    }
    out.push('\n');
    out.push_str(signed);
    out.push('\n');
    out.push_str(payload_hash);
    out
}

/// The string to sign of `canonical` at `amz_date` for `scope`
/// (`<date>/<region>/<service>/aws4_request`).
#[must_use]
pub fn string_to_sign(amz_date: &str, scope: &str, canonical: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
        sha256_hex(canonical.as_bytes())
    )
}

/// Signs a JSON 1.1 request to `operation` as boto3 does: adds `content-type`,
/// `x-amz-date`, `x-amz-target` and `authorization` to `headers` (which must hold `host`),
/// signing `content-type;host;x-amz-date;x-amz-target`.
pub fn sign(
    operation: &str,
    headers: &mut Vec<(String, String)>,
    body: &[u8],
    key: &Key<'_>,
    region: &str,
    amz_date: &str,
) {
    let date = amz_date.get(..8).unwrap_or_default();
    headers.push(("content-type".to_owned(), CONTENT_TYPE.to_owned()));
    headers.push(("x-amz-date".to_owned(), amz_date.to_owned()));
    headers.push((
        "x-amz-target".to_owned(),
        format!("TrentService.{operation}"),
    ));
    let signed = "content-type;host;x-amz-date;x-amz-target";
    let canonical = canonical_request("POST", "/", "", headers, signed, body);
    let scope = format!("{date}/{region}/kms/aws4_request");
    let sts = string_to_sign(amz_date, &scope, &canonical);
    let signing = signing_key(key.secret, date, region, "kms");
    let signature = hex::encode(hmac_sha256(&signing, sts.as_bytes()));
    headers.push((
        "authorization".to_owned(),
        format!(
            "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed}, Signature={signature}",
            key.id
        ),
    ));
}
