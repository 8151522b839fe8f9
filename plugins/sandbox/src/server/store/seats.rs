//! Seat and quota balances: durable per-customer unit counts of `seats` and
//! `quota` features (they never reset), with one event row per change.
//!
//! Both kinds share the tables; `kind` is `seats` or `quota`. The change
//! history gives the billing inputs: the count now and the period's
//! high-water mark ([`seat_billing`]).

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde_json::{json, Value};

use crate::server::clock;
use crate::server::error::ApiError;
use crate::server::ids;
use crate::server::store::subscriptions;

/// Billing inputs of one seats (or quota) feature over the subscription's
/// current billing period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeatUsage {
    pub feature_code: String,
    /// The count now.
    pub current: i64,
    /// The highest count held since the billing period started (the count
    /// at period start included).
    pub high_water: i64,
}

/// The stored count and the time of its last change.
pub fn current(
    conn: &Connection,
    org_id: &str,
    customer_id: &str,
    feature_code: &str,
) -> Result<(i64, Option<String>), ApiError> {
    Ok(conn
        .query_row(
            "SELECT current, updated_at FROM unit_balances WHERE org_id = ?1 AND customer_id = ?2 AND feature_code = ?3",
            params![org_id, customer_id, feature_code],
            |r| Ok((r.get(0)?, Some(r.get(1)?))),
        )
        .optional()?
        .unwrap_or((0, None)))
}

/// Every stored count of a customer of one kind: `(code, current, asOf)`.
pub fn all(
    conn: &Connection,
    org_id: &str,
    customer_id: &str,
    kind: &str,
) -> Result<Vec<(String, i64, String)>, ApiError> {
    let mut stmt = conn.prepare_cached(
        "SELECT feature_code, current, updated_at FROM unit_balances
         WHERE org_id = ?1 AND customer_id = ?2 AND kind = ?3 ORDER BY feature_code",
    )?;
    let rows = stmt.query_map(params![org_id, customer_id, kind], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// A change to record.
#[derive(Debug, Clone)]
pub struct Change<'a> {
    pub org_id: &'a str,
    pub customer_id: &'a str,
    pub subscription_id: Option<&'a str>,
    pub feature_code: &'a str,
    /// `seats` or `quota`.
    pub kind: &'a str,
    pub previous: i64,
    pub new: i64,
    pub at: DateTime<Utc>,
}

/// Stores the new count and its event; returns the `SeatEvent` /
/// `UsageQuotaEvent` object.
pub fn record(conn: &Connection, c: Change<'_>) -> Result<Value, ApiError> {
    let (prefix, object) = if c.kind == "quota" {
        ("qev_", "usage_quota_event")
    } else {
        ("sev_", "seat_event")
    };
    let id = ids::new_id(prefix);
    let ts = ids::iso(c.at);
    conn.execute(
        "INSERT INTO unit_balances (org_id, customer_id, feature_code, kind, current, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (org_id, customer_id, feature_code) DO UPDATE SET current = excluded.current, updated_at = excluded.updated_at",
        params![c.org_id, c.customer_id, c.feature_code, c.kind, c.new, ts],
    )?;
    conn.execute(
        "INSERT INTO unit_balance_events (id, org_id, customer_id, subscription_id, feature_code, kind, previous_balance,
           new_balance, ts, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)",
        params![
            id,
            c.org_id,
            c.customer_id,
            c.subscription_id,
            c.feature_code,
            c.kind,
            c.previous,
            c.new,
            ts
        ],
    )?;
    Ok(json!({
        "id": id,
        "customerId": c.customer_id,
        "featureCode": c.feature_code,
        "previousBalance": c.previous,
        "newBalance": c.new,
        "ts": ts,
        "createdAt": ts,
        "object": object,
        "livemode": false,
    }))
}

