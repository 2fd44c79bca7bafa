//! Secrets: named values with versions and stage labels, each version envelope-encrypted
//! under a KMS key of this service. Both protocols use these methods; their differences are
//! the [`SecretRules`] they pass.
//!
//! Sealing a version: GenerateDataKey (32 bytes) on the secret's key with the encryption
//! context `{SecretName, VersionId}`, then AES-256-GCM over the value under that data key,
//! with the name, version and type as associated data. So the store holds only the KMS
//! ciphertext of the data key and the sealed value, a version cannot be moved to another
//! secret or version, and a disabled key makes the value unreadable until it is enabled.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;

use super::{CAS_ATTEMPTS, Error, Kms, PasswordRules, Result};
use crate::crypto::SecretBytes;
use crate::crypto::aead::{Aead, NONCE_LEN};
use crate::crypto::root::hmac_sha256;
use crate::model::{
    Alias, KeyRef, KeyUsage, SealedValue, SecretDataType, SecretRecord, SecretRotation,
    SecretVersion, Stage,
};
use crate::store::{KeyStore as _, StoreError};

/// The aliases of the service-managed key that protects secrets created without a key.
pub const DEFAULT_SECRET_KEY_ALIASES: [&str; 2] =
    ["alias/acs/secretsmanager", "alias/aws/secretsmanager"];
/// Shortest and longest rotation interval accepted on the Aliyun side is the protocol's
/// business; the service only refuses a non-positive one.
const MIN_INTERVAL: i64 = 1;
/// Length of a password made by a rotation.
const ROTATED_PASSWORD: usize = 32;
/// Members of a JSON value that a rotation replaces with a fresh password.
const PASSWORD_MEMBERS: [&str; 3] = ["password", "Password", "AccountPassword"];

/// Where the two services differ on secrets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SecretRules {
    /// Versions a secret keeps; beyond it the oldest unlabelled one is dropped.
    pub max_versions: usize,
    /// Moving a label that sits on another version needs that version named as the one to
    /// remove it from (AWS).
    pub strict_stage_move: bool,
    /// The previous label may be removed on its own (AWS; Aliyun only moves it).
    pub previous_removable: bool,
    /// Restoring a secret that is not pending deletion is an error (Aliyun), not a no-op.
    pub restore_needs_deletion: bool,
    /// A rotation needs a rotation function named (AWS).
    pub rotation_needs_function: bool,
}

/// A version's value: its type and its bytes (binary values as base64 text).
#[derive(Debug, Clone)]
pub struct SecretValue {
    /// Text or binary.
    pub data_type: SecretDataType,
    /// The value.
    pub data: SecretBytes,
}

impl SecretValue {
    /// A text value.
    #[must_use]
    pub fn text(data: Vec<u8>) -> Self {
        Self {
            data_type: SecretDataType::Text,
            data: SecretBytes::new(data),
        }
    }
}

/// Rotation settings as a request gives them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotationSettings {
    /// Seconds between rotations.
    pub interval: i64,
    /// The rotation function the caller names, if any.
    pub function: Option<String>,
    /// The schedule as written (AWS `ScheduleExpression`).
    pub expression: Option<String>,
}

/// CreateSecret's input, validated by the protocol.
#[derive(Debug, Clone)]
pub struct NewSecret {
    /// The name.
    pub name: String,
    /// Free text.
    pub description: String,
    /// The key; `None` = the default key.
    pub key: Option<KeyRef>,
    /// The first version, if any (AWS may create a secret without one).
    pub first: Option<(String, SecretValue)>,
    /// Tags.
    pub tags: BTreeMap<String, String>,
    /// A resource policy.
    pub policy: Option<String>,
    /// Aliyun `ExtendedConfig`.
    pub extended_config: Option<String>,
    /// Automatic rotation, when asked for.
    pub rotation: Option<RotationSettings>,
}

/// What GetSecretValue returns.
#[derive(Debug, Clone)]
pub struct SecretRead {
    /// The secret.
    pub record: SecretRecord,
    /// The version read.
    pub version: SecretVersion,
    /// Its value.
    pub value: SecretValue,
}

/// Which version a read wants.
#[derive(Debug, Clone, Copy, Default)]
pub struct VersionSelector<'a> {
    /// By ID.
    pub id: Option<&'a str>,
    /// By label (default: current).
    pub stage: Option<&'a Stage>,
}

fn value_aad(name: &str, version: &str, data_type: SecretDataType) -> Vec<u8> {
    let mut aad = b"qkms secret v1\0".to_vec();
    for part in [name, version, data_type.as_str()] {
        aad.extend_from_slice(part.as_bytes());
        aad.push(0);
    }
    aad
}

fn data_key_context(name: &str, version: &str) -> crate::model::EncryptionContext {
    [
        ("SecretName".to_owned(), name.to_owned()),
        ("VersionId".to_owned(), version.to_owned()),
    ]
    .into_iter()
    .collect()
}

fn corrupt(name: &str, what: &str) -> Error {
    Error::internal(format!("stored secret {name}: {what}"))
}

