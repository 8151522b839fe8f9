//! Route groups, one module per resource. Each module exposes
//! `routes() -> Router<App>` with paths relative to its API family.

pub mod addons;
pub mod api_keys;
pub mod cli;
pub mod credit_packs;
pub mod customers;
pub mod device;
pub mod features;
pub mod markets;
pub mod offers;
pub mod pages;
pub mod payouts;
pub mod plan_groups;
pub mod plans;
pub mod portal;
pub mod promo_codes;
pub mod unimplemented;
pub mod webhooks;

use axum::Router;

use super::app::App;

/// Everything under `/api/v1`. Register a new resource group here.
pub fn v1() -> Router<App> {
    Router::new()
        .merge(customers::routes())
        .merge(features::routes())
        .merge(plans::routes())
        .merge(plan_groups::routes())
        .merge(addons::routes())
        .merge(credit_packs::routes())
        .merge(offers::routes())
        .merge(promo_codes::routes())
        .merge(markets::routes())
        .merge(api_keys::routes())
        .merge(webhooks::routes())
        .merge(portal::routes())
        .merge(payouts::routes())
        .merge(unimplemented::routes())
}
