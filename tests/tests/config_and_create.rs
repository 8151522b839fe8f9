//! `commet pull`, `commet push` and `commet create` against the local
//! sandbox server, started in-process on a free port.
//!
//! Needs the built binary and plugins: `cargo build -p commet
//! -p commet-plugin-config -p commet-plugin-create -p commet-plugin-features
//! -p commet-plugin-plans`.

use std::fs;
use std::path::Path;

use commet_e2e::{json_stdout, run, TestEnv};
use commet_plugin_sandbox::server::{Sandbox, SandboxConfig};
use serde_json::Value;

/// A sandbox with its own data directory (kept alive with the server).
struct Server {
    sandbox: Sandbox,
    _data: tempfile::TempDir,
}

fn server() -> Server {
    let data = tempfile::tempdir().expect("sandbox data dir");
    let sandbox = Sandbox::start(SandboxConfig::new(data.path())).expect("start the sandbox");
    Server {
        sandbox,
        _data: data,
    }
}

fn env_for(s: &Server) -> TestEnv {
    TestEnv::new().against(&s.sandbox.url(), &s.sandbox.api_key())
}

/// Exactly what `commet pull` writes for this catalog, so a push followed
/// by a pull gives the same bytes back.
const CONFIG: &str = r#"// Billing configuration for Commet: the features you sell and the plans that
// bundle them. `commet pull` rewrites this file from your organization;
// edit it and run `commet push` to apply your changes. Price amounts are in
// cents; overage unit prices use the rate scale (10000 = 1.00).
import { defineConfig } from "@commet/node";

export default defineConfig({
  features: {
    api_calls: {
      name: "API calls",
      type: "usage",
      unitName: "call",
      description: "Requests to the public API",
    },
    seats: {
      name: "Seats",
      type: "seats",
      unitName: "seat",
    },
    sso: {
      name: "Single sign-on",
      type: "boolean",
    },
  },
  plans: {
    free: {
      name: "Free",
      defaultInterval: "monthly",
      isFree: true,
      prices: [
        { interval: "monthly", amount: 0 },
      ],
      features: {
        api_calls: { included: 1000 },
        sso: false,
      },
    },
    pro: {
      name: "Pro",
      description: "For growing teams",
      defaultInterval: "monthly",
      sortOrder: 1,
      prices: [
        { interval: "monthly", amount: 2900, trialDays: 14 },
        { interval: "yearly", amount: 29000 },
      ],
      features: {
        api_calls: { included: 100000, overage: { unitPrice: 20 } },
        seats: { included: 3, overage: { unitPrice: 50000 } },
        sso: true,
      },
    },
    internal: {
      name: "Internal",
      isPublic: false,
      sortOrder: 2,
      prices: [],
    },
  },
});
"#;

fn write_config(env: &TestEnv, text: &str) {
    fs::write(env.cwd.path().join("commet.config.ts"), text).expect("write commet.config.ts");
}

fn read_config(dir: &Path) -> String {
    fs::read_to_string(dir.join("commet.config.ts")).expect("read commet.config.ts")
}

/// Codes of the organization's features or plans, via the CLI.
fn codes(env: &TestEnv, group: &str) -> Vec<String> {
    let mut args = vec![group, "list", "--output", "agent"];
    if group == "plans" {
        args.extend(["--include-private", "true", "--limit", "100"]);
    }
    let (code, stdout, stderr) = run(env.cmd(&args));
    assert_eq!(code, 0, "{group} list: {stderr}");
    let doc = json_stdout(&stdout);
    let items = doc
        .get("data")
        .and_then(Value::as_array)
        .or_else(|| doc.as_array())
        .cloned()
        .unwrap_or_default();
    let mut out: Vec<String> = items
        .iter()
        .filter_map(|i| i.get("code").and_then(Value::as_str).map(str::to_owned))
        .collect();
    out.sort();
    out
}

fn strings(v: &Value) -> Vec<String> {
    let mut out: Vec<String> = v
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s.as_str().map(str::to_owned))
        .collect();
    out.sort();
    out
}

