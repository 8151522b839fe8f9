//! Request extractors: who is calling, the query string, write bodies.

use axum::extract::{FromRequest, FromRequestParts, OriginalUri, Query, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::server::app::App;
use crate::server::error::ApiError;
use crate::server::input::QueryInput;
use crate::server::store::{api_keys, auth, idempotency};

/// The answer of a handler.
pub type ApiResult = Result<Response, ApiError>;

/// A 200 JSON answer.
pub fn ok(value: Value) -> Response {
    (StatusCode::OK, Json(value)).into_response()
}

fn api_key(headers: &HeaderMap) -> Option<String> {
    headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get("authorization")?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
        .filter(|t| !t.is_empty())
}

/// A request to `/api/v1` authenticated by an organization's API key.
#[derive(Debug, Clone)]
pub struct OrgCtx {
    pub org_id: String,
    pub key_id: String,
}

impl FromRequestParts<App> for OrgCtx {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        let Some(secret) = api_key(&parts.headers) else {
            return Err(ApiError::unauthorized(
                "Missing API key: send your organization's key in the x-api-key header (ck_...)",
            ));
        };
        let owner = app
            .read(move |c| api_keys::authenticate(c, &secret))
            .await?;
        match owner {
            Some(owner) => Ok(OrgCtx {
                org_id: owner.org_id,
                key_id: owner.key_id,
            }),
            None => Err(ApiError::unauthorized(
                "Invalid API key: it does not exist, was deleted, or has expired",
            )),
        }
    }
}

/// A request to `/api/cli`: a login token (a user) or an API key (one org).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CliAuth {
    User(String),
    OrgKey(String),
}

impl FromRequestParts<App> for CliAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        if let Some(token) = bearer(&parts.headers) {
            let user = app
                .read(move |c| auth::authenticate_token(c, &token))
                .await?;
            return user.map(CliAuth::User).ok_or_else(|| {
                ApiError::unauthorized(
                    "Your login has expired or is invalid; run `commet login` again",
                )
            });
        }
        if api_key(&parts.headers).is_some() {
            let org = OrgCtx::from_request_parts(parts, app).await?;
            return Ok(CliAuth::OrgKey(org.org_id));
        }
        Err(ApiError::unauthorized(
            "Not logged in: send Authorization: Bearer <token> (from `commet login`) or x-api-key",
        ))
    }
}

/// Where idempotency keys of a caller live.
pub trait IdempotencyScope {
    fn scope(&self) -> String;
}

impl IdempotencyScope for OrgCtx {
    fn scope(&self) -> String {
        self.org_id.clone()
    }
}

impl IdempotencyScope for CliAuth {
    fn scope(&self) -> String {
        match self {
            CliAuth::User(u) => format!("user:{u}"),
            CliAuth::OrgKey(o) => o.clone(),
        }
    }
}

/// The query string, validated as it is read.
pub struct Params(pub QueryInput);

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Query(pairs) = Query::<Vec<(String, String)>>::from_request_parts(parts, state)
            .await
            .map_err(|e| {
                ApiError::invalid("query", format!("the query string could not be read: {e}"))
            })?;
        Ok(Params(QueryInput::new(pairs)))
    }
}

/// Parses a JSON body: empty is `null`, anything unparsable `invalid_json`.
pub fn parse_body(bytes: &[u8]) -> Result<Value, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Null);
    }
    serde_json::from_slice(bytes)
        .map_err(|e| ApiError::invalid_json(format!("The request body is not valid JSON: {e}")))
}

/// Key order does not matter when comparing bodies.
fn canonical(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let inner: Vec<String> = keys
                .into_iter()
                .map(|k| format!("{}:{}", Value::String(k.clone()), canonical(&map[k])))
                .collect();
            format!("{{{}}}", inner.join(","))
        }
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(canonical).collect::<Vec<_>>().join(",")
        ),
        other => other.to_string(),
    }
}

const MAX_KEY_LEN: usize = 255;
const MAX_BODY_BYTES: usize = 10 * 1024 * 1024;

