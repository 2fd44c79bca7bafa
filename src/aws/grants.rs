//! Grants: CreateGrant, ListGrants, ListRetirableGrants, RetireGrant, RevokeGrant. Grants
//! are stored with their key and listed as AWS lists them; they are not enforced yet (a
//! grant token is accepted wherever `GrantTokens` is, whatever it holds).

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::Serialize;
use serde_json::Value;

use super::crypto::dry_run_error;
use super::error::{AwsError, Exception};
use super::keys::{Empty, More, fail, page};
use super::members::{Bool, GrantTokens, Int, Read, Refused, Str, members};
use super::wire::{KeyOnly, Scope};
use crate::enums::closed_enum;
use crate::model::{EncryptionContext, Grant, GrantConstraint, GrantOperation as Allowed};
use crate::service::{Error, GrantInput, GrantRef, Kms};

closed_enum! {
    /// `GrantOperation`, every value of the model; which of them a grant may allow
    /// depends on the key's spec and usage (checked by the service).
    pub enum GrantOperation {
        /// Decrypt.
        Decrypt = "Decrypt",
        /// Encrypt.
        Encrypt = "Encrypt",
        /// GenerateDataKey.
        GenerateDataKey = "GenerateDataKey",
        /// GenerateDataKeyWithoutPlaintext.
        GenerateDataKeyWithoutPlaintext = "GenerateDataKeyWithoutPlaintext",
        /// ReEncrypt's source half.
        ReEncryptFrom = "ReEncryptFrom",
        /// ReEncrypt's destination half.
        ReEncryptTo = "ReEncryptTo",
        /// Sign (asymmetric keys only).
        Sign = "Sign",
        /// Verify (asymmetric keys only).
        Verify = "Verify",
        /// GetPublicKey (asymmetric keys only).
        GetPublicKey = "GetPublicKey",
        /// CreateGrant.
        CreateGrant = "CreateGrant",
        /// RetireGrant.
        RetireGrant = "RetireGrant",
        /// DescribeKey.
        DescribeKey = "DescribeKey",
        /// GenerateDataKeyPair.
        GenerateDataKeyPair = "GenerateDataKeyPair",
        /// GenerateDataKeyPairWithoutPlaintext.
        GenerateDataKeyPairWithoutPlaintext = "GenerateDataKeyPairWithoutPlaintext",
        /// GenerateMac (HMAC keys only).
        GenerateMac = "GenerateMac",
        /// VerifyMac (HMAC keys only).
        VerifyMac = "VerifyMac",
        /// DeriveSharedSecret (key-agreement keys only).
        DeriveSharedSecret = "DeriveSharedSecret",
        /// Encapsulate (ML-KEM keys only).
        Encapsulate = "Encapsulate",
        /// Decapsulate (ML-KEM keys only).
        Decapsulate = "Decapsulate",
    }
}
super::members::enum_member!(GrantOperation);

/// `Operations`: at least one grant operation (the service checks them against the key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operations(pub Vec<Allowed>);

impl Read for Operations {
    fn read(value: &Value, name: &'static str) -> Result<Self, AwsError> {
        let Value::Array(items) = value else {
            return Err(AwsError::new(
                Exception::Serialization,
                format!("Member {name} must be a list of strings."),
            ));
        };
        let ops = items
            .iter()
            .map(|v| GrantOperation::read(v, name))
            .collect::<Result<Vec<_>, _>>()?;
        if ops.is_empty() {
            return Err(AwsError::validation(
                name,
                "Member must have length greater than or equal to 1",
            ));
        }
        let refused: Vec<&str> = ops
            .iter()
            .filter(|o| Allowed::parse(o.as_str()).is_none())
            .map(|o| o.as_str())
            .collect();
        if !refused.is_empty() {
            return Err(AwsError::new(
                Exception::Validation,
                format!(
                    "Grant operations {} are not valid for a symmetric encryption KMS key.",
                    refused.join(", ")
                ),
            ));
        }
        Ok(Self(
            ops.iter()
                .filter_map(|o| Allowed::parse(o.as_str()))
                .collect(),
        ))
    }
}
super::members::required!(Operations);

