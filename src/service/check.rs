//! `qkms check`: every record of a store read and every sealed material opened, so that a
//! damaged store is found before a request finds it.

use std::fmt;
use std::sync::Arc;

use super::{Kms, KmsSettings, ROOT_CHECK_META, Result};
use crate::clock::SystemClock;
use crate::crypto::random::OsEntropy;
use crate::crypto::root::RootKey;
use crate::store::{KeyStore, StoreError};

/// What a check found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CheckReport {
    /// Keys read.
    pub keys: usize,
    /// Aliases read.
    pub aliases: usize,
    /// Everything unreadable, one line each.
    pub problems: Vec<String>,
}

impl fmt::Display for CheckReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for p in &self.problems {
            writeln!(f, "unreadable: {p}")?;
        }
        write!(
            f,
            "{} keys, {} aliases, {} problems",
            self.keys,
            self.aliases,
            self.problems.len()
        )
    }
}

/// Reads every key and alias of `store` and opens every sealed material with `root`.
///
/// # Errors
/// Store failures that stop the listing itself.
pub fn check_store(store: Arc<dyn KeyStore>, root: RootKey) -> Result<CheckReport> {
    let kms = Kms::over(Kms::unchecked(
        store,
        Arc::new(SystemClock),
        Arc::new(OsEntropy),
        root,
        KmsSettings {
            region: String::new(),
            account_id: String::new(),
            wrapping_pool: 0,
            deterministic: false,
            default_region_aliases: Vec::new(),
        },
    ));
    let mut report = CheckReport::default();
    if let Some(stored) = kms.store.get_meta(ROOT_CHECK_META)?
        && stored != kms.root.check_value()
    {
        report
            .problems
            .push("the root key is not the one this store was sealed under".into());
    }
    for id in kms.store.list_keys("", 0, usize::MAX)?.items {
        report.keys += 1;
        let key = match kms.store.get_key(&id) {
            Ok(Some(k)) => k,
            Ok(None) => continue,
            Err(e @ StoreError::Corrupt { .. }) => {
                report.problems.push(e.to_string());
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        for v in &key.versions {
            if let Err(why) = kms.open_material(&id, v) {
                report
                    .problems
                    .push(format!("key {id}, version {}: {why}", v.id));
            }
        }
    }
    let aliases = kms.store.list_aliases("", None, 0, usize::MAX)?.items;
    report.aliases = aliases.len();
    for a in aliases {
        if kms.store.get_key(&a.key_id).is_ok_and(|k| k.is_none()) {
            report.problems.push(format!(
                "alias {} points at the missing key {}",
                a.name, a.key_id
            ));
        }
    }
    Ok(report)
}
