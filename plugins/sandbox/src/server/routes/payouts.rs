//! `/payouts`: not available for sandbox organizations. Each call answers
//! 403 `payouts_not_available_in_sandbox` (type `authentication_error`, as
//! the error catalog lists it), after the usual authentication.

use axum::routing::post;
use axum::Router;

use crate::server::app::App;
use crate::server::error::ApiError;
use crate::server::http::extract::OrgCtx;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/payouts", post(refuse))
        .route("/payouts/bank-accounts", post(refuse))
        .route("/payouts/verification", post(refuse))
}

async fn refuse(_org: OrgCtx) -> ApiError {
    ApiError::forbidden(
        "payouts_not_available_in_sandbox",
        "Payouts move real money and are not available for sandbox organizations; use a live organization",
    )
}
