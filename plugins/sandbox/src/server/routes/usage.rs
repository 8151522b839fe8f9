//! `/usage/events` (track), `/usage/check`, `PUT /usage` (set the period
//! total).

use axum::extract::State;
use axum::routing::{post, put};
use axum::Router;
use chrono::Duration;
use rusqlite::Connection;
use serde_json::{json, Value};

use crate::server::app::App;
use crate::server::entitlements::{self, ai, decide, Ctx, Model};
use crate::server::error::ApiError;
use crate::server::events;
use crate::server::http::extract::{ApiResult, Write};
use crate::server::ids;
use crate::server::input::Input;
use crate::server::store::features::{self, Feature};
use crate::server::store::{customers, usage};

pub fn routes() -> Router<App> {
    Router::new()
        .route("/usage/events", post(track))
        .route("/usage/check", post(check))
        .route("/usage", put(set))
}

/// Longest business event id.
const MAX_EVENT_ID: usize = 200;
/// How far in the (simulated) future an event timestamp may be.
const FUTURE_TOLERANCE_MINUTES: i64 = 5;

/// `customerId`, or `externalId` as the SDKs' alternative name.
pub fn customer_ref(i: &mut Input<'_>) -> String {
    if !i.has("customerId") {
        if let Some(ext) = i.opt_str("externalId") {
            return ext;
        }
    }
    i.req_str("customerId")
}

/// `featureCode`, or `feature` as the CLI's alternative name.
fn feature_ref(i: &mut Input<'_>) -> String {
    if !i.has("featureCode") {
        if let Some(f) = i.opt_str("feature") {
            return f;
        }
    }
    i.req_str("featureCode")
}

fn properties(i: &mut Input<'_>) -> Value {
    let Some(items) = i.opt_array("properties") else {
        return json!([]);
    };
    let mut out = Vec::with_capacity(items.len());
    for (n, item) in items.iter().enumerate() {
        let field = format!("properties[{n}]");
        let pair = item.as_object().and_then(|o| {
            let p = o.get("property")?.as_str()?.trim();
            let v = match o.get("value")? {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                _ => return None,
            };
            (!p.is_empty()).then(|| json!({ "property": p, "value": v }))
        });
        match pair {
            Some(p) => out.push(p),
            None => i.problem(
                &field,
                "must be an object {property, value} with a non-empty property name",
            ),
        }
    }
    Value::Array(out)
}

/// The token fields of an AI event.
struct TokenInput {
    model: String,
    tokens: ai::Tokens,
}

fn token_input(i: &mut Input<'_>) -> Option<TokenInput> {
    let model = i.opt_str("model");
    let token_keys = [
        "inputTokens",
        "outputTokens",
        "cacheReadTokens",
        "cacheWriteTokens",
    ];
    let any_tokens = token_keys.iter().any(|k| i.has(k));
    let Some(model) = model else {
        if any_tokens {
            i.problem(
                "model",
                "is required with token counts (the AI model that was called)",
            );
        }
        return None;
    };
    let input = i.req_int_in("inputTokens", 0, i64::MAX);
    let output = i.req_int_in("outputTokens", 0, i64::MAX);
    let cache_read = i.opt_int_in("cacheReadTokens", 0, i64::MAX).unwrap_or(0);
    let cache_write = i.opt_int_in("cacheWriteTokens", 0, i64::MAX).unwrap_or(0);
    if cache_read.saturating_add(cache_write) > input {
        i.problem(
            "cacheReadTokens",
            "cacheReadTokens + cacheWriteTokens cannot exceed inputTokens (cached tokens are part of the input)",
        );
    }
    Some(TokenInput {
        model,
        tokens: ai::Tokens {
            input,
            output,
            cache_read,
            cache_write,
        },
    })
}

fn require_usage_feature(feature: &Feature) -> Result<(), ApiError> {
    match feature.kind.as_str() {
        "usage" => Ok(()),
        "seats" => Err(entitlements::wrong_type(
            feature,
            "usage",
            "change seats with /seats",
        )),
        "quota" => Err(entitlements::wrong_type(
            feature,
            "usage",
            "change quota allowances with /usage/quota",
        )),
        _ => Err(entitlements::wrong_type(
            feature,
            "usage",
            "boolean features are on or off and take no usage",
        )),
    }
}

