//! `GET /explorer`: the "Try it out" page, served from assets embedded in the binary (no
//! CDN, no build step), under a strict Content-Security-Policy that applies to these
//! routes only; API replies are untouched. The page signs in the browser (WebCrypto) and
//! builds its forms from `/openapi/{aliyun,aws}.json`, so it knows no action of its own.
//!
//! A table of `include_bytes!` rather than an embedding crate: a dozen files with fixed
//! content types need no dependency.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

const JS: &str = "text/javascript; charset=utf-8";

/// The assets: name under `/explorer/`, content type, bytes.
const ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "",
        "text/html; charset=utf-8",
        include_bytes!("../explorer/index.html"),
    ),
    ("app.js", JS, include_bytes!("../explorer/app.js")),
    ("api.js", JS, include_bytes!("../explorer/api.js")),
    ("dom.js", JS, include_bytes!("../explorer/dom.js")),
    ("sign.js", JS, include_bytes!("../explorer/sign.js")),
    ("wrap.js", JS, include_bytes!("../explorer/wrap.js")),
    ("wizard.js", JS, include_bytes!("../explorer/wizard.js")),
    ("keys.js", JS, include_bytes!("../explorer/keys.js")),
    ("inspect.js", JS, include_bytes!("../explorer/inspect.js")),
    ("snippets.js", JS, include_bytes!("../explorer/snippets.js")),
    ("errors.js", JS, include_bytes!("../explorer/errors.js")),
    ("export.js", JS, include_bytes!("../explorer/export.js")),
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
    // The error codes view reads the README's error tables, so they have one source.
    (
        "README.md",
        "text/markdown; charset=utf-8",
        include_bytes!("../../README.md"),
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

#[cfg(test)]
mod tests {
    use super::ASSETS;

    /// A file added to `src/explorer/` but not to the table would be a 404 in the page.
    #[test]
    fn every_explorer_file_is_served() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/explorer");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .map(|n| if n == "index.html" { String::new() } else { n })
            .collect();
        files.sort();
        let mut served: Vec<String> = ASSETS
            .iter()
            .map(|(n, _, _)| (*n).to_owned())
            .filter(|n| n != "README.md")
            .collect();
        served.sort();
        assert_eq!(files, served);
    }
}
