//! `Idempotency-Key` on writes.

mod common;

use std::sync::Arc;

use common::{agent, send, start};
use serde_json::json;

#[test]
fn same_key_same_body_replays() {
    let env = start();
    let body = json!({ "email": "once@example.com", "fullName": "Once" });
    let first = env
        .req("POST", "/api/v1/customers")
        .idem("key-1")
        .json(body.clone())
        .send();
    assert_eq!(first.status, 200);
    assert!(first.header("idempotent-replayed").is_none());
    // Key order does not matter.
    let reordered = json!({ "fullName": "Once", "email": "once@example.com" });
    let second = env
        .req("POST", "/api/v1/customers")
        .idem("key-1")
        .json(reordered)
        .send();
    assert_eq!(second.status, 200);
    assert_eq!(second.header("idempotent-replayed"), Some("true"));
    assert_eq!(second.body, first.body);
    assert_ne!(second.header("x-request-id"), first.header("x-request-id"));
    assert_eq!(
        env.get("/customers").ok()["data"].as_array().unwrap().len(),
        1
    );
}

#[test]
fn same_key_different_body_is_a_mismatch() {
    let env = start();
    env.req("POST", "/api/v1/customers")
        .idem("k")
        .json(json!({ "email": "a@example.com" }))
        .send()
        .ok();
    let body = env
        .req("POST", "/api/v1/customers")
        .idem("k")
        .json(json!({ "email": "b@example.com" }))
        .send()
        .err(409, "idempotency_key_mismatch");
    assert_eq!(body["error"]["type"], "conflict_error");
    // Same body on another endpoint is a different request too.
    env.req("POST", "/api/v1/features")
        .idem("k")
        .json(json!({ "email": "a@example.com" }))
        .send()
        .err(409, "idempotency_key_mismatch");
    assert_eq!(
        env.get("/customers").ok()["data"].as_array().unwrap().len(),
        1
    );
}

#[test]
fn keys_are_scoped_per_organization() {
    let env = start();
    let (_, other) = env.other_org();
    let a = env
        .req("POST", "/api/v1/customers")
        .idem("shared")
        .json(json!({ "email": "a@example.com" }))
        .send()
        .ok();
    let b = env
        .req("POST", "/api/v1/customers")
        .key(Some(&other))
        .idem("shared")
        .json(json!({ "email": "a@example.com" }))
        .send()
        .ok();
    assert_ne!(a["id"], b["id"]);
}

#[test]
fn failures_are_not_stored() {
    let env = start();
    env.req("POST", "/api/v1/customers/ghost/credits")
        .idem("retry-me")
        .json(json!({ "amount": 1, "currency": "usd", "reason": "x" }))
        .send()
        .err(404, "customer_not_found");
    env.post(
        "/customers",
        json!({ "email": "g@example.com", "id": "ghost" }),
    )
    .ok();
    let ok = env
        .req("POST", "/api/v1/customers/ghost/credits")
        .idem("retry-me")
        .json(json!({ "amount": 1, "currency": "usd", "reason": "x" }))
        .send();
    assert_eq!(ok.status, 200, "{}", ok.text);
    env.req("POST", "/api/v1/customers")
        .idem("")
        .json(json!({ "email": "x@example.com" }))
        .send()
        .err(400, "validation_error");
}

#[test]
fn concurrent_duplicates_write_once() {
    let env = start();
    let url = Arc::new(env.url.clone());
    let key = Arc::new(env.key.clone());
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let (url, key) = (url.clone(), key.clone());
            std::thread::spawn(move || {
                let headers = vec![("Idempotency-Key".to_owned(), "burst".to_owned())];
                let body = json!({ "code": "api_calls", "name": "API calls", "type": "usage" })
                    .to_string();
                send(
                    &agent(),
                    &url,
                    "POST",
                    "/api/v1/features",
                    Some(&key),
                    &headers,
                    Some(body),
                )
                .unwrap()
            })
        })
        .collect();
    let results: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    let ids: Vec<_> = results
        .iter()
        .map(|r| {
            assert_eq!(r.status, 200, "{}", r.text);
            r.body["id"].clone()
        })
        .collect();
    assert!(
        ids.iter().all(|id| id == &ids[0]),
        "every caller sees the same feature"
    );
    assert_eq!(
        results
            .iter()
            .filter(|r| r.header("idempotent-replayed").is_none())
            .count(),
        1
    );
    assert_eq!(
        env.get("/features").ok()["data"].as_array().unwrap().len(),
        1
    );
}

#[test]
fn cli_writes_honour_keys_too() {
    let env = start();
    let body = json!({ "organizationId": "local", "name": "project" });
    let a = env
        .req("POST", "/api/cli/api-keys")
        .idem("cli-1")
        .json(body.clone())
        .send()
        .ok();
    let b = env
        .req("POST", "/api/cli/api-keys")
        .idem("cli-1")
        .json(body)
        .send()
        .ok();
    assert_eq!(a["apiKey"], b["apiKey"]);
}
