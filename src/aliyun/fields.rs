//! Typed request parameters. Each action's request is a struct declared with [`params!`]:
//! every field names its wire parameter once, and that one name serves both the parser
//! (`FromParams`) and the schema of the OpenAPI document. Each field type knows how its
//! parameter is read and refused, with the exact codes and messages the service uses:
//! `MissingParameter` for an absent or empty required one, `InvalidParameter` naming it
//! otherwise.

use std::borrow::Cow;
use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde_json::Value;

use super::error::AliyunError;
use super::params::Params;
use crate::model::EncryptionContext;
use crate::protocol::FieldInfo;

/// Base64 decoding that accepts input with or without padding (SDKs differ).
const B64_LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// A request parsed from the parameters.
pub trait FromParams: Sized {
    /// The fields, in parse order.
    const FIELDS: &'static [FieldInfo];

    /// Parses the request.
    ///
    /// # Errors
    /// The first missing or malformed parameter.
    fn from_params(p: &Params) -> Result<Self, AliyunError>;
}

/// One parameter's value.
pub trait Field: Sized {
    /// Whether an absent parameter is refused (`MissingParameter`).
    const REQUIRED: bool = true;

    /// Reads parameter `name`.
    ///
    /// # Errors
    /// `MissingParameter` or `InvalidParameter` naming it.
    fn field(p: &Params, name: &'static str) -> Result<Self, AliyunError>;
}

/// Declares a request struct whose fields each read one named parameter, in order.
macro_rules! params {
    ($($body:tt)*) => {
        $crate::protocol::wire_request! {
            [$crate::aliyun::fields::FromParams, from_params, $crate::aliyun::params::Params,
             $crate::aliyun::error::AliyunError, $crate::aliyun::fields::Field, field]
            $($body)*
        }
    };
}
pub(crate) use params;

/// The value of `name` when present and not empty.
fn present<'a>(p: &'a Params, name: &str) -> Option<&'a str> {
    p.get(name).filter(|v| !v.is_empty())
}

fn required<'a>(p: &'a Params, name: &str) -> Result<&'a str, AliyunError> {
    present(p, name).ok_or_else(|| AliyunError::missing(name))
}

/// A required, non-empty string.
impl Field for String {
    fn field(p: &Params, name: &'static str) -> Result<Self, AliyunError> {
        required(p, name).map(str::to_owned)
    }
}

/// An optional value: absent or empty is `None`.
impl<T: Field> Field for Option<T> {
    const REQUIRED: bool = false;

    fn field(p: &Params, name: &'static str) -> Result<Self, AliyunError> {
        if present(p, name).is_none() {
            Ok(None)
        } else {
            T::field(p, name).map(Some)
        }
    }
}

/// A required integer.
impl Field for i64 {
    fn field(p: &Params, name: &'static str) -> Result<Self, AliyunError> {
        required(p, name)?
            .trim()
            .parse::<i64>()
            .map_err(|_| AliyunError::invalid_because(name, "It must be an integer."))
    }
}

/// A string that must be given but may be empty (`Description` of UpdateKeyDescription).
#[derive(Debug, Clone, PartialEq, Eq, JsonSchema)]
#[schemars(transparent)]
pub struct Text(pub String);

impl Field for Text {
    fn field(p: &Params, name: &'static str) -> Result<Self, AliyunError> {
        p.get(name)
            .map(|v| Self(v.to_owned()))
            .ok_or_else(|| AliyunError::missing(name))
    }
}

/// A flag: absent is false; `true`/`false` in any case (the Python SDKs send `True`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, JsonSchema)]
#[schemars(transparent)]
pub struct Flag(pub bool);

impl Field for Flag {
    const REQUIRED: bool = false;

    fn field(p: &Params, name: &'static str) -> Result<Self, AliyunError> {
        match present(p, name) {
            None => Ok(Self(false)),
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(Self(true)),
            Some(v) if v.eq_ignore_ascii_case("false") => Ok(Self(false)),
            Some(_) => Err(AliyunError::invalid_because(
                name,
                "It must be true or false.",
            )),
        }
    }
}

/// Required base64 (padding optional), decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Base64(pub Vec<u8>);

impl Field for Base64 {
    fn field(p: &Params, name: &'static str) -> Result<Self, AliyunError> {
        B64_LENIENT
            .decode(required(p, name)?.trim())
            .map(Self)
            .map_err(|_| AliyunError::invalid_because(name, "It is not valid base64."))
    }
}

