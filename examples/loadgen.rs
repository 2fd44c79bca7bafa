//! A small, cheap load generator for qkms: keep-alive HTTP/1.1 connections (hyper) on one
//! tokio thread by default, every request signed as the official SDKs sign it, with a
//! fresh nonce and timestamp: Aliyun v1 HMAC-SHA1 (`--scheme v1`), ACS3-HMAC-SHA256
//! (`acs3`), AWS SigV4 for the JSON dialect (`sigv4`), or unsigned `GET /healthz`
//! (`none`). Reports requests/s, p50/p90/p99/max latency and errors, and prints a one-line
//! JSON summary last.
//!
//! ```sh
//! cargo run --release --example loadgen -- --endpoint 127.0.0.1:8080 --scheme v1 \
//!     --action Encrypt --param KeyId=<id> --param Plaintext=aGVsbG8= -c 64 -d 10
//! ```
//!
//! `--path /healthz` sends the same signed requests to an endpoint that ignores them: the
//! client's cost is identical, so the ratio of a scenario to that ceiling is the server's
//! own work. `--once` sends one request and prints the response body (for set-up steps).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a command-line tool: fail loudly

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use bytes::Bytes;
use clap::Parser;
use http_body_util::{BodyExt as _, Full};
use hyper_util::rt::TokioIo;
use qkms::crypto::SecretBytes;
use qkms::sign::Key;
use qkms::sign::aliyun::{Acs, encode_pairs, sign_acs, sign_v1};

#[derive(Debug, Parser, Clone)]
#[command(about = "Load generator for qkms")]
struct Args {
    /// host:port of the server.
    #[arg(long, default_value = "127.0.0.1:8080")]
    endpoint: String,
    /// v1 | acs3 | sigv4 | none.
    #[arg(long, default_value = "v1")]
    scheme: String,
    /// Aliyun action, or AWS operation with `--scheme sigv4`.
    #[arg(long, default_value = "DescribeRegions")]
    action: String,
    /// Aliyun parameter `Name=value`; repeatable.
    #[arg(long = "param")]
    params: Vec<String>,
    /// JSON body for `--scheme sigv4`.
    #[arg(long, default_value = "{}")]
    body: String,
    /// Request path (`/healthz` measures the ceiling with the same signed requests).
    #[arg(long, default_value = "/")]
    path: String,
    /// Concurrent keep-alive connections.
    #[arg(short, long, default_value_t = 16)]
    connections: usize,
    /// Measured seconds.
    #[arg(short, long, default_value_t = 10.0)]
    duration: f64,
    /// Seconds before measuring.
    #[arg(short, long, default_value_t = 1.0)]
    warmup: f64,
    /// Client threads.
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Stop each connection after this many requests (0 = run for the duration).
    #[arg(long, default_value_t = 0)]
    requests: u64,
    /// Send one request, print status and body, exit.
    #[arg(long)]
    once: bool,
    /// Name of the scenario in the summary.
    #[arg(long, default_value = "scenario")]
    name: String,
    /// Access key `ID:SECRET`.
    #[arg(long, default_value = "testid:testsecret")]
    access_key: String,
    /// v1: send the `--param`s in an `application/x-www-form-urlencoded` body (signed, as
    /// the SDKs sign body parameters) instead of the query.
    #[arg(long)]
    form: bool,
    /// The status a response must have to count as a success (hostile scenarios expect
    /// their refusal, e.g. 400) [default: any 2xx].
    #[arg(long)]
    expect_status: Option<u16>,
}

struct Signer {
    args: Args,
    id: String,
    secret: SecretBytes,
    params: Vec<(String, String)>,
}

impl Signer {
    fn new(args: &Args) -> Self {
        let (id, secret) = args
            .access_key
            .split_once(':')
            .expect("--access-key ID:SECRET");
        let params = args
            .params
            .iter()
            .map(|p| {
                let (k, v) = p.split_once('=').expect("--param Name=value");
                (k.to_owned(), v.to_owned())
            })
            .collect();
        Self {
            args: args.clone(),
            id: id.to_owned(),
            secret: SecretBytes::from_slice(secret.as_bytes()),
            params,
        }
    }

