//! The JSON documents exchanged at run time: API requests a plugin asks the
//! host to send, the responses it gets back, the results and errors it returns.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Which family of Commet endpoints a request targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Api {
    /// The public API under `/api/v1`.
    #[default]
    V1,
    /// The CLI's own endpoints under `/api/cli`.
    Cli,
    /// The device login endpoints under `/api/auth` (sent without credentials).
    Auth,
    /// A path relative to the server origin, sent as given (local sandbox
    /// control endpoints, for instance).
    Root,
}

/// An API call a plugin wants made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiRequest {
    pub method: String,
    /// Path below the API family's prefix, starting with `/`.
    pub path: String,
    #[serde(default)]
    pub api: Api,
    /// Query parameters; null values are dropped by the host.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub query: Map<String, Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
    /// An explicit idempotency key. When absent, the host generates one for
    /// POST/PUT/PATCH and reuses it on every retry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotency_key: Option<String>,
}

impl ApiRequest {
    pub fn new(method: impl Into<String>, path: impl Into<String>) -> Self {
        ApiRequest {
            method: method.into(),
            path: path.into(),
            api: Api::V1,
            query: Map::new(),
            body: None,
            idempotency_key: None,
        }
    }

    pub fn api(mut self, api: Api) -> Self {
        self.api = api;
        self
    }

    pub fn body(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }

    pub fn query(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.query.insert(key.into(), value.into());
        self
    }

    pub fn idempotency_key(mut self, key: Option<String>) -> Self {
        self.idempotency_key = key;
        self
    }

    /// Whether this is a write that carries an idempotency key.
    pub fn is_write(&self) -> bool {
        matches!(
            self.method.to_ascii_uppercase().as_str(),
            "POST" | "PUT" | "PATCH"
        )
    }
}

/// What the host got back for an [`ApiRequest`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiResponse {
    pub status: u16,
    /// The decoded JSON body (`null` when empty, a string when not JSON).
    pub body: Value,
    #[serde(default)]
    pub request_id: Option<String>,
}

impl ApiResponse {
    /// Turns an error status into an [`ApiError`]; success passes through.
    pub fn into_result(self) -> Result<Value, Box<ApiError>> {
        if self.status < 400 {
            Ok(self.body)
        } else {
            Err(Box::new(ApiError::from_response(
                self.status,
                &self.body,
                self.request_id,
            )))
        }
    }
}

/// How a stream opened with `Host::stream` ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamEnd {
    /// Why it ended: `closed` (by the server), `stopped` (the sink said
    /// stop) or `interrupted` (Ctrl-C).
    pub reason: String,
    pub events: u64,
}

/// An error answered by the Commet API (`{"error":{...}}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error)]
#[serde(rename_all = "camelCase")]
#[error("{message} ({code})")]
pub struct ApiError {
    pub status: u16,
    #[serde(rename = "type")]
    pub kind: String,
    pub code: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub param: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doc_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

impl ApiError {
    /// Decodes Commet's error envelope; anything else becomes a generic error
    /// that still carries the status and request id.
    pub fn from_response(status: u16, body: &Value, request_id: Option<String>) -> ApiError {
        let err = body.get("error");
        let text = |key: &str| {
            err.and_then(|e| e.get(key))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        let fallback_code = match status {
            400 => "bad_request",
            401 => "unauthorized",
            403 => "forbidden",
            404 => "not_found",
            409 => "conflict",
            429 => "rate_limited",
            s if s >= 500 => "internal_error",
            _ => "http_error",
        };
        let fallback_message = match body {
            Value::String(s) if !s.trim().is_empty() => truncate(s.trim(), 300),
            // Some servers answer `{"error": "text"}`.
            _ => match err {
                Some(Value::String(s)) => s.clone(),
                _ => format!("the server answered HTTP {status}"),
            },
        };
        ApiError {
            status,
            kind: text("type").unwrap_or_else(|| {
                if status >= 500 {
                    "internal_error".into()
                } else {
                    "api_error".into()
                }
            }),
            code: text("code").unwrap_or_else(|| fallback_code.into()),
            message: text("message").unwrap_or(fallback_message),
            param: text("param"),
            details: err
                .and_then(|e| e.get("details"))
                .filter(|d| !d.is_null())
                .cloned(),
            doc_url: text("doc_url").or_else(|| text("docUrl")),
            request_id,
        }
    }
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let mut out: String = s.chars().take(max).collect();
        out.push('…');
        out
    }
}

/// What a command returns to the host for rendering.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Output {
    pub view: View,
    pub data: Value,
}

