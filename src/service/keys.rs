//! Key lifecycle: create, describe, list, enable, disable, deletion windows, aliases.

use std::collections::BTreeMap;

use super::model::{
    Alias, KeyRecord, KeySpec, KeyState, KeyUsage, KeyVersion, Origin, ProtectionLevel,
};
use super::{Error, Kms, Result};
use crate::crypto::SecretBytes;
use crate::store::{Page, StoreError};

/// Parameters of CreateKey, validated by the protocol layer.
#[derive(Debug, Clone)]
pub struct CreateKeyInput {
    /// Material kind.
    pub spec: KeySpec,
    /// Usage.
    pub usage: KeyUsage,
    /// Origin.
    pub origin: Origin,
    /// Protection level.
    pub protection_level: ProtectionLevel,
    /// Description.
    pub description: String,
    /// Whether automatic rotation was requested.
    pub enable_automatic_rotation: bool,
    /// Tags.
    pub tags: BTreeMap<String, String>,
}

/// A key as callers see it, with expiry already applied.
#[derive(Debug, Clone)]
pub struct KeyView {
    /// The key.
    pub key: KeyRecord,
    /// Its ARN.
    pub arn: String,
}

/// Longest description accepted.
pub const MAX_DESCRIPTION: usize = 8192;

impl Kms {
    fn view(&self, key: KeyRecord) -> KeyView {
        KeyView {
            arn: self.key_arn(&key.key_id),
            key,
        }
    }

    /// CreateKey. A KMS-origin key gets fresh material and starts Enabled; an EXTERNAL key
    /// starts PendingImport with no material.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for EXTERNAL with automatic rotation, or a description
    /// that is too long.
    pub fn create_key(&self, input: CreateKeyInput) -> Result<KeyView> {
        if input.origin == Origin::External && input.enable_automatic_rotation {
            return Err(Error::invalid(
                "EnableAutomaticRotation",
                "keys with Origin EXTERNAL do not support automatic rotation",
            ));
        }
        if input.description.chars().count() > MAX_DESCRIPTION {
            return Err(Error::invalid("Description", "at most 8192 characters"));
        }
        let now = self.now();
        let key_id = self.new_uuid()?;
        let version_id = self.new_uuid()?;
        let (state, sealed_material) = match input.origin {
            Origin::Kms => {
                let mut material = SecretBytes::new(vec![0u8; input.spec.material_len()]);
                self.random_secret(&mut material)?;
                (
                    KeyState::Enabled,
                    Some(self.seal_material(&key_id, &version_id, &material)?),
                )
            }
            Origin::External => (KeyState::PendingImport, None),
        };
        let key = KeyRecord {
            key_id: key_id.clone(),
            revision: 0,
            spec: input.spec,
            usage: input.usage,
            origin: input.origin,
            protection_level: input.protection_level,
            description: input.description,
            state,
            created: now,
            creator: self.settings.account_id.clone(),
            delete_date: None,
            material_expire: None,
            material_fingerprint: None,
            primary_version: version_id.clone(),
            versions: vec![KeyVersion {
                id: version_id,
                created: now,
                sealed_material,
            }],
            tags: input.tags,
        };
        match self.store.create_key(&key) {
            Ok(()) => {}
            Err(StoreError::Conflict) => return Err(Error::Internal("key ID collision".into())),
            Err(e) => return Err(e.into()),
        }
        tracing::info!(key_id = %key_id, origin = key.origin.as_str(), spec = key.spec.as_str(), "key created");
        self.describe_key(&key_id)
    }

    /// Creates `count` Aliyun_AES_256 keys of origin Aliyun_KMS in batches, bypassing the
    /// per-request path: the benchmark's bulk path for a store with a million keys.
    /// Returns the first key's ID.
    ///
    /// # Errors
    /// Store or entropy failures.
    pub fn bulk_create(&self, count: usize) -> Result<Option<String>> {
        const BATCH: usize = 10_000;
        let now = self.now();
        let mut first = None;
        let mut done = 0;
        while done < count {
            let n = BATCH.min(count - done);
            let mut batch = Vec::with_capacity(n);
            for _ in 0..n {
                let key_id = self.new_uuid()?;
                let version_id = self.new_uuid()?;
                let mut material = SecretBytes::new(vec![0u8; KeySpec::Aes256.material_len()]);
                self.random_secret(&mut material)?;
                let sealed = self.seal_material(&key_id, &version_id, &material)?;
                batch.push(KeyRecord {
                    key_id,
                    revision: 0,
                    spec: KeySpec::Aes256,
                    usage: KeyUsage::EncryptDecrypt,
                    origin: Origin::Kms,
                    protection_level: ProtectionLevel::Software,
                    description: String::new(),
                    state: KeyState::Enabled,
                    created: now,
                    creator: self.settings.account_id.clone(),
                    delete_date: None,
                    material_expire: None,
                    material_fingerprint: None,
                    primary_version: version_id.clone(),
                    versions: vec![KeyVersion {
                        id: version_id,
                        created: now,
                        sealed_material: Some(sealed),
                    }],
                    tags: BTreeMap::new(),
                });
            }
            self.store.create_keys(&batch)?;
            if first.is_none() {
                first = batch.first().map(|k| k.key_id.clone());
            }
            done += n;
        }
        Ok(first)
    }

