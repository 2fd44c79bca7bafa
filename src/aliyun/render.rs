//! Rendering of success and error bodies as JSON (default) or XML (`Format=XML`).
//!
//! JSON: the action's fields plus `RequestId` at the top level. XML: success under a
//! `<KMS>` root, as the KMS API pages show, errors under `<Error>`, the element the Tea
//! SDK reads; an array under name `N` becomes repeated `<N>` elements, so the wrapped list
//! shape `{"Keys":{"Key":[…]}}` renders as `<Keys><Key>…</Key><Key>…</Key></Keys>`.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use serde_json::{Map, Value};

use super::error::AliyunError;

/// Response format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// `application/json;charset=utf-8`.
    #[default]
    Json,
    /// `text/xml;charset=utf-8`.
    Xml,
}

impl Format {
    /// Parses the `Format` parameter (case-insensitive).
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        if s.eq_ignore_ascii_case("json") {
            Some(Self::Json)
        } else if s.eq_ignore_ascii_case("xml") {
            Some(Self::Xml)
        } else {
            None
        }
    }
}

/// The body of an error response, fields in the gateway's order.
#[must_use]
pub fn error_body(request_id: &str, host_id: &str, err: &AliyunError) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("RequestId".into(), request_id.into());
    m.insert("HostId".into(), host_id.into());
    m.insert("Code".into(), err.code.as_str().into());
    m.insert("Message".into(), err.message.clone().into());
    m.insert(
        "Recommend".into(),
        format!(
            "https://api.aliyun.com/troubleshoot?q={}&product=Kms&requestId={request_id}",
            err.code.as_str()
        )
        .into(),
    );
    m
}

/// Renders `body` (which already holds `RequestId`) with `status`.
#[must_use]
pub fn respond(
    format: Format,
    status: u16,
    request_id: &str,
    root: &str,
    body: &Map<String, Value>,
) -> HttpResponse {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut builder = HttpResponse::build(status);
    builder.insert_header(("x-acs-request-id", request_id));
    match format {
        Format::Json => builder
            .content_type("application/json;charset=utf-8")
            .body(serde_json::to_string(body).unwrap_or_default()),
        Format::Xml => builder
            .content_type("text/xml;charset=utf-8")
            .body(to_xml(root, body)),
    }
}

/// The body of a success response: `RequestId`, then the action's fields.
#[must_use]
pub fn success_body(request_id: &str, mut fields: Map<String, Value>) -> Map<String, Value> {
    let mut body = Map::with_capacity(fields.len() + 1);
    body.insert("RequestId".into(), request_id.into());
    body.append(&mut fields);
    body
}

/// Serialises a JSON object as XML under `root`.
#[must_use]
pub fn to_xml(root: &str, body: &Map<String, Value>) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
    out.push('<');
    out.push_str(root);
    out.push('>');
    write_fields(&mut out, body);
    out.push_str("</");
    out.push_str(root);
    out.push('>');
    out
}

fn write_fields(out: &mut String, map: &Map<String, Value>) {
    for (name, value) in map {
        match value {
            Value::Array(items) => {
                for item in items {
                    write_element(out, name, item);
                }
            }
            other => write_element(out, name, other),
        }
    }
}

fn write_element(out: &mut String, name: &str, value: &Value) {
    out.push('<');
    out.push_str(name);
    out.push('>');
    match value {
        Value::Null => {}
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => out.push_str(&quick_xml::escape::escape(s.as_str())),
        Value::Object(m) => write_fields(out, m),
        Value::Array(items) => {
            // An array directly inside an array: repeat the same element name.
            for item in items {
                write_element(out, name, item);
            }
        }
    }
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn xml_of_a_wrapped_list() {
        let body = json!({
            "RequestId": "r1",
            "Keys": {"Key": [{"KeyId": "a", "KeyArn": "x<y"}, {"KeyId": "b", "KeyArn": "z"}]},
            "TotalCount": 2
        });
        assert_eq!(
            to_xml("KMS", body.as_object().unwrap()),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><KMS><RequestId>r1</RequestId><Keys><Key><KeyId>a</KeyId><KeyArn>x&lt;y</KeyArn></Key><Key><KeyId>b</KeyId><KeyArn>z</KeyArn></Key></Keys><TotalCount>2</TotalCount></KMS>"
        );
    }

    #[test]
    fn format_parsing() {
        assert_eq!(Format::parse("json"), Some(Format::Json));
        assert_eq!(Format::parse("XML"), Some(Format::Xml));
        assert_eq!(Format::parse("yaml"), None);
    }
}
