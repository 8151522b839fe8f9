//! Usage and entitlements over real HTTP: usage tracking and its decision
//! rules, eventId deduplication, usage checks and corrections, credits and
//! balance pools (with AI token pricing), seats, quota, feature access, and
//! the webhooks of each step (one test per rule of billing-model.md §3/§4).

mod common;

use std::io::{Read, Write as _};
use std::net::TcpListener;
use std::sync::mpsc;
use std::time::Duration;

use common::{start, wait_for, Env};
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

const WAIT: Duration = Duration::from_secs(10);

// -- catalog and subscription helpers ----------------------------------------

fn feature(env: &Env, code: &str, kind: &str) {
    env.post(
        "/features",
        json!({ "code": code, "name": code.replace('_', " "), "type": kind, "unitName": "units" }),
    )
    .ok();
}

/// A plan with one price; `body` adds plan fields (consumptionModel, isFree…).
fn plan(env: &Env, code: &str, mut body: Value, price: Value) {
    body["code"] = json!(code);
    body["name"] = json!(code.to_uppercase());
    env.post("/plans", body).ok();
    let mut price = price;
    if price.get("billingInterval").is_none() {
        price["billingInterval"] = json!("monthly");
    }
    env.post(&format!("/plans/{code}/prices"), price).ok();
}

fn plan_feature(env: &Env, plan: &str, feature: &str, settings: Value) {
    let mut body = settings;
    body["featureId"] = json!(feature);
    env.post(&format!("/plans/{plan}/features"), body).ok();
}

/// A customer with an external id; returns its `cus_` id.
fn customer(env: &Env, external: &str) -> String {
    let c = env
        .post(
            "/customers",
            json!({ "email": format!("{external}@example.com"), "externalId": external }),
        )
        .ok();
    c["id"].as_str().unwrap().to_owned()
}

/// Creates a subscription; completes the checkout with the success card
/// when one is needed. Returns the subscription id.
fn subscribe(env: &Env, customer: &str, plan: &str) -> String {
    let created = env
        .post(
            "/subscriptions",
            json!({ "customerId": customer, "planCode": plan }),
        )
        .ok();
    let id = created["id"].as_str().unwrap().to_owned();
    if let Some(url) = created["checkoutUrl"].as_str() {
        pay_checkout(env, url);
    }
    id
}

/// Submits a hosted checkout page with the 4242 test card.
fn pay_checkout(env: &Env, url: &str) {
    let path = url.strip_prefix(&env.url).expect("local checkout url");
    let resp = env
        .req("POST", path)
        .key(None)
        .header("content-type", "application/x-www-form-urlencoded")
        .raw("card=4242+4242+4242+4242")
        .send();
    assert!(
        resp.status < 400,
        "checkout failed ({}): {}",
        resp.status,
        resp.text
    );
}