/// The highest count held during `[from, to]`: the count at `from` and
/// every count set until `to`.
pub fn high_water(
    conn: &Connection,
    org_id: &str,
    customer_id: &str,
    feature_code: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<i64, ApiError> {
    let (from, to) = (ids::iso(from), ids::iso(to));
    let at_start: i64 = conn
        .query_row(
            "SELECT new_balance FROM unit_balance_events WHERE org_id = ?1 AND customer_id = ?2 AND feature_code = ?3
               AND ts < ?4 ORDER BY ts DESC, seq DESC LIMIT 1",
            params![org_id, customer_id, feature_code, from],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or(0);
    let peak: Option<i64> = conn.query_row(
        "SELECT MAX(new_balance) FROM unit_balance_events WHERE org_id = ?1 AND customer_id = ?2 AND feature_code = ?3
           AND ts >= ?4 AND ts <= ?5",
        params![org_id, customer_id, feature_code, from, to],
        |r| r.get(0),
    )?;
    Ok(peak.map_or(at_start, |p| p.max(at_start)))
}

/// The rises of a count during `[from, to]`, in order: `(time, units added
/// above the previous peak)`. A renewal bills each rise from its day to the
/// period end (day-prorated true-up); removals never lower the charge and
/// refilling up to the peak is free.
pub fn rises(
    conn: &Connection,
    org_id: &str,
    customer_id: &str,
    feature_code: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<(DateTime<Utc>, i64)>, ApiError> {
    let mut peak = high_water(conn, org_id, customer_id, feature_code, from, from)?;
    let mut stmt = conn.prepare_cached(
        "SELECT ts, new_balance FROM unit_balance_events WHERE org_id = ?1 AND customer_id = ?2 AND feature_code = ?3
           AND ts >= ?4 AND ts <= ?5 ORDER BY ts, seq",
    )?;
    let rows = stmt.query_map(
        params![
            org_id,
            customer_id,
            feature_code,
            ids::iso(from),
            ids::iso(to)
        ],
        |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)),
    )?;
    let mut out = Vec::new();
    for row in rows {
        let (ts, count) = row?;
        if count > peak {
            if let Some(at) = ids::parse_instant(&ts) {
                out.push((at, count - peak));
            }
            peak = count;
        }
    }
    Ok(out)
}

/// Billing inputs of every seats and quota feature the subscription's
/// customer holds units of: the count now and the high-water mark since the
/// subscription's current billing period started. Call it at renewal
/// before moving the period forward. Quota features are included (look up
/// the feature's type to bill them as `feature_quota` lines).
pub fn seat_billing(
    conn: &Connection,
    org_id: &str,
    subscription_id: &str,
) -> Result<Vec<SeatUsage>, ApiError> {
    let Some(sub) = subscriptions::get(conn, org_id, subscription_id)? else {
        return Ok(Vec::new());
    };
    let now = clock::now(conn, org_id);
    let from = sub.period_start_at()?;
    let to = now.max(from);
    let mut out = Vec::new();
    for kind in ["seats", "quota"] {
        for (code, current, _) in all(conn, org_id, &sub.customer_id, kind)? {
            let high_water = high_water(conn, org_id, &sub.customer_id, &code, from, to)?;
            out.push(SeatUsage {
                feature_code: code,
                current,
                high_water: high_water.max(current),
            });
        }
    }
    Ok(out)
}

/// Sets starting seat counts for a subscription being created
/// (`initialSeats {code: n}`), without limit checks or webhooks. Unknown
/// feature codes and negative counts are skipped.
pub fn set_initial_seats(
    conn: &Connection,
    org_id: &str,
    subscription_id: &str,
    seats: &serde_json::Map<String, Value>,
) -> Result<(), ApiError> {
    let sub = subscriptions::require(conn, org_id, subscription_id)?;
    let at = clock::now(conn, org_id);
    for (code, count) in seats {
        let Some(count) = count.as_i64().filter(|c| *c >= 0) else {
            continue;
        };
        let kind: Option<String> = conn
            .query_row(
                "SELECT type FROM features WHERE org_id = ?1 AND code = ?2",
                params![org_id, code],
                |r| r.get(0),
            )
            .optional()?;
        if kind.as_deref() != Some("seats") {
            continue;
        }
        let (previous, _) = current(conn, org_id, &sub.customer_id, code)?;
        if previous == count {
            continue;
        }
        record(
            conn,
            Change {
                org_id,
                customer_id: &sub.customer_id,
                subscription_id: Some(&sub.id),
                feature_code: code,
                kind: "seats",
                previous,
                new: count,
                at,
            },
        )?;
    }
    Ok(())
}
