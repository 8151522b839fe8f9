//! `/plans`: plans, their features, prices, and regional pricing. A plan is
//! addressed by its `pln_` id or its code.

use axum::extract::{Path, State};
use axum::routing::{get, post, put};
use axum::Router;
use rusqlite::Connection;
use serde_json::{json, Map, Value};

use crate::server::app::App;
use crate::server::error::ApiError;
use crate::server::http::extract::{ok, ApiResult, OrgCtx, Params, Write};
use crate::server::input::{self, Input, Patch, BILLING_INTERVALS};
use crate::server::store::features::Feature;
use crate::server::store::plans::{
    self, FeatureSettings, NewPlan, NewPrice, Plan, PlanPatch, PricePatch, RegionalOverride,
    CODE_RULE, CONSUMPTION_MODELS, PRICING_MODES,
};
use crate::server::store::{features, markets, offers};

pub fn routes() -> Router<App> {
    Router::new()
        .route("/plans", get(list).post(create))
        .route("/plans/{id}", get(get_one).patch(update).delete(delete))
        .route("/plans/{id}/visibility", put(set_visibility))
        .route("/plans/{id}/regional", put(set_plan_regional))
        .route("/plans/{id}/features", post(add_feature))
        .route(
            "/plans/{id}/features/{feature_id}",
            axum::routing::patch(update_feature).delete(remove_feature),
        )
        .route("/plans/{id}/prices", post(add_price))
        .route(
            "/plans/{id}/prices/{price_id}",
            axum::routing::patch(update_price).delete(delete_price),
        )
        .route(
            "/plans/{id}/prices/{price_id}/default",
            put(set_default_price),
        )
        .route(
            "/plans/{id}/prices/{price_id}/regional",
            put(set_price_regional).delete(delete_price_regional),
        )
}

async fn create(State(app): State<App>, w: Write) -> ApiResult {
    w.run(&app, |tx, org, body| {
        let mut i = Input::new(body)?;
        let name = i.req_str("name");
        let code = i.req_str("code");
        if !code.is_empty() && !plans::valid_code(&code) {
            i.problem("code", CODE_RULE);
        }
        let new = NewPlan {
            code,
            name,
            description: i.opt_str("description"),
            consumption_model: i.opt_enum("consumptionModel", CONSUMPTION_MODELS),
            is_public: i.opt_bool("isPublic").unwrap_or(true),
            is_free: i.opt_bool("isFree").unwrap_or(false),
            block_on_exhaustion: i.opt_bool("blockOnExhaustion"),
            plan_group_id: i.opt_str("planGroupId"),
            sort_order: i.opt_int("sortOrder"),
            default_interval: i.opt_enum("defaultInterval", BILLING_INTERVALS),
            metadata: i.opt_object("metadata").map(|m| Value::Object(m.clone())),
        };
        i.finish()?;
        let plan = plans::insert(tx, &org.org_id, new)?;
        plans::view(tx, &plan)
    })
    .await
}

async fn get_one(State(app): State<App>, org: OrgCtx, Path(id): Path<String>) -> ApiResult {
    let v = app
        .read(move |c| {
            let plan = plans::require(c, &org.org_id, &id, "id")?;
            plans::view(c, &plan)
        })
        .await?;
    Ok(ok(v))
}

async fn list(State(app): State<App>, org: OrgCtx, Params(mut q): Params) -> ApiResult {
    let page = q.page();
    let include_private = q.bool("includePrivate").unwrap_or(false);
    q.finish()?;
    let page = app
        .read(move |c| plans::list(c, &org.org_id, include_private, page))
        .await?;
    Ok(ok(page.to_json()))
}

async fn update(State(app): State<App>, Path(id): Path<String>, w: Write) -> ApiResult {
    w.run(&app, move |tx, org, body| {
        let mut i = Input::new(body)?;
        let patch = PlanPatch {
            name: i.opt_str("name"),
            description: i.patch_str("description"),
            metadata: i.patch_object("metadata"),
            is_public: i.opt_bool("isPublic"),
            ..PlanPatch::default()
        };
        i.finish()?;
        let plan = plans::update(tx, &org.org_id, &id, patch)?;
        plans::view(tx, &plan)
    })
    .await
}

async fn delete(State(app): State<App>, Path(id): Path<String>, w: Write) -> ApiResult {
    w.run(&app, move |tx, org, _| plans::delete(tx, &org.org_id, &id))
        .await
}

async fn set_visibility(State(app): State<App>, Path(id): Path<String>, w: Write) -> ApiResult {
    w.run(&app, move |tx, org, body| {
        let mut i = Input::new(body)?;
        let is_public = i.req_bool("isPublic");
        i.finish()?;
        let patch = PlanPatch {
            is_public: Some(is_public),
            ..PlanPatch::default()
        };
        let plan = plans::update(tx, &org.org_id, &id, patch)?;
        plans::view(tx, &plan)
    })
    .await
}

