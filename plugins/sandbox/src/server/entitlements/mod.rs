//! Entitlements: what a customer's live subscription grants, feature by
//! feature, and the decision rules of usage, seats, quota and feature access
//! (billing-model.md §2–§4).
//!
//! - [`context`] resolves the customer and its one live subscription
//!   (`customer_not_found`, `no_active_subscription`) and reads the org's
//!   clock;
//! - [`grants`] / [`require_grant`] merge the plan's features with the
//!   features of active add-ons into one [`Grant`] per feature
//!   (`feature_not_in_plan`, `feature_disabled`);
//! - `decide` holds the usage decisions, `access` renders `FeatureAccess`,
//!   `state` builds `customer.state_changed`, `ai` prices model tokens,
//!   `units` changes seat and quota counts.

pub mod access;
pub mod ai;
pub mod decide;
pub mod state;
pub mod units;

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde_json::{json, Value};

use crate::server::clock;
use crate::server::error::ApiError;
use crate::server::ids;
use crate::server::store::customers::{self, Customer};
use crate::server::store::features::Feature;
use crate::server::store::plans;
use crate::server::store::subscriptions::{self, LiveSubscription};

/// The `customerId` webhooks carry: the external id when the customer has
/// one, otherwise the `cus_` id.
pub fn webhook_customer_id(
    conn: &Connection,
    org_id: &str,
    customer_id: &str,
) -> Result<String, ApiError> {
    let external: Option<Option<String>> = conn
        .query_row(
            "SELECT external_id FROM customers WHERE org_id = ?1 AND id = ?2",
            params![org_id, customer_id],
            |r| r.get(0),
        )
        .optional()?;
    Ok(external.flatten().unwrap_or_else(|| customer_id.to_owned()))
}

/// A customer with a live subscription, at the org's current time.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub org_id: String,
    pub customer: Customer,
    pub sub: LiveSubscription,
    /// The billing period (seats and quota are billed per billing period;
    /// `sub.period_*` is the usage period).
    pub billing_start: DateTime<Utc>,
    pub billing_end: DateTime<Utc>,
    pub now: DateTime<Utc>,
}

/// The three consumption models (a plan without one meters usage).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Model {
    Metered,
    Credits,
    Balance,
}

impl Model {
    pub fn as_str(self) -> &'static str {
        match self {
            Model::Metered => "metered",
            Model::Credits => "credits",
            Model::Balance => "balance",
        }
    }
}

impl Ctx {
    pub fn model(&self) -> Model {
        match self.sub.consumption_model.as_deref() {
            Some("credits") => Model::Credits,
            Some("balance") => Model::Balance,
            _ => Model::Metered,
        }
    }

    /// Trialing, active and past_due subscriptions give access;
    /// pending_payment and draft ones do not.
    pub fn has_access(&self) -> bool {
        matches!(self.sub.status.as_str(), "trialing" | "active" | "past_due")
    }

    /// Overage needs a paid plan that is not trialing.
    pub fn overage_possible(&self) -> bool {
        !self.sub.is_free && self.sub.status != "trialing"
    }

    /// Balance usage is refused beyond the balance on blocking plans, free
    /// plans and during a trial.
    pub fn balance_blocks(&self) -> bool {
        self.sub.block_on_exhaustion || self.sub.is_free || self.sub.status == "trialing"
    }

    /// The `subscription_not_active` error for writes while the
    /// subscription gives no access.
    pub fn inactive_error(&self) -> ApiError {
        ApiError::conflict(
            "subscription_not_active",
            format!(
                "Subscription {} is {}; usage, seats and quota need a trialing, active or past_due subscription",
                self.sub.id, self.sub.status
            ),
        )
        .details(json!({ "subscriptionId": self.sub.id, "status": self.sub.status }))
    }

    pub fn require_access(&self) -> Result<(), ApiError> {
        if self.has_access() {
            Ok(())
        } else {
            Err(self.inactive_error())
        }
    }
}

/// Resolves a customer reference (`cus_` or external id) and its live
/// subscription.
pub fn context(
    conn: &Connection,
    org_id: &str,
    customer_ref: &str,
    param: &str,
) -> Result<Ctx, ApiError> {
    let customer = customers::require(conn, org_id, customer_ref, param)?;
    context_for(conn, org_id, customer)
}

