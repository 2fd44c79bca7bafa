//! Seed files: keys with fixed IDs and known material, loaded at start-up (`--seed`) and
//! written back by `qkms export`, so that test fixtures (and ciphertexts committed beside
//! them) are reproducible.
//!
//! ```toml
//! [[keys]]
//! key_id = "00000000-0000-4000-8000-000000000001"
//! key_spec = "Aliyun_AES_256"        # or any spec CreateKey takes (RSA_2048, EC_SM2, HMAC_SHA_256, …)
//! key_usage = "ENCRYPT/DECRYPT"      # default: the spec's default usage
//! origin = "Aliyun_KMS"              # or EXTERNAL (AWS_KMS is Aliyun_KMS)
//! description = "fixture key"
//! state = "Enabled"                  # Enabled | Disabled | PendingDeletion | PendingImport
//! creation_date = "2024-01-01T00:00:00Z"
//! tags = { team = "qa" }
//! [[keys.versions]]                  # oldest first; the last one is primary
//! version_id = "00000000-0000-4000-8000-0000000000a1"
//! material_hex = "00112233…"         # or material_base64
//!
//! [[aliases]]
//! name = "alias/fixture"
//! key_id = "00000000-0000-4000-8000-000000000001"
//! ```
//!
//! Loading is idempotent: a key that exists with the same definition is left alone; one
//! that exists with a different definition is an error naming the key, never an overwrite.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};
#[cfg(test)]
use serde_json::Value;
use sha2::Digest as _;

use super::{Error, Kms, Result, Rules, StateAfterCancel};
use crate::clock::{iso8601, parse_iso8601};
use crate::crypto::SecretBytes;
use crate::model::{
    Alias, KeyRecord, KeyRef, KeySpec, KeyState, KeyUsage, KeyVersion, Origin, ProtectionLevel,
};
use crate::store::KeyStore as _;
use crate::store::StoreError;

/// A seed file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedFile {
    /// Keys.
    #[serde(default)]
    pub keys: Vec<SeedKey>,
    /// Aliases.
    #[serde(default)]
    pub aliases: Vec<SeedAlias>,
}

/// One key of a seed file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedKey {
    /// The fixed key ID.
    pub key_id: String,
    /// `Aliyun_AES_256` (default), `SYMMETRIC_DEFAULT`, or any other spec CreateKey
    /// takes, in the Aliyun spelling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_spec: Option<String>,
    /// The key usage (`ENCRYPT/DECRYPT`, `SIGN/VERIFY`, …); default: the spec's first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_usage: Option<String>,
    /// `Aliyun_KMS` (default; `AWS_KMS` is the same) or `EXTERNAL`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// State; default Enabled, or PendingImport for an EXTERNAL key without material.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// Creation date (RFC 3339); default 2024-01-01T00:00:00Z, so fixtures do not depend
    /// on when they were loaded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creation_date: Option<String>,
    /// When imported material expires (EXTERNAL keys with material).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub material_expire_time: Option<String>,
    /// When a PendingDeletion key is deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete_date: Option<String>,
    /// Tags.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    /// Versions, oldest first; the last is primary.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub versions: Vec<SeedVersion>,
}

/// One key version.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedVersion {
    /// The version ID; default derived from the key ID and the position.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    /// Creation date; default the key's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creation_date: Option<String>,
    /// Material in hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub material_hex: Option<String>,
    /// Material in base64.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub material_base64: Option<String>,
}

/// One alias.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedAlias {
    /// `alias/…`.
    pub name: String,
    /// Target key ID.
    pub key_id: String,
}

/// What loading a seed did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SeedReport {
    /// Keys created.
    pub created: usize,
    /// Keys already present with the same definition.
    pub unchanged: usize,
    /// Aliases created.
    pub aliases_created: usize,
}

/// The comment at the top of a seed file exported without material.
pub const EXPORT_WITHOUT_MATERIAL_NOTE: &str = "\
# Exported by qkms without --include-material: this file holds no key material.
# Loading it is refused for Aliyun_KMS keys (new random material would silently break
# every earlier ciphertext); EXTERNAL keys load as PendingImport, and importing the same
# material again restores them. To restore every key, export with --include-material.

