//! Plan changes: timing (checkout, immediate with proration, scheduled at
//! period end), previews, and applying a scheduled change at renewal.

use chrono::{DateTime, Utc};
use rusqlite::Connection;
use serde_json::{json, Value};

use super::cards::TestCard;
use super::collect::{self, Charged, Draft, Presence};
use super::cycle;
use super::lifecycle::{
    self, base_lines, charge_sub_invoice, grant_period, net_base, payment_method_of, start_period,
};
use super::offers;
use super::view;
use super::{emit, interval_rank, now, plan, webhook_customer, PlanInfo, PriceInfo};
use crate::server::error::ApiError;
use crate::server::ids;
use crate::server::store::invoices::Line;
use crate::server::store::subscriptions::{self as subs, CheckoutSession, Sub};
use crate::server::store::{plans, seats};

/// When a change takes effect.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Timing {
    /// Free → paid: through a hosted checkout.
    Checkout,
    Immediate,
    /// At period end: `plan_downgrade` or `interval_change`.
    Scheduled(&'static str),
}

/// A resolved change request.
struct Request {
    sub: Sub,
    current: PlanInfo,
    target: PlanInfo,
    price: Option<PriceInfo>,
    interval: String,
    timing: Timing,
}

fn timing(sub: &Sub, current: &PlanInfo, target: &PlanInfo, interval: &str) -> Timing {
    if current.is_free && !target.is_free {
        return Timing::Checkout;
    }
    if !current.is_free && target.is_free {
        return Timing::Scheduled("plan_downgrade");
    }
    if sub.status == "trialing" {
        return Timing::Immediate;
    }
    if interval != sub.billing_interval && sub.billing_interval != "one_time" {
        return if interval_rank(interval) > interval_rank(&sub.billing_interval) {
            Timing::Immediate
        } else {
            Timing::Scheduled("interval_change")
        };
    }
    if target.sort_order >= current.sort_order {
        Timing::Immediate
    } else {
        Timing::Scheduled("plan_downgrade")
    }
}

fn resolve(
    conn: &Connection,
    org_id: &str,
    id: &str,
    new_plan: Option<&str>,
    new_interval: Option<&str>,
    plan_param: &str,
) -> Result<Request, ApiError> {
    let sub = subs::require(conn, org_id, id)?;
    if !matches!(sub.status.as_str(), "active" | "trialing") {
        return Err(ApiError::conflict(
            "subscription_not_active",
            format!(
                "Subscription {} is {}; plan changes need an active or trialing subscription",
                sub.id, sub.status
            ),
        )
        .details(json!({ "subscriptionId": sub.id, "status": sub.status })));
    }
    let current = plan(conn, &sub.plan_id)?;
    let target = match new_plan {
        Some(r) => plan(conn, &plans::require(conn, org_id, r, plan_param)?.id)?,
        None => current.clone(),
    };
    if target.id != current.id {
        let same_group =
            current.plan_group_id.is_some() && current.plan_group_id == target.plan_group_id;
        if !same_group {
            return Err(ApiError::validation_code(
                "plans_not_in_same_group",
                format!(
                    "Plans `{}` and `{}` are not in the same plan group; self-service changes stay within one group",
                    current.code, target.code
                ),
            )
            .param(plan_param));
        }
    }
    if sub.billing_interval == "one_time" && new_interval.is_some_and(|i| i != "one_time") {
        return Err(ApiError::invalid(
            "newBillingInterval",
            "one-time subscriptions cannot switch billing interval",
        ));
    }
    let interval = new_interval
        .map(str::to_owned)
        .unwrap_or_else(|| sub.billing_interval.clone());
    if target.id == current.id && interval == sub.billing_interval {
        return Err(ApiError::validation_code(
            "no_change_requested",
            format!(
                "Subscription {} is already on `{}` billed {}",
                sub.id, current.code, interval
            ),
        ));
    }
    if current.is_free && target.is_free && interval != sub.billing_interval {
        return Err(ApiError::validation_code(
            "free_plan_change_not_supported",
            "Free plans have no billing interval to switch",
        ));
    }
    let price = match super::default_price(conn, &target.id, &interval)? {
        Some(p) => Some(p),
        None if target.is_free => None,
        None => {
            return Err(ApiError::not_found(
                "price_not_found",
                format!("Plan `{}` has no {interval} price", target.code),
            )
            .param("newBillingInterval"))
        }
    };
    let timing = timing(&sub, &current, &target, &interval);
    Ok(Request {
        sub,
        current,
        target,
        price,
        interval,
        timing,
    })
}

