//! The OpenAPI 3.1 document of the Aliyun dialect, generated from the catalogue: one
//! operation per action at `/#Action=<Action>` (see `crate::openapi` for why), its
//! parameters in the query (from the request type's schema), its answer (from the
//! response type's schema, with `RequestId`) in JSON and XML, and its errors by status
//! with the codes each status carries.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::VERSION;
use super::catalogue::Action;
use super::error::ErrorCode;
use crate::openapi;
use crate::protocol::Spec;

const JSON: &str = "application/json";
/// The media type of `Format=XML` answers.
const XML: &str = "text/xml";

fn single(name: &str, value: &str, description: &str) -> Value {
    json!({
        "name": name,
        "in": "query",
        "required": true,
        "description": description,
        "schema": {"type": "string", "enum": [value]},
    })
}

/// The operation's query parameters: `Action`, `Version`, `Format`, then its own.
fn parameters(spec: &Spec, request: &Map<String, Value>) -> Vec<Value> {
    let mut out = vec![
        single("Action", spec.name, "The action."),
        single("Version", VERSION, "The API version."),
        json!({
            "name": "Format",
            "in": "query",
            "required": false,
            "description": "The answer's format.",
            "schema": {"type": "string", "enum": ["JSON", "XML"], "default": "JSON"},
        }),
    ];
    let properties = openapi::properties(request);
    for field in spec.fields {
        let mut schema = properties
            .get(field.name)
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let description = schema.remove("description").unwrap_or_else(|| "".into());
        out.push(json!({
            "name": field.name,
            "in": "query",
            "required": field.required,
            "description": description,
            "schema": schema,
        }));
    }
    out
}

fn request_id_header() -> Value {
    json!({"x-acs-request-id": {"description": "The request ID.", "required": true, "schema": {"type": "string"}}})
}

/// The answer's schema: `RequestId`, then the response type's fields.
fn success(spec: &Spec, generator: &mut schemars::SchemaGenerator) -> Value {
    let response = openapi::object((spec.response)(generator));
    let mut properties = Map::new();
    properties.insert(
        "RequestId".into(),
        json!({"type": "string", "description": "The request ID."}),
    );
    properties.extend(openapi::properties(&response));
    let mut required = vec![Value::from("RequestId")];
    if let Some(Value::Array(r)) = response.get("required") {
        required.extend(r.iter().cloned());
    }
    let schema = json!({
        "type": "object",
        "description": response.get("description").cloned().unwrap_or_else(|| "".into()),
        "properties": properties,
        "required": required,
    });
    json!({
        "description": "Success.",
        "headers": request_id_header(),
        "content": {
            JSON: {"schema": schema},
            XML: {"schema": with_xml_root(&schema, "KMS")},
        },
    })
}

fn with_xml_root(schema: &Value, root: &str) -> Value {
    let mut s = schema.clone();
    if let Value::Object(m) = &mut s {
        m.insert("xml".into(), json!({"name": root}));
    }
    s
}

/// The error answers, one per HTTP status, each listing its codes.
fn errors() -> Map<String, Value> {
    let mut by_status: BTreeMap<u16, Vec<&str>> = BTreeMap::new();
    for code in ErrorCode::ALL {
        by_status
            .entry(code.status())
            .or_default()
            .push(code.as_str());
    }
    by_status
        .into_iter()
        .map(|(status, codes)| {
            let schema = json!({
                "type": "object",
                "properties": {
                    "RequestId": {"type": "string"},
                    "HostId": {"type": "string"},
                    "Code": {"type": "string", "enum": codes},
                    "Message": {"type": "string"},
                    "Recommend": {"type": "string"},
                },
                "required": ["RequestId", "HostId", "Code", "Message", "Recommend"],
            });
            let response = json!({
                "description": format!("Error: {}.", codes.join(", ")),
                "headers": request_id_header(),
                "content": {
                    JSON: {"schema": schema},
                    XML: {"schema": with_xml_root(&schema, "Error")},
                },
            });
            (status.to_string(), response)
        })
        .collect()
}

fn operation(spec: &Spec, generator: &mut schemars::SchemaGenerator) -> Value {
    let request = openapi::request_schema(spec, generator);
    let mut responses = Map::new();
    responses.insert("200".into(), success(spec, generator));
    responses.extend(errors());
    let mut op = json!({
        "operationId": spec.name,
        "summary": spec.description,
        "tags": [spec.family],
        "parameters": parameters(spec, &request),
        "responses": responses,
        "security": [{"AliyunV1": []}, {"AliyunAcs3": []}],
    });
    if let Value::Object(m) = &mut op {
        m.extend(openapi::extensions(spec));
    }
    op
}

