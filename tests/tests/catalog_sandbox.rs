//! The catalog commands against the real local sandbox: what the plugins send
//! is what the server understands, and the results read back.

use commet_e2e::{json_stdout, run, TestEnv};
use commet_plugin_sandbox::server::{Sandbox, SandboxConfig};
use serde_json::Value;

fn agent(env: &TestEnv, args: &[&str]) -> Value {
    let mut full = args.to_vec();
    full.extend(["--output", "agent"]);
    let (code, stdout, stderr) = run(env.cmd(&full));
    assert_eq!(code, 0, "{args:?}: {stderr}\n{stdout}");
    json_stdout(&stdout)
}

#[test]
fn customers_features_and_plans_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let sb = Sandbox::start(SandboxConfig::new(dir.path())).unwrap();
    let env = TestEnv::new().against(&sb.url(), &sb.api_key());

    // Customers: create by own id (twice is safe), get by external id, update, search.
    let c = agent(
        &env,
        &[
            "customers",
            "create",
            "--email",
            "ada@example.com",
            "--id",
            "user_1",
            "--full-name",
            "Ada Lovelace",
            "--metadata",
            r#"{"tier":"gold"}"#,
        ],
    );
    assert!(c["id"].as_str().unwrap().starts_with("cus_"));
    let again = agent(
        &env,
        &[
            "customers",
            "create",
            "--email",
            "ada@example.com",
            "--id",
            "user_1",
        ],
    );
    assert_eq!(again["id"], c["id"]);
    let got = agent(&env, &["customers", "get", "--id", "user_1"]);
    assert_eq!(got["fullName"], "Ada Lovelace");
    assert_eq!(got["metadata"]["tier"], "gold");
    let updated = agent(
        &env,
        &[
            "customers",
            "update",
            "--id",
            "user_1",
            "--email",
            "ada@lovelace.dev",
        ],
    );
    assert_eq!(updated["email"], "ada@lovelace.dev");
    agent(
        &env,
        &[
            "customers",
            "create-batch",
            "--customers",
            r#"[{"email":"b@example.com"},{"email":"c@example.com"}]"#,
        ],
    );
    let all = agent(&env, &["customers", "list", "--limit", "2"]);
    assert_eq!(all.as_array().map(Vec::len), Some(2));
    let found = agent(&env, &["customers", "list", "--search", "lovelace"]);
    assert_eq!(found.as_array().map(Vec::len), Some(1));

    // Features.
    let f = agent(
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
            "--unit-name",
            "calls",
        ],
    );
    assert_eq!(f["code"], "api_calls");
    let f = agent(
        &env,
        &[
            "features",
            "update",
            "--code",
            "api_calls",
            "--name",
            "API Requests",
        ],
    );
    assert_eq!(f["name"], "API Requests");
    assert_eq!(
        agent(&env, &["features", "list"]).as_array().map(Vec::len),
        Some(1)
    );

    // Plans with a price and a feature; `get` accepts the code.
    let p = agent(
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
            "--is-public",
            "true",
        ],
    );
    let plan_id = p["id"].as_str().unwrap().to_owned();
    assert!(plan_id.starts_with("pln_"));
    let price = agent(
        &env,
        &[
            "plans",
            "add-price",
            "--plan-id",
            &plan_id,
            "--billing-interval",
            "monthly",
            "--price",
            "2900",
            "--trial-days",
            "14",
        ],
    );
    let price_id = price["id"].as_str().unwrap_or_default().to_owned();
    assert!(!price_id.is_empty(), "{price}");
    agent(
        &env,
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
            "100",
        ],
    );
    let plan = agent(&env, &["plans", "get", "--id", "pro"]);
    assert_eq!(plan["id"], plan_id);
    let prices = plan["prices"].as_array().expect("prices");
    assert!(prices.iter().any(|p| p["price"] == 2900), "{plan}");
    let features = plan["features"].as_array().expect("features");
    let api = features
        .iter()
        .find(|f| f["code"] == "api_calls" || f["featureCode"] == "api_calls")
        .expect("feature on plan");
    assert_eq!(api["includedAmount"], 1000, "{api}");
    assert_eq!(api["overage"]["enabled"], true, "{api}");

    agent(
        &env,
        &[
            "plans",
            "update-price",
            "--plan-id",
            &plan_id,
            "--price-id",
            &price_id,
            "--price",
            "3900",
        ],
    );
    agent(
        &env,
        &[
            "plans",
            "set-visibility",
            "--id",
            &plan_id,
            "--is-public",
            "false",
        ],
    );
    assert_eq!(
        agent(&env, &["plans", "list"]).as_array().map(Vec::len),
        Some(0),
        "private plans are hidden"
    );
    assert_eq!(
        agent(&env, &["plans", "list", "--include-private", "true"])
            .as_array()
            .map(Vec::len),
        Some(1)
    );

    // A feature in use cannot be deleted; the API error reaches the user.
    let (code, _, stderr) = run(env.cmd(["features", "delete", "--code", "api_calls"]));
    assert_eq!(code, 1);
    assert!(stderr.contains("feature_in_use"), "{stderr}");
    assert!(stderr.contains("request id: req_"), "{stderr}");

    // Unknown ids answer not found with the server's code.
    let (code, stdout, _) = run(env.cmd(["plans", "get", "--id", "nope", "--output", "agent"]));
    assert_eq!(code, 1);
    assert_eq!(json_stdout(&stdout)["error"]["code"], "plan_not_found");
}

