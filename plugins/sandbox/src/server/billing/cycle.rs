//! The test-clock run: every billing deadline of an organization due up to
//! a target time, processed in chronological order with the clock stepped
//! to each deadline (so events and invoices carry that time).
//!
//! Deadlines: `trial.will_end` and `invoice.upcoming` notices (3 days
//! ahead), trial ends, dunning retries, monthly usage resets inside longer
//! periods, period ends (scheduled cancellation, scheduled plan change,
//! renewal with arrears and advance charges, period reset), and the daily
//! `invoice.overdue` scan. At equal times a retry runs before a renewal.

use chrono::{DateTime, Duration, Utc};
use rusqlite::Connection;
use serde_json::{json, Value};

use super::change;
use super::collect::{self, Charged, Draft, Presence};
use super::lifecycle::{
    self, base_lines, charge_sub_invoice, grant_period, net_base, next_period, payment_method_of,
    NOTICE_DAYS,
};
use super::{cards, emit, plan, price, webhook_customer};
use crate::server::clock;
use crate::server::error::ApiError;
use crate::server::ids;
use crate::server::store::invoices::{self, Invoice, Line};
use crate::server::store::subscriptions::{self as subs, Sub};
use crate::server::store::{customers, plans, pools, seats, usage};

/// At most this many deadlines in one run (a runaway guard).
const MAX_DEADLINES: usize = 20_000;

// -- what a subscription is billed for ------------------------------------------------

/// A feature's billing terms on a plan, with active add-ons applied.
struct Term {
    code: String,
    name: String,
    kind: String,
    included: i64,
    unlimited: bool,
    overage: bool,
    /// Rate scale (10000 = 1.00).
    unit_price: i64,
}

fn terms(conn: &Connection, sub: &Sub, plan_id: &str) -> Result<Vec<Term>, ApiError> {
    let addons = subs::active_addon_feature_grants(conn, &sub.org_id, &sub.id)?;
    let mut out = Vec::new();
    for (pf, f) in plans::plan_feature_rows(conn, plan_id)? {
        let mut t = Term {
            code: f.code.clone(),
            name: f.name.clone(),
            kind: f.kind.clone(),
            included: pf.included_amount,
            unlimited: pf.unlimited,
            overage: pf.overage_enabled && pf.enabled,
            unit_price: pf.overage_unit_price,
        };
        if let Some(a) = addons.iter().find(|a| a["featureCode"] == f.code.as_str()) {
            if a["consumptionModel"] == "metered" {
                t.included += a["includedUnits"].as_i64().unwrap_or(0);
                if let Some(r) = a["overageRate"].as_i64() {
                    t.overage = true;
                    t.unit_price = r;
                }
            }
        }
        out.push(t);
    }
    Ok(out)
}

/// Arrears of a usage window `[from, to)`: metered overage, and the
/// balance deficit of a non-blocking balance plan.
pub fn arrears_lines(
    conn: &Connection,
    sub: &Sub,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<Line>, ApiError> {
    let p = plan(conn, &sub.plan_id)?;
    let mut out = Vec::new();
    if p.is_free {
        return Ok(out);
    }
    let metered = matches!(p.consumption_model.as_deref(), None | Some("metered"));
    if metered {
        for t in terms(conn, sub, &sub.plan_id)? {
            if t.kind != "usage" || t.unlimited || !t.overage {
                continue;
            }
            let used = usage::period_usage(conn, &sub.org_id, &sub.id, &t.code, from, to)?;
            let over = used - t.included;
            if over <= 0 {
                continue;
            }
            let amount = super::units_cost_cents(over, t.unit_price);
            let mut line = Line::new(
                "feature_overage",
                format!("{}: {over} over the {} included", t.name, t.included),
                over,
                super::units_cost_cents(1, t.unit_price),
                amount,
                "standard",
            )
            .feature(&t.name);
            line.included_amount = Some(t.included);
            line.used_amount = Some(used);
            line.overage_amount = Some(over);
            out.push(line);
        }
    }
    if p.consumption_model.as_deref() == Some("balance") && !p.block_on_exhaustion {
        let balance = pools::balance(conn, &sub.org_id, &sub.id)?;
        if balance < 0 {
            out.push(Line::new(
                "balance_overage",
                "Usage beyond the included balance",
                1,
                -balance,
                -balance,
                "true_up",
            ));
        }
    }
    Ok(out)
}

fn unit_line_type(kind: &str) -> &'static str {
    if kind == "quota" {
        "feature_quota"
    } else {
        "feature_seats"
    }
}

