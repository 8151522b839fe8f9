//! Plan grants (`/customers/{id}/plan-grants`): a temporary overlay of a
//! higher plan of the same group on an active, recurring, metered
//! subscription with hard caps only. A grant never bills or re-anchors.

use chrono::{DateTime, Utc};
use rusqlite::Connection;
use serde_json::{json, Value};

use super::{emit, now, plan};
use crate::server::error::ApiError;
use crate::server::ids;
use crate::server::store::plan_grants::{self, PlanGrant};
use crate::server::store::subscriptions::{self as subs, Sub};
use crate::server::store::{customers, plans};

pub const DURATIONS: &[&str] = &["cycles", "until_date", "until_revoked"];

/// How long a grant lasts.
#[derive(Debug, Clone)]
pub struct Duration {
    pub kind: String,
    pub cycles: Option<i64>,
    pub until: Option<String>,
}

fn expiry(sub: &Sub, d: &Duration, at: DateTime<Utc>) -> Result<Option<String>, ApiError> {
    match d.kind.as_str() {
        "cycles" => {
            let n = d.cycles.unwrap_or(1).max(1);
            let day = sub.billing_day.map_or(1, |x| x.clamp(1, 31) as u32);
            let mut end = sub.period_end_at()?;
            for _ in 1..n {
                end = super::period_end(end, &sub.billing_interval, day);
            }
            Ok(Some(ids::iso(end)))
        }
        "until_date" => {
            let until = d
                .until
                .as_deref()
                .and_then(ids::parse_instant)
                .ok_or_else(|| {
                    ApiError::invalid("expiresAt", "is required for duration until_date")
                })?;
            if until <= at {
                return Err(ApiError::invalid("expiresAt", "must be in the future"));
            }
            Ok(Some(ids::iso(until)))
        }
        _ => Ok(None),
    }
}

fn timeline_event(
    kind: &str,
    reason: &str,
    source: &str,
    previous: Option<&str>,
    g: &PlanGrant,
    requested: Option<&str>,
    at: &str,
) -> Value {
    json!({
        "id": ids::new_id("gre_"),
        "type": kind,
        "reason": reason,
        "source": source,
        "previousExpiresAt": previous,
        "expiresAt": g.expires_at,
        "duration": g.duration,
        "durationCycles": g.duration_cycles,
        "requestedExpiresAt": requested,
        "createdAt": at,
    })
}

fn push_event(g: &mut PlanGrant, e: Value) {
    if let Some(list) = g.events.as_array_mut() {
        list.push(e);
    } else {
        g.events = json!([e]);
    }
}

fn invalid(field: &str, message: &str) -> ApiError {
    ApiError::invalid(field, message)
}

/// Checks the subscription can hold a grant of `target`.
fn check(conn: &Connection, sub: &Sub, target: &plans::Plan) -> Result<(), ApiError> {
    if sub.status != "active" {
        return Err(ApiError::conflict(
            "subscription_not_active",
            format!(
                "Subscription {} is {}; plan grants need an active subscription",
                sub.id, sub.status
            ),
        ));
    }
    if sub.billing_interval == "one_time" {
        return Err(invalid(
            "subscriptionId",
            "plan grants need a recurring subscription",
        ));
    }
    let base = plan(conn, &sub.plan_id)?;
    if !matches!(base.consumption_model.as_deref(), None | Some("metered")) {
        return Err(invalid(
            "subscriptionId",
            "plan grants are for metered plans (credits and balance plans are refused)",
        ));
    }
    for (pf, f) in plans::plan_feature_rows(conn, &sub.plan_id)? {
        if pf.overage_enabled || pf.pricing_mode == "ai_model" {
            return Err(invalid(
                "subscriptionId",
                &format!(
                    "the current plan bills overage on `{}`; plan grants need hard caps only",
                    f.code
                ),
            ));
        }
    }
    if !subs::active_addons(conn, &sub.id)?.is_empty() {
        return Err(invalid(
            "subscriptionId",
            "deactivate the subscription's add-ons before granting a plan",
        ));
    }
    let same_group = base.plan_group_id.is_some() && base.plan_group_id == target.plan_group_id;
    if !same_group {
        return Err(ApiError::validation_code(
            "plans_not_in_same_group",
            format!(
                "Plan `{}` is not in the group of `{}`",
                target.code, base.code
            ),
        )
        .param("planId"));
    }
    if target.sort_order <= base.sort_order {
        return Err(invalid(
            "planId",
            "a grant must be a higher plan (sortOrder) of the same group",
        ));
    }
    Ok(())
}

