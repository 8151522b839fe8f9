//! The requests each action sends, checked against the API reference.

use commet_sdk::prelude::*;
commet_sdk::test_support!(crate::plugin);

const G: &str = "portal";

#[test]
fn schema_is_complete() {
    check_schema();
    assert_eq!(manifest().groups.len(), 1);
}

#[test]
fn lists_every_action_of_the_reference() {
    assert_eq!(action_names(G), sorted(&["get-url"]));
}

#[test]
fn get_url_by_customer_id() {
    let r = call(
        G,
        "get-url",
        json!({"customer-id": "user_123", "return-url": "https://app.acme.com", "idempotency-key": "k1"}),
    );
    expect(
        &r,
        "POST",
        "/portal/sessions",
        json!({}),
        Some(json!({"customerId": "user_123", "returnUrl": "https://app.acme.com"})),
    );
    assert_eq!(r.api, Api::V1);
    assert_eq!(r.idempotency_key.as_deref(), Some("k1"));
}

#[test]
fn get_url_by_email() {
    let r = call(G, "get-url", json!({"email": "user@acme.com"}));
    expect(
        &r,
        "POST",
        "/portal/sessions",
        json!({}),
        Some(json!({"email": "user@acme.com"})),
    );
    assert_eq!(r.api, Api::V1);
    assert_eq!(r.idempotency_key, None);
}

#[test]
fn customer_id_and_email_are_alternatives() {
    let a = action(G, "get-url");
    assert_eq!(
        a.one_of,
        vec![vec!["email".to_owned()], vec!["customer-id".to_owned()]]
    );
    assert!(!flag(G, "get-url", "email").required);
    assert!(!flag(G, "get-url", "customer-id").required);
    assert!(a.writes);
}
