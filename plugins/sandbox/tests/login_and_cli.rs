//! Device login (`/api/auth/device/*`, `/device`) and `/api/cli/*`.

mod common;

use std::time::Duration;

use commet_plugin_sandbox::server::DeviceTimings;
use common::{start, Env};
use serde_json::{json, Value};

const GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

fn fast(env: &Env) {
    env.sandbox().set_device_timings(DeviceTimings {
        interval: Duration::ZERO,
        ttl: Duration::from_secs(600),
    });
}

fn device_code(env: &Env) -> Value {
    env.req("POST", "/api/auth/device/code")
        .key(None)
        .json(json!({ "client_id": "commet-cli", "scope": "openid profile email" }))
        .send()
        .ok()
}

fn poll(env: &Env, device_code: &str) -> (u16, Value) {
    let r = env
        .req("POST", "/api/auth/device/token")
        .key(None)
        .json(json!({ "grant_type": GRANT, "device_code": device_code, "client_id": "commet-cli" }))
        .send();
    (r.status, r.body)
}

/// Logs in through the device flow; returns the bearer token.
fn login(env: &Env) -> String {
    fast(env);
    let code = device_code(env);
    env.sandbox()
        .approve_device_code(code["user_code"].as_str().unwrap())
        .unwrap();
    let (status, body) = poll(env, code["device_code"].as_str().unwrap());
    assert_eq!(status, 200, "{body}");
    body["access_token"].as_str().unwrap().to_owned()
}

#[test]
fn device_code_shape() {
    let env = start();
    let code = device_code(&env);
    let user_code = code["user_code"].as_str().unwrap();
    assert_eq!(user_code.len(), 9);
    assert_eq!(&user_code[4..5], "-");
    assert_eq!(code["interval"], 5);
    assert_eq!(code["expires_in"], 600);
    assert_eq!(
        code["verification_uri_complete"],
        format!("{}/device?user_code={user_code}", env.url)
    );
    assert!(code["device_code"].as_str().unwrap().len() >= 32);
}

#[test]
fn pending_then_approved_then_token_works() {
    let env = start();
    fast(&env);
    let code = device_code(&env);
    let dc = code["device_code"].as_str().unwrap();
    let (status, body) = poll(&env, dc);
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("authorization_pending"))
    );

    // The approval page shows the code with both buttons.
    let page = env
        .req(
            "GET",
            &format!("/device?user_code={}", code["user_code"].as_str().unwrap()),
        )
        .key(None)
        .send();
    assert_eq!(page.status, 200);
    assert!(page.text.contains(code["user_code"].as_str().unwrap()));
    assert!(page.text.contains("/device/approve") && page.text.contains("/device/deny"));

    // Clicking Approve: a form post.
    let approved = env
        .req("POST", "/device/approve")
        .key(None)
        .header("content-type", "application/x-www-form-urlencoded")
        .raw(&format!(
            "user_code={}",
            code["user_code"].as_str().unwrap()
        ))
        .send();
    assert_eq!(approved.status, 200, "{}", approved.text);
    assert!(approved.text.contains("approved"));

    let (status, body) = poll(&env, dc);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    let token = body["access_token"].as_str().unwrap();
    assert!(body["expires_in"].as_i64().unwrap() > 0);
    // A device code is used once.
    let (status, body) = poll(&env, dc);
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );

    let orgs = env
        .req("GET", "/api/cli/organizations")
        .key(None)
        .header("authorization", &format!("Bearer {token}"))
        .send()
        .ok();
    assert_eq!(orgs["success"], true);
    assert_eq!(orgs["organizations"][0]["slug"], "local");
}

#[test]
fn denied_and_expired_and_slow_down() {
    let env = start();
    fast(&env);
    let code = device_code(&env);
    env.sandbox()
        .deny_device_code(code["user_code"].as_str().unwrap())
        .unwrap();
    let (status, body) = poll(&env, code["device_code"].as_str().unwrap());
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("access_denied"))
    );
    assert!(env
        .sandbox()
        .approve_device_code(code["user_code"].as_str().unwrap())
        .is_err());

    env.sandbox().set_device_timings(DeviceTimings {
        interval: Duration::ZERO,
        ttl: Duration::ZERO,
    });
    let expired = device_code(&env);
    let (status, body) = poll(&env, expired["device_code"].as_str().unwrap());
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("expired_token"))
    );
    let page = env
        .req(
            "GET",
            &format!(
                "/device?user_code={}",
                expired["user_code"].as_str().unwrap()
            ),
        )
        .key(None)
        .send();
    assert_eq!(page.status, 410);

    env.sandbox().set_device_timings(DeviceTimings {
        interval: Duration::from_secs(60),
        ttl: Duration::from_secs(600),
    });
    let slow = device_code(&env);
    let dc = slow["device_code"].as_str().unwrap();
    assert_eq!(poll(&env, dc).1["error"], "authorization_pending");
    assert_eq!(poll(&env, dc).1["error"], "slow_down");

    let (status, body) = poll(&env, "not-a-code");
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let bad = env
        .req("POST", "/api/auth/device/token")
        .key(None)
        .json(json!({ "grant_type": "password", "device_code": dc }))
        .send();
    assert_eq!(bad.body["error"], "unsupported_grant_type");
    assert!(env.sandbox().approve_device_code("ZZZZ-ZZZZ").is_err());
}

