//! Events and webhook delivery: the envelope, fan-out to subscribed
//! endpoints, signatures, the retry ladder on the test clock, disabling
//! after repeated failures, resend, and the inspection endpoints.

mod common;
mod hooks;

use std::time::Duration;

use common::{start, wait_for, Env};
use hooks::Receiver;
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(10);
const QUIET: Duration = Duration::from_millis(400);

fn endpoint(env: &Env, url: &str, events: Value) -> (String, String) {
    let w = env
        .post("/webhooks", json!({ "url": url, "events": events }))
        .ok();
    (
        w["id"].as_str().unwrap().to_owned(),
        w["secretKey"].as_str().unwrap().to_owned(),
    )
}

fn customer(env: &Env, email: &str) -> Value {
    env.post("/customers", json!({ "email": email })).ok()
}

fn delivery_where(env: &Env, hook: &str, pred: impl Fn(&Value) -> bool) -> Value {
    wait_for(WAIT, || {
        let list = env.get(&format!("/webhooks/{hook}/deliveries")).ok();
        list["data"]
            .as_array()?
            .first()
            .filter(|d| pred(d))
            .cloned()
    })
    .unwrap_or_else(|| {
        panic!(
            "delivery never matched: {}",
            env.get(&format!("/webhooks/{hook}/deliveries")).text
        )
    })
}

/// The full delivery (with its attempt history) of a listed one.
fn delivery(env: &Env, hook: &str, d: &Value) -> Value {
    env.get(&format!(
        "/webhooks/{hook}/deliveries/{}",
        d["id"].as_str().unwrap()
    ))
    .ok()
}

/// Moves the test clock (`body` as for `POST /test-clock`).
fn set_clock(env: &Env, body: Value, what: &str) {
    let r = env.post("/test-clock", body);
    assert!(
        r.status == 200 || r.status == 202,
        "{what} failed: {}",
        r.text
    );
}

fn advance_days(env: &Env, days: i64) {
    set_clock(env, json!({ "advanceDays": days }), "advance");
}

#[test]
fn customer_created_reaches_subscribed_endpoints_signed_with_one_event_id() {
    let env = start();
    let a = Receiver::start(200);
    let b = Receiver::start(200);
    let other = Receiver::start(200);
    let (_, secret_a) = endpoint(&env, &a.url, json!(["customer.created"]));
    let (_, secret_b) = endpoint(
        &env,
        &b.url,
        json!(["customer.updated", "customer.created"]),
    );
    endpoint(&env, &other.url, json!(["customer.updated"]));

    let c = customer(&env, "ann@example.com");
    let hit_a = a.take(1, WAIT, QUIET).remove(0);
    let hit_b = b.take(1, WAIT, QUIET).remove(0);
    assert!(
        other.next(QUIET).is_none(),
        "not subscribed to customer.created"
    );

    assert!(hit_a.signed_with(&secret_a), "signature of A: {hit_a:?}");
    assert!(hit_b.signed_with(&secret_b), "signature of B: {hit_b:?}");
    assert!(!hit_a.signed_with(&secret_b));
    assert_eq!(hit_a.path, "/hook");
    assert_eq!(hit_a.header("content-type"), "application/json");
    assert_eq!(hit_a.header("x-commet-event"), "customer.created");

    let event = hit_a.json();
    let id = event["id"].as_str().unwrap();
    assert!(id.starts_with("whev_"));
    assert_eq!(hit_a.header("x-commet-event-id"), id);
    assert_eq!(
        hit_b.json()["id"],
        id,
        "one event, one id for every endpoint"
    );
    let keys: Vec<&str> = event
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "id",
            "event",
            "timestamp",
            "organizationId",
            "mode",
            "apiVersion",
            "data"
        ]
    );
    assert_eq!(event["event"], "customer.created");
    assert_eq!(event["mode"], "sandbox");
    assert_eq!(event["apiVersion"], "2026-07-31");
    assert_eq!(event["organizationId"], env.sandbox().org_id());
    assert_eq!(event["data"]["id"], c["id"]);
    assert_eq!(event["data"]["email"], "ann@example.com");
    for field in [
        "externalId",
        "fullName",
        "taxDocument",
        "documentType",
        "timezone",
        "metadata",
        "createdAt",
        "updatedAt",
    ] {
        assert!(event["data"].get(field).is_some(), "data.{field} present");
    }

    // An update reaches B and the third endpoint.
    env.patch(
        &format!("/customers/{}", c["id"].as_str().unwrap()),
        json!({ "fullName": "Ann" }),
    )
    .ok();
    let upd = b.take(1, WAIT, QUIET).remove(0);
    assert_eq!(upd.json()["event"], "customer.updated");
    assert_eq!(upd.json()["data"]["fullName"], "Ann");
    assert_eq!(other.take(1, WAIT, QUIET).len(), 1);
    assert!(a.next(QUIET).is_none());
}

