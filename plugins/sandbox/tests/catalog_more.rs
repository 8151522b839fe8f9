//! Plan groups, add-ons, credit packs, offers, promo codes, markets.

mod common;

use common::start;
use serde_json::{json, Value};

#[test]
fn plan_groups_order_plans() {
    let env = start();
    for code in ["a", "b", "c"] {
        env.post(
            "/plans",
            json!({ "name": code.to_uppercase(), "code": code }),
        )
        .ok();
    }
    let g = env
        .post(
            "/plan-groups",
            json!({ "name": "Main", "description": "Tiers" }),
        )
        .ok();
    assert!(g["id"].as_str().unwrap().starts_with("plg_"));
    assert_eq!(g["object"], "plan_group");
    assert_eq!(g["isPublic"], true);
    let gid = g["id"].as_str().unwrap();
    for code in ["a", "b", "c"] {
        let r = env
            .post(
                &format!("/plan-groups/{gid}/plans"),
                json!({ "planId": code }),
            )
            .ok();
        assert_eq!(r["success"], true);
        assert_eq!(r["object"], "plan_group_membership");
    }
    let detail = env.get(&format!("/plan-groups/{gid}")).ok();
    let names: Vec<&str> = detail["plans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["A", "B", "C"]);
    assert_eq!(env.get("/plans/b").ok()["planGroupId"], gid);

    let ids: Vec<Value> = ["c", "a", "b"]
        .iter()
        .map(|c| env.get(&format!("/plans/{c}")).ok()["id"].clone())
        .collect();
    let r = env
        .put(
            &format!("/plan-groups/{gid}/plans/reorder"),
            json!({ "planIds": ids }),
        )
        .ok();
    assert_eq!(
        r,
        json!({ "reordered": true, "object": "plan_group_order", "livemode": false })
    );
    let detail = env.get(&format!("/plan-groups/{gid}")).ok();
    let names: Vec<&str> = detail["plans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["C", "A", "B"]);
    // Reordering must list every plan exactly once.
    env.put(
        &format!("/plan-groups/{gid}/plans/reorder"),
        json!({ "planIds": ["a", "b"] }),
    )
    .err(400, "validation_error");
    env.put(
        &format!("/plan-groups/{gid}/plans/reorder"),
        json!({ "planIds": ["a", "a", "b"] }),
    )
    .err(400, "validation_error");

    // A plan belongs to one group at most.
    let g2 = env.post("/plan-groups", json!({ "name": "Other" })).ok();
    env.post(
        &format!("/plan-groups/{}/plans", g2["id"].as_str().unwrap()),
        json!({ "planId": "a" }),
    )
    .err(409, "duplicate");
    let removed = env.delete(&format!("/plan-groups/{gid}/plans/a")).ok();
    assert_eq!(removed["removed"], true);
    env.delete(&format!("/plan-groups/{gid}/plans/a"))
        .err(404, "plan_not_found");

    let u = env
        .patch(
            &format!("/plan-groups/{gid}"),
            json!({ "name": "Renamed", "isPublic": false }),
        )
        .ok();
    assert_eq!(u["name"], "Renamed");
    assert_eq!(
        env.get("/plan-groups").ok()["data"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    env.delete(&format!("/plan-groups/{gid}")).ok();
    assert_eq!(env.get("/plans/b").ok()["planGroupId"], Value::Null);
    env.get(&format!("/plan-groups/{gid}"))
        .err(404, "plan_group_not_found");
    env.post(
        "/plans",
        json!({ "name": "X", "code": "x", "planGroupId": "plg_missing" }),
    )
    .err(404, "plan_group_not_found");
}

#[test]
fn addons() {
    let env = start();
    env.post(
        "/features",
        json!({ "code": "storage", "name": "Storage", "type": "usage" }),
    )
    .ok();
    env.post(
        "/features",
        json!({ "code": "support", "name": "Support", "type": "boolean" }),
    )
    .ok();
    let a = env
        .post(
            "/addons",
            json!({ "name": "Extra Storage", "basePrice": 500, "featureId": "storage", "consumptionModel": "metered",
                    "includedUnits": 100, "overageRate": 10 }),
        )
        .ok();
    assert!(a["id"].as_str().unwrap().starts_with("adn_"));
    assert_eq!(a["slug"], "extra-storage");
    assert_eq!(a["featureCode"], "storage");
    assert_eq!(a["featureName"], "Storage");
    assert_eq!(a["creditCost"], Value::Null);
    assert_eq!(env.get("/addons/extra-storage").ok()["id"], a["id"]);
    let body = env
        .post("/addons", json!({ "name": "Bad", "basePrice": 1, "featureId": "support", "consumptionModel": "metered" }))
        .err(400, "validation_error");
    assert_eq!(body["error"]["details"].as_array().unwrap().len(), 2);
    env.post("/addons", json!({ "name": "Again", "basePrice": 1, "featureId": "storage", "consumptionModel": "boolean" }))
        .err(409, "duplicate");
    env.post("/addons", json!({ "name": "Ghost", "basePrice": 1, "featureId": "ghost", "consumptionModel": "boolean" }))
        .err(404, "feature_not_found");
    let u = env
        .patch(
            &format!("/addons/{}", a["id"].as_str().unwrap()),
            json!({ "basePrice": 900, "description": "100GB" }),
        )
        .ok();
    assert_eq!(u["basePrice"], 900);
    assert_eq!(u["description"], "100GB");
    // The feature backs an add-on, so it cannot be deleted.
    env.delete("/features/storage").err(409, "feature_in_use");
    assert_eq!(env.get("/addons").ok()["data"].as_array().unwrap().len(), 1);
    env.delete("/addons/extra-storage").ok();
    env.get("/addons/extra-storage").err(404, "addon_not_found");
    env.delete("/features/storage").ok();
}

#[test]
fn credit_packs() {
    let env = start();
    let p = env
        .post(
            "/credit-packs",
            json!({ "name": "500 Credits", "credits": 500, "price": 4900 }),
        )
        .ok();
    assert!(p["id"].as_str().unwrap().starts_with("cpk_"));
    assert_eq!(p["isActive"], true);
    assert_eq!(p["object"], "credit_pack");
    env.post(
        "/credit-packs",
        json!({ "name": "500 credits", "credits": 1, "price": 1 }),
    )
    .err(409, "duplicate");
    env.post(
        "/credit-packs",
        json!({ "name": "Zero", "credits": 0, "price": 1 }),
    )
    .err(400, "validation_error");
    let id = p["id"].as_str().unwrap();
    let u = env
        .patch(
            &format!("/credit-packs/{id}"),
            json!({ "price": 3900, "isActive": false }),
        )
        .ok();
    assert_eq!(u["price"], 3900);
    assert_eq!(u["isActive"], false);
    let list = env.get("/credit-packs").ok();
    assert_eq!(list["data"][0]["currency"], "usd");
    env.delete(&format!("/credit-packs/{id}")).ok();
    env.patch(&format!("/credit-packs/{id}"), json!({ "price": 1 }))
        .err(404, "credit_pack_not_found");
    let (_, other) = env.other_org();
    assert_eq!(env.get_as(&other, "/credit-packs").ok()["data"], json!([]));
}

#[test]
fn offers_validate_phases() {
    let env = start();
    let o = env
        .post(
            "/offers",
            json!({ "name": "Launch", "phases": [
                { "type": "free_trial", "durationDays": 14 },
                { "type": "percentage", "durationCycles": 3, "percentage": 5000 },
                { "type": "amount_off", "durationCycles": null, "amounts": [{ "currency": "USD", "amount": 500 }] }
            ]}),
        )
        .ok();
    assert!(o["id"].as_str().unwrap().starts_with("ofr_"));
    assert_eq!(o["active"], true);
    assert_eq!(o["metadata"], json!({}));
    assert_eq!(o["phases"][2]["amounts"][0]["currency"], "usd");
    let cases = [
        json!({ "name": "x", "phases": [] }),
        json!({ "name": "x", "phases": [{ "type": "percentage", "percentage": 10 }, { "type": "free_trial", "durationDays": 3 }] }),
        json!({ "name": "x", "phases": [{ "type": "percentage", "percentage": 20000, "durationCycles": 1 }] }),
        json!({ "name": "x", "phases": [{ "type": "amount_off", "durationCycles": 1, "amounts": [] }] }),
        json!({ "name": "x", "phases": [{ "type": "bogus" }] }),
        json!({ "phases": [{ "type": "free_trial", "durationDays": 3 }] }),
    ];
    for body in cases {
        env.post("/offers", body.clone())
            .err(400, "validation_error");
    }
    let id = o["id"].as_str().unwrap();
    let u = env
        .patch(&format!("/offers/{id}"), json!({ "name": "Renamed", "phases": [{ "type": "free_trial", "durationDays": 7 }], "active": false }))
        .ok();
    assert_eq!(u["name"], "Renamed");
    assert_eq!(
        env.get("/offers?active=false").ok()["data"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        env.get("/offers?active=true").ok()["data"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    let d = env.delete(&format!("/offers/{id}")).ok();
    assert_eq!(d["deleted"], true);
    assert_eq!(d["object"], "offer");
    env.get(&format!("/offers/{id}"))
        .err(404, "offer_not_found");
}

#[test]
fn promo_codes() {
    let env = start();
    env.post("/plans", json!({ "name": "Pro", "code": "pro" }))
        .ok();
    let offer = env
        .post("/offers", json!({ "name": "25%", "phases": [{ "type": "percentage", "durationCycles": 3, "percentage": 2500 }] }))
        .ok();
    let trial = env
        .post(
            "/offers",
            json!({ "name": "Trial", "phases": [{ "type": "free_trial", "durationDays": 7 }] }),
        )
        .ok();
    let p = env
        .post(
            "/promo-codes",
            json!({ "code": "SUMMER25", "offerId": offer["id"], "maxRedemptions": 100, "expiresAt": "2026-12-31", "planIds": ["pro"] }),
        )
        .ok();
    assert!(p["id"].as_str().unwrap().starts_with("prc_"));
    assert_eq!(p["isActive"], true);
    assert_eq!(p["redemptionCount"], 0);
    assert_eq!(p["expiresAt"], "2026-12-31T00:00:00.000Z");
    assert_eq!(env.get("/promo-codes/summer25").ok()["id"], p["id"]);
    env.post(
        "/promo-codes",
        json!({ "code": "SUMMER25", "offerId": offer["id"] }),
    )
    .err(409, "duplicate");
    env.post(
        "/promo-codes",
        json!({ "code": "TRIAL", "offerId": trial["id"] }),
    )
    .err(400, "offer_not_applicable");
    env.post(
        "/promo-codes",
        json!({ "code": "NOPE", "offerId": "ofr_missing" }),
    )
    .err(404, "offer_not_found");
    env.post(
        "/promo-codes",
        json!({ "code": "BAD", "offerId": offer["id"], "planIds": ["ghost"] }),
    )
    .err(404, "plan_not_found");
    env.post(
        "/promo-codes",
        json!({ "code": "has space", "offerId": offer["id"] }),
    )
    .err(400, "validation_error");
    // The seed CLI's shortcut creates the offer on the fly.
    let flat = env
        .post("/promo-codes", json!({ "code": "FLAT10", "discountType": "amount", "discountValue": 1000, "durationCycles": 1 }))
        .ok();
    let flat_offer = env
        .get(&format!("/offers/{}", flat["offerId"].as_str().unwrap()))
        .ok();
    assert_eq!(flat_offer["phases"][0]["type"], "amount_off");
    let u = env
        .patch(
            &format!("/promo-codes/{}", p["id"].as_str().unwrap()),
            json!({ "active": false, "maxRedemptions": 50, "expiresAt": null }),
        )
        .ok();
    assert_eq!(u["isActive"], false);
    assert_eq!(u["maxRedemptions"], 50);
    assert_eq!(u["expiresAt"], Value::Null);
    assert_eq!(
        env.get("/promo-codes").ok()["data"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn markets() {
    let env = start();
    let m = env
        .post(
            "/markets",
            json!({ "name": "LatAm", "countryCodes": ["ar", "br"], "metadata": { "x": 1 } }),
        )
        .ok();
    assert!(m["id"].as_str().unwrap().starts_with("pmg_"));
    assert_eq!(m["countryCodes"], json!(["AR", "BR"]));
    env.post(
        "/markets",
        json!({ "name": "Brazil", "countryCodes": ["BR"] }),
    )
    .err(409, "duplicate");
    env.post(
        "/markets",
        json!({ "name": "Bad", "countryCodes": ["ARG"] }),
    )
    .err(400, "validation_error");
    env.post("/markets", json!({ "name": "Empty", "countryCodes": [] }))
        .err(400, "validation_error");
    let id = m["id"].as_str().unwrap();
    let u = env
        .patch(
            &format!("/markets/{id}"),
            json!({ "name": "South", "countryCodes": ["AR", "CL"] }),
        )
        .ok();
    assert_eq!(u["countryCodes"], json!(["AR", "CL"]));
    env.post(
        "/markets",
        json!({ "name": "Brazil", "countryCodes": ["BR"] }),
    )
    .ok();
    env.patch(&format!("/markets/{id}"), json!({ "name": "South" }))
        .err(400, "validation_error");
    assert_eq!(
        env.get("/markets").ok()["data"].as_array().unwrap().len(),
        2
    );
    env.delete(&format!("/markets/{id}")).ok();
    env.get(&format!("/markets/{id}"))
        .err(404, "market_not_found");
}