/// Puts `stages` on version `id`, each taken from wherever it was; the current label
/// leaving a version gives that version the previous label.
fn attach(record: &mut SecretRecord, id: &str, stages: &[Stage]) {
    for stage in stages {
        if *stage == Stage::Current {
            let old = record
                .staged(&Stage::Current)
                .filter(|v| v.id != id)
                .map(|v| v.id.clone());
            if let Some(old) = old {
                detach(record, &Stage::Previous);
                if let Some(v) = record.versions.iter_mut().find(|v| v.id == old) {
                    v.stages.push(Stage::Previous);
                }
            }
        }
        detach(record, stage);
        if let Some(v) = record.versions.iter_mut().find(|v| v.id == id) {
            v.stages.push(stage.clone());
        }
    }
}

fn detach(record: &mut SecretRecord, stage: &Stage) {
    for v in &mut record.versions {
        v.stages.retain(|s| s != stage);
    }
}

/// Drops the oldest unlabelled versions beyond `max`; returns how many went.
fn prune(record: &mut SecretRecord, max: usize) -> Result<usize> {
    let mut dropped = 0;
    while record.versions.len() > max {
        let Some(i) = record.versions.iter().position(|v| v.stages.is_empty()) else {
            return Err(Error::LimitExceeded(format!(
                "a secret keeps at most {max} versions, and every version carries a label"
            )));
        };
        record.versions.remove(i);
        dropped += 1;
    }
    Ok(dropped)
}

fn refuse_deleted(record: &SecretRecord) -> Result<()> {
    if record.delete_date.is_some() {
        Err(Error::SecretDeleted)
    } else {
        Ok(())
    }
}

impl Kms {
    /// The key a new version of `record` is sealed under: its own, else the default key.
    fn secret_key_id(&self, record: &SecretRecord) -> Result<String> {
        match &record.key_id {
            Some(id) => Ok(id.clone()),
            None => self.default_secret_key(),
        }
    }

    /// The service-managed key for secrets, made on first use with both aliases.
    fn default_secret_key(&self) -> Result<String> {
        let [aliyun, aws] = DEFAULT_SECRET_KEY_ALIASES;
        if let Some(a) = self.store.get_alias(aws)? {
            return Ok(a.key_id);
        }
        let _turn = self
            .secret_key_lock
            .lock()
            .map_err(|_| Error::internal("the default secret key lock is poisoned"))?;
        if let Some(a) = self.store.get_alias(aws)? {
            return Ok(a.key_id);
        }
        let key = self.as_service().create_key(super::CreateKeyInput {
            spec: crate::model::KeySpec::Aes256,
            usage: KeyUsage::EncryptDecrypt,
            origin: crate::model::Origin::Kms,
            protection_level: crate::model::ProtectionLevel::Software,
            description: "Default key that protects secrets when no other key is given".into(),
            enable_automatic_rotation: false,
            rotation_interval: None,
            tags: BTreeMap::new(),
            policy: None,
        })?;
        for name in [aliyun, aws] {
            match self.store.create_alias(&Alias {
                name: name.to_owned(),
                key_id: key.key_id.clone(),
                created: self.now(),
            }) {
                Ok(()) => {}
                Err(StoreError::Conflict) => self.store.update_alias(name, &key.key_id)?,
                Err(e) => return Err(e.into()),
            }
        }
        Ok(key.key_id)
    }

    /// Resolves a caller's key for secrets: it must exist and encrypt symmetrically.
    fn check_secret_key(&self, key: &KeyRef) -> Result<String> {
        // The secret's permission covers the use of its key.
        let record = self.as_service().load(key)?;
        if record.usage != KeyUsage::EncryptDecrypt || Aead::of(record.spec).is_none() {
            return Err(Error::IncompatibleUsage(format!(
                "secrets are encrypted with symmetric ENCRYPT/DECRYPT keys, and this key is {}",
                record.spec.as_str()
            )));
        }
        Ok(record.key_id)
    }

    /// The key a caller names for a secret: `None` for the default key (by either of its
    /// aliases, even before it exists), else the checked key's ID.
    fn secret_key_choice(&self, key: &KeyRef) -> Result<Option<String>> {
        if let KeyRef::Alias(a) = key
            && DEFAULT_SECRET_KEY_ALIASES.contains(&a.as_str())
        {
            return Ok(None);
        }
        self.check_secret_key(key)
            .map(Some)
            .map_err(|cause| Error::SecretKey {
                writing: true,
                cause: Box::new(cause),
            })
    }

    fn secret_fingerprint(&self, name: &str, value: &SecretValue) -> String {
        let mut msg = b"secret\0".to_vec();
        msg.extend_from_slice(name.as_bytes());
        msg.push(0);
        msg.extend_from_slice(value.data_type.as_str().as_bytes());
        msg.push(0);
        msg.extend_from_slice(value.data.expose());
        let out = hex::encode(hmac_sha256(&self.fingerprint_key, &msg));
        zeroize::Zeroize::zeroize(&mut msg);
        out
    }

