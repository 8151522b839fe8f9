//! The subscription lifecycle outside the clock: create, checkout
//! completion, cancel / uncancel, reactivate, recovery, add-ons, balance
//! and credits, offers on pending checkouts, payment-method updates.

use chrono::{DateTime, Datelike, Duration, Utc};
use rusqlite::Connection;
use serde_json::{json, Map, Value};

use super::cards::{self, Decline};
use super::collect::{self, Charged, Draft, Presence};
use super::offers;
use super::view;
use super::{emit, now, plan, price, webhook_customer, PlanInfo, PriceInfo, DEFAULT_PROVIDER};
use crate::server::error::{ApiError, ErrorType};
use crate::server::ids;
use crate::server::store::invoices::{self, Invoice, Line};
use crate::server::store::subscriptions::{self as subs, PaymentMethod, Sub};
use crate::server::store::{addons, credit_packs, customers, plans, pools, promo_codes, seats};

/// Dunning: retries on these days after the first decline; the last failed
/// retry cancels the subscription.
pub const RETRY_DAYS: &[i64] = &[1, 3, 5, 7];

/// Days before a renewal / trial end that `invoice.upcoming` /
/// `trial.will_end` fire.
pub const NOTICE_DAYS: i64 = 3;

// -- small helpers ---------------------------------------------------------------

/// The subscription, if it is active or trialing; otherwise
/// `subscription_not_active` ending with `what`.
fn require_live(conn: &Connection, org_id: &str, id: &str, what: &str) -> Result<Sub, ApiError> {
    let sub = subs::require(conn, org_id, id)?;
    if !matches!(sub.status.as_str(), "active" | "trialing") {
        return Err(not_active(&sub, what));
    }
    Ok(sub)
}

fn not_active(sub: &Sub, what: &str) -> ApiError {
    ApiError::conflict(
        "subscription_not_active",
        format!("Subscription {} is {}; {what}", sub.id, sub.status),
    )
    .details(json!({ "subscriptionId": sub.id, "status": sub.status }))
}

fn invalid_status(sub: &Sub, what: &str) -> ApiError {
    ApiError::conflict(
        "invalid_subscription_status",
        format!("Subscription {} is {}; {what}", sub.id, sub.status),
    )
    .details(json!({ "subscriptionId": sub.id, "status": sub.status }))
}

pub fn plan_unavailable(message: impl Into<String>) -> ApiError {
    ApiError::new(
        axum::http::StatusCode::UNPROCESSABLE_ENTITY,
        ErrorType::Conflict,
        "plan_unavailable",
        message,
    )
}

fn no_payment_method(sub: &Sub) -> ApiError {
    ApiError::conflict(
        "no_payment_method",
        format!(
            "Subscription {} has no saved payment method; collect one with POST /subscriptions/{}/payment-method/update",
            sub.id, sub.id
        ),
    )
}

/// The card charges of this subscription go to: its own, else the
/// customer's latest.
pub fn payment_method_of(conn: &Connection, sub: &Sub) -> Result<Option<PaymentMethod>, ApiError> {
    if let Some(id) = &sub.payment_method_id {
        if let Some(pm) = subs::payment_method(conn, id)? {
            return Ok(Some(pm));
        }
    }
    subs::customer_payment_method(conn, &sub.customer_id)
}

pub fn provider_of(sub: &Sub) -> String {
    sub.provider
        .clone()
        .unwrap_or_else(|| DEFAULT_PROVIDER.to_owned())
}

/// Charges an invoice of `sub` on card `number`, through the subscription's
/// provider.
pub fn charge_sub_invoice(
    conn: &Connection,
    sub: &Sub,
    inv: &Invoice,
    number: &str,
    presence: Presence,
    at: DateTime<Utc>,
) -> Result<Charged, ApiError> {
    collect::charge_invoice(
        conn,
        &sub.org_id,
        inv,
        number,
        presence,
        &provider_of(sub),
        at,
    )
}

fn anchor_day(sub: &Sub) -> u32 {
    sub.billing_day.map_or(1, |d| d.clamp(1, 31) as u32)
}

/// Starts a fresh billing period at `start` (anchor = its day of month).
pub fn start_period(sub: &mut Sub, start: DateTime<Utc>) {
    sub.billing_day = Some(start.day() as i64);
    let end = super::period_end(start, &sub.billing_interval, start.day());
    sub.period_start = ids::iso(start);
    sub.period_end = ids::iso(end);
    sub.usage_start = sub.period_start.clone();
    sub.usage_end = ids::iso(super::usage_end(
        start,
        &sub.billing_interval,
        start.day(),
        end,
    ));
    sub.upcoming_sent_for = None;
}

/// Moves to the next billing period (anchor unchanged).
pub fn next_period(sub: &mut Sub) -> Result<(), ApiError> {
    let start = sub.period_end_at()?;
    let day = anchor_day(sub);
    let end = super::period_end(start, &sub.billing_interval, day);
    sub.period_start = ids::iso(start);
    sub.period_end = ids::iso(end);
    sub.usage_start = sub.period_start.clone();
    sub.usage_end = ids::iso(super::usage_end(start, &sub.billing_interval, day, end));
    sub.upcoming_sent_for = None;
    Ok(())
}

/// The grants a plan price gives each period: `(credits, balance cents)`
/// for `reset_period` (`None` when the plan has no such pool).
pub fn period_grants(p: &PlanInfo, pr: Option<&PriceInfo>) -> (Option<i64>, Option<i64>) {
    match p.consumption_model.as_deref() {
        Some("credits") => (Some(pr.and_then(|x| x.included_credits).unwrap_or(0)), None),
        Some("balance") => (None, Some(pr.and_then(|x| x.included_balance).unwrap_or(0))),
        _ => (None, None),
    }
}

/// Grants the plan's credits / balance for a new period.
pub fn grant_period(conn: &Connection, sub: &Sub) -> Result<(), ApiError> {
    let p = plan(conn, &sub.plan_id)?;
    let pr = match &sub.price_id {
        Some(id) => price(conn, id)?,
        None => None,
    };
    let (credits, balance) = period_grants(&p, pr.as_ref());
    if credits.is_some() || balance.is_some() {
        pools::reset_period(conn, &sub.org_id, &sub.id, credits, balance)?;
    }
    Ok(())
}

/// A USD amount (add-ons, packs) in the subscription's currency, converted
/// with the plan's exchange rate.
pub fn usd_to(conn: &Connection, plan_id: &str, currency: &str, usd: i64) -> Result<i64, ApiError> {
    if currency.eq_ignore_ascii_case("usd") {
        return Ok(usd);
    }
    let rate: Option<f64> = rusqlite::OptionalExtension::optional(conn.query_row(
        "SELECT exchange_rate FROM plan_exchange_rates WHERE plan_id = ?1 AND currency = ?2",
        rusqlite::params![plan_id, currency],
        |r| r.get(0),
    ))?;
    Ok(rate.map_or(usd, |r| (usd as f64 * r).round() as i64))
}

/// The plan-base line (and the offer's discount line) of paid cycle `cycle`.
pub fn base_lines(sub: &Sub, p: &PlanInfo, pr: &PriceInfo, cycle: i64, label: &str) -> Vec<Line> {
    let mut lines = vec![Line::new(
        "plan_base",
        format!("{} ({label})", p.name),
        1,
        pr.price,
        pr.price,
        "advance",
    )];
    if let Some(app) = &sub.offer {
        if let Some(l) = offers::discount_line(app, cycle, pr.price, &sub.currency) {
            lines.push(l);
        }
    }
    lines
}

/// The base actually paid for a cycle (after the offer's discount).
pub fn net_base(sub: &Sub, pr: &PriceInfo, cycle: i64) -> i64 {
    let d = sub.offer.as_ref().map_or(0, |app| {
        offers::discount(app, cycle, pr.price, &sub.currency)
    });
    pr.price - d
}

/// Advance lines for seats above the included amount at subscription start
/// (`initialSeats`, billed with the first invoice when overage is on).
fn initial_seat_lines(
    conn: &Connection,
    plan_id: &str,
    seats: Option<&Value>,
) -> Result<Vec<Line>, ApiError> {
    let Some(seats) = seats.and_then(Value::as_object) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for (pf, feature) in plans::plan_feature_rows(conn, plan_id)? {
        if feature.kind != "seats" || pf.unlimited || !pf.overage_enabled {
            continue;
        }
        let count = seats
            .get(&feature.code)
            .and_then(Value::as_i64)
            .unwrap_or(0);
        let extra = count - pf.included_amount;
        if extra > 0 {
            let unit = super::units_cost_cents(1, pf.overage_unit_price);
            let amount = super::units_cost_cents(extra, pf.overage_unit_price);
            out.push(
                Line::new(
                    "feature_seats",
                    format!("{} × {extra} extra", feature.name),
                    extra,
                    unit,
                    amount,
                    "advance",
                )
                .feature(&feature.name),
            );
        }
    }
    Ok(out)
}

