//! Payment transactions: one row per payment attempt (schema in migration 2).

use rusqlite::{params, Connection, OptionalExtension};
use serde_json::{json, Value};

use super::page::{self, Filter, Order, Page, PageParams};
use crate::server::error::ApiError;
use crate::server::ids;

pub const STATUSES: &[&str] = &["pending", "succeeded", "failed", "refunded", "disputed"];

/// How long after a payment its money is available for payout (display only).
const AVAILABLE_AFTER_DAYS: i64 = 7;

#[derive(Debug, Clone, PartialEq)]
pub struct Transaction {
    pub id: String,
    pub org_id: String,
    pub customer_id: Option<String>,
    pub invoice_id: Option<String>,
    pub subscription_id: Option<String>,
    pub payment_id: Option<String>,
    pub gross_amount: i64,
    pub subtotal: i64,
    pub tax_amount: i64,
    pub presentment_amount: i64,
    pub currency: String,
    pub provider: String,
    pub status: String,
    pub failure_code: Option<String>,
    pub failure_message: Option<String>,
    pub customer_email: Option<String>,
    pub customer_name: Option<String>,
    pub paid_at: Option<String>,
    pub refund_id: Option<String>,
    pub refunded_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

const COLS: &str = "seq, id, org_id, customer_id, invoice_id, subscription_id, payment_id, gross_amount, subtotal, tax_amount, \
    presentment_amount, currency, provider, status, failure_code, failure_message, customer_email, customer_name, paid_at, \
    refund_id, refunded_at, created_at, updated_at";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Transaction> {
    Ok(Transaction {
        id: r.get(1)?,
        org_id: r.get(2)?,
        customer_id: r.get(3)?,
        invoice_id: r.get(4)?,
        subscription_id: r.get(5)?,
        payment_id: r.get(6)?,
        gross_amount: r.get(7)?,
        subtotal: r.get(8)?,
        tax_amount: r.get(9)?,
        presentment_amount: r.get(10)?,
        currency: r.get(11)?,
        provider: r.get(12)?,
        status: r.get(13)?,
        failure_code: r.get(14)?,
        failure_message: r.get(15)?,
        customer_email: r.get(16)?,
        customer_name: r.get(17)?,
        paid_at: r.get(18)?,
        refund_id: r.get(19)?,
        refunded_at: r.get(20)?,
        created_at: r.get(21)?,
        updated_at: r.get(22)?,
    })
}

impl Transaction {
    pub fn to_json(&self) -> Value {
        let available = self
            .paid_at
            .as_deref()
            .and_then(ids::parse_instant)
            .map(|t| ids::iso(t + chrono::Duration::days(AVAILABLE_AFTER_DAYS)));
        json!({
            "id": self.id,
            "invoiceId": self.invoice_id,
            "grossAmount": self.gross_amount,
            "subtotal": self.subtotal,
            "taxAmount": self.tax_amount,
            "presentmentAmount": self.presentment_amount,
            "currency": self.currency,
            "provider": self.provider,
            "status": self.status,
            "customerEmail": self.customer_email,
            "customerName": self.customer_name,
            "paidAt": self.paid_at,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
            "availableAt": available,
            "object": "transaction",
            "livemode": false,
        })
    }
}

/// The fields of a new attempt.
#[derive(Debug, Clone)]
pub struct NewTransaction {
    pub customer_id: Option<String>,
    pub invoice_id: Option<String>,
    pub subscription_id: Option<String>,
    pub payment_id: Option<String>,
    pub amount: i64,
    pub currency: String,
    pub provider: String,
    /// succeeded | failed
    pub status: String,
    pub failure_code: Option<String>,
    pub failure_message: Option<String>,
    pub customer_email: Option<String>,
    pub customer_name: Option<String>,
    pub at: String,
}

pub fn insert(conn: &Connection, org_id: &str, t: NewTransaction) -> Result<Transaction, ApiError> {
    let id = ids::new_id("txn_");
    conn.execute(
        "INSERT INTO transactions (id, org_id, customer_id, invoice_id, subscription_id, payment_id, gross_amount, subtotal,
           presentment_amount, currency, provider, status, failure_code, failure_message, customer_email, customer_name, paid_at,
           created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, CASE WHEN ?10 = 'succeeded' THEN ?15 END, ?15, ?15)",
        params![
            id,
            org_id,
            t.customer_id,
            t.invoice_id,
            t.subscription_id,
            t.payment_id,
            t.amount,
            t.currency,
            t.provider,
            t.status,
            t.failure_code,
            t.failure_message,
            t.customer_email,
            t.customer_name,
            t.at
        ],
    )?;
    require(conn, org_id, &id)
}

pub fn get(conn: &Connection, org_id: &str, id: &str) -> Result<Option<Transaction>, ApiError> {
    let sql = format!("SELECT {COLS} FROM transactions WHERE org_id = ?1 AND id = ?2");
    Ok(conn
        .query_row(&sql, params![org_id, id], from_row)
        .optional()?)
}

pub fn require(conn: &Connection, org_id: &str, id: &str) -> Result<Transaction, ApiError> {
    get(conn, org_id, id)?.ok_or_else(|| {
        ApiError::not_found(
            "transaction_not_found",
            format!("No transaction with id `{id}`"),
        )
        .param("id")
    })
}

/// The successful payment of an invoice, if any.
pub fn succeeded_for_invoice(
    conn: &Connection,
    invoice_id: &str,
) -> Result<Option<Transaction>, ApiError> {
    let sql = format!(
        "SELECT {COLS} FROM transactions WHERE invoice_id = ?1 AND status = 'succeeded' ORDER BY seq DESC LIMIT 1"
    );
    Ok(conn.query_row(&sql, [invoice_id], from_row).optional()?)
}

pub fn mark_refunded(
    conn: &Connection,
    id: &str,
    refund_id: &str,
    at: &str,
) -> Result<(), ApiError> {
    conn.execute(
        "UPDATE transactions SET status = 'refunded', refund_id = ?1, refunded_at = ?2, updated_at = ?2 WHERE id = ?3",
        params![refund_id, at, id],
    )?;
    Ok(())
}

/// List filters.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub status: Option<String>,
    pub customer_email: Option<String>,
}

pub fn list(
    conn: &Connection,
    org_id: &str,
    filter: ListFilter,
    page: PageParams,
) -> Result<Page<Value>, ApiError> {
    let f = Filter::org(org_id)
        .and_opt("status = ?", filter.status)
        .and_opt("customer_email = ? COLLATE NOCASE", filter.customer_email);
    page::list(
        conn,
        "transactions",
        COLS,
        f,
        page,
        Order::NewestFirst,
        |r| from_row(r).map(|t| t.to_json()),
    )
}
