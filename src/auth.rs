//! Credentials and replay protection, shared by every protocol: one key pair works with
//! every SDK family.

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasher as _, RandomState};
use std::sync::{Arc, Mutex};

use crate::crypto::SecretBytes;
use crate::service::Principal;
use crate::service::iam::PolicyDoc;
use crate::sessions::{KEY_PREFIX, SessionKeys, TokenError};

/// How far a request's timestamp may be from the server's real clock: ±15 minutes.
pub const MAX_SKEW_SECS: i64 = 15 * 60;

/// Access key pairs, each of one principal, and temporary credentials.
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    keys: HashMap<String, (SecretBytes, Arc<Principal>)>,
    /// Principals by (account, name), for sessions.
    principals: HashMap<(Option<String>, String), Arc<Principal>>,
    /// Opens session tokens (`None`: no temporary credentials).
    sessions: Option<SessionKeys>,
}

/// Why an access key was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyError {
    /// No such access key.
    Unknown,
    /// A temporary key without its token.
    TokenMissing,
    /// The token is not this key's or does not open.
    TokenMalformed,
    /// The session is over.
    TokenExpired,
}

impl Credentials {
    /// Builds the set from `(id, secret)` pairs, all of the default account's root.
    #[must_use]
    pub fn new(pairs: impl IntoIterator<Item = (String, SecretBytes)>) -> Self {
        let root = Arc::new(Principal::default_root());
        Self::of_principals(pairs.into_iter().map(|(id, s)| (id, s, root.clone())))
    }

    /// Builds the set from `(id, secret, principal)`.
    #[must_use]
    pub fn of_principals(
        entries: impl IntoIterator<Item = (String, SecretBytes, Arc<Principal>)>,
    ) -> Self {
        let keys: HashMap<_, _> = entries
            .into_iter()
            .map(|(id, secret, principal)| (id, (secret, principal)))
            .collect();
        let principals = keys
            .values()
            .map(|(_, p)| ((p.account.clone(), p.name.clone()), p.clone()))
            .collect();
        Self {
            keys,
            principals,
            sessions: None,
        }
    }

    /// Accepts temporary credentials sealed under `sessions`.
    #[must_use]
    pub fn with_sessions(mut self, sessions: SessionKeys) -> Self {
        self.sessions = Some(sessions);
        self
    }

    /// The session keys, when temporary credentials are on.
    #[must_use]
    pub fn sessions(&self) -> Option<&SessionKeys> {
        self.sessions.as_ref()
    }

    /// The principal `name` of `account` (`None`: the default account); the default
    /// account's `root` always exists.
    #[must_use]
    pub fn principal(&self, account: Option<&str>, name: &str) -> Option<Arc<Principal>> {
        let found = self
            .principals
            .get(&(account.map(str::to_owned), name.to_owned()))
            .cloned();
        match (found, account, name) {
            (Some(p), _, _) => Some(p),
            (None, None, "root") => Some(Arc::new(Principal::default_root())),
            _ => None,
        }
    }

    /// The secret and the caller of an access key, with the session token a temporary
    /// key must carry (checked at real time `now`).
    ///
    /// # Errors
    /// [`KeyError`].
    pub fn resolve(
        &self,
        access_key_id: &str,
        token: Option<&str>,
        now: i64,
    ) -> Result<(SecretBytes, Caller), KeyError> {
        if let Some((secret, principal)) = self.keys.get(access_key_id) {
            let caller = Caller {
                access_key_id: access_key_id.to_owned(),
                principal: principal.clone(),
                session_policy: None,
            };
            return Ok((secret.clone(), caller));
        }
        let (Some(sessions), true) = (&self.sessions, access_key_id.starts_with(KEY_PREFIX)) else {
            return Err(KeyError::Unknown);
        };
        let token = token.ok_or(KeyError::TokenMissing)?;
        let session = sessions
            .open(access_key_id, token, now)
            .map_err(|e| match e {
                TokenError::Malformed => KeyError::TokenMalformed,
                TokenError::Expired => KeyError::TokenExpired,
            })?;
        let principal = self
            .principal(session.account.as_deref(), &session.principal)
            .ok_or(KeyError::TokenMalformed)?;
        let session_policy = match &session.policy {
            Some(text) => Some(Arc::new(
                PolicyDoc::parse(text).map_err(|_| KeyError::TokenMalformed)?,
            )),
            None => None,
        };
        let caller = Caller {
            access_key_id: access_key_id.to_owned(),
            principal,
            session_policy,
        };
        Ok((session.secret, caller))
    }

