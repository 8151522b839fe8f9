//! `/api/auth/device/*`: the OAuth device flow behind `commet login`.
//!
//! `code` issues a device code and a `XXXX-XXXX` user code; the user opens
//! `verification_uri_complete` (the sandbox's `/device` page) and approves;
//! meanwhile the CLI polls `token`, which answers 400 with `error` =
//! `authorization_pending`, `slow_down` (polled faster than `interval`),
//! `access_denied` or `expired_token` until it answers 200 with the token.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::server::app::App;
use crate::server::error::ApiError;
use crate::server::store::auth::{self, Poll};

pub const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

pub fn api_routes() -> Router<App> {
    Router::new()
        .route("/device/code", post(code))
        .route("/device/token", post(token))
}

/// Decodes `a=1&b=two+words` (percent escapes included).
pub fn parse_form(body: &str) -> HashMap<String, String> {
    fn hex(b: u8) -> Option<u8> {
        (b as char).to_digit(16).map(|d| d as u8)
    }
    fn decode(s: &str) -> String {
        let bytes = s.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'+' => out.push(b' '),
                b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                    (Some(h), Some(l)) => {
                        out.push(h * 16 + l);
                        i += 2;
                    }
                    _ => out.push(b'%'),
                },
                b => out.push(b),
            }
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    }
    body.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
        .collect()
}

/// A JSON or form-encoded body as string fields.
fn fields(headers: &HeaderMap, body: &Bytes) -> Result<HashMap<String, String>, ApiError> {
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    if is_form {
        return Ok(parse_form(&String::from_utf8_lossy(body)));
    }
    let value = crate::server::http::extract::parse_body(body)?;
    let mut out = HashMap::new();
    if let Value::Object(map) = value {
        for (k, v) in map {
            if let Some(s) = v.as_str() {
                out.insert(k, s.to_owned());
            }
        }
    }
    Ok(out)
}

fn oauth_error(error: &str, description: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({ "error": error, "error_description": description })),
    )
        .into_response()
}

async fn code(
    State(app): State<App>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let f = fields(&headers, &body)?;
    let timings = app.device_timings();
    let client = f.get("client_id").cloned();
    let scope = f.get("scope").cloned();
    let issued = app
        .write(move |c| {
            auth::issue(
                c,
                client.as_deref(),
                scope.as_deref(),
                timings.interval,
                timings.ttl,
            )
        })
        .await?;
    let page = format!("{}/device", app.base_url);
    Ok(Json(json!({
        "device_code": issued.device_code,
        "user_code": issued.user_code,
        "verification_uri": page,
        "verification_uri_complete": format!("{page}?user_code={}", issued.user_code),
        "expires_in": issued.expires_in,
        "interval": issued.interval_secs,
    }))
    .into_response())
}

async fn token(
    State(app): State<App>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let f = fields(&headers, &body)?;
    match f.get("grant_type").map(String::as_str) {
        Some(DEVICE_GRANT) => {}
        Some(_) => {
            return Ok(oauth_error(
                "unsupported_grant_type",
                "only the device_code grant is supported",
            ))
        }
        None => return Ok(oauth_error("invalid_request", "grant_type is required")),
    }
    let Some(device_code) = f.get("device_code").cloned() else {
        return Ok(oauth_error("invalid_request", "device_code is required"));
    };
    let outcome = app.write(move |c| auth::poll(c, &device_code)).await?;
    Ok(match outcome {
        Poll::Approved { token, expires_in } => Json(json!({
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": expires_in,
        }))
        .into_response(),
        Poll::Pending => oauth_error(
            "authorization_pending",
            "the login has not been approved yet",
        ),
        Poll::SlowDown => oauth_error(
            "slow_down",
            "polling too fast; wait longer between requests",
        ),
        Poll::Denied => oauth_error("access_denied", "the login was denied"),
        Poll::Expired => oauth_error("expired_token", "the code expired; start the login again"),
        Poll::Invalid => oauth_error("invalid_grant", "unknown or already used device code"),
    })
}

#[cfg(test)]
mod tests {
    use super::parse_form;

    #[test]
    fn decodes_forms() {
        let f = parse_form("user_code=ABCD-EFGH&x=a+b%21&empty=&bad=%zz");
        assert_eq!(f["user_code"], "ABCD-EFGH");
        assert_eq!(f["x"], "a b!");
        assert_eq!(f["empty"], "");
        assert_eq!(f["bad"], "%zz");
    }
}
