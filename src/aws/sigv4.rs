//! AWS Signature Version 4 verification for `POST /` JSON 1.1 requests (service `kms`).
//!
//! Written here rather than with the `aws-sigv4` crate: that crate signs outgoing
//! requests and exposes no verifier, and its canonicalisation needs the whole smithy
//! runtime. The canonical strings and keys are those of [`crate::sign::sigv4`], which the
//! signers use too; the tests check them against the worked example and the captured boto3
//! requests.

use actix_web::http::header::HeaderMap;
use sha2::Digest as _;
use subtle::ConstantTimeEq as _;

use crate::auth::{Caller, Credentials, KeyError};
use crate::crypto::mac::hmac_sha256;
use crate::sign::sigv4::{canonical_request_hashed, signing_key, string_to_sign};

/// Allowed distance of `X-Amz-Date` from the real clock: the same ±15 minutes as the
/// Aliyun dialect (the requirement; AWS itself allows 5).
pub const MAX_SKEW_SECS: i64 = crate::auth::MAX_SKEW_SECS;

/// Why verification failed; the protocol maps each to its exception.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SigV4Error {
    /// No `Authorization` header (`MissingAuthenticationTokenException`).
    Missing,
    /// The header or `X-Amz-Date` is malformed (`IncompleteSignatureException`).
    Incomplete(String),
    /// Unknown access key, or a temporary one without its valid token
    /// (`UnrecognizedClientException`).
    UnknownKey,
    /// The session token has expired (`ExpiredTokenException`).
    TokenExpired,
    /// The signature does not match (`InvalidSignatureException`).
    Mismatch(String),
    /// `X-Amz-Date` outside the window (`InvalidSignatureException`, "Signature expired").
    Expired(String),
}

/// The authenticated caller plus the region of the signing scope.
#[derive(Debug, Clone)]
pub struct Verified {
    /// Who signed.
    pub caller: Caller,
    /// Region from the credential scope.
    pub region: String,
    /// Service from the credential scope (one of [`SERVICES`]).
    pub service: String,
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Headers a signature must cover: where the request goes, when it was signed, and which
/// operation it runs. (`x-amz-security-token` too, when the request carries one.)
pub const REQUIRED_SIGNED: &[&str] = &["host", "x-amz-date", "x-amz-target"];

/// Services whose requests this server answers (the scope names one; the protocol checks
/// that the operation belongs to it).
pub const SERVICES: [&str; 2] = ["kms", "secretsmanager"];

/// The scope must be for KMS or Secrets Manager, in a region that is a plain name (it goes
/// into ARNs).
fn check_scope(region: &str, service: &str) -> Result<(), SigV4Error> {
    if !SERVICES.contains(&service) {
        return Err(SigV4Error::Mismatch(
            "Credential should be scoped to correct service: 'kms'.".into(),
        ));
    }
    let plain = !region.is_empty()
        && region.len() <= 64
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if plain {
        Ok(())
    } else {
        Err(SigV4Error::Mismatch(
            "Credential should be scoped to a valid region.".into(),
        ))
    }
}

fn check_signed_headers(headers: &HeaderMap, signed: &str) -> Result<(), SigV4Error> {
    let listed = |name: &str| signed.split(';').any(|s| s.eq_ignore_ascii_case(name));
    let token = headers
        .contains_key("x-amz-security-token")
        .then_some("x-amz-security-token");
    match REQUIRED_SIGNED
        .iter()
        .copied()
        .chain(token)
        .find(|h| !listed(h))
    {
        None => Ok(()),
        Some(name) => Err(SigV4Error::Mismatch(format!(
            "'{name}' must be a 'SignedHeader' in the AWS Authorization."
        ))),
    }
}

/// `Credential=…, SignedHeaders=…, Signature=…` of the `Authorization` header `auth`
/// (`rest` is what follows the algorithm).
fn authorization_parts<'a>(
    auth: &str,
    rest: &'a str,
) -> Result<(&'a str, &'a str, &'a str), SigV4Error> {
    let (mut credential, mut signed, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let Some((k, v)) = part.trim().split_once('=') else {
            continue;
        };
        match k {
            "Credential" => credential = Some(v),
            "SignedHeaders" => signed = Some(v),
            "Signature" => signature = Some(v),
            _ => {}
        }
    }
    let incomplete = |what: &str| {
        SigV4Error::Incomplete(format!(
            "Authorization header requires '{what}' parameter. Authorization={auth}"
        ))
    };
    Ok((
        credential.ok_or_else(|| incomplete("Credential"))?,
        signed.ok_or_else(|| incomplete("SignedHeaders"))?,
        signature.ok_or_else(|| incomplete("Signature"))?,
    ))
}

