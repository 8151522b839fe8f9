//! `POST /portal/sessions`: a link to the sandbox's customer portal page.

use axum::extract::State;
use axum::routing::post;
use axum::Router;
use serde_json::json;

use crate::server::app::App;
use crate::server::error::ApiError;
use crate::server::http::extract::{ApiResult, Write};
use crate::server::input::Input;
use crate::server::store::{customers, portal};

pub fn routes() -> Router<App> {
    Router::new().route("/portal/sessions", post(create))
}

async fn create(State(app): State<App>, w: Write) -> ApiResult {
    let base = app.base_url.clone();
    w.run(&app, move |tx, org, body| {
        let mut i = Input::new(body)?;
        let customer_ref = i.opt_str("customerId");
        let email = i.opt_str("email");
        let return_url = i.opt_str("returnUrl");
        if customer_ref.is_none() && email.is_none() && i.ok() {
            i.problem(
                "customerId",
                "send customerId or email to say whose portal to open",
            );
        }
        i.finish()?;
        let customer = match (&customer_ref, &email) {
            (Some(reference), _) => customers::require(tx, &org.org_id, reference, "customerId")?,
            (None, Some(email)) => {
                customers::find_by_email(tx, &org.org_id, email)?.ok_or_else(|| {
                    ApiError::not_found(
                        "customer_not_found",
                        format!("No customer with email `{email}`"),
                    )
                    .param("email")
                })?
            }
            (None, None) => return Err(ApiError::invalid("customerId", "is required")),
        };
        let (token, expires_at) =
            portal::create(tx, &org.org_id, &customer.id, return_url.as_deref())?;
        let url = format!("{base}/portal/{token}");
        Ok(json!({
            "portalUrl": url,
            "url": url,
            "customerId": customer.id,
            "expiresAt": expires_at,
            "object": "portal_session",
            "livemode": false,
        }))
    })
    .await
}
