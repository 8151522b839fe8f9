//! The one HTTP client: protocol headers, credentials, idempotency keys,
//! retries and timeouts.

use std::time::{Duration, Instant};

use commet_sdk::services::StreamBatch;
use commet_sdk::wire::{Api, ApiError, ApiRequest, ApiResponse};
use serde_json::Value;

use super::retry::{self, Decision};
use super::target::Target;
use crate::auth::{Credential, Credentials, Scheme};

/// An open server-sent-events response and its parser state.
pub struct OpenStream {
    response: reqwest::Response,
    parser: SseParser,
}

/// Splits a server-sent-events byte stream into the `data` of each event.
#[derive(Default)]
struct SseParser {
    pending: Vec<u8>,
    data: Vec<String>,
}

impl SseParser {
    fn feed(&mut self, bytes: &[u8]) -> Vec<String> {
        self.pending.extend_from_slice(bytes);
        let mut events = Vec::new();
        while let Some(pos) = self.pending.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.pending.drain(..=pos).collect();
            let line = String::from_utf8_lossy(&line);
            let line = line.trim_end_matches(['\n', '\r']);
            if line.is_empty() {
                if !self.data.is_empty() {
                    events.push(self.data.join("\n"));
                    self.data.clear();
                }
            } else if let Some(rest) = line.strip_prefix("data:") {
                self.data
                    .push(rest.strip_prefix(' ').unwrap_or(rest).to_owned());
            }
            // `event:`, `id:`, `retry:` and `:` comments (keep-alives) are ignored.
        }
        events
    }
}
use crate::error::{CliError, CliResult};

/// The API version every request asks for.
pub const API_VERSION: &str = "2026-07-31";

pub struct ApiClient {
    runtime: tokio::runtime::Runtime,
    http: reqwest::Client,
    /// Like `http` but without the total time limit, for long-lived streams.
    streaming: std::cell::OnceCell<reqwest::Client>,
    target: Target,
    credentials: Credentials,
}

