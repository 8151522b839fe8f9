//! Customers and their invoice credits.

use rusqlite::types::Value as SqlValue;
use rusqlite::{params, Connection, OptionalExtension};
use serde_json::{json, Value};

use super::page::{self, Filter, Order, Page, PageParams};
use super::{json_text, parse_json};
use crate::server::error::ApiError;
use crate::server::ids;
use crate::server::input::Patch;

/// A customer row.
#[derive(Debug, Clone, PartialEq)]
pub struct Customer {
    pub id: String,
    pub external_id: Option<String>,
    pub email: String,
    pub full_name: Option<String>,
    pub tax_document: Option<String>,
    pub document_type: Option<String>,
    pub timezone: Option<String>,
    pub metadata: Option<Value>,
    pub address: Option<Value>,
    pub created_at: String,
    pub updated_at: String,
}

impl Customer {
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "externalId": self.external_id,
            "fullName": self.full_name,
            "email": self.email,
            "taxDocument": self.tax_document,
            "documentType": self.document_type,
            "timezone": self.timezone,
            "metadata": self.metadata,
            "address": self.address,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
            "object": "customer",
            "livemode": false,
        })
    }
}

const COLS: &str =
    "seq, id, external_id, email, full_name, tax_document, document_type, timezone, metadata, address, created_at, updated_at";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Customer> {
    Ok(Customer {
        id: r.get(1)?,
        external_id: r.get(2)?,
        email: r.get(3)?,
        full_name: r.get(4)?,
        tax_document: r.get(5)?,
        document_type: r.get(6)?,
        timezone: r.get(7)?,
        metadata: Some(parse_json(r.get(8)?)).filter(|v| !v.is_null()),
        address: Some(parse_json(r.get(9)?)).filter(|v| !v.is_null()),
        created_at: r.get(10)?,
        updated_at: r.get(11)?,
    })
}

/// The fields of a new customer.
#[derive(Debug, Clone, Default)]
pub struct NewCustomer {
    pub external_id: Option<String>,
    pub email: String,
    pub full_name: Option<String>,
    pub tax_document: Option<String>,
    pub timezone: Option<String>,
    pub metadata: Option<Value>,
    pub address: Option<Value>,
    pub address_id: Option<String>,
}

/// Changes to a customer.
#[derive(Debug, Clone)]
pub struct CustomerPatch {
    pub email: Option<String>,
    pub full_name: Patch<String>,
    pub tax_document: Patch<String>,
    pub external_id: Patch<String>,
    pub timezone: Patch<String>,
    pub metadata: Patch<Value>,
    pub address: Patch<Value>,
}

/// By `cus_` id or external id.
pub fn find(
    conn: &Connection,
    org_id: &str,
    reference: &str,
) -> Result<Option<Customer>, ApiError> {
    let sql = format!("SELECT {COLS} FROM customers WHERE org_id = ?1 AND (id = ?2 OR external_id = ?2) ORDER BY id = ?2 DESC LIMIT 1");
    Ok(conn
        .query_row(&sql, params![org_id, reference], from_row)
        .optional()?)
}

/// Like [`find`], answering `customer_not_found` (param `param`) when absent.
pub fn require(
    conn: &Connection,
    org_id: &str,
    reference: &str,
    param: &str,
) -> Result<Customer, ApiError> {
    find(conn, org_id, reference)?.ok_or_else(|| {
        ApiError::not_found(
            "customer_not_found",
            format!("No customer with id or external id `{reference}`"),
        )
        .param(param)
    })
}

pub fn find_by_email(
    conn: &Connection,
    org_id: &str,
    email: &str,
) -> Result<Option<Customer>, ApiError> {
    let sql = format!("SELECT {COLS} FROM customers WHERE org_id = ?1 AND email = ?2 COLLATE NOCASE ORDER BY seq LIMIT 1");
    Ok(conn
        .query_row(&sql, params![org_id, email], from_row)
        .optional()?)
}

fn external_id_taken(
    conn: &Connection,
    org_id: &str,
    external_id: &str,
    except: Option<&str>,
) -> Result<bool, ApiError> {
    super::exists(
        conn,
        "SELECT 1 FROM customers WHERE org_id = ?1 AND external_id = ?2 AND id != ?3",
        params![org_id, external_id, except.unwrap_or("")],
    )
}

pub fn insert(conn: &Connection, org_id: &str, new: NewCustomer) -> Result<Customer, ApiError> {
    if let Some(ext) = &new.external_id {
        if external_id_taken(conn, org_id, ext, None)? {
            return Err(ApiError::conflict(
                "duplicate",
                format!("A customer with external id `{ext}` already exists"),
            )
            .param("externalId"));
        }
    }
    let id = ids::new_id("cus_");
    let now = ids::now();
    conn.execute(
        "INSERT INTO customers (id, org_id, external_id, email, full_name, tax_document, timezone, metadata, address, address_id, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)",
        params![
            id,
            org_id,
            new.external_id,
            new.email,
            new.full_name,
            new.tax_document,
            new.timezone,
            json_text(&new.metadata),
            json_text(&new.address),
            new.address_id,
            now
        ],
    )?;
    require(conn, org_id, &id, "id")
}

