//! `commet sandbox checkout SUB_ID [--card N]`: completes a subscription's
//! open sandbox checkout (first payment, trial card, plan-change payment,
//! recovery or card update) as if the customer paid on the hosted page.
//!
//! It calls the running sandbox through the host:
//! `POST /sandbox/checkout/{id}` under `/api/v1`, so the request carries
//! the organization's API key like every API call (requests to the server
//! root are sent without credentials by the host).

use commet_sdk::prelude::*;

use crate::server::billing::cards;

pub fn run(ctx: &mut Context<'_>) -> Result<Output, PluginError> {
    let id = ctx.required_str("subscription-id")?.to_owned();
    let card = ctx
        .str("card")
        .map(str::to_owned)
        .unwrap_or_else(|| cards::DEFAULT_CARD.to_owned());
    let request = ApiRequest::new("POST", format!("/sandbox/checkout/{id}"))
        .api(Api::V1)
        .body(json!({ "card": card }));
    let answer = ctx.host.call(&request)?;
    let status = answer["status"].as_str().unwrap_or("unknown").to_owned();
    let message = answer["message"].as_str().unwrap_or_default().to_owned();
    let text = format!("{id}: {status} — {message}");
    Ok(Output::new(
        View::Message { text },
        json!({
            "subscriptionId": id,
            "status": status,
            "checkout": answer["checkout"],
            "message": message,
            "subscription": answer["subscription"],
        }),
    ))
}

/// The card numbers the sandbox accepts, for `--help`.
pub fn card_help() -> String {
    let list: Vec<String> = cards::CARDS
        .iter()
        .map(|c| format!("{} ({})", c.number, c.label))
        .collect();
    format!(
        "Sandbox test card (default {}): {}",
        cards::DEFAULT_CARD,
        list.join("; ")
    )
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use abi_stable::sabi_trait::TD_Opaque;
    use abi_stable::std_types::{RResult, RStr, RString};
    use commet_sdk::abi::{HostContext, HostContext_TO};
    use commet_sdk::prelude::*;
    use commet_sdk::wire::ApiResponse;

    use crate::server::{Sandbox, SandboxConfig};

    /// A host that sends `/api/v1` requests to a sandbox with its key.
    struct HttpHost {
        url: String,
        key: String,
    }

    impl HttpHost {
        fn send(&self, req: &ApiRequest) -> ApiResponse {
            let prefix = match req.api {
                Api::V1 => "/api/v1",
                _ => "",
            };
            let agent: ureq::Agent = ureq::Agent::config_builder()
                .http_status_as_error(false)
                .timeout_global(Some(Duration::from_secs(20)))
                .build()
                .into();
            let mut resp = agent
                .post(&format!("{}{prefix}{}", self.url, req.path))
                .header("x-api-key", &self.key)
                .send_json(req.body.clone().unwrap_or(Value::Null))
                .expect("request");
            let status = resp.status().as_u16();
            let body: Value = resp.body_mut().read_json().unwrap_or(Value::Null);
            ApiResponse {
                status,
                body,
                request_id: None,
            }
        }
    }

    impl HostContext for HttpHost {
        fn request(&self, request: RStr<'_>) -> RResult<RString, RString> {
            let req: ApiRequest = serde_json::from_str(request.as_str()).expect("request json");
            RResult::ROk(serde_json::to_string(&self.send(&req)).unwrap().into())
        }
        fn log(&self, _level: u8, _message: RStr<'_>) {}
        fn progress(&self, _message: RStr<'_>) {}
        fn plugin_config(&self) -> RString {
            "{}".into()
        }
        fn wait_interrupt(&self, _timeout_ms: u64) -> bool {
            false
        }
        fn call(&self, _service: RStr<'_>, _payload: RStr<'_>) -> RResult<RString, RString> {
            RResult::RErr(PluginError::failed("no services").to_json().into())
        }
    }

    fn run(host: &HttpHost, args: Value) -> Result<Output, PluginError> {
        let host_ref = HostContext_TO::from_ptr(host, TD_Opaque);
        let command = json!(["sandbox", "checkout"]).to_string();
        match commet_sdk::export::run(
            crate::__commet_plugin,
            RStr::from_str(&command),
            RStr::from_str(&args.to_string()),
            host_ref,
        ) {
            RResult::ROk(text) => Ok(serde_json::from_str(text.as_str()).expect("output")),
            RResult::RErr(text) => Err(PluginError::from_json(text.as_str())),
        }
    }

    #[test]
    fn completes_a_pending_checkout_and_reports_declines() {
        let dir = tempfile::tempdir().unwrap();
        let sandbox = Sandbox::start(SandboxConfig::new(dir.path())).unwrap();
        let host = HttpHost {
            url: sandbox.url(),
            key: sandbox.api_key(),
        };
        let call =
            |path: &str, body: Value| host.send(&ApiRequest::new("POST", path).body(body)).body;
        let plan = call("/plans", json!({ "code": "pro", "name": "Pro" }));
        let plan_id = plan["id"].as_str().unwrap().to_owned();
        call(
            &format!("/plans/{plan_id}/prices"),
            json!({ "billingInterval": "monthly", "price": 2900 }),
        );
        call(
            "/customers",
            json!({ "email": "a@example.com", "externalId": "a" }),
        );
        let sub = call(
            "/subscriptions",
            json!({ "customerId": "a", "planId": plan_id }),
        );
        let id = sub["id"].as_str().unwrap().to_owned();

        let err = run(
            &host,
            json!({ "subscription-id": id, "card": "4000000000009995" }),
        )
        .unwrap_err();
        assert!(err.to_string().contains("payment_failed"), "{err}");
        let out = run(&host, json!({ "subscription-id": id })).unwrap();
        assert_eq!(out.data["status"], "active");
        match &out.view {
            View::Message { text } => assert!(text.contains("active"), "{text}"),
            other => panic!("unexpected view {other:?}"),
        }
        let again = run(&host, json!({ "subscription-id": id })).unwrap_err();
        assert!(again.to_string().contains("no open checkout"), "{again}");
        sandbox.shutdown();
    }
}
