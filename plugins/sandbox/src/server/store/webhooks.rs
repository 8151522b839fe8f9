//! Webhook endpoints and the delivery outbox.
//!
//! A delivery row is written in the same transaction as the change that
//! caused it; the deliverer task (`server::delivery`) sends pending rows
//! after the commit. Billing events added later only need to call
//! [`enqueue`].

use rusqlite::{params, Connection, OptionalExtension};
use serde_json::{json, Value};

use super::page::{self, Filter, Order, Page, PageParams};
use super::parse_json_or;
use crate::server::clock;
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
    let description = patch.description.apply_json(&current["description"]);
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
    if patch.is_active == Some(true) {
        // Re-enabling clears the failure streak that disabled it.
        conn.execute(
            "UPDATE webhooks SET consecutive_failures = 0, disabled_reason = NULL WHERE id = ?1",
            [id],
        )?;
    }
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
//
// A delivery is one event for one endpoint. Its times (`next_attempt_at`,
// attempt times) are on the organization's simulated clock
// (`server::clock`): a retry due at simulated time T is sent once the org's
// clock passes T, so advancing the test clock fires due retries at once.
// Retries are laid out from the previous due time, not from when the
// attempt actually ran, so a jump of days replays the whole ladder.

/// A delivery to queue (see [`enqueue_payload`]).
#[derive(Debug, Clone, Copy)]
pub struct NewDelivery<'a> {
    pub org_id: &'a str,
    pub webhook_id: &'a str,
    pub event_id: &'a str,
    pub event_type: &'a str,
    /// The envelope, exactly the bytes to sign and send.
    pub payload: &'a str,
    /// Simulated time of the first attempt (the event's time).
    pub due_at: &'a str,
}

/// Queues one delivery; returns its id (`whd_…`). Called by
/// `server::events::emit`, which decides who gets what.
pub fn enqueue_payload(conn: &Connection, d: NewDelivery<'_>) -> Result<String, ApiError> {
    let id = ids::new_id("whd_");
    conn.execute(
        "INSERT INTO webhook_deliveries (id, org_id, webhook_id, event_id, event_type, payload, status, next_attempt_at, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', ?7, ?7)",
        params![id, d.org_id, d.webhook_id, d.event_id, d.event_type, d.payload, d.due_at],
    )?;
    Ok(id)
}

