//! The requests each action sends, checked against the API reference.

use super::plugin;
use commet_sdk::prelude::*;
use commet_sdk::schema::{ActionSchema, FlagSchema};

const GROUP: &str = "transactions";

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
    assert_eq!(names, ["get", "list", "refund", "retry"]);
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
fn list_filters_and_paginates_in_the_query() {
    let r = send(
        "list",
        json!({"cursor": "cur_1", "limit": 20, "status": "succeeded", "customer-email": "user@acme.com"}),
    );
    check(
        &r,
        "GET",
        "/transactions",
        json!({"cursor": "cur_1", "limit": 20, "status": "succeeded", "customerEmail": "user@acme.com"}),
        None,
    );
    assert_eq!(
        flag("list", "status").values,
        ["pending", "succeeded", "failed", "refunded", "disputed"]
    );
}

#[test]
fn get_reads_one_transaction() {
    let r = send("get", json!({"id": "txn_1"}));
    check(&r, "GET", "/transactions/txn_1", json!({}), None);
}

#[test]
fn refund_and_retry_post_to_the_transaction() {
    let r = send("refund", json!({"id": "txn_1", "idempotency-key": "k1"}));
    check(
        &r,
        "POST",
        "/transactions/txn_1/refund",
        json!({}),
        Some(json!({})),
    );
    assert_eq!(r.idempotency_key.as_deref(), Some("k1"));
    let r = send("retry", json!({"id": "txn_1", "idempotency-key": "k2"}));
    check(
        &r,
        "POST",
        "/transactions/txn_1/retry",
        json!({}),
        Some(json!({})),
    );
    assert_eq!(r.idempotency_key.as_deref(), Some("k2"));
    assert!(action("refund").writes && action("retry").writes);
}
