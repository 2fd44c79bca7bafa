//! `qkms`: parse the command line, then `serve` (configure, log, open the store, bind,
//! run), `export` (a data directory as a seed file) or `replay` (a recording).

#![forbid(unsafe_code)]

use std::io::Write as _;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::Parser as _;
use qkms::auth::Credentials;
use qkms::clock::{Clock as _, ControlledClock, Mode, iso8601};
use qkms::config::{BulkCreateArgs, Cli, Command, Config, ExportArgs};
use qkms::crypto::random::{DeterministicEntropy, Entropy, OsEntropy};
use qkms::crypto::root::RootKey;
use qkms::server::record::Recorder;
use qkms::server::{self, AppState};
use qkms::service::seed::SeedFile;
use qkms::service::{Kms, KmsSettings};
use qkms::store::{KeyStore, MemoryStore, SqliteStore};

/// mimalloc: the request path allocates many small buffers on two worker threads, and
/// glibc's allocator showed as the largest item of the Encrypt profile (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let result = match Cli::parse().command {
        Command::Serve(args) => Config::from_args(*args)
            .map_err(|e| e.to_string())
            .and_then(serve),
        Command::Export(args) => export(args),
        Command::BulkCreate(args) => bulk_create(&args),
        Command::Replay(args) => qkms::replay::run(&args).and_then(|report| {
            println!("{report}");
            if report.differences == 0 {
                Ok(())
            } else {
                Err(format!("{} differences", report.differences))
            }
        }),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("qkms: {e}");
            std::process::ExitCode::FAILURE
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

