//! Tags: TagResource, UntagResource (ListResourceTags reads them from DescribeKey).

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
