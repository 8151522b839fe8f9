//! `commet login`, `link` and `orgs` end to end against the in-process local
//! sandbox; the test approves (or denies) the login through the sandbox's
//! approval page form, as a person would.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use commet_e2e::{commet_bin, json_stdout, run, TestEnv};
use commet_plugin_sandbox::server::{DeviceTimings, Sandbox, SandboxConfig};

fn sandbox() -> (Sandbox, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let sb = Sandbox::start(SandboxConfig::new(dir.path())).expect("sandbox starts");
    sb.set_device_timings(DeviceTimings {
        interval: Duration::from_secs(1),
        ttl: Duration::from_secs(30),
    });
    (sb, dir)
}

/// Starts `commet login --no-browser` and returns it with the user code it
/// printed.
fn start_login(env: &TestEnv, url: &str) -> (Child, String, Vec<String>) {
    let mut child = Command::new(commet_bin())
        .args(["login", "--no-browser", "--api-url", url])
        .current_dir(env.cwd.path())
        .env_clear()
        .env("HOME", env.home.path())
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn commet login");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = Vec::new();
    let mut reader = BufReader::new(stderr);
    let deadline = Instant::now() + Duration::from_secs(20);
    let code = loop {
        assert!(Instant::now() < deadline, "no login URL printed: {lines:?}");
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            panic!("login ended before printing a URL: {lines:?}");
        }
        lines.push(line.clone());
        if let Some(pos) = line.find("user_code=") {
            break line[pos + "user_code=".len()..].trim().to_owned();
        }
    };
    // Keep draining stderr so the child never blocks on a full pipe.
    std::thread::spawn(move || for _ in reader.lines() {});
    (child, code, lines)
}

fn post_form(url: &str, user_code: &str) -> u16 {
    ureq::post(url)
        .config()
        .http_status_as_error(false)
        .build()
        .content_type("application/x-www-form-urlencoded")
        .send(format!("user_code={user_code}"))
        .map(|r| r.status().as_u16())
        .expect("form POST")
}

