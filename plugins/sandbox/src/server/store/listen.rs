//! `commet listen` sessions: who opened them, for which organization, the
//! secret their events are signed with, and how far their stream got.

use chrono::{Duration, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde_json::{json, Value};

use super::events as event_store;
use crate::server::delivery::sign;
use crate::server::error::ApiError;
use crate::server::ids;

/// How long a token request is valid (the CLI refreshes it).
pub const TOKEN_TTL_MINUTES: i64 = 60;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id: String,
    pub org_id: String,
    /// The caller's idempotency scope (`user:…` or an org id).
    pub owner: String,
    pub channel_name: String,
    pub signing_secret: String,
    pub status: String,
    /// The last event (`events.seq`) streamed to this session.
    pub cursor_seq: i64,
}

impl Session {
    pub fn is_active(&self) -> bool {
        self.status == "active"
    }
}

const COLS: &str = "id, org_id, owner, channel_name, signing_secret, status, cursor_seq";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Session> {
    Ok(Session {
        id: r.get(0)?,
        org_id: r.get(1)?,
        owner: r.get(2)?,
        channel_name: r.get(3)?,
        signing_secret: r.get(4)?,
        status: r.get(5)?,
        cursor_seq: r.get(6)?,
    })
}

/// Opens a session that will receive the organization's events from now on.
pub fn create(conn: &Connection, org_id: &str, owner: &str) -> Result<Session, ApiError> {
    let id = ids::new_id("lsn_");
    let channel_name = format!("private:webhooks:{org_id}:{id}");
    let secret = format!("whsec_{}", ids::random_alnum(32));
    let cursor = event_store::last_seq(conn, org_id)?;
    let expires = ids::iso(Utc::now() + Duration::minutes(TOKEN_TTL_MINUTES));
    conn.execute(
        "INSERT INTO listen_sessions (id, org_id, owner, channel_name, signing_secret, status, cursor_seq, token_expires_at, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, 'active', ?6, ?7, ?8)",
        params![id, org_id, owner, channel_name, secret, cursor, expires, ids::now()],
    )?;
    get(conn, &id)?.ok_or_else(|| ApiError::internal("the listen session was not stored"))
}

pub fn get(conn: &Connection, id: &str) -> Result<Option<Session>, ApiError> {
    let sql = format!("SELECT {COLS} FROM listen_sessions WHERE id = ?1");
    Ok(conn.query_row(&sql, [id], from_row).optional()?)
}

/// The 404 every unknown, foreign or stopped session gets (the CLI then
/// starts a new session).
pub fn not_found(id: &str) -> ApiError {
    ApiError::not_found(
        "not_found",
        format!("No active listen session `{id}`; start a new one"),
    )
    .param("sessionId")
}

/// A token request for the session's channel, in the shape of a realtime
/// token request (`keyName`, `clientId`, `capability`, `timestamp`, `ttl`,
/// `nonce`, `mac`); the sandbox's own stream does not need it, but the CLI
/// contract carries one. Also extends the session's token expiry.
pub fn token_request(conn: &Connection, session: &Session) -> Result<Value, ApiError> {
    let now = Utc::now();
    let ttl_ms = TOKEN_TTL_MINUTES * 60 * 1000;
    let nonce = ids::random_alnum(16);
    let capability = json!({ session.channel_name.clone(): ["subscribe"] }).to_string();
    let timestamp = now.timestamp_millis();
    let mac = sign(
        &session.signing_secret,
        format!(
            "sandbox\n{ttl_ms}\n{capability}\n{}\n{timestamp}\n{nonce}\n",
            session.id
        )
        .as_bytes(),
    );
    conn.execute(
        "UPDATE listen_sessions SET token_expires_at = ?1 WHERE id = ?2",
        params![ids::iso(now + Duration::milliseconds(ttl_ms)), session.id],
    )?;
    Ok(json!({
        "keyName": "sandbox",
        "clientId": session.id,
        "capability": capability,
        "timestamp": timestamp,
        "ttl": ttl_ms,
        "nonce": nonce,
        "mac": mac,
    }))
}

/// Stops a session; stopping a stopped one changes nothing.
pub fn stop(conn: &Connection, id: &str) -> Result<(), ApiError> {
    conn.execute(
        "UPDATE listen_sessions SET status = 'stopped', stopped_at = COALESCE(stopped_at, ?1) WHERE id = ?2",
        params![ids::now(), id],
    )?;
    Ok(())
}

/// Records how far the session's stream got (never moves backwards).
pub fn advance_cursor(conn: &Connection, id: &str, seq: i64) -> Result<(), ApiError> {
    conn.execute(
        "UPDATE listen_sessions SET cursor_seq = MAX(cursor_seq, ?1) WHERE id = ?2",
        params![seq, id],
    )?;
    Ok(())
}
