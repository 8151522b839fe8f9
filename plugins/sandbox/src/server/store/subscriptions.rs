//! Subscriptions, their add-ons and saved payment methods.
//!
//! The billing rules (checkout, renewals, plan changes, dunning) live in
//! `server::billing`; this module is the SQL and the JSON rendering. It also
//! holds migration 2 ([`V2_BILLING`]), the schema of every billing table
//! (subscriptions, add-on activations, payment methods, checkout sessions,
//! invoices, transactions, payments, test-clock runs).
//!
//! Contract with the usage/entitlement code: [`LiveSubscription`],
//! [`live_for_customer`] and [`active_addon_feature_grants`].

use chrono::{DateTime, Utc};
use rusqlite::types::Value as SqlValue;
use rusqlite::{params, Connection, OptionalExtension};
use serde_json::{json, Value};

use super::page::{self, Filter, Order, Page, PageParams};
use super::{json_text, parse_json};
use crate::server::error::ApiError;
use crate::server::ids;

/// Migration 2: the billing engine's tables.
pub const V2_BILLING: &str = r#"
CREATE TABLE subscriptions (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    org_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    plan_id TEXT NOT NULL,
    price_id TEXT,
    name TEXT,
    description TEXT,
    status TEXT NOT NULL,
    billing_interval TEXT NOT NULL,
    currency TEXT NOT NULL DEFAULT 'usd',
    provider TEXT,
    start_date TEXT NOT NULL,
    period_start TEXT NOT NULL,
    period_end TEXT NOT NULL,
    usage_start TEXT NOT NULL,
    usage_end TEXT NOT NULL,
    billing_day INTEGER,
    trial_start TEXT,
    trial_end TEXT,
    cancel_at_period_end INTEGER NOT NULL DEFAULT 0,
    cancel_requested_at TEXT,
    cancel_reason TEXT,
    canceled_at TEXT,
    ended_at TEXT,
    scheduled_change TEXT,
    checkout_token TEXT,
    success_url TEXT,
    initial_seats TEXT,
    payment_method_id TEXT,
    offer TEXT,
    offer_cycle INTEGER NOT NULL DEFAULT 0,
    paid_base INTEGER NOT NULL DEFAULT 0,
    dunning_retries INTEGER NOT NULL DEFAULT 0,
    next_retry_at TEXT,
    dunning_invoice_id TEXT,
    upcoming_sent_for TEXT,
    trial_will_end_sent INTEGER NOT NULL DEFAULT 0,
    seat_advance TEXT,
    activated_once INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX subscriptions_customer ON subscriptions (org_id, customer_id, seq);
CREATE INDEX subscriptions_status ON subscriptions (org_id, status);

CREATE TABLE subscription_addons (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    org_id TEXT NOT NULL,
    subscription_id TEXT NOT NULL,
    addon_id TEXT NOT NULL,
    status TEXT NOT NULL,
    prorated_charge INTEGER NOT NULL DEFAULT 0,
    invoice_id TEXT,
    activated_at TEXT NOT NULL,
    deactivated_at TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX subscription_addons_sub ON subscription_addons (subscription_id, status);

CREATE TABLE payment_methods (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    org_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    card_number TEXT NOT NULL,
    brand TEXT NOT NULL,
    last4 TEXT NOT NULL,
    exp_month INTEGER NOT NULL,
    exp_year INTEGER NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX payment_methods_customer ON payment_methods (customer_id, seq);

CREATE TABLE checkout_sessions (
    token TEXT PRIMARY KEY,
    org_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    subscription_id TEXT,
    invoice_id TEXT,
    payment_id TEXT,
    target TEXT,
    success_url TEXT,
    status TEXT NOT NULL DEFAULT 'open',
    last_error TEXT,
    created_at TEXT NOT NULL,
    completed_at TEXT
);
CREATE INDEX checkout_sessions_sub ON checkout_sessions (subscription_id);

CREATE TABLE invoices (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    org_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    subscription_id TEXT,
    invoice_number TEXT NOT NULL,
    status TEXT NOT NULL,
    invoice_type TEXT NOT NULL,
    currency TEXT NOT NULL,
    subtotal INTEGER NOT NULL,
    discount_amount INTEGER NOT NULL DEFAULT 0,
    tax_amount INTEGER NOT NULL DEFAULT 0,
    total INTEGER NOT NULL,
    credit_applied INTEGER NOT NULL DEFAULT 0,
    period_start TEXT NOT NULL,
    period_end TEXT NOT NULL,
    issue_date TEXT NOT NULL,
    due_date TEXT NOT NULL,
    memo TEXT,
    metadata TEXT,
    plan_name TEXT,
    po_number TEXT,
    reference TEXT,
    line_items TEXT NOT NULL,
    paid_at TEXT,
    sent_at TEXT,
    overdue_notified INTEGER NOT NULL DEFAULT 0,
    download_token TEXT,
    download_expires_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX invoices_customer ON invoices (org_id, customer_id, seq);
CREATE INDEX invoices_subscription ON invoices (subscription_id, seq);
CREATE UNIQUE INDEX invoices_number ON invoices (org_id, invoice_number);

CREATE TABLE transactions (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    org_id TEXT NOT NULL,
    customer_id TEXT,
    invoice_id TEXT,
    subscription_id TEXT,
    payment_id TEXT,
    gross_amount INTEGER NOT NULL,
    subtotal INTEGER NOT NULL,
    tax_amount INTEGER NOT NULL DEFAULT 0,
    presentment_amount INTEGER NOT NULL,
    currency TEXT NOT NULL,
    provider TEXT NOT NULL,
    status TEXT NOT NULL,
    failure_code TEXT,
    failure_message TEXT,
    customer_email TEXT,
    customer_name TEXT,
    paid_at TEXT,
    refund_id TEXT,
    refunded_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX transactions_org ON transactions (org_id, seq);
CREATE INDEX transactions_invoice ON transactions (invoice_id);

CREATE TABLE payments (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    org_id TEXT NOT NULL,
    customer_id TEXT,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    provider TEXT NOT NULL,
    amount_subtotal INTEGER NOT NULL,
    tax_amount INTEGER NOT NULL DEFAULT 0,
    amount_total INTEGER NOT NULL,
    currency TEXT NOT NULL,
    description TEXT NOT NULL,
    metadata TEXT,
    checkout_token TEXT,
    success_url TEXT,
    expires_at TEXT,
    invoice_id TEXT,
    transaction_id TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX payments_org ON payments (org_id, seq);

CREATE TABLE plan_grants (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    org_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    subscription_id TEXT NOT NULL,
    base_plan_id TEXT NOT NULL,
    plan_id TEXT NOT NULL,
    status TEXT NOT NULL,
    duration TEXT NOT NULL,
    duration_cycles INTEGER,
    starts_at TEXT NOT NULL,
    expires_at TEXT,
    reason TEXT NOT NULL,
    source TEXT NOT NULL,
    revoked_at TEXT,
    events TEXT NOT NULL DEFAULT '[]',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX plan_grants_customer ON plan_grants (org_id, customer_id, seq);
CREATE INDEX plan_grants_subscription ON plan_grants (subscription_id, status);

CREATE TABLE test_clock_runs (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    org_id TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX test_clock_runs_org ON test_clock_runs (org_id, seq);
"#;

/// Statuses in which a customer "has" a subscription (one at most).
pub const LIVE_STATUSES: &[&str] = &["draft", "trialing", "active", "past_due", "pending_payment"];

pub const STATUSES: &[&str] = &[
    "draft",
    "pending_payment",
    "trialing",
    "active",
    "past_due",
    "canceled",
];

/// What the usage and entitlement code needs to know about a customer's
/// live subscription.
///
/// `period_start`/`period_end` are the **usage period**: the window in which
/// metered usage accumulates and at whose end it resets. It equals the
/// billing period for weekly and monthly prices; quarterly, yearly and
/// one-time prices reset usage monthly on the billing day, so for them it is
/// the current monthly window inside the billing period. While trialing it
/// is the trial (or its current month when the trial is longer); while
/// `pending_payment` it is the nominal first period.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveSubscription {
    pub id: String,
    /// `cus_` id.
    pub customer_id: String,
    pub plan_id: String,
    pub price_id: Option<String>,
    /// trialing | active | past_due | pending_payment | draft
    pub status: String,
    pub billing_interval: String,
    pub currency: String,
    pub period_start: DateTime<Utc>,
    pub period_end: DateTime<Utc>,
    pub trial_end: Option<DateTime<Utc>>,
    pub consumption_model: Option<String>,
    pub is_free: bool,
    pub block_on_exhaustion: bool,
}

/// A subscription row.
#[derive(Debug, Clone, PartialEq)]
pub struct Sub {
    pub seq: i64,
    pub id: String,
    pub org_id: String,
    pub customer_id: String,
    pub plan_id: String,
    pub price_id: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub status: String,
    pub billing_interval: String,
    pub currency: String,
    pub provider: Option<String>,
    pub start_date: String,
    pub period_start: String,
    pub period_end: String,
    pub usage_start: String,
    pub usage_end: String,
    pub billing_day: Option<i64>,
    pub trial_start: Option<String>,
    pub trial_end: Option<String>,
    pub cancel_at_period_end: bool,
    pub cancel_requested_at: Option<String>,
    pub cancel_reason: Option<String>,
    pub canceled_at: Option<String>,
    pub ended_at: Option<String>,
    pub scheduled_change: Option<Value>,
    pub checkout_token: Option<String>,
    pub success_url: Option<String>,
    pub initial_seats: Option<Value>,
    pub payment_method_id: Option<String>,
    pub offer: Option<Value>,
    pub offer_cycle: i64,
    pub paid_base: i64,
    pub dunning_retries: i64,
    pub next_retry_at: Option<String>,
    pub dunning_invoice_id: Option<String>,
    pub upcoming_sent_for: Option<String>,
    pub trial_will_end_sent: bool,
    pub seat_advance: Option<Value>,
    pub activated_once: bool,
    pub created_at: String,
    pub updated_at: String,
}

const COLS: &str = "seq, id, org_id, customer_id, plan_id, price_id, name, description, status, billing_interval, currency, \
    provider, start_date, period_start, period_end, usage_start, usage_end, billing_day, trial_start, trial_end, \
    cancel_at_period_end, cancel_requested_at, cancel_reason, canceled_at, ended_at, scheduled_change, checkout_token, \
    success_url, initial_seats, payment_method_id, offer, offer_cycle, paid_base, dunning_retries, next_retry_at, \
    dunning_invoice_id, upcoming_sent_for, trial_will_end_sent, seat_advance, activated_once, created_at, updated_at";

fn opt_json(text: Option<String>) -> Option<Value> {
    Some(parse_json(text)).filter(|v| !v.is_null())
}

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Sub> {
    Ok(Sub {
        seq: r.get(0)?,
        id: r.get(1)?,
        org_id: r.get(2)?,
        customer_id: r.get(3)?,
        plan_id: r.get(4)?,
        price_id: r.get(5)?,
        name: r.get(6)?,
        description: r.get(7)?,
        status: r.get(8)?,
        billing_interval: r.get(9)?,
        currency: r.get(10)?,
        provider: r.get(11)?,
        start_date: r.get(12)?,
        period_start: r.get(13)?,
        period_end: r.get(14)?,
        usage_start: r.get(15)?,
        usage_end: r.get(16)?,
        billing_day: r.get(17)?,
        trial_start: r.get(18)?,
        trial_end: r.get(19)?,
        cancel_at_period_end: r.get(20)?,
        cancel_requested_at: r.get(21)?,
        cancel_reason: r.get(22)?,
        canceled_at: r.get(23)?,
        ended_at: r.get(24)?,
        scheduled_change: opt_json(r.get(25)?),
        checkout_token: r.get(26)?,
        success_url: r.get(27)?,
        initial_seats: opt_json(r.get(28)?),
        payment_method_id: r.get(29)?,
        offer: opt_json(r.get(30)?),
        offer_cycle: r.get(31)?,
        paid_base: r.get(32)?,
        dunning_retries: r.get(33)?,
        next_retry_at: r.get(34)?,
        dunning_invoice_id: r.get(35)?,
        upcoming_sent_for: r.get(36)?,
        trial_will_end_sent: r.get(37)?,
        seat_advance: opt_json(r.get(38)?),
        activated_once: r.get(39)?,
        created_at: r.get(40)?,
        updated_at: r.get(41)?,
    })
}

fn instant(text: &str) -> Result<DateTime<Utc>, ApiError> {
    ids::parse_instant(text)
        .ok_or_else(|| ApiError::internal(format!("a stored timestamp is unreadable: {text}")))
}

impl Sub {
    pub fn is_live(&self) -> bool {
        LIVE_STATUSES.contains(&self.status.as_str())
    }

    pub fn period_start_at(&self) -> Result<DateTime<Utc>, ApiError> {
        instant(&self.period_start)
    }

    pub fn period_end_at(&self) -> Result<DateTime<Utc>, ApiError> {
        instant(&self.period_end)
    }

    pub fn usage_start_at(&self) -> Result<DateTime<Utc>, ApiError> {
        instant(&self.usage_start)
    }

    pub fn usage_end_at(&self) -> Result<DateTime<Utc>, ApiError> {
        instant(&self.usage_end)
    }

    pub fn trial_end_at(&self) -> Result<Option<DateTime<Utc>>, ApiError> {
        self.trial_end.as_deref().map(instant).transpose()
    }
}

/// The first row matching `condition` (after `WHERE`), if any.
fn find(
    conn: &Connection,
    condition: &str,
    params: impl rusqlite::Params,
) -> Result<Option<Sub>, ApiError> {
    let sql = format!("SELECT {COLS} FROM subscriptions WHERE {condition}");
    Ok(conn.query_row(&sql, params, from_row).optional()?)
}

pub fn get(conn: &Connection, org_id: &str, id: &str) -> Result<Option<Sub>, ApiError> {
    find(conn, "org_id = ?1 AND id = ?2", params![org_id, id])
}

/// Like [`get`], answering `subscription_not_found`.
pub fn require(conn: &Connection, org_id: &str, id: &str) -> Result<Sub, ApiError> {
    get(conn, org_id, id)?.ok_or_else(|| {
        ApiError::not_found(
            "subscription_not_found",
            format!("No subscription with id `{id}`"),
        )
        .param("id")
    })
}

/// The customer's live subscription row (`cus_` id), if any.
pub fn live_row(
    conn: &Connection,
    org_id: &str,
    customer_id: &str,
) -> Result<Option<Sub>, ApiError> {
    find(
        conn,
        "org_id = ?1 AND customer_id = ?2
           AND status IN ('draft','trialing','active','past_due','pending_payment') ORDER BY seq DESC LIMIT 1",
        params![org_id, customer_id],
    )
}

/// The customer's most recent subscription in any status.
pub fn latest_row(
    conn: &Connection,
    org_id: &str,
    customer_id: &str,
) -> Result<Option<Sub>, ApiError> {
    find(
        conn,
        "org_id = ?1 AND customer_id = ?2 ORDER BY seq DESC LIMIT 1",
        params![org_id, customer_id],
    )
}

/// The one draft / trialing / active / past_due / pending_payment
/// subscription of a customer (`customer_id` is the `cus_` id).
pub fn live_for_customer(
    conn: &Connection,
    org_id: &str,
    customer_id: &str,
) -> Result<Option<LiveSubscription>, ApiError> {
    let Some(sub) = live_row(conn, org_id, customer_id)? else {
        return Ok(None);
    };
    let (consumption_model, is_free, block): (Option<String>, bool, Option<bool>) = conn
        .query_row(
            "SELECT consumption_model, is_free, block_on_exhaustion FROM plans WHERE id = ?1",
            [&sub.plan_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?
        .unwrap_or((None, false, None));
    Ok(Some(LiveSubscription {
        period_start: sub.usage_start_at()?,
        period_end: sub.usage_end_at()?,
        trial_end: if sub.status == "trialing" {
            sub.trial_end_at()?
        } else {
            None
        },
        id: sub.id,
        customer_id: sub.customer_id,
        plan_id: sub.plan_id,
        price_id: sub.price_id,
        status: sub.status,
        billing_interval: sub.billing_interval,
        currency: sub.currency,
        consumption_model,
        is_free,
        block_on_exhaustion: block.unwrap_or(false),
    }))
}

/// Features granted by the subscription's active add-ons, one object per
/// add-on:
///
/// ```json
/// {"addonId":"adn_…","slug":"…","name":"…","featureId":"ftr_…","featureCode":"…",
///  "featureName":"…","featureType":"boolean|usage|seats|quota",
///  "consumptionModel":"boolean|metered|credits|balance","includedUnits":n|null,
///  "overageRate":n|null,"creditCost":x|null,"basePrice":cents,"activatedAt":"ISO"}
/// ```
///
/// `overageRate` is in the rate scale (10000 = 1.00), like plan overage.
pub fn active_addon_feature_grants(
    conn: &Connection,
    org_id: &str,
    subscription_id: &str,
) -> Result<Vec<Value>, ApiError> {
    let mut stmt = conn.prepare_cached(
        "SELECT a.id, a.slug, a.name, f.id, f.code, f.name, f.type, a.consumption_model, a.included_units,
                a.overage_rate, a.credit_cost, a.base_price, sa.activated_at
         FROM subscription_addons sa JOIN addons a ON a.id = sa.addon_id JOIN features f ON f.id = a.feature_id
         WHERE sa.org_id = ?1 AND sa.subscription_id = ?2 AND sa.status = 'active' ORDER BY sa.seq",
    )?;
    let rows = stmt.query_map(params![org_id, subscription_id], |r| {
        Ok(json!({
            "addonId": r.get::<_, String>(0)?,
            "slug": r.get::<_, String>(1)?,
            "name": r.get::<_, String>(2)?,
            "featureId": r.get::<_, String>(3)?,
            "featureCode": r.get::<_, String>(4)?,
            "featureName": r.get::<_, String>(5)?,
            "featureType": r.get::<_, String>(6)?,
            "consumptionModel": r.get::<_, String>(7)?,
            "includedUnits": r.get::<_, Option<i64>>(8)?,
            "overageRate": r.get::<_, Option<i64>>(9)?,
            "creditCost": super::opt_number(r.get::<_, Option<f64>>(10)?),
            "basePrice": r.get::<_, i64>(11)?,
            "activatedAt": r.get::<_, String>(12)?,
        }))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

// -- writes -----------------------------------------------------------------

/// Inserts a row (its `seq` is ignored) and returns it as stored.
pub fn insert(conn: &Connection, s: &Sub) -> Result<Sub, ApiError> {
    conn.execute(
        "INSERT INTO subscriptions (id, org_id, customer_id, plan_id, price_id, name, description, status, billing_interval,
           currency, provider, start_date, period_start, period_end, usage_start, usage_end, billing_day, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?18)",
        params![
            s.id,
            s.org_id,
            s.customer_id,
            s.plan_id,
            s.price_id,
            s.name,
            s.description,
            s.status,
            s.billing_interval,
            s.currency,
            s.provider,
            s.start_date,
            s.period_start,
            s.period_end,
            s.usage_start,
            s.usage_end,
            s.billing_day,
            s.created_at
        ],
    )?;
    save(conn, s)?;
    require(conn, &s.org_id, &s.id)
}

/// Writes every mutable column of `s` back.
pub fn save(conn: &Connection, s: &Sub) -> Result<(), ApiError> {
    conn.execute(
        "UPDATE subscriptions SET plan_id = ?1, price_id = ?2, name = ?3, description = ?4, status = ?5, billing_interval = ?6,
           currency = ?7, provider = ?8, start_date = ?9, period_start = ?10, period_end = ?11, usage_start = ?12, usage_end = ?13,
           billing_day = ?14, trial_start = ?15, trial_end = ?16, cancel_at_period_end = ?17, cancel_requested_at = ?18,
           cancel_reason = ?19, canceled_at = ?20, ended_at = ?21, scheduled_change = ?22, checkout_token = ?23, success_url = ?24,
           initial_seats = ?25, payment_method_id = ?26, offer = ?27, offer_cycle = ?28, paid_base = ?29, dunning_retries = ?30,
           next_retry_at = ?31, dunning_invoice_id = ?32, upcoming_sent_for = ?33, trial_will_end_sent = ?34, seat_advance = ?35,
           activated_once = ?36, updated_at = ?37
         WHERE id = ?38",
        params![
            s.plan_id,
            s.price_id,
            s.name,
            s.description,
            s.status,
            s.billing_interval,
            s.currency,
            s.provider,
            s.start_date,
            s.period_start,
            s.period_end,
            s.usage_start,
            s.usage_end,
            s.billing_day,
            s.trial_start,
            s.trial_end,
            s.cancel_at_period_end,
            s.cancel_requested_at,
            s.cancel_reason,
            s.canceled_at,
            s.ended_at,
            json_text(&s.scheduled_change),
            s.checkout_token,
            s.success_url,
            json_text(&s.initial_seats),
            s.payment_method_id,
            json_text(&s.offer),
            s.offer_cycle,
            s.paid_base,
            s.dunning_retries,
            s.next_retry_at,
            s.dunning_invoice_id,
            s.upcoming_sent_for,
            s.trial_will_end_sent,
            json_text(&s.seat_advance),
            s.activated_once,
            s.updated_at,
            s.id
        ],
    )?;
    Ok(())
}

/// Subscriptions of an organization whose status is one of `statuses`,
/// oldest first (the clock processes them).
pub fn in_statuses(
    conn: &Connection,
    org_id: &str,
    statuses: &[&str],
) -> Result<Vec<Sub>, ApiError> {
    let marks = vec!["?"; statuses.len()].join(",");
    let sql = format!(
        "SELECT {COLS} FROM subscriptions WHERE org_id = ? AND status IN ({marks}) ORDER BY seq"
    );
    let mut stmt = conn.prepare(&sql)?;
    let mut values: Vec<SqlValue> = vec![SqlValue::from(org_id.to_owned())];
    values.extend(statuses.iter().map(|s| SqlValue::from((*s).to_owned())));
    let rows = stmt.query_map(rusqlite::params_from_iter(values), from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// List filters.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// `cus_` id.
    pub customer_id: Option<String>,
    pub status: Option<String>,
}

/// A page of rows, newest first.
pub fn list(
    conn: &Connection,
    org_id: &str,
    filter: ListFilter,
    page: PageParams,
) -> Result<Page<Sub>, ApiError> {
    let f = Filter::org(org_id)
        .and_opt("customer_id = ?", filter.customer_id)
        .and_opt("status = ?", filter.status);
    page::list(
        conn,
        "subscriptions",
        COLS,
        f,
        page,
        Order::NewestFirst,
        from_row,
    )
}

// -- add-on activations -------------------------------------------------------

/// The active activation of an add-on on a subscription: `(activation id, activated_at)`.
pub fn active_addon(
    conn: &Connection,
    subscription_id: &str,
    addon_id: &str,
) -> Result<Option<(String, String)>, ApiError> {
    Ok(conn
        .query_row(
            "SELECT id, activated_at FROM subscription_addons WHERE subscription_id = ?1 AND addon_id = ?2 AND status = 'active'",
            params![subscription_id, addon_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?)
}

pub fn insert_addon(
    conn: &Connection,
    org_id: &str,
    subscription_id: &str,
    addon_id: &str,
    prorated_charge: i64,
    invoice_id: Option<&str>,
    at: &str,
) -> Result<String, ApiError> {
    let id = ids::new_id("sad_");
    conn.execute(
        "INSERT INTO subscription_addons (id, org_id, subscription_id, addon_id, status, prorated_charge, invoice_id, activated_at, created_at)
         VALUES (?1, ?2, ?3, ?4, 'active', ?5, ?6, ?7, ?7)",
        params![id, org_id, subscription_id, addon_id, prorated_charge, invoice_id, at],
    )?;
    Ok(id)
}

pub fn deactivate_addon(conn: &Connection, activation_id: &str, at: &str) -> Result<(), ApiError> {
    conn.execute(
        "UPDATE subscription_addons SET status = 'inactive', deactivated_at = ?1 WHERE id = ?2",
        params![at, activation_id],
    )?;
    Ok(())
}

/// Active add-ons of a subscription: `(addon id, name, base price cents, feature code)`.
pub fn active_addons(
    conn: &Connection,
    subscription_id: &str,
) -> Result<Vec<(String, String, i64, String)>, ApiError> {
    let mut stmt = conn.prepare_cached(
        "SELECT a.id, a.name, a.base_price, f.code FROM subscription_addons sa JOIN addons a ON a.id = sa.addon_id
         JOIN features f ON f.id = a.feature_id WHERE sa.subscription_id = ?1 AND sa.status = 'active' ORDER BY sa.seq",
    )?;
    let rows = stmt.query_map([subscription_id], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// `ActiveAddon` objects of the customer's live subscription.
pub fn active_addons_json(
    conn: &Connection,
    org_id: &str,
    customer_id: &str,
) -> Result<Vec<Value>, ApiError> {
    let Some(sub) = live_row(conn, org_id, customer_id)? else {
        return Ok(Vec::new());
    };
    let mut stmt = conn.prepare_cached(
        "SELECT a.slug, a.name, a.base_price, f.code, f.name, f.type, a.consumption_model, sa.activated_at
         FROM subscription_addons sa JOIN addons a ON a.id = sa.addon_id JOIN features f ON f.id = a.feature_id
         WHERE sa.subscription_id = ?1 AND sa.status = 'active' ORDER BY sa.seq",
    )?;
    let rows = stmt.query_map([&sub.id], |r| {
        Ok(json!({
            "slug": r.get::<_, String>(0)?,
            "name": r.get::<_, String>(1)?,
            "basePrice": r.get::<_, i64>(2)?,
            "featureCode": r.get::<_, String>(3)?,
            "featureName": r.get::<_, String>(4)?,
            "featureType": r.get::<_, String>(5)?,
            "consumptionModel": r.get::<_, String>(6)?,
            "activatedAt": r.get::<_, String>(7)?,
            "object": "subscription_addon",
            "livemode": false,
        }))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

// -- payment methods -----------------------------------------------------------

/// A saved (sandbox test) card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentMethod {
    pub id: String,
    pub customer_id: String,
    pub card_number: String,
    pub brand: String,
    pub last4: String,
    pub exp_month: i64,
    pub exp_year: i64,
}

impl PaymentMethod {
    /// `WebhookCardInfo`.
    pub fn card_json(&self) -> Value {
        json!({ "brand": self.brand, "last4": self.last4, "expMonth": self.exp_month, "expYear": self.exp_year })
    }
}

pub fn insert_payment_method(
    conn: &Connection,
    org_id: &str,
    customer_id: &str,
    card_number: &str,
    brand: &str,
) -> Result<PaymentMethod, ApiError> {
    let id = ids::new_id("pm_");
    let last4: String = card_number
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    conn.execute(
        "INSERT INTO payment_methods (id, org_id, customer_id, card_number, brand, last4, exp_month, exp_year, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 12, 2034, ?7)",
        params![id, org_id, customer_id, card_number, brand, last4, ids::now()],
    )?;
    Ok(PaymentMethod {
        id,
        customer_id: customer_id.to_owned(),
        card_number: card_number.to_owned(),
        brand: brand.to_owned(),
        last4,
        exp_month: 12,
        exp_year: 2034,
    })
}

fn pm_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<PaymentMethod> {
    Ok(PaymentMethod {
        id: r.get(0)?,
        customer_id: r.get(1)?,
        card_number: r.get(2)?,
        brand: r.get(3)?,
        last4: r.get(4)?,
        exp_month: r.get(5)?,
        exp_year: r.get(6)?,
    })
}

/// The first saved card matching `condition` on `?1`, if any.
fn find_payment_method(
    conn: &Connection,
    condition: &str,
    value: &str,
) -> Result<Option<PaymentMethod>, ApiError> {
    let sql = format!(
        "SELECT id, customer_id, card_number, brand, last4, exp_month, exp_year FROM payment_methods WHERE {condition}"
    );
    Ok(conn.query_row(&sql, [value], pm_from_row).optional()?)
}

pub fn payment_method(conn: &Connection, id: &str) -> Result<Option<PaymentMethod>, ApiError> {
    find_payment_method(conn, "id = ?1", id)
}

/// The customer's most recently saved card.
pub fn customer_payment_method(
    conn: &Connection,
    customer_id: &str,
) -> Result<Option<PaymentMethod>, ApiError> {
    find_payment_method(
        conn,
        "customer_id = ?1 ORDER BY seq DESC LIMIT 1",
        customer_id,
    )
}

// -- checkout sessions ------------------------------------------------------------

/// A hosted checkout page (`/checkout/{token}`).
#[derive(Debug, Clone, PartialEq)]
pub struct CheckoutSession {
    pub token: String,
    pub org_id: String,
    /// subscription | trial | plan_change | payment_method | recovery | payment
    pub kind: String,
    pub subscription_id: Option<String>,
    pub invoice_id: Option<String>,
    pub payment_id: Option<String>,
    pub target: Option<Value>,
    pub success_url: Option<String>,
    /// open | completed | expired
    pub status: String,
    pub last_error: Option<String>,
    pub created_at: String,
}

#[allow(clippy::too_many_arguments)]
pub fn insert_checkout(
    conn: &Connection,
    org_id: &str,
    kind: &str,
    subscription_id: Option<&str>,
    invoice_id: Option<&str>,
    payment_id: Option<&str>,
    target: Option<Value>,
    success_url: Option<&str>,
) -> Result<String, ApiError> {
    let token = ids::new_id("tok_");
    conn.execute(
        "INSERT INTO checkout_sessions (token, org_id, kind, subscription_id, invoice_id, payment_id, target, success_url, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![token, org_id, kind, subscription_id, invoice_id, payment_id, json_text(&target), success_url, ids::now()],
    )?;
    Ok(token)
}

pub fn checkout(conn: &Connection, token: &str) -> Result<Option<CheckoutSession>, ApiError> {
    Ok(conn
        .query_row(
            "SELECT token, org_id, kind, subscription_id, invoice_id, payment_id, target, success_url, status, last_error, created_at
             FROM checkout_sessions WHERE token = ?1",
            [token],
            |r| {
                Ok(CheckoutSession {
                    token: r.get(0)?,
                    org_id: r.get(1)?,
                    kind: r.get(2)?,
                    subscription_id: r.get(3)?,
                    invoice_id: r.get(4)?,
                    payment_id: r.get(5)?,
                    target: opt_json(r.get(6)?),
                    success_url: r.get(7)?,
                    status: r.get(8)?,
                    last_error: r.get(9)?,
                    created_at: r.get(10)?,
                })
            },
        )
        .optional()?)
}

pub fn set_checkout_status(
    conn: &Connection,
    token: &str,
    status: &str,
    last_error: Option<&str>,
) -> Result<(), ApiError> {
    conn.execute(
        "UPDATE checkout_sessions SET status = ?1, last_error = ?2,
           completed_at = CASE WHEN ?1 = 'completed' THEN ?3 ELSE completed_at END WHERE token = ?4",
        params![status, last_error, ids::now(), token],
    )?;
    Ok(())
}

/// Expires every open session of a kind on a subscription.
pub fn expire_checkouts(
    conn: &Connection,
    subscription_id: &str,
    kind: &str,
) -> Result<(), ApiError> {
    conn.execute(
        "UPDATE checkout_sessions SET status = 'expired' WHERE subscription_id = ?1 AND kind = ?2 AND status = 'open'",
        params![subscription_id, kind],
    )?;
    Ok(())
}
