//! Invoice, transaction and payment operations of the API: adjustment
//! invoices, manual status changes, refunds, retries, payment links and
//! direct charges.

use chrono::Duration;
use rusqlite::Connection;
use serde_json::{json, Value};

use super::collect::{self, Charged, Draft, Presence};
use super::lifecycle;
use super::{emit, now, webhook_customer, DEFAULT_PROVIDER};
use crate::server::error::ApiError;
use crate::server::ids;
use crate::server::store::invoices::{self, Line};
use crate::server::store::payments::{self, NewPayment};
use crate::server::store::subscriptions as subs;
use crate::server::store::{customers, transactions};

/// Invoice types whose full refund ends the subscription.
const SUBSCRIPTION_TYPES: &[&str] = &["recurring", "plan_change", "reactivation"];

/// How long a payment link stays payable.
const LINK_TTL_HOURS: i64 = 24;

/// `POST /invoices`: a one-off adjustment. Positive = a charge (outstanding,
/// due in 30 days); negative = a credit note (recorded paid, and the amount
/// becomes customer credit that reduces the next eligible invoices).
pub fn create_adjustment(
    conn: &Connection,
    org_id: &str,
    customer_ref: &str,
    amount: i64,
    description: &str,
    metadata: Option<Value>,
) -> Result<Value, ApiError> {
    let customer = customers::require(conn, org_id, customer_ref, "customerId")?;
    let at = now(conn, org_id);
    let live = subs::live_row(conn, org_id, &customer.id)?;
    let currency = live
        .as_ref()
        .map_or_else(|| "usd".to_owned(), |s| s.currency.clone());
    let line_type = if amount < 0 { "credit" } else { "one_time" };
    let line = Line::new(line_type, description, 1, amount, amount, "standard");
    let inv = collect::create_invoice(
        conn,
        org_id,
        Draft {
            customer_id: customer.id.clone(),
            subscription_id: None,
            invoice_type: "adjustment",
            currency: currency.clone(),
            lines: vec![line],
            period_start: at,
            period_end: at,
            at,
            due_days: collect::ADJUSTMENT_DUE_DAYS,
            plan_name: None,
            memo: Some(description.to_owned()),
            metadata,
        },
    )?;
    if amount < 0 {
        invoices::set_status(conn, &inv.id, "paid", &ids::iso(at))?;
        collect::grant_customer_credit(
            conn,
            org_id,
            &customer.id,
            -amount,
            &currency,
            description,
            "api",
            at,
        )?;
    }
    Ok(invoices::require(conn, org_id, &inv.id)?.to_json())
}

/// `PATCH /invoices/{id}/status`: outstanding → paid | void. Paying a
/// past-due subscription's invoice recovers it; voiding it ends dunning.
pub fn set_invoice_status(
    conn: &Connection,
    org_id: &str,
    id: &str,
    status: &str,
) -> Result<Value, ApiError> {
    let inv = invoices::require(conn, org_id, id)?;
    if inv.status != "outstanding" {
        return Err(ApiError::invalid(
            "status",
            format!(
                "only outstanding invoices can be marked paid or void; this one is {}",
                inv.status
            ),
        ));
    }
    let at = now(conn, org_id);
    let dunning = match &inv.subscription_id {
        Some(sid) => subs::get(conn, org_id, sid)?.filter(|s| {
            s.status == "past_due" && s.dunning_invoice_id.as_deref() == Some(inv.id.as_str())
        }),
        None => None,
    };
    if status == "paid" {
        invoices::set_status(conn, &inv.id, "paid", &ids::iso(at))?;
        if let Some(sub) = dunning {
            lifecycle::recover(conn, sub, &inv, None, at)?;
        }
    } else {
        collect::void_invoice(conn, org_id, &inv, at)?;
        if let Some(mut sub) = dunning {
            sub.status = "active".into();
            sub.dunning_retries = 0;
            sub.next_retry_at = None;
            sub.dunning_invoice_id = None;
            sub.updated_at = ids::iso(at);
            subs::save(conn, &sub)?;
            super::view::state_changed(conn, org_id, &sub.customer_id, "subscription_activated")?;
        }
    }
    Ok(invoices::require(conn, org_id, &inv.id)?.to_json())
}

pub fn send_invoice(conn: &Connection, org_id: &str, id: &str) -> Result<Value, ApiError> {
    let inv = invoices::require(conn, org_id, id)?;
    let at = ids::iso(now(conn, org_id));
    invoices::mark_sent(conn, &inv.id, &at)?;
    Ok(json!({ "sent": true, "sentAt": at, "object": "invoice_delivery", "livemode": false }))
}

