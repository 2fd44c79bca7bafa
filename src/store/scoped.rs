//! One account's view of one region: keys, aliases and secrets of every scope share one
//! store, and a [`ScopedStore`] shows the service only those of its own scope.
//!
//! Names of the store's home scope (the default account and region it was first opened
//! with) are stored as they are, so data directories made before accounts and regions
//! existed are the home scope's without any rewrite. Names of any other scope are stored
//! as `~<account>~<region>~<name>`: no key ID, alias name or secret name can begin with
//! `~` (their grammars exclude it), so the two never collide, and a request can never name
//! another scope's row directly. A record's own `key_id` / `name` (and an alias's target)
//! carries the prefix in the store and loses it here, so the service, the ciphertexts and
//! the sealed material's associated data only ever see bare IDs.

use std::borrow::Cow;
use std::sync::Arc;

use super::{KeyStore, Page, StoreError};
use crate::model::{Alias, KeyRecord, SecretRecord};

/// The first character of every name outside the home scope.
pub const SCOPE_MARK: char = '~';

/// The stored-name prefix of a scope: `""` for the home scope, else `~<account>~<region>~`.
#[must_use]
pub fn prefix(account: &str, region: &str) -> String {
    format!("{SCOPE_MARK}{account}{SCOPE_MARK}{region}{SCOPE_MARK}")
}

/// Splits a stored name into its scope prefix (`""` for the home scope) and the bare name.
#[must_use]
pub fn split(stored: &str) -> (&str, &str) {
    let Some(rest) = stored.strip_prefix(SCOPE_MARK) else {
        return ("", stored);
    };
    // `~account~region~name`: the prefix ends at the third mark.
    let mut marks = rest.match_indices(SCOPE_MARK).map(|(i, _)| i);
    match (marks.next(), marks.next()) {
        (Some(_), Some(end)) => stored.split_at(end + 2),
        _ => ("", stored),
    }
}

/// Whether a stored name belongs to the scope of `prefix` (`""` = the home scope).
#[must_use]
pub fn in_scope(stored: &str, prefix: &str) -> bool {
    if prefix.is_empty() {
        !stored.starts_with(SCOPE_MARK)
    } else {
        stored.starts_with(prefix)
    }
}

/// A store seen from one scope.
#[derive(Debug, Clone)]
pub struct ScopedStore {
    inner: Arc<dyn KeyStore>,
    prefix: String,
}

impl ScopedStore {
    /// The scope of `prefix` (from [`prefix`], or `""` for the home scope) over `inner`.
    #[must_use]
    pub fn new(inner: Arc<dyn KeyStore>, prefix: String) -> Self {
        Self { inner, prefix }
    }

    /// The scope's prefix (`""` for the home scope).
    #[must_use]
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The stored name of a bare name; `None` for a name no request may use (one that
    /// begins with the scope mark).
    fn stored<'a>(&self, name: &'a str) -> Option<Cow<'a, str>> {
        if name.starts_with(SCOPE_MARK) {
            None
        } else if self.prefix.is_empty() {
            Some(Cow::Borrowed(name))
        } else {
            Some(Cow::Owned(format!("{}{name}", self.prefix)))
        }
    }

    fn bare(&self, stored: &mut String) {
        if !self.prefix.is_empty() && stored.starts_with(&self.prefix) {
            stored.drain(..self.prefix.len());
        }
    }

    fn refused() -> StoreError {
        StoreError::Backend("a name may not begin with '~'".into())
    }

    fn key_in<'a>(&self, key: &'a KeyRecord) -> Result<Cow<'a, KeyRecord>, StoreError> {
        if key.key_id.starts_with(SCOPE_MARK) {
            return Err(Self::refused());
        }
        if self.prefix.is_empty() {
            return Ok(Cow::Borrowed(key));
        }
        let mut stored = key.clone();
        stored.key_id = format!("{}{}", self.prefix, key.key_id);
        Ok(Cow::Owned(stored))
    }

    fn key_out(&self, mut key: KeyRecord) -> KeyRecord {
        self.bare(&mut key.key_id);
        key
    }

    fn alias_out(&self, mut alias: Alias) -> Alias {
        self.bare(&mut alias.name);
        self.bare(&mut alias.key_id);
        alias
    }

    fn secret_out(&self, mut secret: SecretRecord) -> SecretRecord {
        self.bare(&mut secret.name);
        secret
    }
}

impl KeyStore for ScopedStore {
    fn get_key(&self, key_id: &str) -> Result<Option<KeyRecord>, StoreError> {
        let Some(id) = self.stored(key_id) else {
            return Ok(None);
        };
        Ok(self.inner.get_key(&id)?.map(|k| self.key_out(k)))
    }

    fn create_key(&self, key: &KeyRecord) -> Result<(), StoreError> {
        self.inner.create_key(&*self.key_in(key)?)
    }

    fn create_keys(&self, keys: &[KeyRecord]) -> Result<(), StoreError> {
        let stored = keys
            .iter()
            .map(|k| self.key_in(k).map(Cow::into_owned))
            .collect::<Result<Vec<_>, _>>()?;
        self.inner.create_keys(&stored)
    }

    fn update_key(&self, key: &KeyRecord) -> Result<u64, StoreError> {
        self.inner.update_key(&*self.key_in(key)?)
    }

