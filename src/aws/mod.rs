//! The AWS-KMS-compatible JSON 1.1 protocol (`X-Amz-Target: TrentService.<Op>`), as a
//! [`Protocol`]: check the head → authenticate (SigV4, the target, the JSON body, into
//! [`Verified`]) → prepare (the typed request of one catalogue operation) → render. Same
//! key store as the Aliyun dialect: a key made through either is used through the other,
//! with the same IDs, states, material and ciphertexts.
//!
//! * `sigv4`: signature verification.
//! * `members`: typed members and the `members!` macro that declares each request.
//! * `catalogue`: the closed set of operations, each with its types, handler and metadata.
//! * `keys`, `aliases`, `tags`, `import`, `crypto`, `asymmetric`, `policy`, `grants`,
//!   `usage`, `keystores`: the operations, by family.
//! * `wire`: wire enums, the `arn:aws:kms:` grammar, `KeyMetadata`.
//! * `error`: the exceptions, and the one mapping from the domain error.
//! * `openapi`: the OpenAPI 3.1 document, from the catalogue.

pub mod aliases;
pub mod asymmetric;
pub mod catalogue;
pub mod crypto;
pub mod error;
pub mod grants;
pub mod import;
pub mod keys;
pub mod keystores;
pub mod members;
pub mod openapi;
pub mod policy;
pub mod rotation;
pub mod secrets;
pub mod sigv4;
pub mod tags;
pub mod usage;
pub mod wire;

use std::collections::BTreeMap;

use actix_web::HttpResponse;
use actix_web::http::Method;
use bytes::Bytes;
use serde_json::{Map, Value};

use self::catalogue::Action;
use self::error::{AwsError, Exception};
use self::members::Input;
use self::sigv4::SigV4Error;
use self::wire::Scope;
use crate::auth::Caller;
use crate::protocol::{
    About, BodyError, Call, Context, Failure, Head, MAX_BODY, Protocol, Rendered, Runs,
};
use crate::service::{Kms, Rules, StateAfterCancel};

/// The content type of every request and answer.
pub const CONTENT_TYPE: &str = "application/x-amz-json-1.1";

/// AWS KMS's choices among the service's state rules: a cancelled deletion leaves a key
/// Disabled; a key pending deletion refuses description and tag changes and new import
/// parameters; a key has at most 50 tags and 50 aliases.
pub const RULES: Rules = Rules {
    after_cancel: StateAfterCancel::Disabled,
    frozen_when_pending_deletion: true,
    no_import_parameters_when_pending_deletion: true,
    max_tags: 50,
    max_aliases_per_key: Some(50),
    rotation_needs_enabled: true,
};

/// The AWS JSON 1.1 protocol.
#[derive(Debug, Clone, Copy, Default)]
pub struct Aws;

/// An operation of either service this protocol answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// KMS (`TrentService.<Op>`).
    Kms(Action),
    /// Secrets Manager (`secretsmanager.<Op>`).
    Secrets(secrets::catalogue::Action),
}

impl Op {
    /// The catalogue entry.
    #[must_use]
    pub fn spec(self) -> crate::protocol::Spec {
        match self {
            Self::Kms(a) => a.spec(),
            Self::Secrets(a) => a.spec(),
        }
    }

    /// The SigV4 service its requests are signed for.
    #[must_use]
    pub const fn service(self) -> &'static str {
        match self {
            Self::Kms(_) => "kms",
            Self::Secrets(_) => "secretsmanager",
        }
    }

    fn prepare(
        self,
        input: &Input,
        kms: &crate::service::Kms,
        scope: Scope,
    ) -> Result<crate::protocol::Prepared<AwsError>, AwsError> {
        match self {
            Self::Kms(a) => a.prepare(input, kms, scope),
            Self::Secrets(a) => a.prepare(input, kms, scope),
        }
    }
}

/// The account of a view as AWS ARNs spell it: the default account has its own AWS ID.
#[must_use]
pub fn aws_account(kms: &Kms, ctx: &Context) -> String {
    let account = &kms.scope().account;
    if *account == kms.settings().account_id {
        ctx.aws_account_id.clone()
    } else {
        account.clone()
    }
}

/// An authenticated request: the operation, its body, who signed it and where.
#[derive(Debug)]
pub struct Verified {
    action: Op,
    input: Input,
    caller: Caller,
    region: String,
}

impl Failure for AwsError {
    fn code(&self) -> &'static str {
        self.exception.as_str()
    }

    fn message(&self) -> &str {
        &self.message
    }

    fn status(&self) -> u16 {
        self.exception.status()
    }

    fn render(&self, request_id: &str, _: &Context) -> Rendered {
        let mut body = Map::new();
        body.insert("__type".into(), self.exception.as_str().into());
        body.insert("message".into(), self.message.clone().into());
        Rendered {
            response: self.respond(request_id),
            body,
        }
    }
}