impl JsonSchema for Operations {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "GrantOperationList".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let item = generator.subschema_for::<GrantOperation>();
        json_schema!({"type": "array", "minItems": 1, "items": item})
    }
}

/// `Constraints`: `EncryptionContextSubset` or `EncryptionContextEquals`, not both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Constraints(pub GrantConstraint);

fn context(
    obj: &serde_json::Map<String, Value>,
    name: &str,
) -> Result<Option<EncryptionContext>, AwsError> {
    match obj.get(name).filter(|v| !v.is_null()) {
        None => Ok(None),
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, v)| match v {
                Value::String(s) => Ok((k.clone(), s.clone())),
                _ => Err(AwsError::new(
                    Exception::Serialization,
                    format!("Member {name} must be a map of strings."),
                )),
            })
            .collect::<Result<_, _>>()
            .map(Some),
        Some(_) => Err(AwsError::new(
            Exception::Serialization,
            format!("Member {name} must be a map of strings."),
        )),
    }
}

impl Read for Constraints {
    fn read(value: &Value, name: &'static str) -> Result<Self, AwsError> {
        let Value::Object(obj) = value else {
            return Err(AwsError::new(
                Exception::Serialization,
                format!("Member {name} must be a structure."),
            ));
        };
        if obj.get("SourceArn").is_some_and(|v| !v.is_null()) {
            return Err(AwsError::new(
                Exception::UnsupportedOperation,
                "The SourceArn grant constraint is not supported by qkms.",
            ));
        }
        match (
            context(obj, "EncryptionContextSubset")?,
            context(obj, "EncryptionContextEquals")?,
        ) {
            (Some(_), Some(_)) => Err(AwsError::new(
                Exception::Validation,
                "EncryptionContextSubset and EncryptionContextEquals cannot both be specified.",
            )),
            (Some(s), None) => Ok(Self(GrantConstraint::Subset(s))),
            (None, Some(e)) => Ok(Self(GrantConstraint::Equals(e))),
            (None, None) => Err(AwsError::new(
                Exception::Validation,
                "Constraints must specify EncryptionContextSubset or EncryptionContextEquals.",
            )),
        }
    }
}

impl JsonSchema for Constraints {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "GrantConstraints".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let map = json_schema!({"type": "object", "additionalProperties": {"type": "string"}});
        json_schema!({
            "type": "object",
            "properties": {"EncryptionContextSubset": map, "EncryptionContextEquals": map},
            "description": "One of the two, not both.",
        })
    }
}

/// Checks a principal (`[\w+=,.@:/-]+`).
fn principal(name: &str, p: &Str<1, 256>) -> Result<String, AwsError> {
    if p.0
        .chars()
        .all(|c| c.is_alphanumeric() || "_+=,.@:/-".contains(c))
    {
        Ok(p.0.clone())
    } else {
        Err(AwsError::validation(
            name,
            "Member must satisfy regular expression pattern: ^[\\w+=,.@:/-]+$",
        ))
    }
}

/// Checks a grant ID: qkms's are 64 lowercase hex digits, as AWS's.
fn grant_id(id: &Str<1, 128>) -> Result<String, AwsError> {
    if id.0.len() == 64 && id.0.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(id.0.to_ascii_lowercase())
    } else {
        Err(AwsError::new(
            Exception::InvalidGrantId,
            "Grant ID is invalid.",
        ))
    }
}