impl JsonSchema for Base64 {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "Base64".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({"type": "string", "format": "byte", "contentEncoding": "base64", "minLength": 1})
    }
}

/// A required integer in `MIN..=MAX` (refused as "It must be MIN to MAX.").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ranged<const MIN: i64, const MAX: i64>(pub i64);

impl<const MIN: i64, const MAX: i64> Field for Ranged<MIN, MAX> {
    fn field(p: &Params, name: &'static str) -> Result<Self, AliyunError> {
        let n = i64::field(p, name)?;
        if (MIN..=MAX).contains(&n) {
            Ok(Self(n))
        } else {
            Err(AliyunError::invalid_because(
                name,
                &format!("It must be {MIN} to {MAX}."),
            ))
        }
    }
}

impl<const MIN: i64, const MAX: i64> JsonSchema for Ranged<MIN, MAX> {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        format!("Integer{MIN}To{MAX}").into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({"type": "integer", "minimum": MIN, "maximum": MAX})
    }
}

/// `PageNumber`: an integer of at least 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageNumber(pub usize);

impl Field for PageNumber {
    fn field(p: &Params, name: &'static str) -> Result<Self, AliyunError> {
        usize::try_from(i64::field(p, name)?)
            .ok()
            .filter(|n| *n >= 1)
            .map(Self)
            .ok_or_else(|| AliyunError::invalid_because(name, "It must be at least 1."))
    }
}

impl JsonSchema for PageNumber {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "PageNumber".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({"type": "integer", "minimum": 1, "default": 1})
    }
}

/// An encryption context: a JSON object string (`{"k":"v"}`), or the Node SDK's dotted
/// parameters (`EncryptionContext.k=v`); non-string scalars count as their JSON text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context(pub EncryptionContext);

impl Field for Context {
    const REQUIRED: bool = false;

    fn field(p: &Params, name: &'static str) -> Result<Self, AliyunError> {
        let bad =
            || AliyunError::invalid_because(name, "It must be a JSON object of string values.");
        let mut ctx = EncryptionContext::new();
        if let Some(raw) = present(p, name) {
            let Value::Object(map) = crate::json::parse(raw.as_bytes()).map_err(|_| bad())? else {
                return Err(bad());
            };
            for (k, v) in map {
                let v = match v {
                    Value::String(s) => s,
                    Value::Number(n) => n.to_string(),
                    Value::Bool(b) => b.to_string(),
                    _ => return Err(bad()),
                };
                ctx.insert(k, v);
            }
        }
        let prefix = format!("{name}.");
        for (k, v) in p.with_prefix(&prefix) {
            ctx.insert(k.to_owned(), v.to_owned());
        }
        Ok(Self(ctx))
    }
}

impl JsonSchema for Context {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "EncryptionContext".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "contentMediaType": "application/json",
            "description": "A JSON object of string values, e.g. {\"purpose\":\"test\"}; compared as a map. Also accepted as EncryptionContext.<key>=<value> parameters.",
        })
    }
}

/// `Tags`: `[{"TagKey":"k","TagValue":"v"}]`, at most 20, keys not starting with
/// `aliyun` or `acs:`; absent is none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tags(pub BTreeMap<String, String>);

impl Field for Tags {
    const REQUIRED: bool = false;

    fn field(p: &Params, name: &'static str) -> Result<Self, AliyunError> {
        let mut tags = BTreeMap::new();
        let Some(raw) = present(p, name) else {
            return Ok(Self(tags));
        };
        let bad = || {
            AliyunError::invalid_because(
                name,
                r#"It must be a JSON array like [{"TagKey":"k","TagValue":"v"}]."#,
            )
        };
        let Value::Array(items) = crate::json::parse(raw.as_bytes()).map_err(|_| bad())? else {
            return Err(bad());
        };
        for item in items {
            let key = item.get("TagKey").and_then(Value::as_str).ok_or_else(bad)?;
            let value = item
                .get("TagValue")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if key.is_empty()
                || key.len() > 128
                || value.len() > 256
                || key.starts_with("aliyun")
                || key.starts_with("acs:")
            {
                return Err(bad());
            }
            tags.insert(key.to_owned(), value.to_owned());
        }
        if tags.len() > MAX_TAGS {
            return Err(AliyunError::invalid_because(name, "At most 20 tags."));
        }
        Ok(Self(tags))
    }
}

/// Tags one request may carry (the Aliyun documentation's limit).
pub const MAX_TAGS: usize = 20;