impl Output {
    pub fn new(view: View, data: Value) -> Self {
        Output { view, data }
    }

    /// A plain message (data is `{"message": text}` for agents).
    pub fn message(text: impl Into<String>) -> Self {
        let text = text.into();
        Output {
            view: View::Message { text: text.clone() },
            data: serde_json::json!({ "message": text }),
        }
    }
}

/// How the host should render [`Output::data`] for people. Agents always
/// get the JSON data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum View {
    /// A list (or a `{"object":"list","data":[...]}` page) as a table.
    Table { columns: Vec<Column> },
    /// One object as key/value lines.
    Object,
    /// A sentence; `data` is for agents.
    Message { text: String },
    /// Lines of text printed as they are (for reports and diffs).
    Text { text: String },
}

/// A table column: a dotted path into each row and its header.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Column {
    pub key: String,
    pub header: String,
}

impl Column {
    pub fn new(key: impl Into<String>, header: impl Into<String>) -> Self {
        Column {
            key: key.into(),
            header: header.into(),
        }
    }
}

/// Why a command failed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PluginError {
    /// The API answered with an error.
    #[error(transparent)]
    Api(Box<ApiError>),
    /// The command line was wrong in a way the schema could not express
    /// (exit code 2).
    #[error("{message}")]
    Usage { message: String },
    /// No answer could be had from the server (after retries).
    #[error("{message}")]
    Transport {
        message: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        hint: Option<String>,
    },
    /// The command could not do its work (bad input file, refused action...).
    #[error("{message}")]
    Failed {
        message: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        hint: Option<String>,
    },
    /// The plugin panicked; the SDK caught it at the boundary.
    #[error("{message}")]
    Panic { message: String },
    /// The user interrupted a long-running command.
    #[error("interrupted")]
    Interrupted,
}

impl PluginError {
    pub fn failed(message: impl Into<String>) -> Self {
        PluginError::Failed {
            message: message.into(),
            hint: None,
        }
    }

    pub fn failed_with_hint(message: impl Into<String>, hint: impl Into<String>) -> Self {
        PluginError::Failed {
            message: message.into(),
            hint: Some(hint.into()),
        }
    }

    pub fn usage(message: impl Into<String>) -> Self {
        PluginError::Usage {
            message: message.into(),
        }
    }

    /// Encodes the error for the boundary.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| {
            r#"{"kind":"failed","message":"error could not be encoded"}"#.to_owned()
        })
    }

    /// Decodes an error that crossed the boundary; garbage becomes `Failed`.
    pub fn from_json(text: &str) -> PluginError {
        serde_json::from_str(text).unwrap_or_else(|_| PluginError::failed(text.to_owned()))
    }
}

impl From<Box<ApiError>> for PluginError {
    fn from(e: Box<ApiError>) -> Self {
        PluginError::Api(e)
    }
}

impl From<ApiError> for PluginError {
    fn from(e: ApiError) -> Self {
        PluginError::Api(Box::new(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn decodes_commet_error_envelope() {
        let body = json!({"error": {"type": "not_found_error", "code": "customer_not_found",
            "message": "No such customer", "param": "id", "doc_url": "https://x"}});
        let e = ApiError::from_response(404, &body, Some("req_1".into()));
        assert_eq!(e.kind, "not_found_error");
        assert_eq!(e.code, "customer_not_found");
        assert_eq!(e.param.as_deref(), Some("id"));
        assert_eq!(e.doc_url.as_deref(), Some("https://x"));
        assert_eq!(e.request_id.as_deref(), Some("req_1"));
    }

    #[test]
    fn non_envelope_error_keeps_status_and_text() {
        let e = ApiError::from_response(502, &json!("Bad gateway"), None);
        assert_eq!(e.code, "internal_error");
        assert_eq!(e.message, "Bad gateway");
        let e = ApiError::from_response(404, &Value::Null, None);
        assert_eq!(e.code, "not_found");
        assert!(e.message.contains("404"));
    }

    #[test]
    fn plugin_error_round_trips() {
        let e = PluginError::failed_with_hint("boom", "try again");
        assert_eq!(PluginError::from_json(&e.to_json()), e);
        assert_eq!(
            PluginError::from_json("not json"),
            PluginError::failed("not json")
        );
    }

    #[test]
    fn request_defaults() {
        let r = ApiRequest::new("post", "/customers");
        assert!(r.is_write());
        assert!(!ApiRequest::new("GET", "/x").is_write());
        let v: ApiRequest = serde_json::from_str(r#"{"method":"GET","path":"/x"}"#).unwrap();
        assert_eq!(v.api, Api::V1);
    }
}
