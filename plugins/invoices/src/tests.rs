//! The requests each action sends, checked against the API reference.

use super::plugin;
use commet_sdk::prelude::*;
use commet_sdk::schema::{ActionSchema, FlagSchema};

const GROUP: &str = "invoices";

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
            "create-adjustment",
            "get",
            "get-download-url",
            "list",
            "send",
            "update-status"
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
fn list_filters_and_paginates_in_the_query() {
    let r = send(
        "list",
        json!({"cursor": "cur_1", "limit": 25, "customer-id": "cus_1", "status": "paid", "subscription-id": "sub_1"}),
    );
    check(
        &r,
        "GET",
        "/invoices",
        json!({"cursor": "cur_1", "limit": 25, "customerId": "cus_1", "status": "paid", "subscriptionId": "sub_1"}),
        None,
    );
    let status = flag("list", "status");
    assert_eq!(
        status.values,
        ["draft", "outstanding", "paid", "void", "uncollectible"]
    );
}

#[test]
fn get_reads_one_invoice() {
    let r = send("get", json!({"id": "inv_1"}));
    check(&r, "GET", "/invoices/inv_1", json!({}), None);
}

#[test]
fn download_url_is_a_post() {
    let r = send(
        "get-download-url",
        json!({"id": "inv_1", "idempotency-key": "k1"}),
    );
    check(
        &r,
        "POST",
        "/invoices/inv_1/download-links",
        json!({}),
        Some(json!({})),
    );
    assert_eq!(r.idempotency_key.as_deref(), Some("k1"));
}

#[test]
fn send_posts_to_the_invoice() {
    let r = send("send", json!({"id": "inv_1"}));
    check(
        &r,
        "POST",
        "/invoices/inv_1/send",
        json!({}),
        Some(json!({})),
    );
    assert_eq!(r.idempotency_key, None);
}

#[test]
fn update_status_patches_the_status() {
    let r = send(
        "update-status",
        json!({"id": "inv_1", "status": "void", "idempotency-key": "k2"}),
    );
    check(
        &r,
        "PATCH",
        "/invoices/inv_1/status",
        json!({}),
        Some(json!({"status": "void"})),
    );
    assert_eq!(r.idempotency_key.as_deref(), Some("k2"));
    let status = flag("update-status", "status");
    assert!(status.required);
    assert_eq!(status.values, ["paid", "void"]);
}

#[test]
fn create_adjustment_posts_an_invoice() {
    let r = send(
        "create-adjustment",
        json!({"customer-id": "cus_1", "amount": -500, "description": "Courtesy credit", "metadata": {"po": "1"}, "idempotency-key": "k3"}),
    );
    check(
        &r,
        "POST",
        "/invoices",
        json!({}),
        Some(
            json!({"customerId": "cus_1", "amount": -500, "description": "Courtesy credit", "metadata": {"po": "1"}}),
        ),
    );
    assert_eq!(r.idempotency_key.as_deref(), Some("k3"));
    for name in ["customer-id", "amount", "description"] {
        assert!(flag("create-adjustment", name).required, "--{name}");
    }
    assert!(!flag("create-adjustment", "metadata").required);
}
