//! Rotation: RotateSecret and CancelRotateSecret. qkms plays the rotation function the
//! caller names (`RotationLambdaARN` is stored, never called): a rotation writes a new
//! version under AWSCURRENT (AWSPREVIOUS to the old one) whose value is the current one
//! with a fresh password in a JSON object's `password` member, else a copy. Schedules are
//! `AutomaticallyAfterDays` or `rate()` expressions on the KMS clock.

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::Serialize;
use serde_json::Value;

use super::{RULES, RequestToken, SecretId, fail, invalid, resolve, secret_arn};
use crate::aws::error::{AwsError, Exception};
use crate::aws::members::{Int, Read, Str, members, required};
use crate::aws::wire::Scope;
use crate::model::{SecretRecord, Stage};
use crate::service::{Kms, RotationSettings};

/// Seconds in a day and an hour.
const DAY: i64 = 86_400;
const HOUR: i64 = 3_600;
/// The schedule of a first rotation set up without `RotationRules` (the console's default).
const DEFAULT_DAYS: i64 = 30;
/// The shortest schedule Secrets Manager allows, in hours.
const MIN_HOURS: i64 = 4;

/// `RotationRules`: `AutomaticallyAfterDays` (1 to 1000) or `ScheduleExpression`
/// (`rate(N days)` or `rate(N hours)`); `Duration` is accepted and ignored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotationRules {
    /// Seconds between rotations.
    pub interval: i64,
    /// The expression as given.
    pub expression: Option<String>,
}

/// The interval of a `rate()` expression.
fn rate(expression: &str) -> Result<i64, AwsError> {
    if expression.trim_start().starts_with("cron(") {
        return Err(invalid(
            "qkms schedules rotations with rate() expressions only (rate(N days) or rate(N hours)); cron() is not supported.",
        ));
    }
    let bad = || {
        invalid(format!(
            "The ScheduleExpression {expression} is not valid: use rate(N days) or rate(N hours)."
        ))
    };
    let inner = expression
        .trim()
        .strip_prefix("rate(")
        .and_then(|r| r.strip_suffix(')'))
        .ok_or_else(bad)?;
    let (n, unit) = inner.trim().split_once(' ').ok_or_else(bad)?;
    let n: i64 = n.parse().map_err(|_| bad())?;
    let seconds = match unit.trim() {
        "day" | "days" if (1..=1000).contains(&n) => n * DAY,
        "hour" | "hours" if (MIN_HOURS..=1000 * 24).contains(&n) => n * HOUR,
        _ => return Err(bad()),
    };
    Ok(seconds)
}

impl Read for RotationRules {
    fn read(value: &Value, name: &'static str) -> Result<Self, AwsError> {
        let Value::Object(rules) = value else {
            return Err(AwsError::new(
                Exception::Serialization,
                format!("Member {name} must be a structure."),
            ));
        };
        let present = |m: &str| rules.get(m).filter(|v| !v.is_null());
        let days = present("AutomaticallyAfterDays")
            .map(|v| Int::<1, 1000>::read(v, "RotationRules.AutomaticallyAfterDays"))
            .transpose()?;
        let expression = present("ScheduleExpression")
            .map(|v| Str::<1, 256>::read(v, "RotationRules.ScheduleExpression"))
            .transpose()?;
        if let Some(d) = present("Duration") {
            Str::<2, 3>::read(d, "RotationRules.Duration")?;
        }
        match (days, expression) {
            (Some(_), Some(_)) => Err(invalid(
                "You can't specify both AutomaticallyAfterDays and ScheduleExpression.",
            )),
            (Some(Int(d)), None) => Ok(Self {
                interval: d * DAY,
                expression: None,
            }),
            (None, Some(Str(e))) => Ok(Self {
                interval: rate(&e)?,
                expression: Some(e),
            }),
            (None, None) => Err(invalid(
                "RotationRules needs AutomaticallyAfterDays or ScheduleExpression.",
            )),
        }
    }
}
required!(RotationRules);

impl JsonSchema for RotationRules {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "RotationRules".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "object",
            "properties": {
                "AutomaticallyAfterDays": {"type": "integer", "minimum": 1, "maximum": 1000},
                "ScheduleExpression": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": 256,
                    "description": "rate(N days) or rate(N hours) (at least 4 hours); cron() is refused.",
                },
                "Duration": {"type": "string", "description": "Accepted and ignored."},
            },
        })
    }
}

