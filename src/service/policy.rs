//! Key policies as data: a policy document is checked for the grammar both services share
//! (`Version`, `Statement` with `Effect`, `Principal`, `Action`, `Resource`, optional
//! `Sid` and `Condition`), stored byte for byte, and returned as it was set through either
//! dialect. Nothing enforces it yet. A key without a policy has none stored: each dialect
//! renders its own service's default policy.

use serde_json::{Map, Value};

use super::{Error, Kms, Result};
use crate::model::KeyRef;

/// The largest policy either service stores, in bytes (Aliyun's documented limit, and AWS's
/// key-policy size quota of 32 KB).
pub const MAX_POLICY_BYTES: usize = 32_768;

/// The statement members a key policy may use (IAM's grammar, which Aliyun's RAM shares);
/// each `Not…` form stands in for its positive one.
const STATEMENT_MEMBERS: &[&str] = &[
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
];

fn malformed(reason: impl Into<String>) -> Error {
    Error::MalformedPolicy(reason.into())
}

/// A string, or a non-empty list of strings (how `Action` and `Resource` are written).
fn strings(v: &Value) -> bool {
    match v {
        Value::String(s) => !s.is_empty(),
        Value::Array(items) => !items.is_empty() && items.iter().all(|i| i.as_str().is_some()),
        _ => false,
    }
}

/// `"*"`, or an object of principal kinds (`AWS`, `RAM`, `Service`, …) to names.
fn principal(v: &Value) -> bool {
    match v {
        Value::String(s) => s == "*",
        Value::Object(kinds) => !kinds.is_empty() && kinds.values().all(strings),
        _ => false,
    }
}

/// Exactly one of a member and its `Not…` form, and it is well formed.
fn one_of(s: &Map<String, Value>, i: usize, name: &str, ok: fn(&Value) -> bool) -> Result<()> {
    let not = format!("Not{name}");
    match (s.get(name), s.get(&not)) {
        (Some(v), None) | (None, Some(v)) if ok(v) => Ok(()),
        (Some(_), Some(_)) => Err(malformed(format!(
            "Statement {i} has both {name} and {not}"
        ))),
        (None, None) => Err(malformed(format!("Statement {i} has no {name}"))),
        _ => Err(malformed(format!("Statement {i} has an invalid {name}"))),
    }
}

fn statement(i: usize, v: &Value) -> Result<()> {
    let Value::Object(s) = v else {
        return Err(malformed(format!("Statement {i} is not an object")));
    };
    if let Some(unknown) = s.keys().find(|k| !STATEMENT_MEMBERS.contains(&k.as_str())) {
        return Err(malformed(format!(
            "Statement {i} has an unknown member {unknown}"
        )));
    }
    match s.get("Effect").and_then(Value::as_str) {
        Some("Allow" | "Deny") => {}
        _ => {
            return Err(malformed(format!(
                "Statement {i} must have Effect Allow or Deny"
            )));
        }
    }
    one_of(s, i, "Principal", principal)?;
    one_of(s, i, "Action", strings)?;
    one_of(s, i, "Resource", strings)?;
    if s.get("Sid").is_some_and(|v| !v.is_string()) {
        return Err(malformed(format!(
            "Statement {i} has a Sid that is not a string"
        )));
    }
    if s.get("Condition").is_some_and(|v| !v.is_object()) {
        return Err(malformed(format!(
            "Statement {i} has a Condition that is not an object"
        )));
    }
    Ok(())
}

/// Checks that `policy` is a key policy document of at most [`MAX_POLICY_BYTES`].
///
/// # Errors
/// [`Error::PolicyTooLarge`], or [`Error::MalformedPolicy`] saying what is wrong.
pub fn check_policy(policy: &str) -> Result<()> {
    if policy.len() > MAX_POLICY_BYTES {
        return Err(Error::PolicyTooLarge {
            max: MAX_POLICY_BYTES,
        });
    }
    let doc = crate::json::parse(policy.as_bytes())
        .map_err(|e| malformed(format!("the policy is not JSON: {e}")))?;
    let Value::Object(doc) = doc else {
        return Err(malformed("the policy is not a JSON object"));
    };
    if let Some(unknown) = doc
        .keys()
        .find(|k| !["Version", "Id", "Statement"].contains(&k.as_str()))
    {
        return Err(malformed(format!("unknown policy member {unknown}")));
    }
    if !doc.get("Version").is_some_and(Value::is_string) {
        return Err(malformed("the policy has no Version string"));
    }
    if doc.get("Id").is_some_and(|v| !v.is_string()) {
        return Err(malformed("the policy Id is not a string"));
    }
    // IAM's grammar allows one statement object in place of a list of them.
    match doc.get("Statement") {
        Some(Value::Array(list)) if !list.is_empty() => list
            .iter()
            .enumerate()
            .try_for_each(|(i, s)| statement(i, s)),
        Some(one @ Value::Object(_)) => statement(0, one),
        _ => Err(malformed("the policy has no Statement")),
    }
}

impl Kms {
    /// Replaces a key's policy with `policy` (checked, stored byte for byte). Allowed in
    /// every key state, in both services.
    ///
    /// # Errors
    /// As [`check_policy`]; key lookup errors.
    pub fn set_key_policy(&self, key: &KeyRef, policy: &str) -> Result<()> {
        check_policy(policy)?;
        self.update(key, |key, _| {
            key.policy = Some(policy.to_owned());
            Ok(())
        })?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALIYUN: &str = r#"{"Version":"1","Statement":[{"Sid":"Enable RAM User Permissions","Effect":"Allow","Principal":{"RAM":["acs:ram::1234:*"]},"Action":["kms:*"],"Resource":["*"]}]}"#;

    #[test]
    fn accepts_both_services_policies() {
        check_policy(ALIYUN).unwrap();
        check_policy(
            r#"{"Version":"2012-10-17","Id":"key-default-1","Statement":{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}}"#,
        )
        .unwrap();
    }

    #[test]
    fn refuses_what_is_not_a_policy() {
        for bad in [
            "not json",
            "[]",
            r#"{"Statement":[]}"#,
            r#"{"Version":"1"}"#,
            r#"{"Version":"1","Statement":[]}"#,
            r#"{"Version":"1","Statement":[{"Effect":"Maybe","Principal":"*","Action":"a","Resource":"*"}]}"#,
            r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"a","Resource":"*"}]}"#,
            r#"{"Version":"1","Statement":[{"Effect":"Allow","Principal":"*","Resource":"*"}]}"#,
            r#"{"Version":"1","Statement":[{"Effect":"Allow","Principal":"*","Action":[],"Resource":"*"}]}"#,
            r#"{"Version":"1","Statement":[{"Effect":"Allow","Principal":"*","Action":"a","Resource":"*","Colour":1}]}"#,
            r#"{"Version":"1","Statement":[{"Effect":"Allow","Principal":"*","Action":"a","NotAction":"b","Resource":"*"}]}"#,
            r#"{"Version":"1","Statement":[{"Effect":"Allow","Principal":"*","Action":"a","Resource":"*","Condition":"x"}]}"#,
        ] {
            assert!(
                matches!(check_policy(bad), Err(Error::MalformedPolicy(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn refuses_a_policy_over_32_kib() {
        let pad = "x".repeat(MAX_POLICY_BYTES);
        let big = ALIYUN.replace("Enable RAM User Permissions", &pad);
        assert!(matches!(
            check_policy(&big),
            Err(Error::PolicyTooLarge { max: 32_768 })
        ));
    }
}
