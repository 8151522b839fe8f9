//! Plan changes and previews, add-ons, balance and credits, offers.

mod billing;
mod common;

use billing::*;
use common::{start, Env};
use serde_json::{json, Value};

/// A group with plans `(code, price, interval, sortOrder)`; returns ids.
fn ladder(env: &Env, plans: &[(&str, i64, &str, i64)]) -> Vec<String> {
    let g = group(env);
    plans
        .iter()
        .map(|(code, price, interval, sort)| {
            plan(
                env,
                code,
                *price,
                interval,
                json!({ "planGroupId": g, "sortOrder": sort }),
            )
            .0
        })
        .collect()
}

fn last_invoice(env: &Env, sub: &str) -> Value {
    let id = env
        .get(&format!("/invoices?subscriptionId={sub}&limit=1"))
        .ok()["data"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    env.get(&format!("/invoices/{id}")).ok()
}

#[test]
fn upgrade_is_immediate_with_a_prorated_credit() {
    let env = start();
    freeze(&env, "2031-04-01T00:00:00Z");
    let ids = ladder(
        &env,
        &[("basic", 2900, "monthly", 1), ("pro", 9900, "monthly", 2)],
    );
    let s = active_sub(&env, "up", &ids[0], "4242424242424242");
    let id = s["id"].as_str().unwrap();
    advance(&env, 15);
    let p = env
        .post(
            &format!("/subscriptions/{id}/preview-change"),
            json!({ "planId": ids[1] }),
        )
        .ok();
    assert_eq!(p["object"], "plan_change_preview");
    assert_eq!(p["currentPlanCredit"], 1450);
    assert_eq!(p["newPlanCharge"], 9900);
    assert_eq!(p["estimatedTotal"], 8450);
    assert_eq!(p["daysRemaining"], 15);
    assert_eq!(p["totalDays"], 30);
    assert_eq!(p["isUpgrade"], true);
    assert_eq!(p["effectiveDate"], "2031-04-16T00:00:00.000Z");

    let c = env
        .post(
            &format!("/subscriptions/{id}/change-plan"),
            json!({ "newPlanId": ids[1] }),
        )
        .ok();
    assert_eq!(c["outcome"], "completed");
    assert_eq!(c["scheduled"], false);
    assert_eq!(c["billing"]["credit"], 1450);
    assert_eq!(c["billing"]["charge"], 9900);
    assert_eq!(c["billing"]["netAmount"], 8450);
    assert_eq!(c["billing"]["totalCharged"], 8450);
    assert_eq!(c["previousPlan"]["id"], ids[0].as_str());
    assert_eq!(c["currentPlan"]["price"], 9900);
    let inv = env
        .get(&format!("/invoices/{}", c["invoiceId"].as_str().unwrap()))
        .ok();
    assert_eq!(inv["invoiceType"], "plan_change");
    assert_eq!(inv["total"], 8450);
    assert_eq!(inv["status"], "paid");
    let sub = env.get(&format!("/subscriptions/{id}")).ok();
    assert_eq!(sub["plan"]["id"], ids[1].as_str());
    assert_eq!(sub["currentPeriod"]["start"], "2031-04-16T00:00:00.000Z");
    assert_eq!(sub["currentPeriod"]["end"], "2031-05-16T00:00:00.000Z");
    let ev = events(&env, "subscription.plan_changed");
    assert_eq!(ev[0]["data"]["credit"], 1450);
    assert_eq!(ev[0]["data"]["charge"], 9900);
    assert_eq!(ev[0]["data"]["totalCharged"], 8450);
    let last_state = events(&env, "customer.state_changed").pop().unwrap();
    assert_eq!(last_state["data"]["trigger"], "plan_change");
    assert_eq!(last_state["data"]["plan"]["id"], ids[1].as_str());
}

#[test]
fn quarterly_upgrade_example() {
    let env = start();
    freeze(&env, "2031-01-01T00:00:00Z");
    let ids = ladder(
        &env,
        &[
            ("q-basic", 30000, "quarterly", 1),
            ("q-pro", 60000, "quarterly", 2),
        ],
    );
    let s = active_sub(&env, "qu", &ids[0], "4242424242424242");
    let id = s["id"].as_str().unwrap();
    advance(&env, 45);
    let c = env
        .post(
            &format!("/subscriptions/{id}/change-plan"),
            json!({ "newPlanId": ids[1] }),
        )
        .ok();
    assert_eq!(c["billing"]["credit"], 15000);
    assert_eq!(c["billing"]["totalCharged"], 45000);
}

#[test]
fn downgrades_are_scheduled_replaced_and_applied_at_renewal() {
    let env = start();
    freeze(&env, "2031-04-01T00:00:00Z");
    let ids = ladder(
        &env,
        &[
            ("basic", 2900, "monthly", 1),
            ("plus", 4900, "monthly", 2),
            ("pro", 9900, "monthly", 3),
        ],
    );
    let s = active_sub(&env, "down", &ids[2], "4242424242424242");
    let id = s["id"].as_str().unwrap();
    env.post(
        &format!("/subscriptions/{id}/preview-change"),
        json!({ "planId": ids[0] }),
    )
    .err(400, "plan_change_scheduled");
    let c = env
        .post(
            &format!("/subscriptions/{id}/change-plan"),
            json!({ "newPlanId": ids[1] }),
        )
        .ok();
    assert_eq!(c["outcome"], "scheduled");
    assert_eq!(c["scheduled"], true);
    assert_eq!(c["changeType"], "subscription.plan_downgrade");
    assert_eq!(c["scheduledFor"], "2031-05-01T00:00:00.000Z");
    let again = env
        .post(
            &format!("/subscriptions/{id}/change-plan"),
            json!({ "newPlanId": ids[1] }),
        )
        .ok();
    assert_eq!(again["id"], c["id"], "an identical request is a no-op");
    assert_eq!(events(&env, "subscription.plan_change_scheduled").len(), 1);
    env.post(
        &format!("/subscriptions/{id}/change-plan"),
        json!({ "newPlanId": ids[0], "offerId": "ofr_1" }),
    )
    .err(400, "offer_not_applicable");
    let c2 = env
        .post(
            &format!("/subscriptions/{id}/change-plan"),
            json!({ "newPlanId": ids[0] }),
        )
        .ok();
    assert_eq!(c2["newPlanId"], ids[0].as_str());
    let revoked = events(&env, "subscription.plan_change_revoked");
    assert_eq!(revoked.len(), 1);
    assert_eq!(revoked[0]["data"]["revokedPlan"]["id"], ids[1].as_str());
    assert_eq!(events(&env, "subscription.plan_change_scheduled").len(), 2);
    let sub = env.get(&format!("/subscriptions/{id}")).ok();
    assert_eq!(sub["scheduledPlanChange"]["changeType"], "plan_downgrade");
    assert_eq!(sub["scheduledPlanChange"]["newPlanId"], ids[0].as_str());
    assert_eq!(sub["plan"]["id"], ids[2].as_str());

    advance(&env, 30);
    let sub = env.get(&format!("/subscriptions/{id}")).ok();
    assert_eq!(sub["plan"]["id"], ids[0].as_str());
    assert!(sub["scheduledPlanChange"].is_null());
    let inv = last_invoice(&env, id);
    assert_eq!(inv["total"], 2900);
    let changed = events(&env, "subscription.plan_changed");
    assert_eq!(changed.len(), 1);
    assert_eq!(changed[0]["data"]["credit"], 0);
    assert_eq!(changed[0]["timestamp"], "2031-05-01T00:00:00.000Z");
}

#[test]
fn interval_changes_shorter_to_longer_now_longer_to_shorter_later() {
    let env = start();
    freeze(&env, "2031-04-01T00:00:00Z");
    let (pro, _) = plan(&env, "pro", 2900, "monthly", json!({}));
    price(
        &env,
        &pro,
        json!({ "billingInterval": "yearly", "price": 29000 }),
    );
    let s = active_sub(&env, "iv", &pro, "4242424242424242");
    let id = s["id"].as_str().unwrap();
    let c = env
        .post(
            &format!("/subscriptions/{id}/change-plan"),
            json!({ "newBillingInterval": "yearly" }),
        )
        .ok();
    assert_eq!(c["outcome"], "completed");
    assert_eq!(c["billing"]["credit"], 2900);
    assert_eq!(c["billing"]["totalCharged"], 29000 - 2900);
    let c = env
        .post(
            &format!("/subscriptions/{id}/change-plan"),
            json!({ "newBillingInterval": "monthly" }),
        )
        .ok();
    assert_eq!(c["outcome"], "scheduled");
    assert_eq!(c["changeType"], "subscription.interval_change");
    assert_eq!(c["scheduledFor"], "2032-04-01T00:00:00.000Z");
    env.post(
        &format!("/subscriptions/{id}/change-plan"),
        json!({ "newBillingInterval": "yearly" }),
    )
    .err(400, "no_change_requested");
}

#[test]
fn change_errors() {
    let env = start();
    let ids = ladder(
        &env,
        &[("basic", 2900, "monthly", 1), ("pro", 9900, "monthly", 2)],
    );
    let (other, _) = plan(&env, "elsewhere", 5000, "monthly", json!({}));
    let s = active_sub(&env, "err", &ids[0], "4242424242424242");
    let id = s["id"].as_str().unwrap();
    let e = env
        .post(
            &format!("/subscriptions/{id}/change-plan"),
            json!({ "newPlanId": other }),
        )
        .err(400, "plans_not_in_same_group");
    assert_eq!(e["error"]["type"], "validation_error");
    env.post(
        &format!("/subscriptions/{id}/change-plan"),
        json!({ "newPlanId": ids[0] }),
    )
    .err(400, "no_change_requested");
    env.post(&format!("/subscriptions/{id}/change-plan"), json!({}))
        .err(400, "validation_error");
    env.post(
        &format!("/subscriptions/{id}/change-plan"),
        json!({ "newBillingInterval": "one_time" }),
    )
    .err(400, "validation_error");
    env.post(&format!("/subscriptions/{id}/preview-change"), json!({}))
        .err(400, "validation_error");
    env.post(
        &format!("/subscriptions/{id}/change-plan"),
        json!({ "newPlanId": "pln_x" }),
    )
    .err(404, "plan_not_found");
    let c = customer(&env, "pend");
    let pending = subscribe(&env, &c, &ids[0]);
    env.post(
        &format!(
            "/subscriptions/{}/change-plan",
            pending["id"].as_str().unwrap()
        ),
        json!({ "newPlanId": ids[1] }),
    )
    .err(409, "subscription_not_active");
}

#[test]
fn changing_plan_during_a_trial_ends_it_without_credit() {
    let env = start();
    let ids = ladder(
        &env,
        &[("basic", 2900, "monthly", 1), ("pro", 9900, "monthly", 2)],
    );
    let c = customer(&env, "tr");
    let s = subscribe_trial(&env, &c, &ids[0], 14);
    let id = s["id"].as_str().unwrap();
    pay(&env, id, "4242424242424242").ok();
    let r = env
        .post(
            &format!("/subscriptions/{id}/change-plan"),
            json!({ "newPlanId": ids[1] }),
        )
        .ok();
    assert_eq!(r["billing"]["credit"], 0);
    assert_eq!(r["billing"]["totalCharged"], 9900);
    let sub = env.get(&format!("/subscriptions/{id}")).ok();
    assert_eq!(sub["status"], "active");
    assert_eq!(events(&env, "trial.converted").len(), 1);
    assert_eq!(
        events(&env, "customer.state_changed").pop().unwrap()["data"]["trigger"],
        "trial_converted"
    );
}

#[test]
fn free_to_paid_needs_checkout_and_paid_to_free_is_scheduled() {
    let env = start();
    let g = group(&env);
    let free = env.post("/plans", json!({ "code": "free", "name": "Free", "isFree": true, "planGroupId": g, "sortOrder": 0 })).ok();
    let free = free["id"].as_str().unwrap().to_owned();
    let (pro, _) = plan(
        &env,
        "pro",
        2900,
        "monthly",
        json!({ "planGroupId": g, "sortOrder": 1 }),
    );
    let c = customer(&env, "fp");
    let s = subscribe(&env, &c, &free);
    let id = s["id"].as_str().unwrap();
    let r = env
        .post(
            &format!("/subscriptions/{id}/change-plan"),
            json!({ "newPlanId": pro }),
        )
        .ok();
    assert_eq!(r["outcome"], "requires_checkout");
    assert_eq!(r["requiresCheckout"], true);
    assert_eq!(
        env.get(&format!("/subscriptions/{id}")).ok()["plan"]["id"],
        free.as_str()
    );
    let done = pay(&env, id, "4242424242424242").ok();
    assert_eq!(done["checkout"], "plan_change");
    let sub = env.get(&format!("/subscriptions/{id}")).ok();
    assert_eq!(sub["plan"]["id"], pro.as_str());
    assert_eq!(last_invoice(&env, id)["total"], 2900);
    assert_eq!(events(&env, "payment_method.attached").len(), 1);
    let back = env
        .post(
            &format!("/subscriptions/{id}/change-plan"),
            json!({ "newPlanId": free }),
        )
        .ok();
    assert_eq!(back["outcome"], "scheduled");
    assert_eq!(back["changeType"], "subscription.plan_downgrade");
}

#[test]
fn a_credit_larger_than_the_charge_becomes_customer_credit() {
    let env = start();
    freeze(&env, "2031-04-01T00:00:00Z");
    let ids = ladder(
        &env,
        &[
            ("big", 9900, "monthly", 1),
            ("small-but-higher", 1000, "monthly", 2),
        ],
    );
    let s = active_sub(&env, "cc", &ids[0], "4242424242424242");
    let id = s["id"].as_str().unwrap();
    advance(&env, 1);
    let r = env
        .post(
            &format!("/subscriptions/{id}/change-plan"),
            json!({ "newPlanId": ids[1] }),
        )
        .ok();
    // 9900 × 29/30 = 9570 credit for a 1000 charge.
    assert_eq!(r["billing"]["credit"], 9570);
    assert_eq!(r["billing"]["totalCharged"], 0);
    assert_eq!(r["billing"]["remainingCreditBalance"], 8570);
    let credits = env.get("/customers/cc/credits").ok();
    assert_eq!(credits["data"][0]["source"], "plan_change");
    assert_eq!(credits["data"][0]["remainingAmount"], 8570);
    advance(&env, 30);
    let inv = last_invoice(&env, id);
    assert_eq!(inv["creditApplied"], 1000);
    assert_eq!(inv["total"], 0);
    assert_eq!(inv["status"], "paid");
}

#[test]
fn upgrade_refused_while_seats_exceed_a_hard_cap() {
    let env = start();
    let f = feature(&env, "seats", "seats");
    let ids = ladder(
        &env,
        &[("basic", 2900, "monthly", 1), ("pro", 9900, "monthly", 2)],
    );
    add_feature(
        &env,
        &ids[0],
        f["id"].as_str().unwrap(),
        json!({ "includedAmount": 10 }),
    );
    add_feature(
        &env,
        &ids[1],
        f["id"].as_str().unwrap(),
        json!({ "includedAmount": 3 }),
    );
    let s = active_sub(&env, "cap", &ids[0], "4242424242424242");
    env.post(
        "/seats",
        json!({ "customerId": "cap", "featureCode": "seats", "count": 5 }),
    )
    .ok();
    let e = env
        .post(
            &format!("/subscriptions/{}/change-plan", s["id"].as_str().unwrap()),
            json!({ "newPlanId": ids[1] }),
        )
        .err(400, "seat_limit_exceeded");
    assert_eq!(e["error"]["details"]["currentSeats"], 5);
}

#[test]
fn addon_activation_is_prorated_then_renews_at_full_price() {
    let env = start();
    freeze(&env, "2031-01-01T00:00:00Z");
    let f = feature(&env, "sso", "boolean");
    let addon = env
        .post("/addons", json!({ "name": "SSO", "basePrice": 5000, "featureId": f["id"], "consumptionModel": "boolean" }))
        .ok();
    let addon_id = addon["id"].as_str().unwrap().to_owned();
    let (pro, _) = plan(&env, "pro", 2900, "monthly", json!({}));
    let s = active_sub(&env, "ad", &pro, "4242424242424242");
    let id = s["id"].as_str().unwrap();
    advance(&env, 11);
    let a = env
        .post(
            &format!("/subscriptions/{id}/addons"),
            json!({ "addonId": addon_id }),
        )
        .ok();
    // $50 × 20/31 = $32.26.
    assert_eq!(a["proratedCharge"], 3226);
    assert_eq!(a["status"], "active");
    assert_eq!(a["object"], "subscription_addon");
    let ev = events(&env, "addon.activated");
    assert_eq!(ev[0]["data"]["proratedPrice"], 322_600);
    assert_eq!(ev[0]["data"]["featureCode"], "sso");
    let inv = last_invoice(&env, id);
    assert_eq!(inv["invoiceType"], "addon_activation");
    assert_eq!(inv["total"], 3226);
    env.post(
        &format!("/subscriptions/{id}/addons"),
        json!({ "addonId": addon_id }),
    )
    .err(409, "addon_already_active");
    env.post(
        &format!("/subscriptions/{id}/addons"),
        json!({ "addonId": "adn_x" }),
    )
    .err(404, "addon_not_found");
    let active = env.get("/active-addons?customerId=ad").ok();
    assert_eq!(active["data"][0]["slug"], "sso");
    let sub = env.get(&format!("/subscriptions/{id}")).ok();
    assert!(sub["features"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["code"] == "sso" && f["enabled"] == true));
    env.delete(&format!("/addons/{addon_id}"))
        .err(409, "addon_has_activations");

    advance(&env, 20);
    let renewal = last_invoice(&env, id);
    let addon_line = renewal["lineItems"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["lineType"] == "addon_base")
        .unwrap()
        .clone();
    assert_eq!(addon_line["amount"], 5000);
    assert_eq!(renewal["total"], 7900);

    let d = env
        .delete(&format!("/subscriptions/{id}/addons/{addon_id}"))
        .ok();
    assert_eq!(d["status"], "inactive");
    assert!(d["deactivatedAt"].is_string());
    assert_eq!(events(&env, "addon.deactivated").len(), 1);
    let e = env
        .delete(&format!("/subscriptions/{id}/addons/{addon_id}"))
        .err(400, "addon_not_active");
    assert_eq!(e["error"]["type"], "billing_error");
}

#[test]
fn balance_topups_adjustments_and_credit_packs() {
    let env = start();
    let bal = env
        .post(
            "/plans",
            json!({ "code": "bal", "name": "Balance", "consumptionModel": "balance" }),
        )
        .ok();
    let bal_id = bal["id"].as_str().unwrap().to_owned();
    env.post(
        &format!("/plans/{bal_id}/prices"),
        json!({ "billingInterval": "monthly", "price": 1000, "includedBalance": 500 }),
    )
    .ok();
    let s = active_sub(&env, "b1", &bal_id, "4242424242424242");
    let id = s["id"].as_str().unwrap();
    assert_eq!(s["balance"]["remaining"], 500);
    let t = env
        .post(
            &format!("/subscriptions/{id}/balance/topup"),
            json!({ "amount": 2000 }),
        )
        .ok();
    assert_eq!(t["object"], "balance_topup");
    assert_eq!(t["amount"], 2000);
    let inv = last_invoice(&env, id);
    assert_eq!(inv["invoiceType"], "balance_topup");
    assert_eq!(inv["total"], 2000);
    let topped = events(&env, "balance.topped_up");
    assert_eq!(topped[0]["data"]["invoiceId"], inv["id"]);
    let a = env
        .post(
            &format!("/subscriptions/{id}/balance/adjust"),
            json!({ "amount": -300, "reason": "correction" }),
        )
        .ok();
    assert_eq!(a["newBalance"], 2200);
    assert_eq!(a["object"], "balance_transaction");
    env.post(
        &format!("/subscriptions/{id}/balance/adjust"),
        json!({ "amount": 0 }),
    )
    .err(400, "validation_error");
    env.post(
        &format!("/subscriptions/{id}/balance/topup"),
        json!({ "amount": 0 }),
    )
    .err(400, "validation_error");

    // Credit packs on a credits plan.
    let cred = env
        .post(
            "/plans",
            json!({ "code": "cred", "name": "Credits", "consumptionModel": "credits" }),
        )
        .ok();
    let cred_id = cred["id"].as_str().unwrap().to_owned();
    env.post(
        &format!("/plans/{cred_id}/prices"),
        json!({ "billingInterval": "monthly", "price": 1000, "includedCredits": 100 }),
    )
    .ok();
    let pack = env
        .post(
            "/credit-packs",
            json!({ "name": "1k", "credits": 1000, "price": 900 }),
        )
        .ok();
    let s2 = active_sub(&env, "b2", &cred_id, "4242424242424242");
    let id2 = s2["id"].as_str().unwrap();
    let g = env
        .post(
            &format!("/subscriptions/{id2}/credits"),
            json!({ "creditPackId": pack["id"] }),
        )
        .ok();
    assert_eq!(g["credits"], 1000);
    assert_eq!(g["object"], "credit_grant");
    assert_eq!(last_invoice(&env, id2)["invoiceType"], "credit_purchase");
    let p = events(&env, "credits.purchased");
    assert_eq!(p[0]["data"]["credits"], 1000);
    assert_eq!(p[0]["data"]["creditPackName"], "1k");
    let sub = env.get(&format!("/subscriptions/{id2}")).ok();
    assert_eq!(sub["credits"]["remaining"], 1100);
    env.post(
        &format!("/subscriptions/{id}/credits"),
        json!({ "creditPackId": pack["id"] }),
    )
    .err(400, "validation_error");
    env.post(
        &format!("/subscriptions/{id2}/credits"),
        json!({ "creditPackId": "cpk_x" }),
    )
    .err(404, "credit_pack_not_found");

    // A declined top-up charges nothing.
    let s3 = active_sub(&env, "b3", &bal_id, "4000000000000341");
    let e = env
        .post(
            &format!(
                "/subscriptions/{}/balance/topup",
                s3["id"].as_str().unwrap()
            ),
            json!({ "amount": 100 }),
        )
        .err(400, "charge_failed");
    assert_eq!(e["error"]["details"]["failureCode"], "card_declined");
}

#[test]
fn promo_code_discounts_the_first_cycles() {
    let env = start();
    freeze(&env, "2031-04-01T00:00:00Z");
    let (pro, _) = plan(&env, "pro", 2900, "monthly", json!({}));
    let offer = env
        .post("/offers", json!({ "name": "Half off", "phases": [{ "type": "percentage", "percentage": 5000, "durationCycles": 2 }] }))
        .ok();
    env.post(
        "/promo-codes",
        json!({ "code": "HALF", "offerId": offer["id"], "maxRedemptions": 1 }),
    )
    .ok();
    let c = customer(&env, "promo");
    let s = env
        .post(
            "/subscriptions",
            json!({ "customerId": c, "planId": pro, "promoCode": "half" }),
        )
        .ok();
    let app = &s["offerApplications"][0];
    assert_eq!(app["source"], "promo_code");
    assert_eq!(app["status"], "quoted");
    assert_eq!(app["discountAmount"], 1450);
    let id = s["id"].as_str().unwrap();
    let first = last_invoice(&env, id);
    assert_eq!(first["total"], 1450);
    assert_eq!(first["discountAmount"], 1450);
    assert!(first["lineItems"]
        .as_array()
        .unwrap()
        .iter()
        .any(|l| l["lineType"] == "promo_code_discount"));
    pay(&env, id, "4242424242424242").ok();
    assert_eq!(env.get("/promo-codes/HALF").ok()["redemptionCount"], 1);
    advance(&env, 30);
    assert_eq!(last_invoice(&env, id)["total"], 1450);
    advance(&env, 31);
    assert_eq!(last_invoice(&env, id)["total"], 2900);
    let c2 = customer(&env, "promo2");
    env.post(
        "/subscriptions",
        json!({ "customerId": c2, "planId": pro, "promoCode": "HALF" }),
    )
    .err(400, "offer_not_applicable");
    env.post(
        "/subscriptions",
        json!({ "customerId": c2, "planId": pro, "promoCode": "NOPE" }),
    )
    .err(404, "promo_code_not_found");
}

#[test]
fn offers_on_a_pending_checkout() {
    let env = start();
    let (pro, _) = plan(&env, "pro", 2900, "monthly", json!({}));
    let off = env
        .post("/offers", json!({ "name": "Ten off", "phases": [{ "type": "amount_off", "amounts": [{ "currency": "usd", "amount": 1000 }], "durationCycles": 1 }] }))
        .ok();
    let trial = env
        .post("/offers", json!({ "name": "Trial", "phases": [{ "type": "free_trial", "durationDays": 7 }, { "type": "percentage", "percentage": 1000, "durationCycles": 1 }] }))
        .ok();
    let c = customer(&env, "po");
    let s = subscribe(&env, &c, &pro);
    let id = s["id"].as_str().unwrap();
    let with = env
        .put(
            &format!("/subscriptions/{id}/offer"),
            json!({ "offerId": off["id"] }),
        )
        .ok();
    assert_eq!(with["offerApplications"][0]["offerId"], off["id"]);
    assert_eq!(
        with["checkoutUrl"], s["checkoutUrl"],
        "the checkout URL is kept"
    );
    assert_eq!(last_invoice(&env, id)["total"], 1900);
    env.put(
        &format!("/subscriptions/{id}/offer"),
        json!({ "offerId": trial["id"] }),
    )
    .err(400, "offer_not_applicable");
    let without = env.delete(&format!("/subscriptions/{id}/offer")).ok();
    assert_eq!(without["offerApplications"], json!([]));
    assert_eq!(last_invoice(&env, id)["total"], 2900);
    pay(&env, id, "4242424242424242").ok();
    env.put(
        &format!("/subscriptions/{id}/offer"),
        json!({ "offerId": off["id"] }),
    )
    .err(409, "invalid_subscription_status");
    // A direct offer with a trial phase at create.
    let c2 = customer(&env, "po2");
    let s2 = env
        .post(
            "/subscriptions",
            json!({ "customerId": c2, "planId": pro, "offerId": trial["id"] }),
        )
        .ok();
    pay(&env, s2["id"].as_str().unwrap(), "4242424242424242").ok();
    assert_eq!(
        env.get(&format!("/subscriptions/{}", s2["id"].as_str().unwrap()))
            .ok()["status"],
        "trialing"
    );
}

#[test]
fn payment_method_update_returns_a_checkout_that_saves_the_card() {
    let env = start();
    let (pro, _) = plan(&env, "pro", 2900, "monthly", json!({}));
    let s = active_sub(&env, "pm", &pro, "4242424242424242");
    let id = s["id"].as_str().unwrap();
    let u = env
        .post(
            &format!("/subscriptions/{id}/payment-method/update"),
            json!({ "successUrl": "https://x.test" }),
        )
        .ok();
    assert_eq!(u["object"], "checkout_session");
    let path = u["checkoutUrl"]
        .as_str()
        .unwrap()
        .trim_start_matches(&env.url)
        .to_owned();
    let r = env
        .req("POST", &path)
        .key(None)
        .header("content-type", "application/x-www-form-urlencoded")
        .raw("card=5555555555554444")
        .send();
    assert_eq!(r.status, 200, "{}", r.text);
    let ev = events(&env, "payment_method.updated");
    assert_eq!(ev[0]["data"]["card"]["brand"], "mastercard");
    assert_eq!(ev[0]["data"]["card"]["last4"], "4444");
}

#[test]
fn plan_grants_overlay_a_higher_plan_until_they_end() {
    let env = start();
    freeze(&env, "2031-04-01T00:00:00Z");
    let ids = ladder(
        &env,
        &[("basic", 2900, "monthly", 1), ("pro", 9900, "monthly", 2)],
    );
    let (elsewhere, _) = plan(&env, "elsewhere", 100, "monthly", json!({}));
    let s = active_sub(&env, "gr", &ids[0], "4242424242424242");
    let sub = s["id"].as_str().unwrap();
    let base = "/customers/gr/plan-grants";
    env.post(
        base,
        json!({ "subscriptionId": sub, "planId": ids[1], "reason": "x", "duration": "cycles" }),
    )
    .err(400, "validation_error");
    env.post(base, json!({ "subscriptionId": sub, "planId": elsewhere, "reason": "x", "duration": "until_revoked" }))
        .err(400, "plans_not_in_same_group");
    let g = env
        .post(base, json!({ "subscriptionId": sub, "planId": ids[1], "reason": "Beta access", "duration": "cycles", "durationCycles": 2 }))
        .ok();
    assert_eq!(g["object"], "plan_grant");
    assert_eq!(g["status"], "active");
    assert_eq!(g["basePlanId"], ids[0].as_str());
    assert_eq!(g["planId"], ids[1].as_str());
    assert_eq!(g["expiresAt"], "2031-06-01T00:00:00.000Z");
    assert_eq!(g["events"][0]["type"], "created");
    let gid = g["id"].as_str().unwrap().to_owned();
    env.post(base, json!({ "subscriptionId": sub, "planId": ids[1], "reason": "again", "duration": "until_revoked" }))
        .err(409, "duplicate");
    let view = env.get(&format!("/subscriptions/{sub}")).ok();
    assert_eq!(view["planGrant"]["id"], gid.as_str());
    assert_eq!(view["planGrant"]["plan"]["id"], ids[1].as_str());
    let created = events(&env, "plan_grant.created");
    assert_eq!(created[0]["data"]["targetPlanId"], ids[1].as_str());
    assert_eq!(
        events(&env, "customer.state_changed").pop().unwrap()["data"]["trigger"],
        "plan_access_granted"
    );

    let u = env
        .patch(
            &format!("{base}/{gid}"),
            json!({ "reason": "Extended", "duration": "until_revoked" }),
        )
        .ok();
    assert!(u["expiresAt"].is_null());
    assert_eq!(
        u["events"][1]["previousExpiresAt"],
        "2031-06-01T00:00:00.000Z"
    );
    assert_eq!(events(&env, "plan_grant.updated").len(), 1);
    let list = env.get(base).ok();
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    let r = env
        .post(
            &format!("{base}/{gid}/revoke"),
            json!({ "reason": "Beta over" }),
        )
        .ok();
    assert_eq!(r["status"], "revoked");
    assert!(r["revokedAt"].is_string());
    assert_eq!(events(&env, "plan_grant.revoked").len(), 1);
    assert_eq!(
        events(&env, "customer.state_changed").pop().unwrap()["data"]["trigger"],
        "plan_access_ended"
    );
    env.post(
        &format!("{base}/{gid}/revoke"),
        json!({ "reason": "again" }),
    )
    .err(409, "duplicate");
    env.post(&format!("{base}/pgr_nope/revoke"), json!({ "reason": "x" }))
        .err(404, "not_found");

    // A one-cycle grant expires with the period; it never bills.
    env.post(base, json!({ "subscriptionId": sub, "planId": ids[1], "reason": "Trial of Pro", "duration": "cycles", "durationCycles": 1 }))
        .ok();
    advance(&env, 30);
    let expired = events(&env, "plan_grant.expired");
    assert_eq!(expired.len(), 1);
    assert_eq!(expired[0]["timestamp"], "2031-05-01T00:00:00.000Z");
    assert!(env
        .get(&format!("/subscriptions/{sub}"))
        .ok()
        .get("planGrant")
        .is_none());
    assert_eq!(last_invoice(&env, sub)["total"], 2900);
}
