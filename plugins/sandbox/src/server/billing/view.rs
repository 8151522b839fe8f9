//! API objects of subscriptions (`Subscription`, `SubscriptionSummary`,
//! `CreatedSubscription`), `customer.state_changed`, and settling payments.

use chrono::{DateTime, Utc};
use rusqlite::Connection;
use serde_json::{json, Value};

use super::cards::Decline;
use super::collect::{self, Charged, Draft, Presence};
use super::{now, offers, plan, price};
use crate::server::entitlements;
use crate::server::error::ApiError;
use crate::server::ids;
use crate::server::store::payments::{self, Payment};
use crate::server::store::subscriptions::{self as subs, Sub};
use crate::server::store::{plans, pools, seats, usage};

/// Emits `customer.state_changed` with the customer's current state.
pub fn state_changed(
    conn: &Connection,
    org_id: &str,
    customer_id: &str,
    trigger: &str,
) -> Result<(), ApiError> {
    entitlements::state::emit_state_changed(conn, org_id, customer_id, trigger)
}

fn days_left(at: DateTime<Utc>, end: &str) -> i64 {
    ids::parse_instant(end).map_or(0, |e| super::days_ceil(at, e))
}

/// The fields every subscription object shares.
fn common(conn: &Connection, sub: &Sub, base: &str) -> Result<Value, ApiError> {
    let p = plan(conn, &sub.plan_id)?;
    let at = now(conn, &sub.org_id);
    let current_period = match sub.status.as_str() {
        "canceled" | "pending_payment" | "draft" => Value::Null,
        _ => json!({
            "start": sub.period_start,
            "end": sub.period_end,
            "daysRemaining": days_left(at, &sub.period_end),
        }),
    };
    let cancellation = if sub.cancel_at_period_end {
        json!({
            "scheduledAt": sub.cancel_requested_at,
            "reason": sub.cancel_reason,
            "effectiveAt": sub.period_end,
        })
    } else if sub.status == "canceled" {
        json!({
            "scheduledAt": sub.cancel_requested_at.clone().or(sub.canceled_at.clone()),
            "reason": sub.cancel_reason,
            "effectiveAt": sub.canceled_at,
        })
    } else {
        Value::Null
    };
    let scheduled = match &sub.scheduled_change {
        Some(c) => json!({
            "changeType": c["changeType"],
            "newPlanId": c["newPlanId"],
            "newPlanName": c["newPlanName"],
            "newBillingInterval": c["newBillingInterval"],
            "scheduledFor": c["scheduledFor"],
        }),
        None => Value::Null,
    };
    let billed = !p.is_free && matches!(sub.status.as_str(), "active" | "trialing" | "past_due");
    let next_billing = if billed && !sub.cancel_at_period_end {
        json!(sub.period_end)
    } else {
        Value::Null
    };
    let end_date = if sub.cancel_at_period_end {
        json!(sub.period_end)
    } else {
        json!(sub.ended_at)
    };
    let checkout_url = match (&sub.checkout_token, sub.status.as_str()) {
        (Some(t), "pending_payment") => json!(format!("{base}/checkout/{t}")),
        _ => Value::Null,
    };
    Ok(json!({
        "id": sub.id,
        "customerId": sub.customer_id,
        "plan": { "id": p.id, "name": p.name },
        "name": sub.name.clone().unwrap_or_else(|| p.name.clone()),
        "description": sub.description,
        "status": sub.status,
        "billingInterval": sub.billing_interval,
        "trialEndsAt": sub.trial_end,
        "currentPeriod": current_period,
        "cancellation": cancellation,
        "cancelAtPeriodEnd": sub.cancel_at_period_end,
        "scheduledPlanChange": scheduled,
        "startDate": sub.start_date,
        "endDate": end_date,
        "billingDayOfMonth": if p.is_free || sub.billing_interval == "weekly" { Value::Null } else { json!(sub.billing_day) },
        "nextBillingDate": next_billing,
        "checkoutUrl": checkout_url,
        "createdAt": sub.created_at,
        "updatedAt": sub.updated_at,
        "offerApplications": sub.offer.as_ref().map(offers::public).into_iter().collect::<Vec<_>>(),
        "priceId": sub.price_id,
        "object": "subscription",
        "livemode": false,
    }))
}

/// `SubscriptionSummary` (lists).
pub fn summary_json(conn: &Connection, sub: &Sub, base: &str) -> Result<Value, ApiError> {
    common(conn, sub, base)
}

/// `CreatedSubscription`.
pub fn created_json(conn: &Connection, sub: &Sub, base: &str) -> Result<Value, ApiError> {
    let mut v = common(conn, sub, base)?;
    v["checkoutProvider"] = match sub.status.as_str() {
        "pending_payment" => json!(sub.provider),
        _ => Value::Null,
    };
    Ok(v)
}

