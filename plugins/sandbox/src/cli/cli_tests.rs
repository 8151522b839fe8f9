//! The `commet sandbox` actions, run through the plugin entry point with a
//! stand-in host.

use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use abi_stable::sabi_trait::TD_Opaque;
use abi_stable::std_types::{RResult, RStr, RString};
use commet_sdk::abi::{HostContext, HostContext_TO};
use commet_sdk::prelude::*;

use crate::server::{datadir, Sandbox, SandboxConfig};

/// A host that answers no API calls and reports Ctrl-C when told to.
#[derive(Default)]
struct FakeHost {
    interrupt: Arc<AtomicBool>,
}

impl HostContext for FakeHost {
    fn request(&self, _request: RStr<'_>) -> RResult<RString, RString> {
        RResult::RErr(
            PluginError::failed("no API in these tests")
                .to_json()
                .into(),
        )
    }
    fn log(&self, _level: u8, _message: RStr<'_>) {}
    fn progress(&self, _message: RStr<'_>) {}
    fn plugin_config(&self) -> RString {
        "{}".into()
    }
    fn wait_interrupt(&self, timeout_ms: u64) -> bool {
        std::thread::sleep(Duration::from_millis(timeout_ms.min(20)));
        self.interrupt.load(Ordering::SeqCst)
    }
    fn call(&self, _service: RStr<'_>, _payload: RStr<'_>) -> RResult<RString, RString> {
        RResult::RErr(
            PluginError::failed("no host services in these tests")
                .to_json()
                .into(),
        )
    }
}

fn run_with(host: &FakeHost, action: &str, args: Value) -> Result<Output, PluginError> {
    let host_ref = HostContext_TO::from_ptr(host, TD_Opaque);
    let command = json!(["sandbox", action]).to_string();
    let args = args.to_string();
    match commet_sdk::export::run(
        crate::__commet_plugin,
        RStr::from_str(&command),
        RStr::from_str(&args),
        host_ref,
    ) {
        RResult::ROk(text) => Ok(serde_json::from_str(text.as_str()).expect("output")),
        RResult::RErr(text) => Err(PluginError::from_json(text.as_str())),
    }
}

fn run(action: &str, args: Value) -> Result<Output, PluginError> {
    run_with(&FakeHost::default(), action, args)
}

fn dir_arg(dir: &std::path::Path) -> Value {
    json!({ "data-dir": dir.display().to_string() })
}

#[test]
fn key_prints_the_key_or_explains() {
    let dir = tempfile::tempdir().unwrap();
    let err = run("key", dir_arg(dir.path())).unwrap_err();
    assert!(err.to_string().contains("api-key"), "{err}");
    let sandbox = Sandbox::start(SandboxConfig::new(dir.path())).unwrap();
    let out = run("key", dir_arg(dir.path())).unwrap();
    assert_eq!(
        out.view,
        View::Text {
            text: sandbox.api_key()
        }
    );
    assert_eq!(out.data["apiKey"], sandbox.api_key());
}

#[test]
fn status_running_and_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let out = run("status", dir_arg(dir.path())).unwrap();
    assert_eq!(out.data["running"], false);
    assert_eq!(out.data["counts"], Value::Null);
    let sandbox = Sandbox::start(SandboxConfig::new(dir.path())).unwrap();
    let out = run("status", dir_arg(dir.path())).unwrap();
    assert_eq!(out.view, View::Object);
    assert_eq!(out.data["running"], true);
    assert_eq!(out.data["healthy"], true);
    assert_eq!(out.data["url"], sandbox.url());
    assert_eq!(out.data["pid"], std::process::id());
    assert_eq!(out.data["counts"]["organizations"], 1);
    sandbox.shutdown();
    let out = run("status", dir_arg(dir.path())).unwrap();
    assert_eq!(out.data["running"], false);
    assert_eq!(out.data["counts"]["apiKeys"], 1);
    assert!(out.data["hint"]
        .as_str()
        .unwrap()
        .contains("commet sandbox start"));
}

#[test]
fn reset_refuses_while_running_and_keeps_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        "reset",
        json!({ "data-dir": dir.path().display().to_string(), "yes": true }),
    )
    .unwrap();
    assert!(out.data["message"]
        .as_str()
        .unwrap()
        .contains("Nothing to reset"));
    let sandbox = Sandbox::start(SandboxConfig::new(dir.path())).unwrap();
    let key = sandbox.api_key();
    let err = run(
        "reset",
        json!({ "data-dir": dir.path().display().to_string(), "yes": true }),
    )
    .unwrap_err();
    assert!(err.to_string().contains("running"), "{err}");
    sandbox.shutdown();
    let out = run(
        "reset",
        json!({ "data-dir": dir.path().display().to_string(), "yes": true }),
    )
    .unwrap();
    assert_eq!(out.data["reset"], true);
    assert!(!dir.path().join(datadir::DB_FILE).exists());
    assert_eq!(
        datadir::read_api_key(dir.path()).unwrap().as_deref(),
        Some(key.as_str())
    );
}

