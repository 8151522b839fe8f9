//! `commet customers ...` against a recording server: exact requests and the
//! rendered output in both modes.

use commet_e2e::{json_stdout, run, Recorder, Reply, TestEnv};
use serde_json::json;

const KEY: &str = "ck_test_customers";

fn customer(id: &str, email: &str) -> serde_json::Value {
    json!({"object": "customer", "id": id, "livemode": false, "email": email,
           "fullName": "Ada Lovelace", "externalId": "user_123", "createdAt": "2026-01-02T03:04:05Z"})
}

fn env_for(server: &Recorder) -> TestEnv {
    TestEnv::new().against(server.url(), KEY)
}

#[test]
fn create_sends_exact_body_and_headers() {
    let server = Recorder::start(|_| Reply::json(200, customer("cus_1", "user@acme.com")));
    let env = env_for(&server);
    let (code, stdout, stderr) = run(env.cmd([
        "customers",
        "create",
        "--email",
        "user@acme.com",
        "--id",
        "user_123",
        "--full-name",
        "Acme Corp",
        "--metadata",
        r#"{"plan":"enterprise"}"#,
        "--address",
        r#"{"line1":"1 Main St","city":"Lima","postalCode":"15001","country":"PE"}"#,
    ]));
    assert_eq!(code, 0, "stderr: {stderr}");
    let req = server.single();
    assert_eq!(req.method, "POST");
    assert_eq!(req.path, "/api/v1/customers");
    assert_eq!(
        req.body,
        json!({"email": "user@acme.com", "id": "user_123", "fullName": "Acme Corp",
               "metadata": {"plan": "enterprise"},
               "address": {"line1":"1 Main St","city":"Lima","postalCode":"15001","country":"PE"}})
    );
    assert_eq!(req.header("x-api-key"), Some(KEY));
    assert_eq!(req.header("commet-version"), Some("2026-07-31"));
    assert_eq!(req.header("content-type"), Some("application/json"));
    assert!(req
        .header("user-agent")
        .unwrap_or_default()
        .starts_with("commet-cli-rs/"));
    let key = req
        .header("idempotency-key")
        .expect("writes carry an idempotency key");
    assert_eq!(key.len(), 36, "a UUID: {key}");
    // Human output: key/value lines of the created customer, no JSON.
    assert!(stdout.contains("cus_1"), "{stdout}");
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("email") && l.contains("user@acme.com")),
        "{stdout}"
    );
    assert!(!stdout.contains('{'), "{stdout}");
    assert!(!stdout.contains(KEY) && !stderr.contains(KEY));
}

#[test]
fn explicit_idempotency_key_goes_in_the_header_not_the_body() {
    let server = Recorder::start(|_| Reply::json(200, customer("cus_1", "a@b.co")));
    let env = env_for(&server);
    let (code, _, stderr) = run(env.cmd([
        "customers",
        "update",
        "--id",
        "cus_1",
        "--email",
        "a@b.co",
        "--idempotency-key",
        "my-key-1",
    ]));
    assert_eq!(code, 0, "{stderr}");
    let req = server.single();
    assert_eq!(req.method, "PATCH");
    assert_eq!(req.path, "/api/v1/customers/cus_1");
    assert_eq!(req.header("idempotency-key"), Some("my-key-1"));
    assert_eq!(req.body, json!({"email": "a@b.co"}));
}

#[test]
fn get_escapes_the_path_and_sends_no_idempotency_key() {
    let server = Recorder::start(|_| Reply::json(200, customer("cus_1", "a@b.co")));
    let env = env_for(&server);
    let (code, stdout, _) =
        run(env.cmd(["customers", "get", "--id", "user 1/2", "--output", "agent"]));
    assert_eq!(code, 0);
    let req = server.single();
    assert_eq!(req.method, "GET");
    assert_eq!(req.path, "/api/v1/customers/user%201%2F2");
    assert_eq!(req.header("idempotency-key"), None);
    assert_eq!(json_stdout(&stdout), customer("cus_1", "a@b.co"));
}

