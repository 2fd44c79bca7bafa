//! The root key. It seals key material at rest and import tokens with AES-256-GCM, and
//! derives the key that fingerprints imported material (HMAC-SHA-256), so neither the
//! database nor a token ever holds material in the clear.
//!
//! The root key is 32 random bytes, created on first start as `root.key` (mode 0600) in
//! the data directory, or given as 64 hex characters in `QKMS_ROOT_KEY`.

use std::fs;
use std::path::Path;

use super::SecretBytes;
use super::aead::{Aead, NONCE_LEN};
use super::random::Entropy;

/// File name of the root key inside the data directory.
pub const ROOT_KEY_FILE: &str = "root.key";

/// Errors loading or using the root key.
#[derive(Debug, thiserror::Error)]
pub enum RootKeyError {
    /// The key file or variable does not hold 32 bytes in hex.
    #[error("root key must be 32 bytes written as 64 hex characters")]
    Malformed,
    /// Reading or writing the key file failed.
    #[error("root key file: {0}")]
    Io(#[from] std::io::Error),
    /// The entropy source failed.
    #[error("could not generate a root key")]
    Random,
    /// A sealed value did not open: wrong root key or tampered data.
    #[error("sealed value does not open under this root key")]
    Open,
}

/// The root key.
#[derive(Debug, Clone)]
pub struct RootKey {
    key: SecretBytes,
}

impl RootKey {
    /// Wraps 32 bytes.
    ///
    /// # Errors
    /// [`RootKeyError::Malformed`] for any other length.
    pub fn from_bytes(key: SecretBytes) -> Result<Self, RootKeyError> {
        if key.len() == 32 {
            Ok(Self { key })
        } else {
            Err(RootKeyError::Malformed)
        }
    }

    /// Parses 64 hex characters.
    ///
    /// # Errors
    /// [`RootKeyError::Malformed`] for anything else.
    pub fn from_hex(hex_key: &str) -> Result<Self, RootKeyError> {
        let bytes = hex::decode(hex_key.trim()).map_err(|_| RootKeyError::Malformed)?;
        Self::from_bytes(SecretBytes::new(bytes))
    }

    /// A fresh random root key (for `--ephemeral`).
    ///
    /// # Errors
    /// [`RootKeyError::Random`] if the entropy source fails.
    pub fn generate(entropy: &dyn Entropy) -> Result<Self, RootKeyError> {
        let mut bytes = vec![0u8; 32];
        entropy.fill(&mut bytes).map_err(|_| RootKeyError::Random)?;
        Self::from_bytes(SecretBytes::new(bytes))
    }

    /// Reads `dir/root.key`, which must exist.
    ///
    /// # Errors
    /// I/O errors (a missing file included), or a malformed file.
    pub fn load(dir: &Path) -> Result<Self, RootKeyError> {
        let text = zeroize::Zeroizing::new(fs::read_to_string(dir.join(ROOT_KEY_FILE))?);
        Self::from_hex(&text)
    }