impl ApiClient {
    pub fn new(target: Target, credentials: Credentials) -> CliResult<ApiClient> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| CliError::failed(format!("could not start the network runtime: {e}")))?;
        let http = reqwest::Client::builder()
            .user_agent(user_agent())
            .timeout(retry::REQUEST_TIMEOUT)
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| CliError::failed(format!("could not set up HTTP: {e}")))?;
        Ok(ApiClient {
            runtime,
            http,
            streaming: std::cell::OnceCell::new(),
            target,
            credentials,
        })
    }

    fn credential_for(&self, api: Api) -> Option<&Credential> {
        match api {
            Api::V1 => self.credentials.for_api(),
            Api::Cli => self.credentials.for_cli(),
            Api::Auth | Api::Root => None,
        }
    }

    /// The full URL of a request (without the query string).
    pub fn url(&self, request: &ApiRequest) -> String {
        let prefix = match request.api {
            Api::V1 => "/api/v1",
            Api::Cli => "/api/cli",
            Api::Auth => "/api/auth",
            Api::Root => "",
        };
        format!("{}{}{}", self.target.origin, prefix, request.path)
    }

    fn method_and_credential(
        &self,
        request: &ApiRequest,
    ) -> CliResult<(reqwest::Method, Option<&Credential>)> {
        let method = reqwest::Method::from_bytes(request.method.to_ascii_uppercase().as_bytes())
            .map_err(|_| CliError::failed(format!("invalid HTTP method '{}'", request.method)))?;
        let credential = self.credential_for(request.api);
        if request.api == Api::V1 && credential.is_none() {
            return Err(crate::auth::missing_credentials(
                self.target.local,
                self.credentials.login.is_some(),
            ));
        }
        if request.api == Api::Cli && credential.is_none() {
            return Err(CliError::failed("you are not logged in")
                .with_hint("run `commet login`, or set COMMET_API_KEY"));
        }
        Ok((method, credential))
    }

    /// A request with the protocol headers and credentials.
    fn builder(
        &self,
        client: &reqwest::Client,
        method: &reqwest::Method,
        request: &ApiRequest,
        credential: Option<&Credential>,
        idempotency_key: Option<&str>,
        accept: &str,
    ) -> reqwest::RequestBuilder {
        let mut builder = client
            .request(method.clone(), self.url(request))
            .query(&query_pairs(&request.query))
            .header("commet-version", API_VERSION)
            .header("accept", accept);
        if let Some(credential) = credential {
            builder = match credential.scheme {
                Scheme::ApiKey => builder.header("x-api-key", credential.secret()),
                Scheme::Bearer => builder.bearer_auth(credential.secret()),
            };
        }
        if let Some(key) = idempotency_key {
            builder = builder.header("Idempotency-Key", key);
        }
        if let Some(body) = &request.body {
            builder = builder.json(body);
        }
        builder
    }

    /// Sends a request, retrying per the official policy. Any HTTP answer is
    /// `Ok`, including errors; `Err` means no answer could be had.
    pub fn send(&self, request: &ApiRequest) -> CliResult<ApiResponse> {
        let (method, credential) = self.method_and_credential(request)?;
        // One key per logical write, reused by every retry so the server
        // applies the write once.
        let idempotency_key = request.is_write().then(|| {
            request
                .idempotency_key
                .clone()
                .unwrap_or_else(|| uuid::Uuid::new_v4().to_string())
        });
        let url = self.url(request);

        let mut retry = 0;
        loop {
            let builder = self.builder(
                &self.http,
                &method,
                request,
                credential,
                idempotency_key.as_deref(),
                "application/json",
            );
            let started = Instant::now();
            tracing::debug!(
                "{} {} (attempt {}{})",
                method,
                url,
                retry + 1,
                idempotency_key
                    .as_deref()
                    .map(|k| format!(", idempotency key {k}"))
                    .unwrap_or_default()
            );
            let outcome = self.runtime.block_on(async {
                let response = builder.send().await?;
                let status = response.status().as_u16();
                let header = |name: &str| {
                    response
                        .headers()
                        .get(name)
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned)
                };
                let request_id = header("x-request-id");
                let retry_after = header("retry-after");
                let bytes = response.bytes().await?;
                Ok::<_, reqwest::Error>((status, request_id, retry_after, bytes))
            });
            match outcome {
                Ok((status, request_id, retry_after, bytes)) => {
                    tracing::debug!(
                        "HTTP {status} in {} ms{}",
                        started.elapsed().as_millis(),
                        request_id
                            .as_deref()
                            .map(|id| format!(" (request id {id})"))
                            .unwrap_or_default()
                    );
                    match retry::decide(status, retry_after.as_deref(), retry) {
                        Decision::RetryAfter(wait) => {
                            tracing::info!(
                                "HTTP {status}; retrying in {:.1} s ({} of {})",
                                wait.as_secs_f64(),
                                retry + 1,
                                retry::MAX_RETRIES
                            );
                            std::thread::sleep(wait);
                            retry += 1;
                        }
                        Decision::Done => {
                            return Ok(ApiResponse {
                                status,
                                body: decode_body(&bytes),
                                request_id,
                            })
                        }
                    }
                }
                Err(err) => {
                    let retryable = is_retryable(&err, self.target.local);
                    if retryable && retry < retry::MAX_RETRIES {
                        let wait = retry::backoff(retry);
                        tracing::info!(
                            "{}; retrying in {} s ({} of {})",
                            describe(&err),
                            wait.as_secs(),
                            retry + 1,
                            retry::MAX_RETRIES
                        );
                        std::thread::sleep(wait);
                        retry += 1;
                        continue;
                    }
                    return Err(self.transport_error(&err));
                }
            }
        }
    }

    /// Opens a server-sent-events stream. It is not retried here: the
    /// caller decides how to reconnect.
    pub fn open_stream(&self, request: &ApiRequest) -> CliResult<OpenStream> {
        let (method, credential) = self.method_and_credential(request)?;
        let client = match self.streaming.get() {
            Some(c) => c,
            None => {
                let built = reqwest::Client::builder()
                    .user_agent(user_agent())
                    .connect_timeout(Duration::from_secs(10))
                    .build()
                    .map_err(|e| CliError::failed(format!("could not set up HTTP: {e}")))?;
                self.streaming.get_or_init(|| built)
            }
        };
        let builder = self.builder(
            client,
            &method,
            request,
            credential,
            None,
            "text/event-stream",
        );
        tracing::debug!("{} {} (stream)", method, self.url(request));
        self.runtime.block_on(async {
            let response = builder.send().await.map_err(|e| self.transport_error(&e))?;
            let status = response.status().as_u16();
            if status >= 400 {
                let request_id = response
                    .headers()
                    .get("x-request-id")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                let bytes = response.bytes().await.unwrap_or_default();
                return Err(
                    ApiError::from_response(status, &decode_body(&bytes), request_id).into(),
                );
            }
            Ok(OpenStream {
                response,
                parser: SseParser::default(),
            })
        })
    }

    /// Waits up to `timeout` for events on an open stream; returns early
    /// with what arrived, or with `end` set when the server closed it or
    /// `interrupted()` turned true.
    pub fn next_events(
        &self,
        stream: &mut OpenStream,
        timeout: Duration,
        interrupted: &dyn Fn() -> bool,
    ) -> CliResult<StreamBatch> {
        let deadline = tokio::time::Instant::now() + timeout;
        self.runtime.block_on(async {
            let mut batch = StreamBatch::default();
            loop {
                if interrupted() {
                    batch.end = Some("interrupted".into());
                    return Ok(batch);
                }
                let now = tokio::time::Instant::now();
                if now >= deadline || !batch.events.is_empty() {
                    return Ok(batch);
                }
                let slice = (deadline - now).min(Duration::from_millis(100));
                match tokio::time::timeout(slice, stream.response.chunk()).await {
                    Err(_) => {}
                    Ok(Err(e)) => return Err(self.transport_error(&e)),
                    Ok(Ok(None)) => {
                        batch.end = Some("closed".into());
                        return Ok(batch);
                    }
                    Ok(Ok(Some(chunk))) => batch.events.extend(stream.parser.feed(&chunk)),
                }
            }
        })
    }

    fn transport_error(&self, err: &reqwest::Error) -> CliError {
        let origin = &self.target.origin;
        let message = format!("could not reach {origin}: {}", describe(err));
        let hint = if self.target.local {
            "nothing answered there; start the local sandbox with `commet sandbox start --detach`"
                .to_owned()
        } else {
            "check your network connection, or point the CLI elsewhere with --api-url / COMMET_ENVIRONMENT".to_owned()
        };
        CliError::Transport {
            message,
            hint: Some(hint),
        }
    }
}

