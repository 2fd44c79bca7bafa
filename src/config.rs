//! Configuration: command-line flags, `QKMS_*` environment variables and an optional TOML
//! file (`--config`), in that order of precedence, validated once into [`Config`].

use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand};
use serde::Deserialize;

use crate::clock::{Mode, parse_clock_spec};
use crate::crypto::SecretBytes;
use crate::server::cors::CorsPolicy;

/// Access key used when none is configured.
pub const DEFAULT_ACCESS_KEY_ID: &str = "testid";
/// Secret of the default access key.
pub const DEFAULT_ACCESS_KEY_SECRET: &str = "testsecret";

/// The command line.
#[derive(Debug, Parser)]
#[command(
    name = "qkms",
    version,
    about = "A local KMS server speaking the Alibaba Cloud KMS API"
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server.
    Serve(Box<ServeArgs>),
    /// Write the keys of a data directory as a seed file.
    Export(ExportArgs),
    /// Re-send a recording (`serve --record`) to a server and report every difference.
    Replay(ReplayArgs),
    /// Create many keys in a data directory at once (the benchmark's bulk path).
    BulkCreate(BulkCreateArgs),
    /// Read every record of a data directory and open every sealed material; report what is
    /// unreadable and exit non-zero if anything is.
    Check(CheckArgs),
    /// Print a dialect's OpenAPI 3.1 document (as served at /openapi/<dialect>.json).
    Openapi(OpenapiArgs),
    /// Audit log tools (`qkms audit verify FILE`).
    Audit(AuditArgs),
}

/// `qkms audit`.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: AuditCommand,
}

/// Subcommands of `qkms audit`.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the hash chain of an audit log (and of its rotated files `FILE.1` …); report
    /// the first altered, removed or reordered record and exit non-zero.
    Verify(AuditVerifyArgs),
}

/// Flags of `qkms audit verify`.
#[derive(Debug, Args)]
pub struct AuditVerifyArgs {
    /// The live audit log file.
    pub file: PathBuf,
    /// Data directory whose root key wrote the log [default: ./qkms-data]; or give the key
    /// in `QKMS_ROOT_KEY`.
    #[arg(long, env = "QKMS_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
}

/// Flags of `qkms openapi`.
#[derive(Debug, Args)]
pub struct OpenapiArgs {
    /// Which API.
    #[arg(long, value_enum)]
    pub dialect: DialectArg,
}

/// An API qkms speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DialectArg {
    /// Alibaba Cloud KMS RPC (2016-01-20).
    Aliyun,
    /// AWS KMS JSON 1.1.
    Aws,
}

/// Flags of `qkms check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Data directory to check [default: ./qkms-data]; its root key comes from `root.key`
    /// there or from `QKMS_ROOT_KEY`.
    #[arg(long, env = "QKMS_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
}

/// Flags of `qkms bulk-create`.
#[derive(Debug, Args)]
pub struct BulkCreateArgs {
    /// Data directory [default: ./qkms-data].
    #[arg(long, env = "QKMS_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// How many Aliyun_AES_256 keys to create.
    #[arg(long)]
    pub count: usize,
}

/// Flags of `qkms export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Data directory to read [default: ./qkms-data]; its root key comes from `root.key`
    /// there or from `QKMS_ROOT_KEY`.
    #[arg(long, env = "QKMS_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Include the key material (hex); the file is then created with mode 0600.
    #[arg(long)]
    pub include_material: bool,
    /// Output file [default: standard output].
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Account UID (as for `serve`) [default: 1234567890123456].
    #[arg(long, env = "QKMS_ACCOUNT_ID")]
    pub account_id: Option<String>,
}

/// Flags of `qkms replay`.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// The recording (JSON lines written by `serve --record`).
    pub file: PathBuf,
    /// The server to send to, e.g. `http://127.0.0.1:8080`.
    #[arg(long)]
    pub endpoint: String,
    /// Access key pair `ID:SECRET` to sign with [default: testid:testsecret].
    #[arg(long = "access-key", env = "QKMS_REPLAY_ACCESS_KEY")]
    pub access_key: Option<String>,
}

