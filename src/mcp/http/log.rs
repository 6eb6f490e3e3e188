//! The access log: one line on stderr per HTTP request, written when its
//! response is over (for a tool call, when the call is), such as
//!
//! ```text
//! lovart mcp: alice POST /mcp tools/call generate 200 12.031s
//! ```
//!
//! client (token name or address), HTTP method, path, JSON-RPC method, tool,
//! status, duration. Never arguments, headers, keys or tokens; the names a
//! client sent are cut to a safe alphabet and length so a line cannot be
//! forged or flooded.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;
use tokio::time::Instant;

/// Longest JSON-RPC method or tool name written.
const MAX_NAME_CHARS: usize = 64;

/// One request's line, written when it is dropped.
pub struct AccessEntry {
    client: String,
    method: String,
    path: String,
    rpc_method: String,
    tool: String,
    status: u16,
    start: Instant,
    in_flight: Arc<AtomicUsize>,
}

impl AccessEntry {
    /// Starts a line; `in_flight` counts the entries alive.
    pub fn start(method: &str, path: &str, client: String, in_flight: Arc<AtomicUsize>) -> Self {
        in_flight.fetch_add(1, Ordering::Relaxed);
        Self {
            client,
            method: method.to_string(),
            path: safe(path),
            rpc_method: "-".into(),
            tool: "-".into(),
            status: 0,
            start: Instant::now(),
            in_flight,
        }
    }

    pub fn set_client(&mut self, client: &str) {
        self.client = client.to_string();
    }

    /// The JSON-RPC method and tool of a request body (nothing else of it).
    pub fn set_call(&mut self, body: &[u8]) {
        let (rpc_method, tool) = call_of(body);
        self.rpc_method = rpc_method;
        self.tool = tool;
    }

    pub fn set_status(&mut self, status: u16) {
        self.status = status;
    }

    pub fn line(&self) -> String {
        format!(
            "lovart mcp: {} {} {} {} {} {} {:.3}s",
            self.client,
            self.method,
            self.path,
            self.rpc_method,
            self.tool,
            self.status,
            self.start.elapsed().as_secs_f64()
        )
    }
}

impl Drop for AccessEntry {
    fn drop(&mut self) {
        self.in_flight.fetch_sub(1, Ordering::Relaxed);
        eprintln!("{}", self.line());
    }
}

/// (JSON-RPC method, tool) of a body: `-` where there is none, `batch` for an array.
fn call_of(body: &[u8]) -> (String, String) {
    let dash = || "-".to_string();
    if body.is_empty() {
        return (dash(), dash());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(message)) => {
            let method = message.get("method").and_then(Value::as_str);
            let tool = match method {
                Some("tools/call") => message
                    .get("params")
                    .and_then(|params| params.get("name"))
                    .and_then(Value::as_str)
                    .map(safe),
                _ => None,
            };
            (method.map_or_else(dash, safe), tool.unwrap_or_else(dash))
        }
        Ok(Value::Array(_)) => ("batch".into(), dash()),
        _ => ("invalid".into(), dash()),
    }
}

/// A client-chosen name cut to `[A-Za-z0-9_./:-]` and [`MAX_NAME_CHARS`].
fn safe(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .take(MAX_NAME_CHARS)
        .map(|c| {
            if c.is_ascii_alphanumeric() || "_./:-".contains(c) {
                c
            } else {
                '?'
            }
        })
        .collect();
    if cleaned.is_empty() {
        "-".into()
    } else {
        cleaned
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tool_call_logs_its_method_and_tool_only() {
        let body = br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"generate","arguments":{"prompt":"secret plan"}}}"#;
        let mut entry = AccessEntry::start("POST", "/mcp", "alice".into(), Arc::default());
        entry.set_call(body);
        entry.set_status(200);
        let line = entry.line();
        assert!(
            line.starts_with("lovart mcp: alice POST /mcp tools/call generate 200 "),
            "{line}"
        );
        assert!(!line.contains("secret"), "{line}");
    }

    #[test]
    fn hostile_names_cannot_forge_lines() {
        let body = format!(
            r#"{{"method":"tools/call","params":{{"name":"x\nlovart mcp: admin{}"}}}}"#,
            "y".repeat(500)
        );
        let (method, tool) = call_of(body.as_bytes());
        assert_eq!(method, "tools/call");
        assert!(!tool.contains('\n') && !tool.contains(' '));
        assert_eq!(tool.chars().count(), MAX_NAME_CHARS);
        assert_eq!(call_of(b"not json"), ("invalid".into(), "-".into()));
        assert_eq!(call_of(b"[]"), ("batch".into(), "-".into()));
        assert_eq!(call_of(b""), ("-".into(), "-".into()));
        assert_eq!(
            call_of(br#"{"method":"tools/list"}"#),
            ("tools/list".into(), "-".into())
        );
    }

    #[test]
    fn entries_count_while_alive() {
        let in_flight = Arc::new(AtomicUsize::new(0));
        let entry = AccessEntry::start("GET", "/healthz", "-".into(), in_flight.clone());
        assert_eq!(in_flight.load(Ordering::Relaxed), 1);
        drop(entry);
        assert_eq!(in_flight.load(Ordering::Relaxed), 0);
    }
}
