//! The ciphertext blob that Encrypt and GenerateDataKey return and Decrypt takes.
//!
//! Decrypt has no KeyId parameter, so the blob must name its key and key version.
//!
//! Layout of version 1 (all lengths in bytes; NEVER change this layout: blobs written
//! by older servers must keep decrypting; a new layout gets a new version byte):
//!
//! | offset | length | field |
//! |---|---|---|
//! | 0 | 1 | format version, `0x01` |
//! | 1 | 1 | algorithm: `0x01` AES-256-GCM, `0x02` SM4-GCM |
//! | 2 | 1 | key ID length `L` (1–255) |
//! | 3 | `L` | key ID, UTF-8 |
//! | 3+L | 1 | key version ID length `M` (1–255) |
//! | 4+L | `M` | key version ID, UTF-8 |
//! | 4+L+M | 12 | AEAD nonce |
//! | 16+L+M | n | ciphertext |
//! | end−16 | 16 | AEAD tag |
//!
//! The header (everything before the nonce) is part of the AEAD's associated data, so a
//! blob cannot be re-pointed at another key or version, even one holding the same material.

use super::aead::{Aead, NONCE_LEN, TAG_LEN};

/// Format version byte of the layout above. NEVER change.
pub const BLOB_V1: u8 = 0x01;
/// Algorithm byte for AES-256-GCM. NEVER change.
const ALG_AES_256_GCM: u8 = 0x01;
/// Algorithm byte for SM4-GCM. NEVER change.
const ALG_SM4_GCM: u8 = 0x02;

/// A decoded ciphertext blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CiphertextBlob {
    /// The AEAD that produced the ciphertext.
    pub aead: Aead,
    /// ID of the key that encrypted.
    pub key_id: String,
    /// ID of the key version whose material encrypted.
    pub key_version_id: String,
    /// The AEAD nonce.
    pub nonce: [u8; NONCE_LEN],
    /// Ciphertext followed by the tag.
    pub ciphertext_and_tag: Vec<u8>,
}

/// The bytes are not a blob this server can read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("malformed ciphertext blob")]
pub struct BlobError;

impl CiphertextBlob {
    /// The header bytes, which also serve as associated data.
    ///
    /// # Errors
    /// [`BlobError`] when an ID is empty or longer than 255 bytes.
    pub fn header(aead: Aead, key_id: &str, key_version_id: &str) -> Result<Vec<u8>, BlobError> {
        let kid = u8::try_from(key_id.len()).map_err(|_| BlobError)?;
        let vid = u8::try_from(key_version_id.len()).map_err(|_| BlobError)?;
        if kid == 0 || vid == 0 {
            return Err(BlobError);
        }
        let mut out = Vec::with_capacity(4 + key_id.len() + key_version_id.len());
        out.push(BLOB_V1);
        out.push(match aead {
            Aead::Aes256Gcm => ALG_AES_256_GCM,
            Aead::Sm4Gcm => ALG_SM4_GCM,
        });
        out.push(kid);
        out.extend_from_slice(key_id.as_bytes());
        out.push(vid);
        out.extend_from_slice(key_version_id.as_bytes());
        Ok(out)
    }

    /// Serialises the blob.
    ///
    /// # Errors
    /// [`BlobError`] when an ID is empty or longer than 255 bytes.
    pub fn encode(&self) -> Result<Vec<u8>, BlobError> {
        let mut out = Self::header(self.aead, &self.key_id, &self.key_version_id)?;
        out.extend_from_slice(&self.nonce);
        out.extend_from_slice(&self.ciphertext_and_tag);
        Ok(out)
    }

    /// Parses a blob and returns it with its header length (the associated-data prefix).
    ///
    /// # Errors
    /// [`BlobError`] for an unknown version or algorithm, a truncated blob or bad UTF-8.
    pub fn decode(bytes: &[u8]) -> Result<(Self, usize), BlobError> {
        let mut rest = bytes;
        let mut take = |n: usize| -> Result<&[u8], BlobError> {
            let (head, tail) = rest.split_at_checked(n).ok_or(BlobError)?;
            rest = tail;
            Ok(head)
        };
        let fixed = take(3)?;
        let (version, alg, kid_len) = match fixed {
            [v, a, l] => (*v, *a, usize::from(*l)),
            _ => return Err(BlobError),
        };
        if version != BLOB_V1 {
            return Err(BlobError);
        }
        let aead = match alg {
            ALG_AES_256_GCM => Aead::Aes256Gcm,
            ALG_SM4_GCM => Aead::Sm4Gcm,
            _ => return Err(BlobError),
        };
        let key_id = std::str::from_utf8(take(kid_len)?).map_err(|_| BlobError)?;
        let vid_len = usize::from(*take(1)?.first().ok_or(BlobError)?);
        let key_version_id = std::str::from_utf8(take(vid_len)?).map_err(|_| BlobError)?;
        if key_id.is_empty() || key_version_id.is_empty() {
            return Err(BlobError);
        }
        let nonce: [u8; NONCE_LEN] = take(NONCE_LEN)?.try_into().map_err(|_| BlobError)?;
        if rest.len() < TAG_LEN {
            return Err(BlobError);
        }
        let header_len = 4 + kid_len + vid_len;
        Ok((
            Self {
                aead,
                key_id: key_id.to_owned(),
                key_version_id: key_version_id.to_owned(),
                nonce,
                ciphertext_and_tag: rest.to_vec(),
            },
            header_len,
        ))
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn arb_id() -> impl Strategy<Value = String> {
        "[a-zA-Z0-9-]{1,64}"
    }

    proptest! {
        #[test]
        fn round_trip(
            sm4 in any::<bool>(),
            key_id in arb_id(),
            key_version_id in arb_id(),
            nonce in any::<[u8; 12]>(),
            body in proptest::collection::vec(any::<u8>(), 16..200),
        ) {
            let blob = CiphertextBlob {
                aead: if sm4 { Aead::Sm4Gcm } else { Aead::Aes256Gcm },
                key_id,
                key_version_id,
                nonce,
                ciphertext_and_tag: body,
            };
            let bytes = blob.encode().unwrap();
            let (decoded, header_len) = CiphertextBlob::decode(&bytes).unwrap();
            prop_assert_eq!(&decoded, &blob);
            let header = CiphertextBlob::header(blob.aead, &blob.key_id, &blob.key_version_id).unwrap();
            prop_assert_eq!(&bytes[..header_len], header.as_slice());
        }

        #[test]
        fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = CiphertextBlob::decode(&bytes);
        }

        #[test]
        fn truncation_is_rejected(cut in 0usize..40) {
            let blob = CiphertextBlob {
                aead: Aead::Aes256Gcm,
                key_id: "k".into(),
                key_version_id: "v".into(),
                nonce: [7; 12],
                ciphertext_and_tag: vec![1; 16],
            };
            let bytes = blob.encode().unwrap();
            let cut = cut.min(bytes.len() - 1);
            prop_assert!(CiphertextBlob::decode(&bytes[..cut]).is_err());
        }
    }

    #[test]
    fn unknown_version_is_rejected() {
        let mut bytes = CiphertextBlob {
            aead: Aead::Aes256Gcm,
            key_id: "k".into(),
            key_version_id: "v".into(),
            nonce: [0; 12],
            ciphertext_and_tag: vec![0; 16],
        }
        .encode()
        .unwrap();
        bytes[0] = 2;
        assert_eq!(CiphertextBlob::decode(&bytes), Err(BlobError));
    }
}