";

/// A seed file states what it wants: no API's quota applies to it.
const SEED_RULES: Rules = Rules {
    after_cancel: StateAfterCancel::Enabled,
    frozen_when_pending_deletion: false,
    no_import_parameters_when_pending_deletion: false,
    max_tags: usize::MAX,
    max_aliases_per_key: None,
    rotation_needs_enabled: false,
};

/// Default creation date of seeded keys: 2024-01-01T00:00:00Z.
const DEFAULT_CREATED: i64 = 1_704_067_200;

fn conflict(key: &str, what: &str) -> Error {
    Error::invalid("Seed", format!("key {key}: {what}"))
}

fn time(key: &str, field: &str, value: Option<&str>) -> Result<Option<i64>> {
    value
        .map(|v| {
            parse_iso8601(v)
                .ok_or_else(|| conflict(key, &format!("{field} {v:?} is not an RFC 3339 time")))
        })
        .transpose()
}

/// A stable UUID-shaped version ID derived from the key ID and the version's position.
fn derived_version_id(key_id: &str, index: usize) -> String {
    let digest = sha2::Sha256::new()
        .chain_update(b"qkms seed version\0")
        .chain_update(key_id.as_bytes())
        .chain_update(index.to_be_bytes())
        .finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(digest.get(..16).unwrap_or(&[0; 16]));
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .hyphenated()
        .to_string()
}

/// A seeded version's material, decoded and checked against the key spec.
fn seed_material(id: &str, spec: KeySpec, v: &SeedVersion) -> Result<Option<SecretBytes>> {
    let material = match (&v.material_hex, &v.material_base64) {
        (Some(h), None) => Some(SecretBytes::new(
            hex::decode(h.trim()).map_err(|_| conflict(id, "material_hex is not hex"))?,
        )),
        (None, Some(b)) => {
            Some(SecretBytes::new(B64.decode(b.trim()).map_err(|_| {
                conflict(id, "material_base64 is not base64")
            })?))
        }
        (None, None) => None,
        (Some(_), Some(_)) => {
            return Err(conflict(
                id,
                "give material_hex or material_base64, not both",
            ));
        }
    };
    // Symmetric and HMAC material is the raw key; a key pair's is its PKCS #8 DER private
    // key, as `qkms export` writes it.
    match material {
        Some(m) => super::import::check_material(spec, m)
            .map(Some)
            .map_err(|_| conflict(id, &format!("material is not a {} key", spec.as_str()))),
        None => Ok(None),
    }
}

/// A seeded key's state, deletion date and material expiry, checked against each other.
fn seed_state(
    seed: &SeedKey,
    origin: Origin,
    has_material: bool,
) -> Result<(KeyState, Option<i64>, Option<i64>)> {
    let id = seed.key_id.as_str();
    let state = match seed.state.as_deref() {
        None if has_material => KeyState::Enabled,
        None => KeyState::PendingImport,
        Some(s) => {
            KeyState::parse(s).ok_or_else(|| conflict(id, &format!("unknown state {s:?}")))?
        }
    };
    if state == KeyState::PendingImport && (origin != Origin::External || has_material) {
        return Err(conflict(
            id,
            "PendingImport is for EXTERNAL keys without material",
        ));
    }
    if matches!(state, KeyState::Enabled | KeyState::Disabled) && !has_material {
        return Err(conflict(id, "an Enabled or Disabled key needs material"));
    }
    let delete_date = time(id, "delete_date", seed.delete_date.as_deref())?;
    if (state == KeyState::PendingDeletion) != delete_date.is_some() {
        return Err(conflict(
            id,
            "delete_date is given exactly for PendingDeletion keys",
        ));
    }
    let material_expire = time(
        id,
        "material_expire_time",
        seed.material_expire_time.as_deref(),
    )?;
    if material_expire.is_some() && (origin != Origin::External || !has_material) {
        return Err(conflict(
            id,
            "material_expire_time is for EXTERNAL keys with material",
        ));
    }
    Ok((state, delete_date, material_expire))
}

