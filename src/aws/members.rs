//! Typed request members. Each operation's request is a struct declared with
//! [`members!`]: every field names its JSON member once, and that name serves both the
//! parser ([`FromInput`]) and the schema of the OpenAPI document. Each member type knows
//! how it is read and refused, in AWS's words: a member of the wrong JSON type is a
//! `SerializationException`; a value that breaks a constraint, or a missing required
//! member, is a `ValidationException` (botocore checks only required members, types and
//! minimums, so the server checks the rest). `null` counts as absent; unknown members are
//! ignored.

use std::borrow::Cow;
use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde_json::{Map, Value};

use super::error::{AwsError, Exception};
use crate::protocol::FieldInfo;

/// A decoded request body: a JSON object.
#[derive(Debug, Clone, Default)]
pub struct Input {
    obj: Map<String, Value>,
}

impl Input {
    /// Parses the body: empty means `{}`; anything but a JSON object is refused.
    ///
    /// # Errors
    /// `SerializationException`.
    pub fn parse(body: &[u8]) -> Result<Self, AwsError> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self::default());
        }
        match crate::json::parse(body) {
            Ok(Value::Object(obj)) => Ok(Self { obj }),
            Ok(_) => Err(AwsError::new(
                Exception::Serialization,
                "The request body must be a JSON object.",
            )),
            Err(e) => Err(AwsError::new(
                Exception::Serialization,
                format!("The request body is not valid JSON: {e}"),
            )),
        }
    }

    /// The whole body as a JSON object.
    #[must_use]
    pub fn to_map(&self) -> Map<String, Value> {
        self.obj.clone()
    }

    /// A member, unless absent or null.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.obj.get(name).filter(|v| !v.is_null())
    }
}

/// A request parsed from the body.
pub trait FromInput: Sized {
    /// The members, in parse order.
    const FIELDS: &'static [FieldInfo];

    /// Parses the request.
    ///
    /// # Errors
    /// The first missing or malformed member.
    fn from_input(input: &Input) -> Result<Self, AwsError>;
}

/// A member's value, as read from a present JSON value.
pub trait Read: Sized {
    /// Reads member `name`'s value.
    ///
    /// # Errors
    /// `SerializationException` or `ValidationException` naming it.
    fn read(value: &Value, name: &'static str) -> Result<Self, AwsError>;
}

/// One member of a request: required unless it is an `Option` or has a default.
pub trait Member: Sized {
    /// Whether an absent member is refused.
    const REQUIRED: bool;

    /// Reads member `name` of `input`.
    ///
    /// # Errors
    /// As [`Read::read`], or missing.
    fn member(input: &Input, name: &'static str) -> Result<Self, AwsError>;
}

impl<T: Read> Member for Option<T> {
    const REQUIRED: bool = false;

    fn member(input: &Input, name: &'static str) -> Result<Self, AwsError> {
        input.get(name).map(|v| T::read(v, name)).transpose()
    }
}

/// Reads a member that must be present.
///
/// # Errors
/// As [`Read::read`], or `ValidationException` when it is missing.
pub fn read_required<T: Read>(input: &Input, name: &'static str) -> Result<T, AwsError> {
    match input.get(name) {
        Some(v) => T::read(v, name),
        None => Err(AwsError::missing(name)),
    }
}

/// Implements [`Member`] for a [`Read`] type that must be present.
macro_rules! required {
    ($($t:ty),+) => {$(
        impl $crate::aws::members::Member for $t {
            const REQUIRED: bool = true;

            fn member(
                input: &$crate::aws::members::Input,
                name: &'static str,
            ) -> Result<Self, $crate::aws::error::AwsError> {
                $crate::aws::members::read_required(input, name)
            }
        }
    )+};
}
pub(crate) use required;

/// Declares a request struct whose fields each read one named member, in order.
macro_rules! members {
    ($($body:tt)*) => {
        $crate::protocol::wire_request! {
            [$crate::aws::members::FromInput, from_input, $crate::aws::members::Input,
             $crate::aws::error::AwsError, $crate::aws::members::Member, member]
            $($body)*
        }
    };
}
pub(crate) use members;

fn wrong_type(member: &str, expected: &str) -> AwsError {
    AwsError::new(
        Exception::Serialization,
        format!("Member {member} must be {expected}."),
    )
}

fn length(name: &str, n: usize, min: usize, max: usize) -> Result<(), AwsError> {
    if n < min {
        return Err(AwsError::validation(
            name,
            &format!("Member must have length greater than or equal to {min}"),
        ));
    }
    if n > max {
        return Err(AwsError::validation(
            name,
            &format!("Member must have length less than or equal to {max}"),
        ));
    }
    Ok(())
}

/// A string of `MIN..=MAX` characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Str<const MIN: usize, const MAX: usize>(pub String);

impl<const MIN: usize, const MAX: usize> Read for Str<MIN, MAX> {
    fn read(value: &Value, name: &'static str) -> Result<Self, AwsError> {
        let Value::String(s) = value else {
            return Err(wrong_type(name, "a string"));
        };
        length(name, s.chars().count(), MIN, MAX)?;
        Ok(Self(s.clone()))
    }
}

impl<const MIN: usize, const MAX: usize> Member for Str<MIN, MAX> {
    const REQUIRED: bool = true;

