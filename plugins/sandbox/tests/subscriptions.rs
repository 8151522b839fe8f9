//! Subscriptions over real HTTP: create paths, checkout, cancel/uncancel,
//! reactivate, listing, errors, idempotency.

mod billing;
mod common;

use std::time::Duration;

use billing::*;
use common::start;
use serde_json::json;

#[test]
fn free_plan_activates_at_once_without_checkout() {
    let env = start();
    let free = free_plan(&env, "free");
    let c = customer(&env, "u1");
    let s = subscribe(&env, &c, &free);
    assert_eq!(s["status"], "active");
    assert!(s["checkoutUrl"].is_null());
    assert!(s["checkoutProvider"].is_null());
    assert_eq!(s["object"], "subscription");
    assert_eq!(s["livemode"], false);
    assert!(s["id"].as_str().unwrap().starts_with("sub_"));
    assert!(s["nextBillingDate"].is_null());
    assert_eq!(
        event_types(&env),
        [
            "customer.created",
            "subscription.created",
            "customer.state_changed"
        ]
    );
    let state = &events(&env, "customer.state_changed")[0]["data"];
    assert_eq!(state["trigger"], "subscription_created");
    assert_eq!(state["status"], "active");
    assert_eq!(state["customerId"], "u1");
    let inv = env.get("/invoices").ok();
    assert_eq!(inv["data"].as_array().unwrap().len(), 0);
}

#[test]
fn paid_plan_waits_for_checkout_then_activates_with_signed_webhooks() {
    let env = start();
    let (url, rx) = receiver();
    let hook = env
        .post(
            "/webhooks",
            json!({ "url": url, "events": ["subscription.created", "checkout.ready", "invoice.created",
                "payment_method.attached", "payment.received", "subscription.activated", "customer.state_changed"] }),
        )
        .ok();
    let secret = hook["secretKey"].as_str().unwrap().to_owned();
    let (pro, price_id) = plan(&env, "pro", 2900, "monthly", json!({}));
    let c = customer(&env, "acme");
    let s = env
        .post(
            "/subscriptions",
            json!({ "customerId": "acme", "planCode": "pro", "successUrl": "https://app.test/ok" }),
        )
        .ok();
    assert_eq!(s["status"], "pending_payment");
    assert_eq!(s["priceId"], price_id.as_str());
    assert_eq!(s["customerId"], c.as_str());
    assert_eq!(s["plan"]["id"], pro.as_str());
    assert_eq!(s["checkoutProvider"], "commet");
    let checkout_url = s["checkoutUrl"].as_str().unwrap().to_owned();
    assert!(checkout_url.starts_with(&format!("{}/checkout/", env.url)));

    let first = collect_events(
        &rx,
        &secret,
        &["subscription.created", "checkout.ready"],
        Duration::from_secs(10),
    );
    let find = |list: &Vec<serde_json::Value>, kind: &str| {
        list.iter().find(|e| e["event"] == kind).cloned().unwrap()
    };
    let created = find(&first, "subscription.created");
    assert_eq!(created["data"]["status"], "pending_payment");
    assert_eq!(created["data"]["customerId"], "acme");
    let ready = find(&first, "checkout.ready");
    assert_eq!(ready["data"]["invoiceTotal"], 2900);
    assert_eq!(ready["data"]["checkoutUrl"], checkout_url.as_str());

    // The checkout page shows the amount and a card form.
    let path = checkout_url.trim_start_matches(&env.url).to_owned();
    let page = env.req("GET", &path).key(None).send();
    assert_eq!(page.status, 200);
    assert!(page.text.contains("29.00 USD"));
    assert!(page.text.contains("name=\"card\""));
    assert!(page.text.contains("4000000000009995"));

    // Paying through the page form.
    let paid = env
        .req("POST", &path)
        .key(None)
        .header("content-type", "application/x-www-form-urlencoded")
        .raw("card=4242+4242+4242+4242")
        .send();
    assert_eq!(paid.status, 200, "{}", paid.text);
    assert!(paid.text.contains("https://app.test/ok"));
    let sub = env
        .get(&format!("/subscriptions/{}", s["id"].as_str().unwrap()))
        .ok();
    assert_eq!(sub["status"], "active");
    assert_eq!(sub["plan"]["basePrice"], 2900);
    assert!(sub["checkoutUrl"].is_null());
    assert!(sub["currentPeriod"]["daysRemaining"].as_i64().unwrap() >= 28);

    let got = collect_until(&rx, &secret, Duration::from_secs(10), first, |got| {
        got.iter().any(|e| {
            e["event"] == "customer.state_changed"
                && e["data"]["trigger"] == "subscription_activated"
        }) && got.iter().any(|e| e["event"] == "subscription.activated")
            && got.iter().any(|e| e["event"] == "payment.received")
    });
    let activated = find(&got, "subscription.activated");
    assert_eq!(activated["data"]["invoiceTotal"], 2900);
    assert_eq!(activated["data"]["provider"], "commet");

    let types = event_types(&env);
    let pos = |t: &str| {
        types
            .iter()
            .position(|x| x == t)
            .unwrap_or_else(|| panic!("no {t} in {types:?}"))
    };
    assert!(pos("subscription.created") < pos("checkout.ready"));
    assert!(pos("payment_method.attached") < pos("payment.received"));
    assert!(pos("payment.received") < pos("subscription.activated"));
    assert_eq!(events(&env, "subscription.activated").len(), 1);

    let invoices = env.get("/invoices").ok();
    let inv = &invoices["data"][0];
    assert_eq!(inv["status"], "paid");
    assert_eq!(inv["invoiceType"], "recurring");
    assert_eq!(inv["total"], 2900);
    assert!(inv["invoiceNumber"].as_str().unwrap().starts_with("INV-"));
    let txns = env.get("/transactions").ok();
    assert_eq!(txns["data"][0]["status"], "succeeded");
    assert_eq!(txns["data"][0]["grossAmount"], 2900);
    assert_eq!(txns["data"][0]["customerEmail"], "acme@example.com");
    // The page is closed once paid.
    assert_eq!(env.req("GET", &path).key(None).send().status, 410);
}