pub fn update(
    conn: &Connection,
    org_id: &str,
    reference: &str,
    patch: CustomerPatch,
) -> Result<Customer, ApiError> {
    let current = require(conn, org_id, reference, "id")?;
    if let Patch::Set(ext) = &patch.external_id {
        if external_id_taken(conn, org_id, ext, Some(&current.id))? {
            return Err(ApiError::conflict(
                "duplicate",
                format!("A customer with external id `{ext}` already exists"),
            )
            .param("externalId"));
        }
    }
    let next = Customer {
        email: patch.email.unwrap_or(current.email.clone()),
        full_name: patch.full_name.apply(current.full_name.clone()),
        tax_document: patch.tax_document.apply(current.tax_document.clone()),
        external_id: patch.external_id.apply(current.external_id.clone()),
        timezone: patch.timezone.apply(current.timezone.clone()),
        metadata: patch.metadata.apply(current.metadata.clone()),
        address: patch.address.apply(current.address.clone()),
        updated_at: ids::now(),
        ..current
    };
    conn.execute(
        "UPDATE customers SET email = ?1, full_name = ?2, tax_document = ?3, external_id = ?4, timezone = ?5,
         metadata = ?6, address = ?7, updated_at = ?8 WHERE id = ?9",
        params![
            next.email,
            next.full_name,
            next.tax_document,
            next.external_id,
            next.timezone,
            json_text(&next.metadata),
            json_text(&next.address),
            next.updated_at,
            next.id
        ],
    )?;
    Ok(next)
}

/// List filters.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub search: Option<String>,
    pub external_id: Option<String>,
    /// `createdAt >= start`.
    pub start: Option<String>,
    /// `createdAt < end`.
    pub end: Option<String>,
}

pub fn list(
    conn: &Connection,
    org_id: &str,
    filter: ListFilter,
    page: PageParams,
) -> Result<Page<Value>, ApiError> {
    let mut f = Filter::org(org_id)
        .and_opt("external_id = ?", filter.external_id)
        .and_opt("created_at >= ?", filter.start)
        .and_opt("created_at < ?", filter.end);
    if let Some(search) = filter.search {
        let escaped = search
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        let pattern = SqlValue::from(format!("%{escaped}%"));
        f = f.and(
            "email LIKE ? ESCAPE '\\' OR full_name LIKE ? ESCAPE '\\' OR external_id LIKE ? ESCAPE '\\' OR id = ?",
            [pattern.clone(), pattern.clone(), pattern, SqlValue::from(search)],
        );
    }
    page::list(conn, "customers", COLS, f, page, Order::NewestFirst, |r| {
        from_row(r).map(|c| c.to_json())
    })
}

// -- credits ---------------------------------------------------------------

const CREDIT_COLS: &str = "seq, id, amount, applied_amount, reversed_amount, revoked_amount, currency, reason, source, expires_at, created_at";

fn credit_json(r: &rusqlite::Row<'_>) -> rusqlite::Result<Value> {
    let amount: i64 = r.get(2)?;
    let applied: i64 = r.get(3)?;
    let reversed: i64 = r.get(4)?;
    let revoked: i64 = r.get(5)?;
    Ok(json!({
        "id": r.get::<_, String>(1)?,
        "amount": amount,
        "appliedAmount": applied,
        "reversedAmount": reversed,
        "revokedAmount": revoked,
        "remainingAmount": (amount - applied - reversed - revoked).max(0),
        "currency": r.get::<_, String>(6)?,
        "reason": r.get::<_, String>(7)?,
        "source": r.get::<_, String>(8)?,
        "expiresAt": r.get::<_, Option<String>>(9)?,
        "createdAt": r.get::<_, String>(10)?,
        "object": "customer_credit",
        "livemode": false,
    }))
}

fn get_credit(
    conn: &Connection,
    customer_id: &str,
    credit_id: &str,
) -> Result<Option<Value>, ApiError> {
    let sql =
        format!("SELECT {CREDIT_COLS} FROM customer_credits WHERE customer_id = ?1 AND id = ?2");
    Ok(conn
        .query_row(&sql, params![customer_id, credit_id], credit_json)
        .optional()?)
}

pub fn create_credit(
    conn: &Connection,
    org_id: &str,
    customer_id: &str,
    amount: i64,
    currency: &str,
    reason: &str,
    expires_at: Option<String>,
) -> Result<Value, ApiError> {
    let id = ids::new_id("crd_");
    let now = ids::now();
    conn.execute(
        "INSERT INTO customer_credits (id, org_id, customer_id, amount, currency, reason, source, expires_at, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'api', ?7, ?8, ?8)",
        params![id, org_id, customer_id, amount, currency, reason, expires_at, now],
    )?;
    get_credit(conn, customer_id, &id)?
        .ok_or_else(|| ApiError::internal("credit vanished after insert"))
}

pub fn list_credits(
    conn: &Connection,
    customer_id: &str,
    page: PageParams,
) -> Result<Page<Value>, ApiError> {
    let f = Filter::default().and("customer_id = ?", [SqlValue::from(customer_id.to_owned())]);
    page::list(
        conn,
        "customer_credits",
        CREDIT_COLS,
        f,
        page,
        Order::NewestFirst,
        credit_json,
    )
}

/// Revokes what is left of a credit.
pub fn revoke_credit(
    conn: &Connection,
    customer_id: &str,
    credit_id: &str,
) -> Result<Value, ApiError> {
    let Some(credit) = get_credit(conn, customer_id, credit_id)? else {
        return Err(ApiError::not_found(
            "not_found",
            format!("No credit `{credit_id}` on this customer"),
        )
        .param("creditId"));
    };
    let remaining = credit["remainingAmount"].as_i64().unwrap_or(0);
    conn.execute(
        "UPDATE customer_credits SET revoked_amount = revoked_amount + ?1, updated_at = ?2 WHERE id = ?3",
        params![remaining, ids::now(), credit_id],
    )?;
    let after = get_credit(conn, customer_id, credit_id)?.unwrap_or(credit);
    Ok(json!({
        "id": credit_id,
        "remainingAmount": after["remainingAmount"],
        "revokedAmount": after["revokedAmount"],
        "currency": after["currency"],
        "object": "customer_credit",
        "livemode": false,
    }))
}
