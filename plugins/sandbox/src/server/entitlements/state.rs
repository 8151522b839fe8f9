//! `customer.state_changed`: the customer's whole entitlement state after a
//! change, with the change's `trigger`.
//!
//! Any engine may call [`emit_state_changed`] inside its write transaction
//! (usage and seats use the triggers `seats_updated`, `quota_exceeded`,
//! `credits_depleted` and `balance_depleted`).

use rusqlite::{params, Connection, OptionalExtension};
use serde_json::{json, Value};

use super::{access, context_for, Model};
use crate::server::error::ApiError;
use crate::server::events;
use crate::server::store::{customers, pools};

/// The `customer.state_changed` data for a customer (`cus_` id).
pub fn customer_state(
    conn: &Connection,
    org_id: &str,
    customer_id: &str,
    trigger: &str,
) -> Result<Value, ApiError> {
    let webhook_id = super::webhook_customer_id(conn, org_id, customer_id)?;
    let none = json!({
        "customerId": webhook_id,
        "trigger": trigger,
        "status": "none",
        "subscriptionId": null,
        "plan": null,
        "billingInterval": null,
        "consumptionModel": null,
        "features": [],
        "seats": [],
        "credits": null,
        "balance": null,
    });
    let Some(customer) = customers::find(conn, org_id, customer_id)? else {
        return Ok(none);
    };
    let ctx = match context_for(conn, org_id, customer) {
        Ok(ctx) => ctx,
        Err(e) if e.code == "no_active_subscription" => return Ok(none),
        Err(e) => return Err(e),
    };
    let plan: Option<(String, String)> = conn
        .query_row(
            "SELECT id, name FROM plans WHERE id = ?1",
            params![ctx.sub.plan_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let features: Vec<Value> = access::list(conn, &ctx)?
        .into_iter()
        .map(|mut f| {
            if let Some(obj) = f.as_object_mut() {
                obj.remove("object");
                obj.remove("livemode");
                obj.remove("baseAccess");
            }
            f
        })
        .collect();
    let pool = pools::get(conn, org_id, &ctx.sub.id)?;
    let credits = match (ctx.model(), &pool) {
        (Model::Credits, Some(p)) => json!({
            "planCredits": p.plan_credits,
            "purchasedCredits": p.purchased_credits,
            "totalCredits": p.total_credits(),
        }),
        (Model::Credits, None) => {
            json!({ "planCredits": 0, "purchasedCredits": 0, "totalCredits": 0 })
        }
        _ => Value::Null,
    };
    let balance = match ctx.model() {
        Model::Balance => json!({ "currentBalance": pool.as_ref().map_or(0, |p| p.balance) }),
        _ => Value::Null,
    };
    Ok(json!({
        "customerId": webhook_id,
        "trigger": trigger,
        "status": ctx.sub.status,
        "subscriptionId": ctx.sub.id,
        "plan": plan.map(|(id, name)| json!({ "id": id, "name": name })),
        "billingInterval": ctx.sub.billing_interval,
        "consumptionModel": ctx.sub.consumption_model,
        "features": features,
        "seats": access::seat_summaries(conn, &ctx)?,
        "credits": credits,
        "balance": balance,
    }))
}

/// Emits `customer.state_changed` for a customer (`cus_` id).
pub fn emit_state_changed(
    conn: &Connection,
    org_id: &str,
    customer_id: &str,
    trigger: &str,
) -> Result<(), ApiError> {
    let data = customer_state(conn, org_id, customer_id, trigger)?;
    events::emit(conn, org_id, "customer.state_changed", data)?;
    Ok(())
}
