//! The requests each action sends, checked against the API reference.

use super::plugin;
use commet_sdk::prelude::*;
use commet_sdk::schema::{ActionSchema, FlagSchema};

const GROUP: &str = "seats";

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
    assert_eq!(
        names,
        [
            "add",
            "get-all-balances",
            "get-balance",
            "remove",
            "set",
            "set-all"
        ]
    );
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
fn add_posts_the_count() {
    let r = send(
        "add",
        json!({"customer-id": "user_123", "feature-code": "team_member", "count": 5, "idempotency-key": "k1"}),
    );
    check(
        &r,
        "POST",
        "/seats",
        json!({}),
        Some(json!({"customerId": "user_123", "featureCode": "team_member", "count": 5})),
    );
    assert_eq!(r.idempotency_key.as_deref(), Some("k1"));
}

#[test]
fn add_and_remove_default_to_one_seat() {
    for name in ["add", "remove"] {
        let count = flag(name, "count");
        assert_eq!(count.default, Some(json!(1)), "{name}");
        assert!(!count.required, "{name}");
    }
    assert!(flag("set", "count").required);
    assert_eq!(flag("set", "count").default, None);
    // dry_run leaves defaults to the host.
    let r = send("add", json!({"customer-id": "c", "feature-code": "f"}));
    assert_eq!(r.body, Some(json!({"customerId": "c", "featureCode": "f"})));
    assert_eq!(r.idempotency_key, None);
}

#[test]
fn remove_posts_to_the_remove_path() {
    let r = send(
        "remove",
        json!({"customer-id": "user_123", "feature-code": "team_member", "count": 2}),
    );
    check(
        &r,
        "POST",
        "/seats/remove",
        json!({}),
        Some(json!({"customerId": "user_123", "featureCode": "team_member", "count": 2})),
    );
}

#[test]
fn set_puts_the_exact_count() {
    let r = send(
        "set",
        json!({"customer-id": "user_123", "feature-code": "team_member", "count": 10, "idempotency-key": "k2"}),
    );
    check(
        &r,
        "PUT",
        "/seats",
        json!({}),
        Some(json!({"customerId": "user_123", "featureCode": "team_member", "count": 10})),
    );
    assert_eq!(r.idempotency_key.as_deref(), Some("k2"));
}

#[test]
fn set_all_puts_the_map() {
    let r = send(
        "set-all",
        json!({"customer-id": "user_123", "seats": {"team_member": 5, "admin": 2}, "idempotency-key": "k3"}),
    );
    check(
        &r,
        "PUT",
        "/seats/bulk",
        json!({}),
        Some(json!({"customerId": "user_123", "seats": {"team_member": 5, "admin": 2}})),
    );
    assert_eq!(r.idempotency_key.as_deref(), Some("k3"));
    assert!(flag("set-all", "seats").required);
}

#[test]
fn balances_are_read_with_query_parameters() {
    let r = send(
        "get-balance",
        json!({"customer-id": "user_123", "feature-code": "team_member"}),
    );
    check(
        &r,
        "GET",
        "/seats/balance",
        json!({"customerId": "user_123", "featureCode": "team_member"}),
        None,
    );
    let r = send("get-all-balances", json!({"customer-id": "user_123"}));
    check(
        &r,
        "GET",
        "/seats/balances",
        json!({"customerId": "user_123"}),
        None,
    );
    assert!(!action("get-balance").writes);
    assert!(action("set-all").writes);
}
