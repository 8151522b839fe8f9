//! plugin-manifest.toml matches the plugin crates and what each built plugin
//! declares; the README's plugin example is the one that compiles and runs.

use std::collections::BTreeSet;
use std::path::PathBuf;

use commet_e2e::{json_stdout, plugin_file_name, run, target_dir, Recorder, Reply, TestEnv};
use serde_json::{json, Value};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("repo root")
        .to_path_buf()
}

fn manifest() -> toml::Table {
    let text =
        std::fs::read_to_string(repo().join("plugin-manifest.toml")).expect("plugin-manifest.toml");
    text.parse().expect("valid TOML")
}

#[test]
fn manifest_lists_exactly_the_plugin_crates() {
    let m = manifest();
    let listed: BTreeSet<String> = m["plugins"].as_table().unwrap().keys().cloned().collect();
    let dirs: BTreeSet<String> = std::fs::read_dir(repo().join("plugins"))
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.path().join("Cargo.toml").exists())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(listed, dirs, "plugin-manifest.toml and plugins/ disagree");
    for (name, entry) in m["plugins"].as_table().unwrap() {
        let cargo =
            std::fs::read_to_string(repo().join("plugins").join(name).join("Cargo.toml")).unwrap();
        let cargo: toml::Table = cargo.parse().unwrap();
        assert_eq!(
            entry["crate"].as_str(),
            cargo["package"]["name"].as_str(),
            "{name}"
        );
        assert_eq!(
            entry["version"].as_str(),
            cargo["package"]["version"].as_str(),
            "{name}"
        );
    }
    let bundles = m["bundles"].as_table().unwrap();
    assert!(bundles.len() >= 2 && bundles.contains_key("full"));
    for (bundle, entry) in bundles {
        for p in entry["plugins"].as_array().unwrap() {
            assert!(
                listed.contains(p.as_str().unwrap()),
                "bundle {bundle} names unknown plugin {p}"
            );
        }
    }
    let full: BTreeSet<String> = bundles["full"]["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(full, listed, "the full bundle has every plugin");
}

#[test]
fn built_plugins_declare_the_manifest_groups_and_versions() {
    let env = TestEnv::new();
    let (code, stdout, stderr) = run(env.cmd(["plugins", "list", "--output", "agent"]));
    assert_eq!(code, 0, "{stderr}");
    let found = json_stdout(&stdout);
    let m = manifest();
    for (name, entry) in m["plugins"].as_table().unwrap() {
        let plugin = found
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name.as_str() && p["ok"] == true)
            .unwrap_or_else(|| panic!("plugin {name} is not built or not loadable: {found:#}"));
        assert_eq!(
            plugin["version"].as_str(),
            entry["version"].as_str(),
            "{name}"
        );
        let groups: Vec<Value> = entry["groups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| json!(g.as_str().unwrap()))
            .collect();
        assert_eq!(plugin["groups"], Value::Array(groups), "{name}");
    }
}

#[test]
fn readme_plugin_example_is_the_compiled_one_and_runs() {
    let source = std::fs::read_to_string(repo().join("sdk/examples/notes_plugin.rs")).unwrap();
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    assert!(
        readme.contains(source.trim()),
        "README.md must show sdk/examples/notes_plugin.rs verbatim"
    );

    let built = target_dir().join("examples").join(format!(
        "{}notes_plugin{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    ));
    assert!(
        built.exists(),
        "{} not built (cargo test builds examples)",
        built.display()
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(&built, dir.path().join(plugin_file_name("notes"))).unwrap();
    let server =
        Recorder::start(|r| Reply::json(200, json!({"object": "note", "text": r.body["text"]})));
    let env = TestEnv::new()
        .env("COMMET_PLUGIN_PATH", dir.path().display().to_string())
        .against(server.url(), "ck_notes");
    let (code, stdout, stderr) = run(env.cmd(["notes", "count", "--text", "one two three"]));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout.trim(), "3 words");
    let (code, _, stderr) =
        run(env.cmd(["notes", "add", "--customer-id", "cus_123", "--text", "VIP"]));
    assert_eq!(code, 0, "{stderr}");
    let req = server.single();
    assert_eq!(req.path, "/api/v1/customers/cus_123/notes");
    assert_eq!(req.body, json!({"text": "VIP"}));
}