/// The definition of a key as a seed describes it, with material decoded.
struct Definition {
    record: KeyRecord,
    materials: Vec<Option<SecretBytes>>,
}

impl Kms {
    /// A seeded key's versions and their decoded material; a KMS key listed without
    /// versions gets one with fresh random material.
    fn seed_versions(
        &self,
        seed: &SeedKey,
        spec: KeySpec,
        origin: Origin,
        created: i64,
    ) -> Result<(Vec<KeyVersion>, Vec<Option<SecretBytes>>)> {
        let id = seed.key_id.as_str();
        let mut versions = Vec::new();
        let mut materials = Vec::new();
        for (i, v) in seed.versions.iter().enumerate() {
            materials.push(seed_material(id, spec, v)?);
            versions.push(KeyVersion::new(
                v.version_id
                    .clone()
                    .unwrap_or_else(|| derived_version_id(id, i)),
                time(id, "creation_date", v.creation_date.as_deref())?.unwrap_or(created),
            ));
        }
        if versions.is_empty() {
            versions.push(KeyVersion::new(derived_version_id(id, 0), created));
            materials.push(match origin {
                Origin::Kms => Some(self.new_material(spec)?),
                Origin::External => None,
            });
        }
        if origin == Origin::Kms && materials.iter().any(Option::is_none) {
            return Err(conflict(
                id,
                "every listed version of an Aliyun_KMS key needs material. A file that `qkms export` wrote without --include-material cannot restore keys: export again with --include-material, or delete the key's [[keys.versions]] to give it new random material (ciphertexts made before will not decrypt)",
            ));
        }
        if origin == Origin::External && versions.len() > 1 {
            return Err(conflict(id, "an EXTERNAL key has exactly one version"));
        }
        Ok((versions, materials))
    }

    fn definition(&self, seed: &SeedKey) -> Result<Definition> {
        let id = seed.key_id.as_str();
        if id.is_empty() || id.len() > 255 || id.contains(['/', ':']) {
            return Err(conflict(
                id,
                "key_id must be 1-255 characters without '/' or ':'",
            ));
        }
        let spec = match seed.key_spec.as_deref().unwrap_or("Aliyun_AES_256") {
            "SYMMETRIC_DEFAULT" => KeySpec::Aes256,
            s => {
                KeySpec::parse(s).ok_or_else(|| conflict(id, &format!("unknown key_spec {s:?}")))?
            }
        };
        let usage = match seed.key_usage.as_deref() {
            None => spec.usages()[0],
            Some(u) => KeyUsage::parse(u)
                .filter(|u| spec.usages().contains(u))
                .ok_or_else(|| conflict(id, &format!("key_usage {u:?} does not fit the spec")))?,
        };
        let origin = match seed.origin.as_deref().unwrap_or("Aliyun_KMS") {
            "AWS_KMS" => Origin::Kms,
            s => Origin::parse(s).ok_or_else(|| conflict(id, &format!("unknown origin {s:?}")))?,
        };
        let created =
            time(id, "creation_date", seed.creation_date.as_deref())?.unwrap_or(DEFAULT_CREATED);
        let (versions, materials) = self.seed_versions(seed, spec, origin, created)?;
        let has_material = materials.iter().any(Option::is_some);
        let (state, delete_date, material_expire) = seed_state(seed, origin, has_material)?;
        let primary_version = versions.last().map(|v| v.id.clone()).unwrap_or_default();
        let material_fingerprint = match (origin, materials.first()) {
            (Origin::External, Some(Some(m))) => Some(self.fingerprint(id, m)),
            _ => None,
        };
        Ok(Definition {
            record: KeyRecord {
                key_id: id.to_owned(),
                revision: 0,
                spec,
                usage,
                origin,
                protection_level: ProtectionLevel::Software,
                description: seed.description.clone().unwrap_or_default(),
                state,
                created,
                creator: self.settings.account_id.clone(),
                delete_date,
                material_expire,
                material_fingerprint,
                primary_version,
                versions,
                tags: seed.tags.clone(),
                rotation: None,
                deletion_protection: None,
                policy: None,
                grants: Vec::new(),
                pending_window_days: None,
                last_used: None,
            },
            materials,
        })
    }

