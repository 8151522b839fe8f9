//! Credits and balance pools, one row per subscription.
//!
//! - **Credits** (credits plans): `plan_credits` are granted each period and
//!   expire at the next reset; `purchased_credits` (packs, manual grants)
//!   never expire. Usage draws plan credits first, then purchased ones, and
//!   a pool never goes below zero (`insufficient_credits`).
//! - **Balance** (balance plans): money in the rate scale (10000 = 1.00 of
//!   the subscription's currency) so per-unit prices and token costs below a
//!   cent add up exactly. It returns to the plan amount at each reset (top-ups
//!   are lost) and may go negative on non-blocking plans; the deficit is for
//!   the renewal invoice. The functions of the cross-engine contract speak
//!   cents ([`add_balance`], [`balance`], [`reset_period`]); the rate-scale
//!   ones are `*_rate`.
//!
//! Low/depleted webhooks fire once per crossing: `credits.low` at ≤ 10 % of
//! the period's grant and `credits.depleted` at zero (re-armed by grants and
//! resets); `balance.low` at ≤ 10 % of the last refill and `balance.depleted`
//! at zero or below (re-armed by top-ups and resets). The depleted events also
//! fire `customer.state_changed`.

use rusqlite::{params, Connection, OptionalExtension};
use serde_json::json;

use crate::server::entitlements::{self, state};
use crate::server::error::ApiError;
use crate::server::events;
use crate::server::ids;
use crate::server::store::subscriptions;

/// Rate-scale units per cent (10000 = 1.00, 100 = 0.01).
pub const RATE_PER_CENT: i64 = 100;

/// Cents → rate scale.
pub fn cents_to_rate(cents: i64) -> i64 {
    cents.saturating_mul(RATE_PER_CENT)
}

/// Rate scale → cents, rounding half away from zero.
pub fn rate_to_cents(rate: i64) -> i64 {
    let half = RATE_PER_CENT / 2;
    if rate >= 0 {
        (rate + half) / RATE_PER_CENT
    } else {
        -((-rate + half) / RATE_PER_CENT)
    }
}

/// One subscription's pools.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pool {
    pub subscription_id: String,
    pub org_id: String,
    /// `cus_` id.
    pub customer_id: String,
    pub currency: String,
    pub plan_credits: i64,
    pub purchased_credits: i64,
    /// The plan credits granted for the current period (base of `credits.low`).
    pub period_credits: i64,
    pub credits_low_sent: bool,
    pub credits_depleted_sent: bool,
    /// Rate scale.
    pub balance: i64,
    /// The plan's balance for the period, rate scale.
    pub included_balance: i64,
    /// The balance right after the last refill (reset or top-up), rate scale.
    pub last_refill: i64,
    pub balance_low_sent: bool,
    pub balance_depleted_sent: bool,
}

impl Pool {
    pub fn total_credits(&self) -> i64 {
        self.plan_credits + self.purchased_credits
    }
}

const COLS: &str = "subscription_id, org_id, customer_id, currency, plan_credits, purchased_credits, period_credits, \
    credits_low_sent, credits_depleted_sent, balance, included_balance, last_refill, balance_low_sent, balance_depleted_sent";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Pool> {
    Ok(Pool {
        subscription_id: r.get(0)?,
        org_id: r.get(1)?,
        customer_id: r.get(2)?,
        currency: r.get(3)?,
        plan_credits: r.get(4)?,
        purchased_credits: r.get(5)?,
        period_credits: r.get(6)?,
        credits_low_sent: r.get(7)?,
        credits_depleted_sent: r.get(8)?,
        balance: r.get(9)?,
        included_balance: r.get(10)?,
        last_refill: r.get(11)?,
        balance_low_sent: r.get(12)?,
        balance_depleted_sent: r.get(13)?,
    })
}

/// The stored pool, if the subscription has one yet.
pub fn get(
    conn: &Connection,
    org_id: &str,
    subscription_id: &str,
) -> Result<Option<Pool>, ApiError> {
    let sql = format!("SELECT {COLS} FROM pools WHERE org_id = ?1 AND subscription_id = ?2");
    Ok(conn
        .query_row(&sql, params![org_id, subscription_id], from_row)
        .optional()?)
}

