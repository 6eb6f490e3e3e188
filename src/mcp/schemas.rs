//! The tools' JSON Schemas as a strict client reads them, and the icons.
//!
//! Input schemas come from the argument types ([`super::params`]) through
//! rmcp, then lose the `"type": [X, "null"]` unions and `anyOf [X, null]`
//! that schemars writes for an `Option`: some clients refuse a union type,
//! and an omitted argument already means "absent", so `null` adds nothing
//! (a client that sends `null` anyway is still accepted by serde).
//!
//! Output schemas describe what each tool puts in `structuredContent`: the
//! object the CLI prints with `--json`, or the CLI's error object
//! `{"error": {...}}` of an `isError` result. Server data passes through, so
//! they name the keys a program relies on and allow more.
//!
//! An argument that does not fit its schema is turned into the same
//! `isError` result as every other failure (`kind: "invalid_input"`) by
//! [`invalid_arguments`], instead of rmcp's plain text.

use std::sync::Arc;

use rmcp::model::{CallToolResult, Icon, JsonObject};
use schemars::JsonSchema;
use serde_json::{Map, Value, json};

use lovart_core::failure::InvalidInput;

/// The prefix rmcp gives an argument that fails to deserialize.
const ARGUMENT_ERROR_PREFIX: &str = "failed to deserialize parameters:";

/// The input schema of `T`, without null unions.
pub fn input<T: JsonSchema + std::any::Any>() -> Arc<JsonObject> {
    let schema = rmcp::handler::server::common::schema_for_input::<T>()
        .unwrap_or_else(|error| panic!("the input schema of a tool is invalid: {error}"));
    let mut schema = Value::Object((*schema).clone());
    strip_null_unions(&mut schema);
    let Value::Object(schema) = schema else {
        unreachable!("a schema stays an object")
    };
    Arc::new(schema)
}

/// Removes `null` from every `type` array (a single type is left as a
/// string) and every `{"type": "null"}` arm of an `anyOf`/`oneOf` (a single
/// arm left replaces the union), at any depth.
pub fn strip_null_unions(schema: &mut Value) {
    match schema {
        Value::Object(object) => {
            if let Some(Value::Array(types)) = object.get_mut("type") {
                types.retain(|kind| kind != "null");
                if types.len() == 1 {
                    let only = types.remove(0);
                    object.insert("type".into(), only);
                }
            }
            for union in ["anyOf", "oneOf"] {
                let Some(Value::Array(arms)) = object.get_mut(union) else {
                    continue;
                };
                arms.retain(|arm| arm.get("type") != Some(&json!("null")));
                if arms.len() == 1 {
                    let Some(Value::Object(arm)) = arms.pop() else {
                        continue;
                    };
                    object.remove(union);
                    for (key, value) in arm {
                        object.entry(key).or_insert(value);
                    }
                }
            }
            if object.get("default") == Some(&Value::Null) {
                object.remove("default");
            }
            for value in object.values_mut() {
                strip_null_unions(value);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(strip_null_unions),
        _ => {}
    }
}

/// The CLI's JSON error object, as every output schema allows it.
fn error_object() -> Value {
    json!({
        "type": "object",
        "description": "The failure (isError results only): the CLI's --json error object.",
        "properties": {
            "kind": {"type": "string", "description": "auth, insufficient_credits, rate_limited, thread_busy, not_found, invalid_input, server, network, timeout, interrupted or local"},
            "message": {"type": "string"},
            "http_status": {"type": ["integer", "null"]},
            "code": {},
            "retry_after_s": {"type": ["integer", "null"]},
            "retryable": {"type": "boolean"},
            "thread_id": {"type": ["string", "null"], "description": "The billed thread the failure happened in, when there is one."},
            "hint": {"type": ["string", "null"]}
        },
        "required": ["kind", "message", "retryable"]
    })
}

/// An output schema: `properties`, of which `required` must be present on
/// success; a failure is `{"error": {...}}` instead.
fn output(properties: Value, required: &[&str]) -> Arc<JsonObject> {
    let mut properties = match properties {
        Value::Object(properties) => properties,
        _ => Map::new(),
    };
    properties.insert("error".into(), error_object());
    let schema = json!({
        "type": "object",
        "properties": properties,
        "anyOf": [{"required": required}, {"required": ["error"]}],
        "additionalProperties": true
    });
    let Value::Object(schema) = schema else {
        unreachable!()
    };
    Arc::new(schema)
}

/// `generate`, `wait`, `confirm` and `result`: what `chat --json`,
/// `wait --json`, `confirm --json` and `result` print.
pub fn generation() -> Arc<JsonObject> {
    output(
        json!({
            "thread_id": {"type": "string", "description": "The Lovart thread: pass it to wait, confirm, result or generate (to refine)."},
            "project_id": {"type": ["string", "null"]},
            "final_status": {"type": "string", "enum": ["done", "running", "pending_confirmation", "abort"], "description": "How the call ended (not in `result`)."},
            "status": {"type": "string", "description": "The thread's own status, as the server gives it."},
            "items": {"type": "array", "description": "The thread's items: assistant texts and generator artifacts."},
            "pending_confirmation": {"description": "A high-cost step that waits for the user's approval (message, estimated_cost)."},
            "generation_succeeded": {"type": "boolean"},
            "warning": {"type": "string"},
            "agent_message": {"type": "string"},
            "project_name": {"type": "string"},
            "approved_by_user": {"type": "boolean", "description": "The user approved a high-cost step during this call."},
            "warnings": {"type": "array", "items": {"type": "string"}, "description": "What went wrong without stopping the call: a tool name the catalog does not know, a state file not saved."},
            "downloaded": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "type": {"type": "string"},
                        "url": {"type": "string"},
                        "local_path": {"type": ["string", "null"]},
                        "new": {"type": "boolean"},
                        "error": {"type": "string"}
                    },
                    "required": ["url", "local_path"]
                }
            }
        }),
        &["thread_id"],
    )
}

