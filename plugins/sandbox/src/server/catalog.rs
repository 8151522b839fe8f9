//! Whole-catalog operations used by the CLI endpoints: `push` (apply a
//! `commet.config.ts` document) and `templates` (seed a starter catalog).

use rusqlite::Connection;
use serde_json::{json, Map, Value};

use super::error::ApiError;
use super::input::{Patch, BILLING_INTERVALS};
use super::store::credit_packs;
use super::store::features::{self, FEATURE_TYPES};
use super::store::plans::{
    self, FeatureSettings, NewPlan, NewPrice, PlanPatch, PricePatch, CONSUMPTION_MODELS,
};

/// Created / updated / refused codes of one kind.
#[derive(Debug, Default)]
struct Outcome {
    created: Vec<String>,
    updated: Vec<String>,
    errors: Vec<Value>,
}

impl Outcome {
    fn error(&mut self, code: &str, message: impl Into<String>) {
        self.errors
            .push(json!({ "code": code, "message": message.into() }));
    }

    fn to_json(&self) -> Value {
        json!({ "created": self.created, "updated": self.updated, "errors": self.errors })
    }
}

/// Runs `f` inside a savepoint, undoing its writes when it fails.
fn atomically<T>(
    conn: &Connection,
    f: impl FnOnce() -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    conn.execute_batch("SAVEPOINT catalog_item")?;
    match f() {
        Ok(v) => {
            conn.execute_batch("RELEASE catalog_item")?;
            Ok(v)
        }
        Err(e) => {
            conn.execute_batch("ROLLBACK TO catalog_item; RELEASE catalog_item")?;
            Err(e)
        }
    }
}

