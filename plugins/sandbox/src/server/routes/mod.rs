//! Route groups, one module per resource. Each module exposes
//! `routes() -> Router<App>` with paths relative to its API family.

pub mod addons;
pub mod api_keys;
pub mod checkout;
pub mod cli;
pub mod credit_packs;
pub mod customers;
pub mod device;
pub mod events;
pub mod feature_access;
pub mod features;
pub mod invoices;
pub mod listen;
pub mod markets;
pub mod offers;
pub mod pages;
pub mod payments;
pub mod payouts;
pub mod plan_groups;
pub mod plans;
pub mod portal;
pub mod promo_codes;
pub mod quota;
pub mod seats;
pub mod subscriptions;
pub mod test_clock;
pub mod transactions;
pub mod unimplemented;
pub mod usage;
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
        .merge(events::routes())
        .merge(portal::routes())
        .merge(payouts::routes())
        .merge(usage::routes())
        .merge(quota::routes())
        .merge(seats::routes())
        .merge(feature_access::routes())
        .merge(subscriptions::routes())
        .merge(invoices::routes())
        .merge(transactions::routes())
        .merge(payments::routes())
        .merge(test_clock::routes())
        .merge(checkout::routes())
        .merge(unimplemented::routes())
}