    /// Fills a secret buffer from the entropy source.
    pub(super) fn random_secret(&self, secret: &mut SecretBytes) -> Result<()> {
        let mut buf = zeroize::Zeroizing::new(vec![0u8; secret.len()]);
        self.random(&mut buf)?;
        *secret = SecretBytes::from_slice(&buf);
        Ok(())
    }

    /// DescribeKey.
    ///
    /// # Errors
    /// [`Error::KeyNotFound`] / [`Error::AliasNotFound`].
    pub fn describe_key(&self, reference: &str) -> Result<KeyView> {
        let key = self.cached(&self.resolve_id(reference)?)?;
        Ok(self.view(key.record.clone()))
    }

    /// Deletes every key and alias (the admin reset).
    ///
    /// # Errors
    /// Store failures.
    pub fn reset(&self) -> Result<()> {
        self.store.clear()?;
        self.forget_all();
        self.store.scrub()?;
        tracing::warn!("store reset: every key and alias deleted");
        Ok(())
    }

    /// `n` random bytes (GenerateRandom).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] outside 1–1024.
    pub fn random_bytes(&self, n: usize) -> Result<SecretBytes> {
        if n == 0 || n > 1024 {
            return Err(Error::invalid("NumberOfBytes", "must be 1 to 1024"));
        }
        let mut out = SecretBytes::new(vec![0u8; n]);
        self.random_secret(&mut out)?;
        Ok(out)
    }

    /// ListKeys: up to `limit` keys in creation order, from position `offset`.
    ///
    /// # Errors
    /// Store failures.
    pub fn list_keys(&self, offset: usize, limit: usize) -> Result<Page<KeyView>> {
        let ids = self.store.list_keys(offset, limit)?;
        Ok(Page {
            items: self
                .existing_keys(ids.items)?
                .into_iter()
                .map(|k| self.view(k))
                .collect(),
            total: ids.total,
        })
    }

