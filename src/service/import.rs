//! Bring your own key: GetParametersForImport, ImportKeyMaterial, DeleteKeyMaterial.
//!
//! The import token is self-contained: the wrapping private key, the key it is for, the
//! algorithm and the expiry, sealed (AES-256-GCM) under a key derived from the root key.
//! So tokens survive restarts, are reusable for their 24 hours, and a token issued for one
//! key cannot be used with another. Parsed wrapping keys are cached by token.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use sha2::Digest as _;

use super::{Error, Kms, Result, Rules, WRAP_CACHE_MAX};
use crate::crypto::SecretBytes;
use crate::crypto::pool::PoolError;
use crate::crypto::root::{open_with, seal_with};
use crate::crypto::wrap::{WrappingAlgorithm, WrappingKey, WrappingKeySpec};
use crate::model::{KeyRecord, KeyRef, KeyState, Origin};

/// How long an import token (and its public key) is valid: 24 hours.
pub const TOKEN_LIFETIME: i64 = 24 * 3600;
/// Version byte of the token layout. NEVER change; add a new version instead.
const TOKEN_V1: u8 = 1;
const TOKEN_AAD: &[u8] = b"qkms import token v1";

/// Result of GetParametersForImport.
#[derive(Debug, Clone)]
pub struct ImportParameters {
    /// The key the parameters are for.
    pub key_id: String,
    /// DER SubjectPublicKeyInfo of the RSA-2048 wrapping key.
    pub public_key: Vec<u8>,
    /// The opaque token (base64).
    pub import_token: String,
    /// When token and public key stop being valid, epoch seconds.
    pub token_expire: i64,
}

struct Token {
    key_id: String,
    algorithm: WrappingAlgorithm,
    expires: i64,
    wrapping_key: WrappingKey,
}

fn algorithm_byte(a: WrappingAlgorithm) -> u8 {
    match a {
        WrappingAlgorithm::RsaesPkcs1V15 => 1,
        WrappingAlgorithm::RsaesOaepSha1 => 2,
        WrappingAlgorithm::RsaesOaepSha256 => 3,
        WrappingAlgorithm::RsaAesKeyWrapSha1 => 4,
        WrappingAlgorithm::RsaAesKeyWrapSha256 => 5,
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

        let id = key.key_id.as_bytes();
        let id_len = u8::try_from(id.len()).map_err(|_| Error::internal("key ID too long"))?;
        let mut payload = zeroize::Zeroizing::new(Vec::with_capacity(11 + id.len() + pkcs8.len()));
        payload.push(TOKEN_V1);
        payload.extend_from_slice(&expires.to_be_bytes());
        payload.push(algorithm_byte(algorithm));
        payload.push(id_len);
        payload.extend_from_slice(id);
        payload.extend_from_slice(pkcs8.expose());
        let sealed = seal_with(&self.token_key, self.entropy.as_ref(), TOKEN_AAD, &payload)
            .map_err(Error::internal)?;
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

    /// Opens and checks a token; never reveals why beyond "invalid".
    fn open_token(&self, token: &str) -> Result<Token> {
        let raw = B64
            .decode(token.trim())
            .map_err(|_| Error::InvalidImportToken)?;
        let payload =
            open_with(&self.token_key, TOKEN_AAD, &raw).map_err(|_| Error::InvalidImportToken)?;
        let bytes = payload.expose();
        let (&version, rest) = bytes.split_first().ok_or(Error::InvalidImportToken)?;
        if version != TOKEN_V1 {
            return Err(Error::InvalidImportToken);
        }
        let (exp, rest) = rest.split_at_checked(8).ok_or(Error::InvalidImportToken)?;
        let expires = i64::from_be_bytes(exp.try_into().map_err(|_| Error::InvalidImportToken)?);
        let (&alg, rest) = rest.split_first().ok_or(Error::InvalidImportToken)?;
        let algorithm = match alg {
            1 => WrappingAlgorithm::RsaesPkcs1V15,
            2 => WrappingAlgorithm::RsaesOaepSha1,
            3 => WrappingAlgorithm::RsaesOaepSha256,
            4 => WrappingAlgorithm::RsaAesKeyWrapSha1,
            5 => WrappingAlgorithm::RsaAesKeyWrapSha256,
            _ => return Err(Error::InvalidImportToken),
        };
        let (&id_len, rest) = rest.split_first().ok_or(Error::InvalidImportToken)?;
        let (id, pkcs8) = rest
            .split_at_checked(usize::from(id_len))
            .ok_or(Error::InvalidImportToken)?;
        let key_id = std::str::from_utf8(id)
            .map_err(|_| Error::InvalidImportToken)?
            .to_owned();
        let cached = self
            .wrap_cache
            .lock()
            .ok()
            .and_then(|c| c.get(&Self::token_cache_key(token)).cloned());
        let wrapping_key = match cached {
            Some(k) => k,
            None => {
                let k = WrappingKey::from_pkcs8(pkcs8).map_err(|_| Error::InvalidImportToken)?;
                self.cache_wrapping_key(token, k.clone());
                k
            }
        };
        Ok(Token {
            key_id,
            algorithm,
            expires,
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
        expire: Option<i64>,
        material_id: Option<&str>,
    ) -> Result<KeyRecord> {
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
        if let (Some(given), Some(bound)) = (material_id, &key.material_fingerprint)
            && given != bound
        {
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
        if material.len() != key.spec.material_len() {
            return Err(Error::InvalidKeyMaterial);
        }
        let fingerprint = self.fingerprint(&key.key_id, &material);
        let (key, ()) = self.update(&KeyRef::Id(key.key_id), |key, _| {
            self.apply_import(key, &material, &fingerprint, expire)
        })?;
        tracing::info!(key_id = %key.key_id, "key material imported");
        Ok(key)
    }

    fn apply_import(
        &self,
        key: &mut KeyRecord,
        material: &SecretBytes,
        fingerprint: &str,
        expire: Option<i64>,
    ) -> Result<()> {
        if key.state == KeyState::PendingDeletion {
            return Err(Error::StateChangeRefused { state: key.state });
        }
        match &key.material_fingerprint {
            Some(bound) => {
                let same: bool =
                    subtle::ConstantTimeEq::ct_eq(bound.as_bytes(), fingerprint.as_bytes()).into();
                if !same {
                    return Err(Error::InvalidKeyMaterial);
                }
            }
            None => key.material_fingerprint = Some(fingerprint.to_owned()),
        }
        let key_id = key.key_id.clone();
        let primary = key.primary_version.clone();
        let version = key
            .versions
            .iter_mut()
            .find(|v| v.id == primary)
            .ok_or_else(|| Error::internal("external key without a version"))?;
        version.sealed_material = Some(self.seal_material(&key_id, &primary, material)?);
        key.material_expire = expire;
        if key.state == KeyState::PendingImport {
            key.state = KeyState::Enabled;
        }
        Ok(())
    }

    /// DeleteKeyMaterial: erases the material; the key goes to PendingImport (a
    /// PendingDeletion key stays PendingDeletion). Allowed in every state; EXTERNAL only.
    ///
    /// # Errors
    /// Key lookup errors, [`Error::UnsupportedOrigin`].
    pub fn delete_key_material(&self, key: &KeyRef) -> Result<KeyRecord> {
        let key = self.load(key)?;
        require_external(&key)?;
        let (key, ()) = self.update(&KeyRef::Id(key.key_id), |key, _| {
            for v in &mut key.versions {
                v.sealed_material = None;
            }
            key.material_expire = None;
            if key.state != KeyState::PendingDeletion {
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
