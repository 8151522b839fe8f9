//! The requests each action sends, checked against the API reference.

use super::plugin;
use commet_sdk::prelude::*;
use commet_sdk::schema::{ActionSchema, FlagSchema};

const GROUP: &str = "payouts";

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
        ["add-bank-account", "complete-verification", "request"]
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
fn request_posts_the_amount() {
    let r = send(
        "request",
        json!({"amount": 50000, "description": "Weekly payout", "idempotency-key": "k1"}),
    );
    check(
        &r,
        "POST",
        "/payouts",
        json!({}),
        Some(json!({"amount": 50000, "description": "Weekly payout"})),
    );
    assert_eq!(r.idempotency_key.as_deref(), Some("k1"));
    assert!(flag("request", "amount").required);
}

#[test]
fn add_bank_account_posts_the_account() {
    let r = send(
        "add-bank-account",
        json!({
            "account-number": "000123456789",
            "account-holder-name": "Acme Inc.",
            "routing-number": "110000000",
            "account-type": "checking",
            "set-default": true,
            "idempotency-key": "k2"
        }),
    );
    check(
        &r,
        "POST",
        "/payouts/bank-accounts",
        json!({}),
        Some(json!({
            "accountNumber": "000123456789",
            "accountHolderName": "Acme Inc.",
            "routingNumber": "110000000",
            "accountType": "checking",
            "setDefault": true
        })),
    );
    assert_eq!(r.idempotency_key.as_deref(), Some("k2"));
    assert_eq!(
        flag("add-bank-account", "account-type").values,
        ["checking", "savings"]
    );
}

#[test]
fn complete_verification_sends_the_seed_fields_as_body() {
    let r = send(
        "complete-verification",
        json!({
            "email": "owner@acme.com",
            "business-type": "company",
            "business-url": "https://acme.com",
            "document-url": "https://files.acme.com/inc.pdf",
            "bank": {"accountNumber": "000123456789", "accountHolderName": "Acme Inc."},
            "company": {"name": "Acme Inc.", "taxId": "12-3456789"},
            "individual": {"firstName": "Ada"},
            "idempotency-key": "k3"
        }),
    );
    check(
        &r,
        "POST",
        "/payouts/verification",
        json!({}),
        Some(json!({
            "email": "owner@acme.com",
            "businessType": "company",
            "businessUrl": "https://acme.com",
            "documentUrl": "https://files.acme.com/inc.pdf",
            "bank": {"accountNumber": "000123456789", "accountHolderName": "Acme Inc."},
            "company": {"name": "Acme Inc.", "taxId": "12-3456789"},
            "individual": {"firstName": "Ada"}
        })),
    );
    assert_eq!(r.idempotency_key.as_deref(), Some("k3"));
    for name in [
        "email",
        "business-type",
        "business-url",
        "document-url",
        "bank",
    ] {
        assert!(flag("complete-verification", name).required, "--{name}");
    }
    for name in ["individual", "company"] {
        assert!(!flag("complete-verification", name).required, "--{name}");
    }
}