fn mismatch(feature: &Feature, ai_model: bool) -> ApiError {
    let message = if ai_model {
        format!(
            "`{}` is priced by AI model tokens: send model, inputTokens and outputTokens instead of value",
            feature.code
        )
    } else {
        format!(
            "`{}` has a fixed unit price: send value instead of model and token counts",
            feature.code
        )
    };
    ApiError::billing("pricing_mode_mismatch", message)
        .param(if ai_model { "model" } else { "value" })
        .details(json!({
            "featureCode": feature.code,
            "pricingMode": if ai_model { "ai_model" } else { "fixed" },
        }))
}

async fn track(State(app): State<App>, w: Write) -> ApiResult {
    w.run(&app, |tx, org, body| {
        let mut i = Input::new(body)?;
        let feature_code = feature_ref(&mut i);
        let customer_ref = customer_ref(&mut i);
        let value = i.opt_int_in("value", 0, i64::MAX);
        let event_id = i.opt_str("eventId");
        if event_id
            .as_ref()
            .is_some_and(|e| e.chars().count() > MAX_EVENT_ID)
        {
            i.problem(
                "eventId",
                format!("must be at most {MAX_EVENT_ID} characters"),
            );
        }
        let timestamp = i.opt_instant("timestamp");
        let props = properties(&mut i);
        let tokens = token_input(&mut i);
        if tokens.is_some() && value.is_some() {
            i.problem(
                "value",
                "send either value or model with token counts, not both",
            );
        }
        i.finish()?;
        track_one(
            tx,
            &org.org_id,
            Track {
                feature_code,
                customer_ref,
                value,
                event_id,
                timestamp,
                properties: props,
                tokens,
            },
        )
    })
    .await
}

struct Track {
    feature_code: String,
    customer_ref: String,
    value: Option<i64>,
    event_id: Option<String>,
    timestamp: Option<String>,
    properties: Value,
    tokens: Option<TokenInput>,
}

fn track_one(conn: &Connection, org_id: &str, t: Track) -> Result<Value, ApiError> {
    let customer = customers::require(conn, org_id, &t.customer_ref, "customerId")?;
    let feature = features::require(conn, org_id, &t.feature_code, "featureCode")?;
    // The same business event is recorded once: a replay answers the
    // original event; the id reused for something else is a conflict.
    if let Some(event_id) = &t.event_id {
        if let Some(known) = usage::find_by_event_id(conn, org_id, event_id)? {
            if known.customer_id == customer.id && known.feature_code == feature.code {
                return Ok(known.json);
            }
            return Err(ApiError::conflict(
                "duplicate",
                format!(
                    "eventId `{event_id}` was already recorded for another customer or feature ({})",
                    known.json["id"].as_str().unwrap_or_default()
                ),
            )
            .param("eventId")
            .details(json!({ "usageEventId": known.json["id"] })));
        }
    }
    let ctx = entitlements::context_for(conn, org_id, customer)?;
    require_usage_feature(&feature)?;
    ctx.require_access()?;
    let grant = entitlements::require_grant(conn, &ctx, &feature)?;
    if grant.ai_model != t.tokens.is_some() {
        return Err(mismatch(&feature, grant.ai_model));
    }
    let ts = match &t.timestamp {
        Some(text) => ids::parse_instant(text).unwrap_or(ctx.now),
        None => ctx.now,
    };
    if ts > ctx.now + Duration::minutes(FUTURE_TOLERANCE_MINUTES) {
        return Err(ApiError::invalid(
            "timestamp",
            format!(
                "must not be in the future (now is {} on this organization's clock)",
                ids::iso(ctx.now)
            ),
        ));
    }
    let (value, token_cost, model) = match &t.tokens {
        Some(ti) => {
            let price = ai::find(&ti.model).ok_or_else(|| {
                ApiError::not_found(
                    "model_not_found",
                    format!(
                        "Model `{}` is not in the AI model catalog (use e.g. gpt-4o or anthropic/claude-sonnet-4)",
                        ti.model
                    ),
                )
                .param("model")
            })?;
            let usd = ai::cost(price, ti.tokens, grant.margin);
            let cost = entitlements::to_sub_currency(conn, &ctx, usd)?;
            let total = ti.tokens.input.saturating_add(ti.tokens.output);
            (total, Some(cost), Some((ti.model.as_str(), ti.tokens)))
        }
        None => (t.value.unwrap_or(1), None, None),
    };
    let consumption = decide::apply(conn, &ctx, &grant, value, token_cost)?;
    let event = usage::insert_event(
        conn,
        usage::NewUsageEvent {
            org_id,
            customer_id: &ctx.customer.id,
            subscription_id: &ctx.sub.id,
            feature_code: &feature.code,
            value,
            event_id: t.event_id.as_deref(),
            ts,
            properties: &t.properties,
            model: model.map(|(m, tk)| {
                (
                    m,
                    usage::TokenCounts {
                        input: tk.input,
                        output: tk.output,
                        cache_read: tk.cache_read,
                        cache_write: tk.cache_write,
                    },
                )
            }),
            consumption,
            created_at: ctx.now,
        },
    )?;
    let customer_webhook_id = entitlements::webhook_customer_id(conn, org_id, &ctx.customer.id)?;
    events::emit(
        conn,
        org_id,
        "usage.recorded",
        json!({
            "subscriptionId": ctx.sub.id,
            "customerId": customer_webhook_id,
            "usageEventId": event["id"],
            "featureCode": feature.code,
            "value": value,
            "ts": event["ts"],
        }),
    )?;
    if ctx.model() == Model::Metered && ts >= ctx.sub.period_start && ts < ctx.sub.period_end {
        let after = usage::period_usage(
            conn,
            org_id,
            &ctx.sub.id,
            &feature.code,
            ctx.sub.period_start,
            ctx.sub.period_end,
        )?;
        decide::metered_alerts(conn, &ctx, &grant, after)?;
    }
    Ok(event)
}

