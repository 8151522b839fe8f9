//! Credit packs (USD), sold to customers on credits plans.

use rusqlite::{params, Connection, OptionalExtension};
use serde_json::{json, Value};

use super::page::{self, Filter, Order, Page, PageParams};
use crate::server::error::ApiError;
use crate::server::ids;
use crate::server::input::Patch;

const COLS: &str = "seq, id, name, description, credits, price, is_active, created_at, updated_at";

fn row_json(r: &rusqlite::Row<'_>) -> rusqlite::Result<Value> {
    Ok(json!({
        "id": r.get::<_, String>(1)?,
        "name": r.get::<_, String>(2)?,
        "description": r.get::<_, Option<String>>(3)?,
        "credits": r.get::<_, i64>(4)?,
        "price": r.get::<_, i64>(5)?,
        "currency": "usd",
        "isActive": r.get::<_, bool>(6)?,
        "createdAt": r.get::<_, String>(7)?,
        "updatedAt": r.get::<_, String>(8)?,
        "object": "credit_pack",
        "livemode": false,
    }))
}

pub fn get(conn: &Connection, org_id: &str, id: &str) -> Result<Option<Value>, ApiError> {
    let sql = format!(
        "SELECT {COLS} FROM credit_packs WHERE org_id = ?1 AND id = ?2 AND deleted_at IS NULL"
    );
    Ok(conn
        .query_row(&sql, params![org_id, id], row_json)
        .optional()?)
}

pub fn require(conn: &Connection, org_id: &str, id: &str) -> Result<Value, ApiError> {
    get(conn, org_id, id)?.ok_or_else(|| {
        ApiError::not_found(
            "credit_pack_not_found",
            format!("No credit pack with id `{id}`"),
        )
        .param("id")
    })
}

fn name_taken(conn: &Connection, org_id: &str, name: &str, except: &str) -> Result<bool, ApiError> {
    super::exists(
        conn,
        "SELECT 1 FROM credit_packs WHERE org_id = ?1 AND name = ?2 COLLATE NOCASE AND id != ?3 AND deleted_at IS NULL",
        params![org_id, name, except],
    )
}

fn duplicate_name(name: &str) -> ApiError {
    ApiError::conflict(
        "duplicate",
        format!("A credit pack named `{name}` already exists"),
    )
    .param("name")
}

pub fn insert(
    conn: &Connection,
    org_id: &str,
    name: &str,
    description: Option<String>,
    credits: i64,
    price: i64,
    is_active: bool,
) -> Result<Value, ApiError> {
    if name_taken(conn, org_id, name, "")? {
        return Err(duplicate_name(name));
    }
    let id = ids::new_id("cpk_");
    let now = ids::now();
    conn.execute(
        "INSERT INTO credit_packs (id, org_id, name, description, credits, price, is_active, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
        params![id, org_id, name, description, credits, price, is_active, now],
    )?;
    require(conn, org_id, &id)
}

#[allow(clippy::too_many_arguments)]
pub fn update(
    conn: &Connection,
    org_id: &str,
    id: &str,
    name: Option<String>,
    description: Patch<String>,
    credits: Option<i64>,
    price: Option<i64>,
    is_active: Option<bool>,
) -> Result<Value, ApiError> {
    let current = require(conn, org_id, id)?;
    if let Some(name) = &name {
        if name_taken(conn, org_id, name, id)? {
            return Err(duplicate_name(name));
        }
    }
    let description = description.apply_json(&current["description"]);
    conn.execute(
        "UPDATE credit_packs SET name = COALESCE(?1, name), description = ?2, credits = COALESCE(?3, credits),
           price = COALESCE(?4, price), is_active = COALESCE(?5, is_active), updated_at = ?6 WHERE id = ?7",
        params![name, description, credits, price, is_active, ids::now(), id],
    )?;
    require(conn, org_id, id)
}

/// Soft delete: purchased credits are unaffected.
pub fn delete(conn: &Connection, org_id: &str, id: &str) -> Result<Value, ApiError> {
    require(conn, org_id, id)?;
    conn.execute(
        "UPDATE credit_packs SET deleted_at = ?1, is_active = 0, updated_at = ?1 WHERE id = ?2",
        params![ids::now(), id],
    )?;
    Ok(json!({ "id": id, "deleted": true, "object": "credit_pack", "livemode": false }))
}

pub fn list(conn: &Connection, org_id: &str, page: PageParams) -> Result<Page<Value>, ApiError> {
    let f = Filter::org(org_id).and("deleted_at IS NULL", []);
    page::list(
        conn,
        "credit_packs",
        COLS,
        f,
        page,
        Order::OldestFirst,
        row_json,
    )
}
