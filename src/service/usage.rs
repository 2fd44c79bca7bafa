//! When each key was last used for cryptography (AWS GetKeyLastUsage). A crypto call must
//! not cost a store write, so uses are noted in memory and written to the key records in
//! batches: by the sweeper every second ([`Kms::sweep`]) and at shutdown. A crash loses at
//! most the last second of notes, which only makes a last use look older.
//!
//! Tracking starts when a store first runs a qkms that tracks use: that time is kept in the
//! store's metadata and reported as `TrackingStartDate`, so a key made before it may have
//! been used without a record, as on AWS.

use crate::store::KeyStore as _;
use std::collections::HashMap;

use super::{Error, Kms, Result};
use crate::model::{KeyRef, KeyUse, UseOperation};

/// Metadata name of the time use tracking started.
pub(super) const TRACKING_START_META: &str = "usage_tracking_start";

/// A key's last use and what GetKeyLastUsage reports with it.
#[derive(Debug, Clone)]
pub struct LastUsage {
    /// The key ID.
    pub key_id: String,
    /// When the key was made.
    pub key_created: i64,
    /// When tracking started (for this store).
    pub tracking_start: i64,
    /// The last successful use since then, if any.
    pub last_use: Option<KeyUse>,
}

impl Kms {
    /// The tracking start of the store, recorded now if it has none.
    pub(super) fn tracking_start_of_store(&self) -> Result<i64> {
        if let Some(t) = self.store.get_meta(TRACKING_START_META)? {
            return t
                .parse()
                .map_err(|_| Error::internal(format!("bad {TRACKING_START_META} {t:?}")));
        }
        let now = self.clock.now();
        self.store.put_meta(TRACKING_START_META, &now.to_string())?;
        Ok(now)
    }

    /// Notes a successful use of `key_id`, in memory only.
    pub(super) fn note_use(&self, key_id: &str, operation: UseOperation) {
        let at = self.clock.now();
        let used = KeyUse { at, operation };
        if let Ok(mut uses) = self.uses.lock() {
            // A key used again since the last flush costs no allocation.
            let key_id = self.cache_id(key_id);
            match uses.get_mut(key_id.as_ref()) {
                Some(noted) => *noted = used,
                None => drop(uses.insert(key_id.into_owned(), used)),
            }
        }
    }

    /// Records that the data key pair just generated under `key_id` was returned without
    /// its private key in plaintext (GenerateDataKeyPairWithoutPlaintext).
    pub fn note_data_key_pair_without_plaintext(&self, key_id: &str) {
        self.note_use(key_id, UseOperation::GenerateDataKeyPairWithoutPlaintext);
    }

    /// Records that the data key just generated under `key_id` was returned without its
    /// plaintext (GenerateDataKey notes itself; the protocols tell the two apart).
    pub fn note_data_key_without_plaintext(&self, key_id: &str) {
        self.note_use(key_id, UseOperation::GenerateDataKeyWithoutPlaintext);
    }

    /// A key's last use: the newest of what memory holds and what was flushed.
    ///
    /// # Errors
    /// Key lookup errors.
    pub fn key_last_usage(&self, key: &KeyRef) -> Result<LastUsage> {
        let record = self.describe_key(key)?;
        let pending = self
            .uses
            .lock()
            .ok()
            .and_then(|uses| uses.get(&record.key_id).copied());
        let last_use = match (pending, record.last_used) {
            (Some(a), Some(b)) => Some(if a.at >= b.at { a } else { b }),
            (a, b) => a.or(b),
        };
        Ok(LastUsage {
            key_id: record.key_id,
            key_created: record.created,
            tracking_start: self.tracking_start,
            last_use,
        })
    }

    /// Writes the noted uses into their keys' records; returns how many keys were written.
    /// A key deleted meanwhile is skipped; a key that cannot be written keeps its note for
    /// the next flush.
    pub fn flush_usage(&self) -> usize {
        let batch: HashMap<String, KeyUse> = match self.uses.lock() {
            Ok(mut uses) => std::mem::take(&mut *uses),
            Err(_) => return 0,
        };
        let mut written = 0;
        for (key_id, used) in batch {
            let (kms, bare) = self.owner_of(&key_id);
            let result = kms.update(&KeyRef::Id(bare.to_owned()), |key, _| {
                if key.last_used.is_none_or(|old| old.at <= used.at) {
                    key.last_used = Some(used);
                }
                Ok(())
            });
            match result {
                Ok(_) => written += 1,
                Err(Error::KeyNotFound) => {}
                Err(e) => {
                    tracing::warn!(key_id = %key_id, error = %e, "last use not flushed; retried later");
                    if let Ok(mut uses) = self.uses.lock() {
                        uses.entry(key_id).or_insert(used);
                    }
                }
            }
        }
        written
    }
}