// -- features ------------------------------------------------------------------

/// Reads feature settings; `overage` is `{enabled?, unitPrice?}` (the flat
/// `overageEnabled` / `overageUnitPrice` spellings are accepted too).
fn feature_settings(i: &mut Input<'_>, adding: bool) -> FeatureSettings {
    let mut s = FeatureSettings {
        enabled: i.opt_bool("enabled"),
        included_amount: i.opt_int_in("includedAmount", 0, i64::MAX),
        unlimited: i.opt_bool("unlimited"),
        overage_enabled: i.opt_bool("overageEnabled"),
        overage_unit_price: i.opt_int_in("overageUnitPrice", 0, i64::MAX),
        credits_per_unit: i.patch_num("creditsPerUnit"),
        pricing_mode: i.opt_enum("pricingMode", PRICING_MODES),
        margin: i.patch_num("margin"),
    };
    if let Some(overage) = i.opt_object("overage") {
        let mut o = Input::nested(overage, "overage");
        if let Some(enabled) = o.opt_bool("enabled") {
            s.overage_enabled = Some(enabled);
        }
        if let Some(price) = o.opt_int_in("unitPrice", 0, i64::MAX) {
            s.overage_unit_price = Some(price);
        }
        i.absorb(o);
    }
    // A unit price alone means "charge overage at this price".
    if adding && s.overage_enabled.is_none() && s.overage_unit_price.is_some_and(|p| p > 0) {
        s.overage_enabled = Some(true);
    }
    if let Patch::Set(c) = s.credits_per_unit {
        if c < 0.0 {
            i.problem("creditsPerUnit", "must be at least 0");
        }
    }
    if let Patch::Set(m) = s.margin {
        if !(0.0..=10_000.0).contains(&m) {
            i.problem("margin", "must be a percentage between 0 and 10000");
        }
    }
    s
}

/// The plan (`id`) and the feature (`featureId`) of a plan-feature route.
fn plan_feature(
    conn: &Connection,
    org_id: &str,
    id: &str,
    feature_ref: &str,
) -> Result<(Plan, Feature), ApiError> {
    let plan = plans::require(conn, org_id, id, "id")?;
    let feature = features::require(conn, org_id, feature_ref, "featureId")?;
    Ok((plan, feature))
}

async fn add_feature(State(app): State<App>, Path(id): Path<String>, w: Write) -> ApiResult {
    w.run(&app, move |tx, org, body| {
        let mut i = Input::new(body)?;
        let feature_ref = i.req_str("featureId");
        let settings = feature_settings(&mut i, true);
        i.finish()?;
        let (plan, feature) = plan_feature(tx, &org.org_id, &id, &feature_ref)?;
        Ok(plans::add_feature(tx, &plan, &feature, settings)?.to_json(&feature.code))
    })
    .await
}

async fn update_feature(
    State(app): State<App>,
    Path((id, feature_ref)): Path<(String, String)>,
    w: Write,
) -> ApiResult {
    w.run(&app, move |tx, org, body| {
        let mut i = Input::new(body)?;
        let settings = feature_settings(&mut i, false);
        i.finish()?;
        let (plan, feature) = plan_feature(tx, &org.org_id, &id, &feature_ref)?;
        Ok(plans::update_feature(tx, &plan, &feature, settings)?.to_json(&feature.code))
    })
    .await
}

async fn remove_feature(
    State(app): State<App>,
    Path((id, feature_ref)): Path<(String, String)>,
    w: Write,
) -> ApiResult {
    w.run(&app, move |tx, org, _| {
        let (plan, feature) = plan_feature(tx, &org.org_id, &id, &feature_ref)?;
        plans::remove_feature(tx, &plan, &feature)
    })
    .await
}

// -- prices --------------------------------------------------------------------

/// Checks `marketPrices: [{marketGroupId, currency, price}]`.
fn market_prices(i: &mut Input<'_>) -> Option<Vec<(String, String, i64)>> {
    let items = i.opt_array("marketPrices")?;
    Some(i.each_object(
        "marketPrices",
        items,
        "must be an object {marketGroupId, currency, price}",
        |_, m| {
            let market = m.req_str("marketGroupId");
            let currency = input::currency(m, "currency", true).unwrap_or_default();
            let price = m.req_int_in("price", 0, i64::MAX);
            (market, currency, price)
        },
    ))
}

