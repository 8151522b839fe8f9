//! Payments: hosted payment links and direct charges of a saved card
//! (schema in migration 2).

use rusqlite::{params, Connection, OptionalExtension};
use serde_json::{json, Value};

use super::page::{self, Filter, Order, Page, PageParams};
use super::{json_text, parse_json};
use crate::server::error::ApiError;
use crate::server::ids;

#[derive(Debug, Clone, PartialEq)]
pub struct Payment {
    pub id: String,
    pub org_id: String,
    pub customer_id: Option<String>,
    /// link | charge
    pub kind: String,
    /// pending | processing | succeeded | requires_action | failed | canceled
    pub status: String,
    pub provider: String,
    pub amount_subtotal: i64,
    pub tax_amount: i64,
    pub amount_total: i64,
    pub currency: String,
    pub description: String,
    pub metadata: Option<Value>,
    pub checkout_token: Option<String>,
    pub success_url: Option<String>,
    pub expires_at: Option<String>,
    pub invoice_id: Option<String>,
    pub transaction_id: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

const COLS: &str = "seq, id, org_id, customer_id, kind, status, provider, amount_subtotal, tax_amount, amount_total, currency, \
    description, metadata, checkout_token, success_url, expires_at, invoice_id, transaction_id, created_at, updated_at";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Payment> {
    Ok(Payment {
        id: r.get(1)?,
        org_id: r.get(2)?,
        customer_id: r.get(3)?,
        kind: r.get(4)?,
        status: r.get(5)?,
        provider: r.get(6)?,
        amount_subtotal: r.get(7)?,
        tax_amount: r.get(8)?,
        amount_total: r.get(9)?,
        currency: r.get(10)?,
        description: r.get(11)?,
        metadata: Some(parse_json(r.get(12)?)).filter(|v| !v.is_null()),
        checkout_token: r.get(13)?,
        success_url: r.get(14)?,
        expires_at: r.get(15)?,
        invoice_id: r.get(16)?,
        transaction_id: r.get(17)?,
        created_at: r.get(18)?,
        updated_at: r.get(19)?,
    })
}

impl Payment {
    /// The `Payment` object; `base_url` makes the link's URL.
    pub fn to_json(&self, base_url: &str) -> Value {
        let url = self
            .checkout_token
            .as_ref()
            .filter(|_| self.kind == "link")
            .map(|t| format!("{base_url}/checkout/{t}"));
        json!({
            "id": self.id,
            "customerId": self.customer_id,
            "kind": self.kind,
            "status": self.status,
            "provider": self.provider,
            "amountSubtotal": self.amount_subtotal,
            "taxAmount": self.tax_amount,
            "amountTotal": self.amount_total,
            "currency": self.currency,
            "description": self.description,
            "metadata": self.metadata,
            "url": url,
            "expiresAt": self.expires_at,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
            "object": "payment",
            "livemode": false,
        })
    }
}

/// The fields of a new payment.
#[derive(Debug, Clone)]
pub struct NewPayment {
    pub customer_id: Option<String>,
    pub kind: String,
    pub status: String,
    pub provider: String,
    pub amount: i64,
    pub currency: String,
    pub description: String,
    pub metadata: Option<Value>,
    pub success_url: Option<String>,
    pub expires_at: Option<String>,
    pub at: String,
}

pub fn insert(conn: &Connection, org_id: &str, p: NewPayment) -> Result<Payment, ApiError> {
    let id = ids::new_id("pay_");
    conn.execute(
        "INSERT INTO payments (id, org_id, customer_id, kind, status, provider, amount_subtotal, amount_total, currency, description,
           metadata, success_url, expires_at, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13)",
        params![
            id,
            org_id,
            p.customer_id,
            p.kind,
            p.status,
            p.provider,
            p.amount,
            p.currency,
            p.description,
            json_text(&p.metadata),
            p.success_url,
            p.expires_at,
            p.at
        ],
    )?;
    require(conn, org_id, &id)
}

pub fn get(conn: &Connection, org_id: &str, id: &str) -> Result<Option<Payment>, ApiError> {
    let sql = format!("SELECT {COLS} FROM payments WHERE org_id = ?1 AND id = ?2");
    Ok(conn
        .query_row(&sql, params![org_id, id], from_row)
        .optional()?)
}

pub fn require(conn: &Connection, org_id: &str, id: &str) -> Result<Payment, ApiError> {
    get(conn, org_id, id)?.ok_or_else(|| {
        ApiError::not_found("payment_not_found", format!("No payment with id `{id}`")).param("id")
    })
}

/// Records the outcome of a payment.
pub fn update(
    conn: &Connection,
    id: &str,
    status: &str,
    checkout_token: Option<&str>,
    invoice_id: Option<&str>,
    transaction_id: Option<&str>,
    at: &str,
) -> Result<(), ApiError> {
    conn.execute(
        "UPDATE payments SET status = ?1, checkout_token = COALESCE(?2, checkout_token), invoice_id = COALESCE(?3, invoice_id),
           transaction_id = COALESCE(?4, transaction_id), updated_at = ?5 WHERE id = ?6",
        params![status, checkout_token, invoice_id, transaction_id, at, id],
    )?;
    Ok(())
}

pub fn list(
    conn: &Connection,
    org_id: &str,
    customer_id: Option<String>,
    page: PageParams,
    base_url: &str,
) -> Result<Page<Value>, ApiError> {
    let f = Filter::org(org_id).and_opt("customer_id = ?", customer_id);
    page::list(conn, "payments", COLS, f, page, Order::NewestFirst, |r| {
        from_row(r).map(|p| p.to_json(base_url))
    })
}
