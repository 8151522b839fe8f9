//! `/subscriptions`: create, get, active, list, cancel / uncancel,
//! change-plan / preview-change, reactivate, recovery links, payment-method
//! updates, offers, credits, balance, add-ons. The rules are in
//! `server::billing`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::Router;
use serde_json::{json, Value};

use crate::server::app::App;
use crate::server::billing::{change, grants, lifecycle, view};
use crate::server::error::ApiError;
use crate::server::http::extract::{ok, ApiResult, OrgCtx, Params, Write};
use crate::server::input::{Input, BILLING_INTERVALS};
use crate::server::store::subscriptions::{self as subs, ListFilter, STATUSES};
use crate::server::store::{customers, page::Page};

const RECURRING: &[&str] = &["weekly", "monthly", "quarterly", "yearly"];
const PROVIDERS: &[&str] = &["stripe", "commet", "dlocal"];

pub fn routes() -> Router<App> {
    Router::new()
        .route("/subscriptions", get(list).post(create))
        .route("/subscriptions/active", get(active))
        .route("/subscriptions/{id}", get(get_one))
        .route("/subscriptions/{id}/cancel", post(cancel))
        .route("/subscriptions/{id}/uncancel", post(uncancel))
        .route("/subscriptions/{id}/change-plan", post(change_plan))
        .route("/subscriptions/{id}/preview-change", post(preview_change))
        .route("/subscriptions/{id}/reactivate", post(reactivate))
        .route("/subscriptions/{id}/recovery-links", post(recovery_link))
        .route(
            "/subscriptions/{id}/payment-method/update",
            post(update_payment_method),
        )
        .route(
            "/subscriptions/{id}/offer",
            axum::routing::put(apply_offer).delete(remove_offer),
        )
        .route("/subscriptions/{id}/credits", post(purchase_credits))
        .route("/subscriptions/{id}/balance/adjust", post(adjust_balance))
        .route("/subscriptions/{id}/balance/topup", post(topup_balance))
        .route("/subscriptions/{id}/addons", post(activate_addon))
        .route(
            "/subscriptions/{id}/addons/{addon_id}",
            delete(deactivate_addon),
        )
        .route(
            "/customers/{id}/plan-grants",
            get(list_grants).post(create_grant),
        )
        .route(
            "/customers/{id}/plan-grants/{grant_id}",
            axum::routing::patch(update_grant),
        )
        .route(
            "/customers/{id}/plan-grants/{grant_id}/revoke",
            post(revoke_grant),
        )
}

// -- errors that are answered after their transaction commits -------------------------

const COMMITTED_ERROR: &str = "__commetSandboxCommittedError";

/// Wraps an error whose request still changed state (a declined charge
/// attempt is recorded): the write commits, then the error is answered.
pub fn committed_error(e: ApiError) -> Value {
    json!({ COMMITTED_ERROR: { "status": e.status.as_u16(), "body": e.body() } })
}

/// Turns a [`committed_error`] answer of `Write::run` into the error
/// response (same on an idempotent replay: the attempt happened once).
pub async fn finish(resp: ApiResult) -> ApiResult {
    let resp = resp?;
    if resp.status() != StatusCode::OK {
        return Ok(resp);
    }
    let (parts, body) = resp.into_parts();
    let bytes = axum::body::to_bytes(body, 16 * 1024 * 1024)
        .await
        .map_err(|e| ApiError::internal(format!("could not read the response: {e}")))?;
    if let Ok(v) = serde_json::from_slice::<Value>(&bytes) {
        if let Some(err) = v.get(COMMITTED_ERROR) {
            let status = err["status"]
                .as_u64()
                .and_then(|s| StatusCode::from_u16(s as u16).ok())
                .unwrap_or(StatusCode::BAD_REQUEST);
            return Ok((status, axum::Json(err["body"].clone())).into_response());
        }
    }
    Ok(Response::from_parts(parts, axum::body::Body::from(bytes)))
}

// -- handlers ----------------------------------------------------------------------------

