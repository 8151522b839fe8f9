//! Organization API keys (`ck_…` secrets, `key_…` records). Only a hash of
//! each secret is stored; the secret is shown once, at creation.

use rusqlite::{params, Connection, OptionalExtension};
use serde_json::{json, Value};

use super::page::{self, Filter, Order, Page, PageParams};
use crate::server::error::ApiError;
use crate::server::ids;

/// What an API key authenticates as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyOwner {
    pub key_id: String,
    pub org_id: String,
}

/// The characters of a secret shown in listings.
fn prefix_of(secret: &str) -> String {
    secret.chars().take(15).collect()
}

const COLS: &str = "seq, id, name, prefix, expires_at, last_used_at, created_at";

fn row_json(r: &rusqlite::Row<'_>) -> rusqlite::Result<Value> {
    Ok(json!({
        "id": r.get::<_, String>(1)?,
        "name": r.get::<_, String>(2)?,
        "prefix": r.get::<_, String>(3)?,
        "expiresAt": r.get::<_, Option<String>>(4)?,
        "lastUsedAt": r.get::<_, Option<String>>(5)?,
        "createdAt": r.get::<_, String>(6)?,
        "object": "api_key",
        "livemode": false,
    }))
}

/// Creates a key; `secret` reuses a known secret (the data dir's `api-key`).
/// Returns the `CreatedApiKey` object, secret included.
pub fn create(
    conn: &Connection,
    org_id: &str,
    name: &str,
    expires_at: Option<String>,
    secret: Option<&str>,
) -> Result<(Value, String), ApiError> {
    let secret = secret.map(str::to_owned).unwrap_or_else(ids::new_api_key);
    let id = ids::new_id("key_");
    let now = ids::now();
    conn.execute(
        "INSERT INTO api_keys (id, org_id, name, prefix, secret_hash, expires_at, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            id,
            org_id,
            name,
            prefix_of(&secret),
            ids::hash_secret(&secret),
            expires_at,
            now
        ],
    )?;
    let body = json!({
        "id": id,
        "name": name,
        "apiKey": secret,
        "prefix": prefix_of(&secret),
        "expiresAt": expires_at,
        "createdAt": now,
        "object": "api_key",
        "livemode": false,
    });
    Ok((body, secret))
}

/// Makes sure `secret` authenticates for `org_id` (restoring it after a
/// reset or a deletion), so the data dir's `api-key` file always works.
pub fn ensure(conn: &Connection, org_id: &str, secret: &str) -> Result<(), ApiError> {
    let hash = ids::hash_secret(secret);
    let found: Option<(String, Option<String>)> = conn
        .query_row(
            "SELECT org_id, deleted_at FROM api_keys WHERE secret_hash = ?1",
            [&hash],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    match found {
        Some((owner, None)) if owner == org_id => Ok(()),
        Some(_) => {
            conn.execute(
                "UPDATE api_keys SET org_id = ?1, deleted_at = NULL, expires_at = NULL WHERE secret_hash = ?2",
                params![org_id, hash],
            )?;
            Ok(())
        }
        None => create(conn, org_id, "Sandbox default key", None, Some(secret)).map(|_| ()),
    }
}

/// Resolves a secret to its organization; deleted and expired keys fail.
pub fn authenticate(conn: &Connection, secret: &str) -> Result<Option<KeyOwner>, ApiError> {
    let hash = ids::hash_secret(secret);
    let row: Option<(String, String, Option<String>, Option<String>)> = conn
        .query_row(
            "SELECT id, org_id, expires_at, last_used_at FROM api_keys WHERE secret_hash = ?1 AND deleted_at IS NULL",
            [&hash],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?;
    let Some((key_id, org_id, expires_at, last_used)) = row else {
        return Ok(None);
    };
    let now = chrono::Utc::now();
    if expires_at
        .as_deref()
        .and_then(ids::parse_instant)
        .is_some_and(|t| t <= now)
    {
        return Ok(None);
    }
    // Record use at most once a minute to keep reads cheap.
    let stale = last_used
        .as_deref()
        .and_then(ids::parse_instant)
        .is_none_or(|t| now - t > chrono::Duration::seconds(60));
    if stale {
        conn.execute(
            "UPDATE api_keys SET last_used_at = ?1 WHERE id = ?2",
            params![ids::iso(now), key_id],
        )?;
    }
    Ok(Some(KeyOwner { key_id, org_id }))
}

pub fn list(conn: &Connection, org_id: &str, page: PageParams) -> Result<Page<Value>, ApiError> {
    page::list(
        conn,
        "api_keys",
        COLS,
        Filter::org(org_id).and("deleted_at IS NULL", []),
        page,
        Order::NewestFirst,
        row_json,
    )
}

pub fn delete(conn: &Connection, org_id: &str, id: &str) -> Result<Value, ApiError> {
    let n = conn.execute(
        "UPDATE api_keys SET deleted_at = ?1 WHERE id = ?2 AND org_id = ?3 AND deleted_at IS NULL",
        params![ids::now(), id, org_id],
    )?;
    if n == 0 {
        return Err(
            ApiError::not_found("api_key_not_found", format!("No API key with id `{id}`"))
                .param("id"),
        );
    }
    Ok(json!({ "id": id, "deleted": true, "object": "api_key", "livemode": false }))
}