    /// Reads `dir/root.key` if it holds anything: `None` when it is absent or empty (an
    /// empty file is what a failed first start of an older qkms could leave behind; no key
    /// can have sealed anything then).
    ///
    /// # Errors
    /// I/O errors, or a non-empty file that is not a root key.
    pub fn read(dir: &Path) -> Result<Option<Self>, RootKeyError> {
        match fs::read_to_string(dir.join(ROOT_KEY_FILE)) {
            Ok(text) => {
                let text = zeroize::Zeroizing::new(text);
                if text.trim().is_empty() {
                    Ok(None)
                } else {
                    Self::from_hex(&text).map(Some)
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Writes this key as `dir/root.key` (mode 0600), atomically: on a full disk or a crash
    /// the file is absent or complete, never partial. An empty leftover file is replaced;
    /// any other existing file is not.
    ///
    /// # Errors
    /// I/O errors; `AlreadyExists` when a root key file is there.
    pub fn save(&self, dir: &Path) -> Result<(), RootKeyError> {
        let path = dir.join(ROOT_KEY_FILE);
        if fs::metadata(&path).is_ok_and(|m| m.len() == 0) {
            fs::remove_file(&path)?;
        }
        let text = zeroize::Zeroizing::new(hex::encode(self.key.expose()));
        crate::files::write_new_atomic(&path, text.as_bytes())?;
        Ok(())
    }

    /// A value derived from the root key that identifies it without revealing it; the
    /// store keeps it so that starting with the wrong root key fails loudly.
    #[must_use]
    pub fn check_value(&self) -> String {
        hex::encode(self.derive(b"qkms root key check v1").expose())
    }

    /// Derives a 32-byte subkey for `label` (HMAC-SHA-256 as a PRF).
    #[must_use]
    pub fn derive(&self, label: &[u8]) -> SecretBytes {
        SecretBytes::new(hmac_sha256(&self.key, label))
    }

    /// Seals `plaintext` bound to `aad`: `nonce ‖ ciphertext ‖ tag`.
    ///
    /// # Errors
    /// [`RootKeyError::Random`] if the entropy source fails.
    pub fn seal(
        &self,
        entropy: &dyn Entropy,
        aad: &[u8],
        plaintext: &[u8],
    ) -> Result<Vec<u8>, RootKeyError> {
        seal_with(&self.key, entropy, aad, plaintext)
    }

    /// Opens a value made by [`RootKey::seal`] with the same `aad`.
    ///
    /// # Errors
    /// [`RootKeyError::Open`] when the value is malformed, tampered, or sealed under another
    /// key or `aad`.
    pub fn open(&self, aad: &[u8], sealed: &[u8]) -> Result<SecretBytes, RootKeyError> {
        open_with(&self.key, aad, sealed)
    }
}

/// HMAC-SHA-256 of `msg` under a secret key.
#[must_use]
pub fn hmac_sha256(key: &SecretBytes, msg: &[u8]) -> Vec<u8> {
    super::mac::hmac_sha256(key.expose(), msg)
}

/// AES-256-GCM seal under a 32-byte key with a random nonce: `nonce ‖ ciphertext ‖ tag`.
///
/// # Errors
/// [`RootKeyError::Random`] if the entropy source fails.
pub fn seal_with(
    key: &SecretBytes,
    entropy: &dyn Entropy,
    aad: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>, RootKeyError> {
    let mut nonce = [0u8; NONCE_LEN];
    entropy.fill(&mut nonce).map_err(|_| RootKeyError::Random)?;
    let body = Aead::Aes256Gcm
        .seal(key, &nonce, aad, plaintext)
        .map_err(|_| RootKeyError::Malformed)?;
    let mut out = Vec::with_capacity(NONCE_LEN + body.len());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&body);
    Ok(out)
}

/// Opens a value made by [`seal_with`].
///
/// # Errors
/// [`RootKeyError::Open`] when it does not authenticate.
pub fn open_with(
    key: &SecretBytes,
    aad: &[u8],
    sealed: &[u8],
) -> Result<SecretBytes, RootKeyError> {
    let (nonce, body) = sealed
        .split_at_checked(NONCE_LEN)
        .ok_or(RootKeyError::Open)?;
    let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| RootKeyError::Open)?;
    Aead::Aes256Gcm
        .open(key, &nonce, aad, body)
        .map_err(|_| RootKeyError::Open)
}

#[cfg(test)]
mod tests {
    use super::super::random::OsEntropy;
    use super::*;

    #[test]
    fn seal_open_and_bind_aad() {
        let root = RootKey::generate(&OsEntropy).unwrap();
        let sealed = root.seal(&OsEntropy, b"k1", b"material").unwrap();
        assert_eq!(root.open(b"k1", &sealed).unwrap().expose(), b"material");
        assert!(root.open(b"k2", &sealed).is_err());
        let other = RootKey::generate(&OsEntropy).unwrap();
        assert!(other.open(b"k1", &sealed).is_err());
        assert!(root.open(b"k1", &sealed[..5]).is_err());
    }

    #[test]
    fn file_is_written_once_with_mode_0600() {
        let dir = std::env::temp_dir().join(format!("qkms-root-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        assert!(RootKey::read(&dir).unwrap().is_none());
        // An empty leftover counts as no key, and is replaced.
        fs::write(dir.join(ROOT_KEY_FILE), b"").unwrap();
        assert!(RootKey::read(&dir).unwrap().is_none());
        let a = RootKey::generate(&OsEntropy).unwrap();
        a.save(&dir).unwrap();
        let b = RootKey::read(&dir).unwrap().unwrap();
        assert_eq!(a.check_value(), b.check_value());
        assert!(RootKey::generate(&OsEntropy).unwrap().save(&dir).is_err());
        assert_eq!(RootKey::load(&dir).unwrap().check_value(), a.check_value());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = fs::metadata(dir.join(ROOT_KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        fs::write(dir.join(ROOT_KEY_FILE), b"not hex").unwrap();
        assert!(RootKey::read(&dir).is_err());
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn hex_parsing() {
        assert!(RootKey::from_hex(&"ab".repeat(32)).is_ok());
        assert!(RootKey::from_hex("abcd").is_err());
        assert!(RootKey::from_hex(&"zz".repeat(32)).is_err());
    }
}
