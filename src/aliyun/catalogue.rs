//! The catalogue of actions. Each action is declared once, in its family file (`keys.rs`,
//! `aliases.rs`, …) beside its request and response types and its handler, as one entry:
//! the types, the handler, where it runs (`hot`: inline when its key is cached;
//! `blocking`: the blocking pool), the members that hold secrets, and a one-line
//! description; its permission is `kms:<Name>`. This module gathers the families into the
//! closed `Action` enum, whose `spec` and `prepare` serve dispatch, the recorder's
//! redaction, the OpenAPI document and the README's table.
//!
//! Adding an action: its types, handler and entry in the family file, its `Kms` method and
//! its tests.

use serde::Serialize;
use serde_json::{Map, Value};

use super::aliases::aliases_actions;
use super::asymmetric::asymmetric_actions;
use super::crypto::crypto_actions;
use super::error::AliyunError;
use super::export::export_actions;
use super::fields::FromParams;
use super::import::import_actions;
use super::keys::keys_actions;
use super::params::Params;
use super::policy::policy_actions;
use super::random::random_actions;
use super::regions::regions_actions;
use super::secret_admin::secret_admin_actions;
use super::secrets::secrets_actions;
use super::tags::tags_actions;
use super::versions::versions_actions;
use super::{
    aliases, asymmetric, crypto, export, import, keys, policy, random, regions, secret_admin,
    secrets, tags, versions,
};
use crate::protocol::{Prepared, gather, to_fields};
use crate::service::Kms;

fn fields(v: impl Serialize) -> Result<Map<String, Value>, AliyunError> {
    to_fields(v).map_err(|e| AliyunError::internal(&e))
}

fn prepare<Req, Resp>(
    (p, kms): (&Params, &Kms),
    inline: fn(&Req, &Kms) -> bool,
    handler: fn(Req, &Kms) -> Result<Resp, AliyunError>,
) -> Result<Prepared<AliyunError>, AliyunError>
where
    Req: FromParams + Send + 'static,
    Resp: Serialize + 'static,
{
    let req = Req::from_params(p)?;
    Ok(Prepared {
        inline: inline(&req, kms),
        work: Box::new(move |kms| fields(handler(req, kms)?)),
    })
}

fn never<Req>(_: &Req, _: &Kms) -> bool {
    false
}

fn when_cached<Req: crypto::HotKey>(req: &Req, kms: &Kms) -> bool {
    req.is_hot(kms)
}

gather! {
    [permission: "kms", fields: FromParams, error: AliyunError, prepared: Prepared<AliyunError>,
    input: (p: &Params, kms: &Kms);]
    []
    keys_actions, versions_actions, import_actions, crypto_actions, asymmetric_actions,
    export_actions,
    random_actions, aliases_actions, tags_actions, regions_actions, policy_actions,
    secrets_actions, secret_admin_actions
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The README lists exactly the catalogue's actions; names, permissions and secrets hold.
    #[test]
    fn the_catalogue_is_consistent() {
        let specs: Vec<_> = Action::ALL.iter().map(|a| a.spec()).collect();
        crate::openapi::check_catalogue("Action", "kms", &specs, include_str!("../../README.md"));
        for a in Action::ALL {
            assert_eq!(Action::parse(a.spec().name), Some(*a));
        }
        assert_eq!(Action::parse("Nope"), None);
    }
}
