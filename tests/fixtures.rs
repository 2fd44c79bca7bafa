//! Every request captured from the official SDKs and the secrets caching clients
//! (tests/vectors/sdk-requests and secrets-requests, copied from shared/fixtures) verifies with the server's signature code, clock and nonce checks off;
//! and changing any single parameter makes it fail.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use std::path::PathBuf;

use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
use qkms::aliyun::error::ErrorCode;
use qkms::aliyun::params::parse_urlencoded;
use qkms::aliyun::signature::{Freshness, RequestParts, Scheme, verify};
use qkms::auth::Credentials;
use qkms::crypto::SecretBytes;

struct Capture {
    method: String,
    query: Vec<(String, String)>,
    form: Vec<(String, String)>,
    headers: HeaderMap,
    body: Vec<u8>,
}

fn parse_capture(raw: &[u8]) -> Capture {
    let split = raw
        .windows(2)
        .position(|w| w == b"\n\n")
        .expect("blank line");
    let head = std::str::from_utf8(&raw[..split]).unwrap();
    let mut lines = head.lines();
    let request_line = lines.next().unwrap();
    let mut parts = request_line.split(' ');
    let method = parts.next().unwrap().to_owned();
    let target = parts.next().unwrap();
    let query_raw = target.split_once('?').map_or("", |(_, q)| q);
    let mut headers = HeaderMap::new();
    for line in lines {
        let (k, v) = line.split_once(':').unwrap();
        headers.append(
            HeaderName::from_bytes(k.trim().to_ascii_lowercase().as_bytes()).unwrap(),
            HeaderValue::from_str(v.trim()).unwrap(),
        );
    }
    let len: usize = headers
        .get("content-length")
        .map_or(0, |v| v.to_str().unwrap().parse().unwrap());
    let body = raw[split + 2..split + 2 + len].to_vec();
    let is_form = headers.get("content-type").is_some_and(|v| {
        v.to_str()
            .unwrap()
            .starts_with("application/x-www-form-urlencoded")
    });
    Capture {
        method,
        query: parse_urlencoded(query_raw.as_bytes()).unwrap(),
        form: if is_form {
            parse_urlencoded(&body).unwrap()
        } else {
            Vec::new()
        },
        headers,
        body,
    }
}

fn captures() -> Vec<(String, Capture)> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors");
    let mut out: Vec<(String, Capture)> = ["sdk-requests", "secrets-requests"]
        .into_iter()
        .flat_map(|d| std::fs::read_dir(root.join(d)).unwrap())
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, parse_capture(&std::fs::read(&p).unwrap()))
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn creds() -> Credentials {
    Credentials::new([("testid".to_owned(), SecretBytes::from_slice(b"testsecret"))])
}

const OFF: Freshness<'static> = Freshness {
    now: None,
    nonces: None,
};

#[test]
fn every_capture_verifies() {
    let all = captures();
    assert_eq!(
        all.len(),
        34,
        "24 captured KMS requests and 10 secrets requests"
    );
    for (name, c) in &all {
        let parts = RequestParts {
            method: &c.method,
            query: &c.query,
            form: &c.form,
            headers: &c.headers,
            body: &c.body,
        };
        let (caller, scheme) =
            verify(&parts, &creds(), OFF).unwrap_or_else(|e| panic!("{name}: {e:?}"));
        assert_eq!(caller.access_key_id, "testid", "{name}");
        let expected = if name.contains("acs3") || name.contains("-v2-") {
            Scheme::Acs3
        } else if name.contains("acs4") {
            Scheme::Acs4
        } else {
            Scheme::V1
        };
        assert_eq!(scheme, expected, "{name}");
    }
}

#[test]
fn any_changed_parameter_or_body_breaks_the_signature() {
    for (name, c) in captures() {
        // Change each business parameter value in turn.
        for i in 0..c.query.len() {
            let key = &c.query[i].0;
            if key == "Signature"
                || key == "AccessKeyId"
                || key == "SignatureMethod"
                || key == "SignatureVersion"
                || key == "Timestamp"
            {
                continue;
            }
            let mut query = c.query.clone();
            query[i].1.push('x');
            let parts = RequestParts {
                method: &c.method,
                query: &query,
                form: &c.form,
                headers: &c.headers,
                body: &c.body,
            };
            let err = verify(&parts, &creds(), OFF).expect_err(&format!("{name}: {key} changed"));
            assert_eq!(err.code, ErrorCode::SignatureDoesNotMatch, "{name}");
            assert!(err.message.contains("server string to sign is:"), "{name}");
        }
        // A changed body (where there is one) fails too.
        if !c.body.is_empty() {
            let mut body = c.body.clone();
            body.push(b'x');
            let form = parse_urlencoded(&body).unwrap();
            let parts = RequestParts {
                method: &c.method,
                query: &c.query,
                form: if c.form.is_empty() { &[] } else { &form },
                headers: &c.headers,
                body: &body,
            };
            assert!(
                verify(&parts, &creds(), OFF).is_err(),
                "{name}: body changed"
            );
        }
        // Another secret fails.
        let other = Credentials::new([("testid".to_owned(), SecretBytes::from_slice(b"other"))]);
        let parts = RequestParts {
            method: &c.method,
            query: &c.query,
            form: &c.form,
            headers: &c.headers,
            body: &c.body,
        };
        assert_eq!(
            verify(&parts, &other, OFF).unwrap_err().code,
            ErrorCode::SignatureDoesNotMatch,
            "{name}"
        );
    }
}
