//! Micro-benchmarks of the per-request work: signature verification (v1, ACS3), the AEAD
//! seal/open of a 64-byte plaintext (AES-256-GCM, SM4-GCM), and the ciphertext blob.
//!
//! `cargo bench --bench hot_path`

#![allow(clippy::unwrap_used, clippy::expect_used)] // benchmark code

use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use criterion::{Criterion, criterion_group, criterion_main};
use qkms::aliyun::signature::{Freshness, RequestParts, verify};
use qkms::auth::Credentials;
use qkms::crypto::SecretBytes;
use qkms::crypto::aead::Aead;
use qkms::crypto::blob::CiphertextBlob;
use qkms::sign::aliyun::{v1_sign, v1_string_to_sign};

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn signatures(c: &mut Criterion) {
    let secret = SecretBytes::from_slice(b"testsecret");
    let creds = Credentials::new([("testid".to_owned(), secret.clone())]);
    let off = Freshness {
        now: None,
        nonces: None,
    };

    let mut query = pairs(&[
        ("AccessKeyId", "testid"),
        ("Action", "Encrypt"),
        ("Format", "JSON"),
        ("KeyId", "1234abcd-12ab-34cd-56ef-123456789012"),
        (
            "Plaintext",
            "aGVsbG8ga21zIGhlbGxvIGttcyBoZWxsbyBrbXMgaGVsbG8ga21zIGhlbGxvIGttcw==",
        ),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"),
        ("SignatureVersion", "1.0"),
        ("Timestamp", "2024-01-01T12:00:00Z"),
        ("Version", "2016-01-20"),
    ]);
    let refs: Vec<&(String, String)> = query.iter().collect();
    let sts = v1_string_to_sign("POST", &refs);
    query.push((
        "Signature".into(),
        B64.encode(v1_sign(&secret, &sts, false)),
    ));
    let empty = HeaderMap::new();
    let parts = RequestParts {
        method: "POST",
        query: &query,
        form: &[],
        headers: &empty,
        body: b"",
    };
    assert!(verify(&parts, &creds, off).is_ok());
    c.bench_function("verify v1 HMAC-SHA1 (Encrypt)", |b| {
        b.iter(|| verify(&parts, &creds, off).unwrap())
    });

    // The ACS3 known-answer request of the specification.
    let mut headers = HeaderMap::new();
    for (k, v) in [
        ("host", "kms.cn-hangzhou.aliyuncs.com"),
        ("x-acs-action", "GetParametersForImport"),
        ("x-acs-version", "2016-01-20"),
        ("x-acs-date", "2024-01-01T12:00:00Z"),
        (
            "x-acs-signature-nonce",
            "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
        ),
        (
            "x-acs-content-sha256",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ),
        (
            "authorization",
            "ACS3-HMAC-SHA256 Credential=testid,SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=79c2fd1aa94ed16772089d9e5afba01f2bafab9e1601dfdb1fc97fec23a1d95b",
        ),
    ] {
        headers.insert(
            HeaderName::from_static(k),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    let q3 = pairs(&[
        ("KeyId", "1234abcd-12ab-34cd-56ef-123456789012"),
        ("WrappingAlgorithm", "RSAES_OAEP_SHA_256"),
        ("WrappingKeySpec", "RSA_2048"),
    ]);
    let parts3 = RequestParts {
        method: "POST",
        query: &q3,
        form: &[],
        headers: &headers,
        body: b"",
    };
    assert!(verify(&parts3, &creds, off).is_ok());
    c.bench_function("verify ACS3-HMAC-SHA256", |b| {
        b.iter(|| verify(&parts3, &creds, off).unwrap())
    });
}

fn aeads(c: &mut Criterion) {
    let plaintext = [7u8; 64];
    let nonce = [1u8; 12];
    for (name, aead, len) in [
        ("AES-256-GCM", Aead::Aes256Gcm, 32),
        ("SM4-GCM", Aead::Sm4Gcm, 16),
    ] {
        let key = SecretBytes::new(vec![9u8; len]);
        let sealed = aead.seal(&key, &nonce, b"aad", &plaintext).unwrap();
        c.bench_function(&format!("{name} seal 64 B"), |b| {
            b.iter(|| aead.seal(&key, &nonce, b"aad", &plaintext).unwrap())
        });
        c.bench_function(&format!("{name} open 64 B"), |b| {
            b.iter(|| aead.open(&key, &nonce, b"aad", &sealed).unwrap())
        });
    }
}

fn blobs(c: &mut Criterion) {
    let blob = CiphertextBlob {
        aead: Aead::Aes256Gcm,
        key_id: "1234abcd-12ab-34cd-56ef-123456789012".into(),
        key_version_id: "9b74a851-6a89-491b-aaa2-7e740c9fcb53".into(),
        nonce: [3; 12],
        ciphertext_and_tag: vec![5; 80],
    };
    let bytes = blob.encode().unwrap();
    c.bench_function("blob encode", |b| b.iter(|| blob.encode().unwrap()));
    c.bench_function("blob decode", |b| {
        b.iter(|| CiphertextBlob::decode(&bytes).unwrap())
    });
}

criterion_group!(benches, signatures, aeads, blobs);
criterion_main!(benches);
