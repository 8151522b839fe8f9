//! `/customers`.

mod common;

use std::collections::HashSet;

use common::start;
use serde_json::{json, Value};

#[test]
fn create_get_update() {
    let env = start();
    let c = env
        .post(
            "/customers",
            json!({
                "email": "billing@acme.com",
                "fullName": "Acme Corp",
                "externalId": "acme_1",
                "timezone": "Europe/Madrid",
                "metadata": { "plan": "enterprise" },
                "address": { "line1": "Main St 1", "city": "Madrid", "postalCode": "28001", "country": "ES" }
            }),
        )
        .ok();
    let id = c["id"].as_str().unwrap();
    assert_eq!(c["email"], "billing@acme.com");
    assert_eq!(c["externalId"], "acme_1");
    assert_eq!(c["metadata"]["plan"], "enterprise");
    assert_eq!(c["taxDocument"], Value::Null);

    // By cus_ id and by external id.
    assert_eq!(env.get(&format!("/customers/{id}")).ok()["id"], id);
    assert_eq!(env.get("/customers/acme_1").ok()["id"], id);

    let u = env
        .patch(
            "/customers/acme_1",
            json!({ "email": "new@acme.com", "fullName": null, "taxDocument": "B123" }),
        )
        .ok();
    assert_eq!(u["email"], "new@acme.com");
    assert_eq!(u["fullName"], Value::Null);
    assert_eq!(u["taxDocument"], "B123");
    assert_eq!(u["externalId"], "acme_1");
    assert_eq!(
        env.get(&format!("/customers/{id}")).ok()["email"],
        "new@acme.com"
    );
}

#[test]
fn creating_again_with_own_id_returns_the_existing_customer() {
    let env = start();
    let first = env
        .post(
            "/customers",
            json!({ "email": "u@example.com", "id": "user_123" }),
        )
        .ok();
    assert_eq!(first["externalId"], "user_123");
    let second = env.post(
        "/customers",
        json!({ "email": "other@example.com", "id": "user_123" }),
    );
    assert_eq!(second.status, 200);
    let second = second.ok();
    assert_eq!(second["id"], first["id"]);
    assert_eq!(second["email"], "u@example.com");
    let list = env.get("/customers").ok();
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    // A clashing externalId (not an own id) is a conflict.
    env.post(
        "/customers",
        json!({ "email": "x@example.com", "externalId": "user_123" }),
    )
    .err(409, "duplicate");
}

