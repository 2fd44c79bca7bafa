//! The front guard: every connection's bytes pass through here before actix's HTTP/1
//! parser sees them.
//!
//! actix answers a request head it cannot accept (bad syntax, a NUL in a header, too many
//! headers, a duplicate `Content-Length`, a head that never completes) with an empty
//! 400/408/431 that no SDK can read, and offers no hook to change that. So the guard
//! validates each head itself, with the same rules as actix and stricter limits, and
//! releases it to actix only once it is acceptable; a head it refuses gets the dialect's
//! error (an AWS-looking head an AWS JSON body, any other an Aliyun one), after which the
//! connection is closed. Because partial heads are held back, actix never sees them, and
//! the guard's own deadlines bound every client:
//!
//! * a request head must arrive within the request timeout of its first byte (of the
//!   connection, for the first request);
//! * a request body must arrive within the request timeout of its head; a body that
//!   stalls ends the connection, and the handler answers with its dialect's error.
//!
//! The guard tracks each request's framing (`Content-Length` or chunked) only to find
//! where the next head begins. Written here because no crate offers this: hyper and actix
//! both render these errors themselves.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use actix_web::rt::net::TcpStream;
use actix_web::rt::time::{Sleep, sleep};
use bytes::{Buf as _, BytesMut};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::AppState;
use super::reject::{Dialect, Rejection};

/// Largest request head (request line and headers).
pub const MAX_HEAD: usize = 64 * 1024;
/// Longest request target (path and query): the SDKs put every parameter in the query.
pub const MAX_URI: usize = 32 * 1024;
/// Most header fields in a head (actix's own limit is 96).
pub const MAX_HEADERS: usize = 64;

/// What every guard of a server shares.
#[derive(Debug)]
pub struct GuardConfig {
    /// For request IDs, `HostId` and the CORS policy of rejections.
    pub state: AppState,
    /// Deadline of a head, and of a body after its head.
    pub timeout: Duration,
}

/// A byte stream the guard can sit on: a TCP connection, or a TLS session over one.
pub trait Io: AsyncRead + AsyncWrite + Unpin {
    /// Writes what it can of `bytes` now, without waiting (a last word on drop); streams
    /// that cannot (TLS needs its own framing) write nothing.
    fn write_now(&self, bytes: &[u8]) {
        let _ = bytes;
    }
}

impl Io for TcpStream {
    fn write_now(&self, bytes: &[u8]) {
        let _ = self.try_write(bytes);
    }
}

impl<S: actix_web::rt::net::ActixStream> Io for actix_tls::accept::rustls_0_23::TlsStream<S> {}

/// A connection behind the guard.
pub struct Guarded<S: Io = TcpStream> {
    io: S,
    config: Arc<GuardConfig>,
    /// Bytes read from the socket and not yet given to actix.
    buf: BytesMut,
    /// How many bytes at the front of `buf` are validated and may be given out.
    released: usize,
    /// How far `buf` was searched for the end of the head.
    scanned: usize,
    framing: Framing,
    /// The deadline of the current head or body, when one is running.
    deadline: Option<Pin<Box<Sleep>>>,
    first: bool,
    /// A rejection still to be written, and how much of it was.
    reply: Option<(Vec<u8>, usize)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    /// Waiting for a request head.
    Head,
    /// In a body of this many more bytes.
    Length(u64),
    /// In a chunked body.
    Chunked(Chunks),
    /// Refused or timed out: actix reads end of stream from here on.
    Closed,
}

impl<S: Io> Guarded<S> {
    /// Wraps an accepted connection.
    #[must_use]
    pub fn new(io: S, config: Arc<GuardConfig>) -> Self {
        let deadline = Some(Box::pin(sleep(config.timeout)));
        Self {
            io,
            config,
            buf: BytesMut::with_capacity(8 * 1024),
            released: 0,
            scanned: 0,
            framing: Framing::Head,
            deadline,
            first: true,
            reply: None,
        }
    }

