//! AWS Secrets Manager (`X-Amz-Target: secretsmanager.<Op>`, SigV4 service
//! `secretsmanager`) on the same port and over the same store as KMS: secrets made here are
//! read through the Aliyun dialect and the other way round, and `KmsKeyId` names a key of
//! either dialect. Its own catalogue (permissions `secretsmanager:<Op>`), its own families:
//!
//! * `values`: CreateSecret, GetSecretValue, PutSecretValue, BatchGetSecretValue,
//!   UpdateSecret, UpdateSecretVersionStage, ListSecretVersionIds.
//! * `manage`: DescribeSecret, ListSecrets, DeleteSecret, RestoreSecret, TagResource,
//!   UntagResource, the resource policies.
//! * `rotation`: RotateSecret, CancelRotateSecret.
//! * `random`: GetRandomPassword.

pub mod manage;
pub mod random;
pub mod rotation;
pub mod values;

use std::borrow::Cow;
use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::Serialize;
use serde_json::Value;

use self::manage::manage_actions;
use self::random::random_actions;
use self::rotation::rotation_actions;
use self::values::values_actions;
use super::error::{AwsError, Exception};
use super::members::{Blob, Input, Member, Read, Str, StringList, required};
use super::wire::{AnyKey, Scope};
use crate::crypto::SecretBytes;
use crate::model::{KeyRef, SecretDataType, SecretRecord, Stage};
use crate::service::{Error, Kms, SecretRules, SecretValue};

/// Secrets Manager's choices among the service's secret rules.
pub const RULES: SecretRules = SecretRules {
    max_versions: 100,
    strict_stage_move: true,
    previous_removable: true,
    restore_needs_deletion: false,
    rotation_needs_function: true,
};

/// Tags a secret carries at most.
pub const MAX_TAGS: usize = 50;

/// `arn:aws:secretsmanager:<region>:<account>:secret:<name>-<suffix>`.
#[must_use]
pub fn secret_arn(scope: &Scope, secret: &SecretRecord) -> String {
    format!(
        "arn:aws:secretsmanager:{}:{}:secret:{}-{}",
        scope.region, scope.account, secret.name, secret.arn_suffix
    )
}

/// The name a `SecretId` means: a name, a full ARN (with AWS's six-character suffix), or a
/// partial ARN (without it).
#[must_use]
pub fn secret_name(id: &str, kms: &Kms) -> String {
    let Some(rest) = id
        .strip_prefix("arn:aws:secretsmanager:")
        .and_then(|r| r.split_once(":secret:"))
        .map(|(_, name)| name)
    else {
        return id.to_owned();
    };
    if kms.describe_secret(rest).is_ok() {
        return rest.to_owned();
    }
    if let Some((name, suffix)) = rest.rsplit_once('-')
        && suffix.len() == 6
        && kms
            .describe_secret(name)
            .is_ok_and(|s| s.arn_suffix == suffix)
    {
        return name.to_owned();
    }
    rest.to_owned()
}

/// A stage label as Secrets Manager spells it.
#[must_use]
pub fn stage_name(stage: &Stage) -> String {
    match stage {
        Stage::Current => "AWSCURRENT".into(),
        Stage::Previous => "AWSPREVIOUS".into(),
        Stage::Pending => "AWSPENDING".into(),
        Stage::Custom(s) => s.clone(),
    }
}

/// The stage a Secrets Manager label names.
#[must_use]
pub fn stage(label: &str) -> Stage {
    match label {
        "AWSCURRENT" => Stage::Current,
        "AWSPREVIOUS" => Stage::Previous,
        "AWSPENDING" => Stage::Pending,
        other => Stage::Custom(other.to_owned()),
    }
}

/// A `SecretId`: a name, a full ARN or a partial ARN (see [`secret_name`]).
pub type SecretId = Str<1, 2048>;

/// A `ClientRequestToken`: the ID of the version a write makes.
pub type RequestToken = Str<32, 64>;

/// A version ID in a read or a label move. Looser than the model's 32 characters, so the
/// short IDs the Aliyun dialect allows stay reachable here.
pub type VersionIdArg = Str<1, 64>;

