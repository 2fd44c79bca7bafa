//! Principals from the configuration: who each access key belongs to, in which account,
//! and with which identity policies.
//!
//! In the TOML file:
//!
//! ```toml
//! [[principals]]
//! name = "app"
//! account = "1234567890123456"          # optional: the default account
//! access_keys = ["AKAPP:app-secret"]
//! policies = ['{"Statement":[{"Effect":"Allow","Action":"kms:Encrypt","Resource":"*"}]}']
//! ```
//!
//! A policy is JSON text, a TOML table of the same shape, or the path of a JSON file
//! (relative to the configuration file). On the command line, `--principal
//! NAME[@ACCOUNT]=ID:SECRET` declares one and `--principal-policy NAME=JSON|FILE` adds a
//! policy to it. `root = true` makes a principal its account's root (nothing restricts it).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use serde::Deserialize;

use crate::crypto::SecretBytes;
use crate::service::iam::PolicyDoc;
use crate::service::{Principal, valid_scope_id};

/// One `[[principals]]` table.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrincipalEntry {
    /// The user name.
    pub name: String,
    /// The account; absent = the default account.
    #[serde(default)]
    pub account: Option<String>,
    /// `ID:SECRET` pairs.
    #[serde(default, alias = "access-keys")]
    pub access_keys: Vec<String>,
    /// Identity policies.
    #[serde(default)]
    pub policies: Vec<toml::Value>,
    /// An account root: allowed everything.
    #[serde(default)]
    pub root: bool,
}

/// An access key with its principal.
pub type KeyOf = (String, SecretBytes, Arc<Principal>);

fn invalid(m: impl Into<String>) -> String {
    m.into()
}

/// A policy from a TOML value: JSON text, a table, or a file's path.
fn policy(value: &toml::Value, base: Option<&Path>, who: &str) -> Result<PolicyDoc, String> {
    let text = match value {
        toml::Value::String(s) if s.trim_start().starts_with('{') => s.clone(),
        toml::Value::String(path) => {
            let path = base.map_or_else(|| Path::new(path).to_owned(), |b| b.join(path));
            std::fs::read_to_string(&path).map_err(|e| {
                invalid(format!(
                    "principal {who}: policy file {}: {e}",
                    path.display()
                ))
            })?
        }
        other => serde_json::to_string(other)
            .map_err(|e| invalid(format!("principal {who}: policy: {e}")))?,
    };
    PolicyDoc::parse(&text).map_err(|e| invalid(format!("principal {who}: policy: {e}")))
}

/// The principal's account, with either spelling of the default account meaning it.
fn account(raw: Option<&str>, defaults: [&str; 2], who: &str) -> Result<Option<String>, String> {
    match raw {
        None => Ok(None),
        Some(a) if defaults.contains(&a) => Ok(None),
        Some(a) if valid_scope_id(a) => Ok(Some(a.to_owned())),
        Some(a) => Err(invalid(format!(
            "principal {who}: account {a:?} must be 1 to 64 letters, digits, '-' or '_'"
        ))),
    }
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'@' | b'+' | b'=')
        })
}

/// Builds the principals and their keys. `defaults` are the default account's two IDs
/// (Aliyun's and AWS's); `base` is the configuration file's directory; `parse_key` reads
/// `ID:SECRET`.
///
/// # Errors
/// A malformed entry, policy or key, a duplicate principal or access key.
pub fn build(
    entries: &[PrincipalEntry],
    base: Option<&Path>,
    defaults: [&str; 2],
    parse_key: impl Fn(&str) -> Result<(String, SecretBytes), String>,
) -> Result<Vec<KeyOf>, String> {
    let mut names = BTreeMap::new();
    let mut keys: Vec<KeyOf> = Vec::new();
    for e in entries {
        if !valid_name(&e.name) {
            return Err(invalid(format!(
                "principal name {:?} must be 1 to 64 letters, digits or -_.@+=",
                e.name
            )));
        }
        let account = account(e.account.as_deref(), defaults, &e.name)?;
        if names
            .insert((account.clone(), e.name.clone()), ())
            .is_some()
        {
            return Err(invalid(format!("principal {} is declared twice", e.name)));
        }
        let policies = e
            .policies
            .iter()
            .map(|p| policy(p, base, &e.name))
            .collect::<Result<Vec<_>, _>>()?;
        let principal = Arc::new(Principal {
            name: e.name.clone(),
            account,
            root: e.root,
            policies,
        });
        for pair in &e.access_keys {
            let (id, secret) = parse_key(pair.trim())?;
            if keys.iter().any(|(k, _, _)| *k == id) {
                return Err(invalid(format!("access key {id} is configured twice")));
            }
            keys.push((id, secret, principal.clone()));
        }
    }
    Ok(keys)
}

