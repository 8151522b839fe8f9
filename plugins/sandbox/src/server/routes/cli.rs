//! `/api/cli`: the CLI's own endpoints (organizations, project keys, push,
//! templates; the `commet listen` sessions live in `routes::listen`).
//! Callers use a login token or an organization API key.

use axum::extract::State;
use axum::routing::{get, post};
use axum::Router;
use rusqlite::Connection;
use serde_json::{json, Value};

use crate::server::app::App;
use crate::server::catalog;
use crate::server::error::ApiError;
use crate::server::http::extract::{ok, ApiResult, CliAuth, Write};
use crate::server::input::Input;
use crate::server::store::api_keys;
use crate::server::store::orgs::{self, Org};

pub fn routes() -> Router<App> {
    Router::new()
        .route("/organizations", get(organizations))
        .route("/api-keys", post(create_api_key))
        .route("/push", post(push))
        .route("/templates", post(templates))
        .merge(super::listen::routes())
}

/// The organization a CLI call acts on: the one named (by id or slug), which
/// the caller must belong to, or by default the key's org / the user's first.
pub(crate) fn resolve_org(
    conn: &Connection,
    auth: &CliAuth,
    requested: Option<&str>,
    param: &str,
) -> Result<Org, ApiError> {
    let not_found = |r: &str| {
        ApiError::not_found(
            "not_found",
            format!("No organization with id or slug `{r}`"),
        )
        .param(param)
    };
    match (auth, requested) {
        (CliAuth::OrgKey(org_id), None) => {
            orgs::get(conn, org_id)?.ok_or_else(|| not_found(org_id))
        }
        (CliAuth::OrgKey(org_id), Some(r)) => {
            let org = orgs::find(conn, r)?.ok_or_else(|| not_found(r))?;
            if &org.id == org_id {
                Ok(org)
            } else {
                Err(ApiError::forbidden(
                    "forbidden",
                    format!("This API key belongs to another organization than `{r}`"),
                )
                .param(param))
            }
        }
        (CliAuth::User(user), None) => orgs::list_for_user(conn, user)?
            .into_iter()
            .next()
            .ok_or_else(|| {
                ApiError::not_found("not_found", "You do not belong to any organization")
            }),
        (CliAuth::User(user), Some(r)) => {
            let org = orgs::find(conn, r)?.ok_or_else(|| not_found(r))?;
            if orgs::is_member(conn, user, &org.id)? {
                Ok(org)
            } else {
                Err(ApiError::forbidden(
                    "forbidden",
                    format!("You are not a member of organization `{r}`"),
                )
                .param(param))
            }
        }
    }
}

async fn organizations(State(app): State<App>, auth: CliAuth) -> ApiResult {
    let list = app
        .read(move |c| match &auth {
            CliAuth::User(user) => orgs::list_for_user(c, user),
            CliAuth::OrgKey(org) => Ok(orgs::get(c, org)?.into_iter().collect()),
        })
        .await?;
    let organizations: Vec<Value> = list.iter().map(Org::to_json).collect();
    Ok(ok(
        json!({ "success": true, "organizations": organizations }),
    ))
}

async fn create_api_key(State(app): State<App>, w: Write<CliAuth>) -> ApiResult {
    w.run(&app, |tx, auth, body| {
        let mut i = Input::new(body)?;
        let org_ref = i.req_str("organizationId");
        let name = i.opt_str("name").unwrap_or_else(|| "CLI project key".to_owned());
        i.finish()?;
        let org = resolve_org(tx, auth, Some(&org_ref), "organizationId")?;
        let (created, secret) = api_keys::create(tx, &org.id, &name, None, None)?;
        Ok(json!({ "success": true, "apiKey": secret, "id": created["id"], "organizationId": org.id }))
    })
    .await
}

async fn push(State(app): State<App>, w: Write<CliAuth>) -> ApiResult {
    w.run(&app, |tx, auth, body| {
        let mut i = Input::new(body)?;
        let config = i.req_object("config").map(|m| Value::Object(m.clone()));
        let org_ref = i.opt_str("orgId").or(i.opt_str("organizationId"));
        i.finish()?;
        let org = resolve_org(tx, auth, org_ref.as_deref(), "orgId")?;
        catalog::push(tx, &org.id, &config.unwrap_or(Value::Null))
    })
    .await
}

async fn templates(State(app): State<App>, w: Write<CliAuth>) -> ApiResult {
    w.run(&app, |tx, auth, body| {
        let mut i = Input::new(body)?;
        let template = i.req_enum("templateId", catalog::TEMPLATE_IDS);
        let org_ref = i.opt_str("organizationId");
        i.finish()?;
        let org = resolve_org(tx, auth, org_ref.as_deref(), "organizationId")?;
        catalog::apply_template(tx, &org.id, &template)
    })
    .await
}
