//! API keys, webhooks (with a real signed delivery), the customer portal.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;
use std::time::Duration;

use common::{start, wait_for};
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

#[test]
fn api_keys_lifecycle() {
    let env = start();
    let created = env
        .post("/api-keys", json!({ "name": "CI", "expiresInDays": 30 }))
        .ok();
    let secret = created["apiKey"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("ck_"));
    assert!(created["id"].as_str().unwrap().starts_with("key_"));
    assert_eq!(created["object"], "api_key");
    assert!(secret.starts_with(created["prefix"].as_str().unwrap()));
    assert!(created["expiresAt"].is_string());

    // The new key works, and listings never show secrets.
    env.get_as(&secret, "/customers").ok();
    let list = env.get("/api-keys").ok();
    let text = list.to_string();
    assert!(!text.contains(&secret));
    assert!(!text.contains(&env.key));
    assert_eq!(list["data"].as_array().unwrap().len(), 2);
    assert!(list["data"]
        .as_array()
        .unwrap()
        .iter()
        .all(|k| k.get("apiKey").is_none()));

    let d = env
        .delete(&format!("/api-keys/{}", created["id"].as_str().unwrap()))
        .ok();
    assert_eq!(d["deleted"], true);
    env.get_as(&secret, "/customers").err(401, "unauthorized");
    env.delete(&format!("/api-keys/{}", created["id"].as_str().unwrap()))
        .err(404, "api_key_not_found");
    env.post("/api-keys", json!({}))
        .err(400, "validation_error");
    env.post("/api-keys", json!({ "name": "x", "expiresInDays": 0 }))
        .err(400, "validation_error");

    // Another org cannot delete this org's keys.
    let (_, other) = env.other_org();
    let mine = env.post("/api-keys", json!({ "name": "mine" })).ok();
    env.req(
        "DELETE",
        &format!("/api/v1/api-keys/{}", mine["id"].as_str().unwrap()),
    )
    .key(Some(&other))
    .send()
    .err(404, "api_key_not_found");
}

#[test]
fn webhooks_crud() {
    let env = start();
    let w = env
        .post("/webhooks", json!({ "url": "https://example.com/hooks", "events": ["payment.received", "customer.created"] }))
        .ok();
    assert!(w["id"].as_str().unwrap().starts_with("whe_"));
    assert!(w["secretKey"].as_str().unwrap().starts_with("whsec_"));
    assert_eq!(w["isActive"], true);
    assert_eq!(w["object"], "webhook");
    let id = w["id"].as_str().unwrap();
    let got = env.get(&format!("/webhooks/{id}")).ok();
    assert!(got.get("secretKey").is_none());
    let u = env
        .patch(
            &format!("/webhooks/{id}"),
            json!({ "isActive": false, "events": ["invoice.created"], "description": "prod" }),
        )
        .ok();
    assert_eq!(u["isActive"], false);
    assert_eq!(u["events"], json!(["invoice.created"]));
    assert_eq!(u["description"], "prod");
    env.post(
        "/webhooks",
        json!({ "url": "ftp://x", "events": ["payment.received"] }),
    )
    .err(400, "validation_error");
    env.post(
        "/webhooks",
        json!({ "url": "https://x.com", "events": ["nope.event"] }),
    )
    .err(400, "validation_error");
    env.post("/webhooks", json!({ "url": "https://x.com", "events": [] }))
        .err(400, "validation_error");
    env.post("/webhooks", json!({ "url": "https://x.com" }))
        .err(400, "validation_error");
    assert_eq!(
        env.get("/webhooks").ok()["data"].as_array().unwrap().len(),
        1
    );
    let (_, other) = env.other_org();
    env.get_as(&other, &format!("/webhooks/{id}"))
        .err(404, "webhook_not_found");
    env.delete(&format!("/webhooks/{id}")).ok();
    env.get(&format!("/webhooks/{id}"))
        .err(404, "webhook_not_found");
    env.post(&format!("/webhooks/{id}/test"), json!({}))
        .err(404, "webhook_not_found");
}

/// Accepts one HTTP request and answers 200; sends `(head, body)`.
fn one_shot_receiver() -> (String, mpsc::Receiver<(String, String)>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hooks?src=test", listener.local_addr().unwrap());
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut data = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            let n = stream.read(&mut buf).unwrap_or(0);
            if n == 0 {
                break;
            }
            data.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&data).to_string();
            if let Some((head, body)) = text.split_once("\r\n\r\n") {
                let len = head
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().parse::<usize>().unwrap())
                    })
                    .unwrap_or(0);
                if body.len() >= len {
                    let _ = stream.write_all(
                        b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                    );
                    let _ = tx.send((head.to_owned(), body.to_owned()));
                    return;
                }
            }
        }
    });
    (url, rx)
}

