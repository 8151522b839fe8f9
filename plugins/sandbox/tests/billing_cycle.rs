//! The test clock and everything it drives: renewals with arrears and
//! advance charges, trials, notices, usage resets, dunning and recovery.

mod billing;
mod common;

use billing::*;
use common::start;
use serde_json::{json, Value};

fn invoices_of(env: &common::Env, sub: &str) -> Vec<Value> {
    let mut list = env
        .get(&format!("/invoices?subscriptionId={sub}&limit=100"))
        .ok()["data"]
        .as_array()
        .unwrap()
        .clone();
    list.reverse();
    list.into_iter()
        .map(|i| {
            env.get(&format!("/invoices/{}", i["id"].as_str().unwrap()))
                .ok()
        })
        .collect()
}

fn line<'a>(inv: &'a Value, kind: &str) -> &'a Value {
    inv["lineItems"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["lineType"] == kind)
        .unwrap_or_else(|| panic!("no {kind} line in {inv}"))
}

#[test]
fn clock_get_and_advance_validation() {
    let env = start();
    let c = env.get("/test-clock").ok();
    assert_eq!(c["object"], "test_clock");
    assert_eq!(c["isActive"], false);
    assert!(c["simulatedTime"].is_null());
    assert!(c["latestRun"].is_null());
    for bad in [
        json!({}),
        json!({ "advanceDays": 1, "frozenTime": "2031-01-01T00:00:00Z" }),
        json!({ "advanceDays": 0 }),
        json!({ "advanceDays": 1.5 }),
        json!({ "frozenTime": "soon" }),
    ] {
        env.post("/test-clock", bad).err(400, "validation_error");
    }
    let run = freeze(&env, "2031-01-01T00:00:00Z");
    assert_eq!(run["object"], "test_clock_run");
    assert_eq!(run["status"], "completed");
    assert!(run["id"].as_str().unwrap().starts_with("tcr_"));
    assert_eq!(run["targetTime"], "2031-01-01T00:00:00.000Z");
    env.post(
        "/test-clock",
        json!({ "frozenTime": "2030-12-31T00:00:00Z" }),
    )
    .err(400, "validation_error");
    let run = advance(&env, 7);
    assert_eq!(run["targetTime"], "2031-01-08T00:00:00.000Z");
    let c = env.get("/test-clock").ok();
    assert_eq!(c["isActive"], true);
    assert_eq!(c["simulatedTime"], "2031-01-08T00:00:00.000Z");
    assert_eq!(c["now"], "2031-01-08T00:00:00.000Z");
    assert_eq!(c["latestRun"]["id"], run["id"]);
    env.post("/test-clock/process-billing", json!({}))
        .err(410, "endpoint_deprecated");
}

#[test]
fn renewal_bills_base_in_advance_and_metered_overage_in_arrears() {
    let env = start();
    freeze(&env, "2031-04-01T00:00:00Z");
    let f = feature(&env, "api_calls", "usage");
    let (pro, _) = plan(
        &env,
        "pro",
        2900,
        "monthly",
        json!({ "consumptionModel": "metered" }),
    );
    add_feature(
        &env,
        &pro,
        f["id"].as_str().unwrap(),
        json!({ "includedAmount": 1000, "overage": { "enabled": true, "unitPrice": 100 } }),
    );
    let s = active_sub(&env, "m1", &pro, "4242424242424242");
    let id = s["id"].as_str().unwrap();
    env.post(
        "/usage/events",
        json!({ "customerId": "m1", "featureCode": "api_calls", "value": 1500 }),
    )
    .ok();
    let run = advance(&env, 30);
    assert_eq!(run["completedDeadlineCount"], 1);
    let item = &run["items"][0];
    assert_eq!(item["kind"], "billing_cycle");
    assert_eq!(item["dueAt"], "2031-05-01T00:00:00.000Z");
    assert_eq!(item["outcome"], "paid");
    assert_eq!(item["customerName"], "m1");
    let invs = invoices_of(&env, id);
    assert_eq!(invs.len(), 2);
    let renewal = &invs[1];
    assert_eq!(renewal["invoiceType"], "recurring");
    assert_eq!(renewal["status"], "paid");
    assert_eq!(line(renewal, "plan_base")["amount"], 2900);
    let over = line(renewal, "feature_overage");
    // 500 units over at 100 (= $0.01) each: $5.00.
    assert_eq!(over["amount"], 500);
    assert_eq!(over["quantity"], 500);
    assert_eq!(over["includedAmount"], 1000);
    assert_eq!(over["usedAmount"], 1500);
    assert_eq!(renewal["total"], 3400);
    assert_eq!(renewal["periodStart"], "2031-05-01T00:00:00.000Z");
    assert_eq!(item["invoiceNumber"], renewal["invoiceNumber"]);
    let sub = env.get(&format!("/subscriptions/{id}")).ok();
    assert_eq!(sub["currentPeriod"]["start"], "2031-05-01T00:00:00.000Z");
    assert_eq!(sub["currentPeriod"]["end"], "2031-06-01T00:00:00.000Z");
    // Usage reset with the period.
    assert_eq!(sub["features"][0]["usage"]["current"], 0);
    // invoice.upcoming fired 3 days before the renewal, then the payment.
    let up = events(&env, "invoice.upcoming");
    assert_eq!(up.len(), 1);
    assert_eq!(up[0]["timestamp"], "2031-04-28T00:00:00.000Z");
    assert_eq!(
        up[0]["data"]["currentPeriodEnd"],
        "2031-05-01T00:00:00.000Z"
    );
    let paid = events(&env, "payment.received");
    assert_eq!(paid.last().unwrap()["data"]["invoiceTotal"], 3400);
    assert_eq!(
        paid.last().unwrap()["timestamp"],
        "2031-05-01T00:00:00.000Z"
    );
}

