//! `/seats`: add, remove, set, set all, and balances.

use axum::extract::State;
use axum::routing::{get, post, put};
use axum::Router;
use serde_json::{json, Map, Value};

use crate::server::app::App;
use crate::server::clock;
use crate::server::entitlements::units::{self, Op};
use crate::server::entitlements::{self, Ctx, Grant};
use crate::server::error::ApiError;
use crate::server::http::extract::{ok, ApiResult, OrgCtx, Params, Write};
use crate::server::ids;
use crate::server::input::Input;
use crate::server::routes::usage::customer_ref;
use crate::server::store::features::{self, Feature};
use crate::server::store::{customers, seats};

pub fn routes() -> Router<App> {
    Router::new()
        .route("/seats", post(add).put(set))
        .route("/seats/remove", post(remove))
        .route("/seats/bulk", put(set_all))
        .route("/seats/balance", get(balance))
        .route("/seats/balances", get(balances))
}

fn require_seats_feature(feature: &Feature) -> Result<(), ApiError> {
    units::Kind::Seats.require(
        feature,
        "usage features take usage events, quota features /usage/quota",
    )
}

/// The customer's context and the seats feature's grant, for a write.
fn writable(
    conn: &rusqlite::Connection,
    org_id: &str,
    customer: &str,
    code: &str,
) -> Result<(Ctx, Grant), ApiError> {
    let ctx = entitlements::context(conn, org_id, customer, "customerId")?;
    let feature = features::require(conn, org_id, code, "featureCode")?;
    require_seats_feature(&feature)?;
    ctx.require_access()?;
    let grant = entitlements::require_grant(conn, &ctx, &feature)?;
    Ok((ctx, grant))
}

async fn change(w: Write, app: App, op: Op) -> ApiResult {
    w.run(&app, move |tx, org, body| {
        let mut i = Input::new(body)?;
        let customer = customer_ref(&mut i);
        let code = i.req_str("featureCode");
        let count = op.count(&mut i);
        i.finish()?;
        let (ctx, grant) = writable(tx, &org.org_id, &customer, &code)?;
        let current = units::current(tx, &ctx, &grant.feature.code)?;
        let code = &grant.feature.code;
        let new = op.apply(code, current, count, "insufficient_seats", || {
            format!("Cannot remove {count} `{code}` seats: the customer has {current}")
        })?;
        units::set(tx, &ctx, &grant, units::Kind::Seats, new)
    })
    .await
}

async fn add(State(app): State<App>, w: Write) -> ApiResult {
    change(w, app, Op::Add).await
}

async fn remove(State(app): State<App>, w: Write) -> ApiResult {
    change(w, app, Op::Remove).await
}

async fn set(State(app): State<App>, w: Write) -> ApiResult {
    change(w, app, Op::Set).await
}

/// `PUT /seats/bulk {customerId, seats: {code: count}}`: every count is
/// checked before any is written; answers the list of `SeatEvent`s.
async fn set_all(State(app): State<App>, w: Write) -> ApiResult {
    w.run(&app, |tx, org, body| {
        let mut i = Input::new(body)?;
        let customer = customer_ref(&mut i);
        let seats_map: Map<String, Value> = i.req_object("seats").cloned().unwrap_or_default();
        let mut wanted = Vec::with_capacity(seats_map.len());
        for (code, count) in &seats_map {
            match count.as_i64() {
                Some(n) if n >= 0 => wanted.push((code.clone(), n)),
                _ => i.problem(
                    &format!("seats.{code}"),
                    "must be a whole number of at least 0",
                ),
            }
        }
        if i.ok() && wanted.is_empty() && i.has("seats") {
            i.problem("seats", "must name at least one seats feature");
        }
        i.finish()?;
        let ctx = entitlements::context(tx, &org.org_id, &customer, "customerId")?;
        ctx.require_access()?;
        let mut grants = Vec::with_capacity(wanted.len());
        for (code, count) in wanted {
            let feature = features::require(tx, &org.org_id, &code, &format!("seats.{code}"))?;
            require_seats_feature(&feature)?;
            grants.push((entitlements::require_grant(tx, &ctx, &feature)?, count));
        }
        let mut data = Vec::with_capacity(grants.len());
        for (grant, count) in grants {
            data.push(units::set(tx, &ctx, &grant, units::Kind::Seats, count)?);
        }
        Ok(json!({ "object": "list", "data": data, "hasMore": false }))
    })
    .await
}

/// Reads need the customer and a seats feature, not a live subscription:
/// seat counts belong to the customer and survive subscriptions.
async fn balance(State(app): State<App>, org: OrgCtx, Params(mut q): Params) -> ApiResult {
    let customer = q.req_str("customerId");
    let code = q.req_str("featureCode");
    q.finish()?;
    let value = app
        .read(move |c| {
            let customer = customers::require(c, &org.org_id, &customer, "customerId")?;
            let feature = features::require(c, &org.org_id, &code, "featureCode")?;
            require_seats_feature(&feature)?;
            let (current, as_of) = seats::current(c, &org.org_id, &customer.id, &feature.code)?;
            let as_of = as_of.unwrap_or_else(|| ids::iso(clock::now(c, &org.org_id)));
            Ok(json!({ "current": current, "asOf": as_of, "object": "seat_balance", "livemode": false }))
        })
        .await?;
    Ok(ok(value))
}

/// Every seats feature of the live plan (count 0 when never set) plus any
/// other seat count the customer holds.
async fn balances(State(app): State<App>, org: OrgCtx, Params(mut q): Params) -> ApiResult {
    let customer = q.req_str("customerId");
    q.finish()?;
    let value = app
        .read(move |c| {
            let customer = customers::require(c, &org.org_id, &customer, "customerId")?;
            let now = ids::iso(clock::now(c, &org.org_id));
            let mut balances = Map::new();
            match entitlements::context_for(c, &org.org_id, customer.clone()) {
                Ok(ctx) => {
                    for g in entitlements::grants(c, &ctx)? {
                        if g.feature.kind == "seats" {
                            balances.insert(g.feature.code, json!({ "current": 0, "asOf": now }));
                        }
                    }
                }
                Err(e) if e.code == "no_active_subscription" => {}
                Err(e) => return Err(e),
            }
            for (code, current, as_of) in seats::all(c, &org.org_id, &customer.id, "seats")? {
                balances.insert(code, json!({ "current": current, "asOf": as_of }));
            }
            Ok(json!({ "balances": balances, "object": "seat_balance_collection", "livemode": false }))
        })
        .await?;
    Ok(ok(value))
}
