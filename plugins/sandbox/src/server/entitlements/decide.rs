//! Usage decisions (billing-model.md §4 "Decision rules"): whether a
//! quantity of a usage feature may be consumed, what it costs, and the
//! once-per-period usage alerts.
//!
//! | model | allowed when | otherwise |
//! |---|---|---|
//! | metered | unlimited, or used + qty ≤ included, or overage is on and the plan is paid and not trialing | `included_limit_reached` |
//! | credits | total credits ≥ ⌈qty × creditsPerUnit⌉ (plan credits drawn first) | `insufficient_credits` |
//! | balance | not blocking, or cost ≤ balance (blocking: `blockOnExhaustion`, free plan or trial) | `insufficient_balance` |

use chrono::{DateTime, Utc};
use rusqlite::Connection;
use serde_json::{json, Value};

use super::{state, Ctx, Grant, Model};
use crate::server::error::ApiError;
use crate::server::events;
use crate::server::ids;
use crate::server::store::features::Feature;
use crate::server::store::pools::{self, Pool};
use crate::server::store::usage::{self, Consumption};

/// A metered feature's state in the current usage period.
#[derive(Debug, Clone, PartialEq)]
pub struct Metered {
    pub current: i64,
    pub included: i64,
    pub unlimited: bool,
    pub overage_allowed: bool,
    pub unit_price: i64,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

impl Metered {
    pub fn allows(&self, qty: i64) -> bool {
        self.unlimited || self.current + qty <= self.included || self.overage_allowed
    }

    pub fn remaining(&self) -> i64 {
        (self.included - self.current).max(0)
    }

