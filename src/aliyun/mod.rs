//! The Alibaba Cloud KMS RPC protocol (version 2016-01-20), as a [`Protocol`]:
//! authenticate (parameters, then the signature, into [`Verified`]) → prepare (the typed
//! request of one catalogue action) → render (JSON or XML).
//!
//! * `params`: query string and form body, decoded in order.
//! * `signature`: v1 HMAC-SHA1, ACS3-HMAC-SHA256 and ACS4-HMAC-SHA256 verification.
//! * `fields`: typed parameters and the `params!` macro that declares each request.
//! * `catalogue`: the closed set of actions, each with its types, handler and metadata.
//! * `keys`, `aliases`, `tags`, `import`, `crypto`, `asymmetric`, `export`, `random`,
//!   `regions`: the actions, by family.
//! * `wire`: wire names, the `acs:kms:` ARN grammar, `KeyMetadata`.
//! * `render`: JSON or XML bodies, `RequestId` in the body and the `x-acs-request-id` header.
//! * `openapi`: the OpenAPI 3.1 document, from the catalogue.
//! * `error`: the closed set of error codes with their HTTP statuses.

pub mod aliases;
pub mod asymmetric;
pub mod catalogue;
pub mod crypto;
pub mod error;
pub mod export;
pub mod fields;
pub mod filters;
pub mod import;
pub mod keys;
pub mod openapi;
pub mod params;
pub mod policy;
pub mod random;
pub mod regions;
pub mod render;
pub mod secret_admin;
pub mod secrets;
pub mod signature;
pub mod tags;
pub mod versions;
pub mod wire;

use std::collections::BTreeMap;

use actix_web::http::Method;
use bytes::Bytes;
use serde_json::{Map, Value};

use self::catalogue::Action;
use self::error::{AliyunError, ErrorCode};
use self::params::{Params, parse_urlencoded};
use self::render::Format;
use self::signature::{Freshness, RequestParts, Scheme};
use crate::auth::Caller;
use crate::protocol::{
    About, BodyError, Call, Context, Failure, Head, MAX_BODY, Protocol, Rendered, Runs,
};
use crate::service::Kms;
use crate::service::{Rules, StateAfterCancel};

/// The only API version served.
pub const VERSION: &str = crate::sign::aliyun::VERSION;

/// The Aliyun API's choices among the service's state rules: a cancelled deletion
/// leaves a key Enabled, descriptions and tags may change during a deletion window, import
/// parameters may be asked for then, and a key has at most 20 tags.
pub const RULES: Rules = Rules {
    after_cancel: StateAfterCancel::Enabled,
    frozen_when_pending_deletion: false,
    no_import_parameters_when_pending_deletion: false,
    max_tags: fields::MAX_TAGS,
    max_aliases_per_key: None,
    rotation_needs_enabled: false,
};

/// Parameters the v1 signature adds; they are not part of the request's meaning.
pub const SIGNATURE_PARAMS: &[&str] = &[
    "Signature",
    "SignatureNonce",
    "SignatureMethod",
    "SignatureVersion",
    "SignatureType",
    "Timestamp",
    "AccessKeyId",
    "Version",
];

/// The Aliyun RPC protocol.
#[derive(Debug, Clone, Copy, Default)]
pub struct Aliyun;

/// An authenticated request: its parameters, who signed it, and the action it names.
#[derive(Debug)]
pub struct Verified {
    params: Params,
    caller: Caller,
    action: Action,
    format: Format,
    /// The region it names: `RegionId`, else the endpoint's (`kms.<region>.aliyuncs.com`),
    /// else empty (the default region).
    region: String,
}

/// A failure and the format to render it in.
#[derive(Debug)]
pub struct AliyunFailure {
    /// The error.
    pub error: AliyunError,
    /// `Format` of the request, as far as it was read.
    pub format: Format,
}

impl Failure for AliyunFailure {
    fn code(&self) -> &'static str {
        self.error.code.as_str()
    }

    fn message(&self) -> &str {
        &self.error.message
    }

    fn status(&self) -> u16 {
        self.error.code.status()
    }

    fn render(&self, request_id: &str, ctx: &Context) -> Rendered {
        let body = render::error_body(request_id, &ctx.host_id, &self.error);
        Rendered {
            response: render::respond(self.format, self.status(), request_id, "Error", &body),
            body,
        }
    }
}

