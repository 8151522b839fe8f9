//! Customer portal sessions (`POST /portal/sessions`).

use chrono::{Duration, Utc};
use rusqlite::{params, Connection, OptionalExtension};

use crate::server::error::ApiError;
use crate::server::ids;

/// How long a portal link works.
pub const SESSION_TTL_MINUTES: i64 = 60;

/// A live portal session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub org_id: String,
    pub customer_id: String,
    pub return_url: Option<String>,
    pub expires_at: String,
}

/// Creates a session; returns `(token, expires_at)`.
pub fn create(
    conn: &Connection,
    org_id: &str,
    customer_id: &str,
    return_url: Option<&str>,
) -> Result<(String, String), ApiError> {
    let token = ids::new_id("tok_");
    let now = Utc::now();
    let expires = ids::iso(now + Duration::minutes(SESSION_TTL_MINUTES));
    conn.execute(
        "INSERT INTO portal_sessions (token, org_id, customer_id, return_url, expires_at, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![token, org_id, customer_id, return_url, expires, ids::iso(now)],
    )?;
    Ok((token, expires))
}

/// The session behind a token, unless unknown or expired.
pub fn get(conn: &Connection, token: &str) -> Result<Option<Session>, ApiError> {
    let row = conn
        .query_row(
            "SELECT org_id, customer_id, return_url, expires_at FROM portal_sessions WHERE token = ?1",
            [token],
            |r| {
                Ok(Session {
                    org_id: r.get(0)?,
                    customer_id: r.get(1)?,
                    return_url: r.get(2)?,
                    expires_at: r.get(3)?,
                })
            },
        )
        .optional()?;
    Ok(row.filter(|s| ids::parse_instant(&s.expires_at).is_some_and(|t| t > Utc::now())))
}
