//! The key-management core. One [`Kms`] value holds the domain; protocols call its methods
//! with neutral types ([`KeyRef`], [`crate::model`]) and map its [`Error`] to their codes.
//! It knows no protocol: no ARN grammar, no request IDs, no wire names.
//!
//! Methods are synchronous (storage and RSA are blocking); handlers run them on actix's
//! blocking pool, or inline when a crypto call needs nothing but the key cache.
//!
//! Time-driven changes (material expiry, the end of a deletion window) are computed when a
//! key is read, so every read sees the effective state, and persisted only by writes and by
//! [`Kms::sweep`]: reads have no side effects.
//!
//! Files: `keys.rs` (lifecycle), `aliases.rs`, `tags.rs`, `crypto.rs` (Encrypt and
//! friends), `export.rs` (data keys to a caller's public key), `random.rs` (passwords),
//! `import.rs` (BYOK), `seed.rs` (fixtures), `check.rs` (`qkms check`),
//! `cache.rs` (the decoded-key cache), `rules.rs` (where the two APIs' state rules differ),
//! `rotation.rs` (versions, rotation, deletion protection), `policy.rs` (key policies),
//! `grants.rs` (grants and their tokens), `usage.rs` (last use, noted in memory and flushed
//! by the sweeper), `secrets.rs` (secrets, envelope-encrypted under keys of this service).

mod access;
#[cfg(test)]
mod access_tests;
mod aliases;
mod asymmetric;
mod cache;
pub mod check;
mod crypto;
pub mod error;
mod export;
mod grants;
pub mod iam;
mod import;
mod keys;
pub mod policy;
#[cfg(test)]
mod race_tests;
mod random;
mod rotation;
mod rules;
mod scope;
mod secrets;
pub mod seed;
mod tags;
#[cfg(test)]
mod tests;
mod usage;

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;

pub use access::{Access, Denial, Principal};
pub use asymmetric::{
    Checked, DataKeyPair, Encapsulated, MAX_MAC_MESSAGE, MAX_MESSAGE, MacOut, PublicKeyOut,
    SharedSecretOut, SignInput, Signed,
};
pub use crypto::{
    DataKey, Decrypted, Encrypted, MAX_DATA_KEY, MAX_PLAINTEXT, ReEncryptSide, ReEncryptSource,
    ReEncrypted,
};
pub use error::{Error, Result, Unusable};
pub use export::{ExportTarget, ExportWrapping, Exported, GeneratedExport};
pub use grants::{GrantInput, GrantRef, IssuedGrant};
pub use import::{ImportOptions, ImportParameters, ImportType, MaterialSelector, TOKEN_LIFETIME};
pub use keys::{CreateKeyInput, MAX_DESCRIPTION};
pub use random::{MAX_PASSWORD, MIN_PASSWORD, PUNCTUATION, PasswordRules};
pub use rotation::{DEFAULT_ROTATION_INTERVAL, OnDemandLimit};
pub use rules::{Rules, StateAfterCancel};
pub use scope::{Scope, valid_scope_id};
pub use secrets::{
    DEFAULT_SECRET_KEY_ALIASES, NewSecret, RotationSettings, SecretRead, SecretRules, SecretValue,
    VersionSelector,
};
pub use tags::Untag;
pub use usage::LastUsage;

use crate::clock::Clock;
use crate::crypto::SecretBytes;
use crate::crypto::pool::WrappingKeyPool;
use crate::crypto::random::Entropy;
use crate::crypto::root::{RootKey, hmac_sha256};
use crate::crypto::wrap::WrappingKey;
use crate::model::{KeyRecord, KeyRef, KeySpec, KeyState, KeyUse, KeyVersion};
use crate::store::{KeyStore, ScopedStore, StoreError};
use scope::home_scope;

/// Metadata name under which the store remembers which root key sealed it.
pub const ROOT_CHECK_META: &str = "root_key_check";
/// Keys looked at for sealed material when the store has no root-key check value.
const ROOT_SAMPLE: usize = 256;
/// Attempts of a compare-and-swap update before giving up.
const CAS_ATTEMPTS: usize = 32;
/// Parsed wrapping keys kept in memory (by token), so repeated imports skip PKCS #8 parsing.
const WRAP_CACHE_MAX: usize = 256;