/// Seats and quota above the included amount of `plan_id`, billed for a
/// whole period in advance.
pub fn advance_unit_lines(
    conn: &Connection,
    sub: &Sub,
    plan_id: &str,
    _interval: &str,
) -> Result<Vec<Line>, ApiError> {
    let mut out = Vec::new();
    for t in terms(conn, sub, plan_id)? {
        if !matches!(t.kind.as_str(), "seats" | "quota") || t.unlimited || !t.overage {
            continue;
        }
        let (current, _) = seats::current(conn, &sub.org_id, &sub.customer_id, &t.code)?;
        let extra = current - t.included;
        if extra > 0 {
            out.push(
                Line::new(
                    unit_line_type(&t.kind),
                    format!("{}: {extra} above the {} included", t.name, t.included),
                    extra,
                    super::units_cost_cents(1, t.unit_price),
                    super::units_cost_cents(extra, t.unit_price),
                    "advance",
                )
                .feature(&t.name),
            );
        }
    }
    Ok(out)
}

/// Day-prorated true-ups for seats / quota that rose above what was billed
/// in advance during the period `[from, to)`.
fn true_up_lines(
    conn: &Connection,
    sub: &Sub,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<Line>, ApiError> {
    let mut out = Vec::new();
    let total_days = super::days_round(from, to);
    for t in terms(conn, sub, &sub.plan_id)? {
        if !matches!(t.kind.as_str(), "seats" | "quota") || t.unlimited || !t.overage {
            continue;
        }
        let start = seats::high_water(conn, &sub.org_id, &sub.customer_id, &t.code, from, from)?;
        let mut peak = start;
        let mut level = start.max(t.included);
        let mut units_total = 0;
        let mut amount = 0;
        for (at, added) in seats::rises(conn, &sub.org_id, &sub.customer_id, &t.code, from, to)? {
            peak += added;
            if peak > level {
                let units = peak - level;
                let days = super::days_ceil(at, to).min(total_days);
                amount += super::mul_div_round(units * t.unit_price, days, total_days * 100);
                units_total += units;
                level = peak;
            }
        }
        if amount > 0 {
            out.push(
                Line::new(
                    unit_line_type(&t.kind),
                    format!(
                        "{}: {units_total} added during the period (prorated)",
                        t.name
                    ),
                    units_total,
                    super::units_cost_cents(1, t.unit_price),
                    amount,
                    "true_up",
                )
                .feature(&t.name),
            );
        }
    }
    Ok(out)
}

// -- deadlines ------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    // Order = priority at equal times.
    Overdue,
    GrantExpiry,
    TrialWillEnd,
    Upcoming,
    Retry,
    UsageReset,
    TrialEnd,
    PeriodEnd,
}

#[derive(Debug, Clone)]
struct Deadline {
    at: DateTime<Utc>,
    kind: Kind,
    /// Subscription id, or invoice id for `Overdue`.
    target: String,
}

fn parse(s: &str) -> Option<DateTime<Utc>> {
    ids::parse_instant(s)
}

