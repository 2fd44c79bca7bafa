//! Admin endpoints for test suites, off unless `--admin SECRET` is given, and then
//! reachable only with `Authorization: Bearer SECRET`.
//!
//! * `POST /_qkms/reset` deletes every key and alias.
//! * `GET /_qkms/clock` reads the KMS clock.
//! * `POST /_qkms/clock` with `{"set": "<RFC 3339>"}` (stops the clock there),
//!   `{"advance": "25h"}` or `{"advance_seconds": 90}` (moves it), or `{"reset": true}`
//!   (back to the system clock).
//! * `POST /_qkms/sts` issues temporary credentials (see `post_sts`).

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use super::AppState;
use crate::clock::{Clock as _, Mode, iso8601, parse_duration, parse_iso8601};

fn reply(status: u16, code: &str, message: &str) -> HttpResponse {
    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap_or_default())
        .content_type("application/json;charset=utf-8")
        .body(json!({"Code": code, "Message": message}).to_string())
}

/// Checks the bearer secret in constant time; `Some` is the refusal to send.
fn refuse(req: &HttpRequest, state: &AppState) -> Option<HttpResponse> {
    let Some(secret) = &state.admin else {
        return Some(reply(
            404,
            "NotFound",
            "The admin endpoints are disabled; start qkms with --admin.",
        ));
    };
    let given = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if secret.ct_eq(given.as_bytes()) {
        None
    } else {
        Some(reply(
            401,
            "Unauthorized",
            "A valid admin bearer token is required.",
        ))
    }
}

fn clock_body(state: &AppState) -> HttpResponse {
    let now = state.clock.now();
    let (mode, offset) = match state.clock.mode() {
        Mode::Offset(o) => ("offset", o),
        Mode::Fixed(_) => ("fixed", 0),
    };
    HttpResponse::Ok()
        .content_type("application/json;charset=utf-8")
        .body(
            json!({"Now": iso8601(now), "Epoch": now, "Mode": mode, "OffsetSeconds": offset})
                .to_string(),
        )
}