/// A key as the crypto operations need it: the record (effective state) and its opened
/// material.
#[derive(Debug)]
pub(crate) struct CachedKey {
    pub(crate) record: KeyRecord,
    /// Material by version ID (versions without material are absent).
    pub(crate) materials: HashMap<String, SecretBytes>,
    /// A SIGN/VERIFY key's parsed key pairs by version, parsed on first use.
    signers: HashMap<String, std::sync::OnceLock<Arc<crate::crypto::signer::SigningPair>>>,
}

impl CachedKey {
    /// A cache entry for `record` with its opened `materials`.
    pub(crate) fn new(record: KeyRecord, materials: HashMap<String, SecretBytes>) -> Self {
        let signers = if record.usage == crate::model::KeyUsage::SignVerify {
            materials
                .keys()
                .map(|v| (v.clone(), std::sync::OnceLock::new()))
                .collect()
        } else {
            HashMap::new()
        };
        Self {
            record,
            materials,
            signers,
        }
    }

    /// The parsed signing key pair of `version`, parsed once and kept with the entry.
    ///
    /// # Errors
    /// [`Error::Unusable`] without material; [`Error::Internal`] when it does not parse.
    pub(crate) fn signer(&self, version: &str) -> Result<Arc<crate::crypto::signer::SigningPair>> {
        let material = self
            .materials
            .get(version)
            .ok_or(Error::Unusable(Unusable::NoMaterial))?;
        let parse = || {
            crate::crypto::signer::SigningPair::parse(self.record.spec, material.expose())
                .map(Arc::new)
                .map_err(Error::internal)
        };
        let Some(slot) = self.signers.get(version) else {
            return parse();
        };
        if let Some(pair) = slot.get() {
            return Ok(pair.clone());
        }
        let pair = parse()?;
        Ok(slot.get_or_init(|| pair).clone())
    }
}

/// Settings of a [`Kms`].
#[derive(Debug, Clone)]
pub struct KmsSettings {
    /// The region this KMS serves.
    pub region: String,
    /// The account that owns its keys (their `creator`).
    pub account_id: String,
    /// Wrapping keys kept ready for GetParametersForImport (0 = generate on demand).
    pub wrapping_pool: usize,
    /// Generate wrapping keys from the entropy source (`--deterministic`), not AWS-LC's.
    pub deterministic: bool,
    /// Other names of `region` (the AWS dialect's default region, so that both dialects
    /// share one default region and its keys).
    pub default_region_aliases: Vec<String>,
}

/// What every view of the service shares: the store, the clock, the keys and caches.
pub struct Core {
    /// The whole store, every scope (the sweeper's and `qkms check`'s view).
    base: Arc<dyn KeyStore>,
    /// The scope whose names the store keeps unprefixed (see `store::scoped`).
    home: Scope,
    clock: Arc<dyn Clock>,
    entropy: Arc<dyn Entropy>,
    root: RootKey,
    token_key: SecretBytes,
    fingerprint_key: SecretBytes,
    pool: WrappingKeyPool,
    wrap_cache: Mutex<HashMap<Vec<u8>, WrappingKey>>,
    /// Decoded keys for the crypto calls and DescribeKey; every write through this `Kms`
    /// invalidates the key it wrote, and fills are conditional (see `cache.rs`), so the
    /// cache never serves a state older than an acknowledged write. (Several processes
    /// writing one database would need a shared invalidation; see the store docs.)
    key_cache: cache::KeyCache,
    settings: KmsSettings,
    /// Authenticates grant tokens.
    grant_key: SecretBytes,
    /// Uses noted since the last flush, by key ID (see `usage.rs`).
    uses: Mutex<HashMap<String, KeyUse>>,
    /// When this store started tracking key use.
    tracking_start: i64,
    /// One turn at making the default key for secrets.
    secret_key_lock: Mutex<()>,
}

