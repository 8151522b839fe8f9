//! Invoices: rows, line items, numbering, rendering and download tokens.
//! (The schema is in migration 2, `store::subscriptions::V2_BILLING`.)

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde_json::{json, Value};

use super::page::{self, Filter, Order, Page, PageParams};
use super::{json_text, parse_json_or};
use crate::server::error::ApiError;
use crate::server::ids;

pub const STATUSES: &[&str] = &["draft", "outstanding", "paid", "void", "uncollectible"];

/// One invoice line (`lineItems[]`).
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub line_type: &'static str,
    pub feature_name: Option<String>,
    pub description: String,
    pub quantity: i64,
    pub unit_amount: i64,
    pub amount: i64,
    pub included_amount: Option<i64>,
    pub used_amount: Option<i64>,
    pub overage_amount: Option<i64>,
    pub discount_type: Option<String>,
    pub discount_value: Option<i64>,
    pub discount_name: Option<String>,
    /// standard | advance | true_up
    pub charge_type: &'static str,
}

impl Line {
    /// A plain line: `quantity × unit_amount = amount`.
    pub fn new(
        line_type: &'static str,
        description: impl Into<String>,
        quantity: i64,
        unit_amount: i64,
        amount: i64,
        charge_type: &'static str,
    ) -> Line {
        Line {
            line_type,
            feature_name: None,
            description: description.into(),
            quantity,
            unit_amount,
            amount,
            included_amount: None,
            used_amount: None,
            overage_amount: None,
            discount_type: None,
            discount_value: None,
            discount_name: None,
            charge_type,
        }
    }

    pub fn feature(mut self, name: &str) -> Line {
        self.feature_name = Some(name.to_owned());
        self
    }

    pub fn is_discount(&self) -> bool {
        matches!(self.line_type, "discount" | "promo_code_discount")
    }

    pub fn to_json(&self) -> Value {
        json!({
            "lineType": self.line_type,
            "featureName": self.feature_name,
            "description": self.description,
            "quantity": self.quantity,
            "unitAmount": self.unit_amount,
            "amount": self.amount,
            "includedAmount": self.included_amount,
            "usedAmount": self.used_amount,
            "overageAmount": self.overage_amount,
            "discountType": self.discount_type,
            "discountValue": self.discount_value,
            "discountName": self.discount_name,
            "chargeType": self.charge_type,
        })
    }
}

/// An invoice row.
#[derive(Debug, Clone, PartialEq)]
pub struct Invoice {
    pub seq: i64,
    pub id: String,
    pub org_id: String,
    pub customer_id: String,
    pub subscription_id: Option<String>,
    pub invoice_number: String,
    pub status: String,
    pub invoice_type: String,
    pub currency: String,
    pub subtotal: i64,
    pub discount_amount: i64,
    pub tax_amount: i64,
    pub total: i64,
    pub credit_applied: i64,
    pub period_start: String,
    pub period_end: String,
    pub issue_date: String,
    pub due_date: String,
    pub memo: Option<String>,
    pub metadata: Value,
    pub plan_name: Option<String>,
    pub po_number: Option<String>,
    pub reference: Option<String>,
    pub line_items: Value,
    pub paid_at: Option<String>,
    pub sent_at: Option<String>,
    pub overdue_notified: bool,
    pub created_at: String,
    pub updated_at: String,
}

