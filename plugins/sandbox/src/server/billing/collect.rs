//! Invoices and charges: creating an invoice from lines (customer credits
//! applied), charging it to a card, voiding it, and the payment events.

use chrono::{DateTime, Duration, Utc};
use rusqlite::{params, Connection};
use serde_json::{json, Value};

use super::cards::{self, Decline};
use super::{emit, webhook_customer};
use crate::server::error::ApiError;
use crate::server::ids;
use crate::server::store::customers;
use crate::server::store::invoices::{self, Invoice, Line, NewInvoice};
use crate::server::store::transactions::{self, NewTransaction, Transaction};

/// Invoice types customer credits apply to (credits reduce "eligible
/// recurring invoices"; the sandbox counts the cycle's other charges of a
/// subscription as eligible too).
const CREDIT_ELIGIBLE: &[&str] = &["recurring", "overage", "plan_change", "reactivation"];

/// Days until an adjustment invoice is due (charged invoices are due on
/// their issue date).
pub const ADJUSTMENT_DUE_DAYS: i64 = 30;

/// A new invoice to create.
#[derive(Debug, Clone)]
pub struct Draft {
    /// `cus_` id.
    pub customer_id: String,
    pub subscription_id: Option<String>,
    pub invoice_type: &'static str,
    pub currency: String,
    pub lines: Vec<Line>,
    pub period_start: DateTime<Utc>,
    pub period_end: DateTime<Utc>,
    pub at: DateTime<Utc>,
    pub due_days: i64,
    pub plan_name: Option<String>,
    pub memo: Option<String>,
    pub metadata: Option<Value>,
}

/// Applies the customer's unexpired credits in this currency, oldest
/// first, up to `amount`; returns how much was applied.
fn apply_customer_credits(
    conn: &Connection,
    org_id: &str,
    customer_id: &str,
    currency: &str,
    amount: i64,
    at: DateTime<Utc>,
) -> Result<i64, ApiError> {
    if amount <= 0 {
        return Ok(0);
    }
    let mut stmt = conn.prepare(
        "SELECT id, amount - applied_amount - reversed_amount - revoked_amount FROM customer_credits
         WHERE org_id = ?1 AND customer_id = ?2 AND currency = ?3 AND (expires_at IS NULL OR expires_at > ?4)
           AND amount - applied_amount - reversed_amount - revoked_amount > 0 ORDER BY seq",
    )?;
    let credits: Vec<(String, i64)> = stmt
        .query_map(params![org_id, customer_id, currency, ids::iso(at)], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?
        .collect::<Result<_, _>>()?;
    let mut left = amount;
    for (id, remaining) in credits {
        if left == 0 {
            break;
        }
        let take = remaining.min(left);
        conn.execute(
            "UPDATE customer_credits SET applied_amount = applied_amount + ?1, updated_at = ?2 WHERE id = ?3",
            params![take, ids::now(), id],
        )?;
        left -= take;
    }
    Ok(amount - left)
}

/// The customer's unapplied credit in a currency.
pub fn credit_balance(
    conn: &Connection,
    org_id: &str,
    customer_id: &str,
    currency: &str,
    at: DateTime<Utc>,
) -> Result<i64, ApiError> {
    Ok(conn.query_row(
        "SELECT COALESCE(SUM(amount - applied_amount - reversed_amount - revoked_amount), 0) FROM customer_credits
         WHERE org_id = ?1 AND customer_id = ?2 AND currency = ?3 AND (expires_at IS NULL OR expires_at > ?4)",
        params![org_id, customer_id, currency, ids::iso(at)],
        |r| r.get(0),
    )?)
}

/// Gives the customer a credit (e.g. a plan-change credit larger than the
/// charge, or a negative adjustment invoice).
#[allow(clippy::too_many_arguments)]
pub fn grant_customer_credit(
    conn: &Connection,
    org_id: &str,
    customer_id: &str,
    amount: i64,
    currency: &str,
    reason: &str,
    source: &str,
    at: DateTime<Utc>,
) -> Result<(), ApiError> {
    if amount <= 0 {
        return Ok(());
    }
    let now = ids::iso(at);
    conn.execute(
        "INSERT INTO customer_credits (id, org_id, customer_id, amount, currency, reason, source, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
        params![ids::new_id("crd_"), org_id, customer_id, amount, currency, reason, source, now],
    )?;
    Ok(())
}

/// Creates an invoice (`outstanding`, or `paid` when nothing is owed)
/// and emits `invoice.created`.
pub fn create_invoice(conn: &Connection, org_id: &str, d: Draft) -> Result<Invoice, ApiError> {
    let (subtotal, discount) = invoices::totals(&d.lines);
    let owed = subtotal - discount;
    let credit = if CREDIT_ELIGIBLE.contains(&d.invoice_type) {
        apply_customer_credits(conn, org_id, &d.customer_id, &d.currency, owed, d.at)?
    } else {
        0
    };
    let status = if owed - credit <= 0 && d.invoice_type != "adjustment" {
        "paid"
    } else {
        "outstanding"
    };
    let inv = invoices::insert(
        conn,
        org_id,
        NewInvoice {
            customer_id: d.customer_id.clone(),
            subscription_id: d.subscription_id,
            invoice_type: d.invoice_type.to_owned(),
            status: status.to_owned(),
            currency: d.currency,
            lines: d.lines,
            credit_applied: credit,
            period_start: d.period_start,
            period_end: d.period_end,
            issue_date: d.at,
            due_date: d.at + Duration::days(d.due_days),
            memo: d.memo,
            metadata: d.metadata,
            plan_name: d.plan_name,
        },
    )?;
    let customer = webhook_customer(conn, org_id, &inv.customer_id)?;
    emit(conn, org_id, "invoice.created", inv.event_json(&customer))?;
    Ok(inv)
}

/// The outcome of charging an invoice.
#[derive(Debug, Clone)]
pub enum Charged {
    /// Paid (no transaction when nothing was owed).
    Paid(Option<Transaction>),
    /// Declined; the failed attempt is recorded.
    Declined(Decline, Transaction),
}

impl Charged {
    pub fn is_paid(&self) -> bool {
        matches!(self, Charged::Paid(_))
    }
}

/// How the card is presented.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    /// Entered on a checkout page right now.
    Checkout,
    /// A saved card charged off-session.
    Saved,
}