/// The key-management service, as one account sees one region: a cheap view over the
/// shared [`Core`] (see `scope.rs`). [`Kms::new`] makes the home scope's view with no
/// caller (nothing is checked); the server makes one view per request.
#[derive(Clone)]
pub struct Kms {
    core: Arc<Core>,
    /// The store as this scope sees it.
    store: Arc<ScopedStore>,
    /// The account and region of this view (the region as the request named it).
    scope: Arc<Scope>,
    /// The caller whose permissions are checked; `None` = the service itself.
    access: Option<Arc<Access>>,
    /// Where the first key or secret the request touched is noted (for the audit log).
    trail: Option<Arc<std::sync::OnceLock<String>>>,
}

impl std::ops::Deref for Kms {
    type Target = Core;

    fn deref(&self) -> &Core {
        &self.core
    }
}

impl fmt::Debug for Kms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Kms")
            .field("store", &self.store)
            .field("settings", &self.settings)
            .field("access", &self.access)
            .finish_non_exhaustive()
    }
}

impl Kms {
    /// Builds the service over `store`, checking that `root` is the key that sealed it.
    ///
    /// # Errors
    /// [`Error::Internal`] when the store was sealed under another root key (also when its
    /// check value is gone: sealed material is opened then), or fails.
    pub fn new(
        store: Arc<dyn KeyStore>,
        clock: Arc<dyn Clock>,
        entropy: Arc<dyn Entropy>,
        root: RootKey,
        settings: KmsSettings,
    ) -> Result<Self> {
        let mut core = Self::unchecked(store, clock, entropy, root, settings);
        core.home = home_scope(core.base.as_ref(), &core.settings)?;
        let pool = core.settings.wrapping_pool;
        let kms = Self::over(core);
        kms.check_root_key()?;
        let tracking_start = kms.tracking_start_of_store()?;
        let mut core = Arc::try_unwrap(kms.core)
            .map_err(|_| Error::internal("the service was shared while it was being built"))?;
        core.tracking_start = tracking_start;
        core.pool = WrappingKeyPool::for_this_machine(pool);
        Ok(Self::over(core))
    }

    /// The home scope's view of `core`, with no caller.
    fn over(core: Core) -> Self {
        let store = Arc::new(ScopedStore::new(core.base.clone(), String::new()));
        let scope = Arc::new(Scope {
            account: core.settings.account_id.clone(),
            region: core.settings.region.clone(),
        });
        Self {
            core: Arc::new(core),
            store,
            scope,
            access: None,
            trail: None,
        }
    }

    /// The service without the root-key check and without the wrapping-key pool (for
    /// `qkms check`, which reports a wrong root key instead of refusing it).
    fn unchecked(
        store: Arc<dyn KeyStore>,
        clock: Arc<dyn Clock>,
        entropy: Arc<dyn Entropy>,
        root: RootKey,
        settings: KmsSettings,
    ) -> Core {
        Core {
            home: Scope {
                account: settings.account_id.clone(),
                region: settings.region.clone(),
            },
            // Both token versions are sealed under this one key: its label stays "v1" so
            // that tokens issued before an upgrade still open (the AADs tell them apart).
            token_key: root.derive(b"qkms import token v1"),
            fingerprint_key: root.derive(b"qkms material fingerprint v1"),
            grant_key: root.derive(grants::TOKEN_KEY_LABEL),
            uses: Mutex::new(HashMap::new()),
            tracking_start: 0,
            secret_key_lock: Mutex::new(()),
            pool: WrappingKeyPool::for_this_machine(0),
            wrap_cache: Mutex::new(HashMap::new()),
            key_cache: cache::KeyCache::default(),
            base: store,
            clock,
            entropy,
            root,
            settings,
        }
    }

    /// Refuses a store sealed under another root key. The store keeps the key's check
    /// value; when that row is gone (an older store, or a damaged one), sealed material is
    /// opened instead, so a new root key is never accepted over an old store.
    fn check_root_key(&self) -> Result<()> {
        let wrong = || {
            Error::internal(
                "the store was sealed under a different root key: restore the root key it was made with",
            )
        };
        let check = self.root.check_value();
        match self.store.get_meta(ROOT_CHECK_META)? {
            Some(stored) if stored == check => return Ok(()),
            Some(_) => return Err(wrong()),
            None => {}
        }
        // Sample the first keys with material: one that opens proves the key right.
        for id in self.store.list_keys("", 0, ROOT_SAMPLE)?.items {
            let Ok(Some(key)) = self.store.get_key(&id) else {
                continue;
            };
            if let Some(v) = key.versions.iter().find(|v| v.sealed_material.is_some()) {
                if self.open_material(&key.key_id, v).is_err() {
                    return Err(wrong());
                }
                break;
            }
        }
        self.store.put_meta(ROOT_CHECK_META, &check)?;
        Ok(())
    }

