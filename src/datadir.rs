//! The data directory (`qkms.db` and `root.key`): what start-up may open, and what it
//! must refuse.
//!
//! The database is useless without the root key that sealed its material, and a root key
//! without its database usually means the database was lost or moved. Starting anyway
//! would look like success while every key is gone, so:
//!
//! | `qkms.db` | root key (`root.key` or `QKMS_ROOT_KEY`) | start-up |
//! |---|---|---|
//! | absent | absent | a new directory: a root key is generated and saved atomically |
//! | present | present | opened; the service then checks the key against the store |
//! | absent or empty | present | refused, unless `--init` says this is a new directory |
//! | present | absent | refused; with `--init` only if the store holds no key yet |
//!
//! Files are private: the directory 0700, `root.key` and the database files 0600.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::crypto::random::Entropy;
use crate::crypto::root::{ROOT_KEY_FILE, RootKey, RootKeyError};
use crate::files;
use crate::store::{DB_FILE, KeyStore as _, SqliteStore, StoreError};

/// An opened data directory.
#[derive(Debug)]
pub struct Opened {
    /// The store.
    pub store: SqliteStore,
    /// The root key.
    pub root: RootKey,
    /// True when this start created the directory's root key.
    pub created: bool,
}

/// Why a data directory was not opened. Each message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum DataDirError {
    /// A root key but no database.
    #[error(
        "{dir}: a root key ({source_name}) is here but {DB_FILE} is missing or empty, so the store was lost or moved. Restore {DB_FILE}, or start with --init to begin a new, empty store with this root key."
    )]
    LostDatabase {
        /// The directory.
        dir: ShownPath,
        /// Where the root key came from.
        source_name: &'static str,
    },
    /// A database but no root key.
    #[error(
        "{dir}: {DB_FILE} is here but its root key is not ({ROOT_KEY_FILE} is missing and QKMS_ROOT_KEY is unset), so none of its keys can be opened. Restore {ROOT_KEY_FILE} or set QKMS_ROOT_KEY."
    )]
    LostRootKey {
        /// The directory.
        dir: ShownPath,
    },
    /// `--init` over a database that holds keys.
    #[error(
        "{dir}: --init would put a new root key over a store that holds keys; restore {ROOT_KEY_FILE} instead."
    )]
    NotNew {
        /// The directory.
        dir: ShownPath,
    },
    /// Nothing to open (for `export` and `check`).
    #[error("{dir} holds no qkms database")]
    NoDatabase {
        /// The directory.
        dir: ShownPath,
    },
    /// The root key file is unreadable or malformed.
    #[error("{dir}/{ROOT_KEY_FILE}: {source}")]
    RootKey {
        /// The directory.
        dir: ShownPath,
        /// The error.
        source: RootKeyError,
    },
    /// The directory or the database could not be opened.
    #[error("{dir}: {reason}")]
    Io {
        /// The directory.
        dir: ShownPath,
        /// What failed.
        reason: String,
    },
}

/// A path for messages.
#[derive(Debug, Clone)]
pub struct ShownPath(PathBuf);

impl fmt::Display for ShownPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.display().fmt(f)
    }
}

/// How to open a directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `serve` and `bulk-create`: a new directory is initialised; `init` allows the
    /// one-sided cases of the table above.
    Serve {
        /// `--init`.
        init: bool,
    },
    /// `export` and `check`: the database must exist, and nothing is created.
    Existing,
}

/// True when the directory holds a database: a non-empty `qkms.db` or WAL file.
#[must_use]
pub fn has_database(dir: &Path) -> bool {
    [DB_FILE.to_owned(), format!("{DB_FILE}-wal")]
        .iter()
        .any(|name| std::fs::metadata(dir.join(name)).is_ok_and(|m| m.len() > 0))
}

/// Opens `dir` in `mode`, with the root key from `given` (`QKMS_ROOT_KEY`) or the file.
///
/// # Errors
/// [`DataDirError`], whose message says what to do.
pub fn open(
    dir: &Path,
    given: Option<RootKey>,
    mode: Mode,
    entropy: &dyn Entropy,
) -> Result<Opened, DataDirError> {
    let shown = || ShownPath(dir.to_owned());
    let io = |reason: String| DataDirError::Io {
        dir: shown(),
        reason,
    };
    let database = has_database(dir);
    let init = match mode {
        Mode::Existing if !database => return Err(DataDirError::NoDatabase { dir: shown() }),
        Mode::Existing => false,
        Mode::Serve { init } => {
            if files::private_dir(dir).map_err(|e| io(e.to_string()))? {
                tracing::warn!(dir = %dir.display(), "the data directory was readable by others; narrowed to 0700");
            }
            init
        }
    };
    let from_file = RootKey::read(dir).map_err(|source| DataDirError::RootKey {
        dir: shown(),
        source,
    })?;
    let source_name = if given.is_some() {
        "QKMS_ROOT_KEY"
    } else {
        ROOT_KEY_FILE
    };
    let (root, created) = match (given.or(from_file), database) {
        (Some(root), true) => (root, false),
        (Some(root), false) if init => (root, false),
        (Some(_), false) => {
            return Err(DataDirError::LostDatabase {
                dir: shown(),
                source_name,
            });
        }
        (None, true) if init => {
            let store = SqliteStore::open(dir).map_err(|e| io(e.to_string()))?;
            if !store_is_new(&store).map_err(|e| io(e.to_string()))? {
                return Err(DataDirError::NotNew { dir: shown() });
            }
            (new_root(dir, entropy, shown)?, true)
        }
        (None, true) => return Err(DataDirError::LostRootKey { dir: shown() }),
        (None, false) => (new_root(dir, entropy, shown)?, true),
    };
    let store = SqliteStore::open(dir).map_err(|e| io(e.to_string()))?;
    Ok(Opened {
        store,
        root,
        created,
    })
}

