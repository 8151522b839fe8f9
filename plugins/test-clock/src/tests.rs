//! The requests each action sends, checked against the API reference.

use super::plugin;
use commet_sdk::prelude::*;
use commet_sdk::schema::{ActionSchema, FlagSchema};

const GROUP: &str = "test-clock";

fn send(action: &str, args: Value) -> ApiRequest {
    plugin()
        .dry_run(GROUP, action, args)
        .unwrap_or_else(|e| panic!("`{GROUP} {action}`: {e}"))
}

#[track_caller]
fn check(r: &ApiRequest, method: &str, path: &str, query: Value, body: Option<Value>) {
    assert_eq!(r.api, Api::V1);
    assert_eq!(r.method, method);
    assert_eq!(r.path, path);
    assert_eq!(Value::Object(r.query.clone()), query);
    assert_eq!(r.body, body);
}

fn action(name: &str) -> ActionSchema {
    let manifest = plugin().manifest();
    let (_, action) = manifest
        .find_action(GROUP, name)
        .unwrap_or_else(|| panic!("no action `{name}`"));
    action.clone()
}

fn flag(action_name: &str, name: &str) -> FlagSchema {
    action(action_name)
        .flags
        .into_iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("`{action_name}` has no flag --{name}"))
}

#[test]
fn lists_every_action_of_the_reference() {
    let manifest = plugin().manifest();
    assert_eq!(manifest.groups.len(), 1);
    assert_eq!(manifest.groups[0].name, GROUP);
    let mut names: Vec<&str> = manifest.groups[0]
        .actions
        .iter()
        .map(|a| a.name.as_str())
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["advance", "get", "process-billing"]);
}

#[test]
fn every_action_has_examples_and_every_flag_help() {
    for a in &plugin().manifest().groups[0].actions {
        assert!(!a.examples.is_empty(), "`{}` has no example", a.name);
        assert!(!a.about.is_empty(), "`{}` has no description", a.name);
        for f in &a.flags {
            assert!(!f.help.is_empty(), "`{} --{}` has no help", a.name, f.name);
        }
    }
}

#[test]
fn get_reads_the_clock() {
    let r = send("get", json!({}));
    check(&r, "GET", "/test-clock", json!({}), None);
}

#[test]
fn advance_by_days_or_to_an_instant() {
    let r = send(
        "advance",
        json!({"advance-days": 30, "idempotency-key": "k1"}),
    );
    check(
        &r,
        "POST",
        "/test-clock",
        json!({}),
        Some(json!({"advanceDays": 30})),
    );
    assert_eq!(r.idempotency_key.as_deref(), Some("k1"));
    let r = send("advance", json!({"frozen-time": "2026-07-01T00:00:00Z"}));
    check(
        &r,
        "POST",
        "/test-clock",
        json!({}),
        Some(json!({"frozenTime": "2026-07-01T00:00:00Z"})),
    );
    assert_eq!(r.idempotency_key, None);
    let a = action("advance");
    assert_eq!(
        a.one_of,
        vec![
            vec!["advance-days".to_owned()],
            vec!["frozen-time".to_owned()]
        ]
    );
    assert!(!flag("advance", "advance-days").required);
    assert!(!flag("advance", "frozen-time").required);
}

#[test]
fn process_billing_is_kept_and_points_to_advance() {
    let r = send("process-billing", json!({"idempotency-key": "k2"}));
    check(
        &r,
        "POST",
        "/test-clock/process-billing",
        json!({}),
        Some(json!({})),
    );
    assert_eq!(r.idempotency_key.as_deref(), Some("k2"));
    let a = action("process-billing");
    let long = a.long_about.unwrap_or_default();
    assert!(long.contains("advance") && long.contains("410"), "{long}");
}

#[test]
fn help_says_sandbox_only() {
    for a in &plugin().manifest().groups[0].actions {
        let long = a.long_about.clone().unwrap_or_default();
        assert!(long.contains("Sandbox only"), "`{}`", a.name);
    }
    assert!(plugin().manifest().groups[0].about.contains("sandbox"));
}
