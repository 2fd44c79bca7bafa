//! The TrentService operations: wire members in, domain calls, wire members out.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Map, Value, json};

use super::error::{AwsError, Exception};
use super::input::Input;
use super::{Operation, Scope};
use crate::crypto::blob::CiphertextBlob;
use crate::crypto::wrap::{WrappingAlgorithm, WrappingKeySpec};
use crate::service::model::{
    EncryptionContext, KeySpec, KeyState, KeyUsage, Origin, ProtectionLevel,
};
use crate::service::{CreateKeyInput, Error, KeyView, Kms};

type Outcome = Result<Value, AwsError>;

/// Largest plaintext of Encrypt on this dialect (the AWS limit).
const MAX_PLAINTEXT: usize = 4096;
/// Largest ciphertext / token / wrapped material blob.
const MAX_CIPHERTEXT: usize = 6144;
/// Aliases per key (an AWS quota).
const MAX_ALIASES_PER_KEY: usize = 50;
/// Tags per key (an AWS quota).
const MAX_TAGS: usize = 50;

/// Which identifier forms a member accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Forms {
    /// Key ID, key ARN, alias name, alias ARN.
    Any,
    /// Key ID or key ARN.
    KeyOnly,
}

/// A key reference resolved for the service, with the ARN for messages.
struct Target {
    reference: String,
    arn: String,
}

/// Resolves an AWS identifier into a service reference (a key ID or `alias/…`).
fn resolve(raw: &str, forms: Forms, scope: &Scope) -> Result<Target, AwsError> {
    let alias_refused = || {
        AwsError::new(
            Exception::InvalidArn,
            "Key Aliases are not supported for this operation.",
        )
    };
    if let Some(rest) = raw.strip_prefix("arn:") {
        let parts: Vec<&str> = rest.splitn(5, ':').collect();
        let [partition, "kms", region, account, resource] = parts.as_slice() else {
            return Err(AwsError::new(
                Exception::InvalidArn,
                format!("Invalid arn {raw}"),
            ));
        };
        if !partition.starts_with("aws") {
            return Err(AwsError::new(
                Exception::InvalidArn,
                format!("Invalid arn {raw}"),
            ));
        }
        if let Some(id) = resource.strip_prefix("key/") {
            if id.is_empty() {
                return Err(AwsError::new(
                    Exception::InvalidArn,
                    format!("Invalid arn {raw}"),
                ));
            }
            if *region != scope.region || *account != scope.account {
                return Err(AwsError::new(Exception::NotFound, "Invalid arn"));
            }
            return Ok(Target {
                reference: id.to_owned(),
                arn: raw.to_owned(),
            });
        }
        if resource.starts_with("alias/") {
            if forms == Forms::KeyOnly {
                return Err(alias_refused());
            }
            if *region != scope.region || *account != scope.account {
                return Err(AwsError::new(Exception::NotFound, "Invalid arn"));
            }
            return Ok(Target {
                reference: (*resource).to_owned(),
                arn: raw.to_owned(),
            });
        }
        return Err(AwsError::new(
            Exception::InvalidArn,
            format!("Invalid arn {raw}"),
        ));
    }
    if raw.starts_with("alias/") {
        if forms == Forms::KeyOnly {
            return Err(alias_refused());
        }
        return Ok(Target {
            reference: raw.to_owned(),
            arn: scope.alias_arn(raw),
        });
    }
    Ok(Target {
        reference: raw.to_owned(),
        arn: scope.key_arn(raw),
    })
}

fn key_param(input: &Input, name: &str, forms: Forms, scope: &Scope) -> Result<Target, AwsError> {
    resolve(input.required(name, 1, 2048)?, forms, scope)
}

fn epoch(secs: i64) -> Value {
    json!(secs)
}