/// A `SecretString`.
pub type SecretStringArg = Str<1, 65_536>;

/// A `SecretBinary` (base64 in JSON).
pub type SecretBinaryArg = Blob<1, 65_536>;

/// The name `id` means, with the mapping of domain errors about it.
#[must_use]
pub fn resolve(id: &SecretId, kms: &Kms) -> String {
    secret_name(&id.0, kms)
}

/// Maps a domain error about secret `name`.
pub fn fail(name: &str) -> impl Fn(Error) -> AwsError + '_ {
    move |e| AwsError::from_secrets(e, name)
}

/// `InvalidParameterException` with `message`.
#[must_use]
pub fn invalid(message: impl Into<String>) -> AwsError {
    AwsError::new(Exception::InvalidParameter, message)
}

/// A `Name` of CreateSecret: 1 to 512 characters of letters, digits and `/_+=.@-`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretNameArg(pub String);

impl Read for SecretNameArg {
    fn read(value: &Value, name: &'static str) -> Result<Self, AwsError> {
        let Str(s) = Str::<1, 512>::read(value, name)?;
        if !s
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/_+=.@-".contains(c))
        {
            return Err(invalid(
                "Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!",
            ));
        }
        Ok(Self(s))
    }
}
required!(SecretNameArg);

impl JsonSchema for SecretNameArg {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "SecretName".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "minLength": 1,
            "maxLength": 512,
            "pattern": "^[A-Za-z0-9/_+=.@-]+$",
        })
    }
}

/// Secrets Manager tags: `[{"Key": "k", "Value": "v"}]`; keys 1 to 128 characters not
/// starting with `aws:`, values at most 256.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SecretTags(pub BTreeMap<String, String>);

impl Read for SecretTags {
    fn read(value: &Value, name: &'static str) -> Result<Self, AwsError> {
        let Value::Array(items) = value else {
            return Err(not_a(name, "a list of tags"));
        };
        let mut tags = BTreeMap::new();
        for item in items {
            let key = item.get("Key").and_then(Value::as_str);
            let value = item.get("Value").map_or(Some(""), Value::as_str);
            let (Some(key), Some(value)) = (key, value) else {
                return Err(not_a(name, "a list of tags with string Key and Value"));
            };
            if key.is_empty() || key.chars().count() > 128 || value.chars().count() > 256 {
                return Err(AwsError::validation(
                    name,
                    "Tag keys must be 1 to 128 characters and values at most 256",
                ));
            }
            if key.starts_with("aws:") {
                return Err(invalid("Tag keys must not begin with aws:."));
            }
            tags.insert(key.to_owned(), value.to_owned());
        }
        Ok(Self(tags))
    }
}
required!(SecretTags);

impl JsonSchema for SecretTags {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "SecretTagList".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "Key": {"type": "string", "minLength": 1, "maxLength": 128},
                    "Value": {"type": "string", "maxLength": 256},
                },
                "required": ["Key"],
            },
        })
    }
}

/// `VersionStages` of a write: 1 to 20 labels of 1 to 256 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageList(pub Vec<Stage>);

impl Read for StageList {
    fn read(value: &Value, name: &'static str) -> Result<Self, AwsError> {
        let labels = StringList::read(value, name)?.0;
        if labels.is_empty() || labels.len() > 20 {
            return Err(AwsError::validation(
                name,
                "Member must have length between 1 and 20",
            ));
        }
        if labels
            .iter()
            .any(|l| l.is_empty() || l.chars().count() > 256)
        {
            return Err(AwsError::validation(
                name,
                "Member must satisfy constraint: [Member must have length less than or equal to 256, Member must have length greater than or equal to 1]",
            ));
        }
        Ok(Self(labels.iter().map(|l| stage(l)).collect()))
    }
}
required!(StageList);

impl JsonSchema for StageList {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "SecretVersionStages".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "array",
            "minItems": 1,
            "maxItems": 20,
            "items": {"type": "string", "minLength": 1, "maxLength": 256},
        })
    }
}

