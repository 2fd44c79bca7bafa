//! The one request pipeline: for every protocol, in this order, the request ID, the
//! head check, the body (with its limit), authentication, the typed call on the executor
//! or the blocking pool, rendering (a failure in the protocol's own shape), the
//! recording and the log line. A protocol only fills in the steps of
//! [`crate::protocol::Protocol`].

use std::time::Instant;

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Map, Value};

use super::AppState;
use super::record::Exchange;
use crate::protocol::{BodyError, Context, Failure as _, Head, MAX_BODY, Protocol, Rendered};

/// What the log and the recorder learn as a request goes.
struct Seen {
    action: &'static str,
    caller: String,
    region: String,
    secrets: &'static [&'static str],
    params: Option<Map<String, Value>>,
}

/// Serves one request in protocol `P`.
pub async fn serve<P: Protocol>(
    req: HttpRequest,
    payload: web::Payload,
    state: &AppState,
) -> HttpResponse {
    let started = Instant::now();
    let request_id = P::request_id(&state.uuid());
    let ctx: &Context = &state.ctx;
    let head = Head {
        method: req.method(),
        path: req.path(),
        query: req.query_string(),
        headers: req.headers(),
    };
    let mut seen = Seen {
        action: "-",
        caller: "-".into(),
        region: String::new(),
        secrets: &[],
        params: None,
    };
    let result = run::<P>(head, payload, ctx, &request_id, &mut seen).await;
    let (rendered, code) = match result {
        Ok(r) => (r, ""),
        Err(f) => (f.render(&request_id, ctx), f.code()),
    };
    let status = rendered.response.status().as_u16();
    if let (Some(recorder), Some(params)) = (&state.recorder, seen.params) {
        recorder.record(Exchange {
            protocol: P::NAME,
            action: seen.action,
            caller: &seen.caller,
            region: &seen.region,
            secrets: seen.secrets,
            params,
            status,
            body: rendered.body,
        });
    }
    tracing::info!(
        protocol = P::NAME,
        request_id = %request_id,
        action = seen.action,
        access_key_id = %seen.caller,
        status,
        code,
        latency_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
        "request"
    );
    rendered.response
}

async fn run<P: Protocol>(
    head: Head<'_>,
    payload: web::Payload,
    ctx: &Context,
    request_id: &str,
    seen: &mut Seen,
) -> Result<Rendered, P::Failure> {
    P::check_head(&head)?;
    let body = match payload.to_bytes_limited(MAX_BODY).await {
        Ok(Ok(body)) => body,
        Ok(Err(e)) => {
            return Err(P::body_failure(
                &head,
                BodyError::Incomplete(e.to_string()),
                ctx,
            ));
        }
        Err(_) => return Err(P::body_failure(&head, BodyError::TooLarge, ctx)),
    };
    let verified = P::authenticate(head, body, ctx).await?;
    let about = P::about(&verified);
    seen.action = about.spec.name;
    about.caller.clone_into(&mut seen.caller);
    about.region.clone_into(&mut seen.region);
    seen.secrets = about.spec.secrets;
    if ctx.recording {
        seen.params = Some(P::recorded_params(&verified));
    }
    let call = P::prepare(verified, ctx)?;
    let fields = if call.inline {
        (call.work)(&ctx.kms)?
    } else {
        let kms = ctx.kms.clone();
        let work = call.work;
        web::block(move || work(&kms))
            .await
            .map_err(|e| P::crashed(&format!("blocking task failed: {e}")))??
    };
    Ok(P::success(&call.reply, request_id, fields))
}

/// Reads and drops a body, so that a keep-alive connection that sent one stays usable.
///
/// # Errors
/// The body is too large or did not arrive.
pub async fn drain(payload: web::Payload) -> Result<(), BodyError> {
    match payload.to_bytes_limited(MAX_BODY).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(BodyError::Incomplete(e.to_string())),
        Err(_) => Err(BodyError::TooLarge),
    }
}
