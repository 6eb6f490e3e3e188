//! The sandbox driven over HTTP, as a client sees it: a signing client and
//! helpers here, the tests by area below.

mod files;
mod generations;
mod limits;
mod protocol;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::{Fault, SandboxHandle, SandboxOptions};
use lovart_wire::sign::{signed_headers, timestamp_now};

struct Client {
    http: reqwest::Client,
    base: String,
    access_key: String,
    secret_key: String,
}

/// A fast sandbox and a client signing with its keys.
fn start() -> (SandboxHandle, Client) {
    let sandbox = SandboxHandle::start(SandboxOptions {
        fast: true,
        ..SandboxOptions::default()
    });
    let client = Client {
        http: reqwest::Client::new(),
        base: sandbox.base_url(),
        access_key: "ak_sandbox".into(),
        secret_key: "sk_sandbox".into(),
    };
    (sandbox, client)
}

impl Client {
    async fn send(
        &self,
        method: Method,
        path: &str,
        query: &str,
        body: Option<Value>,
    ) -> (StatusCode, reqwest::header::HeaderMap, Value) {
        let path = format!("/v1/openapi{path}");
        let url = format!("{}{path}{query}", self.base);
        let mut request = self.http.request(method.clone(), url);
        for (name, value) in signed_headers(
            &self.access_key,
            &self.secret_key,
            method.as_str(),
            &path,
            &timestamp_now(),
        ) {
            request = request.header(name, value);
        }
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        (
            status,
            headers,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// `data` of a call that must succeed.
    async fn ok(&self, method: Method, path: &str, query: &str, body: Option<Value>) -> Value {
        let (status, _, answer) = self.send(method, path, query, body).await;
        assert_eq!(status, StatusCode::OK, "{path}: {answer}");
        assert_eq!(answer["code"], 0, "{path}: {answer}");
        answer["data"].clone()
    }

    async fn project(&self) -> String {
        let body = json!({"project_id": "", "canvas": "", "project_cover_list": [], "pic_count": 0, "project_type": 3});
        let data = self.ok(Method::POST, "/project/save", "", Some(body)).await;
        data["project_id"].as_str().unwrap().to_string()
    }

    async fn chat(&self, project_id: &str, prompt: &str) -> (StatusCode, Value) {
        let (status, _, answer) = self
            .send(
                Method::POST,
                "/chat",
                "",
                Some(json!({"prompt": prompt, "project_id": project_id})),
            )
            .await;
        (status, answer)
    }

    async fn thread(&self, project_id: &str, prompt: &str) -> String {
        let (status, answer) = self.chat(project_id, prompt).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        answer["data"]["thread_id"].as_str().unwrap().to_string()
    }

    async fn status(&self, thread_id: &str) -> String {
        let data = self
            .ok(
                Method::GET,
                "/chat/status",
                &format!("?thread_id={thread_id}"),
                None,
            )
            .await;
        data["status"].as_str().unwrap().to_string()
    }

    async fn result(&self, thread_id: &str) -> Value {
        self.ok(
            Method::GET,
            "/chat/result",
            &format!("?thread_id={thread_id}"),
            None,
        )
        .await
    }

    async fn fetch(&self, url: &str) -> (StatusCode, Option<u64>, Vec<u8>) {
        let response = self.http.get(url).send().await.unwrap();
        let length = response.content_length();
        (
            response.status(),
            length,
            response.bytes().await.unwrap().to_vec(),
        )
    }
}

fn artifacts(result: &Value) -> Vec<(String, String)> {
    result["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|item| item["artifacts"].as_array())
        .flatten()
        .map(|artifact| {
            (
                artifact["type"].as_str().unwrap().into(),
                artifact["content"].as_str().unwrap().into(),
            )
        })
        .collect()
}
