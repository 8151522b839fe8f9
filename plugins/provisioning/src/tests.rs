//! The requests each action sends, checked against the API reference.

use super::plugin;
use commet_sdk::prelude::*;
use commet_sdk::schema::{ActionSchema, FlagSchema};

const GROUP: &str = "provisioning";

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
    assert_eq!(names, ["create-claim-link"]);
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
fn create_claim_link_posts_an_empty_body() {
    let r = send("create-claim-link", json!({"idempotency-key": "k1"}));
    check(&r, "POST", "/claim-link", json!({}), Some(json!({})));
    assert_eq!(r.idempotency_key.as_deref(), Some("k1"));
    let r = send("create-claim-link", json!({}));
    assert_eq!(r.idempotency_key, None);
    assert_eq!(
        action("create-claim-link")
            .flags
            .iter()
            .map(|f| f.name.as_str())
            .collect::<Vec<_>>(),
        ["idempotency-key"]
    );
    assert!(!flag("create-claim-link", "idempotency-key").required);
}
