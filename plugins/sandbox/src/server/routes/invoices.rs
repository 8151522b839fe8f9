//! `/invoices`: list, get, adjustments, manual status, send, download
//! links; and the printable page a download link opens
//! (`GET /invoices/{token}.html`, outside `/api/v1`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, patch, post};
use axum::Router;
use serde_json::Value;

use super::pages::esc;
use crate::server::app::App;
use crate::server::billing::{self, admin};
use crate::server::http::extract::{ok, ApiResult, OrgCtx, Params, Write};
use crate::server::input::Input;
use crate::server::store::invoices::{self, Invoice, ListFilter, STATUSES};
use crate::server::store::{customers, orgs};

pub fn routes() -> Router<App> {
    Router::new()
        .route("/invoices", get(list).post(create_adjustment))
        .route("/invoices/{id}", get(get_one))
        .route("/invoices/{id}/status", patch(update_status))
        .route("/invoices/{id}/send", post(send))
        .route("/invoices/{id}/download-links", post(download_link))
}

/// Root routes: the printable invoice page.
pub fn pages() -> Router<App> {
    Router::new().route("/invoices/{file}", get(printable))
}

async fn list(State(app): State<App>, org: OrgCtx, Params(mut q): Params) -> ApiResult {
    let page = q.page();
    let customer = q.str("customerId");
    let status = q.str("status");
    let subscription_id = q.str("subscriptionId");
    if let Some(s) = &status {
        if !STATUSES.contains(&s.as_str()) {
            return Err(crate::server::error::ApiError::invalid(
                "status",
                format!("must be one of: {}", STATUSES.join(", ")),
            ));
        }
    }
    q.finish()?;
    let page = app
        .read(move |c| {
            let customer_id = match customer {
                Some(r) => Some(customers::require(c, &org.org_id, &r, "customerId")?.id),
                None => None,
            };
            invoices::list(
                c,
                &org.org_id,
                ListFilter {
                    customer_id,
                    status,
                    subscription_id,
                },
                page,
            )
        })
        .await?;
    Ok(ok(page.to_json()))
}

async fn get_one(State(app): State<App>, org: OrgCtx, Path(id): Path<String>) -> ApiResult {
    Ok(ok(app
        .read(move |c| Ok(invoices::require(c, &org.org_id, &id)?.to_json()))
        .await?))
}

async fn create_adjustment(State(app): State<App>, w: Write) -> ApiResult {
    w.run(&app, |tx, org, body| {
        let mut i = Input::new(body)?;
        let customer = i.req_str("customerId");
        let amount = i.req_int("amount");
        let description = i.req_str("description");
        let metadata = i.opt_object("metadata").map(|m| Value::Object(m.clone()));
        if i.ok() && amount == 0 {
            i.problem(
                "amount",
                "must not be 0 (positive charges, negative credits)",
            );
        }
        i.finish()?;
        admin::create_adjustment(tx, &org.org_id, &customer, amount, &description, metadata)
    })
    .await
}

async fn update_status(State(app): State<App>, Path(id): Path<String>, w: Write) -> ApiResult {
    w.run(&app, move |tx, org, body| {
        let mut i = Input::new(body)?;
        let status = i.req_enum("status", &["paid", "void"]);
        i.finish()?;
        admin::set_invoice_status(tx, &org.org_id, &id, &status)
    })
    .await
}

async fn send(State(app): State<App>, Path(id): Path<String>, w: Write) -> ApiResult {
    w.run(&app, move |tx, org, _| {
        admin::send_invoice(tx, &org.org_id, &id)
    })
    .await
}

async fn download_link(State(app): State<App>, Path(id): Path<String>, w: Write) -> ApiResult {
    let base = app.base_url.clone();
    w.run(&app, move |tx, org, _| {
        admin::download_link(tx, &org.org_id, &id, &base)
    })
    .await
}

/// The HTML of an invoice (printable; the sandbox renders no PDF).
pub fn render(inv: &Invoice, org_name: &str, customer: &str) -> String {
    let money = |c: i64| esc(&billing::money(c, &inv.currency));
    let mut rows = String::new();
    for l in inv.line_items.as_array().into_iter().flatten() {
        rows.push_str(&format!(
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            esc(l["description"].as_str().unwrap_or("")),
            l["quantity"].as_i64().unwrap_or(0),
            money(l["unitAmount"].as_i64().unwrap_or(0)),
            money(l["amount"].as_i64().unwrap_or(0)),
        ));
    }
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Invoice {number}</title>\
<style>body{{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#1d1d1f}}\
table{{border-collapse:collapse;width:100%}}td,th{{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #ddd}}\
.num{{text-align:right}}.totals td{{border:none}}.muted{{color:#666}}@media print{{.muted{{display:none}}}}</style></head><body>\
<h1>{org} — Invoice {number}</h1>\
<p>Billed to: {customer}<br>Status: <strong>{status}</strong> · Type: {kind}<br>\
Issued {issue} · Due {due}<br>Period {start} → {end}{plan}</p>\
<table><tr><th>Description</th><th class=\"num\">Qty</th><th class=\"num\">Unit</th><th class=\"num\">Amount</th></tr>{rows}</table>\
<table class=\"totals\"><tr><td>Subtotal</td><td class=\"num\">{subtotal}</td></tr>\
<tr><td>Discounts</td><td class=\"num\">-{discount}</td></tr><tr><td>Tax</td><td class=\"num\">{tax}</td></tr>\
<tr><td>Credit applied</td><td class=\"num\">-{credit}</td></tr><tr><td><strong>Total</strong></td><td class=\"num\"><strong>{total}</strong></td></tr></table>\
<p class=\"muted\">Commet local sandbox — print this page to save it as PDF.</p></body></html>",
        number = esc(&inv.invoice_number),
        org = esc(org_name),
        customer = esc(customer),
        status = esc(&inv.status),
        kind = esc(&inv.invoice_type),
        issue = esc(&inv.issue_date),
        due = esc(&inv.due_date),
        start = esc(&inv.period_start),
        end = esc(&inv.period_end),
        plan = inv.plan_name.as_deref().map(|p| format!("<br>Plan: {}", esc(p))).unwrap_or_default(),
        subtotal = money(inv.subtotal),
        discount = money(inv.discount_amount),
        tax = money(inv.tax_amount),
        credit = money(inv.credit_applied),
        total = money(inv.total),
    )
}

async fn printable(State(app): State<App>, Path(file): Path<String>) -> Response {
    let token = file.strip_suffix(".html").unwrap_or(&file).to_owned();
    let found = app
        .read(move |c| {
            let Some(inv) = invoices::by_download_token(c, &token)? else {
                return Ok(None);
            };
            let org = orgs::get(c, &inv.org_id)?
                .map(|o| o.name)
                .unwrap_or_default();
            let customer = customers::find(c, &inv.org_id, &inv.customer_id)?
                .map(|c| match c.full_name {
                    Some(n) => format!("{n} <{}>", c.email),
                    None => c.email,
                })
                .unwrap_or_default();
            Ok(Some(render(&inv, &org, &customer)))
        })
        .await;
    match found {
        Ok(Some(doc)) => (StatusCode::OK, Html(doc)).into_response(),
        Ok(None) => (
            StatusCode::NOT_FOUND,
            Html("<!doctype html><h1>This invoice link is invalid or has expired</h1>".to_owned()),
        )
            .into_response(),
        Err(e) => (
            e.status,
            Html(format!(
                "<!doctype html><h1>Error</h1><p>{}</p>",
                esc(&e.message)
            )),
        )
            .into_response(),
    }
}
