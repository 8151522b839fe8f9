//! `/feature-access` (list) and `/feature-access/{code}` (one feature, or
//! with `action=canUse` whether one more unit may be consumed).

use axum::extract::{Path, State};
use axum::routing::get;
use axum::Router;
use serde_json::json;

use crate::server::app::App;
use crate::server::entitlements::{self, access};
use crate::server::http::extract::{ok, ApiResult, OrgCtx, Params};
use crate::server::input::QueryInput;
use crate::server::store::features;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/feature-access", get(list))
        .route("/feature-access/{code}", get(get_one))
}

/// `customerId` (or `externalId`) from the query.
fn customer_query(q: &mut QueryInput) -> String {
    match q.str("externalId") {
        Some(ext) if q.str("customerId").is_none() => ext,
        _ => q.req_str("customerId"),
    }
}

async fn list(State(app): State<App>, org: OrgCtx, Params(mut q): Params) -> ApiResult {
    let customer = customer_query(&mut q);
    q.finish()?;
    let data = app
        .read(move |c| {
            let ctx = entitlements::context(c, &org.org_id, &customer, "customerId")?;
            access::list(c, &ctx)
        })
        .await?;
    Ok(ok(
        json!({ "object": "list", "data": data, "hasMore": false }),
    ))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Get,
    CanUse,
}

async fn get_one(
    State(app): State<App>,
    org: OrgCtx,
    Path(code): Path<String>,
    Params(mut q): Params,
) -> ApiResult {
    let customer = customer_query(&mut q);
    let action = match q.str("action").as_deref() {
        None | Some("get") => Action::Get,
        Some("canUse" | "can_use" | "can-use") => Action::CanUse,
        Some(_) => {
            return Err(crate::server::error::ApiError::invalid(
                "action",
                "must be canUse (or left out to read the access)",
            ))
        }
    };
    q.finish()?;
    let value = app
        .read(move |c| {
            let ctx = entitlements::context(c, &org.org_id, &customer, "customerId")?;
            let feature = features::require(c, &org.org_id, &code, "code")?;
            let grant = entitlements::find_grant(c, &ctx, &feature)?;
            match (action, grant) {
                (Action::Get, Some(g)) => Ok(access::render(c, &ctx, &g)?.0),
                (Action::Get, None) => Err(entitlements::not_in_plan(&ctx, &feature)),
                (Action::CanUse, Some(g)) => access::can_use(c, &ctx, &g),
                (Action::CanUse, None) => Ok(access::cannot_use(&ctx, &feature)),
            }
        })
        .await?;
    Ok(ok(value))
}
