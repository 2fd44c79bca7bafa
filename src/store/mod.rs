//! Persistence: a small synchronous trait and its implementations.
//!
//! * [`MemoryStore`]: tests and `--ephemeral`.
//! * [`SqliteStore`]: the embedded default, one SQLite file (WAL) in the data directory.
//!
//! The trait is shaped for a shared SQL server too (several qkms replicas on one
//! PostgreSQL database): every update is a compare-and-swap on a revision number, so no
//! process-local lock is needed for correctness, and listing is by a stable order.
//! Reads have no side effects; expiry and deletion windows belong to the service.

mod embedded;
mod memory;
pub mod scoped;
#[cfg(test)]
mod suite;

use std::fmt;

pub use embedded::{DB_FILE, SqliteStore};
pub use memory::MemoryStore;
pub use scoped::ScopedStore;

use crate::model::{Alias, KeyRecord, SecretRecord};

/// Store failures.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The object exists already (create) or changed since it was read (update).
    #[error("conflict")]
    Conflict,
    /// The object does not exist.
    #[error("not found")]
    NotFound,
    /// The backend failed.
    #[error("storage backend: {0}")]
    Backend(String),
    /// One stored record cannot be decoded; only that key is affected.
    #[error("the stored record of key {key_id} is unreadable: {reason}")]
    Corrupt {
        /// The key.
        key_id: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// One page of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// Items in the whole listing.
    pub total: usize,
}

/// Keys, aliases, secrets and a little metadata.
pub trait KeyStore: Send + Sync + fmt::Debug {
    /// A key by ID, with its current revision.
    ///
    /// # Errors
    /// Backend failures.
    fn get_key(&self, key_id: &str) -> Result<Option<KeyRecord>, StoreError>;

    /// Inserts a new key (revision 1).
    ///
    /// # Errors
    /// [`StoreError::Conflict`] if the ID exists.
    fn create_key(&self, key: &KeyRecord) -> Result<(), StoreError>;

    /// Inserts many new keys at once (one transaction where the backend has them); used by
    /// the benchmark's bulk path.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] if an ID exists (nothing is inserted then, where the
    /// backend is transactional).
    fn create_keys(&self, keys: &[KeyRecord]) -> Result<(), StoreError> {
        keys.iter().try_for_each(|k| self.create_key(k))
    }

    /// Replaces a key if its stored revision is still `key.revision`; returns the new revision.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] if the key changed meanwhile, [`StoreError::NotFound`] if it
    /// is gone.
    fn update_key(&self, key: &KeyRecord) -> Result<u64, StoreError>;

    /// Deletes a key and the aliases pointing at it; returns whether it existed.
    ///
    /// # Errors
    /// Backend failures.
    fn delete_key(&self, key_id: &str) -> Result<bool, StoreError>;

    /// Key IDs of one scope (`scope` is a [`scoped::prefix`], or `""` for the home
    /// scope; see [`scoped::in_scope`]) in creation order (then ID), `offset`/`limit`
    /// paged. A [`ScopedStore`] lists its own scope whatever `scope` says.
    ///
    /// # Errors
    /// Backend failures.
    fn list_keys(
        &self,
        scope: &str,
        offset: usize,
        limit: usize,
    ) -> Result<Page<String>, StoreError>;

    /// IDs of keys whose [`KeyRecord::due_at`] is at or before `now`.
    ///
    /// # Errors
    /// Backend failures.
    fn keys_due(&self, now: i64) -> Result<Vec<String>, StoreError>;

    /// An alias by full name.
    ///
    /// # Errors
    /// Backend failures.
    fn get_alias(&self, name: &str) -> Result<Option<Alias>, StoreError>;

    /// Creates an alias.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] if the name exists.
    fn create_alias(&self, alias: &Alias) -> Result<(), StoreError>;

    /// Points an existing alias at another key.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] if the alias does not exist.
    fn update_alias(&self, name: &str, key_id: &str) -> Result<(), StoreError>;

    /// Deletes an alias; returns whether it existed.
    ///
    /// # Errors
    /// Backend failures.
    fn delete_alias(&self, name: &str) -> Result<bool, StoreError>;

    /// Aliases of one scope (as in [`KeyStore::list_keys`]) by name, optionally only
    /// those of one key, paged.
    ///
    /// # Errors
    /// Backend failures.
    fn list_aliases(
        &self,
        scope: &str,
        key_id: Option<&str>,
        offset: usize,
        limit: usize,
    ) -> Result<Page<Alias>, StoreError>;

    /// A secret by name, with its current revision.
    ///
    /// # Errors
    /// Backend failures; [`StoreError::Corrupt`] for an undecodable record.
    fn get_secret(&self, name: &str) -> Result<Option<SecretRecord>, StoreError>;

    /// Inserts a new secret (revision 1).
    ///
    /// # Errors
    /// [`StoreError::Conflict`] if the name exists.
    fn create_secret(&self, secret: &SecretRecord) -> Result<(), StoreError>;

    /// Replaces a secret if its stored revision is still `secret.revision`; returns the new
    /// revision.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] if it changed meanwhile, [`StoreError::NotFound`] if gone.
    fn update_secret(&self, secret: &SecretRecord) -> Result<u64, StoreError>;

    /// Deletes a secret; returns whether it existed.
    ///
    /// # Errors
    /// Backend failures.
    fn delete_secret(&self, name: &str) -> Result<bool, StoreError>;

    /// Every secret of one scope (as in [`KeyStore::list_keys`]), in creation order (then
    /// name).
    ///
    /// # Errors
    /// Backend failures.
    fn list_secrets(&self, scope: &str) -> Result<Vec<SecretRecord>, StoreError>;

    /// Names of secrets whose [`SecretRecord::due_at`] is at or before `now`.
    ///
    /// # Errors
    /// Backend failures.
    fn secrets_due(&self, now: i64) -> Result<Vec<String>, StoreError>;

    /// Deletes every key, alias and secret (metadata stays), for test suites that want a clean
    /// server between cases.
    ///
    /// # Errors
    /// Backend failures.
    fn clear(&self) -> Result<(), StoreError>;

    /// Called after a write that erased material (an update that dropped it, a deletion,
    /// a reset): afterwards no earlier version of any record may remain anywhere the
    /// backend keeps data (journals and free pages included). A no-op where nothing
    /// outlives a write.
    ///
    /// # Errors
    /// Backend failures.
    fn scrub(&self) -> Result<(), StoreError> {
        Ok(())
    }

    /// A metadata value.
    ///
    /// # Errors
    /// Backend failures.
    fn get_meta(&self, name: &str) -> Result<Option<String>, StoreError>;

    /// Sets a metadata value.
    ///
    /// # Errors
    /// Backend failures.
    fn put_meta(&self, name: &str, value: &str) -> Result<(), StoreError>;
}
