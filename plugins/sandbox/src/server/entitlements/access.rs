//! `FeatureAccess`: what one feature gives a customer right now, and the
//! `canUse` answer (may one more unit be consumed?).
//!
//! `allowed` is always the decision for one more unit: boolean → enabled;
//! usage → the usage decision for a quantity of 1; seats and quota → whether
//! one more unit may be added. A subscription without access
//! (pending_payment, draft) and a disabled feature are never allowed.

use rusqlite::Connection;
use serde_json::{json, Value};

use super::decide::{self, Metered};
use super::units;
use super::{period_json, Ctx, Grant, Model};
use crate::server::error::ApiError;
use crate::server::store::features::Feature;
use crate::server::store::{pools, seats, usage};

/// The decision for one more unit: `(allowed, denial reason, will be
/// charged)`.
#[derive(Debug, Clone, PartialEq)]
pub struct OneMore {
    pub allowed: bool,
    pub reason: Option<ApiError>,
    /// Whether the unit would cost money beyond what is already paid
    /// (metered overage, balance spend, an extra seat or quota unit).
    pub will_be_charged: bool,
}

fn base(feature: &Feature, allowed: bool) -> Value {
    json!({
        "code": feature.code,
        "name": feature.name,
        "unitName": feature.unit_name,
        "allowed": allowed,
        "type": feature.kind,
    })
}

fn finish(mut v: Value) -> Value {
    v["baseAccess"] = Value::Null;
    v["object"] = json!("feature_access");
    v["livemode"] = json!(false);
    v
}

fn overage_json(ctx: &Ctx, g: &Grant, units: i64) -> Value {
    let enabled = g.overage_allowed(ctx) && !g.unlimited;
    let mut o = json!({ "enabled": enabled, "units": units });
    if enabled {
        o["unitPrice"] = g.unit_price_json(ctx);
    }
    o
}

/// Renders the access and the one-more-unit decision.
pub fn render(conn: &Connection, ctx: &Ctx, g: &Grant) -> Result<(Value, OneMore), ApiError> {
    let mut deny: Option<ApiError> = None;
    if !ctx.has_access() {
        deny = Some(ctx.inactive_error());
    } else if !g.enabled {
        deny = Some(super::disabled(&g.feature));
    }
    let mut charged = false;
    let mut v = base(&g.feature, false);
    match g.feature.kind.as_str() {
        "boolean" => {
            v["enabled"] = json!(g.enabled);
        }
        "usage" => {
            let (consumption, reason, c) = usage_consumption(conn, ctx, g)?;
            v["consumption"] = consumption;
            charged = c;
            if deny.is_none() {
                deny = reason;
            }
        }
        kind @ ("seats" | "quota") => {
            let current = units::current(conn, ctx, &g.feature.code)?;
            let mut u = json!({
                "period": period_json(ctx.billing_start, ctx.billing_end),
                "unitsUsed": current,
                "includedUnits": g.included,
            });
            if !g.unlimited {
                u["remainingUnits"] = json!((g.included - current).max(0));
            }
            u["unlimited"] = json!(g.unlimited);
            let over = if g.unlimited {
                0
            } else {
                (current - g.included).max(0)
            };
            u["overage"] = overage_json(ctx, g, over);
            if kind == "quota" {
                u["billedUnits"] = json!(units::billed_units(conn, ctx, g)?);
            }
            v["usage"] = u;
            charged = !g.unlimited && current + 1 > g.included;
            if deny.is_none() {
                if let Some(cap) = g.cap(ctx) {
                    if current + 1 > cap {
                        let code = if kind == "seats" {
                            "seat_limit_exceeded"
                        } else {
                            "included_limit_reached"
                        };
                        deny = Some(ApiError::billing(
                            code,
                            format!("`{}` is at its limit of {cap} on this plan", g.feature.code),
                        ));
                    }
                }
            }
        }
        _ => {}
    }
    let allowed = deny.is_none();
    v["allowed"] = json!(allowed);
    Ok((
        finish(v),
        OneMore {
            allowed,
            reason: deny,
            will_be_charged: allowed && charged,
        },
    ))
}

