//! The OpenAPI 3.1 document of the AWS dialect, generated from both catalogues: one
//! operation per TrentService operation at `/#TrentService.<Op>` and per Secrets Manager
//! operation at `/#secretsmanager.<Op>` (see `crate::openapi` for why), with the
//! `X-Amz-Target` header it requires, its JSON 1.1 body (from the request type's schema),
//! its answer (from the response type's schema) and its exceptions by status. Secrets
//! Manager operations are tagged `secretsmanager/<family>`, so its families stay apart from
//! KMS's of the same name.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::CONTENT_TYPE;
use super::catalogue::Action;
use super::error::Exception;
use super::secrets::catalogue::Action as SecretsAction;
use crate::openapi;
use crate::protocol::Spec;

fn request_id_header() -> Value {
    json!({"description": "The request ID.", "required": true, "schema": {"type": "string"}})
}

/// The exceptions, one answer per HTTP status, each listing its `__type`s.
fn errors() -> Map<String, Value> {
    let mut by_status: BTreeMap<u16, Vec<&str>> = BTreeMap::new();
    for x in Exception::ALL {
        by_status.entry(x.status()).or_default().push(x.as_str());
    }
    by_status
        .into_iter()
        .map(|(status, names)| {
            let response = json!({
                "description": format!("Error: {}.", names.join(", ")),
                "headers": {
                    "x-amzn-RequestId": request_id_header(),
                    "x-amzn-ErrorType": {
                        "description": "The exception.",
                        "required": true,
                        "schema": {"type": "string", "enum": names},
                    },
                },
                "content": {CONTENT_TYPE: {"schema": {
                    "type": "object",
                    "properties": {
                        "__type": {"type": "string", "enum": names},
                        "message": {"type": "string"},
                    },
                    "required": ["__type", "message"],
                }}},
            });
            (status.to_string(), response)
        })
        .collect()
}

/// The `X-Amz-Target` prefix of KMS operations.
const KMS_TARGET: &str = "TrentService";
/// The `X-Amz-Target` prefix of Secrets Manager operations.
const SECRETS_TARGET: &str = "secretsmanager";

fn secrets_tag(family: &str) -> String {
    format!("{SECRETS_TARGET}/{family}")
}

fn kms_operation(spec: &Spec, generator: &mut schemars::SchemaGenerator) -> Value {
    operation(spec, generator, KMS_TARGET, spec.family.to_owned())
}

fn secrets_operation(spec: &Spec, generator: &mut schemars::SchemaGenerator) -> Value {
    operation(spec, generator, SECRETS_TARGET, secrets_tag(spec.family))
}

fn operation(
    spec: &Spec,
    generator: &mut schemars::SchemaGenerator,
    prefix: &str,
    tag: String,
) -> Value {
    let request = openapi::request_schema(spec, generator);
    let response = openapi::object((spec.response)(generator));
    let mut responses = Map::new();
    responses.insert(
        "200".into(),
        json!({
            "description": "Success.",
            "headers": {"x-amzn-RequestId": request_id_header()},
            "content": {CONTENT_TYPE: {"schema": response}},
        }),
    );
    responses.extend(errors());
    let target = format!("{prefix}.{}", spec.name);
    // Operation IDs are unique in a document: KMS keeps the bare names (the explorer's),
    // Secrets Manager's carry their target prefix (both services have TagResource).
    let id = if prefix == KMS_TARGET {
        spec.name.to_owned()
    } else {
        target.clone()
    };
    let mut op = json!({
        "operationId": id,
        "summary": spec.description,
        "tags": [tag],
        "parameters": [{
            "name": "X-Amz-Target",
            "in": "header",
            "required": true,
            "description": "The operation.",
            "schema": {"type": "string", "enum": [target]},
        }],
        "requestBody": {
            "required": true,
            "content": {CONTENT_TYPE: {"schema": request}},
        },
        "responses": responses,
        "security": [{"SigV4": []}],
    });
    if let Value::Object(m) = &mut op {
        m.extend(openapi::extensions(spec));
    }
    op
}

