//! `qkms replay FILE --endpoint URL`: re-sends a recording made with `serve --record`,
//! signed afresh (Aliyun requests with v1 HMAC-SHA1, AWS requests with SigV4), and reports
//! every response that differs from the recorded one.
//!
//! Against a server in deterministic mode (its `/healthz` says so) whole bodies are
//! compared, except values that were redacted in the recording. Against any other server,
//! values that are random by nature differ on every run, so only the status and the error
//! code are compared. Determinism holds for one order of requests: replay a recording made
//! from a fresh deterministic server against another fresh one started with the same seed,
//! clock and configuration.
//!
//! The HTTP client is a few lines over `std::net::TcpStream` (HTTP/1.1, one request per
//! connection): replay is a test tool, and this keeps a client stack out of the server.

use std::fmt;
use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::time::Duration;

use serde_json::{Map, Value};

use crate::config::ReplayArgs;
use crate::crypto::SecretBytes;
use crate::server::record::REDACTED;
use crate::sign::Key;
use crate::sign::aliyun::{encode_pairs, sign_v1};

/// The outcome of a replay.
#[derive(Debug, Clone, Default)]
pub struct ReplayReport {
    /// Requests sent.
    pub requests: usize,
    /// Responses that differed.
    pub differences: usize,
    /// Whether whole bodies were compared.
    pub exact: bool,
    /// One line per difference.
    pub details: Vec<String>,
}

impl fmt::Display for ReplayReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in &self.details {
            writeln!(f, "{d}")?;
        }
        write!(
            f,
            "replayed {} requests ({}): {} differences",
            self.requests,
            if self.exact {
                "whole bodies compared"
            } else {
                "status and error code compared"
            },
            self.differences
        )
    }
}

struct Endpoint {
    host: String,
    port: u16,
}

fn parse_endpoint(url: &str) -> Result<Endpoint, String> {
    let rest = url
        .strip_prefix("http://")
        .unwrap_or(url)
        .trim_end_matches('/');
    let (host, port) = rest
        .rsplit_once(':')
        .ok_or_else(|| format!("endpoint {url:?} needs a port, e.g. http://127.0.0.1:8080"))?;
    Ok(Endpoint {
        host: host.to_owned(),
        port: port
            .parse()
            .map_err(|_| format!("endpoint {url:?}: bad port"))?,
    })
}

/// Sends one request; returns the status and the body.
fn send(
    ep: &Endpoint,
    request_line: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> Result<(u16, Vec<u8>), String> {
    let mut stream =
        TcpStream::connect((ep.host.as_str(), ep.port)).map_err(|e| format!("connect: {e}"))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .map_err(|e| e.to_string())?;
    let mut head = format!(
        "{request_line} HTTP/1.1\r\nhost: {}:{}\r\nconnection: close\r\ncontent-length: {}\r\n",
        ep.host,
        ep.port,
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream
        .write_all(head.as_bytes())
        .map_err(|e| e.to_string())?;
    stream.write_all(body).map_err(|e| e.to_string())?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).map_err(|e| e.to_string())?;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("malformed response")?;
    let head = String::from_utf8_lossy(raw.get(..split).unwrap_or_default());
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or("malformed status line")?;
    Ok((status, raw.get(split + 4..).unwrap_or_default().to_vec()))
}

fn aliyun_request(
    ep: &Endpoint,
    action: &str,
    params: &Map<String, Value>,
    id: &str,
    secret: &SecretBytes,
) -> Result<(u16, Vec<u8>), String> {
    let mut nonce = [0u8; 16];
    crate::crypto::random::Entropy::fill(&crate::crypto::random::OsEntropy, &mut nonce)
        .map_err(|e| e.to_string())?;
    let nonce = hex::encode(nonce);
    let now = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let mut pairs: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                v.as_str().map_or_else(|| v.to_string(), str::to_owned),
            )
        })
        .collect();
    if !params.contains_key("Action") {
        pairs.push(("Action".into(), action.into()));
    }
    let key = Key { id, secret };
    sign_v1("POST", &mut pairs, &[], &key, &now, &nonce);
    send(ep, &format!("POST /?{}", encode_pairs(&pairs)), &[], &[])
}

