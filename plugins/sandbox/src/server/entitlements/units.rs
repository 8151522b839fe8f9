//! Seat and quota changes: the cap rule and the seat webhooks.
//!
//! Units above the included amount are allowed when overage is on (they
//! are billed at renewal); with overage off, on a free plan or during a
//! trial the included amount is a hard cap (`seat_limit_exceeded` for
//! seats, `included_limit_reached` for quota). Lowering a count is always
//! allowed, even when it stays above a cap. Seats fire `seats.updated`,
//! `seats.limit_reached` (when the count crosses from below the included
//! amount to at or above it) and `customer.state_changed` (trigger
//! `seats_updated`).

use serde_json::{json, Value};

use super::{state, Ctx, Grant};
use crate::server::error::ApiError;
use crate::server::events;
use crate::server::input::Input;
use crate::server::store::features::Feature;
use crate::server::store::seats::{self, Change};

/// `seats` or `quota`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Seats,
    Quota,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Seats => "seats",
            Kind::Quota => "quota",
        }
    }
}

impl Kind {
    /// `Ok` when `feature` is of this kind, else the `wrong_type` validation
    /// error (`hint` names where the other feature types go).
    pub fn require(self, feature: &Feature, hint: &str) -> Result<(), ApiError> {
        if feature.kind == self.as_str() {
            Ok(())
        } else {
            Err(super::wrong_type(feature, self.as_str(), hint))
        }
    }
}

/// A seats or quota write: add to, remove from or set the count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Add,
    Remove,
    Set,
}

impl Op {
    /// The body's `count`: required (at least 0) to set, optional (at least
    /// 1, default 1) to add or remove.
    pub fn count(self, i: &mut Input<'_>) -> i64 {
        match self {
            Op::Set => i.req_int_in("count", 0, i64::MAX),
            Op::Add | Op::Remove => i.opt_int_in("count", 1, i64::MAX).unwrap_or(1),
        }
    }

    /// The new count of `feature_code` from `current`. Removing more than
    /// `current` answers the billing error `code` with `message`, on `count`,
    /// with `{featureCode, current, requested}` as details.
    pub fn apply(
        self,
        feature_code: &str,
        current: i64,
        count: i64,
        code: &'static str,
        message: impl FnOnce() -> String,
    ) -> Result<i64, ApiError> {
        Ok(match self {
            Op::Add => current.saturating_add(count),
            Op::Set => count,
            Op::Remove => {
                if count > current {
                    return Err(ApiError::billing(code, message())
                        .param("count")
                        .details(json!({ "featureCode": feature_code, "current": current, "requested": count })));
                }
                current - count
            }
        })
    }
}

/// The current count of a feature for the context's customer.
pub fn current(conn: &rusqlite::Connection, ctx: &Ctx, code: &str) -> Result<i64, ApiError> {
    Ok(seats::current(conn, &ctx.org_id, &ctx.customer.id, code)?.0)
}

fn cap_error(kind: Kind, grant: &Grant, ctx: &Ctx, previous: i64, new: i64) -> ApiError {
    let why = if ctx.sub.is_free {
        "free plans cannot go above the included amount"
    } else if ctx.sub.status == "trialing" && grant.overage_enabled {
        "extra units are not available during a trial"
    } else {
        "overage is not enabled for this feature"
    };
    let details = json!({
        "featureCode": grant.feature.code,
        "current": previous,
        "requested": new,
        "included": grant.included,
    });
    match kind {
        Kind::Seats => ApiError::billing(
            "seat_limit_exceeded",
            format!(
                "`{}` allows at most {} seats on this plan ({why}); the customer has {previous}",
                grant.feature.code, grant.included
            ),
        ),
        Kind::Quota => ApiError::billing(
            "included_limit_reached",
            format!(
                "`{}` allows at most {} units on this plan ({why}); the customer holds {previous}",
                grant.feature.code, grant.included
            ),
        ),
    }
    .param("count")
    .details(details)
}

/// Moves a count to `new` (≥ 0, checked by the caller) after the cap rule;
/// returns the event object.
pub fn set(
    conn: &rusqlite::Connection,
    ctx: &Ctx,
    grant: &Grant,
    kind: Kind,
    new: i64,
) -> Result<Value, ApiError> {
    let code = &grant.feature.code;
    let previous = current(conn, ctx, code)?;
    if new > previous {
        if let Some(cap) = grant.cap(ctx) {
            if new > cap {
                return Err(cap_error(kind, grant, ctx, previous, new));
            }
        }
    }
    let event = seats::record(
        conn,
        Change {
            org_id: &ctx.org_id,
            customer_id: &ctx.customer.id,
            subscription_id: Some(&ctx.sub.id),
            feature_code: code,
            kind: kind.as_str(),
            previous,
            new,
            at: ctx.now,
        },
    )?;
    if kind == Kind::Seats && new != previous {
        let customer = super::webhook_customer_id(conn, &ctx.org_id, &ctx.customer.id)?;
        events::emit(
            conn,
            &ctx.org_id,
            "seats.updated",
            json!({
                "customerId": customer,
                "subscriptionId": ctx.sub.id,
                "featureCode": code,
                "previousSeats": previous,
                "currentSeats": new,
            }),
        )?;
        if !grant.unlimited
            && grant.included > 0
            && previous < grant.included
            && new >= grant.included
        {
            events::emit(
                conn,
                &ctx.org_id,
                "seats.limit_reached",
                json!({
                    "customerId": customer,
                    "subscriptionId": ctx.sub.id,
                    "featureCode": code,
                    "currentSeats": new,
                    "includedSeats": grant.included,
                }),
            )?;
        }
        state::emit_state_changed(conn, &ctx.org_id, &ctx.customer.id, "seats_updated")?;
    }
    Ok(event)
}

/// Units of a quota feature billed this period: the high-water mark above
/// the included amount (0 when unlimited).
pub fn billed_units(
    conn: &rusqlite::Connection,
    ctx: &Ctx,
    grant: &Grant,
) -> Result<i64, ApiError> {
    if grant.unlimited {
        return Ok(0);
    }
    let peak = seats::high_water(
        conn,
        &ctx.org_id,
        &ctx.customer.id,
        &grant.feature.code,
        ctx.billing_start,
        ctx.now.max(ctx.billing_start),
    )?;
    Ok((peak - grant.included).max(0))
}

/// `UsageQuota`.
pub fn quota_json(
    conn: &rusqlite::Connection,
    ctx: &Ctx,
    grant: &Grant,
) -> Result<Value, ApiError> {
    let (current, as_of) =
        seats::current(conn, &ctx.org_id, &ctx.customer.id, &grant.feature.code)?;
    Ok(json!({
        "featureCode": grant.feature.code,
        "current": current,
        "included": grant.included,
        "remaining": if grant.unlimited { Value::Null } else { json!((grant.included - current).max(0)) },
        "billedQuantity": billed_units(conn, ctx, grant)?,
        "unlimited": grant.unlimited,
        "overageEnabled": grant.overage_allowed(ctx),
        "asOf": as_of,
        "object": "usage_quota",
        "livemode": false,
    }))
}
