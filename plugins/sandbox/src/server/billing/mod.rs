//! The billing engine: subscription lifecycle, checkout, invoices and
//! payments, plan changes, and the test-clock run that processes billing
//! deadlines (renewals, trial ends, scheduled changes and cancellations,
//! dunning retries, usage resets, predictive webhooks).
//!
//! Every function here runs inside the caller's write transaction and reads
//! time through [`now`] (the organization's test clock), never `Utc::now()`.
//! Behaviour choices are documented in `plugins/sandbox/BILLING.md`.
//!
//! - [`cards`]: the sandbox test cards and what a charge does;
//! - [`collect`]: invoices with their lines, charging, payment events;
//! - [`lifecycle`]: create, checkout completion, cancel, reactivate,
//!   add-ons, balance, offers;
//! - [`change`]: plan changes and their previews;
//! - [`cycle`]: the test-clock run;
//! - [`view`]: the API objects and `customer.state_changed`.

pub mod admin;
pub mod cards;
pub mod change;
pub mod collect;
pub mod cycle;
pub mod grants;
pub mod lifecycle;
pub mod offers;
pub mod view;

use chrono::{DateTime, Datelike, Duration, TimeZone, Utc};
use rusqlite::{Connection, OptionalExtension};
use serde_json::Value;

use super::error::ApiError;
use super::store::customers;

/// The organization's simulated time.
pub fn now(conn: &Connection, org_id: &str) -> DateTime<Utc> {
    super::clock::now(conn, org_id)
}

/// Emits a webhook event (stored, delivered, shown to listen sessions).
pub fn emit(
    conn: &Connection,
    org_id: &str,
    event_type: &str,
    data: Value,
) -> Result<(), ApiError> {
    super::events::emit(conn, org_id, event_type, data)?;
    Ok(())
}

/// The `customerId` of webhook payloads: the external id when there is
/// one, else the `cus_` id.
pub fn webhook_customer(
    conn: &Connection,
    org_id: &str,
    customer_id: &str,
) -> Result<String, ApiError> {
    Ok(customers::find(conn, org_id, customer_id)?
        .and_then(|c| c.external_id)
        .unwrap_or_else(|| customer_id.to_owned()))
}

/// The default provider of sandbox charges.
pub const DEFAULT_PROVIDER: &str = "commet";

// -- plans and prices, including deleted/archived ones ---------------------------

/// What billing needs of a plan (deleted plans included: existing
/// subscriptions keep billing on them).
#[derive(Debug, Clone, PartialEq)]
pub struct PlanInfo {
    pub id: String,
    pub code: String,
    pub name: String,
    pub consumption_model: Option<String>,
    pub is_free: bool,
    pub block_on_exhaustion: bool,
    pub sort_order: i64,
    pub plan_group_id: Option<String>,
    pub default_interval: Option<String>,
    pub deleted: bool,
}

pub fn plan(conn: &Connection, plan_id: &str) -> Result<PlanInfo, ApiError> {
    conn.query_row(
        "SELECT id, code, name, consumption_model, is_free, block_on_exhaustion, sort_order, plan_group_id, default_interval,
                deleted_at IS NOT NULL FROM plans WHERE id = ?1",
        [plan_id],
        |r| {
            Ok(PlanInfo {
                id: r.get(0)?,
                code: r.get(1)?,
                name: r.get(2)?,
                consumption_model: r.get(3)?,
                is_free: r.get(4)?,
                block_on_exhaustion: r.get::<_, Option<bool>>(5)?.unwrap_or(false),
                sort_order: r.get(6)?,
                plan_group_id: r.get(7)?,
                default_interval: r.get(8)?,
                deleted: r.get(9)?,
            })
        },
    )
    .optional()?
    .ok_or_else(|| ApiError::internal(format!("plan {plan_id} of a subscription is missing")))
}

/// What billing needs of a price (archived prices included).
#[derive(Debug, Clone, PartialEq)]
pub struct PriceInfo {
    pub id: String,
    pub plan_id: String,
    pub billing_interval: String,
    pub price: i64,
    pub trial_days: i64,
    pub included_credits: Option<i64>,
    pub included_balance: Option<i64>,
    pub offer_id: Option<String>,
    pub archived: bool,
}