/// A write request: the caller, its JSON body, and its `Idempotency-Key`.
///
/// [`Write::run`] executes the handler in one transaction; with a key, the
/// stored answer of an earlier identical request is replayed instead (same
/// status, same body, `idempotent-replayed: true`), and a different request
/// under the same key is refused with `idempotency_key_mismatch`. Only
/// successes are stored, so a failed request can be retried with its key.
pub struct Write<A = OrgCtx> {
    pub auth: A,
    pub body: Value,
    key: Option<String>,
    fingerprint: String,
}

impl<A> FromRequest<App> for Write<A>
where
    A: FromRequestParts<App, Rejection = ApiError> + Send,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, app: &App) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let auth = A::from_request_parts(&mut parts, app).await?;
        let key = match parts.headers.get("idempotency-key") {
            None => None,
            Some(v) => {
                let key = v.to_str().map(str::trim).unwrap_or_default();
                if key.is_empty() || key.len() > MAX_KEY_LEN {
                    return Err(ApiError::invalid(
                        "Idempotency-Key",
                        format!("must be 1 to {MAX_KEY_LEN} visible ASCII characters"),
                    ));
                }
                Some(key.to_owned())
            }
        };
        let bytes = axum::body::to_bytes(body, MAX_BODY_BYTES)
            .await
            .map_err(|e| {
                ApiError::invalid("body", format!("the request body could not be read: {e}"))
            })?;
        let body = parse_body(&bytes)?;
        // The full path (nested routers see theirs without the prefix).
        let path = parts
            .extensions
            .get::<OriginalUri>()
            .map_or_else(|| parts.uri.path().to_owned(), |u| u.0.path().to_owned());
        let fingerprint = hex::encode(Sha256::digest(
            format!("{} {path}\n{}", parts.method, canonical(&body)).as_bytes(),
        ));
        Ok(Write {
            auth,
            body,
            key,
            fingerprint,
        })
    }
}

impl<A: IdempotencyScope + Send + 'static> Write<A> {
    /// Runs `handler` in one transaction, with idempotency; answers 200.
    pub async fn run<F>(self, app: &App, handler: F) -> ApiResult
    where
        F: FnOnce(&rusqlite::Transaction<'_>, &A, &Value) -> Result<Value, ApiError>
            + Send
            + 'static,
    {
        let Write {
            auth,
            body,
            key,
            fingerprint,
        } = self;
        let scope = auth.scope();
        let (replayed, value) = app
            .write(move |tx| {
                if let Some(key) = &key {
                    if let Some(stored) = idempotency::lookup(tx, &scope, key)? {
                        if stored.fingerprint != fingerprint {
                            return Err(ApiError::conflict(
                                "idempotency_key_mismatch",
                                "This Idempotency-Key was already used with a different request; use a new key for a new request",
                            )
                            .param("Idempotency-Key"));
                        }
                        return Ok((true, stored.body));
                    }
                }
                let value = handler(tx, &auth, &body)?;
                if let Some(key) = &key {
                    idempotency::save(tx, &scope, key, &fingerprint, 200, &value)?;
                }
                Ok((false, value))
            })
            .await?;
        app.deliveries.notify_one();
        let mut resp = ok(value);
        if replayed {
            resp.headers_mut().insert(
                "idempotent-replayed",
                axum::http::HeaderValue::from_static("true"),
            );
        }
        Ok(resp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn canonical_ignores_key_order() {
        assert_eq!(
            canonical(&json!({"a": 1, "b": [1, {"y": 2, "x": 1}]})),
            canonical(&json!({"b": [1, {"x": 1, "y": 2}], "a": 1}))
        );
        assert_ne!(canonical(&json!({"a": 1})), canonical(&json!({"a": 2})));
    }

    #[test]
    fn bodies_parse_or_fail_with_invalid_json() {
        assert_eq!(parse_body(b"  ").unwrap(), Value::Null);
        assert_eq!(parse_body(b"{\"a\":1}").unwrap(), json!({"a": 1}));
        assert_eq!(parse_body(b"{nope").unwrap_err().code, "invalid_json");
    }
}
