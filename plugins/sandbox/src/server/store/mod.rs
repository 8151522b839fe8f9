//! SQLite persistence.
//!
//! One connection, behind a mutex, serves every request: SQLite allows a
//! single writer anyway, and serialising the work keeps each write request
//! one `BEGIN IMMEDIATE … COMMIT` transaction, idempotency record included.
//!
//! Durability: the database runs in WAL mode with `synchronous=FULL`, so a
//! transaction is fsynced before the request that made it is answered. A
//! `kill -9` (or a power cut) after a response therefore never loses that
//! write. (`NORMAL` would survive a killed process but not a power cut; the
//! extra fsync per write is cheap at sandbox volumes.)
//!
//! Each resource has its own module with its queries and the function that
//! renders a row as the API object.

pub mod addons;
pub mod api_keys;
pub mod auth;
pub mod credit_packs;
pub mod customers;
pub mod events;
pub mod features;
pub mod idempotency;
pub mod invoices;
pub mod listen;
pub mod markets;
mod migrations;
pub mod offers;
pub mod orgs;
pub mod page;
pub mod payments;
pub mod plan_grants;
pub mod plan_groups;
pub mod plans;
pub mod pools;
pub mod portal;
pub mod promo_codes;
pub mod seats;
pub mod subscriptions;
pub mod transactions;
pub mod usage;
pub mod webhooks;

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use rusqlite::{Connection, Transaction, TransactionBehavior};
use serde_json::Value;

use super::error::{ApiError, SandboxError};

pub use migrations::SCHEMA_VERSION;

/// The sandbox database.
pub struct Store {
    conn: Mutex<Connection>,
}

impl Store {
    /// Opens (creating if needed) the database at `path` and brings its
    /// schema up to date.
    pub fn open(path: &Path) -> Result<Store, SandboxError> {
        let db_err = |source| SandboxError::Database {
            path: path.to_path_buf(),
            source,
        };
        let mut conn = Connection::open(path).map_err(db_err)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(db_err)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(db_err)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(db_err)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(db_err)?;
        migrations::migrate(&mut conn, path)?;
        Ok(Store {
            conn: Mutex::new(conn),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves the connection usable: the
        // transaction it was in is rolled back when dropped.
        self.conn
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs read-only work.
    pub fn read<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let conn = self.lock();
        f(&conn)
    }

    /// Runs `f` in one immediate transaction: committed when it returns
    /// `Ok`, rolled back otherwise.
    pub fn write<T>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }
}

// ---------------------------------------------------------------------------
// Small helpers shared by the resource modules.

/// Stores an optional JSON value as text.
pub fn json_text(value: &Option<Value>) -> Option<String> {
    value.as_ref().map(Value::to_string)
}

/// Reads a JSON text column (NULL → `null`).
pub fn parse_json(text: Option<String>) -> Value {
    text.and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(Value::Null)
}

/// Reads a JSON text column that holds an array or object, with a default.
pub fn parse_json_or(text: Option<String>, default: Value) -> Value {
    match parse_json(text) {
        Value::Null => default,
        v => v,
    }
}

/// A float rendered as an integer when it is whole (`2.0` → `2`).
pub fn number(n: f64) -> Value {
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        Value::from(n as i64)
    } else {
        serde_json::Number::from_f64(n)
            .map(Value::Number)
            .unwrap_or(Value::Null)
    }
}

pub fn opt_number(n: Option<f64>) -> Value {
    n.map(number).unwrap_or(Value::Null)
}

/// Whether a row exists for this query.
pub fn exists(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<bool, ApiError> {
    let mut stmt = conn.prepare_cached(sql)?;
    Ok(stmt.exists(params)?)
}