pub fn context_for(conn: &Connection, org_id: &str, customer: Customer) -> Result<Ctx, ApiError> {
    let Some(sub) = subscriptions::live_for_customer(conn, org_id, &customer.id)? else {
        return Err(ApiError::not_found(
            "no_active_subscription",
            format!(
                "Customer {} has no active subscription; create one with POST /subscriptions",
                customer.external_id.as_deref().unwrap_or(&customer.id)
            ),
        )
        .param("customerId"));
    };
    let (billing_start, billing_end) = match subscriptions::get(conn, org_id, &sub.id)? {
        Some(row) => (row.period_start_at()?, row.period_end_at()?),
        None => (sub.period_start, sub.period_end),
    };
    Ok(Ctx {
        org_id: org_id.to_owned(),
        now: clock::now(conn, org_id),
        customer,
        sub,
        billing_start,
        billing_end,
    })
}

/// A feature's effective terms for one subscription: the plan's settings
/// with its active add-ons applied.
#[derive(Debug, Clone, PartialEq)]
pub struct Grant {
    pub feature: Feature,
    pub on_plan: bool,
    /// The add-on that extends this feature, if one is active.
    pub addon_id: Option<String>,
    pub enabled: bool,
    pub included: i64,
    pub unlimited: bool,
    /// Overage as configured (see [`Grant::overage_allowed`] for the
    /// effective rule).
    pub overage_enabled: bool,
    /// Per-unit price (overage, balance usage, extra seats and quota) in the
    /// rate scale, in the subscription's currency.
    pub unit_price: i64,
    pub credits_per_unit: f64,
    pub ai_model: bool,
    /// Percent.
    pub margin: f64,
}

impl Grant {
    /// Whether usage, seats or quota may go above the included amount now.
    pub fn overage_allowed(&self, ctx: &Ctx) -> bool {
        self.overage_enabled && ctx.overage_possible()
    }

    /// The hard cap on seats, quota and metered usage (`None` = no cap).
    pub fn cap(&self, ctx: &Ctx) -> Option<i64> {
        if self.unlimited || self.overage_allowed(ctx) {
            None
        } else {
            Some(self.included)
        }
    }

    /// `{amount, currency, scale: 10000}`.
    pub fn unit_price_json(&self, ctx: &Ctx) -> Value {
        json!({ "amount": self.unit_price, "currency": ctx.sub.currency, "scale": 10000 })
    }
}

fn exchange_rate(
    conn: &Connection,
    plan_id: &str,
    currency: &str,
) -> Result<Option<f64>, ApiError> {
    Ok(conn
        .query_row(
            "SELECT exchange_rate FROM plan_exchange_rates WHERE plan_id = ?1 AND currency = ?2",
            params![plan_id, currency],
            |r| r.get(0),
        )
        .optional()?)
}

