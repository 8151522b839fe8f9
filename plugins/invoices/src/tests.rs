//! The requests each action sends, checked against the API reference.

use commet_sdk::prelude::*;
commet_sdk::test_support!(crate::plugin);

const G: &str = "invoices";

#[test]
fn schema_is_complete() {
    check_schema();
    assert_eq!(manifest().groups.len(), 1);
}

#[test]
fn lists_every_action_of_the_reference() {
    assert_eq!(
        action_names(G),
        sorted(&[
            "create-adjustment",
            "get",
            "get-download-url",
            "list",
            "send",
            "update-status"
        ])
    );
}

#[test]
fn list_filters_and_paginates_in_the_query() {
    let r = call_all(
        G,
        "list",
        json!({"cursor": "cur_1", "limit": 25, "customer-id": "cus_1", "status": "paid", "subscription-id": "sub_1"}),
    );
    expect(
        &r,
        "GET",
        "/invoices",
        json!({"cursor": "cur_1", "limit": 25, "customerId": "cus_1", "status": "paid", "subscriptionId": "sub_1"}),
        None,
    );
    assert_eq!(r.api, Api::V1);
    let status = flag(G, "list", "status");
    assert_eq!(
        status.values,
        ["draft", "outstanding", "paid", "void", "uncollectible"]
    );
}

#[test]
fn get_reads_one_invoice() {
    let r = call_all(G, "get", json!({"id": "inv_1"}));
    expect(&r, "GET", "/invoices/inv_1", json!({}), None);
    assert_eq!(r.api, Api::V1);
}

#[test]
fn download_url_is_a_post() {
    let r = call_all(
        G,
        "get-download-url",
        json!({"id": "inv_1", "idempotency-key": "k1"}),
    );
    expect(
        &r,
        "POST",
        "/invoices/inv_1/download-links",
        json!({}),
        Some(json!({})),
    );
    assert_eq!(r.api, Api::V1);
    assert_eq!(r.idempotency_key.as_deref(), Some("k1"));
}

#[test]
fn send_posts_to_the_invoice() {
    let r = call(G, "send", json!({"id": "inv_1"}));
    expect(
        &r,
        "POST",
        "/invoices/inv_1/send",
        json!({}),
        Some(json!({})),
    );
    assert_eq!(r.api, Api::V1);
    assert_eq!(r.idempotency_key, None);
}

#[test]
fn update_status_patches_the_status() {
    let r = call_all(
        G,
        "update-status",
        json!({"id": "inv_1", "status": "void", "idempotency-key": "k2"}),
    );
    expect(
        &r,
        "PATCH",
        "/invoices/inv_1/status",
        json!({}),
        Some(json!({"status": "void"})),
    );
    assert_eq!(r.api, Api::V1);
    assert_eq!(r.idempotency_key.as_deref(), Some("k2"));
    let status = flag(G, "update-status", "status");
    assert!(status.required);
    assert_eq!(status.values, ["paid", "void"]);
}

#[test]
fn create_adjustment_posts_an_invoice() {
    let r = call_all(
        G,
        "create-adjustment",
        json!({"customer-id": "cus_1", "amount": -500, "description": "Courtesy credit", "metadata": {"po": "1"}, "idempotency-key": "k3"}),
    );
    expect(
        &r,
        "POST",
        "/invoices",
        json!({}),
        Some(
            json!({"customerId": "cus_1", "amount": -500, "description": "Courtesy credit", "metadata": {"po": "1"}}),
        ),
    );
    assert_eq!(r.api, Api::V1);
    assert_eq!(r.idempotency_key.as_deref(), Some("k3"));
    // --metadata and --idempotency-key are optional.
    assert_eq!(
        required(G, "create-adjustment"),
        sorted(&["customer-id", "amount", "description"])
    );
}
