//! In-memory store for tests and `--ephemeral`.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard};

use super::scoped::in_scope;
use super::{KeyStore, Page, StoreError};
use crate::model::{Alias, KeyRecord, SecretRecord};

/// Everything in memory, behind one mutex (operations are tiny; contention is not the
/// bottleneck next to HTTP and crypto).
#[derive(Debug, Default)]
pub struct MemoryStore {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    keys: HashMap<String, KeyRecord>,
    /// (created, key_id) → () gives the listing order.
    order: BTreeMap<(i64, String), ()>,
    aliases: BTreeMap<String, Alias>,
    meta: HashMap<String, String>,
    secrets: HashMap<String, SecretRecord>,
}

impl MemoryStore {
    /// An empty store.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> Result<MutexGuard<'_, Inner>, StoreError> {
        self.inner
            .lock()
            .map_err(|_| StoreError::Backend("memory store lock poisoned".into()))
    }
}

impl KeyStore for MemoryStore {
    fn get_key(&self, key_id: &str) -> Result<Option<KeyRecord>, StoreError> {
        Ok(self.lock()?.keys.get(key_id).cloned())
    }

    fn create_key(&self, key: &KeyRecord) -> Result<(), StoreError> {
        let mut inner = self.lock()?;
        if inner.keys.contains_key(&key.key_id) {
            return Err(StoreError::Conflict);
        }
        let mut stored = key.clone();
        stored.revision = 1;
        inner.order.insert((key.created, key.key_id.clone()), ());
        inner.keys.insert(key.key_id.clone(), stored);
        Ok(())
    }

    fn update_key(&self, key: &KeyRecord) -> Result<u64, StoreError> {
        let mut inner = self.lock()?;
        let current = inner
            .keys
            .get_mut(&key.key_id)
            .ok_or(StoreError::NotFound)?;
        if current.revision != key.revision {
            return Err(StoreError::Conflict);
        }
        let revision = key.revision + 1;
        *current = key.clone();
        current.revision = revision;
        Ok(revision)
    }

    fn delete_key(&self, key_id: &str) -> Result<bool, StoreError> {
        let mut inner = self.lock()?;
        let Some(old) = inner.keys.remove(key_id) else {
            return Ok(false);
        };
        inner.order.remove(&(old.created, old.key_id));
        inner.aliases.retain(|_, a| a.key_id != key_id);
        Ok(true)
    }

    fn list_keys(
        &self,
        scope: &str,
        offset: usize,
        limit: usize,
    ) -> Result<Page<String>, StoreError> {
        let inner = self.lock()?;
        let ids = || inner.order.keys().filter(|(_, id)| in_scope(id, scope));
        Ok(Page {
            items: ids()
                .skip(offset)
                .take(limit)
                .map(|(_, id)| id.clone())
                .collect(),
            total: ids().count(),
        })
    }

    fn keys_due(&self, now: i64) -> Result<Vec<String>, StoreError> {
        Ok(self
            .lock()?
            .keys
            .values()
            .filter(|k| k.due_at().is_some_and(|t| t <= now))
            .map(|k| k.key_id.clone())
            .collect())
    }

    fn get_alias(&self, name: &str) -> Result<Option<Alias>, StoreError> {
        Ok(self.lock()?.aliases.get(name).cloned())
    }

    fn create_alias(&self, alias: &Alias) -> Result<(), StoreError> {
        let mut inner = self.lock()?;
        if inner.aliases.contains_key(&alias.name) {
            return Err(StoreError::Conflict);
        }
        inner.aliases.insert(alias.name.clone(), alias.clone());
        Ok(())
    }

    fn update_alias(&self, name: &str, key_id: &str) -> Result<(), StoreError> {
        let mut inner = self.lock()?;
        let alias = inner.aliases.get_mut(name).ok_or(StoreError::NotFound)?;
        key_id.clone_into(&mut alias.key_id);
        Ok(())
    }

    fn delete_alias(&self, name: &str) -> Result<bool, StoreError> {
        Ok(self.lock()?.aliases.remove(name).is_some())
    }

    fn list_aliases(
        &self,
        scope: &str,
        key_id: Option<&str>,
        offset: usize,
        limit: usize,
    ) -> Result<Page<Alias>, StoreError> {
        let inner = self.lock()?;
        let matching: Vec<&Alias> = inner
            .aliases
            .values()
            .filter(|a| in_scope(&a.name, scope) && key_id.is_none_or(|k| a.key_id == k))
            .collect();
        Ok(Page {
            total: matching.len(),
            items: matching
                .into_iter()
                .skip(offset)
                .take(limit)
                .cloned()
                .collect(),
        })
    }

    fn clear(&self) -> Result<(), StoreError> {
        let mut inner = self.lock()?;
        inner.keys.clear();
        inner.order.clear();
        inner.aliases.clear();
        inner.secrets.clear();
        Ok(())
    }

    fn get_secret(&self, name: &str) -> Result<Option<SecretRecord>, StoreError> {
        Ok(self.lock()?.secrets.get(name).cloned())
    }

    fn create_secret(&self, secret: &SecretRecord) -> Result<(), StoreError> {
        let mut inner = self.lock()?;
        if inner.secrets.contains_key(&secret.name) {
            return Err(StoreError::Conflict);
        }
        let mut stored = secret.clone();
        stored.revision = 1;
        inner.secrets.insert(secret.name.clone(), stored);
        Ok(())
    }

    fn update_secret(&self, secret: &SecretRecord) -> Result<u64, StoreError> {
        let mut inner = self.lock()?;
        let current = inner
            .secrets
            .get_mut(&secret.name)
            .ok_or(StoreError::NotFound)?;
        if current.revision != secret.revision {
            return Err(StoreError::Conflict);
        }
        let revision = secret.revision + 1;
        *current = secret.clone();
        current.revision = revision;
        Ok(revision)
    }

    fn delete_secret(&self, name: &str) -> Result<bool, StoreError> {
        Ok(self.lock()?.secrets.remove(name).is_some())
    }

    fn list_secrets(&self, scope: &str) -> Result<Vec<SecretRecord>, StoreError> {
        let mut all: Vec<SecretRecord> = self
            .lock()?
            .secrets
            .values()
            .filter(|s| in_scope(&s.name, scope))
            .cloned()
            .collect();
        all.sort_by(|a, b| (a.created, &a.name).cmp(&(b.created, &b.name)));
        Ok(all)
    }

    fn secrets_due(&self, now: i64) -> Result<Vec<String>, StoreError> {
        Ok(self
            .lock()?
            .secrets
            .values()
            .filter(|s| s.due_at().is_some_and(|t| t <= now))
            .map(|s| s.name.clone())
            .collect())
    }

    fn get_meta(&self, name: &str) -> Result<Option<String>, StoreError> {
        Ok(self.lock()?.meta.get(name).cloned())
    }

    fn put_meta(&self, name: &str, value: &str) -> Result<(), StoreError> {
        self.lock()?.meta.insert(name.to_owned(), value.to_owned());
        Ok(())
    }
}
