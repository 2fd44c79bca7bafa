//! The actions qkms serves: one closed enum, parsed once, and one exhaustive `match` that
//! turns wire parameters into domain calls and domain results into wire fields.

use std::collections::BTreeMap;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD as B64};
use serde_json::{Map, Value, json};

use super::error::{AliyunError, ErrorCode};
use super::params::Params;
use crate::clock::iso8601;
use crate::crypto::wrap::{WrappingAlgorithm, WrappingKeySpec};
use crate::service::model::{EncryptionContext, KeySpec, KeyUsage, Origin, ProtectionLevel};
use crate::service::{CreateKeyInput, KeyView, Kms};

/// Base64 decoding that accepts input with or without padding (SDKs differ).
const B64_LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

macro_rules! actions {
    ($($variant:ident),+ $(,)?) => {
        /// An action of the KMS API that qkms implements.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Action {
            $(
                #[doc = concat!("`", stringify!($variant), "`")]
                $variant
            ),+
        }

        impl Action {
            /// Every action.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The wire name.
            #[must_use]
            pub const fn as_str(self) -> &'static str {
                match self { $(Self::$variant => stringify!($variant)),+ }
            }
        }

        impl FromStr for Action {
            type Err = AliyunError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $(stringify!($variant) => Ok(Self::$variant),)+
                    _ => Err(AliyunError::new(
                        ErrorCode::InvalidActionNotFound,
                        format!("Specified api {s:?} is not found, please check your url and method."),
                    )),
                }
            }
        }
    };
}

actions!(
    CreateKey,
    DescribeKey,
    ListKeys,
    EnableKey,
    DisableKey,
    ScheduleKeyDeletion,
    CancelKeyDeletion,
    UpdateKeyDescription,
    GetParametersForImport,
    ImportKeyMaterial,
    DeleteKeyMaterial,
    Encrypt,
    Decrypt,
    GenerateDataKey,
    GenerateDataKeyWithoutPlaintext,
    CreateAlias,
    UpdateAlias,
    DeleteAlias,
    ListAliases,
    ListAliasesByKeyId,
    TagResource,
    UntagResource,
    ListResourceTags,
    DescribeRegions,
);

type Fields = Map<String, Value>;
type Outcome = Result<Fields, AliyunError>;

fn required<'a>(p: &'a Params, name: &str) -> Result<&'a str, AliyunError> {
    match p.get(name) {
        Some(v) if !v.is_empty() => Ok(v),
        _ => Err(AliyunError::missing(name)),
    }
}

fn optional<'a>(p: &'a Params, name: &str) -> Option<&'a str> {
    p.get(name).filter(|v| !v.is_empty())
}

fn base64_param(p: &Params, name: &str) -> Result<Vec<u8>, AliyunError> {
    let raw = required(p, name)?;
    B64_LENIENT
        .decode(raw.trim())
        .map_err(|_| AliyunError::invalid_because(name, "It is not valid base64."))
}

fn int_param(p: &Params, name: &str) -> Result<Option<i64>, AliyunError> {
    optional(p, name)
        .map(|v| {
            v.trim()
                .parse::<i64>()
                .map_err(|_| AliyunError::invalid_because(name, "It must be an integer."))
        })
        .transpose()
}

fn bool_param(p: &Params, name: &str) -> Result<bool, AliyunError> {
    match optional(p, name) {
        None => Ok(false),
        Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
        Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
        Some(_) => Err(AliyunError::invalid_because(
            name,
            "It must be true or false.",
        )),
    }
}

fn enum_param<T>(
    p: &Params,
    name: &str,
    parse: impl Fn(&str) -> Option<T>,
    default: T,
) -> Result<T, AliyunError> {
    match optional(p, name) {
        None => Ok(default),
        Some(v) => parse(v).ok_or_else(|| AliyunError::invalid(name)),
    }
}

/// Where page `number` (from 1) of `size` items starts.
fn offset(number: usize, size: usize) -> usize {
    number.saturating_sub(1).saturating_mul(size)
}

