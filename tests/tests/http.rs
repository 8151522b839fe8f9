//! The HTTP contract: retries and backoff, idempotency across retries, API
//! errors, unreachable servers and missing credentials.

use std::time::Instant;

use commet_e2e::{json_stdout, run, Recorder, Reply, TestEnv};
use serde_json::json;

const KEY: &str = "ck_test_http";

fn ok_customer() -> Reply {
    Reply::json(
        200,
        json!({"object": "customer", "id": "cus_1", "email": "a@b.co"}),
    )
}

#[test]
fn rate_limit_with_retry_after_is_retried_with_the_same_key() {
    let server = Recorder::start(|_| ok_customer());
    server.push(
        Reply::error(429, "rate_limit_error", "rate_limited", "slow down")
            .header("Retry-After", "1"),
    );
    let env = TestEnv::new().against(server.url(), KEY);
    let started = Instant::now();
    let (code, _, stderr) = run(env.cmd(["customers", "create", "--email", "a@b.co"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(started.elapsed().as_millis() >= 1000, "waited Retry-After");
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    let first = reqs[0].header("idempotency-key").expect("key");
    assert_eq!(reqs[1].header("idempotency-key"), Some(first));
    assert_eq!(reqs[0].body, reqs[1].body);
}

#[test]
fn rate_limit_without_retry_after_is_not_retried() {
    let server = Recorder::start(|_| ok_customer());
    server.push(Reply::error(
        429,
        "rate_limit_error",
        "rate_limited",
        "Too many requests",
    ));
    let env = TestEnv::new().against(server.url(), KEY);
    let (code, _, stderr) = run(env.cmd(["customers", "get", "--id", "cus_1"]));
    assert_eq!(code, 1);
    assert!(
        stderr.contains("Too many requests") && stderr.contains("rate_limited"),
        "{stderr}"
    );
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn server_errors_back_off_and_keep_the_idempotency_key() {
    let server = Recorder::start(|_| ok_customer());
    server.push(Reply::error(
        503,
        "internal_error",
        "internal_error",
        "unavailable",
    ));
    server.push(Reply::json(502, json!("bad gateway")));
    let env = TestEnv::new().against(server.url(), KEY);
    let started = Instant::now();
    let (code, stdout, stderr) = run(env.cmd([
        "customers",
        "create",
        "--email",
        "a@b.co",
        "--output",
        "agent",
    ]));
    assert_eq!(code, 0, "{stderr}");
    // 1 s then 2 s of backoff.
    assert!(started.elapsed().as_millis() >= 3000);
    assert_eq!(json_stdout(&stdout)["id"], "cus_1");
    let reqs = server.requests();
    assert_eq!(reqs.len(), 3);
    let keys: Vec<_> = reqs
        .iter()
        .map(|r| r.header("idempotency-key").map(str::to_owned))
        .collect();
    assert!(keys[0].is_some());
    assert!(keys.iter().all(|k| k == &keys[0]), "{keys:?}");
}

#[test]
fn api_errors_show_code_message_and_request_id() {
    let server = Recorder::start(|_| {
        Reply::json(
            400,
            json!({"error": {"type": "validation_error", "code": "validation_error", "message": "Invalid request",
                   "param": "email", "details": [{"field": "email", "message": "must be an email"}],
                   "doc_url": "https://commet.co/docs/errors#validation_error"}}),
        )
    });
    let env = TestEnv::new().against(server.url(), KEY);
    let (code, stdout, stderr) = run(env.cmd(["customers", "create", "--email", "nope"]));
    assert_eq!(code, 1);
    assert!(stdout.is_empty());
    assert!(stderr.contains("Invalid request"), "{stderr}");
    assert!(stderr.contains("validation_error"), "{stderr}");
    assert!(stderr.contains("email: must be an email"), "{stderr}");
    assert!(stderr.contains("request id: req_test_1"), "{stderr}");

    let (code, stdout, _) = run(env.cmd([
        "customers",
        "create",
        "--email",
        "nope",
        "--output",
        "agent",
    ]));
    assert_eq!(code, 1);
    let doc = json_stdout(&stdout);
    assert_eq!(doc["error"]["code"], "validation_error");
    assert_eq!(doc["error"]["type"], "validation_error");
    assert_eq!(doc["error"]["param"], "email");
    assert_eq!(doc["error"]["details"][0]["field"], "email");
    assert_eq!(doc["error"]["requestId"], "req_test_2");
    assert_eq!(doc["error"]["status"], 400);
}

#[test]
fn not_found_is_not_retried() {
    let server = Recorder::start(|_| {
        Reply::error(
            404,
            "not_found_error",
            "customer_not_found",
            "Customer not found",
        )
    });
    let env = TestEnv::new().against(server.url(), KEY);
    let (code, _, stderr) = run(env.cmd(["customers", "get", "--id", "cus_x"]));
    assert_eq!(code, 1);
    assert!(stderr.contains("customer_not_found") && stderr.contains("Customer not found"));
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn unreachable_server_says_what_to_do() {
    // Bind and drop a listener to get a port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let env = TestEnv::new().against(&format!("http://127.0.0.1:{port}"), KEY);
    let started = Instant::now();
    let (code, stdout, stderr) = run(env.cmd(["customers", "list"]));
    assert_eq!(code, 1);
    assert!(stdout.is_empty());
    assert!(stderr.contains(&format!("127.0.0.1:{port}")), "{stderr}");
    assert!(stderr.contains("connection refused"), "{stderr}");
    assert!(stderr.contains("commet sandbox start"), "{stderr}");
    assert!(
        started.elapsed().as_secs() < 5,
        "a refused local connection is not retried for long"
    );

    let (code, stdout, _) = run(env.cmd(["customers", "list", "--output", "agent"]));
    assert_eq!(code, 1);
    assert_eq!(json_stdout(&stdout)["error"]["type"], "connection_error");
}

#[test]
fn missing_credentials_explain_how_to_get_a_key() {
    let server = Recorder::ok();
    let env = TestEnv::new().env("COMMET_API_URL", server.url());
    let (code, _, stderr) = run(env.cmd(["customers", "list"]));
    assert_eq!(code, 1);
    assert!(stderr.contains("COMMET_API_KEY"), "{stderr}");
    // A loopback URL suggests the local sandbox; a remote one suggests login.
    assert!(stderr.contains("commet sandbox start"), "{stderr}");
    let remote = TestEnv::new().env("COMMET_ENVIRONMENT", "sandbox");
    let (code, _, stderr) = run(remote.cmd(["customers", "list"]));
    assert_eq!(code, 1);
    assert!(
        stderr.contains("commet login") && stderr.contains("commet link"),
        "{stderr}"
    );
    assert!(server.requests().is_empty());
}

#[test]
fn project_key_is_used_when_no_env_key() {
    let server = Recorder::start(|_| ok_customer());
    let env = TestEnv::new().env("COMMET_API_URL", server.url());
    let dir = env.cwd.path().join(".commet");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("config.json"),
        r#"{"orgId":"org_1","orgName":"Acme","mode":"sandbox","apiKey":"ck_project_key"}"#,
    )
    .unwrap();
    let (code, _, stderr) = run(env.cmd(["customers", "get", "--id", "cus_1"]));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(server.single().header("x-api-key"), Some("ck_project_key"));

    // COMMET_API_KEY wins over the project key.
    let env = env.env("COMMET_API_KEY", "ck_env_key");
    let (code, _, _) = run(env.cmd(["customers", "get", "--id", "cus_1"]));
    assert_eq!(code, 0);
    assert_eq!(server.requests()[1].header("x-api-key"), Some("ck_env_key"));
}

#[test]
fn environment_selection_is_validated() {
    let env = TestEnv::new()
        .env("COMMET_ENVIRONMENT", "staging")
        .env("COMMET_API_KEY", KEY);
    let (code, _, stderr) = run(env.cmd(["customers", "list"]));
    assert_eq!(code, 2);
    assert!(
        stderr.contains("COMMET_ENVIRONMENT") && stderr.contains("local"),
        "{stderr}"
    );
    let env = TestEnv::new().env("COMMET_API_KEY", KEY);
    let (code, _, stderr) = run(env.cmd(["customers", "list", "--api-url", "commet.co"]));
    assert_eq!(code, 2);
    assert!(stderr.contains("--api-url"), "{stderr}");
}

#[test]
fn verbose_logs_never_show_the_key() {
    let server = Recorder::start(|_| ok_customer());
    let env = TestEnv::new().against(server.url(), "ck_secret_value_123");
    let (code, _, stderr) = run(env.cmd(["-vv", "customers", "create", "--email", "a@b.co"]));
    assert_eq!(code, 0);
    assert!(
        stderr.contains("POST"),
        "verbose mode logs requests: {stderr}"
    );
    assert!(!stderr.contains("ck_secret_value_123"), "{stderr}");
}
