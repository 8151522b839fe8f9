//! Every action against operations.json and the seed CLI reference.

use commet_sdk::prelude::*;
use commet_sdk::schema::FlagKind;
commet_sdk::test_support!(crate::plugin);

const G: &str = "plans";

#[test]
fn schema_is_complete() {
    check_schema();
    assert_eq!(manifest().groups[0].aliases, vec!["plan".to_owned()]);
}

#[test]
fn lists_every_action_of_both_sources() {
    // The seed's fifteen plus set-regional-pricing from operations.json.
    assert_eq!(
        action_names(G),
        sorted(&[
            "create",
            "list",
            "get",
            "update",
            "delete",
            "set-visibility",
            "add-feature",
            "update-feature",
            "remove-feature",
            "add-price",
            "update-price",
            "delete-price",
            "set-default-price",
            "set-regional-prices",
            "delete-regional-prices",
            "set-regional-pricing",
        ])
    );
}

#[test]
fn seed_plan_id_is_primary_and_ops_id_an_alias() {
    for a in [
        "add-feature",
        "update-feature",
        "remove-feature",
        "add-price",
        "update-price",
        "delete-price",
        "set-default-price",
        "set-regional-prices",
        "delete-regional-prices",
    ] {
        assert_alias(G, a, "plan-id", "id");
        assert!(flag(G, a, "plan-id").required, "{a}");
    }
    assert_alias(G, "set-regional-pricing", "id", "plan-id");
}

#[test]
fn create() {
    let r = call_all(
        G,
        "create",
        json!({
            "name": "Developer", "code": "developer", "description": "For builders",
            "consumption-model": "metered", "is-public": true, "is-free": false,
            "block-on-exhaustion": true, "plan-group-id": "plg_1",
            "metadata": {"tier": 2}, "idempotency-key": "k1"
        }),
    );
    expect(
        &r,
        "POST",
        "/plans",
        json!({}),
        Some(json!({
            "name": "Developer", "code": "developer", "description": "For builders",
            "consumptionModel": "metered", "isPublic": true, "isFree": false,
            "blockOnExhaustion": true, "planGroupId": "plg_1", "metadata": {"tier": 2}
        })),
    );
    assert_eq!(r.idempotency_key.as_deref(), Some("k1"));
    assert_eq!(required(G, "create"), sorted(&["name", "code"]));
    assert_eq!(
        flag(G, "create", "consumption-model").values,
        ["metered", "credits", "balance"]
    );
    assert_kind(G, "create", "is-public", FlagKind::Bool);
    assert_kind(G, "create", "metadata", FlagKind::JsonObject);
}

#[test]
fn list() {
    let r = call_all(
        G,
        "list",
        json!({"include-private": true, "cursor": "cur_1", "limit": 25}),
    );
    expect(
        &r,
        "GET",
        "/plans",
        json!({"includePrivate": true, "cursor": "cur_1", "limit": 25}),
        None,
    );
    assert_kind(G, "list", "limit", FlagKind::Integer);
    let r = call(G, "list", json!({}));
    expect(&r, "GET", "/plans", json!({}), None);
}

#[test]
fn get_update_delete() {
    let r = call_all(G, "get", json!({"id": "pro"}));
    expect(&r, "GET", "/plans/pro", json!({}), None);

    let r = call_all(
        G,
        "update",
        json!({
            "id": "pln_1", "name": "Pro Plus", "description": "For growing teams",
            "metadata": {}, "is-public": true, "idempotency-key": "k2"
        }),
    );
    expect(
        &r,
        "PATCH",
        "/plans/pln_1",
        json!({}),
        Some(
            json!({"name": "Pro Plus", "description": "For growing teams", "metadata": {}, "isPublic": true}),
        ),
    );
    assert_eq!(r.idempotency_key.as_deref(), Some("k2"));
    assert_eq!(required(G, "update"), sorted(&["id"]));

    let r = call_all(G, "delete", json!({"id": "pln_1"}));
    expect(&r, "DELETE", "/plans/pln_1", json!({}), None);
}

#[test]
fn set_visibility() {
    let r = call_all(
        G,
        "set-visibility",
        json!({"id": "pln_1", "is-public": false, "idempotency-key": "k3"}),
    );
    expect(
        &r,
        "PUT",
        "/plans/pln_1/visibility",
        json!({}),
        Some(json!({"isPublic": false})),
    );
    assert_eq!(r.idempotency_key.as_deref(), Some("k3"));
    assert_eq!(required(G, "set-visibility"), sorted(&["id", "is-public"]));
}

