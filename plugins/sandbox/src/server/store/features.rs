//! The feature catalog.

use rusqlite::{params, Connection, OptionalExtension};
use serde_json::{json, Value};

use super::page::{self, Filter, Order, Page, PageParams};
use crate::server::error::ApiError;
use crate::server::ids;
use crate::server::input::Patch;

pub const FEATURE_TYPES: &[&str] = &["boolean", "usage", "seats", "quota"];

#[derive(Debug, Clone, PartialEq)]
pub struct Feature {
    pub id: String,
    pub code: String,
    pub name: String,
    pub kind: String,
    pub description: Option<String>,
    pub unit_name: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl Feature {
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "name": self.name,
            "code": self.code,
            "type": self.kind,
            "description": self.description,
            "unitName": self.unit_name,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
            "object": "feature",
            "livemode": false,
        })
    }
}

const COLS: &str = "seq, id, code, name, type, description, unit_name, created_at, updated_at";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Feature> {
    Ok(Feature {
        id: r.get(1)?,
        code: r.get(2)?,
        name: r.get(3)?,
        kind: r.get(4)?,
        description: r.get(5)?,
        unit_name: r.get(6)?,
        created_at: r.get(7)?,
        updated_at: r.get(8)?,
    })
}

/// Feature codes: lowercase letters, digits and `_` (at most 64).
pub fn valid_code(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= 64
        && code
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

pub const CODE_RULE: &str = "use only lowercase letters, digits and underscores (e.g. api_calls)";

/// By code or `ftr_` id.
pub fn find(
    conn: &Connection,
    org_id: &str,
    code_or_id: &str,
) -> Result<Option<Feature>, ApiError> {
    let sql = format!("SELECT {COLS} FROM features WHERE org_id = ?1 AND (code = ?2 OR id = ?2)");
    Ok(conn
        .query_row(&sql, params![org_id, code_or_id], from_row)
        .optional()?)
}

pub fn require(
    conn: &Connection,
    org_id: &str,
    code_or_id: &str,
    param: &str,
) -> Result<Feature, ApiError> {
    find(conn, org_id, code_or_id)?.ok_or_else(|| {
        ApiError::not_found(
            "feature_not_found",
            format!("No feature with code or id `{code_or_id}`"),
        )
        .param(param)
    })
}

fn name_taken(conn: &Connection, org_id: &str, name: &str, except: &str) -> Result<bool, ApiError> {
    super::exists(
        conn,
        "SELECT 1 FROM features WHERE org_id = ?1 AND name = ?2 COLLATE NOCASE AND id != ?3",
        params![org_id, name, except],
    )
}

pub fn insert(
    conn: &Connection,
    org_id: &str,
    code: &str,
    name: &str,
    kind: &str,
    description: Option<String>,
    unit_name: Option<String>,
) -> Result<Feature, ApiError> {
    if !valid_code(code) {
        return Err(ApiError::invalid("code", CODE_RULE));
    }
    if find(conn, org_id, code)?.is_some() {
        return Err(ApiError::conflict(
            "feature_already_exists",
            format!("A feature with code `{code}` already exists"),
        )
        .param("code"));
    }
    if name_taken(conn, org_id, name, "")? {
        return Err(ApiError::conflict(
            "feature_already_exists",
            format!("A feature named `{name}` already exists"),
        )
        .param("name"));
    }
    let id = ids::new_id("ftr_");
    let now = ids::now();
    conn.execute(
        "INSERT INTO features (id, org_id, code, name, type, description, unit_name, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
        params![id, org_id, code, name, kind, description, unit_name, now],
    )?;
    require(conn, org_id, &id, "code")
}

pub fn update(
    conn: &Connection,
    org_id: &str,
    code_or_id: &str,
    name: Option<String>,
    description: Patch<String>,
    unit_name: Patch<String>,
) -> Result<Feature, ApiError> {
    let current = require(conn, org_id, code_or_id, "code")?;
    if let Some(name) = &name {
        if name_taken(conn, org_id, name, &current.id)? {
            return Err(ApiError::conflict(
                "feature_already_exists",
                format!("A feature named `{name}` already exists"),
            )
            .param("name"));
        }
    }
    let next = Feature {
        name: name.unwrap_or(current.name.clone()),
        description: description.apply(current.description.clone()),
        unit_name: unit_name.apply(current.unit_name.clone()),
        updated_at: ids::now(),
        ..current
    };
    conn.execute(
        "UPDATE features SET name = ?1, description = ?2, unit_name = ?3, updated_at = ?4 WHERE id = ?5",
        params![next.name, next.description, next.unit_name, next.updated_at, next.id],
    )?;
    Ok(next)
}

/// Plan codes and add-on names still using a feature.
pub fn users_of(conn: &Connection, feature_id: &str) -> Result<Vec<String>, ApiError> {
    let mut stmt = conn.prepare(
        "SELECT 'plan ' || p.code FROM plan_features pf JOIN plans p ON p.id = pf.plan_id
         WHERE pf.feature_id = ?1 AND p.deleted_at IS NULL
         UNION ALL
         SELECT 'add-on ' || a.name FROM addons a WHERE a.feature_id = ?1 AND a.deleted_at IS NULL",
    )?;
    let rows = stmt.query_map([feature_id], |r| r.get::<_, String>(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn delete(conn: &Connection, org_id: &str, code_or_id: &str) -> Result<Value, ApiError> {
    let feature = require(conn, org_id, code_or_id, "code")?;
    let users = users_of(conn, &feature.id)?;
    if !users.is_empty() {
        return Err(ApiError::conflict(
            "feature_in_use",
            format!(
                "Feature `{}` is used by {}; remove it from them first",
                feature.code,
                users.join(", ")
            ),
        )
        .param("code"));
    }
    // Rows of deleted plans may still point at it.
    conn.execute(
        "DELETE FROM plan_features WHERE feature_id = ?1",
        [&feature.id],
    )?;
    conn.execute("DELETE FROM features WHERE id = ?1", [&feature.id])?;
    Ok(json!({ "id": feature.id, "deleted": true, "object": "feature", "livemode": false }))
}

pub fn list(conn: &Connection, org_id: &str, page: PageParams) -> Result<Page<Value>, ApiError> {
    page::list(
        conn,
        "features",
        COLS,
        Filter::org(org_id),
        page,
        Order::OldestFirst,
        |r| from_row(r).map(|f| f.to_json()),
    )
}