    /// A new version of secret `name`, sealed under `key_id`.
    fn seal_version(
        &self,
        name: &str,
        id: &str,
        key_id: &str,
        value: &SecretValue,
    ) -> Result<SecretVersion> {
        let writing = |cause: Error| Error::SecretKey {
            writing: true,
            cause: Box::new(cause),
        };
        let data_key = self
            .as_service()
            .generate_data_key(
                &KeyRef::Id(key_id.to_owned()),
                32,
                &data_key_context(name, id),
            )
            .map_err(writing)?;
        let mut nonce = [0u8; NONCE_LEN];
        self.random(&mut nonce)?;
        let sealed = Aead::Aes256Gcm
            .seal(
                &data_key.plaintext,
                &nonce,
                &value_aad(name, id, value.data_type),
                value.data.expose(),
            )
            .map_err(|_| Error::internal("a data key of the wrong length"))?;
        let mut ciphertext = nonce.to_vec();
        ciphertext.extend_from_slice(&sealed);
        Ok(SecretVersion {
            id: id.to_owned(),
            created: self.now(),
            stages: Vec::new(),
            data_type: value.data_type,
            key_id: key_id.to_owned(),
            sealed: SealedValue {
                data_key: B64.encode(&data_key.encrypted.blob),
                ciphertext: B64.encode(ciphertext),
            },
            fingerprint: self.secret_fingerprint(name, value),
        })
    }

    /// Opens a version's value (Decrypt of its data key on its KMS key).
    fn open_version(&self, name: &str, version: &SecretVersion) -> Result<SecretValue> {
        let data_key = B64
            .decode(&version.sealed.data_key)
            .map_err(|_| corrupt(name, "data key"))?;
        let sealed = B64
            .decode(&version.sealed.ciphertext)
            .map_err(|_| corrupt(name, "ciphertext"))?;
        let key = self
            .as_service()
            .decrypt(&data_key, &data_key_context(name, &version.id), None)
            .map_err(|cause| Error::SecretKey {
                writing: false,
                cause: Box::new(cause),
            })?;
        let (nonce, body) = sealed
            .split_first_chunk::<NONCE_LEN>()
            .ok_or_else(|| corrupt(name, "short ciphertext"))?;
        let data = Aead::Aes256Gcm
            .open(
                &key.plaintext,
                nonce,
                &value_aad(name, &version.id, version.data_type),
                body,
            )
            .map_err(|_| corrupt(name, "the value does not authenticate"))?;
        Ok(SecretValue {
            data_type: version.data_type,
            data,
        })
    }

    /// A secret as it is now: gone once its deletion window has ended.
    fn load_secret(&self, name: &str) -> Result<SecretRecord> {
        let record = self.store.get_secret(name)?.ok_or(Error::SecretNotFound)?;
        if record.delete_date.is_some_and(|t| t <= self.now()) {
            return Err(Error::SecretNotFound);
        }
        self.allow_secret(&record)?;
        Ok(record)
    }

    /// Read-modify-write of one secret with compare-and-swap, retried on conflict; a write
    /// that drops versions scrubs the store.
    fn update_secret_with<T>(
        &self,
        name: &str,
        mut change: impl FnMut(&mut SecretRecord, i64) -> Result<T>,
    ) -> Result<(SecretRecord, T)> {
        for _ in 0..CAS_ATTEMPTS {
            let stored = self.load_secret(name)?;
            let now = self.now();
            let mut record = stored.clone();
            let out = change(&mut record, now)?;
            if record == stored {
                return Ok((record, out));
            }
            record.updated = now;
            match self.store.update_secret(&record) {
                Ok(revision) => {
                    record.revision = revision;
                    if record.versions.len() < stored.versions.len() {
                        self.store.scrub()?;
                    }
                    return Ok((record, out));
                }
                Err(StoreError::Conflict) => {}
                Err(StoreError::NotFound) => return Err(Error::SecretNotFound),
                Err(e) => return Err(e.into()),
            }
        }
        Err(Error::internal("too many concurrent updates of one secret"))
    }

    /// CreateSecret.
    ///
    /// # Errors
    /// [`Error::SecretExists`], [`Error::SecretDeleted`] (the name is pending deletion),
    /// [`Error::SecretKey`] when the key is unknown, unusable or not symmetric.
    pub fn create_secret(&self, input: NewSecret) -> Result<SecretRecord> {
        self.allow_account()?;
        self.note(|| format!("secret/{}", input.name));
        if let Some(old) = self.store.get_secret(&input.name)?
            && old.delete_date.is_none_or(|t| t > self.now())
        {
            return Err(if old.delete_date.is_some() {
                Error::SecretDeleted
            } else {
                Error::SecretExists
            });
        }
        let key_id = match &input.key {
            Some(k) => self.secret_key_choice(k)?,
            None => None,
        };
        let now = self.now();
        let mut suffix = [0u8; 6];
        self.random(&mut suffix)?;
        const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        let mut record = SecretRecord {
            name: input.name.clone(),
            revision: 0,
            arn_suffix: suffix
                .iter()
                .map(|b| char::from(ALNUM[usize::from(*b) % ALNUM.len()]))
                .collect(),
            description: input.description,
            key_id,
            created: now,
            updated: now,
            tags: input.tags,
            policy: input.policy,
            extended_config: input.extended_config,
            rotation: input.rotation.map(|r| Self::rotation_from(r, None, now)),
            last_rotated: None,
            delete_date: None,
            versions: Vec::new(),
        };
        if let Some((id, value)) = &input.first {
            let key_id = self.secret_key_id(&record)?;
            let mut version = self.seal_version(&record.name, id, &key_id, value)?;
            version.stages.push(Stage::Current);
            record.versions.push(version);
        }
        self.replace_purged(&record)?;
        record.revision = 1;
        Ok(record)
    }

