//! `/credit-packs`.

use axum::extract::{Path, State};
use axum::routing::get;
use axum::Router;

use crate::server::app::App;
use crate::server::http::extract::{ok, ApiResult, OrgCtx, Params, Write};
use crate::server::input::Input;
use crate::server::store::credit_packs;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/credit-packs", get(list).post(create))
        .route(
            "/credit-packs/{id}",
            get(get_one).patch(update).delete(delete),
        )
}

async fn create(State(app): State<App>, w: Write) -> ApiResult {
    w.run(&app, |tx, org, body| {
        let mut i = Input::new(body)?;
        let name = i.req_str("name");
        let description = i.opt_str("description");
        let credits = i.req_int_in("credits", 1, i64::MAX);
        let price = i.req_int_in("price", 0, i64::MAX);
        let is_active = i.opt_bool("isActive").unwrap_or(true);
        i.finish()?;
        credit_packs::insert(
            tx,
            &org.org_id,
            &name,
            description,
            credits,
            price,
            is_active,
        )
    })
    .await
}

async fn get_one(State(app): State<App>, org: OrgCtx, Path(id): Path<String>) -> ApiResult {
    Ok(ok(app
        .read(move |c| credit_packs::require(c, &org.org_id, &id))
        .await?))
}

async fn update(State(app): State<App>, Path(id): Path<String>, w: Write) -> ApiResult {
    w.run(&app, move |tx, org, body| {
        let mut i = Input::new(body)?;
        let name = i.opt_str("name");
        let description = i.patch_str("description");
        let credits = i.opt_int_in("credits", 1, i64::MAX);
        let price = i.opt_int_in("price", 0, i64::MAX);
        let is_active = i.opt_bool("isActive");
        i.finish()?;
        credit_packs::update(
            tx,
            &org.org_id,
            &id,
            name,
            description,
            credits,
            price,
            is_active,
        )
    })
    .await
}

async fn delete(State(app): State<App>, Path(id): Path<String>, w: Write) -> ApiResult {
    w.run(&app, move |tx, org, _| {
        credit_packs::delete(tx, &org.org_id, &id)
    })
    .await
}

async fn list(State(app): State<App>, org: OrgCtx, Params(mut q): Params) -> ApiResult {
    let page = q.page();
    q.finish()?;
    let page = app
        .read(move |c| credit_packs::list(c, &org.org_id, page))
        .await?;
    Ok(ok(page.to_json()))
}