const COLS: &str = "seq, id, org_id, customer_id, subscription_id, invoice_number, status, invoice_type, currency, subtotal, \
    discount_amount, tax_amount, total, credit_applied, period_start, period_end, issue_date, due_date, memo, metadata, \
    plan_name, po_number, reference, line_items, paid_at, sent_at, overdue_notified, created_at, updated_at";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Invoice> {
    Ok(Invoice {
        seq: r.get(0)?,
        id: r.get(1)?,
        org_id: r.get(2)?,
        customer_id: r.get(3)?,
        subscription_id: r.get(4)?,
        invoice_number: r.get(5)?,
        status: r.get(6)?,
        invoice_type: r.get(7)?,
        currency: r.get(8)?,
        subtotal: r.get(9)?,
        discount_amount: r.get(10)?,
        tax_amount: r.get(11)?,
        total: r.get(12)?,
        credit_applied: r.get(13)?,
        period_start: r.get(14)?,
        period_end: r.get(15)?,
        issue_date: r.get(16)?,
        due_date: r.get(17)?,
        memo: r.get(18)?,
        metadata: parse_json_or(r.get(19)?, json!({})),
        plan_name: r.get(20)?,
        po_number: r.get(21)?,
        reference: r.get(22)?,
        line_items: parse_json_or(r.get(23)?, json!([])),
        paid_at: r.get(24)?,
        sent_at: r.get(25)?,
        overdue_notified: r.get(26)?,
        created_at: r.get(27)?,
        updated_at: r.get(28)?,
    })
}

impl Invoice {
    /// `InvoiceListItem`.
    pub fn summary_json(&self) -> Value {
        json!({
            "id": self.id,
            "customerId": self.customer_id,
            "subscriptionId": self.subscription_id,
            "invoiceNumber": self.invoice_number,
            "status": self.status,
            "invoiceType": self.invoice_type,
            "currency": self.currency,
            "subtotal": self.subtotal,
            "discountAmount": self.discount_amount,
            "taxAmount": self.tax_amount,
            "total": self.total,
            "periodStart": self.period_start,
            "periodEnd": self.period_end,
            "issueDate": self.issue_date,
            "dueDate": self.due_date,
            "memo": self.memo,
            "metadata": self.metadata,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
            "object": "invoice",
            "livemode": false,
        })
    }

    /// `Invoice`.
    pub fn to_json(&self) -> Value {
        let mut v = self.summary_json();
        v["creditApplied"] = self.credit_applied.into();
        v["planName"] = json!(self.plan_name);
        v["poNumber"] = json!(self.po_number);
        v["reference"] = json!(self.reference);
        v["lineItems"] = self.line_items.clone();
        v
    }

    /// The data of `invoice.created` / `invoice.voided` / `invoice.overdue`
    /// (`customer_ref` is the webhook customer id).
    pub fn event_json(&self, customer_ref: &str) -> Value {
        json!({
            "invoiceId": self.id,
            "invoiceNumber": self.invoice_number,
            "invoiceStatus": self.status,
            "periodStart": self.period_start,
            "periodEnd": self.period_end,
            "issueDate": self.issue_date,
            "dueDate": self.due_date,
            "currency": self.currency,
            "subtotal": self.subtotal,
            "total": self.total,
            "customerId": customer_ref,
            "subscriptionId": self.subscription_id,
        })
    }
}

pub fn get(conn: &Connection, org_id: &str, id: &str) -> Result<Option<Invoice>, ApiError> {
    let sql = format!("SELECT {COLS} FROM invoices WHERE org_id = ?1 AND id = ?2");
    Ok(conn
        .query_row(&sql, params![org_id, id], from_row)
        .optional()?)
}

pub fn require(conn: &Connection, org_id: &str, id: &str) -> Result<Invoice, ApiError> {
    get(conn, org_id, id)?.ok_or_else(|| {
        ApiError::not_found("invoice_not_found", format!("No invoice with id `{id}`")).param("id")
    })
}

/// The next number of an organization: `INV-000001`, `INV-000002`, …
pub fn next_number(conn: &Connection, org_id: &str) -> Result<String, ApiError> {
    let n: i64 = conn.query_row(
        "SELECT COUNT(*) FROM invoices WHERE org_id = ?1",
        [org_id],
        |r| r.get(0),
    )?;
    Ok(format!("INV-{:06}", n + 1))
}

