//! `/customers`: create (idempotent on your own id), get, update, list,
//! batch create, and invoice credits.

use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Map, Value};

use crate::server::app::App;
use crate::server::error::ApiError;
use crate::server::events;
use crate::server::http::extract::{ok, ApiResult, OrgCtx, Params, Write};
use crate::server::input::{self, Input, Patch, TIMEZONES};
use crate::server::store::customers::{self, CustomerPatch, ListFilter, NewCustomer};

pub const MAX_BATCH: usize = 100;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/customers", get(list).post(create))
        .route("/customers/batch", post(create_batch))
        .route("/customers/{id}", get(get_one).patch(update))
        .route(
            "/customers/{id}/credits",
            get(list_credits).post(create_credit),
        )
        .route(
            "/customers/{id}/credits/{credit_id}/revoke",
            post(revoke_credit),
        )
}

fn valid_email(email: &str) -> bool {
    match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !email.contains(' ')
        }
        None => false,
    }
}

fn email(i: &mut Input<'_>, required: bool) -> Option<String> {
    let value = if required {
        Some(i.req_str("email"))
    } else {
        i.opt_str("email")
    }?;
    if value.is_empty() {
        return None;
    }
    if valid_email(&value) {
        Some(value)
    } else {
        i.problem("email", "is not a valid email address");
        None
    }
}

/// `{line1, line2?, city, state?, postalCode, country, region?}`.
fn address(obj: &Map<String, Value>, prefix: &str, parent: &mut Input<'_>) -> Value {
    let mut a = Input::nested(obj, prefix);
    let mut out = Map::new();
    for key in ["line1", "city", "postalCode", "country"] {
        out.insert(key.into(), Value::String(a.req_str(key)));
    }
    for key in ["line2", "state", "region"] {
        if let Some(v) = a.opt_str(key) {
            out.insert(key.into(), Value::String(v));
        }
    }
    parent.absorb(a);
    Value::Object(out)
}

/// Reads a new customer; `id` is your own id (kept as the external id).
fn parse_new(i: &mut Input<'_>) -> (Option<String>, NewCustomer) {
    let own_id = i.opt_str("id");
    let external_id = i.opt_str("externalId");
    if let (Some(own), Some(ext)) = (&own_id, &external_id) {
        if own != ext && !own.starts_with("cus_") {
            i.problem("id", "your own id is stored as the external id; send only one of id and externalId, or the same value");
        }
    }
    let email = email(i, true).unwrap_or_default();
    let full_name = i.opt_str("fullName");
    let tax_document = i.opt_str("taxDocument");
    let timezone = i.opt_enum("timezone", TIMEZONES);
    let metadata = i.opt_object("metadata").map(|m| Value::Object(m.clone()));
    let address = i.opt_object("address").map(|m| address(m, "address", i));
    let address_id = i.opt_str("addressId");
    let new = NewCustomer {
        external_id,
        email,
        full_name,
        tax_document,
        timezone,
        metadata,
        address,
        address_id,
    };
    (own_id, new)
}

/// Creates a customer, or returns the existing one for a known own id.
fn create_in(
    tx: &rusqlite::Connection,
    org: &str,
    own_id: Option<String>,
    mut new: NewCustomer,
) -> Result<Value, ApiError> {
    if let Some(own) = own_id {
        if let Some(existing) = customers::find(tx, org, &own)? {
            return Ok(existing.to_json());
        }
        if new.external_id.is_none() {
            new.external_id = Some(own);
        }
    }
    let created = customers::insert(tx, org, new)?.to_json();
    events::emit(tx, org, "customer.created", events::customer_data(&created))?;
    Ok(created)
}

async fn create(State(app): State<App>, w: Write) -> ApiResult {
    w.run(&app, |tx, org, body| {
        let mut i = Input::new(body)?;
        let (own_id, new) = parse_new(&mut i);
        i.finish()?;
        create_in(tx, &org.org_id, own_id, new)
    })
    .await
}

