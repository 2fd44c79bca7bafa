//! Aliases: CreateAlias, UpdateAlias, DeleteAlias, ListAliases.

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::Serialize;
use serde_json::Value;

use super::RULES;
use super::error::{AwsError, Exception};
use super::keys::{Empty, More, fail, page};
use super::members::{Int, Read, Str, members, required};
use super::wire::{KeyOnly, Scope};
use crate::service::{Error, Kms};

/// `AliasName`: `alias/` and then `[a-zA-Z0-9/_-]`, 1 to 256 characters in all;
/// `alias/aws/` is reserved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AliasName(pub String);

impl Read for AliasName {
    fn read(value: &Value, name: &'static str) -> Result<Self, AwsError> {
        let Str(alias) = Str::<1, 256>::read(value, name)?;
        let Some(rest) = alias.strip_prefix("alias/") else {
            return Err(AwsError::new(
                Exception::InvalidAliasName,
                "Alias must start with the prefix \"alias/\".",
            ));
        };
        if rest.is_empty()
            || !rest
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '_' | '-'))
        {
            return Err(AwsError::new(
                Exception::InvalidAliasName,
                format!("Alias name {alias} is not valid."),
            ));
        }
        if alias.starts_with("alias/aws/") {
            return Err(AwsError::new(
                Exception::NotAuthorized,
                "The alias/aws/ prefix is reserved for AWS managed keys.",
            ));
        }
        Ok(Self(alias))
    }
}
required!(AliasName);

impl JsonSchema for AliasName {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        "AliasName".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "minLength": 7,
            "maxLength": 256,
            "pattern": "^alias/[a-zA-Z0-9/_-]+$",
            "description": "alias/<name>; alias/aws/ is reserved.",
        })
    }
}

members! {
    /// CreateAlias's and UpdateAlias's members.
    pub struct AliasRequest {
        /// The alias.
        alias_name: AliasName = "AliasName",
        /// The key it points at.
        target_key_id: KeyOnly = "TargetKeyId",
    }
}

/// CreateAlias: at most 50 aliases per key.
///
/// # Errors
/// The exception to render.
pub fn create_alias(req: AliasRequest, kms: &Kms, scope: &Scope) -> Result<Empty, AwsError> {
    let key = req.target_key_id.key_ref(scope)?;
    let on_key = fail(&req.target_key_id, scope);
    kms.create_alias(&req.alias_name.0, &key, &RULES)
        .map_err(|e| match e {
            Error::AliasAlreadyExists => {
                AwsError::from_service(e, &scope.alias_arn(&req.alias_name.0))
            }
            other => on_key(other),
        })?;
    Ok(Empty {})
}

/// UpdateAlias.
///
/// # Errors
/// The exception to render.
pub fn update_alias(req: AliasRequest, kms: &Kms, scope: &Scope) -> Result<Empty, AwsError> {
    let key = req.target_key_id.key_ref(scope)?;
    let on_key = fail(&req.target_key_id, scope);
    kms.update_alias(&req.alias_name.0, &key)
        .map_err(|e| match e {
            Error::AliasNotFound => AwsError::from_service(e, &scope.alias_arn(&req.alias_name.0)),
            other => on_key(other),
        })?;
    Ok(Empty {})
}

members! {
    /// DeleteAlias's members.
    pub struct DeleteAliasRequest {
        /// The alias.
        alias_name: AliasName = "AliasName",
    }
}

/// DeleteAlias.
///
/// # Errors
/// The exception to render.
pub fn delete_alias(req: DeleteAliasRequest, kms: &Kms, scope: &Scope) -> Result<Empty, AwsError> {
    kms.delete_alias(&req.alias_name.0)
        .map_err(|e| AwsError::from_service(e, &scope.alias_arn(&req.alias_name.0)))?;
    Ok(Empty {})
}

members! {
    /// ListAliases' members.
    pub struct ListAliasesRequest {
        /// Aliases per page [default: 50].
        limit: Option<Int<1, 100>> = "Limit",
        /// The `NextMarker` of the previous page.
        marker: Option<Str<1, 1024>> = "Marker",
        /// Only the aliases of this key.
        key_id: Option<KeyOnly> = "KeyId",
    }
}

/// One listed alias.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct AliasListEntry {
    /// `alias/<name>`.
    #[serde(rename = "AliasName")]
    pub alias_name: String,
    /// Its ARN.
    #[serde(rename = "AliasArn")]
    pub alias_arn: String,
    /// The key it points at.
    #[serde(rename = "TargetKeyId")]
    pub target_key_id: String,
    /// When it was made, epoch seconds.
    #[serde(rename = "CreationDate")]
    pub creation_date: i64,
    /// When it was last changed, epoch seconds.
    #[serde(rename = "LastUpdatedDate")]
    pub last_updated_date: i64,
}

/// ListAliases' answer.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ListAliasesResponse {
    /// The page.
    #[serde(rename = "Aliases")]
    pub aliases: Vec<AliasListEntry>,
    /// Whether more follow.
    #[serde(flatten)]
    pub more: More,
}

/// ListAliases.
///
/// # Errors
/// The exception to render.
pub fn list_aliases(
    req: ListAliasesRequest,
    kms: &Kms,
    scope: &Scope,
) -> Result<ListAliasesResponse, AwsError> {
    let (offset, limit) = page(req.marker.as_ref(), req.limit.map(|l| l.0), 50)?;
    let key = req.key_id.as_ref().map(|k| k.key_ref(scope)).transpose()?;
    let page = kms
        .list_aliases(key.as_ref(), offset, limit)
        .map_err(|e| match &req.key_id {
            Some(k) => fail(k, scope)(e),
            None => AwsError::from_service(e, ""),
        })?;
    let aliases: Vec<AliasListEntry> = page
        .items
        .iter()
        .map(|a| AliasListEntry {
            alias_name: a.name.clone(),
            alias_arn: scope.alias_arn(&a.name),
            target_key_id: a.key_id.clone(),
            creation_date: a.created,
            last_updated_date: a.created,
        })
        .collect();
    let more = More::after(offset, aliases.len(), page.total);
    Ok(ListAliasesResponse { aliases, more })
}

crate::protocol::family!($ aliases_actions {
    CreateAlias(aliases::AliasRequest => keys::Empty) = aliases::create_alias,
        blocking, [], "Creates an alias for a key (at most 50 per key).";
    DeleteAlias(aliases::DeleteAliasRequest => keys::Empty) = aliases::delete_alias,
        blocking, [], "Deletes an alias.";
    UpdateAlias(aliases::AliasRequest => keys::Empty) = aliases::update_alias,
        blocking, [], "Points an alias at another key.";
    ListAliases(aliases::ListAliasesRequest => aliases::ListAliasesResponse) = aliases::list_aliases,
        blocking, [], "Lists aliases, or those of one key, a page at a time.";
});