/// Paging: `PageNumber` ≥ 1 (default 1), `PageSize` 1–100 (default 10).
fn paging(p: &Params) -> Result<(usize, usize), AliyunError> {
    let number = int_param(p, "PageNumber")?.unwrap_or(1);
    let size = int_param(p, "PageSize")?.unwrap_or(10);
    let number = usize::try_from(number)
        .ok()
        .filter(|n| *n >= 1)
        .ok_or_else(|| AliyunError::invalid_because("PageNumber", "It must be at least 1."))?;
    let size = usize::try_from(size)
        .ok()
        .filter(|n| (1..=100).contains(n))
        .ok_or_else(|| AliyunError::invalid_because("PageSize", "It must be 1 to 100."))?;
    Ok((number, size))
}

/// The encryption context: a JSON object string (`{"k":"v"}`), or the Node SDK's dotted
/// keys (`EncryptionContext.k=v`). Non-string scalar values are taken as their JSON text.
pub fn encryption_context(p: &Params, name: &str) -> Result<EncryptionContext, AliyunError> {
    let bad = || AliyunError::invalid_because(name, "It must be a JSON object of string values.");
    let mut ctx = EncryptionContext::new();
    if let Some(raw) = optional(p, name) {
        let Value::Object(map) = crate::json::parse(raw.as_bytes()).map_err(|_| bad())? else {
            return Err(bad());
        };
        for (k, v) in map {
            let v = match v {
                Value::String(s) => s,
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                _ => return Err(bad()),
            };
            ctx.insert(k, v);
        }
    }
    let prefix = format!("{name}.");
    for (k, v) in p.with_prefix(&prefix) {
        ctx.insert(k.to_owned(), v.to_owned());
    }
    Ok(ctx)
}

/// `Tags`: `[{"TagKey":"k","TagValue":"v"}]`, at most 20, keys not starting with
/// `aliyun` or `acs:`.
fn tags_param(p: &Params, name: &str) -> Result<BTreeMap<String, String>, AliyunError> {
    let mut tags = BTreeMap::new();
    let Some(raw) = optional(p, name) else {
        return Ok(tags);
    };
    let bad = || {
        AliyunError::invalid_because(
            name,
            r#"It must be a JSON array like [{"TagKey":"k","TagValue":"v"}]."#,
        )
    };
    let Value::Array(items) = crate::json::parse(raw.as_bytes()).map_err(|_| bad())? else {
        return Err(bad());
    };
    for item in items {
        let key = item.get("TagKey").and_then(Value::as_str).ok_or_else(bad)?;
        let value = item
            .get("TagValue")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if key.is_empty()
            || key.len() > 128
            || value.len() > 256
            || key.starts_with("aliyun")
            || key.starts_with("acs:")
        {
            return Err(bad());
        }
        tags.insert(key.to_owned(), value.to_owned());
    }
    if tags.len() > 20 {
        return Err(AliyunError::invalid_because(name, "At most 20 tags."));
    }
    Ok(tags)
}