/// Queues one event for one endpoint (whatever it subscribed to); returns
/// `(delivery id, event id)`. New code should call `server::events::emit`,
/// which fans out to every subscribed endpoint; this stays for the test
/// event. The endpoint's pinned version (or the org's) shapes the payload.
pub fn enqueue(
    conn: &Connection,
    org_id: &str,
    webhook_id: &str,
    event_type: &str,
    data: Value,
    _api_version: &str,
) -> Result<(String, String), ApiError> {
    let (event_id, delivery_id) =
        crate::server::events::emit_to_endpoint(conn, org_id, webhook_id, event_type, data)?;
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

/// Pending deliveries whose due time has passed on their organization's
/// clock, oldest first, to active endpoints only.
pub fn due(conn: &Connection, limit: usize) -> Result<Vec<DueDelivery>, ApiError> {
    let orgs: Vec<String> = {
        let mut stmt = conn.prepare_cached(
            "SELECT DISTINCT org_id FROM webhook_deliveries WHERE status = 'pending'",
        )?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        rows.collect::<Result<_, _>>()?
    };
    let mut out = Vec::new();
    for org in orgs {
        if out.len() >= limit {
            break;
        }
        let now = ids::iso(clock::now(conn, &org));
        let mut stmt = conn.prepare_cached(
            "SELECT d.id, w.url, w.secret, d.event_id, d.event_type, d.payload, d.attempts
             FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
             WHERE d.org_id = ?1 AND d.status = 'pending' AND d.next_attempt_at <= ?2 AND w.is_active = 1
             ORDER BY d.seq LIMIT ?3",
        )?;
        let rows = stmt.query_map(params![org, now, (limit - out.len()) as i64], |r| {
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
        for row in rows {
            out.push(row?);
        }
    }
    Ok(out)
}

/// Waits between attempts, after the first: 1 m, 5 m, 15 m, 30 m, 1 h, 2 h,
/// 4 h (8 attempts over about 8 h), on the organization's clock.
pub const RETRY_MINUTES: &[i64] = &[1, 5, 15, 30, 60, 120, 240];

/// An endpoint is disabled after this many events in a row ran out of retries.
pub const DISABLE_AFTER_FAILED_EVENTS: i64 = 3;

/// What one attempt gave.
#[derive(Debug, Clone)]
pub struct AttemptResult {
    pub status: Option<u16>,
    pub error: Option<String>,
    pub duration_ms: i64,
}

/// Records one attempt: delivered on a 2xx; otherwise the next retry of the
/// schedule, or `failed` when none is left (which counts towards disabling
/// the endpoint; a success resets that count).
pub fn record_attempt(conn: &Connection, id: &str, result: &AttemptResult) -> Result<(), ApiError> {
    let row: Option<(String, String, i64, Option<String>, String)> = conn
        .query_row(
            "SELECT org_id, webhook_id, attempts, next_attempt_at, status FROM webhook_deliveries WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .optional()?;
    let Some((org_id, webhook_id, attempts, due_at, status_before)) = row else {
        return Ok(());
    };
    if status_before == "canceled" {
        return Ok(());
    }
    let attempts = attempts + 1;
    let now = clock::now(conn, &org_id);
    let ok = result.status.is_some_and(|s| (200..300).contains(&s));
    // The ladder continues from when this attempt was due (or now, if
    // that is unknown or a resend put it in the past).
    let base = due_at
        .as_deref()
        .and_then(ids::parse_instant)
        .unwrap_or(now);
    let automatic = usize::try_from(attempts - 1)
        .ok()
        .and_then(|i| RETRY_MINUTES.get(i));
    let (state, next) = if ok {
        ("delivered", None)
    } else if let Some(wait) = automatic {
        (
            "pending",
            Some(ids::iso(base + chrono::Duration::minutes(*wait))),
        )
    } else {
        ("failed", None)
    };
    conn.execute(
        "INSERT INTO webhook_delivery_attempts (id, org_id, delivery_id, attempt, response_status, error, duration_ms, attempted_at, real_attempted_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            ids::new_id("wha_"),
            org_id,
            id,
            attempts,
            result.status,
            result.error,
            result.duration_ms,
            ids::iso(now),
            ids::now()
        ],
    )?;
    conn.execute(
        "UPDATE webhook_deliveries SET attempts = ?1, status = ?2, next_attempt_at = ?3, response_status = ?4, last_error = ?5,
           delivered_at = CASE WHEN ?2 = 'delivered' THEN ?6 ELSE delivered_at END WHERE id = ?7",
        params![attempts, state, next, result.status, result.error, ids::iso(now), id],
    )?;
    match state {
        "delivered" => {
            conn.execute(
                "UPDATE webhooks SET consecutive_failures = 0 WHERE id = ?1",
                [&webhook_id],
            )?;
        }
        "failed" => {
            conn.execute(
                "UPDATE webhooks SET consecutive_failures = consecutive_failures + 1 WHERE id = ?1",
                [&webhook_id],
            )?;
            let failures: i64 = conn
                .query_row(
                    "SELECT consecutive_failures FROM webhooks WHERE id = ?1",
                    [&webhook_id],
                    |r| r.get(0),
                )
                .optional()?
                .unwrap_or(0);
            if failures >= DISABLE_AFTER_FAILED_EVENTS {
                conn.execute(
                    "UPDATE webhooks SET is_active = 0, disabled_reason = ?1, updated_at = ?2 WHERE id = ?3 AND is_active = 1",
                    params![
                        format!("{failures} events in a row could not be delivered"),
                        ids::now(),
                        webhook_id
                    ],
                )?;
                conn.execute(
                    "UPDATE webhook_deliveries SET status = 'canceled', next_attempt_at = NULL
                     WHERE webhook_id = ?1 AND status = 'pending'",
                    [&webhook_id],
                )?;
            }
        }
        _ => {}
    }
    Ok(())
}

const DELIVERY_COLS: &str = "seq, id, webhook_id, event_id, event_type, status, attempts, response_status, last_error, delivered_at, created_at, next_attempt_at";

fn delivery_json(r: &rusqlite::Row<'_>) -> rusqlite::Result<Value> {
    Ok(json!({
        "id": r.get::<_, String>(1)?,
        "webhookId": r.get::<_, String>(2)?,
        "eventId": r.get::<_, String>(3)?,
        "event": r.get::<_, String>(4)?,
        "status": r.get::<_, String>(5)?,
        "attempts": r.get::<_, i64>(6)?,
        "responseStatus": r.get::<_, Option<i64>>(7)?,
        "lastError": r.get::<_, Option<String>>(8)?,
        "deliveredAt": r.get::<_, Option<String>>(9)?,
        "createdAt": r.get::<_, String>(10)?,
        "nextAttemptAt": r.get::<_, Option<String>>(11)?,
        "object": "webhook_delivery",
        "livemode": false,
    }))
}

fn attempt_history(conn: &Connection, delivery_id: &str) -> Result<Vec<Value>, ApiError> {
    let mut stmt = conn.prepare_cached(
        "SELECT attempt, response_status, error, duration_ms, attempted_at FROM webhook_delivery_attempts
         WHERE delivery_id = ?1 ORDER BY seq",
    )?;
    let rows = stmt.query_map([delivery_id], |r| {
        Ok(json!({
            "attempt": r.get::<_, i64>(0)?,
            "responseStatus": r.get::<_, Option<i64>>(1)?,
            "error": r.get::<_, Option<String>>(2)?,
            "durationMs": r.get::<_, i64>(3)?,
            "attemptedAt": r.get::<_, String>(4)?,
        }))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// A delivery's state with its attempts (any organization; for tests and
/// the library API).
pub fn delivery(conn: &Connection, id: &str) -> Result<Option<Value>, ApiError> {
    let sql = format!("SELECT {DELIVERY_COLS} FROM webhook_deliveries WHERE id = ?1");
    let Some(mut v) = conn.query_row(&sql, [id], delivery_json).optional()? else {
        return Ok(None);
    };
    v["attemptHistory"] = Value::Array(attempt_history(conn, id)?);
    Ok(Some(v))
}

/// One delivery of an endpoint of the organization, with its attempts.
pub fn require_delivery(
    conn: &Connection,
    org_id: &str,
    webhook_id: &str,
    id: &str,
) -> Result<Value, ApiError> {
    require(conn, org_id, webhook_id)?;
    let sql = format!(
        "SELECT {DELIVERY_COLS} FROM webhook_deliveries WHERE org_id = ?1 AND webhook_id = ?2 AND id = ?3"
    );
    let mut v = conn
        .query_row(&sql, params![org_id, webhook_id, id], delivery_json)
        .optional()?
        .ok_or_else(|| {
            ApiError::not_found(
                "not_found",
                format!("No delivery with id `{id}` for this webhook"),
            )
            .param("deliveryId")
        })?;
    v["attemptHistory"] = Value::Array(attempt_history(conn, id)?);
    Ok(v)
}

/// Deliveries of one endpoint, newest first, optionally of one status.
pub fn list_deliveries(
    conn: &Connection,
    org_id: &str,
    webhook_id: &str,
    status: Option<String>,
    page: PageParams,
) -> Result<Page<Value>, ApiError> {
    require(conn, org_id, webhook_id)?;
    let filter = Filter::org(org_id)
        .and("webhook_id = ?", [webhook_id.to_owned().into()])
        .and_opt("status = ?", status);
    page::list(
        conn,
        "webhook_deliveries",
        DELIVERY_COLS,
        filter,
        page,
        Order::NewestFirst,
        delivery_json,
    )
}

/// Deliveries of one event (any endpoint), oldest first.
pub fn deliveries_of_event(
    conn: &Connection,
    org_id: &str,
    event_id: &str,
) -> Result<Vec<Value>, ApiError> {
    let sql = format!(
        "SELECT {DELIVERY_COLS} FROM webhook_deliveries WHERE org_id = ?1 AND event_id = ?2 ORDER BY seq"
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map(params![org_id, event_id], delivery_json)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Sends a delivery again now (any status): it becomes pending, due at the
/// organization's current time, for one more attempt. If that attempt fails
/// and the automatic schedule is used up, it ends `failed` again.
pub fn resend(
    conn: &Connection,
    org_id: &str,
    webhook_id: &str,
    id: &str,
) -> Result<Value, ApiError> {
    let hook = require(conn, org_id, webhook_id)?;
    require_delivery(conn, org_id, webhook_id, id)?;
    if hook["isActive"] != Value::Bool(true) {
        return Err(ApiError::invalid(
            "id",
            "this webhook endpoint is disabled; enable it (isActive: true) before resending",
        ));
    }
    let now = ids::iso(clock::now(conn, org_id));
    conn.execute(
        "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = ?1 WHERE id = ?2",
        params![now, id],
    )?;
    require_delivery(conn, org_id, webhook_id, id)
}