pub fn price(conn: &Connection, price_id: &str) -> Result<Option<PriceInfo>, ApiError> {
    Ok(conn
        .query_row(
            "SELECT id, plan_id, billing_interval, price, trial_days, included_credits, included_balance, offer_id,
                    archived_at IS NOT NULL FROM plan_prices WHERE id = ?1",
            [price_id],
            |r| {
                Ok(PriceInfo {
                    id: r.get(0)?,
                    plan_id: r.get(1)?,
                    billing_interval: r.get(2)?,
                    price: r.get(3)?,
                    trial_days: r.get(4)?,
                    included_credits: r.get(5)?,
                    included_balance: r.get(6)?,
                    offer_id: r.get(7)?,
                    archived: r.get(8)?,
                })
            },
        )
        .optional()?)
}

/// The price a new selection of `plan` in `interval` gets: the default
/// price of that interval, else its oldest active price.
pub fn default_price(
    conn: &Connection,
    plan_id: &str,
    interval: &str,
) -> Result<Option<PriceInfo>, ApiError> {
    let id: Option<String> = conn
        .query_row(
            "SELECT id FROM plan_prices WHERE plan_id = ?1 AND billing_interval = ?2 AND archived_at IS NULL
             ORDER BY is_default DESC, seq LIMIT 1",
            rusqlite::params![plan_id, interval],
            |r| r.get(0),
        )
        .optional()?;
    match id {
        Some(id) => price(conn, &id),
        None => Ok(None),
    }
}

/// Whether the plan has any active price.
pub fn has_prices(conn: &Connection, plan_id: &str) -> Result<bool, ApiError> {
    super::store::exists(
        conn,
        "SELECT 1 FROM plan_prices WHERE plan_id = ?1 AND archived_at IS NULL",
        [plan_id],
    )
}

// -- time -------------------------------------------------------------------------

/// Interval lengths, shortest first (for "shorter → longer" decisions).
pub fn interval_rank(interval: &str) -> i64 {
    match interval {
        "weekly" => 1,
        "monthly" => 2,
        "quarterly" => 3,
        "yearly" => 4,
        _ => 0,
    }
}

fn days_in_month(year: i32, month: u32) -> u32 {
    let (ny, nm) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    let first_next = chrono::NaiveDate::from_ymd_opt(ny, nm, 1);
    let first = chrono::NaiveDate::from_ymd_opt(year, month, 1);
    match (first, first_next) {
        (Some(a), Some(b)) => (b - a).num_days() as u32,
        _ => 28,
    }
}

/// `t` plus `months` calendar months, on `anchor_day` (clamped to the
/// month's length: an anchor of 31 bills on Feb 28/29, then back on 31).
pub fn add_months(t: DateTime<Utc>, months: u32, anchor_day: u32) -> DateTime<Utc> {
    let total = t.year() as i64 * 12 + (t.month0() as i64) + months as i64;
    let year = (total.div_euclid(12)) as i32;
    let month = (total.rem_euclid(12)) as u32 + 1;
    let day = anchor_day.clamp(1, 31).min(days_in_month(year, month));
    let time = t.time();
    chrono::NaiveDate::from_ymd_opt(year, month, day)
        .map(|d| Utc.from_utc_datetime(&d.and_time(time)))
        .unwrap_or(t + Duration::days(30 * months as i64))
}

/// The end of a billing period that starts at `start`.
pub fn period_end(start: DateTime<Utc>, interval: &str, anchor_day: u32) -> DateTime<Utc> {
    match interval {
        "weekly" => start + Duration::days(7),
        "quarterly" => add_months(start, 3, anchor_day),
        "yearly" => add_months(start, 12, anchor_day),
        // monthly, and one-time (whose later cycles bill usage monthly)
        _ => add_months(start, 1, anchor_day),
    }
}

/// The end of the usage window that starts at `start` inside a billing
/// period ending at `period_end`: weekly plans reset every 7 days, every
/// other plan monthly on the billing day; never past the period's end.
pub fn usage_end(
    start: DateTime<Utc>,
    interval: &str,
    anchor_day: u32,
    period_end: DateTime<Utc>,
) -> DateTime<Utc> {
    let next = if interval == "weekly" {
        start + Duration::days(7)
    } else {
        add_months(start, 1, anchor_day)
    };
    next.min(period_end)
}