#[test]
fn add_feature_with_seed_overage_flags() {
    let r = call_all(
        G,
        "add-feature",
        json!({
            "plan-id": "pln_1", "feature-id": "ftr_1", "enabled": true, "included-amount": 1000,
            "unlimited": false, "overage": {"enabled": false, "unitPrice": 5},
            "overage-enabled": true, "overage-unit-price": 100, "credits-per-unit": 2,
            "pricing-mode": "fixed", "margin": 30, "idempotency-key": "k4"
        }),
    );
    // Dotted seed flags merge into --overage and win over its fields.
    expect(
        &r,
        "POST",
        "/plans/pln_1/features",
        json!({}),
        Some(json!({
            "featureId": "ftr_1", "enabled": true, "includedAmount": 1000, "unlimited": false,
            "overage": {"enabled": true, "unitPrice": 100}, "creditsPerUnit": 2,
            "pricingMode": "fixed", "margin": 30
        })),
    );
    assert_eq!(r.idempotency_key.as_deref(), Some("k4"));
    assert_eq!(
        required(G, "add-feature"),
        sorted(&["plan-id", "feature-id"])
    );
    assert_eq!(
        flag(G, "add-feature", "pricing-mode").values,
        ["fixed", "ai_model"]
    );

    let r = call(
        G,
        "add-feature",
        json!({"plan-id": "pln_1", "feature-id": "ftr_1", "overage-unit-price": 100}),
    );
    assert_eq!(
        r.body,
        Some(json!({"featureId": "ftr_1", "overage": {"unitPrice": 100}}))
    );

    let r = call(
        G,
        "add-feature",
        json!({"plan-id": "pln_1", "feature-id": "ftr_1", "overage": {"enabled": true, "unitPrice": 7}}),
    );
    assert_eq!(
        r.body,
        Some(json!({"featureId": "ftr_1", "overage": {"enabled": true, "unitPrice": 7}}))
    );
}

#[test]
fn update_and_remove_feature() {
    let r = call_all(
        G,
        "update-feature",
        json!({
            "plan-id": "pln_1", "feature-id": "ftr_1", "enabled": true, "included-amount": 2000,
            "unlimited": true, "overage": {"enabled": false}, "overage-enabled": true,
            "overage-unit-price": 50, "credits-per-unit": 1.5, "idempotency-key": "k5"
        }),
    );
    expect(
        &r,
        "PATCH",
        "/plans/pln_1/features/ftr_1",
        json!({}),
        Some(json!({
            "enabled": true, "includedAmount": 2000, "unlimited": true,
            "overage": {"enabled": true, "unitPrice": 50}, "creditsPerUnit": 1.5
        })),
    );
    assert_eq!(r.idempotency_key.as_deref(), Some("k5"));
    assert_eq!(
        required(G, "update-feature"),
        sorted(&["plan-id", "feature-id"])
    );

    let r = call_all(
        G,
        "remove-feature",
        json!({"plan-id": "pln_1", "feature-id": "ftr_1"}),
    );
    expect(&r, "DELETE", "/plans/pln_1/features/ftr_1", json!({}), None);
}

#[test]
fn add_price_with_intro_offer() {
    let r = call_all(
        G,
        "add-price",
        json!({
            "plan-id": "pln_1", "billing-interval": "yearly", "price": 29000, "trial-days": 14,
            "is-default": true, "included-balance": 500, "included-credits": 1000,
            "metadata": {"a": 1},
            "market-prices": [{"marketGroupId": "pmg_1", "currency": "eur", "price": 2700}],
            "inherits-from-price-id": "pp_0",
            "intro-offer-enabled": true, "intro-offer-discount-type": "percentage",
            "intro-offer-discount-value": 50, "intro-offer-duration-cycles": 3,
            "idempotency-key": "k6"
        }),
    );
    expect(
        &r,
        "POST",
        "/plans/pln_1/prices",
        json!({}),
        Some(json!({
            "billingInterval": "yearly", "price": 29000, "trialDays": 14, "isDefault": true,
            "includedBalance": 500, "includedCredits": 1000, "metadata": {"a": 1},
            "marketPrices": [{"marketGroupId": "pmg_1", "currency": "eur", "price": 2700}],
            "inheritsFromPriceId": "pp_0",
            "introOffer": {"enabled": true, "discountType": "percentage", "discountValue": 50, "durationCycles": 3}
        })),
    );
    assert_eq!(r.idempotency_key.as_deref(), Some("k6"));
    // billingInterval is in both of operations.json's alternatives.
    assert_eq!(
        required(G, "add-price"),
        sorted(&["plan-id", "billing-interval"])
    );
    assert_eq!(
        action(G, "add-price").one_of,
        vec![
            vec!["billing-interval".to_owned(), "price".to_owned()],
            vec![
                "billing-interval".to_owned(),
                "inherits-from-price-id".to_owned(),
                "market-prices".to_owned()
            ],
        ]
    );
    assert_eq!(
        flag(G, "add-price", "billing-interval").values,
        ["weekly", "monthly", "quarterly", "yearly", "one_time"]
    );
    assert_eq!(
        flag(G, "add-price", "intro-offer-discount-type").values,
        ["percentage", "amount"]
    );
    assert_kind(G, "add-price", "price", FlagKind::Number);
    assert_kind(G, "add-price", "trial-days", FlagKind::Integer);
    assert_kind(G, "add-price", "market-prices", FlagKind::JsonArray);

    let r = call(
        G,
        "add-price",
        json!({"plan-id": "pln_1", "billing-interval": "monthly", "price": 2900}),
    );
    assert_eq!(
        r.body,
        Some(json!({"billingInterval": "monthly", "price": 2900}))
    );
}