    /// Closes the read side towards actix once it has what was released (earlier
    /// pipelined requests), with a reply to send after their responses if `rejection`.
    fn close(&mut self, rejection: Option<Rejection>) {
        if let Some(rejection) = rejection {
            let pending = self.buf.get(self.released..).unwrap_or_default();
            let head = pending
                .get(..pending.len().min(MAX_HEAD))
                .unwrap_or_default();
            let state = &self.config.state;
            let dialect = dialect_of(head);
            let mut rendered =
                rejection.render(dialect, &state.request_id(dialect), &state.ctx.host_id);
            if let Some(origin) = raw_header(head, "origin")
                && state.cors.allows(origin, raw_header(head, "host"))
            {
                rendered
                    .headers
                    .push(("access-control-allow-origin", origin.to_owned()));
                rendered.headers.push(("vary", "Origin".to_owned()));
            }
            tracing::debug!(status = rendered.status, body = %rendered.body, "request refused before parsing");
            self.reply = Some((rendered.to_bytes(), 0));
        }
        self.framing = Framing::Closed;
        self.buf.truncate(self.released);
        self.deadline = None;
    }

    fn arm(&mut self) {
        self.deadline = Some(Box::pin(sleep(self.config.timeout)));
    }

    /// Advances the framing over the bytes in `buf`; releases what is acceptable.
    fn advance(&mut self) {
        loop {
            let pending = self.buf.len() - self.released;
            match self.framing {
                Framing::Closed => return,
                Framing::Head if pending == 0 => return,
                Framing::Head => {
                    if self.deadline.is_none() {
                        self.arm(); // the first byte of a new head starts its clock
                    }
                    let from = self.released;
                    match self.inspect_head(from) {
                        Inspect::Partial => return,
                        Inspect::Invalid(rejection) => return self.close(Some(rejection)),
                        Inspect::Complete(len, framing) => {
                            self.released += len;
                            self.scanned = self.released;
                            self.framing = framing;
                            self.first = false;
                            self.deadline = None;
                            if framing != Framing::Head {
                                self.arm(); // the body's clock
                            }
                        }
                    }
                }
                Framing::Length(_) | Framing::Chunked(_) if pending == 0 => return,
                Framing::Length(rest) => {
                    let n = usize::try_from(rest).unwrap_or(usize::MAX).min(pending);
                    self.released += n;
                    self.body_done_if(rest - n as u64 == 0, Framing::Length(rest - n as u64));
                }
                Framing::Chunked(mut chunks) => {
                    let start = self.released;
                    let body = self.buf.get(start..).unwrap_or_default();
                    let (used, done) = chunks.feed(body);
                    self.released += used;
                    if chunks.failed() {
                        // actix will refuse the body; the handler answers, then closes.
                        self.released = self.buf.len();
                        self.framing = Framing::Closed;
                        self.deadline = None;
                        return;
                    }
                    self.body_done_if(done, Framing::Chunked(chunks));
                }
            }
        }
    }

    fn body_done_if(&mut self, done: bool, otherwise: Framing) {
        if done {
            self.framing = Framing::Head;
            self.scanned = self.released;
            self.deadline = None;
        } else {
            self.framing = otherwise;
        }
    }

    fn inspect_head(&mut self, from: usize) -> Inspect {
        // Parse only once the end of the head is there, searching only the new bytes (and
        // the 3 before them): a head sent a byte at a time must not be parsed per byte.
        let start = self.scanned.max(from).saturating_sub(3).max(from);
        let region = self.buf.get(start..).unwrap_or_default();
        let ended = contains(region, b"\r\n\r\n") || contains(region, b"\n\n");
        self.scanned = self.buf.len();
        let head = self.buf.get(from..).unwrap_or_default();
        if !ended {
            return if head.len() > MAX_HEAD {
                Inspect::Invalid(Rejection::malformed(format!(
                    "The request head is longer than {MAX_HEAD} bytes."
                )))
            } else {
                Inspect::Partial
            };
        }
        inspect(head)
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// A header's value in a raw head, found without a full parse (for heads that failed it).
fn raw_header<'a>(head: &'a [u8], name: &str) -> Option<&'a str> {
    head.split(|b| *b == b'\n').skip(1).find_map(|line| {
        let line = std::str::from_utf8(line).ok()?;
        let (k, v) = line.split_once(':')?;
        k.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim_matches([' ', '\t', '\r']))
    })
}

fn dialect_of(head: &[u8]) -> Dialect {
    Dialect::detect(|name| raw_header(head, name).map(str::as_bytes))
}

enum Inspect {
    Partial,
    Complete(usize, Framing),
    Invalid(Rejection),
}