fn deadlines_of(conn: &Connection, sub: &Sub) -> Result<Vec<Deadline>, ApiError> {
    let mut out = Vec::new();
    let p = plan(conn, &sub.plan_id)?;
    let d = |at: DateTime<Utc>, kind| Deadline {
        at,
        kind,
        target: sub.id.clone(),
    };
    match sub.status.as_str() {
        "trialing" => {
            if let Some(end) = sub.trial_end.as_deref().and_then(parse) {
                if !sub.trial_will_end_sent && !sub.cancel_at_period_end {
                    out.push(d(end - Duration::days(NOTICE_DAYS), Kind::TrialWillEnd));
                }
                out.push(d(end, Kind::TrialEnd));
                if let (Some(ue), true) = (parse(&sub.usage_end), parse(&sub.usage_end) < Some(end))
                {
                    out.push(d(ue, Kind::UsageReset));
                }
            }
        }
        "active" | "past_due" => {
            let end = sub.period_end_at()?;
            let ue = sub.usage_end_at()?;
            if ue < end {
                out.push(d(ue, Kind::UsageReset));
            }
            out.push(d(end, Kind::PeriodEnd));
            let notify = sub.status == "active"
                && !p.is_free
                && !sub.cancel_at_period_end
                && sub.billing_interval != "one_time"
                && sub.upcoming_sent_for.as_deref() != Some(sub.period_end.as_str());
            if notify {
                out.push(d(end - Duration::days(NOTICE_DAYS), Kind::Upcoming));
            }
            if sub.status == "past_due" {
                if let Some(r) = sub.next_retry_at.as_deref().and_then(parse) {
                    out.push(d(r, Kind::Retry));
                }
            }
        }
        _ => {}
    }
    Ok(out)
}

fn next_deadline(
    conn: &Connection,
    org_id: &str,
    target: DateTime<Utc>,
) -> Result<Option<Deadline>, ApiError> {
    let mut all = Vec::new();
    for sub in subs::in_statuses(conn, org_id, &["trialing", "active", "past_due"])? {
        all.extend(deadlines_of(conn, &sub)?);
    }
    for g in crate::server::store::plan_grants::expiring(conn, org_id)? {
        if let Some(at) = g.expires_at.as_deref().and_then(parse) {
            all.push(Deadline {
                at,
                kind: Kind::GrantExpiry,
                target: g.id.clone(),
            });
        }
    }
    for inv in invoices::overdue_candidates(conn, org_id)? {
        if let Some(due) = parse(&inv.due_date) {
            all.push(Deadline {
                at: due + Duration::days(1),
                kind: Kind::Overdue,
                target: inv.id.clone(),
            });
        }
    }
    Ok(all
        .into_iter()
        .filter(|d| d.at <= target)
        .min_by(|a, b| a.at.cmp(&b.at).then(a.kind.cmp(&b.kind))))
}

/// One processed deadline (`TestClockRun.items[]`).
struct Item {
    kind: &'static str,
    due: DateTime<Utc>,
    sub: String,
    invoice: Option<Invoice>,
    outcome: String,
    detail: String,
}

// -- the run ------------------------------------------------------------------------------------

/// Moves the organization's clock to `target` (freezing it there when
/// `freeze`), processing every deadline due on the way. Returns the
/// `TestClockRun` (also stored for `GET /test-clock`).
pub fn run(
    conn: &Connection,
    org_id: &str,
    base: &str,
    target: DateTime<Utc>,
    freeze: bool,
) -> Result<Value, ApiError> {
    let started = clock::now(conn, org_id);
    let run_id = ids::new_id("tcr_");
    let mut items: Vec<Value> = Vec::new();
    let mut completed = 0;
    let mut error: Option<String> = None;
    for _ in 0..MAX_DEADLINES {
        let Some(d) = next_deadline(conn, org_id, target)? else {
            break;
        };
        clock::move_to(conn, org_id, d.at)?;
        conn.execute_batch("SAVEPOINT deadline")?;
        match process(conn, org_id, base, &d) {
            Ok(item) => {
                conn.execute_batch("RELEASE deadline")?;
                if let Some(item) = item {
                    completed += 1;
                    items.push(item_json(conn, org_id, &item)?);
                }
            }
            Err(e) => {
                conn.execute_batch("ROLLBACK TO deadline; RELEASE deadline")?;
                let message = format!("{}: {}", e.code, e.message);
                items.push(json!({
                    "kind": if d.kind == Kind::Retry { "dunning_retry" } else { "billing_cycle" },
                    "status": "failed",
                    "dueAt": ids::iso(d.at),
                    "subscriptionId": d.target,
                    "customerName": null,
                    "invoiceNumber": null,
                    "invoiceId": null,
                    "outcome": null,
                    "detail": null,
                    "error": message,
                }));
                error = Some(message);
                break;
            }
        }
    }
    if error.is_none() {
        if freeze {
            clock::freeze(conn, org_id, target)?;
        } else {
            clock::move_to(conn, org_id, target)?;
        }
    }
    let failed = i64::from(error.is_some());
    let run = json!({
        "id": run_id,
        "status": if error.is_some() { "failed" } else { "completed" },
        "startedAtTime": ids::iso(started),
        "targetTime": ids::iso(target),
        "estimatedDeadlineCount": completed + failed,
        "completedDeadlineCount": completed,
        "failedDeadlineCount": failed,
        "error": error,
        "items": items,
        "object": "test_clock_run",
        "livemode": false,
    });
    conn.execute(
        "INSERT INTO test_clock_runs (id, org_id, body, created_at) VALUES (?1, ?2, ?3, ?4)",
        rusqlite::params![run_id, org_id, run.to_string(), ids::now()],
    )?;
    Ok(run)
}