/// `KeyMetadata` for a symmetric key (fields absent rather than null).
fn key_metadata(view: &KeyView, scope: &Scope) -> Value {
    let k = &view.key;
    let mut m = Map::new();
    m.insert("AWSAccountId".into(), scope.account.clone().into());
    m.insert("KeyId".into(), k.key_id.clone().into());
    m.insert("Arn".into(), scope.key_arn(&k.key_id).into());
    m.insert("CreationDate".into(), epoch(k.created));
    m.insert("Enabled".into(), (k.state == KeyState::Enabled).into());
    m.insert("Description".into(), k.description.clone().into());
    m.insert("KeyUsage".into(), "ENCRYPT_DECRYPT".into());
    m.insert("KeyState".into(), k.state.as_str().into());
    if let Some(d) = k.delete_date {
        m.insert("DeletionDate".into(), epoch(d));
    }
    m.insert(
        "Origin".into(),
        match k.origin {
            Origin::Kms => "AWS_KMS",
            Origin::External => "EXTERNAL",
        }
        .into(),
    );
    m.insert("KeyManager".into(), "CUSTOMER".into());
    m.insert("CustomerMasterKeySpec".into(), "SYMMETRIC_DEFAULT".into());
    m.insert("KeySpec".into(), "SYMMETRIC_DEFAULT".into());
    m.insert("EncryptionAlgorithms".into(), json!(["SYMMETRIC_DEFAULT"]));
    m.insert("MultiRegion".into(), false.into());
    if k.origin == Origin::External && k.has_material() {
        match k.material_expire {
            Some(t) => {
                m.insert("ExpirationModel".into(), "KEY_MATERIAL_EXPIRES".into());
                m.insert("ValidTo".into(), epoch(t));
            }
            None => {
                m.insert(
                    "ExpirationModel".into(),
                    "KEY_MATERIAL_DOES_NOT_EXPIRE".into(),
                );
            }
        }
    }
    if k.has_material()
        && let Some(id) = &k.material_fingerprint
    {
        m.insert("CurrentKeyMaterialId".into(), id.clone().into());
    }
    json!({ "KeyMetadata": m })
}

/// Maps a service error, naming `target` in the message; state errors are phrased from
/// the key's current state, as AWS does.
fn fail(kms: &Kms, e: Error, target: &Target) -> AwsError {
    if matches!(e, Error::StateModifiedFailed) {
        let message = match kms.describe_key(&target.reference).map(|v| v.key.state) {
            Ok(KeyState::PendingDeletion) => format!("{} is pending deletion.", target.arn),
            Ok(KeyState::PendingImport) => format!("{} is pending import.", target.arn),
            _ => format!("{} is not pending deletion.", target.arn),
        };
        return AwsError::new(Exception::KmsInvalidState, message);
    }
    AwsError::from_service(e, &target.arn)
}

/// Refuses keys in PendingDeletion for the operations whose AWS state table says so.
fn not_pending_deletion(kms: &Kms, target: &Target) -> Result<KeyView, AwsError> {
    let view = kms
        .describe_key(&target.reference)
        .map_err(|e| fail(kms, e, target))?;
    if view.key.state == KeyState::PendingDeletion {
        return Err(AwsError::new(
            Exception::KmsInvalidState,
            format!("{} is pending deletion.", target.arn),
        ));
    }
    Ok(view)
}

fn dry_run_error() -> AwsError {
    AwsError::new(
        Exception::DryRunOperation,
        "The request would have succeeded, but the DryRun option is set.",
    )
}

/// Only `SYMMETRIC_DEFAULT` applies to symmetric keys.
fn check_algorithm(input: &Input, name: &str) -> Result<(), AwsError> {
    match input.enumeration(
        name,
        &[
            "SYMMETRIC_DEFAULT",
            "RSAES_OAEP_SHA_1",
            "RSAES_OAEP_SHA_256",
            "SM2PKE",
        ],
    )? {
        None | Some("SYMMETRIC_DEFAULT") => Ok(()),
        Some(other) => Err(AwsError::new(
            Exception::InvalidKeyUsage,
            format!("{other} is not a valid encryption algorithm for a symmetric key."),
        )),
    }
}

fn paging(input: &Input, max: i64, default: i64) -> Result<(usize, usize), AwsError> {
    let limit = input.integer("Limit", 1, max)?.unwrap_or(default);
    let offset = match input.string("Marker", 1, 1024)? {
        None => 0,
        Some(m) => m
            .parse::<usize>()
            .map_err(|_| AwsError::new(Exception::InvalidMarker, "The marker is not valid."))?,
    };
    Ok((offset, usize::try_from(limit).unwrap_or(1)))
}

fn paged(mut body: Map<String, Value>, offset: usize, shown: usize, total: usize) -> Value {
    let next = offset.saturating_add(shown);
    body.insert("Truncated".into(), (next < total).into());
    if next < total {
        body.insert("NextMarker".into(), next.to_string().into());
    }
    Value::Object(body)
}

