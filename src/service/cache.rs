//! The decoded-key cache of the crypto hot path, built so that it can never serve a key
//! state older than an acknowledged write.
//!
//! A reader that misses loads the key from the store and installs it; a writer writes the
//! store and then invalidates. Left at that, a reader that loaded the old record before a
//! write and installs it after the invalidation would serve the old state until the next
//! write. So every fill carries a [`Ticket`]: the cache's write sequence number, taken
//! *before* the store read. A writer bumps the sequence and records it against the key
//! *after* its store write, and a fill installs only when no write to that key was recorded
//! after its ticket. Such a refused fill still answers its own request (which ran
//! concurrently with the write, so either order is correct); it only leaves the cache empty.
//!
//! Memory stays bounded: past [`WRITES_MAX`] recorded writes the record is replaced by a
//! floor, which refuses every older ticket for every key (a few needless misses, never a
//! stale entry).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use super::CachedKey;

/// Keys kept decoded (their material in zeroizing buffers). Past the bound the cache
/// starts over; a miss costs one store read.
const ENTRIES_MAX: usize = 100_000;
/// Recorded writes kept per-key before they collapse into the floor.
const WRITES_MAX: usize = 4096;

/// The write sequence number a reader saw before it read the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ticket(u64);

/// Decoded keys by ID; see the module documentation for the fill protocol.
#[derive(Debug, Default)]
pub(crate) struct KeyCache {
    inner: RwLock<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    entries: HashMap<String, Arc<CachedKey>>,
    /// The sequence number of the last write to each recently written key.
    writes: HashMap<String, u64>,
    /// Sequence number of the last write (of any key).
    seq: u64,
    /// Every write not in `writes` happened at or before this sequence number.
    floor: u64,
}

impl KeyCache {
    /// The cached key, if any.
    pub(crate) fn get(&self, id: &str) -> Option<Arc<CachedKey>> {
        self.inner.read().ok()?.entries.get(id).cloned()
    }

    /// Taken before reading the store for a fill.
    pub(crate) fn ticket(&self) -> Ticket {
        Ticket(self.inner.read().map_or(u64::MAX, |i| i.seq))
    }

    /// Installs `entry` unless the key was written after `ticket`; returns whether it did.
    pub(crate) fn fill(&self, id: &str, entry: Arc<CachedKey>, ticket: Ticket) -> bool {
        let Ok(mut inner) = self.inner.write() else {
            return false;
        };
        let last_write = inner.writes.get(id).copied().unwrap_or(inner.floor);
        if last_write > ticket.0 {
            return false;
        }
        if inner.entries.len() >= ENTRIES_MAX {
            inner.entries.clear();
        }
        inner.entries.insert(id.to_owned(), entry);
        true
    }

    /// Called after every store write to the key (update, erasure, deletion).
    pub(crate) fn invalidate(&self, id: &str) {
        let Ok(mut inner) = self.inner.write() else {
            return;
        };
        inner.seq += 1;
        let seq = inner.seq;
        inner.entries.remove(id);
        if inner.writes.len() >= WRITES_MAX {
            inner.writes.clear();
            inner.floor = seq;
        } else {
            inner.writes.insert(id.to_owned(), seq);
        }
    }

    /// Called after a write that may have touched every key (the admin reset).
    pub(crate) fn invalidate_all(&self) {
        let Ok(mut inner) = self.inner.write() else {
            return;
        };
        inner.seq += 1;
        inner.floor = inner.seq;
        inner.writes.clear();
        inner.entries.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{KeyRecord, KeySpec, KeyState, KeyUsage, Origin, ProtectionLevel};

    fn entry(state: KeyState) -> Arc<CachedKey> {
        Arc::new(CachedKey::new(
            KeyRecord {
                key_id: "k".into(),
                revision: 1,
                spec: KeySpec::Aes256,
                usage: KeyUsage::EncryptDecrypt,
                origin: Origin::Kms,
                protection_level: ProtectionLevel::Software,
                description: String::new(),
                state,
                created: 0,
                creator: String::new(),
                delete_date: None,
                material_expire: None,
                material_fingerprint: None,
                primary_version: "v".into(),
                versions: Vec::new(),
                tags: Default::default(),
                rotation: None,
                deletion_protection: None,
                policy: None,
                grants: Vec::new(),
                pending_window_days: None,
                last_used: None,
            },
            HashMap::new(),
        ))
    }

    #[test]
    fn a_fill_that_read_before_a_write_is_refused() {
        let cache = KeyCache::default();
        let ticket = cache.ticket(); // the reader starts, then reads the old record...
        cache.invalidate("k"); // ...the writer writes and invalidates...
        assert!(!cache.fill("k", entry(KeyState::Enabled), ticket)); // ...the old one stays out
        assert!(cache.get("k").is_none());
        // A reader that starts after the write installs what it read.
        let later = cache.ticket();
        assert!(cache.fill("k", entry(KeyState::Disabled), later));
        assert_eq!(cache.get("k").unwrap().record.state, KeyState::Disabled);
        // Writes to other keys do not refuse this key's fills.
        let t = cache.ticket();
        cache.invalidate("other");
        assert!(cache.fill("k", entry(KeyState::Disabled), t));
    }

    #[test]
    fn the_floor_keeps_refusing_after_the_write_record_is_pruned() {
        let cache = KeyCache::default();
        let ticket = cache.ticket();
        cache.invalidate("k");
        for i in 0..=WRITES_MAX {
            cache.invalidate(&format!("other-{i}"));
        }
        assert!(!cache.fill("k", entry(KeyState::Enabled), ticket));
        let old = cache.ticket();
        cache.invalidate_all();
        assert!(!cache.fill("k", entry(KeyState::Enabled), old));
        assert!(cache.fill("k", entry(KeyState::Enabled), cache.ticket()));
    }
}
