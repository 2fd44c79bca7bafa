//! Who may do what: principals with identity policies, checked with key policies and
//! grants, as AWS KMS evaluates them (RAM shares the grammar, and qkms evaluates Aliyun
//! key policies the same way).
//!
//! For a key, a request is allowed when no applicable statement denies it (identity
//! policy, session policy, key policy) and one of these allows it: the key policy names
//! the caller; the key policy names the caller's account (root), delegating to identity
//! policies, and one allows it; a grant on the key for the caller covers the operation
//! within its encryption-context constraint. A key without a stored policy has the
//! services' default policy, which delegates to the account. A session policy (temporary
//! credentials) must allow the request as well. An account's root principal is never
//! restricted. Requests without a resource (CreateKey, ListKeys, …) and secrets are
//! checked against identity and session policies alone.
//!
//! Every check happens where the service reads the object, before any write, so a denial
//! changes nothing; the permission is the catalogue's for the action.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::iam::{self, Decision, PolicyDoc};
use super::{Error, Kms, Result};
use crate::model::{GrantConstraint, KeyRecord, SecretRecord};

/// A configured principal: a user of one account, with its identity policies.
#[derive(Debug)]
pub struct Principal {
    /// The user name (`root` for an account's root).
    pub name: String,
    /// The account; `None` = the service's default account.
    pub account: Option<String>,
    /// An account's root: allowed everything, no policy evaluated.
    pub root: bool,
    /// Identity policies.
    pub policies: Vec<PolicyDoc>,
}

impl Principal {
    /// The root of the default account (the default credentials).
    #[must_use]
    pub fn default_root() -> Self {
        Self {
            name: "root".into(),
            account: None,
            root: true,
            policies: Vec::new(),
        }
    }
}

/// The caller of one request, as the checks see it.
#[derive(Debug, Clone)]
pub struct Access {
    /// Who.
    pub principal: Arc<Principal>,
    /// The account the request acts in.
    pub account: String,
    /// The account as AWS ARNs spell it.
    pub aws_account: String,
    /// The region the request acts in, as it named it.
    pub region: String,
    /// The catalogue's permission for the action (`kms:Encrypt`).
    pub permission: &'static str,
    /// The session policy of temporary credentials.
    pub session_policy: Option<Arc<PolicyDoc>>,
    /// Condition keys and their values (`aws:SourceIp`, `kms:EncryptionContext:<k>`, …).
    pub context: BTreeMap<String, Vec<String>>,
    /// The request's encryption context, for grant constraints.
    pub encryption_context: BTreeMap<String, String>,
}

/// Why a request was refused, in both dialects' spellings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denial {
    /// The caller (`acs:ram::<account>:user/<name>`).
    pub principal_acs: String,
    /// The caller (`arn:aws:iam::<account>:user/<name>`).
    pub principal_aws: String,
    /// The permission.
    pub permission: String,
    /// The resource, Aliyun form (`acs:kms:<region>:<account>:key/<id>`, or `*`).
    pub resource_acs: String,
    /// The resource, AWS form.
    pub resource_aws: String,
    /// A statement denied it (else nothing allowed it), and which kind of policy.
    pub explicit: bool,
    /// `identity-based`, `session`, `resource-based` (the key policy).
    pub by: &'static str,
}

impl Denial {
    /// Why, in AWS's words: `because no identity-based policy allows the kms:Decrypt
    /// action`, `with an explicit deny in a resource-based policy`.
    #[must_use]
    pub fn reason(&self) -> String {
        let article = if self.by.starts_with('i') { "an" } else { "a" };
        if self.explicit {
            format!("with an explicit deny in {article} {} policy", self.by)
        } else {
            format!(
                "because no {} policy allows the {} action",
                self.by, self.permission
            )
        }
    }
}

impl Access {
    fn user(&self, prefix: &str, account: &str) -> String {
        if self.principal.root {
            format!("{prefix}{account}:root")
        } else {
            format!("{prefix}{account}:user/{}", self.principal.name)
        }
    }

    /// The names a key policy's `Principal` may give the caller.
    fn names(&self) -> Vec<String> {
        vec![
            self.user("arn:aws:iam::", &self.aws_account),
            self.user("acs:ram::", &self.account),
            self.user("arn:aws:iam::", &self.account),
        ]
    }

    /// The names of the caller's account root (delegation to identity policies).
    fn root_names(&self) -> Vec<String> {
        vec![
            format!("arn:aws:iam::{}:root", self.aws_account),
            format!("arn:aws:iam::{}:root", self.account),
            format!("acs:ram::{}:root", self.account),
            self.aws_account.clone(),
            self.account.clone(),
            "*".into(),
        ]
    }

    fn denial(
        &self,
        permission: &str,
        resources: &[String; 2],
        by: &'static str,
        explicit: bool,
    ) -> Error {
        Error::AccessDenied(Box::new(Denial {
            principal_acs: self.user("acs:ram::", &self.account),
            principal_aws: self.user("arn:aws:iam::", &self.aws_account),
            permission: permission.to_owned(),
            resource_acs: resources[0].clone(),
            resource_aws: resources[1].clone(),
            explicit,
            by,
        }))
    }

    /// Identity and session policies for `permission` on `resources`: the identity
    /// decision, or the denial.
    fn identity(&self, permission: &str, resources: &[String; 2]) -> Result<Decision> {
        let req = iam::Request {
            action: permission,
            resources: resources.as_slice(),
            principals: &[],
            context: &self.context,
        };
        // A root is allowed everything (only a session policy narrows it).
        let identity = if self.principal.root {
            Decision::Allow
        } else {
            iam::evaluate_all(&self.principal.policies, &req)
        };
        if let Decision::Deny(_) = identity {
            return Err(self.denial(permission, resources, "identity-based", true));
        }
        if let Some(session) = &self.session_policy {
            match iam::evaluate(session, &req) {
                Decision::Allow => {}
                Decision::Deny(_) => {
                    return Err(self.denial(permission, resources, "session", true));
                }
                Decision::NotApplicable => {
                    return Err(self.denial(permission, resources, "session", false));
                }
            }
        }
        Ok(identity)
    }

