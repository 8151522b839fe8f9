//! The requests each action sends, checked against the API reference.

use commet_sdk::prelude::*;
commet_sdk::test_support!(crate::plugin);

const G: &str = "provisioning";

#[test]
fn schema_is_complete() {
    check_schema();
    assert_eq!(manifest().groups.len(), 1);
}

#[test]
fn lists_every_action_of_the_reference() {
    assert_eq!(action_names(G), sorted(&["create-claim-link"]));
}

#[test]
fn create_claim_link_posts_an_empty_body() {
    let r = call_all(G, "create-claim-link", json!({"idempotency-key": "k1"}));
    expect(&r, "POST", "/claim-link", json!({}), Some(json!({})));
    assert_eq!(r.api, Api::V1);
    assert_eq!(r.idempotency_key.as_deref(), Some("k1"));
    let r = call(G, "create-claim-link", json!({}));
    assert_eq!(r.idempotency_key, None);
    assert_eq!(
        action(G, "create-claim-link")
            .flags
            .iter()
            .map(|f| f.name.as_str())
            .collect::<Vec<_>>(),
        ["idempotency-key"]
    );
    assert!(!flag(G, "create-claim-link", "idempotency-key").required);
}
