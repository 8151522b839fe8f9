//! Every action against operations.json (offers are not in the seed).

use commet_sdk::prelude::*;
use commet_sdk::schema::FlagKind;
commet_sdk::test_support!(crate::plugin);

const G: &str = "offers";

#[test]
fn schema_is_complete() {
    check_schema();
    assert_eq!(manifest().groups[0].aliases, vec!["offer".to_owned()]);
}

#[test]
fn lists_every_action_of_both_sources() {
    assert_eq!(
        action_names(G),
        sorted(&["create", "list", "get", "update", "delete"])
    );
}

fn phases() -> Value {
    json!([
        {"type": "free_trial", "durationDays": 14},
        {"type": "percentage", "percentage": 5000, "durationCycles": null}
    ])
}

#[test]
fn create() {
    let r = call_all(
        G,
        "create",
        json!({
            "name": "Launch", "phases": phases(), "metadata": {"c": "x"},
            "starts-at": "2026-01-01T00:00:00Z", "ends-at": "2026-12-31T23:59:59Z",
            "active": true, "idempotency-key": "k1"
        }),
    );
    expect(
        &r,
        "POST",
        "/offers",
        json!({}),
        Some(json!({
            "name": "Launch", "phases": phases(), "metadata": {"c": "x"},
            "startsAt": "2026-01-01T00:00:00Z", "endsAt": "2026-12-31T23:59:59Z", "active": true
        })),
    );
    assert_eq!(r.idempotency_key.as_deref(), Some("k1"));
    assert_eq!(required(G, "create"), sorted(&["name", "phases"]));
    assert_kind(G, "create", "phases", FlagKind::JsonArray);
    assert_kind(G, "create", "starts-at", FlagKind::DateTime);
    assert_kind(G, "create", "active", FlagKind::Bool);
}

#[test]
fn list() {
    let r = call_all(
        G,
        "list",
        json!({"cursor": "cur_1", "limit": 5, "active": false}),
    );
    expect(
        &r,
        "GET",
        "/offers",
        json!({"cursor": "cur_1", "limit": 5, "active": false}),
        None,
    );
}

#[test]
fn get_update_delete() {
    let r = call_all(G, "get", json!({"id": "ofr_1"}));
    expect(&r, "GET", "/offers/ofr_1", json!({}), None);

    let r = call_all(
        G,
        "update",
        json!({
            "id": "ofr_1", "name": "Half off", "phases": phases(), "metadata": {},
            "starts-at": "2026-02-01T00:00:00Z", "ends-at": "2026-03-01T00:00:00Z",
            "active": false, "idempotency-key": "k2"
        }),
    );
    expect(
        &r,
        "PATCH",
        "/offers/ofr_1",
        json!({}),
        Some(json!({
            "name": "Half off", "phases": phases(), "metadata": {},
            "startsAt": "2026-02-01T00:00:00Z", "endsAt": "2026-03-01T00:00:00Z", "active": false
        })),
    );
    assert_eq!(r.idempotency_key.as_deref(), Some("k2"));
    assert_eq!(required(G, "update"), sorted(&["id", "name", "phases"]));

    let r = call_all(G, "delete", json!({"id": "ofr_1"}));
    expect(&r, "DELETE", "/offers/ofr_1", json!({}), None);
}
