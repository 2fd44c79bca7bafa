//! The Alibaba Cloud KMS RPC protocol (version 2016-01-20): parse → authenticate → route
//! → render.
//!
//! * `params`: query string and form body, decoded in order.
//! * `signature`: v1 HMAC-SHA1, ACS3-HMAC-SHA256 and ACS4-HMAC-SHA256 verification.
//! * `action`: the closed set of actions and their parameter handling.
//! * `render`: JSON or XML bodies, `RequestId` in the body and the `x-acs-request-id` header.
//! * `error`: the closed set of error codes with their HTTP statuses.

pub mod action;
pub mod error;
pub mod params;
pub mod render;
pub mod signature;

use std::time::Instant;

use actix_web::http::Method;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Map, Value};

use self::action::Action;
use self::error::{AliyunError, ErrorCode};
use self::params::{Params, parse_urlencoded};
use self::render::Format;
use self::signature::{Freshness, RequestParts, Scheme};
use crate::server::record::{Exchange, SIGNATURE_PARAMS};
use crate::server::{AppState, MAX_BODY};

/// The only API version served.
pub const VERSION: &str = "2016-01-20";

/// What is known about a request so far, for rendering and the log line.
#[derive(Debug, Default)]
struct Context {
    format: Format,
    action: Option<Action>,
    access_key_id: Option<String>,
    /// The parameters, kept only when requests are recorded.
    params: Option<Params>,
}

fn header<'a>(req: &'a HttpRequest, name: &str) -> Option<&'a str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

/// The `Format` a request asked for, read from the query alone (for errors found before
/// the body is parsed). Unknown values fall back to JSON here and are refused later.
#[must_use]
pub fn requested_format(req: &HttpRequest) -> Format {
    parse_urlencoded(req.query_string().as_bytes())
        .ok()
        .and_then(|pairs| {
            pairs
                .into_iter()
                .find(|(k, _)| k == "Format")
                .and_then(|(_, v)| Format::parse(&v))
        })
        .unwrap_or_default()
}

