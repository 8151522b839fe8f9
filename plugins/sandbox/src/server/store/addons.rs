//! Add-ons: purchasable extensions backed by one feature each.

use rusqlite::{params, Connection, OptionalExtension};
use serde_json::{json, Value};

use super::page::{self, Filter, Order, Page, PageParams};
use super::{features::Feature, opt_number};
use crate::server::error::ApiError;
use crate::server::ids;
use crate::server::input::Patch;

pub const ADDON_MODELS: &[&str] = &["boolean", "metered", "credits", "balance"];

#[derive(Debug, Clone, PartialEq)]
pub struct NewAddon {
    pub name: String,
    pub description: Option<String>,
    pub base_price: i64,
    pub consumption_model: String,
    pub included_units: Option<i64>,
    pub overage_rate: Option<i64>,
    pub credit_cost: Option<f64>,
}

/// Changes to an add-on.
#[derive(Debug, Clone)]
pub struct AddonPatch {
    pub name: Option<String>,
    pub description: Patch<String>,
    pub base_price: Option<i64>,
    pub included_units: Patch<i64>,
    pub overage_rate: Patch<i64>,
}

const COLS: &str = "a.seq, a.id, a.name, a.slug, a.description, a.base_price, f.code, f.name, a.created_at, a.updated_at, \
    a.consumption_model, a.included_units, a.overage_rate, a.credit_cost";
const FROM: &str = "addons a JOIN features f ON f.id = a.feature_id";

fn row_json(r: &rusqlite::Row<'_>) -> rusqlite::Result<Value> {
    Ok(json!({
        "id": r.get::<_, String>(1)?,
        "name": r.get::<_, String>(2)?,
        "slug": r.get::<_, String>(3)?,
        "description": r.get::<_, Option<String>>(4)?,
        "basePrice": r.get::<_, i64>(5)?,
        "featureCode": r.get::<_, String>(6)?,
        "featureName": r.get::<_, String>(7)?,
        "createdAt": r.get::<_, String>(8)?,
        "updatedAt": r.get::<_, String>(9)?,
        "consumptionModel": r.get::<_, String>(10)?,
        "includedUnits": r.get::<_, Option<i64>>(11)?,
        "overageRate": r.get::<_, Option<i64>>(12)?,
        "creditCost": opt_number(r.get::<_, Option<f64>>(13)?),
        "object": "addon",
        "livemode": false,
    }))
}

/// By `adn_` id or slug.
pub fn get(conn: &Connection, org_id: &str, id_or_slug: &str) -> Result<Option<Value>, ApiError> {
    let sql = format!(
        "SELECT {COLS} FROM {FROM} WHERE a.org_id = ?1 AND (a.id = ?2 OR a.slug = ?2) AND a.deleted_at IS NULL"
    );
    Ok(conn
        .query_row(&sql, params![org_id, id_or_slug], row_json)
        .optional()?)
}

pub fn require(conn: &Connection, org_id: &str, id_or_slug: &str) -> Result<Value, ApiError> {
    get(conn, org_id, id_or_slug)?.ok_or_else(|| {
        ApiError::not_found(
            "addon_not_found",
            format!("No add-on with id or slug `{id_or_slug}`"),
        )
        .param("id")
    })
}

/// `Extra Storage!` → `extra-storage`.
pub fn slugify(name: &str) -> String {
    let mut slug = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    let slug = slug.trim_end_matches('-').to_owned();
    if slug.is_empty() {
        "addon".to_owned()
    } else {
        slug
    }
}

pub fn insert(
    conn: &Connection,
    org_id: &str,
    feature: &Feature,
    new: NewAddon,
) -> Result<Value, ApiError> {
    if super::exists(
        conn,
        "SELECT 1 FROM addons WHERE feature_id = ?1 AND deleted_at IS NULL",
        [&feature.id],
    )? {
        return Err(ApiError::conflict(
            "duplicate",
            format!(
                "Feature `{}` already backs another add-on; each feature can back only one",
                feature.code
            ),
        )
        .param("featureId"));
    }
    let base = slugify(&new.name);
    let mut slug = base.clone();
    let mut n = 2;
    while super::exists(
        conn,
        "SELECT 1 FROM addons WHERE org_id = ?1 AND slug = ?2 AND deleted_at IS NULL",
        params![org_id, slug],
    )? {
        slug = format!("{base}-{n}");
        n += 1;
    }
    let id = ids::new_id("adn_");
    let now = ids::now();
    conn.execute(
        "INSERT INTO addons (id, org_id, name, slug, description, base_price, feature_id, consumption_model, included_units,
           overage_rate, credit_cost, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12)",
        params![
            id,
            org_id,
            new.name,
            slug,
            new.description,
            new.base_price,
            feature.id,
            new.consumption_model,
            new.included_units,
            new.overage_rate,
            new.credit_cost,
            now
        ],
    )?;
    require(conn, org_id, &id)
}

pub fn update(
    conn: &Connection,
    org_id: &str,
    id_or_slug: &str,
    patch: AddonPatch,
) -> Result<Value, ApiError> {
    let current = require(conn, org_id, id_or_slug)?;
    let id = current["id"].as_str().unwrap_or_default().to_owned();
    let description = patch.description.apply_json(&current["description"]);
    let included = patch.included_units.apply_json(&current["includedUnits"]);
    let overage = patch.overage_rate.apply_json(&current["overageRate"]);
    let model = current["consumptionModel"].as_str().unwrap_or_default();
    if model == "metered" && (included.is_none() || overage.is_none()) {
        return Err(ApiError::invalid(
            "includedUnits",
            "metered add-ons need both includedUnits and overageRate",
        ));
    }
    if model == "balance" && overage.is_none() {
        return Err(ApiError::invalid(
            "overageRate",
            "balance add-ons need overageRate",
        ));
    }
    conn.execute(
        "UPDATE addons SET name = COALESCE(?1, name), description = ?2, base_price = COALESCE(?3, base_price),
           included_units = ?4, overage_rate = ?5, updated_at = ?6 WHERE id = ?7",
        params![patch.name, description, patch.base_price, included, overage, ids::now(), id],
    )?;
    require(conn, org_id, &id)
}

/// Soft delete.
pub fn delete(conn: &Connection, org_id: &str, id_or_slug: &str) -> Result<Value, ApiError> {
    let current = require(conn, org_id, id_or_slug)?;
    let id = current["id"].as_str().unwrap_or_default();
    if super::exists(
        conn,
        "SELECT 1 FROM subscription_addons WHERE addon_id = ?1 AND status = 'active'",
        [id],
    )? {
        return Err(ApiError::conflict(
            "addon_has_activations",
            "This add-on is active on subscriptions; deactivate it there before deleting it",
        ));
    }
    conn.execute(
        "UPDATE addons SET deleted_at = ?1, updated_at = ?1 WHERE id = ?2",
        params![ids::now(), id],
    )?;
    Ok(json!({ "id": id, "deleted": true, "object": "addon", "livemode": false }))
}

pub fn list(conn: &Connection, org_id: &str, page: PageParams) -> Result<Page<Value>, ApiError> {
    let f = Filter::default()
        .and("a.org_id = ?", [org_id.to_owned().into()])
        .and("a.deleted_at IS NULL", []);
    page::list_from(
        conn,
        FROM,
        "a.seq",
        COLS,
        f,
        page,
        Order::OldestFirst,
        row_json,
    )
}
