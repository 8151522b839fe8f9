//! The requests each action sends, checked against the API reference.

use commet_sdk::prelude::*;
commet_sdk::test_support!(crate::plugin);

const G: &str = "quota";

#[test]
fn schema_is_complete() {
    check_schema();
    assert_eq!(manifest().groups.len(), 1);
}

#[test]
fn lists_every_action_of_the_reference() {
    assert_eq!(
        action_names(G),
        sorted(&["add", "get", "get-all", "remove", "set"])
    );
}

#[test]
fn add_accepts_either_customer_identifier() {
    let r = call(
        G,
        "add",
        json!({"feature-code": "api_calls", "customer-id": "user_123", "count": 100, "idempotency-key": "k1"}),
    );
    expect(
        &r,
        "POST",
        "/usage/quota",
        json!({}),
        Some(json!({"featureCode": "api_calls", "customerId": "user_123", "count": 100})),
    );
    assert_eq!(r.api, Api::V1);
    assert_eq!(r.idempotency_key.as_deref(), Some("k1"));
    let r = call(
        G,
        "add",
        json!({"feature-code": "api_calls", "external-id": "acct_42"}),
    );
    expect(
        &r,
        "POST",
        "/usage/quota",
        json!({}),
        Some(json!({"featureCode": "api_calls", "externalId": "acct_42"})),
    );
    assert_eq!(r.api, Api::V1);
    assert_eq!(r.idempotency_key, None);
}

#[test]
fn add_and_remove_default_to_one_unit() {
    for name in ["add", "remove"] {
        let count = flag(G, name, "count");
        assert_eq!(count.default, Some(json!(1)), "{name}");
        assert!(!count.required, "{name}");
    }
    assert!(flag(G, "set", "count").required);
}

#[test]
fn customer_identifiers_are_alternatives() {
    for name in ["add", "remove"] {
        let a = action(G, name);
        assert_eq!(
            a.one_of,
            vec![
                vec!["feature-code".to_owned(), "customer-id".to_owned()],
                vec!["feature-code".to_owned(), "external-id".to_owned()],
            ],
            "{name}"
        );
        assert!(flag(G, name, "feature-code").required);
        assert!(!flag(G, name, "customer-id").required);
        assert!(!flag(G, name, "external-id").required);
    }
    assert_eq!(
        action(G, "set").one_of,
        vec![
            vec![
                "feature-code".to_owned(),
                "count".to_owned(),
                "customer-id".to_owned()
            ],
            vec![
                "feature-code".to_owned(),
                "count".to_owned(),
                "external-id".to_owned()
            ],
        ]
    );
}

#[test]
fn remove_posts_to_the_remove_path() {
    let r = call(
        G,
        "remove",
        json!({"feature-code": "api_calls", "customer-id": "user_123", "count": 10, "idempotency-key": "k2"}),
    );
    expect(
        &r,
        "POST",
        "/usage/quota/remove",
        json!({}),
        Some(json!({"featureCode": "api_calls", "customerId": "user_123", "count": 10})),
    );
    assert_eq!(r.api, Api::V1);
    assert_eq!(r.idempotency_key.as_deref(), Some("k2"));
}

#[test]
fn set_puts_the_exact_allowance() {
    let r = call(
        G,
        "set",
        json!({"feature-code": "api_calls", "external-id": "acct_42", "count": 500, "idempotency-key": "k3"}),
    );
    expect(
        &r,
        "PUT",
        "/usage/quota",
        json!({}),
        Some(json!({"featureCode": "api_calls", "externalId": "acct_42", "count": 500})),
    );
    assert_eq!(r.api, Api::V1);
    assert_eq!(r.idempotency_key.as_deref(), Some("k3"));
}

#[test]
fn reads_use_query_parameters() {
    let r = call_all(
        G,
        "get",
        json!({"customer-id": "user_123", "feature-code": "api_calls"}),
    );
    expect(
        &r,
        "GET",
        "/usage/quota",
        json!({"customerId": "user_123", "featureCode": "api_calls"}),
        None,
    );
    assert_eq!(r.api, Api::V1);
    let r = call_all(G, "get-all", json!({"customer-id": "user_123"}));
    expect(
        &r,
        "GET",
        "/usage/quota/all",
        json!({"customerId": "user_123"}),
        None,
    );
    assert_eq!(r.api, Api::V1);
    assert!(flag(G, "get", "customer-id").required);
    assert!(flag(G, "get-all", "customer-id").required);
}
