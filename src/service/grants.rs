//! Grants as data: created, listed, retired and revoked, and kept in their key's record
//! (so they disappear with it). Nothing enforces them yet.
//!
//! A grant token names its key and grant, authenticated, so that RetireGrant can find the
//! grant from the token alone. Layout (base64url without padding), frozen:
//!
//! ```text
//! version 0x01 | nonce (16 bytes) | key ID length (1 byte) | key ID | grant ID (32 bytes)
//!   | HMAC-SHA-256 of everything before it, under a key derived from the root key
//! ```
//!
//! The nonce makes every token unique, as AWS's are, even for one grant.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use subtle::ConstantTimeEq as _;

use super::{Error, Kms, Result};
use crate::crypto::root::hmac_sha256;
use crate::model::{Grant, GrantConstraint, GrantOperation, KeyRecord, KeyRef, KeyState};

/// Format version of grant tokens. Never change it: issued tokens carry it.
const TOKEN_VERSION: u8 = 1;
/// Random bytes in each token.
const TOKEN_NONCE: usize = 16;
/// Bytes of a grant ID (64 hex digits, as AWS's).
const GRANT_ID_BYTES: usize = 32;
/// Bytes of the token's MAC.
const TAG: usize = 32;
/// Label of the key that authenticates grant tokens. Never change it.
pub(super) const TOKEN_KEY_LABEL: &[u8] = b"qkms grant token v1";

/// CreateGrant's parameters, checked by the protocol layer.
#[derive(Debug, Clone)]
pub struct GrantInput {
    /// Friendly name (idempotence).
    pub name: Option<String>,
    /// Who gets the permissions.
    pub grantee: String,
    /// Who may retire the grant.
    pub retiring: Option<String>,
    /// What it allows (at least one).
    pub operations: Vec<GrantOperation>,
    /// Its encryption-context constraint.
    pub constraint: Option<GrantConstraint>,
    /// The account that issues it, as the protocol names accounts.
    pub issuing_account: String,
}

/// A created (or, by name, found) grant.
#[derive(Debug, Clone)]
pub struct IssuedGrant {
    /// Its ID.
    pub grant_id: String,
    /// A fresh token for it.
    pub token: String,
}

/// How RetireGrant names a grant.
#[derive(Debug, Clone)]
pub enum GrantRef {
    /// By the token CreateGrant returned.
    Token(String),
    /// By its key and ID.
    Id(KeyRef, String),
}

/// True when `g` is what `input` asks for (the same name and parameters).
fn same_grant(g: &Grant, input: &GrantInput, operations: &[GrantOperation]) -> bool {
    g.name == input.name
        && g.grantee == input.grantee
        && g.retiring == input.retiring
        && g.operations == operations
        && g.constraint == input.constraint
}

/// Refuses grants on a key pending deletion (AWS's key-state table).
fn grantable(key: &KeyRecord, operations: &[GrantOperation]) -> Result<()> {
    let invalid: Vec<&str> = operations
        .iter()
        .filter(|o| !o.valid_for(key.spec, key.usage))
        .map(|o| o.as_str())
        .collect();
    if !invalid.is_empty() {
        return Err(Error::invalid(
            "Operations",
            format!(
                "Grant operations {} are not valid for a {} key of usage {}.",
                invalid.join(", "),
                key.spec.as_str(),
                key.usage.as_str()
            ),
        ));
    }
    if key.state == KeyState::PendingDeletion {
        return Err(Error::StateChangeRefused { state: key.state });
    }
    Ok(())
}

impl Kms {
    /// CreateGrant. With a name, a grant of the same name and parameters on the key is
    /// returned (with a fresh token) instead of a new one; a name with other parameters
    /// makes a new grant, since names are not unique. With `dry_run`, checks and writes
    /// nothing (`Ok(None)`).
    ///
    /// # Errors
    /// Key lookup errors; [`Error::StateChangeRefused`] for a key pending deletion;
    /// [`Error::InvalidParameter`] without operations.
    pub fn create_grant(
        &self,
        key: &KeyRef,
        input: &GrantInput,
        dry_run: bool,
    ) -> Result<Option<IssuedGrant>> {
        let mut operations = input.operations.clone();
        operations.sort_by_key(|o| o.as_str());
        operations.dedup();
        if operations.is_empty() {
            return Err(Error::invalid(
                "Operations",
                "must have at least one operation",
            ));
        }
        if dry_run {
            grantable(&self.load(key)?, &operations)?;
            return Ok(None);
        }
        let mut fresh = [0u8; GRANT_ID_BYTES];
        self.random(&mut fresh)?;
        let fresh = hex::encode(fresh);
        let (record, grant_id) = self.update(key, |key, now| {
            grantable(key, &operations)?;
            if input.name.is_some()
                && let Some(g) = key
                    .grants
                    .iter()
                    .find(|g| same_grant(g, input, &operations))
            {
                return Ok(g.id.clone());
            }
            key.grants.push(Grant {
                id: fresh.clone(),
                name: input.name.clone(),
                created: now,
                grantee: input.grantee.clone(),
                retiring: input.retiring.clone(),
                issuing_account: input.issuing_account.clone(),
                operations: operations.clone(),
                constraint: input.constraint.clone(),
            });
            Ok(fresh.clone())
        })?;
        let token = self.grant_token(&record.key_id, &grant_id)?;
        tracing::info!(key_id = %record.key_id, grant_id = %grant_id, "grant created");
        Ok(Some(IssuedGrant { grant_id, token }))
    }

