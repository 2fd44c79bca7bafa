//! `GET /explorer`: the "Try it out" page, served from assets embedded in the binary (no
//! CDN, no build step), under a strict Content-Security-Policy that applies to these
//! routes only; API replies are untouched. The page signs in the browser (WebCrypto) and
//! builds its forms from `/openapi/{aliyun,aws}.json`, so it knows no action of its own.
//!
//! A table of `include_bytes!` rather than an embedding crate: five files with fixed
//! content types need no dependency.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

/// The assets: name under `/explorer/`, content type, bytes.
const ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "",
        "text/html; charset=utf-8",
        include_bytes!("../explorer/index.html"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../explorer/app.js"),
    ),
    (
        "sign.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../explorer/sign.js"),
    ),
    (
        "style.css",
        "text/css; charset=utf-8",
        include_bytes!("../explorer/style.css"),
    ),
    (
        "favicon.svg",
        "image/svg+xml",
        include_bytes!("../explorer/favicon.svg"),
    ),
];

/// Scripts and styles from this origin only, requests to this origin only, never framed.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// Registers the explorer's routes.
pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/explorer", web::get().to(index))
        .route("/explorer/", web::get().to(index))
        .route("/explorer/{asset}", web::get().to(asset));
}

async fn index() -> HttpResponse {
    serve("")
}

async fn asset(req: HttpRequest) -> HttpResponse {
    serve(req.match_info().get("asset").unwrap_or_default())
}

fn serve(name: &str) -> HttpResponse {
    let mut resp = match ASSETS.iter().find(|(n, _, _)| *n == name) {
        Some((_, content_type, body)) => {
            let mut ok = HttpResponse::Ok();
            ok.content_type(*content_type)
                .insert_header((header::ETAG, concat!("\"", env!("CARGO_PKG_VERSION"), "\"")));
            ok.body(*body)
        }
        None => HttpResponse::NotFound()
            .content_type("text/plain; charset=utf-8")
            .body("no such explorer file"),
    };
    let headers = resp.headers_mut();
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::CACHE_CONTROL, "no-cache"),
        (
            header::HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
    ] {
        headers.insert(name, header::HeaderValue::from_static(value));
    }
    resp
}
