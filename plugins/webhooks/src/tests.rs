//! The requests each action sends, checked against the API reference.

use commet_sdk::prelude::*;
commet_sdk::test_support!(crate::plugin);

const G: &str = "webhooks";

#[test]
fn schema_is_complete() {
    check_schema();
    assert_eq!(manifest().groups.len(), 1);
}

#[test]
fn lists_every_action_of_the_reference() {
    assert_eq!(
        action_names(G),
        sorted(&["create", "delete", "get", "list", "test", "update"])
    );
}

#[test]
fn create_posts_the_endpoint() {
    let r = call_all(
        G,
        "create",
        json!({
            "url": "https://example.com/webhooks",
            "events": ["subscription.activated", "payment.received"],
            "description": "prod",
            "api-version": "2026-07-31",
            "idempotency-key": "k1"
        }),
    );
    expect(
        &r,
        "POST",
        "/webhooks",
        json!({}),
        Some(json!({
            "url": "https://example.com/webhooks",
            "events": ["subscription.activated", "payment.received"],
            "description": "prod",
            "apiVersion": "2026-07-31"
        })),
    );
    assert_eq!(r.api, Api::V1);
    assert_eq!(r.idempotency_key.as_deref(), Some("k1"));
    assert!(flag(G, "create", "url").required);
    assert!(flag(G, "create", "events").required);
}

#[test]
fn list_paginates_in_the_query() {
    let r = call_all(G, "list", json!({"cursor": "cur_1", "limit": 25}));
    expect(
        &r,
        "GET",
        "/webhooks",
        json!({"cursor": "cur_1", "limit": 25}),
        None,
    );
    assert_eq!(r.api, Api::V1);
}

#[test]
fn get_reads_one_endpoint() {
    let r = call_all(G, "get", json!({"id": "whe_1"}));
    expect(&r, "GET", "/webhooks/whe_1", json!({}), None);
    assert_eq!(r.api, Api::V1);
}

#[test]
fn update_patches_only_what_is_given() {
    let r = call_all(
        G,
        "update",
        json!({
            "id": "whe_1",
            "url": "https://example.com/h2",
            "events": ["invoice.created"],
            "description": "d",
            "is-active": false,
            "api-version": "2026-07-31",
            "idempotency-key": "k2"
        }),
    );
    expect(
        &r,
        "PATCH",
        "/webhooks/whe_1",
        json!({}),
        Some(json!({
            "url": "https://example.com/h2",
            "events": ["invoice.created"],
            "description": "d",
            "isActive": false,
            "apiVersion": "2026-07-31"
        })),
    );
    assert_eq!(r.api, Api::V1);
    assert_eq!(r.idempotency_key.as_deref(), Some("k2"));
    let r = call(G, "update", json!({"id": "whe_1", "is-active": true}));
    assert_eq!(r.body, Some(json!({"isActive": true})));
}

#[test]
fn delete_sends_no_body() {
    let r = call_all(G, "delete", json!({"id": "whe_1"}));
    expect(&r, "DELETE", "/webhooks/whe_1", json!({}), None);
    assert_eq!(r.api, Api::V1);
    assert!(action(G, "delete").writes);
}

#[test]
fn test_posts_to_the_endpoint() {
    let r = call_all(G, "test", json!({"id": "whe_1", "idempotency-key": "k3"}));
    expect(
        &r,
        "POST",
        "/webhooks/whe_1/test",
        json!({}),
        Some(json!({})),
    );
    assert_eq!(r.api, Api::V1);
    assert_eq!(r.idempotency_key.as_deref(), Some("k3"));
}

#[test]
fn help_lists_the_event_types() {
    let long = action(G, "create").long_about.unwrap_or_default();
    assert!(long.contains("payment.received") && long.contains("payout.failed"));
    assert_eq!(super::EVENT_TYPES.len(), 60);
}
