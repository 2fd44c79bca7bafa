//! Aliases: CreateAlias, UpdateAlias, DeleteAlias, ListAliases, ListAliasesByKeyId.

use schemars::JsonSchema;
use serde::Serialize;

use super::RULES;
use super::error::AliyunError;
use super::fields::{PageNumber, Ranged, params};
use super::keys::{Empty, offset, paging};
use super::wire;
use crate::model::KeyRef;
use crate::service::Kms;

params! {
    /// CreateAlias and UpdateAlias: a name and the key it points at.
    pub struct AliasRequest {
        /// `alias/` and 1 to 255 of `[A-Za-z0-9:/_-]`; `alias/acs` is reserved.
        alias_name: String = "AliasName",
        /// The key: an ID, an ARN or another alias.
        key_id: String = "KeyId",
    }
}

/// CreateAlias.
///
/// # Errors
/// The Aliyun error to render.
pub fn create_alias(req: AliasRequest, kms: &Kms) -> Result<Empty, AliyunError> {
    if req.alias_name.starts_with("alias/acs") {
        return Err(AliyunError::invalid_because(
            "AliasName",
            "The prefix alias/acs is reserved.",
        ));
    }
    let key = wire::key_ref(&req.key_id, kms.scope())?;
    kms.create_alias(&req.alias_name, &key, &RULES)?;
    Ok(Empty {})
}

/// UpdateAlias.
///
/// # Errors
/// The Aliyun error to render.
pub fn update_alias(req: AliasRequest, kms: &Kms) -> Result<Empty, AliyunError> {
    let key = wire::key_ref(&req.key_id, kms.scope())?;
    kms.update_alias(&req.alias_name, &key)?;
    Ok(Empty {})
}

params! {
    /// DeleteAlias' parameters.
    pub struct DeleteAliasRequest {
        /// The alias.
        alias_name: String = "AliasName",
    }
}

/// DeleteAlias.
///
/// # Errors
/// The Aliyun error to render.
pub fn delete_alias(req: DeleteAliasRequest, kms: &Kms) -> Result<Empty, AliyunError> {
    kms.delete_alias(&req.alias_name)?;
    Ok(Empty {})
}

params! {
    /// ListAliases' parameters.
    pub struct ListAliasesRequest {
        /// The page, from 1 [default: 1].
        page_number: Option<PageNumber> = "PageNumber",
        /// Aliases per page [default: 10].
        page_size: Option<Ranged<1, 100>> = "PageSize",
    }
}

params! {
    /// ListAliasesByKeyId's parameters.
    pub struct ListAliasesByKeyIdRequest {
        /// The key.
        key_id: String = "KeyId",
        /// The page, from 1 [default: 1].
        page_number: Option<PageNumber> = "PageNumber",
        /// Aliases per page [default: 10].
        page_size: Option<Ranged<1, 100>> = "PageSize",
    }
}

/// One alias.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct ListedAlias {
    /// `alias/...`.
    pub alias_name: String,
    /// Its ARN.
    pub alias_arn: String,
    /// The key it points at.
    pub key_id: String,
}

/// The wrapped list (`{"Alias": [...]}`).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Aliases {
    /// The aliases of the page.
    #[serde(rename = "Alias")]
    pub alias: Vec<ListedAlias>,
}

/// ListAliases' and ListAliasesByKeyId's answer.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct ListAliasesResponse {
    /// The page.
    pub aliases: Aliases,
    /// Aliases in all pages.
    pub total_count: usize,
    /// This page's number.
    pub page_number: usize,
    /// The page size.
    pub page_size: usize,
}

fn list(
    kms: &Kms,
    key: Option<&KeyRef>,
    number: Option<PageNumber>,
    size: Option<Ranged<1, 100>>,
) -> Result<ListAliasesResponse, AliyunError> {
    let (number, size) = paging(number, size);
    let page = kms.list_aliases(key, offset(number, size), size)?;
    let alias = page
        .items
        .into_iter()
        .map(|a| ListedAlias {
            alias_arn: wire::alias_arn(kms.scope(), &a.name),
            alias_name: a.name,
            key_id: a.key_id,
        })
        .collect();
    Ok(ListAliasesResponse {
        aliases: Aliases { alias },
        total_count: page.total,
        page_number: number,
        page_size: size,
    })
}

/// ListAliases.
///
/// # Errors
/// The Aliyun error to render.
pub fn list_aliases(
    req: ListAliasesRequest,
    kms: &Kms,
) -> Result<ListAliasesResponse, AliyunError> {
    list(kms, None, req.page_number, req.page_size)
}

/// ListAliasesByKeyId.
///
/// # Errors
/// The Aliyun error to render.
pub fn list_aliases_by_key_id(
    req: ListAliasesByKeyIdRequest,
    kms: &Kms,
) -> Result<ListAliasesResponse, AliyunError> {
    let key = wire::key_ref(&req.key_id, kms.scope())?;
    list(kms, Some(&key), req.page_number, req.page_size)
}

crate::protocol::family!($ aliases_actions {
    CreateAlias(aliases::AliasRequest => keys::Empty) = aliases::create_alias,
        blocking, [], "Creates an alias for a key.";
    UpdateAlias(aliases::AliasRequest => keys::Empty) = aliases::update_alias,
        blocking, [], "Points an alias at another key.";
    DeleteAlias(aliases::DeleteAliasRequest => keys::Empty) = aliases::delete_alias,
        blocking, [], "Deletes an alias.";
    ListAliases(aliases::ListAliasesRequest => aliases::ListAliasesResponse) = aliases::list_aliases,
        blocking, [], "Lists aliases, a page at a time.";
    ListAliasesByKeyId(aliases::ListAliasesByKeyIdRequest => aliases::ListAliasesResponse) = aliases::list_aliases_by_key_id,
        blocking, [], "Lists the aliases of one key.";
});
