//! `/test-clock`: the organization's simulated time, and advancing it
//! while processing every billing deadline on the way
//! (`POST /test-clock/process-billing` stays 410 in `unimplemented`).

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use chrono::Duration;
use serde_json::json;

use crate::server::app::App;
use crate::server::billing::cycle;
use crate::server::clock;
use crate::server::error::ApiError;
use crate::server::http::extract::{ok, ApiResult, OrgCtx, Write};
use crate::server::ids;
use crate::server::input::Input;

/// The longest jump in one call (as the clock allows).
const MAX_DAYS: i64 = 36_600;

pub fn routes() -> Router<App> {
    Router::new().route("/test-clock", get(get_clock).post(advance))
}

async fn get_clock(State(app): State<App>, org: OrgCtx) -> ApiResult {
    Ok(ok(app
        .read(move |c| {
            let state = clock::state(c, &org.org_id)?;
            Ok(json!({
                "simulatedTime": if state.active { json!(ids::iso(state.now)) } else { json!(null) },
                "isActive": state.active,
                "now": ids::iso(state.now),
                "latestRun": cycle::latest_run(c, &org.org_id)?,
                "object": "test_clock",
                "livemode": false,
            }))
        })
        .await?))
}

async fn advance(State(app): State<App>, w: Write) -> ApiResult {
    let base = app.base_url.clone();
    let mut resp = w
        .run(&app, move |tx, org, body| {
            let mut i = Input::new(body)?;
            let days = i.opt_int_in("advanceDays", 1, MAX_DAYS);
            let frozen = i.opt_instant("frozenTime");
            if i.ok() && days.is_some() == frozen.is_some() {
                i.problem("advanceDays", "send exactly one of advanceDays (whole days forward) or frozenTime (an ISO instant)");
            }
            i.finish()?;
            let current = clock::now(tx, &org.org_id);
            let (target, freeze) = match (days, frozen.as_deref().and_then(ids::parse_instant)) {
                (Some(d), _) => (current + Duration::days(d), false),
                (None, Some(t)) => {
                    if t < current {
                        return Err(ApiError::invalid(
                            "frozenTime",
                            format!(
                                "must not be before the current simulated time {} (the clock only moves forward)",
                                ids::iso(current)
                            ),
                        ));
                    }
                    if t - current > Duration::days(MAX_DAYS) {
                        return Err(ApiError::invalid("frozenTime", "is more than 100 years ahead"));
                    }
                    (t, true)
                }
                _ => return Err(ApiError::invalid("advanceDays", "is required")),
            };
            cycle::run(tx, &org.org_id, &base, target, freeze)
        })
        .await?;
    *resp.status_mut() = StatusCode::ACCEPTED;
    Ok(resp)
}
