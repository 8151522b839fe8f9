//! Pages for people and probes: `/`, `/health`, the device approval page and
//! the customer portal. Faults never apply here.

use std::collections::HashMap;

use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::server::app::App;
use crate::server::store::auth::{self, CodeState};
use crate::server::store::orgs::{self, LOCAL_USER_ID};
use crate::server::store::page::PageParams;
use crate::server::store::{customers, portal};

pub fn routes() -> Router<App> {
    Router::new()
        .route("/", get(index))
        .route("/health", get(health))
        .route("/device", get(device_page))
        .route("/device/approve", post(approve))
        .route("/device/deny", post(deny))
        .route("/portal/{token}", get(portal_page))
        .merge(super::checkout::pages())
        .merge(super::invoices::pages())
}

/// Escapes text for HTML.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<style>body{{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#1d1d1f}}\
h1{{font-size:1.4rem}}code,.code{{font-family:ui-monospace,monospace;background:#f2f2f5;padding:.1rem .3rem;border-radius:4px}}\
.code{{font-size:1.6rem;letter-spacing:.15rem;padding:.4rem .8rem}}button{{font-size:1rem;padding:.5rem 1.2rem;margin-right:.5rem;border-radius:6px;border:1px solid #888;cursor:pointer}}\
button.primary{{background:#1d1d1f;color:#fff}}table{{border-collapse:collapse}}td,th{{text-align:left;padding:.2rem .8rem .2rem 0}}\
.muted{{color:#666}}</style></head><body>{body}\
<p class=\"muted\">Commet local sandbox</p></body></html>",
        title = esc(title),
    ))
}

async fn index(State(app): State<App>) -> Html<String> {
    page(
        "Commet local sandbox",
        &format!(
            "<h1>Commet local sandbox</h1><p>The API is served at <code>{base}/api/v1</code>; \
the CLI endpoints at <code>{base}/api/cli</code>.</p>\
<p>Point the CLI here with <code>COMMET_ENVIRONMENT=local</code> or <code>--api-url {base}</code>.</p>\
<p><a href=\"/health\">Health check</a></p>",
            base = esc(&app.base_url)
        ),
    )
}

async fn health() -> Json<Value> {
    Json(json!({ "ok": true }))
}

fn code_form(code: &str) -> String {
    let code = esc(code);
    format!(
        "<h1>Log in to the Commet CLI</h1>\
<p>Check that this code matches the one shown in your terminal:</p><p class=\"code\">{code}</p>\
<form method=\"post\" action=\"/device/approve\" style=\"display:inline\"><input type=\"hidden\" name=\"user_code\" value=\"{code}\">\
<button class=\"primary\" type=\"submit\">Approve</button></form>\
<form method=\"post\" action=\"/device/deny\" style=\"display:inline\"><input type=\"hidden\" name=\"user_code\" value=\"{code}\">\
<button type=\"submit\">Deny</button></form>\
<p class=\"muted\">Approving logs the CLI in as the sandbox's local user, a member of every sandbox organization.</p>"
    )
}

async fn device_page(State(app): State<App>, Query(q): Query<HashMap<String, String>>) -> Response {
    let Some(raw) = q
        .get("user_code")
        .map(|c| c.trim())
        .filter(|c| !c.is_empty())
    else {
        return page(
            "Log in to the Commet CLI",
            "<h1>Log in to the Commet CLI</h1><form method=\"get\" action=\"/device\">\
<p>Enter the code shown in your terminal:</p><input name=\"user_code\" placeholder=\"XXXX-XXXX\" autofocus> \
<button class=\"primary\" type=\"submit\">Continue</button></form>",
        )
        .into_response();
    };
    let code = auth::normalize_user_code(raw);
    let lookup = code.clone();
    let state = app.read(move |c| auth::state(c, &lookup)).await;
    let (status, body) = match state {
        Ok(CodeState::Pending) => (StatusCode::OK, code_form(&code)),
        Ok(CodeState::Approved) => (
            StatusCode::OK,
            "<h1>Already approved</h1><p>You can close this page and return to your terminal.</p>".to_owned(),
        ),
        Ok(CodeState::Denied) => (
            StatusCode::OK,
            "<h1>Login denied</h1><p>Run <code>commet login</code> again to start over.</p>".to_owned(),
        ),
        Ok(CodeState::Expired) => (
            StatusCode::GONE,
            "<h1>Code expired</h1><p>Run <code>commet login</code> again to get a new code.</p>".to_owned(),
        ),
        Ok(CodeState::Unknown) => (
            StatusCode::NOT_FOUND,
            format!("<h1>Unknown code</h1><p>No login is waiting for <code>{}</code>. Check the code in your terminal.</p>", esc(&code)),
        ),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, format!("<h1>Error</h1><p>{}</p>", esc(&e.message))),
    };
    (status, page("Log in to the Commet CLI", &body)).into_response()
}

async fn decide(app: App, form: HashMap<String, String>, approve: bool) -> Response {
    let code = form.get("user_code").cloned().unwrap_or_default();
    let result = app
        .write(move |c| auth::decide(c, &code, approve, LOCAL_USER_ID))
        .await;
    match result {
        Ok(()) if approve => page(
            "Login approved",
            "<h1>Login approved</h1><p>The CLI is now logged in. You can close this page and return to your terminal.</p>",
        )
        .into_response(),
        Ok(()) => page(
            "Login denied",
            "<h1>Login denied</h1><p>The CLI was not logged in. You can close this page.</p>",
        )
        .into_response(),
        Err(e) => (e.status, page("Login", &format!("<h1>Could not answer</h1><p>{}</p>", esc(&e.message)))).into_response(),
    }
}

async fn approve(State(app): State<App>, Form(form): Form<HashMap<String, String>>) -> Response {
    decide(app, form, true).await
}

async fn deny(State(app): State<App>, Form(form): Form<HashMap<String, String>>) -> Response {
    decide(app, form, false).await
}

async fn portal_page(State(app): State<App>, Path(token): Path<String>) -> Response {
    let result = app
        .read(move |c| {
            let Some(session) = portal::get(c, &token)? else {
                return Ok(None);
            };
            let customer =
                customers::require(c, &session.org_id, &session.customer_id, "customerId")?;
            let org = orgs::get(c, &session.org_id)?;
            let credits = customers::list_credits(
                c,
                &customer.id,
                PageParams {
                    limit: 100,
                    after: None,
                },
            )?;
            let billing =
                super::checkout::portal_section(c, &session.org_id, &customer.id, &token)?;
            Ok(Some((session, customer, org, credits.items, billing)))
        })
        .await;
    let (session, customer, org, credits, billing) =
        match result {
            Ok(Some(found)) => found,
            Ok(None) => return (
                StatusCode::NOT_FOUND,
                page(
                    "Portal link expired",
                    "<h1>This portal link is invalid or has expired</h1><p>Ask for a new link.</p>",
                ),
            )
                .into_response(),
            Err(e) => {
                return (
                    e.status,
                    page(
                        "Portal",
                        &format!("<h1>Error</h1><p>{}</p>", esc(&e.message)),
                    ),
                )
                    .into_response();
            }
        };
    let org_name = org.map(|o| o.name).unwrap_or_default();
    let name = customer
        .full_name
        .clone()
        .unwrap_or_else(|| customer.email.clone());
    let mut body = format!(
        "<h1>{org} billing</h1><h2>{name}</h2><table>\
<tr><th>Email</th><td>{email}</td></tr><tr><th>Customer</th><td><code>{id}</code></td></tr>",
        org = esc(&org_name),
        name = esc(&name),
        email = esc(&customer.email),
        id = esc(&customer.id),
    );
    if let Some(ext) = &customer.external_id {
        body.push_str(&format!(
            "<tr><th>External id</th><td><code>{}</code></td></tr>",
            esc(ext)
        ));
    }
    if let Some(address) = customer.address.as_ref().and_then(Value::as_object) {
        let parts: Vec<String> = ["line1", "line2", "city", "state", "postalCode", "country"]
            .iter()
            .filter_map(|k| address.get(*k).and_then(Value::as_str))
            .map(esc)
            .collect();
        body.push_str(&format!(
            "<tr><th>Address</th><td>{}</td></tr>",
            parts.join(", ")
        ));
    }
    body.push_str("</table>");
    body.push_str(&billing);
    body.push_str("<h3>Credits</h3>");
    if credits.is_empty() {
        body.push_str("<p class=\"muted\">No credits.</p>");
    } else {
        body.push_str("<table><tr><th>Amount</th><th>Remaining</th><th>Reason</th></tr>");
        for c in &credits {
            let money = |v: &Value| {
                format!(
                    "{:.2} {}",
                    v.as_i64().unwrap_or(0) as f64 / 100.0,
                    c["currency"].as_str().unwrap_or("").to_uppercase()
                )
            };
            body.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&money(&c["amount"])),
                esc(&money(&c["remainingAmount"])),
                esc(c["reason"].as_str().unwrap_or(""))
            ));
        }
        body.push_str("</table>");
    }
    if let Some(url) = &session.return_url {
        body.push_str(&format!("<p><a href=\"{}\">Return</a></p>", esc(url)));
    }
    page(&format!("{org_name} billing"), &body).into_response()
}
