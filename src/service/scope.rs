//! Accounts and regions: every key, alias, secret, grant and tag belongs to one account in
//! one region, and a [`Kms`] is one scope's view of the shared [`Core`]. Another scope's
//! objects are simply absent from a view (`store::scoped` keeps them apart in one store).
//!
//! The store remembers its home scope (the default account and region it was first opened
//! with, or for a data directory older than scopes, the configured defaults when it was
//! first opened since); the home scope's names are stored as they always were.

use std::borrow::Cow;
use std::sync::Arc;

use super::{Error, Kms, KmsSettings, Result};
use crate::store::KeyStore;
use crate::store::scoped::{self, ScopedStore};

/// Metadata name of the store's home scope (`<account>~<region>`).
const HOME_META: &str = "home_scope";

/// Where a request acts: an account and a region.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Scope {
    /// The account ID.
    pub account: String,
    /// The region ID.
    pub region: String,
}

/// The longest account or region ID accepted.
const MAX_SCOPE_ID: usize = 64;

/// Whether `s` can name an account or a region: 1 to 64 ASCII letters, digits, `-` and `_`
/// (every real account and region ID, and nothing that could break a stored prefix).
#[must_use]
pub fn valid_scope_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_SCOPE_ID
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
}

/// The home scope recorded in the store, recording the configured default first.
pub(super) fn home_scope(store: &dyn KeyStore, settings: &KmsSettings) -> Result<Scope> {
    if let Some(stored) = store.get_meta(HOME_META)?
        && let Some((account, region)) = stored.split_once('~')
    {
        return Ok(Scope {
            account: account.to_owned(),
            region: region.to_owned(),
        });
    }
    let home = Scope {
        account: settings.account_id.clone(),
        region: settings.region.clone(),
    };
    store.put_meta(HOME_META, &format!("{}~{}", home.account, home.region))?;
    Ok(home)
}

impl Kms {
    /// This view's account and region (the region as the request named it).
    #[must_use]
    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    /// The region a request names, with the default region's other names (the AWS
    /// dialect's default region) folded into it.
    #[must_use]
    pub fn canonical_region<'a>(&'a self, region: &'a str) -> &'a str {
        if self
            .settings
            .default_region_aliases
            .iter()
            .any(|a| a == region)
        {
            &self.settings.region
        } else {
            region
        }
    }

    /// This service as `scope` sees it (its region as the request named it: the
    /// default region's other names share its objects), for the caller in `access`
    /// (`None`: the service itself, which nothing restricts).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for an account or region ID that cannot be one.
    pub fn scoped(&self, scope: Scope, access: Option<Arc<super::Access>>) -> Result<Kms> {
        let region = self.canonical_region(&scope.region);
        // The home scope is stored unprefixed, so it needs no check (the configured IDs
        // may hold characters a prefix could not).
        let prefix = if scope.account == self.home.account && region == self.home.region {
            String::new()
        } else if valid_scope_id(&scope.account) && valid_scope_id(region) {
            scoped::prefix(&scope.account, region)
        } else {
            return Err(Error::invalid(
                "RegionId",
                format!(
                    "{}/{} is not an account and region",
                    scope.account, scope.region
                ),
            ));
        };
        Ok(self.view(prefix, Arc::new(scope), access))
    }

    fn view(&self, prefix: String, scope: Arc<Scope>, access: Option<Arc<super::Access>>) -> Kms {
        let store = if prefix == self.store.prefix() {
            self.store.clone()
        } else {
            Arc::new(ScopedStore::new(self.core.base.clone(), prefix))
        };
        Kms {
            core: self.core.clone(),
            store,
            scope,
            access,
            trail: None,
        }
    }

    /// This view, noting in `trail` the first key (`key/<id>`) or secret (`secret/<name>`)
    /// the request touches.
    #[must_use]
    pub fn with_trail(mut self, trail: Arc<std::sync::OnceLock<String>>) -> Kms {
        self.trail = Some(trail);
        self
    }

    /// The service itself in this view's scope: for work done on a caller's behalf that
    /// its own permission already covers (a secret's data key).
    #[must_use]
    pub(super) fn as_service(&self) -> Kms {
        Kms {
            core: self.core.clone(),
            store: self.store.clone(),
            scope: self.scope.clone(),
            access: None,
            trail: self.trail.clone(),
        }
    }

    /// The view of the scope a stored name (from the whole store: the sweeper's due
    /// lists, the noted key uses) belongs to, and the bare name.
    pub(super) fn owner_of<'a>(&self, stored: &'a str) -> (Kms, &'a str) {
        let (prefix, bare) = scoped::split(stored);
        let scope = match prefix
            .trim_matches(scoped::SCOPE_MARK)
            .split_once(scoped::SCOPE_MARK)
        {
            Some((account, region)) => Arc::new(Scope {
                account: account.to_owned(),
                region: region.to_owned(),
            }),
            None => Arc::new(self.home.clone()),
        };
        (self.view(prefix.to_owned(), scope, None), bare)
    }

    /// The name of a key in the caches and the use notes, which every scope shares.
    pub(super) fn cache_id<'a>(&self, id: &'a str) -> Cow<'a, str> {
        match self.store.prefix() {
            "" => Cow::Borrowed(id),
            p => Cow::Owned(format!("{p}{id}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::clock::{ControlledClock, Mode};
    use crate::store::MemoryStore;

    #[test]
    fn scopes_are_apart_and_the_home_scope_needs_no_check() {
        let kms = super::super::test_kms(
            Arc::new(MemoryStore::new()),
            Arc::new(ControlledClock::new(Mode::Fixed(0))),
        );
        let home = kms.scope().clone();
        assert!(kms.scoped(home.clone(), None).is_ok());
        let other = Scope {
            account: home.account.clone(),
            region: "eu-west-1".into(),
        };
        assert_eq!(
            kms.scoped(other, None).unwrap().store.prefix(),
            format!("~{}~eu-west-1~", home.account)
        );
        let bad = Scope {
            account: "a~b".into(),
            region: home.region,
        };
        assert!(matches!(
            kms.scoped(bad, None),
            Err(Error::InvalidParameter { .. })
        ));
    }
}