fn sigv4_error(e: SigV4Error) -> AwsError {
    match e {
        SigV4Error::Missing => AwsError::new(
            Exception::MissingAuthenticationToken,
            "Missing Authentication Token",
        ),
        SigV4Error::Incomplete(m) => AwsError::new(Exception::IncompleteSignature, m),
        SigV4Error::UnknownKey => AwsError::new(
            Exception::UnrecognizedClient,
            "The security token included in the request is invalid.",
        ),
        SigV4Error::TokenExpired => AwsError::new(
            Exception::ExpiredToken,
            "The security token included in the request is expired",
        ),
        SigV4Error::Mismatch(m) | SigV4Error::Expired(m) => {
            AwsError::new(Exception::InvalidSignature, m)
        }
    }
}

/// Parses `TrentService.<Op>` or `secretsmanager.<Op>`.
fn operation(target: &str) -> Result<Op, AwsError> {
    let op = if let Some(name) = target.strip_prefix("TrentService.") {
        Action::parse(name).map(Op::Kms)
    } else if let Some(name) = target.strip_prefix("secretsmanager.") {
        secrets::catalogue::Action::parse(name).map(Op::Secrets)
    } else {
        None
    };
    op.ok_or_else(|| {
        AwsError::new(
            Exception::UnknownOperation,
            format!(
                "The operation {target:?} is not supported; X-Amz-Target must be TrentService.<Operation> or secretsmanager.<Operation>."
            ),
        )
    })
}

impl Protocol for Aws {
    const NAME: &'static str = "aws";
    type Verified = Verified;
    type Reply = ();
    type Failure = AwsError;

    fn request_id(uuid: &str) -> String {
        uuid.to_ascii_lowercase()
    }

    /// Only `POST /` in JSON 1.1: anything else is refused before the body is read.
    fn check_head(head: &Head<'_>) -> Result<(), AwsError> {
        if head.method != Method::POST || head.path != "/" {
            return Err(AwsError::new(
                Exception::UnknownOperation,
                "Only POST / is supported.",
            ));
        }
        let ct = head.header("content-type").unwrap_or_default();
        let media = ct.split(';').next().unwrap_or_default().trim();
        if media.eq_ignore_ascii_case(CONTENT_TYPE) {
            Ok(())
        } else {
            Err(AwsError::new(
                Exception::UnknownOperation,
                format!("The Content-Type must be {CONTENT_TYPE}, not {ct:?}."),
            ))
        }
    }

    fn body_failure(_: &Head<'_>, error: BodyError, ctx: &Context) -> AwsError {
        match error {
            BodyError::TooLarge => AwsError::validation(
                "Body",
                &format!("Member must have length less than or equal to {MAX_BODY}"),
            ),
            BodyError::Incomplete(e) => AwsError::new(
                Exception::Serialization,
                format!(
                    "The body was not received in full within {} s of the request head: {e}",
                    ctx.request_timeout.as_secs()
                ),
            ),
        }
    }

    async fn authenticate(
        head: Head<'_>,
        body: Bytes,
        ctx: &Context,
    ) -> Result<Verified, AwsError> {
        let verified = sigv4::verify(
            "POST",
            "/",
            head.query,
            head.headers,
            &body,
            &ctx.credentials,
            Some(chrono::Utc::now().timestamp()),
        )
        .map_err(sigv4_error)?;
        let target = head.header("x-amz-target").ok_or_else(|| {
            AwsError::new(
                Exception::UnknownOperation,
                "The request has no X-Amz-Target header naming a TrentService operation.",
            )
        })?;
        let action = operation(target)?;
        // The signature covers the target, and its scope must be the target's service.
        if verified.service != action.service() {
            return Err(AwsError::new(
                Exception::InvalidSignature,
                format!(
                    "Credential should be scoped to correct service: '{}'.",
                    action.service()
                ),
            ));
        }
        let input = Input::parse(&body)?;
        Ok(Verified {
            action,
            input,
            caller: verified.caller,
            region: verified.region,
        })
    }

    fn about(v: &Verified) -> About<'_> {
        About {
            spec: v.action.spec(),
            caller: &v.caller.access_key_id,
            principal: &v.caller.principal,
            session_policy: v.caller.session_policy.as_ref(),
            region: &v.region,
        }
    }

    fn recorded_params(v: &Verified) -> Map<String, Value> {
        v.input.to_map()
    }

    fn encryption_context(v: &Verified) -> BTreeMap<String, String> {
        v.input
            .get("EncryptionContext")
            .and_then(|c| serde_json::from_value(c.clone()).ok())
            .unwrap_or_default()
    }

    fn from_service(error: crate::service::Error) -> AwsError {
        AwsError::from_service(error, "")
    }

    fn prepare(v: Verified, ctx: &Context, kms: &Kms) -> Result<Call<Self>, AwsError> {
        let scope = Scope {
            region: v.region,
            account: aws_account(kms, ctx),
        };
        let prepared = v.action.prepare(&v.input, kms, scope)?;
        Ok(Call {
            reply: (),
            inline: v.action.spec().runs == Runs::InlineWhenCached && prepared.inline,
            work: prepared.work,
        })
    }

    fn success(_: &(), request_id: &str, fields: Map<String, Value>) -> Rendered {
        let response = HttpResponse::Ok()
            .content_type(CONTENT_TYPE)
            .insert_header(("x-amzn-RequestId", request_id))
            .body(Value::Object(fields.clone()).to_string());
        Rendered {
            response,
            body: fields,
        }
    }

    fn crashed(detail: &str) -> AwsError {
        AwsError::internal(detail)
    }
}