/// A member qkms does not have the feature for (replication): only its presence counts,
/// and it is refused with `InvalidRequestException`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NoReplicas(pub bool);

impl Member for NoReplicas {
    const REQUIRED: bool = false;

    fn member(input: &Input, name: &'static str) -> Result<Self, AwsError> {
        if input.get(name).is_some() {
            return Err(AwsError::new(
                Exception::InvalidRequest,
                format!("{name}: qkms has one region and replicates no secret."),
            ));
        }
        Ok(Self(false))
    }
}

impl JsonSchema for NoReplicas {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "Unsupported".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({"description": "Not supported by qkms (one region, no replicas): any value is refused with InvalidRequestException."})
    }
}

fn not_a(member: &str, what: &str) -> AwsError {
    AwsError::new(
        Exception::Serialization,
        format!("Member {member} must be {what}."),
    )
}

/// One tag of an answer.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Tag {
    /// The key.
    #[serde(rename = "Key")]
    pub key: String,
    /// The value.
    #[serde(rename = "Value")]
    pub value: String,
}

/// Tags as the answers list them, by key.
#[must_use]
pub fn tag_list(tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag {
            key: k.clone(),
            value: v.clone(),
        })
        .collect()
}

/// The labels of a version as Secrets Manager spells them.
#[must_use]
pub fn stage_names(stages: &[Stage]) -> Vec<String> {
    stages.iter().map(stage_name).collect()
}

/// The value a write carries: at most one of `SecretString` and `SecretBinary`; a binary
/// value is kept as its base64 text (the contract's one form for both dialects).
///
/// # Errors
/// `InvalidParameterException` when both are given.
pub fn value_in(
    string: Option<SecretStringArg>,
    binary: Option<SecretBinaryArg>,
) -> Result<Option<SecretValue>, AwsError> {
    match (string, binary) {
        (Some(_), Some(_)) => Err(invalid(
            "You can't specify both a binary secret value and a string secret value in the same secret.",
        )),
        (Some(Str(s)), None) => Ok(Some(SecretValue::text(s.into_bytes()))),
        (None, Some(Blob(b))) => Ok(Some(SecretValue {
            data_type: SecretDataType::Binary,
            data: SecretBytes::new(B64.encode(b).into_bytes()),
        })),
        (None, None) => Ok(None),
    }
}

/// A value as the answers carry it.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct ValueOut {
    /// A text value.
    #[serde(rename = "SecretString", skip_serializing_if = "Option::is_none")]
    pub secret_string: Option<String>,
    /// A binary value, base64.
    #[serde(rename = "SecretBinary", skip_serializing_if = "Option::is_none")]
    pub secret_binary: Option<String>,
}

impl ValueOut {
    /// A stored value: a binary one is base64 text, decoded here (bytes that are not
    /// base64, as an Aliyun binary secret may hold, are returned as they are).
    #[must_use]
    pub fn of(value: &SecretValue) -> Self {
        let data = value.data.expose();
        match value.data_type {
            SecretDataType::Text => Self {
                secret_string: Some(String::from_utf8_lossy(data).into_owned()),
                secret_binary: None,
            },
            SecretDataType::Binary => {
                let bytes = B64.decode(data.trim_ascii()).ok();
                Self {
                    secret_string: None,
                    secret_binary: Some(B64.encode(bytes.as_deref().unwrap_or(data))),
                }
            }
        }
    }
}

/// The ID of a new version: the caller's token, else a fresh UUID.
///
/// # Errors
/// `InternalServiceError` when no randomness is to be had.
pub fn version_id(token: Option<RequestToken>, kms: &Kms) -> Result<String, AwsError> {
    match token {
        Some(Str(t)) => Ok(t),
        None => crate::crypto::random::new_uuid(kms.entropy().as_ref())
            .map_err(|e| AwsError::from_secrets(Error::internal(e), "")),
    }
}

