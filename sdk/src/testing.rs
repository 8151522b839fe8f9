//! Helpers for plugin unit tests: look actions up in the manifest, build
//! their requests with [`Plugin::dry_run`] (no host, no server), and check a
//! schema is complete and self-consistent (every action documented, every
//! example uses real flags and satisfies the required and "one of" rules).
//!
//! In a plugin crate, `commet_sdk::test_support!(crate::plugin);` inside a
//! test module defines these helpers bound to your plugin, e.g.
//! `call("notes", "add", json!({"text": "hi"}))`.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::schema::{ActionSchema, FlagKind, FlagSchema, PluginManifest};
use crate::wire::ApiRequest;
use crate::Plugin;

pub fn manifest(plugin: &Plugin) -> PluginManifest {
    plugin.manifest()
}

pub fn action(plugin: &Plugin, group: &str, name: &str) -> ActionSchema {
    manifest(plugin)
        .find_action(group, name)
        .unwrap_or_else(|| panic!("no action `{group} {name}`"))
        .1
        .clone()
}

pub fn flag(plugin: &Plugin, group: &str, name: &str, flag: &str) -> FlagSchema {
    action(plugin, group, name)
        .flags
        .into_iter()
        .find(|f| f.name == flag)
        .unwrap_or_else(|| panic!("`{group} {name}` has no flag --{flag}"))
}

/// The request for `args` (flag name → typed value). Every key must name a
/// flag of the action, because `dry_run` silently ignores unknown names.
pub fn call(plugin: &Plugin, group: &str, name: &str, args: Value) -> ApiRequest {
    let schema = action(plugin, group, name);
    for key in args.as_object().expect("args must be an object").keys() {
        assert!(
            schema.flags.iter().any(|f| &f.name == key),
            "`{group} {name}` has no flag --{key}"
        );
    }
    plugin
        .dry_run(group, name, args)
        .unwrap_or_else(|e| panic!("`{group} {name}`: {e}"))
}

/// Like [`call`], but `args` must exercise every flag of the action.
pub fn call_all(plugin: &Plugin, group: &str, name: &str, args: Value) -> ApiRequest {
    let schema = action(plugin, group, name);
    let given = args.as_object().expect("args must be an object");
    let missing: Vec<&str> = schema
        .flags
        .iter()
        .map(|f| f.name.as_str())
        .filter(|n| !given.contains_key(*n))
        .collect();
    assert!(
        missing.is_empty(),
        "`{group} {name}`: flags not exercised: {missing:?}"
    );
    call(plugin, group, name, args)
}

/// Whether building the request fails (e.g. a path parameter is missing).
pub fn fails(plugin: &Plugin, group: &str, name: &str, args: Value) -> bool {
    plugin.dry_run(group, name, args).is_err()
}

/// Asserts the whole request: method, path, query and body.
pub fn expect(r: &ApiRequest, method: &str, path: &str, query: Value, body: Option<Value>) {
    assert_eq!(r.method, method, "method of {}", r.path);
    assert_eq!(r.path, path, "path");
    assert_eq!(Value::Object(r.query.clone()), query, "query of {path}");
    assert_eq!(r.body, body, "body of {method} {path}");
}

/// The action's required flags, sorted.
pub fn required(plugin: &Plugin, group: &str, name: &str) -> Vec<String> {
    let mut names: Vec<String> = action(plugin, group, name)
        .flags
        .into_iter()
        .filter(|f| f.required)
        .map(|f| f.name)
        .collect();
    names.sort();
    names
}

pub fn sorted(names: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = names.iter().map(|s| (*s).to_owned()).collect();
    v.sort();
    v
}

/// Action names of a group, sorted.
pub fn action_names(plugin: &Plugin, group: &str) -> Vec<String> {
    let m = manifest(plugin);
    let g = m
        .groups
        .iter()
        .find(|g| g.name == group)
        .unwrap_or_else(|| panic!("no group {group}"));
    let mut names: Vec<String> = g.actions.iter().map(|a| a.name.clone()).collect();
    names.sort();
    names
}

pub fn assert_kind(plugin: &Plugin, group: &str, name: &str, flag_name: &str, kind: FlagKind) {
    assert_eq!(
        flag(plugin, group, name, flag_name).kind,
        kind,
        "kind of `{group} {name}` --{flag_name}"
    );
}

pub fn assert_alias(plugin: &Plugin, group: &str, name: &str, flag_name: &str, alias: &str) {
    let f = flag(plugin, group, name, flag_name);
    assert!(
        f.aliases.iter().any(|a| a == alias),
        "`{group} {name}` --{flag_name} lacks alias --{alias}"
    );
}

