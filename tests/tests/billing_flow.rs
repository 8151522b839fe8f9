//! The billing flow of the local sandbox issue, end to end through the
//! built `commet` binary: catalog → customer → subscription → sandbox
//! checkout → usage above the included amount → test clock +31 days →
//! the renewal invoice with its overage line, and the signed webhook
//! deliveries a registered endpoint received along the way (signatures
//! checked with an HMAC computed here).

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use commet_e2e::webhooks::{Delivery, WebhookReceiver};
use commet_e2e::{json_stdout, run, TestEnv};
use commet_plugin_sandbox::server::{Sandbox, SandboxConfig};
use serde_json::{json, Value};

/// `commet --output agent ARGS…`, which must succeed; its JSON output.
fn commet(env: &TestEnv, args: &[&str]) -> Value {
    let mut all = vec!["--output", "agent"];
    all.extend_from_slice(args);
    let (code, stdout, stderr) = run(env.cmd(&all));
    assert_eq!(code, 0, "commet {args:?} failed:\n{stdout}\n{stderr}");
    json_stdout(&stdout)
}

fn line<'a>(invoice: &'a Value, kind: &str) -> &'a Value {
    invoice["lineItems"]
        .as_array()
        .expect("lineItems")
        .iter()
        .find(|l| l["lineType"] == kind)
        .unwrap_or_else(|| panic!("no {kind} line in {invoice:#}"))
}

const SUBSCRIBED: &[&str] = &[
    "customer.created",
    "subscription.created",
    "checkout.ready",
    "invoice.created",
    "payment_method.attached",
    "payment.received",
    "subscription.activated",
    "usage.recorded",
    "invoice.upcoming",
];