/// Runs one operation. Blocking: call it off the async executor.
///
/// # Errors
/// The exception to render.
pub fn call(op: Operation, input: &Input, kms: &Kms, scope: &Scope) -> Outcome {
    match op {
        Operation::CreateKey => create_key(input, kms, scope),
        Operation::DescribeKey => {
            let t = key_param(input, "KeyId", Forms::Any, scope)?;
            let view = kms
                .describe_key(&t.reference)
                .map_err(|e| fail(kms, e, &t))?;
            Ok(key_metadata(&view, scope))
        }
        Operation::ListKeys => {
            let (offset, limit) = paging(input, 1000, 100)?;
            let page = kms
                .list_keys(offset, limit)
                .map_err(|e| AwsError::from_service(e, ""))?;
            let keys: Vec<Value> = page
                .items
                .iter()
                .map(|v| json!({"KeyId": v.key.key_id, "KeyArn": scope.key_arn(&v.key.key_id)}))
                .collect();
            let shown = keys.len();
            let mut body = Map::new();
            body.insert("Keys".into(), Value::Array(keys));
            Ok(paged(body, offset, shown, page.total))
        }
        Operation::EnableKey | Operation::DisableKey => {
            let t = key_param(input, "KeyId", Forms::KeyOnly, scope)?;
            let r = if op == Operation::EnableKey {
                kms.enable_key(&t.reference)
            } else {
                kms.disable_key(&t.reference)
            };
            r.map_err(|e| fail(kms, e, &t))?;
            Ok(json!({}))
        }
        Operation::ScheduleKeyDeletion => {
            let t = key_param(input, "KeyId", Forms::KeyOnly, scope)?;
            let days = input.integer("PendingWindowInDays", 1, 365)?.unwrap_or(30);
            if !(7..=30).contains(&days) {
                return Err(AwsError::validation(
                    "PendingWindowInDays",
                    "Member must have value between 7 and 30",
                ));
            }
            let view = kms
                .schedule_key_deletion(&t.reference, days)
                .map_err(|e| fail(kms, e, &t))?;
            Ok(json!({
                "KeyId": scope.key_arn(&view.key.key_id),
                "DeletionDate": view.key.delete_date.unwrap_or_default(),
                "KeyState": view.key.state.as_str(),
                "PendingWindowInDays": days,
            }))
        }
        Operation::CancelKeyDeletion => {
            let t = key_param(input, "KeyId", Forms::KeyOnly, scope)?;
            let view = kms
                .cancel_key_deletion(&t.reference, true)
                .map_err(|e| fail(kms, e, &t))?;
            Ok(json!({ "KeyId": scope.key_arn(&view.key.key_id) }))
        }
        Operation::UpdateKeyDescription => {
            let t = key_param(input, "KeyId", Forms::KeyOnly, scope)?;
            let description = input
                .string("Description", 0, 8192)?
                .ok_or_else(|| AwsError::missing("Description"))?;
            not_pending_deletion(kms, &t)?;
            kms.update_key_description(&t.reference, description)
                .map_err(|e| fail(kms, e, &t))?;
            Ok(json!({}))
        }
        Operation::CreateAlias | Operation::UpdateAlias => {
            let name = alias_name(input)?;
            let t = key_param(input, "TargetKeyId", Forms::KeyOnly, scope)?;
            let alias = Target {
                reference: name.to_owned(),
                arn: scope.alias_arn(name),
            };
            if op == Operation::CreateAlias {
                let view = kms
                    .describe_key(&t.reference)
                    .map_err(|e| fail(kms, e, &t))?;
                if kms
                    .alias_names(&view.key.key_id)
                    .map_err(|e| fail(kms, e, &t))?
                    .len()
                    >= MAX_ALIASES_PER_KEY
                {
                    return Err(AwsError::new(
                        Exception::LimitExceeded,
                        "A key can have at most 50 aliases.",
                    ));
                }
                kms.create_alias(name, &t.reference).map_err(|e| match e {
                    Error::AliasAlreadyExists => AwsError::from_service(e, &alias.arn),
                    Error::StateModifiedFailed => AwsError::new(
                        Exception::KmsInvalidState,
                        format!("{} is pending deletion.", t.arn),
                    ),
                    other => fail(kms, other, &t),
                })?;
            } else {
                kms.update_alias(name, &t.reference).map_err(|e| match e {
                    Error::AliasNotFound => AwsError::from_service(e, &alias.arn),
                    other => fail(kms, other, &t),
                })?;
            }
            Ok(json!({}))
        }
        Operation::DeleteAlias => {
            let name = alias_name(input)?;
            kms.delete_alias(name)
                .map_err(|e| AwsError::from_service(e, &scope.alias_arn(name)))?;
            Ok(json!({}))
        }
        Operation::ListAliases => list_aliases(input, kms, scope),
        Operation::TagResource => {
            let t = key_param(input, "KeyId", Forms::KeyOnly, scope)?;
            let tags = input
                .tags("Tags")?
                .ok_or_else(|| AwsError::missing("Tags"))?;
            not_pending_deletion(kms, &t)?;
            kms.tag_key(&t.reference, &tags, MAX_TAGS)
                .map_err(|e| fail(kms, e, &t))?;
            Ok(json!({}))
        }
        Operation::UntagResource => {
            let t = key_param(input, "KeyId", Forms::KeyOnly, scope)?;
            let names = input
                .string_list("TagKeys")?
                .ok_or_else(|| AwsError::missing("TagKeys"))?;
            not_pending_deletion(kms, &t)?;
            kms.untag_key(&t.reference, &names)
                .map_err(|e| fail(kms, e, &t))?;
            Ok(json!({}))
        }
        Operation::ListResourceTags => {
            let t = key_param(input, "KeyId", Forms::KeyOnly, scope)?;
            let (offset, limit) = paging(input, 50, 50)?;
            let view = kms
                .describe_key(&t.reference)
                .map_err(|e| fail(kms, e, &t))?;
            let tags: Vec<Value> = view
                .key
                .tags
                .iter()
                .skip(offset)
                .take(limit)
                .map(|(k, v)| json!({"TagKey": k, "TagValue": v}))
                .collect();
            let shown = tags.len();
            let mut body = Map::new();
            body.insert("Tags".into(), Value::Array(tags));
            Ok(paged(body, offset, shown, view.key.tags.len()))
        }
        Operation::GetParametersForImport => get_parameters_for_import(input, kms, scope),
        Operation::ImportKeyMaterial => import_key_material(input, kms, scope),
        Operation::DeleteImportedKeyMaterial => {
            let t = key_param(input, "KeyId", Forms::KeyOnly, scope)?;
            let key = kms
                .delete_key_material(&t.reference)
                .map_err(|e| fail(kms, e, &t))?;
            let mut body = json!({ "KeyId": scope.key_arn(&key.key_id) });
            if let Some(id) = key.material_fingerprint {
                body["KeyMaterialId"] = id.into();
            }
            Ok(body)
        }
        Operation::Encrypt => {
            let t = key_param(input, "KeyId", Forms::Any, scope)?;
            let plaintext =
                zeroize::Zeroizing::new(input.required_blob("Plaintext", 1, MAX_PLAINTEXT)?);
            let ctx = input.string_map("EncryptionContext")?;
            check_algorithm(input, "EncryptionAlgorithm")?;
            let dry = input.boolean("DryRun")?;
            let out = kms
                .encrypt(&t.reference, &plaintext, &ctx)
                .map_err(|e| fail(kms, e, &t))?;
            if dry {
                return Err(dry_run_error());
            }
            Ok(json!({
                "CiphertextBlob": B64.encode(&out.blob),
                "KeyId": scope.key_arn(&out.key_id),
                "EncryptionAlgorithm": "SYMMETRIC_DEFAULT",
            }))
        }
        Operation::Decrypt => {
            let blob = input.required_blob("CiphertextBlob", 1, MAX_CIPHERTEXT)?;
            let ctx = input.string_map("EncryptionContext")?;
            check_algorithm(input, "EncryptionAlgorithm")?;
            if input.has("Recipient") {
                return Err(recipient_unsupported());
            }
            let dry = input.boolean("DryRun")?;
            let expected = match input.string("KeyId", 1, 2048)? {
                Some(raw) => Some(resolve(raw, Forms::Any, scope)?),
                None => None,
            };
            let out = decrypt_checked(kms, &blob, &ctx, expected.as_ref(), scope)?;
            if dry {
                return Err(dry_run_error());
            }
            Ok(json!({
                "KeyId": scope.key_arn(&out.key_id),
                "Plaintext": B64.encode(out.plaintext.expose()),
                "EncryptionAlgorithm": "SYMMETRIC_DEFAULT",
            }))
        }
        Operation::ReEncrypt => {
            let blob = input.required_blob("CiphertextBlob", 1, MAX_CIPHERTEXT)?;
            let source_ctx = input.string_map("SourceEncryptionContext")?;
            let dest_ctx = input.string_map("DestinationEncryptionContext")?;
            check_algorithm(input, "SourceEncryptionAlgorithm")?;
            check_algorithm(input, "DestinationEncryptionAlgorithm")?;
            let dest = key_param(input, "DestinationKeyId", Forms::Any, scope)?;
            let source = match input.string("SourceKeyId", 1, 2048)? {
                Some(raw) => Some(resolve(raw, Forms::Any, scope)?),
                None => None,
            };
            let dry = input.boolean("DryRun")?;
            let plain = decrypt_checked(kms, &blob, &source_ctx, source.as_ref(), scope)?;
            let out = kms
                .encrypt(&dest.reference, plain.plaintext.expose(), &dest_ctx)
                .map_err(|e| fail(kms, e, &dest))?;
            if dry {
                return Err(dry_run_error());
            }
            Ok(json!({
                "CiphertextBlob": B64.encode(&out.blob),
                "SourceKeyId": scope.key_arn(&plain.key_id),
                "KeyId": scope.key_arn(&out.key_id),
                "SourceEncryptionAlgorithm": "SYMMETRIC_DEFAULT",
                "DestinationEncryptionAlgorithm": "SYMMETRIC_DEFAULT",
            }))
        }
        Operation::GenerateDataKey | Operation::GenerateDataKeyWithoutPlaintext => {
            let t = key_param(input, "KeyId", Forms::Any, scope)?;
            let spec = input.enumeration("KeySpec", &["AES_256", "AES_128"])?;
            let count = input.integer("NumberOfBytes", 1, 1024)?;
            let bytes = match (spec, count) {
                (Some("AES_128"), None) => 16,
                (Some(_), None) => 32,
                (None, Some(n)) => usize::try_from(n).unwrap_or(32),
                _ => {
                    return Err(AwsError::new(
                        Exception::Validation,
                        "Please specify either number of bytes or key spec.",
                    ));
                }
            };
            let ctx = input.string_map("EncryptionContext")?;
            if input.has("Recipient") {
                return Err(recipient_unsupported());
            }
            let dry = input.boolean("DryRun")?;
            let out = kms
                .generate_data_key(&t.reference, bytes, &ctx)
                .map_err(|e| fail(kms, e, &t))?;
            if dry {
                return Err(dry_run_error());
            }
            let mut body = json!({
                "CiphertextBlob": B64.encode(&out.encrypted.blob),
                "KeyId": scope.key_arn(&out.encrypted.key_id),
            });
            if op == Operation::GenerateDataKey {
                body["Plaintext"] = B64.encode(out.plaintext.expose()).into();
            }
            Ok(body)
        }
        Operation::GenerateRandom => {
            let n = input
                .integer("NumberOfBytes", 1, 1024)?
                .ok_or_else(|| AwsError::missing("NumberOfBytes"))?;
            if input.has("CustomKeyStoreId") || input.has("Recipient") {
                return Err(AwsError::new(
                    Exception::UnsupportedOperation,
                    "Custom key stores and recipients are not supported by qkms.",
                ));
            }
            let bytes = kms
                .random_bytes(usize::try_from(n).unwrap_or(1))
                .map_err(|e| AwsError::from_service(e, ""))?;
            Ok(json!({ "Plaintext": B64.encode(bytes.expose()) }))
        }
    }
}