/// The key a `KmsKeyId` names: a key ID, `alias/…`, or an ARN of either dialect (AWS
/// `arn:aws:kms:…`, Aliyun `acs:kms:…`); empty means the default key (`None`).
///
/// # Errors
/// `InvalidParameterException` for a malformed ARN; `EncryptionFailure` for an ARN of
/// another region or account (no such key here).
pub fn kms_key(raw: &str, kms: &Kms, scope: &Scope) -> Result<Option<KeyRef>, AwsError> {
    if raw.is_empty() {
        return Ok(None);
    }
    let unknown = || AwsError::from_secrets(secret_key_error(Error::KeyNotFound), "");
    if let Some(rest) = raw.strip_prefix("acs:kms:") {
        let settings = kms.settings();
        let mut parts = rest.splitn(3, ':');
        let (Some(region), Some(account), Some(resource)) =
            (parts.next(), parts.next(), parts.next())
        else {
            return Err(invalid(format!("KmsKeyId: {raw} is not a valid key ARN.")));
        };
        if region != settings.region || account != settings.account_id {
            return Err(unknown());
        }
        return match resource.strip_prefix("key/") {
            Some(id) if !id.is_empty() => Ok(Some(KeyRef::Id(id.to_owned()))),
            _ if resource.starts_with("alias/") => Ok(Some(KeyRef::Alias(resource.to_owned()))),
            _ => Err(invalid(format!("KmsKeyId: {raw} is not a valid key ARN."))),
        };
    }
    let arg = AnyKey::parse(raw)
        .map_err(|_| invalid(format!("KmsKeyId: {raw} is not a valid key ARN.")))?;
    arg.key_ref(scope).map(Some).map_err(|_| unknown())
}

fn secret_key_error(cause: Error) -> Error {
    Error::SecretKey {
        writing: true,
        cause: Box::new(cause),
    }
}

/// `NextToken` of a page that starts at `offset` (opaque to callers: base64 of it).
#[must_use]
pub fn next_token(offset: usize, total: usize) -> Option<String> {
    (offset < total).then(|| B64.encode(format!("qkms:{offset}")))
}

/// Where the page a `NextToken` asks for starts (0 without one).
///
/// # Errors
/// `InvalidParameterException` for a token qkms did not issue.
pub fn token_offset(token: Option<&Str<1, 4096>>) -> Result<usize, AwsError> {
    let Some(Str(token)) = token else {
        return Ok(0);
    };
    B64.decode(token)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.strip_prefix("qkms:").and_then(|n| n.parse().ok()))
        .ok_or_else(|| invalid("The NextToken is not valid."))
}

/// The catalogue of Secrets Manager operations (`Action`), gathered from the families.
pub mod catalogue {
    use super::{manage, random, rotation, values};
    use super::{manage_actions, random_actions, rotation_actions, values_actions};
    use crate::aws::catalogue::{never, prepare};
    use crate::aws::error::AwsError;
    use crate::aws::members::{FromInput, Input};
    use crate::aws::wire::Scope;
    use crate::protocol::{Prepared, gather};
    use crate::service::Kms;