#[test]
fn initial_decline_stays_pending_without_payment_failed() {
    let env = start();
    let (pro, _) = plan(&env, "pro", 2900, "monthly", json!({}));
    let c = customer(&env, "d1");
    let s = subscribe(&env, &c, &pro);
    let id = s["id"].as_str().unwrap();
    let r = pay(&env, id, "4000 0000 0000 9995");
    let body = r.err(400, "payment_failed");
    assert_eq!(
        body["error"]["details"]["failureCode"],
        "insufficient_funds"
    );
    assert_eq!(body["error"]["details"]["status"], "pending_payment");
    assert_eq!(sub_status(&env, id), "pending_payment");
    assert!(events(&env, "payment.failed").is_empty());
    // The failed attempt is recorded; the checkout can be paid again.
    let txns = env.get("/transactions?status=failed").ok();
    assert_eq!(txns["data"].as_array().unwrap().len(), 1);
    // An unpaid checkout invoice is not "overdue".
    advance(&env, 3);
    assert!(events(&env, "invoice.overdue").is_empty());
    pay(&env, id, "4000000000000002").err(400, "payment_failed");
    pay(&env, id, "1234 5678").err(400, "validation_error");
    pay(&env, id, "4242424242424242").ok();
    assert_eq!(sub_status(&env, id), "active");
}

#[test]
fn one_live_subscription_per_customer_and_pending_checkouts_are_reused_or_replaced() {
    let env = start();
    let (pro, _) = plan(&env, "pro", 2900, "monthly", json!({}));
    let (team, _) = plan(&env, "team", 9900, "monthly", json!({}));
    let c = customer(&env, "one");
    let a = subscribe(&env, &c, &pro);
    // Same plan again: the same pending checkout comes back.
    let again = subscribe(&env, &c, &pro);
    assert_eq!(again["id"], a["id"]);
    assert_eq!(again["checkoutUrl"], a["checkoutUrl"]);
    // Another plan replaces it (the old invoice is voided).
    let b = subscribe(&env, &c, &team);
    assert_ne!(b["id"], a["id"]);
    let old = env
        .get(&format!("/subscriptions/{}", a["id"].as_str().unwrap()))
        .ok();
    assert_eq!(old["status"], "canceled");
    assert_eq!(events(&env, "invoice.voided").len(), 1);
    pay(&env, b["id"].as_str().unwrap(), "4242424242424242").ok();
    let e = env
        .post(
            "/subscriptions",
            json!({ "customerId": "one", "planId": pro }),
        )
        .err(409, "already_has_active_subscription");
    assert_eq!(e["error"]["type"], "conflict_error");
}

