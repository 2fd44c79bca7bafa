//! Key lifecycle: create, describe, list, enable, disable, deletion windows, descriptions.

use std::collections::BTreeMap;

use super::{Error, Kms, Result, Rules};
use crate::crypto::SecretBytes;
use crate::model::{
    KeyRecord, KeyRef, KeySpec, KeyState, KeyUsage, KeyVersion, Origin, ProtectionLevel,
};
use crate::store::KeyStore as _;
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
    /// Seconds between automatic rotations [default: 365 days].
    pub rotation_interval: Option<i64>,
    /// Tags.
    pub tags: BTreeMap<String, String>,
    /// A key policy, already validated (see [`Kms::check_policy`]); `None` = the default.
    pub policy: Option<String>,
}

/// Longest description accepted.
pub const MAX_DESCRIPTION: usize = 8192;

/// Random bytes GenerateRandom returns at most.
const MAX_RANDOM: usize = 1024;

impl Kms {
    /// Fresh material of `spec`: random bytes for symmetric and HMAC keys, a new key pair
    /// (PKCS #8) for the others.
    ///
    /// # Errors
    /// Entropy or library failures.
    pub(super) fn new_material(&self, spec: KeySpec) -> Result<SecretBytes> {
        if let Some(len) = spec.secret_len() {
            let mut material = SecretBytes::new(vec![0u8; len]);
            self.random_secret(&mut material)?;
            return Ok(material);
        }
        let entropy = self.entropy.as_ref();
        if self.settings.deterministic {
            crate::crypto::asym::generate_from(spec, entropy).map_err(Error::internal)
        } else {
            crate::crypto::asym::generate(spec, entropy).map_err(Error::internal)
        }
    }

    /// A new key record of `input` with fresh IDs: KMS-origin keys with fresh material and
    /// Enabled, EXTERNAL keys PendingImport without material.
    fn new_record(&self, input: CreateKeyInput) -> Result<KeyRecord> {
        let now = self.now();
        let key_id = self.new_uuid()?;
        let version_id = self.new_uuid()?;
        let (state, sealed_material) = match input.origin {
            Origin::Kms => {
                let material = self.new_material(input.spec)?;
                (
                    KeyState::Enabled,
                    Some(self.seal_material(&key_id, &version_id, &material)?),
                )
            }
            Origin::External => (KeyState::PendingImport, None),
        };
        Ok(KeyRecord {
            key_id,
            revision: 0,
            spec: input.spec,
            usage: input.usage,
            origin: input.origin,
            protection_level: input.protection_level,
            description: input.description,
            state,
            created: now,
            creator: self.scope.account.clone(),
            delete_date: None,
            material_expire: None,
            material_fingerprint: None,
            primary_version: version_id.clone(),
            versions: vec![KeyVersion {
                sealed_material,
                ..KeyVersion::new(version_id, now)
            }],
            tags: input.tags,
            rotation: None,
            deletion_protection: None,
            policy: input.policy,
            grants: Vec::new(),
            pending_window_days: None,
            last_used: None,
        })
    }

    /// CreateKey. A KMS-origin key gets fresh material and starts Enabled; an EXTERNAL key
    /// starts PendingImport with no material.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for EXTERNAL with automatic rotation, or a description
    /// that is too long.
    pub fn create_key(&self, input: CreateKeyInput) -> Result<KeyRecord> {
        self.allow_account()?;
        if !input.spec.usages().contains(&input.usage) {
            return Err(Error::invalid(
                "KeyUsage",
                format!(
                    "{} keys do not support {}",
                    input.spec.as_str(),
                    input.usage.as_str()
                ),
            ));
        }
        if input.enable_automatic_rotation && !input.spec.is_symmetric() {
            return Err(Error::invalid(
                "EnableAutomaticRotation",
                "only symmetric keys rotate automatically",
            ));
        }
        if input.origin == Origin::External && input.enable_automatic_rotation {
            return Err(Error::invalid(
                "EnableAutomaticRotation",
                "keys with Origin EXTERNAL do not support automatic rotation",
            ));
        }
        if input.description.chars().count() > MAX_DESCRIPTION {
            return Err(Error::invalid("Description", "at most 8192 characters"));
        }
        let rotation = input.enable_automatic_rotation.then(|| {
            let interval = input
                .rotation_interval
                .unwrap_or(super::DEFAULT_ROTATION_INTERVAL);
            crate::model::RotationPolicy {
                interval,
                next: crate::clock::later(self.now(), interval).unwrap_or(crate::clock::MAX_TIME),
            }
        });
        if let Some(policy) = &input.policy {
            super::policy::check_policy(policy)?;
        }
        let mut key = self.new_record(input)?;
        key.rotation = rotation;
        match self.store.create_key(&key) {
            Ok(()) => {}
            Err(StoreError::Conflict) => return Err(Error::internal("key ID collision")),
            Err(e) => return Err(e.into()),
        }
        tracing::info!(key_id = %key.key_id, origin = key.origin.as_str(), spec = key.spec.as_str(), "key created");
        self.describe_key(&KeyRef::Id(key.key_id))
    }

