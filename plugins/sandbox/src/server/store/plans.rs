//! Plans, their features, prices and regional pricing.

use rusqlite::{params, Connection, OptionalExtension};
use serde_json::{json, Value};

use super::features::Feature;
use super::page::{self, Filter, Order, Page, PageParams};
use super::{json_text, number, opt_number, parse_json, parse_json_or};
use crate::server::error::ApiError;
use crate::server::ids;
use crate::server::input::Patch;

pub const CONSUMPTION_MODELS: &[&str] = &["metered", "credits", "balance"];
pub const PRICING_MODES: &[&str] = &["fixed", "ai_model"];

/// Plan codes: lowercase letters, digits, `_` and `-`.
pub fn valid_code(code: &str) -> bool {
    code.len() <= 64
        && code
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && code
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

pub const CODE_RULE: &str = "use lowercase letters, digits, `_` and `-` (e.g. pro or team-yearly)";

#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub id: String,
    pub code: String,
    pub name: String,
    pub description: Option<String>,
    pub consumption_model: Option<String>,
    pub is_public: bool,
    pub is_default: bool,
    pub is_free: bool,
    pub block_on_exhaustion: Option<bool>,
    pub sort_order: i64,
    pub plan_group_id: Option<String>,
    pub default_interval: Option<String>,
    pub metadata: Option<Value>,
    pub created_at: String,
    pub updated_at: String,
}

const COLS: &str = "seq, id, code, name, description, consumption_model, is_public, is_default, is_free, \
    block_on_exhaustion, sort_order, plan_group_id, default_interval, metadata, created_at, updated_at";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Plan> {
    Ok(Plan {
        id: r.get(1)?,
        code: r.get(2)?,
        name: r.get(3)?,
        description: r.get(4)?,
        consumption_model: r.get(5)?,
        is_public: r.get(6)?,
        is_default: r.get(7)?,
        is_free: r.get(8)?,
        block_on_exhaustion: r.get(9)?,
        sort_order: r.get(10)?,
        plan_group_id: r.get(11)?,
        default_interval: r.get(12)?,
        metadata: Some(parse_json(r.get(13)?)).filter(|v| !v.is_null()),
        created_at: r.get(14)?,
        updated_at: r.get(15)?,
    })
}

/// By `pln_` id or code; deleted plans are not found.
pub fn find(conn: &Connection, org_id: &str, id_or_code: &str) -> Result<Option<Plan>, ApiError> {
    let sql = format!(
        "SELECT {COLS} FROM plans WHERE org_id = ?1 AND (id = ?2 OR code = ?2) AND deleted_at IS NULL
         ORDER BY id = ?2 DESC LIMIT 1"
    );
    Ok(conn
        .query_row(&sql, params![org_id, id_or_code], from_row)
        .optional()?)
}

pub fn require(
    conn: &Connection,
    org_id: &str,
    id_or_code: &str,
    param: &str,
) -> Result<Plan, ApiError> {
    find(conn, org_id, id_or_code)?.ok_or_else(|| {
        ApiError::not_found(
            "plan_not_found",
            format!("No plan with id or code `{id_or_code}`"),
        )
        .param(param)
    })
}

/// The fields of a new plan.
#[derive(Debug, Clone, Default)]
pub struct NewPlan {
    pub code: String,
    pub name: String,
    pub description: Option<String>,
    pub consumption_model: Option<String>,
    pub is_public: bool,
    pub is_free: bool,
    pub block_on_exhaustion: Option<bool>,
    pub plan_group_id: Option<String>,
    pub sort_order: Option<i64>,
    pub default_interval: Option<String>,
    pub metadata: Option<Value>,
}

pub fn insert(conn: &Connection, org_id: &str, new: NewPlan) -> Result<Plan, ApiError> {
    if !valid_code(&new.code) {
        return Err(ApiError::invalid("code", CODE_RULE));
    }
    if find(conn, org_id, &new.code)?.is_some() {
        return Err(ApiError::conflict(
            "duplicate",
            format!("A plan with code `{}` already exists", new.code),
        )
        .param("code"));
    }
    let mut sort_order = new.sort_order.unwrap_or(0);
    if let Some(group) = &new.plan_group_id {
        super::plan_groups::require(conn, org_id, group, "planGroupId")?;
        if new.sort_order.is_none() {
            sort_order = super::plan_groups::next_sort_order(conn, group)?;
        }
    }
    let id = ids::new_id("pln_");
    let now = ids::now();
    conn.execute(
        "INSERT INTO plans (id, org_id, code, name, description, consumption_model, is_public, is_free, block_on_exhaustion,
           sort_order, plan_group_id, default_interval, metadata, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?14)",
        params![
            id,
            org_id,
            new.code,
            new.name,
            new.description,
            new.consumption_model,
            new.is_public,
            new.is_free,
            new.block_on_exhaustion,
            sort_order,
            new.plan_group_id,
            new.default_interval,
            json_text(&new.metadata),
            now
        ],
    )?;
    require(conn, org_id, &id, "id")
}

