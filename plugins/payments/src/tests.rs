//! The requests each action sends, checked against the API reference.

use commet_sdk::prelude::*;
commet_sdk::test_support!(crate::plugin);

const G: &str = "payments";

#[test]
fn schema_is_complete() {
    check_schema();
    assert_eq!(manifest().groups.len(), 1);
}

#[test]
fn lists_every_action_of_the_reference() {
    assert_eq!(
        action_names(G),
        sorted(&["cancel", "charge", "create", "get", "list"])
    );
}

#[test]
fn list_filters_and_paginates_in_the_query() {
    let r = call_all(
        G,
        "list",
        json!({"cursor": "cur_1", "limit": 10, "customer-id": "user_123"}),
    );
    expect(
        &r,
        "GET",
        "/payments",
        json!({"cursor": "cur_1", "limit": 10, "customerId": "user_123"}),
        None,
    );
    assert_eq!(r.api, Api::V1);
}

#[test]
fn get_reads_one_payment() {
    let r = call_all(G, "get", json!({"id": "pay_1"}));
    expect(&r, "GET", "/payments/pay_1", json!({}), None);
    assert_eq!(r.api, Api::V1);
}

#[test]
fn create_posts_a_payment_link() {
    let r = call_all(
        G,
        "create",
        json!({
            "amount": 4900,
            "currency": "usd",
            "customer-id": "user_123",
            "description": "Setup fee",
            "success-url": "https://acme.com/thanks",
            "metadata": {"orderId": "A-1"},
            "idempotency-key": "k1"
        }),
    );
    expect(
        &r,
        "POST",
        "/payments",
        json!({}),
        Some(json!({
            "amount": 4900,
            "currency": "usd",
            "customerId": "user_123",
            "description": "Setup fee",
            "successUrl": "https://acme.com/thanks",
            "metadata": {"orderId": "A-1"}
        })),
    );
    assert_eq!(r.api, Api::V1);
    assert_eq!(r.idempotency_key.as_deref(), Some("k1"));
    // --customer-id is optional.
    assert_eq!(
        required(G, "create"),
        sorted(&["amount", "currency", "description"])
    );
}

#[test]
fn charge_posts_to_the_charge_path() {
    let r = call(
        G,
        "charge",
        json!({"customer-id": "user_123", "amount": 2500, "currency": "eur", "description": "Report", "idempotency-key": "k2"}),
    );
    expect(
        &r,
        "POST",
        "/payments/charge",
        json!({}),
        Some(
            json!({"customerId": "user_123", "amount": 2500, "currency": "eur", "description": "Report"}),
        ),
    );
    assert_eq!(r.api, Api::V1);
    assert_eq!(r.idempotency_key.as_deref(), Some("k2"));
    assert_eq!(
        required(G, "charge"),
        sorted(&["customer-id", "amount", "currency", "description"])
    );
}

#[test]
fn cancel_posts_to_the_payment() {
    let r = call_all(G, "cancel", json!({"id": "pay_1", "idempotency-key": "k3"}));
    expect(
        &r,
        "POST",
        "/payments/pay_1/cancel",
        json!({}),
        Some(json!({})),
    );
    assert_eq!(r.api, Api::V1);
    assert_eq!(r.idempotency_key.as_deref(), Some("k3"));
}