/// Verifies a request; `now` (real time) `None` skips the clock check (captured fixtures).
///
/// # Errors
/// [`SigV4Error`].
pub fn verify(
    method: &str,
    path: &str,
    query: &str,
    headers: &HeaderMap,
    body: &[u8],
    creds: &Credentials,
    now: Option<i64>,
) -> Result<Verified, SigV4Error> {
    let auth = header(headers, "authorization").ok_or(SigV4Error::Missing)?;
    let rest = auth.strip_prefix("AWS4-HMAC-SHA256 ").ok_or_else(|| {
        SigV4Error::Incomplete(
            "Authorization header requires the AWS4-HMAC-SHA256 algorithm.".into(),
        )
    })?;
    let (credential, signed, signature) = authorization_parts(auth, rest)?;
    let scope: Vec<&str> = credential.split('/').collect();
    let [access_key_id, date, region, service, "aws4_request"] = scope.as_slice() else {
        return Err(SigV4Error::Incomplete(format!(
            "Credential should be scoped correctly: {credential}"
        )));
    };
    check_scope(region, service)?;
    check_signed_headers(headers, signed)?;
    let token = header(headers, "x-amz-security-token");
    let (secret, caller) = creds
        .resolve(
            access_key_id,
            token,
            now.unwrap_or_else(|| chrono::Utc::now().timestamp()),
        )
        .map_err(|e| match e {
            KeyError::TokenExpired => SigV4Error::TokenExpired,
            _ => SigV4Error::UnknownKey,
        })?;
    let secret = &secret;
    let amz_date = header(headers, "x-amz-date").ok_or_else(|| {
        SigV4Error::Incomplete(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
                .into(),
        )
    })?;
    let when = chrono::NaiveDateTime::parse_from_str(amz_date, "%Y%m%dT%H%M%SZ")
        .map_err(|_| {
            SigV4Error::Incomplete(format!(
                "Date must be in ISO-8601 'basic format'. Got '{amz_date}'."
            ))
        })?
        .and_utc()
        .timestamp();
    if now.is_some_and(|now| (when - now).abs() > MAX_SKEW_SECS) {
        return Err(SigV4Error::Expired(format!(
            "Signature expired: {amz_date} is now earlier or later than the allowed window of 15 minutes."
        )));
    }
    if amz_date.get(..8) != Some(*date) {
        return Err(SigV4Error::Mismatch(format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{date}' != '{}', from '{amz_date}'.",
            amz_date.get(..8).unwrap_or_default()
        )));
    }
    // A client that signed x-amz-content-sha256 must have put the body's hash there.
    let body_hash = hex::encode(sha2::Sha256::digest(body));
    if header(headers, "x-amz-content-sha256")
        .is_some_and(|c| c != "UNSIGNED-PAYLOAD" && !c.eq_ignore_ascii_case(&body_hash))
    {
        return Err(SigV4Error::Mismatch(
            "The provided 'x-amz-content-sha256' header does not match what was computed.".into(),
        ));
    }
    let canonical = canonical_request_hashed(method, path, query, headers, signed, &body_hash);
    let string_to_sign = string_to_sign(
        amz_date,
        &format!("{date}/{region}/{service}/aws4_request"),
        &canonical,
    );
    let expected = hmac_sha256(
        &signing_key(secret, date, region, service),
        string_to_sign.as_bytes(),
    );
    let given = hex::decode(signature).unwrap_or_default();
    if !bool::from(expected.ct_eq(&given)) {
        return Err(SigV4Error::Mismatch(format!(
            "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. The String-to-Sign should have been '{string_to_sign}'"
        )));
    }
    Ok(Verified {
        caller,
        region: (*region).to_owned(),
        service: (*service).to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use actix_web::http::header::{HeaderName, HeaderValue};

    use super::*;
    use crate::crypto::SecretBytes;
    use crate::sign::sigv4::canonical_request;

    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

    fn creds() -> Credentials {
        Credentials::new([(
            "AKIDEXAMPLE".to_owned(),
            SecretBytes::from_slice(SECRET.as_bytes()),
        )])
    }

    /// A captured boto3 request: headers and body.
    fn capture(name: &str) -> (HeaderMap, Vec<u8>) {
        let path = format!(
            "{}/tests/vectors/aws-requests/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        let raw = std::fs::read(path).unwrap();
        let split = raw.windows(2).position(|w| w == b"\n\n").unwrap();
        let head = std::str::from_utf8(&raw[..split]).unwrap();
        let mut headers = HeaderMap::new();
        for line in head.lines().skip(1) {
            let (k, v) = line.split_once(':').unwrap();
            headers.append(
                HeaderName::from_bytes(k.trim().to_ascii_lowercase().as_bytes()).unwrap(),
                HeaderValue::from_str(v.trim()).unwrap(),
            );
        }
        let len: usize = headers
            .get("content-length")
            .unwrap()
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        (headers, raw[split + 2..split + 2 + len].to_vec())
    }

    #[test]
    fn worked_example_encrypt() {
        let (headers, body) = capture("Encrypt.txt");
        let canonical = canonical_request(
            "POST",
            "/",
            "",
            &headers,
            "content-type;host;x-amz-date;x-amz-target",
            &body,
        );
        assert_eq!(
            canonical,
            "POST\n/\n\ncontent-type:application/x-amz-json-1.1\nhost:127.0.0.1:37865\nx-amz-date:20261123T184351Z\nx-amz-target:TrentService.Encrypt\n\ncontent-type;host;x-amz-date;x-amz-target\ne1c045805d7e492b7a73f8f2d6e835b23dd6a4654b9e534a29c32ba89203f528"
        );
        assert_eq!(
            hex::encode(sha2::Sha256::digest(canonical.as_bytes())),
            "1b3bd26e17450d8fe6d425e16bd8bab7feb734ebe91ba2b30fdbe283a31a1ff4"
        );
        assert_eq!(
            hex::encode(signing_key(
                &SecretBytes::from_slice(SECRET.as_bytes()),
                "20261123",
                "us-east-1",
                "kms"
            )),
            "6d32b39af53a5dcc3dfbee16a6ce91845cc2628f16cd6e59bdc103de93e9ad1c"
        );
        let v = verify("POST", "/", "", &headers, &body, &creds(), None).unwrap();
        assert_eq!(v.caller.access_key_id, "AKIDEXAMPLE");
        assert_eq!(v.region, "us-east-1");
    }

    /// Signs `headers` (with X-Amz-Date and Host already in) over `signed` for `scope`.
    fn signed(mut headers: HeaderMap, signed: &str, scope: &str, body: &[u8]) -> HeaderMap {
        let amz_date = header(&headers, "x-amz-date").unwrap().to_owned();
        let canonical = canonical_request("POST", "/", "", &headers, signed, body);
        let sts = string_to_sign(&amz_date, scope, &canonical);
        let parts: Vec<&str> = scope.split('/').collect();
        let key = signing_key(
            &SecretBytes::from_slice(SECRET.as_bytes()),
            parts[0],
            parts[1],
            parts[2],
        );
        let sig = hex::encode(hmac_sha256(&key, sts.as_bytes()));
        headers.insert(
            HeaderName::from_static("authorization"),
            HeaderValue::from_str(&format!(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/{scope}, SignedHeaders={signed}, Signature={sig}"
            ))
            .unwrap(),
        );
        headers
    }

    fn base_headers() -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in [
            ("content-type", "application/x-amz-json-1.1"),
            ("host", "127.0.0.1:8080"),
            ("x-amz-date", "20261123T184351Z"),
            ("x-amz-target", "TrentService.DisableKey"),
        ] {
            h.insert(HeaderName::from_static(k), HeaderValue::from_static(v));
        }
        h
    }

    /// A valid HMAC over too little is refused: a signature over `host` alone would let
    /// anyone swap `X-Amz-Target` for DisableKey; a scope for another service or date, or
    /// an unsigned session token, is refused too.
    #[test]
    fn signatures_must_cover_host_date_target_and_token() {
        let body = b"{}";
        let scope = "20261123/us-east-1/kms/aws4_request";
        let all = "content-type;host;x-amz-date;x-amz-target";
        assert!(
            verify(
                "POST",
                "/",
                "",
                &signed(base_headers(), all, scope, body),
                body,
                &creds(),
                None
            )
            .is_ok()
        );
        for partial in [
            "host",
            "content-type;host;x-amz-date",
            "content-type;x-amz-date;x-amz-target",
            "host;x-amz-target",
        ] {
            let h = signed(base_headers(), partial, scope, body);
            assert!(
                matches!(verify("POST", "/", "", &h, body, &creds(), None), Err(SigV4Error::Mismatch(m)) if m.contains("SignedHeader")),
                "{partial}"
            );
        }
        for other in [
            "20261123/us-east-1/s3/aws4_request",
            "20261123/us-east-1/iam/aws4_request",
            "20261124/us-east-1/kms/aws4_request",
            "2026112/us-east-1/kms/aws4_request",
            "20261123/us-east-1:x/kms/aws4_request",
            "20261123//kms/aws4_request",
        ] {
            let h = signed(base_headers(), all, other, body);
            assert!(
                matches!(
                    verify("POST", "/", "", &h, body, &creds(), None),
                    Err(SigV4Error::Mismatch(_))
                ),
                "{other}"
            );
        }
        let mut with_token = base_headers();
        with_token.insert(
            HeaderName::from_static("x-amz-security-token"),
            HeaderValue::from_static("t"),
        );
        let h = signed(with_token.clone(), all, scope, body);
        assert!(matches!(
            verify("POST", "/", "", &h, body, &creds(), None),
            Err(SigV4Error::Mismatch(_))
        ));
        let h = signed(
            with_token,
            "content-type;host;x-amz-date;x-amz-security-token;x-amz-target",
            scope,
            body,
        );
        assert!(verify("POST", "/", "", &h, body, &creds(), None).is_ok());
    }

    #[test]
    fn captured_import_verifies_and_tampering_fails() {
        let (headers, body) = capture("ImportKeyMaterial.txt");
        assert!(verify("POST", "/", "", &headers, &body, &creds(), None).is_ok());
        let mut changed = body.clone();
        changed[10] ^= 1;
        assert!(matches!(
            verify("POST", "/", "", &headers, &changed, &creds(), None),
            Err(SigV4Error::Mismatch(_))
        ));
        let other = Credentials::new([("AKIDEXAMPLE".to_owned(), SecretBytes::from_slice(b"x"))]);
        assert!(matches!(
            verify("POST", "/", "", &headers, &body, &other, None),
            Err(SigV4Error::Mismatch(_))
        ));
        let nobody = Credentials::new([("SOMEONE".to_owned(), SecretBytes::from_slice(b"x"))]);
        assert!(matches!(
            verify("POST", "/", "", &headers, &body, &nobody, None),
            Err(SigV4Error::UnknownKey)
        ));
        // The capture is from 2026-11-23T18:43:51Z; an hour later it has expired.
        let later = chrono::NaiveDate::from_ymd_opt(2026, 11, 23)
            .unwrap()
            .and_hms_opt(19, 43, 51)
            .unwrap()
            .and_utc()
            .timestamp();
        assert!(matches!(
            verify("POST", "/", "", &headers, &body, &creds(), Some(later)),
            Err(SigV4Error::Expired(_))
        ));
        assert!(matches!(
            verify("POST", "/", "", &HeaderMap::new(), &body, &creds(), None),
            Err(SigV4Error::Missing)
        ));
    }
}
