//! `qkms`: parse the configuration, set up logging, open the store, bind, serve.

#![forbid(unsafe_code)]

use std::io::Write as _;
use std::net::TcpListener;
use std::sync::Arc;

use clap::Parser as _;
use qkms::auth::Credentials;
use qkms::clock::{Clock as _, ControlledClock, Mode, iso8601};
use qkms::config::{Cli, Command, Config};
use qkms::crypto::random::OsEntropy;
use qkms::crypto::root::RootKey;
use qkms::server::{self, AppState};
use qkms::service::{Kms, KmsSettings};
use qkms::store::{KeyStore, MemoryStore, SqliteStore};

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let Command::Serve(args) = cli.command;
    match Config::from_args(args)
        .map_err(|e| e.to_string())
        .and_then(serve)
    {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("qkms: {e}");
            std::process::ExitCode::FAILURE
        }
    }
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
    let entropy = Arc::new(OsEntropy);
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
        wrapping_pool: 32,
    };
    let clock = Arc::new(ControlledClock::new(config.clock));
    if config.clock != Mode::Offset(0) {
        tracing::warn!(now = %iso8601(clock.now()), "the KMS clock is not the system clock");
    }
    let kms = Kms::new(store, clock.clone(), entropy, root, settings).map_err(|e| e.to_string())?;
    let state = AppState::new(
        Arc::new(kms),
        clock,
        Credentials::new(config.credentials.clone()),
        config.admin.clone(),
    )
    .with_aws_account_id(config.aws_account_id.clone());

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