#[test]
fn the_envelope_carries_the_endpoints_pinned_version() {
    let env = start();
    let pinned = Receiver::start(200);
    let w = env
        .post(
            "/webhooks",
            json!({ "url": pinned.url, "events": ["customer.created"], "apiVersion": "2026-07-11" }),
        )
        .ok();
    customer(&env, "v@example.com");
    let hit = pinned.take(1, WAIT, QUIET).remove(0);
    assert_eq!(hit.json()["apiVersion"], "2026-07-11");
    assert!(hit.signed_with(w["secretKey"].as_str().unwrap()));
    // The stored event keeps the organization's version.
    let stored = env
        .get(&format!("/events/{}", hit.json()["id"].as_str().unwrap()))
        .ok();
    assert_eq!(stored["apiVersion"], "2026-07-31");
}

#[test]
fn existing_own_ids_and_idempotent_replays_do_not_emit_again() {
    let env = start();
    let r = Receiver::start(200);
    endpoint(&env, &r.url, json!(["customer.created"]));
    env.post("/customers", json!({ "id": "acme", "email": "a@acme.com" }))
        .ok();
    env.post("/customers", json!({ "id": "acme", "email": "a@acme.com" }))
        .ok();
    env.req("POST", "/api/v1/customers")
        .idem("k-1")
        .json(json!({ "email": "b@example.com" }))
        .send();
    let replay = env
        .req("POST", "/api/v1/customers")
        .idem("k-1")
        .json(json!({ "email": "b@example.com" }))
        .send();
    assert_eq!(replay.header("idempotent-replayed"), Some("true"));
    assert_eq!(r.take(2, WAIT, QUIET).len(), 2);
    let events = env.get("/events?type=customer.created").ok();
    assert_eq!(events["data"].as_array().unwrap().len(), 2);
}

#[test]
fn events_are_listed_newest_first_paged_and_scoped_to_the_org() {
    let env = start();
    for i in 0..3 {
        customer(&env, &format!("p{i}@example.com"));
    }
    let page1 = env.get("/events?limit=2").ok();
    assert_eq!(page1["object"], "list");
    assert_eq!(page1["hasMore"], true);
    let data = page1["data"].as_array().unwrap();
    assert_eq!(data.len(), 2);
    assert_eq!(data[0]["object"], "event");
    assert_eq!(data[0]["livemode"], false);
    assert_eq!(data[0]["data"]["email"], "p2@example.com");
    let cursor = page1["nextCursor"].as_str().unwrap();
    let page2 = env.get(&format!("/events?limit=2&cursor={cursor}")).ok();
    assert_eq!(page2["hasMore"], false);
    assert_eq!(page2["data"][0]["data"]["email"], "p0@example.com");

    let id = data[0]["id"].as_str().unwrap();
    let one = env.get(&format!("/events/{id}")).ok();
    assert_eq!(one["id"], id);
    assert_eq!(one["deliveries"], json!([]));
    let (_, other) = env.other_org();
    env.get_as(&other, &format!("/events/{id}"))
        .err(404, "not_found");
    assert_eq!(
        env.get_as(&other, "/events").ok()["data"],
        json!([]),
        "another org sees none"
    );
    env.get("/events/whev_nope").err(404, "not_found");
    let bad = env.get("/events?limit=0").err(400, "validation_error");
    assert_eq!(bad["error"]["details"][0]["field"], "limit");
}

#[test]
fn events_survive_a_restart() {
    let mut env = start();
    customer(&env, "keep@example.com");
    env.restart();
    let events = env.get("/events").ok();
    assert_eq!(events["data"][0]["data"]["email"], "keep@example.com");
}

