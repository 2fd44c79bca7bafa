//! Replies the server sends on its own, before or instead of a protocol handler: CORS
//! refusals and HTTP-level rejections (a malformed or oversized request head, a client
//! that stalls). Each is rendered in the dialect the request looks like, as every other
//! error is, so SDKs and people always get a body they can read.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use serde_json::json;

use crate::aliyun::error::{AliyunError, ErrorCode};
use crate::aliyun::render;
use crate::aws::error::Exception;

/// Which protocol a request speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// Alibaba Cloud KMS RPC.
    Aliyun,
    /// AWS KMS JSON 1.1.
    Aws,
}

impl Dialect {
    /// AWS when the request has an `X-Amz-Target` header, a SigV4 `Authorization`, or an
    /// `application/x-amz-json-*` content type; Aliyun otherwise. `header` looks a header
    /// up by its lowercase name.
    pub fn detect<'a>(header: impl Fn(&str) -> Option<&'a [u8]>) -> Self {
        let starts = |name: &str, prefix: &[u8]| {
            header(name).is_some_and(|v| {
                v.len() >= prefix.len()
                    && v.get(..prefix.len())
                        .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
            })
        };
        if header("x-amz-target").is_some()
            || starts("authorization", b"AWS4-HMAC-SHA256")
            || starts("content-type", b"application/x-amz-json")
        {
            Self::Aws
        } else {
            Self::Aliyun
        }
    }
}

/// A refusal in neutral terms; [`Rejection::render`] gives it a dialect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    aliyun: ErrorCode,
    aws: Exception,
    message: String,
}

/// A rejection rendered: status, headers and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// HTTP status.
    pub status: u16,
    /// Response headers (content type and request ID included).
    pub headers: Vec<(&'static str, String)>,
    /// The JSON body.
    pub body: String,
}

impl Rejection {
    /// The request is not acceptable HTTP/1.1 (or breaks a limit on its head).
    #[must_use]
    pub fn malformed(message: impl Into<String>) -> Self {
        Self {
            aliyun: ErrorCode::InvalidParameter,
            aws: Exception::Validation,
            message: message.into(),
        }
    }

    /// The request comes from a browser origin that may not use the API.
    #[must_use]
    pub fn origin(origin: &str) -> Self {
        Self {
            aliyun: ErrorCode::ForbiddenNoPermission,
            aws: Exception::AccessDenied,
            message: format!(
                "Cross-origin requests from {origin:?} are not allowed; start qkms with --cors-origin {origin} to allow them."
            ),
        }
    }

    /// The reply in `dialect`, with request ID `request_id` and `HostId` `host_id`.
    #[must_use]
    pub fn render(&self, dialect: Dialect, request_id: &str, host_id: &str) -> Rendered {
        match dialect {
            Dialect::Aliyun => {
                let err = AliyunError::new(self.aliyun, self.message.clone());
                let body = render::error_body(request_id, host_id, &err);
                Rendered {
                    status: self.aliyun.status(),
                    headers: vec![
                        ("content-type", "application/json;charset=utf-8".into()),
                        ("x-acs-request-id", request_id.to_owned()),
                    ],
                    body: serde_json::Value::Object(body).to_string(),
                }
            }
            Dialect::Aws => Rendered {
                status: self.aws.status(),
                headers: vec![
                    ("content-type", "application/x-amz-json-1.1".into()),
                    ("x-amzn-RequestId", request_id.to_ascii_lowercase()),
                    ("x-amzn-ErrorType", self.aws.as_str().to_owned()),
                ],
                body: json!({"__type": self.aws.as_str(), "message": self.message}).to_string(),
            },
        }
    }
}

impl Rendered {
    /// As an actix response.
    #[must_use]
    pub fn into_response(self) -> HttpResponse {
        let mut builder = HttpResponse::build(
            StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST),
        );
        for (name, value) in self.headers {
            builder.insert_header((name, value));
        }
        builder.body(self.body)
    }

    /// As the bytes of an HTTP/1.1 response that closes the connection (for rejections
    /// sent before the HTTP engine sees the request).
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        let reason = StatusCode::from_u16(self.status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("Bad Request");
        let mut out = format!("HTTP/1.1 {} {reason}\r\n", self.status);
        for (name, value) in &self.headers {
            out.push_str(name);
            out.push_str(": ");
            out.push_str(value);
            out.push_str("\r\n");
        }
        out.push_str(&format!(
            "content-length: {}\r\nconnection: close\r\n\r\n",
            self.body.len()
        ));
        out.push_str(&self.body);
        out.into_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<&'a [u8]> {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_bytes())
        }
    }

    #[test]
    fn dialect_follows_any_aws_sign() {
        assert_eq!(Dialect::detect(lookup(&[])), Dialect::Aliyun);
        assert_eq!(
            Dialect::detect(lookup(&[("x-amz-target", "TrentService.Encrypt")])),
            Dialect::Aws
        );
        assert_eq!(
            Dialect::detect(lookup(&[(
                "authorization",
                "AWS4-HMAC-SHA256 Credential=x"
            )])),
            Dialect::Aws
        );
        assert_eq!(
            Dialect::detect(lookup(&[("content-type", "application/x-amz-json-1.1")])),
            Dialect::Aws
        );
        assert_eq!(
            Dialect::detect(lookup(&[("authorization", "ACS3-HMAC-SHA256 x")])),
            Dialect::Aliyun
        );
    }

    #[test]
    fn renders_each_dialect() {
        let r = Rejection::malformed("bad head").render(Dialect::Aliyun, "RID", "kms.x");
        assert_eq!(r.status, 400);
        let body: serde_json::Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(body["Code"], "InvalidParameter");
        assert_eq!(body["RequestId"], "RID");
        let r = Rejection::origin("https://evil.example").render(Dialect::Aws, "RID", "kms.x");
        let body: serde_json::Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(body["__type"], "AccessDeniedException");
        let raw = String::from_utf8(r.to_bytes()).unwrap();
        assert!(raw.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{raw}");
        assert!(raw.contains("x-amzn-RequestId: rid\r\n"));
        assert!(raw.ends_with(&r.body));
    }
}
