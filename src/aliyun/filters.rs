//! ListKeys' `Filters`: `[{"Key":"KeyState","Values":["Enabled"]}]`, at most 10 entries;
//! different keys combine with AND, the values of one key with OR.

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};

use super::error::AliyunError;
use super::fields::Field;
use super::params::Params;
use super::wire;
use crate::model::KeyRecord;
use crate::service::Kms;

/// The filter keys the service documents.
const KEYS: &[&str] = &[
    "KeyState",
    "KeySpec",
    "KeyUsage",
    "ProtectionLevel",
    "CreatorType",
    "Creator",
    "keyId",
    "AliasName",
    "TagKey",
    "TagValue",
    "DKMSInstanceId",
    "Origin",
];

/// One entry: a key and the values it may take.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct Filter {
    #[serde(rename = "Key")]
    key: String,
    #[serde(rename = "Values")]
    values: Vec<String>,
}

/// The filters of a request (none when absent).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters(pub Vec<Filter>);

impl Field for Filters {
    const REQUIRED: bool = false;

    fn field(p: &Params, name: &'static str) -> Result<Self, AliyunError> {
        let Some(raw) = p.get(name).filter(|v| !v.is_empty()) else {
            return Ok(Self::default());
        };
        let bad = |why: &str| AliyunError::invalid_because(name, why);
        let list: Vec<Filter> = crate::json::parse(raw.as_bytes())
            .and_then(serde_json::from_value)
            .map_err(|_| {
                bad(r#"It must be a JSON array like [{"Key":"KeyState","Values":["Enabled"]}]."#)
            })?;
        if list.len() > 10 {
            return Err(bad("At most 10 filters."));
        }
        if let Some(f) = list.iter().find(|f| !KEYS.contains(&f.key.as_str())) {
            return Err(bad(&format!("Unknown filter key {:?}.", f.key)));
        }
        Ok(Self(list))
    }
}

impl JsonSchema for Filters {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "Filters".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "contentMediaType": "application/json",
            "description": "A JSON array of at most 10 filters, e.g. [{\"Key\":\"KeyState\",\"Values\":[\"Enabled\"]}]; keys: KeyState, KeySpec, KeyUsage, ProtectionLevel, CreatorType, Creator, keyId, AliasName, TagKey, TagValue, DKMSInstanceId, Origin.",
        })
    }
}

impl Filters {
    /// True when `k` passes every filter.
    #[must_use]
    pub fn matches(&self, kms: &Kms, k: &KeyRecord) -> bool {
        self.0.iter().all(|f| {
            let any = |got: &str| f.values.iter().any(|v| v == got);
            match f.key.as_str() {
                "KeyState" => any(wire::KeyState::from(k.state).as_str()),
                "KeySpec" => any(wire::KeySpec::from(k.spec).as_str()),
                "KeyUsage" => any(wire::KeyUsage::from(k.usage).as_str()),
                "ProtectionLevel" => any(wire::ProtectionLevel::from(k.protection_level).as_str()),
                "Origin" => any(wire::Origin::from(k.origin).as_str()),
                // Every key here was made by a user, none by a cloud service.
                "CreatorType" => any("User"),
                "Creator" => any(&k.creator),
                "keyId" => any(&k.key_id),
                "TagKey" => k.tags.keys().any(|t| any(t)),
                "TagValue" => k.tags.values().any(|t| any(t)),
                "AliasName" => kms
                    .alias_names(&k.key_id)
                    .is_ok_and(|names| names.iter().any(|n| any(n))),
                // "DKMSInstanceId": qkms has no instances, so no key is in one.
                _ => false,
            }
        })
    }
}