/// Flags of `qkms serve`; each also reads `QKMS_<FLAG>` from the environment.
#[derive(Debug, Args, Default)]
pub struct ServeArgs {
    /// TOML file with any of the settings below (flags and environment win over it).
    #[arg(long, env = "QKMS_CONFIG")]
    pub config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:8080]; port 0 picks a free port, and the
    /// chosen address is printed on the first line of stdout.
    #[arg(long, env = "QKMS_LISTEN")]
    pub listen: Option<String>,
    /// Directory of the embedded store and the root key [default: ./qkms-data].
    #[arg(long, env = "QKMS_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Region used in ARNs [default: cn-hangzhou].
    #[arg(long, env = "QKMS_REGION")]
    pub region: Option<String>,
    /// Account UID used in ARNs and as Creator [default: 1234567890123456].
    #[arg(long, env = "QKMS_ACCOUNT_ID")]
    pub account_id: Option<String>,
    /// Access key pair `ID:SECRET`; repeat for several (comma-separated in the environment).
    #[arg(long = "access-key", env = "QKMS_ACCESS_KEY", value_delimiter = ',')]
    pub access_keys: Vec<String>,
    /// A principal `NAME[@ACCOUNT]=ID:SECRET` whose requests its identity policies decide
    /// (none: it may do nothing); repeat for several keys or principals.
    #[arg(long = "principal", env = "QKMS_PRINCIPAL", value_delimiter = ',')]
    pub principals: Vec<String>,
    /// An identity policy `NAME=JSON` or `NAME=FILE` of a `--principal`; repeatable.
    #[arg(long = "principal-policy", env = "QKMS_PRINCIPAL_POLICY")]
    pub principal_policies: Vec<String>,
    /// The AWS dialect's name of the default region, whose keys both dialects share
    /// [default: us-east-1].
    #[arg(long, env = "QKMS_AWS_REGION")]
    pub aws_region: Option<String>,
    /// Write the audit log (one hash-chained JSON line per request) to this file.
    #[arg(long, env = "QKMS_AUDIT_LOG")]
    pub audit_log: Option<PathBuf>,
    /// Rotate the audit log when it would pass this many bytes [default: 67108864].
    #[arg(long, env = "QKMS_AUDIT_ROTATE_BYTES")]
    pub audit_rotate_bytes: Option<u64>,
    /// Keep everything in memory; nothing is written to disk.
    #[arg(long, env = "QKMS_EPHEMERAL")]
    pub ephemeral: bool,
    /// Log filter, e.g. `info` or `qkms=debug` [default: info].
    #[arg(long, env = "QKMS_LOG")]
    pub log: Option<String>,
    /// The KMS clock: `system`, `fixed:2024-01-01T00:00:00Z` or `offset:+25h`
    /// [default: system]. Signature timestamps are always checked against the real clock.
    #[arg(long, env = "QKMS_CLOCK")]
    pub clock: Option<String>,
    /// Enables the admin endpoints (`/_qkms/...`), protected by this bearer secret.
    #[arg(long, env = "QKMS_ADMIN")]
    pub admin: Option<String>,
    /// 12-digit account ID in AWS ARNs [default: 111122223333].
    #[arg(long, env = "QKMS_AWS_ACCOUNT_ID")]
    pub aws_account_id: Option<String>,
    /// Seed file (TOML) or directory of seed files to load at start-up; repeatable.
    #[arg(long, env = "QKMS_SEED", value_delimiter = ',')]
    pub seed: Vec<PathBuf>,
    /// FOR TESTS ONLY, NOT SECURE: draw every random value (IDs, nonces, tokens, wrapping
    /// keys, material, data keys) from a generator seeded with this string.
    #[arg(long, env = "QKMS_DETERMINISTIC")]
    pub deterministic: Option<String>,
    /// Append every request and its response to this file as JSON lines.
    #[arg(long, env = "QKMS_RECORD")]
    pub record: Option<PathBuf>,
    /// Keep material, plaintexts and tokens in the recording (file mode 0600).
    #[arg(long, env = "QKMS_RECORD_SECRETS")]
    pub record_secrets: bool,
    /// This is a new data directory: start even though only one of `qkms.db` and the root
    /// key is there (a kept root key for a new store, or a new root key for an empty one).
    #[arg(long, env = "QKMS_INIT")]
    pub init: bool,
    /// Seconds a client has to send a request's head, and then its body, before it is
    /// answered with an error and disconnected [default: 5].
    #[arg(long, env = "QKMS_REQUEST_TIMEOUT")]
    pub request_timeout: Option<u64>,
    /// Open connections served at once [default: 1024]; more wait to be accepted.
    #[arg(long, env = "QKMS_MAX_CONNECTIONS")]
    pub max_connections: Option<usize>,
    /// A browser origin (`https://app.example:8443`) that may call the API, besides the
    /// loopback origins; repeatable. `*` allows every origin (warned about).
    #[arg(long = "cors-origin", env = "QKMS_CORS_ORIGIN", value_delimiter = ',')]
    pub cors_origins: Vec<String>,
    /// Do not serve the explorer page at `/explorer`.
    #[arg(long, env = "QKMS_NO_EXPLORER")]
    pub no_explorer: bool,
    /// PEM certificate chain (leaf first) to serve https with; needs `--tls-key`.
    #[arg(
        long,
        env = "QKMS_TLS_CERT",
        requires = "tls_key",
        conflicts_with = "tls_self_signed"
    )]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of `--tls-cert`.
    #[arg(long, env = "QKMS_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Serve https with a certificate from a local CA that qkms makes on first start in
    /// `<data dir>/tls/` (clients trust `ca.pem`; its path is logged).
    #[arg(long, env = "QKMS_TLS_SELF_SIGNED")]
    pub tls_self_signed: bool,
    /// A further name or IP address for the self-signed certificate, besides `localhost`,
    /// `127.0.0.1` and `::1`; repeatable.
    #[arg(long = "tls-name", env = "QKMS_TLS_NAME", value_delimiter = ',')]
    pub tls_names: Vec<String>,
    /// Serve https on this address and keep plain http on `--listen`; without it, TLS
    /// replaces http on `--listen`. Port 0 picks a free port (printed on stdout's second line).
    #[arg(long, env = "QKMS_LISTEN_TLS")]
    pub listen_tls: Option<String>,
}

