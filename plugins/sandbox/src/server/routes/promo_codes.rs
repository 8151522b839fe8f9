//! `/promo-codes`: codes customers type to get a one-phase discount offer.

use axum::extract::{Path, State};
use axum::routing::get;
use axum::Router;
use rusqlite::Connection;
use serde_json::{json, Value};

use crate::server::app::App;
use crate::server::error::ApiError;
use crate::server::http::extract::{ok, ApiResult, OrgCtx, Params, Write};
use crate::server::input::{Input, BILLING_INTERVALS};
use crate::server::store::promo_codes::{self, NewPromoCode, PromoPatch};
use crate::server::store::{offers, plans};

pub fn routes() -> Router<App> {
    Router::new()
        .route("/promo-codes", get(list).post(create))
        .route("/promo-codes/{id}", get(get_one).patch(update))
}

fn valid_code(code: &str) -> bool {
    code.len() <= 64
        && code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// The offer must have exactly one percentage or amount_off phase.
fn check_offer(offer: &Value) -> Result<(), ApiError> {
    let phases = offer["phases"].as_array().cloned().unwrap_or_default();
    let eligible = phases.len() == 1
        && matches!(
            phases[0]["type"].as_str(),
            Some("percentage") | Some("amount_off")
        );
    if eligible {
        Ok(())
    } else {
        Err(ApiError::validation_code(
            "offer_not_applicable",
            "A promo code's offer must have exactly one percentage or amount_off phase (no trial, no fixed price, no multiple phases)",
        )
        .param("offerId"))
    }
}

fn check_plans(conn: &Connection, org: &str, plan_ids: &[String]) -> Result<(), ApiError> {
    let missing = plans::missing_plans(conn, org, plan_ids)?;
    if missing.is_empty() {
        Ok(())
    } else {
        Err(ApiError::not_found(
            "plan_not_found",
            format!("No plan with id or code {}", missing.join(", ")),
        )
        .param("planIds"))
    }
}

async fn create(State(app): State<App>, w: Write) -> ApiResult {
    w.run(&app, |tx, org, body| {
        let mut i = Input::new(body)?;
        let code = i.req_str("code");
        if !code.is_empty() && !valid_code(&code) {
            i.problem("code", "use letters, digits, `-` and `_` (at most 64)");
        }
        // The seed CLI's shortcut: describe the discount instead of an offer.
        let discount_type = i.opt_enum("discountType", &["percentage", "amount"]);
        let offer_id = if discount_type.is_some() { i.opt_str("offerId") } else { Some(i.req_str("offerId")) };
        let discount = discount_type.map(|kind| {
            let value = i.req_int_in("discountValue", 1, i64::MAX);
            if kind == "percentage" && value > 100 {
                i.problem("discountValue", "a percentage must be between 1 and 100");
            }
            (kind, value, i.opt_int_in("durationCycles", 1, 1000))
        });
        let billing_interval = i.opt_enum("billingInterval", BILLING_INTERVALS);
        let max_redemptions = i.opt_int_in("maxRedemptions", 1, i64::MAX);
        let expires_at = i.opt_instant("expiresAt");
        let plan_ids = i.opt_strings("planIds").unwrap_or_default();
        i.finish()?;
        check_plans(tx, &org.org_id, &plan_ids)?;
        let offer_id = match (offer_id, discount) {
            (Some(id), _) => {
                check_offer(&offers::require(tx, &org.org_id, &id, "offerId")?)?;
                id
            }
            (None, Some((kind, value, cycles))) => {
                let phase = if kind == "percentage" {
                    json!({ "type": "percentage", "durationCycles": cycles, "durationInterval": null, "percentage": value * 100 })
                } else {
                    json!({ "type": "amount_off", "durationCycles": cycles, "durationInterval": null,
                            "amounts": [{ "currency": "usd", "amount": value }] })
                };
                let offer = offers::insert(
                    tx,
                    &org.org_id,
                    offers::OfferFields {
                        name: format!("Promo code {code}"),
                        phases: json!([phase]),
                        metadata: Some(json!({ "promoCode": code })),
                        starts_at: None,
                        ends_at: None,
                        active: true,
                    },
                )?;
                offer["id"].as_str().unwrap_or_default().to_owned()
            }
            (None, None) => return Err(ApiError::invalid("offerId", "is required")),
        };
        promo_codes::insert(
            tx,
            &org.org_id,
            NewPromoCode {
                code,
                offer_id,
                billing_interval,
                max_redemptions,
                expires_at,
                plan_ids,
            },
        )
    })
    .await
}

async fn get_one(State(app): State<App>, org: OrgCtx, Path(id): Path<String>) -> ApiResult {
    Ok(ok(app
        .read(move |c| promo_codes::require(c, &org.org_id, &id))
        .await?))
}

async fn update(State(app): State<App>, Path(id): Path<String>, w: Write) -> ApiResult {
    w.run(&app, move |tx, org, body| {
        let mut i = Input::new(body)?;
        let patch = PromoPatch {
            billing_interval: i.patch_enum("billingInterval", BILLING_INTERVALS),
            max_redemptions: match i.patch_int("maxRedemptions") {
                crate::server::input::Patch::Set(n) if n < 1 => {
                    i.problem("maxRedemptions", "must be at least 1");
                    crate::server::input::Patch::Absent
                }
                other => other,
            },
            expires_at: i.patch_instant("expiresAt"),
            active: i.opt_bool("active").or(i.opt_bool("isActive")),
            plan_ids: i.opt_strings("planIds"),
        };
        i.finish()?;
        if let Some(ids) = &patch.plan_ids {
            check_plans(tx, &org.org_id, ids)?;
        }
        promo_codes::update(tx, &org.org_id, &id, patch)
    })
    .await
}

async fn list(State(app): State<App>, org: OrgCtx, Params(mut q): Params) -> ApiResult {
    let page = q.page();
    q.finish()?;
    let page = app
        .read(move |c| promo_codes::list(c, &org.org_id, page))
        .await?;
    Ok(ok(page.to_json()))
}