/// What a new invoice holds; totals are computed from the lines.
#[derive(Debug, Clone)]
pub struct NewInvoice {
    pub customer_id: String,
    pub subscription_id: Option<String>,
    pub invoice_type: String,
    pub status: String,
    pub currency: String,
    pub lines: Vec<Line>,
    pub credit_applied: i64,
    pub period_start: DateTime<Utc>,
    pub period_end: DateTime<Utc>,
    pub issue_date: DateTime<Utc>,
    pub due_date: DateTime<Utc>,
    pub memo: Option<String>,
    pub metadata: Option<Value>,
    pub plan_name: Option<String>,
}

/// `(subtotal, discount)`: the discount lines are negative amounts; every
/// other line (credits of a plan change included) makes the subtotal.
pub fn totals(lines: &[Line]) -> (i64, i64) {
    let subtotal = lines
        .iter()
        .filter(|l| !l.is_discount())
        .map(|l| l.amount)
        .sum();
    let discount = -lines
        .iter()
        .filter(|l| l.is_discount())
        .map(|l| l.amount)
        .sum::<i64>();
    (subtotal, discount)
}

pub fn insert(conn: &Connection, org_id: &str, new: NewInvoice) -> Result<Invoice, ApiError> {
    let id = ids::new_id("inv_");
    let number = next_number(conn, org_id)?;
    let (subtotal, discount) = totals(&new.lines);
    let total = subtotal - discount - new.credit_applied;
    let lines: Vec<Value> = new.lines.iter().map(Line::to_json).collect();
    let now = ids::iso(new.issue_date);
    conn.execute(
        "INSERT INTO invoices (id, org_id, customer_id, subscription_id, invoice_number, status, invoice_type, currency, subtotal,
           discount_amount, tax_amount, total, credit_applied, period_start, period_end, issue_date, due_date, memo, metadata,
           plan_name, line_items, paid_at, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 0, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20,
           CASE WHEN ?6 = 'paid' THEN ?15 END, ?15, ?15)",
        params![
            id,
            org_id,
            new.customer_id,
            new.subscription_id,
            number,
            new.status,
            new.invoice_type,
            new.currency,
            subtotal,
            discount,
            total,
            new.credit_applied,
            ids::iso(new.period_start),
            ids::iso(new.period_end),
            now,
            ids::iso(new.due_date),
            new.memo,
            json_text(&new.metadata),
            new.plan_name,
            Value::Array(lines).to_string(),
        ],
    )?;
    require(conn, org_id, &id)
}

/// Sets the status (and `paid_at` when it becomes paid).
pub fn set_status(conn: &Connection, id: &str, status: &str, at: &str) -> Result<(), ApiError> {
    conn.execute(
        "UPDATE invoices SET status = ?1, paid_at = CASE WHEN ?1 = 'paid' THEN ?2 ELSE paid_at END, updated_at = ?2 WHERE id = ?3",
        params![status, at, id],
    )?;
    Ok(())
}

pub fn mark_sent(conn: &Connection, id: &str, at: &str) -> Result<(), ApiError> {
    conn.execute(
        "UPDATE invoices SET sent_at = ?1, updated_at = ?1 WHERE id = ?2",
        params![at, id],
    )?;
    Ok(())
}

pub fn mark_overdue_notified(conn: &Connection, id: &str) -> Result<(), ApiError> {
    conn.execute(
        "UPDATE invoices SET overdue_notified = 1 WHERE id = ?1",
        [id],
    )?;
    Ok(())
}

