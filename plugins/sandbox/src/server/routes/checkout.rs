//! Hosted checkout pages of the sandbox and their JSON twin.
//!
//! - `GET /checkout/{token}`: the page (what is being paid, a card field,
//!   the test cards); `POST /checkout/{token}` (form `card`) pays it;
//! - `POST /sandbox/checkout/{subscriptionId}` (`x-api-key`, JSON
//!   `{card?}`): completes the subscription's open checkout like the page
//!   would; used by `commet sandbox checkout`. Also served under `/api/v1`
//!   so a CLI request there carries the org key.
//!
//! Pages are not subject to fault injection.

use std::collections::HashMap;

use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use rusqlite::Connection;
use serde_json::{json, Value};

use super::pages::esc;
use super::subscriptions::{committed_error, finish};
use crate::server::app::App;
use crate::server::billing::{self, cards, lifecycle, view};
use crate::server::error::ApiError;
use crate::server::http::extract::{ApiResult, Write};
use crate::server::input::Input;
use crate::server::store::subscriptions::{self as subs, CheckoutSession};
use crate::server::store::{invoices, payments};

/// Root routes (pages and the control endpoint).
pub fn pages() -> Router<App> {
    Router::new()
        .route("/checkout/{token}", get(page).post(submit))
        .route("/sandbox/checkout/{id}", post(api_checkout))
        .route("/portal/{token}/invoices/{id}", get(portal_invoice))
}

/// The control endpoint under `/api/v1`.
pub fn routes() -> Router<App> {
    Router::new().route("/sandbox/checkout/{id}", post(api_checkout))
}

