//! `/usage/quota`: add, remove, set and read allowances of quota features.

use axum::extract::State;
use axum::routing::{get, post};
use axum::Router;
use serde_json::json;

use crate::server::app::App;
use crate::server::entitlements::units::{self, Op};
use crate::server::entitlements::{self, Ctx, Grant};
use crate::server::error::ApiError;
use crate::server::http::extract::{ok, ApiResult, OrgCtx, Params, Write};
use crate::server::input::{Input, QueryInput};
use crate::server::store::features::{self, Feature};

pub fn routes() -> Router<App> {
    Router::new()
        .route("/usage/quota", post(add).put(set).get(get_one))
        .route("/usage/quota/remove", post(remove))
        .route("/usage/quota/all", get(get_all))
}

fn require_quota_feature(feature: &Feature) -> Result<(), ApiError> {
    units::Kind::Quota.require(
        feature,
        "usage features take usage events, seats features /seats",
    )
}

/// `customerId` or `externalId` (one of them is required).
fn customer_body(i: &mut Input<'_>) -> (String, &'static str) {
    if let Some(id) = i.opt_str("customerId") {
        return (id, "customerId");
    }
    if let Some(ext) = i.opt_str("externalId") {
        return (ext, "externalId");
    }
    i.problem("customerId", "is required (or give externalId)");
    (String::new(), "customerId")
}

fn customer_query(q: &mut QueryInput) -> String {
    match q.str("externalId") {
        Some(ext) if q.str("customerId").is_none() => ext,
        _ => q.req_str("customerId"),
    }
}

fn grant_for(
    conn: &rusqlite::Connection,
    ctx: &Ctx,
    org_id: &str,
    code: &str,
) -> Result<Grant, ApiError> {
    let feature = features::require(conn, org_id, code, "featureCode")?;
    require_quota_feature(&feature)?;
    entitlements::require_grant(conn, ctx, &feature)
}

async fn change(app: App, w: Write, op: Op) -> ApiResult {
    w.run(&app, move |tx, org, body| {
        let mut i = Input::new(body)?;
        let code = i.req_str("featureCode");
        let count = op.count(&mut i);
        let (customer, param) = customer_body(&mut i);
        i.finish()?;
        let ctx = entitlements::context(tx, &org.org_id, &customer, param)?;
        let grant = grant_for(tx, &ctx, &org.org_id, &code)?;
        ctx.require_access()?;
        let current = units::current(tx, &ctx, &grant.feature.code)?;
        let code = &grant.feature.code;
        let new = op.apply(code, current, count, "insufficient_balance", || {
            format!(
                "Cannot remove {count} units of `{code}`: the customer holds {current} (a quota never goes below 0)"
            )
        })?;
        units::set(tx, &ctx, &grant, units::Kind::Quota, new)
    })
    .await
}

async fn add(State(app): State<App>, w: Write) -> ApiResult {
    change(app, w, Op::Add).await
}

async fn remove(State(app): State<App>, w: Write) -> ApiResult {
    change(app, w, Op::Remove).await
}

async fn set(State(app): State<App>, w: Write) -> ApiResult {
    change(app, w, Op::Set).await
}

async fn get_one(State(app): State<App>, org: OrgCtx, Params(mut q): Params) -> ApiResult {
    let customer = customer_query(&mut q);
    let code = q.req_str("featureCode");
    q.finish()?;
    let value = app
        .read(move |c| {
            let ctx = entitlements::context(c, &org.org_id, &customer, "customerId")?;
            let grant = grant_for(c, &ctx, &org.org_id, &code)?;
            units::quota_json(c, &ctx, &grant)
        })
        .await?;
    Ok(ok(value))
}

async fn get_all(State(app): State<App>, org: OrgCtx, Params(mut q): Params) -> ApiResult {
    let customer = customer_query(&mut q);
    q.finish()?;
    let data = app
        .read(move |c| {
            let ctx = entitlements::context(c, &org.org_id, &customer, "customerId")?;
            entitlements::grants(c, &ctx)?
                .iter()
                .filter(|g| g.feature.kind == "quota" && g.enabled)
                .map(|g| units::quota_json(c, &ctx, g))
                .collect::<Result<Vec<_>, _>>()
        })
        .await?;
    Ok(ok(
        json!({ "object": "list", "data": data, "hasMore": false }),
    ))
}