#[test]
fn list_sends_filters_as_query_and_renders_both_modes() {
    let page = json!({"object": "list", "data": [customer("cus_1", "a@b.co"), customer("cus_2", "c@d.co")],
                      "hasMore": true, "nextCursor": "cur_next"});
    let server = Recorder::start(move |_| Reply::json(200, page.clone()));
    let env = env_for(&server);
    let (code, stdout, stderr) = run(env.cmd([
        "customers",
        "list",
        "--limit",
        "2",
        "--cursor",
        "cur_abc",
        "--search",
        "acme",
        "--start-date",
        "2026-01-01",
        "--end-date",
        "2026-06-01",
    ]));
    assert_eq!(code, 0, "{stderr}");
    let req = &server.requests()[0];
    assert_eq!(req.path, "/api/v1/customers");
    assert_eq!(req.query_value("limit"), Some("2"));
    assert_eq!(req.query_value("cursor"), Some("cur_abc"));
    assert_eq!(req.query_value("search"), Some("acme"));
    assert_eq!(req.query_value("startDate"), Some("2026-01-01"));
    assert_eq!(req.query_value("endDate"), Some("2026-06-01"));
    assert_eq!(req.body, serde_json::Value::Null);
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(
        lines[0].starts_with("ID") && lines[0].contains("EMAIL"),
        "{stdout}"
    );
    assert!(
        lines[1].starts_with("cus_1") && lines[2].starts_with("cus_2"),
        "{stdout}"
    );
    assert!(stderr.contains("--cursor cur_next"), "{stderr}");

    let (code, stdout, _) = run(env.cmd(["customers", "list", "--output", "agent"]));
    assert_eq!(code, 0);
    let doc = json_stdout(&stdout);
    assert_eq!(doc[0]["id"], "cus_1", "agents get the data array");
    assert_eq!(doc.as_array().map(Vec::len), Some(2));
}

#[test]
fn batch_and_credits_and_plan_grants() {
    let server = Recorder::start(|_| Reply::json(200, json!({"object": "x", "id": "x_1"})));
    let env = env_for(&server);
    let cases: Vec<(Vec<&str>, &str, &str, serde_json::Value)> = vec![
        (
            vec![
                "customers",
                "create-batch",
                "--customers",
                r#"[{"email":"a@co.com"},{"email":"b@co.com"}]"#,
            ],
            "POST",
            "/api/v1/customers/batch",
            json!({"customers": [{"email":"a@co.com"},{"email":"b@co.com"}]}),
        ),
        (
            vec![
                "customers",
                "create-credit",
                "--id",
                "cus_1",
                "--amount",
                "2500",
                "--currency",
                "usd",
                "--reason",
                "Outage",
            ],
            "POST",
            "/api/v1/customers/cus_1/credits",
            json!({"amount": 2500, "currency": "usd", "reason": "Outage"}),
        ),
        (
            vec![
                "customers",
                "revoke-credit",
                "--id",
                "cus_1",
                "--credit-id",
                "crd_9",
            ],
            "POST",
            "/api/v1/customers/cus_1/credits/crd_9/revoke",
            json!({}),
        ),
        (
            vec![
                "customers",
                "create-plan-grant",
                "--id",
                "cus_1",
                "--subscription-id",
                "sub_1",
                "--plan-id",
                "pln_1",
                "--reason",
                "Partner",
                "--duration",
                "cycles",
                "--duration-cycles",
                "3",
            ],
            "POST",
            "/api/v1/customers/cus_1/plan-grants",
            json!({"subscriptionId": "sub_1", "planId": "pln_1", "reason": "Partner", "duration": "cycles", "durationCycles": 3}),
        ),
        (
            vec![
                "customers",
                "update-plan-grant",
                "--id",
                "cus_1",
                "--grant-id",
                "pgr_1",
                "--reason",
                "More",
                "--duration",
                "until_date",
                "--expires-at",
                "2026-12-31T00:00:00Z",
            ],
            "PATCH",
            "/api/v1/customers/cus_1/plan-grants/pgr_1",
            json!({"reason": "More", "duration": "until_date", "expiresAt": "2026-12-31T00:00:00Z"}),
        ),
        (
            vec![
                "customers",
                "revoke-plan-grant",
                "--id",
                "cus_1",
                "--grant-id",
                "pgr_1",
                "--reason",
                "Done",
            ],
            "POST",
            "/api/v1/customers/cus_1/plan-grants/pgr_1/revoke",
            json!({"reason": "Done"}),
        ),
    ];
    for (args, method, path, body) in &cases {
        let (code, _, stderr) = run(env.cmd(args));
        assert_eq!(code, 0, "{args:?}: {stderr}");
        let req = server.requests().pop().expect("a request");
        assert_eq!(
            (&req.method[..], &req.path[..]),
            (*method, *path),
            "{args:?}"
        );
        assert_eq!(&req.body, body, "{args:?}");
    }
    for (args, path) in [
        (
            vec!["customers", "list-credits", "--id", "cus_1"],
            "/api/v1/customers/cus_1/credits",
        ),
        (
            vec!["customers", "list-plan-grants", "--id", "cus_1"],
            "/api/v1/customers/cus_1/plan-grants",
        ),
    ] {
        let (code, _, stderr) = run(env.cmd(&args));
        assert_eq!(code, 0, "{stderr}");
        let req = server.requests().pop().expect("a request");
        assert_eq!((req.method.as_str(), req.path.as_str()), ("GET", path));
    }
}

