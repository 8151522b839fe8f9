//! Webhook endpoints and the delivery outbox.
//!
//! A delivery row is written in the same transaction as the change that
//! caused it; the deliverer task (`server::delivery`) sends pending rows
//! after the commit. Billing events added later only need to call
//! [`enqueue`].

use chrono::Utc;
use rusqlite::{params, Connection, OptionalExtension};
use serde_json::{json, Value};

use super::page::{self, Filter, Order, Page, PageParams};
use super::parse_json_or;
use crate::server::error::ApiError;
use crate::server::ids;
use crate::server::input::Patch;

const COLS: &str = "seq, id, url, events, description, is_active, api_version, created_at, secret";

fn row_json(r: &rusqlite::Row<'_>) -> rusqlite::Result<Value> {
    Ok(json!({
        "id": r.get::<_, String>(1)?,
        "url": r.get::<_, String>(2)?,
        "events": parse_json_or(r.get(3)?, json!([])),
        "description": r.get::<_, Option<String>>(4)?,
        "isActive": r.get::<_, bool>(5)?,
        "apiVersion": r.get::<_, Option<String>>(6)?,
        "createdAt": r.get::<_, String>(7)?,
        "object": "webhook",
        "livemode": false,
    }))
}

pub fn get(conn: &Connection, org_id: &str, id: &str) -> Result<Option<Value>, ApiError> {
    let sql = format!("SELECT {COLS} FROM webhooks WHERE org_id = ?1 AND id = ?2");
    Ok(conn
        .query_row(&sql, params![org_id, id], row_json)
        .optional()?)
}

pub fn require(conn: &Connection, org_id: &str, id: &str) -> Result<Value, ApiError> {
    get(conn, org_id, id)?.ok_or_else(|| {
        ApiError::not_found("webhook_not_found", format!("No webhook with id `{id}`")).param("id")
    })
}

/// Creates an endpoint; the answer (`CreatedWebhook`) carries the secret.
pub fn insert(
    conn: &Connection,
    org_id: &str,
    url: &str,
    events: &[String],
    description: Option<String>,
    api_version: Option<String>,
) -> Result<Value, ApiError> {
    let id = ids::new_id("whe_");
    let secret = format!("whsec_{}", ids::random_alnum(32));
    conn.execute(
        "INSERT INTO webhooks (id, org_id, url, events, description, api_version, secret, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
        params![id, org_id, url, json!(events).to_string(), description, api_version, secret, ids::now()],
    )?;
    let mut v = require(conn, org_id, &id)?;
    v["secretKey"] = Value::String(secret);
    Ok(v)
}

#[derive(Debug, Clone)]
pub struct WebhookPatch {
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    pub description: Patch<String>,
    pub is_active: Option<bool>,
    pub api_version: Option<String>,
}

pub fn update(
    conn: &Connection,
    org_id: &str,
    id: &str,
    patch: WebhookPatch,
) -> Result<Value, ApiError> {
    let current = require(conn, org_id, id)?;
    let description = patch
        .description
        .apply(current["description"].as_str().map(str::to_owned));
    conn.execute(
        "UPDATE webhooks SET url = COALESCE(?1, url), events = COALESCE(?2, events), description = ?3,
           is_active = COALESCE(?4, is_active), api_version = COALESCE(?5, api_version), updated_at = ?6 WHERE id = ?7",
        params![
            patch.url,
            patch.events.map(|e| json!(e).to_string()),
            description,
            patch.is_active,
            patch.api_version,
            ids::now(),
            id
        ],
    )?;
    require(conn, org_id, id)
}

pub fn delete(conn: &Connection, org_id: &str, id: &str) -> Result<Value, ApiError> {
    require(conn, org_id, id)?;
    conn.execute("DELETE FROM webhooks WHERE id = ?1", [id])?;
    conn.execute(
        "UPDATE webhook_deliveries SET status = 'canceled', next_attempt_at = NULL WHERE webhook_id = ?1 AND status = 'pending'",
        [id],
    )?;
    Ok(json!({ "id": id, "deleted": true, "object": "webhook", "livemode": false }))
}

pub fn list(conn: &Connection, org_id: &str, page: PageParams) -> Result<Page<Value>, ApiError> {
    page::list(
        conn,
        "webhooks",
        COLS,
        Filter::org(org_id),
        page,
        Order::NewestFirst,
        row_json,
    )
}

// -- deliveries ---------------------------------------------------------------

