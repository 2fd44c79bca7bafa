//! Cryptographic operations: Encrypt, Decrypt, GenerateDataKey(WithoutPlaintext).
//!
//! The blob's header (naming the key and version) and the encryption context are the
//! AEAD's associated data, so a ciphertext made under one key never decrypts as another,
//! even when both hold the same imported material.

use super::model::{EncryptionContext, KeyRecord, KeyState};
use super::{CachedKey, Error, Kms, Result};
use crate::crypto::SecretBytes;
use crate::crypto::aead::NONCE_LEN;
use crate::crypto::blob::CiphertextBlob;

/// Largest plaintext Encrypt accepts, in bytes.
pub const MAX_PLAINTEXT: usize = 6144;
/// Largest data key, in bytes.
pub const MAX_DATA_KEY: usize = 1024;

/// Result of Encrypt.
#[derive(Debug, Clone)]
pub struct Encrypted {
    /// The key that encrypted.
    pub key_id: String,
    /// The version that encrypted.
    pub key_version_id: String,
    /// The encoded blob.
    pub blob: Vec<u8>,
}

/// Result of Decrypt.
#[derive(Debug, Clone)]
pub struct Decrypted {
    /// The key that decrypted.
    pub key_id: String,
    /// Its version.
    pub key_version_id: String,
    /// The plaintext.
    pub plaintext: SecretBytes,
}

/// Result of GenerateDataKey.
#[derive(Debug, Clone)]
pub struct DataKey {
    /// The data key, encrypted.
    pub encrypted: Encrypted,
    /// The data key in the clear.
    pub plaintext: SecretBytes,
}

/// Associated data: blob header, then the context as length-prefixed pairs in key order.
fn aad(header: &[u8], context: &EncryptionContext) -> Vec<u8> {
    let mut out = Vec::with_capacity(header.len() + 16);
    out.extend_from_slice(header);
    for (k, v) in context {
        for s in [k, v] {
            out.extend_from_slice(&u32::try_from(s.len()).unwrap_or(u32::MAX).to_be_bytes());
            out.extend_from_slice(s.as_bytes());
        }
    }
    out
}

/// Refuses keys that cannot do cryptography now.
fn usable(key: &KeyRecord) -> Result<()> {
    match key.state {
        KeyState::Enabled => Ok(()),
        s => Err(Error::KeyUnusable(s)),
    }
}

impl Kms {
    /// Encrypt.
    ///
    /// # Errors
    /// Key lookup errors, [`Error::KeyUnusable`], [`Error::InvalidParameter`] for a
    /// plaintext outside 1–6144 bytes.
    pub fn encrypt(
        &self,
        reference: &str,
        plaintext: &[u8],
        context: &EncryptionContext,
    ) -> Result<Encrypted> {
        if plaintext.is_empty() || plaintext.len() > MAX_PLAINTEXT {
            return Err(Error::invalid(
                "Plaintext",
                "must decode to 1 to 6144 bytes",
            ));
        }
        let key = self.cached(&self.resolve_id(reference)?)?;
        self.encrypt_with(&key, plaintext, context)
    }

    fn encrypt_with(
        &self,
        key: &CachedKey,
        plaintext: &[u8],
        context: &EncryptionContext,
    ) -> Result<Encrypted> {
        let record = &key.record;
        usable(record)?;
        let version = &record.primary_version;
        let material = key
            .materials
            .get(version)
            .ok_or(Error::KeyUnusable(KeyState::PendingImport))?;
        let aead = record.spec.aead();
        let header = CiphertextBlob::header(aead, &record.key_id, version)
            .map_err(|_| Error::Internal("key or version ID too long for a blob".into()))?;
        let mut nonce = [0u8; NONCE_LEN];
        self.random(&mut nonce)?;
        let ciphertext_and_tag = aead
            .seal(material, &nonce, &aad(&header, context), plaintext)
            .map_err(|_| Error::Internal("stored material has the wrong length".into()))?;
        let mut blob = header;
        blob.reserve(NONCE_LEN + ciphertext_and_tag.len());
        blob.extend_from_slice(&nonce);
        blob.extend_from_slice(&ciphertext_and_tag);
        Ok(Encrypted {
            key_id: record.key_id.clone(),
            key_version_id: version.clone(),
            blob,
        })
    }

    /// Decrypt: the blob names the key and version.
    ///
    /// # Errors
    /// [`Error::InvalidCiphertext`] for a malformed or inauthentic blob (wrong context
    /// included), [`Error::KeyNotFound`], [`Error::KeyUnusable`].
    pub fn decrypt(&self, blob: &[u8], context: &EncryptionContext) -> Result<Decrypted> {
        let (parsed, header_len) =
            CiphertextBlob::decode(blob).map_err(|_| Error::InvalidCiphertext)?;
        let key = self.cached(&parsed.key_id)?;
        let record = &key.record;
        usable(record)?;
        if record.spec.aead() != parsed.aead || record.version(&parsed.key_version_id).is_none() {
            return Err(Error::InvalidCiphertext);
        }
        let material = key
            .materials
            .get(&parsed.key_version_id)
            .ok_or(Error::KeyUnusable(KeyState::PendingImport))?;
        let header = blob.get(..header_len).ok_or(Error::InvalidCiphertext)?;
        let plaintext = parsed
            .aead
            .open(
                material,
                &parsed.nonce,
                &aad(header, context),
                &parsed.ciphertext_and_tag,
            )
            .map_err(|_| Error::InvalidCiphertext)?;
        Ok(Decrypted {
            key_id: record.key_id.clone(),
            key_version_id: parsed.key_version_id,
            plaintext,
        })
    }

    /// GenerateDataKey / GenerateDataKeyWithoutPlaintext: `number_of_bytes` random bytes,
    /// returned in the clear and encrypted under the key.
    ///
    /// # Errors
    /// As [`Kms::encrypt`]; [`Error::InvalidParameter`] outside 1–1024 bytes.
    pub fn generate_data_key(
        &self,
        reference: &str,
        number_of_bytes: usize,
        context: &EncryptionContext,
    ) -> Result<DataKey> {
        if number_of_bytes == 0 || number_of_bytes > MAX_DATA_KEY {
            return Err(Error::invalid("NumberOfBytes", "must be 1 to 1024"));
        }
        let key = self.cached(&self.resolve_id(reference)?)?;
        usable(&key.record)?;
        let mut plaintext = SecretBytes::new(vec![0u8; number_of_bytes]);
        self.random_secret(&mut plaintext)?;
        let encrypted = self.encrypt_with(&key, plaintext.expose(), context)?;
        Ok(DataKey {
            encrypted,
            plaintext,
        })
    }
}