fn aws_request(
    ep: &Endpoint,
    op: &str,
    region: &str,
    params: &Map<String, Value>,
    id: &str,
    secret: &SecretBytes,
) -> Result<(u16, Vec<u8>), String> {
    let body = Value::Object(params.clone()).to_string();
    let amz_date = chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
    let region = if region.is_empty() {
        "us-east-1"
    } else {
        region
    };
    let mut headers = vec![("host".to_owned(), format!("{}:{}", ep.host, ep.port))];
    crate::sign::sigv4::sign(
        op,
        &mut headers,
        body.as_bytes(),
        &Key { id, secret },
        region,
        &amz_date,
    );
    // `send` writes the Host header itself.
    headers.retain(|(k, _)| k != "host");
    send(ep, "POST /", &headers, body.as_bytes())
}

fn error_code(body: &Map<String, Value>) -> Option<&str> {
    body.get("Code")
        .or_else(|| body.get("__type"))
        .and_then(Value::as_str)
}

/// Fields that differ from run to run on a non-deterministic server never get compared;
/// redacted fields of the recording are skipped.
fn body_differences(recorded: &Map<String, Value>, got: &Map<String, Value>) -> Vec<String> {
    let mut out = Vec::new();
    for (k, want) in recorded {
        if want.as_str() == Some(REDACTED) {
            continue;
        }
        if got.get(k) != Some(want) {
            out.push(k.clone());
        }
    }
    for k in got.keys() {
        if !recorded.contains_key(k) {
            out.push(k.clone());
        }
    }
    out
}

/// Runs a replay.
///
/// # Errors
/// An unreadable recording, a malformed line, or an unreachable endpoint.
pub fn run(args: &ReplayArgs) -> Result<ReplayReport, String> {
    let text =
        std::fs::read_to_string(&args.file).map_err(|e| format!("{}: {e}", args.file.display()))?;
    let ep = parse_endpoint(&args.endpoint)?;
    let (id, secret) = match args
        .access_key
        .as_deref()
        .unwrap_or("testid:testsecret")
        .split_once(':')
    {
        Some((i, s)) => (i.to_owned(), SecretBytes::from_slice(s.as_bytes())),
        None => return Err("--access-key must be ID:SECRET".into()),
    };
    let (_, health) = send(&ep, "GET /healthz", &[], &[])?;
    let exact = serde_json::from_slice::<Value>(&health)
        .ok()
        .and_then(|v| v.get("deterministic").and_then(Value::as_bool))
        .unwrap_or(false);
    let mut report = ReplayReport {
        exact,
        ..ReplayReport::default()
    };
    for (n, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let line_no = n + 1;
        let entry: Value =
            serde_json::from_str(line).map_err(|e| format!("line {line_no}: {e}"))?;
        let field = |name: &str| entry.get(name).and_then(Value::as_str).unwrap_or_default();
        let params = entry
            .get("params")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let recorded_body = entry
            .get("body")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let recorded_status = entry.get("status").and_then(Value::as_u64).unwrap_or(0);
        let action = field("action");
        let (status, body) = match field("protocol") {
            "aws" => aws_request(&ep, action, field("region"), &params, &id, &secret)?,
            _ => aliyun_request(&ep, action, &params, &id, &secret)?,
        };
        report.requests += 1;
        let got: Map<String, Value> = serde_json::from_slice::<Value>(&body)
            .ok()
            .and_then(|v| v.as_object().cloned())
            .unwrap_or_default();
        let mut problems = Vec::new();
        if u64::from(status) != recorded_status {
            problems.push(format!("status {recorded_status} -> {status}"));
        }
        if error_code(&recorded_body) != error_code(&got) {
            problems.push(format!(
                "code {} -> {}",
                error_code(&recorded_body).unwrap_or("none"),
                error_code(&got).unwrap_or("none")
            ));
        }
        if exact && problems.is_empty() {
            let fields = body_differences(&recorded_body, &got);
            if !fields.is_empty() {
                problems.push(format!("body fields differ: {}", fields.join(", ")));
            }
        }
        if !problems.is_empty() {
            report.differences += 1;
            report
                .details
                .push(format!("line {line_no} {action}: {}", problems.join("; ")));
        }
    }
    Ok(report)
}
