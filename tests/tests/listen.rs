//! `commet listen` end to end: the built binary against the in-process
//! local sandbox, forwarding to a local receiver. Signatures are checked
//! with an HMAC computed here, keyed with the secret `listen` printed.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use commet_e2e::webhooks::WebhookReceiver;
use commet_e2e::{commet_bin, run, TestEnv};
use commet_plugin_sandbox::server::{Sandbox, SandboxConfig};
use serde_json::Value;

const WAIT: Duration = Duration::from_secs(20);

fn sandbox() -> (Sandbox, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let sb = Sandbox::start(SandboxConfig::new(dir.path())).expect("sandbox starts");
    (sb, dir)
}

/// A running `commet listen` and what it printed so far.
struct Listen {
    child: Child,
    lines: mpsc::Receiver<String>,
    stdout: Vec<String>,
    stderr: mpsc::Receiver<String>,
}

impl Listen {
    fn spawn(env: &TestEnv, sb: &Sandbox, args: &[&str]) -> Listen {
        let mut child = Command::new(commet_bin())
            .args(args)
            .current_dir(env.cwd.path())
            .env_clear()
            .env("HOME", env.home.path())
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("NO_COLOR", "1")
            .env("COMMET_API_URL", sb.url())
            .env("COMMET_API_KEY", sb.api_key())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn commet listen");
        let (tx, rx) = mpsc::channel();
        let out = child.stdout.take().expect("stdout");
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let (etx, erx) = mpsc::channel();
        let err = child.stderr.take().expect("stderr");
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines() {
                let Ok(line) = line else { break };
                let _ = etx.send(line);
            }
        });
        Listen {
            child,
            lines: rx,
            stdout: Vec::new(),
            stderr: erx,
        }
    }

    fn stderr_text(&self) -> String {
        self.stderr.try_iter().collect::<Vec<_>>().join("\n")
    }

    /// Waits for a stdout line matching `pred`.
    fn wait_line(&mut self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.stdout.push(line.clone());
                    if pred(&line) {
                        return line;
                    }
                }
                Err(_) => panic!(
                    "no {what} line; stdout so far:\n{}\nstderr:\n{}",
                    self.stdout.join("\n"),
                    self.stderr_text()
                ),
            }
        }
    }

    /// Collects stdout lines arriving within `quiet`.
    fn more(&mut self, quiet: Duration) -> Vec<String> {
        let mut out = Vec::new();
        while let Ok(line) = self.lines.recv_timeout(quiet) {
            self.stdout.push(line.clone());
            out.push(line);
        }
        out
    }

    /// Sends SIGINT (Ctrl+C) and returns the exit code.
    fn interrupt(mut self) -> (i32, Vec<String>) {
        let status = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status()
            .expect("kill -INT");
        assert!(status.success());
        let deadline = Instant::now() + WAIT;
        let code = loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                break status.code().unwrap_or(-1);
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("commet listen did not stop on SIGINT");
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let rest = self.more(Duration::from_millis(300));
        let mut all = self.stdout.clone();
        all.extend(rest);
        (code, all)
    }
}

