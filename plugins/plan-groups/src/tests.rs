//! Every action against operations.json and the seed CLI reference.

use commet_sdk::prelude::*;
use commet_sdk::schema::FlagKind;
commet_sdk::test_support!(crate::plugin);

const G: &str = "plan-groups";

#[test]
fn schema_is_complete() {
    check_schema();
    assert_eq!(manifest().groups[0].aliases, vec!["plan-group".to_owned()]);
}

#[test]
fn lists_every_action_of_both_sources() {
    assert_eq!(
        action_names(G),
        sorted(&[
            "create",
            "list",
            "get",
            "update",
            "delete",
            "add-plan",
            "remove-plan",
            "reorder-plans",
        ])
    );
}

#[test]
fn create() {
    let r = call_all(
        G,
        "create",
        json!({"name": "Main Plans", "description": "Primary tiers", "is-public": true, "idempotency-key": "k1"}),
    );
    expect(
        &r,
        "POST",
        "/plan-groups",
        json!({}),
        Some(json!({"name": "Main Plans", "description": "Primary tiers", "isPublic": true})),
    );
    assert_eq!(r.idempotency_key.as_deref(), Some("k1"));
    assert_eq!(required(G, "create"), sorted(&["name"]));
    assert_kind(G, "create", "is-public", FlagKind::Bool);
}

#[test]
fn list() {
    let r = call_all(G, "list", json!({"cursor": "cur_1", "limit": 25}));
    expect(
        &r,
        "GET",
        "/plan-groups",
        json!({"cursor": "cur_1", "limit": 25}),
        None,
    );
    let r = call(G, "list", json!({}));
    expect(&r, "GET", "/plan-groups", json!({}), None);
}

#[test]
fn get_update_delete() {
    let r = call_all(G, "get", json!({"id": "plg_1"}));
    expect(&r, "GET", "/plan-groups/plg_1", json!({}), None);

    let r = call_all(
        G,
        "update",
        json!({"id": "plg_1", "name": "Updated", "description": "New", "is-public": false, "idempotency-key": "k2"}),
    );
    expect(
        &r,
        "PATCH",
        "/plan-groups/plg_1",
        json!({}),
        Some(json!({"name": "Updated", "description": "New", "isPublic": false})),
    );
    assert_eq!(r.idempotency_key.as_deref(), Some("k2"));
    assert_eq!(required(G, "update"), sorted(&["id"]));

    let r = call_all(G, "delete", json!({"id": "plg_1"}));
    expect(&r, "DELETE", "/plan-groups/plg_1", json!({}), None);
}

#[test]
fn membership() {
    let r = call_all(
        G,
        "add-plan",
        json!({"id": "plg_1", "plan-id": "pln_1", "sort-order": 1, "idempotency-key": "k3"}),
    );
    expect(
        &r,
        "POST",
        "/plan-groups/plg_1/plans",
        json!({}),
        Some(json!({"planId": "pln_1", "sortOrder": 1})),
    );
    assert_eq!(r.idempotency_key.as_deref(), Some("k3"));
    assert_eq!(required(G, "add-plan"), sorted(&["id", "plan-id"]));
    assert_kind(G, "add-plan", "sort-order", FlagKind::Integer);

    let r = call_all(G, "remove-plan", json!({"id": "plg_1", "plan-id": "pln_1"}));
    expect(
        &r,
        "DELETE",
        "/plan-groups/plg_1/plans/pln_1",
        json!({}),
        None,
    );
    assert_eq!(required(G, "remove-plan"), sorted(&["id", "plan-id"]));

    let r = call_all(
        G,
        "reorder-plans",
        json!({"id": "plg_1", "plan-ids": ["pln_b", "pln_a"], "idempotency-key": "k4"}),
    );
    expect(
        &r,
        "PUT",
        "/plan-groups/plg_1/plans/reorder",
        json!({}),
        Some(json!({"planIds": ["pln_b", "pln_a"]})),
    );
    assert_eq!(r.idempotency_key.as_deref(), Some("k4"));
    assert_eq!(required(G, "reorder-plans"), sorted(&["id", "plan-ids"]));
    assert_kind(G, "reorder-plans", "plan-ids", FlagKind::JsonArray);
    assert!(fails(G, "remove-plan", json!({"id": "plg_1"})));
}