#[test]
fn push_then_pull_gives_the_same_file_back() {
    let s = server();
    let env = env_for(&s);
    write_config(&env, CONFIG);

    // A dry run lists everything as new and changes nothing on the server.
    let (code, stdout, stderr) = run(env.cmd(["push", "--dry-run", "--output", "agent"]));
    assert_eq!(code, 0, "{stderr}");
    let doc = json_stdout(&stdout);
    assert_eq!(doc["applied"], false);
    assert_eq!(doc["dryRun"], true);
    assert_eq!(
        strings(&doc["features"]["created"]),
        ["api_calls", "seats", "sso"]
    );
    assert_eq!(
        strings(&doc["plans"]["created"]),
        ["free", "internal", "pro"]
    );
    assert!(
        codes(&env, "features").is_empty(),
        "dry run created features"
    );
    assert!(codes(&env, "plans").is_empty(), "dry run created plans");

    // The human dry run shows the diff.
    let (code, stdout, stderr) = run(env.cmd(["push", "--dry-run"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("+ api_calls"), "{stdout}");
    assert!(stdout.contains("Dry run: nothing was pushed."), "{stdout}");

    // Without a terminal, pushing needs --yes.
    let (code, _, stderr) = run(env.cmd(["push"]));
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("--yes"), "{stderr}");
    assert!(codes(&env, "features").is_empty());

    let (code, stdout, stderr) = run(env.cmd(["push", "--yes", "--output", "agent"]));
    assert_eq!(code, 0, "{stderr}");
    let doc = json_stdout(&stdout);
    assert_eq!(doc["applied"], true);
    assert_eq!(
        strings(&doc["result"]["features"]["created"]),
        ["api_calls", "seats", "sso"]
    );
    assert_eq!(
        strings(&doc["result"]["plans"]["created"]),
        ["free", "internal", "pro"]
    );
    assert_eq!(codes(&env, "features"), ["api_calls", "seats", "sso"]);
    assert_eq!(codes(&env, "plans"), ["free", "internal", "pro"]);

    // Pushing again changes nothing.
    let (code, stdout, stderr) = run(env.cmd(["push", "--yes", "--output", "agent"]));
    assert_eq!(code, 0, "{stderr}");
    let doc = json_stdout(&stdout);
    assert_eq!(doc["applied"], false);
    assert_eq!(
        strings(&doc["plans"]["unchanged"]),
        ["free", "internal", "pro"]
    );

    // Pull into a fresh file: the same bytes.
    fs::remove_file(env.cwd.path().join("commet.config.ts")).unwrap();
    let (code, stdout, stderr) = run(env.cmd(["pull"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("3 features, 3 plans"), "{stdout}");
    assert_eq!(read_config(env.cwd.path()), CONFIG);

    // And pulling again finds nothing to do.
    let (code, stdout, stderr) = run(env.cmd(["pull"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("already up to date"), "{stdout}");
}

#[test]
fn push_updates_only_what_changed() {
    let s = server();
    let env = env_for(&s);
    write_config(&env, CONFIG);
    let (code, _, stderr) = run(env.cmd(["push", "--yes"]));
    assert_eq!(code, 0, "{stderr}");

    // Raise the pro price and rename a feature, in a file written the way
    // people write it: single quotes, comments, trailing commas.
    write_config(
        &env,
        r#"import { defineConfig } from '@commet/node';
// hand-written
export default defineConfig({
  features: {
    sso: { name: 'SSO', type: 'boolean', },
  },
  plans: {
    pro: {
      name: 'Pro', description: 'For growing teams', // same as before
      prices: [{ interval: 'monthly', amount: 3900, trialDays: 14 }, { interval: 'yearly', amount: 29_000 }],
    },
  },
});
"#,
    );
    let (code, stdout, stderr) = run(env.cmd(["push", "--dry-run", "--output", "agent"]));
    assert_eq!(code, 0, "{stderr}");
    let doc = json_stdout(&stdout);
    assert_eq!(doc["features"]["updated"][0]["code"], "sso");
    assert_eq!(doc["plans"]["updated"][0]["code"], "pro");
    let changes = doc["plans"]["updated"][0]["changes"].to_string();
    assert!(
        changes.contains("monthly price: 2900 with a 14-day trial → 3900 with a 14-day trial"),
        "{changes}"
    );
    assert_eq!(
        strings(&doc["features"]["notInConfig"]),
        ["api_calls", "seats"]
    );

    let (code, stdout, stderr) = run(env.cmd(["push", "-y", "--output", "agent"]));
    assert_eq!(code, 0, "{stderr}");
    let doc = json_stdout(&stdout);
    assert_eq!(strings(&doc["result"]["features"]["updated"]), ["sso"]);
    assert_eq!(strings(&doc["result"]["plans"]["updated"]), ["pro"]);

    // Pull shows the change against the hand-written file, then rewrites it.
    let (code, stdout, stderr) = run(env.cmd(["pull", "--dry-run", "--output", "agent"]));
    assert_eq!(code, 0, "{stderr}");
    let doc = json_stdout(&stdout);
    assert_eq!(doc["written"], false);
    assert_eq!(strings(&doc["features"]["added"]), ["api_calls", "seats"]);
    assert_eq!(strings(&doc["plans"]["added"]), ["free", "internal"]);
    assert!(
        read_config(env.cwd.path()).contains("hand-written"),
        "dry run wrote the file"
    );

    // No terminal and no --yes: refused, file untouched.
    let (code, _, stderr) = run(env.cmd(["pull"]));
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("--yes"), "{stderr}");
    assert!(read_config(env.cwd.path()).contains("hand-written"));

    let (code, stdout, stderr) = run(env.cmd(["pull", "--yes"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("+ api_calls"), "{stdout}");
    let text = read_config(env.cwd.path());
    assert!(
        text.contains("{ interval: \"monthly\", amount: 3900, trialDays: 14 },"),
        "{text}"
    );
    assert!(text.contains("    sso: {\n      name: \"SSO\","), "{text}");
}

#[test]
fn push_refuses_to_change_a_feature_type() {
    let s = server();
    let env = env_for(&s);
    write_config(&env, CONFIG);
    let (code, _, stderr) = run(env.cmd(["push", "--yes"]));
    assert_eq!(code, 0, "{stderr}");

    write_config(
        &env,
        &CONFIG.replace("type: \"boolean\"", "type: \"usage\""),
    );
    for args in [&["push", "--yes"][..], &["push", "--dry-run"][..]] {
        let (code, stdout, stderr) = run(env.cmd(args));
        assert_eq!(code, 1, "{args:?}: {stdout}");
        assert!(stderr.contains("`sso` (boolean → usage)"), "{stderr}");
        assert!(stderr.contains("dashboard"), "{stderr}");
    }
    let (code, stdout, _) = run(env.cmd(["features", "get", "--code", "sso", "--output", "agent"]));
    assert_eq!(code, 0);
    assert_eq!(json_stdout(&stdout)["type"], "boolean");
}

#[test]
fn push_reports_every_problem_with_its_line() {
    let s = server();
    let env = env_for(&s);
    write_config(
        &env,
        "export default defineConfig({\n  features: {\n    calls: { name: 'Calls', type: 'metered' },\n  },\n  plans: {\n    pro: { name: 'Pro', prices: [{ interval: 'biweekly', amount: 10 }], features: { ghost: true } },\n  },\n});\n",
    );
    let (code, stdout, stderr) = run(env.cmd(["push", "--yes"]));
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stderr.contains("commet.config.ts has 3 problems"),
        "{stderr}"
    );
    assert!(
        stderr.contains("commet.config.ts:3:35: features.calls.type"),
        "{stderr}"
    );
    assert!(
        stderr.contains("commet.config.ts:6:46: plans.pro.prices[0].interval"),
        "{stderr}"
    );
    assert!(stderr.contains("plans.pro.features.ghost"), "{stderr}");
    assert!(codes(&env, "features").is_empty(), "nothing may be sent");

    // A syntax error names the spot too, in agent output as well.
    write_config(
        &env,
        "export default defineConfig({\n  features: { a: { name: 'A' type: 'usage' } },\n});\n",
    );
    let (code, stdout, _) = run(env.cmd(["push", "--yes", "--output", "agent"]));
    assert_eq!(code, 1);
    let err = json_stdout(&stdout);
    let message = err["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with("commet.config.ts:2:30: expected `,` or `}`"),
        "{message}"
    );
}

#[test]
fn create_sets_up_a_metered_project() {
    let s = server();
    let env = env_for(&s);
    let (code, stdout, stderr) =
        run(env.cmd(["create", "-t", "metered", "--org", "local", "-y", "myapp"]));
    assert_eq!(code, 0, "stdout: {stdout}\nstderr: {stderr}");
    assert!(
        stdout.contains("Created myapp from the metered template"),
        "{stdout}"
    );
    assert!(stdout.contains("Next steps:"), "{stdout}");
    let dir = env.cwd.path().join("myapp");

    // The project key: 0600, for the local org, never printed.
    let config_path = dir.join(".commet/config.json");
    let config: Value = serde_json::from_str(&fs::read_to_string(&config_path).unwrap()).unwrap();
    assert_eq!(config["orgId"], s.sandbox.org_id().as_str());
    assert_eq!(config["orgName"], "Local Sandbox");
    assert_eq!(config["mode"], "sandbox");
    let key = config["apiKey"].as_str().unwrap().to_owned();
    assert!(key.starts_with("ck_"), "{key}");
    assert_ne!(key, s.sandbox.api_key(), "a new project key");
    assert!(
        !stdout.contains(&key) && !stderr.contains(&key),
        "the key was printed"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(&config_path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    assert!(fs::read_to_string(dir.join(".gitignore"))
        .unwrap()
        .lines()
        .any(|l| l == ".commet/"));
    assert!(
        dir.join(".agents/skills/commet/SKILL.md").is_file(),
        "-y installs the skill"
    );

    // commet.config.ts holds the template's catalog.
    let text = read_config(&dir);
    for code in ["api_calls:", "developer:", "growth:", "scale:"] {
        assert!(text.contains(code), "{code} missing from\n{text}");
    }

    // The project key works on its own: no COMMET_API_KEY, run in myapp.
    let bare = TestEnv::new().env("COMMET_API_URL", s.sandbox.url());
    let (code, stdout, stderr) = run(bare
        .cmd(["plans", "list", "--output", "agent"])
        .current_dir(&dir));
    assert_eq!(code, 0, "{stderr}");
    let plans = json_stdout(&stdout).to_string();
    assert!(plans.contains("\"growth\""), "{plans}");
    // And the pulled file is in sync with the organization.
    let (code, stdout, stderr) = run(bare.cmd(["push", "--dry-run"]).current_dir(&dir));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("already matches"), "{stdout}");

    // A second create into the same, now non-empty, directory is refused.
    let (code, _, stderr) =
        run(env.cmd(["create", "-t", "metered", "--org", "local", "-y", "myapp"]));
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("not empty"), "{stderr}");
}

#[test]
fn create_lists_templates_offline() {
    // No server and no credentials at all.
    let env = TestEnv::new();
    let (code, stdout, stderr) = run(env.cmd(["create", "--list"]));
    assert_eq!(code, 0, "{stderr}");
    for t in [
        "fixed",
        "seats",
        "metered",
        "credits",
        "balance-ai",
        "balance-fixed",
    ] {
        assert!(
            stdout.lines().any(|l| l.starts_with(t)),
            "{t} missing:\n{stdout}"
        );
    }
    let (code, stdout, _) = run(env.cmd(["create", "--list", "--output", "agent"]));
    assert_eq!(code, 0);
    assert_eq!(json_stdout(&stdout).as_array().map(Vec::len), Some(6));
}

#[test]
fn create_without_a_terminal_needs_the_template_flag() {
    let s = server();
    let env = env_for(&s);
    let (code, _, stderr) = run(env.cmd(["create", "myapp", "--org", "local"]));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--template"), "{stderr}");
    assert!(!env.cwd.path().join("myapp").exists());
    assert!(codes(&env, "plans").is_empty(), "nothing may be created");

    let (code, _, stderr) = run(env.cmd(["create", "-t", "fixed", "--org", "nope", "x"]));
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("local (Local Sandbox, sandbox)"),
        "{stderr}"
    );
}
