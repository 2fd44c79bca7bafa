//! Routes. `GET /openapi/{aliyun,aws}.json` serve the OpenAPI documents, `GET /explorer`
//! the explorer page (unless `--no-explorer`). An AWS-looking
//! request goes to the pipeline in the AWS protocol; every other
//! path and method other than `GET /healthz` and the admin endpoints goes to it in the
//! Aliyun RPC protocol, which renders its own errors for wrong paths and methods and reads
//! the body itself, so an oversized body gets a protocol error, not actix's text.

use std::sync::OnceLock;

use actix_web::{HttpRequest, HttpResponse, web};

use super::reject::Dialect;
use super::{AppState, admin, pipeline};
use crate::aliyun::Aliyun;
use crate::aws::Aws;

pub(super) fn configure(cfg: &mut web::ServiceConfig, state: AppState) {
    if state.explorer {
        super::explorer::configure(cfg);
    }
    cfg.app_data(web::Data::new(state))
        // Any method: the benchmark's ceiling sends its signed POSTs here.
        .route("/healthz", web::to(healthz))
        .route("/_qkms/reset", web::post().to(admin::reset))
        .route("/_qkms/sts", web::post().to(admin::post_sts))
        .route("/metrics", web::get().to(metrics))
        .route("/openapi/aliyun.json", web::get().to(aliyun_openapi))
        .route("/openapi/aws.json", web::get().to(aws_openapi))
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
    match dialect {
        Dialect::Aws => pipeline::serve::<Aws>(req, payload, &state).await,
        Dialect::Aliyun => pipeline::serve::<Aliyun>(req, payload, &state).await,
    }
}

/// `GET /metrics`: the Prometheus text exposition.
async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let Some(metrics) = state.metrics.clone() else {
        return HttpResponse::ServiceUnavailable().finish();
    };
    let kms = state.kms().clone();
    let nonces = state.ctx.nonces.len();
    let counted =
        web::block(move || kms.keys_by_state().map(|keys| (keys, kms.pool_ready()))).await;
    let (keys, pool) = match counted {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => {
            tracing::error!(error = %e, "metrics: keys could not be counted");
            (Vec::new(), 0)
        }
        Err(e) => {
            tracing::error!(error = %e, "metrics: the count did not finish");
            (Vec::new(), 0)
        }
    };
    let sample = super::metrics::Sample {
        keys,
        pool,
        nonces,
        store_errors: crate::service::error::store_errors(),
    };
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(metrics.render(&sample))
}

/// Health, and whether responses are reproducible (`qkms replay` compares whole bodies
/// only against a deterministic server).
async fn healthz(state: web::Data<AppState>, body: web::Payload) -> HttpResponse {
    let status = serde_json::json!({
        "status": "ok",
        "deterministic": state.kms().settings().deterministic,
    })
    .to_string();
    // A body that is too large or stalls ends the connection instead of leaving it in an
    // unknown state.
    let mut resp = HttpResponse::Ok();
    if pipeline::drain(body).await.is_err() {
        resp.force_close();
    }
    resp.content_type("application/json").body(status)
}

/// A document, rendered once.
fn document(cell: &'static OnceLock<String>, make: fn() -> serde_json::Value) -> HttpResponse {
    let body = cell.get_or_init(|| make().to_string());
    HttpResponse::Ok()
        .content_type("application/json")
        .body(body.as_str())
}

/// `GET /openapi/aliyun.json`: the Aliyun dialect's OpenAPI 3.1 document.
async fn aliyun_openapi() -> HttpResponse {
    static DOC: OnceLock<String> = OnceLock::new();
    document(&DOC, crate::aliyun::openapi::document)
}

/// `GET /openapi/aws.json`: the AWS dialect's OpenAPI 3.1 document.
async fn aws_openapi() -> HttpResponse {
    static DOC: OnceLock<String> = OnceLock::new();
    document(&DOC, crate::aws::openapi::document)
}