#[test]
fn update_delete_and_default_price() {
    let r = call_all(
        G,
        "update-price",
        json!({
            "plan-id": "pln_1", "price-id": "pp_1", "price": 3900, "is-default": false,
            "trial-days": 7, "included-balance": 100, "included-credits": 10,
            "metadata": {"b": true},
            "market-prices": [{"marketGroupId": "pmg_2", "currency": "brl", "price": 14900}],
            "idempotency-key": "k7"
        }),
    );
    expect(
        &r,
        "PATCH",
        "/plans/pln_1/prices/pp_1",
        json!({}),
        Some(json!({
            "price": 3900, "isDefault": false, "trialDays": 7, "includedBalance": 100,
            "includedCredits": 10, "metadata": {"b": true},
            "marketPrices": [{"marketGroupId": "pmg_2", "currency": "brl", "price": 14900}]
        })),
    );
    assert_eq!(r.idempotency_key.as_deref(), Some("k7"));
    assert_eq!(
        required(G, "update-price"),
        sorted(&["plan-id", "price-id"])
    );

    let r = call_all(
        G,
        "delete-price",
        json!({"plan-id": "pln_1", "price-id": "pp_1"}),
    );
    expect(&r, "DELETE", "/plans/pln_1/prices/pp_1", json!({}), None);

    let r = call_all(
        G,
        "set-default-price",
        json!({"plan-id": "pln_1", "price-id": "pp_1", "idempotency-key": "k8"}),
    );
    expect(
        &r,
        "PUT",
        "/plans/pln_1/prices/pp_1/default",
        json!({}),
        Some(json!({})),
    );
    assert_eq!(r.idempotency_key.as_deref(), Some("k8"));
}

#[test]
fn regional_prices() {
    let overrides = json!([{"currency": "EUR", "price": 2700}, {"currency": "BRL", "price": 14900, "includedBalance": 10}]);
    let r = call_all(
        G,
        "set-regional-prices",
        json!({"plan-id": "pln_1", "price-id": "pp_1", "overrides": overrides, "idempotency-key": "k9"}),
    );
    expect(
        &r,
        "PUT",
        "/plans/pln_1/prices/pp_1/regional",
        json!({}),
        Some(json!({"overrides": overrides})),
    );
    assert_eq!(r.idempotency_key.as_deref(), Some("k9"));
    assert_eq!(
        required(G, "set-regional-prices"),
        sorted(&["plan-id", "price-id", "overrides"])
    );

    let r = call_all(
        G,
        "delete-regional-prices",
        json!({"plan-id": "pln_1", "price-id": "pp_1"}),
    );
    expect(
        &r,
        "DELETE",
        "/plans/pln_1/prices/pp_1/regional",
        json!({}),
        None,
    );
}

#[test]
fn set_regional_pricing() {
    let r = call_all(
        G,
        "set-regional-pricing",
        json!({
            "id": "pln_1", "currency": "eur", "exchange-rate": 0.92,
            "prices": [{"priceId": "pp_1", "price": 2700}],
            "features": [{"featureId": "ftr_1", "overageUnitPrice": 90}],
            "idempotency-key": "k10"
        }),
    );
    expect(
        &r,
        "PUT",
        "/plans/pln_1/regional",
        json!({}),
        Some(json!({
            "currency": "eur", "exchangeRate": 0.92,
            "prices": [{"priceId": "pp_1", "price": 2700}],
            "features": [{"featureId": "ftr_1", "overageUnitPrice": 90}]
        })),
    );
    assert_eq!(r.idempotency_key.as_deref(), Some("k10"));
    assert_eq!(
        required(G, "set-regional-pricing"),
        sorted(&["id", "currency", "exchange-rate"])
    );
    let currency = flag(G, "set-regional-pricing", "currency");
    assert_eq!(currency.values.len(), 20);
    assert!(currency.values.iter().any(|c| c == "thb"));
}

#[test]
fn missing_path_parameters_fail() {
    assert!(fails(G, "update-price", json!({"plan-id": "pln_1"})));
    assert!(fails(G, "add-feature", json!({"feature-id": "ftr_1"})));
}
