//! The requests each action sends, checked against the API reference.

use super::plugin;
use commet_sdk::prelude::*;
use commet_sdk::schema::{ActionSchema, FlagSchema};

const GROUP: &str = "subscriptions";

fn send(action: &str, args: Value) -> ApiRequest {
    plugin()
        .dry_run(GROUP, action, args)
        .unwrap_or_else(|e| panic!("`{GROUP} {action}`: {e}"))
}

#[track_caller]
fn check(r: &ApiRequest, method: &str, path: &str, query: Value, body: Option<Value>) {
    assert_eq!(r.api, Api::V1);
    assert_eq!(r.method, method);
    assert_eq!(r.path, path);
    assert_eq!(Value::Object(r.query.clone()), query);
    assert_eq!(r.body, body);
}

fn action(name: &str) -> ActionSchema {
    let manifest = plugin().manifest();
    let (_, action) = manifest
        .find_action(GROUP, name)
        .unwrap_or_else(|| panic!("no action `{name}`"));
    action.clone()
}

fn flag(action_name: &str, name: &str) -> FlagSchema {
    action(action_name)
        .flags
        .into_iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("`{action_name}` has no flag --{name}"))
}

#[test]
fn lists_every_action_of_the_reference() {
    let manifest = plugin().manifest();
    assert_eq!(manifest.groups.len(), 1);
    assert_eq!(manifest.groups[0].name, GROUP);
    let mut names: Vec<&str> = manifest.groups[0]
        .actions
        .iter()
        .map(|a| a.name.as_str())
        .collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "activate-addon",
            "adjust-balance",
            "apply-offer",
            "cancel",
            "change-plan",
            "create",
            "create-recovery-link",
            "deactivate-addon",
            "get",
            "get-active",
            "list",
            "preview-change",
            "purchase-credits",
            "reactivate",
            "remove-offer",
            "topup-balance",
            "uncancel",
            "update-payment-method"
        ]
    );
}

#[test]
fn every_action_has_examples_and_every_flag_help() {
    for a in &plugin().manifest().groups[0].actions {
        assert!(!a.examples.is_empty(), "`{}` has no example", a.name);
        assert!(!a.about.is_empty(), "`{}` has no description", a.name);
        for f in &a.flags {
            assert!(!f.help.is_empty(), "`{} --{}` has no help", a.name, f.name);
        }
    }
}

fn names(sets: &[&[&str]]) -> Vec<Vec<String>> {
    sets.iter()
        .map(|set| set.iter().map(|s| (*s).to_owned()).collect())
        .collect()
}

#[test]
fn create_posts_every_field() {
    let r = send(
        "create",
        json!({
            "customer-id": "user_123",
            "plan-code": "pro",
            "billing-interval": "monthly",
            "price-id": "pp_1",
            "initial-seats": {"team_member": 5},
            "provider": "stripe",
            "name": "Acme Pro",
            "start-date": "2026-07-01",
            "success-url": "https://acme.com/ok",
            "offer-id": "ofr_1",
            "promo-code": "SUMMER25",
            "custom-trial-days": 14,
            "skip-trial": true,
            "card-promotion-id": "cpr_1",
            "idempotency-key": "k1"
        }),
    );
    check(
        &r,
        "POST",
        "/subscriptions",
        json!({}),
        Some(json!({
            "customerId": "user_123",
            "planCode": "pro",
            "billingInterval": "monthly",
            "priceId": "pp_1",
            "initialSeats": {"team_member": 5},
            "provider": "stripe",
            "name": "Acme Pro",
            "startDate": "2026-07-01",
            "successUrl": "https://acme.com/ok",
            "offerId": "ofr_1",
            "promoCode": "SUMMER25",
            "customTrialDays": 14,
            "skipTrial": true,
            "cardPromotionId": "cpr_1"
        })),
    );
    assert_eq!(r.idempotency_key.as_deref(), Some("k1"));
    let r = send(
        "create",
        json!({"customer-id": "user_123", "plan-id": "plan_1"}),
    );
    assert_eq!(
        r.body,
        Some(json!({"customerId": "user_123", "planId": "plan_1"}))
    );
    assert_eq!(r.idempotency_key, None);
}