/// The stored pool, or an empty one for the subscription
/// (`subscription_not_found` when it does not exist).
pub fn load(conn: &Connection, org_id: &str, subscription_id: &str) -> Result<Pool, ApiError> {
    if let Some(pool) = get(conn, org_id, subscription_id)? {
        return Ok(pool);
    }
    let sub = subscriptions::require(conn, org_id, subscription_id)?;
    Ok(Pool {
        subscription_id: sub.id,
        org_id: org_id.to_owned(),
        customer_id: sub.customer_id,
        currency: sub.currency,
        plan_credits: 0,
        purchased_credits: 0,
        period_credits: 0,
        credits_low_sent: false,
        credits_depleted_sent: false,
        balance: 0,
        included_balance: 0,
        last_refill: 0,
        balance_low_sent: false,
        balance_depleted_sent: false,
    })
}

fn save(conn: &Connection, p: &Pool) -> Result<(), ApiError> {
    let now = ids::now();
    conn.execute(
        "INSERT INTO pools (subscription_id, org_id, customer_id, currency, plan_credits, purchased_credits, period_credits,
           credits_low_sent, credits_depleted_sent, balance, included_balance, last_refill, balance_low_sent,
           balance_depleted_sent, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?15)
         ON CONFLICT (subscription_id) DO UPDATE SET currency = excluded.currency, plan_credits = excluded.plan_credits,
           purchased_credits = excluded.purchased_credits, period_credits = excluded.period_credits,
           credits_low_sent = excluded.credits_low_sent, credits_depleted_sent = excluded.credits_depleted_sent,
           balance = excluded.balance, included_balance = excluded.included_balance, last_refill = excluded.last_refill,
           balance_low_sent = excluded.balance_low_sent, balance_depleted_sent = excluded.balance_depleted_sent,
           updated_at = excluded.updated_at",
        params![
            p.subscription_id,
            p.org_id,
            p.customer_id,
            p.currency,
            p.plan_credits,
            p.purchased_credits,
            p.period_credits,
            p.credits_low_sent,
            p.credits_depleted_sent,
            p.balance,
            p.included_balance,
            p.last_refill,
            p.balance_low_sent,
            p.balance_depleted_sent,
            now
        ],
    )?;
    Ok(())
}

/// Whether a grant reason means the plan's per-period credits (which expire
/// at the next reset) rather than credits that persist.
fn is_plan_grant(reason: &str) -> bool {
    matches!(
        reason.to_ascii_lowercase().as_str(),
        "period_reset" | "plan" | "plan_credits" | "trial_started" | "activation"
    )
}

/// Re-arms the low/depleted alerts when a pool is above their thresholds.
fn rearm(p: &mut Pool) {
    if p.total_credits() * 10 > p.period_credits {
        p.credits_low_sent = false;
    }
    if p.total_credits() > 0 {
        p.credits_depleted_sent = false;
    }
    if p.balance * 10 > p.last_refill {
        p.balance_low_sent = false;
    }
    if p.balance > 0 {
        p.balance_depleted_sent = false;
    }
}

/// Grants credits (`credits.granted`). Reasons `period_reset` / `plan` add
/// plan credits (they expire at the next reset); any other reason
/// (`manual_adjustment`, `purchase`, …) adds credits that never expire. A
/// negative amount takes credits away (plan credits first) and fails with
/// `insufficient_credits` rather than going below zero.
pub fn grant_credits(
    conn: &Connection,
    org_id: &str,
    subscription_id: &str,
    amount: i64,
    reason: &str,
) -> Result<(), ApiError> {
    let mut p = load(conn, org_id, subscription_id)?;
    if amount >= 0 {
        if is_plan_grant(reason) {
            p.plan_credits += amount;
            p.period_credits += amount;
        } else {
            p.purchased_credits += amount;
        }
    } else {
        let take = -amount;
        if take > p.total_credits() {
            return Err(ApiError::billing(
                "insufficient_credits",
                format!(
                    "Cannot remove {take} credits: the subscription has {} left",
                    p.total_credits()
                ),
            )
            .details(json!({ "requested": take, "available": p.total_credits() })));
        }
        let from_plan = take.min(p.plan_credits);
        p.plan_credits -= from_plan;
        p.purchased_credits -= take - from_plan;
    }
    rearm(&mut p);
    save(conn, &p)?;
    if amount > 0 {
        let customer = entitlements::webhook_customer_id(conn, org_id, &p.customer_id)?;
        events::emit(
            conn,
            org_id,
            "credits.granted",
            json!({
                "subscriptionId": p.subscription_id,
                "customerId": customer,
                "credits": amount,
                "reason": reason,
            }),
        )?;
    }
    Ok(())
}