#[test]
fn webhook_test_delivers_a_signed_event() {
    let env = start();
    let (url, rx) = one_shot_receiver();
    let w = env
        .post(
            "/webhooks",
            json!({ "url": url, "events": ["customer.created"] }),
        )
        .ok();
    let secret = w["secretKey"].as_str().unwrap().to_owned();
    let test = env
        .post(
            &format!("/webhooks/{}/test", w["id"].as_str().unwrap()),
            json!({}),
        )
        .ok();
    assert_eq!(test["success"], true);
    assert_eq!(test["object"], "webhook_delivery");
    let delivery_id = test["deliveryId"].as_str().unwrap().to_owned();

    let (head, body) = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("the endpoint receives the event");
    assert!(head.starts_with("POST /hooks?src=test HTTP/1.1"), "{head}");
    let header = |name: &str| {
        head.lines()
            .find_map(|l| {
                l.split_once(':')
                    .filter(|(k, _)| k.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v.trim().to_owned())
            })
            .unwrap_or_default()
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body.as_bytes());
    assert_eq!(
        header("x-commet-signature"),
        hex::encode(mac.finalize().into_bytes())
    );
    let event: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(header("x-commet-event-id"), event["id"].as_str().unwrap());
    assert!(event["id"].as_str().unwrap().starts_with("whev_"));
    assert_eq!(event["event"], "webhook.test");
    assert_eq!(event["mode"], "sandbox");
    assert_eq!(event["organizationId"], env.sandbox().org_id());

    let state = wait_for(Duration::from_secs(10), || {
        let d = env.sandbox().webhook_delivery(&delivery_id).unwrap()?;
        (d["status"] == "delivered").then_some(d)
    })
    .expect("delivery recorded as delivered");
    assert_eq!(state["responseStatus"], 200);
    assert_eq!(state["attempts"], 1);
}

#[test]
fn failed_deliveries_are_rescheduled() {
    let env = start();
    // A port nobody listens on.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let w = env
        .post(
            "/webhooks",
            json!({ "url": format!("http://127.0.0.1:{port}/"), "events": ["customer.created"] }),
        )
        .ok();
    let test = env
        .post(
            &format!("/webhooks/{}/test", w["id"].as_str().unwrap()),
            json!({}),
        )
        .ok();
    let id = test["deliveryId"].as_str().unwrap().to_owned();
    let state = wait_for(Duration::from_secs(10), || {
        let d = env.sandbox().webhook_delivery(&id).unwrap()?;
        (d["attempts"] == 1).then_some(d)
    })
    .expect("one attempt recorded");
    assert_eq!(state["status"], "pending", "retried later: {state}");
    assert!(state["lastError"].is_string());
}

#[test]
fn portal_sessions_serve_a_page() {
    let env = start();
    env.post(
        "/customers",
        json!({ "email": "jane@example.com", "fullName": "Jane <Doe>", "id": "jane",
                "address": { "line1": "1 Road", "city": "Lima", "postalCode": "15001", "country": "PE" } }),
    )
    .ok();
    env.post(
        "/customers/jane/credits",
        json!({ "amount": 1250, "currency": "usd", "reason": "Welcome" }),
    )
    .ok();
    let s = env
        .post(
            "/portal/sessions",
            json!({ "customerId": "jane", "returnUrl": "https://app.example.com" }),
        )
        .ok();
    assert_eq!(s["object"], "portal_session");
    let url = s["portalUrl"].as_str().unwrap();
    assert!(
        url.starts_with(&format!("{}/portal/tok_", env.url)),
        "{url}"
    );
    let by_email = env
        .post("/portal/sessions", json!({ "email": "JANE@example.com" }))
        .ok();
    assert_ne!(by_email["portalUrl"], s["portalUrl"]);

    let path = url.trim_start_matches(&env.url);
    let page = env.req("GET", path).key(None).send();
    assert_eq!(page.status, 200);
    assert!(page
        .header("content-type")
        .unwrap()
        .starts_with("text/html"));
    assert!(page.text.contains("jane@example.com"));
    assert!(page.text.contains("Jane &lt;Doe&gt;"), "names are escaped");
    assert!(page.text.contains("12.50 USD"));
    assert!(page.text.contains("https://app.example.com"));
    assert_eq!(
        env.req("GET", "/portal/tok_unknown")
            .key(None)
            .send()
            .status,
        404
    );

    env.post("/portal/sessions", json!({}))
        .err(400, "validation_error");
    env.post("/portal/sessions", json!({ "customerId": "ghost" }))
        .err(404, "customer_not_found");
    env.post("/portal/sessions", json!({ "email": "ghost@example.com" }))
        .err(404, "customer_not_found");
    let (_, other) = env.other_org();
    env.post_as(&other, "/portal/sessions", json!({ "customerId": "jane" }))
        .err(404, "customer_not_found");
}