fn recipient_unsupported() -> AwsError {
    AwsError::new(
        Exception::UnsupportedOperation,
        "Recipient (Nitro Enclaves attestation) is not supported by qkms.",
    )
}

/// Decrypt, checking that the ciphertext belongs to `expected` when one was named.
fn decrypt_checked(
    kms: &Kms,
    blob: &[u8],
    ctx: &EncryptionContext,
    expected: Option<&Target>,
    scope: &Scope,
) -> Result<crate::service::Decrypted, AwsError> {
    let (parsed, _) = CiphertextBlob::decode(blob).map_err(|_| {
        AwsError::new(
            Exception::InvalidCiphertext,
            "The ciphertext is not a qkms ciphertext blob.",
        )
    })?;
    let owner = Target {
        arn: scope.key_arn(&parsed.key_id),
        reference: parsed.key_id.clone(),
    };
    if let Some(t) = expected {
        let view = kms
            .describe_key(&t.reference)
            .map_err(|e| fail(kms, e, t))?;
        if view.key.key_id != parsed.key_id {
            return Err(AwsError::new(
                Exception::IncorrectKey,
                "The key ID in the request does not identify a CMK that can perform this operation.",
            ));
        }
    }
    kms.decrypt(blob, ctx).map_err(|e| fail(kms, e, &owner))
}