#[test]
fn form_encoded_polls_are_accepted() {
    let env = start();
    fast(&env);
    let code = device_code(&env);
    let r = env
        .req("POST", "/api/auth/device/token")
        .key(None)
        .header("content-type", "application/x-www-form-urlencoded")
        .raw(&format!(
            "grant_type={}&device_code={}&client_id=commet-cli",
            GRANT.replace(':', "%3A"),
            code["device_code"].as_str().unwrap()
        ))
        .send();
    assert_eq!(r.body["error"], "authorization_pending");
}

#[test]
fn cli_organizations_and_project_keys() {
    let env = start();
    let token = login(&env);
    let bearer = format!("Bearer {token}");
    let (other_id, _) = env.other_org();
    let orgs = env
        .req("GET", "/api/cli/organizations")
        .key(None)
        .header("authorization", &bearer)
        .send()
        .ok();
    let slugs: Vec<&str> = orgs["organizations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["slug"].as_str().unwrap())
        .collect();
    assert_eq!(slugs, ["local", "other"]);

    let created = env
        .req("POST", "/api/cli/api-keys")
        .key(None)
        .header("authorization", &bearer)
        .json(json!({ "organizationId": other_id, "name": "my-project" }))
        .send()
        .ok();
    assert_eq!(created["success"], true);
    let project_key = created["apiKey"].as_str().unwrap();
    assert!(project_key.starts_with("ck_"));
    // The project key acts on that organization only.
    env.post_as(
        project_key,
        "/customers",
        json!({ "email": "p@example.com" }),
    )
    .ok();
    assert_eq!(env.get("/customers").ok()["data"], json!([]));

    env.req("POST", "/api/cli/api-keys")
        .key(None)
        .header("authorization", &bearer)
        .json(json!({ "organizationId": "org_nope", "name": "x" }))
        .send()
        .err(404, "not_found");
    // An org key only reaches its own organization.
    env.req("POST", "/api/cli/api-keys")
        .json(json!({ "organizationId": other_id, "name": "x" }))
        .send()
        .err(403, "forbidden");
    let with_key = env.req("GET", "/api/cli/organizations").send().ok();
    assert_eq!(with_key["organizations"].as_array().unwrap().len(), 1);

    env.req("GET", "/api/cli/organizations")
        .key(None)
        .send()
        .err(401, "unauthorized");
    env.req("GET", "/api/cli/organizations")
        .key(None)
        .header("authorization", "Bearer cst_bogus")
        .send()
        .err(401, "unauthorized");
}

#[test]
fn push_creates_updates_and_refuses_type_changes() {
    let env = start();
    let config = json!({
        "features": {
            "api_calls": { "name": "API Calls", "type": "usage", "unitName": "call" },
            "sso": { "name": "SSO", "type": "boolean" }
        },
        "plans": {
            "pro": {
                "name": "Pro", "description": "For teams", "isPublic": true,
                "prices": [{ "interval": "monthly", "amount": 2900, "trialDays": 14 }, { "interval": "yearly", "amount": 29000 }],
                "features": { "sso": true, "api_calls": { "included": 1000, "overage": { "unitPrice": 100 } } }
            },
            "free": { "name": "Free", "isFree": true, "prices": [{ "interval": "monthly", "amount": 0 }], "features": { "sso": false } }
        }
    });
    let r = env
        .req("POST", "/api/cli/push")
        .json(json!({ "config": config }))
        .send()
        .ok();
    assert_eq!(r["success"], true, "{r}");
    assert_eq!(r["features"]["created"], json!(["api_calls", "sso"]));
    assert_eq!(r["plans"]["created"], json!(["pro", "free"]));
    let pro = env.get("/plans/pro").ok();
    assert_eq!(pro["prices"].as_array().unwrap().len(), 2);
    assert_eq!(pro["prices"][0]["trialDays"], 14);
    let api = pro["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "api_calls")
        .unwrap()
        .clone();
    assert_eq!(api["includedAmount"], 1000);
    assert_eq!(api["overage"]["unitPrice"], 100);

    // Pushing the same config again changes nothing.
    let again = env
        .req("POST", "/api/cli/push")
        .json(json!({ "config": config }))
        .send()
        .ok();
    assert_eq!(
        again["features"],
        json!({ "created": [], "updated": [], "errors": [] })
    );
    assert_eq!(
        again["plans"],
        json!({ "created": [], "updated": [], "errors": [] })
    );

    // Changes: a renamed feature, a type change (refused), a new price, a dropped feature.
    let changed = json!({
        "features": {
            "api_calls": { "name": "API Requests", "type": "usage", "unitName": "call" },
            "sso": { "name": "SSO", "type": "usage" }
        },
        "plans": {
            "pro": { "name": "Pro", "description": "For teams",
                     "prices": [{ "interval": "monthly", "amount": 3900, "trialDays": 14 }],
                     "features": { "api_calls": { "included": 2000 } } },
            "broken": { "name": "Broken", "prices": [], "features": { "ghost": true } }
        }
    });
    let r = env
        .req("POST", "/api/cli/push")
        .json(json!({ "config": changed }))
        .send()
        .ok();
    assert_eq!(r["success"], false);
    assert_eq!(r["features"]["updated"], json!(["api_calls"]));
    assert_eq!(r["features"]["errors"][0]["code"], "sso");
    assert!(r["features"]["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("dashboard"));
    assert_eq!(r["plans"]["updated"], json!(["pro"]));
    assert_eq!(r["plans"]["errors"][0]["code"], "broken");
    env.get("/plans/broken").err(404, "plan_not_found");
    assert_eq!(env.get("/features/sso").ok()["type"], "boolean");
    let pro = env.get("/plans/pro").ok();
    assert_eq!(pro["prices"].as_array().unwrap().len(), 1);
    assert_eq!(pro["prices"][0]["price"], 3900);
    assert_eq!(pro["features"].as_array().unwrap().len(), 1);

    env.req("POST", "/api/cli/push")
        .json(json!({}))
        .send()
        .err(400, "validation_error");
    env.req("POST", "/api/cli/push")
        .key(None)
        .json(json!({ "config": {} }))
        .send()
        .err(401, "unauthorized");
}

#[test]
fn push_targets_the_requested_org() {
    let env = start();
    let token = login(&env);
    let (other_id, other_key) = env.other_org();
    let config = json!({ "features": { "sso": { "name": "SSO", "type": "boolean" } } });
    env.req("POST", "/api/cli/push")
        .key(None)
        .header("authorization", &format!("Bearer {token}"))
        .json(json!({ "config": config, "orgId": other_id }))
        .send()
        .ok();
    env.get_as(&other_key, "/features/sso").ok();
    env.get("/features/sso").err(404, "feature_not_found");
}

#[test]
fn templates_seed_a_catalog() {
    let env = start();
    let mut total_plans = 0;
    for (n, template) in [
        "fixed",
        "seats",
        "metered",
        "credits",
        "balance-ai",
        "balance-fixed",
    ]
    .iter()
    .enumerate()
    {
        let (org, key) = env
            .sandbox()
            .create_org(&format!("T{n}"), &format!("t{n}"))
            .unwrap();
        let r = env
            .req("POST", "/api/cli/templates")
            .key(Some(&key))
            .json(json!({ "templateId": template, "organizationId": org }))
            .send()
            .ok();
        let plans = r["plansCreated"].as_i64().unwrap();
        assert!(plans >= 2, "{template}: {r}");
        assert!(r["featuresCreated"].as_i64().unwrap() >= 1, "{template}");
        let listed = env.get_as(&key, "/plans?includePrivate=true").ok();
        assert_eq!(listed["data"].as_array().unwrap().len() as i64, plans);
        assert!(listed["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| !p["prices"].as_array().unwrap().is_empty()));
        total_plans += plans;
        // Applying it again creates nothing new.
        let again = env
            .req("POST", "/api/cli/templates")
            .key(Some(&key))
            .json(json!({ "templateId": template, "organizationId": org }))
            .send()
            .ok();
        assert_eq!(again["plansCreated"], 0);
    }
    assert!(total_plans >= 12);
    env.req("POST", "/api/cli/templates")
        .json(json!({ "templateId": "nope", "organizationId": "local" }))
        .send()
        .err(400, "validation_error");
    let credits_org = env.sandbox().create_org("C", "c").unwrap();
    env.req("POST", "/api/cli/templates")
        .key(Some(&credits_org.1))
        .json(json!({ "templateId": "credits", "organizationId": credits_org.0 }))
        .send()
        .ok();
    assert_eq!(
        env.get_as(&credits_org.1, "/credit-packs").ok()["data"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}