    fn nonce(&self) -> String {
        // One counter for the whole process (several signers exist), plus the start time so
        // that two runs never share a nonce within the server's 30-minute memory.
        static NONCE: AtomicU64 = AtomicU64::new(0);
        static START: std::sync::OnceLock<u128> = std::sync::OnceLock::new();
        let start = START.get_or_init(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos())
        });
        format!(
            "{start:x}{:x}{:016x}",
            std::process::id(),
            NONCE.fetch_add(1, Ordering::Relaxed)
        )
    }

    fn key(&self) -> Key<'_> {
        Key {
            id: &self.id,
            secret: &self.secret,
        }
    }

    /// A freshly signed request.
    fn request(&self) -> hyper::Request<Full<Bytes>> {
        self.request_with(&[])
    }

    /// A freshly signed request with `extra` Aliyun parameters (per connection).
    fn request_with(&self, extra: &[(String, String)]) -> hyper::Request<Full<Bytes>> {
        let host = self.args.endpoint.as_str();
        match self.args.scheme.as_str() {
            "none" => hyper::Request::get("/healthz")
                .header("host", host)
                .body(Full::new(Bytes::new()))
                .unwrap(),
            "v1" => {
                let now = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
                let mut params = self.params.clone();
                params.extend_from_slice(extra);
                let (mut query, form) = if self.args.form {
                    (Vec::new(), params)
                } else {
                    (params, Vec::new())
                };
                query.push(("Action".into(), self.args.action.clone()));
                query.push(("Format".into(), "JSON".into()));
                sign_v1("POST", &mut query, &form, &self.key(), &now, &self.nonce());
                let mut req =
                    hyper::Request::post(format!("{}?{}", self.args.path, encode_pairs(&query)))
                        .header("host", host);
                if self.args.form {
                    req = req.header("content-type", "application/x-www-form-urlencoded");
                }
                req.body(Full::new(Bytes::from(encode_pairs(&form))))
                    .unwrap()
            }
            "acs3" => {
                let date = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
                let nonce = self.nonce();
                let mut headers = vec![("host".to_owned(), host.to_owned())];
                let acs = Acs {
                    action: &self.args.action,
                    date: &date,
                    nonce: &nonce,
                    acs4_region: None,
                };
                sign_acs(&acs, &self.params, &mut headers, b"", &self.key());
                with_headers(
                    hyper::Request::post(format!(
                        "{}?{}",
                        self.args.path,
                        encode_pairs(&self.params)
                    )),
                    headers,
                    Bytes::new(),
                )
            }
            "sigv4" => {
                let body = self.args.body.clone();
                let amz_date = chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
                let mut headers = vec![("host".to_owned(), host.to_owned())];
                qkms::sign::sigv4::sign(
                    &self.args.action,
                    &mut headers,
                    body.as_bytes(),
                    &self.key(),
                    "us-east-1",
                    &amz_date,
                );
                with_headers(
                    hyper::Request::post(self.args.path.as_str()),
                    headers,
                    Bytes::from(body),
                )
            }
            other => panic!("unknown --scheme {other}"),
        }
    }
}

fn with_headers(
    mut req: hyper::http::request::Builder,
    headers: Vec<(String, String)>,
    body: Bytes,
) -> hyper::Request<Full<Bytes>> {
    for (k, v) in headers {
        req = req.header(k, v);
    }
    req.body(Full::new(body)).unwrap()
}

#[derive(Default)]
struct Tally {
    latencies_us: Vec<u32>,
    errors: u64,
}

/// For `--action ImportKeyMaterial` without an ImportToken: fetch import parameters for
/// `KeyId` once per connection and wrap fixed 32-byte material with RSAES-OAEP-SHA-256, so
/// every request re-imports the same material (the server's RSA private operation is the
/// cost being measured).
async fn import_params(
    signer: &Signer,
    sender: &mut hyper::client::conn::http1::SendRequest<Full<Bytes>>,
) -> Vec<(String, String)> {
    if signer.args.action != "ImportKeyMaterial"
        || signer.params.iter().any(|(k, _)| k == "ImportToken")
    {
        return Vec::new();
    }
    let key_id = signer
        .params
        .iter()
        .find(|(k, _)| k == "KeyId")
        .map(|(_, v)| v.clone())
        .expect("KeyId");
    let mut get = signer.args.clone();
    get.action = "GetParametersForImport".into();
    get.path = "/".into();
    get.params = vec![
        format!("KeyId={key_id}"),
        "WrappingAlgorithm=RSAES_OAEP_SHA_256".into(),
        "WrappingKeySpec=RSA_2048".into(),
    ];
    let resp = sender
        .send_request(Signer::new(&get).request())
        .await
        .expect("GetParametersForImport");
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    let p: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
    let der = B64
        .decode(p["PublicKey"].as_str().expect("PublicKey"))
        .unwrap();
    let public = aws_lc_rs::rsa::OaepPublicEncryptingKey::new(
        aws_lc_rs::rsa::PublicEncryptingKey::from_der(&der).unwrap(),
    )
    .unwrap();
    let mut out = vec![0u8; public.ciphertext_size()];
    let n = public
        .encrypt(
            &aws_lc_rs::rsa::OAEP_SHA256_MGF1SHA256,
            &[0x5a; 32],
            &mut out,
            None,
        )
        .unwrap()
        .len();
    vec![
        (
            "ImportToken".into(),
            p["ImportToken"].as_str().unwrap().to_owned(),
        ),
        ("EncryptedKeyMaterial".into(), B64.encode(&out[..n])),
        ("KeyMaterialExpireUnix".into(), "0".into()),
    ]
}

