//! The one client of Lovart's Agent OpenAPI.
//!
//! `client` sends signed requests and unwraps the `{code, message, data}`
//! envelope with the reference's retry rules and error messages; `calls` gives
//! each endpoint a typed method; `sign` owns the HMAC; `upload` the streamed
//! multipart body; `error` the error type commands inspect for hints.

mod calls;
mod client;
mod error;
pub mod sign;
pub mod upload;

pub use calls::{SendRequest, ToolConfig};
pub use client::{ApiClient, ClientSettings, build_http_client, describe_request_error};
pub(crate) use client::{http_error, unwrap_envelope};
pub use error::{ApiError, ApiErrorKind};

/// Every API path starts with this.
pub const PATH_PREFIX: &str = "/v1/openapi";

/// The gateway sits behind bot management: this exact string gets through.
pub const USER_AGENT: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) LovartAgentSkill/1.0";

/// The user agent of the multipart upload.
pub const UPLOAD_USER_AGENT: &str = "LovartAgentSkill/1.0";

/// Python truthiness of a JSON value: null, false, 0, "", [] and {} are false.
pub fn is_truthy(value: &serde_json::Value) -> bool {
    use serde_json::Value;
    match value {
        Value::Null => false,
        Value::Bool(flag) => *flag,
        Value::Number(number) => number.as_f64().is_some_and(|n| n != 0.0),
        Value::String(text) => !text.is_empty(),
        Value::Array(items) => !items.is_empty(),
        Value::Object(map) => !map.is_empty(),
    }
}

/// `urllib.parse.urlencode` of string pairs: `quote_plus`, nothing safe.
pub fn urlencode(pairs: &[(&str, &str)]) -> String {
    fn quote_plus(text: &str, out: &mut String) {
        for byte in text.bytes() {
            match byte {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'.' | b'-' | b'~' => {
                    out.push(byte as char)
                }
                b' ' => out.push('+'),
                _ => out.push_str(&format!("%{byte:02X}")),
            }
        }
    }
    let mut out = String::new();
    for (index, (key, value)) in pairs.iter().enumerate() {
        if index > 0 {
            out.push('&');
        }
        quote_plus(key, &mut out);
        out.push('=');
        quote_plus(value, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn urlencode_matches_python() {
        // urllib.parse.urlencode({"thread_id": "a b/c?&=é~_.-"})
        assert_eq!(
            urlencode(&[("thread_id", "a b/c?&=é~_.-")]),
            "thread_id=a+b%2Fc%3F%26%3D%C3%A9~_.-"
        );
    }

    #[test]
    fn truthiness_follows_python() {
        for falsy in [
            json!(null),
            json!(false),
            json!(0),
            json!(0.0),
            json!(""),
            json!([]),
            json!({}),
        ] {
            assert!(!is_truthy(&falsy), "{falsy} should be falsy");
        }
        for truthy in [
            json!(true),
            json!(1),
            json!(-0.5),
            json!("x"),
            json!([0]),
            json!({"a": null}),
        ] {
            assert!(is_truthy(&truthy), "{truthy} should be truthy");
        }
    }
}