/// The document.
#[must_use]
pub fn document() -> Value {
    let mut paths = openapi::paths(
        Action::ALL.iter().map(|a| a.spec()),
        &format!("/#{KMS_TARGET}."),
        kms_operation,
    );
    paths.extend(openapi::paths(
        SecretsAction::ALL.iter().map(|a| a.spec()),
        &format!("/#{SECRETS_TARGET}."),
        secrets_operation,
    ));
    let security = json!({
        "SigV4": {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "AWS Signature Version 4 (AWS4-HMAC-SHA256) for service kms (TrentService operations) or secretsmanager (secretsmanager operations), in any region (ARNs name the region of the signature), with X-Amz-Date within 15 minutes and X-Amz-Target signed.",
        },
    });
    let mut families: Vec<String> = openapi::families(Action::ALL.iter().map(|a| a.spec()))
        .into_iter()
        .map(str::to_owned)
        .collect();
    families.extend(
        openapi::families(SecretsAction::ALL.iter().map(|a| a.spec()))
            .into_iter()
            .map(secrets_tag),
    );
    let tags: Vec<&str> = families.iter().map(String::as_str).collect();
    openapi::document(
        "qkms: AWS KMS and Secrets Manager APIs (JSON 1.1, TrentService and secretsmanager)",
        "Every operation is POST / with Content-Type application/x-amz-json-1.1 and the X-Amz-Target header naming it; the path's fragment only tells the operations apart in this document.",
        security,
        paths,
        &tags,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every operation of both catalogues is an operation of the document, with exactly its
    /// own members, target and tag, and the document has nothing else.
    #[test]
    fn the_document_is_the_catalogue() {
        let doc = document();
        let paths = doc["paths"].as_object().unwrap();
        let mut found: Vec<&String> = paths.keys().collect();
        found.sort();
        let specs: Vec<(&str, Spec)> = Action::ALL
            .iter()
            .map(|a| (KMS_TARGET, a.spec()))
            .chain(
                SecretsAction::ALL
                    .iter()
                    .map(|a| (SECRETS_TARGET, a.spec())),
            )
            .collect();
        let mut expected: Vec<String> = specs
            .iter()
            .map(|(prefix, s)| format!("/#{prefix}.{}", s.name))
            .collect();
        expected.sort();
        assert_eq!(found, expected.iter().collect::<Vec<_>>());
        let tags: Vec<&str> = doc["tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap())
            .collect();
        for (prefix, spec) in &specs {
            let op = &paths[&format!("/#{prefix}.{}", spec.name)]["post"];
            let id = if *prefix == KMS_TARGET {
                spec.name.to_owned()
            } else {
                format!("{prefix}.{}", spec.name)
            };
            assert_eq!(op["operationId"], id);
            assert_eq!(
                op["parameters"][0]["schema"]["enum"][0],
                format!("{prefix}.{}", spec.name)
            );
            assert!(
                tags.contains(&op["tags"][0].as_str().unwrap()),
                "{}",
                spec.name
            );
            let body = &op["requestBody"]["content"][CONTENT_TYPE]["schema"];
            let members: Vec<&String> = body["properties"].as_object().unwrap().keys().collect();
            let want: Vec<String> = spec.fields.iter().map(|f| f.name.to_owned()).collect();
            assert_eq!(members, want.iter().collect::<Vec<_>>(), "{}", spec.name);
            let required: Vec<&str> = body["required"]
                .as_array()
                .map(|r| r.iter().map(|v| v.as_str().unwrap()).collect())
                .unwrap_or_default();
            let want: Vec<&str> = spec
                .fields
                .iter()
                .filter(|f| f.required)
                .map(|f| f.name)
                .collect();
            assert_eq!(required, want, "{}", spec.name);
        }
    }

    #[test]
    fn enums_are_the_wire_names_and_errors_their_types() {
        let doc = document();
        let body = |op: &str| {
            doc["paths"][format!("/#TrentService.{op}")]["post"]["requestBody"]["content"]
                [CONTENT_TYPE]["schema"]["properties"]
                .clone()
        };
        assert_eq!(
            body("GetParametersForImport")["WrappingKeySpec"]["enum"],
            serde_json::json!(["RSA_2048", "RSA_3072", "RSA_4096", "SM2"])
        );
        assert_eq!(body("Encrypt")["Plaintext"]["format"], "byte");
        assert_eq!(body("Encrypt")["Plaintext"]["maxLength"], 5464);
        let dry_run = &doc["paths"]["/#TrentService.Encrypt"]["post"]["responses"]["412"];
        assert_eq!(
            dry_run["content"][CONTENT_TYPE]["schema"]["properties"]["__type"]["enum"],
            serde_json::json!(["DryRunOperationException"])
        );
    }
}
