//! The HTTP server: the only place routes are wired, and the one request pipeline
//! (`pipeline.rs`) that drives every protocol.

mod admin;
pub mod cors;
mod dispatch;
pub mod explorer;
pub mod guard;
pub mod metrics;
mod pipeline;
pub mod record;
pub mod reject;
pub mod tls;

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::{App, web};

use self::reject::Dialect;
use crate::aliyun::Aliyun;
use crate::auth::{Credentials, NonceCache};
use crate::aws::Aws;
use crate::clock::ControlledClock;
use crate::crypto::SecretBytes;
use crate::crypto::random::Entropy;
use crate::protocol::{Context, Protocol as _};
use crate::service::Kms;

/// Account ID in AWS ARNs unless configured.
pub const DEFAULT_AWS_ACCOUNT_ID: &str = "111122223333";

/// How often expired material and ended deletion windows are swept.
const SWEEP_EVERY: Duration = Duration::from_secs(1);

/// Shared state of every request.
#[derive(Debug, Clone)]
pub struct AppState {
    /// What the protocols may use (the service, credentials, names in replies).
    pub ctx: Arc<Context>,
    /// The service's entropy source, for request IDs (so that a deterministic source
    /// makes whole responses reproducible).
    pub entropy: Arc<dyn Entropy>,
    /// The KMS clock, which the admin endpoint moves.
    pub clock: Arc<ControlledClock>,
    /// Admin bearer secret; `None` disables the admin endpoints.
    pub admin: Option<SecretBytes>,
    /// Where requests are recorded (`--record`).
    pub recorder: Option<Arc<record::Recorder>>,
    /// The audit log, if one is kept.
    pub audit: Option<Arc<crate::audit::AuditLog>>,
    /// The Prometheus metrics (`None` only if the registry refused them, a bug).
    pub metrics: Option<metrics::Metrics>,
    /// Which browser origins may call the API.
    pub cors: Arc<cors::CorsPolicy>,
    /// Whether `/explorer` is served (`--no-explorer` turns it off).
    pub explorer: bool,
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
            entropy: kms.entropy(),
            ctx: Arc::new(Context {
                kms,
                credentials: Arc::new(credentials),
                nonces: Arc::new(NonceCache::new(1_000_000)),
                large_verifications: Arc::new(tokio::sync::Semaphore::new(1)),
                host_id,
                aws_account_id: DEFAULT_AWS_ACCOUNT_ID.to_owned(),
                request_timeout: Limits::default().request_timeout,
                recording: false,
            }),
            clock,
            admin,
            recorder: None,
            audit: None,
            metrics: metrics::Metrics::new()
                .inspect_err(|e| tracing::error!(error = %e, "metrics unavailable"))
                .ok(),
            cors: Arc::new(cors::CorsPolicy::default()),
            explorer: true,
        }
    }

    /// The key-management service.
    #[must_use]
    pub fn kms(&self) -> &Arc<Kms> {
        &self.ctx.kms
    }

    /// A fresh UUID for a request ID (all zeros if the entropy source fails, which then
    /// fails the request's own work too).
    #[must_use]
    pub fn uuid(&self) -> String {
        crate::crypto::random::new_uuid(self.entropy.as_ref())
            .unwrap_or_else(|_| "00000000-0000-0000-0000-000000000000".into())
    }

    /// A fresh request ID in `dialect`'s spelling.
    #[must_use]
    pub fn request_id(&self, dialect: Dialect) -> String {
        let uuid = self.uuid();
        match dialect {
            Dialect::Aliyun => Aliyun::request_id(&uuid),
            Dialect::Aws => Aws::request_id(&uuid),
        }
    }

    /// Sets the CORS policy (loopback origins only by default).
    #[must_use]
    pub fn with_cors(mut self, policy: cors::CorsPolicy) -> Self {
        self.cors = Arc::new(policy);
        self
    }

    /// Serves the explorer page at `/explorer`, or not.
    #[must_use]
    pub fn with_explorer(mut self, on: bool) -> Self {
        self.explorer = on;
        self
    }

    /// Writes one audit record per request to `log`.
    #[must_use]
    pub fn with_audit(mut self, log: crate::audit::AuditLog) -> Self {
        self.audit = Some(Arc::new(log));
        self
    }

    /// Records every request to `recorder`.
    #[must_use]
    pub fn with_recorder(mut self, recorder: record::Recorder) -> Self {
        self.recorder = Some(Arc::new(recorder));
        Arc::make_mut(&mut self.ctx).recording = true;
        self
    }

    /// Sets the account ID of AWS ARNs.
    #[must_use]
    pub fn with_aws_account_id(mut self, account: String) -> Self {
        Arc::make_mut(&mut self.ctx).aws_account_id = account;
        self
    }
}

/// Registers every route on an actix `App` (also used by in-process tests).
pub fn configure(state: AppState) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| dispatch::configure(cfg, state)
}

