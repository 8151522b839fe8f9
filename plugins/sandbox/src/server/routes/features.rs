//! `/features`: the feature catalog, addressed by code.

use axum::extract::{Path, State};
use axum::routing::get;
use axum::Router;

use crate::server::app::App;
use crate::server::http::extract::{ok, ApiResult, OrgCtx, Params, Write};
use crate::server::input::Input;
use crate::server::store::features::{self, CODE_RULE, FEATURE_TYPES};

pub fn routes() -> Router<App> {
    Router::new()
        .route("/features", get(list).post(create))
        .route(
            "/features/{code}",
            get(get_one).patch(update).delete(delete),
        )
}

async fn create(State(app): State<App>, w: Write) -> ApiResult {
    w.run(&app, |tx, org, body| {
        let mut i = Input::new(body)?;
        let name = i.req_str("name");
        let code = i.req_str("code");
        if !code.is_empty() && !features::valid_code(&code) {
            i.problem("code", CODE_RULE);
        }
        let kind = i.req_enum("type", FEATURE_TYPES);
        let description = i.opt_str("description");
        let unit_name = i.opt_str("unitName");
        i.finish()?;
        Ok(
            features::insert(tx, &org.org_id, &code, &name, &kind, description, unit_name)?
                .to_json(),
        )
    })
    .await
}

async fn get_one(State(app): State<App>, org: OrgCtx, Path(code): Path<String>) -> ApiResult {
    let f = app
        .read(move |c| features::require(c, &org.org_id, &code, "code"))
        .await?;
    Ok(ok(f.to_json()))
}

async fn update(State(app): State<App>, Path(code): Path<String>, w: Write) -> ApiResult {
    w.run(&app, move |tx, org, body| {
        let mut i = Input::new(body)?;
        if i.has("type") {
            i.problem(
                "type",
                "a feature's type cannot be changed; create a new feature instead",
            );
        }
        let name = i.opt_str("name");
        let description = i.patch_str("description");
        let unit_name = i.patch_str("unitName");
        i.finish()?;
        Ok(features::update(tx, &org.org_id, &code, name, description, unit_name)?.to_json())
    })
    .await
}

async fn delete(State(app): State<App>, Path(code): Path<String>, w: Write) -> ApiResult {
    w.run(&app, move |tx, org, _| {
        features::delete(tx, &org.org_id, &code)
    })
    .await
}

async fn list(State(app): State<App>, org: OrgCtx, Params(mut q): Params) -> ApiResult {
    let page = q.page();
    q.finish()?;
    let page = app
        .read(move |c| features::list(c, &org.org_id, page))
        .await?;
    Ok(ok(page.to_json()))
}