    fn delete_key(&self, key_id: &str) -> Result<bool, StoreError> {
        match self.stored(key_id) {
            Some(id) => self.inner.delete_key(&id),
            None => Ok(false),
        }
    }

    fn list_keys(&self, _: &str, offset: usize, limit: usize) -> Result<Page<String>, StoreError> {
        let mut page = self.inner.list_keys(&self.prefix, offset, limit)?;
        page.items.iter_mut().for_each(|id| self.bare(id));
        Ok(page)
    }

    fn keys_due(&self, now: i64) -> Result<Vec<String>, StoreError> {
        let mut due = self.inner.keys_due(now)?;
        due.retain(|id| in_scope(id, &self.prefix));
        due.iter_mut().for_each(|id| self.bare(id));
        Ok(due)
    }

    fn get_alias(&self, name: &str) -> Result<Option<Alias>, StoreError> {
        let Some(name) = self.stored(name) else {
            return Ok(None);
        };
        Ok(self.inner.get_alias(&name)?.map(|a| self.alias_out(a)))
    }

    fn create_alias(&self, alias: &Alias) -> Result<(), StoreError> {
        let (Some(name), Some(key_id)) = (self.stored(&alias.name), self.stored(&alias.key_id))
        else {
            return Err(Self::refused());
        };
        self.inner.create_alias(&Alias {
            name: name.into_owned(),
            key_id: key_id.into_owned(),
            created: alias.created,
        })
    }

    fn update_alias(&self, name: &str, key_id: &str) -> Result<(), StoreError> {
        let (Some(name), Some(key_id)) = (self.stored(name), self.stored(key_id)) else {
            return Err(StoreError::NotFound);
        };
        self.inner.update_alias(&name, &key_id)
    }

    fn delete_alias(&self, name: &str) -> Result<bool, StoreError> {
        match self.stored(name) {
            Some(name) => self.inner.delete_alias(&name),
            None => Ok(false),
        }
    }

    fn list_aliases(
        &self,
        _: &str,
        key_id: Option<&str>,
        offset: usize,
        limit: usize,
    ) -> Result<Page<Alias>, StoreError> {
        let key_id = match key_id {
            Some(k) => match self.stored(k) {
                Some(k) => Some(k),
                None => {
                    return Ok(Page {
                        items: Vec::new(),
                        total: 0,
                    });
                }
            },
            None => None,
        };
        let page = self
            .inner
            .list_aliases(&self.prefix, key_id.as_deref(), offset, limit)?;
        Ok(Page {
            total: page.total,
            items: page.items.into_iter().map(|a| self.alias_out(a)).collect(),
        })
    }

    fn get_secret(&self, name: &str) -> Result<Option<SecretRecord>, StoreError> {
        let Some(name) = self.stored(name) else {
            return Ok(None);
        };
        Ok(self.inner.get_secret(&name)?.map(|s| self.secret_out(s)))
    }

    fn create_secret(&self, secret: &SecretRecord) -> Result<(), StoreError> {
        self.inner.create_secret(&self.secret_in(secret)?)
    }

    fn update_secret(&self, secret: &SecretRecord) -> Result<u64, StoreError> {
        self.inner.update_secret(&self.secret_in(secret)?)
    }

    fn delete_secret(&self, name: &str) -> Result<bool, StoreError> {
        match self.stored(name) {
            Some(name) => self.inner.delete_secret(&name),
            None => Ok(false),
        }
    }

    fn list_secrets(&self, _: &str) -> Result<Vec<SecretRecord>, StoreError> {
        Ok(self
            .inner
            .list_secrets(&self.prefix)?
            .into_iter()
            .map(|s| self.secret_out(s))
            .collect())
    }

    fn secrets_due(&self, now: i64) -> Result<Vec<String>, StoreError> {
        let mut due = self.inner.secrets_due(now)?;
        due.retain(|n| in_scope(n, &self.prefix));
        due.iter_mut().for_each(|n| self.bare(n));
        Ok(due)
    }

    fn clear(&self) -> Result<(), StoreError> {
        self.inner.clear()
    }

    fn scrub(&self) -> Result<(), StoreError> {
        self.inner.scrub()
    }

    fn get_meta(&self, name: &str) -> Result<Option<String>, StoreError> {
        self.inner.get_meta(name)
    }

    fn put_meta(&self, name: &str, value: &str) -> Result<(), StoreError> {
        self.inner.put_meta(name, value)
    }
}

impl ScopedStore {
    fn secret_in(&self, secret: &SecretRecord) -> Result<SecretRecord, StoreError> {
        let name = self.stored(&secret.name).ok_or_else(Self::refused)?;
        let mut stored = secret.clone();
        stored.name = name.into_owned();
        Ok(stored)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_split_back() {
        let p = prefix("1234", "eu-west-1");
        assert_eq!(p, "~1234~eu-west-1~");
        let stored = format!("{p}alias/a~b");
        assert_eq!(split(&stored), (p.as_str(), "alias/a~b"));
        assert_eq!(split("plain-id"), ("", "plain-id"));
        assert_eq!(split("~broken"), ("", "~broken"));
        assert!(in_scope("plain", ""));
        assert!(!in_scope(&stored, ""));
        assert!(in_scope(&stored, &p));
        assert!(!in_scope("plain", &p));
        assert!(!in_scope(&stored, &prefix("1234", "eu-west-2")));
    }
}
