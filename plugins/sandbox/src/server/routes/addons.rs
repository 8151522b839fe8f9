//! `/addons` and `GET /active-addons`.

use axum::extract::{Path, State};
use axum::routing::get;
use axum::Router;
use serde_json::json;

use crate::server::app::App;
use crate::server::http::extract::{ok, ApiResult, OrgCtx, Params, Write};
use crate::server::input::Input;
use crate::server::store::addons::{self, AddonPatch, NewAddon, ADDON_MODELS};
use crate::server::store::{customers, features};

pub fn routes() -> Router<App> {
    Router::new()
        .route("/addons", get(list).post(create))
        .route("/addons/{id}", get(get_one).patch(update).delete(delete))
        .route("/active-addons", get(list_active))
}

async fn create(State(app): State<App>, w: Write) -> ApiResult {
    w.run(&app, |tx, org, body| {
        let mut i = Input::new(body)?;
        let name = i.req_str("name");
        let description = i.opt_str("description");
        let base_price = i.req_int_in("basePrice", 0, i64::MAX);
        let feature_ref = i.req_str("featureId");
        let model = i.req_enum("consumptionModel", ADDON_MODELS);
        let included_units = i.opt_int_in("includedUnits", 0, i64::MAX);
        let overage_rate = i.opt_int_in("overageRate", 0, i64::MAX);
        let credit_cost = i.opt_num("creditCost");
        match model.as_str() {
            "metered" => {
                if included_units.is_none() {
                    i.problem("includedUnits", "is required for metered add-ons");
                }
                if overage_rate.is_none() {
                    i.problem("overageRate", "is required for metered add-ons");
                }
            }
            "credits" if credit_cost.is_none() => {
                i.problem("creditCost", "is required for credits add-ons")
            }
            "balance" if overage_rate.is_none() => {
                i.problem("overageRate", "is required for balance add-ons")
            }
            _ => {}
        }
        if credit_cost.is_some_and(|c| c < 0.0) {
            i.problem("creditCost", "must be at least 0");
        }
        i.finish()?;
        let feature = features::require(tx, &org.org_id, &feature_ref, "featureId")?;
        let new = NewAddon {
            name,
            description,
            base_price,
            consumption_model: model,
            included_units,
            overage_rate,
            credit_cost,
        };
        addons::insert(tx, &org.org_id, &feature, new)
    })
    .await
}

async fn get_one(State(app): State<App>, org: OrgCtx, Path(id): Path<String>) -> ApiResult {
    Ok(ok(app
        .read(move |c| addons::require(c, &org.org_id, &id))
        .await?))
}

async fn update(State(app): State<App>, Path(id): Path<String>, w: Write) -> ApiResult {
    w.run(&app, move |tx, org, body| {
        let mut i = Input::new(body)?;
        let patch = AddonPatch {
            name: i.opt_str("name"),
            description: i.patch_str("description"),
            base_price: i.opt_int_in("basePrice", 0, i64::MAX),
            included_units: i.patch_int("includedUnits"),
            overage_rate: i.patch_int("overageRate"),
        };
        i.finish()?;
        addons::update(tx, &org.org_id, &id, patch)
    })
    .await
}

async fn delete(State(app): State<App>, Path(id): Path<String>, w: Write) -> ApiResult {
    w.run(&app, move |tx, org, _| addons::delete(tx, &org.org_id, &id))
        .await
}

async fn list(State(app): State<App>, org: OrgCtx, Params(mut q): Params) -> ApiResult {
    let page = q.page();
    q.finish()?;
    let page = app
        .read(move |c| addons::list(c, &org.org_id, page))
        .await?;
    Ok(ok(page.to_json()))
}

/// Add-ons active on the customer's live subscription (one page: a
/// subscription holds few add-ons).
async fn list_active(State(app): State<App>, org: OrgCtx, Params(mut q): Params) -> ApiResult {
    let customer = q.req_str("customerId");
    q.page();
    q.finish()?;
    let data = app
        .read(move |c| {
            let customer = customers::require(c, &org.org_id, &customer, "customerId")?;
            crate::server::store::subscriptions::active_addons_json(c, &org.org_id, &customer.id)
        })
        .await?;
    Ok(ok(
        json!({ "object": "list", "data": data, "hasMore": false }),
    ))
}
