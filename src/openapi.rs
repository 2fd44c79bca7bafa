//! What the two OpenAPI 3.1 documents share. Each dialect builds its document from its
//! catalogue (`aliyun::openapi`, `aws::openapi`); this module holds the schema generator
//! (JSON Schema 2020-12, the dialect of OpenAPI 3.1, with every subschema inline so that
//! each operation reads on its own), the document's frame, and small JSON helpers.
//!
//! Both APIs multiplex one path (`POST /`), told apart by the `Action` parameter or the
//! `X-Amz-Target` header, which OpenAPI cannot key operations on. Each operation gets a
//! path of its own whose fragment names it (`/#Action=Encrypt`, `/#TrentService.Encrypt`):
//! the documents stay valid OpenAPI 3.1, generic tools list one operation per action, and
//! the fragment is never sent (HTTP clients drop it), so their requests reach `POST /`
//! with the `Action` parameter or `X-Amz-Target` header that the operation requires as a
//! single-valued enum.

use schemars::generate::SchemaSettings;
use schemars::{Schema, SchemaGenerator};
use serde_json::{Map, Value, json};

use crate::protocol::Spec;

/// The schema generator both documents use.
#[must_use]
pub fn generator() -> SchemaGenerator {
    SchemaSettings::draft2020_12()
        .with(|s| {
            s.inline_subschemas = true;
            s.meta_schema = None;
        })
        .into_generator()
}

/// A schema as a JSON object (a `true` schema becomes `{}`), without the `null` that
/// schemars adds for `Option`s: both APIs leave out what they do not send, never null.
#[must_use]
pub fn object(schema: Schema) -> Map<String, Value> {
    let mut value = schema.to_value();
    strip_null(&mut value);
    match value {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

fn strip_null(v: &mut Value) {
    match v {
        Value::Object(m) => {
            if let Some(Value::Array(types)) = m.get_mut("type") {
                types.retain(|t| t != "null");
                if let [only] = types.as_slice() {
                    let only = only.clone();
                    m.insert("type".into(), only);
                }
            }
            if let Some(Value::Array(names)) = m.get_mut("enum") {
                names.retain(|n| !n.is_null());
            }
            if let Some(Value::Array(any)) = m.get_mut("anyOf") {
                any.retain(|s| s.get("type").is_none_or(|t| t != "null"));
                if let [only] = any.as_slice() {
                    let Value::Object(inner) = only.clone() else {
                        return;
                    };
                    m.remove("anyOf");
                    for (k, val) in inner {
                        m.entry(k).or_insert(val);
                    }
                }
            }
            m.values_mut().for_each(strip_null);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_null),
        _ => {}
    }
}

/// The request schema of `spec`, with `required` as its members' types say (a member
/// with a default, such as a flag, is optional even where the type is not an `Option`).
#[must_use]
pub fn request_schema(spec: &Spec, generator: &mut SchemaGenerator) -> Map<String, Value> {
    let mut schema = object((spec.request)(generator));
    let required: Vec<Value> = spec
        .fields
        .iter()
        .filter(|f| f.required)
        .map(|f| f.name.into())
        .collect();
    schema.remove("required");
    if !required.is_empty() {
        schema.insert("required".into(), required.into());
    }
    schema
}

/// The properties of an object schema.
#[must_use]
pub fn properties(schema: &Map<String, Value>) -> Map<String, Value> {
    schema
        .get("properties")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
}

/// The operation's extensions: its permission, where it runs, and its secret members.
#[must_use]
pub fn extensions(spec: &Spec) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("x-qkms-permission".into(), spec.permission.into());
    m.insert(
        "x-qkms-runs".into(),
        match spec.runs {
            crate::protocol::Runs::InlineWhenCached => "inline-when-cached",
            crate::protocol::Runs::Blocking => "blocking",
        }
        .into(),
    );
    m.insert("x-qkms-secrets".into(), json!(spec.secrets));
    m
}

/// The whole document.
#[must_use]
pub fn document(
    title: &str,
    description: &str,
    security_schemes: Value,
    paths: Map<String, Value>,
    tags: &[&str],
) -> Value {
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": title,
            "version": env!("CARGO_PKG_VERSION"),
            "description": description,
            "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"},
        },
        "servers": [{"url": "/", "description": "The qkms that serves this document."}],
        "tags": tags.iter().map(|t| json!({"name": t})).collect::<Vec<_>>(),
        "paths": paths,
        "components": {"securitySchemes": security_schemes},
    })
}

/// The families of a catalogue, in first-seen order (the document's tags).
#[must_use]
pub fn families(specs: impl Iterator<Item = Spec>) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for s in specs {
        if !out.contains(&s.family) {
            out.push(s.family);
        }
    }
    out
}

/// One path per action, keyed `{prefix}{name}` (the fragment tells the operations apart in
/// the document; HTTP clients drop it), each a `post` built by `operation`.
pub fn paths(
    specs: impl Iterator<Item = Spec>,
    prefix: &str,
    operation: fn(&Spec, &mut SchemaGenerator) -> Value,
) -> Map<String, Value> {
    let mut generator = generator();
    specs
        .map(|spec| {
            let op = operation(&spec, &mut generator);
            (format!("{prefix}{}", spec.name), json!({ "post": op }))
        })
        .collect()
}

/// Checks a dialect's catalogue: the README holds its generated table, every permission is
/// `kms:<name>`, and each secret field is a member of the request or of the answer.
///
/// # Panics
/// On the first violation (it is called by tests only).
#[cfg(test)]
pub fn check_catalogue(what: &str, service: &str, specs: &[Spec], readme: &str) {
    let table = crate::protocol::markdown_table(what, specs.iter().copied());
    assert!(readme.contains(&table), "README lacks this table:\n{table}");
    for spec in specs {
        assert_eq!(spec.permission, format!("{service}:{}", spec.name));
        let mut generator = generator();
        let answer = properties(&object((spec.response)(&mut generator)));
        for secret in spec.secrets {
            assert!(
                spec.fields.iter().any(|f| f.name == *secret) || answer.contains_key(*secret),
                "{}: {secret}",
                spec.name
            );
        }
    }
}