    /// Writes a new secret, first removing a purged one of the same name that the sweeper
    /// has not removed yet.
    fn replace_purged(&self, record: &SecretRecord) -> Result<()> {
        match self.store.create_secret(record) {
            Ok(()) => Ok(()),
            Err(StoreError::Conflict) => {
                let Some(old) = self.store.get_secret(&record.name)? else {
                    return Err(Error::SecretExists);
                };
                if old.delete_date.is_none_or(|t| t > self.now()) {
                    return Err(Error::SecretExists);
                }
                self.store.delete_secret(&record.name)?;
                self.store.scrub()?;
                self.store.create_secret(record).map_err(|e| match e {
                    StoreError::Conflict => Error::SecretExists,
                    other => other.into(),
                })
            }
            Err(e) => Err(e.into()),
        }
    }

    fn rotation_from(
        settings: RotationSettings,
        old: Option<&SecretRotation>,
        now: i64,
    ) -> SecretRotation {
        SecretRotation {
            enabled: true,
            interval: settings.interval.max(MIN_INTERVAL),
            next: now + settings.interval.max(MIN_INTERVAL),
            function: settings
                .function
                .or_else(|| old.and_then(|o| o.function.clone())),
            expression: settings.expression,
        }
    }

    /// DescribeSecret (and the metadata every protocol renders), pending deletion included.
    ///
    /// # Errors
    /// [`Error::SecretNotFound`].
    pub fn describe_secret(&self, name: &str) -> Result<SecretRecord> {
        self.load_secret(name)
    }

    /// Every secret in creation order, pending deletion included (its window not over).
    ///
    /// # Errors
    /// Store failures.
    pub fn list_secrets(&self) -> Result<Vec<SecretRecord>> {
        self.allow_account()?;
        let now = self.now();
        Ok(self
            .store
            .list_secrets("")?
            .into_iter()
            .filter(|s| s.delete_date.is_none_or(|t| t > now))
            .collect())
    }

    /// GetSecretValue: by ID and/or label (default: current); both must agree.
    ///
    /// # Errors
    /// [`Error::SecretNotFound`], [`Error::SecretVersionNotFound`], [`Error::SecretDeleted`],
    /// [`Error::InvalidParameter`] when ID and label name different versions,
    /// [`Error::SecretKey`] when the key cannot decrypt.
    pub fn get_secret_value(&self, name: &str, want: VersionSelector<'_>) -> Result<SecretRead> {
        let record = self.load_secret(name)?;
        refuse_deleted(&record)?;
        let version = match (want.id, want.stage) {
            (Some(id), stage) => {
                let v = record.version(id).ok_or(Error::SecretVersionNotFound)?;
                if let Some(stage) = stage
                    && !v.has(stage)
                {
                    return Err(Error::invalid(
                        "VersionStage",
                        "the version ID and the stage name different versions",
                    ));
                }
                v
            }
            (None, stage) => record
                .staged(stage.unwrap_or(&Stage::Current))
                .ok_or(Error::SecretVersionNotFound)?,
        }
        .clone();
        let value = self.open_version(&record.name, &version)?;
        Ok(SecretRead {
            record,
            version,
            value,
        })
    }

    /// PutSecretValue: a new version with `stages` (default: current). The same ID with the
    /// same value changes nothing; with another value it is refused.
    ///
    /// # Errors
    /// [`Error::SecretVersionExists`], [`Error::SecretDeleted`], [`Error::LimitExceeded`],
    /// [`Error::SecretKey`], [`Error::SecretNotFound`].
    pub fn put_secret_value(
        &self,
        name: &str,
        id: &str,
        value: &SecretValue,
        stages: Option<&[Stage]>,
        rules: &SecretRules,
    ) -> Result<(SecretRecord, SecretVersion)> {
        let fingerprint = self.secret_fingerprint(name, value);
        let (record, ()) = self.update_secret_with(name, |record, _| {
            refuse_deleted(record)?;
            if let Some(old) = record.version(id) {
                return if old.fingerprint == fingerprint {
                    Ok(())
                } else {
                    Err(Error::SecretVersionExists)
                };
            }
            let key_id = self.secret_key_id(record)?;
            let version = self.seal_version(name, id, &key_id, value)?;
            record.versions.push(version);
            attach(record, id, stages.unwrap_or(&[Stage::Current]));
            prune(record, rules.max_versions)?;
            Ok(())
        })?;
        let version = record
            .version(id)
            .cloned()
            .ok_or(Error::SecretVersionNotFound)?;
        Ok((record, version))
    }

