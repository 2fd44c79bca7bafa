//! Temporary credentials (STS): an access key, its secret and a session token for one
//! principal, valid until an expiry on the real clock, optionally narrowed by a session
//! policy.
//!
//! The token is self-contained, so nothing is stored and a restart keeps it valid:
//! `base64url(version ‖ nonce ‖ AES-256-GCM(key, nonce, aad = "qkms sts v1" ‖ access key
//! ID, JSON {secret, principal, account, expires, policy}))`, under a key derived from the
//! root key. A token opens only with its own access key ID, so it cannot be moved to
//! another key. Format version 1; never change it (issued tokens must keep opening).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use serde::{Deserialize, Serialize};
use zeroize::Zeroize as _;

use crate::crypto::SecretBytes;
use crate::crypto::aead::{Aead, NONCE_LEN};
use crate::crypto::random::Entropy;

/// The token format's version byte.
const VERSION: u8 = 1;
/// Associated-data label of version 1.
const AAD_LABEL: &[u8] = b"qkms sts v1";
/// The longest session: 12 hours, as STS allows.
pub const MAX_DURATION: i64 = 12 * 3600;
/// The prefix of temporary access key IDs (Aliyun's spelling).
pub const KEY_PREFIX: &str = "STS.";

/// What a session token holds.
#[derive(Serialize, Deserialize)]
struct Claims {
    secret: String,
    principal: String,
    account: Option<String>,
    expires: i64,
    policy: Option<String>,
}

/// An opened session.
#[derive(Debug)]
pub struct Session {
    /// The secret the requests are signed with.
    pub secret: SecretBytes,
    /// The principal's name.
    pub principal: String,
    /// The principal's account (`None`: the default one).
    pub account: Option<String>,
    /// Expiry, epoch seconds (real clock).
    pub expires: i64,
    /// The session policy.
    pub policy: Option<String>,
}

/// Newly issued credentials.
#[derive(Debug)]
pub struct Issued {
    /// `STS.<hex>`.
    pub access_key_id: String,
    /// The secret.
    pub secret: SecretBytes,
    /// The session token.
    pub token: String,
    /// Expiry, epoch seconds.
    pub expires: i64,
}

/// Why a token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenError {
    /// It does not decode or authenticate, or belongs to another access key.
    Malformed,
    /// Its time is over.
    Expired,
}

/// Issues and opens session tokens.
#[derive(Debug, Clone)]
pub struct SessionKeys {
    key: SecretBytes,
}

impl SessionKeys {
    /// Keys from `key` (32 bytes derived from the root key).
    #[must_use]
    pub fn new(key: SecretBytes) -> Self {
        Self { key }
    }

    fn aad(access_key_id: &str) -> Vec<u8> {
        [AAD_LABEL, access_key_id.as_bytes()].concat()
    }

    /// Issues credentials for `principal` of `account`, valid until `expires`.
    ///
    /// # Errors
    /// The entropy source or the cipher failed (a message for the admin endpoint).
    pub fn issue(
        &self,
        entropy: &dyn Entropy,
        principal: &str,
        account: Option<&str>,
        expires: i64,
        policy: Option<String>,
    ) -> Result<Issued, String> {
        let mut raw = [0u8; 8 + 24 + NONCE_LEN];
        entropy.fill(&mut raw).map_err(|e| e.to_string())?;
        let access_key_id = format!("{KEY_PREFIX}{}", hex::encode(&raw[..8]));
        let secret = B64URL.encode(&raw[8..32]);
        let mut nonce = [0u8; NONCE_LEN];
        nonce.copy_from_slice(&raw[32..]);
        raw.zeroize();
        let claims = Claims {
            secret: secret.clone(),
            principal: principal.to_owned(),
            account: account.map(str::to_owned),
            expires,
            policy,
        };
        let mut plain = serde_json::to_vec(&claims).map_err(|e| e.to_string())?;
        let sealed = Aead::Aes256Gcm.seal(&self.key, &nonce, &Self::aad(&access_key_id), &plain);
        plain.zeroize();
        let sealed = sealed.map_err(|_| "the session could not be sealed".to_owned())?;
        let token = B64URL.encode([&[VERSION][..], &nonce, &sealed].concat());
        Ok(Issued {
            access_key_id,
            secret: SecretBytes::from_slice(secret.as_bytes()),
            token,
            expires,
        })
    }

    /// Opens the token of `access_key_id`, at real time `now`.
    ///
    /// # Errors
    /// [`TokenError`].
    pub fn open(&self, access_key_id: &str, token: &str, now: i64) -> Result<Session, TokenError> {
        let raw = B64URL.decode(token).map_err(|_| TokenError::Malformed)?;
        let (Some(&VERSION), Some(nonce), Some(sealed)) = (
            raw.first(),
            raw.get(1..=NONCE_LEN),
            raw.get(1 + NONCE_LEN..),
        ) else {
            return Err(TokenError::Malformed);
        };
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| TokenError::Malformed)?;
        let plain = Aead::Aes256Gcm
            .open(&self.key, &nonce, &Self::aad(access_key_id), sealed)
            .map_err(|_| TokenError::Malformed)?;
        let claims: Claims =
            serde_json::from_slice(plain.expose()).map_err(|_| TokenError::Malformed)?;
        if claims.expires <= now {
            return Err(TokenError::Expired);
        }
        Ok(Session {
            secret: SecretBytes::from_slice(claims.secret.as_bytes()),
            principal: claims.principal,
            account: claims.account,
            expires: claims.expires,
            policy: claims.policy,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::random::OsEntropy;

    #[test]
    fn tokens_open_for_their_key_until_they_expire() {
        let keys = SessionKeys::new(SecretBytes::new(vec![7; 32]));
        let issued = keys
            .issue(&OsEntropy, "app", Some("42"), 1000, Some("{}".into()))
            .unwrap();
        assert!(issued.access_key_id.starts_with("STS."));
        let s = keys
            .open(&issued.access_key_id, &issued.token, 999)
            .unwrap();
        assert_eq!(
            (s.principal.as_str(), s.account.as_deref()),
            ("app", Some("42"))
        );
        assert_eq!(s.secret.expose(), issued.secret.expose());
        assert_eq!(s.policy.as_deref(), Some("{}"));
        assert_eq!(
            keys.open(&issued.access_key_id, &issued.token, 1000)
                .unwrap_err(),
            TokenError::Expired
        );
        assert_eq!(
            keys.open("STS.other", &issued.token, 0).unwrap_err(),
            TokenError::Malformed
        );
        let mut bad = issued.token.clone();
        bad.push('A');
        assert!(keys.open(&issued.access_key_id, &bad, 0).is_err());
        let other = SessionKeys::new(SecretBytes::new(vec![8; 32]));
        assert_eq!(
            other
                .open(&issued.access_key_id, &issued.token, 0)
                .unwrap_err(),
            TokenError::Malformed
        );
    }
}
