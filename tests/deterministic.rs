//! Deterministic mode: the same sequence of requests gives byte-identical responses; and
//! the admin reset.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod common;

use std::sync::Arc;

use actix_web::test::TestRequest;
use aws_lc_rs::rsa::{OAEP_SHA256_MGF1SHA256, OaepPublicEncryptingKey, PublicEncryptingKey};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use common::{aws, call, send, state, state_with};
use qkms::crypto::random::DeterministicEntropy;
use serde_json::json;

/// Runs a fixed sequence; `wrapped` is the client's wrapped material (made once, so the
/// client side is identical too). Returns every response body.
async fn session(seed: &str, wrapped: Option<String>) -> (Vec<String>, String) {
    let (st, _) = state_with(Arc::new(DeterministicEntropy::new(seed)), true);
    let mut bodies = Vec::new();
    let r = call(&st, &[("Action", "CreateKey"), ("Origin", "EXTERNAL")]).await;
    let id = r.json()["KeyMetadata"]["KeyId"]
        .as_str()
        .unwrap()
        .to_owned();
    bodies.push(r.body);
    let r = call(
        &st,
        &[
            ("Action", "GetParametersForImport"),
            ("KeyId", &id),
            ("WrappingAlgorithm", "RSAES_OAEP_SHA_256"),
            ("WrappingKeySpec", "RSA_2048"),
        ],
    )
    .await;
    let p = r.json();
    bodies.push(r.body);
    let wrapped = wrapped.unwrap_or_else(|| {
        let key = OaepPublicEncryptingKey::new(
            PublicEncryptingKey::from_der(&B64.decode(p["PublicKey"].as_str().unwrap()).unwrap())
                .unwrap(),
        )
        .unwrap();
        let mut out = vec![0u8; 256];
        let n = key
            .encrypt(&OAEP_SHA256_MGF1SHA256, &[0x42; 32], &mut out, None)
            .unwrap()
            .len();
        B64.encode(&out[..n])
    });
    let r = call(
        &st,
        &[
            ("Action", "ImportKeyMaterial"),
            ("KeyId", &id),
            ("ImportToken", p["ImportToken"].as_str().unwrap()),
            ("EncryptedKeyMaterial", &wrapped),
        ],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    bodies.push(r.body);
    for params in [
        vec![
            ("Action", "Encrypt"),
            ("KeyId", id.as_str()),
            ("Plaintext", "aGVsbG8="),
        ],
        vec![("Action", "GenerateDataKey"), ("KeyId", id.as_str())],
        vec![("Action", "CreateKey")],
        vec![("Action", "DescribeKey"), ("KeyId", id.as_str())],
        vec![("Action", "ListKeys")],
        vec![("Action", "DescribeKey"), ("KeyId", "nope")],
    ] {
        bodies.push(call(&st, &params).await.body);
    }
    bodies.push(aws(&st, "CreateKey", &json!({})).await.body);
    bodies.push(
        aws(&st, "GenerateRandom", &json!({"NumberOfBytes": 32}))
            .await
            .body,
    );
    bodies.push(
        aws(&st, "Encrypt", &json!({"KeyId": id, "Plaintext": "aGk="}))
            .await
            .body,
    );
    (bodies, wrapped)
}

#[actix_web::test]
async fn same_requests_same_bytes() {
    let (first, wrapped) = session("fixture-seed", None).await;
    let (second, _) = session("fixture-seed", Some(wrapped.clone())).await;
    assert_eq!(first.len(), 12);
    for (a, b) in first.iter().zip(&second) {
        assert_eq!(a, b);
    }
    // Another seed gives other IDs, keys and ciphertexts.
    let (other, _) = session("another-seed", None).await;
    assert_ne!(first[0], other[0]);
}

#[actix_web::test]
async fn admin_reset_empties_the_store_and_needs_the_credential() {
    let (st, _) = state();
    assert_eq!(call(&st, &[("Action", "CreateKey")]).await.status, 200);
    let r = send(&st, TestRequest::post().uri("/_qkms/reset")).await;
    assert_eq!(r.status, 401);
    let r = send(
        &st,
        TestRequest::post()
            .uri("/_qkms/reset")
            .insert_header(("authorization", "Bearer wrong")),
    )
    .await;
    assert_eq!(r.status, 401);
    assert_eq!(
        call(&st, &[("Action", "ListKeys")]).await.json()["TotalCount"],
        1
    );
    let r = send(
        &st,
        TestRequest::post()
            .uri("/_qkms/reset")
            .insert_header(("authorization", "Bearer admin")),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        call(&st, &[("Action", "ListKeys")]).await.json()["TotalCount"],
        0
    );
}
