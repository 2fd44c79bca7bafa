//! The catalogue of operations. Each operation is declared once, in its family file (`keys.rs`,
//! `aliases.rs`, …) beside its request and response types and its handler, as one entry:
//! the types, the handler, where it runs (`hot`: inline when its key is cached;
//! `blocking`: the blocking pool), the members that hold secrets, and a one-line
//! description; its permission is `kms:<Name>`. This module gathers the families into the
//! closed `Action` enum, whose `spec` and `prepare` serve dispatch, the recorder's
//! redaction, the OpenAPI document and the README's table.
//!
//! Adding an operation: its types, handler and entry in the family file, its `Kms` method and
//! its tests.

use serde::Serialize;
use serde_json::{Map, Value};

use super::aliases::aliases_actions;
use super::asymmetric::asymmetric_actions;
use super::crypto::crypto_actions;
use super::error::AwsError;
use super::grants::grants_actions;
use super::import::import_actions;
use super::keys::keys_actions;
use super::keystores::keystores_actions;
use super::members::{FromInput, Input};
use super::policy::policy_actions;
use super::rotation::rotation_actions;
use super::tags::tags_actions;
use super::usage::usage_actions;
use super::wire::Scope;
use super::{
    aliases, asymmetric, crypto, grants, import, keys, keystores, policy, rotation, tags, usage,
};
use crate::protocol::{Prepared, gather, to_fields};
use crate::service::Kms;

fn fields(v: impl Serialize) -> Result<Map<String, Value>, AwsError> {
    to_fields(v).map_err(|e| AwsError::internal(&e))
}

/// Parses an operation's typed request and wraps its handler (shared with the Secrets
/// Manager catalogue).
pub(crate) fn prepare<Req, Resp>(
    (input, kms, scope): (&Input, &Kms, Scope),
    inline: fn(&Req, &Kms) -> bool,
    handler: fn(Req, &Kms, &Scope) -> Result<Resp, AwsError>,
) -> Result<Prepared<AwsError>, AwsError>
where
    Req: FromInput + Send + 'static,
    Resp: Serialize + 'static,
{
    let req = Req::from_input(input)?;
    Ok(Prepared {
        inline: inline(&req, kms),
        work: Box::new(move |kms| fields(handler(req, kms, &scope)?)),
    })
}

/// Never inline.
pub(crate) fn never<Req>(_: &Req, _: &Kms) -> bool {
    false
}

fn when_cached<Req: crypto::HotKey>(req: &Req, kms: &Kms) -> bool {
    req.is_hot(kms)
}

gather! {
    [permission: "kms", fields: FromInput, error: AwsError, prepared: Prepared<AwsError>,
    input: (input: &Input, kms: &Kms, scope: Scope);]
    []
    keys_actions, rotation_actions, aliases_actions, tags_actions, import_actions, crypto_actions,
    asymmetric_actions,
    policy_actions, grants_actions, usage_actions, keystores_actions
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The README lists exactly the catalogue's operations; names, permissions and secrets hold.
    #[test]
    fn the_catalogue_is_consistent() {
        let specs: Vec<_> = Action::ALL.iter().map(|a| a.spec()).collect();
        crate::openapi::check_catalogue(
            "Operation",
            "kms",
            &specs,
            include_str!("../../README.md"),
        );
        for a in Action::ALL {
            assert_eq!(Action::parse(a.spec().name), Some(*a));
        }
        assert_eq!(Action::parse("Nope"), None);
    }
}
