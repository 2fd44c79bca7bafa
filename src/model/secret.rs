//! Secrets as the store keeps them: a named secret with metadata and versions, each version's
//! value sealed under a KMS key (envelope encryption, done by the service). Stage labels are
//! neutral: each protocol maps its own system labels (`ACSCurrent`, `AWSCURRENT`, …) onto
//! [`Stage`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::enums::{closed_enum, serde_by_name};

closed_enum!(
    /// What a version's value is.
    pub enum SecretDataType {
        /// Text (Aliyun `text`, AWS `SecretString`).
        Text = "text",
        /// Binary (Aliyun `binary`, AWS `SecretBinary`), kept as base64 text.
        Binary = "binary",
    }
);
serde_by_name!(SecretDataType);

/// A stage label on a version.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// The current value (`ACSCurrent`, `AWSCURRENT`).
    Current,
    /// The value before it (`ACSPrevious`, `AWSPREVIOUS`).
    Previous,
    /// A value being rotated in (`AWSPENDING`; an ordinary label in Aliyun's view).
    Pending,
    /// Any other label, verbatim.
    Custom(String),
}

impl Stage {
    /// True for the labels the service moves by itself ([`Stage::Current`] and
    /// [`Stage::Previous`]).
    #[must_use]
    pub fn is_system(&self) -> bool {
        matches!(self, Self::Current | Self::Previous)
    }
}

/// A value sealed by envelope encryption.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealedValue {
    /// The data key, as a KMS ciphertext blob under the version's key (base64).
    pub data_key: String,
    /// Nonce, ciphertext and tag of the value under the data key (base64).
    pub ciphertext: String,
}

/// One version of a secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretVersion {
    /// Version ID (the caller's, or a UUID).
    pub id: String,
    /// Creation time, epoch seconds.
    pub created: i64,
    /// Its labels (a label is on at most one version of a secret).
    #[serde(default)]
    pub stages: Vec<Stage>,
    /// Text or binary.
    pub data_type: SecretDataType,
    /// The KMS key that protects it.
    pub key_id: String,
    /// The sealed value.
    pub sealed: SealedValue,
    /// A keyed fingerprint of type and value, so a repeated write with the same version ID
    /// is recognised without opening anything.
    pub fingerprint: String,
}

impl SecretVersion {
    /// Whether it carries `stage`.
    #[must_use]
    pub fn has(&self, stage: &Stage) -> bool {
        self.stages.contains(stage)
    }
}

/// Automatic rotation of a secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretRotation {
    /// Whether rotations happen on the clock.
    pub enabled: bool,
    /// Seconds between rotations.
    pub interval: i64,
    /// When the next rotation is due, epoch seconds.
    pub next: i64,
    /// The rotation function the caller named (AWS `RotationLambdaARN`); qkms plays it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function: Option<String>,
    /// The schedule as the caller wrote it (AWS `ScheduleExpression`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expression: Option<String>,
}

/// A secret as the store keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretRecord {
    /// The name, unique in the store.
    pub name: String,
    /// Store revision for compare-and-swap updates; maintained by the store.
    #[serde(skip)]
    pub revision: u64,
    /// Six random characters that end its AWS ARN (AWS's own scheme, so that a secret made
    /// again under an old name gets another ARN).
    pub arn_suffix: String,
    /// Free text.
    #[serde(default)]
    pub description: String,
    /// The KMS key new versions are sealed under; `None` = the service-managed default key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    /// Creation time, epoch seconds.
    pub created: i64,
    /// Last change of metadata or value, epoch seconds.
    pub updated: i64,
    /// Tags.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    /// The resource policy exactly as set; `None` = none set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    /// Aliyun `ExtendedConfig` (a JSON object), as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extended_config: Option<String>,
    /// Rotation settings, once set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotation: Option<SecretRotation>,
    /// The last rotation, epoch seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_rotated: Option<i64>,
    /// While pending deletion: when the secret goes, epoch seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete_date: Option<i64>,
    /// Versions, oldest first.
    #[serde(default)]
    pub versions: Vec<SecretVersion>,
}

impl SecretRecord {
    /// The next time something is due on it (the end of its deletion window, or an
    /// automatic rotation), for the sweeper.
    #[must_use]
    pub fn due_at(&self) -> Option<i64> {
        if self.delete_date.is_some() {
            return self.delete_date;
        }
        self.rotation.as_ref().filter(|r| r.enabled).map(|r| r.next)
    }

    /// The version with `id`.
    #[must_use]
    pub fn version(&self, id: &str) -> Option<&SecretVersion> {
        self.versions.iter().find(|v| v.id == id)
    }

    /// The version carrying `stage`.
    #[must_use]
    pub fn staged(&self, stage: &Stage) -> Option<&SecretVersion> {
        self.versions.iter().find(|v| v.has(stage))
    }
}
