//! Numbered schema migrations.
//!
//! `schema_version` records every migration applied. On open, each missing
//! migration runs in its own transaction, in order, so a data dir written by
//! an older build opens with a newer one. Never edit a migration that has
//! shipped: append a new one to [`MIGRATIONS`].

use std::path::Path;

use rusqlite::Connection;

use crate::server::error::SandboxError;
use crate::server::ids;

/// `(version, SQL)`, in order.
const MIGRATIONS: &[(i64, &str)] = &[
    (1, V1_CATALOG),
    (2, super::subscriptions::V2_BILLING),
    (3, super::usage::V3_USAGE),
    (4, super::events::V4_EVENTS),
];

/// The newest schema this build knows.
pub const SCHEMA_VERSION: i64 = 4;

pub fn migrate(conn: &mut Connection, path: &Path) -> Result<(), SandboxError> {
    let db_err = |source| SandboxError::Database {
        path: path.to_path_buf(),
        source,
    };
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_version (
            version INTEGER PRIMARY KEY,
            applied_at TEXT NOT NULL
        );",
    )
    .map_err(db_err)?;
    let current: i64 = conn
        .query_row(
            "SELECT COALESCE(MAX(version), 0) FROM schema_version",
            [],
            |r| r.get(0),
        )
        .map_err(db_err)?;
    if current > SCHEMA_VERSION {
        return Err(SandboxError::SchemaTooNew {
            path: path.to_path_buf(),
            found: current,
            known: SCHEMA_VERSION,
        });
    }
    for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
        let tx = conn.transaction().map_err(db_err)?;
        tx.execute_batch(sql).map_err(db_err)?;
        tx.execute(
            "INSERT INTO schema_version (version, applied_at) VALUES (?1, ?2)",
            rusqlite::params![version, ids::now()],
        )
        .map_err(db_err)?;
        tx.commit().map_err(db_err)?;
    }
    Ok(())
}