    /// The secret of an access key ID.
    #[must_use]
    pub fn secret(&self, access_key_id: &str) -> Option<&SecretBytes> {
        self.keys.get(access_key_id).map(|(s, _)| s)
    }

    /// The caller an access key ID stands for.
    #[must_use]
    pub fn caller(&self, access_key_id: &str) -> Option<Caller> {
        self.keys.get(access_key_id).map(|(_, p)| Caller {
            access_key_id: access_key_id.to_owned(),
            principal: p.clone(),
            session_policy: None,
        })
    }
}

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The access key ID that signed the request.
    pub access_key_id: String,
    /// Whose key it is.
    pub principal: Arc<Principal>,
    /// The session policy of temporary credentials.
    pub session_policy: Option<Arc<PolicyDoc>>,
}

const SHARDS: usize = 16;

/// Remembers signature nonces for the replay window, so a nonce can be used once.
///
/// Memory is bounded: each shard keeps at most `capacity / 16` nonces and forgets the
/// oldest first. At very high request rates a nonce older than the bound can therefore be
/// replayed within the window; a local emulator accepts that rather than unbounded memory.
#[derive(Debug)]
pub struct NonceCache {
    shards: Vec<Mutex<Shard>>,
    hasher: RandomState,
    per_shard: usize,
}

/// Nonces are kept as 64-bit keyed hashes (SipHash with a random key per process), not
/// strings: no allocation per request, and a false "used" needs a 64-bit collision.
#[derive(Debug, Default)]
struct Shard {
    seen: HashMap<u64, i64>,
    order: VecDeque<(i64, u64)>,
}

impl NonceCache {
    /// A cache holding up to `capacity` nonces.
    #[must_use]
    pub fn new(capacity: usize) -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
            hasher: RandomState::new(),
            per_shard: (capacity / SHARDS).max(1),
        }
    }

    /// Nonces remembered now.
    #[must_use]
    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().map_or(0, |s| s.seen.len()))
            .sum()
    }

    /// True when no nonce is remembered.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Records `nonce` of `access_key_id` at real time `now`; returns false if it was
    /// already used within the window.
    pub fn check_and_insert(&self, access_key_id: &str, nonce: &str, now: i64) -> bool {
        let entry = self.hasher.hash_one((access_key_id, nonce));
        let index = usize::try_from(entry % SHARDS as u64).unwrap_or(0);
        let Some(shard) = self.shards.get(index) else {
            return true;
        };
        let Ok(mut shard) = shard.lock() else {
            return true;
        };
        // Forget nonces older than twice the window (a timestamp can be 15 min in the
        // future, so a nonce must be remembered 30 min), and the oldest beyond capacity.
        while let Some((t, _)) = shard.order.front() {
            if *t > now - 2 * MAX_SKEW_SECS && shard.order.len() < self.per_shard {
                break;
            }
            if let Some((_, old)) = shard.order.pop_front() {
                shard.seen.remove(&old);
            }
        }
        if shard.seen.contains_key(&entry) {
            return false;
        }
        shard.seen.insert(entry, now);
        shard.order.push_back((now, entry));
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonce_is_single_use_within_the_window() {
        let cache = NonceCache::new(1024);
        assert!(cache.check_and_insert("ak", "n1", 1000));
        assert!(!cache.check_and_insert("ak", "n1", 1001));
        assert!(cache.check_and_insert("other", "n1", 1001));
        // After twice the window it is forgotten (its timestamp would be rejected anyway).
        assert!(cache.check_and_insert("ak", "n1", 1000 + 2 * MAX_SKEW_SECS + 1));
    }

    #[test]
    fn memory_is_bounded() {
        let cache = NonceCache::new(32);
        for i in 0..10_000 {
            assert!(cache.check_and_insert("ak", &i.to_string(), 0));
        }
        let total: usize = cache
            .shards
            .iter()
            .map(|s| s.lock().unwrap().seen.len())
            .sum();
        assert!(total <= 32);
    }
}
