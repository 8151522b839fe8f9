//! Fixtures of the billing tests: catalog setup, the test clock, checkout,
//! event inspection, and a webhook receiver that checks signatures with an
//! HMAC computed here (not the server's code).
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;
use std::time::Duration;

use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

use crate::common::Env;

/// Freezes the org's clock at an instant (fresh sandboxes run on real time).
pub fn freeze(env: &Env, at: &str) -> Value {
    let r = env.post("/test-clock", json!({ "frozenTime": at }));
    assert_eq!(r.status, 202, "{}", r.text);
    r.body
}

pub fn advance(env: &Env, days: i64) -> Value {
    let r = env.post("/test-clock", json!({ "advanceDays": days }));
    assert_eq!(r.status, 202, "{}", r.text);
    r.body
}

pub fn feature(env: &Env, code: &str, kind: &str) -> Value {
    env.post(
        "/features",
        json!({ "code": code, "name": code.replace('_', " "), "type": kind }),
    )
    .ok()
}

pub fn group(env: &Env) -> String {
    env.post("/plan-groups", json!({ "name": "Main" })).ok()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A plan with one price; returns `(plan id, price id)`.
pub fn plan(env: &Env, code: &str, price: i64, interval: &str, extra: Value) -> (String, String) {
    let mut body = json!({ "code": code, "name": code.to_uppercase() });
    if let Some(obj) = extra.as_object() {
        for (k, v) in obj {
            body[k] = v.clone();
        }
    }
    let p = env.post("/plans", body).ok();
    let id = p["id"].as_str().unwrap().to_owned();
    let pr = env
        .post(
            &format!("/plans/{id}/prices"),
            json!({ "billingInterval": interval, "price": price }),
        )
        .ok();
    (id, pr["id"].as_str().unwrap().to_owned())
}

pub fn price(env: &Env, plan: &str, body: Value) -> String {
    env.post(&format!("/plans/{plan}/prices"), body).ok()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

pub fn free_plan(env: &Env, code: &str) -> String {
    env.post(
        "/plans",
        json!({ "code": code, "name": code.to_uppercase(), "isFree": true }),
    )
    .ok()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

pub fn add_feature(env: &Env, plan: &str, feature: &str, settings: Value) {
    let mut body = json!({ "featureId": feature });
    if let Some(obj) = settings.as_object() {
        for (k, v) in obj {
            body[k] = v.clone();
        }
    }
    env.post(&format!("/plans/{plan}/features"), body).ok();
}

pub fn customer(env: &Env, external: &str) -> String {
    env.post(
        "/customers",
        json!({ "email": format!("{external}@example.com"), "externalId": external, "fullName": external }),
    )
    .ok()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

pub fn subscribe(env: &Env, customer: &str, plan: &str) -> Value {
    env.post(
        "/subscriptions",
        json!({ "customerId": customer, "planId": plan }),
    )
    .ok()
}

/// A subscription with a custom trial of `days` (its checkout still open).
pub fn subscribe_trial(env: &Env, customer: &str, plan: &str, days: i64) -> Value {
    env.post(
        "/subscriptions",
        json!({ "customerId": customer, "planId": plan, "customTrialDays": days }),
    )
    .ok()
}

/// The subscription's current `status`.
pub fn sub_status(env: &Env, id: &str) -> Value {
    env.get(&format!("/subscriptions/{id}")).ok()["status"].clone()
}

/// Completes the subscription's open checkout through the JSON endpoint.
pub fn pay(env: &Env, sub: &str, card: &str) -> crate::common::Resp {
    env.req("POST", &format!("/sandbox/checkout/{sub}"))
        .json(json!({ "card": card }))
        .send()
}

/// A paid, active subscription on a fresh customer.
pub fn active_sub(env: &Env, external: &str, plan: &str, card: &str) -> Value {
    let c = customer(env, external);
    let s = subscribe(env, &c, plan);
    assert_eq!(s["status"], "pending_payment");
    let id = s["id"].as_str().unwrap().to_owned();
    pay(env, &id, card).ok();
    env.get(&format!("/subscriptions/{id}")).ok()
}

/// Events of one type, oldest first.
pub fn events(env: &Env, kind: &str) -> Vec<Value> {
    let mut list: Vec<Value> = env.get(&format!("/events?type={kind}&limit=100")).ok()["data"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    list.reverse();
    list
}

/// Every event type emitted, oldest first.
pub fn event_types(env: &Env) -> Vec<String> {
    let mut out: Vec<String> = env.get("/events?limit=100").ok()["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap().to_owned())
        .collect();
    out.reverse();
    out
}

pub fn hmac_hex(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// One received webhook: lower-cased headers and the raw body.
pub struct Received {
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == &name.to_ascii_lowercase())
            .map(|(_, v)| v.as_str())
    }
}

/// A webhook receiver on 127.0.0.1 answering 200; returns its URL and the
/// stream of what it gets.
pub fn receiver() -> (String, mpsc::Receiver<Received>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hooks", listener.local_addr().unwrap());
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(500) {
            let Ok(mut stream) = stream else { continue };
            stream.set_read_timeout(Some(Duration::from_secs(5))).ok();
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            let (head_end, length) = loop {
                let n = match stream.read(&mut chunk) {
                    Ok(0) | Err(_) => break (None, 0),
                    Ok(n) => n,
                };
                buf.extend_from_slice(&chunk[..n]);
                if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                    let head = String::from_utf8_lossy(&buf[..pos]).to_string();
                    let len = head
                        .lines()
                        .find_map(|l| {
                            let (k, v) = l.split_once(':')?;
                            k.eq_ignore_ascii_case("content-length")
                                .then(|| v.trim().parse().ok())?
                        })
                        .unwrap_or(0usize);
                    break (Some(pos + 4), len);
                }
            };
            let Some(start) = head_end else { continue };
            while buf.len() < start + length {
                match stream.read(&mut chunk) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
            }
            let head = String::from_utf8_lossy(&buf[..start]).to_string();
            let headers = head
                .lines()
                .skip(1)
                .filter_map(|l| l.split_once(':'))
                .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
                .collect();
            let body =
                String::from_utf8_lossy(&buf[start..(start + length).min(buf.len())]).to_string();
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            if tx.send(Received { headers, body }).is_err() {
                break;
            }
        }
    });
    (url, rx)
}

/// Receives webhooks (checking every signature) until `done` holds for
/// everything received so far, within `timeout`.
pub fn collect_until(
    rx: &mpsc::Receiver<Received>,
    secret: &str,
    timeout: Duration,
    mut got: Vec<Value>,
    done: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let deadline = std::time::Instant::now() + timeout;
    while !done(&got) {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let r = rx.recv_timeout(left).unwrap_or_else(|_| {
            panic!(
                "webhooks missing; got {:?}",
                got.iter().map(|e| e["event"].clone()).collect::<Vec<_>>()
            )
        });
        let sig = r.header("x-commet-signature").expect("signature header");
        assert_eq!(sig, hmac_hex(secret, r.body.as_bytes()), "bad signature");
        let v: Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(r.header("x-commet-event-id"), v["id"].as_str());
        got.push(v);
    }
    got
}

/// Receives (any order) until every kind in `kinds` arrived at least once.
pub fn collect_events(
    rx: &mpsc::Receiver<Received>,
    secret: &str,
    kinds: &[&str],
    timeout: Duration,
) -> Vec<Value> {
    collect_until(rx, secret, timeout, Vec::new(), |got| {
        kinds.iter().all(|k| got.iter().any(|e| e["event"] == *k))
    })
}
