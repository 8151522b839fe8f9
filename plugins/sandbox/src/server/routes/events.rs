//! Sandbox extensions (not in the hosted API reference) to inspect what the
//! webhook machinery did: stored events, deliveries with their attempts,
//! and resending a delivery.
//!
//! - `GET /events?type=&limit=&cursor=`, `GET /events/{id}`
//! - `GET /webhooks/{id}/deliveries?status=&limit=&cursor=`
//! - `GET /webhooks/{id}/deliveries/{delivery_id}`
//! - `POST /webhooks/{id}/deliveries/{delivery_id}/resend`

use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::Router;
use serde_json::Value;

use crate::server::app::App;
use crate::server::http::extract::{ok, ApiResult, OrgCtx, Params, Write};
use crate::server::store::events as event_store;
use crate::server::store::webhooks;

const DELIVERY_STATUSES: &[&str] = &["pending", "delivered", "failed", "canceled"];

pub fn routes() -> Router<App> {
    Router::new()
        .route("/events", get(list_events))
        .route("/events/{id}", get(get_event))
        .route("/webhooks/{id}/deliveries", get(list_deliveries))
        .route("/webhooks/{id}/deliveries/{delivery_id}", get(get_delivery))
        .route(
            "/webhooks/{id}/deliveries/{delivery_id}/resend",
            post(resend),
        )
}

async fn list_events(State(app): State<App>, org: OrgCtx, Params(mut q): Params) -> ApiResult {
    let page = q.page();
    let event_type = q.str("type");
    q.finish()?;
    let page = app
        .read(move |c| event_store::list(c, &org.org_id, event_type, page))
        .await?;
    Ok(ok(page.to_json()))
}

async fn get_event(State(app): State<App>, org: OrgCtx, Path(id): Path<String>) -> ApiResult {
    let event = app
        .read(move |c| {
            let mut event = event_store::require(c, &org.org_id, &id)?;
            event["deliveries"] = Value::Array(webhooks::deliveries_of_event(c, &org.org_id, &id)?);
            Ok(event)
        })
        .await?;
    Ok(ok(event))
}

async fn list_deliveries(
    State(app): State<App>,
    org: OrgCtx,
    Path(id): Path<String>,
    Params(mut q): Params,
) -> ApiResult {
    let page = q.page();
    let status = q.str("status");
    if let Some(s) = &status {
        if !DELIVERY_STATUSES.contains(&s.as_str()) {
            return Err(crate::server::error::ApiError::invalid(
                "status",
                format!("must be one of {}", DELIVERY_STATUSES.join(", ")),
            ));
        }
    }
    q.finish()?;
    let page = app
        .read(move |c| webhooks::list_deliveries(c, &org.org_id, &id, status, page))
        .await?;
    Ok(ok(page.to_json()))
}

async fn get_delivery(
    State(app): State<App>,
    org: OrgCtx,
    Path((id, delivery_id)): Path<(String, String)>,
) -> ApiResult {
    Ok(ok(app
        .read(move |c| webhooks::require_delivery(c, &org.org_id, &id, &delivery_id))
        .await?))
}

async fn resend(
    State(app): State<App>,
    Path((id, delivery_id)): Path<(String, String)>,
    w: Write,
) -> ApiResult {
    w.run(&app, move |tx, org, _| {
        webhooks::resend(tx, &org.org_id, &id, &delivery_id)
    })
    .await
}