impl JsonSchema for Tags {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "Tags".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "contentMediaType": "application/json",
            "description": "A JSON array of at most 20 tags, e.g. [{\"TagKey\":\"team\",\"TagValue\":\"qa\"}]; keys must not start with aliyun or acs:.",
        })
    }
}

/// `TagKeys`: `["k1","k2"]`, required.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TagKeys(pub Vec<String>);

impl Field for TagKeys {
    fn field(p: &Params, name: &'static str) -> Result<Self, AliyunError> {
        let raw = required(p, name)?;
        crate::json::parse(raw.as_bytes())
            .and_then(serde_json::from_value)
            .map(Self)
            .map_err(|_| {
                AliyunError::invalid_because(name, r#"It must be a JSON array like ["k1","k2"]."#)
            })
    }
}

impl JsonSchema for TagKeys {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "TagKeys".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "contentMediaType": "application/json",
            "description": "A JSON array of tag keys, e.g. [\"team\"].",
        })
    }
}

/// One `Name.N[.Member]=value` parameter: N, the member (or `""`) and the value.
type Indexed = (u32, String, String);

/// The `Name.1`, `Name.2`, … parameters of a repeated list (how both Python SDKs flatten
/// lists), by index; or, as the Tea documentation writes it, one `Name` holding a JSON
/// array. `None` when neither is present.
///
/// # Errors
/// `InvalidParameter` for an index that is not a positive integer, both forms at once, a
/// `Name` that is not a JSON array, or more than `max` items.
fn indexed(
    p: &Params,
    name: &'static str,
    max: usize,
) -> Result<Option<Vec<Indexed>>, AliyunError> {
    let prefix = format!("{name}.");
    let mut items = Vec::new();
    for (rest, value) in p.with_prefix(&prefix) {
        let (index, member) = rest.split_once('.').unwrap_or((rest, ""));
        let n: u32 = index.parse().ok().filter(|n| *n >= 1).ok_or_else(|| {
            AliyunError::invalid_because(
                name,
                &format!("{name}.{rest} is not {name}.<N> with N from 1."),
            )
        })?;
        items.push((n, member.to_owned(), value.to_owned()));
    }
    if present(p, name).is_some() && !items.is_empty() {
        return Err(AliyunError::invalid_because(
            name,
            &format!("Give either {name} or {name}.<N>, not both."),
        ));
    }
    items.sort_unstable();
    let count = items
        .iter()
        .map(|(n, _, _)| n)
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    if count > max {
        return Err(AliyunError::invalid_because(
            name,
            &format!("At most {max} items."),
        ));
    }
    Ok((!items.is_empty()).then_some(items))
}

/// The JSON-array form of a repeated list, parsed.
fn json_array(
    p: &Params,
    name: &'static str,
    example: &str,
) -> Result<Option<Vec<Value>>, AliyunError> {
    let Some(raw) = present(p, name) else {
        return Ok(None);
    };
    match crate::json::parse(raw.as_bytes()) {
        Ok(Value::Array(items)) => Ok(Some(items)),
        _ => Err(AliyunError::invalid_because(
            name,
            &format!(
                "It must be given as {name}.1, {name}.2, … or as a JSON array like {example}."
            ),
        )),
    }
}

/// A repeated list of strings (`ResourceId.N`, `TagKey.N`), at most `MAX`; with
/// `REQUIRED`, at least one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Repeated<const MAX: usize, const REQUIRED: bool>(pub Vec<String>);

impl<const MAX: usize, const REQUIRED: bool> Field for Repeated<MAX, REQUIRED> {
    const REQUIRED: bool = REQUIRED;

    fn field(p: &Params, name: &'static str) -> Result<Self, AliyunError> {
        let bad = || AliyunError::invalid_because(name, "Every item must be a non-empty string.");
        let mut out = Vec::new();
        if let Some(items) = indexed(p, name, MAX)? {
            for (_, member, value) in items {
                if !member.is_empty() || value.is_empty() {
                    return Err(bad());
                }
                out.push(value);
            }
        } else if let Some(items) = json_array(p, name, r#"["a","b"]"#)? {
            for v in items {
                out.push(
                    v.as_str()
                        .filter(|s| !s.is_empty())
                        .ok_or_else(bad)?
                        .to_owned(),
                );
            }
            if out.len() > MAX {
                return Err(AliyunError::invalid_because(
                    name,
                    &format!("At most {MAX} items."),
                ));
            }
        }
        let mut seen = std::collections::HashSet::new();
        out.retain(|v| seen.insert(v.clone()));
        if REQUIRED && out.is_empty() {
            return Err(AliyunError::missing(name));
        }
        Ok(Self(out))
    }
}

