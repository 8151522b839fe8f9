//! Every action against operations.json and the seed CLI reference.

use commet_sdk::prelude::*;
use commet_sdk::schema::FlagKind;
commet_sdk::test_support!(crate::plugin);

const G: &str = "api-keys";

#[test]
fn schema_is_complete() {
    check_schema();
    assert_eq!(manifest().groups[0].aliases, vec!["api-key".to_owned()]);
}

#[test]
fn lists_every_action_of_both_sources() {
    assert_eq!(action_names(G), sorted(&["create", "list", "delete"]));
}

#[test]
fn create() {
    let r = call_all(
        G,
        "create",
        json!({"name": "Production", "expires-in-days": 365, "idempotency-key": "k1"}),
    );
    expect(
        &r,
        "POST",
        "/api-keys",
        json!({}),
        Some(json!({"name": "Production", "expiresInDays": 365})),
    );
    assert_eq!(r.idempotency_key.as_deref(), Some("k1"));
    assert_eq!(required(G, "create"), sorted(&["name"]));
    assert_kind(G, "create", "expires-in-days", FlagKind::Integer);
}

#[test]
fn list() {
    let r = call_all(G, "list", json!({"cursor": "cur_1", "limit": 25}));
    expect(
        &r,
        "GET",
        "/api-keys",
        json!({"cursor": "cur_1", "limit": 25}),
        None,
    );
    let r = call(G, "list", json!({}));
    expect(&r, "GET", "/api-keys", json!({}), None);
}

#[test]
fn delete() {
    let r = call_all(G, "delete", json!({"id": "key_1"}));
    expect(&r, "DELETE", "/api-keys/key_1", json!({}), None);
    assert_eq!(required(G, "delete"), sorted(&["id"]));
}