/// The latest run of an organization.
pub fn latest_run(conn: &Connection, org_id: &str) -> Result<Value, ApiError> {
    let body: Option<String> = rusqlite::OptionalExtension::optional(conn.query_row(
        "SELECT body FROM test_clock_runs WHERE org_id = ?1 ORDER BY seq DESC LIMIT 1",
        [org_id],
        |r| r.get(0),
    ))?;
    Ok(body
        .and_then(|b| serde_json::from_str::<Value>(&b).ok())
        .map(|mut v| {
            if let Some(o) = v.as_object_mut() {
                o.remove("object");
                o.remove("livemode");
            }
            v
        })
        .unwrap_or(Value::Null))
}

fn item_json(conn: &Connection, org_id: &str, item: &Item) -> Result<Value, ApiError> {
    let sub = subs::get(conn, org_id, &item.sub)?;
    let customer_name = match &sub {
        Some(s) => {
            customers::find(conn, org_id, &s.customer_id)?.map(|c| c.full_name.unwrap_or(c.email))
        }
        None => None,
    };
    Ok(json!({
        "kind": item.kind,
        "status": "completed",
        "dueAt": ids::iso(item.due),
        "subscriptionId": item.sub,
        "customerName": customer_name,
        "invoiceNumber": item.invoice.as_ref().map(|i| i.invoice_number.clone()),
        "invoiceId": item.invoice.as_ref().map(|i| i.id.clone()),
        "outcome": item.outcome,
        "detail": item.detail,
        "error": null,
    }))
}

fn process(
    conn: &Connection,
    org_id: &str,
    base: &str,
    d: &Deadline,
) -> Result<Option<Item>, ApiError> {
    if d.kind == Kind::GrantExpiry {
        if let Some(mut g) = crate::server::store::plan_grants::get(conn, org_id, &d.target)? {
            super::grants::expire(conn, &mut g, d.at)?;
        }
        return Ok(None);
    }
    if d.kind == Kind::Overdue {
        let inv = invoices::require(conn, org_id, &d.target)?;
        invoices::mark_overdue_notified(conn, &inv.id)?;
        let who = webhook_customer(conn, org_id, &inv.customer_id)?;
        emit(conn, org_id, "invoice.overdue", inv.event_json(&who))?;
        return Ok(None);
    }
    let sub = subs::require(conn, org_id, &d.target)?;
    match d.kind {
        Kind::TrialWillEnd => {
            let mut sub = sub;
            sub.trial_will_end_sent = true;
            subs::save(conn, &sub)?;
            let p = plan(conn, &sub.plan_id)?;
            let who = webhook_customer(conn, org_id, &sub.customer_id)?;
            emit(
                conn,
                org_id,
                "trial.will_end",
                json!({
                    "subscriptionId": sub.id, "customerId": who, "status": sub.status,
                    "planId": p.id, "planName": p.name, "trialEndsAt": sub.trial_end,
                }),
            )?;
            Ok(None)
        }
        Kind::Upcoming => {
            let mut sub = sub;
            sub.upcoming_sent_for = Some(sub.period_end.clone());
            subs::save(conn, &sub)?;
            let p = plan(conn, &sub.plan_id)?;
            let who = webhook_customer(conn, org_id, &sub.customer_id)?;
            emit(
                conn,
                org_id,
                "invoice.upcoming",
                json!({
                    "subscriptionId": sub.id, "customerId": who, "status": sub.status,
                    "planId": p.id, "planName": p.name, "billingInterval": sub.billing_interval,
                    "currentPeriodEnd": sub.period_end,
                }),
            )?;
            Ok(None)
        }
        Kind::Retry => {
            let attempt = lifecycle::retry_dunning(conn, sub, d.at, base, None)?;
            let outcome = match (&attempt.charged, attempt.exhausted) {
                (Charged::Paid(_), _) => "recovered",
                (_, true) => "canceled",
                _ => "declined",
            };
            Ok(Some(Item {
                kind: "dunning_retry",
                due: d.at,
                sub: attempt.sub.id.clone(),
                detail: format!(
                    "retry {} of {}",
                    attempt.sub.dunning_retries.max(1),
                    lifecycle::RETRY_DAYS.len()
                ),
                invoice: Some(attempt.invoice),
                outcome: outcome.into(),
            }))
        }
        Kind::UsageReset => usage_reset(conn, sub, d.at, base).map(Some),
        Kind::TrialEnd => trial_end(conn, sub, d.at, base).map(Some),
        Kind::PeriodEnd => period_end(conn, sub, d.at, base).map(Some),
        Kind::Overdue | Kind::GrantExpiry => Ok(None),
    }
}

