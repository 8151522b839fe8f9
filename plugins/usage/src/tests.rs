//! The requests each action sends, checked against the API reference.

use super::plugin;
use commet_sdk::prelude::*;
use commet_sdk::schema::{ActionSchema, FlagSchema};

const GROUP: &str = "usage";

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
    assert_eq!(names, ["check", "set", "track"]);
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

#[test]
fn track_sends_a_value_event() {
    let r = send(
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
    check(
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
    assert_eq!(r.idempotency_key.as_deref(), Some("k1"));
}

#[test]
fn track_sends_a_token_event() {
    let r = send(
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
    check(
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
    assert_eq!(r.idempotency_key, None);
}

#[test]
fn track_names_the_feature_like_the_seed_and_the_api() {
    let f = flag("track", "feature");
    assert!(f.required);
    assert_eq!(f.aliases, vec!["feature-code".to_owned()]);
    for name in ["check", "set"] {
        let f = flag(name, "feature-code");
        assert!(f.required, "{name}");
        assert_eq!(f.aliases, vec!["feature".to_owned()], "{name}");
    }
    let t = action("track");
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
    assert!(!flag("track", "value").required);
    assert!(!flag("track", "model").required);
    // Both ways of deduplicating exist, and the help tells them apart.
    assert!(flag("track", "event-id").help.contains("not counted twice"));
    let key = flag("track", "idempotency-key");
    assert!(key.help.contains("Idempotency-Key") && key.help.contains("--event-id"));
}

#[test]
fn check_posts_the_quantity() {
    let r = send(
        "check",
        json!({"customer-id": "user_123", "feature-code": "api_calls", "quantity": 1, "idempotency-key": "k2"}),
    );
    check(
        &r,
        "POST",
        "/usage/check",
        json!({}),
        Some(json!({"customerId": "user_123", "featureCode": "api_calls", "quantity": 1})),
    );
    assert_eq!(r.idempotency_key.as_deref(), Some("k2"));
}

#[test]
fn set_puts_the_period_total() {
    let r = send(
        "set",
        json!({"customer-id": "user_123", "feature-code": "api_calls", "value": 1200, "reason": "dupes", "idempotency-key": "k3"}),
    );
    check(
        &r,
        "PUT",
        "/usage",
        json!({}),
        Some(
            json!({"customerId": "user_123", "featureCode": "api_calls", "value": 1200, "reason": "dupes"}),
        ),
    );
    assert_eq!(r.idempotency_key.as_deref(), Some("k3"));
    assert!(flag("set", "value").required);
}
