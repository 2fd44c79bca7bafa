//! `--record FILE`: every request and its answer as one JSON line, for `qkms replay`.
//!
//! A line: `{"protocol": "aliyun"|"aws", "action", "caller", "region", "params", "status",
//! "body"}`. `params` are the business parameters (signature fields left out); `body` is
//! the response body as sent. The members each action's catalogue entry names as secret
//! (key material, plaintexts, import tokens) are replaced by `"[REDACTED]"` unless
//! `--record-secrets` is given. The file is always mode 0600.

use std::fs::File;
use std::io::Write as _;
use std::path::Path;
use std::sync::Mutex;

use serde_json::{Map, Value, json};

/// What a redacted value is replaced with.
pub const REDACTED: &str = "[REDACTED]";

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
    /// The members of this action that hold secrets (from its catalogue entry).
    pub secrets: &'a [&'a str],
    /// Business parameters.
    pub params: Map<String, Value>,
    /// HTTP status.
    pub status: u16,
    /// Response body.
    pub body: Map<String, Value>,
}

fn redact(map: &mut Map<String, Value>, secrets: &[&str]) {
    for field in secrets {
        if let Some(v) = map.get_mut(*field) {
            *v = Value::String(REDACTED.into());
        }
    }
}

impl Recorder {
    /// Opens `path` for appending, private (0600): a recording names keys and callers even
    /// when it holds no secret, and with `secrets` it holds plaintexts and material, so an
    /// existing file that others can read is narrowed first (or refused).
    ///
    /// # Errors
    /// The file cannot be opened or made private.
    pub fn open(path: &Path, secrets: bool) -> std::io::Result<Self> {
        Ok(Self {
            file: Mutex::new(crate::files::open_private(path, true)?),
            secrets,
        })
    }

    /// Appends one exchange (errors are logged, never fail the request).
    pub fn record(&self, mut x: Exchange<'_>) {
        if !self.secrets {
            redact(&mut x.params, x.secrets);
            redact(&mut x.body, x.secrets);
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
