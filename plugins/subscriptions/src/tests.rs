//! The requests each action sends, checked against the API reference.

use commet_sdk::prelude::*;
commet_sdk::test_support!(crate::plugin);

const G: &str = "subscriptions";

#[test]
fn schema_is_complete() {
    check_schema();
    assert_eq!(manifest().groups.len(), 1);
}

#[test]
fn lists_every_action_of_the_reference() {
    assert_eq!(
        action_names(G),
        sorted(&[
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
        ])
    );
}

fn names(sets: &[&[&str]]) -> Vec<Vec<String>> {
    sets.iter()
        .map(|set| set.iter().map(|s| (*s).to_owned()).collect())
        .collect()
}

#[test]
fn create_posts_every_field() {
    let r = call(
        G,
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
    expect(
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
    assert_eq!(r.api, Api::V1);
    assert_eq!(r.idempotency_key.as_deref(), Some("k1"));
    let r = call(
        G,
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
    assert!(flag(G, "create", "customer-id").required);
    assert!(!flag(G, "create", "plan-id").required);
    assert!(!flag(G, "create", "plan-code").required);
    assert_eq!(
        action(G, "create").one_of,
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
        flag(G, "create", "billing-interval").values,
        ["weekly", "monthly", "quarterly", "yearly", "one_time"]
    );
}

#[test]
fn reads() {
    let r = call_all(G, "get", json!({"id": "sub_1"}));
    expect(&r, "GET", "/subscriptions/sub_1", json!({}), None);
    assert_eq!(r.api, Api::V1);
    let r = call_all(G, "get-active", json!({"customer-id": "user_123"}));
    expect(
        &r,
        "GET",
        "/subscriptions/active",
        json!({"customerId": "user_123"}),
        None,
    );
    assert_eq!(r.api, Api::V1);
    assert!(flag(G, "get-active", "customer-id").required);
    let r = call_all(
        G,
        "list",
        json!({"customer-id": "user_123", "status": "active", "cursor": "cur_1", "limit": 25}),
    );
    expect(
        &r,
        "GET",
        "/subscriptions",
        json!({"customerId": "user_123", "status": "active", "cursor": "cur_1", "limit": 25}),
        None,
    );
    assert_eq!(r.api, Api::V1);
    assert_eq!(
        flag(G, "list", "status").values,
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
    let r = call_all(
        G,
        "cancel",
        json!({"id": "sub_1", "reason": "Customer requested", "immediate": true, "idempotency-key": "k1"}),
    );
    expect(
        &r,
        "POST",
        "/subscriptions/sub_1/cancel",
        json!({}),
        Some(json!({"reason": "Customer requested", "immediate": true})),
    );
    assert_eq!(r.api, Api::V1);
    assert_eq!(r.idempotency_key.as_deref(), Some("k1"));
    let r = call_all(
        G,
        "uncancel",
        json!({"id": "sub_1", "idempotency-key": "k2"}),
    );
    expect(
        &r,
        "POST",
        "/subscriptions/sub_1/uncancel",
        json!({}),
        Some(json!({})),
    );
    assert_eq!(r.api, Api::V1);
    assert_eq!(r.idempotency_key.as_deref(), Some("k2"));
    let r = call_all(
        G,
        "reactivate",
        json!({"id": "sub_1", "offer-id": "ofr_1", "idempotency-key": "k3"}),
    );
    expect(
        &r,
        "POST",
        "/subscriptions/sub_1/reactivate",
        json!({}),
        Some(json!({"offerId": "ofr_1"})),
    );
    assert_eq!(r.api, Api::V1);
    assert_eq!(r.idempotency_key.as_deref(), Some("k3"));
}

#[test]
fn change_plan_and_preview() {
    let r = call_all(
        G,
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
    expect(
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
    assert_eq!(r.api, Api::V1);
    assert_eq!(r.idempotency_key.as_deref(), Some("k1"));
    assert_eq!(
        flag(G, "change-plan", "new-billing-interval").values,
        ["weekly", "monthly", "quarterly", "yearly"]
    );
    let r = call_all(
        G,
        "preview-change",
        json!({"id": "sub_1", "plan-id": "plan_2", "billing-interval": "yearly", "offer-id": "ofr_1", "idempotency-key": "k2"}),
    );
    expect(
        &r,
        "POST",
        "/subscriptions/sub_1/preview-change",
        json!({}),
        Some(json!({"planId": "plan_2", "billingInterval": "yearly", "offerId": "ofr_1"})),
    );
    assert_eq!(r.api, Api::V1);
    assert_eq!(r.idempotency_key.as_deref(), Some("k2"));
    assert!(flag(G, "preview-change", "plan-id").required);
}

#[test]
fn addons() {
    let r = call_all(
        G,
        "activate-addon",
        json!({"id": "sub_1", "addon-id": "addon_1", "idempotency-key": "k1"}),
    );
    expect(
        &r,
        "POST",
        "/subscriptions/sub_1/addons",
        json!({}),
        Some(json!({"addonId": "addon_1"})),
    );
    assert_eq!(r.api, Api::V1);
    assert_eq!(r.idempotency_key.as_deref(), Some("k1"));
    let r = call_all(
        G,
        "deactivate-addon",
        json!({"id": "sub_1", "addon-id": "addon_1"}),
    );
    expect(
        &r,
        "DELETE",
        "/subscriptions/sub_1/addons/addon_1",
        json!({}),
        None,
    );
    assert_eq!(r.api, Api::V1);
    assert!(flag(G, "deactivate-addon", "addon-id").required);
}

#[test]
fn balance_and_credits() {
    let r = call_all(
        G,
        "adjust-balance",
        json!({"id": "sub_1", "amount": -250, "type": "credits", "reason": "Courtesy", "idempotency-key": "k1"}),
    );
    expect(
        &r,
        "POST",
        "/subscriptions/sub_1/balance/adjust",
        json!({}),
        Some(json!({"amount": -250, "type": "credits", "reason": "Courtesy"})),
    );
    assert_eq!(r.api, Api::V1);
    assert_eq!(r.idempotency_key.as_deref(), Some("k1"));
    assert_eq!(
        flag(G, "adjust-balance", "type").values,
        ["balance", "credits"]
    );
    let r = call_all(
        G,
        "topup-balance",
        json!({"id": "sub_1", "amount": 5000, "idempotency-key": "k2"}),
    );
    expect(
        &r,
        "POST",
        "/subscriptions/sub_1/balance/topup",
        json!({}),
        Some(json!({"amount": 5000})),
    );
    assert_eq!(r.api, Api::V1);
    assert_eq!(r.idempotency_key.as_deref(), Some("k2"));
    let r = call_all(
        G,
        "purchase-credits",
        json!({"id": "sub_1", "credit-pack-id": "cp_1", "idempotency-key": "k3"}),
    );
    expect(
        &r,
        "POST",
        "/subscriptions/sub_1/credits",
        json!({}),
        Some(json!({"creditPackId": "cp_1"})),
    );
    assert_eq!(r.api, Api::V1);
    assert_eq!(r.idempotency_key.as_deref(), Some("k3"));
}

#[test]
fn offers() {
    let r = call_all(
        G,
        "apply-offer",
        json!({"id": "sub_1", "offer-id": "ofr_1", "expires-at": "2026-12-31T00:00:00Z", "idempotency-key": "k1"}),
    );
    expect(
        &r,
        "PUT",
        "/subscriptions/sub_1/offer",
        json!({}),
        Some(json!({"offerId": "ofr_1", "expiresAt": "2026-12-31T00:00:00Z"})),
    );
    assert_eq!(r.api, Api::V1);
    assert_eq!(r.idempotency_key.as_deref(), Some("k1"));
    assert!(flag(G, "apply-offer", "offer-id").required);
    let r = call_all(G, "remove-offer", json!({"id": "sub_1"}));
    expect(&r, "DELETE", "/subscriptions/sub_1/offer", json!({}), None);
    assert_eq!(r.api, Api::V1);
}

#[test]
fn payment_recovery_links() {
    let r = call_all(
        G,
        "update-payment-method",
        json!({"id": "sub_1", "success-url": "https://acme.com/billing", "idempotency-key": "k1"}),
    );
    expect(
        &r,
        "POST",
        "/subscriptions/sub_1/payment-method/update",
        json!({}),
        Some(json!({"successUrl": "https://acme.com/billing"})),
    );
    assert_eq!(r.api, Api::V1);
    assert_eq!(r.idempotency_key.as_deref(), Some("k1"));
    let r = call_all(
        G,
        "create-recovery-link",
        json!({"id": "sub_1", "idempotency-key": "k2"}),
    );
    expect(
        &r,
        "POST",
        "/subscriptions/sub_1/recovery-links",
        json!({}),
        Some(json!({})),
    );
    assert_eq!(r.api, Api::V1);
    assert_eq!(r.idempotency_key.as_deref(), Some("k2"));
}
