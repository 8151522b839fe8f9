//! The requests each action sends, checked against the API reference.

use commet_sdk::prelude::*;
commet_sdk::test_support!(crate::plugin);

const G: &str = "test-clock";

#[test]
fn schema_is_complete() {
    check_schema();
    assert_eq!(manifest().groups.len(), 1);
}

#[test]
fn lists_every_action_of_the_reference() {
    assert_eq!(
        action_names(G),
        sorted(&["advance", "get", "process-billing"])
    );
}

#[test]
fn get_reads_the_clock() {
    let r = call(G, "get", json!({}));
    expect(&r, "GET", "/test-clock", json!({}), None);
    assert_eq!(r.api, Api::V1);
}

#[test]
fn advance_by_days_or_to_an_instant() {
    let r = call(
        G,
        "advance",
        json!({"advance-days": 30, "idempotency-key": "k1"}),
    );
    expect(
        &r,
        "POST",
        "/test-clock",
        json!({}),
        Some(json!({"advanceDays": 30})),
    );
    assert_eq!(r.api, Api::V1);
    assert_eq!(r.idempotency_key.as_deref(), Some("k1"));
    let r = call(G, "advance", json!({"frozen-time": "2026-07-01T00:00:00Z"}));
    expect(
        &r,
        "POST",
        "/test-clock",
        json!({}),
        Some(json!({"frozenTime": "2026-07-01T00:00:00Z"})),
    );
    assert_eq!(r.api, Api::V1);
    assert_eq!(r.idempotency_key, None);
    let a = action(G, "advance");
    assert_eq!(
        a.one_of,
        vec![
            vec!["advance-days".to_owned()],
            vec!["frozen-time".to_owned()]
        ]
    );
    assert!(!flag(G, "advance", "advance-days").required);
    assert!(!flag(G, "advance", "frozen-time").required);
}

#[test]
fn process_billing_is_kept_and_points_to_advance() {
    let r = call_all(G, "process-billing", json!({"idempotency-key": "k2"}));
    expect(
        &r,
        "POST",
        "/test-clock/process-billing",
        json!({}),
        Some(json!({})),
    );
    assert_eq!(r.api, Api::V1);
    assert_eq!(r.idempotency_key.as_deref(), Some("k2"));
    let a = action(G, "process-billing");
    let long = a.long_about.unwrap_or_default();
    assert!(long.contains("advance") && long.contains("410"), "{long}");
}

#[test]
fn help_says_sandbox_only() {
    for a in &manifest().groups[0].actions {
        let long = a.long_about.clone().unwrap_or_default();
        assert!(long.contains("Sandbox only"), "`{}`", a.name);
    }
    assert!(manifest().groups[0].about.contains("sandbox"));
}