members! {
    /// RotateSecret's members.
    pub struct RotateSecretRequest {
        /// The secret: name or ARN.
        secret_id: SecretId = "SecretId",
        /// The new version's ID [default: a UUID]; an existing one makes it a no-op.
        client_request_token: Option<RequestToken> = "ClientRequestToken",
        /// The rotation function (stored; qkms plays it) [default: the one stored].
        rotation_lambda_arn: Option<Str<0, 2048>> = "RotationLambdaARN",
        /// The schedule [default: the one stored, else every 30 days].
        rotation_rules: Option<RotationRules> = "RotationRules",
        /// Rotate now, not only schedule [default: true].
        rotate_immediately: Option<bool> = "RotateImmediately",
    }
}

/// RotateSecret's and CancelRotateSecret's answer.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct RotateSecretResponse {
    /// The secret's ARN.
    #[serde(rename = "ARN")]
    pub arn: String,
    /// Its name.
    #[serde(rename = "Name")]
    pub name: String,
    /// The version the rotation made (RotateSecret), or the one pending (CancelRotateSecret).
    #[serde(rename = "VersionId", skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
}

/// The settings a RotateSecret request sets: its rules, else the stored schedule (which
/// turns rotation back on after CancelRotateSecret), else the default one when a function
/// is named; `None` leaves everything as stored.
fn settings(
    rules: Option<RotationRules>,
    function: Option<String>,
    stored: &SecretRecord,
) -> Option<RotationSettings> {
    let old = stored.rotation.as_ref();
    match rules {
        Some(r) => Some(RotationSettings {
            interval: r.interval,
            function,
            expression: r.expression,
        }),
        None if old.is_some() || function.is_some() => Some(RotationSettings {
            interval: old.map_or(DEFAULT_DAYS * DAY, |o| o.interval),
            expression: old.and_then(|o| o.expression.clone()),
            function,
        }),
        None => None,
    }
}

/// RotateSecret: sets the schedule and function, and (by default) rotates at once.
///
/// # Errors
/// The exception to render; `InvalidRequestException` when no function is named or stored.
pub fn rotate_secret(
    req: RotateSecretRequest,
    kms: &Kms,
    scope: &Scope,
) -> Result<RotateSecretResponse, AwsError> {
    let name = resolve(&req.secret_id, kms);
    let stored = kms.describe_secret(&name).map_err(fail(&name))?;
    let function = req
        .rotation_lambda_arn
        .map(|f| f.0)
        .filter(|f| !f.is_empty());
    let settings = settings(req.rotation_rules, function, &stored);
    let (record, id) = kms
        .rotate_secret(
            &name,
            req.client_request_token.map(|t| t.0),
            settings,
            req.rotate_immediately.unwrap_or(true),
            &RULES,
        )
        .map_err(fail(&name))?;
    Ok(RotateSecretResponse {
        arn: secret_arn(scope, &record),
        name: record.name,
        version_id: id,
    })
}

members! {
    /// CancelRotateSecret's members.
    pub struct CancelRotateSecretRequest {
        /// The secret: name or ARN.
        secret_id: SecretId = "SecretId",
    }
}

/// CancelRotateSecret: turns automatic rotation off (function and schedule are kept, so
/// RotateSecret turns it back on).
///
/// # Errors
/// The exception to render.
pub fn cancel_rotate_secret(
    req: CancelRotateSecretRequest,
    kms: &Kms,
    scope: &Scope,
) -> Result<RotateSecretResponse, AwsError> {
    let name = resolve(&req.secret_id, kms);
    let record = kms.set_secret_rotation(&name, None).map_err(fail(&name))?;
    Ok(RotateSecretResponse {
        arn: secret_arn(scope, &record),
        version_id: record.staged(&Stage::Pending).map(|v| v.id.clone()),
        name: record.name,
    })
}

crate::protocol::family!($ rotation_actions {
    RotateSecret(rotation::RotateSecretRequest => rotation::RotateSecretResponse) = rotation::rotate_secret,
        blocking, [], "Sets a secret's rotation schedule and function, and rotates it (qkms plays the function).";
    CancelRotateSecret(rotation::CancelRotateSecretRequest => rotation::RotateSecretResponse) = rotation::cancel_rotate_secret,
        blocking, [], "Turns a secret's automatic rotation off.";
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_expressions_in_days_and_hours_only() {
        assert_eq!(rate("rate(10 days)").unwrap(), 10 * DAY);
        assert_eq!(rate("rate(1 day)").unwrap(), DAY);
        assert_eq!(rate("rate(12 hours)").unwrap(), 12 * HOUR);
        for bad in [
            "rate(2 hours)",
            "rate(0 days)",
            "rate(5 minutes)",
            "every day",
            "rate(x days)",
        ] {
            assert_eq!(
                rate(bad).unwrap_err().exception,
                Exception::InvalidParameter,
                "{bad}"
            );
        }
        let cron = rate("cron(0 16 1,15 * ? *)").unwrap_err();
        assert!(
            cron.message.contains("rate() expressions only"),
            "{}",
            cron.message
        );
    }
}
