//! `/payments`: payment links, direct charges of a saved card, get, list,
//! cancel.

use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::Router;
use serde_json::Value;

use super::subscriptions::{committed_error, finish};
use crate::server::app::App;
use crate::server::billing::admin;
use crate::server::http::extract::{ok, ApiResult, OrgCtx, Params, Write};
use crate::server::input::{self, Input};
use crate::server::store::{customers, payments};

pub fn routes() -> Router<App> {
    Router::new()
        .route("/payments", get(list).post(create))
        .route("/payments/charge", post(charge))
        .route("/payments/{id}", get(get_one))
        .route("/payments/{id}/cancel", post(cancel))
}

const MAX_AMOUNT: i64 = 10_000_000_000;

async fn create(State(app): State<App>, w: Write) -> ApiResult {
    let base = app.base_url.clone();
    w.run(&app, move |tx, org, body| {
        let mut i = Input::new(body)?;
        let amount = i.req_int_in("amount", 1, MAX_AMOUNT);
        let currency = input::currency(&mut i, "currency", true).unwrap_or_default();
        let customer = i.opt_str("customerId");
        let description = i.req_str("description");
        let success_url = i.opt_str("successUrl");
        let metadata = i.opt_object("metadata").map(|m| Value::Object(m.clone()));
        i.finish()?;
        admin::create_link(
            tx,
            &org.org_id,
            customer.as_deref(),
            amount,
            &currency,
            &description,
            success_url,
            metadata,
            &base,
        )
    })
    .await
}

async fn charge(State(app): State<App>, w: Write) -> ApiResult {
    let base = app.base_url.clone();
    finish(
        w.run(&app, move |tx, org, body| {
            let mut i = Input::new(body)?;
            let customer = i.req_str("customerId");
            let amount = i.req_int_in("amount", 1, MAX_AMOUNT);
            let currency = input::currency(&mut i, "currency", true).unwrap_or_default();
            let description = i.req_str("description");
            let metadata = i.opt_object("metadata").map(|m| Value::Object(m.clone()));
            i.finish()?;
            Ok(
                match admin::charge(
                    tx,
                    &org.org_id,
                    &customer,
                    amount,
                    &currency,
                    &description,
                    metadata,
                    &base,
                )? {
                    Ok(v) => v,
                    Err(e) => committed_error(e),
                },
            )
        })
        .await,
    )
    .await
}

async fn get_one(State(app): State<App>, org: OrgCtx, Path(id): Path<String>) -> ApiResult {
    let base = app.base_url.clone();
    Ok(ok(app
        .read(move |c| Ok(payments::require(c, &org.org_id, &id)?.to_json(&base)))
        .await?))
}

async fn list(State(app): State<App>, org: OrgCtx, Params(mut q): Params) -> ApiResult {
    let page = q.page();
    let customer = q.str("customerId");
    q.finish()?;
    let base = app.base_url.clone();
    let page = app
        .read(move |c| {
            let customer_id = match customer {
                Some(r) => Some(customers::require(c, &org.org_id, &r, "customerId")?.id),
                None => None,
            };
            payments::list(c, &org.org_id, customer_id, page, &base)
        })
        .await?;
    Ok(ok(page.to_json()))
}

async fn cancel(State(app): State<App>, Path(id): Path<String>, w: Write) -> ApiResult {
    let base = app.base_url.clone();
    w.run(&app, move |tx, org, _| {
        admin::cancel_payment(tx, &org.org_id, &id, &base)
    })
    .await
}
