//! The account and its regions: DescribeRegions, DescribeAccountKmsStatus, OpenKmsService.
//! A local qkms is always open for its one account.

use schemars::JsonSchema;
use serde::Serialize;

use super::error::AliyunError;
use super::fields::params;
use super::keys;
use crate::service::Kms;

params! {
    /// DescribeRegions takes no parameters.
    pub struct DescribeRegionsRequest {}
}

/// One region.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct Region {
    /// Its ID.
    pub region_id: String,
}

/// The wrapped list (`{"Region": [...]}`).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Regions {
    /// The regions.
    #[serde(rename = "Region")]
    pub region: Vec<Region>,
}

/// DescribeRegions' answer.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeRegionsResponse {
    /// The regions this endpoint serves: its own.
    pub regions: Regions,
}

/// DescribeRegions.
///
/// # Errors
/// None in practice.
pub fn describe_regions(
    _req: DescribeRegionsRequest,
    kms: &Kms,
) -> Result<DescribeRegionsResponse, AliyunError> {
    Ok(DescribeRegionsResponse {
        regions: Regions {
            region: vec![Region {
                region_id: kms.settings().region.clone(),
            }],
        },
    })
}

params! {
    /// DescribeAccountKmsStatus and OpenKmsService take no parameters.
    pub struct AccountRequest {}
}

/// DescribeAccountKmsStatus' answer.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct AccountStatusResponse {
    /// `Enabled`: the service is open.
    #[schemars(extend("enum" = ["Enabled"]))]
    pub account_status: &'static str,
}

/// DescribeAccountKmsStatus.
///
/// # Errors
/// None.
pub fn describe_account_kms_status(
    _req: AccountRequest,
    _kms: &Kms,
) -> Result<AccountStatusResponse, AliyunError> {
    Ok(AccountStatusResponse {
        account_status: "Enabled",
    })
}

/// OpenKmsService: the service is open already; calling it again changes nothing.
///
/// # Errors
/// None.
pub fn open_kms_service(_req: AccountRequest, _kms: &Kms) -> Result<keys::Empty, AliyunError> {
    Ok(keys::Empty {})
}

crate::protocol::family!($ regions_actions {
    DescribeRegions(regions::DescribeRegionsRequest => regions::DescribeRegionsResponse) = regions::describe_regions,
        blocking, [], "Lists the regions this endpoint serves.";
    DescribeAccountKmsStatus(regions::AccountRequest => regions::AccountStatusResponse) = regions::describe_account_kms_status,
        blocking, [], "Tells whether the account's KMS is open: always Enabled.";
    OpenKmsService(regions::AccountRequest => keys::Empty) = regions::open_kms_service,
        blocking, [], "Opens the KMS for the account: it is open already, so nothing changes.";
});