async fn create(State(app): State<App>, w: Write) -> ApiResult {
    let base = app.base_url.clone();
    w.run(&app, move |tx, org, body| {
        let mut i = Input::new(body)?;
        let customer = i.req_str("customerId");
        let plan_id = i.opt_str("planId");
        let plan_code = i.opt_str("planCode");
        let price_id = i.opt_str("priceId");
        let billing_interval = i.opt_enum("billingInterval", BILLING_INTERVALS);
        let offer_id = i.opt_str("offerId");
        let promo_code = i.opt_str("promoCode");
        let card_promotion_id = i.opt_str("cardPromotionId");
        let custom_trial_days = i.opt_int_in("customTrialDays", 1, 730);
        let skip_trial = i.opt_bool("skipTrial").unwrap_or(false);
        let provider = i.opt_enum("provider", PROVIDERS);
        let name = i.opt_str("name");
        let start_date = i.opt_instant("startDate");
        let success_url = i.opt_str("successUrl");
        let mut initial_seats = None;
        if let Some(seats) = i.opt_object("initialSeats") {
            for (code, n) in seats {
                if n.as_i64().is_none_or(|n| n < 0) {
                    i.problem(&format!("initialSeats.{code}"), "must be a whole number of seats, 0 or more");
                }
            }
            initial_seats = Some(seats.clone());
        }
        if plan_id.is_none() && plan_code.is_none() && price_id.is_none() && i.ok() {
            i.problem("planId", "send planId or planCode (or a priceId)");
        }
        if let (Some(a), Some(b)) = (&plan_id, &plan_code) {
            if a != b {
                i.problem("planCode", "send planId or planCode, not both");
            }
        }
        let selectors = [offer_id.is_some(), promo_code.is_some(), custom_trial_days.is_some(), skip_trial]
            .iter()
            .filter(|b| **b)
            .count();
        if selectors > 1 {
            i.problem(
                "offerId",
                "offerId, promoCode, customTrialDays and skipTrial: true cannot be combined; send at most one",
            );
        }
        i.finish()?;
        lifecycle::create(
            tx,
            &org.org_id,
            &base,
            lifecycle::NewSubscription {
                customer,
                plan: plan_id.or(plan_code),
                price_id,
                billing_interval,
                offer_id,
                promo_code,
                card_promotion_id,
                custom_trial_days,
                skip_trial,
                initial_seats,
                provider,
                name,
                start_date,
                success_url,
            },
        )
    })
    .await
}

async fn get_one(State(app): State<App>, org: OrgCtx, Path(id): Path<String>) -> ApiResult {
    let base = app.base_url.clone();
    Ok(ok(app
        .read(move |c| {
            let sub = subs::require(c, &org.org_id, &id)?;
            view::full_json(c, &sub, &base)
        })
        .await?))
}

/// `GET /subscriptions/active?customerId=` → the live subscription or `null`.
async fn active(State(app): State<App>, org: OrgCtx, Params(mut q): Params) -> ApiResult {
    let customer = q.req_str("customerId");
    q.finish()?;
    let base = app.base_url.clone();
    Ok(ok(app
        .read(move |c| {
            let customer = customers::require(c, &org.org_id, &customer, "customerId")?;
            match subs::live_row(c, &org.org_id, &customer.id)? {
                Some(sub) => view::full_json(c, &sub, &base),
                None => Ok(Value::Null),
            }
        })
        .await?))
}

async fn list(State(app): State<App>, org: OrgCtx, Params(mut q): Params) -> ApiResult {
    let page = q.page();
    let customer = q.str("customerId");
    let status = q.str("status");
    if let Some(s) = &status {
        if !STATUSES.contains(&s.as_str()) {
            return Err(ApiError::invalid(
                "status",
                format!("must be one of: {}", STATUSES.join(", ")),
            ));
        }
    }
    q.finish()?;
    let base = app.base_url.clone();
    let page = app
        .read(move |c| {
            let customer_id = match customer {
                Some(r) => Some(customers::require(c, &org.org_id, &r, "customerId")?.id),
                None => None,
            };
            let rows = subs::list(
                c,
                &org.org_id,
                ListFilter {
                    customer_id,
                    status,
                },
                page,
            )?;
            let items = rows
                .items
                .iter()
                .map(|s| view::summary_json(c, s, &base))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Page {
                items,
                next: rows.next,
            })
        })
        .await?;
    Ok(ok(page.to_json()))
}