const V1_CATALOG: &str = r#"
-- Accounts -----------------------------------------------------------------
CREATE TABLE users (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    email TEXT NOT NULL,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE organizations (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    mode TEXT NOT NULL DEFAULT 'sandbox',
    api_version TEXT,
    created_at TEXT NOT NULL
);
CREATE TABLE memberships (
    user_id TEXT NOT NULL,
    org_id TEXT NOT NULL,
    role TEXT NOT NULL DEFAULT 'owner',
    created_at TEXT NOT NULL,
    PRIMARY KEY (user_id, org_id)
);
CREATE TABLE api_keys (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    org_id TEXT NOT NULL,
    name TEXT NOT NULL,
    prefix TEXT NOT NULL,
    secret_hash TEXT NOT NULL UNIQUE,
    expires_at TEXT,
    last_used_at TEXT,
    deleted_at TEXT,
    created_at TEXT NOT NULL
);
CREATE TABLE login_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE device_codes (
    device_code_hash TEXT PRIMARY KEY,
    user_code TEXT NOT NULL UNIQUE,
    client_id TEXT,
    scope TEXT,
    status TEXT NOT NULL,
    user_id TEXT,
    interval_ms INTEGER NOT NULL,
    last_poll_at TEXT,
    expires_at TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE idempotency_keys (
    org_id TEXT NOT NULL,
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status INTEGER NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (org_id, key)
);

-- Customers ----------------------------------------------------------------
CREATE TABLE customers (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    org_id TEXT NOT NULL,
    external_id TEXT,
    email TEXT NOT NULL,
    full_name TEXT,
    tax_document TEXT,
    document_type TEXT,
    timezone TEXT,
    metadata TEXT,
    address TEXT,
    address_id TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX customers_external_id ON customers (org_id, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX customers_org ON customers (org_id, seq);
CREATE TABLE customer_credits (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    org_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    amount INTEGER NOT NULL,
    applied_amount INTEGER NOT NULL DEFAULT 0,
    reversed_amount INTEGER NOT NULL DEFAULT 0,
    revoked_amount INTEGER NOT NULL DEFAULT 0,
    currency TEXT NOT NULL,
    reason TEXT NOT NULL,
    source TEXT NOT NULL,
    expires_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX customer_credits_customer ON customer_credits (customer_id, seq);

-- Catalog ------------------------------------------------------------------
CREATE TABLE features (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    org_id TEXT NOT NULL,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    type TEXT NOT NULL,
    description TEXT,
    unit_name TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (org_id, code)
);
CREATE TABLE plan_groups (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    org_id TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT,
    is_public INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE plans (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    org_id TEXT NOT NULL,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT,
    consumption_model TEXT,
    is_public INTEGER NOT NULL DEFAULT 1,
    is_default INTEGER NOT NULL DEFAULT 0,
    is_free INTEGER NOT NULL DEFAULT 0,
    block_on_exhaustion INTEGER,
    sort_order INTEGER NOT NULL DEFAULT 0,
    plan_group_id TEXT,
    default_interval TEXT,
    metadata TEXT,
    deleted_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX plans_code ON plans (org_id, code) WHERE deleted_at IS NULL;
CREATE TABLE plan_features (
    seq INTEGER PRIMARY KEY,
    plan_id TEXT NOT NULL,
    feature_id TEXT NOT NULL,
    enabled INTEGER NOT NULL DEFAULT 1,
    included_amount INTEGER NOT NULL DEFAULT 0,
    unlimited INTEGER NOT NULL DEFAULT 0,
    overage_enabled INTEGER NOT NULL DEFAULT 0,
    overage_unit_price INTEGER NOT NULL DEFAULT 0,
    credits_per_unit REAL,
    pricing_mode TEXT NOT NULL DEFAULT 'fixed',
    margin REAL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (plan_id, feature_id)
);
CREATE INDEX plan_features_feature ON plan_features (feature_id);
CREATE TABLE plan_feature_regional (
    plan_id TEXT NOT NULL,
    feature_id TEXT NOT NULL,
    currency TEXT NOT NULL,
    overage_unit_price INTEGER NOT NULL,
    PRIMARY KEY (plan_id, feature_id, currency)
);
CREATE TABLE plan_prices (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    org_id TEXT NOT NULL,
    plan_id TEXT NOT NULL,
    billing_interval TEXT NOT NULL,
    price INTEGER NOT NULL,
    is_default INTEGER NOT NULL DEFAULT 0,
    trial_days INTEGER NOT NULL DEFAULT 0,
    included_balance INTEGER,
    included_credits INTEGER,
    offer_id TEXT,
    inherits_from_price_id TEXT,
    metadata TEXT,
    market_prices TEXT,
    intro_offer TEXT,
    archived_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX plan_prices_plan ON plan_prices (plan_id, seq);
CREATE TABLE plan_price_regional (
    price_id TEXT NOT NULL,
    currency TEXT NOT NULL,
    price INTEGER NOT NULL,
    included_balance INTEGER,
    PRIMARY KEY (price_id, currency)
);
CREATE TABLE plan_exchange_rates (
    plan_id TEXT NOT NULL,
    currency TEXT NOT NULL,
    exchange_rate REAL NOT NULL,
    PRIMARY KEY (plan_id, currency)
);
CREATE TABLE addons (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    org_id TEXT NOT NULL,
    name TEXT NOT NULL,
    slug TEXT NOT NULL,
    description TEXT,
    base_price INTEGER NOT NULL,
    feature_id TEXT NOT NULL,
    consumption_model TEXT NOT NULL,
    included_units INTEGER,
    overage_rate INTEGER,
    credit_cost REAL,
    deleted_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX addons_slug ON addons (org_id, slug) WHERE deleted_at IS NULL;
CREATE TABLE credit_packs (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    org_id TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT,
    credits INTEGER NOT NULL,
    price INTEGER NOT NULL,
    is_active INTEGER NOT NULL DEFAULT 1,
    deleted_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE offers (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    org_id TEXT NOT NULL,
    name TEXT NOT NULL,
    phases TEXT NOT NULL,
    metadata TEXT,
    starts_at TEXT,
    ends_at TEXT,
    active INTEGER NOT NULL DEFAULT 1,
    deleted_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE promo_codes (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    org_id TEXT NOT NULL,
    code TEXT NOT NULL,
    offer_id TEXT NOT NULL,
    billing_interval TEXT,
    max_redemptions INTEGER,
    expires_at TEXT,
    plan_ids TEXT NOT NULL DEFAULT '[]',
    is_active INTEGER NOT NULL DEFAULT 1,
    redemption_count INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (org_id, code)
);
CREATE TABLE markets (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    org_id TEXT NOT NULL,
    name TEXT NOT NULL,
    country_codes TEXT NOT NULL,
    metadata TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- Integrations -------------------------------------------------------------
CREATE TABLE webhooks (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    org_id TEXT NOT NULL,
    url TEXT NOT NULL,
    events TEXT NOT NULL,
    description TEXT,
    is_active INTEGER NOT NULL DEFAULT 1,
    api_version TEXT,
    secret TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE webhook_deliveries (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    org_id TEXT NOT NULL,
    webhook_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    response_status INTEGER,
    last_error TEXT,
    delivered_at TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (status, next_attempt_at);
CREATE TABLE portal_sessions (
    token TEXT PRIMARY KEY,
    org_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    return_url TEXT,
    expires_at TEXT NOT NULL,
    created_at TEXT NOT NULL
);
"#;
