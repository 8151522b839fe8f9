//! Every action against operations.json and the seed CLI reference.

use commet_sdk::prelude::*;
use commet_sdk::schema::FlagKind;
commet_sdk::test_support!(crate::plugin);

const G: &str = "addons";

#[test]
fn schema_is_complete() {
    check_schema();
    assert_eq!(manifest().groups[0].aliases, vec!["addon".to_owned()]);
}

#[test]
fn lists_every_action_of_both_sources() {
    assert_eq!(
        action_names(G),
        sorted(&["create", "list", "get", "update", "delete", "list-active"])
    );
}

#[test]
fn create() {
    let r = call_all(
        G,
        "create",
        json!({
            "name": "Extra Storage", "description": "More GB", "base-price": 500,
            "feature-id": "ftr_1", "consumption-model": "metered", "included-units": 100,
            "overage-rate": 10, "credit-cost": 3, "idempotency-key": "k1"
        }),
    );
    expect(
        &r,
        "POST",
        "/addons",
        json!({}),
        Some(json!({
            "name": "Extra Storage", "description": "More GB", "basePrice": 500,
            "featureId": "ftr_1", "consumptionModel": "metered", "includedUnits": 100,
            "overageRate": 10, "creditCost": 3
        })),
    );
    assert_eq!(r.idempotency_key.as_deref(), Some("k1"));
    assert_eq!(
        required(G, "create"),
        sorted(&["name", "base-price", "feature-id", "consumption-model"])
    );
    let base = ["name", "base-price", "feature-id", "consumption-model"];
    let with = |extra: &[&str]| -> Vec<String> {
        base.iter().chain(extra).map(|s| (*s).to_owned()).collect()
    };
    assert_eq!(
        action(G, "create").one_of,
        vec![
            with(&[]),
            with(&["included-units", "overage-rate"]),
            with(&["credit-cost"]),
            with(&["overage-rate"]),
        ]
    );
    assert_eq!(
        flag(G, "create", "consumption-model").values,
        ["boolean", "metered", "credits", "balance"]
    );
    assert_kind(G, "create", "base-price", FlagKind::Number);
}

#[test]
fn list_get_update_delete() {
    let r = call_all(G, "list", json!({"cursor": "cur_1", "limit": 10}));
    expect(
        &r,
        "GET",
        "/addons",
        json!({"cursor": "cur_1", "limit": 10}),
        None,
    );

    let r = call_all(G, "get", json!({"id": "adn_1"}));
    expect(&r, "GET", "/addons/adn_1", json!({}), None);

    let r = call_all(
        G,
        "update",
        json!({
            "id": "adn_1", "name": "Extra Storage Pro", "description": "100GB extra",
            "base-price": 900, "included-units": 100, "overage-rate": 10, "idempotency-key": "k2"
        }),
    );
    expect(
        &r,
        "PATCH",
        "/addons/adn_1",
        json!({}),
        Some(json!({
            "name": "Extra Storage Pro", "description": "100GB extra", "basePrice": 900,
            "includedUnits": 100, "overageRate": 10
        })),
    );
    assert_eq!(r.idempotency_key.as_deref(), Some("k2"));
    assert_eq!(required(G, "update"), sorted(&["id"]));

    let r = call_all(G, "delete", json!({"id": "adn_1"}));
    expect(&r, "DELETE", "/addons/adn_1", json!({}), None);
}

#[test]
fn list_active() {
    let r = call_all(G, "list-active", json!({"customer-id": "user_123"}));
    expect(
        &r,
        "GET",
        "/active-addons",
        json!({"customerId": "user_123"}),
        None,
    );
    assert_eq!(required(G, "list-active"), sorted(&["customer-id"]));
}
