//! `/api-keys`: an organization's keys. The secret is returned once.

use axum::extract::{Path, State};
use axum::routing::{delete as delete_route, get};
use axum::Router;

use crate::server::app::App;
use crate::server::http::extract::{ok, ApiResult, OrgCtx, Params, Write};
use crate::server::ids;
use crate::server::input::Input;
use crate::server::store::api_keys;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/api-keys", get(list).post(create))
        .route("/api-keys/{id}", delete_route(delete))
}

async fn create(State(app): State<App>, w: Write) -> ApiResult {
    w.run(&app, |tx, org, body| {
        let mut i = Input::new(body)?;
        let name = i.req_str("name");
        let days = i.opt_int_in("expiresInDays", 1, 3650);
        i.finish()?;
        let expires_at = days.map(|d| ids::iso(chrono::Utc::now() + chrono::Duration::days(d)));
        Ok(api_keys::create(tx, &org.org_id, &name, expires_at, None)?.0)
    })
    .await
}

async fn list(State(app): State<App>, org: OrgCtx, Params(mut q): Params) -> ApiResult {
    let page = q.page();
    q.finish()?;
    let page = app
        .read(move |c| api_keys::list(c, &org.org_id, page))
        .await?;
    Ok(ok(page.to_json()))
}

async fn delete(State(app): State<App>, Path(id): Path<String>, w: Write) -> ApiResult {
    w.run(&app, move |tx, org, _| {
        api_keys::delete(tx, &org.org_id, &id)
    })
    .await
}
