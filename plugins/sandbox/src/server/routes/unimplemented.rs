//! Endpoints of the Commet API this sandbox does not simulate yet. They
//! answer 404 `endpoint_not_available` (after authentication) instead of the
//! generic `not_found`, so users can tell "not simulated" from "typo".
//!
//! When you implement one of these groups, delete its paths here: axum
//! refuses to start with two routes on the same path.

use axum::extract::OriginalUri;
use axum::http::Method;
use axum::routing::{any, post};
use axum::Router;

use crate::server::app::App;
use crate::server::error::{ApiError, ErrorType};
use crate::server::http::extract::OrgCtx;

const PATHS: &[&str] = &["/claim-link"];

pub fn routes() -> Router<App> {
    let mut router = Router::new().route("/test-clock/process-billing", post(deprecated));
    for path in PATHS {
        router = router.route(path, any(not_simulated));
    }
    router
}

async fn not_simulated(_org: OrgCtx, method: Method, OriginalUri(uri): OriginalUri) -> ApiError {
    ApiError::not_found(
        "endpoint_not_available",
        format!(
            "{method} {} is part of the Commet API but the local sandbox does not simulate it yet",
            uri.path()
        ),
    )
}

async fn deprecated(_org: OrgCtx) -> ApiError {
    ApiError::new(
        axum::http::StatusCode::GONE,
        ErrorType::NotFound,
        "endpoint_deprecated",
        "POST /test-clock/process-billing was removed; advance the clock with POST /test-clock instead",
    )
}