    fn member(input: &Input, name: &'static str) -> Result<Self, AwsError> {
        read_required(input, name)
    }
}

impl<const MIN: usize, const MAX: usize> JsonSchema for Str<MIN, MAX> {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        format!("String{MIN}To{MAX}").into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({"type": "string", "minLength": MIN, "maxLength": MAX})
    }
}

/// A base64 blob of `MIN..=MAX` decoded bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blob<const MIN: usize, const MAX: usize>(pub Vec<u8>);

impl<const MIN: usize, const MAX: usize> Read for Blob<MIN, MAX> {
    fn read(value: &Value, name: &'static str) -> Result<Self, AwsError> {
        let Value::String(s) = value else {
            return Err(wrong_type(name, "a base64 string"));
        };
        let bytes = B64.decode(s.trim()).map_err(|_| {
            AwsError::new(
                Exception::Serialization,
                format!("Member {name} is not valid base64."),
            )
        })?;
        length(name, bytes.len(), MIN, MAX)?;
        Ok(Self(bytes))
    }
}

impl<const MIN: usize, const MAX: usize> Member for Blob<MIN, MAX> {
    const REQUIRED: bool = true;

    fn member(input: &Input, name: &'static str) -> Result<Self, AwsError> {
        read_required(input, name)
    }
}

impl<const MIN: usize, const MAX: usize> JsonSchema for Blob<MIN, MAX> {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        format!("Blob{MIN}To{MAX}").into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        // Base64 of MIN..=MAX bytes: 4 characters per 3 bytes, padded.
        json_schema!({
            "type": "string",
            "format": "byte",
            "contentEncoding": "base64",
            "minLength": MIN.div_ceil(3) * 4,
            "maxLength": MAX.div_ceil(3) * 4,
            "description": format!("Base64 of {MIN} to {MAX} bytes."),
        })
    }
}

/// An integer in `MIN..=MAX`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Int<const MIN: i64, const MAX: i64>(pub i64);

impl<const MIN: i64, const MAX: i64> Read for Int<MIN, MAX> {
    fn read(value: &Value, name: &'static str) -> Result<Self, AwsError> {
        let Value::Number(n) = value else {
            return Err(wrong_type(name, "an integer"));
        };
        let v = n.as_i64().ok_or_else(|| wrong_type(name, "an integer"))?;
        if v < MIN {
            return Err(AwsError::validation(
                name,
                &format!("Member must have value greater than or equal to {MIN}"),
            ));
        }
        if v > MAX {
            return Err(AwsError::validation(
                name,
                &format!("Member must have value less than or equal to {MAX}"),
            ));
        }
        Ok(Self(v))
    }
}

impl<const MIN: i64, const MAX: i64> Member for Int<MIN, MAX> {
    const REQUIRED: bool = true;

    fn member(input: &Input, name: &'static str) -> Result<Self, AwsError> {
        read_required(input, name)
    }
}

impl<const MIN: i64, const MAX: i64> JsonSchema for Int<MIN, MAX> {
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

/// A boolean; absent is false.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, JsonSchema)]
#[schemars(transparent)]
pub struct Bool(pub bool);

impl Member for Bool {
    const REQUIRED: bool = false;

    fn member(input: &Input, name: &'static str) -> Result<Self, AwsError> {
        match input.get(name) {
            None => Ok(Self(false)),
            Some(Value::Bool(b)) => Ok(Self(*b)),
            Some(_) => Err(wrong_type(name, "a boolean")),
        }
    }
}

/// A boolean whose absence the caller tells apart (`Option<bool>`).
impl Read for bool {
    fn read(value: &Value, name: &'static str) -> Result<Self, AwsError> {
        value.as_bool().ok_or_else(|| wrong_type(name, "a boolean"))
    }
}

/// A timestamp: epoch seconds as any JSON number, or an ISO 8601 string.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timestamp(pub f64);

impl Read for Timestamp {
    fn read(value: &Value, name: &'static str) -> Result<Self, AwsError> {
        match value {
            Value::Number(n) => n
                .as_f64()
                .filter(|f| f.is_finite())
                .map(Self)
                .ok_or_else(|| wrong_type(name, "a timestamp")),
            Value::String(s) => crate::clock::parse_iso8601(s)
                .map(|t| Self(t as f64))
                .ok_or_else(|| wrong_type(name, "a timestamp")),
            _ => Err(wrong_type(name, "a timestamp")),
        }
    }
}

impl JsonSchema for Timestamp {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "Timestamp".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({"type": "number", "description": "Seconds since the Unix epoch."})
    }
}