#[test]
fn month_end_anchor_and_several_renewals_in_one_run() {
    let env = start();
    freeze(&env, "2031-01-31T12:00:00Z");
    let (pro, _) = plan(&env, "pro", 1000, "monthly", json!({}));
    let s = active_sub(&env, "a1", &pro, "4242424242424242");
    let id = s["id"].as_str().unwrap();
    assert_eq!(s["billingDayOfMonth"], 31);
    let run = advance(&env, 60);
    let due: Vec<&str> = run["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["dueAt"].as_str().unwrap())
        .collect();
    assert_eq!(
        due,
        ["2031-02-28T12:00:00.000Z", "2031-03-31T12:00:00.000Z"]
    );
    assert_eq!(invoices_of(&env, id).len(), 3);
}

#[test]
fn trial_checkout_then_conversion_at_trial_end() {
    let env = start();
    freeze(&env, "2031-04-01T00:00:00Z");
    let (pro, _) = plan(&env, "pro", 2900, "monthly", json!({}));
    let p = env.get(&format!("/plans/{pro}")).ok();
    let price_id = p["prices"][0]["id"].as_str().unwrap().to_owned();
    env.patch(
        &format!("/plans/{pro}/prices/{price_id}"),
        json!({ "trialDays": 14 }),
    )
    .ok();
    let c = customer(&env, "t1");
    let s = subscribe(&env, &c, &pro);
    let id = s["id"].as_str().unwrap();
    assert_eq!(s["status"], "pending_payment");
    let ready = events(&env, "trial.checkout_ready");
    assert_eq!(ready[0]["data"]["trialDays"], 14);
    assert!(events(&env, "checkout.ready").is_empty());
    assert!(env.get("/invoices").ok()["data"]
        .as_array()
        .unwrap()
        .is_empty());
    pay(&env, id, "4242424242424242").ok();
    let t = env.get(&format!("/subscriptions/{id}")).ok();
    assert_eq!(t["status"], "trialing");
    assert_eq!(t["trialEndsAt"], "2031-04-15T00:00:00.000Z");
    assert_eq!(t["nextBillingDate"], "2031-04-15T00:00:00.000Z");
    assert_eq!(events(&env, "trial.started").len(), 1);
    assert!(
        events(&env, "payment.received").is_empty(),
        "a trial checkout charges nothing"
    );
    let run = advance(&env, 14);
    assert_eq!(run["items"][0]["outcome"], "paid");
    let will_end = events(&env, "trial.will_end");
    assert_eq!(will_end.len(), 1);
    assert_eq!(will_end[0]["timestamp"], "2031-04-12T00:00:00.000Z");
    assert_eq!(events(&env, "trial.expired").len(), 1);
    let a = env.get(&format!("/subscriptions/{id}")).ok();
    assert_eq!(a["status"], "active");
    assert_eq!(a["currentPeriod"]["start"], "2031-04-15T00:00:00.000Z");
    assert_eq!(a["currentPeriod"]["end"], "2031-05-15T00:00:00.000Z");
    let invs = invoices_of(&env, id);
    assert_eq!(invs.len(), 1);
    assert_eq!(invs[0]["total"], 2900);
    assert_eq!(invs[0]["status"], "paid");
    let trig: Vec<String> = events(&env, "customer.state_changed")
        .iter()
        .map(|e| e["data"]["trigger"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        trig.contains(&"trial_started".to_owned()) && trig.contains(&"trial_expired".to_owned())
    );
}

#[test]
fn skip_trial_and_custom_trial_days() {
    let env = start();
    let (pro, price_id) = plan(&env, "pro", 2900, "monthly", json!({}));
    env.patch(
        &format!("/plans/{pro}/prices/{price_id}"),
        json!({ "trialDays": 14 }),
    )
    .ok();
    let c = customer(&env, "s1");
    let s = env
        .post(
            "/subscriptions",
            json!({ "customerId": c, "planId": pro, "skipTrial": true }),
        )
        .ok();
    pay(&env, s["id"].as_str().unwrap(), "4242424242424242").ok();
    assert_eq!(
        env.get(&format!("/subscriptions/{}", s["id"].as_str().unwrap()))
            .ok()["status"],
        "active"
    );
    let c2 = customer(&env, "s2");
    let s2 = subscribe_trial(&env, &c2, &pro, 30);
    assert_eq!(s2["offerApplications"][0]["source"], "custom");
    pay(&env, s2["id"].as_str().unwrap(), "4242424242424242").ok();
    let t = env
        .get(&format!("/subscriptions/{}", s2["id"].as_str().unwrap()))
        .ok();
    assert_eq!(t["status"], "trialing");
    let start = t["currentPeriod"]["start"].as_str().unwrap();
    let end = t["trialEndsAt"].as_str().unwrap();
    let days = (chrono::DateTime::parse_from_rfc3339(end).unwrap()
        - chrono::DateTime::parse_from_rfc3339(start).unwrap())
    .num_days();
    assert_eq!(days, 30);
}

#[test]
fn renewal_decline_goes_past_due_and_dunning_cancels_after_four_failed_retries() {
    let env = start();
    freeze(&env, "2031-04-01T00:00:00Z");
    let (pro, _) = plan(&env, "pro", 2900, "monthly", json!({}));
    let s = active_sub(&env, "dun", &pro, "4000000000000341");
    let id = s["id"].as_str().unwrap();
    assert_eq!(s["status"], "active", "the first charge of 0341 succeeds");
    let run = advance(&env, 30);
    assert_eq!(run["items"][0]["outcome"], "past_due");
    let sub = env.get(&format!("/subscriptions/{id}")).ok();
    assert_eq!(sub["status"], "past_due");
    let failed = events(&env, "payment.failed");
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["data"]["failureCode"], "card_declined");
    assert!(failed[0]["data"]["recoveryUrl"]
        .as_str()
        .unwrap()
        .contains("/checkout/"));
    assert_eq!(events(&env, "subscription.past_due").len(), 1);
    let renewal = invoices_of(&env, id).pop().unwrap();
    assert_eq!(renewal["status"], "outstanding");

    // Retries on days 1, 3, 5 fail; the one on day 7 is the fourth: canceled.
    let run = advance(&env, 6);
    let retries: Vec<(&str, &str)> = run["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["dueAt"].as_str().unwrap(), i["outcome"].as_str().unwrap()))
        .collect();
    assert_eq!(
        retries,
        [
            ("2031-05-02T00:00:00.000Z", "declined"),
            ("2031-05-04T00:00:00.000Z", "declined"),
            ("2031-05-06T00:00:00.000Z", "declined")
        ]
    );
    assert!(run["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["kind"] == "dunning_retry"));
    assert_eq!(sub_status(&env, id), "past_due");
    let run = advance(&env, 1);
    assert_eq!(run["items"][0]["outcome"], "canceled");
    let sub = env.get(&format!("/subscriptions/{id}")).ok();
    assert_eq!(sub["status"], "canceled");
    let canceled = events(&env, "subscription.canceled");
    assert_eq!(canceled[0]["data"]["cancelReason"], "dunning_exhausted");
    assert_eq!(events(&env, "payment.retry_failed").len(), 1);
    let renewal = env
        .get(&format!("/invoices/{}", renewal["id"].as_str().unwrap()))
        .ok();
    assert_eq!(renewal["status"], "uncollectible");
    // Each attempt is its own transaction; failed ones are kept.
    let failed_txns = env.get("/transactions?status=failed").ok();
    assert_eq!(failed_txns["data"].as_array().unwrap().len(), 5);
    assert!(events(&env, "invoice.overdue").len() == 1);
}

#[test]
fn past_due_recovers_through_the_recovery_link_with_a_new_card() {
    let env = start();
    freeze(&env, "2031-04-01T00:00:00Z");
    let (pro, _) = plan(&env, "pro", 2900, "monthly", json!({}));
    let s = active_sub(&env, "rec", &pro, "4000000000000341");
    let id = s["id"].as_str().unwrap();
    env.post(&format!("/subscriptions/{id}/recovery-links"), json!({}))
        .err(409, "invalid_subscription_status");
    advance(&env, 30);
    let link = env
        .post(&format!("/subscriptions/{id}/recovery-links"), json!({}))
        .ok();
    assert_eq!(link["object"], "recovery_link");
    let url = link["url"].as_str().unwrap();
    assert!(url.ends_with(link["token"].as_str().unwrap()));
    let path = url.trim_start_matches(&env.url).to_owned();
    let page = env.req("GET", &path).key(None).send();
    assert!(page.text.contains("29.00 USD"), "{}", page.text);
    let paid = env
        .req("POST", &path)
        .key(None)
        .header("content-type", "application/x-www-form-urlencoded")
        .raw("card=4242424242424242")
        .send();
    assert_eq!(paid.status, 200, "{}", paid.text);
    let sub = env.get(&format!("/subscriptions/{id}")).ok();
    assert_eq!(sub["status"], "active");
    // Same anchor: the period that started at the failed renewal goes on.
    assert_eq!(sub["currentPeriod"]["start"], "2031-05-01T00:00:00.000Z");
    let rec = events(&env, "payment.recovered");
    assert_eq!(rec.len(), 1);
    assert_eq!(rec[0]["data"]["invoiceTotal"], 2900);
    // No more retries afterwards; the next renewal uses the new card.
    let run = advance(&env, 31);
    assert_eq!(
        run["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["kind"] == "dunning_retry")
            .count(),
        0
    );
    assert_eq!(sub_status(&env, id), "active");
}

#[test]
fn manual_retry_and_reactivate_on_past_due() {
    let env = start();
    freeze(&env, "2031-04-01T00:00:00Z");
    let (pro, _) = plan(&env, "pro", 2900, "monthly", json!({}));
    let s = active_sub(&env, "man", &pro, "4000000000000341");
    let id = s["id"].as_str().unwrap();
    advance(&env, 30);
    let failed = env.get("/transactions?status=failed").ok();
    let txn = failed["data"][0]["id"].as_str().unwrap().to_owned();
    // A manual retry with the same (failing) card uses a slot and answers the decline.
    let e = env
        .post(&format!("/transactions/{txn}/retry"), json!({}))
        .err(400, "charge_failed");
    assert!(e["error"]["details"]["recoveryUrl"].is_string());
    let e = env
        .post(&format!("/subscriptions/{id}/reactivate"), json!({}))
        .err(400, "charge_failed");
    assert_eq!(e["error"]["details"]["failureCode"], "card_declined");
    env.post(
        &format!("/subscriptions/{id}/reactivate"),
        json!({ "offerId": "ofr_x" }),
    )
    .err(400, "offer_not_applicable");
    // The two manual retries used the day-1 and day-3 slots: the scheduled
    // ones left are on days 5 and 7, the last one cancels.
    let run = advance(&env, 7);
    let outcomes: Vec<(&str, &str)> = run["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["dueAt"].as_str().unwrap(), i["outcome"].as_str().unwrap()))
        .collect();
    assert_eq!(
        outcomes,
        [
            ("2031-05-06T00:00:00.000Z", "declined"),
            ("2031-05-08T00:00:00.000Z", "canceled")
        ]
    );
    let ok_txn = env.get("/transactions?status=succeeded").ok()["data"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    env.post(&format!("/transactions/{ok_txn}/retry"), json!({}))
        .err(409, "no_outstanding_invoice");
    env.post("/transactions/txn_nope/retry", json!({}))
        .err(404, "transaction_not_found");
}

#[test]
fn marking_the_past_due_invoice_paid_recovers_the_subscription() {
    let env = start();
    freeze(&env, "2031-04-01T00:00:00Z");
    let (pro, _) = plan(&env, "pro", 2900, "monthly", json!({}));
    let s = active_sub(&env, "mp", &pro, "4000000000000341");
    let id = s["id"].as_str().unwrap();
    advance(&env, 30);
    let inv = invoices_of(&env, id).pop().unwrap();
    let paid = env
        .patch(
            &format!("/invoices/{}/status", inv["id"].as_str().unwrap()),
            json!({ "status": "paid" }),
        )
        .ok();
    assert_eq!(paid["status"], "paid");
    assert_eq!(sub_status(&env, id), "active");
    let rec = events(&env, "payment.recovered");
    assert!(rec[0]["data"]["provider"].is_null());
    env.patch(
        &format!("/invoices/{}/status", inv["id"].as_str().unwrap()),
        json!({ "status": "void" }),
    )
    .err(400, "validation_error");
}

#[test]
fn seats_above_included_are_billed_in_advance_with_a_prorated_true_up() {
    let env = start();
    freeze(&env, "2031-04-01T00:00:00Z");
    let f = feature(&env, "seats", "seats");
    let (team, _) = plan(&env, "team", 10000, "monthly", json!({}));
    // $25 per extra seat (rate scale 250000).
    add_feature(
        &env,
        &team,
        f["id"].as_str().unwrap(),
        json!({ "includedAmount": 3, "overage": { "enabled": true, "unitPrice": 250000 } }),
    );
    let c = customer(&env, "seat");
    let s = env
        .post(
            "/subscriptions",
            json!({ "customerId": c, "planId": team, "initialSeats": { "seats": 4 } }),
        )
        .ok();
    let id = s["id"].as_str().unwrap();
    let first = invoices_of(&env, id).pop().unwrap();
    assert_eq!(line(&first, "feature_seats")["amount"], 2500);
    assert_eq!(first["total"], 12500);
    pay(&env, id, "4242424242424242").ok();
    advance(&env, 15);
    env.post(
        "/seats",
        json!({ "customerId": "seat", "featureCode": "seats", "count": 1 }),
    )
    .ok();
    advance(&env, 15);
    let renewal = invoices_of(&env, id).pop().unwrap();
    let lines: Vec<(String, String, i64)> = renewal["lineItems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["lineType"].as_str().unwrap().to_owned(),
                l["chargeType"].as_str().unwrap().to_owned(),
                l["amount"].as_i64().unwrap(),
            )
        })
        .collect();
    // 1 seat × $25 × 15/30 days = $12.50; 2 extra seats in advance = $50.
    assert!(
        lines.contains(&("feature_seats".into(), "true_up".into(), 1250)),
        "{lines:?}"
    );
    assert!(
        lines.contains(&("feature_seats".into(), "advance".into(), 5000)),
        "{lines:?}"
    );
    assert_eq!(renewal["total"], 10000 + 5000 + 1250);
}

#[test]
fn quarterly_plans_reset_usage_monthly_and_bill_overage_separately() {
    let env = start();
    freeze(&env, "2031-01-01T00:00:00Z");
    let f = feature(&env, "api_calls", "usage");
    let (q, _) = plan(&env, "quarterly", 30000, "quarterly", json!({}));
    add_feature(
        &env,
        &q,
        f["id"].as_str().unwrap(),
        json!({ "includedAmount": 100, "overage": { "enabled": true, "unitPrice": 500 } }),
    );
    let s = active_sub(&env, "q1", &q, "4242424242424242");
    let id = s["id"].as_str().unwrap();
    assert_eq!(s["currentPeriod"]["end"], "2031-04-01T00:00:00.000Z");
    env.post(
        "/usage/events",
        json!({ "customerId": "q1", "featureCode": "api_calls", "value": 160 }),
    )
    .ok();
    let run = advance(&env, 31);
    assert_eq!(run["items"][0]["outcome"], "overage_paid");
    let invs = invoices_of(&env, id);
    assert_eq!(invs.len(), 2);
    assert_eq!(invs[1]["invoiceType"], "overage");
    // 60 over at 500 (= $0.05): $3.00.
    assert_eq!(invs[1]["total"], 300);
    // The next month has no overage: no invoice; usage restarted at 0.
    env.post(
        "/usage/events",
        json!({ "customerId": "q1", "featureCode": "api_calls", "value": 50 }),
    )
    .ok();
    advance(&env, 28);
    assert_eq!(invoices_of(&env, id).len(), 2);
    let sub = env.get(&format!("/subscriptions/{id}")).ok();
    assert_eq!(sub["features"][0]["usage"]["current"], 0);
    assert_eq!(sub["currentPeriod"]["start"], "2031-01-01T00:00:00.000Z");
}

#[test]
fn credits_plans_regrant_at_each_period_reset() {
    let env = start();
    freeze(&env, "2031-04-01T00:00:00Z");
    let p = env
        .post(
            "/plans",
            json!({ "code": "cred", "name": "Credits", "consumptionModel": "credits" }),
        )
        .ok();
    let plan_id = p["id"].as_str().unwrap().to_owned();
    env.post(
        &format!("/plans/{plan_id}/prices"),
        json!({ "billingInterval": "monthly", "price": 2000, "includedCredits": 500 }),
    )
    .ok();
    let s = active_sub(&env, "cr", &plan_id, "4242424242424242");
    let id = s["id"].as_str().unwrap();
    assert_eq!(s["credits"]["remaining"], 500);
    assert_eq!(s["credits"]["included"], 500);
    env.post(
        &format!("/subscriptions/{id}/balance/adjust"),
        json!({ "amount": 20, "type": "credits", "reason": "goodwill" }),
    )
    .ok();
    advance(&env, 30);
    let sub = env.get(&format!("/subscriptions/{id}")).ok();
    assert_eq!(sub["credits"]["remaining"], 520);
    assert_eq!(sub["credits"]["purchased"], 20);
    let granted = events(&env, "credits.granted");
    assert!(
        granted
            .iter()
            .filter(|e| e["data"]["reason"] == "period_reset")
            .count()
            >= 2
    );
}

#[test]
fn a_declined_trial_end_charge_starts_dunning() {
    let env = start();
    freeze(&env, "2031-04-01T00:00:00Z");
    let (pro, _) = plan(&env, "pro", 2900, "monthly", json!({}));
    let c = customer(&env, "td");
    let s = subscribe_trial(&env, &c, &pro, 7);
    let id = s["id"].as_str().unwrap();
    pay(&env, id, "4000000000000341").ok();
    assert_eq!(sub_status(&env, id), "trialing");
    let run = advance(&env, 7);
    assert_eq!(run["items"][0]["outcome"], "past_due");
    assert_eq!(sub_status(&env, id), "past_due");
    assert_eq!(events(&env, "trial.expired").len(), 1);
    assert_eq!(events(&env, "subscription.past_due").len(), 1);
    // Cancelling a past-due subscription voids the unpaid invoice at once.
    env.post(&format!("/subscriptions/{id}/cancel"), json!({}))
        .ok();
    assert_eq!(sub_status(&env, id), "canceled");
    let voided = events(&env, "invoice.voided");
    assert_eq!(voided.len(), 1);
    assert_eq!(voided[0]["data"]["total"], 2900);
}

#[test]
fn cancelling_during_a_trial_ends_it_at_the_trial_end_without_a_charge() {
    let env = start();
    freeze(&env, "2031-04-01T00:00:00Z");
    let (pro, _) = plan(&env, "pro", 2900, "monthly", json!({}));
    let c = customer(&env, "tc");
    let s = subscribe_trial(&env, &c, &pro, 10);
    let id = s["id"].as_str().unwrap();
    pay(&env, id, "4242424242424242").ok();
    let canceled = env
        .post(&format!("/subscriptions/{id}/cancel"), json!({}))
        .ok();
    assert_eq!(canceled["status"], "trialing");
    assert_eq!(
        canceled["cancellation"]["effectiveAt"],
        "2031-04-11T00:00:00.000Z"
    );
    advance(&env, 10);
    assert_eq!(sub_status(&env, id), "canceled");
    assert!(events(&env, "trial.will_end").is_empty());
    assert!(env.get("/invoices").ok()["data"]
        .as_array()
        .unwrap()
        .is_empty());
}