fn serve(config: Config) -> Result<(), String> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_new(&config.log).map_err(|e| e.to_string())?,
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    if config.default_credentials {
        tracing::warn!("no access key configured: accepting the defaults testid/testsecret");
    }
    let entropy: Arc<dyn Entropy> = match &config.deterministic {
        Some(seed) => {
            tracing::warn!(
                "DETERMINISTIC MODE: every random value comes from the seed; this is for tests only and NOT SECURE"
            );
            Arc::new(DeterministicEntropy::new(seed))
        }
        None => Arc::new(OsEntropy),
    };
    let (store, root): (Arc<dyn KeyStore>, RootKey) = if config.ephemeral {
        tracing::info!("ephemeral mode: everything stays in memory");
        let root = RootKey::generate(entropy.as_ref()).map_err(|e| e.to_string())?;
        (Arc::new(MemoryStore::new()), root)
    } else {
        std::fs::create_dir_all(&config.data_dir)
            .map_err(|e| format!("data directory {}: {e}", config.data_dir.display()))?;
        let root = match std::env::var("QKMS_ROOT_KEY") {
            Ok(hex_key) => {
                RootKey::from_hex(&hex_key).map_err(|e| format!("QKMS_ROOT_KEY: {e}"))?
            }
            Err(_) => {
                let (root, created) = RootKey::load_or_create(&config.data_dir, entropy.as_ref())
                    .map_err(|e| e.to_string())?;
                if created {
                    tracing::info!(dir = %config.data_dir.display(), "generated a new root key");
                }
                root
            }
        };
        let store = SqliteStore::open(&config.data_dir).map_err(|e| e.to_string())?;
        (Arc::new(store), root)
    };
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
    };
    let clock = Arc::new(ControlledClock::new(config.clock));
    if config.clock != Mode::Offset(0) {
        tracing::warn!(now = %iso8601(clock.now()), "the KMS clock is not the system clock");
    }
    let kms = Kms::new(store, clock.clone(), entropy, root, settings).map_err(|e| e.to_string())?;
    for path in seed_files(&config.seeds)? {
        let seed = read_seed(&path)?;
        let report = kms
            .load_seed(&seed)
            .map_err(|e| format!("seed file {}: {e}", path.display()))?;
        tracing::info!(
            file = %path.display(),
            created = report.created,
            unchanged = report.unchanged,
            aliases_created = report.aliases_created,
            "seed loaded"
        );
    }
    let mut state = AppState::new(
        Arc::new(kms),
        clock,
        Credentials::new(config.credentials.clone()),
        config.admin.clone(),
    )
    .with_aws_account_id(config.aws_account_id.clone())
    .with_cors(config.cors.clone());
    if config.cors.allows_any() {
        tracing::warn!(
            "--cors-origin '*': every web page may call this server with the configured access keys"
        );
    }
    if let Some(path) = &config.record {
        let recorder = Recorder::open(path, config.record_secrets)
            .map_err(|e| format!("record file {}: {e}", path.display()))?;
        tracing::info!(file = %path.display(), secrets = config.record_secrets, "recording requests");
        state = state.with_recorder(recorder);
    }

    let listener = TcpListener::bind(&config.listen)
        .map_err(|e| format!("listen on {}: {e}", config.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    // The first line of stdout is the bound address, for scripts that asked for port 0.
    let mut stdout = std::io::stdout();
    writeln!(stdout, "{addr}")
        .and_then(|()| stdout.flush())
        .map_err(|e| e.to_string())?;
    tracing::info!(%addr, region = %config.region, "qkms listening");

    actix_web::rt::System::new()
        .block_on(server::run(listener, state))
        .map_err(|e| e.to_string())
}

fn export(args: ExportArgs) -> Result<(), String> {
    let dir = args.data_dir.unwrap_or_else(|| PathBuf::from("qkms-data"));
    let root = match std::env::var("QKMS_ROOT_KEY") {
        Ok(hex_key) => RootKey::from_hex(&hex_key).map_err(|e| format!("QKMS_ROOT_KEY: {e}"))?,
        Err(_) => RootKey::load(&dir).map_err(|e| format!("root key in {}: {e}", dir.display()))?,
    };
    if !dir.join(qkms::store::DB_FILE).exists() {
        return Err(format!("{} holds no qkms database", dir.display()));
    }
    let store = SqliteStore::open(&dir).map_err(|e| e.to_string())?;
    let account = args.account_id.unwrap_or_else(|| "1234567890123456".into());
    let kms = offline_kms(store, root, account)?;
    let seed = kms
        .export_seed(args.include_material)
        .map_err(|e| e.to_string())?;
    let text = zeroize::Zeroizing::new(toml::to_string_pretty(&seed).map_err(|e| e.to_string())?);
    match args.output {
        None => std::io::stdout()
            .write_all(text.as_bytes())
            .map_err(|e| e.to_string()),
        Some(path) => {
            let mut opts = std::fs::OpenOptions::new();
            opts.write(true).create(true).truncate(true);
            #[cfg(unix)]
            if args.include_material {
                use std::os::unix::fs::OpenOptionsExt as _;
                opts.mode(0o600);
            }
            let mut file = opts
                .open(&path)
                .map_err(|e| format!("{}: {e}", path.display()))?;
            file.write_all(text.as_bytes())
                .map_err(|e| format!("{}: {e}", path.display()))
        }
    }
}

fn bulk_create(args: &BulkCreateArgs) -> Result<(), String> {
    let dir = args
        .data_dir
        .clone()
        .unwrap_or_else(|| PathBuf::from("qkms-data"));
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let (root, _) = RootKey::load_or_create(&dir, &OsEntropy).map_err(|e| e.to_string())?;
    let store = SqliteStore::open(&dir).map_err(|e| e.to_string())?;
    let kms = offline_kms(store, root, "1234567890123456".into())?;
    let first = kms.bulk_create(args.count).map_err(|e| e.to_string())?;
    println!("{}", first.unwrap_or_default());
    Ok(())
}

/// A `Kms` over a data directory's store for the offline commands (export, bulk-create):
/// system clock, OS entropy, no wrapping-key pool.
fn offline_kms(store: SqliteStore, root: RootKey, account_id: String) -> Result<Kms, String> {
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
        },
    )
    .map_err(|e| e.to_string())
}
