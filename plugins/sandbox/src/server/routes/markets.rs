//! `/markets`: groups of countries priced together.

use axum::extract::{Path, State};
use axum::routing::get;
use axum::Router;
use serde_json::Value;

use crate::server::app::App;
use crate::server::http::extract::{ok, ApiResult, OrgCtx, Params, Write};
use crate::server::input::Input;
use crate::server::store::markets;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/markets", get(list).post(create))
        .route("/markets/{id}", get(get_one).patch(update).delete(delete))
}

/// `countryCodes`: ISO 3166 alpha-2 codes, any case, no repeats.
fn countries(i: &mut Input<'_>) -> Vec<String> {
    if !i.has("countryCodes") {
        i.problem("countryCodes", "is required");
        return Vec::new();
    }
    let raw = i.opt_strings("countryCodes").unwrap_or_default();
    let mut out: Vec<String> = Vec::new();
    for code in raw {
        let upper = code.to_ascii_uppercase();
        if upper.len() != 2 || !upper.chars().all(|c| c.is_ascii_alphabetic()) {
            i.problem(
                "countryCodes",
                format!("`{code}` is not a two-letter country code"),
            );
        } else if out.contains(&upper) {
            i.problem("countryCodes", format!("{upper} is listed twice"));
        } else {
            out.push(upper);
        }
    }
    if out.is_empty() && i.ok() {
        i.problem("countryCodes", "needs at least one country");
    }
    out
}

fn fields(i: &mut Input<'_>) -> (String, Vec<String>, Option<Value>) {
    let name = i.req_str("name");
    let countries = countries(i);
    let metadata = i.opt_object("metadata").map(|m| Value::Object(m.clone()));
    (name, countries, metadata)
}

async fn create(State(app): State<App>, w: Write) -> ApiResult {
    w.run(&app, |tx, org, body| {
        let mut i = Input::new(body)?;
        let (name, countries, metadata) = fields(&mut i);
        i.finish()?;
        markets::insert(tx, &org.org_id, &name, &countries, metadata)
    })
    .await
}

async fn get_one(State(app): State<App>, org: OrgCtx, Path(id): Path<String>) -> ApiResult {
    Ok(ok(app
        .read(move |c| markets::require(c, &org.org_id, &id, "id"))
        .await?))
}

async fn update(State(app): State<App>, Path(id): Path<String>, w: Write) -> ApiResult {
    w.run(&app, move |tx, org, body| {
        let mut i = Input::new(body)?;
        let (name, countries, metadata) = fields(&mut i);
        i.finish()?;
        markets::update(tx, &org.org_id, &id, &name, &countries, metadata)
    })
    .await
}

async fn delete(State(app): State<App>, Path(id): Path<String>, w: Write) -> ApiResult {
    w.run(&app, move |tx, org, _| {
        markets::delete(tx, &org.org_id, &id)
    })
    .await
}

async fn list(State(app): State<App>, org: OrgCtx, Params(mut q): Params) -> ApiResult {
    let page = q.page();
    q.finish()?;
    let page = app
        .read(move |c| markets::list(c, &org.org_id, page))
        .await?;
    Ok(ok(page.to_json()))
}
