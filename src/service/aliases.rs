//! Aliases: friendly names that point at keys.

use super::{Error, Kms, Result, Rules, Unusable};
use crate::model::{Alias, KeyRef, KeyState};
use crate::store::KeyStore as _;
use crate::store::{Page, StoreError};

impl Kms {
    /// CreateAlias.
    ///
    /// # Errors
    /// [`Error::AliasAlreadyExists`], [`Error::StateChangeRefused`] for a PendingDeletion
    /// key, [`Error::TooManyAliases`] past `rules`' quota, [`Error::InvalidParameter`] for a
    /// bad name.
    pub fn create_alias(&self, name: &str, key: &KeyRef, rules: &Rules) -> Result<Alias> {
        validate_alias_name(name)?;
        let key = self.load(key)?;
        if key.state == KeyState::PendingDeletion {
            return Err(Error::StateChangeRefused { state: key.state });
        }
        if let Some(max) = rules.max_aliases_per_key
            && self.alias_names(&key.key_id)?.len() >= max
        {
            return Err(Error::TooManyAliases { max });
        }
        let alias = Alias {
            name: name.to_owned(),
            key_id: key.key_id,
            created: self.now(),
        };
        match self.store.create_alias(&alias) {
            Ok(()) => Ok(alias),
            Err(StoreError::Conflict) => Err(Error::AliasAlreadyExists),
            Err(e) => Err(e.into()),
        }
    }

    /// UpdateAlias: points an alias at another key.
    ///
    /// # Errors
    /// [`Error::AliasNotFound`], [`Error::Unusable`] for a PendingDeletion target.
    pub fn update_alias(&self, name: &str, key: &KeyRef) -> Result<()> {
        validate_alias_name(name)?;
        let key = self.load(key)?;
        if key.state == KeyState::PendingDeletion {
            return Err(Error::Unusable(Unusable::PendingDeletion));
        }
        match self.store.update_alias(name, &key.key_id) {
            Ok(()) => Ok(()),
            Err(StoreError::NotFound) => Err(Error::AliasNotFound),
            Err(e) => Err(e.into()),
        }
    }

    /// DeleteAlias.
    ///
    /// # Errors
    /// [`Error::AliasNotFound`].
    pub fn delete_alias(&self, name: &str) -> Result<()> {
        if self.store.delete_alias(name)? {
            Ok(())
        } else {
            Err(Error::AliasNotFound)
        }
    }

    /// ListAliases / ListAliasesByKeyId: up to `limit` aliases from position `offset`.
    ///
    /// # Errors
    /// [`Error::KeyNotFound`] for an unknown key filter.
    pub fn list_aliases(
        &self,
        key_filter: Option<&KeyRef>,
        offset: usize,
        limit: usize,
    ) -> Result<Page<Alias>> {
        let key_id = match key_filter {
            Some(r) => Some(self.load(r)?.key_id),
            None => {
                self.allow_account()?;
                None
            }
        };
        Ok(self
            .store
            .list_aliases("", key_id.as_deref(), offset, limit)?)
    }

    /// Names of the aliases of a key.
    ///
    /// # Errors
    /// Store failures.
    pub fn alias_names(&self, key_id: &str) -> Result<Vec<String>> {
        Ok(self
            .store
            .list_aliases("", Some(key_id), 0, usize::MAX)?
            .items
            .into_iter()
            .map(|a| a.name)
            .collect())
    }
}

/// `alias/` + 1–255 characters of `[A-Za-z0-9:/_-]`; reserved prefixes are each
/// protocol's business.
fn validate_alias_name(name: &str) -> Result<()> {
    let Some(rest) = name.strip_prefix("alias/") else {
        return Err(Error::invalid("AliasName", "must start with alias/"));
    };
    let ok = !rest.is_empty()
        && rest.len() <= 255
        && rest
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '/' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(Error::invalid("AliasName", "not a valid alias name"))
    }
}