#[test]
fn deliveries_record_every_attempt() {
    let env = start();
    let r = Receiver::start(200);
    let (hook, _) = endpoint(&env, &r.url, json!(["customer.created"]));
    customer(&env, "d@example.com");
    r.take(1, WAIT, QUIET);
    let d = delivery_where(&env, &hook, |d| d["status"] == "delivered");
    assert_eq!(d["object"], "webhook_delivery");
    assert_eq!(d["attempts"], 1);
    assert_eq!(d["responseStatus"], 200);
    assert_eq!(d["event"], "customer.created");
    assert!(d["eventId"].as_str().unwrap().starts_with("whev_"));
    let full = delivery(&env, &hook, &d);
    let history = full["attemptHistory"].as_array().unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0]["attempt"], 1);
    assert_eq!(history[0]["responseStatus"], 200);
    // The event lists its deliveries.
    let event = env
        .get(&format!("/events/{}", d["eventId"].as_str().unwrap()))
        .ok();
    assert_eq!(event["deliveries"][0]["id"], d["id"]);

    env.get(&format!("/webhooks/{hook}/deliveries?status=bogus"))
        .err(400, "validation_error");
    env.get(&format!("/webhooks/{hook}/deliveries/whd_nope"))
        .err(404, "not_found");
    env.get("/webhooks/whe_nope/deliveries")
        .err(404, "webhook_not_found");
    let (_, other) = env.other_org();
    env.get_as(&other, &format!("/webhooks/{hook}/deliveries"))
        .err(404, "webhook_not_found");
}

#[test]
fn failed_delivery_waits_for_the_clock_then_runs_the_whole_retry_ladder() {
    let env = start();
    let r = Receiver::start(500);
    let (hook, secret) = endpoint(&env, &r.url, json!(["customer.created"]));
    customer(&env, "retry@example.com");

    // First attempt now; the retry is due one (simulated) minute later.
    let first = r.take(1, WAIT, Duration::from_millis(1500)).remove(0);
    let d = delivery_where(&env, &hook, |d| d["attempts"] == 1);
    assert_eq!(d["status"], "pending");
    assert_eq!(d["responseStatus"], 500);
    let event = first.json();
    let created =
        chrono::DateTime::parse_from_rfc3339(event["timestamp"].as_str().unwrap()).unwrap();
    let next = chrono::DateTime::parse_from_rfc3339(d["nextAttemptAt"].as_str().unwrap()).unwrap();
    assert_eq!((next - created).num_seconds(), 60, "first retry after 1 m");

    // A day later on the test clock, the 7 remaining attempts all went out
    // (1 m, 5 m, 15 m, 30 m, 1 h, 2 h, 4 h), with the same id and body.
    advance_days(&env, 1);
    let retries = r.take(7, WAIT, QUIET);
    for hit in &retries {
        assert_eq!(hit.body, first.body, "same bytes on every attempt");
        assert_eq!(
            hit.header("x-commet-event-id"),
            event["id"].as_str().unwrap()
        );
        assert!(hit.signed_with(&secret));
    }
    let d = delivery_where(&env, &hook, |d| d["status"] == "failed");
    assert_eq!(d["attempts"], 8);
    let full = delivery(&env, &hook, &d);
    let history = full["attemptHistory"].as_array().unwrap();
    assert_eq!(history.len(), 8);
    assert!(history.iter().all(|a| a["responseStatus"] == 500));

    // Resending after the receiver recovered delivers it.
    r.set_status(200);
    let resent = env
        .post(
            &format!(
                "/webhooks/{hook}/deliveries/{}/resend",
                d["id"].as_str().unwrap()
            ),
            json!({}),
        )
        .ok();
    assert_eq!(resent["status"], "pending");
    let hit = r.take(1, WAIT, QUIET).remove(0);
    assert_eq!(hit.body, first.body);
    let d = delivery_where(&env, &hook, |d| d["status"] == "delivered");
    assert_eq!(d["attempts"], 9);
}

fn freeze_at(env: &Env, at: chrono::DateTime<chrono::FixedOffset>) {
    set_clock(
        env,
        json!({ "frozenTime": at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true) }),
        "freeze",
    );
}

