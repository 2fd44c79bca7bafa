//! The contract between the server's one request pipeline (`server::pipeline`) and each
//! protocol (`aliyun`, `aws`). The pipeline reads the body, takes the request ID and the
//! time, records and logs; a protocol authenticates (into its own verified type, which is
//! the only way to reach its actions), prepares the typed call of one action, and renders.
//! Protocols depend on this module and on the service, never on the server.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use actix_web::HttpResponse;
use actix_web::http::Method;
use actix_web::http::header::HeaderMap;
use bytes::Bytes;
use serde_json::{Map, Value};

use crate::auth::{Credentials, NonceCache};
use crate::service::Kms;

/// Largest request body accepted, in bytes: room for Secrets Manager's largest value
/// (`SecretBinary` of 65536 bytes is 87382 characters of base64) and nothing much beyond.
pub const MAX_BODY: usize = 128 * 1024;

/// What every protocol may use: the service and the shared parts of authentication.
#[derive(Debug, Clone)]
pub struct Context {
    /// The key-management service.
    pub kms: Arc<Kms>,
    /// Access keys.
    pub credentials: Arc<Credentials>,
    /// Signature nonces seen recently.
    pub nonces: Arc<NonceCache>,
    /// Turns for verifying large requests, which run one at a time off the executor.
    pub large_verifications: Arc<tokio::sync::Semaphore>,
    /// `HostId` of Aliyun error bodies.
    pub host_id: String,
    /// Account ID in AWS ARNs.
    pub aws_account_id: String,
    /// Time a client has for a request's body (for messages).
    pub request_timeout: Duration,
    /// Whether requests are recorded (a call then keeps its parameters).
    pub recording: bool,
}

/// The parts of a request a protocol reads before its body.
#[derive(Debug, Clone, Copy)]
pub struct Head<'a> {
    /// The method.
    pub method: &'a Method,
    /// The path.
    pub path: &'a str,
    /// The raw query string.
    pub query: &'a str,
    /// The headers.
    pub headers: &'a HeaderMap,
}

impl Head<'_> {
    /// A header as text.
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Why a body could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyError {
    /// It is larger than [`MAX_BODY`].
    TooLarge,
    /// It did not arrive in full (the client stalled or went away).
    Incomplete(String),
}

/// A reply, rendered: what the client gets, and the body for the recorder.
#[derive(Debug)]
pub struct Rendered {
    /// The response.
    pub response: HttpResponse,
    /// The body as a JSON object (XML replies are recorded in this form too).
    pub body: Map<String, Value>,
}

/// A protocol's failure: knows its code and status, and renders itself.
pub trait Failure: Send + 'static {
    /// The wire code (`Code` or `__type`), for logs and recordings.
    fn code(&self) -> &'static str;
    /// The message, for the audit log.
    fn message(&self) -> &str;
    /// The HTTP status.
    fn status(&self) -> u16;
    /// The reply, with `request_id`.
    fn render(&self, request_id: &str, ctx: &Context) -> Rendered;
}

/// Where an action runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runs {
    /// On the executor when its key is cached (it then needs nothing but memory).
    InlineWhenCached,
    /// On the blocking pool.
    Blocking,
}

/// One member of a request, as the catalogue and the OpenAPI documents see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldInfo {
    /// The wire name.
    pub name: &'static str,
    /// Whether the request must carry it.
    pub required: bool,
}

/// What a dialect's catalogue says about one action.
#[derive(Debug, Clone, Copy)]
pub struct Spec {
    /// The wire name.
    pub name: &'static str,
    /// The family it belongs to (`keys`, `aliases`, `tags`, `import`, `crypto`, …): the
    /// dialect's module that holds it, and its tag in the OpenAPI document.
    pub family: &'static str,
    /// One line for people.
    pub description: &'static str,
    /// The permission it needs (`kms:<Action>`, `secretsmanager:<Operation>`).
    pub permission: &'static str,
    /// Where it runs.
    pub runs: Runs,
    /// Request and response members that hold secrets (redacted in recordings).
    pub secrets: &'static [&'static str],
    /// The request's schema.
    pub request: fn(&mut schemars::SchemaGenerator) -> schemars::Schema,
    /// The response's schema (the body's business fields).
    pub response: fn(&mut schemars::SchemaGenerator) -> schemars::Schema,
    /// The request's members, in parse order.
    pub fields: &'static [FieldInfo],
}

/// The schema of `T`, for [`Spec::request`] and [`Spec::response`].
pub fn schema<T: schemars::JsonSchema>(
    generator: &mut schemars::SchemaGenerator,
) -> schemars::Schema {
    generator.subschema_for::<T>()
}

