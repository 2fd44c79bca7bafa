//! Shared helpers for the in-process protocol tests: an app over a memory store with a
//! fixed clock and a deterministic entropy source, and a v1 request signer.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code
#![allow(dead_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use actix_web::test;
use qkms::auth::Credentials;
use qkms::clock::{ControlledClock, Mode};
use qkms::crypto::SecretBytes;
use qkms::crypto::random::{Entropy, RandomError};
use qkms::crypto::root::RootKey;
use qkms::server::{self, AppState};
use qkms::service::{Kms, KmsSettings};
use qkms::sign::Key;
use qkms::sign::aliyun::{encode_pairs, sign_v1};
use qkms::store::MemoryStore;

/// 2024-01-01T00:00:00Z, the KMS clock of these tests.
pub const T0: i64 = 1_704_067_200;

/// A deterministic entropy source (splitmix64), so IDs and bodies are reproducible.
#[derive(Debug, Default)]
pub struct SeqEntropy(AtomicU64);

impl Entropy for SeqEntropy {
    fn fill(&self, buf: &mut [u8]) -> Result<(), RandomError> {
        for chunk in buf.chunks_mut(8) {
            let mut z = self
                .0
                .fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::SeqCst)
                .wrapping_add(0x9E37_79B9_7F4A_7C15);
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            let bytes = z.to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
        Ok(())
    }
}

/// The app state of a fresh in-memory server; also returns the clock.
pub fn state() -> (AppState, Arc<ControlledClock>) {
    state_with(Arc::new(SeqEntropy::default()), false)
}

/// As [`state`] with an explicit entropy source and deterministic setting.
pub fn state_with(
    entropy: Arc<dyn Entropy>,
    deterministic: bool,
) -> (AppState, Arc<ControlledClock>) {
    let clock = Arc::new(ControlledClock::new(Mode::Fixed(T0)));
    let root = RootKey::from_hex(&"11".repeat(32)).unwrap();
    let kms = Kms::new(
        Arc::new(MemoryStore::new()),
        clock.clone(),
        entropy,
        root,
        KmsSettings {
            region: "cn-hangzhou".into(),
            account_id: "1234567890123456".into(),
            wrapping_pool: 0,
            deterministic,
            default_region_aliases: vec!["us-east-1".into()],
        },
    )
    .unwrap();
    let creds = Credentials::new([("testid".to_owned(), SecretBytes::from_slice(b"testsecret"))]);
    let state = AppState::new(
        Arc::new(kms),
        clock.clone(),
        creds,
        Some(SecretBytes::from_slice(b"admin")),
    );
    (state, clock)
}

/// A response, read whole.
#[derive(Debug)]
pub struct Resp {
    /// HTTP status.
    pub status: u16,
    /// Content-Type header.
    pub content_type: String,
    /// x-acs-request-id header.
    pub request_id: String,
    /// Body text.
    pub body: String,
}

impl Resp {
    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

/// Sends one request to a fresh app over `state` (state is shared, so keys persist).
pub async fn send(state: &AppState, req: test::TestRequest) -> Resp {
    let app = test::init_service(server::app(state.clone())).await;
    let resp = test::call_service(&app, req.to_request()).await;
    let header = |n: &str| {
        resp.headers()
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let status = resp.status().as_u16();
    let content_type = header("content-type");
    let request_id = Some(header("x-acs-request-id"))
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| header("x-amzn-requestid"));
    let body = String::from_utf8(test::read_body(resp).await.to_vec()).unwrap();
    Resp {
        status,
        content_type,
        request_id,
        body,
    }
}

/// A signed POST of `params` (all in the query, as the SDKs send them).
pub async fn call(state: &AppState, params: &[(&str, &str)]) -> Resp {
    let uri = format!("/?{}", signed_query("POST", params));
    send(state, test::TestRequest::post().uri(&uri)).await
}

/// Sends a SigV4-signed JSON 1.1 request (`testid`/`testsecret`, region `us-east-1`).
pub async fn aws(state: &AppState, op: &str, body: &serde_json::Value) -> Resp {
    aws_raw(
        state,
        op,
        body.to_string().as_bytes(),
        "testid",
        "testsecret",
    )
    .await
}

/// As [`aws`] with a raw body and explicit credentials.
pub async fn aws_raw(state: &AppState, op: &str, body: &[u8], id: &str, secret: &str) -> Resp {
    let amz_date = chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
    let mut headers = vec![("host".to_owned(), "localhost:8080".to_owned())];
    let secret = SecretBytes::from_slice(secret.as_bytes());
    qkms::sign::sigv4::sign(
        op,
        &mut headers,
        body,
        &Key {
            id,
            secret: &secret,
        },
        "us-east-1",
        &amz_date,
    );
    let mut req = test::TestRequest::post()
        .uri("/")
        .set_payload(body.to_vec());
    for (k, v) in headers {
        req = req.insert_header((k, v));
    }
    send(state, req).await
}

static NONCE: AtomicU64 = AtomicU64::new(1);

/// A v1-signed query string for `params` (Timestamp from the real clock, fresh nonce).
pub fn signed_query(method: &str, params: &[(&str, &str)]) -> String {
    signed_query_with(method, params, "testid", "testsecret")
}

/// As [`signed_query`] with explicit credentials.
pub fn signed_query_with(method: &str, params: &[(&str, &str)], id: &str, secret: &str) -> String {
    let now = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let nonce = format!(
        "nonce-{}-{}",
        std::process::id(),
        NONCE.fetch_add(1, Ordering::SeqCst)
    );
    let mut all: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let secret = SecretBytes::from_slice(secret.as_bytes());
    sign_v1(
        method,
        &mut all,
        &[],
        &Key {
            id,
            secret: &secret,
        },
        &now,
        &nonce,
    );
    encode_pairs(&all)
}
