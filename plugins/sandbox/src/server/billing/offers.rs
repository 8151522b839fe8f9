//! Offer applications: which offer a subscription runs under, its trial,
//! and the base-price discount of each paid cycle.
//!
//! An application is stored on the subscription as the
//! `SubscriptionOfferApplication` object plus two private keys
//! (`_phases`: the offer's phases with currency maps, `_promoCodeId`).
//! Paid cycles are counted on the subscription (`offer_cycle`), starting at
//! 0 with the first charged period; a `free_trial` phase is the trial and is
//! not a cycle.

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::mul_div_round;
use crate::server::error::ApiError;
use crate::server::ids;
use crate::server::store::invoices::Line;

fn not_applicable(message: impl Into<String>) -> ApiError {
    ApiError::validation_code("offer_not_applicable", message).param("offerId")
}

/// The amount of a `[{currency, amount}]` list in `currency`.
fn amount_in(list: &Value, currency: &str) -> Option<i64> {
    list.as_array()?
        .iter()
        .find(|a| a["currency"].as_str() == Some(currency))
        .and_then(|a| a["amount"].as_i64())
}

/// Checks an offer (an `Offer` object) can be used now in `currency`.
pub fn check_usable(offer: &Value, currency: &str, at: DateTime<Utc>) -> Result<(), ApiError> {
    let name = offer["name"].as_str().unwrap_or("the offer");
    if offer["active"] != true {
        return Err(not_applicable(format!("Offer `{name}` is not active")));
    }
    let starts = offer["startsAt"].as_str().and_then(ids::parse_instant);
    let ends = offer["endsAt"].as_str().and_then(ids::parse_instant);
    if starts.is_some_and(|s| at < s) || ends.is_some_and(|e| at >= e) {
        return Err(not_applicable(format!(
            "Offer `{name}` is outside its availability window"
        )));
    }
    for phase in offer["phases"].as_array().into_iter().flatten() {
        let list = match phase["type"].as_str() {
            Some("amount_off") => &phase["amounts"],
            Some("fixed_price") => &phase["prices"],
            _ => continue,
        };
        if amount_in(list, currency).is_none() {
            return Err(not_applicable(format!(
                "Offer `{name}` has no {} amount for its {} phase",
                currency.to_uppercase(),
                phase["type"].as_str().unwrap_or("")
            )));
        }
    }
    Ok(())
}

/// Whether the offer starts with a free trial.
pub fn starts_with_trial(offer: &Value) -> bool {
    offer["phases"][0]["type"] == "free_trial"
}

fn public_phase(phase: &Value, currency: &str) -> Value {
    let kind = phase["type"].as_str().unwrap_or("");
    let mut p = json!({
        "type": kind,
        "durationInterval": phase.get("durationInterval").cloned().unwrap_or(Value::Null),
        "startsAt": null,
        "endsAt": null,
    });
    match kind {
        "free_trial" => p["durationDays"] = phase["durationDays"].clone(),
        "percentage" => {
            p["durationCycles"] = phase["durationCycles"].clone();
            p["percentage"] = phase["percentage"].clone();
        }
        "amount_off" => {
            p["durationCycles"] = phase["durationCycles"].clone();
            p["amount"] = amount_in(&phase["amounts"], currency).into();
        }
        "fixed_price" => {
            p["durationCycles"] = phase["durationCycles"].clone();
            p["price"] = amount_in(&phase["prices"], currency).into();
        }
        _ => {}
    }
    p
}

/// A new application of `offer` to a plan price.
pub fn application(
    offer: &Value,
    source: &str,
    price_id: &str,
    base: i64,
    currency: &str,
    promo_code_id: Option<&str>,
    at: DateTime<Utc>,
) -> Value {
    let phases = offer["phases"].clone();
    let mut app = json!({
        "id": ids::new_id("ofa_"),
        "name": offer["name"],
        "appliesTo": { "type": "plan_price", "id": price_id },
        "offerId": offer["id"],
        "source": source,
        "status": "quoted",
        "currency": currency,
        "subtotal": base,
        "discountAmount": 0,
        "total": base,
        "phases": phases.as_array().into_iter().flatten().map(|p| public_phase(p, currency)).collect::<Vec<_>>(),
        "quotedAt": ids::iso(at),
        "expiresAt": null,
        "appliedAt": null,
        "_phases": phases,
        "_promoCodeId": promo_code_id,
    });
    let d = discount(&app, 0, base, currency);
    app["discountAmount"] = d.into();
    app["total"] = (base - d).into();
    app
}

