//! The HTTP server: the only place routes are wired.

mod admin;
mod dispatch;
pub mod record;

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::{App, HttpServer, web};

use crate::auth::{Credentials, NonceCache};
use crate::clock::ControlledClock;
use crate::crypto::SecretBytes;
use crate::service::Kms;

/// Account ID in AWS ARNs unless configured.
pub const DEFAULT_AWS_ACCOUNT_ID: &str = "111122223333";

/// Largest request body accepted, in bytes.
pub const MAX_BODY: usize = 64 * 1024;
/// How often expired material and ended deletion windows are swept.
const SWEEP_EVERY: Duration = Duration::from_secs(1);

/// Shared state of every request.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The key-management service.
    pub kms: Arc<Kms>,
    /// Access keys.
    pub credentials: Arc<Credentials>,
    /// Signature nonces seen recently.
    pub nonces: Arc<NonceCache>,
    /// `HostId` of error bodies.
    pub host_id: String,
    /// The KMS clock, which the admin endpoint moves.
    pub clock: Arc<ControlledClock>,
    /// Admin bearer secret; `None` disables the admin endpoints.
    pub admin: Option<SecretBytes>,
    /// Account ID in AWS ARNs.
    pub aws_account_id: String,
    /// Where requests are recorded (`--record`).
    pub recorder: Option<Arc<record::Recorder>>,
}

impl AppState {
    /// State over `kms` (whose clock is `clock`) with `credentials`.
    #[must_use]
    pub fn new(
        kms: Arc<Kms>,
        clock: Arc<ControlledClock>,
        credentials: Credentials,
        admin: Option<SecretBytes>,
    ) -> Self {
        let host_id = format!("kms.{}.aliyuncs.com", kms.settings().region);
        Self {
            kms,
            credentials: Arc::new(credentials),
            nonces: Arc::new(NonceCache::new(1_000_000)),
            host_id,
            clock,
            admin,
            aws_account_id: DEFAULT_AWS_ACCOUNT_ID.to_owned(),
            recorder: None,
        }
    }

    /// Records every request to `recorder`.
    #[must_use]
    pub fn with_recorder(mut self, recorder: record::Recorder) -> Self {
        self.recorder = Some(Arc::new(recorder));
        self
    }

    /// Sets the account ID of AWS ARNs.
    #[must_use]
    pub fn with_aws_account_id(mut self, account: String) -> Self {
        self.aws_account_id = account;
        self
    }
}

/// Registers every route on an actix `App` (also used by in-process tests).
pub fn configure(state: AppState) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| dispatch::configure(cfg, state)
}

/// Cross-origin access for people who try the API from a browser page (OpenAPI-Explorer
/// style): any origin, GET and POST, any request header; the request-ID headers are
/// readable by the page. Credentials are signatures, not cookies, so no cookies are allowed.
pub fn cors() -> actix_cors::Cors {
    actix_cors::Cors::default()
        .allow_any_origin()
        .allowed_methods(["GET", "POST"])
        .allow_any_header()
        .expose_headers(["x-acs-request-id", "x-amzn-RequestId", "x-amzn-ErrorType"])
        .max_age(3600)
}

/// Serves on an already-bound listener until SIGINT/SIGTERM; then drains and returns.
///
/// # Errors
/// The listener cannot be used.
pub async fn run(listener: TcpListener, state: AppState) -> std::io::Result<()> {
    let sweeper = {
        let kms = state.kms.clone();
        actix_web::rt::spawn(async move {
            let mut tick = actix_web::rt::time::interval(SWEEP_EVERY);
            loop {
                tick.tick().await;
                let kms = kms.clone();
                match web::block(move || kms.sweep()).await {
                    Ok(Ok(_)) => {}
                    Ok(Err(e)) => tracing::warn!(error = %e, "sweep failed"),
                    Err(e) => tracing::warn!(error = %e, "sweep task failed"),
                }
            }
        })
    };
    let app_state = state.clone();
    let server = HttpServer::new(move || {
        App::new()
            .wrap(cors())
            .configure(configure(app_state.clone()))
    })
    .listen(listener)?
    .shutdown_timeout(5)
    .run();
    let result = server.await;
    sweeper.abort();
    state.kms.shutdown();
    tracing::info!("server stopped");
    result
}
