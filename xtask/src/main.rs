//! Project tasks: `cargo xtask test`, `cargo xtask demo`, `cargo xtask bench`.
//!
//! The end-to-end tests drive the built `commet` binary and plugin libraries,
//! which `cargo test` alone does not build, so `test` builds the workspace
//! first.
//!
//! The only dependency is serde_json, to read `--output agent` results.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => test(&args[1..]),
        Some("demo") => demo(),
        Some("bench") => bench(&args[1..]),
        Some("bundle") => bundle(args.get(1).map(String::as_str)),
        _ => {
            eprintln!(
                "usage: cargo xtask <task>\n\n\
                 tasks:\n  \
                 test [ARGS]   build the workspace, then run every test (ARGS go to cargo test)\n  \
                 demo          build, start a throw-away local sandbox and run a billing flow through `commet`\n  \
                 bench [N]     build in release mode and measure start-up time and memory (N runs, default 50)\n  \
                 bundle NAME   build a distributable directory with `commet` and the plugins of a bundle in plugin-manifest.toml"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn cargo() -> Command {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.current_dir(root());
    cmd
}

fn status(mut cmd: Command, what: &str) -> Result<(), String> {
    let status = cmd
        .status()
        .map_err(|e| format!("could not run {what}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{what} failed ({status})"))
    }
}

/// `all_targets` also builds tests and examples (the test suite loads the
/// example plugin), which `cargo test` then reuses.
fn build(release: bool, all_targets: bool) -> Result<(), String> {
    let mut cmd = cargo();
    cmd.args(["build", "--workspace"]);
    if all_targets {
        cmd.arg("--all-targets");
    }
    if release {
        cmd.arg("--release");
    }
    status(cmd, "cargo build")
}

fn test(extra: &[String]) -> Result<(), String> {
    build(false, true)?;
    let mut cmd = cargo();
    cmd.args(["test", "--workspace"]).args(extra);
    status(cmd, "cargo test")
}

fn commet_bin(profile: &str) -> PathBuf {
    root()
        .join("target")
        .join(profile)
        .join(format!("commet{}", std::env::consts::EXE_SUFFIX))
}

/// Runs `commet` in the demo environment, echoing the command line and
/// its output.
fn commet(home: &Path, args: &[&str]) -> Result<String, String> {
    println!("\n$ commet {}", args.join(" "));
    let stdout = commet_quiet(home, args)?;
    print!("{stdout}");
    Ok(stdout)
}

/// Runs `commet` in the demo environment and returns its output unprinted
/// (for `--output agent` results the demo only reads).
fn commet_quiet(home: &Path, args: &[&str]) -> Result<String, String> {
    let out = Command::new(commet_bin("debug"))
        .args(args)
        .env("HOME", home)
        .env("COMMET_ENVIRONMENT", "local")
        .env_remove("COMMET_API_KEY")
        .env_remove("COMMET_API_URL")
        .output()
        .map_err(|e| format!("could not run commet: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    if out.status.success() {
        Ok(stdout)
    } else {
        Err(format!(
            "`commet {}` failed ({})",
            args.join(" "),
            out.status
        ))
    }
}

fn free_port() -> Result<u16, String> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free port: {e}"))
}

fn demo() -> Result<(), String> {
    build(false, false)?;
    let home = std::env::temp_dir().join(format!("commet-demo-{}", std::process::id()));
    std::fs::create_dir_all(&home).map_err(|e| e.to_string())?;
    println!("Demo HOME: {} (removed at the end)", home.display());
    let port = free_port()?.to_string();
    commet(&home, &["sandbox", "start", "--detach", "--port", &port])?;
    let result = demo_flow(&home);
    let _ = commet(&home, &["sandbox", "stop"]);
    let _ = std::fs::remove_dir_all(&home);
    result?;
    println!("\nDemo finished: every step above ran against the local sandbox.");
    Ok(())
}

fn demo_flow(home: &Path) -> Result<(), String> {
    section("1. Catalog: a usage feature and a metered plan at $29/month with 1,000 calls included, then $0.015 a call");
    commet(
        home,
        &[
            "features",
            "create",
            "--code",
            "api_calls",
            "--name",
            "API Calls",
            "--type",
            "usage",
            "--unit-name",
            "calls",
        ],
    )?;
    let plan = commet(
        home,
        &[
            "plans",
            "create",
            "--name",
            "Pro",
            "--code",
            "pro",
            "--consumption-model",
            "metered",
            "--output",
            "agent",
        ],
    )?;
    let plan_id = agent_field(&plan, "id")?;
    commet(
        home,
        &[
            "plans",
            "add-price",
            "--plan-id",
            &plan_id,
            "--billing-interval",
            "monthly",
            "--price",
            "2900",
            "--is-default",
            "true",
        ],
    )?;
    // Overage unit prices use the rate scale: 150 = $0.015.
    commet(
        home,
        &[
            "plans",
            "add-feature",
            "--plan-id",
            &plan_id,
            "--feature-id",
            "api_calls",
            "--included-amount",
            "1000",
            "--overage-enabled",
            "true",
            "--overage-unit-price",
            "150",
        ],
    )?;

    section("2. A customer subscribes and pays at checkout (sandbox test card)");
    commet(
        home,
        &[
            "customers",
            "create",
            "--email",
            "ada@example.com",
            "--id",
            "user_123",
            "--full-name",
            "Ada Lovelace",
        ],
    )?;
    let sub = commet(
        home,
        &[
            "subscriptions",
            "create",
            "--customer-id",
            "user_123",
            "--plan-code",
            "pro",
            "--output",
            "agent",
        ],
    )?;
    let sub_id = agent_field(&sub, "id")?;
    commet(
        home,
        &["sandbox", "checkout", &sub_id, "--card", "4242424242424242"],
    )?;

    section("3. The app reports usage: 1,500 calls, 500 above the included amount");
    commet(
        home,
        &[
            "usage",
            "track",
            "--feature",
            "api_calls",
            "--customer-id",
            "user_123",
            "--value",
            "1500",
        ],
    )?;
    commet(
        home,
        &[
            "feature-access",
            "get",
            "--customer-id",
            "user_123",
            "--code",
            "api_calls",
        ],
    )?;

    section("4. A month passes on the test clock: the renewal bills the base price plus overage in arrears");
    commet(home, &["test-clock", "advance", "--advance-days", "31"])?;
    commet(home, &["invoices", "list", "--customer-id", "user_123"])?;
    let invoices = commet(
        home,
        &[
            "invoices",
            "list",
            "--customer-id",
            "user_123",
            "--output",
            "agent",
        ],
    )?;
    let renewal = renewal_invoice(&invoices)?;
    commet(home, &["invoices", "get", "--id", &renewal])?;
    Ok(())
}

fn section(title: &str) {
    println!("\n=== {title}");
}

/// A string field of the JSON object an `--output agent` command printed.
fn agent_field(stdout: &str, key: &str) -> Result<String, String> {
    let value: serde_json::Value =
        serde_json::from_str(stdout).map_err(|e| format!("unexpected output ({e}): {stdout}"))?;
    value
        .get(key)
        .and_then(|v| v.as_str())
        .map(str::to_owned)
        .ok_or_else(|| format!("no {key} in: {stdout}"))
}

/// The id of the recurring (renewal) invoice in an invoice list.
fn renewal_invoice(stdout: &str) -> Result<String, String> {
    let list: serde_json::Value =
        serde_json::from_str(stdout).map_err(|e| format!("unexpected output ({e}): {stdout}"))?;
    list.as_array()
        .and_then(|items| {
            items
                .iter()
                .find(|i| i.get("invoiceType").and_then(|t| t.as_str()) == Some("recurring"))
        })
        .and_then(|i| i.get("id").and_then(|v| v.as_str()))
        .map(str::to_owned)
        .ok_or_else(|| format!("no renewal invoice in: {stdout}"))
}

/// Builds `target/bundles/<name>/`: the release `commet` and, in its
/// `plugins/` directory, the plugin libraries of the bundle.
fn bundle(name: Option<&str>) -> Result<(), String> {
    let text = std::fs::read_to_string(root().join("plugin-manifest.toml"))
        .map_err(|e| format!("cannot read plugin-manifest.toml: {e}"))?;
    let manifest: toml::Table = text
        .parse()
        .map_err(|e| format!("plugin-manifest.toml: {e}"))?;
    let bundles = manifest
        .get("bundles")
        .and_then(|b| b.as_table())
        .ok_or("plugin-manifest.toml has no [bundles]")?;
    let Some(name) = name else {
        let names: Vec<&str> = bundles.keys().map(String::as_str).collect();
        return Err(format!("which bundle? one of: {}", names.join(", ")));
    };
    let plugins: Vec<String> = bundles
        .get(name)
        .and_then(|b| b.get("plugins"))
        .and_then(|p| p.as_array())
        .ok_or_else(|| format!("no bundle `{name}` in plugin-manifest.toml"))?
        .iter()
        .filter_map(|p| p.as_str().map(str::to_owned))
        .collect();
    let all = manifest
        .get("plugins")
        .and_then(|p| p.as_table())
        .ok_or("no [plugins]")?;
    let mut cmd = cargo();
    cmd.args(["build", "--release", "-p", "commet"]);
    let mut libs = Vec::new();
    for plugin in &plugins {
        let krate = all
            .get(plugin)
            .and_then(|p| p.get("crate"))
            .and_then(|c| c.as_str())
            .ok_or_else(|| format!("bundle `{name}` names unknown plugin `{plugin}`"))?;
        cmd.args(["-p", krate]);
        libs.push(format!(
            "{}{}{}",
            std::env::consts::DLL_PREFIX,
            krate.replace('-', "_"),
            std::env::consts::DLL_SUFFIX
        ));
    }
    status(cmd, "cargo build --release")?;
    let release = root().join("target").join("release");
    let out = root().join("target").join("bundles").join(name);
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(out.join("plugins")).map_err(|e| e.to_string())?;
    let copy = |from: PathBuf, to: PathBuf| {
        std::fs::copy(&from, &to)
            .map(|_| ())
            .map_err(|e| format!("copy {}: {e}", from.display()))
    };
    copy(
        commet_bin("release"),
        out.join(format!("commet{}", std::env::consts::EXE_SUFFIX)),
    )?;
    for lib in &libs {
        copy(release.join(lib), out.join("plugins").join(lib))?;
    }
    println!(
        "bundle `{name}`: {} plugins in {}",
        libs.len(),
        out.display()
    );
    Ok(())
}

/// Measures start-up (`--version`, `--help`, a plugin command's help, with
/// a warm manifest cache), round trips through a plugin against a local
/// sandbox, and peak memory. Release build; `runs` repetitions each.
fn bench(args: &[String]) -> Result<(), String> {
    let runs: u32 = args.first().and_then(|n| n.parse().ok()).unwrap_or(50);
    build(true, false)?;
    let bin = commet_bin("release");
    let home = std::env::temp_dir().join(format!("commet-bench-{}", std::process::id()));
    std::fs::create_dir_all(&home).map_err(|e| e.to_string())?;
    let port = free_port()?.to_string();
    let run = |args: &[&str]| -> Result<(), String> {
        let out = Command::new(&bin)
            .args(args)
            .env("HOME", &home)
            .env("COMMET_ENVIRONMENT", "local")
            .env_remove("COMMET_API_KEY")
            .env_remove("COMMET_API_URL")
            .output()
            .map_err(|e| e.to_string())?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "commet {} failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    };
    run(&["sandbox", "start", "--detach", "--port", &port])?;
    let result = (|| {
        run(&[
            "customers",
            "create",
            "--email",
            "bench@example.com",
            "--id",
            "bench_1",
        ])?;
        let cases: [&[&str]; 7] = [
            &["--version"],
            &["--help"],
            &["customers", "create", "--help"],
            &["plugins", "list"],
            &["customers", "get", "--id", "bench_1"],
            &["customers", "list", "--limit", "25"],
            &[
                "customers",
                "create",
                "--email",
                "bench@example.com",
                "--id",
                "bench_1",
            ],
        ];
        println!(
            "{runs} runs each, release build, warm manifest cache, local sandbox on 127.0.0.1\n"
        );
        println!(
            "{:<62} {:>8} {:>8} {:>8}",
            "command", "mean ms", "min ms", "max ms"
        );
        for case in cases {
            let mut times = Vec::new();
            for i in 0..=runs {
                let started = Instant::now();
                run(case)?;
                // The first run may fill the manifest cache; it is not counted.
                if i > 0 {
                    times.push(started.elapsed());
                }
            }
            let total: Duration = times.iter().sum();
            let ms = |d: Duration| d.as_secs_f64() * 1000.0;
            println!(
                "{:<62} {:>8.2} {:>8.2} {:>8.2}",
                format!("commet {}", case.join(" ")),
                ms(total) / times.len() as f64,
                ms(*times.iter().min().unwrap_or(&Duration::ZERO)),
                ms(*times.iter().max().unwrap_or(&Duration::ZERO)),
            );
        }
        if Path::new("/usr/bin/time").exists() {
            for case in [
                &["customers", "create", "--help"][..],
                &["customers", "list"][..],
            ] {
                let out = Command::new("/usr/bin/time")
                    .args(["-f", "%M"])
                    .arg(&bin)
                    .args(case)
                    .env("HOME", &home)
                    .env("COMMET_ENVIRONMENT", "local")
                    .output()
                    .map_err(|e| e.to_string())?;
                let stderr = String::from_utf8_lossy(&out.stderr);
                if let Some(kb) = stderr.lines().last() {
                    println!("peak RSS of `commet {}`: {kb} KiB", case.join(" "));
                }
            }
        }
        Ok(())
    })();
    let _ = run(&["sandbox", "stop"]);
    let _ = std::fs::remove_dir_all(&home);
    result
}
