//! The requests each action sends, checked against the API reference.

use commet_sdk::prelude::*;
commet_sdk::test_support!(crate::plugin);

const G: &str = "feature-access";

#[test]
fn schema_is_complete() {
    check_schema();
    assert_eq!(manifest().groups.len(), 1);
}

#[test]
fn lists_every_action_of_the_reference() {
    assert_eq!(action_names(G), sorted(&["can-use", "get", "list"]));
}

#[test]
fn list_asks_for_one_customer() {
    let r = call_all(G, "list", json!({"customer-id": "user_123"}));
    expect(
        &r,
        "GET",
        "/feature-access",
        json!({"customerId": "user_123"}),
        None,
    );
    assert_eq!(r.api, Api::V1);
    assert!(flag(G, "list", "customer-id").required);
}

#[test]
fn get_puts_the_code_in_the_path() {
    let r = call_all(
        G,
        "get",
        json!({"customer-id": "user_123", "code": "api_calls"}),
    );
    expect(
        &r,
        "GET",
        "/feature-access/api_calls",
        json!({"customerId": "user_123"}),
        None,
    );
    assert_eq!(r.api, Api::V1);
    let r = call_all(G, "get", json!({"customer-id": "user 1", "code": "a/b"}));
    assert_eq!(r.path, "/feature-access/a%2Fb");
    assert_eq!(r.query.get("customerId"), Some(&json!("user 1")));
}

#[test]
fn can_use_adds_the_action_constant() {
    let r = call_all(
        G,
        "can-use",
        json!({"customer-id": "user_123", "code": "api_calls"}),
    );
    expect(
        &r,
        "GET",
        "/feature-access/api_calls",
        json!({"action": "canUse", "customerId": "user_123"}),
        None,
    );
    assert_eq!(r.api, Api::V1);
    assert!(flag(G, "can-use", "code").required);
    assert!(flag(G, "can-use", "customer-id").required);
    assert!(!action(G, "can-use").writes);
}

#[test]
fn a_missing_code_is_a_usage_error() {
    let err = crate::plugin()
        .dry_run(G, "get", json!({"customer-id": "user_123"}))
        .unwrap_err();
    assert!(err.to_string().contains("{code}"), "{err}");
}