    fn grants_allow(&self, permission: &str, key: &KeyRecord, names: &[String]) -> bool {
        let Some(operation) = permission.strip_prefix("kms:") else {
            return false;
        };
        key.grants.iter().any(|g| {
            names.contains(&g.grantee)
                && g.operations.iter().any(|o| o.as_str() == operation)
                && match &g.constraint {
                    None => true,
                    Some(GrantConstraint::Subset(pairs)) => pairs
                        .iter()
                        .all(|(k, v)| self.encryption_context.get(k) == Some(v)),
                    Some(GrantConstraint::Equals(pairs)) => *pairs == self.encryption_context,
                }
        })
    }

    /// The full check on a key.
    fn check_key(&self, permission: &str, key: &KeyRecord) -> Result<()> {
        let resources = [
            format!(
                "acs:kms:{}:{}:key/{}",
                self.region, self.account, key.key_id
            ),
            format!(
                "arn:aws:kms:{}:{}:key/{}",
                self.region, self.aws_account, key.key_id
            ),
        ];
        let identity = self.identity(permission, &resources)?;
        let names = if key.policy.is_some() || !key.grants.is_empty() {
            self.names()
        } else {
            Vec::new()
        };
        let (direct, delegated) = match key.policy.as_deref().map(PolicyDoc::parse) {
            None => (Decision::NotApplicable, Decision::Allow),
            // A stored policy passed the grammar check when it was set; one this
            // evaluator cannot read allows nothing.
            Some(Err(_)) => (Decision::NotApplicable, Decision::NotApplicable),
            Some(Ok(doc)) => {
                let mut req = iam::Request {
                    action: permission,
                    resources: resources.as_slice(),
                    principals: &names,
                    context: &self.context,
                };
                let direct = iam::evaluate(&doc, &req);
                let roots = self.root_names();
                req.principals = &roots;
                (direct, iam::evaluate(&doc, &req))
            }
        };
        if let Decision::Deny(_) = direct {
            return Err(self.denial(permission, &resources, "resource-based", true));
        }
        let allowed = direct == Decision::Allow
            || (delegated == Decision::Allow && identity == Decision::Allow)
            || self.grants_allow(permission, key, &names);
        if allowed {
            return Ok(());
        }
        let by = if delegated == Decision::Allow {
            "identity-based"
        } else {
            "resource-based"
        };
        Err(self.denial(permission, &resources, by, false))
    }

    fn check_plain(&self, permission: &str, resources: [String; 2]) -> Result<()> {
        match self.identity(permission, &resources)? {
            Decision::Allow => Ok(()),
            _ => Err(self.denial(permission, &resources, "identity-based", false)),
        }
    }
}

impl Kms {
    /// This view with `permission` checked instead of the action's (an action that
    /// needs two permissions, such as ReEncrypt's From and To).
    #[must_use]
    pub(super) fn with_permission(&self, permission: &'static str) -> Kms {
        let mut view = self.clone();
        if let Some(a) = &self.access {
            let mut changed = (**a).clone();
            changed.permission = permission;
            view.access = Some(Arc::new(changed));
        }
        view
    }

    /// Notes the first resource a request touches, when its trail is kept.
    pub(super) fn note(&self, resource: impl FnOnce() -> String) {
        if let Some(trail) = &self.trail {
            trail.get_or_init(resource);
        }
    }

    /// The caller checked here, unless it is the service or an account's root.
    fn checked_caller(&self) -> Option<&Access> {
        self.access
            .as_deref()
            .filter(|a| !a.principal.root || a.session_policy.is_some())
    }

    /// Checks the request's permission on `key`.
    ///
    /// # Errors
    /// [`Error::AccessDenied`].
    pub(super) fn allow_key(&self, key: &KeyRecord) -> Result<()> {
        self.note(|| format!("key/{}", key.key_id));
        match self.checked_caller() {
            Some(a) => a.check_key(a.permission, key),
            None => Ok(()),
        }
    }

    /// Checks the request's permission on the account (actions without a resource).
    ///
    /// # Errors
    /// [`Error::AccessDenied`].
    pub(super) fn allow_account(&self) -> Result<()> {
        let Some(a) = self.checked_caller() else {
            return Ok(());
        };
        let service = a.permission.split(':').next().unwrap_or("kms");
        a.check_plain(
            a.permission,
            [
                format!("acs:kms:{}:{}:*", a.region, a.account),
                format!("arn:aws:{service}:{}:{}:*", a.region, a.aws_account),
            ],
        )
    }

    /// Checks the request's permission on a secret.
    ///
    /// # Errors
    /// [`Error::AccessDenied`].
    pub(super) fn allow_secret(&self, secret: &SecretRecord) -> Result<()> {
        self.note(|| format!("secret/{}", secret.name));
        let Some(a) = self.checked_caller() else {
            return Ok(());
        };
        a.check_plain(
            a.permission,
            [
                format!("acs:kms:{}:{}:secret/{}", a.region, a.account, secret.name),
                format!(
                    "arn:aws:secretsmanager:{}:{}:secret:{}-{}",
                    a.region, a.aws_account, secret.name, secret.arn_suffix
                ),
            ],
        )
    }
}