pub fn create(
    conn: &Connection,
    org_id: &str,
    customer_ref: &str,
    subscription_id: &str,
    plan_ref: &str,
    reason: &str,
    d: Duration,
) -> Result<Value, ApiError> {
    let customer = customers::require(conn, org_id, customer_ref, "id")?;
    let sub = subs::get(conn, org_id, subscription_id)?
        .filter(|s| s.customer_id == customer.id)
        .ok_or_else(|| {
            ApiError::not_found(
                "subscription_not_found",
                format!("No subscription `{subscription_id}` for this customer"),
            )
            .param("subscriptionId")
        })?;
    let target = plans::require(conn, org_id, plan_ref, "planId")?;
    check(conn, &sub, &target)?;
    if plan_grants::active_for_subscription(conn, org_id, &sub.id)?.is_some() {
        return Err(ApiError::conflict(
            "duplicate",
            format!(
                "Subscription {} already has an active plan grant; update or revoke it",
                sub.id
            ),
        ));
    }
    let at = now(conn, org_id);
    let stamp = ids::iso(at);
    let mut g = PlanGrant {
        id: ids::new_id("pgr_"),
        org_id: org_id.to_owned(),
        customer_id: customer.id.clone(),
        subscription_id: sub.id.clone(),
        base_plan_id: sub.plan_id.clone(),
        plan_id: target.id.clone(),
        status: "active".into(),
        duration: d.kind.clone(),
        duration_cycles: d.cycles.filter(|_| d.kind == "cycles"),
        starts_at: stamp.clone(),
        expires_at: expiry(&sub, &d, at)?,
        reason: reason.to_owned(),
        source: "api".into(),
        revoked_at: None,
        events: json!([]),
        created_at: stamp.clone(),
        updated_at: stamp.clone(),
    };
    let e = timeline_event(
        "created",
        reason,
        "api",
        None,
        &g,
        d.until.as_deref(),
        &stamp,
    );
    push_event(&mut g, e);
    plan_grants::insert(conn, &g)?;
    emit(conn, org_id, "plan_grant.created", g.event_json())?;
    super::view::state_changed(conn, org_id, &customer.id, "plan_access_granted")?;
    Ok(g.to_json())
}

pub fn update(
    conn: &Connection,
    org_id: &str,
    customer_ref: &str,
    grant_id: &str,
    reason: &str,
    d: Duration,
) -> Result<Value, ApiError> {
    let customer = customers::require(conn, org_id, customer_ref, "id")?;
    let mut g = plan_grants::require(conn, org_id, &customer.id, grant_id)?;
    if g.status != "active" {
        return Err(ApiError::conflict(
            "duplicate",
            format!(
                "Plan grant {} is {}; only active grants change",
                g.id, g.status
            ),
        ));
    }
    let sub = subs::require(conn, org_id, &g.subscription_id)?;
    let at = now(conn, org_id);
    let stamp = ids::iso(at);
    let previous = g.expires_at.clone();
    g.duration = d.kind.clone();
    g.duration_cycles = d.cycles.filter(|_| d.kind == "cycles");
    g.expires_at = expiry(&sub, &d, at)?;
    g.reason = reason.to_owned();
    g.updated_at = stamp.clone();
    let e = timeline_event(
        "updated",
        reason,
        "api",
        previous.as_deref(),
        &g,
        d.until.as_deref(),
        &stamp,
    );
    push_event(&mut g, e);
    plan_grants::save(conn, &g)?;
    emit(conn, org_id, "plan_grant.updated", g.event_json())?;
    Ok(g.to_json())
}

pub fn revoke(
    conn: &Connection,
    org_id: &str,
    customer_ref: &str,
    grant_id: &str,
    reason: &str,
) -> Result<Value, ApiError> {
    let customer = customers::require(conn, org_id, customer_ref, "id")?;
    let mut g = plan_grants::require(conn, org_id, &customer.id, grant_id)?;
    if g.status != "active" {
        return Err(ApiError::conflict(
            "duplicate",
            format!("Plan grant {} is already {}", g.id, g.status),
        ));
    }
    let stamp = ids::iso(now(conn, org_id));
    end(conn, &mut g, "revoked", reason, "api", &stamp)?;
    Ok(g.to_json())
}

fn end(
    conn: &Connection,
    g: &mut PlanGrant,
    status: &str,
    reason: &str,
    source: &str,
    stamp: &str,
) -> Result<(), ApiError> {
    let previous = g.expires_at.clone();
    g.status = status.to_owned();
    if status == "revoked" {
        g.revoked_at = Some(stamp.to_owned());
    }
    g.updated_at = stamp.to_owned();
    let e = timeline_event(status, reason, source, previous.as_deref(), g, None, stamp);
    push_event(g, e);
    plan_grants::save(conn, g)?;
    emit(
        conn,
        &g.org_id,
        &format!("plan_grant.{status}"),
        g.event_json(),
    )?;
    super::view::state_changed(conn, &g.org_id, &g.customer_id, "plan_access_ended")
}

/// Expires a grant whose time came (test-clock run).
pub fn expire(conn: &Connection, g: &mut PlanGrant, at: DateTime<Utc>) -> Result<(), ApiError> {
    end(
        conn,
        g,
        "expired",
        "The grant reached its end",
        "system",
        &ids::iso(at),
    )
}

pub fn list(
    conn: &Connection,
    org_id: &str,
    customer_ref: &str,
    page: crate::server::store::page::PageParams,
) -> Result<Value, ApiError> {
    let customer = customers::require(conn, org_id, customer_ref, "id")?;
    Ok(plan_grants::list(conn, org_id, &customer.id, page)?.to_json())
}

/// `Subscription.planGrant`, when one is active.
pub fn summary(conn: &Connection, sub: &Sub) -> Result<Option<Value>, ApiError> {
    let Some(g) = plan_grants::active_row(conn, &sub.org_id, &sub.id)? else {
        return Ok(None);
    };
    let p = plan(conn, &g.plan_id)?;
    Ok(Some(
        json!({ "id": g.id, "plan": { "id": p.id, "name": p.name }, "expiresAt": g.expires_at }),
    ))
}
