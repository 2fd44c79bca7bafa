//! Typed access to a JSON 1.1 request body. A member of the wrong JSON type is a
//! `SerializationException`; a value that breaks a constraint is a `ValidationException`
//! (botocore checks only required members, types and minimums, so the server checks the
//! rest). `null` counts as absent, and unknown members are ignored.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Map, Value};

use super::error::{AwsError, Exception};

/// A decoded request body.
#[derive(Debug, Clone, Default)]
pub struct Input {
    obj: Map<String, Value>,
}

fn wrong_type(member: &str, expected: &str) -> AwsError {
    AwsError::new(
        Exception::Serialization,
        format!("Member {member} must be {expected}."),
    )
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

    /// True when the member is present and not null.
    #[must_use]
    pub fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    fn get(&self, name: &str) -> Option<&Value> {
        self.obj.get(name).filter(|v| !v.is_null())
    }

    /// An optional string of `min..=max` characters.
    ///
    /// # Errors
    /// Wrong type or length.
    pub fn string(&self, name: &str, min: usize, max: usize) -> Result<Option<&str>, AwsError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => {
                let n = s.chars().count();
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
                Ok(Some(s))
            }
            Some(_) => Err(wrong_type(name, "a string")),
        }
    }

    /// A required string of `min..=max` characters.
    ///
    /// # Errors
    /// Missing, wrong type or length.
    pub fn required(&self, name: &str, min: usize, max: usize) -> Result<&str, AwsError> {
        self.string(name, min, max)?
            .ok_or_else(|| AwsError::missing(name))
    }

    /// A string that must be one of `allowed`.
    ///
    /// # Errors
    /// Wrong type, or a value outside the set.
    pub fn enumeration(&self, name: &str, allowed: &[&str]) -> Result<Option<&str>, AwsError> {
        match self.string(name, 0, usize::MAX)? {
            None => Ok(None),
            Some(v) if allowed.contains(&v) => Ok(Some(v)),
            Some(v) => Err(AwsError::new(
                Exception::Validation,
                format!(
                    "1 validation error detected: Value '{v}' at '{}' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
                    lower_first(name),
                    allowed.join(", ")
                ),
            )),
        }
    }

    /// An optional base64 blob of `min..=max` decoded bytes.
    ///
    /// # Errors
    /// Wrong type, bad base64, wrong length.
    pub fn blob(&self, name: &str, min: usize, max: usize) -> Result<Option<Vec<u8>>, AwsError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => {
                let bytes = B64.decode(s.trim()).map_err(|_| {
                    AwsError::new(
                        Exception::Serialization,
                        format!("Member {name} is not valid base64."),
                    )
                })?;
                if bytes.len() < min {
                    return Err(AwsError::validation(
                        name,
                        &format!("Member must have length greater than or equal to {min}"),
                    ));
                }
                if bytes.len() > max {
                    return Err(AwsError::validation(
                        name,
                        &format!("Member must have length less than or equal to {max}"),
                    ));
                }
                Ok(Some(bytes))
            }
            Some(_) => Err(wrong_type(name, "a base64 string")),
        }
    }

    /// A required blob.
    ///
    /// # Errors
    /// As [`Input::blob`], or missing.
    pub fn required_blob(&self, name: &str, min: usize, max: usize) -> Result<Vec<u8>, AwsError> {
        self.blob(name, min, max)?
            .ok_or_else(|| AwsError::missing(name))
    }

    /// An optional integer in `min..=max`.
    ///
    /// # Errors
    /// Wrong type or range.
    pub fn integer(&self, name: &str, min: i64, max: i64) -> Result<Option<i64>, AwsError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Number(n)) => {
                let v = n.as_i64().ok_or_else(|| wrong_type(name, "an integer"))?;
                if v < min {
                    return Err(AwsError::validation(
                        name,
                        &format!("Member must have value greater than or equal to {min}"),
                    ));
                }
                if v > max {
                    return Err(AwsError::validation(
                        name,
                        &format!("Member must have value less than or equal to {max}"),
                    ));
                }
                Ok(Some(v))
            }
            Some(_) => Err(wrong_type(name, "an integer")),
        }
    }

    /// An optional timestamp: epoch seconds as any JSON number (or an RFC 3339 string).
    ///
    /// # Errors
    /// Wrong type.
    pub fn timestamp(&self, name: &str) -> Result<Option<f64>, AwsError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Number(n)) => n
                .as_f64()
                .filter(|f| f.is_finite())
                .map(Some)
                .ok_or_else(|| wrong_type(name, "a timestamp")),
            Some(Value::String(s)) => crate::clock::parse_iso8601(s)
                .map(|t| Some(t as f64))
                .ok_or_else(|| wrong_type(name, "a timestamp")),
            Some(_) => Err(wrong_type(name, "a timestamp")),
        }
    }

    /// An optional boolean.
    ///
    /// # Errors
    /// Wrong type.
    pub fn boolean(&self, name: &str) -> Result<bool, AwsError> {
        match self.get(name) {
            None => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(_) => Err(wrong_type(name, "a boolean")),
        }
    }

    /// An optional map of string to string.
    ///
    /// # Errors
    /// Wrong type.
    pub fn string_map(&self, name: &str) -> Result<BTreeMap<String, String>, AwsError> {
        match self.get(name) {
            None => Ok(BTreeMap::new()),
            Some(Value::Object(m)) => m
                .iter()
                .map(|(k, v)| match v {
                    Value::String(s) => Ok((k.clone(), s.clone())),
                    _ => Err(wrong_type(name, "a map of strings")),
                })
                .collect(),
            Some(_) => Err(wrong_type(name, "a map of strings")),
        }
    }

    /// An optional list of strings.
    ///
    /// # Errors
    /// Wrong type.
    pub fn string_list(&self, name: &str) -> Result<Option<Vec<String>>, AwsError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| {
                    v.as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| wrong_type(name, "a list of strings"))
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(_) => Err(wrong_type(name, "a list of strings")),
        }
    }

    /// Tags: `[{"TagKey": "k", "TagValue": "v"}]`.
    ///
    /// # Errors
    /// Wrong types, or a tag outside the limits (`TagException`).
    pub fn tags(&self, name: &str) -> Result<Option<BTreeMap<String, String>>, AwsError> {
        let Some(value) = self.get(name) else {
            return Ok(None);
        };
        let Value::Array(items) = value else {
            return Err(wrong_type(name, "a list of tags"));
        };
        let mut tags = BTreeMap::new();
        for item in items {
            let key = item
                .get("TagKey")
                .and_then(Value::as_str)
                .ok_or_else(|| wrong_type(name, "a list of tags"))?;
            let value = item
                .get("TagValue")
                .and_then(Value::as_str)
                .ok_or_else(|| wrong_type(name, "a list of tags"))?;
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
        Ok(Some(tags))
    }
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_lowercase().chain(c).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let i = Input::parse(
            br#"{"KeyId": 5, "N": 2000, "B": "!!", "M": {"a": 1}, "Z": null, "T": 1801396800}"#,
        )
        .unwrap();
        assert_eq!(
            i.string("KeyId", 1, 10).unwrap_err().exception,
            Exception::Serialization
        );
        assert_eq!(
            i.integer("N", 1, 1024).unwrap_err().exception,
            Exception::Validation
        );
        assert_eq!(
            i.blob("B", 1, 10).unwrap_err().exception,
            Exception::Serialization
        );
        assert_eq!(
            i.string_map("M").unwrap_err().exception,
            Exception::Serialization
        );
        assert_eq!(i.string("Z", 1, 10).unwrap(), None);
        assert_eq!(
            i.required("Z", 1, 10).unwrap_err().exception,
            Exception::Validation
        );
        assert_eq!(i.timestamp("T").unwrap(), Some(1_801_396_800.0));
    }
}