/// Validates a complete head with actix's rules (so actix never refuses one the guard let
/// through) and the guard's limits; returns its length and the body's framing.
fn inspect(head: &[u8]) -> Inspect {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    let len = match req.parse(head) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Inspect::Partial,
        Err(httparse::Error::TooManyHeaders) => {
            return invalid(format!(
                "The request has more than {MAX_HEADERS} header fields."
            ));
        }
        Err(e) => return invalid(format!("The request is not valid HTTP/1.1: {e}.")),
    };
    if len > MAX_HEAD {
        return invalid(format!("The request head is longer than {MAX_HEAD} bytes."));
    }
    match check_request(&req) {
        Ok(framing) => Inspect::Complete(len, framing),
        Err(message) => invalid(message),
    }
}

fn invalid(message: String) -> Inspect {
    Inspect::Invalid(Rejection::malformed(message))
}

fn check_request(req: &httparse::Request<'_, '_>) -> Result<Framing, String> {
    let method = req.method.unwrap_or_default();
    let path = req.path.unwrap_or_default();
    let http11 = req.version == Some(1);
    if path.len() > MAX_URI {
        return Err(format!(
            "The request target is longer than {MAX_URI} bytes."
        ));
    }
    if actix_web::http::Uri::try_from(path).is_err() || method == "CONNECT" {
        return Err(format!(
            "The request target {:?} is not valid.",
            truncate(path)
        ));
    }
    let (mut length, mut chunked, mut hosts) = (None, false, 0);
    for h in req.headers.iter() {
        let value = std::str::from_utf8(h.value).map(str::trim);
        if h.name.eq_ignore_ascii_case("content-length") {
            let n = value
                .ok()
                .filter(|v| !v.starts_with('+'))
                .and_then(|v| v.parse::<u64>().ok());
            match (length, n) {
                (None, Some(n)) => length = Some(n),
                (Some(_), _) => return Err("Content-Length is given more than once.".into()),
                (None, None) => return Err("Content-Length is not a number of bytes.".into()),
            }
        } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
            if chunked || !http11 || !value.is_ok_and(|v| v.eq_ignore_ascii_case("chunked")) {
                return Err("Transfer-Encoding may only be chunked, once, in HTTP/1.1.".into());
            }
            chunked = true;
        } else if h.name.eq_ignore_ascii_case("host") {
            hosts += 1;
        } else if h.name.eq_ignore_ascii_case("upgrade") {
            return Err("Protocol upgrades are not supported.".into());
        }
    }
    if hosts > 1 || (http11 && hosts == 0) {
        return Err("An HTTP/1.1 request needs exactly one Host header.".into());
    }
    if chunked && length.is_some() {
        return Err("Content-Length and Transfer-Encoding must not both be given.".into());
    }
    if !http11 && method == "POST" && length.is_none() {
        return Err("An HTTP/1.0 POST needs a Content-Length.".into());
    }
    Ok(match (chunked, length) {
        (true, _) => Framing::Chunked(Chunks::default()),
        (false, Some(n)) if n > 0 => Framing::Length(n),
        _ => Framing::Head,
    })
}

fn truncate(s: &str) -> &str {
    let mut end = s.len().min(64);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or_default()
}

/// Where a chunked body is, byte by byte (RFC 9112 §7.1): enough to find its end.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Chunks {
    step: Step,
    size: u64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Step {
    /// Reading the hex size (`digits` seen).
    #[default]
    Size,
    /// After `;`: an extension, up to the end of the line.
    Extension,
    /// `\r` seen after a size line.
    SizeLf,
    /// In chunk data.
    Data,
    /// After chunk data: `\r`.
    DataCr,
    /// After chunk data: `\n`.
    DataLf,
    /// After the last chunk: a trailer line, or the empty line that ends the body.
    TrailerStart,
    /// Inside a trailer line.
    Trailer,
    /// `\r` seen at the start of a trailer line.
    EndLf,
    /// The body ended.
    Done,
    /// The framing is broken.
    Failed,
}

impl Chunks {
    fn failed(&self) -> bool {
        self.step == Step::Failed
    }

