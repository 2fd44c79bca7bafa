//! Tags: TagResource, UntagResource and their plural forms TagResources, UntagResources
//! (ListResourceTags and ListTagResources read them from the keys).

use std::collections::BTreeMap;

use super::keys::refuse_if_frozen;
use super::{Error, Kms, Result, Rules};
use crate::model::{KeyRecord, KeyRef};

impl Kms {
    /// TagResource: adds or replaces tags, at most `rules.max_tags` per key.
    ///
    /// # Errors
    /// Key lookup errors, [`Error::TooManyTags`], [`Error::StateChangeRefused`] for a key
    /// pending deletion where `rules` freeze it.
    pub fn tag_key(
        &self,
        key: &KeyRef,
        tags: &BTreeMap<String, String>,
        rules: &Rules,
    ) -> Result<KeyRecord> {
        let (key, ()) = self.update(key, |key, _| {
            refuse_if_frozen(key, rules)?;
            for (k, v) in tags {
                key.tags.insert(k.clone(), v.clone());
            }
            if key.tags.len() > rules.max_tags {
                return Err(Error::TooManyTags {
                    max: rules.max_tags,
                });
            }
            Ok(())
        })?;
        Ok(key)
    }

    /// UntagResource: removes the named tags (absent names are ignored).
    ///
    /// # Errors
    /// Key lookup errors, [`Error::StateChangeRefused`] as for [`Kms::tag_key`].
    pub fn untag_key(&self, key: &KeyRef, names: &[String], rules: &Rules) -> Result<KeyRecord> {
        let (key, ()) = self.update(key, |key, _| {
            refuse_if_frozen(key, rules)?;
            for n in names {
                key.tags.remove(n);
            }
            Ok(())
        })?;
        Ok(key)
    }
}

/// Which tags UntagResources removes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Untag {
    /// These keys (absent ones are ignored).
    Named(Vec<String>),
    /// Every tag.
    All,
}

impl Kms {
    /// TagResources: the same tags on several keys. Every key is looked up and checked
    /// (state, tag quota) before any is written, so a request that names an unknown key or
    /// would overfill one changes nothing; each key is then written on its own (a key
    /// changed by someone else in between is checked again by its own write).
    ///
    /// # Errors
    /// As [`Kms::tag_key`], for the first key that fails.
    pub fn tag_keys(
        &self,
        keys: &[KeyRef],
        tags: &BTreeMap<String, String>,
        rules: &Rules,
    ) -> Result<Vec<KeyRecord>> {
        for key in keys {
            let record = self.load(key)?;
            refuse_if_frozen(&record, rules)?;
            let after = record
                .tags
                .keys()
                .chain(tags.keys())
                .collect::<std::collections::BTreeSet<_>>()
                .len();
            if after > rules.max_tags {
                return Err(Error::TooManyTags {
                    max: rules.max_tags,
                });
            }
        }
        keys.iter().map(|k| self.tag_key(k, tags, rules)).collect()
    }

    /// UntagResources: removes tags from several keys, all looked up first.
    ///
    /// # Errors
    /// As [`Kms::untag_key`], for the first key that fails.
    pub fn untag_keys(
        &self,
        keys: &[KeyRef],
        which: &Untag,
        rules: &Rules,
    ) -> Result<Vec<KeyRecord>> {
        for key in keys {
            refuse_if_frozen(&self.load(key)?, rules)?;
        }
        keys.iter()
            .map(|k| {
                let (key, ()) = self.update(k, |key, _| {
                    refuse_if_frozen(key, rules)?;
                    match which {
                        Untag::All => key.tags.clear(),
                        Untag::Named(names) => {
                            for n in names {
                                key.tags.remove(n);
                            }
                        }
                    }
                    Ok(())
                })?;
                Ok(key)
            })
            .collect()
    }
}
