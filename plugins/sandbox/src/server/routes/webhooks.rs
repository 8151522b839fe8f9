//! `/webhooks`: endpoints, and `POST /webhooks/{id}/test`, which queues a
//! signed `webhook.test` delivery (sent by `server::delivery`).

use axum::extract::{Path, State};
use axum::http::Uri;
use axum::routing::{get, post};
use axum::Router;
use serde_json::json;

use crate::server::app::App;
use crate::server::http::extract::{ok, ApiResult, OrgCtx, Params, Write};
use crate::server::http::layers::{CURRENT_VERSION, WRAPPED_VERSION};
use crate::server::ids;
use crate::server::input::Input;
use crate::server::store::webhooks::{self, WebhookPatch};

/// Every event type an endpoint can subscribe to.
pub use commet_sdk::events::WEBHOOK_EVENT_TYPES as EVENT_TYPES;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/webhooks", get(list).post(create))
        .route("/webhooks/{id}", get(get_one).patch(update).delete(delete))
        .route("/webhooks/{id}/test", post(test))
}

fn url(i: &mut Input<'_>, required: bool) -> Option<String> {
    let value = if required {
        Some(i.req_str("url"))
    } else {
        i.opt_str("url")
    }?;
    if value.is_empty() {
        return None;
    }
    let ok = value.parse::<Uri>().ok().filter(|u| {
        matches!(u.scheme_str(), Some("http") | Some("https"))
            && u.host().is_some_and(|h| !h.is_empty())
    });
    if ok.is_some() {
        Some(value)
    } else {
        i.problem("url", "must be an absolute http:// or https:// URL");
        None
    }
}

fn events(i: &mut Input<'_>, required: bool) -> Option<Vec<String>> {
    if required && !i.has("events") {
        i.problem("events", "is required");
        return None;
    }
    let events = i.opt_strings("events")?;
    if events.is_empty() {
        i.problem("events", "subscribe to at least one event type");
    }
    for e in &events {
        if !EVENT_TYPES.contains(&e.as_str()) {
            i.problem("events", format!("`{e}` is not a webhook event type"));
        }
    }
    Some(events)
}

fn api_version(i: &mut Input<'_>) -> Option<String> {
    i.opt_enum("apiVersion", &[CURRENT_VERSION, WRAPPED_VERSION])
}

async fn create(State(app): State<App>, w: Write) -> ApiResult {
    w.run(&app, |tx, org, body| {
        let mut i = Input::new(body)?;
        let url = url(&mut i, true).unwrap_or_default();
        let events = events(&mut i, true).unwrap_or_default();
        let description = i.opt_str("description");
        let version = api_version(&mut i);
        i.finish()?;
        webhooks::insert(tx, &org.org_id, &url, &events, description, version)
    })
    .await
}

async fn get_one(State(app): State<App>, org: OrgCtx, Path(id): Path<String>) -> ApiResult {
    Ok(ok(app
        .read(move |c| webhooks::require(c, &org.org_id, &id))
        .await?))
}

async fn update(State(app): State<App>, Path(id): Path<String>, w: Write) -> ApiResult {
    w.run(&app, move |tx, org, body| {
        let mut i = Input::new(body)?;
        let patch = WebhookPatch {
            url: url(&mut i, false),
            events: events(&mut i, false),
            description: i.patch_str("description"),
            is_active: i.opt_bool("isActive"),
            api_version: api_version(&mut i),
        };
        i.finish()?;
        webhooks::update(tx, &org.org_id, &id, patch)
    })
    .await
}

async fn delete(State(app): State<App>, Path(id): Path<String>, w: Write) -> ApiResult {
    w.run(&app, move |tx, org, _| {
        webhooks::delete(tx, &org.org_id, &id)
    })
    .await
}

async fn list(State(app): State<App>, org: OrgCtx, Params(mut q): Params) -> ApiResult {
    let page = q.page();
    q.finish()?;
    let page = app
        .read(move |c| webhooks::list(c, &org.org_id, page))
        .await?;
    Ok(ok(page.to_json()))
}

/// Records a test delivery; it is sent right after the commit.
async fn test(State(app): State<App>, Path(id): Path<String>, w: Write) -> ApiResult {
    w.run(&app, move |tx, org, _| {
        let hook = webhooks::require(tx, &org.org_id, &id)?;
        let version = hook["apiVersion"]
            .as_str()
            .unwrap_or(CURRENT_VERSION)
            .to_owned();
        let data = json!({
            "webhookId": id,
            "message": "Test event sent by the Commet local sandbox",
        });
        let (delivery_id, _) =
            webhooks::enqueue(tx, &org.org_id, &id, "webhook.test", data, &version)?;
        Ok(json!({
            "success": true,
            "deliveryId": delivery_id,
            "deliveredAt": ids::now(),
            "object": "webhook_delivery",
            "livemode": false,
        }))
    })
    .await
}
