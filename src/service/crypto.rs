//! Cryptographic operations: Encrypt, Decrypt, ReEncrypt, GenerateDataKey(WithoutPlaintext).
//!
//! The blob's header (naming the key and version) and the encryption context are the
//! AEAD's associated data, so a ciphertext made under one key never decrypts as another,
//! even when both hold the same imported material.

use super::{CachedKey, Error, Kms, Result, Unusable};
use crate::crypto::SecretBytes;
use crate::crypto::aead::{Aead, NONCE_LEN};
use crate::crypto::blob::CiphertextBlob;
use crate::model::{
    AsymmetricAlgorithm, EncryptionContext, KeyRecord, KeyRef, KeyState, UseOperation,
};

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
pub(super) fn usable(key: &KeyRecord) -> Result<()> {
    match key.state {
        KeyState::Enabled => Ok(()),
        KeyState::Disabled => Err(Error::Unusable(Unusable::Disabled)),
        KeyState::PendingDeletion => Err(Error::Unusable(Unusable::PendingDeletion)),
        KeyState::PendingImport => Err(Error::Unusable(Unusable::NoMaterial)),
    }
}

/// Which half of a ReEncrypt failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReEncryptSide {
    /// Decrypting under the source key.
    Source,
    /// Encrypting under the destination key.
    Destination,
}

/// The source half of a ReEncrypt.
#[derive(Debug, Clone, Copy)]
pub struct ReEncryptSource<'a> {
    /// The context given when the ciphertext was made.
    pub context: &'a EncryptionContext,
    /// The key the ciphertext must belong to, when the caller names one.
    pub key: Option<&'a KeyRef>,
    /// The version it must have been made under, when the caller names one.
    pub version: Option<&'a str>,
    /// For a ciphertext of a key pair (which names no key: `key` is then required), the
    /// public-key algorithm that made it.
    pub algorithm: Option<AsymmetricAlgorithm>,
}

/// Result of ReEncrypt.
#[derive(Debug, Clone)]
pub struct ReEncrypted {
    /// The key that had encrypted the ciphertext.
    pub source_key_id: String,
    /// The new ciphertext.
    pub encrypted: Encrypted,
}

