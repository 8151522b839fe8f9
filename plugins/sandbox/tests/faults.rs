//! Fault injection (`--faults` / `COMMET_SANDBOX_FAULTS`).

mod common;

use std::time::{Duration, Instant};

use commet_plugin_sandbox::server::{FaultKind, Faults};
use common::start_with;
use serde_json::json;

#[test]
fn specs_parse_and_errors_explain() {
    let f = Faults::parse("429=0.2,503*2,latency=50ms,drop=0.05").unwrap();
    assert_eq!(
        f.rates,
        vec![(FaultKind::Status(429), 0.2), (FaultKind::Drop, 0.05)]
    );
    assert_eq!(f.counted, vec![(FaultKind::Status(503), 2)]);
    assert_eq!(f.latency, Some(Duration::from_millis(50)));
    assert!(Faults::default().is_off());
    let err = Faults::parse("429=lots").unwrap_err().to_string();
    assert!(err.contains("429=lots"), "{err}");

    std::env::set_var("COMMET_SANDBOX_FAULTS", "500*1");
    assert_eq!(
        Faults::from_env().unwrap().counted,
        vec![(FaultKind::Status(500), 1)]
    );
    std::env::set_var("COMMET_SANDBOX_FAULTS", "");
    assert!(Faults::from_env().unwrap().is_off());
    std::env::remove_var("COMMET_SANDBOX_FAULTS");
    assert!(Faults::from_env().unwrap().is_off());
}

#[test]
fn counted_503s_then_normal_service() {
    let env = start_with(Faults::parse("503*2").unwrap());
    // Pages and health checks are never faulted.
    assert_eq!(env.req("GET", "/health").key(None).send().status, 200);
    let first = env.get("/customers");
    assert!(first.header("x-request-id").is_some());
    let body = first.err(503, "internal_error");
    assert_eq!(body["error"]["type"], "internal_error");
    env.req("GET", "/api/cli/organizations")
        .send()
        .err(503, "internal_error");
    env.get("/customers").ok();
    env.post("/customers", json!({ "email": "a@example.com" }))
        .ok();
}

#[test]
fn rate_limits_carry_retry_after() {
    let env = start_with(Faults::parse("429=1").unwrap());
    let r = env.get("/features");
    assert_eq!(r.header("retry-after"), Some("1"));
    let body = r.err(429, "rate_limited");
    assert_eq!(body["error"]["type"], "rate_limit_error");
    // The device login endpoints are not under /api/v1 or /api/cli.
    let code = env
        .req("POST", "/api/auth/device/code")
        .key(None)
        .json(json!({ "client_id": "commet-cli" }))
        .send();
    assert_eq!(code.status, 200);
    // A faulted write changed nothing.
    env.post("/customers", json!({ "email": "a@example.com" }))
        .err(429, "rate_limited");
}

#[test]
fn dropped_connections_get_no_answer() {
    let env = start_with(Faults::parse("drop*1").unwrap());
    let dropped = env.req("GET", "/api/v1/customers").try_send();
    assert!(
        dropped.is_err(),
        "expected a transport error, got {:?}",
        dropped.map(|r| r.status)
    );
    env.get("/customers").ok();
}

#[test]
fn latency_delays_api_requests() {
    let env = start_with(Faults::parse("latency=150ms").unwrap());
    let started = Instant::now();
    env.get("/customers").ok();
    assert!(started.elapsed() >= Duration::from_millis(150));
    assert_eq!(env.req("GET", "/health").key(None).send().status, 200);
}

#[test]
fn faults_are_off_by_default() {
    let env = common::start();
    for _ in 0..20 {
        env.get("/customers").ok();
    }
}
