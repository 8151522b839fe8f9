//! Errors: [`ApiError`] is what an HTTP request answers (the Commet error
//! envelope); [`SandboxError`] is what the library API returns.

use std::path::PathBuf;

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

/// The error types of the Commet API (`error.type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorType {
    Validation,
    Authentication,
    NotFound,
    Conflict,
    Billing,
    RateLimit,
    Internal,
}

impl ErrorType {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorType::Validation => "validation_error",
            ErrorType::Authentication => "authentication_error",
            ErrorType::NotFound => "not_found_error",
            ErrorType::Conflict => "conflict_error",
            ErrorType::Billing => "billing_error",
            ErrorType::RateLimit => "rate_limit_error",
            ErrorType::Internal => "internal_error",
        }
    }
}

/// An API error: HTTP status plus `{"error":{type,code,message,param,details,doc_url}}`.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: StatusCode,
    pub kind: ErrorType,
    pub code: &'static str,
    pub message: String,
    pub param: Option<String>,
    pub details: Option<Box<Value>>,
    /// Extra response headers (`Retry-After` on 429).
    pub retry_after: Option<u64>,
}

const DOC_BASE: &str = "https://commet.co/docs/errors#";

impl ApiError {
    pub fn new(
        status: StatusCode,
        kind: ErrorType,
        code: &'static str,
        message: impl Into<String>,
    ) -> Self {
        ApiError {
            status,
            kind,
            code,
            message: message.into(),
            param: None,
            details: None,
            retry_after: None,
        }
    }

    pub fn param(mut self, param: impl Into<String>) -> Self {
        self.param = Some(param.into());
        self
    }

    pub fn details(mut self, details: Value) -> Self {
        self.details = Some(Box::new(details));
        self
    }

    /// 400 `validation_error` about one field.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorType::Validation,
            "validation_error",
            format!("{field}: {message}"),
        )
        .param(field)
        .details(json!([{ "field": field, "message": message }]))
    }

    /// 400 `validation_error` listing every problem found.
    pub fn validation(problems: Vec<(String, String)>) -> Self {
        let summary = problems
            .iter()
            .map(|(f, m)| format!("{f}: {m}"))
            .collect::<Vec<_>>()
            .join("; ");
        let param = problems.first().map(|(f, _)| f.clone());
        let details: Vec<Value> = problems
            .into_iter()
            .map(|(field, message)| json!({ "field": field, "message": message }))
            .collect();
        let mut err = ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorType::Validation,
            "validation_error",
            format!("Invalid request: {summary}"),
        )
        .details(Value::Array(details));
        err.param = param;
        err
    }

    /// A 400 validation-type error with a specific code (`offer_not_applicable`...).
    pub fn validation_code(code: &'static str, message: impl Into<String>) -> Self {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorType::Validation,
            code,
            message,
        )
    }

    pub fn invalid_json(message: impl Into<String>) -> Self {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorType::Validation,
            "invalid_json",
            message,
        )
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            ErrorType::Authentication,
            "unauthorized",
            message,
        )
    }

    /// 403 with an authentication-type code other than `unauthorized`.
    pub fn forbidden(code: &'static str, message: impl Into<String>) -> Self {
        ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorType::Authentication,
            code,
            message,
        )
    }

    pub fn not_found(code: &'static str, message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::NOT_FOUND, ErrorType::NotFound, code, message)
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::CONFLICT, ErrorType::Conflict, code, message)
    }

    pub fn billing(code: &'static str, message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, ErrorType::Billing, code, message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorType::Internal,
            "internal_error",
            message,
        )
    }

    pub fn rate_limited(message: impl Into<String>) -> Self {
        let mut e = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            ErrorType::RateLimit,
            "rate_limited",
            message,
        );
        e.retry_after = Some(1);
        e
    }

    /// The JSON envelope.
    pub fn body(&self) -> Value {
        json!({
            "error": {
                "type": self.kind.as_str(),
                "code": self.code,
                "message": self.message,
                "param": self.param,
                "details": self.details,
                "doc_url": format!("{DOC_BASE}{}", self.code),
            }
        })
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.message, self.code)
    }
}

impl std::error::Error for ApiError {}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut resp = (self.status, axum::Json(self.body())).into_response();
        if let Some(secs) = self.retry_after {
            resp.headers_mut()
                .insert("retry-after", HeaderValue::from(secs));
        }
        resp
    }
}

impl From<rusqlite::Error> for ApiError {
    fn from(e: rusqlite::Error) -> Self {
        tracing::error!(error = %e, "database error");
        ApiError::internal(format!("The sandbox database failed: {e}"))
    }
}

impl From<serde_json::Error> for ApiError {
    fn from(e: serde_json::Error) -> Self {
        ApiError::internal(format!("Stored data could not be read: {e}"))
    }
}

/// Errors of the library API ([`crate::server::Sandbox`] and friends).
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("port {port} on 127.0.0.1 is already in use; choose another one with --port N (or --port 0 for any free port)")]
    PortInUse { port: u16 },
    #[error("could not listen on 127.0.0.1:{port}: {source}")]
    Bind {
        port: u16,
        #[source]
        source: std::io::Error,
    },
    #[error("{action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the sandbox database {path} could not be used: {source}")]
    Database {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("the sandbox database {path} was written by a newer version (schema {found}, this build knows up to {known}); upgrade commet or use another --data-dir")]
    SchemaTooNew {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error("a sandbox is already running for {data_dir} (pid {pid}, {url}); stop it with `commet sandbox stop` or use another --data-dir")]
    AlreadyRunning {
        data_dir: PathBuf,
        pid: u32,
        url: String,
    },
    #[error("invalid fault spec `{spec}`: {reason}")]
    InvalidFaults { spec: String, reason: String },
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
    #[error("the sandbox server failed: {0}")]
    Runtime(String),
}

impl SandboxError {
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        SandboxError::Io {
            action,
            path: path.into(),
            source,
        }
    }
}

/// Turns a store-level [`ApiError`] into a library error.
impl From<ApiError> for SandboxError {
    fn from(e: ApiError) -> Self {
        match e.kind {
            ErrorType::NotFound => SandboxError::NotFound(e.message),
            ErrorType::Validation | ErrorType::Conflict => SandboxError::Invalid(e.message),
            _ => SandboxError::Runtime(e.message),
        }
    }
}
