//! Bring your own key: GetParametersForImport, ImportKeyMaterial, DeleteKeyMaterial.
//!
//! The import token is self-contained (layout in `crypto/token.rs`): a public header that
//! names the key it is for, the wrapping algorithm, the wrapping key spec and the expiry,
//! then the wrapping private key sealed (AES-256-GCM) under a key derived from the root key,
//! with the header in the associated data. So tokens survive restarts, are reusable for
//! their 24 hours, can be inspected without a secret, and a token issued for one key cannot
//! be used with another. New tokens are version 2; version 1 tokens (everything sealed)
//! still import, so an upgrade does not break an import in flight. Parsed wrapping keys are
//! cached by token.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use sha2::Digest as _;

use super::{Error, Kms, Result, Rules, WRAP_CACHE_MAX};
use crate::crypto::SecretBytes;
use crate::crypto::pool::PoolError;
use crate::crypto::token::{self, TokenHeader};
use crate::crypto::wrap::{WrappingAlgorithm, WrappingKey, WrappingKeySpec};
use crate::model::{KeyRecord, KeyRef, KeySpec, KeyState, Origin};
use crate::store::KeyStore as _;

/// How long an import token (and its public key) is valid: 24 hours.
pub const TOKEN_LIFETIME: i64 = 24 * 3600;

/// Result of GetParametersForImport.
#[derive(Debug, Clone)]
pub struct ImportParameters {
    /// The key the parameters are for.
    pub key_id: String,
    /// DER SubjectPublicKeyInfo of the wrapping key.
    pub public_key: Vec<u8>,
    /// The token (base64): a public header, then the sealed wrapping key (`crypto/token.rs`).
    pub import_token: String,
    /// When token and public key stop being valid, epoch seconds.
    pub token_expire: i64,
}

/// Which material an import brings (AWS `ImportType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportType {
    /// New material when the key never had any, else material it already has (the
    /// default, and the only kind the Aliyun API knows).
    Auto,
    /// Material the key has never had: the first, or one that waits after the primary
    /// until an on-demand rotation makes it primary.
    New,
    /// Material the key already has (to restore it or reset its expiry).
    Existing,
}

/// An import's options beyond token and material.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// When the material expires; `None` = never.
    pub expire: Option<i64>,
    /// The material the caller says it brings, by its ID (fingerprint).
    pub material_id: Option<String>,
    /// A description of the material (AWS `KeyMaterialDescription`).
    pub description: Option<String>,
}

/// Which material DeleteKeyMaterial erases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MaterialSelector {
    /// Every version's (the Aliyun API: one material per key).
    All,
    /// The primary version's.
    Current,
    /// The version bound to this material ID.
    Id(String),
}

struct Token {
    key_id: String,
    algorithm: WrappingAlgorithm,
    expires: i64,
    wrapping_key: WrappingKey,
}

/// Checks imported (or seeded) material against the key spec: the raw key of a
/// symmetric or HMAC spec, the PKCS #8 private key of a key pair.
pub(crate) fn check_material(spec: KeySpec, material: SecretBytes) -> Result<SecretBytes> {
    match spec.import_len() {
        Some((min, max)) if (min..=max).contains(&material.len()) => Ok(material),
        Some(_) => Err(Error::InvalidKeyMaterial),
        None => crate::crypto::asym::check_private(spec, material.expose())
            .map_err(|_| Error::InvalidKeyMaterial),
    }
}

fn require_external(key: &KeyRecord) -> Result<()> {
    if key.origin == Origin::External {
        Ok(())
    } else {
        Err(Error::UnsupportedOrigin { origin: key.origin })
    }
}

