//! Key versions and rotation: automatic rotation on the KMS clock, rotation on request
//! (AWS RotateKeyOnDemand, Aliyun CreateKeyVersion), and deletion protection.
//!
//! Every version of a key stays: Encrypt uses the primary, Decrypt the version a blob
//! names. A KMS-origin key rotates by making a new version with fresh material; an
//! EXTERNAL key rotates (on request only) by promoting imported material that waits after
//! the primary (see `import.rs`). Automatic rotation needs fresh randomness, so it cannot
//! be computed by a read the way expiry is: the sweeper performs it (`Kms::settle`), every
//! second and at once when the admin endpoint moves the clock.

use super::{Error, Kms, Result, Rules};
use crate::model::{KeyRecord, KeyRef, KeyState, KeyVersion, Origin, RotationKind, RotationPolicy};

/// Rotation interval when none is given: 365 days (both APIs' default).
pub const DEFAULT_ROTATION_INTERVAL: i64 = 365 * 86_400;

/// What limits a rotation on request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnDemandLimit {
    /// The newest version must be at least this many seconds old (Aliyun
    /// CreateKeyVersion: 7 days).
    MinInterval(i64),
    /// At most this many rotations on request per key (AWS RotateKeyOnDemand: 25).
    MaxRotations(usize),
}

/// Refuses keys that cannot rotate now: only Enabled keys do, as only they can encrypt.
use super::crypto::usable as must_be_enabled;

impl Kms {
    /// Appends a version with fresh material and makes it primary (KMS-origin keys).
    fn add_fresh_version(&self, key: &mut KeyRecord, now: i64, kind: RotationKind) -> Result<()> {
        let version_id = self.new_uuid()?;
        let material = self.new_material(key.spec)?;
        let sealed = self.seal_material(&key.key_id, &version_id, &material)?;
        key.versions.push(KeyVersion {
            sealed_material: Some(sealed),
            rotation: Some(kind),
            ..KeyVersion::new(version_id.clone(), now)
        });
        key.primary_version = version_id;
        Ok(())
    }

    /// Performs a due automatic rotation on `key` (already in its effective state); returns
    /// whether it rotated. A key whose rotation is overdue by several intervals (the clock
    /// moved far) gets one new version, and its next rotation counts from now.
    pub(super) fn rotate_if_due(&self, key: &mut KeyRecord, now: i64) -> Result<bool> {
        let Some(policy) = key.rotation else {
            return Ok(false);
        };
        if key.rotation_due().is_none_or(|t| t > now) || key.origin != Origin::Kms {
            return Ok(false);
        }
        self.add_fresh_version(key, now, RotationKind::Automatic)?;
        key.rotation = Some(RotationPolicy {
            interval: policy.interval,
            next: crate::clock::later(now, policy.interval).unwrap_or(crate::clock::MAX_TIME),
        });
        tracing::info!(key_id = %key.key_id, version = %key.primary_version, "key rotated automatically");
        Ok(true)
    }

    /// Enables automatic rotation every `interval` seconds (the next one `interval` from
    /// now), or disables it (`None`). KMS-origin keys only; a key pending deletion refuses,
    /// and so does a Disabled key where `rules` say so.
    ///
    /// # Errors
    /// [`Error::UnsupportedOrigin`] for EXTERNAL keys; [`Error::Unusable`] or
    /// [`Error::StateChangeRefused`] for a state that refuses.
    pub fn set_rotation(
        &self,
        key: &KeyRef,
        interval: Option<i64>,
        rules: &Rules,
    ) -> Result<KeyRecord> {
        let (key, ()) = self.update(key, |key, now| {
            if key.origin != Origin::Kms {
                return Err(Error::UnsupportedOrigin { origin: key.origin });
            }
            match key.state {
                KeyState::Enabled => {}
                KeyState::Disabled if !rules.rotation_needs_enabled => {}
                KeyState::PendingDeletion if !rules.rotation_needs_enabled => {
                    return Err(Error::StateChangeRefused { state: key.state });
                }
                _ => must_be_enabled(key)?,
            }
            key.rotation = interval.map(|interval| RotationPolicy {
                interval,
                next: crate::clock::later(now, interval).unwrap_or(crate::clock::MAX_TIME),
            });
            Ok(())
        })?;
        tracing::info!(key_id = %key.key_id, enabled = key.rotation.is_some(), "rotation policy changed");
        Ok(key)
    }