fn fields(v: Value) -> Fields {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

fn or_empty(t: Option<i64>) -> String {
    t.map(iso8601).unwrap_or_default()
}

/// `KeyMetadata` as DescribeKey returns it (CreateKey omits the deletion-protection fields).
fn key_metadata(view: &KeyView, describe: bool) -> Value {
    let k = &view.key;
    let mut m = fields(json!({
        "CreationDate": iso8601(k.created),
        "Description": k.description,
        "KeyId": k.key_id,
        "KeyState": k.state.as_str(),
        "KeyUsage": k.usage.as_str(),
        "KeySpec": k.spec.as_str(),
        "Origin": k.origin.as_str(),
        "ProtectionLevel": k.protection_level.as_str(),
        "Creator": k.creator,
        "Arn": view.arn,
        "DeleteDate": or_empty(k.delete_date),
        "MaterialExpireTime": or_empty(k.material_expire),
        "AutomaticRotation": "Disabled",
        "RotationInterval": "",
        "LastRotationDate": k.primary().map(|v| iso8601(v.created)).unwrap_or_default(),
        "NextRotationDate": "",
        "PrimaryKeyVersion": k.primary_version,
        "DKMSInstanceId": "",
    }));
    if describe {
        m.insert("DeletionProtection".into(), "Disabled".into());
        m.insert("DeletionProtectionDescription".into(), "".into());
    }
    Value::Object(m)
}

/// Runs `action` against the service. Blocking: call it off the async executor.
///
/// # Errors
/// The Aliyun error to render.
pub fn call(action: Action, p: &Params, kms: &Kms) -> Outcome {
    match action {
        Action::CreateKey => create_key(p, kms),
        Action::DescribeKey => {
            let view = kms.describe_key(required(p, "KeyId")?)?;
            Ok(fields(json!({ "KeyMetadata": key_metadata(&view, true) })))
        }
        Action::ListKeys => list_keys(p, kms),
        Action::EnableKey => kms
            .enable_key(required(p, "KeyId")?)
            .map(|_| Map::new())
            .map_err(Into::into),
        Action::DisableKey => kms
            .disable_key(required(p, "KeyId")?)
            .map(|_| Map::new())
            .map_err(Into::into),
        Action::ScheduleKeyDeletion => {
            let key = required(p, "KeyId")?;
            let days = int_param(p, "PendingWindowInDays")?
                .ok_or_else(|| AliyunError::missing("PendingWindowInDays"))?;
            if !(7..=366).contains(&days) {
                return Err(AliyunError::invalid_because(
                    "PendingWindowInDays",
                    "It must be 7 to 366.",
                ));
            }
            kms.schedule_key_deletion(key, days)?;
            Ok(Map::new())
        }
        Action::CancelKeyDeletion => kms
            .cancel_key_deletion(required(p, "KeyId")?, false)
            .map(|_| Map::new())
            .map_err(Into::into),
        Action::UpdateKeyDescription => {
            let key = required(p, "KeyId")?;
            let description = p
                .get("Description")
                .ok_or_else(|| AliyunError::missing("Description"))?;
            kms.update_key_description(key, description)?;
            Ok(Map::new())
        }
        Action::GetParametersForImport => get_parameters_for_import(p, kms),
        Action::ImportKeyMaterial => import_key_material(p, kms),
        Action::DeleteKeyMaterial => kms
            .delete_key_material(required(p, "KeyId")?)
            .map(|_| Map::new())
            .map_err(Into::into),
        Action::Encrypt => encrypt(p, kms),
        Action::Decrypt => decrypt(p, kms),
        Action::GenerateDataKey => generate_data_key(p, kms, true),
        Action::GenerateDataKeyWithoutPlaintext => generate_data_key(p, kms, false),
        Action::CreateAlias => {
            let alias = required(p, "AliasName")?;
            if alias.starts_with("alias/acs") {
                return Err(AliyunError::invalid_because(
                    "AliasName",
                    "The prefix alias/acs is reserved.",
                ));
            }
            let key = required(p, "KeyId")?;
            kms.create_alias(alias, key)?;
            Ok(Map::new())
        }
        Action::UpdateAlias => {
            kms.update_alias(required(p, "AliasName")?, required(p, "KeyId")?)?;
            Ok(Map::new())
        }
        Action::DeleteAlias => {
            kms.delete_alias(required(p, "AliasName")?)?;
            Ok(Map::new())
        }
        Action::ListAliases => list_aliases(p, kms, None),
        Action::ListAliasesByKeyId => {
            let key = required(p, "KeyId")?;
            list_aliases(p, kms, Some(key))
        }
        Action::TagResource => {
            let key = required(p, "KeyId")?;
            let tags = tags_param(p, "Tags")?;
            if tags.is_empty() {
                return Err(AliyunError::missing("Tags"));
            }
            kms.tag_key(key, &tags, 20)?;
            Ok(Map::new())
        }
        Action::UntagResource => {
            let key = required(p, "KeyId")?;
            let raw = required(p, "TagKeys")?;
            let names: Vec<String> = crate::json::parse(raw.as_bytes())
                .and_then(serde_json::from_value)
                .map_err(|_| {
                    AliyunError::invalid_because(
                        "TagKeys",
                        r#"It must be a JSON array like ["k1","k2"]."#,
                    )
                })?;
            kms.untag_key(key, &names)?;
            Ok(Map::new())
        }
        Action::ListResourceTags => {
            let view = kms.describe_key(required(p, "KeyId")?)?;
            let tags: Vec<Value> = view
                .key
                .tags
                .iter()
                .map(|(k, v)| json!({"KeyId": view.key.key_id, "TagKey": k, "TagValue": v}))
                .collect();
            Ok(fields(json!({ "Tags": { "Tag": tags } })))
        }
        Action::DescribeRegions => Ok(fields(json!({
            "Regions": { "Region": [ { "RegionId": kms.settings().region } ] }
        }))),
    }
}

fn create_key(p: &Params, kms: &Kms) -> Outcome {
    // qkms is the shared KMS: it has no KMS instances, so any instance ID names nothing.
    if let Some(instance) = optional(p, "DKMSInstanceId") {
        return Err(AliyunError::new(
            ErrorCode::ResourceNotFound,
            format!(
                "The specified DKMSInstanceId {instance:?} is not found; qkms has no KMS instances."
            ),
        ));
    }
    let spec_raw = optional(p, "KeySpec");
    let spec = match spec_raw {
        None => KeySpec::Aes256,
        Some(s) => KeySpec::parse(s).ok_or_else(|| match s {
            // Asymmetric specs exist on the real service but not for import, and qkms does
            // not implement them: refuse them plainly.
            "RSA_2048" | "RSA_3072" | "EC_P256" | "EC_P256K" | "EC_SM2" => AliyunError::invalid_because(
                "KeySpec",
                "qkms supports the symmetric specs Aliyun_AES_256 and Aliyun_SM4; keys with Origin EXTERNAL cannot be asymmetric.",
            ),
            _ => AliyunError::invalid("KeySpec"),
        })?,
    };
    let input = CreateKeyInput {
        spec,
        usage: enum_param(p, "KeyUsage", KeyUsage::parse, KeyUsage::EncryptDecrypt)?,
        origin: enum_param(p, "Origin", Origin::parse, Origin::Kms)?,
        protection_level: enum_param(
            p,
            "ProtectionLevel",
            ProtectionLevel::parse,
            ProtectionLevel::Software,
        )?,
        description: p.get("Description").unwrap_or_default().to_owned(),
        enable_automatic_rotation: bool_param(p, "EnableAutomaticRotation")?,
        tags: tags_param(p, "Tags")?,
    };
    if input.enable_automatic_rotation && input.origin == Origin::Kms {
        // Automatic rotation is not implemented yet: refuse it plainly rather than report
        // a rotation policy that never rotates. (EXTERNAL + rotation is refused by the
        // service, as the real one does.)
        return Err(AliyunError::invalid_because(
            "EnableAutomaticRotation",
            "Automatic rotation is not supported by qkms yet.",
        ));
    }
    let view = kms.create_key(input)?;
    Ok(fields(json!({ "KeyMetadata": key_metadata(&view, false) })))
}

/// One `Filters` entry: a key and the values it may take (OR within, AND across).
#[derive(Debug, serde::Deserialize)]
struct Filter {
    #[serde(rename = "Key")]
    key: String,
    #[serde(rename = "Values")]
    values: Vec<String>,
}

/// Parses `Filters` (`[{"Key":"KeyState","Values":["Enabled"]}]`, at most 10 entries).
fn filters(p: &Params) -> Result<Vec<Filter>, AliyunError> {
    let Some(raw) = optional(p, "Filters") else {
        return Ok(Vec::new());
    };
    let bad = |why: &str| AliyunError::invalid_because("Filters", why);
    let list: Vec<Filter> = crate::json::parse(raw.as_bytes())
        .and_then(serde_json::from_value)
        .map_err(|_| {
            bad(r#"It must be a JSON array like [{"Key":"KeyState","Values":["Enabled"]}]."#)
        })?;
    if list.len() > 10 {
        return Err(bad("At most 10 filters."));
    }
    const KEYS: &[&str] = &[
        "KeyState",
        "KeySpec",
        "KeyUsage",
        "ProtectionLevel",
        "CreatorType",
        "Creator",
        "keyId",
        "AliasName",
        "TagKey",
        "TagValue",
        "DKMSInstanceId",
        "Origin",
    ];
    if let Some(f) = list.iter().find(|f| !KEYS.contains(&f.key.as_str())) {
        return Err(bad(&format!("Unknown filter key {:?}.", f.key)));
    }
    Ok(list)
}

fn filter_matches(kms: &Kms, filters: &[Filter], view: &KeyView) -> bool {
    let k = &view.key;
    filters.iter().all(|f| {
        let any = |got: &str| f.values.iter().any(|v| v == got);
        match f.key.as_str() {
            "KeyState" => any(k.state.as_str()),
            "KeySpec" => any(k.spec.as_str()),
            "KeyUsage" => any(k.usage.as_str()),
            "ProtectionLevel" => any(k.protection_level.as_str()),
            "Origin" => any(k.origin.as_str()),
            // Every key here was made by a user, none by a cloud service.
            "CreatorType" => any("User"),
            "Creator" => any(&k.creator),
            "keyId" => any(&k.key_id),
            "DKMSInstanceId" => false,
            "TagKey" => k.tags.keys().any(|t| any(t)),
            "TagValue" => k.tags.values().any(|t| any(t)),
            "AliasName" => kms
                .alias_names(&k.key_id)
                .is_ok_and(|names| names.iter().any(|n| any(n))),
            _ => false,
        }
    })
}

fn list_keys(p: &Params, kms: &Kms) -> Outcome {
    let (number, size) = paging(p)?;
    let filters = filters(p)?;
    let page = if filters.is_empty() {
        kms.list_keys(offset(number, size), size)?
    } else {
        kms.list_keys_matching(offset(number, size), size, |v| {
            filter_matches(kms, &filters, v)
        })?
    };
    let keys: Vec<Value> = page
        .items
        .iter()
        .map(|v| json!({"KeyId": v.key.key_id, "KeyArn": v.arn}))
        .collect();
    Ok(fields(json!({
        "Keys": { "Key": keys },
        "TotalCount": page.total,
        "PageNumber": number,
        "PageSize": size,
    })))
}

fn list_aliases(p: &Params, kms: &Kms, key: Option<&str>) -> Outcome {
    let (number, size) = paging(p)?;
    let page = kms.list_aliases(key, offset(number, size), size)?;
    let aliases: Vec<Value> = page
        .items
        .iter()
        .map(
            |a| json!({"AliasName": a.name, "AliasArn": kms.alias_arn(&a.name), "KeyId": a.key_id}),
        )
        .collect();
    Ok(fields(json!({
        "Aliases": { "Alias": aliases },
        "TotalCount": page.total,
        "PageNumber": number,
        "PageSize": size,
    })))
}

fn get_parameters_for_import(p: &Params, kms: &Kms) -> Outcome {
    let key = required(p, "KeyId")?;
    // The Aliyun dialect offers the three RSA-2048 algorithms of its documentation.
    let algorithm = match WrappingAlgorithm::parse(required(p, "WrappingAlgorithm")?) {
        Some(
            a @ (WrappingAlgorithm::RsaesPkcs1V15
            | WrappingAlgorithm::RsaesOaepSha1
            | WrappingAlgorithm::RsaesOaepSha256),
        ) => a,
        _ => return Err(AliyunError::invalid("WrappingAlgorithm")),
    };
    match required(p, "WrappingKeySpec")? {
        "RSA_2048" => {}
        "EC_SM2" => {
            return Err(AliyunError::invalid_because(
                "WrappingKeySpec",
                "EC_SM2 wrapping is for HSM keys in mainland China regions and is not supported by qkms; use RSA_2048.",
            ));
        }
        _ => return Err(AliyunError::invalid("WrappingKeySpec")),
    }
    let params = kms.get_parameters_for_import(key, algorithm, WrappingKeySpec::Rsa2048)?;
    Ok(fields(json!({
        "KeyId": params.key_id,
        "ImportToken": params.import_token,
        "PublicKey": B64.encode(&params.public_key),
        "TokenExpireTime": iso8601(params.token_expire),
    })))
}

fn import_key_material(p: &Params, kms: &Kms) -> Outcome {
    let key = required(p, "KeyId")?;
    let material = base64_param(p, "EncryptedKeyMaterial")?;
    let token = required(p, "ImportToken")?;
    // Absent or 0 means the material never expires.
    let expire = match int_param(p, "KeyMaterialExpireUnix")? {
        None | Some(0) => None,
        // Past 9999-12-31T23:59:59Z a time cannot be rendered as the service's dates.
        Some(t) if !(0..=253_402_300_799).contains(&t) => {
            return Err(AliyunError::invalid_because(
                "KeyMaterialExpireUnix",
                "It must be Unix seconds between 0 and 253402300799.",
            ));
        }
        Some(t) => Some(t),
    };
    kms.import_key_material(key, token, &material, expire)?;
    Ok(Map::new())
}

/// DryRun=true: the request was valid and would have succeeded.
fn dry_run(p: &Params) -> Result<bool, AliyunError> {
    bool_param(p, "DryRun")
}

fn dry_run_error() -> AliyunError {
    AliyunError::new(
        ErrorCode::DryRunOperationError,
        "Request would have succeeded, but DryRun flag is set.",
    )
}

fn encrypt(p: &Params, kms: &Kms) -> Outcome {
    let key = required(p, "KeyId")?;
    let plaintext = zeroize::Zeroizing::new(base64_param(p, "Plaintext")?);
    let ctx = encryption_context(p, "EncryptionContext")?;
    let dry = dry_run(p)?;
    let out = kms.encrypt(key, &plaintext, &ctx)?;
    if dry {
        return Err(dry_run_error());
    }
    Ok(fields(json!({
        "KeyId": out.key_id,
        "KeyVersionId": out.key_version_id,
        "CiphertextBlob": B64.encode(&out.blob),
    })))
}

fn decrypt(p: &Params, kms: &Kms) -> Outcome {
    let blob = base64_param(p, "CiphertextBlob")?;
    let ctx = encryption_context(p, "EncryptionContext")?;
    let dry = dry_run(p)?;
    let out = kms.decrypt(&blob, &ctx)?;
    if dry {
        return Err(dry_run_error());
    }
    Ok(fields(json!({
        "KeyId": out.key_id,
        "KeyVersionId": out.key_version_id,
        "Plaintext": B64.encode(out.plaintext.expose()),
    })))
}

fn generate_data_key(p: &Params, kms: &Kms, with_plaintext: bool) -> Outcome {
    let key = required(p, "KeyId")?;
    let spec_bytes = match optional(p, "KeySpec") {
        None => None,
        Some("AES_256") => Some(32),
        Some("AES_128") => Some(16),
        Some(_) => return Err(AliyunError::invalid("KeySpec")),
    };
    // NumberOfBytes wins over KeySpec; neither means 32 bytes.
    let bytes = match int_param(p, "NumberOfBytes")? {
        Some(n) => usize::try_from(n)
            .ok()
            .filter(|n| (1..=1024).contains(n))
            .ok_or_else(|| {
                AliyunError::invalid_because("NumberOfBytes", "It must be 1 to 1024.")
            })?,
        None => spec_bytes.unwrap_or(32),
    };
    let ctx = encryption_context(p, "EncryptionContext")?;
    let dry = dry_run(p)?;
    let out = kms.generate_data_key(key, bytes, &ctx)?;
    if dry {
        return Err(dry_run_error());
    }
    let mut f = fields(json!({
        "KeyId": out.encrypted.key_id,
        "KeyVersionId": out.encrypted.key_version_id,
        "CiphertextBlob": B64.encode(&out.encrypted.blob),
    }));
    if with_plaintext {
        f.insert(
            "Plaintext".into(),
            B64.encode(out.plaintext.expose()).into(),
        );
    }
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(list: &[(&str, &str)]) -> Params {
        Params::new(
            list.iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            Vec::new(),
        )
        .unwrap()
    }

    #[test]
    fn encryption_context_forms_compare_as_maps() {
        let json_form = encryption_context(
            &params(&[("EncryptionContext", r#"{"b": "2", "a":"1"}"#)]),
            "EncryptionContext",
        )
        .unwrap();
        let dotted = encryption_context(
            &params(&[("EncryptionContext.a", "1"), ("EncryptionContext.b", "2")]),
            "EncryptionContext",
        )
        .unwrap();
        assert_eq!(json_form, dotted);
        assert!(
            encryption_context(
                &params(&[("EncryptionContext", "[1]")]),
                "EncryptionContext"
            )
            .is_err()
        );
        assert!(
            encryption_context(
                &params(&[("EncryptionContext", "{bad")]),
                "EncryptionContext"
            )
            .is_err()
        );
        assert!(
            encryption_context(&params(&[]), "EncryptionContext")
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn action_names_round_trip() {
        for a in Action::ALL {
            assert_eq!(a.as_str().parse::<Action>().unwrap(), *a);
        }
        assert_eq!(
            "Nope".parse::<Action>().unwrap_err().code,
            ErrorCode::InvalidActionNotFound
        );
    }

    #[test]
    fn paging_bounds() {
        assert_eq!(paging(&params(&[])).unwrap(), (1, 10));
        assert!(paging(&params(&[("PageSize", "101")])).is_err());
        assert!(paging(&params(&[("PageNumber", "0")])).is_err());
        assert!(paging(&params(&[("PageNumber", "x")])).is_err());
    }
}
