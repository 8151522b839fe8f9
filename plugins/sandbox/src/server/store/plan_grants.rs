//! Plan grants: a temporary overlay of a higher plan on a subscription
//! (schema in migration 2). The rules are in `billing::grants`.
//!
//! For the entitlement code: [`active_for_subscription`] gives the plan a
//! subscription is granted on top of its own, if any.

use rusqlite::{params, Connection, OptionalExtension};
use serde_json::{json, Value};

use super::page::{self, Filter, Order, Page, PageParams};
use super::parse_json_or;
use crate::server::error::ApiError;

#[derive(Debug, Clone, PartialEq)]
pub struct PlanGrant {
    pub id: String,
    pub org_id: String,
    pub customer_id: String,
    pub subscription_id: String,
    pub base_plan_id: String,
    pub plan_id: String,
    /// active | expired | revoked
    pub status: String,
    /// cycles | until_date | until_revoked
    pub duration: String,
    pub duration_cycles: Option<i64>,
    pub starts_at: String,
    pub expires_at: Option<String>,
    pub reason: String,
    pub source: String,
    pub revoked_at: Option<String>,
    pub events: Value,
    pub created_at: String,
    pub updated_at: String,
}

const COLS: &str = "seq, id, org_id, customer_id, subscription_id, base_plan_id, plan_id, status, duration, duration_cycles, \
    starts_at, expires_at, reason, source, revoked_at, events, created_at, updated_at";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<PlanGrant> {
    Ok(PlanGrant {
        id: r.get(1)?,
        org_id: r.get(2)?,
        customer_id: r.get(3)?,
        subscription_id: r.get(4)?,
        base_plan_id: r.get(5)?,
        plan_id: r.get(6)?,
        status: r.get(7)?,
        duration: r.get(8)?,
        duration_cycles: r.get(9)?,
        starts_at: r.get(10)?,
        expires_at: r.get(11)?,
        reason: r.get(12)?,
        source: r.get(13)?,
        revoked_at: r.get(14)?,
        events: parse_json_or(r.get(15)?, json!([])),
        created_at: r.get(16)?,
        updated_at: r.get(17)?,
    })
}

/// The sandbox has no plan releases: a plan's "release" id is derived
/// from the plan id.
pub fn release_id(plan_id: &str) -> String {
    format!("plr_{}", plan_id.trim_start_matches("pln_"))
}

impl PlanGrant {
    /// The `PlanGrant` object.
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "customerId": self.customer_id,
            "subscriptionId": self.subscription_id,
            "basePlanId": self.base_plan_id,
            "planId": self.plan_id,
            "planReleaseId": release_id(&self.plan_id),
            "status": self.status,
            "duration": self.duration,
            "durationCycles": self.duration_cycles,
            "startsAt": self.starts_at,
            "expiresAt": self.expires_at,
            "reason": self.reason,
            "source": self.source,
            "revokedAt": self.revoked_at,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
            "events": self.events,
            "object": "plan_grant",
            "livemode": false,
        })
    }

    /// The data of `plan_grant.*` webhooks (always the public `cus_` id).
    pub fn event_json(&self) -> Value {
        json!({
            "id": self.id,
            "customerId": self.customer_id,
            "subscriptionId": self.subscription_id,
            "basePlanId": self.base_plan_id,
            "targetPlanId": self.plan_id,
            "targetPlanReleaseId": release_id(&self.plan_id),
            "status": self.status,
            "duration": self.duration,
            "durationCycles": self.duration_cycles,
            "startsAt": self.starts_at,
            "expiresAt": self.expires_at,
            "reason": self.reason,
            "source": self.source,
            "revokedAt": self.revoked_at,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
            "events": self.events,
        })
    }
}

pub fn get(conn: &Connection, org_id: &str, id: &str) -> Result<Option<PlanGrant>, ApiError> {
    let sql = format!("SELECT {COLS} FROM plan_grants WHERE org_id = ?1 AND id = ?2");
    Ok(conn
        .query_row(&sql, params![org_id, id], from_row)
        .optional()?)
}

/// A grant of this customer (`cus_` id), or `not_found`.
pub fn require(
    conn: &Connection,
    org_id: &str,
    customer_id: &str,
    id: &str,
) -> Result<PlanGrant, ApiError> {
    get(conn, org_id, id)?
        .filter(|g| g.customer_id == customer_id)
        .ok_or_else(|| {
            ApiError::not_found(
                "not_found",
                format!("No plan grant `{id}` for this customer"),
            )
            .param("grantId")
        })
}

/// The active grant of a subscription: `(grant id, granted plan id)`.
pub fn active_for_subscription(
    conn: &Connection,
    org_id: &str,
    subscription_id: &str,
) -> Result<Option<(String, String)>, ApiError> {
    Ok(conn
        .query_row(
            "SELECT id, plan_id FROM plan_grants WHERE org_id = ?1 AND subscription_id = ?2 AND status = 'active'
             ORDER BY seq DESC LIMIT 1",
            params![org_id, subscription_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?)
}

pub fn active_row(
    conn: &Connection,
    org_id: &str,
    subscription_id: &str,
) -> Result<Option<PlanGrant>, ApiError> {
    match active_for_subscription(conn, org_id, subscription_id)? {
        Some((id, _)) => get(conn, org_id, &id),
        None => Ok(None),
    }
}

/// Active grants of an organization with an expiry (the clock expires them).
pub fn expiring(conn: &Connection, org_id: &str) -> Result<Vec<PlanGrant>, ApiError> {
    let sql = format!(
        "SELECT {COLS} FROM plan_grants WHERE org_id = ?1 AND status = 'active' AND expires_at IS NOT NULL ORDER BY seq"
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map([org_id], from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn insert(conn: &Connection, g: &PlanGrant) -> Result<(), ApiError> {
    conn.execute(
        "INSERT INTO plan_grants (id, org_id, customer_id, subscription_id, base_plan_id, plan_id, status, duration, duration_cycles,
           starts_at, expires_at, reason, source, revoked_at, events, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
        params![
            g.id,
            g.org_id,
            g.customer_id,
            g.subscription_id,
            g.base_plan_id,
            g.plan_id,
            g.status,
            g.duration,
            g.duration_cycles,
            g.starts_at,
            g.expires_at,
            g.reason,
            g.source,
            g.revoked_at,
            g.events.to_string(),
            g.created_at,
            g.updated_at
        ],
    )?;
    Ok(())
}

pub fn save(conn: &Connection, g: &PlanGrant) -> Result<(), ApiError> {
    conn.execute(
        "UPDATE plan_grants SET status = ?1, duration = ?2, duration_cycles = ?3, expires_at = ?4, reason = ?5,
           revoked_at = ?6, events = ?7, updated_at = ?8 WHERE id = ?9",
        params![
            g.status,
            g.duration,
            g.duration_cycles,
            g.expires_at,
            g.reason,
            g.revoked_at,
            g.events.to_string(),
            g.updated_at,
            g.id
        ],
    )?;
    Ok(())
}

pub fn list(
    conn: &Connection,
    org_id: &str,
    customer_id: &str,
    page: PageParams,
) -> Result<Page<Value>, ApiError> {
    let f = Filter::org(org_id).and("customer_id = ?", [customer_id.to_owned().into()]);
    page::list(
        conn,
        "plan_grants",
        COLS,
        f,
        page,
        Order::NewestFirst,
        |r| from_row(r).map(|g| g.to_json()),
    )
}