    /// Rotates now, on request: a KMS-origin key gets a new primary version with fresh
    /// material; an EXTERNAL key's oldest pending imported material becomes primary. The
    /// automatic schedule is unchanged.
    ///
    /// # Errors
    /// [`Error::Unusable`] unless Enabled; [`Error::Unsupported`] for an EXTERNAL key
    /// without pending material, or a version too recent for `limit`;
    /// [`Error::LimitExceeded`] past `limit`'s count.
    pub fn rotate_on_demand(&self, key: &KeyRef, limit: OnDemandLimit) -> Result<KeyRecord> {
        let (key, ()) = self.update(key, |key, now| {
            must_be_enabled(key)?;
            match limit {
                OnDemandLimit::MinInterval(secs) => {
                    let newest = key.versions.iter().map(|v| v.created).max().unwrap_or(0);
                    if now.saturating_sub(newest) < secs {
                        return Err(Error::Unsupported(format!(
                            "the newest version of this key is less than {} days old",
                            secs / 86_400
                        )));
                    }
                }
                OnDemandLimit::MaxRotations(max) => {
                    let done = key
                        .versions
                        .iter()
                        .filter(|v| v.rotation == Some(RotationKind::OnDemand))
                        .count();
                    if done >= max {
                        return Err(Error::LimitExceeded(format!(
                            "a key can be rotated on demand at most {max} times"
                        )));
                    }
                }
            }
            match key.origin {
                Origin::Kms => self.add_fresh_version(key, now, RotationKind::OnDemand),
                Origin::External => promote_pending(key, now),
            }
        })?;
        tracing::info!(key_id = %key.key_id, version = %key.primary_version, "key rotated on demand");
        Ok(key)
    }

    /// DescribeKeyVersion: one version of a key.
    ///
    /// # Errors
    /// Key lookup errors; [`Error::KeyVersionNotFound`].
    pub fn describe_key_version(
        &self,
        key: &KeyRef,
        version_id: &str,
    ) -> Result<(KeyRecord, KeyVersion)> {
        let key = self.describe_key(key)?;
        let version = key
            .version(version_id)
            .cloned()
            .ok_or(Error::KeyVersionNotFound)?;
        Ok((key, version))
    }

    /// SetDeletionProtection: `Some(description)` protects the key from
    /// ScheduleKeyDeletion, `None` lifts the protection. A key pending deletion refuses.
    ///
    /// # Errors
    /// Key lookup errors; [`Error::StateChangeRefused`] while PendingDeletion.
    pub fn set_deletion_protection(
        &self,
        key: &KeyRef,
        protection: Option<String>,
    ) -> Result<KeyRecord> {
        let (key, ()) = self.update(key, |key, _| {
            if key.state == KeyState::PendingDeletion {
                return Err(Error::StateChangeRefused { state: key.state });
            }
            key.deletion_protection = protection.clone();
            Ok(())
        })?;
        Ok(key)
    }
}

/// Makes an EXTERNAL key's oldest pending material primary.
fn promote_pending(key: &mut KeyRecord, now: i64) -> Result<()> {
    let index = key.primary_index() + 1;
    let pending = key
        .versions
        .get_mut(index)
        .filter(|v| v.sealed_material.is_some())
        .ok_or_else(|| {
            Error::Unsupported(
                "no imported key material is pending rotation: import new key material (ImportType NEW_KEY_MATERIAL) first".into(),
            )
        })?;
    pending.rotation = Some(RotationKind::OnDemand);
    pending.created = now;
    key.primary_version = pending.id.clone();
    Ok(())
}