/// Seats above the target's included amount on a capped seat feature:
/// `(feature code, feature name, current, included)`.
fn seat_overflow(
    conn: &Connection,
    sub: &Sub,
    target: &PlanInfo,
) -> Result<Option<(String, String, i64, i64)>, ApiError> {
    for (pf, f) in plans::plan_feature_rows(conn, &target.id)? {
        if f.kind != "seats" || pf.unlimited || pf.overage_enabled {
            continue;
        }
        let (current, _) = seats::current(conn, &sub.org_id, &sub.customer_id, &f.code)?;
        if current > pf.included_amount {
            return Ok(Some((f.code, f.name, current, pf.included_amount)));
        }
    }
    Ok(None)
}

/// What an immediate change costs.
struct Quote {
    credit: i64,
    /// The credit used on the invoice (at most the charge).
    credit_used: i64,
    charge: i64,
    lines: Vec<Line>,
    remaining: i64,
    total_days: i64,
    offer: Option<Value>,
}

fn quote(
    conn: &Connection,
    req: &Request,
    offer_id: Option<&str>,
    at: DateTime<Utc>,
) -> Result<Quote, ApiError> {
    let sub = &req.sub;
    let (remaining, total) =
        super::remaining_days(at, sub.period_start_at()?, sub.period_end_at()?);
    let credit = if sub.status == "trialing" || req.current.is_free {
        0
    } else {
        super::prorate(sub.paid_base, remaining, total)
    };
    let Some(pr) = &req.price else {
        return Ok(Quote {
            credit: 0,
            credit_used: 0,
            charge: 0,
            lines: Vec::new(),
            remaining,
            total_days: total,
            offer: None,
        });
    };
    let offer = match offer_id {
        Some(id) => {
            let o = crate::server::store::offers::require(conn, &sub.org_id, id, "offerId")?;
            offers::check_usable(&o, &sub.currency, at)?;
            Some(offers::application(
                &o,
                "direct",
                &pr.id,
                pr.price,
                &sub.currency,
                None,
                at,
            ))
        }
        None => None,
    };
    let mut priced = sub.clone();
    priced.offer = offer.clone();
    let mut lines = base_lines(&priced, &req.target, pr, 0, &req.interval);
    // Metered overage accrued so far on the old plan.
    if sub.status != "trialing" {
        lines.extend(cycle::arrears_lines(conn, sub, sub.usage_start_at()?, at)?);
    }
    // Extra seats and quota on the new plan, for the whole new period.
    lines.extend(cycle::advance_unit_lines(
        conn,
        sub,
        &req.target.id,
        &req.interval,
    )?);
    let charge: i64 = lines.iter().map(|l| l.amount).sum();
    let credit_used = credit.min(charge.max(0));
    if credit_used > 0 {
        let mut l = Line::new(
            "credit",
            format!(
                "Unused time on {} ({remaining} of {total} days)",
                req.current.name
            ),
            1,
            -credit_used,
            -credit_used,
            "standard",
        );
        l.feature_name = None;
        lines.push(l);
    }
    Ok(Quote {
        credit,
        credit_used,
        charge,
        lines,
        remaining,
        total_days: total,
        offer,
    })
}

fn plan_ref(p: &PlanInfo) -> Value {
    json!({ "id": p.id, "name": p.name })
}

/// `POST /subscriptions/{id}/change-plan`.
#[allow(clippy::too_many_arguments)]
pub fn change_plan(
    conn: &Connection,
    org_id: &str,
    id: &str,
    new_plan: Option<String>,
    new_interval: Option<String>,
    success_url: Option<String>,
    offer_id: Option<String>,
    base: &str,
) -> Result<Value, ApiError> {
    let req = resolve(
        conn,
        org_id,
        id,
        new_plan.as_deref(),
        new_interval.as_deref(),
        "newPlanId",
    )?;
    let at = now(conn, org_id);
    let who = webhook_customer(conn, org_id, &req.sub.customer_id)?;
    match req.timing.clone() {
        Timing::Checkout => {
            let pr = req
                .price
                .clone()
                .ok_or_else(|| ApiError::internal("a paid target without a price"))?;
            let token = subs::insert_checkout(
                conn,
                org_id,
                "plan_change",
                Some(&req.sub.id),
                None,
                None,
                Some(
                    json!({ "planId": req.target.id, "priceId": pr.id, "interval": req.interval, "offerId": offer_id }),
                ),
                success_url.as_deref(),
            )?;
            Ok(json!({
                "outcome": "requires_checkout",
                "requiresCheckout": true,
                "checkoutUrl": format!("{base}/checkout/{token}"),
                "object": "plan_change",
                "livemode": false,
            }))
        }
        Timing::Scheduled(kind) => {
            if offer_id.is_some() {
                return Err(ApiError::validation_code(
                    "offer_not_applicable",
                    "Scheduled plan changes cannot take an offer",
                )
                .param("offerId"));
            }
            schedule(conn, req, kind, at, &who)
        }
        Timing::Immediate => immediate(conn, req, offer_id.as_deref(), at, &who),
    }
}

