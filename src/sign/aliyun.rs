//! The Alibaba Cloud signatures: v1 (HMAC-SHA1 with key `secret&` over
//! `METHOD&%2F&pct(canonical query)`), and ACS3/ACS4-HMAC-SHA256 over a canonical
//! request. Known-answer vectors are in the tests of `crate::aliyun::signature`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use super::{Headers, Key, sha256_hex};
use crate::crypto::SecretBytes;
use crate::crypto::mac::{hmac_sha1, hmac_sha256};

/// The one API version.
pub const VERSION: &str = "2016-01-20";

/// RFC 3986 unreserved characters stay; everything else is `%XX` (uppercase hex).
const RFC3986: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Percent-encodes with RFC 3986 rules (space → `%20`, `*` → `%2A`, `~` kept).
#[must_use]
pub fn percent_encode(s: &str) -> String {
    utf8_percent_encode(s, RFC3986).to_string()
}

/// `name=value&…` sorted by the decoded name (then value), as every SDK sorts before it
/// encodes, with the value (and, when `encode_names`, the name) RFC 3986 encoded.
#[must_use]
pub fn canonical_query_with<'a>(
    pairs: impl Iterator<Item = &'a (String, String)>,
    encode_names: bool,
) -> String {
    let mut sorted: Vec<&(String, String)> = pairs.collect();
    sorted.sort();
    let mut out = String::new();
    for (i, (k, v)) in sorted.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        if encode_names {
            out.push_str(&percent_encode(k));
        } else {
            out.push_str(k);
        }
        out.push('=');
        out.push_str(&percent_encode(v));
    }
    out
}

/// [`canonical_query_with`] with encoded names.
#[must_use]
pub fn canonical_query<'a>(pairs: impl Iterator<Item = &'a (String, String)>) -> String {
    canonical_query_with(pairs, true)
}

/// The v1 string to sign over every parameter except `Signature`.
#[must_use]
pub fn v1_string_to_sign(method: &str, params: &[&(String, String)]) -> String {
    let canonical = canonical_query(params.iter().copied().filter(|(k, _)| k != "Signature"));
    format!(
        "{}&%2F&{}",
        method.to_ascii_uppercase(),
        percent_encode(&canonical)
    )
}

/// The v1 signature: HMAC-SHA1 (or HMAC-SHA256) with key `secret&`.
#[must_use]
pub fn v1_sign(secret: &SecretBytes, string_to_sign: &str, sha256: bool) -> Vec<u8> {
    let mut key = zeroize::Zeroizing::new(secret.expose().to_vec());
    key.push(b'&');
    if sha256 {
        hmac_sha256(&key, string_to_sign.as_bytes())
    } else {
        hmac_sha1(&key, string_to_sign.as_bytes())
    }
}

/// The ACS3/ACS4 canonical request; `encode_names` false reproduces the Python Tea SDK,
/// which percent-encodes query values but not names. `headers` are every header of the
/// request; only those named in `signed_headers` count.
#[must_use]
pub fn canonical_request(
    method: &str,
    query: &[(String, String)],
    headers: &(impl Headers + ?Sized),
    signed_headers: &str,
    payload_hash: &str,
    encode_names: bool,
) -> String {
    let mut out = String::with_capacity(512);
    out.push_str(&method.to_ascii_uppercase());
    out.push_str("\n/\n");
    out.push_str(&canonical_query_with(query.iter(), encode_names));
    out.push('\n');
    for name in signed_headers.split(';').filter(|n| !n.is_empty()) {
        let name = name.to_ascii_lowercase();
        let mut found: Vec<&str> = headers.values(&name).into_iter().map(str::trim).collect();
        found.sort_unstable();
        out.push_str(&name);
        out.push(':');
        out.push_str(&found.join(","));
        out.push('\n');
    }
    out.push('\n');
    out.push_str(signed_headers);
    out.push('\n');
    out.push_str(payload_hash);
    out
}

/// The string to sign of a canonical request, for `algorithm`
/// (`ACS3-HMAC-SHA256` or `ACS4-HMAC-SHA256`).
#[must_use]
pub fn acs_string_to_sign(algorithm: &str, canonical: &str) -> String {
    format!("{algorithm}\n{}", sha256_hex(canonical.as_bytes()))
}