async fn connection(signer: Arc<Signer>, start_measuring: Instant, end: Instant) -> Tally {
    let mut tally = Tally::default();
    let stream = tokio::net::TcpStream::connect(&signer.args.endpoint)
        .await
        .expect("connect");
    stream.set_nodelay(true).ok();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("handshake");
    tokio::spawn(conn);
    let extra = import_params(&signer, &mut sender).await;
    let mut sent = 0u64;
    loop {
        let now = Instant::now();
        if now >= end || (signer.args.requests > 0 && sent >= signer.args.requests) {
            break;
        }
        let req = signer.request_with(&extra);
        let t = Instant::now();
        let ok = match sender.send_request(req).await {
            Ok(resp) => {
                let good = match signer.args.expect_status {
                    Some(want) => resp.status().as_u16() == want,
                    None => resp.status().is_success(),
                };
                let drained = resp.into_body().collect().await.is_ok();
                good && drained
            }
            Err(_) => false,
        };
        sent += 1;
        if t >= start_measuring {
            tally
                .latencies_us
                .push(u32::try_from(t.elapsed().as_micros()).unwrap_or(u32::MAX));
            if !ok {
                tally.errors += 1;
            }
        }
        if !ok && sender.ready().await.is_err() {
            break;
        }
    }
    tally
}

fn percentile(sorted: &[u32], p: f64) -> u32 {
    if sorted.is_empty() {
        return 0;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

fn main() {
    let args = Args::parse();
    let signer = Arc::new(Signer::new(&args));
    let runtime = if args.threads <= 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(args.threads)
            .enable_all()
            .build()
            .unwrap()
    };
    if args.once {
        runtime.block_on(async {
            let stream = tokio::net::TcpStream::connect(&args.endpoint)
                .await
                .expect("connect");
            let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
                .await
                .unwrap();
            tokio::spawn(conn);
            let resp = sender
                .send_request(signer.request())
                .await
                .expect("request");
            let status = resp.status();
            let body = resp.into_body().collect().await.unwrap().to_bytes();
            println!("{}", String::from_utf8_lossy(&body));
            if !status.is_success() {
                eprintln!("status {status}");
                std::process::exit(1);
            }
        });
        return;
    }
    let begin = Instant::now();
    let start_measuring = begin + Duration::from_secs_f64(args.warmup);
    let end = start_measuring + Duration::from_secs_f64(args.duration);
    let tallies: Vec<Tally> = runtime.block_on(async {
        let handles: Vec<_> = (0..args.connections)
            .map(|_| tokio::spawn(connection(signer.clone(), start_measuring, end)))
            .collect();
        let mut out = Vec::new();
        for h in handles {
            out.push(h.await.unwrap());
        }
        out
    });
    let measured = Instant::now()
        .min(end)
        .saturating_duration_since(start_measuring)
        .as_secs_f64()
        .max(1e-9);
    let mut all: Vec<u32> = tallies
        .iter()
        .flat_map(|t| t.latencies_us.iter().copied())
        .collect();
    all.sort_unstable();
    let errors: u64 = tallies.iter().map(|t| t.errors).sum();
    let rps = all.len() as f64 / measured;
    let (p50, p90, p99) = (
        percentile(&all, 0.50),
        percentile(&all, 0.90),
        percentile(&all, 0.99),
    );
    let max = all.last().copied().unwrap_or(0);
    eprintln!(
        "{:<28} c={:<3} {:>10.0} req/s  p50 {:>6} us  p90 {:>6} us  p99 {:>6} us  max {:>7} us  errors {}",
        args.name, args.connections, rps, p50, p90, p99, max, errors
    );
    println!(
        "{}",
        serde_json::json!({
            "scenario": args.name, "connections": args.connections, "requests": all.len(),
            "seconds": measured, "rps": rps.round(), "p50_us": p50, "p90_us": p90, "p99_us": p99,
            "max_us": max, "errors": errors,
        })
    );
}