fn schedule(
    conn: &Connection,
    req: Request,
    kind: &'static str,
    at: DateTime<Utc>,
    who: &str,
) -> Result<Value, ApiError> {
    let mut sub = req.sub;
    let org_id = sub.org_id.clone();
    let scheduled_for = sub.period_end.clone();
    let change = json!({
        "id": ids::new_id("pch_"),
        "changeType": kind,
        "newPlanId": req.target.id,
        "newPlanName": req.target.name,
        "newPriceId": req.price.as_ref().map(|p| p.id.clone()),
        "newBillingInterval": req.interval,
        "scheduledFor": scheduled_for,
    });
    let warning = seat_overflow(conn, &sub, &req.target)?.map(|(code, name, current, included)| {
        json!({
            "featureCode": code, "featureName": name, "currentSeats": current, "included": included,
            "newPlanName": req.target.name, "effectiveDate": scheduled_for,
        })
    });
    let identical = sub.scheduled_change.as_ref().is_some_and(|c| {
        c["newPlanId"] == change["newPlanId"]
            && c["newBillingInterval"] == change["newBillingInterval"]
    });
    if !identical {
        if let Some(old) = &sub.scheduled_change {
            let revoked = plan(conn, old["newPlanId"].as_str().unwrap_or_default())?;
            emit(
                conn,
                &org_id,
                "subscription.plan_change_revoked",
                json!({
                    "subscriptionId": sub.id, "customerId": who, "status": sub.status,
                    "currentPlan": plan_ref(&req.current), "revokedPlan": plan_ref(&revoked),
                    "billingInterval": sub.billing_interval, "revokedBillingInterval": old["newBillingInterval"],
                }),
            )?;
        }
        sub.scheduled_change = Some(change);
        sub.updated_at = ids::iso(at);
        subs::save(conn, &sub)?;
        emit(
            conn,
            &org_id,
            "subscription.plan_change_scheduled",
            json!({
                "subscriptionId": sub.id, "customerId": who, "status": sub.status,
                "currentPlan": plan_ref(&req.current), "scheduledPlan": plan_ref(&req.target),
                "billingInterval": sub.billing_interval, "scheduledBillingInterval": req.interval,
                "effectiveAt": scheduled_for,
            }),
        )?;
    }
    let c = sub.scheduled_change.clone().unwrap_or(Value::Null);
    let mut out = json!({
        "outcome": "scheduled",
        "id": c["id"],
        "scheduled": true,
        "scheduledFor": c["scheduledFor"],
        "changeType": format!("subscription.{}", c["changeType"].as_str().unwrap_or(kind)),
        "customerId": sub.customer_id,
        "newPlanId": c["newPlanId"],
        "newPlanName": c["newPlanName"],
        "newBillingInterval": c["newBillingInterval"],
        "object": "plan_change",
        "livemode": false,
    });
    if let Some(w) = warning {
        out["seatLimitWarning"] = w;
    }
    Ok(out)
}

/// Revokes a pending scheduled change (an immediate change replaces it).
fn revoke_scheduled(
    conn: &Connection,
    sub: &mut Sub,
    current: &PlanInfo,
    who: &str,
) -> Result<(), ApiError> {
    if let Some(old) = sub.scheduled_change.take() {
        let revoked = plan(conn, old["newPlanId"].as_str().unwrap_or_default())?;
        emit(
            conn,
            &sub.org_id,
            "subscription.plan_change_revoked",
            json!({
                "subscriptionId": sub.id, "customerId": who, "status": sub.status,
                "currentPlan": plan_ref(current), "revokedPlan": plan_ref(&revoked),
                "billingInterval": sub.billing_interval, "revokedBillingInterval": old["newBillingInterval"],
            }),
        )?;
    }
    Ok(())
}