    /// Changes a secret's description, key for new versions, or extended configuration.
    ///
    /// # Errors
    /// [`Error::SecretNotFound`], [`Error::SecretDeleted`], [`Error::SecretKey`].
    pub fn update_secret_metadata(
        &self,
        name: &str,
        description: Option<String>,
        key: Option<&KeyRef>,
        extended_config: Option<String>,
    ) -> Result<SecretRecord> {
        let key_id = key.map(|k| self.secret_key_choice(k)).transpose()?;
        let (record, ()) = self.update_secret_with(name, |record, _| {
            refuse_deleted(record)?;
            if let Some(d) = &description {
                d.clone_into(&mut record.description);
            }
            if let Some(k) = &key_id {
                record.key_id.clone_from(k);
            }
            if let Some(c) = &extended_config {
                record.extended_config = Some(c.clone());
            }
            Ok(())
        })?;
        Ok(record)
    }

    /// UpdateSecretVersionStage: moves `stage` to `move_to`, or removes it from
    /// `remove_from`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a combination the rules refuse,
    /// [`Error::SecretVersionNotFound`], [`Error::SecretDeleted`].
    pub fn move_secret_stage(
        &self,
        name: &str,
        stage: &Stage,
        move_to: Option<&str>,
        remove_from: Option<&str>,
        rules: &SecretRules,
    ) -> Result<SecretRecord> {
        let (record, ()) = self.update_secret_with(name, |record, _| {
            refuse_deleted(record)?;
            if let Some(from) = remove_from {
                let v = record.version(from).ok_or(Error::SecretVersionNotFound)?;
                if !v.has(stage) {
                    return Err(Error::invalid(
                        "RemoveFromVersion",
                        "the version does not carry that stage",
                    ));
                }
            }
            let Some(to) = move_to else {
                let removable = match stage {
                    Stage::Current => false,
                    Stage::Previous => rules.previous_removable,
                    _ => true,
                };
                if remove_from.is_none() || !removable {
                    return Err(Error::invalid(
                        "MoveToVersion",
                        "this stage can only be moved to another version",
                    ));
                }
                detach(record, stage);
                return Ok(());
            };
            record.version(to).ok_or(Error::SecretVersionNotFound)?;
            let holder = record.staged(stage).map(|v| v.id.clone());
            if rules.strict_stage_move
                && holder
                    .as_deref()
                    .is_some_and(|h| h != to && remove_from != Some(h))
            {
                return Err(Error::invalid(
                    "RemoveFromVersionId",
                    "the stage is attached to another version, which must be named as the one to remove it from",
                ));
            }
            attach(record, to, std::slice::from_ref(stage));
            Ok(())
        })?;
        Ok(record)
    }

    /// DeleteSecret: schedules deletion after `window_days`, or deletes at once (`force`).
    /// Returns the secret with its deletion date.
    ///
    /// # Errors
    /// [`Error::SecretNotFound`]; [`Error::SecretDeleted`] when already pending (unless
    /// forced).
    pub fn delete_secret(&self, name: &str, window_days: i64, force: bool) -> Result<SecretRecord> {
        if force {
            let mut record = self.load_secret(name)?;
            self.store.delete_secret(name)?;
            self.store.scrub()?;
            record.delete_date = Some(self.now());
            return Ok(record);
        }
        let (record, ()) = self.update_secret_with(name, |record, now| {
            refuse_deleted(record)?;
            record.delete_date = Some(now + window_days * 86_400);
            Ok(())
        })?;
        Ok(record)
    }

    /// RestoreSecret: cancels a scheduled deletion.
    ///
    /// # Errors
    /// [`Error::SecretNotFound`]; [`Error::SecretNotDeleted`] where the rules say so.
    pub fn restore_secret(&self, name: &str, rules: &SecretRules) -> Result<SecretRecord> {
        let (record, ()) = self.update_secret_with(name, |record, _| {
            if record.delete_date.is_none() && rules.restore_needs_deletion {
                return Err(Error::SecretNotDeleted);
            }
            record.delete_date = None;
            Ok(())
        })?;
        Ok(record)
    }

    /// Sets (or, with `None`, turns off) automatic rotation.
    ///
    /// # Errors
    /// [`Error::SecretNotFound`], [`Error::SecretDeleted`].
    pub fn set_secret_rotation(
        &self,
        name: &str,
        settings: Option<RotationSettings>,
    ) -> Result<SecretRecord> {
        let (record, ()) = self.update_secret_with(name, |record, now| {
            refuse_deleted(record)?;
            record.rotation = match (&settings, &record.rotation) {
                (Some(s), old) => Some(Self::rotation_from(s.clone(), old.as_ref(), now)),
                (None, Some(old)) => Some(SecretRotation {
                    enabled: false,
                    ..old.clone()
                }),
                (None, None) => None,
            };
            Ok(())
        })?;
        Ok(record)
    }

