//! The key-management core. One [`Kms`] value holds the domain; protocols call its methods
//! with domain types and map its [`Error`] to their own codes.
//!
//! Methods are synchronous (storage and RSA are blocking); handlers run them on actix's
//! blocking pool. Expiry of imported material and the end of deletion windows are applied
//! here, against the injected clock, whenever a key is read, and by [`Kms::sweep`].

mod cache;
pub mod check;
pub mod error;
mod import;
mod keys;
pub mod model;
mod ops;
#[cfg(test)]
mod race_tests;
pub mod seed;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;

pub use error::{Error, Result};
pub use import::ImportParameters;
pub use keys::{CreateKeyInput, KeyView};
pub use ops::{DataKey, Decrypted, Encrypted};

use self::model::{KeyRecord, KeyState, KeyVersion};
use crate::clock::Clock;
use crate::crypto::SecretBytes;
use crate::crypto::pool::WrappingKeyPool;
use crate::crypto::random::Entropy;
use crate::crypto::root::{RootKey, hmac_sha256};
use crate::crypto::wrap::WrappingKey;
use crate::store::{KeyStore, StoreError};

/// Metadata name under which the store remembers which root key sealed it.
pub const ROOT_CHECK_META: &str = "root_key_check";
/// Keys looked at for sealed material when the store has no root-key check value.
const ROOT_SAMPLE: usize = 256;
/// Attempts of a compare-and-swap update before giving up.
const CAS_ATTEMPTS: usize = 32;
/// Parsed wrapping keys kept in memory (by token), so repeated imports skip PKCS #8 parsing.
const WRAP_CACHE_MAX: usize = 256;

/// A key as the crypto operations need it: the record and its opened material.
#[derive(Debug)]
pub(crate) struct CachedKey {
    pub(crate) record: KeyRecord,
    /// Material by version ID (versions without material are absent).
    pub(crate) materials: HashMap<String, SecretBytes>,
}

/// Settings of a [`Kms`].
#[derive(Debug, Clone)]
pub struct KmsSettings {
    /// Region in ARNs.
    pub region: String,
    /// Account UID in ARNs and as `Creator`.
    pub account_id: String,
    /// Wrapping keys kept ready for GetParametersForImport (0 = generate on demand).
    pub wrapping_pool: usize,
    /// Generate wrapping keys from the entropy source (`--deterministic`), not AWS-LC's.
    pub deterministic: bool,
}

/// The key-management service.
pub struct Kms {
    store: Arc<dyn KeyStore>,
    clock: Arc<dyn Clock>,
    entropy: Arc<dyn Entropy>,
    root: RootKey,
    token_key: SecretBytes,
    fingerprint_key: SecretBytes,
    pool: WrappingKeyPool,
    wrap_cache: Mutex<HashMap<Vec<u8>, WrappingKey>>,
    /// Decoded keys for Encrypt/Decrypt/GenerateDataKey/DescribeKey; every write through
    /// this `Kms` invalidates the key it wrote, and fills are conditional (see `cache.rs`),
    /// so the cache never serves a state older than an acknowledged write. (Several
    /// processes writing one database would need a shared invalidation; see the store docs.)
    key_cache: cache::KeyCache,
    settings: KmsSettings,
}

impl fmt::Debug for Kms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Kms")
            .field("store", &self.store)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

