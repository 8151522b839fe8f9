//! `/offers`: discount phases for plan prices, promo codes and intro offers.

use axum::extract::{Path, State};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};

use crate::server::app::App;
use crate::server::http::extract::{ok, ApiResult, OrgCtx, Params, Write};
use crate::server::input::{self, Input};
use crate::server::store::offers::{self, OfferFields};

pub const MAX_PHASES: usize = 10;
const PHASE_TYPES: &[&str] = &["free_trial", "percentage", "amount_off", "fixed_price"];
const INTERVALS: &[&str] = &["weekly", "monthly", "quarterly", "yearly"];

pub fn routes() -> Router<App> {
    Router::new()
        .route("/offers", get(list).post(create))
        .route("/offers/{id}", get(get_one).patch(update).delete(delete))
}

/// `[{currency, amount}]` with at least one entry.
fn amounts(p: &mut Input<'_>, key: &str) -> Value {
    let items = p.req_array(key).cloned().unwrap_or_default();
    if p.has(key) && items.is_empty() {
        p.problem(key, "needs at least one {currency, amount}");
    }
    let out = p.each_object(
        key,
        &items,
        "must be an object {currency, amount}",
        |_, a| {
            let currency = input::currency(a, "currency", true).unwrap_or_default();
            let amount = a.req_int_in("amount", 0, i64::MAX);
            json!({ "currency": currency, "amount": amount })
        },
    );
    Value::Array(out)
}

/// Validates the 1 to 10 ordered phases of an offer.
pub fn phases(i: &mut Input<'_>) -> Value {
    let items = i.req_array("phases").cloned().unwrap_or_default();
    if i.has("phases") && (items.is_empty() || items.len() > MAX_PHASES) {
        i.problem("phases", format!("must hold 1 to {MAX_PHASES} phases"));
    }
    let last = items.len().saturating_sub(1);
    let out = i.each_object("phases", &items, "must be an object with a type", |n, p| {
        let kind = p.req_enum("type", PHASE_TYPES);
        if kind == "free_trial" {
            if n != 0 {
                p.problem("type", "a free_trial phase can only be the first phase");
            }
            json!({ "type": kind, "durationDays": p.req_int_in("durationDays", 1, 3650) })
        } else {
            let cycles = p.opt_int_in("durationCycles", 1, 1000);
            if cycles.is_none() && n != last && p.ok() {
                p.problem(
                    "durationCycles",
                    "only the last phase may be open-ended (null)",
                );
            }
            let interval = p.opt_enum("durationInterval", INTERVALS);
            let mut v =
                json!({ "type": kind, "durationCycles": cycles, "durationInterval": interval });
            match kind.as_str() {
                "percentage" => v["percentage"] = p.req_int_in("percentage", 1, 10_000).into(),
                "amount_off" => v["amounts"] = amounts(p, "amounts"),
                "fixed_price" => v["prices"] = amounts(p, "prices"),
                _ => {}
            }
            v
        }
    });
    Value::Array(out)
}

fn fields(i: &mut Input<'_>) -> OfferFields {
    let name = i.req_str("name");
    let phases = phases(i);
    let metadata = i.opt_object("metadata").map(|m| Value::Object(m.clone()));
    let starts_at = i.opt_instant("startsAt");
    let ends_at = i.opt_instant("endsAt");
    if let (Some(s), Some(e)) = (&starts_at, &ends_at) {
        if e <= s {
            i.problem("endsAt", "must be after startsAt");
        }
    }
    let active = i.opt_bool("active").unwrap_or(true);
    OfferFields {
        name,
        phases,
        metadata,
        starts_at,
        ends_at,
        active,
    }
}

async fn create(State(app): State<App>, w: Write) -> ApiResult {
    w.run(&app, |tx, org, body| {
        let mut i = Input::new(body)?;
        let f = fields(&mut i);
        i.finish()?;
        offers::insert(tx, &org.org_id, f)
    })
    .await
}

async fn get_one(State(app): State<App>, org: OrgCtx, Path(id): Path<String>) -> ApiResult {
    Ok(ok(app
        .read(move |c| offers::require(c, &org.org_id, &id, "id"))
        .await?))
}

async fn update(State(app): State<App>, Path(id): Path<String>, w: Write) -> ApiResult {
    w.run(&app, move |tx, org, body| {
        let mut i = Input::new(body)?;
        let f = fields(&mut i);
        i.finish()?;
        offers::update(tx, &org.org_id, &id, f)
    })
    .await
}

async fn delete(State(app): State<App>, Path(id): Path<String>, w: Write) -> ApiResult {
    w.run(&app, move |tx, org, _| offers::delete(tx, &org.org_id, &id))
        .await
}

async fn list(State(app): State<App>, org: OrgCtx, Params(mut q): Params) -> ApiResult {
    let page = q.page();
    let active = q.bool("active");
    q.finish()?;
    let page = app
        .read(move |c| offers::list(c, &org.org_id, active, page))
        .await?;
    Ok(ok(page.to_json()))
}
