//! Every action against operations.json (markets are not in the seed).

use commet_sdk::prelude::*;
use commet_sdk::schema::FlagKind;
commet_sdk::test_support!(crate::plugin);

const G: &str = "markets";

#[test]
fn schema_is_complete() {
    check_schema();
    assert_eq!(manifest().groups[0].aliases, vec!["market".to_owned()]);
}

#[test]
fn lists_every_action_of_both_sources() {
    assert_eq!(
        action_names(G),
        sorted(&["create", "list", "get", "update", "delete"])
    );
}

#[test]
fn create() {
    let r = call_all(
        G,
        "create",
        json!({
            "name": "Europe", "country-codes": ["DE", "FR"], "metadata": {"region": "eu"},
            "idempotency-key": "k1"
        }),
    );
    expect(
        &r,
        "POST",
        "/markets",
        json!({}),
        Some(json!({"name": "Europe", "countryCodes": ["DE", "FR"], "metadata": {"region": "eu"}})),
    );
    assert_eq!(r.idempotency_key.as_deref(), Some("k1"));
    assert_eq!(required(G, "create"), sorted(&["name", "country-codes"]));
    assert_kind(G, "create", "country-codes", FlagKind::JsonArray);
    assert_kind(G, "create", "metadata", FlagKind::JsonObject);
}

#[test]
fn list_and_get() {
    let r = call_all(G, "list", json!({}));
    expect(&r, "GET", "/markets", json!({}), None);
    let r = call_all(G, "get", json!({"id": "pmg_1"}));
    expect(&r, "GET", "/markets/pmg_1", json!({}), None);
}

#[test]
fn update() {
    let r = call_all(
        G,
        "update",
        json!({
            "id": "pmg_1", "name": "Western Europe", "country-codes": ["DE"],
            "metadata": {}, "idempotency-key": "k2"
        }),
    );
    expect(
        &r,
        "PATCH",
        "/markets/pmg_1",
        json!({}),
        Some(json!({"name": "Western Europe", "countryCodes": ["DE"], "metadata": {}})),
    );
    assert_eq!(r.idempotency_key.as_deref(), Some("k2"));
    // operations.json requires name and countryCodes on update too.
    assert_eq!(
        required(G, "update"),
        sorted(&["id", "name", "country-codes"])
    );
}

#[test]
fn delete() {
    let r = call_all(G, "delete", json!({"id": "pmg_1"}));
    expect(&r, "DELETE", "/markets/pmg_1", json!({}), None);
}