/// Charges a new cycle invoice to the saved card; a decline starts dunning.
fn charge_cycle(
    conn: &Connection,
    sub: Sub,
    inv: &Invoice,
    at: DateTime<Utc>,
    base: &str,
) -> Result<(Sub, &'static str), ApiError> {
    if inv.status == "paid" {
        return Ok((sub, "paid"));
    }
    let pm = payment_method_of(conn, &sub)?;
    let number = pm.map(|p| p.card_number).unwrap_or_default();
    match charge_sub_invoice(conn, &sub, inv, &number, Presence::Saved, at)? {
        Charged::Paid(_) => Ok((sub, "paid")),
        Charged::Declined(decline, _) => {
            let inv = invoices::require(conn, &sub.org_id, &inv.id)?;
            let sub = lifecycle::enter_past_due(conn, sub, &inv, &decline, at, base)?;
            Ok((sub, "past_due"))
        }
    }
}

fn cycle_invoice(
    conn: &Connection,
    sub: &Sub,
    kind: &'static str,
    lines: Vec<Line>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    at: DateTime<Utc>,
) -> Result<Invoice, ApiError> {
    let p = plan(conn, &sub.plan_id)?;
    collect::create_invoice(
        conn,
        &sub.org_id,
        Draft {
            customer_id: sub.customer_id.clone(),
            subscription_id: Some(sub.id.clone()),
            invoice_type: kind,
            currency: sub.currency.clone(),
            lines,
            period_start: from,
            period_end: to,
            at,
            due_days: 0,
            plan_name: Some(p.name),
            memo: None,
            metadata: None,
        },
    )
}

/// A monthly usage reset inside a longer period: a separate `overage`
/// invoice when there is overage, then the period reset of the pools.
fn usage_reset(
    conn: &Connection,
    mut sub: Sub,
    at: DateTime<Utc>,
    base: &str,
) -> Result<Item, ApiError> {
    let from = sub.usage_start_at()?;
    let lines = if sub.status == "trialing" {
        Vec::new()
    } else {
        arrears_lines(conn, &sub, from, at)?
    };
    let day = sub.billing_day.map_or(1, |d| d.clamp(1, 31) as u32);
    let limit = if sub.status == "trialing" {
        sub.trial_end_at()?.unwrap_or(at)
    } else {
        sub.period_end_at()?
    };
    let interval = if sub.status == "trialing" {
        "monthly".to_owned()
    } else {
        sub.billing_interval.clone()
    };
    sub.usage_start = ids::iso(at);
    sub.usage_end = ids::iso(super::usage_end(at, &interval, day, limit));
    sub.updated_at = ids::iso(at);
    subs::save(conn, &sub)?;
    let mut invoice = None;
    let mut outcome = "usage_reset";
    if !lines.is_empty() {
        let inv = cycle_invoice(conn, &sub, "overage", lines, from, at, at)?;
        let (s, o) = charge_cycle(conn, sub, &inv, at, base)?;
        sub = s;
        outcome = if o == "paid" {
            "overage_paid"
        } else {
            "past_due"
        };
        invoice = Some(invoices::require(conn, &sub.org_id, &inv.id)?);
    }
    grant_period(conn, &sub)?;
    Ok(Item {
        kind: "billing_cycle",
        due: at,
        sub: sub.id.clone(),
        invoice,
        outcome: outcome.into(),
        detail: "monthly usage reset".into(),
    })
}

