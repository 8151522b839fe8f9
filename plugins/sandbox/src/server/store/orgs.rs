//! Users, organizations and memberships.

use rusqlite::{params, Connection, OptionalExtension};
use serde_json::{json, Value};

use crate::server::error::ApiError;
use crate::server::ids;

/// The single local user every sandbox login maps to.
pub const LOCAL_USER_ID: &str = "usr_local";

#[derive(Debug, Clone, PartialEq)]
pub struct Org {
    pub id: String,
    pub name: String,
    pub slug: String,
    pub mode: String,
    /// The organization's pinned API version, if any.
    pub api_version: Option<String>,
}

impl Org {
    /// As listed by `GET /api/cli/organizations`.
    pub fn to_json(&self) -> Value {
        json!({ "id": self.id, "name": self.name, "slug": self.slug, "mode": self.mode })
    }
}

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Org> {
    Ok(Org {
        id: r.get(0)?,
        name: r.get(1)?,
        slug: r.get(2)?,
        mode: r.get(3)?,
        api_version: r.get(4)?,
    })
}

const COLS: &str = "id, name, slug, mode, api_version";

/// Creates the local user if it does not exist yet.
pub fn ensure_local_user(conn: &Connection) -> Result<(), ApiError> {
    conn.execute(
        "INSERT OR IGNORE INTO users (id, email, name, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![
            LOCAL_USER_ID,
            "developer@localhost",
            "Local developer",
            ids::now()
        ],
    )?;
    Ok(())
}

/// Slugs: lowercase letters, digits and `-`, 1 to 64 characters.
pub fn valid_slug(slug: &str) -> bool {
    !slug.is_empty()
        && slug.len() <= 64
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !slug.starts_with('-')
}

/// Creates an organization (sandbox mode) owned by `user_id`.
pub fn create(
    conn: &Connection,
    id: Option<&str>,
    name: &str,
    slug: &str,
    user_id: &str,
) -> Result<Org, ApiError> {
    if name.trim().is_empty() {
        return Err(ApiError::invalid("name", "must not be empty"));
    }
    if !valid_slug(slug) {
        return Err(ApiError::invalid(
            "slug",
            "use lowercase letters, digits and dashes",
        ));
    }
    if find(conn, slug)?.is_some() {
        return Err(ApiError::conflict(
            "duplicate",
            format!("An organization with slug `{slug}` already exists"),
        )
        .param("slug"));
    }
    let org = Org {
        id: id.map(str::to_owned).unwrap_or_else(|| ids::new_id("org_")),
        name: name.trim().to_owned(),
        slug: slug.to_owned(),
        mode: "sandbox".to_owned(),
        api_version: None,
    };
    let now = ids::now();
    conn.execute(
        "INSERT INTO organizations (id, name, slug, mode, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![org.id, org.name, org.slug, org.mode, now],
    )?;
    conn.execute(
        "INSERT OR IGNORE INTO memberships (user_id, org_id, role, created_at) VALUES (?1, ?2, 'owner', ?3)",
        params![user_id, org.id, now],
    )?;
    Ok(org)
}

pub fn get(conn: &Connection, id: &str) -> Result<Option<Org>, ApiError> {
    let sql = format!("SELECT {COLS} FROM organizations WHERE id = ?1");
    Ok(conn.query_row(&sql, [id], from_row).optional()?)
}

/// By id or slug.
pub fn find(conn: &Connection, id_or_slug: &str) -> Result<Option<Org>, ApiError> {
    let sql = format!("SELECT {COLS} FROM organizations WHERE id = ?1 OR slug = ?1");
    Ok(conn.query_row(&sql, [id_or_slug], from_row).optional()?)
}

pub fn list_for_user(conn: &Connection, user_id: &str) -> Result<Vec<Org>, ApiError> {
    let sql = format!(
        "SELECT {} FROM organizations o JOIN memberships m ON m.org_id = o.id WHERE m.user_id = ?1 ORDER BY o.seq",
        COLS.split(", ").map(|c| format!("o.{c}")).collect::<Vec<_>>().join(", ")
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map([user_id], from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn is_member(conn: &Connection, user_id: &str, org_id: &str) -> Result<bool, ApiError> {
    super::exists(
        conn,
        "SELECT 1 FROM memberships WHERE user_id = ?1 AND org_id = ?2",
        params![user_id, org_id],
    )
}