/// `Subscription`: with the plan's base price, features, credits, balance.
pub fn full_json(conn: &Connection, sub: &Sub, base: &str) -> Result<Value, ApiError> {
    let mut v = common(conn, sub, base)?;
    let p = plan(conn, &sub.plan_id)?;
    let pr = match &sub.price_id {
        Some(id) => price(conn, id)?,
        None => None,
    };
    v["plan"]["basePrice"] = json!(pr.as_ref().map_or(0, |x| x.price));
    if let Some(g) = super::grants::summary(conn, sub)? {
        v["planGrant"] = g;
    }
    v["consumptionModel"] = json!(p.consumption_model);
    let addon_grants = subs::active_addon_feature_grants(conn, &sub.org_id, &sub.id)?;
    let mut features = Vec::new();
    let start = sub.usage_start_at()?;
    let end = sub.usage_end_at()?;
    let mut seen = Vec::new();
    for (pf, f) in plans::plan_feature_rows(conn, &sub.plan_id)? {
        let addon = addon_grants
            .iter()
            .find(|a| a["featureCode"] == f.code.as_str());
        let mut included = pf.included_amount;
        let mut overage = pf.overage_enabled;
        let mut unit = pf.overage_unit_price;
        if let Some(a) = addon {
            included += a["includedUnits"].as_i64().unwrap_or(0);
            if let Some(r) = a["overageRate"].as_i64() {
                overage = true;
                unit = r;
            }
        }
        seen.push(f.code.clone());
        features.push(feature_json(
            conn,
            sub,
            &f.code,
            &f.name,
            &f.kind,
            pf.enabled || addon.is_some(),
            included,
            pf.unlimited,
            overage,
            unit,
            start,
            end,
        )?);
    }
    for a in &addon_grants {
        let code = a["featureCode"].as_str().unwrap_or_default();
        if seen.iter().any(|s| s == code) {
            continue;
        }
        features.push(feature_json(
            conn,
            sub,
            code,
            a["featureName"].as_str().unwrap_or_default(),
            a["featureType"].as_str().unwrap_or("boolean"),
            true,
            a["includedUnits"].as_i64().unwrap_or(0),
            false,
            a["overageRate"].is_i64(),
            a["overageRate"].as_i64().unwrap_or(0),
            start,
            end,
        )?);
    }
    v["features"] = Value::Array(features);
    let pool = pools::get(conn, &sub.org_id, &sub.id)?;
    v["credits"] = match p.consumption_model.as_deref() {
        Some("credits") => json!({
            "remaining": pool.as_ref().map_or(0, |x| x.total_credits()),
            "included": pr.as_ref().and_then(|x| x.included_credits).unwrap_or(0),
            "purchased": pool.as_ref().map_or(0, |x| x.purchased_credits),
        }),
        _ => Value::Null,
    };
    v["balance"] = match p.consumption_model.as_deref() {
        Some("balance") => json!({
            "remaining": pools::rate_to_cents(pool.as_ref().map_or(0, |x| x.balance)),
            "included": pr.as_ref().and_then(|x| x.included_balance).unwrap_or(0),
            "currency": sub.currency,
        }),
        _ => Value::Null,
    };
    Ok(v)
}