#[test]
fn validation_errors_list_every_field() {
    let env = start();
    let body = env
        .post("/customers", json!({ "email": "nope", "timezone": "Mars/Base", "metadata": [1], "address": { "city": "X" } }))
        .err(400, "validation_error");
    let fields: HashSet<String> = body["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["field"].as_str().unwrap().to_owned())
        .collect();
    for f in [
        "email",
        "timezone",
        "metadata",
        "address.line1",
        "address.postalCode",
        "address.country",
    ] {
        assert!(fields.contains(f), "missing {f} in {fields:?}");
    }
    let body = env
        .post("/customers", json!({}))
        .err(400, "validation_error");
    assert_eq!(
        body["error"]["details"][0],
        json!({ "field": "email", "message": "is required" })
    );
    env.post("/customers", json!({ "email": 42 }))
        .err(400, "validation_error");
    env.patch("/customers/nobody", json!({ "email": "a@b.co" }))
        .err(404, "customer_not_found");
}

#[test]
fn list_filters() {
    let env = start();
    env.post(
        "/customers",
        json!({ "email": "alice@acme.com", "fullName": "Alice Acme", "externalId": "a1" }),
    )
    .ok();
    env.post(
        "/customers",
        json!({ "email": "bob@example.com", "fullName": "Bob", "externalId": "b1" }),
    )
    .ok();
    let search = env.get("/customers?search=ACME").ok();
    assert_eq!(search["data"].as_array().unwrap().len(), 1);
    assert_eq!(search["data"][0]["externalId"], "a1");
    let by_ext = env.get("/customers?externalId=b1").ok();
    assert_eq!(by_ext["data"][0]["email"], "bob@example.com");
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let in_range = env
        .get(&format!("/customers?startDate={today}&endDate={today}"))
        .ok();
    assert_eq!(in_range["data"].as_array().unwrap().len(), 2);
    let future = env.get("/customers?startDate=2999-01-01").ok();
    assert_eq!(future["data"].as_array().unwrap().len(), 0);
    env.get("/customers?startDate=yesterday")
        .err(400, "validation_error");
}

#[test]
fn pagination_is_stable_under_inserts() {
    let env = start();
    for n in 0..7 {
        env.post(
            "/customers",
            json!({ "email": format!("c{n}@example.com") }),
        )
        .ok();
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &cursor {
            Some(c) => format!("/customers?limit=3&cursor={c}"),
            None => "/customers?limit=3".to_owned(),
        };
        let page = env.get(&path).ok();
        for c in page["data"].as_array().unwrap() {
            seen.push(c["email"].as_str().unwrap().to_owned());
        }
        // New customers created mid-iteration must not shift later pages.
        env.post(
            "/customers",
            json!({ "email": format!("late{pages}@example.com") }),
        )
        .ok();
        pages += 1;
        assert!(pages < 10, "pagination does not end");
        if page["hasMore"] == false {
            assert!(page.get("nextCursor").is_none());
            break;
        }
        cursor = Some(page["nextCursor"].as_str().unwrap().to_owned());
        assert!(cursor.as_deref().unwrap().starts_with("cur_"));
    }
    let expected: Vec<String> = (0..7).rev().map(|n| format!("c{n}@example.com")).collect();
    assert_eq!(
        seen, expected,
        "each original customer exactly once, newest first"
    );
    assert_eq!(
        env.get("/customers?limit=100").ok()["data"]
            .as_array()
            .unwrap()
            .len(),
        7 + pages
    );
    let default_page = env.get("/customers").ok();
    assert!(default_page["data"].as_array().unwrap().len() <= 25);
}

#[test]
fn other_organizations_see_nothing() {
    let env = start();
    let c = env
        .post(
            "/customers",
            json!({ "email": "mine@example.com", "externalId": "mine" }),
        )
        .ok();
    let (_, other) = env.other_org();
    env.get_as(&other, &format!("/customers/{}", c["id"].as_str().unwrap()))
        .err(404, "customer_not_found");
    env.get_as(&other, "/customers/mine")
        .err(404, "customer_not_found");
    assert_eq!(
        env.get_as(&other, "/customers").ok()["data"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    // The same external id is free in the other organization.
    env.post_as(
        &other,
        "/customers",
        json!({ "email": "theirs@example.com", "externalId": "mine" }),
    )
    .ok();
    assert_eq!(
        env.get("/customers").ok()["data"].as_array().unwrap().len(),
        1
    );
}

#[test]
fn batch_create() {
    let env = start();
    let body = env
        .post(
            "/customers/batch",
            json!({ "customers": [
                { "email": "a@co.com" },
                { "email": "broken" },
                { "email": "b@co.com", "externalId": "b" },
                "not an object"
            ]}),
        )
        .ok();
    assert_eq!(body["object"], "customer_batch");
    assert_eq!(body["successful"].as_array().unwrap().len(), 2);
    assert_eq!(body["successful"][1]["externalId"], "b");
    let failed = body["failed"].as_array().unwrap();
    assert_eq!(failed.len(), 2);
    assert_eq!(failed[0]["index"], 1);
    assert!(failed[0]["error"].as_str().unwrap().contains("email"));
    assert_eq!(failed[1]["index"], 3);

    let too_many: Vec<Value> = (0..101)
        .map(|n| json!({ "email": format!("u{n}@co.com") }))
        .collect();
    let err = env
        .post("/customers/batch", json!({ "customers": too_many }))
        .err(400, "validation_error");
    assert_eq!(err["error"]["details"][0]["field"], "customers");
    env.post("/customers/batch", json!({ "customers": [] }))
        .err(400, "validation_error");
    env.post("/customers/batch", json!({}))
        .err(400, "validation_error");
    let hundred: Vec<Value> = (0..100)
        .map(|n| json!({ "email": format!("h{n}@co.com") }))
        .collect();
    let ok = env
        .post("/customers/batch", json!({ "customers": hundred }))
        .ok();
    assert_eq!(ok["successful"].as_array().unwrap().len(), 100);
}

#[test]
fn credits() {
    let env = start();
    env.post(
        "/customers",
        json!({ "email": "c@example.com", "id": "u1" }),
    )
    .ok();
    let credit = env
        .post(
            "/customers/u1/credits",
            json!({ "amount": 500, "currency": "USD", "reason": "Courtesy" }),
        )
        .ok();
    assert!(credit["id"].as_str().unwrap().starts_with("crd_"));
    assert_eq!(credit["currency"], "usd");
    assert_eq!(credit["remainingAmount"], 500);
    assert_eq!(credit["source"], "api");
    assert_eq!(credit["object"], "customer_credit");
    let list = env.get("/customers/u1/credits").ok();
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    let revoked = env
        .post(
            &format!(
                "/customers/u1/credits/{}/revoke",
                credit["id"].as_str().unwrap()
            ),
            json!({}),
        )
        .ok();
    assert_eq!(revoked["remainingAmount"], 0);
    assert_eq!(revoked["revokedAmount"], 500);
    env.post("/customers/u1/credits/crd_nope/revoke", json!({}))
        .err(404, "not_found");
    let err = env
        .post(
            "/customers/u1/credits",
            json!({ "amount": 0, "currency": "xyz" }),
        )
        .err(400, "validation_error");
    assert_eq!(err["error"]["details"].as_array().unwrap().len(), 3);
    env.post(
        "/customers/ghost/credits",
        json!({ "amount": 1, "currency": "usd", "reason": "x" }),
    )
    .err(404, "customer_not_found");
    env.get("/customers/ghost/credits")
        .err(404, "customer_not_found");
}

#[test]
fn active_addons_is_an_empty_list_for_known_customers() {
    let env = start();
    env.post(
        "/customers",
        json!({ "email": "c@example.com", "id": "u1" }),
    )
    .ok();
    let list = env.get("/active-addons?customerId=u1").ok();
    assert_eq!(list["object"], "list");
    assert_eq!(list["data"], json!([]));
    env.get("/active-addons?customerId=ghost")
        .err(404, "customer_not_found");
    env.get("/active-addons").err(400, "validation_error");
}