/// A map of string to string (an encryption context); absent is empty.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StringMap(pub BTreeMap<String, String>);

impl Member for StringMap {
    const REQUIRED: bool = false;

    fn member(input: &Input, name: &'static str) -> Result<Self, AwsError> {
        match input.get(name) {
            None => Ok(Self::default()),
            Some(Value::Object(m)) => m
                .iter()
                .map(|(k, v)| match v {
                    Value::String(s) => Ok((k.clone(), s.clone())),
                    _ => Err(wrong_type(name, "a map of strings")),
                })
                .collect::<Result<_, _>>()
                .map(Self),
            Some(_) => Err(wrong_type(name, "a map of strings")),
        }
    }
}

impl JsonSchema for StringMap {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "EncryptionContext".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "object",
            "additionalProperties": {"type": "string"},
            "description": "Associated data, compared as a map.",
        })
    }
}

/// A list of strings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StringList(pub Vec<String>);

impl Read for StringList {
    fn read(value: &Value, name: &'static str) -> Result<Self, AwsError> {
        let Value::Array(items) = value else {
            return Err(wrong_type(name, "a list of strings"));
        };
        items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| wrong_type(name, "a list of strings"))
            })
            .collect::<Result<_, _>>()
            .map(Self)
    }
}
required!(StringList);

impl JsonSchema for StringList {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "StringList".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({"type": "array", "items": {"type": "string"}})
    }
}

/// Tags: `[{"TagKey": "k", "TagValue": "v"}]`; keys 1 to 128 characters not starting
/// with `aws:`, values at most 256 (`TagException` otherwise).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TagList(pub BTreeMap<String, String>);

impl Read for TagList {
    fn read(value: &Value, name: &'static str) -> Result<Self, AwsError> {
        let Value::Array(items) = value else {
            return Err(wrong_type(name, "a list of tags"));
        };
        let mut tags = BTreeMap::new();
        for item in items {
            let member = |m| {
                item.get(m)
                    .and_then(Value::as_str)
                    .ok_or_else(|| wrong_type(name, "a list of tags"))
            };
            let (key, value) = (member("TagKey")?, member("TagValue")?);
            if key.is_empty() || key.chars().count() > 128 || value.chars().count() > 256 {
                return Err(AwsError::new(
                    Exception::Tag,
                    "Tag keys must be 1 to 128 characters and values at most 256.",
                ));
            }
            if key.starts_with("aws:") {
                return Err(AwsError::new(
                    Exception::Tag,
                    "Tag keys must not begin with aws:.",
                ));
            }
            tags.insert(key.to_owned(), value.to_owned());
        }
        Ok(Self(tags))
    }
}
required!(TagList);

impl JsonSchema for TagList {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "TagList".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "TagKey": {"type": "string", "minLength": 1, "maxLength": 128},
                    "TagValue": {"type": "string", "maxLength": 256},
                },
                "required": ["TagKey", "TagValue"],
            },
        })
    }
}

/// `GrantTokens`: 0 to 10 tokens of 1 to 8192 characters each; absent is none. Tokens
/// are accepted without being looked up (grants are not enforced yet).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GrantTokens(pub Vec<String>);

impl Member for GrantTokens {
    const REQUIRED: bool = false;

    fn member(input: &Input, name: &'static str) -> Result<Self, AwsError> {
        let Some(value) = input.get(name) else {
            return Ok(Self::default());
        };
        let tokens = StringList::read(value, name)?.0;
        length(name, tokens.len(), 0, 10)?;
        for t in &tokens {
            let n = t.chars().count();
            if !(1..=8192).contains(&n) {
                return Err(AwsError::validation(
                    name,
                    "Member must satisfy constraint: [Member must have length less than or equal to 8192, Member must have length greater than or equal to 1]",
                ));
            }
        }
        Ok(Self(tokens))
    }
}

impl JsonSchema for GrantTokens {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "GrantTokenList".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "array",
            "maxItems": 10,
            "items": {"type": "string", "minLength": 1, "maxLength": 8192},
        })
    }
}

/// A member qkms refuses whatever it holds (a feature it does not have); only its
/// presence counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Refused(pub bool);

impl Member for Refused {
    const REQUIRED: bool = false;