async fn cancel(State(app): State<App>, Path(id): Path<String>, w: Write) -> ApiResult {
    let base = app.base_url.clone();
    w.run(&app, move |tx, org, body| {
        let mut i = Input::new(body)?;
        let reason = i.opt_str("reason");
        let immediate = i.opt_bool("immediate").unwrap_or(false);
        i.finish()?;
        lifecycle::cancel(tx, &org.org_id, &id, reason, immediate, &base)
    })
    .await
}

async fn uncancel(State(app): State<App>, Path(id): Path<String>, w: Write) -> ApiResult {
    let base = app.base_url.clone();
    w.run(&app, move |tx, org, _| {
        lifecycle::uncancel(tx, &org.org_id, &id, &base)
    })
    .await
}

async fn change_plan(State(app): State<App>, Path(id): Path<String>, w: Write) -> ApiResult {
    let base = app.base_url.clone();
    w.run(&app, move |tx, org, body| {
        let mut i = Input::new(body)?;
        let new_plan = i.opt_str("newPlanId");
        let new_interval = i.opt_enum("newBillingInterval", RECURRING);
        let success_url = i.opt_str("successUrl");
        let offer_id = i.opt_str("offerId");
        if new_plan.is_none() && new_interval.is_none() && i.ok() {
            i.problem("newPlanId", "send newPlanId, newBillingInterval, or both");
        }
        i.finish()?;
        change::change_plan(
            tx,
            &org.org_id,
            &id,
            new_plan,
            new_interval,
            success_url,
            offer_id,
            &base,
        )
    })
    .await
}

async fn preview_change(State(app): State<App>, Path(id): Path<String>, w: Write) -> ApiResult {
    w.run(&app, move |tx, org, body| {
        let mut i = Input::new(body)?;
        let plan = i.req_str("planId");
        let interval = i.opt_enum("billingInterval", BILLING_INTERVALS);
        let offer_id = i.opt_str("offerId");
        i.finish()?;
        change::preview(tx, &org.org_id, &id, &plan, interval, offer_id)
    })
    .await
}

async fn reactivate(State(app): State<App>, Path(id): Path<String>, w: Write) -> ApiResult {
    let base = app.base_url.clone();
    finish(
        w.run(&app, move |tx, org, body| {
            let mut i = Input::new(body)?;
            let offer_id = i.opt_str("offerId");
            i.finish()?;
            match lifecycle::reactivate(tx, &org.org_id, &id, offer_id, &base)? {
                Ok(v) => Ok(v),
                Err(e) => Ok(committed_error(e)),
            }
        })
        .await,
    )
    .await
}

async fn recovery_link(State(app): State<App>, Path(id): Path<String>, w: Write) -> ApiResult {
    let base = app.base_url.clone();
    w.run(&app, move |tx, org, _| {
        lifecycle::recovery_link(tx, &org.org_id, &id, &base)
    })
    .await
}

async fn update_payment_method(
    State(app): State<App>,
    Path(id): Path<String>,
    w: Write,
) -> ApiResult {
    let base = app.base_url.clone();
    w.run(&app, move |tx, org, body| {
        let mut i = Input::new(body)?;
        let success_url = i.opt_str("successUrl");
        i.finish()?;
        lifecycle::update_payment_method(tx, &org.org_id, &id, success_url, &base)
    })
    .await
}

async fn apply_offer(State(app): State<App>, Path(id): Path<String>, w: Write) -> ApiResult {
    let base = app.base_url.clone();
    w.run(&app, move |tx, org, body| {
        let mut i = Input::new(body)?;
        let offer_id = i.req_str("offerId");
        let expires_at = i.opt_instant("expiresAt");
        i.finish()?;
        lifecycle::apply_offer(tx, &org.org_id, &id, &offer_id, expires_at, &base)
    })
    .await
}

async fn remove_offer(State(app): State<App>, Path(id): Path<String>, w: Write) -> ApiResult {
    let base = app.base_url.clone();
    w.run(&app, move |tx, org, _| {
        lifecycle::remove_offer(tx, &org.org_id, &id, &base)
    })
    .await
}

async fn purchase_credits(State(app): State<App>, Path(id): Path<String>, w: Write) -> ApiResult {
    w.run(&app, move |tx, org, body| {
        let mut i = Input::new(body)?;
        let pack = i.req_str("creditPackId");
        i.finish()?;
        lifecycle::purchase_credits(tx, &org.org_id, &id, &pack)
    })
    .await
}