/// The `Format` a request asked for, read from the query alone (for errors found before
/// the body is parsed). Unknown values fall back to JSON here and are refused later.
#[must_use]
pub fn requested_format(query: &str) -> Format {
    parse_urlencoded(query.as_bytes())
        .ok()
        .and_then(|pairs| {
            pairs
                .into_iter()
                .find(|(k, _)| k == "Format")
                .and_then(|(_, v)| Format::parse(&v))
        })
        .unwrap_or_default()
}

impl Protocol for Aliyun {
    const NAME: &'static str = "aliyun";
    type Verified = Verified;
    type Reply = Format;
    type Failure = AliyunFailure;

    fn request_id(uuid: &str) -> String {
        uuid.to_ascii_uppercase()
    }

    fn check_head(_: &Head<'_>) -> Result<(), AliyunFailure> {
        // The path and method are checked after the parameters, so that the error is
        // rendered in the Format they ask for.
        Ok(())
    }

    fn body_failure(head: &Head<'_>, error: BodyError, ctx: &Context) -> AliyunFailure {
        let reason = match error {
            BodyError::TooLarge => format!("The request body must not exceed {MAX_BODY} bytes."),
            BodyError::Incomplete(e) => format!(
                "The request body was not received in full within {} s of its head: {e}.",
                ctx.request_timeout.as_secs()
            ),
        };
        AliyunFailure {
            error: AliyunError::invalid_because("Body", &reason),
            format: requested_format(head.query),
        }
    }

    async fn authenticate(
        head: Head<'_>,
        body: Bytes,
        ctx: &Context,
    ) -> Result<Verified, AliyunFailure> {
        let mut format = requested_format(head.query);
        authenticate(head, body, ctx, &mut format)
            .await
            .map_err(|error| AliyunFailure { error, format })
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
        business_params(&v.params)
    }

    fn encryption_context(v: &Verified) -> BTreeMap<String, String> {
        v.params
            .get("EncryptionContext")
            .and_then(|c| serde_json::from_str(c).ok())
            .unwrap_or_default()
    }

    fn from_service(error: crate::service::Error) -> AliyunFailure {
        AliyunFailure {
            error: error.into(),
            format: Format::Json,
        }
    }

    fn prepare(v: Verified, _: &Context, kms: &Kms) -> Result<Call<Self>, AliyunFailure> {
        let format = v.format;
        let prepared = v
            .action
            .prepare(&v.params, kms)
            .map_err(|error| AliyunFailure { error, format })?;
        let work = prepared.work;
        Ok(Call {
            reply: format,
            inline: v.action.spec().runs == Runs::InlineWhenCached && prepared.inline,
            work: Box::new(move |kms| work(kms).map_err(|error| AliyunFailure { error, format })),
        })
    }

    fn success(format: &Format, request_id: &str, fields: Map<String, Value>) -> Rendered {
        let body = render::success_body(request_id, fields);
        Rendered {
            response: render::respond(*format, 200, request_id, "KMS", &body),
            body,
        }
    }

    fn crashed(detail: &str) -> AliyunFailure {
        AliyunFailure {
            error: AliyunError::internal(detail),
            format: Format::Json,
        }
    }
}

