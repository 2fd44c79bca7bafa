//! The one request pipeline: for every protocol, in this order, the request ID, the
//! head check, the body (with its limit), authentication, the typed call on the executor
//! or the blocking pool, rendering (a failure in the protocol's own shape), the
//! recording and the log line. A protocol only fills in the steps of
//! [`crate::protocol::Protocol`].

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Map, Value};

use super::AppState;
use super::record::Exchange;
use crate::protocol::{
    About, BodyError, Context, Failure as _, Head, MAX_BODY, Protocol, Rendered,
};
use crate::service::{Access, Kms, Scope};

/// What the log and the recorder learn as a request goes.
struct Seen {
    action: &'static str,
    caller: String,
    region: String,
    secrets: &'static [&'static str],
    params: Option<Map<String, Value>>,
    /// The principal's name and account, once authenticated.
    principal: Option<(String, String)>,
    /// The first key or secret the call touched, when auditing.
    trail: Option<Arc<OnceLock<String>>>,
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
        principal: None,
        trail: state.audit.as_ref().map(|_| Arc::new(OnceLock::new())),
    };
    let peer = req.peer_addr().map(|a| a.ip());
    if let Some(m) = &state.metrics {
        m.in_flight.inc();
    }
    let result = run::<P>(head, payload, ctx, &request_id, peer, &mut seen).await;
    if let Some(m) = &state.metrics {
        m.in_flight.dec();
    }
    let (rendered, code, message) = match result {
        Ok(r) => (r, "", None),
        Err(f) => (
            f.render(&request_id, ctx),
            f.code(),
            Some(f.message().to_owned()),
        ),
    };
    let status = rendered.response.status().as_u16();
    if let Some(m) = &state.metrics {
        m.observe(P::NAME, seen.action, code, started.elapsed().as_secs_f64());
    }
    if let Some(log) = &state.audit {
        let outcome = Outcome {
            request_id: &request_id,
            dialect: P::NAME,
            peer,
            status,
            code,
            message: message.as_deref(),
        };
        if let Err(e) = log.append(audit_record(&seen, &outcome, ctx), !is_read(seen.action)) {
            tracing::error!(error = %e, "the audit log could not be written");
            return audit_failed::<P>(&request_id, ctx);
        }
    }
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
    peer: Option<IpAddr>,
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
    seen.principal = Some((
        about.principal.name.clone(),
        about
            .principal
            .account
            .clone()
            .unwrap_or_else(|| ctx.kms.settings().account_id.clone()),
    ));
    let mut kms = view::<P>(&about, &verified, ctx, peer).map_err(P::from_service)?;
    if let Some(trail) = &seen.trail {
        kms = kms.with_trail(trail.clone());
    }
    let call = P::prepare(verified, ctx, &kms)?;
    let fields = if call.inline {
        (call.work)(&kms)?
    } else {
        let work = call.work;
        web::block(move || work(&kms))
            .await
            .map_err(|e| P::crashed(&format!("blocking task failed: {e}")))??
    };
    Ok(P::success(&call.reply, request_id, fields))
}

/// What the audit record says about the answer.
struct Outcome<'a> {
    request_id: &'a str,
    dialect: &'static str,
    peer: Option<IpAddr>,
    status: u16,
    code: &'static str,
    message: Option<&'a str>,
}

/// Actions that change nothing stored: their records may wait in the log's buffer; every
/// other action's record is on disk before its answer leaves.
fn is_read(action: &str) -> bool {
    const READS: [&str; 13] = [
        "Describe",
        "List",
        "Get",
        "BatchGet",
        "Encrypt",
        "Decrypt",
        "Generate",
        "Sign",
        "Verify",
        "Asymmetric",
        "Derive",
        "Export",
        "Validate",
    ];
    action == "-" || READS.iter().any(|r| action.starts_with(r))
}