#[test]
fn bad_values_are_rejected_before_any_request() {
    let server = Recorder::ok();
    let env = env_for(&server);
    for (args, flag) in [
        (
            vec![
                "customers",
                "create",
                "--email",
                "a@b.co",
                "--metadata",
                "{oops",
            ],
            "--metadata",
        ),
        (
            vec![
                "customers",
                "create",
                "--email",
                "a@b.co",
                "--metadata",
                "[1,2]",
            ],
            "--metadata",
        ),
        (vec!["customers", "list", "--limit", "lots"], "--limit"),
        (
            vec!["customers", "list", "--start-date", "yesterday"],
            "--start-date",
        ),
        (
            vec![
                "customers",
                "create-credit",
                "--id",
                "c",
                "--amount",
                "1",
                "--currency",
                "doubloons",
                "--reason",
                "r",
            ],
            "--currency",
        ),
        (vec!["customers", "create"], "--email"),
    ] {
        let (code, stdout, stderr) = run(env.cmd(&args));
        assert_eq!(code, 2, "{args:?}");
        assert!(
            stderr.contains(flag),
            "{args:?} should name {flag}: {stderr}"
        );
        assert!(stdout.is_empty());
    }
    // Agents get the usage error as JSON on stdout.
    let (code, stdout, _) =
        run(env.cmd(["customers", "list", "--limit", "lots", "--output", "agent"]));
    assert_eq!(code, 2);
    let doc = json_stdout(&stdout);
    assert_eq!(doc["error"]["type"], "usage_error");
    assert!(doc["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .contains("--limit"));
    assert!(
        server.requests().is_empty(),
        "nothing may be sent for bad input"
    );
}

#[test]
fn json_flags_read_files() {
    let server = Recorder::start(|_| Reply::json(200, json!({"object": "customer_batch"})));
    let env = env_for(&server);
    let file = env.cwd.path().join("batch.json");
    std::fs::write(&file, r#"[{"email":"x@y.co"}]"#).unwrap();
    let (code, _, stderr) =
        run(env.cmd(["customers", "create-batch", "--customers", "@batch.json"]));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        server.single().body,
        json!({"customers": [{"email": "x@y.co"}]})
    );
}

#[test]
fn help_shows_flags_and_examples() {
    let env = TestEnv::new();
    let (code, stdout, _) = run(env.cmd(["--help"]));
    assert_eq!(code, 0);
    assert!(stdout.contains("customers"), "{stdout}");
    let (code, stdout, _) = run(env.cmd(["customers", "--help"]));
    assert_eq!(code, 0);
    for action in [
        "create",
        "get",
        "update",
        "list",
        "create-batch",
        "list-credits",
        "create-credit",
        "revoke-credit",
        "list-plan-grants",
        "create-plan-grant",
        "update-plan-grant",
        "revoke-plan-grant",
    ] {
        assert!(stdout.contains(action), "missing {action}: {stdout}");
    }
    let (code, stdout, _) = run(env.cmd(["customers", "create", "--help"]));
    assert_eq!(code, 0);
    for flag in [
        "--email",
        "--id",
        "--full-name",
        "--domain",
        "--website",
        "--timezone",
        "--language",
        "--industry",
        "--metadata",
        "--address",
        "--idempotency-key",
        "Examples:",
        "$ commet customers create",
    ] {
        assert!(stdout.contains(flag), "missing {flag}: {stdout}");
    }
}
