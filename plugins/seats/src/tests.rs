//! The requests each action sends, checked against the API reference.

use commet_sdk::prelude::*;
commet_sdk::test_support!(crate::plugin);

const G: &str = "seats";

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
            "add",
            "get-all-balances",
            "get-balance",
            "remove",
            "set",
            "set-all"
        ])
    );
}

#[test]
fn add_posts_the_count() {
    let r = call_all(
        G,
        "add",
        json!({"customer-id": "user_123", "feature-code": "team_member", "count": 5, "idempotency-key": "k1"}),
    );
    expect(
        &r,
        "POST",
        "/seats",
        json!({}),
        Some(json!({"customerId": "user_123", "featureCode": "team_member", "count": 5})),
    );
    assert_eq!(r.api, Api::V1);
    assert_eq!(r.idempotency_key.as_deref(), Some("k1"));
}

#[test]
fn add_and_remove_default_to_one_seat() {
    for name in ["add", "remove"] {
        let count = flag(G, name, "count");
        assert_eq!(count.default, Some(json!(1)), "{name}");
        assert!(!count.required, "{name}");
    }
    assert!(flag(G, "set", "count").required);
    assert_eq!(flag(G, "set", "count").default, None);
    // dry_run leaves defaults to the host.
    let r = call(G, "add", json!({"customer-id": "c", "feature-code": "f"}));
    assert_eq!(r.body, Some(json!({"customerId": "c", "featureCode": "f"})));
    assert_eq!(r.idempotency_key, None);
}

#[test]
fn remove_posts_to_the_remove_path() {
    let r = call(
        G,
        "remove",
        json!({"customer-id": "user_123", "feature-code": "team_member", "count": 2}),
    );
    expect(
        &r,
        "POST",
        "/seats/remove",
        json!({}),
        Some(json!({"customerId": "user_123", "featureCode": "team_member", "count": 2})),
    );
    assert_eq!(r.api, Api::V1);
}

#[test]
fn set_puts_the_exact_count() {
    let r = call_all(
        G,
        "set",
        json!({"customer-id": "user_123", "feature-code": "team_member", "count": 10, "idempotency-key": "k2"}),
    );
    expect(
        &r,
        "PUT",
        "/seats",
        json!({}),
        Some(json!({"customerId": "user_123", "featureCode": "team_member", "count": 10})),
    );
    assert_eq!(r.api, Api::V1);
    assert_eq!(r.idempotency_key.as_deref(), Some("k2"));
}

#[test]
fn set_all_puts_the_map() {
    let r = call_all(
        G,
        "set-all",
        json!({"customer-id": "user_123", "seats": {"team_member": 5, "admin": 2}, "idempotency-key": "k3"}),
    );
    expect(
        &r,
        "PUT",
        "/seats/bulk",
        json!({}),
        Some(json!({"customerId": "user_123", "seats": {"team_member": 5, "admin": 2}})),
    );
    assert_eq!(r.api, Api::V1);
    assert_eq!(r.idempotency_key.as_deref(), Some("k3"));
    assert!(flag(G, "set-all", "seats").required);
}

#[test]
fn balances_are_read_with_query_parameters() {
    let r = call_all(
        G,
        "get-balance",
        json!({"customer-id": "user_123", "feature-code": "team_member"}),
    );
    expect(
        &r,
        "GET",
        "/seats/balance",
        json!({"customerId": "user_123", "featureCode": "team_member"}),
        None,
    );
    assert_eq!(r.api, Api::V1);
    let r = call_all(G, "get-all-balances", json!({"customer-id": "user_123"}));
    expect(
        &r,
        "GET",
        "/seats/balances",
        json!({"customerId": "user_123"}),
        None,
    );
    assert_eq!(r.api, Api::V1);
    assert!(!action(G, "get-balance").writes);
    assert!(action(G, "set-all").writes);
}