/// A USD per-unit price in the subscription's currency: the plan's explicit
/// regional overage price, else converted with the plan's exchange rate.
fn regional_price(
    conn: &Connection,
    plan_id: &str,
    feature_id: Option<&str>,
    currency: &str,
    usd: i64,
) -> Result<i64, ApiError> {
    if currency.eq_ignore_ascii_case("usd") {
        return Ok(usd);
    }
    if let Some(feature_id) = feature_id {
        let explicit: Option<i64> = conn
            .query_row(
                "SELECT overage_unit_price FROM plan_feature_regional WHERE plan_id = ?1 AND feature_id = ?2 AND currency = ?3",
                params![plan_id, feature_id, currency],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(price) = explicit {
            return Ok(price);
        }
    }
    Ok(match exchange_rate(conn, plan_id, currency)? {
        Some(rate) => (usd as f64 * rate).round() as i64,
        None => usd,
    })
}

/// Converts a USD amount (token costs) to the subscription's currency with
/// the plan's exchange rate (unchanged when none is set).
pub fn to_sub_currency(conn: &Connection, ctx: &Ctx, usd: i64) -> Result<i64, ApiError> {
    regional_price(conn, &ctx.sub.plan_id, None, &ctx.sub.currency, usd)
}

fn apply_addon(conn: &Connection, ctx: &Ctx, g: &mut Grant, addon: &Value) -> Result<(), ApiError> {
    g.addon_id = addon["addonId"].as_str().map(str::to_owned);
    g.enabled = true;
    let rate = match addon["overageRate"].as_i64() {
        Some(r) => Some(regional_price(
            conn,
            &ctx.sub.plan_id,
            None,
            &ctx.sub.currency,
            r,
        )?),
        None => None,
    };
    match addon["consumptionModel"].as_str().unwrap_or("boolean") {
        "metered" => {
            g.included += addon["includedUnits"].as_i64().unwrap_or(0);
            if let Some(rate) = rate {
                g.overage_enabled = true;
                g.unit_price = rate;
            }
        }
        "credits" => {
            if let Some(cost) = addon["creditCost"].as_f64() {
                g.credits_per_unit = cost;
            }
        }
        "balance" => {
            if let Some(rate) = rate {
                g.unit_price = rate;
            }
        }
        _ => {}
    }
    Ok(())
}

fn feature_from_addon(addon: &Value) -> Option<Feature> {
    Some(Feature {
        id: addon["featureId"].as_str()?.to_owned(),
        code: addon["featureCode"].as_str()?.to_owned(),
        name: addon["featureName"].as_str().unwrap_or_default().to_owned(),
        kind: addon["featureType"]
            .as_str()
            .unwrap_or("boolean")
            .to_owned(),
        description: None,
        unit_name: None,
        created_at: String::new(),
        updated_at: String::new(),
    })
}

/// Every feature the subscription grants: the plan's, in plan order, then
/// those only an add-on brings.
pub fn grants(conn: &Connection, ctx: &Ctx) -> Result<Vec<Grant>, ApiError> {
    let mut out = Vec::new();
    for (pf, feature) in plans::plan_feature_rows(conn, &ctx.sub.plan_id)? {
        let unit_price = regional_price(
            conn,
            &ctx.sub.plan_id,
            Some(&feature.id),
            &ctx.sub.currency,
            pf.overage_unit_price,
        )?;
        out.push(Grant {
            on_plan: true,
            addon_id: None,
            enabled: pf.enabled,
            included: pf.included_amount,
            unlimited: pf.unlimited,
            overage_enabled: pf.overage_enabled,
            unit_price,
            credits_per_unit: pf.credits_per_unit.unwrap_or(1.0),
            ai_model: pf.pricing_mode == "ai_model",
            margin: pf.margin.unwrap_or(0.0),
            feature,
        });
    }
    for addon in subscriptions::active_addon_feature_grants(conn, &ctx.org_id, &ctx.sub.id)? {
        let code = addon["featureCode"].as_str().unwrap_or_default();
        if let Some(g) = out.iter_mut().find(|g| g.feature.code == code) {
            apply_addon(conn, ctx, g, &addon)?;
            continue;
        }
        let Some(mut feature) = feature_from_addon(&addon) else {
            continue;
        };
        if let Some(full) = crate::server::store::features::find(conn, &ctx.org_id, &feature.id)? {
            feature = full;
        }
        let mut g = Grant {
            feature,
            on_plan: false,
            addon_id: None,
            enabled: true,
            included: 0,
            unlimited: false,
            overage_enabled: false,
            unit_price: 0,
            credits_per_unit: 1.0,
            ai_model: false,
            margin: 0.0,
        };
        apply_addon(conn, ctx, &mut g, &addon)?;
        out.push(g);
    }
    Ok(out)
}

/// The grant of one feature, if the plan or an add-on has it.
pub fn find_grant(
    conn: &Connection,
    ctx: &Ctx,
    feature: &Feature,
) -> Result<Option<Grant>, ApiError> {
    Ok(grants(conn, ctx)?
        .into_iter()
        .find(|g| g.feature.id == feature.id))
}

/// `feature_not_in_plan` for a feature neither the plan nor an add-on has.
pub fn not_in_plan(ctx: &Ctx, feature: &Feature) -> ApiError {
    ApiError::billing(
        "feature_not_in_plan",
        format!(
            "Feature `{}` is not part of the customer's plan or of an active add-on",
            feature.code
        ),
    )
    .param("featureCode")
    .details(json!({ "featureCode": feature.code, "subscriptionId": ctx.sub.id }))
}

/// `feature_disabled` for a feature the plan has but switched off.
pub fn disabled(feature: &Feature) -> ApiError {
    ApiError::billing(
        "feature_disabled",
        format!(
            "Feature `{}` is disabled on the customer's plan",
            feature.code
        ),
    )
    .param("featureCode")
    .details(json!({ "featureCode": feature.code }))
}

/// The enabled grant of a feature, or `feature_not_in_plan` /
/// `feature_disabled`.
pub fn require_grant(conn: &Connection, ctx: &Ctx, feature: &Feature) -> Result<Grant, ApiError> {
    match find_grant(conn, ctx, feature)? {
        None => Err(not_in_plan(ctx, feature)),
        Some(g) if !g.enabled => Err(disabled(feature)),
        Some(g) => Ok(g),
    }
}

/// A `validation_error` for a feature of the wrong type on `featureCode`.
pub fn wrong_type(feature: &Feature, wanted: &str, hint: &str) -> ApiError {
    ApiError::invalid(
        "featureCode",
        format!(
            "`{}` is a {} feature; this endpoint takes {wanted} features ({hint})",
            feature.code, feature.kind
        ),
    )
}

/// `{start, end}` as ISO strings.
pub fn period_json(start: DateTime<Utc>, end: DateTime<Utc>) -> Value {
    json!({ "start": ids::iso(start), "end": ids::iso(end) })
}