impl Kms {
    /// Encrypt.
    ///
    /// # Errors
    /// Key lookup errors, [`Error::Unusable`], [`Error::InvalidParameter`] for a plaintext
    /// outside 1–6144 bytes.
    pub fn encrypt(
        &self,
        key: &KeyRef,
        plaintext: &[u8],
        context: &EncryptionContext,
    ) -> Result<Encrypted> {
        if plaintext.is_empty() || plaintext.len() > MAX_PLAINTEXT {
            return Err(Error::invalid(
                "Plaintext",
                "must decode to 1 to 6144 bytes",
            ));
        }
        let key = self.cached(&self.resolve(key)?)?;
        let out = self.encrypt_with(&key, plaintext, context)?;
        self.note_use(&out.key_id, UseOperation::Encrypt);
        Ok(out)
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
            .ok_or(Error::Unusable(Unusable::NoMaterial))?;
        let aead = Aead::of(record.spec).ok_or_else(|| {
            Error::IncompatibleUsage(format!(
                "{} keys do not encrypt symmetrically",
                record.spec.as_str()
            ))
        })?;
        let header = CiphertextBlob::header(aead, &record.key_id, version)
            .map_err(|_| Error::internal("key or version ID too long for a blob"))?;
        let mut nonce = [0u8; NONCE_LEN];
        self.random(&mut nonce)?;
        let ciphertext_and_tag = aead
            .seal(material, &nonce, &aad(&header, context), plaintext)
            .map_err(|_| Error::internal("stored material has the wrong length"))?;
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

    /// The ID of the key a ciphertext names, if it is a qkms ciphertext at all.
    #[must_use]
    pub fn ciphertext_key_id(blob: &[u8]) -> Option<String> {
        CiphertextBlob::decode(blob).ok().map(|(b, _)| b.key_id)
    }

    /// Decrypt: the blob names the key and version. With `expected`, the ciphertext must
    /// have been made under that key.
    ///
    /// # Errors
    /// [`Error::InvalidCiphertext`] for a malformed or inauthentic blob (wrong context
    /// included), [`Error::IncorrectKey`] when it belongs to another key than `expected`,
    /// [`Error::KeyNotFound`], [`Error::Unusable`].
    pub fn decrypt(
        &self,
        blob: &[u8],
        context: &EncryptionContext,
        expected: Option<&KeyRef>,
    ) -> Result<Decrypted> {
        let (parsed, header_len) =
            CiphertextBlob::decode(blob).map_err(|_| Error::InvalidCiphertext)?;
        if let Some(expected) = expected
            && self.describe_key(expected)?.key_id != parsed.key_id
        {
            return Err(Error::IncorrectKey);
        }
        let key = self.cached(&parsed.key_id)?;
        let record = &key.record;
        usable(record)?;
        if Aead::of(record.spec) != Some(parsed.aead)
            || record.version(&parsed.key_version_id).is_none()
        {
            return Err(Error::InvalidCiphertext);
        }
        let material = key
            .materials
            .get(&parsed.key_version_id)
            .ok_or(Error::Unusable(Unusable::NoMaterial))?;
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
        self.note_use(&record.key_id, UseOperation::Decrypt);
        Ok(Decrypted {
            key_id: record.key_id.clone(),
            key_version_id: parsed.key_version_id,
            plaintext,
        })
    }

    /// ReEncrypt: decrypts under the key the ciphertext names (which must be `source` when
    /// given) and encrypts the plaintext under `destination`, without it leaving the
    /// service.
    ///
    /// # Errors
    /// The failed half, with [`Kms::decrypt`]'s or [`Kms::encrypt`]'s error.
    pub fn re_encrypt(
        &self,
        blob: &[u8],
        source_context: &EncryptionContext,
        source: Option<&KeyRef>,
        destination: &KeyRef,
        destination_context: &EncryptionContext,
    ) -> Result<ReEncrypted, (ReEncryptSide, Error)> {
        let source = ReEncryptSource {
            context: source_context,
            key: source,
            version: None,
            algorithm: None,
        };
        self.re_encrypt_from(blob, &source, destination, destination_context, None)
    }

    /// As [`Kms::re_encrypt`], the source also naming the key version the ciphertext must
    /// have been made under, and either side possibly a key pair: the source with the
    /// algorithm that made its ciphertext, the destination with the one to encrypt with.
    ///
    /// # Errors
    /// As [`Kms::re_encrypt`]; on the source side also [`Error::KeyVersionNotFound`] when
    /// the source key has no such version, and [`Error::InvalidParameter`] naming
    /// `SourceKeyVersionId` when the ciphertext was made under another version.
    pub fn re_encrypt_from(
        &self,
        blob: &[u8],
        source: &ReEncryptSource<'_>,
        destination: &KeyRef,
        destination_context: &EncryptionContext,
        destination_algorithm: Option<AsymmetricAlgorithm>,
    ) -> Result<ReEncrypted, (ReEncryptSide, Error)> {
        // AWS's two permissions: kms:ReEncryptFrom on the source, kms:ReEncryptTo on the
        // destination.
        let from = self.with_permission("kms:ReEncryptFrom");
        let plain = match (source.algorithm, source.key) {
            (None, _) => from.decrypt(blob, source.context, source.key),
            (Some(alg), Some(key)) => from.asymmetric_decrypt(key, source.version, alg, blob),
            (Some(_), None) => Err(Error::invalid(
                "SourceKeyId",
                "A ciphertext of a key pair names no key: give the key that made it.",
            )),
        }
        .map_err(|e| (ReEncryptSide::Source, e))?;
        if let Some(version) = source.version
            && version != plain.key_version_id
        {
            let known = self
                .describe_key(&KeyRef::Id(plain.key_id.clone()))
                .map_err(|e| (ReEncryptSide::Source, e))?
                .version(version)
                .is_some();
            let e = if known {
                Error::invalid(
                    "SourceKeyVersionId",
                    "The ciphertext was made under another version of the key.",
                )
            } else {
                Error::KeyVersionNotFound
            };
            return Err((ReEncryptSide::Source, e));
        }
        let pt = plain.plaintext.expose();
        let to = self.with_permission("kms:ReEncryptTo");
        let encrypted = match destination_algorithm {
            None => to.encrypt(destination, pt, destination_context),
            Some(alg) => to.asymmetric_encrypt(destination, None, alg, pt),
        }
        .map_err(|e| (ReEncryptSide::Destination, e))?;
        // Both keys were used by one ReEncrypt (the notes of its halves are replaced).
        self.note_use(&plain.key_id, UseOperation::ReEncrypt);
        self.note_use(&encrypted.key_id, UseOperation::ReEncrypt);
        Ok(ReEncrypted {
            source_key_id: plain.key_id,
            encrypted,
        })
    }

    /// GenerateDataKey / GenerateDataKeyWithoutPlaintext: `number_of_bytes` random bytes,
    /// returned in the clear and encrypted under the key.
    ///
    /// # Errors
    /// As [`Kms::encrypt`]; [`Error::InvalidParameter`] outside 1–1024 bytes.
    pub fn generate_data_key(
        &self,
        key: &KeyRef,
        number_of_bytes: usize,
        context: &EncryptionContext,
    ) -> Result<DataKey> {
        if number_of_bytes == 0 || number_of_bytes > MAX_DATA_KEY {
            return Err(Error::invalid("NumberOfBytes", "must be 1 to 1024"));
        }
        let key = self.cached(&self.resolve(key)?)?;
        usable(&key.record)?;
        let mut plaintext = SecretBytes::new(vec![0u8; number_of_bytes]);
        self.random_secret(&mut plaintext)?;
        let encrypted = self.encrypt_with(&key, plaintext.expose(), context)?;
        self.note_use(&encrypted.key_id, UseOperation::GenerateDataKey);
        Ok(DataKey {
            encrypted,
            plaintext,
        })
    }
}
