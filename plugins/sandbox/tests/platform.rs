//! Conventions every endpoint shares: auth, errors, request ids, versions.

mod common;

use common::start;
use serde_json::json;

#[test]
fn health_and_request_ids() {
    let env = start();
    let r = env.req("GET", "/health").key(None).send();
    assert_eq!(r.status, 200);
    assert_eq!(r.body, json!({ "ok": true }));
    let id = r.header("x-request-id").unwrap().to_owned();
    assert!(id.starts_with("req_"), "{id}");
    let again = env.req("GET", "/health").key(None).send();
    assert_ne!(again.header("x-request-id").unwrap(), id);
    // Errors and unknown paths carry one too.
    let nf = env.req("GET", "/nope").key(None).send();
    assert_eq!(nf.status, 404);
    assert!(nf.header("x-request-id").unwrap().starts_with("req_"));
}

#[test]
fn missing_or_unknown_key_is_unauthorized() {
    let env = start();
    let r = env.req("GET", "/api/v1/customers").key(None).send();
    let body = r.err(401, "unauthorized");
    assert_eq!(body["error"]["type"], "authentication_error");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("x-api-key"));
    env.req("GET", "/api/v1/customers")
        .key(Some("ck_sandbox_doesnotexist"))
        .send()
        .err(401, "unauthorized");
    // Writes check the key before the body.
    env.req("POST", "/api/v1/customers")
        .key(None)
        .raw("{oops")
        .send()
        .err(401, "unauthorized");
}

#[test]
fn error_envelope_has_every_field() {
    let env = start();
    let body = env
        .get("/customers/cus_missing")
        .err(404, "customer_not_found");
    let e = &body["error"];
    assert_eq!(e["type"], "not_found_error");
    for field in ["type", "code", "message", "param", "details", "doc_url"] {
        assert!(e.get(field).is_some(), "missing {field}");
    }
    assert_eq!(e["param"], "id");
    assert!(e["doc_url"].as_str().unwrap().starts_with("https://"));
}

#[test]
fn unknown_paths_and_methods_answer_json_404() {
    let env = start();
    let body = env.get("/does-not-exist").err(404, "not_found");
    assert_eq!(body["error"]["type"], "not_found_error");
    env.req("PUT", "/api/v1/customers")
        .json(json!({}))
        .send()
        .err(404, "not_found");
}

#[test]
fn unparsable_body_is_invalid_json() {
    let env = start();
    let body = env
        .req("POST", "/api/v1/customers")
        .raw("{\"email\": ")
        .send()
        .err(400, "invalid_json");
    assert_eq!(body["error"]["type"], "validation_error");
    env.req("POST", "/api/v1/features")
        .raw("[1,2]")
        .send()
        .err(400, "validation_error");
}

#[test]
fn version_header_is_echoed_and_resolved() {
    let env = start();
    let r = env
        .req("GET", "/api/v1/features")
        .header("commet-version", "2026-07-31")
        .send();
    assert_eq!(r.header("commet-version"), Some("2026-07-31"));
    let r = env
        .req("GET", "/api/v1/features")
        .header("commet-version", "1999-01-01")
        .send();
    assert_eq!(r.header("commet-version"), Some("2026-07-31"));
    assert_eq!(r.body["object"], "list");
    let r = env.req("GET", "/api/v1/features").send();
    assert_eq!(r.header("commet-version"), Some("2026-07-31"));
}

#[test]
fn the_older_version_wraps_success_bodies() {
    let env = start();
    let created = env
        .req("POST", "/api/v1/customers")
        .header("commet-version", "2026-07-11")
        .json(json!({ "email": "old@example.com" }))
        .send();
    assert_eq!(created.header("commet-version"), Some("2026-07-11"));
    let body = created.ok();
    assert_eq!(body["success"], true);
    assert_eq!(body["data"]["object"], "customer");
    let list = env
        .req("GET", "/api/v1/customers")
        .header("commet-version", "2026-07-11")
        .send()
        .ok();
    assert_eq!(list["success"], true);
    assert!(list["data"].is_array());
    assert_eq!(list["hasMore"], false);
    // Errors keep the error envelope.
    let err = env
        .req("GET", "/api/v1/customers/nope")
        .header("commet-version", "2026-07-11")
        .send();
    err.err(404, "customer_not_found");
}

#[test]
fn resources_carry_object_livemode_and_timestamps() {
    let env = start();
    let c = env
        .post("/customers", json!({ "email": "a@example.com" }))
        .ok();
    assert!(c["id"].as_str().unwrap().starts_with("cus_"));
    assert_eq!(c["object"], "customer");
    assert_eq!(c["livemode"], false);
    for field in ["createdAt", "updatedAt"] {
        let ts = c[field].as_str().unwrap();
        assert!(
            chrono::DateTime::parse_from_rfc3339(ts).is_ok(),
            "{field}: {ts}"
        );
    }
}

#[test]
fn unsimulated_endpoints_say_so() {
    let env = start();
    env.get("/claim-link").err(404, "endpoint_not_available");
    env.req("GET", "/api/v1/subscriptions")
        .key(None)
        .send()
        .err(401, "unauthorized");
    let gone = env.post("/test-clock/process-billing", json!({}));
    gone.err(410, "endpoint_deprecated");
}

#[test]
fn payouts_are_refused_in_the_sandbox() {
    let env = start();
    for path in [
        "/payouts",
        "/payouts/bank-accounts",
        "/payouts/verification",
    ] {
        let body = env
            .post(path, json!({ "amount": 5000 }))
            .err(403, "payouts_not_available_in_sandbox");
        assert_eq!(body["error"]["type"], "authentication_error");
    }
}

#[test]
fn pagination_limits_are_validated() {
    let env = start();
    let body = env.get("/customers?limit=0").err(400, "validation_error");
    assert_eq!(body["error"]["details"][0]["field"], "limit");
    env.get("/customers?limit=101").err(400, "validation_error");
    env.get("/customers?cursor=garbage")
        .err(400, "validation_error");
    env.get("/customers?limit=100").ok();
}