/// `--principal NAME[@ACCOUNT]=ID:SECRET` values and `--principal-policy NAME=POLICY`
/// values as entries.
///
/// # Errors
/// A value without its `=`, or a policy for an undeclared principal.
pub fn from_flags(
    principals: &[String],
    policies: &[String],
) -> Result<Vec<PrincipalEntry>, String> {
    let mut entries: Vec<PrincipalEntry> = Vec::new();
    for p in principals {
        let Some((who, key)) = p.split_once('=') else {
            return Err(invalid("--principal must be NAME[@ACCOUNT]=ID:SECRET"));
        };
        let (name, account) = match who.split_once('@') {
            Some((n, a)) => (n, Some(a.to_owned())),
            None => (who, None),
        };
        match entries
            .iter_mut()
            .find(|e| e.name == name && e.account == account)
        {
            Some(e) => e.access_keys.push(key.to_owned()),
            None => entries.push(PrincipalEntry {
                name: name.to_owned(),
                account,
                access_keys: vec![key.to_owned()],
                ..PrincipalEntry::default()
            }),
        }
    }
    for p in policies {
        let Some((name, doc)) = p.split_once('=') else {
            return Err(invalid("--principal-policy must be NAME=JSON or NAME=FILE"));
        };
        let Some(e) = entries.iter_mut().find(|e| e.name == name) else {
            return Err(invalid(format!(
                "--principal-policy names {name}, which no --principal declares"
            )));
        };
        e.policies.push(toml::Value::String(doc.to_owned()));
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(pair: &str) -> Result<(String, SecretBytes), String> {
        let (id, s) = pair.split_once(':').ok_or_else(|| invalid("bad"))?;
        Ok((id.to_owned(), SecretBytes::from_slice(s.as_bytes())))
    }

    #[test]
    fn entries_flags_and_policies() {
        let entries = from_flags(
            &[
                "app@777=AK1:s1".into(),
                "app@777=AK2:s2".into(),
                "ops=AK3:s3".into(),
            ],
            &[
                r#"app={"Statement":{"Effect":"Allow","Action":"kms:Encrypt","Resource":"*"}}"#
                    .into(),
            ],
        )
        .unwrap();
        let keys = build(&entries, None, ["1234567890123456", "111122223333"], key).unwrap();
        assert_eq!(keys.len(), 3);
        assert_eq!(keys[0].2.account.as_deref(), Some("777"));
        assert_eq!(keys[0].2.policies.len(), 1);
        assert!(Arc::ptr_eq(&keys[0].2, &keys[1].2));
        assert_eq!(keys[2].2.account, None);
        assert!(keys[2].2.policies.is_empty() && !keys[2].2.root);
        // The default account by its AWS spelling is the default account.
        let aws = PrincipalEntry {
            name: "x".into(),
            account: Some("111122223333".into()),
            access_keys: vec!["AK9:s".into()],
            ..PrincipalEntry::default()
        };
        let keys = build(&[aws], None, ["1234567890123456", "111122223333"], key).unwrap();
        assert_eq!(keys[0].2.account, None);
    }

    #[test]
    fn refusals() {
        let d = ["1", "2"];
        let bad_policy = PrincipalEntry {
            name: "a".into(),
            policies: vec![toml::Value::String(
                r#"{"Statement":[{"Effect":"Maybe","Action":"*"}]}"#.into(),
            )],
            ..PrincipalEntry::default()
        };
        assert!(build(&[bad_policy], None, d, key).is_err());
        let bad_account = PrincipalEntry {
            name: "a".into(),
            account: Some("a~b".into()),
            ..PrincipalEntry::default()
        };
        assert!(build(&[bad_account], None, d, key).is_err());
        let twice = PrincipalEntry {
            name: "a".into(),
            access_keys: vec!["K:1".into(), "K:2".into()],
            ..PrincipalEntry::default()
        };
        assert!(build(&[twice], None, d, key).is_err());
        assert!(from_flags(&["nokey".into()], &[]).is_err());
        assert!(from_flags(&[], &["ghost={}".into()]).is_err());
    }
}