/// The document.
#[must_use]
pub fn document() -> Value {
    let paths = openapi::paths(Action::ALL.iter().map(|a| a.spec()), "/#Action=", operation);
    let security = json!({
        "AliyunV1": {
            "type": "apiKey",
            "in": "query",
            "name": "Signature",
            "description": "Alibaba Cloud RPC signature v1: Signature = base64(HMAC-SHA1(AccessKeySecret + \"&\", StringToSign)), where StringToSign is the method, \"/\" and the canonicalised query (every parameter but Signature, sorted, percent-encoded), each percent-encoded and joined by \"&\". The query also carries AccessKeyId, SignatureMethod=HMAC-SHA1, SignatureVersion=1.0, a fresh SignatureNonce and Timestamp (UTC, yyyy-MM-ddTHH:mm:ssZ, within 15 minutes).",
        },
        "AliyunAcs3": {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "ACS3-HMAC-SHA256 (or ACS4-HMAC-SHA256) over the canonical request, with x-acs-action, x-acs-version, x-acs-date, x-acs-signature-nonce and x-acs-content-sha256 headers, as the V3 SDKs sign.",
        },
    });
    let families = openapi::families(Action::ALL.iter().map(|a| a.spec()));
    openapi::document(
        "qkms: Alibaba Cloud KMS API (RPC, 2016-01-20)",
        "Every action is POST / (GET works too) with its parameters in the query or a form body; the path's fragment only tells the operations apart in this document.",
        security,
        paths,
        &families,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every catalogue action is an operation, with exactly its own parameters, and the
    /// document has nothing else.
    #[test]
    fn the_document_is_the_catalogue() {
        let doc = document();
        let paths = doc["paths"].as_object().unwrap();
        let expected: Vec<String> = Action::ALL
            .iter()
            .map(|a| format!("/#Action={}", a.as_str()))
            .collect();
        let mut found: Vec<String> = paths.keys().cloned().collect();
        found.sort();
        let mut sorted = expected.clone();
        sorted.sort();
        assert_eq!(found, sorted);
        for action in Action::ALL {
            let spec = action.spec();
            let op = &paths[&format!("/#Action={}", spec.name)]["post"];
            assert_eq!(op["operationId"], spec.name);
            assert_eq!(op["x-qkms-permission"], format!("kms:{}", spec.name));
            let names: Vec<&str> = op["parameters"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["name"].as_str().unwrap())
                .collect();
            let mut want = vec!["Action", "Version", "Format"];
            want.extend(spec.fields.iter().map(|f| f.name));
            assert_eq!(names, want, "{}", spec.name);
            for (p, f) in op["parameters"].as_array().unwrap()[3..]
                .iter()
                .zip(spec.fields)
            {
                assert_eq!(p["required"], f.required, "{}.{}", spec.name, f.name);
                assert!(
                    p["schema"].as_object().is_some_and(|s| !s.is_empty()),
                    "{}.{}",
                    spec.name,
                    f.name
                );
            }
            let ok = &op["responses"]["200"]["content"][JSON]["schema"];
            assert_eq!(ok["properties"]["RequestId"]["type"], "string");
        }
    }

    #[test]
    fn types_and_formats_reach_the_parameters() {
        let doc = document();
        let param = |action: &str, name: &str| {
            doc["paths"][format!("/#Action={action}")]["post"]["parameters"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["name"] == name)
                .unwrap()["schema"]
                .clone()
        };
        assert_eq!(param("Encrypt", "Plaintext")["format"], "byte");
        assert_eq!(param("ListKeys", "PageSize")["maximum"], 100);
        assert_eq!(
            param("ScheduleKeyDeletion", "PendingWindowInDays")["minimum"],
            7
        );
        assert_eq!(
            param("CreateKey", "Origin")["enum"],
            serde_json::json!(["Aliyun_KMS", "EXTERNAL"])
        );
        let errors = &doc["paths"]["/#Action=Encrypt"]["post"]["responses"]["409"];
        let codes = errors["content"][JSON]["schema"]["properties"]["Code"]["enum"].clone();
        assert!(
            codes
                .as_array()
                .unwrap()
                .contains(&"Rejected.Disabled".into())
        );
    }
}
