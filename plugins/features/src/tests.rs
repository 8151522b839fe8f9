//! Every action against operations.json and the seed CLI reference.

use commet_sdk::prelude::*;
use commet_sdk::schema::FlagKind;
commet_sdk::test_support!(crate::plugin);

const G: &str = "features";

#[test]
fn schema_is_complete() {
    check_schema();
    let m = manifest();
    assert_eq!(m.name, "features");
    assert_eq!(m.groups.len(), 1);
    assert_eq!(m.groups[0].aliases, vec!["feature".to_owned()]);
}

#[test]
fn lists_every_action_of_both_sources() {
    // operations.json: get, update, delete, list, create; the seed: the same five.
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
            "code": "api_calls", "name": "API Calls", "type": "usage",
            "description": "HTTP calls", "unit-name": "calls", "idempotency-key": "k1"
        }),
    );
    expect(
        &r,
        "POST",
        "/features",
        json!({}),
        Some(json!({
            "code": "api_calls", "name": "API Calls", "type": "usage",
            "description": "HTTP calls", "unitName": "calls"
        })),
    );
    assert_eq!(r.idempotency_key.as_deref(), Some("k1"));
    assert_eq!(required(G, "create"), sorted(&["code", "name", "type"]));
    let kind = flag(G, "create", "type");
    assert_eq!(kind.kind, FlagKind::Enum);
    assert_eq!(kind.values, ["boolean", "usage", "seats", "quota"]);

    let r = call(
        G,
        "create",
        json!({"code": "sso", "name": "SSO", "type": "boolean"}),
    );
    expect(
        &r,
        "POST",
        "/features",
        json!({}),
        Some(json!({"code": "sso", "name": "SSO", "type": "boolean"})),
    );
    assert_eq!(r.idempotency_key, None);
}

#[test]
fn list() {
    let r = call_all(G, "list", json!({}));
    expect(&r, "GET", "/features", json!({}), None);
}

#[test]
fn get() {
    let r = call_all(G, "get", json!({"code": "api_calls"}));
    expect(&r, "GET", "/features/api_calls", json!({}), None);
    assert_eq!(required(G, "get"), sorted(&["code"]));
}

#[test]
fn update() {
    let r = call_all(
        G,
        "update",
        json!({
            "code": "api_calls", "name": "API Requests", "description": "HTTP API calls",
            "unit-name": "requests", "idempotency-key": "k2"
        }),
    );
    expect(
        &r,
        "PATCH",
        "/features/api_calls",
        json!({}),
        Some(
            json!({"name": "API Requests", "description": "HTTP API calls", "unitName": "requests"}),
        ),
    );
    assert_eq!(r.idempotency_key.as_deref(), Some("k2"));
    assert_eq!(required(G, "update"), sorted(&["code"]));
}

#[test]
fn delete() {
    let r = call_all(G, "delete", json!({"code": "api_calls"}));
    expect(&r, "DELETE", "/features/api_calls", json!({}), None);
}

#[test]
fn path_parameters_are_encoded_and_required() {
    let r = call(G, "get", json!({"code": "a b/c"}));
    assert_eq!(r.path, "/features/a%20b%2Fc");
    assert!(fails(G, "get", json!({})));
}