    /// Compares an existing key with a seed definition; `Err` names the first difference.
    fn same_definition(&self, existing: &KeyRecord, def: &Definition) -> Result<()> {
        let want = &def.record;
        let id = &want.key_id;
        let fields = [
            ("key_spec", existing.spec != want.spec),
            ("key_usage", existing.usage != want.usage),
            ("origin", existing.origin != want.origin),
            ("description", existing.description != want.description),
            ("state", existing.state != want.state),
            ("creation_date", existing.created != want.created),
            ("tags", existing.tags != want.tags),
            ("delete_date", existing.delete_date != want.delete_date),
            (
                "material_expire_time",
                existing.material_expire != want.material_expire,
            ),
            ("versions", existing.versions.len() != want.versions.len()),
        ];
        if let Some((field, _)) = fields.iter().find(|(_, differs)| *differs) {
            return Err(conflict(
                id,
                &format!("exists with a different {field}; refusing to overwrite it"),
            ));
        }
        for ((have, want_v), want_m) in existing
            .versions
            .iter()
            .zip(&want.versions)
            .zip(&def.materials)
        {
            if have.id != want_v.id || have.created != want_v.created {
                return Err(conflict(
                    id,
                    "exists with different versions; refusing to overwrite it",
                ));
            }
            let have_m = self.open_material(id, have)?;
            let same = match (&have_m, want_m) {
                (Some(a), Some(b)) => a == b,
                (None, None) => true,
                // A seed that gives no material for a KMS key accepts whatever it has.
                (Some(_), None) => want.origin == Origin::Kms,
                (None, Some(_)) => false,
            };
            if !same {
                return Err(conflict(
                    id,
                    "exists with different key material; refusing to overwrite it",
                ));
            }
        }
        Ok(())
    }

    /// Loads a seed: creates what is missing, leaves what is identical, refuses conflicts.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the key for a malformed or conflicting definition
    /// (nothing of a conflicting key is written; keys before it in the file stay loaded).
    pub fn load_seed(&self, seed: &SeedFile) -> Result<SeedReport> {
        let mut report = SeedReport::default();
        // Check every key first, so a conflict leaves the store as it was.
        let mut pending = Vec::new();
        for key in &seed.keys {
            let def = self.definition(key)?;
            match self.store.get_key(&key.key_id)? {
                Some(existing) => {
                    self.same_definition(&existing, &def)?;
                    report.unchanged += 1;
                }
                None => pending.push(def),
            }
        }
        // Aliases too: a conflicting alias is refused before anything is written.
        for alias in &seed.aliases {
            if let Some(a) = self.store.get_alias(&alias.name)?
                && a.key_id != alias.key_id
            {
                return Err(Error::invalid(
                    "Seed",
                    format!(
                        "alias {} exists and points at {}, not {}",
                        alias.name, a.key_id, alias.key_id
                    ),
                ));
            }
        }
        for mut def in pending {
            let id = def.record.key_id.clone();
            for (v, m) in def.record.versions.iter_mut().zip(&def.materials) {
                if let Some(m) = m {
                    v.sealed_material = Some(self.seal_material(&id, &v.id, m)?);
                }
            }
            match self.store.create_key(&def.record) {
                Ok(()) => report.created += 1,
                Err(StoreError::Conflict) => return Err(conflict(&id, "was created concurrently")),
                Err(e) => return Err(e.into()),
            }
        }
        for alias in &seed.aliases {
            match self.store.get_alias(&alias.name)? {
                Some(a) if a.key_id == alias.key_id => {}
                Some(a) => {
                    return Err(Error::invalid(
                        "Seed",
                        format!(
                            "alias {} exists and points at {}, not {}",
                            alias.name, a.key_id, alias.key_id
                        ),
                    ));
                }
                None => {
                    self.create_alias(&alias.name, &KeyRef::Id(alias.key_id.clone()), &SEED_RULES)
                        .map_err(|e| {
                            Error::invalid("Seed", format!("alias {}: {e}", alias.name))
                        })?;
                    report.aliases_created += 1;
                }
            }
        }
        Ok(report)
    }