pub fn download_link(
    conn: &Connection,
    org_id: &str,
    id: &str,
    base: &str,
) -> Result<Value, ApiError> {
    let inv = invoices::require(conn, org_id, id)?;
    let (token, expires) = invoices::new_download_token(conn, &inv.id)?;
    Ok(json!({
        "url": format!("{base}/invoices/{token}.html"),
        "expiresAt": expires,
        "object": "invoice_download_link",
        "livemode": false,
    }))
}

/// `POST /transactions/{id}/refund`: full refunds only. A subscription
/// invoice refunded in full cancels its subscription (`refund`).
pub fn refund(conn: &Connection, org_id: &str, id: &str) -> Result<Value, ApiError> {
    let txn = transactions::require(conn, org_id, id)?;
    if txn.status != "succeeded" {
        return Err(ApiError::invalid(
            "id",
            format!(
                "only succeeded transactions can be refunded; this one is {}",
                txn.status
            ),
        ));
    }
    let at = now(conn, org_id);
    let refund_id = ids::new_id("ref_");
    transactions::mark_refunded(conn, &txn.id, &refund_id, &ids::iso(at))?;
    let inv = match &txn.invoice_id {
        Some(iid) => invoices::get(conn, org_id, iid)?,
        None => None,
    };
    let who = match &txn.customer_id {
        Some(c) => Some(webhook_customer(conn, org_id, c)?),
        None => None,
    };
    emit(
        conn,
        org_id,
        "payment.refunded",
        json!({
            "paymentTransactionId": txn.id,
            "provider": txn.provider,
            "paymentLinkId": txn.payment_id,
            "invoiceId": txn.invoice_id,
            "invoiceNumber": inv.as_ref().map(|i| i.invoice_number.clone()),
            "customerId": who,
            "subscriptionId": txn.subscription_id,
            "refundAmount": txn.gross_amount,
            "currency": txn.currency,
        }),
    )?;
    let ends_sub = inv
        .as_ref()
        .is_some_and(|i| SUBSCRIPTION_TYPES.contains(&i.invoice_type.as_str()));
    if let (true, Some(sid)) = (ends_sub, &txn.subscription_id) {
        if let Some(sub) = subs::get(conn, org_id, sid)?.filter(|s| s.status != "canceled") {
            lifecycle::cancel_now(conn, sub, Some("refund"), at)?;
        }
    }
    Ok(json!({
        "id": refund_id,
        "transactionId": txn.id,
        "amount": txn.gross_amount,
        "currency": txn.currency,
        "chargeId": null,
        "status": "succeeded",
        "reason": null,
        "object": "refund",
        "livemode": false,
    }))
}

/// `POST /transactions/{id}/retry`: retries the failed renewal behind a
/// failed transaction (uses the next dunning slot). The outer `Err` rolls
/// back; an inner one is a decline that is kept.
pub fn retry(
    conn: &Connection,
    org_id: &str,
    id: &str,
    base: &str,
) -> Result<Result<Value, ApiError>, ApiError> {
    let txn = transactions::require(conn, org_id, id)?;
    let no_invoice = || {
        ApiError::conflict(
            "no_outstanding_invoice",
            "This transaction has no outstanding renewal invoice to retry",
        )
    };
    if txn.status != "failed" {
        return Err(no_invoice());
    }
    let inv = match &txn.invoice_id {
        Some(iid) => invoices::require(conn, org_id, iid)?,
        None => return Err(no_invoice()),
    };
    if inv.status != "outstanding" {
        return Err(no_invoice());
    }
    let sub = match &inv.subscription_id {
        Some(sid) => subs::require(conn, org_id, sid)?,
        None => return Err(no_invoice()),
    };
    if sub.status != "past_due" || sub.dunning_invoice_id.as_deref() != Some(inv.id.as_str()) {
        return Err(no_invoice());
    }
    let at = now(conn, org_id);
    let attempt = lifecycle::retry_dunning(conn, sub, at, base, None)?;
    match attempt.charged {
        Charged::Paid(_) => Ok(Ok(json!({
            "originalTransactionId": txn.id,
            "invoiceId": inv.id,
            "status": "succeeded",
            "object": "transaction_retry",
            "livemode": false,
        }))),
        Charged::Declined(d, _) => {
            let url = if attempt.exhausted {
                None
            } else {
                Some(lifecycle::recovery_url(conn, base, &attempt.sub)?)
            };
            Ok(Err(collect::charge_failed(&d, url)))
        }
    }
}

// -- payments ---------------------------------------------------------------------