fn wait(mut child: Child) -> (i32, String) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            let mut out = String::new();
            if let Some(mut s) = child.stdout.take() {
                let _ = std::io::Read::read_to_string(&mut s, &mut out);
            }
            return (status.code().unwrap_or(-1), out);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("commet login did not finish");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn login_link_orgs_and_a_linked_command() {
    let (sb, _dir) = sandbox();
    let url = sb.url();
    let env = TestEnv::new().env("COMMET_API_URL", url.clone());
    std::fs::write(env.cwd.path().join(".gitignore"), "target/\n").unwrap();

    let (child, code, printed) = start_login(&env, &url);
    assert!(
        printed.iter().any(|l| l.contains(&code)),
        "the code is shown: {printed:?}"
    );
    // The approval page shows the code and an Approve button.
    let page = ureq::get(&format!("{url}/device?user_code={code}"))
        .call()
        .expect("approval page")
        .into_body()
        .read_to_string()
        .unwrap();
    assert!(page.contains(&code) && page.contains("Approve"));
    assert!(post_form(&format!("{url}/device/approve"), &code) < 400);
    let (status, stdout) = wait(child);
    assert_eq!(status, 0, "{stdout}");
    assert!(stdout.contains("Logged in"), "{stdout}");

    let auth = env.home_path(".commet/auth.json");
    let text = std::fs::read_to_string(&auth).expect("auth.json written");
    let saved: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert!(!saved["token"].as_str().unwrap_or_default().is_empty());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&auth).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    assert!(
        !stdout.contains(saved["token"].as_str().unwrap()),
        "the token is never printed"
    );

    // A second org, to make the choice real.
    sb.create_org("Beta Labs", "beta").unwrap();
    let (code_, stdout, _) = run(env.cmd(["orgs", "--output", "agent"]));
    assert_eq!(code_, 0);
    let orgs = json_stdout(&stdout);
    let slugs: Vec<&str> = orgs
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|o| o["slug"].as_str())
        .collect();
    assert!(
        slugs.contains(&"local") && slugs.contains(&"beta"),
        "{slugs:?}"
    );

    // Without a terminal and with several orgs, link asks for --org.
    let (status, _, stderr) = run(env.cmd(["link"]));
    assert_eq!(status, 2, "{stderr}");
    assert!(
        stderr.contains("--org") && stderr.contains("beta") && stderr.contains("local"),
        "{stderr}"
    );

    let (status, stdout, stderr) = run(env.cmd(["link", "--org", "beta"]));
    assert_eq!(status, 0, "{stderr}");
    assert!(stdout.contains("Beta Labs"), "{stdout}");
    let config_path = env.cwd.path().join(".commet/config.json");
    let config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&config_path).unwrap()).unwrap();
    let key = config["apiKey"].as_str().unwrap().to_owned();
    assert!(key.starts_with("ck_"));
    assert_eq!(config["orgName"], "Beta Labs");
    assert!(!stdout.contains(&key), "the key is never printed");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&config_path)
                .unwrap()
                .permissions()
                .mode()
                & 0o777,
            0o600
        );
    }
    let gitignore = std::fs::read_to_string(env.cwd.path().join(".gitignore")).unwrap();
    assert!(
        gitignore.starts_with("target/\n") && gitignore.contains(".commet/"),
        "{gitignore}"
    );

    // The linked key works, and its data lives in the beta org only.
    let (status, _, stderr) = run(env.cmd(["customers", "create", "--email", "beta@example.com"]));
    assert_eq!(status, 0, "{stderr}");
    let (_, stdout, _) = run(env.cmd(["customers", "list", "--output", "agent"]));
    assert_eq!(json_stdout(&stdout).as_array().map(Vec::len), Some(1));
    let other = TestEnv::new().against(&url, &sb.api_key());
    let (_, stdout, _) = run(other.cmd(["customers", "list", "--output", "agent"]));
    assert_eq!(
        json_stdout(&stdout).as_array().map(Vec::len),
        Some(0),
        "the default org sees nothing"
    );

    // orgs marks the linked one.
    let (_, stdout, _) = run(env.cmd(["orgs"]));
    let beta_line = stdout.lines().find(|l| l.contains("beta")).unwrap();
    assert!(beta_line.trim_start().starts_with('*'), "{stdout}");

    let (status, stdout, _) = run(env.cmd(["link", "--clear"]));
    assert_eq!(status, 0);
    assert!(stdout.contains("Unlinked"));
    assert!(!config_path.exists());
    let (status, stdout, _) = run(env.cmd(["logout"]));
    assert_eq!(status, 0);
    assert!(stdout.contains("Logged out"));
    assert!(!auth.exists());
}

#[test]
fn denied_login_fails_cleanly() {
    let (sb, _dir) = sandbox();
    let env = TestEnv::new();
    let (child, code, _) = start_login(&env, &sb.url());
    assert!(post_form(&format!("{}/device/deny", sb.url()), &code) < 400);
    let (status, _) = wait(child);
    assert_eq!(status, 1);
    assert!(!env.home_path(".commet/auth.json").exists());
}

#[test]
fn expired_login_code_fails_cleanly() {
    let (sb, _dir) = sandbox();
    sb.set_device_timings(DeviceTimings {
        interval: Duration::from_secs(1),
        ttl: Duration::from_secs(2),
    });
    let env = TestEnv::new();
    let started = Instant::now();
    let (child, _code, _) = start_login(&env, &sb.url());
    let (status, _) = wait(child);
    assert_eq!(status, 1);
    assert!(started.elapsed() < Duration::from_secs(20));
    assert!(!env.home_path(".commet/auth.json").exists());
}

#[test]
fn orgs_without_login_says_how_to_log_in() {
    let (sb, _dir) = sandbox();
    let env = TestEnv::new().env("COMMET_API_URL", sb.url());
    let (status, _, stderr) = run(env.cmd(["orgs"]));
    assert_eq!(status, 1);
    assert!(stderr.contains("commet login"), "{stderr}");
}