/// Whole days from `from` to `to`, a started day counting as a whole one.
pub fn days_ceil(from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
    let secs = (to - from).num_seconds();
    if secs <= 0 {
        0
    } else {
        (secs + 86_399) / 86_400
    }
}

/// Calendar days of a period (rounded to the nearest day).
pub fn days_round(from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
    let secs = (to - from).num_seconds().max(0);
    ((secs + 43_200) / 86_400).max(1)
}

/// `(days remaining, days in the period)` at `at`.
pub fn remaining_days(at: DateTime<Utc>, start: DateTime<Utc>, end: DateTime<Utc>) -> (i64, i64) {
    let total = days_round(start, end);
    (days_ceil(at, end).min(total), total)
}

// -- money --------------------------------------------------------------------------

/// `a × num / den`, rounded half up (amounts are never negative here).
pub fn mul_div_round(a: i64, num: i64, den: i64) -> i64 {
    if den == 0 {
        return 0;
    }
    let (a, num, den) = (a as i128, num as i128, den as i128);
    let n = a * num * 2 + den;
    let v = n.div_euclid(2 * den);
    v as i64
}

/// `amount × days_remaining / days_total`, half up.
pub fn prorate(amount: i64, remaining: i64, total: i64) -> i64 {
    mul_div_round(amount, remaining, total)
}

/// Cents for `units` at a rate-scale unit price (10000 = 1.00): half up.
pub fn units_cost_cents(units: i64, unit_price_rate: i64) -> i64 {
    mul_div_round(units, unit_price_rate, 100)
}

/// `"$12.34"`-style amount for descriptions and pages.
pub fn money(cents: i64, currency: &str) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    format!(
        "{sign}{}.{:02} {}",
        abs / 100,
        abs % 100,
        currency.to_uppercase()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::ids::parse_instant;

    fn t(s: &str) -> DateTime<Utc> {
        parse_instant(s).unwrap()
    }

    #[test]
    fn months_keep_the_anchor_day() {
        let jan31 = t("2026-01-31T10:00:00Z");
        assert_eq!(add_months(jan31, 1, 31), t("2026-02-28T10:00:00Z"));
        assert_eq!(
            add_months(t("2026-02-28T10:00:00Z"), 1, 31),
            t("2026-03-31T10:00:00Z")
        );
        assert_eq!(
            add_months(t("2026-11-15T00:00:00Z"), 3, 15),
            t("2027-02-15T00:00:00Z")
        );
        assert_eq!(
            period_end(t("2026-01-01T00:00:00Z"), "weekly", 1),
            t("2026-01-08T00:00:00Z")
        );
        assert_eq!(
            period_end(t("2026-01-01T00:00:00Z"), "yearly", 1),
            t("2027-01-01T00:00:00Z")
        );
    }

    #[test]
    fn proration_examples_from_the_fact_sheet() {
        // $29 plan, 15 of 30 days left: credit $14.50.
        assert_eq!(prorate(2900, 15, 30), 1450);
        // $50 add-on with 20 of 31 days left: $32.26.
        assert_eq!(prorate(5000, 20, 31), 3226);
        // quarterly $300, 45 of 90 days left: $150.
        assert_eq!(prorate(30000, 45, 90), 15000);
        // 150 units at rate 100 (= $0.01): $1.50; 3 units at 5050 ($0.505): $1.52 (half up).
        assert_eq!(units_cost_cents(150, 100), 150);
        assert_eq!(units_cost_cents(3, 5050), 152);
    }

    #[test]
    fn day_counts() {
        let start = t("2026-01-01T00:00:00Z");
        let end = t("2026-01-31T00:00:00Z");
        assert_eq!(
            remaining_days(t("2026-01-16T00:00:00Z"), start, end),
            (15, 30)
        );
        assert_eq!(
            remaining_days(t("2026-01-15T23:00:00Z"), start, end),
            (16, 30)
        );
        assert_eq!(money(8450, "usd"), "84.50 USD");
    }
}