/// The end of a trial: the first regular period starts and is charged.
fn trial_end(
    conn: &Connection,
    mut sub: Sub,
    at: DateTime<Utc>,
    base: &str,
) -> Result<Item, ApiError> {
    let org_id = sub.org_id.clone();
    let p = plan(conn, &sub.plan_id)?;
    let who = webhook_customer(conn, &org_id, &sub.customer_id)?;
    if sub.cancel_at_period_end {
        let sub = lifecycle::cancel_now(conn, sub, None, at)?;
        return Ok(Item {
            kind: "billing_cycle",
            due: at,
            sub: sub.id,
            invoice: None,
            outcome: "canceled".into(),
            detail: "trial ended with a pending cancellation".into(),
        });
    }
    emit(
        conn,
        &org_id,
        "trial.expired",
        json!({
            "subscriptionId": sub.id, "customerId": who, "status": sub.status,
            "planId": p.id, "planName": p.name, "trialEndsAt": sub.trial_end,
        }),
    )?;
    let pr = sub
        .price_id
        .as_deref()
        .map(|id| price(conn, id))
        .transpose()?
        .flatten()
        .ok_or_else(|| ApiError::internal("a trial without a price"))?;
    lifecycle::start_period(&mut sub, at);
    sub.status = "active".into();
    sub.activated_once = true;
    sub.updated_at = ids::iso(at);
    let cycle = sub.offer_cycle;
    let mut lines = base_lines(&sub, &p, &pr, cycle, &sub.billing_interval);
    lines.extend(advance_unit_lines(
        conn,
        &sub,
        &sub.plan_id,
        &sub.billing_interval,
    )?);
    sub.paid_base = net_base(&sub, &pr, cycle);
    sub.offer_cycle = cycle + 1;
    subs::save(conn, &sub)?;
    let inv = cycle_invoice(
        conn,
        &sub,
        "recurring",
        lines,
        sub.period_start_at()?,
        sub.period_end_at()?,
        at,
    )?;
    let pm = payment_method_of(conn, &sub)?;
    let needs_customer = match &pm {
        None => true,
        Some(pm) => cards::charge_saved(&pm.card_number).is_err_and(|d| !cards::retryable(d.code)),
    };
    let (sub, outcome) = if needs_customer && inv.status != "paid" {
        // No usable card: the customer finishes through a checkout.
        let number = pm.map(|p| p.card_number).unwrap_or_default();
        charge_sub_invoice(conn, &sub, &inv, &number, Presence::Saved, at)?;
        let token = subs::insert_checkout(
            conn,
            &org_id,
            "subscription",
            Some(&sub.id),
            Some(&inv.id),
            None,
            None,
            sub.success_url.as_deref(),
        )?;
        sub.status = "pending_payment".into();
        sub.checkout_token = Some(token);
        subs::save(conn, &sub)?;
        (sub, "pending_payment")
    } else {
        charge_cycle(conn, sub, &inv, at, base)?
    };
    grant_period(conn, &sub)?;
    if outcome == "paid" {
        crate::server::billing::view::state_changed(
            conn,
            &org_id,
            &sub.customer_id,
            "trial_expired",
        )?;
    }
    Ok(Item {
        kind: "billing_cycle",
        due: at,
        sub: sub.id.clone(),
        invoice: Some(invoices::require(conn, &org_id, &inv.id)?),
        outcome: outcome.into(),
        detail: "trial ended".into(),
    })
}

