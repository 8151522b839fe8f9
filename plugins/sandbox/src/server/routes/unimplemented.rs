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

const PATHS: &[&str] = &[
    "/claim-link",
    "/customers/{id}/plan-grants",
    "/customers/{id}/plan-grants/{grant_id}",
    "/customers/{id}/plan-grants/{grant_id}/revoke",
    "/feature-access",
    "/feature-access/{code}",
    "/invoices",
    "/invoices/{id}",
    "/invoices/{id}/download-links",
    "/invoices/{id}/send",
    "/invoices/{id}/status",
    "/payments",
    "/payments/charge",
    "/payments/{id}",
    "/payments/{id}/cancel",
    "/seats",
    "/seats/remove",
    "/seats/bulk",
    "/seats/balance",
    "/seats/balances",
    "/subscriptions",
    "/subscriptions/active",
    "/subscriptions/{id}",
    "/subscriptions/{id}/cancel",
    "/subscriptions/{id}/uncancel",
    "/subscriptions/{id}/change-plan",
    "/subscriptions/{id}/preview-change",
    "/subscriptions/{id}/reactivate",
    "/subscriptions/{id}/recovery-links",
    "/subscriptions/{id}/payment-method/update",
    "/subscriptions/{id}/offer",
    "/subscriptions/{id}/credits",
    "/subscriptions/{id}/balance/adjust",
    "/subscriptions/{id}/balance/topup",
    "/subscriptions/{id}/addons",
    "/subscriptions/{id}/addons/{addon_id}",
    "/test-clock",
    "/transactions",
    "/transactions/{id}",
    "/transactions/{id}/refund",
    "/transactions/{id}/retry",
    "/usage",
    "/usage/events",
    "/usage/check",
    "/usage/quota",
    "/usage/quota/remove",
    "/usage/quota/all",
];

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
