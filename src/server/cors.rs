//! Cross-origin access, safe by default.
//!
//! The default access key is public, so any web page a developer visits could sign
//! requests to `127.0.0.1:8080`. Browsers send an `Origin` header with every cross-origin
//! request (and with same-origin POSTs), so qkms decides on it before anything runs:
//!
//! * allowed: loopback origins (`http(s)://localhost`, `127.0.0.1`, `[::1]`, any port),
//!   the origins given with `--cors-origin` (`*` allows every origin, with a warning), and
//!   a same-origin page whose host is an IP literal (a name could be DNS-rebound to us);
//! * `/_qkms/*` (the admin endpoints) never answers cross-origin: only same-origin pages
//!   of an IP-literal or loopback host may use them, and never through CORS headers;
//! * a refused origin gets a 403-style error in the request's dialect and the request is
//!   not executed; an allowed one gets `Access-Control-Allow-Origin` on every reply,
//!   errors included.
//!
//! Written here rather than with `actix-cors`: that middleware answers a refused origin
//! with a plain-text 400 that neither dialect's SDK can read, and cannot tell the admin
//! routes apart.

use std::net::IpAddr;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, web};

use super::AppState;
use super::reject::{Dialect, Rejection};

/// Response headers a page may read.
const EXPOSED: &str = "x-acs-request-id, x-amzn-RequestId, x-amzn-ErrorType";

/// Which origins may use the API from a browser.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CorsPolicy {
    any: bool,
    origins: Vec<String>,
}

/// Lowercase scheme and host, no trailing slash: the form browsers send.
fn normalise(origin: &str) -> String {
    origin.trim_end_matches('/').to_ascii_lowercase()
}

/// `scheme://host[:port]` split into the host (brackets kept for IPv6) and the rest.
fn origin_host(origin: &str) -> Option<&str> {
    let rest = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))?;
    if rest.is_empty() || rest.contains(['/', '?', '#', '@']) {
        return None;
    }
    Some(match rest.strip_prefix('[') {
        Some(v6) => v6.split_once(']').map_or(rest, |(h, _)| h),
        None => rest.split(':').next().unwrap_or(rest),
    })
}

fn is_loopback_host(host: &str) -> bool {
    host == "localhost" || host == "127.0.0.1" || host == "::1"
}

impl CorsPolicy {
    /// The policy for `--cors-origin` values (loopback origins are always allowed).
    ///
    /// # Errors
    /// A value that is neither `*` nor `http(s)://host[:port]`.
    pub fn new(extra: &[String]) -> Result<Self, String> {
        let mut policy = Self::default();
        for o in extra {
            if o == "*" {
                policy.any = true;
            } else if origin_host(&normalise(o)).is_some() {
                policy.origins.push(normalise(o));
            } else {
                return Err(format!(
                    "--cors-origin {o:?}: expected * or an origin like https://app.example:8443"
                ));
            }
        }
        Ok(policy)
    }

    /// True when every origin is allowed (`--cors-origin '*'`).
    #[must_use]
    pub fn allows_any(&self) -> bool {
        self.any
    }

    /// May a page of `origin` call the API? `host` is the request's `Host` header.
    #[must_use]
    pub fn allows(&self, origin: &str, host: Option<&str>) -> bool {
        let origin = normalise(origin);
        let Some(origin_host) = origin_host(&origin) else {
            return false; // "null" (sandboxed frames, file:) and anything malformed
        };
        self.any
            || is_loopback_host(origin_host)
            || self.origins.contains(&origin)
            || same_origin_literal(&origin, origin_host, host)
    }
}

/// A page served by qkms itself, addressed by IP: rebinding needs a name, so this cannot
/// be a foreign page in disguise.
fn same_origin_literal(origin: &str, origin_host: &str, host: Option<&str>) -> bool {
    let Some(host) = host else {
        return false;
    };
    let literal = origin_host.parse::<IpAddr>().is_ok() || is_loopback_host(origin_host);
    let own = origin
        .split_once("://")
        .is_some_and(|(_, rest)| rest.eq_ignore_ascii_case(host));
    literal && own
}