fn immediate(
    conn: &Connection,
    req: Request,
    offer_id: Option<&str>,
    at: DateTime<Utc>,
    who: &str,
) -> Result<Value, ApiError> {
    if let Some((code, name, current, included)) = seat_overflow(conn, &req.sub, &req.target)? {
        return Err(ApiError::billing(
            "seat_limit_exceeded",
            format!(
                "{name}: {current} seats are in use but plan `{}` includes {included} with no extra seats; remove seats first",
                req.target.code
            ),
        )
        .details(json!({ "featureCode": code, "currentSeats": current, "included": included })));
    }
    let org_id = req.sub.org_id.clone();
    let q = quote(conn, &req, offer_id, at)?;
    let was_trialing = req.sub.status == "trialing";
    let mut sub = req.sub.clone();
    let mut invoice_id = None;
    let mut total_charged = 0;
    let mut credits_applied = 0;
    if !q.lines.is_empty() {
        let pm = payment_method_of(conn, &sub)?;
        let inv = collect::create_invoice(
            conn,
            &org_id,
            Draft {
                customer_id: sub.customer_id.clone(),
                subscription_id: Some(sub.id.clone()),
                invoice_type: "plan_change",
                currency: sub.currency.clone(),
                lines: q.lines.clone(),
                period_start: at,
                period_end: super::period_end(at, &req.interval, chrono::Datelike::day(&at)),
                at,
                due_days: 0,
                plan_name: Some(req.target.name.clone()),
                memo: None,
                metadata: None,
            },
        )?;
        if inv.total > 0 {
            let pm = pm.ok_or_else(|| {
                ApiError::conflict(
                    "no_payment_method",
                    format!("Subscription {} has no saved payment method", sub.id),
                )
            })?;
            if let Charged::Declined(d, _) =
                charge_sub_invoice(conn, &sub, &inv, &pm.card_number, Presence::Saved, at)?
            {
                return Err(collect::charge_failed(&d, None));
            }
        }
        total_charged = inv.total.max(0);
        credits_applied = inv.credit_applied;
        invoice_id = Some(inv.id);
    }
    // A credit larger than the charge becomes customer credit.
    let leftover = q.credit - q.credit_used;
    collect::grant_customer_credit(
        conn,
        &org_id,
        &sub.customer_id,
        leftover,
        &sub.currency,
        "Unused time from a plan change",
        "plan_change",
        at,
    )?;
    revoke_scheduled(conn, &mut sub, &req.current, who)?;
    sub.plan_id = req.target.id.clone();
    sub.price_id = req.price.as_ref().map(|p| p.id.clone());
    sub.billing_interval = req.interval.clone();
    sub.offer = q.offer.clone();
    if let Some(app) = sub.offer.as_mut() {
        app["status"] = json!("applied");
        app["appliedAt"] = json!(ids::iso(at));
    }
    sub.paid_base = req.price.as_ref().map_or(0, |p| net_base(&sub, p, 0));
    sub.offer_cycle = 1;
    sub.status = "active".into();
    sub.trial_will_end_sent = true;
    start_period(&mut sub, at);
    sub.updated_at = ids::iso(at);
    subs::save(conn, &sub)?;
    grant_period(conn, &sub)?;
    if was_trialing {
        emit(
            conn,
            &org_id,
            "trial.converted",
            json!({
                "subscriptionId": sub.id, "customerId": who, "status": sub.status,
                "planId": req.target.id, "planName": req.target.name,
            }),
        )?;
    }
    emit(
        conn,
        &org_id,
        "subscription.plan_changed",
        json!({
            "subscriptionId": sub.id, "customerId": who,
            "previousPlan": plan_ref(&req.current), "currentPlan": plan_ref(&req.target),
            "billingInterval": sub.billing_interval,
            "credit": q.credit, "charge": q.charge, "totalCharged": total_charged,
        }),
    )?;
    view::state_changed(
        conn,
        &org_id,
        &sub.customer_id,
        if was_trialing {
            "trial_converted"
        } else {
            "plan_change"
        },
    )?;
    let remaining_credit =
        collect::credit_balance(conn, &org_id, &sub.customer_id, &sub.currency, at)?;
    let mut out = json!({
        "outcome": "completed",
        "id": ids::new_id("pch_"),
        "scheduled": false,
        "customerId": sub.customer_id,
        "previousPlan": plan_ref(&req.current),
        "currentPlan": { "id": req.target.id, "name": req.target.name, "price": req.price.as_ref().map_or(0, |p| p.price) },
        "billingInterval": sub.billing_interval,
        "billing": {
            "credit": q.credit,
            "creditsApplied": credits_applied,
            "charge": q.charge,
            "taxAmount": 0,
            "netAmount": q.charge - q.credit_used,
            "totalCharged": total_charged,
            "remainingCreditBalance": remaining_credit,
        },
        "object": "plan_change",
        "livemode": false,
    });
    if let Some(id) = invoice_id {
        out["invoiceId"] = json!(id);
    }
    if let Some(app) = &q.offer {
        out["offerApplication"] = offers::short(app);
    }
    Ok(out)
}

