//! Webhook events: one call, [`emit`], inside the write transaction of the
//! change that caused the event.
//!
//! `emit` builds the envelope (`webhook-events.json`: `id` `whev_…`,
//! `event`, `timestamp` = the organization's simulated time, `organizationId`,
//! `mode`, `apiVersion`, `data`), stores it in `events`, and queues one
//! signed delivery (`store::webhooks`) for every active endpoint of the
//! organization whose `events` list names the type (an endpoint only ever
//! gets the types it lists, so high-volume `usage.recorded` goes only to
//! endpoints that subscribed to it by name).
//!
//! Publication to listen sessions and to the deliverer happens after the
//! commit: both read the `events` / `webhook_deliveries` tables through the
//! store's one connection, which the writing transaction holds until it
//! commits or rolls back, so nothing of a rolled-back request is ever sent.
//! [`emit`] only rings a bell ([`subscribe`]) so they look right away.

use std::sync::LazyLock;

use rusqlite::{params, Connection, OptionalExtension};
use serde_json::{json, Value};
use tokio::sync::watch;

use super::clock;
use super::error::ApiError;
use super::http::layers::CURRENT_VERSION;
use super::ids;
use super::store::events::{self as store, NewEvent};
use super::store::webhooks;

/// Rung after every emit; listeners re-read the database.
static BELL: LazyLock<watch::Sender<u64>> = LazyLock::new(|| watch::channel(0).0);

/// A receiver that changes whenever an event was emitted (possibly not yet
/// committed: read the database to see what is there).
pub fn subscribe() -> watch::Receiver<u64> {
    BELL.subscribe()
}

fn ring() {
    BELL.send_modify(|n| *n = n.wrapping_add(1));
}

/// Wakes open listen streams so they re-read their session (after a stop).
pub fn notify_listeners() {
    ring();
}

/// The organization's mode (`sandbox`) and pinned API version.
fn org_info(conn: &Connection, org_id: &str) -> Result<(String, String), ApiError> {
    let row: Option<(String, Option<String>)> = conn
        .query_row(
            "SELECT mode, api_version FROM organizations WHERE id = ?1",
            [org_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let (mode, version) = row.unwrap_or_else(|| ("sandbox".to_owned(), None));
    Ok((mode, version.unwrap_or_else(|| CURRENT_VERSION.to_owned())))
}

/// The envelope, serialized once; these exact bytes are signed and sent.
fn envelope(
    id: &str,
    event_type: &str,
    timestamp: &str,
    org_id: &str,
    mode: &str,
    api_version: &str,
    data: &Value,
) -> String {
    json!({
        "id": id,
        "event": event_type,
        "timestamp": timestamp,
        "organizationId": org_id,
        "mode": mode,
        "apiVersion": api_version,
        "data": data,
    })
    .to_string()
}

/// Which endpoints get the event.
enum Audience<'a> {
    /// Every active endpoint that lists the type.
    Subscribed,
    /// Exactly this endpoint (test events).
    Endpoint(&'a str),
}

/// Emits an event: stores it and queues a delivery for every active
/// endpoint subscribed to `event_type`. Returns the event id (`whev_…`).
/// Call it inside the write transaction of the change.
pub fn emit(
    conn: &Connection,
    org_id: &str,
    event_type: &str,
    data: Value,
) -> Result<String, ApiError> {
    let (id, _) = emit_inner(conn, org_id, event_type, &data, Audience::Subscribed)?;
    Ok(id)
}

/// Emits an event for one endpoint only, whatever it subscribed to (the
/// `webhook.test` event). Returns `(event id, delivery id)`.
pub fn emit_to_endpoint(
    conn: &Connection,
    org_id: &str,
    webhook_id: &str,
    event_type: &str,
    data: Value,
) -> Result<(String, String), ApiError> {
    let (id, deliveries) = emit_inner(
        conn,
        org_id,
        event_type,
        &data,
        Audience::Endpoint(webhook_id),
    )?;
    let delivery = deliveries.into_iter().next().ok_or_else(|| {
        ApiError::not_found(
            "webhook_not_found",
            format!("No webhook with id `{webhook_id}`"),
        )
        .param("id")
    })?;
    Ok((id, delivery))
}

/// `customer.created` / `customer.updated` data from a Customer object.
pub fn customer_data(customer: &Value) -> Value {
    let mut data = serde_json::Map::new();
    for key in [
        "id",
        "externalId",
        "fullName",
        "email",
        "taxDocument",
        "documentType",
        "timezone",
        "metadata",
        "createdAt",
        "updatedAt",
    ] {
        data.insert(
            key.to_owned(),
            customer.get(key).cloned().unwrap_or(Value::Null),
        );
    }
    Value::Object(data)
}

/// Event types that are never shown to listen sessions.
pub const PRIVATE_TYPES: &[&str] = &["webhook.test"];

fn emit_inner(
    conn: &Connection,
    org_id: &str,
    event_type: &str,
    data: &Value,
    audience: Audience<'_>,
) -> Result<(String, Vec<String>), ApiError> {
    let now = ids::iso(clock::now(conn, org_id));
    let id = ids::new_id("whev_");
    let (mode, org_version) = org_info(conn, org_id)?;
    let payload = envelope(&id, event_type, &now, org_id, &mode, &org_version, data);
    store::insert(
        conn,
        NewEvent {
            id: &id,
            org_id,
            event_type,
            api_version: &org_version,
            payload: &payload,
            created_at: &now,
        },
    )?;

    let mut stmt = conn.prepare_cached(
        "SELECT id, events, api_version FROM webhooks WHERE org_id = ?1 AND is_active = 1 ORDER BY seq",
    )?;
    let endpoints = stmt
        .query_map(params![org_id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let mut deliveries = Vec::new();
    for (webhook_id, events, pinned) in endpoints {
        let wanted = match audience {
            Audience::Endpoint(only) => only == webhook_id,
            Audience::Subscribed => serde_json::from_str::<Vec<String>>(&events)
                .unwrap_or_default()
                .iter()
                .any(|e| e == event_type),
        };
        if !wanted {
            continue;
        }
        let version = pinned.unwrap_or_else(|| org_version.clone());
        let body = if version == org_version {
            payload.clone()
        } else {
            envelope(&id, event_type, &now, org_id, &mode, &version, data)
        };
        deliveries.push(webhooks::enqueue_payload(
            conn,
            webhooks::NewDelivery {
                org_id,
                webhook_id: &webhook_id,
                event_id: &id,
                event_type,
                payload: &body,
                due_at: &now,
            },
        )?);
    }
    ring();
    Ok((id, deliveries))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_has_the_documented_fields_in_order() {
        let text = envelope(
            "whev_1",
            "customer.created",
            "2026-01-01T00:00:00.000Z",
            "org_1",
            "sandbox",
            "2026-07-31",
            &json!({"id": "cus_1"}),
        );
        assert_eq!(
            text,
            r#"{"id":"whev_1","event":"customer.created","timestamp":"2026-01-01T00:00:00.000Z","organizationId":"org_1","mode":"sandbox","apiVersion":"2026-07-31","data":{"id":"cus_1"}}"#
        );
    }
}