    /// Reads keys by ID (expiry applied), leaving out those deleted meanwhile or whose
    /// deletion window has ended, and those whose record is unreadable: one corrupt record
    /// must not take every listing down with it (it is logged; `qkms check` reports it).
    pub(super) fn existing_keys(&self, ids: Vec<String>) -> Result<Vec<KeyRecord>> {
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            match self.load_id(&id) {
                Ok(k) => out.push(k),
                Err(Error::KeyNotFound) => {}
                Err(Error::UnreadableKey(why)) => {
                    tracing::error!(key_id = %id, reason = %why, "unreadable key record left out of a listing; run qkms check");
                }
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    /// ListKeys with a filter: every key is read (expiry applied) and tested, then `limit`
    /// matches from position `offset` are returned. Linear in the number of keys, which suits a local server.
    ///
    /// # Errors
    /// Store failures.
    pub fn list_keys_matching(
        &self,
        offset: usize,
        limit: usize,
        matches: impl Fn(&KeyView) -> bool,
    ) -> Result<Page<KeyView>> {
        let ids = self.store.list_keys(0, usize::MAX)?;
        let all: Vec<KeyView> = self
            .existing_keys(ids.items)?
            .into_iter()
            .map(|k| self.view(k))
            .filter(|v| matches(v))
            .collect();
        Ok(Page {
            total: all.len(),
            items: all.into_iter().skip(offset).take(limit).collect(),
        })
    }

    /// Names of the aliases of a key.
    ///
    /// # Errors
    /// Store failures.
    pub fn alias_names(&self, key_id: &str) -> Result<Vec<String>> {
        Ok(self
            .store
            .list_aliases(Some(key_id), 0, usize::MAX)?
            .items
            .into_iter()
            .map(|a| a.name)
            .collect())
    }

    /// EnableKey: allowed from Enabled and Disabled.
    ///
    /// # Errors
    /// [`Error::StateModifiedFailed`] from PendingDeletion or PendingImport.
    pub fn enable_key(&self, reference: &str) -> Result<KeyView> {
        self.set_enabled(reference, KeyState::Enabled)
    }

    /// DisableKey: allowed from Enabled and Disabled.
    ///
    /// # Errors
    /// [`Error::StateModifiedFailed`] from PendingDeletion or PendingImport.
    pub fn disable_key(&self, reference: &str) -> Result<KeyView> {
        self.set_enabled(reference, KeyState::Disabled)
    }

    fn set_enabled(&self, reference: &str, target: KeyState) -> Result<KeyView> {
        let (key, ()) = self.update(reference, |key, _| match key.state {
            KeyState::Enabled | KeyState::Disabled => {
                key.state = target;
                Ok(())
            }
            KeyState::PendingDeletion | KeyState::PendingImport => Err(Error::StateModifiedFailed),
        })?;
        Ok(self.view(key))
    }

    /// ScheduleKeyDeletion: the key is deleted `days` days from now.
    ///
    /// # Errors
    /// [`Error::StateModifiedFailed`] if already PendingDeletion;
    /// [`Error::InvalidParameter`] when the date would fall after 9999-12-31.
    pub fn schedule_key_deletion(&self, reference: &str, days: i64) -> Result<KeyView> {
        let (key, ()) = self.update(reference, |key, now| {
            if key.state == KeyState::PendingDeletion {
                return Err(Error::StateModifiedFailed);
            }
            let date = days
                .checked_mul(86_400)
                .and_then(|secs| crate::clock::later(now, secs))
                .ok_or_else(|| {
                    Error::invalid(
                        "PendingWindowInDays",
                        "the deletion date would fall after 9999-12-31T23:59:59Z",
                    )
                })?;
            key.state = KeyState::PendingDeletion;
            key.delete_date = Some(date);
            Ok(())
        })?;
        Ok(self.view(key))
    }

    /// CancelKeyDeletion: back to Enabled (Aliyun) or Disabled (AWS, `to_disabled`), or
    /// PendingImport for a key without material.
    ///
    /// # Errors
    /// [`Error::StateModifiedFailed`] unless PendingDeletion.
    pub fn cancel_key_deletion(&self, reference: &str, to_disabled: bool) -> Result<KeyView> {
        let (key, ()) = self.update(reference, |key, _| {
            if key.state != KeyState::PendingDeletion {
                return Err(Error::StateModifiedFailed);
            }
            key.delete_date = None;
            key.state = match (key.has_material(), to_disabled) {
                (false, _) => KeyState::PendingImport,
                (true, true) => KeyState::Disabled,
                (true, false) => KeyState::Enabled,
            };
            Ok(())
        })?;
        Ok(self.view(key))
    }

    /// UpdateKeyDescription.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a description over 8192 characters.
    pub fn update_key_description(&self, reference: &str, description: &str) -> Result<KeyView> {
        if description.chars().count() > MAX_DESCRIPTION {
            return Err(Error::invalid("Description", "at most 8192 characters"));
        }
        let (key, ()) = self.update(reference, |key, _| {
            description.clone_into(&mut key.description);
            Ok(())
        })?;
        Ok(self.view(key))
    }

    /// TagResource: adds or replaces tags, at most `max` per key (20 on Aliyun, 50 on AWS).
    ///
    /// # Errors
    /// Key lookup errors, [`Error::TooManyTags`] beyond `max`.
    pub fn tag_key(
        &self,
        reference: &str,
        tags: &BTreeMap<String, String>,
        max: usize,
    ) -> Result<KeyView> {
        let (key, ()) = self.update(reference, |key, _| {
            for (k, v) in tags {
                key.tags.insert(k.clone(), v.clone());
            }
            if key.tags.len() > max {
                return Err(Error::TooManyTags(max));
            }
            Ok(())
        })?;
        Ok(self.view(key))
    }

    /// UntagResource: removes the named tags (absent names are ignored).
    ///
    /// # Errors
    /// Key lookup errors.
    pub fn untag_key(&self, reference: &str, names: &[String]) -> Result<KeyView> {
        let (key, ()) = self.update(reference, |key, _| {
            for n in names {
                key.tags.remove(n);
            }
            Ok(())
        })?;
        Ok(self.view(key))
    }

    /// CreateAlias.
    ///
    /// # Errors
    /// [`Error::AliasAlreadyExists`], [`Error::StateModifiedFailed`] for a PendingDeletion
    /// key, [`Error::InvalidParameter`] for a bad name.
    pub fn create_alias(&self, name: &str, reference: &str) -> Result<Alias> {
        validate_alias_name(name)?;
        let key = self.load(reference)?;
        if key.state == KeyState::PendingDeletion {
            return Err(Error::StateModifiedFailed);
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
    /// [`Error::AliasNotFound`], [`Error::KeyUnusable`] for a PendingDeletion target.
    pub fn update_alias(&self, name: &str, reference: &str) -> Result<()> {
        validate_alias_name(name)?;
        let key = self.load(reference)?;
        if key.state == KeyState::PendingDeletion {
            return Err(Error::KeyUnusable(KeyState::PendingDeletion));
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
        key_filter: Option<&str>,
        offset: usize,
        limit: usize,
    ) -> Result<Page<Alias>> {
        let key_id = match key_filter {
            Some(r) => Some(self.load(r)?.key_id),
            None => None,
        };
        Ok(self.store.list_aliases(key_id.as_deref(), offset, limit)?)
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