fn html(status: StatusCode, title: &str, body: &str) -> Response {
    let doc = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<style>body{{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;color:#1d1d1f}}\
h1{{font-size:1.4rem}}code{{font-family:ui-monospace,monospace;background:#f2f2f5;padding:.1rem .3rem;border-radius:4px}}\
input{{font-size:1.1rem;padding:.5rem;width:100%;box-sizing:border-box;font-family:ui-monospace,monospace}}\
button{{font-size:1rem;padding:.6rem 1.4rem;margin-top:.8rem;border-radius:6px;border:1px solid #1d1d1f;background:#1d1d1f;color:#fff;cursor:pointer}}\
table{{border-collapse:collapse;margin:.5rem 0}}td,th{{text-align:left;padding:.2rem .8rem .2rem 0}}\
.muted{{color:#666}}.error{{color:#b00020}}.ok{{color:#0a7d28}}.amount{{font-size:1.6rem;font-weight:600}}</style></head>\
<body>{body}<p class=\"muted\">Commet local sandbox — no real money moves.</p></body></html>",
        title = esc(title),
    );
    (status, Html(doc)).into_response()
}

fn cards_table() -> String {
    let mut rows = String::new();
    for c in cards::CARDS {
        rows.push_str(&format!(
            "<tr><td><code>{}</code></td><td>{}</td></tr>",
            esc(c.number),
            esc(c.label)
        ));
    }
    format!(
        "<details><summary>Sandbox test cards (any expiry in the future, e.g. 12/34, CVC 123)</summary>\
<table><tr><th>Number</th><th>Result</th></tr>{rows}</table></details>"
    )
}

/// What the page shows as being paid.
fn describe(conn: &Connection, s: &CheckoutSession) -> Result<(String, String), ApiError> {
    let sub = match &s.subscription_id {
        Some(id) => subs::get(conn, &s.org_id, id)?,
        None => None,
    };
    let plan_name = match &sub {
        Some(sub) => billing::plan(conn, &sub.plan_id)?.name,
        None => String::new(),
    };
    let invoice_amount = |id: &Option<String>| -> Result<Option<String>, ApiError> {
        Ok(match id {
            Some(id) => {
                invoices::get(conn, &s.org_id, id)?.map(|i| billing::money(i.total, &i.currency))
            }
            None => None,
        })
    };
    Ok(match s.kind.as_str() {
        "subscription" => (
            format!("Subscribe to {plan_name}"),
            invoice_amount(&s.invoice_id)?.unwrap_or_default(),
        ),
        "trial" => {
            let days = s
                .target
                .as_ref()
                .and_then(|t| t["trialDays"].as_i64())
                .unwrap_or(0);
            (
                format!("Start your {days}-day {plan_name} trial"),
                "0.00 today".into(),
            )
        }
        "plan_change" => {
            let target = s.target.clone().unwrap_or(Value::Null);
            let name = billing::plan(conn, target["planId"].as_str().unwrap_or_default())
                .map(|p| p.name)
                .unwrap_or_default();
            let amount = match target["priceId"].as_str() {
                Some(id) => billing::price(conn, id)?
                    .map(|p| billing::money(p.price, "usd"))
                    .unwrap_or_default(),
                None => String::new(),
            };
            (format!("Upgrade to {name}"), amount)
        }
        "payment_method" => (
            format!("Update the card for {plan_name}"),
            "0.00 today".into(),
        ),
        "recovery" => {
            let amount = match &sub {
                Some(sub) => invoice_amount(&sub.dunning_invoice_id)?.unwrap_or_default(),
                None => String::new(),
            };
            (format!("Pay the overdue {plan_name} invoice"), amount)
        }
        "payment" => {
            let p = match &s.payment_id {
                Some(id) => payments::get(conn, &s.org_id, id)?,
                None => None,
            };
            match p {
                Some(p) => (
                    p.description.clone(),
                    billing::money(p.amount_total, &p.currency),
                ),
                None => ("Payment".into(), String::new()),
            }
        }
        _ => ("Checkout".into(), String::new()),
    })
}

fn form(token: &str, title: &str, amount: &str, error: Option<&str>) -> String {
    let error = error
        .map(|e| format!("<p class=\"error\">{}</p>", esc(e)))
        .unwrap_or_default();
    format!(
        "<h1>{title}</h1><p class=\"amount\">{amount}</p>{error}\
<form method=\"post\" action=\"/checkout/{token}\"><label for=\"card\">Card number</label>\
<input id=\"card\" name=\"card\" inputmode=\"numeric\" autocomplete=\"cc-number\" value=\"4242 4242 4242 4242\">\
<button type=\"submit\">Pay</button></form>{cards}",
        title = esc(title),
        amount = esc(amount),
        token = esc(token),
        cards = cards_table(),
    )
}

async fn page(State(app): State<App>, Path(token): Path<String>) -> Response {
    let t = token.clone();
    let found = app
        .read(move |c| match subs::checkout(c, &t)? {
            Some(s) => Ok(Some((describe(c, &s)?, s))),
            None => Ok(None),
        })
        .await;
    match found {
        Ok(Some(((title, amount), s))) if s.status == "open" => html(
            StatusCode::OK,
            &title,
            &form(&token, &title, &amount, s.last_error.as_deref()),
        ),
        Ok(Some((_, s))) => html(
            StatusCode::GONE,
            "Checkout closed",
            &format!(
                "<h1>This checkout is {}</h1><p>Nothing more to pay here.</p>",
                esc(&s.status)
            ),
        ),
        Ok(None) => html(
            StatusCode::NOT_FOUND,
            "Unknown checkout",
            "<h1>This checkout link is invalid</h1>",
        ),
        Err(e) => html(
            e.status,
            "Checkout",
            &format!("<h1>Error</h1><p>{}</p>", esc(&e.message)),
        ),
    }
}

async fn submit(
    State(app): State<App>,
    Path(token): Path<String>,
    Form(form_data): Form<HashMap<String, String>>,
) -> Response {
    let card = form_data.get("card").cloned().unwrap_or_default();
    let base = app.base_url.clone();
    let t = token.clone();
    let result = app
        .write(move |tx| {
            let r = lifecycle::complete_checkout(tx, &t, &card, &base)?;
            let session = subs::checkout(tx, &t)?;
            let described = match &session {
                Some(s) => Some(describe(tx, s)?),
                None => None,
            };
            Ok((r, described))
        })
        .await;
    app.deliveries.notify_one();
    match result {
        Ok((r, _)) if r.ok => {
            let next = r
                .success_url
                .as_deref()
                .map(|u| format!("<p><a href=\"{}\">Continue</a></p>", esc(u)))
                .unwrap_or_default();
            html(
                StatusCode::OK,
                "Payment complete",
                &format!("<h1 class=\"ok\">Done</h1><p>{}</p>{next}", esc(&r.message)),
            )
        }
        Ok((r, described)) => {
            let (title, amount) = described.unwrap_or_default();
            html(
                StatusCode::PAYMENT_REQUIRED,
                &title,
                &form(&token, &title, &amount, Some(&r.message)),
            )
        }
        Err(e) => {
            let t2 = token.clone();
            let described = app
                .read(move |c| match subs::checkout(c, &t2)? {
                    Some(s) if s.status == "open" => Ok(Some(describe(c, &s)?)),
                    _ => Ok(None),
                })
                .await
                .ok()
                .flatten();
            match described {
                Some((title, amount)) => html(
                    e.status,
                    &title,
                    &form(&token, &title, &amount, Some(&e.message)),
                ),
                None => html(
                    e.status,
                    "Checkout",
                    &format!("<h1>Could not pay</h1><p>{}</p>", esc(&e.message)),
                ),
            }
        }
    }
}

/// The open checkout of a subscription: its pending checkout first, then
/// the newest open page (plan change, recovery, card update).
fn open_session(
    conn: &Connection,
    org_id: &str,
    sub_id: &str,
) -> Result<CheckoutSession, ApiError> {
    let sub = subs::require(conn, org_id, sub_id)?;
    if let Some(token) = &sub.checkout_token {
        if let Some(s) = subs::checkout(conn, token)?.filter(|s| s.status == "open") {
            return Ok(s);
        }
    }
    let token: Option<String> = rusqlite::OptionalExtension::optional(conn.query_row(
        "SELECT token FROM checkout_sessions WHERE org_id = ?1 AND subscription_id = ?2 AND status = 'open'
         ORDER BY created_at DESC, rowid DESC LIMIT 1",
        rusqlite::params![org_id, sub_id],
        |r| r.get(0),
    ))?;
    match token {
        Some(t) => subs::checkout(conn, &t)?.ok_or_else(|| ApiError::internal("checkout vanished")),
        None => Err(ApiError::conflict(
            "invalid_subscription_status",
            format!(
                "Subscription {sub_id} ({}) has no open checkout to complete",
                sub.status
            ),
        )),
    }
}

async fn api_checkout(State(app): State<App>, Path(id): Path<String>, w: Write) -> ApiResult {
    let base = app.base_url.clone();
    finish(
        w.run(&app, move |tx, org, body| {
            let mut i = Input::new(body)?;
            let card = i
                .opt_str("card")
                .unwrap_or_else(|| cards::DEFAULT_CARD.to_owned());
            i.finish()?;
            let session = open_session(tx, &org.org_id, &id)?;
            let r = lifecycle::complete_checkout(tx, &session.token, &card, &base)?;
            let sub = subs::require(tx, &org.org_id, &id)?;
            if !r.ok {
                let d = r.decline.clone();
                let err = ApiError::billing("payment_failed", r.message.clone())
                    .param("card")
                    .details(json!({
                        "failureCode": d.as_ref().map(|d| d.code),
                        "failureMessage": d.as_ref().map(|d| d.message),
                        "subscriptionId": sub.id,
                        "status": sub.status,
                    }));
                return Ok(committed_error(err));
            }
            Ok(json!({
                "subscriptionId": sub.id,
                "checkout": session.kind,
                "status": sub.status,
                "message": r.message,
                "subscription": view::full_json(tx, &sub, &base)?,
                "object": "sandbox_checkout",
                "livemode": false,
            }))
        })
        .await,
    )
    .await
}

// -- the customer portal ----------------------------------------------------------------

/// The billing part of the portal page: subscription, plan, next renewal,
/// open payment pages, and invoices with links to view / print them.
pub fn portal_section(
    conn: &Connection,
    org_id: &str,
    customer_id: &str,
    token: &str,
) -> Result<String, ApiError> {
    let mut out = String::from("<h3>Subscription</h3>");
    match subs::latest_row(conn, org_id, customer_id)? {
        None => out.push_str("<p class=\"muted\">No subscription.</p>"),
        Some(sub) => {
            let p = billing::plan(conn, &sub.plan_id)?;
            let price = match &sub.price_id {
                Some(id) => billing::price(conn, id)?,
                None => None,
            };
            let amount = price
                .map(|pr| {
                    format!(
                        "{} / {}",
                        billing::money(pr.price, &sub.currency),
                        pr.billing_interval.replace('_', " ")
                    )
                })
                .unwrap_or_else(|| "free".into());
            out.push_str(&format!(
                "<table><tr><th>Plan</th><td>{}</td></tr><tr><th>Price</th><td>{}</td></tr><tr><th>Status</th><td>{}</td></tr>",
                esc(&p.name),
                esc(&amount),
                esc(&sub.status)
            ));
            if let Some(end) = &sub.trial_end {
                if sub.status == "trialing" {
                    out.push_str(&format!(
                        "<tr><th>Trial ends</th><td>{}</td></tr>",
                        esc(end)
                    ));
                }
            }
            let renews =
                matches!(sub.status.as_str(), "active" | "trialing" | "past_due") && !p.is_free;
            if sub.cancel_at_period_end {
                out.push_str(&format!(
                    "<tr><th>Cancels on</th><td>{}</td></tr>",
                    esc(&sub.period_end)
                ));
            } else if renews {
                out.push_str(&format!(
                    "<tr><th>Next renewal</th><td>{}</td></tr>",
                    esc(&sub.period_end)
                ));
            }
            if let Some(change) = &sub.scheduled_change {
                out.push_str(&format!(
                    "<tr><th>Scheduled change</th><td>{} on {}</td></tr>",
                    esc(change["newPlanName"].as_str().unwrap_or("")),
                    esc(change["scheduledFor"].as_str().unwrap_or(""))
                ));
            }
            out.push_str("</table>");
            let open: Option<String> = rusqlite::OptionalExtension::optional(conn.query_row(
                "SELECT token FROM checkout_sessions WHERE subscription_id = ?1 AND status = 'open'
                   AND kind IN ('subscription', 'trial', 'recovery') ORDER BY created_at DESC LIMIT 1",
                [&sub.id],
                |r| r.get(0),
            ))?;
            if let Some(t) = open {
                let label = if sub.status == "past_due" {
                    "Pay the overdue invoice"
                } else {
                    "Complete checkout"
                };
                out.push_str(&format!(
                    "<p><a href=\"/checkout/{}\">{label}</a></p>",
                    esc(&t)
                ));
            }
        }
    }
    out.push_str("<h3>Invoices</h3>");
    let list = invoices::for_customer(conn, org_id, customer_id, 50)?;
    if list.is_empty() {
        out.push_str("<p class=\"muted\">No invoices.</p>");
    } else {
        out.push_str("<table><tr><th>Number</th><th>Date</th><th>Total</th><th>Status</th></tr>");
        for inv in &list {
            out.push_str(&format!(
                "<tr><td><a href=\"/portal/{}/invoices/{}\">{}</a></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(token),
                esc(&inv.id),
                esc(&inv.invoice_number),
                esc(inv.issue_date.get(..10).unwrap_or(&inv.issue_date)),
                esc(&billing::money(inv.total, &inv.currency)),
                esc(&inv.status)
            ));
        }
        out.push_str("</table>");
    }
    Ok(out)
}

async fn portal_invoice(
    State(app): State<App>,
    Path((token, id)): Path<(String, String)>,
) -> Response {
    let found = app
        .read(move |c| {
            let Some(session) = crate::server::store::portal::get(c, &token)? else {
                return Ok(None);
            };
            let Some(inv) = invoices::get(c, &session.org_id, &id)? else {
                return Ok(None);
            };
            if inv.customer_id != session.customer_id {
                return Ok(None);
            }
            let org = crate::server::store::orgs::get(c, &inv.org_id)?
                .map(|o| o.name)
                .unwrap_or_default();
            let customer = crate::server::store::customers::find(c, &inv.org_id, &inv.customer_id)?
                .map(|c| c.email)
                .unwrap_or_default();
            Ok(Some(super::invoices::render(&inv, &org, &customer)))
        })
        .await;
    match found {
        Ok(Some(doc)) => (StatusCode::OK, Html(doc)).into_response(),
        Ok(None) => html(
            StatusCode::NOT_FOUND,
            "Invoice",
            "<h1>This invoice link is invalid or has expired</h1>",
        ),
        Err(e) => html(
            e.status,
            "Invoice",
            &format!("<h1>Error</h1><p>{}</p>", esc(&e.message)),
        ),
    }
}
