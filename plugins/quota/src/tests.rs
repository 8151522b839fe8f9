//! The requests each action sends, checked against the API reference.

use super::plugin;
use commet_sdk::prelude::*;
use commet_sdk::schema::{ActionSchema, FlagSchema};

const GROUP: &str = "quota";

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
    assert_eq!(names, ["add", "get", "get-all", "remove", "set"]);
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
fn add_accepts_either_customer_identifier() {
    let r = send(
        "add",
        json!({"feature-code": "api_calls", "customer-id": "user_123", "count": 100, "idempotency-key": "k1"}),
    );
    check(
        &r,
        "POST",
        "/usage/quota",
        json!({}),
        Some(json!({"featureCode": "api_calls", "customerId": "user_123", "count": 100})),
    );
    assert_eq!(r.idempotency_key.as_deref(), Some("k1"));
    let r = send(
        "add",
        json!({"feature-code": "api_calls", "external-id": "acct_42"}),
    );
    check(
        &r,
        "POST",
        "/usage/quota",
        json!({}),
        Some(json!({"featureCode": "api_calls", "externalId": "acct_42"})),
    );
    assert_eq!(r.idempotency_key, None);
}

#[test]
fn add_and_remove_default_to_one_unit() {
    for name in ["add", "remove"] {
        let count = flag(name, "count");
        assert_eq!(count.default, Some(json!(1)), "{name}");
        assert!(!count.required, "{name}");
    }
    assert!(flag("set", "count").required);
}

#[test]
fn customer_identifiers_are_alternatives() {
    for name in ["add", "remove"] {
        let a = action(name);
        assert_eq!(
            a.one_of,
            vec![
                vec!["feature-code".to_owned(), "customer-id".to_owned()],
                vec!["feature-code".to_owned(), "external-id".to_owned()],
            ],
            "{name}"
        );
        assert!(flag(name, "feature-code").required);
        assert!(!flag(name, "customer-id").required);
        assert!(!flag(name, "external-id").required);
    }
    assert_eq!(
        action("set").one_of,
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
    let r = send(
        "remove",
        json!({"feature-code": "api_calls", "customer-id": "user_123", "count": 10, "idempotency-key": "k2"}),
    );
    check(
        &r,
        "POST",
        "/usage/quota/remove",
        json!({}),
        Some(json!({"featureCode": "api_calls", "customerId": "user_123", "count": 10})),
    );
    assert_eq!(r.idempotency_key.as_deref(), Some("k2"));
}

#[test]
fn set_puts_the_exact_allowance() {
    let r = send(
        "set",
        json!({"feature-code": "api_calls", "external-id": "acct_42", "count": 500, "idempotency-key": "k3"}),
    );
    check(
        &r,
        "PUT",
        "/usage/quota",
        json!({}),
        Some(json!({"featureCode": "api_calls", "externalId": "acct_42", "count": 500})),
    );
    assert_eq!(r.idempotency_key.as_deref(), Some("k3"));
}

#[test]
fn reads_use_query_parameters() {
    let r = send(
        "get",
        json!({"customer-id": "user_123", "feature-code": "api_calls"}),
    );
    check(
        &r,
        "GET",
        "/usage/quota",
        json!({"customerId": "user_123", "featureCode": "api_calls"}),
        None,
    );
    let r = send("get-all", json!({"customer-id": "user_123"}));
    check(
        &r,
        "GET",
        "/usage/quota/all",
        json!({"customerId": "user_123"}),
        None,
    );
    assert!(flag("get", "customer-id").required);
    assert!(flag("get-all", "customer-id").required);
}
