//! Broken, incompatible, panicking and clashing plugins: each gives one
//! clear line and every other command keeps working.

use std::path::Path;

use commet_e2e::{built_library, json_stdout, plugin_file_name, run, Recorder, Reply, TestEnv};
use serde_json::json;

/// A temporary plugin directory put first on COMMET_PLUGIN_PATH.
fn env_with_plugin_dir() -> (TestEnv, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let env = TestEnv::new().env("COMMET_PLUGIN_PATH", dir.path().display().to_string());
    (env, dir)
}

fn install(dir: &Path, fixture_lib: &str, as_name: &str) -> std::path::PathBuf {
    let dest = dir.join(plugin_file_name(as_name));
    std::fs::copy(built_library(fixture_lib), &dest).unwrap();
    dest
}

/// Customers still work against a recording server.
fn customers_still_work(env: &TestEnv) {
    let server =
        Recorder::start(|_| Reply::json(200, json!({"object":"list","data":[],"hasMore":false})));
    let (code, stdout, stderr) = run(env
        .cmd(["customers", "list", "--output", "agent"])
        .env("COMMET_API_URL", server.url())
        .env("COMMET_API_KEY", "ck_x"));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(json_stdout(&stdout), json!([]));
}

fn warning_lines<'a>(stderr: &'a str, path: &Path) -> Vec<&'a str> {
    let shown = path.display().to_string();
    stderr.lines().filter(|l| l.contains(&shown)).collect()
}

#[test]
fn a_file_that_is_not_a_plugin() {
    let (env, dir) = env_with_plugin_dir();
    let garbage = dir.path().join(plugin_file_name("garbage"));
    std::fs::write(&garbage, b"definitely not a shared library").unwrap();
    let (code, _, stderr) = run(env.cmd(["--help"]));
    assert_eq!(code, 0);
    let lines = warning_lines(&stderr, &garbage);
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(lines[0].contains("not a loadable library"), "{}", lines[0]);
    assert!(lines[0].contains("remove the file"), "{}", lines[0]);
    customers_still_work(&env);
}

#[test]
fn a_library_that_is_not_a_commet_plugin() {
    let (env, dir) = env_with_plugin_dir();
    // A real shared library that exports no commet plugin module: the SDK's
    // fixture for another ABI is a library, so use a plain C-ABI one instead.
    let other = dir.path().join(plugin_file_name("libc"));
    let libc = [
        "/lib/x86_64-linux-gnu/libm.so.6",
        "/usr/lib/x86_64-linux-gnu/libm.so.6",
        "/lib/aarch64-linux-gnu/libm.so.6",
    ]
    .iter()
    .find(|p| Path::new(p).exists());
    let Some(libc) = libc else {
        // No system library at a known path on this platform; the garbage
        // case above still covers unloadable files.
        return;
    };
    std::fs::copy(libc, &other).unwrap();
    let (code, _, stderr) = run(env.cmd(["plugins", "list"]));
    assert_eq!(code, 0);
    let lines = warning_lines(&stderr, &other);
    assert!(
        lines.iter().any(|l| l.contains("not a commet plugin")),
        "{stderr}"
    );
    customers_still_work(&env);
}

#[test]
fn a_plugin_built_for_another_abi() {
    let (env, dir) = env_with_plugin_dir();
    let path = install(dir.path(), "fixture_other_abi", "future_abi");
    let (code, stdout, stderr) = run(env.cmd(["plugins", "list", "--output", "agent"]));
    assert_eq!(code, 0);
    let lines = warning_lines(&stderr, &path);
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(lines[0].contains("ABI 9.0.0"), "{}", lines[0]);
    assert!(lines[0].contains("ABI 0.1.0"), "{}", lines[0]);
    assert!(lines[0].contains("rebuild"), "{}", lines[0]);
    let list = json_stdout(&stdout);
    let entry = list
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["path"] == path.display().to_string())
        .unwrap();
    assert_eq!(entry["ok"], false);
    customers_still_work(&env);
}

#[test]
fn a_plugin_for_a_newer_host() {
    let (env, dir) = env_with_plugin_dir();
    let path = install(dir.path(), "fixture_future_host", "future");
    let (code, stdout, stderr) = run(env.cmd(["--help"]));
    assert_eq!(code, 0);
    assert!(
        !stdout.contains("future "),
        "its group must not be offered: {stdout}"
    );
    let lines = warning_lines(&stderr, &path);
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(
        lines[0].contains("requires commet >=99.0.0"),
        "{}",
        lines[0]
    );
    assert!(lines[0].contains("this is commet 0.1.0"), "{}", lines[0]);
    // The warning is cached, not recomputed, but still shown every run.
    let (_, _, again) = run(env.cmd(["--help"]));
    assert_eq!(warning_lines(&again, &path).len(), 1);
    customers_still_work(&env);
}

