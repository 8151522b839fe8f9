//! Webhook events (`whev_…`), the per-organization test clock state, and
//! the schema of migration 4 (events, clocks, delivery attempts, listen
//! sessions). The logic lives in `server::events` and `server::clock`;
//! this module only holds the SQL.

use rusqlite::types::Value as SqlValue;
use rusqlite::{params, Connection, OptionalExtension};
use serde_json::{json, Value};

use super::page::{self, Filter, Order, Page, PageParams};
use crate::server::error::ApiError;

/// Migration 4: the event log, test clocks, delivery attempts and listen
/// sessions. Times in `created_at` / `attempted_at` / `next_attempt_at` are
/// the organization's simulated time; `real_*` columns are wall-clock.
pub const V4_EVENTS: &str = r#"
CREATE TABLE events (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    org_id TEXT NOT NULL,
    type TEXT NOT NULL,
    api_version TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at TEXT NOT NULL,
    real_created_at TEXT NOT NULL
);
CREATE INDEX events_org ON events (org_id, seq);
CREATE INDEX events_org_type ON events (org_id, type, seq);

CREATE TABLE test_clocks (
    org_id TEXT PRIMARY KEY,
    offset_ms INTEGER NOT NULL DEFAULT 0,
    frozen_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE webhook_delivery_attempts (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    org_id TEXT NOT NULL,
    delivery_id TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    response_status INTEGER,
    error TEXT,
    duration_ms INTEGER NOT NULL DEFAULT 0,
    attempted_at TEXT NOT NULL,
    real_attempted_at TEXT NOT NULL
);
CREATE INDEX webhook_delivery_attempts_delivery ON webhook_delivery_attempts (delivery_id, seq);
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, seq);
CREATE INDEX webhook_deliveries_event ON webhook_deliveries (event_id);
ALTER TABLE webhooks ADD COLUMN consecutive_failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE webhooks ADD COLUMN disabled_reason TEXT;

CREATE TABLE listen_sessions (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    org_id TEXT NOT NULL,
    owner TEXT NOT NULL,
    channel_name TEXT NOT NULL,
    signing_secret TEXT NOT NULL,
    status TEXT NOT NULL,
    cursor_seq INTEGER NOT NULL DEFAULT 0,
    token_expires_at TEXT NOT NULL,
    created_at TEXT NOT NULL,
    stopped_at TEXT
);
"#;

/// One stored event.
#[derive(Debug, Clone)]
pub struct StoredEvent {
    pub seq: i64,
    pub id: String,
    pub event_type: String,
    /// The envelope exactly as serialized when it was emitted.
    pub payload: String,
}

/// A row to insert into `events`.
#[derive(Debug, Clone, Copy)]
pub struct NewEvent<'a> {
    pub id: &'a str,
    pub org_id: &'a str,
    pub event_type: &'a str,
    pub api_version: &'a str,
    pub payload: &'a str,
    /// Simulated time of the organization.
    pub created_at: &'a str,
}

/// Stores an event; returns its `seq`.
pub fn insert(conn: &Connection, e: NewEvent<'_>) -> Result<i64, ApiError> {
    conn.execute(
        "INSERT INTO events (id, org_id, type, api_version, payload, created_at, real_created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            e.id,
            e.org_id,
            e.event_type,
            e.api_version,
            e.payload,
            e.created_at,
            crate::server::ids::now()
        ],
    )?;
    Ok(conn.last_insert_rowid())
}

/// The newest event's `seq` of an organization (0 without events).
pub fn last_seq(conn: &Connection, org_id: &str) -> Result<i64, ApiError> {
    Ok(conn.query_row(
        "SELECT COALESCE(MAX(seq), 0) FROM events WHERE org_id = ?1",
        [org_id],
        |r| r.get(0),
    )?)
}

/// Events of an organization after `after_seq`, oldest first.
pub fn after(
    conn: &Connection,
    org_id: &str,
    after_seq: i64,
    limit: usize,
) -> Result<Vec<StoredEvent>, ApiError> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, id, type, payload FROM events WHERE org_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
    )?;
    let rows = stmt.query_map(params![org_id, after_seq, limit as i64], |r| {
        Ok(StoredEvent {
            seq: r.get(0)?,
            id: r.get(1)?,
            event_type: r.get(2)?,
            payload: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

const COLS: &str = "seq, id, type, payload, created_at";

/// The API object of an event: its envelope plus `object` and `livemode`.
fn row_json(r: &rusqlite::Row<'_>) -> rusqlite::Result<Value> {
    let payload: String = r.get(3)?;
    let mut v: Value = serde_json::from_str(&payload).unwrap_or_else(|_| {
        json!({ "id": r.get::<_, String>(1).unwrap_or_default(), "event": r.get::<_, String>(2).unwrap_or_default() })
    });
    if let Some(obj) = v.as_object_mut() {
        obj.insert("object".into(), json!("event"));
        obj.insert("livemode".into(), json!(false));
    }
    Ok(v)
}

pub fn get(conn: &Connection, org_id: &str, id: &str) -> Result<Option<Value>, ApiError> {
    let sql = format!("SELECT {COLS} FROM events WHERE org_id = ?1 AND id = ?2");
    Ok(conn
        .query_row(&sql, params![org_id, id], row_json)
        .optional()?)
}

pub fn require(conn: &Connection, org_id: &str, id: &str) -> Result<Value, ApiError> {
    get(conn, org_id, id)?.ok_or_else(|| {
        ApiError::not_found("not_found", format!("No event with id `{id}`")).param("id")
    })
}

/// Events of an organization, newest first, optionally of one type.
pub fn list(
    conn: &Connection,
    org_id: &str,
    event_type: Option<String>,
    page: PageParams,
) -> Result<Page<Value>, ApiError> {
    let filter = Filter::org(org_id).and_opt("type = ?", event_type.map(SqlValue::from));
    page::list(
        conn,
        "events",
        COLS,
        filter,
        page,
        Order::NewestFirst,
        row_json,
    )
}

// -- test clocks --------------------------------------------------------------

/// A clock row: an offset from real time, or a frozen instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClockRow {
    pub offset_ms: i64,
    pub frozen_at: Option<String>,
}

pub fn clock(conn: &Connection, org_id: &str) -> Result<Option<ClockRow>, ApiError> {
    let mut stmt =
        conn.prepare_cached("SELECT offset_ms, frozen_at FROM test_clocks WHERE org_id = ?1")?;
    Ok(stmt
        .query_row([org_id], |r| {
            Ok(ClockRow {
                offset_ms: r.get(0)?,
                frozen_at: r.get(1)?,
            })
        })
        .optional()?)
}

pub fn save_clock(
    conn: &Connection,
    org_id: &str,
    row: &ClockRow,
    now: &str,
) -> Result<(), ApiError> {
    conn.execute(
        "INSERT INTO test_clocks (org_id, offset_ms, frozen_at, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?4)
         ON CONFLICT (org_id) DO UPDATE SET offset_ms = ?2, frozen_at = ?3, updated_at = ?4",
        params![org_id, row.offset_ms, row.frozen_at, now],
    )?;
    Ok(())
}