fn header_str(req: &ServiceRequest, name: HeaderName) -> Option<&str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

/// Paths of public, static content that no origin check applies to.
fn public_path(path: &str) -> bool {
    path == "/explorer" || path.starts_with("/explorer/") || path.starts_with("/openapi/")
}

/// The CORS layer around every route.
///
/// # Errors
/// Those of the inner service.
pub async fn layer(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some(origin) = header_str(&req, header::ORIGIN).map(str::to_owned) else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    };
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    };
    // The explorer's files and the OpenAPI documents are public and hold nothing secret;
    // browsers send `Origin` even on same-origin module-script loads, so a page opened under
    // any name (a LAN name, a TLS name) must still load. They get no CORS headers, so
    // another origin's page cannot read them through the browser.
    if req.method() == actix_web::http::Method::GET && public_path(req.path()) {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    }
    let host = header_str(&req, header::HOST);
    let admin = req.path().starts_with("/_qkms/") || req.path() == "/_qkms";
    let allowed = if admin {
        same_origin_literal(
            &normalise(&origin),
            origin_host(&normalise(&origin)).unwrap_or_default(),
            host,
        )
    } else {
        state.cors.allows(&origin, host)
    };
    if !allowed {
        tracing::debug!(%origin, path = req.path(), "cross-origin request refused");
        let dialect = Dialect::detect(|name| req.headers().get(name).map(HeaderValue::as_bytes));
        let rendered = Rejection::origin(&origin).render(
            dialect,
            &state.request_id(dialect),
            &state.ctx.host_id,
        );
        return Ok(req.into_response(rendered.into_response()));
    }
    let preflight = req.method() == Method::OPTIONS
        && req
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    if preflight && !admin {
        let mut resp = HttpResponse::NoContent();
        resp.insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, "GET, POST"))
            .insert_header((header::ACCESS_CONTROL_MAX_AGE, "3600"));
        if let Some(h) = header_str(&req, header::ACCESS_CONTROL_REQUEST_HEADERS) {
            resp.insert_header((header::ACCESS_CONTROL_ALLOW_HEADERS, h.to_owned()));
        }
        let mut resp = resp.finish();
        allow(resp.headers_mut(), &origin);
        return Ok(req.into_response(resp));
    }
    let mut resp = next.call(req).await?.map_into_boxed_body();
    if !admin {
        allow(resp.headers_mut(), &origin);
    }
    Ok(resp)
}

fn allow(headers: &mut header::HeaderMap, origin: &str) {
    if let Ok(v) = HeaderValue::from_str(origin) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, v);
    }
    headers.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static(EXPOSED),
    );
    headers.append(header::VARY, HeaderValue::from_static("Origin"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_configured_and_literal_same_origin() {
        let p = CorsPolicy::new(&["https://App.Example:8443/".into()]).unwrap();
        for ok in [
            "http://localhost:3000",
            "http://127.0.0.1:8080",
            "http://[::1]:9000",
            "http://localhost",
            "https://app.example:8443",
        ] {
            assert!(p.allows(ok, None), "{ok}");
        }
        for bad in [
            "https://evil.example",
            "null",
            "http://127.0.0.1.evil.example",
            "http://localhost.evil.example:80",
            "https://app.example:8444",
            "file://",
            "",
        ] {
            assert!(!p.allows(bad, None), "{bad}");
        }
        // Same origin, by IP literal: allowed; by name: only if configured (rebinding).
        assert!(p.allows("http://10.0.0.5:8080", Some("10.0.0.5:8080")));
        assert!(!p.allows("http://10.0.0.5:8080", Some("10.0.0.6:8080")));
        assert!(!p.allows("http://rebound.example:8080", Some("rebound.example:8080")));
        assert!(
            CorsPolicy::new(&["*".into()])
                .unwrap()
                .allows("https://x.example", None)
        );
        assert!(CorsPolicy::new(&["ftp://x".into()]).is_err());
        assert!(CorsPolicy::new(&["https://x.example/path".into()]).is_err());
    }
}
