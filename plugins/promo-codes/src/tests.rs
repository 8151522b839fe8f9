//! Every action against operations.json and the seed CLI reference.

use commet_sdk::prelude::*;
use commet_sdk::schema::FlagKind;
commet_sdk::test_support!(crate::plugin);

const G: &str = "promo-codes";

#[test]
fn schema_is_complete() {
    check_schema();
    assert_eq!(manifest().groups[0].aliases, vec!["promo-code".to_owned()]);
}

#[test]
fn lists_every_action_of_both_sources() {
    assert_eq!(
        action_names(G),
        sorted(&["create", "list", "get", "update"])
    );
}

#[test]
fn create() {
    let r = call_all(
        G,
        "create",
        json!({
            "code": "SUMMER25", "offer-id": "ofr_1", "discount-type": "percentage",
            "discount-value": 25, "duration-cycles": 3, "billing-interval": "monthly",
            "max-redemptions": 100, "expires-at": "2026-12-31", "plan-ids": ["pln_pro"],
            "idempotency-key": "k1"
        }),
    );
    expect(
        &r,
        "POST",
        "/promo-codes",
        json!({}),
        Some(json!({
            "code": "SUMMER25", "offerId": "ofr_1", "discountType": "percentage",
            "discountValue": 25, "durationCycles": 3, "billingInterval": "monthly",
            "maxRedemptions": 100, "expiresAt": "2026-12-31", "planIds": ["pln_pro"]
        })),
    );
    assert_eq!(r.idempotency_key.as_deref(), Some("k1"));
    // offerId (operations.json) or the seed's inline discount.
    assert_eq!(required(G, "create"), sorted(&["code"]));
    assert_eq!(
        action(G, "create").one_of,
        vec![
            vec!["code".to_owned(), "offer-id".to_owned()],
            vec![
                "code".to_owned(),
                "discount-type".to_owned(),
                "discount-value".to_owned()
            ],
        ]
    );
    assert_eq!(
        flag(G, "create", "discount-type").values,
        ["percentage", "amount"]
    );
    assert_kind(G, "create", "max-redemptions", FlagKind::Integer);
    assert_kind(G, "create", "expires-at", FlagKind::Date);
    assert_kind(G, "create", "plan-ids", FlagKind::JsonArray);

    let r = call(G, "create", json!({"code": "LAUNCH", "offer-id": "ofr_1"}));
    assert_eq!(r.body, Some(json!({"code": "LAUNCH", "offerId": "ofr_1"})));
}

#[test]
fn list_and_get() {
    let r = call_all(G, "list", json!({"cursor": "cur_1", "limit": 25}));
    expect(
        &r,
        "GET",
        "/promo-codes",
        json!({"cursor": "cur_1", "limit": 25}),
        None,
    );

    let r = call_all(G, "get", json!({"id": "prc_1"}));
    expect(&r, "GET", "/promo-codes/prc_1", json!({}), None);
}

#[test]
fn update() {
    let r = call_all(
        G,
        "update",
        json!({
            "id": "prc_1", "billing-interval": "yearly", "max-redemptions": 50,
            "expires-at": "2026-12-31", "active": false, "plan-ids": ["pln_pro"],
            "idempotency-key": "k2"
        }),
    );
    expect(
        &r,
        "PATCH",
        "/promo-codes/prc_1",
        json!({}),
        Some(json!({
            "billingInterval": "yearly", "maxRedemptions": 50, "expiresAt": "2026-12-31",
            "active": false, "planIds": ["pln_pro"]
        })),
    );
    assert_eq!(r.idempotency_key.as_deref(), Some("k2"));
    assert_eq!(required(G, "update"), sorted(&["id"]));
}
