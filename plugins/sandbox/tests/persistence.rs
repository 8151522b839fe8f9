//! The data dir: restarts, crashes, migrations, reset, files.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use commet_plugin_sandbox::server::{datadir, Faults, Sandbox, SandboxConfig, SandboxError};
use common::{agent, send, start};
use serde_json::json;

#[test]
fn everything_survives_a_restart() {
    let mut env = start();
    let key = env.key.clone();
    let org = env.sandbox().org_id();
    let c = env
        .post(
            "/customers",
            json!({ "email": "keep@example.com", "id": "keep" }),
        )
        .ok();
    env.post(
        "/features",
        json!({ "code": "sso", "name": "SSO", "type": "boolean" }),
    )
    .ok();
    env.post("/plans", json!({ "name": "Pro", "code": "pro" }))
        .ok();
    env.post("/plans/pro/features", json!({ "featureId": "sso" }))
        .ok();
    env.post(
        "/plans/pro/prices",
        json!({ "billingInterval": "monthly", "price": 2900 }),
    )
    .ok();
    let (other_id, other_key) = env.other_org();
    env.req("POST", "/api/v1/customers")
        .idem("persisted")
        .json(json!({ "email": "i@example.com" }))
        .send()
        .ok();

    env.restart();
    assert_eq!(env.key, key, "the default key is kept");
    assert_eq!(env.sandbox().org_id(), org);
    assert_eq!(env.get("/customers/keep").ok()["id"], c["id"]);
    let plan = env.get("/plans/pro").ok();
    assert_eq!(plan["features"][0]["code"], "sso");
    assert_eq!(plan["prices"][0]["price"], 2900);
    assert_eq!(env.get_as(&other_key, "/customers").ok()["data"], json!([]));
    let replay = env
        .req("POST", "/api/v1/customers")
        .idem("persisted")
        .json(json!({ "email": "i@example.com" }))
        .send();
    assert_eq!(replay.header("idempotent-replayed"), Some("true"));
    let orgs = env.req("GET", "/api/cli/organizations").send().ok();
    assert_eq!(orgs["organizations"][0]["slug"], "local");
    let _ = other_id;
}