/// The whole application: every route behind the CORS layer (also used by in-process
/// tests, so they see what clients see).
pub fn app(
    state: AppState,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        .wrap(actix_web::middleware::from_fn(cors::layer))
        .configure(configure(state))
}

/// Bounds on what any client may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Time for a request head, and then for its body.
    pub request_timeout: Duration,
    /// Connections served at once; more wait in the listen queue until one ends.
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            request_timeout: Duration::from_secs(5),
            max_connections: 1024,
        }
    }
}

/// actix's HTTP/1 service over the app, for a guarded stream of any kind.
fn h1<T>(
    state: AppState,
    limits: Limits,
) -> impl actix_service::ServiceFactory<
    (T, Option<std::net::SocketAddr>),
    Config = (),
    Response = (),
    Error = actix_http::error::DispatchError,
    InitError = (),
>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + 'static,
{
    use actix_service::{IntoServiceFactory as _, ServiceFactoryExt as _, map_config};
    let app = app(state)
        .into_factory()
        .map_err(|e: actix_web::Error| e.error_response());
    actix_http::HttpService::build()
        // The guard's own deadlines come first; these only back them up.
        .client_request_timeout(limits.request_timeout + Duration::from_secs(1))
        .client_disconnect_timeout(Duration::from_secs(1))
        .h1(map_config(app, |()| actix_web::dev::AppConfig::default()))
}

/// Runs the sweeper: expired material and ended deletion windows are applied every
/// second, even when nobody asks.
fn spawn_sweeper(kms: Arc<Kms>) -> actix_web::rt::task::JoinHandle<()> {
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
}

/// A bound socket and, for https, the TLS configuration it serves.
#[derive(Debug)]
pub struct Listener {
    /// The bound socket.
    pub socket: TcpListener,
    /// `Some` for https.
    pub tls: Option<Arc<rustls::ServerConfig>>,
}

/// Serves plain http on an already-bound listener until SIGINT/SIGTERM; then drains and
/// returns. See [`serve`].
///
/// # Errors
/// The listener cannot be used.
pub async fn run(listener: TcpListener, state: AppState, limits: Limits) -> std::io::Result<()> {
    let listener = Listener {
        socket: listener,
        tls: None,
    };
    serve(vec![listener], state, limits).await
}

/// Serves on already-bound listeners (http and https side by side) until SIGINT/SIGTERM;
/// then drains and returns. Every connection passes through the TLS handshake if any,
/// then the front guard (`guard.rs`), then actix's HTTP/1 service and the app.
///
/// # Errors
/// A listener cannot be used.
pub async fn serve(
    listeners: Vec<Listener>,
    state: AppState,
    limits: Limits,
) -> std::io::Result<()> {
    use actix_service::{ServiceFactoryExt as _, fn_service};
    let mut state = state;
    Arc::make_mut(&mut state.ctx).request_timeout = limits.request_timeout;
    let sweeper = spawn_sweeper(state.kms().clone());
    let workers = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
    let guard = Arc::new(guard::GuardConfig {
        state: state.clone(),
        timeout: limits.request_timeout,
    });
    let mut builder = actix_server::Server::build()
        .workers(workers)
        .max_concurrent_connections(limits.max_connections.div_ceil(workers).max(1))
        .shutdown_timeout(5);
    for (i, listener) in listeners.into_iter().enumerate() {
        let (guard, app_state) = (guard.clone(), state.clone());
        let name = format!("qkms-{i}");
        builder = match listener.tls {
            None => builder.listen(name, listener.socket, move || {
                let guard = guard.clone();
                fn_service(move |io: actix_web::rt::net::TcpStream| {
                    let peer = io.peer_addr().ok();
                    std::future::ready(Ok((guard::Guarded::new(io, guard.clone()), peer)))
                })
                .and_then(h1(app_state.clone(), limits))
            })?,
            Some(config) => builder.listen(name, listener.socket, move || {
                let guard = guard.clone();
                let mut acceptor = actix_tls::accept::rustls_0_23::Acceptor::new((*config).clone());
                acceptor.set_handshake_timeout(limits.request_timeout);
                acceptor
                    .map_err(|e| {
                        tracing::debug!(error = ?e, "TLS handshake failed");
                        actix_http::error::DispatchError::Upgrade
                    })
                    .and_then(fn_service(
                        move |tls: actix_tls::accept::rustls_0_23::TlsStream<
                            actix_web::rt::net::TcpStream,
                        >| {
                            let peer = tls.get_ref().0.peer_addr().ok();
                            std::future::ready(Ok((guard::Guarded::new(tls, guard.clone()), peer)))
                        },
                    ))
                    .and_then(h1(app_state.clone(), limits))
            })?,
        };
    }
    let server = builder.run();
    let result = server.await;
    sweeper.abort();
    state.kms().shutdown();
    tracing::info!("server stopped");
    result
}