    /// Every grant whose retiring principal is `principal`, with its key ID, by key.
    ///
    /// # Errors
    /// Store failures.
    pub fn retirable_grants(&self, principal: &str) -> Result<Vec<(String, Grant)>> {
        self.allow_account()?;
        let retires = |g: &Grant| g.retiring.as_deref() == Some(principal);
        let keys = self.list_keys_matching(0, usize::MAX, |k| k.grants.iter().any(retires))?;
        Ok(keys
            .items
            .into_iter()
            .flat_map(|k| {
                let id = k.key_id;
                k.grants
                    .into_iter()
                    .filter(retires)
                    .map(move |g| (id.clone(), g))
            })
            .collect())
    }

    /// RetireGrant, by token or by key and grant ID; with `dry_run`, only checks that the
    /// grant exists. Returns the key ID.
    ///
    /// # Errors
    /// [`Error::InvalidGrantToken`] for a token qkms did not issue; [`Error::GrantNotFound`]
    /// for a grant that is gone (or never was); key lookup errors.
    pub fn retire_grant(&self, grant: &GrantRef, dry_run: bool) -> Result<String> {
        let (key, grant_id) = match grant {
            GrantRef::Token(token) => {
                let (key_id, grant_id) = self.open_grant_token(token)?;
                (KeyRef::Id(key_id), grant_id)
            }
            GrantRef::Id(key, grant_id) => (key.clone(), grant_id.clone()),
        };
        self.revoke_grant(&key, &grant_id, dry_run)
    }

    /// RevokeGrant (allowed in every key state); with `dry_run`, only checks that the grant
    /// exists. Returns the key ID.
    ///
    /// # Errors
    /// [`Error::GrantNotFound`]; key lookup errors.
    pub fn revoke_grant(&self, key: &KeyRef, grant_id: &str, dry_run: bool) -> Result<String> {
        if dry_run {
            let record = self.load(key)?;
            return if record.grants.iter().any(|g| g.id == grant_id) {
                Ok(record.key_id)
            } else {
                Err(Error::GrantNotFound)
            };
        }
        let (record, ()) = self.update(key, |key, _| {
            let before = key.grants.len();
            key.grants.retain(|g| g.id != grant_id);
            if key.grants.len() == before {
                return Err(Error::GrantNotFound);
            }
            Ok(())
        })?;
        tracing::info!(key_id = %record.key_id, grant_id, "grant removed");
        Ok(record.key_id)
    }

    /// A fresh token for a grant.
    fn grant_token(&self, key_id: &str, grant_id: &str) -> Result<String> {
        let key_len = u8::try_from(key_id.len())
            .map_err(|_| Error::internal("key ID too long for a grant token"))?;
        let id = hex::decode(grant_id).map_err(Error::internal)?;
        let mut nonce = [0u8; TOKEN_NONCE];
        self.random(&mut nonce)?;
        let mut token = vec![TOKEN_VERSION];
        token.extend_from_slice(&nonce);
        token.push(key_len);
        token.extend_from_slice(key_id.as_bytes());
        token.extend_from_slice(&id);
        let tag = hmac_sha256(&self.grant_key, &token);
        token.extend_from_slice(&tag);
        Ok(B64URL.encode(token))
    }

    /// The key ID and grant ID a token names, if qkms issued it.
    fn open_grant_token(&self, token: &str) -> Result<(String, String)> {
        let bytes = B64URL
            .decode(token.trim_end_matches('='))
            .map_err(|_| Error::InvalidGrantToken)?;
        let body_len = bytes
            .len()
            .checked_sub(TAG)
            .ok_or(Error::InvalidGrantToken)?;
        let (body, tag) = bytes.split_at(body_len);
        let want = hmac_sha256(&self.grant_key, body);
        if !bool::from(want.ct_eq(tag)) {
            return Err(Error::InvalidGrantToken);
        }
        // Authentic, so well formed: qkms wrote it. Checked all the same.
        let (&version, rest) = body.split_first().ok_or(Error::InvalidGrantToken)?;
        let rest = rest.get(TOKEN_NONCE..).ok_or(Error::InvalidGrantToken)?;
        let (&key_len, rest) = rest.split_first().ok_or(Error::InvalidGrantToken)?;
        if version != TOKEN_VERSION || rest.len() != usize::from(key_len) + GRANT_ID_BYTES {
            return Err(Error::InvalidGrantToken);
        }
        let (key_id, grant_id) = rest.split_at(usize::from(key_len));
        let key_id = String::from_utf8(key_id.to_vec()).map_err(|_| Error::InvalidGrantToken)?;
        Ok((key_id, hex::encode(grant_id)))
    }
}