    /// RotateSecret: optionally new settings, then (when `immediately`) a new version under
    /// the current label made from the current value (see [`Kms::rotated_value`]). An
    /// existing `version_id` makes it a no-op. Returns the secret and the new version's ID.
    ///
    /// # Errors
    /// [`Error::RotationNotConfigured`] when the rules need a function and none is named;
    /// as [`Kms::put_secret_value`].
    pub fn rotate_secret(
        &self,
        name: &str,
        version_id: Option<String>,
        settings: Option<RotationSettings>,
        immediately: bool,
        rules: &SecretRules,
    ) -> Result<(SecretRecord, Option<String>)> {
        let id = match version_id {
            Some(id) => id,
            None => self.new_uuid()?,
        };
        self.update_secret_with(name, |record, now| {
            refuse_deleted(record)?;
            if let Some(s) = &settings {
                record.rotation = Some(Self::rotation_from(
                    s.clone(),
                    record.rotation.as_ref(),
                    now,
                ));
            }
            if rules.rotation_needs_function
                && record
                    .rotation
                    .as_ref()
                    .is_none_or(|r| r.function.is_none())
            {
                return Err(Error::RotationNotConfigured);
            }
            if !immediately {
                return Ok(None);
            }
            if record.version(&id).is_none() {
                self.rotate_now(record, &id, now, rules)?;
            }
            Ok(Some(id.clone()))
        })
    }

    /// Writes the rotated version `id` into `record` and moves the labels.
    fn rotate_now(
        &self,
        record: &mut SecretRecord,
        id: &str,
        now: i64,
        rules: &SecretRules,
    ) -> Result<()> {
        let value = match record.staged(&Stage::Current) {
            Some(current) => {
                let current = current.clone();
                self.rotated_value(&self.open_version(&record.name, &current)?)?
            }
            None => SecretValue::text(self.rotated_password()?.expose().to_vec()),
        };
        let key_id = self.secret_key_id(record)?;
        let version = self.seal_version(&record.name, id, &key_id, &value)?;
        record.versions.push(version);
        attach(record, id, &[Stage::Current]);
        record.last_rotated = Some(now);
        if let Some(r) = record.rotation.as_mut().filter(|r| r.enabled) {
            r.next = now + r.interval;
        }
        prune(record, rules.max_versions)?;
        Ok(())
    }

    fn rotated_password(&self) -> Result<SecretBytes> {
        self.as_service().random_password(&PasswordRules {
            length: ROTATED_PASSWORD,
            exclude_punctuation: true,
            require_each_included_type: true,
            ..PasswordRules::default()
        })
    }

    /// The value a rotation writes: a JSON object's password member gets a fresh password;
    /// any other value is carried over unchanged (qkms cannot reach the system that would
    /// hold a new credential, and a copy keeps applications working).
    fn rotated_value(&self, current: &SecretValue) -> Result<SecretValue> {
        if current.data_type != SecretDataType::Text {
            return Ok(current.clone());
        }
        let Ok(serde_json::Value::Object(mut object)) =
            serde_json::from_slice::<serde_json::Value>(current.data.expose())
        else {
            return Ok(current.clone());
        };
        let Some(member) = PASSWORD_MEMBERS
            .into_iter()
            .find(|m| object.get(*m).is_some_and(serde_json::Value::is_string))
        else {
            return Ok(current.clone());
        };
        let password = self.rotated_password()?;
        let password = String::from_utf8_lossy(password.expose()).into_owned();
        object.insert(member.to_owned(), serde_json::Value::String(password));
        let text = serde_json::to_vec(&object).map_err(Error::internal)?;
        Ok(SecretValue::text(text))
    }

    /// Sets (or with `None` removes) the resource policy.
    ///
    /// # Errors
    /// [`Error::SecretNotFound`], [`Error::SecretDeleted`].
    pub fn set_secret_policy(&self, name: &str, policy: Option<String>) -> Result<SecretRecord> {
        let (record, ()) = self.update_secret_with(name, |record, _| {
            refuse_deleted(record)?;
            record.policy.clone_from(&policy);
            Ok(())
        })?;
        Ok(record)
    }

    /// Adds or replaces tags; at most `max` in all.
    ///
    /// # Errors
    /// [`Error::TooManyTags`], [`Error::SecretNotFound`], [`Error::SecretDeleted`].
    pub fn tag_secret(
        &self,
        name: &str,
        tags: &BTreeMap<String, String>,
        max: usize,
    ) -> Result<SecretRecord> {
        let (record, ()) = self.update_secret_with(name, |record, _| {
            refuse_deleted(record)?;
            record.tags.extend(tags.clone());
            if record.tags.len() > max {
                return Err(Error::TooManyTags { max });
            }
            Ok(())
        })?;
        Ok(record)
    }

    /// Removes tags by key (absent keys are ignored).
    ///
    /// # Errors
    /// [`Error::SecretNotFound`], [`Error::SecretDeleted`].
    pub fn untag_secret(&self, name: &str, keys: &[String]) -> Result<SecretRecord> {
        let (record, ()) = self.update_secret_with(name, |record, _| {
            refuse_deleted(record)?;
            for k in keys {
                record.tags.remove(k);
            }
            Ok(())
        })?;
        Ok(record)
    }

    /// Settles what time made due on secrets: ends deletion windows (erasing for good) and
    /// runs scheduled rotations. Returns how many secrets changed.
    pub(super) fn sweep_secrets(&self) -> Result<usize> {
        let mut changed = 0;
        for stored in self.base.secrets_due(self.now())? {
            let (kms, name) = self.owner_of(&stored);
            match kms.settle_secret(name) {
                Ok(true) => changed += 1,
                Ok(false) => {}
                Err(e) => {
                    tracing::error!(secret = %name, error = %e, "sweep could not settle a secret")
                }
            }
        }
        Ok(changed)
    }