/// `status`: the server's status object.
pub fn status() -> Arc<JsonObject> {
    output(
        json!({"status": {"type": "string", "description": "running, done or abort"}}),
        &["status"],
    )
}

/// `upload`: the uploaded file's URL.
pub fn upload() -> Arc<JsonObject> {
    output(json!({"url": {"type": "string"}}), &["url"])
}

/// `models`: the catalog.
pub fn models() -> Arc<JsonObject> {
    output(
        json!({
            "source": {"type": "string", "enum": ["live", "builtin"]},
            "tools": {"type": "array", "items": {"type": "object", "properties": {
                "name": {"type": "string"},
                "display_name": {"type": "string"},
                "category": {"type": "string"}
            }}}
        }),
        &["source", "tools"],
    )
}

/// `threads`: the saved threads.
pub fn threads() -> Arc<JsonObject> {
    output(
        json!({"threads": {"type": "array", "items": {"type": "object", "properties": {
            "id": {"type": "string"},
            "project_id": {"type": ["string", "null"]},
            "topic": {"type": "string"},
            "updated_at": {"type": "string"}
        }}}}),
        &["threads"],
    )
}

/// `projects`: the known projects and the active one.
pub fn projects() -> Arc<JsonObject> {
    output(
        json!({
            "active": {"type": ["string", "null"]},
            "projects": {"type": "object", "additionalProperties": {"type": "object"}}
        }),
        &["active", "projects"],
    )
}

/// `query_mode` and `set_mode`.
pub fn mode() -> Arc<JsonObject> {
    output(
        json!({
            "mode": {"type": "string", "enum": ["fast", "unlimited"]},
            "detail": {"description": "The server's answer."}
        }),
        &["mode"],
    )
}

/// Lovart's mark (a white L on black), drawn inline so no network is needed.
const ICON_SVG: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="64" height="64" rx="14" fill="#111"/><path d="M22 16v32h22" stroke="#fff" stroke-width="8" fill="none" stroke-linecap="round" stroke-linejoin="round"/></svg>"##;