/// Outstanding invoices of an organization not reported overdue yet (a
/// pending checkout's invoice is not overdue: nothing was agreed yet).
pub fn overdue_candidates(conn: &Connection, org_id: &str) -> Result<Vec<Invoice>, ApiError> {
    let sql = format!(
        "SELECT {COLS} FROM invoices WHERE org_id = ?1 AND status = 'outstanding' AND overdue_notified = 0
           AND (subscription_id IS NULL OR subscription_id NOT IN
                (SELECT id FROM subscriptions WHERE org_id = ?1 AND status = 'pending_payment'))
         ORDER BY seq"
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map([org_id], from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Unpaid (outstanding or draft) invoices of a subscription.
pub fn unpaid_for_subscription(
    conn: &Connection,
    subscription_id: &str,
) -> Result<Vec<Invoice>, ApiError> {
    let sql = format!(
        "SELECT {COLS} FROM invoices WHERE subscription_id = ?1 AND status IN ('outstanding','draft') ORDER BY seq"
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map([subscription_id], from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Invoices of a customer, newest first (for the portal).
pub fn for_customer(
    conn: &Connection,
    org_id: &str,
    customer_id: &str,
    limit: i64,
) -> Result<Vec<Invoice>, ApiError> {
    let sql = format!(
        "SELECT {COLS} FROM invoices WHERE org_id = ?1 AND customer_id = ?2 ORDER BY seq DESC LIMIT ?3"
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map(params![org_id, customer_id, limit], from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// List filters (`customer_id` is the `cus_` id).
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub customer_id: Option<String>,
    pub status: Option<String>,
    pub subscription_id: Option<String>,
}

pub fn list(
    conn: &Connection,
    org_id: &str,
    filter: ListFilter,
    page: PageParams,
) -> Result<Page<Value>, ApiError> {
    let f = Filter::org(org_id)
        .and_opt("customer_id = ?", filter.customer_id)
        .and_opt("status = ?", filter.status)
        .and_opt("subscription_id = ?", filter.subscription_id);
    page::list(conn, "invoices", COLS, f, page, Order::NewestFirst, |r| {
        from_row(r).map(|i| i.summary_json())
    })
}

// -- download links -------------------------------------------------------------

/// How long a download link works.
pub const DOWNLOAD_TTL_HOURS: i64 = 24;

/// A fresh download token for an invoice; returns `(token, expires_at)`.
pub fn new_download_token(conn: &Connection, id: &str) -> Result<(String, String), ApiError> {
    let token = ids::new_id("tok_");
    let expires = ids::iso(Utc::now() + chrono::Duration::hours(DOWNLOAD_TTL_HOURS));
    conn.execute(
        "UPDATE invoices SET download_token = ?1, download_expires_at = ?2 WHERE id = ?3",
        params![token, expires, id],
    )?;
    Ok((token, expires))
}

/// The invoice behind a live download token.
pub fn by_download_token(conn: &Connection, token: &str) -> Result<Option<Invoice>, ApiError> {
    let sql = format!(
        "SELECT {COLS} FROM invoices WHERE download_token = ?1 AND download_expires_at > ?2"
    );
    Ok(conn
        .query_row(&sql, params![token, ids::now()], from_row)
        .optional()?)
}

/// Moves an invoice's service period (a checkout invoice gets the real
/// first period when it is paid).
pub fn set_period(conn: &Connection, id: &str, start: &str, end: &str) -> Result<(), ApiError> {
    conn.execute(
        "UPDATE invoices SET period_start = ?1, period_end = ?2 WHERE id = ?3",
        params![start, end, id],
    )?;
    Ok(())
}

/// Replaces the lines (and totals) of an unpaid invoice.
pub fn replace_lines(
    conn: &Connection,
    id: &str,
    lines: &[Line],
    at: &str,
) -> Result<(), ApiError> {
    let (subtotal, discount) = totals(lines);
    let json_lines: Vec<Value> = lines.iter().map(Line::to_json).collect();
    conn.execute(
        "UPDATE invoices SET subtotal = ?1, discount_amount = ?2, total = ?1 - ?2 - credit_applied, line_items = ?3, updated_at = ?4
         WHERE id = ?5",
        params![subtotal, discount, Value::Array(json_lines).to_string(), at, id],
    )?;
    Ok(())
}