/// A reference to a key as callers give it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum KeyRef<'a> {
    Id(&'a str),
    Alias(String),
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
        let mut kms = Self::unchecked(store, clock, entropy, root, settings);
        kms.check_root_key()?;
        kms.pool = WrappingKeyPool::for_this_machine(kms.settings.wrapping_pool);
        Ok(kms)
    }

    /// The service without the root-key check and without the wrapping-key pool (for
    /// `qkms check`, which reports a wrong root key instead of refusing it).
    fn unchecked(
        store: Arc<dyn KeyStore>,
        clock: Arc<dyn Clock>,
        entropy: Arc<dyn Entropy>,
        root: RootKey,
        settings: KmsSettings,
    ) -> Self {
        Self {
            token_key: root.derive(b"qkms import token v1"),
            fingerprint_key: root.derive(b"qkms material fingerprint v1"),
            pool: WrappingKeyPool::for_this_machine(0),
            wrap_cache: Mutex::new(HashMap::new()),
            key_cache: cache::KeyCache::default(),
            store,
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
            Error::Internal(
                "the store was sealed under a different root key: restore the root key it was made with".into(),
            )
        };
        let check = self.root.check_value();
        match self.store.get_meta(ROOT_CHECK_META)? {
            Some(stored) if stored == check => return Ok(()),
            Some(_) => return Err(wrong()),
            None => {}
        }
        // Sample the first keys with material: one that opens proves the key right.
        for id in self.store.list_keys(0, ROOT_SAMPLE)?.items {
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

    /// Stops background work (the RSA pool thread).
    pub fn shutdown(&self) {
        self.pool.shutdown();
    }

    /// The key ARN: `acs:kms:<region>:<account>:key/<id>`.
    #[must_use]
    pub fn key_arn(&self, key_id: &str) -> String {
        format!(
            "acs:kms:{}:{}:key/{key_id}",
            self.settings.region, self.settings.account_id
        )
    }

    /// The alias ARN: `acs:kms:<region>:<account>:alias/<name>`.
    #[must_use]
    pub fn alias_arn(&self, alias_name: &str) -> String {
        format!(
            "acs:kms:{}:{}:{alias_name}",
            self.settings.region, self.settings.account_id
        )
    }

    /// Random bytes from the service's entropy source.
    fn random(&self, buf: &mut [u8]) -> Result<()> {
        self.entropy
            .fill(buf)
            .map_err(|e| Error::Internal(e.to_string()))
    }

    /// A fresh lowercase UUID (v4 layout) from the entropy source.
    fn new_uuid(&self) -> Result<String> {
        let mut bytes = [0u8; 16];
        self.random(&mut bytes)?;
        Ok(uuid::Builder::from_random_bytes(bytes)
            .into_uuid()
            .hyphenated()
            .to_string())
    }

    /// A fresh request ID (uppercase UUID), from the service's entropy source so that a
    /// deterministic source makes whole responses reproducible.
    #[must_use]
    pub fn new_request_id(&self) -> String {
        self.new_uuid()
            .map(|u| u.to_ascii_uppercase())
            .unwrap_or_else(|_| "00000000-0000-0000-0000-000000000000".into())
    }

    /// Parses an ID, key ARN, `alias/…` name or alias ARN.
    fn parse_ref<'a>(&self, reference: &'a str) -> Result<KeyRef<'a>> {
        if let Some(rest) = reference.strip_prefix("acs:kms:") {
            // acs:kms:<region>:<account>:key/<id>  or  acs:kms:<region>:<account>:alias/<name>
            let mut parts = rest.splitn(3, ':');
            let (Some(region), Some(account), Some(resource)) =
                (parts.next(), parts.next(), parts.next())
            else {
                return Err(Error::KeyNotFound);
            };
            if region != self.settings.region || account != self.settings.account_id {
                return Err(Error::KeyNotFound);
            }
            if let Some(id) = resource.strip_prefix("key/") {
                return if id.is_empty() {
                    Err(Error::KeyNotFound)
                } else {
                    Ok(KeyRef::Id(id))
                };
            }
            if resource.starts_with("alias/") {
                return Ok(KeyRef::Alias(resource.to_owned()));
            }
            return Err(Error::KeyNotFound);
        }
        if reference.starts_with("alias/") {
            return Ok(KeyRef::Alias(reference.to_owned()));
        }
        Ok(KeyRef::Id(reference))
    }

    /// Resolves any key reference to a key ID (without loading the key).
    fn resolve_id(&self, reference: &str) -> Result<String> {
        match self.parse_ref(reference)? {
            KeyRef::Id(id) => Ok(id.to_owned()),
            KeyRef::Alias(name) => self
                .store
                .get_alias(&name)?
                .map(|a| a.key_id)
                .ok_or(Error::AliasNotFound),
        }
    }

    /// Loads a key by reference, applying expiry and deletion windows first.
    fn load(&self, reference: &str) -> Result<KeyRecord> {
        let id = self.resolve_id(reference)?;
        self.load_id(&id)
    }

    fn load_id(&self, id: &str) -> Result<KeyRecord> {
        for _ in 0..CAS_ATTEMPTS {
            let key = self.store.get_key(id)?.ok_or(Error::KeyNotFound)?;
            match self.settle(key)? {
                Settled::Unchanged(k) => return Ok(*k),
                Settled::Deleted => return Err(Error::KeyNotFound),
                Settled::Changed => {}
            }
        }
        Err(Error::Internal("key kept changing while being read".into()))
    }

    /// Forgets a cached key; called after every store write to it.
    fn forget(&self, key_id: &str) {
        self.key_cache.invalidate(key_id);
    }

    /// Forgets every cached key; called after a write that may touch them all.
    fn forget_all(&self) {
        self.key_cache.invalidate_all();
    }

    /// True when a crypto operation on `reference` (an ID or key ARN, not an alias) would
    /// be served from memory alone, so the caller may run it on the async executor
    /// instead of handing it to the blocking pool. A key evicted in between costs one
    /// store read on the executor, which is rare and short.
    #[must_use]
    pub fn is_hot(&self, reference: &str) -> bool {
        match self.parse_ref(reference) {
            Ok(KeyRef::Id(id)) => self.is_hot_id(id),
            _ => false,
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
        self.key_cache
            .get(id)
            .is_some_and(|k| k.record.due_at().is_none_or(|t| t > now))
    }

    /// A key by ID for the crypto operations: from the cache unless something is due on
    /// it, else loaded (settled), opened and cached.
    pub(crate) fn cached(&self, id: &str) -> Result<Arc<CachedKey>> {
        let now = self.clock.now();
        if let Some(hit) = self.key_cache.get(id)
            && hit.record.due_at().is_none_or(|t| t > now)
        {
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
        let entry = Arc::new(CachedKey { record, materials });
        self.key_cache.fill(id, entry.clone(), ticket);
        Ok(entry)
    }

    /// Applies what time has made due (material expiry, end of a deletion window) to a
    /// freshly read key, persisting the change.
    fn settle(&self, mut key: KeyRecord) -> Result<Settled> {
        let now = self.clock.now();
        if key.delete_date.is_some_and(|t| t <= now) && key.state == KeyState::PendingDeletion {
            self.store.delete_key(&key.key_id)?;
            self.forget(&key.key_id);
            self.store.scrub()?;
            tracing::info!(key_id = %key.key_id, "key deleted at the end of its deletion window");
            return Ok(Settled::Deleted);
        }
        if !expire_material(&mut key, now) {
            return Ok(Settled::Unchanged(Box::new(key)));
        }
        let written = self.store.update_key(&key);
        self.forget(&key.key_id);
        match written {
            Ok(_) => {
                self.store.scrub()?;
                tracing::info!(key_id = %key.key_id, "imported key material expired and was erased");
                Ok(Settled::Changed)
            }
            Err(StoreError::Conflict) => Ok(Settled::Changed),
            Err(StoreError::NotFound) => Ok(Settled::Deleted),
            Err(e) => Err(e.into()),
        }
    }

    /// Read-modify-write of one key with compare-and-swap, retried on conflict. `change`
    /// sees the settled key and may refuse with an error; nothing is written then.
    fn update<T>(
        &self,
        reference: &str,
        mut change: impl FnMut(&mut KeyRecord, i64) -> Result<T>,
    ) -> Result<(KeyRecord, T)> {
        let id = self.resolve_id(reference)?;
        for _ in 0..CAS_ATTEMPTS {
            let mut key = self.load_id(&id)?;
            let now = self.clock.now();
            let out = change(&mut key, now)?;
            let written = self.store.update_key(&key);
            // After the write, not before: a fill that read the old record is refused from
            // here on (see `cache.rs`).
            self.forget(&id);
            match written {
                Ok(revision) => {
                    key.revision = revision;
                    return Ok((key, out));
                }
                Err(StoreError::Conflict) => {}
                Err(StoreError::NotFound) => return Err(Error::KeyNotFound),
                Err(e) => return Err(e.into()),
            }
        }
        Err(Error::Internal(
            "too many concurrent updates of one key".into(),
        ))
    }

    /// Applies due expiries and deletions to every key that needs it; returns how many
    /// keys changed. Run periodically so material is erased even when nobody asks.
    ///
    /// # Errors
    /// Store failures.
    pub fn sweep(&self) -> Result<usize> {
        let due = self.store.keys_due(self.clock.now())?;
        let mut changed = 0;
        for id in due {
            match self.load_id(&id) {
                Ok(_) | Err(Error::KeyNotFound) => changed += 1,
                // One key that cannot be settled must not stop the others'.
                Err(e) => tracing::error!(key_id = %id, error = %e, "sweep could not settle a key"),
            }
        }
        Ok(changed)
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
            .map_err(|e| Error::Internal(e.to_string()))?;
        Ok(B64.encode(sealed))
    }

    /// Opens a version's material; `None` when it has none.
    fn open_material(&self, key_id: &str, version: &KeyVersion) -> Result<Option<SecretBytes>> {
        let Some(sealed) = &version.sealed_material else {
            return Ok(None);
        };
        let bytes = B64
            .decode(sealed)
            .map_err(|e| Error::Internal(format!("stored material: {e}")))?;
        self.root
            .open(&Self::material_aad(key_id, &version.id), &bytes)
            .map(Some)
            .map_err(|e| Error::Internal(format!("stored material of {key_id}: {e}")))
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
        },
    )
    .expect("a service over a fresh store")
}

enum Settled {
    Unchanged(Box<KeyRecord>),
    Changed,
    Deleted,
}

/// Erases expired material: from the expiry second on, the key holds no material and
/// shows PendingImport (a PendingDeletion key keeps that state). Returns whether it changed.
fn expire_material(key: &mut KeyRecord, now: i64) -> bool {
    let Some(expire) = key.material_expire else {
        return false;
    };
    if now < expire {
        return false;
    }
    for v in &mut key.versions {
        v.sealed_material = None;
    }
    key.material_expire = None;
    if matches!(key.state, KeyState::Enabled | KeyState::Disabled) {
        key.state = KeyState::PendingImport;
    }
    true
}
