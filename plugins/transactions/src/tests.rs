//! The requests each action sends, checked against the API reference.

use commet_sdk::prelude::*;
commet_sdk::test_support!(crate::plugin);

const G: &str = "transactions";

#[test]
fn schema_is_complete() {
    check_schema();
    assert_eq!(manifest().groups.len(), 1);
}

#[test]
fn lists_every_action_of_the_reference() {
    assert_eq!(action_names(G), sorted(&["get", "list", "refund", "retry"]));
}

#[test]
fn list_filters_and_paginates_in_the_query() {
    let r = call_all(
        G,
        "list",
        json!({"cursor": "cur_1", "limit": 20, "status": "succeeded", "customer-email": "user@acme.com"}),
    );
    expect(
        &r,
        "GET",
        "/transactions",
        json!({"cursor": "cur_1", "limit": 20, "status": "succeeded", "customerEmail": "user@acme.com"}),
        None,
    );
    assert_eq!(r.api, Api::V1);
    assert_eq!(
        flag(G, "list", "status").values,
        ["pending", "succeeded", "failed", "refunded", "disputed"]
    );
}

#[test]
fn get_reads_one_transaction() {
    let r = call_all(G, "get", json!({"id": "txn_1"}));
    expect(&r, "GET", "/transactions/txn_1", json!({}), None);
    assert_eq!(r.api, Api::V1);
}

#[test]
fn refund_and_retry_post_to_the_transaction() {
    let r = call_all(G, "refund", json!({"id": "txn_1", "idempotency-key": "k1"}));
    expect(
        &r,
        "POST",
        "/transactions/txn_1/refund",
        json!({}),
        Some(json!({})),
    );
    assert_eq!(r.api, Api::V1);
    assert_eq!(r.idempotency_key.as_deref(), Some("k1"));
    let r = call_all(G, "retry", json!({"id": "txn_1", "idempotency-key": "k2"}));
    expect(
        &r,
        "POST",
        "/transactions/txn_1/retry",
        json!({}),
        Some(json!({})),
    );
    assert_eq!(r.api, Api::V1);
    assert_eq!(r.idempotency_key.as_deref(), Some("k2"));
    assert!(action(G, "refund").writes && action(G, "retry").writes);
}
