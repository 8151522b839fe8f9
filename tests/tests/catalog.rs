//! `commet features ...` and `commet plans ...` against a recording server:
//! every action's method, path, query and body, in both output modes.

use commet_e2e::{json_stdout, run, Recorder, Reply, TestEnv};
use serde_json::{json, Value};

const KEY: &str = "ck_test_catalog";

struct Case {
    args: &'static [&'static str],
    method: &'static str,
    path: &'static str,
    query: &'static [(&'static str, &'static str)],
    body: Value,
}

fn check(cases: Vec<Case>) {
    let server = Recorder::start(|r| {
        if r.method == "GET" && !r.path.contains("/plans/") && !r.path.contains("/features/") {
            Reply::json(
                200,
                json!({"object": "list", "data": [{"id": "x_1", "code": "c", "name": "N"}], "hasMore": false}),
            )
        } else {
            Reply::json(
                200,
                json!({"object": "thing", "id": "x_1", "code": "c", "name": "N", "deleted": true}),
            )
        }
    });
    let env = TestEnv::new().against(server.url(), KEY);
    for case in &cases {
        for mode in ["human", "agent"] {
            let mut args: Vec<&str> = case.args.to_vec();
            args.extend(["--output", mode]);
            let (code, stdout, stderr) = run(env.cmd(&args));
            assert_eq!(code, 0, "{args:?}: {stderr}");
            let req = server.requests().pop().expect("a request");
            assert_eq!(req.method, case.method, "{args:?}");
            assert_eq!(req.path, case.path, "{args:?}");
            let query: Vec<(String, String)> = case
                .query
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect();
            assert_eq!(req.query, query, "{args:?}");
            if case.method == "GET" || case.method == "DELETE" {
                assert_eq!(req.body, Value::Null, "{args:?}");
            } else {
                assert_eq!(req.body, case.body, "{args:?}");
                assert!(req.header("idempotency-key").is_some(), "{args:?}");
            }
            assert_eq!(req.header("x-api-key"), Some(KEY));
            assert_eq!(req.header("commet-version"), Some("2026-07-31"));
            if mode == "agent" {
                json_stdout(&stdout);
            } else {
                assert!(!stdout.trim().is_empty(), "{args:?}");
                assert!(
                    !stdout.trim_start().starts_with('{'),
                    "human output is not JSON: {stdout}"
                );
            }
        }
    }
}

#[test]
fn features_actions() {
    check(vec![
        Case {
            args: &[
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
                "--description",
                "HTTP calls",
            ],
            method: "POST",
            path: "/api/v1/features",
            query: &[],
            body: json!({"code": "api_calls", "name": "API Calls", "type": "usage", "unitName": "calls", "description": "HTTP calls"}),
        },
        Case {
            args: &["features", "list"],
            method: "GET",
            path: "/api/v1/features",
            query: &[],
            body: Value::Null,
        },
        Case {
            args: &["features", "get", "--code", "api_calls"],
            method: "GET",
            path: "/api/v1/features/api_calls",
            query: &[],
            body: Value::Null,
        },
        Case {
            args: &[
                "features",
                "update",
                "--code",
                "api_calls",
                "--name",
                "API Requests",
                "--unit-name",
                "requests",
            ],
            method: "PATCH",
            path: "/api/v1/features/api_calls",
            query: &[],
            body: json!({"name": "API Requests", "unitName": "requests"}),
        },
        Case {
            args: &["features", "delete", "--code", "api_calls"],
            method: "DELETE",
            path: "/api/v1/features/api_calls",
            query: &[],
            body: Value::Null,
        },
    ]);
}