/// `AliasName`: `alias/` + `[a-zA-Z0-9/_-]`, 1..256 in all; `alias/aws/` is reserved.
fn alias_name(input: &Input) -> Result<&str, AwsError> {
    let name = input.required("AliasName", 1, 256)?;
    let Some(rest) = name.strip_prefix("alias/") else {
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
            format!("Alias name {name} is not valid."),
        ));
    }
    if name.starts_with("alias/aws/") {
        return Err(AwsError::new(
            Exception::NotAuthorized,
            "The alias/aws/ prefix is reserved for AWS managed keys.",
        ));
    }
    Ok(name)
}

fn list_aliases(input: &Input, kms: &Kms, scope: &Scope) -> Outcome {
    let (offset, limit) = paging(input, 100, 50)?;
    let key = match input.string("KeyId", 1, 2048)? {
        Some(raw) => {
            let t = resolve(raw, Forms::KeyOnly, scope)?;
            let view = kms
                .describe_key(&t.reference)
                .map_err(|e| fail(kms, e, &t))?;
            Some(view.key.key_id)
        }
        None => None,
    };
    let page = kms
        .list_aliases(key.as_deref(), offset, limit)
        .map_err(|e| AwsError::from_service(e, ""))?;
    let aliases: Vec<Value> = page
        .items
        .iter()
        .map(|a| {
            json!({
                "AliasName": a.name,
                "AliasArn": scope.alias_arn(&a.name),
                "TargetKeyId": a.key_id,
                "CreationDate": a.created,
                "LastUpdatedDate": a.created,
            })
        })
        .collect();
    let shown = aliases.len();
    let mut body = Map::new();
    body.insert("Aliases".into(), Value::Array(aliases));
    Ok(paged(body, offset, shown, page.total))
}