/// `POST /subscriptions/{id}/preview-change`.
pub fn preview(
    conn: &Connection,
    org_id: &str,
    id: &str,
    plan_ref_: &str,
    interval: Option<String>,
    offer_id: Option<String>,
) -> Result<Value, ApiError> {
    let req = resolve(
        conn,
        org_id,
        id,
        Some(plan_ref_),
        interval.as_deref(),
        "planId",
    )?;
    if let Timing::Scheduled(kind) = req.timing {
        return Err(ApiError::validation_code(
            "plan_change_scheduled",
            format!(
                "This change ({}) would be scheduled for the end of the period ({}), so there is nothing to prorate",
                kind.replace('_', " "),
                req.sub.period_end
            ),
        )
        .details(json!({ "changeType": kind, "scheduledFor": req.sub.period_end })));
    }
    let at = now(conn, org_id);
    let q = quote(conn, &req, offer_id.as_deref(), at)?;
    let mut out = json!({
        "currency": req.sub.currency,
        "currentPlanCredit": q.credit,
        "newPlanCharge": q.charge,
        "estimatedTotal": (q.charge - q.credit).max(0),
        "effectiveDate": ids::iso(at),
        "daysRemaining": q.remaining,
        "totalDays": q.total_days,
        "isUpgrade": req.timing == Timing::Checkout
            || interval_rank(&req.interval) > interval_rank(&req.sub.billing_interval)
            || req.target.sort_order > req.current.sort_order,
        "object": "plan_change_preview",
        "livemode": false,
    });
    if let Some(app) = &q.offer {
        out["offerApplication"] = offers::short(app);
    }
    Ok(out)
}

