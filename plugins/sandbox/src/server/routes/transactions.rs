//! `/transactions`: list, get, refund, retry.

use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::Router;

use super::subscriptions::{committed_error, finish};
use crate::server::app::App;
use crate::server::billing::admin;
use crate::server::error::ApiError;
use crate::server::http::extract::{ok, ApiResult, OrgCtx, Params, Write};
use crate::server::store::transactions::{self, ListFilter, STATUSES};

pub fn routes() -> Router<App> {
    Router::new()
        .route("/transactions", get(list))
        .route("/transactions/{id}", get(get_one))
        .route("/transactions/{id}/refund", post(refund))
        .route("/transactions/{id}/retry", post(retry))
}

async fn list(State(app): State<App>, org: OrgCtx, Params(mut q): Params) -> ApiResult {
    let page = q.page();
    let status = q.str("status");
    let customer_email = q.str("customerEmail");
    if let Some(s) = &status {
        if !STATUSES.contains(&s.as_str()) {
            return Err(ApiError::invalid(
                "status",
                format!("must be one of: {}", STATUSES.join(", ")),
            ));
        }
    }
    q.finish()?;
    let page = app
        .read(move |c| {
            transactions::list(
                c,
                &org.org_id,
                ListFilter {
                    status,
                    customer_email,
                },
                page,
            )
        })
        .await?;
    Ok(ok(page.to_json()))
}

async fn get_one(State(app): State<App>, org: OrgCtx, Path(id): Path<String>) -> ApiResult {
    Ok(ok(app
        .read(move |c| Ok(transactions::require(c, &org.org_id, &id)?.to_json()))
        .await?))
}

async fn refund(State(app): State<App>, Path(id): Path<String>, w: Write) -> ApiResult {
    w.run(&app, move |tx, org, _| admin::refund(tx, &org.org_id, &id))
        .await
}

async fn retry(State(app): State<App>, Path(id): Path<String>, w: Write) -> ApiResult {
    let base = app.base_url.clone();
    finish(
        w.run(&app, move |tx, org, _| {
            Ok(match admin::retry(tx, &org.org_id, &id, &base)? {
                Ok(v) => v,
                Err(e) => committed_error(e),
            })
        })
        .await,
    )
    .await
}
