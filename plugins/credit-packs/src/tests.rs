//! Every action against operations.json and the seed CLI reference.

use commet_sdk::prelude::*;
use commet_sdk::schema::FlagKind;
commet_sdk::test_support!(crate::plugin);

const G: &str = "credit-packs";

#[test]
fn schema_is_complete() {
    check_schema();
    assert_eq!(manifest().groups[0].aliases, vec!["credit-pack".to_owned()]);
}

#[test]
fn lists_every_action_of_both_sources() {
    assert_eq!(
        action_names(G),
        sorted(&["create", "list", "update", "delete"])
    );
}

#[test]
fn create() {
    let r = call_all(
        G,
        "create",
        json!({
            "name": "500 Credits", "description": "Starter", "credits": 500, "price": 4900,
            "is-active": true, "idempotency-key": "k1"
        }),
    );
    expect(
        &r,
        "POST",
        "/credit-packs",
        json!({}),
        Some(json!({
            "name": "500 Credits", "description": "Starter", "credits": 500, "price": 4900,
            "isActive": true
        })),
    );
    assert_eq!(r.idempotency_key.as_deref(), Some("k1"));
    assert_eq!(required(G, "create"), sorted(&["name", "credits", "price"]));
    assert_kind(G, "create", "credits", FlagKind::Integer);
    assert_kind(G, "create", "price", FlagKind::Number);
    assert_kind(G, "create", "is-active", FlagKind::Bool);
}

#[test]
fn list() {
    let r = call_all(G, "list", json!({}));
    expect(&r, "GET", "/credit-packs", json!({}), None);
}

#[test]
fn update() {
    let r = call_all(
        G,
        "update",
        json!({
            "id": "cpk_1", "name": "Big", "description": "More", "credits": 1000,
            "price": 3900, "is-active": false, "idempotency-key": "k2"
        }),
    );
    expect(
        &r,
        "PATCH",
        "/credit-packs/cpk_1",
        json!({}),
        Some(
            json!({"name": "Big", "description": "More", "credits": 1000, "price": 3900, "isActive": false}),
        ),
    );
    assert_eq!(r.idempotency_key.as_deref(), Some("k2"));
    assert_eq!(required(G, "update"), sorted(&["id"]));
    let r = call(G, "update", json!({"id": "cpk_1", "price": 3900}));
    assert_eq!(r.body, Some(json!({"price": 3900})));
}

#[test]
fn delete() {
    let r = call_all(G, "delete", json!({"id": "cpk_1"}));
    expect(&r, "DELETE", "/credit-packs/cpk_1", json!({}), None);
}