fn create_key(input: &Input, kms: &Kms, scope: &Scope) -> Outcome {
    input.string("Policy", 1, 131_072)?;
    let description = input
        .string("Description", 0, 8192)?
        .unwrap_or_default()
        .to_owned();
    const USAGES: &[&str] = &[
        "ENCRYPT_DECRYPT",
        "SIGN_VERIFY",
        "GENERATE_VERIFY_MAC",
        "KEY_AGREEMENT",
        "ENCAPSULATE_DECAPSULATE",
    ];
    const SPECS: &[&str] = &[
        "SYMMETRIC_DEFAULT",
        "RSA_2048",
        "RSA_3072",
        "RSA_4096",
        "ECC_NIST_P256",
        "ECC_NIST_P384",
        "ECC_NIST_P521",
        "ECC_SECG_P256K1",
        "ECC_NIST_EDWARDS25519",
        "HMAC_224",
        "HMAC_256",
        "HMAC_384",
        "HMAC_512",
        "SM2",
        "ML_DSA_44",
        "ML_DSA_65",
        "ML_DSA_87",
        "ML_KEM_512",
        "ML_KEM_768",
        "ML_KEM_1024",
    ];
    let usage = input
        .enumeration("KeyUsage", USAGES)?
        .unwrap_or("ENCRYPT_DECRYPT");
    let spec = input.enumeration("KeySpec", SPECS)?;
    let legacy = input.enumeration("CustomerMasterKeySpec", SPECS)?;
    if let (Some(a), Some(b)) = (spec, legacy)
        && a != b
    {
        return Err(AwsError::new(
            Exception::Validation,
            "KeySpec and CustomerMasterKeySpec must not differ.",
        ));
    }
    let spec = spec.or(legacy).unwrap_or("SYMMETRIC_DEFAULT");
    if spec != "SYMMETRIC_DEFAULT" || usage != "ENCRYPT_DECRYPT" {
        return Err(AwsError::new(
            Exception::UnsupportedOperation,
            format!(
                "qkms supports only SYMMETRIC_DEFAULT keys for ENCRYPT_DECRYPT, not {spec} for {usage}."
            ),
        ));
    }
    let origin = match input
        .enumeration(
            "Origin",
            &["AWS_KMS", "EXTERNAL", "AWS_CLOUDHSM", "EXTERNAL_KEY_STORE"],
        )?
        .unwrap_or("AWS_KMS")
    {
        "AWS_KMS" => Origin::Kms,
        "EXTERNAL" => Origin::External,
        other => {
            return Err(AwsError::new(
                Exception::UnsupportedOperation,
                format!("Origin {other} needs a custom key store, which qkms does not have."),
            ));
        }
    };
    if input.boolean("MultiRegion")? {
        return Err(AwsError::new(
            Exception::UnsupportedOperation,
            "Multi-Region keys are not supported by qkms.",
        ));
    }
    if input.has("CustomKeyStoreId") || input.has("XksKeyId") {
        return Err(AwsError::new(
            Exception::UnsupportedOperation,
            "Custom key stores are not supported by qkms.",
        ));
    }
    let tags = input.tags("Tags")?.unwrap_or_default();
    if tags.len() > MAX_TAGS {
        return Err(AwsError::new(
            Exception::LimitExceeded,
            "A key can have at most 50 tags.",
        ));
    }
    let view = kms
        .create_key(CreateKeyInput {
            spec: KeySpec::Aes256,
            usage: KeyUsage::EncryptDecrypt,
            origin,
            protection_level: ProtectionLevel::Software,
            description,
            enable_automatic_rotation: false,
            tags,
        })
        .map_err(|e| AwsError::from_service(e, ""))?;
    Ok(key_metadata(&view, scope))
}

