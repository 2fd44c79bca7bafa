//! ExportDataKey and GenerateAndExportDataKey: a data key, encrypted under a KMS key as
//! usual, and also to a public key the caller holds the private half of, so that another
//! system can take it without calling the KMS.

use super::{Encrypted, Error, Kms, Result};
use crate::crypto::export::{ExportError, ExportKey, OaepHash, Sm2ExportKey};
use crate::model::{EncryptionContext, KeyRef};

/// How the data key is encrypted to the caller's public key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportWrapping {
    /// RSAES-OAEP to an RSA key.
    RsaOaep {
        /// The modulus size the caller declared (`WrappingKeySpec`); the key must have it.
        key_bits: u32,
        /// The OAEP hash (`WrappingAlgorithm`).
        hash: OaepHash,
    },
    /// SM2PKE to an SM2 key (`EC_SM2` with `SM2PKE`).
    Sm2Pke,
}

/// The caller's public key and how to encrypt to it.
#[derive(Debug, Clone, Copy)]
pub struct ExportTarget<'a> {
    /// DER SubjectPublicKeyInfo of an RSA or SM2 key.
    pub public_key: &'a [u8],
    /// How to encrypt to it.
    pub wrapping: ExportWrapping,
}

/// A parsed recipient key with its scheme.
enum Recipient {
    Rsa(ExportKey, OaepHash),
    Sm2(Sm2ExportKey),
}

impl Recipient {
    fn max_message(&self) -> usize {
        match self {
            Self::Rsa(key, hash) => key.max_message(*hash),
            Self::Sm2(_) => crate::crypto::export::MAX_SM2_MESSAGE,
        }
    }

    fn encrypt(
        &self,
        msg: &[u8],
        entropy: &dyn crate::crypto::random::Entropy,
    ) -> std::result::Result<Vec<u8>, ExportError> {
        match self {
            Self::Rsa(key, hash) => key.encrypt(*hash, msg, entropy),
            Self::Sm2(key) => key.encrypt(msg, entropy),
        }
    }
}

/// Result of ExportDataKey.
#[derive(Debug, Clone)]
pub struct Exported {
    /// The key that had encrypted the data key.
    pub key_id: String,
    /// Its version.
    pub key_version_id: String,
    /// The data key, encrypted to the caller's public key.
    pub exported: Vec<u8>,
}

/// Result of GenerateAndExportDataKey.
#[derive(Debug, Clone)]
pub struct GeneratedExport {
    /// The data key, encrypted under the KMS key.
    pub encrypted: Encrypted,
    /// The data key, encrypted to the caller's public key.
    pub exported: Vec<u8>,
}

impl Kms {
    /// The caller's key, checked against what the request declares.
    fn export_key(target: &ExportTarget<'_>) -> Result<Recipient> {
        let (key_bits, hash) = match target.wrapping {
            ExportWrapping::Sm2Pke => {
                let key = Sm2ExportKey::from_spki(target.public_key).map_err(|_| {
                    Error::invalid(
                        "PublicKeyBlob",
                        "It must be base64 of a DER SubjectPublicKeyInfo of an SM2 public key (curve OID 1.2.156.10197.1.301).",
                    )
                })?;
                return Ok(Recipient::Sm2(key));
            }
            ExportWrapping::RsaOaep { key_bits, hash } => (key_bits, hash),
        };
        let key = ExportKey::from_spki(target.public_key).map_err(|_| {
            Error::invalid(
                "PublicKeyBlob",
                "It must be base64 of a DER SubjectPublicKeyInfo of an RSA public key.",
            )
        })?;
        if key.bits() != key_bits {
            return Err(Error::invalid(
                "WrappingKeySpec",
                format!(
                    "The public key has {} bits, not the {} of WrappingKeySpec.",
                    key.bits(),
                    key_bits
                ),
            ));
        }
        Ok(Recipient::Rsa(key, hash))
    }

    fn export_to(&self, key: &Recipient, data_key: &[u8], name: &'static str) -> Result<Vec<u8>> {
        key.encrypt(data_key, self.entropy.as_ref())
            .map_err(|e| match e {
                ExportError::TooLong { max } => Error::invalid(
                    name,
                    format!(
                        "The data key is {} bytes; at most {max} bytes fit this public key and WrappingAlgorithm.",
                        data_key.len()
                    ),
                ),
                other => Error::internal(other),
            })
    }

    /// ExportDataKey: decrypts `blob` (as [`Kms::decrypt`]) and encrypts the plaintext to
    /// the caller's public key.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a public key that does not parse or does not match
    /// the declared size, or a plaintext too long for it; [`Kms::decrypt`]'s errors.
    pub fn export_data_key(
        &self,
        blob: &[u8],
        context: &EncryptionContext,
        target: &ExportTarget<'_>,
    ) -> Result<Exported> {
        let key = Self::export_key(target)?;
        let plain = self.decrypt(blob, context, None)?;
        let exported = self.export_to(&key, plain.plaintext.expose(), "CiphertextBlob")?;
        Ok(Exported {
            key_id: plain.key_id,
            key_version_id: plain.key_version_id,
            exported,
        })
    }

    /// GenerateAndExportDataKey: as [`Kms::generate_data_key`], and the data key also
    /// encrypted to the caller's public key.
    ///
    /// # Errors
    /// As [`Kms::export_data_key`] (the size check names `NumberOfBytes`, before anything
    /// is generated) and [`Kms::generate_data_key`].
    pub fn generate_and_export_data_key(
        &self,
        key: &KeyRef,
        number_of_bytes: usize,
        context: &EncryptionContext,
        target: &ExportTarget<'_>,
    ) -> Result<GeneratedExport> {
        let public = Self::export_key(target)?;
        let max = public.max_message();
        if number_of_bytes > max {
            return Err(Error::invalid(
                "NumberOfBytes",
                format!("At most {max} bytes fit this public key and WrappingAlgorithm."),
            ));
        }
        let data_key = self.generate_data_key(key, number_of_bytes, context)?;
        let exported = self.export_to(&public, data_key.plaintext.expose(), "NumberOfBytes")?;
        Ok(GeneratedExport {
            encrypted: data_key.encrypted,
            exported,
        })
    }
}