fn check_markets(
    conn: &Connection,
    org: &str,
    prices: &Option<Vec<(String, String, i64)>>,
) -> Result<Option<Value>, ApiError> {
    let Some(prices) = prices else {
        return Ok(None);
    };
    let mut out = Vec::new();
    for (market, currency, price) in prices {
        markets::require(conn, org, market, "marketPrices.marketGroupId")?;
        out.push(json!({ "marketGroupId": market, "currency": currency, "price": price }));
    }
    Ok(Some(Value::Array(out)))
}

/// The seed CLI's `introOffer`: `{enabled?, discountType: percentage|amount,
/// discountValue, durationCycles?}`. Percentages are whole percent (50 =
/// 50 %), amounts are USD cents; one finite phase (default 1 cycle).
fn intro_offer(i: &mut Input<'_>) -> Option<(Map<String, Value>, Value)> {
    let raw = i.opt_object("introOffer")?;
    let mut o = Input::nested(raw, "introOffer");
    let enabled = o.opt_bool("enabled").unwrap_or(true);
    let kind = o.req_enum("discountType", &["percentage", "amount"]);
    let value = o.req_int_in("discountValue", 1, i64::MAX);
    let cycles = o.opt_int_in("durationCycles", 1, 1000).unwrap_or(1);
    if kind == "percentage" && value > 100 {
        o.problem(
            "discountValue",
            "a percentage discount must be between 1 and 100",
        );
    }
    let ok = o.ok();
    i.absorb(o);
    if !enabled || !ok {
        return enabled.then(|| (raw.clone(), Value::Null));
    }
    let phase = if kind == "percentage" {
        json!({ "type": "percentage", "durationCycles": cycles, "durationInterval": null, "percentage": value * 100 })
    } else {
        json!({ "type": "amount_off", "durationCycles": cycles, "durationInterval": null,
                "amounts": [{ "currency": "usd", "amount": value }] })
    };
    Some((raw.clone(), json!([phase])))
}

async fn add_price(State(app): State<App>, Path(id): Path<String>, w: Write) -> ApiResult {
    w.run(&app, move |tx, org, body| {
        let mut i = Input::new(body)?;
        let billing_interval = i.req_enum("billingInterval", BILLING_INTERVALS);
        let price = i.opt_int_in("price", 0, i64::MAX).unwrap_or(0);
        let trial_days = i.opt_int_in("trialDays", 0, 3650).unwrap_or(0);
        let is_default = i.opt_bool("isDefault");
        let included_balance = i.opt_int_in("includedBalance", 0, i64::MAX);
        let included_credits = i.opt_int_in("includedCredits", 0, i64::MAX);
        let metadata = i.opt_object("metadata").map(|m| Value::Object(m.clone()));
        let market = market_prices(&mut i);
        let inherits = i.opt_str("inheritsFromPriceId");
        let offer_id = i.opt_str("offerId");
        let intro = intro_offer(&mut i);
        i.finish()?;
        let plan = plans::require(tx, &org.org_id, &id, "id")?;
        let market_prices = check_markets(tx, &org.org_id, &market)?;
        if let Some(offer) = &offer_id {
            offers::require(tx, &org.org_id, offer, "offerId")?;
        }
        let (intro_offer, offer_id) = match intro {
            Some((raw, phases)) if phases.is_array() => {
                let offer = offers::insert(
                    tx,
                    &org.org_id,
                    offers::OfferFields {
                        name: format!("{} {} intro offer", plan.name, billing_interval),
                        phases,
                        metadata: Some(json!({ "introductory": true })),
                        starts_at: None,
                        ends_at: None,
                        active: true,
                    },
                )?;
                (
                    Some(Value::Object(raw)),
                    offer["id"].as_str().map(str::to_owned),
                )
            }
            Some((raw, _)) => (Some(Value::Object(raw)), offer_id),
            None => (None, offer_id),
        };
        let new = NewPrice {
            billing_interval,
            price,
            trial_days,
            is_default,
            included_balance,
            included_credits,
            metadata,
            market_prices,
            inherits_from_price_id: inherits,
            offer_id,
            intro_offer,
        };
        Ok(plans::add_price(tx, &plan, new)?.to_json())
    })
    .await
}

async fn update_price(
    State(app): State<App>,
    Path((id, price_id)): Path<(String, String)>,
    w: Write,
) -> ApiResult {
    w.run(&app, move |tx, org, body| {
        let mut i = Input::new(body)?;
        if i.has("billingInterval") {
            i.problem(
                "billingInterval",
                "a price's interval cannot change; add a new price instead",
            );
        }
        let patch_price = i.opt_int_in("price", 0, i64::MAX);
        let is_default = i.opt_bool("isDefault");
        let trial_days = i.opt_int_in("trialDays", 0, 3650);
        let included_balance = i.patch_int("includedBalance");
        let included_credits = i.patch_int("includedCredits");
        let metadata = i.opt_object("metadata").map(|m| Value::Object(m.clone()));
        let market = market_prices(&mut i);
        i.finish()?;
        let plan = plans::require(tx, &org.org_id, &id, "id")?;
        let market_prices = check_markets(tx, &org.org_id, &market)?;
        let patch = PricePatch {
            price: patch_price,
            is_default,
            trial_days,
            included_balance,
            included_credits,
            metadata,
            market_prices,
        };
        Ok(plans::update_price(tx, &plan, &price_id, patch)?.to_json())
    })
    .await
}