#[test]
fn create_needs_a_customer_and_one_plan_selector() {
    assert!(flag("create", "customer-id").required);
    assert!(!flag("create", "plan-id").required);
    assert!(!flag("create", "plan-code").required);
    assert_eq!(
        action("create").one_of,
        names(&[
            &["customer-id", "plan-id"],
            &["customer-id", "plan-code"],
            &["customer-id", "offer-id", "plan-id"],
            &["customer-id", "offer-id", "plan-code"],
            &["customer-id", "card-promotion-id", "plan-id"],
            &["customer-id", "card-promotion-id", "plan-code"],
        ])
    );
    assert_eq!(
        flag("create", "billing-interval").values,
        ["weekly", "monthly", "quarterly", "yearly", "one_time"]
    );
}

#[test]
fn reads() {
    let r = send("get", json!({"id": "sub_1"}));
    check(&r, "GET", "/subscriptions/sub_1", json!({}), None);
    let r = send("get-active", json!({"customer-id": "user_123"}));
    check(
        &r,
        "GET",
        "/subscriptions/active",
        json!({"customerId": "user_123"}),
        None,
    );
    assert!(flag("get-active", "customer-id").required);
    let r = send(
        "list",
        json!({"customer-id": "user_123", "status": "active", "cursor": "cur_1", "limit": 25}),
    );
    check(
        &r,
        "GET",
        "/subscriptions",
        json!({"customerId": "user_123", "status": "active", "cursor": "cur_1", "limit": 25}),
        None,
    );
    assert_eq!(
        flag("list", "status").values,
        [
            "draft",
            "pending_payment",
            "trialing",
            "active",
            "past_due",
            "canceled"
        ]
    );
}

#[test]
fn cancel_uncancel_reactivate() {
    let r = send(
        "cancel",
        json!({"id": "sub_1", "reason": "Customer requested", "immediate": true, "idempotency-key": "k1"}),
    );
    check(
        &r,
        "POST",
        "/subscriptions/sub_1/cancel",
        json!({}),
        Some(json!({"reason": "Customer requested", "immediate": true})),
    );
    assert_eq!(r.idempotency_key.as_deref(), Some("k1"));
    let r = send("uncancel", json!({"id": "sub_1", "idempotency-key": "k2"}));
    check(
        &r,
        "POST",
        "/subscriptions/sub_1/uncancel",
        json!({}),
        Some(json!({})),
    );
    assert_eq!(r.idempotency_key.as_deref(), Some("k2"));
    let r = send(
        "reactivate",
        json!({"id": "sub_1", "offer-id": "ofr_1", "idempotency-key": "k3"}),
    );
    check(
        &r,
        "POST",
        "/subscriptions/sub_1/reactivate",
        json!({}),
        Some(json!({"offerId": "ofr_1"})),
    );
    assert_eq!(r.idempotency_key.as_deref(), Some("k3"));
}

#[test]
fn change_plan_and_preview() {
    let r = send(
        "change-plan",
        json!({
            "id": "sub_1",
            "new-plan-id": "plan_2",
            "new-billing-interval": "yearly",
            "success-url": "https://acme.com/ok",
            "offer-id": "ofr_1",
            "idempotency-key": "k1"
        }),
    );
    check(
        &r,
        "POST",
        "/subscriptions/sub_1/change-plan",
        json!({}),
        Some(json!({
            "newPlanId": "plan_2",
            "newBillingInterval": "yearly",
            "successUrl": "https://acme.com/ok",
            "offerId": "ofr_1"
        })),
    );
    assert_eq!(r.idempotency_key.as_deref(), Some("k1"));
    assert_eq!(
        flag("change-plan", "new-billing-interval").values,
        ["weekly", "monthly", "quarterly", "yearly"]
    );
    let r = send(
        "preview-change",
        json!({"id": "sub_1", "plan-id": "plan_2", "billing-interval": "yearly", "offer-id": "ofr_1", "idempotency-key": "k2"}),
    );
    check(
        &r,
        "POST",
        "/subscriptions/sub_1/preview-change",
        json!({}),
        Some(json!({"planId": "plan_2", "billingInterval": "yearly", "offerId": "ofr_1"})),
    );
    assert_eq!(r.idempotency_key.as_deref(), Some("k2"));
    assert!(flag("preview-change", "plan-id").required);
}