    pub fn overage_units(&self) -> i64 {
        if self.unlimited {
            0
        } else {
            (self.current - self.included).max(0)
        }
    }
}

pub fn metered(conn: &Connection, ctx: &Ctx, grant: &Grant) -> Result<Metered, ApiError> {
    let (start, end) = (ctx.sub.period_start, ctx.sub.period_end);
    Ok(Metered {
        current: usage::period_usage(
            conn,
            &ctx.org_id,
            &ctx.sub.id,
            &grant.feature.code,
            start,
            end,
        )?,
        included: grant.included,
        unlimited: grant.unlimited,
        overage_allowed: grant.overage_allowed(ctx),
        unit_price: grant.unit_price,
        start,
        end,
    })
}

/// Credits one use of `qty` units costs (⌈qty × creditsPerUnit⌉; free when
/// the feature is unlimited).
pub fn credits_cost(grant: &Grant, qty: i64) -> i64 {
    if grant.unlimited {
        return 0;
    }
    let cost = (qty as f64 * grant.credits_per_unit).ceil();
    if cost.is_finite() && cost > 0.0 {
        cost.min(i64::MAX as f64) as i64
    } else {
        0
    }
}

/// Money (rate scale) `qty` units of a fixed-price feature cost.
pub fn balance_cost(grant: &Grant, qty: i64) -> i64 {
    if grant.unlimited {
        0
    } else {
        qty.saturating_mul(grant.unit_price)
    }
}

/// The `included_limit_reached` error.
pub fn limit_reached(feature: &Feature, m: &Metered, qty: i64, ctx: &Ctx) -> ApiError {
    let why = if ctx.sub.is_free {
        "free plans stop at the included amount"
    } else if ctx.sub.status == "trialing" {
        "overage is not available during a trial"
    } else {
        "overage is not enabled for this feature"
    };
    ApiError::billing(
        "included_limit_reached",
        format!(
            "Feature `{}` has used {} of {} included units this period and {why}",
            feature.code, m.current, m.included
        ),
    )
    .param("featureCode")
    .details(json!({
        "featureCode": feature.code,
        "current": m.current,
        "included": m.included,
        "remaining": m.remaining(),
        "requested": qty,
        "periodStart": ids::iso(m.start),
        "periodEnd": ids::iso(m.end),
    }))
}

/// The stored pool or an empty one (reads only).
fn pool(conn: &Connection, ctx: &Ctx) -> Result<Pool, ApiError> {
    pools::load(conn, &ctx.org_id, &ctx.sub.id)
}

/// A grant standing in for a feature the subscription does not have, so
/// a denied check still reports its numbers.
fn placeholder(feature: &Feature) -> Grant {
    Grant {
        feature: feature.clone(),
        on_plan: false,
        addon_id: None,
        enabled: false,
        included: 0,
        unlimited: false,
        overage_enabled: false,
        unit_price: 0,
        credits_per_unit: 1.0,
        ai_model: false,
        margin: 0.0,
    }
}

/// `POST /usage/check`: a `UsageCheck` for `qty` more units. Missing
/// access, a feature off the plan or disabled answer `allowed: false` with
/// the reason rather than an error.
pub fn check(conn: &Connection, ctx: &Ctx, feature: &Feature, qty: i64) -> Result<Value, ApiError> {
    let found = super::find_grant(conn, ctx, feature)?;
    let mut deny: Option<ApiError> = None;
    if !ctx.has_access() {
        deny = Some(ctx.inactive_error());
    }
    let grant = match found {
        None => {
            deny.get_or_insert_with(|| super::not_in_plan(ctx, feature));
            placeholder(feature)
        }
        Some(g) => {
            if !g.enabled {
                deny.get_or_insert_with(|| super::disabled(feature));
            }
            g
        }
    };
    let model = ctx.model();
    let mut v = json!({
        "allowed": false,
        "subscriptionStatus": ctx.sub.status,
        "featureCode": feature.code,
        "quantity": qty,
        "consumptionModel": model.as_str(),
    });
    match model {
        Model::Metered => {
            let m = metered(conn, ctx, &grant)?;
            if deny.is_none() && !m.allows(qty) {
                deny = Some(limit_reached(feature, &m, qty, ctx));
            }
            v["current"] = json!(m.current);
            v["remaining"] = json!(m.remaining());
            v["unlimited"] = json!(m.unlimited);
            v["included"] = json!(m.included);
            v["overageEnabled"] = json!(m.overage_allowed);
            v["overageUnitPrice"] = if m.overage_allowed {
                json!(m.unit_price)
            } else {
                Value::Null
            };
        }
        Model::Credits => {
            let p = pool(conn, ctx)?;
            let cost = credits_cost(&grant, qty);
            if deny.is_none() && cost > p.total_credits() {
                deny = Some(pools::insufficient_credits(&p, cost));
            }
            v["creditsPerUnit"] = crate::server::store::number(if grant.unlimited {
                0.0
            } else {
                grant.credits_per_unit
            });
            v["estimatedCredits"] = json!(cost);
            v["planCredits"] = json!(p.plan_credits);
            v["purchasedCredits"] = json!(p.purchased_credits);
            v["totalCredits"] = json!(p.total_credits());
        }
        Model::Balance => {
            let p = pool(conn, ctx)?;
            let blocks = ctx.balance_blocks();
            // Token-priced features cannot be estimated without tokens: the
            // check then asks whether any money is left.
            let cost = if grant.ai_model {
                0
            } else {
                balance_cost(&grant, qty)
            };
            let refused = if grant.ai_model {
                blocks && p.balance <= 0 && !grant.unlimited
            } else {
                blocks && cost > p.balance
            };
            if deny.is_none() && refused {
                deny = Some(pools::insufficient_balance(&p, cost));
            }
            v["unitPrice"] = json!(if grant.ai_model { 0 } else { grant.unit_price });
            v["estimatedAmount"] = json!(cost);
            v["currentBalance"] = json!(p.balance);
            v["blockOnExhaustion"] = json!(blocks);
            v["currency"] = json!(ctx.sub.currency);
        }
    }
    match deny {
        None => v["allowed"] = json!(true),
        Some(e) => {
            v["reason"] = json!(e.code);
            v["message"] = json!(e.message);
        }
    }
    v["object"] = json!("usage_check");
    v["livemode"] = json!(false);
    Ok(v)
}

/// What tracking `value` units does to the pools, checked first: metered
/// usage past a hard cap fails with `included_limit_reached`, credits with
/// `insufficient_credits`, blocking balances with `insufficient_balance`.
/// `token_cost` is the rate-scale cost of an AI call (balance plans).
/// Returns the consumption to record on the event (credits and balance).
pub fn apply(
    conn: &Connection,
    ctx: &Ctx,
    grant: &Grant,
    value: i64,
    token_cost: Option<i64>,
) -> Result<Option<Consumption>, ApiError> {
    match ctx.model() {
        Model::Metered => {
            let m = metered(conn, ctx, grant)?;
            if !m.allows(value) {
                return Err(limit_reached(&grant.feature, &m, value, ctx));
            }
            Ok(None)
        }
        Model::Credits => {
            let cost = credits_cost(grant, value);
            let p = pools::consume_credits(conn, &ctx.org_id, &ctx.sub.id, cost)?;
            let next = credits_cost(grant, 1);
            Ok(Some(Consumption {
                model: "credits".into(),
                deducted: cost,
                remaining: p.total_credits(),
                blocked: next > p.total_credits(),
            }))
        }
        Model::Balance => {
            let cost = match token_cost {
                Some(c) if !grant.unlimited => c,
                Some(_) => 0,
                None => balance_cost(grant, value),
            };
            let blocks = ctx.balance_blocks();
            let p = pools::consume_balance(conn, &ctx.org_id, &ctx.sub.id, cost, blocks)?;
            let blocked = blocks
                && !grant.unlimited
                && if grant.ai_model {
                    p.balance <= 0
                } else {
                    balance_cost(grant, 1) > p.balance
                };
            Ok(Some(Consumption {
                model: "balance".into(),
                deducted: cost,
                remaining: p.balance,
                blocked,
            }))
        }
    }
}

/// The metered alerts after usage went from `before` to `after` in the
/// current period: `quota.threshold_reached` at 80 % of the included amount
/// and `quota.exceeded` past it (at it when hard-capped, since nothing
/// above is accepted; then also `customer.state_changed` with trigger
/// `quota_exceeded`). Each fires once per period.
pub fn metered_alerts(
    conn: &Connection,
    ctx: &Ctx,
    grant: &Grant,
    after: i64,
) -> Result<(), ApiError> {
    if ctx.model() != Model::Metered || grant.unlimited || grant.included <= 0 {
        return Ok(());
    }
    let code = &grant.feature.code;
    let start = ctx.sub.period_start;
    let customer = super::webhook_customer_id(conn, &ctx.org_id, &ctx.customer.id)?;
    if after * 5 >= grant.included * 4
        && usage::mark_alert(conn, &ctx.org_id, &ctx.sub.id, code, "threshold", start)?
    {
        events::emit(
            conn,
            &ctx.org_id,
            "quota.threshold_reached",
            json!({
                "subscriptionId": ctx.sub.id,
                "customerId": customer,
                "featureCode": code,
                "currentUsage": after,
                "includedAmount": grant.included,
                "periodStart": ids::iso(start),
            }),
        )?;
    }
    let overage = grant.overage_allowed(ctx);
    let exceeded = if overage {
        after > grant.included
    } else {
        after >= grant.included
    };
    if exceeded && usage::mark_alert(conn, &ctx.org_id, &ctx.sub.id, code, "exceeded", start)? {
        events::emit(
            conn,
            &ctx.org_id,
            "quota.exceeded",
            json!({
                "subscriptionId": ctx.sub.id,
                "customerId": customer,
                "featureCode": code,
                "currentUsage": after,
                "includedAmount": grant.included,
                "overageEnabled": overage,
                "periodStart": ids::iso(start),
            }),
        )?;
        if !overage {
            state::emit_state_changed(conn, &ctx.org_id, &ctx.customer.id, "quota_exceeded")?;
        }
    }
    Ok(())
}
