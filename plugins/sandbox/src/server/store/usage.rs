//! Usage events (`evt_…`) and usage adjustments of usage features, the
//! once-per-period alert marks, and the schema of migration 3 (every table
//! of usage and entitlements: usage, pools, seats and quota).
//!
//! Usage is never stored as a running counter: the total of a period is the
//! sum of the events and adjustments whose time falls in it
//! ([`period_usage`]), so a period reset needs no write at all and a late
//! event counts towards the period its timestamp belongs to.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde_json::{json, Value};

use crate::server::error::ApiError;
use crate::server::ids;

/// Migration 3: usage and entitlements.
///
/// Money in `pools.balance*` and `usage_events.deducted` (balance plans) is
/// in the rate scale (10000 = 1.00 of the subscription's currency); credits
/// are whole credits.
pub const V3_USAGE: &str = r#"
CREATE TABLE usage_events (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    org_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    subscription_id TEXT NOT NULL,
    feature_code TEXT NOT NULL,
    value INTEGER NOT NULL,
    event_id TEXT,
    ts TEXT NOT NULL,
    properties TEXT NOT NULL DEFAULT '[]',
    model TEXT,
    input_tokens INTEGER,
    output_tokens INTEGER,
    cache_read_tokens INTEGER,
    cache_write_tokens INTEGER,
    consumption_model TEXT,
    deducted INTEGER NOT NULL DEFAULT 0,
    remaining INTEGER,
    blocked INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX usage_events_event_id ON usage_events (org_id, event_id) WHERE event_id IS NOT NULL;
CREATE INDEX usage_events_period ON usage_events (subscription_id, feature_code, ts);

CREATE TABLE usage_adjustments (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    org_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    subscription_id TEXT NOT NULL,
    feature_code TEXT NOT NULL,
    value INTEGER NOT NULL,
    previous_value INTEGER NOT NULL,
    adjustment INTEGER NOT NULL,
    reason TEXT,
    ts TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX usage_adjustments_period ON usage_adjustments (subscription_id, feature_code, ts);

CREATE TABLE usage_alerts (
    org_id TEXT NOT NULL,
    subscription_id TEXT NOT NULL,
    feature_code TEXT NOT NULL,
    kind TEXT NOT NULL,
    period_start TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (subscription_id, feature_code, kind, period_start)
);

CREATE TABLE pools (
    subscription_id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    currency TEXT NOT NULL DEFAULT 'usd',
    plan_credits INTEGER NOT NULL DEFAULT 0,
    purchased_credits INTEGER NOT NULL DEFAULT 0,
    period_credits INTEGER NOT NULL DEFAULT 0,
    credits_low_sent INTEGER NOT NULL DEFAULT 0,
    credits_depleted_sent INTEGER NOT NULL DEFAULT 0,
    balance INTEGER NOT NULL DEFAULT 0,
    included_balance INTEGER NOT NULL DEFAULT 0,
    last_refill INTEGER NOT NULL DEFAULT 0,
    balance_low_sent INTEGER NOT NULL DEFAULT 0,
    balance_depleted_sent INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE unit_balances (
    org_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    feature_code TEXT NOT NULL,
    kind TEXT NOT NULL,
    current INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (org_id, customer_id, feature_code)
);
CREATE TABLE unit_balance_events (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    org_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    subscription_id TEXT,
    feature_code TEXT NOT NULL,
    kind TEXT NOT NULL,
    previous_balance INTEGER NOT NULL,
    new_balance INTEGER NOT NULL,
    ts TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX unit_balance_events_customer ON unit_balance_events (org_id, customer_id, feature_code, ts);
CREATE INDEX unit_balance_events_subscription ON unit_balance_events (subscription_id);
"#;

/// Summed usage of one feature on one subscription over `[from, to)`:
/// tracked events plus `PUT /usage` adjustments.
pub fn period_usage(
    conn: &Connection,
    org_id: &str,
    subscription_id: &str,
    feature_code: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<i64, ApiError> {
    let (from, to) = (ids::iso(from), ids::iso(to));
    let events: i64 = conn
        .prepare_cached(
            "SELECT COALESCE(SUM(value), 0) FROM usage_events
             WHERE org_id = ?1 AND subscription_id = ?2 AND feature_code = ?3 AND ts >= ?4 AND ts < ?5",
        )?
        .query_row(
            params![org_id, subscription_id, feature_code, from, to],
            |r| r.get(0),
        )?;
    let adjustments: i64 = conn
        .prepare_cached(
            "SELECT COALESCE(SUM(adjustment), 0) FROM usage_adjustments
             WHERE org_id = ?1 AND subscription_id = ?2 AND feature_code = ?3 AND ts >= ?4 AND ts < ?5",
        )?
        .query_row(
            params![org_id, subscription_id, feature_code, from, to],
            |r| r.get(0),
        )?;
    Ok(events + adjustments)
}

/// What was consumed from a pool by one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consumption {
    /// `credits` or `balance`.
    pub model: String,
    /// Credits, or money in the rate scale.
    pub deducted: i64,
    /// What the pool holds afterwards (same unit).
    pub remaining: i64,
    /// Whether the next unit would be refused.
    pub blocked: bool,
}

/// AI token counts of an event.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TokenCounts {
    pub input: i64,
    pub output: i64,
    pub cache_read: i64,
    pub cache_write: i64,
}

/// A usage event to store.
#[derive(Debug, Clone)]
pub struct NewUsageEvent<'a> {
    pub org_id: &'a str,
    pub customer_id: &'a str,
    pub subscription_id: &'a str,
    pub feature_code: &'a str,
    pub value: i64,
    pub event_id: Option<&'a str>,
    pub ts: DateTime<Utc>,
    pub properties: &'a Value,
    pub model: Option<(&'a str, TokenCounts)>,
    pub consumption: Option<Consumption>,
    pub created_at: DateTime<Utc>,
}

const EVENT_COLS: &str =
    "id, feature_code, value, customer_id, event_id, ts, created_at, properties, \
    consumption_model, deducted, remaining, blocked, subscription_id";

fn event_json(r: &rusqlite::Row<'_>) -> rusqlite::Result<Value> {
    let mut v = json!({
        "id": r.get::<_, String>(0)?,
        "featureCode": r.get::<_, String>(1)?,
        "value": r.get::<_, i64>(2)?,
        "customerId": r.get::<_, String>(3)?,
        "eventId": r.get::<_, Option<String>>(4)?,
        "ts": r.get::<_, String>(5)?,
        "createdAt": r.get::<_, String>(6)?,
        "properties": super::parse_json_or(r.get(7)?, json!([])),
    });
    if let Some(model) = r.get::<_, Option<String>>(8)? {
        v["consumption"] = json!({
            "model": model,
            "deducted": r.get::<_, i64>(9)?,
            "remaining": r.get::<_, Option<i64>>(10)?.unwrap_or(0),
            "blocked": r.get::<_, bool>(11)?,
        });
    }
    v["object"] = json!("usage_event");
    v["livemode"] = json!(false);
    Ok(v)
}

/// Stores an event; returns its `UsageEvent` object.
pub fn insert_event(conn: &Connection, new: NewUsageEvent<'_>) -> Result<Value, ApiError> {
    let id = ids::new_id("evt_");
    let (model, tokens) = match new.model {
        Some((m, t)) => (Some(m), Some(t)),
        None => (None, None),
    };
    let c = new.consumption.as_ref();
    conn.execute(
        "INSERT INTO usage_events (id, org_id, customer_id, subscription_id, feature_code, value, event_id, ts, properties,
           model, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens,
           consumption_model, deducted, remaining, blocked, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)",
        params![
            id,
            new.org_id,
            new.customer_id,
            new.subscription_id,
            new.feature_code,
            new.value,
            new.event_id,
            ids::iso(new.ts),
            new.properties.to_string(),
            model,
            tokens.map(|t| t.input),
            tokens.map(|t| t.output),
            tokens.map(|t| t.cache_read),
            tokens.map(|t| t.cache_write),
            c.map(|c| c.model.as_str()),
            c.map_or(0, |c| c.deducted),
            c.map(|c| c.remaining),
            c.is_some_and(|c| c.blocked),
            ids::iso(new.created_at),
        ],
    )?;
    get_event(conn, new.org_id, &id)?
        .ok_or_else(|| ApiError::internal("usage event vanished after insert"))
}

pub fn get_event(conn: &Connection, org_id: &str, id: &str) -> Result<Option<Value>, ApiError> {
    let sql = format!("SELECT {EVENT_COLS} FROM usage_events WHERE org_id = ?1 AND id = ?2");
    Ok(conn
        .query_row(&sql, params![org_id, id], event_json)
        .optional()?)
}

/// An event already stored under a business `eventId`.
#[derive(Debug, Clone)]
pub struct KnownEvent {
    pub customer_id: String,
    pub feature_code: String,
    pub json: Value,
}

pub fn find_by_event_id(
    conn: &Connection,
    org_id: &str,
    event_id: &str,
) -> Result<Option<KnownEvent>, ApiError> {
    let sql = format!("SELECT {EVENT_COLS} FROM usage_events WHERE org_id = ?1 AND event_id = ?2");
    Ok(conn
        .query_row(&sql, params![org_id, event_id], |r| {
            Ok(KnownEvent {
                customer_id: r.get(3)?,
                feature_code: r.get(1)?,
                json: event_json(r)?,
            })
        })
        .optional()?)
}

/// Credits or money drawn by the events of one feature over `[from, to)`.
pub fn period_deducted(
    conn: &Connection,
    org_id: &str,
    subscription_id: &str,
    feature_code: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<i64, ApiError> {
    Ok(conn
        .prepare_cached(
            "SELECT COALESCE(SUM(deducted), 0) FROM usage_events
             WHERE org_id = ?1 AND subscription_id = ?2 AND feature_code = ?3 AND ts >= ?4 AND ts < ?5",
        )?
        .query_row(
            params![
                org_id,
                subscription_id,
                feature_code,
                ids::iso(from),
                ids::iso(to)
            ],
            |r| r.get(0),
        )?)
}

/// A `PUT /usage` correction to store.
#[derive(Debug, Clone)]
pub struct NewAdjustment<'a> {
    pub org_id: &'a str,
    pub customer_id: &'a str,
    pub subscription_id: &'a str,
    pub feature_code: &'a str,
    pub value: i64,
    pub previous_value: i64,
    pub reason: Option<&'a str>,
    pub ts: DateTime<Utc>,
}

/// Stores an adjustment; returns its `UsageAdjustment` object.
pub fn insert_adjustment(conn: &Connection, new: NewAdjustment<'_>) -> Result<Value, ApiError> {
    let id = ids::new_id("uadj_");
    let ts = ids::iso(new.ts);
    let adjustment = new.value - new.previous_value;
    conn.execute(
        "INSERT INTO usage_adjustments (id, org_id, customer_id, subscription_id, feature_code, value, previous_value,
           adjustment, reason, ts, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)",
        params![
            id,
            new.org_id,
            new.customer_id,
            new.subscription_id,
            new.feature_code,
            new.value,
            new.previous_value,
            adjustment,
            new.reason,
            ts
        ],
    )?;
    Ok(json!({
        "id": id,
        "value": new.value,
        "previousValue": new.previous_value,
        "adjustment": adjustment,
        "customerId": new.customer_id,
        "reason": new.reason,
        "ts": ts,
        "createdAt": ts,
        "featureCode": new.feature_code,
        "object": "usage_adjustment",
        "livemode": false,
    }))
}

/// Marks an alert (`threshold`, `exceeded`) as sent for a period; true the
/// first time only, so each alert fires once per period.
pub fn mark_alert(
    conn: &Connection,
    org_id: &str,
    subscription_id: &str,
    feature_code: &str,
    kind: &str,
    period_start: DateTime<Utc>,
) -> Result<bool, ApiError> {
    let changed = conn.execute(
        "INSERT OR IGNORE INTO usage_alerts (org_id, subscription_id, feature_code, kind, period_start, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            org_id,
            subscription_id,
            feature_code,
            kind,
            ids::iso(period_start),
            ids::now()
        ],
    )?;
    Ok(changed == 1)
}