/// A period reset: plan credits expire (`credits.expired`) and are granted
/// again (`credits.granted`, reason `period_reset`); the balance returns to
/// the plan amount (cents; top-ups are lost). `None` leaves that pool as it
/// is. Purchased credits survive. Alerts are re-armed.
pub fn reset_period(
    conn: &Connection,
    org_id: &str,
    subscription_id: &str,
    new_grant_credits: Option<i64>,
    new_balance: Option<i64>,
) -> Result<(), ApiError> {
    let mut p = load(conn, org_id, subscription_id)?;
    let customer = entitlements::webhook_customer_id(conn, org_id, &p.customer_id)?;
    let mut emitted = Vec::new();
    if let Some(grant) = new_grant_credits {
        let grant = grant.max(0);
        let expired = p.plan_credits.max(0);
        p.plan_credits = grant;
        p.period_credits = grant;
        p.credits_low_sent = false;
        p.credits_depleted_sent = false;
        if expired > 0 {
            emitted.push((
                "credits.expired",
                json!({ "subscriptionId": p.subscription_id, "customerId": customer, "expiredCredits": expired }),
            ));
        }
        if grant > 0 {
            emitted.push((
                "credits.granted",
                json!({ "subscriptionId": p.subscription_id, "customerId": customer, "credits": grant, "reason": "period_reset" }),
            ));
        }
    }
    if let Some(cents) = new_balance {
        let rate = cents_to_rate(cents);
        p.balance = rate;
        p.included_balance = rate;
        p.last_refill = rate;
        p.balance_low_sent = false;
        p.balance_depleted_sent = false;
    }
    if let Ok(sub) = subscriptions::require(conn, org_id, subscription_id) {
        p.currency = sub.currency;
    }
    save(conn, &p)?;
    for (event, data) in emitted {
        events::emit(conn, org_id, event, data)?;
    }
    Ok(())
}

/// Whether an `add_balance` reason is a paid top-up: `topup` (also
/// `top_up`, `balance_topup`), optionally followed by `:inv_…` naming the
/// top-up invoice.
fn topup_invoice(reason: &str) -> Option<Option<&str>> {
    let (kind, invoice) = match reason.split_once(':') {
        Some((k, i)) => (k, Some(i.trim()).filter(|i| !i.is_empty())),
        None => (reason, None),
    };
    matches!(
        kind.trim().to_ascii_lowercase().as_str(),
        "topup" | "top_up" | "top-up" | "balance_topup"
    )
    .then_some(invoice)
}

