//! The requests each action sends, checked against the API reference.

use super::plugin;
use commet_sdk::prelude::*;
use commet_sdk::schema::{ActionSchema, FlagSchema};

const GROUP: &str = "payments";

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
    assert_eq!(names, ["cancel", "charge", "create", "get", "list"]);
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
        json!({"cursor": "cur_1", "limit": 10, "customer-id": "user_123"}),
    );
    check(
        &r,
        "GET",
        "/payments",
        json!({"cursor": "cur_1", "limit": 10, "customerId": "user_123"}),
        None,
    );
}

#[test]
fn get_reads_one_payment() {
    let r = send("get", json!({"id": "pay_1"}));
    check(&r, "GET", "/payments/pay_1", json!({}), None);
}

#[test]
fn create_posts_a_payment_link() {
    let r = send(
        "create",
        json!({
            "amount": 4900,
            "currency": "usd",
            "customer-id": "user_123",
            "description": "Setup fee",
            "success-url": "https://acme.com/thanks",
            "metadata": {"orderId": "A-1"},
            "idempotency-key": "k1"
        }),
    );
    check(
        &r,
        "POST",
        "/payments",
        json!({}),
        Some(json!({
            "amount": 4900,
            "currency": "usd",
            "customerId": "user_123",
            "description": "Setup fee",
            "successUrl": "https://acme.com/thanks",
            "metadata": {"orderId": "A-1"}
        })),
    );
    assert_eq!(r.idempotency_key.as_deref(), Some("k1"));
    for name in ["amount", "currency", "description"] {
        assert!(flag("create", name).required, "--{name}");
    }
    assert!(!flag("create", "customer-id").required);
}

#[test]
fn charge_posts_to_the_charge_path() {
    let r = send(
        "charge",
        json!({"customer-id": "user_123", "amount": 2500, "currency": "eur", "description": "Report", "idempotency-key": "k2"}),
    );
    check(
        &r,
        "POST",
        "/payments/charge",
        json!({}),
        Some(
            json!({"customerId": "user_123", "amount": 2500, "currency": "eur", "description": "Report"}),
        ),
    );
    assert_eq!(r.idempotency_key.as_deref(), Some("k2"));
    for name in ["customer-id", "amount", "currency", "description"] {
        assert!(flag("charge", name).required, "--{name}");
    }
}

#[test]
fn cancel_posts_to_the_payment() {
    let r = send("cancel", json!({"id": "pay_1", "idempotency-key": "k3"}));
    check(
        &r,
        "POST",
        "/payments/pay_1/cancel",
        json!({}),
        Some(json!({})),
    );
    assert_eq!(r.idempotency_key.as_deref(), Some("k3"));
}