/// Where https comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsSource {
    /// Given PEM files.
    Files {
        /// Certificate chain.
        cert: PathBuf,
        /// Private key.
        key: PathBuf,
    },
    /// A local CA in the data directory, and these extra names.
    SelfSigned {
        /// Names besides the loopback ones.
        names: Vec<String>,
    },
}

/// The https side of the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsSettings {
    /// Certificate and key.
    pub source: TlsSource,
    /// `Some`: https here, plain http on `listen`; `None`: https on `listen`.
    pub listen: Option<String>,
}

/// The TOML file: the same settings, in kebab-case or snake_case.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct FileConfig {
    listen: Option<String>,
    #[serde(alias = "data_dir")]
    data_dir: Option<PathBuf>,
    region: Option<String>,
    #[serde(alias = "account_id")]
    account_id: Option<String>,
    #[serde(default, alias = "access_keys", alias = "access-key")]
    access_keys: Vec<String>,
    ephemeral: Option<bool>,
    log: Option<String>,
    clock: Option<String>,
    admin: Option<String>,
    #[serde(alias = "aws_account_id")]
    aws_account_id: Option<String>,
    #[serde(default)]
    seed: Vec<PathBuf>,
    deterministic: Option<String>,
    record: Option<PathBuf>,
    #[serde(alias = "record_secrets")]
    record_secrets: Option<bool>,
    #[serde(default, alias = "cors_origins", alias = "cors-origin")]
    cors_origins: Vec<String>,
    #[serde(alias = "request_timeout")]
    request_timeout: Option<u64>,
    #[serde(alias = "max_connections")]
    max_connections: Option<usize>,
    #[serde(alias = "no_explorer")]
    no_explorer: Option<bool>,
    #[serde(alias = "tls_cert")]
    tls_cert: Option<PathBuf>,
    #[serde(alias = "tls_key")]
    tls_key: Option<PathBuf>,
    #[serde(alias = "tls_self_signed")]
    tls_self_signed: Option<bool>,
    #[serde(default, alias = "tls_names", alias = "tls-name")]
    tls_names: Vec<String>,
    #[serde(alias = "listen_tls")]
    listen_tls: Option<String>,
    #[serde(default)]
    principals: Vec<crate::principals::PrincipalEntry>,
    #[serde(alias = "aws_region")]
    aws_region: Option<String>,
    #[serde(alias = "audit_log")]
    audit_log: Option<PathBuf>,
    #[serde(alias = "audit_rotate_bytes")]
    audit_rotate_bytes: Option<u64>,
}

/// Validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Listen address.
    pub listen: String,
    /// Data directory (unused with `ephemeral`).
    pub data_dir: PathBuf,
    /// Region.
    pub region: String,
    /// Account UID.
    pub account_id: String,
    /// Access key pairs.
    pub credentials: Vec<(String, SecretBytes)>,
    /// True when no key pair was configured and `testid`/`testsecret` are in use.
    pub default_credentials: bool,
    /// Access keys of configured principals.
    pub principals: Vec<crate::principals::KeyOf>,
    /// The AWS dialect's name of the default region.
    pub aws_region: String,
    /// The audit log file and its rotation size.
    pub audit: Option<(PathBuf, u64)>,
    /// In-memory store.
    pub ephemeral: bool,
    /// Log filter.
    pub log: String,
    /// Start mode of the KMS clock.
    pub clock: Mode,
    /// Admin bearer secret; `None` disables the admin endpoints.
    pub admin: Option<SecretBytes>,
    /// Account ID in AWS ARNs.
    pub aws_account_id: String,
    /// Seed files or directories.
    pub seeds: Vec<PathBuf>,
    /// Seed of the deterministic mode.
    pub deterministic: Option<String>,
    /// Recording file.
    pub record: Option<PathBuf>,
    /// Record secrets too.
    pub record_secrets: bool,
    /// Browser origins allowed besides the loopback ones.
    pub cors: CorsPolicy,
    /// `--init`: a one-sided data directory may be initialised.
    pub init: bool,
    /// Time a client has for a request's head, and then for its body.
    pub request_timeout: std::time::Duration,
    /// Connections served at once.
    pub max_connections: usize,
    /// https, if configured.
    pub tls: Option<TlsSettings>,
    /// Serve `/explorer`.
    pub explorer: bool,
}

/// Configuration errors.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The TOML file could not be read or parsed.
    #[error("config file {path}: {reason}")]
    File {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// A value is malformed.
    #[error("{0}")]
    Invalid(String),
}

fn read_file(path: &Path) -> Result<FileConfig, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError::File {
        path: path.to_owned(),
        reason: e.to_string(),
    })?;
    toml::from_str(&text).map_err(|e| ConfigError::File {
        path: path.to_owned(),
        reason: e.to_string(),
    })
}

/// Longest access-key ID accepted.
const MAX_ACCESS_KEY_ID: usize = 128;

/// `ID:SECRET`. The ID must be something every signing scheme can carry: SigV4 splits its
/// credential on `/`, and the v1 and ACS schemes put it in a query or header, so it is
/// limited to ASCII letters, digits, `-`, `_` and `.`. The secret may hold any printable
/// characters (`:` included) but no control characters.
fn parse_access_key(pair: &str) -> Result<(String, SecretBytes), ConfigError> {
    let Some((id, secret)) = pair.split_once(':') else {
        return Err(ConfigError::Invalid(
            "--access-key must be ID:SECRET with both parts non-empty".into(),
        ));
    };
    let id_ok = !id.is_empty()
        && id.len() <= MAX_ACCESS_KEY_ID
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if !id_ok {
        return Err(ConfigError::Invalid(format!(
            "--access-key: the ID {id:?} must be 1 to {MAX_ACCESS_KEY_ID} ASCII letters, digits, '-', '_' or '.'"
        )));
    }
    if secret.is_empty() || secret.chars().any(char::is_control) {
        return Err(ConfigError::Invalid(format!(
            "--access-key: the secret of {id} must be non-empty, without control characters"
        )));
    }
    Ok((id.to_owned(), SecretBytes::from_slice(secret.as_bytes())))
}