fn get_parameters_for_import(input: &Input, kms: &Kms, scope: &Scope) -> Outcome {
    let t = key_param(input, "KeyId", Forms::KeyOnly, scope)?;
    let algorithm = input
        .enumeration(
            "WrappingAlgorithm",
            &[
                "RSAES_PKCS1_V1_5",
                "RSAES_OAEP_SHA_1",
                "RSAES_OAEP_SHA_256",
                "RSA_AES_KEY_WRAP_SHA_1",
                "RSA_AES_KEY_WRAP_SHA_256",
                "SM2PKE",
            ],
        )?
        .ok_or_else(|| AwsError::missing("WrappingAlgorithm"))?;
    let spec = input
        .enumeration(
            "WrappingKeySpec",
            &["RSA_2048", "RSA_3072", "RSA_4096", "SM2"],
        )?
        .ok_or_else(|| AwsError::missing("WrappingKeySpec"))?;
    let algorithm = match algorithm {
        // AWS stopped accepting PKCS #1 v1.5 wrapping on 2023-10-10.
        "RSAES_PKCS1_V1_5" => {
            return Err(AwsError::new(
                Exception::Validation,
                "The RSAES_PKCS1_V1_5 wrapping algorithm is no longer supported; use RSAES_OAEP_SHA_256 or RSA_AES_KEY_WRAP_SHA_256.",
            ));
        }
        "SM2PKE" => {
            return Err(AwsError::new(
                Exception::Validation,
                "SM2PKE wrapping is offered only in China Regions.",
            ));
        }
        other => {
            WrappingAlgorithm::parse(other).ok_or_else(|| AwsError::missing("WrappingAlgorithm"))?
        }
    };
    let Some(spec) = WrappingKeySpec::parse(spec) else {
        return Err(AwsError::new(
            Exception::Validation,
            "SM2 wrapping keys are offered only in China Regions.",
        ));
    };
    let view = kms
        .describe_key(&t.reference)
        .map_err(|e| fail(kms, e, &t))?;
    if view.key.origin != Origin::External {
        return Err(AwsError::from_service(Error::UnsupportedOrigin, &t.arn));
    }
    if view.key.state == KeyState::PendingDeletion {
        return Err(AwsError::new(
            Exception::KmsInvalidState,
            format!("{} is pending deletion.", t.arn),
        ));
    }
    let params = kms
        .get_parameters_for_import(&t.reference, algorithm, spec)
        .map_err(|e| fail(kms, e, &t))?;
    Ok(json!({
        "KeyId": scope.key_arn(&params.key_id),
        // The service's token is base64 text; on this dialect it travels as a blob.
        "ImportToken": B64.encode(B64.decode(&params.import_token).map_err(|e| AwsError::internal(&e.to_string()))?),
        "PublicKey": B64.encode(&params.public_key),
        "ParametersValidTo": params.token_expire,
    }))
}