/// A refused connection to this machine means nothing is listening, so
/// retrying only wastes seconds; everything else network-related is retried.
fn is_retryable(err: &reqwest::Error, local: bool) -> bool {
    if err.is_timeout() {
        return true;
    }
    if err.is_connect() {
        return !(local && is_refused(err));
    }
    err.is_request() || err.is_body()
}

fn is_refused(err: &reqwest::Error) -> bool {
    let mut source: Option<&dyn std::error::Error> = Some(err);
    while let Some(e) = source {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            return io.kind() == std::io::ErrorKind::ConnectionRefused;
        }
        source = e.source();
    }
    false
}

fn describe(err: &reqwest::Error) -> String {
    if err.is_timeout() {
        return "the request timed out".into();
    }
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(err);
    let mut deepest = err.to_string();
    while let Some(e) = source {
        deepest = e.to_string();
        source = e.source();
    }
    if err.is_connect() && deepest.to_lowercase().contains("refused") {
        "connection refused".into()
    } else {
        deepest
    }
}

fn decode_body(bytes: &[u8]) -> Value {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Value::Null;
    }
    serde_json::from_slice(bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(bytes).into_owned()))
}

/// Query values as strings; nulls are dropped, arrays repeat the key,
/// objects are sent as JSON.
fn query_pairs(query: &serde_json::Map<String, Value>) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    for (key, value) in query {
        match value {
            Value::Null => {}
            Value::String(s) => pairs.push((key.clone(), s.clone())),
            Value::Array(items) => {
                for item in items {
                    let text = item
                        .as_str()
                        .map(str::to_owned)
                        .unwrap_or_else(|| item.to_string());
                    pairs.push((key.clone(), text));
                }
            }
            other => pairs.push((key.clone(), other.to_string())),
        }
    }
    pairs
}

pub fn user_agent() -> String {
    format!(
        "commet-cli-rs/{} ({} {})",
        env!("CARGO_PKG_VERSION"),
        std::env::consts::OS,
        std::env::consts::ARCH
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn query_encoding() {
        let q = json!({"limit": 5, "a": null, "tags": ["x", "y"], "ok": true, "s": "t"});
        let pairs = query_pairs(q.as_object().unwrap());
        assert_eq!(
            pairs,
            vec![
                ("limit".into(), "5".into()),
                ("tags".into(), "x".into()),
                ("tags".into(), "y".into()),
                ("ok".into(), "true".into()),
                ("s".into(), "t".into()),
            ]
        );
    }

    #[test]
    fn sse_events_split_across_chunks() {
        let mut p = SseParser::default();
        assert!(p.feed(b": keep-alive\n\ndata: {\"a\"").is_empty());
        assert_eq!(
            p.feed(b":1}\n\nevent: x\r\ndata: two\r\ndata: lines\r\n\r\n"),
            vec!["{\"a\":1}".to_owned(), "two\nlines".to_owned()]
        );
    }

    #[test]
    fn bodies_decode_leniently() {
        assert_eq!(decode_body(b""), Value::Null);
        assert_eq!(decode_body(b"{\"a\":1}"), json!({"a": 1}));
        assert_eq!(decode_body(b"oops"), json!("oops"));
    }
}
