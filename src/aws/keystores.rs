//! Custom key stores: CreateCustomKeyStore, ConnectCustomKeyStore, DescribeCustomKeyStores,
//! UpdateCustomKeyStore, DisconnectCustomKeyStore, DeleteCustomKeyStore. qkms has no
//! CloudHSM clusters or external key managers, so it answers as an account with no custom
//! key store: none is listed, any ID or name names nothing (`CustomKeyStoreNotFound`), and
//! creating one is unsupported. SDKs that probe for key stores thus see an empty account,
//! never an unknown operation.

use schemars::JsonSchema;
use serde::Serialize;

use super::error::{AwsError, Exception};
use super::keys::{Empty, More, page};
use super::members::{Int, Str, members};
use super::wire::Scope;
use crate::service::Kms;

fn not_found(what: &str) -> AwsError {
    AwsError::new(
        Exception::CustomKeyStoreNotFound,
        format!("Custom key store {what} does not exist."),
    )
}

members! {
    /// CreateCustomKeyStore's members (only the name is read: any request is refused).
    pub struct CreateCustomKeyStoreRequest {
        /// The key store's name.
        custom_key_store_name: Str<1, 256> = "CustomKeyStoreName",
    }
}

/// CreateCustomKeyStore's answer (never sent).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct CreateCustomKeyStoreResponse {
    /// The new key store's ID.
    #[serde(rename = "CustomKeyStoreId")]
    pub custom_key_store_id: String,
}

/// CreateCustomKeyStore: `UnsupportedOperationException`.
///
/// # Errors
/// Always.
pub fn create_custom_key_store(
    req: CreateCustomKeyStoreRequest,
    _: &Kms,
    _: &Scope,
) -> Result<CreateCustomKeyStoreResponse, AwsError> {
    Err(AwsError::new(
        Exception::UnsupportedOperation,
        format!(
            "Custom key stores are not supported by qkms; {:?} cannot be created.",
            req.custom_key_store_name.0
        ),
    ))
}

members! {
    /// A request that names one custom key store by ID.
    pub struct KeyStoreRequest {
        /// The key store's ID.
        custom_key_store_id: Str<1, 64> = "CustomKeyStoreId",
    }
}

/// ConnectCustomKeyStore, UpdateCustomKeyStore, DisconnectCustomKeyStore and
/// DeleteCustomKeyStore: no key store exists, so `CustomKeyStoreNotFoundException`.
///
/// # Errors
/// Always.
pub fn no_such_key_store(req: KeyStoreRequest, _: &Kms, _: &Scope) -> Result<Empty, AwsError> {
    Err(not_found(&req.custom_key_store_id.0))
}

members! {
    /// DescribeCustomKeyStores' members.
    pub struct DescribeCustomKeyStoresRequest {
        /// Only this key store.
        custom_key_store_id: Option<Str<1, 64>> = "CustomKeyStoreId",
        /// Only the key store of this name.
        custom_key_store_name: Option<Str<1, 256>> = "CustomKeyStoreName",
        /// Key stores per page.
        limit: Option<Int<1, 1000>> = "Limit",
        /// The `NextMarker` of the previous page.
        marker: Option<Str<1, 1024>> = "Marker",
    }
}

/// A custom key store (none exist in qkms).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct CustomKeyStore {
    /// Its ID.
    #[serde(rename = "CustomKeyStoreId")]
    pub custom_key_store_id: String,
}

/// DescribeCustomKeyStores' answer.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct DescribeCustomKeyStoresResponse {
    /// Always empty.
    #[serde(rename = "CustomKeyStores")]
    pub custom_key_stores: Vec<CustomKeyStore>,
    /// Whether more follow (never).
    #[serde(flatten)]
    pub more: More,
}

/// DescribeCustomKeyStores: an empty list, or `CustomKeyStoreNotFoundException` for an ID
/// or name (both given is a `ValidationException`, as on AWS).
///
/// # Errors
/// The exception to render.
pub fn describe_custom_key_stores(
    req: DescribeCustomKeyStoresRequest,
    _: &Kms,
    _: &Scope,
) -> Result<DescribeCustomKeyStoresResponse, AwsError> {
    page(req.marker.as_ref(), req.limit.map(|l| l.0), 100)?;
    match (&req.custom_key_store_id, &req.custom_key_store_name) {
        (Some(_), Some(_)) => Err(AwsError::new(
            Exception::Validation,
            "Specify either CustomKeyStoreId or CustomKeyStoreName, not both.",
        )),
        (Some(id), None) => Err(not_found(&id.0)),
        (None, Some(name)) => Err(not_found(&name.0)),
        (None, None) => Ok(DescribeCustomKeyStoresResponse {
            custom_key_stores: Vec::new(),
            more: More::after(0, 0, 0),
        }),
    }
}

crate::protocol::family!($ keystores_actions {
    CreateCustomKeyStore(keystores::CreateCustomKeyStoreRequest => keystores::CreateCustomKeyStoreResponse) = keystores::create_custom_key_store,
        blocking, [], "Refused: qkms has no custom key stores (UnsupportedOperationException).";
    ConnectCustomKeyStore(keystores::KeyStoreRequest => keys::Empty) = keystores::no_such_key_store,
        blocking, [], "No custom key store exists: CustomKeyStoreNotFoundException.";
    DescribeCustomKeyStores(keystores::DescribeCustomKeyStoresRequest => keystores::DescribeCustomKeyStoresResponse) = keystores::describe_custom_key_stores,
        blocking, [], "Lists custom key stores: always none.";
    UpdateCustomKeyStore(keystores::KeyStoreRequest => keys::Empty) = keystores::no_such_key_store,
        blocking, [], "No custom key store exists: CustomKeyStoreNotFoundException.";
    DisconnectCustomKeyStore(keystores::KeyStoreRequest => keys::Empty) = keystores::no_such_key_store,
        blocking, [], "No custom key store exists: CustomKeyStoreNotFoundException.";
    DeleteCustomKeyStore(keystores::KeyStoreRequest => keys::Empty) = keystores::no_such_key_store,
        blocking, [], "No custom key store exists: CustomKeyStoreNotFoundException.";
});