fn import_key_material(input: &Input, kms: &Kms, scope: &Scope) -> Outcome {
    let t = key_param(input, "KeyId", Forms::KeyOnly, scope)?;
    let token = input.required_blob("ImportToken", 1, MAX_CIPHERTEXT)?;
    let wrapped = input.required_blob("EncryptedKeyMaterial", 1, MAX_CIPHERTEXT)?;
    // Absent means KEY_MATERIAL_EXPIRES, as AWS documents (so ValidTo is then required).
    let model = input
        .enumeration(
            "ExpirationModel",
            &["KEY_MATERIAL_EXPIRES", "KEY_MATERIAL_DOES_NOT_EXPIRE"],
        )?
        .unwrap_or("KEY_MATERIAL_EXPIRES");
    let valid_to = input.timestamp("ValidTo")?;
    input.enumeration("ImportType", &["NEW_KEY_MATERIAL", "EXISTING_KEY_MATERIAL"])?;
    input.string("KeyMaterialDescription", 0, 256)?;
    let material_id = input.string("KeyMaterialId", 64, 64)?;
    let now = kms.now();
    let expire = match (model, valid_to) {
        ("KEY_MATERIAL_EXPIRES", None) => {
            return Err(AwsError::new(
                Exception::Validation,
                "A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES",
            ));
        }
        ("KEY_MATERIAL_EXPIRES", Some(t)) => {
            // Whole seconds, rounded up: the material is usable until the given instant.
            let secs = t.ceil();
            if secs <= now as f64 {
                return Err(AwsError::new(
                    Exception::Validation,
                    "ValidTo must be in the future.",
                ));
            }
            if secs > now.saturating_add(365 * 86_400) as f64 {
                return Err(AwsError::new(
                    Exception::Validation,
                    "ValidTo must be at most 365 days in the future.",
                ));
            }
            Some(secs as i64)
        }
        (_, Some(_)) => {
            return Err(AwsError::new(
                Exception::Validation,
                "ValidTo must not be set when the ExpirationModel is KEY_MATERIAL_DOES_NOT_EXPIRE",
            ));
        }
        (_, None) => None,
    };
    let view = kms
        .describe_key(&t.reference)
        .map_err(|e| fail(kms, e, &t))?;
    if view.key.origin != Origin::External {
        return Err(AwsError::from_service(Error::UnsupportedOrigin, &t.arn));
    }
    if let (Some(given), Some(bound)) = (material_id, &view.key.material_fingerprint)
        && given != bound
    {
        return Err(AwsError::from_service(Error::InvalidKeyMaterial, &t.arn));
    }
    let token = B64.encode(&token);
    kms.import_key_material(&t.reference, &token, &wrapped, expire)
        .map_err(|e| match e {
            Error::StateModifiedFailed => AwsError::new(
                Exception::KmsInvalidState,
                format!("{} is pending deletion.", t.arn),
            ),
            other => fail(kms, other, &t),
        })?;
    // The seed page documents an empty response.
    Ok(json!({}))
}

/// Crypto operations on a key (by ID or key ARN) already in memory do no I/O: they run on
/// the executor instead of the blocking pool.
pub fn runs_inline(op: Operation, input: &Input, kms: &Kms) -> bool {
    match op {
        Operation::Encrypt
        | Operation::GenerateDataKey
        | Operation::GenerateDataKeyWithoutPlaintext
        | Operation::DescribeKey => input
            .string("KeyId", 1, 2048)
            .ok()
            .flatten()
            .is_some_and(|k| !k.starts_with("arn:") && kms.is_hot(k)),
        Operation::Decrypt => {
            !input.has("KeyId")
                && input
                    .blob("CiphertextBlob", 1, MAX_CIPHERTEXT)
                    .ok()
                    .flatten()
                    .is_some_and(|b| kms.is_hot_blob(&b))
        }
        _ => false,
    }
}