async fn create_batch(State(app): State<App>, w: Write) -> ApiResult {
    w.run(&app, |tx, org, body| {
        let mut i = Input::new(body)?;
        let items = i.req_array("customers").cloned().unwrap_or_default();
        if i.ok() && (items.is_empty() || items.len() > MAX_BATCH) {
            i.problem(
                "customers",
                format!("must hold 1 to {MAX_BATCH} customers (got {}); split larger imports into several batches", items.len()),
            );
        }
        i.finish()?;
        let mut successful = Vec::new();
        let mut failed = Vec::new();
        for (index, item) in items.iter().enumerate() {
            let Some(obj) = item.as_object() else {
                failed.push(json!({ "index": index, "error": "each customer must be a JSON object", "data": item }));
                continue;
            };
            let mut c = Input::nested(obj, "");
            let (own_id, new) = parse_new(&mut c);
            let problems = c.into_problems();
            if !problems.is_empty() {
                let error = problems
                    .iter()
                    .map(|(f, m)| format!("{f}: {m}"))
                    .collect::<Vec<_>>()
                    .join("; ");
                failed.push(json!({ "index": index, "error": error, "data": item }));
                continue;
            }
            match create_in(tx, &org.org_id, own_id, new) {
                Ok(c) => successful.push(json!({ "id": c["id"], "externalId": c["externalId"], "email": c["email"] })),
                Err(e) if e.status.is_client_error() => {
                    failed.push(json!({ "index": index, "error": e.message, "data": item }))
                }
                Err(e) => return Err(e),
            }
        }
        Ok(json!({
            "successful": successful,
            "failed": failed,
            "object": "customer_batch",
            "livemode": false,
        }))
    })
    .await
}

async fn get_one(State(app): State<App>, org: OrgCtx, Path(id): Path<String>) -> ApiResult {
    let c = app
        .read(move |c| customers::require(c, &org.org_id, &id, "id"))
        .await?;
    Ok(ok(c.to_json()))
}

async fn update(State(app): State<App>, Path(id): Path<String>, w: Write) -> ApiResult {
    w.run(&app, move |tx, org, body| {
        let mut i = Input::new(body)?;
        let patch = CustomerPatch {
            email: email(&mut i, false),
            full_name: i.patch_str("fullName"),
            tax_document: i.patch_str("taxDocument"),
            external_id: i.patch_str("externalId"),
            timezone: i.patch_enum("timezone", TIMEZONES),
            metadata: i.patch_object("metadata"),
            address: match i.patch_object("address") {
                Patch::Set(Value::Object(m)) => Patch::Set(address(&m, "address", &mut i)),
                other => other,
            },
        };
        i.finish()?;
        let updated = customers::update(tx, &org.org_id, &id, patch)?.to_json();
        events::emit(
            tx,
            &org.org_id,
            "customer.updated",
            events::customer_data(&updated),
        )?;
        Ok(updated)
    })
    .await
}

async fn list(State(app): State<App>, org: OrgCtx, Params(mut q): Params) -> ApiResult {
    let page = q.page();
    let search = q.str("search");
    let external_id = q.str("externalId");
    let start = q.instant("startDate");
    // A bare end date includes that whole day.
    let end_raw = q.str("endDate");
    let end = q.instant("endDate").map(|end| match end_raw.as_deref() {
        Some(raw) if raw.len() == 10 => crate::server::ids::parse_instant(raw)
            .map(|t| crate::server::ids::iso(t + chrono::Duration::days(1)))
            .unwrap_or(end),
        _ => end,
    });
    q.finish()?;
    let filter = ListFilter {
        search,
        external_id,
        start,
        end,
    };
    let page = app
        .read(move |c| customers::list(c, &org.org_id, filter, page))
        .await?;
    Ok(ok(page.to_json()))
}

async fn create_credit(State(app): State<App>, Path(id): Path<String>, w: Write) -> ApiResult {
    w.run(&app, move |tx, org, body| {
        let mut i = Input::new(body)?;
        let amount = i.req_int_in("amount", 1, i64::MAX);
        let currency = input::currency(&mut i, "currency", true);
        let reason = i.req_str("reason");
        let expires_at = i.opt_instant("expiresAt");
        i.finish()?;
        let customer = customers::require(tx, &org.org_id, &id, "id")?;
        customers::create_credit(
            tx,
            &org.org_id,
            &customer.id,
            amount,
            &currency.unwrap_or_default(),
            &reason,
            expires_at,
        )
    })
    .await
}

async fn list_credits(
    State(app): State<App>,
    org: OrgCtx,
    Path(id): Path<String>,
    Params(mut q): Params,
) -> ApiResult {
    let page = q.page();
    q.finish()?;
    let page = app
        .read(move |c| {
            let customer = customers::require(c, &org.org_id, &id, "id")?;
            customers::list_credits(c, &customer.id, page)
        })
        .await?;
    Ok(ok(page.to_json()))
}

async fn revoke_credit(
    State(app): State<App>,
    Path((id, credit_id)): Path<(String, String)>,
    w: Write,
) -> ApiResult {
    w.run(&app, move |tx, org, _body| {
        let customer = customers::require(tx, &org.org_id, &id, "id")?;
        customers::revoke_credit(tx, &customer.id, &credit_id)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::valid_email;

    #[test]
    fn email_check() {
        assert!(valid_email("a@b.co"));
        assert!(!valid_email("a@b"));
        assert!(!valid_email("ab.co"));
        assert!(!valid_email("a b@c.co"));
    }
}