#[test]
fn addons() {
    let r = send(
        "activate-addon",
        json!({"id": "sub_1", "addon-id": "addon_1", "idempotency-key": "k1"}),
    );
    check(
        &r,
        "POST",
        "/subscriptions/sub_1/addons",
        json!({}),
        Some(json!({"addonId": "addon_1"})),
    );
    assert_eq!(r.idempotency_key.as_deref(), Some("k1"));
    let r = send(
        "deactivate-addon",
        json!({"id": "sub_1", "addon-id": "addon_1"}),
    );
    check(
        &r,
        "DELETE",
        "/subscriptions/sub_1/addons/addon_1",
        json!({}),
        None,
    );
    assert!(flag("deactivate-addon", "addon-id").required);
}

#[test]
fn balance_and_credits() {
    let r = send(
        "adjust-balance",
        json!({"id": "sub_1", "amount": -250, "type": "credits", "reason": "Courtesy", "idempotency-key": "k1"}),
    );
    check(
        &r,
        "POST",
        "/subscriptions/sub_1/balance/adjust",
        json!({}),
        Some(json!({"amount": -250, "type": "credits", "reason": "Courtesy"})),
    );
    assert_eq!(r.idempotency_key.as_deref(), Some("k1"));
    assert_eq!(
        flag("adjust-balance", "type").values,
        ["balance", "credits"]
    );
    let r = send(
        "topup-balance",
        json!({"id": "sub_1", "amount": 5000, "idempotency-key": "k2"}),
    );
    check(
        &r,
        "POST",
        "/subscriptions/sub_1/balance/topup",
        json!({}),
        Some(json!({"amount": 5000})),
    );
    assert_eq!(r.idempotency_key.as_deref(), Some("k2"));
    let r = send(
        "purchase-credits",
        json!({"id": "sub_1", "credit-pack-id": "cp_1", "idempotency-key": "k3"}),
    );
    check(
        &r,
        "POST",
        "/subscriptions/sub_1/credits",
        json!({}),
        Some(json!({"creditPackId": "cp_1"})),
    );
    assert_eq!(r.idempotency_key.as_deref(), Some("k3"));
}

#[test]
fn offers() {
    let r = send(
        "apply-offer",
        json!({"id": "sub_1", "offer-id": "ofr_1", "expires-at": "2026-12-31T00:00:00Z", "idempotency-key": "k1"}),
    );
    check(
        &r,
        "PUT",
        "/subscriptions/sub_1/offer",
        json!({}),
        Some(json!({"offerId": "ofr_1", "expiresAt": "2026-12-31T00:00:00Z"})),
    );
    assert_eq!(r.idempotency_key.as_deref(), Some("k1"));
    assert!(flag("apply-offer", "offer-id").required);
    let r = send("remove-offer", json!({"id": "sub_1"}));
    check(&r, "DELETE", "/subscriptions/sub_1/offer", json!({}), None);
}

#[test]
fn payment_recovery_links() {
    let r = send(
        "update-payment-method",
        json!({"id": "sub_1", "success-url": "https://acme.com/billing", "idempotency-key": "k1"}),
    );
    check(
        &r,
        "POST",
        "/subscriptions/sub_1/payment-method/update",
        json!({}),
        Some(json!({"successUrl": "https://acme.com/billing"})),
    );
    assert_eq!(r.idempotency_key.as_deref(), Some("k1"));
    let r = send(
        "create-recovery-link",
        json!({"id": "sub_1", "idempotency-key": "k2"}),
    );
    check(
        &r,
        "POST",
        "/subscriptions/sub_1/recovery-links",
        json!({}),
        Some(json!({})),
    );
    assert_eq!(r.idempotency_key.as_deref(), Some("k2"));
}
