//! Shared helpers: start a sandbox on 127.0.0.1:0 in a temp dir and talk to
//! it over real HTTP.
#![allow(dead_code)]

use std::collections::HashMap;
use std::time::{Duration, Instant};

use commet_plugin_sandbox::server::{Faults, Sandbox, SandboxConfig};
use serde_json::Value;
use tempfile::TempDir;
use ureq::http;

pub struct Env {
    pub sandbox: Option<Sandbox>,
    pub dir: TempDir,
    pub url: String,
    pub key: String,
    pub agent: ureq::Agent,
}

pub fn agent() -> ureq::Agent {
    let config = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(20)))
        .max_redirects(0)
        .build();
    config.into()
}

pub fn start() -> Env {
    start_with(Faults::default())
}

pub fn start_with(faults: Faults) -> Env {
    let dir = tempfile::tempdir().expect("temp dir");
    let sandbox = Sandbox::start(SandboxConfig {
        port: 0,
        data_dir: dir.path().to_path_buf(),
        faults,
    })
    .expect("sandbox starts");
    Env {
        url: sandbox.url(),
        key: sandbox.api_key(),
        sandbox: Some(sandbox),
        dir,
        agent: agent(),
    }
}

/// A response, decoded.
#[derive(Debug, Clone)]
pub struct Resp {
    pub status: u16,
    pub headers: HashMap<String, String>,
    pub body: Value,
    pub text: String,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }

    /// `error.code` of an error body.
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }

    #[track_caller]
    pub fn ok(self) -> Value {
        assert!(
            (200..300).contains(&self.status),
            "expected success, got {}: {}",
            self.status,
            self.text
        );
        self.body
    }

    #[track_caller]
    pub fn err(self, status: u16, code: &str) -> Value {
        assert_eq!(self.status, status, "unexpected status: {}", self.text);
        assert_eq!(self.code(), code, "unexpected error: {}", self.text);
        self.body
    }
}

/// A request being built.
pub struct Req<'a> {
    env: &'a Env,
    method: &'static str,
    path: String,
    key: Option<String>,
    headers: Vec<(String, String)>,
    body: Option<String>,
}

impl<'a> Req<'a> {
    pub fn key(mut self, key: Option<&str>) -> Self {
        self.key = key.map(str::to_owned);
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn idem(self, key: &str) -> Self {
        self.header("Idempotency-Key", key)
    }

    pub fn json(mut self, body: Value) -> Self {
        self.body = Some(body.to_string());
        self
    }

    pub fn raw(mut self, body: &str) -> Self {
        self.body = Some(body.to_owned());
        self
    }

    pub fn send(self) -> Resp {
        send(
            &self.env.agent,
            &self.env.url,
            self.method,
            &self.path,
            self.key.as_deref(),
            &self.headers,
            self.body,
        )
        .expect("request completes")
    }

    /// Sends, returning transport errors instead of panicking.
    pub fn try_send(self) -> Result<Resp, ureq::Error> {
        send(
            &self.env.agent,
            &self.env.url,
            self.method,
            &self.path,
            self.key.as_deref(),
            &self.headers,
            self.body,
        )
    }
}

pub fn send(
    agent: &ureq::Agent,
    base: &str,
    method: &str,
    path: &str,
    key: Option<&str>,
    headers: &[(String, String)],
    body: Option<String>,
) -> Result<Resp, ureq::Error> {
    let mut builder = http::Request::builder()
        .method(method)
        .uri(format!("{base}{path}"));
    if let Some(key) = key {
        builder = builder.header("x-api-key", key);
    }
    let has_type = headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("content-type"));
    if body.is_some() && !has_type {
        builder = builder.header("content-type", "application/json");
    }
    for (k, v) in headers {
        builder = builder.header(k.as_str(), v.as_str());
    }
    let mut resp = match body {
        Some(b) => agent.run(builder.body(b).expect("request"))?,
        None => agent.run(builder.body(()).expect("request"))?,
    };
    let status = resp.status().as_u16();
    let headers = resp
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_ascii_lowercase(),
                v.to_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    let text = resp.body_mut().read_to_string()?;
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Ok(Resp {
        status,
        headers,
        body,
        text,
    })
}

impl Env {
    pub fn sandbox(&self) -> &Sandbox {
        self.sandbox.as_ref().expect("sandbox running")
    }

    pub fn req(&self, method: &'static str, path: &str) -> Req<'_> {
        Req {
            env: self,
            method,
            path: path.to_owned(),
            key: Some(self.key.clone()),
            headers: Vec::new(),
            body: None,
        }
    }

    pub fn get(&self, path: &str) -> Resp {
        self.req("GET", &format!("/api/v1{path}")).send()
    }

    pub fn post(&self, path: &str, body: Value) -> Resp {
        self.req("POST", &format!("/api/v1{path}"))
            .json(body)
            .send()
    }

    pub fn patch(&self, path: &str, body: Value) -> Resp {
        self.req("PATCH", &format!("/api/v1{path}"))
            .json(body)
            .send()
    }

    pub fn put(&self, path: &str, body: Value) -> Resp {
        self.req("PUT", &format!("/api/v1{path}")).json(body).send()
    }

    pub fn delete(&self, path: &str) -> Resp {
        self.req("DELETE", &format!("/api/v1{path}")).send()
    }

    /// Same as `get` with another key.
    pub fn get_as(&self, key: &str, path: &str) -> Resp {
        self.req("GET", &format!("/api/v1{path}"))
            .key(Some(key))
            .send()
    }

    pub fn post_as(&self, key: &str, path: &str, body: Value) -> Resp {
        self.req("POST", &format!("/api/v1{path}"))
            .key(Some(key))
            .json(body)
            .send()
    }

    /// Stops the server and starts a new one on the same data dir.
    pub fn restart(&mut self) {
        if let Some(s) = self.sandbox.take() {
            s.shutdown();
        }
        let sandbox = Sandbox::start(SandboxConfig {
            port: 0,
            data_dir: self.dir.path().to_path_buf(),
            faults: Faults::default(),
        })
        .expect("sandbox restarts");
        self.url = sandbox.url();
        self.key = sandbox.api_key();
        self.sandbox = Some(sandbox);
        self.agent = agent();
    }

    /// A second organization: `(org id, key)`.
    pub fn other_org(&self) -> (String, String) {
        self.sandbox()
            .create_org("Other Org", "other")
            .expect("org")
    }
}

/// Polls `f` until it returns `Some`, for at most `timeout`.
pub fn wait_for<T>(timeout: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
}