/// Queues one event for one endpoint; returns `(delivery id, event id)`.
pub fn enqueue(
    conn: &Connection,
    org_id: &str,
    webhook_id: &str,
    event_type: &str,
    data: Value,
    api_version: &str,
) -> Result<(String, String), ApiError> {
    let delivery_id = ids::new_id("whd_");
    let event_id = ids::new_id("whev_");
    let now = ids::now();
    let envelope = json!({
        "id": event_id,
        "event": event_type,
        "timestamp": now,
        "organizationId": org_id,
        "mode": "sandbox",
        "apiVersion": api_version,
        "data": data,
    });
    conn.execute(
        "INSERT INTO webhook_deliveries (id, org_id, webhook_id, event_id, event_type, payload, status, next_attempt_at, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', ?7, ?7)",
        params![delivery_id, org_id, webhook_id, event_id, event_type, envelope.to_string(), now],
    )?;
    Ok((delivery_id, event_id))
}

/// A delivery ready to be sent.
#[derive(Debug, Clone)]
pub struct DueDelivery {
    pub id: String,
    pub url: String,
    pub secret: String,
    pub event_id: String,
    pub event_type: String,
    pub payload: String,
    pub attempts: i64,
}

pub fn due(conn: &Connection, limit: usize) -> Result<Vec<DueDelivery>, ApiError> {
    let mut stmt = conn.prepare(
        "SELECT d.id, w.url, w.secret, d.event_id, d.event_type, d.payload, d.attempts
         FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
         WHERE d.status = 'pending' AND d.next_attempt_at <= ?1 ORDER BY d.seq LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![ids::now(), limit as i64], |r| {
        Ok(DueDelivery {
            id: r.get(0)?,
            url: r.get(1)?,
            secret: r.get(2)?,
            event_id: r.get(3)?,
            event_type: r.get(4)?,
            payload: r.get(5)?,
            attempts: r.get(6)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Waits between attempts, after the first: 1 m, 5 m, 15 m, 30 m, 1 h, 2 h, 4 h.
const RETRY_MINUTES: &[i64] = &[1, 5, 15, 30, 60, 120, 240];

/// Records one attempt; failures are retried on the documented schedule.
pub fn record_attempt(
    conn: &Connection,
    id: &str,
    status: Option<u16>,
    error: Option<&str>,
) -> Result<(), ApiError> {
    let attempts: i64 = conn.query_row(
        "SELECT attempts FROM webhook_deliveries WHERE id = ?1",
        [id],
        |r| r.get(0),
    )?;
    let attempts = attempts + 1;
    let ok = status.is_some_and(|s| (200..300).contains(&s));
    let now = Utc::now();
    let (state, next) = if ok {
        ("delivered", None)
    } else if let Some(wait) = usize::try_from(attempts - 1)
        .ok()
        .and_then(|i| RETRY_MINUTES.get(i))
    {
        (
            "pending",
            Some(ids::iso(now + chrono::Duration::minutes(*wait))),
        )
    } else {
        ("failed", None)
    };
    conn.execute(
        "UPDATE webhook_deliveries SET attempts = ?1, status = ?2, next_attempt_at = ?3, response_status = ?4, last_error = ?5,
           delivered_at = CASE WHEN ?2 = 'delivered' THEN ?6 ELSE delivered_at END WHERE id = ?7",
        params![attempts, state, next, status, error, ids::iso(now), id],
    )?;
    Ok(())
}

/// A delivery's state, for tests and the status page.
pub fn delivery(conn: &Connection, id: &str) -> Result<Option<Value>, ApiError> {
    Ok(conn
        .query_row(
            "SELECT id, webhook_id, event_id, event_type, status, attempts, response_status, last_error, delivered_at, created_at
             FROM webhook_deliveries WHERE id = ?1",
            [id],
            |r| {
                Ok(json!({
                    "id": r.get::<_, String>(0)?,
                    "webhookId": r.get::<_, String>(1)?,
                    "eventId": r.get::<_, String>(2)?,
                    "event": r.get::<_, String>(3)?,
                    "status": r.get::<_, String>(4)?,
                    "attempts": r.get::<_, i64>(5)?,
                    "responseStatus": r.get::<_, Option<i64>>(6)?,
                    "lastError": r.get::<_, Option<String>>(7)?,
                    "deliveredAt": r.get::<_, Option<String>>(8)?,
                    "createdAt": r.get::<_, String>(9)?,
                }))
            },
        )
        .optional()?)
}