    fn settle_secret(&self, name: &str) -> Result<bool> {
        let Some(stored) = self.store.get_secret(name)? else {
            return Ok(false);
        };
        let now = self.now();
        if stored.delete_date.is_some_and(|t| t <= now) {
            self.store.delete_secret(name)?;
            self.store.scrub()?;
            tracing::info!(secret = %name, "secret deleted at the end of its deletion window");
            return Ok(true);
        }
        if stored.delete_date.is_some()
            || !stored
                .rotation
                .as_ref()
                .is_some_and(|r| r.enabled && r.next <= now)
        {
            return Ok(false);
        }
        let id = self.new_uuid()?;
        let rules = SecretRules {
            max_versions: 100,
            strict_stage_move: false,
            previous_removable: false,
            restore_needs_deletion: false,
            rotation_needs_function: false,
        };
        self.update_secret_with(name, |record, now| {
            if record
                .rotation
                .as_ref()
                .is_some_and(|r| r.enabled && r.next <= now)
            {
                self.rotate_now(record, &id, now, &rules)?;
            }
            Ok(())
        })?;
        tracing::info!(secret = %name, "secret rotated on its schedule");
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::clock::{ControlledClock, Mode};
    use crate::store::{KeyStore, MemoryStore};

    const T0: i64 = 1_800_000_000;
    const ALIYUN: SecretRules = SecretRules {
        max_versions: 3,
        strict_stage_move: false,
        previous_removable: false,
        restore_needs_deletion: true,
        rotation_needs_function: false,
    };

    fn setup() -> (Kms, Arc<MemoryStore>, Arc<ControlledClock>) {
        let store = Arc::new(MemoryStore::new());
        let clock = Arc::new(ControlledClock::new(Mode::Fixed(T0)));
        (
            super::super::test_kms(store.clone(), clock.clone()),
            store,
            clock,
        )
    }

    fn new(name: &str, value: &str) -> NewSecret {
        NewSecret {
            name: name.into(),
            description: String::new(),
            key: None,
            first: Some(("v1".into(), SecretValue::text(value.as_bytes().to_vec()))),
            tags: BTreeMap::new(),
            policy: None,
            extended_config: None,
            rotation: None,
        }
    }

    fn read(kms: &Kms, name: &str, stage: Stage) -> (String, String) {
        let r = kms
            .get_secret_value(
                name,
                VersionSelector {
                    id: None,
                    stage: Some(&stage),
                },
            )
            .unwrap();
        (
            r.version.id,
            String::from_utf8(r.value.data.expose().to_vec()).unwrap(),
        )
    }

    fn put(kms: &Kms, name: &str, id: &str, value: &str, stages: Option<&[Stage]>) -> Result<()> {
        let v = SecretValue::text(value.as_bytes().to_vec());
        kms.put_secret_value(name, id, &v, stages, &ALIYUN)
            .map(|_| ())
    }

    #[test]
    fn values_are_sealed_and_labels_move_as_the_sheet_says() {
        let (kms, store, _) = setup();
        kms.create_secret(new("db", "hunter2-first")).unwrap();
        let stored = serde_json::to_string(&store.get_secret("db").unwrap().unwrap()).unwrap();
        assert!(!stored.contains("hunter2"), "{stored}");
        // The default key was made once, with both aliases.
        let key = store
            .get_alias("alias/aws/secretsmanager")
            .unwrap()
            .unwrap()
            .key_id;
        assert_eq!(
            store
                .get_alias("alias/acs/secretsmanager")
                .unwrap()
                .unwrap()
                .key_id,
            key
        );

        put(&kms, "db", "v2", "second", None).unwrap();
        assert_eq!(
            read(&kms, "db", Stage::Current),
            ("v2".into(), "second".into())
        );
        assert_eq!(
            read(&kms, "db", Stage::Previous),
            ("v1".into(), "hunter2-first".into())
        );
        // Same ID and value: nothing changes; another value: refused.
        put(&kms, "db", "v2", "second", None).unwrap();
        assert!(matches!(
            put(&kms, "db", "v2", "other", None),
            Err(Error::SecretVersionExists)
        ));
        // A custom label leaves the system labels where they are.
        put(
            &kms,
            "db",
            "v3",
            "third",
            Some(&[Stage::Custom("next".into())]),
        )
        .unwrap();
        assert_eq!(read(&kms, "db", Stage::Current).0, "v2");
        assert_eq!(read(&kms, "db", Stage::Custom("next".into())).0, "v3");
        // Moving the current label gives the old holder the previous one.
        kms.move_secret_stage("db", &Stage::Current, Some("v3"), None, &ALIYUN)
            .unwrap();
        assert_eq!(read(&kms, "db", Stage::Previous).0, "v2");
        let s = kms.describe_secret("db").unwrap();
        assert!(s.version("v1").unwrap().stages.is_empty());
        // The fourth version drops the oldest unlabelled one (v1).
        put(
            &kms,
            "db",
            "v4",
            "fourth",
            Some(&[Stage::Custom("x".into())]),
        )
        .unwrap();
        let ids: Vec<_> = kms
            .describe_secret("db")
            .unwrap()
            .versions
            .iter()
            .map(|v| v.id.clone())
            .collect();
        assert_eq!(ids, ["v2", "v3", "v4"]);
        // Every version labelled: the limit refuses.
        assert!(matches!(
            put(
                &kms,
                "db",
                "v5",
                "fifth",
                Some(&[Stage::Custom("y".into())])
            ),
            Err(Error::LimitExceeded(_))
        ));
        // The system labels cannot be removed on their own here.
        assert!(
            kms.move_secret_stage("db", &Stage::Previous, None, Some("v2"), &ALIYUN)
                .is_err()
        );
    }

    #[test]
    fn a_disabled_key_makes_the_value_unreadable_until_enabled() {
        let (kms, _, _) = setup();
        kms.create_secret(new("s", "v")).unwrap();
        let key = KeyRef::Alias("alias/acs/secretsmanager".into());
        kms.disable_key(&key).unwrap();
        let err = kms
            .get_secret_value("s", VersionSelector::default())
            .unwrap_err();
        assert!(
            matches!(
                err,
                Error::SecretKey { writing: false, ref cause } if matches!(**cause, Error::Unusable(super::super::Unusable::Disabled))
            ),
            "{err:?}"
        );
        assert!(matches!(
            put(&kms, "s", "v2", "w", None),
            Err(Error::SecretKey { writing: true, .. })
        ));
        kms.enable_key(&key).unwrap();
        assert_eq!(read(&kms, "s", Stage::Current).1, "v");
    }

    #[test]
    fn deletion_windows_and_rotations_follow_the_clock() {
        let (kms, store, clock) = setup();
        kms.create_secret(new("gone", "x")).unwrap();
        let deleted = kms.delete_secret("gone", 7, false).unwrap();
        assert_eq!(deleted.delete_date, Some(T0 + 7 * 86_400));
        assert!(matches!(
            kms.get_secret_value("gone", VersionSelector::default()),
            Err(Error::SecretDeleted)
        ));
        assert!(matches!(
            kms.delete_secret("gone", 7, false),
            Err(Error::SecretDeleted)
        ));
        assert!(matches!(
            kms.create_secret(new("gone", "y")),
            Err(Error::SecretDeleted)
        ));
        kms.restore_secret("gone", &ALIYUN).unwrap();
        assert!(matches!(
            kms.restore_secret("gone", &ALIYUN),
            Err(Error::SecretNotDeleted)
        ));
        kms.delete_secret("gone", 7, false).unwrap();

        let mut rotating = new("rot", r#"{"user":"app","password":"old"}"#);
        rotating.rotation = Some(RotationSettings {
            interval: 6 * 3600,
            function: None,
            expression: None,
        });
        kms.create_secret(rotating).unwrap();

        clock.set(T0 + 6 * 3600).unwrap();
        kms.sweep().unwrap();
        let (id, value) = read(&kms, "rot", Stage::Current);
        assert_ne!(id, "v1");
        let v: serde_json::Value = serde_json::from_str(&value).unwrap();
        assert_eq!(v["user"], "app");
        assert_eq!(v["password"].as_str().unwrap().len(), ROTATED_PASSWORD);
        assert_eq!(read(&kms, "rot", Stage::Previous).0, "v1");
        let r = kms.describe_secret("rot").unwrap();
        assert_eq!(r.last_rotated, Some(T0 + 6 * 3600));
        assert_eq!(r.rotation.unwrap().next, T0 + 12 * 3600);

        clock.set(T0 + 7 * 86_400).unwrap();
        assert!(matches!(
            kms.describe_secret("gone"),
            Err(Error::SecretNotFound)
        ));
        kms.sweep().unwrap();
        assert!(store.get_secret("gone").unwrap().is_none());
        // The name is free again.
        kms.create_secret(new("gone", "again")).unwrap();
    }

    #[test]
    fn rotation_needs_a_function_where_the_rules_say() {
        let (kms, _, _) = setup();
        kms.create_secret(new("s", "plain")).unwrap();
        let aws = SecretRules {
            rotation_needs_function: true,
            ..ALIYUN
        };
        assert!(matches!(
            kms.rotate_secret("s", None, None, true, &aws),
            Err(Error::RotationNotConfigured)
        ));
        let with = RotationSettings {
            interval: 86_400,
            function: Some("arn:fn".into()),
            expression: None,
        };
        let (_, id) = kms
            .rotate_secret("s", Some("r1".into()), Some(with), true, &aws)
            .unwrap();
        assert_eq!(id.as_deref(), Some("r1"));
        // A value that is not a JSON object with a password is carried over.
        assert_eq!(
            read(&kms, "s", Stage::Current),
            ("r1".into(), "plain".into())
        );
        // The same version ID again is a no-op.
        let before = kms.describe_secret("s").unwrap().versions.len();
        kms.rotate_secret("s", Some("r1".into()), None, true, &aws)
            .unwrap();
        assert_eq!(kms.describe_secret("s").unwrap().versions.len(), before);
    }
}