    /// Consumes body bytes from `bytes`; returns how many belong to the body and whether
    /// the body ended.
    fn feed(&mut self, bytes: &[u8]) -> (usize, bool) {
        let mut used = 0;
        while let Some(&b) = bytes.get(used) {
            if self.step == Step::Data {
                // Skip over data in one step.
                let take = usize::try_from(self.size)
                    .unwrap_or(usize::MAX)
                    .min(bytes.len() - used);
                used += take;
                self.size -= take as u64;
                if self.size == 0 {
                    self.step = Step::DataCr;
                }
                continue;
            }
            used += 1;
            self.step = self.next(b);
            match self.step {
                Step::Done => return (used, true),
                Step::Failed => return (used, false),
                _ => {}
            }
        }
        (used, false)
    }

    fn next(&mut self, b: u8) -> Step {
        match (self.step, b) {
            (Step::Size, b) if b.is_ascii_hexdigit() => {
                let digit = u64::from((b as char).to_digit(16).unwrap_or(0));
                match self.size.checked_mul(16).and_then(|s| s.checked_add(digit)) {
                    Some(s) => {
                        self.size = s;
                        Step::Size
                    }
                    None => Step::Failed,
                }
            }
            (Step::Size, b';') | (Step::Extension, b';') => Step::Extension,
            (Step::Size | Step::Extension, b'\r') => Step::SizeLf,
            (Step::Extension, b'\n') => Step::Failed,
            (Step::Extension, _) => Step::Extension,
            (Step::SizeLf, b'\n') if self.size == 0 => Step::TrailerStart,
            (Step::SizeLf, b'\n') => Step::Data,
            (Step::DataCr, b'\r') => Step::DataLf,
            (Step::DataLf, b'\n') => Step::Size,
            (Step::TrailerStart, b'\r') => Step::EndLf,
            (Step::EndLf, b'\n') => Step::Done,
            (Step::TrailerStart | Step::Trailer, b'\n') => Step::TrailerStart,
            (Step::TrailerStart | Step::Trailer, _) => Step::Trailer,
            _ => Step::Failed,
        }
    }
}

impl<S: Io> AsyncRead for Guarded<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            if this.released > 0 {
                let n = this.released.min(out.remaining());
                out.put_slice(this.buf.get(..n).unwrap_or_default());
                this.buf.advance(n);
                this.released -= n;
                this.scanned = this.scanned.saturating_sub(n);
                return Poll::Ready(Ok(()));
            }
            if this.framing == Framing::Closed {
                return Poll::Ready(Ok(())); // end of stream for actix
            }
            let mut chunk = [0u8; 8 * 1024];
            let mut read = ReadBuf::new(&mut chunk);
            match Pin::new(&mut this.io).poll_read(cx, &mut read) {
                Poll::Ready(Ok(())) if read.filled().is_empty() => {
                    // The client closed: hand actix what is complete, then the end.
                    this.framing = Framing::Closed;
                    this.released = 0;
                    return Poll::Ready(Ok(()));
                }
                Poll::Ready(Ok(())) => {
                    this.buf.extend_from_slice(read.filled());
                    this.advance();
                }
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => {
                    let expired = this
                        .deadline
                        .as_mut()
                        .is_some_and(|d| d.as_mut().poll(cx).is_ready());
                    if !expired {
                        return Poll::Pending;
                    }
                    this.timed_out();
                }
            }
        }
    }
}

impl<S: Io> Guarded<S> {
    fn timed_out(&mut self) {
        let secs = self.config.timeout.as_secs();
        match self.framing {
            // A head that never completed (or a first request that never began).
            Framing::Head if self.first || self.buf.len() > self.released => {
                self.close(Some(Rejection::malformed(format!(
                    "The request head was not received within {secs} s."
                ))));
            }
            // A stalled body: actix sees the end of the stream and the handler answers.
            _ => {
                tracing::debug!("a request body stalled; closing the connection");
                self.close(None);
            }
        }
    }

    /// Writes what is left of the rejection; `Ready` when it is all written.
    fn poll_reply(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while let Some((bytes, sent)) = &mut self.reply {
            let rest = bytes.get(*sent..).unwrap_or_default();
            if rest.is_empty() {
                self.reply = None;
                break;
            }
            let n = ready!(Pin::new(&mut self.io).poll_write(cx, rest))?;
            if n == 0 {
                self.reply = None;
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            *sent += n;
        }
        Poll::Ready(Ok(()))
    }
}

impl<S: Io> AsyncWrite for Guarded<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, data)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        // actix shuts down once it has written every earlier response: the rejection goes
        // after them, in order.
        ready!(this.poll_reply(cx))?;
        Pin::new(&mut this.io).poll_shutdown(cx)
    }
}

