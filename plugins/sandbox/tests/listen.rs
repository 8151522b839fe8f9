//! `/api/cli/listen/*`: sessions and their server-sent-events stream.

mod common;
mod hooks;

use std::time::{Duration, Instant};

use common::{start, Env};
use hooks::{hmac_hex, split_message, Stream};
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(10);

fn cli_post(env: &Env, path: &str, body: Value) -> common::Resp {
    env.req("POST", &format!("/api/cli{path}"))
        .json(body)
        .send()
}

fn start_session(env: &Env) -> Value {
    cli_post(env, "/listen/start", json!({})).ok()
}

fn open(env: &Env, session: &Value) -> Stream {
    let s = Stream::open(&env.url, &env.key, session["sessionId"].as_str().unwrap());
    assert_eq!(s.status, 200);
    assert!(
        s.content_type.starts_with("text/event-stream"),
        "{}",
        s.content_type
    );
    assert_eq!(
        s.next_data(WAIT).as_deref(),
        Some(r#"{"event":"listen.connected"}"#),
        "the first message is the control message"
    );
    s
}

#[test]
fn start_returns_a_session_for_the_keys_organization() {
    let env = start();
    let s = start_session(&env);
    assert!(s["sessionId"].as_str().unwrap().starts_with("lsn_"));
    assert!(s["signingSecret"].as_str().unwrap().starts_with("whsec_"));
    assert!(s["channelName"]
        .as_str()
        .unwrap()
        .contains(&env.sandbox().org_id()));
    assert_eq!(s["organizationName"], "Local Sandbox");
    let token = &s["tokenRequest"];
    assert_eq!(token["clientId"], s["sessionId"]);
    assert!(token["ttl"].as_i64().unwrap() > 0);
    assert!(token["mac"].is_string() && token["nonce"].is_string());

    // By slug too; a foreign organization is refused.
    let by_slug = cli_post(&env, "/listen/start", json!({ "organizationId": "local" })).ok();
    assert_ne!(by_slug["sessionId"], s["sessionId"]);
    env.other_org();
    cli_post(&env, "/listen/start", json!({ "organizationId": "other" })).err(403, "forbidden");
    cli_post(&env, "/listen/start", json!({ "organizationId": "nope" })).err(404, "not_found");
    env.req("POST", "/api/cli/listen/start")
        .key(None)
        .json(json!({}))
        .send()
        .err(401, "unauthorized");
}

#[test]
fn the_stream_forwards_events_signed_with_the_session_secret() {
    let env = start();
    env.post("/customers", json!({ "email": "early@example.com" }))
        .ok();
    let s = start_session(&env);
    let secret = s["signingSecret"].as_str().unwrap();
    let stream = open(&env, &s);

    let c = env
        .post("/customers", json!({ "email": "live@example.com" }))
        .ok();
    let data = stream.next_data(WAIT).expect("an event message");
    let (event, payload, headers) = split_message(&data);
    assert_eq!(event, "customer.created");
    let payload = payload.expect("payload");
    assert_eq!(
        headers["x-commet-signature"],
        hmac_hex(secret, payload.as_bytes()),
        "signed over the exact payload bytes"
    );
    assert_eq!(headers["content-type"], "application/json");
    let envelope: Value = serde_json::from_str(&payload).unwrap();
    assert_eq!(headers["X-Commet-Event-Id"], envelope["id"]);
    assert_eq!(envelope["event"], "customer.created");
    assert_eq!(envelope["mode"], "sandbox");
    assert_eq!(envelope["data"]["id"], c["id"]);
    // The payload is the stored event, byte for byte.
    let stored = env
        .get(&format!("/events/{}", envelope["id"].as_str().unwrap()))
        .ok();
    assert_eq!(stored["data"]["email"], "live@example.com");
    // Nothing from before the session, and test events are not shown.
    let w = env
        .post(
            "/webhooks",
            json!({ "url": "https://example.com/x", "events": ["customer.created"] }),
        )
        .ok();
    env.post(
        &format!("/webhooks/{}/test", w["id"].as_str().unwrap()),
        json!({}),
    )
    .ok();
    env.patch(
        &format!("/customers/{}", c["id"].as_str().unwrap()),
        json!({ "fullName": "Live" }),
    )
    .ok();
    let next = stream.next_data(WAIT).expect("the update");
    assert_eq!(split_message(&next).0, "customer.updated");
}

#[test]
fn a_reconnect_to_the_same_session_resumes_where_it_stopped() {
    let env = start();
    let s = start_session(&env);
    let first = open(&env, &s);
    env.post("/customers", json!({ "email": "one@example.com" }))
        .ok();
    assert!(first.next_data(WAIT).is_some());
    drop(first);
    env.post("/customers", json!({ "email": "two@example.com" }))
        .ok();
    let again = open(&env, &s);
    let data = again.next_data(WAIT).expect("the missed event");
    let (_, payload, _) = split_message(&data);
    let envelope: Value = serde_json::from_str(&payload.unwrap()).unwrap();
    assert_eq!(envelope["data"]["email"], "two@example.com");
}

#[test]
fn stop_ends_the_stream_and_the_session() {
    let env = start();
    let s = start_session(&env);
    let id = s["sessionId"].as_str().unwrap();
    let stream = open(&env, &s);
    let refreshed = cli_post(&env, "/listen/refresh", json!({ "sessionId": id })).ok();
    assert_eq!(refreshed["tokenRequest"]["clientId"], id);

    let stopped = cli_post(&env, "/listen/stop", json!({ "sessionId": id })).ok();
    assert_eq!(stopped["status"], "stopped");
    assert!(stream.ended_within(WAIT), "the open stream ends");
    // Stopping again is fine; everything else is 404 now.
    cli_post(&env, "/listen/stop", json!({ "sessionId": id })).ok();
    cli_post(&env, "/listen/refresh", json!({ "sessionId": id })).err(404, "not_found");
    env.req("GET", &format!("/api/cli/listen/stream?sessionId={id}"))
        .send()
        .err(404, "not_found");
    let sessions = env.req("GET", "/api/cli/listen/sessions").send().ok();
    let mine = sessions["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == id)
        .cloned()
        .unwrap();
    assert_eq!(mine["status"], "stopped");
}

#[test]
fn unknown_and_foreign_sessions_are_not_found() {
    let env = start();
    env.req("GET", "/api/cli/listen/stream?sessionId=lsn_nope")
        .send()
        .err(404, "not_found");
    cli_post(&env, "/listen/refresh", json!({ "sessionId": "lsn_nope" })).err(404, "not_found");
    cli_post(&env, "/listen/stop", json!({ "sessionId": "lsn_nope" })).err(404, "not_found");
    let bad = env
        .req("GET", "/api/cli/listen/stream")
        .send()
        .err(400, "validation_error");
    assert_eq!(bad["error"]["details"][0]["field"], "sessionId");
    cli_post(&env, "/listen/refresh", json!({})).err(400, "validation_error");

    let s = start_session(&env);
    let id = s["sessionId"].as_str().unwrap();
    let (_, other) = env.other_org();
    env.req("GET", &format!("/api/cli/listen/stream?sessionId={id}"))
        .key(Some(&other))
        .send()
        .err(404, "not_found");
    env.req("POST", "/api/cli/listen/stop")
        .key(Some(&other))
        .json(json!({ "sessionId": id }))
        .send()
        .err(404, "not_found");
    // Events of another organization never reach this session.
    let stream = open(&env, &s);
    env.post_as(&other, "/customers", json!({ "email": "x@other.com" }))
        .ok();
    assert!(stream.next_data(Duration::from_millis(600)).is_none());
}

#[test]
fn streams_end_promptly_when_the_server_shuts_down() {
    let mut env = start();
    let s = start_session(&env);
    let stream = open(&env, &s);
    let started = Instant::now();
    if let Some(sb) = env.sandbox.take() {
        sb.shutdown();
    }
    assert!(stream.ended_within(WAIT));
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "shutdown took {:?}",
        started.elapsed()
    );
}

/// Logs in through the device flow; returns the bearer token.
fn login(env: &Env) -> String {
    env.sandbox()
        .set_device_timings(commet_plugin_sandbox::server::DeviceTimings {
            interval: Duration::ZERO,
            ttl: Duration::from_secs(600),
        });
    let code = env
        .req("POST", "/api/auth/device/code")
        .key(None)
        .json(json!({ "client_id": "commet-cli" }))
        .send()
        .ok();
    env.sandbox()
        .approve_device_code(code["user_code"].as_str().unwrap())
        .unwrap();
    let token = env
        .req("POST", "/api/auth/device/token")
        .key(None)
        .json(json!({
            "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
            "device_code": code["device_code"],
            "client_id": "commet-cli",
        }))
        .send()
        .ok();
    token["access_token"].as_str().unwrap().to_owned()
}

#[test]
fn a_logged_in_user_listens_to_the_organization_it_names() {
    let env = start();
    let token = login(&env);
    let (_, other_key) = env.other_org();
    let s = env
        .req("POST", "/api/cli/listen/start")
        .key(None)
        .header("authorization", &format!("Bearer {token}"))
        .json(json!({ "organizationId": "other" }))
        .send()
        .ok();
    assert_eq!(s["organizationName"], "Other Org");
    let id = s["sessionId"].as_str().unwrap();
    // The default org's key cannot use the other org's session.
    env.req("GET", &format!("/api/cli/listen/stream?sessionId={id}"))
        .send()
        .err(404, "not_found");
    let stream = Stream::open_bearer(&env.url, &token, id);
    assert_eq!(stream.status, 200);
    assert_eq!(
        stream.next_data(WAIT).as_deref(),
        Some(r#"{"event":"listen.connected"}"#)
    );
    env.post("/customers", json!({ "email": "default@example.com" }))
        .ok();
    env.post_as(&other_key, "/customers", json!({ "email": "o@other.com" }))
        .ok();
    let data = stream.next_data(WAIT).expect("the other org's event");
    let (_, payload, headers) = split_message(&data);
    let payload = payload.unwrap();
    let envelope: Value = serde_json::from_str(&payload).unwrap();
    assert_eq!(envelope["data"]["email"], "o@other.com");
    assert_eq!(
        headers["x-commet-signature"],
        hmac_hex(s["signingSecret"].as_str().unwrap(), payload.as_bytes())
    );
    env.req("POST", "/api/cli/listen/stop")
        .key(None)
        .header("authorization", &format!("Bearer {token}"))
        .json(json!({ "sessionId": id }))
        .send()
        .ok();
    assert!(stream.ended_within(WAIT));
}