fn new_root(
    dir: &Path,
    entropy: &dyn Entropy,
    shown: impl Fn() -> ShownPath,
) -> Result<RootKey, DataDirError> {
    let err = |source| DataDirError::RootKey {
        dir: shown(),
        source,
    };
    let root = RootKey::generate(entropy).map_err(err)?;
    root.save(dir).map_err(err)?;
    Ok(root)
}

/// No key and no root-key check value: nothing was ever sealed in it.
fn store_is_new(store: &SqliteStore) -> Result<bool, StoreError> {
    Ok(store.list_keys("", 0, 1)?.total == 0
        && store.get_meta(crate::service::ROOT_CHECK_META)?.is_none())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::random::OsEntropy;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("qkms-datadir-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    fn serve(dir: &Path, init: bool) -> Result<Opened, DataDirError> {
        open(dir, None, Mode::Serve { init }, &OsEntropy)
    }

    fn put_key(dir: &Path) {
        let seed: crate::service::seed::SeedFile =
            toml::from_str("[[keys]]\nkey_id = \"k1\"\n").unwrap();
        let kms = crate::service::Kms::new(
            std::sync::Arc::new(SqliteStore::open(dir).unwrap()),
            std::sync::Arc::new(crate::clock::SystemClock),
            std::sync::Arc::new(OsEntropy),
            RootKey::generate(&OsEntropy).unwrap(),
            crate::service::KmsSettings {
                region: "r".into(),
                account_id: "a".into(),
                wrapping_pool: 0,
                deterministic: false,
                default_region_aliases: Vec::new(),
            },
        )
        .unwrap();
        kms.load_seed(&seed).unwrap();
    }

    #[test]
    fn one_sided_directories_are_refused_unless_init() {
        let dir = scratch("sides");
        let first = serve(&dir, false).unwrap();
        assert!(first.created);
        drop(first);
        assert!(!serve(&dir, false).unwrap().created);

        // The database lost (deleted, or truncated to 0 bytes): refused.
        for lose in [
            |d: &Path| std::fs::remove_file(d.join(DB_FILE)).unwrap(),
            |d: &Path| std::fs::write(d.join(DB_FILE), b"").unwrap(),
        ] {
            lose(&dir);
            for side in ["-wal", "-shm"] {
                let _ = std::fs::remove_file(dir.join(format!("{DB_FILE}{side}")));
            }
            let err = serve(&dir, false).unwrap_err();
            assert!(matches!(err, DataDirError::LostDatabase { .. }), "{err}");
            assert!(err.to_string().contains("--init"));
        }
        assert!(!serve(&dir, true).unwrap().created);

        // The root key lost: refused, and --init refuses too once the store holds keys.
        std::fs::remove_file(dir.join(ROOT_KEY_FILE)).unwrap();
        let err = serve(&dir, false).unwrap_err();
        assert!(matches!(err, DataDirError::LostRootKey { .. }), "{err}");
        put_key(&dir);
        assert!(matches!(
            serve(&dir, true).unwrap_err(),
            DataDirError::NotNew { .. }
        ));
        assert!(!dir.join(ROOT_KEY_FILE).exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_given_root_key_without_a_database_needs_init() {
        let dir = scratch("given");
        let key = || RootKey::from_hex(&"22".repeat(32)).unwrap();
        let err = open(&dir, Some(key()), Mode::Serve { init: false }, &OsEntropy).unwrap_err();
        assert!(matches!(
            err,
            DataDirError::LostDatabase {
                source_name: "QKMS_ROOT_KEY",
                ..
            }
        ));
        assert!(open(&dir, Some(key()), Mode::Serve { init: true }, &OsEntropy).is_ok());
        assert!(
            !dir.join(ROOT_KEY_FILE).exists(),
            "a given key is never written"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn existing_mode_creates_nothing() {
        let dir = scratch("existing");
        assert!(matches!(
            open(&dir, None, Mode::Existing, &OsEntropy).unwrap_err(),
            DataDirError::NoDatabase { .. }
        ));
        assert!(!dir.exists());
    }

    #[cfg(unix)]
    #[test]
    fn files_are_private() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = scratch("modes");
        drop(serve(&dir, false).unwrap());
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            assert_eq!(mode(&path), 0o600, "{}", path.display());
        }
        // An old directory with wide modes is narrowed at the next start.
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::set_permissions(dir.join(DB_FILE), std::fs::Permissions::from_mode(0o644))
            .unwrap();
        drop(serve(&dir, false).unwrap());
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&dir.join(DB_FILE)), 0o600);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