members! {
    /// CreateGrant's members.
    pub struct CreateGrantRequest {
        /// The key (ID or key ARN).
        key_id: KeyOnly = "KeyId",
        /// Who gets the permissions (an ARN of a principal); required.
        grantee_principal: Option<Str<1, 256>> = "GranteePrincipal",
        /// Who may retire the grant.
        retiring_principal: Option<Str<1, 256>> = "RetiringPrincipal",
        /// What the grant allows (valid for a symmetric encryption key).
        operations: Operations = "Operations",
        /// An encryption-context constraint.
        constraints: Option<Constraints> = "Constraints",
        /// 0 to 10 grant tokens (accepted).
        grant_tokens: GrantTokens = "GrantTokens",
        /// A name (`[a-zA-Z0-9:/_-]+`): retrying with the same name and parameters returns
        /// the same grant.
        name: Option<Str<1, 256>> = "Name",
        /// Check and change nothing.
        dry_run: Bool = "DryRun",
        /// Refused: qkms has no service principals.
        grantee_service_principal: Refused = "GranteeServicePrincipal",
        /// Refused: qkms has no service principals.
        retiring_service_principal: Refused = "RetiringServicePrincipal",
    }
}

/// CreateGrant's answer.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct CreateGrantResponse {
    /// A fresh token for the grant (RetireGrant accepts it).
    #[serde(rename = "GrantToken")]
    pub grant_token: String,
    /// The grant ID (64 hex digits).
    #[serde(rename = "GrantId")]
    pub grant_id: String,
}

fn grant_input(req: &CreateGrantRequest) -> Result<GrantInput, AwsError> {
    if req.grantee_service_principal.0 || req.retiring_service_principal.0 {
        return Err(AwsError::new(
            Exception::UnsupportedOperation,
            "Service principals are not supported by qkms.",
        ));
    }
    let grantee = req
        .grantee_principal
        .as_ref()
        .ok_or_else(|| AwsError::missing("GranteePrincipal"))?;
    let name = match &req.name {
        Some(n)
            if !n
                .0
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || ":/_-".contains(c)) =>
        {
            return Err(AwsError::validation(
                "Name",
                "Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$",
            ));
        }
        n => n.as_ref().map(|n| n.0.clone()),
    };
    Ok(GrantInput {
        name,
        grantee: principal("GranteePrincipal", grantee)?,
        retiring: req
            .retiring_principal
            .as_ref()
            .map(|p| principal("RetiringPrincipal", p))
            .transpose()?,
        operations: req.operations.0.clone(),
        constraint: req.constraints.as_ref().map(|c| c.0.clone()),
        issuing_account: String::new(),
    })
}

/// CreateGrant: refused for a key pending deletion.
///
/// # Errors
/// The exception to render.
pub fn create_grant(
    req: CreateGrantRequest,
    kms: &Kms,
    scope: &Scope,
) -> Result<CreateGrantResponse, AwsError> {
    let mut input = grant_input(&req)?;
    input.issuing_account = format!("arn:aws:iam::{}:root", scope.account);
    let issued = kms
        .create_grant(&req.key_id.key_ref(scope)?, &input, req.dry_run.0)
        .map_err(fail(&req.key_id, scope))?;
    let issued = issued.ok_or_else(dry_run_error)?;
    Ok(CreateGrantResponse {
        grant_token: issued.token,
        grant_id: issued.grant_id,
    })
}

/// One listed grant.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct GrantListEntry {
    /// The key's ARN.
    #[serde(rename = "KeyId")]
    pub key_id: String,
    /// The grant ID.
    #[serde(rename = "GrantId")]
    pub grant_id: String,
    /// Its name, when it has one.
    #[serde(rename = "Name", skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// When it was made, epoch seconds.
    #[serde(rename = "CreationDate")]
    pub creation_date: i64,
    /// Who got the permissions.
    #[serde(rename = "GranteePrincipal")]
    pub grantee_principal: String,
    /// Who may retire it.
    #[serde(rename = "RetiringPrincipal", skip_serializing_if = "Option::is_none")]
    pub retiring_principal: Option<String>,
    /// The account that made it (`arn:aws:iam::<account>:root`).
    #[serde(rename = "IssuingAccount")]
    pub issuing_account: String,
    /// What it allows.
    #[serde(rename = "Operations")]
    pub operations: Vec<&'static str>,
    /// Its constraint, when it has one.
    #[serde(rename = "Constraints", skip_serializing_if = "Option::is_none")]
    pub constraints: Option<ConstraintsEntry>,
}

