//! The requests each action sends, checked against the API reference.

use super::plugin;
use commet_sdk::prelude::*;
use commet_sdk::schema::{ActionSchema, FlagSchema};

const GROUP: &str = "webhooks";

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
    assert_eq!(names, ["create", "delete", "get", "list", "test", "update"]);
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
fn create_posts_the_endpoint() {
    let r = send(
        "create",
        json!({
            "url": "https://example.com/webhooks",
            "events": ["subscription.activated", "payment.received"],
            "description": "prod",
            "api-version": "2026-07-31",
            "idempotency-key": "k1"
        }),
    );
    check(
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
    assert_eq!(r.idempotency_key.as_deref(), Some("k1"));
    assert!(flag("create", "url").required);
    assert!(flag("create", "events").required);
}

#[test]
fn list_paginates_in_the_query() {
    let r = send("list", json!({"cursor": "cur_1", "limit": 25}));
    check(
        &r,
        "GET",
        "/webhooks",
        json!({"cursor": "cur_1", "limit": 25}),
        None,
    );
}

#[test]
fn get_reads_one_endpoint() {
    let r = send("get", json!({"id": "whe_1"}));
    check(&r, "GET", "/webhooks/whe_1", json!({}), None);
}

#[test]
fn update_patches_only_what_is_given() {
    let r = send(
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
    check(
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
    assert_eq!(r.idempotency_key.as_deref(), Some("k2"));
    let r = send("update", json!({"id": "whe_1", "is-active": true}));
    assert_eq!(r.body, Some(json!({"isActive": true})));
}

#[test]
fn delete_sends_no_body() {
    let r = send("delete", json!({"id": "whe_1"}));
    check(&r, "DELETE", "/webhooks/whe_1", json!({}), None);
    assert!(action("delete").writes);
}

#[test]
fn test_posts_to_the_endpoint() {
    let r = send("test", json!({"id": "whe_1", "idempotency-key": "k3"}));
    check(
        &r,
        "POST",
        "/webhooks/whe_1/test",
        json!({}),
        Some(json!({})),
    );
    assert_eq!(r.idempotency_key.as_deref(), Some("k3"));
}

#[test]
fn help_lists_the_event_types() {
    let long = action("create").long_about.unwrap_or_default();
    assert!(long.contains("payment.received") && long.contains("payout.failed"));
    assert_eq!(super::EVENT_TYPES.len(), 60);
}
