//! Tamper-evident, hash-chained, size-rotated JSON-lines audit log.
//!
//! # Stored format (never change it: old logs must keep verifying)
//!
//! Each record is one line of UTF-8 JSON terminated by `\n`:
//!
//! ```text
//! {"seq":N,<caller's fields, in the caller's order>,"prev":"<64 hex>","mac":"<64 hex>"}
//! ```
//!
//! * `seq` is 1 for the first record of a new log and grows by exactly 1 per
//!   record, across rotations and across reopening.
//! * `prev` is the `mac` of the record before (64 `0`s for the very first).
//! * Let `body` be the exact text `serde_json::to_string` produces for the
//!   object holding `seq`, the caller's fields and `prev` (in that order,
//!   without `mac`). Then
//!   `mac = lowercase_hex(HMAC-SHA256(key, prev_hex || "\n" || body))`, where
//!   `prev_hex` is the 64 ASCII bytes of `prev`.
//! * The stored line is `body` with its final `}` replaced by
//!   `,"mac":"<mac>"}`. A verifier therefore gets `body` back byte for byte by
//!   removing the fixed 74-byte suffix `,"mac":"<64 lowercase hex>"}` and
//!   appending `}`; the MAC is always recomputed from those stored bytes, never
//!   from re-serialized JSON (re-serializing could normalize numbers, escapes
//!   or key order and hide or invent differences).
//! * The caller's names `seq`, `prev` and `mac` are reserved: such fields are
//!   dropped from the caller's record and replaced by the writer's own.
//!
//! # Rotation
//!
//! The live file is `<path>`; rotated files are `<path>.1` (newest) to
//! `<path>.<keep>` (oldest). Before a record that would push a non-empty live
//! file over `max_bytes`, the live file is fsynced and shifted to `<path>.1`,
//! and the chain (`seq` and `prev`) continues in a fresh `<path>`.
//!
//! # Crashes and failures
//!
//! A final line without its `\n` (a torn write) is cut away by
//! [`AuditLog::open`] so that appending keeps the file parseable;
//! [`verify_file`] reports such a line as an incomplete final record. Records
//! appended with `durable = false` that were still buffered at a crash are
//! lost. After any I/O failure the writer refuses further appends (fail
//! closed, because it can no longer know what reached the disk); reopen the
//! log to resume from what is on disk. One writer (process) per path.
//!
//! # What verification detects
//!
//! Without the key nobody can produce a valid record, so within the files
//! checked it detects: any altered byte (bad MAC or unparseable line), removed
//! or inserted lines (`seq` jump or `prev` mismatch at the line after the
//! gap), reordered lines, and lines or files moved between rotated files.
//!
//! # What it cannot detect
//!
//! * Truncation of the newest records at the end of the newest (live) file,
//!   or rolling the whole set back to an earlier state: what remains is a
//!   valid chain. Only the caller can detect this, by comparing the verified
//!   `last_seq` with the last seq it expects (e.g. recorded elsewhere).
//! * Deletion of the oldest rotated files: that is what rotation does anyway;
//!   the first `prev` of the oldest file present is taken on trust.
//! * Anything done by a holder of the key, who can rewrite the whole chain.

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Map, Value};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// `prev` of the first record of a new log.
const GENESIS_PREV: &str = "0000000000000000000000000000000000000000000000000000000000000000";
/// Hex length of an HMAC-SHA256 tag.
const MAC_HEX_LEN: usize = 64;
/// Text between the body and the mac hex in a stored line.
const MAC_PREFIX: &[u8] = b",\"mac\":\"";
/// Text after the mac hex in a stored line.
const MAC_END: &[u8] = b"\"}";
/// Length of the suffix `,"mac":"<64 hex>"}` that is stripped to recover the body.
const MAC_SUFFIX_LEN: usize = MAC_PREFIX.len() + MAC_HEX_LEN + MAC_END.len();
/// Names the writer owns; a caller's fields with these names are dropped.
const RESERVED: [&str; 3] = ["seq", "prev", "mac"];
/// Non-durable records are written out once this much is buffered, bounding
/// both memory and what a crash can lose.
const BUFFER_LIMIT: usize = 64 * 1024;
/// Chunk size for scanning a file backwards to find its last line.
const TAIL_CHUNK: usize = 8 * 1024;

type HmacSha256 = Hmac<Sha256>;

/// Rotation and durability settings.
#[derive(Debug, Clone)]
pub struct AuditSettings {
    /// The live file; rotated files are `<path>.1` (newest) … `<path>.<keep>` (oldest).
    pub path: PathBuf,
    /// Rotate when the live file would exceed this many bytes (at least one record per file).
    pub max_bytes: u64,
    /// How many rotated files to keep (older ones are deleted).
    pub keep: usize,
}

/// I/O or encoding failure of the writer.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// Reading, writing, syncing or renaming a log file failed.
    #[error("audit log I/O: {0}")]
    Io(#[from] io::Error),
    /// The existing log cannot be continued (bad last record, wrong key) or a
    /// record could not be encoded.
    #[error("audit log is corrupt: {0}")]
    Corrupt(String),
}