/// The README's table of a dialect's actions (`what` names the column: Action or
/// Operation), which a test per dialect keeps equal to its catalogue.
#[must_use]
pub fn markdown_table(what: &str, specs: impl Iterator<Item = Spec>) -> String {
    let mut out = format!("| {what} | Family | Runs | What it does |\n|---|---|---|---|\n");
    for s in specs {
        let runs = match s.runs {
            Runs::InlineWhenCached => "inline when cached",
            Runs::Blocking => "blocking pool",
        };
        out.push_str(&format!(
            "| `{}` | {} | {runs} | {} |\n",
            s.name, s.family, s.description
        ));
    }
    out
}

/// An authenticated request as the pipeline logs and records it.
#[derive(Debug, Clone, Copy)]
pub struct About<'a> {
    /// The catalogue entry of its action.
    pub spec: Spec,
    /// The access key that signed it.
    pub caller: &'a str,
    /// Whose key that is.
    pub principal: &'a Arc<crate::service::Principal>,
    /// The session policy of temporary credentials.
    pub session_policy: Option<&'a Arc<crate::service::iam::PolicyDoc>>,
    /// The region it names (its signature's, its `RegionId`), or empty for the default.
    pub region: &'a str,
}

/// The work of one action, run on the executor (`inline`) or on the blocking pool.
pub type Work<E> = Box<dyn FnOnce(&Kms) -> Result<Map<String, Value>, E> + Send>;

/// An action's typed request, parsed: whether it may run inline, and its work.
pub struct Prepared<E> {
    /// True when it needs nothing but memory (its key is cached).
    pub inline: bool,
    /// The work.
    pub work: Work<E>,
}

/// One action, parsed and ready to run.
pub struct Call<P: Protocol + ?Sized> {
    /// How to render the answer.
    pub reply: P::Reply,
    /// True when the work needs nothing but memory (cached crypto), so it may run on the
    /// executor.
    pub inline: bool,
    /// The work.
    pub work: Work<P::Failure>,
}

/// A protocol, as the pipeline drives it: [`Protocol::check_head`] →
/// [`Protocol::authenticate`] → [`Protocol::prepare`] → the work → [`Protocol::success`]
/// or [`Failure::render`].
pub trait Protocol: 'static {
    /// Its name in logs and recordings.
    const NAME: &'static str;
    /// A request whose signature was checked: the only input of [`Protocol::prepare`].
    type Verified: Send + 'static;
    /// How a successful answer is rendered (the Aliyun `Format`).
    type Reply: Send + 'static;
    /// A failure.
    type Failure: Failure;

    /// The request ID for a fresh UUID, in the protocol's spelling.
    fn request_id(uuid: &str) -> String;

    /// Refuses a request on its head alone, before its body is read.
    ///
    /// # Errors
    /// The failure to render.
    fn check_head(head: &Head<'_>) -> Result<(), Self::Failure>;

    /// The failure for a body that could not be read.
    fn body_failure(head: &Head<'_>, error: BodyError, ctx: &Context) -> Self::Failure;

    /// Parses and authenticates a request.
    fn authenticate(
        head: Head<'_>,
        body: Bytes,
        ctx: &Context,
    ) -> impl Future<Output = Result<Self::Verified, Self::Failure>>;

    /// What the log and the recorder say about an authenticated request.
    fn about(verified: &Self::Verified) -> About<'_>;

    /// The business parameters of an authenticated request, for the recorder.
    fn recorded_params(verified: &Self::Verified) -> Map<String, Value>;

    /// The request's encryption context, for policy conditions and grant constraints
    /// (empty when it has none, or none that parses: the action itself refuses that).
    fn encryption_context(verified: &Self::Verified) -> BTreeMap<String, String>;

    /// A domain error outside any action (a scope that cannot be one).
    fn from_service(error: crate::service::Error) -> Self::Failure;

    /// Parses the action's typed request and returns its work, which runs on `kms`, the
    /// caller's view of the service.
    ///
    /// # Errors
    /// A missing or malformed parameter.
    fn prepare(
        verified: Self::Verified,
        ctx: &Context,
        kms: &Kms,
    ) -> Result<Call<Self>, Self::Failure>;

    /// The reply to a successful call.
    fn success(reply: &Self::Reply, request_id: &str, fields: Map<String, Value>) -> Rendered;

    /// The failure of a blocking task that could not finish (a bug).
    fn crashed(detail: &str) -> Self::Failure;
}

/// The fields of a response struct as a JSON object.
///
/// # Errors
/// The struct does not serialise to an object (a bug), as a message for the log.
pub fn to_fields(v: impl serde::Serialize) -> Result<Map<String, Value>, String> {
    match serde_json::to_value(v) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(other) => Err(format!("a response serialised to {other}, not an object")),
        Err(e) => Err(e.to_string()),
    }
}