/// One audit record: who, what, where, the decision, never a parameter's value.
fn audit_record(seen: &Seen, out: &Outcome<'_>, ctx: &Context) -> Map<String, Value> {
    let settings = ctx.kms.settings();
    let region = if seen.region.is_empty() {
        settings.region.clone()
    } else {
        seen.region.clone()
    };
    let mut r = Map::new();
    let now = chrono::Utc::now();
    r.insert(
        "time".into(),
        now.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string().into(),
    );
    r.insert("requestId".into(), out.request_id.into());
    r.insert("dialect".into(), out.dialect.into());
    r.insert("action".into(), seen.action.into());
    r.insert("accessKeyId".into(), seen.caller.clone().into());
    let (name, account) = seen.principal.clone().unzip();
    r.insert("principal".into(), name.into());
    r.insert("account".into(), account.clone().into());
    r.insert("region".into(), region.clone().into());
    r.insert("sourceIp".into(), out.peer.map(|p| p.to_string()).into());
    let resource = seen.trail.as_ref().and_then(|t| t.get()).map(|res| {
        let acct = account.as_deref().unwrap_or(&settings.account_id);
        if out.dialect == "aws" {
            let acct = if acct == settings.account_id {
                &ctx.aws_account_id
            } else {
                acct
            };
            match res.strip_prefix("secret/") {
                Some(name) => format!("arn:aws:secretsmanager:{region}:{acct}:secret:{name}"),
                None => format!("arn:aws:kms:{region}:{acct}:{res}"),
            }
        } else {
            format!("acs:kms:{region}:{acct}:{res}")
        }
    });
    r.insert("resource".into(), resource.into());
    let denied = matches!(out.code, "Forbidden.RAM" | "AccessDeniedException");
    let decision = match (seen.principal.is_some(), denied, out.status < 400) {
        (false, _, _) => "unauthenticated",
        (true, true, _) => "denied",
        (true, false, true) => "allowed",
        (true, false, false) => "failed",
    };
    r.insert("decision".into(), decision.into());
    if denied {
        r.insert("reason".into(), out.message.into());
    }
    r.insert("status".into(), out.status.into());
    r.insert(
        "errorCode".into(),
        (!out.code.is_empty()).then_some(out.code).into(),
    );
    r
}

/// The answer when the audit record of a request could not be written: the request
/// may have happened, but an unaudited success must not be reported.
fn audit_failed<P: Protocol>(request_id: &str, ctx: &Context) -> HttpResponse {
    P::crashed("the audit log could not be written")
        .render(request_id, ctx)
        .response
}

/// The caller's view of the service: its account, the region the request names (or the
/// default one), and, unless it is an account's root, what its policies are checked with.
fn view<P: Protocol>(
    about: &About<'_>,
    verified: &P::Verified,
    ctx: &Context,
    peer: Option<IpAddr>,
) -> Result<Kms, crate::service::Error> {
    let settings = ctx.kms.settings();
    let principal = about.principal;
    let account = principal
        .account
        .clone()
        .unwrap_or_else(|| settings.account_id.clone());
    let region = match about.region {
        "" => settings.region.clone(),
        named => named.to_owned(),
    };
    let access = if principal.root && about.session_policy.is_none() {
        None
    } else {
        let aws_account = if account == settings.account_id {
            ctx.aws_account_id.clone()
        } else {
            account.clone()
        };
        let encryption_context = P::encryption_context(verified);
        let context = conditions(&ctx.kms, &account, peer, &encryption_context);
        Some(Arc::new(Access {
            principal: principal.clone(),
            account: account.clone(),
            aws_account,
            region: region.clone(),
            permission: about.spec.permission,
            session_policy: about.session_policy.cloned(),
            context,
            encryption_context,
        }))
    };
    ctx.kms.scoped(Scope { account, region }, access)
}

/// The condition keys a request supplies, under both services' names.
fn conditions(
    kms: &Kms,
    account: &str,
    peer: Option<IpAddr>,
    encryption_context: &BTreeMap<String, String>,
) -> BTreeMap<String, Vec<String>> {
    let mut keys = BTreeMap::new();
    let now = kms.now();
    let time = chrono::DateTime::from_timestamp(now, 0)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default();
    for service in ["aws", "acs"] {
        if let Some(ip) = peer {
            keys.insert(format!("{service}:SourceIp"), vec![ip.to_string()]);
        }
        keys.insert(format!("{service}:CurrentTime"), vec![time.clone()]);
        keys.insert(format!("{service}:EpochTime"), vec![now.to_string()]);
    }
    keys.insert("kms:CallerAccount".into(), vec![account.to_owned()]);
    if !encryption_context.is_empty() {
        keys.insert(
            "kms:EncryptionContextKeys".into(),
            encryption_context.keys().cloned().collect(),
        );
    }
    for (k, v) in encryption_context {
        keys.insert(format!("kms:EncryptionContext:{k}"), vec![v.clone()]);
    }
    keys
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