/// Handles one Aliyun RPC request.
pub async fn handle(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    let started = Instant::now();
    let request_id = state.kms.new_request_id();
    let mut ctx = Context::default();
    let result = match payload.to_bytes_limited(MAX_BODY).await {
        Ok(Ok(body)) => process(&req, body, &state, &mut ctx).await,
        // The body never reached `process`, which reads Format: look at the query alone.
        Ok(Err(e)) => {
            ctx.format = requested_format(&req);
            Err(AliyunError::invalid_because(
                "Body",
                &format!(
                    "The request body was not received in full within {} s of its head: {e}.",
                    state.request_timeout.as_secs()
                ),
            ))
        }
        Err(_) => {
            ctx.format = requested_format(&req);
            Err(AliyunError::invalid_because(
                "Body",
                &format!("The request body must not exceed {MAX_BODY} bytes."),
            ))
        }
    };
    let (status, root, body) = match &result {
        Ok(fields) => (
            200,
            "KMS",
            render::success_body(&request_id, fields.clone()),
        ),
        Err(e) => (
            e.code.status(),
            "Error",
            render::error_body(&request_id, &state.host_id, e),
        ),
    };
    if let (Some(recorder), Some(params)) = (&state.recorder, &ctx.params) {
        let params = params
            .query
            .iter()
            .chain(params.form.iter())
            .filter(|(k, _)| !SIGNATURE_PARAMS.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        recorder.record(Exchange {
            protocol: "aliyun",
            action: ctx.action.map_or("-", Action::as_str),
            caller: ctx.access_key_id.as_deref().unwrap_or("-"),
            region: "",
            params,
            status,
            body: body.clone(),
        });
    }
    let response = render::respond(ctx.format, status, &request_id, root, &body);
    tracing::info!(
        request_id = %request_id,
        action = ctx.action.map_or("-", Action::as_str),
        access_key_id = ctx.access_key_id.as_deref().unwrap_or("-"),
        status = response.status().as_u16(),
        code = result.as_ref().err().map_or("", |e| e.code.as_str()),
        latency_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
        "aliyun request"
    );
    response
}

async fn process(
    req: &HttpRequest,
    body: web::Bytes,
    state: &AppState,
    ctx: &mut Context,
) -> Result<Map<String, Value>, AliyunError> {
    let query = parse_urlencoded(req.query_string().as_bytes())?;
    let is_form = header(req, "content-type").is_some_and(|ct| {
        ct.to_ascii_lowercase()
            .starts_with("application/x-www-form-urlencoded")
    });
    let form = if is_form {
        parse_urlencoded(&body)?
    } else {
        Vec::new()
    };
    let params = Params::new(query, form).inspect_err(|_| ctx.format = requested_format(req))?;
    if let Some(f) = params.get("Format") {
        ctx.format = Format::parse(f).ok_or_else(|| AliyunError::invalid("Format"))?;
    }
    if req.path() != "/" {
        return Err(AliyunError::new(
            ErrorCode::InvalidActionNotFound,
            format!(
                "Specified api is not found, please check your url and method: the path must be /, not {:?}.",
                req.path()
            ),
        ));
    }
    if req.method() != Method::GET && req.method() != Method::POST {
        return Err(AliyunError::new(
            ErrorCode::UnsupportedHttpMethod,
            "This http method is not supported.",
        ));
    }

    let (caller, scheme) = verify(req, &params, &body, state).await?;
    ctx.access_key_id = Some(caller.access_key_id);

    // Only what the signature covers may decide the action: a v1 signature covers the
    // parameters, not the x-acs-* headers that some SDKs send beside them.
    let signed_header = |name| match scheme {
        Scheme::V1 => None,
        Scheme::Acs3 | Scheme::Acs4 => header(req, name),
    };
    let action_name = params
        .get("Action")
        .or_else(|| signed_header("x-acs-action"))
        .filter(|a| !a.is_empty())
        .ok_or_else(|| AliyunError::missing("Action"))?;
    let action: Action = action_name.parse()?;
    ctx.action = Some(action);
    let version = params
        .get("Version")
        .or_else(|| signed_header("x-acs-version"))
        .filter(|v| !v.is_empty())
        .ok_or_else(|| AliyunError::missing("Version"))?;
    if version != VERSION {
        return Err(AliyunError::new(
            ErrorCode::InvalidVersion,
            "Specified parameter Version is not valid.",
        ));
    }

    if state.recorder.is_some() {
        ctx.params = Some(params.clone());
    }
    let kms = state.kms.clone();
    if runs_inline(action, &params, &kms) {
        return action::call(action, &params, &kms);
    }
    web::block(move || action::call(action, &params, &kms))
        .await
        .map_err(|e| AliyunError::internal(&format!("blocking task failed: {e}")))?
}

/// Requests at least this large (query and body) are verified off the executor, one at a
/// time: the v1 string to sign grows with every parameter, so a stream of large requests
/// with bad signatures must not take the workers from everyone else.
const LARGE_REQUEST: usize = 8 * 1024;

async fn verify(
    req: &HttpRequest,
    params: &Params,
    body: &web::Bytes,
    state: &AppState,
) -> Result<(crate::auth::Caller, Scheme), AliyunError> {
    let now = Some(chrono::Utc::now().timestamp());
    if req.query_string().len() + body.len() < LARGE_REQUEST {
        let parts = RequestParts {
            method: req.method().as_str(),
            query: &params.query,
            form: &params.form,
            headers: req.headers(),
            body,
        };
        let fresh = Freshness {
            now,
            nonces: Some(&state.nonces),
        };
        return signature::verify(&parts, &state.credentials, fresh);
    }
    let _turn = state
        .large_verifications
        .acquire()
        .await
        .map_err(|e| AliyunError::internal(&e.to_string()))?;
    let (method, query, form) = (
        req.method().clone(),
        params.query.clone(),
        params.form.clone(),
    );
    let (headers, body) = (req.headers().clone(), body.clone());
    let (credentials, nonces) = (state.credentials.clone(), state.nonces.clone());
    web::block(move || {
        let parts = RequestParts {
            method: method.as_str(),
            query: &query,
            form: &form,
            headers: &headers,
            body: &body,
        };
        let fresh = Freshness {
            now,
            nonces: Some(&nonces),
        };
        signature::verify(&parts, &credentials, fresh)
    })
    .await
    .map_err(|e| AliyunError::internal(&format!("blocking task failed: {e}")))?
}

/// Crypto actions on a key already in memory do no I/O: they run on the executor, which
/// saves a hand-off to the blocking pool on the hot path.
fn runs_inline(action: Action, params: &Params, kms: &crate::service::Kms) -> bool {
    use base64::Engine as _;
    match action {
        Action::Encrypt
        | Action::GenerateDataKey
        | Action::GenerateDataKeyWithoutPlaintext
        | Action::DescribeKey => params.get("KeyId").is_some_and(|k| kms.is_hot(k)),
        Action::Decrypt => params
            .get("CiphertextBlob")
            .and_then(|b| {
                base64::engine::general_purpose::STANDARD
                    .decode(b.trim())
                    .ok()
            })
            .is_some_and(|b| kms.is_hot_blob(&b)),
        _ => false,
    }
}