#[allow(clippy::too_many_arguments)]
fn feature_json(
    conn: &Connection,
    sub: &Sub,
    code: &str,
    name: &str,
    kind: &str,
    enabled: bool,
    included: i64,
    unlimited: bool,
    overage: bool,
    unit_price: i64,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<Value, ApiError> {
    if kind == "boolean" {
        return Ok(json!({ "code": code, "name": name, "type": "boolean", "enabled": enabled }));
    }
    let current = match kind {
        "usage" => usage::period_usage(conn, &sub.org_id, &sub.id, code, start, end)?,
        _ => seats::current(conn, &sub.org_id, &sub.customer_id, code)?.0,
    };
    let over = if unlimited {
        0
    } else {
        (current - included).max(0)
    };
    let mut u = json!({ "current": current, "included": included, "overageQuantity": over, "unlimited": unlimited });
    if overage {
        u["overageUnitPrice"] = json!(unit_price);
    }
    Ok(json!({ "code": code, "name": name, "type": kind, "usage": u }))
}

// -- payments ------------------------------------------------------------------------

/// Pays a payment (link at checkout, or a charge of the saved card): a
/// `one_time_payment` invoice for a known customer and one transaction.
/// Returns the decline when the card is refused (the payment stays pending
/// for a link, becomes failed for a charge).
pub fn settle_payment(
    conn: &Connection,
    payment: &Payment,
    card: &str,
    presence: Presence,
    at: DateTime<Utc>,
) -> Result<Result<(), Decline>, ApiError> {
    let org_id = &payment.org_id;
    let line = crate::server::store::invoices::Line::new(
        "one_time",
        payment.description.clone(),
        1,
        payment.amount_total,
        payment.amount_total,
        "standard",
    );
    let Some(customer_id) = payment.customer_id.clone() else {
        return settle_without_invoice(conn, payment, card, presence, at);
    };
    let inv = collect::create_invoice(
        conn,
        org_id,
        Draft {
            customer_id: customer_id.clone(),
            subscription_id: None,
            invoice_type: "one_time_payment",
            currency: payment.currency.clone(),
            lines: vec![line],
            period_start: at,
            period_end: at,
            at,
            due_days: 0,
            plan_name: None,
            memo: Some(payment.description.clone()),
            metadata: payment.metadata.clone(),
        },
    )?;
    let charged =
        collect::charge_invoice(conn, org_id, &inv, card, presence, &payment.provider, at)?;
    let who = super::webhook_customer(conn, org_id, &customer_id)?;
    let stamp = ids::iso(at);
    match charged {
        Charged::Paid(txn) => {
            let txn_id = txn.as_ref().map(|t| t.id.clone());
            conn.execute(
                "UPDATE transactions SET payment_id = ?1 WHERE id = ?2",
                rusqlite::params![payment.id, txn_id],
            )?;
            payments::update(
                conn,
                &payment.id,
                "succeeded",
                None,
                Some(&inv.id),
                txn_id.as_deref(),
                &stamp,
            )?;
            if payment.kind == "link" {
                super::emit(
                    conn,
                    org_id,
                    "payment_link.completed",
                    json!({
                        "paymentId": payment.id, "status": "succeeded", "amount": payment.amount_total,
                        "currency": payment.currency, "description": payment.description, "customerId": who,
                        "invoiceId": inv.id, "invoiceNumber": inv.invoice_number, "paymentTransactionId": txn_id,
                    }),
                )?;
            }
            Ok(Ok(()))
        }
        Charged::Declined(d, txn) => {
            conn.execute(
                "UPDATE transactions SET payment_id = ?1 WHERE id = ?2",
                rusqlite::params![payment.id, txn.id],
            )?;
            collect::void_invoice(conn, org_id, &inv, at)?;
            let status = if payment.kind == "link" {
                "pending"
            } else {
                "failed"
            };
            payments::update(conn, &payment.id, status, None, None, Some(&txn.id), &stamp)?;
            if payment.kind == "link" {
                emit_link_failed(conn, payment, &who, &d)?;
            }
            Ok(Err(d))
        }
    }
}

fn emit_link_failed(
    conn: &Connection,
    payment: &Payment,
    who: &str,
    d: &Decline,
) -> Result<(), ApiError> {
    super::emit(
        conn,
        &payment.org_id,
        "payment_link.failed",
        json!({
            "paymentId": payment.id, "status": "failed", "amount": payment.amount_total, "currency": payment.currency,
            "description": payment.description, "customerId": who, "failureCode": d.code, "failureMessage": d.message,
        }),
    )
}

fn settle_without_invoice(
    conn: &Connection,
    payment: &Payment,
    card: &str,
    presence: Presence,
    at: DateTime<Utc>,
) -> Result<Result<(), Decline>, ApiError> {
    let outcome = match presence {
        Presence::Checkout => super::cards::lookup(card)
            .and_then(|c| c.at_checkout.clone())
            .map_or(Ok(()), Err),
        Presence::Saved => super::cards::charge_saved(card),
    };
    let txn = crate::server::store::transactions::insert(
        conn,
        &payment.org_id,
        crate::server::store::transactions::NewTransaction {
            customer_id: None,
            invoice_id: None,
            subscription_id: None,
            payment_id: Some(payment.id.clone()),
            amount: payment.amount_total,
            currency: payment.currency.clone(),
            provider: payment.provider.clone(),
            status: if outcome.is_ok() {
                "succeeded"
            } else {
                "failed"
            }
            .into(),
            failure_code: outcome.as_ref().err().map(|d| d.code.to_owned()),
            failure_message: outcome.as_ref().err().map(|d| d.message.to_owned()),
            customer_email: None,
            customer_name: None,
            at: ids::iso(at),
        },
    )?;
    let stamp = ids::iso(at);
    match outcome {
        Ok(()) => {
            payments::update(
                conn,
                &payment.id,
                "succeeded",
                None,
                None,
                Some(&txn.id),
                &stamp,
            )?;
            super::emit(
                conn,
                &payment.org_id,
                "payment_link.completed",
                json!({
                    "paymentId": payment.id, "status": "succeeded", "amount": payment.amount_total,
                    "currency": payment.currency, "description": payment.description, "customerId": null,
                    "invoiceId": null, "invoiceNumber": null, "paymentTransactionId": txn.id,
                }),
            )?;
            Ok(Ok(()))
        }
        Err(d) => {
            payments::update(
                conn,
                &payment.id,
                "pending",
                None,
                None,
                Some(&txn.id),
                &stamp,
            )?;
            emit_link_failed(conn, payment, "", &d)?;
            Ok(Err(d))
        }
    }
}