#[test]
fn stop_without_a_server_is_fine() {
    let dir = tempfile::tempdir().unwrap();
    let out = run("stop", dir_arg(dir.path())).unwrap();
    assert_eq!(out.data["stopped"], false);
    // A stale server.json from a dead process is cleaned up.
    let info = datadir::ServerInfo {
        pid: u32::MAX - 1,
        port: 1,
        url: "http://127.0.0.1:1".into(),
        started_at: "2026-01-01T00:00:00.000Z".into(),
    };
    datadir::write_server_info(dir.path(), &info).unwrap();
    let out = run("stop", dir_arg(dir.path())).unwrap();
    assert_eq!(out.data["stopped"], false);
    assert!(!dir.path().join(datadir::SERVER_FILE).exists());
}

#[test]
fn start_reports_a_busy_port_and_bad_faults() {
    let dir = tempfile::tempdir().unwrap();
    let busy = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = busy.local_addr().unwrap().port();
    let err = run(
        "start",
        json!({ "data-dir": dir.path().display().to_string(), "port": port }),
    )
    .unwrap_err();
    let text = serde_json::to_string(&err).unwrap();
    assert!(
        text.contains("already in use") && text.contains("--port"),
        "{text}"
    );
    let err = run(
        "start",
        json!({ "data-dir": dir.path().display().to_string(), "port": 0, "faults": "200=1" }),
    )
    .unwrap_err();
    assert!(matches!(err, PluginError::Usage { .. }), "{err:?}");
}

#[test]
fn foreground_start_serves_until_interrupted() {
    let dir = tempfile::tempdir().unwrap();
    let host = FakeHost::default();
    let interrupt = host.interrupt.clone();
    let path = dir.path().to_path_buf();
    let server = std::thread::spawn(move || {
        run_with(
            &host,
            "start",
            json!({ "data-dir": path.display().to_string(), "port": 0 }),
        )
    });
    let info = wait_for_server(dir.path(), None).expect("server.json appears");
    assert!(datadir::health_ok(info.port));
    interrupt.store(true, Ordering::SeqCst);
    let out = server.join().unwrap().unwrap();
    assert_eq!(out.data["stopped"], true);
    assert!(
        !dir.path().join(datadir::SERVER_FILE).exists(),
        "clean stop removes server.json"
    );
}

fn wait_for_server(dir: &std::path::Path, pid: Option<u32>) -> Option<datadir::ServerInfo> {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if let Some(info) =
            datadir::read_server_info(dir).filter(|i| pid.is_none_or(|p| p == i.pid))
        {
            if datadir::health_ok(info.port) {
                return Some(info);
            }
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    None
}

const CHILD_ENV: &str = "SANDBOX_CLI_TEST_CHILD_DIR";

/// The foreground server `stop_terminates_a_foreground_server` spawns;
/// does nothing unless the variable is set.
#[test]
fn child_foreground() {
    let Ok(dir) = std::env::var(CHILD_ENV) else {
        return;
    };
    // Never interrupted: only SIGTERM can stop it (bounded by the parent's kill).
    let out = run("start", json!({ "data-dir": dir, "port": 0 })).expect("foreground start");
    assert_eq!(out.data["stopped"], true);
}

#[test]
fn stop_terminates_a_foreground_server() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "cli::cli_tests::child_foreground",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let info = wait_for_server(dir.path(), Some(child.id()));
    let Some(info) = info else {
        let _ = child.kill();
        panic!("the child server did not start");
    };
    let out = run("stop", dir_arg(dir.path())).unwrap();
    assert_eq!(out.data["stopped"], true);
    assert_eq!(out.data["pid"], info.pid);
    // SIGTERM is a clean shutdown: the child's start returned normally.
    let deadline = Instant::now() + Duration::from_secs(15);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the child did not exit after SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(25));
    };
    assert!(status.success(), "child exit: {status}");
    assert!(!dir.path().join(datadir::SERVER_FILE).exists());
}
