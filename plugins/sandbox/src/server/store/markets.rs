//! Markets: groups of countries with their own prices and currency.

use rusqlite::{params, Connection, OptionalExtension};
use serde_json::{json, Value};

use super::page::{self, Filter, Order, Page, PageParams};
use super::{json_text, parse_json_or};
use crate::server::error::ApiError;
use crate::server::ids;

const COLS: &str = "seq, id, name, country_codes, metadata, created_at, updated_at";

fn row_json(r: &rusqlite::Row<'_>) -> rusqlite::Result<Value> {
    Ok(json!({
        "id": r.get::<_, String>(1)?,
        "name": r.get::<_, String>(2)?,
        "countryCodes": parse_json_or(r.get(3)?, json!([])),
        "metadata": parse_json_or(r.get(4)?, json!({})),
        "createdAt": r.get::<_, String>(5)?,
        "updatedAt": r.get::<_, String>(6)?,
        "object": "market",
        "livemode": false,
    }))
}

pub fn get(conn: &Connection, org_id: &str, id: &str) -> Result<Option<Value>, ApiError> {
    let sql = format!("SELECT {COLS} FROM markets WHERE org_id = ?1 AND id = ?2");
    Ok(conn
        .query_row(&sql, params![org_id, id], row_json)
        .optional()?)
}

pub fn require(conn: &Connection, org_id: &str, id: &str, param: &str) -> Result<Value, ApiError> {
    get(conn, org_id, id)?.ok_or_else(|| {
        ApiError::not_found("market_not_found", format!("No market with id `{id}`")).param(param)
    })
}

/// A country belongs to at most one market.
fn check_countries(
    conn: &Connection,
    org_id: &str,
    countries: &[String],
    except: &str,
) -> Result<(), ApiError> {
    let mut stmt =
        conn.prepare("SELECT id, name, country_codes FROM markets WHERE org_id = ?1 AND id != ?2")?;
    let rows = stmt.query_map(params![org_id, except], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
        ))
    })?;
    for row in rows {
        let (id, name, codes) = row?;
        let codes: Vec<String> = serde_json::from_str(&codes).unwrap_or_default();
        if let Some(c) = countries.iter().find(|c| codes.contains(c)) {
            return Err(ApiError::conflict(
                "duplicate",
                format!("Country {c} already belongs to market `{name}` ({id}); a country can be in only one market"),
            )
            .param("countryCodes"));
        }
    }
    Ok(())
}

pub fn insert(
    conn: &Connection,
    org_id: &str,
    name: &str,
    countries: &[String],
    metadata: Option<Value>,
) -> Result<Value, ApiError> {
    check_countries(conn, org_id, countries, "")?;
    let id = ids::new_id("pmg_");
    let now = ids::now();
    conn.execute(
        "INSERT INTO markets (id, org_id, name, country_codes, metadata, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
        params![id, org_id, name, json!(countries).to_string(), json_text(&metadata), now],
    )?;
    require(conn, org_id, &id, "id")
}

pub fn update(
    conn: &Connection,
    org_id: &str,
    id: &str,
    name: &str,
    countries: &[String],
    metadata: Option<Value>,
) -> Result<Value, ApiError> {
    require(conn, org_id, id, "id")?;
    check_countries(conn, org_id, countries, id)?;
    conn.execute(
        "UPDATE markets SET name = ?1, country_codes = ?2, metadata = COALESCE(?3, metadata), updated_at = ?4 WHERE id = ?5",
        params![name, json!(countries).to_string(), json_text(&metadata), ids::now(), id],
    )?;
    require(conn, org_id, id, "id")
}

pub fn delete(conn: &Connection, org_id: &str, id: &str) -> Result<Value, ApiError> {
    require(conn, org_id, id, "id")?;
    if super::plans::market_in_use(conn, org_id, id)? {
        return Err(ApiError::conflict(
            "market_in_use",
            format!("Market `{id}` is used by plan prices; remove those market prices first"),
        )
        .param("id"));
    }
    conn.execute("DELETE FROM markets WHERE id = ?1", [id])?;
    Ok(json!({ "id": id, "deleted": true, "object": "market", "livemode": false }))
}

pub fn list(conn: &Connection, org_id: &str, page: PageParams) -> Result<Page<Value>, ApiError> {
    page::list(
        conn,
        "markets",
        COLS,
        Filter::org(org_id),
        page,
        Order::OldestFirst,
        row_json,
    )
}