/// What verification found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// Number of records checked (0 for an empty file).
    pub records: u64,
    /// Seq of the first record checked (0 if there was none).
    pub first_seq: u64,
    /// Seq of the last record checked (0 if there was none).
    pub last_seq: u64,
}

/// Why verification failed: the 1-based line number in the file and what was wrong.
///
/// Line 0 means the file itself could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {reason}")]
pub struct VerifyError {
    /// 1-based line number of the first bad line (0: the file as a whole).
    pub line: u64,
    /// What was wrong with it.
    pub reason: String,
}

/// The end of the chain: what the next record continues from.
#[derive(Debug, Clone)]
struct Tip {
    seq: u64,
    mac: String,
}

impl Tip {
    fn genesis() -> Tip {
        Tip {
            seq: 0,
            mac: GENESIS_PREV.to_owned(),
        }
    }
}

/// Mutable writer state, guarded by the mutex in [`AuditLog`].
struct Writer {
    file: File,
    /// Encoded records not yet handed to the OS.
    pending: Vec<u8>,
    /// Size of the live file including `pending`, for the rotation decision.
    len: u64,
    tip: Tip,
    /// Set after an I/O failure; appends are refused from then on.
    failed: Option<String>,
}

impl Writer {
    /// Hands buffered records to the OS (no fsync).
    fn write_pending(&mut self) -> io::Result<()> {
        if !self.pending.is_empty() {
            self.file.write_all(&self.pending)?;
            self.pending.clear();
        }
        Ok(())
    }

    /// Writes buffered records and fsyncs the live file.
    fn sync(&mut self) -> io::Result<()> {
        self.write_pending()?;
        self.file.sync_data()
    }

    fn ensure_usable(&self) -> Result<(), AuditError> {
        match &self.failed {
            None => Ok(()),
            Some(why) => Err(AuditError::Io(io::Error::other(format!(
                "audit log disabled after an earlier failure ({why}); reopen it"
            )))),
        }
    }
}

/// The open log. Thread-safe (`&self` methods; internally a Mutex); Send + Sync.
pub struct AuditLog {
    settings: AuditSettings,
    key: Zeroizing<Vec<u8>>,
    inner: Mutex<Writer>,
}

impl fmt::Debug for AuditLog {
    // Hand-written so the HMAC key can never end up in logs or panics.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuditLog")
            .field("settings", &self.settings)
            .field("key", &"<redacted>")
            .field("last_seq", &self.last_seq())
            .finish()
    }
}

impl AuditLog {
    /// Opens or creates the log (file mode 0600 on unix, parent dir must exist), recovering the chain.
    pub fn open(settings: AuditSettings, key: &[u8]) -> Result<AuditLog, AuditError> {
        if key.is_empty() {
            return Err(AuditError::Io(io::Error::new(
                io::ErrorKind::InvalidInput,
                "audit log HMAC key must not be empty",
            )));
        }
        let key = Zeroizing::new(key.to_vec());
        let mut file = open_live(&settings.path)?;
        let tail = last_complete_line(&mut file)?;
        if tail.complete_len < tail.total_len {
            // A torn write from a crash: cut it so the next line starts cleanly.
            file.set_len(tail.complete_len)?;
            file.sync_data()?;
        }
        let tip = match tail.line {
            Some(line) => tip_from_line(&key, &settings.path, &line)?,
            None => tip_from_rotated(&key, &settings.path)?,
        };
        file.seek(SeekFrom::End(0))?;
        sync_parent(&settings.path)?;
        let writer = Writer {
            file,
            pending: Vec::new(),
            len: tail.complete_len,
            tip,
            failed: None,
        };
        Ok(AuditLog {
            settings,
            key,
            inner: Mutex::new(writer),
        })
    }

    /// Appends one record. `durable = true` writes and fsyncs (File::sync_data) before
    /// returning; `false` may leave it in a userspace buffer (BufWriter) that is flushed by the
    /// next durable append, by `flush`, or when the buffer fills. Returns the record's seq.
    pub fn append(&self, record: Map<String, Value>, durable: bool) -> Result<u64, AuditError> {
        let mut w = self.lock()?;
        w.ensure_usable()?;
        let seq = w.tip.seq + 1;
        // Encoding touches no state, so a failure here need not disable the log.
        let (line, mac) = encode_record(&self.key, seq, &w.tip.mac, record)?;
        match self.commit(&mut w, line, durable) {
            Ok(()) => {
                w.tip = Tip { seq, mac };
                Ok(seq)
            }
            Err(e) => {
                w.failed = Some(e.to_string());
                Err(e)
            }
        }
    }

    /// Flushes and fsyncs buffered records.
    pub fn flush(&self) -> Result<(), AuditError> {
        let mut w = self.lock()?;
        w.ensure_usable()?;
        if let Err(e) = w.sync() {
            w.failed = Some(e.to_string());
            return Err(e.into());
        }
        Ok(())
    }

    /// The seq of the last record written (0 if none).
    pub fn last_seq(&self) -> u64 {
        // A poisoned lock still holds a readable counter; reporting it is harmless.
        match self.inner.lock() {
            Ok(w) => w.tip.seq,
            Err(poisoned) => poisoned.into_inner().tip.seq,
        }
    }

