//! `qkms`: parse the command line, then `serve` (configure, log, bind, open the store,
//! run), `export` (a data directory as a seed file), `check` (a data directory's records),
//! `bulk-create` or `replay` (a recording).
//!
//! `serve` validates every flag and binds its listener before it writes anything, so a
//! typo never leaves a half-made data directory behind.

#![forbid(unsafe_code)]

use std::io::Write as _;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser as _;
use qkms::audit::{AuditLog, AuditSettings};
use qkms::auth::Credentials;
use qkms::clock::{Clock as _, ControlledClock, Mode, iso8601};
use qkms::config::{
    AuditCommand, AuditVerifyArgs, BulkCreateArgs, CheckArgs, Cli, Command, Config, DialectArg,
    ExportArgs, TlsSource,
};
use qkms::crypto::random::{DeterministicEntropy, Entropy, OsEntropy};
use qkms::crypto::root::RootKey;
use qkms::datadir::{self, Opened};
use qkms::server::record::Recorder;
use qkms::server::{self, AppState, Limits, Listener, tls};
use qkms::service::seed::SeedFile;
use qkms::service::{Kms, KmsSettings};
use qkms::store::{KeyStore, MemoryStore};

/// mimalloc: the request path allocates many small buffers on two worker threads, and
/// glibc's allocator showed as the largest item of the Encrypt profile (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// How a command failed: its exit code tells scripts which.
enum Failure {
    /// Exit code 1: anything else.
    General(String),
    /// Exit code 2: start-up refused an unsafe data directory.
    Refused(String),
    /// Exit code 3: `check` found unreadable records.
    Damaged(String),
}

impl From<String> for Failure {
    fn from(e: String) -> Self {
        Self::General(e)
    }
}

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::Serve(args) => Config::from_args(*args)
            .map_err(|e| Failure::General(e.to_string()))
            .and_then(serve),
        Command::Export(args) => export(args),
        Command::BulkCreate(args) => bulk_create(&args),
        Command::Check(args) => check(&args),
        Command::Audit(args) => match args.command {
            AuditCommand::Verify(v) => audit_verify(&v),
        },
        Command::Openapi(args) => {
            let doc = match args.dialect {
                DialectArg::Aliyun => qkms::aliyun::openapi::document(),
                DialectArg::Aws => qkms::aws::openapi::document(),
            };
            println!("{doc:#}");
            Ok(())
        }
        Command::Replay(args) => qkms::replay::run(&args)
            .and_then(|report| {
                println!("{report}");
                if report.differences == 0 {
                    Ok(())
                } else {
                    Err(format!("{} differences", report.differences))
                }
            })
            .map_err(Failure::General),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            let (code, message) = match failure {
                Failure::General(m) => (1, m),
                Failure::Refused(m) => (2, m),
                Failure::Damaged(m) => (3, m),
            };
            eprintln!("qkms: {message}");
            ExitCode::from(code)
        }
    }
}

/// The seed files named by `paths`: files as given, directories as their `*.toml` files in
/// name order.
fn seed_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(path)
                .map_err(|e| format!("seed directory {}: {e}", path.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "toml"))
                .collect();
            found.sort();
            out.extend(found);
        } else {
            out.push(path.clone());
        }
    }
    Ok(out)
}

fn read_seed(path: &Path) -> Result<SeedFile, String> {
    let text = zeroize::Zeroizing::new(
        std::fs::read_to_string(path).map_err(|e| format!("seed file {}: {e}", path.display()))?,
    );
    toml::from_str(&text).map_err(|e| format!("seed file {}: {e}", path.display()))
}

/// `QKMS_ROOT_KEY`, when set.
fn given_root_key() -> Result<Option<RootKey>, String> {
    match std::env::var("QKMS_ROOT_KEY") {
        Ok(hex_key) => RootKey::from_hex(&hex_key)
            .map(Some)
            .map_err(|e| format!("QKMS_ROOT_KEY: {e}")),
        Err(_) => Ok(None),
    }
}