    fn member(input: &Input, name: &'static str) -> Result<Self, AwsError> {
        Ok(Self(input.get(name).is_some()))
    }
}

impl JsonSchema for Refused {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "Unsupported".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({"description": "Not supported by qkms: any value is refused with UnsupportedOperationException."})
    }
}

/// Implements [`Read`] (a string of the set, else AWS's enum-constraint message),
/// required-ness and [`JsonSchema`] for a [`crate::enums::closed_enum!`] wire type.
macro_rules! enum_member {
    ($name:ty) => {
        impl $crate::aws::members::Read for $name {
            fn read(
                value: &serde_json::Value,
                name: &'static str,
            ) -> Result<Self, $crate::aws::error::AwsError> {
                let serde_json::Value::String(v) = value else {
                    return Err($crate::aws::error::AwsError::new(
                        $crate::aws::error::Exception::Serialization,
                        format!("Member {name} must be a string."),
                    ));
                };
                <$name>::parse(v).ok_or_else(|| {
                    let names: Vec<&str> = <$name>::ALL.iter().map(|v| v.as_str()).collect();
                    $crate::aws::error::AwsError::new(
                        $crate::aws::error::Exception::Validation,
                        format!(
                            "1 validation error detected: Value '{v}' at '{}' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
                            $crate::aws::error::lower_camel(name),
                            names.join(", ")
                        ),
                    )
                })
            }
        }
        $crate::aws::members::required!($name);

        $crate::enums::enum_schema!($name);
    };
}
pub(crate) use enum_member;

#[cfg(test)]
mod tests {
    use super::*;

    fn input(json: &str) -> Input {
        Input::parse(json.as_bytes()).unwrap()
    }

    #[test]
    fn types_and_constraints() {
        assert_eq!(
            Input::parse(b"[]").unwrap_err().exception,
            Exception::Serialization
        );
        assert_eq!(
            Input::parse(b"{bad").unwrap_err().exception,
            Exception::Serialization
        );
        assert!(Input::parse(b"").is_ok());
        let i = input(
            r#"{"KeyId": 5, "N": 2000, "B": "!!", "M": {"a": 1}, "Z": null, "T": 1801396800}"#,
        );
        let code = |r: Result<(), AwsError>| r.unwrap_err().exception;
        assert_eq!(
            code(Str::<1, 10>::member(&i, "KeyId").map(drop)),
            Exception::Serialization
        );
        assert_eq!(
            code(Int::<1, 1024>::member(&i, "N").map(drop)),
            Exception::Validation
        );
        assert_eq!(
            code(Blob::<1, 10>::member(&i, "B").map(drop)),
            Exception::Serialization
        );
        assert_eq!(
            code(StringMap::member(&i, "M").map(drop)),
            Exception::Serialization
        );
        assert_eq!(Option::<Str<1, 10>>::member(&i, "Z").unwrap(), None);
        let missing = Str::<1, 10>::member(&i, "Z").unwrap_err();
        assert_eq!(missing.exception, Exception::Validation);
        assert!(
            missing.message.contains("Value null at 'z'"),
            "{}",
            missing.message
        );
        assert_eq!(
            Option::<Timestamp>::member(&i, "T").unwrap(),
            Some(Timestamp(1_801_396_800.0))
        );
        assert!(!Bool::member(&i, "Z").unwrap().0);
    }

    #[test]
    fn lengths_count_characters_and_bytes() {
        let i = input(r#"{"S": "ééé", "B": "AAAA"}"#);
        assert!(Str::<1, 3>::member(&i, "S").is_ok());
        let e = Str::<1, 2>::member(&i, "S").unwrap_err();
        assert!(
            e.message
                .ends_with("Member must have length less than or equal to 2")
        );
        assert_eq!(Blob::<1, 3>::member(&i, "B").unwrap().0, vec![0, 0, 0]);
        let e = Blob::<4, 8>::member(&i, "B").unwrap_err();
        assert!(
            e.message
                .ends_with("Member must have length greater than or equal to 4")
        );
    }

    #[test]
    fn tags_refuse_reserved_and_oversized_keys() {
        for bad in [
            r#"{"Tags": [{"TagKey": "aws:x", "TagValue": "v"}]}"#,
            r#"{"Tags": [{"TagKey": "", "TagValue": "v"}]}"#,
        ] {
            assert_eq!(
                TagList::member(&input(bad), "Tags").unwrap_err().exception,
                Exception::Tag
            );
        }
        assert_eq!(
            TagList::member(&input(r#"{"Tags": [{"TagKey": "k"}]}"#), "Tags")
                .unwrap_err()
                .exception,
            Exception::Serialization
        );
    }
}