/// Changes to a plan (the API's PATCH plus what `push` may change).
#[derive(Debug, Clone, Default)]
pub struct PlanPatch {
    pub name: Option<String>,
    pub description: Patch<String>,
    pub metadata: Patch<Value>,
    pub is_public: Option<bool>,
    pub is_free: Option<bool>,
    pub consumption_model: Patch<String>,
    pub block_on_exhaustion: Patch<bool>,
    pub sort_order: Option<i64>,
    pub default_interval: Patch<String>,
}

pub fn update(
    conn: &Connection,
    org_id: &str,
    id_or_code: &str,
    patch: PlanPatch,
) -> Result<Plan, ApiError> {
    let current = require(conn, org_id, id_or_code, "id")?;
    let next = Plan {
        name: patch.name.unwrap_or(current.name.clone()),
        description: patch.description.apply(current.description.clone()),
        metadata: patch.metadata.apply(current.metadata.clone()),
        is_public: patch.is_public.unwrap_or(current.is_public),
        is_free: patch.is_free.unwrap_or(current.is_free),
        consumption_model: patch
            .consumption_model
            .apply(current.consumption_model.clone()),
        block_on_exhaustion: patch.block_on_exhaustion.apply(current.block_on_exhaustion),
        sort_order: patch.sort_order.unwrap_or(current.sort_order),
        default_interval: patch
            .default_interval
            .apply(current.default_interval.clone()),
        updated_at: ids::now(),
        ..current
    };
    conn.execute(
        "UPDATE plans SET name = ?1, description = ?2, metadata = ?3, is_public = ?4, is_free = ?5, consumption_model = ?6,
           block_on_exhaustion = ?7, sort_order = ?8, default_interval = ?9, updated_at = ?10 WHERE id = ?11",
        params![
            next.name,
            next.description,
            json_text(&next.metadata),
            next.is_public,
            next.is_free,
            next.consumption_model,
            next.block_on_exhaustion,
            next.sort_order,
            next.default_interval,
            next.updated_at,
            next.id
        ],
    )?;
    Ok(next)
}

/// Soft delete: the row stays for existing subscriptions, the code is freed.
pub fn delete(conn: &Connection, org_id: &str, id_or_code: &str) -> Result<Value, ApiError> {
    let plan = require(conn, org_id, id_or_code, "id")?;
    conn.execute(
        "UPDATE plans SET deleted_at = ?1, updated_at = ?1 WHERE id = ?2",
        params![ids::now(), plan.id],
    )?;
    Ok(json!({ "id": plan.id, "deleted": true, "object": "plan", "livemode": false }))
}

pub fn list(
    conn: &Connection,
    org_id: &str,
    include_private: bool,
    page: PageParams,
) -> Result<Page<Value>, ApiError> {
    let mut f = Filter::org(org_id).and("deleted_at IS NULL", []);
    if !include_private {
        f = f.and("is_public = 1", []);
    }
    let rows = page::list(conn, "plans", COLS, f, page, Order::OldestFirst, from_row)?;
    let items = rows
        .items
        .iter()
        .map(|p| view(conn, p))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page {
        items,
        next: rows.next,
    })
}

// -- the plan view -----------------------------------------------------------