    /// The service's settings.
    #[must_use]
    pub fn settings(&self) -> &KmsSettings {
        &self.settings
    }

    /// The current time of the injected clock.
    #[must_use]
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// Stops background work (the RSA pool thread) and writes the noted key uses.
    pub fn shutdown(&self) {
        self.pool.shutdown();
        self.flush_usage();
    }

    /// Random bytes from the service's entropy source.
    fn random(&self, buf: &mut [u8]) -> Result<()> {
        self.entropy.fill(buf).map_err(Error::internal)
    }

    /// A fresh lowercase UUID (v4 layout) from the entropy source.
    fn new_uuid(&self) -> Result<String> {
        crate::crypto::random::new_uuid(self.entropy.as_ref()).map_err(Error::internal)
    }

    /// The service's entropy source, which the server shares for request IDs (so that a
    /// deterministic source makes whole responses reproducible).
    #[must_use]
    pub fn entropy(&self) -> Arc<dyn Entropy> {
        self.entropy.clone()
    }

    /// The key ID a reference names (without loading the key).
    fn resolve(&self, key: &KeyRef) -> Result<String> {
        match key {
            KeyRef::Id(id) => Ok(id.clone()),
            KeyRef::Alias(name) => self
                .store
                .get_alias(name)?
                .map(|a| a.key_id)
                .ok_or(Error::AliasNotFound),
        }
    }

    /// A key by reference, in its effective state.
    fn load(&self, key: &KeyRef) -> Result<KeyRecord> {
        self.load_id(&self.resolve(key)?)
    }

    /// A key by ID, in its effective state (see [`effective`]); no write.
    fn load_id(&self, id: &str) -> Result<KeyRecord> {
        let key = self.read_id(id)?;
        self.allow_key(&key)?;
        Ok(key)
    }

    /// As [`Kms::load_id`] without the caller's check (listings, which are checked once).
    fn read_id(&self, id: &str) -> Result<KeyRecord> {
        let key = self.store.get_key(id)?.ok_or(Error::KeyNotFound)?;
        effective(key, self.clock.now()).ok_or(Error::KeyNotFound)
    }

    /// Forgets a cached key; called after every store write to it.
    fn forget(&self, key_id: &str) {
        self.key_cache.invalidate(&self.cache_id(key_id));
    }

    /// Forgets every cached key; called after a write that may touch them all.
    fn forget_all(&self) {
        self.key_cache.invalidate_all();
    }

    /// True when a crypto operation on `key` would be served from memory alone, so the
    /// caller may run it on the async executor instead of handing it to the blocking pool
    /// (only a key ID can tell without a store read). A key evicted in between costs one
    /// store read on the executor, which is rare and short.
    #[must_use]
    pub fn is_hot(&self, key: &KeyRef) -> bool {
        match key {
            KeyRef::Id(id) => self.is_hot_id(id),
            KeyRef::Alias(_) => false,
        }
    }

    /// As [`Kms::is_hot`] for the key a ciphertext blob names.
    #[must_use]
    pub fn is_hot_blob(&self, blob: &[u8]) -> bool {
        crate::crypto::blob::CiphertextBlob::decode(blob)
            .is_ok_and(|(b, _)| self.is_hot_id(&b.key_id))
    }

    fn is_hot_id(&self, id: &str) -> bool {
        let now = self.clock.now();
        // RSA and ML-DSA private operations take milliseconds: those keys always run on
        // the blocking pool, whatever the action declares.
        self.key_cache.get(&self.cache_id(id)).is_some_and(|k| {
            k.record.due_at().is_none_or(|t| t > now)
                && !matches!(
                    k.record.spec,
                    KeySpec::Rsa2048
                        | KeySpec::Rsa3072
                        | KeySpec::Rsa4096
                        | KeySpec::MlDsa44
                        | KeySpec::MlDsa65
                        | KeySpec::MlDsa87
                )
        })
    }

