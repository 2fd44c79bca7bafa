//! The OpenAPI 3.1 document of the AWS dialect, generated from the catalogue: one
//! operation per TrentService operation at `/#TrentService.<Op>` (see `crate::openapi`
//! for why), with the `X-Amz-Target` header it requires, its JSON 1.1 body (from the
//! request type's schema), its answer (from the response type's schema) and its
//! exceptions by status.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::CONTENT_TYPE;
use super::catalogue::Action;
use super::error::Exception;
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

fn operation(spec: &Spec, generator: &mut schemars::SchemaGenerator) -> Value {
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
    let target = format!("TrentService.{}", spec.name);
    let mut op = json!({
        "operationId": spec.name,
        "summary": spec.description,
        "tags": [spec.family],
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
    let paths = openapi::paths(
        Action::ALL.iter().map(|a| a.spec()),
        "/#TrentService.",
        operation,
    );
    let security = json!({
        "SigV4": {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "AWS Signature Version 4 (AWS4-HMAC-SHA256) for service kms, in any region (ARNs name the region of the signature), with X-Amz-Date within 15 minutes and X-Amz-Target signed.",
        },
    });
    let families = openapi::families(Action::ALL.iter().map(|a| a.spec()));
    openapi::document(
        "qkms: AWS KMS API (JSON 1.1, TrentService)",
        "Every operation is POST / with Content-Type application/x-amz-json-1.1 and the X-Amz-Target header naming it; the path's fragment only tells the operations apart in this document.",
        security,
        paths,
        &families,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every catalogue operation is an operation of the document, with exactly its own
    /// members, and the document has nothing else.
    #[test]
    fn the_document_is_the_catalogue() {
        let doc = document();
        let paths = doc["paths"].as_object().unwrap();
        let mut found: Vec<&String> = paths.keys().collect();
        found.sort();
        let mut expected: Vec<String> = Action::ALL
            .iter()
            .map(|a| format!("/#TrentService.{}", a.as_str()))
            .collect();
        expected.sort();
        assert_eq!(found, expected.iter().collect::<Vec<_>>());
        for action in Action::ALL {
            let spec = action.spec();
            let op = &paths[&format!("/#TrentService.{}", spec.name)]["post"];
            assert_eq!(op["operationId"], spec.name);
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
