//! The local sandbox through the `commet` binary: start in the background,
//! use it with `COMMET_ENVIRONMENT=local`, restart without losing data; and
//! the CLI's retry paths against injected faults.

use std::time::Duration;

use commet_e2e::{json_stdout, run, TestEnv};
use commet_plugin_sandbox::server::{Faults, Sandbox, SandboxConfig};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Stops the background sandbox even when an assertion fails.
struct StopOnDrop<'a>(&'a TestEnv);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        let _ = self.0.cmd(["sandbox", "stop"]).output();
    }
}

#[test]
fn detached_sandbox_serves_local_commands_across_restarts() {
    let env = TestEnv::new().env("COMMET_ENVIRONMENT", "local");
    let port = free_port().to_string();
    let _guard = StopOnDrop(&env);

    let (code, stdout, stderr) = run(env.cmd(["sandbox", "start", "--detach", "--port", &port]));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains(&format!("http://127.0.0.1:{port}")),
        "{stdout}"
    );
    let key_line = stdout
        .lines()
        .find(|l| l.starts_with("API key: ck_"))
        .expect("an `API key: ck_…` line");
    let key = key_line.trim_start_matches("API key: ").trim();
    let saved = std::fs::read_to_string(env.home_path(".commet/sandbox/api-key")).unwrap();
    assert_eq!(saved.trim(), key);

    // No key configured anywhere: the CLI uses the sandbox's own.
    let (code, _, stderr) = run(env.cmd(["customers", "create", "--email", "a@example.com"]));
    assert_eq!(code, 0, "{stderr}");
    let (code, stdout, _) = run(env.cmd(["customers", "list"]));
    assert_eq!(code, 0);
    assert!(stdout.contains("a@example.com"), "{stdout}");

    let (code, stdout, _) = run(env.cmd(["sandbox", "status", "--output", "agent"]));
    assert_eq!(code, 0);
    assert_eq!(json_stdout(&stdout)["running"], true);

    let (code, _, stderr) = run(env.cmd(["sandbox", "stop"]));
    assert_eq!(code, 0, "{stderr}");
    // Nothing listens now: the error says how to start it.
    let (code, _, stderr) = run(env.cmd(["customers", "list"]));
    assert_eq!(code, 1);
    assert!(stderr.contains("commet sandbox start"), "{stderr}");

    let (code, _, stderr) = run(env.cmd(["sandbox", "start", "--detach", "--port", &port]));
    assert_eq!(code, 0, "{stderr}");
    let (code, stdout, _) = run(env.cmd(["customers", "list", "--output", "agent"]));
    assert_eq!(code, 0);
    let list = json_stdout(&stdout);
    assert_eq!(
        list.as_array().map(Vec::len),
        Some(1),
        "the customer survived the restart: {list}"
    );
    assert_eq!(list[0]["email"], "a@example.com");
}

fn faulty_sandbox(spec: &str) -> (Sandbox, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut config = SandboxConfig::new(dir.path());
    config.faults = Faults::parse(spec).expect("fault spec");
    (Sandbox::start(config).expect("sandbox starts"), dir)
}

#[test]
fn retries_ride_out_injected_503s_and_write_once() {
    let (sb, _dir) = faulty_sandbox("503*2");
    let env = TestEnv::new().against(&sb.url(), &sb.api_key());
    let (code, stdout, stderr) = run(env.cmd([
        "-v",
        "customers",
        "create",
        "--email",
        "retry@example.com",
        "--output",
        "agent",
    ]));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(json_stdout(&stdout)["email"], "retry@example.com");
    assert_eq!(stderr.matches("retrying").count(), 2, "{stderr}");
    let (_, stdout, _) = run(env.cmd(["customers", "list", "--output", "agent"]));
    assert_eq!(
        json_stdout(&stdout).as_array().map(Vec::len),
        Some(1),
        "exactly one customer"
    );
}

#[test]
fn retries_honour_retry_after_on_429() {
    let (sb, _dir) = faulty_sandbox("429*1");
    let env = TestEnv::new().against(&sb.url(), &sb.api_key());
    let started = std::time::Instant::now();
    let (code, _, stderr) = run(env.cmd(["features", "list"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "waited the Retry-After second"
    );
}

#[test]
fn dropped_connections_are_retried() {
    let (sb, _dir) = faulty_sandbox("drop*1");
    let env = TestEnv::new().against(&sb.url(), &sb.api_key());
    let (code, stdout, stderr) = run(env.cmd([
        "plans", "create", "--name", "Pro", "--code", "pro", "--output", "agent",
    ]));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(json_stdout(&stdout)["code"], "pro");
    let (_, stdout, _) = run(env.cmd(["plans", "list", "--output", "agent"]));
    assert_eq!(json_stdout(&stdout).as_array().map(Vec::len), Some(1));
}

#[test]
fn persistent_errors_end_with_the_api_error_after_three_retries() {
    let (sb, _dir) = faulty_sandbox("500=1");
    let env = TestEnv::new().against(&sb.url(), &sb.api_key());
    let (code, _, stderr) = run(env.cmd(["-v", "features", "list"]));
    assert_eq!(code, 1);
    assert_eq!(stderr.matches("retrying").count(), 3, "{stderr}");
    assert!(stderr.contains("request id: req_"), "{stderr}");
}