/// The server's and every tool's icon, as a `data:` URI.
pub fn icons() -> Vec<Icon> {
    use base64::Engine as _;
    let data = base64::engine::general_purpose::STANDARD.encode(ICON_SVG);
    vec![
        Icon::new(format!("data:image/svg+xml;base64,{data}"))
            .with_mime_type("image/svg+xml")
            .with_sizes(vec!["any".to_string()]),
    ]
}

/// The `isError` result for arguments that do not fit the tool's schema, or
/// None when `result` is not rmcp's argument error. The message names the
/// argument and what it takes ([`super::arguments::misfit`], from the
/// tool's `schema` and the call's `arguments`), else it is serde's (a
/// missing or unknown argument, which serde names).
pub fn invalid_arguments(
    tool: &str,
    result: &CallToolResult,
    schema: Option<&JsonObject>,
    arguments: Option<&JsonObject>,
) -> Option<CallToolResult> {
    if result.is_error != Some(true) || result.structured_content.is_some() {
        return None;
    }
    let text = result.content.first()?.as_text()?.text.as_str();
    let serde_why = text.strip_prefix(ARGUMENT_ERROR_PREFIX)?.trim();
    let why = match (schema, arguments) {
        (Some(schema), Some(arguments)) => super::arguments::misfit(schema, arguments),
        _ => None,
    };
    let why = why
        .or_else(|| required(schema, serde_why))
        .unwrap_or_else(|| serde_why.to_string());
    let error = anyhow::Error::new(InvalidInput(format!(
        "invalid arguments for `{tool}`: {why}"
    )));
    Some(super::results::error(&error))
}

/// serde's "missing field `x`" as "`x` is required: <what it takes>", what
/// it takes read from the tool's input schema.
fn required(schema: Option<&JsonObject>, serde_why: &str) -> Option<String> {
    let name = serde_why
        .strip_prefix("missing field `")?
        .split('`')
        .next()?;
    let kind = schema
        .and_then(|schema| schema.get("properties"))
        .and_then(|properties| properties.get(name))
        .and_then(|property| property.get("type"))
        .and_then(Value::as_str);
    let takes = match kind {
        Some("string") => ": a string",
        Some("number") => ": a number",
        Some("integer") => ": a whole number",
        Some("boolean") => ": true or false",
        Some("array") => ": a list",
        Some("object") => ": an object",
        _ => "",
    };
    Some(format!("`{name}` is required{takes}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn null_unions_become_plain_types() {
        let mut schema = json!({"properties": {
            "a": {"type": ["string", "null"], "default": null},
            "b": {"anyOf": [{"$ref": "#/$defs/Mode"}, {"type": "null"}], "description": "d"},
            "c": {"type": ["array", "null"], "items": {"type": ["number", "null"]}}
        }});
        strip_null_unions(&mut schema);
        assert_eq!(
            schema,
            json!({"properties": {
                "a": {"type": "string"},
                "b": {"$ref": "#/$defs/Mode", "description": "d"},
                "c": {"type": "array", "items": {"type": "number"}}
            }})
        );
    }

    #[test]
    fn generate_has_no_union_left() {
        let schema = Value::Object((*input::<super::super::params::GenerateParams>()).clone());
        let text = schema.to_string();
        assert!(!text.contains("\"null\""), "{text}");
        assert_eq!(schema["properties"]["wait_seconds"]["type"], "number");
    }

    #[test]
    fn argument_errors_become_invalid_input() {
        let rmcp_error = CallToolResult::error(vec![rmcp::model::ContentBlock::text(
            "failed to deserialize parameters: missing field `prompt`",
        )]);
        let result = invalid_arguments("generate", &rmcp_error, None, None).unwrap();
        let object = result.structured_content.unwrap();
        assert_eq!(object["error"]["kind"], "invalid_input");
        assert_eq!(
            object["error"]["message"],
            "invalid arguments for `generate`: `prompt` is required"
        );
        // With the tool's schema, what it takes too.
        let schema = input::<super::super::params::GenerateParams>();
        let result = invalid_arguments("generate", &rmcp_error, Some(&schema), None).unwrap();
        assert_eq!(
            result.structured_content.unwrap()["error"]["message"],
            "invalid arguments for `generate`: `prompt` is required: a string"
        );
    }
}
