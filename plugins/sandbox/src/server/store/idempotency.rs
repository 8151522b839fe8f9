//! Stored responses of writes sent with an `Idempotency-Key`.

use chrono::{Duration, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde_json::Value;

use crate::server::error::ApiError;
use crate::server::ids;

/// How long a key is remembered.
pub const RETENTION_HOURS: i64 = 24;

/// A response stored under a key.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored {
    pub fingerprint: String,
    pub status: u16,
    pub body: Value,
}

/// The live record for `(org, key)`; records older than the retention are
/// forgotten (and removed).
pub fn lookup(conn: &Connection, org_id: &str, key: &str) -> Result<Option<Stored>, ApiError> {
    let cutoff = ids::iso(Utc::now() - Duration::hours(RETENTION_HOURS));
    conn.execute(
        "DELETE FROM idempotency_keys WHERE org_id = ?1 AND key = ?2 AND created_at < ?3",
        params![org_id, key, cutoff],
    )?;
    let row: Option<(String, i64, String)> = conn
        .query_row(
            "SELECT fingerprint, status, body FROM idempotency_keys WHERE org_id = ?1 AND key = ?2",
            params![org_id, key],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    match row {
        Some((fingerprint, status, body)) => Ok(Some(Stored {
            fingerprint,
            status: u16::try_from(status).unwrap_or(200),
            body: serde_json::from_str(&body)?,
        })),
        None => Ok(None),
    }
}

pub fn save(
    conn: &Connection,
    org_id: &str,
    key: &str,
    fingerprint: &str,
    status: u16,
    body: &Value,
) -> Result<(), ApiError> {
    conn.execute(
        "INSERT OR REPLACE INTO idempotency_keys (org_id, key, fingerprint, status, body, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![org_id, key, fingerprint, status, body.to_string(), ids::now()],
    )?;
    Ok(())
}

/// Drops every expired record (run now and then).
pub fn purge(conn: &Connection) -> Result<usize, ApiError> {
    let cutoff = ids::iso(Utc::now() - Duration::hours(RETENTION_HOURS));
    Ok(conn.execute(
        "DELETE FROM idempotency_keys WHERE created_at < ?1",
        [cutoff],
    )?)
}