/// `POST /payments`: a hosted payment link.
#[allow(clippy::too_many_arguments)]
pub fn create_link(
    conn: &Connection,
    org_id: &str,
    customer_ref: Option<&str>,
    amount: i64,
    currency: &str,
    description: &str,
    success_url: Option<String>,
    metadata: Option<Value>,
    base: &str,
) -> Result<Value, ApiError> {
    let customer = match customer_ref {
        Some(r) => Some(customers::require(conn, org_id, r, "customerId")?),
        None => None,
    };
    let at = now(conn, org_id);
    let p = payments::insert(
        conn,
        org_id,
        NewPayment {
            customer_id: customer.as_ref().map(|c| c.id.clone()),
            kind: "link".into(),
            status: "pending".into(),
            provider: DEFAULT_PROVIDER.into(),
            amount,
            currency: currency.to_owned(),
            description: description.to_owned(),
            metadata,
            success_url: success_url.clone(),
            expires_at: Some(ids::iso(at + Duration::hours(LINK_TTL_HOURS))),
            at: ids::iso(at),
        },
    )?;
    let token = subs::insert_checkout(
        conn,
        org_id,
        "payment",
        None,
        None,
        Some(&p.id),
        None,
        success_url.as_deref(),
    )?;
    payments::update(
        conn,
        &p.id,
        "pending",
        Some(&token),
        None,
        None,
        &ids::iso(at),
    )?;
    let p = payments::require(conn, org_id, &p.id)?;
    let who = match &customer {
        Some(c) => Some(webhook_customer(conn, org_id, &c.id)?),
        None => None,
    };
    emit(
        conn,
        org_id,
        "payment_link.created",
        json!({
            "paymentId": p.id, "status": p.status, "amount": p.amount_total, "currency": p.currency,
            "description": p.description, "customerId": who,
        }),
    )?;
    Ok(p.to_json(base))
}

/// `POST /payments/charge`: charges the customer's saved card now. A
/// decline is kept (failed payment) and answered as `payment_failed`.
#[allow(clippy::too_many_arguments)]
pub fn charge(
    conn: &Connection,
    org_id: &str,
    customer_ref: &str,
    amount: i64,
    currency: &str,
    description: &str,
    metadata: Option<Value>,
    base: &str,
) -> Result<Result<Value, ApiError>, ApiError> {
    let customer = customers::require(conn, org_id, customer_ref, "customerId")?;
    let pm = subs::customer_payment_method(conn, &customer.id)?.ok_or_else(|| {
        ApiError::conflict(
            "no_payment_method",
            format!("Customer {customer_ref} has no saved payment method; send them a payment link (POST /payments) instead"),
        )
    })?;
    let at = now(conn, org_id);
    let p = payments::insert(
        conn,
        org_id,
        NewPayment {
            customer_id: Some(customer.id.clone()),
            kind: "charge".into(),
            status: "processing".into(),
            provider: DEFAULT_PROVIDER.into(),
            amount,
            currency: currency.to_owned(),
            description: description.to_owned(),
            metadata,
            success_url: None,
            expires_at: None,
            at: ids::iso(at),
        },
    )?;
    let out = super::view::settle_payment(conn, &p, &pm.card_number, Presence::Saved, at)?;
    let p = payments::require(conn, org_id, &p.id)?;
    match out {
        Ok(()) => Ok(Ok(p.to_json(base))),
        Err(d) => Ok(Err(ApiError::billing(
            "payment_failed",
            format!("The charge was declined: {}", d.message),
        )
        .details(
            json!({ "paymentId": p.id, "failureCode": d.code, "failureMessage": d.message }),
        ))),
    }
}

pub fn cancel_payment(
    conn: &Connection,
    org_id: &str,
    id: &str,
    base: &str,
) -> Result<Value, ApiError> {
    let p = payments::require(conn, org_id, id)?;
    if p.kind != "link" || p.status != "pending" {
        return Err(ApiError::conflict(
            "payment_not_cancelable",
            format!(
                "Payment {} ({} {}) cannot be canceled; only pending payment links can",
                p.id, p.kind, p.status
            ),
        ));
    }
    let at = ids::iso(now(conn, org_id));
    payments::update(conn, &p.id, "canceled", None, None, None, &at)?;
    if let Some(token) = &p.checkout_token {
        subs::set_checkout_status(conn, token, "expired", None)?;
    }
    let who = match &p.customer_id {
        Some(c) => Some(webhook_customer(conn, org_id, c)?),
        None => None,
    };
    emit(
        conn,
        org_id,
        "payment_link.canceled",
        json!({
            "paymentId": p.id, "status": "canceled", "amount": p.amount_total, "currency": p.currency,
            "description": p.description, "customerId": who,
        }),
    )?;
    Ok(payments::require(conn, org_id, &p.id)?.to_json(base))
}