async fn adjust_balance(State(app): State<App>, Path(id): Path<String>, w: Write) -> ApiResult {
    w.run(&app, move |tx, org, body| {
        let mut i = Input::new(body)?;
        let amount = i.req_int("amount");
        let reason = i.opt_str("reason");
        let kind = i
            .opt_enum("type", &["balance", "credits"])
            .unwrap_or_else(|| "balance".into());
        if i.ok() && amount == 0 {
            i.problem("amount", "must not be 0 (positive adds, negative removes)");
        }
        i.finish()?;
        lifecycle::adjust_balance(tx, &org.org_id, &id, amount, reason, &kind)
    })
    .await
}

async fn topup_balance(State(app): State<App>, Path(id): Path<String>, w: Write) -> ApiResult {
    w.run(&app, move |tx, org, body| {
        let mut i = Input::new(body)?;
        let amount = i.req_int_in("amount", 1, 100_000_000);
        i.finish()?;
        lifecycle::topup_balance(tx, &org.org_id, &id, amount)
    })
    .await
}

async fn activate_addon(State(app): State<App>, Path(id): Path<String>, w: Write) -> ApiResult {
    let base = app.base_url.clone();
    w.run(&app, move |tx, org, body| {
        let mut i = Input::new(body)?;
        let addon = i.req_str("addonId");
        i.finish()?;
        lifecycle::activate_addon(tx, &org.org_id, &id, &addon, &base)
    })
    .await
}

async fn deactivate_addon(
    State(app): State<App>,
    Path((id, addon_id)): Path<(String, String)>,
    w: Write,
) -> ApiResult {
    w.run(&app, move |tx, org, _| {
        lifecycle::deactivate_addon(tx, &org.org_id, &id, &addon_id)
    })
    .await
}

// -- plan grants ---------------------------------------------------------------------------

fn grant_duration(i: &mut Input<'_>) -> grants::Duration {
    let kind = i.req_enum("duration", grants::DURATIONS);
    let cycles = i.opt_int_in("durationCycles", 1, 1200);
    let until = i.opt_instant("expiresAt");
    if kind == "cycles" && cycles.is_none() && i.ok() {
        i.problem("durationCycles", "is required for duration cycles");
    }
    if kind == "until_date" && until.is_none() && i.ok() {
        i.problem("expiresAt", "is required for duration until_date");
    }
    grants::Duration {
        kind,
        cycles,
        until,
    }
}

async fn create_grant(State(app): State<App>, Path(id): Path<String>, w: Write) -> ApiResult {
    w.run(&app, move |tx, org, body| {
        let mut i = Input::new(body)?;
        let subscription = i.req_str("subscriptionId");
        let plan = i.req_str("planId");
        let reason = i.req_str("reason");
        let d = grant_duration(&mut i);
        i.finish()?;
        grants::create(tx, &org.org_id, &id, &subscription, &plan, &reason, d)
    })
    .await
}

async fn list_grants(
    State(app): State<App>,
    org: OrgCtx,
    Path(id): Path<String>,
    Params(mut q): Params,
) -> ApiResult {
    let page = q.page();
    q.finish()?;
    Ok(ok(app
        .read(move |c| grants::list(c, &org.org_id, &id, page))
        .await?))
}

async fn update_grant(
    State(app): State<App>,
    Path((id, grant)): Path<(String, String)>,
    w: Write,
) -> ApiResult {
    w.run(&app, move |tx, org, body| {
        let mut i = Input::new(body)?;
        let reason = i.req_str("reason");
        let d = grant_duration(&mut i);
        i.finish()?;
        grants::update(tx, &org.org_id, &id, &grant, &reason, d)
    })
    .await
}

async fn revoke_grant(
    State(app): State<App>,
    Path((id, grant)): Path<(String, String)>,
    w: Write,
) -> ApiResult {
    w.run(&app, move |tx, org, body| {
        let mut i = Input::new(body)?;
        let reason = i.req_str("reason");
        i.finish()?;
        grants::revoke(tx, &org.org_id, &id, &grant, &reason)
    })
    .await
}