impl Kms {
    /// GetParametersForImport: a new wrapping key of `spec` and a token bound to the key,
    /// valid 24 hours. EXTERNAL keys only; allowed in every state, but PendingDeletion where
    /// `rules` say so.
    ///
    /// # Errors
    /// Key lookup errors, [`Error::UnsupportedOrigin`], [`Error::StateChangeRefused`],
    /// [`Error::Throttled`] when too many wrapping keys are being generated.
    pub fn get_parameters_for_import(
        &self,
        key: &KeyRef,
        algorithm: WrappingAlgorithm,
        spec: WrappingKeySpec,
        rules: &Rules,
    ) -> Result<ImportParameters> {
        if !algorithm.pairs_with(spec) {
            return Err(Error::invalid(
                "WrappingAlgorithm",
                format!(
                    "{} does not go with WrappingKeySpec {}: SM2PKE goes only with EC_SM2, and EC_SM2 only with SM2PKE",
                    algorithm.as_str(),
                    spec.as_str()
                ),
            ));
        }
        let key = self.load(key)?;
        require_external(&key)?;
        if rules.no_import_parameters_when_pending_deletion
            && key.state == KeyState::PendingDeletion
        {
            return Err(Error::StateChangeRefused { state: key.state });
        }
        let wrapping_key = if self.settings.deterministic {
            self.pool.generate(spec, || {
                WrappingKey::generate_from(spec, self.entropy.as_ref())
            })
        } else {
            self.pool.take_spec(spec)
        };
        let wrapping_key = wrapping_key.map_err(|e| match e {
            PoolError::Busy => Error::Throttled,
            PoolError::Failed => Error::internal(e),
        })?;
        let public_key = wrapping_key.public_key_spki().map_err(Error::internal)?;
        let pkcs8 = wrapping_key.to_pkcs8().map_err(Error::internal)?;
        // Near the end of the clock's range the token simply lasts until its end.
        let now = self.now();
        let expires = crate::clock::later(now, TOKEN_LIFETIME).unwrap_or(crate::clock::MAX_TIME);

        let header = TokenHeader {
            key_id: key.key_id.clone(),
            algorithm,
            spec,
            expires,
        };
        let sealed = token::seal(&self.token_key, self.entropy.as_ref(), &header, &pkcs8)
            .map_err(|_| Error::internal("could not seal an import token for this key ID"))?;
        let import_token = B64.encode(&sealed);
        self.cache_wrapping_key(&import_token, wrapping_key);
        Ok(ImportParameters {
            key_id: key.key_id,
            public_key,
            import_token,
            token_expire: expires,
        })
    }

    fn token_cache_key(token: &str) -> Vec<u8> {
        sha2::Sha256::digest(token.as_bytes()).to_vec()
    }

    fn cache_wrapping_key(&self, token: &str, key: WrappingKey) {
        if let Ok(mut cache) = self.wrap_cache.lock() {
            if cache.len() >= WRAP_CACHE_MAX {
                cache.clear();
            }
            cache.insert(Self::token_cache_key(token), key);
        }
    }

    /// Opens and checks a token of either version; never reveals why beyond "invalid".
    fn open_token(&self, token: &str) -> Result<Token> {
        let raw = B64
            .decode(token.trim())
            .map_err(|_| Error::InvalidImportToken)?;
        // Authenticate first, always: the cache is only consulted for a genuine token.
        let opened = token::open(&self.token_key, &raw).map_err(|_| Error::InvalidImportToken)?;
        let cached = self
            .wrap_cache
            .lock()
            .ok()
            .and_then(|c| c.get(&Self::token_cache_key(token)).cloned());
        let wrapping_key = match cached {
            Some(k) => k,
            None => {
                let k = WrappingKey::from_pkcs8(opened.private_key.expose())
                    .map_err(|_| Error::InvalidImportToken)?;
                self.cache_wrapping_key(token, k.clone());
                k
            }
        };
        // A v2 header states the key's size; a key of another size was not issued with it.
        if opened
            .spec
            .is_some_and(|spec| wrapping_key.spec() != Some(spec))
        {
            return Err(Error::InvalidImportToken);
        }
        Ok(Token {
            key_id: opened.key_id,
            algorithm: opened.algorithm,
            expires: opened.expires,
            wrapping_key,
        })
    }

    /// ImportKeyMaterial. The first import binds the key to its material for ever; later
    /// imports must bring the same bytes (to reset the expiry or restore erased material),
    /// and, with `material_id`, must name the bound material by its fingerprint. A
    /// PendingImport key becomes Enabled; Enabled and Disabled keys keep their state.
    ///
    /// # Errors
    /// [`Error::UnsupportedOrigin`], [`Error::StateChangeRefused`] (PendingDeletion),
    /// [`Error::InvalidImportToken`], [`Error::ExpiredImportToken`],
    /// [`Error::InvalidKeyMaterial`], [`Error::InvalidParameter`] for an expiry in the past.
    pub fn import_key_material(
        &self,
        key: &KeyRef,
        import_token: &str,
        encrypted_material: &[u8],
        kind: ImportType,
        options: &ImportOptions,
    ) -> Result<(KeyRecord, String)> {
        let (expire, material_id) = (options.expire, options.material_id.as_deref());
        let now = self.now();
        // An expiry at the current second would import material that is already expired:
        // the expiry must be later than the server time.
        if expire.is_some_and(|t| t <= now) {
            return Err(Error::invalid(
                "KeyMaterialExpireUnix",
                "the expiry time must be later than the server time",
            ));
        }
        let key = self.load(key)?;
        require_external(&key)?;
        if material_id.is_some_and(|given| key.version_of_material(given).is_none()) {
            return Err(Error::InvalidKeyMaterial);
        }
        if key.state == KeyState::PendingDeletion {
            return Err(Error::StateChangeRefused { state: key.state });
        }
        let token = self.open_token(import_token)?;
        if token.key_id != key.key_id {
            return Err(Error::InvalidImportToken);
        }
        if now >= token.expires {
            return Err(Error::ExpiredImportToken);
        }
        let material = token
            .wrapping_key
            .unwrap(token.algorithm, encrypted_material)
            .map_err(|_| Error::UnwrapFailed)?;
        let material = check_material(key.spec, material)?;
        let fingerprint = self.fingerprint(&key.key_id, &material);
        if material_id.is_some_and(|given| given != fingerprint) {
            return Err(Error::InvalidKeyMaterial);
        }
        let (key, ()) = self.update(&KeyRef::Id(key.key_id), |key, now| {
            self.apply_import(key, &material, &fingerprint, kind, options, now)
        })?;
        tracing::info!(key_id = %key.key_id, "key material imported");
        Ok((key, fingerprint))
    }