#[test]
fn create_validation_and_not_found_errors() {
    let env = start();
    let (pro, _) = plan(&env, "pro", 2900, "monthly", json!({}));
    customer(&env, "v1");
    let e = env
        .post("/subscriptions", json!({}))
        .err(400, "validation_error");
    let fields: Vec<&str> = e["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["field"].as_str().unwrap())
        .collect();
    assert!(fields.contains(&"customerId"));
    env.post(
        "/subscriptions",
        json!({ "customerId": "v1", "planId": pro, "skipTrial": true, "offerId": "ofr_x" }),
    )
    .err(400, "validation_error");
    env.post(
        "/subscriptions",
        json!({ "customerId": "v1", "planId": pro, "billingInterval": "daily" }),
    )
    .err(400, "validation_error");
    env.post(
        "/subscriptions",
        json!({ "customerId": "nobody", "planId": pro }),
    )
    .err(404, "customer_not_found");
    env.post(
        "/subscriptions",
        json!({ "customerId": "v1", "planId": "pln_missing" }),
    )
    .err(404, "plan_not_found");
    env.post(
        "/subscriptions",
        json!({ "customerId": "v1", "planId": pro, "billingInterval": "yearly" }),
    )
    .err(404, "price_not_found");
    env.post(
        "/subscriptions",
        json!({ "customerId": "v1", "priceId": "pp_nope" }),
    )
    .err(404, "price_not_found");
    let bare = env
        .post("/plans", json!({ "code": "bare", "name": "Bare" }))
        .ok();
    env.post(
        "/subscriptions",
        json!({ "customerId": "v1", "planId": bare["id"] }),
    )
    .err(409, "no_prices_configured");
    env.get("/subscriptions/sub_missing")
        .err(404, "subscription_not_found");
}

#[test]
fn price_selection_by_interval_and_explicit_price() {
    let env = start();
    let (pro, monthly) = plan(&env, "pro", 2900, "monthly", json!({}));
    let yearly = price(
        &env,
        &pro,
        json!({ "billingInterval": "yearly", "price": 29000 }),
    );
    let c1 = customer(&env, "p1");
    let s = env
        .post(
            "/subscriptions",
            json!({ "customerId": c1, "planId": pro, "billingInterval": "yearly" }),
        )
        .ok();
    assert_eq!(s["priceId"], yearly.as_str());
    assert_eq!(s["billingInterval"], "yearly");
    let c2 = customer(&env, "p2");
    let s = env
        .post(
            "/subscriptions",
            json!({ "customerId": c2, "priceId": monthly }),
        )
        .ok();
    assert_eq!(s["plan"]["id"], pro.as_str());
    assert_eq!(s["billingInterval"], "monthly");
}

#[test]
fn get_active_list_filters_pagination_and_other_orgs() {
    let env = start();
    let (pro, _) = plan(&env, "pro", 2900, "monthly", json!({}));
    let mut ids = Vec::new();
    for n in 0..3 {
        let c = customer(&env, &format!("l{n}"));
        ids.push(subscribe(&env, &c, &pro)["id"].as_str().unwrap().to_owned());
    }
    pay(&env, &ids[0], "4242424242424242").ok();
    let page1 = env.get("/subscriptions?limit=2").ok();
    assert_eq!(page1["object"], "list");
    assert_eq!(page1["data"].as_array().unwrap().len(), 2);
    assert_eq!(page1["hasMore"], true);
    let cursor = page1["nextCursor"].as_str().unwrap();
    let page2 = env
        .get(&format!("/subscriptions?limit=2&cursor={cursor}"))
        .ok();
    assert_eq!(page2["data"].as_array().unwrap().len(), 1);
    assert_eq!(page2["hasMore"], false);
    let active = env.get("/subscriptions?status=active").ok();
    assert_eq!(active["data"].as_array().unwrap().len(), 1);
    assert_eq!(active["data"][0]["id"], ids[0].as_str());
    let by_customer = env.get("/subscriptions?customerId=l1").ok();
    assert_eq!(by_customer["data"][0]["id"], ids[1].as_str());
    env.get("/subscriptions?status=weird")
        .err(400, "validation_error");

    let live = env.get("/subscriptions/active?customerId=l0").ok();
    assert_eq!(live["id"], ids[0].as_str());
    assert_eq!(live["features"], json!([]));
    let c = customer(&env, "nosub");
    assert!(env
        .get(&format!("/subscriptions/active?customerId={c}"))
        .ok()
        .is_null());
    env.get("/subscriptions/active")
        .err(400, "validation_error");

    let (_, other) = env.other_org();
    env.get_as(&other, &format!("/subscriptions/{}", ids[0]))
        .err(404, "subscription_not_found");
    env.post_as(
        &other,
        &format!("/subscriptions/{}/cancel", ids[0]),
        json!({}),
    )
    .err(404, "subscription_not_found");
}

#[test]
fn create_is_idempotent_with_a_key() {
    let env = start();
    let (pro, _) = plan(&env, "pro", 2900, "monthly", json!({}));
    let c = customer(&env, "idem");
    let body = json!({ "customerId": c, "planId": pro });
    let a = env
        .req("POST", "/api/v1/subscriptions")
        .idem("k-1")
        .json(body.clone())
        .send();
    let b = env
        .req("POST", "/api/v1/subscriptions")
        .idem("k-1")
        .json(body)
        .send();
    assert_eq!(a.status, 200);
    assert_eq!(b.header("idempotent-replayed"), Some("true"));
    assert_eq!(a.body["id"], b.body["id"]);
    assert_eq!(events(&env, "subscription.created").len(), 1);
}

#[test]
fn scheduled_cancel_uncancel_and_cancel_at_period_end() {
    let env = start();
    freeze(&env, "2031-04-01T00:00:00Z");
    let (pro, _) = plan(&env, "pro", 2900, "monthly", json!({}));
    let s = active_sub(&env, "c1", &pro, "4242424242424242");
    let id = s["id"].as_str().unwrap();
    assert_eq!(s["currentPeriod"]["end"], "2031-05-01T00:00:00.000Z");
    let c = env
        .post(
            &format!("/subscriptions/{id}/cancel"),
            json!({ "reason": "too expensive" }),
        )
        .ok();
    assert_eq!(c["status"], "active");
    assert_eq!(c["cancelAtPeriodEnd"], true);
    assert_eq!(c["cancellation"]["reason"], "too expensive");
    assert_eq!(c["cancellation"]["effectiveAt"], "2031-05-01T00:00:00.000Z");
    assert!(c["nextBillingDate"].is_null());
    env.post(&format!("/subscriptions/{id}/cancel"), json!({}))
        .err(409, "already_scheduled");
    assert_eq!(events(&env, "subscription.cancellation_scheduled").len(), 1);
    assert_eq!(events(&env, "subscription.updated").len(), 1);
    let u = env
        .post(&format!("/subscriptions/{id}/uncancel"), json!({}))
        .ok();
    assert_eq!(u["cancelAtPeriodEnd"], false);
    assert!(u["cancellation"].is_null());
    assert_eq!(events(&env, "subscription.cancellation_revoked").len(), 1);
    env.post(&format!("/subscriptions/{id}/uncancel"), json!({}))
        .err(409, "not_scheduled_for_cancellation");
    let triggers: Vec<String> = events(&env, "customer.state_changed")
        .iter()
        .map(|e| e["data"]["trigger"].as_str().unwrap().to_owned())
        .collect();
    assert!(triggers.contains(&"cancellation_scheduled".to_owned()));
    assert!(triggers.contains(&"cancellation_revoked".to_owned()));

    // Schedule again and let the period end: canceled, no renewal invoice.
    env.post(&format!("/subscriptions/{id}/cancel"), json!({}))
        .ok();
    let run = advance(&env, 31);
    assert_eq!(run["status"], "completed");
    assert!(run["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["outcome"] == "canceled"));
    let after = env.get(&format!("/subscriptions/{id}")).ok();
    assert_eq!(after["status"], "canceled");
    assert_eq!(after["endDate"], "2031-05-01T00:00:00.000Z");
    assert_eq!(
        env.get("/invoices").ok()["data"].as_array().unwrap().len(),
        1
    );
    assert!(
        events(&env, "invoice.upcoming").is_empty(),
        "no upcoming notice while a cancel is pending"
    );
    let canceled = events(&env, "subscription.canceled");
    assert_eq!(canceled.len(), 1);
    assert_eq!(canceled[0]["timestamp"], "2031-05-01T00:00:00.000Z");
    env.post(&format!("/subscriptions/{id}/uncancel"), json!({}))
        .err(409, "subscription_already_canceled");
    env.post(&format!("/subscriptions/{id}/cancel"), json!({}))
        .err(409, "subscription_already_canceled");
}

#[test]
fn immediate_cancel_and_pending_cancel_void_unpaid_invoices() {
    let env = start();
    let (pro, _) = plan(&env, "pro", 2900, "monthly", json!({}));
    let s = active_sub(&env, "c1", &pro, "4242424242424242");
    let id = s["id"].as_str().unwrap();
    let c = env
        .post(
            &format!("/subscriptions/{id}/cancel"),
            json!({ "immediate": true, "reason": "fraud" }),
        )
        .ok();
    assert_eq!(c["status"], "canceled");
    let ev = events(&env, "subscription.canceled");
    assert_eq!(ev[0]["data"]["cancelReason"], "fraud");
    let state = events(&env, "customer.state_changed");
    assert_eq!(
        state.last().unwrap()["data"]["trigger"],
        "subscription_canceled"
    );
    assert_eq!(state.last().unwrap()["data"]["status"], "none");

    let c2 = customer(&env, "c2");
    let pending = subscribe(&env, &c2, &pro);
    let pid = pending["id"].as_str().unwrap();
    env.post(&format!("/subscriptions/{pid}/cancel"), json!({}))
        .ok();
    assert_eq!(
        env.get(&format!("/subscriptions/{pid}")).ok()["status"],
        "canceled"
    );
    let voided = events(&env, "invoice.voided");
    assert_eq!(voided.len(), 1);
    assert_eq!(voided[0]["data"]["invoiceStatus"], "void");
}

#[test]
fn one_time_subscriptions_charge_once_and_cannot_be_canceled() {
    let env = start();
    freeze(&env, "2031-01-01T00:00:00Z");
    let (life, _) = plan(&env, "lifetime", 49900, "one_time", json!({}));
    let s = active_sub(&env, "o1", &life, "4242424242424242");
    let id = s["id"].as_str().unwrap();
    assert_eq!(s["billingInterval"], "one_time");
    env.post(&format!("/subscriptions/{id}/cancel"), json!({}))
        .err(409, "one_time_subscription_not_cancelable");
    advance(&env, 65);
    // Later cycles have nothing to bill: still one invoice.
    let inv = env.get("/invoices").ok();
    assert_eq!(inv["data"].as_array().unwrap().len(), 1);
    assert_eq!(sub_status(&env, id), "active");
}

#[test]
fn reactivate_a_canceled_subscription_with_a_fresh_invoice() {
    let env = start();
    freeze(&env, "2031-04-01T00:00:00Z");
    let (pro, _) = plan(&env, "pro", 2900, "monthly", json!({}));
    let s = active_sub(&env, "r1", &pro, "4242424242424242");
    let id = s["id"].as_str().unwrap();
    env.post(&format!("/subscriptions/{id}/reactivate"), json!({}))
        .err(409, "invalid_subscription_status");
    env.post(
        &format!("/subscriptions/{id}/cancel"),
        json!({ "immediate": true }),
    )
    .ok();
    advance(&env, 10);
    let r = env
        .post(&format!("/subscriptions/{id}/reactivate"), json!({}))
        .ok();
    assert_eq!(r["status"], "succeeded");
    assert_eq!(r["object"], "subscription_reactivation");
    let inv = env
        .get(&format!("/invoices/{}", r["invoiceId"].as_str().unwrap()))
        .ok();
    assert_eq!(inv["invoiceType"], "reactivation");
    assert_eq!(inv["total"], 2900);
    let sub = env.get(&format!("/subscriptions/{id}")).ok();
    assert_eq!(sub["status"], "active");
    assert_eq!(sub["currentPeriod"]["start"], "2031-04-11T00:00:00.000Z");
    assert_eq!(sub["currentPeriod"]["end"], "2031-05-11T00:00:00.000Z");
    assert_eq!(events(&env, "subscription.reactivated").len(), 1);

    // A plan that is gone cannot be reactivated onto.
    env.post(
        &format!("/subscriptions/{id}/cancel"),
        json!({ "immediate": true }),
    )
    .ok();
    env.delete(&format!("/plans/{pro}")).ok();
    env.post(&format!("/subscriptions/{id}/reactivate"), json!({}))
        .err(422, "plan_unavailable");
}

#[test]
fn reactivation_decline_keeps_it_canceled_with_a_recovery_url() {
    let env = start();
    let (pro, _) = plan(&env, "pro", 2900, "monthly", json!({}));
    let s = active_sub(&env, "r2", &pro, "4000000000000341");
    let id = s["id"].as_str().unwrap();
    env.post(
        &format!("/subscriptions/{id}/cancel"),
        json!({ "immediate": true }),
    )
    .ok();
    let e = env
        .post(&format!("/subscriptions/{id}/reactivate"), json!({}))
        .err(400, "charge_failed");
    assert!(e["error"]["details"]["recoveryUrl"]
        .as_str()
        .unwrap()
        .contains("/checkout/"));
    assert_eq!(sub_status(&env, id), "canceled");
    assert!(events(&env, "subscription.reactivated").is_empty());
}

#[test]
fn state_survives_a_restart() {
    let mut env = start();
    let (pro, _) = plan(&env, "pro", 2900, "monthly", json!({}));
    let s = active_sub(&env, "keep", &pro, "4242424242424242");
    env.restart();
    let again = env
        .get(&format!("/subscriptions/{}", s["id"].as_str().unwrap()))
        .ok();
    assert_eq!(again["status"], "active");
    assert_eq!(again["currentPeriod"]["start"], s["currentPeriod"]["start"]);
}