async fn delete_price(
    State(app): State<App>,
    Path((id, price_id)): Path<(String, String)>,
    w: Write,
) -> ApiResult {
    w.run(&app, move |tx, org, _| {
        let plan = plans::require(tx, &org.org_id, &id, "id")?;
        plans::archive_price(tx, &plan, &price_id)
    })
    .await
}

async fn set_default_price(
    State(app): State<App>,
    Path((id, price_id)): Path<(String, String)>,
    w: Write,
) -> ApiResult {
    w.run(&app, move |tx, org, _| {
        let plan = plans::require(tx, &org.org_id, &id, "id")?;
        Ok(plans::set_default_price(tx, &plan, &price_id)?.to_json())
    })
    .await
}

async fn set_price_regional(
    State(app): State<App>,
    Path((id, price_id)): Path<(String, String)>,
    w: Write,
) -> ApiResult {
    w.run(&app, move |tx, org, body| {
        let mut i = Input::new(body)?;
        let items = i.req_array("overrides").cloned().unwrap_or_default();
        let mut overrides: Vec<RegionalOverride> = Vec::new();
        for (n, item) in items.iter().enumerate() {
            let prefix = format!("overrides[{n}]");
            let Some(obj) = item.as_object() else {
                i.problem(
                    &prefix,
                    "must be an object {currency, price, includedBalance?}",
                );
                continue;
            };
            let mut o = Input::nested(obj, prefix.clone());
            let currency = input::currency(&mut o, "currency", true).unwrap_or_default();
            let price = o.req_int_in("price", 0, i64::MAX);
            let included_balance = o.opt_int_in("includedBalance", 0, i64::MAX);
            i.absorb(o);
            if !currency.is_empty() && overrides.iter().any(|x| x.currency == currency) {
                i.problem(&prefix, format!("currency {currency} is listed twice"));
            }
            overrides.push(RegionalOverride {
                currency,
                price,
                included_balance,
            });
        }
        i.finish()?;
        let plan = plans::require(tx, &org.org_id, &id, "id")?;
        plans::set_price_regional(tx, &plan, &price_id, &overrides)
    })
    .await
}

async fn delete_price_regional(
    State(app): State<App>,
    Path((id, price_id)): Path<(String, String)>,
    w: Write,
) -> ApiResult {
    w.run(&app, move |tx, org, _| {
        let plan = plans::require(tx, &org.org_id, &id, "id")?;
        plans::delete_price_regional(tx, &plan, &price_id)
    })
    .await
}

async fn set_plan_regional(State(app): State<App>, Path(id): Path<String>, w: Write) -> ApiResult {
    w.run(&app, move |tx, org, body| {
        let mut i = Input::new(body)?;
        let currency = input::currency(&mut i, "currency", true).unwrap_or_default();
        let rate = i.req_num("exchangeRate");
        if i.has("exchangeRate") && rate <= 0.0 {
            i.problem("exchangeRate", "must be greater than 0");
        }
        let price_items = i.opt_array("prices").cloned().unwrap_or_default();
        let prices = i.each_object(
            "prices",
            &price_items,
            "must be an object {priceId, price, includedBalance?}",
            |_, p| {
                (
                    p.req_str("priceId"),
                    p.req_int_in("price", 0, i64::MAX),
                    p.opt_int_in("includedBalance", 0, i64::MAX),
                )
            },
        );
        let feature_items = i.opt_array("features").cloned().unwrap_or_default();
        let feature_refs = i.each_object(
            "features",
            &feature_items,
            "must be an object {featureId, overageUnitPrice}",
            |_, f| {
                (
                    f.req_str("featureId"),
                    f.req_int_in("overageUnitPrice", 0, i64::MAX),
                )
            },
        );
        i.finish()?;
        let plan = plans::require(tx, &org.org_id, &id, "id")?;
        let mut feats = Vec::new();
        for (reference, price) in feature_refs {
            feats.push((
                features::require(tx, &org.org_id, &reference, "features.featureId")?,
                price,
            ));
        }
        plans::set_plan_regional(tx, &plan, &currency, rate, &prices, &feats)
    })
    .await
}