    /// A key by ID for the crypto operations: from the cache unless something is due on
    /// it, else loaded (effective state), opened and cached.
    pub(crate) fn cached(&self, id: &str) -> Result<Arc<CachedKey>> {
        let now = self.clock.now();
        let cache_id = self.cache_id(id);
        if let Some(hit) = self.key_cache.get(&cache_id)
            && hit.record.due_at().is_none_or(|t| t > now)
        {
            self.allow_key(&hit.record)?;
            return Ok(hit);
        }
        // The ticket comes before the store read: a write that lands after it keeps this
        // (possibly older) record out of the cache.
        let ticket = self.key_cache.ticket();
        let record = self.load_id(id)?;
        let mut materials = HashMap::new();
        for v in &record.versions {
            if let Some(m) = self.open_material(&record.key_id, v)? {
                materials.insert(v.id.clone(), m);
            }
        }
        let entry = Arc::new(CachedKey::new(record, materials));
        self.key_cache.fill(&cache_id, entry.clone(), ticket);
        Ok(entry)
    }

    /// Read-modify-write of one key with compare-and-swap, retried on conflict. `change`
    /// sees the key in its effective state and may refuse with an error; nothing is written
    /// then. A write that leaves less sealed material than the store held (the change's own,
    /// or an expiry it persists) scrubs the store before returning.
    fn update<T>(
        &self,
        key: &KeyRef,
        mut change: impl FnMut(&mut KeyRecord, i64) -> Result<T>,
    ) -> Result<(KeyRecord, T)> {
        let id = self.resolve(key)?;
        for _ in 0..CAS_ATTEMPTS {
            let stored = self.store.get_key(&id)?.ok_or(Error::KeyNotFound)?;
            let now = self.clock.now();
            let mut record = effective(stored.clone(), now).ok_or(Error::KeyNotFound)?;
            self.allow_key(&record)?;
            let out = change(&mut record, now)?;
            let written = self.store.update_key(&record);
            // After the write, not before: a fill that read the old record is refused from
            // here on (see `cache.rs`).
            self.forget(&id);
            match written {
                Ok(revision) => {
                    record.revision = revision;
                    if sealed_count(&record) < sealed_count(&stored) {
                        self.store.scrub()?;
                    }
                    return Ok((record, out));
                }
                Err(StoreError::Conflict) => {}
                Err(StoreError::NotFound) => return Err(Error::KeyNotFound),
                Err(e) => return Err(e.into()),
            }
        }
        Err(Error::internal("too many concurrent updates of one key"))
    }

    /// Persists what time has made due (material expiry, the end of a deletion window) for
    /// every key that needs it, erasing for good; returns how many keys changed. Run every
    /// second, so material is erased even when nobody asks.
    ///
    /// # Errors
    /// Store failures of the listing; a key that cannot be settled is logged and skipped.
    pub fn sweep(&self) -> Result<usize> {
        // Key uses noted since the last sweep are written first (one write per used key
        // per second at most, instead of one per crypto call).
        self.flush_usage();
        let due = self.base.keys_due(self.clock.now())?;
        let mut changed = self.sweep_secrets()?;
        for stored in due {
            let (kms, id) = self.owner_of(&stored);
            match kms.settle(id) {
                Ok(true) => changed += 1,
                Ok(false) => {}
                Err(e) => tracing::error!(key_id = %id, error = %e, "sweep could not settle a key"),
            }
        }
        Ok(changed)
    }