/// The parameters that mean something, without those of the signature (for recordings).
fn business_params(p: &Params) -> Map<String, Value> {
    p.query
        .iter()
        .chain(p.form.iter())
        .filter(|(k, _)| !SIGNATURE_PARAMS.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect()
}

async fn authenticate(
    head: Head<'_>,
    body: Bytes,
    ctx: &Context,
    format: &mut Format,
) -> Result<Verified, AliyunError> {
    let query = parse_urlencoded(head.query.as_bytes())?;
    let is_form = head.header("content-type").is_some_and(|ct| {
        ct.to_ascii_lowercase()
            .starts_with("application/x-www-form-urlencoded")
    });
    let form = if is_form {
        parse_urlencoded(&body)?
    } else {
        Vec::new()
    };
    let params = Params::new(query, form)?;
    if let Some(f) = params.get("Format") {
        *format = Format::parse(f).ok_or_else(|| AliyunError::invalid("Format"))?;
    }
    if head.path != "/" {
        return Err(AliyunError::new(
            ErrorCode::InvalidActionNotFound,
            format!(
                "Specified api is not found, please check your url and method: the path must be /, not {:?}.",
                head.path
            ),
        ));
    }
    if head.method != Method::GET && head.method != Method::POST {
        return Err(AliyunError::new(
            ErrorCode::UnsupportedHttpMethod,
            "This http method is not supported.",
        ));
    }
    let (caller, scheme) = verify(head, &params, &body, ctx).await?;
    // Only what the signature covers may decide the action: a v1 signature covers the
    // parameters, not the x-acs-* headers that some SDKs send beside them.
    let signed_header = |name| match scheme {
        Scheme::V1 => None,
        Scheme::Acs3 | Scheme::Acs4 => head.header(name),
    };
    let action_name = params
        .get("Action")
        .or_else(|| signed_header("x-acs-action"))
        .filter(|a| !a.is_empty())
        .ok_or_else(|| AliyunError::missing("Action"))?;
    let action = Action::parse(action_name).ok_or_else(|| {
        AliyunError::new(
            ErrorCode::InvalidActionNotFound,
            format!(
                "Specified api {action_name:?} is not found, please check your url and method."
            ),
        )
    })?;
    let version = params
        .get("Version")
        .or_else(|| signed_header("x-acs-version"))
        .filter(|v| !v.is_empty())
        .ok_or_else(|| AliyunError::missing("Version"))?;
    if version != VERSION {
        return Err(AliyunError::new(
            ErrorCode::InvalidVersion,
            "Specified parameter Version is not valid.",
        ));
    }
    let region = request_region(&params, head.header("host"));
    Ok(Verified {
        params,
        caller,
        action,
        format: *format,
        region,
    })
}

/// The region a request names: `RegionId` (the classic SDK always sends its client's),
/// else the endpoint's own (`kms.<region>.aliyuncs.com`, `kms-vpc.<region>.aliyuncs.com`),
/// else none.
fn request_region(params: &Params, host: Option<&str>) -> String {
    if let Some(region) = params.get("RegionId").filter(|r| !r.is_empty()) {
        return region.to_owned();
    }
    host.and_then(|h| h.split(':').next())
        .and_then(|h| h.strip_suffix(".aliyuncs.com"))
        .and_then(|h| {
            h.strip_prefix("kms.")
                .or_else(|| h.strip_prefix("kms-vpc."))
        })
        .filter(|r| !r.contains('.'))
        .unwrap_or_default()
        .to_owned()
}

/// Requests at least this large (query and body) are verified off the executor, one at a
/// time: the v1 string to sign grows with every parameter, so a stream of large requests
/// with bad signatures must not take the workers from everyone else.
const LARGE_REQUEST: usize = 8 * 1024;

async fn verify(
    head: Head<'_>,
    params: &Params,
    body: &Bytes,
    ctx: &Context,
) -> Result<(Caller, Scheme), AliyunError> {
    let now = Some(chrono::Utc::now().timestamp());
    if head.query.len() + body.len() < LARGE_REQUEST {
        let parts = RequestParts {
            method: head.method.as_str(),
            query: &params.query,
            form: &params.form,
            headers: head.headers,
            body,
        };
        let fresh = Freshness {
            now,
            nonces: Some(&ctx.nonces),
        };
        return signature::verify(&parts, &ctx.credentials, fresh);
    }
    let _turn = ctx
        .large_verifications
        .acquire()
        .await
        .map_err(|e| AliyunError::internal(&e.to_string()))?;
    let (method, query, form) = (
        head.method.clone(),
        params.query.clone(),
        params.form.clone(),
    );
    let (headers, body) = (head.headers.clone(), body.clone());
    let (credentials, nonces) = (ctx.credentials.clone(), ctx.nonces.clone());
    actix_web::web::block(move || {
        let parts = RequestParts {
            method: method.as_str(),
            query: &query,
            form: &form,
            headers: &headers,
            body: &body,
        };
        let fresh = Freshness {
            now,
            nonces: Some(&nonces),
        };
        signature::verify(&parts, &credentials, fresh)
    })
    .await
    .map_err(|e| AliyunError::internal(&format!("blocking task failed: {e}")))?
}
