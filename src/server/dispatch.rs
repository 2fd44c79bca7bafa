//! Protocol choice and payload limits. An AWS-looking request goes to the AWS handler; every other path and method other than `GET /healthz` goes to the Aliyun RPC handler, which renders its own errors for wrong paths and methods
//! and reads the body itself, so an oversized body gets a protocol error, not actix's text.

use actix_web::{HttpRequest, HttpResponse, web};

use super::reject::Dialect;
use super::{AppState, MAX_BODY, admin};
use crate::{aliyun, aws};

pub(super) fn configure(cfg: &mut web::ServiceConfig, state: AppState) {
    cfg.app_data(web::Data::new(state))
        // Any method: the benchmark's ceiling sends its signed POSTs here.
        .route("/healthz", web::to(healthz))
        .route("/_qkms/reset", web::post().to(admin::reset))
        .service(
            web::resource("/_qkms/clock")
                .route(web::get().to(admin::get_clock))
                .route(web::post().to(admin::post_clock)),
        )
        .default_service(web::to(route));
}

/// AWS-looking requests (`X-Amz-Target`, a SigV4 `Authorization` or an `x-amz-json`
/// content type) → AWS JSON 1.1; anything else → Aliyun RPC.
async fn route(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    let dialect = Dialect::detect(|name| req.headers().get(name).map(|v| v.as_bytes()));
    if dialect == Dialect::Aws {
        aws::handle(req, payload, state).await
    } else {
        aliyun::handle(req, payload, state).await
    }
}

/// Health, and whether responses are reproducible (`qkms replay` compares whole bodies
/// only against a deterministic server).
async fn healthz(state: web::Data<AppState>, body: web::Payload) -> HttpResponse {
    // The body is read (and dropped) so that a keep-alive connection that sent one stays
    // usable; one that is too large or stalls ends the connection instead.
    if body.to_bytes_limited(MAX_BODY).await.is_err() {
        let mut resp = HttpResponse::Ok();
        resp.force_close();
        return resp
            .content_type("application/json")
            .body(serde_json::json!({"status": "ok", "deterministic": state.kms.settings().deterministic}).to_string());
    }
    HttpResponse::Ok().content_type("application/json").body(
        serde_json::json!({"status": "ok", "deterministic": state.kms.settings().deterministic})
            .to_string(),
    )
}