impl<const MAX: usize, const REQUIRED: bool> JsonSchema for Repeated<MAX, REQUIRED> {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        format!("Repeated{MAX}").into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "description": format!("A list of at most {MAX} strings, as Name.1, Name.2, … (what the SDKs send), or as one JSON array [\"a\",\"b\"]."),
        })
    }
}

/// A tag key as the service allows it: 1–128 characters, not starting with `aliyun` or
/// `acs:`; its value at most 256.
fn valid_tag(key: &str, value: &str) -> bool {
    !key.is_empty()
        && key.chars().count() <= 128
        && value.chars().count() <= 256
        && !key.starts_with("aliyun")
        && !key.starts_with("acs:")
}

/// `Tag.N.Key` / `Tag.N.Value` pairs (a `Value` may be absent: empty), at most 20, or one
/// `Tag` holding `[{"Key":"k","Value":"v"}]`. Keys must be valid tag keys (see
/// [`Tags`]); one key given twice with two values is refused.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TagPairs(pub BTreeMap<String, String>);

impl TagPairs {
    fn insert(&mut self, name: &'static str, key: &str, value: &str) -> Result<(), AliyunError> {
        if !valid_tag(key, value) {
            return Err(AliyunError::invalid_because(
                name,
                "A tag key is 1 to 128 characters and must not start with aliyun or acs:; a value is at most 256.",
            ));
        }
        match self.0.insert(key.to_owned(), value.to_owned()) {
            Some(old) if old != value => Err(AliyunError::invalid_because(
                name,
                &format!("The tag key {key} is given twice with different values."),
            )),
            _ => Ok(()),
        }
    }
}

impl Field for TagPairs {
    const REQUIRED: bool = false;

    fn field(p: &Params, name: &'static str) -> Result<Self, AliyunError> {
        let mut out = Self::default();
        if let Some(items) = indexed(p, name, MAX_TAGS)? {
            let mut pairs: BTreeMap<u32, (Option<String>, String)> = BTreeMap::new();
            for (n, member, value) in items {
                let slot = pairs.entry(n).or_default();
                match member.as_str() {
                    "Key" => slot.0 = Some(value),
                    "Value" => slot.1 = value,
                    _ => {
                        return Err(AliyunError::invalid_because(
                            name,
                            &format!(
                                "{name}.{n}.{member} is not {name}.<N>.Key or {name}.<N>.Value."
                            ),
                        ));
                    }
                }
            }
            for (n, (key, value)) in pairs {
                let key = key.ok_or_else(|| AliyunError::missing(&format!("{name}.{n}.Key")))?;
                out.insert(name, &key, &value)?;
            }
        } else if let Some(items) = json_array(p, name, r#"[{"Key":"k","Value":"v"}]"#)? {
            if items.len() > MAX_TAGS {
                return Err(AliyunError::invalid_because(name, "At most 20 tags."));
            }
            for item in items {
                let key = item.get("Key").and_then(Value::as_str).unwrap_or_default();
                let value = item
                    .get("Value")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                out.insert(name, key, value)?;
            }
        }
        Ok(out)
    }
}

impl JsonSchema for TagPairs {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "TagPairs".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "description": "At most 20 tags, as Tag.1.Key, Tag.1.Value, Tag.2.Key, … (what the SDKs send), or as one JSON array [{\"Key\":\"team\",\"Value\":\"qa\"}]; keys must not start with aliyun or acs:.",
        })
    }
}

/// Implements [`Field`] (absent: missing; unknown: invalid, no reason) and [`JsonSchema`]
/// (an enum of the names) for a [`crate::enums::closed_enum!`] wire type.
macro_rules! enum_field {
    ($name:ty) => {
        impl $crate::aliyun::fields::Field for $name {
            fn field(
                p: &$crate::aliyun::params::Params,
                name: &'static str,
            ) -> Result<Self, $crate::aliyun::error::AliyunError> {
                let raw = p
                    .get(name)
                    .filter(|v| !v.is_empty())
                    .ok_or_else(|| $crate::aliyun::error::AliyunError::missing(name))?;
                <$name>::parse(raw).ok_or_else(|| $crate::aliyun::error::AliyunError::invalid(name))
            }
        }

        $crate::enums::enum_schema!($name);
    };
}
pub(crate) use enum_field;

#[cfg(test)]
mod tests {
    use super::*;