#[test]
fn a_plugin_that_panics() {
    let (env, dir) = env_with_plugin_dir();
    install(dir.path(), "fixture_panics", "panics");
    let (code, stdout, stderr) = run(env.cmd(["boom", "now"]));
    assert_eq!(code, 1, "{stderr}");
    assert!(stdout.is_empty());
    assert!(stderr.contains("panicked"), "{stderr}");
    assert!(stderr.contains("index out of bounds"), "{stderr}");
    assert!(stderr.contains("plugin `panics`"), "{stderr}");
    assert!(
        !stderr.contains("RUST_BACKTRACE"),
        "no raw panic output: {stderr}"
    );
    assert!(!stderr.contains("stack backtrace"), "{stderr}");
    let (code, stdout, _) = run(env.cmd(["boom", "now", "--output", "agent"]));
    assert_eq!(code, 1);
    assert!(json_stdout(&stdout)["error"]["message"]
        .as_str()
        .unwrap()
        .contains("panicked"));
    customers_still_work(&env);
}

#[test]
fn two_plugins_claiming_one_group() {
    let (env, dir) = env_with_plugin_dir();
    let rogue = install(dir.path(), "fixture_rogue", "rogue");
    // The rogue comes first in the search path, so it wins `customers`...
    let (code, stdout, stderr) = run(env.cmd(["customers", "list"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("hello from rogue"));
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("`customers` command group"))
        .collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(
        lines[0].contains("libcommet_plugin_customers"),
        "{}",
        lines[0]
    );
    assert!(
        lines[0].contains(&rogue.display().to_string()),
        "{}",
        lines[0]
    );
    // ...and its other group works too.
    let (code, stdout, _) = run(env.cmd(["rogue-extra", "hello"]));
    assert_eq!(code, 0);
    assert!(stdout.contains("hello from rogue"));
}

#[test]
fn plugins_list_and_info() {
    let env = TestEnv::new();
    let (code, stdout, _) = run(env.cmd(["plugins", "list", "--output", "agent"]));
    assert_eq!(code, 0);
    let list = json_stdout(&stdout);
    let customers = list
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "customers")
        .expect("customers plugin listed");
    assert_eq!(customers["ok"], true);
    assert_eq!(customers["groups"], json!(["customers"]));
    assert_eq!(customers["version"], "0.1.0");
    let (code, stdout, _) = run(env.cmd(["plugins", "list"]));
    assert_eq!(code, 0);
    assert!(stdout.lines().next().unwrap().contains("NAME"));
    let (code, stdout, _) = run(env.cmd(["plugins", "info", "customers"]));
    assert_eq!(code, 0);
    assert!(stdout.contains("customers create"), "{stdout}");
    let (code, _, stderr) = run(env.cmd(["plugins", "info", "nope"]));
    assert_eq!(code, 1);
    assert!(stderr.contains("plugins list"));
}

#[test]
fn plugins_install_and_remove() {
    let env = TestEnv::new();
    let lib = built_library("fixture_rogue");
    let staged = env.cwd.path().join(plugin_file_name("rogue"));
    std::fs::copy(&lib, &staged).unwrap();
    let (code, stdout, stderr) = run(env.cmd(["plugins", "install", staged.to_str().unwrap()]));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("Installed rogue"), "{stdout}");
    assert!(env
        .home_path(".commet/plugins")
        .join(plugin_file_name("rogue"))
        .exists());
    let (code, stdout, _) = run(env.cmd(["rogue-extra", "hello"]));
    assert_eq!(code, 0);
    assert!(stdout.contains("hello from rogue"));
    let (code, _, _) = run(env.cmd(["plugins", "remove", "rogue"]));
    assert_eq!(code, 0);
    let (code, _, _) = run(env.cmd(["rogue-extra", "hello"]));
    assert_eq!(code, 2, "group gone after removal");

    // A broken file is refused and nothing is copied.
    let bad = env.cwd.path().join(plugin_file_name("bad"));
    std::fs::write(&bad, b"nope").unwrap();
    let (code, _, stderr) = run(env.cmd(["plugins", "install", bad.to_str().unwrap()]));
    assert_eq!(code, 1);
    assert!(stderr.contains("cannot be installed"), "{stderr}");
    assert!(!env
        .home_path(".commet/plugins")
        .join(plugin_file_name("bad"))
        .exists());
}
