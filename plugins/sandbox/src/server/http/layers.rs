//! Cross-cutting behaviour: request ids, API versions, faults, 404s.

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use super::DropConnection;
use crate::server::app::App;
use crate::server::error::{ApiError, ErrorType};
use crate::server::faults::FaultKind;
use crate::server::ids;

/// The API version this server speaks by default.
pub const CURRENT_VERSION: &str = "2026-07-31";
/// The previous version, whose success bodies were wrapped in
/// `{"success":true,"data":...}`.
pub const WRAPPED_VERSION: &str = "2026-07-11";

/// The request id of the current request (also in the `x-request-id` header).
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// The API version resolved for the current request.
#[derive(Debug, Clone)]
pub struct ApiVersion(pub &'static str);

/// Gives every response an `x-request-id: req_…` header.
pub async fn request_id(mut req: Request, next: Next) -> Response {
    let id = format!("req_{}", ids::random_alnum(24));
    req.extensions_mut().insert(RequestId(id.clone()));
    let mut resp = next.run(req).await;
    if let Ok(v) = HeaderValue::from_str(&id) {
        resp.headers_mut().insert("x-request-id", v);
    }
    resp
}

/// Resolves `commet-version` (unknown or absent → the current version),
/// echoes it in the response, and shapes `/api/v1` success bodies for it.
pub async fn api_version(mut req: Request, next: Next) -> Response {
    let asked = req
        .headers()
        .get("commet-version")
        .and_then(|v| v.to_str().ok())
        .map(str::trim);
    let version = match asked {
        Some(WRAPPED_VERSION) => WRAPPED_VERSION,
        _ => CURRENT_VERSION,
    };
    let is_v1 = req.uri().path().starts_with("/api/v1/");
    req.extensions_mut().insert(ApiVersion(version));
    let mut resp = next.run(req).await;
    resp.headers_mut()
        .insert("commet-version", HeaderValue::from_static(version));
    if version == WRAPPED_VERSION && is_v1 && resp.status().is_success() {
        resp = wrap_success(resp).await;
    }
    resp
}

/// `2026-07-11` shape: `{"success":true,"data":...}`, lists keep paging.
async fn wrap_success(resp: Response) -> Response {
    let (mut parts, body) = resp.into_parts();
    let Ok(bytes) = to_bytes(body, 64 * 1024 * 1024).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "response too large").into_response();
    };
    let Ok(value) = serde_json::from_slice::<Value>(&bytes) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    let wrapped = if value.get("object").and_then(Value::as_str) == Some("list") {
        json!({
            "success": true,
            "data": value["data"],
            "hasMore": value["hasMore"],
            "nextCursor": value.get("nextCursor").cloned().unwrap_or(Value::Null),
        })
    } else {
        json!({ "success": true, "data": value })
    };
    let text = wrapped.to_string();
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(text))
}

fn fault_applies(path: &str) -> bool {
    ["/api/v1", "/api/cli"]
        .iter()
        .any(|p| path == *p || path.starts_with(&format!("{p}/")))
}

/// Injects the configured faults into `/api/v1` and `/api/cli` requests.
pub async fn faults(State(app): State<App>, req: Request, next: Next) -> Response {
    if app.faults.is_off() || !fault_applies(req.uri().path()) {
        return next.run(req).await;
    }
    if let Some(latency) = app.faults.latency() {
        tokio::time::sleep(latency).await;
    }
    match app.faults.decide() {
        None => next.run(req).await,
        Some(FaultKind::Drop) => {
            let mut resp = StatusCode::SERVICE_UNAVAILABLE.into_response();
            resp.extensions_mut().insert(DropConnection);
            resp
        }
        Some(FaultKind::Status(429)) => ApiError::rate_limited(
            "Too many requests (injected by the sandbox fault spec); retry after 1 second",
        )
        .into_response(),
        Some(FaultKind::Status(status)) => {
            let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            ApiError::new(
                code,
                ErrorType::Internal,
                "internal_error",
                format!("HTTP {status} injected by the sandbox fault spec"),
            )
            .into_response()
        }
    }
}

/// Unknown paths: a JSON 404 like the hosted API's.
pub async fn not_found(method: Method, uri: Uri) -> ApiError {
    ApiError::not_found("not_found", format!("No endpoint {method} {}", uri.path()))
}

/// Known path, wrong method.
pub async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::not_found(
        "not_found",
        format!(
            "No endpoint {method} {}; this path exists with other methods",
            uri.path()
        ),
    )
}