fn text(def: &Map<String, Value>, key: &str) -> Option<String> {
    def.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// Applies `{"features": {...}, "plans": {...}}` to an organization.
pub fn push(conn: &Connection, org_id: &str, config: &Value) -> Result<Value, ApiError> {
    let Some(config) = config.as_object() else {
        return Err(ApiError::invalid(
            "config",
            "must be an object {features, plans}",
        ));
    };
    let empty = Map::new();
    let section = |key: &str| -> Result<&Map<String, Value>, ApiError> {
        match config.get(key) {
            None | Some(Value::Null) => Ok(&empty),
            Some(Value::Object(m)) => Ok(m),
            Some(_) => Err(ApiError::invalid(
                &format!("config.{key}"),
                "must be an object keyed by code",
            )),
        }
    };
    let feature_defs = section("features")?;
    let plan_defs = section("plans")?;

    let mut feats = Outcome::default();
    for (code, def) in feature_defs {
        match atomically(conn, || push_feature(conn, org_id, code, def)) {
            Ok(Some(true)) => feats.created.push(code.clone()),
            Ok(Some(false)) => feats.updated.push(code.clone()),
            Ok(None) => {}
            Err(e) => feats.error(code, e.message),
        }
    }
    let mut plan_out = Outcome::default();
    for (code, def) in plan_defs {
        match atomically(conn, || push_plan(conn, org_id, code, def)) {
            Ok(Some(true)) => plan_out.created.push(code.clone()),
            Ok(Some(false)) => plan_out.updated.push(code.clone()),
            Ok(None) => {}
            Err(e) => plan_out.error(code, e.message),
        }
    }
    Ok(json!({
        "success": feats.errors.is_empty() && plan_out.errors.is_empty(),
        "features": feats.to_json(),
        "plans": plan_out.to_json(),
    }))
}

/// `Some(true)` created, `Some(false)` updated, `None` unchanged.
fn push_feature(
    conn: &Connection,
    org_id: &str,
    code: &str,
    def: &Value,
) -> Result<Option<bool>, ApiError> {
    let def = def.as_object().ok_or_else(|| {
        ApiError::invalid(
            code,
            "a feature must be an object {name, type, unitName?, description?}",
        )
    })?;
    let name = text(def, "name").ok_or_else(|| ApiError::invalid("name", "is required"))?;
    let kind = text(def, "type").ok_or_else(|| ApiError::invalid("type", "is required"))?;
    if !FEATURE_TYPES.contains(&kind.as_str()) {
        return Err(ApiError::invalid(
            "type",
            format!("must be one of: {}", FEATURE_TYPES.join(", ")),
        ));
    }
    let unit = text(def, "unitName");
    let description = text(def, "description");
    match features::find(conn, org_id, code)? {
        None => {
            features::insert(conn, org_id, code, &name, &kind, description, unit)?;
            Ok(Some(true))
        }
        Some(existing) if existing.kind != kind => Err(ApiError::invalid(
            "type",
            format!(
                "feature `{code}` is a {} feature; changing its type to {kind} is not allowed by push (change it in the dashboard)",
                existing.kind
            ),
        )),
        Some(existing) => {
            if existing.name == name && existing.unit_name == unit && existing.description == description {
                return Ok(None);
            }
            let patch = |v: Option<String>| v.map_or(Patch::Null, Patch::Set);
            features::update(conn, org_id, code, Some(name), patch(description), patch(unit))?;
            Ok(Some(false))
        }
    }
}

/// Desired settings of one feature on a plan (`true`, `false` or an object).
fn desired_feature(code: &str, value: &Value) -> Result<FeatureSettings, ApiError> {
    let mut s = FeatureSettings::default();
    match value {
        Value::Bool(enabled) => {
            s.enabled = Some(*enabled);
            s.included_amount = Some(0);
            s.unlimited = Some(false);
            s.overage_enabled = Some(false);
            s.overage_unit_price = Some(0);
        }
        Value::Object(o) => {
            s.enabled = Some(o.get("enabled").and_then(Value::as_bool).unwrap_or(true));
            s.included_amount = Some(o.get("included").and_then(Value::as_i64).unwrap_or(0));
            s.unlimited = Some(o.get("unlimited").and_then(Value::as_bool).unwrap_or(false));
            let unit_price = o
                .get("overage")
                .and_then(|ov| ov.get("unitPrice"))
                .and_then(Value::as_i64);
            s.overage_enabled = Some(unit_price.is_some());
            s.overage_unit_price = Some(unit_price.unwrap_or(0));
            if let Some(c) = o.get("creditsPerUnit").and_then(Value::as_f64) {
                s.credits_per_unit = Patch::Set(c);
            }
        }
        _ => return Err(ApiError::invalid(
            code,
            "a plan feature must be true, false or {included?, unlimited?, overage?: {unitPrice}}",
        )),
    }
    Ok(s)
}

fn push_plan(
    conn: &Connection,
    org_id: &str,
    code: &str,
    def: &Value,
) -> Result<Option<bool>, ApiError> {
    let def = def.as_object().ok_or_else(|| {
        ApiError::invalid(
            code,
            "a plan must be an object {name, prices, features?, ...}",
        )
    })?;
    let name = text(def, "name").ok_or_else(|| ApiError::invalid("name", "is required"))?;
    let description = text(def, "description");
    let model = text(def, "consumptionModel");
    if let Some(m) = &model {
        if !CONSUMPTION_MODELS.contains(&m.as_str()) {
            return Err(ApiError::invalid(
                "consumptionModel",
                format!("must be one of: {}", CONSUMPTION_MODELS.join(", ")),
            ));
        }
    }
    let default_interval = text(def, "defaultInterval");
    if let Some(i) = &default_interval {
        if !BILLING_INTERVALS.contains(&i.as_str()) {
            return Err(ApiError::invalid(
                "defaultInterval",
                format!("must be one of: {}", BILLING_INTERVALS.join(", ")),
            ));
        }
    }
    let is_free = def.get("isFree").and_then(Value::as_bool).unwrap_or(false);
    let is_public = def.get("isPublic").and_then(Value::as_bool).unwrap_or(true);
    let sort_order = def.get("sortOrder").and_then(Value::as_i64);

    let (plan, mut changed, created) = match plans::find(conn, org_id, code)? {
        None => {
            let plan = plans::insert(
                conn,
                org_id,
                NewPlan {
                    code: code.to_owned(),
                    name: name.clone(),
                    description: description.clone(),
                    consumption_model: model.clone(),
                    is_public,
                    is_free,
                    block_on_exhaustion: def.get("blockOnExhaustion").and_then(Value::as_bool),
                    plan_group_id: None,
                    sort_order,
                    default_interval: default_interval.clone(),
                    metadata: None,
                },
            )?;
            (plan, true, true)
        }
        Some(existing) => {
            let differs = existing.name != name
                || existing.description != description
                || existing.consumption_model != model
                || existing.is_free != is_free
                || existing.is_public != is_public
                || sort_order.is_some_and(|s| s != existing.sort_order)
                || (default_interval.is_some() && existing.default_interval != default_interval);
            let plan = if differs {
                let opt = |v: Option<String>| v.map_or(Patch::Null, Patch::Set);
                plans::update(
                    conn,
                    org_id,
                    &existing.id,
                    PlanPatch {
                        name: Some(name.clone()),
                        description: opt(description.clone()),
                        is_public: Some(is_public),
                        is_free: Some(is_free),
                        consumption_model: opt(model.clone()),
                        sort_order,
                        default_interval: default_interval
                            .clone()
                            .map_or(Patch::Absent, Patch::Set),
                        ..PlanPatch::default()
                    },
                )?
            } else {
                existing
            };
            (plan, differs, false)
        }
    };

    if let Some(prices) = def.get("prices") {
        changed |= sync_prices(conn, &plan, prices)?;
    }
    if let Some(wanted) = def.get("features") {
        changed |= sync_features(conn, org_id, &plan, wanted)?;
    }
    Ok(match (created, changed) {
        (true, _) => Some(true),
        (false, true) => Some(false),
        (false, false) => None,
    })
}

fn sync_prices(conn: &Connection, plan: &plans::Plan, prices: &Value) -> Result<bool, ApiError> {
    let items = prices.as_array().ok_or_else(|| {
        ApiError::invalid(
            "prices",
            "must be an array of {interval, amount, trialDays?}",
        )
    })?;
    let mut changed = false;
    let mut intervals = Vec::new();
    let current = plans::active_prices(conn, &plan.id)?;
    for item in items {
        let interval = item
            .get("interval")
            .and_then(Value::as_str)
            .filter(|i| BILLING_INTERVALS.contains(i))
            .ok_or_else(|| {
                ApiError::invalid(
                    "prices.interval",
                    format!("must be one of: {}", BILLING_INTERVALS.join(", ")),
                )
            })?;
        let amount = item
            .get("amount")
            .and_then(Value::as_i64)
            .filter(|a| *a >= 0)
            .ok_or_else(|| {
                ApiError::invalid(
                    "prices.amount",
                    "must be a whole number of cents, at least 0",
                )
            })?;
        let trial = item.get("trialDays").and_then(Value::as_i64).unwrap_or(0);
        if intervals.contains(&interval) {
            return Err(ApiError::invalid(
                "prices",
                format!("interval {interval} is listed twice"),
            ));
        }
        intervals.push(interval);
        let existing = current
            .iter()
            .find(|p| p.billing_interval == interval && p.is_default)
            .or_else(|| current.iter().find(|p| p.billing_interval == interval));
        match existing {
            Some(p) if p.price == amount && p.trial_days == trial => {}
            Some(p) => {
                plans::update_price(
                    conn,
                    plan,
                    &p.id,
                    PricePatch {
                        price: Some(amount),
                        is_default: None,
                        trial_days: Some(trial),
                        included_balance: Patch::Absent,
                        included_credits: Patch::Absent,
                        metadata: None,
                        market_prices: None,
                    },
                )?;
                changed = true;
            }
            None => {
                plans::add_price(
                    conn,
                    plan,
                    NewPrice {
                        billing_interval: interval.to_owned(),
                        price: amount,
                        trial_days: trial,
                        is_default: Some(true),
                        ..NewPrice::default()
                    },
                )?;
                changed = true;
            }
        }
    }
    for p in &current {
        if !intervals.contains(&p.billing_interval.as_str()) {
            plans::archive_price(conn, plan, &p.id)?;
            changed = true;
        }
    }
    Ok(changed)
}

fn sync_features(
    conn: &Connection,
    org_id: &str,
    plan: &plans::Plan,
    wanted: &Value,
) -> Result<bool, ApiError> {
    let wanted = wanted
        .as_object()
        .ok_or_else(|| ApiError::invalid("features", "must be an object keyed by feature code"))?;
    let current = plans::plan_feature_rows(conn, &plan.id)?;
    let mut changed = false;
    for (code, value) in wanted {
        let settings = desired_feature(code, value)?;
        let feature = features::find(conn, org_id, code)?.ok_or_else(|| {
            ApiError::not_found(
                "feature_not_found",
                format!("plan `{}` uses feature `{code}`, which is neither in the organization nor in this config", plan.code),
            )
        })?;
        match current.iter().find(|(_, f)| f.id == feature.id) {
            None => {
                plans::add_feature(conn, plan, &feature, settings)?;
                changed = true;
            }
            Some((pf, _)) => {
                let same = settings.enabled == Some(pf.enabled)
                    && settings.included_amount == Some(pf.included_amount)
                    && settings.unlimited == Some(pf.unlimited)
                    && settings.overage_enabled == Some(pf.overage_enabled)
                    && settings.overage_unit_price == Some(pf.overage_unit_price);
                if !same {
                    plans::update_feature(conn, plan, &feature, settings)?;
                    changed = true;
                }
            }
        }
    }
    for (_, feature) in &current {
        if !wanted.contains_key(&feature.code) {
            plans::remove_feature(conn, plan, feature)?;
            changed = true;
        }
    }
    Ok(changed)
}

// -- templates -------------------------------------------------------------------

pub const TEMPLATE_IDS: &[&str] = &[
    "fixed",
    "seats",
    "metered",
    "credits",
    "balance-ai",
    "balance-fixed",
];

/// A template: features, plans (with prices and feature settings), packs.
///
/// Overage unit prices use the rate scale (10000 = 1.00 of the currency);
/// every other amount is in cents.
fn template(id: &str) -> Option<Value> {
    let t = match id {
        "fixed" => json!({
            "features": [
                ["custom_domain", "Custom domain", "boolean", null],
                ["priority_support", "Priority support", "boolean", null],
                ["advanced_analytics", "Advanced analytics", "boolean", null]
            ],
            "plans": [
                { "code": "free", "name": "Free", "isFree": true,
                  "prices": [["monthly", 0, 0, null, null]], "features": [] },
                { "code": "starter", "name": "Starter",
                  "prices": [["monthly", 900, 0, null, null], ["yearly", 9000, 0, null, null]],
                  "features": [{ "code": "custom_domain" }] },
                { "code": "pro", "name": "Pro",
                  "prices": [["monthly", 2900, 14, null, null], ["yearly", 29000, 14, null, null]],
                  "features": [{ "code": "custom_domain" }, { "code": "priority_support" }, { "code": "advanced_analytics" }] }
            ]
        }),
        "seats" => json!({
            "features": [
                ["team_members", "Team members", "seats", "seat"],
                ["sso", "Single sign-on", "boolean", null]
            ],
            "plans": [
                { "code": "team", "name": "Team",
                  "prices": [["monthly", 1900, 14, null, null], ["yearly", 19000, 14, null, null]],
                  "features": [{ "code": "team_members", "included": 3, "overage": 90000 }] },
                { "code": "business", "name": "Business",
                  "prices": [["monthly", 4900, 14, null, null], ["yearly", 49000, 14, null, null]],
                  "features": [{ "code": "team_members", "included": 10, "overage": 70000 }, { "code": "sso" }] }
            ]
        }),
        "metered" => json!({
            "consumptionModel": "metered",
            "features": [["api_calls", "API calls", "usage", "call"]],
            "plans": [
                { "code": "developer", "name": "Developer", "isFree": true,
                  "prices": [["monthly", 0, 0, null, null]],
                  "features": [{ "code": "api_calls", "included": 1000 }] },
                { "code": "growth", "name": "Growth",
                  "prices": [["monthly", 2900, 0, null, null]],
                  "features": [{ "code": "api_calls", "included": 100000, "overage": 20 }] },
                { "code": "scale", "name": "Scale",
                  "prices": [["monthly", 9900, 0, null, null]],
                  "features": [{ "code": "api_calls", "included": 1000000, "overage": 10 }] }
            ]
        }),
        "credits" => json!({
            "consumptionModel": "credits",
            "features": [
                ["image_generations", "Image generations", "usage", "image"],
                ["chat_messages", "Chat messages", "usage", "message"]
            ],
            "plans": [
                { "code": "creator", "name": "Creator", "blockOnExhaustion": true,
                  "prices": [["monthly", 1900, 0, 1000, null]],
                  "features": [{ "code": "image_generations", "creditsPerUnit": 10 }, { "code": "chat_messages", "creditsPerUnit": 1 }] },
                { "code": "studio", "name": "Studio", "blockOnExhaustion": true,
                  "prices": [["monthly", 4900, 0, 5000, null]],
                  "features": [{ "code": "image_generations", "creditsPerUnit": 8 }, { "code": "chat_messages", "creditsPerUnit": 1 }] }
            ],
            "creditPacks": [["500 credits", 500, 900], ["2,000 credits", 2000, 2900]]
        }),
        "balance-ai" => json!({
            "consumptionModel": "balance",
            "features": [["ai_tokens", "AI tokens", "usage", "token"]],
            "plans": [
                { "code": "ai_starter", "name": "AI Starter", "blockOnExhaustion": true,
                  "prices": [["monthly", 2000, 0, null, 2000]],
                  "features": [{ "code": "ai_tokens", "pricingMode": "ai_model", "margin": 30 }] },
                { "code": "ai_pro", "name": "AI Pro", "blockOnExhaustion": false,
                  "prices": [["monthly", 10000, 0, null, 10000]],
                  "features": [{ "code": "ai_tokens", "pricingMode": "ai_model", "margin": 20 }] }
            ]
        }),
        "balance-fixed" => json!({
            "consumptionModel": "balance",
            "features": [
                ["sms_messages", "SMS messages", "usage", "message"],
                ["emails_sent", "Emails sent", "usage", "email"]
            ],
            "plans": [
                { "code": "prepaid_starter", "name": "Prepaid Starter", "blockOnExhaustion": true,
                  "prices": [["monthly", 2500, 0, null, 2500]],
                  "features": [{ "code": "sms_messages", "overage": 500 }, { "code": "emails_sent", "overage": 10 }] },
                { "code": "prepaid_growth", "name": "Prepaid Growth", "blockOnExhaustion": false,
                  "prices": [["monthly", 10000, 0, null, 10000]],
                  "features": [{ "code": "sms_messages", "overage": 400 }, { "code": "emails_sent", "overage": 8 }] }
            ]
        }),
        _ => return None,
    };
    Some(t)
}

/// Creates a template's catalog; what already exists (by code or name) is
/// left as it is and not counted.
pub fn apply_template(
    conn: &Connection,
    org_id: &str,
    template_id: &str,
) -> Result<Value, ApiError> {
    let t = template(template_id).ok_or_else(|| {
        ApiError::invalid(
            "templateId",
            format!(
                "unknown template; choose one of: {}",
                TEMPLATE_IDS.join(", ")
            ),
        )
    })?;
    let s = |v: &Value| v.as_str().map(str::to_owned);
    let mut features_created = 0;
    for f in t["features"].as_array().into_iter().flatten() {
        let code = f[0].as_str().unwrap_or_default();
        if features::find(conn, org_id, code)?.is_none() {
            features::insert(
                conn,
                org_id,
                code,
                f[1].as_str().unwrap_or(code),
                f[2].as_str().unwrap_or("boolean"),
                None,
                s(&f[3]),
            )?;
            features_created += 1;
        }
    }
    let model = s(&t["consumptionModel"]);
    let mut plans_created = 0;
    for (n, p) in t["plans"].as_array().into_iter().flatten().enumerate() {
        let code = p["code"].as_str().unwrap_or_default();
        if plans::find(conn, org_id, code)?.is_some() {
            continue;
        }
        let plan = plans::insert(
            conn,
            org_id,
            NewPlan {
                code: code.to_owned(),
                name: p["name"].as_str().unwrap_or(code).to_owned(),
                description: None,
                consumption_model: model.clone(),
                is_public: true,
                is_free: p["isFree"].as_bool().unwrap_or(false),
                block_on_exhaustion: p["blockOnExhaustion"].as_bool(),
                plan_group_id: None,
                sort_order: Some(n as i64),
                default_interval: Some("monthly".to_owned()),
                metadata: Some(json!({ "template": template_id })),
            },
        )?;
        for price in p["prices"].as_array().into_iter().flatten() {
            plans::add_price(
                conn,
                &plan,
                NewPrice {
                    billing_interval: price[0].as_str().unwrap_or("monthly").to_owned(),
                    price: price[1].as_i64().unwrap_or(0),
                    trial_days: price[2].as_i64().unwrap_or(0),
                    included_credits: price[3].as_i64(),
                    included_balance: price[4].as_i64(),
                    ..NewPrice::default()
                },
            )?;
        }
        for pf in p["features"].as_array().into_iter().flatten() {
            let feature = features::require(
                conn,
                org_id,
                pf["code"].as_str().unwrap_or_default(),
                "features",
            )?;
            let overage = pf["overage"].as_i64();
            let settings = FeatureSettings {
                enabled: Some(true),
                included_amount: pf["included"].as_i64(),
                overage_enabled: Some(overage.is_some()),
                overage_unit_price: overage,
                credits_per_unit: pf["creditsPerUnit"]
                    .as_f64()
                    .map_or(Patch::Absent, Patch::Set),
                pricing_mode: s(&pf["pricingMode"]),
                margin: pf["margin"].as_f64().map_or(Patch::Absent, Patch::Set),
                ..FeatureSettings::default()
            };
            plans::add_feature(conn, &plan, &feature, settings)?;
        }
        plans_created += 1;
    }
    let mut packs_created = 0;
    for pack in t["creditPacks"].as_array().into_iter().flatten() {
        let name = pack[0].as_str().unwrap_or("Credits");
        match credit_packs::insert(
            conn,
            org_id,
            name,
            None,
            pack[1].as_i64().unwrap_or(0),
            pack[2].as_i64().unwrap_or(0),
            true,
        ) {
            Ok(_) => packs_created += 1,
            Err(e) if e.code == "duplicate" => {}
            Err(e) => return Err(e),
        }
    }
    Ok(json!({
        "success": true,
        "templateId": template_id,
        "plansCreated": plans_created,
        "featuresCreated": features_created,
        "creditPacksCreated": packs_created,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_is_defined() {
        for id in TEMPLATE_IDS {
            let t = template(id).unwrap();
            assert!(!t["plans"].as_array().unwrap().is_empty(), "{id}");
            assert!(!t["features"].as_array().unwrap().is_empty(), "{id}");
        }
        assert!(template("nope").is_none());
    }
}
