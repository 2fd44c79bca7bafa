//! The AWS-KMS-compatible JSON 1.1 protocol (`X-Amz-Target: TrentService.<Op>`):
//! authenticate (SigV4) → parse the target → decode JSON → call [`crate::service::Kms`] →
//! encode. Same key store as the Aliyun dialect: a key made through either is used
//! through the other, with the same IDs, states, material and ciphertexts.
//!
//! * `sigv4`: signature verification.
//! * `input`: typed access to the JSON body (wrong type → `SerializationException`,
//!   broken constraint → `ValidationException`).
//! * `ops`: the operations, one exhaustive `match`.
//! * `error`: the exceptions.

pub mod error;
mod input;
mod ops;
pub mod sigv4;

use std::str::FromStr;
use std::time::Instant;

use actix_web::{HttpRequest, HttpResponse, web};

use self::error::{AwsError, Exception};
use self::sigv4::SigV4Error;
use crate::server::AppState;

macro_rules! operations {
    ($($variant:ident),+ $(,)?) => {
        /// A TrentService operation qkms implements.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Operation {
            $(
                #[doc = concat!("`", stringify!($variant), "`")]
                $variant
            ),+
        }

        impl Operation {
            /// The wire name.
            #[must_use]
            pub const fn as_str(self) -> &'static str {
                match self { $(Self::$variant => stringify!($variant)),+ }
            }
        }

        impl FromStr for Operation {
            type Err = AwsError;

            /// Parses `TrentService.<Op>`.
            fn from_str(target: &str) -> Result<Self, Self::Err> {
                match target.strip_prefix("TrentService.") {
                    $(Some(stringify!($variant)) => Ok(Self::$variant),)+
                    _ => Err(AwsError::new(
                        Exception::UnknownOperation,
                        format!("The operation {target:?} is not supported; X-Amz-Target must be TrentService.<Operation>."),
                    )),
                }
            }
        }
    };
}

operations!(
    CreateKey,
    DescribeKey,
    ListKeys,
    EnableKey,
    DisableKey,
    ScheduleKeyDeletion,
    CancelKeyDeletion,
    UpdateKeyDescription,
    CreateAlias,
    DeleteAlias,
    UpdateAlias,
    ListAliases,
    TagResource,
    UntagResource,
    ListResourceTags,
    GetParametersForImport,
    ImportKeyMaterial,
    DeleteImportedKeyMaterial,
    Encrypt,
    Decrypt,
    ReEncrypt,
    GenerateDataKey,
    GenerateDataKeyWithoutPlaintext,
    GenerateRandom,
);

/// Per-request context for the operations: where ARNs point.
#[derive(Debug, Clone)]
pub struct Scope {
    /// Region of the signing scope (used in ARNs).
    pub region: String,
    /// Account in ARNs.
    pub account: String,
}

impl Scope {
    /// `arn:aws:kms:<region>:<account>:key/<id>`.
    #[must_use]
    pub fn key_arn(&self, key_id: &str) -> String {
        format!("arn:aws:kms:{}:{}:key/{key_id}", self.region, self.account)
    }

    /// `arn:aws:kms:<region>:<account>:alias/<name>` (`alias_name` includes `alias/`).
    #[must_use]
    pub fn alias_arn(&self, alias_name: &str) -> String {
        format!("arn:aws:kms:{}:{}:{alias_name}", self.region, self.account)
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
        SigV4Error::Mismatch(m) | SigV4Error::Expired(m) => {
            AwsError::new(Exception::InvalidSignature, m)
        }
    }
}

/// The dialect is JSON 1.1 only: another content type is refused before anything is read.
fn check_content_type(req: &HttpRequest) -> Result<(), AwsError> {
    let ct = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let media = ct.split(';').next().unwrap_or_default().trim();
    if media.eq_ignore_ascii_case("application/x-amz-json-1.1") {
        Ok(())
    } else {
        Err(AwsError::new(
            Exception::UnknownOperation,
            format!("The Content-Type must be application/x-amz-json-1.1, not {ct:?}."),
        ))
    }
}

/// Handles one JSON 1.1 request (the dispatcher sends every request with `X-Amz-Target`).
pub async fn handle(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    let started = Instant::now();
    let request_id = state.kms.new_request_id().to_ascii_lowercase();
    let mut op_name = "-";
    let mut caller = String::from("-");
    let mut region = String::new();
    let mut recorded_params: Option<serde_json::Map<String, serde_json::Value>> = None;
    let result = async {
        if req.method() != actix_web::http::Method::POST || req.path() != "/" {
            return Err(AwsError::new(
                Exception::UnknownOperation,
                "Only POST / is supported.",
            ));
        }
        check_content_type(&req)?;
        let body = match payload.to_bytes_limited(crate::server::MAX_BODY).await {
            Ok(Ok(b)) => b,
            Ok(Err(e)) => {
                return Err(AwsError::new(
                    Exception::Serialization,
                    format!(
                        "The body was not received in full within {} s of the request head: {e}",
                        state.request_timeout.as_secs()
                    ),
                ));
            }
            Err(_) => {
                return Err(AwsError::validation(
                    "Body",
                    "Member must have length less than or equal to 65536",
                ));
            }
        };
        let verified = sigv4::verify(
            "POST",
            "/",
            req.query_string(),
            req.headers(),
            &body,
            &state.credentials,
            Some(chrono::Utc::now().timestamp()),
        )
        .map_err(sigv4_error)?;
        caller.clone_from(&verified.caller.access_key_id);
        let target = req
            .headers()
            .get("x-amz-target")
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| {
                AwsError::new(
                    Exception::UnknownOperation,
                    "The request has no X-Amz-Target header naming a TrentService operation.",
                )
            })?;
        let op: Operation = target.parse()?;
        op_name = op.as_str();
        let input = input::Input::parse(&body)?;
        region.clone_from(&verified.region);
        if state.recorder.is_some() {
            recorded_params = Some(input.to_map());
        }
        let scope = Scope {
            region: verified.region,
            account: state.aws_account_id.clone(),
        };
        let kms = state.kms.clone();
        if ops::runs_inline(op, &input, &kms) {
            return ops::call(op, &input, &kms, &scope);
        }
        web::block(move || ops::call(op, &input, &kms, &scope))
            .await
            .map_err(|e| AwsError::internal(&format!("blocking task failed: {e}")))?
    }
    .await;
    if let (Some(recorder), Some(params)) = (&state.recorder, recorded_params) {
        let (status, body) = match &result {
            Ok(v) => (200, v.as_object().cloned().unwrap_or_default()),
            Err(e) => (
                e.exception.status(),
                serde_json::json!({"__type": e.exception.as_str(), "message": e.message})
                    .as_object()
                    .cloned()
                    .unwrap_or_default(),
            ),
        };
        recorder.record(crate::server::record::Exchange {
            protocol: "aws",
            action: op_name,
            caller: &caller,
            region: &region,
            params,
            status,
            body,
        });
    }
    let response = match &result {
        Ok(body) => HttpResponse::Ok()
            .content_type("application/x-amz-json-1.1")
            .insert_header(("x-amzn-RequestId", request_id.as_str()))
            .body(body.to_string()),
        Err(e) => e.respond(&request_id),
    };
    tracing::info!(
        request_id = %request_id,
        operation = op_name,
        access_key_id = %caller,
        status = response.status().as_u16(),
        code = result.as_ref().err().map_or("", |e| e.exception.as_str()),
        latency_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
        "aws request"
    );
    response
}