/// A listed grant's `Constraints`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ConstraintsEntry {
    /// Pairs the context must include.
    #[serde(
        rename = "EncryptionContextSubset",
        skip_serializing_if = "Option::is_none"
    )]
    pub encryption_context_subset: Option<EncryptionContext>,
    /// Pairs the context must equal.
    #[serde(
        rename = "EncryptionContextEquals",
        skip_serializing_if = "Option::is_none"
    )]
    pub encryption_context_equals: Option<EncryptionContext>,
}

fn entry(key_id: &str, g: Grant, scope: &Scope) -> GrantListEntry {
    GrantListEntry {
        key_id: scope.key_arn(key_id),
        grant_id: g.id,
        name: g.name,
        creation_date: g.created,
        grantee_principal: g.grantee,
        retiring_principal: g.retiring,
        issuing_account: g.issuing_account,
        operations: g.operations.iter().map(|o| o.as_str()).collect(),
        constraints: g.constraint.map(|c| match c {
            GrantConstraint::Subset(s) => ConstraintsEntry {
                encryption_context_subset: Some(s),
                encryption_context_equals: None,
            },
            GrantConstraint::Equals(e) => ConstraintsEntry {
                encryption_context_subset: None,
                encryption_context_equals: Some(e),
            },
        }),
    }
}

/// ListGrants' and ListRetirableGrants' answer.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ListGrantsResponse {
    /// The page, oldest first.
    #[serde(rename = "Grants")]
    pub grants: Vec<GrantListEntry>,
    /// Whether more follow.
    #[serde(flatten)]
    pub more: More,
}

fn page_of(
    all: Vec<(String, Grant)>,
    offset: usize,
    limit: usize,
    scope: &Scope,
) -> ListGrantsResponse {
    let total = all.len();
    let grants: Vec<GrantListEntry> = all
        .into_iter()
        .skip(offset)
        .take(limit)
        .map(|(k, g)| entry(&k, g, scope))
        .collect();
    let more = More::after(offset, grants.len(), total);
    ListGrantsResponse { grants, more }
}

members! {
    /// ListGrants' members.
    pub struct ListGrantsRequest {
        /// The key (ID or key ARN).
        key_id: KeyOnly = "KeyId",
        /// Grants per page, 1 to 100 [default: 50].
        limit: Option<Int<1, 100>> = "Limit",
        /// The `NextMarker` of the previous page.
        marker: Option<Str<1, 1024>> = "Marker",
        /// Only this grant.
        grant_id: Option<Str<1, 128>> = "GrantId",
        /// Only grants to this principal.
        grantee_principal: Option<Str<1, 256>> = "GranteePrincipal",
    }
}

/// ListGrants (every key state).
///
/// # Errors
/// The exception to render.
pub fn list_grants(
    req: ListGrantsRequest,
    kms: &Kms,
    scope: &Scope,
) -> Result<ListGrantsResponse, AwsError> {
    let (offset, limit) = page(req.marker.as_ref(), req.limit.map(|l| l.0), 50)?;
    let id = req.grant_id.as_ref().map(grant_id).transpose()?;
    let key = kms
        .describe_key(&req.key_id.key_ref(scope)?)
        .map_err(fail(&req.key_id, scope))?;
    let grantee = req.grantee_principal.as_ref().map(|p| p.0.as_str());
    let all = key
        .grants
        .into_iter()
        .filter(|g| id.as_ref().is_none_or(|id| g.id == *id))
        .filter(|g| grantee.is_none_or(|p| g.grantee == p))
        .map(|g| (key.key_id.clone(), g))
        .collect();
    Ok(page_of(all, offset, limit, scope))
}

members! {
    /// ListRetirableGrants' members.
    pub struct ListRetirableGrantsRequest {
        /// Grants per page, 1 to 100 [default: 50].
        limit: Option<Int<1, 100>> = "Limit",
        /// The `NextMarker` of the previous page.
        marker: Option<Str<1, 1024>> = "Marker",
        /// The retiring principal whose grants to list.
        retiring_principal: Str<1, 256> = "RetiringPrincipal",
    }
}

