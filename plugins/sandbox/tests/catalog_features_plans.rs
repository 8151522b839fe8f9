//! `/features` and `/plans`.

mod common;

use common::{start, Env};
use serde_json::{json, Value};

fn feature(env: &Env, code: &str, kind: &str) -> Value {
    env.post(
        "/features",
        json!({ "code": code, "name": code.replace('_', " "), "type": kind }),
    )
    .ok()
}

#[test]
fn features_crud() {
    let env = start();
    let f = env
        .post("/features", json!({ "code": "api_calls", "name": "API Calls", "type": "usage", "unitName": "calls" }))
        .ok();
    assert!(f["id"].as_str().unwrap().starts_with("ftr_"));
    assert_eq!(f["object"], "feature");
    assert_eq!(f["unitName"], "calls");
    assert_eq!(f["description"], Value::Null);
    assert_eq!(env.get("/features/api_calls").ok()["id"], f["id"]);
    let u = env
        .patch(
            "/features/api_calls",
            json!({ "name": "API Requests", "description": "HTTP calls", "unitName": null }),
        )
        .ok();
    assert_eq!(u["name"], "API Requests");
    assert_eq!(u["unitName"], Value::Null);
    env.patch("/features/api_calls", json!({ "type": "boolean" }))
        .err(400, "validation_error");
    let list = env.get("/features").ok();
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    let d = env.delete("/features/api_calls").ok();
    assert_eq!(
        d,
        json!({ "id": f["id"], "deleted": true, "object": "feature", "livemode": false })
    );
    env.get("/features/api_calls").err(404, "feature_not_found");
    env.delete("/features/api_calls")
        .err(404, "feature_not_found");
}

#[test]
fn feature_rules() {
    let env = start();
    feature(&env, "seats", "seats");
    env.post(
        "/features",
        json!({ "code": "seats", "name": "Other", "type": "seats" }),
    )
    .err(409, "feature_already_exists");
    env.post(
        "/features",
        json!({ "code": "other", "name": "seats", "type": "seats" }),
    )
    .err(409, "feature_already_exists");
    for bad in ["Api-Calls", "api calls", "api-calls", ""] {
        let body = env
            .post(
                "/features",
                json!({ "code": bad, "name": "X", "type": "usage" }),
            )
            .err(400, "validation_error");
        assert_eq!(body["error"]["details"][0]["field"], "code", "{bad}");
    }
    let body = env
        .post(
            "/features",
            json!({ "code": "x", "name": "X", "type": "meter" }),
        )
        .err(400, "validation_error");
    assert!(body["error"]["details"][0]["message"]
        .as_str()
        .unwrap()
        .contains("boolean"));
    // In use by a plan: refused until removed from the plan.
    env.post("/plans", json!({ "name": "Team", "code": "team" }))
        .ok();
    env.post(
        "/plans/team/features",
        json!({ "featureId": "seats", "includedAmount": 3 }),
    )
    .ok();
    let body = env.delete("/features/seats").err(409, "feature_in_use");
    assert!(body["error"]["message"].as_str().unwrap().contains("team"));
    env.delete("/plans/team/features/seats").ok();
    env.delete("/features/seats").ok();
}

#[test]
fn features_are_scoped_to_the_organization() {
    let env = start();
    feature(&env, "sso", "boolean");
    let (_, other) = env.other_org();
    env.get_as(&other, "/features/sso")
        .err(404, "feature_not_found");
    assert_eq!(env.get_as(&other, "/features").ok()["data"], json!([]));
    env.post_as(
        &other,
        "/features",
        json!({ "code": "sso", "name": "sso", "type": "boolean" }),
    )
    .ok();
}