    gather! {
        [permission: "secretsmanager", fields: FromInput, error: AwsError,
        prepared: Prepared<AwsError>, input: (input: &Input, kms: &Kms, scope: Scope);]
        []
        values_actions, manage_actions, rotation_actions, random_actions
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        /// The README lists exactly the catalogue's operations; names and permissions hold.
        #[test]
        fn the_catalogue_is_consistent() {
            let specs: Vec<_> = Action::ALL.iter().map(|a| a.spec()).collect();
            crate::openapi::check_catalogue(
                "Secrets Manager operation",
                "secretsmanager",
                &specs,
                include_str!("../../../README.md"),
            );
            for a in Action::ALL {
                assert_eq!(Action::parse(a.spec().name), Some(*a));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use serde_json::json;

    use super::*;
    use crate::clock::{ControlledClock, Mode};
    use crate::store::MemoryStore;

    const T0: i64 = 1_800_000_000;

    fn setup() -> (Kms, Arc<ControlledClock>, Scope) {
        let clock = Arc::new(ControlledClock::new(Mode::Fixed(T0)));
        let kms = crate::service::test_kms(Arc::new(MemoryStore::new()), clock.clone());
        let scope = Scope {
            region: "us-east-1".into(),
            account: "111122223333".into(),
        };
        (kms, clock, scope)
    }

    /// Runs one handler on a JSON body, as the catalogue does.
    fn call<Req: crate::aws::members::FromInput, Resp: Serialize>(
        kms: &Kms,
        scope: &Scope,
        handler: fn(Req, &Kms, &Scope) -> Result<Resp, AwsError>,
        body: Value,
    ) -> Result<Value, AwsError> {
        let input = Input::parse(body.to_string().as_bytes())?;
        let resp = handler(Req::from_input(&input)?, kms, scope)?;
        let fields = crate::protocol::to_fields(resp).map_err(|e| AwsError::internal(&e))?;
        Ok(Value::Object(fields))
    }

    fn code(r: Result<Value, AwsError>) -> Exception {
        r.unwrap_err().exception
    }

    #[test]
    fn binary_values_are_base64_text_inside_and_bytes_outside() {
        let v = value_in(None, Some(Blob(vec![0, 1, 255])))
            .unwrap()
            .unwrap();
        assert_eq!(v.data.expose(), b"AAH/");
        assert_eq!(ValueOut::of(&v).secret_binary.as_deref(), Some("AAH/"));
        // An Aliyun binary value that is not base64 comes back as its own bytes.
        let raw = SecretValue {
            data_type: SecretDataType::Binary,
            data: SecretBytes::new(b"not base64!".to_vec()),
        };
        assert_eq!(
            ValueOut::of(&raw).secret_binary,
            Some(B64.encode(b"not base64!"))
        );
        assert_eq!(
            value_in(Some(Str("a".into())), Some(Blob(vec![1])))
                .unwrap_err()
                .exception,
            Exception::InvalidParameter
        );
    }

    #[test]
    fn tokens_round_trip_and_foreign_ones_are_refused() {
        let t = next_token(5, 9).unwrap();
        assert_eq!(token_offset(Some(&Str(t))).unwrap(), 5);
        assert_eq!(next_token(9, 9), None);
        assert_eq!(
            token_offset(Some(&Str("5".into()))).unwrap_err().exception,
            Exception::InvalidParameter
        );
    }

    #[test]
    fn key_ids_of_both_dialects() {
        let (kms, _, scope) = setup();
        assert_eq!(kms_key("", &kms, &scope).unwrap(), None);
        assert_eq!(
            kms_key("alias/a", &kms, &scope).unwrap(),
            Some(KeyRef::Alias("alias/a".into()))
        );
        assert_eq!(
            kms_key("arn:aws:kms:us-east-1:111122223333:key/k1", &kms, &scope).unwrap(),
            Some(KeyRef::Id("k1".into()))
        );
        assert_eq!(
            kms_key("acs:kms:cn-hangzhou:1234567890123456:key/k1", &kms, &scope).unwrap(),
            Some(KeyRef::Id("k1".into()))
        );
        let other = kms_key("arn:aws:kms:eu-west-1:111122223333:key/k1", &kms, &scope);
        assert_eq!(other.unwrap_err().exception, Exception::EncryptionFailure);
        let bad = kms_key("arn:aws:kms:broken", &kms, &scope);
        assert_eq!(bad.unwrap_err().exception, Exception::InvalidParameter);
    }

    #[test]
    fn values_labels_and_filters_through_the_handlers() {
        let (kms, _, scope) = setup();
        let token = "t".repeat(32);
        let created = call(
            &kms,
            &scope,
            values::create_secret,
            json!({"Name": "app/db", "SecretString": "one", "ClientRequestToken": token,
                   "Tags": [{"Key": "env", "Value": "prod"}], "Description": "Main DB"}),
        )
        .unwrap();
        assert_eq!(created["VersionId"], token);
        // A retried CreateSecret (same token and value) succeeds; another value does not.
        let again = json!({"Name": "app/db", "SecretString": "one", "ClientRequestToken": token});
        assert!(call(&kms, &scope, values::create_secret, again).is_ok());
        let other = json!({"Name": "app/db", "SecretString": "two", "ClientRequestToken": token});
        assert_eq!(
            code(call(&kms, &scope, values::create_secret, other)),
            Exception::ResourceExists
        );
        let bad = json!({"Name": "bad name", "SecretString": "x"});
        assert_eq!(
            code(call(&kms, &scope, values::create_secret, bad)),
            Exception::InvalidParameter
        );
        call(
            &kms,
            &scope,
            values::create_secret,
            json!({"Name": "web", "SecretBinary": "AAH/"}),
        )
        .unwrap();
        let got = call(
            &kms,
            &scope,
            values::get_secret_value,
            json!({"SecretId": created["ARN"]}),
        )
        .unwrap();
        assert_eq!(got["SecretString"], "one");
        assert_eq!(got["VersionStages"], json!(["AWSCURRENT"]));
        let names = |filters: Value| -> Vec<String> {
            let page = call(
                &kms,
                &scope,
                manage::list_secrets,
                json!({ "Filters": filters }),
            )
            .unwrap();
            page["SecretList"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["Name"].as_str().unwrap().to_owned())
                .collect()
        };
        assert_eq!(
            names(json!([{"Key": "name", "Values": ["app"]}])),
            ["app/db"]
        );
        assert_eq!(names(json!([{"Key": "name", "Values": ["!app"]}])), ["web"]);
        assert_eq!(
            names(json!([{"Key": "description", "Values": ["main"]}])),
            ["app/db"]
        );
        assert_eq!(names(json!([{"Key": "all", "Values": ["DB"]}])), ["app/db"]);
        assert_eq!(
            names(
                json!([{"Key": "tag-value", "Values": ["pr"]}, {"Key": "name", "Values": ["w"]}])
            ),
            Vec::<String>::new()
        );
    }

    #[test]
    fn rotations_follow_the_kms_clock() {
        let (kms, clock, scope) = setup();
        let value = r#"{"user":"app","password":"old"}"#;
        call(
            &kms,
            &scope,
            values::create_secret,
            json!({"Name": "rot", "SecretString": value}),
        )
        .unwrap();
        let no_function = json!({"SecretId": "rot"});
        assert_eq!(
            code(call(&kms, &scope, rotation::rotate_secret, no_function)),
            Exception::InvalidRequest
        );
        let cron = json!({"SecretId": "rot", "RotationLambdaARN": "arn:fn",
                          "RotationRules": {"ScheduleExpression": "cron(0 0 * * ? *)"}});
        assert_eq!(
            code(call(&kms, &scope, rotation::rotate_secret, cron)),
            Exception::InvalidParameter
        );
        let later = json!({"SecretId": "rot", "RotationLambdaARN": "arn:fn",
                           "RotationRules": {"ScheduleExpression": "rate(1 day)"},
                           "RotateImmediately": false});
        let r = call(&kms, &scope, rotation::rotate_secret, later).unwrap();
        assert!(r.get("VersionId").is_none());
        let described = || {
            call(
                &kms,
                &scope,
                manage::describe_secret,
                json!({"SecretId": "rot"}),
            )
            .unwrap()
        };
        let d = described();
        assert_eq!(d["RotationEnabled"], true);
        assert_eq!(d["NextRotationDate"], T0 + 86_400);
        assert_eq!(d["RotationRules"]["ScheduleExpression"], "rate(1 day)");
        clock.set(T0 + 86_400).unwrap();
        kms.sweep().unwrap();
        let d = described();
        assert_eq!(d["LastRotatedDate"], T0 + 86_400);
        let got = call(
            &kms,
            &scope,
            values::get_secret_value,
            json!({"SecretId": "rot"}),
        )
        .unwrap();
        let v: Value = serde_json::from_str(got["SecretString"].as_str().unwrap()).unwrap();
        assert_ne!(v["password"], "old");
        call(
            &kms,
            &scope,
            rotation::cancel_rotate_secret,
            json!({"SecretId": "rot"}),
        )
        .unwrap();
        let d = described();
        assert_eq!(d["RotationEnabled"], false);
        assert!(d.get("NextRotationDate").is_none());
    }
}