/// Adds `amount` cents (negative to take money away) to the balance and
/// returns the new balance in cents. A top-up reason (see above) re-arms
/// the low/depleted alerts as a refill and emits `balance.topped_up` with
/// the top-up invoice (the one named in the reason, else the subscription's
/// latest `balance_topup` invoice).
pub fn add_balance(
    conn: &Connection,
    org_id: &str,
    subscription_id: &str,
    amount: i64,
    reason: &str,
) -> Result<i64, ApiError> {
    let mut p = load(conn, org_id, subscription_id)?;
    p.balance += cents_to_rate(amount);
    let topup = topup_invoice(reason);
    if topup.is_some() && amount > 0 {
        p.last_refill = p.balance;
    }
    rearm(&mut p);
    save(conn, &p)?;
    if let (Some(named), true) = (topup, amount > 0) {
        let invoice: Option<(String, String)> = match named {
            Some(id) => conn
                .query_row(
                    "SELECT id, invoice_number FROM invoices WHERE org_id = ?1 AND id = ?2",
                    params![org_id, id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?,
            None => conn
                .query_row(
                    "SELECT id, invoice_number FROM invoices WHERE org_id = ?1 AND subscription_id = ?2
                       AND invoice_type = 'balance_topup' ORDER BY seq DESC LIMIT 1",
                    params![org_id, subscription_id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?,
        };
        let (invoice_id, invoice_number) = invoice.unwrap_or_default();
        let customer = entitlements::webhook_customer_id(conn, org_id, &p.customer_id)?;
        events::emit(
            conn,
            org_id,
            "balance.topped_up",
            json!({
                "subscriptionId": p.subscription_id,
                "customerId": customer,
                "invoiceId": invoice_id,
                "invoiceNumber": invoice_number,
                "amount": amount,
                "currency": p.currency,
            }),
        )?;
    }
    Ok(rate_to_cents(p.balance))
}

/// The balance in cents (rounded half away from zero; negative = deficit).
pub fn balance(conn: &Connection, org_id: &str, subscription_id: &str) -> Result<i64, ApiError> {
    Ok(rate_to_cents(balance_rate(conn, org_id, subscription_id)?))
}

/// The balance in the rate scale (10000 = 1.00).
pub fn balance_rate(
    conn: &Connection,
    org_id: &str,
    subscription_id: &str,
) -> Result<i64, ApiError> {
    Ok(get(conn, org_id, subscription_id)?.map_or(0, |p| p.balance))
}

/// Plan plus purchased credits.
pub fn credits(conn: &Connection, org_id: &str, subscription_id: &str) -> Result<i64, ApiError> {
    Ok(get(conn, org_id, subscription_id)?.map_or(0, |p| p.total_credits()))
}

/// `(plan credits, purchased credits)`.
pub fn credit_parts(
    conn: &Connection,
    org_id: &str,
    subscription_id: &str,
) -> Result<(i64, i64), ApiError> {
    Ok(get(conn, org_id, subscription_id)?
        .map_or((0, 0), |p| (p.plan_credits, p.purchased_credits)))
}

/// Draws `cost` credits (plan first, then purchased) for usage; fails with
/// `insufficient_credits` when the pool holds less. Returns the pool after
/// the draw. Fires `credits.low` / `credits.depleted` on crossing.
pub fn consume_credits(
    conn: &Connection,
    org_id: &str,
    subscription_id: &str,
    cost: i64,
) -> Result<Pool, ApiError> {
    let mut p = load(conn, org_id, subscription_id)?;
    if cost > p.total_credits() {
        return Err(insufficient_credits(&p, cost));
    }
    let from_plan = cost.min(p.plan_credits);
    p.plan_credits -= from_plan;
    p.purchased_credits -= cost - from_plan;
    let customer = entitlements::webhook_customer_id(conn, org_id, &p.customer_id)?;
    let total = p.total_credits();
    let low = p.period_credits > 0 && total * 10 <= p.period_credits && !p.credits_low_sent;
    let depleted = total <= 0 && !p.credits_depleted_sent && cost > 0;
    if low {
        p.credits_low_sent = true;
    }
    if depleted {
        p.credits_depleted_sent = true;
    }
    save(conn, &p)?;
    if low {
        events::emit(
            conn,
            org_id,
            "credits.low",
            json!({
                "subscriptionId": p.subscription_id,
                "customerId": customer,
                "remainingCredits": total,
                "thresholdCredits": p.period_credits / 10,
                "periodCredits": p.period_credits,
            }),
        )?;
    }
    if depleted {
        events::emit(
            conn,
            org_id,
            "credits.depleted",
            json!({ "subscriptionId": p.subscription_id, "customerId": customer, "remainingCredits": total }),
        )?;
        state::emit_state_changed(conn, org_id, &p.customer_id, "credits_depleted")?;
    }
    Ok(p)
}

/// The `insufficient_credits` error for a cost the pool cannot cover.
pub fn insufficient_credits(p: &Pool, cost: i64) -> ApiError {
    ApiError::billing(
        "insufficient_credits",
        format!(
            "This needs {cost} credits but only {} are left (plan {}, purchased {}); buy a credit pack or wait for the next period",
            p.total_credits(),
            p.plan_credits,
            p.purchased_credits
        ),
    )
    .details(json!({
        "requiredCredits": cost,
        "planCredits": p.plan_credits,
        "purchasedCredits": p.purchased_credits,
        "totalCredits": p.total_credits(),
    }))
}

/// Deducts `amount` (rate scale) from the balance for usage. With
/// `blocking`, refuses (`insufficient_balance`) a cost above the balance;
/// otherwise the balance may go negative. Fires `balance.low` /
/// `balance.depleted` on crossing.
pub fn consume_balance(
    conn: &Connection,
    org_id: &str,
    subscription_id: &str,
    amount: i64,
    blocking: bool,
) -> Result<Pool, ApiError> {
    let mut p = load(conn, org_id, subscription_id)?;
    if blocking && amount > p.balance {
        return Err(insufficient_balance(&p, amount));
    }
    p.balance -= amount;
    let customer = entitlements::webhook_customer_id(conn, org_id, &p.customer_id)?;
    let low = p.last_refill > 0 && p.balance * 10 <= p.last_refill && !p.balance_low_sent;
    let depleted = p.balance <= 0 && !p.balance_depleted_sent && amount > 0;
    if low {
        p.balance_low_sent = true;
    }
    if depleted {
        p.balance_depleted_sent = true;
    }
    save(conn, &p)?;
    if low {
        events::emit(
            conn,
            org_id,
            "balance.low",
            json!({
                "subscriptionId": p.subscription_id,
                "customerId": customer,
                "currentBalance": p.balance,
                "thresholdBalance": p.last_refill / 10,
                "currency": p.currency,
            }),
        )?;
    }
    if depleted {
        events::emit(
            conn,
            org_id,
            "balance.depleted",
            json!({
                "subscriptionId": p.subscription_id,
                "customerId": customer,
                "currentBalance": p.balance,
                "currency": p.currency,
            }),
        )?;
        state::emit_state_changed(conn, org_id, &p.customer_id, "balance_depleted")?;
    }
    Ok(p)
}

/// The `insufficient_balance` error for a cost the balance cannot cover.
pub fn insufficient_balance(p: &Pool, amount: i64) -> ApiError {
    ApiError::billing(
        "insufficient_balance",
        format!(
            "This costs {} but the balance is {} {}; top up the balance to continue",
            fmt_rate(amount),
            fmt_rate(p.balance),
            p.currency.to_ascii_uppercase()
        ),
    )
    .details(json!({
        "requiredAmount": amount,
        "currentBalance": p.balance,
        "currency": p.currency,
        "scale": 10000,
    }))
}

/// `12345` (rate scale) → `1.2345`.
pub fn fmt_rate(rate: i64) -> String {
    let sign = if rate < 0 { "-" } else { "" };
    let abs = rate.unsigned_abs();
    let frac = format!("{:04}", abs % 10_000);
    let frac = frac.trim_end_matches('0');
    let frac = if frac.len() < 2 {
        format!("{frac:0<2}")
    } else {
        frac.to_owned()
    };
    format!("{sign}{}.{frac}", abs / 10_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cents_and_rate_scale_round_trip() {
        assert_eq!(cents_to_rate(2500), 250_000);
        assert_eq!(rate_to_cents(250_000), 2500);
        assert_eq!(rate_to_cents(150), 2);
        assert_eq!(rate_to_cents(149), 1);
        assert_eq!(rate_to_cents(-150), -2);
        assert_eq!(rate_to_cents(-149), -1);
    }

    #[test]
    fn rate_amounts_format_like_money() {
        assert_eq!(fmt_rate(250_000), "25.00");
        assert_eq!(fmt_rate(30), "0.003");
        assert_eq!(fmt_rate(-12_345), "-1.2345");
        assert_eq!(fmt_rate(5_000), "0.50");
    }

    #[test]
    fn topup_reasons() {
        assert_eq!(topup_invoice("topup"), Some(None));
        assert_eq!(topup_invoice("balance_topup:inv_1"), Some(Some("inv_1")));
        assert_eq!(topup_invoice("manual"), None);
    }
}