/// Declares a dialect's catalogue: the closed `Action` enum, each action's [`Spec`], and
/// `Action::prepare`, which parses the typed request and returns the work. The dialect
/// supplies, in the calling module: a `prepare::<Req, Resp>((input…), inline_check, handler)`
/// function, and the inline checks `when_cached` and `never`.
macro_rules! catalogue {
    (
        permission: $prefix:literal, fields: $from:ident, error: $error:ty,
        prepared: $prepared:ty, input: ($($arg:ident: $argty:ty),*);
        $(
            $action:ident($req:ty => $resp:ty) = $family:ident::$handler:ident,
            $runs:ident, [$($secret:literal),*],
            $description:literal;
        )+
    ) => {
        $crate::enums::closed_enum! {
            /// An action qkms implements.
            pub enum Action {
                $(
                    #[doc = $description]
                    $action = stringify!($action),
                )+
            }
        }

        impl Action {
            /// The catalogue's entry.
            #[must_use]
            pub fn spec(self) -> $crate::protocol::Spec {
                match self {
                    $(Self::$action => $crate::protocol::Spec {
                        name: stringify!($action),
                        family: stringify!($family),
                        description: $description,
                        permission: concat!($prefix, ":", stringify!($action)),
                        runs: $crate::protocol::catalogue!(@runs $runs),
                        secrets: &[$($secret),*],
                        request: $crate::protocol::schema::<$req>,
                        response: $crate::protocol::schema::<$resp>,
                        fields: <$req as $from>::FIELDS,
                    },)+
                }
            }

            /// Parses the action's request.
            ///
            /// # Errors
            /// A missing or malformed member.
            pub fn prepare(self, $($arg: $argty),*) -> Result<$prepared, $error> {
                let input = ($($arg,)*);
                match self {
                    $(Self::$action => prepare::<$req, $resp>(
                        input,
                        $crate::protocol::catalogue!(@check $runs),
                        $family::$handler,
                    ),)+
                }
            }
        }
    };
    (@runs hot) => { $crate::protocol::Runs::InlineWhenCached };
    (@runs blocking) => { $crate::protocol::Runs::Blocking };
    (@check hot) => { when_cached };
    (@check blocking) => { never };
}
pub(crate) use catalogue;

/// Gathers a catalogue from its families: each family file declares its own entries in a
/// macro (`keys_actions!`, …) that appends them and calls back here with the families
/// still to ask; when none is left, [`catalogue!`] gets them all. So an action is declared
/// once, beside its types and handler.
///
/// `gather!([header] [] fam1, fam2, …)`: `header` is what [`catalogue!`] takes before its
/// entries.
macro_rules! gather {
    ([$($header:tt)*] [$($entries:tt)*]) => {
        $crate::protocol::catalogue! { $($header)* $($entries)* }
    };
    ([$($header:tt)*] [$($entries:tt)*] $family:ident $(, $rest:ident)*) => {
        $family! { [$($header)*] [$($entries)*] $($rest),* }
    };
}
pub(crate) use gather;

/// Declares a family's catalogue entries as the macro `$name!`, for [`gather!`]:
/// `family!($ keys_actions { entries… });` (the leading `$` stands in for the dollar sign
/// of the inner macro, which stable Rust cannot write otherwise).
macro_rules! family {
    ($d:tt $name:ident { $($entry:tt)* }) => {
        macro_rules! $name {
            ([$d($d header:tt)*] [$d($d entries:tt)*] $d($d rest:ident),*) => {
                $crate::protocol::gather! {
                    [$d($d header)*] [$d($d entries)* $($entry)*] $d($d rest),*
                }
            };
        }
        pub(crate) use $name;
    };
}
pub(crate) use family;

/// Declares a request struct whose fields each read one named field of the wire input, in
/// order, and implements the dialect's parsing trait for it; `aliyun::fields::params!` and
/// `aws::members::members!` fill in their own traits and types.
macro_rules! wire_request {
    (
        [$from:path, $parse:ident, $input:ty, $error:ty, $field_trait:path, $read:ident]
        $(#[$m:meta])*
        pub struct $name:ident {
            $( $(#[$fm:meta])* $field:ident: $ty:ty = $wire:literal ),* $(,)?
        }
    ) => {
        $(#[$m])*
        #[derive(Debug, schemars::JsonSchema)]
        pub struct $name {
            $( $(#[$fm])* #[schemars(rename = $wire)] pub $field: $ty, )*
        }

        impl $from for $name {
            const FIELDS: &'static [$crate::protocol::FieldInfo] = &[$(
                $crate::protocol::FieldInfo {
                    name: $wire,
                    required: <$ty as $field_trait>::REQUIRED,
                },
            )*];

            #[allow(unused_variables)]
            fn $parse(input: &$input) -> Result<Self, $error> {
                Ok(Self {
                    $( $field: <$ty as $field_trait>::$read(input, $wire)?, )*
                })
            }
        }
    };
}
pub(crate) use wire_request;