#[test]
fn other_catalog_groups_work_against_the_sandbox() {
    let dir = tempfile::tempdir().unwrap();
    let sb = Sandbox::start(SandboxConfig::new(dir.path())).unwrap();
    let env = TestEnv::new().against(&sb.url(), &sb.api_key());

    let group = agent(
        &env,
        &[
            "plan-groups",
            "create",
            "--name",
            "Main Plans",
            "--description",
            "Tiers",
            "--is-public",
            "true",
        ],
    );
    let group_id = group["id"].as_str().unwrap().to_owned();
    let plan = agent(
        &env,
        &["plans", "create", "--name", "Team", "--code", "team"],
    );
    let plan_id = plan["id"].as_str().unwrap().to_owned();
    agent(
        &env,
        &[
            "plan-groups",
            "add-plan",
            "--id",
            &group_id,
            "--plan-id",
            &plan_id,
            "--sort-order",
            "1",
        ],
    );
    let detail = agent(&env, &["plan-groups", "get", "--id", &group_id]);
    assert!(detail.to_string().contains(&plan_id), "{detail}");

    agent(
        &env,
        &[
            "features", "create", "--code", "storage", "--name", "Storage", "--type", "usage",
        ],
    );
    let addon = agent(
        &env,
        &[
            "addons",
            "create",
            "--name",
            "Extra Storage",
            "--base-price",
            "500",
            "--feature-id",
            "storage",
            "--consumption-model",
            "metered",
            "--included-units",
            "100",
            "--overage-rate",
            "10",
        ],
    );
    assert!(addon["id"].as_str().unwrap().starts_with("adn_"), "{addon}");
    let pack = agent(
        &env,
        &[
            "credit-packs",
            "create",
            "--name",
            "500 Credits",
            "--credits",
            "500",
            "--price",
            "4900",
        ],
    );
    assert_eq!(pack["credits"], 500);
    let promo = agent(
        &env,
        &[
            "promo-codes",
            "create",
            "--code",
            "SUMMER25",
            "--discount-type",
            "percentage",
            "--discount-value",
            "25",
            "--duration-cycles",
            "3",
            "--max-redemptions",
            "100",
        ],
    );
    assert_eq!(promo["code"], "SUMMER25");
    let key = agent(
        &env,
        &[
            "api-keys",
            "create",
            "--name",
            "CI",
            "--expires-in-days",
            "30",
        ],
    );
    let secret = key.to_string();
    assert!(secret.contains("ck_"), "the new key is shown once: {key}");
    let market = agent(
        &env,
        &[
            "markets",
            "create",
            "--name",
            "LatAm",
            "--country-codes",
            r#"["AR","BR","CL"]"#,
        ],
    );
    assert!(
        market["id"].as_str().unwrap().starts_with("pmg_"),
        "{market}"
    );

    // Payouts are refused in a sandbox, with the documented code.
    let (code, stdout, _) = run(env.cmd([
        "payouts", "request", "--amount", "50000", "--output", "agent",
    ]));
    assert_eq!(code, 1);
    assert_eq!(
        json_stdout(&stdout)["error"]["code"],
        "payouts_not_available_in_sandbox"
    );
}