/// The configured key pairs, or the default one (and `true`) when none is.
fn credentials(pairs: &[String]) -> Result<(Vec<(String, SecretBytes)>, bool), ConfigError> {
    let mut credentials = pairs
        .iter()
        .map(|p| parse_access_key(p.trim()))
        .collect::<Result<Vec<_>, _>>()?;
    let default = credentials.is_empty();
    if default {
        credentials.push((
            DEFAULT_ACCESS_KEY_ID.to_owned(),
            SecretBytes::from_slice(DEFAULT_ACCESS_KEY_SECRET.as_bytes()),
        ));
    }
    Ok((credentials, default))
}

/// `--request-timeout` (1-3600 s, default 5) and `--max-connections` (1-1000000, default
/// 1024).
fn limits(
    timeout: Option<u64>,
    connections: Option<usize>,
) -> Result<(std::time::Duration, usize), ConfigError> {
    let timeout = timeout.unwrap_or(5);
    if !(1..=3600).contains(&timeout) {
        return Err(ConfigError::Invalid(
            "--request-timeout must be 1 to 3600 seconds".into(),
        ));
    }
    let connections = connections.unwrap_or(1024);
    if !(1..=1_000_000).contains(&connections) {
        return Err(ConfigError::Invalid(
            "--max-connections must be 1 to 1000000".into(),
        ));
    }
    Ok((std::time::Duration::from_secs(timeout), connections))
}

/// `HOST:PORT` with a port, resolvable now (so a typo fails before anything is written).
fn check_listen(listen: &str) -> Result<(), ConfigError> {
    use std::net::ToSocketAddrs as _;
    let bad = |why: String| ConfigError::Invalid(format!("--listen {listen:?}: {why}"));
    let mut addrs = listen
        .to_socket_addrs()
        .map_err(|e| bad(format!("expected HOST:PORT such as 127.0.0.1:8080 ({e})")))?;
    addrs
        .next()
        .map(drop)
        .ok_or_else(|| bad("names no address".into()))
}

/// A region or account ID: `default` when unset, and refused when empty or holding the ':'
/// that would break the ARNs built from it.
fn checked_id(value: Option<String>, default: &str, flag: &str) -> Result<String, ConfigError> {
    let value = value.unwrap_or_else(|| default.into());
    if value.is_empty() || value.contains(':') {
        return Err(ConfigError::Invalid(format!(
            "{flag} must be non-empty and contain no ':'"
        )));
    }
    Ok(value)
}

/// The admin secret, if any; an empty one would let anyone in, so it is refused.
fn admin_secret(value: Option<String>) -> Result<Option<SecretBytes>, ConfigError> {
    match value {
        Some(s) if s.is_empty() => Err(ConfigError::Invalid(
            "--admin needs a non-empty secret".into(),
        )),
        Some(s) => Ok(Some(SecretBytes::from_slice(s.as_bytes()))),
        None => Ok(None),
    }
}

/// The AWS account ID in ARNs: twelve digits, as AWS SDKs validate it.
fn aws_account_id(value: Option<String>) -> Result<String, ConfigError> {
    let id = value.unwrap_or_else(|| crate::server::DEFAULT_AWS_ACCOUNT_ID.into());
    if id.len() != 12 || !id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ConfigError::Invalid(
            "--aws-account-id must be 12 digits".into(),
        ));
    }
    Ok(id)
}

/// The https settings from flags over the file; `None` without a certificate source.
fn tls_settings(
    args: &mut ServeArgs,
    file: &mut FileConfig,
) -> Result<Option<TlsSettings>, ConfigError> {
    let bad = |m: &str| Err(ConfigError::Invalid(m.into()));
    let cert = args.tls_cert.take().or(file.tls_cert.take());
    let key = args.tls_key.take().or(file.tls_key.take());
    let self_signed = args.tls_self_signed || file.tls_self_signed.unwrap_or(false);
    let names = if args.tls_names.is_empty() {
        std::mem::take(&mut file.tls_names)
    } else {
        std::mem::take(&mut args.tls_names)
    };
    let listen = args.listen_tls.take().or(file.listen_tls.take());
    let source = match (cert, key, self_signed) {
        (Some(_), _, true) => return bad("--tls-cert and --tls-self-signed exclude each other"),
        (Some(cert), Some(key), false) => TlsSource::Files { cert, key },
        (Some(_), None, false) | (None, Some(_), _) => {
            return bad("--tls-cert and --tls-key go together");
        }
        (None, None, true) => TlsSource::SelfSigned { names },
        (None, None, false) => {
            if listen.is_some() {
                return bad("--listen-tls needs --tls-cert/--tls-key or --tls-self-signed");
            }
            if !names.is_empty() {
                return bad("--tls-name needs --tls-self-signed");
            }
            return Ok(None);
        }
    };
    if let Some(l) = &listen {
        check_listen(l)?;
    }
    Ok(Some(TlsSettings { source, listen }))
}