fn exchange_rates(conn: &Connection, plan_id: &str) -> Result<Vec<(String, f64)>, ApiError> {
    let mut stmt =
        conn.prepare_cached("SELECT currency, exchange_rate FROM plan_exchange_rates WHERE plan_id = ?1 ORDER BY currency")?;
    let rows = stmt.query_map([plan_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn convert(amount: i64, rate: f64) -> i64 {
    (amount as f64 * rate).round() as i64
}

/// The full `Plan` object.
pub fn view(conn: &Connection, plan: &Plan) -> Result<Value, ApiError> {
    let rates = exchange_rates(conn, &plan.id)?;
    let features = plan_feature_rows(conn, &plan.id)?
        .into_iter()
        .map(|(pf, feature)| {
            let explicit = feature_regional(conn, &plan.id, &feature.id)?;
            let mut regional: Vec<Value> = explicit
                .iter()
                .map(|(cur, price)| json!({ "currency": cur, "overageUnitPrice": price, "autoSynced": false }))
                .collect();
            if pf.overage_enabled {
                for (cur, rate) in &rates {
                    if !explicit.iter().any(|(c, _)| c == cur) {
                        regional.push(json!({
                            "currency": cur,
                            "overageUnitPrice": convert(pf.overage_unit_price, *rate),
                            "autoSynced": true,
                        }));
                    }
                }
            }
            let overage = if pf.overage_enabled || pf.overage_unit_price != 0 {
                json!({
                    "enabled": pf.overage_enabled,
                    "model": if pf.overage_enabled { Value::from("per_unit") } else { Value::Null },
                    "unitPrice": pf.overage_unit_price,
                })
            } else {
                Value::Null
            };
            Ok(json!({
                "code": feature.code,
                "name": feature.name,
                "type": feature.kind,
                "unitName": feature.unit_name,
                "featureId": feature.id,
                "enabled": pf.enabled,
                "includedAmount": pf.included_amount,
                "unlimited": pf.unlimited,
                "overage": overage,
                "creditsPerUnit": opt_number(pf.credits_per_unit),
                "pricingMode": pf.pricing_mode,
                "margin": opt_number(pf.margin),
                "regionalPrices": regional,
            }))
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    let prices = active_prices(conn, &plan.id)?
        .into_iter()
        .map(|price| {
            let explicit = price_regional(conn, &price.id)?;
            let mut regional: Vec<Value> = explicit
                .iter()
                .map(|(cur, amount, balance)| {
                    json!({ "currency": cur, "price": amount, "includedBalance": balance, "autoSynced": false })
                })
                .collect();
            for (cur, rate) in &rates {
                if !explicit.iter().any(|(c, _, _)| c == cur) {
                    regional.push(json!({
                        "currency": cur,
                        "price": convert(price.price, *rate),
                        "includedBalance": price.included_balance.map(|b| convert(b, *rate)),
                        "autoSynced": true,
                    }));
                }
            }
            let mut v = json!({
                "id": price.id,
                "billingInterval": price.billing_interval,
                "price": price.price,
                "isDefault": price.is_default,
                "trialDays": price.trial_days,
                "includedBalance": price.included_balance,
                "includedCredits": price.included_credits,
                "offerId": price.offer_id,
                "inheritsFromPriceId": price.inherits_from_price_id,
                "metadata": price.metadata,
                "marketPrices": price.market_prices,
                "regionalPrices": regional,
            });
            if let Some(intro) = &price.intro_offer {
                v["introOffer"] = intro.clone();
            }
            Ok(v)
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    Ok(json!({
        "id": plan.id,
        "name": plan.name,
        "code": plan.code,
        "description": plan.description,
        "consumptionModel": plan.consumption_model,
        "isPublic": plan.is_public,
        "isDefault": plan.is_default,
        "isFree": plan.is_free,
        "blockOnExhaustion": plan.block_on_exhaustion,
        "sortOrder": plan.sort_order,
        "planGroupId": plan.plan_group_id,
        "defaultInterval": plan.default_interval,
        "metadata": plan.metadata,
        "createdAt": plan.created_at,
        "updatedAt": plan.updated_at,
        "features": features,
        "prices": prices,
        "exchangeRates": rates.iter().map(|(c, r)| json!({ "currency": c, "exchangeRate": number(*r) })).collect::<Vec<_>>(),
        "object": "plan",
        "livemode": false,
    }))
}

// -- plan features -----------------------------------------------------------

/// A feature's settings on one plan.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanFeature {
    pub plan_id: String,
    pub feature_id: String,
    pub enabled: bool,
    pub included_amount: i64,
    pub unlimited: bool,
    pub overage_enabled: bool,
    pub overage_unit_price: i64,
    pub credits_per_unit: Option<f64>,
    pub pricing_mode: String,
    pub margin: Option<f64>,
}

impl PlanFeature {
    pub fn to_json(&self, feature_code: &str) -> Value {
        json!({
            "planId": self.plan_id,
            "featureId": self.feature_id,
            "featureCode": feature_code,
            "enabled": self.enabled,
            "includedAmount": self.included_amount,
            "unlimited": self.unlimited,
            "overage": { "enabled": self.overage_enabled, "unitPrice": self.overage_unit_price },
            "creditsPerUnit": opt_number(self.credits_per_unit),
            "pricingMode": self.pricing_mode,
            "margin": opt_number(self.margin),
            "object": "plan_feature",
            "livemode": false,
        })
    }
}

/// Settings sent by add-feature / update-feature (absent = keep or default).
#[derive(Debug, Clone, Default)]
pub struct FeatureSettings {
    pub enabled: Option<bool>,
    pub included_amount: Option<i64>,
    pub unlimited: Option<bool>,
    pub overage_enabled: Option<bool>,
    pub overage_unit_price: Option<i64>,
    pub credits_per_unit: Patch<f64>,
    pub pricing_mode: Option<String>,
    pub margin: Patch<f64>,
}

const PF_COLS: &str = "plan_id, feature_id, enabled, included_amount, unlimited, overage_enabled, overage_unit_price, \
    credits_per_unit, pricing_mode, margin";

fn pf_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<PlanFeature> {
    Ok(PlanFeature {
        plan_id: r.get(0)?,
        feature_id: r.get(1)?,
        enabled: r.get(2)?,
        included_amount: r.get(3)?,
        unlimited: r.get(4)?,
        overage_enabled: r.get(5)?,
        overage_unit_price: r.get(6)?,
        credits_per_unit: r.get(7)?,
        pricing_mode: r.get(8)?,
        margin: r.get(9)?,
    })
}

/// The features of a plan, in the order they were added.
pub fn plan_feature_rows(
    conn: &Connection,
    plan_id: &str,
) -> Result<Vec<(PlanFeature, Feature)>, ApiError> {
    let sql = format!(
        "SELECT {}, f.seq, f.id, f.code, f.name, f.type, f.description, f.unit_name, f.created_at, f.updated_at
         FROM plan_features pf JOIN features f ON f.id = pf.feature_id WHERE pf.plan_id = ?1 ORDER BY pf.seq",
        PF_COLS.split(", ").map(|c| format!("pf.{}", c.trim())).collect::<Vec<_>>().join(", ")
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map([plan_id], |r| {
        let pf = pf_from_row(r)?;
        let feature = Feature {
            id: r.get(11)?,
            code: r.get(12)?,
            name: r.get(13)?,
            kind: r.get(14)?,
            description: r.get(15)?,
            unit_name: r.get(16)?,
            created_at: r.get(17)?,
            updated_at: r.get(18)?,
        };
        Ok((pf, feature))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn get_plan_feature(
    conn: &Connection,
    plan_id: &str,
    feature_id: &str,
) -> Result<Option<PlanFeature>, ApiError> {
    let sql = format!("SELECT {PF_COLS} FROM plan_features WHERE plan_id = ?1 AND feature_id = ?2");
    Ok(conn
        .query_row(&sql, params![plan_id, feature_id], pf_from_row)
        .optional()?)
}

fn check_feature_rules(plan: &Plan, pf: &PlanFeature) -> Result<(), ApiError> {
    if plan.is_free && pf.overage_enabled {
        return Err(ApiError::invalid(
            "overage.enabled",
            "overage cannot be enabled on a free plan (usage stops at the included amount)",
        ));
    }
    if pf.pricing_mode == "ai_model" && plan.consumption_model.as_deref() != Some("balance") {
        return Err(ApiError::invalid(
            "pricingMode",
            "ai_model pricing is only available on plans with the balance consumption model",
        ));
    }
    if pf.included_amount < 0 {
        return Err(ApiError::invalid("includedAmount", "must be at least 0"));
    }
    Ok(())
}

fn apply_settings(mut pf: PlanFeature, s: FeatureSettings) -> PlanFeature {
    if let Some(v) = s.enabled {
        pf.enabled = v;
    }
    if let Some(v) = s.included_amount {
        pf.included_amount = v;
    }
    if let Some(v) = s.unlimited {
        pf.unlimited = v;
    }
    if let Some(v) = s.overage_unit_price {
        pf.overage_unit_price = v;
    }
    if let Some(v) = s.overage_enabled {
        pf.overage_enabled = v;
    }
    if let Some(v) = s.pricing_mode {
        pf.pricing_mode = v;
    }
    pf.credits_per_unit = s.credits_per_unit.apply(pf.credits_per_unit);
    pf.margin = s.margin.apply(pf.margin);
    pf
}

pub fn add_feature(
    conn: &Connection,
    plan: &Plan,
    feature: &Feature,
    s: FeatureSettings,
) -> Result<PlanFeature, ApiError> {
    if get_plan_feature(conn, &plan.id, &feature.id)?.is_some() {
        return Err(ApiError::conflict(
            "duplicate",
            format!(
                "Feature `{}` is already on plan `{}`; use update-feature to change it",
                feature.code, plan.code
            ),
        )
        .param("featureId"));
    }
    let base = PlanFeature {
        plan_id: plan.id.clone(),
        feature_id: feature.id.clone(),
        enabled: true,
        included_amount: 0,
        unlimited: false,
        overage_enabled: false,
        overage_unit_price: 0,
        credits_per_unit: None,
        pricing_mode: "fixed".into(),
        margin: None,
    };
    let pf = apply_settings(base, s);
    check_feature_rules(plan, &pf)?;
    let now = ids::now();
    conn.execute(
        "INSERT INTO plan_features (plan_id, feature_id, enabled, included_amount, unlimited, overage_enabled, overage_unit_price,
           credits_per_unit, pricing_mode, margin, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)",
        params![
            pf.plan_id,
            pf.feature_id,
            pf.enabled,
            pf.included_amount,
            pf.unlimited,
            pf.overage_enabled,
            pf.overage_unit_price,
            pf.credits_per_unit,
            pf.pricing_mode,
            pf.margin,
            now
        ],
    )?;
    touch(conn, &plan.id)?;
    Ok(pf)
}

fn not_on_plan(plan: &Plan, feature: &Feature) -> ApiError {
    ApiError::not_found(
        "feature_not_found",
        format!("Feature `{}` is not on plan `{}`", feature.code, plan.code),
    )
    .param("featureId")
}

pub fn update_feature(
    conn: &Connection,
    plan: &Plan,
    feature: &Feature,
    s: FeatureSettings,
) -> Result<PlanFeature, ApiError> {
    let current =
        get_plan_feature(conn, &plan.id, &feature.id)?.ok_or_else(|| not_on_plan(plan, feature))?;
    let pf = apply_settings(current, s);
    check_feature_rules(plan, &pf)?;
    conn.execute(
        "UPDATE plan_features SET enabled = ?1, included_amount = ?2, unlimited = ?3, overage_enabled = ?4,
           overage_unit_price = ?5, credits_per_unit = ?6, pricing_mode = ?7, margin = ?8, updated_at = ?9
         WHERE plan_id = ?10 AND feature_id = ?11",
        params![
            pf.enabled,
            pf.included_amount,
            pf.unlimited,
            pf.overage_enabled,
            pf.overage_unit_price,
            pf.credits_per_unit,
            pf.pricing_mode,
            pf.margin,
            ids::now(),
            pf.plan_id,
            pf.feature_id
        ],
    )?;
    touch(conn, &plan.id)?;
    Ok(pf)
}

pub fn remove_feature(
    conn: &Connection,
    plan: &Plan,
    feature: &Feature,
) -> Result<Value, ApiError> {
    let n = conn.execute(
        "DELETE FROM plan_features WHERE plan_id = ?1 AND feature_id = ?2",
        params![plan.id, feature.id],
    )?;
    if n == 0 {
        return Err(not_on_plan(plan, feature));
    }
    conn.execute(
        "DELETE FROM plan_feature_regional WHERE plan_id = ?1 AND feature_id = ?2",
        params![plan.id, feature.id],
    )?;
    touch(conn, &plan.id)?;
    Ok(json!({ "id": feature.id, "removed": true, "object": "plan_feature", "livemode": false }))
}

fn feature_regional(
    conn: &Connection,
    plan_id: &str,
    feature_id: &str,
) -> Result<Vec<(String, i64)>, ApiError> {
    let mut stmt = conn.prepare_cached(
        "SELECT currency, overage_unit_price FROM plan_feature_regional WHERE plan_id = ?1 AND feature_id = ?2 ORDER BY currency",
    )?;
    let rows = stmt.query_map(params![plan_id, feature_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn touch(conn: &Connection, plan_id: &str) -> Result<(), ApiError> {
    conn.execute(
        "UPDATE plans SET updated_at = ?1 WHERE id = ?2",
        params![ids::now(), plan_id],
    )?;
    Ok(())
}

// -- prices -----------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
pub struct Price {
    pub id: String,
    pub plan_id: String,
    pub billing_interval: String,
    pub price: i64,
    pub is_default: bool,
    pub trial_days: i64,
    pub included_balance: Option<i64>,
    pub included_credits: Option<i64>,
    pub offer_id: Option<String>,
    pub inherits_from_price_id: Option<String>,
    pub metadata: Value,
    pub market_prices: Value,
    pub intro_offer: Option<Value>,
    pub created_at: String,
    pub updated_at: String,
}

impl Price {
    /// The `PlanPrice` object.
    pub fn to_json(&self) -> Value {
        let mut v = json!({
            "id": self.id,
            "planId": self.plan_id,
            "billingInterval": self.billing_interval,
            "price": self.price,
            "isDefault": self.is_default,
            "trialDays": self.trial_days,
            "includedBalance": self.included_balance,
            "includedCredits": self.included_credits,
            "offerId": self.offer_id,
            "inheritsFromPriceId": self.inherits_from_price_id,
            "metadata": self.metadata,
            "marketPrices": self.market_prices,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
            "object": "plan_price",
            "livemode": false,
        });
        if let Some(intro) = &self.intro_offer {
            v["introOffer"] = intro.clone();
        }
        v
    }
}

const PRICE_COLS: &str = "id, plan_id, billing_interval, price, is_default, trial_days, included_balance, included_credits, \
    offer_id, inherits_from_price_id, metadata, market_prices, intro_offer, created_at, updated_at";

fn price_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Price> {
    Ok(Price {
        id: r.get(0)?,
        plan_id: r.get(1)?,
        billing_interval: r.get(2)?,
        price: r.get(3)?,
        is_default: r.get(4)?,
        trial_days: r.get(5)?,
        included_balance: r.get(6)?,
        included_credits: r.get(7)?,
        offer_id: r.get(8)?,
        inherits_from_price_id: r.get(9)?,
        metadata: parse_json_or(r.get(10)?, json!({})),
        market_prices: parse_json_or(r.get(11)?, json!([])),
        intro_offer: Some(parse_json(r.get(12)?)).filter(|v| !v.is_null()),
        created_at: r.get(13)?,
        updated_at: r.get(14)?,
    })
}

/// Prices that can still be selected, oldest first.
pub fn active_prices(conn: &Connection, plan_id: &str) -> Result<Vec<Price>, ApiError> {
    let sql = format!("SELECT {PRICE_COLS} FROM plan_prices WHERE plan_id = ?1 AND archived_at IS NULL ORDER BY seq");
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map([plan_id], price_from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn require_price(conn: &Connection, plan: &Plan, price_id: &str) -> Result<Price, ApiError> {
    let sql = format!("SELECT {PRICE_COLS} FROM plan_prices WHERE plan_id = ?1 AND id = ?2 AND archived_at IS NULL");
    conn.query_row(&sql, params![plan.id, price_id], price_from_row)
        .optional()?
        .ok_or_else(|| {
            ApiError::not_found(
                "price_not_found",
                format!("No price `{price_id}` on plan `{}`", plan.code),
            )
            .param("priceId")
        })
}

/// The fields of a new price.
#[derive(Debug, Clone, Default)]
pub struct NewPrice {
    pub billing_interval: String,
    pub price: i64,
    pub trial_days: i64,
    pub is_default: Option<bool>,
    pub included_balance: Option<i64>,
    pub included_credits: Option<i64>,
    pub metadata: Option<Value>,
    pub market_prices: Option<Value>,
    pub inherits_from_price_id: Option<String>,
    pub offer_id: Option<String>,
    pub intro_offer: Option<Value>,
}

fn make_default(
    conn: &Connection,
    plan_id: &str,
    price_id: &str,
    interval: &str,
) -> Result<(), ApiError> {
    conn.execute(
        "UPDATE plan_prices SET is_default = (id = ?1) WHERE plan_id = ?2 AND billing_interval = ?3 AND archived_at IS NULL",
        params![price_id, plan_id, interval],
    )?;
    Ok(())
}

pub fn add_price(conn: &Connection, plan: &Plan, new: NewPrice) -> Result<Price, ApiError> {
    if let Some(parent) = &new.inherits_from_price_id {
        require_price(conn, plan, parent).map_err(|e| e.param("inheritsFromPriceId"))?;
    }
    let has_default = super::exists(
        conn,
        "SELECT 1 FROM plan_prices WHERE plan_id = ?1 AND billing_interval = ?2 AND is_default = 1 AND archived_at IS NULL",
        params![plan.id, new.billing_interval],
    )?;
    let is_default = new.is_default.unwrap_or(!has_default);
    let id = ids::new_id("pp_");
    let now = ids::now();
    conn.execute(
        "INSERT INTO plan_prices (id, org_id, plan_id, billing_interval, price, is_default, trial_days, included_balance,
           included_credits, offer_id, inherits_from_price_id, metadata, market_prices, intro_offer, created_at, updated_at)
         VALUES (?1, (SELECT org_id FROM plans WHERE id = ?2), ?2, ?3, ?4, 0, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13)",
        params![
            id,
            plan.id,
            new.billing_interval,
            new.price,
            new.trial_days,
            new.included_balance,
            new.included_credits,
            new.offer_id,
            new.inherits_from_price_id,
            json_text(&new.metadata),
            json_text(&new.market_prices),
            json_text(&new.intro_offer),
            now
        ],
    )?;
    if is_default {
        make_default(conn, &plan.id, &id, &new.billing_interval)?;
    }
    if plan.default_interval.is_none() {
        conn.execute(
            "UPDATE plans SET default_interval = ?1 WHERE id = ?2",
            params![new.billing_interval, plan.id],
        )?;
    }
    touch(conn, &plan.id)?;
    require_price(conn, plan, &id)
}

/// Changes to a price.
#[derive(Debug, Clone)]
pub struct PricePatch {
    pub price: Option<i64>,
    pub is_default: Option<bool>,
    pub trial_days: Option<i64>,
    pub included_balance: Patch<i64>,
    pub included_credits: Patch<i64>,
    pub metadata: Option<Value>,
    pub market_prices: Option<Value>,
}

pub fn update_price(
    conn: &Connection,
    plan: &Plan,
    price_id: &str,
    patch: PricePatch,
) -> Result<Price, ApiError> {
    let current = require_price(conn, plan, price_id)?;
    let next = Price {
        price: patch.price.unwrap_or(current.price),
        trial_days: patch.trial_days.unwrap_or(current.trial_days),
        included_balance: patch.included_balance.apply(current.included_balance),
        included_credits: patch.included_credits.apply(current.included_credits),
        metadata: patch.metadata.unwrap_or(current.metadata.clone()),
        market_prices: patch.market_prices.unwrap_or(current.market_prices.clone()),
        updated_at: ids::now(),
        ..current
    };
    conn.execute(
        "UPDATE plan_prices SET price = ?1, trial_days = ?2, included_balance = ?3, included_credits = ?4, metadata = ?5,
           market_prices = ?6, updated_at = ?7 WHERE id = ?8",
        params![
            next.price,
            next.trial_days,
            next.included_balance,
            next.included_credits,
            next.metadata.to_string(),
            next.market_prices.to_string(),
            next.updated_at,
            next.id
        ],
    )?;
    if patch.is_default == Some(true) {
        make_default(conn, &plan.id, &next.id, &next.billing_interval)?;
    }
    touch(conn, &plan.id)?;
    require_price(conn, plan, price_id)
}

pub fn set_default_price(
    conn: &Connection,
    plan: &Plan,
    price_id: &str,
) -> Result<Price, ApiError> {
    let price = require_price(conn, plan, price_id)?;
    make_default(conn, &plan.id, &price.id, &price.billing_interval)?;
    conn.execute(
        "UPDATE plans SET default_interval = ?1 WHERE id = ?2",
        params![price.billing_interval, plan.id],
    )?;
    touch(conn, &plan.id)?;
    require_price(conn, plan, price_id)
}

/// Archives a price: existing subscriptions keep it, new ones cannot pick it.
pub fn archive_price(conn: &Connection, plan: &Plan, price_id: &str) -> Result<Value, ApiError> {
    let price = require_price(conn, plan, price_id)?;
    conn.execute(
        "UPDATE plan_prices SET archived_at = ?1, is_default = 0, updated_at = ?1 WHERE id = ?2",
        params![ids::now(), price.id],
    )?;
    if price.is_default {
        // Promote the oldest remaining price of the same interval.
        let next: Option<String> = conn
            .query_row(
                "SELECT id FROM plan_prices WHERE plan_id = ?1 AND billing_interval = ?2 AND archived_at IS NULL ORDER BY seq LIMIT 1",
                params![plan.id, price.billing_interval],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(next) = next {
            make_default(conn, &plan.id, &next, &price.billing_interval)?;
        }
    }
    touch(conn, &plan.id)?;
    Ok(json!({ "id": price.id, "deleted": true, "object": "plan_price", "livemode": false }))
}

fn price_regional(
    conn: &Connection,
    price_id: &str,
) -> Result<Vec<(String, i64, Option<i64>)>, ApiError> {
    let mut stmt = conn.prepare_cached(
        "SELECT currency, price, included_balance FROM plan_price_regional WHERE price_id = ?1 ORDER BY currency",
    )?;
    let rows = stmt.query_map([price_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// One regional override of a price.
#[derive(Debug, Clone, PartialEq)]
pub struct RegionalOverride {
    pub currency: String,
    pub price: i64,
    pub included_balance: Option<i64>,
}

fn upsert_regional(
    conn: &Connection,
    price_id: &str,
    o: &RegionalOverride,
) -> Result<(), ApiError> {
    conn.execute(
        "INSERT OR REPLACE INTO plan_price_regional (price_id, currency, price, included_balance) VALUES (?1, ?2, ?3, ?4)",
        params![price_id, o.currency, o.price, o.included_balance],
    )?;
    Ok(())
}

/// Replaces every regional override of a price.
pub fn set_price_regional(
    conn: &Connection,
    plan: &Plan,
    price_id: &str,
    overrides: &[RegionalOverride],
) -> Result<Value, ApiError> {
    let price = require_price(conn, plan, price_id)?;
    conn.execute(
        "DELETE FROM plan_price_regional WHERE price_id = ?1",
        [&price.id],
    )?;
    for o in overrides {
        upsert_regional(conn, &price.id, o)?;
    }
    touch(conn, &plan.id)?;
    let stored: Vec<Value> = price_regional(conn, &price.id)?
        .into_iter()
        .map(|(currency, price, balance)| {
            let mut v = json!({ "currency": currency, "price": price });
            if let Some(b) = balance {
                v["includedBalance"] = b.into();
            }
            v
        })
        .collect();
    Ok(
        json!({ "priceId": price.id, "overrides": stored, "object": "plan_regional_pricing", "livemode": false }),
    )
}

pub fn delete_price_regional(
    conn: &Connection,
    plan: &Plan,
    price_id: &str,
) -> Result<Value, ApiError> {
    let price = require_price(conn, plan, price_id)?;
    conn.execute(
        "DELETE FROM plan_price_regional WHERE price_id = ?1",
        [&price.id],
    )?;
    touch(conn, &plan.id)?;
    Ok(json!({ "deleted": true, "object": "plan_regional_pricing", "livemode": false }))
}

/// `PUT /plans/{id}/regional`: an exchange rate for one currency plus
/// explicit price and overage overrides in it.
pub fn set_plan_regional(
    conn: &Connection,
    plan: &Plan,
    currency: &str,
    exchange_rate: f64,
    prices: &[(String, i64, Option<i64>)],
    features: &[(Feature, i64)],
) -> Result<Value, ApiError> {
    // Check everything before writing anything.
    for (price_id, _, _) in prices {
        require_price(conn, plan, price_id)?;
    }
    for (feature, _) in features {
        if get_plan_feature(conn, &plan.id, &feature.id)?.is_none() {
            return Err(not_on_plan(plan, feature));
        }
    }
    conn.execute(
        "INSERT OR REPLACE INTO plan_exchange_rates (plan_id, currency, exchange_rate) VALUES (?1, ?2, ?3)",
        params![plan.id, currency, exchange_rate],
    )?;
    for (price_id, price, balance) in prices {
        upsert_regional(
            conn,
            price_id,
            &RegionalOverride {
                currency: currency.to_owned(),
                price: *price,
                included_balance: *balance,
            },
        )?;
    }
    for (feature, unit_price) in features {
        conn.execute(
            "INSERT OR REPLACE INTO plan_feature_regional (plan_id, feature_id, currency, overage_unit_price) VALUES (?1, ?2, ?3, ?4)",
            params![plan.id, feature.id, currency, unit_price],
        )?;
    }
    touch(conn, &plan.id)?;
    Ok(json!({
        "planId": plan.id,
        "currency": currency,
        "exchangeRate": number(exchange_rate),
        "pricesConfigured": prices.len(),
        "featuresConfigured": features.len(),
        "object": "plan_regional_pricing",
        "livemode": false,
    }))
}

/// Whether any active price refers to this market.
pub fn market_in_use(conn: &Connection, org_id: &str, market_id: &str) -> Result<bool, ApiError> {
    let mut stmt = conn.prepare_cached(
        "SELECT market_prices FROM plan_prices WHERE org_id = ?1 AND archived_at IS NULL AND market_prices IS NOT NULL",
    )?;
    let rows = stmt.query_map([org_id], |r| r.get::<_, String>(0))?;
    for text in rows {
        let value: Value = serde_json::from_str(&text?).unwrap_or(Value::Null);
        let used = value
            .as_array()
            .is_some_and(|items| items.iter().any(|m| m["marketGroupId"] == market_id));
        if used {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Plans of a group, by sort order.
pub fn in_group(conn: &Connection, group_id: &str) -> Result<Vec<Plan>, ApiError> {
    let sql = format!("SELECT {COLS} FROM plans WHERE plan_group_id = ?1 AND deleted_at IS NULL ORDER BY sort_order, seq");
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map([group_id], from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Sets a plan's group and position (`None` takes it out of any group).
pub fn set_group(
    conn: &Connection,
    plan_id: &str,
    group: Option<&str>,
    sort_order: i64,
) -> Result<(), ApiError> {
    conn.execute(
        "UPDATE plans SET plan_group_id = ?1, sort_order = ?2, updated_at = ?3 WHERE id = ?4",
        params![group, sort_order, ids::now(), plan_id],
    )?;
    Ok(())
}

/// Ids of existing, non-deleted plans among `ids` (for promo code checks).
pub fn missing_plans(
    conn: &Connection,
    org_id: &str,
    plan_ids: &[String],
) -> Result<Vec<String>, ApiError> {
    let mut missing = Vec::new();
    for id in plan_ids {
        if find(conn, org_id, id)?.is_none() {
            missing.push(id.clone());
        }
    }
    Ok(missing)
}
