//! The requests each action sends, checked against the API reference.

use super::plugin;
use commet_sdk::prelude::*;
use commet_sdk::schema::{ActionSchema, FlagSchema};

const GROUP: &str = "feature-access";

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
    assert_eq!(names, ["can-use", "get", "list"]);
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
fn list_asks_for_one_customer() {
    let r = send("list", json!({"customer-id": "user_123"}));
    check(
        &r,
        "GET",
        "/feature-access",
        json!({"customerId": "user_123"}),
        None,
    );
    assert!(flag("list", "customer-id").required);
}

#[test]
fn get_puts_the_code_in_the_path() {
    let r = send(
        "get",
        json!({"customer-id": "user_123", "code": "api_calls"}),
    );
    check(
        &r,
        "GET",
        "/feature-access/api_calls",
        json!({"customerId": "user_123"}),
        None,
    );
    let r = send("get", json!({"customer-id": "user 1", "code": "a/b"}));
    assert_eq!(r.path, "/feature-access/a%2Fb");
    assert_eq!(r.query.get("customerId"), Some(&json!("user 1")));
}

#[test]
fn can_use_adds_the_action_constant() {
    let r = send(
        "can-use",
        json!({"customer-id": "user_123", "code": "api_calls"}),
    );
    check(
        &r,
        "GET",
        "/feature-access/api_calls",
        json!({"action": "canUse", "customerId": "user_123"}),
        None,
    );
    assert!(flag("can-use", "code").required);
    assert!(flag("can-use", "customer-id").required);
    assert!(!action("can-use").writes);
}

#[test]
fn a_missing_code_is_a_usage_error() {
    let err = plugin()
        .dry_run(GROUP, "get", json!({"customer-id": "user_123"}))
        .unwrap_err();
    assert!(err.to_string().contains("{code}"), "{err}");
}