/// Every action is documented and its examples would parse: each example
/// runs this action, uses only its flags, and satisfies its required flags
/// and one of its `one_of` sets.
pub fn check_schema(plugin: &Plugin) {
    let m = manifest(plugin);
    assert!(!m.description.is_empty());
    for g in &m.groups {
        assert!(!g.about.is_empty());
        for a in &g.actions {
            let what = format!("`{} {}`", g.name, a.name);
            assert!(!a.about.is_empty(), "{what}: no about");
            assert!(!a.examples.is_empty(), "{what}: no example");
            let mut names = BTreeSet::new();
            for f in &a.flags {
                assert!(!f.help.trim().is_empty(), "{what} --{}: no help", f.name);
                assert!(
                    names.insert(f.name.clone()),
                    "{what}: duplicate --{}",
                    f.name
                );
                for alias in &f.aliases {
                    assert!(names.insert(alias.clone()), "{what}: duplicate --{alias}");
                }
                if f.kind == FlagKind::Enum {
                    assert!(!f.values.is_empty(), "{what} --{}: no values", f.name);
                }
            }
            for set in &a.one_of {
                for n in set {
                    assert!(
                        a.flags.iter().any(|f| &f.name == n),
                        "{what}: one_of names --{n}"
                    );
                }
            }
            let canonical = |used: &str| -> Option<String> {
                a.flags
                    .iter()
                    .find(|f| f.name == used || f.aliases.iter().any(|x| x == used))
                    .map(|f| f.name.clone())
            };
            for ex in &a.examples {
                let prefix = format!("commet {} {}", g.name, a.name);
                assert!(
                    ex.command == prefix || ex.command.starts_with(&format!("{prefix} ")),
                    "{what}: example runs something else: {}",
                    ex.command
                );
                let mut used = BTreeSet::new();
                for token in ex
                    .command
                    .split_whitespace()
                    .filter(|t| t.starts_with("--"))
                {
                    let token = token.trim_start_matches('-');
                    let token = token.split('=').next().unwrap_or(token);
                    let name = canonical(token)
                        .unwrap_or_else(|| panic!("{what}: example uses unknown --{token}"));
                    used.insert(name);
                }
                for f in a.flags.iter().filter(|f| f.required) {
                    assert!(
                        used.contains(&f.name),
                        "{what}: example lacks --{}: {}",
                        f.name,
                        ex.command
                    );
                }
                if !a.one_of.is_empty() {
                    assert!(
                        a.one_of
                            .iter()
                            .any(|set| set.iter().all(|n| used.contains(n))),
                        "{what}: example satisfies no one_of set: {}",
                        ex.command
                    );
                }
            }
        }
    }
}

/// Defines the [`testing`](crate::testing) helpers in the calling module,
/// bound to the plugin built by `$plugin` (a `fn() -> Plugin`).
#[macro_export]
macro_rules! test_support {
    ($plugin:path) => {
        #[allow(dead_code)]
        mod __commet_test_support {
            use $crate::schema::{ActionSchema, FlagKind, FlagSchema, PluginManifest};
            use $crate::serde_json::Value;
            pub use $crate::testing::{expect, sorted};
            use $crate::ApiRequest;
            pub fn manifest() -> PluginManifest {
                $crate::testing::manifest(&$plugin())
            }
            pub fn action(group: &str, name: &str) -> ActionSchema {
                $crate::testing::action(&$plugin(), group, name)
            }
            pub fn flag(group: &str, name: &str, flag: &str) -> FlagSchema {
                $crate::testing::flag(&$plugin(), group, name, flag)
            }
            pub fn call(group: &str, name: &str, args: Value) -> ApiRequest {
                $crate::testing::call(&$plugin(), group, name, args)
            }
            pub fn call_all(group: &str, name: &str, args: Value) -> ApiRequest {
                $crate::testing::call_all(&$plugin(), group, name, args)
            }
            pub fn fails(group: &str, name: &str, args: Value) -> bool {
                $crate::testing::fails(&$plugin(), group, name, args)
            }
            pub fn required(group: &str, name: &str) -> Vec<String> {
                $crate::testing::required(&$plugin(), group, name)
            }
            pub fn action_names(group: &str) -> Vec<String> {
                $crate::testing::action_names(&$plugin(), group)
            }
            pub fn assert_kind(group: &str, name: &str, flag: &str, kind: FlagKind) {
                $crate::testing::assert_kind(&$plugin(), group, name, flag, kind)
            }
            pub fn assert_alias(group: &str, name: &str, flag: &str, alias: &str) {
                $crate::testing::assert_alias(&$plugin(), group, name, flag, alias)
            }
            pub fn check_schema() {
                $crate::testing::check_schema(&$plugin())
            }
        }
        #[allow(unused_imports)]
        use __commet_test_support::*;
    };
}