    fn lock(&self) -> Result<MutexGuard<'_, Writer>, AuditError> {
        // A panic mid-append may have left the state half updated: refuse to continue.
        self.inner
            .lock()
            .map_err(|_| AuditError::Io(io::Error::other("audit log lock poisoned")))
    }

    /// Rotates if needed, then buffers or writes `line`.
    fn commit(&self, w: &mut Writer, line: Vec<u8>, durable: bool) -> Result<(), AuditError> {
        let line_len = line.len() as u64;
        if w.len > 0 && w.len.saturating_add(line_len) > self.settings.max_bytes {
            self.rotate(w)?;
        }
        w.pending.extend_from_slice(&line);
        w.len += line_len;
        if durable {
            w.sync()?;
        } else if w.pending.len() >= BUFFER_LIMIT {
            w.write_pending()?;
        }
        Ok(())
    }

    /// Shifts `<path>` to `<path>.1` (and older ones up) and starts a new live file.
    fn rotate(&self, w: &mut Writer) -> Result<(), AuditError> {
        // Everything in the file being retired must be on disk before it moves.
        w.sync()?;
        let path = &self.settings.path;
        let keep = self.settings.keep;
        if keep == 0 {
            fs::remove_file(path)?;
        } else {
            // Renaming onto `<path>.<keep>` replaces (deletes) the oldest file.
            for k in (1..keep).rev() {
                rename_if_exists(&rotated_path(path, k), &rotated_path(path, k + 1))?;
            }
            fs::rename(path, rotated_path(path, 1))?;
        }
        // create_new: anything already at `path` now is another writer's; don't clobber it.
        w.file = live_options().create_new(true).open(path)?;
        w.len = 0;
        sync_parent(path)?;
        Ok(())
    }
}

impl Drop for AuditLog {
    fn drop(&mut self) {
        // Best effort: there is nobody to report an error to here.
        if let Ok(w) = self.inner.get_mut()
            && w.failed.is_none()
        {
            let _ = w.sync();
        }
    }
}

/// Builds the stored line (with `\n`) for one record and returns it with its mac.
fn encode_record(
    key: &[u8],
    seq: u64,
    prev: &str,
    record: Map<String, Value>,
) -> Result<(Vec<u8>, String), AuditError> {
    // Build a fresh map rather than removing keys: removal from an ordered map
    // may reorder the caller's fields.
    let mut obj = Map::new();
    obj.insert("seq".to_owned(), Value::from(seq));
    for (name, value) in record {
        if !RESERVED.contains(&name.as_str()) {
            obj.insert(name, value);
        }
    }
    obj.insert("prev".to_owned(), Value::from(prev));
    let body = serde_json::to_string(&obj)
        .map_err(|e| AuditError::Corrupt(format!("cannot encode record: {e}")))?;
    let open = body
        .strip_suffix('}')
        .ok_or_else(|| AuditError::Corrupt("encoded record is not an object".to_owned()))?;
    let tag =
        compute_mac(key, prev.as_bytes(), body.as_bytes(), b"").map_err(AuditError::Corrupt)?;
    let mac = hex::encode(tag);
    let line = format!("{open},\"mac\":\"{mac}\"}}\n");
    Ok((line.into_bytes(), mac))
}

/// HMAC-SHA256(key, prev || "\n" || body || body_end); `body_end` lets the
/// verifier supply the closing `}` without copying the line.
fn compute_mac(key: &[u8], prev: &[u8], body: &[u8], body_end: &[u8]) -> Result<Vec<u8>, String> {
    let mut mac = HmacSha256::new_from_slice(key).map_err(|e| format!("unusable HMAC key: {e}"))?;
    mac.update(prev);
    mac.update(b"\n");
    mac.update(body);
    mac.update(body_end);
    Ok(mac.finalize().into_bytes().to_vec())
}

fn is_mac_hex(s: &str) -> bool {
    s.len() == MAC_HEX_LEN && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Constant-time equality, so comparing tags leaks nothing through timing.
fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    bool::from(a.ct_eq(b))
}

/// Splits a stored line into the body without its closing `}` and the mac hex.
fn split_mac(line: &[u8]) -> Option<(&[u8], &str)> {
    let cut = line.len().checked_sub(MAC_SUFFIX_LEN)?;
    let (head, suffix) = line.split_at(cut);
    let hex = suffix.strip_prefix(MAC_PREFIX)?.strip_suffix(MAC_END)?;
    let hex = std::str::from_utf8(hex).ok().filter(|h| is_mac_hex(h))?;
    Some((head, hex))
}

/// The fields of one line whose MAC checked out.
#[derive(Debug)]
struct Checked {
    seq: u64,
    prev: String,
    mac: String,
}