    /// Persists the effective state of one key; returns whether anything changed.
    fn settle(&self, id: &str) -> Result<bool> {
        for _ in 0..CAS_ATTEMPTS {
            let Some(stored) = self.store.get_key(id)? else {
                return Ok(false);
            };
            let now = self.clock.now();
            let (written, erased) = match effective(stored.clone(), now) {
                None => {
                    self.store.delete_key(id)?;
                    tracing::info!(key_id = %id, "key deleted at the end of its deletion window");
                    (Ok(0), true)
                }
                Some(mut record) => {
                    self.rotate_if_due(&mut record, now)?;
                    if record == stored {
                        return Ok(false);
                    }
                    let erased = sealed_count(&record) < sealed_count(&stored);
                    (self.store.update_key(&record), erased)
                }
            };
            self.forget(id);
            match written {
                Ok(_) => {
                    if erased {
                        self.store.scrub()?;
                        tracing::info!(key_id = %id, "due changes persisted and erased material scrubbed");
                    }
                    return Ok(true);
                }
                Err(StoreError::Conflict) => {}
                Err(StoreError::NotFound) => return Ok(false),
                Err(e) => return Err(e.into()),
            }
        }
        Err(Error::internal("too many concurrent updates of one key"))
    }

    /// Associated data that binds sealed material to its key and version.
    fn material_aad(key_id: &str, version_id: &str) -> Vec<u8> {
        let mut aad = b"qkms material v1\0".to_vec();
        aad.extend_from_slice(key_id.as_bytes());
        aad.push(0);
        aad.extend_from_slice(version_id.as_bytes());
        aad
    }

    /// Seals material for the store.
    fn seal_material(
        &self,
        key_id: &str,
        version_id: &str,
        material: &SecretBytes,
    ) -> Result<String> {
        let sealed = self
            .root
            .seal(
                self.entropy.as_ref(),
                &Self::material_aad(key_id, version_id),
                material.expose(),
            )
            .map_err(Error::internal)?;
        Ok(B64.encode(sealed))
    }

    /// Opens a version's material; `None` when it has none.
    fn open_material(&self, key_id: &str, version: &KeyVersion) -> Result<Option<SecretBytes>> {
        let Some(sealed) = &version.sealed_material else {
            return Ok(None);
        };
        let bytes = B64
            .decode(sealed)
            .map_err(|e| Error::internal(format!("stored material of {key_id}: {e}")))?;
        self.root
            .open(&Self::material_aad(key_id, &version.id), &bytes)
            .map(Some)
            .map_err(|e| Error::internal(format!("stored material of {key_id}: {e}")))
    }

    /// The fingerprint that binds a key to its first imported material.
    fn fingerprint(&self, key_id: &str, material: &SecretBytes) -> String {
        let mut msg = Vec::with_capacity(key_id.len() + 1 + material.len());
        msg.extend_from_slice(key_id.as_bytes());
        msg.push(0);
        msg.extend_from_slice(material.expose());
        let out = hex::encode(hmac_sha256(&self.fingerprint_key, &msg));
        zeroize::Zeroize::zeroize(&mut msg);
        out
    }
}

fn sealed_count(key: &KeyRecord) -> usize {
    key.versions
        .iter()
        .filter(|v| v.sealed_material.is_some())
        .count()
}

/// A key as it is at `now`: `None` once its deletion window has ended; without material
/// (and PendingImport, unless PendingDeletion) from the second its material expires.
fn effective(mut key: KeyRecord, now: i64) -> Option<KeyRecord> {
    if key.state == KeyState::PendingDeletion && key.delete_date.is_some_and(|t| t <= now) {
        return None;
    }
    if key.material_expire.is_some_and(|expire| now >= expire) {
        for v in &mut key.versions {
            v.sealed_material = None;
        }
        key.material_expire = None;
        if matches!(key.state, KeyState::Enabled | KeyState::Disabled) {
            key.state = KeyState::PendingImport;
        }
    }
    Some(key)
}

/// A service for unit tests: `store`, `clock`, OS entropy, a fresh root key, no pool.
#[cfg(test)]
pub(crate) fn test_kms(store: Arc<dyn KeyStore>, clock: Arc<dyn Clock>) -> Kms {
    #[allow(clippy::expect_used)] // test code
    Kms::new(
        store,
        clock,
        Arc::new(crate::crypto::random::OsEntropy),
        RootKey::generate(&crate::crypto::random::OsEntropy).expect("a root key"),
        KmsSettings {
            region: "cn-hangzhou".into(),
            account_id: "1234567890123456".into(),
            wrapping_pool: 0,
            deterministic: false,
            default_region_aliases: Vec::new(),
        },
    )
    .expect("a service over a fresh store")
}