    fn params(list: &[(&str, &str)]) -> Params {
        Params::new(
            list.iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            Vec::new(),
        )
        .unwrap()
    }

    #[test]
    fn encryption_context_forms_compare_as_maps() {
        let json_form = Context::field(
            &params(&[("EncryptionContext", r#"{"b": "2", "a":"1"}"#)]),
            "EncryptionContext",
        )
        .unwrap();
        let dotted = Context::field(
            &params(&[("EncryptionContext.a", "1"), ("EncryptionContext.b", "2")]),
            "EncryptionContext",
        )
        .unwrap();
        assert_eq!(json_form, dotted);
        for bad in ["[1]", "{bad", r#"{"k":"1","k":"2"}"#] {
            assert!(
                Context::field(&params(&[("EncryptionContext", bad)]), "EncryptionContext")
                    .is_err()
            );
        }
        assert!(
            Context::field(&params(&[]), "EncryptionContext")
                .unwrap()
                .0
                .is_empty()
        );
    }

    #[test]
    fn repeated_lists_come_indexed_or_as_json() {
        type Ids = Repeated<3, true>;
        let indexed = params(&[("R.2", "b"), ("R.1", "a"), ("R.3", "a")]);
        assert_eq!(Ids::field(&indexed, "R").unwrap().0, vec!["a", "b"]);
        let json = params(&[("R", r#"["a","b"]"#)]);
        assert_eq!(Ids::field(&json, "R").unwrap().0, vec!["a", "b"]);
        for bad in [
            &[("R", "a"), ("R.1", "a")][..],
            &[("R.0", "a")],
            &[("R.x", "a")],
            &[("R", "plain")],
            &[("R.1", "a"), ("R.2", "b"), ("R.3", "c"), ("R.4", "d")],
        ] {
            assert!(Ids::field(&params(bad), "R").is_err(), "{bad:?}");
        }
        assert_eq!(
            Ids::field(&params(&[]), "R").unwrap_err().code,
            super::super::error::ErrorCode::MissingParameter
        );
        assert!(
            Repeated::<3, false>::field(&params(&[]), "R")
                .unwrap()
                .0
                .is_empty()
        );
    }

    #[test]
    fn tag_pairs_come_indexed_or_as_json() {
        let indexed = params(&[("Tag.1.Key", "a"), ("Tag.1.Value", "1"), ("Tag.2.Key", "b")]);
        let json = params(&[("Tag", r#"[{"Key":"a","Value":"1"},{"Key":"b"}]"#)]);
        let want: BTreeMap<String, String> =
            [("a".into(), "1".into()), ("b".into(), String::new())].into();
        assert_eq!(TagPairs::field(&indexed, "Tag").unwrap().0, want);
        assert_eq!(TagPairs::field(&json, "Tag").unwrap().0, want);
        for bad in [
            &[("Tag.1.Value", "1")][..],
            &[("Tag.1.Key", "aliyun:x")],
            &[("Tag.1.Key", "acs:x")],
            &[("Tag.1.Name", "x")],
            &[
                ("Tag.1.Key", "a"),
                ("Tag.1.Value", "1"),
                ("Tag.2.Key", "a"),
                ("Tag.2.Value", "2"),
            ],
        ] {
            assert!(TagPairs::field(&params(bad), "Tag").is_err(), "{bad:?}");
        }
    }

    #[test]
    fn each_kind_refuses_with_its_message() {
        let p = params(&[
            ("N", "x"),
            ("F", "maybe"),
            ("B", "!!"),
            ("R", "0"),
            ("E", ""),
        ]);
        let msg = |r: Result<(), AliyunError>| r.unwrap_err().message;
        assert!(msg(i64::field(&p, "N").map(drop)).contains("It must be an integer."));
        assert!(msg(Flag::field(&p, "F").map(drop)).contains("It must be true or false."));
        assert!(msg(Base64::field(&p, "B").map(drop)).contains("It is not valid base64."));
        assert!(msg(Ranged::<1, 100>::field(&p, "R").map(drop)).contains("It must be 1 to 100."));
        let missing = String::field(&p, "E").unwrap_err();
        assert_eq!(
            missing.code,
            super::super::error::ErrorCode::MissingParameter
        );
        assert_eq!(Option::<String>::field(&p, "E").unwrap(), None);
        assert_eq!(Text::field(&p, "E").unwrap(), Text(String::new()));
        assert_eq!(
            PageNumber::field(&params(&[("P", "0")]), "P")
                .unwrap_err()
                .code,
            super::super::error::ErrorCode::InvalidParameter
        );
    }
}