/// The end of a billing period: a scheduled cancellation, or the renewal
/// (after a scheduled plan change) with arrears, advance charges and the
/// period reset.
fn period_end(
    conn: &Connection,
    mut sub: Sub,
    at: DateTime<Utc>,
    base: &str,
) -> Result<Item, ApiError> {
    let org_id = sub.org_id.clone();
    let from = sub.period_start_at()?;
    let usage_from = sub.usage_start_at()?;
    // Arrears of the period that ends, on the terms it was sold under.
    let arrears = arrears_lines(conn, &sub, usage_from, at)?;
    let true_ups = true_up_lines(conn, &sub, from, at)?;

    if sub.cancel_at_period_end {
        let mut invoice = None;
        let mut extra = arrears;
        extra.extend(true_ups);
        if !extra.is_empty() {
            let inv = cycle_invoice(conn, &sub, "overage", extra, from, at, at)?;
            if let Some(pm) = payment_method_of(conn, &sub)? {
                charge_sub_invoice(conn, &sub, &inv, &pm.card_number, Presence::Saved, at)?;
            }
            invoice = Some(inv.id);
        }
        let reason = sub.cancel_reason.clone();
        let sub = lifecycle::cancel_now(conn, sub, reason.as_deref(), at)?;
        let invoice = match invoice {
            Some(id) => Some(invoices::require(conn, &org_id, &id)?),
            None => None,
        };
        return Ok(Item {
            kind: "billing_cycle",
            due: at,
            sub: sub.id,
            invoice,
            outcome: "canceled".into(),
            detail: "scheduled cancellation".into(),
        });
    }

    if sub.status == "past_due" {
        // Renewals wait until the outstanding invoice is settled; usage
        // still resets on the billing day.
        next_period(&mut sub)?;
        sub.updated_at = ids::iso(at);
        subs::save(conn, &sub)?;
        grant_period(conn, &sub)?;
        return Ok(Item {
            kind: "billing_cycle",
            due: at,
            sub: sub.id,
            invoice: None,
            outcome: "skipped_past_due".into(),
            detail: "renewal deferred while past due".into(),
        });
    }

    let changed = change::apply_scheduled(conn, &mut sub)?;
    next_period(&mut sub)?;
    sub.updated_at = ids::iso(at);
    subs::save(conn, &sub)?;

    let p = plan(conn, &sub.plan_id)?;
    let pr = match &sub.price_id {
        Some(id) => price(conn, id)?,
        None => None,
    };
    let mut lines = Vec::new();
    let one_time = sub.billing_interval == "one_time";
    if let (Some(pr), false, false) = (&pr, p.is_free, one_time) {
        let cycle = sub.offer_cycle;
        lines.extend(base_lines(&sub, &p, pr, cycle, &sub.billing_interval));
        sub.paid_base = net_base(&sub, pr, cycle);
        sub.offer_cycle = cycle + 1;
    } else if p.is_free {
        sub.paid_base = 0;
    }
    for (_, name, base_price, _) in subs::active_addons(conn, &sub.id)? {
        let amount = lifecycle::usd_to(conn, &sub.plan_id, &sub.currency, base_price)?;
        lines.push(Line::new("addon_base", name, 1, amount, amount, "advance"));
    }
    lines.extend(advance_unit_lines(
        conn,
        &sub,
        &sub.plan_id,
        &sub.billing_interval,
    )?);
    lines.extend(true_ups);
    lines.extend(arrears);
    subs::save(conn, &sub)?;

    let nothing_owed = lines.iter().all(|l| l.amount == 0);
    let (sub, outcome, invoice) = if lines.is_empty() || (nothing_owed && (one_time || p.is_free)) {
        (sub, "no_charge", None)
    } else {
        let inv = cycle_invoice(
            conn,
            &sub,
            "recurring",
            lines,
            sub.period_start_at()?,
            sub.period_end_at()?,
            at,
        )?;
        let (sub, outcome) = charge_cycle(conn, sub, &inv, at, base)?;
        (
            sub,
            outcome,
            Some(invoices::require(conn, &org_id, &inv.id)?),
        )
    };
    grant_period(conn, &sub)?;
    if let Some((previous, target)) = changed {
        let (charge, total) = invoice
            .as_ref()
            .map_or((0, 0), |i| (i.subtotal - i.discount_amount, i.total));
        change::emit_scheduled_changed(conn, &sub, &previous, &target, charge, total)?;
    }
    Ok(Item {
        kind: "billing_cycle",
        due: at,
        sub: sub.id.clone(),
        invoice,
        outcome: outcome.into(),
        detail: "renewal".into(),
    })
}