/// Charges an outstanding invoice's total to a card: records the attempt,
/// marks the invoice paid and emits `payment.received` on success. A
/// decline leaves the invoice outstanding; the caller decides what it means.
pub fn charge_invoice(
    conn: &Connection,
    org_id: &str,
    inv: &Invoice,
    card_number: &str,
    presence: Presence,
    provider: &str,
    at: DateTime<Utc>,
) -> Result<Charged, ApiError> {
    if inv.status == "paid" || inv.total <= 0 {
        if inv.status != "paid" {
            invoices::set_status(conn, &inv.id, "paid", &ids::iso(at))?;
        }
        return Ok(Charged::Paid(None));
    }
    let outcome = match presence {
        Presence::Checkout => match cards::lookup(card_number) {
            Some(card) => card.at_checkout.clone().map_or(Ok(()), Err),
            None => Err(Decline {
                code: "card_declined",
                message: "Your card was declined.",
            }),
        },
        Presence::Saved => cards::charge_saved(card_number),
    };
    let customer = customers::find(conn, org_id, &inv.customer_id)?;
    let txn = transactions::insert(
        conn,
        org_id,
        NewTransaction {
            customer_id: Some(inv.customer_id.clone()),
            invoice_id: Some(inv.id.clone()),
            subscription_id: inv.subscription_id.clone(),
            payment_id: None,
            amount: inv.total,
            currency: inv.currency.clone(),
            provider: provider.to_owned(),
            status: if outcome.is_ok() {
                "succeeded"
            } else {
                "failed"
            }
            .to_owned(),
            failure_code: outcome.as_ref().err().map(|d| d.code.to_owned()),
            failure_message: outcome.as_ref().err().map(|d| d.message.to_owned()),
            customer_email: customer.as_ref().map(|c| c.email.clone()),
            customer_name: customer.as_ref().and_then(|c| c.full_name.clone()),
            at: ids::iso(at),
        },
    )?;
    match outcome {
        Ok(()) => {
            invoices::set_status(conn, &inv.id, "paid", &ids::iso(at))?;
            emit_payment_received(conn, org_id, inv, &txn)?;
            Ok(Charged::Paid(Some(txn)))
        }
        Err(d) => Ok(Charged::Declined(d, txn)),
    }
}

/// `payment.received` for a successful attempt.
pub fn emit_payment_received(
    conn: &Connection,
    org_id: &str,
    inv: &Invoice,
    txn: &Transaction,
) -> Result<(), ApiError> {
    let customer = webhook_customer(conn, org_id, &inv.customer_id)?;
    emit(
        conn,
        org_id,
        "payment.received",
        json!({
            "invoiceId": inv.id,
            "invoiceNumber": inv.invoice_number,
            "invoiceTotal": inv.total,
            "customerId": customer,
            "subscriptionId": inv.subscription_id,
            "paymentTransactionId": txn.id,
            "provider": txn.provider,
            "grossAmount": txn.gross_amount,
            "currency": txn.currency,
            "orgNetAmount": txn.gross_amount,
            "customerEmail": txn.customer_email,
            "paidAt": txn.paid_at,
        }),
    )
}

/// `payment.failed` for a declined attempt.
pub fn emit_payment_failed(
    conn: &Connection,
    org_id: &str,
    inv: &Invoice,
    provider: &str,
    decline: &Decline,
    recovery_url: Option<&str>,
) -> Result<(), ApiError> {
    let customer = webhook_customer(conn, org_id, &inv.customer_id)?;
    emit(
        conn,
        org_id,
        "payment.failed",
        json!({
            "invoiceId": inv.id,
            "invoiceNumber": inv.invoice_number,
            "customerId": customer,
            "subscriptionId": inv.subscription_id,
            "provider": provider,
            "failureCode": decline.code,
            "failureMessage": decline.message,
            "recoveryUrl": recovery_url,
        }),
    )
}

/// Voids an unpaid invoice (`invoice.voided`).
pub fn void_invoice(
    conn: &Connection,
    org_id: &str,
    inv: &Invoice,
    at: DateTime<Utc>,
) -> Result<(), ApiError> {
    invoices::set_status(conn, &inv.id, "void", &ids::iso(at))?;
    let voided = invoices::require(conn, org_id, &inv.id)?;
    let customer = webhook_customer(conn, org_id, &inv.customer_id)?;
    emit(conn, org_id, "invoice.voided", voided.event_json(&customer))
}

/// The error a declined in-request charge answers (`charge_failed`), with
/// the decline and, when given, a hosted card-update link.
pub fn charge_failed(decline: &Decline, recovery_url: Option<String>) -> ApiError {
    let mut details = json!({ "failureCode": decline.code, "failureMessage": decline.message });
    if let Some(url) = recovery_url {
        details["recoveryUrl"] = Value::String(url);
    }
    ApiError::billing(
        "charge_failed",
        format!("The charge was declined: {}", decline.message),
    )
    .details(details)
}