fn recovery_or_update_url(conn: &Connection, base: &str, sub: &Sub) -> Result<String, ApiError> {
    let kind = if sub.status == "past_due" {
        "recovery"
    } else {
        "payment_method"
    };
    let token = subs::insert_checkout(
        conn,
        &sub.org_id,
        kind,
        Some(&sub.id),
        sub.dunning_invoice_id
            .as_deref()
            .filter(|_| kind == "recovery"),
        None,
        None,
        None,
    )?;
    Ok(format!("{base}/checkout/{token}"))
}

/// The open recovery page of a past-due subscription (created when needed).
pub fn recovery_url(conn: &Connection, base: &str, sub: &Sub) -> Result<String, ApiError> {
    let existing: Option<String> = rusqlite::OptionalExtension::optional(conn.query_row(
        "SELECT token FROM checkout_sessions WHERE subscription_id = ?1 AND kind = 'recovery' AND status = 'open'
         ORDER BY created_at DESC LIMIT 1",
        [&sub.id],
        |r| r.get(0),
    ))?;
    match existing {
        Some(token) => Ok(format!("{base}/checkout/{token}")),
        None => recovery_or_update_url(conn, base, sub),
    }
}

// -- create -------------------------------------------------------------------------

/// `POST /subscriptions` after body validation.
#[derive(Debug, Clone, Default)]
pub struct NewSubscription {
    pub customer: String,
    pub plan: Option<String>,
    pub price_id: Option<String>,
    pub billing_interval: Option<String>,
    pub offer_id: Option<String>,
    pub promo_code: Option<String>,
    pub card_promotion_id: Option<String>,
    pub custom_trial_days: Option<i64>,
    pub skip_trial: bool,
    pub initial_seats: Option<Map<String, Value>>,
    pub provider: Option<String>,
    pub name: Option<String>,
    pub start_date: Option<String>,
    pub success_url: Option<String>,
}

/// Resolves the plan and price of a selection.
pub fn resolve_price(
    conn: &Connection,
    org_id: &str,
    plan_ref: Option<&str>,
    price_id: Option<&str>,
    interval: Option<&str>,
) -> Result<(PlanInfo, Option<PriceInfo>), ApiError> {
    if let Some(pid) = price_id {
        let pr = price(conn, pid)?.filter(|p| !p.archived);
        let pr = match pr {
            Some(pr) => pr,
            None => {
                return Err(ApiError::not_found(
                    "price_not_found",
                    format!("No active price `{pid}`"),
                )
                .param("priceId"))
            }
        };
        let p = plans::find(conn, org_id, &pr.plan_id)?.ok_or_else(|| {
            ApiError::not_found("price_not_found", format!("No active price `{pid}`"))
                .param("priceId")
        })?;
        if let Some(r) = plan_ref {
            let wanted = plans::require(conn, org_id, r, "planId")?;
            if wanted.id != p.id {
                return Err(ApiError::not_found(
                    "price_not_found",
                    format!("Price `{pid}` is not a price of plan `{}`", wanted.code),
                )
                .param("priceId"));
            }
        }
        return Ok((plan(conn, &p.id)?, Some(pr)));
    }
    let Some(r) = plan_ref else {
        return Err(ApiError::invalid(
            "planId",
            "send planId, planCode or priceId",
        ));
    };
    let p = plans::require(conn, org_id, r, "planId")?;
    let info = plan(conn, &p.id)?;
    let wanted = interval.map(str::to_owned).or(p.default_interval.clone());
    if let Some(iv) = &wanted {
        if let Some(pr) = super::default_price(conn, &p.id, iv)? {
            return Ok((info, Some(pr)));
        }
    }
    if !super::has_prices(conn, &p.id)? {
        if p.is_free {
            return Ok((info, None));
        }
        return Err(ApiError::conflict(
            "no_prices_configured",
            format!(
                "Plan `{}` has no price to subscribe to; add one with POST /plans/{}/prices",
                p.code, p.id
            ),
        ));
    }
    Err(ApiError::not_found(
        "price_not_found",
        format!(
            "Plan `{}` has no {} price",
            p.code,
            wanted.as_deref().unwrap_or("default")
        ),
    )
    .param("billingInterval"))
}

