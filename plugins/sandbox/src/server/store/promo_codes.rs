//! Promo codes: customer-facing codes for a one-phase discount offer.

use rusqlite::{params, Connection, OptionalExtension};
use serde_json::{json, Value};

use super::page::{self, Filter, Order, Page, PageParams};
use super::parse_json_or;
use crate::server::error::ApiError;
use crate::server::ids;
use crate::server::input::Patch;

#[derive(Debug, Clone, PartialEq)]
pub struct NewPromoCode {
    pub code: String,
    pub offer_id: String,
    pub billing_interval: Option<String>,
    pub max_redemptions: Option<i64>,
    pub expires_at: Option<String>,
    pub plan_ids: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct PromoPatch {
    pub billing_interval: Patch<String>,
    pub max_redemptions: Patch<i64>,
    pub expires_at: Patch<String>,
    pub active: Option<bool>,
    pub plan_ids: Option<Vec<String>>,
}

const COLS: &str = "seq, id, code, offer_id, billing_interval, max_redemptions, expires_at, is_active, redemption_count, \
    plan_ids, created_at, updated_at";

fn row_json(r: &rusqlite::Row<'_>) -> rusqlite::Result<Value> {
    Ok(json!({
        "id": r.get::<_, String>(1)?,
        "code": r.get::<_, String>(2)?,
        "offerId": r.get::<_, String>(3)?,
        "billingInterval": r.get::<_, Option<String>>(4)?,
        "maxRedemptions": r.get::<_, Option<i64>>(5)?,
        "expiresAt": r.get::<_, Option<String>>(6)?,
        "isActive": r.get::<_, bool>(7)?,
        "redemptionCount": r.get::<_, i64>(8)?,
        "planIds": parse_json_or(r.get(9)?, json!([])),
        "createdAt": r.get::<_, String>(10)?,
        "updatedAt": r.get::<_, String>(11)?,
        "object": "promo_code",
        "livemode": false,
    }))
}

/// By `prc_` id or code (codes match case-insensitively).
pub fn get(conn: &Connection, org_id: &str, id_or_code: &str) -> Result<Option<Value>, ApiError> {
    let sql = format!("SELECT {COLS} FROM promo_codes WHERE org_id = ?1 AND (id = ?2 OR code = ?2 COLLATE NOCASE)");
    Ok(conn
        .query_row(&sql, params![org_id, id_or_code], row_json)
        .optional()?)
}

pub fn require(conn: &Connection, org_id: &str, id_or_code: &str) -> Result<Value, ApiError> {
    get(conn, org_id, id_or_code)?.ok_or_else(|| {
        ApiError::not_found(
            "promo_code_not_found",
            format!("No promo code with id or code `{id_or_code}`"),
        )
        .param("id")
    })
}

pub fn insert(conn: &Connection, org_id: &str, new: NewPromoCode) -> Result<Value, ApiError> {
    if get(conn, org_id, &new.code)?.is_some() {
        return Err(ApiError::conflict(
            "duplicate",
            format!("A promo code `{}` already exists", new.code),
        )
        .param("code"));
    }
    let id = ids::new_id("prc_");
    let now = ids::now();
    conn.execute(
        "INSERT INTO promo_codes (id, org_id, code, offer_id, billing_interval, max_redemptions, expires_at, plan_ids, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)",
        params![
            id,
            org_id,
            new.code,
            new.offer_id,
            new.billing_interval,
            new.max_redemptions,
            new.expires_at,
            json!(new.plan_ids).to_string(),
            now
        ],
    )?;
    require(conn, org_id, &id)
}

pub fn update(
    conn: &Connection,
    org_id: &str,
    id_or_code: &str,
    patch: PromoPatch,
) -> Result<Value, ApiError> {
    let current = require(conn, org_id, id_or_code)?;
    let id = current["id"].as_str().unwrap_or_default().to_owned();
    let interval = patch
        .billing_interval
        .apply_json(&current["billingInterval"]);
    let max = patch.max_redemptions.apply_json(&current["maxRedemptions"]);
    let expires = patch.expires_at.apply_json(&current["expiresAt"]);
    let plan_ids = match patch.plan_ids {
        Some(ids) => json!(ids),
        None => current["planIds"].clone(),
    };
    conn.execute(
        "UPDATE promo_codes SET billing_interval = ?1, max_redemptions = ?2, expires_at = ?3, is_active = COALESCE(?4, is_active),
           plan_ids = ?5, updated_at = ?6 WHERE id = ?7",
        params![interval, max, expires, patch.active, plan_ids.to_string(), ids::now(), id],
    )?;
    require(conn, org_id, &id)
}

pub fn list(conn: &Connection, org_id: &str, page: PageParams) -> Result<Page<Value>, ApiError> {
    page::list(
        conn,
        "promo_codes",
        COLS,
        Filter::org(org_id),
        page,
        Order::NewestFirst,
        row_json,
    )
}