#[test]
fn plans_crud_and_visibility() {
    let env = start();
    let p = env
        .post(
            "/plans",
            json!({ "name": "Developer", "code": "developer", "consumptionModel": "metered",
                    "isPublic": true, "blockOnExhaustion": true, "metadata": { "tier": 1 } }),
        )
        .ok();
    assert!(p["id"].as_str().unwrap().starts_with("pln_"));
    for (k, v) in [
        ("object", json!("plan")),
        ("isPublic", json!(true)),
        ("isFree", json!(false)),
        ("isDefault", json!(false)),
        ("consumptionModel", json!("metered")),
        ("blockOnExhaustion", json!(true)),
        ("features", json!([])),
        ("prices", json!([])),
        ("exchangeRates", json!([])),
        ("planGroupId", Value::Null),
    ] {
        assert_eq!(p[k], v, "{k}");
    }
    let id = p["id"].as_str().unwrap();
    assert_eq!(env.get("/plans/developer").ok()["id"], id);
    assert_eq!(env.get(&format!("/plans/{id}")).ok()["code"], "developer");
    env.post("/plans", json!({ "name": "Dup", "code": "developer" }))
        .err(409, "duplicate");
    env.post("/plans", json!({ "name": "Bad", "code": "Bad Code" }))
        .err(400, "validation_error");
    env.post(
        "/plans",
        json!({ "code": "x", "consumptionModel": "seats" }),
    )
    .err(400, "validation_error");

    let u = env
        .patch(
            &format!("/plans/{id}"),
            json!({ "name": "Dev", "description": "For devs", "metadata": {} }),
        )
        .ok();
    assert_eq!(u["name"], "Dev");
    assert_eq!(u["description"], "For devs");

    env.post(
        "/plans",
        json!({ "name": "Hidden", "code": "hidden", "isPublic": false }),
    )
    .ok();
    let public = env.get("/plans").ok();
    assert_eq!(public["data"].as_array().unwrap().len(), 1);
    let all = env.get("/plans?includePrivate=true").ok();
    assert_eq!(all["data"].as_array().unwrap().len(), 2);
    let v = env
        .put("/plans/hidden/visibility", json!({ "isPublic": true }))
        .ok();
    assert_eq!(v["isPublic"], true);
    assert_eq!(env.get("/plans").ok()["data"].as_array().unwrap().len(), 2);
    env.put("/plans/hidden/visibility", json!({}))
        .err(400, "validation_error");

    // Soft delete: gone from reads, the code can be reused.
    let d = env.delete("/plans/hidden").ok();
    assert_eq!(d["deleted"], true);
    assert_eq!(d["object"], "plan");
    env.get("/plans/hidden").err(404, "plan_not_found");
    assert_eq!(
        env.get("/plans?includePrivate=true").ok()["data"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    env.post(
        "/plans",
        json!({ "name": "Hidden again", "code": "hidden" }),
    )
    .ok();

    let (_, other) = env.other_org();
    env.get_as(&other, "/plans/developer")
        .err(404, "plan_not_found");
}

#[test]
fn plan_features() {
    let env = start();
    feature(&env, "api_calls", "usage");
    feature(&env, "tokens", "usage");
    env.post("/plans", json!({ "name": "Pro", "code": "pro" }))
        .ok();
    let pf = env
        .post(
            "/plans/pro/features",
            json!({ "featureId": "api_calls", "includedAmount": 1000, "overage": { "enabled": true, "unitPrice": 100 } }),
        )
        .ok();
    assert_eq!(pf["object"], "plan_feature");
    assert_eq!(pf["includedAmount"], 1000);
    assert_eq!(pf["overage"], json!({ "enabled": true, "unitPrice": 100 }));
    assert_eq!(pf["pricingMode"], "fixed");
    env.post("/plans/pro/features", json!({ "featureId": "api_calls" }))
        .err(409, "duplicate");
    env.post("/plans/pro/features", json!({ "featureId": "ghost" }))
        .err(404, "feature_not_found");
    env.post("/plans/ghost/features", json!({ "featureId": "api_calls" }))
        .err(404, "plan_not_found");
    env.post(
        "/plans/pro/features",
        json!({ "featureId": "tokens", "pricingMode": "ai_model", "margin": 30 }),
    )
    .err(400, "validation_error");

    let updated = env
        .patch(
            "/plans/pro/features/api_calls",
            json!({ "includedAmount": 2000, "unlimited": true, "creditsPerUnit": 2.5 }),
        )
        .ok();
    assert_eq!(updated["includedAmount"], 2000);
    assert_eq!(updated["unlimited"], true);
    assert_eq!(updated["creditsPerUnit"], 2.5);
    assert_eq!(updated["overage"]["enabled"], true);

    let plan = env.get("/plans/pro").ok();
    let f = &plan["features"][0];
    assert_eq!(f["code"], "api_calls");
    assert_eq!(f["type"], "usage");
    assert_eq!(
        f["overage"],
        json!({ "enabled": true, "model": "per_unit", "unitPrice": 100 })
    );
    assert_eq!(f["regionalPrices"], json!([]));

    // ai_model is allowed on balance plans.
    env.post(
        "/plans",
        json!({ "name": "AI", "code": "ai", "consumptionModel": "balance" }),
    )
    .ok();
    let ai = env
        .post(
            "/plans/ai/features",
            json!({ "featureId": "tokens", "pricingMode": "ai_model", "margin": 30 }),
        )
        .ok();
    assert_eq!(ai["pricingMode"], "ai_model");
    assert_eq!(ai["margin"], 30);

    // Free plans cannot charge overage.
    env.post(
        "/plans",
        json!({ "name": "Free", "code": "free", "isFree": true }),
    )
    .ok();
    env.post(
        "/plans/free/features",
        json!({ "featureId": "api_calls", "overage": { "enabled": true, "unitPrice": 5 } }),
    )
    .err(400, "validation_error");

    let removed = env.delete("/plans/pro/features/api_calls").ok();
    assert_eq!(removed["removed"], true);
    env.delete("/plans/pro/features/api_calls")
        .err(404, "feature_not_found");
}

#[test]
fn prices_defaults_archiving_and_intro_offers() {
    let env = start();
    env.post("/plans", json!({ "name": "Pro", "code": "pro" }))
        .ok();
    let monthly = env
        .post(
            "/plans/pro/prices",
            json!({ "billingInterval": "monthly", "price": 2900 }),
        )
        .ok();
    assert!(monthly["id"].as_str().unwrap().starts_with("pp_"));
    assert_eq!(monthly["object"], "plan_price");
    assert_eq!(monthly["isDefault"], true);
    assert_eq!(monthly["trialDays"], 0);
    assert_eq!(monthly["metadata"], json!({}));
    assert_eq!(monthly["marketPrices"], json!([]));
    let variant = env
        .post(
            "/plans/pro/prices",
            json!({ "billingInterval": "monthly", "price": 2500, "trialDays": 7 }),
        )
        .ok();
    assert_eq!(variant["isDefault"], false);
    let yearly = env
        .post(
            "/plans/pro/prices",
            json!({ "billingInterval": "yearly", "price": 29000, "trialDays": 14,
                    "introOffer": { "enabled": true, "discountType": "percentage", "discountValue": 50, "durationCycles": 3 } }),
        )
        .ok();
    let offer_id = yearly["offerId"].as_str().unwrap();
    assert!(offer_id.starts_with("ofr_"));
    assert_eq!(yearly["introOffer"]["discountValue"], 50);
    let offer = env.get(&format!("/offers/{offer_id}")).ok();
    assert_eq!(offer["phases"][0]["percentage"], 5000);
    assert_eq!(offer["phases"][0]["durationCycles"], 3);

    env.post(
        "/plans/pro/prices",
        json!({ "billingInterval": "daily", "price": 1 }),
    )
    .err(400, "validation_error");
    env.post(
        "/plans/pro/prices",
        json!({ "billingInterval": "monthly", "price": -1 }),
    )
    .err(400, "validation_error");

    let vid = variant["id"].as_str().unwrap();
    let d = env
        .put(&format!("/plans/pro/prices/{vid}/default"), json!({}))
        .ok();
    assert_eq!(d["isDefault"], true);
    let plan = env.get("/plans/pro").ok();
    let defaults: Vec<&Value> = plan["prices"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["isDefault"] == true)
        .collect();
    assert_eq!(defaults.len(), 2, "one default per interval");

    let u = env
        .patch(
            &format!("/plans/pro/prices/{vid}"),
            json!({ "price": 2700, "includedCredits": 100 }),
        )
        .ok();
    assert_eq!(u["price"], 2700);
    assert_eq!(u["includedCredits"], 100);

    // Archiving the default promotes the remaining monthly price.
    let archived = env.delete(&format!("/plans/pro/prices/{vid}")).ok();
    assert_eq!(archived["deleted"], true);
    let plan = env.get("/plans/pro").ok();
    let prices = plan["prices"].as_array().unwrap();
    assert_eq!(prices.len(), 2);
    assert!(prices
        .iter()
        .any(|p| p["id"] == monthly["id"] && p["isDefault"] == true));
    env.patch(&format!("/plans/pro/prices/{vid}"), json!({ "price": 1 }))
        .err(404, "price_not_found");
}

#[test]
fn regional_pricing() {
    let env = start();
    feature(&env, "api_calls", "usage");
    env.post("/plans", json!({ "name": "Pro", "code": "pro" }))
        .ok();
    env.post(
        "/plans/pro/features",
        json!({ "featureId": "api_calls", "overage": { "enabled": true, "unitPrice": 100 } }),
    )
    .ok();
    let price = env
        .post(
            "/plans/pro/prices",
            json!({ "billingInterval": "monthly", "price": 2900 }),
        )
        .ok();
    let pid = price["id"].as_str().unwrap();

    let set = env
        .put(
            &format!("/plans/pro/prices/{pid}/regional"),
            json!({ "overrides": [{ "currency": "EUR", "price": 2700 }, { "currency": "brl", "price": 14900, "includedBalance": 10 }] }),
        )
        .ok();
    assert_eq!(set["object"], "plan_regional_pricing");
    assert_eq!(set["overrides"].as_array().unwrap().len(), 2);
    env.put(
        &format!("/plans/pro/prices/{pid}/regional"),
        json!({ "overrides": [{ "currency": "zzz", "price": 1 }] }),
    )
    .err(400, "validation_error");

    let result = env
        .put(
            "/plans/pro/regional",
            json!({ "currency": "mxn", "exchangeRate": 17.5, "features": [{ "featureId": "api_calls", "overageUnitPrice": 1800 }] }),
        )
        .ok();
    assert_eq!(result["pricesConfigured"], 0);
    assert_eq!(result["featuresConfigured"], 1);
    assert_eq!(result["exchangeRate"], 17.5);

    let plan = env.get("/plans/pro").ok();
    assert_eq!(
        plan["exchangeRates"],
        json!([{ "currency": "mxn", "exchangeRate": 17.5 }])
    );
    let regional = plan["prices"][0]["regionalPrices"].as_array().unwrap();
    assert!(regional
        .iter()
        .any(|r| r["currency"] == "eur" && r["price"] == 2700 && r["autoSynced"] == false));
    assert!(regional
        .iter()
        .any(|r| r["currency"] == "mxn" && r["price"] == 50750 && r["autoSynced"] == true));
    assert_eq!(
        plan["features"][0]["regionalPrices"],
        json!([{ "currency": "mxn", "overageUnitPrice": 1800, "autoSynced": false }])
    );

    let deleted = env
        .delete(&format!("/plans/pro/prices/{pid}/regional"))
        .ok();
    assert_eq!(deleted["deleted"], true);
    env.put("/plans/pro/regional", json!({ "currency": "eur" }))
        .err(400, "validation_error");
    env.put("/plans/pro/regional", json!({ "currency": "eur", "exchangeRate": 1, "prices": [{ "priceId": "pp_x", "price": 1 }] }))
        .err(404, "price_not_found");
}

#[test]
fn market_prices_reference_markets() {
    let env = start();
    let market = env
        .post(
            "/markets",
            json!({ "name": "LatAm", "countryCodes": ["ar", "BR"] }),
        )
        .ok();
    let mid = market["id"].as_str().unwrap();
    env.post("/plans", json!({ "name": "Pro", "code": "pro" }))
        .ok();
    let p = env
        .post(
            "/plans/pro/prices",
            json!({ "billingInterval": "monthly", "price": 2900,
                    "marketPrices": [{ "marketGroupId": mid, "currency": "brl", "price": 9900 }] }),
        )
        .ok();
    assert_eq!(p["marketPrices"][0]["marketGroupId"], mid);
    env.post(
        "/plans/pro/prices",
        json!({ "billingInterval": "yearly", "price": 1, "marketPrices": [{ "marketGroupId": "pmg_none", "currency": "brl", "price": 1 }] }),
    )
    .err(404, "market_not_found");
    env.delete(&format!("/markets/{mid}"))
        .err(409, "market_in_use");
}
