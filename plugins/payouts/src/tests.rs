//! The requests each action sends, checked against the API reference.

use commet_sdk::prelude::*;
commet_sdk::test_support!(crate::plugin);

const G: &str = "payouts";

#[test]
fn schema_is_complete() {
    check_schema();
    assert_eq!(manifest().groups.len(), 1);
}

#[test]
fn lists_every_action_of_the_reference() {
    assert_eq!(
        action_names(G),
        sorted(&["add-bank-account", "complete-verification", "request"])
    );
}

#[test]
fn request_posts_the_amount() {
    let r = call_all(
        G,
        "request",
        json!({"amount": 50000, "description": "Weekly payout", "idempotency-key": "k1"}),
    );
    expect(
        &r,
        "POST",
        "/payouts",
        json!({}),
        Some(json!({"amount": 50000, "description": "Weekly payout"})),
    );
    assert_eq!(r.api, Api::V1);
    assert_eq!(r.idempotency_key.as_deref(), Some("k1"));
    assert!(flag(G, "request", "amount").required);
}

#[test]
fn add_bank_account_posts_the_account() {
    let r = call_all(
        G,
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
    expect(
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
    assert_eq!(r.api, Api::V1);
    assert_eq!(r.idempotency_key.as_deref(), Some("k2"));
    assert_eq!(
        flag(G, "add-bank-account", "account-type").values,
        ["checking", "savings"]
    );
}

#[test]
fn complete_verification_sends_the_seed_fields_as_body() {
    let r = call_all(
        G,
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
    expect(
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
    assert_eq!(r.api, Api::V1);
    assert_eq!(r.idempotency_key.as_deref(), Some("k3"));
    // --individual and --company are optional.
    assert_eq!(
        required(G, "complete-verification"),
        sorted(&[
            "email",
            "business-type",
            "business-url",
            "document-url",
            "bank"
        ])
    );
}