async fn check(State(app): State<App>, w: Write) -> ApiResult {
    w.run(&app, |tx, org, body| {
        let mut i = Input::new(body)?;
        let customer_ref = customer_ref(&mut i);
        let feature_code = feature_ref(&mut i);
        let quantity = i.opt_int_in("quantity", 0, i64::MAX).unwrap_or(1);
        i.finish()?;
        let ctx = entitlements::context(tx, &org.org_id, &customer_ref, "customerId")?;
        let feature = features::require(tx, &org.org_id, &feature_code, "featureCode")?;
        require_usage_feature(&feature)?;
        decide::check(tx, &ctx, &feature, quantity)
    })
    .await
}

async fn set(State(app): State<App>, w: Write) -> ApiResult {
    w.run(&app, |tx, org, body| {
        let mut i = Input::new(body)?;
        let customer_ref = customer_ref(&mut i);
        let feature_code = feature_ref(&mut i);
        let value = i.req_int_in("value", 0, i64::MAX);
        let reason = i.opt_str("reason");
        i.finish()?;
        let ctx: Ctx = entitlements::context(tx, &org.org_id, &customer_ref, "customerId")?;
        let feature = features::require(tx, &org.org_id, &feature_code, "featureCode")?;
        require_usage_feature(&feature)?;
        ctx.require_access()?;
        entitlements::require_grant(tx, &ctx, &feature)?;
        let previous = usage::period_usage(
            tx,
            &org.org_id,
            &ctx.sub.id,
            &feature.code,
            ctx.sub.period_start,
            ctx.sub.period_end,
        )?;
        // Inside the current period even when the clock stands at its end.
        let last = ctx.sub.period_end - Duration::milliseconds(1);
        let at = if last < ctx.sub.period_start {
            ctx.now
        } else {
            ctx.now.clamp(ctx.sub.period_start, last)
        };
        usage::insert_adjustment(
            tx,
            usage::NewAdjustment {
                org_id: &org.org_id,
                customer_id: &ctx.customer.id,
                subscription_id: &ctx.sub.id,
                feature_code: &feature.code,
                value,
                previous_value: previous,
                reason: reason.as_deref(),
                ts: at,
            },
        )
    })
    .await
}
