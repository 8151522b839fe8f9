//! `/plan-groups`: ordered groups of plans.

use axum::extract::{Path, State};
use axum::routing::{delete as delete_route, get, post, put};
use axum::Router;

use crate::server::app::App;
use crate::server::http::extract::{ok, ApiResult, OrgCtx, Params, Write};
use crate::server::input::Input;
use crate::server::store::{plan_groups, plans};

pub fn routes() -> Router<App> {
    Router::new()
        .route("/plan-groups", get(list).post(create))
        .route(
            "/plan-groups/{id}",
            get(get_one).patch(update).delete(delete),
        )
        .route("/plan-groups/{id}/plans", post(add_plan))
        .route("/plan-groups/{id}/plans/reorder", put(reorder))
        .route(
            "/plan-groups/{id}/plans/{plan_id}",
            delete_route(remove_plan),
        )
}

async fn create(State(app): State<App>, w: Write) -> ApiResult {
    w.run(&app, |tx, org, body| {
        let mut i = Input::new(body)?;
        let name = i.req_str("name");
        let description = i.opt_str("description");
        let is_public = i.opt_bool("isPublic").unwrap_or(true);
        i.finish()?;
        Ok(plan_groups::insert(tx, &org.org_id, &name, description, is_public)?.to_json())
    })
    .await
}

async fn get_one(State(app): State<App>, org: OrgCtx, Path(id): Path<String>) -> ApiResult {
    let v = app
        .read(move |c| {
            let group = plan_groups::require(c, &org.org_id, &id, "id")?;
            plan_groups::detail(c, &group)
        })
        .await?;
    Ok(ok(v))
}

async fn update(State(app): State<App>, Path(id): Path<String>, w: Write) -> ApiResult {
    w.run(&app, move |tx, org, body| {
        let mut i = Input::new(body)?;
        let name = i.opt_str("name");
        let description = i.patch_str("description");
        let is_public = i.opt_bool("isPublic");
        i.finish()?;
        Ok(plan_groups::update(tx, &org.org_id, &id, name, description, is_public)?.to_json())
    })
    .await
}

async fn delete(State(app): State<App>, Path(id): Path<String>, w: Write) -> ApiResult {
    w.run(&app, move |tx, org, _| {
        plan_groups::delete(tx, &org.org_id, &id)
    })
    .await
}

async fn list(State(app): State<App>, org: OrgCtx, Params(mut q): Params) -> ApiResult {
    let page = q.page();
    q.finish()?;
    let page = app
        .read(move |c| plan_groups::list(c, &org.org_id, page))
        .await?;
    Ok(ok(page.to_json()))
}

async fn add_plan(State(app): State<App>, Path(id): Path<String>, w: Write) -> ApiResult {
    w.run(&app, move |tx, org, body| {
        let mut i = Input::new(body)?;
        let plan_ref = i.req_str("planId");
        let sort_order = i.opt_int_in("sortOrder", 0, i64::MAX);
        i.finish()?;
        let group = plan_groups::require(tx, &org.org_id, &id, "id")?;
        let plan = plans::require(tx, &org.org_id, &plan_ref, "planId")?;
        plan_groups::add_plan(tx, &group, &plan, sort_order)
    })
    .await
}

async fn remove_plan(
    State(app): State<App>,
    Path((id, plan_ref)): Path<(String, String)>,
    w: Write,
) -> ApiResult {
    w.run(&app, move |tx, org, _| {
        let group = plan_groups::require(tx, &org.org_id, &id, "id")?;
        let plan = plans::require(tx, &org.org_id, &plan_ref, "planId")?;
        plan_groups::remove_plan(tx, &group, &plan)
    })
    .await
}

async fn reorder(State(app): State<App>, Path(id): Path<String>, w: Write) -> ApiResult {
    w.run(&app, move |tx, org, body| {
        let mut i = Input::new(body)?;
        if !i.has("planIds") {
            i.problem("planIds", "is required");
        }
        let plan_ids = i.opt_strings("planIds").unwrap_or_default();
        i.finish()?;
        let group = plan_groups::require(tx, &org.org_id, &id, "id")?;
        plan_groups::reorder(tx, &org.org_id, &group, &plan_ids)
    })
    .await
}