/// ListRetirableGrants: the grants of every key that name this retiring principal.
///
/// # Errors
/// The exception to render.
pub fn list_retirable_grants(
    req: ListRetirableGrantsRequest,
    kms: &Kms,
    scope: &Scope,
) -> Result<ListGrantsResponse, AwsError> {
    let (offset, limit) = page(req.marker.as_ref(), req.limit.map(|l| l.0), 50)?;
    let principal = principal("RetiringPrincipal", &req.retiring_principal)?;
    let all = kms
        .retirable_grants(&principal)
        .map_err(|e| AwsError::from_service(e, ""))?;
    Ok(page_of(all, offset, limit, scope))
}

members! {
    /// RetireGrant's members: the grant token, or the key and the grant ID.
    pub struct RetireGrantRequest {
        /// The token CreateGrant returned.
        grant_token: Option<Str<1, 8192>> = "GrantToken",
        /// The key (its ARN, or ID), with GrantId.
        key_id: Option<KeyOnly> = "KeyId",
        /// The grant ID, with KeyId.
        grant_id: Option<Str<1, 128>> = "GrantId",
        /// Check and change nothing.
        dry_run: Bool = "DryRun",
    }
}

/// RetireGrant (every key state).
///
/// # Errors
/// The exception to render.
pub fn retire_grant(req: RetireGrantRequest, kms: &Kms, scope: &Scope) -> Result<Empty, AwsError> {
    let grant = match (&req.grant_token, &req.key_id, &req.grant_id) {
        (Some(token), _, _) => GrantRef::Token(token.0.clone()),
        (None, Some(key), Some(id)) => GrantRef::Id(key.key_ref(scope)?, grant_id(id)?),
        _ => {
            return Err(AwsError::new(
                Exception::Validation,
                "Either GrantToken, or KeyId and GrantId, must be specified.",
            ));
        }
    };
    let failed = |e: Error| match &req.key_id {
        Some(key) => fail(key, scope)(e),
        None => AwsError::from_service(e, ""),
    };
    kms.retire_grant(&grant, req.dry_run.0).map_err(failed)?;
    if req.dry_run.0 {
        return Err(dry_run_error());
    }
    Ok(Empty {})
}

members! {
    /// RevokeGrant's members.
    pub struct RevokeGrantRequest {
        /// The key (ID or key ARN).
        key_id: KeyOnly = "KeyId",
        /// The grant ID.
        grant_id: Str<1, 128> = "GrantId",
        /// Check and change nothing.
        dry_run: Bool = "DryRun",
    }
}

/// RevokeGrant (every key state).
///
/// # Errors
/// The exception to render.
pub fn revoke_grant(req: RevokeGrantRequest, kms: &Kms, scope: &Scope) -> Result<Empty, AwsError> {
    let id = grant_id(&req.grant_id)?;
    kms.revoke_grant(&req.key_id.key_ref(scope)?, &id, req.dry_run.0)
        .map_err(fail(&req.key_id, scope))?;
    if req.dry_run.0 {
        return Err(dry_run_error());
    }
    Ok(Empty {})
}

crate::protocol::family!($ grants_actions {
    CreateGrant(grants::CreateGrantRequest => grants::CreateGrantResponse) = grants::create_grant,
        blocking, [], "Creates a grant on a key (stored and listed; not enforced yet).";
    ListGrants(grants::ListGrantsRequest => grants::ListGrantsResponse) = grants::list_grants,
        blocking, [], "Lists the grants of a key, a page at a time.";
    ListRetirableGrants(grants::ListRetirableGrantsRequest => grants::ListGrantsResponse) = grants::list_retirable_grants,
        blocking, [], "Lists the grants, on any key, that a principal may retire.";
    RetireGrant(grants::RetireGrantRequest => keys::Empty) = grants::retire_grant,
        blocking, [], "Retires a grant, by its token or by key and grant ID.";
    RevokeGrant(grants::RevokeGrantRequest => keys::Empty) = grants::revoke_grant,
        blocking, [], "Revokes a grant of a key.";
});