    /// Puts the material into the version it belongs to: the first version when the key
    /// never had any, a new pending version for NEW material, else the version already
    /// bound to it.
    fn apply_import(
        &self,
        key: &mut KeyRecord,
        material: &SecretBytes,
        fingerprint: &str,
        kind: ImportType,
        options: &ImportOptions,
        now: i64,
    ) -> Result<()> {
        if key.state == KeyState::PendingDeletion {
            return Err(Error::StateChangeRefused { state: key.state });
        }
        let bound = (0..key.versions.len()).any(|i| key.version_fingerprint(i).is_some());
        let index = match (kind, bound) {
            (ImportType::Existing, false) => return Err(Error::InvalidKeyMaterial),
            (ImportType::Auto | ImportType::New, false) => {
                key.material_fingerprint = Some(fingerprint.to_owned());
                key.primary_index()
            }
            (ImportType::Auto | ImportType::Existing, true) => key
                .version_of_material(fingerprint)
                .ok_or(Error::InvalidKeyMaterial)?,
            (ImportType::New, true) => self.add_pending_version(key, fingerprint, now)?,
        };
        let key_id = key.key_id.clone();
        let version = key
            .versions
            .get_mut(index)
            .ok_or_else(|| Error::internal("external key without a version"))?;
        version.sealed_material = Some(self.seal_material(&key_id, &version.id, material)?);
        version.material_fingerprint = Some(fingerprint.to_owned());
        if options.description.is_some() {
            version
                .material_description
                .clone_from(&options.description);
        }
        key.material_expire = options.expire;
        if key.state == KeyState::PendingImport && key.primary_has_material() {
            key.state = KeyState::Enabled;
        }
        Ok(())
    }

    /// Appends a version for new material, to become primary on the next on-demand
    /// rotation. One may wait at a time.
    fn add_pending_version(
        &self,
        key: &mut KeyRecord,
        fingerprint: &str,
        now: i64,
    ) -> Result<usize> {
        if key.version_of_material(fingerprint).is_some() {
            return Err(Error::InvalidKeyMaterial);
        }
        if !key.pending_versions().is_empty() {
            return Err(Error::Unsupported(
                "new key material is already pending rotation: rotate the key on demand, or delete that material, first".into(),
            ));
        }
        key.versions
            .push(crate::model::KeyVersion::new(self.new_uuid()?, now));
        Ok(key.versions.len() - 1)
    }

    /// DeleteKeyMaterial: erases the chosen material; without its primary material the key
    /// goes to PendingImport (a PendingDeletion key stays PendingDeletion). Allowed in every
    /// state; EXTERNAL only.
    ///
    /// # Errors
    /// Key lookup errors, [`Error::UnsupportedOrigin`].
    pub fn delete_key_material(&self, key: &KeyRef, which: &MaterialSelector) -> Result<KeyRecord> {
        let key = self.load(key)?;
        require_external(&key)?;
        let (key, ()) = self.update(&KeyRef::Id(key.key_id), |key, _| {
            let primary = key.primary_index();
            let chosen: Vec<usize> = match which {
                MaterialSelector::All => (0..key.versions.len()).collect(),
                MaterialSelector::Current => vec![primary],
                MaterialSelector::Id(id) => {
                    vec![
                        key.version_of_material(id)
                            .ok_or(Error::InvalidKeyMaterial)?,
                    ]
                }
            };
            for i in chosen {
                if let Some(v) = key.versions.get_mut(i) {
                    v.sealed_material = None;
                }
            }
            if !key.has_material() {
                key.material_expire = None;
            }
            if !key.primary_has_material() && key.state != KeyState::PendingDeletion {
                key.state = KeyState::PendingImport;
            }
            Ok(())
        })?;
        // `update` scrubbed the store before answering when there was material to erase;
        // scrub anyway (cheap), in case an earlier erasure's scrub failed.
        self.store.scrub()?;
        tracing::info!(key_id = %key.key_id, "key material deleted");
        Ok(key)
    }
}
