//! Offers: ordered discount phases applied to a plan's base price.

use rusqlite::{params, Connection, OptionalExtension};
use serde_json::{json, Value};

use super::page::{self, Filter, Order, Page, PageParams};
use super::{json_text, parse_json_or};
use crate::server::error::ApiError;
use crate::server::ids;

/// The fields of an offer (create and full update).
#[derive(Debug, Clone, PartialEq)]
pub struct OfferFields {
    pub name: String,
    pub phases: Value,
    pub metadata: Option<Value>,
    pub starts_at: Option<String>,
    pub ends_at: Option<String>,
    pub active: bool,
}

const COLS: &str =
    "seq, id, name, phases, metadata, starts_at, ends_at, active, created_at, updated_at";

fn row_json(r: &rusqlite::Row<'_>) -> rusqlite::Result<Value> {
    Ok(json!({
        "id": r.get::<_, String>(1)?,
        "name": r.get::<_, String>(2)?,
        "phases": parse_json_or(r.get(3)?, json!([])),
        "metadata": parse_json_or(r.get(4)?, json!({})),
        "startsAt": r.get::<_, Option<String>>(5)?,
        "endsAt": r.get::<_, Option<String>>(6)?,
        "active": r.get::<_, bool>(7)?,
        "createdAt": r.get::<_, String>(8)?,
        "updatedAt": r.get::<_, String>(9)?,
        "object": "offer",
        "livemode": false,
    }))
}

pub fn get(conn: &Connection, org_id: &str, id: &str) -> Result<Option<Value>, ApiError> {
    let sql =
        format!("SELECT {COLS} FROM offers WHERE org_id = ?1 AND id = ?2 AND deleted_at IS NULL");
    Ok(conn
        .query_row(&sql, params![org_id, id], row_json)
        .optional()?)
}

pub fn require(conn: &Connection, org_id: &str, id: &str, param: &str) -> Result<Value, ApiError> {
    get(conn, org_id, id)?.ok_or_else(|| {
        ApiError::not_found("offer_not_found", format!("No offer with id `{id}`")).param(param)
    })
}

pub fn insert(conn: &Connection, org_id: &str, fields: OfferFields) -> Result<Value, ApiError> {
    let id = ids::new_id("ofr_");
    let now = ids::now();
    conn.execute(
        "INSERT INTO offers (id, org_id, name, phases, metadata, starts_at, ends_at, active, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)",
        params![
            id,
            org_id,
            fields.name,
            fields.phases.to_string(),
            json_text(&fields.metadata),
            fields.starts_at,
            fields.ends_at,
            fields.active,
            now
        ],
    )?;
    require(conn, org_id, &id, "id")
}

pub fn update(
    conn: &Connection,
    org_id: &str,
    id: &str,
    fields: OfferFields,
) -> Result<Value, ApiError> {
    require(conn, org_id, id, "id")?;
    conn.execute(
        "UPDATE offers SET name = ?1, phases = ?2, metadata = COALESCE(?3, metadata), starts_at = ?4, ends_at = ?5,
           active = ?6, updated_at = ?7 WHERE id = ?8",
        params![
            fields.name,
            fields.phases.to_string(),
            json_text(&fields.metadata),
            fields.starts_at,
            fields.ends_at,
            fields.active,
            ids::now(),
            id
        ],
    )?;
    require(conn, org_id, id, "id")
}

/// Soft delete: promo codes and prices that point at it keep a valid id.
pub fn delete(conn: &Connection, org_id: &str, id: &str) -> Result<Value, ApiError> {
    require(conn, org_id, id, "id")?;
    conn.execute(
        "UPDATE offers SET deleted_at = ?1, active = 0, updated_at = ?1 WHERE id = ?2",
        params![ids::now(), id],
    )?;
    Ok(json!({ "id": id, "deleted": true, "object": "offer", "livemode": false }))
}

pub fn list(
    conn: &Connection,
    org_id: &str,
    active: Option<bool>,
    page: PageParams,
) -> Result<Page<Value>, ApiError> {
    let f = Filter::org(org_id)
        .and("deleted_at IS NULL", [])
        .and_opt("active = ?", active);
    page::list(conn, "offers", COLS, f, page, Order::NewestFirst, row_json)
}
