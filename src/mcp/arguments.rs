//! What an assistant is told about an argument that does not fit its tool:
//! the argument's name, what it takes (read from the tool's input schema,
//! [`super::schemas`]) and what it got, e.g. "`wait_seconds` must be a
//! number, got the string \"ten\"". serde's own words ("invalid type: string
//! \"ten\", expected f64") name neither the argument nor the JSON type.
//!
//! Only the shapes the tools' schemas use are read: `type` (string, number,
//! integer, boolean, array with `items`, object with `additionalProperties`)
//! and a choice of constants (`oneOf`/`enum`/`const`, through a `$ref` into
//! `$defs`). A `null` passes where the schema gives no default (an optional
//! argument: serde takes it as absent).

use serde_json::{Map, Value};

/// The first argument that does not fit `schema` (a tool's input schema),
/// said as "`name` must be …, got …"; None when each fits (the fault is
/// elsewhere: a missing or unknown argument, which serde names).
pub fn misfit(schema: &Map<String, Value>, arguments: &Map<String, Value>) -> Option<String> {
    let properties = schema.get("properties")?.as_object()?;
    arguments.iter().find_map(|(name, value)| {
        let property = properties.get(name)?;
        if value.is_null() && property.get("default").is_none() {
            return None;
        }
        let shape = Shape { root: schema };
        (!shape.fits(property, value)).then(|| {
            format!(
                "`{name}` must be {}, got {}",
                shape.expected(property),
                got(value)
            )
        })
    })
}

/// A schema read with its `$defs`.
struct Shape<'a> {
    root: &'a Map<String, Value>,
}

impl Shape<'_> {
    /// The schema itself, or the definition its `$ref` names.
    fn resolved<'s>(&'s self, schema: &'s Value) -> &'s Value {
        schema
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|reference| reference.strip_prefix("#/$defs/"))
            .and_then(|name| self.root.get("$defs")?.get(name))
            .unwrap_or(schema)
    }

    /// The constants a schema allows, when it is a choice of constants.
    fn constants<'s>(&'s self, schema: &'s Value) -> Option<Vec<&'s Value>> {
        let schema = self.resolved(schema);
        if let Some(choices) = schema.get("enum").and_then(Value::as_array) {
            return Some(choices.iter().collect());
        }
        if let Some(constant) = schema.get("const") {
            return Some(vec![constant]);
        }
        let choices = schema.get("oneOf").or_else(|| schema.get("anyOf"))?;
        let mut constants = Vec::new();
        for choice in choices.as_array()? {
            constants.extend(self.constants(choice)?);
        }
        Some(constants)
    }

    fn fits(&self, schema: &Value, value: &Value) -> bool {
        if let Some(constants) = self.constants(schema) {
            return constants.contains(&value);
        }
        let schema = self.resolved(schema);
        match schema.get("type").and_then(Value::as_str) {
            Some("string") => value.is_string(),
            Some("number") => value.is_number(),
            Some("integer") => value.is_i64() || value.is_u64(),
            Some("boolean") => value.is_boolean(),
            Some("array") => value
                .as_array()
                .is_some_and(|items| match schema.get("items") {
                    Some(item) => items.iter().all(|value| self.fits(item, value)),
                    None => true,
                }),
            Some("object") => value.as_object().is_some_and(|entries| {
                match schema.get("additionalProperties").filter(|s| s.is_object()) {
                    Some(each) => entries.values().all(|value| self.fits(each, value)),
                    None => true,
                }
            }),
            _ => true,
        }
    }

    /// What a schema takes, in words.
    fn expected(&self, schema: &Value) -> String {
        if let Some(constants) = self.constants(schema) {
            let quoted: Vec<String> = constants.iter().map(|c| c.to_string()).collect();
            return match quoted.as_slice() {
                [one] => one.clone(),
                [first @ .., last] => format!("one of {} or {last}", first.join(", ")),
                [] => "nothing".to_string(),
            };
        }
        let schema = self.resolved(schema);
        match schema.get("type").and_then(Value::as_str) {
            Some("string") => "a string".to_string(),
            Some("number") => "a number".to_string(),
            Some("integer") => "a whole number".to_string(),
            Some("boolean") => "true or false".to_string(),
            Some("array") => match schema.get("items") {
                Some(item) => format!("an array of {}", plural(&self.expected(item))),
                None => "an array".to_string(),
            },
            Some("object") => match schema.get("additionalProperties").filter(|s| s.is_object()) {
                Some(each) => format!("an object whose every value is {}", self.expected(each)),
                None => "an object".to_string(),
            },
            _ => "something else".to_string(),
        }
    }
}

/// "a string" → "strings", for "an array of strings".
fn plural(single: &str) -> String {
    let bare = single
        .strip_prefix("a ")
        .or_else(|| single.strip_prefix("an "))
        .unwrap_or(single);
    match bare {
        "true or false" => "true or false values".to_string(),
        _ if bare.contains(' ') => format!("values that are each {single}"),
        _ => format!("{bare}s"),
    }
}

/// What an argument was, in words (strings quoted, long ones cut).
fn got(value: &Value) -> String {
    match value {
        Value::Null => "null".to_string(),
        Value::Bool(flag) => flag.to_string(),
        Value::Number(number) => format!("the number {number}"),
        Value::String(text) => {
            let shown: String = text.chars().take(60).collect();
            let cut = if shown.len() < text.len() { "…" } else { "" };
            format!("the string {}{cut}", Value::String(shown))
        }
        Value::Array(_) => "an array".to_string(),
        Value::Object(_) => "an object".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::mcp::params::GenerateParams;
    use crate::mcp::schemas::input;

    fn misfit_of(arguments: Value) -> Option<String> {
        let schema = input::<GenerateParams>();
        misfit(&schema, arguments.as_object().unwrap())
    }

    #[test]
    fn each_misfit_names_the_argument_and_what_it_takes() {
        assert_eq!(
            misfit_of(json!({"prompt": "a cat", "wait_seconds": "ten"})).unwrap(),
            "`wait_seconds` must be a number, got the string \"ten\""
        );
        assert_eq!(
            misfit_of(json!({"prompt": "a cat", "mode": "bogus"})).unwrap(),
            "`mode` must be one of \"thinking\" or \"fast\", got the string \"bogus\""
        );
        assert_eq!(
            misfit_of(json!({"prompt": "a cat", "prefer_models": "x"})).unwrap(),
            "`prefer_models` must be an object whose every value is an array of strings, got the string \"x\""
        );
        assert_eq!(
            misfit_of(json!({"prompt": "a cat", "prefer_models": {"IMAGE": "x"}})).unwrap(),
            "`prefer_models` must be an object whose every value is an array of strings, got an object"
        );
        assert_eq!(
            misfit_of(json!({"prompt": "a cat", "attachments": [1]})).unwrap(),
            "`attachments` must be an array of strings, got an array"
        );
        assert_eq!(
            misfit_of(json!({"prompt": "a cat", "download": null})).unwrap(),
            "`download` must be true or false, got null"
        );
    }

    #[test]
    fn fitting_and_optional_null_arguments_pass() {
        assert_eq!(
            misfit_of(json!({"prompt": "a cat", "mode": "fast", "wait_seconds": 5,
                             "thread_id": null, "prefer_models": {"IMAGE": ["a"]}})),
            None
        );
    }
}