/// Parses one stored line (without `\n`) and checks its MAC from the stored bytes.
fn check_line(key: &[u8], line: &[u8]) -> Result<Checked, String> {
    if line.is_empty() {
        return Err("empty line".to_owned());
    }
    let value: Value = serde_json::from_slice(line).map_err(|e| format!("not valid JSON: {e}"))?;
    let obj = value.as_object().ok_or("not a JSON object")?;
    let (head, mac_hex) =
        split_mac(line).ok_or("does not end with a well-formed \"mac\" member")?;
    let seq = obj
        .get("seq")
        .and_then(Value::as_u64)
        .filter(|s| *s >= 1)
        .ok_or("missing or invalid \"seq\"")?;
    let prev = obj
        .get("prev")
        .and_then(Value::as_str)
        .filter(|p| is_mac_hex(p))
        .ok_or("missing or invalid \"prev\"")?;
    let mut stored = [0u8; MAC_HEX_LEN / 2];
    hex::decode_to_slice(mac_hex, &mut stored).map_err(|e| format!("bad mac hex: {e}"))?;
    let expected = compute_mac(key, prev.as_bytes(), head, b"}")?;
    if !ct_eq(&expected, &stored) {
        return Err("MAC mismatch (record altered, or wrong key)".to_owned());
    }
    Ok(Checked {
        seq,
        prev: prev.to_owned(),
        mac: mac_hex.to_owned(),
    })
}

/// Where a file's last complete line is.
struct Tail {
    total_len: u64,
    /// Length up to and including the last `\n` (0 if there is none).
    complete_len: u64,
    /// The last complete line without its `\n`, if any.
    line: Option<Vec<u8>>,
}

/// Finds the last complete line by scanning backwards, so that opening a
/// large file does not read it all.
fn last_complete_line(file: &mut File) -> io::Result<Tail> {
    let total_len = file.metadata()?.len();
    let Some(nl) = rfind_newline(file, total_len)? else {
        return Ok(Tail {
            total_len,
            complete_len: 0,
            line: None,
        });
    };
    let start = rfind_newline(file, nl)?.map_or(0, |p| p + 1);
    let size = usize::try_from(nl - start)
        .map_err(|_| io::Error::other("last audit record is too large"))?;
    let mut line = vec![0u8; size];
    file.seek(SeekFrom::Start(start))?;
    file.read_exact(&mut line)?;
    Ok(Tail {
        total_len,
        complete_len: nl + 1,
        line: Some(line),
    })
}

/// Offset of the last `\n` strictly before `end`.
fn rfind_newline(file: &mut File, end: u64) -> io::Result<Option<u64>> {
    let mut buf = vec![0u8; TAIL_CHUNK];
    let mut hi = end;
    while hi > 0 {
        let lo = hi.saturating_sub(TAIL_CHUNK as u64);
        // hi - lo <= TAIL_CHUNK, so this fits in usize.
        let n = (hi - lo) as usize;
        file.seek(SeekFrom::Start(lo))?;
        file.read_exact(&mut buf[..n])?;
        if let Some(i) = buf[..n].iter().rposition(|&b| b == b'\n') {
            return Ok(Some(lo + i as u64));
        }
        hi = lo;
    }
    Ok(None)
}

/// Recovers the tip from a last line; refuses to chain onto a record that does
/// not verify (tampered tail, or a different key).
fn tip_from_line(key: &[u8], path: &Path, line: &[u8]) -> Result<Tip, AuditError> {
    let checked = check_line(key, line)
        .map_err(|why| AuditError::Corrupt(format!("last record of {}: {why}", path.display())))?;
    Ok(Tip {
        seq: checked.seq,
        mac: checked.mac,
    })
}

/// The live file is empty (e.g. a crash right after rotation): continue from
/// the newest rotated file, or start a new chain if there is none.
fn tip_from_rotated(key: &[u8], path: &Path) -> Result<Tip, AuditError> {
    let newest = rotated_path(path, 1);
    let mut file = match File::open(&newest) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Tip::genesis()),
        Err(e) => return Err(e.into()),
    };
    // Rotated files are fsynced before the rename, so there is no torn tail to
    // repair; and a rotated file is never modified.
    match last_complete_line(&mut file)?.line {
        Some(line) => tip_from_line(key, &newest, &line),
        None => Ok(Tip::genesis()),
    }
}

fn live_options() -> OpenOptions {
    let mut opts = OpenOptions::new();
    opts.read(true).write(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts
}

/// Opens (creating if needed) the live file, tightening its mode to 0600.
fn open_live(path: &Path) -> io::Result<File> {
    let file = live_options().create(true).truncate(false).open(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // `mode` only applies on creation; an existing file may be too open.
        let perms = file.metadata()?.permissions();
        if perms.mode() & 0o077 != 0 {
            file.set_permissions(fs::Permissions::from_mode(0o600))?;
        }
    }
    Ok(file)
}

/// `<path>.<k>`.
fn rotated_path(path: &Path, k: usize) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".{k}"));
    PathBuf::from(name)
}