fn init_logging(filter: &str) -> Result<(), String> {
    // actix's HTTP/1 dispatcher logs every malformed or aborted client connection at
    // ERROR, which lets unauthenticated clients flood the log; qkms's own front end logs
    // those at debug, so the dispatcher is quiet unless its target is named.
    let filter = if filter.contains("actix_http") {
        filter.to_owned()
    } else {
        format!("{filter},actix_http::h1=off")
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_new(&filter).map_err(|e| e.to_string())?,
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    Ok(())
}

fn entropy_for(config: &Config) -> Arc<dyn Entropy> {
    match &config.deterministic {
        Some(seed) => {
            tracing::warn!(
                "DETERMINISTIC MODE: every random value comes from the seed; this is for tests only and NOT SECURE"
            );
            Arc::new(DeterministicEntropy::new(seed))
        }
        None => Arc::new(OsEntropy),
    }
}

/// The store and root key: in memory, or the data directory opened safely.
fn open_store(
    config: &Config,
    entropy: &dyn Entropy,
) -> Result<(Arc<dyn KeyStore>, RootKey), Failure> {
    if config.ephemeral {
        tracing::info!("ephemeral mode: everything stays in memory");
        let root = RootKey::generate(entropy).map_err(|e| e.to_string())?;
        return Ok((Arc::new(MemoryStore::new()), root));
    }
    let mode = datadir::Mode::Serve { init: config.init };
    let Opened {
        store,
        root,
        created,
    } = datadir::open(&config.data_dir, given_root_key()?, mode, entropy)
        .map_err(|e| Failure::Refused(e.to_string()))?;
    if created {
        tracing::info!(dir = %config.data_dir.display(), "generated a new root key");
    }
    Ok((Arc::new(store), root))
}

fn serve(config: Config) -> Result<(), Failure> {
    init_logging(&config.log)?;
    if config.default_credentials {
        tracing::warn!("no access key configured: accepting the defaults testid/testsecret");
    }
    // Everything that can fail on a flag comes before anything is written.
    let listener = TcpListener::bind(&config.listen)
        .map_err(|e| format!("listen on {}: {e}", config.listen))?;
    let tls_listener = match config.tls.as_ref().and_then(|t| t.listen.as_ref()) {
        Some(addr) => Some(TcpListener::bind(addr).map_err(|e| format!("listen on {addr}: {e}"))?),
        None => None,
    };
    let tls = tls_config(&config)?;
    let seeds = seed_files(&config.seeds)?
        .into_iter()
        .map(|path| read_seed(&path).map(|seed| (path, seed)))
        .collect::<Result<Vec<_>, _>>()?;
    let recorder = match &config.record {
        Some(path) => Some(
            Recorder::open(path, config.record_secrets)
                .map_err(|e| format!("record file {}: {e}", path.display()))?,
        ),
        None => None,
    };
    let entropy = entropy_for(&config);
    let (store, root) = open_store(&config, entropy.as_ref())?;
    let settings = KmsSettings {
        region: config.region.clone(),
        account_id: config.account_id.clone(),
        // Deterministic mode generates wrapping keys on demand, in request order.
        wrapping_pool: if config.deterministic.is_some() {
            0
        } else {
            32
        },
        deterministic: config.deterministic.is_some(),
        default_region_aliases: if config.aws_region == config.region {
            Vec::new()
        } else {
            vec![config.aws_region.clone()]
        },
    };
    let clock = Arc::new(ControlledClock::new(config.clock));
    if config.clock != Mode::Offset(0) {
        tracing::warn!(now = %iso8601(clock.now()), "the KMS clock is not the system clock");
    }
    let audit = open_audit(&config, &root)?;
    let sessions = qkms::sessions::SessionKeys::new(root.derive(b"qkms sts v1"));
    let kms = Kms::new(store, clock.clone(), entropy, root, settings)
        .map_err(|e| Failure::Refused(format!("{}: {e}", config.data_dir.display())))?;
    for (path, seed) in seeds {
        let report = kms
            .load_seed(&seed)
            .map_err(|e| format!("seed file {}: {e}", path.display()))?;
        tracing::info!(file = %path.display(), created = report.created, unchanged = report.unchanged, aliases_created = report.aliases_created, "seed loaded");
    }
    let mut state = app_state(&config, Arc::new(kms), clock, recorder, sessions);
    if let Some(log) = audit {
        state = state.with_audit(log);
    }
    let listeners = match (tls, tls_listener) {
        (Some(tls), Some(https)) => vec![
            Listener {
                socket: listener,
                tls: None,
            },
            Listener {
                socket: https,
                tls: Some(tls),
            },
        ],
        (tls, _) => vec![Listener {
            socket: listener,
            tls,
        }],
    };
    run(&config, listeners, state)
}

/// The key of the audit log's chain, from the root key (so only its holder can write or
/// check records).
fn audit_key(root: &RootKey) -> qkms::crypto::SecretBytes {
    root.derive(b"qkms audit log v1")
}

/// How many rotated audit files are kept.
const AUDIT_KEEP: usize = 9;

fn open_audit(config: &Config, root: &RootKey) -> Result<Option<AuditLog>, Failure> {
    let Some((path, max_bytes)) = &config.audit else {
        return Ok(None);
    };
    if config.ephemeral && std::env::var_os("QKMS_ROOT_KEY").is_none() {
        return Err(Failure::General(
            "--audit-log with --ephemeral needs QKMS_ROOT_KEY: the log can only be verified with the root key it was written under".into(),
        ));
    }
    let settings = AuditSettings {
        path: path.clone(),
        max_bytes: *max_bytes,
        keep: AUDIT_KEEP,
    };
    let log = AuditLog::open(settings, audit_key(root).expose())
        .map_err(|e| format!("audit log {}: {e}", path.display()))?;
    tracing::info!(file = %path.display(), last_seq = log.last_seq(), "writing the audit log");
    Ok(Some(log))
}

/// The rustls configuration, if https is on: from the given files, or from the local CA
/// (made on first start) in the data directory. A bad file stops the start.
fn tls_config(config: &Config) -> Result<Option<Arc<rustls::ServerConfig>>, Failure> {
    let Some(settings) = &config.tls else {
        return Ok(None);
    };
    let (cert, key) = match &settings.source {
        TlsSource::Files { cert, key } => (cert.clone(), key.clone()),
        TlsSource::SelfSigned { names } => {
            let set = tls::self_signed(&config.data_dir, names).map_err(|e| e.to_string())?;
            if set.created_ca {
                tracing::info!(ca = %set.ca.display(), "generated a local CA for TLS");
            }
            tracing::info!(ca = %set.ca.display(), "TLS: clients should trust this CA certificate");
            (set.cert, set.key)
        }
    };
    Ok(Some(
        tls::server_config(&cert, &key).map_err(|e| e.to_string())?,
    ))
}

fn app_state(
    config: &Config,
    kms: Arc<Kms>,
    clock: Arc<ControlledClock>,
    recorder: Option<Recorder>,
    sessions: qkms::sessions::SessionKeys,
) -> AppState {
    let credentials = credentials(config).with_sessions(sessions);
    let mut state = AppState::new(kms, clock, credentials, config.admin.clone())
        .with_aws_account_id(config.aws_account_id.clone())
        .with_cors(config.cors.clone())
        .with_explorer(config.explorer);
    if config.cors.allows_any() {
        tracing::warn!(
            "--cors-origin '*': every web page may call this server with the configured access keys"
        );
    }
    if let (Some(recorder), Some(path)) = (recorder, &config.record) {
        tracing::info!(file = %path.display(), secrets = config.record_secrets, "recording requests");
        state = state.with_recorder(recorder);
    }
    state
}

fn run(config: &Config, listeners: Vec<Listener>, state: AppState) -> Result<(), Failure> {
    // The first line of stdout is the bound address, for scripts that asked for port 0;
    // with http and https side by side, the second line is the https one.
    let mut stdout = std::io::stdout();
    for l in &listeners {
        let addr = l.socket.local_addr().map_err(|e| e.to_string())?;
        writeln!(stdout, "{addr}").map_err(|e| e.to_string())?;
        let scheme = if l.tls.is_some() { "https" } else { "http" };
        tracing::info!(%addr, %scheme, region = %config.region, "qkms listening");
        if config.explorer {
            tracing::info!("explorer: {scheme}://{}/explorer", explorer_host(addr));
        }
    }
    stdout.flush().map_err(|e| e.to_string())?;
    let limits = Limits {
        request_timeout: config.request_timeout,
        max_connections: connections_within_file_limit(config.max_connections),
    };
    actix_web::rt::System::new()
        .block_on(server::serve(listeners, state, limits))
        .map_err(|e| Failure::General(e.to_string()))
}

/// The host to print in the explorer's URL: an unspecified address (`0.0.0.0`) is reached
/// at loopback, which is also a secure context for WebCrypto.
fn explorer_host(addr: std::net::SocketAddr) -> String {
    if addr.ip().is_unspecified() {
        format!("127.0.0.1:{}", addr.port())
    } else {
        addr.to_string()
    }
}

/// Raises the open-file limit as far as allowed and keeps the connection limit below it,
/// with room for the store's files: running out of descriptors stops every client.
fn connections_within_file_limit(wanted: usize) -> usize {
    const RESERVED: u64 = 64;
    let files = rlimit::increase_nofile_limit(u64::MAX).unwrap_or(1024);
    let room = usize::try_from(files.saturating_sub(RESERVED).max(1)).unwrap_or(usize::MAX);
    if wanted > room {
        tracing::warn!(
            wanted,
            open_file_limit = files,
            "--max-connections lowered to fit the open-file limit"
        );
        room
    } else {
        wanted
    }
}

fn existing(dir: &Path) -> Result<Opened, Failure> {
    datadir::open(dir, given_root_key()?, datadir::Mode::Existing, &OsEntropy)
        .map_err(|e| Failure::Refused(e.to_string()))
}

fn export(args: ExportArgs) -> Result<(), Failure> {
    let dir = args.data_dir.unwrap_or_else(|| PathBuf::from("qkms-data"));
    let Opened { store, root, .. } = existing(&dir)?;
    let account = args.account_id.unwrap_or_else(|| "1234567890123456".into());
    let kms = offline_kms(store, root, account)?;
    let seed = kms
        .export_seed(args.include_material)
        .map_err(|e| e.to_string())?;
    let mut text = String::new();
    if !args.include_material {
        text.push_str(qkms::service::seed::EXPORT_WITHOUT_MATERIAL_NOTE);
    }
    text.push_str(&toml::to_string_pretty(&seed).map_err(|e| e.to_string())?);
    let text = zeroize::Zeroizing::new(text);
    let write = |mut out: Box<dyn std::io::Write>| out.write_all(text.as_bytes());
    match args.output {
        None => write(Box::new(std::io::stdout())).map_err(|e| e.to_string())?,
        Some(path) => {
            let file = if args.include_material {
                qkms::files::open_private(&path, false)
            } else {
                std::fs::File::create(&path)
            };
            file.and_then(|f| write(Box::new(f)))
                .map_err(|e| format!("{}: {e}", path.display()))?;
        }
    }
    Ok(())
}

/// Every access key: the configured root pairs (or the default one) and the principals'.
fn credentials(config: &Config) -> Credentials {
    let root = Arc::new(qkms::service::Principal::default_root());
    Credentials::of_principals(
        config
            .credentials
            .iter()
            .map(|(id, secret)| (id.clone(), secret.clone(), root.clone()))
            .chain(config.principals.iter().cloned()),
    )
}

fn check(args: &CheckArgs) -> Result<(), Failure> {
    let dir = args
        .data_dir
        .clone()
        .unwrap_or_else(|| PathBuf::from("qkms-data"));
    let Opened { store, root, .. } = existing(&dir)?;
    let mut problems = store.integrity_problems().map_err(|e| e.to_string())?;
    let mut report =
        qkms::service::check::check_store(Arc::new(store), root).map_err(|e| e.to_string())?;
    problems.append(&mut report.problems);
    report.problems = problems;
    println!("{report}");
    if report.problems.is_empty() {
        Ok(())
    } else {
        Err(Failure::Damaged(format!(
            "{}: {} unreadable records",
            dir.display(),
            report.problems.len()
        )))
    }
}

/// `qkms audit verify`: the root key from `QKMS_ROOT_KEY`, else from the data directory.
fn audit_verify(args: &AuditVerifyArgs) -> Result<(), Failure> {
    let root = match given_root_key()? {
        Some(root) => root,
        None => {
            let dir = args
                .data_dir
                .clone()
                .unwrap_or_else(|| PathBuf::from("qkms-data"));
            existing(&dir)?.root
        }
    };
    let settings = AuditSettings {
        path: args.file.clone(),
        max_bytes: u64::MAX,
        keep: AUDIT_KEEP,
    };
    match qkms::audit::verify_chain(&settings, audit_key(&root).expose()) {
        Ok(report) => {
            println!(
                "{}: {} records, seq {} to {}, chain intact",
                args.file.display(),
                report.records,
                report.first_seq,
                report.last_seq
            );
            Ok(())
        }
        Err(e) => Err(Failure::Damaged(format!("{}: {e}", args.file.display()))),
    }
}

fn bulk_create(args: &BulkCreateArgs) -> Result<(), Failure> {
    let dir = args
        .data_dir
        .clone()
        .unwrap_or_else(|| PathBuf::from("qkms-data"));
    let Opened { store, root, .. } = datadir::open(
        &dir,
        given_root_key()?,
        datadir::Mode::Serve { init: false },
        &OsEntropy,
    )
    .map_err(|e| Failure::Refused(e.to_string()))?;
    let kms = offline_kms(store, root, "1234567890123456".into())?;
    let first = kms.bulk_create(args.count).map_err(|e| e.to_string())?;
    println!("{}", first.unwrap_or_default());
    Ok(())
}

/// A `Kms` over a data directory's store for the offline commands (export, bulk-create):
/// system clock, OS entropy, no wrapping-key pool.
fn offline_kms(
    store: qkms::store::SqliteStore,
    root: RootKey,
    account_id: String,
) -> Result<Kms, Failure> {
    Kms::new(
        Arc::new(store),
        Arc::new(ControlledClock::new(Mode::Offset(0))),
        Arc::new(OsEntropy),
        root,
        KmsSettings {
            region: "cn-hangzhou".into(),
            account_id,
            wrapping_pool: 0,
            deterministic: false,
            default_region_aliases: Vec::new(),
        },
    )
    .map_err(|e| Failure::Refused(e.to_string()))
}