/// A free → paid change paid on its checkout page.
pub fn complete_checkout_change(
    conn: &Connection,
    mut sub: Sub,
    session: &CheckoutSession,
    number: &str,
    test: &TestCard,
    at: DateTime<Utc>,
) -> Result<lifecycle::CheckoutResult, ApiError> {
    let org_id = sub.org_id.clone();
    if !matches!(sub.status.as_str(), "active" | "trialing") {
        return Err(ApiError::conflict(
            "subscription_not_active",
            format!("Subscription {} is {}", sub.id, sub.status),
        ));
    }
    let target = session.target.clone().unwrap_or(Value::Null);
    let new_plan = plan(conn, target["planId"].as_str().unwrap_or_default())?;
    let pr = super::price(conn, target["priceId"].as_str().unwrap_or_default())?
        .ok_or_else(|| ApiError::internal("plan-change checkout without a price"))?;
    let interval = target["interval"]
        .as_str()
        .unwrap_or(&pr.billing_interval)
        .to_owned();
    let previous = plan(conn, &sub.plan_id)?;
    let mut priced = sub.clone();
    priced.offer = match target["offerId"].as_str() {
        Some(id) => crate::server::store::offers::get(conn, &org_id, id)?
            .map(|o| offers::application(&o, "direct", &pr.id, pr.price, &sub.currency, None, at)),
        None => None,
    };
    let mut lines = base_lines(&priced, &new_plan, &pr, 0, &interval);
    lines.extend(cycle::advance_unit_lines(
        conn,
        &sub,
        &new_plan.id,
        &interval,
    )?);
    let inv = collect::create_invoice(
        conn,
        &org_id,
        Draft {
            customer_id: sub.customer_id.clone(),
            subscription_id: Some(sub.id.clone()),
            invoice_type: "plan_change",
            currency: sub.currency.clone(),
            lines,
            period_start: at,
            period_end: super::period_end(at, &interval, chrono::Datelike::day(&at)),
            at,
            due_days: 0,
            plan_name: Some(new_plan.name.clone()),
            memo: None,
            metadata: None,
        },
    )?;
    let charged = charge_sub_invoice(conn, &sub, &inv, number, Presence::Checkout, at)?;
    if let Charged::Declined(d, _) = charged {
        collect::void_invoice(conn, &org_id, &inv, at)?;
        return Ok(lifecycle::declined_result("plan_change", Some(&sub), d));
    }
    let pm = subs::insert_payment_method(conn, &org_id, &sub.customer_id, number, test.brand)?;
    let who = webhook_customer(conn, &org_id, &sub.customer_id)?;
    emit(
        conn,
        &org_id,
        "payment_method.attached",
        json!({ "subscriptionId": sub.id, "customerId": who, "card": pm.card_json() }),
    )?;
    sub.payment_method_id = Some(pm.id);
    sub.plan_id = new_plan.id.clone();
    sub.price_id = Some(pr.id.clone());
    sub.billing_interval = interval;
    sub.offer = priced.offer;
    if let Some(app) = sub.offer.as_mut() {
        app["status"] = json!("applied");
        app["appliedAt"] = json!(ids::iso(at));
    }
    sub.paid_base = net_base(&sub, &pr, 0);
    sub.offer_cycle = 1;
    sub.provider = Some(
        sub.provider
            .clone()
            .unwrap_or_else(|| super::DEFAULT_PROVIDER.to_owned()),
    );
    sub.scheduled_change = None;
    start_period(&mut sub, at);
    sub.updated_at = ids::iso(at);
    subs::save(conn, &sub)?;
    grant_period(conn, &sub)?;
    let inv = crate::server::store::invoices::require(conn, &org_id, &inv.id)?;
    emit(
        conn,
        &org_id,
        "subscription.plan_changed",
        json!({
            "subscriptionId": sub.id, "customerId": who,
            "previousPlan": plan_ref(&previous), "currentPlan": plan_ref(&new_plan),
            "billingInterval": sub.billing_interval,
            "credit": 0, "charge": inv.subtotal - inv.discount_amount, "totalCharged": inv.total,
        }),
    )?;
    view::state_changed(conn, &org_id, &sub.customer_id, "plan_change")?;
    Ok(lifecycle::succeeded(
        "plan_change",
        &sub,
        format!("Paid; the subscription is now on {}", new_plan.name),
    ))
}

/// Applies a due scheduled change to the row (before the renewal that
/// starts the new plan's first period). Returns `(previous, new)` plans.
pub fn apply_scheduled(
    conn: &Connection,
    sub: &mut Sub,
) -> Result<Option<(PlanInfo, PlanInfo)>, ApiError> {
    let Some(change) = sub.scheduled_change.take() else {
        return Ok(None);
    };
    let previous = plan(conn, &sub.plan_id)?;
    let target = plan(conn, change["newPlanId"].as_str().unwrap_or(&sub.plan_id))?;
    sub.plan_id = target.id.clone();
    sub.price_id = change["newPriceId"].as_str().map(str::to_owned);
    if let Some(i) = change["newBillingInterval"].as_str() {
        sub.billing_interval = i.to_owned();
    }
    sub.offer = None;
    sub.offer_cycle = 0;
    if target.is_free {
        sub.provider = None;
    }
    Ok(Some((previous, target)))
}

/// `subscription.plan_changed` for a scheduled change that took effect.
pub fn emit_scheduled_changed(
    conn: &Connection,
    sub: &Sub,
    previous: &PlanInfo,
    target: &PlanInfo,
    charge: i64,
    total: i64,
) -> Result<(), ApiError> {
    let who = webhook_customer(conn, &sub.org_id, &sub.customer_id)?;
    emit(
        conn,
        &sub.org_id,
        "subscription.plan_changed",
        json!({
            "subscriptionId": sub.id, "customerId": who,
            "previousPlan": plan_ref(previous), "currentPlan": plan_ref(target),
            "billingInterval": sub.billing_interval,
            "credit": 0, "charge": charge, "totalCharged": total,
        }),
    )?;
    view::state_changed(conn, &sub.org_id, &sub.customer_id, "plan_change")
}