impl<S: Io> Drop for Guarded<S> {
    fn drop(&mut self) {
        // Should actix drop the connection without shutting it down, still try to say why.
        if let Some((bytes, sent)) = &self.reply {
            self.io.write_now(bytes.get(*sent..).unwrap_or_default());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn framing(head: &[u8]) -> Result<(usize, Framing), String> {
        match inspect(head) {
            Inspect::Complete(n, f) => Ok((n, f)),
            Inspect::Partial => Err("partial".into()),
            Inspect::Invalid(r) => Err(format!("{r:?}")),
        }
    }

    #[test]
    fn acceptable_heads_and_their_framing() {
        let ok = b"POST /?Action=ListKeys HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello";
        assert_eq!(framing(ok), Ok((ok.len() - 5, Framing::Length(5))));
        let get = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
        assert_eq!(framing(get), Ok((get.len(), Framing::Head)));
        let chunked = b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\n\r\n";
        assert!(matches!(framing(chunked), Ok((_, Framing::Chunked(_)))));
        let old = b"GET / HTTP/1.0\r\n\r\n";
        assert_eq!(framing(old), Ok((old.len(), Framing::Head)));
        assert_eq!(
            framing(b"POST / HTTP/1.1\r\nHost: x\r\n"),
            Err("partial".into())
        );
    }

    #[test]
    fn heads_actix_would_refuse_are_refused_here() {
        let long = format!("GET /?{} HTTP/1.1\r\nHost: x\r\n\r\n", "a".repeat(MAX_URI));
        let many = format!(
            "GET / HTTP/1.1\r\nHost: x\r\n{}\r\n",
            (0..MAX_HEADERS)
                .map(|i| format!("x-{i}: v\r\n"))
                .collect::<String>()
        );
        for bad in [
            &b"GET / HTTP/1.1\r\nHost: x\r\nX-Bad: a\0b\r\n\r\n"[..],
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n",
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +5\r\n\r\n",
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: five\r\n\r\n",
            b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n",
            b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 1\r\n\r\n",
            b"POST / HTTP/1.1\r\n\r\n",
            b"POST / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n",
            b"POST / HTTP/1.0\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
            b"CONNECT x:443 HTTP/1.1\r\nHost: x\r\n\r\n",
            b"GE T / HTTP/1.1\r\nHost: x\r\n\r\n",
            b"GET / HTTP/2.0\r\nHost: x\r\n\r\n",
            long.as_bytes(),
            many.as_bytes(),
        ] {
            assert!(
                matches!(inspect(bad), Inspect::Invalid(_)),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn chunked_bodies_end_where_they_end() {
        let body = b"5\r\nhello\r\n3;ext=1\r\nabc\r\n0\r\nTrailer: x\r\n\r\nGET /next";
        let mut c = Chunks::default();
        let (used, done) = c.feed(body);
        assert!(done);
        assert_eq!(&body[used..], b"GET /next");
        // Byte by byte, the same end.
        let mut c = Chunks::default();
        let mut total = 0;
        for b in body.iter() {
            let (n, done) = c.feed(std::slice::from_ref(b));
            total += n;
            if done {
                break;
            }
        }
        assert_eq!(total, used);
        let mut bad = Chunks::default();
        bad.feed(b"zz\r\n");
        assert!(bad.failed());
        let mut huge = Chunks::default();
        huge.feed(b"ffffffffffffffffff\r\n");
        assert!(huge.failed());
    }

    #[test]
    fn raw_headers_and_dialect_of_unparsable_heads() {
        let head =
            b"POST / HTTP/1.1\r\nHost: h\r\nX-Amz-Target: TrentService.Encrypt\r\nBad\0: x\r\n\r\n";
        assert_eq!(raw_header(head, "host"), Some("h"));
        assert_eq!(dialect_of(head), Dialect::Aws);
        assert_eq!(
            dialect_of(b"POST / HTTP/1.1\r\nHost: h\r\n\r\n"),
            Dialect::Aliyun
        );
    }
}