impl Config {
    /// Merges flags/environment over the file over the defaults, and validates.
    ///
    /// # Errors
    /// An unreadable file or a malformed value.
    pub fn from_args(mut args: ServeArgs) -> Result<Self, ConfigError> {
        let mut file = match &args.config {
            Some(path) => read_file(path)?,
            None => FileConfig::default(),
        };
        let tls = tls_settings(&mut args, &mut file)?;
        let pairs = if args.access_keys.is_empty() {
            &file.access_keys
        } else {
            &args.access_keys
        };
        let (credentials, default_credentials) = credentials(pairs)?;
        let region = checked_id(args.region.or(file.region), "cn-hangzhou", "--region")?;
        let account_id = checked_id(
            args.account_id.or(file.account_id),
            "1234567890123456",
            "--account-id",
        )?;
        let aws_region = checked_id(
            args.aws_region.or(file.aws_region),
            "us-east-1",
            "--aws-region",
        )?;
        let aws_account_id = aws_account_id(args.aws_account_id.or(file.aws_account_id))?;
        let mut entries = crate::principals::from_flags(&args.principals, &args.principal_policies)
            .map_err(ConfigError::Invalid)?;
        entries.extend(std::mem::take(&mut file.principals));
        let principals = crate::principals::build(
            &entries,
            args.config.as_deref().and_then(Path::parent),
            [&account_id, &aws_account_id],
            |pair| parse_access_key(pair).map_err(|e| e.to_string()),
        )
        .map_err(ConfigError::Invalid)?;
        if let Some((id, _, _)) = principals
            .iter()
            .find(|(id, _, _)| credentials.iter().any(|(c, _)| c == id))
        {
            return Err(ConfigError::Invalid(format!(
                "access key {id} belongs to a principal and to --access-key"
            )));
        }
        let clock = match args.clock.or(file.clock) {
            Some(spec) => parse_clock_spec(&spec).map_err(ConfigError::Invalid)?,
            None => Mode::Offset(0),
        };
        let admin = admin_secret(args.admin.or(file.admin))?;
        let cors = CorsPolicy::new(if args.cors_origins.is_empty() {
            &file.cors_origins
        } else {
            &args.cors_origins
        })
        .map_err(ConfigError::Invalid)?;
        let (request_timeout, max_connections) = limits(
            args.request_timeout.or(file.request_timeout),
            args.max_connections.or(file.max_connections),
        )?;
        let listen = args
            .listen
            .or(file.listen)
            .unwrap_or_else(|| "127.0.0.1:8080".into());
        check_listen(&listen)?;
        Ok(Self {
            init: args.init,
            request_timeout,
            max_connections,
            cors,
            seeds: if args.seed.is_empty() {
                file.seed
            } else {
                args.seed
            },
            deterministic: args.deterministic.or(file.deterministic),
            record: args.record.or(file.record),
            record_secrets: args.record_secrets || file.record_secrets.unwrap_or(false),
            clock,
            admin,
            aws_account_id,
            listen,
            data_dir: args
                .data_dir
                .or(file.data_dir)
                .unwrap_or_else(|| PathBuf::from("qkms-data")),
            region,
            account_id,
            credentials,
            default_credentials,
            principals,
            aws_region,
            audit: args.audit_log.or(file.audit_log).map(|p| {
                (
                    p,
                    args.audit_rotate_bytes
                        .or(file.audit_rotate_bytes)
                        .unwrap_or(64 << 20),
                )
            }),
            ephemeral: args.ephemeral || file.ephemeral.unwrap_or(false),
            log: args.log.or(file.log).unwrap_or_else(|| "info".into()),
            tls,
            explorer: !(args.no_explorer || file.no_explorer.unwrap_or(false)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const README: &str = include_str!("../README.md");

    /// Every subcommand and every flag of every subcommand is in the README.
    #[test]
    fn readme_names_every_subcommand_and_flag() {
        use clap::CommandFactory as _;
        let cli = Cli::command();
        for sub in cli.get_subcommands() {
            let name = sub.get_name();
            assert!(
                README.contains(&format!("qkms {name}")) || README.contains(&format!("-- {name}")),
                "README lacks the subcommand {name}"
            );
            for arg in sub.get_arguments() {
                if let Some(long) = arg.get_long() {
                    assert!(
                        README.contains(&format!("--{long}")),
                        "README lacks {name} --{long}"
                    );
                }
            }
        }
    }

    /// The README's example configuration file is one qkms reads.
    #[test]
    fn readme_config_example_parses() {
        let start = README.find("Example file:").unwrap();
        let block = README[start..].split("```toml\n").nth(1).unwrap();
        let toml_text = block.split("```").next().unwrap();
        let file: FileConfig = toml::from_str(toml_text).unwrap();
        assert_eq!(file.listen.as_deref(), Some("0.0.0.0:8080"));
        assert_eq!(file.cors_origins, ["https://tools.example:8443"]);
        assert_eq!(file.request_timeout, Some(10));
    }

    #[test]
    fn defaults_and_default_credentials() {
        let c = Config::from_args(ServeArgs::default()).unwrap();
        assert_eq!(c.listen, "127.0.0.1:8080");
        assert_eq!(c.region, "cn-hangzhou");
        assert!(c.default_credentials);
        assert_eq!(c.credentials[0].0, "testid");
    }

    #[test]
    fn file_is_overridden_by_flags() {
        let path = std::env::temp_dir().join(format!("qkms-config-{}.toml", std::process::id()));
        std::fs::write(
            &path,
            "listen = \"127.0.0.1:9\"\nregion = \"cn-shanghai\"\naccess-keys = [\"a:b\"]\n",
        )
        .unwrap();
        let args = ServeArgs {
            config: Some(path.clone()),
            region: Some("cn-beijing".into()),
            ..ServeArgs::default()
        };
        let c = Config::from_args(args).unwrap();
        assert_eq!(c.listen, "127.0.0.1:9");
        assert_eq!(c.region, "cn-beijing");
        assert_eq!(c.credentials[0].0, "a");
        assert!(!c.default_credentials);
        std::fs::remove_file(path).unwrap();
    }

    #[test]
    fn bad_listen_addresses_and_limits_are_refused() {
        for listen in ["127.0.0.1:8080x", "127.0.0.1", "nowhere.invalid:80", ":::"] {
            let args = ServeArgs {
                listen: Some(listen.into()),
                ..ServeArgs::default()
            };
            assert!(Config::from_args(args).is_err(), "{listen}");
        }
        for (t, c) in [(Some(0), None), (None, Some(0)), (Some(100_000), None)] {
            let args = ServeArgs {
                request_timeout: t,
                max_connections: c,
                ..ServeArgs::default()
            };
            assert!(Config::from_args(args).is_err());
        }
    }

    #[test]
    fn bad_access_key_is_refused() {
        for bad in [
            "nocolon",
            ":secret",
            "id:",
            "a/b:secret",
            "ключ:secret",
            "a b:secret",
            "id:se\ncret",
        ] {
            let args = ServeArgs {
                access_keys: vec![bad.into()],
                ..ServeArgs::default()
            };
            assert!(Config::from_args(args).is_err(), "{bad:?}");
        }
        let long = format!("{}:s", "a".repeat(129));
        assert!(parse_access_key(&long).is_err());
        for good in [
            "LTAI5t.example-id_1:s3cr:et/+=",
            "AKIDEXAMPLE:wJalrXUtnFEMI/K7MDENG",
        ] {
            assert!(parse_access_key(good).is_ok(), "{good}");
        }
    }
}