/// The `consumption` object of a usage feature, the denial for one more
/// unit, and whether that unit would be charged.
fn usage_consumption(
    conn: &Connection,
    ctx: &Ctx,
    g: &Grant,
) -> Result<(Value, Option<ApiError>, bool), ApiError> {
    let (start, end) = (ctx.sub.period_start, ctx.sub.period_end);
    let period = period_json(start, end);
    let used = usage::period_usage(conn, &ctx.org_id, &ctx.sub.id, &g.feature.code, start, end)?;
    match ctx.model() {
        Model::Metered => {
            let m: Metered = decide::metered(conn, ctx, g)?;
            let mut c = json!({
                "model": "metered",
                "period": period,
                "unitsUsed": m.current,
                "includedUnits": m.included,
            });
            if !m.unlimited {
                c["remainingUnits"] = json!(m.remaining());
            }
            c["unlimited"] = json!(m.unlimited);
            c["overage"] = overage_json(ctx, g, m.overage_units());
            let deny = (!m.allows(1)).then(|| decide::limit_reached(&g.feature, &m, 1, ctx));
            let charged = !m.unlimited && m.current + 1 > m.included;
            Ok((c, deny, charged))
        }
        Model::Credits => {
            let p = pools::load(conn, &ctx.org_id, &ctx.sub.id)?;
            let per_unit = decide::credits_cost(g, 1);
            let consumed = usage::period_deducted(
                conn,
                &ctx.org_id,
                &ctx.sub.id,
                &g.feature.code,
                start,
                end,
            )?;
            let cpu = if g.unlimited { 0.0 } else { g.credits_per_unit };
            let available = if cpu > 0.0 {
                (p.total_credits() as f64 / cpu).floor() as i64
            } else {
                p.total_credits()
            };
            let c = json!({
                "model": "credits",
                "period": period,
                "unitsUsed": used,
                "creditsPerUnit": crate::server::store::number(cpu),
                "creditsConsumed": consumed,
                "availableUnits": available.max(0),
            });
            let deny =
                (per_unit > p.total_credits()).then(|| pools::insufficient_credits(&p, per_unit));
            Ok((c, deny, false))
        }
        Model::Balance => {
            let p = pools::load(conn, &ctx.org_id, &ctx.sub.id)?;
            let spent = usage::period_deducted(
                conn,
                &ctx.org_id,
                &ctx.sub.id,
                &g.feature.code,
                start,
                end,
            )?;
            let mut c = json!({
                "model": "balance",
                "period": period,
                "unitsUsed": used,
                "spent": { "amount": pools::rate_to_cents(spent), "currency": ctx.sub.currency },
            });
            let per_unit = decide::balance_cost(g, 1);
            if !g.ai_model {
                let available = if per_unit > 0 {
                    (p.balance / per_unit).max(0)
                } else {
                    p.balance.max(0)
                };
                c["availableUnits"] = json!(available);
                c["unitPrice"] = g.unit_price_json(ctx);
            }
            let blocks = ctx.balance_blocks() && !g.unlimited;
            let refused = blocks
                && if g.ai_model {
                    p.balance <= 0
                } else {
                    per_unit > p.balance
                };
            let deny = refused.then(|| pools::insufficient_balance(&p, per_unit));
            Ok((c, deny, !g.unlimited && (g.ai_model || per_unit > 0)))
        }
    }
}

/// The `canUse` answer: the access object plus `willBeCharged` and, when
/// denied, `reason` (an error code) and `message`.
pub fn can_use(conn: &Connection, ctx: &Ctx, g: &Grant) -> Result<Value, ApiError> {
    let (mut v, one) = render(conn, ctx, g)?;
    v["willBeCharged"] = json!(one.will_be_charged);
    if let Some(e) = one.reason {
        v["reason"] = json!(e.code);
        v["message"] = json!(e.message);
    }
    Ok(v)
}

/// The `canUse` answer for a feature the subscription does not have.
pub fn cannot_use(ctx: &Ctx, feature: &Feature) -> Value {
    let e = super::not_in_plan(ctx, feature);
    let mut v = base(feature, false);
    v["willBeCharged"] = json!(false);
    v["reason"] = json!(e.code);
    v["message"] = json!(e.message);
    v["object"] = json!("feature_access");
    v["livemode"] = json!(false);
    v
}

/// Every feature of the subscription, as `FeatureAccess` objects.
pub fn list(conn: &Connection, ctx: &Ctx) -> Result<Vec<Value>, ApiError> {
    super::grants(conn, ctx)?
        .iter()
        .map(|g| render(conn, ctx, g).map(|(v, _)| v))
        .collect()
}

/// `WebhookSeatSummary` of every seats feature.
pub fn seat_summaries(conn: &Connection, ctx: &Ctx) -> Result<Vec<Value>, ApiError> {
    let mut out = Vec::new();
    for g in super::grants(conn, ctx)? {
        if g.feature.kind != "seats" {
            continue;
        }
        let (current, _) = seats::current(conn, &ctx.org_id, &ctx.customer.id, &g.feature.code)?;
        out.push(json!({
            "code": g.feature.code,
            "current": current,
            "included": if g.unlimited { Value::Null } else { json!(g.included) },
            "remaining": if g.unlimited { Value::Null } else { json!((g.included - current).max(0)) },
            "unlimited": g.unlimited,
        }));
    }
    Ok(out)
}