    /// The current state as a seed file; material only when `include_material`.
    ///
    /// # Errors
    /// Store failures.
    pub fn export_seed(&self, include_material: bool) -> Result<SeedFile> {
        let ids = self.store.list_keys("", 0, usize::MAX)?;
        let mut out = SeedFile::default();
        for key in self.existing_keys(ids.items)? {
            let mut versions = Vec::new();
            for v in &key.versions {
                let material = if include_material {
                    self.open_material(&key.key_id, v)?
                } else {
                    None
                };
                versions.push(SeedVersion {
                    version_id: Some(v.id.clone()),
                    creation_date: Some(iso8601(v.created)),
                    material_hex: material.map(|m| hex::encode(m.expose())),
                    material_base64: None,
                });
            }
            out.keys.push(SeedKey {
                key_id: key.key_id.clone(),
                key_spec: Some(key.spec.as_str().to_owned()),
                key_usage: Some(key.usage.as_str().to_owned()),
                origin: Some(key.origin.as_str().to_owned()),
                description: Some(key.description.clone()),
                // Without material an EXTERNAL key can only be re-seeded as PendingImport
                // (or PendingDeletion); a KMS key's versions are listed without material,
                // which loading refuses (see EXPORT_WITHOUT_MATERIAL_NOTE).
                state: Some(key.state.as_str().to_owned()).filter(|_| {
                    include_material
                        || key.origin == Origin::Kms
                        || matches!(
                            key.state,
                            KeyState::PendingDeletion | KeyState::PendingImport
                        )
                }),
                creation_date: Some(iso8601(key.created)),
                material_expire_time: key
                    .material_expire
                    .filter(|_| include_material)
                    .map(iso8601),
                delete_date: key.delete_date.map(iso8601),
                tags: key.tags.clone(),
                // The version IDs are kept either way: an EXTERNAL key whose material is
                // imported again then decrypts its old ciphertexts.
                versions,
            });
        }
        let aliases = self.store.list_aliases("", None, 0, usize::MAX)?;
        out.aliases = aliases
            .items
            .into_iter()
            .map(|a: Alias| SeedAlias {
                name: a.name,
                key_id: a.key_id,
            })
            .collect();
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::clock::{ControlledClock, Mode};
    use crate::model::EncryptionContext;
    use crate::store::MemoryStore;

    const EXAMPLE: &str = include_str!("../../examples/seed.toml");

    fn kms() -> Kms {
        crate::service::test_kms(
            Arc::new(MemoryStore::new()),
            Arc::new(ControlledClock::new(Mode::Fixed(1_750_000_000))),
        )
    }

    fn example() -> SeedFile {
        toml::from_str(EXAMPLE).unwrap()
    }

    #[test]
    fn example_loads_and_is_idempotent() {
        let kms = kms();
        let report = kms.load_seed(&example()).unwrap();
        assert_eq!(report.created, 4);
        assert_eq!(report.aliases_created, 2);
        let again = kms.load_seed(&example()).unwrap();
        assert_eq!(
            (again.created, again.unchanged, again.aliases_created),
            (0, 4, 0)
        );

        let rotated = kms
            .describe_key(&KeyRef::plain("alias/fixture-rotated"))
            .unwrap();
        assert_eq!(rotated.versions.len(), 2);
        assert_eq!(
            rotated.primary_version,
            "0a0a0a0a-0000-4000-8000-0000000000b2"
        );
        let ext = kms
            .describe_key(&KeyRef::plain("0a0a0a0a-0000-4000-8000-000000000003"))
            .unwrap();
        assert_eq!(ext.state, KeyState::Enabled);
        assert_eq!(ext.material_expire, parse_iso8601("2099-01-01T00:00:00Z"));
        let pending = kms
            .describe_key(&KeyRef::plain("0a0a0a0a-0000-4000-8000-000000000004"))
            .unwrap();
        assert_eq!(pending.state, KeyState::PendingImport);
        assert_eq!(
            kms.describe_key(&KeyRef::plain("alias/fixture"))
                .unwrap()
                .created,
            DEFAULT_CREATED
        );
    }

    /// Ciphertexts made once from examples/seed.toml and committed: they must decrypt on
    /// any server seeded with that file, for ever.
    #[test]
    fn committed_ciphertexts_decrypt() {
        let kms = kms();
        kms.load_seed(&example()).unwrap();
        let fixtures: Value =
            serde_json::from_str(include_str!("../../tests/vectors/seed-ciphertexts.json"))
                .unwrap();
        let cases = fixtures.as_array().unwrap();
        assert!(cases.len() >= 3);
        for case in cases {
            let blob = B64
                .decode(case["CiphertextBlob"].as_str().unwrap())
                .unwrap();
            let ctx: EncryptionContext =
                serde_json::from_value(case["EncryptionContext"].clone()).unwrap();
            let out = kms.decrypt(&blob, &ctx, None).unwrap();
            assert_eq!(
                out.plaintext.expose(),
                case["Plaintext"].as_str().unwrap().as_bytes()
            );
            assert_eq!(out.key_id, case["KeyId"].as_str().unwrap());
        }
    }

    #[test]
    fn a_conflicting_definition_is_refused_and_nothing_is_written() {
        let kms = kms();
        kms.load_seed(&example()).unwrap();
        for change in [
            |s: &mut SeedFile| s.keys[0].description = Some("changed".into()),
            |s: &mut SeedFile| s.keys[0].versions[0].material_hex = Some("ff".repeat(32)),
            |s: &mut SeedFile| s.keys[1].versions.pop().map(drop).unwrap_or(()),
            |s: &mut SeedFile| s.keys[2].state = Some("Disabled".into()),
            |s: &mut SeedFile| s.aliases[0].key_id = "0a0a0a0a-0000-4000-8000-000000000002".into(),
        ] {
            let mut seed = example();
            change(&mut seed);
            seed.keys.push(SeedKey {
                key_id: "new-key-after-the-conflict".into(),
                ..SeedKey::default()
            });
            let err = kms.load_seed(&seed).unwrap_err().to_string();
            assert!(
                err.contains("0a0a0a0a-0000-4000-8000-00000000000")
                    || err.contains("alias/fixture"),
                "{err}"
            );
        }
        // Keys are checked before any is written.
        assert!(
            kms.describe_key(&KeyRef::plain("new-key-after-the-conflict"))
                .is_err()
        );
        assert_eq!(
            kms.describe_key(&KeyRef::plain("alias/fixture"))
                .unwrap()
                .description,
            "fixture: KMS key with one version"
        );
    }

    /// The README's seed example is a file qkms loads.
    #[test]
    fn readme_seed_example_loads() {
        let readme = include_str!("../../README.md");
        let start = readme.find("### Seed files").unwrap();
        let block = readme[start..].split("```toml\n").nth(1).unwrap();
        let seed: SeedFile = toml::from_str(block.split("```").next().unwrap()).unwrap();
        let report = kms().load_seed(&seed).unwrap();
        assert_eq!((report.created, report.aliases_created), (3, 1));
    }

    #[test]
    fn malformed_definitions_are_refused() {
        let kms = kms();
        for bad in [
            r#"[[keys]]
key_id = "a"
key_spec = "RSA_2048"
[[keys.versions]]
material_hex = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff""#,
            r#"[[keys]]
key_id = "a"
key_spec = "EC_P256"
key_usage = "ENCRYPT/DECRYPT""#,
            r#"[[keys]]
key_id = "a"
[[keys.versions]]
material_hex = "0011""#,
            r#"[[keys]]
key_id = "a"
origin = "EXTERNAL"
state = "Enabled""#,
            r#"[[keys]]
key_id = "a"
state = "PendingDeletion""#,
            r#"[[keys]]
key_id = "a/b""#,
        ] {
            let seed: SeedFile = toml::from_str(bad).unwrap();
            assert!(kms.load_seed(&seed).is_err(), "{bad}");
        }
        assert!(toml::from_str::<SeedFile>("[[keys]]\nkey_id = \"a\"\ncolour = \"red\"").is_err());
    }

    #[test]
    fn export_then_reseed_round_trip() {
        let a = kms();
        a.load_seed(&example()).unwrap();
        let made = a
            .create_key(crate::service::CreateKeyInput {
                spec: KeySpec::Sm4,
                usage: KeyUsage::EncryptDecrypt,
                origin: Origin::Kms,
                protection_level: ProtectionLevel::Software,
                description: "made by hand".into(),
                enable_automatic_rotation: false,
                rotation_interval: None,
                tags: BTreeMap::new(),
                policy: None,
            })
            .unwrap();
        a.disable_key(&KeyRef::plain(&made.key_id)).unwrap();
        a.enable_key(&KeyRef::plain(&made.key_id)).unwrap();
        // A key pair round-trips too: its PKCS #8 private key is the material.
        let pair = a
            .create_key(crate::service::CreateKeyInput {
                spec: KeySpec::EcP256,
                usage: KeyUsage::SignVerify,
                origin: Origin::Kms,
                protection_level: ProtectionLevel::Software,
                description: "pair".into(),
                enable_automatic_rotation: false,
                rotation_interval: None,
                tags: BTreeMap::new(),
                policy: None,
            })
            .unwrap();
        let pair_ref = KeyRef::plain(&pair.key_id);
        let digest = [7u8; 32];
        let alg = crate::model::SigningAlgorithm::EcdsaSha256;
        let input = crate::service::SignInput::Digest(&digest);
        let signature = a.sign(&pair_ref, None, alg, input).unwrap().signature;
        let ct = a
            .encrypt(
                &KeyRef::plain(&made.key_id),
                b"round trip",
                &EncryptionContext::new(),
            )
            .unwrap();

        let exported = a.export_seed(true).unwrap();
        let text = toml::to_string_pretty(&exported).unwrap();
        let b = kms();
        b.load_seed(&toml::from_str(&text).unwrap()).unwrap();
        assert_eq!(
            b.decrypt(&ct.blob, &EncryptionContext::new(), None)
                .unwrap()
                .plaintext
                .expose(),
            b"round trip"
        );
        assert_eq!(b.export_seed(true).unwrap(), exported);
        assert!(
            b.verify(&pair_ref, None, alg, input, &signature)
                .unwrap()
                .valid
        );
        // Loading the export into the store it came from changes nothing.
        let report = a.load_seed(&exported).unwrap();
        assert_eq!(report.created, 0);

        // Without material: no material in the text, and loading it refuses to bring the
        // KMS keys back with new material (their old ciphertexts would fail silently).
        let bare = a.export_seed(false).unwrap();
        let bare_text = toml::to_string_pretty(&bare).unwrap();
        assert!(!bare_text.contains("material_hex"));
        let c = kms();
        let err = c.load_seed(&bare).unwrap_err().to_string();
        assert!(err.contains("--include-material"), "{err}");
        assert!(
            c.describe_key(&KeyRef::plain("alias/fixture")).is_err(),
            "nothing is loaded"
        );
        // EXTERNAL keys alone load as PendingImport with their version IDs, so importing
        // the same material again restores their old ciphertexts.
        let mut external = bare.clone();
        external
            .keys
            .retain(|k| k.origin.as_deref() == Some("EXTERNAL"));
        external.aliases.clear();
        assert!(!external.keys.is_empty());
        c.load_seed(&external).unwrap();
        for k in &external.keys {
            let loaded = c.describe_key(&KeyRef::plain(&k.key_id)).unwrap();
            assert!(!loaded.has_material());
            assert!(matches!(
                loaded.state,
                KeyState::PendingImport | KeyState::PendingDeletion
            ));
            assert_eq!(
                Some(&loaded.primary_version),
                k.versions.last().and_then(|v| v.version_id.as_ref())
            );
        }
    }
}