/// `GET /_qkms/clock`.
pub(super) async fn get_clock(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    refuse(&req, &state).unwrap_or_else(|| clock_body(&state))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClockChange {
    set: Option<String>,
    advance: Option<String>,
    advance_seconds: Option<i64>,
    #[serde(default)]
    reset: bool,
}

/// `POST /_qkms/clock`.
pub(super) async fn post_clock(
    req: HttpRequest,
    body: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    if let Some(r) = refuse(&req, &state) {
        return r;
    }
    let Ok(Ok(body)) = body.to_bytes_limited(4096).await else {
        return reply(
            400,
            "InvalidParameter",
            "The body must be a JSON object of at most 4096 bytes, sent in full.",
        );
    };
    let Ok(change) = serde_json::from_slice::<ClockChange>(&body) else {
        return reply(
            400,
            "InvalidParameter",
            r#"Expected {"set": "2024-01-01T00:00:00Z"}, {"advance": "25h"}, {"advance_seconds": 90} or {"reset": true}."#,
        );
    };
    let set = match change.set.as_deref().map(parse_iso8601) {
        None => None,
        Some(Some(t)) => Some(t),
        Some(None) => {
            return reply(
                400,
                "InvalidParameter",
                "set must be an RFC 3339 time such as 2024-01-01T00:00:00Z.",
            );
        }
    };
    let advance = match change.advance.as_deref().map(parse_duration) {
        None => None,
        Some(Some(secs)) => Some(secs),
        Some(None) => {
            return reply(
                400,
                "InvalidParameter",
                "advance must look like 90s, 15m, 25h or 7d.",
            );
        }
    };
    // The whole change applies at once, or not at all.
    let updated = state.clock.update(|mut mode| {
        if change.reset {
            mode = Mode::Offset(0);
        }
        if let Some(t) = set {
            mode = Mode::Fixed(t);
        }
        for secs in [advance, change.advance_seconds].into_iter().flatten() {
            mode = mode.moved(secs)?;
        }
        Some(mode)
    });
    if let Err(e) = updated {
        return reply(
            400,
            "InvalidParameter",
            &format!("{e}; the clock is unchanged."),
        );
    }
    tracing::info!(now = %iso8601(state.clock.now()), "KMS clock changed by the admin endpoint");
    // What the new time makes due (rotations, expiry, deletions) happens before the reply,
    // so a client that moved the clock sees its effects at once, not a second later.
    let kms = state.ctx.kms.clone();
    match web::block(move || kms.sweep()).await {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => tracing::warn!(error = %e, "sweep after a clock change failed"),
        Err(e) => tracing::warn!(error = %e, "sweep task failed"),
    }
    clock_body(&state)
}

/// `POST /_qkms/reset`.
pub(super) async fn reset(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    if let Some(r) = refuse(&req, &state) {
        return r;
    }
    let kms = state.kms().clone();
    match web::block(move || kms.reset()).await {
        Ok(Ok(())) => HttpResponse::Ok()
            .content_type("application/json;charset=utf-8")
            .body(r#"{"Reset":true}"#),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "reset failed");
            reply(
                500,
                "InternalFailure",
                "The reset failed; see the server log.",
            )
        }
        Err(e) => {
            tracing::error!(error = %e, "reset task failed");
            reply(
                500,
                "InternalFailure",
                "The reset failed; see the server log.",
            )
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
struct SessionRequest {
    principal: String,
    account: Option<String>,
    duration_seconds: Option<i64>,
    policy: Option<String>,
}

/// `POST /_qkms/sts` with `{"Principal": "app", "Account": "…", "DurationSeconds": 900,
/// "Policy": "<JSON>"}`: temporary credentials for a configured principal (or the default
/// account's `root`), valid for 1 s to 12 h of real time (default 1 h), narrowed by the
/// session policy when one is given. The answer carries both services' member names.
pub(super) async fn post_sts(
    req: HttpRequest,
    body: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    if let Some(r) = refuse(&req, &state) {
        return r;
    }
    let bad = |m: &str| reply(400, "InvalidParameter", m);
    let Ok(Ok(body)) = body.to_bytes_limited(64 * 1024).await else {
        return bad("The body must be a JSON object of at most 64 KiB, sent in full.");
    };
    let Ok(ask) = serde_json::from_slice::<SessionRequest>(&body) else {
        return bad(
            r#"Expected {"Principal": "name", "Account"?: "id", "DurationSeconds"?: 1-43200, "Policy"?: "<JSON>"}."#,
        );
    };
    let creds = &state.ctx.credentials;
    let (Some(keys), Some(_)) = (
        creds.sessions(),
        creds.principal(ask.account.as_deref(), &ask.principal),
    ) else {
        return reply(404, "NotFound", "No such principal is configured.");
    };
    let duration = ask.duration_seconds.unwrap_or(3600);
    if !(1..=crate::sessions::MAX_DURATION).contains(&duration) {
        return bad("DurationSeconds must be 1 to 43200.");
    }
    if let Some(p) = &ask.policy
        && let Err(e) = crate::service::iam::PolicyDoc::parse(p)
    {
        return bad(&format!("Policy is not a policy document: {e}"));
    }
    let expires = chrono::Utc::now().timestamp() + duration;
    let entropy = state.kms().entropy();
    let issued = keys.issue(
        entropy.as_ref(),
        &ask.principal,
        ask.account.as_deref(),
        expires,
        ask.policy,
    );
    let issued = match issued {
        Ok(i) => i,
        Err(e) => {
            tracing::error!(error = %e, "temporary credentials could not be issued");
            return reply(500, "InternalFailure", "Internal Failure.");
        }
    };
    let secret = String::from_utf8_lossy(issued.secret.expose()).into_owned();
    let expiration = iso8601(issued.expires);
    HttpResponse::Ok()
        .content_type("application/json;charset=utf-8")
        .insert_header(("cache-control", "no-store"))
        .body(
            json!({
                "AccessKeyId": issued.access_key_id,
                "AccessKeySecret": secret,
                "SecretAccessKey": secret,
                "SecurityToken": issued.token,
                "SessionToken": issued.token,
                "Expiration": expiration,
            })
            .to_string(),
        )
}