    /// Creates `count` Aliyun_AES_256 keys of origin Aliyun_KMS in batches, bypassing the
    /// per-request path: the benchmark's bulk path for a store with a million keys.
    /// Returns the first key's ID.
    ///
    /// # Errors
    /// Store or entropy failures.
    pub fn bulk_create(&self, count: usize) -> Result<Option<String>> {
        const BATCH: usize = 10_000;
        let mut first = None;
        let mut done = 0;
        while done < count {
            let n = BATCH.min(count - done);
            let batch = (0..n)
                .map(|_| {
                    self.new_record(CreateKeyInput {
                        spec: KeySpec::Aes256,
                        usage: KeyUsage::EncryptDecrypt,
                        origin: Origin::Kms,
                        protection_level: ProtectionLevel::Software,
                        description: String::new(),
                        enable_automatic_rotation: false,
                        rotation_interval: None,
                        tags: BTreeMap::new(),
                        policy: None,
                    })
                })
                .collect::<Result<Vec<_>>>()?;
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

    /// DescribeKey: the key in its effective state.
    ///
    /// # Errors
    /// [`Error::KeyNotFound`] / [`Error::AliasNotFound`].
    pub fn describe_key(&self, key: &KeyRef) -> Result<KeyRecord> {
        Ok(self.cached(&self.resolve(key)?)?.record.clone())
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
        self.allow_account()?;
        if n == 0 || n > MAX_RANDOM {
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
    pub fn list_keys(&self, offset: usize, limit: usize) -> Result<Page<KeyRecord>> {
        self.allow_account()?;
        let ids = self.store.list_keys("", offset, limit)?;
        Ok(Page {
            items: self.existing_keys(ids.items)?,
            total: ids.total,
        })
    }

    /// Reads keys by ID (effective state), leaving out those deleted meanwhile or whose
    /// deletion window has ended, and those whose record is unreadable: one corrupt record
    /// must not take every listing down with it (it is logged; `qkms check` reports it).
    pub(super) fn existing_keys(&self, ids: Vec<String>) -> Result<Vec<KeyRecord>> {
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            match self.read_id(&id) {
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

    /// ListKeys with a filter: every key is read (effective state) and tested, then `limit`
    /// matches from position `offset` are returned. Linear in the number of keys, which
    /// suits a local server.
    ///
    /// # Errors
    /// Store failures.
    pub fn list_keys_matching(
        &self,
        offset: usize,
        limit: usize,
        matches: impl Fn(&KeyRecord) -> bool,
    ) -> Result<Page<KeyRecord>> {
        self.allow_account()?;
        let ids = self.store.list_keys("", 0, usize::MAX)?;
        let all: Vec<KeyRecord> = self
            .existing_keys(ids.items)?
            .into_iter()
            .filter(|k| matches(k))
            .collect();
        Ok(Page {
            total: all.len(),
            items: all.into_iter().skip(offset).take(limit).collect(),
        })
    }

    /// How many keys of this view's scope are in each state (read now; linear in the
    /// number of keys).
    ///
    /// # Errors
    /// Store failures.
    pub fn keys_by_state(&self) -> Result<Vec<(&'static str, usize)>> {
        let ids = self.store.list_keys("", 0, usize::MAX)?;
        let mut counts: BTreeMap<&'static str, usize> = BTreeMap::new();
        for key in self.existing_keys(ids.items)? {
            *counts.entry(key.state.as_str()).or_default() += 1;
        }
        Ok(counts.into_iter().collect())
    }

    /// RSA wrapping keys ready in the pool now.
    #[must_use]
    pub fn pool_ready(&self) -> usize {
        self.pool.ready()
    }

    /// EnableKey: allowed from Enabled and Disabled.
    ///
    /// # Errors
    /// [`Error::StateChangeRefused`] from PendingDeletion or PendingImport.
    pub fn enable_key(&self, key: &KeyRef) -> Result<KeyRecord> {
        self.set_enabled(key, KeyState::Enabled)
    }

    /// DisableKey: allowed from Enabled and Disabled.
    ///
    /// # Errors
    /// [`Error::StateChangeRefused`] from PendingDeletion or PendingImport.
    pub fn disable_key(&self, key: &KeyRef) -> Result<KeyRecord> {
        self.set_enabled(key, KeyState::Disabled)
    }

    fn set_enabled(&self, key: &KeyRef, target: KeyState) -> Result<KeyRecord> {
        let (key, ()) = self.update(key, |key, _| match key.state {
            KeyState::Enabled | KeyState::Disabled => {
                key.state = target;
                Ok(())
            }
            state @ (KeyState::PendingDeletion | KeyState::PendingImport) => {
                Err(Error::StateChangeRefused { state })
            }
        })?;
        Ok(key)
    }

    /// ScheduleKeyDeletion: the key is deleted `days` days from now.
    ///
    /// # Errors
    /// [`Error::StateChangeRefused`] if already PendingDeletion;
    /// [`Error::InvalidParameter`] when the date would fall after 9999-12-31.
    pub fn schedule_key_deletion(&self, key: &KeyRef, days: i64) -> Result<KeyRecord> {
        let (key, ()) = self.update(key, |key, now| {
            if key.state == KeyState::PendingDeletion {
                return Err(Error::StateChangeRefused { state: key.state });
            }
            if key.deletion_protection.is_some() {
                return Err(Error::DeletionProtected);
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
            key.pending_window_days = Some(days);
            Ok(())
        })?;
        Ok(key)
    }

    /// CancelKeyDeletion: back to the state `rules` name, or PendingImport for a key
    /// without material.
    ///
    /// # Errors
    /// [`Error::StateChangeRefused`] unless PendingDeletion.
    pub fn cancel_key_deletion(&self, key: &KeyRef, rules: &Rules) -> Result<KeyRecord> {
        let (key, ()) = self.update(key, |key, _| {
            if key.state != KeyState::PendingDeletion {
                return Err(Error::StateChangeRefused { state: key.state });
            }
            key.delete_date = None;
            key.pending_window_days = None;
            key.state = if key.has_material() {
                rules.after_cancel.state()
            } else {
                KeyState::PendingImport
            };
            Ok(())
        })?;
        Ok(key)
    }

    /// UpdateKeyDescription.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a description over 8192 characters;
    /// [`Error::StateChangeRefused`] for a key pending deletion where `rules` freeze it.
    pub fn update_key_description(
        &self,
        key: &KeyRef,
        description: &str,
        rules: &Rules,
    ) -> Result<KeyRecord> {
        if description.chars().count() > MAX_DESCRIPTION {
            return Err(Error::invalid("Description", "at most 8192 characters"));
        }
        let (key, ()) = self.update(key, |key, _| {
            refuse_if_frozen(key, rules)?;
            description.clone_into(&mut key.description);
            Ok(())
        })?;
        Ok(key)
    }
}

/// Changes to a key's metadata where `rules` freeze keys pending deletion.
pub(super) fn refuse_if_frozen(key: &KeyRecord, rules: &Rules) -> Result<()> {
    if rules.frozen_when_pending_deletion && key.state == KeyState::PendingDeletion {
        Err(Error::StateChangeRefused { state: key.state })
    } else {
        Ok(())
    }
}