fn status_of(env: &Env, sub: &str) -> String {
    env.get(&format!("/subscriptions/{sub}")).ok()["status"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn track(env: &Env, customer: &str, feature: &str, value: i64) -> common::Resp {
    env.post(
        "/usage/events",
        json!({ "customerId": customer, "featureCode": feature, "value": value }),
    )
}

fn access(env: &Env, customer: &str, code: &str) -> Value {
    env.get(&format!("/feature-access/{code}?customerId={customer}"))
        .ok()
}

/// The stored events of one type, oldest first.
fn events(env: &Env, kind: &str) -> Vec<Value> {
    let list = env.get(&format!("/events?type={kind}&limit=100")).ok();
    let mut data = list["data"].as_array().cloned().unwrap_or_default();
    data.reverse();
    data
}

fn advance_days(env: &Env, days: i64) {
    let r = env.post("/test-clock", json!({ "advanceDays": days }));
    assert!(
        r.status == 200 || r.status == 202,
        "advance failed: {}",
        r.text
    );
    // The run may finish asynchronously: wait until it is completed.
    wait_for(WAIT, || {
        let clock = env.get("/test-clock").ok();
        match clock["latestRun"]["status"].as_str() {
            Some("completed") | None => Some(()),
            Some("failed") => panic!("clock run failed: {clock}"),
            _ => None,
        }
    })
    .expect("clock run completes");
}

/// A metered plan: `api_calls` with `included`, overage as given.
fn metered_setup(env: &Env, plan_code: &str, free: bool, included: i64, overage: Option<i64>) {
    feature(env, "api_calls", "usage");
    let price = if free {
        json!({ "price": 0 })
    } else {
        json!({ "price": 2900 })
    };
    plan(
        env,
        plan_code,
        json!({ "consumptionModel": "metered", "isFree": free }),
        price,
    );
    let mut settings = json!({ "includedAmount": included });
    if let Some(p) = overage {
        settings["overage"] = json!({ "enabled": true, "unitPrice": p });
    }
    plan_feature(env, plan_code, "api_calls", settings);
}

// -- usage: preconditions ---------------------------------------------------------

#[test]
fn track_validates_and_checks_preconditions_in_order() {
    let env = start();
    metered_setup(&env, "free", true, 10, None);
    feature(&env, "sso", "boolean");
    feature(&env, "exports", "usage");
    feature(&env, "reports", "usage");
    plan_feature(&env, "free", "reports", json!({ "enabled": false }));

    // Every bad field at once.
    let body = env
        .post(
            "/usage/events",
            json!({ "featureCode": 3, "value": -1, "eventId": "x".repeat(201), "timestamp": "soon", "properties": [{"value": "a"}] }),
        )
        .err(400, "validation_error");
    let fields: Vec<&str> = body["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["field"].as_str().unwrap())
        .collect();
    for f in [
        "featureCode",
        "customerId",
        "value",
        "eventId",
        "timestamp",
        "properties[0]",
    ] {
        assert!(fields.contains(&f), "{f} missing in {fields:?}");
    }
    track(&env, "nobody", "api_calls", 1).err(404, "customer_not_found");
    let cus = customer(&env, "ann");
    track(&env, "ann", "nope", 1).err(404, "feature_not_found");
    track(&env, "ann", "api_calls", 1).err(404, "no_active_subscription");
    let sub = subscribe(&env, &cus, "free");
    assert_eq!(
        status_of(&env, &sub),
        "active",
        "free plans activate at once"
    );
    let body = track(&env, "ann", "sso", 1).err(400, "validation_error");
    assert_eq!(body["error"]["details"][0]["field"], "featureCode");
    track(&env, "ann", "exports", 1).err(400, "feature_not_in_plan");
    track(&env, "ann", "reports", 1).err(400, "feature_disabled");
    // Both the cus_ id and the external id name the customer.
    let by_id = track(&env, &cus, "api_calls", 2).ok();
    assert!(by_id["id"].as_str().unwrap().starts_with("evt_"));
    assert_eq!(by_id["object"], "usage_event");
    assert_eq!(by_id["livemode"], false);
    assert_eq!(by_id["customerId"], cus);
    assert_eq!(by_id["value"], 2);
    assert_eq!(by_id["eventId"], Value::Null);
    assert_eq!(by_id["properties"], json!([]));
    assert!(
        by_id.get("consumption").is_none(),
        "metered events consume no pool"
    );
    // Default value 1, properties kept.
    let e = env
        .post(
            "/usage/events",
            json!({ "customerId": "ann", "featureCode": "api_calls",
                    "properties": [{ "property": "region", "value": "eu" }] }),
        )
        .ok();
    assert_eq!(e["value"], 1);
    assert_eq!(
        e["properties"],
        json!([{ "property": "region", "value": "eu" }])
    );
    assert_eq!(
        access(&env, "ann", "api_calls")["consumption"]["unitsUsed"],
        3
    );
    // Another organization sees none of it.
    let (_, other) = env.other_org();
    env.post_as(
        &other,
        "/usage/events",
        json!({ "customerId": "ann", "featureCode": "api_calls" }),
    )
    .err(404, "customer_not_found");
}

// -- usage: metered decisions -------------------------------------------------

#[test]
fn free_plan_stops_at_included_with_threshold_and_exceeded_once() {
    let env = start();
    metered_setup(&env, "free", true, 10, None);
    let cus = customer(&env, "ann");
    let sub = subscribe(&env, &cus, "free");
    track(&env, "ann", "api_calls", 7).ok();
    assert!(
        events(&env, "quota.threshold_reached").is_empty(),
        "70 % is below the threshold"
    );
    track(&env, "ann", "api_calls", 1).ok();
    let threshold = events(&env, "quota.threshold_reached");
    assert_eq!(threshold.len(), 1);
    let d = &threshold[0]["data"];
    assert_eq!(d["subscriptionId"], sub);
    assert_eq!(d["customerId"], "ann", "webhooks use the external id");
    assert_eq!(d["featureCode"], "api_calls");
    assert_eq!(d["currentUsage"], 8);
    assert_eq!(d["includedAmount"], 10);
    assert!(d["periodStart"].as_str().is_some());
    // Reaching the cap is "exceeded" when nothing above it is accepted.
    track(&env, "ann", "api_calls", 2).ok();
    let exceeded = events(&env, "quota.exceeded");
    assert_eq!(exceeded.len(), 1);
    assert_eq!(exceeded[0]["data"]["overageEnabled"], false);
    assert_eq!(exceeded[0]["data"]["currentUsage"], 10);
    let states = events(&env, "customer.state_changed");
    let state = states
        .iter()
        .find(|e| e["data"]["trigger"] == "quota_exceeded")
        .expect("state change with trigger quota_exceeded");
    assert_eq!(state["data"]["subscriptionId"], sub);
    assert_eq!(state["data"]["status"], "active");
    let f = &state["data"]["features"][0];
    assert_eq!(f["code"], "api_calls");
    assert_eq!(f["allowed"], false);
    assert_eq!(f["consumption"]["unitsUsed"], 10);
    // Beyond: refused with the numbers, nothing recorded, no second alert.
    let body = track(&env, "ann", "api_calls", 1).err(400, "included_limit_reached");
    let details = &body["error"]["details"];
    assert_eq!(details["current"], 10);
    assert_eq!(details["included"], 10);
    assert_eq!(details["remaining"], 0);
    assert_eq!(details["requested"], 1);
    assert_eq!(
        access(&env, "ann", "api_calls")["consumption"]["unitsUsed"],
        10
    );
    assert_eq!(events(&env, "quota.exceeded").len(), 1);
    assert_eq!(events(&env, "quota.threshold_reached").len(), 1);
}

#[test]
fn paid_plan_with_overage_goes_past_included() {
    let env = start();
    metered_setup(&env, "pro", false, 100, Some(100));
    let cus = customer(&env, "bob");
    let sub = subscribe(&env, &cus, "pro");
    assert_eq!(status_of(&env, &sub), "active");
    track(&env, "bob", "api_calls", 100).ok();
    assert!(
        events(&env, "quota.exceeded").is_empty(),
        "at included is not above it"
    );
    track(&env, "bob", "api_calls", 25).ok();
    let exceeded = events(&env, "quota.exceeded");
    assert_eq!(exceeded.len(), 1);
    assert_eq!(exceeded[0]["data"]["overageEnabled"], true);
    assert_eq!(exceeded[0]["data"]["currentUsage"], 125);
    assert!(
        !events(&env, "customer.state_changed")
            .iter()
            .any(|e| e["data"]["trigger"] == "quota_exceeded"),
        "no state change when overage keeps the customer going"
    );
    let a = access(&env, "bob", "api_calls");
    assert_eq!(a["type"], "usage");
    assert_eq!(a["allowed"], true);
    let c = &a["consumption"];
    assert_eq!(c["model"], "metered");
    assert_eq!(c["unitsUsed"], 125);
    assert_eq!(c["includedUnits"], 100);
    assert_eq!(c["remainingUnits"], 0);
    assert_eq!(c["unlimited"], false);
    assert_eq!(
        c["overage"],
        json!({ "enabled": true, "units": 25, "unitPrice": { "amount": 100, "currency": "usd", "scale": 10000 } })
    );
    assert!(c["period"]["start"].as_str().is_some() && c["period"]["end"].as_str().is_some());
    // Can one more be used? Yes, and it is charged as overage.
    let can = env
        .get("/feature-access/api_calls?customerId=bob&action=canUse")
        .ok();
    assert_eq!(can["allowed"], true);
    assert_eq!(can["willBeCharged"], true);
    assert!(can.get("reason").is_none());
}

#[test]
fn trials_block_overage() {
    let env = start();
    feature(&env, "api_calls", "usage");
    plan(
        &env,
        "pro",
        json!({ "consumptionModel": "metered" }),
        json!({ "price": 2900, "trialDays": 14 }),
    );
    plan_feature(
        &env,
        "pro",
        "api_calls",
        json!({ "includedAmount": 5, "overage": { "enabled": true, "unitPrice": 100 } }),
    );
    feature(&env, "editors", "seats");
    plan_feature(
        &env,
        "pro",
        "editors",
        json!({ "includedAmount": 2, "overage": { "enabled": true, "unitPrice": 250_000 } }),
    );
    let cus = customer(&env, "tia");
    let sub = subscribe(&env, &cus, "pro");
    assert_eq!(status_of(&env, &sub), "trialing");
    // Extra seats wait for the trial to end too.
    env.put(
        "/seats",
        json!({ "customerId": "tia", "featureCode": "editors", "count": 2 }),
    )
    .ok();
    let body = env
        .post(
            "/seats",
            json!({ "customerId": "tia", "featureCode": "editors" }),
        )
        .err(400, "seat_limit_exceeded");
    assert!(body["error"]["message"].as_str().unwrap().contains("trial"));
    track(&env, "tia", "api_calls", 5).ok();
    let body = track(&env, "tia", "api_calls", 1).err(400, "included_limit_reached");
    assert!(body["error"]["message"].as_str().unwrap().contains("trial"));
    let check = env
        .post(
            "/usage/check",
            json!({ "customerId": "tia", "featureCode": "api_calls" }),
        )
        .ok();
    assert_eq!(check["allowed"], false);
    assert_eq!(check["reason"], "included_limit_reached");
    assert_eq!(check["overageEnabled"], false);
    assert_eq!(check["overageUnitPrice"], Value::Null);
}

#[test]
fn unlimited_features_are_never_blocked_nor_alerted() {
    let env = start();
    feature(&env, "api_calls", "usage");
    plan(
        &env,
        "free",
        json!({ "isFree": true }),
        json!({ "price": 0 }),
    );
    plan_feature(&env, "free", "api_calls", json!({ "unlimited": true }));
    let cus = customer(&env, "una");
    subscribe(&env, &cus, "free");
    track(&env, "una", "api_calls", 1_000_000).ok();
    track(&env, "una", "api_calls", 1).ok();
    let c = &access(&env, "una", "api_calls")["consumption"];
    assert_eq!(c["unitsUsed"], 1_000_001);
    assert_eq!(c["unlimited"], true);
    assert!(c.get("remainingUnits").is_none());
    assert_eq!(c["overage"], json!({ "enabled": false, "units": 0 }));
    assert!(events(&env, "quota.threshold_reached").is_empty());
    assert!(events(&env, "quota.exceeded").is_empty());
}

// -- usage: deduplication -------------------------------------------------------

#[test]
fn event_ids_and_idempotency_keys_never_double_count() {
    let env = start();
    metered_setup(&env, "free", true, 100, None);
    let cus = customer(&env, "ann");
    subscribe(&env, &cus, "free");
    let other = customer(&env, "bob");
    subscribe(&env, &other, "free");
    let body =
        json!({ "customerId": "ann", "featureCode": "api_calls", "value": 5, "eventId": "req_1" });
    let first = env.post("/usage/events", body.clone()).ok();
    assert_eq!(first["eventId"], "req_1");
    // Same business event again: the original event, counted once.
    let again = env.post("/usage/events", body).ok();
    assert_eq!(again, first);
    // Even with a different value: the first recording wins.
    let changed = env
        .post(
            "/usage/events",
            json!({ "customerId": "ann", "featureCode": "api_calls", "value": 50, "eventId": "req_1" }),
        )
        .ok();
    assert_eq!(changed["id"], first["id"]);
    assert_eq!(
        access(&env, "ann", "api_calls")["consumption"]["unitsUsed"],
        5
    );
    assert_eq!(events(&env, "usage.recorded").len(), 1);
    // The same id for another customer is a clash.
    let clash = env
        .post(
            "/usage/events",
            json!({ "customerId": "bob", "featureCode": "api_calls", "eventId": "req_1" }),
        )
        .err(409, "duplicate");
    assert_eq!(clash["error"]["details"]["usageEventId"], first["id"]);
    // Idempotency-Key: the retried request replays the stored answer.
    let retry = json!({ "customerId": "ann", "featureCode": "api_calls", "value": 3 });
    let a = env
        .req("POST", "/api/v1/usage/events")
        .idem("track-1")
        .json(retry.clone())
        .send();
    let b = env
        .req("POST", "/api/v1/usage/events")
        .idem("track-1")
        .json(retry)
        .send();
    assert_eq!(b.header("idempotent-replayed"), Some("true"));
    assert_eq!(a.body["id"], b.body["id"]);
    assert_eq!(
        access(&env, "ann", "api_calls")["consumption"]["unitsUsed"],
        8
    );
    // A failed write is not stored under its key.
    env.req("POST", "/api/v1/usage/events")
        .idem("track-2")
        .json(json!({ "customerId": "ann", "featureCode": "api_calls", "value": 1000 }))
        .send()
        .err(400, "included_limit_reached");
}

// -- usage: check and set ---------------------------------------------------------

#[test]
fn usage_check_answers_without_recording() {
    let env = start();
    metered_setup(&env, "free", true, 10, None);
    feature(&env, "exports", "usage");
    let cus = customer(&env, "ann");
    let sub = subscribe(&env, &cus, "free");
    track(&env, "ann", "api_calls", 4).ok();
    let c = env
        .post(
            "/usage/check",
            json!({ "customerId": "ann", "featureCode": "api_calls", "quantity": 6 }),
        )
        .ok();
    assert_eq!(
        c,
        json!({
            "allowed": true, "subscriptionStatus": "active", "featureCode": "api_calls", "quantity": 6,
            "consumptionModel": "metered", "current": 4, "remaining": 6, "unlimited": false, "included": 10,
            "overageEnabled": false, "overageUnitPrice": null, "object": "usage_check", "livemode": false,
        })
    );
    let default_qty = env
        .post(
            "/usage/check",
            json!({ "customerId": cus, "featureCode": "api_calls" }),
        )
        .ok();
    assert_eq!(default_qty["quantity"], 1);
    let over = env
        .post(
            "/usage/check",
            json!({ "customerId": "ann", "featureCode": "api_calls", "quantity": 7 }),
        )
        .ok();
    assert_eq!(over["allowed"], false);
    assert_eq!(over["reason"], "included_limit_reached");
    assert!(over["message"].as_str().unwrap().contains("4 of 10"));
    let missing = env
        .post(
            "/usage/check",
            json!({ "customerId": "ann", "featureCode": "exports" }),
        )
        .ok();
    assert_eq!(missing["allowed"], false);
    assert_eq!(missing["reason"], "feature_not_in_plan");
    assert_eq!(
        access(&env, "ann", "api_calls")["consumption"]["unitsUsed"],
        4
    );
    assert!(events(&env, "usage.recorded").len() == 1);
    env.post(
        "/usage/check",
        json!({ "customerId": "nobody", "featureCode": "api_calls" }),
    )
    .err(404, "customer_not_found");
    let _ = sub;
}

#[test]
fn set_usage_stores_a_signed_adjustment() {
    let env = start();
    metered_setup(&env, "free", true, 1000, None);
    let cus = customer(&env, "ann");
    subscribe(&env, &cus, "free");
    track(&env, "ann", "api_calls", 30).ok();
    track(&env, "ann", "api_calls", 12).ok();
    let adj = env
        .put(
            "/usage",
            json!({ "customerId": "ann", "featureCode": "api_calls", "value": 20, "reason": "duplicate events" }),
        )
        .ok();
    assert!(adj["id"].as_str().unwrap().starts_with("uadj_"));
    assert_eq!(adj["object"], "usage_adjustment");
    assert_eq!(adj["value"], 20);
    assert_eq!(adj["previousValue"], 42);
    assert_eq!(adj["adjustment"], -22);
    assert_eq!(adj["reason"], "duplicate events");
    assert_eq!(adj["customerId"], cus);
    assert_eq!(adj["featureCode"], "api_calls");
    assert_eq!(
        access(&env, "ann", "api_calls")["consumption"]["unitsUsed"],
        20
    );
    track(&env, "ann", "api_calls", 5).ok();
    let up = env
        .put(
            "/usage",
            json!({ "customerId": "ann", "featureCode": "api_calls", "value": 100 }),
        )
        .ok();
    assert_eq!(up["previousValue"], 25);
    assert_eq!(up["adjustment"], 75);
    assert_eq!(up["reason"], Value::Null);
    assert_eq!(
        access(&env, "ann", "api_calls")["consumption"]["unitsUsed"],
        100
    );
    let body = env
        .put(
            "/usage",
            json!({ "customerId": "ann", "featureCode": "api_calls", "value": -1 }),
        )
        .err(400, "validation_error");
    assert_eq!(body["error"]["details"][0]["field"], "value");
}

#[test]
fn usage_resets_with_the_period_on_the_test_clock() {
    let env = start();
    metered_setup(&env, "free", true, 10, None);
    let cus = customer(&env, "ann");
    subscribe(&env, &cus, "free");
    track(&env, "ann", "api_calls", 10).ok();
    track(&env, "ann", "api_calls", 1).err(400, "included_limit_reached");
    advance_days(&env, 32);
    let a = access(&env, "ann", "api_calls");
    assert_eq!(a["consumption"]["unitsUsed"], 0, "{a}");
    assert_eq!(a["allowed"], true);
    track(&env, "ann", "api_calls", 8).ok();
    // The 80 % alert fires again in the new period.
    assert_eq!(events(&env, "quota.threshold_reached").len(), 2);
}

// -- pools: credits -------------------------------------------------------------

fn credits_setup(env: &Env) -> (String, String) {
    feature(env, "images", "usage");
    plan(
        env,
        "studio",
        json!({ "consumptionModel": "credits" }),
        json!({ "price": 2000, "includedCredits": 100 }),
    );
    plan_feature(env, "studio", "images", json!({ "creditsPerUnit": 3 }));
    let cus = customer(env, "cara");
    let sub = subscribe(env, &cus, "studio");
    (cus, sub)
}

#[test]
fn credits_plans_draw_credits_and_never_go_below_zero() {
    let env = start();
    let (_, sub) = credits_setup(&env);
    let granted = events(&env, "credits.granted");
    assert_eq!(granted.len(), 1, "{granted:?}");
    assert_eq!(granted[0]["data"]["credits"], 100);
    assert_eq!(granted[0]["data"]["reason"], "period_reset");
    assert_eq!(granted[0]["data"]["subscriptionId"], sub);
    let e = track(&env, "cara", "images", 10).ok();
    assert_eq!(
        e["consumption"],
        json!({ "model": "credits", "deducted": 30, "remaining": 70, "blocked": false })
    );
    let check = env
        .post(
            "/usage/check",
            json!({ "customerId": "cara", "featureCode": "images", "quantity": 24 }),
        )
        .ok();
    assert_eq!(check["consumptionModel"], "credits");
    assert_eq!(check["creditsPerUnit"], 3);
    assert_eq!(check["estimatedCredits"], 72);
    assert_eq!(check["planCredits"], 70);
    assert_eq!(check["purchasedCredits"], 0);
    assert_eq!(check["totalCredits"], 70);
    assert_eq!(check["allowed"], false);
    assert_eq!(check["reason"], "insufficient_credits");
    // 21 units = 63 credits leave 7 (≤ 10 % of 100): credits.low.
    track(&env, "cara", "images", 21).ok();
    let low = events(&env, "credits.low");
    assert_eq!(low.len(), 1);
    assert_eq!(
        low[0]["data"],
        json!({ "subscriptionId": sub, "customerId": "cara", "remainingCredits": 7, "thresholdCredits": 10, "periodCredits": 100 })
    );
    let body = track(&env, "cara", "images", 3).err(400, "insufficient_credits");
    assert_eq!(body["error"]["details"]["requiredCredits"], 9);
    assert_eq!(body["error"]["details"]["totalCredits"], 7);
    let a = access(&env, "cara", "images");
    assert_eq!(a["consumption"]["model"], "credits");
    assert_eq!(a["consumption"]["unitsUsed"], 31);
    assert_eq!(a["consumption"]["creditsConsumed"], 93);
    assert_eq!(a["consumption"]["creditsPerUnit"], 3);
    assert_eq!(a["consumption"]["availableUnits"], 2);
    // Purchased-style credits (balance adjust, type credits) persist and top up.
    env.post(
        &format!("/subscriptions/{sub}/balance/adjust"),
        json!({ "amount": 2, "type": "credits" }),
    )
    .ok();
    let e = track(&env, "cara", "images", 3).ok();
    assert_eq!(
        e["consumption"],
        json!({ "model": "credits", "deducted": 9, "remaining": 0, "blocked": true })
    );
    let depleted = events(&env, "credits.depleted");
    assert_eq!(depleted.len(), 1);
    assert_eq!(depleted[0]["data"]["remainingCredits"], 0);
    let state = events(&env, "customer.state_changed")
        .into_iter()
        .find(|e| e["data"]["trigger"] == "credits_depleted")
        .expect("state change on depletion");
    assert_eq!(
        state["data"]["credits"],
        json!({ "planCredits": 0, "purchasedCredits": 0, "totalCredits": 0 })
    );
    assert_eq!(state["data"]["consumptionModel"], "credits");
    track(&env, "cara", "images", 1).err(400, "insufficient_credits");
    let can = env
        .get("/feature-access/images?customerId=cara&action=canUse")
        .ok();
    assert_eq!(can["allowed"], false);
    assert_eq!(can["reason"], "insufficient_credits");
}

#[test]
fn credits_expire_and_are_granted_again_at_renewal() {
    let env = start();
    let (_, sub) = credits_setup(&env);
    track(&env, "cara", "images", 10).ok();
    advance_days(&env, 32);
    let expired = events(&env, "credits.expired");
    assert_eq!(expired.len(), 1, "{expired:?}");
    assert_eq!(
        expired[0]["data"],
        json!({ "subscriptionId": sub, "customerId": "cara", "expiredCredits": 70 })
    );
    let granted = events(&env, "credits.granted");
    assert_eq!(granted.len(), 2);
    assert_eq!(granted[1]["data"]["reason"], "period_reset");
    let check = env
        .post(
            "/usage/check",
            json!({ "customerId": "cara", "featureCode": "images" }),
        )
        .ok();
    assert_eq!(check["totalCredits"], 100);
}

// -- pools: balance and AI tokens ---------------------------------------------------

fn balance_setup(env: &Env, block: bool) -> String {
    feature(env, "searches", "usage");
    feature(env, "chat", "usage");
    plan(
        env,
        "payg",
        json!({ "consumptionModel": "balance", "blockOnExhaustion": block }),
        json!({ "price": 1000, "includedBalance": 1000 }),
    );
    // $0.05 a search (rate scale).
    plan_feature(
        env,
        "payg",
        "searches",
        json!({ "overage": { "enabled": true, "unitPrice": 500 } }),
    );
    plan_feature(
        env,
        "payg",
        "chat",
        json!({ "pricingMode": "ai_model", "margin": 20 }),
    );
    let cus = customer(env, "dan");
    subscribe(env, &cus, "payg")
}

#[test]
fn blocking_balance_plans_refuse_what_the_balance_cannot_pay() {
    let env = start();
    let sub = balance_setup(&env, true);
    let e = track(&env, "dan", "searches", 10).ok();
    // 10 × $0.05 = $0.50 from $10.00.
    assert_eq!(
        e["consumption"],
        json!({ "model": "balance", "deducted": 5000, "remaining": 95000, "blocked": false })
    );
    let check = env
        .post(
            "/usage/check",
            json!({ "customerId": "dan", "featureCode": "searches", "quantity": 4 }),
        )
        .ok();
    assert_eq!(check["consumptionModel"], "balance");
    assert_eq!(check["unitPrice"], 500);
    assert_eq!(check["estimatedAmount"], 2000);
    assert_eq!(check["currentBalance"], 95000);
    assert_eq!(check["blockOnExhaustion"], true);
    assert_eq!(check["currency"], "usd");
    assert_eq!(check["allowed"], true);
    // $9.50 → $0.50 left: 10 % of the $10.00 refill, balance.low.
    track(&env, "dan", "searches", 180).ok();
    let low = events(&env, "balance.low");
    assert_eq!(low.len(), 1);
    assert_eq!(
        low[0]["data"],
        json!({ "subscriptionId": sub, "customerId": "dan", "currentBalance": 5000, "thresholdBalance": 10000, "currency": "usd" })
    );
    let body = track(&env, "dan", "searches", 11).err(400, "insufficient_balance");
    assert_eq!(body["error"]["details"]["requiredAmount"], 5500);
    assert_eq!(body["error"]["details"]["currentBalance"], 5000);
    let e = track(&env, "dan", "searches", 10).ok();
    assert_eq!(e["consumption"]["remaining"], 0);
    assert_eq!(e["consumption"]["blocked"], true);
    let depleted = events(&env, "balance.depleted");
    assert_eq!(depleted.len(), 1);
    assert_eq!(depleted[0]["data"]["currentBalance"], 0);
    assert!(events(&env, "customer.state_changed")
        .iter()
        .any(|e| e["data"]["trigger"] == "balance_depleted"
            && e["data"]["balance"] == json!({ "currentBalance": 0 })));
    let a = access(&env, "dan", "searches");
    assert_eq!(a["allowed"], false);
    let c = &a["consumption"];
    assert_eq!(c["model"], "balance");
    assert_eq!(c["unitsUsed"], 200);
    assert_eq!(c["spent"], json!({ "amount": 1000, "currency": "usd" }));
    assert_eq!(c["availableUnits"], 0);
    assert_eq!(
        c["unitPrice"],
        json!({ "amount": 500, "currency": "usd", "scale": 10000 })
    );
    // A top-up re-arms and refills.
    env.post(
        &format!("/subscriptions/{sub}/balance/topup"),
        json!({ "amount": 500 }),
    )
    .ok();
    let topped = events(&env, "balance.topped_up");
    assert_eq!(topped.len(), 1, "{topped:?}");
    assert_eq!(topped[0]["data"]["amount"], 500);
    assert!(topped[0]["data"]["invoiceId"]
        .as_str()
        .unwrap()
        .starts_with("inv_"));
    track(&env, "dan", "searches", 1).ok();
}

#[test]
fn non_blocking_balance_goes_negative() {
    let env = start();
    balance_setup(&env, false);
    let e = track(&env, "dan", "searches", 250).ok();
    // $12.50 from $10.00.
    assert_eq!(e["consumption"]["remaining"], -25000);
    assert_eq!(e["consumption"]["blocked"], false);
    assert_eq!(events(&env, "balance.depleted").len(), 1);
    let check = env
        .post(
            "/usage/check",
            json!({ "customerId": "dan", "featureCode": "searches" }),
        )
        .ok();
    assert_eq!(check["allowed"], true);
    assert_eq!(check["blockOnExhaustion"], false);
    assert_eq!(check["currentBalance"], -25000);
}

#[test]
fn ai_model_usage_costs_tokens_with_the_margin() {
    let env = start();
    balance_setup(&env, true);
    // gpt-4o: 300 uncached input × $2.50 + 150 output × $10 + 200 cached × $1.25
    // per 1M = $0.0025; + 20 % margin = $0.0030 = 30 in the rate scale.
    let e = env
        .post(
            "/usage/events",
            json!({ "customerId": "dan", "featureCode": "chat", "model": "openai/gpt-4o",
                    "inputTokens": 500, "outputTokens": 150, "cacheReadTokens": 200 }),
        )
        .ok();
    assert_eq!(e["value"], 650, "value is the total token count");
    assert_eq!(
        e["consumption"],
        json!({ "model": "balance", "deducted": 30, "remaining": 99970, "blocked": false })
    );
    let recorded = events(&env, "usage.recorded");
    assert_eq!(recorded.last().unwrap()["data"]["value"], 650);
    // A million in and out on claude-sonnet-4: $3 + $15 = $18, × 1.2 = $21.60.
    let big = env
        .post(
            "/usage/events",
            json!({ "customerId": "dan", "featureCode": "chat", "model": "claude-sonnet-4-20250514",
                    "inputTokens": 1_000_000, "outputTokens": 1_000_000 }),
        )
        .err(400, "insufficient_balance");
    assert_eq!(big["error"]["details"]["requiredAmount"], 216_000);
    env.post(
        "/usage/events",
        json!({ "customerId": "dan", "featureCode": "chat", "model": "gpt-9", "inputTokens": 1, "outputTokens": 1 }),
    )
    .err(404, "model_not_found");
    env.post(
        "/usage/events",
        json!({ "customerId": "dan", "featureCode": "chat", "value": 3 }),
    )
    .err(400, "pricing_mode_mismatch");
    env.post(
        "/usage/events",
        json!({ "customerId": "dan", "featureCode": "searches", "model": "gpt-4o", "inputTokens": 1, "outputTokens": 1 }),
    )
    .err(400, "pricing_mode_mismatch");
    let body = env
        .post(
            "/usage/events",
            json!({ "customerId": "dan", "featureCode": "chat", "model": "gpt-4o", "inputTokens": 10, "outputTokens": 1, "cacheReadTokens": 11 }),
        )
        .err(400, "validation_error");
    assert_eq!(body["error"]["details"][0]["field"], "cacheReadTokens");
    let body = env
        .post(
            "/usage/events",
            json!({ "customerId": "dan", "featureCode": "chat", "inputTokens": 10 }),
        )
        .err(400, "validation_error");
    assert_eq!(body["error"]["details"][0]["field"], "model");
    let a = access(&env, "dan", "chat");
    assert_eq!(a["consumption"]["unitsUsed"], 650);
    assert_eq!(
        a["consumption"]["spent"],
        json!({ "amount": 0, "currency": "usd" })
    );
    assert!(a["consumption"].get("unitPrice").is_none());
}

// -- seats ------------------------------------------------------------------------

fn seats_setup(env: &Env, overage: bool) -> String {
    feature(env, "editors", "seats");
    feature(env, "viewers", "seats");
    plan(env, "team", json!({}), json!({ "price": 4900 }));
    let mut editors = json!({ "includedAmount": 3 });
    if overage {
        editors["overage"] = json!({ "enabled": true, "unitPrice": 250_000 });
    }
    plan_feature(env, "team", "editors", editors);
    plan_feature(env, "team", "viewers", json!({ "unlimited": true }));
    let cus = customer(env, "eve");
    subscribe(env, &cus, "team")
}

#[test]
fn seats_add_remove_set_with_events_and_a_hard_cap() {
    let env = start();
    let sub = seats_setup(&env, false);
    let seat = |path: &str, count: Value| {
        env.post(
            path,
            json!({ "customerId": "eve", "featureCode": "editors", "count": count }),
        )
    };
    let e = seat("/seats", json!(2)).ok();
    assert!(e["id"].as_str().unwrap().starts_with("sev_"));
    assert_eq!(e["object"], "seat_event");
    assert_eq!(e["previousBalance"], 0);
    assert_eq!(e["newBalance"], 2);
    assert!(events(&env, "seats.limit_reached").is_empty());
    // Default count 1; reaching the included 3 fires limit_reached once.
    let e = env
        .post(
            "/seats",
            json!({ "customerId": "eve", "featureCode": "editors" }),
        )
        .ok();
    assert_eq!(e["newBalance"], 3);
    let limit = events(&env, "seats.limit_reached");
    assert_eq!(limit.len(), 1);
    assert_eq!(
        limit[0]["data"],
        json!({ "customerId": "eve", "subscriptionId": sub, "featureCode": "editors", "currentSeats": 3, "includedSeats": 3 })
    );
    // Overage off: the included amount is a hard cap.
    let body = seat("/seats", json!(1)).err(400, "seat_limit_exceeded");
    assert_eq!(body["error"]["details"]["included"], 3);
    let body = seat("/seats/remove", json!(4)).err(400, "insufficient_seats");
    assert_eq!(body["error"]["details"]["current"], 3);
    assert_eq!(seat("/seats/remove", json!(2)).ok()["newBalance"], 1);
    let set = env
        .put(
            "/seats",
            json!({ "customerId": "eve", "featureCode": "editors", "count": 3 }),
        )
        .ok();
    assert_eq!(
        (set["previousBalance"].as_i64(), set["newBalance"].as_i64()),
        (Some(1), Some(3))
    );
    assert_eq!(
        events(&env, "seats.limit_reached").len(),
        2,
        "a second crossing"
    );
    let updated = events(&env, "seats.updated");
    assert_eq!(updated.len(), 4);
    assert_eq!(
        updated[3]["data"],
        json!({ "customerId": "eve", "subscriptionId": sub, "featureCode": "editors", "previousSeats": 1, "currentSeats": 3 })
    );
    let states: Vec<Value> = events(&env, "customer.state_changed")
        .into_iter()
        .filter(|e| e["data"]["trigger"] == "seats_updated")
        .collect();
    assert_eq!(states.len(), 4);
    assert_eq!(
        states[3]["data"]["seats"],
        json!([
            { "code": "editors", "current": 3, "included": 3, "remaining": 0, "unlimited": false },
            { "code": "viewers", "current": 0, "included": null, "remaining": null, "unlimited": true },
        ])
    );
    // Unlimited seats have no cap.
    env.post(
        "/seats",
        json!({ "customerId": "eve", "featureCode": "viewers", "count": 500 }),
    )
    .ok();
    let b = env
        .get("/seats/balance?customerId=eve&featureCode=editors")
        .ok();
    assert_eq!(b["current"], 3);
    assert_eq!(b["object"], "seat_balance");
    assert_eq!(b["asOf"], set["ts"]);
    let all = env.get("/seats/balances?customerId=eve").ok();
    assert_eq!(all["object"], "seat_balance_collection");
    assert_eq!(all["balances"]["editors"]["current"], 3);
    assert_eq!(all["balances"]["viewers"]["current"], 500);
    // Validation and types.
    let body = seat("/seats", json!(0)).err(400, "validation_error");
    assert_eq!(body["error"]["details"][0]["field"], "count");
    env.put(
        "/seats",
        json!({ "customerId": "eve", "featureCode": "editors" }),
    )
    .err(400, "validation_error");
    feature(&env, "api_calls", "usage");
    env.post(
        "/seats",
        json!({ "customerId": "eve", "featureCode": "api_calls" }),
    )
    .err(400, "validation_error");
}

#[test]
fn seats_with_overage_go_past_included_and_bulk_sets_all() {
    let env = start();
    seats_setup(&env, true);
    let r = env
        .put(
            "/seats/bulk",
            json!({ "customerId": "eve", "seats": { "editors": 5, "viewers": 2 } }),
        )
        .ok();
    assert_eq!(r["object"], "list");
    let data = r["data"].as_array().unwrap();
    assert_eq!(data.len(), 2);
    assert!(data
        .iter()
        .any(|e| e["featureCode"] == "editors" && e["newBalance"] == 5));
    let a = access(&env, "eve", "editors");
    assert_eq!(a["type"], "seats");
    let u = &a["usage"];
    assert_eq!(u["unitsUsed"], 5);
    assert_eq!(u["includedUnits"], 3);
    assert_eq!(u["remainingUnits"], 0);
    assert_eq!(
        u["overage"],
        json!({ "enabled": true, "units": 2, "unitPrice": { "amount": 250000, "currency": "usd", "scale": 10000 } })
    );
    // All or nothing: one bad feature writes nothing.
    env.put(
        "/seats/bulk",
        json!({ "customerId": "eve", "seats": { "editors": 1, "nope": 1 } }),
    )
    .err(404, "feature_not_found");
    assert_eq!(access(&env, "eve", "editors")["usage"]["unitsUsed"], 5);
    let body = env
        .put(
            "/seats/bulk",
            json!({ "customerId": "eve", "seats": { "editors": -1 } }),
        )
        .err(400, "validation_error");
    assert_eq!(body["error"]["details"][0]["field"], "seats.editors");
}

// -- quota ------------------------------------------------------------------------

#[test]
fn quota_is_durable_and_billed_on_its_high_water_mark() {
    let env = start();
    feature(&env, "projects", "quota");
    plan(&env, "team", json!({}), json!({ "price": 4900 }));
    plan_feature(
        &env,
        "team",
        "projects",
        json!({ "includedAmount": 10, "overage": { "enabled": true, "unitPrice": 10_000 } }),
    );
    let cus = customer(&env, "fay");
    subscribe(&env, &cus, "team");
    let e = env
        .post(
            "/usage/quota",
            json!({ "featureCode": "projects", "externalId": "fay", "count": 12 }),
        )
        .ok();
    assert!(e["id"].as_str().unwrap().starts_with("qev_"));
    assert_eq!(e["object"], "usage_quota_event");
    assert_eq!(
        (e["previousBalance"].as_i64(), e["newBalance"].as_i64()),
        (Some(0), Some(12))
    );
    // Removing never lowers what the period is billed for.
    let e = env
        .post(
            "/usage/quota/remove",
            json!({ "featureCode": "projects", "customerId": cus, "count": 5 }),
        )
        .ok();
    assert_eq!(e["newBalance"], 7);
    let q = env
        .get("/usage/quota?customerId=fay&featureCode=projects")
        .ok();
    assert_eq!(q["object"], "usage_quota");
    assert_eq!(q["current"], 7);
    assert_eq!(q["included"], 10);
    assert_eq!(q["remaining"], 3);
    assert_eq!(q["billedQuantity"], 2);
    assert_eq!(q["unlimited"], false);
    assert_eq!(q["overageEnabled"], true);
    assert_eq!(q["asOf"], e["ts"]);
    // Refilling up to the mark is free; above it raises the mark.
    env.put(
        "/usage/quota",
        json!({ "featureCode": "projects", "customerId": "fay", "count": 15 }),
    )
    .ok();
    let all = env.get("/usage/quota/all?customerId=fay").ok();
    assert_eq!(all["object"], "list");
    assert_eq!(all["data"][0]["billedQuantity"], 5);
    // Default count 1; never below zero (400 insufficient_balance).
    env.post(
        "/usage/quota",
        json!({ "featureCode": "projects", "customerId": "fay" }),
    )
    .ok();
    let body = env
        .post(
            "/usage/quota/remove",
            json!({ "featureCode": "projects", "customerId": "fay", "count": 17 }),
        )
        .err(400, "insufficient_balance");
    assert_eq!(body["error"]["details"]["current"], 16);
    let body = env
        .post("/usage/quota", json!({ "featureCode": "projects" }))
        .err(400, "validation_error");
    assert_eq!(body["error"]["details"][0]["field"], "customerId");
    let a = access(&env, "fay", "projects");
    assert_eq!(a["type"], "quota");
    assert_eq!(a["usage"]["unitsUsed"], 16);
    assert_eq!(a["usage"]["billedUnits"], 6);
}

#[test]
fn quota_without_overage_is_capped_at_included() {
    let env = start();
    feature(&env, "projects", "quota");
    plan(
        &env,
        "free",
        json!({ "isFree": true }),
        json!({ "price": 0 }),
    );
    plan_feature(&env, "free", "projects", json!({ "includedAmount": 3 }));
    let cus = customer(&env, "gus");
    subscribe(&env, &cus, "free");
    env.put(
        "/usage/quota",
        json!({ "featureCode": "projects", "customerId": "gus", "count": 3 }),
    )
    .ok();
    let body = env
        .post(
            "/usage/quota",
            json!({ "featureCode": "projects", "customerId": "gus" }),
        )
        .err(400, "included_limit_reached");
    assert_eq!(body["error"]["details"]["included"], 3);
    let q = env
        .get("/usage/quota?customerId=gus&featureCode=projects")
        .ok();
    assert_eq!(q["billedQuantity"], 0);
    assert_eq!(q["overageEnabled"], false);
    let can = env
        .get("/feature-access/projects?customerId=gus&action=canUse")
        .ok();
    assert_eq!(can["allowed"], false);
    assert_eq!(can["reason"], "included_limit_reached");
}

// -- feature access ---------------------------------------------------------------

#[test]
fn feature_access_lists_every_feature_with_one_more_unit_decisions() {
    let env = start();
    metered_setup(&env, "pro", false, 100, None);
    feature(&env, "sso", "boolean");
    feature(&env, "audit_log", "boolean");
    feature(&env, "exports", "usage");
    plan_feature(&env, "pro", "sso", json!({}));
    plan_feature(&env, "pro", "audit_log", json!({ "enabled": false }));
    let cus = customer(&env, "hal");
    subscribe(&env, &cus, "pro");
    let list = env.get("/feature-access?customerId=hal").ok();
    assert_eq!(list["object"], "list");
    assert_eq!(list["hasMore"], false);
    let codes: Vec<&str> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["api_calls", "sso", "audit_log"]);
    let sso = access(&env, "hal", "sso");
    assert_eq!(
        sso,
        json!({ "code": "sso", "name": "sso", "unitName": "units", "allowed": true, "type": "boolean",
                "enabled": true, "baseAccess": null, "object": "feature_access", "livemode": false })
    );
    let audit = access(&env, "hal", "audit_log");
    assert_eq!(audit["allowed"], false);
    assert_eq!(audit["enabled"], false);
    let can = env
        .get("/feature-access/audit_log?customerId=hal&action=canUse")
        .ok();
    assert_eq!(can["allowed"], false);
    assert_eq!(can["reason"], "feature_disabled");
    let can = env
        .get("/feature-access/api_calls?customerId=hal&action=canUse")
        .ok();
    assert_eq!(can["allowed"], true);
    assert_eq!(can["willBeCharged"], false);
    env.get("/feature-access/exports?customerId=hal")
        .err(400, "feature_not_in_plan");
    let can = env
        .get("/feature-access/exports?customerId=hal&action=canUse")
        .ok();
    assert_eq!(can["allowed"], false);
    assert_eq!(can["reason"], "feature_not_in_plan");
    env.get("/feature-access/nope?customerId=hal")
        .err(404, "feature_not_found");
    let body = env
        .get("/feature-access/sso?customerId=hal&action=delete")
        .err(400, "validation_error");
    assert_eq!(body["error"]["details"][0]["field"], "action");
    let body = env.get("/feature-access").err(400, "validation_error");
    assert_eq!(body["error"]["details"][0]["field"], "customerId");
    let other = customer(&env, "ivy");
    env.get(&format!("/feature-access?customerId={other}"))
        .err(404, "no_active_subscription");
}

#[test]
fn pending_payment_subscriptions_give_no_access() {
    let env = start();
    metered_setup(&env, "pro", false, 100, Some(100));
    let cus = customer(&env, "jon");
    let created = env
        .post(
            "/subscriptions",
            json!({ "customerId": cus, "planCode": "pro" }),
        )
        .ok();
    assert_eq!(created["status"], "pending_payment");
    let body = track(&env, "jon", "api_calls", 1).err(409, "subscription_not_active");
    assert_eq!(body["error"]["details"]["status"], "pending_payment");
    let check = env
        .post(
            "/usage/check",
            json!({ "customerId": "jon", "featureCode": "api_calls" }),
        )
        .ok();
    assert_eq!(check["allowed"], false);
    assert_eq!(check["reason"], "subscription_not_active");
    assert_eq!(check["subscriptionStatus"], "pending_payment");
    assert_eq!(access(&env, "jon", "api_calls")["allowed"], false);
    // Paying the checkout opens access.
    pay_checkout(&env, created["checkoutUrl"].as_str().unwrap());
    track(&env, "jon", "api_calls", 1).ok();
}

#[test]
fn active_add_ons_extend_the_plan() {
    let env = start();
    metered_setup(&env, "pro", false, 100, None);
    feature(&env, "priority_support", "boolean");
    let boost = env
        .post(
            "/addons",
            json!({ "name": "Call Boost", "basePrice": 1000, "featureId": "api_calls",
                    "consumptionModel": "metered", "includedUnits": 50, "overageRate": 200 }),
        )
        .ok();
    let support = env
        .post(
            "/addons",
            json!({ "name": "Support", "basePrice": 500, "featureId": "priority_support",
                    "consumptionModel": "boolean" }),
        )
        .ok();
    let cus = customer(&env, "max");
    let sub = subscribe(&env, &cus, "pro");
    env.get("/feature-access/priority_support?customerId=max")
        .err(400, "feature_not_in_plan");
    track(&env, "max", "api_calls", 100).ok();
    track(&env, "max", "api_calls", 1).err(400, "included_limit_reached");
    for addon in [&boost, &support] {
        env.post(
            &format!("/subscriptions/{sub}/addons"),
            json!({ "addonId": addon["id"] }),
        )
        .ok();
    }
    // Boolean add-on: the feature appears, enabled.
    let s = access(&env, "max", "priority_support");
    assert_eq!(
        (s["enabled"].as_bool(), s["allowed"].as_bool()),
        (Some(true), Some(true))
    );
    // Metered add-on: 50 more included, then overage at its rate.
    let c = &access(&env, "max", "api_calls")["consumption"];
    assert_eq!(c["includedUnits"], 150);
    assert_eq!(c["remainingUnits"], 50);
    assert_eq!(c["overage"]["enabled"], true);
    assert_eq!(c["overage"]["unitPrice"]["amount"], 200);
    track(&env, "max", "api_calls", 60).ok();
    let c = &access(&env, "max", "api_calls")["consumption"];
    assert_eq!(c["overage"]["units"], 10);
    let codes: Vec<String> = env.get("/feature-access?customerId=max").ok()["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(codes, ["api_calls", "priority_support"]);
}

#[test]
fn event_timestamps_place_usage_in_its_period() {
    let env = start();
    metered_setup(&env, "free", true, 10, None);
    let cus = customer(&env, "ned");
    subscribe(&env, &cus, "free");
    let start_of_period = access(&env, "ned", "api_calls")["consumption"]["period"]["start"]
        .as_str()
        .unwrap()
        .to_owned();
    advance_days(&env, 40);
    let period = access(&env, "ned", "api_calls")["consumption"]["period"].clone();
    assert_ne!(
        period["start"],
        start_of_period.as_str(),
        "a new usage period"
    );
    // A late event for the previous period is stored but not counted now.
    let late = env
        .post(
            "/usage/events",
            json!({ "customerId": "ned", "featureCode": "api_calls", "value": 3, "timestamp": start_of_period }),
        )
        .ok();
    assert_eq!(late["ts"], start_of_period.as_str());
    assert_eq!(
        access(&env, "ned", "api_calls")["consumption"]["unitsUsed"],
        0
    );
    // Time is the organization's clock: the future is refused.
    let body = env
        .post(
            "/usage/events",
            json!({ "customerId": "ned", "featureCode": "api_calls", "timestamp": "2999-01-01T00:00:00Z" }),
        )
        .err(400, "validation_error");
    assert_eq!(body["error"]["details"][0]["field"], "timestamp");
    let e = track(&env, "ned", "api_calls", 2).ok();
    assert!(e["ts"].as_str().unwrap() >= period["start"].as_str().unwrap());
    assert_eq!(
        access(&env, "ned", "api_calls")["consumption"]["unitsUsed"],
        2
    );
}

// -- webhooks and persistence -------------------------------------------------------

/// A one-endpoint receiver: every POST body with its signature header.
fn receiver() -> (String, mpsc::Receiver<(String, String)>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(50) {
            let Ok(mut stream) = stream else { return };
            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
            let mut data = Vec::new();
            let mut buf = [0u8; 4096];
            let body = loop {
                let Ok(n) = stream.read(&mut buf) else {
                    break None;
                };
                if n == 0 {
                    break None;
                }
                data.extend_from_slice(&buf[..n]);
                let text = String::from_utf8_lossy(&data).into_owned();
                if let Some((head, body)) = text.split_once("\r\n\r\n") {
                    let len: usize = head
                        .lines()
                        .find_map(|l| {
                            let (k, v) = l.split_once(':')?;
                            k.eq_ignore_ascii_case("content-length")
                                .then(|| v.trim().parse().ok())?
                        })
                        .unwrap_or(0);
                    if body.len() >= len {
                        let sig = head
                            .lines()
                            .find_map(|l| {
                                let (k, v) = l.split_once(':')?;
                                k.eq_ignore_ascii_case("x-commet-signature")
                                    .then(|| v.trim().to_owned())
                            })
                            .unwrap_or_default();
                        break Some((body[..len].to_owned(), sig));
                    }
                }
            };
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            if let Some(hit) = body {
                let _ = tx.send(hit);
            }
        }
    });
    (url, rx)
}

fn hmac_hex(secret: &str, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

#[test]
fn usage_and_seat_webhooks_are_delivered_signed() {
    let env = start();
    metered_setup(&env, "free", true, 10, None);
    feature(&env, "editors", "seats");
    plan_feature(&env, "free", "editors", json!({ "includedAmount": 2 }));
    let (url, hits) = receiver();
    let hook = env
        .post(
            "/webhooks",
            json!({ "url": url, "events": ["usage.recorded", "seats.updated"] }),
        )
        .ok();
    let secret = hook["secretKey"].as_str().unwrap().to_owned();
    let cus = customer(&env, "kim");
    let sub = subscribe(&env, &cus, "free");
    let event = track(&env, &cus, "api_calls", 4).ok();
    env.post(
        "/seats",
        json!({ "customerId": "kim", "featureCode": "editors", "count": 2 }),
    )
    .ok();
    let mut got = Vec::new();
    while got.len() < 2 {
        let (body, sig) = hits.recv_timeout(WAIT).expect("a webhook delivery");
        assert_eq!(sig, hmac_hex(&secret, &body), "signature of {body}");
        got.push(serde_json::from_str::<Value>(&body).unwrap());
    }
    got.sort_by_key(|e| e["event"].as_str().unwrap_or_default().to_owned());
    assert_eq!(got[0]["event"], "seats.updated");
    assert_eq!(got[0]["data"]["currentSeats"], 2);
    assert_eq!(got[1]["event"], "usage.recorded");
    assert_eq!(got[1]["mode"], "sandbox");
    assert_eq!(
        got[1]["data"],
        json!({ "subscriptionId": sub, "customerId": "kim", "usageEventId": event["id"],
                "featureCode": "api_calls", "value": 4, "ts": event["ts"] })
    );
    assert!(got[1]["id"].as_str().unwrap().starts_with("whev_"));
}

#[test]
fn usage_seats_and_quota_survive_a_restart() {
    let mut env = start();
    metered_setup(&env, "free", true, 100, None);
    feature(&env, "editors", "seats");
    plan_feature(&env, "free", "editors", json!({ "includedAmount": 5 }));
    let cus = customer(&env, "lea");
    subscribe(&env, &cus, "free");
    track(&env, "lea", "api_calls", 42).ok();
    env.post(
        "/seats",
        json!({ "customerId": "lea", "featureCode": "editors", "count": 4 }),
    )
    .ok();
    env.restart();
    assert_eq!(
        access(&env, "lea", "api_calls")["consumption"]["unitsUsed"],
        42
    );
    assert_eq!(
        env.get("/seats/balance?customerId=lea&featureCode=editors")
            .ok()["current"],
        4
    );
}