impl Drop for Listen {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn sessions(sb: &Sandbox) -> Vec<Value> {
    let text = ureq::get(&format!("{}/api/cli/listen/sessions", sb.url()))
        .header("x-api-key", &sb.api_key())
        .call()
        .expect("sessions")
        .into_body()
        .read_to_string()
        .unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    v["data"].as_array().cloned().unwrap_or_default()
}

fn commet_ok(env: &TestEnv, args: &[&str]) -> Value {
    let (code, stdout, stderr) = run(env.cmd(args));
    assert_eq!(code, 0, "commet {args:?} failed:\n{stdout}\n{stderr}");
    serde_json::from_str(&stdout).unwrap_or(Value::Null)
}

#[test]
fn forwards_only_the_filtered_event_signed_and_stops_on_ctrl_c() {
    let (sb, _dir) = sandbox();
    let receiver = WebhookReceiver::start(200);
    let env = TestEnv::new().against(&sb.url(), &sb.api_key());
    let port = receiver.port().to_string();
    let mut listen = Listen::spawn(
        &env,
        &sb,
        &["listen", &port, "--events", "customer.created"],
    );
    let secret_line = listen.wait_line("signing secret", |l| l.contains("Signing secret:"));
    let secret = secret_line
        .split("Signing secret:")
        .nth(1)
        .unwrap()
        .trim()
        .to_owned();
    assert!(secret.starts_with("whsec_"), "{secret_line}");
    assert!(listen
        .stdout
        .iter()
        .any(|l| l.contains("Authenticated (org: Local Sandbox)")));
    listen.wait_line("ready", |l| l.contains("Ready!"));

    let customer = commet_ok(
        &env,
        &[
            "--output",
            "agent",
            "customers",
            "create",
            "--email",
            "listen@example.com",
        ],
    );
    let customer_id = customer["id"].as_str().expect("customer id").to_owned();
    commet_ok(
        &env,
        &[
            "features",
            "create",
            "--code",
            "api_calls",
            "--name",
            "API Calls",
            "--type",
            "usage",
        ],
    );
    commet_ok(
        &env,
        &[
            "customers",
            "update",
            "--id",
            &customer_id,
            "--full-name",
            "Listen Test",
        ],
    );

    let got = receiver.next(WAIT).expect("the customer.created POST");
    assert_eq!(got.method, "POST");
    assert_eq!(got.path, "/");
    assert!(
        got.signed_with(&secret),
        "signature over the raw body: {got:?}"
    );
    let body = got.json();
    assert_eq!(body["event"], "customer.created");
    assert_eq!(body["data"]["id"], customer_id.as_str());
    assert_eq!(body["data"]["email"], "listen@example.com");
    assert_eq!(body["mode"], "sandbox");
    assert_eq!(
        got.header("x-commet-event-id"),
        body["id"].as_str().unwrap()
    );
    assert_eq!(got.header("content-type"), "application/json");
    let line = listen.wait_line("forwarded event", |l| l.contains("customer.created"));
    assert!(line.contains("200"), "{line}");
    let others = receiver.drain(Duration::from_secs(2), 10);
    assert!(
        others.is_empty(),
        "only customer.created is forwarded: {others:?}"
    );
    assert!(!listen
        .more(Duration::from_millis(300))
        .iter()
        .any(|l| l.contains("customer.updated")));

    let (code, out) = listen.interrupt();
    assert_eq!(code, 0, "{out:?}");
    let all = sessions(&sb);
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!(
        all[0]["status"], "stopped",
        "the session ended on the server"
    );
}

#[test]
fn a_refused_target_prints_an_error_and_listening_goes_on() {
    let (sb, _dir) = sandbox();
    let env = TestEnv::new().against(&sb.url(), &sb.api_key());
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let target = format!("127.0.0.1:{closed}/hooks");
    let mut listen = Listen::spawn(&env, &sb, &["listen", &target]);
    listen.wait_line("ready", |l| l.contains("Ready!"));
    for i in 0..2 {
        commet_ok(
            &env,
            &[
                "customers",
                "create",
                "--email",
                &format!("r{i}@example.com"),
            ],
        );
        let line = listen.wait_line("error", |l| l.contains("customer.created"));
        assert!(line.contains("error"), "{line}");
        assert!(line.contains("refused"), "{line}");
    }
    let (code, _) = listen.interrupt();
    assert_eq!(code, 0);
    assert_eq!(sessions(&sb)[0]["status"], "stopped");
}

#[test]
fn agent_output_is_json_lines() {
    let (sb, _dir) = sandbox();
    let receiver = WebhookReceiver::start(200);
    let env = TestEnv::new().against(&sb.url(), &sb.api_key());
    let target = receiver.url("/webhooks");
    let mut listen = Listen::spawn(&env, &sb, &["--output", "agent", "listen", &target]);
    let first = listen.wait_line("start", |l| l.contains("listening"));
    let start: Value = serde_json::from_str(&first).expect("JSON start line");
    assert_eq!(start["listening"], true);
    assert_eq!(start["organization"], "Local Sandbox");
    assert_eq!(start["target"], target.as_str());
    let secret = start["signingSecret"].as_str().unwrap().to_owned();

    commet_ok(
        &env,
        &["customers", "create", "--email", "agent@example.com"],
    );
    let got = receiver.next(WAIT).expect("forwarded");
    assert_eq!(got.path, "/webhooks");
    assert!(got.signed_with(&secret));
    let line = listen.wait_line("event", |l| l.contains("customer.created"));
    let event: Value = serde_json::from_str(&line).expect("JSON event line");
    assert_eq!(event["event"], "customer.created");
    assert_eq!(event["status"], 200);
    assert_eq!(event["ok"], true);
    for l in &listen.stdout {
        serde_json::from_str::<Value>(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}"));
    }
    let (code, _) = listen.interrupt();
    assert_eq!(code, 0);
}
