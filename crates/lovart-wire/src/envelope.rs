//! The `{code, message, data}` envelope and the JSON body of an HTTP error.
//!
//! A non-zero `code` is an error even on HTTP 200 (Python's `code != 0`: `0`,
//! `0.0` and `false` are success); the value of a call is `data` when present,
//! else the whole object. Error bodies are `{code, message, details?}`; the
//! API's own codes for the conditions a client acts on are [`codes`].

use serde_json::{Map, Value, json};

/// The server's `code`s a client can act on.
pub mod codes {
    /// Rate limited (also HTTP 429).
    pub const RATE_LIMITED: i64 = 1429;
    /// The thread is still busy with an earlier message (also HTTP 409).
    pub const THREAD_BUSY: i64 = 2011;
    /// Not enough credits (also HTTP 402).
    pub const INSUFFICIENT_CREDITS: i64 = 2012;
}

/// What an answer's envelope says.
#[derive(Debug, Clone, PartialEq)]
pub enum Opened {
    /// Success: `data`, or the whole answer when it has none (or is not an object).
    Data(Value),
    /// `code` is not zero; `message` as the server sent it (absent: `None`).
    Failure {
        /// The envelope's `code`, any JSON but a zero (usually an integer).
        code: Value,
        /// The envelope's `message`, any JSON; `None` when the key is absent.
        message: Option<Value>,
    },
}

/// Opens an answer's envelope.
pub fn open(answer: Value) -> Opened {
    let Value::Object(mut map) = answer else {
        return Opened::Data(answer);
    };
    if let Some(code) = map.get("code").filter(|code| !code_is_zero(code)) {
        return Opened::Failure {
            code: code.clone(),
            message: map.get("message").cloned(),
        };
    }
    match map.shift_remove("data") {
        Some(data) => Opened::Data(data),
        None => Opened::Data(Value::Object(map)),
    }
}

/// Python's `code == 0` for the envelope's `code`: 0, 0.0 and false.
pub fn code_is_zero(code: &Value) -> bool {
    match code {
        Value::Bool(flag) => !flag,
        Value::Number(number) => number.as_f64() == Some(0.0),
        _ => false,
    }
}

/// A successful answer: `{"code": 0, "message": "ok", "data": data}`.
pub fn success(data: Value) -> Value {
    json!({"code": 0, "message": "ok", "data": data})
}

/// An error body: `{"code", "message", "details"?}`.
pub fn error_body(code: i64, message: &str, details: Option<&str>) -> Value {
    let mut body = Map::new();
    body.insert("code".into(), json!(code));
    body.insert("message".into(), json!(message));
    if let Some(details) = details {
        body.insert("details".into(), json!(details));
    }
    Value::Object(body)
}

/// The fields of an error body, as read by a client.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ErrorBody {
    /// `code`: the API's own code (see [`codes`]) or an HTTP status, as sent.
    pub code: Option<Value>,
    /// `message`: the server's sentence.
    pub message: Option<Value>,
    /// `error`: what some gateways send instead of `message`.
    pub error: Option<Value>,
    /// `details`: more about the failure (the thread of a 409, a field's fault).
    pub details: Option<Value>,
}

impl ErrorBody {
    /// The body's fields when it is a JSON object; `None` otherwise.
    pub fn parse(body: &[u8]) -> Option<Self> {
        Self::from_value(serde_json::from_slice::<Value>(body).ok()?)
    }

    /// The fields of an already parsed body when it is a JSON object (a client
    /// parses leniently first); `None` otherwise.
    pub fn from_value(body: Value) -> Option<Self> {
        let Value::Object(map) = body else {
            return None;
        };
        Some(Self {
            code: map.get("code").cloned(),
            message: map.get("message").cloned(),
            error: map.get("error").cloned(),
            details: map.get("details").cloned(),
        })
    }

    /// The server's numeric code, when it is an integer.
    pub fn numeric_code(&self) -> Option<i64> {
        self.code.as_ref().and_then(Value::as_i64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_or_the_whole_object() {
        assert_eq!(
            open(json!({"code": 0, "data": {"a": 1}})),
            Opened::Data(json!({"a": 1}))
        );
        assert_eq!(
            open(json!({"valid": true})),
            Opened::Data(json!({"valid": true}))
        );
        assert_eq!(open(json!([1])), Opened::Data(json!([1])));
    }

    #[test]
    fn non_zero_code_fails_even_with_data() {
        assert_eq!(
            open(json!({"code": 2011, "message": "busy", "data": {}})),
            Opened::Failure {
                code: json!(2011),
                message: Some(json!("busy"))
            }
        );
        assert!(code_is_zero(&json!(false)));
        assert!(code_is_zero(&json!(0.0)));
        assert!(!code_is_zero(&json!("0")));
    }

    #[test]
    fn error_bodies_round_trip() {
        let body = error_body(409, "busy", Some("thread t1"));
        let parsed = ErrorBody::parse(body.to_string().as_bytes()).unwrap();
        assert_eq!(parsed.numeric_code(), Some(409));
        assert_eq!(parsed.details, Some(json!("thread t1")));
        assert_eq!(ErrorBody::parse(b"<html>"), None);
    }
}