/// ACS4 signing key: HMAC chain over `aliyun_v4 + secret`, date, region, product.
#[must_use]
pub fn acs4_signing_key(secret: &SecretBytes, date: &str, region: &str, product: &str) -> Vec<u8> {
    let mut k0 = zeroize::Zeroizing::new(b"aliyun_v4".to_vec());
    k0.extend_from_slice(secret.expose());
    let k_date = hmac_sha256(&k0, date.as_bytes());
    let k_region = hmac_sha256(&k_date, region.as_bytes());
    let k_product = hmac_sha256(&k_region, product.as_bytes());
    hmac_sha256(&k_product, b"aliyun_v4_request")
}

/// `name=value&…` with both parts RFC 3986 encoded, in the given order.
#[must_use]
pub fn encode_pairs(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Adds the v1 common parameters (those the caller has not given) and the signature, as
/// the classic SDK does: `query` and `form` are signed together, and only `query` grows.
pub fn sign_v1(
    method: &str,
    query: &mut Vec<(String, String)>,
    form: &[(String, String)],
    key: &Key<'_>,
    timestamp: &str,
    nonce: &str,
) {
    for (k, v) in [
        ("Version", VERSION),
        ("AccessKeyId", key.id),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureVersion", "1.0"),
        ("SignatureNonce", nonce),
        ("Timestamp", timestamp),
    ] {
        if !query.iter().chain(form).any(|(p, _)| p == k) {
            query.push((k.to_owned(), v.to_owned()));
        }
    }
    let all: Vec<&(String, String)> = query.iter().chain(form).collect();
    let sts = v1_string_to_sign(method, &all);
    query.push((
        "Signature".to_owned(),
        B64.encode(v1_sign(key.secret, &sts, false)),
    ));
}

/// What an ACS3/ACS4 signature covers besides the query and the body.
#[derive(Debug, Clone, Copy)]
pub struct Acs<'a> {
    /// The action (`x-acs-action`).
    pub action: &'a str,
    /// `x-acs-date`, `yyyy-MM-ddTHH:mm:ssZ`.
    pub date: &'a str,
    /// `x-acs-signature-nonce`.
    pub nonce: &'a str,
    /// `Some(region)` for ACS4 (the Tea SDK's `signature_version='v4'`), `None` for ACS3.
    pub acs4_region: Option<&'a str>,
}

/// ACS3 or ACS4: adds the `x-acs-*` headers and `authorization` to `headers` (which must
/// hold `host`), signing `host` and every `x-acs-*` header.
pub fn sign_acs(
    acs: &Acs<'_>,
    query: &[(String, String)],
    headers: &mut Vec<(String, String)>,
    body: &[u8],
    key: &Key<'_>,
) {
    for (k, v) in [
        ("x-acs-action", acs.action.to_owned()),
        ("x-acs-version", VERSION.to_owned()),
        ("x-acs-date", acs.date.to_owned()),
        ("x-acs-signature-nonce", acs.nonce.to_owned()),
        ("x-acs-content-sha256", sha256_hex(body)),
    ] {
        headers.push((k.to_owned(), v));
    }
    let mut signed: Vec<String> = headers
        .iter()
        .map(|(k, _)| k.to_ascii_lowercase())
        .filter(|k| k == "host" || k.starts_with("x-acs-"))
        .collect();
    signed.sort();
    signed.dedup();
    let signed = signed.join(";");
    let canonical = canonical_request("POST", query, headers, &signed, &sha256_hex(body), true);
    let auth = match acs.acs4_region {
        None => {
            let sts = acs_string_to_sign("ACS3-HMAC-SHA256", &canonical);
            let sig = hex::encode(hmac_sha256(key.secret.expose(), sts.as_bytes()));
            format!(
                "ACS3-HMAC-SHA256 Credential={},SignedHeaders={signed},Signature={sig}",
                key.id
            )
        }
        Some(region) => {
            let day: String = acs
                .date
                .chars()
                .filter(char::is_ascii_digit)
                .take(8)
                .collect();
            let sts = acs_string_to_sign("ACS4-HMAC-SHA256", &canonical);
            let signing = acs4_signing_key(key.secret, &day, region, "Kms");
            let sig = hex::encode(hmac_sha256(&signing, sts.as_bytes()));
            format!(
                "ACS4-HMAC-SHA256 Credential={}/{day}/{region}/Kms/aliyun_v4_request,SignedHeaders={signed},Signature={sig}",
                key.id
            )
        }
    };
    headers.push(("authorization".to_owned(), auth));
}
