//! `--record FILE`: every request and its answer as one JSON line, for `qkms replay`.
//!
//! A line: `{"protocol": "aliyun"|"aws", "action", "caller", "region", "params", "status",
//! "body"}`. `params` are the business parameters (signature fields left out); `body` is
//! the response body as sent. Key material, plaintexts and import tokens are replaced by
//! `"[REDACTED]"` unless `--record-secrets` is given (and then the file is mode 0600).

use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::Path;
use std::sync::Mutex;

use serde_json::{Map, Value, json};

/// What a redacted value is replaced with.
pub const REDACTED: &str = "[REDACTED]";

/// Members that carry secrets, in requests and responses of both dialects.
const SECRET_FIELDS: &[&str] = &["Plaintext", "EncryptedKeyMaterial", "ImportToken"];

/// Parameters the v1 signature adds; they are not part of the request's meaning.
pub const SIGNATURE_PARAMS: &[&str] = &[
    "Signature",
    "SignatureNonce",
    "SignatureMethod",
    "SignatureVersion",
    "SignatureType",
    "Timestamp",
    "AccessKeyId",
    "Version",
];

/// Appends request records to a file.
#[derive(Debug)]
pub struct Recorder {
    file: Mutex<File>,
    secrets: bool,
}

/// One recorded exchange.
#[derive(Debug)]
pub struct Exchange<'a> {
    /// `aliyun` or `aws`.
    pub protocol: &'a str,
    /// Action or operation name.
    pub action: &'a str,
    /// Access key ID of the caller.
    pub caller: &'a str,
    /// Signing region (AWS) or empty.
    pub region: &'a str,
    /// Business parameters.
    pub params: Map<String, Value>,
    /// HTTP status.
    pub status: u16,
    /// Response body.
    pub body: Map<String, Value>,
}

fn redact(map: &mut Map<String, Value>) {
    for field in SECRET_FIELDS {
        if let Some(v) = map.get_mut(*field) {
            *v = Value::String(REDACTED.into());
        }
    }
}

impl Recorder {
    /// Opens `path` for appending; with `secrets` the file is created with mode 0600.
    ///
    /// # Errors
    /// The file cannot be opened.
    pub fn open(path: &Path, secrets: bool) -> std::io::Result<Self> {
        let mut opts = OpenOptions::new();
        opts.create(true).append(true);
        #[cfg(unix)]
        if secrets {
            use std::os::unix::fs::OpenOptionsExt as _;
            opts.mode(0o600);
        }
        Ok(Self {
            file: Mutex::new(opts.open(path)?),
            secrets,
        })
    }

    /// Appends one exchange (errors are logged, never fail the request).
    pub fn record(&self, mut x: Exchange<'_>) {
        if !self.secrets {
            redact(&mut x.params);
            redact(&mut x.body);
        }
        let line = json!({
            "protocol": x.protocol,
            "action": x.action,
            "caller": x.caller,
            "region": x.region,
            "params": x.params,
            "status": x.status,
            "body": x.body,
        });
        let Ok(mut file) = self.file.lock() else {
            return;
        };
        if let Err(e) = writeln!(file, "{line}") {
            tracing::warn!(error = %e, "could not write the recording");
        }
    }
}