#[test]
fn plan_to_renewal_invoice_with_overage_and_signed_webhooks() {
    let dir = tempfile::tempdir().unwrap();
    let sb = Sandbox::start(SandboxConfig::new(dir.path())).expect("sandbox starts");
    let env = TestEnv::new().against(&sb.url(), &sb.api_key());
    let receiver = WebhookReceiver::start(200);

    // A webhook endpoint, registered through the CLI.
    let events = serde_json::to_string(SUBSCRIBED).unwrap();
    let hook = commet(
        &env,
        &[
            "webhooks",
            "create",
            "--url",
            &receiver.url("/hook"),
            "--events",
            &events,
        ],
    );
    let secret = hook["secretKey"].as_str().expect("secretKey").to_owned();

    // Catalog: Pro at $29.00/month, 1,000 API calls included, then
    // 150 (rate scale: $0.015) per call.
    commet(
        &env,
        &[
            "features",
            "create",
            "--code",
            "api_calls",
            "--name",
            "API Calls",
            "--type",
            "usage",
        ],
    );
    let plan = commet(
        &env,
        &[
            "plans",
            "create",
            "--name",
            "Pro",
            "--code",
            "pro",
            "--consumption-model",
            "metered",
        ],
    );
    let plan_id = plan["id"].as_str().expect("plan id").to_owned();
    commet(
        &env,
        &[
            "plans",
            "add-price",
            "--id",
            &plan_id,
            "--billing-interval",
            "monthly",
            "--price",
            "2900",
            "--is-default",
            "true",
        ],
    );
    commet(
        &env,
        &[
            "plans",
            "add-feature",
            "--id",
            &plan_id,
            "--feature-id",
            "api_calls",
            "--included-amount",
            "1000",
            "--overage",
            r#"{"enabled":true,"unitPrice":150}"#,
        ],
    );

    // Customer → subscription (pending payment) → checkout with 4242….
    let customer = commet(
        &env,
        &[
            "customers",
            "create",
            "--email",
            "flow@example.com",
            "--id",
            "flow_user",
        ],
    );
    let customer_id = customer["id"].as_str().unwrap().to_owned();
    let sub = commet(
        &env,
        &[
            "subscriptions",
            "create",
            "--customer-id",
            "flow_user",
            "--plan-id",
            &plan_id,
        ],
    );
    let sub_id = sub["id"].as_str().expect("subscription id").to_owned();
    assert_eq!(sub["status"], "pending_payment", "{sub:#}");
    assert!(sub["checkoutUrl"].is_string());
    let paid = commet(
        &env,
        &["sandbox", "checkout", &sub_id, "--card", "4242424242424242"],
    );
    assert_eq!(paid["status"], "active", "{paid:#}");
    let active = commet(&env, &["subscriptions", "get", "--id", &sub_id]);
    assert_eq!(active["status"], "active");

    // 1,500 calls in the period: 500 above the 1,000 included.
    for value in ["1200", "300"] {
        commet(
            &env,
            &[
                "usage",
                "track",
                "--feature-code",
                "api_calls",
                "--customer-id",
                "flow_user",
                "--value",
                value,
            ],
        );
    }

    // A month later on the test clock.
    let run_result = commet(&env, &["test-clock", "advance", "--advance-days", "31"]);
    assert_eq!(run_result["status"], "completed", "{run_result:#}");

    let list = commet(&env, &["invoices", "list", "--customer-id", &customer_id]);
    let mut invoices = list.as_array().expect("invoices").clone();
    assert_eq!(invoices.len(), 2, "first payment + renewal: {list:#}");
    invoices.sort_by_key(|i| i["periodStart"].as_str().unwrap_or_default().to_owned());
    let (first, renewal_ref) = (&invoices[0], &invoices[1]);
    assert_eq!(first["status"], "paid");
    assert_eq!(first["total"], 2900, "the checkout charged the base price");
    assert_eq!(renewal_ref["invoiceType"], "recurring");
    let renewal = commet(
        &env,
        &[
            "invoices",
            "get",
            "--id",
            renewal_ref["id"].as_str().unwrap(),
        ],
    );
    assert_eq!(renewal["status"], "paid");
    assert_eq!(renewal["subscriptionId"], sub_id.as_str());
    assert_eq!(line(&renewal, "plan_base")["amount"], 2900);
    let overage = line(&renewal, "feature_overage");
    // 500 calls × $0.015 = $7.50.
    assert_eq!(overage["quantity"], 500);
    assert_eq!(overage["amount"], 750);
    assert_eq!(overage["includedAmount"], 1000);
    assert_eq!(overage["usedAmount"], 1500);
    assert_eq!(renewal["subtotal"], 3650);
    assert_eq!(renewal["total"], 3650, "$29.00 + $7.50");

    // Webhooks: every subscribed step arrived once, signed, deduplicable.
    let deliveries = collect(&receiver);
    let mut by_type: BTreeMap<String, Vec<&Delivery>> = BTreeMap::new();
    let mut ids = HashSet::new();
    for d in &deliveries {
        assert_eq!(d.method, "POST");
        assert_eq!(d.path, "/hook");
        assert!(d.signed_with(&secret), "bad signature: {d:#?}");
        let body = d.json();
        let id = body["id"].as_str().expect("event id");
        assert!(id.starts_with("whev_"));
        assert_eq!(d.header("x-commet-event-id"), id);
        assert_eq!(d.header("x-commet-event"), body["event"].as_str().unwrap());
        assert!(ids.insert(id.to_owned()), "event {id} delivered twice");
        assert_eq!(body["mode"], "sandbox");
        assert_eq!(body["organizationId"], sb.org_id());
        by_type
            .entry(body["event"].as_str().unwrap().to_owned())
            .or_default()
            .push(d);
    }
    let count = |t: &str| by_type.get(t).map_or(0, Vec::len);
    let types: Vec<&String> = by_type.keys().collect();
    assert!(
        by_type.keys().all(|t| SUBSCRIBED.contains(&t.as_str())),
        "only subscribed types: {types:?}"
    );
    assert_eq!(count("customer.created"), 1, "{types:?}");
    assert_eq!(count("subscription.created"), 1, "{types:?}");
    assert_eq!(count("subscription.activated"), 1, "{types:?}");
    assert_eq!(count("usage.recorded"), 2, "{types:?}");
    assert_eq!(count("payment.received"), 2, "{types:?}");
    assert!(count("invoice.created") >= 2, "{types:?}");
    let created = by_type["subscription.created"][0].json();
    assert_eq!(created["data"]["subscriptionId"], sub_id.as_str());
    assert_eq!(created["data"]["status"], "pending_payment");
    let usage_values: Vec<i64> = by_type["usage.recorded"]
        .iter()
        .map(|d| d.json()["data"]["value"].as_i64().unwrap_or(-1))
        .collect();
    assert_eq!(usage_values.iter().sum::<i64>(), 1500, "{usage_values:?}");
    let totals: Vec<Value> = by_type["payment.received"]
        .iter()
        .map(|d| d.json()["data"]["invoiceTotal"].clone())
        .collect();
    assert!(totals.contains(&json!(2900)), "{totals:?}");
    assert!(totals.contains(&json!(3650)), "{totals:?}");
    let renewal_created = by_type["invoice.created"]
        .iter()
        .map(|d| d.json())
        .find(|b| b["data"]["invoiceId"] == renewal["id"])
        .expect("invoice.created for the renewal");
    assert_eq!(renewal_created["data"]["total"], 3650);
}

/// Everything the endpoint received, once deliveries stop coming (bounded).
fn collect(receiver: &WebhookReceiver) -> Vec<Delivery> {
    let mut all = Vec::new();
    // The first ones may take a moment; then wait for two quiet seconds.
    if let Some(d) = receiver.next(Duration::from_secs(20)) {
        all.push(d);
    }
    all.extend(receiver.drain(Duration::from_secs(2), 200));
    all
}