#[test]
fn each_retry_fires_exactly_when_the_clock_reaches_its_due_time() {
    let env = start();
    let r = Receiver::start(503);
    let (hook, _) = endpoint(&env, &r.url, json!(["customer.created"]));
    customer(&env, "ladder@example.com");
    let first = r.take(1, WAIT, Duration::from_millis(300)).remove(0);
    let t0 =
        chrono::DateTime::parse_from_rfc3339(first.json()["timestamp"].as_str().unwrap()).unwrap();
    // Due times after the event: +1 m, +5 m, +15 m, +30 m, +1 h, +2 h, +4 h,
    // each counted from the previous one.
    let due_minutes = [1, 6, 21, 51, 111, 231, 471];
    for (i, minutes) in due_minutes.iter().enumerate() {
        let due = t0 + chrono::Duration::minutes(*minutes);
        let d = delivery_where(&env, &hook, |d| d["attempts"] == i as i64 + 1);
        assert_eq!(
            chrono::DateTime::parse_from_rfc3339(d["nextAttemptAt"].as_str().unwrap()).unwrap(),
            due,
            "retry {} due {minutes} min after the event",
            i + 2
        );
        freeze_at(&env, due - chrono::Duration::seconds(1));
        assert!(
            r.next(Duration::from_millis(300)).is_none(),
            "not before it is due"
        );
        freeze_at(&env, due);
        let hit = r.take(1, WAIT, Duration::from_millis(300)).remove(0);
        assert_eq!(hit.body, first.body);
    }
    let d = delivery_where(&env, &hook, |d| d["status"] == "failed");
    assert_eq!(d["attempts"], 8);
    assert_eq!(d["nextAttemptAt"], Value::Null);
    let full = delivery(&env, &hook, &d);
    let attempted: Vec<String> = full["attemptHistory"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["attemptedAt"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(attempted.len(), 8);
    // Attempts are stamped with simulated time: the last one at +7 h 51 m.
    let last = chrono::DateTime::parse_from_rfc3339(&attempted[7]).unwrap();
    assert_eq!(last, t0 + chrono::Duration::minutes(471));
}

#[test]
fn three_exhausted_events_in_a_row_disable_the_endpoint() {
    let env = start();
    let r = Receiver::start(500);
    let (hook, _) = endpoint(&env, &r.url, json!(["customer.created"]));
    for i in 0..3 {
        customer(&env, &format!("f{i}@example.com"));
    }
    r.take(3, WAIT, Duration::from_millis(1500));
    advance_days(&env, 1);
    r.take(21, WAIT, QUIET);
    let w = wait_for(WAIT, || {
        let w = env.get(&format!("/webhooks/{hook}")).ok();
        (w["isActive"] == false).then_some(w)
    })
    .expect("endpoint disabled");
    assert_eq!(w["isActive"], false);
    // Events while disabled are not queued, and not replayed later.
    customer(&env, "missed@example.com");
    assert!(r.next(QUIET).is_none());
    let list = env.get(&format!("/webhooks/{hook}/deliveries")).ok();
    assert_eq!(list["data"].as_array().unwrap().len(), 3);
    // Resend is refused while disabled; re-enabling starts afresh.
    let id = list["data"][0]["id"].as_str().unwrap();
    env.post(
        &format!("/webhooks/{hook}/deliveries/{id}/resend"),
        json!({}),
    )
    .err(400, "validation_error");
    r.set_status(200);
    env.patch(&format!("/webhooks/{hook}"), json!({ "isActive": true }))
        .ok();
    customer(&env, "back@example.com");
    let hit = r.take(1, WAIT, QUIET).remove(0);
    assert_eq!(hit.json()["data"]["email"], "back@example.com");
}

#[test]
fn a_success_between_failures_resets_the_streak() {
    let env = start();
    let r = Receiver::start(500);
    let (hook, _) = endpoint(&env, &r.url, json!(["customer.created"]));
    for i in 0..2 {
        customer(&env, &format!("s{i}@example.com"));
    }
    r.take(2, WAIT, Duration::from_millis(1500));
    advance_days(&env, 1);
    r.take(14, WAIT, QUIET);
    r.set_status(200);
    customer(&env, "ok@example.com");
    r.take(1, WAIT, QUIET);
    r.set_status(500);
    customer(&env, "s3@example.com");
    r.take(1, WAIT, Duration::from_millis(1500));
    advance_days(&env, 1);
    r.take(7, WAIT, QUIET);
    let w = env.get(&format!("/webhooks/{hook}")).ok();
    assert_eq!(w["isActive"], true, "2 failures, a success, 1 failure");
}

#[test]
fn test_events_go_through_the_event_log() {
    let env = start();
    let r = Receiver::start(200);
    let (hook, secret) = endpoint(&env, &r.url, json!(["customer.created"]));
    let test = env.post(&format!("/webhooks/{hook}/test"), json!({})).ok();
    let hit = r.take(1, WAIT, QUIET).remove(0);
    assert!(hit.signed_with(&secret));
    assert_eq!(hit.json()["event"], "webhook.test");
    let event = env
        .get(&format!("/events/{}", hit.json()["id"].as_str().unwrap()))
        .ok();
    assert_eq!(event["event"], "webhook.test");
    assert_eq!(event["deliveries"][0]["id"], test["deliveryId"]);
}

#[test]
fn event_timestamps_follow_the_test_clock() {
    let env = start();
    customer(&env, "before@example.com");
    advance_days(&env, 10);
    customer(&env, "after@example.com");
    let list = env.get("/events?type=customer.created").ok();
    let ts = |i: usize| {
        chrono::DateTime::parse_from_rfc3339(list["data"][i]["timestamp"].as_str().unwrap())
            .unwrap()
    };
    let gap = ts(0) - ts(1);
    assert!(
        gap >= chrono::Duration::days(10)
            && gap < chrono::Duration::days(10) + chrono::Duration::minutes(5),
        "gap {gap}"
    );
}

#[test]
fn usage_recorded_goes_only_to_endpoints_that_name_it_but_to_every_listen_session() {
    let env = start();
    let all_but_usage: Vec<&str> = [
        "customer.created",
        "subscription.created",
        "subscription.activated",
        "customer.state_changed",
        "invoice.created",
        "payment.received",
    ]
    .to_vec();
    let broad = Receiver::start(200);
    let usage_only = Receiver::start(200);
    endpoint(&env, &broad.url, json!(all_but_usage));
    let (_, usage_secret) = endpoint(&env, &usage_only.url, json!(["usage.recorded"]));
    let session = env
        .req("POST", "/api/cli/listen/start")
        .json(json!({}))
        .send()
        .ok();
    let stream = hooks::Stream::open(&env.url, &env.key, session["sessionId"].as_str().unwrap());

    let f = env
        .post(
            "/features",
            json!({ "code": "api_calls", "name": "API calls", "type": "usage" }),
        )
        .ok();
    let plan = env
        .post(
            "/plans",
            json!({ "code": "free", "name": "Free", "isFree": true }),
        )
        .ok();
    let plan_id = plan["id"].as_str().unwrap();
    env.post(
        &format!("/plans/{plan_id}/features"),
        json!({ "featureId": f["id"], "includedAmount": 100 }),
    )
    .ok();
    env.post(
        "/customers",
        json!({ "id": "u1", "email": "u1@example.com" }),
    )
    .ok();
    env.post(
        "/subscriptions",
        json!({ "customerId": "u1", "planId": plan_id }),
    )
    .ok();
    env.post(
        "/usage/events",
        json!({ "customerId": "u1", "featureCode": "api_calls", "value": 7 }),
    )
    .ok();

    let hit = usage_only.take(1, WAIT, Duration::from_secs(1)).remove(0);
    assert!(hit.signed_with(&usage_secret));
    assert_eq!(hit.json()["event"], "usage.recorded");
    assert_eq!(hit.json()["data"]["value"], 7);
    let broad_types: Vec<String> = std::iter::from_fn(|| broad.next(Duration::from_secs(1)))
        .take(50)
        .map(|h| h.json()["event"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert!(broad_types.contains(&"customer.created".to_owned()));
    assert!(
        !broad_types.contains(&"usage.recorded".to_owned()),
        "{broad_types:?}"
    );
    // The listen session shows everything, usage.recorded included.
    let mut seen = Vec::new();
    while let Some(data) = stream.next_data(Duration::from_secs(2)) {
        let (event, _, _) = hooks::split_message(&data);
        seen.push(event);
        if seen.last().map(String::as_str) == Some("usage.recorded") {
            break;
        }
    }
    assert_eq!(seen.first().map(String::as_str), Some("listen.connected"));
    assert!(seen.contains(&"usage.recorded".to_owned()), "{seen:?}");
}
