//! The requests each action sends, checked against the API reference.

use commet_sdk::prelude::*;
commet_sdk::test_support!(crate::plugin);

const G: &str = "usage";

#[test]
fn schema_is_complete() {
    check_schema();
    assert_eq!(manifest().groups.len(), 1);
}

#[test]
fn lists_every_action_of_the_reference() {
    assert_eq!(action_names(G), sorted(&["check", "set", "track"]));
}

#[test]
fn track_sends_a_value_event() {
    let r = call(
        G,
        "track",
        json!({
            "feature": "api_calls",
            "customer-id": "user_123",
            "value": 1,
            "event-id": "req_1",
            "timestamp": "2026-07-01T00:00:00Z",
            "properties": [{"property": "region", "value": "eu"}],
            "idempotency-key": "k1"
        }),
    );
    expect(
        &r,
        "POST",
        "/usage/events",
        json!({}),
        Some(json!({
            "featureCode": "api_calls",
            "customerId": "user_123",
            "value": 1,
            "eventId": "req_1",
            "timestamp": "2026-07-01T00:00:00Z",
            "properties": [{"property": "region", "value": "eu"}]
        })),
    );
    assert_eq!(r.api, Api::V1);
    assert_eq!(r.idempotency_key.as_deref(), Some("k1"));
}

#[test]
fn track_sends_a_token_event() {
    let r = call(
        G,
        "track",
        json!({
            "feature": "gpt-4o",
            "customer-id": "user_123",
            "model": "gpt-4o",
            "input-tokens": 500,
            "output-tokens": 150,
            "cache-read-tokens": 200,
            "cache-write-tokens": 50
        }),
    );
    expect(
        &r,
        "POST",
        "/usage/events",
        json!({}),
        Some(json!({
            "featureCode": "gpt-4o",
            "customerId": "user_123",
            "model": "gpt-4o",
            "inputTokens": 500,
            "outputTokens": 150,
            "cacheReadTokens": 200,
            "cacheWriteTokens": 50
        })),
    );
    assert_eq!(r.api, Api::V1);
    assert_eq!(r.idempotency_key, None);
}

#[test]
fn track_names_the_feature_like_the_seed_and_the_api() {
    let f = flag(G, "track", "feature");
    assert!(f.required);
    assert_eq!(f.aliases, vec!["feature-code".to_owned()]);
    for name in ["check", "set"] {
        let f = flag(G, name, "feature-code");
        assert!(f.required, "{name}");
        assert_eq!(f.aliases, vec!["feature".to_owned()], "{name}");
    }
    let t = action(G, "track");
    assert_eq!(
        t.one_of,
        vec![
            vec!["value".to_owned()],
            vec![
                "model".to_owned(),
                "input-tokens".to_owned(),
                "output-tokens".to_owned()
            ],
        ]
    );
    assert!(!flag(G, "track", "value").required);
    assert!(!flag(G, "track", "model").required);
    // Both ways of deduplicating exist, and the help tells them apart.
    assert!(flag(G, "track", "event-id")
        .help
        .contains("not counted twice"));
    let key = flag(G, "track", "idempotency-key");
    assert!(key.help.contains("Idempotency-Key") && key.help.contains("--event-id"));
}

#[test]
fn check_posts_the_quantity() {
    let r = call_all(
        G,
        "check",
        json!({"customer-id": "user_123", "feature-code": "api_calls", "quantity": 1, "idempotency-key": "k2"}),
    );
    expect(
        &r,
        "POST",
        "/usage/check",
        json!({}),
        Some(json!({"customerId": "user_123", "featureCode": "api_calls", "quantity": 1})),
    );
    assert_eq!(r.api, Api::V1);
    assert_eq!(r.idempotency_key.as_deref(), Some("k2"));
}

#[test]
fn set_puts_the_period_total() {
    let r = call_all(
        G,
        "set",
        json!({"customer-id": "user_123", "feature-code": "api_calls", "value": 1200, "reason": "dupes", "idempotency-key": "k3"}),
    );
    expect(
        &r,
        "PUT",
        "/usage",
        json!({}),
        Some(
            json!({"customerId": "user_123", "featureCode": "api_calls", "value": 1200, "reason": "dupes"}),
        ),
    );
    assert_eq!(r.api, Api::V1);
    assert_eq!(r.idempotency_key.as_deref(), Some("k3"));
    assert!(flag(G, "set", "value").required);
}