#[test]
fn data_dir_files() {
    let env = start();
    let dir = env.dir.path();
    let key_file = std::fs::read_to_string(dir.join("api-key")).unwrap();
    assert_eq!(key_file.trim(), env.key);
    assert!(env.key.starts_with("ck_sandbox_"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join("api-key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let info: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("server.json")).unwrap()).unwrap();
    assert_eq!(info["pid"], std::process::id());
    assert_eq!(info["port"], env.sandbox().port());
    assert_eq!(info["url"], env.url);
    assert!(info["startedAt"].is_string());
    assert!(dir.join("sandbox.db").exists());
    let orgs = env.req("GET", "/api/cli/organizations").send().ok();
    assert_eq!(
        orgs["organizations"][0],
        json!({ "id": env.sandbox().org_id(), "name": "Local Sandbox", "slug": "local", "mode": "sandbox" })
    );

    let path = dir.to_path_buf();
    let mut env = env;
    env.sandbox.take().expect("running").shutdown();
    assert!(!path.join("server.json").exists(), "removed on clean stop");
    assert!(path.join("api-key").exists());
}

#[test]
fn a_second_server_on_the_same_dir_is_refused() {
    let env = start();
    let err = Sandbox::start(SandboxConfig::new(env.dir.path()))
        .err()
        .expect("refused");
    assert!(matches!(err, SandboxError::AlreadyRunning { .. }), "{err}");
    assert!(err.to_string().contains("commet sandbox stop"));
}

#[test]
fn a_busy_port_is_reported() {
    let env = start();
    let other = tempfile::tempdir().unwrap();
    let err = Sandbox::start(SandboxConfig {
        port: env.sandbox().port(),
        data_dir: other.path().to_path_buf(),
        faults: Faults::default(),
    })
    .err()
    .expect("port in use");
    assert!(matches!(err, SandboxError::PortInUse { .. }), "{err}");
    assert!(err.to_string().contains("--port"));
}

#[test]
fn reset_wipes_data_but_keeps_the_key() {
    let mut env = start();
    let key = env.key.clone();
    let org = env.sandbox().org_id();
    env.post("/customers", json!({ "email": "gone@example.com" }))
        .ok();
    let running = datadir::reset(env.dir.path()).expect_err("refused while running");
    assert!(matches!(running, SandboxError::AlreadyRunning { .. }));
    env.sandbox.take().unwrap().shutdown();
    datadir::reset(env.dir.path()).unwrap();
    assert!(!env.dir.path().join("sandbox.db").exists());
    env.restart();
    assert_eq!(env.key, key);
    assert_eq!(
        env.sandbox().org_id(),
        org,
        "the default org id is stable across resets"
    );
    assert_eq!(env.get("/customers").ok()["data"], json!([]));
}

#[test]
fn deleting_the_default_key_is_undone_on_restart() {
    let mut env = start();
    let keys = env.get("/api-keys").ok();
    let id = keys["data"][0]["id"].as_str().unwrap().to_owned();
    env.delete(&format!("/api-keys/{id}")).ok();
    env.get("/customers").err(401, "unauthorized");
    env.restart();
    env.get("/customers").ok();
}

#[test]
fn schema_versions_are_recorded_and_newer_ones_refused() {
    let dir = tempfile::tempdir().unwrap();
    Sandbox::start(SandboxConfig::new(dir.path()))
        .unwrap()
        .shutdown();
    let db = rusqlite::Connection::open(dir.path().join("sandbox.db")).unwrap();
    let version: i64 = db
        .query_row("SELECT MAX(version) FROM schema_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(
        version,
        commet_plugin_sandbox::server::store::SCHEMA_VERSION
    );
    let mode: String = db
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    // Reopening an existing dir is fine; a dir from a newer build is not.
    Sandbox::start(SandboxConfig::new(dir.path()))
        .unwrap()
        .shutdown();
    db.execute(
        "INSERT INTO schema_version (version, applied_at) VALUES (999, 'x')",
        [],
    )
    .unwrap();
    drop(db);
    let err = Sandbox::start(SandboxConfig::new(dir.path()))
        .err()
        .expect("refused");
    assert!(
        matches!(err, SandboxError::SchemaTooNew { found: 999, .. }),
        "{err}"
    );
}

const CHILD_DIR_ENV: &str = "SANDBOX_TEST_CHILD_DIR";

/// Not a test by itself: the server process `acknowledged_writes_survive_kill_9`
/// spawns (and kills). Without the variable it does nothing.
#[test]
fn child_server() {
    let Ok(dir) = std::env::var(CHILD_DIR_ENV) else {
        return;
    };
    let sandbox = Sandbox::start(SandboxConfig::new(dir)).expect("child sandbox starts");
    println!("READY {} {}", sandbox.url(), sandbox.api_key());
    // Bounded: the parent kills us long before this.
    std::thread::sleep(Duration::from_secs(60));
}

#[test]
fn acknowledged_writes_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_server", "--nocapture", "--test-threads=1"])
        .env(CHILD_DIR_ENV, dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let ready = loop {
        let line = lines.next().expect("child prints READY").unwrap();
        // libtest prints "test child_server ... " before it on the same line.
        if let Some((_, rest)) = line.split_once("READY ") {
            break rest.to_owned();
        }
    };
    let mut parts = ready.split_whitespace();
    let (url, key) = (
        parts.next().unwrap().to_owned(),
        parts.next().unwrap().to_owned(),
    );

    // Four writers create customers as fast as they can; the ids of every
    // acknowledged write are recorded; after ~40 acknowledgements: SIGKILL.
    let acked = Arc::new(Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let (url, key, acked, stop) = (url.clone(), key.clone(), acked.clone(), stop.clone());
            std::thread::spawn(move || {
                let agent = agent();
                let started = Instant::now();
                let mut n = 0;
                while !stop.load(Ordering::SeqCst)
                    && started.elapsed() < Duration::from_secs(30)
                    && n < 500
                {
                    let body = json!({ "email": format!("w{w}n{n}@example.com") }).to_string();
                    match send(
                        &agent,
                        &url,
                        "POST",
                        "/api/v1/customers",
                        Some(&key),
                        &[],
                        Some(body),
                    ) {
                        Ok(r) if r.status == 200 => acked
                            .lock()
                            .unwrap()
                            .push(r.body["id"].as_str().unwrap().to_owned()),
                        _ => break,
                    }
                    n += 1;
                }
            })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(30);
    while acked.lock().unwrap().len() < 40 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    stop.store(true, Ordering::SeqCst);
    for w in writers {
        w.join().unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() >= 40, "the burst ran ({} writes)", acked.len());

    // The crashed server left server.json behind; a new one starts anyway.
    let sandbox = Sandbox::start(SandboxConfig::new(dir.path())).expect("restart after kill -9");
    let agent = agent();
    for id in &acked {
        let r = send(
            &agent,
            &sandbox.url(),
            "GET",
            &format!("/api/v1/customers/{id}"),
            Some(&key),
            &[],
            None,
        )
        .unwrap();
        assert_eq!(r.status, 200, "acknowledged customer {id} lost: {}", r.text);
    }
}