#[test]
fn plans_actions() {
    check(vec![
        Case {
            args: &[
                "plans",
                "create",
                "--name",
                "Developer",
                "--code",
                "developer",
                "--consumption-model",
                "metered",
                "--is-public",
                "true",
                "--block-on-exhaustion",
                "--metadata",
                r#"{"tier":2}"#,
            ],
            method: "POST",
            path: "/api/v1/plans",
            query: &[],
            body: json!({"name": "Developer", "code": "developer", "consumptionModel": "metered", "isPublic": true,
                         "blockOnExhaustion": true, "metadata": {"tier": 2}}),
        },
        Case {
            args: &["plans", "list", "--include-private", "true"],
            method: "GET",
            path: "/api/v1/plans",
            query: &[("includePrivate", "true")],
            body: Value::Null,
        },
        Case {
            args: &["plans", "get", "--id", "pro"],
            method: "GET",
            path: "/api/v1/plans/pro",
            query: &[],
            body: Value::Null,
        },
        Case {
            args: &[
                "plans",
                "update",
                "--id",
                "pln_1",
                "--name",
                "Pro Plus",
                "--description",
                "For growing teams",
                "--metadata",
                "{}",
                "--is-public",
                "true",
            ],
            method: "PATCH",
            path: "/api/v1/plans/pln_1",
            query: &[],
            body: json!({"name": "Pro Plus", "description": "For growing teams", "metadata": {}, "isPublic": true}),
        },
        Case {
            args: &["plans", "delete", "--id", "pln_1"],
            method: "DELETE",
            path: "/api/v1/plans/pln_1",
            query: &[],
            body: Value::Null,
        },
        Case {
            args: &[
                "plans",
                "set-visibility",
                "--id",
                "pln_1",
                "--is-public",
                "false",
            ],
            method: "PUT",
            path: "/api/v1/plans/pln_1/visibility",
            query: &[],
            body: json!({"isPublic": false}),
        },
        Case {
            args: &[
                "plans",
                "add-feature",
                "--plan-id",
                "pln_1",
                "--feature-id",
                "ftr_1",
                "--included-amount",
                "1000",
                "--overage-enabled",
                "true",
                "--overage-unit-price",
                "100",
            ],
            method: "POST",
            path: "/api/v1/plans/pln_1/features",
            query: &[],
            body: json!({"featureId": "ftr_1", "includedAmount": 1000, "overage": {"enabled": true, "unitPrice": 100}}),
        },
        Case {
            args: &[
                "plans",
                "add-feature",
                "--plan-id",
                "pln_1",
                "--feature-id",
                "gpt",
                "--pricing-mode",
                "ai_model",
                "--margin",
                "30",
            ],
            method: "POST",
            path: "/api/v1/plans/pln_1/features",
            query: &[],
            body: json!({"featureId": "gpt", "pricingMode": "ai_model", "margin": 30}),
        },
        Case {
            args: &[
                "plans",
                "update-feature",
                "--plan-id",
                "pln_1",
                "--feature-id",
                "ftr_1",
                "--included-amount",
                "2000",
            ],
            method: "PATCH",
            path: "/api/v1/plans/pln_1/features/ftr_1",
            query: &[],
            body: json!({"includedAmount": 2000}),
        },
        Case {
            args: &[
                "plans",
                "remove-feature",
                "--plan-id",
                "pln_1",
                "--feature-id",
                "ftr_1",
            ],
            method: "DELETE",
            path: "/api/v1/plans/pln_1/features/ftr_1",
            query: &[],
            body: Value::Null,
        },
        Case {
            args: &[
                "plans",
                "add-price",
                "--plan-id",
                "pln_1",
                "--billing-interval",
                "yearly",
                "--price",
                "29000",
                "--trial-days",
                "14",
                "--intro-offer-enabled",
                "true",
                "--intro-offer-discount-type",
                "percentage",
                "--intro-offer-discount-value",
                "50",
                "--intro-offer-duration-cycles",
                "3",
            ],
            method: "POST",
            path: "/api/v1/plans/pln_1/prices",
            query: &[],
            body: json!({"billingInterval": "yearly", "price": 29000, "trialDays": 14,
                         "introOffer": {"enabled": true, "discountType": "percentage", "discountValue": 50, "durationCycles": 3}}),
        },
        Case {
            args: &[
                "plans",
                "update-price",
                "--plan-id",
                "pln_1",
                "--price-id",
                "pp_1",
                "--price",
                "3900",
            ],
            method: "PATCH",
            path: "/api/v1/plans/pln_1/prices/pp_1",
            query: &[],
            body: json!({"price": 3900}),
        },
        Case {
            args: &[
                "plans",
                "delete-price",
                "--plan-id",
                "pln_1",
                "--price-id",
                "pp_1",
            ],
            method: "DELETE",
            path: "/api/v1/plans/pln_1/prices/pp_1",
            query: &[],
            body: Value::Null,
        },
        Case {
            args: &[
                "plans",
                "set-default-price",
                "--plan-id",
                "pln_1",
                "--price-id",
                "pp_1",
            ],
            method: "PUT",
            path: "/api/v1/plans/pln_1/prices/pp_1/default",
            query: &[],
            body: json!({}),
        },
        Case {
            args: &[
                "plans",
                "set-regional-prices",
                "--plan-id",
                "pln_1",
                "--price-id",
                "pp_1",
                "--overrides",
                r#"[{"currency":"EUR","price":2700},{"currency":"BRL","price":14900}]"#,
            ],
            method: "PUT",
            path: "/api/v1/plans/pln_1/prices/pp_1/regional",
            query: &[],
            body: json!({"overrides": [{"currency":"EUR","price":2700},{"currency":"BRL","price":14900}]}),
        },
        Case {
            args: &[
                "plans",
                "delete-regional-prices",
                "--plan-id",
                "pln_1",
                "--price-id",
                "pp_1",
            ],
            method: "DELETE",
            path: "/api/v1/plans/pln_1/prices/pp_1/regional",
            query: &[],
            body: Value::Null,
        },
        Case {
            args: &[
                "plans",
                "set-regional-pricing",
                "--id",
                "pln_1",
                "--currency",
                "eur",
                "--exchange-rate",
                "0.92",
            ],
            method: "PUT",
            path: "/api/v1/plans/pln_1/regional",
            query: &[],
            body: json!({"currency": "eur", "exchangeRate": 0.92}),
        },
    ]);
}

#[test]
fn plans_rules_are_enforced_before_sending() {
    let server = Recorder::ok();
    let env = TestEnv::new().against(server.url(), KEY);
    // add-price needs a price (or an inherited price with market prices).
    let (code, _, stderr) = run(env.cmd([
        "plans",
        "add-price",
        "--plan-id",
        "pln_1",
        "--billing-interval",
        "monthly",
    ]));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--price"), "{stderr}");
    let (code, _, stderr) = run(env.cmd([
        "plans",
        "add-price",
        "--plan-id",
        "p",
        "--billing-interval",
        "fortnightly",
        "--price",
        "1",
    ]));
    assert_eq!(code, 2);
    assert!(
        stderr.contains("--billing-interval") && stderr.contains("monthly"),
        "{stderr}"
    );
    let (code, _, stderr) = run(env.cmd([
        "features", "create", "--code", "x", "--name", "X", "--type", "metered",
    ]));
    assert_eq!(code, 2);
    assert!(stderr.contains("--type"), "{stderr}");
    assert!(server.requests().is_empty());
}