/// The offer application a new subscription runs under, if any.
#[allow(clippy::too_many_arguments)]
fn select_offer(
    conn: &Connection,
    org_id: &str,
    input: &NewSubscription,
    p: &PlanInfo,
    pr: Option<&PriceInfo>,
    interval: &str,
    currency: &str,
    at: DateTime<Utc>,
) -> Result<Option<Value>, ApiError> {
    if input.card_promotion_id.is_some() {
        return Err(ApiError::conflict(
            "card_promotions_not_available",
            "Card promotions need a card BIN check at a real checkout; the local sandbox does not simulate them",
        )
        .param("cardPromotionId"));
    }
    let explicit =
        input.offer_id.is_some() || input.promo_code.is_some() || input.custom_trial_days.is_some();
    let Some(pr) = pr.filter(|_| !p.is_free) else {
        if explicit {
            return Err(ApiError::validation_code(
                "offer_not_applicable",
                "Offers, promo codes and custom trials apply to paid plans only",
            )
            .param("offerId"));
        }
        return Ok(None);
    };
    let intro = match &pr.offer_id {
        Some(id) if !input.skip_trial => crate::server::store::offers::get(conn, org_id, id)?
            .filter(|o| offers::check_usable(o, currency, at).is_ok()),
        _ => None,
    };
    if let Some(days) = input.custom_trial_days {
        return Ok(Some(offers::custom_trial(
            &pr.id, pr.price, currency, days, at,
        )));
    }
    if let Some(id) = &input.offer_id {
        let offer = crate::server::store::offers::require(conn, org_id, id, "offerId")?;
        offers::check_usable(&offer, currency, at)?;
        return Ok(Some(offers::application(
            &offer, "direct", &pr.id, pr.price, currency, None, at,
        )));
    }
    if let Some(code) = &input.promo_code {
        let promo = promo_codes::get(conn, org_id, code)?.ok_or_else(|| {
            ApiError::not_found("promo_code_not_found", format!("No promo code `{code}`"))
                .param("promoCode")
        })?;
        let expired = promo["expiresAt"]
            .as_str()
            .and_then(ids::parse_instant)
            .is_some_and(|e| e <= at);
        if promo["isActive"] != true || expired {
            return Err(ApiError::conflict(
                "promo_code_expired",
                format!("Promo code `{code}` is no longer active"),
            )
            .param("promoCode"));
        }
        if intro.is_some() {
            return Err(ApiError::conflict(
                "intro_offer_active",
                "An introductory offer already applies to this price; promo codes cannot be combined with it",
            )
            .param("promoCode"));
        }
        let plan_ids: Vec<&str> = promo["planIds"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let wrong_plan = !plan_ids.is_empty() && !plan_ids.contains(&p.id.as_str());
        let wrong_interval = promo["billingInterval"]
            .as_str()
            .is_some_and(|i| i != interval);
        let used_up = promo["maxRedemptions"]
            .as_i64()
            .is_some_and(|m| promo["redemptionCount"].as_i64().unwrap_or(0) >= m);
        if wrong_plan || wrong_interval || used_up {
            let why = if used_up {
                "has reached its redemption limit"
            } else if wrong_plan {
                "does not apply to this plan"
            } else {
                "does not apply to this billing interval"
            };
            return Err(ApiError::validation_code(
                "offer_not_applicable",
                format!("Promo code `{code}` {why}"),
            )
            .param("promoCode"));
        }
        let offer_id = promo["offerId"].as_str().unwrap_or_default();
        let offer = crate::server::store::offers::require(conn, org_id, offer_id, "promoCode")?;
        offers::check_usable(&offer, currency, at).map_err(|e| e.param("promoCode"))?;
        return Ok(Some(offers::application(
            &offer,
            "promo_code",
            &pr.id,
            pr.price,
            currency,
            promo["id"].as_str(),
            at,
        )));
    }
    Ok(
        intro
            .map(|o| offers::application(&o, "introductory", &pr.id, pr.price, currency, None, at)),
    )
}

/// Creates a subscription (`CreatedSubscription`).
pub fn create(
    conn: &Connection,
    org_id: &str,
    base: &str,
    input: NewSubscription,
) -> Result<Value, ApiError> {
    let customer = customers::require(conn, org_id, &input.customer, "customerId")?;
    let (p, pr) = resolve_price(
        conn,
        org_id,
        input.plan.as_deref(),
        input.price_id.as_deref(),
        input.billing_interval.as_deref(),
    )?;
    let interval = pr
        .as_ref()
        .map(|x| x.billing_interval.clone())
        .or(input.billing_interval.clone())
        .or(p.default_interval.clone())
        .unwrap_or_else(|| "monthly".to_owned());
    let at = now(conn, org_id);

    if let Some(existing) = subs::live_row(conn, org_id, &customer.id)? {
        if existing.status != "pending_payment" {
            return Err(ApiError::conflict(
                "already_has_active_subscription",
                format!(
                    "Customer {} already has subscription {} ({}); change its plan or cancel it first",
                    customer.external_id.as_deref().unwrap_or(&customer.id),
                    existing.id,
                    existing.status
                ),
            )
            .param("customerId")
            .details(json!({ "subscriptionId": existing.id, "status": existing.status })));
        }
        let same =
            existing.plan_id == p.id && existing.price_id == pr.as_ref().map(|x| x.id.clone());
        let plain = input.offer_id.is_none()
            && input.promo_code.is_none()
            && input.custom_trial_days.is_none();
        if same && plain {
            return view::created_json(conn, &existing, base);
        }
        replace_pending(conn, org_id, existing, at)?;
    }

    let currency = "usd".to_owned();
    let app = select_offer(
        conn,
        org_id,
        &input,
        &p,
        pr.as_ref(),
        &interval,
        &currency,
        at,
    )?;
    let trial_days = match (&app, &pr) {
        _ if input.skip_trial || p.is_free => 0,
        (Some(a), _) if offers::trial_days(a).is_some() => offers::trial_days(a).unwrap_or(0),
        (_, Some(pr)) => pr.trial_days,
        _ => 0,
    };
    let start_date = input.start_date.clone().unwrap_or_else(|| ids::iso(at));
    let mut sub = Sub {
        seq: 0,
        id: ids::new_id("sub_"),
        org_id: org_id.to_owned(),
        customer_id: customer.id.clone(),
        plan_id: p.id.clone(),
        price_id: pr.as_ref().map(|x| x.id.clone()),
        name: input.name.clone(),
        description: None,
        status: if p.is_free {
            "active"
        } else {
            "pending_payment"
        }
        .to_owned(),
        billing_interval: interval.clone(),
        currency: currency.clone(),
        provider: if p.is_free {
            None
        } else {
            Some(
                input
                    .provider
                    .clone()
                    .unwrap_or_else(|| DEFAULT_PROVIDER.to_owned()),
            )
        },
        start_date,
        period_start: String::new(),
        period_end: String::new(),
        usage_start: String::new(),
        usage_end: String::new(),
        billing_day: None,
        trial_start: None,
        trial_end: None,
        cancel_at_period_end: false,
        cancel_requested_at: None,
        cancel_reason: None,
        canceled_at: None,
        ended_at: None,
        scheduled_change: None,
        checkout_token: None,
        success_url: input.success_url.clone(),
        initial_seats: input.initial_seats.clone().map(Value::Object),
        payment_method_id: None,
        offer: app,
        offer_cycle: 0,
        paid_base: 0,
        dunning_retries: 0,
        next_retry_at: None,
        dunning_invoice_id: None,
        upcoming_sent_for: None,
        trial_will_end_sent: false,
        seat_advance: None,
        activated_once: false,
        created_at: ids::iso(at),
        updated_at: ids::iso(at),
    };
    start_period(&mut sub, at);
    let mut sub = subs::insert(conn, &sub)?;
    if let Some(seats_map) = &input.initial_seats {
        seats::set_initial_seats(conn, org_id, &sub.id, seats_map)?;
    }
    let who = webhook_customer(conn, org_id, &customer.id)?;
    emit(
        conn,
        org_id,
        "subscription.created",
        json!({
            "subscriptionId": sub.id,
            "customerId": who,
            "planId": p.id,
            "planName": p.name,
            "status": sub.status,
            "startDate": sub.start_date,
            "name": sub.name,
        }),
    )?;

    if p.is_free {
        sub.activated_once = true;
        sub.updated_at = ids::iso(at);
        subs::save(conn, &sub)?;
        grant_period(conn, &sub)?;
        view::state_changed(conn, org_id, &sub.customer_id, "subscription_created")?;
        return view::created_json(conn, &subs::require(conn, org_id, &sub.id)?, base);
    }

    let pr = pr.ok_or_else(|| ApiError::internal("a paid subscription without a price"))?;
    if trial_days > 0 {
        let token = subs::insert_checkout(
            conn,
            org_id,
            "trial",
            Some(&sub.id),
            None,
            None,
            Some(json!({ "trialDays": trial_days })),
            input.success_url.as_deref(),
        )?;
        sub.checkout_token = Some(token.clone());
        subs::save(conn, &sub)?;
        emit(
            conn,
            org_id,
            "trial.checkout_ready",
            json!({
                "subscriptionId": sub.id,
                "customerId": who,
                "planName": p.name,
                "trialDays": trial_days,
                "checkoutUrl": format!("{base}/checkout/{token}"),
            }),
        )?;
    } else {
        let mut lines = base_lines(&sub, &p, &pr, 0, &interval);
        lines.extend(initial_seat_lines(conn, &p.id, sub.initial_seats.as_ref())?);
        let inv = collect::create_invoice(
            conn,
            org_id,
            Draft {
                customer_id: customer.id.clone(),
                subscription_id: Some(sub.id.clone()),
                invoice_type: "recurring",
                currency: currency.clone(),
                lines,
                period_start: sub.period_start_at()?,
                period_end: sub.period_end_at()?,
                at,
                due_days: 0,
                plan_name: Some(p.name.clone()),
                memo: None,
                metadata: None,
            },
        )?;
        let token = subs::insert_checkout(
            conn,
            org_id,
            "subscription",
            Some(&sub.id),
            Some(&inv.id),
            None,
            None,
            input.success_url.as_deref(),
        )?;
        sub.checkout_token = Some(token.clone());
        subs::save(conn, &sub)?;
        emit(
            conn,
            org_id,
            "checkout.ready",
            json!({
                "subscriptionId": sub.id,
                "customerId": who,
                "invoiceId": inv.id,
                "invoiceNumber": inv.invoice_number,
                "invoiceTotal": inv.total,
                "invoiceCurrency": inv.currency,
                "checkoutUrl": format!("{base}/checkout/{token}"),
            }),
        )?;
    }
    view::state_changed(conn, org_id, &sub.customer_id, "subscription_created")?;
    view::created_json(conn, &subs::require(conn, org_id, &sub.id)?, base)
}

/// A new create replaces an incompatible pending checkout: it is canceled
/// quietly and its unpaid invoice voided.
fn replace_pending(
    conn: &Connection,
    org_id: &str,
    mut old: Sub,
    at: DateTime<Utc>,
) -> Result<(), ApiError> {
    for inv in invoices::unpaid_for_subscription(conn, &old.id)? {
        collect::void_invoice(conn, org_id, &inv, at)?;
    }
    subs::expire_checkouts(conn, &old.id, "subscription")?;
    subs::expire_checkouts(conn, &old.id, "trial")?;
    old.status = "canceled".into();
    old.cancel_reason = Some("replaced".into());
    old.canceled_at = Some(ids::iso(at));
    old.ended_at = Some(ids::iso(at));
    old.checkout_token = None;
    old.updated_at = ids::iso(at);
    subs::save(conn, &old)
}

// -- checkout ---------------------------------------------------------------------------

/// What a checkout submission did.
#[derive(Debug, Clone)]
pub struct CheckoutResult {
    pub ok: bool,
    pub kind: String,
    pub message: String,
    pub subscription_id: Option<String>,
    pub status: Option<String>,
    pub decline: Option<Decline>,
    pub success_url: Option<String>,
}

fn checkout_error(message: impl Into<String>) -> ApiError {
    ApiError::invalid("card", message)
}

/// Saves a checkout card and emits `payment_method.attached`.
fn attach_card(
    conn: &Connection,
    sub: &mut Sub,
    number: &str,
    brand: &str,
) -> Result<PaymentMethod, ApiError> {
    let pm = subs::insert_payment_method(conn, &sub.org_id, &sub.customer_id, number, brand)?;
    sub.payment_method_id = Some(pm.id.clone());
    let who = webhook_customer(conn, &sub.org_id, &sub.customer_id)?;
    emit(
        conn,
        &sub.org_id,
        "payment_method.attached",
        json!({ "subscriptionId": sub.id, "customerId": who, "card": pm.card_json() }),
    )?;
    Ok(pm)
}

/// A successful submission, with the subscription's id and status.
pub(super) fn succeeded(kind: &str, sub: &Sub, message: impl Into<String>) -> CheckoutResult {
    CheckoutResult {
        ok: true,
        kind: kind.to_owned(),
        message: message.into(),
        subscription_id: Some(sub.id.clone()),
        status: Some(sub.status.clone()),
        decline: None,
        success_url: None,
    }
}

pub(super) fn declined_result(kind: &str, sub: Option<&Sub>, d: Decline) -> CheckoutResult {
    CheckoutResult {
        ok: false,
        kind: kind.to_owned(),
        message: format!("Payment declined: {} ({})", d.message, d.code),
        subscription_id: sub.map(|s| s.id.clone()),
        status: sub.map(|s| s.status.clone()),
        decline: Some(d),
        success_url: None,
    }
}

/// Submits a checkout page with a card number (test cards only).
pub fn complete_checkout(
    conn: &Connection,
    token: &str,
    card: &str,
    base: &str,
) -> Result<CheckoutResult, ApiError> {
    let session = subs::checkout(conn, token)?
        .ok_or_else(|| ApiError::not_found("not_found", "This checkout link is invalid"))?;
    if session.status != "open" {
        return Err(ApiError::conflict(
            "duplicate",
            format!("This checkout is already {}", session.status),
        ));
    }
    let number = cards::normalize(card);
    let test = cards::lookup(&number).ok_or_else(|| {
        checkout_error("is not a sandbox test card; use 4242 4242 4242 4242 (see the list on the checkout page)")
    })?;
    let org_id = session.org_id.clone();
    let at = now(conn, &org_id);
    let mut result = match session.kind.as_str() {
        "payment" => complete_payment_link(conn, &session, &number, at)?,
        _ => {
            let sub_id = session
                .subscription_id
                .clone()
                .ok_or_else(|| ApiError::internal("checkout without a subscription"))?;
            let sub = subs::require(conn, &org_id, &sub_id)?;
            match session.kind.as_str() {
                "subscription" => complete_first_payment(conn, sub, &session, &number, test, at)?,
                "trial" => complete_trial(conn, sub, &session, &number, test, at)?,
                "plan_change" => {
                    super::change::complete_checkout_change(conn, sub, &session, &number, test, at)?
                }
                "payment_method" => complete_payment_method(conn, sub, &number, test, at)?,
                "recovery" => complete_recovery(conn, sub, &number, test, at, base)?,
                other => return Err(ApiError::internal(format!("unknown checkout kind {other}"))),
            }
        }
    };
    if result.ok {
        subs::set_checkout_status(conn, token, "completed", None)?;
        result.success_url = session.success_url.clone();
    } else {
        subs::set_checkout_status(conn, token, "open", Some(&result.message))?;
    }
    Ok(result)
}

/// A first-payment or trial checkout only completes a `pending_payment`
/// subscription (`duplicate` otherwise).
fn require_pending_payment(sub: &Sub) -> Result<(), ApiError> {
    if sub.status != "pending_payment" {
        return Err(ApiError::conflict(
            "duplicate",
            format!("Subscription {} is already {}", sub.id, sub.status),
        ));
    }
    Ok(())
}

fn complete_first_payment(
    conn: &Connection,
    mut sub: Sub,
    session: &subs::CheckoutSession,
    number: &str,
    test: &cards::TestCard,
    at: DateTime<Utc>,
) -> Result<CheckoutResult, ApiError> {
    require_pending_payment(&sub)?;
    let org_id = sub.org_id.clone();
    let inv_id = session
        .invoice_id
        .clone()
        .ok_or_else(|| ApiError::internal("checkout without an invoice"))?;
    let inv = invoices::require(conn, &org_id, &inv_id)?;
    if let Some(d) = &test.at_checkout {
        // The checkout reports the decline itself; no payment.failed.
        charge_sub_invoice(conn, &sub, &inv, number, Presence::Checkout, at)?;
        return Ok(declined_result("subscription", Some(&sub), d.clone()));
    }
    attach_card(conn, &mut sub, number, test.brand)?;
    let charged = charge_sub_invoice(conn, &sub, &inv, number, Presence::Checkout, at)?;
    if let Charged::Declined(d, _) = charged {
        subs::save(conn, &sub)?;
        return Ok(declined_result("subscription", Some(&sub), d));
    }
    start_period(&mut sub, at);
    invoices::set_period(conn, &inv.id, &sub.period_start, &sub.period_end)?;
    let pr = sub
        .price_id
        .as_deref()
        .map(|id| price(conn, id))
        .transpose()?
        .flatten();
    sub.paid_base = pr.as_ref().map_or(0, |pr| net_base(&sub, pr, 0));
    sub.offer_cycle = 1;
    mark_offer_applied(conn, &mut sub, at)?;
    sub.status = "active".into();
    sub.activated_once = true;
    sub.checkout_token = None;
    sub.updated_at = ids::iso(at);
    subs::save(conn, &sub)?;
    grant_period(conn, &sub)?;
    let inv = invoices::require(conn, &org_id, &inv.id)?;
    emit_activated(conn, &sub, &inv, "subscription.activated")?;
    view::state_changed(conn, &org_id, &sub.customer_id, "subscription_activated")?;
    Ok(succeeded(
        "subscription",
        &sub,
        "Payment succeeded; the subscription is active",
    ))
}

/// `subscription.activated` / `subscription.reactivated`.
pub fn emit_activated(
    conn: &Connection,
    sub: &Sub,
    inv: &Invoice,
    event: &str,
) -> Result<(), ApiError> {
    let who = webhook_customer(conn, &sub.org_id, &sub.customer_id)?;
    emit(
        conn,
        &sub.org_id,
        event,
        json!({
            "subscriptionId": sub.id,
            "customerId": who,
            "status": sub.status,
            "currentPeriodStart": sub.period_start,
            "currentPeriodEnd": sub.period_end,
            "name": sub.name,
            "invoiceId": inv.id,
            "invoiceNumber": inv.invoice_number,
            "invoiceTotal": inv.total,
            "invoiceCurrency": inv.currency,
            "provider": sub.provider,
        }),
    )
}

/// Marks the quoted offer application applied (and redeems its promo code).
fn mark_offer_applied(conn: &Connection, sub: &mut Sub, at: DateTime<Utc>) -> Result<(), ApiError> {
    let Some(app) = sub.offer.as_mut() else {
        return Ok(());
    };
    if app["status"] == "applied" {
        return Ok(());
    }
    app["status"] = json!("applied");
    app["appliedAt"] = json!(ids::iso(at));
    if let Some(promo) = app["_promoCodeId"].as_str() {
        conn.execute(
            "UPDATE promo_codes SET redemption_count = redemption_count + 1, updated_at = ?1 WHERE id = ?2",
            rusqlite::params![ids::iso(at), promo],
        )?;
    }
    Ok(())
}

fn complete_trial(
    conn: &Connection,
    mut sub: Sub,
    session: &subs::CheckoutSession,
    number: &str,
    test: &cards::TestCard,
    at: DateTime<Utc>,
) -> Result<CheckoutResult, ApiError> {
    require_pending_payment(&sub)?;
    if let Some(d) = &test.at_checkout {
        return Ok(declined_result("trial", Some(&sub), d.clone()));
    }
    let org_id = sub.org_id.clone();
    let days = session
        .target
        .as_ref()
        .and_then(|t| t["trialDays"].as_i64())
        .unwrap_or(0)
        .max(1);
    attach_card(conn, &mut sub, number, test.brand)?;
    let end = at + Duration::days(days);
    sub.status = "trialing".into();
    sub.trial_start = Some(ids::iso(at));
    sub.trial_end = Some(ids::iso(end));
    sub.billing_day = Some(end.day() as i64);
    sub.period_start = ids::iso(at);
    sub.period_end = ids::iso(end);
    sub.usage_start = ids::iso(at);
    sub.usage_end = ids::iso(super::usage_end(at, "monthly", at.day(), end));
    sub.checkout_token = None;
    mark_offer_applied(conn, &mut sub, at)?;
    sub.updated_at = ids::iso(at);
    subs::save(conn, &sub)?;
    grant_period(conn, &sub)?;
    let p = plan(conn, &sub.plan_id)?;
    let who = webhook_customer(conn, &org_id, &sub.customer_id)?;
    emit(
        conn,
        &org_id,
        "trial.started",
        json!({
            "subscriptionId": sub.id,
            "customerId": who,
            "status": sub.status,
            "planId": p.id,
            "planName": p.name,
            "trialEndsAt": sub.trial_end,
        }),
    )?;
    view::state_changed(conn, &org_id, &sub.customer_id, "trial_started")?;
    Ok(succeeded(
        "trial",
        &sub,
        format!("Card saved; the {days}-day trial has started"),
    ))
}

fn complete_payment_method(
    conn: &Connection,
    mut sub: Sub,
    number: &str,
    test: &cards::TestCard,
    at: DateTime<Utc>,
) -> Result<CheckoutResult, ApiError> {
    if let Some(d) = &test.at_checkout {
        return Ok(declined_result("payment_method", Some(&sub), d.clone()));
    }
    let pm = subs::insert_payment_method(conn, &sub.org_id, &sub.customer_id, number, test.brand)?;
    sub.payment_method_id = Some(pm.id.clone());
    sub.updated_at = ids::iso(at);
    subs::save(conn, &sub)?;
    let who = webhook_customer(conn, &sub.org_id, &sub.customer_id)?;
    emit(
        conn,
        &sub.org_id,
        "payment_method.updated",
        json!({ "customerId": who, "card": pm.card_json() }),
    )?;
    Ok(succeeded(
        "payment_method",
        &sub,
        format!("Card ending in {} saved", pm.last4),
    ))
}

fn complete_recovery(
    conn: &Connection,
    mut sub: Sub,
    number: &str,
    test: &cards::TestCard,
    at: DateTime<Utc>,
    base: &str,
) -> Result<CheckoutResult, ApiError> {
    if sub.status != "past_due" {
        return Err(invalid_status(
            &sub,
            "this recovery link is no longer valid",
        ));
    }
    if let Some(d) = &test.at_checkout {
        let inv = dunning_invoice(conn, &sub)?;
        charge_sub_invoice(conn, &sub, &inv, number, Presence::Checkout, at)?;
        return Ok(declined_result("recovery", Some(&sub), d.clone()));
    }
    let pm = subs::insert_payment_method(conn, &sub.org_id, &sub.customer_id, number, test.brand)?;
    sub.payment_method_id = Some(pm.id);
    subs::save(conn, &sub)?;
    let outcome = retry_dunning(conn, sub, at, base, Some((number, Presence::Checkout)))?;
    let sub = outcome.sub;
    match outcome.charged {
        Charged::Paid(_) => Ok(succeeded(
            "recovery",
            &sub,
            "Payment succeeded; the subscription is active again",
        )),
        Charged::Declined(d, _) => Ok(declined_result("recovery", Some(&sub), d)),
    }
}

fn complete_payment_link(
    conn: &Connection,
    session: &subs::CheckoutSession,
    number: &str,
    at: DateTime<Utc>,
) -> Result<CheckoutResult, ApiError> {
    let org_id = &session.org_id;
    let pay_id = session
        .payment_id
        .clone()
        .ok_or_else(|| ApiError::internal("payment checkout without a payment"))?;
    let payment = crate::server::store::payments::require(conn, org_id, &pay_id)?;
    if payment.status != "pending" {
        return Err(ApiError::conflict(
            "duplicate",
            format!("Payment {} is {}", payment.id, payment.status),
        ));
    }
    let out = super::view::settle_payment(conn, &payment, number, Presence::Checkout, at)?;
    Ok(CheckoutResult {
        ok: out.is_ok(),
        kind: "payment".into(),
        message: match &out {
            Ok(_) => format!(
                "Paid {}",
                super::money(payment.amount_total, &payment.currency)
            ),
            Err(d) => format!("Payment declined: {} ({})", d.message, d.code),
        },
        subscription_id: None,
        status: Some(if out.is_ok() { "succeeded" } else { "pending" }.into()),
        decline: out.err(),
        success_url: None,
    })
}

// -- dunning and recovery -------------------------------------------------------------------

pub fn dunning_invoice(conn: &Connection, sub: &Sub) -> Result<Invoice, ApiError> {
    let id = sub.dunning_invoice_id.clone().ok_or_else(|| {
        ApiError::conflict(
            "no_outstanding_invoice",
            format!(
                "Subscription {} has no outstanding invoice to retry",
                sub.id
            ),
        )
    })?;
    let inv = invoices::require(conn, &sub.org_id, &id)?;
    if inv.status != "outstanding" {
        return Err(ApiError::conflict(
            "no_outstanding_invoice",
            format!(
                "Invoice {} is {}, not outstanding",
                inv.invoice_number, inv.status
            ),
        ));
    }
    Ok(inv)
}

/// A past-due subscription whose invoice got paid: back to active, same
/// anchor (`payment.recovered`).
pub fn recover(
    conn: &Connection,
    mut sub: Sub,
    inv: &Invoice,
    provider: Option<&str>,
    at: DateTime<Utc>,
) -> Result<Sub, ApiError> {
    sub.status = "active".into();
    sub.dunning_retries = 0;
    sub.next_retry_at = None;
    sub.dunning_invoice_id = None;
    sub.updated_at = ids::iso(at);
    subs::save(conn, &sub)?;
    subs::expire_checkouts(conn, &sub.id, "recovery")?;
    let inv = invoices::require(conn, &sub.org_id, &inv.id)?;
    let who = webhook_customer(conn, &sub.org_id, &sub.customer_id)?;
    emit(
        conn,
        &sub.org_id,
        "payment.recovered",
        json!({
            "invoiceId": inv.id,
            "invoiceNumber": inv.invoice_number,
            "invoiceTotal": inv.total,
            "customerId": who,
            "subscriptionId": sub.id,
            "provider": provider,
        }),
    )?;
    view::state_changed(
        conn,
        &sub.org_id,
        &sub.customer_id,
        "subscription_activated",
    )?;
    Ok(sub)
}

/// The outcome of a dunning attempt.
pub struct Attempt {
    pub sub: Sub,
    pub invoice: Invoice,
    pub charged: Charged,
    /// The attempt used the last retry and canceled the subscription.
    pub exhausted: bool,
}

fn attempt(
    conn: &Connection,
    sub: Sub,
    inv_id: &str,
    charged: Charged,
    exhausted: bool,
) -> Result<Attempt, ApiError> {
    let invoice = invoices::require(conn, &sub.org_id, inv_id)?;
    Ok(Attempt {
        sub,
        invoice,
        charged,
        exhausted,
    })
}

/// One dunning attempt on the outstanding invoice, scheduled or manual
/// (manual ones use up the next slot). Success recovers the subscription;
/// the fourth failed retry cancels it (`dunning_exhausted`).
pub fn retry_dunning(
    conn: &Connection,
    sub: Sub,
    at: DateTime<Utc>,
    base: &str,
    card: Option<(&str, Presence)>,
) -> Result<Attempt, ApiError> {
    let inv = dunning_invoice(conn, &sub)?;
    let provider = provider_of(&sub);
    let (number, presence) = match card {
        Some((n, p)) => (n.to_owned(), p),
        None => match payment_method_of(conn, &sub)? {
            Some(pm) => (pm.card_number, Presence::Saved),
            None => (String::new(), Presence::Saved),
        },
    };
    let charged = charge_sub_invoice(conn, &sub, &inv, &number, presence, at)?;
    match &charged {
        Charged::Paid(_) => {
            let sub = recover(conn, sub, &inv, Some(&provider), at)?;
            attempt(conn, sub, &inv.id, charged, false)
        }
        Charged::Declined(d, _) => {
            let mut sub = sub;
            sub.dunning_retries += 1;
            let first = ids::parse_instant(&inv.issue_date).unwrap_or(at);
            let exhausted = sub.dunning_retries >= RETRY_DAYS.len() as i64;
            if exhausted {
                invoices::set_status(conn, &inv.id, "uncollectible", &ids::iso(at))?;
                let who = webhook_customer(conn, &sub.org_id, &sub.customer_id)?;
                emit(
                    conn,
                    &sub.org_id,
                    "payment.retry_failed",
                    json!({
                        "invoiceId": inv.id,
                        "invoiceNumber": inv.invoice_number,
                        "customerId": who,
                        "subscriptionId": sub.id,
                        "provider": provider,
                        "reason": d.code,
                    }),
                )?;
                sub.next_retry_at = None;
                let sub = cancel_now(conn, sub, Some("dunning_exhausted"), at)?;
                return attempt(conn, sub, &inv.id, charged, true);
            }
            let idx = sub.dunning_retries as usize;
            sub.next_retry_at = Some(ids::iso(first + Duration::days(RETRY_DAYS[idx])));
            sub.updated_at = ids::iso(at);
            subs::save(conn, &sub)?;
            let url = recovery_url(conn, base, &sub)?;
            collect::emit_payment_failed(conn, &sub.org_id, &inv, &provider, d, Some(&url))?;
            attempt(conn, sub, &inv.id, charged, false)
        }
    }
}

/// A renewal (or trial-end) charge was declined: past_due with the invoice
/// outstanding and retries scheduled (`subscription.past_due`,
/// `payment.failed`).
pub fn enter_past_due(
    conn: &Connection,
    mut sub: Sub,
    inv: &Invoice,
    decline: &Decline,
    at: DateTime<Utc>,
    base: &str,
) -> Result<Sub, ApiError> {
    sub.status = "past_due".into();
    sub.dunning_retries = 0;
    sub.dunning_invoice_id = Some(inv.id.clone());
    let first = ids::parse_instant(&inv.issue_date).unwrap_or(at);
    sub.next_retry_at = Some(ids::iso(first + Duration::days(RETRY_DAYS[0])));
    sub.updated_at = ids::iso(at);
    subs::save(conn, &sub)?;
    let who = webhook_customer(conn, &sub.org_id, &sub.customer_id)?;
    emit(
        conn,
        &sub.org_id,
        "subscription.past_due",
        json!({
            "subscriptionId": sub.id,
            "customerId": who,
            "status": sub.status,
            "invoiceId": inv.id,
            "invoiceNumber": inv.invoice_number,
        }),
    )?;
    let url = recovery_url(conn, base, &sub)?;
    collect::emit_payment_failed(
        conn,
        &sub.org_id,
        inv,
        &provider_of(&sub),
        decline,
        Some(&url),
    )?;
    view::state_changed(conn, &sub.org_id, &sub.customer_id, "past_due")?;
    Ok(sub)
}

// -- cancel / uncancel / reactivate ------------------------------------------------------------

/// Ends a subscription now: unpaid invoices are voided, open checkouts
/// expire (`subscription.canceled`, `invoice.voided`).
pub fn cancel_now(
    conn: &Connection,
    mut sub: Sub,
    reason: Option<&str>,
    at: DateTime<Utc>,
) -> Result<Sub, ApiError> {
    for inv in invoices::unpaid_for_subscription(conn, &sub.id)? {
        collect::void_invoice(conn, &sub.org_id, &inv, at)?;
    }
    for kind in [
        "subscription",
        "trial",
        "plan_change",
        "recovery",
        "payment_method",
    ] {
        subs::expire_checkouts(conn, &sub.id, kind)?;
    }
    sub.status = "canceled".into();
    sub.canceled_at = Some(ids::iso(at));
    sub.ended_at = Some(ids::iso(at));
    sub.cancel_reason = reason.map(str::to_owned).or(sub.cancel_reason.clone());
    sub.cancel_at_period_end = false;
    sub.scheduled_change = None;
    sub.next_retry_at = None;
    sub.checkout_token = None;
    sub.updated_at = ids::iso(at);
    subs::save(conn, &sub)?;
    let who = webhook_customer(conn, &sub.org_id, &sub.customer_id)?;
    emit(
        conn,
        &sub.org_id,
        "subscription.canceled",
        json!({
            "subscriptionId": sub.id,
            "customerId": who,
            "status": sub.status,
            "canceledAt": sub.canceled_at,
            "cancelReason": sub.cancel_reason,
            "endDate": sub.ended_at,
        }),
    )?;
    view::state_changed(conn, &sub.org_id, &sub.customer_id, "subscription_canceled")?;
    Ok(sub)
}

/// `POST /subscriptions/{id}/cancel`.
pub fn cancel(
    conn: &Connection,
    org_id: &str,
    id: &str,
    reason: Option<String>,
    immediate: bool,
    base: &str,
) -> Result<Value, ApiError> {
    let mut sub = subs::require(conn, org_id, id)?;
    if sub.status == "canceled" {
        return Err(ApiError::conflict(
            "subscription_already_canceled",
            format!("Subscription {} is already canceled", sub.id),
        ));
    }
    if sub.billing_interval == "one_time" {
        return Err(ApiError::conflict(
            "one_time_subscription_not_cancelable",
            format!(
                "Subscription {} is a one-time purchase and cannot be canceled",
                sub.id
            ),
        ));
    }
    let at = now(conn, org_id);
    let p = plan(conn, &sub.plan_id)?;
    let schedulable = matches!(sub.status.as_str(), "active" | "trialing") && !p.is_free;
    if immediate || !schedulable {
        if let Some(r) = &reason {
            sub.cancel_reason = Some(r.clone());
        }
        let sub = cancel_now(conn, sub, reason.as_deref(), at)?;
        return view::full_json(conn, &sub, base);
    }
    if sub.cancel_at_period_end {
        return Err(ApiError::conflict(
            "already_scheduled",
            format!(
                "Subscription {} is already scheduled to cancel at {}",
                sub.id, sub.period_end
            ),
        ));
    }
    sub.cancel_at_period_end = true;
    sub.cancel_requested_at = Some(ids::iso(at));
    sub.cancel_reason = reason;
    sub.updated_at = ids::iso(at);
    subs::save(conn, &sub)?;
    let who = webhook_customer(conn, org_id, &sub.customer_id)?;
    emit(
        conn,
        org_id,
        "subscription.cancellation_scheduled",
        json!({
            "subscriptionId": sub.id,
            "customerId": who,
            "status": sub.status,
            "canceledAt": sub.cancel_requested_at,
            "cancelReason": sub.cancel_reason,
            "effectiveAt": sub.period_end,
        }),
    )?;
    emit(
        conn,
        org_id,
        "subscription.updated",
        json!({
            "subscriptionId": sub.id,
            "customerId": who,
            "status": sub.status,
            "canceledAt": sub.cancel_requested_at,
            "cancelReason": sub.cancel_reason,
            "endDate": sub.period_end,
        }),
    )?;
    view::state_changed(conn, org_id, &sub.customer_id, "cancellation_scheduled")?;
    view::full_json(conn, &sub, base)
}

/// `POST /subscriptions/{id}/uncancel`.
pub fn uncancel(conn: &Connection, org_id: &str, id: &str, base: &str) -> Result<Value, ApiError> {
    let mut sub = subs::require(conn, org_id, id)?;
    if sub.status == "canceled" {
        return Err(ApiError::conflict(
            "subscription_already_canceled",
            format!(
                "Subscription {} is already canceled; reactivate it instead",
                sub.id
            ),
        ));
    }
    if !sub.cancel_at_period_end {
        return Err(ApiError::conflict(
            "not_scheduled_for_cancellation",
            format!("Subscription {} has no pending cancellation", sub.id),
        ));
    }
    let at = now(conn, org_id);
    sub.cancel_at_period_end = false;
    sub.cancel_requested_at = None;
    sub.cancel_reason = None;
    sub.updated_at = ids::iso(at);
    subs::save(conn, &sub)?;
    let who = webhook_customer(conn, org_id, &sub.customer_id)?;
    emit(
        conn,
        org_id,
        "subscription.cancellation_revoked",
        json!({ "subscriptionId": sub.id, "customerId": who, "status": sub.status, "currentPeriodEnd": sub.period_end }),
    )?;
    emit(
        conn,
        org_id,
        "subscription.updated",
        json!({ "subscriptionId": sub.id, "customerId": who, "status": sub.status, "cancelReason": null }),
    )?;
    view::state_changed(conn, org_id, &sub.customer_id, "cancellation_revoked")?;
    view::full_json(conn, &sub, base)
}

/// `POST /subscriptions/{id}/reactivate`. The outer `Err` rolls back; an
/// inner `Err` is a decline that is kept (the attempt happened).
pub fn reactivate(
    conn: &Connection,
    org_id: &str,
    id: &str,
    offer_id: Option<String>,
    base: &str,
) -> Result<Result<Value, ApiError>, ApiError> {
    let sub = subs::require(conn, org_id, id)?;
    let at = now(conn, org_id);
    match sub.status.as_str() {
        "past_due" => {
            if offer_id.is_some() {
                return Err(ApiError::validation_code(
                    "offer_not_applicable",
                    "Reactivating a past-due subscription retries its outstanding invoice; offers cannot be added",
                )
                .param("offerId"));
            }
            let attempt = retry_dunning(conn, sub, at, base, None)?;
            match &attempt.charged {
                Charged::Paid(_) => Ok(Ok(json!({
                    "subscriptionId": attempt.sub.id,
                    "invoiceId": attempt.invoice.id,
                    "status": "succeeded",
                    "object": "subscription_reactivation",
                    "livemode": false,
                }))),
                Charged::Declined(d, _) => {
                    let url = if attempt.exhausted {
                        None
                    } else {
                        Some(recovery_url(conn, base, &attempt.sub)?)
                    };
                    Ok(Err(collect::charge_failed(d, url)))
                }
            }
        }
        "canceled" => reactivate_canceled(conn, sub, offer_id, at, base),
        _ => Err(invalid_status(
            &sub,
            "only canceled or past_due subscriptions can be reactivated",
        )),
    }
}

fn reactivate_canceled(
    conn: &Connection,
    mut sub: Sub,
    offer_id: Option<String>,
    at: DateTime<Utc>,
    base: &str,
) -> Result<Result<Value, ApiError>, ApiError> {
    let org_id = sub.org_id.clone();
    if let Some(other) = subs::live_row(conn, &org_id, &sub.customer_id)? {
        return Err(ApiError::conflict(
            "already_has_active_subscription",
            format!(
                "The customer already has subscription {} ({})",
                other.id, other.status
            ),
        ));
    }
    let p = plan(conn, &sub.plan_id)?;
    if p.deleted {
        return Err(plan_unavailable(format!(
            "Plan `{}` was deleted and cannot be reactivated onto",
            p.code
        )));
    }
    let current = match &sub.price_id {
        Some(id) => price(conn, id)?,
        None => None,
    };
    let pr = match current {
        Some(pr) if !pr.archived => Some(pr),
        _ if p.is_free => None,
        _ => super::default_price(conn, &p.id, &sub.billing_interval)?,
    };
    if pr.is_none() && !p.is_free {
        return Err(plan_unavailable(format!(
            "Plan `{}` has no {} price in {} any more",
            p.code,
            sub.billing_interval,
            sub.currency.to_uppercase()
        )));
    }
    if let Some(oid) = &offer_id {
        let offer = crate::server::store::offers::require(conn, &org_id, oid, "offerId")?;
        offers::check_usable(&offer, &sub.currency, at)?;
        if let Some(pr) = &pr {
            sub.offer = Some(offers::application(
                &offer,
                "direct",
                &pr.id,
                pr.price,
                &sub.currency,
                None,
                at,
            ));
            sub.offer_cycle = 0;
        }
    } else {
        sub.offer = None;
        sub.offer_cycle = 0;
    }
    let pm = payment_method_of(conn, &sub)?;
    let Some(pr) = pr else {
        // A free plan comes back at once.
        start_period(&mut sub, at);
        reset_canceled(&mut sub, at);
        subs::save(conn, &sub)?;
        grant_period(conn, &sub)?;
        view::state_changed(conn, &org_id, &sub.customer_id, "subscription_reactivated")?;
        return Ok(Ok(json!({
            "subscriptionId": sub.id, "invoiceId": null, "status": "succeeded",
            "object": "subscription_reactivation", "livemode": false,
        })));
    };
    let Some(pm) = pm else {
        return Err(no_payment_method(&sub));
    };
    sub.price_id = Some(pr.id.clone());
    let mut fresh = sub.clone();
    start_period(&mut fresh, at);
    let lines = base_lines(&fresh, &p, &pr, 0, &fresh.billing_interval);
    let pending = Draft {
        customer_id: sub.customer_id.clone(),
        subscription_id: Some(sub.id.clone()),
        invoice_type: "reactivation",
        currency: sub.currency.clone(),
        lines: lines.clone(),
        period_start: fresh.period_start_at()?,
        period_end: fresh.period_end_at()?,
        at,
        due_days: 0,
        plan_name: Some(p.name.clone()),
        memo: None,
        metadata: None,
    };
    // A decline changes nothing: check the card before writing anything.
    if let Err(d) = cards::charge_saved(&pm.card_number) {
        let mut s = sub.clone();
        s.status = "canceled".into();
        let url = recovery_or_update_url(conn, base, &s)?;
        return Ok(Err(collect::charge_failed(&d, Some(url))));
    }
    let inv = collect::create_invoice(conn, &org_id, pending)?;
    charge_sub_invoice(conn, &sub, &inv, &pm.card_number, Presence::Saved, at)?;
    let mut sub = fresh;
    reset_canceled(&mut sub, at);
    sub.paid_base = net_base(&sub, &pr, 0);
    sub.offer_cycle = 1;
    mark_offer_applied(conn, &mut sub, at)?;
    subs::save(conn, &sub)?;
    grant_period(conn, &sub)?;
    let inv = invoices::require(conn, &org_id, &inv.id)?;
    emit_activated(conn, &sub, &inv, "subscription.reactivated")?;
    view::state_changed(conn, &org_id, &sub.customer_id, "subscription_reactivated")?;
    let mut out = json!({
        "subscriptionId": sub.id,
        "invoiceId": inv.id,
        "status": "succeeded",
        "object": "subscription_reactivation",
        "livemode": false,
    });
    if let Some(app) = &sub.offer {
        out["offerApplication"] = offers::short(app);
    }
    Ok(Ok(out))
}

fn reset_canceled(sub: &mut Sub, at: DateTime<Utc>) {
    sub.status = "active".into();
    sub.canceled_at = None;
    sub.ended_at = None;
    sub.cancel_reason = None;
    sub.cancel_at_period_end = false;
    sub.cancel_requested_at = None;
    sub.scheduled_change = None;
    sub.dunning_retries = 0;
    sub.next_retry_at = None;
    sub.dunning_invoice_id = None;
    sub.trial_end = None;
    sub.activated_once = true;
    sub.updated_at = ids::iso(at);
}

// -- recovery links, payment methods ------------------------------------------------------------

pub fn recovery_link(
    conn: &Connection,
    org_id: &str,
    id: &str,
    base: &str,
) -> Result<Value, ApiError> {
    let sub = subs::require(conn, org_id, id)?;
    if sub.status != "past_due" {
        return Err(invalid_status(
            &sub,
            "recovery links are for past_due subscriptions",
        ));
    }
    let url = recovery_url(conn, base, &sub)?;
    let token = url.rsplit('/').next().unwrap_or_default().to_owned();
    Ok(json!({ "url": url, "token": token, "object": "recovery_link", "livemode": false }))
}

pub fn update_payment_method(
    conn: &Connection,
    org_id: &str,
    id: &str,
    success_url: Option<String>,
    base: &str,
) -> Result<Value, ApiError> {
    let sub = subs::require(conn, org_id, id)?;
    if sub.status == "canceled" {
        return Err(not_active(
            &sub,
            "a canceled subscription has no payment method to update",
        ));
    }
    let token = subs::insert_checkout(
        conn,
        org_id,
        "payment_method",
        Some(&sub.id),
        None,
        None,
        None,
        success_url.as_deref(),
    )?;
    Ok(
        json!({ "checkoutUrl": format!("{base}/checkout/{token}"), "object": "checkout_session", "livemode": false }),
    )
}

// -- add-ons -----------------------------------------------------------------------------------

/// Charges a one-off invoice for a live subscription to its saved card. A
/// decline is an error (nothing is kept).
fn charge_now(
    conn: &Connection,
    sub: &Sub,
    invoice_type: &'static str,
    lines: Vec<Line>,
    at: DateTime<Utc>,
) -> Result<Invoice, ApiError> {
    let pm = payment_method_of(conn, sub)?.ok_or_else(|| no_payment_method(sub))?;
    let plan_name = plan(conn, &sub.plan_id)?.name;
    let inv = collect::create_invoice(
        conn,
        &sub.org_id,
        Draft {
            customer_id: sub.customer_id.clone(),
            subscription_id: Some(sub.id.clone()),
            invoice_type,
            currency: sub.currency.clone(),
            lines,
            period_start: sub.period_start_at()?,
            period_end: sub.period_end_at()?,
            at,
            due_days: 0,
            plan_name: Some(plan_name),
            memo: None,
            metadata: None,
        },
    )?;
    match charge_sub_invoice(conn, sub, &inv, &pm.card_number, Presence::Saved, at)? {
        Charged::Paid(_) => invoices::require(conn, &sub.org_id, &inv.id),
        Charged::Declined(d, _) => Err(collect::charge_failed(&d, None)),
    }
}

pub fn activate_addon(
    conn: &Connection,
    org_id: &str,
    id: &str,
    addon_ref: &str,
    base: &str,
) -> Result<Value, ApiError> {
    let _ = base;
    let sub = require_live(
        conn,
        org_id,
        id,
        "add-ons can be activated on active or trialing subscriptions",
    )?;
    let addon = addons::require(conn, org_id, addon_ref).map_err(|e| e.param("addonId"))?;
    let addon_id = addon["id"].as_str().unwrap_or_default().to_owned();
    if subs::active_addon(conn, &sub.id, &addon_id)?.is_some() {
        return Err(ApiError::conflict(
            "addon_already_active",
            format!(
                "Add-on `{}` is already active on {}",
                addon["slug"].as_str().unwrap_or(""),
                sub.id
            ),
        )
        .param("addonId"));
    }
    let p = plan(conn, &sub.plan_id)?;
    let model = addon["consumptionModel"].as_str().unwrap_or("boolean");
    let plan_model = p.consumption_model.as_deref().unwrap_or("metered");
    if model != "boolean" && model != plan_model {
        return Err(ApiError::invalid(
            "addonId",
            format!("a {model} add-on needs a {model} plan (this plan is {plan_model}); boolean add-ons work with any plan"),
        ));
    }
    let at = now(conn, org_id);
    let (remaining, total) =
        super::remaining_days(at, sub.period_start_at()?, sub.period_end_at()?);
    let base_price = usd_to(
        conn,
        &sub.plan_id,
        &sub.currency,
        addon["basePrice"].as_i64().unwrap_or(0),
    )?;
    let prorated = super::prorate(base_price, remaining, total);
    let name = addon["name"].as_str().unwrap_or("Add-on").to_owned();
    let inv = if prorated > 0 {
        let line = Line::new(
            "addon_base",
            format!("{name} (prorated {remaining}/{total} days)"),
            1,
            prorated,
            prorated,
            "advance",
        );
        Some(charge_now(conn, &sub, "addon_activation", vec![line], at)?)
    } else {
        None
    };
    subs::insert_addon(
        conn,
        org_id,
        &sub.id,
        &addon_id,
        prorated,
        inv.as_ref().map(|i| i.id.as_str()),
        &ids::iso(at),
    )?;
    let who = webhook_customer(conn, org_id, &sub.customer_id)?;
    emit(
        conn,
        org_id,
        "addon.activated",
        json!({
            "subscriptionId": sub.id,
            "customerId": who,
            "addon": { "id": addon_id, "name": name },
            "featureCode": addon["featureCode"],
            "proratedPrice": pools::cents_to_rate(prorated),
            "currency": sub.currency,
        }),
    )?;
    view::state_changed(conn, org_id, &sub.customer_id, "addon_activated")?;
    Ok(json!({
        "addonId": addon_id,
        "status": "active",
        "proratedCharge": prorated,
        "object": "subscription_addon",
        "livemode": false,
    }))
}

pub fn deactivate_addon(
    conn: &Connection,
    org_id: &str,
    id: &str,
    addon_ref: &str,
) -> Result<Value, ApiError> {
    let sub = subs::require(conn, org_id, id)?;
    let addon = addons::get(conn, org_id, addon_ref)?;
    // A soft-deleted add-on may still be active: look it up by id too.
    let (addon_id, name, feature) = match addon {
        Some(a) => (
            a["id"].as_str().unwrap_or_default().to_owned(),
            a["name"].as_str().unwrap_or_default().to_owned(),
            a["featureCode"].clone(),
        ),
        None => {
            let row: Option<(String, String, String)> = rusqlite::OptionalExtension::optional(conn.query_row(
                "SELECT a.id, a.name, f.code FROM addons a JOIN features f ON f.id = a.feature_id WHERE a.org_id = ?1 AND a.id = ?2",
                rusqlite::params![org_id, addon_ref],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            ))?;
            let (i, n, f) = row.ok_or_else(|| {
                ApiError::not_found(
                    "addon_not_found",
                    format!("No add-on with id or slug `{addon_ref}`"),
                )
                .param("addonId")
            })?;
            (i, n, Value::String(f))
        }
    };
    let Some((activation, _)) = subs::active_addon(conn, &sub.id, &addon_id)? else {
        return Err(ApiError::billing(
            "addon_not_active",
            format!("Add-on `{name}` is not active on {}", sub.id),
        )
        .param("addonId"));
    };
    let at = ids::iso(now(conn, org_id));
    subs::deactivate_addon(conn, &activation, &at)?;
    let who = webhook_customer(conn, org_id, &sub.customer_id)?;
    emit(
        conn,
        org_id,
        "addon.deactivated",
        json!({ "subscriptionId": sub.id, "customerId": who, "addon": { "id": addon_id, "name": name }, "featureCode": feature }),
    )?;
    view::state_changed(conn, org_id, &sub.customer_id, "addon_deactivated")?;
    Ok(
        json!({ "id": addon_id, "status": "inactive", "deactivatedAt": at, "object": "subscription_addon", "livemode": false }),
    )
}

// -- balance and credits ----------------------------------------------------------------------

pub fn adjust_balance(
    conn: &Connection,
    org_id: &str,
    id: &str,
    amount: i64,
    reason: Option<String>,
    kind: &str,
) -> Result<Value, ApiError> {
    let sub = subs::require(conn, org_id, id)?;
    if sub.status == "canceled" {
        return Err(not_active(
            &sub,
            "the balance of a canceled subscription cannot change",
        ));
    }
    let new_balance = if kind == "credits" {
        pools::grant_credits(conn, org_id, &sub.id, amount, "manual_adjustment")?;
        pools::credits(conn, org_id, &sub.id)?
    } else {
        pools::add_balance(
            conn,
            org_id,
            &sub.id,
            amount,
            reason.as_deref().unwrap_or("manual_adjustment"),
        )?
    };
    Ok(
        json!({ "amount": amount, "newBalance": new_balance, "reason": reason, "object": "balance_transaction", "livemode": false }),
    )
}

pub fn topup_balance(
    conn: &Connection,
    org_id: &str,
    id: &str,
    amount: i64,
) -> Result<Value, ApiError> {
    let sub = require_live(
        conn,
        org_id,
        id,
        "top-ups need an active or trialing subscription (pay the outstanding invoice first)",
    )?;
    let p = plan(conn, &sub.plan_id)?;
    if p.consumption_model.as_deref() != Some("balance") {
        return Err(ApiError::invalid(
            "amount",
            "top-ups are for plans with the balance consumption model",
        ));
    }
    let at = now(conn, org_id);
    let line = Line::new("one_time", "Balance top-up", 1, amount, amount, "standard");
    let inv = charge_now(conn, &sub, "balance_topup", vec![line], at)?;
    pools::add_balance(conn, org_id, &sub.id, amount, &format!("topup:{}", inv.id))?;
    Ok(json!({ "amount": amount, "object": "balance_topup", "livemode": false }))
}

pub fn purchase_credits(
    conn: &Connection,
    org_id: &str,
    id: &str,
    pack_ref: &str,
) -> Result<Value, ApiError> {
    let sub = require_live(
        conn,
        org_id,
        id,
        "credit packs need an active or trialing subscription (pay the outstanding invoice first)",
    )?;
    let pack =
        credit_packs::require(conn, org_id, pack_ref).map_err(|e| e.param("creditPackId"))?;
    if pack["isActive"] == false {
        return Err(ApiError::invalid(
            "creditPackId",
            "this credit pack is not active",
        ));
    }
    let p = plan(conn, &sub.plan_id)?;
    if p.consumption_model.as_deref() != Some("credits") {
        return Err(ApiError::invalid(
            "creditPackId",
            "credit packs can only be bought on credits plans",
        ));
    }
    let at = now(conn, org_id);
    let credits = pack["credits"].as_i64().unwrap_or(0);
    let price_usd = pack["price"].as_i64().unwrap_or(0);
    let name = pack["name"].as_str().unwrap_or("Credit pack").to_owned();
    let line = Line::new(
        "one_time",
        format!("{name} ({credits} credits)"),
        1,
        price_usd,
        price_usd,
        "standard",
    );
    let pm = payment_method_of(conn, &sub)?.ok_or_else(|| no_payment_method(&sub))?;
    let inv = collect::create_invoice(
        conn,
        org_id,
        Draft {
            customer_id: sub.customer_id.clone(),
            subscription_id: Some(sub.id.clone()),
            invoice_type: "credit_purchase",
            currency: "usd".into(),
            lines: vec![line],
            period_start: at,
            period_end: at,
            at,
            due_days: 0,
            plan_name: Some(p.name.clone()),
            memo: None,
            metadata: None,
        },
    )?;
    if let Charged::Declined(d, _) =
        charge_sub_invoice(conn, &sub, &inv, &pm.card_number, Presence::Saved, at)?
    {
        return Err(collect::charge_failed(&d, None));
    }
    pools::grant_credits(conn, org_id, &sub.id, credits, "purchase")?;
    let who = webhook_customer(conn, org_id, &sub.customer_id)?;
    emit(
        conn,
        org_id,
        "credits.purchased",
        json!({
            "subscriptionId": sub.id,
            "customerId": who,
            "invoiceId": inv.id,
            "invoiceNumber": inv.invoice_number,
            "creditPackName": name,
            "credits": credits,
        }),
    )?;
    Ok(json!({ "credits": credits, "object": "credit_grant", "livemode": false }))
}

// -- offers on pending checkouts ------------------------------------------------------------------

fn pending_checkout(conn: &Connection, org_id: &str, id: &str) -> Result<Sub, ApiError> {
    let sub = subs::require(conn, org_id, id)?;
    if sub.status != "pending_payment" {
        return Err(invalid_status(
            &sub,
            "offers can only be changed on a pending checkout",
        ));
    }
    Ok(sub)
}

/// Rewrites the checkout invoice after an offer change.
fn reprice_checkout(conn: &Connection, sub: &Sub, at: DateTime<Utc>) -> Result<(), ApiError> {
    let Some(token) = &sub.checkout_token else {
        return Ok(());
    };
    let Some(session) = subs::checkout(conn, token)? else {
        return Ok(());
    };
    let (Some(inv_id), Some(price_id)) = (session.invoice_id, sub.price_id.as_deref()) else {
        return Ok(());
    };
    let p = plan(conn, &sub.plan_id)?;
    let Some(pr) = price(conn, price_id)? else {
        return Ok(());
    };
    let mut lines = base_lines(sub, &p, &pr, 0, &sub.billing_interval);
    lines.extend(initial_seat_lines(conn, &p.id, sub.initial_seats.as_ref())?);
    invoices::replace_lines(conn, &inv_id, &lines, &ids::iso(at))
}

pub fn apply_offer(
    conn: &Connection,
    org_id: &str,
    id: &str,
    offer_id: &str,
    expires_at: Option<String>,
    base: &str,
) -> Result<Value, ApiError> {
    let mut sub = pending_checkout(conn, org_id, id)?;
    let at = now(conn, org_id);
    let offer = crate::server::store::offers::require(conn, org_id, offer_id, "offerId")?;
    if offers::starts_with_trial(&offer) {
        return Err(ApiError::validation_code(
            "offer_not_applicable",
            "Offers that start with a free trial cannot be applied to a pending checkout",
        )
        .param("offerId"));
    }
    offers::check_usable(&offer, &sub.currency, at)?;
    let pr = sub
        .price_id
        .as_deref()
        .map(|p| price(conn, p))
        .transpose()?
        .flatten()
        .ok_or_else(|| {
            ApiError::validation_code(
                "offer_not_applicable",
                "This subscription has no price to discount",
            )
        })?;
    let mut app = offers::application(&offer, "direct", &pr.id, pr.price, &sub.currency, None, at);
    app["expiresAt"] = json!(expires_at);
    sub.offer = Some(app);
    sub.updated_at = ids::iso(at);
    subs::save(conn, &sub)?;
    reprice_checkout(conn, &sub, at)?;
    view::full_json(conn, &sub, base)
}

pub fn remove_offer(
    conn: &Connection,
    org_id: &str,
    id: &str,
    base: &str,
) -> Result<Value, ApiError> {
    let mut sub = pending_checkout(conn, org_id, id)?;
    let at = now(conn, org_id);
    sub.offer = None;
    sub.updated_at = ids::iso(at);
    subs::save(conn, &sub)?;
    reprice_checkout(conn, &sub, at)?;
    view::full_json(conn, &sub, base)
}
