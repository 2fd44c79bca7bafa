//! DescribeRegions.

use schemars::JsonSchema;
use serde::Serialize;

use super::error::AliyunError;
use super::fields::params;
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

crate::protocol::family!($ regions_actions {
    DescribeRegions(regions::DescribeRegionsRequest => regions::DescribeRegionsResponse) = regions::describe_regions,
        blocking, [], "Lists the regions this endpoint serves.";
});