fn rename_if_exists(from: &Path, to: &Path) -> io::Result<()> {
    match fs::rename(from, to) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

/// Makes creations and renames in the log's directory durable.
fn sync_parent(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        File::open(dir)?.sync_all()?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Verifies one file. The first record's `prev` is taken on trust unless `expect_prev`
/// is given (the mac of the last record of the previous, rotated file); every later record must
/// chain to the one before it, have seq = previous seq + 1, and a valid mac. Reports the FIRST bad line:
/// an altered byte anywhere in a record → that line (bad mac or unparseable); a removed line → the
/// line after the gap (seq jump / prev mismatch); two lines swapped → the first of them.
///
/// A final line without `\n` is reported as an incomplete final record. An
/// empty file verifies with all counts 0.
pub fn verify_file(
    path: &Path,
    key: &[u8],
    expect_prev: Option<&str>,
) -> Result<VerifyReport, VerifyError> {
    let start = expect_prev.map(|mac| Anchor {
        mac: mac.to_owned(),
        seq: None,
    });
    verify_one(path, key, start).map(|(report, _)| report)
}

/// Verifies a rotated set oldest → newest (`<path>.<k>` … `<path>.1`, then `<path>`), chaining across files;
/// the error's `line` is within the file named in `reason`.
///
/// Missing rotated files are skipped (a gap then shows as a broken link in the
/// next file present); a missing live file is an error at line 0.
pub fn verify_chain(settings: &AuditSettings, key: &[u8]) -> Result<VerifyReport, VerifyError> {
    let mut files: Vec<PathBuf> = (1..=settings.keep)
        .rev()
        .map(|k| rotated_path(&settings.path, k))
        .filter(|p| p.exists())
        .collect();
    files.push(settings.path.clone());
    let mut total = VerifyReport {
        records: 0,
        first_seq: 0,
        last_seq: 0,
    };
    let mut anchor: Option<Anchor> = None;
    for path in &files {
        let (report, last_mac) =
            verify_one(path, key, anchor.clone()).map_err(|e| VerifyError {
                line: e.line,
                reason: format!("{}: {}", path.display(), e.reason),
            })?;
        if let Some(mac) = last_mac {
            if total.records == 0 {
                total.first_seq = report.first_seq;
            }
            total.records += report.records;
            total.last_seq = report.last_seq;
            anchor = Some(Anchor {
                mac,
                seq: Some(report.last_seq),
            });
        }
    }
    Ok(total)
}

/// What the first record of a file must continue from.
#[derive(Debug, Clone)]
struct Anchor {
    mac: String,
    /// Seq of the record `mac` belongs to, when known.
    seq: Option<u64>,
}

/// Checks that `rec` continues `anchor` (seq + 1 where known, and prev = mac).
fn check_link(rec: &Checked, anchor: &Anchor) -> Result<(), String> {
    if let Some(seq) = anchor.seq
        && rec.seq != seq.saturating_add(1)
    {
        return Err(format!("seq {} does not follow seq {seq}", rec.seq));
    }
    if !ct_eq(rec.prev.as_bytes(), anchor.mac.as_bytes()) {
        return Err("prev does not match the mac of the record before".to_owned());
    }
    Ok(())
}

/// Verifies one file, also returning the last record's mac to chain onward.
fn verify_one(
    path: &Path,
    key: &[u8],
    mut anchor: Option<Anchor>,
) -> Result<(VerifyReport, Option<String>), VerifyError> {
    let whole = |why: String| VerifyError {
        line: 0,
        reason: why,
    };
    let file = File::open(path).map_err(|e| whole(format!("cannot open: {e}")))?;
    let mut reader = BufReader::new(file);
    let mut report = VerifyReport {
        records: 0,
        first_seq: 0,
        last_seq: 0,
    };
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let line = report.records + 1;
        let at = |reason: String| VerifyError { line, reason };
        let n = reader
            .read_until(b'\n', &mut buf)
            .map_err(|e| at(format!("cannot read: {e}")))?;
        if n == 0 {
            break;
        }
        if buf.pop() != Some(b'\n') {
            return Err(at(
                "incomplete final record (no trailing newline)".to_owned()
            ));
        }
        let rec = check_line(key, &buf).map_err(at)?;
        if let Some(prev) = &anchor {
            check_link(&rec, prev).map_err(at)?;
        }
        if report.records == 0 {
            report.first_seq = rec.seq;
        }
        report.records += 1;
        report.last_seq = rec.seq;
        anchor = Some(Anchor {
            mac: rec.mac,
            seq: Some(rec.seq),
        });
    }
    let last_mac = if report.records > 0 {
        anchor.map(|a| a.mac)
    } else {
        None
    };
    Ok((report, last_mac))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use serde_json::json;

    const KEY: &[u8] = b"test-key-0123456789abcdef";

    fn settings(dir: &Path, max_bytes: u64, keep: usize) -> AuditSettings {
        AuditSettings {
            path: dir.join("audit.log"),
            max_bytes,
            keep,
        }
    }

    fn record(i: u64) -> Map<String, Value> {
        let v = json!({"time": format!("2024-01-01T00:00:{i:02}Z"), "requestId": format!("r{i}"), "action": "encrypt"});
        v.as_object().unwrap().clone()
    }

    fn write_n(s: &AuditSettings, n: u64) -> AuditLog {
        let log = AuditLog::open(s.clone(), KEY).unwrap();
        for i in 0..n {
            log.append(record(i), true).unwrap();
        }
        log
    }

    fn lines(path: &Path) -> Vec<String> {
        fs::read_to_string(path)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    fn write_lines(path: &Path, lines: &[String]) {
        let mut text = lines.join("\n");
        text.push('\n');
        fs::write(path, text).unwrap();
    }

    fn report(records: u64, first_seq: u64, last_seq: u64) -> VerifyReport {
        VerifyReport {
            records,
            first_seq,
            last_seq,
        }
    }

    fn last_mac(path: &Path) -> String {
        let all = lines(path);
        let v: Value = serde_json::from_str(all.last().unwrap()).unwrap();
        v["mac"].as_str().unwrap().to_owned()
    }

    #[test]
    fn chain_of_five_verifies() {
        let dir = tempfile::tempdir().unwrap();
        let s = settings(dir.path(), 1 << 20, 3);
        let log = write_n(&s, 5);
        assert_eq!(log.last_seq(), 5);
        assert_eq!(verify_file(&s.path, KEY, None).unwrap(), report(5, 1, 5));
        assert_eq!(verify_chain(&s, KEY).unwrap(), report(5, 1, 5));
        let first: Value = serde_json::from_str(&lines(&s.path)[0]).unwrap();
        assert_eq!(first["prev"], GENESIS_PREV);
    }

    #[test]
    fn stored_format_is_exact() {
        let dir = tempfile::tempdir().unwrap();
        let s = settings(dir.path(), 1 << 20, 3);
        let log = AuditLog::open(s.clone(), KEY).unwrap();
        let mut rec = Map::new();
        rec.insert("action".into(), json!("sign"));
        log.append(rec, true).unwrap();
        let body = format!("{{\"seq\":1,\"action\":\"sign\",\"prev\":\"{GENESIS_PREV}\"}}");
        let mut m = HmacSha256::new_from_slice(KEY).unwrap();
        m.update(format!("{GENESIS_PREV}\n{body}").as_bytes());
        let mac = hex::encode(m.finalize().into_bytes());
        let expected = format!(
            "{{\"seq\":1,\"action\":\"sign\",\"prev\":\"{GENESIS_PREV}\",\"mac\":\"{mac}\"}}\n"
        );
        assert_eq!(fs::read_to_string(&s.path).unwrap(), expected);
    }

    #[test]
    fn altered_byte_reports_that_line() {
        let dir = tempfile::tempdir().unwrap();
        let s = settings(dir.path(), 1 << 20, 3);
        drop(write_n(&s, 5));
        let mut all = lines(&s.path);
        assert!(all[2].contains("\"r2\""));
        all[2] = all[2].replace("\"r2\"", "\"r9\"");
        write_lines(&s.path, &all);
        let err = verify_file(&s.path, KEY, None).unwrap_err();
        assert_eq!(err.line, 3, "{err}");
        assert!(err.reason.contains("MAC"), "{err}");
    }

    #[test]
    fn unparseable_line_reports_that_line() {
        let dir = tempfile::tempdir().unwrap();
        let s = settings(dir.path(), 1 << 20, 3);
        drop(write_n(&s, 5));
        let mut all = lines(&s.path);
        all[3].insert(0, 'x');
        write_lines(&s.path, &all);
        assert_eq!(verify_file(&s.path, KEY, None).unwrap_err().line, 4);
    }

    #[test]
    fn deleted_line_reports_line_after_gap() {
        let dir = tempfile::tempdir().unwrap();
        let s = settings(dir.path(), 1 << 20, 3);
        drop(write_n(&s, 5));
        let mut all = lines(&s.path);
        all.remove(2);
        write_lines(&s.path, &all);
        let err = verify_file(&s.path, KEY, None).unwrap_err();
        assert_eq!(err.line, 3, "{err}");
    }

    #[test]
    fn swapped_lines_report_first_of_them() {
        let dir = tempfile::tempdir().unwrap();
        let s = settings(dir.path(), 1 << 20, 3);
        drop(write_n(&s, 5));
        let mut all = lines(&s.path);
        all.swap(1, 2);
        write_lines(&s.path, &all);
        assert_eq!(verify_file(&s.path, KEY, None).unwrap_err().line, 2);
    }

    #[test]
    fn reopen_continues_seq_and_chain() {
        let dir = tempfile::tempdir().unwrap();
        let s = settings(dir.path(), 1 << 20, 3);
        drop(write_n(&s, 3));
        let log = AuditLog::open(s.clone(), KEY).unwrap();
        assert_eq!(log.last_seq(), 3);
        assert_eq!(log.append(record(3), true).unwrap(), 4);
        assert_eq!(log.append(record(4), false).unwrap(), 5);
        drop(log); // Drop flushes the non-durable record.
        assert_eq!(verify_file(&s.path, KEY, None).unwrap(), report(5, 1, 5));
    }

    #[test]
    fn torn_final_line_is_truncated_by_open() {
        let dir = tempfile::tempdir().unwrap();
        let s = settings(dir.path(), 1 << 20, 3);
        drop(write_n(&s, 3));
        let good_len = fs::metadata(&s.path).unwrap().len();
        let mut f = OpenOptions::new().append(true).open(&s.path).unwrap();
        f.write_all(b"{\"seq\":4,\"time\":\"2024-").unwrap();
        drop(f);
        let err = verify_file(&s.path, KEY, None).unwrap_err();
        assert_eq!(err.line, 4);
        assert!(err.reason.contains("incomplete"), "{err}");

        let log = AuditLog::open(s.clone(), KEY).unwrap();
        assert_eq!(fs::metadata(&s.path).unwrap().len(), good_len);
        assert_eq!(log.last_seq(), 3);
        assert_eq!(log.append(record(3), true).unwrap(), 4);
        assert_eq!(verify_file(&s.path, KEY, None).unwrap(), report(4, 1, 4));
    }

    #[test]
    fn wholly_torn_file_starts_fresh() {
        let dir = tempfile::tempdir().unwrap();
        let s = settings(dir.path(), 1 << 20, 3);
        fs::write(&s.path, b"{\"seq\":1,").unwrap();
        let log = AuditLog::open(s.clone(), KEY).unwrap();
        assert_eq!(log.append(record(0), true).unwrap(), 1);
        assert_eq!(verify_file(&s.path, KEY, None).unwrap(), report(1, 1, 1));
    }

    #[test]
    fn wrong_key_fails_at_line_one() {
        let dir = tempfile::tempdir().unwrap();
        let s = settings(dir.path(), 1 << 20, 3);
        drop(write_n(&s, 3));
        let err = verify_file(&s.path, b"another key", None).unwrap_err();
        assert_eq!(err.line, 1);
        assert!(err.reason.contains("MAC"), "{err}");
    }

    #[test]
    fn open_refuses_wrong_key_or_tampered_tail() {
        let dir = tempfile::tempdir().unwrap();
        let s = settings(dir.path(), 1 << 20, 3);
        drop(write_n(&s, 3));
        let err = AuditLog::open(s.clone(), b"another key").unwrap_err();
        assert!(matches!(err, AuditError::Corrupt(_)), "{err}");
        let mut all = lines(&s.path);
        all[2] = all[2].replace("encrypt", "decrypt");
        write_lines(&s.path, &all);
        let err = AuditLog::open(s.clone(), KEY).unwrap_err();
        assert!(matches!(err, AuditError::Corrupt(_)), "{err}");
        assert!(AuditLog::open(s, b"").is_err());
    }

    #[test]
    fn rotation_keeps_bound_and_chains_across_files() {
        let dir = tempfile::tempdir().unwrap();
        let one = encode_record(KEY, 1, GENESIS_PREV, record(0))
            .unwrap()
            .0
            .len() as u64;
        // Room for three records per file.
        let s = settings(dir.path(), one * 3 + 20, 2);
        drop(write_n(&s, 20));
        let p1 = rotated_path(&s.path, 1);
        let p2 = rotated_path(&s.path, 2);
        assert!(p1.exists() && p2.exists());
        assert!(!rotated_path(&s.path, 3).exists());
        for p in [&s.path, &p1, &p2] {
            assert!(fs::metadata(p).unwrap().len() <= s.max_bytes);
        }
        // 20 records, 3 per file: live holds 19..20, .1 holds 16..18, .2 holds 13..15.
        assert_eq!(verify_chain(&s, KEY).unwrap(), report(8, 13, 20));
        assert_eq!(verify_file(&s.path, KEY, None).unwrap(), report(2, 19, 20));
        let good = last_mac(&p1);
        assert_eq!(
            verify_file(&s.path, KEY, Some(&good)).unwrap(),
            report(2, 19, 20)
        );
        let err = verify_file(&s.path, KEY, Some(&"ab".repeat(32))).unwrap_err();
        assert_eq!(err.line, 1);
        // Reopening continues the chain across the rotated set.
        let log = AuditLog::open(s.clone(), KEY).unwrap();
        assert_eq!(log.append(record(20), true).unwrap(), 21);
        drop(log);
        assert_eq!(verify_chain(&s, KEY).unwrap(), report(9, 13, 21));
    }

    #[test]
    fn chain_detects_a_missing_rotated_file() {
        let dir = tempfile::tempdir().unwrap();
        let one = encode_record(KEY, 1, GENESIS_PREV, record(0))
            .unwrap()
            .0
            .len() as u64;
        let s = settings(dir.path(), one * 2 + 20, 3);
        drop(write_n(&s, 8));
        fs::remove_file(rotated_path(&s.path, 2)).unwrap();
        let err = verify_chain(&s, KEY).unwrap_err();
        assert_eq!(err.line, 1);
        assert!(err.reason.contains("audit.log.1"), "{err}");
    }

    #[test]
    fn oversized_record_gets_its_own_file() {
        let dir = tempfile::tempdir().unwrap();
        let s = settings(dir.path(), 10, 5);
        drop(write_n(&s, 3));
        assert_eq!(lines(&s.path).len(), 1);
        assert_eq!(lines(&rotated_path(&s.path, 1)).len(), 1);
        assert_eq!(verify_chain(&s, KEY).unwrap(), report(3, 1, 3));
    }

    #[test]
    fn keep_zero_deletes_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let s = settings(dir.path(), 10, 0);
        let log = write_n(&s, 3);
        assert_eq!(log.last_seq(), 3);
        assert!(!rotated_path(&s.path, 1).exists());
        assert_eq!(verify_chain(&s, KEY).unwrap(), report(1, 3, 3));
    }

    #[test]
    fn empty_live_file_continues_from_newest_rotated() {
        let dir = tempfile::tempdir().unwrap();
        let s = settings(dir.path(), 10, 3);
        drop(write_n(&s, 3));
        // As after a crash between rotation and the first write to the new file.
        fs::write(&s.path, b"").unwrap();
        let log = AuditLog::open(s.clone(), KEY).unwrap();
        assert_eq!(log.last_seq(), 2);
        assert_eq!(log.append(record(9), true).unwrap(), 3);
        drop(log);
        assert_eq!(verify_chain(&s, KEY).unwrap(), report(3, 1, 3));
    }

    #[cfg(unix)]
    #[test]
    fn files_are_mode_0600() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let s = settings(dir.path(), 10, 2);
        drop(write_n(&s, 3));
        for p in [s.path.clone(), rotated_path(&s.path, 1)] {
            let mode = fs::metadata(&p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{}", p.display());
        }
        fs::set_permissions(&s.path, fs::Permissions::from_mode(0o644)).unwrap();
        drop(AuditLog::open(s.clone(), KEY).unwrap());
        let mode = fs::metadata(&s.path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    #[test]
    fn non_durable_records_visible_after_flush() {
        let dir = tempfile::tempdir().unwrap();
        let s = settings(dir.path(), 1 << 20, 3);
        let log = AuditLog::open(s.clone(), KEY).unwrap();
        assert_eq!(log.append(record(0), false).unwrap(), 1);
        assert_eq!(log.append(record(1), false).unwrap(), 2);
        assert_eq!(fs::read(&s.path).unwrap().len(), 0);
        log.flush().unwrap();
        assert_eq!(lines(&s.path).len(), 2);
        assert_eq!(verify_file(&s.path, KEY, None).unwrap(), report(2, 1, 2));
    }

    #[test]
    fn reserved_names_are_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let s = settings(dir.path(), 1 << 20, 3);
        let log = AuditLog::open(s.clone(), KEY).unwrap();
        let forged = json!({"seq": 999, "action": "x", "prev": "ff".repeat(32), "mac": "00"});
        let seq = log
            .append(forged.as_object().unwrap().clone(), true)
            .unwrap();
        assert_eq!(seq, 1);
        let line = &lines(&s.path)[0];
        assert!(
            line.starts_with("{\"seq\":1,\"action\":\"x\",\"prev\":\"000"),
            "{line}"
        );
        assert_eq!(line.matches("\"seq\"").count(), 1);
        assert_eq!(line.matches("\"prev\"").count(), 1);
        assert_eq!(line.matches("\"mac\"").count(), 1);
        assert_eq!(verify_file(&s.path, KEY, None).unwrap(), report(1, 1, 1));
    }

    #[test]
    fn caller_fields_keep_their_order() {
        let dir = tempfile::tempdir().unwrap();
        let s = settings(dir.path(), 1 << 20, 3);
        let log = AuditLog::open(s.clone(), KEY).unwrap();
        let mut rec = Map::new();
        for name in ["zeta", "alpha", "mid", "beta"] {
            rec.insert(name.to_owned(), json!(name.len()));
        }
        log.append(rec, true).unwrap();
        let line = &lines(&s.path)[0];
        let prefix = "{\"seq\":1,\"zeta\":4,\"alpha\":5,\"mid\":3,\"beta\":4,\"prev\":";
        assert!(line.starts_with(prefix), "{line}");
    }

    #[test]
    fn concurrent_appends_stay_chained() {
        let dir = tempfile::tempdir().unwrap();
        let s = settings(dir.path(), 2000, 50);
        let log = AuditLog::open(s.clone(), KEY).unwrap();
        std::thread::scope(|scope| {
            for t in 0..4 {
                let log = &log;
                scope.spawn(move || {
                    for i in 0..25 {
                        log.append(record(t * 100 + i), i % 5 == 0).unwrap();
                    }
                });
            }
        });
        assert_eq!(log.last_seq(), 100);
        log.flush().unwrap();
        assert_eq!(verify_chain(&s, KEY).unwrap(), report(100, 1, 100));
    }

    #[test]
    fn debug_redacts_key_and_types_are_send_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<AuditLog>();
        let dir = tempfile::tempdir().unwrap();
        let s = settings(dir.path(), 1 << 20, 3);
        let log = AuditLog::open(s, KEY).unwrap();
        let shown = format!("{log:?}");
        assert!(shown.contains("<redacted>"));
        assert!(!shown.contains("test-key"));
        assert!(!shown.contains(&format!("{:?}", KEY.to_vec())));
    }

    #[test]
    fn empty_and_missing_files() {
        let dir = tempfile::tempdir().unwrap();
        let s = settings(dir.path(), 1 << 20, 3);
        assert_eq!(verify_file(&s.path, KEY, None).unwrap_err().line, 0);
        assert_eq!(verify_chain(&s, KEY).unwrap_err().line, 0);
        drop(AuditLog::open(s.clone(), KEY).unwrap());
        assert_eq!(verify_file(&s.path, KEY, None).unwrap(), report(0, 0, 0));
        assert_eq!(verify_chain(&s, KEY).unwrap(), report(0, 0, 0));
    }
}