/// A `custom` application holding only a free trial of `days`.
pub fn custom_trial(
    price_id: &str,
    base: i64,
    currency: &str,
    days: i64,
    at: DateTime<Utc>,
) -> Value {
    let offer = json!({
        "id": null,
        "name": format!("{days}-day trial"),
        "phases": [{ "type": "free_trial", "durationDays": days, "durationInterval": null }],
    });
    application(&offer, "custom", price_id, base, currency, None, at)
}

/// The trial days an application grants.
pub fn trial_days(app: &Value) -> Option<i64> {
    let first = &app["_phases"][0];
    (first["type"] == "free_trial")
        .then(|| first["durationDays"].as_i64())
        .flatten()
}

/// The discount phase running in paid cycle `cycle` (0-based).
fn phase_for(app: &Value, cycle: i64) -> Option<&Value> {
    let mut start = 0;
    for phase in app["_phases"].as_array()? {
        if phase["type"] == "free_trial" {
            continue;
        }
        match phase["durationCycles"].as_i64() {
            None => return Some(phase),
            Some(n) if cycle < start + n => return Some(phase),
            Some(n) => start += n,
        }
    }
    None
}

/// The base-price discount of paid cycle `cycle`.
pub fn discount(app: &Value, cycle: i64, base: i64, currency: &str) -> i64 {
    let Some(phase) = phase_for(app, cycle) else {
        return 0;
    };
    let d = match phase["type"].as_str() {
        Some("percentage") => {
            mul_div_round(base, phase["percentage"].as_i64().unwrap_or(0), 10_000)
        }
        Some("amount_off") => amount_in(&phase["amounts"], currency).unwrap_or(0),
        Some("fixed_price") => amount_in(&phase["prices"], currency).map_or(0, |p| base - p),
        _ => 0,
    };
    d.clamp(0, base.max(0))
}

/// The discount line of cycle `cycle`, if there is a discount.
pub fn discount_line(app: &Value, cycle: i64, base: i64, currency: &str) -> Option<Line> {
    let d = discount(app, cycle, base, currency);
    if d == 0 {
        return None;
    }
    let phase = phase_for(app, cycle)?;
    let kind = phase["type"].as_str().unwrap_or("").to_owned();
    let name = app["name"].as_str().unwrap_or("Offer").to_owned();
    let line_type = if app["source"] == "promo_code" {
        "promo_code_discount"
    } else {
        "discount"
    };
    let mut line = Line::new(
        line_type,
        format!("{name} ({})", kind.replace('_', " ")),
        1,
        -d,
        -d,
        "standard",
    );
    line.discount_value = match kind.as_str() {
        "percentage" => phase["percentage"].as_i64(),
        _ => Some(d),
    };
    line.discount_type = Some(kind);
    line.discount_name = Some(name);
    Some(line)
}

/// The public form (private keys dropped).
pub fn public(app: &Value) -> Value {
    let mut v = app.clone();
    if let Some(obj) = v.as_object_mut() {
        obj.remove("_phases");
        obj.remove("_promoCodeId");
    }
    v
}

/// The `offerApplication` of plan-change style answers.
pub fn short(app: &Value) -> Value {
    json!({
        "id": app["id"],
        "offerId": app["offerId"],
        "name": app["name"],
        "currency": app["currency"],
        "subtotal": app["subtotal"],
        "discountAmount": app["discountAmount"],
        "total": app["total"],
        "phases": app["phases"],
        "appliesTo": app["appliesTo"],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offer(phases: Value) -> Value {
        json!({"id": "ofr_1", "name": "Launch", "active": true, "phases": phases})
    }

    #[test]
    fn phases_by_cycle() {
        let o = offer(json!([
            {"type": "free_trial", "durationDays": 14},
            {"type": "percentage", "percentage": 5000, "durationCycles": 2},
            {"type": "amount_off", "amounts": [{"currency": "usd", "amount": 500}], "durationCycles": null}
        ]));
        let app = application(&o, "direct", "pp_1", 2900, "usd", None, Utc::now());
        assert_eq!(trial_days(&app), Some(14));
        assert_eq!(discount(&app, 0, 2900, "usd"), 1450);
        assert_eq!(discount(&app, 1, 2900, "usd"), 1450);
        assert_eq!(discount(&app, 2, 2900, "usd"), 500);
        assert_eq!(discount(&app, 50, 2900, "usd"), 500);
        assert!(check_usable(&o, "eur", Utc::now()).is_err());
        assert!(check_usable(&o, "usd", Utc::now()).is_ok());
    }
}
